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
 * The parser reads the tokens as a {@link TokenStore} (parallel typed arrays,
 * no object per token); `lex` gives them as objects.
 *
 * Positions count UTF-16 code units, like VS Code. `\n`, `\r\n` and a lone
 * `\r` each end a line.
 */
import type { Comment, Position, Range } from './ast';
import { FNV_BASIS, FNV_PRIME, fnv1a } from '../hash';

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

/** Maps offsets to positions. */
export class LineMap {
  private lineStarts: readonly number[] | undefined;

  /** `starts` when they are known; otherwise they are found in `text` when first needed. */
  constructor(
    readonly text: string,
    starts?: readonly number[],
  ) {
    this.lineStarts = starts;
  }

  /** Build the map for a text without lexing it. */
  static of(text: string): LineMap {
    return new LineMap(text, lineStarts(text));
  }

  /**
   * Offset where each line starts; `starts[0] === 0`. Found when first
   * asked for: a parse needs them only to place an error or a `//` comment
   * (the tokens carry their own lines), and a list of every line's start,
   * grown by `push` while lexing, was garbage in every parse.
   */
  get starts(): readonly number[] {
    return (this.lineStarts ??= lineStarts(this.text));
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

/** The offset where each line of `text` starts. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === C.CR && text.charCodeAt(i + 1) === C.LF) i++;
    if (c === C.LF || c === C.CR) starts.push(i + 1);
  }
  return starts;
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

/**
 * @internal Token kinds as small integers, the form the parser reads.
 * Each keyword has a kind of its own, so that no keyword needs its text.
 */
export const enum K {
  Ident = 0,
  Number,
  String,
  Invalid,
  Eof,
  Arrow,
  Plus,
  Minus,
  Star,
  Slash,
  DSlash,
  Eq,
  Colon,
  Comma,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  // Keywords, in this order: the top-level ones first, then the statement ones.
  Model,
  Block,
  Train,
  Import,
  Input,
  Output,
  True,
  False,
}

/** @internal Kinds from {@link K.Model} on are keywords. */
export const FIRST_KEYWORD = K.Model;

/** @internal The public kind of each {@link K}. */
export const KIND_NAME: readonly TokenKind[] = [
  'ident', 'number', 'string', 'invalid', 'eof',
  '->', '+', '-', '*', '/', '//', '=', ':', ',', '(', ')', '[', ']', '{', '}',
  'keyword', 'keyword', 'keyword', 'keyword', 'keyword', 'keyword', 'keyword', 'keyword',
];

/** @internal The text of each kind whose text is fixed (punctuation, keywords); '' otherwise. */
export const KIND_TEXT: readonly string[] = [
  '', '', '', '', '',
  '->', '+', '-', '*', '/', '//', '=', ':', ',', '(', ')', '[', ']', '{', '}',
  'model', 'block', 'train', 'import', 'input', 'output', 'true', 'false',
];

/** @internal Bits of {@link TokenStore.flags}. */
export const enum F {
  /** A line break lies between the previous token and this one. */
  NlBefore = 1,
  /** First token on its line. */
  LineStart = 2,
  /** The token has a lexical problem: `TokenStore.errors` holds it. */
  Error = 4,
  /** Numbers: written without `.` and with an integral value. */
  IsInt = 8,
}

/** What an ASCII character starts. */
const enum CC {
  Other,
  Blank,
  Newline,
  Hash,
  Ident,
  Digit,
  Dot,
  Quote,
  Minus,
  Slash,
  /** A one-character punctuation token: its kind is in SINGLE. */
  Single,
}

const CLASS = new Uint8Array(128);
/** 1 for the ASCII characters that continue an identifier. */
const IDENT_PART = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if (isIdentStart(c)) CLASS[c] = CC.Ident;
  else if (isDigit(c)) CLASS[c] = CC.Digit;
  if (isIdentPart(c)) IDENT_PART[c] = 1;
}
for (const c of [C.Space, C.Tab, C.VT, C.FF]) CLASS[c] = CC.Blank;
CLASS[C.LF] = CC.Newline;
CLASS[C.CR] = CC.Newline;
CLASS[C.Hash] = CC.Hash;
CLASS[C.Dot] = CC.Dot;
CLASS[C.Quote] = CC.Quote;
CLASS[C.Minus] = CC.Minus;
CLASS[C.Slash] = CC.Slash;

/** The kind of each one-character punctuation token, by character (-1: none); these characters are CC.Single. */
const SINGLE = new Int8Array(128).fill(-1);
for (const [c, k] of [
  [C.Plus, K.Plus],
  [C.Star, K.Star],
  [C.Eq, K.Eq],
  [C.Colon, K.Colon],
  [C.Comma, K.Comma],
  [C.LParen, K.LParen],
  [C.RParen, K.RParen],
  [C.LBracket, K.LBracket],
  [C.RBracket, K.RBracket],
  [C.LBrace, K.LBrace],
  [C.RBrace, K.RBrace],
] as const) {
  SINGLE[c] = k;
  CLASS[c] = CC.Single;
}

/**
 * @internal The tokens of a text as parallel arrays indexed by token number
 * (the fields of {@link Token}), the last one `eof`. One object per token
 * was most of what a parse allocated; typed arrays are one allocation each
 * and hold nothing for the garbage collector to trace. Texts are sliced only
 * when asked for, and only for tokens whose text varies.
 */
/** Longest token text that {@link TokenStore.textOf} interns (longer ones are rare and rarely repeated). */
const MAX_INTERNED = 32;


export class TokenStore {
  count = 0;
  kind: Uint8Array;
  flags: Uint8Array;
  start: Int32Array;
  end: Int32Array;
  line: Int32Array;
  character: Int32Array;
  /** Offset of the first line break after the previous token, or -1. */
  nlAt: Int32Array;
  /** Numbers: the value; identifiers: the hash {@link TokenStore.textOf} interns the text by, taken while lexing (0 for other tokens). */
  num: Float64Array;
  /** Lexical problems, by token start offset (rare). */
  errors: Map<number, LexError> | undefined;
  /** Unescaped contents of strings, by token start offset (rare). */
  strings: Map<number, string> | undefined;

  constructor(
    readonly text: string,
    capacity: number,
  ) {
    const n = Math.max(16, capacity);
    this.kind = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.start = new Int32Array(n);
    this.end = new Int32Array(n);
    this.line = new Int32Array(n);
    this.character = new Int32Array(n);
    this.nlAt = new Int32Array(n);
    this.num = new Float64Array(n);
  }

  /** Appends a token and returns its index. */
  add(kind: K, flags: number, start: number, end: number, line: number, character: number, nlAt: number): number {
    const k = this.count;
    if (k === this.kind.length) this.grow();
    this.kind[k] = kind;
    this.flags[k] = flags;
    this.start[k] = start;
    this.end[k] = end;
    this.line[k] = line;
    this.character[k] = character;
    this.nlAt[k] = nlAt;
    this.count = k + 1;
    return k;
  }

  /** Copies token `k` of `from` to the end of this store. */
  copy(from: TokenStore, k: number): void {
    const i = this.add(from.kind[k], from.flags[k], from.start[k], from.end[k], from.line[k], from.character[k], from.nlAt[k]);
    this.num[i] = from.num[k];
  }

  private grow(): void {
    const n = this.kind.length * 2;
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(n);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.kind = u8(this.kind);
    this.flags = u8(this.flags);
    this.start = i32(this.start);
    this.end = i32(this.end);
    this.line = i32(this.line);
    this.character = i32(this.character);
    this.nlAt = i32(this.nlAt);
    const num = new Float64Array(n);
    num.set(this.num);
    this.num = num;
  }

  /** Source text of token `k`. */
  textOf(k: number): string {
    const t = KIND_TEXT[this.kind[k]];
    if (t !== '' || this.kind[k] === K.Eof) return t;
    const start = this.start[k];
    const end = this.end[k];
    if (end - start > MAX_INTERNED) return this.text.slice(start, end);
    return this.intern(start, end, this.kind[k] === K.Ident ? this.num[k] : fnv1a(this.text, start, end));
  }

  /** Interned texts of short tokens (open addressing by a hash of the characters; empty slots are undefined). */
  private interned: (string | undefined)[] | undefined;
  private internedCount = 0;

  /**
   * The text between `start` and `end`, one string per distinct text: a
   * file repeats the same names and numbers (`x`, `relu`, `64`) thousands of
   * times, and the syntax tree keeps each; a slice per token was a string
   * object per token, and every new string is hashed again where the
   * analysis looks its name up. Found by the source characters, so a text
   * seen before costs no allocation.
   */
  private intern(start: number, end: number, h: number): string {
    const text = this.text;
    let table = this.interned;
    if (table === undefined) table = this.interned = new Array<string | undefined>(1024).fill(undefined);
    const len = end - start;
    let mask = table.length - 1;
    let i = h & mask;
    for (;;) {
      const s = table[i];
      if (s === undefined) break;
      if (s.length === len && text.startsWith(s, start)) return s;
      i = (i + 1) & mask;
    }
    const s = text.slice(start, end);
    if ((this.internedCount + 1) * 2 > table.length) {
      // Keep the table at most half full: rehash into one twice the size.
      const old = table;
      table = this.interned = new Array<string | undefined>(old.length * 2).fill(undefined);
      mask = table.length - 1;
      for (const o of old) {
        if (o === undefined) continue;
        let at = fnv1a(o, 0, o.length) & mask;
        while (table[at] !== undefined) at = (at + 1) & mask;
        table[at] = o;
      }
      i = h & mask;
      while (table[i] !== undefined) i = (i + 1) & mask;
    }
    table[i] = s;
    this.internedCount++;
    return s;
  }

  setError(k: number, e: LexError): void {
    this.flags[k] |= F.Error;
    (this.errors ??= new Map()).set(this.start[k], e);
  }

  errorOf(k: number): LexError | undefined {
    return (this.flags[k] & F.Error) !== 0 ? this.errors?.get(this.start[k]) : undefined;
  }

  stringOf(k: number): string {
    return this.strings?.get(this.start[k]) ?? '';
  }

  /** The token as an object (for `lex`). */
  token(k: number): Token {
    const kind = this.kind[k];
    const f = this.flags[k];
    const t: Token = {
      kind: KIND_NAME[kind],
      text: this.textOf(k),
      start: this.start[k],
      end: this.end[k],
      line: this.line[k],
      character: this.character[k],
      nlBefore: (f & F.NlBefore) !== 0,
      lineStart: (f & F.LineStart) !== 0,
      nlAt: this.nlAt[k],
      value: kind === K.Number ? this.num[k] : kind === K.String ? this.stringOf(k) : undefined,
      isInt: kind === K.Number ? (f & F.IsInt) !== 0 : undefined,
      error: this.errorOf(k),
    };
    return t;
  }
}

export function lex(text: string): LexResult {
  const r = lexStore(text);
  const tokens: Token[] = [];
  for (let k = 0; k < r.store.count; k++) tokens.push(r.store.token(k));
  return { tokens, comments: r.comments, lines: r.lines };
}

/** @internal `lex`, giving the tokens as a store. */
export function lexStore(text: string): { store: TokenStore; comments: Comment[]; lines: LineMap } {
  const r = scan(text, 0, 0, -1, 0);
  const lines = new LineMap(text);
  if (r.slashes.length === 0) return { store: r.store, comments: r.comments, lines };
  return resolveDoubleSlash(r.store, r.comments, lines, r.slashes);
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
export function lexWindow(text: string, from: number, line: number, stopAt: number, extra: number): { store: TokenStore; comments: Comment[] } | undefined {
  const r = scan(text, from, line, stopAt, extra);
  return r.slashes.length === 0 ? { store: r.store, comments: r.comments } : undefined;
}

/** Whether `text` holds `word` at `i` (compared by character: no builtin call, no slice). */
function holds(text: string, i: number, word: string): boolean {
  for (let k = 1; k < word.length; k++) if (text.charCodeAt(i + k) !== word.charCodeAt(k)) return false;
  return true;
}

/** Keyword kind of the word text[i, j), or Ident. Most words are told apart by length and first letter. */
function wordKind(text: string, i: number, j: number): K {
  const len = j - i;
  if (len < 4 || len > 6) return K.Ident;
  switch (text.charCodeAt(i)) {
    case 109 /* m */:
      return len === 5 && holds(text, i, 'model') ? K.Model : K.Ident;
    case 98 /* b */:
      return len === 5 && holds(text, i, 'block') ? K.Block : K.Ident;
    case 116 /* t */:
      return len === 5 ? (holds(text, i, 'train') ? K.Train : K.Ident) : len === 4 && holds(text, i, 'true') ? K.True : K.Ident;
    case 105 /* i */:
      return len === 5 ? (holds(text, i, 'input') ? K.Input : K.Ident) : len === 6 && holds(text, i, 'import') ? K.Import : K.Ident;
    case 111 /* o */:
      return len === 6 && holds(text, i, 'output') ? K.Output : K.Ident;
    case 102 /* f */:
      return len === 5 && holds(text, i, 'false') ? K.False : K.Ident;
    default:
      return K.Ident;
  }
}

/**
 * Lexes from `from` (the start of line `fromLine`) into a store: to the end,
 * or (`stopAt` >= 0) to the first line break after `extra` more tokens than
 * those before `stopAt`. Also gives the comments and the indices of `//` tokens.
 */
function scan(
  text: string,
  from: number,
  fromLine: number,
  stopAt: number,
  extra: number,
): { store: TokenStore; comments: Comment[]; slashes: number[] } {
  const n = text.length;
  // About one token per four characters in real files; the store grows if not.
  // A window (stopAt >= 0) ends a few tokens after stopAt: size it by that, not by the rest of the text.
  const store = new TokenStore(text, ((stopAt >= from ? stopAt - from : n - from) >> 2) + 16 + (stopAt >= 0 ? 2 * extra : 0));
  const comments: Comment[] = [];
  const slashes: number[] = [];
  let i = from;
  let line = fromLine;
  let lineStartOffset = from;
  let nlAt = from > 0 ? from - 1 : -1;
  let sawTokenOnLine = false;
  /** Tokens made at or after `stopAt`. */
  let past = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    // One table lookup decides what starts here (characters past ASCII: only NBSP and BOM are blanks).
    const cls = c < 128 ? CLASS[c] : c === C.NBSP || c === C.BOM ? CC.Blank : CC.Other;
    if (cls === CC.Blank) {
      // Runs of spaces (indentation) without a class lookup each.
      i++;
      while (i < n && text.charCodeAt(i) === C.Space) i++;
      continue;
    }
    if (cls === CC.Newline) {
      if (past > extra) break;
      if (nlAt < 0) nlAt = i;
      i += c === C.CR && text.charCodeAt(i + 1) === C.LF ? 2 : 1;
      line++;
      lineStartOffset = i;
      sawTokenOnLine = false;
      continue;
    }
    if (cls === CC.Hash) {
      let j = i;
      while (j < n && text.charCodeAt(j) !== C.LF && text.charCodeAt(j) !== C.CR) j++;
      comments.push(makeComment(text, i, j, line, lineStartOffset));
      i = j;
      continue;
    }
    const flags = (nlAt >= 0 ? F.NlBefore : 0) | (sawTokenOnLine ? 0 : F.LineStart);
    const start = i;
    let kind: K;
    let hash = 0;
    switch (cls) {
      case CC.Ident: {
        // The hash `textOf` interns the name by, taken here where the characters are read anyway.
        hash = Math.imul(FNV_BASIS ^ c, FNV_PRIME);
        let j = i + 1;
        while (j < n) {
          const d = text.charCodeAt(j);
          if (d >= 128 || IDENT_PART[d] === 0) break;
          hash = Math.imul(hash ^ d, FNV_PRIME);
          j++;
        }
        kind = wordKind(text, i, j);
        i = j;
        break;
      }
      case CC.Dot:
      case CC.Digit:
        if (cls === CC.Dot && !isDigit(text.charCodeAt(i + 1))) {
          kind = K.Invalid;
          i++;
          break;
        }
        i = lexNumber(text, i, store, store.add(K.Number, flags, start, start, line, start - lineStartOffset, nlAt));
        kind = K.Number;
        break;
      case CC.Quote:
        i = lexString(text, i, store, store.add(K.String, flags, start, start, line, start - lineStartOffset, nlAt));
        kind = K.String;
        break;
      case CC.Minus: {
        const two = text.charCodeAt(i + 1) === C.Gt;
        kind = two ? K.Arrow : K.Minus;
        i += two ? 2 : 1;
        break;
      }
      case CC.Slash: {
        const two = text.charCodeAt(i + 1) === C.Slash;
        if (two) slashes.push(store.count);
        kind = two ? K.DSlash : K.Slash;
        i += two ? 2 : 1;
        break;
      }
      case CC.Single:
        kind = SINGLE[c];
        i++;
        break;
      default: {
        // One code point, so that an astral character is one invalid token, not two halves.
        const cp = text.codePointAt(i) ?? c;
        kind = K.Invalid;
        i += cp > 0xffff ? 2 : 1;
      }
    }
    if (kind === K.Number || kind === K.String) store.end[store.count - 1] = i;
    else {
      const k = store.add(kind, flags, start, i, line, start - lineStartOffset, nlAt);
      if (kind === K.Ident) store.num[k] = hash;
    }
    nlAt = -1;
    sawTokenOnLine = true;
    if (stopAt >= 0 && start >= stopAt) past++;
  }
  // EOF is never "first on its line" in the sense that matters for sync points.
  store.add(K.Eof, nlAt >= 0 ? F.NlBefore : 0, i, i, line, i - lineStartOffset, nlAt);
  return { store, comments, slashes };
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

/** Reads the number at `i` into token `k` of `store` (value, flags, error); returns its end. */
function lexNumber(text: string, i: number, store: TokenStore, k: number): number {
  const n = text.length;
  const start = i;
  let j = i;
  let problem: string | undefined;
  let hasDot = false;
  // Plain integers (most numbers) are accumulated while scanning: no slice, no string-to-number.
  let acc = 0;
  while (j < n) {
    const d = text.charCodeAt(j) - C.D0;
    if (d < 0 || d > 9) break;
    acc = acc * 10 + d;
    j++;
  }
  const intEnd = j;
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
  let k2 = j;
  while (k2 < n && (isIdentPart(text.charCodeAt(k2)) || text.charCodeAt(k2) === C.Dot)) k2++;
  if (k2 > j) {
    problem ??= 'a number cannot be followed directly by letters or another point';
    j = k2;
  }
  let value: number;
  if (validEnd === intEnd && intEnd > start && intEnd - start <= 15) {
    // At most 15 digits: below 2^53, so the accumulated value is exact, as Number() would give.
    value = acc;
  } else {
    const valid = text.slice(start, validEnd);
    value = valid === '' || valid === '.' ? 0 : Number(valid.endsWith('.') ? valid.slice(0, -1) : valid);
  }
  const v = Number.isFinite(value) ? value : 0;
  store.num[k] = v;
  if (!hasDot && Number.isInteger(v)) store.flags[k] |= F.IsInt;
  if (problem === undefined && !Number.isFinite(value)) problem = 'the number is too large';
  if (problem !== undefined) {
    store.setError(k, { code: 'syntax.bad_number', message: `invalid number '${text.slice(start, j)}': ${problem}`, start, end: j });
  }
  return j;
}
/** Reads the string at `i` into token `k` of `store` (contents, error); returns its end. */
function lexString(text: string, i: number, store: TokenStore, k: number): number {
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
            message: `unknown escape '\\${String.fromCharCode(e)}' in string: use \\" \\\\ \\n \\t \\r or \\u (in a path, separate folders with /, which works on Windows too)`,
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
  (store.strings ??= new Map()).set(start, value);
  if (!closed) {
    store.setError(k, {
      code: 'syntax.unterminated_string',
      message: 'string is not closed: expected \'"\' before the end of the line',
      start,
      end: j,
    });
  } else if (error) {
    store.setError(k, error);
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

function endsValue(s: TokenStore, k: number, callClose: Uint8Array | undefined): boolean {
  const kind = s.kind[k];
  if (kind === K.Number) return true;
  if (kind === K.RParen) return callClose !== undefined && callClose[k] === 0;
  if (kind !== K.Ident) return false;
  if (k === 0) return true;
  const p = s.kind[k - 1];
  return p !== K.Arrow && p < FIRST_KEYWORD;
}

function endsOperand(kind: K): boolean {
  return kind === K.Ident || kind === K.Number || kind === K.RParen || kind === K.RBracket || kind === K.True || kind === K.False;
}

function startsOperand(kind: K): boolean {
  return kind === K.Ident || kind === K.Number || kind === K.LParen || kind === K.LBracket || kind === K.Minus;
}

function isWord(kind: K): boolean {
  return kind === K.Ident || kind >= FIRST_KEYWORD || kind === K.Number || kind === K.String;
}

function exprLike(s: TokenStore, k: number): boolean {
  if ((s.flags[k] & F.Error) !== 0) return false;
  const kind = s.kind[k];
  if (kind === K.Invalid || kind === K.Colon) return false;
  if (kind >= FIRST_KEYWORD) return kind === K.True || kind === K.False;
  return true;
}

function resolveDoubleSlash(
  s: TokenStore,
  comments: Comment[],
  lines: LineMap,
  slashes: number[],
): { store: TokenStore; comments: Comment[]; lines: LineMap } {
  const text = lines.text;
  const last = s.count - 1; // eof
  let callClose: Uint8Array | undefined;
  const extra: Comment[] = [];
  /** Token index ranges [from, to) that a `//` comment swallows. */
  const drops: Array<[number, number]> = [];
  let doneUntil = -1;
  for (const sl of slashes) {
    if (sl < doneUntil) continue; // this line was handled with an earlier `//`
    const ln = s.line[sl];
    let i = sl;
    while (i > 0 && s.line[i - 1] === ln) i--;
    let j = sl;
    while (j < last && s.line[j] === ln) j++;
    doneUntil = j;
    // ok[r]: tokens i+r .. up to the next `//` (or line end) read as an expression.
    const m = j - i;
    const ok = new Uint8Array(m + 1);
    ok[m] = 1;
    for (let k = j - 1; k >= i; k--) {
      const kind = s.kind[k];
      const r = k - i;
      if (kind === K.DSlash) {
        ok[r] = 1;
        continue;
      }
      const glued = k + 1 < j && s.kind[k + 1] !== K.DSlash && (endsOperand(kind) || kind === K.String) && isWord(s.kind[k + 1]);
      ok[r] = exprLike(s, k) && !glued && ok[r + 1] === 1 ? 1 : 0;
    }
    for (let k = sl; k < j; k++) {
      if (s.kind[k] !== K.DSlash) continue;
      if (k > i && s.kind[k - 1] === K.RParen && callClose === undefined) callClose = markCallCloses(s);
      const division = k > i && endsValue(s, k - 1, callClose) && k + 1 < j && startsOperand(s.kind[k + 1]) && ok[k + 1 - i] === 1;
      if (!division) {
        extra.push(makeComment(text, s.start[k], lines.lineEnd(ln), ln, lines.starts[ln]));
        drops.push([k, j]);
        break;
      }
    }
  }
  if (drops.length === 0) return { store: s, comments, lines };
  const out = new TokenStore(text, s.count);
  out.errors = s.errors;
  out.strings = s.strings;
  let from = 0;
  for (const [a, b] of drops) {
    for (let k = from; k < a; k++) out.copy(s, k);
    from = b;
  }
  for (let k = from; k <= last; k++) out.copy(s, k);
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
  return { store: out, comments: merged, lines };
}

/** Marks each `)` that closes a call's argument list (its `(` follows a name). */
function markCallCloses(s: TokenStore): Uint8Array {
  const marks = new Uint8Array(s.count);
  const stack: number[] = [];
  for (let k = 0; k < s.count; k++) {
    const kind = s.kind[k];
    if (kind === K.LParen || kind === K.LBracket) stack.push(k);
    else if ((kind === K.RParen || kind === K.RBracket) && stack.length > 0) {
      const o = stack.pop() as number;
      if (kind === K.RParen && o > 0 && s.kind[o] === K.LParen && s.kind[o - 1] === K.Ident) marks[k] = 1;
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
