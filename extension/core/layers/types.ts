/**
 * The layer registry contract. Every layer of the language lives in one
 * `LayerSpec`: its argument schema, documentation, shape rule, weight shapes
 * (parameter counts are derived from them, never written twice), MAC count
 * and TensorFlow.js construction.
 *
 * Layer files never import '@tensorflow/tfjs' at run time (only `import type`):
 * the editor analyses without loading tfjs, and the runtime passes the `tf`
 * module in through `TfjsContext`.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Shape, Sym } from '../analysis/sym';

export type Tf = typeof tfTypes;

export type LayerCategory =
  | 'input'
  | 'conv'
  | 'dense'
  | 'pool'
  | 'norm'
  | 'activation'
  | 'attention'
  | 'recurrent'
  | 'embedding'
  | 'reshape'
  | 'merge'
  | 'regularization'
  | 'augmentation';

/**
 * Argument types. The analysis converts what the user wrote into an
 * `ArgValue` of the declared type before any layer code runs:
 * - `int`, `number`: a number (int must be integral)
 * - `bool`: true/false
 * - `string`: a string literal
 * - `enum`: one of `enum` (written bare: `padding = same`), as a string
 * - `ints`: an int or a list of ints (`kernel = 3`, `kernel = [3, 5]`), always given to the layer as number[]
 * - `int_list`: a list of ints (`reshape([-1, 64])`), number[]
 * - `activation`: an activation name or `none`, as a string
 * - `layer`: a layer object in scope (`unembed(wte)`), as a `LayerRef`
 * - `tensor`: a value in scope (`context = memory`); its shape is in `LayerContext.tensors`
 * - `tensors`: variadic positional values (`concat(a, b)`); shapes in `LayerContext.inputs`
 */
export type ArgType =
  | 'int'
  | 'number'
  | 'bool'
  | 'string'
  | 'enum'
  | 'ints'
  | 'int_list'
  | 'activation'
  | 'layer'
  | 'tensor'
  | 'tensors';

/** Reference to a layer object (`wte = embedding(...)`). */
export interface LayerRef {
  kind: 'layerRef';
  /** Name of the layer object in source. */
  name: string;
  /** The layer object's identity (LayerNode.objectId). */
  id?: string;
  /** Registry name of the layer it holds, e.g. 'embedding'. */
  layer: string;
  /** Its resolved arguments. */
  args: Readonly<Record<string, ArgValue>>;
}

/** Reference to a tensor value passed as an argument. */
export interface TensorRef {
  kind: 'tensorRef';
  name: string;
}

export type ArgValue = number | boolean | string | number[] | LayerRef | TensorRef | null;

export interface ArgSpec {
  name: string;
  type: ArgType;
  /** One-line documentation for completion and hover. */
  doc: string;
  /**
   * Default value. Absent means the argument is required, unless `optional`.
   * A function computes it from the other (already resolved) arguments,
   * e.g. pooling's `stride = size`.
   */
  default?: ArgValue | ((args: Readonly<Record<string, ArgValue>>) => ArgValue);
  /**
   * How signatures and hovers write a computed default, or the default of an
   * optional argument, as the layer's documentation does: `size`, `dim/heads`.
   */
  defaultText?: string;
  /** Optional with no default (value `null` when not given). */
  optional?: boolean;
  /** Allowed values for `enum`. */
  enum?: readonly string[];
  /**
   * For `enum`: also takes a whole number or a list of `length` of them, as
   * `ints` does (within `min`/`max`), given to the layer as number[]:
   * explicit padding, `padding = 2` or `padding = [1, 2]`.
   */
  orInts?: boolean;
  /** For a word that is not one of `enum` but means something elsewhere (`conv2d(padding = causal)`): what to say, and the value the fix writes. */
  enumHints?: Readonly<Record<string, { hint: string; fix?: string }>>;
  /** Inclusive numeric range (for `ints`/`int_list`, of every element). */
  min?: number;
  max?: number;
  /** For `ints`: how many elements a list may have (e.g. 2 for conv2d's kernel). */
  length?: number;
}

export interface WeightSpec {
  /** tfjs-style weight name: 'kernel', 'bias', 'gamma', 'moving_mean', ... */
  name: string;
  shape: Sym[];
  trainable: boolean;
}

/**
 * A tensor a layer computes inside itself and keeps for the backward pass,
 * besides its output: attention's softmax weights `[heads, seq_q, seq_k]`.
 * Counted in the activation bytes (see docs/language.md, Memory).
 */
export interface InternalActivation {
  /** What it holds, for people: 'attention weights'. */
  name: string;
  shape: Sym[];
}

/**
 * Thrown (through `LayerContext.fail`) when arguments or input shapes do not
 * fit. The analysis turns it into a diagnostic on the argument named, or on
 * the whole call.
 */
export class LayerError extends Error {
  constructor(
    /** Stable diagnostic code, e.g. 'shape.rank', 'shape.kernel_too_large'. */
    readonly code: string,
    message: string,
    /** The argument the problem is about, when there is one. */
    readonly arg?: string,
    /** Values of that argument that would mend it, likeliest first (the quick fixes: `heads` 4 or 5). */
    readonly values?: readonly string[],
  ) {
    super(message);
  }
}

export interface LayerContext {
  /** Arguments, all present: defaults filled in, types converted. */
  readonly args: Readonly<Record<string, ArgValue>>;
  /**
   * Shapes of the tensor inputs. `[0]` is the value piped in with `->`; for
   * a `tensors` argument (concat, add, multiply) the named values follow it.
   * When a variadic layer stands alone (`concat(a, b)`), they are just the values.
   */
  readonly inputs: readonly Shape[];
  /** Shapes of `tensor` arguments by argument name (absent when not given). */
  readonly tensors: Readonly<Record<string, Shape | undefined>>;
  /** Throws a LayerError; use for every problem a user can cause. */
  fail(code: string, message: string, arg?: string, values?: readonly string[]): never;
}

export interface TfjsContext {
  readonly tf: Tf;
  readonly args: Readonly<Record<string, ArgValue>>;
  readonly inputs: readonly Shape[];
  readonly tensors: Readonly<Record<string, Shape | undefined>>;
  /** Unique layer name to give the tfjs layer. */
  readonly name: string;
  /** Seed for weight initialisers, so the same file builds the same weights. */
  readonly seed: number;
  /** The tfjs layer already built for a `layer` argument (e.g. unembed's embedding). */
  layerObject(arg: string): tfTypes.layers.Layer;
}

export interface LayerSpec {
  /** Name in the language, lower case: 'conv2d'. */
  readonly name: string;
  readonly category: LayerCategory;
  /** One line for completion lists. */
  readonly summary: string;
  /** Markdown for hovers: what it computes, the shapes it takes and gives. */
  readonly doc: string;
  /** Arguments in positional order. */
  readonly args: readonly ArgSpec[];
  /**
   * What the piped input must be: 'float' (default) rejects `int[...]` token
   * ids with a hint to embed first, 'int' requires them, 'any' takes both.
   */
  readonly inputKind?: 'float' | 'int' | 'any';
  /** Allowed input ranks (batch excluded); checked before `outputShape`. */
  readonly inputRank?: readonly number[] | { min: number; max?: number };
  /** Active in training only (augmentation, dropout): identity at inference. */
  readonly trainingOnly?: boolean;
  /**
   * Markdown lines for the hover of one call, from its arguments (defaults
   * filled in) and, when known, its input shapes: what they make of the
   * layer, e.g. attention's ALiBi slopes per head, the axes a normalisation
   * averages over, what a stride saves. Absent when the documentation says it all.
   */
  notes?(args: Readonly<Record<string, ArgValue>>, inputs?: readonly Shape[]): string[];
  /**
   * Output shape from the input shapes and arguments. Calls `ctx.fail` for
   * anything the user must change (kernel larger than input, heads not
   * dividing dim, shapes that do not match in concat/add...).
   */
  outputShape(ctx: LayerContext): Shape;
  /** Weight shapes; parameter counts are their products. */
  weights(ctx: LayerContext, output: Shape): WeightSpec[];
  /** Multiply-accumulates for one example's forward pass (contract conventions). */
  macs(ctx: LayerContext, output: Shape): Sym;
  /**
   * The tensors the layer keeps inside itself for the backward pass, besides
   * its output (one example's); the activation bytes add them. Absent when
   * the output is all a layer keeps.
   */
  internalActivations?(ctx: LayerContext, output: Shape): InternalActivation[];
  /**
   * Builds the TensorFlow.js layer. The runtime calls
   * `layer.apply(inputs.length === 1 ? inputs[0] : inputs)` with the piped
   * value first, then the `tensors` values, then each given `tensor`
   * argument in schema order.
   */
  tfjs(ctx: TfjsContext): tfTypes.layers.Layer;
}
