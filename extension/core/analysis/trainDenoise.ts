/**
 * How a `loss: denoise(...)` train section fits its model: a diffusion
 * model takes a noisy example and its step, and predicts the noise.
 *
 * The inputs are told apart by shape, not by order: the one of shape [1]
 * (`int[1]` or `[1]`) gets the step t, the other the noisy image, which must
 * have the data's example shape; the output has the image's shape (the
 * predicted noise, runtime/diffusion.ts).
 */
import type { Expr, Range, SourceFile, TrainDecl } from '../syntax/ast';
import { removeFromChain } from './lints';
import { shapeToString, type Shape } from './sym';
import type { ModelInfo, TrainConfig } from './types';
import { DATA_SOURCES, type Err } from './train';

/** The data sources that give images, the only data a denoiser learns from. */
const IMAGE_SOURCES = ['digits', 'shapes', 'images'] as const;

/** Metrics that mean something for a noise predictor: `mae` of the predicted noise. */
const DENOISE_METRICS = ['mae'] as const;

/** Whether `s` is the step's shape: exactly [1], int or float. */
function isStepShape(s: Shape): boolean {
  return s.dims.length === 1 && s.dims[0].isConst() && s.dims[0].value === 1;
}

/** Whether every fixed dimension of `declared` equals `ex` (symbolic ones take any size, as the usual data check). */
function sameShape(ex: Shape, declared: Shape): boolean {
  return ex.dims.length === declared.dims.length && ex.dims.every((d, i) => !declared.dims[i].isConst() || declared.dims[i].equals(d));
}

/** Checks the model and the data of a `loss: denoise` section. */
export function checkDenoise(item: TrainDecl, config: TrainConfig, model: ModelInfo, err: Err, file?: SourceFile): void {
  const entry = (k: string) => item.entries.find((e) => e.key.name === k);
  const lossAt = entry('loss')?.value.range ?? item.name.range;
  const dataAt = entry('data')?.value.range ?? item.name.range;
  const inputAt = (i: number, message: string) => ({ message, range: model.inputs[i].range, uri: model.uri });

  checkMetrics(item, config, err);

  const names = model.inputs.map((i) => `'${i.name}' ${shapeToString(i.shape)}`).join(', ');
  if (model.inputs.length !== 2) {
    err(
      'train.denoise_inputs',
      `loss: denoise trains a model with two inputs, the noisy image and its step t (\`input t: int[1]\`), but '${model.name}' has ${model.inputs.length}${names ? `: ${names}` : ''}.`,
      lossAt,
      undefined,
      { related: model.inputs.map((_, i) => inputAt(i, `input '${model.inputs[i].name}'`)) },
    );
    return;
  }
  const steps = model.inputs.map((i) => isStepShape(i.shape));
  if (steps[0] === steps[1]) {
    err(
      'train.denoise_inputs',
      steps[0]
        ? `both inputs of '${model.name}' have shape [1]; loss: denoise needs one for the step t and one for the image (e.g. \`input noisy: [28, 28, 1]\`).`
        : `loss: denoise tells the inputs apart by shape: one of shape [1] gets the step t, but '${model.name}' takes ${names}; declare the step as \`input t: int[1]\`.`,
      lossAt,
      undefined,
      { related: [inputAt(0, 'first input'), inputAt(1, 'second input')] },
    );
    return;
  }
  const image = steps[0] ? 1 : 0;
  const img = model.inputs[image];
  if (img.shape.isInt) {
    err('train.denoise_inputs', `the image input '${img.name}' of '${model.name}' is ${shapeToString(img.shape)}: noisy images are numbers, not ints; declare it without int.`, img.range);
    return;
  }

  const data = config.data;
  if (data) {
    if (!(IMAGE_SOURCES as readonly string[]).includes(data.kind)) {
      err('train.denoise_data', `loss: denoise learns to generate images; ${data.kind} does not give images. Use digits(...), shapes(...) or images("folder").`, dataAt);
      return;
    }
    const spec = DATA_SOURCES.find((d) => d.name === data.kind);
    const ex = spec?.example?.(data.options);
    if (ex && !sameShape(ex, img.shape)) {
      const hint = imageHint(item, data.kind, img.shape);
      err(
        'train.data_shape',
        `${data.kind} gives images of ${shapeToString(ex)}, but the image input '${img.name}' of '${model.name}' takes ${shapeToString(img.shape)}.${hint.text}`,
        hint.fix?.[0].edits[0].range ?? dataAt,
        hint.fix,
        { related: [inputAt(image, `the image input (the other one, [1], is the step)`)] },
      );
      return;
    }
  }

  const out = model.outputs[0];
  if (out && !sameShape(img.shape, out.shape)) {
    err(
      'train.denoise_output',
      `a denoiser predicts the noise added to its image, so its output has the image's shape ${shapeToString(img.shape)}, but '${model.name}' outputs ${shapeToString(out.shape)}; end with a layer that gives ${shapeToString(img.shape)}, e.g. conv2d(${channels(img.shape)}, 3, padding = same), with no activation.`,
      lossAt,
      undefined,
      { related: [{ message: `the output, ${shapeToString(out.shape)}`, range: out.range, uri: model.uri }] },
    );
    return;
  }
  // The predicted noise, drawn from N(0, 1), takes any value: an activation at the end bounds it.
  const last = out ? model.graph.nodes.find((n) => n.id === out.nodeId) : undefined;
  const bound = last?.kind === 'layer' ? (BOUNDING[last.op] ?? (typeof last.args.activation === 'string' ? BOUNDING[last.args.activation] : undefined)) : undefined;
  if (last?.kind === 'layer' && bound && (last.uri === undefined || last.uri === model.uri)) {
    const fix = file && last.op in BOUNDING ? removeFromChain(file.text, last, `Remove ${last.label}`, model.graph, file) : undefined;
    err(
      'train.denoise_activation',
      `a denoiser predicts the noise added to its image, drawn from N(0, 1) (about a third of it outside [-1, 1]), but '${model.name}' ends with ${last.label}, which keeps its output ${bound}: the noise cannot be matched and the samples stay blurred. End with no activation (a plain conv2d).`,
      last.range,
      fix ? [fix] : undefined,
      { severity: 'warning' },
    );
  }
}

/** Activations that bound their output, and the bounds they keep it in. */
const BOUNDING: Readonly<Record<string, string>> = {
  sigmoid: 'in [0, 1]',
  tanh: 'in [-1, 1]',
  softmax: 'in [0, 1]',
  relu: 'at 0 or above',
  hard_sigmoid: 'in [0, 1]',
};

/** `metrics` that make no sense for a noise predictor (there are no classes): warned, and not computed. */
function checkMetrics(item: TrainDecl, config: TrainConfig, err: Err): void {
  const v = item.entries.find((e) => e.key.name === 'metrics')?.value;
  if (!v) return;
  const items: Expr[] = v.kind === 'list' ? v.items : [v];
  for (const it of items) {
    const w = it.kind === 'name' ? it.name : it.kind === 'string' ? it.value : undefined;
    if (!w || (DENOISE_METRICS as readonly string[]).includes(w) || !config.metrics.includes(w)) continue;
    err(
      'train.denoise_metric',
      `${w} makes no sense for loss: denoise: the model predicts noise, not classes. The only metric here is mae (the mean absolute error of the predicted noise); remove ${w}.`,
      it.range,
      undefined,
      { severity: 'warning' },
    );
  }
}

function channels(s: Shape): string {
  return s.dims[s.dims.length - 1]?.toString() ?? 'c';
}

/** What to write in `data:` for an image input of shape `want`, with a fix when the option is written. */
function imageHint(item: TrainDecl, kind: string, want: Shape): { text: string; fix?: { title: string; edits: { range: Range; newText: string }[]; preferred: boolean }[] } {
  const [h, w, c] = want.dims.map((d) => d.value);
  if (want.dims.length !== 3 || h === undefined || w === undefined || c === undefined) {
    return { text: ' A denoiser of images takes [height, width, channels].' };
  }
  const written = (name: string) => {
    const v = item.entries.find((e) => e.key.name === 'data')?.value;
    return v?.kind === 'call' ? v.args.find((a) => a.name?.name === name)?.value : undefined;
  };
  const fixFor = (name: string, text: string) => {
    const at = written(name);
    return at ? [{ title: `Change to ${name} = ${text}`, edits: [{ range: at.range, newText: text }], preferred: true }] : undefined;
  };
  if (kind === 'digits' || kind === 'shapes') {
    const own = kind === 'digits' ? 1 : 3;
    if (h === w && c === own) return { text: ` Use ${kind}(size = ${h}).`, fix: fixFor('size', String(h)) };
    const other = kind === 'digits' ? 'shapes' : 'digits';
    if (h === w && c === 4 - own) return { text: ` ${kind} has ${own} channel${own > 1 ? 's' : ''}; use ${other}(size = ${h}), or an input of [${h}, ${w}, ${own}].` };
    return { text: ` ${kind} gives square images with ${own} channel${own > 1 ? 's' : ''}, e.g. [${h}, ${h}, ${own}].` };
  }
  if (c === 1 || c === 3) return { text: ` Use images("...", size = [${h}, ${w}]${c === 1 ? ', grayscale = true' : ''}).` };
  return { text: ' images(...) gives 1 (grayscale) or 3 channels.' };
}
