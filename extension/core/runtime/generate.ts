/**
 * Autoregressive sampling from a language model (tokens in, a distribution
 * over the next token at every position out): feed the last `context`
 * tokens, take the distribution at the last position, sharpen or flatten it
 * with the temperature, keep the `topK` most likely tokens, draw one with a
 * seeded generator, append, repeat.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../layers/types';
import { createRng } from './data/random';
import type { OutputKind } from './train';

export interface GenerateOptions {
  /** Tokens to generate. */
  maxTokens: number;
  /** 1 samples the model's distribution; below 1 sharpens it; 0 takes the most likely token. */
  temperature: number;
  /** Sample among the k most likely tokens (0 or ≥ vocabulary: all). */
  topK: number;
  /** Most tokens fed at once (the model's training context / positional table). */
  context: number;
  seed?: number;
  /** Whether the model's output is already a softmax. */
  outputKind: OutputKind;
  /** Token ids the model must never emit (e.g. the unknown token). */
  banned?: readonly number[];
  /**
   * The tokeniser's vocabulary size: ids at or above it have no text and are
   * never sampled (a model may have more outputs than its training text has
   * tokens). Default: every output.
   */
  vocabSize?: number;
  cancelled?: () => boolean;
  /** Called with each new token id. */
  onToken?(id: number): void;
}

/**
 * The distribution one row of scores gives at a temperature: for logits,
 * `softmax(scores / temperature)`; for probabilities (a softmax output) the
 * same distribution at that temperature, `p^(1/T)` renormalised
 * (`softmax(log p / T)`). Temperature 1 leaves probabilities as they are;
 * below 1 sharpens, above 1 flattens; 0 (or below) is the limit, what
 * greedy decoding takes: all the probability on the most likely score (the
 * first of equals). Non-finite scores and probabilities of 0 count as
 * impossible; when all are, every entry is 0. The inspector's output strip
 * (class and next-token bars, the temperature slider) and `sampleToken`
 * both read it. Throws on a temperature that is not a finite number.
 */
export function temperatureSoftmax(scores: ArrayLike<number>, kind: OutputKind, temperature = 1): Float64Array {
  if (!Number.isFinite(temperature)) throw new RangeError(`the temperature must be a finite number, got ${temperature}`);
  const n = scores.length;
  const z = new Float64Array(n);
  let max = -Infinity;
  let argmax = -1;
  for (let i = 0; i < n; i++) {
    const s = scores[i];
    z[i] = kind === 'probabilities' ? (s > 0 ? Math.log(s) : -Infinity) : Number.isFinite(s) ? s : -Infinity;
    if (z[i] > max) {
      max = z[i];
      argmax = i;
    }
  }
  const p = new Float64Array(n);
  if (argmax < 0) return p;
  if (temperature <= 0) {
    p[argmax] = 1;
    return p;
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    p[i] = z[i] === -Infinity ? 0 : Math.exp((z[i] - max) / temperature);
    total += p[i];
  }
  for (let i = 0; i < n; i++) p[i] /= total;
  return p;
}

/**
 * Picks the next token from one position's scores (probabilities or logits)
 * with `temperature` (`temperatureSoftmax`: 0 takes the most likely token)
 * and `topK`, using `u` uniform in [0, 1). Only ids below `vocabSize` and
 * not `banned` are candidates: they are masked before the temperature,
 * top-k and the draw, so the rest share the probability.
 */
export function sampleToken(
  scores: ArrayLike<number>,
  kind: OutputKind,
  temperature: number,
  topK: number,
  u: number,
  banned: readonly number[] = [],
  vocabSize: number = scores.length,
): number {
  const n = Math.min(scores.length, vocabSize);
  const isBanned = new Uint8Array(n);
  for (const b of banned) if (b >= 0 && b < n) isBanned[b] = 1;
  const allowed = Array.from({ length: n }, (_, i) => i).filter((i) => !isBanned[i]);
  if (allowed.length === 0) throw new RangeError(`no token to sample: ${n} ${n === 1 ? 'id' : 'ids'} below the vocabulary size, all of them banned`);
  // A banned id is impossible, as a probability of 0 or a logit of -Infinity is.
  const impossible = kind === 'probabilities' ? 0 : -Infinity;
  const p = temperatureSoftmax(Float64Array.from({ length: n }, (_, i) => (isBanned[i] ? impossible : scores[i])), kind, temperature);
  let order = allowed.filter((i) => p[i] > 0);
  // Every allowed score is impossible (probabilities of 0): draw among them evenly.
  if (order.length === 0) return allowed[Math.min(allowed.length - 1, Math.floor(u * allowed.length))];
  order.sort((a, b) => p[b] - p[a]);
  if (topK > 0 && topK < order.length) order = order.slice(0, topK);
  const total = order.reduce((s, i) => s + p[i], 0);
  let acc = 0;
  for (const i of order) {
    acc += p[i] / total;
    if (u < acc) return i;
  }
  return order[order.length - 1];
}

/** Continues `prompt` (token ids, at least one) by `maxTokens` tokens; returns only the new ones. */
export async function generateTokens(tf: Tf, model: tfTypes.LayersModel, prompt: readonly number[], o: GenerateOptions): Promise<number[]> {
  if (prompt.length === 0) throw new Error('generation needs at least one prompt token');
  const rng = createRng(o.seed ?? 1);
  const ids = [...prompt];
  const out: number[] = [];
  // A model of a fixed length (`input chars: int[16]`) reads windows of exactly that many tokens: a shorter one
  // (a short prompt, the start of generation) is padded on the left with id 0, the unknown token.
  const fixed = model.inputs[0]?.shape[1];
  for (let k = 0; k < o.maxTokens; k++) {
    if (o.cancelled?.()) break;
    let window = ids.slice(-o.context);
    if (typeof fixed === 'number' && window.length < fixed) window = [...new Array<number>(fixed - window.length).fill(0), ...window];
    const last = tf.tidy(() => {
      const y = model.predict(tf.tensor2d([window], [1, window.length], 'int32')) as tfTypes.Tensor;
      // [1, T, V] → the scores at the last position.
      return tf.squeeze(tf.slice(y, [0, window.length - 1, 0], [1, 1, -1]));
    });
    const scores = await last.data();
    last.dispose();
    const id = sampleToken(scores, o.outputKind, o.temperature, o.topK, rng.next(), o.banned, o.vocabSize);
    ids.push(id);
    out.push(id);
    o.onToken?.(id);
  }
  return out;
}
