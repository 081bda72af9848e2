/**
 * Advice on models that analyse without errors: patterns that are valid but
 * almost surely not what the author meant. Each lint reports only when it is
 * certain, at the lowest severity shown in VS Code's Problems panel (`info`;
 * a `hint` is drawn only as dots under the text and is never listed).
 *
 * `layer.linear_stack`: two `dense` layers in a row with no activation on the
 * first and nothing between them compute one linear map,
 * W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂), with more parameters than the
 * single `dense` that computes the same.
 */
import { Sym } from './sym';
import { formatCount } from './display';
import type { Diagnostic, Graph, LayerNode, ModelInfo } from './types';

/** The advice for the models of one file (`uri`): only nodes written in this file are reported. */
export function lintModels(models: readonly ModelInfo[], uri: string | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  const graphs = new Set<Graph>();
  for (const m of models) {
    if (m.hasErrors) continue;
    // Counted only for a model with a candidate pair (most have none).
    let objects: Map<string, number> | undefined;
    const objectsOf = () => (objects ??= objectUses(m.graph));
    const visit = (g: Graph) => {
      if (graphs.has(g)) return;
      graphs.add(g);
      linearStacks(g, objectsOf, uri, (d) => {
        // A block body analysed once per instantiation reports once, the first instantiation's figures.
        const key = `${d.range.start.offset}|${d.range.end.offset}|${d.uri ?? ''}`;
        if (seen.has(key)) return;
        seen.add(key);
        out.push(d);
      });
      for (const n of g.nodes) if (n.kind === 'group') for (const run of n.runs) visit(run.body);
    };
    visit(m.graph);
  }
  return out;
}

/** How many times each layer object name is applied in `g` and its bodies (a shared object's weights serve several calls). */
function objectUses(g: Graph, counts = new Map<string, number>(), graphs = new Set<Graph>()): Map<string, number> {
  if (graphs.has(g)) return counts;
  graphs.add(g);
  for (const n of g.nodes) {
    if (n.kind === 'layer' && n.object !== undefined) counts.set(n.object, (counts.get(n.object) ?? 0) + 1);
    if (n.kind === 'group') for (const run of n.runs) objectUses(run.body, counts, graphs);
  }
  return counts;
}

/**
 * `dense(m) -> dense(k)` where the first has no activation, feeds only the
 * second (its value is used nowhere else, and it is not an output), and
 * neither is a layer object applied more than once. Anything between the two
 * (an activation, a normalisation, dropout, flatten, reshape, a merge) ends
 * the pattern. Reported only when the stack gains nothing over one
 * `dense(k)`: its width m is at least min(n, k) (n the input features), so
 * W₂W₁ can be any n×k matrix; a narrower middle is a low-rank bottleneck,
 * fewer parameters on purpose, and is left alone.
 */
function linearStacks(g: Graph, objectsOf: () => ReadonlyMap<string, number>, uri: string | undefined, report: (d: Diagnostic) => void): void {
  // Analysis runs on every keystroke: a graph without a dense fed by a dense (most) costs one pass and no maps.
  if (!g.nodes.some((n) => n.kind === 'layer' && n.op === 'dense' && n.inputs.length === 1 && isDense(nodeAt(g, n.inputs[0])))) return;
  const objects = objectsOf();
  const byId = new Map<number, Graph['nodes'][number]>();
  const uses = new Map<number, number>();
  for (const n of g.nodes) {
    byId.set(n.id, n);
    if (n.kind !== 'input') for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  }
  for (const o of g.outputs) uses.set(o, (uses.get(o) ?? 0) + 1);
  const local = (n: LayerNode) => n.uri === undefined || n.uri === uri;
  const single = (n: LayerNode) => n.object === undefined || objects.get(n.object) === 1;
  for (const second of g.nodes) {
    if (second.kind !== 'layer' || second.op !== 'dense' || second.inputs.length !== 1) continue;
    const first = byId.get(second.inputs[0]);
    if (!first || first.kind !== 'layer' || first.op !== 'dense' || uses.get(first.id) !== 1) continue;
    if (!isLinear(first) || !single(first) || !single(second) || !local(first) || !local(second)) continue;
    const input = byId.get(first.inputs[0]);
    const n = input?.shape.dims[input.shape.dims.length - 1]?.value;
    const m = first.args.units;
    const k = second.args.units;
    if (n === undefined || typeof m !== 'number' || typeof k !== 'number' || m < Math.min(n, k)) continue;
    const stacked = first.params.trainable.add(second.params.trainable);
    const bias = first.args.bias !== false || second.args.bias !== false;
    const one = Sym.of(n * k + (bias ? k : 0));
    // A layer object's label is 'd: dense(20)': written here as 'd (dense(20))'.
    const name = (x: LayerNode) => (x.object !== undefined ? `${x.object} (${x.label.replace(`${x.object}: `, '')})` : x.label);
    const a = name(first);
    const b = name(second);
    report({
      code: 'layer.linear_stack',
      severity: 'info',
      message:
        `${a} -> ${b} with no activation between them computes one linear map, ${collapse(first.args.bias !== false, second.args.bias !== false)}: ` +
        `${formatCount(stacked)} parameters that can do no more than one dense(${k}) does with ${formatCount(one)}. ` +
        `Add a nonlinearity between them (e.g. \`-> relu\`), or use one dense(${k}).`,
      range: second.range,
      fixes: [{ title: `Insert '-> relu' after ${first.object ?? a}`, edits: [{ range: { start: first.range.end, end: first.range.end }, newText: ' -> relu' }], preferred: true }],
      related: [{ message: `${a}, with no activation`, range: first.range }],
    });
  }
}

/** A dense layer without an activation of its own (`activation = none`, the default). */
function isLinear(n: LayerNode): boolean {
  const act = n.args.activation;
  return act === undefined || act === null || act === 'none';
}

/** The algebra of two dense layers in a row, with the biases they have: `W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂)`. */
function collapse(bias1: boolean, bias2: boolean): string {
  const inner = bias1 ? 'W₁x + b₁' : 'W₁x';
  const left = `W₂${bias1 ? `(${inner})` : inner}${bias2 ? ' + b₂' : ''}`;
  const shift = [bias1 ? 'W₂b₁' : '', bias2 ? 'b₂' : ''].filter(Boolean).join(' + ');
  return shift ? `${left} = (W₂W₁)x + ${bias1 && bias2 ? `(${shift})` : shift}` : `${left} = (W₂W₁)x`;
}

/** Node `id` of `g`: ids are the nodes' places in a graph as built, looked for only if not. */
function nodeAt(g: Graph, id: number): Graph['nodes'][number] | undefined {
  const n = g.nodes[id];
  return n !== undefined && n.id === id ? n : g.nodes.find((x) => x.id === id);
}

function isDense(n: Graph['nodes'][number] | undefined): boolean {
  return n !== undefined && n.kind === 'layer' && n.op === 'dense';
}
