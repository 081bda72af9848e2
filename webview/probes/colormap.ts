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

/** The ends of the diverging map on a light background (ColorBrewer RdBu's), negative first. */
const LIGHT_ENDS: readonly [Rgb, Rgb] = [
  [33, 102, 172],
  [178, 24, 43],
];
/** The ends on a dark background: lighter, so that both keep a contrast of 4:1 or more against it. */
const DARK_ENDS: readonly [Rgb, Rgb] = [
  [92, 165, 222],
  [232, 104, 86],
];
/** Steps from each end to the centre (the ramp has 2·STEPS + 1 stops). */
const HALF_STEPS = 4;

/**
 * The stops of the diverging map for a page whose background is
 * `background`: blue (negative) → the background itself (zero) → red
 * (positive), so that a zero weight reads as nothing, in a light, a dark
 * or a high-contrast theme alike (a near-white centre glared on a dark
 * page). Darker ends on a light background, lighter ones on a dark one.
 */
export function divergingStops(background: Rgb): Rgb[] {
  const [neg, pos] = luminance(background) > 0.4 ? LIGHT_ENDS : DARK_ENDS;
  const mix = (a: Rgb, f: number): Rgb => [Math.round(a[0] + (background[0] - a[0]) * f), Math.round(a[1] + (background[1] - a[1]) * f), Math.round(a[2] + (background[2] - a[2]) * f)];
  const toward = (end: Rgb) => Array.from({ length: HALF_STEPS }, (_, i) => mix(end, i / HALF_STEPS));
  return [...toward(neg), [background[0], background[1], background[2]], ...toward(pos).reverse()];
}

/** The diverging map's stops: centred on white until the page says its background (`setDivergingBackground`). */
let DIVERGING: readonly Rgb[] = divergingStops([255, 255, 255]);

/**
 * Centres the diverging map (kernels, position encodings, their legends) on
 * the page's background; main.ts calls it at start and on each theme change
 * (and redraws the Kernels tab). Returns whether the map changed.
 */
export function setDivergingBackground(background: Rgb): boolean {
  const next = divergingStops(background);
  if (next.every((s, i) => s.every((v, k) => v === DIVERGING[i][k]))) return false;
  DIVERGING = next;
  return true;
}

/** Relative luminance (WCAG 2) of an sRGB colour, 0 (black) to 1 (white). */
export function luminance(c: Rgb): number {
  const lin = (v: number) => {
    const x = v / 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
}

/** WCAG contrast ratio of two colours (1 to 21). */
export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * A CSS colour as VS Code writes its theme variables ("#1e1e1e", "#fff",
 * "#1e1e1eff", "rgb(30, 30, 30)", "rgba(…)"), its alpha ignored;
 * undefined for a fully transparent rgba() and anything else (a colour
 * name, an empty variable).
 */
export function parseCssColour(text: string): Rgb | undefined {
  const t = text.trim().toLowerCase();
  let m = /^#([0-9a-f]{3,4})$/.exec(t);
  if (m) return [0, 1, 2].map((i) => parseInt(m![1][i] + m![1][i], 16)) as unknown as Rgb;
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/.exec(t);
  if (m) return [0, 2, 4].map((i) => parseInt(m![1].slice(i, i + 2), 16)) as unknown as Rgb;
  m = /^rgba?\(\s*(\d+(?:\.\d+)?)[\s,]+(\d+(?:\.\d+)?)[\s,]+(\d+(?:\.\d+)?)\s*(?:[,/]\s*([\d.]+)%?\s*)?\)$/.exec(t);
  // Fully transparent (a page without a background of its own) says nothing of the colour behind it.
  if (m && m[4] !== undefined && Number(m[4]) === 0) return undefined;
  if (m) return [m[1], m[2], m[3]].map((v) => Math.min(255, Math.round(Number(v)))) as unknown as Rgb;
  return undefined;
}

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

/** Colour of t in [-1, 1] (clamped) on the diverging map; 0 is the page's background (`setDivergingBackground`). */
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
