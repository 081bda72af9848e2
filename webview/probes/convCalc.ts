/**
 * "How this value is computed" for one value of a convolution's output, as
 * the course notes teach it: place the kernel on a patch of the input,
 * multiply element-wise, sum (per input channel, then over the channels),
 * add the bias, apply the activation. Pure arithmetic on plain arrays (no
 * tfjs, no DOM), in float64; unit tested against tfjs's own convolution
 * (test/unit/conv-calc.test.ts). The feature maps view (views/featureMaps.ts)
 * computes one breakdown per hovered value, on demand.
 *
 * Geometry follows TensorFlow (Keras): `valid` pads nothing; `same` pads
 * `max((out − 1)·stride + d·(k − 1) + 1 − n, 0)` positions, the smaller half
 * before; `causal` (conv1d) pads `d·(k − 1)` before. Tap `i` of output
 * position `o` reads input position `o·stride − before + i·dilation`; a tap
 * outside the input reads a padding zero. A 1-D convolution is a 2-D one of
 * height 1.
 */

export type ConvPaddingMode = 'valid' | 'same' | 'causal';

/** A convolution's padding: a word, or explicit zeros on each side of each spatial axis (`padding = 2`: `[2]`, one for all). */
export type ConvPaddingArg = ConvPaddingMode | readonly number[];

/** A convolution's geometry and weights, channels last (Keras layout). */
export interface ConvCalcLayer {
  /** 1 (conv1d) or 2 (conv2d). */
  rank: 1 | 2;
  /** `[kh, kw]` or `[k]`. */
  kernelSize: readonly number[];
  strides: readonly number[];
  dilation: readonly number[];
  padding: ConvPaddingArg;
  groups: number;
  /** Output channels. */
  filters: number;
  /** `[kh, kw, cin / groups, filters]` (or `[k, cin / groups, filters]`), row-major; or, read one filter at a time, `filterKernel`. */
  kernel?: ArrayLike<number>;
  /** One filter's weights, `[kh, kw, cin / groups]` row-major (a large layer's kernel is not read whole for one value). */
  filterKernel?: (filter: number) => ArrayLike<number>;
  /** `[filters]`, or undefined without a bias. */
  bias?: ArrayLike<number>;
  /** Activation name as the language spells it (`none`, `relu`, `tanh`, … `softmax`). */
  activation: string;
}

/** The layer's input for one example: `[h, w, c]` (or `[len, c]`), row-major. */
export interface ConvCalcInput {
  /** `[h, w]` or `[len]`. */
  size: readonly number[];
  channels: number;
  data: ArrayLike<number>;
}

/** One input channel's share of the value: patch × kernel, element-wise, summed. */
export interface ChannelTerms {
  /** Input channel (of the whole input, not of the group). */
  channel: number;
  /** The patch, `[kh][kw]` row-major (0 where a tap reads padding). */
  x: Float64Array;
  /** The kernel weights of this (input, output) channel pair, `[kh][kw]`. */
  w: Float64Array;
  /** x · w, element by element. */
  products: Float64Array;
  /** Σ products. */
  sum: number;
}

export interface ConvCalc {
  /** Output position: `[row, col]` (or `[step]`). */
  position: number[];
  /** Output channel (filter). */
  filter: number;
  /** Kernel rows and columns (1 row for a 1-D convolution). */
  kh: number;
  kw: number;
  /** Input row read by each kernel row, and input column by each kernel column (outside the input: padding). */
  rows: number[];
  cols: number[];
  /** Input height and width (1 row for a 1-D convolution). */
  inHeight: number;
  inWidth: number;
  /** Taps of the window that read padding zeros (per channel). */
  paddedTaps: number;
  /** One entry per input channel the filter sees (its group's). */
  channels: ChannelTerms[];
  /** Σ over the channels. */
  sum: number;
  /** The filter's bias (0 without one). */
  bias: number;
  hasBias: boolean;
  /** sum + bias: the value before the activation. */
  pre: number;
  activation: string;
  /** The activation of `pre` (= pre for `none`); for softmax, over every filter's pre-activation at this position. */
  value: number;
  /** Σ |products| + |bias|: the scale float32 rounding errors grow with. */
  scale: number;
}

/** Padding before the first input position along one axis (TensorFlow's rule; a number is explicit padding, PyTorch's). */
export function padBefore(n: number, out: number, k: number, stride: number, dilation: number, padding: ConvPaddingMode | number): number {
  if (typeof padding === 'number') return padding;
  const span = dilation * (k - 1) + 1;
  if (padding === 'causal') return span - 1;
  if (padding === 'valid') return 0;
  const total = Math.max((out - 1) * stride + span - n, 0);
  return Math.floor(total / 2);
}

/** Output length along one axis (TensorFlow's rule; a number is explicit padding on each side, PyTorch's). */
export function outLength(n: number, k: number, stride: number, dilation: number, padding: ConvPaddingMode | number): number {
  if (typeof padding === 'number') return Math.max(0, Math.floor((n + 2 * padding - (dilation * (k - 1) + 1)) / stride) + 1);
  if (padding === 'valid') return Math.max(0, Math.floor((n - (dilation * (k - 1) + 1)) / stride) + 1);
  return Math.ceil(n / stride);
}

interface Geometry {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  h: number;
  w: number;
  top: number;
  left: number;
  outH: number;
  outW: number;
}

function geometry(layer: ConvCalcLayer, input: ConvCalcInput): Geometry {
  const two = layer.rank === 2;
  const [kh, kw] = two ? [layer.kernelSize[0], layer.kernelSize[1]] : [1, layer.kernelSize[0]];
  const [sh, sw] = two ? [layer.strides[0], layer.strides[1]] : [1, layer.strides[0]];
  const [dh, dw] = two ? [layer.dilation[0], layer.dilation[1]] : [1, layer.dilation[0]];
  const [h, w] = two ? [input.size[0], input.size[1]] : [1, input.size[0]];
  // Explicit padding: one number for every axis, or one per axis.
  const axisPad = (i: number): ConvPaddingMode | number => (typeof layer.padding === 'string' ? layer.padding : layer.padding.length === 1 ? layer.padding[0] : layer.padding[i]);
  const [ph, pw] = two ? [axisPad(0), axisPad(1)] : [0, axisPad(0)];
  const outH = two ? outLength(h, kh, sh, dh, ph) : 1;
  const outW = outLength(w, kw, sw, dw, pw);
  const top = two ? padBefore(h, outH, kh, sh, dh, ph) : 0;
  const left = padBefore(w, outW, kw, sw, dw, pw);
  return { kh, kw, sh, sw, dh, dw, h, w, top, left, outH, outW };
}

/** Weight `(tap t, channel k of the group)` of `filter`, from whichever form the layer gives. */
function weights(layer: ConvCalcLayer, filter: number, perGroup: number): (t: number, k: number) => number {
  if (layer.filterKernel) {
    const w = layer.filterKernel(filter);
    return (t, k) => w[t * perGroup + k];
  }
  const kernel = layer.kernel;
  if (!kernel) throw new Error('the layer has no kernel');
  return (t, k) => kernel[(t * perGroup + k) * layer.filters + filter];
}

/** Σ over the filter's channels of patch × kernel, + bias, at one output position (no breakdown). */
function preActivation(layer: ConvCalcLayer, input: ConvCalcInput, g: Geometry, row: number, col: number, filter: number): number {
  const cin = input.channels;
  const perGroup = cin / layer.groups;
  const first = Math.floor(filter / (layer.filters / layer.groups)) * perGroup;
  const weight = weights(layer, filter, perGroup);
  let s = 0;
  for (let i = 0; i < g.kh; i++) {
    const r = row * g.sh - g.top + i * g.dh;
    if (r < 0 || r >= g.h) continue;
    for (let j = 0; j < g.kw; j++) {
      const c = col * g.sw - g.left + j * g.dw;
      if (c < 0 || c >= g.w) continue;
      for (let k = 0; k < perGroup; k++) {
        s += input.data[(r * g.w + c) * cin + first + k] * weight(i * g.kw + j, k);
      }
    }
  }
  return s + (layer.bias ? layer.bias[filter] : 0);
}

/**
 * The breakdown of the value at `position` (`[row, col]`, or `[step]` for
 * a 1-D convolution) of output channel `filter`.
 */
export function convCalc(layer: ConvCalcLayer, input: ConvCalcInput, position: readonly number[], filter: number): ConvCalc {
  const g = geometry(layer, input);
  const [row, col] = layer.rank === 2 ? [position[0], position[1]] : [0, position[0]];
  if (!(row >= 0 && row < g.outH && col >= 0 && col < g.outW)) throw new Error(`position [${position.join(', ')}] is outside the ${g.outH} × ${g.outW} output`);
  if (!(filter >= 0 && filter < layer.filters)) throw new Error(`filter ${filter} is not one of the ${layer.filters} output channels`);
  const cin = input.channels;
  const perGroup = cin / layer.groups;
  const first = Math.floor(filter / (layer.filters / layer.groups)) * perGroup;
  const rows = Array.from({ length: g.kh }, (_, i) => row * g.sh - g.top + i * g.dh);
  const cols = Array.from({ length: g.kw }, (_, j) => col * g.sw - g.left + j * g.dw);
  const taps = g.kh * g.kw;
  let paddedTaps = 0;
  for (const r of rows) for (const c of cols) if (r < 0 || r >= g.h || c < 0 || c >= g.w) paddedTaps++;
  const weight = weights(layer, filter, perGroup);
  const channels: ChannelTerms[] = [];
  let sum = 0;
  let scale = 0;
  for (let k = 0; k < perGroup; k++) {
    const x = new Float64Array(taps);
    const w = new Float64Array(taps);
    const products = new Float64Array(taps);
    let s = 0;
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++) {
        const t = i * g.kw + j;
        const r = rows[i];
        const c = cols[j];
        x[t] = r >= 0 && r < g.h && c >= 0 && c < g.w ? input.data[(r * g.w + c) * cin + first + k] : 0;
        w[t] = weight(t, k);
        products[t] = x[t] * w[t];
        s += products[t];
        scale += Math.abs(products[t]);
      }
    }
    channels.push({ channel: first + k, x, w, products, sum: s });
    sum += s;
  }
  const bias = layer.bias ? layer.bias[filter] : 0;
  const pre = sum + bias;
  let value: number;
  if (layer.activation === 'softmax') {
    // Softmax runs over the filters at this position: every filter's pre-activation is needed.
    const all = Array.from({ length: layer.filters }, (_, f) => (f === filter ? pre : preActivation(layer, input, g, row, col, f)));
    const max = Math.max(...all);
    const total = all.reduce((a, v) => a + Math.exp(v - max), 0);
    value = Math.exp(pre - max) / total;
  } else {
    value = activate(layer.activation, pre);
  }
  return {
    position: [...position],
    filter,
    kh: g.kh,
    kw: g.kw,
    rows,
    cols,
    inHeight: g.h,
    inWidth: g.w,
    paddedTaps,
    channels,
    sum,
    bias,
    hasBias: layer.bias !== undefined,
    pre,
    activation: layer.activation,
    value,
    scale: scale + Math.abs(bias),
  };
}

/** Slope of `leaky_relu` as an `activation =` (extension/core/layers/common.ts LEAKY_RELU_ALPHA). */
const LEAKY_ALPHA = 0.2;

/** An element-wise activation of one value, as tfjs computes it (`softmax` is not element-wise: see convCalc). */
export function activate(name: string, x: number): number {
  switch (name) {
    case 'none':
    case 'linear':
      return x;
    case 'relu':
      return Math.max(0, x);
    case 'relu6':
      return Math.min(6, Math.max(0, x));
    case 'leaky_relu':
      return x >= 0 ? x : LEAKY_ALPHA * x;
    case 'elu':
      return x >= 0 ? x : Math.expm1(x);
    case 'gelu':
      return 0.5 * x * (1 + erf(x / Math.SQRT2));
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'tanh':
      return Math.tanh(x);
    case 'silu':
      return x / (1 + Math.exp(-x));
    case 'hard_sigmoid':
      return Math.min(6, Math.max(0, x + 3)) / 6;
    case 'hard_swish':
      return (x * Math.min(6, Math.max(0, x + 3))) / 6;
    default:
      throw new Error(`unknown activation ${name}`);
  }
}

/** The error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7). */
export function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}

/**
 * Whether the breakdown's value is the one the model computed (`computed`,
 * float32 from TensorFlow.js): equal up to float32 rounding, which grows
 * with the number and size of the terms.
 */
export function agrees(calc: Pick<ConvCalc, 'value' | 'scale'>, computed: number): boolean {
  return Math.abs(calc.value - computed) <= 1e-4 * calc.scale + 1e-5 * Math.max(1, Math.abs(computed));
}

/** Input channels whose terms are written out one by one (an RGB image's 3); more show one partial sum each. */
export const TERM_CHANNELS = 3;
/** Largest kernel side whose terms are written out (ResNet's 7 × 7 stem). */
export const TERM_SIDE = 7;

/**
 * Whether a breakdown shows every term (a kernel of at most 7 × 7 over at
 * most 3 input channels: LeNet-5's first conv, an RGB stem), or one partial
 * sum per input channel.
 */
export function showsEveryTerm(calc: Pick<ConvCalc, 'kh' | 'kw' | 'channels'>): boolean {
  return calc.channels.length <= TERM_CHANNELS && calc.kh <= TERM_SIDE && calc.kw <= TERM_SIDE;
}
