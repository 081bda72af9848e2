/**
 * Error-tolerant recursive-descent parser for `.nnmodel` files.
 *
 * `parse` never throws. Problems become `SourceFile.errors` with stable codes:
 *
 * - `syntax.expected`            something specific was required ("expected '=' after 'x', found '->'")
 * - `syntax.unexpected`          a token that cannot appear here (junk after a complete statement)
 * - `syntax.unclosed`            a `(`, `[` or `{` without its closing bracket
 * - `syntax.unterminated_string` a string without its closing quote on the same line
 * - `syntax.bad_number`          a malformed number (`1.`, `1e`, `3x3`)
 * - `syntax.bad_escape`          an unknown escape in a string
 * - `syntax.invalid_character`   a character that has no meaning in the language
 * - `syntax.module_prefix`       a dotted name (`nn.Conv2d`, `F.relu`): names have no module prefix
 * - `syntax.unquoted_path`       a file name without its quotes (`csv(data/fruit.csv)`)
 * - `syntax.too_deep`            brackets or unary minus nested deeper than {@link MAX_DEPTH}
 * - `syntax.too_long`            more than {@link MAX_OPERATORS} operators in one statement
 * - `syntax.internal`            a bug in the parser, caught and reported instead of thrown
 *
 * One mistake gives one error: after the first error in a statement (or in a
 * declaration header, or between top-level items) further errors there are
 * suppressed and the parser resynchronises at the next statement, the next
 * `}`, or the next `model`/`block`/`train`/`import` that begins a line.
 * Where the intent is clear the parser reads what was meant, so that the
 * analysis finds nothing more to report: a `;` after a statement is read as a
 * line break, a statement after a complete one on the same line as a new
 * statement, `-> dense[4]` as `dense(4)`, a misspelt keyword (`inputs`,
 * `modle`) as the keyword. A malformed number or string is reported wherever
 * it stands (a mistake of its own) and becomes an error expression: its value,
 * a guess, is never checked. Fixes that an insertion cannot express are
 * carried as `SyntaxError.replace`.
 *
 * Newlines. A line break ends a statement unless the line ends with a token
 * that needs more (`->`, any binary operator, `=`, `:`, `,`, `(`, `[`), or the
 * next line begins with `->`. Inside `(` and `[` line breaks mean nothing;
 * there, a missing closing bracket is reported at the first line break where a
 * `,` or the bracket was due ("expected ')' to close '(' at 3:14, found
 * newline"), which keeps a call left open while typing from swallowing the
 * rest of the body.
 *
 * Work is linear in the input; nesting is bounded by {@link MAX_DEPTH} and
 * the operators of an expression by {@link MAX_OPERATORS} (`a + b + c` nests
 * to the left, one level per operator), so neither the parser's recursion
 * nor that of a pass over the tree can overflow the stack.
 */
import type {
  Arg,
  BinaryOp,
  BlockDecl,
  CallExpr,
  Comment,
  ErrorExpr,
  Expr,
  Ident,
  ImportDecl,
  InputStmt,
  ModelDecl,
  NameRef,
  Param,
  Position,
  Range,
  ShapeExpr,
  SourceFile,
  Statement,
  StringLit,
  SyntaxError,
  TopLevel,
  TrainDecl,
  TrainEntry,
} from './ast';
import { F, FIRST_KEYWORD, K, KIND_TEXT, lexStore, lexWindow, LineMap, type TokenStore } from './lexer';
import { editDistance } from '../analysis/suggest';
import { forEachChild } from './children';
import { partitionPoint } from '../bisect';

/** Deepest nesting of brackets / unary minus / chains-in-arguments that is parsed. */
export const MAX_DEPTH = 200;

/** Most binary operators in one statement's expression (each nests the tree one level deeper). */
export const MAX_OPERATORS = 1000;

/** Parse a whole file. Never throws. */
export function parse(text: string): SourceFile {
  // The whole file is lexed first, into typed arrays (a few bytes per token,
  // nothing for the garbage collector to trace or copy), then parsed.
  let lexed: ReturnType<typeof lexStore> | undefined;
  try {
    lexed = lexStore(text);
    return new Parser(lexed.store, lexed.comments, lexed.lines).parseFile();
  } catch (e) {
    return internalFailure(text, lexed ? lexed.comments : [], e);
  }
}

/**
 * `parse`, also returning every Position object each top-level item's tree
 * holds (`positions[i]` for `file.items[i]`), so that an incremental analysis
 * can move a reused item's ranges when lines above it change.
 */
export function parseWithPositions(text: string): { file: SourceFile; positions: Position[][] } {
  const positions: Position[][] = [];
  itemPositions = positions;
  try {
    const file = parse(text);
    // An internal failure leaves no items; positions then stay aligned (empty).
    if (positions.length !== file.items.length) positions.length = 0;
    return { file, positions };
  } finally {
    itemPositions = undefined;
    positionSink = undefined;
    sinkBuffer = undefined;
  }
}

/** Tokens `forgottenClose` looks ahead for the end of an argument list. */
const LOOKAHEAD = 256;

function endsOperand(kind: K): boolean {
  return kind === K.Ident || kind === K.Number || kind === K.String || kind === K.RParen || kind === K.RBracket || kind >= FIRST_KEYWORD;
}

function startsOperand(kind: K): boolean {
  return kind === K.Ident || kind === K.Number || kind === K.String || kind >= FIRST_KEYWORD;
}

/** Set by parseWithPositions: one list per parsed item. */
let itemPositions: Position[][] | undefined;
/**
 * Where the positions of the item being parsed go, when recording:
 * `positionSink[0, sinkLength)`. One array ({@link sinkBuffer}) serves all the
 * items of a parse and each item's list is cut from it at its exact size
 * (a list per item grown by `push` left its growth behind as garbage).
 */
let positionSink: Position[] | undefined;
let sinkLength = 0;
/** The array behind {@link positionSink} during one recording parse. */
let sinkBuffer: Position[] | undefined;

function internalFailure(text: string, comments: Comment[], e: unknown): SourceFile {
  const lines = LineMap.of(text);
  const zero: Position = { line: 0, character: 0, offset: 0 };
  const end = lines.positionAt(text.length);
  const msg = e instanceof Error ? e.message : String(e);
  return {
    items: [],
    comments,
    errors: [{ code: 'syntax.internal', message: `internal parser error: ${msg}`, range: { start: zero, end: zero } }],
    range: { start: zero, end },
    text,
  };
}

function span(start: Position, end: Position): Range {
  return { start, end };
}

/** @internal A parse kept for {@link reparse}. */
export interface ParseState {
  text: string;
  file: SourceFile;
  /** Every Position object of each item's tree, aligned with `file.items`. */
  positions: Position[][];
  lineCount: number;
  /** Line starts of `text`, kept so the next `reparse` can shift them instead of scanning the whole text. */
  lines?: LineMap;
}

/**
 * @internal Parse `text`, reusing the trees of the items of `prev` that an
 * edit left unchanged: items before the edit that end with their `}`, and
 * items after it that start a line; the ranges of the latter are moved in
 * place (so `prev.file` must no longer be used). The result equals
 * `parse(text)`. Falls back to a full parse where reuse could not be exact:
 * `//` anywhere (its reading depends on brackets across the file), or syntax
 * errors in the reused parts.
 */
export function reparse(text: string, prev: ParseState | undefined): ParseState {
  if (!prev || prev.positions.length !== prev.file.items.length || text.includes('//') || prev.text.includes('//')) return fullParse(text);
  const old = prev.text;
  const max = Math.min(text.length, old.length);
  const p = commonPrefix(text, old, max);
  const sfx = commonSuffix(text, old, max - p);
  let firstError = Infinity;
  let lastError = -1;
  for (const e of prev.file.errors) {
    firstError = Math.min(firstError, e.range.start.offset);
    lastError = Math.max(lastError, e.range.end.offset);
  }
  const oldItems = prev.file.items;
  // Items before the edit, each closed by its `}`.
  let k = 0;
  while (k < oldItems.length) {
    const it = oldItems[k];
    const end = it.range.end.offset;
    if (it.kind === 'import' || end > p || end > firstError || old.charCodeAt(end - 1) !== 125 /* } */) break;
    k++;
  }
  // Items after the edit that start a line (the line break before them unchanged too).
  const delta = text.length - old.length;
  const suffixStart = old.length - sfx;
  const after = new Map<number, number>();
  for (let j = oldItems.length - 1; j >= k; j--) {
    const start = oldItems[j].range.start;
    if (start.offset <= suffixStart || start.offset < lastError || start.character !== 0) break;
    after.set(start.offset + delta, j);
  }
  // Lex from the line where the last reused item ends to just past the first item that may be reused after the edit.
  const last = k > 0 ? oldItems[k - 1].range.end : undefined;
  const from = last ? last.offset - last.character : 0;
  let stopAt = -1;
  for (const offset of after.keys()) if (stopAt < 0 || offset < stopAt) stopAt = offset;
  let window: ReturnType<typeof lexWindow>;
  try {
    window = lexWindow(text, from, last ? last.line : 0, stopAt, 3);
  } catch {
    return fullParse(text);
  }
  if (!window) return fullParse(text);
  const lines = shiftLines(text, prev, p, sfx);
  const positions: Position[][] = prev.positions.slice(0, k);
  const items: TopLevel[] = oldItems.slice(0, k);
  let file: SourceFile;
  let resumed: number | undefined;
  itemPositions = positions;
  try {
    const toks = window.store;
    const parser = new Parser(toks, window.comments, lines);
    const at = parser.parseItems(items, last ? firstTokenAt(toks, last.offset) : 0, stopAt);
    if (stopAt >= 0) {
      // The window ends a few tokens after `stopAt`: a parse that did not stop there needs the whole file.
      if (toks.kind[at] === K.Eof || toks.start[at] !== stopAt) return fullParse(text);
      resumed = after.get(stopAt);
    }
    file = parser.finish(items);
  } catch {
    return fullParse(text);
  } finally {
    itemPositions = undefined;
    positionSink = undefined;
    sinkBuffer = undefined;
  }
  const dLine = lines.lineCount - prev.lineCount;
  const comments: Comment[] = [];
  for (const c of prev.file.comments) {
    if (c.range.start.offset >= from) break;
    comments.push(c);
  }
  for (const c of window.comments) {
    if (stopAt >= 0 && c.range.start.offset >= stopAt) break;
    comments.push(c);
  }
  if (resumed !== undefined) {
    const oldStop = stopAt - delta;
    for (const c of prev.file.comments) {
      if (c.range.start.offset < oldStop) continue;
      for (const pos of [c.range.start, c.range.end]) {
        pos.offset += delta;
        pos.line += dLine;
      }
      comments.push(c);
    }
    for (let j = resumed; j < oldItems.length; j++) {
      for (const pos of prev.positions[j]) {
        pos.offset += delta;
        pos.line += dLine;
      }
      items.push(oldItems[j]);
      positions.push(prev.positions[j]);
    }
  }
  file.comments = comments;
  if (positions.length !== items.length) return fullParse(text);
  return { text, file, positions, lineCount: lines.lineCount, lines };
}

/** Characters compared at once by `commonPrefix`/`commonSuffix`: string equality is a memcmp, a char loop is not. */
const CHUNK = 1024;

/** Length of the common start of `a` and `b`, at most `max`. */
function commonPrefix(a: string, b: string, max: number): number {
  let p = 0;
  while (p + CHUNK <= max && a.slice(p, p + CHUNK) === b.slice(p, p + CHUNK)) p += CHUNK;
  while (p < max && a.charCodeAt(p) === b.charCodeAt(p)) p++;
  return p;
}

/** Length of the common end of `a` and `b`, at most `max`. */
function commonSuffix(a: string, b: string, max: number): number {
  let s = 0;
  while (s + CHUNK <= max && a.slice(a.length - s - CHUNK, a.length - s) === b.slice(b.length - s - CHUNK, b.length - s)) s += CHUNK;
  while (s < max && a.charCodeAt(a.length - 1 - s) === b.charCodeAt(b.length - 1 - s)) s++;
  return s;
}

/**
 * The line map of `text`, which equals `prev.text` except between `p` and
 * its last `sfx` characters. When neither version has a line break (or a
 * character next to one) in the changed part, the line starts after the edit
 * only move by the change in length: shifting them avoids scanning the text.
 */
function shiftLines(text: string, prev: ParseState, p: number, sfx: number): LineMap {
  const old = prev.lines;
  if (!old || old.text !== prev.text) return LineMap.of(text);
  const isBreak = (s: string, from: number, to: number): boolean => {
    for (let i = Math.max(0, from); i < Math.min(s.length, to); i++) {
      const c = s.charCodeAt(i);
      if (c === 10 /* LF */ || c === 13 /* CR */) return true;
    }
    return false;
  };
  // A CR just before the edit may have been, or become, the first half of a CR LF pair.
  if (p > 0 && text.charCodeAt(p - 1) === 13 /* CR */) return LineMap.of(text);
  if (isBreak(prev.text, p, prev.text.length - sfx) || isBreak(text, p, text.length - sfx)) return LineMap.of(text);
  const delta = text.length - prev.text.length;
  const starts = old.starts.slice();
  // Starts at or before p follow a line break in the common prefix; the others follow one in the suffix.
  const lo = partitionPoint(starts.length, (i) => starts[i] <= p);
  if (delta !== 0) for (let i = lo; i < starts.length; i++) starts[i] += delta;
  return new LineMap(text, starts);
}

function fullParse(text: string): ParseState {
  const { file, positions } = parseWithPositions(text);
  return { text, file, positions, lineCount: file.range.end.line + 1 };
}

/** Index of the first token starting at or after `offset`. */
function firstTokenAt(tokens: TokenStore, offset: number): number {
  // The last token (end of file) when none starts at or after `offset`.
  return partitionPoint(tokens.count - 1, (i) => tokens.start[i] < offset);
}

/** Kinds after which a line break does not end the statement. */
const CONTINUES = new Uint8Array(K.False + 1);
for (const k of [K.Arrow, K.Plus, K.Minus, K.Star, K.Slash, K.DSlash, K.Eq, K.Colon, K.Comma, K.LParen, K.LBracket]) CONTINUES[k] = 1;

/** What {@link Parser.parseDelimited} reads between the commas. */
const enum Items {
  Expr,
  Arg,
  Param,
}

/** What {@link Parser.parseBody} reads, one per line. */
const enum Body {
  Statement,
  TrainEntry,
}

/**
 * The parser. A token is its index in the store; the parser reads the
 * store's arrays directly, and makes strings and positions only for the
 * syntax tree and for messages.
 */
class Parser {
  private pos = 0;
  private readonly errors: SyntaxError[] = [];
  /** An error was reported in the current statement / header / top-level gap. */
  private suppress = false;
  /** Number of enclosing `(` / `[` in the current statement. */
  private parenDepth = 0;
  /** Current expression nesting, bounded by MAX_DEPTH. */
  private nest = 0;
  /** Binary operators read in the current statement's expression, bounded by MAX_OPERATORS. */
  private operators = 0;
  /** End of the construct the last {@link parseDelimited} / {@link parseBody} read. */
  private lastEndPos: Position | undefined;
  private readonly text: string;
  /** Index of the `eof` token. */
  private readonly eof: number;
  private readonly kd: Uint8Array;
  private readonly fl: Uint8Array;
  private readonly st: Int32Array;
  private readonly en: Int32Array;
  private readonly ln: Int32Array;
  private readonly ch: Int32Array;
  /**
   * Items of the lists being read (innermost last), from {@link top} down:
   * a list is cut from it at its exact size once complete, instead of
   * growing an array of its own by `push` (which leaves slack or a copy).
   */
  private readonly stack: unknown[] = [];
  private top = 0;
  /** A `->` token at which chains stop (see `parseDelimited`'s forgotten `)`); -1: none. */
  private stopAt = -1;

  constructor(
    private readonly store: TokenStore,
    private readonly comments: Comment[],
    private readonly lines: LineMap,
  ) {
    this.text = store.text;
    this.eof = store.count - 1;
    this.kd = store.kind;
    this.fl = store.flags;
    this.st = store.start;
    this.en = store.end;
    this.ln = store.line;
    this.ch = store.character;
  }

  // ------------------------------------------------------------ list building

  private pushItem(item: unknown): void {
    this.stack[this.top++] = item;
  }

  /** The items pushed since `base`, as an array of their own; pops them. */
  private takeItems<T>(base: number): T[] {
    const items = this.stack.slice(base, this.top) as T[];
    this.top = base;
    return items;
  }

  // ------------------------------------------------------------ token access

  /** Kind of token `i`, clamped to the final `eof`. */
  private kindAt(i: number): K {
    return this.kd[i < this.eof ? i : this.eof];
  }

  private advance(): number {
    const t = this.pos;
    if (t < this.eof) this.pos = t + 1;
    return t;
  }

  /** The token before the current one, or -1. */
  private get prevTok(): number {
    return this.pos - 1;
  }

  /** Source text of token `t`: fixed for punctuation and keywords, a slice for the others. */
  private textOf(t: number): string {
    return this.store.textOf(t);
  }

  /** Whether token `t` is the identifier `int` (compared in place). */
  private isIntWord(t: number): boolean {
    return this.kd[t] === K.Ident && this.en[t] - this.st[t] === 3 && this.text.startsWith('int', this.st[t]);
  }

  private startOf(t: number): Position {
    const p = { line: this.ln[t], character: this.ch[t], offset: this.st[t] };
    if (positionSink !== undefined) positionSink[sinkLength++] = p;
    return p;
  }

  private endOf(t: number): Position {
    const p = { line: this.ln[t], character: this.ch[t] + (this.en[t] - this.st[t]), offset: this.en[t] };
    if (positionSink !== undefined) positionSink[sinkLength++] = p;
    return p;
  }

  /**
   * The start of token `t`, which follows the token that ends at `prevEnd`:
   * that same object when nothing lies between them (`dense(`), since the
   * values are equal and one object per place is less to keep. Safe for the
   * incremental session: both belong to one item's tree, whose positions
   * all move together, and the object is listed once.
   */
  private startAfter(t: number, prevEnd: Position): Position {
    return prevEnd.offset === this.st[t] ? prevEnd : this.startOf(t);
  }

  /** The line break before token `i` ends a statement (outside brackets). */
  private breakBefore(i: number): boolean {
    const t = i < this.eof ? i : this.eof;
    const kind = this.kd[t];
    if (kind === K.Eof) return true;
    if ((this.fl[t] & F.NlBefore) === 0 || this.parenDepth > 0 || kind === K.Arrow) return false;
    return t === 0 || CONTINUES[this.kd[t - 1]] === 0;
  }

  private get atBreak(): boolean {
    return this.breakBefore(this.pos);
  }

  /** The current token starts a declaration: `model NAME`, `import "..."` at the start of a line. */
  private atDeclStart(): boolean {
    return this.atDeclStartAt(this.pos);
  }

  private atDeclStartAt(t: number): boolean {
    const kind = this.kd[t];
    if ((this.fl[t] & F.LineStart) === 0 || kind < K.Model || kind > K.Import) return false;
    const next = this.kindAt(t + 1);
    return next === K.Ident || (kind === K.Import && next === K.String);
  }

  /**
   * The current token begins a new statement or declaration whatever precedes
   * it: `input`/`output` or a declaration at the start of a line, and outside
   * brackets `NAME =` at the start of a line (so `x =` left unfinished while
   * typing does not swallow the next statement).
   */
  private atBoundary(): boolean {
    const t = this.pos;
    if ((this.fl[t] & F.LineStart) === 0) return false;
    const kind = this.kd[t];
    if (kind >= FIRST_KEYWORD) return kind === K.Input || kind === K.Output || this.atDeclStart();
    return this.parenDepth === 0 && kind === K.Ident && this.kindAt(t + 1) === K.Eq;
  }

  private atStatementEnd(): boolean {
    const kind = this.kd[this.pos];
    return kind === K.Eof || kind === K.RBrace || this.atBreak || this.atBoundary();
  }

  /** Whether the current token is one at which an open bracket is given up for lost. */
  private closesEarly(): boolean {
    const kind = this.kd[this.pos];
    return kind === K.Eof || kind === K.RBrace || this.atBoundary();
  }

  // ------------------------------------------------------------ diagnostics

  private error(code: string, message: string, range: Range): void {
    if (this.suppress) return;
    this.suppress = true;
    this.errors.push({ code, message, range });
  }

  /** `syntax.invalid_character` at token `t`; an invisible one (a zero-width space pasted with the text) with the fix that deletes it. */
  private invalidChar(t: number): void {
    const ch = this.textOf(t);
    if (this.suppress) return;
    if (ch === '.' && this.dottedName(t)) return;
    if (ch === "'" && this.singleQuoted(t)) return;
    if (this.meantArrowOrNumber(t, ch)) return;
    this.error('syntax.invalid_character', invalidCharMessage(ch), this.tokRange(t));
    if (isInvisible(ch)) withReplace(this.errors[this.errors.length - 1], 'Delete the invisible character', this.tokRange(t), '');
  }

  /** Whether token `t` is glued to a token of kind `kind` before it (`after` false) or after it. */
  private glued(t: number, kind: K, after: boolean): boolean {
    const u = after ? t + 1 : t - 1;
    return u >= 0 && this.kd[u] === kind && (after ? this.st[u] === this.en[t] : this.en[u] === this.st[t]);
  }

  /**
   * The '.' at token `t` between two words: `nn.Conv2d`, `F.relu`,
   * `layers.Dense` (a module path, which names here do not have) or
   * `fruit.csv`, `data/fruit.csv` (a path without its quotes). One error
   * for the whole name, with the fix: the name without its prefix (the
   * analysis turns it into the layer's name here: `syntax.module_prefix`),
   * or the path in quotes. False when `t` is no such '.'.
   */
  private dottedName(t: number): boolean {
    if (!this.glued(t, K.Ident, false) || !this.glued(t, K.Ident, true)) return false;
    let first = t - 1;
    let last = t + 1;
    while (this.kd[last + 1] === K.Invalid && this.textOf(last + 1) === '.' && this.st[last + 1] === this.en[last] && this.glued(last + 1, K.Ident, true)) last += 2;
    const tail = this.textOf(last);
    if (PATH_EXTENSIONS.has(tail.toLowerCase())) {
      // `data/fruit.csv`: the folders before it are part of the path.
      while (first >= 2 && this.glued(first, K.Slash, false) && this.glued(first - 1, K.Ident, false)) first -= 2;
      const range = span(this.startOf(first), this.endOf(last));
      const path = this.text.slice(this.st[first], this.en[last]);
      this.error('syntax.unquoted_path', `a path is a string: write "${path}" in double quotes`, range);
      withReplace(this.errors[this.errors.length - 1], `Quote the path: "${path}"`, range, `"${path}"`);
      return true;
    }
    const range = span(this.startOf(first), this.endOf(last));
    const dotted = this.text.slice(this.st[first], this.en[last]);
    const prefix = this.text.slice(this.st[first], this.st[last]);
    this.error('syntax.module_prefix', `'${dotted}': names here have no module prefix (${prefix} is how PyTorch or Keras reaches its layers); write the name alone`, range);
    withReplace(this.errors[this.errors.length - 1], `Remove '${prefix}'`, range, tail);
    return true;
  }

  /** `'same'`, `'data.csv'`: a string in single quotes, as Python allows; reported once with the fix that makes the quotes double. False when no closing `'` is on the line. */
  private singleQuoted(t: number): boolean {
    const start = this.st[t];
    const lineEnd = this.text.indexOf('\n', start);
    const close = this.text.indexOf("'", start + 1);
    if (close < 0 || (lineEnd >= 0 && close > lineEnd)) return false;
    const inner = this.text.slice(start + 1, close);
    // Not past a comment's start: `'relu) # don't` has no closing quote of its own.
    if (/["\\\r#]|\/\//.test(inner)) return false;
    const end = this.lines.positionAt(close + 1);
    const range = span(this.startOf(t), end);
    this.error('syntax.invalid_character', `unexpected character ''' (strings use double quotes: "${inner}")`, range);
    withReplace(this.errors[this.errors.length - 1], `Change to "${inner}"`, range, `"${inner}"`);
    return true;
  }

  /**
   * A character that stands for something this language writes otherwise,
   * reported with the fix: an arrow typed or pasted as `→` or `–>` (a dash),
   * `- >` with a space, a share as `20%`, a power of ten as `10^-3`. False
   * when `t` is none of these.
   */
  private meantArrowOrNumber(t: number, ch: string): boolean {
    let range: Range | undefined;
    let message = '';
    let text = '';
    if (ARROWS.has(ch)) {
      range = this.tokRange(t);
      message = `unexpected character '${ch}': layers are chained with '->' (a minus and a greater-than)`;
      text = '->';
    } else if ((ch === '\u2013' || ch === '\u2014') && this.kd[t + 1] === K.Invalid && this.textOf(t + 1) === '>' && this.glued(t, K.Invalid, true)) {
      range = span(this.startOf(t), this.endOf(t + 1));
      message = `unexpected character '${ch}': '${ch}>' is written with a dash; the arrow is a minus and a greater-than, '->'`;
      text = '->';
    } else if (ch === '>' && t > 0 && this.kd[t - 1] === K.Minus && this.en[t - 1] < this.st[t] && this.ln[t - 1] === this.ln[t] && /^[ \t]+$/.test(this.text.slice(this.en[t - 1], this.st[t]))) {
      range = span(this.startOf(t - 1), this.endOf(t));
      message = "unexpected character '>': the arrow is written without a space, '->'";
      text = '->';
    } else if (ch === '%' && this.glued(t, K.Number, false)) {
      const n = Number(this.textOf(t - 1));
      range = span(this.startOf(t - 1), this.endOf(t));
      text = String(Number((n / 100).toPrecision(12)));
      message = `unexpected character '%': a share is a fraction, ${this.textOf(t - 1)}% is ${text}`;
    } else if (ch === '^' && this.glued(t, K.Number, false) && this.textOf(t - 1) === '10') {
      // `10^-3`, `10^4`: the exponent, signed, right after the '^'.
      const minus = this.kd[t + 1] === K.Minus && this.glued(t, K.Minus, true);
      const e = minus ? t + 2 : t + 1;
      if (this.kd[e] !== K.Number || this.st[e] !== this.en[e - 1] || !/^[0-9]+$/.test(this.textOf(e))) return false;
      range = span(this.startOf(t - 1), this.endOf(e));
      text = `1e${minus ? '-' : ''}${this.textOf(e)}`;
      message = `unexpected character '^': a power of ten is written with e, ${this.text.slice(this.st[t - 1], this.en[e])} is ${text}`;
    }
    if (range === undefined) return false;
    this.error('syntax.invalid_character', message, range);
    withReplace(this.errors[this.errors.length - 1], `Change to '${text}'`, range, text);
    return true;
  }

  private where(t: number): string {
    return `${this.ln[t] + 1}:${this.ch[t] + 1}`;
  }

  /** How a found token is named in messages; `nl` when the line break is what matters. */
  private describe(t: number, nl: boolean): string {
    const kind = this.kd[t];
    if (kind === K.Eof) return 'end of file';
    if (nl) return 'newline';
    const text = this.textOf(t);
    switch (kind) {
      case K.String:
        return `string ${clip(text)}`;
      case K.Number:
        return `number ${clip(text)}`;
      case K.Invalid:
        return `character '${text}'`;
      default:
        return kind >= FIRST_KEYWORD ? `keyword '${text}'` : `'${clip(text)}'`;
    }
  }

  private foundRange(t: number, nl: boolean): Range {
    const nlAt = this.store.nlAt[t];
    if (this.kd[t] === K.Eof || !nl || nlAt < 0) return this.tokRange(t);
    const p = this.lines.positionAt(nlAt);
    return span(p, { line: p.line, character: p.character + 1, offset: p.offset + 1 });
  }

  private tokRange(t: number): Range {
    return span(this.startOf(t), this.endOf(t));
  }

  /** Report "expected WHAT, found X" at the current token (or the line break before it). */
  private expected(what: string, atToken = false): void {
    const code = 'syntax.expected';
    const t = this.pos;
    const nl = !atToken && this.kd[t] !== K.Eof && (this.atBreak || this.atBoundary());
    if (this.kd[t] === K.Invalid && !nl) {
      this.invalidChar(t);
      return;
    }
    this.error(code, `expected ${what}, found ${this.describe(t, nl)}`, this.foundRange(t, nl));
  }

  private unclosed(open: number, close: string, t: number): void {
    // Inside a body line breaks are normal, so name the token that ended it.
    const nl = close !== '}' && this.kd[t] !== K.Eof && (this.fl[t] & F.NlBefore) !== 0;
    if (this.suppress) return;
    this.error(
      'syntax.unclosed',
      `expected '${close}' to close '${this.textOf(open)}' at ${this.where(open)}, found ${this.describe(t, nl)}`,
      this.foundRange(t, nl),
    );
    // A bracket closes right after what it holds (a body's `}` belongs on a line of its own: no fix).
    const last = t - 1;
    if (close !== '}' && last >= open) this.errors[this.errors.length - 1].insert = { at: this.endOf(last), text: close };
  }

  /**
   * Reports the lexical problem of token `t`, if it has one, and says whether
   * it had. A malformed token is a mistake of its own wherever it stands, so
   * it is reported even after another error in the statement (which still
   * suppresses what follows); its value is never used (see `parsePrimary`).
   */
  private lexError(t: number): boolean {
    const e = this.store.errorOf(t);
    if (!e) return false;
    this.suppress = true;
    this.errors.push({ code: e.code, message: e.message, range: span(this.lines.positionAt(e.start), this.lines.positionAt(e.end)) });
    return true;
  }

  /** Where an expression was expected but not found: empty range at the gap. */
  private missingAt(): Range {
    const t = this.pos;
    const p = this.prevTok;
    if (p >= 0 && (this.kd[t] === K.Eof || this.atBreak || this.atBoundary())) {
      const e = this.endOf(p);
      return span(e, e);
    }
    const s = this.startOf(t);
    return span(s, s);
  }

  /** Report an invalid character, or "expected ',' or CLOSE WHAT", at token `u`. */
  private badInList(u: number, message: string): void {
    if (this.kd[u] === K.Invalid) this.invalidChar(u);
    else this.error('syntax.expected', message, this.tokRange(u));
  }

  // ------------------------------------------------------------ recovery

  /**
   * Skip the rest of a statement: to a line break at bracket depth 0, `}`, or a
   * boundary. `consumeFirst` when the current token is the offending statement
   * start itself (which sits right after a line break).
   */
  private skipStatement(consumeFirst = false, names?: NameRef[]): void {
    let depth = 0;
    let first = consumeFirst;
    for (;;) {
      const t = this.pos;
      const kind = this.kd[t];
      if (kind === K.Eof || kind === K.RBrace || this.atBoundary()) return;
      if (!first && depth === 0 && this.isSemicolon(t)) return;
      if (!first && depth === 0 && (this.fl[t] & F.NlBefore) !== 0 && kind !== K.Arrow) {
        if (t === 0 || CONTINUES[this.kd[t - 1]] === 0) return;
      }
      if (kind === K.LParen || kind === K.LBracket) depth++;
      else if ((kind === K.RParen || kind === K.RBracket) && depth > 0) depth--;
      this.advance();
      // The names the skipped text uses (see ErrorExpr.names): not a callee (`f(`) nor an argument's name (`p =`).
      if (names && kind === K.Ident && this.kd[this.pos] !== K.LParen && this.kd[this.pos] !== K.Eq) {
        names.push({ kind: 'name', name: this.textOf(t), range: this.tokRange(t) });
      }
      first = false;
    }
  }

  /** Skip to the bracket closing the current one; consume it when it is `close`. */
  private skipToClose(close: K.RParen | K.RBracket): boolean {
    let depth = 0;
    for (;;) {
      if (this.closesEarly()) return false;
      const kind = this.kd[this.pos];
      if (kind === K.LParen || kind === K.LBracket) depth++;
      else if (kind === K.RParen || kind === K.RBracket) {
        if (depth === 0) {
          if (kind !== close) return false;
          this.advance();
          return true;
        }
        depth--;
      }
      this.advance();
    }
  }

  /** Skip to the next top-level keyword that starts a line or follows `}`. */
  private syncTop(): void {
    for (;;) {
      const t = this.pos;
      const kind = this.kd[t];
      if (kind === K.Eof) return;
      if (kind >= K.Model && kind <= K.Import && ((this.fl[t] & F.LineStart) !== 0 || (t > 0 && this.kd[t - 1] === K.RBrace))) return;
      this.advance();
    }
  }

  // ------------------------------------------------------------ top level

  parseFile(): SourceFile {
    const items: TopLevel[] = [];
    this.parseItems(items);
    return this.finish(items);
  }

  /** A file of the given items, with this parse's comments and errors. */
  finish(items: TopLevel[]): SourceFile {
    const zero: Position = { line: 0, character: 0, offset: 0 };
    const text = this.lines.text;
    const eof = this.eof;
    // The end of the text is where the `eof` token stands when the tokens run to it: no need for the line map there.
    const end = this.st[eof] === text.length ? { line: this.ln[eof], character: this.ch[eof], offset: text.length } : this.lines.positionAt(text.length);
    return { items, comments: this.comments, errors: this.errors, range: span(zero, end), text };
  }

  /**
   * Top-level items from token `from` on, until the end or until the token
   * where the next item would begin starts at offset `stopAt` (when not
   * negative). Returns that token's index.
   */
  parseItems(items: TopLevel[], from = 0, stopAt = -1): number {
    this.pos = from;
    while (this.kd[this.pos] !== K.Eof) {
      const t = this.pos;
      const kind = this.kd[t];
      if (stopAt >= 0 && this.st[t] === stopAt) break;
      this.suppress = false;
      this.parenDepth = 0;
      this.nest = 0;
      // `modle Net {`: read as the declaration it misspells, so that its body is still analysed.
      let kw = kind >= K.Model && kind <= K.Import ? kind : kind === K.Ident ? this.misspeltDeclaration(t) : -1;
      // `LeNet5 {` or `res(n) {`: a declaration that lost its keyword, read as the one it must be, so that its body
      // is still read and analysed (its mistakes reported) and its calls and train section find it.
      const foreign = kw === -1 && kind === K.Ident ? this.foreignDeclaration(t) : -1;
      if (foreign !== -1) kw = foreign;
      const lost = kw === -1 && kind === K.Ident ? this.keywordLost(t) : foreign;
      if (lost !== -1) kw = lost;
      if (kw !== -1) {
        const before = this.pos;
        if (itemPositions) {
          positionSink = sinkBuffer ??= [];
          sinkLength = 0;
        }
        const item = this.parseTopLevel(kw, lost !== -1);
        if (item) {
          items.push(item);
          if (itemPositions && positionSink) itemPositions.push(positionSink.slice(0, sinkLength));
        }
        positionSink = undefined;
        if (this.pos === before) this.advance();
        continue;
      }
      if (this.isSemicolon(t)) {
        // `model A { ... };` as in C.
        this.error('syntax.invalid_character', "declarations end with their '}'; remove ';'", this.tokRange(t));
        const e = this.errors[this.errors.length - 1];
        withReplace(e, "Remove ';'", t > 0 && (this.fl[t] & F.NlBefore) === 0 ? span(this.endOf(t - 1), e.range.end) : e.range, '');
        this.advance();
        continue;
      }
      let hint = '';
      if (kind === K.Input || kind === K.Output) hint = ` ('${this.textOf(t)}' belongs inside a model or block body)`;
      else if (kind === K.Slash && this.text.startsWith('/*', this.st[t])) {
        // `/* ... */`: C's comment. One on a line of its own becomes a `#` comment.
        const close = this.text.indexOf('*/', this.st[t] + 2);
        const lineEnd = this.text.indexOf('\n', this.st[t]);
        const oneLine = close >= 0 && (lineEnd < 0 || close < lineEnd) && /^[ \t\r]*$/.test(this.text.slice(close + 2, lineEnd < 0 ? undefined : lineEnd));
        this.error('syntax.expected', `expected ${TOP_EXPECTED}, found '/*': comments start with # (or //) and run to the end of the line; /* … */ is not a comment here`, this.tokRange(t));
        if (oneLine) {
          const range = span(this.startOf(t), this.lines.positionAt(close + 2));
          withReplace(this.errors[this.errors.length - 1], 'Make it a # comment', range, `# ${this.text.slice(this.st[t] + 2, close).trim()}`);
        }
        this.syncTop();
        continue;
      }
      else if (kind === K.Ident && this.kindAt(t + 1) === K.Eq) hint = ' (assignments belong inside a model or block body)';
      // `})` after a body: the `)` an editor closed for the header (`block res(` gave `block res()`), left behind.
      const stray = (kind === K.RParen || kind === K.RBracket) && t > 0 && this.kd[t - 1] === K.RBrace;
      if (stray) hint = ` (a '${this.textOf(t)}' left after the body's '}', as when an editor closed the header's '(' for you)`;
      if (kind === K.Invalid) this.invalidChar(t);
      else
        this.error(
          'syntax.expected',
          `expected ${TOP_EXPECTED}, found ${this.describe(t, false)}${hint}`,
          this.tokRange(t),
        );
      if (stray && !this.errors[this.errors.length - 1].replace) withReplace(this.errors[this.errors.length - 1], `Remove '${this.textOf(t)}'`, this.tokRange(t), '');
      this.syncTop();
    }
    return this.pos;
  }

  /**
   * `class Net {`, `def block(x) {`: another language's word for a
   * declaration, followed by a name and a body (or a parameter list and a
   * body: a block). Reports it with the fix that writes the keyword, moves
   * past the word and returns the keyword, so the declaration is read; else -1.
   */
  private foreignDeclaration(t: number): K | -1 {
    const word = this.textOf(t);
    if ((this.fl[t] & F.LineStart) === 0 || !FOREIGN_DECLARATIONS.has(word)) return -1;
    if (this.kindAt(t + 1) !== K.Ident || this.breakBefore(t + 1)) return -1;
    let u = t + 2;
    let kw: K = K.Model;
    if (this.kindAt(u) === K.LParen && !this.breakBefore(u)) {
      u = this.closeOfHeader(u + 1);
      if (u < 0) return -1;
      kw = K.Block;
    }
    if (this.kindAt(u) !== K.LBrace || (this.fl[u] & F.NlBefore) !== 0) return -1;
    const keyword = KIND_TEXT[kw];
    this.error('syntax.expected', `expected ${TOP_EXPECTED}, found '${word}': to declare a ${keyword} here, write '${keyword} ${this.textOf(t + 1)}'`, this.tokRange(t));
    withReplace(this.errors[this.errors.length - 1], `Change '${word}' to '${keyword}'`, this.tokRange(t), keyword);
    this.advance();
    return kw;
  }

  /**
   * When the name at `t` misspells a declaration keyword and what follows
   * fits it (`modle Net {`, `improt "x.nnmodel"`): reports it, with a fix,
   * and returns the keyword; else -1.
   */
  private misspeltDeclaration(t: number): K | -1 {
    const next = this.kindAt(t + 1);
    if ((next !== K.Ident && next !== K.String) || this.breakBefore(t + 1)) return -1;
    const kw = misspeltKeyword(this.text, this.st[t], this.en[t], TOP_KEYWORDS);
    if (kw === -1 || (next === K.String) !== (kw === K.Import)) return -1;
    this.misspelt(t, kw, `expected ${TOP_EXPECTED}`);
    return kw;
  }

  /**
   * When the name at `t`, first on its line, is a declaration without its
   * keyword: `NAME {` (a train section when its first line is `key:`, else a
   * model) or `NAME(...) {` (a block). Reports it, with a fix that inserts the
   * keyword, and returns the keyword; else -1.
   */
  private keywordLost(t: number): K | -1 {
    if ((this.fl[t] & F.LineStart) === 0) return -1;
    let u = t + 1;
    let kw: K;
    if (this.kindAt(u) === K.LParen && !this.breakBefore(u)) {
      // The parameter list, over lines if need be, up to its `)`.
      u = this.closeOfHeader(u + 1);
      if (u < 0) return -1;
      kw = K.Block;
    } else kw = this.kindAt(u + 1) === K.Ident && this.kindAt(u + 2) === K.Colon && !this.bodyHasPorts(u + 1) ? K.Train : K.Model;
    if (this.kindAt(u) !== K.LBrace || (this.fl[u] & F.NlBefore) !== 0) return -1;
    this.error('syntax.expected', `expected ${TOP_EXPECTED}, found '${this.textOf(t)}': to declare a ${KIND_TEXT[kw] === 'train' ? 'train section' : KIND_TEXT[kw]}, write '${KIND_TEXT[kw]} ${this.textOf(t)}'`, this.tokRange(t));
    const at = this.startOf(t);
    withReplace(this.errors[this.errors.length - 1], `Insert '${KIND_TEXT[kw]}'`, span(at, at), `${KIND_TEXT[kw]} `);
    return kw;
  }

  /**
   * Whether the body starting at token `t` (after its `{`) has an `input` or
   * `output` statement before its `}`: then `NAME {` is a model even when its
   * first line reads `x: [4]` (an input that lost its keyword), not a train
   * section. Scans at most a few thousand tokens, and not past a declaration.
   */
  private bodyHasPorts(t: number): boolean {
    for (let u = t; u < this.eof && u < t + 4000; u++) {
      const k = this.kd[u];
      if (k === K.RBrace || k === K.LBrace || this.atDeclStartAt(u)) return false;
      if ((k === K.Input || k === K.Output) && (this.fl[u] & F.LineStart) !== 0) return true;
    }
    return false;
  }

  /**
   * The token after the `)` that closes a parameter list whose `(` stands
   * before token `t` (scanning at most a few hundred tokens, and not past a
   * `{`, `}` or keyword at a line's start), or -1.
   */
  private closeOfHeader(t: number): number {
    let depth = 1;
    for (let u = t; u < this.eof && u < t + 400; u++) {
      const k = this.kd[u];
      if (k === K.LParen || k === K.LBracket) depth++;
      else if ((k === K.RParen || k === K.RBracket) && --depth === 0) return k === K.RParen ? u + 1 : -1;
      else if (k === K.LBrace || k === K.RBrace || (k >= FIRST_KEYWORD && (this.fl[u] & F.LineStart) !== 0)) return -1;
    }
    return -1;
  }

  /** Token `t` starts a parameter list that lost its `(`: its `)` is followed by the body's `{` on the same line. */
  private closedHeader(t: number): boolean {
    const u = this.closeOfHeader(t);
    return u >= 0 && this.kd[u] === K.LBrace && (this.fl[u] & F.NlBefore) === 0;
  }

  /** Reports the name at `t` as a misspelling of keyword `kw`, with a fix that corrects it. */
  private misspelt(t: number, kw: K, expected: string): void {
    if (this.suppress) return;
    this.error('syntax.expected', `${expected}, found '${this.textOf(t)}': did you mean '${KIND_TEXT[kw]}'?`, this.tokRange(t));
    const e = this.errors[this.errors.length - 1];
    withReplace(e, `Change to '${KIND_TEXT[kw]}'`, e.range, KIND_TEXT[kw]);
  }

  /** `lost`: the keyword is not written (see `keywordLost`); the declaration starts at its name. */
  private parseTopLevel(kw: K, lost = false): TopLevel | undefined {
    switch (kw) {
      case K.Model:
        return this.parseModel(lost);
      case K.Block:
        return this.parseBlock(lost);
      case K.Train:
        return this.parseTrain(lost);
      default:
        return this.parseImport();
    }
  }

  private ident(t: number): Ident {
    return { kind: 'ident', name: this.textOf(t), range: this.tokRange(t) };
  }

  /** Consume an identifier or report what was expected. */
  private expectIdent(what: string): Ident | undefined {
    const t = this.pos;
    const kind = this.kd[t];
    if (kind === K.Ident && !this.atBreak) {
      this.advance();
      return this.ident(t);
    }
    if (kind >= FIRST_KEYWORD && !this.atBreak && !this.atBoundary()) {
      this.error('syntax.expected', `expected ${what}, found keyword '${this.textOf(t)}' (keywords cannot be used as names)`, this.tokRange(t));
      return undefined;
    }
    this.expected(what);
    return undefined;
  }

  private parseModel(lost = false): ModelDecl | undefined {
    const kw = lost ? this.pos : this.advance();
    const name = lost ? this.ident(this.advance()) : this.expectIdent("a model name after 'model'");
    if (!name) {
      // `model {`: the name lost. The body is read all the same, for its own syntax errors; nameless, it is dropped.
      if (this.kd[this.pos] === K.LBrace && !this.atBreak) this.parseBody('model', Body.Statement);
      else this.syncTop();
      return undefined;
    }
    const body = this.parseBody('model', Body.Statement) as Statement[] | undefined;
    if (!body) return undefined;
    const bodyRange = this.bodyRange!;
    return {
      kind: 'model',
      name,
      body,
      bodyRange,
      range: span(this.startOf(kw), bodyRange.end),
    };
  }

  private parseBlock(lost = false): BlockDecl | undefined {
    const kw = lost ? this.pos : this.advance();
    const name = lost ? this.ident(this.advance()) : this.expectIdent("a block name after 'block'");
    if (!name) {
      // `block (n) {`: as a model without its name (see parseModel).
      if (this.kd[this.pos] === K.LParen && !this.atBreak) this.parseDelimited(this.advance(), K.RParen, Items.Param, 'in the parameter list');
      if (this.kd[this.pos] === K.LBrace && !this.atBreak) this.parseBody('block', Body.Statement);
      else this.syncTop();
      return undefined;
    }
    let params: Param[] = [];
    let paramsRange: Range | undefined;
    if (this.kd[this.pos] === K.LParen && !this.atBreak) {
      const open = this.advance();
      params = this.parseDelimited(open, K.RParen, Items.Param, 'in the parameter list') as Param[];
      paramsRange = span(this.startAfter(open, name.range.end), this.lastEndPos!);
    } else if (this.kd[this.pos] !== K.LBrace && !this.atBreak && this.closedHeader(this.pos)) {
      // `block b n, act = relu) {`: the `(` lost. The parameters are read all the same, so that the body is read too.
      const first = this.pos;
      const at = this.startOf(first);
      if (this.kd[first] === K.Ident) {
        this.error('syntax.expected', `expected '(' before the parameters of block '${name.name}', found '${this.textOf(first)}'`, this.tokRange(first));
        withReplace(this.errors[this.errors.length - 1], "Insert '('", span(at, at), '(');
        params = this.parseDelimited(first - 1, K.RParen, Items.Param, 'in the parameter list') as Param[];
        paramsRange = span(at, this.lastEndPos!);
      } else {
        // `block bn, act = relu) {` (the `(` lost between two words): the list is skipped, up to the body.
        this.expected(`'(' before the parameters of block '${name.name}'`, true);
        this.pos = this.closeOfHeader(first);
      }
    }
    const body = this.parseBody('block', Body.Statement) as Statement[] | undefined;
    if (!body) return undefined;
    const bodyRange = this.bodyRange!;
    const range = span(this.startOf(kw), bodyRange.end);
    // One literal per shape (see `parseCall`); a spread would copy through a temporary object.
    return paramsRange === undefined
      ? { kind: 'block', name, params, body, bodyRange, range }
      : { kind: 'block', name, params, paramsRange, body, bodyRange, range };
  }

  private parseParam(): Param | undefined {
    const name = this.expectIdent('a parameter name');
    if (!name) return undefined;
    if (this.kd[this.pos] === K.Eq) {
      this.skipEqs('a default', name.name);
      this.argStart = this.pos;
      const value = this.parseExpr();
      return { name, default: value, range: span(name.range.start, value.range.end) };
    }
    return { name, range: name.range };
  }

  private parseTrain(lost = false): TrainDecl | undefined {
    const kw = lost ? this.pos : this.advance();
    const name = lost ? this.ident(this.advance()) : this.expectIdent("the name of the model to train after 'train'");
    if (!name) {
      // `train {`: as a model without its name (see parseModel).
      if (this.kd[this.pos] === K.LBrace && !this.atBreak) this.parseBody('train', Body.TrainEntry);
      else this.syncTop();
      return undefined;
    }
    const entries = this.parseBody('train', Body.TrainEntry) as TrainEntry[] | undefined;
    if (!entries) return undefined;
    const bodyRange = this.bodyRange!;
    return {
      kind: 'train',
      name,
      entries,
      bodyRange,
      range: span(this.startOf(kw), bodyRange.end),
    };
  }

  private parseImport(): ImportDecl | undefined {
    const kw = this.advance();
    const t = this.pos;
    if (this.kd[t] !== K.String || this.atBreak) {
      this.expected('a file path in double quotes after \'import\' (import "layers.nnmodel")');
      this.syncTop();
      return undefined;
    }
    this.advance();
    this.lexError(t);
    const path: StringLit = { kind: 'string', value: this.store.stringOf(t), range: this.tokRange(t) };
    if (!this.atStatementEnd()) {
      this.error('syntax.unexpected', `unexpected ${this.describe(this.pos, false)} after the import path`, this.tokRange(this.pos));
      this.syncTop();
    }
    return { kind: 'import', path, range: span(this.startOf(kw), path.range.end) };
  }

  /** Range of the body the last {@link parseBody} read. */
  private bodyRange: Range | undefined;

  /**
   * `{ item* }` with one item per line; its range goes to {@link bodyRange}.
   * Returns undefined when `{` is missing (the declaration is dropped and
   * parsing resumes at the next item).
   */
  private parseBody(owner: string, what: Body): Array<Statement | TrainEntry> | undefined {
    const open = this.pos;
    if (this.kd[open] !== K.LBrace) {
      this.expected(`'{' to start the ${owner} body`);
      this.syncTop();
      return undefined;
    }
    this.advance();
    const base = this.top;
    // Made only once known (an `endOf(open)` made in advance was garbage for every closed body).
    let end: Position | undefined;
    for (;;) {
      const t = this.pos;
      const kind = this.kd[t];
      if (kind === K.RBrace) {
        this.advance();
        end = this.endOf(t);
        break;
      }
      if (kind === K.Eof || this.atDeclStart()) {
        // A new error even after one in the last statement: a missing `}` is a mistake of its own, and not one of
        // that statement, which was read whole (at the end of the file the error stands on its last token).
        this.suppress = false;
        this.unclosed(open, '}', t);
        this.errors[this.errors.length - 1].readWhole = true;
        const p = this.prevTok;
        if (p >= 0 && this.st[p] >= this.st[open]) end = this.endOf(p);
        break;
      }
      this.suppress = false;
      this.parenDepth = 0;
      this.nest = 0;
      const before = this.pos;
      const item = what === Body.Statement ? this.parseStatement() : this.parseTrainEntry();
      if (item !== undefined) this.pushItem(item);
      if (!this.atStatementEnd()) {
        const u = this.pos;
        if (this.isSemicolon(u)) this.semicolon();
        else if (this.startsItem(u, what)) this.sameLine(u);
        else {
          if (this.kd[u] === K.Invalid) this.invalidChar(u);
          else if (this.kd[u] === K.Eq && this.kd[u + 1] === K.Invalid && this.textOf(u + 1) === '>' && this.glued(u, K.Invalid, true)) {
            // `x => dense(16)`: JavaScript's arrow, or `=>` for `->`.
            const range = span(this.startOf(u), this.endOf(u + 1));
            this.error('syntax.unexpected', "'=>' is not an arrow here: layers are chained with '->'", range);
            withReplace(this.errors[this.errors.length - 1], "Change to '->'", range, '->');
          } else if ((this.kd[u] === K.RParen || this.kd[u] === K.RBracket) && (this.fl[u + 1] & F.NlBefore) !== 0) {
            // `output x -> dense(3))`: one bracket too many at the end of the line.
            const b = this.textOf(u);
            this.error('syntax.unexpected', `expected the end of the line, found '${b}', which closes no '${b === ')' ? '(' : '['}': one '${b}' too many`, this.tokRange(u));
            withReplace(this.errors[this.errors.length - 1], `Remove '${b}'`, this.tokRange(u), '');
          } else if (this.kd[u] === K.Comma && (this.fl[u + 1] & F.NlBefore) !== 0) {
            // `epochs: 3,` (JSON's or Python's habit): a line ends a statement or setting by itself.
            this.error('syntax.unexpected', "expected the end of the line, found ',': statements and settings end at the line break, with no comma", this.tokRange(u));
            withReplace(this.errors[this.errors.length - 1], "Remove ','", this.tokRange(u), '');
          } else if (this.kd[u] === K.Eq && what === Body.Statement && (item as Statement | undefined)?.kind === 'input') {
            // `input x = [4]`: a shape is given after ':'.
            this.error('syntax.unexpected', `expected the end of the line, found '=': an input's shape follows ':', as in 'input ${(item as InputStmt).name.name}: [4]'`, this.tokRange(u));
            withReplace(this.errors[this.errors.length - 1], "Change '=' to ':'", span(this.endOf(u - 1), this.endOf(u)), ':');
          } else if (this.missingArrow(u)) {
            // `x -> tanh avgpool(2)`: a layer after another without the `->` between them.
            const layer = this.textOf(u);
            this.error('syntax.unexpected', `expected the end of the line, found '${layer}': to apply it to what comes before, write '-> ${layer}'`, this.tokRange(u));
            const at = this.startOf(u);
            withReplace(this.errors[this.errors.length - 1], `Insert '->' before '${layer}'`, span(at, at), '-> ');
          } else this.error('syntax.unexpected', `expected the end of the line, found ${this.describe(u, false)}`, this.tokRange(u));
          this.skipStatement();
          // `x = 1 2; output x`: what follows the `;` is a statement of its own.
          if (this.isSemicolon(this.pos)) this.semicolon();
        }
      }
      if (this.pos === before) {
        // Nothing consumed and nothing to skip (e.g. a stray `)`): make progress.
        const k = this.kd[this.pos];
        if (k === K.Eof || k === K.RBrace || this.atDeclStart()) continue;
        this.expected('a statement', true);
        this.advance();
      }
    }
    const out = this.takeItems<Statement | TrainEntry>(base);
    this.bodyRange = span(this.startOf(open), end ?? this.endOf(open));
    return out;
  }

  /** Token `t` is `;` (lexed as an invalid character). */
  private isSemicolon(t: number): boolean {
    return this.kd[t] === K.Invalid && this.text.charCodeAt(this.st[t]) === 59 /* ; */;
  }

  /**
   * Token `t`, on the line of a complete statement, clearly begins another
   * item of a body of kind `what`: `input`/`output`, `NAME =`, or in a train
   * section `NAME:`.
   */
  private startsItem(t: number, what: Body): boolean {
    const kind = this.kd[t];
    if (kind !== K.Ident) return what === Body.Statement && (kind === K.Input || kind === K.Output);
    return this.kindAt(t + 1) === (what === Body.Statement ? K.Eq : K.Colon);
  }

  /**
   * The indentation a statement moved to a line of its own after token `t`
   * gets: that of `t`'s line, one level more when the line holds the
   * declaration itself (`model A { input x: [4]; ...`).
   */
  private indentAfter(t: number): string {
    const first = this.lineStart(t);
    const lineStart = this.st[first] - this.ch[first];
    const indent = this.text.slice(lineStart, this.st[first]);
    const kind = this.kd[first];
    return kind >= K.Model && kind <= K.Train ? `${indent}  ` : indent;
  }

  /**
   * `;` after a statement (`input x: [10]; output x`, as in C): one error, with
   * a fix that removes it (or, when a statement follows on the line, puts that
   * on a line of its own), and read as the line break it stands for, so that
   * what follows is parsed as the next statement. A run of `;` is one.
   */
  private semicolon(): void {
    const first = this.advance();
    let last = first;
    while (this.isSemicolon(this.pos) && (this.fl[this.pos] & F.NlBefore) === 0) last = this.advance();
    if (this.suppress) return;
    const next = this.pos;
    const prev = first - 1;
    const nextKind = this.kd[next];
    const alone = nextKind === K.Eof || nextKind === K.RBrace || (this.fl[next] & F.NlBefore) !== 0;
    const semis = span(this.startOf(first), this.endOf(last));
    const from = prev >= 0 && (this.fl[first] & F.NlBefore) === 0 ? this.endOf(prev) : semis.start;
    const what = last > first ? 'these semicolons' : "';'";
    this.error(
      'syntax.invalid_character',
      alone ? `statements end at a line break; remove ${what}` : `statements end at a line break; replace ${what} with a new line`,
      semis,
    );
    const e = this.errors[this.errors.length - 1];
    if (alone) withReplace(e, last > first ? 'Remove the semicolons' : "Remove ';'", span(from, semis.end), '');
    else withReplace(e, last > first ? 'Replace the semicolons with a line break' : "Replace ';' with a line break", span(from, this.startOf(next)), `\n${this.indentAfter(first)}`);
  }

  /** Whether the statement holding token `u` is the last of its body: no other statement begins before the body's `}` (or the file's end). */
  private lastStatementOfBody(u: number): boolean {
    let depth = 0;
    for (let i = u; ; i++) {
      const k = this.kd[i];
      if (k === K.Eof) return true;
      if (k === K.LParen || k === K.LBracket) depth++;
      else if (k === K.RParen || k === K.RBracket) depth--;
      else if (k === K.RBrace) return true;
      if (depth <= 0 && i > u && (this.fl[i] & F.NlBefore) !== 0 && k !== K.Arrow && this.kd[i - 1] !== K.Arrow && this.kd[i - 1] !== K.Comma) return false;
      if (i - u > LOOKAHEAD) return false;
    }
  }

  /** Whether token `u` starts a value right after one ended on its line (`x y`, `4 relu`, `f(2) (y)`). */
  private juxtaposed(u: number): boolean {
    if (u === 0 || (this.fl[u] & F.NlBefore) !== 0) return false;
    const k = this.kd[u];
    const before = this.kd[u - 1];
    const starts = k === K.Ident || k === K.Number || k === K.String || k === K.LParen || k === K.LBracket || k === K.True || k === K.False;
    const ends = before === K.Ident || before === K.Number || before === K.String || before === K.RParen || before === K.RBracket || before === K.True || before === K.False;
    return starts && ends;
  }

  /** Whether token `u` is the `(` of a call (`dense(2)` in `concat(a dense(2) x)`: one item, no ',' before its `(`). */
  private callParen(u: number): boolean {
    return this.kd[u] === K.LParen && u > 0 && this.kd[u - 1] === K.Ident;
  }

  /**
   * Whether token `u`, after a complete statement on its line, is a call
   * that lost its `->`: a name followed by `(`, by the line's end or by `->`,
   * after a name or a `)` (`tanh avgpool(2)`, `dense(4) relu`).
   */
  private missingArrow(u: number): boolean {
    if (this.kd[u] !== K.Ident || u === 0) return false;
    const before = this.kd[u - 1];
    if (before !== K.Ident && before !== K.RParen) return false;
    const next = u + 1;
    const after = this.kd[next];
    return after === K.LParen || after === K.Arrow || after === K.Eof || after === K.RBrace || (this.fl[next] & F.NlBefore) !== 0;
  }

  /**
   * A second statement on the line of a complete one (`input x: [10] output x`):
   * one error, with a fix that starts a new line before it, and parsed as the
   * statement it is.
   */
  private sameLine(u: number): void {
    if (this.suppress) return;
    const kind = this.kd[u];
    const head = kind >= FIRST_KEYWORD ? `'${this.textOf(u)}'` : this.kd[u + 1] === K.Eq ? `'${this.textOf(u)} = ...'` : `'${this.textOf(u)}: ...'`;
    this.error('syntax.unexpected', `expected the end of the line, found ${this.describe(u, false)}: put ${head} on a new line (statements end at a line break)`, this.tokRange(u));
    // The blanks before it give way to the line break (an insertion would leave them at the end of the line).
    withReplace(this.errors[this.errors.length - 1], `Start a new line at ${head}`, span(this.endOf(u - 1), this.startOf(u)), `\n${this.indentAfter(u)}`);
  }

  // ------------------------------------------------------------ statements

  private parseStatement(): Statement | undefined {
    const t = this.pos;
    const kind = this.kd[t];
    if (kind === K.Input) return this.parseInput();
    if (kind === K.Output) return this.parseOutput();
    if (kind === K.Ident) {
      if (this.kindAt(t + 1) === K.Eq && !this.breakBefore(t + 1)) {
        this.advance();
        this.skipEqs('an assignment', 'NAME');
        const target = this.ident(t);
        const value = this.parseExpr();
        return { kind: 'assign', target, value, range: span(target.range.start, value.range.end) };
      }
      // `x: [28, 28, 1]`: an input that lost its keyword; read as the input it declares.
      if (this.kindAt(t + 1) === K.Colon && !this.breakBefore(t + 1) && !this.suppress && this.shapeAt(t + 2)) {
        const word = this.textOf(t);
        this.error('syntax.expected', `expected a statement ('input', 'output' or 'NAME = value'), found '${word}: ...': to declare an input, write 'input ${word}: ...'`, this.tokRange(t));
        const at = this.startOf(t);
        withReplace(this.errors[this.errors.length - 1], "Insert 'input'", span(at, at), 'input ');
        this.suppress = false;
        return this.parseInput(true);
      }
      // `inputs x: [8]`, `ouput x`: read as the statement it misspells (its names stay defined and used).
      const next = this.kindAt(t + 1);
      if (!this.breakBefore(t + 1) && (next === K.Ident || next === K.Number || next === K.LParen || next === K.LBracket || next === K.Minus)) {
        const kw = misspeltKeyword(this.text, this.st[t], this.en[t], STATEMENT_KEYWORDS);
        if (kw === K.Output || (kw === K.Input && next === K.Ident)) {
          this.misspelt(t, kw, "expected a statement ('input', 'output' or 'NAME = value')");
          return kw === K.Input ? this.parseInput() : this.parseOutput();
        }
      }
      this.advance();
      if (this.kd[this.pos] === K.Arrow && !this.atBreak && !this.suppress) {
        // `h -> dense(2)`: a chain that goes nowhere. Its `output` lost (the body's last line), or `h = ` lost.
        const word = this.textOf(t);
        this.expected(`'=' after '${word}' (a statement is 'input', 'output' or 'NAME = value')`);
        const at = this.startOf(t);
        const output = { title: `Make it the output: 'output ${word} -> ...'`, range: span(at, at), text: 'output ' };
        const assign = { title: `Assign it: '${word} = ${word} -> ...'`, range: span(at, at), text: `${word} = ` };
        const last = this.lastStatementOfBody(this.pos);
        const e = this.errors[this.errors.length - 1];
        e.message += `: to make it the output, write 'output ${word} -> ...'; to keep it, '${word} = ${word} -> ...'`;
        withReplace(e, (last ? output : assign).title, span(at, at), (last ? output : assign).text);
        e.alternatives = [last ? assign : output];
      } else this.expected(`'=' after '${this.textOf(t)}' (a statement is 'input', 'output' or 'NAME = value')`);
      const target = this.ident(t);
      const from = this.pos;
      // `h -> dense(2)` (its `output` lost) uses `h` as much as it binds it; and the names in what follows.
      const names: NameRef[] = [{ kind: 'name', name: target.name, range: target.range }];
      this.skipStatement(false, names);
      // The name stays bound, to a value the analysis cannot know: its uses are not also reported as unknown.
      const end = this.pos > from ? this.endOf(this.pos - 1) : target.range.end;
      return { kind: 'assign', target, value: { kind: 'error', range: span(target.range.end, end), names }, range: span(target.range.start, end) };
    }
    this.expected("a statement ('input', 'output' or 'NAME = value')", true);
    this.skipStatement(true);
    return undefined;
  }

  /** `input NAME: SHAPE`; `lost`: the keyword is missing (`x: [4]`), the name is the current token. */
  private parseInput(lost = false): InputStmt | undefined {
    const kw = lost ? this.pos : this.advance();
    let name: Ident | undefined;
    if (lost) {
      this.advance();
      name = this.ident(kw);
    } else name = this.expectIdent("an input name after 'input'");
    if (!name) {
      this.skipStatement();
      return undefined;
    }
    let shape: ShapeExpr | undefined;
    if (this.kd[this.pos] === K.Colon && !this.atBreak) {
      this.advance();
      shape = this.parseShape();
    } else if (!this.atBreak && !this.suppress && (this.kd[this.pos] === K.LBracket || (this.isIntWord(this.pos) && this.kindAt(this.pos + 1) === K.LBracket))) {
      // `input x [28, 28, 1]`: the ':' left out; read on as the shape it is.
      this.error('syntax.expected', "expected ':' between the input's name and its shape", this.foundRange(this.pos, false));
      const e = this.errors[this.errors.length - 1];
      e.insert = { at: name.range.end, text: ':' };
      e.readWhole = true;
      this.suppress = false;
      shape = this.parseShape();
      if (shape) e.message += `: 'input ${name.name}: ${this.text.slice(shape.range.start.offset, shape.range.end.offset)}'`;
    }
    const range = span(this.startOf(kw), (shape ?? name).range.end);
    // One literal per shape, fields in their usual order (see `parseCall`).
    return shape === undefined ? { kind: 'input', name, range } : { kind: 'input', name, range, shape };
  }

  /** Whether a shape starts at token `u` on this line: `[`, or `int[`. */
  private shapeAt(u: number): boolean {
    if (this.breakBefore(u)) return false;
    return this.kindAt(u) === K.LBracket || (this.isIntWord(u) && this.kindAt(u + 1) === K.LBracket && !this.breakBefore(u + 1));
  }

  private parseShape(): ShapeExpr | undefined {
    const first = this.pos;
    let isInt = false;
    if (this.isIntWord(first) && !this.atBreak && this.kindAt(this.pos + 1) === K.LBracket) {
      this.advance();
      isInt = true;
    }
    const open = this.pos;
    // Sizes, or names listed with ','s (`seq, 4`): not one word (`intseq]`, an `int[seq]` that lost its '[', is no shape named so).
    const sizes = this.kd[open] === K.Number || (this.kd[open] === K.Ident && !this.isIntWord(open) && this.kindAt(open + 1) === K.Comma);
    if (!isInt && !this.atBreak && !this.suppress && sizes) return this.bareShape(first);
    if (this.kd[open] !== K.LBracket || this.atBreak) {
      this.expected(isInt ? "'[' after 'int'" : "a shape such as [28, 28, 1] or int[seq]");
      return undefined;
    }
    this.advance();
    const dims = this.parseDelimited(open, K.RBracket, Items.Expr, 'in the shape') as Expr[];
    return { kind: 'shape', isInt, dims, range: span(this.startOf(first), this.lastEndPos!) };
  }

  /**
   * Advances past the `=` at the current token, and past more `=`s after it
   * on its line: `h == x`, a comparison (Python's `==`) where `=` was meant,
   * is one error, with a fix to `=`, and what follows is read on as usual.
   * What was meant is said as "`what` is '`name` = value'" ("an assignment
   * is 'NAME = value'"), a message made only when there is an error (a
   * string built for every named argument was garbage in every parse).
   */
  private skipEqs(what: string, name: string): void {
    const first = this.pos;
    const last = this.eqRun(first);
    if (last > first && !this.suppress) {
      const op = '='.repeat(last - first + 1);
      const at = span(this.startOf(first), this.endOf(last));
      this.error('syntax.unexpected', `found '${op}' after '${this.textOf(first - 1)}': ${what} is '${name} = value', with one '='`, at);
      const e = this.errors[this.errors.length - 1];
      withReplace(e, `Replace '${op}' with '='`, at, '=');
      e.readWhole = true;
      this.suppress = false;
    }
    while (this.pos <= last) this.advance();
  }

  /** The first token of the argument value being read (see `parseParen`'s tuples). */
  private argStart = -1;

  /** The first token of the train setting's value being read (`data: csv(...)`'s `csv`), or -1. */
  private trainValueAt = -1;

  /** The first token of a file data source's first argument (`csv(` HERE), or -1: see {@link unquotedPath}. */
  private pathArgAt = -1;

  /**
   * The `)` of a tuple of plain values that opens at token `open`, on one
   * line (`(3, 3)`, `(2, -1)`, `(k, k)`), or -1: a parenthesis holds one
   * expression, so a `,` in it is Python's tuple.
   */
  private simpleTuple(open: number): number {
    let comma = false;
    for (let i = open + 1; i - open < LOOKAHEAD; i++) {
      const k = this.kd[i];
      if ((this.fl[i] & F.NlBefore) !== 0) return -1;
      if (k === K.RParen) return comma && this.kd[i - 1] !== K.Comma ? i : -1;
      if (k === K.Comma) {
        if (this.kd[i - 1] === K.Comma || i === open + 1) return -1;
        comma = true;
      } else if (k !== K.Number && k !== K.Ident && k !== K.Minus) return -1;
    }
    return -1;
  }

  /** The last token of the run of '='s that starts at token `t` (`==`, `= =` on one line). */
  private eqRun(t: number): number {
    let last = t;
    while (this.kd[last + 1] === K.Eq && (this.fl[last + 1] & F.NlBefore) === 0) last++;
    return last;
  }

  /**
   * `input x: 28, 28, 1`: a shape without its brackets (as a Python tuple
   * may be written). One error with the fix that adds them, and read on as
   * that shape.
   */
  private bareShape(first: number): ShapeExpr {
    const dims: Expr[] = [this.parseExpr()];
    while (this.kd[this.pos] === K.Comma && !this.atBreak) {
      this.advance();
      dims.push(this.parseExpr());
    }
    const end = dims[dims.length - 1].range.end;
    const written = this.text.slice(this.st[first], end.offset);
    // Only its '[' lost (`28, 28, 1]`): the ']' is part of this one mistake.
    const closed = this.kd[this.pos] === K.RBracket && !this.atBreak;
    if (closed) this.advance();
    const range = span(this.startOf(first), closed ? this.endOf(this.pos - 1) : end);
    this.suppress = false;
    this.error('syntax.expected', closed ? `expected '[' to open the shape: [${written}]` : `a shape goes in brackets: [${written}]`, range);
    const e = this.errors[this.errors.length - 1];
    withReplace(e, `Change to [${written}]`, range, `[${written}]`);
    e.readWhole = true;
    this.suppress = false;
    return { kind: 'shape', isInt: false, dims, range };
  }

  private parseOutput(): Statement {
    const kw = this.advance();
    if (this.kd[this.pos] === K.Eq && !this.atBreak && !this.suppress) {
      // `output = x -> f`: 'output' is the statement's keyword, not a name to assign; read on as `output x -> f`.
      const eq = this.pos;
      // `output == x` too: all the '='s of the run, one error.
      const last = this.eqRun(eq);
      const op = '='.repeat(last - eq + 1);
      const first = this.kd[last + 1] === K.Ident && (this.fl[last + 1] & F.NlBefore) === 0 ? this.textOf(last + 1) : 'x';
      this.error('syntax.unexpected', `expected the output's value after 'output', found '${op}': 'output' is a keyword, not a name; write 'output ${first} ...'`, span(this.startOf(eq), this.endOf(last)));
      const e = this.errors[this.errors.length - 1];
      // With the spaces after it, not a line break (`output =` at a line's end keeps the `}` below on its line).
      withReplace(e, `Remove '${op}'`, span(this.startOf(eq), (this.fl[last + 1] & F.NlBefore) !== 0 ? this.endOf(last) : this.startOf(last + 1)), '');
      e.readWhole = true;
      while (this.pos <= last) this.advance();
      // What follows is read as usual: its own mistakes are reported too.
      this.suppress = false;
    }
    const values: Expr[] = [this.parseExpr()];
    while (this.kd[this.pos] === K.Comma && !this.atBreak) {
      this.advance();
      values.push(this.parseExpr());
    }
    const keywordRange = this.tokRange(kw);
    // The statement starts where its keyword does: one position object for both.
    return { kind: 'output', values, keywordRange, range: span(keywordRange.start, values[values.length - 1].range.end) };
  }

  private parseTrainEntry(): TrainEntry | undefined {
    const t = this.pos;
    if (this.kd[t] !== K.Ident) {
      this.expected("a setting such as 'epochs: 5'", true);
      this.skipStatement(true);
      return undefined;
    }
    this.advance();
    const key = this.ident(t);
    if (this.kd[this.pos] !== K.Colon || this.atBreak) {
      this.expected(`':' after '${this.textOf(t)}'`);
      // `data = digits()`: a setting is `key: value`.
      if (this.kd[this.pos] === K.Eq && !this.atBreak && this.errors.length > 0) withReplace(this.errors[this.errors.length - 1], "Change '=' to ':'", span(this.endOf(t), this.endOf(this.pos)), ':');
      this.skipStatement();
      return undefined;
    }
    const colon = this.advance();
    const u = this.pos;
    if ((this.fl[u] & F.LineStart) !== 0 && this.kd[u] === K.Ident && this.kindAt(u + 1) === K.Colon) {
      // `validation:` with its value lost: the next line's `metrics: [...]` is a setting of its own, not this value.
      const at = this.endOf(colon);
      this.error('syntax.expected', `expected a value after '${key.name}:', found newline`, span(at, at));
      return { key, value: { kind: 'error', range: span(at, at) }, range: span(key.range.start, at) };
    }
    this.trainValueAt = u;
    const value = this.parseExpr();
    return { key, value, range: span(key.range.start, value.range.end) };
  }

  // ------------------------------------------------------------ expressions

  /**
   * `ITEM (',' ITEM)* ','?` up to `close`. Returns the items; the end of the
   * construct (the closing bracket, or the last consumed token when the
   * bracket is missing, already diagnosed) goes to {@link lastEndPos}.
   */
  private parseDelimited(open: number, close: K.RParen | K.RBracket, what: Items, where: string): Array<Expr | Arg | Param> {
    const base = this.top;
    this.parenDepth++;
    // `conv2d(8, 3 -> relu`: an argument list that is never closed, with a `->` directly in it, was
    // meant to close before that `->`; its chains stop there, and the call's chain goes on after it.
    const outerStop = this.stopAt;
    // A list (`reshape([4,` then a new statement) can be left open at a line's end too; a `->` in it is an element's chain.
    const found = what === Items.Param ? -1 : this.forgottenClose(open);
    const arrow = what === Items.Arg || (found >= 0 && this.kd[found] !== K.Arrow) ? found : -1;
    const stopHere = arrow >= 0;
    if (stopHere) this.stopAt = arrow;
    try {
      for (;;) {
        const t = this.pos;
        if (this.kd[t] === close) {
          this.advance();
          this.lastEndPos = this.endOf(t);
          return this.takeItems(base);
        }
        if (this.closesEarly() || (t === this.stopAt && stopHere)) {
          this.unclosed(open, KIND_TEXT[close], t);
          this.lastEndPos = this.lastEnd(open);
          return this.takeItems(base);
        }
        const item = what === Items.Expr ? this.parseExpr() : what === Items.Arg ? this.parseArg() : this.parseParam();
        if (item !== undefined) this.pushItem(item);
        const u = this.pos;
        const kind = this.kd[u];
        if (u === this.stopAt && stopHere) {
          // The `)` forgotten before this `->` (see `forgottenClose`): the list ends here, the chain goes on.
          this.unclosed(open, KIND_TEXT[close], u);
          this.lastEndPos = this.lastEnd(open);
          return this.takeItems(base);
        }
        if (kind === K.Comma) {
          this.advance();
          continue;
        }
        if (kind === close) {
          this.advance();
          this.lastEndPos = this.endOf(u);
          return this.takeItems(base);
        }
        // `block b(f {`: the body's `{` ends a parameter list whose `)` was lost.
        if (this.closesEarly() || (this.fl[u] & F.NlBefore) !== 0 || (kind === K.LBrace && what === Items.Param)) {
          this.unclosed(open, KIND_TEXT[close], u);
          this.lastEndPos = this.lastEnd(open);
          return this.takeItems(base);
        }
        if (this.juxtaposed(u) && !this.callParen(u) && !this.suppress) {
          // `concat(a b)`: two items without the ',' between them.
          this.badInList(u, `expected ',' or '${KIND_TEXT[close]}' ${where}, found ${this.describe(u, false)}: separate the items with ','`);
          // Every ',' the list lacks (`[32 32 3]`), in one fix.
          const gaps: number[] = [];
          for (let i = u, depth = 0; i - u < LOOKAHEAD; i++) {
            const k = this.kd[i];
            if (k === K.Eof || k === K.RBrace || (depth === 0 && k === close) || (i > u && (this.fl[i] & F.NlBefore) !== 0)) break;
            if (depth === 0 && this.juxtaposed(i) && !this.callParen(i)) gaps.push(i);
            if (k === K.LParen || k === K.LBracket) depth++;
            else if (k === K.RParen || k === K.RBracket) depth--;
          }
          const to = this.en[gaps[gaps.length - 1] - 1];
          let text = '';
          for (let g = 0; g < gaps.length; g++) text += ',' + this.text.slice(this.en[gaps[g] - 1], g + 1 < gaps.length ? this.en[gaps[g + 1] - 1] : to);
          const title = gaps.length === 1 ? `Insert ',' before ${this.describe(u, false)}` : `Insert the ${gaps.length} missing ','`;
          const at = this.endOf(gaps[0] - 1);
          withReplace(this.errors[this.errors.length - 1], title, span(at, gaps.length === 1 ? at : this.endOf(gaps[gaps.length - 1] - 1)), text);
        } else this.badInList(u, `expected ',' or '${KIND_TEXT[close]}' ${where}, found ${this.describe(u, false)}`);
        this.lastEndPos = this.skipToClose(close) ? this.endOf(this.pos - 1) : this.lastEnd(open);
        return this.takeItems(base);
      }
    } finally {
      this.parenDepth--;
      this.stopAt = outerStop;
    }
  }

  /**
   * For the argument list opened at `open`: the first `->` directly in it
   * when the list is never closed (a line break that no `,` continues, a
   * `}` or the end of the file comes first), else -1. Looks at most
   * `LOOKAHEAD` tokens ahead, so that nested lists cost a bounded scan each.
   */
  private forgottenClose(open: number): number {
    let depth = 0;
    let arrow = -1;
    // `y = x -> dense(4,` then `z = y -> relu` on the next line: a line that begins no further right
    // than the statement, right after the `,` or `(` that ended the line before, starts the next
    // statement when the list is never closed; the list ends before it.
    let statement = -1;
    const indent = this.ch[this.lineStart(open)];
    for (let i = open + 1, n = 0; n < LOOKAHEAD; i++, n++) {
      const kind = this.kd[i];
      // A line break between the end of one operand and the start of another: the list was left open
      // (inside brackets an expression goes on across lines after `,`, `->` or an operator).
      if (kind === K.Eof || kind === K.RBrace || (depth === 0 && (this.fl[i] & F.NlBefore) !== 0 && i > open + 1 && endsOperand(this.kd[i - 1]) && startsOperand(kind))) {
        return statement >= 0 && (arrow < 0 || statement < arrow) ? statement : arrow;
      }
      if (depth === 0 && statement < 0 && (this.fl[i] & F.NlBefore) !== 0 && (i === open + 1 || this.kd[i - 1] === K.Comma) && startsOperand(kind) && this.ch[i] <= indent) {
        statement = i;
      }
      if (kind === K.LParen || kind === K.LBracket) depth++;
      else if (kind === K.RParen || kind === K.RBracket) {
        if (depth === 0) return -1;
        depth--;
      } else if (kind === K.Arrow && depth === 0 && arrow < 0) arrow = i;
    }
    return -1;
  }

  /** The first token of the line token `t` is on. */
  private lineStart(t: number): number {
    while (t > 0 && (this.fl[t] & F.NlBefore) === 0) t--;
    return t;
  }

  private lastEnd(open: number): Position {
    const p = this.prevTok;
    return p >= 0 && this.st[p] >= this.st[open] ? this.endOf(p) : this.endOf(open);
  }

  parseExpr(): Expr {
    if (this.nest === 0) this.operators = 0;
    return this.parseAdditive();
  }

  private parseAdditive(): Expr {
    let left = this.parseMultiplicative();
    for (;;) {
      const t = this.pos;
      const kind = this.kd[t];
      if ((kind !== K.Plus && kind !== K.Minus) || this.atBreak) return left;
      if (++this.operators > MAX_OPERATORS) return this.tooLong(left);
      this.advance();
      const right = this.parseMultiplicative();
      left = { kind: 'binary', op: kind === K.Plus ? '+' : '-', left, right, opRange: this.tokRange(t), range: span(left.range.start, right.range.end) };
    }
  }

  private parseMultiplicative(): Expr {
    let left = this.parseUnary();
    for (;;) {
      const t = this.pos;
      const kind = this.kd[t];
      if ((kind !== K.Star && kind !== K.Slash && kind !== K.DSlash) || this.atBreak) return left;
      if (++this.operators > MAX_OPERATORS) return this.tooLong(left);
      this.advance();
      const right = this.parseUnary();
      const op: BinaryOp = kind === K.Star ? '*' : kind === K.Slash ? '/' : '//';
      left = { kind: 'binary', op, left, right, opRange: this.tokRange(t), range: span(left.range.start, right.range.end) };
    }
  }

  private parseUnary(): Expr {
    if (this.nest >= MAX_DEPTH) return this.tooDeep();
    this.nest++;
    try {
      const t = this.pos;
      if (this.kd[t] === K.Minus && !this.atBreak) {
        this.advance();
        const operand = this.parseUnary();
        return { kind: 'unary', op: '-', operand, range: span(this.startOf(t), operand.range.end) };
      }
      return this.parseChain();
    } finally {
      this.nest--;
    }
  }

  /** Report excessive nesting once and skip the nested part without recursing. */
  private tooDeep(): Expr {
    const t = this.pos;
    this.error('syntax.too_deep', `expression nested too deeply (more than ${MAX_DEPTH} levels)`, this.tokRange(t));
    return this.skipOperand(this.startOf(t));
  }

  /** Report an expression with too many operators at the first one too many, and skip the rest of it from `left` on. */
  private tooLong(left: Expr): Expr {
    this.error('syntax.too_long', `this statement has more than ${MAX_OPERATORS} operators (its arguments' included); split it into named steps (\`a = ...\`, then \`a + ...\`).`, this.tokRange(this.pos));
    const skipped = this.skipOperand(left.range.start) as ErrorExpr;
    // The names of what was read before, then of what was skipped: the statement's uses, in source order.
    const names: NameRef[] = [];
    const todo: Expr[] = [left];
    while (todo.length > 0) {
      const e = todo.pop()!;
      if (e.kind === 'name') names.push(e);
      else forEachChild(e, (c) => todo.push(c));
    }
    names.reverse();
    if (skipped.names) for (const n of skipped.names) names.push(n);
    const range = span(left.range.start, skipped.range.end.offset > left.range.end.offset ? skipped.range.end : left.range.end);
    return names.length > 0 ? { kind: 'error', range, names } : { kind: 'error', range };
  }

  /** Skips tokens up to the end of the operand or argument being read (its `,`, closing bracket or line break), without recursing. */
  private skipOperand(start: Position): Expr {
    let end = start;
    let depth = 0;
    let names: NameRef[] | undefined;
    for (;;) {
      const u = this.pos;
      const kind = this.kd[u];
      if (this.closesEarly()) break;
      if (kind === K.RParen || kind === K.RBracket) {
        if (depth === 0) break;
        depth--;
      } else if (kind === K.LParen || kind === K.LBracket) depth++;
      else if (depth === 0 && (kind === K.Comma || this.atBreak)) break;
      this.advance();
      // An identifier not called (`f(`) nor named as an argument (`p =`): a name the skipped text uses.
      if (kind === K.Ident && this.kd[this.pos] !== K.LParen && this.kd[this.pos] !== K.Eq) {
        (names ??= []).push({ kind: 'name', name: this.textOf(u), range: this.tokRange(u) });
      }
      end = this.endOf(u);
    }
    return names ? { kind: 'error', range: span(start, end), names } : { kind: 'error', range: span(start, end) };
  }

  private parseChain(): Expr {
    const head = this.parsePrimary();
    if (this.kd[this.pos] !== K.Arrow || this.pos === this.stopAt) return head;
    const base = this.top;
    let dangling = -1;
    while (this.kd[this.pos] === K.Arrow && this.pos !== this.stopAt) {
      const arrow = this.advance();
      // `-> batchnorm` deleted at a chain's end: its `->` does not swallow the next line's `y = ...`.
      if (this.kd[this.pos] !== K.Ident || this.atBreak || this.atBoundary()) {
        this.expected("a layer or block name after '->'");
        dangling = arrow;
        break;
      }
      this.pushItem(this.parseCall(true));
    }
    if (this.top === base) return head;
    const calls = this.takeItems<CallExpr>(base);
    // Up to a `->` left dangling, on a line of its own too: the statement, and so its error, take in that line.
    return { kind: 'chain', head, calls, range: span(head.range.start, dangling >= 0 ? this.endOf(dangling) : calls[calls.length - 1].range.end) };
  }

  /** `IDENT ['(' ARGS ')'] ['*' N]`, the repeat only in chain position. */
  private parseCall(inChain: boolean): CallExpr {
    const c = this.advance();
    const callee = this.ident(c);
    let args: Arg[] | undefined;
    let argsRange: Range | undefined;
    if (this.kd[this.pos] === K.LParen && !this.atBreak) {
      const open = this.advance();
      // `data: csv(...)`: its first argument is a file's path.
      if (c === this.trainValueAt && FILE_SOURCES.has(callee.name)) this.pathArgAt = open + 1;
      args = this.parseDelimited(open, K.RParen, Items.Arg, 'in the argument list') as Arg[];
      argsRange = span(this.startAfter(open, callee.range.end), this.lastEndPos!);
    } else if (inChain && this.kd[this.pos] === K.LBracket && !this.atBreak) {
      // `-> dense[4]`: arguments in square brackets. One error, and the call reads as `dense(4)`.
      const open = this.advance();
      const reported = !this.suppress;
      this.error('syntax.expected', '', this.tokRange(open));
      const e = this.errors[this.errors.length - 1];
      args = this.parseDelimited(open, K.RBracket, Items.Arg, 'in the argument list') as Arg[];
      argsRange = span(this.startAfter(open, callee.range.end), this.lastEndPos!);
      if (reported) this.squareArgs(e, callee, open, argsRange);
    }
    let repeat: Expr | undefined;
    if (inChain && this.kd[this.pos] === K.Star && !this.atBreak) {
      this.advance();
      repeat = this.parseRepeat();
    }
    // Each shape is one literal, its fields in the order they always had: an optional field added
    // afterwards would give the object a second, out-of-object property store (an allocation more).
    if (args === undefined || argsRange === undefined) {
      // A bare `relu` spans what its name spans: the name's range object serves both (equal values, no new positions).
      if (repeat === undefined) return { kind: 'call', callee, args: [], range: callee.range };
      return { kind: 'call', callee, args: [], range: span(callee.range.start, repeat.range.end), repeat };
    }
    if (repeat === undefined) return { kind: 'call', callee, args, range: span(callee.range.start, argsRange.end), argsRange };
    return { kind: 'call', callee, args, range: span(callee.range.start, repeat.range.end), argsRange, repeat };
  }

  /** Completes error `e` for arguments written in square brackets from `open` over `range`: the message, and a fix when they are closed. */
  private squareArgs(e: SyntaxError, callee: Ident, open: number, range: Range): void {
    const closed = this.kd[this.pos - 1] === K.RBracket && this.en[this.pos - 1] === range.end.offset;
    const inner = this.text.slice(this.en[open], closed ? range.end.offset - 1 : range.end.offset);
    const written = `${callee.name}(${inner.length <= 30 && !inner.includes('\n') ? inner : '...'})`;
    e.message = `arguments go in parentheses: ${written}, not square brackets`;
    e.range = range;
    if (closed) withReplace(e, `Change to ${written}`, range, `(${inner})`);
  }

  private parseRepeat(): Expr {
    const t = this.pos;
    const kind = this.kd[t];
    if (!this.atBreak) {
      if (kind === K.Number) return this.parsePrimary();
      if (kind === K.Ident) {
        this.advance();
        return { kind: 'name', name: this.textOf(t), range: this.tokRange(t) };
      }
      if (kind === K.LParen) return this.parsePrimary();
    }
    this.expected("a repeat count after '*' (a number, a name or a parenthesised expression)");
    return { kind: 'error', range: this.missingAt() };
  }

  private parseArg(): Arg {
    const t = this.pos;
    if (this.kd[t] === K.Ident && this.kindAt(t + 1) === K.Eq) {
      this.advance();
      this.skipEqs('a named value', this.textOf(t));
      const name = this.ident(t);
      this.argStart = this.pos;
      const value = this.parseExpr();
      return { name, value, range: span(name.range.start, value.range.end) };
    }
    this.argStart = this.pos;
    const path = t === this.pathArgAt ? this.unquotedPath(t) : undefined;
    const value = path ?? this.parseExpr();
    return { value, range: value.range };
  }

  /**
   * A path without its quotes as a file data source's first argument, from
   * token `t`: `csv(../data/fruit-2.csv)`, `images(./photos)`,
   * `text(C:/data/tiny.txt)`, `csv(data/fruit.csv)`. Its tokens are written
   * without a space between them (so `x - y` is never one) up to the `,` or
   * `)` after them, two or more of words, numbers, `/`, `\`, `.`, `~`, `-`
   * and a drive's `:` (`C:` before a `/` or `\`). One `syntax.unquoted_path`
   * error with the fix that quotes the whole path (its `\` written as `/`,
   * which works on Windows too, where `\` would start an escape), and read
   * as that string, so the analysis goes on as if it were quoted. Undefined,
   * nothing consumed, when the tokens are no such path.
   */
  private unquotedPath(t: number): StringLit | undefined {
    let last = t;
    for (let u = t; ; u++) {
      const k = this.kd[u];
      const part =
        k === K.Ident ||
        k === K.Number ||
        k >= FIRST_KEYWORD ||
        k === K.Slash ||
        (k === K.Minus && u > t) ||
        (k === K.Invalid && PATH_MARKS.has(this.textOf(u))) ||
        // `C:/`: a drive letter's colon only.
        (k === K.Colon && u === t + 1 && this.kd[t] === K.Ident && this.en[t] - this.st[t] === 1 && (this.kd[u + 1] === K.Slash || this.textOf(u + 1) === '\\'));
      if (!part || (u > t && this.st[u] !== this.en[u - 1])) break;
      last = u;
    }
    const next = this.kd[last + 1];
    if (last === t || (next !== K.Comma && next !== K.RParen && next !== K.Eof && (this.fl[last + 1] & F.NlBefore) === 0)) return undefined;
    const written = this.text.slice(this.st[t], this.en[last]);
    const path = written.replace(/\\/g, '/');
    const range = span(this.startOf(t), this.endOf(last));
    const slashes = path === written ? '' : ' (folders separated by /, which works on Windows too)';
    this.error('syntax.unquoted_path', `a path is a string: write "${path}" in double quotes${slashes}`, range);
    withReplace(this.errors[this.errors.length - 1], `Quote the path: "${path}"`, range, `"${path}"`);
    while (this.pos <= last) this.advance();
    return { kind: 'string', value: path, range };
  }

  private parsePrimary(): Expr {
    const t = this.pos;
    if (this.atBreak || this.atBoundary()) {
      this.expected('an expression');
      return { kind: 'error', range: this.missingAt() };
    }
    switch (this.kd[t]) {
      // A malformed number or string (`0x10`, `.5`, `"abc` unclosed) stands as an error: its value, a
      // guess, would be checked as if written (`dense(0x10)` "must be at least 1; got 0").
      case K.Number:
        this.advance();
        if (this.lexError(t)) return { kind: 'error', range: this.tokRange(t) };
        return { kind: 'number', value: this.store.num[t], text: this.textOf(t), isInt: (this.fl[t] & F.IsInt) !== 0, range: this.tokRange(t) };
      case K.String:
        this.advance();
        if (this.lexError(t)) return { kind: 'error', range: this.tokRange(t) };
        return { kind: 'string', value: this.store.stringOf(t), range: this.tokRange(t) };
      case K.True:
      case K.False:
        this.advance();
        return { kind: 'bool', value: this.kd[t] === K.True, range: this.tokRange(t) };
      case K.Ident:
        if (this.kindAt(t + 1) === K.LParen && !this.breakBefore(t + 1)) return this.parseCall(false);
        this.advance();
        return { kind: 'name', name: this.textOf(t), range: this.tokRange(t) };
      case K.LBracket: {
        this.advance();
        const items = this.parseDelimited(t, K.RBracket, Items.Expr, 'in the list') as Expr[];
        return { kind: 'list', items, range: span(this.startOf(t), this.lastEndPos!) };
      }
      case K.LParen:
        return this.parseParen();
      default:
        break;
    }
    this.expected('an expression');
    return { kind: 'error', range: this.missingAt() };
  }

  private parseParen(): Expr {
    const open = this.advance();
    // Only as a whole argument (`kernel = (3, 3)`): `emb = (37000, 512)` lost its callee rather than meant a list.
    const tupleEnd = open === this.argStart ? this.simpleTuple(open) : -1;
    if (tupleEnd > 0 && (this.kd[tupleEnd + 1] === K.Comma || this.kd[tupleEnd + 1] === K.RParen)) {
      // `kernel = (3, 3)`: Python's tuple, where the language writes a list. Read as the list it means, so the call is checked.
      const items = this.parseDelimited(open, K.RParen, Items.Expr, 'in the list') as Expr[];
      const range = span(this.startOf(open), this.lastEndPos!);
      const written = this.text.slice(range.start.offset, range.end.offset);
      const list = `[${written.slice(1, -1)}]`;
      this.error('syntax.tuple', `${written} is a tuple, as in Python; values go in a list, in brackets: ${list}`, range);
      const e = this.errors[this.errors.length - 1];
      withReplace(e, `Change to ${list}`, range, list);
      e.readWhole = true;
      this.suppress = false;
      return { kind: 'list', items, range };
    }
    this.parenDepth++;
    try {
      const expr = this.parseExpr();
      const u = this.pos;
      if (this.kd[u] === K.RParen) {
        this.advance();
        return { kind: 'paren', expr, range: span(this.startOf(open), this.endOf(u)) };
      }
      if (this.closesEarly() || (this.fl[u] & F.NlBefore) !== 0) this.unclosed(open, ')', u);
      else {
        // `(x y)`: two values without the operator between them.
        const words = (this.kd[u - 1] === K.Ident || this.kd[u - 1] === K.Number) && this.kd[u] === K.Ident;
        const a = this.textOf(u - 1);
        const b = this.textOf(u);
        const call = this.kd[u] === K.Ident && this.kd[u + 1] === K.LParen;
        const hint = !this.juxtaposed(u)
          ? ''
          : call
            ? `: to apply ${b}(...) to what comes before, write '-> ${b}(...)'`
            : words
              ? `: put an operator between the two values ('${a} + ${b}' to add them, or '${a} -> ${b}' if '${b}' is a layer)`
              : ": put an operator between the two values ('+' to add them, or '->' before a layer)";
        this.badInList(u, `expected ')' to close '(' at ${this.where(open)}, found ${this.describe(u, false)}${hint}`);
        if (this.skipToClose(K.RParen)) return { kind: 'paren', expr, range: span(this.startOf(open), this.endOf(this.pos - 1)) };
      }
      return { kind: 'paren', expr, range: span(this.startOf(open), this.lastEnd(open)) };
    } finally {
      this.parenDepth--;
    }
  }
}

/** Attaches a fix that replaces `range` with `text` (an empty text deletes): see `SyntaxError.replace`. */
function withReplace(e: SyntaxError, title: string, range: Range, text: string): void {
  e.replace = { title, range, text };
}

/**
 * The keyword among `kinds` that the word `text[start, end)` most likely
 * misspells (case ignored; at most two edits and fewer than half the word's
 * letters, a swap of neighbours counting as one: `inputs`, `ouput`, `modle`,
 * `trian`, `Model`), or -1. Only on error paths.
 */
function misspeltKeyword(text: string, start: number, end: number, kinds: readonly K[]): K | -1 {
  if (end - start > 8) return -1;
  const word = text.slice(start, end).toLowerCase();
  let best: K | -1 = -1;
  let bestDistance = 3;
  for (const k of kinds) {
    const d = editDistance(word, KIND_TEXT[k]);
    if (d < bestDistance && 2 * d < word.length) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

const TOP_KEYWORDS: readonly K[] = [K.Model, K.Block, K.Train, K.Import];
/** What may start a top-level item, as messages say it. */
const TOP_EXPECTED = "'model', 'block', 'train' or 'import'";
const STATEMENT_KEYWORDS: readonly K[] = [K.Input, K.Output];

function clip(s: string): string {
  return s.length > 24 ? `${s.slice(0, 21)}...` : s;
}

/** A character that shows as nothing (a control, a zero-width space pasted from a web page, a no-break space): named by its code. */
function isInvisible(ch: string): boolean {
  return /^[\p{C}\p{Z}]$/u.test(ch);
}

/** Other languages' words for a declaration (`class Net {`, `def block(x) {`). */
const FOREIGN_DECLARATIONS: ReadonlySet<string> = new Set(['class', 'def', 'function', 'func', 'fn', 'struct', 'network', 'net', 'module', 'Model', 'Sequential']);

/** Arrows typed or pasted for `->`. */
const ARROWS: ReadonlySet<string> = new Set(['\u2192', '\u27f6', '\u21d2', '\u2794', '\u279c', '\u27a1']);

/** The data sources whose first argument is a file or folder: those of analysis/train.ts `DATA_SOURCES` with `path: true` (a test keeps them in step). */
export const FILE_SOURCES: ReadonlySet<string> = new Set(['images', 'csv', 'text']);

/** Characters, invalid elsewhere, that an unquoted path holds (`../data`, `C:\data`, `~/data`). */
const PATH_MARKS: ReadonlySet<string> = new Set(['.', '\\', '~']);

/** What a word after a '.' is when the word before it and the '.' are a file's name, not a module path (`fruit.csv`). */
const PATH_EXTENSIONS: ReadonlySet<string> = new Set(['csv', 'tsv', 'txt', 'text', 'json', 'png', 'jpg', 'jpeg', 'bmp', 'gif', 'nnmodel', 'npy', 'npz']);

function invalidCharMessage(ch: string): string {
  const hints: Record<string, string> = {
    "'": ' (strings use double quotes: "...")',
    ';': ' (statements end at the end of the line; no semicolons)',
    '.': ' (numbers need a digit before the point: 0.5)',
  };
  const code = ch.codePointAt(0) ?? 0;
  const invisible = isInvisible(ch);
  const shown = invisible ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : ch;
  const hint = hints[ch] ?? (invisible && code > 127 ? ', an invisible character (pasted from a web page or a document?): delete it' : '');
  return `unexpected character '${shown}'${hint}`;
}

const RANGE_KEYS: ReadonlySet<string> = new Set(['range', 'opRange', 'keywordRange', 'bodyRange', 'paramsRange']);

/**
 * A deep copy of a syntax tree without its ranges, for comparing trees by
 * structure (the formatter's self-check, tests). `argsRange` becomes `true`
 * so that `relu` and `relu()` stay distinct.
 */
/**
 * Whether two syntax trees have the same structure, ranges ignored: what
 * `stripRanges(a)` and `stripRanges(b)` deep-equal would say, without
 * copying either tree (the formatter checks every result this way).
 */
export function sameStructure(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameStructure(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  // As JSON.stringify of stripRanges sees them: undefined fields are absent,
  // a present `argsRange` is `true`.
  let keys = 0;
  for (const k in x) {
    if (RANGE_KEYS.has(k) || (x[k] === undefined && k !== 'argsRange')) continue;
    keys++;
    if (k === 'argsRange') {
      if (!(k in y)) return false;
    } else if (!sameStructure(x[k], y[k])) return false;
  }
  for (const k in y) if (!RANGE_KEYS.has(k) && (y[k] !== undefined || k === 'argsRange')) keys--;
  return keys === 0;
}

export function stripRanges<T>(node: T): unknown {
  if (Array.isArray(node)) return node.map((n) => stripRanges(n));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
    if (RANGE_KEYS.has(k)) continue;
    out[k] = k === 'argsRange' ? true : stripRanges(v);
  }
  return out;
}
