/**
 * What the Samples tab computes (tensors, no DOM; runs in the webview and in
 * Node's unit tests): the DDIM reverse process of a diffusion model with
 * snapshots of x along the way, and a GAN generator's images for given noise.
 * Every tensor made here is freed before returning.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../../extension/core/layers/types';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { ddimSample, type DenoiseInputs, type NoisePredictor, type Schedule } from '../../extension/core/runtime/diffusion';
import { fromModelRange, generatorRange } from '../../extension/core/runtime/gan';
import type { CancelToken } from '../../extension/core/runtime/train';
import { imageShape, snapshotPlan, unitFromSigned, type Snapshot } from '../views/samplesModel';

/**
 * The inputs of a diffusion model by shape, as training decides them
 * (`denoiseInputs`, which also checks them against the data): the one of
 * shape [1] takes the step, the other the image. A message saying what
 * does not fit otherwise.
 */
export function diffusionRoles(model: tfTypes.LayersModel): { roles: DenoiseInputs; shape: [number, number, number] } | string {
  const shapes = model.inputs.map((i) => i.shape.slice(1));
  if (shapes.length !== 2) return `a diffusion model takes two inputs, the noisy image and its step t ([1]); this one takes ${shapes.length}.`;
  const isStep = shapes.map((s) => s.length === 1 && s[0] === 1);
  if (isStep[0] === isStep[1]) return 'a diffusion model needs exactly one input of shape [1] (the step t) and one image input.';
  const step = isStep[0] ? 0 : 1;
  const image = 1 - step;
  const shape = imageShape(shapes[image]);
  if (!shape) return `the image input has shape [${shapes[image].map((d) => d ?? '?').join(', ')}]; the Samples tab draws [h, w, 1 or 3] or [h, w] images.`;
  return { roles: { image, step, stepDtype: model.inputs[step].dtype === 'int32' ? 'int32' : 'float32' }, shape };
}

/** The reverse process's snapshots: for snapshot k, `frames[k]` holds all n images (flat, channels last) in [0, 1]. */
export interface ReverseProcess {
  snapshots: Snapshot[];
  frames: Float32Array[];
}

/**
 * Runs DDIM (`ddimSample`, the training's sampler) from `noise` ([n, ...image],
 * values as the model sees them, [−1, 1] pixels) over `sampleSteps` of
 * `schedule`, keeping `want` evenly spaced states (`snapshotPlan`): the
 * starting noise first, x̂₀ last. Undefined when cancelled (checked between
 * steps); `yieldNow` runs between steps so the page stays responsive.
 */
export async function reverseProcess(
  tf: Tf,
  predict: NoisePredictor,
  schedule: Schedule,
  noise: tfTypes.Tensor,
  sampleSteps: number,
  want: number,
  token: CancelToken,
  yieldNow: () => Promise<void>,
): Promise<ReverseProcess | undefined> {
  const { snapshots } = snapshotPlan(schedule.steps, sampleSteps, want);
  const wanted = new Set(snapshots.map((s) => s.done));
  const frames: Float32Array[] = [];
  // Reading back only the states shown: a read waits for the backend, which the other steps need not.
  if (wanted.has(0)) frames.push(unitFromSigned(await noise.data()));
  const x = await ddimSample(tf, predict, schedule, noise, sampleSteps, token, yieldNow, async (state, done) => {
    if (wanted.has(done)) frames.push(unitFromSigned(await state.data()));
  });
  if (!x) return undefined;
  x.dispose();
  return { snapshots, frames };
}

/** A GAN generator's noise shape (its only input, every size fixed) and image shape, or what does not fit. */
export function generatorShapes(model: tfTypes.LayersModel): { z: number[]; image: [number, number, number] } | string {
  if (model.inputs.length !== 1) return `a GAN's generator takes one input, the noise (e.g. input z: [100]); this one takes ${model.inputs.length}.`;
  const z = model.inputs[0].shape.slice(1);
  if (z.some((d) => d === null) || model.inputs[0].dtype !== 'float32') return 'the generator\'s noise input must take numbers of fixed sizes (e.g. input z: [100]).';
  const image = imageShape(model.outputs[0].shape.slice(1));
  if (!image) return `the generator makes [${model.outputs[0].shape.slice(1).map((d) => d ?? '?').join(', ')}]; the Samples tab draws [h, w, 1 or 3] images.`;
  return { z: z as number[], image };
}

/** The generator's images (inference mode) for `count` noise vectors laid out flat, in [0, 1] (its tanh or sigmoid range undone). */
export async function generatorImages(tf: Tf, model: tfTypes.LayersModel, info: ModelInfo, z: Float32Array, zShape: readonly number[], count: number): Promise<Float32Array> {
  const range = generatorRange(info);
  const images = tf.tidy(() => fromModelRange(tf, model.apply(tf.tensor(z, [count, ...zShape], 'float32'), { training: false }) as tfTypes.Tensor, range));
  try {
    return Float32Array.from(await images.data());
  } finally {
    images.dispose();
  }
}
