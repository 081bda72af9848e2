/** Queries over the graph IR that the analysis, the runtime, the exporter and the inspector share. */
import type { Graph } from './types';

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
