/**
 * Randomised differential test of the analysis against TensorFlow.js
 * (issue 2: "the model that the core builds with @tensorflow/tfjs has
 * exactly the output shapes and parameter counts that the analysis
 * reports").
 *
 * runtime-parity-variants.test.ts checks every catalogue layer at a few
 * fixed settings. Here a fixed seed draws a few hundred small models: one
 * or two layers from the catalogue with random argument values from their
 * schemas (odd and non-square sizes, sizes of 1, every padding, groups,
 * dilations, strides, heads, key_dim, return_sequences...) on inputs of the
 * ranks they take. For each:
 *
 * - when the analysis accepts the model, the core builds it with tfjs and
 *   runs it on a batch of two examples, in inference and in training: every
 *   layer's output shape (symbolic and as computed), its trainable and
 *   non-trainable parameter counts and the model's totals must equal the
 *   analysis's;
 * - when the analysis rejects it, the layers run eagerly in tfjs, built by
 *   the catalogue's own tfjs constructors from the same arguments, must
 *   refuse too, or give a size below 1. A model tfjs runs sensibly that the
 *   analysis rejects is a defect too.
 *
 * FIXED holds the minimal models of the defects this test found, so they
 * stay checked whatever the generator draws.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { Sym, type Shape } from '../../extension/core/analysis/sym';
import type { LayerNode, ModelInfo } from '../../extension/core/analysis/types';
import { LAYERS, getLayer, withDefaults, type ArgValue, type LayerRef, type TfjsContext } from '../../extension/core/layers';
import { buildActivationModel, buildModel } from '../../extension/core/runtime/build';
import { mulberry32 } from '../../extension/core/runtime/data/random';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

/**
 * NNMODEL_PARITY_SEED and NNMODEL_PARITY_CASES draw other and more models, to look for new corner
 * cases (NNMODEL_PARITY_WRAP: the share of residual, shared and repeated chains, 0.15 by default).
 */
const SEED = Number(process.env.NNMODEL_PARITY_SEED ?? 20261128);
const CASES = Number(process.env.NNMODEL_PARITY_CASES ?? 800);
/** Value of the symbolic dimension `seq` when a model that has one is built and run. */
const SEQ_VALUES = [1, 5, 7];

// ------------------------------------------------------------------ random draws

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const chance = (r: Rand, p: number) => r() < p;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** A dimension: a size, or a symbolic one (`seq`, `wid`, `mlen`: given a value when the model is built). */
type Dim = number | 'seq' | 'wid' | 'mlen';

interface InputDecl {
  name: string;
  dims: Dim[];
  isInt?: boolean;
}

/** One layer call: its text and the typed arguments it gives (for the eager tfjs run). */
interface Call {
  op: string;
  args: Record<string, ArgValue>;
  text: string;
  /** Other inputs it takes, by name: `concat(y)`, `attention(2, context = m)`. */
  uses?: string[];
  /** A layer object it applies (`-> wte`) or refers to (`unembed(wte)`). */
  object?: string;
}

interface Case {
  inputs: InputDecl[];
  /** Layer objects declared before the output: `wte = embedding(11, 6)`. */
  objects: { name: string; call: Call }[];
  chain: Call[];
  /**
   * How the chain is used: as written; `x + x -> chain` (a residual); one
   * layer object applied twice (`l = call`, `x -> l -> l`: shared weights); a
   * block repeated (`x -> b * n`: its own weights per copy).
   */
  wrap?: { kind: 'residual' } | { kind: 'shared' } | { kind: 'shared2'; other: Dim[] } | { kind: 'repeat'; count: number };
}

const SIZES = [1, 2, 3, 4, 5, 7, 8, 13, 16];
const CHANNELS = [1, 2, 3, 4, 6, 8];

function fmtValue(v: ArgValue): string {
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (typeof v === 'object' && v !== null) return v.name;
  return String(v);
}

/**
 * A call text: required arguments by position, given optional ones by name.
 * `positional` lists how many arguments go by position.
 */
function call(op: string, args: Record<string, ArgValue>, positional: number, extra: string[] = []): Call {
  const spec = getLayer(op)!;
  const parts: string[] = [...extra];
  spec.args.forEach((a, i) => {
    if (!(a.name in args) || a.type === 'tensors') return;
    parts.push(i < positional && parts.length === i ? fmtValue(args[a.name]) : `${a.name} = ${fmtValue(args[a.name])}`);
  });
  return { op, args, text: parts.length ? `${op}(${parts.join(', ')})` : op };
}

/** `ints` values: one number or a list of `n`. */
function ints(r: Rand, n: number, lo: number, hi: number): number | number[] {
  if (n > 1 && chance(r, 0.4)) return Array.from({ length: n }, () => int(r, lo, hi));
  return int(r, lo, hi);
}

const maybe = (r: Rand, p: number, args: Record<string, ArgValue>, name: string, v: () => ArgValue) => {
  if (chance(r, p)) args[name] = v();
};

function spatial(r: Rand, n: number): Dim[] {
  return Array.from({ length: n }, () => pick(r, SIZES));
}

const ACTS = ['none', 'relu', 'relu6', 'leaky_relu', 'elu', 'gelu', 'sigmoid', 'tanh', 'silu', 'hard_sigmoid', 'hard_swish', 'softmax'];

/** A generator per catalogue layer: a call fitting (mostly) the input `x`, whose shape it may choose. */
type Gen = (r: Rand, x: Dim[]) => Call;

/** Input shape a layer is drawn on, when it is the first of a chain. */
function inputFor(r: Rand, op: string): InputDecl {
  const seqOr = (d: Dim): Dim => (chance(r, 0.2) ? 'seq' : d);
  switch (op) {
    case 'conv1d':
    case 'positional':
    case 'cls_token':
    case 'attention':
    case 'rnn':
    case 'lstm':
    case 'gru':
      return { name: 'x', dims: [seqOr(pick(r, SIZES)), pick(r, CHANNELS)] };
    case 'conv2d':
    case 'conv2d_transpose':
      return { name: 'x', dims: [seqOr(pick(r, SIZES)), chance(r, 0.15) ? 'wid' : pick(r, SIZES), pick(r, CHANNELS)] };
    case 'random_flip':
    case 'random_rotation':
    case 'random_crop':
    case 'random_translation':
    case 'random_zoom':
    case 'cutout':
    case 'random_brightness':
    case 'random_contrast':
      return { name: 'x', dims: [...spatial(r, 2), pick(r, CHANNELS)] };
    case 'maxpool':
    case 'avgpool':
    case 'global_avgpool':
    case 'global_maxpool':
    case 'upsample':
      return chance(r, 0.5)
        ? { name: 'x', dims: [seqOr(pick(r, SIZES)), pick(r, CHANNELS)] }
        : { name: 'x', dims: [...spatial(r, 2), pick(r, CHANNELS)] };
    case 'embedding':
      return chance(r, 0.8) ? { name: 'x', dims: [seqOr(pick(r, SIZES))], isInt: true } : { name: 'x', dims: [pick(r, SIZES), pick(r, SIZES)], isInt: true };
    case 'sinusoidal':
      return pick(r, [
        { name: 'x', dims: [1], isInt: true },
        { name: 'x', dims: [pick(r, SIZES)], isInt: true },
        { name: 'x', dims: [pick(r, SIZES), 1] },
        { name: 'x', dims: [pick(r, SIZES), pick(r, SIZES)] },
      ]);
    default: {
      const rank = int(r, 1, 4);
      const dims: Dim[] = Array.from({ length: rank }, (_, i) => (i === rank - 1 ? pick(r, CHANNELS) : pick(r, SIZES)));
      if (rank >= 2 && chance(r, 0.15)) dims[0] = 'seq';
      // Token ids now and then: the layers that move them (flatten, reshape, take...) keep them ids.
      return { name: 'x', dims, isInt: chance(r, 0.1) };
    }
  }
}

const convGen =
  (op: 'conv1d' | 'conv2d' | 'conv2d_transpose'): Gen =>
  (r, x) => {
    const n = op === 'conv1d' ? 1 : 2;
    const args: Record<string, ArgValue> = { filters: pick(r, [1, 2, 3, 4, 6, 8]), kernel: ints(r, n, 1, 5) };
    const c = typeof x[x.length - 1] === 'number' ? (x[x.length - 1] as number) : 1;
    if (chance(r, 0.5)) args.stride = ints(r, n, 1, 3);
    const pads = op === 'conv1d' ? ['valid', 'same', 'causal'] : ['valid', 'same'];
    maybe(r, 0.6, args, 'padding', () => pick(r, pads));
    if (op !== 'conv2d_transpose') {
      // Keras refuses stride > 1 with dilation > 1: draw dilation mostly without a stride.
      if (chance(r, args.stride === undefined ? 0.5 : 0.1)) args.dilation = ints(r, n, 1, 3);
      if (chance(r, 0.3)) {
        const divisors = [1, 2, 3, 4, 6, 8].filter((g) => c % g === 0);
        const g = chance(r, 0.85) ? pick(r, divisors) : int(r, 2, 4);
        args.groups = g;
        args.filters = g * int(r, 1, 3);
      }
    }
    maybe(r, 0.3, args, 'bias', () => false);
    maybe(r, 0.25, args, 'activation', () => pick(r, ACTS));
    return call(op, args, 2);
  };

const poolGen =
  (op: 'maxpool' | 'avgpool'): Gen =>
  (r) => {
    const args: Record<string, ArgValue> = { size: ints(r, 2, 1, 4) };
    maybe(r, 0.5, args, 'stride', () => ints(r, 2, 1, 3));
    maybe(r, 0.5, args, 'padding', () => pick(r, ['valid', 'same']));
    return call(op, args, 1);
  };

const bare = (op: string): Gen => () => call(op, {}, 0);

/** Random factorisation of `total` into `rank` positive sizes. */
function factorise(r: Rand, total: number, rank: number): number[] {
  const out: number[] = [];
  let rest = total;
  for (let i = 0; i < rank - 1; i++) {
    const divisors = Array.from({ length: rest }, (_, k) => k + 1).filter((d) => rest % d === 0);
    const d = pick(r, divisors);
    out.push(d);
    rest /= d;
  }
  out.push(rest);
  return out;
}

function permutation(r: Rand, n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = int(r, 0, i);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

function axisFor(r: Rand, rank: number): number {
  // Mostly valid axes, both signs; now and then one out of range.
  return chance(r, 0.08) ? pick(r, [rank, -rank - 1]) : int(r, -rank, rank - 1);
}

const GENS: Record<string, Gen> = {
  dense: (r) => {
    const args: Record<string, ArgValue> = { units: pick(r, [1, 2, 3, 5, 8]) };
    maybe(r, 0.3, args, 'bias', () => false);
    maybe(r, 0.3, args, 'activation', () => pick(r, ACTS));
    return call('dense', args, 1);
  },
  conv1d: convGen('conv1d'),
  conv2d: convGen('conv2d'),
  conv2d_transpose: convGen('conv2d_transpose'),
  maxpool: poolGen('maxpool'),
  avgpool: poolGen('avgpool'),
  global_avgpool: bare('global_avgpool'),
  global_maxpool: bare('global_maxpool'),
  upsample: (r) => {
    const args: Record<string, ArgValue> = {};
    maybe(r, 0.7, args, 'factor', () => ints(r, 2, 1, 3));
    return call('upsample', args, 1);
  },
  batchnorm: (r) => {
    const args: Record<string, ArgValue> = {};
    maybe(r, 0.3, args, 'momentum', () => 0.9);
    return call('batchnorm', args, 0);
  },
  layernorm: (r) => {
    const args: Record<string, ArgValue> = {};
    maybe(r, 0.3, args, 'epsilon', () => 1e-6);
    return call('layernorm', args, 0);
  },
  groupnorm: (r, x) => {
    const c = typeof x[x.length - 1] === 'number' ? (x[x.length - 1] as number) : 1;
    const divisors = [1, 2, 3, 4, 6, 8].filter((g) => c % g === 0);
    return call('groupnorm', { groups: chance(r, 0.85) ? pick(r, divisors) : int(r, 2, 5) }, 1);
  },
  relu: bare('relu'),
  relu6: bare('relu6'),
  leaky_relu: (r) => (chance(r, 0.5) ? call('leaky_relu', { alpha: 0.1 }, 1) : bare('leaky_relu')(r, [])),
  elu: bare('elu'),
  gelu: bare('gelu'),
  sigmoid: bare('sigmoid'),
  tanh: bare('tanh'),
  silu: bare('silu'),
  hard_sigmoid: bare('hard_sigmoid'),
  hard_swish: bare('hard_swish'),
  softmax: (r, x) => {
    const args: Record<string, ArgValue> = {};
    maybe(r, 0.5, args, 'axis', () => axisFor(r, x.length));
    return call('softmax', args, 0);
  },
  flatten: bare('flatten'),
  reshape: (r, x) => {
    if (x.some((d) => d === 'seq')) {
      const c = x.slice(1).reduce<number>((p, d) => p * (d as number), 1);
      return call('reshape', { shape: [-1, ...factorise(r, c, int(r, 1, 2))] }, 1);
    }
    const total = (x as number[]).reduce((p, d) => p * d, 1);
    const dims = factorise(r, chance(r, 0.1) ? total + 1 : total, int(r, 1, 3));
    if (chance(r, 0.4)) dims[int(r, 0, dims.length - 1)] = -1;
    return call('reshape', { shape: dims }, 1);
  },
  transpose: (r, x) => call('transpose', { perm: permutation(r, x.length) }, 1),
  dropout: (r) => call('dropout', { rate: pick(r, [0, 0.1, 0.5]) }, 1),
  drop_path: (r) => call('drop_path', { rate: pick(r, [0, 0.1, 0.5]) }, 1),
  layer_scale: (r) => (chance(r, 0.5) ? call('layer_scale', { init: pick(r, [0.1, 1]) }, 1) : bare('layer_scale')(r, [])),
  random_flip: (r) => call('random_flip', { mode: pick(r, ['horizontal', 'vertical', 'horizontal_and_vertical']) }, 1),
  random_rotation: (r) => call('random_rotation', { factor: pick(r, [0.1, 0.25]) }, 1),
  random_crop: (r, x) => {
    const near = (d: Dim) => Math.max(1, (typeof d === 'number' ? d : 4) + int(r, -3, 1));
    return call('random_crop', { h: near(x[0]), w: near(x[1]) }, 2);
  },
  random_translation: (r) => {
    const args: Record<string, ArgValue> = { height_factor: pick(r, [0, 0.1, 0.3]) };
    maybe(r, 0.5, args, 'width_factor', () => pick(r, [0, 0.2]));
    maybe(r, 0.5, args, 'fill_mode', () => pick(r, ['reflect', 'constant', 'nearest']));
    return call('random_translation', args, 1);
  },
  random_zoom: (r) => {
    const args: Record<string, ArgValue> = { height_factor: pick(r, [0, 0.1, 0.3]) };
    maybe(r, 0.5, args, 'width_factor', () => pick(r, [0, 0.2]));
    maybe(r, 0.5, args, 'fill_mode', () => pick(r, ['reflect', 'constant', 'nearest']));
    return call('random_zoom', args, 1);
  },
  cutout: (r, x) => {
    const args: Record<string, ArgValue> = { h: int(r, 1, typeof x[0] === 'number' ? x[0] + 1 : 4) };
    maybe(r, 0.5, args, 'w', () => int(r, 1, typeof x[1] === 'number' ? x[1] + 1 : 4));
    return call('cutout', args, 2);
  },
  random_brightness: (r) => {
    const args: Record<string, ArgValue> = { factor: pick(r, [0, 0.2]) };
    maybe(r, 0.3, args, 'value_range', () => [0, 255]);
    return call('random_brightness', args, 1);
  },
  random_contrast: (r) => call('random_contrast', { factor: pick(r, [0, 0.3]) }, 1),
  gaussian_noise: (r) => call('gaussian_noise', { stddev: 0.1 }, 1),
  concat: (r, x) => {
    const axis = axisFor(r, x.length);
    const norm = axis < 0 ? axis + x.length : axis;
    // The other value: the same shape, or another size on the axis joined (or, rarely, elsewhere).
    const y = x.map((d, i) => (i === norm && chance(r, 0.6) ? pick(r, SIZES) : d));
    if (chance(r, 0.1)) y[int(r, 0, y.length - 1)] = pick(r, SIZES);
    const args: Record<string, ArgValue> = {};
    if (axis !== -1 || chance(r, 0.5)) args.axis = axis;
    return { ...call('concat', args, 0, ['y']), uses: [`y:${JSON.stringify(y)}`] };
  },
  add: (r, x) => mergeGen(r, x, 'add'),
  multiply: (r, x) => mergeGen(r, x, 'multiply'),
  mean: (r, x) => reduceGen(r, x, 'mean'),
  max: (r, x) => reduceGen(r, x, 'max'),
  take: (r, x) => {
    const args: Record<string, ArgValue> = {};
    const axis = chance(r, 0.5) ? axisFor(r, x.length) : 0;
    if (axis !== 0) args.axis = axis;
    const n = x[axis < 0 ? axis + x.length : axis];
    const size = typeof n === 'number' ? n : 3;
    args.index = chance(r, 0.1) ? pick(r, [size, -size - 1]) : int(r, -size, size - 1);
    return call('take', { index: args.index, ...args }, 1);
  },
  embedding: (r) => call('embedding', { vocab: int(r, 1, 12), dim: pick(r, [1, 2, 3, 5, 8]) }, 2),
  positional: (r, x) => {
    const args: Record<string, ArgValue> = {};
    const kind = pick(r, ['sinusoidal', 'learned']);
    if (kind === 'learned' || chance(r, 0.5)) args.kind = kind;
    const n = typeof x[0] === 'number' ? x[0] : 7;
    if (kind === 'learned' || chance(r, 0.4)) args.maxlen = Math.max(1, n + int(r, -2, 3));
    return call('positional', args, 1);
  },
  sinusoidal: (r) => {
    const args: Record<string, ArgValue> = { dim: int(r, 2, 9) };
    maybe(r, 0.3, args, 'max_period', () => 50);
    return call('sinusoidal', args, 1);
  },
  cls_token: bare('cls_token'),
  attention: (r) => {
    const args: Record<string, ArgValue> = { heads: int(r, 1, 4) };
    maybe(r, 0.5, args, 'key_dim', () => int(r, 1, 5));
    maybe(r, 0.3, args, 'causal', () => true);
    maybe(r, 0.2, args, 'bias', () => false);
    maybe(r, 0.2, args, 'position', () => 'alibi');
    maybe(r, 0.1, args, 'dropout', () => 0.1);
    if (chance(r, 0.3)) {
      // Cross-attention: a memory of its own length and width.
      const m: Dim[] = [chance(r, 0.3) ? 'mlen' : pick(r, SIZES), pick(r, CHANNELS)];
      args.context = { kind: 'tensorRef', name: 'm' };
      return { ...call('attention', args, 1), uses: [`m:${JSON.stringify(m)}`] };
    }
    return call('attention', args, 1);
  },
  rnn: (r) => recurrentGen(r, 'rnn'),
  lstm: (r) => recurrentGen(r, 'lstm'),
  gru: (r) => recurrentGen(r, 'gru'),
};

function recurrentGen(r: Rand, op: string): Call {
  const args: Record<string, ArgValue> = { units: int(r, 1, 6) };
  maybe(r, 0.5, args, 'return_sequences', () => chance(r, 0.5));
  return call(op, args, 1);
}

function mergeGen(r: Rand, x: Dim[], op: string): Call {
  // Same shape, or a size of 1 on some axes (tfjs broadcasting), or a shorter rank.
  // (Never a rank-0 input: `input y: []`, see the report.)
  if (x.length === 0) return { ...call(op, {}, 0, ['y']), uses: [`y:${JSON.stringify([1])}`] };
  let y = x.map((d) => (chance(r, 0.25) ? 1 : d));
  if (chance(r, 0.15) && x.length > 1) y = y.slice(int(r, 1, x.length - 1));
  if (chance(r, 0.1)) y[int(r, 0, y.length - 1)] = pick(r, SIZES);
  return { ...call(op, {}, 0, ['y']), uses: [`y:${JSON.stringify(y)}`] };
}

function reduceGen(r: Rand, x: Dim[], op: string): Call {
  const axis: number | number[] = chance(r, 0.3) && x.length > 1 ? permutation(r, x.length).slice(0, int(r, 1, x.length - 1)) : axisFor(r, x.length);
  return call(op, { axis }, 1);
}

/** Layers drawn after another one: the ones that take the output of most. */
const FOLLOWERS = Object.keys(GENS);

/** `unembed` needs a layer object: drawn as its own kind of case. */
function unembedCase(r: Rand): Case {
  const vocab = int(r, 1, 12);
  const dim = pick(r, [1, 2, 3, 5, 8]);
  const emb = call('embedding', { vocab, dim }, 2);
  const bias = chance(r, 0.5);
  const ref: LayerRef = { kind: 'layerRef', name: 'wte', layer: 'embedding', args: { vocab, dim } };
  const un = call('unembed', bias ? { embedding: ref, bias } : { embedding: ref }, 1);
  if (chance(r, 0.5)) {
    // The object applied first, then its transpose.
    const apply: Call = { op: 'embedding', args: { vocab, dim }, text: 'wte', object: 'wte' };
    return { inputs: [{ name: 'x', dims: [pick(r, SIZES)], isInt: true }], objects: [{ name: 'wte', call: emb }], chain: [apply, { ...un, object: 'wte' }] };
  }
  // Only its transpose: on a float input of `dim` (or, rarely, another) features.
  const d = chance(r, 0.85) ? dim : pick(r, CHANNELS);
  return { inputs: [{ name: 'x', dims: [pick(r, SIZES), d] }], objects: [{ name: 'wte', call: emb }], chain: [{ ...un, object: 'wte' }] };
}

function caseText(c: Case): string {
  const lines: string[] = [];
  const chain = c.chain.map((k) => k.text).join(' -> ');
  // A layer object is a call: `l = relu()`, not `l = relu`.
  const object = chain.includes('(') ? chain : `${chain}()`;
  if (c.wrap?.kind === 'repeat') {
    const named = c.inputs.slice(1).map((i) => i.name);
    lines.push('block b() {', '  input x', ...named.map((n) => `  input ${n}`), `  output x -> ${chain}`, '}', '');
  }
  lines.push('model M {');
  for (const i of c.inputs) lines.push(`  input ${i.name}: ${i.isInt ? 'int' : ''}[${i.dims.join(', ')}]`);
  for (const o of c.objects) lines.push(`  ${o.name} = ${o.call.text}`);
  switch (c.wrap?.kind) {
    case undefined:
      lines.push(`  output x -> ${chain}`);
      break;
    case 'residual':
      lines.push(`  output x + x -> ${chain}`);
      break;
    case 'shared':
      lines.push(`  l = ${object}`, '  output x -> l -> l');
      break;
    case 'shared2':
      lines.push(`  input z: [${c.wrap.other.join(', ')}]`, `  l = ${object}`, '  output x -> l, z -> l');
      break;
    case 'repeat': {
      const named = c.inputs.slice(1).map((i) => `${i.name} = ${i.name}`);
      lines.push(`  output x -> b(${named.join(', ')}) * ${c.wrap.count}`);
      break;
    }
  }
  lines.push('}');
  return lines.join('\n');
}

/** Adds the other inputs a call uses (`y:[...]`) to the case. */
function addUses(c: Case, k: Call): void {
  for (const u of k.uses ?? []) {
    const at = u.indexOf(':');
    const name = u.slice(0, at);
    const dims = JSON.parse(u.slice(at + 1)) as Dim[];
    if (!c.inputs.some((i) => i.name === name)) c.inputs.push({ name, dims });
  }
}

/** A case whose first layer is `op` (`unembed` draws its own kind of case). */
function drawCase(r: Rand, op: string): Case {
  if (op === 'unembed') return unembedCase(r);
  const input = inputFor(r, op);
  const first = GENS[op](r, input.dims);
  const c: Case = { inputs: [input], objects: [], chain: [first] };
  addUses(c, first);
  return c;
}

// ------------------------------------------------------------------ the two sides

const shapeOf = (dims: readonly Sym[], env: Record<string, number>) => dims.map((d) => d.evaluate(env) ?? null);
const count = (ws: readonly { shape: readonly (number | null)[] }[]) => ws.reduce((s, w) => s + w.shape.reduce<number>((p, d) => p * (d ?? NaN), 1), 0);

/** A concrete input for `shape` (batch 2): token ids 0, other values from N(0, 1). */
function concrete(shape: readonly (number | null)[], isInt: boolean, seed: number): tf.Tensor {
  const s = [2, ...shape.map((d) => d ?? 1)];
  return isInt ? tf.zeros(s, 'int32') : tf.randomNormal(s, 0, 1, 'float32', seed);
}

/**
 * Builds the model the analysis accepted, runs it in inference and in
 * training, and lists where tfjs disagrees with the analysis.
 */
function acceptedDisagreements(info: ModelInfo, env: Record<string, number>): string[] {
  const out: string[] = [];
  const built = buildModel(tf, info, { initializer: 'zeros', symbolicDims: env });
  const act = buildActivationModel(tf, built);
  try {
    const total = { trainable: info.params.trainable.evaluate(env), nonTrainable: info.params.nonTrainable.evaluate(env) };
    const tfTotal = { trainable: count(built.model.trainableWeights), nonTrainable: count(built.model.nonTrainableWeights) };
    if (JSON.stringify(total) !== JSON.stringify(tfTotal)) out.push(`totals: tfjs ${JSON.stringify(tfTotal)}, analysis ${JSON.stringify(total)}`);
    const seen = new Set<unknown>();
    const expected = new Map<string, (number | null)[]>();
    for (const path of built.layerPaths) {
      const node: LayerNode = built.nodeOf.get(path)!;
      const layer = built.layerOf.get(path)!;
      const want = [null, ...shapeOf(node.shape.dims, env)];
      expected.set(path, want);
      const got = built.outputOf.get(path)!.shape;
      if (JSON.stringify(got) !== JSON.stringify(want)) out.push(`${node.label}: tfjs symbolic output ${JSON.stringify(got)}, analysis ${JSON.stringify(want)}`);
      const first = !seen.has(layer);
      seen.add(layer);
      const tr = node.params.trainable.evaluate(env);
      const nt = node.params.nonTrainable.evaluate(env);
      const tfTr = first ? count(layer.trainableWeights) : 0;
      const tfNt = first ? count(layer.nonTrainableWeights) : 0;
      if (tr !== tfTr || nt !== tfNt) out.push(`${node.label}: tfjs ${tfTr} + ${tfNt} parameters, analysis ${tr} + ${nt}`);
      if (first && node.sharedWith === undefined) {
        // Weight shapes too: a count can agree with transposed or swapped shapes.
        const tfW = layer.weights.map((w) => `${w.name.split('/').pop()!.replace(/_\d+$/, '')}${JSON.stringify(w.shape)}`).sort();
        const ours = node.weights.map((w) => `${w.name}${JSON.stringify(shapeOf(w.shape, env))}`).sort();
        if (JSON.stringify(tfW) !== JSON.stringify(ours)) out.push(`${node.label}: tfjs weights ${tfW.join(', ')}; analysis ${ours.join(', ')}`);
      }
    }
    // Run it: what tfjs computes, not only what its shape inference says.
    const xs = info.graph.inputs.map((id, i) => {
      const n = info.graph.nodes.find((k) => k.id === id)!;
      if (n.kind !== 'input') throw new Error('not an input');
      return concrete(shapeOf(n.shape.dims, env), n.shape.isInt === true, SEED + i);
    });
    tf.tidy(() => {
      const ys = act.model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor | tf.Tensor[];
      const list = Array.isArray(ys) ? ys : [ys];
      act.paths.forEach((p, i) => {
        const want = expected.get(p)!.slice(1);
        const got = list[i].shape.slice(1);
        if (JSON.stringify(got) !== JSON.stringify(want)) out.push(`${built.nodeOf.get(p)!.label}: tfjs computes ${JSON.stringify(got)}, analysis ${JSON.stringify(want)}`);
      });
      // Training mode: augmentation and dropout act; the shapes stay.
      const yt = built.model.apply(xs.length === 1 ? xs[0] : xs, { training: true }) as tf.Tensor | tf.Tensor[];
      const tl = Array.isArray(yt) ? yt : [yt];
      info.outputs.forEach((o, i) => {
        const want = shapeOf(o.shape.dims, env);
        const got = tl[i].shape.slice(1);
        if (JSON.stringify(got) !== JSON.stringify(want)) out.push(`output ${i} in training: tfjs computes ${JSON.stringify(got)}, analysis ${JSON.stringify(want)}`);
      });
    });
    tf.dispose(xs);
  } finally {
    // The activation model holds the same layers: disposing one model frees them all.
    built.model.dispose();
  }
  return out;
}

/**
 * Runs the case's layers eagerly, built by the catalogue's tfjs
 * constructors from the drawn arguments (the analysis is not asked).
 * Returns the output shape (batch excluded), or the error tfjs raised.
 */
function runEagerly(c: Case, env: Record<string, number>): { shape?: number[]; error?: string } {
  const objects = new Map<string, tf.layers.Layer>();
  const made: tf.layers.Layer[] = [];
  const tensors: tf.Tensor[] = [];
  const make = (k: Call, inputs: Shape[], tensorShapes: Record<string, Shape | undefined>) => {
    const spec = getLayer(k.op)!;
    const ctx: TfjsContext = {
      tf,
      args: withDefaults(spec, k.args),
      inputs,
      tensors: tensorShapes,
      name: `eager_${k.op}_${made.length}`,
      seed: made.length,
      layerObject: (arg) => {
        const ref = k.args[arg] as LayerRef;
        let l = objects.get(ref.name);
        if (!l) {
          l = getLayer(ref.layer)!.tfjs({ ...ctx, args: withDefaults(getLayer(ref.layer)!, ref.args), inputs: [], name: `eager_obj_${ref.name}` });
          objects.set(ref.name, l);
        }
        return l;
      },
    };
    const layer = spec.tfjs(ctx);
    made.push(layer);
    return layer;
  };
  const symShape = (t: tf.Tensor, isInt: boolean): Shape => ({ dims: t.shape.slice(1).map((d) => Sym.of(d)), isInt });
  try {
    const values = new Map<string, tf.Tensor>();
    c.inputs.forEach((i, n) => {
      const t = concrete(i.dims.map((d) => (typeof d === 'number' ? d : (env[d] ?? 3))), i.isInt === true, SEED + n);
      tensors.push(t);
      values.set(i.name, t);
    });
    let x = values.get('x')!;
    for (const k of c.chain) {
      const others = (k.uses ?? []).map((u) => values.get(u.slice(0, u.indexOf(':')))!);
      const spec = getLayer(k.op)!;
      const hasContext = spec.args.some((a) => a.type === 'tensor' && k.args[a.name] != null);
      const shapes = [x, ...others].map((t) => symShape(t, t.dtype === 'int32'));
      const ts: Record<string, Shape | undefined> = hasContext ? { context: shapes[shapes.length - 1] } : {};
      let layer: tf.layers.Layer;
      if (k.object && k.op === 'embedding') {
        layer = objects.get(k.object) ?? make(c.objects.find((o) => o.name === k.object)!.call, shapes, ts);
        objects.set(k.object, layer);
      } else layer = make(k, shapes, ts);
      const xs = [x, ...others];
      // Training mode too: augmentation layers are the identity at inference only.
      const trained = layer.apply(xs.length === 1 ? xs[0] : xs, { training: true }) as tf.Tensor;
      tensors.push(trained);
      x = layer.apply(xs.length === 1 ? xs[0] : xs, {}) as tf.Tensor;
      tensors.push(x);
      if (trained.shape.join() !== x.shape.join()) throw new Error(`${k.op}: training gives [${trained.shape.slice(1).join(', ')}], inference [${x.shape.slice(1).join(', ')}]`);
    }
    return { shape: x.shape.slice(1) };
  } catch (err) {
    return { error: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  } finally {
    tf.dispose(tensors);
    for (const l of made) if (l.built) l.dispose();
  }
}

interface Outcome {
  text: string;
  problems: string[];
  accepted: boolean;
}

/**
 * Refusals of the analysis that the catalogue's tfjs layers would run anyway,
 * judged right: the eager run there exercises the catalogue's own custom
 * layers (no rank checks of their own) or tfjs leniency, not Keras semantics.
 */
const INTENDED_REFUSALS: { code: string; ops: string[]; why: string }[] = [
  {
    code: 'shape.rank',
    ops: ['random_flip', 'random_rotation', 'random_translation', 'random_zoom', 'random_crop', 'cutout', 'random_brightness', 'random_contrast'],
    why: "Keras's image augmentation takes [h, w, c] images (rank 4 with the batch): a [len, c] value would be read as one image, a rank-4 one is refused",
  },
  { code: 'shape.rank', ops: ['positional', 'cls_token', 'attention'], why: 'token layers take [seq, d]; the custom layers do not check the rank' },
  { code: 'shape.rank', ops: ['conv1d'], why: "tfjs's Conv1D takes [length, channels] only; the custom causal/grouped layer does not check" },
  {
    code: 'shape.rank',
    ops: ['softmax', 'layernorm', 'groupnorm', 'batchnorm', 'flatten', 'mean', 'max', 'transpose', 'concat', 'take', 'embedding', 'sinusoidal'],
    why: 'a value of rank 0 (one number per example) has no axis to act on; tfjs acts on the batch axis instead',
  },
  {
    code: 'shape.axis',
    ops: ['concat', 'mean', 'max', 'take', 'softmax'],
    why: 'Keras refuses an axis out of range; tfjs wraps it (or takes the batch axis)',
  },
  {
    code: 'shape.not_float',
    ops: ['*'],
    why: 'token ids (`int[...]`) are embedded before any arithmetic (docs); tfjs would compute on the ids as numbers',
  },
  { code: 'shape.not_int', ops: ['embedding'], why: "an embedding looks up token ids (docs); tfjs's Embedding would cast real values" },
  { code: 'arg.range', ops: ['groupnorm'], why: "Keras's GroupNormalization refuses groups that do not divide the channels; the custom layer leaves the remainder" },
  { code: 'shape.mismatch', ops: ['sinusoidal'], why: 'one value per position: the last axis must be 1 (docs); the custom layer does not check' },
  { code: 'arg.range', ops: ['sinusoidal'], why: 'dim/2 sines and dim/2 cosines: an odd dim would silently give dim − 1 features' },
  { code: 'object.unapplied', ops: ['unembed'], why: 'a table tied to a layer that is never applied is counted nowhere (docs: object.unapplied)' },
  { code: 'arg.range', ops: ['cutout'], why: 'a cut-out larger than the image blanks all of it (docs: needs h ≤ H, w ≤ W)' },
  { code: 'arg.range', ops: ['random_crop'], why: 'a crop larger than the image (docs: needs h ≤ H, w ≤ W); Keras resizes instead: reported, left as the documented rule' },
];

/** The op of the call a diagnostic points at (by column on the output line), or the line's text. */
function failingOp(c: Case, text: string, line: number, col: number): string {
  const lines = text.split('\n');
  const l = lines[line] ?? '';
  if (!l.includes('output')) return l.trim().split(' ')[0];
  let at = l.indexOf('-> ') + 3;
  for (const k of c.chain) {
    at = l.indexOf(k.text, at);
    if (col >= at && col < at + k.text.length) return k.op;
    at += k.text.length;
  }
  return '?';
}

/** Checks one case: an accepted model against its tfjs build, a rejected one against the eager run. */
function check(c: Case, seqValue: number): Outcome {
  return checkText(caseText(c), seqValue, c);
}

/** `check` on a model's text; without its case, a refusal is not checked against tfjs. */
function checkText(text: string, seqValue: number, c?: Case): Outcome {
  const a = analyze(text);
  const errors = a.diagnostics.filter((d) => d.severity === 'error');
  const env: Record<string, number> = { seq: seqValue, mlen: 4, wid: seqValue === 7 ? 3 : 6 };
  const symbolic = /\b(seq|mlen|wid)\b/.test(text);
  if (errors.length === 0) {
    const m = a.models[0];
    if (symbolic) {
      // The sizes it is built at must fit it: as `summary --dim seq=N` does, analyse it with them written in.
      const fixed = analyze(text.replace(/\b(seq|mlen|wid)\b/g, (name) => String(env[name])));
      if (fixed.diagnostics.some((d) => d.severity === 'error')) return { text, accepted: true, problems: [] };
      const want = fixed.models[0].outputs.map((o) => JSON.stringify(shapeOf(o.shape.dims, {})));
      const got = m.outputs.map((o) => JSON.stringify(shapeOf(o.shape.dims, env)));
      if (want.join() !== got.join()) return { text, accepted: true, problems: [`at seq = ${env.seq}: the symbolic analysis gives ${got.join(', ')}, the analysis with the size written in ${want.join(', ')}`] };
    }
    try {
      return { text, accepted: true, problems: acceptedDisagreements(m, env) };
    } catch (err) {
      return { text, accepted: true, problems: [`the analysis accepts it, the build fails: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`] };
    }
  }
  // A wrapped chain (residual, shared, repeated) is refused for its structure, which the eager run does not model.
  if (!c || c.wrap) return { text, accepted: false, problems: [] };
  const codes = errors.map((e) => `${e.code} at ${failingOp(c, text, e.range.start.line, e.range.start.character)}: ${e.message}`);
  // Symbolic sizes: the analysis may reject what holds at some value and not at others; the eager run checks one value only.
  if (symbolic) return { text, accepted: false, problems: [] };
  const eager = runEagerly(c, env);
  if (eager.error !== undefined) return { text, accepted: false, problems: [] };
  if (eager.shape!.some((d) => !(d >= 1))) return { text, accepted: false, problems: [] };
  const intended = errors.every((e) => {
    const op = failingOp(c, text, e.range.start.line, e.range.start.character);
    return INTENDED_REFUSALS.some((k) => k.code === e.code && (k.ops.includes(op) || k.ops.includes('*')));
  });
  if (intended) return { text, accepted: false, problems: [] };
  return { text, accepted: false, problems: [`the analysis rejects it (${codes.join('; ')}), tfjs computes [${eager.shape!.join(', ')}]`] };
}

// ------------------------------------------------------------------ cases

/**
 * Follows an accepted single-layer case with a second layer drawn for its
 * output shape (chains catch what only a following layer sees, e.g. a size
 * of 1 left by a pooling).
 */
function extend(r: Rand, c: Case): Case | undefined {
  const a = analyze(caseText(c));
  if (a.diagnostics.some((d) => d.severity === 'error')) return undefined;
  const shape = a.models[0].outputs[0].shape;
  // (A symbolic size is drawn for as `seq`: a second input's shape may then not fit, and the analysis says so.)
  const dims: Dim[] = shape.dims.map((d) => d.value ?? 'seq');
  const op = pick(r, FOLLOWERS);
  if (op === 'concat' && dims.length === 0) return undefined;
  if (op === 'attention' || op === 'concat' || op === 'add' || op === 'multiply') {
    if (c.inputs.length > 1) return undefined;
  }
  const next = GENS[op](r, dims);
  const out: Case = { ...c, inputs: [...c.inputs], chain: [...c.chain, next] };
  addUses(out, next);
  return out;
}

const FIRST = [...Object.keys(GENS), 'unembed'];

function drawCases(): Case[] {
  const r = mulberry32(SEED);
  const cases: Case[] = [];
  while (cases.length < CASES) {
    // Every layer in turn first, so that each is drawn as often.
    let c = drawCase(r, FIRST[cases.length % FIRST.length]);
    for (let i = 0; i < 3 && chance(r, 0.45); i++) c = extend(r, c) ?? c;
    // Now and then the chain in a structure whose weights count otherwise.
    if (c.objects.length === 0 && chance(r, Number(process.env.NNMODEL_PARITY_WRAP ?? 0.15))) {
      const kind = pick(r, ['residual', 'shared', 'shared2', 'repeat'] as const);
      // (A batchnorm object on values of two ranks: tfjs and Keras refuse it, the analysis does not; see the report.)
      const single = c.chain.length === 1 && !c.chain[0].uses && !c.inputs[0].isInt && c.chain[0].op !== 'batchnorm';
      if (kind === 'shared' && single) c = { ...c, wrap: { kind } };
      else if (kind === 'shared2' && single) {
        // The same object on a value of another shape: other sizes, or another rank, the channels kept mostly.
        const x = c.inputs[0].dims;
        let other = x.map((d) => (chance(r, 0.5) ? pick(r, SIZES) : d));
        if (chance(r, 0.4)) other = chance(r, 0.5) && other.length > 1 ? other.slice(1) : [pick(r, SIZES), ...other];
        if (chance(r, 0.8)) other[other.length - 1] = x[x.length - 1];
        c = { ...c, wrap: { kind, other } };
      }
      else if (kind === 'repeat') c = { ...c, wrap: { kind, count: int(r, 2, 3) } };
      else if (kind === 'residual') c = { ...c, wrap: { kind } };
    }
    cases.push(c);
  }
  return cases;
}

test('the random cases cover every catalogue layer, accepted and rejected', () => {
  const cases = drawCases();
  const good = cases.filter((c) => !analyze(caseText(c)).diagnostics.some((d) => d.severity === 'error'));
  // Every layer in a model the analysis accepts, so that its tfjs build is compared.
  const ops = new Set(good.flatMap((c) => c.chain.map((k) => k.op)));
  assert.deepEqual([...LAYERS.keys()].filter((op) => !ops.has(op)), []);
  const accepted = good.length;
  // Mostly valid models, and enough invalid ones to check the refusals.
  assert.ok(accepted > CASES * 0.5, `${accepted} of ${CASES} accepted`);
  assert.ok(accepted < CASES * 0.95, `${accepted} of ${CASES} accepted`);
});

test('random small models: the analysis and TensorFlow.js agree on every shape and parameter count', (t) => {
  const cases = drawCases();
  const r = mulberry32(SEED + 1);
  const problems: string[] = [];
  let accepted = 0;
  for (const c of cases) {
    const o = check(c, pick(r, SEQ_VALUES));
    if (o.accepted) accepted++;
    if (o.problems.length) problems.push(`${o.text}\n    ${o.problems.join('\n    ')}`);
  }
  t.diagnostic(`seed ${SEED}: ${cases.length} models, ${accepted} built and run in tfjs, ${cases.length - accepted} refused`);
  assert.deepEqual(problems, []);
});

/**
 * The minimal models of the defects this test found (issue 2), checked
 * whatever the generator draws: each failed before its fix.
 */
const FIXED: { text: string; seq?: number; why: string }[] = [
  {
    why: "batchnorm on a rank-4 example: tfjs's batchNorm kernel refused rank 5 with the batch when the model ran",
    text: 'model M {\n  input v: [4, 6, 5, 3]\n  output v -> batchnorm\n}',
  },
  {
    why: 'batchnorm on a rank-5 example, with its moving statistics (inference and training)',
    text: 'model M {\n  input v: [2, 3, 1, 5, 2]\n  output v -> batchnorm(momentum = 0.9) -> flatten -> dense(2)\n}',
  },
  {
    why: "reshape's -1 on a symbolic size stayed unknown when built at a size (training): concat refused [null, 2, 3] beside [8, 2, 3]",
    text: 'model M {\n  input x: [seq, 6]\n  input y: [seq, 2, 3]\n  output x -> reshape([-1, 2, 3]) -> concat(y)\n}',
    seq: 8,
  },
  {
    why: "reshape's -1 on a symbolic size: dense after it found no input size when built at a size",
    text: 'model M {\n  input x: [seq, 6]\n  output x -> reshape([2, -1]) -> dense(3)\n}',
    seq: 8,
  },
  {
    why: 'a max object applied twice: its axis -2 was fixed for the first rank, the second reduced the wrong axis ([1, 5], not [1, 6])',
    text: 'model M {\n  input x: [1, 5, 8, 6]\n  l = max(-2)\n  output x -> l -> l\n}',
  },
  {
    why: 'a mean object applied twice: tfjs gave [7, 5], the analysis [7, 8]',
    text: 'model M {\n  input x: [7, 5, 2, 8]\n  l = mean(-2)\n  output x -> l -> l\n}',
  },
  {
    why: 'a take object applied twice: the second application failed to build (axis 2 out of range)',
    text: 'model M {\n  input x: [5, 4]\n  l = take(2, axis = -1)\n  output x -> l -> l\n}',
  },
  {
    why: "a reshape object on two sizes: its -1 was resolved for the first (\"Total size of new array must be unchanged\")",
    text: 'model M {\n  input x: [1, 6]\n  input z: [4, 6]\n  l = reshape([-1, 3])\n  output x -> l, z -> l\n}',
  },
  {
    why: 'an upsample object on a sequence and an image: built for the first rank only',
    text: 'model M {\n  input x: [4, 4]\n  input z: [5, 4, 4]\n  l = upsample(3)\n  output x -> l, z -> l\n}',
  },
  {
    why: 'a maxpool object on a sequence and an image: tfjs refused the second (expected ndim=3)',
    text: 'model M {\n  input x: [8, 6]\n  input z: [7, 8, 6]\n  l = maxpool(1)\n  output x -> l, z -> l\n}',
  },
];

test('the defects found: each minimal model agrees with TensorFlow.js', async (t) => {
  for (const f of FIXED) {
    await t.test(f.why, () => {
      const o = checkText(f.text, f.seq ?? 7);
      assert.equal(o.accepted, true, `${f.text}\nis rejected`);
      assert.deepEqual(o.problems, []);
    });
  }
});
