/**
 * The two sides of an encoder-decoder, read from its graph: which model
 * inputs reach its output through the queries (the decoder's side: the
 * output runs along its positions) and which only as a cross-attention's
 * `context =` (the encoder's side), and which inputs feed a causal or a
 * non-causal self-attention on their way (a decoder's and an encoder's
 * mark). `train.input_order` words its hint from these.
 */
import type { Graph, GroupNode, LayerNode, ModelInfo } from './types';
import { valueInputs } from './graph';

/** What reaches one value. */
export interface Sides {
  /** Inputs that reach the value without passing through a cross-attention's `context =`: the ones whose positions it follows. */
  query: ReadonlySet<string>;
  /** Inputs that reach it only as a cross-attention's context, each with the first such attention on the way. */
  context: ReadonlyMap<string, LayerNode>;
}

export interface InputSides {
  /** Of the model's first output. */
  output: Sides;
  /** Inputs that reach a causal self-attention as its queries: a decoder's mark. */
  causal: ReadonlySet<string>;
  /** Inputs that reach a self-attention without `causal = true` as its queries: an encoder's mark (a decoder's would read the answer). */
  full: ReadonlySet<string>;
  /** Each attention with a padding mask (`pad_mask =`), with the inputs its token ids come from. */
  padMasks: ReadonlyMap<LayerNode, ReadonlySet<string>>;
}

const NONE: Sides = { query: new Set(), context: new Map() };

/** Node visits one walk may make; past it, a repeat's later copies are not walked (their sides are the first copies'). */
const VISIT_BUDGET = 200_000;

/** The union of what reaches several values (a sum, a concatenation): an input reaching one of them through the queries is no longer context-only. */
function merge(all: readonly Sides[]): Sides {
  if (all.length === 1) return all[0];
  const query = new Set<string>();
  for (const s of all) for (const q of s.query) query.add(q);
  const context = new Map<string, LayerNode>();
  for (const s of all) for (const [name, at] of s.context) if (!query.has(name) && !context.has(name)) context.set(name, at);
  return { query, context };
}

/** A cross-attention: its output follows its queries; what reaches its context comes in as context only. */
function cross(node: LayerNode, q: Sides, c: Sides): Sides {
  const context = new Map<string, LayerNode>();
  for (const [name, at] of q.context) context.set(name, at);
  for (const name of c.query) if (!q.query.has(name) && !context.has(name)) context.set(name, node);
  for (const [name, at] of c.context) if (!q.query.has(name) && !context.has(name)) context.set(name, at);
  return { query: q.query, context };
}

function same(a: Sides, b: Sides): boolean {
  if (a.query.size !== b.query.size || a.context.size !== b.context.size) return false;
  for (const q of a.query) if (!b.query.has(q)) return false;
  for (const c of a.context.keys()) if (!b.context.has(c)) return false;
  return true;
}

/**
 * The sides of `model`'s inputs, through block bodies and repeats (a
 * repeat's copies chain through the block's first input; the others are
 * given to every copy).
 */
export function inputSides(model: ModelInfo): InputSides {
  const causal = new Set<string>();
  const full = new Set<string>();
  const padMasks = new Map<LayerNode, Set<string>>();
  let budget = VISIT_BUDGET;
  const walk = (g: Graph, ports: readonly Sides[]): Sides[] => {
    const at = new Map<number, Sides>();
    budget -= g.nodes.length;
    for (const n of g.nodes) {
      let s: Sides;
      if (n.kind === 'input') s = ports[n.port] ?? NONE;
      else {
        const ins = n.inputs.map((id) => at.get(id) ?? NONE);
        if (n.kind === 'layer' && n.op === 'attention' && n.args.pad_mask != null && ins.length > 0) {
          const ids = ins[ins.length - 1];
          const from = padMasks.get(n) ?? new Set<string>();
          for (const q of ids.query) from.add(q);
          for (const c of ids.context.keys()) from.add(c);
          padMasks.set(n, from);
        }
        if (n.kind === 'group') s = group(n, ins);
        else if (n.op === 'attention' && n.args.context != null) s = cross(n, ins[0], ins[1]);
        else {
          const vals = valueInputs(n, ins);
          s = vals.length === 0 ? NONE : merge(vals);
          if (n.op === 'attention') for (const q of s.query) (n.args.causal === true ? causal : full).add(q);
        }
      }
      at.set(n.id, s);
    }
    return g.outputs.map((id) => at.get(id) ?? NONE);
  };
  const group = (n: GroupNode, ins: readonly Sides[]): Sides => {
    let cur = ins[0] ?? NONE;
    const extra = ins.slice(1);
    for (const run of n.runs) {
      for (let i = 0; i < run.count && budget >= run.body.nodes.length; i++) {
        const next = walk(run.body, [cur, ...extra])[0] ?? NONE;
        // The next copy, given what this one was given, gives it again.
        const settled = same(cur, next);
        cur = next;
        if (settled) break;
      }
    }
    return cur;
  };
  const ports = model.graph.inputs.map((id): Sides => {
    const node = model.graph.nodes.find((x) => x.id === id);
    return node?.kind === 'input' ? { query: new Set([node.name]), context: new Map() } : NONE;
  });
  const outputs = walk(model.graph, ports);
  const first = model.outputs[0] ? model.graph.outputs.indexOf(model.outputs[0].nodeId) : -1;
  return { output: outputs[first] ?? NONE, causal, full, padMasks };
}
