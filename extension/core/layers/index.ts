/**
 * The layer registry: every layer of the language, by name.
 */
import type { LayerSpec } from './types';

const all: LayerSpec[] = [];

export const LAYERS: ReadonlyMap<string, LayerSpec> = new Map(all.map((l) => [l.name, l]));

export function getLayer(name: string): LayerSpec | undefined {
  return LAYERS.get(name);
}

export * from './types';
export { withDefaults, createLayerContext } from './context';
