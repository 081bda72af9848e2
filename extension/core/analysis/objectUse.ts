/**
 * Layer objects that a layer argument names but that the model never
 * applies: `e = embedding(10, 8)` … `output a -> unembed(e)` with no `-> e`.
 *
 * `unembed(e)` reuses `e`'s table; the table is a weight of the model, and is
 * counted, at `e`'s application (before or after the `unembed`). With no
 * application anywhere there is nothing to tie to: the table would be counted
 * nowhere and TensorFlow.js would not hold it as a model weight (never
 * trained, never saved). The analysis reports it (`object.unapplied`), so
 * the model has errors, which the tfjs build and the PyTorch export refuse.
 */
import { LAYERS } from '../layers';
import type { LayerRef } from '../layers/types';
import type { Graph, LayerNode } from './types';

/** Layers with an argument that names a layer object (`unembed`): only their nodes' arguments are read. */
let refOps: ReadonlySet<string> | undefined;
function takesObject(op: string): boolean {
  refOps ??= new Set([...LAYERS.values()].filter((s) => s.args.some((a) => a.type === 'layer')).map((s) => s.name));
  return refOps.has(op);
}

export interface UnappliedObjectUse {
  /** The node whose argument names the object (`unembed(e)`). */
  node: LayerNode;
  ref: LayerRef;
  message: string;
}

function isLayerRef(v: unknown): v is LayerRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { kind?: unknown }).kind === 'layerRef';
}

/** Every layer node of `graph` and of the bodies of its groups (blocks, repeats, models used as layers). */
function eachLayer(graph: Graph, visit: (n: LayerNode) => void, seen = new Set<Graph>()): void {
  if (seen.has(graph)) return;
  seen.add(graph);
  for (const n of graph.nodes) {
    if (n.kind === 'layer') visit(n);
    else if (n.kind === 'group') for (const run of n.runs) eachLayer(run.body, visit, seen);
  }
}

/** What to say about `op(name)` when `name` is never applied. */
export function unappliedObjectMessage(op: string, ref: LayerRef): string {
  const { name } = ref;
  if (ref.layer === 'embedding' && typeof ref.args.vocab === 'number' && typeof ref.args.dim === 'number') {
    return (
      `${op}(${name}) reuses the table of '${name}', but '${name}' is never applied, so there is nothing to tie it to ` +
      `and its ${ref.args.vocab}×${ref.args.dim} table would be a weight of no layer (counted nowhere, never trained or saved). ` +
      `Apply it to the token ids (\`h = tokens -> ${name}\`), or, for an output projection of its own, ` +
      `use \`dense(${ref.args.vocab}, bias = false)\`.`
    );
  }
  return `${op}(${name}) uses the weights of '${name}', but '${name}' is never applied in this model; apply it (\`-> ${name}\`) first.`;
}

/**
 * The uses of layer objects (`unembed(e)`) in the model whose graph is
 * `graph`, for objects that no node of it (its group bodies included)
 * applies. Objects are matched by name, as the runtime and the export
 * resolve them. Empty for a model that applies every object it names.
 */
export function unappliedObjectUses(graph: Graph): UnappliedObjectUse[] {
  let refs: { node: LayerNode; ref: LayerRef }[] | undefined;
  const applied = new Set<string>();
  eachLayer(graph, (n) => {
    if (n.object !== undefined) applied.add(n.object);
    if (!takesObject(n.op)) return;
    for (const v of Object.values(n.args)) if (isLayerRef(v)) (refs ??= []).push({ node: n, ref: v });
  });
  if (refs === undefined) return [];
  const out: UnappliedObjectUse[] = [];
  for (const r of refs) if (!applied.has(r.ref.name)) out.push({ ...r, message: unappliedObjectMessage(r.node.op, r.ref) });
  return out;
}
