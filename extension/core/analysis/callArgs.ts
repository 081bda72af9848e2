/** Where a call's arguments are written. */
import type { CallExpr, Range } from '../syntax/ast';
import type { LayerSpec } from '../layers/types';

/** The range of argument `name` of `call` as written, by name or in its place among the positional arguments; undefined when not written. */
export function argRangeOf(spec: LayerSpec, call: CallExpr, name: string): Range | undefined {
  const named = call.args.find((a) => a.name?.name === name);
  if (named) return named.value.range;
  const index = spec.args.findIndex((a) => a.name === name);
  let pos = 0;
  for (const a of call.args) {
    if (a.name) continue;
    if (pos === index) return a.range;
    pos++;
  }
  return undefined;
}
