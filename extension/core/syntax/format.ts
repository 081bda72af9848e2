/**
 * The canonical layout of `.nnmodel` files.
 *
 * Layout rules:
 * - Bodies are indented by one {@link FormatOptions.indent} (two spaces
 *   unless told otherwise: a tab, or N spaces); `}` stands alone at the
 *   declaration's indent; an empty body is written `{}`.
 * - One space around `=`, `->`, `+`, `-`, `*`, `/`, `//` and the repeat `*`;
 *   `: ` after an input name and a train key; `, ` after commas; no spaces
 *   inside brackets; named arguments and defaults as `name = value`. Trailing
 *   commas are dropped. Number literals and strings keep their source text.
 * - Exactly one blank line between top-level items (consecutive imports stay
 *   together). Inside bodies, runs of blank lines shrink to one, and there is
 *   none right after `{` or before `}`.
 * - Comments stay where they were: own-line comments before the item or
 *   statement that followed them, at the current indent; trailing comments on
 *   the line of the code they followed, at their original column when that is
 *   at least two spaces past the code, else two spaces after it.
 * - Chains: a chain keeps the line breaks its author put before `->` (so
 *   `conv -> tanh -> pool` groups written one per line stay that way), and a
 *   line that would pass {@link FORMAT_WIDTH} columns is broken before the
 *   `->` that would cross it. Continuation lines start with `->` aligned
 *   under the chain's first `->`; when that column is past half the width, or
 *   the first call itself starts a new line, continuation lines are indented
 *   four spaces past the statement instead. Only chains in the flow of a
 *   statement break; chains inside arguments or brackets stay on one line,
 *   and other long lines are left long.
 * - Several outputs (`output a, b`) stay on one line when they fit there with
 *   no chain broken; otherwise each starts a line of its own, aligned under
 *   the first, the `,` ending the line before, and its chain breaks as above,
 *   counting "four spaces past" from the output's column.
 * - Indenting with tabs, lines start with one tab per level of the statement
 *   and the alignment beyond it (continuation lines, lines of a statement
 *   kept as written) is in spaces, so it holds at any tab width. Columns
 *   (line widths, comment columns, the source's alignment) count a tab as
 *   {@link FormatOptions.tabSize} columns, up to the next multiple.
 * - A statement with a comment inside it that is not at a chain line break
 *   (e.g. inside a multi-line argument list) is kept as written, re-indented
 *   only; so is a declaration with a comment in its header.
 *
 * Safety: a file with syntax errors is returned unchanged, and the result is
 * re-parsed and compared with the input (same tree ignoring ranges, same
 * comments in the same order); if they differ the input is returned
 * unchanged. So formatting never changes meaning or loses a comment. The
 * layout is idempotent: `format(format(x)) === format(x)`.
 */
import type { TextEdit } from '../analysis/types';
import type {
  Arg,
  BlockDecl,
  ChainExpr,
  Comment,
  Expr,
  ModelDecl,
  Position,
  Range,
  SourceFile,
  Statement,
  TopLevel,
  TrainDecl,
  TrainEntry,
} from './ast';
import { LineMap } from './lexer';
import { parse, sameStructure } from './parser';

/** Column limit for chains. */
export const FORMAT_WIDTH = 100;
const CONTINUATION = 4;

/** How to indent; VS Code's `FormattingOptions` map onto it (see extension/vscode/formatting.ts). */
export interface FormatOptions {
  /** One level of indentation: `'\t'` or one or more spaces. Default two spaces. */
  indent?: string;
  /**
   * How many columns a tab counts for, up to the next multiple: in line
   * widths and in the source's columns. Default 4 when `indent` is a tab;
   * with spaces a tab counts as one column unless this is given (the
   * layout from before this option, byte for byte).
   */
  tabSize?: number;
}

interface Layout {
  unit: string;
  tab: number;
}

function layoutOf(options: FormatOptions | undefined): Layout {
  const unit = options?.indent ?? '  ';
  if (unit !== '\t' && !/^ +$/.test(unit)) {
    throw new RangeError(`format: indent must be a tab or one or more spaces, got ${JSON.stringify(unit)}`);
  }
  const tab = options?.tabSize ?? (unit === '\t' ? 4 : 1);
  if (!Number.isSafeInteger(tab) || tab < 1) throw new RangeError(`format: tabSize must be a positive integer, got ${tab}`);
  return { unit, tab };
}

/**
 * Format a whole file; returns `text` itself when it has syntax errors.
 * Throws a RangeError only for invalid `options`.
 */
export function format(text: string, options?: FormatOptions): string {
  const layout = layoutOf(options);
  try {
    const file = parse(text);
    if (file.errors.length > 0) return text;
    const printed = new Printer(text, file, layout).print();
    const out = printed.lines.length === 0 ? '' : printed.lines.join(printed.eol) + printed.eol;
    return verify(file, out) ? out : text;
  } catch {
    return text;
  }
}

/**
 * Format the top-level items that touch lines `startLine..endLine`
 * (zero-based, inclusive). Whole items are reformatted, so the edit may cover
 * more than the requested lines. Returns at most one edit, replacing whole
 * source lines; none when the text has syntax errors, no item touches the
 * range, or the items are already formatted. `options` as for {@link format}.
 */
export function formatRange(text: string, startLine: number, endLine: number, options?: FormatOptions): TextEdit[] {
  const layout = layoutOf(options);
  try {
    const file = parse(text);
    if (file.errors.length > 0 || file.items.length === 0) return [];
    const printed = new Printer(text, file, layout).print();
    const out = printed.lines.length === 0 ? '' : printed.lines.join(printed.eol) + printed.eol;
    if (!verify(file, out)) return [];
    const items = file.items;
    let first = items.findIndex((it) => it.range.end.line >= startLine);
    if (first < 0 || items[first].range.start.line > endLine) return [];
    let last = first;
    while (last + 1 < items.length && items[last + 1].range.start.line <= endLine) last++;
    // Items sharing a line with the selection's ends must go with it, or the edit would cut them.
    while (first > 0 && items[first - 1].range.end.line >= items[first].range.start.line) first--;
    while (last + 1 < items.length && items[last + 1].range.start.line <= items[last].range.end.line) last++;
    const lines = LineMap.of(text);
    const fromLine = items[first].range.start.line;
    const toLine = items[last].range.end.line;
    const oldText = text.slice(lines.starts[fromLine], lines.lineEnd(toLine));
    const newText = printed.lines.slice(printed.spans[first][0], printed.spans[last][1] + 1).join(printed.eol);
    if (newText === oldText) return [];
    return [
      {
        range: { start: lines.positionAt(lines.starts[fromLine]), end: lines.positionAt(lines.lineEnd(toLine)) },
        newText,
      },
    ];
  } catch {
    return [];
  }
}

function verify(file: SourceFile, out: string): boolean {
  const again = parse(out);
  if (again.errors.length > 0) return false;
  if (again.comments.length !== file.comments.length) return false;
  for (let i = 0; i < file.comments.length; i++) {
    if (again.comments[i].text !== file.comments[i].text) return false;
  }
  return sameStructure(again.items, file.items);
}

interface Printed {
  lines: string[];
  eol: string;
  /** Output line span `[first, last]` of each top-level item (trailing comment included). */
  spans: Array<[number, number]>;
}

type Prev = { kind: 'item' | 'import' | 'comment'; endLine: number };

class Printer {
  private readonly out: string[] = [];
  private readonly comments: Comment[];
  /** Next comment not yet printed. */
  private ci = 0;
  /** Comments inside the statement being printed, for chain line breaks to claim. */
  private pool: Comment[] = [];
  private poolUsed = 0;

  /** One level of indentation. */
  private readonly unit: string;
  /** Columns of a tab. */
  private readonly tab: number;

  constructor(
    private readonly src: string,
    private readonly file: SourceFile,
    layout: Layout,
  ) {
    this.comments = file.comments;
    this.unit = layout.unit;
    this.tab = layout.tab;
  }

  /** The column after `s` when it starts at column `col`. */
  private end(s: string, col: number): number {
    if (this.tab === 1 || !s.includes('\t')) return col + s.length;
    for (let i = 0; i < s.length; i++) col = s[i] === '\t' ? col + this.tab - (col % this.tab) : col + 1;
    return col;
  }

  /** The column of a source position, its line's tabs expanded. */
  private sourceColumn(p: Position): number {
    return this.end(this.src.slice(p.offset - p.character, p.offset), 0);
  }

  /** The start of a line whose text begins at column `col` (at or past `indent`'s end): `indent`, then spaces. */
  private lead(indent: string, col: number): string {
    return indent + ' '.repeat(Math.max(0, col - this.end(indent, 0)));
  }

  /**
   * `line` plus a trailing comment: at the comment's original column when
   * that leaves at least two spaces after the code (and the line was not
   * wrapped here), else two spaces after it.
   * `col` is where `line` starts on the output line.
   */
  private withComment(line: string, col: number, c: Comment): string {
    const codeEnd = this.end(line, col);
    // Not its original column when the line it ended was wrapped here (this output line continues a statement whose
    // comment's source line did not): that column, where the long line ended, would keep the wrapped line as wide.
    const source = this.sourceColumn(c.range.start);
    const lineStart = this.src.lastIndexOf('\n', c.range.start.offset - 1) + 1;
    const wrapped = /^\s*(->|\+)/.test(line) && !/^\s*(->|\+)/.test(this.src.slice(lineStart, c.range.start.offset));
    const at = wrapped ? codeEnd + 2 : Math.max(codeEnd + 2, source);
    return line + ' '.repeat(at - codeEnd) + c.text;
  }

  print(): Printed {
    const spans: Array<[number, number]> = [];
    let prev: Prev | undefined;
    for (const item of this.file.items) {
      prev = this.ownLineComments(item.range.start.offset, '', prev, true);
      const kind = item.kind === 'import' ? 'import' : 'item';
      if (prev) this.blankLines(prev, kind, item.range.start.line, true);
      const first = this.out.length;
      this.printItem(item);
      this.trailing(item.range.end);
      spans.push([first, this.out.length - 1]);
      prev = { kind, endLine: item.range.end.line };
    }
    this.ownLineComments(Number.POSITIVE_INFINITY, '', prev, true);
    // The line ending of the first line (LF, CRLF, or CR as classic Mac OS saved files) for every line.
    const eol = /\r\n|\r|\n/.exec(this.src)?.[0] ?? '\n';
    return { lines: this.out, eol, spans };
  }

  // ------------------------------------------------------------ comments & spacing

  /** Print the comments that start before `offset` on lines of their own. */
  private ownLineComments(offset: number, indent: string, prev: Prev | undefined, top: boolean): Prev | undefined {
    while (this.ci < this.comments.length && this.comments[this.ci].range.start.offset < offset) {
      const c = this.comments[this.ci++];
      if (prev) this.blankLines(prev, 'comment', c.range.start.line, top);
      this.out.push(indent + c.text);
      prev = { kind: 'comment', endLine: c.range.start.line };
    }
    return prev;
  }

  private blankLines(prev: Prev, next: 'item' | 'import' | 'comment', startLine: number, top: boolean): void {
    let blank: boolean;
    if (!top || prev.kind === 'comment') blank = startLine - prev.endLine > 1;
    else blank = !(prev.kind === 'import' && next === 'import');
    if (blank) this.out.push('');
  }

  /** Attach the comment that follows `end` on the same line to the last output line. */
  private trailing(end: Position): void {
    const c = this.comments[this.ci];
    if (c && c.range.start.line === end.line && c.range.start.offset >= end.offset) {
      this.ci++;
      const last = this.out.length - 1;
      this.out[last] = this.withComment(this.out[last], 0, c);
    }
  }

  // ------------------------------------------------------------ top level

  private printItem(item: TopLevel): void {
    if (item.kind === 'import') {
      this.out.push(`import ${this.slice(item.path.range)}`);
      return;
    }
    const body = item.bodyRange;
    const c = this.comments[this.ci];
    if (!body || (c && c.range.start.offset < body.start.offset)) {
      this.verbatimItem(item);
      return;
    }
    switch (item.kind) {
      case 'model':
        this.printBody(`model ${item.name.name}`, item, item.body, (s) => this.printStatement(s, this.unit));
        break;
      case 'block':
        this.printBody(this.blockHeader(item), item, item.body, (s) => this.printStatement(s, this.unit));
        break;
      case 'train':
        this.printBody(`train ${item.name.name}`, item, item.entries, (e) => this.printEntry(e, this.unit));
        break;
    }
  }

  private blockHeader(b: BlockDecl): string {
    const params = b.params.map((p) => (p.default ? `${p.name.name} = ${this.flat(p.default)}` : p.name.name));
    return `block ${b.name.name}(${params.join(', ')})`;
  }

  private printBody<T extends { range: Range }>(
    header: string,
    decl: ModelDecl | BlockDecl | TrainDecl,
    elems: T[],
    printElem: (e: T) => void,
  ): void {
    const body = decl.bodyRange as Range;
    const closeAt = body.end.offset - 1;
    const nextComment = this.comments[this.ci];
    if (elems.length === 0 && !(nextComment && nextComment.range.start.offset < closeAt)) {
      this.out.push(`${header} {}`);
      return;
    }
    this.out.push(`${header} {`);
    const firstAt = elems.length > 0 ? elems[0].range.start.offset : closeAt;
    const c = this.comments[this.ci];
    if (c && c.range.start.line === body.start.line && c.range.start.offset < firstAt) {
      this.ci++;
      this.out[this.out.length - 1] = this.withComment(this.out[this.out.length - 1], 0, c);
    }
    let prev: Prev | undefined;
    for (const e of elems) {
      prev = this.ownLineComments(e.range.start.offset, this.unit, prev, false);
      if (prev) this.blankLines(prev, 'item', e.range.start.line, false);
      printElem(e);
      this.trailing(e.range.end);
      prev = { kind: 'item', endLine: e.range.end.line };
    }
    this.ownLineComments(closeAt, this.unit, prev, false);
    this.out.push('}');
  }

  /** A declaration with comments in its header is kept as written. */
  private verbatimItem(item: TopLevel): void {
    const text = this.slice(item.range);
    for (const l of text.split(/\r\n|\r|\n/)) this.out.push(l.trimEnd());
    while (this.ci < this.comments.length && this.comments[this.ci].range.start.offset < item.range.end.offset) this.ci++;
  }

  // ------------------------------------------------------------ statements

  private printStatement(s: Statement, indent: string): void {
    this.withPool(s.range, indent, () => {
      switch (s.kind) {
        case 'input': {
          let line = `${indent}input ${s.name.name}`;
          if (s.shape) line += `: ${s.shape.isInt ? 'int' : ''}[${s.shape.dims.map((d) => this.flat(d)).join(', ')}]`;
          return [line];
        }
        case 'assign':
          return this.prefixed(`${indent}${s.target.name} = `, [s.value], indent);
        case 'output':
          return this.prefixed(`${indent}output `, s.values, indent);
      }
    });
  }

  private printEntry(e: TrainEntry, indent: string): void {
    this.withPool(e.range, indent, () => this.prefixed(`${indent}${e.key.name}: `, [e.value], indent));
  }

  /**
   * Render one statement. Comments inside it must all be claimed by chain
   * line breaks; otherwise the statement is kept as written.
   */
  private withPool(range: Range, indent: string, render: () => string[]): void {
    const pool: Comment[] = [];
    while (this.ci < this.comments.length && this.comments[this.ci].range.start.offset < range.end.offset) {
      pool.push(this.comments[this.ci++]);
    }
    this.pool = pool;
    this.poolUsed = 0;
    const lines = render();
    const ok = this.poolUsed === pool.length;
    this.pool = [];
    if (ok) {
      this.out.push(...lines);
      return;
    }
    // Later lines keep their columns relative to the statement's start.
    const srcLines = this.slice(range).split(/\r\n|\r|\n/);
    const indentEnd = this.end(indent, 0);
    const delta = indentEnd - this.sourceColumn(range.start);
    this.out.push(indent + srcLines[0].trimEnd());
    for (let i = 1; i < srcLines.length; i++) {
      const l = srcLines[i];
      const body = l.trimStart();
      const col = this.end(l.slice(0, l.length - body.length), 0) + delta;
      const lead = col >= indentEnd ? this.lead(indent, col) : ' '.repeat(Math.max(0, col));
      this.out.push(body === '' ? '' : lead + body.trimEnd());
    }
  }

  /**
   * `prefix v1, v2, ...` with each value free to break its chains. Several
   * values stay on one line when they fit there unbroken; otherwise each
   * starts a line of its own, under the first, and breaks its chains from
   * there (a break inside a later value would read as a continuation of the
   * line's first value).
   */
  private prefixed(prefix: string, values: Expr[], indent: string): string[] {
    const statement = this.end(indent, 0);
    const claimed = this.poolUsed;
    const lines = [prefix];
    values.forEach((v, i) => {
      if (i > 0) lines[lines.length - 1] += ', ';
      const col = this.end(lines[lines.length - 1], 0);
      const r = this.render(v, col, indent, statement, 0);
      lines[lines.length - 1] += r[0];
      for (let k = 1; k < r.length; k++) lines.push(r[k]);
    });
    if (values.length < 2 || (lines.length === 1 && this.end(lines[0], 0) <= FORMAT_WIDTH)) return lines;
    // One value per line; the comments the attempt above claimed are claimed again.
    this.poolUsed = claimed;
    const col = this.end(prefix, 0);
    const stacked = [prefix];
    values.forEach((v, i) => {
      if (i > 0) {
        stacked[stacked.length - 1] += ',';
        stacked.push(this.lead(indent, col));
      }
      const r = this.render(v, col, indent, col, i < values.length - 1 ? 1 : 0);
      stacked[stacked.length - 1] += r[0];
      for (let k = 1; k < r.length; k++) stacked.push(r[k]);
    });
    return stacked;
  }

  // ------------------------------------------------------------ expressions

  /**
   * Render an expression that starts at column `col` of a line. The first
   * returned string continues that line; later ones are whole lines.
   * Continuation lines that are not aligned under a chain's first `->` start
   * {@link CONTINUATION} columns past `base` (the statement's indent, or the
   * value's column in a list of values one per line); `tail` columns (a `,`)
   * will follow the expression on its last line.
   */
  private render(e: Expr, col: number, indent: string, base: number, tail: number): string[] {
    switch (e.kind) {
      case 'chain':
        return this.renderChain(e, col, indent, base, tail);
      case 'binary': {
        const left = this.render(e.left, col, indent, base, 0);
        const sep = ` ${e.op} `;
        const leftEnd = left.length === 1 ? this.end(left[0], col) : this.end(left[left.length - 1], 0);
        const right = this.render(e.right, leftEnd + sep.length, indent, base, tail);
        left[left.length - 1] += sep + right[0];
        return left.concat(right.slice(1));
      }
      case 'unary': {
        const r = this.render(e.operand, col + 1, indent, base, tail);
        r[0] = '-' + r[0];
        return r;
      }
      default:
        return [this.flat(e)];
    }
  }

  private renderChain(ch: ChainExpr, col: number, indent: string, base: number, tail: number): string[] {
    const head = this.flat(ch.head);
    const pieces = ch.calls.map((c) => this.flat(c));
    const lines = [head];
    let lineEnd = this.end(head, col);
    let prevEnd = ch.head.range.end;
    let align = -1;
    for (let i = 0; i < ch.calls.length; i++) {
      const call = ch.calls[i];
      const gap = this.src.slice(prevEnd.offset, call.range.start.offset);
      const sourceBreak = /[\r\n]/.test(gap);
      const gapComments = this.claim(prevEnd.offset, call.range.start.offset);
      for (const c of gapComments) {
        // Comments run to the end of their line, so only the first can share the previous call's line.
        if (c.range.start.line === prevEnd.line) {
          lines[lines.length - 1] = this.withComment(lines[lines.length - 1], lines.length === 1 ? col : 0, c);
        } else {
          if (align < 0) align = base + CONTINUATION;
          lines.push(this.lead(indent, align) + c.text);
        }
      }
      const piece = pieces[i];
      const fits = this.end(` -> ${piece}`, lineEnd) + (i === ch.calls.length - 1 ? tail : 0) <= FORMAT_WIDTH;
      if (i === 0) {
        if (!sourceBreak && fits) {
          align = lineEnd + 1;
          if (align > FORMAT_WIDTH / 2) align = base + CONTINUATION;
        } else if (align < 0) {
          align = base + CONTINUATION;
        }
      }
      const newLine = sourceBreak || !fits || gapComments.length > 0;
      if (newLine) {
        lines.push(`${this.lead(indent, align)}-> ${piece}`);
        lineEnd = this.end(piece, align + 3);
      } else {
        lines[lines.length - 1] += ` -> ${piece}`;
        lineEnd = this.end(` -> ${piece}`, lineEnd);
      }
      prevEnd = call.range.end;
    }
    return lines;
  }

  /** Take the pooled comments lying in `[from, to)`. */
  private claim(from: number, to: number): Comment[] {
    const got: Comment[] = [];
    while (this.poolUsed < this.pool.length) {
      const c = this.pool[this.poolUsed];
      if (c.range.start.offset < from || c.range.start.offset >= to) break;
      got.push(c);
      this.poolUsed++;
    }
    return got;
  }

  /** One-line rendering. */
  private flat(e: Expr): string {
    switch (e.kind) {
      case 'number':
        return e.text;
      case 'string':
        return this.slice(e.range);
      case 'bool':
        return e.value ? 'true' : 'false';
      case 'name':
        return e.name;
      case 'list':
        return `[${e.items.map((x) => this.flat(x)).join(', ')}]`;
      case 'call': {
        let s = e.callee.name;
        if (e.argsRange) s += `(${e.args.map((a) => this.flatArg(a)).join(', ')})`;
        if (e.repeat) s += ` * ${this.flat(e.repeat)}`;
        return s;
      }
      case 'chain':
        return this.flat(e.head) + e.calls.map((c) => ` -> ${this.flat(c)}`).join('');
      case 'binary':
        return `${this.flat(e.left)} ${e.op} ${this.flat(e.right)}`;
      case 'unary':
        return `-${this.flat(e.operand)}`;
      case 'paren':
        return `(${this.flat(e.expr)})`;
      case 'error':
        throw new Error('format: error node in a file without syntax errors');
    }
  }

  private flatArg(a: Arg): string {
    return a.name ? `${a.name.name} = ${this.flat(a.value)}` : this.flat(a.value);
  }

  private slice(r: Range): string {
    return this.src.slice(r.start.offset, r.end.offset);
  }
}
