/**
 * Masked language modelling (`mask: 0.15` in the train section; Devlin et
 * al. 2019, BERT): in every window of `text(...)` a share of the positions
 * is chosen, and the model must give back the original token at each of
 * them from a corrupted input. Of the chosen positions 80 % get the
 * `[MASK]` token, 10 % a random token of the vocabulary and 10 % stay as
 * they are (so the model cannot learn that only `[MASK]` needs predicting).
 * The loss (crossentropy) and the metrics count the chosen positions only.
 *
 * `[MASK]` is one id past the tokeniser's vocabulary (`maskId` = its
 * `vocabSize`): the tokenisers are unchanged, and a model trained this way
 * needs one more embedding row than the text has tokens.
 *
 * Which positions, and what each gets, is a function of (seed, epoch,
 * example) only (`maskSeed`): a run resumed after epoch n masks as an
 * uninterrupted one does, whatever the batch. The validation examples have
 * one fixed masking (`VALIDATION_EPOCH`), the same every epoch, in every
 * run of the same seed and in `nnmodel evaluate`, so `val_loss` compares.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { ModelInfo } from '../analysis/types';
import type { Tf } from '../layers/types';
import { smallestVocab } from '../analysis/graph';
import { hashName, mixSeeds } from '../layers/draws';
import { createRng, type Rng } from './data/random';
import { TrainError, type OutputKind, type TrainData } from './train';

type Tensor = tfTypes.Tensor;

/** How `[MASK]` is shown (labels, messages). */
export const MASK_TOKEN = '[MASK]';
/** BERT's rule: of the chosen positions, this share gets `[MASK]`… */
export const MASK_SHARE = 0.8;
/** …this share a random token, and the rest keeps its own. */
export const RANDOM_SHARE = 0.1;
/** The "epoch" of the validation examples' masking: one masking for every epoch and run. */
export const VALIDATION_EPOCH = -1;

/** The masking of a run: what the analysis' `mask: rate` and the data give. */
export interface MaskSpec {
  /** Share of the positions of a window chosen for prediction. */
  rate: number;
  /** Tokens of the text (ids 0 … vocab − 1); the random replacements are drawn from them. */
  vocab: number;
  /** The id of `[MASK]`: `vocab`, one past the tokeniser's ids. */
  maskId: number;
  /** Positions per window. */
  length: number;
  /** Positions chosen in each window: round(length · rate), at least 1. */
  count: number;
}

/** Positions chosen in a window of `length` tokens: round(length · rate), at least one and at most all (BERT's `num_to_predict`). */
export function maskCount(length: number, rate: number): number {
  return Math.min(length, Math.max(1, Math.round(length * rate)));
}

/** The seed of example `example`'s masking in `epoch` (0-based; `VALIDATION_EPOCH` for the held-out examples). */
export function maskSeed(seed: number, epoch: number, example: number): number {
  return mixSeeds(seed, epoch, example, hashName('mask'));
}

/**
 * Masks one window in place: `count` positions drawn without replacement
 * (uniformly), each then `[MASK]` (80 %), a random token (10 %) or left
 * (10 %). `chosen[t]` is set to 1 at the chosen positions (the rest are
 * left as they are: the caller gives zeros).
 */
export function maskWindow(tokens: Int32Array, chosen: Float32Array, spec: Pick<MaskSpec, 'vocab' | 'maskId' | 'count'>, rng: Rng): void {
  const n = tokens.length;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < spec.count; i++) {
    // Partial Fisher–Yates: order[i] is a uniform pick among the positions not yet chosen.
    const j = i + rng.int(n - i);
    const t = order[j];
    order[j] = order[i];
    order[i] = t;
    chosen[t] = 1;
    const u = rng.next();
    if (u < MASK_SHARE) tokens[t] = spec.maskId;
    else if (u < MASK_SHARE + RANDOM_SHARE) tokens[t] = rng.int(spec.vocab);
  }
}

/**
 * The masked batch of the examples `idx[from..to)` in `epoch`: `x` the
 * corrupted windows, `y` the original tokens (the targets), `w` 1 at the
 * chosen positions and 0 elsewhere ([n, length], float32). The caller
 * disposes them.
 */
export function maskedBatch(tf: Tf, data: TrainData, idx: ArrayLike<number>, from: number, to: number, spec: MaskSpec, seed: number, epoch: number): { x: Tensor; y: Tensor; w: Tensor } {
  const n = to - from;
  const T = spec.length;
  const original = new Int32Array(n * T);
  const input = new Int32Array(n * T);
  const chosen = new Float32Array(n * T);
  for (let i = 0; i < n; i++) {
    const k = idx[from + i];
    original.set(data.xs.subarray(k * T, (k + 1) * T), i * T);
    input.set(original.subarray(i * T, (i + 1) * T), i * T);
    maskWindow(input.subarray(i * T, (i + 1) * T), chosen.subarray(i * T, (i + 1) * T), spec, createRng(maskSeed(seed, epoch, k)));
  }
  return { x: tf.tensor2d(input, [n, T], 'int32'), y: tf.tensor2d(original, [n, T], 'int32'), w: tf.tensor2d(chosen, [n, T], 'float32') };
}

const EPS = 1e-7;

/** log p of the target token at every position: [n, length]. */
function targetLogProb(tf: Tf, kind: OutputKind, y: Tensor, out: Tensor): Tensor {
  const classes = out.shape[out.shape.length - 1]!;
  const logp = kind === 'logits' ? tf.logSoftmax(out) : tf.log(tf.clipByValue(out, EPS, 1));
  return tf.sum(tf.mul(tf.oneHot(tf.cast(y, 'int32'), classes), logp), -1);
}

/** Crossentropy of the chosen positions only (`w` 1 there): their mean −log p(original token). */
export function maskedLoss(tf: Tf, kind: OutputKind, y: Tensor, out: Tensor, w: Tensor): tfTypes.Scalar {
  return tf.neg(tf.div(tf.sum(tf.mul(targetLogProb(tf, kind, y, out), w)), tf.maximum(tf.sum(w), 1))) as tfTypes.Scalar;
}

/**
 * Sum of a metric over the chosen positions (the caller divides by their
 * number): `accuracy` counts the positions whose most likely token is the
 * original; `mae` the mean absolute error of the probabilities against it.
 */
export function maskedMetricSum(tf: Tf, metric: string, kind: OutputKind, y: Tensor, out: Tensor, w: Tensor): Tensor {
  if (metric === 'accuracy') return tf.sum(tf.mul(tf.equal(tf.argMax(out, -1), tf.cast(y, 'int32')).toFloat(), w));
  if (metric === 'mae') {
    const classes = out.shape[out.shape.length - 1]!;
    const p = kind === 'logits' ? tf.softmax(out) : out;
    const err = tf.mean(tf.abs(tf.sub(p, tf.oneHot(tf.cast(y, 'int32'), classes))), -1);
    return tf.sum(tf.mul(err, w));
  }
  throw new TrainError(`unknown metric '${metric}'`);
}

/**
 * The masking of `rate` for `data` on `model`, or a TrainError saying why
 * it cannot be: it needs windows of token ids with a label per position
 * (`text`), one input, an output with a distribution per position
 * ([length, classes], classes at least the text's tokens), and an
 * embedding with a row for `[MASK]` (id = the text's token count).
 */
export function maskSpecFor(model: tfTypes.LayersModel, info: ModelInfo, data: TrainData, rate: number): MaskSpec {
  const want = 'mask trains a masked language model on one input of token ids (text), one window of tokens per example';
  const inputs = 1 + (data.moreInputs?.length ?? 0);
  if (data.xDtype !== 'int32') throw new TrainError(`${want}, but ${data.source} gives numbers. Remove mask.`);
  if (inputs > 1) throw new TrainError(`${want}, but ${data.source} gives ${inputs} inputs. Remove mask.`);
  if (data.exampleShape.length !== 1) {
    throw new TrainError(`${want}, but each example of ${data.source} is [${data.exampleShape.join(', ')}] token ids, not one window [length]. Remove mask.`);
  }
  if (model.inputs.length !== 1) throw new TrainError(`${want}, but '${info.name}' has ${model.inputs.length} inputs. Remove mask.`);
  const T = data.exampleShape[0];
  const out = model.outputs[0].shape.slice(1);
  if (out.length !== 2 || (out[0] !== null && out[0] !== T)) {
    throw new TrainError(
      `mask predicts the original token at every masked position, so '${info.name}' must output a distribution per position, [${T}, vocab], but it outputs [${out.map((d) => d ?? '?').join(', ')}].`,
    );
  }
  const vocab = data.classes.length;
  const rows = smallestVocab(info.graph);
  if (rows !== undefined && rows < vocab + 1) {
    throw new TrainError(
      `${data.source} has ${vocab} tokens (ids 0 to ${vocab - 1}) and mask adds ${MASK_TOKEN} as id ${vocab}, but the embedding of '${info.name}' has ${rows} rows; give it at least ${vocab + 1}.`,
    );
  }
  return { rate, vocab, maskId: vocab, length: T, count: maskCount(T, rate) };
}
