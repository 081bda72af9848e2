/**
 * The built-in synthetic data sets (`data: digits(...)`, `shapes(...)`,
 * `sequences(...)`, `waves(...)`): generated on the fly from a seed, so a
 * fresh install trains with no download and the same seed always gives the
 * same examples, in Node and in the browser. Pure TypeScript, no DOM, no
 * tfjs: the results are plain typed arrays the runtime turns into tensors.
 *
 * Layout: `xs` holds `count` examples one after the other, each
 * `exampleShape` in row-major order (images `[h, w, c]`, channels last, as
 * the language's shapes); `ys` likewise with `targetShape`.
 */
import { createRng, type Rng } from './random';
import { arc, bezier, coverage, strokePolyline, type GreyImage, type Point } from './raster';

/** What every synthetic set returns. */
export interface SyntheticDataset<X extends Float32Array | Int32Array = Float32Array | Int32Array, Y extends Float32Array | Int32Array = Float32Array | Int32Array> {
  name: 'digits' | 'shapes' | 'sequences' | 'waves';
  /** Number of examples. */
  count: number;
  /** Inputs, `count × exampleShape` values. */
  xs: X;
  /** dtype of `xs` as tfjs names it. */
  xDtype: X extends Int32Array ? 'int32' : 'float32';
  /** Shape of one input, e.g. `[28, 28, 1]`. */
  exampleShape: number[];
  /** Targets, `count × targetShape` values. */
  ys: Y;
  /** Shape of one target: `[]` for a class index, `[length]` for per-position tokens, `[length, 1]` for values. */
  targetShape: number[];
  /**
   * Names of the target classes, index = class id (digits '0'…'9', shapes,
   * tokens of a sequence task); empty for regression (`waves`).
   */
  classes: string[];
}

export type ImageDataset = SyntheticDataset<Float32Array, Int32Array>;
export type SequenceDataset = SyntheticDataset<Int32Array, Int32Array>;
export type WaveDataset = SyntheticDataset<Float32Array, Float32Array>;

/** Largest number of examples one call generates (a guard against typos such as 6000000). */
export const MAX_SAMPLES = 200_000;

function checkCount(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

// ------------------------------------------------------------------ digits

/**
 * Each digit as strokes in a unit box (x right, y down), written the way a
 * hand draws it. Variants give the data more than one way to write a digit.
 */
const DIGIT_STROKES: readonly (readonly (readonly Point[])[])[][] = [
  // 0
  [[arc(0.5, 0.5, 0.36, 0.5, -90, 270, 32)], [arc(0.5, 0.5, 0.3, 0.5, -80, 285, 32)]],
  // 1
  [
    [[[0.55, 0], [0.55, 1]], [[0.3, 0.22], [0.55, 0]]],
    [[[0.5, 0], [0.5, 1]]],
    [[[0.58, 0], [0.45, 1]], [[0.35, 0.2], [0.58, 0]], [[0.3, 1], [0.65, 1]]],
  ],
  // 2
  [
    [[...arc(0.5, 0.3, 0.36, 0.3, 190, 380), [0.1, 1], [0.92, 1]]],
    [[...arc(0.5, 0.28, 0.34, 0.28, 180, 400), ...bezier([0.8, 0.5], [0.3, 0.75], [0.1, 1]), [0.9, 0.98]]],
  ],
  // 3
  [
    [[...arc(0.5, 0.26, 0.34, 0.26, 200, 450)], [...arc(0.5, 0.74, 0.38, 0.26, 270, 515)]],
    [[[0.12, 0], [0.85, 0], [0.45, 0.42]], [...arc(0.5, 0.7, 0.38, 0.3, 255, 510)]],
  ],
  // 4
  [
    [[[0.72, 1], [0.72, 0], [0.05, 0.68], [0.95, 0.68]]],
    [[[0.25, 0], [0.12, 0.6], [0.92, 0.6]], [[0.72, 0.25], [0.72, 1]]],
  ],
  // 5
  [[[[0.85, 0], [0.22, 0], [0.17, 0.45]], arc(0.5, 0.68, 0.38, 0.32, 220, 500)]],
  // 6
  [
    [[...bezier([0.78, 0], [0.12, 0.25], [0.14, 0.72])], arc(0.5, 0.72, 0.36, 0.28, 0, 360, 28)],
    [[...bezier([0.7, 0], [0.2, 0.35], [0.16, 0.75]), ...arc(0.5, 0.74, 0.34, 0.26, 180, 530)]],
  ],
  // 7
  [
    [[[0.08, 0], [0.92, 0], [0.38, 1]]],
    [[[0.08, 0], [0.92, 0], [0.42, 1]], [[0.3, 0.52], [0.78, 0.52]]],
  ],
  // 8
  [[arc(0.5, 0.25, 0.3, 0.25, 0, 360, 28), arc(0.5, 0.74, 0.36, 0.26, 0, 360, 28)]],
  // 9
  [
    [arc(0.48, 0.3, 0.34, 0.3, 0, 360, 28), [...bezier([0.82, 0.3], [0.84, 0.75], [0.55, 1])]],
    [arc(0.5, 0.28, 0.34, 0.28, 0, 360, 28), [[0.84, 0.28], [0.82, 1]]],
  ],
];

export const DIGIT_CLASSES: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export interface DigitsOptions {
  samples: number;
  /** Side of the square image in pixels (default 28). Above 28 the digit keeps its 28-pixel scale and gains a border, as LeNet's 32×32 inputs did. */
  size?: number;
  seed?: number;
  /** Standard deviation of the pixel noise is drawn up to this (default 0.08). */
  noise?: number;
}

/** Jitter of one drawn digit. */
interface DigitStyle {
  angle: number;
  scaleX: number;
  scaleY: number;
  shear: number;
  dx: number;
  dy: number;
  stroke: number;
  /** Amplitude and phases of a smooth wobble of the strokes (handwriting). */
  wobble: number;
  phase: [number, number];
  intensity: number;
  noise: number;
}

function randomDigitStyle(rng: Rng, inner: number, noise: number): DigitStyle {
  const px = inner / 28;
  return {
    angle: (rng.uniform(-14, 14) * Math.PI) / 180,
    scaleX: rng.uniform(0.8, 1.12),
    scaleY: rng.uniform(0.85, 1.08),
    shear: rng.uniform(-0.22, 0.22),
    dx: rng.uniform(-2.2, 2.2) * px,
    dy: rng.uniform(-2, 2) * px,
    stroke: rng.uniform(1.5, 2.9) * px,
    wobble: rng.uniform(0, 0.035),
    phase: [rng.uniform(0, 2 * Math.PI), rng.uniform(0, 2 * Math.PI)],
    intensity: rng.uniform(0.8, 1),
    noise: rng.uniform(0, noise),
  };
}

/** Draws digit `label` (variant `variant`) into a fresh size×size image. */
function drawDigit(label: number, variant: number, size: number, style: DigitStyle, rng: Rng | undefined): GreyImage {
  const img: GreyImage = { width: size, height: size, data: new Float32Array(size * size) };
  const inner = Math.min(size, 28);
  // MNIST digits sit in a ~20 px high box, centred in 28 px.
  const boxH = (19 / 28) * inner;
  const boxW = label === 1 ? boxH * 0.5 : boxH * 0.62;
  const cos = Math.cos(style.angle);
  const sin = Math.sin(style.angle);
  const c = size / 2;
  const place = ([ux, uy]: Point): Point => {
    const wx = ux + style.wobble * Math.sin(2 * Math.PI * uy * 1.3 + style.phase[0]);
    const wy = uy + style.wobble * Math.sin(2 * Math.PI * ux * 1.1 + style.phase[1]);
    let x = (wx - 0.5) * boxW * style.scaleX;
    const y = (wy - 0.5) * boxH * style.scaleY;
    x += style.shear * -y;
    return [c + style.dx + cos * x - sin * y, c + style.dy + sin * x + cos * y];
  };
  const strokes = DIGIT_STROKES[label][variant];
  for (const stroke of strokes) strokePolyline(img, stroke.map(place), style.stroke, style.intensity);
  if (rng && style.noise > 0) {
    const d = img.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i] + style.noise * rng.normal();
      d[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return img;
}

/**
 * Grey-scale hand-drawn-looking digits 0–9: strokes with random rotation,
 * scale, shear, shift, stroke width, a smooth wobble and pixel noise.
 * Values in [0, 1] (ink bright on black, as MNIST); labels balanced and
 * shuffled. `exampleShape` is `[size, size, 1]`.
 */
export function digits(options: DigitsOptions): ImageDataset {
  const count = checkCount('samples', options.samples, 1, MAX_SAMPLES);
  const size = checkCount('size', options.size ?? 28, 8, 256);
  const noise = options.noise ?? 0.08;
  const rng = createRng(options.seed ?? 0);
  const labels = rng.shuffle(Array.from({ length: count }, (_, i) => i % 10));
  const plane = size * size;
  const xs = new Float32Array(count * plane);
  const ys = new Int32Array(count);
  const inner = Math.min(size, 28);
  for (let i = 0; i < count; i++) {
    const label = labels[i];
    const variant = rng.int(DIGIT_STROKES[label].length);
    const img = drawDigit(label, variant, size, randomDigitStyle(rng, inner, noise), rng);
    xs.set(img.data, i * plane);
    ys[i] = label;
  }
  return { name: 'digits', count, xs, xDtype: 'float32', exampleShape: [size, size, 1], ys, targetShape: [], classes: [...DIGIT_CLASSES] };
}

// ------------------------------------------------------------------ shapes

export const SHAPE_CLASSES: readonly string[] = ['circle', 'square', 'triangle'];

export interface ShapesOptions {
  samples: number;
  /** Side of the square RGB image in pixels (default 32). */
  size?: number;
  seed?: number;
}

type Rgb = [number, number, number];

function hsv(h: number, s: number, v: number): Rgb {
  const f = (n: number) => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

const luminance = ([r, g, b]: Rgb) => 0.299 * r + 0.587 * g + 0.114 * b;

interface ShapeSpec {
  kind: number;
  cx: number;
  cy: number;
  /** Circle radius; half side of the square; circumradius of the triangle. */
  r: number;
  angle: number;
  fg: Rgb;
  bg: Rgb;
  noise: number;
}

/** Signed distance (negative inside) from (x, y) to the shape's edge, in pixels. */
function shapeDistance(s: ShapeSpec, x: number, y: number): number {
  const dx = x - s.cx;
  const dy = y - s.cy;
  if (s.kind === 0) return Math.hypot(dx, dy) - s.r;
  const cos = Math.cos(-s.angle);
  const sin = Math.sin(-s.angle);
  const lx = cos * dx - sin * dy;
  const ly = sin * dx + cos * dy;
  if (s.kind === 1) {
    const qx = Math.abs(lx) - s.r;
    const qy = Math.abs(ly) - s.r;
    return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0);
  }
  // Equilateral triangle: the largest distance past its three edges (exact inside and along the edges).
  let d = -Infinity;
  for (let k = 0; k < 3; k++) {
    const a = -Math.PI / 2 + Math.PI + (k * 2 * Math.PI) / 3;
    d = Math.max(d, lx * Math.cos(a) + ly * Math.sin(a) - s.r / 2);
  }
  return d;
}

function randomShape(rng: Rng, kind: number, size: number): ShapeSpec {
  const r = rng.uniform(0.16, 0.36) * size;
  // The triangle reaches r from its centre at its corners, the square r·√2.
  const reach = kind === 1 ? r * Math.SQRT2 : r;
  const margin = Math.min(reach + 1, size / 2);
  const bg = hsv(rng.next(), rng.uniform(0, 0.5), rng.uniform(0.05, 0.95));
  let fg: Rgb = hsv(rng.next(), rng.uniform(0.4, 1), rng.uniform(0.3, 1));
  // Keep the shape visible: at least 0.25 apart in luminance from the background.
  for (let tries = 0; tries < 20 && Math.abs(luminance(fg) - luminance(bg)) < 0.25; tries++) {
    fg = hsv(rng.next(), rng.uniform(0.4, 1), luminance(bg) > 0.5 ? rng.uniform(0.05, 0.4) : rng.uniform(0.6, 1));
  }
  return {
    kind,
    cx: rng.uniform(margin, size - margin),
    cy: rng.uniform(margin, size - margin),
    r,
    angle: rng.uniform(0, 2 * Math.PI),
    fg,
    bg,
    noise: rng.uniform(0, 0.04),
  };
}

function drawShape(s: ShapeSpec, size: number, rng: Rng | undefined, out: Float32Array, offset: number): void {
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const a = coverage(shapeDistance(s, x + 0.5, y + 0.5));
      const o = offset + (y * size + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        let v = s.bg[ch] + (s.fg[ch] - s.bg[ch]) * a;
        if (rng && s.noise > 0) v += s.noise * rng.normal();
        out[o + ch] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  }
}

/**
 * RGB images of one circle, square or triangle each (classes in that
 * order), in random colours on a random background, of random size,
 * position and rotation, with light noise. Values in [0, 1];
 * `exampleShape` is `[size, size, 3]`.
 */
export function shapes(options: ShapesOptions): ImageDataset {
  const count = checkCount('samples', options.samples, 1, MAX_SAMPLES);
  const size = checkCount('size', options.size ?? 32, 8, 256);
  const rng = createRng(options.seed ?? 0);
  const labels = rng.shuffle(Array.from({ length: count }, (_, i) => i % 3));
  const plane = size * size * 3;
  const xs = new Float32Array(count * plane);
  const ys = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    drawShape(randomShape(rng, labels[i], size), size, rng, xs, i * plane);
    ys[i] = labels[i];
  }
  return { name: 'shapes', count, xs, xDtype: 'float32', exampleShape: [size, size, 3], ys, targetShape: [], classes: [...SHAPE_CLASSES] };
}

// ------------------------------------------------------------------ sequences

export type SequenceTask = 'copy' | 'reverse' | 'sort';
export const SEQUENCE_TASKS: readonly SequenceTask[] = ['copy', 'reverse', 'sort'];

export interface SequencesOptions {
  samples: number;
  task: SequenceTask;
  /** Tokens per example. */
  length: number;
  /** Token ids are drawn from [0, vocab) (`sequencePairs`: [1, vocab), 0 being `BOS`). */
  vocab: number;
  seed?: number;
}

/**
 * Random token sequences with a target token at every position: the input
 * itself (`copy`), reversed (`reverse`) or sorted ascending (`sort`). The
 * target at position i depends on the whole input for `reverse` and
 * `sort`, so those need attention without a causal mask; a causal model can
 * learn `copy`. `xs` and `ys` are int32, both `[length]` per example;
 * `classes` names the token ids.
 */
export function sequences(options: SequencesOptions): SequenceDataset {
  return generateSequences(options, 0).data;
}

/**
 * The token that starts every decoder input of `sequencePairs` ("beginning
 * of sequence"). Id 0 is reserved for it, so the sequences draw their tokens
 * from 1 … vocab − 1 and `vocab` stays the size of the embedding and of the
 * output, as for one-input models.
 */
export const BOS = 0;

/** `sequences` for an encoder-decoder model: the source, the decoder's (teacher-forced) input and the answer. */
export interface SequencePairDataset extends SequenceDataset {
  /** Decoder inputs, `count × length`: `BOS` followed by the answer shifted right by one (its last token dropped). */
  decoderXs: Int32Array;
}

/**
 * The sequence tasks by teacher forcing, for a model with two inputs (an
 * encoder-decoder Transformer): `xs` is the source sequence (tokens from
 * 1 … vocab − 1), `ys` the answer (copied, reversed or sorted source) and
 * `decoderXs` what the decoder reads while it writes the answer: `BOS`,
 * then the answer up to the position before. The prediction at position t
 * sees the answer's tokens before t (with a causal decoder) and the whole
 * source, which is the situation of greedy decoding one token at a time.
 */
export function sequencePairs(options: SequencesOptions): SequencePairDataset {
  const { data, answers } = generateSequences(options, 1);
  const length = data.exampleShape[0];
  const decoderXs = new Int32Array(answers.length);
  for (let i = 0; i < data.count; i++) {
    const o = i * length;
    decoderXs[o] = BOS;
    decoderXs.set(answers.subarray(o, o + length - 1), o + 1);
  }
  return { ...data, decoderXs };
}

/** The examples of `sequences` with tokens drawn from `first` … vocab − 1. */
function generateSequences(options: SequencesOptions, first: number): { data: SequenceDataset; answers: Int32Array } {
  const count = checkCount('samples', options.samples, 1, MAX_SAMPLES);
  const length = checkCount('length', options.length, 1, 4096);
  const vocab = checkCount('vocab', options.vocab, 2, 1_000_000);
  if (!SEQUENCE_TASKS.includes(options.task)) throw new RangeError(`task must be one of ${SEQUENCE_TASKS.join(', ')}, got ${String(options.task)}`);
  const rng = createRng(options.seed ?? 0);
  const xs = new Int32Array(count * length);
  const ys = new Int32Array(count * length);
  const row = new Int32Array(length);
  const span = vocab - first;
  for (let i = 0; i < count; i++) {
    for (let t = 0; t < length; t++) row[t] = first + rng.int(span);
    xs.set(row, i * length);
    const target = options.task === 'copy' ? row : options.task === 'reverse' ? row.slice().reverse() : row.slice().sort();
    ys.set(target, i * length);
  }
  const classes = Array.from({ length: vocab }, (_, i) => (first > 0 && i === BOS ? 'BOS' : String(i)));
  return { data: { name: 'sequences', count, xs, xDtype: 'int32', exampleShape: [length], ys, targetShape: [length], classes }, answers: ys };
}

// ------------------------------------------------------------------ waves

export interface WavesOptions {
  samples: number;
  /** Time steps per example. */
  length: number;
  seed?: number;
  /** Standard deviation of the added noise (default 0.05). */
  noise?: number;
}

/**
 * Time series for causal 1-D convolutions and recurrent layers: each example
 * is a sum of two or three sines of random period (6 to 40 steps),
 * amplitude and phase, plus Gaussian noise, scaled to stay within about
 * [-1, 1]. The target at step t is the series' value at step t + 1
 * (next-value prediction). `xs` and `ys` are both `[length, 1]` per example.
 */
export function waves(options: WavesOptions): WaveDataset {
  const count = checkCount('samples', options.samples, 1, MAX_SAMPLES);
  const length = checkCount('length', options.length, 1, 100_000);
  const noise = options.noise ?? 0.05;
  const rng = createRng(options.seed ?? 0);
  const xs = new Float32Array(count * length);
  const ys = new Float32Array(count * length);
  const series = new Float32Array(length + 1);
  for (let i = 0; i < count; i++) {
    drawWave(rng, noise, series);
    xs.set(series.subarray(0, length), i * length);
    ys.set(series.subarray(1, length + 1), i * length);
  }
  return { name: 'waves', count, xs, xDtype: 'float32', exampleShape: [length, 1], ys, targetShape: [length, 1], classes: [] };
}

/**
 * Draws one series of `waves` into `out` (all of it: `waves` takes
 * `length + 1` values per example), from the stream's next draws: the
 * components first, then one noise draw per value in time order. So a
 * longer `out` starts with the same values and carries the same sines on.
 */
function drawWave(rng: Rng, noise: number, out: Float32Array): void {
  const parts = 2 + rng.int(2);
  const comps = Array.from({ length: parts }, () => ({
    omega: (2 * Math.PI) / rng.uniform(6, 40),
    amp: rng.uniform(0.2, 1),
    phase: rng.uniform(0, 2 * Math.PI),
  }));
  const total = comps.reduce((s, c) => s + c.amp, 0);
  for (let t = 0; t < out.length; t++) {
    let v = 0;
    for (const c of comps) v += c.amp * Math.sin(c.omega * t + c.phase);
    out[t] = (0.9 * v) / total + noise * rng.normal();
  }
}

/**
 * Example `index` of `waves(options)` carried on `extra` steps past its
 * end: `length + 1 + extra` values, of which the first `length` are the
 * example's input and values 1 … `length` its targets, exactly as `waves`
 * gives them; the `extra` after continue the same sines (with fresh
 * noise). What a forecast of the example is measured against.
 */
export function waveSeries(options: WavesOptions, index: number, extra: number): Float32Array {
  const count = checkCount('samples', options.samples, 1, MAX_SAMPLES);
  const length = checkCount('length', options.length, 1, 100_000);
  checkCount('the example', index, 0, count - 1);
  checkCount('the steps past the end', extra, 0, 100_000);
  const noise = options.noise ?? 0.05;
  const rng = createRng(options.seed ?? 0);
  // The examples before it, drawn as `waves` draws them, so the stream reaches example `index` in the same state.
  const skip = new Float32Array(length + 1);
  for (let i = 0; i < index; i++) drawWave(rng, noise, skip);
  const out = new Float32Array(length + 1 + extra);
  drawWave(rng, noise, out);
  return out;
}

// ------------------------------------------------------------------ samples

/** A named sample image for the inspector's image picker. */
export interface SampleImage {
  name: string;
  width: number;
  height: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
  /** Row-major, channels last, values in [0, 1]. */
  data: Float32Array;
}

/**
 * A few clean samples: digits 0, 3, 7 and 8 (28×28 grey) and one circle,
 * square and triangle (32×32 RGB). Always the same pixels.
 */
export function sampleImages(): SampleImage[] {
  const out: SampleImage[] = [];
  const calm: DigitStyle = { angle: 0, scaleX: 1, scaleY: 1, shear: 0.08, dx: 0, dy: 0, stroke: 2.3, wobble: 0, phase: [0, 0], intensity: 1, noise: 0 };
  for (const label of [0, 3, 7, 8]) {
    const img = drawDigit(label, 0, 28, calm, undefined);
    out.push({ name: `digit ${label}`, width: 28, height: 28, channels: 1, data: img.data });
  }
  const looks: Pick<ShapeSpec, 'fg' | 'bg'>[] = [
    { fg: [0.95, 0.75, 0.2], bg: [0.1, 0.12, 0.25] },
    { fg: [0.25, 0.6, 0.95], bg: [0.92, 0.92, 0.88] },
    { fg: [0.9, 0.25, 0.3], bg: [0.15, 0.3, 0.2] },
  ];
  SHAPE_CLASSES.forEach((name, kind) => {
    const data = new Float32Array(32 * 32 * 3);
    const spec: ShapeSpec = { kind, cx: 16, cy: kind === 2 ? 18 : 16, r: kind === 1 ? 8 : 11, angle: kind === 1 ? 0.3 : 0, noise: 0, ...looks[kind] };
    drawShape(spec, 32, undefined, data, 0);
    out.push({ name, width: 32, height: 32, channels: 3, data });
  });
  return out;
}
