/**
 * Head ablation for the attention view: run the model with some heads of
 * some attention layers switched off, i.e. their output (their slice of the
 * heads' concatenation) zeroed before the layer's output projection. Uses
 * the layer's own `ablatedHeads` (extension/core/layers/attention.ts), set
 * only for the duration of one call and cleared afterwards, so the other
 * views and training never see an ablated model. No DOM; every tensor made
 * here is disposed.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { AttentionLayer } from '../../extension/core/layers/attention';
import type { Tf } from '../../extension/core/layers/types';
import type { BuiltModel } from '../../extension/core/runtime/build';
import { attentionLayers } from './attention';

/** Heads switched off (0-based), by attention layer path (the first path of each layer, as `attentionLayers` gives it). */
export type HeadAblation = ReadonlyMap<string, ReadonlySet<number>>;

/** How many heads `ablation` switches off. */
export function headsOff(ablation: HeadAblation): number {
  let n = 0;
  for (const heads of ablation.values()) n += heads.size;
  return n;
}

/**
 * What an ablation is kept for across re-renders: the model's name and its
 * attention layers' paths and head counts. Equal keys: the same layers at
 * the same places, so switched-off heads stay switched off; an edit that
 * moves them (a layer inserted before renumbers the paths) changes the key.
 */
export function ablationKey(model: string, layers: readonly { path: string; layer: AttentionLayer }[]): string {
  return `${model}|${layers.map(({ path, layer }) => `${path}:${Number(layer.getConfig()['heads'])}`).join(',')}`;
}

/**
 * `ablation` restricted to the attention layers of `built` and the heads
 * they have: what is left of the switched-off heads after the model changed
 * (a layer removed, fewer heads). Layers with no head off are left out.
 */
export function validAblation(built: Pick<BuiltModel, 'layerPaths' | 'layerOf'>, ablation: HeadAblation): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const { path, layer } of attentionLayers(built)) {
    const heads = ablation.get(path);
    if (!heads) continue;
    const n = Number(layer.getConfig()['heads']);
    const kept = new Set([...heads].filter((h) => Number.isInteger(h) && h >= 0 && h < n));
    if (kept.size > 0) out.set(path, kept);
  }
  return out;
}

/**
 * Calls `fn` with the heads of `ablation` switched off in `built`'s
 * attention layers, and switches them on again afterwards (also when `fn`
 * throws). A path that names no attention layer of `built`, or a head it
 * does not have, throws before anything is switched.
 */
export function withHeadsOff<T>(built: Pick<BuiltModel, 'layerPaths' | 'layerOf'>, ablation: HeadAblation, fn: () => T): T {
  const byPath = new Map(attentionLayers(built).map(({ path, layer }) => [path, layer]));
  const set: { layer: AttentionLayer; heads: number[] }[] = [];
  for (const [path, heads] of ablation) {
    if (heads.size === 0) continue;
    const layer = byPath.get(path);
    if (!layer) throw new Error(`no attention layer at node ${path}`);
    set.push({ layer, heads: [...heads] });
  }
  const previous = set.map(({ layer }) => layer.ablatedHeads);
  try {
    for (const { layer, heads } of set) layer.ablatedHeads = heads;
    return fn();
  } finally {
    set.forEach(({ layer }, i) => (layer.ablatedHeads = previous[i]));
  }
}

/**
 * The model's first output for the first example of `inputs`, flattened,
 * with the heads of `ablation` switched off (none: the intact model).
 * `pick`, when given, reads a part of that output inside the tidy (the
 * next-token row of a language model) instead of all of it; when it gives
 * nothing (no such part), so does this.
 */
export function ablatedOutput(
  tf: Tf,
  model: tfTypes.LayersModel,
  built: Pick<BuiltModel, 'layerPaths' | 'layerOf'>,
  inputs: tfTypes.Tensor | tfTypes.Tensor[],
  ablation: HeadAblation,
  pick: (output: tfTypes.Tensor) => tfTypes.Tensor | undefined = (output) => tf.slice(output, 0, 1),
): Float32Array | undefined {
  return withHeadsOff(built, ablation, () => {
    let values: Float32Array | undefined;
    tf.tidy(() => {
      const out = model.predict(inputs);
      const part = pick(Array.isArray(out) ? out[0] : out);
      values = part && Float32Array.from(part.dataSync());
    });
    return values;
  });
}
