/**
 * Pooling and resampling: `maxpool`, `avgpool` (1-D or 2-D from the input's
 * rank), `global_avgpool`, `global_maxpool`, `upsample`.
 *
 * tfjs has no 1-D upsampling layer; `NnUpSampling1D` repeats each step as
 * Keras's UpSampling1D does. tfjs's pooling layers have no explicit padding
 * (`maxpool(3, stride = 2, padding = 1)`, PyTorch's): `NnPool` pads, then
 * pools only full windows, as PyTorch does.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { Sym, type Shape } from '../analysis/sym';
import {
  argInts,
  argPadding,
  axisPadding,
  convOutputLength,
  convOutputLengthNum,
  expectRank,
  oneShape,
  oneTensor,
  perTf,
  requireMin,
  type TfConfigDict,
  type TfKwargs,
  type TfLayerArgs,
  type TfShape,
  type TfTensor,
  type WindowPadding,
} from './common';
import type { LayerContext, LayerSpec, TfjsContext } from './types';
import { outputSizeNote } from './outputSize';

const SPATIAL: Record<number, string[]> = { 1: ['length'], 2: ['height', 'width'] };
const EITHER = '[length, channels] or [h, w, channels]';

/** 1 for `[length, channels]`, 2 for `[h, w, channels]`. */
function spatialRank(shape: Shape): number {
  return shape.dims.length - 1;
}

// ------------------------------------------------------------------ maxpool / avgpool

function poolParams(args: LayerContext['args'], n: number) {
  return {
    size: argInts(args, 'size', n),
    stride: argInts(args, 'stride', n),
    // Explicit padding spread over the spatial axes (`padding = 1` on an image is [1, 1]).
    padding: (Array.isArray(args.padding) ? argInts(args, 'padding', n) : argPadding(args)) as Exclude<WindowPadding, 'causal'>,
  };
}

/**
 * The lowest float32: what max pooling pads with, so that the padding never
 * wins a window's max (PyTorch pads with −∞; a finite value behaves the same
 * on every backend, and every window holds a cell of the input when the
 * padding is at most half the size).
 */
const MAX_PAD = -3.4028234663852886e38;

interface NnPoolConfig {
  /** 1 or 2 spatial axes. */
  rank: number;
  isMax: boolean;
  poolSize: number[];
  strides: number[];
  /** Positions on each side of each spatial axis (one number for all). */
  padding: number[];
}

const nnPoolClass = perTf((tf) => {
  /**
   * Pooling with explicit padding, as PyTorch's `nn.MaxPool2d(3, stride = 2,
   * padding = 1)`: max pooling pads the lowest float (never the max),
   * average pooling pads zeros that count in the mean (PyTorch's
   * `count_include_pad = True`); then only full windows.
   */
  class NnPool extends tf.layers.Layer {
    static className = 'NnPool';
    readonly cfg: NnPoolConfig;
    constructor(args: TfLayerArgs & NnPoolConfig) {
      super(args);
      this.cfg = { rank: args.rank, isMax: args.isMax, poolSize: args.poolSize, strides: args.strides, padding: args.padding };
    }
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape {
      const s = oneShape(inputShape);
      const c = this.cfg;
      const spatial = c.poolSize.map((k, i) => convOutputLengthNum(s[i + 1], k, c.strides[i], 1, axisPadding(c.padding, i)));
      return [s[0], ...spatial, s[c.rank + 1]];
    }
    override call(inputs: TfTensor | TfTensor[], _kwargs: TfKwargs): TfTensor {
      return tf.tidy(() => {
        const c = this.cfg;
        const pads = c.poolSize.map((_, i): [number, number] => {
          const p = axisPadding(c.padding, i) as number;
          return [p, p];
        });
        let x = tf.pad(oneTensor(inputs), [[0, 0], ...pads, [0, 0]], c.isMax ? MAX_PAD : 0);
        // A 1-D pooling is a 2-D one of height 1.
        if (c.rank === 1) x = tf.expandDims(x, 1);
        const size: [number, number] = c.rank === 1 ? [1, c.poolSize[0]] : [c.poolSize[0], c.poolSize[1]];
        const strides: [number, number] = c.rank === 1 ? [1, c.strides[0]] : [c.strides[0], c.strides[1]];
        const y = c.isMax ? tf.maxPool(x as tfTypes.Tensor4D, size, strides, 'valid') : tf.avgPool(x as tfTypes.Tensor4D, size, strides, 'valid');
        return c.rank === 1 ? tf.squeeze(y, [1]) : y;
      });
    }
    override getConfig(): TfConfigDict {
      return { ...super.getConfig(), ...this.cfg };
    }
  }
  tf.serialization.registerClass(NnPool);
  return NnPool;
});

/**
 * PyTorch's rule for a pooling's explicit padding: at most half the window
 * on each axis, so that no window lies wholly on padding.
 */
function checkPoolPadding(ctx: LayerContext, name: string, size: readonly number[], padding: WindowPadding): void {
  if (typeof padding === 'string') return;
  // The axis is named only where the axes differ.
  const square = size.every((k, i) => k === size[0] && axisPadding(padding, i) === axisPadding(padding, 0));
  size.forEach((k, i) => {
    const p = axisPadding(padding, i) as number;
    if (2 * p > k) {
      const axis = square ? '' : ` (${SPATIAL[2][i]})`;
      const most = Math.floor(k / 2);
      const use = most === 0 ? 'Leave the padding out (a window of 1 takes none), or use a larger size' : `Use padding = ${most} or less, or a larger size`;
      ctx.fail(
        'arg.range',
        `${name}: padding ${p} is more than half the pool size ${k}${axis}; PyTorch allows at most ${most}, so that no window lies wholly on padding. ${use}`,
        'padding',
      );
    }
  });
}

/** The hover's line on what a pooling's explicit padding holds. */
function padNote(isMax: boolean): string {
  return isMax
    ? 'The padding never wins a max, as in PyTorch (which pads −∞): each value is the max of the cells of its window inside the input.'
    : "The padding is zeros that count in the mean, as PyTorch's default (`count_include_pad = True`): a window over the border divides by all its cells, padding included, so its average leans toward 0. `padding = same` leaves the padding out instead.";
}

function poolSpec(name: 'maxpool' | 'avgpool'): LayerSpec {
  const isMax = name === 'maxpool';
  const op = isMax ? 'maximum' : 'average';
  return {
    name,
    category: 'pool',
    summary: `${isMax ? 'Max' : 'Average'} pooling over windows of \`size\` (1-D or 2-D from the input).`,
    doc: [
      `**${name}** — replaces each \`size\` window by its ${op}, channel by channel; no weights.`,
      'Works on sequences `[length, c]` (1-D) and images `[h, w, c]` (2-D).',
      '',
      '- output: `[h\', w\', c]` (channels unchanged)',
      '- `padding=valid`: `h\' = ⌊(h − size) / stride⌋ + 1`; `padding=same`: `h\' = ⌈h / stride⌉` (a window over the border takes only the cells inside the input)',
      `- \`padding=p\` (a number or \`[ph, pw]\`, as PyTorch, at most half the size): \`h' = ⌊(h + 2p − size) / stride⌋ + 1\`; ${
        isMax ? 'the padding never wins the max (PyTorch pads −∞)' : "the padding is zeros that count in the mean (PyTorch's default `count_include_pad = True`), unlike `same`"
      }`,
      '- `stride` defaults to `size`: windows do not overlap, and `size = 2` halves each side',
      '- parameters: 0 · MACs: 0',
      '',
      `Example: \`${name}(2)\` on \`[28, 28, 6]\` → \`[14, 14, 6]\`.`,
    ].join('\n'),
    args: [
      { name: 'size', type: 'ints', doc: 'Window size: `k`, or `[kh, kw]` on images.', min: 1, length: 2 },
      {
        name: 'stride',
        type: 'ints',
        doc: 'Step between windows (defaults to `size`).',
        default: (a) => a.size,
        defaultText: 'size',
        min: 1,
        length: 2,
      },
      {
        name: 'padding',
        type: 'enum',
        doc: `\`valid\` (only full windows), \`same\` (pad the border; output \`⌈h / stride⌉\`), or \`p\` or \`[ph, pw]\` positions on each side (PyTorch's \`padding = p\`, at most half the size; ${
          isMax ? 'never the max' : 'zeros counted in the mean'
        }).`,
        default: 'valid',
        enum: ['valid', 'same'],
        orInts: true,
        min: 0,
        length: 2,
      },
    ],
    inputRank: [2, 3],
    notes(args, inputs) {
      const input = inputs?.[0];
      if (!input || (input.dims.length !== 2 && input.dims.length !== 3)) return [];
      const n = spatialRank(input) as 1 | 2;
      try {
        const p = poolParams(args, n);
        const notes = outputSizeNote(input, n, { kernel: p.size, stride: p.stride, padding: p.padding, pooling: true });
        if (typeof p.padding !== 'string' && p.padding.some((q) => q > 0)) notes.push(padNote(isMax));
        return notes;
      } catch {
        return [];
      }
    },
    outputShape(ctx) {
      expectRank(ctx, name, [2, 3], EITHER);
      const input = ctx.inputs[0];
      const n = spatialRank(input);
      const p = poolParams(ctx.args, n);
      requireMin(p.size, 1, 'size');
      requireMin(p.stride, 1, 'stride');
      checkPoolPadding(ctx, name, p.size, p.padding);
      const spatial = SPATIAL[n].map((axis, i) =>
        convOutputLength(ctx, input.dims[i], p.size[i], p.stride[i], 1, axisPadding(p.padding, i), {
          layer: name,
          axis,
          arg: 'size',
          what: 'pool size',
        }),
      );
      return { dims: [...spatial, input.dims[n]] };
    },
    weights: () => [],
    macs: () => Sym.ZERO,
    tfjs(ctx) {
      const { tf } = ctx;
      const n = spatialRank(ctx.inputs[0]);
      const p = poolParams(ctx.args, n);
      // Explicit padding of 0 is `valid`; any other is padded before a valid pooling.
      if (typeof p.padding !== 'string' && p.padding.every((q) => q === 0)) p.padding = 'valid';
      if (typeof p.padding !== 'string') {
        return new (nnPoolClass(tf))({ name: ctx.name, rank: n, isMax, poolSize: p.size, strides: p.stride, padding: p.padding });
      }
      if (n === 1) {
        const a = { name: ctx.name, poolSize: p.size[0], strides: p.stride[0], padding: p.padding };
        return isMax ? tf.layers.maxPooling1d(a) : tf.layers.averagePooling1d(a);
      }
      const a = {
        name: ctx.name,
        poolSize: [p.size[0], p.size[1]] as [number, number],
        strides: [p.stride[0], p.stride[1]] as [number, number],
        padding: p.padding,
      };
      return isMax ? tf.layers.maxPooling2d(a) : tf.layers.averagePooling2d(a);
    },
  };
}

export const maxpool = poolSpec('maxpool');
export const avgpool = poolSpec('avgpool');

// ------------------------------------------------------------------ global pooling

function globalSpec(name: 'global_avgpool' | 'global_maxpool'): LayerSpec {
  const isMax = name === 'global_maxpool';
  return {
    name,
    category: 'pool',
    summary: `${isMax ? 'Maximum' : 'Mean'} of each channel over all positions: \`[h, w, c]\` → \`[c]\`.`,
    doc: [
      `**${name}** — the ${isMax ? 'largest value' : 'mean'} of each channel over all positions; the`,
      'spatial axes disappear. The usual bridge from convolutions to a classifier head, and',
      'independent of the image size.',
      '',
      '- input: `[h, w, c]` or `[length, c]` · output: `[c]`',
      '- parameters: 0 · MACs: 0',
      '',
      `Example: \`${name}\` on \`[7, 7, 64]\` → \`[64]\`.`,
    ].join('\n'),
    args: [],
    inputRank: [2, 3],
    outputShape(ctx) {
      expectRank(ctx, name, [2, 3], EITHER);
      const d = ctx.inputs[0].dims;
      return { dims: [d[d.length - 1]] };
    },
    weights: () => [],
    macs: () => Sym.ZERO,
    tfjs(ctx) {
      const { tf } = ctx;
      const n = spatialRank(ctx.inputs[0]);
      if (n === 1) {
        return isMax ? tf.layers.globalMaxPooling1d({ name: ctx.name }) : tf.layers.globalAveragePooling1d({ name: ctx.name });
      }
      return isMax ? tf.layers.globalMaxPooling2d({ name: ctx.name }) : tf.layers.globalAveragePooling2d({ name: ctx.name });
    },
  };
}

export const globalAvgpool = globalSpec('global_avgpool');
export const globalMaxpool = globalSpec('global_maxpool');

// ------------------------------------------------------------------ upsample

const upSampling1dClass = perTf((tf) => {
  /** Keras UpSampling1D: each step repeated `size` times. */
  class NnUpSampling1D extends tf.layers.Layer {
    static className = 'NnUpSampling1D';
    readonly size: number;
    constructor(args: TfLayerArgs & { size: number }) {
      super(args);
      this.size = args.size;
    }
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape {
      const s = oneShape(inputShape);
      return [s[0], s[1] === null ? null : s[1] * this.size, s[2]];
    }
    override call(inputs: TfTensor | TfTensor[], _kwargs: TfKwargs): TfTensor {
      return tf.tidy(() => {
        const x = oneTensor(inputs);
        const [b, len, c] = x.shape;
        const tiled = tf.tile(tf.expandDims(x, 2), [1, 1, this.size, 1]);
        return tf.reshape(tiled, [b, len * this.size, c]);
      });
    }
    override getConfig(): TfConfigDict {
      return { ...super.getConfig(), size: this.size };
    }
  }
  tf.serialization.registerClass(NnUpSampling1D);
  return NnUpSampling1D;
});

export const upsample: LayerSpec = {
  name: 'upsample',
  category: 'pool',
  summary: 'Nearest-neighbour upsampling: repeats each position `factor` times along each spatial axis.',
  doc: [
    '**upsample(factor=2)** — enlarges by repeating: each pixel becomes a `factor × factor` block',
    '(each step of a sequence is repeated `factor` times). No weights; often followed by a conv.',
    '',
    '- input: `[h, w, c]` → `[h · fh, w · fw, c]`; `[length, c]` → `[length · f, c]`',
    '- parameters: 0 · MACs: 0',
    '',
    'Example: `upsample(2)` on `[14, 14, 8]` → `[28, 28, 8]`.',
  ].join('\n'),
  args: [
    {
      name: 'factor',
      type: 'ints',
      doc: 'Repeat count: `f`, or `[fh, fw]` on images.',
      default: 2,
      min: 1,
      length: 2,
    },
  ],
  inputRank: [2, 3],
  outputShape(ctx) {
    expectRank(ctx, 'upsample', [2, 3], EITHER);
    const input = ctx.inputs[0];
    const n = spatialRank(input);
    const f = argInts(ctx.args, 'factor', n);
    requireMin(f, 1, 'factor');
    return { dims: [...f.map((k, i) => input.dims[i].mul(k)), input.dims[n]] };
  },
  weights: () => [],
  macs: () => Sym.ZERO,
  tfjs(ctx: TfjsContext) {
    const { tf } = ctx;
    const n = spatialRank(ctx.inputs[0]);
    const f = argInts(ctx.args, 'factor', n);
    if (n === 1) return new (upSampling1dClass(tf))({ name: ctx.name, size: f[0] });
    return tf.layers.upSampling2d({ name: ctx.name, size: f, interpolation: 'nearest' });
  },
};

export const poolLayers: LayerSpec[] = [maxpool, avgpool, globalAvgpool, globalMaxpool, upsample];
