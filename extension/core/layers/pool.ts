/**
 * Pooling and resampling: `maxpool`, `avgpool` (1-D or 2-D from the input's
 * rank), `global_avgpool`, `global_maxpool`, `upsample`.
 *
 * tfjs has no 1-D upsampling layer; `NnUpSampling1D` repeats each step as
 * Keras's UpSampling1D does.
 */
import { Sym, type Shape } from '../analysis/sym';
import {
  argInts,
  argStr,
  convOutputLength,
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
    padding: argStr(args, 'padding') as 'valid' | 'same',
  };
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
      '- `padding=valid`: `h\' = ⌊(h − size) / stride⌋ + 1`; `padding=same`: `h\' = ⌈h / stride⌉`',
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
        doc: '`valid` (only full windows) or `same` (pad the border; output `⌈h / stride⌉`).',
        default: 'valid',
        enum: ['valid', 'same'],
      },
    ],
    inputRank: [2, 3],
    notes(args, inputs) {
      const input = inputs?.[0];
      if (!input || (input.dims.length !== 2 && input.dims.length !== 3)) return [];
      const n = spatialRank(input) as 1 | 2;
      try {
        const p = poolParams(args, n);
        return outputSizeNote(input, n, { kernel: p.size, stride: p.stride, padding: p.padding, pooling: true });
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
      const spatial = SPATIAL[n].map((axis, i) =>
        convOutputLength(ctx, input.dims[i], p.size[i], p.stride[i], 1, p.padding, {
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
