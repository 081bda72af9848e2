/**
 * Analysing a file with some of its models' symbolic dimensions given
 * sizes (`nnmodel summary --dim seq=3`): the model is analysed as if its
 * input were declared with the numbers (`input a: [3, 8]` for
 * `input a: [seq, 8]`), so every shape rule is checked at that size and a
 * size the model cannot take gets the diagnostic a fixed size would
 * (`shape.output_below_1`), rather than formulas evaluated into negative
 * shapes and counts.
 *
 * Substitution is exact: a symbolic dimension is a name in a model input's
 * shape that the model body has not bound before it (the body cannot
 * otherwise refer to it: `seq` elsewhere is `name.unknown`), and the name is
 * replaced by a number in the syntax tree with the name's range, so every
 * diagnostic keeps its position in the source as written.
 */
import { parse } from '../syntax/parser';
import type { Expr, ModelDecl, NumberLit } from '../syntax/ast';
import { analyzeFile, type AnalyzeOptions } from './analyze';
import type { Analysis } from './types';

/**
 * `analyze(text, options)` with the dimensions of `dims` given their sizes
 * (whole numbers from 1) in the models named in `models` (all models when
 * absent). Names a model does not use as a dimension are left alone.
 */
export function analyzeWithDims(
  text: string,
  options: AnalyzeOptions,
  dims: Readonly<Record<string, number>>,
  models?: ReadonlySet<string>,
): Analysis {
  const file = parse(text);
  for (const item of file.items) {
    if (item.kind === 'model' && (!models || models.has(item.name.name))) bindModelDims(item, dims);
  }
  return analyzeFile(
    file,
    options,
    (a, f, out) => {
      for (const item of f.items) if (item.kind === 'model') out.push(a.analyzeModel(item));
    },
    false,
  );
}

/** Replaces, in place, the symbolic dimensions of `decl`'s input shapes that `dims` sizes. */
function bindModelDims(decl: ModelDecl, dims: Readonly<Record<string, number>>): void {
  // A name the body binds before an input (`n = 4`, then `input a: [n]`) is that value, not a dimension.
  const bound = new Set<string>();
  for (const stmt of decl.body) {
    if (stmt.kind === 'assign') bound.add(stmt.target.name);
    else if (stmt.kind === 'input' && stmt.shape) stmt.shape.dims = stmt.shape.dims.map((d) => substitute(d, dims, bound));
  }
}

/** `e` with each free name that `dims` sizes replaced by its size; the dimension grammar: numbers, names, parentheses and + - * /. */
function substitute(e: Expr, dims: Readonly<Record<string, number>>, bound: ReadonlySet<string>): Expr {
  switch (e.kind) {
    case 'name': {
      if (bound.has(e.name) || !Object.hasOwn(dims, e.name)) return e;
      const value = dims[e.name];
      const lit: NumberLit = { kind: 'number', value, text: String(value), isInt: true, range: e.range };
      return lit;
    }
    case 'paren':
      return { ...e, expr: substitute(e.expr, dims, bound) };
    case 'binary':
      return { ...e, left: substitute(e.left, dims, bound), right: substitute(e.right, dims, bound) };
    default:
      return e;
  }
}
