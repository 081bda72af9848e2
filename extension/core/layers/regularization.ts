/**
 * `dropout`: zeroes random values in training, identity at inference.
 *
 * tfjs's Dropout layer draws its masks unseeded (or, given a seed, the same
 * mask at every step), so `NnDropout` draws each mask with `tf.dropout` and
 * a seed of its own stream (draws.ts): reproducible runs, and resume exact.
 */
import { Sym } from '../analysis/sym';
import { argNum, oneTensor, perTf, type TfConfigDict, type TfKwargs, type TfLayerArgs, type TfShape, type TfTensor } from './common';
import { TrainingDraws } from './draws';
import type { LayerSpec } from './types';

/**
 * Keras's Dropout: in training each value is zeroed with probability `rate`
 * and the others are scaled by 1 / (1 − rate) (the same ops as
 * `tf.layers.dropout`); identity at inference and at rate 0.
 */
const dropoutClass = perTf((tf) => {
  class NnDropout extends tf.layers.Layer {
    static className = 'NnDropout';
    readonly rate: number;
    readonly seed: number;
    private readonly draws: TrainingDraws;
    constructor(args: TfLayerArgs & { rate: number; seed: number }) {
      super(args);
      this.rate = args.rate;
      this.seed = args.seed;
      this.supportsMasking = true;
      this.draws = new TrainingDraws(this.name, args.seed);
    }
    /** See `reseedRandomLayers` (augment.ts). */
    reseedForEpoch(epoch: number, run: number): void {
      this.draws.restart(run, epoch);
    }
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape | TfShape[] {
      return inputShape;
    }
    override call(inputs: TfTensor | TfTensor[], kwargs: TfKwargs): TfTensor {
      const x = oneTensor(inputs);
      if (kwargs['training'] !== true || !(this.rate > 0 && this.rate < 1)) return x;
      return tf.tidy(() => tf.dropout(x, this.rate, undefined, this.draws.next()));
    }
    override getConfig(): TfConfigDict {
      return { ...super.getConfig(), rate: this.rate, seed: this.seed };
    }
  }
  tf.serialization.registerClass(NnDropout);
  return NnDropout;
});

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
