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
import { attentionLayers, attentionMaps, type AttentionMap } from './attention';

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

/**
 * The intact model's output for the input fed last, so that switching heads
 * off and on over the same input does not run the intact model again: a
 * pass with every head on remembers what it read, and a pass with heads off
 * reuses it. `key` says what was fed (equal keys: the same input tensors);
 * one per model and weights (the attention view makes one per render).
 */
export class IntactOutput {
  private last: { key: string; values: Float32Array } | undefined;

  /** The intact output remembered for `key`, if that was the input fed last. */
  get(key: string): Float32Array | undefined {
    return this.last?.key === key ? this.last.values : undefined;
  }

  remember(key: string, values: Float32Array): void {
    this.last = { key, values };
  }
}

/** What one update of the attention view reads: the heatmaps and output of the model with the heads off, and the intact output. */
export interface AblationPass {
  /** The heatmaps of the model with the heads of the ablation off. */
  maps: AttentionMap[];
  /** That model's output as `pick` read it, with its shape after the batch axis; undefined when `pick` gave nothing. */
  output: { values: Float32Array; shape: number[] } | undefined;
  /** With heads off (and an output): the intact model's output as `pick` reads it, what each change is measured against. */
  baseline: Float32Array | undefined;
}

/**
 * One update of the attention view for `inputs` (`key`: what they hold):
 * one pass of the model with the heads of `ablation` off, reading the
 * heatmaps and (`pick`, as for `ablatedOutput`) the output; with heads off,
 * also the intact output, taken from `intact` when the same input was
 * already run with every head on (else a second pass, remembered). No head
 * off: that one pass is the intact output, remembered for the next update.
 */
export function ablationPass(
  tf: Tf,
  model: tfTypes.LayersModel,
  built: Pick<BuiltModel, 'layerPaths' | 'layerOf'>,
  inputs: tfTypes.Tensor | tfTypes.Tensor[],
  ablation: HeadAblation,
  key: string,
  intact: IntactOutput,
  pick: (output: tfTypes.Tensor) => tfTypes.Tensor | undefined = (output) => tf.slice(output, 0, 1),
): AblationPass {
  let output: AblationPass['output'];
  const maps = withHeadsOff(built, ablation, () =>
    attentionMaps(tf, model, built, inputs, (out) => {
      const part = pick(out);
      if (part) output = { values: Float32Array.from(part.dataSync()), shape: part.shape.slice(1) };
    }),
  );
  if (!output) return { maps, output, baseline: undefined };
  if (headsOff(ablation) === 0) {
    intact.remember(key, output.values);
    return { maps, output, baseline: undefined };
  }
  let baseline = intact.get(key);
  if (!baseline) {
    baseline = ablatedOutput(tf, model, built, inputs, new Map(), pick);
    if (baseline) intact.remember(key, baseline);
  }
  return { maps, output, baseline };
}
