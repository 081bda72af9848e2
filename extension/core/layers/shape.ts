/**
 * Rearranging values without arithmetic: `flatten`, `reshape`, `transpose`.
 *
 * tfjs's Flatten needs at least two fully known axes; other inputs use a
 * small custom layer with the same result.
 */
import { Sym, product, type Shape } from '../analysis/sym';
import {
  argIntList,
  fmt,
  oneShape,
  oneTensor,
  perTf,
  type TfKwargs,
  type TfShape,
  type TfTensor,
} from './common';
import { LayerError, type LayerSpec } from './types';

// ------------------------------------------------------------------ flatten

const flattenClass = perTf((tf) => {
  /** Flatten for inputs tfjs's Flatten rejects (one axis, or unknown sizes). */
  class NnFlatten extends tf.layers.Layer {
    static className = 'NnFlatten';
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape {
      const s = oneShape(inputShape);
      const rest = s.slice(1);
      return [s[0], rest.some((d) => d === null) ? null : rest.reduce<number>((a, b) => a * (b as number), 1)];
    }
    override call(inputs: TfTensor | TfTensor[], _kwargs: TfKwargs): TfTensor {
      return tf.tidy(() => {
        const x = oneTensor(inputs);
        return tf.reshape(x, [x.shape[0], -1]);
      });
    }
  }
  tf.serialization.registerClass(NnFlatten);
  return NnFlatten;
});

export const flatten: LayerSpec = {
  name: 'flatten',
  category: 'reshape',
  summary: 'Flattens all axes into one: `[h, w, c]` → `[h·w·c]`.',
  doc: [
    '**flatten** — lays all values of an example out in one axis, in row-major order (the last axis',
    'varies fastest). The usual step between convolutions and `dense` layers.',
    '',
    '- input: `[d1, d2, ...]` · output: `[d1·d2·...]`',
    '- parameters: 0 · MACs: 0',
    '',
    'Example: `flatten` on `[5, 5, 16]` → `[400]`.',
  ].join('\n'),
  args: [],
  inputKind: 'any',
  inputRank: { min: 1 },
  outputShape(ctx) {
    const input = ctx.inputs[0];
    if (input.dims.length === 0) ctx.fail('shape.rank', 'flatten expects at least one axis, got []');
    return { dims: [product(input.dims)], isInt: input.isInt };
  },
  weights: () => [],
  macs: () => Sym.ZERO,
  tfjs(ctx) {
    const d = ctx.inputs[0].dims;
    if (d.length >= 2 && d.every((x) => x.isConst())) return ctx.tf.layers.flatten({ name: ctx.name });
    return new (flattenClass(ctx.tf))({ name: ctx.name });
  },
};

// ------------------------------------------------------------------ reshape

function reshapeTarget(shape: number[], input: Shape, fail: (msg: string) => never): Sym[] {
  const holes = shape.filter((d) => d === -1).length;
  if (holes > 1) fail(`reshape(${list(shape)}): only one size may be -1 (inferred)`);
  const bad = shape.find((d) => d === 0 || d < -1);
  if (bad !== undefined) fail(`reshape(${list(shape)}): sizes must be positive (or one -1), got ${bad}`);
  const total = product(input.dims);
  const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  if (holes === 1) {
    const inferred = total.divExact(known);
    if (inferred === undefined || inferred.certainlyBelow(1)) {
      fail(
        `reshape(${list(shape)}): the input ${fmt(input)} has ${total.toString()} values, which do not divide into groups of ${known}`,
      );
    }
    return shape.map((d) => (d === -1 ? inferred : Sym.of(d)));
  }
  if (!total.equals(known)) {
    const hint = total.isConst() ? '' : '; use -1 for the size that depends on the input';
    fail(`reshape(${list(shape)}) needs ${known} values, the input ${fmt(input)} has ${total.toString()}${hint}`);
  }
  return shape.map((d) => Sym.of(d));
}

function list(xs: readonly number[]): string {
  return `[${xs.join(', ')}]`;
}

export const reshape: LayerSpec = {
  name: 'reshape',
  category: 'reshape',
  summary: 'Rearranges the values into a new shape with the same number of values; one size may be -1.',
  doc: [
    '**reshape(shape)** — reads the values in row-major order and lays them out in `shape`. The',
    'product of the sizes must equal the number of input values; one size may be `-1`, and is then',
    'inferred (e.g. `reshape([-1, 64])` on `[seq, 8, 8]` gives `[seq, 64]`).',
    '',
    '- input: any shape with `N` values · output: `shape` (the batch axis is not written)',
    '- parameters: 0 · MACs: 0',
    '',
    'Example: `reshape([28, 28, 1])` on `[784]` → `[28, 28, 1]`, ready for `conv2d`.',
  ].join('\n'),
  args: [{ name: 'shape', type: 'int_list', doc: 'The new shape, without the batch; one size may be -1.', min: -1 }],
  inputKind: 'any',
  inputRank: { min: 0 },
  outputShape(ctx) {
    const shape = argIntList(ctx.args, 'shape');
    const dims = reshapeTarget(shape, ctx.inputs[0], (m) => ctx.fail('arg.range', m, 'shape'));
    return { dims, isInt: ctx.inputs[0].isInt };
  },
  weights: () => [],
  macs: () => Sym.ZERO,
  tfjs(ctx) {
    // tfjs leaves a -1 unknown whenever the batch is (always); give it the size when it is known.
    const dims = reshapeTarget(argIntList(ctx.args, 'shape'), ctx.inputs[0], (m) => {
      throw new LayerError('arg.range', m, 'shape');
    });
    return ctx.tf.layers.reshape({ name: ctx.name, targetShape: dims.map((d) => d.value ?? -1) });
  },
};

// ------------------------------------------------------------------ transpose

export const transpose: LayerSpec = {
  name: 'transpose',
  category: 'reshape',
  summary: 'Reorders the axes: output axis i is input axis perm[i] (0-based, batch excluded).',
  doc: [
    '**transpose(perm)** — permutes the axes of each example: output axis `i` is input axis `perm[i]`.',
    'Axes are counted from 0 and the batch axis is not one of them, so `transpose([1, 0])` swaps the',
    'two axes of `[seq, d]`. (Keras\'s `Permute` counts from 1; this is `Permute` with `perm + 1`.)',
    '',
    '- input: `[d0, d1, ...]` · output: `[d_perm[0], d_perm[1], ...]`',
    '- parameters: 0 · MACs: 0',
    '',
    'Example: `transpose([1, 0])` on `[seq, 64]` → `[64, seq]`.',
  ].join('\n'),
  args: [{ name: 'perm', type: 'int_list', doc: 'New order of the axes, 0-based: a permutation of 0..rank−1.', min: 0 }],
  inputKind: 'any',
  inputRank: { min: 1 },
  outputShape(ctx) {
    const input = ctx.inputs[0];
    const perm = argIntList(ctx.args, 'perm');
    const r = input.dims.length;
    if (perm.length !== r) {
      ctx.fail('arg.range', `transpose(${list(perm)}) needs one entry per axis of ${fmt(input)} (${r})`, 'perm');
    }
    const sorted = [...perm].sort((a, b) => a - b);
    if (!sorted.every((p, i) => p === i)) {
      ctx.fail('arg.range', `transpose(${list(perm)}): perm must list each axis 0..${r - 1} exactly once`, 'perm');
    }
    return { dims: perm.map((p) => input.dims[p]), isInt: input.isInt };
  },
  weights: () => [],
  macs: () => Sym.ZERO,
  tfjs(ctx) {
    return ctx.tf.layers.permute({ name: ctx.name, dims: argIntList(ctx.args, 'perm').map((p) => p + 1) });
  },
};

export const shapeLayers: LayerSpec[] = [flatten, reshape, transpose];
