/**
 * Data augmentation, active in training only (Keras preprocessing-layer
 * semantics): `random_flip`, `random_rotation`, `random_crop`,
 * `gaussian_noise`.
 *
 * All four are custom layers. The random choices of flip, rotation and crop
 * come from a PRNG seeded by the build seed, so a run is reproducible, and
 * advance at every training call, so each batch differs; `gaussian_noise`
 * draws its noise on the backend with a seed from its stream (draws.ts),
 * one per training call. The trainers restart them all at the start of
 * every epoch (`reseedRandomLayers`, which restarts dropout too), so epoch n
 * draws the same whether the run started at epoch 1 or resumed from a
 * checkpoint: resume stays exact.
 */
import { Sym } from '../analysis/sym';
import {
  argInt,
  argNum,
  argStr,
  expectRank,
  fmt,
  mulberry32,
  oneShape,
  oneTensor,
  perTf,
  type TfConfigDict,
  type TfKwargs,
  type TfLayerArgs,
  type TfShape,
  type TfTensor,
} from './common';
import { hashName, mixSeeds, seededLayerClass } from './draws';
import type { LayerContext, LayerSpec } from './types';

/**
 * The stream of a layer seeded `seed` in epoch `epoch` (0-based): epoch 0's
 * is the build seed's own (what a first epoch always drew), later ones a
 * mix of both, never of the epochs before.
 */
function epochSeed(seed: number, epoch: number): number {
  return epoch === 0 ? seed : (seed ^ Math.imul(epoch, 0x9e3779b1)) >>> 0;
}

/**
 * Restarts the random stream of every layer of `model` that draws in
 * training (nested models included) for `epoch` (0-based, as the trainers
 * count) of the run seeded `seed`: the augmentation layers, `dropout` and
 * `gaussian_noise`. Each trainer calls it at the start of each epoch, so a
 * run resumed after epoch n flips, rotates, crops, drops and adds noise in
 * epoch n + 1 exactly as an uninterrupted run does. Dropout's and the
 * noise's draws depend on the run's seed and the model's name too (a GAN's
 * two models draw apart); flip, rotation and crop on their build seed and
 * the epoch only. Layers without a seeded stream are left alone.
 */
export function reseedRandomLayers(model: { readonly name?: string; layers: readonly unknown[] }, epoch: number, seed: number): void {
  reseedLayers(model.layers, epoch, mixSeeds(seed, hashName(model.name ?? '')));
}

function reseedLayers(layers: readonly unknown[], epoch: number, run: number): void {
  for (const layer of layers) {
    const l = layer as { reseedForEpoch?: (epoch: number, run: number) => void; layers?: readonly unknown[] };
    if (typeof l.reseedForEpoch === 'function') l.reseedForEpoch(epoch, run);
    if (Array.isArray(l.layers)) reseedLayers(l.layers, epoch, run);
  }
}

const IMAGE = '[h, w, channels]';

function isTraining(kwargs: TfKwargs): boolean {
  return kwargs['training'] === true;
}

function imageAugmentation(
  name: string,
  summary: string,
  doc: string[],
  rest: Pick<LayerSpec, 'args' | 'tfjs'> & Partial<Pick<LayerSpec, 'outputShape'>>,
): LayerSpec {
  return {
    name,
    category: 'augmentation',
    summary,
    doc: doc.join('\n'),
    inputRank: [3],
    trainingOnly: true,
    outputShape:
      rest.outputShape ??
      ((ctx: LayerContext) => {
        expectRank(ctx, name, [3], IMAGE);
        return { dims: ctx.inputs[0].dims };
      }),
    weights: () => [],
    macs: () => Sym.ZERO,
    args: rest.args,
    tfjs: rest.tfjs,
  };
}

// ------------------------------------------------------------------ random_flip

type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';

const randomFlipClass = perTf((tf) => {
  class NnRandomFlip extends tf.layers.Layer {
    static className = 'NnRandomFlip';
    readonly mode: FlipMode;
    readonly seed: number;
    private random: () => number;
    constructor(args: TfLayerArgs & { mode: FlipMode; seed: number }) {
      super(args);
      this.mode = args.mode;
      this.seed = args.seed;
      this.random = mulberry32(args.seed);
    }
    /** See `reseedRandomLayers`. */
    reseedForEpoch(epoch: number): void {
      this.random = mulberry32(epochSeed(this.seed, epoch));
    }
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape | TfShape[] {
      return inputShape;
    }
    override call(inputs: TfTensor | TfTensor[], kwargs: TfKwargs): TfTensor {
      const x = oneTensor(inputs);
      if (!isTraining(kwargs)) return x;
      return tf.tidy(() => {
        const b = x.shape[0];
        let y = x;
        // Keras flips left-right, then up-down, each with probability 1/2 per image.
        const axes = this.mode === 'horizontal' ? [2] : this.mode === 'vertical' ? [1] : [2, 1];
        for (const axis of axes) {
          const flags = Array.from({ length: b }, () => (this.random() < 0.5 ? 1 : 0));
          const m = tf.tensor4d(flags, [b, 1, 1, 1]);
          y = tf.add(tf.mul(m, tf.reverse(y, axis)), tf.mul(tf.sub(1, m), y));
        }
        return y;
      });
    }
    override getConfig(): TfConfigDict {
      return { ...super.getConfig(), mode: this.mode, seed: this.seed };
    }
  }
  tf.serialization.registerClass(NnRandomFlip);
  return NnRandomFlip;
});

export const randomFlip = imageAugmentation(
  'random_flip',
  'Training only: flips each image left-right and/or up-down at random.',
  [
    '**random_flip(mode=horizontal_and_vertical)** — in training, flips each image left-right with',
    'probability ½ (`horizontal`), up-down with probability ½ (`vertical`), or both independently',
    '(the default, as in Keras). At inference it does nothing.',
    '',
    '- shape unchanged: `[h, w, c]` · parameters: 0 · MACs: 0',
    '- put it right after the input: the network then sees mirrored variants of the training images',
  ],
  {
    args: [
      {
        name: 'mode',
        type: 'enum',
        doc: '`horizontal` (left-right), `vertical` (up-down) or `horizontal_and_vertical`.',
        default: 'horizontal_and_vertical',
        enum: ['horizontal', 'vertical', 'horizontal_and_vertical'],
      },
    ],
    tfjs: (ctx) =>
      new (randomFlipClass(ctx.tf))({ name: ctx.name, mode: argStr(ctx.args, 'mode') as FlipMode, seed: ctx.seed }),
  },
);

// ------------------------------------------------------------------ random_rotation

/**
 * Keras's rotation as a projective transform (output pixel → input pixel)
 * about the image centre, for `tf.image.transform`.
 */
export function rotationTransform(angle: number, h: number, w: number): number[] {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const xOffset = (w - 1 - (c * (w - 1) - s * (h - 1))) / 2;
  const yOffset = (h - 1 - (s * (w - 1) + c * (h - 1))) / 2;
  return [c, -s, xOffset, s, c, yOffset, 0, 0];
}

const randomRotationClass = perTf((tf) => {
  class NnRandomRotation extends tf.layers.Layer {
    static className = 'NnRandomRotation';
    readonly factor: number;
    readonly seed: number;
    private random: () => number;
    constructor(args: TfLayerArgs & { factor: number; seed: number }) {
      super(args);
      this.factor = args.factor;
      this.seed = args.seed;
      this.random = mulberry32(args.seed);
    }
    /** See `reseedRandomLayers`. */
    reseedForEpoch(epoch: number): void {
      this.random = mulberry32(epochSeed(this.seed, epoch));
    }
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape | TfShape[] {
      return inputShape;
    }
    override call(inputs: TfTensor | TfTensor[], kwargs: TfKwargs): TfTensor {
      const x = oneTensor(inputs);
      if (!isTraining(kwargs) || this.factor === 0) return x;
      return tf.tidy(() => {
        const [b, h, w] = x.shape;
        const rows: number[] = [];
        for (let i = 0; i < b; i++) {
          const angle = (this.random() * 2 - 1) * this.factor * 2 * Math.PI;
          rows.push(...rotationTransform(angle, h, w));
        }
        return tf.image.transform(x as never, tf.tensor2d(rows, [b, 8]), 'bilinear', 'reflect');
      });
    }
    override getConfig(): TfConfigDict {
      return { ...super.getConfig(), factor: this.factor, seed: this.seed };
    }
  }
  tf.serialization.registerClass(NnRandomRotation);
  return NnRandomRotation;
});

export const randomRotation = imageAugmentation(
  'random_rotation',
  'Training only: rotates each image by a random angle of up to ±factor·360°.',
  [
    '**random_rotation(factor)** — in training, rotates each image about its centre by a random',
    'angle drawn uniformly from `[−factor, factor] × 360°` (`factor = 0.1` is up to ±36°), as Keras',
    'does: bilinear interpolation, and the corners are filled by reflecting the image. At inference',
    'it does nothing.',
    '',
    '- shape unchanged: `[h, w, c]` · parameters: 0 · MACs: 0',
    '- put it right after the input (it passes no gradient back)',
  ],
  {
    args: [
      {
        name: 'factor',
        type: 'number',
        doc: 'Largest rotation as a fraction of a full turn (0.1 = 36°).',
        min: 0,
        max: 1,
      },
    ],
    tfjs: (ctx) => new (randomRotationClass(ctx.tf))({ name: ctx.name, factor: argNum(ctx.args, 'factor'), seed: ctx.seed }),
  },
);

// ------------------------------------------------------------------ random_crop

const randomCropClass = perTf((tf) => {
  class NnRandomCrop extends tf.layers.Layer {
    static className = 'NnRandomCrop';
    readonly height: number;
    readonly width: number;
    readonly seed: number;
    private random: () => number;
    constructor(args: TfLayerArgs & { height: number; width: number; seed: number }) {
      super(args);
      this.height = args.height;
      this.width = args.width;
      this.seed = args.seed;
      this.random = mulberry32(args.seed);
    }
    /** See `reseedRandomLayers`. */
    reseedForEpoch(epoch: number): void {
      this.random = mulberry32(epochSeed(this.seed, epoch));
    }
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape {
      const s = oneShape(inputShape);
      return [s[0], this.height, this.width, s[3]];
    }
    override call(inputs: TfTensor | TfTensor[], kwargs: TfKwargs): TfTensor {
      const x = oneTensor(inputs);
      const [b, H, W, c] = x.shape;
      const { height: h, width: w } = this;
      return tf.tidy(() => {
        if (isTraining(kwargs) && H >= h && W >= w) {
          const crops = Array.from({ length: b }, (_, i) => {
            const top = Math.floor(this.random() * (H - h + 1));
            const left = Math.floor(this.random() * (W - w + 1));
            return tf.slice(x, [i, top, left, 0], [1, h, w, c]);
          });
          return tf.concat(crops, 0);
        }
        // Keras at inference: the largest centred window of the target's aspect ratio, resized.
        const ch = Math.max(1, Math.min(H, Math.floor((W * h) / w)));
        const cw = Math.max(1, Math.min(W, Math.floor((H * w) / h)));
        const top = Math.floor((H - ch) / 2);
        const left = Math.floor((W - cw) / 2);
        const window = tf.slice(x, [0, top, left, 0], [b, ch, cw, c]);
        if (ch === h && cw === w) return window;
        return tf.image.resizeBilinear(window as never, [h, w], false, true);
      });
    }
    override getConfig(): TfConfigDict {
      return { ...super.getConfig(), height: this.height, width: this.width, seed: this.seed };
    }
  }
  tf.serialization.registerClass(NnRandomCrop);
  return NnRandomCrop;
});

export const randomCrop = imageAugmentation(
  'random_crop',
  'Training only: cuts a random h × w window out of each image (inference: centred window, resized).',
  [
    '**random_crop(h, w)** — in training, cuts an `h × w` window at a random place out of each image.',
    'At inference, as in Keras, it takes the largest centred window with the same aspect ratio as',
    '`h × w` and resizes it (bilinear) to `h × w`, so the output shape is the same in both cases.',
    '',
    '- input: `[H, W, c]` · output: `[h, w, c]` (needs `h ≤ H`, `w ≤ W`)',
    '- parameters: 0 · MACs: 0',
    '',
    'Example: `random_crop(28, 28)` on `[32, 32, 3]` → `[28, 28, 3]`.',
  ],
  {
    args: [
      { name: 'h', type: 'int', doc: 'Height of the crop.', min: 1 },
      { name: 'w', type: 'int', doc: 'Width of the crop.', min: 1 },
    ],
    outputShape(ctx) {
      expectRank(ctx, 'random_crop', [3], IMAGE);
      const input = ctx.inputs[0];
      const [H, W, c] = input.dims;
      const h = argInt(ctx.args, 'h');
      const w = argInt(ctx.args, 'w');
      for (const [arg, v] of [['h', h], ['w', w]] as const) {
        if (v < 1) ctx.fail('arg.range', `random_crop: ${arg} must be at least 1, got ${v}`, arg);
      }
      if (H.certainlyBelow(h) || W.certainlyBelow(w)) {
        ctx.fail(
          'arg.range',
          `random_crop(${h}, ${w}) is larger than the input ${fmt(input)}; crop at most ${H.toString()} × ${W.toString()}, or upsample first`,
          H.certainlyBelow(h) ? 'h' : 'w',
        );
      }
      return { dims: [Sym.of(h), Sym.of(w), c] };
    },
    tfjs: (ctx) =>
      new (randomCropClass(ctx.tf))({
        name: ctx.name,
        height: argInt(ctx.args, 'h'),
        width: argInt(ctx.args, 'w'),
        seed: ctx.seed,
      }),
  },
);

// ------------------------------------------------------------------ gaussian_noise

/** Keras's GaussianNoise: adds N(0, stddev²) noise in training, identity at inference. */
const gaussianNoiseClass = perTf((tf) =>
  seededLayerClass(tf, 'NnGaussianNoise', 'stddev', () => true, (x, stddev, seed) => tf.add(x, tf.randomNormal(x.shape, 0, stddev, 'float32', seed))),
);

export const gaussianNoise: LayerSpec = {
  name: 'gaussian_noise',
  category: 'augmentation',
  summary: 'Training only: adds random noise drawn from N(0, stddev²) to every value.',
  doc: [
    '**gaussian_noise(stddev)** — in training, adds independent noise from a normal distribution',
    'with mean 0 and standard deviation `stddev` to every value. At inference it does nothing.',
    'A simple way to make a model robust to small input changes.',
    '',
    '- shape unchanged · parameters: 0 · MACs: 0',
  ].join('\n'),
  args: [{ name: 'stddev', type: 'number', doc: 'Standard deviation of the noise.', min: 0 }],
  inputRank: { min: 0 },
  trainingOnly: true,
  outputShape(ctx) {
    const s = argNum(ctx.args, 'stddev');
    if (!(s >= 0)) ctx.fail('arg.range', `gaussian_noise: stddev must be at least 0, got ${s}`, 'stddev');
    return { dims: ctx.inputs[0].dims };
  },
  weights: () => [],
  macs: () => Sym.ZERO,
  tfjs(ctx) {
    return new (gaussianNoiseClass(ctx.tf))({ name: ctx.name, stddev: argNum(ctx.args, 'stddev'), seed: ctx.seed });
  },
};

export const augmentLayers: LayerSpec[] = [randomFlip, randomRotation, randomCrop, gaussianNoise];
