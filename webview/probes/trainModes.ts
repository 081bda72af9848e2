/**
 * Training vs inference for the two layers that behave differently in
 * each, as the course notes teach them (no DOM; runs in the webview and in
 * Node tests, test/unit/train-modes.test.ts):
 *
 * - `dropout(p)`: in training each value is zeroed with probability p and
 *   the rest are scaled by 1 / (1 − p) (inverted dropout, what TensorFlow,
 *   Keras and PyTorch do); at inference it is the identity. `dropoutDraw`
 *   draws one mask exactly as the layer does (`tf.dropout` with a seed,
 *   layers/regularization.ts), on a copy of the picked example's input: the
 *   model's own layer and its stream of seeds are not touched.
 * - `batchnorm`: `y = γ · (x − μ) / √(σ² + ε) + β` per channel, with μ, σ²
 *   the batch's own mean and (biased, ÷ n) variance over the batch and every
 *   position in training, the moving averages at inference.
 *   `channelStats` and `batchnormOutputs` do that arithmetic in float64;
 *   `tfTrainingOutput` runs a copy of the layer (same config and weights)
 *   in training mode, so the model's moving averages are not updated.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { BuiltModel } from '../../extension/core/runtime/build';
import { formatCompact } from '../../extension/core/analysis/display';
import type { Tf } from '../../extension/core/layers/types';
import { digits, sampleImages, shapes, waves } from '../../extension/core/runtime/data/synthetic';
import { imageInput, type InputPlan } from './input';

/** The ops whose training and inference behaviours the feature maps compare. */
export const MODE_OPS = ['dropout', 'batchnorm'] as const;
export type ModeOp = (typeof MODE_OPS)[number];

/** Whether a layer (by its registry name) behaves differently in training and at inference in a way the view shows. */
export function isModeOp(op: string): op is ModeOp {
  return (MODE_OPS as readonly string[]).includes(op);
}

// ------------------------------------------------------------------ dropout

/** One dropout mask drawn on one example's input, in the input's own layout (channels last). */
export interface DropoutDraw {
  rate: number;
  /** 1 / (1 − rate): what the kept values are multiplied by. */
  scale: number;
  seed: number;
  /** The per-example shape (`[h, w, c]`, `[len, c]` or `[n]`). */
  shape: number[];
  input: Float32Array;
  /** The layer's output in training mode for this draw: `input · multiplier`. */
  output: Float32Array;
  /** What each value was multiplied by: 0 (dropped) or `scale` (kept), as tf.dropout computed it. */
  multiplier: Float32Array;
}

/**
 * Draws one mask of dropout at `rate` with `seed` over `input` (`[1, …]`,
 * one example): the output `tf.dropout(input, rate, undefined, seed)`, as
 * the layer computes it in training, and the multiplier the same seed draws
 * (`tf.dropout` of ones: the same uniform draws over the same shape).
 */
export function dropoutDraw(tf: Tf, input: tfTypes.Tensor, rate: number, seed: number): DropoutDraw {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout rate must be in [0, 1), got ${rate}`);
  return tf.tidy(() => {
    const x = tf.cast(input, 'float32');
    const output = rate > 0 ? tf.dropout(x, rate, undefined, seed) : x;
    const multiplier = rate > 0 ? tf.dropout(tf.onesLike(x), rate, undefined, seed) : tf.onesLike(x);
    return {
      rate,
      scale: 1 / (1 - rate),
      seed,
      shape: input.shape.slice(1),
      input: new Float32Array(x.dataSync()),
      output: new Float32Array(output.dataSync()),
      multiplier: new Float32Array(multiplier.dataSync()),
    };
  });
}

/** How many values a draw dropped, against what `rate` leads one to expect. */
export interface DropoutStats {
  total: number;
  dropped: number;
  /** dropped / total. */
  fraction: number;
  /** One standard deviation of the fraction over draws: √(p (1 − p) / n). */
  spread: number;
  /** Σ output / Σ input (1 on average over draws: inverted dropout keeps the expected sum); NaN when Σ input is 0. */
  sumRatio: number;
}

export function dropoutStats(draw: Pick<DropoutDraw, 'rate' | 'input' | 'output' | 'multiplier'>): DropoutStats {
  const total = draw.multiplier.length;
  let dropped = 0;
  let sumIn = 0;
  let sumOut = 0;
  for (let i = 0; i < total; i++) {
    if (draw.multiplier[i] === 0) dropped++;
    sumIn += draw.input[i];
    sumOut += draw.output[i];
  }
  return {
    total,
    dropped,
    fraction: total > 0 ? dropped / total : 0,
    spread: total > 0 ? Math.sqrt((draw.rate * (1 - draw.rate)) / total) : 0,
    sumRatio: sumIn === 0 ? NaN : sumOut / sumIn,
  };
}

// ------------------------------------------------------------------ batchnorm

/** A batchnorm layer's parameters as the layer holds them now (trained ones once loaded). */
export interface BatchnormParams {
  channels: number;
  gamma: Float32Array;
  beta: Float32Array;
  movingMean: Float32Array;
  movingVariance: Float32Array;
  epsilon: number;
  momentum: number;
}

/** The batchnorm at `path`'s weights (by name: gamma, beta, moving_mean, moving_variance), epsilon and momentum; undefined when it is none. */
export function readBatchnormLayer(tf: Tf, built: Pick<BuiltModel, 'nodeOf' | 'layerOf'>, path: string): BatchnormParams | undefined {
  const node = built.nodeOf.get(path);
  const layer = built.layerOf.get(path);
  if (!node || node.op !== 'batchnorm' || !layer) return undefined;
  const named = (name: string) => layer.weights.find((w) => new RegExp(`${name}(_\\d+)?$`).test(w.originalName ?? w.name));
  const read = (name: string) => {
    const v = named(name);
    return v ? tf.tidy(() => new Float32Array(v.read().dataSync())) : undefined;
  };
  const movingMean = read('moving_mean');
  const movingVariance = read('moving_variance');
  if (!movingMean || !movingVariance) return undefined;
  const channels = movingMean.length;
  const config = layer.getConfig() as { epsilon?: number; momentum?: number };
  return {
    channels,
    gamma: read('gamma') ?? new Float32Array(channels).fill(1),
    beta: read('beta') ?? new Float32Array(channels),
    movingMean,
    movingVariance,
    epsilon: typeof config.epsilon === 'number' ? config.epsilon : 1e-3,
    momentum: typeof config.momentum === 'number' ? config.momentum : 0.99,
  };
}

/** Per-channel mean and variance of a batch. */
export interface ChannelStats {
  mean: Float64Array;
  /** Biased (÷ n), as batch normalisation uses it (tf.moments, PyTorch's batch_norm in training). */
  variance: Float64Array;
  /** Values per channel: examples × positions. */
  count: number;
}

/** Mean and variance of each of `channels` channels of `data` (channels last: the batch's examples and positions one after another), in float64, two passes. */
export function channelStats(data: ArrayLike<number>, channels: number): ChannelStats {
  const count = Math.floor(data.length / channels);
  const mean = new Float64Array(channels);
  const variance = new Float64Array(channels);
  for (let i = 0; i < count * channels; i++) mean[i % channels] += data[i];
  for (let c = 0; c < channels; c++) mean[c] /= count || 1;
  for (let i = 0; i < count * channels; i++) {
    const d = data[i] - mean[i % channels];
    variance[i % channels] += d * d;
  }
  for (let c = 0; c < channels; c++) variance[c] /= count || 1;
  return { mean, variance, count };
}

/** `γ · (x − μ) / √(σ² + ε) + β`. */
export function batchnormValue(x: number, mean: number, variance: number, gamma: number, beta: number, epsilon: number): number {
  return (gamma * (x - mean)) / Math.sqrt(variance + epsilon) + beta;
}

/** The layer's output for one example in each mode, channels last, float64 arithmetic. */
export interface BatchnormOutputs {
  /** Normalised with the batch's statistics (training). */
  training: Float64Array;
  /** Normalised with the moving averages (inference). */
  inference: Float64Array;
  /** Per channel, the largest |training − inference| over the example's positions. */
  maxDiff: Float64Array;
}

/** The outputs of `example` (channels last, one example) normalised with `batch` (training) and with the layer's moving averages (inference). */
export function batchnormOutputs(params: BatchnormParams, batch: Pick<ChannelStats, 'mean' | 'variance'>, example: ArrayLike<number>): BatchnormOutputs {
  const c = params.channels;
  const training = new Float64Array(example.length);
  const inference = new Float64Array(example.length);
  const maxDiff = new Float64Array(c);
  for (let i = 0; i < example.length; i++) {
    const ch = i % c;
    const x = example[i];
    training[i] = batchnormValue(x, batch.mean[ch], batch.variance[ch], params.gamma[ch], params.beta[ch], params.epsilon);
    inference[i] = batchnormValue(x, params.movingMean[ch], params.movingVariance[ch], params.gamma[ch], params.beta[ch], params.epsilon);
    maxDiff[ch] = Math.max(maxDiff[ch], Math.abs(training[i] - inference[i]));
  }
  return { training, inference, maxDiff };
}

/** What tf.layers computes in training mode for a batch. */
export interface TfTraining {
  /** The first example's output, channels last. */
  output: Float32Array;
  /** The moving averages after this one training step (momentum · moving + (1 − momentum) · batch). */
  movingMean: Float32Array;
  movingVariance: Float32Array;
}

/**
 * Runs a copy of the batchnorm `layer` (its config and current weights) on
 * `batch` in training mode, as training does: the model's own moving
 * averages stay as they are (a tf.layers BatchNormalization called with
 * `training: true` updates them). The copy's variables are disposed.
 */
export function tfTrainingOutput(tf: Tf, layer: InstanceType<Tf['layers']['Layer']>, batch: tfTypes.Tensor): TfTraining {
  const config = layer.getConfig() as { axis?: number; momentum?: number; epsilon?: number; center?: boolean; scale?: boolean };
  const copy = tf.layers.batchNormalization({ axis: config.axis ?? -1, momentum: config.momentum, epsilon: config.epsilon, center: config.center, scale: config.scale });
  try {
    copy.build(batch.shape);
    copy.setWeights(layer.getWeights());
    const output = tf.tidy(() => {
      const y = copy.apply(batch, { training: true }) as tfTypes.Tensor;
      return new Float32Array(tf.slice(y, 0, 1).dataSync());
    });
    const names = copy.weights.map((w) => w.originalName ?? w.name);
    const value = (suffix: string) => {
      const v = copy.weights[names.findIndex((n) => n.endsWith(suffix))];
      return tf.tidy(() => new Float32Array(v.read().dataSync()));
    };
    return { output, movingMean: value('moving_mean'), movingVariance: value('moving_variance') };
  } finally {
    // Its variables (Layer.dispose refuses a layer never applied to a symbolic input).
    for (const w of copy.weights) w.dispose();
  }
}

// ------------------------------------------------------------------ layout

/** Channels-last values of one example (`[h, w, c]`, `[len, c]`, `[n]`) as channel-major planes, as feature maps hold them. */
export function toPlanes(data: ArrayLike<number>, shape: readonly number[]): { planes: Float32Array; height: number; width: number; channels: number } {
  const [height, width, channels] = shape.length === 3 ? shape : shape.length === 2 ? [1, shape[0], shape[1]] : [1, shape[0] ?? data.length, 1];
  const plane = height * width;
  const planes = new Float32Array(plane * channels);
  for (let p = 0; p < plane; p++) for (let c = 0; c < channels; c++) planes[c * plane + p] = data[p * channels + c];
  return { planes, height, width, channels };
}

// ------------------------------------------------------------------ a batch

/** Examples in the batch whose statistics batchnorm uses in training: the picked one and 7 more. */
export const MODES_BATCH = 8;

/** A batch for batchnorm's training statistics: the picked example first, then examples like the model's data. */
export interface ModesBatch {
  /** `[n, …]`, the picked example at index 0. The caller disposes it. */
  x: tfTypes.Tensor;
  /** What the other examples are: "7 examples of the built-in shapes set". */
  others: string;
}

/**
 * The picked example `picked` (`[1, …]`) and `size − 1` others for the one
 * input `plan`: for an image input, examples of the train section's built-in
 * `digits` or `shapes` set (`trainKind`) when it has one, else the built-in
 * sample images; for a `[len, c]` signal, series of the built-in `waves`
 * set. Undefined for other inputs.
 */
export function modesBatch(tf: Tf, plan: InputPlan, picked: tfTypes.Tensor, trainKind?: string, size = MODES_BATCH): ModesBatch | undefined {
  const more = size - 1;
  if (plan.kind === 'image') {
    const [h, w, c] = picked.shape.slice(1) as number[];
    const shape = [h, w, c];
    const side = h === w ? h : undefined;
    let images: { width: number; height: number; channels: number; data: Float32Array }[];
    let others: string;
    if (trainKind === 'digits' || trainKind === 'shapes') {
      const set = (trainKind === 'digits' ? digits : shapes)({ samples: more, seed: 1, ...(side ? { size: side } : {}) });
      const [eh, ew, ec] = set.exampleShape;
      const n = eh * ew * ec;
      images = Array.from({ length: set.count }, (_, i) => ({ width: ew, height: eh, channels: ec, data: set.xs.subarray(i * n, (i + 1) * n) as Float32Array }));
      others = `${more} examples of the built-in ${trainKind} set (the model's training data)`;
    } else {
      images = sampleImages().slice(0, more);
      others = `the ${images.length} built-in sample images`;
    }
    return tf.tidy(() => ({ x: tf.concat([picked, ...images.map((im) => imageInput(tf, im, shape))], 0), others }));
  }
  if (plan.kind === 'signal') {
    const [len, c] = picked.shape.slice(1) as number[];
    const set = waves({ samples: more, length: len, seed: 2 });
    return tf.tidy(() => ({ x: tf.concat([picked, tf.tile(tf.tensor3d(set.xs, [more, len, 1]), [1, 1, c])], 0), others: `${more} series of the built-in waves set` }));
  }
  return undefined;
}

// ------------------------------------------------------------------ its cost

/**
 * Batchnorm's panel runs its batch as soon as it opens when that should take
 * at most this long (ms), estimated from the pass that drew the maps; above
 * it, the panel says what the batch costs and waits for a button press.
 * 8 examples through ResNet-18's last batchnorm are 14.5 G MACs, 8 times the
 * maps' pass: minutes on the CPU backend, seconds on WASM, during which the
 * inspector does not answer.
 */
export const MODES_TIME_BUDGET_MS = 1000;
/**
 * The same budget in MACs, for when the pass's time is not known: about a
 * second on the CPU backend (VGG-small's last batchnorm, 309 M, took 2 s).
 */
export const MODES_MACS_BUDGET = 100e6;

/** The path of the node that feeds the layer at `path` (its first input), in the same graph. */
export function modesInputPath(built: Pick<BuiltModel, 'nodeOf'>, path: string): string | undefined {
  const node = built.nodeOf.get(path);
  if (!node) return undefined;
  const slash = path.lastIndexOf('/');
  return slash < 0 ? String(node.inputs[0]) : `${path.slice(0, slash)}/${node.inputs[0]}`;
}

/** The symbolic tensor that feeds the layer at `path` (`modesInputPath`'s output), undefined when not found. */
function modesFed(built: Pick<BuiltModel, 'nodeOf' | 'outputOf'>, path: string): tfTypes.SymbolicTensor | undefined {
  const inputPath = modesInputPath(built, path);
  return inputPath === undefined ? undefined : built.outputOf.get(inputPath);
}

/** What running a batch to the layer at `path` costs, from the analysis's MACs per layer. */
export interface ModesCost {
  /** MACs per example of the layers that run to give the layer its input (each application once). */
  perExample: number;
  /** How many layer applications that is. */
  layers: number;
  /** Examples in the batch. */
  batch: number;
  /** batch × perExample. */
  total: number;
  /** MACs per example of the whole model: what the pass that drew the maps computed. */
  model: number;
  /** total / model: the batch's cost in passes like the one that drew the maps (0 when the model has no MACs). */
  passes: number;
  /** passes × the time of that pass, when it is known. */
  estimatedMs?: number;
  /** Whether it is within the budget (time when known, else MACs): the panel runs the batch as soon as it opens. */
  automatic: boolean;
}

export interface ModesCostOptions {
  /** Values of the model's symbolic sizes (`ViewContext.dims`). */
  dims?: Readonly<Record<string, number>>;
  batch?: number;
  /** How long the pass that drew the maps took (one example through every layer). */
  passMs?: number;
  budgetMs?: number;
  budgetMacs?: number;
}

/**
 * The cost of the batch statistics of the layer at `path`: the layers its
 * input depends on (walked back through the built model's symbolic tensors,
 * so only those that `modesBatchInput` runs), each counted with its node's
 * MACs (a count that stays symbolic counts 0), times the batch; and, from
 * the time of the pass that drew the maps, how long that should take.
 * Undefined when the layer's input cannot be found.
 */
export function modesCost(built: Pick<BuiltModel, 'nodeOf' | 'outputOf'>, path: string, options: ModesCostOptions = {}): ModesCost | undefined {
  const { dims = {}, batch = MODES_BATCH, passMs, budgetMs = MODES_TIME_BUDGET_MS, budgetMacs = MODES_MACS_BUDGET } = options;
  const fed = modesFed(built, path);
  if (!fed) return undefined;
  const macsOf = (p: string) => {
    const v = built.nodeOf.get(p)?.macs.evaluate(dims);
    return v !== undefined && Number.isFinite(v) ? v : 0;
  };
  // Each layer application's output tensor, by id (a group's output is its last body node's: named once, by that node).
  const pathOf = new Map<number, string>();
  let model = 0;
  for (const p of built.nodeOf.keys()) {
    const t = built.outputOf.get(p);
    if (t) pathOf.set(t.id, p);
    model += macsOf(p);
  }
  let perExample = 0;
  let layers = 0;
  const seen = new Set<number>();
  const stack: (typeof fed)[] = [fed];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    const p = pathOf.get(t.id);
    if (p !== undefined) {
      perExample += macsOf(p);
      layers++;
    }
    stack.push(...t.inputs);
  }
  const total = batch * perExample;
  const passes = model > 0 ? total / model : 0;
  const estimatedMs = passMs !== undefined && Number.isFinite(passMs) && passMs >= 0 ? passes * passMs : undefined;
  return { perExample, layers, batch, total, model, passes, estimatedMs, automatic: estimatedMs !== undefined ? estimatedMs <= budgetMs : total <= budgetMacs };
}

/** "8 examples through the 63 layers before this one: ≈ 14.5G MACs, 8× the pass that drew the maps, about 2.6 s". */
export function modesCostText(cost: ModesCost): string {
  const relative =
    cost.passes >= 0.1 ? `${cost.passes >= 10 ? Math.round(cost.passes) : Number(cost.passes.toPrecision(2))}× the pass that drew the maps` : 'a small part of the pass that drew the maps';
  const ms = cost.estimatedMs;
  const time = ms === undefined ? '' : `, about ${ms < 1000 ? `${Math.max(10, Math.round(ms / 10) * 10)} ms` : ms < 60_000 ? `${Number((ms / 1000).toPrecision(2))} s` : `${Math.round(ms / 60_000)} min`}`;
  return (
    `${cost.batch} examples through the ${cost.layers === 1 ? 'layer' : `${cost.layers} layers`} before this one: ≈ ${formatCompact(cost.total)} MACs` +
    (cost.model > 0 ? `, ${relative}` : '') +
    time
  );
}

/** A batch's input to a layer, channels last: `data` and `tensor` (`[n, …]`, the caller disposes it). */
export interface ModesBatchInput {
  data: Float32Array;
  count: number;
  /** What the examples after the picked one are (`ModesBatch.others`). */
  others: string;
  tensor: tfTypes.Tensor;
}

/**
 * The input of the layer at `path` for a batch (`modesBatch`: the picked
 * example `inputs[0]`, then others like the model's data), from one pass of
 * only the layers that input depends on (ResNet-18's first batchnorm: one
 * convolution, not the whole model). A message saying why not otherwise.
 */
export function modesBatchInput(
  tf: Tf,
  built: Pick<BuiltModel, 'nodeOf' | 'outputOf' | 'model'>,
  path: string,
  inputs: readonly tfTypes.Tensor[] | undefined,
  plans: readonly InputPlan[],
  trainKind?: string,
): ModesBatchInput | string {
  if (!inputs || inputs.some((t) => t.isDisposed)) return 'the example is no longer held: pick the image again';
  if (plans.length !== 1) return 'batch statistics are shown for models with one input';
  const made = modesBatch(tf, plans[0], inputs[0], trainKind);
  if (!made) return `batch statistics need an image or signal input to make a batch from; '${plans[0].name}' is neither`;
  try {
    const fed = modesFed(built, path);
    if (!fed) return 'the input of this layer could not be read';
    const port = built.model.inputs.indexOf(fed);
    const upTo = port >= 0 ? undefined : tf.model({ inputs: built.model.inputs, outputs: fed });
    const tensor = tf.tidy(() => (upTo ? (upTo.predict(made.x) as tfTypes.Tensor) : tf.clone(made.x)));
    return { data: tensor.dataSync() as Float32Array, count: made.x.shape[0], others: made.others, tensor };
  } finally {
    made.x.dispose();
  }
}
