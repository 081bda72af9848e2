/**
 * Data augmentation, active in training only (Keras preprocessing-layer
 * semantics): `random_flip`, `random_rotation`, `random_crop`,
 * `random_translation`, `random_zoom`, `cutout`, `random_brightness`,
 * `random_contrast`, `gaussian_noise`.
 *
 * All are custom layers. The random choices of flip, rotation, crop,
 * translation, zoom, cutout, brightness and contrast come from a PRNG
 * seeded by the build seed,
 * so a run is reproducible, and advance at every training call, so each
 * batch differs; `gaussian_noise`
 * draws its noise on the backend with a seed from its stream (draws.ts),
 * one per training call. The trainers restart them all at the start of
 * every epoch (`reseedRandomLayers`, which restarts dropout too), so epoch n
 * draws the same whether the run started at epoch 1 or resumed from a
 * checkpoint: resume stays exact.
 */
import { Sym } from '../analysis/sym';
import {
  argInt,
  argIntList,
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
import { imageTransform } from './imageTransform';
import { LayerError, type LayerContext, type LayerSpec, type Tf } from './types';

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
 * two models draw apart); flip, rotation, crop, translation, zoom,
 * cutout, brightness and contrast on their build seed and the epoch only. Layers without a seeded stream are left alone.
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

/**
 * What the augmentation layers here share: a stream of draws from `seed`,
 * restarted per epoch (`reseedRandomLayers`), and the input's shape kept
 * (`random_crop` overrides it). Made once per `tf` module.
 */
const augmentationBase = perTf((tf) => {
  class Augmentation extends tf.layers.Layer {
    readonly seed: number;
    protected random: () => number;
    constructor(args: TfLayerArgs & { seed: number }) {
      super(args);
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
  }
  return Augmentation;
});

// ------------------------------------------------------------------ random_flip

type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';

const randomFlipClass = perTf((tf) => {
  class NnRandomFlip extends augmentationBase(tf) {
    static className = 'NnRandomFlip';
    readonly mode: FlipMode;
    constructor(args: TfLayerArgs & { mode: FlipMode; seed: number }) {
      super(args);
      this.mode = args.mode;
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
  class NnRandomRotation extends augmentationBase(tf) {
    static className = 'NnRandomRotation';
    readonly factor: number;
    constructor(args: TfLayerArgs & { factor: number; seed: number }) {
      super(args);
      this.factor = args.factor;
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
        return imageTransform(tf, x, rows, 'reflect');
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
    '- usually right after the input; the gradient passes back through it (bilinear in the pixels), so a layer before it trains too',
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
  class NnRandomCrop extends augmentationBase(tf) {
    static className = 'NnRandomCrop';
    readonly height: number;
    readonly width: number;
    constructor(args: TfLayerArgs & { height: number; width: number; seed: number }) {
      super(args);
      this.height = args.height;
      this.width = args.width;
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

// ------------------------------------------------------------------ random_translation, random_zoom

/** How `random_translation` and `random_zoom` fill the pixels that come from outside the image. */
type FillMode = 'reflect' | 'constant' | 'nearest';

const FILL_MODE_ARG = {
  name: 'fill_mode',
  type: 'enum',
  doc: 'What fills the pixels from outside the image: `reflect` (mirror the image, Keras\'s default), `constant` (zeros) or `nearest` (repeat the edge).',
  default: 'reflect',
  enum: ['reflect', 'constant', 'nearest'],
} as const;

/**
 * Keras's translation as a projective transform (output pixel → input
 * pixel) for `tf.image.transform`: the content moves `dx` pixels right and
 * `dy` pixels down.
 */
export function translationTransform(dx: number, dy: number): number[] {
  return [1, 0, -dx, 0, 1, -dy, 0, 0];
}

/**
 * Keras's zoom as a projective transform about the image centre: output
 * pixel x reads input `c + zx·(x − c)`, so `zx > 1` shows more of the image
 * (zooms out) and `zx < 1` less (zooms in).
 */
export function zoomTransform(zx: number, zy: number, h: number, w: number): number[] {
  return [zx, 0, ((w - 1) / 2) * (1 - zx), 0, zy, ((h - 1) / 2) * (1 - zy), 0, 0];
}

interface AffineArgs {
  heightFactor: number;
  /** `null` (random_zoom only): the width takes the height's zoom. */
  widthFactor: number | null;
  fillMode: FillMode;
  seed: number;
}

/**
 * A training-only layer that moves each image by a random projective
 * transform (`transform(layer, random, h, w)`, drawn per image from the
 * layer's seeded stream), bilinear, filled by `fillMode`.
 */
function affineAugmentationClass(className: string, transform: (a: AffineArgs, random: () => number, h: number, w: number) => number[]) {
  return perTf((tf) => {
    class NnAffineAugmentation extends augmentationBase(tf) {
      static className = className;
      readonly heightFactor: number;
      readonly widthFactor: number | null;
      readonly fillMode: FillMode;
      constructor(args: TfLayerArgs & AffineArgs) {
        super(args);
        this.heightFactor = args.heightFactor;
        this.widthFactor = args.widthFactor ?? null;
        this.fillMode = args.fillMode;
      }
      override call(inputs: TfTensor | TfTensor[], kwargs: TfKwargs): TfTensor {
        const x = oneTensor(inputs);
        if (!isTraining(kwargs) || (this.heightFactor === 0 && (this.widthFactor ?? 0) === 0)) return x;
        return tf.tidy(() => {
          const [b, h, w] = x.shape;
          const rows: number[] = [];
          for (let i = 0; i < b; i++) rows.push(...transform(this, this.random, h, w));
          return imageTransform(tf, x, rows, this.fillMode);
        });
      }
      override getConfig(): TfConfigDict {
        return { ...super.getConfig(), heightFactor: this.heightFactor, widthFactor: this.widthFactor, fillMode: this.fillMode, seed: this.seed };
      }
    }
    tf.serialization.registerClass(NnAffineAugmentation);
    return NnAffineAugmentation;
  });
}

/** A number uniform in [−f, f]. */
const symmetric = (random: () => number, f: number): number => (random() * 2 - 1) * f;

const randomTranslationClass = affineAugmentationClass('NnRandomTranslation', (a, random, h, w) => {
  const dy = symmetric(random, a.heightFactor) * h;
  const dx = symmetric(random, a.widthFactor ?? a.heightFactor) * w;
  return translationTransform(dx, dy);
});

const randomZoomClass = affineAugmentationClass('NnRandomZoom', (a, random, h, w) => {
  const zy = 1 + symmetric(random, a.heightFactor);
  const zx = a.widthFactor === null ? zy : 1 + symmetric(random, a.widthFactor);
  return zoomTransform(zx, zy, h, w);
});

export const randomTranslation = imageAugmentation(
  'random_translation',
  'Training only: shifts each image by a random amount of up to ±height_factor·h down and ±width_factor·w across.',
  [
    '**random_translation(height_factor, width_factor = height_factor, fill_mode = reflect)** — in',
    'training, shifts each image by a random number of pixels drawn uniformly from',
    '`[−height_factor, height_factor] × h` vertically and `[−width_factor, width_factor] × w`',
    'horizontally (`0.1` on a 32-pixel image: up to ±3.2 pixels), as Keras\'s `RandomTranslation`:',
    'bilinear interpolation, and the uncovered border is filled by reflecting the image (`fill_mode`).',
    'At inference it does nothing.',
    '',
    '- shape unchanged: `[h, w, c]` · parameters: 0 · MACs: 0',
    '- usually right after the input; the gradient passes back through it (bilinear in the pixels), so a layer before it trains too',
  ],
  {
    args: [
      { name: 'height_factor', type: 'number', doc: 'Largest vertical shift as a fraction of the height (0.1 = 10 %).', min: 0, max: 1 },
      {
        name: 'width_factor',
        type: 'number',
        doc: 'Largest horizontal shift as a fraction of the width; defaults to `height_factor`.',
        min: 0,
        max: 1,
        default: (args) => args['height_factor'],
        defaultText: 'height_factor',
      },
      FILL_MODE_ARG,
    ],
    tfjs: (ctx) =>
      new (randomTranslationClass(ctx.tf))({
        name: ctx.name,
        heightFactor: argNum(ctx.args, 'height_factor'),
        widthFactor: argNum(ctx.args, 'width_factor'),
        fillMode: argStr(ctx.args, 'fill_mode') as FillMode,
        seed: ctx.seed,
      }),
  },
);

export const randomZoom = imageAugmentation(
  'random_zoom',
  'Training only: zooms each image in or out about its centre by a random factor of up to ±height_factor.',
  [
    '**random_zoom(height_factor, width_factor, fill_mode = reflect)** — in training, zooms each image',
    'about its centre, as Keras\'s `RandomZoom`: the height is scaled to show `1 + z` of it, with `z`',
    'drawn uniformly from `[−height_factor, height_factor]` (positive `z` zooms out, negative zooms',
    'in; `0.2` shows between 80 % and 120 % of the image). Without `width_factor` the width takes the',
    'same zoom (the aspect ratio is kept); with it, the width draws its own from',
    '`[−width_factor, width_factor]`. Bilinear interpolation; when zooming out, the border is',
    'filled by reflecting the image (`fill_mode`). At inference it does nothing.',
    '',
    '- shape unchanged: `[h, w, c]` · parameters: 0 · MACs: 0',
    '- usually right after the input; the gradient passes back through it (bilinear in the pixels), so a layer before it trains too',
  ],
  {
    args: [
      { name: 'height_factor', type: 'number', doc: 'Largest zoom as a fraction of the size (0.2 = 80 % to 120 %).', min: 0, max: 1 },
      {
        name: 'width_factor',
        type: 'number',
        doc: 'Largest horizontal zoom, drawn apart from the height\'s; when not given, the width zooms with the height.',
        min: 0,
        max: 1,
        optional: true,
      },
      FILL_MODE_ARG,
    ],
    tfjs: (ctx) =>
      new (randomZoomClass(ctx.tf))({
        name: ctx.name,
        heightFactor: argNum(ctx.args, 'height_factor'),
        widthFactor: ctx.args['width_factor'] == null ? null : argNum(ctx.args, 'width_factor'),
        fillMode: argStr(ctx.args, 'fill_mode') as FillMode,
        seed: ctx.seed,
      }),
  },
);

// ------------------------------------------------------------------ cutout

const cutoutClass = perTf((tf) => {
  class NnCutout extends augmentationBase(tf) {
    static className = 'NnCutout';
    readonly height: number;
    readonly width: number;
    constructor(args: TfLayerArgs & { height: number; width: number; seed: number }) {
      super(args);
      this.height = args.height;
      this.width = args.width;
    }
    override call(inputs: TfTensor | TfTensor[], kwargs: TfKwargs): TfTensor {
      const x = oneTensor(inputs);
      if (!isTraining(kwargs)) return x;
      const [b, H, W] = x.shape;
      const h = Math.min(this.height, H);
      const w = Math.min(this.width, W);
      // One 0/1 mask per image, the same for every channel: the hole lies wholly inside the image.
      const mask = new Float32Array(b * H * W).fill(1);
      for (let i = 0; i < b; i++) {
        const top = Math.floor(this.random() * (H - h + 1));
        const left = Math.floor(this.random() * (W - w + 1));
        for (let r = top; r < top + h; r++) mask.fill(0, (i * H + r) * W + left, (i * H + r) * W + left + w);
      }
      return tf.tidy(() => tf.mul(x, tf.tensor4d(mask, [b, H, W, 1])));
    }
    override getConfig(): TfConfigDict {
      return { ...super.getConfig(), height: this.height, width: this.width, seed: this.seed };
    }
  }
  tf.serialization.registerClass(NnCutout);
  return NnCutout;
});

export const cutout = imageAugmentation(
  'cutout',
  'Training only: sets a random h × w rectangle of each image to zero.',
  [
    '**cutout(h, w = h)** — in training, sets an `h × w` rectangle at a random place of each image',
    'to zero, in every channel (DeVries & Taylor\'s Cutout), so the network must use more of the',
    'image than one telling patch. The rectangle always lies wholly inside the image, so exactly',
    '`h·w` pixels of each image are zeroed (the paper also lets it hang over the edge). At',
    'inference it does nothing.',
    '',
    '- shape unchanged: `[h, w, c]` · parameters: 0 · MACs: 0 (needs `h ≤ H`, `w ≤ W`)',
    '',
    'Example: `cutout(8)` on `[32, 32, 3]` blanks an 8 × 8 square of every training image.',
  ],
  {
    args: [
      { name: 'h', type: 'int', doc: 'Height of the zeroed rectangle, in pixels.', min: 1 },
      { name: 'w', type: 'int', doc: 'Width of the zeroed rectangle, in pixels; defaults to `h` (a square).', min: 1, default: (args) => args['h'], defaultText: 'h' },
    ],
    outputShape(ctx) {
      expectRank(ctx, 'cutout', [3], IMAGE);
      const input = ctx.inputs[0];
      const [H, W] = input.dims;
      const h = argInt(ctx.args, 'h');
      const w = argInt(ctx.args, 'w');
      for (const [arg, v] of [['h', h], ['w', w]] as const) {
        if (v < 1) ctx.fail('arg.range', `cutout: ${arg} must be at least 1, got ${v}`, arg);
      }
      if (H.certainlyBelow(h) || W.certainlyBelow(w)) {
        ctx.fail(
          'arg.range',
          `cutout(${h}, ${w}) is larger than the input ${fmt(input)}; cut out at most ${H.toString()} × ${W.toString()}`,
          H.certainlyBelow(h) ? 'h' : 'w',
        );
      }
      return { dims: input.dims };
    },
    tfjs: (ctx) =>
      new (cutoutClass(ctx.tf))({
        name: ctx.name,
        height: argInt(ctx.args, 'h'),
        width: argInt(ctx.args, 'w'),
        seed: ctx.seed,
      }),
  },
);

// ------------------------------------------------------------------ random_brightness, random_contrast

/** The range of the image values `random_brightness` adds to and clips to: its `value_range` argument, `[low, high]`. */
function valueRange(args: LayerContext['args'], name: string): [number, number] {
  const v = argIntList(args, 'value_range');
  if (v.length !== 2 || !(v[0] < v[1])) {
    throw new LayerError('arg.range', `${name}: value_range takes two numbers [low, high] with low < high, e.g. [0, 1] or [0, 255]; got [${v.join(', ')}]`, 'value_range');
  }
  return [v[0], v[1]];
}

/**
 * Keras's `RandomContrast` clips its output to `[0, 255]` (its `value_range`,
 * whose default that is; the layer here has no such argument).
 */
export const CONTRAST_CLIP: readonly [number, number] = [0, 255];

interface ColourArgs {
  /** The range each image's draw is uniform in: brightness's delta (a fraction of the value range), contrast's factor. */
  lower: number;
  upper: number;
  /** What the output is clipped to. */
  clip: [number, number];
  seed: number;
}

/**
 * A training-only layer that draws one number per image, uniform in
 * `[lower, upper]`, from the layer's seeded stream, applies `adjust` with it
 * (`draws` is `[b, 1, 1, 1]`) and clips the result to `clip`.
 */
function colourAugmentationClass(className: string, adjust: (tf: Tf, x: TfTensor, draws: TfTensor, layer: ColourArgs) => TfTensor) {
  return perTf((tf) => {
    class NnColourAugmentation extends augmentationBase(tf) {
      static className = className;
      readonly lower: number;
      readonly upper: number;
      readonly clip: [number, number];
      constructor(args: TfLayerArgs & ColourArgs) {
        super(args);
        this.lower = args.lower;
        this.upper = args.upper;
        this.clip = args.clip;
      }
      override call(inputs: TfTensor | TfTensor[], kwargs: TfKwargs): TfTensor {
        const x = oneTensor(inputs);
        if (!isTraining(kwargs)) return x;
        const b = x.shape[0];
        const draws = Array.from({ length: b }, () => this.lower + this.random() * (this.upper - this.lower));
        return tf.tidy(() => tf.clipByValue(adjust(tf, x, tf.tensor4d(draws, [b, 1, 1, 1]), this), this.clip[0], this.clip[1]));
      }
      override getConfig(): TfConfigDict {
        return { ...super.getConfig(), lower: this.lower, upper: this.upper, clip: this.clip, seed: this.seed };
      }
    }
    tf.serialization.registerClass(NnColourAugmentation);
    return NnColourAugmentation;
  });
}

/** Keras's RandomBrightness: adds `delta · (high − low)` to every value of the image, then clips to `[low, high]`. */
const randomBrightnessClass = colourAugmentationClass('NnRandomBrightness', (tf, x, delta, layer) =>
  tf.add(x, tf.mul(delta, layer.clip[1] - layer.clip[0])),
);

/** Keras's RandomContrast: `(x − mean) · factor + mean`, the mean per image and channel over the pixels. */
const randomContrastClass = colourAugmentationClass('NnRandomContrast', (tf, x, factor) => {
  const mean = tf.mean(x, [1, 2], true);
  return tf.add(tf.mul(tf.sub(x, mean), factor), mean);
});

export const randomBrightness = imageAugmentation(
  'random_brightness',
  'Training only: brightens or darkens each image by a random amount of up to ±factor of the value range.',
  [
    '**random_brightness(factor, value_range = [0, 1])** — in training, adds one random number to every',
    'value of each image (all pixels, all channels), as Keras\'s `RandomBrightness`: a fraction `d`',
    'drawn uniformly from `[−factor, factor]`, times the width of `value_range`, then clips the result',
    'to `value_range` (`0.2` on images in `[0, 1]`: up to ±0.2; `d = −1` would make the image black,',
    '`d = 1` white). At inference it does nothing.',
    '',
    '- shape unchanged: `[h, w, c]` · parameters: 0 · MACs: 0',
    '- `value_range` is the range of the image values: `[0, 1]` for images scaled to it, `[0, 255]` for raw pixels (whole numbers)',
    '- Example: `random_brightness(0.2)` right after an input `[32, 32, 3]` in `[0, 1]`.',
  ],
  {
    args: [
      { name: 'factor', type: 'number', doc: 'Largest change as a fraction of the value range (0.2 = up to ±20 %).', min: 0, max: 1 },
      {
        name: 'value_range',
        type: 'ints',
        doc: 'The range of the image values, `[low, high]`: the change is scaled to it and the output clipped to it.',
        length: 2,
        default: () => [0, 1],
        defaultText: '[0, 1]',
      },
    ],
    outputShape(ctx) {
      expectRank(ctx, 'random_brightness', [3], IMAGE);
      valueRange(ctx.args, 'random_brightness');
      return { dims: ctx.inputs[0].dims };
    },
    tfjs(ctx) {
      const f = argNum(ctx.args, 'factor');
      return new (randomBrightnessClass(ctx.tf))({ name: ctx.name, lower: -f, upper: f, clip: valueRange(ctx.args, 'random_brightness'), seed: ctx.seed });
    },
  },
);

export const randomContrast = imageAugmentation(
  'random_contrast',
  'Training only: scales each image\'s contrast by a random factor in [1 − factor, 1 + factor].',
  [
    '**random_contrast(factor)** — in training, scales the contrast of each image, as Keras\'s',
    '`RandomContrast`: one factor `k` drawn uniformly from `[1 − factor, 1 + factor]` per image, and',
    'each value becomes `(x − mean) · k + mean`, with `mean` the mean of its channel over the image',
    '(so every channel keeps its mean; `k < 1` flattens the image towards it, `k > 1` spreads it).',
    'As Keras does, the result is clipped to `[0, 255]`: on images in `[0, 1]` that only cuts values',
    'below 0. At inference it does nothing.',
    '',
    '- shape unchanged: `[h, w, c]` · parameters: 0 · MACs: 0',
    '- Example: `random_contrast(0.3)` scales each training image\'s contrast by 0.7 to 1.3.',
  ],
  {
    args: [{ name: 'factor', type: 'number', doc: 'Largest change of the contrast (0.3 = a factor between 0.7 and 1.3).', min: 0, max: 1 }],
    tfjs(ctx) {
      const f = argNum(ctx.args, 'factor');
      return new (randomContrastClass(ctx.tf))({ name: ctx.name, lower: 1 - f, upper: 1 + f, clip: [CONTRAST_CLIP[0], CONTRAST_CLIP[1]], seed: ctx.seed });
    },
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

export const augmentLayers: LayerSpec[] = [
  randomFlip,
  randomRotation,
  randomCrop,
  randomTranslation,
  randomZoom,
  cutout,
  randomBrightness,
  randomContrast,
  gaussianNoise,
];
