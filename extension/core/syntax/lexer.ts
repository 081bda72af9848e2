/**
 * Lexer for `.nnmodel` files.
 *
 * Produces a flat token list (no newline tokens: each token records whether a
 * line break precedes it, and the parser decides which breaks end a
 * statement), the comments with their ranges, and a line map for turning
 * offsets into positions. Never throws; lexical problems (unterminated
 * strings, malformed numbers, bad escapes) are attached to the token they
 * concern and reported by the parser when it reads that token, so that one
 * mistake yields one diagnostic.
 *
 * Positions count UTF-16 code units, like VS Code. `\n`, `\r\n` and a lone
 * `\r` each end a line.
 */
import type { Comment, Position, Range } from './ast';

export type Punct =
  | '->'
  | '+'
  | '-'
  | '*'
  | '/'
  | '//'
  | '='
  | ':'
  | ','
  | '('
  | ')'
  | '['
  | ']'
  | '{'
  | '}';

export type TokenKind = 'ident' | 'keyword' | 'number' | 'string' | 'invalid' | 'eof' | Punct;

/** Reserved words. `int` is not one: it is recognised only before `[` in an input shape. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'model',
  'block',
  'train',
  'import',
  'input',
  'output',
  'true',
  'false',
]);

export interface LexError {
  code: string;
  message: string;
  start: number;
  end: number;
}

export interface Token {
  kind: TokenKind;
  /** Source text of the token. */
  text: string;
  /** Absolute offsets, end exclusive. A token never spans lines. */
  start: number;
  end: number;
  /** Zero-based line and UTF-16 character of `start`. */
  line: number;
  character: number;
  /** A line break lies between the previous token and this one. */
  nlBefore: boolean;
  /** First token on its line (the first token of the file counts). */
  lineStart: boolean;
  /** Offset of the first line break after the previous token, or -1. */
  nlAt: number;
  /** Numbers: the value; strings: the unescaped contents. */
  value?: number | string;
  /** Numbers: written without `.` and with an integral value (`12`, `1e3`). */
  isInt?: boolean;
  /** First lexical problem in this token, reported by the parser when read. */
  error?: LexError;
}

/** Maps offsets to positions; built while lexing. */
export class LineMap {
  constructor(
    readonly text: string,
    /** Offset where each line starts; `starts[0] === 0`. */
    readonly starts: readonly number[],
  ) {}

  /** Build the map for a text without lexing it. */
  static of(text: string): LineMap {
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === C.CR && text.charCodeAt(i + 1) === C.LF) i++;
      if (c === C.LF || c === C.CR) starts.push(i + 1);
    }
    return new LineMap(text, starts);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  lineOf(offset: number): number {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    const line = this.lineOf(o);
    return { line, character: o - this.starts[line], offset: o };
  }

  /** Offset just past the last character of `line`, before its line break. */
  lineEnd(line: number): number {
    const next = line + 1 < this.starts.length ? this.starts[line + 1] : this.text.length;
    let e = next;
    if (e > this.starts[line] && this.text.charCodeAt(e - 1) === 10) e--;
    if (e > this.starts[line] && this.text.charCodeAt(e - 1) === 13) e--;
    return Math.max(e, this.starts[line]);
  }

  lineText(line: number): string {
    return this.text.slice(this.starts[line], this.lineEnd(line));
  }
}

export interface LexResult {
  /** Ends with one `eof` token. */
  tokens: Token[];
  comments: Comment[];
  lines: LineMap;
}

const enum C {
  Tab = 9,
  LF = 10,
  VT = 11,
  FF = 12,
  CR = 13,
  Space = 32,
  Quote = 34,
  Hash = 35,
  LParen = 40,
  RParen = 41,
  Star = 42,
  Plus = 43,
  Comma = 44,
  Minus = 45,
  Dot = 46,
  Slash = 47,
  D0 = 48,
  D9 = 57,
  Colon = 58,
  Eq = 61,
  Gt = 62,
  A = 65,
  E = 69,
  Z = 90,
  LBracket = 91,
  Backslash = 92,
  RBracket = 93,
  Underscore = 95,
  a = 97,
  e = 101,
  z = 122,
  LBrace = 123,
  RBrace = 125,
  NBSP = 0xa0,
  BOM = 0xfeff,
}

function isDigit(c: number): boolean {
  return c >= C.D0 && c <= C.D9;
}
function isIdentStart(c: number): boolean {
  return (c >= C.a && c <= C.z) || (c >= C.A && c <= C.Z) || c === C.Underscore;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

const SINGLE: Array<Punct | undefined> = [];
SINGLE[C.Plus] = '+';
SINGLE[C.Star] = '*';
SINGLE[C.Eq] = '=';
SINGLE[C.Colon] = ':';
SINGLE[C.Comma] = ',';
SINGLE[C.LParen] = '(';
SINGLE[C.RParen] = ')';
SINGLE[C.LBracket] = '[';
SINGLE[C.RBracket] = ']';
SINGLE[C.LBrace] = '{';
SINGLE[C.RBrace] = '}';

export function lex(text: string): LexResult {
  const r = lexFrom(text, 0, 0, -1, 0);
  const lines = new LineMap(text, r.starts);
  if (r.slashes.length === 0) return { tokens: r.tokens, comments: r.comments, lines };
  return resolveDoubleSlash(r.tokens, r.comments, lines, r.slashes);
}

/**
 * @internal Lexes part of a text for an incremental re-parse: from `from`,
 * the start of line `line`, to the first line break after the token at
 * `stopAt` and `extra` tokens more (to the end when `stopAt` is negative),
 * where the `eof` token is put. Tokens and comments are those a full `lex`
 * gives there, except the flags of the first token, which `nlBefore` sets as
 * if a token stood on an earlier line. Returns undefined when the part holds
 * a `//` (its reading needs the whole file).
 */
export function lexWindow(text: string, from: number, line: number, stopAt: number, extra: number): { tokens: Token[]; comments: Comment[] } | undefined {
  const r = lexFrom(text, from, line, stopAt, extra);
  return r.slashes.length === 0 ? { tokens: r.tokens, comments: r.comments } : undefined;
}

function lexFrom(
  text: string,
  from: number,
  fromLine: number,
  stopAt: number,
  extra: number,
): { tokens: Token[]; comments: Comment[]; starts: number[]; slashes: number[] } {
  const sc = new Scanner(text, from, fromLine, stopAt, extra);
  const tokens: Token[] = [];
  for (;;) {
    const t = sc.next();
    tokens.push(t);
    if (t.kind === 'eof') break;
  }
  return { tokens, comments: sc.comments, starts: sc.starts, slashes: sc.slashes };
}

/**
 * @internal The lexer, one token at a time. `lex` collects every token;
 * the parser of a whole file pulls them as it goes, so that the tokens it
 * has passed die young instead of living (and being copied by the garbage
 * collector) for the whole parse. `comments`, `starts` and `slashes` grow as
 * tokens are read, and are complete once `eof` was returned.
 */
export class Scanner {
  readonly comments: Comment[] = [];
  /** Offset where each line starts, as far as read. */
  readonly starts: number[];
  /** Token indices of `//` tokens. */
  readonly slashes: number[] = [];
  private i: number;
  private line: number;
  private lineStartOffset: number;
  private nlAt: number;
  private sawTokenOnLine = false;
  /** Tokens made at or after `stopAt`. */
  private past = 0;
  /** Tokens made so far. */
  private count = 0;
  private made: Token | undefined;
  private eof: Token | undefined;
  private readonly push: Push;

  constructor(
    private readonly text: string,
    from: number,
    fromLine: number,
    private readonly stopAt: number,
    private readonly extra: number,
  ) {
    this.starts = from === 0 ? [0] : [];
    this.i = from;
    this.line = fromLine;
    this.lineStartOffset = from;
    this.nlAt = from > 0 ? from - 1 : -1;
    this.push = (kind, start, end) => this.make(kind, start, end);
  }

  private make(kind: TokenKind, start: number, end: number, word?: string): Token {
    // All fields set up front: one object shape for every token keeps property access fast.
    const t: Token = {
      kind,
      // Punctuation text is its kind: no slice, no allocation.
      text:
        word ??
        (kind === 'ident' || kind === 'keyword' || kind === 'number' || kind === 'string' || kind === 'invalid' ? this.text.slice(start, end) : kind === 'eof' ? '' : kind),
      start,
      end,
      line: this.line,
      character: start - this.lineStartOffset,
      nlBefore: this.nlAt >= 0,
      lineStart: !this.sawTokenOnLine,
      nlAt: this.nlAt,
      value: undefined,
      isInt: undefined,
      error: undefined,
    };
    this.nlAt = -1;
    this.sawTokenOnLine = true;
    if (this.stopAt >= 0 && start >= this.stopAt) this.past++;
    this.count++;
    this.made = t;
    return t;
  }

  /** The next token; `eof` at the end, and again on every later call. */
  next(): Token {
    if (this.eof) return this.eof;
    const text = this.text;
    const n = text.length;
    let i = this.i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === C.Space || c === C.Tab || c === C.VT || c === C.FF || c === C.NBSP || c === C.BOM) {
        i++;
        continue;
      }
      if (c === C.LF || c === C.CR) {
        if (this.past > this.extra) break;
        if (this.nlAt < 0) this.nlAt = i;
        i += c === C.CR && text.charCodeAt(i + 1) === C.LF ? 2 : 1;
        this.line++;
        this.lineStartOffset = i;
        this.starts.push(i);
        this.sawTokenOnLine = false;
        continue;
      }
      if (c === C.Hash) {
        let j = i;
        while (j < n && text.charCodeAt(j) !== C.LF && text.charCodeAt(j) !== C.CR) j++;
        this.comments.push(makeComment(text, i, j, this.line, this.lineStartOffset));
        i = j;
        continue;
      }
      if (isIdentStart(c)) {
        let j = i + 1;
        while (j < n && isIdentPart(text.charCodeAt(j))) j++;
        const word = text.slice(i, j);
        this.i = j;
        return this.make(KEYWORDS.has(word) ? 'keyword' : 'ident', i, j, word);
      }
      if (isDigit(c) || (c === C.Dot && isDigit(text.charCodeAt(i + 1)))) {
        this.i = lexNumber(text, i, this.push);
        return this.made!;
      }
      if (c === C.Quote) {
        this.i = lexString(text, i, this.push);
        return this.made!;
      }
      if (c === C.Minus) {
        const two = text.charCodeAt(i + 1) === C.Gt;
        this.i = i + (two ? 2 : 1);
        return this.make(two ? '->' : '-', i, this.i);
      }
      if (c === C.Slash) {
        const two = text.charCodeAt(i + 1) === C.Slash;
        if (two) this.slashes.push(this.count);
        this.i = i + (two ? 2 : 1);
        return this.make(two ? '//' : '/', i, this.i);
      }
      const p = c < 128 ? SINGLE[c] : undefined;
      if (p !== undefined) {
        this.i = i + 1;
        return this.make(p, i, i + 1);
      }
      // One code point, so that an astral character is one invalid token, not two halves.
      const cp = text.codePointAt(i) ?? c;
      const len = cp > 0xffff ? 2 : 1;
      this.i = i + len;
      return this.make('invalid', i, i + len);
    }
    this.i = i;
    const eof = this.make('eof', i, i);
    // EOF is never "first on its line" in the sense that matters for sync points.
    eof.lineStart = false;
    this.eof = eof;
    return eof;
  }
}

function makeComment(text: string, start: number, end: number, line: number, lineStartOffset: number): Comment {
  let e = end;
  while (e > start) {
    const c = text.charCodeAt(e - 1);
    if (c !== C.Space && c !== C.Tab && c !== C.VT && c !== C.FF && c !== C.NBSP) break;
    e--;
  }
  const ch = start - lineStartOffset;
  return {
    text: text.slice(start, e),
    range: {
      start: { line, character: ch, offset: start },
      end: { line, character: ch + (e - start), offset: e },
    },
  };
}

type Push = (kind: TokenKind, start: number, end: number) => Token;

function lexNumber(text: string, i: number, push: Push): number {
  const n = text.length;
  const start = i;
  let j = i;
  let problem: string | undefined;
  let hasDot = false;
  while (j < n && isDigit(text.charCodeAt(j))) j++;
  if (j === start) problem = 'a number needs a digit before the point (write 0.5, not .5)';
  if (text.charCodeAt(j) === C.Dot) {
    hasDot = true;
    if (isDigit(text.charCodeAt(j + 1))) {
      j++;
      while (j < n && isDigit(text.charCodeAt(j))) j++;
    } else {
      j++;
      problem ??= 'expected a digit after the decimal point';
    }
  }
  let validEnd = j;
  const ec = text.charCodeAt(j);
  if (ec === C.e || ec === C.E) {
    let k = j + 1;
    const sc = text.charCodeAt(k);
    if (sc === C.Plus || sc === C.Minus) k++;
    if (isDigit(text.charCodeAt(k))) {
      while (k < n && isDigit(text.charCodeAt(k))) k++;
      j = k;
      validEnd = j;
    } else {
      j = k;
      problem ??= 'expected digits in the exponent';
    }
  }
  // `3x3`, `1.2.3`: swallow the rest of the word so the mistake is one token.
  let k = j;
  while (k < n && (isIdentPart(text.charCodeAt(k)) || text.charCodeAt(k) === C.Dot)) k++;
  if (k > j) {
    problem ??= 'a number cannot be followed directly by letters or another point';
    j = k;
  }
  const t = push('number', start, j);
  const valid = text.slice(start, validEnd);
  const value = valid === '' || valid === '.' ? 0 : Number(valid.endsWith('.') ? valid.slice(0, -1) : valid);
  t.value = Number.isFinite(value) ? value : 0;
  t.isInt = !hasDot && Number.isInteger(t.value);
  if (problem === undefined && !Number.isFinite(value)) problem = 'the number is too large';
  if (problem !== undefined) {
    t.error = { code: 'syntax.bad_number', message: `invalid number '${t.text}': ${problem}`, start, end: j };
  }
  return j;
}

function lexString(text: string, i: number, push: Push): number {
  const n = text.length;
  const start = i;
  let j = i + 1;
  let value = '';
  let chunk = j;
  let error: LexError | undefined;
  let closed = false;
  while (j < n) {
    const c = text.charCodeAt(j);
    if (c === C.Quote) {
      value += text.slice(chunk, j);
      j++;
      closed = true;
      break;
    }
    if (c === C.LF || c === C.CR) break;
    if (c === C.Backslash) {
      value += text.slice(chunk, j);
      const e = text.charCodeAt(j + 1);
      let len = 2;
      switch (e) {
        case C.Quote:
          value += '"';
          break;
        case C.Backslash:
          value += '\\';
          break;
        case C.Slash:
          value += '/';
          break;
        case 110 /* n */:
          value += '\n';
          break;
        case 116 /* t */:
          value += '\t';
          break;
        case 114 /* r */:
          value += '\r';
          break;
        case 117 /* u */: {
          const m = /^u(?:\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{4}))/.exec(text.slice(j + 1, j + 11));
          const cp = m ? parseInt(m[1] ?? m[2], 16) : NaN;
          if (m && cp <= 0x10ffff) {
            value += String.fromCodePoint(cp);
            len = 1 + m[0].length;
          } else {
            error ??= {
              code: 'syntax.bad_escape',
              message: "invalid unicode escape: write \\uXXXX or \\u{X...} with hex digits",
              start: j,
              end: j + 2,
            };
            value += 'u';
          }
          break;
        }
        default:
          if (Number.isNaN(e) || e === C.LF || e === C.CR) {
            len = 1;
            break;
          }
          error ??= {
            code: 'syntax.bad_escape',
            message: `unknown escape '\\${String.fromCharCode(e)}' in string: use \\" \\\\ \\n \\t \\r or \\u`,
            start: j,
            end: j + 2,
          };
          value += String.fromCharCode(e);
      }
      j += len;
      chunk = j;
      continue;
    }
    j++;
  }
  if (!closed) value += text.slice(chunk, j);
  const t = push('string', start, j);
  t.value = value;
  if (!closed) {
    t.error = {
      code: 'syntax.unterminated_string',
      message: 'string is not closed: expected \'"\' before the end of the line',
      start,
      end: j,
    };
  } else if (error) {
    t.error = error;
  }
  return j;
}

// ------------------------------------------------------------ `//` ambiguity
// `//` is both a comment marker and floor division. It is read as floor
// division only when it stands between two values on one line:
//  - the token before it ends a value: a number, a name that is not a bare
//    chain call (`-> relu`) or the name after a keyword (`output x`), or the
//    `)` of a parenthesised group (not of a call's arguments: `dense(8) // x`
//    is a layer followed by a remark; tensors are never floor-divided);
//  - the token after it starts a value (name, number, `(`, `-`);
//  - the rest of the line up to the next `//` reads as an expression: no two
//    words side by side, no keyword, `:` or malformed token.
// Anything else — a `//` starting a line, after `{`, `,`, `->`, a call, or
// followed by prose such as `// hidden layer` — starts a comment running to
// the end of the line. So `hidden = dim // 2` divides, and a one-word remark
// right after a value (`dim // TODO`) divides too: that case surfaces as an
// unknown-name diagnostic rather than silently changing meaning.

function endsValue(tokens: Token[], k: number, callClose: Uint8Array | undefined): boolean {
  const t = tokens[k];
  if (t.kind === 'number') return true;
  if (t.kind === ')') return callClose !== undefined && callClose[k] === 0;
  if (t.kind !== 'ident') return false;
  const p = k > 0 ? tokens[k - 1] : undefined;
  return p === undefined || (p.kind !== '->' && p.kind !== 'keyword');
}

function endsOperand(t: Token): boolean {
  return (
    t.kind === 'ident' ||
    t.kind === 'number' ||
    t.kind === ')' ||
    t.kind === ']' ||
    (t.kind === 'keyword' && (t.text === 'true' || t.text === 'false'))
  );
}

function startsOperand(t: Token): boolean {
  return t.kind === 'ident' || t.kind === 'number' || t.kind === '(' || t.kind === '[' || t.kind === '-';
}

function isWord(t: Token): boolean {
  return t.kind === 'ident' || t.kind === 'keyword' || t.kind === 'number' || t.kind === 'string';
}

function exprLike(t: Token): boolean {
  if (t.error) return false;
  switch (t.kind) {
    case 'invalid':
    case ':':
      return false;
    case 'keyword':
      return t.text === 'true' || t.text === 'false';
    default:
      return true;
  }
}

function resolveDoubleSlash(tokens: Token[], comments: Comment[], lines: LineMap, slashes: number[]): LexResult {
  const text = lines.text;
  const last = tokens.length - 1; // eof
  let callClose: Uint8Array | undefined;
  const extra: Comment[] = [];
  /** Token index ranges [from, to) that a `//` comment swallows. */
  const drops: Array<[number, number]> = [];
  let doneUntil = -1;
  for (const s of slashes) {
    if (s < doneUntil) continue; // this line was handled with an earlier `//`
    const ln = tokens[s].line;
    let i = s;
    while (i > 0 && tokens[i - 1].line === ln) i--;
    let j = s;
    while (j < last && tokens[j].line === ln) j++;
    doneUntil = j;
    // ok[r]: tokens i+r .. up to the next `//` (or line end) read as an expression.
    const m = j - i;
    const ok = new Uint8Array(m + 1);
    ok[m] = 1;
    for (let k = j - 1; k >= i; k--) {
      const t = tokens[k];
      const r = k - i;
      if (t.kind === '//') {
        ok[r] = 1;
        continue;
      }
      const next = k + 1 < j ? tokens[k + 1] : undefined;
      const glued = next !== undefined && next.kind !== '//' && (endsOperand(t) || t.kind === 'string') && isWord(next);
      ok[r] = exprLike(t) && !glued && ok[r + 1] === 1 ? 1 : 0;
    }
    for (let k = s; k < j; k++) {
      if (tokens[k].kind !== '//') continue;
      if (k > i && tokens[k - 1].kind === ')' && callClose === undefined) callClose = markCallCloses(tokens);
      const division =
        k > i &&
        endsValue(tokens, k - 1, callClose) &&
        k + 1 < j &&
        startsOperand(tokens[k + 1]) &&
        ok[k + 1 - i] === 1;
      if (!division) {
        extra.push(makeComment(text, tokens[k].start, lines.lineEnd(ln), ln, lines.starts[ln]));
        drops.push([k, j]);
        break;
      }
    }
  }
  if (drops.length === 0) return { tokens, comments, lines };
  const out: Token[] = [];
  let from = 0;
  for (const [a, b] of drops) {
    for (let k = from; k < a; k++) out.push(tokens[k]);
    from = b;
  }
  for (let k = from; k <= last; k++) out.push(tokens[k]);
  // Merge, dropping `#` comments swallowed by a `//` comment on the same line.
  const merged: Comment[] = [];
  let a = 0;
  let b = 0;
  while (a < comments.length || b < extra.length) {
    const ca = comments[a];
    const cb = extra[b];
    if (cb === undefined || (ca !== undefined && ca.range.start.offset < cb.range.start.offset)) {
      merged.push(ca);
      a++;
    } else {
      merged.push(cb);
      b++;
      // A `#` comment later on the same line is part of this one.
      while (a < comments.length && comments[a].range.start.line === cb.range.start.line) a++;
    }
  }
  return { tokens: out, comments: merged, lines };
}

/** Marks each `)` that closes a call's argument list (its `(` follows a name). */
function markCallCloses(tokens: Token[]): Uint8Array {
  const marks = new Uint8Array(tokens.length);
  const stack: number[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const kind = tokens[k].kind;
    if (kind === '(' || kind === '[') stack.push(k);
    else if ((kind === ')' || kind === ']') && stack.length > 0) {
      const o = stack.pop() as number;
      if (kind === ')' && o > 0 && tokens[o].kind === '(' && tokens[o - 1].kind === 'ident') marks[k] = 1;
    }
  }
  return marks;
}

/** Range of a token. */
export function tokenRange(t: Token): Range {
  return {
    start: { line: t.line, character: t.character, offset: t.start },
    end: { line: t.line, character: t.character + (t.end - t.start), offset: t.end },
  };
}
