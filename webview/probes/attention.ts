/**
 * Attention probabilities of every attention layer of a built model for one
 * example, as plain arrays for the heatmaps. Uses the layer's own kept
 * probabilities (`keepAttention` / `lastAttention()`, see
 * extension/core/layers/attention.ts), so what is drawn is exactly what the
 * forward pass used. No DOM; every tensor made here is disposed.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Graph } from '../../extension/core/analysis/types';
import { isAttentionLayer, type AttentionLayer } from '../../extension/core/layers/attention';
import type { Tf } from '../../extension/core/layers/types';
import { bodyPrefix, nodePath, type BuiltModel } from '../../extension/core/runtime/build';

/** The attention of one layer for one example. */
export interface AttentionMap {
  /** Node path of the (first) node applying the layer. */
  path: string;
  heads: number;
  /** Query positions (rows). */
  queries: number;
  /** Key positions (columns). */
  keys: number;
  /** Whether the layer hides later positions (cells above the diagonal are masked). */
  causal: boolean;
  /** Cross-attention: keys come from a `context` value. */
  cross: boolean;
  /** `[heads][queries][keys]` row-major; each row sums to 1. */
  data: Float32Array;
}

/** The distinct attention layers of a built model, in the order they are applied, with the first path of each. */
export function attentionLayers(built: Pick<BuiltModel, 'layerPaths' | 'layerOf'>): { path: string; layer: AttentionLayer }[] {
  const seen = new Set<AttentionLayer>();
  const out: { path: string; layer: AttentionLayer }[] = [];
  for (const path of built.layerPaths) {
    const layer = built.layerOf.get(path);
    if (!layer || !isAttentionLayer(layer) || seen.has(layer)) continue;
    seen.add(layer);
    out.push({ path, layer });
  }
  return out;
}

/**
 * Runs `model` on `inputs` (the first example is read) with every attention
 * layer keeping its probabilities, and returns them per layer. A layer
 * applied more than once (shared weights) reports its last application.
 * The layers' `keepAttention` is off again afterwards (their kept tensors
 * freed). `readOutput`, when given, sees the model's (first) output of that
 * same pass, inside its tidy (so the output strip needs no second pass).
 */
export function attentionMaps(
  tf: Tf,
  model: tfTypes.LayersModel,
  built: Pick<BuiltModel, 'layerPaths' | 'layerOf'>,
  inputs: tfTypes.Tensor | tfTypes.Tensor[],
  readOutput?: (output: tfTypes.Tensor) => void,
): AttentionMap[] {
  const layers = attentionLayers(built);
  const maps: AttentionMap[] = [];
  for (const { layer } of layers) layer.keepAttention = true;
  try {
    tf.tidy(() => {
      const out = model.predict(inputs);
      readOutput?.(Array.isArray(out) ? out[0] : out);
    });
    for (const { path, layer } of layers) {
      const probs = layer.lastAttention();
      if (!probs || probs.rank !== 4) continue;
      const [, heads, queries, keys] = probs.shape as [number, number, number, number];
      const data = tf.tidy(() => tf.slice(probs, [0, 0, 0, 0], [1, heads, queries, keys]).dataSync() as Float32Array);
      const config = layer.getConfig();
      maps.push({ path, heads, queries, keys, causal: config['causal'] === true, cross: config['hasContext'] === true, data: Float32Array.from(data) });
    }
  } finally {
    for (const { layer } of layers) layer.keepAttention = false;
  }
  return maps;
}

/** Which model input (port) lays out the positions along each axis of an attention node. */
export interface AttentionSources {
  /** Port of the model input whose positions the queries (rows) follow, if traced. */
  query?: number;
  /** Port of the model input whose positions the keys (columns) follow, if traced. */
  key?: number;
}

/**
 * For every attention node path, the model input whose token positions its
 * queries and keys follow. Positions are traced back along each node's
 * first input (a layer's output positions are its first input's), except
 * that an attention's keys follow its `context` (second input). A group
 * body's input port p follows the group's p-th input. Used to label heatmap
 * axes with the right text in models with two token inputs.
 */
export function attentionSources(graph: Graph): Map<string, AttentionSources> {
  const out = new Map<string, AttentionSources>();
  walk(graph, '', (port) => port, out);
  return out;
}

function walk(graph: Graph, prefix: string, inputSource: (port: number) => number | undefined, out: Map<string, AttentionSources>): Map<number, number | undefined> {
  const source = new Map<number, number | undefined>();
  const of = (id: number | undefined) => (id === undefined ? undefined : source.get(id));
  for (const node of graph.nodes) {
    const path = nodePath(prefix, node.id);
    if (node.kind === 'input') {
      source.set(node.id, inputSource(node.port));
    } else if (node.kind === 'layer') {
      source.set(node.id, of(node.inputs[0]));
      if (node.op === 'attention') {
        const cross = node.args['context'] != null && node.inputs.length > 1;
        out.set(path, { query: of(node.inputs[0]), key: cross ? of(node.inputs[1]) : of(node.inputs[0]) });
      }
    } else {
      const inner = (port: number) => of(node.inputs[port]);
      let last: number | undefined = of(node.inputs[0]);
      node.runs.forEach((run, r) => {
        for (let rep = 0; rep < run.count; rep++) {
          const body = walk(run.body, bodyPrefix(path, r, rep), inner, out);
          last = body.get(run.body.outputs[0]);
        }
      });
      source.set(node.id, last);
    }
  }
  return source;
}
