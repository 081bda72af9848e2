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

/**
 * Whether a layer applies by its name alone, with its defaults (`-> relu`;
 * also as the word a block parameter applied as a layer is given:
 * `b(act = gelu)` for `-> act`): it has no argument without a default and
 * merges no values (add, concat).
 */
export function appliesBare(spec: LayerSpec): boolean {
  for (const a of spec.args) {
    if (a.type === 'tensors' || (a.default === undefined && !a.optional && a.type !== 'tensor')) return false;
  }
  return true;
}

let bare: readonly string[] | undefined;

/** The names of the layers that apply by their name alone (see {@link appliesBare}), in registry order. */
export function bareLayerNames(): readonly string[] {
  bare ??= all.filter(appliesBare).map((l) => l.name);
  return bare;
}

export * from './types';
export { withDefaults, createLayerContext } from './context';
/** Names accepted by `activation=` arguments. */
export { ACTIVATIONS, type ActivationName } from './common';
/** The recurrent layers, and their gate blocks. */
export { isRecurrent, RECURRENT_GATES } from './recurrent';
