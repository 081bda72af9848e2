/**
 * Greedy decoding for the attention view: the core's (runtime/decode.ts),
 * with the heads the user switched off still off (the answer of the model
 * whose heatmaps and output it shows).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../../extension/core/layers/types';
import type { BuiltModel } from '../../extension/core/runtime/build';
import { greedyDecode as decode, type GreedyDecoding } from '../../extension/core/runtime/decode';
import { headsOff, withHeadsOff, type HeadAblation } from './ablation';

export type { GreedyDecoding };

/**
 * Decodes `length` tokens for `source` (default: as many as the source has)
 * starting from `bos`. With `ablation`, every pass runs with its heads
 * switched off in `ablation.built` (the layers of `model`), as
 * probes/ablation.ts `withHeadsOff` does.
 */
export function greedyDecode(
  tf: Tf,
  model: tfTypes.LayersModel,
  source: readonly number[],
  bos: number,
  length = source.length,
  ablation?: { built: Pick<BuiltModel, 'layerPaths' | 'layerOf'>; off: HeadAblation },
): GreedyDecoding {
  if (ablation && headsOff(ablation.off) > 0) return withHeadsOff(ablation.built, ablation.off, () => decode(tf, model, source, bos, length));
  return decode(tf, model, source, bos, length);
}
