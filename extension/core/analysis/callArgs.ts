/** Where a call's arguments are written. */
import type { CallExpr, Expr, Range } from '../syntax/ast';
import type { LayerSpec } from '../layers/types';

/** The range of argument `name` of `call` as written, by name or in its place among the positional arguments; undefined when not written. */
export function argRangeOf(spec: LayerSpec, call: CallExpr, name: string): Range | undefined {
  return argExprOf(spec, call, name)?.range;
}

/** The value written in `call` for argument `name` of `spec`, by name or by position; undefined when not written. */
export function argExprOf(spec: LayerSpec, call: CallExpr, name: string): Expr | undefined {
  const named = call.args.find((a) => a.name?.name === name);
  if (named) return named.value;
  const index = spec.args.findIndex((a) => a.name === name);
  let pos = 0;
  for (const a of call.args) {
    if (a.name) continue;
    if (pos === index) return a.value;
    pos++;
  }
  return undefined;
}
