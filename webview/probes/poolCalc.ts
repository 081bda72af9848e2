/**
 * "How this value is computed" for one value of a pooling layer's output
 * (`maxpool`, `avgpool`, 1-D or 2-D), as the course notes teach it: the
 * window sits on one channel of the input (pooling is per channel), and
 * the value is its largest cell, or its mean. No weights: pooling learns
 * nothing. Pure arithmetic on plain arrays (no tfjs, no DOM), in float64;
 * unit tested against tf.maxPool / tf.avgPool (test/unit/pool-calc.test.ts).
 *
 * Geometry is TensorFlow's, as for a convolution of dilation 1 (convCalc.ts
 * padBefore / outLength): `valid` reads only full windows; `same` pads
 * `max((out − 1)·stride + k − n, 0)` positions, the smaller half before.
 * TensorFlow never reads those padding positions: a max is over the
 * window's cells inside the input, and a mean divides by their count (a
 * window cut by the border averages fewer cells). A 1-D pooling is a 2-D
 * one of height 1.
 *
 * Explicit padding (`maxpool(3, stride = 2, padding = 1)`, PyTorch's) puts
 * `p` positions on each side: max pooling never picks them (PyTorch pads
 * −∞), and average pooling counts them as zeros in the mean (PyTorch's
 * `count_include_pad = True`): the divisor is the whole window.
 *
 * Ties: when several cells hold the maximum, TensorFlow (tf.maxPool's
 * gradient, tf.maxPoolWithArgmax) picks the first in row-major order (the
 * top row first, then the leftmost): that is the cell the breakdown
 * outlines, and the one the gradient flows back to in training.
 */
import { outLength, padBefore } from './convCalc';

export type PoolKind = 'max' | 'avg';

/** A pooling layer's geometry (no weights). */
export interface PoolCalcLayer {
  kind: PoolKind;
  /** `[kh, kw]` (or `[k]` for a 1-D pooling). */
  poolSize: readonly number[];
  strides: readonly number[];
  /** A word, or explicit padding on each side of each spatial axis (`[p]` for all, or `[ph, pw]`). */
  padding: 'valid' | 'same' | readonly number[];
}

/** The layer's input for one example: `[h, w, c]` (or `[len, c]`), row-major, channels last. */
export interface PoolCalcInput {
  /** `[h, w]` or `[len]`. */
  size: readonly number[];
  channels: number;
  data: ArrayLike<number>;
}

export interface PoolCalc {
  kind: PoolKind;
  /** Output position: `[row, col]` (or `[step]`). */
  position: number[];
  /** The channel: the same one in the input and the output. */
  channel: number;
  /** Window rows and columns (1 row for a 1-D pooling). */
  kh: number;
  kw: number;
  /** Input row under each window row, and column under each window column (outside the input: padding). */
  rows: number[];
  cols: number[];
  /** Input height and width (1 row for a 1-D pooling). */
  inHeight: number;
  inWidth: number;
  /** The window's cells, `[kh][kw]` row-major; NaN where it lies on padding never read, 0 on padding counted in the mean. */
  x: Float64Array;
  /** Whether each cell of the window lies on padding. */
  padded: boolean[];
  /** Whether the padding's cells are zeros counted in the mean (average pooling with explicit padding, PyTorch's `count_include_pad`). */
  countsPadding: boolean;
  /** Cells read: the window's cells inside the input, and the padding's when it counts (the mean's divisor). */
  n: number;
  /** Σ of the cells read. */
  sum: number;
  /** Max pooling: the window index of the maximum TensorFlow picks (the first in row-major order); -1 for average pooling. */
  argmax: number;
  /** Max pooling: every window index holding the maximum (ties), in row-major order; empty for average pooling. */
  ties: number[];
  /** The value: the max, or sum / n. */
  value: number;
  /** The magnitude float32 rounding errors scale with (the largest |cell|). */
  scale: number;
}

/**
 * The breakdown of the value at `position` (`[row, col]`, or `[step]` for a
 * 1-D pooling) of `channel`. The input's rank (`size.length`) says 1-D or 2-D.
 */
export function poolCalc(layer: PoolCalcLayer, input: PoolCalcInput, position: readonly number[], channel: number): PoolCalc {
  const two = input.size.length === 2;
  const [kh, kw] = two ? [layer.poolSize[0], layer.poolSize[1] ?? layer.poolSize[0]] : [1, layer.poolSize[0]];
  const [sh, sw] = two ? [layer.strides[0], layer.strides[1] ?? layer.strides[0]] : [1, layer.strides[0]];
  const [h, w] = two ? [input.size[0], input.size[1]] : [1, input.size[0]];
  // Explicit padding: one number for every axis, or one per axis.
  const pad = layer.padding;
  const axisPad = (i: number): 'valid' | 'same' | number => (typeof pad === 'string' ? pad : pad.length === 1 ? pad[0] : pad[i]);
  const [ph, pw] = two ? [axisPad(0), axisPad(1)] : [0, axisPad(0)];
  const outH = two ? outLength(h, kh, sh, 1, ph) : 1;
  const outW = outLength(w, kw, sw, 1, pw);
  const top = two ? padBefore(h, outH, kh, sh, 1, ph) : 0;
  const left = padBefore(w, outW, kw, sw, 1, pw);
  const countsPadding = layer.kind === 'avg' && typeof pad !== 'string';
  const [row, col] = two ? [position[0], position[1]] : [0, position[0]];
  if (!(row >= 0 && row < outH && col >= 0 && col < outW)) throw new Error(`position [${position.join(', ')}] is outside the ${outH} × ${outW} output`);
  const cin = input.channels;
  if (!(channel >= 0 && channel < cin)) throw new Error(`channel ${channel} is not one of the ${cin} channels`);
  const rows = Array.from({ length: kh }, (_, i) => row * sh - top + i);
  const cols = Array.from({ length: kw }, (_, j) => col * sw - left + j);
  const x = new Float64Array(kh * kw);
  const padded: boolean[] = [];
  let n = 0;
  let sum = 0;
  let scale = 0;
  let argmax = -1;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const t = i * kw + j;
      const [r, c] = [rows[i], cols[j]];
      const outside = r < 0 || r >= h || c < 0 || c >= w;
      padded.push(outside);
      if (outside) {
        // PyTorch's explicit padding on an average: a zero that counts; else never read.
        x[t] = countsPadding ? 0 : NaN;
        if (countsPadding) n++;
        continue;
      }
      const v = input.data[(r * w + c) * cin + channel];
      x[t] = v;
      n++;
      sum += v;
      scale = Math.max(scale, Math.abs(v));
      // Strictly greater: the first maximum in row-major order stays (TensorFlow's pick); a NaN (a diverged run) is passed over, as TensorFlow's CPU kernel does.
      if (argmax < 0 || Number.isNaN(x[argmax]) || v > x[argmax]) argmax = t;
    }
  }
  // No cell of the input (argmax is set by every cell read inside it).
  if (argmax < 0) throw new Error('the window lies wholly on padding');
  const isMax = layer.kind === 'max';
  const ties = isMax ? Array.from(x.keys()).filter((t) => !padded[t] && x[t] === x[argmax]) : [];
  return {
    kind: layer.kind,
    position: [...position],
    channel,
    kh,
    kw,
    rows,
    cols,
    inHeight: h,
    inWidth: w,
    x,
    padded,
    countsPadding,
    n,
    sum,
    argmax: isMax ? argmax : -1,
    ties,
    value: isMax ? x[argmax] : sum / n,
    scale,
  };
}
