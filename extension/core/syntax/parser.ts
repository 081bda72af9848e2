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
 * - `syntax.too_deep`            brackets or unary minus nested deeper than {@link MAX_DEPTH}
 * - `syntax.internal`            a bug in the parser, caught and reported instead of thrown
 *
 * One mistake gives one error: after the first error in a statement (or in a
 * declaration header, or between top-level items) further errors there are
 * suppressed and the parser resynchronises at the next statement, the next
 * `}`, or the next `model`/`block`/`train`/`import` that begins a line.
 *
 * Newlines. A line break ends a statement unless the line ends with a token
 * that needs more (`->`, any binary operator, `=`, `:`, `,`, `(`, `[`), or the
 * next line begins with `->`. Inside `(` and `[` line breaks mean nothing;
 * there, a missing closing bracket is reported at the first line break where a
 * `,` or the bracket was due ("expected ')' to close '(' at 3:14, found
 * newline"), which keeps a call left open while typing from swallowing the
 * rest of the body.
 *
 * Work is linear in the input; nesting is bounded by {@link MAX_DEPTH} so
 * recursion cannot overflow the stack.
 */
import type {
  Arg,
  BinaryOp,
  BlockDecl,
  CallExpr,
  Comment,
  Expr,
  Ident,
  ImportDecl,
  InputStmt,
  ModelDecl,
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
import { lex, lexWindow, LineMap, Scanner, type Token, type TokenKind } from './lexer';

/** Deepest nesting of brackets / unary minus / chains-in-arguments that is parsed. */
export const MAX_DEPTH = 200;

const TOP_KEYWORDS: ReadonlySet<string> = new Set(['model', 'block', 'train', 'import']);
const STMT_KEYWORDS: ReadonlySet<string> = new Set(['input', 'output']);

/** A token at the end of a line that makes the next line part of the same statement. */
const CONTINUES: ReadonlySet<TokenKind> = new Set<TokenKind>([
  '->',
  '+',
  '-',
  '*',
  '/',
  '//',
  '=',
  ':',
  ',',
  '(',
  '[',
]);

/** Parse a whole file. Never throws. */
export function parse(text: string): SourceFile {
  // How a `//` reads depends on brackets later on its line, which the lexer
  // settles over the whole token list; without one, tokens are pulled one
  // at a time as the parser goes (the same tokens `lex` gives).
  if (text.includes('//')) {
    let lexed: ReturnType<typeof lex>;
    try {
      lexed = lex(text);
    } catch (e) {
      return internalFailure(text, [], e);
    }
    try {
      return new Parser(new TokenArray(lexed.tokens), lexed.comments, lexed.lines).parseFile();
    } catch (e) {
      return internalFailure(text, lexed.comments, e);
    }
  }
  const scanner = new Scanner(text, 0, 0, -1, 0);
  try {
    // The line map grows with `scanner.starts` as lines are read.
    return new Parser(new TokenStream(scanner), scanner.comments, new LineMap(text, scanner.starts)).parseFile();
  } catch (e) {
    return internalFailure(text, scanner.comments, e);
  }
}

/** The parser's view of the tokens: by index, clamped to the final `eof`. */
interface Tokens {
  get(i: number): Token;
}

/** Tokens lexed up front (a `//` in the file, or an incremental window). */
class TokenArray implements Tokens {
  constructor(private readonly toks: readonly Token[]) {}

  get(i: number): Token {
    return this.toks[Math.min(i, this.toks.length - 1)];
  }
}

/** Ring size of {@link TokenStream}: the parser looks one token back and one ahead. */
const WINDOW = 64;

/**
 * Tokens pulled from a Scanner as the parser asks for them, keeping only the
 * last {@link WINDOW}: a whole file's tokens never live at once.
 */
class TokenStream implements Tokens {
  private readonly ring = new Array<Token>(WINDOW);
  private count = 0;
  private eof: Token | undefined;

  constructor(private readonly scanner: Scanner) {}

  get(i: number): Token {
    while (i >= this.count) {
      if (this.eof) return this.eof;
      const t = this.scanner.next();
      this.ring[this.count % WINDOW] = t;
      this.count++;
      if (t.kind === 'eof') this.eof = t;
    }
    if (i < this.count - WINDOW) throw new Error(`token ${i} is no longer held (parser looked back too far)`);
    return this.ring[i % WINDOW];
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
  }
}

/** Set by parseWithPositions: one list per parsed item. */
let itemPositions: Position[][] | undefined;
/** The list of the item being parsed, when recording. */
let positionSink: Position[] | undefined;

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
  };
}

function startOf(t: Token): Position {
  const p = { line: t.line, character: t.character, offset: t.start };
  if (positionSink) positionSink.push(p);
  return p;
}

function endOf(t: Token): Position {
  const p = { line: t.line, character: t.character + (t.end - t.start), offset: t.end };
  if (positionSink) positionSink.push(p);
  return p;
}

/**
 * `a` itself when empty or long, else an exact-size copy. An array grown by
 * `push` keeps room for 16 more elements; the tree lives as long as the
 * analysis, and that slack was a large part of its memory.
 */
function fit<T>(a: T[]): T[] {
  return a.length === 0 || a.length > 16 ? a : a.slice();
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
    const parser = new Parser(new TokenArray(window.tokens), window.comments, lines);
    const at = parser.parseItems(items, last ? firstTokenAt(window.tokens, last.offset) : 0, (t) => t.start === stopAt);
    const tok = window.tokens[at];
    if (stopAt >= 0) {
      // The window ends a few tokens after `stopAt`: a parse that did not stop there needs the whole file.
      if (tok.kind === 'eof' || tok.start !== stopAt) return fullParse(text);
      resumed = after.get(stopAt);
    }
    file = parser.finish(items);
  } catch {
    return fullParse(text);
  } finally {
    itemPositions = undefined;
    positionSink = undefined;
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
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= p) lo = mid + 1;
    else hi = mid;
  }
  if (delta !== 0) for (let i = lo; i < starts.length; i++) starts[i] += delta;
  return new LineMap(text, starts);
}

function fullParse(text: string): ParseState {
  const { file, positions } = parseWithPositions(text);
  return { text, file, positions, lineCount: file.range.end.line + 1 };
}

/** Index of the first token starting at or after `offset`. */
function firstTokenAt(tokens: Token[], offset: number): number {
  let lo = 0;
  let hi = tokens.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid].start < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class Parser {
  private pos = 0;
  private readonly errors: SyntaxError[] = [];
  /** An error was reported in the current statement / header / top-level gap. */
  private suppress = false;
  /** Number of enclosing `(` / `[` in the current statement. */
  private parenDepth = 0;
  /** Current expression nesting, bounded by MAX_DEPTH. */
  private nest = 0;

  constructor(
    private readonly toks: Tokens,
    private readonly comments: Comment[],
    private readonly lines: LineMap,
  ) {}

  // ------------------------------------------------------------ token access

  private get cur(): Token {
    return this.toks.get(this.pos);
  }

  private at(i: number): Token {
    return this.toks.get(i);
  }

  private advance(): Token {
    const t = this.toks.get(this.pos);
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private get prevTok(): Token | undefined {
    return this.pos > 0 ? this.toks.get(this.pos - 1) : undefined;
  }

  /** The line break before token `i` ends a statement (outside brackets). */
  private breakBefore(i: number): boolean {
    const t = this.at(i);
    if (t.kind === 'eof') return true;
    if (!t.nlBefore || this.parenDepth > 0 || t.kind === '->') return false;
    const p = i > 0 ? this.toks.get(i - 1) : undefined;
    return p === undefined || !CONTINUES.has(p.kind);
  }

  private get atBreak(): boolean {
    return this.breakBefore(this.pos);
  }

  private isTopKeyword(t: Token): boolean {
    return t.kind === 'keyword' && TOP_KEYWORDS.has(t.text);
  }

  /** The current token starts a declaration: `model NAME`, `import "..."` at the start of a line. */
  private atDeclStart(): boolean {
    const t = this.cur;
    if (!t.lineStart || !this.isTopKeyword(t)) return false;
    const next = this.at(this.pos + 1);
    return next.kind === 'ident' || (t.text === 'import' && next.kind === 'string');
  }

  /**
   * The current token begins a new statement or declaration whatever precedes
   * it: `input`/`output` or a declaration at the start of a line, and outside
   * brackets `NAME =` at the start of a line (so `x =` left unfinished while
   * typing does not swallow the next statement).
   */
  private atBoundary(): boolean {
    const t = this.cur;
    if (!t.lineStart) return false;
    if (t.kind === 'keyword') return STMT_KEYWORDS.has(t.text) || this.atDeclStart();
    return this.parenDepth === 0 && t.kind === 'ident' && this.at(this.pos + 1).kind === '=';
  }

  private atStatementEnd(): boolean {
    const t = this.cur;
    return t.kind === 'eof' || t.kind === '}' || this.atBreak || this.atBoundary();
  }

  /** Tokens at which an open bracket is given up for lost. */
  private closesEarly(t: Token): boolean {
    return t.kind === 'eof' || t.kind === '}' || this.atBoundary();
  }

  // ------------------------------------------------------------ diagnostics

  private error(code: string, message: string, range: Range): void {
    if (this.suppress) return;
    this.suppress = true;
    this.errors.push({ code, message, range });
  }

  private where(t: Token): string {
    return `${t.line + 1}:${t.character + 1}`;
  }

  /** How a found token is named in messages; `nl` when the line break is what matters. */
  private describe(t: Token, nl: boolean): string {
    if (t.kind === 'eof') return 'end of file';
    if (nl) return 'newline';
    switch (t.kind) {
      case 'string':
        return `string ${clip(t.text)}`;
      case 'number':
        return `number ${clip(t.text)}`;
      case 'invalid':
        return `character '${t.text}'`;
      case 'keyword':
        return `keyword '${t.text}'`;
      default:
        return `'${clip(t.text)}'`;
    }
  }

  private foundRange(t: Token, nl: boolean): Range {
    if (t.kind === 'eof' || !nl || t.nlAt < 0) return this.tokRange(t);
    const p = this.lines.positionAt(t.nlAt);
    return span(p, { line: p.line, character: p.character + 1, offset: p.offset + 1 });
  }

  private tokRange(t: Token): Range {
    return span(startOf(t), endOf(t));
  }

  /** Report "expected WHAT, found X" at the current token (or the line break before it). */
  private expected(what: string, atToken = false): void {
    const code = 'syntax.expected';
    const t = this.cur;
    const nl = !atToken && t.kind !== 'eof' && (this.atBreak || this.atBoundary());
    if (t.kind === 'invalid' && !nl) {
      this.error('syntax.invalid_character', invalidCharMessage(t.text), this.tokRange(t));
      return;
    }
    this.error(code, `expected ${what}, found ${this.describe(t, nl)}`, this.foundRange(t, nl));
  }

  private unclosed(open: Token, close: string, t: Token): void {
    // Inside a body line breaks are normal, so name the token that ended it.
    const nl = close !== '}' && t.kind !== 'eof' && t.nlBefore;
    this.error(
      'syntax.unclosed',
      `expected '${close}' to close '${open.text}' at ${this.where(open)}, found ${this.describe(t, nl)}`,
      this.foundRange(t, nl),
    );
  }

  private lexError(t: Token): void {
    if (t.error) {
      const e = t.error;
      this.error(e.code, e.message, span(this.lines.positionAt(e.start), this.lines.positionAt(e.end)));
    }
  }

  /** Where an expression was expected but not found: empty range at the gap. */
  private missingAt(): Range {
    const t = this.cur;
    const p = this.prevTok;
    if (p && (t.kind === 'eof' || this.atBreak || this.atBoundary())) {
      const e = endOf(p);
      return span(e, e);
    }
    const s = startOf(t);
    return span(s, s);
  }

  // ------------------------------------------------------------ recovery

  /**
   * Skip the rest of a statement: to a line break at bracket depth 0, `}`, or a
   * boundary. `consumeFirst` when the current token is the offending statement
   * start itself (which sits right after a line break).
   */
  private skipStatement(consumeFirst = false): void {
    let depth = 0;
    let first = consumeFirst;
    for (;;) {
      const t = this.cur;
      if (t.kind === 'eof' || t.kind === '}' || this.atBoundary()) return;
      if (!first && depth === 0 && t.nlBefore && t.kind !== '->') {
        const p = this.prevTok;
        if (p === undefined || !CONTINUES.has(p.kind)) return;
      }
      if (t.kind === '(' || t.kind === '[') depth++;
      else if ((t.kind === ')' || t.kind === ']') && depth > 0) depth--;
      this.advance();
      first = false;
    }
  }

  /** Skip to the bracket closing the current one; consume it when it is `close`. */
  private skipToClose(close: ')' | ']'): boolean {
    let depth = 0;
    for (;;) {
      const t = this.cur;
      if (this.closesEarly(t)) return false;
      if (t.kind === '(' || t.kind === '[') depth++;
      else if (t.kind === ')' || t.kind === ']') {
        if (depth === 0) {
          if (t.kind !== close) return false;
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
      const t = this.cur;
      if (t.kind === 'eof') return;
      if (this.isTopKeyword(t) && (t.lineStart || this.prevTok?.kind === '}')) return;
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
    return {
      items,
      comments: this.comments,
      errors: this.errors,
      range: span(zero, this.lines.positionAt(this.lines.text.length)),
    };
  }

  /**
   * Top-level items from token `from` on, until the end or until `stop`
   * accepts the token where the next item would begin. Returns that token's index.
   */
  parseItems(items: TopLevel[], from = 0, stop?: (t: Token) => boolean): number {
    this.pos = from;
    while (this.cur.kind !== 'eof') {
      const t = this.cur;
      if (stop?.(t)) break;
      this.suppress = false;
      this.parenDepth = 0;
      this.nest = 0;
      if (t.kind === 'keyword' && TOP_KEYWORDS.has(t.text)) {
        const before = this.pos;
        if (itemPositions) positionSink = [];
        const item = this.parseTopLevel(t.text);
        if (item) {
          items.push(item);
          if (itemPositions && positionSink) itemPositions.push(positionSink);
        }
        positionSink = undefined;
        if (this.pos === before) this.advance();
        continue;
      }
      let hint = '';
      if (t.kind === 'keyword' && STMT_KEYWORDS.has(t.text)) hint = ` ('${t.text}' belongs inside a model or block body)`;
      else if (t.kind === 'ident' && this.at(this.pos + 1).kind === '=') hint = ' (assignments belong inside a model or block body)';
      if (t.kind === 'invalid') this.error('syntax.invalid_character', invalidCharMessage(t.text), this.tokRange(t));
      else
        this.error(
          'syntax.expected',
          `expected 'model', 'block', 'train' or 'import', found ${this.describe(t, false)}${hint}`,
          this.tokRange(t),
        );
      this.syncTop();
    }
    return this.pos;
  }

  private parseTopLevel(kw: string): TopLevel | undefined {
    switch (kw) {
      case 'model':
        return this.parseModel();
      case 'block':
        return this.parseBlock();
      case 'train':
        return this.parseTrain();
      default:
        return this.parseImport();
    }
  }

  private ident(t: Token): Ident {
    return { kind: 'ident', name: t.text, range: this.tokRange(t) };
  }

  /** Consume an identifier or report what was expected. */
  private expectIdent(what: string): Ident | undefined {
    const t = this.cur;
    if (t.kind === 'ident' && !this.atBreak) {
      this.advance();
      return this.ident(t);
    }
    if (t.kind === 'keyword' && !this.atBreak && !this.atBoundary()) {
      this.error('syntax.expected', `expected ${what}, found keyword '${t.text}' (keywords cannot be used as names)`, this.tokRange(t));
      return undefined;
    }
    this.expected(what);
    return undefined;
  }

  private parseModel(): ModelDecl | undefined {
    const kw = this.advance();
    const name = this.expectIdent("a model name after 'model'");
    if (!name) {
      this.syncTop();
      return undefined;
    }
    const body = this.parseBody('model', () => this.parseStatement());
    if (!body) return undefined;
    return {
      kind: 'model',
      name,
      body: body.items,
      bodyRange: body.range,
      range: span(startOf(kw), body.range.end),
    };
  }

  private parseBlock(): BlockDecl | undefined {
    const kw = this.advance();
    const name = this.expectIdent("a block name after 'block'");
    if (!name) {
      this.syncTop();
      return undefined;
    }
    let params: Param[] = [];
    let paramsRange: Range | undefined;
    if (this.cur.kind === '(' && !this.atBreak) {
      const open = this.advance();
      const r = this.parseDelimited(open, ')', () => this.parseParam(), 'in the parameter list');
      params = r.items;
      paramsRange = span(startOf(open), r.end);
    }
    const body = this.parseBody('block', () => this.parseStatement());
    if (!body) return undefined;
    return {
      kind: 'block',
      name,
      params,
      ...(paramsRange ? { paramsRange } : {}),
      body: body.items,
      bodyRange: body.range,
      range: span(startOf(kw), body.range.end),
    };
  }

  private parseParam(): Param | undefined {
    const name = this.expectIdent('a parameter name');
    if (!name) return undefined;
    if (this.cur.kind === '=') {
      this.advance();
      const value = this.parseExpr();
      return { name, default: value, range: span(name.range.start, value.range.end) };
    }
    return { name, range: name.range };
  }

  private parseTrain(): TrainDecl | undefined {
    const kw = this.advance();
    const name = this.expectIdent("the name of the model to train after 'train'");
    if (!name) {
      this.syncTop();
      return undefined;
    }
    const body = this.parseBody('train', () => this.parseTrainEntry());
    if (!body) return undefined;
    return {
      kind: 'train',
      name,
      entries: body.items,
      bodyRange: body.range,
      range: span(startOf(kw), body.range.end),
    };
  }

  private parseImport(): ImportDecl | undefined {
    const kw = this.advance();
    const t = this.cur;
    if (t.kind !== 'string' || this.atBreak) {
      this.expected('a file path in double quotes after \'import\' (import "layers.nnmodel")');
      this.syncTop();
      return undefined;
    }
    this.advance();
    this.lexError(t);
    const path: StringLit = { kind: 'string', value: String(t.value ?? ''), range: this.tokRange(t) };
    if (!this.atStatementEnd()) {
      this.error('syntax.unexpected', `unexpected ${this.describe(this.cur, false)} after the import path`, this.tokRange(this.cur));
      this.syncTop();
    }
    return { kind: 'import', path, range: span(startOf(kw), path.range.end) };
  }

  /**
   * `{ item* }` with one item per line. Returns undefined when `{` is missing
   * (the declaration is dropped and parsing resumes at the next item).
   */
  private parseBody<T>(owner: string, parseItem: () => T | undefined): { items: T[]; range: Range } | undefined {
    const open = this.cur;
    if (open.kind !== '{') {
      this.expected(`'{' to start the ${owner} body`);
      this.syncTop();
      return undefined;
    }
    this.advance();
    const items: T[] = [];
    let end: Position = endOf(open);
    for (;;) {
      const t = this.cur;
      if (t.kind === '}') {
        this.advance();
        end = endOf(t);
        break;
      }
      if (t.kind === 'eof' || this.atDeclStart()) {
        // A new error even after one in the last statement: a missing `}` is a mistake of its own.
        this.suppress = false;
        this.unclosed(open, '}', t);
        const p = this.prevTok;
        if (p && p.start >= open.start) end = endOf(p);
        break;
      }
      this.suppress = false;
      this.parenDepth = 0;
      this.nest = 0;
      const before = this.pos;
      const item = parseItem();
      if (item !== undefined) items.push(item);
      if (!this.atStatementEnd()) {
        const u = this.cur;
        if (u.kind === 'invalid') this.error('syntax.invalid_character', invalidCharMessage(u.text), this.tokRange(u));
        else this.error('syntax.unexpected', `expected the end of the line, found ${this.describe(u, false)}`, this.tokRange(u));
        this.skipStatement();
      }
      if (this.pos === before) {
        // Nothing consumed and nothing to skip (e.g. a stray `)`): make progress.
        const u = this.cur;
        if (u.kind === 'eof' || u.kind === '}' || this.atDeclStart()) continue;
        this.expected('a statement', true);
        this.advance();
      }
    }
    return { items: fit(items), range: span(startOf(open), end) };
  }

  // ------------------------------------------------------------ statements

  private parseStatement(): Statement | undefined {
    const t = this.cur;
    if (t.kind === 'keyword' && t.text === 'input') return this.parseInput();
    if (t.kind === 'keyword' && t.text === 'output') return this.parseOutput();
    if (t.kind === 'ident') {
      const next = this.at(this.pos + 1);
      if (next.kind === '=' && !this.breakBefore(this.pos + 1)) {
        this.advance();
        this.advance();
        const target = this.ident(t);
        const value = this.parseExpr();
        return { kind: 'assign', target, value, range: span(target.range.start, value.range.end) };
      }
      this.advance();
      this.expected(`'=' after '${t.text}' (a statement is 'input', 'output' or 'NAME = value')`);
      this.skipStatement();
      return undefined;
    }
    this.expected("a statement ('input', 'output' or 'NAME = value')", true);
    this.skipStatement(true);
    return undefined;
  }

  private parseInput(): InputStmt | undefined {
    const kw = this.advance();
    const name = this.expectIdent("an input name after 'input'");
    if (!name) {
      this.skipStatement();
      return undefined;
    }
    let shape: ShapeExpr | undefined;
    if (this.cur.kind === ':' && !this.atBreak) {
      this.advance();
      shape = this.parseShape();
    }
    const stmt: InputStmt = { kind: 'input', name, range: span(startOf(kw), (shape ?? name).range.end) };
    if (shape) stmt.shape = shape;
    return stmt;
  }

  private parseShape(): ShapeExpr | undefined {
    const first = this.cur;
    let isInt = false;
    if (first.kind === 'ident' && first.text === 'int' && !this.atBreak && this.at(this.pos + 1).kind === '[') {
      this.advance();
      isInt = true;
    }
    const open = this.cur;
    if (open.kind !== '[' || this.atBreak) {
      this.expected(isInt ? "'[' after 'int'" : "a shape such as [28, 28, 1] or int[seq]");
      return undefined;
    }
    this.advance();
    const r = this.parseDelimited(open, ']', () => this.parseExpr(), 'in the shape');
    return { kind: 'shape', isInt, dims: r.items, range: span(startOf(first), r.end) };
  }

  private parseOutput(): Statement {
    const kw = this.advance();
    const values: Expr[] = [this.parseExpr()];
    while (this.cur.kind === ',' && !this.atBreak) {
      this.advance();
      values.push(this.parseExpr());
    }
    return {
      kind: 'output',
      values,
      keywordRange: this.tokRange(kw),
      range: span(startOf(kw), values[values.length - 1].range.end),
    };
  }

  private parseTrainEntry(): TrainEntry | undefined {
    const t = this.cur;
    if (t.kind !== 'ident') {
      this.expected("a setting such as 'epochs: 5'", true);
      this.skipStatement(true);
      return undefined;
    }
    this.advance();
    const key = this.ident(t);
    if (this.cur.kind !== ':' || this.atBreak) {
      this.expected(`':' after '${t.text}'`);
      this.skipStatement();
      return undefined;
    }
    this.advance();
    const value = this.parseExpr();
    return { key, value, range: span(key.range.start, value.range.end) };
  }

  // ------------------------------------------------------------ expressions

  /**
   * `ITEM (',' ITEM)* ','?` up to `close`. Returns the items and the end of
   * the construct: the closing bracket, or the last consumed token when the
   * bracket is missing (already diagnosed).
   */
  private parseDelimited<T>(
    open: Token,
    close: ')' | ']',
    parseItem: () => T | undefined,
    what: string,
  ): { items: T[]; end: Position } {
    const items: T[] = [];
    this.parenDepth++;
    try {
      for (;;) {
        const t = this.cur;
        if (t.kind === close) {
          this.advance();
          return { items: fit(items), end: endOf(t) };
        }
        if (this.closesEarly(t)) {
          this.unclosed(open, close, t);
          return { items: fit(items), end: this.lastEnd(open) };
        }
        const item = parseItem();
        if (item !== undefined) items.push(item);
        const u = this.cur;
        if (u.kind === ',') {
          this.advance();
          continue;
        }
        if (u.kind === close) {
          this.advance();
          return { items: fit(items), end: endOf(u) };
        }
        if (this.closesEarly(u) || u.nlBefore) {
          this.unclosed(open, close, u);
          return { items: fit(items), end: this.lastEnd(open) };
        }
        if (u.kind === 'invalid') this.error('syntax.invalid_character', invalidCharMessage(u.text), this.tokRange(u));
        else this.error('syntax.expected', `expected ',' or '${close}' ${what}, found ${this.describe(u, false)}`, this.tokRange(u));
        if (this.skipToClose(close)) return { items: fit(items), end: endOf(this.toks.get(this.pos - 1)) };
        return { items: fit(items), end: this.lastEnd(open) };
      }
    } finally {
      this.parenDepth--;
    }
  }

  private lastEnd(open: Token): Position {
    const p = this.prevTok;
    return p && p.start >= open.start ? endOf(p) : endOf(open);
  }

  parseExpr(): Expr {
    return this.parseAdditive();
  }

  private parseAdditive(): Expr {
    let left = this.parseMultiplicative();
    for (;;) {
      const t = this.cur;
      if ((t.kind !== '+' && t.kind !== '-') || this.atBreak) return left;
      this.advance();
      const right = this.parseMultiplicative();
      left = { kind: 'binary', op: t.kind, left, right, opRange: this.tokRange(t), range: span(left.range.start, right.range.end) };
    }
  }

  private parseMultiplicative(): Expr {
    let left = this.parseUnary();
    for (;;) {
      const t = this.cur;
      if ((t.kind !== '*' && t.kind !== '/' && t.kind !== '//') || this.atBreak) return left;
      this.advance();
      const right = this.parseUnary();
      const op: BinaryOp = t.kind;
      left = { kind: 'binary', op, left, right, opRange: this.tokRange(t), range: span(left.range.start, right.range.end) };
    }
  }

  private parseUnary(): Expr {
    if (this.nest >= MAX_DEPTH) return this.tooDeep();
    this.nest++;
    try {
      const t = this.cur;
      if (t.kind === '-' && !this.atBreak) {
        this.advance();
        const operand = this.parseUnary();
        return { kind: 'unary', op: '-', operand, range: span(startOf(t), operand.range.end) };
      }
      return this.parseChain();
    } finally {
      this.nest--;
    }
  }

  /** Report excessive nesting once and skip the nested part without recursing. */
  private tooDeep(): Expr {
    const t = this.cur;
    this.error('syntax.too_deep', `expression nested too deeply (more than ${MAX_DEPTH} levels)`, this.tokRange(t));
    const start = startOf(t);
    let end = start;
    let depth = 0;
    for (;;) {
      const u = this.cur;
      if (this.closesEarly(u)) break;
      if (u.kind === ')' || u.kind === ']') {
        if (depth === 0) break;
        depth--;
      } else if (u.kind === '(' || u.kind === '[') depth++;
      else if (depth === 0 && (u.kind === ',' || this.atBreak)) break;
      this.advance();
      end = endOf(u);
    }
    return { kind: 'error', range: span(start, end) };
  }

  private parseChain(): Expr {
    const head = this.parsePrimary();
    if (this.cur.kind !== '->') return head;
    const calls: CallExpr[] = [];
    while (this.cur.kind === '->') {
      this.advance();
      const t = this.cur;
      if (t.kind !== 'ident' || this.atBreak) {
        this.expected("a layer or block name after '->'");
        break;
      }
      calls.push(this.parseCall(true));
    }
    if (calls.length === 0) return head;
    return { kind: 'chain', head, calls: fit(calls), range: span(head.range.start, calls[calls.length - 1].range.end) };
  }

  /** `IDENT ['(' ARGS ')'] ['*' N]`, the repeat only in chain position. */
  private parseCall(inChain: boolean): CallExpr {
    const callee = this.ident(this.advance());
    let args: Arg[] = [];
    let argsRange: Range | undefined;
    if (this.cur.kind === '(' && !this.atBreak) {
      const open = this.advance();
      const r = this.parseDelimited(open, ')', () => this.parseArg(), 'in the argument list');
      args = r.items;
      argsRange = span(startOf(open), r.end);
    }
    let repeat: Expr | undefined;
    if (inChain && this.cur.kind === '*' && !this.atBreak) {
      this.advance();
      repeat = this.parseRepeat();
    }
    const end = repeat ? repeat.range.end : argsRange ? argsRange.end : callee.range.end;
    const call: CallExpr = { kind: 'call', callee, args, range: span(callee.range.start, end) };
    if (argsRange) call.argsRange = argsRange;
    if (repeat) call.repeat = repeat;
    return call;
  }

  private parseRepeat(): Expr {
    const t = this.cur;
    if (!this.atBreak) {
      if (t.kind === 'number') return this.parsePrimary();
      if (t.kind === 'ident') {
        this.advance();
        return { kind: 'name', name: t.text, range: this.tokRange(t) };
      }
      if (t.kind === '(') return this.parsePrimary();
    }
    this.expected("a repeat count after '*' (a number, a name or a parenthesised expression)");
    return { kind: 'error', range: this.missingAt() };
  }

  private parseArg(): Arg {
    const t = this.cur;
    if (t.kind === 'ident' && this.at(this.pos + 1).kind === '=') {
      this.advance();
      this.advance();
      const name = this.ident(t);
      const value = this.parseExpr();
      return { name, value, range: span(name.range.start, value.range.end) };
    }
    const value = this.parseExpr();
    return { value, range: value.range };
  }

  private parsePrimary(): Expr {
    const t = this.cur;
    if (this.atBreak || this.atBoundary()) {
      this.expected('an expression');
      return { kind: 'error', range: this.missingAt() };
    }
    switch (t.kind) {
      case 'number':
        this.advance();
        this.lexError(t);
        return { kind: 'number', value: Number(t.value ?? 0), text: t.text, isInt: t.isInt === true, range: this.tokRange(t) };
      case 'string':
        this.advance();
        this.lexError(t);
        return { kind: 'string', value: String(t.value ?? ''), range: this.tokRange(t) };
      case 'keyword':
        if (t.text === 'true' || t.text === 'false') {
          this.advance();
          return { kind: 'bool', value: t.text === 'true', range: this.tokRange(t) };
        }
        break;
      case 'ident':
        if (this.at(this.pos + 1).kind === '(' && !this.breakBefore(this.pos + 1)) return this.parseCall(false);
        this.advance();
        return { kind: 'name', name: t.text, range: this.tokRange(t) };
      case '[': {
        this.advance();
        const r = this.parseDelimited(t, ']', () => this.parseExpr(), 'in the list');
        return { kind: 'list', items: r.items, range: span(startOf(t), r.end) };
      }
      case '(':
        return this.parseParen();
      default:
        break;
    }
    this.expected('an expression');
    return { kind: 'error', range: this.missingAt() };
  }

  private parseParen(): Expr {
    const open = this.advance();
    this.parenDepth++;
    try {
      const expr = this.parseExpr();
      const u = this.cur;
      if (u.kind === ')') {
        this.advance();
        return { kind: 'paren', expr, range: span(startOf(open), endOf(u)) };
      }
      if (this.closesEarly(u) || u.nlBefore) this.unclosed(open, ')', u);
      else {
        if (u.kind === 'invalid') this.error('syntax.invalid_character', invalidCharMessage(u.text), this.tokRange(u));
        else this.error('syntax.expected', `expected ')' to close '(' at ${this.where(open)}, found ${this.describe(u, false)}`, this.tokRange(u));
        if (this.skipToClose(')')) return { kind: 'paren', expr, range: span(startOf(open), endOf(this.toks.get(this.pos - 1))) };
      }
      return { kind: 'paren', expr, range: span(startOf(open), this.lastEnd(open)) };
    } finally {
      this.parenDepth--;
    }
  }
}

function clip(s: string): string {
  return s.length > 24 ? `${s.slice(0, 21)}...` : s;
}

function invalidCharMessage(ch: string): string {
  const hints: Record<string, string> = {
    "'": ' (strings use double quotes: "...")',
    ';': ' (statements end at the end of the line; no semicolons)',
    '.': ' (numbers need a digit before the point: 0.5)',
  };
  const code = ch.codePointAt(0) ?? 0;
  const shown = code < 32 || code === 127 ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : ch;
  return `unexpected character '${shown}'${hints[ch] ?? ''}`;
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
