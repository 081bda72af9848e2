/**
 * GAN training (`loss: adversarial(Discriminator)`): the train section's
 * model is the generator G, played against a second model of the file, the
 * discriminator D (Goodfellow et al. 2014; DCGAN's recipe, Radford et al.
 * 2016). Per batch of real images x and noise z ~ N(0, 1):
 *
 *   1. D step, G fixed: binary cross-entropy with real → 1, generated → 0,
 *      L_D = BCE(D(x), 1) + BCE(D(G(z)), 0) (the sum of the two halves, as
 *      the DCGAN reference code; log 4 ≈ 1.386 when D says 0.5 everywhere);
 *   2. G step, D fixed: the non-saturating loss L_G = −log D(G(z)), i.e.
 *      BCE(D(G(z)), 1), on the same z.
 *
 * Each model has its own optimiser of the section's kind and settings.
 * D may end in sigmoid (a probability) or not (a logit); the losses take
 * either, stably. Real images (pixels in [0, 1]) are scaled to what G
 * makes: [-1, 1] when it ends in tanh, [0, 1] when it ends in sigmoid (and
 * [-1, 1] otherwise: the analysis warns). Every example trains (a GAN has
 * no validation loss; `validation` is not used).
 *
 * After each epoch, `adversarial.samples` images are generated from FIXED
 * noise (seeded once, so the strips of epoch 1 and epoch 5 start from the
 * same z, also after a resume) with G in inference mode, mapped back to
 * [0, 1] and handed to `onSamples`. Epoch logs: `loss` is G's, `metrics`
 * holds `d_loss`, `d_real` (mean D(x), as a probability), `d_fake`
 * (mean D(G(z))) and `diversity` (diversity.ts: how varied 64 images from
 * fixed noise are, 1 = as varied as the real images, near 0 = mode
 * collapse; the sample strip's images are the first of them).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { ModelInfo } from '../analysis/types';
import { generatorRange, type PixelRange } from '../analysis/trainAdversarial';
import type { Tf } from '../layers/types';
import type { BuiltModel } from './build';
import { encodeCheckpoint, resumeModel, type CheckpointMeta, type EncodedCheckpoint, type ResumeSource, type Resumed } from './checkpoint';
import { createRng } from './data/random';
import { diversity, realSpread } from './diversity';
import { reseedRandomLayers } from '../layers/augment';
import {
  TrainError,
  epochRng,
  makeOptimizer,
  outputKind,
  lossValue,
  yieldToEventLoop,
  type EpochLogs,
  type History,
  type OutputKind,
  type RunOptimizers,
  type SampleStrip,
  type TrainData,
  type TrainOptions,
} from './train';

type Tensor = tfTypes.Tensor;

export { generatorRange, type PixelRange };

/** A built model and its analysis. */
export interface GanPart {
  model: tfTypes.LayersModel;
  info: ModelInfo;
}

/** Pixels in [0, 1] to the generator's range (a tensor op; the caller tidies). */
export function toModelRange(tf: Tf, x: Tensor, range: PixelRange): Tensor {
  return range === 'sigmoid' ? x : tf.sub(tf.mul(x, 2), 1);
}

/** The generator's values back to [0, 1] pixels, clipped (a tensor op; the caller tidies). */
export function fromModelRange(tf: Tf, y: Tensor, range: PixelRange): Tensor {
  return tf.clipByValue(range === 'sigmoid' ? y : tf.div(tf.add(y, 1), 2), 0, 1);
}

/**
 * The discriminator's loss, real → 1 and generated → 0:
 * BCE(D(x), 1) + BCE(D(G(z)), 0), each a mean over the batch. `kind` says
 * whether D's outputs are probabilities or logits.
 */
export function discriminatorLoss(tf: Tf, kind: OutputKind, dReal: Tensor, dFake: Tensor): tfTypes.Scalar {
  return tf.tidy(() => {
    const real = lossValue(tf, 'binary_crossentropy', kind, tf.onesLike(dReal), dReal);
    const fake = lossValue(tf, 'binary_crossentropy', kind, tf.zerosLike(dFake), dFake);
    return tf.add(real, fake) as tfTypes.Scalar;
  });
}

/** The generator's non-saturating loss: mean −log D(G(z)), i.e. BCE(D(G(z)), 1). */
export function generatorLoss(tf: Tf, kind: OutputKind, dFake: Tensor): tfTypes.Scalar {
  return tf.tidy(() => lossValue(tf, 'binary_crossentropy', kind, tf.onesLike(dFake), dFake));
}

/** D's outputs as probabilities (a sigmoid of logits). */
function probabilities(tf: Tf, kind: OutputKind, d: Tensor): Tensor {
  return kind === 'logits' ? tf.sigmoid(d) : d;
}

/** The shape of one noise vector: the generator's only input, with every size fixed. */
export function noiseShape(generator: GanPart): number[] {
  const { model, info } = generator;
  if (model.inputs.length !== 1) {
    throw new TrainError(`the generator '${info.name}' takes ${model.inputs.length} inputs; a GAN's generator takes one, the noise (e.g. input z: [100]).`);
  }
  const shape = model.inputs[0].shape.slice(1);
  if (shape.some((d) => d === null)) {
    throw new TrainError(`the noise input of '${info.name}' has a size the data does not fix ([${shape.map((d) => d ?? '?').join(', ')}]); give it numbers, e.g. input z: [100].`);
  }
  if (model.inputs[0].dtype !== 'float32') throw new TrainError(`the noise input of '${info.name}' takes token ids; it must take numbers (noise ~ N(0, 1)).`);
  return shape as number[];
}

/**
 * Checks that the two models and the data make a GAN: float images of the
 * generator's output shape, which the discriminator takes, and one value
 * per example out of the discriminator. Throws a TrainError saying what
 * does not fit.
 */
export function checkGanFits(generator: GanPart, discriminator: GanPart, data: TrainData): void {
  noiseShape(generator);
  const g = generator.info.name;
  const d = discriminator.info.name;
  const fmt = (s: readonly (number | null)[]) => `[${s.map((x) => x ?? '?').join(', ')}]`;
  if (data.xDtype !== 'float32' || data.exampleShape.length !== 3 || data.moreInputs?.length) {
    throw new TrainError(`${data.source} gives ${data.xDtype === 'int32' ? 'token ids' : `examples of ${fmt(data.exampleShape)}`}; a GAN trains on images (digits, shapes or images(folder)).`);
  }
  const out = generator.model.outputs[0].shape.slice(1);
  const fits = (s: readonly (number | null)[]) => s.length === data.exampleShape.length && s.every((x, i) => x === null || x === data.exampleShape[i]);
  if (generator.model.outputs.length !== 1 || !fits(out)) {
    throw new TrainError(`${data.source} gives images of ${fmt(data.exampleShape)}, but the generator '${g}' makes ${fmt(out)}.`);
  }
  if (discriminator.model.inputs.length !== 1) throw new TrainError(`the discriminator '${d}' takes ${discriminator.model.inputs.length} inputs; it takes one, an image.`);
  const dIn = discriminator.model.inputs[0].shape.slice(1);
  if (!fits(dIn) || discriminator.model.inputs[0].dtype !== 'float32') {
    throw new TrainError(`the discriminator '${d}' takes ${fmt(dIn)}, but the images (real and generated) are ${fmt(data.exampleShape)}.`);
  }
  const dOut = discriminator.model.outputs[0].shape.slice(1);
  if (dOut.length !== 1 || dOut[0] !== 1) throw new TrainError(`the discriminator '${d}' gives ${fmt(dOut)} per image; it must give one value, [1] (end with dense(1), with or without sigmoid).`);
}

/** `count` seeded draws of N(0, 1) noise of `shape`, flat. */
export function gaussianNoise(count: number, shape: readonly number[], rng: { normal(): number }): Float32Array {
  const out = new Float32Array(count * shape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}

/** The fixed noise of the sample strips: the same for every epoch and every resume of a run with this seed. */
export function sampleNoise(count: number, shape: readonly number[], seed: number): Float32Array {
  return gaussianNoise(count, shape, createRng(seed ^ 0x5a3b1e));
}

/** Images from the generator (inference mode) for `noise`, as a 'generated' strip. */
export async function generateStrip(tf: Tf, generator: GanPart, noise: Float32Array, count: number, epoch: number): Promise<SampleStrip> {
  const zShape = noiseShape(generator);
  const range = generatorRange(generator.info);
  const images = tf.tidy(() => fromModelRange(tf, generator.model.apply(tf.tensor(noise, [count, ...zShape]), { training: false }) as Tensor, range));
  const pixels = (await images.data()) as Float32Array;
  const shape = images.shape.slice(1) as [number, number, number];
  images.dispose();
  return { kind: 'generated', epoch, shape, pixels: Float32Array.from(pixels), count };
}

/**
 * After an epoch: the generator's images for the fixed `noise` (`count` of
 * them, a 'generated' strip) and, given the real images' figure `real`
 * (diversity.ts `realSpread`), their `diversity`, measured on the first
 * `real.count` of them; none when the images are not numbers (weights
 * that blew up in the epoch's last step). Frees every tensor it makes.
 */
export async function epochImages(
  tf: Tf,
  generator: GanPart,
  noise: Float32Array,
  count: number,
  epoch: number,
  real?: { spread: number; count: number },
): Promise<{ strip: SampleStrip; diversity?: number }> {
  const strip = await generateStrip(tf, generator, noise, count, epoch);
  if (!real || real.count > count) return { strip };
  const size = strip.shape[0] * strip.shape[1] * strip.shape[2];
  const value = diversity(strip.pixels, real.count, size, real.spread);
  return Number.isNaN(value) ? { strip } : { strip, diversity: value };
}

/** The first `count` images of `strip`. */
function firstImages(strip: SampleStrip, count: number): SampleStrip {
  if (count >= strip.count) return strip;
  const size = strip.shape[0] * strip.shape[1] * strip.shape[2];
  return { ...strip, pixels: strip.pixels.slice(0, count * size), count };
}

/** What one step of each player gave. */
export interface GanStepFigures {
  dLoss: number;
  gLoss: number;
  /** Mean D(x) over the real batch, as a probability. */
  dReal: number;
  /** Mean D(G(z)) in the D step, as a probability. */
  dFake: number;
}

/**
 * One GAN step on a batch: the discriminator's step (G fixed), then the
 * generator's (D fixed, as just updated) on the same noise. The generator's
 * non-trainable weights (batchnorm running statistics) move once per call,
 * as in PyTorch's DCGAN example. `real` is in the generator's range, `z` the
 * noise batch; neither is disposed here. Every tensor made is freed before
 * it returns.
 */
export async function ganStep(
  tf: Tf,
  generator: GanPart,
  discriminator: GanPart,
  optimizers: { generator: tfTypes.Optimizer; discriminator: tfTypes.Optimizer },
  real: Tensor,
  z: Tensor,
): Promise<GanStepFigures> {
  const kind = outputKind(discriminator.info);
  const dVars = discriminator.model.trainableWeights.map((w) => w.read() as tfTypes.Variable);
  const gVars = generator.model.trainableWeights.map((w) => w.read() as tfTypes.Variable);
  // G's images are a constant of D's step: made outside its tape, so no gradient reaches G.
  const fake = tf.tidy(() => generator.model.apply(z, { training: true }) as Tensor);
  let means: Tensor | undefined;
  const dLossT = optimizers.discriminator.minimize(
    () => {
      // Real and generated images in separate batches (each its own batchnorm statistics), as in DCGAN's code.
      const outReal = discriminator.model.apply(real, { training: true }) as Tensor;
      const outFake = discriminator.model.apply(fake, { training: true }) as Tensor;
      means = tf.keep(tf.stack([tf.mean(probabilities(tf, kind, outReal)), tf.mean(probabilities(tf, kind, outFake))]));
      return discriminatorLoss(tf, kind, outReal, outFake);
    },
    true,
    dVars,
  )!;
  fake.dispose();
  // PyTorch's DCGAN example (pytorch/examples dcgan/main.py) runs G once per batch: `fake = netG(noise)`,
  // `netD(fake.detach())` for D's step, then `netD(fake)` with the updated D for G's, backpropagating through
  // that same forward pass; so G's batchnorm running statistics move once per batch. tfjs keeps no graph
  // between two `minimize` calls, so G's step has to run G again (same z, same weights, the same batch
  // statistics); its running statistics are put back afterwards so that they too move once per batch.
  // (A dropout layer in G draws a new mask in the second pass: the one difference left.)
  const gStats = generator.model.nonTrainableWeights;
  const saved = gStats.map((w) => tf.clone(w.read()));
  let gLossT: Tensor;
  try {
    // Only G's variables get gradients: D is fixed in this step (its running statistics move, as netD(fake) moves them).
    gLossT = optimizers.generator.minimize(
      () => generatorLoss(tf, kind, discriminator.model.apply(generator.model.apply(z, { training: true }), { training: true }) as Tensor),
      true,
      gVars,
    )!;
    gStats.forEach((w, i) => w.write(saved[i]));
  } catch (e) {
    // D's figures are of no use without G's step.
    tf.dispose([dLossT, ...(means ? [means] : [])]);
    throw e;
  } finally {
    tf.dispose(saved);
  }
  const [dLoss] = await dLossT.data();
  const [gLoss] = await gLossT.data();
  const m = means ? await means.data() : [NaN, NaN];
  tf.dispose([dLossT, gLossT, ...(means ? [means] : [])]);
  return { dLoss, gLoss, dReal: m[0], dFake: m[1] };
}

/**
 * Trains `generator` against `discriminator` on the images of `data` for
 * `options.config.epochs` epochs (`config.adversarial` must be set).
 * Throws a TrainError when the models and data do not make a GAN, or when a
 * loss stops being finite. Cancellation is checked between batches; tensors
 * are freed as it goes (`tf.memory().numTensors` is the same before and
 * after, the optimisers' state freed at the end).
 */
export async function trainGan(tf: Tf, generator: GanPart, discriminator: GanPart, data: TrainData, options: TrainOptions): Promise<History> {
  const { config } = options;
  const adversarial = config.adversarial;
  if (!adversarial) throw new TrainError('trainGan needs loss: adversarial(Discriminator).');
  checkGanFits(generator, discriminator, data);
  const zShape = noiseShape(generator);
  const range = generatorRange(generator.info);
  const seed = options.seed ?? 1;
  const yieldNow = options.yieldEvery ?? yieldToEventLoop;
  const optimizers = { generator: makeOptimizer(tf, config.optimizer), discriminator: makeOptimizer(tf, config.optimizer) };
  const history: History = { epochs: [], status: 'completed' };
  const start = options.initialEpoch ?? 0;
  // An epoch's shuffle and training noise depend on (seed, epoch) only (`epochRng`, as in diffusion.ts): a
  // resumed run neither replays epoch 1's nor differs from an uninterrupted run; the samples' noise is
  // fixed, the same every epoch and every resume. One batch of images from it gives the strip (its first
  // `samples`: the noise is drawn in order, so they are the images a strip of its own would show) and the
  // diversity (as many as the real images it is compared with).
  const real = realSpread(data, seed);
  const imageCount = Math.max(adversarial.samples, real?.count ?? 0);
  const fixed = imageCount > 0 ? sampleNoise(imageCount, zShape, seed) : undefined;
  const exampleSize = data.exampleShape.reduce((p, d) => p * d, 1);
  try {
    await options.prepareOptimizer?.(optimizers.generator, 'generator');
    await options.prepareOptimizer?.(optimizers.discriminator, 'discriminator');
    for (let e = start; e < start + config.epochs; e++) {
      const t0 = Date.now();
      // The random layers' streams (augmentation, dropout, noise) restart from (seed, epoch) as well (train.ts).
      reseedRandomLayers(generator.model, e, seed);
      reseedRandomLayers(discriminator.model, e, seed);
      const order = epochRng(seed, e, 7919).shuffle(Array.from({ length: data.count }, (_, i) => i));
      const noise = epochRng(seed ^ 0x6a09e667, e, 104729);
      const batches = Math.ceil(order.length / config.batch);
      const sums = { g: 0, d: 0, real: 0, fake: 0 };
      for (let b = 0; b < batches; b++) {
        await yieldNow();
        if (options.token?.cancelled) {
          history.status = 'cancelled';
          return history;
        }
        const from = b * config.batch;
        const n = Math.min(order.length, from + config.batch) - from;
        const xs = new Float32Array(n * exampleSize);
        for (let i = 0; i < n; i++) {
          const k = order[from + i];
          xs.set(data.xs.subarray(k * exampleSize, (k + 1) * exampleSize), i * exampleSize);
        }
        const real = tf.tidy(() => toModelRange(tf, tf.tensor(xs, [n, ...data.exampleShape]), range));
        const z = tf.tensor(gaussianNoise(n, zShape, noise), [n, ...zShape]);
        let f: GanStepFigures;
        try {
          f = await ganStep(tf, generator, discriminator, optimizers, real, z);
        } finally {
          tf.dispose([real, z]);
        }
        if (!Number.isFinite(f.dLoss) || !Number.isFinite(f.gLoss)) {
          const which = Number.isFinite(f.dLoss) ? `the generator's loss became ${f.gLoss}` : `the discriminator's loss became ${f.dLoss}`;
          throw new TrainError(`${which} in epoch ${e + 1}, batch ${b + 1}; lower the learning rate (optimizer: adam(lr = ...)).`);
        }
        sums.g += f.gLoss * n;
        sums.d += f.dLoss * n;
        sums.real += f.dReal * n;
        sums.fake += f.dFake * n;
        await options.onBatch?.({ epoch: e + 1, batch: b + 1, batches, loss: f.gLoss });
      }
      const count = order.length;
      const logs: EpochLogs = {
        epoch: e + 1,
        epochs: start + config.epochs,
        loss: sums.g / count,
        metrics: { d_loss: sums.d / count, d_real: sums.real / count, d_fake: sums.fake / count },
        examples: count,
        ms: Date.now() - t0,
      };
      if (fixed) {
        const images = await epochImages(tf, generator, fixed, imageCount, e + 1, real);
        if (images.diversity !== undefined) logs.metrics.diversity = images.diversity;
        if (adversarial.samples > 0) await options.onSamples?.(firstImages(images.strip, adversarial.samples));
      }
      history.epochs.push(logs);
      await options.onEpoch?.(logs, { generator: optimizers.generator, discriminator: optimizers.discriminator });
    }
    return history;
  } finally {
    optimizers.generator.dispose();
    optimizers.discriminator.dispose();
  }
}

/** One line per epoch of a GAN: the generator's and the discriminator's losses, D's mean answers and the samples' diversity. */
export function formatGanEpoch(l: EpochLogs): string {
  const m = l.metrics;
  const f = (v: number | undefined) => (v === undefined ? '?' : v.toFixed(4));
  return [
    `epoch ${l.epoch}/${l.epochs}`,
    `g_loss ${f(l.loss)}`,
    `d_loss ${f(m.d_loss)}`,
    `d_real ${f(m.d_real)}`,
    `d_fake ${f(m.d_fake)}`,
    ...(m.diversity === undefined ? [] : [`diversity ${m.diversity.toFixed(2)}`]),
    `${(l.ms / 1000).toFixed(1)} s`,
    `${Math.round((l.examples / Math.max(l.ms, 1)) * 1000)} examples/s`,
  ].join(' · ');
}

// ------------------------------------------------------------------ checkpoints of both players

/**
 * The discriminator's side of resuming a GAN, the same for the CLI and the
 * page: applies its checkpoint `ck` to `built` when there is one, and says
 * what the user should know: there is none (it starts afresh against the
 * generator of `generatorEpoch`), it is of another epoch than the
 * generator's (a failed write left an older one), or layers that no longer
 * fit. `where` (the folder) goes into the first message when given.
 */
export function resumeDiscriminator(
  tf: Tf,
  built: BuiltModel,
  name: string,
  generatorEpoch: number,
  ck: ResumeSource | undefined,
  where?: string,
): { resumed?: Resumed; warnings: string[] } {
  if (!ck) return { warnings: [`no checkpoint of the discriminator ${name}${where ? ` in ${where}` : ''}: it starts afresh against the generator of epoch ${generatorEpoch}.`] };
  const resumed = resumeModel(tf, built, ck);
  const warnings = resumed.problems.map((p) => `${name}: ${p}`);
  if (resumed.epoch !== generatorEpoch) {
    warnings.push(`the discriminator's checkpoint is of epoch ${resumed.epoch}, the generator's of epoch ${generatorEpoch}; continuing with both.`);
  }
  return { resumed, warnings };
}

/**
 * Both checkpoints of a GAN's epoch, each with its optimiser's state: the
 * caller writes the discriminator's first, so that the generator's (the
 * run's own, written last) marks the epoch complete.
 */
export async function encodeGanCheckpoints(
  generator: { built: BuiltModel; name: string },
  discriminator: { built: BuiltModel; name: string },
  meta: Omit<CheckpointMeta, 'version' | 'signature' | 'checksum' | 'savedAt' | 'optimizer' | 'model'>,
  config: TrainOptions['config'],
  optimizers: RunOptimizers,
): Promise<{ generator: EncodedCheckpoint; discriminator: EncodedCheckpoint }> {
  const state = (o: tfTypes.Optimizer | undefined) => (o ? { optimizer: o, config: config.optimizer } : undefined);
  const d = await encodeCheckpoint(discriminator.built, { ...meta, model: discriminator.name }, state(optimizers.discriminator));
  const g = await encodeCheckpoint(generator.built, { ...meta, model: generator.name }, state(optimizers.generator));
  return { generator: g, discriminator: d };
}
