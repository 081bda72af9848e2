/**
 * Colour maps for heatmaps, feature maps and kernels, and filling RGBA
 * pixel buffers from values. Pure: no DOM (an `ImageData` is made from the
 * buffer by the caller).
 */

export type Rgb = readonly [number, number, number];

/** Perceptually ordered dark-blue → green → yellow stops (viridis-like), 0–255. */
const SEQUENTIAL: readonly Rgb[] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 74, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [109, 205, 89],
  [180, 222, 44],
  [253, 231, 37],
];

/** Blue → near-white → red, for signed values (weights). */
const DIVERGING: readonly Rgb[] = [
  [33, 102, 172],
  [103, 169, 207],
  [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199],
  [239, 138, 98],
  [178, 24, 43],
];

function ramp(stops: readonly Rgb[], t: number): Rgb {
  const x = (Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

/** Colour of t in [0, 1] (clamped) on the sequential map. */
export function sequential(t: number): Rgb {
  return ramp(SEQUENTIAL, t);
}

/** Colour of t in [-1, 1] (clamped) on the diverging map; 0 is near-white. */
export function diverging(t: number): Rgb {
  return ramp(DIVERGING, (t + 1) / 2);
}

/**
 * Writes `count` values starting at `values[offset]` as opaque RGBA pixels
 * into `out` (from pixel 0), mapping [lo, hi] onto the sequential map. A
 * flat range (hi = lo) maps everything to the middle colour.
 */
export function fillSequential(values: ArrayLike<number>, offset: number, count: number, lo: number, hi: number, out: Uint8ClampedArray): void {
  const span = hi - lo;
  for (let i = 0; i < count; i++) {
    const t = span > 0 ? (values[offset + i] - lo) / span : 0.5;
    const [r, g, b] = sequential(t);
    const o = i * 4;
    out[o] = r;
    out[o + 1] = g;
    out[o + 2] = b;
    out[o + 3] = 255;
  }
}

/** As `fillSequential` for signed values on the diverging map, ±absMax at the ends. */
export function fillDiverging(values: ArrayLike<number>, offset: number, count: number, absMax: number, out: Uint8ClampedArray): void {
  for (let i = 0; i < count; i++) {
    const [r, g, b] = diverging(absMax > 0 ? values[offset + i] / absMax : 0);
    const o = i * 4;
    out[o] = r;
    out[o + 1] = g;
    out[o + 2] = b;
    out[o + 3] = 255;
  }
}

/** `formatValue` with a true minus sign ("−0.5321", "1.2e−5"), for text set beside other figures (legends, ranges). */
export function formatSigned(v: number): string {
  return formatValue(v).replace(/-/g, '\u2212');
}

/**
 * A range "lo … hi" in one formatting for both ends (a true minus sign):
 * the decimals that give the larger end 4 significant digits, the same on
 * both ("−0.2352 … 0.2700", not "−0.2352 … 0.27"); both in exponent form
 * when the larger end is tiny or huge (an exact zero then reads "0").
 */
export function formatRange(lo: number, hi: number): string {
  const a = Math.max(Math.abs(lo), Math.abs(hi));
  if (!Number.isFinite(a)) return `${formatSigned(lo)} … ${formatSigned(hi)}`;
  if (a === 0) return '0 … 0';
  const exponent = a >= 1e4 || a < 1e-3;
  const decimals = Math.max(0, 3 - Math.floor(Math.log10(a)));
  const one = (v: number) => {
    const text = exponent ? (v === 0 ? '0' : v.toExponential(2)) : v.toFixed(decimals);
    // A small negative end that rounds to zero reads as zero, not "−0.0000".
    return (Number(text) === 0 ? text.replace('-', '') : text).replace(/-/g, '\u2212');
  };
  return `${one(lo)} … ${one(hi)}`;
}

/** Compact number text for hovers: 4 significant digits, exponent form when tiny or huge. */
export function formatValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : Number(v.toPrecision(4)).toString();
}
