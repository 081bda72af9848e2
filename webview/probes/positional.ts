/**
 * The position encodings of `positional` layers as plain arrays for
 * drawing: the table the layer adds to its input (the computed sine/cosine
 * table for `sinusoidal`, the trained `[maxlen, d]` weight for `learned`)
 * and the cosine similarity of its rows. No DOM; every tensor made here is
 * disposed.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../../extension/core/layers/types';
import { sinusoidalTable } from '../../extension/core/layers/embedding';

type TfLayer = tfTypes.layers.Layer;

/**
 * Positions read from a table (its first rows): a 256 × 256 similarity of
 * 768-wide rows is ~25 M multiply-adds, a few tens of milliseconds, where
 * GPT-2's 1024 would be 16 times that and a canvas taller than any panel.
 */
export const MAX_POSITIONS = 256;

/** The encoding one `positional` layer adds, its first `rows` positions. */
export interface PositionalTable {
  kind: 'sinusoidal' | 'learned';
  /** Positions the layer accepts (its `maxlen`). */
  maxlen: number;
  /** Dimensions (the feature size). */
  d: number;
  /** Positions read: min(maxlen, the cap asked for), from position 0. */
  rows: number;
  /** `[rows][d]` row-major: row p is the vector added at position p. */
  values: Float32Array;
  min: number;
  max: number;
  /** Largest |value| (0 for an all-zero table): the symmetric colour scale. */
  absMax: number;
}

/** The learned table: the layer's `…embeddings` weight of rank 2. */
function tableVariable(layer: TfLayer): tfTypes.LayerVariable | undefined {
  const ws = layer.weights.filter((w) => w.shape.length === 2);
  return ws.find((w) => /embeddings$/.test(w.originalName ?? w.name)) ?? ws[0];
}

/** Feature size of a layer's (first) input, or undefined when unknown. */
function inputWidth(layer: TfLayer): number | undefined {
  try {
    const input = layer.getInputAt(0);
    const shape = (Array.isArray(input) ? input[0] : input).shape;
    const d = shape[shape.length - 1];
    return typeof d === 'number' && d > 0 ? d : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The encoding of a `positional` layer (an `NnmodelPositional`): for
 * `sinusoidal` the table the layer computes, by the same function
 * (`sinusoidalTable`); for `learned` the first rows of its trained table.
 * Undefined for another layer, or one whose size is unknown.
 */
export function positionalTable(tf: Tf, layer: TfLayer, maxPositions = MAX_POSITIONS): PositionalTable | undefined {
  if (layer.getClassName() !== 'NnmodelPositional') return undefined;
  const config = layer.getConfig() as { kind?: unknown; maxlen?: unknown };
  const kind = config.kind === 'learned' ? 'learned' : 'sinusoidal';
  const maxlen = typeof config.maxlen === 'number' ? config.maxlen : 0;
  const variable = kind === 'learned' ? tableVariable(layer) : undefined;
  if (kind === 'learned' && !variable) return undefined;
  const d = variable ? (variable.shape[1] ?? undefined) : inputWidth(layer);
  const rows = Math.min(variable ? (variable.shape[0] ?? 0) : maxlen, Math.max(1, Math.floor(maxPositions)));
  if (d === undefined || rows < 1) return undefined;
  const values = tf.tidy(() => {
    const t = variable ? tf.slice(variable.read(), [0, 0], [rows, d]) : sinusoidalTable(tf, rows, d);
    return Float32Array.from(t.dataSync());
  });
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (values.length === 0) min = max = 0;
  return { kind, maxlen, d, rows, values, min, max, absMax: Math.max(Math.abs(min), Math.abs(max)) };
}

/**
 * Cosine similarity of every pair of the `rows` rows of `values`
 * (`[rows][d]` row-major): `[rows][rows]`, entry (p, q) = r_p·r_q /
 * (|r_p| |r_q|), symmetric, 1 on the diagonal. A zero row has no direction:
 * its entries are 0 (the diagonal too).
 */
export function cosineSimilarity(values: ArrayLike<number>, rows: number, d: number): Float32Array {
  const norms = new Float64Array(rows);
  for (let p = 0; p < rows; p++) {
    let s = 0;
    for (let j = 0, o = p * d; j < d; j++) s += values[o + j] * values[o + j];
    norms[p] = Math.sqrt(s);
  }
  const out = new Float32Array(rows * rows);
  for (let p = 0; p < rows; p++) {
    const a = p * d;
    for (let q = p; q < rows; q++) {
      const b = q * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += values[a + j] * values[b + j];
      const n = norms[p] * norms[q];
      const c = n > 0 ? Math.max(-1, Math.min(1, s / n)) : 0;
      out[p * rows + q] = c;
      out[q * rows + p] = c;
    }
  }
  return out;
}
