/**
 * Helpers shared by the layer families: argument access, rank and axis
 * checks with messages that say what to change, the Keras output-length rule
 * for convolutions and pooling on symbolic dimensions, the activation list and
 * its TensorFlow.js mapping, and the per-`tf`-module cache custom layer
 * classes are made in.
 *
 * Never imports '@tensorflow/tfjs' at run time: the `tf` module is passed in.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { Sym, shapeToString, type Shape } from '../analysis/sym';
import { LayerError, type ArgSpec, type ArgValue, type LayerContext, type Tf } from './types';

// ------------------------------------------------------------------ tfjs types

export type TfLayer = tfTypes.layers.Layer;
export type TfTensor = tfTypes.Tensor;
/** A tfjs shape: batch first, unknown dimensions `null`. */
export type TfShape = (number | null)[];
export type TfLayerArgs = NonNullable<ConstructorParameters<Tf['layers']['Layer']>[0]>;
export type TfKwargs = Record<string, unknown>;
export type TfConfigDict = ReturnType<TfLayer['getConfig']>;
/** tfjs's `ActivationIdentifier` (not exported by name). */
export type TfActivationId = NonNullable<Parameters<Tf['layers']['dense']>[0]['activation']>;

/**
 * Makes something (custom layer classes) once per `tf` module. Layer files
 * cannot import tfjs, so classes extending `tf.layers.Layer` are created from
 * the module the runtime passes in; the cache keeps one class per module, so
 * `instanceof` and serialisation registration stay consistent.
 */
export function perTf<T>(make: (tf: Tf) => T): (tf: Tf) => T {
  const cache = new WeakMap<object, T>();
  return (tf) => {
    let v = cache.get(tf);
    if (v === undefined) {
      v = make(tf);
      cache.set(tf, v);
    }
    return v;
  };
}

/** The single tensor of a single-input layer call. */
export function oneTensor(inputs: TfTensor | TfTensor[]): TfTensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

/** The single shape of a single-input `computeOutputShape`. */
export function oneShape(s: TfShape | TfShape[]): TfShape {
  return Array.isArray(s[0]) ? (s as TfShape[])[0] : (s as TfShape);
}

/** Deterministic PRNG (mulberry32) for augmentation decisions made in JS. */
export { mulberry32 } from '../runtime/data/random';

// ------------------------------------------------------------------ arguments

type Args = Readonly<Record<string, ArgValue>>;

function argFail(code: string, message: string, arg?: string): never {
  throw new LayerError(code, message, arg);
}

export function argNum(args: Args, name: string): number {
  const v = args[name];
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 1) return v[0];
  return argFail('arg.type', `${name} must be a number, got ${describe(v)}`, name);
}

export function argInt(args: Args, name: string): number {
  const v = argNum(args, name);
  if (!Number.isInteger(v)) argFail('arg.type', `${name} must be a whole number, got ${v}`, name);
  return v;
}

export function argBool(args: Args, name: string): boolean {
  const v = args[name];
  if (typeof v === 'boolean') return v;
  return argFail('arg.type', `${name} must be true or false, got ${describe(v)}`, name);
}

export function argStr(args: Args, name: string): string {
  const v = args[name];
  if (typeof v === 'string') return v;
  return argFail('arg.type', `${name} must be a name, got ${describe(v)}`, name);
}

/** Integer list (`int_list`, or `ints` of any length). A lone number counts as a list of one. */
export function argIntList(args: Args, name: string): number[] {
  const v = args[name];
  if (typeof v === 'number' && Number.isInteger(v)) return [v];
  if (!Array.isArray(v) || !isIntList(v)) {
    return argFail('arg.type', `${name} must be a list of whole numbers, got ${describe(v)}`, name);
  }
  return v;
}

function isIntList(list: readonly unknown[]): boolean {
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (typeof x !== 'number' || !Number.isInteger(x)) return false;
  }
  return true;
}

/**
 * An `ints` argument for an `n`-dimensional operation: one number applies
 * to every dimension (`kernel = 3` is `[3, 3]` in 2-D), a list must have `n`.
 */
export function argInts(args: Args, name: string, n: number): number[] {
  // One number (the common `kernel = 3`) spreads without an intermediate list.
  const v = args[name];
  if (typeof v === 'number' && Number.isInteger(v)) return new Array<number>(n).fill(v);
  const list = argIntList(args, name);
  if (list.length === 1) return new Array<number>(n).fill(list[0]);
  if (list.length !== n) {
    const want = n === 1 ? 'one number' : `one number or a list of ${n}`;
    argFail('arg.range', `${name} must be ${want} here, got [${list.join(', ')}]`, name);
  }
  return list;
}

/** Checks every element is ≥ `min`. */
export function requireMin(values: readonly number[], min: number, name: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) argFail('arg.range', `${name} must be at least ${min}, got ${v}`, name);
  }
}

function describe(v: ArgValue | undefined): string {
  if (v === undefined || v === null) return 'nothing';
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (typeof v === 'object') return v.name;
  return String(v);
}

// ------------------------------------------------------------------ shapes

export const fmt = shapeToString;

/** Human name of axis `i` in a shape of `rank` (channels-last layouts). */
export function axisName(rank: number, i: number): string {
  if (rank === 3) return ['height', 'width', 'channel'][i];
  if (rank === 2) return ['length', 'channel'][i];
  return rank === 1 ? 'feature' : `axis ${i}`;
}

/**
 * Checks the input rank with a message that says what to change, e.g.
 * `conv2d expects [h, w, channels], got [784]; add reshape([28, 28, 1]) first`.
 */
export function expectRank(
  ctx: LayerContext,
  layer: string,
  ranks: readonly number[],
  layout: string,
  input: Shape = ctx.inputs[0],
): void {
  const r = input.dims.length;
  if (ranks.includes(r)) return;
  const hint = rankHint(input, ranks);
  ctx.fail('shape.rank', `${layer} expects ${layout}, got ${fmt(input)}${hint ? `; ${hint}` : ''}`);
}

function rankHint(input: Shape, ranks: readonly number[]): string | undefined {
  const d = input.dims;
  const want = Math.max(...ranks);
  const c = d.map((x) => x.value);
  if (d.length < want) {
    if (want === 3 && d.length === 1) {
      // A flatten before the convolutions is the usual cause; a vector of pixels is the other.
      const flat = 'a flatten goes after the convolutions, not before; a vector of pixels is reshaped first: ';
      const s = c[0] === undefined ? 0 : Math.round(Math.sqrt(c[0]));
      if (s * s === c[0]) return `${flat}add reshape([${s}, ${s}, 1]) first`;
      return `${flat}add reshape([h, w, channels]) first`;
    }
    if (want === 3 && d.length === 2) return `a sequence [length, channels] takes the 1-D layers (conv1d); a 2-D map needs a channel axis: add reshape([${d[0].toString()}, ${d[1].toString()}, 1]) first`;
    // One channel is the usual missing axis: [h, w] -> [h, w, 1], [len] -> [len, 1].
    if (d.length === want - 1) return `add reshape([${[...d.map((x) => x.toString()), '1'].join(', ')}]) first`;
    return `add reshape(...) to ${want} axes first`;
  }
  if (want === 2 && d.length === 3) {
    const hw = d[0].mul(d[1]);
    return `use the 2-D layer for images, or reshape([${hw.toString()}, ${d[2].toString()}]) first`;
  }
  return `reshape(...) to ${want} axes first`;
}

/** Normalises an axis over the example axes (negative counts from the end), or fails with 'shape.axis'. */
export function normAxis(ctx: LayerContext, axis: number, shape: Shape, layer: string, arg = 'axis'): number {
  const r = shape.dims.length;
  if (axis < -r || axis >= r) {
    const range = r === 0 ? 'it has no axes' : `use 0..${r - 1} or -${r}..-1`;
    ctx.fail('shape.axis', `${layer}: axis ${axis} is out of range for ${fmt(shape)}; ${range}`, arg);
  }
  return axis < 0 ? axis + r : axis;
}

export type ConvPadding = 'valid' | 'same' | 'causal';

/**
 * A windowed layer's `padding` argument as the analysis gives it: a word, or
 * explicit padding (`padding = 2`, `[1, 2]`), the zeros on each side of each
 * spatial axis as PyTorch's `padding = p` (one number for every axis).
 */
export type WindowPadding = ConvPadding | number[];

/** The padding of one spatial axis `i`: the word, or its number of positions on each side. */
export function axisPadding(padding: WindowPadding, i: number): ConvPadding | number {
  return typeof padding === 'string' ? padding : padding.length === 1 ? padding[0] : padding[i];
}

/** A `padding` argument as the layer reads it: a word, or explicit padding as number[]. */
export function argPadding(args: Readonly<Record<string, ArgValue>>): WindowPadding {
  const v = args.padding;
  if (Array.isArray(v)) return v;
  return argStr(args, 'padding') as ConvPadding;
}

/** How a call writes its padding: `same`, `2`, `[1, 2]`. */
export function paddingText(padding: WindowPadding): string {
  if (typeof padding === 'string') return padding;
  return padding.length === 1 || padding.every((p) => p === padding[0]) ? String(padding[0]) : `[${padding.join(', ')}]`;
}

/** Size of a dilated kernel: `d·(k − 1) + 1`. */
export function dilatedKernel(k: number, dilation: number): number {
  return dilation * (k - 1) + 1;
}

/**
 * Keras output length of a convolution or pooling along one axis:
 * `valid`: `⌊(n − d·(k−1) − 1) / s⌋ + 1`; `same` and `causal`: `⌈n / s⌉`;
 * `p` zeros on each side (a number): `⌊(n + 2p − d·(k−1) − 1) / s⌋ + 1`, as PyTorch.
 * Symbolic lengths stay symbolic (`seq − 2`); non-exact divisions become
 * opaque atoms. Fails when the (dilated) window is larger than a known input.
 */
export function convOutputLength(
  ctx: LayerContext,
  n: Sym,
  k: number,
  stride: number,
  dilation: number,
  padding: ConvPadding | number,
  where: { layer: string; axis: string; arg: string; what?: string },
): Sym {
  let out: Sym;
  if (padding === 'valid' || typeof padding === 'number') {
    const pad = typeof padding === 'number' ? padding : 0;
    const dk = dilatedKernel(k, dilation);
    const nv = n.value;
    if (nv !== undefined && nv + 2 * pad < dk) {
      const what = where.what ?? 'kernel';
      const span = dilation > 1 ? `${what} ${k} with dilation ${dilation} spans ${dk}, which` : `${what} ${k}`;
      const fix = where.what === 'pool size' ? 'a smaller size' : 'a smaller kernel';
      const input = pad > 0 ? `input's ${nv} (${where.axis}) with padding=${pad} (${nv + 2 * pad} with the padding)` : `input's ${nv} (${where.axis}) with padding=valid`;
      ctx.fail('shape.kernel_too_large', `${where.layer}: ${span} is larger than the ${input}; use padding=same or ${fix}`, where.arg);
    }
    out = n.add(2 * pad).sub(dk).floorDiv(stride).add(1);
  } else {
    out = n.ceilDiv(stride);
  }
  if (out.certainlyBelow(1)) {
    ctx.fail(
      'shape.output_below_1',
      `${where.layer}: the output ${where.axis} would be ${out.toString()}; the input ${where.axis} ${n.toString()} is too small`,
      where.arg,
    );
  }
  return out;
}

/** The same rule on concrete tfjs dimensions (`null` stays unknown). */
export function convOutputLengthNum(
  n: number | null,
  k: number,
  stride: number,
  dilation: number,
  padding: ConvPadding | number,
): number | null {
  if (n === null) return null;
  if (typeof padding === 'number') return Math.floor((n + 2 * padding - dilatedKernel(k, dilation)) / stride) + 1;
  if (padding === 'valid') return Math.floor((n - dilatedKernel(k, dilation)) / stride) + 1;
  return Math.ceil(n / stride);
}

// ------------------------------------------------------------------ activations

/** Activation names accepted by `activation=` on dense and conv layers. */
export const ACTIVATIONS = [
  'none',
  'relu',
  'relu6',
  'leaky_relu',
  'elu',
  'gelu',
  'sigmoid',
  'tanh',
  'silu',
  'hard_sigmoid',
  'hard_swish',
  'softmax',
] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/** Slope of `leaky_relu` when used as `activation=` (Keras 3's default). */
export const LEAKY_RELU_ALPHA = 0.2;

/** The schema entry for an `activation=` argument. */
export const activationArg: ArgSpec = {
  name: 'activation',
  type: 'activation',
  doc: 'Activation applied to the output: `none`, `relu`, `relu6`, `leaky_relu` (slope 0.2), `elu`, `gelu`, `sigmoid`, `tanh`, `silu`, `hard_sigmoid`, `hard_swish`, `softmax`.',
  default: 'none',
  enum: ACTIVATIONS,
};

/** Class name of the `leaky_relu` activation tfjs lacks (registered on first use). */
const LEAKY_ACTIVATION = 'nnLeakyRelu';

const leakyActivation = perTf((tf) => {
  // An activation object as tfjs layers use them: `apply` + serialisation.
  class NnLeakyRelu extends tf.serialization.Serializable {
    static className = LEAKY_ACTIVATION;
    apply(x: TfTensor): TfTensor {
      return tf.leakyRelu(x, LEAKY_RELU_ALPHA);
    }
    override getConfig(): TfConfigDict {
      return {};
    }
  }
  tf.serialization.registerClass(NnLeakyRelu);
  return NnLeakyRelu;
});

/** `relu6(x + 3) / 6`: PyTorch's Hardsigmoid and Keras 3's hard_sigmoid (tfjs's hardSigmoid is Keras 2's `clip(0.2·x + 0.5)`). */
function hardSigmoid(tf: Tf, x: TfTensor): TfTensor {
  return tf.div(tf.relu6(tf.add(x, 3)), 6);
}

/** Class names of the hard activations tfjs lacks (registered on first use). */
const HARD_ACTIVATIONS = { hard_sigmoid: 'nnHardSigmoid', hard_swish: 'nnHardSwish' } as const;

const hardActivations = perTf((tf) => {
  class NnHardSigmoid extends tf.serialization.Serializable {
    static className = HARD_ACTIVATIONS.hard_sigmoid;
    apply(x: TfTensor): TfTensor {
      return tf.tidy(() => hardSigmoid(tf, x));
    }
    override getConfig(): TfConfigDict {
      return {};
    }
  }
  class NnHardSwish extends tf.serialization.Serializable {
    static className = HARD_ACTIVATIONS.hard_swish;
    apply(x: TfTensor): TfTensor {
      return tf.tidy(() => tf.mul(x, hardSigmoid(tf, x)));
    }
    override getConfig(): TfConfigDict {
      return {};
    }
  }
  tf.serialization.registerClass(NnHardSigmoid);
  tf.serialization.registerClass(NnHardSwish);
  return true;
});

/**
 * The tfjs activation identifier for `name`, for the `activation` option of
 * tfjs layers. `silu` is tfjs's `swish`; `gelu` is the exact (erf) form, as
 * in Keras; `leaky_relu` is a registered custom activation.
 */
export function tfjsActivation(tf: Tf, name: string): TfActivationId {
  switch (name as ActivationName) {
    case 'none':
      return 'linear';
    case 'silu':
      return 'swish';
    case 'leaky_relu':
      leakyActivation(tf);
      // A registered class name works wherever tfjs takes an identifier.
      return LEAKY_ACTIVATION as TfActivationId;
    case 'hard_sigmoid':
    case 'hard_swish':
      hardActivations(tf);
      return HARD_ACTIVATIONS[name as 'hard_sigmoid' | 'hard_swish'] as TfActivationId;
    case 'relu':
    case 'relu6':
    case 'elu':
    case 'gelu':
    case 'sigmoid':
    case 'tanh':
    case 'softmax':
      return name as TfActivationId;
  }
  return argFail('arg.enum', `unknown activation ${name}; use one of ${ACTIVATIONS.join(', ')}`, 'activation');
}

/** Applies activation `name` to a tensor (for custom layers). */
export function applyActivation(tf: Tf, name: string, x: TfTensor): TfTensor {
  switch (name as ActivationName) {
    case 'none':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'leaky_relu':
      return tf.leakyRelu(x, LEAKY_RELU_ALPHA);
    case 'elu':
      return tf.elu(x);
    case 'gelu':
      return tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))));
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'silu':
      return tf.mul(x, tf.sigmoid(x));
    case 'hard_sigmoid':
      return hardSigmoid(tf, x);
    case 'hard_swish':
      return tf.mul(x, hardSigmoid(tf, x));
    case 'softmax':
      return tf.softmax(x, -1);
  }
  return argFail('arg.enum', `unknown activation ${name}; use one of ${ACTIVATIONS.join(', ')}`, 'activation');
}

/** Glorot-uniform initialiser seeded for reproducible builds (Keras's default for kernels). */
export function glorot(tf: Tf, seed: number) {
  return tf.initializers.glorotUniform({ seed });
}
