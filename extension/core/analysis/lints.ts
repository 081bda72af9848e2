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
 *
 * `layer.no_position`: self-attention is permutation-equivariant. Fed
 * embedded tokens with nothing that tells their positions apart, it sees a
 * bag of words: reordering the tokens only reorders its outputs, and a mean
 * over the positions after it is the same for every order.
 */
import { SINUSOIDAL_DEFAULT_MAXLEN } from '../layers/embedding';
import { getLayer } from '../layers';
import { Sym, type Shape } from './sym';
import { formatCount } from './display';
import { modelFields, positionAxes, type Field } from './receptive';
import { callAt } from './callArgs';
import type { Diagnostic, Fix, Graph, GraphNode, GroupNode, LayerNode, ModelInfo, TextEdit } from './types';
import type { Arg, BlockDecl, CallExpr, Expr, InputStmt, ModelDecl, Position, Range, SourceFile } from '../syntax/ast';
import { forEachChild } from '../syntax/children';
import { callText } from './siteOutcomes';
import { valueInputs } from './graph';

/**
 * The advice for the models of one file (`uri`): only nodes written in this
 * file are reported. `text`, the file's source, lets a fix edit a call
 * written over several lines.
 */
export function lintModels(
  models: readonly ModelInfo[],
  uri: string | undefined,
  file?: SourceFile,
  /** Whether the graphs and trees may be linted again (an editor session): what is read from them is then kept. */
  keep = true,
): Diagnostic[] {
  const text = file?.text;
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  // A block body analysed once per instantiation, or used by several models, reports once: the first instantiation's figures.
  const report = (d: Diagnostic) => {
    const key = `${d.code}|${d.range.start.offset}|${d.range.end.offset}|${d.uri ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(d);
  };
  const walk = new GraphWalk(uri, report, file, keep);
  if (file !== undefined) residualActivations(file, report, keep);
  for (let i = 0; i < models.length; i++) {
    const m = models[i];
    // Also on a model with errors: a channels-first input is what makes its later layers fail.
    if (file !== undefined && (m.uri === undefined || m.uri === uri)) {
      channelsFirst(m, file, report);
      batchAxis(m, file, report);
    }
    if (m.hasErrors) continue;
    if (file !== undefined) denseOnPositions(m, file, uri, report);
    walk.model(m, i);
    if (walk.embedding && walk.attention) unorderedAttention(m, uri, report, text);
  }
  return out;
}

/**
 * One pass over the graphs of each model (its bodies included) that runs
 * `linearStacks` on each graph the first time any model reaches it, in
 * pre-order, and notes whether the model has what `layer.no_position` needs
 * (an embedding, and a self-attention that could see a bag of tokens). A
 * graph is read once per model, and its nodes once when nothing in it is
 * to lint (most): analysis runs on every keystroke.
 */
class GraphWalk {
  /** By graph, the index of the last model that reached it: absent, the graph was never linted. */
  private readonly visited = new Map<Graph, number>();
  private current: ModelInfo | undefined;
  private index = -1;
  /** Layer object uses of the current model, counted when a graph has a candidate pair (see `objectsOf`). */
  private objects: Map<string, number> | undefined;
  embedding = false;
  attention = false;

  private readonly text: string | undefined;

  constructor(
    private readonly uri: string | undefined,
    private readonly report: (d: Diagnostic) => void,
    private readonly file?: SourceFile,
    /** Keep each graph's facts (see `factsOf`). */
    private readonly keep = true,
  ) {
    this.text = file?.text;
  }

  model(m: ModelInfo, index: number): void {
    this.current = m;
    this.index = index;
    this.objects = undefined;
    this.embedding = false;
    this.attention = false;
    this.visit(m.graph);
  }

  private readonly objectsOf = (): ReadonlyMap<string, number> => (this.objects ??= objectUses(this.current!.graph));

  /** `holdsAlibi` by graph, for this pass. */
  private alibi: Map<Graph, boolean> | undefined;

  /**
   * Whether `g` or a body below it holds an attention with `position =
   * alibi`: without one, `positionalBeforeAlibi` has nothing to report, and
   * its walk (which indexes every graph it enters by consumer) is skipped.
   */
  private holdsAlibi(g: Graph): boolean {
    const memo = (this.alibi ??= new Map());
    let r = memo.get(g);
    if (r !== undefined) return r;
    // False while `g` is being read: a body is never its own ancestor, but the answer is then safe anyway.
    memo.set(g, false);
    r = false;
    for (const n of g.nodes) {
      if (n.kind === 'layer' ? n.op === 'attention' && n.args.position === 'alibi' : n.kind === 'group' && n.runs.some((run) => this.holdsAlibi(run.body))) {
        r = true;
        break;
      }
    }
    memo.set(g, r);
    return r;
  }

  private visit(g: Graph): void {
    const last = this.visited.get(g);
    if (last === this.index) return;
    this.visited.set(g, this.index);
    const f = factsOf(g, this.keep);
    if (f.embedding) this.embedding = true;
    if (f.attention) this.attention = true;
    // A graph another model reached first was linted then, and so were the graphs below it.
    if (last === undefined) {
      if (f.reshapes !== undefined) for (const n of f.reshapes) batchInShape(n, this.uri, this.report, this.text);
      if (f.pair) linearStacks(g, this.objectsOf, this.uri, this.report);
      if (f.cross !== undefined && this.file !== undefined) for (const n of f.cross) crossAttention(n, this.current!, this.file, this.uri, this.report);
      if (f.softmaxes !== undefined) for (const n of f.softmaxes) doubleSoftmax(n, g, this.file, this.uri, this.report);
      if (f.ones !== undefined) for (const n of f.ones) softmaxOfOne(n, this.file, this.uri, this.report);
      if (f.positionals !== undefined && g === this.current!.graph && this.holdsAlibi(g)) for (const n of f.positionals) positionalBeforeAlibi(n, g, this.current!, this.file, this.uri, this.report);
    }
    if (f.bodies !== undefined) for (const b of f.bodies) this.visit(b);
  }
}

/** What the lints look for in one graph, read from its nodes once: graphs never change, and a session replays them. */
interface GraphFacts {
  /** A dense fed by a dense (see `linearStacks`). */
  pair: boolean;
  embedding: boolean;
  /** A self-attention that could see a bag of tokens (see `unorderedAttention`). */
  attention: boolean;
  reshapes: LayerNode[] | undefined;
  /** Cross-attentions with `causal = true` or `position = alibi` (see `crossAttention`). */
  cross: LayerNode[] | undefined;
  /** Softmax layers fed by a softmax (see `doubleSoftmax`). */
  softmaxes: LayerNode[] | undefined;
  /** Softmaxes over an axis of one value (see `softmaxOfOne`). */
  ones: LayerNode[] | undefined;
  /** `positional` layers (see `positionalBeforeAlibi`). */
  positionals: LayerNode[] | undefined;
  /** The bodies of its groups, in order (a body may repeat). */
  bodies: Graph[] | undefined;
}

const graphFacts = new WeakMap<Graph, GraphFacts>();

/**
 * The facts of `g`, kept when `keep` (an editor session replays graphs); a
 * one-off analysis keeps nothing: entries of a WeakMap whose keys die with
 * the analysis cost the garbage collector more than reading the nodes again.
 */
function factsOf(g: Graph, keep: boolean): GraphFacts {
  let f = keep ? graphFacts.get(g) : undefined;
  if (f !== undefined) return f;
  f = { pair: false, embedding: false, attention: false, reshapes: undefined, cross: undefined, softmaxes: undefined, ones: undefined, positionals: undefined, bodies: undefined };
  const nodes = g.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (n.kind === 'layer') {
      if (n.op === 'dense') {
        if (!f.pair && n.inputs.length === 1 && isDense(nodeAt(g, n.inputs[0]))) f.pair = true;
      } else if (n.op === 'embedding') f.embedding = true;
      else if (n.op === 'attention') {
        if (n.args.context == null && n.args.causal !== true && n.args.position !== 'alibi') f.attention = true;
        else if (n.args.context != null && (n.args.causal === true || n.args.position === 'alibi')) (f.cross ??= []).push(n);
      }
      else if (n.op === 'reshape') (f.reshapes ??= []).push(n);
      else if (n.op === 'positional') (f.positionals ??= []).push(n);
      else if (n.op === 'softmax' && n.inputs.length === 1 && endsInSoftmax(nodeAt(g, n.inputs[0]))) (f.softmaxes ??= []).push(n);
      if (endsInSoftmax(n) && n.shape.dims[softmaxAxis(n)]?.value === 1) (f.ones ??= []).push(n);
    } else if (n.kind === 'group') for (const run of n.runs) (f.bodies ??= []).push(run.body);
  }
  if (keep) graphFacts.set(g, f);
  return f;
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
  // Called only for a graph with a dense fed by a dense (see GraphWalk): most have none, and cost no maps.
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

/**
 * `layer.batch_axis`: `reshape([-1, 784])`, PyTorch's `x.view(-1, 784)`,
 * whose -1 there stood for the batch. Here shapes leave the batch out, so
 * the -1 takes what is left, 1: the output is `[1, 784]`, an axis no one
 * meant. The fix removes it (`reshape([784])`).
 */
function batchInShape(n: LayerNode, uri: string | undefined, report: (d: Diagnostic) => void, text: string | undefined): void {
  const shape = n.args.shape;
  if (!Array.isArray(shape) || shape.length < 2 || shape[0] !== -1 || n.shape.dims[0]?.value !== 1 || !(n.uri === undefined || n.uri === uri)) return;
  const meant = `reshape([${shape.slice(1).join(', ')}])`;
  let fixes: Fix[] | undefined;
  const m = text === undefined ? null : /^reshape\(\s*\[(\s*-1\s*,\s*)/.exec(text.slice(n.range.start.offset, n.range.end.offset));
  if (m && !m[0].includes('\n')) {
    const at = m[0].length - m[1].length;
    const pos = (k: number): Position => ({ line: n.range.start.line, character: n.range.start.character + k, offset: n.range.start.offset + k });
    fixes = [{ title: `Change to ${meant}`, edits: [{ range: { start: pos(at), end: pos(m[0].length) }, newText: '' }], preferred: true }];
  }
  report({
    code: 'layer.batch_axis',
    severity: 'info',
    message: `reshape([${shape.join(', ')}]) gives [1, ${shape.slice(1).join(', ')}]: shapes here leave the batch out, so the -1 (PyTorch's view(-1, …) batch) takes what is left, 1. Did you mean ${meant}?`,
    range: n.range,
    ...(fixes ? { fixes } : {}),
  });
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

// ------------------------------------------------------------------ layer.positional_alibi

/** Node visits one search from a positional layer may make (blocks repeated many times are walked once per body). */
const ALIBI_VISIT_BUDGET = 20_000;

/**
 * Whether the value of node `id` of `g` reaches an attention, and every
 * attention it reaches (directly or through any layers, into block bodies
 * and out of them again, each run's body once) is an ALiBi self-attention:
 * the first of them, else undefined. Undefined too when the value leaves
 * a block body whose caller is not known here, or past the budget.
 */
function onlyAlibiAfter(g: Graph, id: number): LayerNode | undefined {
  const consumers = new Map<Graph, Map<number, GraphNode[]>>();
  const usersOf = (graph: Graph, from: number): readonly GraphNode[] => {
    let m = consumers.get(graph);
    if (!m) {
      m = new Map();
      for (const n of graph.nodes) if (n.kind !== 'input') for (const i of n.inputs) m.get(i)?.push(n) ?? m.set(i, [n]);
      consumers.set(graph, m);
    }
    return m.get(from) ?? [];
  };
  const seen = new Map<Graph, Set<number>>();
  let budget = ALIBI_VISIT_BUDGET;
  let first: LayerNode | undefined;
  let fail = false;
  // Depth-first with an explicit stack of [graph, node id, continuation when a body's output is reached].
  type Exit = { graph: Graph; id: number; exit: Exit | undefined } | undefined;
  const stack: [Graph, number, Exit][] = [[g, id, undefined]];
  while (stack.length > 0 && !fail) {
    const [graph, from, exit] = stack.pop()!;
    let ids = seen.get(graph);
    if (!ids) seen.set(graph, (ids = new Set()));
    if (ids.has(from)) continue;
    ids.add(from);
    if (--budget < 0) return undefined;
    if (graph.outputs.includes(from)) {
      if (exit) stack.push([exit.graph, exit.id, exit.exit]);
      else if (graph !== g) return undefined;
    }
    for (const n of usersOf(graph, from)) {
      if (n.kind === 'layer') {
        if (n.op === 'attention') {
          // Causal only: ALiBi's −m·|i − j| is the same to the left and to the right, so without a mask (or positions)
          // an attention cannot tell which way a token lies (its output only mirrors a reversed input).
          if (n.args.position !== 'alibi' || n.args.context != null || n.args.causal !== true) fail = true;
          first ??= n;
        }
        stack.push([graph, n.id, exit]);
      } else if (n.kind === 'group') {
        n.inputs.forEach((input, port) => {
          if (input !== from) return;
          for (const run of n.runs) {
            const inner = run.body.inputs[port];
            if (inner !== undefined) stack.push([run.body, inner, { graph, id: n.id, exit }]);
          }
        });
      }
    }
  }
  return fail ? undefined : first;
}

/**
 * `layer.positional_alibi`: `-> positional(...)` whose value reaches
 * attentions that all use `position = alibi` (causal self-attentions). ALiBi tells
 * positions apart by their distance in every such attention, so the
 * positional embedding adds nothing they need (Press et al. add none: "we do
 * not add positional embeddings"), and a learned table caps the length at
 * its maxlen, which ALiBi was made to extrapolate past. Info on the
 * positional call, the first ALiBi attention related; the fix removes the
 * call from its chain. Not when any attention it reaches has no ALiBi or is
 * a cross-attention (the positions may be what it reads), nor for a
 * positional written in a block (its uses are outside it).
 */
function positionalBeforeAlibi(n: LayerNode, g: Graph, model: ModelInfo, file: SourceFile | undefined, uri: string | undefined, report: (d: Diagnostic) => void): void {
  if (!(n.uri === undefined || n.uri === uri) || g !== model.graph) return;
  const first = onlyAlibiAfter(g, n.id);
  if (!first) return;
  const learned = n.args.kind === 'learned' && typeof n.args.maxlen === 'number';
  const fix = removeFromChain(file?.text, n, `Remove ${n.label}`, g, file);
  report({
    code: 'layer.positional_alibi',
    severity: 'info',
    message:
      `${n.label} adds position embeddings, but every attention it reaches uses position = alibi (${first.label}), which tells positions apart by their distance: ` +
      `ALiBi replaces positional embeddings (Press et al. add none)${learned ? `, and a learned table also caps the sequence at maxlen = ${n.args.maxlen}, where ALiBi would run longer` : ''}. ` +
      `Remove ${n.label}.`,
    range: n.range,
    ...(fix ? { fixes: [fix] } : {}),
    related: [{ message: `${first.label} uses ALiBi`, range: first.range, ...(first.uri !== undefined ? { uri: first.uri } : {}) }],
  });
}

// ------------------------------------------------------------------ layer.double_softmax

/** A softmax layer, or a layer with `activation = softmax` (over its last axis). */
function endsInSoftmax(n: Graph['nodes'][number] | undefined): n is LayerNode {
  return n !== undefined && n.kind === 'layer' && (n.op === 'softmax' || n.args.activation === 'softmax');
}

/** The axis a softmax layer normalises, counted from 0; `activation = softmax` normalises the last. */
function softmaxAxis(n: LayerNode): number {
  const rank = n.shape.dims.length;
  const axis = n.op === 'softmax' && typeof n.args.axis === 'number' ? n.args.axis : -1;
  return axis < 0 ? axis + rank : axis;
}

/**
 * `layer.double_softmax`: `dense(10, activation = softmax) -> softmax`, or
 * `softmax -> softmax` over the same axis. The second gets probabilities,
 * values in [0, 1] that sum to 1, whose exponentials are at most e apart:
 * over n values none can get more than e / (e + n − 1), so a classifier's
 * crossentropy cannot fall below ln(e + n − 1) − 1 and training stalls.
 * Only when the second is fed directly by the first, written in this file.
 * A warning on the second, with the fix that removes it (when it is written
 * as `-> softmax` after a value), and one that removes `activation =
 * softmax` from the first.
 */
function doubleSoftmax(second: LayerNode, g: Graph, file: SourceFile | undefined, uri: string | undefined, report: (d: Diagnostic) => void): void {
  const first = nodeAt(g, second.inputs[0]);
  if (!endsInSoftmax(first) || softmaxAxis(first) !== softmaxAxis(second)) return;
  if (!(second.uri === undefined || second.uri === uri) || !(first.uri === undefined || first.uri === uri)) return;
  const size = second.shape.dims[softmaxAxis(second)]?.value;
  if (size === 1) return;
  const bound =
    size === undefined
      ? 'and squashes them towards uniform (their exponentials are at most e ≈ 2.7 times apart), so training stalls'
      : `and squashes them towards uniform: over the ${formatCount(size)} values of the axis none can get more than e / (e + ${formatCount(size - 1)}) ≈ ${percent(Math.E / (Math.E + size - 1))}, ` +
        `so a classifier's crossentropy cannot fall below ${(Math.log(Math.E + size - 1) - 1).toFixed(2)} and training stalls`;
  const fixes: Fix[] = [];
  const removal = removeFromChain(file?.text, second, 'Remove the second softmax', g, file);
  if (removal) fixes.push(removal);
  const call = first.op !== 'softmax' && file !== undefined && first.object === undefined ? callAt(file, first.range.start.offset) : undefined;
  const spec = call && call.callee.name === first.op ? getLayer(first.op) : undefined;
  const act = call && spec ? argWritten(spec.args.map((a) => a.name), call, 'activation') : undefined;
  if (call && act?.arg.name) fixes.push({ ...removeArgFix(call, act, 'activation = softmax', 'activation = none', 'none'), title: `Remove activation = softmax from ${first.label}`, preferred: fixes.length === 0 });
  report({
    code: 'layer.double_softmax',
    severity: 'warning',
    message: `${first.label} -> ${second.label} applies softmax twice: the second gets probabilities, values in [0, 1] that sum to 1, ${bound}. Remove the second softmax${first.op === 'softmax' ? '' : ', or activation = softmax'}.`,
    range: second.range,
    ...(fixes.length > 0 ? { fixes } : {}),
    related: [{ message: `${first.label} gives probabilities`, range: first.range }],
  });
}

/**
 * `layer.softmax_one`: `dense(1) -> softmax` (or `dense(1, activation =
 * softmax)`): a softmax over an axis of one value is e^x / e^x = 1 for every
 * input, so the output never changes and no gradient reaches the layers
 * before it: a GAN's discriminator or a binary classifier so built learns
 * nothing. One probability is a sigmoid's; the fix writes sigmoid.
 */
function softmaxOfOne(n: LayerNode, file: SourceFile | undefined, uri: string | undefined, report: (d: Diagnostic) => void): void {
  if (!(n.uri === undefined || n.uri === uri)) return;
  const text = file?.text;
  const call = file !== undefined && n.object === undefined ? callAt(file, n.range.start.offset) : undefined;
  let fix: Fix | undefined;
  if (call && n.op === 'softmax' && call.callee.name === 'softmax' && text !== undefined) {
    fix = { title: 'Change to sigmoid', edits: [{ range: call.range, newText: 'sigmoid' }], preferred: true };
  } else if (call && call.callee.name === n.op) {
    const spec = getLayer(n.op);
    const act = spec ? argWritten(spec.args.map((a) => a.name), call, 'activation') : undefined;
    if (act) fix = { title: 'Change to activation = sigmoid', edits: [{ range: act.arg.value.range, newText: 'sigmoid' }], preferred: true };
  }
  report({
    code: 'layer.softmax_one',
    severity: 'warning',
    message: `${n.label} takes the softmax over ${n.op === 'softmax' ? 'an axis of one value' : 'its one output'}: e^x / e^x is 1 for every input, so the output never changes and nothing before it learns. One probability (a yes/no, a discriminator's real or fake) is a sigmoid's: use sigmoid.`,
    range: n.range,
    ...(fix ? { fixes: [fix] } : {}),
  });
}

/** A share as a percentage with two significant digits: 23%, 0.27%. */
function percent(x: number): string {
  return `${Number((x * 100).toPrecision(2))}%`;
}

/**
 * The fix that removes layer call `n` from its chain, with the `->` before
 * it (`x -> a -> b` → `x -> a`): only for a call by the layer's own name
 * written after a value (not a layer object, nor a repeat `* N`).
 */
export function removeFromChain(text: string | undefined, n: LayerNode, title: string, g: Graph, file?: SourceFile): Fix | undefined {
  if (text === undefined || n.object !== undefined || !text.startsWith(n.op, n.range.start.offset) || /^\s*\*/.test(text.slice(n.range.end.offset))) return undefined;
  const before = /\s*->\s*$/.exec(text.slice(Math.max(0, n.range.start.offset - 200), n.range.start.offset));
  if (!before) return undefined;
  // From the end of what stands before it in its chain: a position of the tree, which an editor session moves when
  // lines above change (one made here from an offset would stay behind).
  const prev = nodeAt(g, n.inputs[0]);
  const start = prev && prev.kind !== 'input' && prev.range.end.offset === n.range.start.offset - before[0].length ? prev.range.end : file && chainPartBefore(file, n.range.start.offset);
  if (!start || start.offset !== n.range.start.offset - before[0].length) return undefined;
  return { title, edits: [{ range: { start, end: n.range.end }, newText: '' }], preferred: true };
}

/** The end of the head or call before the call at `offset` in its `->` chain (a position of the syntax tree). */
function chainPartBefore(file: SourceFile, offset: number): Position | undefined {
  const item = file.items.find((i) => (i.kind === 'model' || i.kind === 'block') && i.range.start.offset <= offset && offset <= i.range.end.offset);
  if (!item || (item.kind !== 'model' && item.kind !== 'block')) return undefined;
  let found: Position | undefined;
  const visit = (e: Expr): void => {
    if (found) return;
    if (e.kind === 'chain') {
      const i = e.calls.findIndex((c) => c.range.start.offset === offset);
      if (i >= 0) {
        found = i === 0 ? e.head.range.end : e.calls[i - 1].range.end;
        return;
      }
    }
    forEachChild(e, visit);
  };
  for (const st of item.body) {
    if (st.kind === 'assign') visit(st.value);
    else if (st.kind === 'output') st.values.forEach(visit);
  }
  return found;
}

// ------------------------------------------------------------------ cross-attention

/**
 * Cross-attention settings that compare the query's index with the key's,
 * which on two different sequences mean nothing, each a warning on the
 * argument with the fix that removes it. Only when the query and the context
 * come from different model inputs (the receptive fields say which): a
 * context made from the query's own sequence is aligned with it, and a mask
 * or a distance over it may be meant.
 *
 * `layer.cross_causal`: `attention(h, context = memory, causal = true)`. The
 * runtime (and the PyTorch export) masks key j > query i whatever sequence
 * the keys come from, so decoder position i reads only positions 0…i of the
 * encoder's output: most of the source is hidden (a reverse task trains to
 * about half the accuracy). The mask that keeps a decoder from reading its
 * answer belongs in its self-attention; the encoder's output holds no
 * answer.
 *
 * `layer.cross_alibi`: `position = alibi` adds −m·|i − j| to the score of
 * key j for query i: between a decoder position and an encoder position,
 * two sequences of their own lengths, that distance is no distance, and
 * it only pulls each query towards the source positions at its own index.
 */
function crossAttention(n: LayerNode, model: ModelInfo, file: SourceFile, uri: string | undefined, report: (d: Diagnostic) => void): void {
  if (n.uri !== undefined && n.uri !== uri) return;
  const sides = modelFields(model).contexts.get(n);
  if (!sides || !separate(sides.query, sides.context) || aligned(model, sides.query, sides.context)) return;
  const found = callAt(file, n.range.start.offset);
  const call = found?.callee.name === 'attention' ? found : undefined;
  const names = getLayer('attention')!.args.map((a) => a.name);
  const written = (name: string) => (call ? argWritten(names, call, name) : undefined);
  const ctxArg = written('context');
  const text = file.text;
  const context = ctxArg !== undefined && text !== undefined ? `\`${text.slice(ctxArg.arg.value.range.start.offset, ctxArg.arg.value.range.end.offset)}\`` : 'the context';
  if (n.args.causal === true) {
    const causal = written('causal');
    const fix = causal !== undefined && causal.arg.value.kind === 'bool' ? removeArgFix(call!, causal, 'causal = true', 'causal = false', 'false') : undefined;
    report({
      code: 'layer.cross_causal',
      severity: 'warning',
      message:
        `causal = true on cross-attention hides the context's later positions: the query at position i reads only positions 0 to i of ${context}. ` +
        `The queries come from the decoder and the keys and values from ${context} (the encoder's output), which the decoder may read whole: ` +
        `it holds no answer to hide (the decoder's self-attention with causal = true does that). Remove causal = true.`,
      range: causal?.arg.range ?? n.range,
      ...(fix ? { fixes: [fix] } : {}),
    });
  }
  if (n.args.position === 'alibi') {
    const alibi = written('position');
    const fix = alibi !== undefined && alibi.arg.value.kind === 'name' && alibi.arg.value.name === 'alibi' ? removeArgFix(call!, alibi, 'position = alibi', 'position = none', 'none') : undefined;
    report({
      code: 'layer.cross_alibi',
      severity: 'warning',
      message:
        `position = alibi on cross-attention subtracts m·|i − j| from the score of position j of ${context} for the query at position i, but i and j count positions of two different sequences: ` +
        `the distance means nothing, and only pulls each query towards the positions of ${context} at its own index. ` +
        `Remove position = alibi here (the self-attentions may keep it).`,
      range: alibi?.arg.range ?? n.range,
      ...(fix ? { fixes: [fix] } : {}),
    });
  }
}

/** Whether two values come from different model inputs, for certain: each from some, none from both. */
function separate(a: Field, b: Field): boolean {
  if (a.size === 0 || b.size === 0) return false;
  for (const k of b.keys()) if (a.has(k)) return false;
  return true;
}

/**
 * Whether every input the query reads and every input the context reads
 * have the same symbolic length (`past: [t, 8]` and `cov: [t, 4]`): two aligned
 * sequences, position i of one being position i of the other, where a
 * causal mask (no future covariates) and a distance bias mean what they say.
 */
function aligned(model: ModelInfo, query: Field, context: Field): boolean {
  const length = (name: string) => model.inputs.find((i) => i.name === name)?.shape.dims[0];
  for (const q of query.keys()) {
    for (const c of context.keys()) {
      const a = length(q);
      const b = length(c);
      // The same size written as numbers (`int[8]` twice) may as well be a source and a target of one length.
      if (a === undefined || b === undefined || a.isConst() || !a.equals(b)) return false;
    }
  }
  return true;
}

/** Argument `name` as written in `call` (by name, or in its place among the positional ones, `names` the layer's arguments in order) and its index. */
function argWritten(names: readonly string[], call: CallExpr, name: string): { arg: Arg; index: number } | undefined {
  const named = call.args.findIndex((a) => a.name?.name === name);
  if (named >= 0) return { arg: call.args[named], index: named };
  const place = names.indexOf(name);
  for (let i = 0, pos = 0; i < call.args.length; i++) {
    if (call.args[i].name) continue;
    if (pos++ === place) return { arg: call.args[i], index: i };
  }
  return undefined;
}

/**
 * The fix that drops an argument of `call` (`shown` as written): written by
 * name, the argument and the ',' before it (after it when it is the first);
 * written in its place among the positional ones (a later one would move),
 * its value set to `off` instead (`shownOff`).
 */
function removeArgFix(call: CallExpr, written: { arg: Arg; index: number }, shown: string, shownOff: string, off: string): Fix {
  const { arg, index } = written;
  if (!arg.name) return { title: `Change to ${shownOff}`, edits: [{ range: arg.value.range, newText: off }], preferred: true };
  const args = call.args;
  const start = index > 0 ? args[index - 1].range.end : arg.range.start;
  const end = index > 0 || index + 1 >= args.length ? arg.range.end : args[index + 1].range.start;
  return { title: `Remove ${shown}`, edits: [{ range: { start, end }, newText: '' }], preferred: true };
}

// ------------------------------------------------------------------ layer.no_position

/**
 * What a value is to one model input of token ids `X` with positions, when
 * the positions of `X` are reordered:
 * - `fixed`: unchanged (it does not depend on `X`, or only on its tokens as
 *   a bag: a mean over the positions);
 * - `bag`: reordered the same way, along its position axes (every axis but
 *   the last): each position's vector is a function of its own token and of
 *   the bag of all tokens. `embedding` is the first embedding on the way,
 *   `attention` the first self-attention that mixed the positions, `cls`
 *   whether a `cls_token` sits at position 0 (it stays there, and its vector
 *   then depends on the bag only);
 * - `order`: anything else; it may depend on the order (a positional
 *   encoding, a window, a recurrence, a causal mask, a flatten...).
 */
type Order = { kind: 'fixed' } | { kind: 'order' } | Bag;
interface Bag {
  kind: 'bag';
  embedding?: LayerNode;
  attention?: LayerNode;
  cls: boolean;
}

const FIXED: Order = { kind: 'fixed' };
const ORDER: Order = { kind: 'order' };

/** How a layer passes on a bag (its inputs are bags, or fixed values that the layer's rule accepts alongside). */
type OrderRule = (node: LayerNode, bag: Bag, inputs: readonly Order[], shapes: readonly Shape[]) => Order;

/** Acts on each position separately: a bag stays a bag. */
const perPosition: OrderRule = (_n, bag) => bag;
/** Sees the positions' order, or rearranges them. */
const ordered: OrderRule = () => ORDER;

/** Over the feature axis only: per position. Over every position axis (`mean(0)` on `[seq, d]`): the same value whatever the order. */
function overAxes(defaultAxis: number, overPositions: 'pool' | 'order'): OrderRule {
  return (node, bag, _i, shapes) => {
    const rank = shapes[0].dims.length;
    const raw = node.args.axis;
    const axes = new Set((Array.isArray(raw) ? raw : [typeof raw === 'number' ? raw : defaultAxis]).map((a) => (Number(a) < 0 ? Number(a) + rank : Number(a))));
    const positions = Array.from({ length: rank - 1 }, (_, i) => i);
    const touched = positions.filter((a) => axes.has(a)).length;
    if (touched === 0) return bag;
    // Some but not all position axes (`mean(0)` on `[h, w, d]`): what is left keeps an order.
    return overPositions === 'pool' && touched === positions.length ? FIXED : ORDER;
  };
}

/** `+`, `*`, concat of the features: bags of the same input, and values the same at every position (broadcast), stay a bag. */
const merged: OrderRule = (node, _bag, inputs, shapes) => {
  const bags = inputs.filter((x): x is Bag => x.kind === 'bag');
  const rank = shapes[inputs.findIndex((x) => x.kind === 'bag')].dims.length;
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i].kind === 'bag') continue;
    // A fixed value with positions of its own (another input's sequence) does not move with the bag.
    const dims = shapes[i].dims;
    const positions = dims.slice(0, Math.max(0, dims.length - 1));
    const offset = rank - dims.length;
    if (positions.some((d, j) => j + offset < rank - 1 && d.value !== 1)) return ORDER;
  }
  if (node.op === 'concat') {
    const axis = typeof node.args.axis === 'number' ? node.args.axis : -1;
    const r = shapes[0].dims.length;
    if ((axis < 0 ? axis + r : axis) !== r - 1) return ORDER;
  }
  if (bags.some((b) => b.cls !== bags[0].cls)) return ORDER;
  return { kind: 'bag', cls: bags[0].cls, embedding: bags.find((b) => b.embedding)?.embedding, attention: bags.find((b) => b.attention)?.attention };
};

/** Self-attention without a causal mask or a distance bias mixes the positions as a set; cross-attention queries a fixed context per position. */
const attended: OrderRule = (node, bag, inputs) => {
  if (node.args.causal === true || node.args.position === 'alibi') return ORDER;
  if (inputs.length === 1) return { ...bag, attention: bag.attention ?? node };
  // Fixed queries over a bag of keys and values: a weighted sum over a set, the same whatever its order.
  if (inputs[0].kind === 'fixed') return FIXED;
  // Each query position reads the context as a set: it moves with its own token only.
  return bag;
};

/**
 * Every layer of the catalogue, classified by what it does to a bag of
 * tokens (a test checks that none is missing).
 */
export const ORDER_RULES: Readonly<Record<string, OrderRule>> = {
  dense: perPosition,
  // One tap, one step: a dense per position. A wider window sees its neighbours in order.
  conv1d: (node, bag) => (node.args.kernel === 1 && (node.args.stride ?? 1) === 1 ? bag : ORDER),
  conv2d: ordered,
  conv2d_transpose: ordered,
  maxpool: ordered,
  avgpool: ordered,
  global_avgpool: () => FIXED,
  global_maxpool: () => FIXED,
  upsample: ordered,
  // Statistics over the batch and the positions, or over each position's features: the same set of numbers in any order.
  batchnorm: perPosition,
  layernorm: perPosition,
  layer_scale: perPosition,
  groupnorm: perPosition,
  relu: perPosition,
  relu6: perPosition,
  leaky_relu: perPosition,
  elu: perPosition,
  gelu: perPosition,
  sigmoid: perPosition,
  tanh: perPosition,
  silu: perPosition,
  hard_sigmoid: perPosition,
  hard_swish: perPosition,
  softmax: overAxes(-1, 'order'),
  flatten: ordered,
  reshape: ordered,
  transpose: ordered,
  dropout: perPosition,
  drop_path: perPosition,
  gaussian_noise: perPosition,
  random_flip: ordered,
  random_rotation: ordered,
  random_crop: ordered,
  random_translation: ordered,
  random_zoom: ordered,
  cutout: ordered,
  // One number per image (brightness), or the image's own channel means (contrast): the same whatever the order.
  random_brightness: perPosition,
  random_contrast: perPosition,
  concat: merged,
  add: merged,
  multiply: merged,
  mean: overAxes(-1, 'pool'),
  max: overAxes(-1, 'pool'),
  // The cls_token stays at position 0 whatever the order of the others: its vector depends on the bag only.
  take: (node, bag, _i, shapes) => {
    const rank = shapes[0].dims.length;
    const axis = typeof node.args.axis === 'number' ? (node.args.axis < 0 ? node.args.axis + rank : node.args.axis) : 0;
    if (axis === rank - 1) return bag;
    return bag.cls && rank === 2 && axis === 0 && node.args.index === 0 ? FIXED : ORDER;
  },
  embedding: (node, bag) => ({ ...bag, embedding: bag.embedding ?? node }),
  unembed: perPosition,
  positional: ordered,
  sinusoidal: perPosition,
  cls_token: (_n, bag) => (bag.cls ? ORDER : { ...bag, cls: true }),
  attention: attended,
  rnn: ordered,
  lstm: ordered,
  gru: ordered,
};

/** A self-attention that sees a bag of tokens, the embedding they came from, and the input. */
interface Unordered {
  attention: LayerNode;
  embedding: LayerNode;
  input: string;
}

/** Node visits one model's walk may make (nested repeats multiply); past it, values are `order`: nothing more is reported. */
const ORDER_VISIT_BUDGET = 200_000;

/** What one walk of a model for one input found. */
interface OrderWalk {
  found: Unordered[];
  /** By attention: the first layer after it that gives the same value in any order (`mean(0)`). */
  pools: Map<LayerNode, LayerNode>;
  /** Layers that are the whole of a repeat (`attention(4) * 2`): their range is the repeat's, not the call's. */
  repeated: Set<LayerNode>;
  budget: number;
  /** The input whose order is followed. */
  input: string;
}

/**
 * `layer.no_position`: a self-attention (no `context`, no `causal = true`,
 * no `position = alibi`) whose input comes from an `embedding` only through
 * layers that act on each position separately (dense, norms, activations,
 * dropout, `+` of such values, 1-tap conv1d, other such attentions) sees its
 * tokens as a set: attention is permutation-equivariant, so reordering the
 * tokens only reorders its outputs. Reported on the first such attention
 * after the embedding (a later one is silenced by the same fix). Called
 * only for a model with an embedding and such an attention (see GraphWalk).
 */
function unorderedAttention(m: ModelInfo, uri: string | undefined, report: (d: Diagnostic) => void, text: string | undefined): void {
  const multi = m.inputs.filter((i) => i.shape.isInt && positionAxes(i.shape) > 0).length > 1;
  for (const input of m.inputs) {
    const n = positionAxes(input.shape);
    // Token ids with positions, more than one of them.
    if (!input.shape.isInt || n === 0 || input.shape.dims.slice(0, n).every((d) => d.value === 1)) continue;
    const walk: OrderWalk = { found: [], pools: new Map(), repeated: new Set(), budget: ORDER_VISIT_BUDGET, input: input.name };
    const ports = m.graph.inputs.map((id) => {
      const node = m.graph.nodes.find((x) => x.id === id);
      return node?.kind === 'input' && node.name === input.name ? ({ kind: 'bag', cls: false } as Order) : FIXED;
    });
    const outputs = walkOrder(m.graph, ports, walk);
    const blind = outputs.every((o) => o.kind !== 'order');
    for (const f of walk.found) {
      const { attention: att, embedding: emb } = f;
      if (att.uri !== undefined && att.uri !== uri) continue;
      const name = (x: LayerNode) => (x.object !== undefined ? `${x.object} (${x.label.replace(`${x.object}: `, '')})` : x.label);
      const pool = walk.pools.get(att);
      const alibiCall = withAlibi(att);
      const fixes: Fix[] = [];
      const seq = emb.shape.dims[0]?.value;
      if ((emb.uri === undefined || emb.uri === uri) && !walk.repeated.has(emb) && emb.shape.dims.length === 2) {
        const layer = seq !== undefined && seq > SINUSOIDAL_DEFAULT_MAXLEN ? `positional(sinusoidal, maxlen = ${seq})` : 'positional(sinusoidal)';
        fixes.push({ title: `Insert '-> ${layer}' after ${emb.object ?? emb.label}`, edits: [{ range: { start: emb.range.end, end: emb.range.end }, newText: ` -> ${layer}` }] });
      }
      // Not a layer object (its call is elsewhere) or a repeat (the fix would change every copy's count of diagnostics).
      if (alibiCall && att.object === undefined && !walk.repeated.has(att)) {
        // A call on one line is rewritten from its arguments; one over several lines (comments and layout kept) is edited in the source.
        const edit = att.range.start.line === att.range.end.line ? { range: att.range, newText: alibiCall } : text !== undefined && (att.uri === undefined || att.uri === uri) ? alibiEdit(text, att.range) : undefined;
        if (edit) fixes.push({ title: `Set position = alibi in ${att.label}`, edits: [edit] });
      }
      if (fixes.length > 0) fixes[0].preferred = true;
      report({
        code: 'layer.no_position',
        severity: 'info',
        message:
          `${name(att)} sees its tokens as a bag of words: reordering the input${multi ? ` '${f.input}'` : ''} only reorders its outputs` +
          `${pool ? ` (and ${name(pool)} then gives the same value)` : ''} — ${blind ? 'the model' : 'it'} cannot use word order. ` +
          `Add a positional encoding after the embedding (\`-> positional(sinusoidal)\`), or use ${alibiCall ?? 'attention(..., position = alibi)'}.`,
        range: att.range,
        fixes,
        related: [{ message: `${name(emb)} gives a token the same vector wherever it stands`, range: emb.range, ...(emb.uri !== undefined ? { uri: emb.uri } : {}) }],
      });
    }
  }
}

/** `attention(4, position = alibi)` for `attention(4)` as written; undefined when `position` is given by place. */
function withAlibi(att: LayerNode): string | undefined {
  const text = att.source ?? (att.object !== undefined ? att.label.replace(`${att.object}: `, '') : att.label);
  if (!text.endsWith(')')) return undefined;
  if (/\bposition = \w+/.test(text)) return text.replace(/\bposition = \w+/, 'position = alibi');
  // heads, key_dim, causal, context, dropout, bias, position: a seventh argument by place is the position.
  if (topLevelArgs(text.slice(text.indexOf('(') + 1, -1)).filter((a) => !/^\w+ = /.test(a)).length >= 7) return undefined;
  return `${text.slice(0, -1)}, position = alibi)`;
}

/**
 * The edit that makes the attention call at `range` of `text`, written
 * over several lines, use ALiBi: `position = …` set to `alibi` where it is
 * written, else `position = alibi` added after the last argument (before
 * any comment or line break that precedes the closing parenthesis).
 * Undefined when the source is not such a call.
 */
export function alibiEdit(text: string, range: Range): TextEdit | undefined {
  const start = range.start.offset;
  const end = range.end.offset;
  if (text.charCodeAt(end - 1) !== 0x29 /* ) */) return undefined;
  // The call's code with comments blanked (same length, so offsets stay).
  const code = text.slice(start, end).replace(/(#|\/\/)[^\n]*/g, (c) => ' '.repeat(c.length));
  const at = (o: number): Position => {
    const before = text.slice(start, o);
    const nl = before.lastIndexOf('\n');
    const line = range.start.line + (before.match(/\n/g)?.length ?? 0);
    return { line, character: nl < 0 ? range.start.character + before.length : before.length - nl - 1, offset: o };
  };
  const written = /\bposition\s*=\s*(\w+)/.exec(code);
  if (written) {
    const from = start + written.index + written[0].length - written[1].length;
    return { range: { start: at(from), end: at(from + written[1].length) }, newText: 'alibi' };
  }
  let last = code.length - 2;
  while (last >= 0 && /\s/.test(code[last])) last--;
  if (last < 0) return undefined;
  const o = start + last + 1;
  const sep = code[last] === '(' ? '' : code[last] === ',' ? ' ' : ', ';
  return { range: { start: at(o), end: at(o) }, newText: `${sep}position = alibi` };
}

/** The comma-separated parts of `s` outside brackets, trimmed: `8, [3, 3], padding = same` → three. */
export function topLevelArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(' || ch === '[') depth++;
    if (ch === ')' || ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** Walks a graph with what its input ports are; returns what its outputs are. */
function walkOrder(g: Graph, ports: readonly Order[], walk: OrderWalk): Order[] {
  const values = new Map<number, Order>();
  const shapes = new Map<number, Shape>();
  walk.budget -= g.nodes.length;
  for (const node of g.nodes) {
    let o: Order;
    if (node.kind === 'input') o = ports[node.port] ?? ORDER;
    else {
      const ins = node.inputs.map((id) => values.get(id) ?? ORDER);
      if (ins.every((x) => x.kind === 'fixed')) o = FIXED;
      // A block is walked whatever it is given: a bag may arrive on another of its inputs.
      else if (node.kind === 'group') o = groupOrder(node, ins, walk);
      else if (ins.some((x) => x.kind === 'order')) o = ORDER;
      else o = layerOrder(node, ins, node.inputs.map((id) => shapes.get(id) ?? node.shape), walk);
    }
    values.set(node.id, o);
    shapes.set(node.id, node.shape);
  }
  return g.outputs.map((id) => values.get(id) ?? ORDER);
}

function layerOrder(node: LayerNode, given: readonly Order[], shapes: readonly Shape[], walk: OrderWalk): Order {
  // A padding mask's token ids hide keys whatever their order: only the values attended to count.
  const ins = valueInputs(node, given);
  const bag = ins.find((x): x is Bag => x.kind === 'bag');
  if (bag === undefined) return ORDER;
  const rule = ORDER_RULES[node.op] as OrderRule | undefined;
  // Token ids themselves (every axis a position) are followed only into an embedding.
  const out = rule && (node.op === 'embedding' || ins.every((x) => x.kind !== 'bag' || x.embedding !== undefined)) ? rule(node, bag, ins, shapes) : ORDER;
  if (node.op === 'attention' && ins.length === 1 && out.kind === 'bag' && bag.attention === undefined && bag.embedding !== undefined) {
    walk.found.push({ attention: node, embedding: bag.embedding, input: walk.input });
  }
  // The first layer after an attention that no longer depends on the order: what the message names.
  const seen = ins.find((x): x is Bag => x.kind === 'bag' && x.attention !== undefined)?.attention;
  if (out.kind === 'fixed' && seen !== undefined && !walk.pools.has(seen)) walk.pools.set(seen, node);
  return out;
}

function groupOrder(node: GroupNode, ins: readonly Order[], walk: OrderWalk): Order {
  let cur = ins[0] ?? ORDER;
  const extra = ins.slice(1);
  for (const run of node.runs) {
    // A repeated plain layer (`attention(4) * 2`) has the repeat's range.
    for (const n of run.body.nodes) {
      if (n.kind === 'layer' && n.range.start.offset === node.range.start.offset && n.range.end.offset === node.range.end.offset) walk.repeated.add(n);
    }
    for (let i = 0; i < run.count; i++) {
      if (walk.budget < run.body.nodes.length) return ORDER;
      const next = walkOrder(run.body, [cur, ...extra], walk)[0] ?? ORDER;
      // The next copy, given what this one was given, would give it again.
      const settled = sameOrder(cur, next);
      cur = next;
      if (settled) break;
    }
  }
  return cur;
}

function sameOrder(a: Order, b: Order): boolean {
  if (a.kind !== 'bag' || b.kind !== 'bag') return a.kind === b.kind;
  return a.embedding === b.embedding && a.attention === b.attention && a.cls === b.cls;
}

/** Layers that read an input's axes as [h, w, channels] (rank 3) or [steps, channels] (rank 2, `conv1d`), by the input's rank. */
const SPATIAL_OPS: Record<number, ReadonlySet<string>> = {
  3: new Set(['conv2d', 'conv2d_transpose', 'maxpool', 'avgpool']),
  2: new Set(['conv1d']),
};
/** Layers that keep their input's axes: an input may pass them before reaching a convolution. */
const KEEPS_AXES = new Set(['activation', 'regularization', 'norm', 'augmentation']);

/**
 * `input.channels_first`: `input image: [3, 32, 32]` (PyTorch's layout) into
 * a 2-D convolution or pooling, which read `[height, width, channels]`: the
 * convolution then slides over 3 rows and 32 "channels", and a later layer
 * fails with a misleading message. A warning on the input's shape, with a
 * fix that moves the channels last. Certain enough only when the first size
 * is a channel count (1, 3 or 4; 1 to 4 for `[channels, steps]` into
 * conv1d, stereo being 2) and the sizes after it are not (above 4):
 * `[4, 4, 512]`, a feature map, is channels-last.
 */
function channelsFirst(m: ModelInfo, file: SourceFile, report: (d: Diagnostic) => void): void {
  // Looked up only for an input that looks channels-first: a search of the file's items per model is quadratic in a file of many models.
  let decl: ModelDecl | undefined;
  for (const input of m.inputs) {
    const shape = input.shape;
    const rank = shape.dims.length;
    const ops = SPATIAL_OPS[rank];
    if (!ops || shape.isInt) continue;
    // Most inputs fail the first test: nothing is allocated for them (this runs for every model on every keystroke).
    const head = shape.dims[0].value;
    if (head === undefined || head < 1 || head > 4) continue;
    const sizes = shape.dims.map((d) => d.value);
    if (sizes.some((v) => v === undefined)) continue;
    const [first, ...rest] = sizes as number[];
    const channelCounts = rank === 3 ? [1, 3, 4] : [1, 2, 3, 4];
    if (!channelCounts.includes(first) || rest.some((v) => v <= 4)) continue;
    decl ??= modelDeclOf(file, m);
    if (!decl) return;
    const node = m.graph.nodes.find((n) => n.kind === 'input' && n.name === input.name);
    if (!node) continue;
    // The layer that reads the input failed (`conv1d(8, 3)` on [1, 100]: a length of 1), so the graph stops before it: read the call from the source.
    const into = spatialUse(m.graph, node.id, ops) ?? (m.hasErrors ? failedUse(file, decl, input.name, ops) : undefined);
    if (!into) continue;
    const written = decl.body.find((st): st is InputStmt => st.kind === 'input' && st.name.name === input.name)?.shape;
    const at = written?.range;
    // A size written as a name (`[seq, 8]`, given 3 by `--dim seq=3`) is no layout the writer chose.
    const firstDim = written?.dims[0];
    if (!at || !firstDim || (file.text !== undefined && !/^[0-9]+$/.test(file.text.slice(firstDim.range.start.offset, firstDim.range.end.offset)))) continue;
    const meant = `[${[...rest, first].join(', ')}]`;
    const layout = rank === 3 ? '[height, width, channels]' : '[steps, channels]';
    report({
      code: 'input.channels_first',
      severity: 'warning',
      message:
        `'${input.name}' is [${sizes.join(', ')}], channels first as in PyTorch, but ${into.label} reads ${layout} (channels last, as in Keras): ` +
        `it would see ${rank === 3 ? `${first} × ${rest[0]} pixels with ${rest[1]} channels` : `${first} step${first === 1 ? '' : 's'} of ${rest[0]} channels`}. Did you mean ${meant}?`,
      range: at,
      fixes: [{ title: `Change to ${meant}`, edits: [{ range: at, newText: meant }], preferred: true }],
      related: [{ message: `${into.label} reads ${layout}`, range: into.range, ...(into.uri !== undefined ? { uri: into.uri } : {}) }],
    });
  }
}

/**
 * Names code and papers give the batch axis; as an input's first dimension, that axis written out. Not
 * `None`: Keras's `Input(shape=(None, 40))` leaves the batch out already, and None there is a length of any size.
 */
const BATCH_NAMES: ReadonlySet<string> = new Set(['batch', 'batch_size', 'batchsize', 'bs', 'nbatch', 'n_batch', 'minibatch', 'batches']);

/**
 * `input.batch_axis`: `input x: [batch_size, 784]` or `[batch, 28, 28, 1]`:
 * the batch axis written in an input's shape,
 * which is one example's. Read as a symbolic dimension, it would make every
 * layer per-example-of-the-batch and every count grow with it. A warning on
 * that dimension, with the fix that removes it.
 */
function batchAxis(m: ModelInfo, file: SourceFile, report: (d: Diagnostic) => void): void {
  for (const input of m.inputs) {
    const first = input.shape.dims[0];
    if (first === undefined || first.isConst()) continue;
    const name = first.toString();
    if (!BATCH_NAMES.has(name.toLowerCase())) continue;
    const decl = modelDeclOf(file, m);
    const dims = decl?.body.find((st): st is InputStmt => st.kind === 'input' && st.name.name === input.name)?.shape?.dims;
    if (!dims || dims.length === 0 || dims[0].kind !== 'name') continue;
    const rest = input.shape.dims.slice(1);
    const meant = `${input.shape.isInt ? 'int' : ''}[${rest.map((d) => d.toString()).join(', ')}]`;
    report({
      code: 'input.batch_axis',
      severity: 'warning',
      message:
        `'${name}' reads as the batch axis, which an input's shape does not include: it is one example's shape, and training and the inspector add the batch themselves. ` +
        (rest.length > 0 ? `Did you mean ${meant}?` : 'Write the shape of one example, e.g. [784].'),
      range: dims[0].range,
      fixes: rest.length > 0 ? [{ title: `Remove '${name}': ${meant}`, edits: [{ range: { start: dims[0].range.start, end: dims[1].range.start }, newText: '' }], preferred: true }] : undefined,
    });
  }
}

/**
 * The first `name -> op(…)` of a model's body, for an input whose first
 * layer is one of `ops` and failed (the graph stops before it): its text and
 * range.
 */
function failedUse(file: SourceFile, decl: ModelDecl, name: string, ops: ReadonlySet<string>): Pick<LayerNode, 'label' | 'range' | 'uri'> | undefined {
  let found: CallExpr | undefined;
  const visit = (e: Expr): void => {
    if (found) return;
    if (e.kind === 'chain' && e.head.kind === 'name' && e.head.name === name) {
      // Past layers that keep the axes (`x -> dropout(0.1) -> conv2d(8, 5)`), as `spatialUse` follows them in the graph.
      const first = e.calls.find((c) => !KEEPS_AXES.has(getLayer(c.callee.name)?.category ?? ''));
      if (first && ops.has(first.callee.name)) found = first;
      else forEachChild(e, visit);
    } else forEachChild(e, visit);
  };
  for (const st of decl.body) if (st.kind === 'assign') visit(st.value);
  else if (st.kind === 'output') st.values.forEach(visit);
  return found && file.text !== undefined ? { label: callText(file.text, found.range), range: found.range } : undefined;
}

/** The first layer of `ops` that reads node `id` of `g`, directly or through layers that keep its axes (block bodies included). */
function spatialUse(g: Graph, id: number, ops: ReadonlySet<string>, depth = 0): LayerNode | undefined {
  if (depth > 32) return undefined;
  for (const n of g.nodes) {
    if (n.kind === 'input' || !n.inputs.includes(id)) continue;
    if (n.kind === 'layer') {
      if (ops.has(n.op) && n.inputs[0] === id) return n;
      if (KEEPS_AXES.has(n.category) && n.inputs.length === 1) {
        const found = spatialUse(g, n.id, ops, depth + 1);
        if (found) return found;
      }
    } else {
      // A block: its body's input at the same port.
      const port = n.inputs.indexOf(id);
      const body = n.runs[0]?.body;
      const inner = body?.inputs[port];
      const found = body && inner !== undefined ? spatialUse(body, inner, ops, depth + 1) : undefined;
      if (found) return found;
    }
  }
  return undefined;
}

/** Layers of a classifier's head that keep the axes before the last one (as train.ts's output check walks them). */
const HEAD = new Set(['dense', 'activation', 'regularization', 'norm']);

/**
 * `layer.dense_on_positions`: a CNN whose head forgot `flatten`
 * (`conv2d -> maxpool(2) -> dense(10) -> softmax` on 28 × 28 digits). `dense`
 * acts on the last axis only, so on `[13, 13, 32]` it is a 1×1 convolution
 * at each position and the model outputs `[13, 13, 10]`: one prediction per
 * position, not one per image. Reported on the first dense of the model's
 * output head (dense, activations, dropout, norms) when its input is an
 * image map with more than one position, and written in this model's body;
 * not when a train section trains the model: its data says whether one
 * output per position is meant (`train.output_positions` reports it then).
 */
function denseOnPositions(m: ModelInfo, file: SourceFile, uri: string | undefined, report: (d: Diagnostic) => void): void {
  // Dense, activations, dropout and norms keep the axes before the last: a head on an image map outputs [h, w, units].
  // Most models end otherwise, and cost no node read.
  if (m.outputs.length !== 1 || m.outputs[0].shape.dims.length !== 3 || (m.uri !== undefined && m.uri !== uri)) return;
  const byId = (id: number | undefined) => (id === undefined ? undefined : nodeAt(m.graph, id));
  let node = byId(m.outputs[0].nodeId);
  let head: LayerNode | undefined;
  while (node?.kind === 'layer' && HEAD.has(node.category) && node.inputs.length === 1) {
    if (node.op === 'dense') head = node;
    node = byId(node.inputs[0]);
  }
  if (!head || head.uri !== undefined || head.object !== undefined) return;
  if (file.items.some((i) => i.kind === 'train' && i.name.name === m.name)) return;
  const model = file.items.find((i) => i.kind === 'model' && i.name.name === m.name);
  if (!model || head.range.start.offset < model.range.start.offset || head.range.end.offset > model.range.end.offset) return;
  const input = byId(head.inputs[0]);
  const dims = input?.shape.dims.map((d) => d.value);
  if (!dims || dims.length !== 3 || dims.some((d) => d === undefined) || dims[0]! * dims[1]! <= 1) return;
  const [h, w, c] = dims as number[];
  // A map of an input image's own size is a per-pixel output (a U-Net's `-> dense(1) -> sigmoid`, as conv2d(1, 1)):
  // segmentation has no train section to say so (the built-in data label whole images). A forgotten flatten
  // follows the poolings or strided convolutions that made the map smaller.
  if (m.inputs.some((i) => i.shape.dims.length === 3 && i.shape.dims[0].value === h && i.shape.dims[1].value === w)) return;
  const units = head.args.units;
  if (typeof units !== 'number') return;
  const bias = head.args.bias !== false ? units : 0;
  const flat = h * w * c;
  const at = { start: head.range.start, end: head.range.start };
  report({
    code: 'layer.dense_on_positions',
    severity: 'info',
    message:
      `${head.label} on [${h}, ${w}, ${c}] acts on the last axis only: it is applied at each of the ${h} × ${w} positions and gives [${h}, ${w}, ${units}], ` +
      `one output per position, not one per image. For one per image, flatten first (\`-> flatten -> ${head.label}\`: [${formatCount(flat)}] → [${units}], ` +
      `${formatCount(flat * units + bias)} parameters) or average the positions (\`-> global_avgpool -> ${head.label}\`: ${formatCount(c * units + bias)} parameters).`,
    range: head.range,
    fixes: [
      { title: "Insert '-> flatten'", edits: [{ range: at, newText: 'flatten -> ' }], preferred: true },
      { title: "Insert '-> global_avgpool'", edits: [{ range: at, newText: 'global_avgpool -> ' }] },
    ],
  });
}

/**
 * `layer.residual_activation`: `x + y -> relu`, written for ResNet's
 * relu(x + F(x)) as the notes draw it, is `x + relu(y)`: `->` binds tighter
 * than `+`. Reported when the operands are plain names (the left may be a
 * sum of them: `x + y + z -> relu`) and the right one is followed by
 * activations only (a branch already computed, then the
 * activation the block ends with); a chain on the right that starts from the
 * left (`x + x -> layernorm -> attention(8)`, a pre-norm residual) or holds
 * any other layer is the branch itself and left alone. The fix brackets the
 * sum: `(x + y) -> relu`.
 */
function residualActivations(file: SourceFile, report: (d: Diagnostic) => void, keep: boolean): void {
  for (const item of file.items) {
    if (item.kind !== 'model' && item.kind !== 'block') continue;
    let found = keep ? residualsByTree.get(item) : undefined;
    if (found === undefined) {
      found = [];
      residualsIn(item, file.text ?? '', found);
      if (keep) residualsByTree.set(item, found);
    }
    for (const d of found) report(d);
  }
}

/**
 * What `residualActivations` found in each body tree: it depends only on the
 * tree and its text, and its ranges are the tree's positions, which the
 * incremental parse moves in place; so a body an editor session reuses is
 * not walked again on the next keystroke.
 */
const residualsByTree = new WeakMap<ModelDecl | BlockDecl, Diagnostic[]>();

/** The names of `x` or of a sum of names without brackets (`x + y`), in order; undefined for anything else. */
function namesSummed(e: Expr): string[] | undefined {
  if (e.kind === 'name') return [e.name];
  if (e.kind !== 'binary' || e.op !== '+') return undefined;
  const left = namesSummed(e.left);
  return left !== undefined && e.right.kind === 'name' ? [...left, e.right.name] : undefined;
}

function residualsIn(item: ModelDecl | BlockDecl, text: string, out: Diagnostic[]): void {
  const visit = (e: Expr): void => {
    if (e.kind === 'binary' && e.op === '+' && e.right.kind === 'chain' && e.right.head.kind === 'name') {
      const { left, right } = e;
      const head = right.head as Extract<Expr, { kind: 'name' }>;
      const acts = right.calls.every((c) => c.repeat === undefined && getLayer(c.callee.name)?.category === 'activation');
      // The left: a name, or a sum of names (`x + y + z -> relu`, three paths summed).
      const added = acts && right.calls.length > 0 ? namesSummed(left) : undefined;
      if (added !== undefined && !added.includes(head.name)) {
        const sum = added.join(' + ');
        const after = text.slice(head.range.end.offset, right.range.end.offset).trim();
        const chain = right.calls.map((c) => c.callee.name).join(' -> ');
        out.push({
          code: 'layer.residual_activation',
          severity: 'info',
          message:
            `${sum} + ${head.name} ${after} adds ${sum} to ${chain}(${head.name}): \`->\` binds tighter than \`+\`, so the activation applies to ${head.name} alone. ` +
            `For the activation of the sum, as in ResNet's relu(x + F(x)), write (${sum} + ${head.name}) ${after}.`,
          range: e.range,
          fixes: [
            {
              title: `Change to (${sum} + ${head.name}) ${after}`,
              edits: [
                { range: { start: left.range.start, end: left.range.start }, newText: '(' },
                { range: { start: head.range.end, end: head.range.end }, newText: ')' },
              ],
              preferred: true,
            },
          ],
        });
      }
    }
    // Where a statement's sum stands: its value, through brackets, other sums, a chain's head and the tensors given
    // to calls (`concat(a + b -> relu)`, `up(skip = a + b -> relu)`): a few nodes per statement.
    if (e.kind === 'binary') {
      visit(e.left);
      visit(e.right);
    } else if (e.kind === 'paren') visit(e.expr);
    else if (e.kind === 'chain') {
      visit(e.head);
      for (const c of e.calls) visitArgs(c);
    } else if (e.kind === 'call') visitArgs(e);
  };
  const visitArgs = (c: CallExpr): void => {
    for (const a of c.args) if (a.value.kind === 'binary' || a.value.kind === 'paren' || a.value.kind === 'chain' || a.value.kind === 'call') visit(a.value);
  };
  for (const st of item.body) {
    if (st.kind === 'assign') visit(st.value);
    else if (st.kind === 'output') for (const v of st.values) visit(v);
  }
}

/** The declaration of model `m` in `file` (found by where it starts: two models may share a name). */
export function modelDeclOf(file: SourceFile, m: ModelInfo): ModelDecl | undefined {
  return file.items.find((i): i is ModelDecl => i.kind === 'model' && i.range.start.offset === m.range.start.offset);
}
