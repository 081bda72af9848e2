/**
 * What a block parameter stands for, read from how its body uses it: a
 * layer (`-> act`, which takes a layer object or the name of a layer that
 * needs no arguments), the choice of a layer's argument (`activation =
 * act`, `padding = pad`), or a number (`dense(n)`, `4 * dim`, `[k, k]`, an
 * input shape). Completion offers what fits there,
 * in a call of the block and, for the enclosing block's own parameters,
 * inside its body. From the syntax tree the analysis already has (an
 * imported block's, parsed once per declaration text: blocks.ts).
 */
import { getLayer } from '../../core/layers';
import type { ArgSpec } from '../../core/layers/types';
import type { BlockDecl, CallExpr, Expr } from '../../core/syntax/ast';
import { forEachChild } from '../../core/syntax/children';

export type ParamUse =
  /**
   * A layer: applied in a chain (`-> act`, `applied`), where a layer object
   * or the name of a layer that needs no arguments fits (`gelu`, applied
   * with its defaults); or given as a layer argument (`unembed(e)`), where
   * only a layer object does.
   */
  | { kind: 'layer'; applied: boolean }
  /** The whole value of a layer argument that takes a choice (enum, activation, bool): its choices fit. */
  | { kind: 'choice'; arg: ArgSpec }
  /** In arithmetic, a list, a shape, a repeat count or a number argument. */
  | { kind: 'number' }
  /** Not used, or used where its kind does not show. */
  | { kind: 'unknown' };

const UNKNOWN: ParamUse = { kind: 'unknown' };
const NUMBER: ParamUse = { kind: 'number' };
const APPLIED: ParamUse = { kind: 'layer', applied: true };
const LAYER_ARG: ParamUse = { kind: 'layer', applied: false };
/** Blocks passing a parameter on to blocks (`inner(act = act)`) are followed this deep. */
const MAX_DEPTH = 4;

/**
 * How the body of `decl` uses its parameter `name`: the first use, in source
 * order, whose kind shows; a parameter given on to another block's
 * parameter takes that one's (`blockNamed` finds the block). Uses after a
 * statement binding the same name are another value's, and not read.
 */
export function paramUse(decl: BlockDecl, name: string, blockNamed: (name: string) => BlockDecl | undefined, depth = 0): ParamUse {
  const find = (e: Expr | undefined, inArg: boolean) => (e ? useIn(e, name, inArg, blockNamed, depth) : undefined);
  for (const p of decl.params) {
    // A default built from it: `hidden = 4 * dim`.
    const u = p.name.name !== name && find(p.default, true);
    if (u) return u;
  }
  for (const st of decl.body) {
    let u: ParamUse | undefined;
    if (st.kind === 'input') u = st.shape?.dims.some((d) => mentions(d, name)) ? NUMBER : undefined;
    else if (st.kind === 'assign') u = find(st.value, false);
    else for (const v of st.values) if ((u = find(v, false))) break;
    if (u) return u;
    if (st.kind === 'assign' && st.target.name === name) break;
  }
  return UNKNOWN;
}

function mentions(e: Expr, name: string): boolean {
  if (e.kind === 'name') return e.name === name;
  let found = false;
  forEachChild(e, (c) => (found ||= mentions(c, name)));
  return found;
}

/** The use of `name` in `e`; `inArg` when `e` is (part of) a call's argument, where a bare name is a value, not a tensor. */
function useIn(e: Expr, name: string, inArg: boolean, blockNamed: (name: string) => BlockDecl | undefined, depth: number): ParamUse | undefined {
  switch (e.kind) {
    case 'name':
      return inArg && e.name === name ? NUMBER : undefined;
    case 'call':
      if (e.callee.name === name) return APPLIED;
      return useInCall(e, name, blockNamed, depth);
    default: {
      let u: ParamUse | undefined;
      forEachChild(e, (c) => (u ??= useIn(c, name, inArg, blockNamed, depth)));
      return u;
    }
  }
}

function useInCall(call: CallExpr, name: string, blockNamed: (name: string) => BlockDecl | undefined, depth: number): ParamUse | undefined {
  const spec = getLayer(call.callee.name);
  const block = spec ? undefined : blockNamed(call.callee.name);
  let position = 0;
  for (const a of call.args) {
    const index = a.name ? -1 : position++;
    if (a.value.kind !== 'name' || a.value.name !== name) {
      const u = useIn(a.value, name, true, blockNamed, depth);
      if (u) return u;
      continue;
    }
    // The whole value is the parameter: it takes what the argument it fills takes.
    if (spec) {
      const arg = a.name ? spec.args.find((x) => x.name === a.name!.name) : spec.args[index];
      switch (arg?.type) {
        case 'enum':
        case 'activation':
        case 'bool':
          return { kind: 'choice', arg };
        case 'int':
        case 'number':
        case 'ints':
        case 'int_list':
          return NUMBER;
        case 'layer':
          return LAYER_ARG;
      }
    } else if (block && depth < MAX_DEPTH) {
      const param = a.name ? a.name.name : block.params[index]?.name.name;
      const u = param === undefined ? UNKNOWN : paramUse(block, param, blockNamed, depth + 1);
      if (u.kind !== 'unknown') return u;
    }
  }
  return call.repeat && mentions(call.repeat, name) ? NUMBER : undefined;
}
