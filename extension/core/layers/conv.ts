/**
 * Convolutions: `conv1d`, `conv2d`, `conv2d_transpose` (channels-last, Keras
 * semantics and weight layout).
 *
 * tfjs's Conv1D/Conv2D have no grouped convolution and no causal or explicit
 * (`padding = 2`) padding, so those cases use a custom layer (`NnConv`) with
 * the same weights.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { LayerVariable } from '@tensorflow/tfjs';
import { Sym, product, type Shape } from '../analysis/sym';
import {
  activationArg,
  applyActivation,
  argBool,
  argInt,
  argInts,
  argPadding,
  argStr,
  axisPadding,
  convOutputLength,
  convOutputLengthNum,
  expectRank,
  glorot,
  oneShape,
  oneTensor,
  perTf,
  requireMin,
  tfjsActivation,
  type TfConfigDict,
  type TfKwargs,
  type TfLayer,
  type TfLayerArgs,
  type TfShape,
  type TfTensor,
  type WindowPadding,
} from './common';
import type { ArgSpec, ArgValue, LayerContext, LayerSpec, TfjsContext, WeightSpec } from './types';
import { createLayerContext } from './context';
import { formatCount } from '../analysis/display';
import { outputSizeNote, transposeOutputSizeNote } from './outputSize';

// ------------------------------------------------------------------ shared rule

interface ConvParams {
  filters: number;
  kernel: number[];
  stride: number[];
  dilation: number[];
  padding: WindowPadding;
  groups: number;
  bias: boolean;
  activation: string;
}

function convParams(args: LayerContext['args'], n: number): ConvParams {
  return {
    filters: argInt(args, 'filters'),
    kernel: argInts(args, 'kernel', n),
    stride: argInts(args, 'stride', n),
    dilation: 'dilation' in args ? argInts(args, 'dilation', n) : new Array<number>(n).fill(1),
    padding: argPadding(args),
    groups: 'groups' in args ? argInt(args, 'groups') : 1,
    bias: argBool(args, 'bias'),
    activation: 'activation' in args ? argStr(args, 'activation') : 'none',
  };
}

const SPATIAL: Record<number, string[]> = { 1: ['length'], 2: ['height', 'width'] };
const LAYOUT: Record<number, string> = { 1: '[length, channels]', 2: '[h, w, channels]' };

/** Validated parameters and input channels of a conv1d/conv2d call. */
function checkConv(ctx: LayerContext, name: string, n: number): { p: ConvParams; cin: Sym } {
  expectRank(ctx, name, [n + 1], LAYOUT[n]);
  const p = convParams(ctx.args, n);
  requireMin([p.filters], 1, 'filters');
  requireMin(p.kernel, 1, 'kernel');
  requireMin(p.stride, 1, 'stride');
  requireMin(p.dilation, 1, 'dilation');
  requireMin([p.groups], 1, 'groups');
  if (p.stride.some((s) => s > 1) && p.dilation.some((d) => d > 1)) {
    ctx.fail('arg.range', `${name}: stride > 1 cannot be combined with dilation > 1 (as in Keras); use one of them`, 'dilation');
  }
  const cin = ctx.inputs[0].dims[n];
  if (p.groups > 1) {
    const cv = cin.value;
    if (cv === undefined || cin.divExact(p.groups) === undefined || cv % p.groups !== 0) {
      ctx.fail('arg.range', `${name}: groups=${p.groups} must divide the input's ${cin.toString()} channels`, 'groups');
    }
    if (p.filters % p.groups !== 0) {
      ctx.fail('arg.range', `${name}: filters=${p.filters} must be divisible by groups=${p.groups}`, 'filters');
    }
  }
  return { p, cin };
}

function convOutput(ctx: LayerContext, name: string, n: number): Shape {
  const { p } = checkConv(ctx, name, n);
  const dims = ctx.inputs[0].dims;
  const spatial = SPATIAL[n].map((axis, i) =>
    convOutputLength(ctx, dims[i], p.kernel[i], p.stride[i], p.dilation[i], axisPadding(p.padding, i), {
      layer: name,
      axis,
      arg: 'kernel',
    }),
  );
  return { dims: [...spatial, Sym.of(p.filters)] };
}

function convWeights(ctx: LayerContext, n: number): WeightSpec[] {
  const p = convParams(ctx.args, n);
  const cin = ctx.inputs[0].dims[n];
  const perGroup = cin.divExact(p.groups) ?? cin;
  const w: WeightSpec[] = [
    { name: 'kernel', shape: [...p.kernel.map((k) => Sym.of(k)), perGroup, Sym.of(p.filters)], trainable: true },
  ];
  if (p.bias) w.push({ name: 'bias', shape: [Sym.of(p.filters)], trainable: true });
  return w;
}

function convMacs(ctx: LayerContext, output: Shape, n: number): Sym {
  const p = convParams(ctx.args, n);
  const cin = ctx.inputs[0].dims[n];
  const perGroup = cin.divExact(p.groups) ?? cin;
  const window = p.kernel.reduce((a, b) => a * b, 1);
  return perGroup.mul(window * p.filters).mul(product(output.dims.slice(0, n)));
}

// ------------------------------------------------------------------ custom layer

interface NnConvConfig {
  rank: number;
  filters: number;
  kernelSize: number[];
  strides: number[];
  dilationRate: number[];
  /** A word, or the zeros on each side of each spatial axis (`padding = 2`). */
  padding: WindowPadding;
  groups: number;
  useBias: boolean;
  activation: string;
  seed: number;
}

const nnConvClass = perTf((tf) => {
  /** Convolution with groups, causal or explicit padding, Keras weight layout. */
  class NnConv extends tf.layers.Layer {
    static className = 'NnConv';
    readonly cfg: NnConvConfig;
    private kernel?: LayerVariable;
    private bias?: LayerVariable;

    constructor(args: TfLayerArgs & NnConvConfig) {
      super(args);
      this.cfg = {
        rank: args.rank,
        filters: args.filters,
        kernelSize: args.kernelSize,
        strides: args.strides,
        dilationRate: args.dilationRate,
        padding: args.padding,
        groups: args.groups,
        useBias: args.useBias,
        activation: args.activation,
        seed: args.seed,
      };
    }

    override build(inputShape: TfShape | TfShape[]): void {
      const s = oneShape(inputShape);
      const cin = s[s.length - 1];
      if (cin === null) throw new Error(`${this.name}: the channel count must be known`);
      const c = this.cfg;
      this.kernel = this.addWeight(
        'kernel',
        [...c.kernelSize, cin / c.groups, c.filters],
        'float32',
        glorot(tf, c.seed),
      );
      if (c.useBias) this.bias = this.addWeight('bias', [c.filters], 'float32', tf.initializers.zeros());
      this.built = true;
    }

    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape {
      const s = oneShape(inputShape);
      const c = this.cfg;
      const spatial = c.kernelSize.map((k, i) =>
        convOutputLengthNum(s[i + 1], k, c.strides[i], c.dilationRate[i], axisPadding(c.padding, i)),
      );
      return [s[0], ...spatial, c.filters];
    }

    override call(inputs: TfTensor | TfTensor[], _kwargs: TfKwargs): TfTensor {
      return tf.tidy(() => {
        const c = this.cfg;
        let x = oneTensor(inputs);
        let pad: 'valid' | 'same' = c.padding === 'same' ? 'same' : 'valid';
        if (c.padding === 'causal') {
          // Keras: pad the start of the sequence so that output t sees inputs ≤ t.
          const left = c.dilationRate[0] * (c.kernelSize[0] - 1);
          x = tf.pad(x, [[0, 0], [left, 0], [0, 0]]);
          pad = 'valid';
        } else if (typeof c.padding !== 'string') {
          // PyTorch's padding = p: p zeros on both sides of each spatial axis, then only full windows.
          const pads = c.kernelSize.map((_, i) => axisPadding(c.padding, i) as number);
          x = tf.pad(x, [[0, 0], ...pads.map((q): [number, number] => [q, q]), [0, 0]]);
          pad = 'valid';
        }
        const kernel = this.kernel!.read();
        const xs = c.groups > 1 ? tf.split(x, c.groups, c.rank + 1) : [x];
        const ks = c.groups > 1 ? tf.split(kernel, c.groups, c.rank + 1) : [kernel];
        const parts = xs.map((xi, g) =>
          c.rank === 1
            ? tf.conv1d(xi as never, ks[g] as never, c.strides[0], pad, 'NWC', c.dilationRate[0])
            : tf.conv2d(
                xi as never,
                ks[g] as never,
                [c.strides[0], c.strides[1]],
                pad,
                'NHWC',
                [c.dilationRate[0], c.dilationRate[1]],
              ),
        ) as TfTensor[];
        let y = parts.length === 1 ? parts[0] : tf.concat(parts, -1);
        if (this.bias) y = tf.add(y, this.bias.read());
        return applyActivation(tf, c.activation, y);
      });
    }

    override getConfig(): TfConfigDict {
      return { ...super.getConfig(), ...this.cfg };
    }
  }
  tf.serialization.registerClass(NnConv);
  return NnConv;
});

function convTfjs(ctx: TfjsContext, n: number): TfLayer {
  const { tf } = ctx;
  const p = convParams(ctx.args, n);
  // Explicit padding of 0 is `valid`.
  if (typeof p.padding !== 'string' && p.padding.every((q) => q === 0)) p.padding = 'valid';
  if (p.padding === 'causal' || typeof p.padding !== 'string' || p.groups > 1) {
    const Cls = nnConvClass(tf);
    return new Cls({
      name: ctx.name,
      rank: n,
      filters: p.filters,
      kernelSize: p.kernel,
      strides: p.stride,
      dilationRate: p.dilation,
      padding: p.padding,
      groups: p.groups,
      useBias: p.bias,
      activation: p.activation,
      seed: ctx.seed,
    });
  }
  const common = {
    name: ctx.name,
    filters: p.filters,
    padding: p.padding as 'valid' | 'same',
    useBias: p.bias,
    activation: tfjsActivation(tf, p.activation),
    kernelInitializer: glorot(tf, ctx.seed),
  };
  if (n === 1) {
    return tf.layers.conv1d({
      ...common,
      kernelSize: p.kernel[0],
      strides: p.stride[0],
      dilationRate: p.dilation[0],
    });
  }
  return unfusedWhileTraining(
    ctx.tf,
    tf.layers.conv2d({
      ...common,
      kernelSize: p.kernel,
      strides: p.stride,
      dilationRate: [p.dilation[0], p.dilation[1]],
    }),
  );
}

/** The fields of tfjs-layers' Conv2D that its `call` reads (private in the typings). */
interface Conv2DInternals {
  kernel: LayerVariable;
  bias: LayerVariable | null;
  strides: number[];
  padding: 'valid' | 'same';
  dilationRate: number[];
  activation: { apply(x: TfTensor): TfTensor } | null;
}

/**
 * While gradients are recorded, a tfjs-layers Conv2D with a linear
 * activation runs `tf.fused.conv2d`, whose gradient (a `customGrad`)
 * computes the input gradient even when nothing needs it: for the first
 * convolution of a network (its input is data) that is the largest
 * backward convolution, a quarter of a LeNet training step on wasm. The
 * same convolution as separate ops (conv2d, add bias, activation) records
 * each on the tape, and the tape computes only the gradients that lead to
 * trainable weights. Inference keeps the fused kernel.
 */
function unfusedWhileTraining(tf: TfjsContext['tf'], layer: TfLayer): TfLayer {
  const fused = layer.call.bind(layer);
  const self = layer as unknown as Conv2DInternals;
  layer.call = (inputs: TfTensor | TfTensor[], kwargs: TfKwargs): TfTensor | TfTensor[] => {
    if (tf.engine().state.gradientDepth === 0) return fused(inputs, kwargs);
    return tf.tidy(() => {
      const x = oneTensor(inputs) as tfTypes.Tensor4D;
      const s = self.strides;
      const d = self.dilationRate;
      let y: TfTensor = tf.conv2d(x, self.kernel.read() as tfTypes.Tensor4D, [s[0], s[1]], self.padding, 'NHWC', [d[0], d[1]]);
      if (self.bias) y = tf.add(y, self.bias.read());
      return self.activation ? self.activation.apply(y) : y;
    });
  };
  return layer;
}

// ------------------------------------------------------------------ specs

const filtersArg: ArgSpec = {
  name: 'filters',
  type: 'int',
  doc: 'Number of filters (output channels).',
  min: 1,
};
const biasArg: ArgSpec = { name: 'bias', type: 'bool', doc: 'Add a learned bias per filter.', default: true };
const groupsArg: ArgSpec = {
  name: 'groups',
  type: 'int',
  doc: 'Split the channels into this many groups, each convolved separately (must divide the input channels and `filters`).',
  default: 1,
  min: 1,
};

export const conv1d: LayerSpec = {
  name: 'conv1d',
  category: 'conv',
  summary: '1-D convolution over a sequence: `[length, channels]` → `[length\', filters]`.',
  doc: [
    '**conv1d** — slides `filters` learned windows of `kernel` steps along a sequence. Each output',
    'step of each filter is a weighted sum over the window and all input channels, plus a bias.',
    '',
    '- input: `[length, c]` · output: `[length\', filters]`',
    '- `padding=valid`: `length\' = ⌊(length − k) / stride⌋ + 1` (only full windows)',
    '- `padding=same`: `length\' = ⌈length / stride⌉` (zeros added at both ends)',
    '- `padding=causal`: like `same`, but all zeros go at the start, so step `t` only sees steps ≤ `t` (for sequence models)',
    '- `padding=p` (a number, as PyTorch): `p` zeros at each end, `length\' = ⌊(length + 2p − k) / stride⌋ + 1`',
    '- `dilation=d` spaces the window\'s taps `d` apart: it spans `d·(k − 1) + 1` steps',
    '- parameters: `k · (c / groups) · filters + filters` (kernel `[k, c/groups, filters]`, bias)',
    '- MACs: `k · (c / groups) · filters · length\'`',
    '',
    'Example: `conv1d(64, 3, padding = same)` on `[seq, 32]` → `[seq, 64]`, 6,208 parameters.',
  ].join('\n'),
  args: [
    filtersArg,
    { name: 'kernel', type: 'int', doc: 'Window length in steps.', min: 1 },
    { name: 'stride', type: 'int', doc: 'Step between windows.', default: 1, min: 1 },
    {
      name: 'padding',
      type: 'enum',
      doc: '`valid` (no padding), `same` (keep the length at stride 1), `causal` (pad the start only), or a number of zeros at each end (PyTorch\'s `padding = p`).',
      default: 'valid',
      enum: ['valid', 'same', 'causal'],
      orInts: true,
      min: 0,
      length: 1,
    },
    { name: 'dilation', type: 'int', doc: 'Spacing between the window\'s taps.', default: 1, min: 1 },
    groupsArg,
    biasArg,
    activationArg,
  ],
  inputRank: [2],
  notes: (args, inputs) => [...convSizeNote(args, inputs, 1), ...strideNote('conv1d', args, inputs, 1)],
  outputShape: (ctx) => convOutput(ctx, 'conv1d', 1),
  weights: (ctx) => convWeights(ctx, 1),
  macs: (ctx, out) => convMacs(ctx, out, 1),
  tfjs: (ctx) => convTfjs(ctx, 1),
};

export const conv2d: LayerSpec = {
  name: 'conv2d',
  category: 'conv',
  summary: '2-D convolution over an image: `[h, w, channels]` → `[h\', w\', filters]`.',
  doc: [
    '**conv2d** — slides `filters` learned `kh × kw` windows over an image. Each output pixel of',
    'each filter is a weighted sum over the window and all input channels, plus a bias.',
    '',
    '- input: `[h, w, c]` · output: `[h\', w\', filters]`',
    '- `padding=valid`: `h\' = ⌊(h − kh) / stride⌋ + 1` (only full windows; likewise `w\'`)',
    '- `padding=same`: `h\' = ⌈h / stride⌉` (zeros around the border)',
    '- `padding=p` (a number or `[ph, pw]`, as PyTorch): `p` rows and columns of zeros on each side, `h\' = ⌊(h + 2p − kh) / stride⌋ + 1`',
    '- `kernel`, `stride` and `dilation` take one number or `[for h, for w]`; with `dilation=d` a window spans `d·(k − 1) + 1` pixels',
    '- parameters: `kh · kw · (c / groups) · filters + filters` (kernel `[kh, kw, c/groups, filters]`, bias)',
    '- MACs: `kh · kw · (c / groups) · filters · h\' · w\'`',
    '',
    'Example: `conv2d(6, 5)` on `[32, 32, 1]` → `[28, 28, 6]`: 5·5·1·6 + 6 = 156 parameters,',
    '5·5·1·6·28·28 = 117,600 MACs.',
  ].join('\n'),
  args: [
    filtersArg,
    { name: 'kernel', type: 'ints', doc: 'Window size: `k` or `[kh, kw]`.', min: 1, length: 2 },
    { name: 'stride', type: 'ints', doc: 'Step between windows: `s` or `[sh, sw]`.', default: 1, min: 1, length: 2 },
    {
      name: 'padding',
      type: 'enum',
      doc: '`valid` (no padding: the image shrinks by k − 1), `same` (keep the size at stride 1), or zeros on each side: `p` or `[ph, pw]` (PyTorch\'s `padding = p`).',
      default: 'valid',
      enum: ['valid', 'same'],
      orInts: true,
      min: 0,
      length: 2,
      enumHints: {
        causal: {
          hint: "Causal padding is for sequences: conv1d on [length, channels] pads the start only, so that no step sees a later one; an image has no earlier and later pixels. Use conv1d for a sequence, or padding = same to keep an image's size.",
          fix: 'same',
        },
      },
    },
    {
      name: 'dilation',
      type: 'ints',
      doc: 'Spacing between the window\'s taps: `d` or `[dh, dw]`.',
      default: 1,
      min: 1,
      length: 2,
    },
    groupsArg,
    biasArg,
    activationArg,
  ],
  inputRank: [3],
  notes: (args, inputs) => [...convSizeNote(args, inputs, 2), ...strideNote('conv2d', args, inputs, 2)],
  outputShape: (ctx) => convOutput(ctx, 'conv2d', 2),
  weights: (ctx) => convWeights(ctx, 2),
  macs: (ctx, out) => convMacs(ctx, out, 2),
  tfjs: (ctx) => convTfjs(ctx, 2),
};

/** The output-size arithmetic of a conv1d/conv2d call with its own numbers (`outputSizeNote`). */
function convSizeNote(args: Readonly<Record<string, ArgValue>>, inputs: readonly Shape[] | undefined, n: 1 | 2): string[] {
  try {
    const p = convParams(args, n);
    return outputSizeNote(inputs?.[0], n, p);
  } catch {
    return [];
  }
}

/**
 * What a stride above 1 saves, from the layer's own rules run again at
 * stride 1: "Stride 2 computes 10,584 MACs; at stride 1 the same layer
 * would compute 42,336 (4× as many)". Empty at stride 1 or when the input is unknown.
 */
function strideNote(name: string, args: Readonly<Record<string, ArgValue>>, inputs: readonly Shape[] | undefined, dims: 1 | 2): string[] {
  const stride = args.stride;
  const strides = typeof stride === 'number' ? [stride] : Array.isArray(stride) ? stride : [];
  if (!inputs?.length || strides.every((x) => x === 1)) return [];
  const spec = dims === 1 ? conv1d : conv2d;
  try {
    const at = createLayerContext(args, inputs);
    const out = spec.outputShape(at);
    const macs = spec.macs(at, out);
    const unit = createLayerContext({ ...args, stride: 1 }, inputs);
    const full = spec.macs(unit, spec.outputShape(unit));
    const ratio = macs.value && full.value ? full.value / macs.value : undefined;
    const written = strides.every((x) => x === strides[0]) ? String(strides[0]) : `[${strides.join(', ')}]`;
    return [
      `Stride ${written} computes ${formatCount(macs)} MACs; at stride 1 the same ${name} would compute ${formatCount(full)}${ratio !== undefined && ratio > 1.05 ? ` (${formatRatio(ratio)}× as many)` : ''}.`,
    ];
  } catch {
    return [];
  }
}

function formatRatio(r: number): string {
  return Math.abs(r - Math.round(r)) < 0.05 ? String(Math.round(r)) : r.toFixed(1);
}

// ------------------------------------------------------------------ transpose

function transposeParams(args: LayerContext['args']) {
  return {
    filters: argInt(args, 'filters'),
    kernel: argInts(args, 'kernel', 2),
    stride: argInts(args, 'stride', 2),
    padding: argStr(args, 'padding') as 'valid' | 'same',
    bias: argBool(args, 'bias'),
    activation: 'activation' in args ? argStr(args, 'activation') : 'none',
  };
}

export const conv2dTranspose: LayerSpec = {
  name: 'conv2d_transpose',
  category: 'conv',
  summary: 'Transposed 2-D convolution (learned upsampling): `[h, w, c]` → `[h·s, w·s, filters]`.',
  doc: [
    '**conv2d_transpose** — the transpose of `conv2d`: each input pixel scatters a learned',
    '`kh × kw × filters` patch into the output, `stride` pixels apart, and overlapping patches add up.',
    'Used to upsample in decoders and segmentation networks.',
    '',
    '- input: `[h, w, c]` · output: `[h\', w\', filters]`',
    '- `padding=same`: `h\' = h · stride`',
    '- `padding=valid`: `h\' = h · stride + max(kh − stride, 0)` (likewise `w\'`)',
    '- parameters: `kh · kw · filters · c + filters` (kernel `[kh, kw, filters, c]`, as in Keras, and bias)',
    '- MACs: `kh · kw · c · filters · h · w` (per input pixel)',
    '',
    'Example: `conv2d_transpose(16, 2, stride = 2)` on `[7, 7, 32]` → `[14, 14, 16]`.',
  ].join('\n'),
  args: [
    filtersArg,
    { name: 'kernel', type: 'ints', doc: 'Patch size: `k` or `[kh, kw]`.', min: 1, length: 2 },
    {
      name: 'stride',
      type: 'ints',
      doc: 'Upsampling step: `s` or `[sh, sw]`.',
      default: 1,
      min: 1,
      length: 2,
    },
    {
      name: 'padding',
      type: 'enum',
      doc: '`valid` (keep the full patches) or `same` (output exactly `h · stride`).',
      default: 'valid',
      enum: ['valid', 'same'],
    },
    biasArg,
    activationArg,
  ],
  inputRank: [3],
  notes(args, inputs) {
    try {
      const p = transposeParams(args);
      return transposeOutputSizeNote(inputs?.[0], p.kernel, p.stride, p.padding);
    } catch {
      return [];
    }
  },
  outputShape(ctx) {
    expectRank(ctx, 'conv2d_transpose', [3], LAYOUT[2]);
    const p = transposeParams(ctx.args);
    requireMin([p.filters], 1, 'filters');
    requireMin(p.kernel, 1, 'kernel');
    requireMin(p.stride, 1, 'stride');
    const dims = ctx.inputs[0].dims;
    const spatial = [0, 1].map((i) => {
      const grown = dims[i].mul(p.stride[i]);
      return p.padding === 'valid' ? grown.add(Math.max(p.kernel[i] - p.stride[i], 0)) : grown;
    });
    for (const [i, d] of spatial.entries()) {
      if (d.certainlyBelow(1)) {
        ctx.fail('shape.output_below_1', `conv2d_transpose: the output ${SPATIAL[2][i]} would be ${d.toString()}`);
      }
    }
    return { dims: [...spatial, Sym.of(p.filters)] };
  },
  weights(ctx) {
    const p = transposeParams(ctx.args);
    const cin = ctx.inputs[0].dims[2];
    const w: WeightSpec[] = [
      { name: 'kernel', shape: [Sym.of(p.kernel[0]), Sym.of(p.kernel[1]), Sym.of(p.filters), cin], trainable: true },
    ];
    if (p.bias) w.push({ name: 'bias', shape: [Sym.of(p.filters)], trainable: true });
    return w;
  },
  macs(ctx) {
    const p = transposeParams(ctx.args);
    const [h, w, cin] = ctx.inputs[0].dims;
    return cin.mul(p.kernel[0] * p.kernel[1] * p.filters).mul(h).mul(w);
  },
  tfjs(ctx) {
    const p = transposeParams(ctx.args);
    return ctx.tf.layers.conv2dTranspose({
      name: ctx.name,
      filters: p.filters,
      kernelSize: p.kernel,
      strides: p.stride,
      padding: p.padding,
      useBias: p.bias,
      activation: tfjsActivation(ctx.tf, p.activation),
      kernelInitializer: glorot(ctx.tf, ctx.seed),
    });
  },
};

export const convLayers: LayerSpec[] = [conv1d, conv2d, conv2dTranspose];
