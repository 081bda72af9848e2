/**
 * `dense`: a fully connected layer on the last axis (Keras Dense).
 */
import { Sym, product } from '../analysis/sym';
import { activationArg, argBool, argInt, argStr, glorot, requireMin, tfjsActivation } from './common';
import type { LayerSpec, WeightSpec } from './types';

export const dense: LayerSpec = {
  name: 'dense',
  category: 'dense',
  summary: 'Fully connected layer: every output unit is a weighted sum of all inputs on the last axis.',
  doc: [
    '**dense(units, bias=true, activation=none)** — `y = x · W + b` on the last axis: each of the',
    '`units` outputs is a learned weighted sum of all `n` input features, plus a bias.',
    'Other axes are kept: on `[seq, n]` the same weights are applied at every position.',
    '',
    '- input: `[..., n]` · output: `[..., units]`',
    '- parameters: `n · units + units` (kernel `[n, units]`, bias `[units]`)',
    '- MACs: `n · units` per position',
    '',
    'Example: `dense(120)` on `[400]` → `[120]`: 400·120 + 120 = 48,120 parameters, 48,000 MACs.',
  ].join('\n'),
  args: [
    { name: 'units', type: 'int', doc: 'Number of outputs (size of the new last axis).', min: 1 },
    { name: 'bias', type: 'bool', doc: 'Add a learned bias per unit.', default: true },
    activationArg,
  ],
  inputRank: { min: 1 },
  outputShape(ctx) {
    const d = ctx.inputs[0].dims;
    if (d.length === 0) ctx.fail('shape.rank', 'dense expects at least one axis, got []');
    const units = argInt(ctx.args, 'units');
    requireMin([units], 1, 'units');
    return { dims: [...d.slice(0, -1), Sym.of(units)] };
  },
  weights(ctx) {
    const n = ctx.inputs[0].dims[ctx.inputs[0].dims.length - 1];
    const units = Sym.of(argInt(ctx.args, 'units'));
    const w: WeightSpec[] = [{ name: 'kernel', shape: [n, units], trainable: true }];
    if (argBool(ctx.args, 'bias')) w.push({ name: 'bias', shape: [units], trainable: true });
    return w;
  },
  macs(ctx) {
    const d = ctx.inputs[0].dims;
    return product(d).mul(argInt(ctx.args, 'units'));
  },
  tfjs(ctx) {
    return ctx.tf.layers.dense({
      name: ctx.name,
      units: argInt(ctx.args, 'units'),
      useBias: argBool(ctx.args, 'bias'),
      activation: tfjsActivation(ctx.tf, argStr(ctx.args, 'activation')),
      kernelInitializer: glorot(ctx.tf, ctx.seed),
    });
  },
};

export const denseLayers: LayerSpec[] = [dense];
