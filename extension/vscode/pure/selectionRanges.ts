/**
 * Smart Select (Expand / Shrink Selection) from the syntax tree: the ranges
 * that hold a position, from the innermost node out to the whole file.
 *
 * From an argument value outwards the steps are: value → argument (`name =
 * value`) → the arguments inside the parentheses → the parenthesised list →
 * the call → the chain → the statement → the statements of the body → the
 * body with its braces → the declaration → the file. Block parameters, train
 * entries, lists, shapes, sums and brackets nest the same way; a comment
 * selects itself, then its run of comment lines.
 */
import { forEachChild } from '../../core/syntax/children';
import type { Arg, Comment, Expr, Position, Range, SourceFile, Statement, TopLevel } from '../../core/syntax/ast';

function holds(r: Range, offset: number): boolean {
  return r.start.offset <= offset && offset <= r.end.offset;
}

function span(start: Position, end: Position): Range {
  return { start, end };
}

/** The span from the first to the last of `items` (what is inside a bracket or a body), if there are any. */
function inner(items: readonly { range: Range }[]): Range | undefined {
  return items.length ? span(items[0].range.start, items[items.length - 1].range.end) : undefined;
}

/**
 * Collects every range of the tree that holds `offset`, outer ones first.
 * Siblings may both hold an offset on their common boundary (`relu|# note`);
 * {@link nest} keeps one of them.
 */
class Collector {
  readonly ranges: Range[] = [];

  constructor(private readonly offset: number) {}

  /** Adds `r` if it holds the offset; says whether it did. */
  add(r: Range | undefined): r is Range {
    if (!r || !holds(r, this.offset)) return false;
    this.ranges.push(r);
    return true;
  }

  item(item: TopLevel): void {
    if (!this.add(item.range)) return;
    switch (item.kind) {
      case 'import':
        this.add(item.path.range);
        return;
      case 'model':
        this.add(item.name.range);
        this.body(item.bodyRange, item.body);
        return;
      case 'block':
        this.add(item.name.range);
        if (this.add(item.paramsRange)) {
          this.add(inner(item.params));
          for (const p of item.params) {
            if (!this.add(p.range)) continue;
            this.add(p.name.range);
            if (p.default) this.expr(p.default);
          }
        }
        this.body(item.bodyRange, item.body);
        return;
      case 'train':
        this.add(item.name.range);
        if (this.add(item.bodyRange)) {
          this.add(inner(item.entries));
          for (const e of item.entries) {
            if (!this.add(e.range)) continue;
            this.add(e.key.range);
            this.expr(e.value);
          }
        }
        return;
    }
  }

  private body(bodyRange: Range | undefined, body: readonly Statement[]): void {
    if (!this.add(bodyRange)) return;
    this.add(inner(body));
    for (const st of body) this.statement(st);
  }

  private statement(st: Statement): void {
    if (!this.add(st.range)) return;
    switch (st.kind) {
      case 'input':
        this.add(st.name.range);
        if (st.shape && this.add(st.shape.range)) {
          this.add(inner(st.shape.dims));
          for (const d of st.shape.dims) this.expr(d);
        }
        return;
      case 'assign':
        this.add(st.target.range);
        this.expr(st.value);
        return;
      case 'output':
        this.add(st.keywordRange);
        // `output a, b`: both values, then each.
        if (st.values.length > 1) this.add(inner(st.values));
        for (const v of st.values) this.expr(v);
        return;
    }
  }

  private expr(e: Expr): void {
    if (!this.add(e.range)) return;
    if (e.kind === 'call') {
      // `block(8) * 12`: the call without its repeat count is a step of its own.
      if (e.repeat) this.add(span(e.callee.range.start, (e.argsRange ?? e.callee.range).end));
      this.add(e.callee.range);
      if (this.add(e.argsRange)) {
        this.add(inner(e.args));
        for (const a of e.args) this.arg(a);
      }
      if (e.repeat) this.expr(e.repeat);
      return;
    }
    if (e.kind === 'list') this.add(inner(e.items));
    forEachChild(e, (c) => this.expr(c));
  }

  private arg(a: Arg): void {
    if (!this.add(a.range)) return;
    if (a.name) this.add(a.name.range);
    this.expr(a.value);
  }

  /** The comment holding the offset and, when it is one of several full-line comments in a row, that run. */
  comment(comments: readonly Comment[], text: string | undefined): void {
    const i = commentAt(comments, this.offset);
    if (i < 0) return;
    const c = comments[i];
    if (text !== undefined && isFullLine(c, text)) {
      let first = i;
      let last = i;
      while (first > 0 && isFullLine(comments[first - 1], text) && comments[first - 1].range.start.line === comments[first].range.start.line - 1) first--;
      while (last + 1 < comments.length && isFullLine(comments[last + 1], text) && comments[last + 1].range.start.line === comments[last].range.start.line + 1) last++;
      if (last > first) this.add(span(comments[first].range.start, comments[last].range.end));
    }
    this.add(c.range);
  }
}

/** Index of the comment holding `offset` (comments are sorted and do not overlap), or -1. */
function commentAt(comments: readonly Comment[], offset: number): number {
  let lo = 0;
  let hi = comments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = comments[mid].range;
    if (r.end.offset < offset) lo = mid + 1;
    else if (r.start.offset > offset) hi = mid - 1;
    else return mid;
  }
  return -1;
}

/** Whether only blanks precede the comment on its line. */
export function isFullLine(c: Comment, text: string): boolean {
  const lineStart = c.range.start.offset - c.range.start.character;
  for (let i = lineStart; i < c.range.start.offset; i++) {
    const ch = text.charCodeAt(i);
    if (ch !== 32 && ch !== 9) return false;
  }
  return true;
}

function size(r: Range): number {
  return r.end.offset - r.start.offset;
}

/**
 * Orders ranges from the innermost out, keeping each only if it strictly
 * contains the one before (what VS Code requires of a SelectionRange's
 * parent): equal ranges collapse, and of two siblings that touch the offset
 * the larger wins.
 */
function nest(ranges: Range[]): Range[] {
  const sorted = ranges.map((r, i) => ({ r, i })).sort((a, b) => size(b.r) - size(a.r) || a.i - b.i);
  const out: Range[] = [];
  for (const { r } of sorted) {
    const parent = out[out.length - 1];
    if (!parent) {
      out.push(r);
      continue;
    }
    const inside = parent.start.offset <= r.start.offset && r.end.offset <= parent.end.offset;
    if (inside && size(r) < size(parent)) out.push(r);
  }
  return out.reverse();
}

/**
 * The ranges to select at `offset`, innermost first, each strictly inside
 * the next; the last is the whole file. `text` (the parsed text) lets a
 * comment extend to its run of comment lines; without it a comment selects
 * only itself.
 */
export function selectionRangesAt(file: SourceFile, offset: number, text?: string): Range[] {
  const c = new Collector(offset);
  c.ranges.push(file.range);
  for (const item of file.items) {
    if (item.range.start.offset > offset) break;
    c.item(item);
  }
  c.comment(file.comments, text);
  return nest(c.ranges);
}
