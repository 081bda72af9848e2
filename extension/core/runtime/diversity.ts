/**
 * How varied a GAN's generated images are, after each epoch: the figure a
 * student reads to see mode collapse (the generator settling on a few
 * outputs whatever its noise) happen, instead of judging it by eye.
 *
 * The measure, `diversity`: for each image of a fixed set of generated
 * images, the distance to the nearest other image of the set; their mean,
 * divided by the same mean over as many real training images. Distances
 * are Euclidean between pixels in [0, 1], divided by √(number of values)
 * (a root-mean-square pixel difference: two images that differ by 0.2 at
 * every pixel are 0.2 apart). So:
 *
 *   - about 1: each generated image is as far from its closest sibling as
 *     a real image is from its closest one;
 *   - 0: every generated image has an exact twin (one output whatever the
 *     noise, or a handful repeated);
 *   - well below 1 (under `COLLAPSE_BELOW`): near-copies, few distinct
 *     outputs. Above 1 happens at the start, when the images are noise.
 *
 * Where it comes from. Reading the distances between a generator's samples
 * against the same figure on the training data is how GAN papers and their
 * code detect collapse: AC-GAN (Odena, Olah & Shlens, ICML 2017, §4.2)
 * compares the mean MS-SSIM of pairs of samples with the training data's;
 * StarGAN v2 (Choi et al., CVPR 2020, metrics/lpips.py of its code)
 * reports the mean pairwise LPIPS distance among outputs; minibatch
 * discrimination (Salimans et al., NeurIPS 2016) hands the discriminator
 * the distances between the samples of a batch. The nearest one, rather
 * than the mean over all pairs, is the birthday-paradox test's view
 * (Arora, Risteski & Zhang, ICLR 2018): a generator with few outputs shows
 * near-duplicates among a small batch of samples. The mean over all pairs
 * barely sees partial collapse: on `digits`, 64 images that are 4 real
 * digits repeated score 0.75 of the real images' mean pairwise distance
 * (2 digits: 0.54), while their nearest-neighbour figure is 0. Those
 * papers use a perceptual distance (MS-SSIM, LPIPS's pretrained network); nothing
 * pretrained ships here, and a plain pixel distance keeps the figure cheap
 * (64 images: 2 016 pairs) and explainable. Its limit: a generator that
 * makes varied images of only some classes (only 1s and 7s) is not seen
 * as collapsing; it is the "repetitive or limited samples" of the course
 * notes that it catches.
 *
 * The sets are fixed: the generated images come from the same seeded noise
 * every epoch (the first of them are the sample strip's), the real ones
 * are a seeded choice of the training images, so an epoch's change in the
 * figure is the generator's, not a new draw's.
 */
import { createRng } from './data/random';

/** How many generated and real images the figure compares (2 016 pairs). */
export const DIVERSITY_SAMPLES = 64;

/**
 * Below this the hint says the generator may be collapsing. Measured on
 * examples/gan_digits.nnmodel: its run scores 0.66–0.70 over its first
 * epochs (0.51 at initialisation); with lr = 2e-2 it collapses onto one
 * image in epoch 1 and scores 0.13. Duplicates score 0; a set in which
 * half the images have a twin, about half the healthy figure.
 */
export const COLLAPSE_BELOW = 0.4;

/**
 * For each of the `count` images of `size` values in `pixels` (image after
 * image), the distance to the nearest other one (Euclidean, divided by
 * √size); their mean. 0 for fewer than two images; NaN when a value is
 * not a number (such an image has no nearest one: it is not "infinitely
 * far", which would read as more varied than the real images).
 */
export function meanNearestDistance(pixels: ArrayLike<number>, count: number, size: number): number {
  if (count < 2 || size < 1) return 0;
  const nearest = new Float64Array(count).fill(Infinity);
  for (let i = 0; i < count; i++) {
    for (let j = i + 1; j < count; j++) {
      let d = 0;
      for (let k = 0; k < size; k++) {
        const t = pixels[i * size + k] - pixels[j * size + k];
        d += t * t;
      }
      const r = Math.sqrt(d / size);
      if (Number.isNaN(r)) return NaN;
      if (r < nearest[i]) nearest[i] = r;
      if (r < nearest[j]) nearest[j] = r;
    }
  }
  return nearest.reduce((a, b) => a + b, 0) / count;
}

/**
 * The real images' figure, the denominator: the mean nearest-neighbour
 * distance (`meanNearestDistance`) among a seeded choice of `samples`
 * training images (all of them when there are fewer; pixels in [0, 1]),
 * and how many that is: the generated set must be as large (the more
 * images, the closer each one's nearest). Undefined when there is nothing
 * to compare with: fewer than two images, or every one with a twin (a
 * data set of one image repeated has no variety for a generator to lose).
 */
export function realSpread(
  data: { xs: ArrayLike<number>; count: number; exampleShape: readonly number[] },
  seed: number,
  samples = DIVERSITY_SAMPLES,
): { spread: number; count: number } | undefined {
  const size = data.exampleShape.reduce((p, d) => p * d, 1);
  const count = Math.min(samples, data.count);
  if (count < 2) return undefined;
  const chosen = createRng(seed ^ 0x3c6ef372).shuffle(Array.from({ length: data.count }, (_, i) => i)).slice(0, count);
  const pixels = new Float32Array(count * size);
  chosen.forEach((index, i) => {
    for (let v = 0; v < size; v++) pixels[i * size + v] = data.xs[index * size + v];
  });
  const spread = meanNearestDistance(pixels, count, size);
  return spread > 1e-6 ? { spread, count } : undefined;
}

/**
 * `diversity`: the mean nearest-neighbour distance among the generated
 * images (`pixels`, `count` images of `size` values in [0, 1]) over the
 * real images' (`realSpread`).
 */
export function diversity(pixels: ArrayLike<number>, count: number, size: number, real: number): number {
  return meanNearestDistance(pixels, count, size) / real;
}

/** Whether an epoch's `diversity` says the generator may be collapsing. */
export function collapsing(value: number | undefined): boolean {
  return value !== undefined && Number.isFinite(value) && value < COLLAPSE_BELOW;
}

/**
 * The plain-words hint for the last of `epochs` when its diversity is
 * below `COLLAPSE_BELOW`, else undefined: the Training tab shows it under
 * the charts while it holds; `nnmodel train` and the output channel say it
 * once, when it first shows.
 */
export function collapseHint(epochs: readonly { epoch: number; metrics: Record<string, number> }[]): string | undefined {
  const last = epochs[epochs.length - 1];
  const value = last?.metrics.diversity;
  if (!last || value === undefined || !collapsing(value)) return undefined;
  const how = value < 0.005 ? 'every generated image has an exact twin' : `the generated images are ${value.toFixed(2)}× as far from their closest neighbour as real images are`;
  return (
    `Diversity ${value.toFixed(2)} after epoch ${last.epoch} (1 = as varied as the real images): ${how}. ` +
    'The generator may be collapsing onto few outputs (mode collapse); look at the samples for repeats. ' +
    'A lower learning rate (optimizer: adam(lr = ...)) often helps.'
  );
}

/**
 * The hint said once per run, at the first epoch whose diversity is low
 * (`nnmodel train` on stderr, the output channel), as the overfitting
 * verdict is; the Training tab shows it as long as it holds instead.
 */
export class CollapseNotice {
  private said = false;

  /** The hint for `logs` when it is the run's first low epoch, else undefined. */
  next(logs: { epoch: number; metrics: Record<string, number> }): string | undefined {
    if (this.said) return undefined;
    const hint = collapseHint([logs]);
    this.said = hint !== undefined;
    return hint;
  }
}

/**
 * The figure under a strip of generated images: "Diversity 0.83 (real
 * images: 1)", and when it is low, that the generator may be collapsing.
 */
export function diversityText(value: number): string {
  return `Diversity ${value.toFixed(2)} (real images: 1)${collapsing(value) ? ': few distinct outputs, the generator may be collapsing' : ''}`;
}
