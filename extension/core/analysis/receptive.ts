/**
 * Receptive fields: which part of a model input each value depends on.
 *
 * For every layer output, per model input with positions (an image's pixels,
 * a sequence's steps, a text's tokens), the field is one of:
 * - local: a window of `sizes[i]` input positions along each axis, which
 *   moves `jumps[i]` input positions per output position (the effective
 *   stride). Convolutions and pooling grow it: `size += (k − 1)·dilation·jump`,
 *   `jump ×= stride`. A transposed convolution or an upsample divides the
 *   jump. `causal` when only the current and earlier positions are seen.
 * - global: the whole input (flatten, global pooling, attention, recurrence,
 *   a reduction or softmax over a position axis); `causal` for "all earlier
 *   positions" (causal attention, a recurrent layer returning sequences).
 * - unknown: a window applied after the positions were rearranged (reshape,
 *   transpose) cannot be traced; nothing is shown.
 *
 * A global field may be `folded`: a layer laid positions out along the
 * feature axis (flatten, a transpose or reshape that moves steps into the
 * features), so a position holds values of many input positions, but each
 * value still depends on its own input position only. The first layer that
 * mixes features (dense, a convolution, attention, a recurrent layer, a
 * softmax or reduction over them) unfolds it: from there on every value
 * sees all of them. Until then nothing has looked ahead (`flatten ->
 * reshape` gives the steps back untouched).
 *
 * This is the theoretical field, as in the course's "limited receptive field"
 * of a 1-D convolution against attention's whole sequence: what the
 * arithmetic lets an output see. Normalisation statistics (groupnorm,
 * batchnorm in training) are not counted, as receptive-field calculators do
 * not; a layer that adds a learned or fixed vector per position keeps the
 * field.
 *
 * Computed on demand from the graph IR (hover, summary, and the check of a
 * train section that predicts the next token or step, `lookAheadLayer`),
 * never for a model without one: a file's cold analysis pays nothing for it.
 */
import type { ArgValue } from '../layers/types';
import { bodyPrefix, nodePath } from '../runtime/build';
import type { Shape } from './sym';
import type { Graph, GraphNode, GroupNode, LayerNode, ModelInfo } from './types';

export type InputField =
  | {
      kind: 'local';
      sizes: number[];
      jumps: number[];
      /**
       * Input position where output position 0's window starts (negative
       * inside padding), so position p sees `starts[i] + p·jumps[i]` onward;
       * NaN where padding depends on a symbolic size. Exact through windows,
       * approximate (to a position) after upsampling.
       */
      starts: number[];
      causal: boolean;
      aligned: boolean;
    }
  | { kind: 'global'; causal: boolean; folded?: boolean }
  | { kind: 'unknown' };

/** The field of one value, per model input name (inputs without positions are absent). */
export type Field = ReadonlyMap<string, InputField>;

const EMPTY: Field = new Map();

/** How a layer changes the fields of its inputs; `inputs[0]` is the piped value. */
type Rule = (node: LayerNode, shapes: readonly Shape[], inputs: readonly Field[]) => Field;

/** Positions along which a tensor's values are laid out: all axes of token ids, all but the features of real values. */
export function positionAxes(shape: Shape): number {
  const n = shape.dims.length;
  // A trailing axis of one int holds a value per position (`t: int[seq, 1]` into `sinusoidal`), not a position.
  if (shape.isInt) return n >= 2 && shape.dims[n - 1].value === 1 ? n - 1 : n;
  return Math.max(0, n - 1);
}

// ------------------------------------------------------------------ rules

/** Each output position depends on the same positions of its inputs (activations, dense, norms, add...). */
const positionwise: Rule = (_n, _s, inputs) => merge(inputs);

/** The positions were rearranged: the field sizes still hold, a later window cannot be traced. */
const rearranged: Rule = (_n, _s, inputs) => mapFields(merge(inputs), unaligned);

function unaligned(f: InputField): InputField {
  return f.kind === 'local' ? { ...f, aligned: false } : f;
}

const everything: Rule = (_n, _s, inputs) => mapFields(merge(inputs), (f) => (f.kind === 'unknown' ? f : { kind: 'global', causal: false }));

const FOLDED: InputField = { kind: 'global', causal: false, folded: true };

function isFolded(f: InputField | undefined): boolean {
  return f?.kind === 'global' && f.folded === true;
}

/** Whether a field has folded positions for some input. */
function anyFolded(f: Field): boolean {
  for (const x of f.values()) if (isFolded(x)) return true;
  return false;
}

/**
 * A field whose positions a layer lays out along the feature axis: folded;
 * one that already sees later positions stays so; positions already
 * rearranged (not the input's own) cannot be told apart: unknown.
 */
function fold(f: InputField): InputField {
  if (f.kind === 'unknown' || seesLater(f)) return f.kind === 'unknown' ? f : { kind: 'global', causal: false };
  if (f.kind === 'local' && !f.aligned) return { kind: 'unknown' };
  return FOLDED;
}

/** Mixes the features of a position (dense, unembed): positions folded into them are mixed from here on. */
const mixing: Rule = (node, shapes, inputs) => {
  const f = positionwise(node, shapes, inputs);
  return anyFolded(f) ? mapFields(f, (x) => (isFolded(x) ? { kind: 'global', causal: false } : x)) : f;
};

/** Lays the positions of real values out along the feature axis (flatten); token ids keep theirs. */
const folding: Rule = (node, shapes, inputs) => {
  if (shapes[0].isInt || positionAxes(shapes[0]) === 0) return rearranged(node, shapes, inputs);
  return mapFields(merge(inputs), fold);
};

/**
 * reshape and transpose: positions rearranged among themselves keep their
 * field (`rearranged`); positions moved into the feature axis are folded (a
 * transpose whose last axis was a position axis, a reshape whose features
 * straddle input positions). A folded field moved again is not traced.
 */
const reshaping: Rule = (node, shapes, inputs) => {
  const input = shapes[0];
  const f = merge(inputs);
  if (input.isInt || positionAxes(input) === 0) return mapFields(f, (x) => (isFolded(x) ? { kind: 'unknown' } : unaligned(x)));
  const rank = input.dims.length;
  let folds: boolean | undefined;
  if (node.op === 'transpose') {
    const perm = Array.isArray(node.args.perm) ? node.args.perm.map(Number) : [];
    folds = perm.length === rank && perm[rank - 1] !== rank - 1;
  } else {
    const before = input.dims[rank - 1];
    const after = node.shape.dims[node.shape.dims.length - 1];
    // Each output position's features lie in one input position when its feature count divides the input's.
    if (node.shape.dims.length === 0 || after.equals(before)) folds = false;
    else if (after.value !== undefined && before.value !== undefined) folds = before.value % after.value !== 0;
    else if (node.shape.dims.length === 1) folds = true;
  }
  return mapFields(f, (x) => {
    if (isFolded(x)) return { kind: 'unknown' };
    if (folds === undefined) return seesLater(x) ? x : { kind: 'unknown' };
    return folds ? fold(x) : unaligned(x);
  });
};

/** A window of `kernel` taps `dilation` apart, moving by `stride`: conv1d, conv2d, maxpool, avgpool. */
function windowed(kernelArg: string, strideArg: string, dilationArg?: string): Rule {
  return (node, shapes, inputs) => {
    const n = positionAxes(shapes[0]);
    const k = ints(node.args[kernelArg], n);
    const s = ints(node.args[strideArg], n);
    const d = dilationArg ? ints(node.args[dilationArg], n) : ones(n);
    const pads = padsBefore(node.args.padding, k, s, d, shapes[0]);
    // Causal padding looks back only; so does a window of one tap, and a sequence's window with explicit padding
    // of at least the window less one (conv1d(k, padding = k − 1): PyTorch's causal convolution, before its crop).
    const causalPad = node.args.padding === 'causal' || k.every((x) => x === 1) || (n === 1 && Array.isArray(node.args.padding) && pads[0] >= (k[0] - 1) * d[0]);
    return mapFields(inputs[0], (f) => {
      if (f.kind === 'global') return { kind: 'global', causal: f.causal && causalPad };
      if (f.kind === 'unknown' || !f.aligned || f.sizes.length !== n) return { kind: 'unknown' };
      return {
        kind: 'local',
        sizes: f.sizes.map((size, i) => size + (k[i] - 1) * d[i] * f.jumps[i]),
        jumps: f.jumps.map((j, i) => j * s[i]),
        starts: f.starts.map((st, i) => st - pads[i] * f.jumps[i]),
        causal: f.causal && causalPad,
        aligned: true,
      };
    });
  };
}

/** conv2d_transpose: each output sees ⌈k / stride⌉ neighbouring inputs; positions get `stride` times closer. */
const transposed: Rule = (node, shapes, inputs) => {
  const n = positionAxes(shapes[0]);
  const k = ints(node.args.kernel, n);
  const s = ints(node.args.stride, n);
  return mapFields(inputs[0], (f) => {
    if (f.kind !== 'local') return f.kind === 'global' ? { kind: 'global', causal: false } : f;
    if (!f.aligned || f.sizes.length !== n) return { kind: 'unknown' };
    return {
      kind: 'local',
      sizes: f.sizes.map((size, i) => size + (Math.ceil(k[i] / s[i]) - 1) * f.jumps[i]),
      jumps: f.jumps.map((j, i) => j / s[i]),
      // Output position o gathers inputs ⌈(o − k + 1)/s⌉ … ⌊o/s⌋ (before cropping): start at the first.
      starts: f.starts.map((st, i) => st - ((Math.ceil(k[i] / s[i]) - 1) * f.jumps[i])),
      causal: false,
      aligned: true,
    };
  });
};

/** upsample: repeats each position `factor` times; the field stays, positions get closer. */
const upsampled: Rule = (node, shapes, inputs) => {
  const n = positionAxes(shapes[0]);
  const f = ints(node.args.factor, n);
  return mapFields(inputs[0], (x) => {
    if (x.kind !== 'local') return x;
    if (!x.aligned || x.sizes.length !== n) return { kind: 'unknown' };
    return { ...x, jumps: x.jumps.map((j, i) => j / f[i]) };
  });
};

/** mean/max/softmax over `axis`, concat along `axis`: over a position axis it sees all (or rearranges) positions. */
function alongAxis(overPositions: Rule, defaultAxis: number, overFeatures: Rule = positionwise): Rule {
  return (node, shapes, inputs) => {
    const rank = shapes[0].dims.length;
    const raw = node.args.axis;
    const axes = Array.isArray(raw) ? raw : [typeof raw === 'number' ? raw : defaultAxis];
    const touches = axes.some((a) => {
      const axis = a < 0 ? a + rank : a;
      return axis >= 0 && axis < positionAxes(shapes[0]);
    });
    return (touches ? overPositions : overFeatures)(node, shapes, inputs);
  };
}

/**
 * Self-attention sees every position (every earlier one when causal);
 * cross-attention sees all of its context, and with `causal = true` the
 * context's positions up to the query's own index (the runtime and the
 * PyTorch export mask key j > query i whatever sequence the keys come from).
 */
const attention: Rule = (node, shapes, inputs) => {
  const causal = node.args.causal === true;
  const seen = (f: InputField): InputField => (f.kind === 'unknown' ? f : { kind: 'global', causal: causal && f.causal });
  // Cross-attention: each query position, and all of the context (and of a padding mask's token ids).
  if (node.args.context != null) return merge([inputs[0], mapFields(merge(inputs.slice(1)), seen)]);
  // Self-attention: every position of the input, and of a padding mask's token ids.
  return mapFields(inputs.length > 1 ? merge(inputs) : inputs[0], seen);
};

/**
 * A recurrent layer's step t has read steps 0…t; without return_sequences only the last step is left. A
 * bidirectional one's step t has also read steps t…end (its backward direction): all of them, causal never.
 */
const recurrent: Rule = (node, _s, inputs) => {
  const sequences = node.args.return_sequences === true && node.args.bidirectional !== true;
  return mapFields(inputs[0], (f) => (f.kind === 'unknown' ? f : { kind: 'global', causal: sequences && f.causal }));
};

/**
 * Every layer of the catalogue, classified (a test checks that none is
 * missing, so a new layer must say how it moves positions).
 */
export const FIELD_RULES: Readonly<Record<string, Rule>> = {
  dense: mixing,
  conv1d: windowed('kernel', 'stride', 'dilation'),
  conv2d: windowed('kernel', 'stride', 'dilation'),
  conv2d_transpose: transposed,
  maxpool: windowed('size', 'stride'),
  avgpool: windowed('size', 'stride'),
  global_avgpool: everything,
  global_maxpool: everything,
  upsample: upsampled,
  batchnorm: positionwise,
  layernorm: positionwise,
  layer_scale: positionwise,
  groupnorm: positionwise,
  relu: positionwise,
  relu6: positionwise,
  leaky_relu: positionwise,
  elu: positionwise,
  gelu: positionwise,
  sigmoid: positionwise,
  tanh: positionwise,
  silu: positionwise,
  hard_sigmoid: positionwise,
  hard_swish: positionwise,
  softmax: alongAxis(everything, -1, mixing),
  flatten: folding,
  reshape: reshaping,
  transpose: reshaping,
  dropout: positionwise,
  drop_path: positionwise,
  random_flip: positionwise,
  random_rotation: positionwise,
  random_crop: positionwise,
  random_translation: positionwise,
  random_zoom: positionwise,
  cutout: positionwise,
  random_brightness: positionwise,
  random_contrast: positionwise,
  gaussian_noise: positionwise,
  concat: alongAxis(rearranged, -1),
  add: positionwise,
  multiply: positionwise,
  mean: alongAxis(everything, -1, mixing),
  max: alongAxis(everything, -1, mixing),
  take: rearranged,
  embedding: positionwise,
  unembed: mixing,
  positional: positionwise,
  sinusoidal: positionwise,
  cls_token: rearranged,
  attention,
  rnn: recurrent,
  lstm: recurrent,
  gru: recurrent,
};

// ------------------------------------------------------------------ graph walk

/** Fields of one model: per node object, the first instantiation's (like sites), and the outputs'. */
export interface ModelFields {
  /** Field of a node's output, keyed by the node object (group bodies are shared between identical calls). */
  byNode: Map<GraphNode, Field>;
  /** Field of every applied node, by its node path (runtime/build.ts): each repetition of a block has its own. */
  byPath: Map<string, Field>;
  /** The first node whose call is at this source range (`start:end` offsets), for hovers. */
  byRange: Map<string, Field>;
  outputs: Field[];
  /**
   * For each cross-attention (an `attention` with `context`), the fields of
   * its query and of its context (the first instantiation's): which model
   * inputs each comes from (lints.ts, `layer.cross_causal`).
   */
  contexts: Map<LayerNode, { query: Field; context: Field }>;
  /** Node visits left: nested repeats multiply (`outer * 1000` of `inner * 1000`), so the walk has one budget. */
  budget: number;
  /**
   * Set for `lookAheadLayer`: a repeated run stops at the first copy whose
   * output has the same kind, causality, alignment and width (one position
   * or more) per input as its input (see sameCausality), so `b * 500`
   * costs a copy or two; byPath then holds only the copies walked.
   */
  settle?: boolean;
}

const cache = new WeakMap<ModelInfo, ModelFields>();
const settledCache = new WeakMap<ModelInfo, ModelFields>();
/**
 * Node visits one model's walk may make. Past it, what is left is `unknown`
 * (shown as nothing) rather than a wrong size; a hover must stay instant.
 */
export const FIELD_VISIT_BUDGET = 200_000;

export function modelFields(model: ModelInfo, settle = false): ModelFields {
  const store = settle ? settledCache : cache;
  let r = store.get(model);
  if (!r) {
    r = { byNode: new Map(), byPath: new Map(), byRange: new Map(), outputs: [], contexts: new Map(), budget: FIELD_VISIT_BUDGET, settle };
    const ports = model.graph.inputs.map((id) => inputField(model.graph, id));
    r.outputs = walk(model.graph, ports, r, '');
    store.set(model, r);
  }
  return r;
}

/** The field of the layer or block call at `range` in `model` (its first instantiation). */
export function fieldAt(model: ModelInfo, range: { start: { offset: number }; end: { offset: number } }): Field | undefined {
  return modelFields(model).byRange.get(`${range.start.offset}:${range.end.offset}`);
}

function inputField(g: Graph, id: number): Field {
  const node = g.nodes.find((n) => n.id === id);
  if (!node || node.kind !== 'input') return EMPTY;
  const n = positionAxes(node.shape);
  if (n === 0) return EMPTY;
  return new Map([[node.name, { kind: 'local', sizes: ones(n), jumps: ones(n), starts: new Array<number>(n).fill(0), causal: true, aligned: true }]]);
}

/** Walks a graph with the fields of its input ports; returns its outputs' fields. */
function walk(g: Graph, ports: readonly Field[], out: ModelFields, prefix: string): Field[] {
  const fields = new Map<number, Field>();
  const shapes = new Map<number, Shape>();
  out.budget -= g.nodes.length;
  for (const node of g.nodes) {
    let f: Field;
    if (node.kind === 'input') {
      f = ports[node.port] ?? EMPTY;
    } else {
      const ins = node.inputs.map((id) => fields.get(id) ?? EMPTY);
      const path = nodePath(prefix, node.id);
      f = node.kind === 'layer' ? layerField(node, node.inputs.map((id) => shapes.get(id) ?? node.shape), ins) : groupField(node, ins, out, path);
      out.byPath.set(path, f);
      if (!out.byNode.has(node)) {
        out.byNode.set(node, f);
        if (node.kind === 'layer' && node.op === 'attention' && node.args.context != null) out.contexts.set(node, { query: ins[0], context: ins[1] });
      }
      if (!node.uri) {
        const key = `${node.range.start.offset}:${node.range.end.offset}`;
        if (!out.byRange.has(key)) out.byRange.set(key, f);
      }
    }
    fields.set(node.id, f);
    shapes.set(node.id, node.shape);
  }
  return g.outputs.map((id) => fields.get(id) ?? EMPTY);
}

function layerField(node: LayerNode, shapes: Shape[], inputs: Field[]): Field {
  const rule = FIELD_RULES[node.op];
  if (!rule || shapes.length === 0) return mapFields(merge(inputs), () => ({ kind: 'unknown' }));
  return rule(node, shapes, inputs);
}

function groupField(node: GroupNode, inputs: Field[], out: ModelFields, path: string): Field {
  let cur = inputs[0] ?? EMPTY;
  const extra = inputs.slice(1);
  for (let r = 0; r < node.runs.length; r++) {
    const run = node.runs[r];
    for (let i = 0; i < run.count; i++) {
      if (out.budget < run.body.nodes.length) return mapFields(cur, () => ({ kind: 'unknown' }));
      const next = walk(run.body, [cur, ...extra], out, bodyPrefix(path, r, i))[0] ?? EMPTY;
      // The next copy, given what this one was given, would give it again.
      const settled = out.settle === true && sameCausality(cur, next);
      cur = next;
      if (settled) break;
    }
  }
  return cur;
}

// ------------------------------------------------------------------ look-ahead

/**
 * Whether two fields agree on everything a layer's rule decides causality
 * by: per input, the kind, and causality, alignment and width (one
 * position or more) of a window. The rules never make a field causal,
 * aligned or narrower again, so a copy of a block that leaves these as it
 * found them leaves them so in every later copy.
 */
function sameCausality(a: Field, b: Field): boolean {
  if (a.size !== b.size) return false;
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y || x.kind !== y.kind) return false;
    if (x.kind === 'unknown' || y.kind === 'unknown') continue;
    if (x.causal !== y.causal || isFolded(x) !== isFolded(y)) return false;
    if (x.kind === 'local' && y.kind === 'local' && (x.aligned !== y.aligned || x.sizes.some((s) => s > 1) !== y.sizes.some((s) => s > 1))) return false;
  }
  return true;
}

/** Whether a field lets an output position see positions after its own. */
function seesLater(f: InputField | undefined): boolean {
  if (!f) return false;
  if (f.kind === 'global') return !f.causal && !f.folded;
  return f.kind === 'local' && !f.causal && f.sizes.some((s) => s > 1);
}

/**
 * The layer through which the first output of `model` comes to see
 * positions of `input` after its own (self-attention without `causal`, a
 * `same`-padded window, a flatten or a pooling over the positions...):
 * following that output's inputs back to the first layer whose output sees
 * later positions while everything it reads does not, into block bodies
 * and repeats (the first copy that does). Undefined when the output sees
 * only the current and earlier positions, or when its field is not known
 * (a window after a reshape): said only when certain.
 */
export function lookAheadLayer(model: ModelInfo, input: string): LayerNode | undefined {
  return lookAhead(model, input)?.layer;
}

/**
 * `lookAheadLayer`, and for a layer that mixes features holding folded
 * positions (`flatten -> dense`, `transpose -> dense`), the layer of the
 * same graph that folded them (`folded`), when there is one.
 */
export function lookAhead(model: ModelInfo, input: string): { layer: LayerNode; folded?: LayerNode } | undefined {
  const fields = modelFields(model, true);
  if (!seesLater(fields.outputs[0]?.get(input))) return undefined;
  const byId = new Map<Graph, Map<number, GraphNode>>();
  const nodeOf = (g: Graph, id: number): GraphNode | undefined => {
    let m = byId.get(g);
    if (!m) byId.set(g, (m = new Map(g.nodes.map((n) => [n.id, n]))));
    return m.get(id);
  };
  const later = (prefix: string, id: number) => seesLater(fields.byPath.get(nodePath(prefix, id))?.get(input));
  let g = model.graph;
  let prefix = '';
  let node = nodeOf(g, g.outputs[0]);
  // A loop, not recursion: a chain of thousands of layers must not overflow the stack.
  while (node && node.kind !== 'input') {
    // An input node (of the model or of a block body) sees only its own position: nothing is traced past it.
    const from = node.inputs.find((id) => nodeOf(g, id)?.kind !== 'input' && later(prefix, id));
    if (from !== undefined) {
      node = nodeOf(g, from);
      continue;
    }
    if (node.kind === 'layer') return { layer: node, folded: folder(node, g, prefix) };
    const path = nodePath(prefix, node.id);
    let inside: { body: Graph; prefix: string } | undefined;
    for (let r = 0; r < node.runs.length && !inside; r++) {
      const body = node.runs[r].body;
      for (let k = 0; k < node.runs[r].count; k++) {
        const p = bodyPrefix(path, r, k);
        // Copies past the one where the run settled were not walked (ModelFields.settle).
        if (!fields.byPath.has(nodePath(p, body.outputs[0]))) break;
        if (later(p, body.outputs[0])) {
          inside = { body, prefix: p };
          break;
        }
      }
    }
    if (!inside) return undefined;
    g = inside.body;
    prefix = inside.prefix;
    node = nodeOf(g, g.outputs[0]);
  }
  return undefined;

  /** Back from `mixer` through values whose positions are folded, to the layer that folded them. */
  function folder(mixer: LayerNode, g: Graph, prefix: string): LayerNode | undefined {
    const folded = (id: number) => isFolded(fields.byPath.get(nodePath(prefix, id))?.get(input));
    let at: GraphNode | undefined = mixer;
    for (let guard = 0; at && guard < g.nodes.length; guard++) {
      const from: number | undefined = at.kind === 'input' ? undefined : at.inputs.find(folded);
      if (from === undefined) return at === mixer || at.kind !== 'layer' ? undefined : at;
      at = nodeOf(g, from);
    }
    return undefined;
  }
}

// ------------------------------------------------------------------ field algebra

function mapFields(f: Field, fn: (x: InputField, input: string) => InputField): Field {
  if (f.size === 0) return f;
  const m = new Map<string, InputField>();
  for (const [k, v] of f) m.set(k, fn(v, k));
  return m;
}

/** Where values meet (add, concat, a layer with two inputs): the union of what each saw. */
function merge(fields: readonly Field[]): Field {
  const present = fields.filter((f) => f.size > 0);
  if (present.length <= 1) return present[0] ?? EMPTY;
  const m = new Map<string, InputField>();
  for (const f of present) {
    for (const [k, v] of f) {
      const prev = m.get(k);
      m.set(k, prev ? union(prev, v) : v);
    }
  }
  return m;
}

function union(a: InputField, b: InputField): InputField {
  if (a.kind === 'unknown' || b.kind === 'unknown') return { kind: 'unknown' };
  // Folded positions stay unmixed beside values that see no later position (concat, add).
  if (isFolded(a) || isFolded(b)) return seesLater(a) || seesLater(b) ? { kind: 'global', causal: false } : FOLDED;
  if (a.kind === 'global' || b.kind === 'global') return { kind: 'global', causal: a.causal && b.causal };
  if (a.sizes.length !== b.sizes.length) return { kind: 'unknown' };
  // Windows that move together (same jump, known starts) unite into one from the first start to the last end.
  const together = (i: number) => a.jumps[i] === b.jumps[i] && Number.isFinite(a.starts[i]) && Number.isFinite(b.starts[i]);
  return {
    kind: 'local',
    sizes: a.sizes.map((s, i) =>
      together(i) ? Math.max(a.starts[i] + s, b.starts[i] + b.sizes[i]) - Math.min(a.starts[i], b.starts[i]) : Math.max(s, b.sizes[i]),
    ),
    jumps: a.jumps.map((j, i) => Math.min(j, b.jumps[i])),
    starts: a.starts.map((st, i) => Math.min(st, b.starts[i])),
    causal: a.causal && b.causal,
    aligned: a.aligned && b.aligned,
  };
}

/**
 * Positions of padding before the first window along each axis, as
 * TensorFlow pads: none for `valid`, the whole dilated window less one for
 * `causal`, half the total (rounded down) for `same`, `p` for explicit
 * padding (`padding = p`, PyTorch's).
 */
function padsBefore(padding: ArgValue | undefined, k: number[], s: number[], d: number[], input: Shape): number[] {
  return k.map((ki, i) => {
    const span = (ki - 1) * d[i] + 1;
    if (Array.isArray(padding)) return padding.length === 1 ? padding[0] : padding[i];
    if (padding === 'causal') return span - 1;
    if (padding !== 'same') return 0;
    const size = input.dims[i]?.value;
    if (size === undefined) return NaN;
    const total = Math.max((Math.ceil(size / s[i]) - 1) * s[i] + span - size, 0);
    return Math.floor(total / 2);
  });
}

function ones(n: number): number[] {
  return new Array<number>(n).fill(1);
}

/** An `ints` argument as n numbers (one number stands for every axis). */
function ints(v: ArgValue | undefined, n: number): number[] {
  if (typeof v === 'number') return new Array<number>(n).fill(v);
  if (Array.isArray(v) && v.length > 0) return Array.from({ length: n }, (_, i) => Number(v[Math.min(i, v.length - 1)]));
  return ones(n);
}

// ------------------------------------------------------------------ text

/** Positions' unit for an input: tokens, steps of a sequence, pixels of an image; `one`: the singular ("1 token"). */
function unitOf(shape: Shape, one = false): string {
  const unit = shape.isInt ? 'token' : shape.dims.length === 2 ? 'step' : shape.dims.length === 3 ? 'pixel' : 'position';
  return one ? unit : `${unit}s`;
}

/**
 * One line per input with positions (markdown), e.g. `5 × 5 pixels of *image*,
 * stride 2 × 2`, `all of *image*`, `all earlier tokens of *tokens* (and the
 * current one)`; empty when nothing is known or no input is more than one
 * position wide. The input's name is in italics, not a code span, which
 * VS Code's hovers draw as spaces before the comma that follows.
 */
export function describeField(field: Field | undefined, model: ModelInfo): string[] {
  if (!field) return [];
  const lines: string[] = [];
  for (const [name, f] of field) {
    const input = model.inputs.find((i) => i.name === name);
    if (!input || f.kind === 'unknown') continue;
    const n = positionAxes(input.shape);
    const dims = input.shape.dims.slice(0, n).map((d) => d.value);
    if (dims.every((d) => d === 1)) continue;
    const unit = unitOf(input.shape);
    if (f.kind === 'global') {
      lines.push(f.causal ? `all earlier ${unit} of *${name}* (and the current one)` : `all of *${name}*`);
      continue;
    }
    const covers = dims.every((d, i) => d !== undefined && f.sizes[i] >= d);
    // One position (an embedding's token, a 1 × 1 conv's pixel) in the singular: "1 token", "1 × 1 pixel".
    const one = f.sizes.every((x) => whole(x) === 1);
    let text = `${f.sizes.map((x) => num(whole(x))).join(' × ')} ${unitOf(input.shape, one)} of *${name}*`;
    if (covers) text += ' (as wide as the input)';
    if (f.jumps.some((j) => j !== 1)) text += `, stride ${f.jumps.map(jumpText).join(' × ')}`;
    if (f.causal && f.sizes.some((s) => s > 1)) text += ', current and earlier only';
    lines.push(text);
  }
  return lines;
}

function num(x: number): string {
  const r = Math.round(x * 100) / 100;
  return Number.isInteger(r) ? r.toLocaleString('en-US') : String(r);
}

/** A jump below one input position (after upsampling) as a fraction: `1/2`. */
function jumpText(j: number): string {
  return j < 1 && j > 0 ? `1/${num(1 / j)}` : num(j);
}

const FRACTIONS: Readonly<Record<number, string>> = { 2: '½', 3: '⅓', 4: '¼', 5: '⅕', 6: '⅙', 8: '⅛' };

/** A jump in a table cell, after the `/`: `2`, and below 1 one character where there is one (`½`), else `(1/7)`. */
function cellJump(j: number): string {
  if (!(j < 1 && j > 0)) return num(j);
  const n = Math.round(1 / j);
  return Math.abs(n - 1 / j) < 1e-9 && FRACTIONS[n] ? FRACTIONS[n] : `(${jumpText(j)})`;
}

/** A window's size in whole input positions: after upsampling a fraction means "up to" the next one. */
function whole(size: number): number {
  return Math.ceil(size - 1e-9);
}

/**
 * The field as a table cell: `14 × 14 /2` (stride 2), `1 × 1 /½` (after an upsampling), `61 past` (causal),
 * `all`, `all earlier`; with the input's name in front when several inputs
 * have positions (`source: all · target: all earlier`). Empty when unknown.
 */
export function compactField(field: Field | undefined, model: ModelInfo): string {
  if (!field) return '';
  const parts: [string, string][] = [];
  for (const [name, f] of field) {
    const input = model.inputs.find((i) => i.name === name);
    if (!input || f.kind === 'unknown') continue;
    const dims = input.shape.dims.slice(0, positionAxes(input.shape)).map((d) => d.value);
    if (dims.every((d) => d === 1)) continue;
    let text: string;
    if (f.kind === 'global') text = f.causal ? 'all earlier' : 'all';
    else {
      text = f.sizes.map((x) => num(whole(x))).join(' × ');
      if (f.jumps.some((j) => j !== 1)) text += ` /${f.jumps.every((j) => j === f.jumps[0]) ? cellJump(f.jumps[0]) : f.jumps.map(cellJump).join('×')}`;
      if (f.causal && f.sizes.some((x) => x > 1)) text += ' past';
    }
    parts.push([name, text]);
  }
  if (parts.length === 1) return parts[0][1];
  return parts.map(([n, t]) => `${n}: ${t}`).join(' · ');
}

/**
 * The input window output position `at` sees: `[from[i], to[i])` along each
 * axis, in input positions (may reach into the padding: below 0 or past the
 * input). Undefined when the field is not a traced window.
 */
export function windowAt(field: InputField | undefined, at: readonly number[]): { from: number[]; to: number[] } | undefined {
  if (!field || field.kind !== 'local' || at.length !== field.sizes.length || !field.starts.every(Number.isFinite)) return undefined;
  const from = field.starts.map((s, i) => Math.floor(s + at[i] * field.jumps[i]));
  return { from, to: from.map((f, i) => f + Math.ceil(field.sizes[i])) };
}
