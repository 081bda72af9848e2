/**
 * The hand-made 3×3 kernels of the course notes ("Examples of real
 * kernels": identity, Gaussian blur, sharpen, edge detection), what they do
 * to an image, and which learned kernels of a convolution look like them.
 * No DOM: the Kernels tab draws the results (views/classicKernelsView.ts).
 *
 * - `classicMaps` filters a grey `[1, h, w, 1]` image with every classic
 *   kernel in one TensorFlow.js `conv2d` (stride 1, `same` padding: zeros
 *   beyond the border). TensorFlow.js's conv2d is a cross-correlation (the
 *   kernel is not flipped); the four classic kernels are symmetric, so it is
 *   also the convolution of the notes.
 * - `matchClassics` ranks the 2-D slices (filter, input channel) of a
 *   convolution's kernel by their cosine similarity to each classic kernel
 *   after removing each one's mean (so a kernel and the same kernel plus a
 *   constant, or times a positive factor, have similarity 1). A kernel
 *   larger than 3×3 (odd sizes) is compared with the classic kernel padded
 *   with zeros to its size: the same filter at that size.
 * - `chanceBest` is what the best of n random kernels would reach by chance.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../../extension/core/layers/types';

export type ClassicId = 'identity' | 'blur' | 'sharpen' | 'edge';

export interface ClassicKernel {
  id: ClassicId;
  name: string;
  /** What it does, in a few words. */
  does: string;
  /** The 3×3 entries as printed, row-major (integers). */
  entries: readonly number[];
  /** The printed factor's denominator: the kernel is `entries / divisor` (16 for the blur's 1/16, else 1). */
  divisor: number;
}

/** The four kernels of the course notes, in their order. */
export const CLASSIC_KERNELS: readonly ClassicKernel[] = [
  { id: 'identity', name: 'Identity', does: 'leaves the image as it is', entries: [0, 0, 0, 0, 1, 0, 0, 0, 0], divisor: 1 },
  { id: 'blur', name: 'Gaussian blur', does: 'averages each pixel with its neighbours', entries: [1, 2, 1, 2, 4, 2, 1, 2, 1], divisor: 16 },
  { id: 'sharpen', name: 'Sharpen', does: 'adds to each pixel how much it differs from its neighbours', entries: [0, -1, 0, -1, 5, -1, 0, -1, 0], divisor: 1 },
  { id: 'edge', name: 'Edge detection', does: 'is 0 on flat areas, large where brightness changes', entries: [-1, -1, -1, -1, 8, -1, -1, -1, -1], divisor: 1 },
];

/** The kernel's 9 weights, row-major. */
export function classicWeights(k: ClassicKernel): Float32Array {
  return Float32Array.from(k.entries, (v) => v / k.divisor);
}

/** One classic kernel applied to the image. */
export interface ClassicMap {
  id: ClassicId;
  h: number;
  w: number;
  /** Row-major `[h][w]`. */
  values: Float32Array;
  min: number;
  max: number;
}

/**
 * `image` (`[1, h, w, 1]`) filtered by each of `kernels` with one
 * `tf.conv2d` (stride 1, `same` padding). Every tensor made here is disposed.
 */
export function classicMaps(tf: Tf, image: tfTypes.Tensor4D, kernels: readonly ClassicKernel[] = CLASSIC_KERNELS): ClassicMap[] {
  const [n, h, w, c] = image.shape;
  if (n !== 1 || c !== 1) throw new Error(`classic kernels filter one grey image [1, h, w, 1], got [${image.shape.join(', ')}]`);
  // Filter layout [kh, kw, in, out]: out = kernel index.
  const filter = new Float32Array(9 * kernels.length);
  kernels.forEach((k, o) => classicWeights(k).forEach((v, i) => (filter[i * kernels.length + o] = v)));
  const all = tf.tidy(() => tf.conv2d(image, tf.tensor4d(filter, [3, 3, 1, kernels.length]), 1, 'same').dataSync());
  return kernels.map((k, o) => {
    const values = new Float32Array(h * w);
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < h * w; i++) {
      const v = all[i * kernels.length + o];
      values[i] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { id: k.id, h, w, values, min: h * w ? min : 0, max: h * w ? max : 0 };
  });
}

// ------------------------------------------------------------------ similarity

/**
 * The cosine similarity of `a` and `b` after removing each one's mean, in
 * [-1, 1]; undefined when either is constant (nothing left to compare).
 */
export function centredCosine(a: ArrayLike<number>, b: ArrayLike<number>): number | undefined {
  const n = a.length;
  if (n !== b.length) throw new Error(`kernels of ${n} and ${b.length} weights cannot be compared`);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma;
    const y = b[i] - mb;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  // Relative to the sizes of the weights: rounding leaves ~1e-16 of a constant kernel.
  const tiny = 1e-12;
  if (na <= tiny * (ma * ma * n + tiny) || nb <= tiny * (mb * mb * n + tiny)) return undefined;
  return Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
}

/**
 * A 3×3 kernel (row-major) padded with zeros, centred, to `kh × kw`: the
 * same filter at that size. Undefined when it cannot be centred (a side
 * smaller than 3 or of even size).
 */
export function padKernel(k: ArrayLike<number>, kh: number, kw: number): Float32Array | undefined {
  if (kh < 3 || kw < 3 || (kh - 3) % 2 !== 0 || (kw - 3) % 2 !== 0) return undefined;
  const out = new Float32Array(kh * kw);
  const top = (kh - 3) / 2;
  const left = (kw - 3) / 2;
  for (let y = 0; y < 3; y++) for (let x = 0; x < 3; x++) out[(top + y) * kw + left + x] = k[y * 3 + x];
  return out;
}

/** A 2-D slice of a convolution's kernel: filter (output channel) `filter`'s weights on input channel `channel`. */
export interface KernelSlice {
  filter: number;
  channel: number;
  /** Centred cosine similarity to the classic kernel. */
  similarity: number;
}

export interface ClassicMatch {
  id: ClassicId;
  /** The most similar slices (up to `top`), most similar first; ties: lower filter, then channel, first. */
  ranking: KernelSlice[];
  /** The most similar slice, when any could be compared. */
  best?: KernelSlice;
  /** The most opposite slice (most negative similarity), when it is further from 0 than `best`: the kernel inverted. */
  opposite?: KernelSlice;
  /** Slices compared: all but the constant ones, which have no similarity. */
  compared: number;
}

/** The weights a match reads: `[cout][cin][kh][kw]` row-major, as `KernelSet` (probes/kernels.ts) holds them. */
export interface KernelWeights {
  kh: number;
  kw: number;
  cin: number;
  cout: number;
  weights: Float32Array;
}

/**
 * For each classic kernel, the `top` (filter, input channel) slices of
 * `set` most similar to it by centred cosine similarity (as
 * `centredCosine`), and the most opposite one. Undefined when the kernel's
 * size cannot hold a centred 3×3 one (`padKernel`). Linear in the weights:
 * a 3×3 layer of 512 × 512 channels is 262 144 slices.
 */
export function matchClassics(set: KernelWeights, top = 8, kernels: readonly ClassicKernel[] = CLASSIC_KERNELS): ClassicMatch[] | undefined {
  const { kh, kw, cin, cout, weights } = set;
  const size = kh * kw;
  const slices = cout * cin;
  if (weights.length !== slices * size) throw new Error(`expected ${slices * size} weights, got ${weights.length}`);
  const padded = kernels.map((k) => padKernel(classicWeights(k), kh, kw));
  if (padded.some((t) => !t)) return undefined;
  // Targets centred once; a slice's dot with a centred target needs no centring of the slice.
  const targets = padded.map((t) => {
    const mean = t!.reduce((a, b) => a + b, 0) / size;
    const c = Float64Array.from(t!, (v) => v - mean);
    return { c, norm: Math.sqrt(c.reduce((a, v) => a + v * v, 0)) };
  });
  // Each slice's centred norm (0 for a constant slice, within the tolerance of centredCosine).
  const norms = new Float64Array(slices);
  for (let s = 0; s < slices; s++) {
    const base = s * size;
    let mean = 0;
    for (let j = 0; j < size; j++) mean += weights[base + j];
    mean /= size;
    let na = 0;
    for (let j = 0; j < size; j++) {
      const x = weights[base + j] - mean;
      na += x * x;
    }
    norms[s] = na <= 1e-12 * (mean * mean * size + 1e-12) ? 0 : Math.sqrt(na);
  }
  return kernels.map((k, ki) => {
    const { c, norm } = targets[ki];
    const ranked: { s: number; v: number }[] = [];
    let low: { s: number; v: number } | undefined;
    let compared = 0;
    for (let s = 0; s < slices; s++) {
      if (norms[s] === 0 || norm === 0) continue;
      compared++;
      const base = s * size;
      let dot = 0;
      for (let j = 0; j < size; j++) dot += weights[base + j] * c[j];
      const v = Math.max(-1, Math.min(1, dot / (norms[s] * norm)));
      if (!low || v < low.v) low = { s, v };
      // Insertion into the top list (slices come in index order, so an equal value stays after).
      if (ranked.length < top || v > ranked[ranked.length - 1].v) {
        let at = ranked.length;
        while (at > 0 && ranked[at - 1].v < v) at--;
        ranked.splice(at, 0, { s, v });
        if (ranked.length > top) ranked.pop();
      }
    }
    const slice = (r: { s: number; v: number }): KernelSlice => ({ filter: Math.floor(r.s / cin), channel: r.s % cin, similarity: r.v });
    const ranking = ranked.map(slice);
    const match: ClassicMatch = { id: k.id, ranking, compared };
    if (ranking[0]) match.best = ranking[0];
    if (low && low.v < 0 && -low.v > ranking[0].similarity) match.opposite = slice(low);
    return match;
  });
}

/**
 * Pairs of kernels that are the same pattern once their means are removed
 * (centred similarity ≥ 0.9999), compared at `kh × kw` as `matchClassics`
 * compares them (padded with zeros): they differ only by a constant added
 * to every weight and a positive factor, so they have the same best match.
 * At 3×3, edge detection is 9 × identity − 1 everywhere; padded to 5×5 they
 * differ (the constant stops at the 3×3 border). Empty when the size cannot
 * hold them (`padKernel`).
 */
export function sameOnceCentred(kh = 3, kw = 3, kernels: readonly ClassicKernel[] = CLASSIC_KERNELS): [ClassicId, ClassicId][] {
  const pairs: [ClassicId, ClassicId][] = [];
  const padded = kernels.map((k) => padKernel(classicWeights(k), kh, kw));
  for (let a = 0; a < kernels.length; a++) {
    for (let b = a + 1; b < kernels.length; b++) {
      const [x, y] = [padded[a], padded[b]];
      const s = x && y ? centredCosine(x, y) : undefined;
      if (s !== undefined && s >= 0.9999) pairs.push([kernels[a].id, kernels[b].id]);
    }
  }
  return pairs;
}

/**
 * Which convolution to compare with the classic kernels, from the model's
 * convolutions in order (`op`: the registry name, `kh × kw` its kernel):
 * the first `conv2d` with 3×3 kernels (`exact`); else the first `conv2d`
 * when its size is odd and larger (`padded`: the classic kernels padded
 * with zeros to it); else the first `conv2d` with the reason it is skipped
 * (`skip`). Undefined when there is no `conv2d`.
 */
export function pickMatchLayer(
  convs: readonly { op: string; kh: number; kw: number }[],
): { index: number; how: 'exact' | 'padded' } | { index: number; how: 'skip'; reason: string } | undefined {
  const twoD = convs.map((c, index) => ({ ...c, index })).filter((c) => c.op === 'conv2d');
  const exact = twoD.find((c) => c.kh === 3 && c.kw === 3);
  if (exact) return { index: exact.index, how: 'exact' };
  const first = twoD[0];
  if (!first) return undefined;
  if (padKernel(new Float32Array(9), first.kh, first.kw)) return { index: first.index, how: 'padded' };
  const reason =
    first.kh < 3 || first.kw < 3
      ? `its ${first.kh}×${first.kw} kernels are smaller than 3×3`
      : `its ${first.kh}×${first.kw} kernels have no centre pixel to put a 3×3 kernel's centre on`;
  return { index: first.index, how: 'skip', reason };
}

// ------------------------------------------------------------------ chance

/**
 * The similarity the best of `n` random kernels reaches by chance (the
 * median of the largest of n), for kernels of `weights` weights compared
 * as `centredCosine` does: with the mean removed they are directions in
 * `weights − 1` dimensions, taken as uniformly random (exact for Gaussian
 * weights, close for the uniform ones layers start from). The cosine of a
 * random direction with a fixed one in d dimensions is cos θ, θ with
 * density ∝ sin^(d−2) θ on [0, π]; undefined below d = 2 or n < 1.
 */
export function chanceBest(weights: number, n: number): number | undefined {
  const d = weights - 1;
  if (d < 2 || n < 1 || !Number.isFinite(n)) return undefined;
  // P(cos ≤ t) = ∫_{acos t}^{π} sin^(d−2) / ∫_0^π sin^(d−2), by Simpson's rule on a fixed grid.
  const steps = 2000;
  const h = Math.PI / steps;
  const f = (theta: number) => Math.pow(Math.sin(theta), d - 2);
  const simpson = (a: number, b: number) => ((b - a) / 6) * (f(a) + 4 * f((a + b) / 2) + f(b));
  /** ∫_0^{j·h} for even j. */
  const cumulative = new Float64Array(steps + 1);
  for (let j = 0; j < steps; j += 2) cumulative[j + 2] = cumulative[j] + simpson(j * h, (j + 2) * h);
  const total = cumulative[steps];
  /** ∫_0^θ: the grid up to the even point below θ, then Simpson's rule on the rest. */
  const integral = (theta: number) => {
    const j = Math.min(steps - 2, 2 * Math.floor(theta / h / 2));
    return cumulative[j] + simpson(j * h, Math.min(theta, Math.PI));
  };
  const cdf = (t: number) => 1 - integral(Math.acos(Math.max(-1, Math.min(1, t)))) / total;
  // The largest of n is ≤ t with probability cdf(t)^n: its median solves cdf(t) = 0.5^(1/n).
  const goal = Math.pow(0.5, 1 / n);
  let lo = -1;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < goal) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
