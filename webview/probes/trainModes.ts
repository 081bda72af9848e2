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
 * maps' pass: minutes on the CPU backend, seconds on WASM, of the page's
 * time (it answers in between: `modesBatchInput` runs a layer at a time).
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

/** What `modesBatchInput` rejects with when its `signal` is aborted (Stop pressed, the model changed): every tensor it made is disposed. */
export class ModesStopped extends Error {
  constructor() {
    super('the batch was stopped');
    this.name = 'ModesStopped';
  }
}

/**
 * Layers run back to back for at most this long (ms) before the run gives
 * the page its turn: cheap layers (relu, add) do not each wait for a task,
 * and a layer that takes longer is followed by a turn of its own.
 */
export const MODES_SLICE_MS = 25;

/** How a batch runs: a layer at a time, the page answering in between. */
export interface ModesRunOptions {
  /** Checked before each layer (and each example of a layer run an example at a time): once aborted, the run disposes its tensors and rejects with `ModesStopped`. */
  signal?: AbortSignal;
  /**
   * After each layer: `done` of the `total` layer applications the input
   * needs; and within a layer run an example at a time (`part`), after each
   * example (`done` layers before it).
   */
  onProgress?(done: number, total: number, part?: { example: number; of: number }): void;
  /**
   * Run convolutions an example at a time, a turn between examples (default:
   * on the cpu backend, where one convolution of ResNet-18's batch takes
   * seconds; wasm's take at most a few hundred ms, and it batches better).
   */
  perExample?: boolean;
  /** Gives the page its turn (default: a new task, `setTimeout(0)`). */
  yieldToPage?(): Promise<void>;
  /** At most this long (ms) of layers between two turns (default `MODES_SLICE_MS`; 0: a turn before every layer). */
  sliceMs?: number;
}

const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * The order tfjs-layers' executor (engine/executor.ts, what `predict` runs)
 * applies layers in to compute `fetch`, walking back from it to the fed
 * tensors (`fed`, by name), and how many layer applications read each
 * tensor (by name): its `getTopologicalSortAndRecipientCountsForOneFetch`.
 */
function executionOrder(fetch: tfTypes.SymbolicTensor, fed: ReadonlySet<string>): { sorted: tfTypes.SymbolicTensor[]; recipients: Map<string, number> } {
  const visited = new Set(fed);
  const sorted: tfTypes.SymbolicTensor[] = [];
  const readers = new Map<string, Set<string>>();
  const stack = [fetch];
  const marks: number[] = [];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (visited.has(top.name)) {
      stack.pop();
      continue;
    }
    const marked = marks[marks.length - 1] === stack.length - 1;
    if (top.inputs.length === 0 || marked) {
      stack.pop();
      sorted.push(top);
      visited.add(top.name);
      if (marked) marks.pop();
    } else {
      marks.push(stack.length - 1);
      for (const input of top.inputs) {
        let set = readers.get(input.name);
        if (!set) readers.set(input.name, (set = new Set()));
        set.add(top.name);
        if (!visited.has(input.name)) stack.push(input);
      }
    }
  }
  return { sorted, recipients: new Map([...readers].map(([name, set]) => [name, set.size])) };
}

/**
 * Layers run an example at a time on the page's thread (a convolution of
 * ResNet-18's batch takes seconds on the CPU backend): each example's output
 * is computed alone, by the same kernel, so the same values (the tests
 * compare them bit for bit with predict on cpu and wasm).
 */
const PER_EXAMPLE = new Set(['Conv1D', 'Conv2D', 'Conv2DTranspose', 'Conv3D', 'DepthwiseConv2D', 'SeparableConv2D']);

/** The symbolic outputs of the layer application that produced `t` (executor.ts `getNodeOutputs`). */
function nodeOutputs(t: tfTypes.SymbolicTensor): tfTypes.SymbolicTensor[] {
  const layer = t.sourceLayer;
  const node = layer.inboundNodes.length === 1 ? layer.inboundNodes[0] : layer.inboundNodes.find((n) => n.outputTensors.some((o) => o.id === t.id));
  return node ? node.outputTensors : [t];
}

type Kwargs = Record<string, unknown>;

/**
 * `fetch` for the fed values, as `tf.model({ inputs, outputs: fetch }).predict`
 * computes it (one batch: the same layers applied in the same order to the
 * same tensors, with the same arguments, so the same values), but a layer at
 * a time, the page getting its turn in between (`options`), stoppable. Every
 * tensor it makes but the one it returns is disposed, also when it stops or
 * fails; the fed tensors stay the caller's.
 */
async function runStepwise(
  tf: Tf,
  fetch: tfTypes.SymbolicTensor,
  feeds: readonly (readonly [tfTypes.SymbolicTensor, tfTypes.Tensor])[],
  options: ModesRunOptions = {},
): Promise<tfTypes.Tensor> {
  const { signal, onProgress, sliceMs = MODES_SLICE_MS } = options;
  const yieldToPage = options.yieldToPage ?? nextTask;
  const perExample = options.perExample ?? tf.getBackend() === 'cpu';
  let turn = -Infinity;
  /** A turn for the page when the slice is spent; then whether to go on. */
  const pause = async () => {
    if (sliceMs <= 0 || performance.now() - turn >= sliceMs) {
      await yieldToPage();
      turn = performance.now();
    }
    if (signal?.aborted) throw new ModesStopped();
  };
  const values = new Map<string, tfTypes.Tensor>();
  const masks = new Map<string, tfTypes.Tensor>();
  const fedNames = new Set<string>();
  // Fed as given, cast to the input's dtype when it differs (executor.ts `assertFeedCompatibility`).
  const made = new Set<tfTypes.Tensor>();
  for (const [key, value] of feeds) {
    const fed = key.dtype != null && key.dtype !== value.dtype ? tf.cast(value, key.dtype) : value;
    if (fed !== value) made.add(fed);
    values.set(key.name, fed);
    fedNames.add(key.name);
  }
  let result: tfTypes.Tensor | undefined;
  try {
    if (values.has(fetch.name)) {
      if (signal?.aborted) throw new ModesStopped();
      result = tf.clone(values.get(fetch.name)!);
      return result;
    }
    const { sorted, recipients } = executionOrder(fetch, fedNames);
    const steps = sorted.filter((t) => t.sourceLayer.getClassName() !== 'InputLayer');
    // As the executor: no arguments (predict's inference), then `mask` once some input has one (and from then on).
    let kwargs: Kwargs | undefined;
    for (let i = 0; i < steps.length; i++) {
      await pause();
      const step = steps[i];
      const layer = step.sourceLayer;
      const inputs = step.inputs.map((t) => {
        const v = values.get(t.name);
        if (!v) throw new Error(`no value for ${t.name} (an input of ${layer.name}) was fed`);
        return v;
      });
      const inputMasks = step.inputs.map((t) => masks.get(t.name));
      if (inputMasks.some((m) => m != null)) {
        kwargs = kwargs ?? {};
        kwargs.mask = inputMasks[0];
      }
      const examples = inputs.length === 1 ? inputs[0].shape[0] ?? 1 : 1;
      const ran =
        perExample && kwargs === undefined && examples > 1 && PER_EXAMPLE.has(layer.getClassName()) && !layer.supportsMasking
          ? { outputs: [await exampleByExample(tf, layer, inputs[0], pause, (example) => onProgress?.(i, steps.length, { example, of: examples }))], mask: undefined }
          : tf.tidy(() => {
              const out = layer.apply(inputs, kwargs) as tfTypes.Tensor | tfTypes.Tensor[];
              const outputs = Array.isArray(out) ? out : [out];
              const mask = layer.supportsMasking ? (layer.computeMask(inputs, inputMasks as tfTypes.Tensor[]) as tfTypes.Tensor | tfTypes.Tensor[] | null) : null;
              return { outputs, mask: (Array.isArray(mask) ? mask[0] : mask) ?? undefined };
            });
      const outs = nodeOutputs(step);
      outs.forEach((t, k) => {
        const v = ran.outputs[k];
        if (!v) return;
        if (values.has(t.name)) {
          if (values.get(t.name) !== v) v.dispose();
          return;
        }
        values.set(t.name, v);
        if (ran.mask) masks.set(t.name, ran.mask);
      });
      // Dispose what no later layer reads (the executor's rule: not fed, not fetched, not a stateful layer's).
      for (const t of step.inputs) {
        const left = (recipients.get(t.name) ?? 0) - 1;
        recipients.set(t.name, left);
        const v = values.get(t.name);
        if (left === 0 && !fedNames.has(t.name) && t.name !== fetch.name && v && t.sourceLayer.stateful !== true) {
          v.dispose();
          values.delete(t.name);
        }
      }
      onProgress?.(i + 1, steps.length);
    }
    result = values.get(fetch.name);
    if (!result) throw new Error(`${fetch.name} was not computed`);
    return result;
  } finally {
    for (const [name, v] of values) if (!fedNames.has(name) && v !== result) v.dispose();
    for (const m of masks.values()) if (m !== result) m.dispose();
    for (const t of made) if (t !== result) t.dispose();
  }
}

/** `layer` applied to each example of `x` alone (`pause` before each but the first, `done` after each), the outputs stacked back: `layer.apply(x)` for a layer whose examples do not mix. */
async function exampleByExample(
  tf: Tf,
  layer: tfTypes.SymbolicTensor['sourceLayer'],
  x: tfTypes.Tensor,
  pause: () => Promise<void>,
  done: (example: number) => void,
): Promise<tfTypes.Tensor> {
  const parts: tfTypes.Tensor[] = [];
  try {
    for (let b = 0; b < x.shape[0]; b++) {
      if (b > 0) await pause();
      parts.push(tf.tidy(() => layer.apply(tf.slice(x, b, 1)) as tfTypes.Tensor));
      done(b + 1);
    }
    return tf.concat(parts, 0);
  } finally {
    tf.dispose(parts);
  }
}

/**
 * The input of the layer at `path` for a batch (`modesBatch`: the picked
 * example `inputs[0]`, then others like the model's data), from one pass of
 * only the layers that input depends on (ResNet-18's first batchnorm: one
 * convolution, not the whole model), a layer at a time (`runStepwise`: the
 * values `tf.model` cut at the input predicts; the page answers between
 * layers, `options.signal` stops it). A message saying why not otherwise;
 * rejects with `ModesStopped` when stopped, nothing left behind.
 */
export async function modesBatchInput(
  tf: Tf,
  built: Pick<BuiltModel, 'nodeOf' | 'outputOf' | 'model'>,
  path: string,
  inputs: readonly tfTypes.Tensor[] | undefined,
  plans: readonly InputPlan[],
  trainKind?: string,
  options: ModesRunOptions = {},
): Promise<ModesBatchInput | string> {
  if (!inputs || inputs.some((t) => t.isDisposed)) return 'the example is no longer held: pick the image again';
  if (plans.length !== 1 || built.model.inputs.length !== 1) return 'batch statistics are shown for models with one input';
  const fed = modesFed(built, path);
  if (!fed) return 'the input of this layer could not be read';
  const made = modesBatch(tf, plans[0], inputs[0], trainKind);
  if (!made) return `batch statistics need an image or signal input to make a batch from; '${plans[0].name}' is neither`;
  let tensor: tfTypes.Tensor | undefined;
  try {
    tensor = await runStepwise(tf, fed, [[built.model.inputs[0], made.x]], options);
    const data = (await tensor.data()) as Float32Array;
    if (options.signal?.aborted) throw new ModesStopped();
    const read = { data, count: made.x.shape[0], others: made.others, tensor };
    tensor = undefined;
    return read;
  } finally {
    tensor?.dispose();
    made.x.dispose();
  }
}
