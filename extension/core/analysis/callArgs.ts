/** Where a call's arguments are written. */
import type { Arg, CallExpr, Expr, Range, SourceFile } from '../syntax/ast';
import { forEachChild } from '../syntax/children';
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

/** The call expression of a model or block body of `file` that starts at `offset`. */
export function callAt(file: SourceFile, offset: number): CallExpr | undefined {
  const item = file.items.find((i) => (i.kind === 'model' || i.kind === 'block') && i.range.start.offset <= offset && offset < i.range.end.offset);
  if (!item || (item.kind !== 'model' && item.kind !== 'block')) return undefined;
  const todo: Expr[] = [];
  for (const st of item.body) {
    if (st.kind === 'assign') todo.push(st.value);
    else if (st.kind === 'output') todo.push(...st.values);
  }
  while (todo.length) {
    const e = todo.pop()!;
    if (e.range.end.offset < offset || e.range.start.offset > offset) continue;
    if (e.kind === 'call' && (e.range.start.offset === offset || e.callee.range.start.offset === offset)) return e;
    forEachChild(e, (c) => todo.push(c));
  }
  return undefined;
}

/** What removing `arg` from `call` deletes: it and the comma before it (after it, when it is first); the parentheses too when it is alone. */
export function argRemoval(call: CallExpr, arg: Arg): Range {
  const i = call.args.indexOf(arg);
  if (call.args.length === 1) return call.argsRange ?? arg.range;
  if (i === 0) return { start: arg.range.start, end: call.args[1].range.start };
  return { start: call.args[i - 1].range.end, end: arg.range.end };
}
