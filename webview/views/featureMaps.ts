/**
 * The feature maps view: the user picks an image (a built-in sample or a
 * file from the workspace through the host), it is resized to the model's
 * input, and every convolution and pooling layer shows its channels as a
 * grid of small normalised maps (1-D and sequence layers as heat strips,
 * one row per channel). Hovering a map shows the channel, its range and
 * the value under the pointer (a map takes focus: the arrow keys move a
 * cursor over its values, each read-out shown and announced), and outlines on the input image the window
 * that value sees (its receptive field, extension/core/analysis/receptive.ts);
 * a layer's title selects its call in the editor. For a class output, the
 * output strip (output.ts) under the input shows the top 5 classes for the
 * image, read from the same pass as the maps.
 *
 * "Show every layer" (a toolbar checkbox, off by default, kept while the
 * panel lives) adds every other layer with an `[h, w, c]`, `[len, c]` or
 * `[n]` output (activations, normalisations, merges, dense...), read from
 * the same single pass: `[n]` outputs are one strip of cells. ReLU-family
 * outputs say what share of each map is zero, and that the layer is "dead
 * for this image" when all of it is.
 *
 * DOM hooks (for tests): each layer is a `section.nn-fm-layer` with
 * `data-path`; each channel map a `canvas.nn-fm-map` with `data-channel`;
 * each strip a `canvas.nn-fm-strip`; the input image `canvas.nn-fm-input`
 * and the outlined window `div.nn-fm-field` (`data-rows`, `data-cols`: the
 * first and last input row and column it covers, `hidden` when none).
 * Sections also carry `data-op` (registry name) and `data-kind` (grid,
 * strip, units); the option is `vscode-checkbox.nn-fmx-every`; an `[n]`
 * output is a `canvas.nn-fmx-units` (`data-cells`); a ReLU-family map's
 * caption is `.nn-fmx-zero`, its layer's share `.nn-fmx-zeros`, and the
 * flag `.nn-fmx-dead`.
 *
 * Under each header, a legend `div.nn-fm-legend` (`data-scale`: map or
 * layer; `data-lo`, `data-hi`: the layer's range) says the layer's size
 * (`.nn-fm-size`: maps of H × W, channels) and its colour scale: the ramp,
 * its ends and how the values were normalised (`.nn-fm-legend-text`). By
 * default each map is scaled to its own range; the toolbar's "One colour
 * scale per layer" (`vscode-checkbox.nn-fm-same-scale`, kept while the
 * panel lives) colours all maps of a layer over the layer's range. A
 * layer inside a block says in its header which application of the block
 * it belongs to (sourceLink.ts `blockPlace`). Once the toolbar has scrolled
 * away, the sticky input image is a thumbnail the size of a map
 * (`data-compact` on `.nn-fm-inputbox`).
 *
 * When the image input goes first through augmentation layers
 * (`random_flip`, `cutout`...), a strip under it, `div.nn-fm-augment`
 * (`data-layers`: their labels), shows the picked image as training sees
 * it: `AUGMENT_VIEWS` copies (`canvas.nn-fm-aug`) drawn through those
 * layers in training mode with the preview's own seed (augmentModel.ts);
 * its "New draws" button (`vscode-button.nn-fm-augment-redraw`) takes the
 * next seed (`data-seed` on the strip).
 *
 * A conv1d/conv2d value, and a maxpool/avgpool one, also shows how it is
 * computed (convCalcView.ts):
 * in the hover read-out, and pinned by a click (or from the keyboard: a
 * convolution's or pooling's maps take focus, arrow keys move over its values, Escape
 * closes) in a floating `div.nn-fm-pin` that stays until closed. Its input
 * is read from the same pass as the maps (the tensor kept until the next
 * pass), its weights from the layer, on the first value explained.
 *
 * A `dropout` or `batchnorm` layer (shown with "Show every layer"; a note
 * `.nn-modes-hint` says so while it is off) has a closed "Training vs
 * inference" panel under its maps (trainModesView.ts): its input, kept from
 * the same pass, through the layer in training beside its output here, at
 * inference.
 */
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import { groupedPlural, plural } from '../../extension/core/plural';
import type * as tfTypes from '@tensorflow/tfjs';
import { modelFields, windowAt, type InputField } from '../../extension/core/analysis/receptive';
import { sampleImages, waves, type SampleImage } from '../../extension/core/runtime/data/synthetic';
import { tokenizerFor } from '../../extension/core/runtime/tokenizers';
import { fillSequential, formatValue, sequential } from '../probes/colormap';
import { featureMapLayers, featureMaps, type FeatureMap, type FeatureMapLayer, type OutputRead } from '../probes/featureMaps';
import { convInputSource, isExplained, isExplainedPool, readConvLayer, readPoolLayer, type ConvInputSource } from '../probes/convCalcRead';
import { calcExplainer, type CalcSource } from './convCalcView';
import { isModeOp } from '../probes/trainModes';
import { modesPanel, type ModesSource } from './trainModesView';
import { fitTokens, imageInput, inputPlans, maxSequenceLength, smallestVocab, type InputPlan } from '../probes/input';
import { cellKeys, hover, showAt, tooltip } from '../probes/hover';
import { TRAIN_IMAGE, colourRange, defaultImage, lateStartImage, layerRange, mapLegend, mapSizeText, pickerState, runDimsText, unitAt, unitStripLayout, zeroCaption, zeroStats, type MapScale, type UnitStripLayout, type ZeroStats } from './featureMapsModel';
import { classStrip, type ClassStrip } from './output';
import { button, el, layerHeader, note, pixelCanvas } from '../dom';
import { firstOutput, outputPlan, perPositionNote } from './outputModel';
import { AUGMENT_VIEWS, augmentationChain, augmentedViews, chainLabel, viewPixels } from './augmentModel';
import type { LayerNode } from '../../extension/core/analysis/types';
import type { Shape } from '../../extension/core/analysis/sym';
import type { ViewContext } from './types';
import { blockPlace, headerSource, layerSource, sourceText } from './sourceLink';

/** Channels drawn per layer before "Show all". */
const CHANNEL_LIMIT = 64;
/** Displayed size of one channel map (CSS pixels, longest side). */
const MAP_SIZE = 72;
/** Text fed to models whose input is token ids. */
const SAMPLE_TEXT = 'The cat sat down by the kitchen door and counted the tiles upon the floor.';

let root: HTMLElement | undefined;
let unsubscribe: (() => void) | undefined;
let generation = 0;
/**
 * The model (`uri#model`) that started on a sample while the host was still
 * listing its training images, and that sample: the first training image
 * replaces it when the list arrives, unless another image was shown meanwhile.
 */
let waitingStart: { key: string; sample: string } | undefined;
/** "Show every layer": kept across re-renders while the panel lives, like the other views' choices. */
let showEvery = false;
/** "One colour scale per layer" (else each map over its own range): kept like `showEvery`. */
let mapScale: MapScale = 'map';
/** Convolutions' inputs from the last pass, kept for their breakdowns until the next pass or dispose. */
let kept: tfTypes.Tensor[] = [];
/** The augmentation preview's image (`[1, h, w, c]`), kept for its "New draws" until the next pass or dispose. */
let augmentImage: tfTypes.Tensor | undefined;
/** Keeps `--nn-fm-sticky` at the sticky input image's height: the layers' headers stick just under it (inspector.css). */
let stickyHeight: ResizeObserver | undefined;
/** Shrinks the sticky input image to a thumbnail while the view is scrolled (its toolbar out of sight). */
let scrolled: IntersectionObserver | undefined;

function releaseKept(): void {
  for (const t of kept) t.dispose();
  kept = [];
}

export function render(container: HTMLElement, ctx: ViewContext): void {
  dispose();
  const gen = ++generation;
  root = el('div', 'nn-fm-view');
  root.style.display = 'flex';
  root.style.flexDirection = 'column';
  root.style.gap = '10px';
  container.replaceChildren(root);

  const plans = inputPlans(ctx.modelInfo, ctx.dims);
  const outputs = new Set(ctx.activations.paths);
  const defaultLayers = featureMapLayers(ctx.built).filter((l) => outputs.has(l.path));
  const everyLayer = featureMapLayers(ctx.built, { every: true }).filter((l) => outputs.has(l.path));
  if (everyLayer.length === 0) {
    root.append(note('This model has no layer whose output can be drawn as feature maps.', 'nn-empty'));
    return;
  }
  if (plans.some((p) => p.kind === 'other')) {
    root.append(note(`Feature maps need image, signal, vector or token inputs; input '${plans.find((p) => p.kind === 'other')!.name}' is none of these.`, 'nn-empty'));
    return;
  }
  const needsImage = plans.some((p) => p.kind === 'image');
  const toolbar = el('div', 'nn-toolbar');
  const body = el('div', 'nn-fm-layers');
  body.style.display = 'flex';
  body.style.flexDirection = 'column';
  body.style.gap = '14px';
  const status = el('span', 'nn-toolbar-status');
  const tip = tooltip('nn-fm-tip');
  const pin = pinPanel();
  const imagePlan = plans.find((p) => p.kind === 'image');
  const preview = imagePlan ? inputPreview() : undefined;
  // What training does to the picked image: the augmentation layers right after the image input.
  const chain = imagePlan ? augmentationChain(ctx.modelInfo.graph, imagePlan.name) : [];
  const imageShape = imagePlan && ctx.modelInfo.inputs.find((i) => i.name === imagePlan.name)?.shape;
  const augment = chain.length > 0 && imageShape ? augmentStrip(ctx, chain, imageShape) : undefined;
  // What the model outputs for the picked image (a class output only): top classes under the input.
  const plan = needsImage ? outputPlan(ctx.modelInfo, ctx.dims, ctx.trainLoss) : undefined;
  const strip: ClassStrip | undefined = plan?.kind === 'classes' ? classStrip(plan, ctx.weights) : undefined;
  // No strip because the output still has positions (a forgotten flatten): say so where the classes would be.
  const perPosition = needsImage && !strip ? perPositionNote(ctx.modelInfo, ctx.dims, ctx.trainLoss) : undefined;
  const noClasses = perPosition ? note(perPosition, 'nn-note nn-fm-no-classes') : undefined;
  const modelOutput = ctx.built.model.outputs[0];
  const outputPath = strip ? ctx.activations.paths.find((p) => ctx.built.outputOf.get(p) === modelOutput) : undefined;
  root.append(toolbar, ...(preview ? [preview.element] : []), ...(strip ? [strip.element] : []), ...(noClasses ? [noClasses] : []), ...(augment ? [augment.element] : []), body, tip, pin.element);
  if (preview) {
    const view = root;
    // The height the thumbnail saves is kept as space under the maps: else, with maps a little taller than the panel,
    // the shorter page pulled the scroll back, the toolbar showed, the image grew again, and so on (it flickered).
    let fullHeight = 0;
    const reserve = () => {
      const height = preview.element.getBoundingClientRect().height;
      view.style.setProperty('--nn-fm-sticky', `${height}px`);
      if (preview.element.dataset.compact !== 'true') {
        fullHeight = height;
        view.style.paddingBottom = '';
      } else view.style.paddingBottom = `${Math.max(0, fullHeight - height)}px`;
    };
    stickyHeight = new ResizeObserver(reserve);
    stickyHeight.observe(preview.element);
    // Once the toolbar above it has scrolled away (the image sticks over the maps), the image becomes a thumbnail.
    scrolled = new IntersectionObserver((entries) => {
      // The height is held while the image changes size and the space is measured: a layout in between would pull the scroll back.
      view.style.minHeight = `${view.getBoundingClientRect().height}px`;
      preview.compact(!entries[entries.length - 1].isIntersecting);
      reserve();
      view.style.minHeight = '';
    });
    scrolled.observe(toolbar);
  }
  // Where each layer's values look in the image input (per node path: every repetition of a block has its own).
  const fields = modelFields(ctx.modelInfo).byPath;
  const fieldOf = (path: string) => (imagePlan ? fields.get(path)?.get(imagePlan.name) : undefined);

  const samples = sampleImages();
  let imageName = '';
  const select = document.createElement('vscode-single-select') as HTMLElement & { value: string };
  /** Makes the picker name the image shown (it said "Sample image…" over a digit it had not chosen). */
  const showPicked = (name: string | undefined) => {
    const state = pickerState(samples.map((s) => s.name), name, ctx.trainData?.images);
    const key = JSON.stringify(state.options);
    // Options are replaced only when the list changes (a file joins it): not under the dropdown the user just chose from.
    if (select.dataset.options !== key) {
      select.dataset.options = key;
      select.replaceChildren(...state.options.map((o) => option(o.value, o.text, o.value === state.value)));
    }
    select.value = state.value;
  };
  if (needsImage) {
    select.className = 'nn-fm-sample';
    // vscode-single-select names its inner combobox from its `label` (an aria-label on the host does not reach it).
    select.setAttribute('label', 'Sample image');
    showPicked(ctx.image ? ctx.imageName : undefined);
    select.addEventListener('change', () => {
      const s = samples.find((x) => x.name === select.value);
      if (s) ctx.setImage(toImageData(s), s.name);
      else if (select.value.startsWith(TRAIN_IMAGE)) ctx.openImage(select.value.slice(TRAIN_IMAGE.length));
    });
    const choose = button('Choose image…', () => ctx.pickImage(), { className: 'nn-fm-choose' });
    toolbar.append(select, choose, status);
  } else {
    toolbar.append(status);
  }
  const every = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
  every.className = 'nn-fmx-every';
  every.setAttribute('label', 'Show every layer');
  every.title = 'Also draw activations, normalisations, merges, dense and every other layer, from the same forward pass; dropout and batchnorm layers compare training and inference';
  every.checked = showEvery;
  status.before(every);
  const sameScale = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
  sameScale.className = 'nn-fm-same-scale';
  sameScale.setAttribute('label', 'One colour scale per layer');
  sameScale.title = 'Colour all maps of a layer over the layer’s range, so that maps compare (a weak map looks weak); unticked, each map is scaled to its own range and shows its pattern however weak';
  sameScale.checked = mapScale === 'layer';
  status.before(sameScale);
  let lastImage: ImageData | undefined;
  every.addEventListener('change', () => {
    showEvery = every.checked;
    // Before the first image arrives there is nothing to redraw: its run reads the option.
    if (!needsImage || lastImage) run(lastImage);
  });
  sameScale.addEventListener('change', () => {
    mapScale = sameScale.checked ? 'layer' : 'map';
    if (!needsImage || lastImage) run(lastImage);
  });
  let runs = 0;

  const run = (image: ImageData | undefined) => {
    if (gen !== generation || ctx.signal.aborted) return;
    lastImage = image;
    const ticket = ++runs;
    const layers = showEvery ? everyLayer : defaultLayers;
    const stale = () => gen !== generation || ctx.signal.aborted || ticket !== runs;
    let inputs: tfTypes.Tensor[] = [];
    void (async () => {
      try {
        inputs = await makeInputs(ctx, plans, image);
        if (stale()) return;
        const t0 = performance.now();
        // The strip reads the model's output from the same pass as the maps (the activation model outputs it too).
        let scores: Float32Array | undefined;
        const read = outputPath ? { path: outputPath, read: (t: tfTypes.Tensor) => (scores = Float32Array.from(ctx.tf.slice(t, 0, 1).dataSync())) } : undefined;
        // Each shown convolution's (and pooling's) input, kept from this pass for its "how this value is computed".
        pin.hide();
        releaseKept();
        const inputsOf = new Map<string, tfTypes.Tensor>();
        const sources = new Map<string, ConvInputSource>();
        const modelInputs: tfTypes.Tensor[] = [];
        const queued = new Set<string>();
        const reads: OutputRead[] = read ? [read] : [];
        // Dropout and batchnorm layers keep their input too, for their "Training vs inference" panel; batchnorm the model inputs (its batch starts with them).
        const modes = layers.filter((l) => isModeOp(l.node.op));
        if (modes.some((l) => l.node.op === 'batchnorm')) for (const t of inputs) modelInputs.push(ctx.tf.clone(t));
        for (const l of layers) {
          if ((l.kind === 'units' || !isExplained(ctx.built, l.path)) && !isModeOp(l.node.op)) continue;
          const src = convInputSource(ctx.built, ctx.activations.paths, l.path);
          if (!src || (src.kind === 'input' && !inputs[src.port])) continue;
          sources.set(l.path, src);
          const key = inputKey(src);
          if (queued.has(key)) continue;
          queued.add(key);
          if (src.kind === 'input') inputsOf.set(key, ctx.tf.clone(inputs[src.port]));
          else reads.push({ path: src.path, read: (t) => inputsOf.set(key, ctx.tf.keep(ctx.tf.slice(t, 0, 1))) });
        }
        const maps = featureMaps(ctx.tf, ctx.activations, inputs.length === 1 ? inputs[0] : inputs, layers.map((l) => l.path), reads);
        // What one example through every layer takes here: batchnorm's panel estimates its batch from it.
        const passMs = performance.now() - t0;
        kept = [...inputsOf.values(), ...modelInputs];
        const byPath = new Map(maps.map((m) => [m.path, m]));
        const explainerOf = (l: FeatureMapLayer): Explain | undefined => {
          const src = isExplained(ctx.built, l.path) ? sources.get(l.path) : undefined;
          const t = src && inputsOf.get(inputKey(src));
          return t ? calcExplainer(calcSource(ctx, l, src!, t)) : undefined;
        };
        if (preview && imagePlan) await preview.draw(inputs[plans.indexOf(imagePlan)]);
        if (stale()) return;
        if (augment && imagePlan) await augment.draw(inputs[plans.indexOf(imagePlan)], stale);
        if (stale()) return;
        if (strip) {
          try {
            strip.show(scores ?? firstOutput(ctx.tf, ctx.model, inputs.length === 1 ? inputs[0] : inputs));
          } catch (e) {
            strip.fail(`Could not compute the output: ${e instanceof Error ? e.message : String(e)}`);
          }
        }
        const modesOf = (l: FeatureMapLayer, map: FeatureMap): ModesSource | undefined => {
          if (!isModeOp(l.node.op)) return undefined;
          const src = sources.get(l.path);
          const t = src && inputsOf.get(inputKey(src));
          return {
            ctx,
            path: l.path,
            map,
            input: () => (t && !t.isDisposed ? t : undefined),
            inputName: src ? inputNameOf(ctx, src) : 'its input',
            modelInputs: () => (modelInputs.length > 0 && modelInputs.every((m) => !m.isDisposed) ? modelInputs : undefined),
            plans,
            tip,
            passMs,
          };
        };
        if (layers.length === 0) {
          body.replaceChildren(note('This model has no convolution, pooling or sequence layers, the ones shown by default. Tick “Show every layer” to see the output of each of its layers.', 'nn-empty'));
        } else {
          body.replaceChildren(
            ...layers.map((l) => {
              const map = byPath.get(l.path);
              const seen = preview ? { field: fieldOf(l.path), preview } : undefined;
              return map ? layerSection(ctx, l, map, tip, seen, explainerOf(l) && { explain: explainerOf(l)!, pin }, modesOf(l, map)) : note(`${l.node.label}: no output`, 'nn-note');
            }),
          );
        }
        // Off by default: say where dropout's and batchnorm's training-vs-inference comparison is.
        const hidden = everyLayer.filter((l) => isModeOp(l.node.op) && !layers.some((k) => k.path === l.path));
        if (hidden.length > 0) {
          const ops = [...new Set(hidden.map((l) => l.node.op))].join(' and ');
          body.append(note(`This model has ${ops} layers, which behave differently in training and at inference: tick “Show every layer” to compare the two modes.`, 'nn-note nn-modes-hint'));
        }
        // A model with symbolic sizes runs at the values the session gave them: the picked image was resized to them.
        const dimsRun = runDimsText(ctx.dims, ctx.dimSources, ctx.dimReasons);
        status.textContent = `${needsImage ? imageName : 'sample input'}${dimsRun ? ` · run at ${dimsRun}` : ''} · ${maps.length} layer${maps.length === 1 ? '' : 's'} · ${(performance.now() - t0).toFixed(0)} ms`;
        status.title = dimsRun
          ? `The model's symbolic sizes are set to ${dimsRun} to run it; the input is resized to them. The setting nnmodel.dimensions gives them (as in the hovers), except those trained weights fix.`
          : '';
      } catch (e) {
        body.replaceChildren(note(`Could not compute the feature maps: ${e instanceof Error ? e.message : String(e)}`, 'nn-message nn-message-error'));
      } finally {
        ctx.tf.dispose(inputs);
      }
    })();
  };

  if (needsImage) {
    const modelKey = `${ctx.doc.uri}#${ctx.info.name}`;
    /** Asks for the first training image when the model still shows the sample it started on before they were listed. */
    const startOnTrainImage = () => {
      const first = lateStartImage(waitingStart, modelKey, imageName, ctx.trainData);
      if (!first) return;
      waitingStart = undefined;
      ctx.openImage(first);
    };
    const offImage = ctx.onImage((image, name) => {
      imageName = name;
      if (waitingStart?.key === modelKey && waitingStart.sample !== name) waitingStart = undefined;
      showPicked(name);
      run(image);
    });
    // The host lists the training images after the model message: the picker offers them when they arrive.
    const offTrainData = ctx.onTrainData(() => {
      if (gen !== generation) return;
      showPicked(imageName || undefined);
      startOnTrainImage();
    });
    unsubscribe = () => {
      offImage();
      offTrainData();
    };
    if (ctx.image) {
      imageName = ctx.imageName || 'current image';
      run(ctx.image);
      startOnTrainImage();
    } else {
      // Start with an image like the model's data: its first training image (asked for; a sample with its channels meanwhile).
      const image = plans.find((p) => p.kind === 'image')!;
      const start = defaultImage(samples, image.shape[2] === 1 ? 1 : 3, ctx.trainData);
      const sample = samples.find((s) => s.name === start.sample)!;
      // Its training images not listed yet: the first one is asked for when they arrive.
      waitingStart = !start.file && ctx.trainData?.kind === 'images' ? { key: modelKey, sample: sample.name } : undefined;
      ctx.setImage(toImageData(sample), sample.name);
      if (start.file) ctx.openImage(start.file);
    }
  } else {
    run(undefined);
  }
}

export function dispose(): void {
  generation++;
  releaseKept();
  augmentImage?.dispose();
  augmentImage = undefined;
  stickyHeight?.disconnect();
  stickyHeight = undefined;
  scrolled?.disconnect();
  scrolled = undefined;
  unsubscribe?.();
  unsubscribe = undefined;
  root?.remove();
  root = undefined;
}

// ------------------------------------------------------------------ inputs

async function makeInputs(ctx: ViewContext, plans: InputPlan[], image: ImageData | undefined): Promise<tfTypes.Tensor[]> {
  const { tf } = ctx;
  const made: tfTypes.Tensor[] = [];
  try {
    for (const plan of plans) {
      switch (plan.kind) {
        case 'image':
          if (!image) throw new Error('choose an image first');
          made.push(imageInput(tf, image, plan.shape));
          break;
        case 'signal': {
          const len = plan.shape[0] ?? 64;
          const c = plan.shape[1] ?? 1;
          const w = waves({ samples: 1, length: len, seed: 1 });
          made.push(tf.tidy(() => tf.tile(tf.tensor3d(w.xs, [1, len, 1]), [1, 1, c])));
          break;
        }
        case 'tokens': {
          const vocab = smallestVocab(ctx.modelInfo.graph) ?? 256;
          const tokenizer = await tokenizerFor(vocab);
          const ids = tokenizer.encode(SAMPLE_TEXT).map((i) => Math.min(i, vocab - 1));
          const len = plan.shape[0] ?? Math.min(ids.length, maxSequenceLength(ctx.modelInfo.graph) ?? 32, 32);
          made.push(tf.tensor2d([fitTokens(ids, len)], [1, len], 'int32'));
          break;
        }
        case 'vector':
          made.push(tf.fill([1, plan.shape[0] ?? 16], 0.5));
          break;
        default:
          throw new Error(`input '${plan.name}' cannot be fed`);
      }
    }
    return made;
  } catch (e) {
    tf.dispose(made);
    throw e;
  }
}

function toImageData(s: SampleImage): ImageData {
  const rgba = new Uint8ClampedArray(s.width * s.height * 4);
  for (let i = 0; i < s.width * s.height; i++) {
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = Math.round(255 * s.data[i * s.channels + (s.channels === 1 ? 0 : c)]);
    rgba[i * 4 + 3] = 255;
  }
  return new ImageData(rgba, s.width, s.height);
}

// ------------------------------------------------------------------ how a convolution's value is computed

/** Explains the value `shown` at `position` of channel `filter` of one convolution's (or pooling's) output. */
type Explain = (position: number[], filter: number, shown: number) => HTMLElement;

/** A convolution's breakdown and the view's pinned panel. */
interface Calc {
  explain: Explain;
  pin: PinPanel;
}

function inputKey(src: ConvInputSource): string {
  return src.kind === 'layer' ? src.path : `input:${src.port}`;
}

const BACKEND_NAMES: Record<string, string> = { wasm: 'WASM', webgl: 'WebGL', cpu: 'CPU' };

/** What a layer's input is, for the breakdowns: "the 'image' input", "the output of tanh (line 3)". */
function inputNameOf(ctx: ViewContext, src: ConvInputSource): string {
  if (src.kind === 'input') {
    const node = ctx.modelInfo.graph.nodes.find((n) => n.kind === 'input' && n.port === src.port);
    return `the ${node && 'name' in node ? `'${node.name}' ` : ''}input`;
  }
  const node = ctx.built.nodeOf.get(src.path);
  const source = layerSource(ctx.info.graph, src.path);
  return node ? `the output of ${node.label}${source ? ` (${sourceText(source)})` : ''}` : 'its input';
}

/** The layer's weights and its input (`input`, `[1, …size, c]`, kept from the pass), read on its first breakdown. */
function calcSource(ctx: ViewContext, l: FeatureMapLayer, src: ConvInputSource, input: tfTypes.Tensor): CalcSource {
  return {
    label: l.node.label,
    inputName: inputNameOf(ctx, src),
    backend: BACKEND_NAMES[ctx.backend] ?? ctx.backend,
    layer: () => (isExplainedPool(ctx.built, l.path) ? readPoolLayer(ctx.built, l.path, input.shape.length === 3 ? 1 : 2) : readConvLayer(ctx.tf, ctx.built, l.path)),
    input: () => {
      if (input.isDisposed) return undefined;
      const shape = input.shape.slice(1);
      return { size: shape.slice(0, -1), channels: shape[shape.length - 1], data: input.dataSync() as Float32Array };
    },
  };
}

/** The floating panel a clicked (or keyboard-selected) value's breakdown stays in until closed. */
interface PinPanel {
  element: HTMLElement;
  /** Shows `content` under `title` beside `point` (viewport coordinates); `onClose` runs when it is closed. */
  show(title: string, content: HTMLElement, point: { x: number; y: number }, onClose?: () => void): void;
  hide(): void;
  readonly pinned: boolean;
}

function pinPanel(): PinPanel {
  const element = el('div', 'nn-fm-pin');
  element.setAttribute('role', 'dialog');
  element.setAttribute('aria-label', 'How this value is computed');
  element.hidden = true;
  const head = el('div', 'nn-fm-pin-head');
  const title = el('span', 'nn-fm-pin-title');
  title.setAttribute('aria-live', 'polite');
  const close = el('button', 'nn-fm-pin-close', '×');
  close.type = 'button';
  close.title = 'Close (Escape)';
  close.setAttribute('aria-label', 'Close');
  const content = el('div', 'nn-fm-pin-body');
  head.append(title, close);
  element.append(head, content);
  let closed: (() => void) | undefined;
  const hide = () => {
    if (element.hidden) return;
    element.hidden = true;
    const run = closed;
    closed = undefined;
    run?.();
  };
  close.addEventListener('click', hide);
  element.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') hide();
  });
  return {
    element,
    show(text, body, point, onClose) {
      title.textContent = text;
      content.replaceChildren(body);
      const previous = closed;
      closed = onClose;
      if (previous !== onClose) previous?.();
      // Placed like the hover read-out, floating: the maps under it do not move.
      const parts = document.createDocumentFragment();
      parts.append(head, content);
      showAt(element, parts, point);
    },
    hide,
    get pinned() {
      return !element.hidden;
    },
  };
}

// ------------------------------------------------------------------ drawing

/** A layer's receptive field in the image input, and the preview that outlines it. */
interface Seen {
  field: InputField | undefined;
  preview: InputPreview;
}

/** What a merge computes, for the header: its label (`+`) alone does not say. */
const MERGE_WORDS: Record<string, string> = { add: 'sum', multiply: 'product' };

function layerSection(ctx: ViewContext, layer: FeatureMapLayer, map: FeatureMap, tip: HTMLElement, seen?: Seen, calc?: Calc, modes?: ModesSource): HTMLElement {
  const { label } = layer.node;
  const source = layerSource(ctx.info.graph, map.path);
  const section = el('section', 'nn-fm-layer');
  section.dataset.path = map.path;
  section.dataset.op = layer.node.op;
  section.dataset.kind = map.kind;
  const shape = map.kind === 'grid' ? `[${map.height}, ${map.width}, ${map.channels}]` : map.kind === 'strip' ? `[${map.width}, ${map.channels}]` : `[${map.width}]`;
  const what = MERGE_WORDS[layer.node.op];
  // A bidirectional recurrent layer's output is two states side by side: the forward one, then the backward one.
  const half = layer.node.category === 'recurrent' && layer.node.args.bidirectional === true && map.kind !== 'grid' ? (map.kind === 'strip' ? map.channels : map.width) / 2 : undefined;
  const halves = half !== undefined && Number.isInteger(half) ? half : undefined;
  const split = halves === undefined ? '' : ` · ${map.kind === 'strip' ? 'channels' : 'units'} 0–${halves - 1} read forward, ${halves}–${2 * halves - 1} backward`;
  // Which application of a block (a block called twice, or `* N`): its layers' sections would otherwise read alike.
  const place = blockPlace(ctx.info.graph, map.path);
  const header = layerHeader(label, `${shape}${what ? ` · ${what}` : ''}${split}${source ? ` · ${sourceText(source)}` : ''}${place ? ` · ${place}` : ''}`, headerSource(source, ctx.reveal), { header: 'nn-fm-header', title: 'nn-fm-title', detail: 'nn-fm-detail' });
  const zeros = layer.relu ? zeroStats(map.data, map.channels, map.height * map.width) : undefined;
  if (zeros) header.append(...zeroBadges(map, zeros));
  section.append(header, scaleLegend(map));
  if (calc) section.dataset.calc = 'true';
  if (map.kind === 'strip') section.append(stripCanvas(map, tip, zeros, calc, halves));
  else if (map.kind === 'units') section.append(...unitStrip(map, tip, halves));
  else section.append(...channelGrid(map, tip, seen, zeros, calc));
  // Dropout and batchnorm: what the layer does in training beside what it does here, at inference (trainModesView.ts).
  if (modes) section.append(modesPanel(modes));
  return section;
}

/** Colours in a legend's ramp and its displayed width (CSS pixels). */
const RAMP_STEPS = 64;
const RAMP_WIDTH = 120;

/**
 * Under a layer's header: its size (maps, H × W, channels) and its colour
 * scale: the ramp the maps are drawn on, its ends (each map's min and max,
 * or the layer's values with 0 marked) and how the values were normalised.
 */
function scaleLegend(map: FeatureMap): HTMLElement {
  const legend = mapLegend(map, mapScale);
  const box = el('div', 'nn-fm-legend');
  box.dataset.scale = legend.perMap ? 'map' : 'layer';
  const [lo, hi] = layerRange(map);
  box.dataset.lo = String(lo);
  box.dataset.hi = String(hi);
  const size = el('span', 'nn-fm-size', mapSizeText(map));
  const scale = el('span', 'nn-fm-legend-scale');
  const ramp = el('canvas', 'nn-fm-legend-ramp');
  ramp.width = RAMP_STEPS;
  ramp.height = 1;
  ramp.style.width = `${RAMP_WIDTH}px`;
  const px = new Uint8ClampedArray(RAMP_STEPS * 4);
  for (let i = 0; i < RAMP_STEPS; i++) px.set([...sequential(i / (RAMP_STEPS - 1)).map(Math.round), 255], i * 4);
  ramp.getContext('2d')?.putImageData(new ImageData(px, RAMP_STEPS, 1), 0, 0);
  const rampBox = el('span', 'nn-fm-legend-rampbox');
  rampBox.append(ramp);
  if (legend.zeroAt !== undefined && legend.zeroAt > 0 && legend.zeroAt < 1) {
    // Where 0 is on a shared scale that holds both signs.
    const zero = el('span', 'nn-fm-legend-zero', '0');
    zero.style.left = `${legend.zeroAt * 100}%`;
    rampBox.append(zero);
  }
  scale.append(el('span', 'nn-fm-legend-value', legend.ends[0]), rampBox, el('span', 'nn-fm-legend-value', legend.ends[1]));
  // A range stays on one line ("−0.5461 … 0.8816" wrapped after its "…").
  const text = el('span', 'nn-fm-legend-text', legend.text.replace(/ … /g, '\u00a0…\u00a0'));
  box.append(size, scale, text);
  // One image for screen readers: the size and the scale in words (the parts above say the same, hidden from them).
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', `${mapSizeText(map)}. ${legend.said}`);
  box.title = legend.said;
  return box;
}

/** A ReLU output's share of zeros over the layer, its all-zero channels, and the flag when it is all zero. */
function zeroBadges(map: FeatureMap, zeros: ZeroStats): HTMLElement[] {
  const share = el('span', 'nn-fmx-zeros');
  const channels = map.kind === 'units' || zeros.zeroChannels === 0 ? '' : ` · ${zeros.zeroChannels} of ${plural(map.channels, 'channel')} all zero`;
  share.textContent = `${zeroCaption(zeros.overall)}${zeros.dead ? '' : channels}`;
  share.dataset.zero = String(zeros.overall);
  share.title = 'Values exactly 0 for this image: ReLU outputs 0 wherever its input is negative.';
  if (!zeros.dead) return [share];
  const dead = el('span', 'nn-fmx-dead');
  dead.textContent = 'dead for this image';
  dead.title = 'Every value of this layer is 0 for this image: nothing of it reaches the next layer (and no gradient flows back through it).';
  return [share, dead];
}

function channelGrid(map: FeatureMap, tip: HTMLElement, seen?: Seen, zeros?: ZeroStats, calc?: Calc): HTMLElement[] {
  const grid = el('div', 'nn-fm-grid');
  grid.style.display = 'flex';
  grid.style.flexWrap = 'wrap';
  grid.style.gap = '4px';
  grid.style.marginTop = '4px';
  const scale = Math.max(1, Math.floor(MAP_SIZE / Math.max(map.height, map.width)));
  const draw = (from: number, to: number) => {
    const image = layerImage(map);
    for (let c = from; c < to; c++) {
      const canvas = channelCanvas(map, c, scale, tip, seen, image, calc);
      if (!zeros) {
        grid.append(canvas);
        continue;
      }
      // A ReLU map with its share of zeros under it.
      const cell = el('figure', 'nn-fmx-cell');
      const caption = el('figcaption', 'nn-fmx-zero');
      caption.textContent = zeroCaption(zeros.perChannel[c]);
      canvas.dataset.zero = String(zeros.perChannel[c]);
      cell.append(canvas, caption);
      grid.append(cell);
    }
  };
  const shown = Math.min(map.channels, CHANNEL_LIMIT);
  draw(0, shown);
  if (shown === map.channels) return [grid];
  const more = button(`Show all ${map.channels} channels`, () => {
    draw(shown, map.channels);
    more.remove();
  });
  return [grid, more];
}

/** One buffer for every map of a layer (putImageData copies it): thousands of maps make no garbage per map. */
function layerImage(map: FeatureMap): ImageData {
  return new ImageData(new Uint8ClampedArray(map.width * map.height * 4), map.width, map.height);
}

function channelCanvas(map: FeatureMap, c: number, scale: number, tip: HTMLElement, seen: Seen | undefined, image: ImageData, calc?: Calc): HTMLCanvasElement {
  const { width, height } = map;
  const canvas = pixelCanvas('nn-fm-map', width, height, scale);
  canvas.dataset.channel = String(c);
  canvas.style.outline = '1px solid var(--vscode-panel-border, transparent)';
  const [lo, hi] = colourRange(map, c, mapScale);
  fillSequential(map.data, c * width * height, width * height, lo, hi, image.data);
  canvas.getContext('2d')?.putImageData(image, 0, 0);
  const range = `channel ${c} · ${formatValue(map.min[c])} … ${formatValue(map.max[c])}`;
  canvas.dataset.range = `${map.min[c]},${map.max[c]}`;
  // An image for screen readers (a canvas with only an aria-label is not announced).
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', range);
  const valueAt = (row: number, col: number) => map.data[c * width * height + row * width + col];
  const read = (row: number, col: number) => {
    const text = `${range}\n(${row}, ${col}) = ${formatValue(valueAt(row, col))}`;
    const sees = seen?.preview.outline(windowAt(seen.field, [row, col]));
    return sees ? `${text}\n${sees}` : text;
  };
  const cell = (x: number, y: number) => [Math.min(height - 1, Math.floor(y * height)), Math.min(width - 1, Math.floor(x * width))];
  if (!calc) {
    hover(canvas, tip, (x, y) => read(...(cell(x, y) as [number, number])));
    canvas.addEventListener('mouseleave', () => seen?.preview.outline(undefined));
    canvas.tabIndex = 0;
    canvas.setAttribute('aria-description', 'arrow keys read the values');
    cellKeys(canvas, tip, { rows: height, cols: width, text: read, leave: () => seen?.preview.outline(undefined) });
    return canvas;
  }
  explainable(canvas, tip, calc, { rows: height, cols: width }, cell, (row, col) => ({
    text: read(row, col),
    title: `channel ${c} (${row}, ${col}) = ${formatValue(valueAt(row, col))}`,
    explain: () => calc.explain([row, col], c, valueAt(row, col)),
  }), () => seen?.preview.outline(undefined));
  return canvas;
}

/** What a convolution's (or pooling's) map says about one of its cells: the read-out, the pinned panel's title, the breakdown. */
interface CellInfo {
  text: string;
  title: string;
  explain: () => HTMLElement;
}

/**
 * A convolution's (or pooling's) map that explains its values: hovering shows the
 * read-out with the hovered value's breakdown (the last one cached: the
 * pointer moves within a cell), a click pins it; the map takes focus,
 * arrow keys move over its cells (rows × cols) and show each one's in the
 * pinned panel, Enter pins the current one, Escape closes it.
 */
function explainable(
  canvas: HTMLCanvasElement,
  tip: HTMLElement,
  calc: Calc,
  size: { rows: number; cols: number },
  cell: (x: number, y: number) => number[],
  info: (row: number, col: number) => CellInfo,
  leave?: () => void,
): void {
  let last: { key: string; node: HTMLElement } | undefined;
  let cursor: [number, number] | undefined;
  const breakdown = (row: number, col: number, i: CellInfo) => {
    const key = `${row},${col}`;
    if (last?.key !== key) last = { key, node: i.explain() };
    return last.node;
  };
  hover(canvas, tip, (x, y) => {
    const [row, col] = cell(x, y);
    const i = info(row, col);
    const box = el('div', 'nn-calc-tip');
    box.append(el('div', 'nn-calc-read', i.text));
    if (calc.pin.pinned) box.append(el('div', 'nn-calc-hint', 'Click to pin this value’s computation instead'));
    else box.append(breakdown(row, col, i), el('div', 'nn-calc-hint', 'Click to pin'));
    return box;
  });
  // Whether the pinned panel shows a value of this map (its outline on the input then stays).
  let pinnedHere = false;
  const pinAt = (row: number, col: number, point: { x: number; y: number }) => {
    cursor = [row, col];
    const i = info(row, col);
    calc.pin.show(i.title, i.explain(), point, () => {
      pinnedHere = false;
      leave?.();
    });
    pinnedHere = true;
    // `info` outlines the cell's window on the input (closing the previous pin cleared it).
    info(row, col);
  };
  canvas.addEventListener('mouseleave', () => {
    if (pinnedHere && cursor) info(cursor[0], cursor[1]);
    else leave?.();
  });
  canvas.addEventListener('click', (e) => {
    const r = canvas.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return;
    const [row, col] = cell((e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height);
    tip.hidden = true;
    pinAt(row, col, { x: e.clientX, y: e.clientY });
  });
  canvas.tabIndex = 0;
  canvas.setAttribute('aria-label', `${canvas.getAttribute('aria-label') ?? ''}; arrow keys show how each value is computed`);
  canvas.addEventListener('keydown', (e) => {
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const move = moves[e.key];
    if (e.key === 'Escape') {
      calc.pin.hide();
      return;
    }
    if (!move && e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    const [row, col] = cursor ?? [0, 0];
    const next: [number, number] = move && cursor ? [Math.max(0, Math.min(size.rows - 1, row + move[0])), Math.max(0, Math.min(size.cols - 1, col + move[1]))] : [row, col];
    const r = canvas.getBoundingClientRect();
    // Beside the cell, as a pointer there would place it.
    pinAt(next[0], next[1], { x: r.left + ((next[1] + 1) / size.cols) * r.width, y: r.top + ((next[0] + 1) / size.rows) * r.height });
  });
}

// ------------------------------------------------------------------ input preview

/** The strip of augmented copies of the picked image. */
interface AugmentStrip {
  element: HTMLElement;
  /** Draws copies of `input` (`[1, h, w, c]`, values 0–1; kept for "New draws") unless `stale()` by then. */
  draw(input: tfTypes.Tensor, stale: () => boolean): Promise<void>;
}

/** Longest side of one augmented copy, in CSS pixels. */
const AUGMENT_SIZE = 64;

/**
 * The picked image as training sees it: `AUGMENT_VIEWS` copies through the
 * augmentation layers `chain` (right after the image input) in training
 * mode, built afresh with the preview's seed (the model's layers are not run).
 */
function augmentStrip(ctx: ViewContext, chain: readonly LayerNode[], inputShape: Shape): AugmentStrip {
  const element = el('div', 'nn-fm-augment');
  element.dataset.layers = chainLabel(chain);
  element.style.display = 'flex';
  element.style.flexDirection = 'column';
  element.style.gap = '4px';
  const caption = el('p', 'nn-fm-caption');
  caption.style.margin = '0';
  caption.style.color = 'var(--vscode-descriptionForeground)';
  caption.textContent = `As training sees it: ${AUGMENT_VIEWS} random draws of ${chainLabel(chain)}. At inference these layers pass the image through unchanged.`;
  const row = el('div', 'nn-fm-augment-row');
  row.style.display = 'flex';
  row.style.flexWrap = 'wrap';
  row.style.gap = '6px';
  row.style.alignItems = 'center';
  const redraw = document.createElement('vscode-button');
  redraw.className = 'nn-fm-augment-redraw';
  redraw.textContent = 'New draws';
  redraw.setAttribute('secondary', '');
  redraw.title = 'Draw other random augmentations of the same image';
  element.append(caption, row);
  let seed = 1;
  element.dataset.seed = String(seed);
  const paint = async (stale: () => boolean) => {
    if (!augmentImage) return;
    let views: tfTypes.Tensor | undefined;
    try {
      views = augmentedViews(ctx.tf, chain, inputShape, augmentImage, AUGMENT_VIEWS, seed);
      const [n, h, w, c] = views.shape as number[];
      const values = (await views.data()) as Float32Array;
      if (stale()) return;
      const scale = Math.max(1, Math.floor(AUGMENT_SIZE / Math.max(h, w)));
      const canvases = Array.from({ length: n }, (_, i) => {
        const canvas = pixelCanvas('nn-fm-aug', w, h, scale);
        canvas.dataset.index = String(i);
        canvas.setAttribute('role', 'img');
        canvas.setAttribute('aria-label', `augmented view ${i + 1} of ${n}`);
        canvas.style.outline = '1px solid var(--vscode-panel-border, transparent)';
        canvas.getContext('2d')?.putImageData(new ImageData(viewPixels(values, i, h, w, c), w, h), 0, 0);
        return canvas;
      });
      element.dataset.seed = String(seed);
      row.replaceChildren(...canvases, redraw);
    } catch (e) {
      row.replaceChildren(note(`Could not draw the augmentations: ${e instanceof Error ? e.message : String(e)}`, 'nn-message nn-message-error'));
    } finally {
      views?.dispose();
    }
  };
  const gen = generation;
  redraw.addEventListener('click', () => {
    seed++;
    void paint(() => gen !== generation);
  });
  return {
    element,
    async draw(input, stale) {
      augmentImage?.dispose();
      augmentImage = ctx.tf.clone(input);
      await paint(stale);
    },
  };
}

interface InputPreview {
  element: HTMLElement;
  /** Shrinks the image to a thumbnail (the view is scrolled) or back to its full size. */
  compact(on: boolean): void;
  /** Draws the image the model is fed ([1, h, w, c], values 0–1). */
  draw(input: tfTypes.Tensor): Promise<void>;
  /** Outlines a window of input positions (hides the outline without one); returns its description. */
  outline(window: { from: number[]; to: number[] } | undefined): string | undefined;
}

/** Longest side of the input image while the view is scrolled (CSS pixels): a feature map's size, to compare them side by side. */
const THUMBNAIL_SIZE = MAP_SIZE;
/** Longest side of the input image at the top of the view. */
const PREVIEW_SIZE = 160;

/**
 * The image as the model sees it, with the receptive field of the hovered
 * value outlined. Sticky; a thumbnail (`compact`) while the view is scrolled
 * (it took some 40 % of a short panel over the maps), its outline in
 * fractions of the image so that it fits either size.
 */
function inputPreview(): InputPreview {
  const element = el('div', 'nn-fm-inputbox');
  element.style.display = 'flex';
  element.style.gap = '10px';
  element.style.alignItems = 'flex-start';
  // Stays in view while the layers below it scroll, so deep layers' windows can be seen too; each layer's
  // header sticks just under it (its height is --nn-fm-sticky, see render), so none scrolls out of sight beneath it.
  element.style.position = 'sticky';
  element.style.top = '0';
  element.style.zIndex = '2';
  element.style.padding = '4px 0';
  element.style.background = 'var(--vscode-editor-background)';
  const frame = el('div', 'nn-fm-inputframe');
  frame.style.position = 'relative';
  frame.style.lineHeight = '0';
  const canvas = document.createElement('canvas');
  canvas.className = 'nn-fm-input';
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', 'The input image as the model sees it');
  canvas.style.imageRendering = 'pixelated';
  canvas.style.outline = '1px solid var(--vscode-panel-border, transparent)';
  const box = el('div', 'nn-fm-field');
  box.hidden = true;
  const b = box.style;
  b.position = 'absolute';
  b.pointerEvents = 'none';
  b.boxSizing = 'border-box';
  b.border = '2px solid var(--vscode-focusBorder, #0078d4)';
  b.background = 'color-mix(in srgb, var(--vscode-focusBorder, #0078d4) 18%, transparent)';
  frame.append(canvas, box);
  const caption = el('p', 'nn-fm-caption');
  caption.style.margin = '0';
  caption.style.color = 'var(--vscode-descriptionForeground)';
  caption.textContent = 'Input as the model sees it. Hover a feature map: the outline is the part of the image that value depends on (its receptive field).';
  element.append(frame, caption);
  let h = 0;
  let w = 0;
  let small = false;
  const size = () => {
    if (h === 0) return;
    const scale = small ? THUMBNAIL_SIZE / Math.max(h, w) : Math.max(1, Math.floor(PREVIEW_SIZE / Math.max(h, w)));
    canvas.style.width = `${Math.round(w * scale)}px`;
    canvas.style.height = `${Math.round(h * scale)}px`;
  };
  const fullCaption = caption.textContent;
  return {
    element,
    compact(on) {
      if (on === small) return;
      small = on;
      element.classList.toggle('nn-fm-compact', on);
      element.dataset.compact = String(on);
      caption.textContent = on ? 'Input as the model sees it (full size at the top). Hover a map: the outline is what that value sees.' : fullCaption;
      size();
    },
    async draw(input) {
      const [, ih, iw, c] = input.shape as number[];
      const values = (await input.data()) as Float32Array;
      h = ih;
      w = iw;
      canvas.width = w;
      canvas.height = h;
      size();
      const rgba = new Uint8ClampedArray(w * h * 4);
      for (let i = 0; i < w * h; i++) {
        for (let k = 0; k < 3; k++) rgba[i * 4 + k] = Math.round(255 * Math.min(1, Math.max(0, values[i * c + (c === 3 ? k : 0)])));
        rgba[i * 4 + 3] = 255;
      }
      canvas.getContext('2d')?.putImageData(new ImageData(rgba, w, h), 0, 0);
      box.hidden = true;
    },
    outline(window) {
      if (!window || h === 0) {
        box.hidden = true;
        return undefined;
      }
      // Clipped to the image: the rest of the window lies in the padding.
      const r0 = Math.max(0, window.from[0]);
      const r1 = Math.min(h, window.to[0]) - 1;
      const c0 = Math.max(0, window.from[1]);
      const c1 = Math.min(w, window.to[1]) - 1;
      if (r1 < r0 || c1 < c0) {
        box.hidden = true;
        return undefined;
      }
      // In fractions of the image: right at full size and as a thumbnail.
      b.top = `${(100 * r0) / h}%`;
      b.left = `${(100 * c0) / w}%`;
      b.height = `${(100 * (r1 - r0 + 1)) / h}%`;
      b.width = `${(100 * (c1 - c0 + 1)) / w}%`;
      box.dataset.rows = `${r0}-${r1}`;
      box.dataset.cols = `${c0}-${c1}`;
      box.hidden = false;
      const size = `${window.to[0] - window.from[0]} × ${window.to[1] - window.from[1]}`;
      const padded = window.from[0] < 0 || window.from[1] < 0 || window.to[0] > h || window.to[1] > w;
      return `sees input rows ${r0}–${r1}, columns ${c0}–${c1} (a ${size} window${padded ? ', partly padding' : ''})`;
    },
  };
}

/** ` (backward, unit 3)` for channel or unit `i` of a bidirectional layer whose directions have `halves` each; else empty. */
function directionOf(i: number, halves: number | undefined): string {
  if (halves === undefined) return '';
  return i < halves ? ` (forward, unit ${i})` : ` (backward, unit ${i - halves})`;
}

function stripCanvas(map: FeatureMap, tip: HTMLElement, zeros?: ZeroStats, calc?: Calc, halves?: number): HTMLCanvasElement {
  const { width: len, channels } = map;
  const canvas = document.createElement('canvas');
  canvas.className = 'nn-fm-strip';
  canvas.width = len;
  canvas.height = channels;
  const rowPx = Math.max(1, Math.min(8, Math.floor(320 / channels)));
  canvas.style.width = `${Math.min(800, Math.max(len * 4, 200))}px`;
  canvas.style.maxWidth = '100%';
  canvas.style.height = `${channels * rowPx}px`;
  canvas.style.imageRendering = 'pixelated';
  canvas.style.marginTop = '4px';
  const pixels = new Uint8ClampedArray(len * channels * 4);
  // One row per channel, each normalised to its own range (or all to the layer's).
  for (let c = 0; c < channels; c++) {
    const [lo, hi] = colourRange(map, c, mapScale);
    fillSequential(map.data, c * len, len, lo, hi, pixels.subarray(c * len * 4));
  }
  canvas.getContext('2d')?.putImageData(new ImageData(pixels, len, channels), 0, 0);
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${plural(channels, 'channel')} (rows) × ${plural(len, 'step')} (columns), ${mapScale === 'layer' ? 'all rows on the layer’s scale' : 'each row normalised to its range'}`);
  const read = (c: number, t: number) => {
    const zero = zeros ? ` · ${zeroCaption(zeros.perChannel[c])}` : '';
    return `channel ${c}${directionOf(c, halves)} · ${formatValue(map.min[c])} … ${formatValue(map.max[c])}${zero}\nstep ${t} = ${formatValue(map.data[c * len + t])}`;
  };
  // Rows are channels, columns steps.
  const cell = (x: number, y: number) => [Math.min(channels - 1, Math.floor(y * channels)), Math.min(len - 1, Math.floor(x * len))];
  if (!calc) {
    hover(canvas, tip, (x, y) => read(...(cell(x, y) as [number, number])));
    canvas.tabIndex = 0;
    canvas.setAttribute('aria-description', 'arrow keys read the values');
    cellKeys(canvas, tip, { rows: channels, cols: len, text: read });
    return canvas;
  }
  explainable(canvas, tip, calc, { rows: channels, cols: len }, cell, (c, t) => ({
    text: read(c, t),
    title: `channel ${c} step ${t} = ${formatValue(map.data[c * len + t])}`,
    explain: () => calc.explain([t], c, map.data[c * len + t]),
  }));
  return canvas;
}

/**
 * An `[n]` output as one strip of n cells (wrapped into rows when long), on
 * the maps' colour scale over the layer's range; the first UNIT_LIMIT cells,
 * then "Show all".
 */
function unitStrip(map: FeatureMap, tip: HTMLElement, halves?: number): HTMLElement[] {
  const n = map.width;
  const canvas = document.createElement('canvas');
  canvas.className = 'nn-fmx-units';
  canvas.style.imageRendering = 'pixelated';
  canvas.style.outline = '1px solid var(--vscode-panel-border, transparent)';
  canvas.style.marginTop = '4px';
  canvas.style.display = 'block';
  let layout: UnitStripLayout = unitStripLayout(n, false);
  const draw = () => {
    canvas.width = layout.perRow;
    canvas.height = layout.rows;
    canvas.style.width = `${layout.perRow * layout.cell}px`;
    canvas.style.height = `${layout.rows * layout.cell}px`;
    canvas.dataset.cells = String(layout.shown);
    if (layout.shown === 0) return;
    // Row-major: cell i is pixel i; the rest of the last row stays transparent.
    const pixels = new Uint8ClampedArray(layout.perRow * layout.rows * 4);
    fillSequential(map.data, 0, layout.shown, map.min[0], map.max[0], pixels);
    canvas.getContext('2d')?.putImageData(new ImageData(pixels, layout.perRow, layout.rows), 0, 0);
  };
  draw();
  const range = `${formatValue(map.min[0])} … ${formatValue(map.max[0])}`;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `${groupedPlural(n, 'unit')}, coloured over ${range}`);
  const read = (i: number | undefined) => (i === undefined ? `${groupedPlural(n, 'unit')} · ${range}` : `unit ${i}${directionOf(i, halves)} = ${formatValue(map.data[i])}\n${groupedPlural(n, 'unit')} · ${range}`);
  hover(canvas, tip, (x, y) => read(unitAt(layout, x, y)));
  // From the keyboard: the arrow keys move over the cells as drawn (rows of the strip), "Show all" included.
  canvas.tabIndex = 0;
  canvas.setAttribute('aria-description', 'arrow keys read the units');
  cellKeys(canvas, tip, {
    get rows() {
      return layout.rows;
    },
    get cols() {
      return layout.perRow;
    },
    text: (row, col) => {
      const i = row * layout.perRow + col;
      return read(i < layout.shown ? i : undefined);
    },
  });
  if (layout.hidden === 0) return [canvas];
  const more = button(`Show all ${n.toLocaleString('en-US')} units`, () => {
    layout = unitStripLayout(n, true);
    draw();
    more.remove();
  });
  return [canvas, more];
}

// ------------------------------------------------------------------ DOM helpers

function option(value: string, text: string, selected = false): HTMLElement {
  const o = document.createElement('vscode-option');
  o.setAttribute('value', value);
  if (selected) o.setAttribute('selected', '');
  o.textContent = text;
  return o;
}
