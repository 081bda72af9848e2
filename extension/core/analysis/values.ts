/**
 * Values the analysis computes while it walks a model: tensors (a node in the
 * graph being built, with its shape), plain values (numbers, strings, ...) and
 * layer objects. `unknown` stands for anything an earlier error made
 * impossible to know; it never produces a second diagnostic.
 */
import type { ArgValue, LayerSpec, WeightSpec } from '../layers/types';
import type { Shape, Sym } from './sym';

export interface TensorValue {
  kind: 'tensor';
  /** Node id in the graph being built. */
  node: number;
  /** Undefined when an earlier error left it unknown. */
  shape?: Shape;
  /** Name it was bound to, for messages and references. */
  name?: string;
}

export interface LayerObject {
  kind: 'object';
  name: string;
  spec: LayerSpec;
  args: Record<string, ArgValue>;
  /** Label of its definition's call (`embedding(64, 128)`): its nodes read `wte: embedding(64, 128)`. */
  label: string;
  /** One for the object and every name bound to it (`e = d`): every application, in any block or repeat, shares its weights. */
  state: LayerObjectState;
}

export interface LayerObjectState {
  /** LayerNode.objectId, Graph.objects: its definition (`model M#0`, `block b#1`), the same in every analysis of the text. */
  id: string;
  /** Unique among the objects of one analysis: the block instantiation cache tells objects apart by it (see valueKey). */
  key: number;
  /** Set by the first application: later ones share its weights. */
  first?: {
    node: number;
    /** The graph `node` is in (a block body's, when a block applied it first). */
    graph: object;
    weights: WeightSpec[];
    /** Rank of the input it was first applied to. */
    rank: number;
  };
}

export type Value =
  | TensorValue
  | { kind: 'number'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  /** A bare identifier with no binding, kept for an enum argument: `padding = same`. */
  | { kind: 'enum'; value: string }
  | { kind: 'list'; items: Value[] }
  /**
   * A size a block's input pattern bound to a symbolic dimension of what it
   * received (`input x: [n, d]` given `[seq, 64]`: n is `seq`). It sizes shapes
   * and is checked like one; it is not a number, so layer arguments refuse it.
   */
  | { kind: 'size'; sym: Sym }
  | LayerObject
  | { kind: 'unknown' };

export const UNKNOWN: Value = { kind: 'unknown' };

export function describeValue(v: Value): string {
  switch (v.kind) {
    case 'tensor':
      return v.name ? `the tensor '${v.name}'` : 'a tensor';
    case 'number':
      return `the number ${v.value}`;
    case 'string':
      return `the string "${v.value}"`;
    case 'bool':
      return `the value ${v.value}`;
    case 'enum':
      return `'${v.value}'`;
    case 'list':
      return 'a list';
    case 'size':
      return `the symbolic size ${v.sym.toString()}`;
    case 'object':
      return `the layer object '${v.name}'`;
    case 'unknown':
      return 'an unknown value';
  }
}

/** A stable text key for a plain value (block instantiation cache). */
export function valueKey(v: Value): string {
  switch (v.kind) {
    case 'number':
      return `n${v.value}`;
    case 'string':
      return `s${JSON.stringify(v.value)}`;
    case 'bool':
      return `b${v.value}`;
    case 'enum':
      return `e${v.value}`;
    case 'list':
      return `[${v.items.map(valueKey).join(',')}]`;
    case 'size':
      return `z${v.sym.toString()}`;
    case 'object':
      // The object itself, not its name (another model's `d` is another layer), and whether it was applied
      // already: a block body applying it first holds its weights, applying it again shares them.
      return `o${v.state.key}${v.name}${v.state.first ? '+' : ''}`;
    case 'tensor':
      return `t${v.node}`;
    case 'unknown':
      return '?';
  }
}

/**
 * `l op r` of two numbers as the language computes it (`/` divides, `//`
 * floors the quotient); undefined for a division by zero. The analysis and
 * the editor's hovers of constant values compute with this one function.
 */
export function arithmetic(op: '+' | '-' | '*' | '/' | '//', l: number, r: number): number | undefined {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return r === 0 ? undefined : l / r;
    case '//':
      return r === 0 ? undefined : Math.floor(l / r);
  }
}
