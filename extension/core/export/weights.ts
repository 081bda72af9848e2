/**
 * Trained weights for the PyTorch export (`nnmodel export --weights`): the
 * tensors of a TensorFlow.js checkpoint (runtime/checkpoint.ts) renamed and
 * re-laid-out for the `nn.Module` the exporter wrote, in a safetensors file
 * the generated code reads with the standard library and torch only.
 *
 * Which tfjs layer becomes which PyTorch attribute is known only to the
 * exporter (pytorch.ts): while it writes a class it records, per layer node,
 * the attribute it made (`ModuleTree`), and per block call the child class
 * and how it is repeated. Walking that tree with the node paths of build.ts
 * (`7/0#2/3`: node 7, run 0, repetition 2, node 3 of the body) gives, per
 * checkpoint layer, the state_dict prefix (`blocks.2.attn.`). The
 * conversions per layer kind are here:
 *
 * | tfjs (Keras layout) | PyTorch |
 * |---|---|
 * | dense kernel `[in, out]` | Linear weight `[out, in]` (rows permuted after an image flatten, see below) |
 * | conv kernel `[k..., in/groups, out]` | Conv weight `[out, in/groups, k...]` |
 * | conv2d_transpose kernel `[kh, kw, out, in]` | ConvTranspose2d weight `[in, out, kh, kw]` (no flip: both are the adjoint of the same correlation) |
 * | batchnorm gamma, beta, moving_mean, moving_variance | weight, bias, running_mean, running_var |
 * | layernorm / groupnorm gamma, beta | weight, bias |
 * | embedding, positional(learned) `embeddings` | weight |
 * | cls_token `token` | token |
 * | attention `{query,key,value,output}_kernel` / `_bias` | `{query,key,value,out}.weight` (transposed) / `.bias` |
 * | rnn / lstm kernel, recurrent_kernel, bias | weight_ih_l0, weight_hh_l0 (transposed), bias_ih_l0; bias_hh_l0 = 0 (Keras has one bias; LSTM gates i, f, c, o are PyTorch's i, f, g, o) |
 * | gru kernel, recurrent_kernel, bias (gates z, r, h) | `KerasGRU` weight_ih, weight_hh (transposed), bias: TensorFlow.js applies the reset gate before the recurrent product, which nn.GRU cannot, so the export with weights writes a GRU that computes as tfjs does |
 * | bidirectional: backward_kernel, backward_recurrent_kernel, backward_bias | the same, with PyTorch's `_reverse` suffix (weight_ih_l0_reverse, …; KerasGRU weight_ih_reverse, …) |
 * | unembed bias | the model's `unembed_bias` parameter (the table is the embedding's: tied) |
 *
 * Flatten order: the export flattens a channels-first image as PyTorch does,
 * `[C, H, W]`, where tfjs flattened `[H, W, C]`. The exporter tags such a
 * value with the permutation (PyTorch position → tfjs position) and carries
 * it through elementwise layers and concat; a layer with weights that takes
 * it (dense; batchnorm or layernorm on vectors) gets its input-side weights
 * permuted so that outputs are the same; any other use of it is refused.
 *
 * Pure core: no tfjs, no file access.
 */
import type { LayerNode } from '../analysis/types';
import { asFeatureStats, decodeWeights, matchSignature, misfitCause, type LayerSignature, type ModelJson } from '../runtime/checkpoint';
import { BACKWARD } from '../layers/recurrent';

// ------------------------------------------------------------------ what the exporter records

/** One layer node whose module (or parameter) the exporter wrote as an attribute of a class. */
export interface ModuleRecord {
  kind: 'module';
  /** Node path relative to the class's graph (build.ts's form: `3`, `5/0#1/2` inside an inlined block). */
  path: string;
  node: LayerNode;
  /** Attribute name in the class (`conv1`, `wte`; for unembed, its bias parameter). */
  attr: string;
  /** The input features' order, PyTorch position → tfjs position, when it is not the same (after an image flatten). */
  inPerm?: readonly number[];
  /** Module class written (`nn.Linear`, `KerasGRU`, ...): for the conversions that depend on it. */
  cls?: string;
}

/** A block call written as a child class: one instance, or `count` in an nn.Sequential / nn.ModuleList. */
export interface ChildRecord {
  kind: 'child';
  /** Path of the group node relative to the class's graph. */
  path: string;
  /** Index of the run (`block(1) * 2, block(2)` has two runs). */
  run: number;
  attr: string;
  count: number;
  /** True when `attr` holds a list of `count` instances (`attr.0.`, `attr.1.`, ...). */
  repeated: boolean;
  tree: ModuleTree;
}

/** What one generated class holds, in the order the layers are applied (the runtime's build order). */
export interface ModuleTree {
  entries: (ModuleRecord | ChildRecord)[];
  /** A model class that standardises its CSV input: the names of its mean and std buffers, and the number of features. */
  featureStats?: { mean: string; std: string; size: number };
}

export function emptyTree(): ModuleTree {
  return { entries: [] };
}

// ------------------------------------------------------------------ flatten order

/**
 * The permutation an export flatten introduces: for each position of
 * PyTorch's channels-first flatten, the position of the same value in
 * tfjs's channels-last one. `spatial` are the [h, w] (or [len]) sizes.
 */
export function channelsFirstFlattenPerm(spatial: readonly number[], channels: number): number[] {
  const area = spatial.reduce((a, b) => a * b, 1);
  const perm = new Array<number>(area * channels);
  for (let c = 0; c < channels; c++) {
    for (let s = 0; s < area; s++) perm[c * area + s] = s * channels + c;
  }
  return perm;
}

/** Layers that keep each feature in its place (so a flatten permutation passes through them unchanged). */
const PERM_TRANSPARENT = new Set([
  'relu',
  'relu6',
  'elu',
  'gelu',
  'sigmoid',
  'tanh',
  'silu',
  'hard_sigmoid',
  'hard_swish',
  'leaky_relu',
  'softmax',
  'dropout',
  'drop_path',
  'gaussian_noise',
  'batchnorm',
  'layernorm',
  'layer_scale',
]);

/** Layers whose weights can take a permuted input (the permutation is applied to their input-side weights). */
export const PERM_CONSUMERS = new Set(['dense', 'batchnorm', 'layernorm', 'layer_scale']);

/**
 * The permutation of a layer's output, given its inputs' (undefined: the
 * tfjs order). Throws a message (a string) when a permuted input reaches a
 * layer that would mix the order into its result.
 */
export function outputPerm(node: LayerNode, ins: readonly { perm?: readonly number[]; size?: number }[]): readonly number[] | undefined {
  const permuted = ins.filter((i) => i.perm !== undefined);
  if (permuted.length === 0) return undefined;
  if (node.op === 'dense') return undefined;
  const rank = node.shape.dims.length;
  if (PERM_TRANSPARENT.has(node.op) && rank === 1) return ins[0].perm;
  if ((node.op === 'add' || node.op === 'multiply') && ins.every((i) => sameOrder(i.perm, ins[0].perm))) return ins[0].perm;
  if (node.op === 'concat' && rank === 1 && ins.every((i) => i.size !== undefined)) {
    const out: number[] = [];
    let offset = 0;
    for (const i of ins) {
      for (let k = 0; k < i.size!; k++) out.push(offset + (i.perm ? i.perm[k] : k));
      offset += i.size!;
    }
    return out;
  }
  throw `its input is an image flattened in PyTorch's [C, H, W] order, not TensorFlow's [H, W, C], and ${node.op} would carry that order into weights it cannot reorder; put the layer with weights (dense) right after flatten`;
}

function sameOrder(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((v, i) => v === b[i]);
}

// ------------------------------------------------------------------ converting a checkpoint

/** One tensor of the safetensors file, named as in the module's state_dict. */
export interface NamedTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** A source range's start as the CLI prints it: 1-based line and column. */
function at(range: { start: { line: number; character: number } }): { line: number; column: number } {
  return { line: range.start.line + 1, column: range.start.character + 1 };
}

/** Why the checkpoint cannot be carried over; `line` and `column` are where the layer starts in the source, 1-based (0: the model as a whole). */
export interface WeightsError {
  message: string;
  line: number;
  column: number;
  uri?: string;
}

/** A tensor of the file that holds no trained value, and why. */
export interface FilledTensor {
  /** `lstm1.bias_hh_l0 = 0` */
  what: string;
  why: string;
  /** 1-based line and column of the layer (the column is always set by the conversion). */
  line: number;
  column?: number;
  uri?: string;
}

export type WeightsResult =
  | {
      ok: true;
      tensors: NamedTensor[];
      /** State_dict entries the file fills with something other than a trained value. */
      filled: FilledTensor[];
      /** Checkpoint layers used. */
      layers: number;
    }
  | { ok: false; errors: WeightsError[] };

/** One layer module of the model, with its full state_dict prefix and node path. */
interface Placed {
  record: ModuleRecord;
  path: string;
  prefix: string;
}

/** Every module record of a model's tree with its full node path and state_dict prefix, in build order. */
function place(tree: ModuleTree, pathPrefix: string, torchPrefix: string, out: Placed[]): Placed[] {
  const join = (rel: string) => (pathPrefix ? `${pathPrefix}/${rel}` : rel);
  for (const e of tree.entries) {
    if (e.kind === 'module') {
      out.push({ record: e, path: join(e.path), prefix: torchPrefix + e.attr });
      continue;
    }
    for (let k = 0; k < e.count; k++) {
      const sub = `${join(e.path)}/${e.run}#${k}`;
      place(e.tree, sub, `${torchPrefix}${e.attr}.${e.repeated ? `${k}.` : ''}`, out);
    }
  }
  return out;
}

/** A layer's tfjs weights as the analysis predicts them: names and shapes (undefined when a size is symbolic). */
function expectedSignature(p: Placed): LayerSignature | undefined {
  const n = p.record.node;
  const weights: { name: string; shape: number[] }[] = [];
  for (const w of n.weights) {
    const dims = w.shape.map((d) => d.value);
    if (dims.some((d) => d === undefined)) return undefined;
    weights.push({ name: w.name, shape: dims as number[] });
  }
  return { path: p.path, op: n.op, label: n.label, line: n.range.start.line + 1, weights };
}

/**
 * The state_dict tensors of the exported model from a checkpoint of it.
 * Refuses (errors naming each layer and its line) when the checkpoint does
 * not fit the model: a layer missing on either side, other shapes, a tensor
 * the mapping does not know.
 */
export function convertCheckpoint(tree: ModuleTree, json: ModelJson, weightBytes: Uint8Array, source = 'model.json'): WeightsResult {
  const placed = place(tree, '', '', []);
  // A shared layer object is one module applied at several paths; tfjs lists it once, at its first.
  const byPrefix = new Map<string, Placed[]>();
  for (const p of placed) byPrefix.set(p.prefix, [...(byPrefix.get(p.prefix) ?? []), p]);
  const errors: WeightsError[] = [];
  const current: LayerSignature[] = [];
  const firstOf = new Map<string, Placed>();
  for (const [, ps] of byPrefix) {
    const first = ps[0];
    if (first.record.node.weights.length === 0) continue;
    const sig = expectedSignature(first);
    if (!sig) {
      errors.push({ message: `${first.record.node.label}: a weight's size depends on a symbolic dimension`, ...at(first.record.node.range), uri: first.record.node.uri });
      continue;
    }
    current.push(sig);
    firstOf.set(first.path, first);
  }
  const saved = json.nnmodel.signature;
  const match = matchSignature(saved, current);
  for (const [i, problem] of match.problems.entries()) {
    // `lstm (line 7)`: a layer of the model now, located where it starts (by its path: two `dense(8)` on one
    // line are two places); `(line 7 when saved)` is the source of then, whose line may hold anything now:
    // the model as a whole.
    const m = /^(.*?) \(line (\d+)\)/.exec(problem);
    const path = match.problemPaths[i];
    const node = path !== undefined ? firstOf.get(path)?.record.node : undefined;
    errors.push({ message: misfitCause(problem), ...(node ? at(node.range) : m ? { line: Number(m[2]), column: 1 } : { line: 0, column: 0 }), ...(node?.uri ? { uri: node.uri } : {}) });
  }
  if (errors.length > 0) return { ok: false, errors: errors.map((e) => ({ ...e, message: `the checkpoint (${source}) does not fit the model: ${e.message}` })) };

  const values = decodeWeights(json, weightBytes, source);
  const savedByPath = new Map(saved.map((s) => [s.path, s]));
  const tensors: NamedTensor[] = [];
  const filled: FilledTensor[] = [];
  for (const { saved: sp, current: cp } of match.pairs) {
    const p = firstOf.get(cp)!;
    const sig = savedByPath.get(sp)!;
    const ws = values.get(sp) ?? [];
    const byName = new Map<string, { shape: number[]; values: Float32Array }>();
    sig.weights.forEach((w, i) => byName.set(w.name, ws[i]));
    try {
      tensors.push(...convertLayer(p, byName, filled));
    } catch (err) {
      const n = p.record.node;
      errors.push({ message: `${n.label}: ${err instanceof Error ? err.message : String(err)}`, ...at(n.range), uri: n.uri });
    }
  }
  // The CSV standardisation is part of the trained model: its statistics go with the weights, or the export is refused.
  const stats = json.nnmodel.data?.featureStats === undefined ? undefined : asFeatureStats(json.nnmodel.data.featureStats);
  if (json.nnmodel.data?.featureStats !== undefined && !stats) {
    errors.push({ message: `the checkpoint (${source}) is damaged: its feature standardisation (data.featureStats) is malformed`, line: 0, column: 0 });
  } else if (stats && !tree.featureStats) {
    errors.push({ message: `the checkpoint (${source}) was trained on standardised CSV features (${stats.names.join(', ')}), but the exported code does not standardise its input; export it with the checkpoint's statistics`, line: 0, column: 0 });
  } else if (tree.featureStats && (!stats || stats.names.length !== tree.featureStats.size)) {
    errors.push({ message: `the exported code standardises ${tree.featureStats.size} features, but the checkpoint (${source}) has ${stats ? `statistics of ${stats.names.length}` : 'no feature statistics'}`, line: 0, column: 0 });
  } else if (stats && tree.featureStats) {
    tensors.push({ name: tree.featureStats.mean, shape: [stats.mean.length], values: Float32Array.from(stats.mean) });
    tensors.push({ name: tree.featureStats.std, shape: [stats.std.length], values: Float32Array.from(stats.std) });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, tensors, filled, layers: match.pairs.length };
}

/** A tfjs tensor with its axes permuted (`axes[i]` is the source axis of result axis i). */
export function permuteAxes(t: { shape: number[]; values: Float32Array }, axes: readonly number[]): { shape: number[]; values: Float32Array } {
  const r = t.shape.length;
  if (axes.length !== r) throw new Error(`internal: permuting ${r} axes with ${axes.length}`);
  const shape = axes.map((a) => t.shape[a]);
  const srcStride = new Array<number>(r);
  let s = 1;
  for (let i = r - 1; i >= 0; i--) {
    srcStride[i] = s;
    s *= t.shape[i];
  }
  const stride = axes.map((a) => srcStride[a]);
  const out = new Float32Array(t.values.length);
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = t.values[src];
    // Odometer over the result's axes, moving `src` by the source strides.
    for (let i = r - 1; i >= 0; i--) {
      idx[i]++;
      src += stride[i];
      if (idx[i] < shape[i]) break;
      src -= stride[i] * shape[i];
      idx[i] = 0;
    }
  }
  return { shape, values: out };
}

/** Rows of a `[n, ...]` tensor reordered: row i of the result is row `perm[i]` of `t`. */
function permuteRows(t: { shape: number[]; values: Float32Array }, perm: readonly number[]): { shape: number[]; values: Float32Array } {
  const n = t.shape[0];
  if (perm.length !== n) throw new Error(`the flatten order has ${perm.length} positions but the weight ${n} rows`);
  const row = t.values.length / n;
  const out = new Float32Array(t.values.length);
  for (let i = 0; i < n; i++) out.set(t.values.subarray(perm[i] * row, (perm[i] + 1) * row), i * row);
  return { shape: [...t.shape], values: out };
}

function convertLayer(p: Placed, w: Map<string, { shape: number[]; values: Float32Array }>, filled: FilledTensor[]): NamedTensor[] {
  const { record, prefix } = p;
  const node = record.node;
  const out: NamedTensor[] = [];
  const used = new Set<string>();
  const take = (name: string) => {
    const t = w.get(name);
    if (!t) throw new Error(`the checkpoint has no '${name}' for it (it has ${[...w.keys()].join(', ') || 'nothing'})`);
    used.add(name);
    return t;
  };
  const put = (suffix: string, t: { shape: number[]; values: Float32Array }) =>
    out.push({ name: suffix === '' ? prefix : `${prefix}.${suffix}`, shape: t.shape, values: t.values });
  const perm = record.inPerm;
  const fill = (suffix: string, shape: number[], value: number, why: string) => {
    out.push(constant(`${prefix}.${suffix}`, shape, value));
    filled.push({ what: `${prefix}.${suffix} = ${value}`, why, ...at(node.range), uri: node.uri });
  };
  const vec = (name: string) => (perm ? permuteRows(take(name), perm) : take(name));
  const optional = (name: string, suffix: string, f: (t: { shape: number[]; values: Float32Array }) => { shape: number[]; values: Float32Array } = (t) => t) => {
    if (w.has(name)) put(suffix, f(take(name)));
  };
  if (perm && !PERM_CONSUMERS.has(node.op)) throw new Error('its input is in PyTorch\'s flatten order, which its weights cannot follow');
  switch (node.op) {
    case 'dense': {
      const k = take('kernel');
      put('weight', permuteAxes(perm ? permuteRows(k, perm) : k, [1, 0]));
      optional('bias', 'bias');
      break;
    }
    case 'conv1d':
      put('weight', permuteAxes(take('kernel'), [2, 1, 0]));
      optional('bias', 'bias');
      break;
    case 'conv2d':
      put('weight', permuteAxes(take('kernel'), [3, 2, 0, 1]));
      optional('bias', 'bias');
      break;
    case 'conv2d_transpose':
      // tfjs [kh, kw, out, in] → PyTorch [in, out, kh, kw].
      put('weight', permuteAxes(take('kernel'), [3, 2, 0, 1]));
      optional('bias', 'bias');
      break;
    case 'batchnorm':
      if (w.has('gamma')) put('weight', vec('gamma'));
      else fill('weight', take('moving_mean').shape, 1, 'the batchnorm has no scale');
      if (w.has('beta')) put('bias', vec('beta'));
      else fill('bias', take('moving_mean').shape, 0, 'the batchnorm has no offset');
      put('running_mean', vec('moving_mean'));
      put('running_var', vec('moving_variance'));
      break;
    case 'layernorm':
    case 'groupnorm':
      put('weight', vec('gamma'));
      put('bias', vec('beta'));
      break;
    case 'layer_scale':
      put('gamma', vec('gamma'));
      break;
    case 'embedding':
      put('weight', take('embeddings'));
      break;
    case 'positional':
      put('weight', take('embeddings'));
      break;
    case 'cls_token':
      put('token', take('token'));
      break;
    case 'attention':
      for (const [k, t] of [
        ['query', 'query'],
        ['key', 'key'],
        ['value', 'value'],
        ['output', 'out'],
      ] as const) {
        put(`${t}.weight`, permuteAxes(take(`${k}_kernel`), [1, 0]));
        optional(`${k}_bias`, `${t}.bias`);
      }
      break;
    case 'rnn':
    case 'lstm':
    case 'gru': {
      // A bidirectional layer: the forward weights, then the backward ones (`backward_kernel`, …) as PyTorch's `*_reverse`.
      const directions: [string, string][] = node.args.bidirectional === true ? [['', ''], [BACKWARD, '_reverse']] : [['', '']];
      if (node.op === 'gru' && record.cls !== 'KerasGRU') throw new Error("nn.GRU places the reset gate after the recurrent product and TensorFlow.js's GRU before it: the weights do not carry over (the export with weights writes KerasGRU instead)");
      for (const [ours, theirs] of directions) {
        const kernel = permuteAxes(take(`${ours}kernel`), [1, 0]);
        const recurrent = permuteAxes(take(`${ours}recurrent_kernel`), [1, 0]);
        const bias = take(`${ours}bias`);
        if (record.cls === 'KerasGRU') {
          // Same gate order (z, r, h) and the same single bias: the class computes as tfjs does.
          put(`weight_ih${theirs}`, kernel);
          put(`weight_hh${theirs}`, recurrent);
          put(`bias${theirs}`, bias);
          continue;
        }
        // Keras's LSTM gates (i, f, c, o) are PyTorch's (i, f, g, o): the same blocks of rows.
        put(`weight_ih_l0${theirs}`, kernel);
        put(`weight_hh_l0${theirs}`, recurrent);
        put(`bias_ih_l0${theirs}`, bias);
        fill(`bias_hh_l0${theirs}`, bias.shape, 0, `Keras has one bias vector, PyTorch two: the trained one is bias_ih_l0${theirs}`);
      }
      break;
    }
    case 'unembed':
      // The table is the embedding's (tied); only the optional bias is the unembed's own.
      put('', take('bias'));
      break;
    default:
      throw new Error(`no PyTorch counterpart is known for the weights of '${node.op}'`);
  }
  const left = [...w.keys()].filter((k) => !used.has(k));
  if (left.length > 0) throw new Error(`the checkpoint has ${left.join(', ')} for it, which the PyTorch module has no place for`);
  return out;
}

function constant(name: string, shape: number[], value: number): NamedTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { name, shape: [...shape], values: new Float32Array(n).fill(value) };
}

// ------------------------------------------------------------------ safetensors

/**
 * The tensors in the safetensors format: an 8-byte little-endian header
 * length, a JSON header `{name: {dtype: "F32", shape, data_offsets}}` (padded
 * with spaces to 8 bytes, as the reference writer does) and the raw
 * little-endian data in header order. `metadata` goes under `__metadata__`
 * (string values only, as the format requires).
 */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name in header) throw new Error(`internal: two tensors named ${t.name}`);
    const bytes = t.values.length * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const pad = (8 - ((new TextEncoder().encode(json).length) % 8)) % 8;
  json += ' '.repeat(pad);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of tensors) {
    for (let i = 0; i < t.values.length; i++) view.setFloat32(at + 4 * i, t.values[i], true);
    at += t.values.length * 4;
  }
  return out;
}

/**
 * The weights file the exported code loads, beside it: `model.py` →
 * `model.safetensors` (`.py` in any case; a path keeps its folder, a bare
 * name stays bare). The CLI (`--out`) and the editor's export (the saved
 * file) name it the same way because the code names it.
 */
export function weightsPathFor(pyPath: string): string {
  return pyPath.replace(/\.py$/i, '') + '.safetensors';
}

/**
 * The class names a checkpoint's outputs stand for (`data.classes`: a CSV's
 * label values, an image folder's sub-folders), for the export's `CLASSES`;
 * undefined when there are none (a regression, a GAN) or they are not a
 * list of strings (a damaged or hand-edited model.json is not trusted).
 */
export function trainedClasses(json: ModelJson): string[] | undefined {
  const classes: unknown = json.nnmodel.data?.classes;
  if (!Array.isArray(classes) || classes.length === 0 || !classes.every((c) => typeof c === 'string')) return undefined;
  return [...classes];
}

/** What an exported weights file records about itself (see `safetensorsMetadata`). */
export interface WeightsFileInfo {
  /** The model exported. */
  model: string;
  /** File name of the .nnmodel source. */
  source: string;
  /** The checkpoint's epoch. */
  epoch: number;
  /** Who wrote it: `nnmodel export --weights` (CLI), `nnmodel` (the editor). */
  generatedBy: string;
  /** Tensors holding no trained value (`convertCheckpoint`'s `filled`). */
  filled: readonly FilledTensor[];
}

/**
 * The `__metadata__` of an exported weights file: `format: pt` (what
 * torch's safetensors loader expects), `model`, `source`, `epoch`,
 * `generated_by`, and `not_trained` (`what: why; ...`) only when some
 * tensor holds no trained value. Keys in that order.
 */
export function safetensorsMetadata(info: WeightsFileInfo): Record<string, string> {
  const notTrained = info.filled.map((f) => `${f.what}: ${f.why}`).join('; ');
  return {
    format: 'pt',
    model: info.model,
    source: info.source,
    epoch: String(info.epoch),
    generated_by: info.generatedBy,
    ...(notTrained ? { not_trained: notTrained } : {}),
  };
}

/** Reads a safetensors file written by `encodeSafetensors` (for tests and checks). */
export function decodeSafetensors(bytes: Uint8Array): { metadata: Record<string, string>; tensors: NamedTensor[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const metadata = (header.__metadata__ ?? {}) as unknown as Record<string, string>;
  delete header.__metadata__;
  const tensors: NamedTensor[] = [];
  for (const [name, info] of Object.entries(header)) {
    const [a, b] = info.data_offsets;
    const values = new Float32Array((b - a) / 4);
    for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(8 + n + a + 4 * i, true);
    tensors.push({ name, shape: info.shape, values });
  }
  return { metadata, tensors };
}

// ------------------------------------------------------------------ the Python side

/** The loader the generated file defines when it comes with a weights file (standard library + torch). */
export const WEIGHTS_LOADER = `def load_nnmodel_weights(model, path):
    """Copies the trained weights in \`path\` (safetensors, written by \`nnmodel export --weights\`) into \`model\`.

    Strict: every parameter and buffer of the model must be in the file with its shape, and every
    tensor in the file must have a place in the model; only BatchNorm's num_batches_tracked step
    counters are left as they are. Reads the file with the standard library (no safetensors package).
    """
    with open(path, "rb") as f:
        data = f.read()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + size].decode("utf-8"))
    header.pop("__metadata__", None)
    state = model.state_dict()
    missing = [k for k in state if k not in header and not k.endswith("num_batches_tracked")]
    unknown = [k for k in header if k not in state]
    if missing or unknown:
        raise ValueError(f"{path} does not fit {type(model).__name__}: missing {missing}, unknown {unknown}")
    with torch.no_grad():
        for name, info in header.items():
            if info["dtype"] != "F32":
                raise ValueError(f"{path}: {name} has dtype {info['dtype']}, expected F32")
            begin, end = info["data_offsets"]
            values = array.array("f", data[8 + size + begin:8 + size + end])
            if sys.byteorder != "little":
                values.byteswap()  # the file is little-endian
            values = torch.frombuffer(values, dtype=torch.float32)
            target = state[name]
            if list(target.shape) != info["shape"]:
                raise ValueError(f"{path}: {name} has shape {info['shape']}, the model {list(target.shape)}")
            target.copy_(values.reshape(info["shape"]))
    return model
`;
