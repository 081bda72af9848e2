/**
 * How a `loss: adversarial(Discriminator)` train section fits its models:
 * a GAN's generator and the discriminator that judges its examples.
 */
import type { TrainDecl } from '../syntax/ast';
import type { ModelInfo, TrainConfig } from './types';
import type { Err } from './train';

/** Checks the generator, the discriminator and the data of a `loss: adversarial` section. */
export function checkAdversarial(_item: TrainDecl, _config: TrainConfig, _model: ModelInfo, _models: ReadonlyMap<string, ModelInfo>, _err: Err): void {
  // Filled in with the GAN objective (in progress).
}
