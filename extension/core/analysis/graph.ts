/** Queries over the graph IR that the analysis, the runtime, the exporter and the inspector share. */
import type { Graph, LayerNode } from './types';

/**
 * The smallest `vocab` of the embeddings anywhere in the graph, group bodies
 * included: token ids fed to the model must stay below it. Undefined when
 * the graph has no embedding.
 */
export function smallestVocab(g: Graph): number | undefined {
  let best: number | undefined;
  for (const n of g.nodes) {
    if (n.kind === 'layer' && n.op === 'embedding' && typeof n.args.vocab === 'number') best = Math.min(best ?? Infinity, n.args.vocab);
    if (n.kind === 'group') {
      for (const r of n.runs) {
        const v = smallestVocab(r.body);
        if (v !== undefined) best = Math.min(best ?? Infinity, v);
      }
    }
  }
  return best;
}

/**
 * The layer objects visible where one graph instance is built or written
 * (the runtime's layers, the exporter's modules): a block body's scope sees
 * its callers'. Objects are keyed by their id (`LayerNode.objectId`; their
 * name in a graph made without ids).
 */
export interface ObjectScope<T> {
  parent?: ObjectScope<T>;
  objects: Map<string, T>;
  /** The objects this instance's graph defines (`Graph.objects`). */
  defines?: readonly string[];
}

/** Object `key` in `scope` or an enclosing one. */
export function lookupObject<T>(scope: ObjectScope<T> | undefined, key: string): T | undefined {
  for (let s = scope; s; s = s.parent) {
    const o = s.objects.get(key);
    if (o !== undefined) return o;
  }
  return undefined;
}

/** The scope that keeps object `key`: the one whose graph defines it, else the outermost (a model's objects). */
export function objectHome<T>(scope: ObjectScope<T>, key: string): ObjectScope<T> {
  let s = scope;
  while (!s.defines?.includes(key) && s.parent) s = s.parent;
  return s;
}

/**
 * The inputs of a layer node that carry values into it: all but the token
 * ids of an attention's padding mask (`pad_mask =`, its last input), which
 * only hide keys. `ins` is anything per input, in the node's input order.
 */
export function valueInputs<T>(node: LayerNode, ins: readonly T[]): readonly T[] {
  return node.op === 'attention' && node.args.pad_mask != null ? ins.slice(0, -1) : ins;
}
