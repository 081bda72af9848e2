/**
 * A small, forgiving scanner for editor features that must understand text
 * the parser has not seen yet (the user is typing): completion and signature
 * help look at the tokens before the cursor. It never throws and never looks
 * past `end`.
 */
export type TokKind = 'ident' | 'number' | 'string' | 'op' | 'nl';

export interface Tok {
  kind: TokKind;
  text: string;
  start: number;
  end: number;
}

export interface ScanResult {
  tokens: Tok[];
  /** `end` lies inside a comment. */
  inComment: boolean;
  /** `end` lies inside a string literal. */
  inString: boolean;
}

const TWO_CHAR_OPS = new Set(['->']);
const ONE_CHAR_OPS = new Set(['(', ')', '[', ']', '{', '}', ',', ':', '=', '+', '-', '*', '/']);

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/**
 * `//` is floor division only between two operands on one line with an
 * expression after it (`hidden // 2`); anywhere else it starts a comment.
 * Mirrors the core lexer's rule closely enough for editor heuristics.
 */
export function isFloorDiv(text: string, i: number): boolean {
  let p = i - 1;
  while (p >= 0 && (text[p] === ' ' || text[p] === '\t')) p--;
  if (p < 0 || !/[A-Za-z0-9_)\]]/.test(text[p])) return false;
  let lineEnd = text.indexOf('\n', i);
  if (lineEnd < 0) lineEnd = text.length;
  let rest = text.slice(i + 2, lineEnd);
  const cut = rest.search(/\/\/|#/);
  if (cut >= 0) rest = rest.slice(0, cut);
  rest = rest.trim();
  if (!rest || rest.startsWith('->') || !/^[A-Za-z0-9_(\[\-.]/.test(rest)) return false;
  return !/[A-Za-z0-9_]\s+[A-Za-z0-9_]/.test(rest) && !/[:{"]/.test(rest);
}

/** Tokens of `text` up to `end` (a token cut by `end` is kept, truncated). */
export function scan(text: string, end: number = text.length): ScanResult {
  const tokens: Tok[] = [];
  const limit = Math.max(0, Math.min(end, text.length));
  let i = 0;
  while (i < limit) {
    const c = text[i];
    if (c === '\n') {
      tokens.push({ kind: 'nl', text: '\n', start: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/' && isFloorDiv(text, i)) {
      if (i + 2 <= limit) tokens.push({ kind: 'op', text: '//', start: i, end: i + 2 });
      i += 2;
      continue;
    }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      const nl = text.indexOf('\n', i);
      const stop = nl < 0 ? text.length : nl;
      if (stop >= limit) return { tokens, inComment: true, inString: false };
      i = stop;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      const closed = j < text.length && text[j] === '"';
      const stop = closed ? j + 1 : j;
      // The cursor is inside the string when it is before the closing quote.
      if ((closed && j >= limit) || (!closed && stop >= limit)) return { tokens, inComment: false, inString: true };
      tokens.push({ kind: 'string', text: text.slice(i, stop), start: i, end: stop });
      i = stop;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < limit && isIdentPart(text[j])) j++;
      tokens.push({ kind: 'ident', text: text.slice(i, j), start: i, end: j });
      i = j;
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(text[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < limit && (isDigit(text[j]) || text[j] === '.')) j++;
      if (j < limit && (text[j] === 'e' || text[j] === 'E')) {
        let k = j + 1;
        if (text[k] === '+' || text[k] === '-') k++;
        if (k < limit && isDigit(text[k])) {
          j = k;
          while (j < limit && isDigit(text[j])) j++;
        }
      }
      tokens.push({ kind: 'number', text: text.slice(i, j), start: i, end: j });
      i = j;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (TWO_CHAR_OPS.has(two) && i + 2 <= limit) {
      tokens.push({ kind: 'op', text: two, start: i, end: i + 2 });
      i += 2;
      continue;
    }
    if (ONE_CHAR_OPS.has(c)) {
      tokens.push({ kind: 'op', text: c, start: i, end: i + 1 });
      i++;
      continue;
    }
    // Unknown characters are skipped: the parser reports them.
    i++;
  }
  return { tokens, inComment: false, inString: false };
}

/** Length of the code on a line: everything before a comment, trailing blanks removed. */
export function codeLength(line: string): number {
  let end = line.length;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      i++;
      while (i < line.length && line[i] !== '"') i += line[i] === '\\' ? 2 : 1;
      continue;
    }
    if (c === '/' && line[i + 1] === '/' && isFloorDiv(line, i)) {
      i++;
      continue;
    }
    if (c === '#' || (c === '/' && line[i + 1] === '/')) {
      end = i;
      break;
    }
  }
  while (end > 0 && /\s/.test(line[end - 1])) end--;
  return end;
}
