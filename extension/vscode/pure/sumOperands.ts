/**
 * The two values a `+` adds, as written: what its hover shows, so that the
 * precedence of `->` over `+` is visible (`x + x -> layernorm -> attention(4)`
 * adds `x` and `x -> layernorm -> attention(4)`), and whether the sum is a
 * residual connection (one side a chain that starts from the other).
 */
import type { BinaryExpr, Expr, SourceFile } from '../../core/syntax/ast';

export interface SumOperands {
  /** The operands' source text, shortened when long (`b -> dense(8) -> … -> dense(8)`). */
  left: string;
  right: string;
  /** Which side is the shortcut when the other side is a chain starting from it (`x + x -> f`: 'left'). */
  shortcut?: 'left' | 'right';
}

/** The longest operand shown whole; longer chains keep their head, first and last calls. */
const MAX_OPERAND = 48;

function contains(e: { range: { start: { offset: number }; end: { offset: number } } }, offset: number): boolean {
  return e.range.start.offset <= offset && offset <= e.range.end.offset;
}

/** The sum whose `+` starts at `opStart`, among the expressions that contain it. */
function findSum(e: Expr, opStart: number): BinaryExpr | undefined {
  if (!contains(e, opStart)) return undefined;
  switch (e.kind) {
    case 'binary':
      if (e.op === '+' && e.opRange.start.offset === opStart) return e;
      return findSum(e.left, opStart) ?? findSum(e.right, opStart);
    case 'chain':
      return findSum(e.head, opStart) ?? firstOf(e.calls, (c) => findSum(c, opStart));
    case 'call':
      return firstOf(e.args, (a) => findSum(a.value, opStart));
    case 'paren':
      return findSum(e.expr, opStart);
    case 'unary':
      return findSum(e.operand, opStart);
    case 'list':
      return firstOf(e.items, (x) => findSum(x, opStart));
    default:
      return undefined;
  }
}

function firstOf<T, R>(xs: readonly T[], f: (x: T) => R | undefined): R | undefined {
  for (const x of xs) {
    const r = f(x);
    if (r !== undefined) return r;
  }
  return undefined;
}

function statementExprs(file: SourceFile, offset: number): Expr[] {
  for (const item of file.items) {
    if ((item.kind !== 'model' && item.kind !== 'block') || !contains(item, offset)) continue;
    for (const s of item.body) {
      if (!contains(s, offset)) continue;
      if (s.kind === 'assign') return [s.value];
      if (s.kind === 'output') return s.values;
    }
  }
  return [];
}

/** The expression without its brackets: `(x -> f)` is `x -> f`. */
function unwrap(e: Expr): Expr {
  while (e.kind === 'paren') e = e.expr;
  return e;
}

/** The name a chain starts from, through nested chains and brackets: `(x -> a) -> b` starts from `x`. */
function chainRoot(e: Expr): string | undefined {
  e = unwrap(e);
  if (e.kind !== 'chain') return undefined;
  let head = unwrap(e.head);
  while (head.kind === 'chain') head = unwrap(head.head);
  return head.kind === 'name' ? head.name : undefined;
}

function textOf(text: string, e: { range: { start: { offset: number }; end: { offset: number } } }): string {
  return text.slice(e.range.start.offset, e.range.end.offset).replace(/\s+/g, ' ').trim();
}

/** An operand's text, one line; a long chain keeps its head, first and last calls (`b -> dense(8) -> … -> relu`). */
export function operandText(text: string, e: Expr): string {
  const whole = textOf(text, e);
  if (whole.length <= MAX_OPERAND) return whole;
  const inner = unwrap(e);
  if (inner.kind === 'chain' && inner.calls.length > 2) {
    const [open, close] = inner === e ? ['', ''] : ['(', ')'];
    const short = `${open}${textOf(text, inner.head)} -> ${textOf(text, inner.calls[0])} -> … -> ${textOf(text, inner.calls[inner.calls.length - 1])}${close}`;
    if (short.length <= 2 * MAX_OPERAND) return short;
  }
  return whole.slice(0, MAX_OPERAND - 1).trimEnd() + '…';
}

/** The operands of the `+` whose operator starts at `opStart` (the range of its `add` site), undefined when there is none. */
export function sumOperands(file: SourceFile, opStart: number): SumOperands | undefined {
  const text = file.text;
  if (text === undefined) return undefined;
  const sum = firstOf(statementExprs(file, opStart), (e) => findSum(e, opStart));
  if (!sum) return undefined;
  const name = (e: Expr) => {
    const u = unwrap(e);
    return u.kind === 'name' ? u.name : undefined;
  };
  const l = name(sum.left);
  const r = name(sum.right);
  const shortcut = l !== undefined && chainRoot(sum.right) === l ? 'left' : r !== undefined && chainRoot(sum.left) === r ? 'right' : undefined;
  return { left: operandText(text, sum.left), right: operandText(text, sum.right), shortcut };
}
