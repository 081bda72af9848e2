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
import type { LayerSpec, Tf } from './types';

/**
 * Keras's Dropout: in training each value is zeroed with probability `rate`
 * and the others are scaled by 1 / (1 − rate) (the same ops as
 * `tf.layers.dropout`); identity at inference and at rate 0.
 */
const dropoutClass = perTf((tf) =>
  seededLayerClass(tf, 'NnDropout', 'rate', (rate) => rate > 0 && rate < 1, (x, rate, seed) => tf.dropout(x, rate, undefined, seed)),
);

/**
 * What `dropout` and `drop_path` share: one `rate` in [0, 1), the shape
 * unchanged, no weights or MACs, training only, a seeded layer of `cls`.
 */
function rateLayer(
  name: string,
  doc: string,
  cls: (tf: Tf) => ReturnType<typeof seededLayerClass>,
): Pick<LayerSpec, 'args' | 'inputRank' | 'trainingOnly' | 'outputShape' | 'weights' | 'macs' | 'tfjs'> {
  return {
    args: [{ name: 'rate', type: 'number', doc, min: 0, max: 1 }],
    inputRank: { min: 0 },
    trainingOnly: true,
    outputShape(ctx) {
      const rate = argNum(ctx.args, 'rate');
      if (!(rate >= 0 && rate < 1)) ctx.fail('arg.range', `${name}: rate must be at least 0 and below 1, got ${rate}`, 'rate');
      return { dims: ctx.inputs[0].dims };
    },
    weights: () => [],
    macs: () => Sym.ZERO,
    tfjs(ctx) {
      return new (cls(ctx.tf))({ name: ctx.name, rate: argNum(ctx.args, 'rate'), seed: ctx.seed });
    },
  };
}

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
  ...rateLayer('dropout', 'Fraction of values to drop, in [0, 1).', dropoutClass),
};

/**
 * Stochastic depth's drop (Huang et al. 2016, "Deep Networks with Stochastic
 * Depth"; timm's DropPath, torchvision's StochasticDepth in "row" mode): in
 * training the whole value of each example is zeroed with probability
 * `rate` and the kept ones are scaled by 1 / (1 − rate); identity at
 * inference. One mask value per example, broadcast over its other axes.
 */
const dropPathClass = perTf((tf) =>
  seededLayerClass(tf, 'NnDropPath', 'rate', (rate) => rate > 0 && rate < 1, (x, rate, seed) =>
    tf.dropout(x, rate, [x.shape[0], ...x.shape.slice(1).map(() => 1)], seed),
  ),
);

export const dropPath: LayerSpec = {
  name: 'drop_path',
  category: 'regularization',
  summary: 'Stochastic depth: in training, drops the whole value of an example with probability `rate`.',
  doc: [
    '**drop_path(rate)** — stochastic depth (Huang et al. 2016): during training, the whole value of each',
    'example is set to 0 with probability `rate` (the kept ones are multiplied by `1 / (1 − rate)`);',
    'at inference it does nothing. At the end of a residual branch, `x + x -> block -> drop_path(0.1)`,',
    'an example then skips the block now and then: a deep network trains as an ensemble of shallower',
    'ones (ViT, DeiT, ConvNeXt, EfficientNet train with it; PyTorch: timm\'s DropPath, torchvision\'s',
    'StochasticDepth).',
    '',
    '- shape unchanged · parameters: 0 · MACs: 0',
    '- active in training only; one draw per example, not per value (that is `dropout`)',
  ].join('\n'),
  ...rateLayer('drop_path', 'Probability of dropping an example\'s whole value, in [0, 1).', dropPathClass),
};

export const regularizationLayers: LayerSpec[] = [dropout, dropPath];
