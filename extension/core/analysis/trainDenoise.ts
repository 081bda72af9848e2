/**
 * How a `loss: denoise(...)` train section fits its model: a diffusion
 * model takes a noisy example and its step, and predicts the noise.
 */
import type { TrainDecl } from '../syntax/ast';
import type { ModelInfo, TrainConfig } from './types';
import type { Err } from './train';

/** Checks the model and the data of a `loss: denoise` section. */
export function checkDenoise(_item: TrainDecl, _config: TrainConfig, _model: ModelInfo, _err: Err): void {
  // Filled in with the diffusion objective (in progress).
}
