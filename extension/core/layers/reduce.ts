/**
 * Reducing and selecting along an axis: `mean`, `max`, `take`. tfjs has no
 * layers for these; `NnReduce` and `NnTake` are small custom layers.
 * Axes count the example axes from 0 (the batch is not an axis).
 */
import { Sym, type Shape } from '../analysis/sym';
import {
  argInt,
  argIntList,
  fmt,
  normAxis,
  oneShape,
  oneTensor,
  perTf,
  type TfConfigDict,
  type TfKwargs,
  type TfLayerArgs,
  type TfShape,
  type TfTensor,
} from './common';
import type { LayerContext, LayerSpec } from './types';

// ------------------------------------------------------------------ mean / max

type ReduceOp = 'mean' | 'max';

const reduceClass = perTf((tf) => {
  class NnReduce extends tf.layers.Layer {
    static className = 'NnReduce';
    readonly op: ReduceOp;
    /** Example axes (0-based, normalised, sorted). */
    readonly axes: number[];
    constructor(args: TfLayerArgs & { op: ReduceOp; axes: number[] }) {
      super(args);
      this.op = args.op;
      this.axes = args.axes;
    }
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape {
      const s = oneShape(inputShape);
      return s.filter((_, i) => i === 0 || !this.axes.includes(i - 1));
    }
    override call(inputs: TfTensor | TfTensor[], _kwargs: TfKwargs): TfTensor {
      return tf.tidy(() => {
        const x = oneTensor(inputs);
        const axes = this.axes.map((a) => a + 1);
        return this.op === 'mean' ? tf.mean(x, axes) : tf.max(x, axes);
      });
    }
    override getConfig(): TfConfigDict {
      return { ...super.getConfig(), op: this.op, axes: this.axes };
    }
  }
  tf.serialization.registerClass(NnReduce);
  return NnReduce;
});

function reduceAxes(ctx: LayerContext, name: string): number[] {
  const input = ctx.inputs[0];
  if (input.dims.length === 0) ctx.fail('shape.rank', `${name} needs at least one axis to reduce, got ${fmt(input)}`);
  const axes = argIntList(ctx.args, 'axis').map((a) => normAxis(ctx, a, input, name));
  if (axes.length === 0) ctx.fail('arg.range', `${name}: give at least one axis`, 'axis');
  if (new Set(axes).size !== axes.length) ctx.fail('arg.range', `${name}: an axis is listed twice`, 'axis');
  return axes.sort((a, b) => a - b);
}

function reduceSpec(op: ReduceOp): LayerSpec {
  const what = op === 'mean' ? 'mean' : 'maximum';
  return {
    name: op,
    category: 'pool',
    summary: `The ${what} over an axis (or axes), which disappears: \`[seq, d]\` → \`[d]\` for axis 0.`,
    doc: [
      `**${op}(axis)** — the ${what} of the values along \`axis\`; that axis is removed. \`axis\` counts`,
      'the example axes from 0 (the batch is not an axis), `-1` is the last; a list reduces several.',
      '',
      `- \`${op}(0)\` on \`[seq, d]\` → \`[d]\` (${op === 'mean' ? 'average' : 'max'}-pool over the sequence)`,
      `- \`${op}([0, 1])\` on \`[h, w, c]\` → \`[c]\` (like \`global_${op === 'mean' ? 'avg' : 'max'}pool\`)`,
      '- parameters: 0 · MACs: 0',
    ].join('\n'),
    args: [{ name: 'axis', type: 'ints', doc: 'Axis to reduce (or a list of axes); negative counts from the end.' }],
    inputRank: { min: 1 },
    outputShape(ctx) {
      const axes = reduceAxes(ctx, op);
      return { dims: ctx.inputs[0].dims.filter((_, i) => !axes.includes(i)) };
    },
    weights: () => [],
    macs: () => Sym.ZERO,
    tfjs(ctx) {
      const rank = ctx.inputs[0].dims.length;
      const axes = argIntList(ctx.args, 'axis')
        .map((a) => (a < 0 ? a + rank : a))
        .sort((a, b) => a - b);
      return new (reduceClass(ctx.tf))({ name: ctx.name, op, axes });
    },
  };
}

export const mean = reduceSpec('mean');
export const max = reduceSpec('max');

// ------------------------------------------------------------------ take

const takeClass = perTf((tf) => {
  class NnTake extends tf.layers.Layer {
    static className = 'NnTake';
    readonly index: number;
    /** Example axis (0-based, normalised). */
    readonly axis: number;
    constructor(args: TfLayerArgs & { index: number; axis: number }) {
      super(args);
      this.index = args.index;
      this.axis = args.axis;
    }
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape {
      const s = oneShape(inputShape);
      return s.filter((_, i) => i !== this.axis + 1);
    }
    override call(inputs: TfTensor | TfTensor[], _kwargs: TfKwargs): TfTensor {
      return tf.tidy(() => {
        const x = oneTensor(inputs);
        const a = this.axis + 1;
        const n = x.shape[a];
        const i = this.index < 0 ? n + this.index : this.index;
        const begin = x.shape.map((_, k) => (k === a ? i : 0));
        const size = x.shape.map((d, k) => (k === a ? 1 : d));
        return tf.squeeze(tf.slice(x, begin, size), [a]);
      });
    }
    override getConfig(): TfConfigDict {
      return { ...super.getConfig(), index: this.index, axis: this.axis };
    }
  }
  tf.serialization.registerClass(NnTake);
  return NnTake;
});

export const take: LayerSpec = {
  name: 'take',
  category: 'reshape',
  summary: 'Picks one position along an axis, which disappears: `take(0)` is the first token, `take(-1)` the last.',
  doc: [
    '**take(index, axis=0)** — the slice at `index` along `axis`; that axis is removed. Negative',
    'indices count from the end. `axis` counts the example axes from 0 (the batch is not an axis).',
    '',
    '- `take(0)` on `[seq, d]` → `[d]`: the first token (e.g. a `cls_token` for classification)',
    '- `take(-1)` on `[seq, d]` → `[d]`: the last token (the output of a causal model)',
    '- parameters: 0 · MACs: 0',
  ].join('\n'),
  args: [
    { name: 'index', type: 'int', doc: 'Position to pick; negative counts from the end (-1 is the last).' },
    { name: 'axis', type: 'int', doc: 'Axis to pick along.', default: 0 },
  ],
  inputKind: 'any',
  inputRank: { min: 1 },
  outputShape(ctx) {
    const input: Shape = ctx.inputs[0];
    if (input.dims.length === 0) ctx.fail('shape.rank', `take needs at least one axis, got ${fmt(input)}`);
    const axis = normAxis(ctx, argInt(ctx.args, 'axis'), input, 'take');
    const index = argInt(ctx.args, 'index');
    const n = input.dims[axis].value;
    if (n !== undefined && (index >= n || index < -n)) {
      ctx.fail(
        'arg.range',
        `take(${index}): axis ${axis} of ${fmt(input)} has ${n} positions; use ${n === 0 ? 'a non-empty axis' : `0..${n - 1} or -${n}..-1`}`,
        'index',
      );
    }
    return { dims: input.dims.filter((_, i) => i !== axis), isInt: input.isInt };
  },
  weights: () => [],
  macs: () => Sym.ZERO,
  tfjs(ctx) {
    const rank = ctx.inputs[0].dims.length;
    const a = argInt(ctx.args, 'axis');
    return new (takeClass(ctx.tf))({
      name: ctx.name,
      index: argInt(ctx.args, 'index'),
      axis: a < 0 ? a + rank : a,
    });
  },
};

export const reduceLayers: LayerSpec[] = [mean, max, take];
