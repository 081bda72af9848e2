/**
 * Diffusion training (`loss: denoise(...)`): the noise schedule, the forward
 * noising, the training loop of a noise predictor and a DDIM sampler.
 *
 * Ho et al. 2020 (DDPM): for an example x₀ (pixels scaled from [0, 1] to
 * [−1, 1]), a step t uniform in 0 … T − 1 and noise ε ~ N(0, 1), the model
 * gets x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε and t, and learns ε by mean squared
 * error. Samples come from Song et al. 2021's DDIM with η = 0 (deterministic)
 * over `sampleSteps` evenly spaced steps, from fixed noise, so the images of
 * epoch 1 and epoch 5 start from the same noise and can be compared.
 *
 * Steps are 0-based: index t holds the paper's step t + 1, so ᾱ[0] = 1 − β₁
 * and ᾱ[T − 1] is the last (noisiest) step.
 *
 * Which model input is which is decided by shape, not by order: the input of
 * shape [1] (int or float) gets the step t as a number, the other the noisy
 * image; the output has the image's shape (the predicted noise).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { DenoiseConfig, ModelInfo, TrainConfig } from '../analysis/types';
import type { Tf } from '../layers/types';
import { createRng, type Rng } from './data/random';
import { reseedRandomLayers } from '../layers/augment';
import {
  TrainError,
  epochRng,
  inputShapes,
  makeOptimizer,
  dataSplit,
  noTrainingLeft,
  yieldToEventLoop,
  type CancelToken,
  type EpochLogs,
  type History,
  type SampleStrip,
  type TrainData,
  type TrainOptions,
} from './train';

type Tensor = tfTypes.Tensor;

/** The noise schedule: per step t = 0 … T − 1, in float64. */
export interface Schedule {
  steps: number;
  kind: DenoiseConfig['schedule'];
  betas: Float64Array;
  /** ᾱ_t = ∏_{s ≤ t} (1 − β_s). */
  alphaBars: Float64Array;
}

/** `loss: denoise` with no options (analysis/train.ts GENERATIVE_LOSSES). */
const DEFAULT_DENOISE: DenoiseConfig = { steps: 1000, schedule: 'linear', samples: 8, sampleSteps: 50 };

/** DDPM's linear βs: from 1e-4 to 0.02 over T = 1000 steps (Ho et al. 2020, § 4); other T rescale them (`makeSchedule`). */
export const LINEAR_BETA = { start: 1e-4, end: 0.02, steps: 1000 } as const;
/** The cosine schedule's offset s (Nichol & Dhariwal 2021, eq. 17) and its clip of β (also the linear schedule's cap). */
export const COSINE = { s: 0.008, maxBeta: 0.999 } as const;

/**
 * The schedule of `steps` steps. Linear, with k = 1000/T:
 * β_t = min(k·1e-4 + k·(0.02 − 1e-4)·t/(T − 1), 0.999).
 * Cosine: with f(u) = cos²((u/T + s)/(1 + s)·π/2), β_t = min(1 − f(t + 1)/f(t), 0.999)
 * (so ᾱ_t = f(t + 1)/f(0) wherever β is not clipped).
 */
export function makeSchedule(steps: number, kind: DenoiseConfig['schedule']): Schedule {
  if (!Number.isInteger(steps) || steps < 2) throw new TrainError(`a diffusion schedule needs at least 2 steps, not ${steps}.`);
  const betas = new Float64Array(steps);
  if (kind === 'linear') {
    // DDPM's βs are tuned for 1000 steps: over fewer, ∏(1 − β) stays far from
    // 0 (0.60 at T = 50), so the sampler would start from pure noise the model
    // never saw. As Improved DDPM (Nichol & Dhariwal 2021, get_named_beta_schedule)
    // and diffusers do, both ends scale by 1000/T, which keeps ᾱ at T − 1 near
    // DDPM's for any T (and T = 1000 exactly DDPM's); below T = 21 the last βs
    // would reach 1 (ᾱ = 0, x̂₀ a division by 0), so they are capped as the cosine ones.
    const k = LINEAR_BETA.steps / steps;
    const start = k * LINEAR_BETA.start;
    const end = k * LINEAR_BETA.end;
    for (let t = 0; t < steps; t++) betas[t] = Math.min(start + ((end - start) * t) / (steps - 1), COSINE.maxBeta);
  } else {
    const f = (u: number) => Math.cos(((u / steps + COSINE.s) / (1 + COSINE.s)) * (Math.PI / 2)) ** 2;
    for (let t = 0; t < steps; t++) betas[t] = Math.min(1 - f(t + 1) / f(t), COSINE.maxBeta);
  }
  const alphaBars = new Float64Array(steps);
  let prod = 1;
  for (let t = 0; t < steps; t++) {
    prod *= 1 - betas[t];
    alphaBars[t] = prod;
  }
  return { steps, kind, betas, alphaBars };
}

/**
 * x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε for a batch laid out flat: example n
 * (`size` values) at step `t[n]`. Plain arrays: the loop makes its inputs
 * without a tensor op per term.
 */
export function noiseExamples(schedule: Schedule, x0: ArrayLike<number>, t: ArrayLike<number>, eps: ArrayLike<number>, size: number): Float32Array {
  const out = new Float32Array(t.length * size);
  for (let n = 0; n < t.length; n++) {
    const ab = schedule.alphaBars[t[n]];
    if (ab === undefined) throw new TrainError(`step ${t[n]} is outside 0 … ${schedule.steps - 1}.`);
    const a = Math.sqrt(ab);
    const b = Math.sqrt(1 - ab);
    for (let i = n * size; i < (n + 1) * size; i++) out[i] = a * x0[i] + b * eps[i];
  }
  return out;
}

/** The sampler's steps: `count` steps of 0 … T − 1 evenly spaced, from 0 up to T − 1 (distinct, ascending). */
export function samplerSteps(steps: number, count: number): number[] {
  const k = Math.max(1, Math.min(count, steps));
  if (k === 1) return [steps - 1];
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const t = Math.round((i * (steps - 1)) / (k - 1));
    if (out[out.length - 1] !== t) out.push(t);
  }
  return out;
}

/** Predicts the noise of a batch x_t ([n, ...image]) at steps t ([n, 1], int32); must not dispose its inputs. */
export type NoisePredictor = (x: Tensor, t: Tensor) => Tensor;

/**
 * DDIM with η = 0 (Song et al. 2021, eq. 12): from x at the last of `steps`
 * down to the first, x̂₀ = (x_t − √(1 − ᾱ_t)·ε̂)/√ᾱ_t clipped to [−1, 1],
 * ε̂ recomputed from the clipped x̂₀ as (x_t − √ᾱ_t·x̂₀)/√(1 − ᾱ_t), then
 * x_prev = √ᾱ_prev·x̂₀ + √(1 − ᾱ_prev)·ε̂ (ᾱ_prev = 1 after the first
 * step, so the result is the last x̂₀). `noise` is x at the start, [n, ...];
 * the result is a new tensor in [−1, 1], or undefined when cancelled
 * (checked between steps). `onStep`, when given, is awaited after each
 * step with x and the steps done so far (1 … `samplerSteps(...)`.length;
 * after step k < length x is at step taus[length − 1 − k], after the last
 * it is the result): it may read x (`await x.data()`) but must neither
 * keep nor dispose it.
 */
export async function ddimSample(
  tf: Tf,
  predict: NoisePredictor,
  schedule: Schedule,
  noise: Tensor,
  sampleSteps: number,
  token?: CancelToken,
  yieldNow: () => Promise<void> = yieldToEventLoop,
  onStep?: (x: Tensor, done: number) => void | Promise<void>,
): Promise<Tensor | undefined> {
  const taus = samplerSteps(schedule.steps, sampleSteps);
  const n = noise.shape[0]!;
  let x = tf.clone(noise);
  try {
    for (let i = taus.length - 1; i >= 0; i--) {
      if (token?.cancelled) {
        x.dispose();
        return undefined;
      }
      const t = taus[i];
      const ab = schedule.alphaBars[t];
      const abPrev = i > 0 ? schedule.alphaBars[taus[i - 1]] : 1;
      const next = tf.tidy(() => {
        const predicted = predict(x, tf.fill([n, 1], t, 'int32'));
        const x0 = tf.clipByValue(tf.div(tf.sub(x, tf.mul(predicted, Math.sqrt(1 - ab))), Math.sqrt(ab)), -1, 1);
        if (i === 0) return x0;
        // The noise that, with the clipped x̂₀, makes exactly x_t (diffusers'
        // DDIMScheduler with clip_sample and use_clipped_model_output): with the
        // model's own ε̂, x_prev would mix a clipped x̂₀ with the noise of an
        // unclipped one, a point that matches no x₀ at all. Unchanged where the clip did nothing.
        const eps = tf.div(tf.sub(x, tf.mul(x0, Math.sqrt(ab))), Math.sqrt(1 - ab));
        return tf.add(tf.mul(x0, Math.sqrt(abPrev)), tf.mul(eps, Math.sqrt(1 - abPrev)));
      });
      x.dispose();
      x = next;
      await onStep?.(x, taus.length - i);
      if (i > 0) await yieldNow();
    }
  } catch (e) {
    // A predictor or an onStep that throws (a model disposed under it) must not leave x behind.
    if (!x.isDisposed) x.dispose();
    throw e;
  }
  return x;
}

/** Which model input gets the image and which the step: by shape, the step's is [1]. */
export interface DenoiseInputs {
  image: number;
  step: number;
  stepDtype: 'int32' | 'float32';
}

/**
 * The roles of a model's two inputs, from the built model, checked against
 * the data (TrainError saying what does not fit): one input of shape [1]
 * for the step, one of the data's example shape for the image, and an
 * output of the image's shape.
 */
export function denoiseInputs(model: tfTypes.LayersModel, info: ModelInfo, data: TrainData): DenoiseInputs {
  const shapes = model.inputs.map((i) => i.shape.slice(1));
  const names = info.inputs.map((i) => `'${i.name}'`).join(', ');
  const show = (s: readonly (number | null)[]) => `[${s.map((d) => d ?? '?').join(', ')}]`;
  if (shapes.length !== 2) {
    throw new TrainError(`loss: denoise trains a model with two inputs, the noisy image and its step t ([1]), but '${info.name}' has ${shapes.length} (${names}).`);
  }
  const isStep = (s: readonly (number | null)[]) => s.length === 1 && s[0] === 1;
  const steps = shapes.map(isStep);
  if (steps[0] === steps[1]) {
    throw new TrainError(
      `loss: denoise needs exactly one input of shape [1] for the step t and one for the image, but '${info.name}' takes ${shapes.map(show).join(' and ')}.`,
    );
  }
  const step = steps[0] ? 0 : 1;
  const image = 1 - step;
  const want = data.exampleShape;
  const got = shapes[image];
  if (data.xDtype !== 'float32' || data.moreInputs?.length) throw new TrainError(`loss: denoise trains on images (digits, shapes, images(...)), not on ${data.source}.`);
  if (got.length !== want.length || got.some((d, k) => d !== null && d !== want[k])) {
    throw new TrainError(`${data.source} gives images of shape ${show(want)}, but the image input '${info.inputs[image]?.name ?? image + 1}' of '${info.name}' takes ${show(got)}.`);
  }
  if (model.inputs[image].dtype !== 'float32') throw new TrainError(`the image input '${info.inputs[image]?.name}' of '${info.name}' must take numbers, not ints.`);
  const out = model.outputs[0].shape.slice(1);
  if (out.length !== want.length || out.some((d, k) => d !== null && d !== want[k])) {
    throw new TrainError(`'${info.name}' outputs ${show(out)}, but a noise predictor outputs the image's shape ${show(want)} (the predicted noise).`);
  }
  return { image, step, stepDtype: model.inputs[step].dtype === 'int32' ? 'int32' : 'float32' };
}

/** The example shapes of the model's inputs in its order, for `symbolicDimsFor`: the data's for the image, [1] for the step. */
export function denoiseInputShapes(info: ModelInfo, exampleShape: number[]): number[][] {
  return info.inputs.map((i) => (i.shape.dims.length === 1 && i.shape.dims[0].value === 1 ? [1] : exampleShape));
}

/**
 * The example shapes of the model's inputs for `symbolicDimsFor`, whatever
 * the objective: a diffusion model's step input is [1], which the data does
 * not feed; otherwise the data's inputs in order.
 */
export function trainInputShapes(info: ModelInfo, loss: TrainConfig['loss'], data: TrainData): number[][] {
  return loss === 'denoise' ? denoiseInputShapes(info, data.exampleShape) : inputShapes(data);
}

/** A predictor from the model: the inputs in its order, the step in its dtype, inference mode. */
export function modelPredictor(tf: Tf, model: tfTypes.LayersModel, roles: DenoiseInputs, training = false): NoisePredictor {
  return (x, t) => {
    const step = roles.stepDtype === 'int32' ? t : tf.cast(t, 'float32');
    const inputs: Tensor[] = [];
    inputs[roles.image] = x;
    inputs[roles.step] = step;
    return model.apply(inputs, { training }) as Tensor;
  };
}

/** Normal draws in a Float32Array. */
function normals(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** Examples `idx[from..to)` of `data`, scaled from [0, 1] to [−1, 1]. */
function scaledBatch(data: TrainData, idx: ArrayLike<number>, from: number, to: number, size: number): Float32Array {
  const out = new Float32Array((to - from) * size);
  for (let i = 0; i < to - from; i++) {
    const k = idx[from + i];
    const src = data.xs.subarray(k * size, (k + 1) * size);
    for (let j = 0; j < size; j++) out[i * size + j] = 2 * src[j] - 1;
  }
  return out;
}

/** [−1, 1] to [0, 1], clipped: what a SampleStrip holds. */
function toUnit(v: ArrayLike<number>): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.min(1, Math.max(0, (v[i] + 1) / 2));
  return out;
}

/** [h, w, c] of an image example shape (a flat or 2-D example becomes one channel). */
function stripShape(shape: readonly number[]): [number, number, number] {
  if (shape.length === 3) return [shape[0], shape[1], shape[2]];
  if (shape.length === 2) return [shape[0], shape[1], 1];
  return [1, shape[0] ?? 1, 1];
}

/** Steps shown by the forward strip: eight, evenly spaced from 0 to T − 1. */
export function forwardSteps(steps: number): number[] {
  return samplerSteps(steps, 8);
}

/**
 * The 'forward' strip: one training example noised at `forwardSteps`, with
 * noise fixed by `seed`.
 */
export function forwardStrip(schedule: Schedule, data: TrainData, index: number, seed: number): SampleStrip {
  const size = data.exampleShape.reduce((p, d) => p * d, 1);
  const ts = forwardSteps(schedule.steps);
  const x0 = scaledBatch(data, [index], 0, 1, size);
  const eps = normals(createRng(seed ^ 0xf0f0), size);
  const pixels = new Float32Array(ts.length * size);
  ts.forEach((t, k) => pixels.set(toUnit(noiseExamples(schedule, x0, [t], eps, size)), k * size));
  return { kind: 'forward', epoch: 0, shape: stripShape(data.exampleShape), pixels, count: ts.length, captions: ts.map((t) => `t = ${t}`) };
}

/**
 * Trains a noise predictor (`config.loss === 'denoise'`) on the images of
 * `data`; same contract as `trainModel` (runtime/train.ts): seeded, a
 * checkpointable epoch at a time, cancellation between batches, tensors
 * freed. `EpochLogs.loss` is the mean squared error of the predicted noise;
 * `valLoss` the same on the held-out split with t and ε fixed once, so it
 * is comparable across epochs; `mae` (when asked for in `metrics`) the mean
 * absolute error of the predicted noise; `ms` the epoch's training and
 * validation. `onSamples` gets the forward strip before the first epoch and
 * `samples` DDIM images after each epoch's `onEpoch`: cancelling while they
 * are made keeps that epoch (its logs and the checkpoint `onEpoch` writes).
 */
export async function trainDenoiser(tf: Tf, model: tfTypes.LayersModel, info: ModelInfo, data: TrainData, options: TrainOptions): Promise<History> {
  const { config } = options;
  const denoise = config.denoise ?? DEFAULT_DENOISE;
  const roles = denoiseInputs(model, info, data);
  const schedule = makeSchedule(denoise.steps, denoise.schedule);
  const seed = options.seed ?? 1;
  const split = options.split ?? dataSplit(data, config.validation, seed);
  if (split.train.length === 0) throw new TrainError(noTrainingLeft(data, config.validation));
  const size = data.exampleShape.reduce((p, d) => p * d, 1);
  const shape = data.exampleShape;
  const wantMae = config.metrics.includes('mae');
  const yieldNow = options.yieldEvery ?? yieldToEventLoop;
  const history: History = { epochs: [], status: 'completed' };
  const start = options.initialEpoch ?? 0;
  // Different streams for shuffles, training draws, validation and sampling:
  // the validation's t and ε and the sampler's noise stay the same whatever
  // the epoch (and whether training resumed); an epoch's shuffle and draws
  // depend on (seed, epoch) only (`epochRng`), so a resumed run continues
  // exactly as an uninterrupted one.
  const val = split.validation.length ? fixedDraws(schedule, data, split.validation, seed) : undefined;
  const sampleNoise = denoise.samples > 0 ? normals(createRng(seed ^ 0x5a3b1e), denoise.samples * size) : undefined;

  const stepTensor = (t: ArrayLike<number>) => tf.tensor(Array.from(t), [t.length, 1], roles.stepDtype);
  const inputsOf = (x: Tensor, t: Tensor): Tensor[] => {
    const inputs: Tensor[] = [];
    inputs[roles.image] = x;
    inputs[roles.step] = t;
    return inputs;
  };

  const cancelled = () => {
    history.status = 'cancelled';
    return history;
  };

  if (start === 0 && options.onSamples) await options.onSamples(forwardStrip(schedule, data, split.train[0], seed));

  const optimizer = makeOptimizer(tf, config.optimizer);
  const vars = model.trainableWeights.map((w) => w.read() as tfTypes.Variable);
  try {
    await options.prepareOptimizer?.(optimizer, 'model');
    for (let e = start; e < start + config.epochs; e++) {
      const t0 = Date.now();
      // The random layers' streams (augmentation, dropout, noise) restart from (seed, epoch) as well (train.ts).
      reseedRandomLayers(model, e, seed);
      const order = epochRng(seed, e, 7919).shuffle(Array.from(split.train));
      const drawRng = epochRng(seed ^ 0xd1ff, e, 104729);
      const batches = Math.ceil(order.length / config.batch);
      let lossSum = 0;
      let maeSum = 0;
      for (let b = 0; b < batches; b++) {
        await yieldNow();
        if (options.token?.cancelled) return cancelled();
        const from = b * config.batch;
        const to = Math.min(order.length, from + config.batch);
        const n = to - from;
        const t = Int32Array.from({ length: n }, () => drawRng.int(schedule.steps));
        const eps = normals(drawRng, n * size);
        const xt = noiseExamples(schedule, scaledBatch(data, order, from, to, size), t, eps, size);
        const xT = tf.tensor(xt, [n, ...shape], 'float32');
        const tT = stepTensor(t);
        const epsT = tf.tensor(eps, [n, ...shape], 'float32');
        let maeT: Tensor | undefined;
        const lossT = optimizer.minimize(
          () => {
            const out = model.apply(inputsOf(xT, tT), { training: true }) as Tensor;
            const diff = tf.sub(out, epsT);
            if (wantMae) maeT = tf.keep(tf.mean(tf.abs(diff)));
            return tf.mean(tf.square(diff)) as tfTypes.Scalar;
          },
          true,
          vars,
        )!;
        const loss = (await lossT.data())[0];
        const mae = maeT ? (await maeT.data())[0] : 0;
        tf.dispose([xT, tT, epsT, lossT, ...(maeT ? [maeT] : [])]);
        if (!Number.isFinite(loss)) {
          throw new TrainError(`the loss became ${loss} in epoch ${e + 1}, batch ${b + 1}; lower the learning rate (optimizer: adam(lr = ...)).`);
        }
        lossSum += loss * n;
        maeSum += mae * n;
        await options.onBatch?.({ epoch: e + 1, batch: b + 1, batches, loss });
      }
      const logs: EpochLogs = {
        epoch: e + 1,
        epochs: start + config.epochs,
        loss: lossSum / order.length,
        metrics: wantMae ? { mae: maeSum / order.length } : {},
        examples: order.length,
        ms: 0,
      };
      if (val) {
        // Not cancellable: the epoch's weights are trained, and a Stop here
        // must not throw them away. One inference pass over the held-out split
        // is short next to the epoch; the cancel is seen when sampling starts.
        const v = (await validate(tf, model, roles, val, shape, config.batch))!;
        logs.valLoss = v.loss;
        logs.valMetrics = wantMae ? { mae: v.mae } : {};
      }
      logs.ms = Date.now() - t0;
      history.epochs.push(logs);
      // The epoch's logs and checkpoint (onEpoch writes it) come before its
      // samples: they do not depend on the pictures, and a Stop while
      // sampling then keeps the epoch (the strip, keyed by its epoch, follows).
      await options.onEpoch?.(logs, { model: optimizer });
      if (sampleNoise && options.onSamples) {
        const strip = await generate(tf, model, roles, schedule, sampleNoise, shape, denoise.sampleSteps, e + 1, options.token, yieldNow);
        if (!strip) return cancelled();
        await options.onSamples(strip);
      }
    }
    return history;
  } finally {
    optimizer.dispose();
  }
}

/** Noisy examples with t and ε drawn once from `seed`: the same for every epoch, and for `evaluateDenoiser` later. */
interface FixedDraws {
  n: number;
  t: Int32Array;
  eps: Float32Array;
  xt: Float32Array;
}

function fixedDraws(schedule: Schedule, data: TrainData, indices: ArrayLike<number>, seed: number): FixedDraws {
  const size = data.exampleShape.reduce((p, d) => p * d, 1);
  const rng = createRng(seed ^ 0x7a1);
  const n = indices.length;
  const t = Int32Array.from({ length: n }, () => rng.int(schedule.steps));
  const eps = normals(rng, n * size);
  return { n, t, eps, xt: noiseExamples(schedule, scaledBatch(data, indices, 0, n, size), t, eps, size) };
}

/**
 * The denoising loss (and `mae`) of a trained model on `indices` of
 * `data`, with t and ε drawn from `seed` as the training's validation does:
 * with the training's seed and validation split it repeats the last
 * epoch's `val_loss`. Undefined for no indices or when cancelled.
 */
export async function evaluateDenoiser(
  tf: Tf,
  model: tfTypes.LayersModel,
  info: ModelInfo,
  data: TrainData,
  indices: ArrayLike<number>,
  config: Pick<TrainConfig, 'denoise' | 'batch'>,
  seed: number,
  token?: CancelToken,
): Promise<{ loss: number; metrics: Record<string, number> } | undefined> {
  if (indices.length === 0) return undefined;
  const roles = denoiseInputs(model, info, data);
  const d = config.denoise ?? DEFAULT_DENOISE;
  const v = await validate(tf, model, roles, fixedDraws(makeSchedule(d.steps, d.schedule), data, indices, seed), data.exampleShape, config.batch, token);
  return v && { loss: v.loss, metrics: { mae: v.mae } };
}

/** Mean squared (and absolute) error of the predicted noise on the fixed validation draws, in inference mode. */
async function validate(
  tf: Tf,
  model: tfTypes.LayersModel,
  roles: DenoiseInputs,
  val: FixedDraws,
  shape: number[],
  batch: number,
  token?: CancelToken,
): Promise<{ loss: number; mae: number } | undefined> {
  const size = shape.reduce((p, d) => p * d, 1);
  const predict = modelPredictor(tf, model, roles);
  const step = Math.max(1, batch * 2);
  let sq = 0;
  let ab = 0;
  for (let from = 0; from < val.n; from += step) {
    if (token?.cancelled) return undefined;
    const to = Math.min(val.n, from + step);
    const sums = tf.tidy(() => {
      const x = tf.tensor(val.xt.subarray(from * size, to * size), [to - from, ...shape], 'float32');
      const t = tf.tensor(val.t.subarray(from, to), [to - from, 1], 'int32');
      const eps = tf.tensor(val.eps.subarray(from * size, to * size), [to - from, ...shape], 'float32');
      const diff = tf.sub(predict(x, t), eps);
      return tf.stack([tf.sum(tf.square(diff)), tf.sum(tf.abs(diff))]);
    });
    const v = await sums.data();
    sums.dispose();
    sq += v[0];
    ab += v[1];
  }
  return { loss: sq / (val.n * size), mae: ab / (val.n * size) };
}

/** The model's images from the fixed noise, as a 'generated' strip (undefined when cancelled). */
async function generate(
  tf: Tf,
  model: tfTypes.LayersModel,
  roles: DenoiseInputs,
  schedule: Schedule,
  noise: Float32Array,
  shape: number[],
  sampleSteps: number,
  epoch: number,
  token: CancelToken | undefined,
  yieldNow: () => Promise<void>,
): Promise<SampleStrip | undefined> {
  const size = shape.reduce((p, d) => p * d, 1);
  const count = noise.length / size;
  const start = tf.tensor(noise, [count, ...shape], 'float32');
  try {
    const x = await ddimSample(tf, modelPredictor(tf, model, roles), schedule, start, sampleSteps, token, yieldNow);
    if (!x) return undefined;
    const values = await x.data();
    x.dispose();
    return { kind: 'generated', epoch, shape: stripShape(shape), pixels: toUnit(values), count };
  } finally {
    start.dispose();
  }
}
