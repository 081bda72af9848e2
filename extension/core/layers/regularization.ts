/**
 * `dropout`: zeroes random values in training, identity at inference.
 *
 * tfjs's Dropout layer draws its masks unseeded (or, given a seed, the same
 * mask at every step), so `NnDropout` draws each mask with `tf.dropout` and
 * a seed of its own stream (draws.ts): reproducible runs, and resume exact.
 */
import { Sym } from '../analysis/sym';
import { argNum, perTf } from './common';
import { seededLayerClass } from './draws';
import type { LayerSpec } from './types';

/**
 * Keras's Dropout: in training each value is zeroed with probability `rate`
 * and the others are scaled by 1 / (1 − rate) (the same ops as
 * `tf.layers.dropout`); identity at inference and at rate 0.
 */
const dropoutClass = perTf((tf) =>
  seededLayerClass(tf, 'NnDropout', 'rate', (rate) => rate > 0 && rate < 1, (x, rate, seed) => tf.dropout(x, rate, undefined, seed)),
);

export const dropout: LayerSpec = {
  name: 'dropout',
  category: 'regularization',
  summary: 'In training, zeroes each value with probability `rate` and scales the rest by 1/(1 − rate).',
  doc: [
    '**dropout(rate)** — during training, each value is set to 0 with probability `rate`, and the',
    'others are multiplied by `1 / (1 − rate)` so that the expected sum is unchanged. At inference',
    'it does nothing. Discourages units from relying on each other, which reduces overfitting.',
    '',
    '- shape unchanged · parameters: 0 · MACs: 0',
    '- active in training only',
    '',
    'Example: `dense(128) -> relu -> dropout(0.5)`.',
  ].join('\n'),
  args: [{ name: 'rate', type: 'number', doc: 'Fraction of values to drop, in [0, 1).', min: 0, max: 1 }],
  inputRank: { min: 0 },
  trainingOnly: true,
  outputShape(ctx) {
    const rate = argNum(ctx.args, 'rate');
    if (!(rate >= 0 && rate < 1)) {
      ctx.fail('arg.range', `dropout: rate must be at least 0 and below 1, got ${rate}`, 'rate');
    }
    return { dims: ctx.inputs[0].dims };
  },
  weights: () => [],
  macs: () => Sym.ZERO,
  tfjs(ctx) {
    return new (dropoutClass(ctx.tf))({ name: ctx.name, rate: argNum(ctx.args, 'rate'), seed: ctx.seed });
  },
};

export const regularizationLayers: LayerSpec[] = [dropout];
