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
 * Picks the next token from one position's scores (probabilities or logits)
 * with `temperature` and `topK`, using `u` uniform in [0, 1). Only ids below
 * `vocabSize` and not `banned` are candidates: they are masked before the
 * temperature, top-k and the draw, so the rest share the probability.
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
  const logits = new Float64Array(n);
  for (let i = 0; i < n; i++) logits[i] = kind === 'probabilities' ? Math.log(Math.max(scores[i], 1e-30)) : scores[i];
  for (const b of banned) if (b >= 0 && b < n) logits[b] = -Infinity;
  const allowed = Array.from({ length: n }, (_, i) => i).filter((i) => !banned.includes(i));
  if (allowed.length === 0) throw new RangeError(`no token to sample: ${n} ${n === 1 ? 'id' : 'ids'} below the vocabulary size, all of them banned`);
  if (temperature <= 0) {
    let best = allowed[0];
    for (const i of allowed) if (logits[i] > logits[best]) best = i;
    return best;
  }
  let order = allowed.filter((i) => logits[i] > -Infinity);
  // Every allowed score underflowed (probabilities of 0): draw among them evenly.
  if (order.length === 0) return allowed[Math.min(allowed.length - 1, Math.floor(u * allowed.length))];
  order.sort((a, b) => logits[b] - logits[a]);
  if (topK > 0 && topK < order.length) order = order.slice(0, topK);
  const max = logits[order[0]];
  const weights = order.map((i) => Math.exp((logits[i] - max) / temperature));
  const total = weights.reduce((s, w) => s + w, 0);
  let acc = 0;
  for (let j = 0; j < order.length; j++) {
    acc += weights[j] / total;
    if (u < acc) return order[j];
  }
  return order[order.length - 1];
}

/** Continues `prompt` (token ids, at least one) by `maxTokens` tokens; returns only the new ones. */
export async function generateTokens(tf: Tf, model: tfTypes.LayersModel, prompt: readonly number[], o: GenerateOptions): Promise<number[]> {
  if (prompt.length === 0) throw new Error('generation needs at least one prompt token');
  const rng = createRng(o.seed ?? 1);
  const ids = [...prompt];
  const out: number[] = [];
  for (let k = 0; k < o.maxTokens; k++) {
    if (o.cancelled?.()) break;
    const window = ids.slice(-o.context);
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
