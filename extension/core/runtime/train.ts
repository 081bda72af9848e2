/**
 * The training loop over a built model: the loss, optimiser and metrics of
 * a `train` section, shuffled mini-batches, a validation split checked after
 * every epoch, per-batch and per-epoch callbacks, and cancellation checked
 * between batches. Runs wherever tfjs runs (the `tf` module is passed in):
 * the inspector webview, the CLI and tests.
 *
 * Loss conventions. A model that ends in `softmax` (or `sigmoid` for
 * binary_crossentropy) gives probabilities; otherwise its outputs are
 * logits and the loss applies the softmax (sigmoid) itself, stably. Class
 * targets are ids (sparse), one per example or one per position.
 *
 * Several inputs: a model with two (an encoder-decoder) is fed
 * `TrainData.xs` and `moreInputs` in its input order (`sequences` by
 * teacher forcing, data/synthetic.ts `sequencePairs`); metrics count every
 * position of the output, so `accuracy` is the share of tokens right.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Graph, GraphNode, ModelInfo, TrainConfig } from '../analysis/types';
import type { Tf } from '../layers/types';
import { createRng } from './data/random';
import { plural } from '../plural';
import { reseedRandomLayers } from '../layers/augment';
import { hashName, mixSeeds } from '../layers/draws';
import { createAdam } from './kernels/adam';
import { smallestVocab } from '../analysis/graph';
import { keepsPositionsMessage, outputFitsLabels } from '../analysis/trainLabels';
import { inputDimSizes } from '../analysis/inputDims';
import { trainDenoiser } from './diffusion';
import type { BuiltModel } from './build';
import { measureSignals, SignalProbe, type SignalsReport } from './signals';
import { maskedBatch, maskedLoss, maskedMetricSum, maskSpecFor, VALIDATION_EPOCH, type MaskSpec } from './masking';

type Tensor = tfTypes.Tensor;

/** The examples the loop needs, as flat typed arrays (`Dataset` of data/files.ts extends it; the synthetic sets fit it). */
export interface TrainData {
  /** What it is, for messages: `digits`, `data/fruit.csv`. */
  source: string;
  count: number;
  xs: Float32Array | Int32Array;
  xDtype: 'float32' | 'int32';
  /** Shape of one example, e.g. `[28, 28, 1]`. */
  exampleShape: number[];
  ys: Float32Array | Int32Array;
  /** `[]` for a class index, `[T]` for a class per position, `[..., 1]` or `[k]` for values. */
  targetShape: number[];
  /** Class names by id; empty for regression. */
  classes: string[];
  /**
   * The inputs after the first, in the model's input order, when the data
   * feeds a model with several inputs (`xs` is then the first input's).
   * `sequences` for an encoder-decoder model: the decoder's input.
   */
  moreInputs?: InputArrays[];
  /** What the first input gets, for messages when there are several (`source sequence`); default `examples`. */
  xName?: string;
  /**
   * Examples that are windows cut in order from one sequence (a text):
   * windows fewer than `overlap` apart share tokens. The validation split
   * is then the last windows, and the training ones stop `overlap - 1`
   * windows before them, so that no validation token was trained on.
   */
  windows?: { overlap: number };
  /**
   * Targets that are the input one step later, per position (`waves`): a
   * model with one value per example is trained on the last of them, the
   * value after the window (`targetsFor`).
   */
  nextStep?: boolean;
}

/**
 * `data` as `model` is trained on it: next-step data (`TrainData.nextStep`)
 * for a model that outputs one value per example keeps each example's last
 * target, the value that follows its window (a `[seq, 1] -> flatten ->
 * dense(1)` forecaster); any other pair is returned as it is.
 */
export function targetsFor(model: tfTypes.LayersModel, data: TrainData): TrainData {
  const out = model.outputs[0]?.shape.slice(1);
  const per = data.targetShape.reduce((p, d) => p * d, 1);
  if (!data.nextStep || !out || out.length !== 1 || out[0] !== 1 || data.targetShape.length !== 2 || data.targetShape[1] !== 1 || per <= 1) return data;
  const ys = new Float32Array(data.count);
  for (let i = 0; i < data.count; i++) ys[i] = data.ys[i * per + per - 1];
  return { ...data, ys, targetShape: [1], nextStep: undefined };
}

/** The examples of one model input, laid out as `TrainData.xs`. */
export interface InputArrays {
  /** What it is, for messages: `decoder input: BOS + the answer shifted right`. */
  name: string;
  xs: Float32Array | Int32Array;
  xDtype: 'float32' | 'int32';
  exampleShape: number[];
}

/** Every input of `data`, in the model's input order. */
export function inputArrays(data: TrainData): InputArrays[] {
  return [{ name: data.xName ?? 'examples', xs: data.xs, xDtype: data.xDtype, exampleShape: data.exampleShape }, ...(data.moreInputs ?? [])];
}

/** The shape of one example of each input of `data` (for `symbolicDimsFor`). */
export function inputShapes(data: TrainData): number[][] {
  return inputArrays(data).map((i) => i.exampleShape);
}

/** Cancellation: the loop stops before the next batch once `cancelled` is true. */
export interface CancelToken {
  readonly cancelled: boolean;
}

export interface BatchInfo {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
}

/** Figures of one epoch. Metrics by name (`accuracy`, `mae`); `val_` figures when there is a validation split. */
export interface EpochLogs {
  /** 1-based. */
  epoch: number;
  epochs: number;
  loss: number;
  metrics: Record<string, number>;
  valLoss?: number;
  valMetrics?: Record<string, number>;
  /**
   * The share of this epoch's training predictions whose right answer the
   * model gave a probability the loss clips (at most 1e-7: crossentropy
   * on probabilities, `clippedSum`), where it has no gradient. Absent for
   * the losses and outputs without the clip.
   */
  clipped?: number;
  /** Training examples seen this epoch. */
  examples: number;
  ms: number;
}

/**
 * Images a generative objective shows while it trains (`loss: denoise`,
 * `loss: adversarial`): the training view and the CLI display them.
 */
export interface SampleStrip {
  /** 'forward': one training image noised step by step, sent once before training; 'generated': the model's own images after an epoch. */
  kind: 'forward' | 'generated';
  /** 1-based epoch after which they were made; 0 for 'forward'. */
  epoch: number;
  /** Shape of one image: [h, w, c], c 1 or 3. */
  shape: [number, number, number];
  /** count · h · w · c values in [0, 1], image after image, channels last. */
  pixels: Float32Array;
  count: number;
  /** One caption per image ('t = 250'), when they need one. */
  captions?: string[];
}

/** Which optimiser of a run: the model's (`trainModel`, a denoiser), or a GAN's generator's and discriminator's (`trainGan`). */
export type OptimizerRole = 'model' | 'generator' | 'discriminator';

/** A run's optimisers by role, as `TrainOptions.onEpoch` gets them (to save their state with the checkpoint). */
export type RunOptimizers = Partial<Record<OptimizerRole, tfTypes.Optimizer>>;

/**
 * The random stream of one epoch: a function of (seed, epoch, stream) only,
 * never of the epochs run before, so that a run resumed after epoch n draws
 * exactly what an uninterrupted run draws in epoch n + 1 (with the optimiser
 * state restored, resuming then continues training exactly). Epoch 0 of
 * stream `base` is `createRng(base)`, what runs drew before this existed.
 * The layers that draw in training have streams of their own, restarted
 * per epoch the same way (`reseedRandomLayers`, layers/augment.ts): the
 * augmentation layers' PRNGs, and the seeds with which dropout's masks
 * (also `attention`'s dropout of its weights) and `gaussian_noise`'s noise
 * are drawn (a function of the run's seed and model, the epoch, the layer
 * and its call count in the epoch; draws.ts).
 */
export function epochRng(base: number, epoch: number, step: number): ReturnType<typeof createRng> {
  return createRng(base + epoch * step);
}

export interface TrainOptions {
  config: TrainConfig;
  /** Generative objectives: called with the forward strip before the first epoch and with generated images after each. */
  onSamples?(strip: SampleStrip): void | Promise<void>;
  /** Seed of the shuffles and the validation split (default 1). */
  seed?: number;
  /** Epochs already done (resuming): numbering continues after them. */
  initialEpoch?: number;
  token?: CancelToken;
  onBatch?(info: BatchInfo): void | Promise<void>;
  /**
   * Awaited after each epoch with its logs and the run's optimisers (their
   * state goes with the epoch's checkpoint, `encodeCheckpoint`); they stay
   * the run's: read them, never dispose them.
   */
  onEpoch?(logs: EpochLogs, optimizers: RunOptimizers): void | Promise<void>;
  /**
   * Awaited once per optimiser right after it is made, before its first
   * step: resuming restores its saved state here
   * (checkpoint.ts `restoreOptimizerState`).
   */
  prepareOptimizer?(optimizer: tfTypes.Optimizer, role: OptimizerRole): void | Promise<void>;
  /**
   * Awaited between batches so that messages (a cancel) get through; the
   * default lets the event loop run once.
   */
  yieldEvery?: () => Promise<void>;
  /** Indices held out for validation and used for training (default: the seeded split of `config.validation`). */
  split?: { train: ArrayLike<number>; validation: ArrayLike<number> };
  /**
   * Signal & gradients (runtime/signals.ts), for `built`, the model being
   * trained: each weighted layer's output RMS and kernel-gradient RMS, on
   * the initial weights before the first epoch (not when resuming: the
   * weights are not initial) and on the last full batch of every epoch,
   * from that training step's own forward and backward pass. Awaited
   * after the epoch's `onEpoch`. The ordinary loop only; a diffusion
   * model or a GAN reports none.
   */
  signals?: { built: BuiltModel; onSignals(report: SignalsReport): void | Promise<void> };
}

export interface History {
  epochs: EpochLogs[];
  /** 'cancelled' when the token stopped it (the last epoch in `epochs` is then the last complete one). */
  status: 'completed' | 'cancelled';
}

/** How the model's output relates to the loss. */
export type OutputKind = 'probabilities' | 'logits';

/** Whether the model's (first) output is a softmax/sigmoid, judged from the graph. */
export function outputKind(info: ModelInfo): OutputKind {
  const id = info.graph.outputs[0];
  const node = findNode(info.graph, id);
  return node && endsInProbabilities(node) ? 'probabilities' : 'logits';
}

function findNode(g: Graph, id: number): GraphNode | undefined {
  return g.nodes.find((n) => n.id === id);
}

function endsInProbabilities(node: GraphNode): boolean {
  if (node.kind === 'layer') {
    if (node.op === 'softmax' || node.op === 'sigmoid') return true;
    const act = node.args.activation;
    return act === 'softmax' || act === 'sigmoid';
  }
  if (node.kind === 'group') {
    const body = node.runs[node.runs.length - 1]?.body;
    const last = body && findNode(body, body.outputs[0]);
    return !!last && endsInProbabilities(last);
  }
  return false;
}

/** A problem fitting the data to the model, for the user. */
export class TrainError extends Error {
  override name = 'TrainError';
}

/**
 * Checks that `data` fits `model` (number of inputs, each input's shape and
 * dtype, classes, token ids against the embedding) and throws a TrainError
 * saying what does not.
 */
export function checkDataFits(model: tfTypes.LayersModel, info: ModelInfo, data: TrainData, config: TrainConfig): void {
  const given = inputArrays(data);
  const names = info.inputs.map((i) => `'${i.name}'`).join(', ');
  if (model.inputs.length !== given.length) {
    if (given.length === 1) {
      throw new TrainError(
        `${data.source} feeds one input, but '${info.name}' has ${model.inputs.length} (${names})${model.inputs.length === 2 ? '; a model with two inputs (source, target) trains on sequences(...), by teacher forcing' : ''}.`,
      );
    }
    throw new TrainError(`${data.source} feeds ${given.length} inputs, but '${info.name}' has ${model.inputs.length} (${names}).`);
  }
  given.forEach((g, i) => {
    // One input: the messages stay as they were; several: they name the input.
    const which = given.length > 1 ? ` for input '${info.inputs[i]?.name ?? i + 1}' (the ${g.name})` : '';
    const inShape = model.inputs[i].shape.slice(1);
    const ex = g.exampleShape;
    const fits = inShape.length === ex.length && inShape.every((d, k) => d === null || d === ex[k]);
    if (!fits) {
      throw new TrainError(`${data.source} gives examples of shape [${ex.join(', ')}]${which}, but '${info.name}' takes [${inShape.map((d) => d ?? '?').join(', ')}].`);
    }
    const wantInt = model.inputs[i].dtype === 'int32';
    if (wantInt !== (g.xDtype === 'int32')) {
      throw new TrainError(`${data.source} gives ${g.xDtype === 'int32' ? 'token ids' : 'numbers'}${which}, but '${info.name}' takes ${wantInt ? 'token ids (int)' : 'numbers'}.`);
    }
  });
  // The loop takes the loss between the model's one output and the labels: a second output would get no gradient.
  if (model.outputs.length !== 1) {
    const lines = info.outputs.map((o) => o.range.start.line + 1);
    const at = lines.length ? ` (${lines.length === 1 ? 'line' : 'lines'} ${lines.slice(0, -1).join(', ')}${lines.length > 1 ? ' and ' : ''}${lines[lines.length - 1]})` : '';
    throw new TrainError(
      `'${info.name}' has ${model.outputs.length} outputs${at}; training fits one output to the labels of ${data.source}. Train a model with one output (a model per head), or merge the heads into one output.`,
    );
  }
  const outShape = model.outputs[0].shape.slice(1);
  // Token ids past the embedding's rows: said with the classes when both are too few (a vocabulary too small for the text), so one run tells both.
  const vocab = smallestVocab(info.graph);
  let max = -1;
  for (const g of given) {
    if (g.xDtype !== 'int32') continue;
    for (let i = 0; i < g.xs.length; i++) if (g.xs[i] > max) max = g.xs[i];
  }
  const vocabProblem = vocab !== undefined && max >= vocab ? `token ids up to ${max}, but the embedding of '${info.name}' has ${vocab} rows; raise its vocabulary to at least ${max + 1}` : undefined;
  if (config.loss === 'crossentropy') {
    const classes = outShape[outShape.length - 1];
    if (data.classes.length === 0) throw new TrainError(`${data.source} has values, not classes; use loss: mse or mae.`);
    if (classes !== null && classes < data.classes.length) {
      throw new TrainError(`${data.source} has ${data.classes.length} classes, but '${info.name}' outputs ${classes} values per prediction; end with dense(${data.classes.length}).${vocabProblem ? ` It also has ${vocabProblem}.` : ''}`);
    }
  }
  // Labels 0 and 1: class ids of more classes would be scored as if they were (the analysis and `nnmodel check` say it first).
  if (config.loss === 'binary_crossentropy' && data.classes.length > 2) {
    throw new TrainError(
      `${data.source} has ${data.classes.length} classes, but binary_crossentropy takes two: it scores each output as the probability of label 1 against label 0. Use loss: crossentropy and end with dense(${data.classes.length}) -> softmax.`,
    );
  }
  // The rule the editor's analysis applies before training (trainLabels.ts): what it lets through, this takes.
  if (!outputFitsLabels(outShape, data.targetShape, config.loss)) {
    const shape = `[${outShape.map((d) => d ?? '?').join(', ')}]`;
    if (data.targetShape.length === 0 && outShape.length > 1) {
      throw new TrainError(keepsPositionsMessage(data.source, data.classes.length ? 'class' : 'label', info.name, outShape, undefined, data.classes.length || undefined));
    }
    // Class ids under a loss of values (the analysis says it before training: train.loss_output).
    if ((config.loss === 'mse' || config.loss === 'mae') && data.classes.length > 0) {
      throw new TrainError(
        `loss: ${config.loss} compares values, but ${data.source} gives ${data.targetShape.length ? `a class at each of ${data.targetShape.join('×')} positions` : 'one class per example'} (${plural(data.classes.length, 'class', 'classes')}), and '${info.name}' outputs ${shape}. Use loss: crossentropy.`,
      );
    }
    throw new TrainError(
      config.loss === 'crossentropy'
        ? `${data.source} gives ${data.targetShape.length ? `a class at each of ${data.targetShape.join('×')} positions` : 'one class per example'}, but '${info.name}' outputs ${shape}.`
        : `${data.source} gives targets of shape [${data.targetShape.join(', ')}], but '${info.name}' outputs ${shape}.`,
    );
  }
  if (vocabProblem !== undefined) throw new TrainError(`${data.source} has ${vocabProblem}.`);
}

/** The tfjs optimiser of a train section. */
export function makeOptimizer(tf: Tf, o: TrainConfig['optimizer']): tfTypes.Optimizer {
  switch (o.kind) {
    case 'adam':
      // tfjs's Adam; on wasm (with registerTrainingKernels) each variable's update is one kernel.
      return createAdam(tf, o.lr, o.beta1 ?? 0.9);
    case 'sgd':
      return o.momentum ? tf.train.momentum(o.lr, o.momentum) : tf.train.sgd(o.lr);
    case 'rmsprop':
      return tf.train.rmsprop(o.lr);
  }
}

const EPS = 1e-7;

/**
 * Mean loss over examples (and positions). `yTrue` holds class ids for the
 * cross-entropies over several classes, values otherwise.
 */
export function lossValue(tf: Tf, loss: TrainConfig['loss'], kind: OutputKind, yTrue: Tensor, yPred: Tensor): tfTypes.Scalar {
  switch (loss) {
    case 'crossentropy': {
      const classes = yPred.shape[yPred.shape.length - 1]!;
      const logp = kind === 'logits' ? tf.logSoftmax(yPred) : tf.log(tf.clipByValue(yPred, EPS, 1));
      // Class ids (one rank less than the prediction), or a distribution over the classes per prediction (mixup's soft targets).
      const target = yTrue.rank === yPred.rank ? yTrue.toFloat() : tf.oneHot(tf.reshape(yTrue, [-1]).toInt(), classes).reshape(logp.shape);
      return tf.neg(tf.mean(tf.sum(tf.mul(target, logp), -1))) as tfTypes.Scalar;
    }
    case 'binary_crossentropy': {
      const y = tf.reshape(yTrue, yPred.shape).toFloat();
      if (kind === 'logits') {
        // max(z, 0) − z·y + log(1 + e^−|z|): the stable form.
        const z = yPred;
        return tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))));
      }
      const p = tf.clipByValue(yPred, EPS, 1 - EPS);
      return tf.neg(tf.mean(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))))) as tfTypes.Scalar;
    }
    case 'mse':
      return tf.mean(tf.square(tf.sub(yPred, tf.reshape(yTrue, yPred.shape))));
    case 'mae':
      return tf.mean(tf.abs(tf.sub(yPred, tf.reshape(yTrue, yPred.shape))));
    case 'denoise':
    case 'adversarial':
      // The generative objectives have loops of their own (runtime/diffusion.ts, runtime/gan.ts).
      throw new TrainError(`loss: ${loss} is not a loss between a prediction and a label; it is trained by its own loop.`);
  }
}

/**
 * Sum (not mean) of a metric over the batch's predictions, and how many predictions were counted.
 * `soft`: the targets are mixup's blends (`mixBatch`): a distribution over the classes for
 * crossentropy, values in [0, 1] for binary_crossentropy. Accuracy then counts a prediction
 * as right by the target's weight on it, λ for the first example's class and 1 − λ for the
 * second's (both when they are the same class), as Zhang et al.'s code counts it.
 */
export function metricSum(tf: Tf, metric: string, loss: TrainConfig['loss'], kind: OutputKind, yTrue: Tensor, yPred: Tensor, soft = false): Tensor {
  switch (metric) {
    case 'accuracy': {
      if (loss === 'crossentropy') {
        const pred = tf.argMax(yPred, -1);
        if (soft) return tf.sum(tf.mul(tf.oneHot(pred, yPred.shape[yPred.shape.length - 1]!), yTrue.toFloat()));
        return tf.sum(tf.equal(pred, tf.reshape(yTrue, pred.shape).toInt()).toFloat());
      }
      const threshold = kind === 'logits' ? 0 : 0.5;
      const pred = tf.greater(yPred, threshold).toFloat();
      if (soft) {
        // pred·y + (1 − pred)·(1 − y): the weight of the target on the predicted side.
        const y = tf.reshape(yTrue, yPred.shape).toFloat();
        return tf.sum(tf.add(tf.mul(pred, y), tf.mul(tf.sub(1, pred), tf.sub(1, y))));
      }
      return tf.sum(tf.equal(pred, tf.reshape(yTrue, yPred.shape).toFloat()).toFloat());
    }
    case 'mae':
      if (loss === 'crossentropy') {
        // Mean absolute error of the predicted class probabilities against the one-hot (or mixed) target.
        const classes = yPred.shape[yPred.shape.length - 1]!;
        const p = kind === 'logits' ? tf.softmax(yPred) : yPred;
        const onehot = yTrue.rank === yPred.rank ? yTrue.toFloat() : tf.oneHot(tf.reshape(yTrue, [-1]).toInt(), classes).reshape(p.shape);
        return tf.div(tf.sum(tf.abs(tf.sub(p, onehot))), classes);
      }
      return tf.sum(tf.abs(tf.sub(yPred, tf.reshape(yTrue, yPred.shape))));
    default:
      throw new TrainError(`unknown metric '${metric}'`);
  }
}

/**
 * How many of the batch's predictions sit at the loss's clip: crossentropy
 * (class ids) or binary_crossentropy on probabilities, whose right answer
 * has a probability of at most `EPS` (1e-7). `lossValue` clips those to
 * `EPS`, so each adds −ln 1e-7 ≈ 16.1 to the loss and, the clip's gradient
 * being zero, nothing to the step: they no longer train. Undefined for the
 * other losses, logits and soft (mixup) targets.
 */
export function clippedSum(tf: Tf, loss: TrainConfig['loss'], kind: OutputKind, yTrue: Tensor, yPred: Tensor): Tensor | undefined {
  if (kind !== 'probabilities') return undefined;
  if (loss === 'crossentropy') {
    if (yTrue.rank === yPred.rank) return undefined;
    // The right class's probability of each prediction, gathered (a one-hot of a language model's vocabulary per position would be large).
    const classes = yPred.shape[yPred.shape.length - 1]!;
    const flat = tf.reshape(yPred, [-1, classes]);
    const rows = flat.shape[0]!;
    const right = tf.gatherND(flat, tf.stack([tf.range(0, rows, 1, 'int32'), tf.reshape(yTrue, [-1]).toInt()], 1));
    return tf.sum(tf.lessEqual(right, EPS).toFloat());
  }
  if (loss === 'binary_crossentropy') {
    const y = tf.reshape(yTrue, yPred.shape).toFloat();
    // The probability of the right side: p for a 1, 1 − p for a 0.
    const right = tf.add(tf.mul(y, yPred), tf.mul(tf.sub(1, y), tf.sub(1, yPred)));
    return tf.sum(tf.lessEqual(right, EPS).toFloat());
  }
  return undefined;
}

/** Predictions per example for metrics: positions × (1, or the output's last size for regression). */
function predictionsPerExample(loss: TrainConfig['loss'], yPred: Tensor): number {
  const dims = yPred.shape.slice(1) as number[];
  const all = dims.reduce((p, d) => p * d, 1);
  return loss === 'crossentropy' ? all / dims[dims.length - 1] : all;
}

/**
 * Copies the examples at `idx[from..to)` into batch tensors: `x` is one
 * tensor for a one-input model and a list in the model's input order
 * otherwise (what `model.apply` takes). The caller disposes them.
 */
export function batchTensors(tf: Tf, data: TrainData, idx: ArrayLike<number>, from: number, to: number): { x: Tensor | Tensor[]; y: Tensor } {
  const n = to - from;
  const gather = (src: Float32Array | Int32Array, shape: readonly number[], int: boolean): Float32Array | Int32Array => {
    const size = shape.reduce((p, d) => p * d, 1);
    const out = int ? new Int32Array(n * size) : new Float32Array(n * size);
    for (let i = 0; i < n; i++) {
      const k = idx[from + i];
      out.set(src.subarray(k * size, (k + 1) * size), i * size);
    }
    return out;
  };
  const xs = inputArrays(data).map((g) => tf.tensor(gather(g.xs, g.exampleShape, g.xDtype === 'int32'), [n, ...g.exampleShape], g.xDtype));
  const yb = gather(data.ys, data.targetShape, data.ys instanceof Int32Array);
  return {
    x: xs.length === 1 ? xs[0] : xs,
    y: tf.tensor(yb, [n, ...data.targetShape], yb instanceof Int32Array ? 'int32' : 'float32'),
  };
}

/** One batch's mixup draw: the weight λ of each example and the partner each is mixed with. */
export interface MixupDraw {
  lambda: number;
  /** `perm[i]`: the example of the same batch that example i is mixed with (a permutation of 0 … n − 1). */
  perm: number[];
}

/**
 * The mixup draws of one epoch, batch after batch: λ ~ Beta(α, α), then a
 * permutation of the batch. The stream is a function of (seed, epoch) only,
 * restarted each epoch as the shuffle is (`epochRng`), so a resumed run
 * mixes as an uninterrupted one does.
 */
export function mixupDraws(seed: number, epoch: number, alpha: number): { next(n: number): MixupDraw } {
  const rng = createRng(mixSeeds(seed, epoch, hashName('mixup')));
  return {
    next: (n) => {
      const lambda = sampleBeta(rng, alpha);
      const perm = rng.shuffle(Array.from({ length: n }, (_, i) => i));
      return { lambda, perm };
    },
  };
}

/**
 * λ ~ Beta(α, α) as X / (X + Y) with X, Y ~ Gamma(α), in logarithms: for a
 * small α (0.2) a Gamma draw is often below 1e-300, and X / (X + Y) would be
 * 0 / 0.
 */
export function sampleBeta(rng: ReturnType<typeof createRng>, alpha: number): number {
  const lx = logGamma(rng, alpha);
  const ly = logGamma(rng, alpha);
  return 1 / (1 + Math.exp(ly - lx));
}

/**
 * log of a Gamma(a, 1) draw: Marsaglia & Tsang (2000) for a ≥ 1; below 1,
 * Gamma(a) = Gamma(a + 1) · U^(1/a), whose logarithm is log Gamma(a + 1) + log(U) / a.
 */
function logGamma(rng: ReturnType<typeof createRng>, a: number): number {
  if (a < 1) return logGamma(rng, a + 1) + Math.log(1 - rng.next()) / a;
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return Math.log(d * v);
  }
}

/**
 * Mixup (Zhang et al. 2018) of one training batch: x' = λ·x + (1 − λ)·x[perm]
 * and y' = λ·y + (1 − λ)·y[perm], class ids turned into one-hot rows of
 * `classes` first (crossentropy; `classes` undefined for targets that are
 * values: binary_crossentropy, mse, mae). New tensors; the caller disposes
 * them and its own. Inputs must be numbers: a weighted sum of token ids is
 * no token (the analysis says so first: `train.mixup`).
 */
export function mixBatch(tf: Tf, x: Tensor | Tensor[], y: Tensor, draw: MixupDraw, classes: number | undefined): { x: Tensor; y: Tensor } {
  if (Array.isArray(x) || x.dtype !== 'float32') {
    throw new TrainError('mixup takes weighted sums of inputs, so it needs one input of numbers; token ids (text, sequences) cannot be mixed. Remove mixup.');
  }
  const { lambda, perm } = draw;
  return tf.tidy(() => {
    const idx = tf.tensor1d(perm, 'int32');
    const mix = (t: Tensor) => tf.add(tf.mul(t, lambda), tf.mul(tf.gather(t, idx), 1 - lambda));
    const target = classes !== undefined ? tf.oneHot(tf.reshape(y, [-1]).toInt(), classes).reshape([...y.shape, classes]).toFloat() : y.toFloat();
    return { x: mix(x), y: mix(target) };
  });
}

/**
 * Lets the event loop run once (messages, a cancel) without a timer: browsers
 * clamp nested `setTimeout(0)` to 4 ms, which a loop awaiting one per batch
 * pays on every batch (LeNet's whole step on wasm is ~30 ms). A
 * MessageChannel message is a task with no clamp; Node has `setImmediate`.
 */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as unknown as { setImmediate?: (f: () => void) => void; MessageChannel?: new () => { port1: { onmessage: (() => void) | null; close(): void }; port2: { postMessage(m: unknown): void; close(): void } } };
  if (typeof g.setImmediate === 'function') return new Promise((resolve) => g.setImmediate!(resolve));
  if (typeof g.MessageChannel === 'function') {
    return new Promise((resolve) => {
      const ch = new g.MessageChannel!();
      ch.port1.onmessage = () => {
        ch.port1.close();
        ch.port2.close();
        resolve();
      };
      ch.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

const defaultYield = yieldToEventLoop;

/** Loss and metrics over `indices`, in batches, in inference mode (no dropout or augmentation). */
export async function evaluateModel(
  tf: Tf,
  model: tfTypes.LayersModel,
  kind: OutputKind,
  data: TrainData,
  indices: ArrayLike<number>,
  config: Pick<TrainConfig, 'loss' | 'metrics' | 'batch'>,
  token?: CancelToken,
  /** `mask: rate` (runtime/masking.ts): the examples masked as the validation examples always are (of `seed`), figures over the masked positions only. */
  masked?: { spec: MaskSpec; seed: number },
): Promise<{ loss: number; metrics: Record<string, number> } | undefined> {
  if (indices.length === 0) return undefined;
  data = targetsFor(model, data);
  let lossSum = 0;
  const sums: number[] = config.metrics.map(() => 0);
  let predictions = 0;
  const step = Math.max(1, config.batch * 2);
  for (let from = 0; from < indices.length; from += step) {
    if (token?.cancelled) return undefined;
    const to = Math.min(indices.length, from + step);
    const figures = tf.tidy(() => {
      if (masked) {
        const { x, y, w } = maskedBatch(tf, data, indices, from, to, masked.spec, masked.seed, VALIDATION_EPOCH);
        const out = model.apply(x, { training: false }) as Tensor;
        predictions += (to - from) * masked.spec.count;
        return tf.stack([tf.mul(maskedLoss(tf, kind, y, out, w), to - from), ...config.metrics.map((m) => maskedMetricSum(tf, m, kind, y, out, w))]);
      }
      const { x, y } = batchTensors(tf, data, indices, from, to);
      const out = model.apply(x, { training: false }) as Tensor;
      const l = tf.mul(lossValue(tf, config.loss, kind, y, out), to - from);
      const ms = config.metrics.map((m) => metricSum(tf, m, config.loss, kind, y, out));
      predictions += (to - from) * predictionsPerExample(config.loss, out);
      return tf.stack([l, ...ms]);
    });
    const v = await figures.data();
    figures.dispose();
    lossSum += v[0];
    config.metrics.forEach((_, i) => (sums[i] += v[i + 1]));
  }
  const metrics: Record<string, number> = {};
  config.metrics.forEach((m, i) => (metrics[m] = sums[i] / predictions));
  return { loss: lossSum / indices.length, metrics };
}

/** Seed of a run's initial weights, shuffles and validation split: the editor's runs and the CLI's default, so both train alike. */
export const TRAIN_SEED = 1;

/**
 * Seeded split: the last `fraction` of a shuffled order is held out (at
 * least one example when fraction > 0). With `overlap` above 1 (windows of
 * one sequence, `TrainData.windows`) a random split would hold out windows
 * that share all but a token with training ones; the last windows are held
 * out instead, and the `overlap - 1` windows before them, which share tokens
 * with both, are left out of both.
 */
export function validationSplit(count: number, fraction: number, seed: number, overlap = 1): { train: Int32Array; validation: Int32Array } {
  let nVal = fraction > 0 ? Math.max(1, Math.round(count * fraction)) : 0;
  if (nVal >= count) nVal = count - 1;
  if (overlap > 1 && nVal > 0) {
    const first = count - nVal;
    const trainCount = Math.max(0, first - (overlap - 1));
    const train = createRng(seed ^ 0x5eed).shuffle(Array.from({ length: trainCount }, (_, i) => i));
    return { train: Int32Array.from(train), validation: Int32Array.from({ length: nVal }, (_, i) => first + i) };
  }
  const order = createRng(seed ^ 0x5eed).shuffle(Array.from({ length: count }, (_, i) => i));
  return { train: Int32Array.from(order.slice(0, count - nVal)), validation: Int32Array.from(order.slice(count - nVal)) };
}

/** `validationSplit` of `data`: its windows kept apart when it has them. */
export function dataSplit(data: Pick<TrainData, 'count' | 'windows'>, fraction: number, seed: number): { train: Int32Array; validation: Int32Array } {
  return validationSplit(data.count, fraction, seed, data.windows?.overlap);
}

/**
 * The training log's line on how a text is split (`validationSplit` with
 * windows): which windows validate, and how many are left out between.
 * Undefined for other data, or nothing held out.
 */
export function windowsSplitNote(data: Pick<TrainData, 'source' | 'count' | 'windows'>, fraction: number): string | undefined {
  if (!data.windows || data.windows.overlap <= 1 || fraction <= 0) return undefined;
  const { validation, train } = dataSplit(data, fraction, 0);
  if (train.length === 0) return undefined;
  if (validation.length === 0) return tooShortForValidation(data, data.windows.overlap, fraction);
  const between = data.count - validation.length - train.length;
  return `validation: the last ${plural(validation.length, 'window')} of ${data.source}; the ${plural(between, 'window')} before them share tokens with those and are left out of training`;
}

/**
 * The note for a text whose windows are too few to hold any out: the one
 * validation window would have to be `overlap` windows past the last
 * training one. Says how many more tokens would do (at stride 1, which a
 * text this short has, one token more is one window more) and what else to
 * change.
 */
function tooShortForValidation(data: Pick<TrainData, 'source' | 'count'>, overlap: number, fraction: number): string {
  // The sizes `validationSplit` gives `need` windows: some held out, and some trained on before the `overlap - 1` between.
  const held = (n: number) => Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
  let need = data.count + 1;
  while (held(need) < 1 || need - held(need) - (overlap - 1) < 1) need++;
  const tokens = data.count + overlap - 1;
  return (
    `validation: none. ${data.source} is too short to hold out validation windows at this context: its ${plural(tokens, 'token')} make ${plural(data.count, 'window')}, ` +
    `and validation windows that share no token with the training ones need at least ${need + overlap - 1} tokens (${need - data.count} more). ` +
    `This run has no validation loss and keeps no best checkpoint. Use a longer text or a smaller context, or write validation: 0 to train without it.`
  );
}

/**
 * How many examples a run on `data` trains on and holds out for validation:
 * the sizes of `dataSplit` (its seed picks which, not how many), so the
 * windows of a text left out of both are in neither. A GAN trains on every
 * example and validates none (runtime/gan.ts). What a run's start says.
 */
export function splitCounts(data: Pick<TrainData, 'count' | 'windows'>, config: Pick<TrainConfig, 'validation' | 'loss'>): { train: number; validation: number } {
  if (config.loss === 'adversarial') return { train: data.count, validation: 0 };
  const { train, validation } = dataSplit(data, config.validation, 0);
  return { train: train.length, validation: validation.length };
}

/** Why `data` has no training examples left after its validation split. */
export function noTrainingLeft(data: Pick<TrainData, 'source' | 'count' | 'windows'>, fraction: number): string {
  if (data.windows && data.windows.overlap > 1) {
    const nVal = dataSplit(data, fraction, 0).validation.length;
    return `${data.source} has no windows left for training: ${plural(data.count, 'window')}, of which the last ${nVal} are held out for validation and the ${plural(data.windows.overlap - 1, 'window')} before them share tokens with those. Use a longer text, a smaller context, or a smaller validation fraction.`;
  }
  return `${data.source} has no examples left for training after the validation split.`;
}

/**
 * Trains `model` (built from `info`) on `data` for `config.epochs` epochs.
 * Throws a TrainError when the data does not fit the model. Tensors are
 * freed as it goes: `tf.memory().numTensors` is the same before and after,
 * apart from the optimiser's state (freed too, at the end).
 */
export async function trainModel(tf: Tf, model: tfTypes.LayersModel, info: ModelInfo, data: TrainData, options: TrainOptions): Promise<History> {
  const { config } = options;
  // A diffusion model has a loop of its own: its inputs are made from the data (runtime/diffusion.ts).
  if (config.loss === 'denoise') return trainDenoiser(tf, model, info, data, options);
  data = targetsFor(model, data);
  checkDataFits(model, info, data, config);
  const seed = options.seed ?? 1;
  const kind = outputKind(info);
  const split = options.split ?? dataSplit(data, config.validation, seed);
  if (split.train.length === 0) throw new TrainError(noTrainingLeft(data, config.validation));
  const alpha = config.mixup;
  // Refused before the optimiser (whose state is tensors) is made: nothing to free.
  if (alpha !== undefined && (inputArrays(data).length !== 1 || data.xDtype !== 'float32')) {
    throw new TrainError(`mixup takes weighted sums of inputs, but ${data.source} gives token ids: they cannot be mixed. Remove mixup.`);
  }
  // Masked language modelling: each window's own tokens are the targets, at the positions masked (runtime/masking.ts).
  const mask = config.mask !== undefined ? maskSpecFor(model, info, data, config.mask) : undefined;
  const optimizer = makeOptimizer(tf, config.optimizer);
  const vars = model.trainableWeights.map((w) => w.read() as tfTypes.Variable);
  const yieldNow = options.yieldEvery ?? defaultYield;
  const history: History = { epochs: [], status: 'completed' };
  const start = options.initialEpoch ?? 0;
  const probe = options.signals && signalProbe(tf, options.signals.built);
  // Mixup's one-hot rows are as long as the model's output (which may have more classes than the data).
  const outClasses = config.loss === 'crossentropy' ? (model.outputs[0].shape[model.outputs[0].shape.length - 1] ?? data.classes.length) : undefined;
  try {
    await options.prepareOptimizer?.(optimizer, 'model');
    if (options.signals && probe && start === 0) {
      // The initial weights, on the first batch of the training split (in its order): nothing changes.
      const n = Math.min(split.train.length, config.batch);
      const batch = mask ? maskedBatch(tf, data, split.train, 0, n, mask, seed, start) : { ...batchTensors(tf, data, split.train, 0, n), w: undefined };
      const w = batch.w;
      try {
        await options.signals.onSignals(
          await measureSignals(tf, options.signals.built, batch, (y, out) => (w ? maskedLoss(tf, kind, y, out, w) : lossValue(tf, config.loss, kind, y, out)), 0),
        );
      } finally {
        tf.dispose([...[batch.x].flat(), batch.y, ...(w ? [w] : [])]);
      }
    }
    for (let e = start; e < start + config.epochs; e++) {
      const t0 = Date.now();
      // Flips, rotations, crops, dropout's masks and gaussian_noise too: their streams restart from (seed, epoch), not from the build.
      reseedRandomLayers(model, e, seed);
      // Each epoch shuffles the split afresh from its own stream: epoch e's order does not depend on the
      // epochs before it, so a resumed run sees the batches an uninterrupted one would.
      const order = epochRng(seed, e, 7919).shuffle(Array.from(split.train));
      // Mixup's λ and partners, batch by batch, from a stream of (seed, epoch) of its own: the shuffle is unchanged.
      const mixup = alpha !== undefined ? mixupDraws(seed, e, alpha) : undefined;
      const batches = Math.ceil(order.length / config.batch);
      let lossSum = 0;
      const sums = config.metrics.map(() => 0);
      let predictions = 0;
      /** Predictions at the loss's clip (`clippedSum`), when the loss has one. */
      let clipped: number | undefined;
      // Signals from the last full batch (a short last one gives noisy gradients), the whole of a single one.
      const measureAt = probe ? (order.length % config.batch === 0 || batches === 1 ? batches - 1 : batches - 2) : -1;
      let signals: SignalsReport | undefined;
      for (let b = 0; b < batches; b++) {
        await yieldNow();
        if (options.token?.cancelled) {
          history.status = 'cancelled';
          return history;
        }
        const from = b * config.batch;
        const to = Math.min(order.length, from + config.batch);
        // Masked: the masking of each example is a function of (seed, epoch, example), whatever the batch.
        const { x, y, w } = mask ? maskedBatch(tf, data, order, from, to, mask, seed, e) : { ...trainingBatch(tf, data, order, from, to, mixup, outClasses), w: undefined };
        let metricTensor: Tensor | undefined;
        let clippedTensor: Tensor | undefined;
        let perExample = 1;
        const objective = (out: Tensor): tfTypes.Scalar => {
          if (w) {
            // Only the masked positions count: `mask.count` per window.
            perExample = mask!.count;
            if (config.metrics.length) metricTensor = tf.keep(tf.stack(config.metrics.map((m) => maskedMetricSum(tf, m, kind, y, out, w))));
            return maskedLoss(tf, kind, y, out, w);
          }
          perExample = predictionsPerExample(config.loss, out);
          if (config.metrics.length) {
            metricTensor = tf.keep(tf.stack(config.metrics.map((m) => metricSum(tf, m, config.loss, kind, y, out, !!mixup))));
          }
          const c = mixup ? undefined : clippedSum(tf, config.loss, kind, y, out);
          if (c) clippedTensor = tf.keep(c);
          return lossValue(tf, config.loss, kind, y, out);
        };
        let lossTensor: tfTypes.Scalar;
        if (probe && b === measureAt) {
          // The step `minimize` takes, through the probe model: the same layers and weights, so the same
          // loss and gradients, plus every weighted layer's output; the gradients measured are those applied.
          let activationRms: Tensor | undefined;
          const { value, grads } = optimizer.computeGradients(() => {
            const r = probe.apply(x, true);
            activationRms = r.activationRms;
            return objective(r.out);
          }, vars);
          try {
            const report = probe.report(activationRms!, grads, e + 1, to - from);
            optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
            signals = await report;
          } finally {
            tf.dispose([...Object.values(grads), ...(activationRms ? [activationRms] : [])]);
          }
          lossTensor = value;
        } else {
          lossTensor = optimizer.minimize(() => objective(model.apply(x, { training: true }) as Tensor), true, vars)!;
        }
        const loss = (await lossTensor.data())[0];
        const ms = metricTensor ? await metricTensor.data() : undefined;
        if (clippedTensor) clipped = (clipped ?? 0) + (await clippedTensor.data())[0];
        tf.dispose([...[x].flat(), y, lossTensor, ...(metricTensor ? [metricTensor] : []), ...(clippedTensor ? [clippedTensor] : []), ...(w ? [w] : [])]);
        if (!Number.isFinite(loss)) {
          throw new TrainError(`the loss became ${loss} in epoch ${e + 1}, batch ${b + 1}; lower the learning rate (optimizer: adam(lr = ...)).`);
        }
        lossSum += loss * (to - from);
        if (ms) sums.forEach((_, i) => (sums[i] += ms[i]));
        predictions += (to - from) * perExample;
        await options.onBatch?.({ epoch: e + 1, batch: b + 1, batches, loss });
      }
      const metrics: Record<string, number> = {};
      config.metrics.forEach((m, i) => (metrics[m] = sums[i] / predictions));
      const logs: EpochLogs = { epoch: e + 1, epochs: start + config.epochs, loss: lossSum / order.length, metrics, examples: order.length, ms: 0 };
      if (clipped !== undefined && predictions > 0) logs.clipped = clipped / predictions;
      const val = await evaluateModel(tf, model, kind, data, split.validation, config, options.token, mask && { spec: mask, seed });
      if (options.token?.cancelled) {
        history.status = 'cancelled';
        return history;
      }
      if (val) {
        logs.valLoss = val.loss;
        logs.valMetrics = val.metrics;
      }
      logs.ms = Date.now() - t0;
      history.epochs.push(logs);
      await options.onEpoch?.(logs, { model: optimizer });
      if (signals) await options.signals?.onSignals(signals);
    }
    return history;
  } finally {
    optimizer.dispose();
  }
}

/** The batch of `order[from..to)` a training step takes: as read, or mixed by the epoch's next mixup draw. */
function trainingBatch(
  tf: Tf,
  data: TrainData,
  order: ArrayLike<number>,
  from: number,
  to: number,
  mixup: ReturnType<typeof mixupDraws> | undefined,
  classes: number | undefined,
): { x: Tensor | Tensor[]; y: Tensor } {
  const batch = batchTensors(tf, data, order, from, to);
  if (!mixup) return batch;
  try {
    return mixBatch(tf, batch.x, batch.y, mixup.next(to - from), classes);
  } finally {
    tf.dispose([...[batch.x].flat(), batch.y]);
  }
}

/**
 * The probe of Signal & gradients over `built`, or undefined when tfjs cannot
 * make its second model: the measurement is a view of the run, so a model it
 * cannot probe trains without it rather than not at all.
 */
function signalProbe(tf: Tf, built: BuiltModel): SignalProbe | undefined {
  try {
    return new SignalProbe(tf, built);
  } catch {
    return undefined;
  }
}

/** One line per epoch, as the output channel and the CLI print it. */
export function formatEpoch(l: EpochLogs): string {
  const parts = [`epoch ${l.epoch}/${l.epochs}`, `loss ${l.loss.toFixed(4)}`];
  for (const [k, v] of Object.entries(l.metrics)) parts.push(`${k} ${v.toFixed(4)}`);
  if (l.valLoss !== undefined) parts.push(`val_loss ${l.valLoss.toFixed(4)}`);
  for (const [k, v] of Object.entries(l.valMetrics ?? {})) parts.push(`val_${k} ${v.toFixed(4)}`);
  parts.push(`${(l.ms / 1000).toFixed(1)} s`, `${Math.round((l.examples / Math.max(l.ms, 1)) * 1000)} examples/s`);
  return parts.join(' · ');
}

/**
 * Values for the model's symbolic dimensions from one example's shape
 * (`input tokens: int[seq]` with windows of 64 gives `seq = 64`), keeping
 * only those the parameter count needs: the others stay flexible in the
 * built model, so generation can feed shorter prompts. `shapes` is the
 * first input's example shape, or one per input (`inputShapes`).
 */
export function symbolicDimsFor(info: ModelInfo, shapes: readonly number[] | readonly (readonly number[])[]): Record<string, number> {
  const perInput = (shapes.length > 0 && Array.isArray(shapes[0]) ? shapes : [shapes]) as readonly (readonly number[])[];
  // The analysis binds them the same way (the layer rules at the data's size, analysis/trainLength.ts).
  const bound = inputDimSizes(info, perInput);
  const out: Record<string, number> = {};
  for (const a of info.params.total.atoms()) {
    if (!Object.hasOwn(bound, a)) throw new TrainError(`the parameter count of '${info.name}' depends on '${a}', which the data does not fix.`);
    out[a] = bound[a];
  }
  return out;
}

/**
 * Sizes for the symbolic dimensions the parameter count of `info` depends
 * on, from one example's shape of its (first) input as it trained (a
 * checkpoint's `nnmodel.data.exampleShape`, else its train section's data):
 * `symbolicDimsFor`, but undefined instead of throwing, when the count
 * depends on no symbolic dimension, or when the shape does not give each a
 * whole size of 1 or more. What the inspector's session and `nnmodel
 * forecast` build a `[seq, 1] -> flatten -> dense` model at.
 */
export function trainedDims(info: ModelInfo, exampleShape: readonly number[] | undefined): Record<string, number> | undefined {
  if (!exampleShape || info.params.total.atoms().length === 0) return undefined;
  try {
    const dims = symbolicDimsFor(info, exampleShape);
    return Object.values(dims).every((v) => Number.isInteger(v) && v >= 1) ? dims : undefined;
  } catch {
    return undefined;
  }
}
