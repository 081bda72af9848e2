/**
 * The feature maps' "Training vs inference" panel of a `dropout` or
 * `batchnorm` layer (probes/trainModes.ts does the arithmetic), a closed
 * `details` under the layer's maps, computed when first opened:
 *
 * - dropout(p): the layer's input for the picked example, its output in
 *   training for one random mask (dropped values marked, kept ones × 1/(1 − p)),
 *   and its output at inference (the input, unchanged: the maps above); the
 *   share dropped against p, and a "New draw" button for another mask.
 * - batchnorm: the statistics of a batch (the picked example and a few like
 *   the model's training data) per channel beside the layer's moving mean
 *   and variance (trained, or the initial 0 and 1), γ and β, and for the
 *   picked example one channel's input and its output in each mode, checked
 *   against tf.layers in training and against the maps above at inference.
 *   The batch runs through every layer before this one: when that should
 *   take longer than `MODES_TIME_BUDGET_MS` (estimated from the MACs of those
 *   layers and the time of the maps' pass, probes/trainModes.ts `modesCost`),
 *   the panel says what it costs and runs it only on a button press. It runs
 *   a layer at a time (`modesBatchInput`), saying how far it is, with a Stop
 *   button; a newer model (`ctx.signal`) stops it too.
 *
 * DOM hooks (for tests): `details.nn-modes` (`data-op`), its summary
 * `summary.nn-modes-summary`, its body `div.nn-modes-body`. Dropout: the
 * counts `.nn-modes-dropped` (`data-dropped`, `data-total`, `data-rate`,
 * `data-scale`, `data-seed`), canvases `canvas.nn-modes-map` (`data-mode`:
 * input, training, inference; `data-dropped` on training ones), the button
 * `vscode-button.nn-modes-redraw`. Batchnorm: the table `table.nn-modes-stats`
 * (a `tr.nn-modes-channel` per channel, `data-channel`, `data-batch-mean`,
 * `data-batch-var`, `data-moving-mean`, `data-moving-var`, `aria-selected`),
 * its batch line `.nn-modes-batch` (`data-count`), the weights line
 * `.nn-modes-weights` (`data-kind`), maps `canvas.nn-modes-map`, the check
 * `.nn-modes-check` (`data-agrees`, `data-train-diff`, `data-infer-diff`);
 * the body's `data-automatic` (whether the batch ran as soon as the panel
 * opened), `data-macs`, `data-passes`, `data-estimated-ms` (its cost);
 * above the budget (or once stopped), the cost line `.nn-modes-cost` (`data-macs`,
 * `data-passes`, `data-estimated-ms`, `data-stopped`) and the button
 * `vscode-button.nn-modes-run`; while the batch runs (a layer at a time, the
 * inspector answering), `.nn-modes-running` with the line `.nn-modes-progress`
 * (`data-done`, `data-total`: layer applications done and in all) and
 * `vscode-button.nn-modes-stop`.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { groupedPlural, plural } from '../../extension/core/plural';
import { fillSequential, formatSigned, formatValue } from '../probes/colormap';
import type { FeatureMap } from '../probes/featureMaps';
import { cellKeys, hover } from '../probes/hover';
import type { InputPlan } from '../probes/input';
import {
  batchnormOutputs,
  channelStats,
  dropoutDraw,
  dropoutStats,
  modesBatchInput,
  modesCost,
  modesCostText,
  ModesStopped,
  readBatchnormLayer,
  tfTrainingOutput,
  toPlanes,
  type BatchnormParams,
  type ModesBatchInput,
} from '../probes/trainModes';
import { button, el, note, pixelCanvas } from '../dom';
import { UNIT_LIMIT, unitAt, unitStripLayout } from './featureMapsModel';
import type { ViewContext } from './types';

/** What a layer's panel needs from the feature maps' pass. */
export interface ModesSource {
  ctx: ViewContext;
  /** Node path of the dropout or batchnorm layer. */
  path: string;
  /** Its output for the picked example, at inference (the maps drawn above it). */
  map: FeatureMap;
  /** Its input for the picked example (`[1, …]`), kept from the pass; undefined once released. */
  input(): tfTypes.Tensor | undefined;
  /** "the output of conv2d(32, 3) (line 4)". */
  inputName: string;
  /** The model inputs of the pass (`[1, …]` each), for batchnorm's batch; undefined once released. */
  modelInputs(): tfTypes.Tensor[] | undefined;
  /** How the view feeds each model input. */
  plans: readonly InputPlan[];
  tip: HTMLElement;
  /** How long the pass that drew the maps took (ms): the batch's time is estimated from it. */
  passMs?: number;
}

/** Channels (of a `[h, w, c]` dropout) drawn side by side in each mode. */
const DROPOUT_CHANNELS = 4;
/** Rows of the batchnorm table before "Show all". */
const TABLE_ROWS = 16;
/** Longest side of one map, CSS pixels. */
const MAP_SIZE = 96;
/** Dropped values: a colour the sequential map never takes. */
const DROPPED: readonly [number, number, number] = [220, 20, 60];

/** The closed "Training vs inference" panel of a dropout or batchnorm layer; filled when first opened. */
export function modesPanel(src: ModesSource): HTMLElement {
  const node = src.ctx.built.nodeOf.get(src.path)!;
  const details = el('details', 'nn-modes');
  details.dataset.op = node.op;
  details.style.marginTop = '6px';
  const summary = el('summary', 'nn-modes-summary');
  summary.style.cursor = 'pointer';
  const gist = el(
    'span',
    'nn-modes-gist',
    node.op === 'dropout'
      ? ` · training drops each value with probability ${rateOf(src)}; inference keeps them all`
      : ' · training normalises by the batch’s statistics; inference by the moving averages',
  );
  gist.style.color = 'var(--vscode-descriptionForeground)';
  summary.append('Training vs inference', gist);
  const body = el('div', 'nn-modes-body');
  body.style.display = 'flex';
  body.style.flexDirection = 'column';
  body.style.gap = '6px';
  body.style.margin = '6px 0 0 14px';
  details.append(summary, body);
  details.addEventListener('toggle', () => {
    if (!details.open || body.childElementCount > 0) return;
    guarded(body, () => (node.op === 'dropout' ? dropoutBody(src, body) : batchnormBody(src, body)));
  });
  return details;
}

/** Runs `fill`; what it throws replaces the panel's body with the error. */
function guarded(body: HTMLElement, fill: () => void): void {
  try {
    fill();
  } catch (e) {
    failed(body, e);
  }
}

/** Replaces the panel's body with the error `e`. */
function failed(body: HTMLElement, e: unknown): void {
  body.replaceChildren(note(`Could not compare the two modes: ${e instanceof Error ? e.message : String(e)}`, 'nn-message nn-message-error'));
}

function rateOf(src: ModesSource): number {
  const rate = src.ctx.built.nodeOf.get(src.path)?.args.rate;
  return typeof rate === 'number' ? rate : 0;
}

function percent(share: number): string {
  return `${Number((share * 100).toFixed(1))} %`;
}

function line(className: string, text: string): HTMLElement {
  const p = el('div', `nn-modes-line ${className}`, text);
  p.style.margin = '0';
  return p;
}

// ------------------------------------------------------------------ dropout

function dropoutBody(src: ModesSource, body: HTMLElement): void {
  const rate = rateOf(src);
  const scale = 1 / (1 - rate);
  body.append(
    line(
      'nn-modes-rule',
      `In training each value is dropped (set to 0) with probability p = ${rate}, and the values kept are multiplied by 1/(1 − p) = ${formatValue(scale)} ` +
        `(inverted dropout, as TensorFlow, Keras and PyTorch do it), so that each value keeps its expected size. At inference dropout does nothing: ` +
        `its output is its input (the original paper instead multiplied by 1 − p at inference).`,
    ),
    line('nn-modes-from', `Input: ${src.inputName} for this example, as at inference. Each training step draws a new mask.`),
  );
  const counts = line('nn-modes-dropped', '');
  const redraw = document.createElement('vscode-button');
  redraw.className = 'nn-modes-redraw';
  redraw.textContent = 'New draw';
  redraw.setAttribute('secondary', '');
  redraw.title = 'Draw another random mask, as the next training step would';
  const controls = el('div', 'nn-modes-controls');
  controls.style.display = 'flex';
  controls.style.gap = '10px';
  controls.style.alignItems = 'center';
  controls.append(redraw, counts);
  const figures = el('div', 'nn-modes-figures');
  body.append(controls, figures);
  let seed = 1;
  const paint = () => {
    const input = src.input();
    if (!input || input.isDisposed) {
      figures.replaceChildren(note('The input of this layer is no longer held: pick the image again.', 'nn-note'));
      return;
    }
    const draw = dropoutDraw(src.ctx.tf, input, rate, seed);
    const stats = dropoutStats(draw);
    Object.assign(counts.dataset, {
      dropped: String(stats.dropped),
      total: String(stats.total),
      rate: String(rate),
      scale: String(scale),
      seed: String(seed),
    });
    const ratio = Number.isNaN(stats.sumRatio) ? '' : ` · Σ output / Σ input = ${formatValue(stats.sumRatio)} (1 on average over draws)`;
    counts.textContent =
      `Draw ${seed}: dropped ${groupedPlural(stats.dropped, 'value')} of ${stats.total.toLocaleString('en-US')} = ${percent(stats.fraction)}; ` +
      `p = ${percent(rate)} (a draw of ${stats.total.toLocaleString('en-US')} varies by about ±${percent(stats.spread)})${ratio}`;
    figures.replaceChildren(...dropoutFigures(src, draw.shape, draw.input, draw.output, draw.multiplier, scale));
  };
  redraw.addEventListener('click', () => {
    seed++;
    paint();
  });
  paint();
}

/** The input, the training output (dropped values marked) and the inference output, each as the layer's maps are drawn. */
function dropoutFigures(src: ModesSource, shape: number[], input: Float32Array, output: Float32Array, multiplier: Float32Array, scale: number): HTMLElement[] {
  const inP = toPlanes(input, shape);
  const outP = toPlanes(output, shape);
  const mulP = toPlanes(multiplier, shape);
  // The inference output is the layer's own map from the pass (its identity shows as the same picture as the input).
  const infer = src.map.data;
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of [inP.planes, outP.planes, infer]) {
    for (const v of a) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const range = `colours over ${formatValue(lo)} … ${formatValue(hi)}, shared by the three`;
  const kindOf = src.map.kind;
  const dropped = (i: number) => mulP.planes[i] === 0;
  const read = (i: number, where: string) => {
    const x = inP.planes[i];
    return `${where}\ninput ${formatValue(x)}\ntraining: ${dropped(i) ? 'dropped → 0' : `kept × ${formatValue(scale)} = ${formatValue(outP.planes[i])}`}\ninference: ${formatValue(infer[i])} (unchanged)`;
  };
  const rows: [string, string, Float32Array, boolean][] = [
    ['input', 'Input', inP.planes, false],
    ['training', `Training: dropped values marked ■, the rest × ${formatValue(scale)}`, outP.planes, true],
    ['inference', 'Inference: the input, unchanged', infer, false],
  ];
  const out = rows.map(([mode, caption, values, marks]) => {
    const fig = el('figure', 'nn-modes-figure');
    fig.style.margin = '0';
    const cap = el('figcaption', 'nn-modes-caption', caption);
    cap.style.color = 'var(--vscode-descriptionForeground)';
    if (marks) {
      const swatch = el('span', 'nn-modes-swatch', '■');
      swatch.style.color = `rgb(${DROPPED.join(', ')})`;
      cap.replaceChildren(`Training: dropped values marked `, swatch, `, the rest × ${formatValue(scale)}`);
    }
    const row = el('div', 'nn-modes-row');
    row.style.display = 'flex';
    row.style.flexWrap = 'wrap';
    row.style.gap = '4px';
    const mark = marks ? dropped : undefined;
    if (kindOf === 'grid') {
      const plane = inP.height * inP.width;
      for (let c = 0; c < Math.min(inP.channels, DROPOUT_CHANNELS); c++) {
        const canvas = planeCanvas(values, c * plane, inP.height, inP.width, lo, hi, mark, mode);
        canvas.dataset.channel = String(c);
        const at = (r: number, q: number) => read(c * plane + r * inP.width + q, `channel ${c} (${r}, ${q})`);
        hover(canvas, src.tip, (x, y) => at(Math.min(inP.height - 1, Math.floor(y * inP.height)), Math.min(inP.width - 1, Math.floor(x * inP.width))));
        keyboardCells(canvas, src.tip, inP.height, inP.width, at);
        row.append(canvas);
      }
      if (inP.channels > DROPOUT_CHANNELS) row.append(el('span', 'nn-modes-more', `channels 0–${DROPOUT_CHANNELS - 1} of ${inP.channels}`));
    } else if (kindOf === 'strip') {
      // One row per channel, one column per step, as the layer's strip.
      const canvas = planeCanvas(values, 0, inP.channels, inP.width, lo, hi, mark, mode);
      // Sized as the layer's own strip above (featureMaps.ts stripCanvas).
      canvas.style.width = `${Math.min(512, Math.max(inP.width * 4, 200))}px`;
      canvas.style.height = `${inP.channels * Math.max(1, Math.min(8, Math.floor(160 / inP.channels)))}px`;
      const at = (c: number, t: number) => read(c * inP.width + t, `channel ${c} step ${t}`);
      hover(canvas, src.tip, (x, y) => at(Math.min(inP.channels - 1, Math.floor(y * inP.channels)), Math.min(inP.width - 1, Math.floor(x * inP.width))));
      keyboardCells(canvas, src.tip, inP.channels, inP.width, at);
      row.append(canvas);
    } else {
      const layout = unitStripLayout(inP.width, false, { maxWidth: 512 });
      const canvas = pixelCanvas('nn-modes-map', layout.perRow, layout.rows, layout.cell);
      canvas.dataset.mode = mode;
      paintCells(canvas, values, 0, layout.shown, lo, hi, mark);
      if (mark) canvas.dataset.dropped = String(countMarks(layout.shown, 0, mark));
      const at = (i: number | undefined) => (i === undefined ? `${groupedPlural(inP.width, 'unit')}` : read(i, `unit ${i}`));
      hover(canvas, src.tip, (x, y) => at(unitAt(layout, x, y)));
      keyboardCells(canvas, src.tip, layout.rows, layout.perRow, (r, c) => at(r * layout.perRow + c < layout.shown ? r * layout.perRow + c : undefined));
      row.append(canvas);
      if (layout.hidden > 0) row.append(el('span', 'nn-modes-more', `units 0–${UNIT_LIMIT - 1} of ${inP.width.toLocaleString('en-US')}`));
    }
    fig.append(cap, row);
    return fig;
  });
  return [...out, line('nn-modes-range', range)];
}

/** A map the keyboard reads too: it takes focus, and the arrow keys move a cursor cell over it (probes/hover.ts `cellKeys`). */
function keyboardCells(canvas: HTMLCanvasElement, tip: HTMLElement, rows: number, cols: number, text: (row: number, col: number) => string | Node): void {
  canvas.tabIndex = 0;
  canvas.setAttribute('aria-description', 'arrow keys read the values');
  cellKeys(canvas, tip, { rows, cols, text });
}

function countMarks(count: number, offset: number, mark: (i: number) => boolean): number {
  let n = 0;
  for (let i = 0; i < count; i++) if (mark(offset + i)) n++;
  return n;
}

/** `height × width` values from `values[offset]` as a pixel canvas on [lo, hi]; `mark`ed values in the DROPPED colour. */
function planeCanvas(values: ArrayLike<number>, offset: number, height: number, width: number, lo: number, hi: number, mark: ((i: number) => boolean) | undefined, mode: string): HTMLCanvasElement {
  const scale = Math.max(1, Math.floor(MAP_SIZE / Math.max(height, width)));
  const canvas = pixelCanvas('nn-modes-map', width, height, Math.max(scale, height === 1 ? 4 : 1));
  canvas.style.maxWidth = '100%';
  if (height < 4) canvas.style.height = `${Math.max(8, height * scale)}px`;
  canvas.style.outline = '1px solid var(--vscode-panel-border, transparent)';
  canvas.dataset.mode = mode;
  paintCells(canvas, values, offset, height * width, lo, hi, mark);
  if (mark) canvas.dataset.dropped = String(countMarks(height * width, offset, mark));
  return canvas;
}

function paintCells(canvas: HTMLCanvasElement, values: ArrayLike<number>, offset: number, count: number, lo: number, hi: number, mark?: (i: number) => boolean): void {
  const pixels = new Uint8ClampedArray(canvas.width * canvas.height * 4);
  fillSequential(values, offset, count, lo, hi, pixels);
  if (mark) {
    for (let i = 0; i < count; i++) {
      if (!mark(offset + i)) continue;
      pixels.set([...DROPPED, 255], i * 4);
    }
  }
  canvas.getContext('2d')?.putImageData(new ImageData(pixels, canvas.width, canvas.height), 0, 0);
}

// ------------------------------------------------------------------ batchnorm

function batchnormBody(src: ModesSource, body: HTMLElement): void {
  const { ctx } = src;
  const params = readBatchnormLayer(ctx.tf, ctx.built, src.path);
  const layer = ctx.built.layerOf.get(src.path);
  if (!params || !layer) {
    body.append(note('The weights of this batchnorm layer could not be read.', 'nn-note'));
    return;
  }
  body.append(
    line(
      'nn-modes-rule',
      `For each channel c: y = γ · (x − μ) / √(σ² + ε) + β, ε = ${params.epsilon} (ε inside the square root, as TensorFlow and PyTorch compute it). In training μ and σ² are the mean and variance of the channel over the batch ` +
        `(every example and position); at inference they are the moving averages the layer keeps (momentum ${params.momentum}: after each training batch, moving ← ${params.momentum} · moving + ${formatValue(1 - params.momentum)} · batch).`,
    ),
  );
  const weights = line('nn-modes-weights', '');
  const w = ctx.weights;
  // Said from the values the layer holds: the initial ones are moving mean 0, variance 1, γ 1, β 0.
  const initial = [...params.movingMean, ...params.beta].every((v) => v === 0) && [...params.movingVariance, ...params.gamma].every((v) => v === 1);
  weights.dataset.kind = w?.kind === 'trained' ? 'trained' : initial ? 'initial' : 'other';
  weights.textContent =
    w?.kind === 'trained'
      ? `Moving averages, γ and β: trained (epoch ${w.epoch}).`
      : initial
        ? `Initial weights (never trained): moving mean 0 and variance 1, γ = 1, β = 0, so at inference this layer only divides by √(1 + ε) = ${Math.sqrt(1 + params.epsilon).toPrecision(6)}; train the model (or load weights) to see the moving averages it learns.`
        : 'Moving averages, γ and β: as the layer holds them now.';
  body.append(weights);
  const cost = modesCost(ctx.built, src.path, { dims: ctx.dims, passMs: src.passMs });
  // Which way the panel went (run at once, or the offer), and why: the estimate depends on how fast the maps' pass was here.
  if (cost) Object.assign(body.dataset, { automatic: String(cost.automatic), macs: String(cost.total), passes: String(cost.passes), estimatedMs: cost.estimatedMs === undefined ? '' : String(cost.estimatedMs) });
  // A batch runs through every layer before this one (ResNet-18's last batchnorm: 8 times the maps' pass), a layer at a
  // time: the inspector answers in between, the panel says how far it is, and Stop (or a newer model) ends it.
  const runBatch = () => {
    const stop = new AbortController();
    const superseded = () => stop.abort();
    if (ctx.signal.aborted) stop.abort();
    else ctx.signal.addEventListener('abort', superseded, { once: true });
    const running = el('div', 'nn-modes-running');
    running.style.display = 'flex';
    running.style.gap = '10px';
    running.style.alignItems = 'center';
    const progress = line('nn-modes-progress', 'Running a batch through the layers before this one…');
    const bar = el('progress', 'nn-modes-bar');
    bar.style.width = '120px';
    const stopButton = button('Stop', () => stop.abort(), { className: 'nn-modes-stop', title: 'Stop the batch (nothing is kept): the button to run it comes back' });
    running.append(bar, progress, stopButton);
    body.append(running);
    const batchOf = cost?.batch;
    const onProgress = (done: number, total: number, part?: { example: number; of: number }) => {
      // The maps were drawn again (another image, every layer): this panel is gone, its batch is of no use.
      if (!body.isConnected) stop.abort();
      Object.assign(progress.dataset, { done: String(done), total: String(total) });
      bar.max = total;
      bar.value = done + (part ? part.example / part.of : 0);
      const where = part ? `layer ${done + 1} of ${total}, example ${part.example} of ${part.of}` : `layer ${done} of ${total}`;
      progress.textContent = `Running ${batchOf === undefined ? 'the batch' : plural(batchOf, 'example')} through the layers before this one: ${where}…`;
    };
    void (async () => {
      let read: ModesBatchInput | string;
      try {
        read = await modesBatchInput(ctx.tf, ctx.built, src.path, src.modelInputs(), src.plans, ctx.trainData?.kind, { signal: stop.signal, onProgress });
      } catch (e) {
        running.remove();
        // Stopped: back to the offer; superseded (a newer model): the view is being replaced, nothing to show.
        if (!(e instanceof ModesStopped)) failed(body, e);
        else if (!ctx.signal.aborted) offer(true);
        return;
      } finally {
        ctx.signal.removeEventListener('abort', superseded);
      }
      running.remove();
      if (typeof read === 'string') {
        body.append(note(`Training mode: ${read}.`, 'nn-note'));
        return;
      }
      const batch = read;
      try {
        guarded(body, () => batchnormCompare(src, body, params, layer, batch));
      } finally {
        batch.tensor.dispose();
      }
    })();
  };
  // Too long to run unasked, or stopped: what it costs, and a button.
  const offer = (stopped: boolean) => {
    const costLine = line(
      'nn-modes-cost',
      `${stopped ? 'Stopped. ' : ''}Training mode needs the statistics of a batch${cost ? `: ${modesCostText(cost)}` : ''}. ` +
        'It runs a layer at a time: the inspector answers meanwhile, and Stop ends it.',
    );
    if (cost) Object.assign(costLine.dataset, { macs: String(cost.total), passes: String(cost.passes), estimatedMs: cost.estimatedMs === undefined ? '' : String(cost.estimatedMs) });
    costLine.dataset.stopped = String(stopped);
    const run = button(
      'Run the batch',
      () => {
        costLine.remove();
        run.remove();
        runBatch();
      },
      { className: 'nn-modes-run', title: `Run ${cost ? plural(cost.batch, 'example') : 'a batch'} through the layers before this one, and compare the two modes` },
    );
    run.style.alignSelf = 'flex-start';
    body.append(costLine, run);
  };
  if (!cost || cost.automatic) runBatch();
  else offer(false);
}

function batchnormCompare(
  src: ModesSource,
  body: HTMLElement,
  params: BatchnormParams,
  layer: InstanceType<ViewContext['tf']['layers']['Layer']>,
  batch: ModesBatchInput,
): void {
  const { ctx } = src;
  const C = params.channels;
  const stats = channelStats(batch.data, C);
  const perExample = batch.data.length / batch.count;
  const example = batch.data.subarray(0, perExample);
  const modes = batchnormOutputs(params, stats, example);
  const positions = perExample / C;
  const batchLine = line(
    'nn-modes-batch',
    `Batch: this example and ${batch.others} (${plural(batch.count, 'example')}); input ${src.inputName}. ` +
      `Each channel’s μ and σ² are over ${groupedPlural(stats.count, 'value')} (${batch.count} × ${groupedPlural(positions, 'position')}); σ² divides by n.`,
  );
  batchLine.dataset.count = String(batch.count);
  body.append(batchLine);

  // The check: tf.layers in training (a copy of the layer, so the model's moving averages stay) and the maps above at inference.
  const tfTrain = tfTrainingOutput(ctx.tf, layer, batch.tensor);
  const mapInfer = toPlanes(modes.inference, shapeOf(src.map));
  const trainPlanes = toPlanes(modes.training, shapeOf(src.map)).planes;
  const tfPlanes = toPlanes(tfTrain.output, shapeOf(src.map)).planes;
  let trainDiff = 0;
  let inferDiff = 0;
  let scale = 1;
  for (let i = 0; i < trainPlanes.length; i++) {
    trainDiff = Math.max(trainDiff, Math.abs(trainPlanes[i] - tfPlanes[i]));
    inferDiff = Math.max(inferDiff, Math.abs(mapInfer.planes[i] - src.map.data[i]));
    scale = Math.max(scale, Math.abs(tfPlanes[i]), Math.abs(src.map.data[i]));
  }
  const ok = trainDiff <= 1e-3 * scale && inferDiff <= 1e-3 * scale;

  // Per channel: the batch's statistics beside the moving averages.
  const table = el('table', 'nn-modes-stats');
  table.style.borderCollapse = 'collapse';
  table.style.fontVariantNumeric = 'tabular-nums';
  const head = el('tr', 'nn-modes-head');
  for (const h of ['channel', 'batch μ', 'batch σ²', 'moving μ', 'moving σ²', 'γ', 'β', 'max |training − inference|']) {
    const th = el('th', '', h);
    th.style.textAlign = 'right';
    th.style.padding = '0 8px';
    th.style.fontWeight = '600';
    head.append(th);
  }
  table.append(head);
  const maps = el('div', 'nn-modes-figures');
  let selected = 0;
  const rows: HTMLTableRowElement[] = [];
  const select = (c: number) => {
    selected = c;
    for (const r of rows) r.setAttribute('aria-selected', String(Number(r.dataset.channel) === c));
    for (const r of rows) r.style.background = Number(r.dataset.channel) === c ? 'var(--vscode-list-inactiveSelectionBackground)' : '';
    maps.replaceChildren(...channelFigures(src, params, stats, modes.training, modes.inference, example, selected, tfTrain));
  };
  const addRows = (from: number, to: number) => {
    for (let c = from; c < to; c++) {
      const tr = el('tr', 'nn-modes-channel');
      tr.dataset.channel = String(c);
      tr.dataset.batchMean = String(stats.mean[c]);
      tr.dataset.batchVar = String(stats.variance[c]);
      tr.dataset.movingMean = String(params.movingMean[c]);
      tr.dataset.movingVar = String(params.movingVariance[c]);
      tr.tabIndex = 0;
      tr.style.cursor = 'pointer';
      tr.title = `Show channel ${c}’s input and outputs below`;
      for (const text of [String(c), ...[stats.mean[c], stats.variance[c], params.movingMean[c], params.movingVariance[c], params.gamma[c], params.beta[c], modes.maxDiff[c]].map(formatValue)]) {
        const td = el('td', '', text);
        td.style.textAlign = 'right';
        td.style.padding = '0 8px';
        tr.append(td);
      }
      tr.addEventListener('click', () => select(c));
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          select(c);
        }
      });
      rows.push(tr);
      table.append(tr);
    }
  };
  const shown = Math.min(C, TABLE_ROWS);
  addRows(0, shown);
  const tableBox = el('div', 'nn-modes-tablebox');
  tableBox.style.overflowX = 'auto';
  tableBox.append(table);
  body.append(tableBox);
  if (shown < C) {
    const more = button(`Show all ${C} channels`, () => {
      addRows(shown, C);
      select(selected);
      more.remove();
    });
    more.style.alignSelf = 'flex-start';
    body.append(more);
  }
  const check = line('nn-modes-check', '');
  check.dataset.agrees = String(ok);
  check.dataset.trainDiff = String(trainDiff);
  check.dataset.inferDiff = String(inferDiff);
  const backend = ctx.backend === 'wasm' ? 'WASM' : ctx.backend === 'webgl' ? 'WebGL' : ctx.backend.toUpperCase();
  check.textContent = ok
    ? `✓ as computed by TensorFlow.js (${backend}): training mode as tf.layers computes it on this batch (a copy of the layer: the model’s moving averages are not updated), inference as the maps above (largest differences ${formatValue(trainDiff)}, ${formatValue(inferDiff)})`
    : `✗ TensorFlow.js (${backend}) differs: by ${formatValue(trainDiff)} in training, ${formatValue(inferDiff)} at inference`;
  body.append(maps, check);
  select(0);
}

function shapeOf(map: FeatureMap): number[] {
  return map.kind === 'grid' ? [map.height, map.width, map.channels] : map.kind === 'strip' ? [map.width, map.channels] : [map.width];
}

/** The picked example's channel `c`: its input, its output in training and at inference (the two outputs on one colour scale). */
function channelFigures(
  src: ModesSource,
  params: BatchnormParams,
  stats: ReturnType<typeof channelStats>,
  training: Float64Array,
  inference: Float64Array,
  example: Float32Array,
  c: number,
  tfTrain: { movingMean: Float32Array; movingVariance: Float32Array },
): HTMLElement[] {
  const C = params.channels;
  const units = src.map.kind === 'units';
  // `[n]` outputs: every unit is a channel of one value; all of them are drawn.
  const pick = (a: ArrayLike<number>) => (units ? Float64Array.from(a as ArrayLike<number>) : Float64Array.from({ length: a.length / C }, (_, p) => a[p * C + c]));
  const x = pick(example);
  const yt = pick(training);
  const yi = pick(inference);
  const [height, width] = src.map.kind === 'grid' ? [src.map.height, src.map.width] : [1, x.length];
  const range = (a: Float64Array[]) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of a) for (const t of v) [lo, hi] = [Math.min(lo, t), Math.max(hi, t)];
    return [lo, hi] as const;
  };
  const [xlo, xhi] = range([x]);
  const [ylo, yhi] = range([yt, yi]);
  const ch = (i: number) => (units ? i : c);
  // A negative number in brackets where it follows an operator: "x − (−0.03)".
  const term = (v: number) => (v < 0 ? `(${formatSigned(v)})` : formatValue(v));
  const formula = (i: number, mean: number, variance: number) =>
    `${formatSigned(params.gamma[ch(i)])} · (${formatSigned(x[i])} − ${term(mean)}) / √(${formatValue(variance)} + ${params.epsilon}) + ${term(params.beta[ch(i)])}`;
  const read = (i: number, where: string) => {
    const k = ch(i);
    return (
      `${where}\ninput x = ${formatValue(x[i])}\n` +
      `training: ${formula(i, stats.mean[k], stats.variance[k])} = ${formatValue(yt[i])}\n` +
      `inference: ${formula(i, params.movingMean[k], params.movingVariance[k])} = ${formatValue(yi[i])}`
    );
  };
  const where = (i: number) => (units ? `unit ${i}` : src.map.kind === 'grid' ? `channel ${c} (${Math.floor(i / width)}, ${i % width})` : `channel ${c} step ${i}`);
  const figure = (mode: string, caption: string, values: Float64Array, lo: number, hi: number) => {
    const fig = el('figure', 'nn-modes-figure');
    fig.style.margin = '0';
    const cap = el('figcaption', 'nn-modes-caption', caption);
    cap.style.color = 'var(--vscode-descriptionForeground)';
    let canvas: HTMLCanvasElement;
    if (units) {
      const layout = unitStripLayout(values.length, false, { maxWidth: 512 });
      canvas = pixelCanvas('nn-modes-map', layout.perRow, layout.rows, layout.cell);
      canvas.dataset.mode = mode;
      paintCells(canvas, values, 0, layout.shown, lo, hi);
      const at = (i: number | undefined) => (i === undefined ? groupedPlural(values.length, 'unit') : read(i, where(i)));
      hover(canvas, src.tip, (px, py) => at(unitAt(layout, px, py)));
      keyboardCells(canvas, src.tip, layout.rows, layout.perRow, (r, col) => at(r * layout.perRow + col < layout.shown ? r * layout.perRow + col : undefined));
    } else {
      canvas = planeCanvas(values, 0, height, width, lo, hi, undefined, mode);
      const at = (r: number, col: number) => read(r * width + col, where(r * width + col));
      hover(canvas, src.tip, (px, py) => at(Math.min(height - 1, Math.floor(py * height)), Math.min(width - 1, Math.floor(px * width))));
      keyboardCells(canvas, src.tip, height, width, at);
    }
    canvas.dataset.channel = String(c);
    // Maps side by side: a caption wraps under its map instead of widening it.
    if (src.map.kind === 'grid') fig.style.maxWidth = `${Math.max(160, parseFloat(canvas.style.width) || 0)}px`;
    fig.append(cap, canvas);
    return fig;
  };
  const row = el('div', 'nn-modes-row');
  row.style.display = 'flex';
  row.style.flexWrap = 'wrap';
  row.style.gap = '10px';
  const k = c;
  const what = units ? 'every unit (each its own channel)' : `channel ${c}`;
  row.append(
    figure('input', `Input, ${what}: ${formatValue(xlo)} … ${formatValue(xhi)}`, x, xlo, xhi),
    figure('training', units ? 'Training (batch μ, σ²)' : `Training: μ = ${formatValue(stats.mean[k])}, σ² = ${formatValue(stats.variance[k])} (this batch)`, yt, ylo, yhi),
    figure('inference', units ? 'Inference (moving μ, σ²)' : `Inference: μ = ${formatValue(params.movingMean[k])}, σ² = ${formatValue(params.movingVariance[k])} (moving)`, yi, ylo, yhi),
  );
  const notes = [
    line('nn-modes-range', `The two outputs share one colour scale, ${formatValue(ylo)} … ${formatValue(yhi)}. Hover a value for both computations.`),
  ];
  if (!units) {
    notes.push(
      line(
        'nn-modes-update',
        `One training step on this batch would move channel ${c}’s moving mean ${formatValue(params.movingMean[k])} → ${formatValue(tfTrain.movingMean[k])} and its moving variance ${formatValue(params.movingVariance[k])} → ${formatValue(tfTrain.movingVariance[k])}.`,
      ),
    );
  }
  return [row, ...notes];
}
