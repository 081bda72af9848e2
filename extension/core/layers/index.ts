/**
 * The layer registry: every layer of the language, by name.
 */
import { activationLayers } from './activation';
import { augmentLayers } from './augment';
import { convLayers } from './conv';
import { denseLayers } from './dense';
import { mergeLayers } from './merge';
import { normLayers } from './norm';
import { poolLayers } from './pool';
import { reduceLayers } from './reduce';
import { regularizationLayers } from './regularization';
import { sequenceLayers } from './sequence';
import { shapeLayers } from './shape';
import type { LayerSpec } from './types';

const all: LayerSpec[] = [
  ...denseLayers,
  ...convLayers,
  ...poolLayers,
  ...normLayers,
  ...activationLayers,
  ...shapeLayers,
  ...regularizationLayers,
  ...augmentLayers,
  ...mergeLayers,
  ...reduceLayers,
  ...sequenceLayers,
];

export const LAYERS: ReadonlyMap<string, LayerSpec> = new Map(all.map((l) => [l.name, l]));

export function getLayer(name: string): LayerSpec | undefined {
  return LAYERS.get(name);
}

export * from './types';
export { withDefaults, createLayerContext } from './context';
/** Names accepted by `activation=` arguments. */
export { ACTIVATIONS, type ActivationName } from './common';
/** The recurrent layers, and their gate blocks. */
export { isRecurrent, RECURRENT_GATES } from './recurrent';
