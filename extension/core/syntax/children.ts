/**
 * The direct sub-expressions of an expression, in source order: one walk
 * for every pass that looks into expressions (name uses, folding, the call
 * at a position...), so a new expression kind is taught to all of them in
 * one place.
 */
import type { Expr } from './ast';

/** Calls `f` on each direct sub-expression of `e`: a chain's head then its calls, a call's argument values then its repeat count, an error's skipped names. */
export function forEachChild(e: Expr, f: (child: Expr) => void): void {
  switch (e.kind) {
    case 'chain':
      f(e.head);
      for (const c of e.calls) f(c);
      return;
    case 'call':
      for (const a of e.args) f(a.value);
      if (e.repeat) f(e.repeat);
      return;
    case 'list':
      for (const x of e.items) f(x);
      return;
    case 'binary':
      f(e.left);
      f(e.right);
      return;
    case 'unary':
      f(e.operand);
      return;
    case 'paren':
      f(e.expr);
      return;
    case 'error':
      // The names of text the parser skipped (see ErrorExpr.names).
      if (e.names) for (const x of e.names) f(x);
      return;
    case 'name':
    case 'number':
    case 'string':
    case 'bool':
      return;
    default:
      return unknownExpr(e);
  }
}

/** The default of the exhaustive switch: a kind added to `Expr` and not to the switch is a type error (at run time it has no children). */
function unknownExpr(_e: never): void {}
