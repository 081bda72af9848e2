/**
 * Combining several values: `concat`, `add` (what `+` means), `multiply`.
 * The inputs are all of `LayerContext.inputs`: the piped value (if any)
 * followed by the values named in the call.
 */
import { Sym, type Shape } from '../analysis/sym';
import { argInt, axisName, fmt, normAxis } from './common';
import type { ArgSpec, LayerContext, LayerSpec } from './types';

const valuesArg: ArgSpec = {
  name: 'values',
  type: 'tensors',
  doc: 'The values to combine (after the piped value, if there is one).',
};

function needTwo(ctx: LayerContext, name: string): void {
  if (ctx.inputs.length < 2) {
    ctx.fail('arg.range', `${name} needs at least two values, got ${ctx.inputs.length}; e.g. ${name}(a, b) or x -> ${name}(b)`, 'values');
  }
}

/** The hint of a merge whose branches differ in positions: one of them shrank them (a convolution without padding, a stride). */
const LOST_POSITIONS =
  '; the branch with fewer positions lost them to a kernel without padding or to a stride: `padding = same` keeps them, and a stride needs the same on the other branch';

/** An axis where two merged shapes differ: "height 14 ≠ 12", or "axis 3 (4 ≠ 6)" where axes have no name. */
function differText(rank: number, axis: number, a: Sym, b: Sym): string {
  return rank <= 3 ? `${axisName(rank, axis)} ${a.toString()} ≠ ${b.toString()}` : `axis ${axis} (${a.toString()} ≠ ${b.toString()})`;
}

/**
 * A projection shortcut that would make two merged shapes equal, as ResNet's:
 * the operand with fewer channels (`fewer`, 0 or 1) taken through a 1×1
 * convolution (a dense on vectors) to the other's channels, with a stride
 * when it also has `stride` times the positions (`ceil(size / stride)`, as a
 * 1×1 kernel gives). Undefined when the shapes differ otherwise (ranks,
 * unknown sizes, positions not a stride apart, or the operand with fewer
 * channels also has fewer positions).
 */
export function projectionFor(a: Shape, b: Shape): { fewer: 0 | 1; layer: string; channels: number; stride: number } | undefined {
  const rank = a.dims.length;
  if (rank === 0 || rank > 3 || b.dims.length !== rank) return undefined;
  const ca = a.dims[rank - 1].value;
  const cb = b.dims[rank - 1].value;
  if (ca === undefined || cb === undefined || ca === cb) return undefined;
  const fewer = ca < cb ? 0 : 1;
  const [small, large] = fewer === 0 ? [a, b] : [b, a];
  let stride = 1;
  let spatial = true;
  for (let k = 0; k < rank - 1 && spatial; k++) spatial = small.dims[k].equals(large.dims[k]);
  if (!spatial) {
    // Positions a stride apart on every spatial axis: the same stride, all sizes known.
    const sizes: [number, number][] = [];
    for (let k = 0; k < rank - 1; k++) {
      const s = small.dims[k].value;
      const l = large.dims[k].value;
      if (s === undefined || l === undefined || s <= l || l < 1) return undefined;
      sizes.push([s, l]);
    }
    stride = Math.round(sizes[0][0] / sizes[0][1]);
    if (stride < 2 || !sizes.every(([s, l]) => Math.ceil(s / stride) === l)) return undefined;
  }
  if (rank === 1 && stride !== 1) return undefined;
  const channels = Math.max(ca, cb);
  const layer = rank === 3 ? 'conv2d' : rank === 2 ? 'conv1d' : 'dense';
  return { fewer, layer, channels, stride };
}

/** The call text of a projection: `conv2d(32, 1, stride = 2)`, `dense(64)`. */
export function projectionCall(p: { layer: string; channels: number | string; stride: number | string }): string {
  if (p.layer === 'dense') return `dense(${p.channels})`;
  return `${p.layer}(${p.channels}, 1${p.stride === 1 ? '' : `, stride = ${p.stride}`})`;
}

/**
 * tfjs's elementwise broadcasting (Merge layers): shapes aligned at the last
 * axis, the shorter one extended at the front, a size of 1 stretches.
 */
export function broadcastShapes(ctx: LayerContext, verb: string, a: Shape, b: Shape): Shape {
  const [long, short] = a.dims.length >= b.dims.length ? [a, b] : [b, a];
  const offset = long.dims.length - short.dims.length;
  const dims: Sym[] = long.dims.slice(0, offset);
  /** Every axis that differs, as "height 14 ≠ 12" (a residual whose branch changed both size and channels differs on several). */
  let differ: string[] | undefined;
  let spatial = false;
  for (let k = 0; k < short.dims.length; k++) {
    const i = long.dims[offset + k];
    const j = short.dims[k];
    if (i.equals(j) || j.equals(1)) dims.push(i);
    else if (i.equals(1)) dims.push(j);
    else {
      const axis = offset + k;
      const [da, db] = a === long ? [i, j] : [j, i];
      (differ ??= []).push(differText(long.dims.length, axis, da, db));
      if (long.dims.length >= 2 && axis < long.dims.length - 1 && da.value !== undefined && db.value !== undefined) spatial = true;
    }
  }
  if (differ) {
    // A branch that shrank the positions: a convolution without padding (or a stride) on one side only; one that changed
    // the channels (or features) alone: ResNet's projection shortcut, a 1×1 convolution (a dense) that matches them.
    const last = long.dims.length - 1;
    let hint = spatial ? LOST_POSITIONS : '';
    const p = projectionFor(a, b);
    if (p) {
      const few = (p.fewer === 0 ? a : b).dims[last].value!;
      const what = last === 0 ? 'features' : 'channels';
      const target = p.stride === 1 ? `${p.channels}` : `${p.channels} and its positions to ${fmt(p.fewer === 0 ? b : a)}`;
      hint = `; to ${verb} them, bring the one with ${few} ${what} to ${target}: \`-> ${projectionCall(p)}\` on it (a projection shortcut, as in ResNet's downsampling blocks)`;
    }
    ctx.fail('shape.mismatch', `cannot ${verb} ${fmt(a)} and ${fmt(b)}: ${differ.join(', ')}${hint}`);
  }
  return { dims };
}

function elementwiseMerge(name: 'add' | 'multiply', verb: string, formula: string): LayerSpec {
  return {
    name,
    category: 'merge',
    summary: `Elementwise ${name === 'add' ? 'sum' : 'product'} of two or more values of the same shape.`,
    doc: [
      `**${name}** — value by value: ${formula}.`,
      name === 'add' ? '`a + b` in an expression is `add(a, b)`: the residual (skip) connection of ResNets and transformers.' : 'Used for gating (e.g. `x -> multiply(sigmoid_gate)`).',
      '',
      '- inputs: shapes that match, or broadcast as in tfjs (aligned at the last axis; a size 1 stretches)',
      '- output: the common shape · parameters: 0 · MACs: 0 (elementwise)',
      '',
      `Example: \`x -> ${name}(y)\` with both \`[28, 28, 16]\` → \`[28, 28, 16]\`.`,
    ].join('\n'),
    args: [valuesArg],
    inputRank: { min: 0 },
    outputShape(ctx) {
      needTwo(ctx, name);
      let out = ctx.inputs[0];
      for (const s of ctx.inputs.slice(1)) out = broadcastShapes(ctx, verb, out, s);
      return out;
    },
    weights: () => [],
    macs: () => Sym.ZERO,
    tfjs(ctx) {
      return name === 'add' ? ctx.tf.layers.add({ name: ctx.name }) : ctx.tf.layers.multiply({ name: ctx.name });
    },
  };
}

export const add = elementwiseMerge('add', 'add', '`a + b + ...`');
export const multiply = elementwiseMerge('multiply', 'multiply', '`a · b · ...`');

export const concat: LayerSpec = {
  name: 'concat',
  category: 'merge',
  summary: 'Joins values along an axis (the channels by default).',
  doc: [
    '**concat** — places the values side by side along `axis`. All other axes',
    'must be equal; the sizes along `axis` add up. `axis` counts the example axes from 0; `-1` is',
    'the last (the channels).',
    '',
    '- inputs: `[h, w, c1]`, `[h, w, c2]`, ... · output: `[h, w, c1 + c2 + ...]`',
    '- parameters: 0 · MACs: 0',
    '',
    'Example: `concat(a, b)` with `[28, 28, 16]` and `[28, 28, 32]` → `[28, 28, 48]` (as in U-Net and DenseNet).',
  ].join('\n'),
  args: [valuesArg, { name: 'axis', type: 'int', doc: 'Axis to join along; `-1` is the last.', default: -1 }],
  inputRank: { min: 1 },
  outputShape(ctx) {
    needTwo(ctx, 'concat');
    const first = ctx.inputs[0];
    const axis = normAxis(ctx, argInt(ctx.args, 'axis'), first, 'concat');
    let size = first.dims[axis];
    for (const s of ctx.inputs.slice(1)) {
      if (s.dims.length !== first.dims.length) {
        ctx.fail(
          'shape.mismatch',
          `cannot concat ${fmt(first)} and ${fmt(s)}: ${first.dims.length} axes ≠ ${s.dims.length} axes`,
        );
      }
      // Every other axis that differs, as for `+`, and the same hint when positions were lost on one side.
      let differ: string[] | undefined;
      let spatial = false;
      for (let i = 0; i < s.dims.length; i++) {
        if (i !== axis && !s.dims[i].equals(first.dims[i])) {
          (differ ??= []).push(differText(s.dims.length, i, first.dims[i], s.dims[i]));
          if (s.dims.length >= 2 && i < s.dims.length - 1 && first.dims[i].value !== undefined && s.dims[i].value !== undefined) spatial = true;
        }
      }
      if (differ) {
        const hint = spatial ? LOST_POSITIONS : '';
        ctx.fail('shape.mismatch', `cannot concat ${fmt(first)} and ${fmt(s)} along ${s.dims.length <= 3 ? `the ${axisName(s.dims.length, axis)} axis` : `axis ${axis}`}: ${differ.join(', ')}${hint}`);
      }
      size = size.add(s.dims[axis]);
    }
    const dims = first.dims.slice();
    dims[axis] = size;
    return { dims };
  },
  weights: () => [],
  macs: () => Sym.ZERO,
  tfjs(ctx) {
    const rank = ctx.inputs[0].dims.length;
    const a = argInt(ctx.args, 'axis');
    // tfjs counts the batch as axis 0.
    return ctx.tf.layers.concatenate({ name: ctx.name, axis: (a < 0 ? a + rank : a) + 1 });
  },
};

export const mergeLayers: LayerSpec[] = [concat, add, multiply];
