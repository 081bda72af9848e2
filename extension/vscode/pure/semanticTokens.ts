/**
 * Semantic classification of identifiers, from the syntax tree and the
 * analysis' symbols: what the TextMate grammar cannot know (is `wte` a layer
 * object or a value? is `gpt_block` a block? is `same` an enum value?).
 */
import { forEachChild } from '../../core/syntax/children';
import type { Analysis, SymbolInfo } from '../../core/analysis/types';
import type { CallExpr, Expr, Range, Statement } from '../../core/syntax/ast';
import type { LayerSpec } from '../../core/layers/types';
import { isLocal } from './lookup';

export const TOKEN_TYPES = ['function', 'class', 'type', 'variable', 'parameter', 'enumMember', 'property', 'typeParameter'] as const;
export const TOKEN_MODIFIERS = ['declaration', 'readonly', 'defaultLibrary'] as const;

export type TokenType = (typeof TOKEN_TYPES)[number];
export type TokenModifier = (typeof TOKEN_MODIFIERS)[number];

export interface SemanticToken {
  line: number;
  character: number;
  length: number;
  type: TokenType;
  /** Shared between tokens: do not modify. */
  modifiers: readonly TokenModifier[];
}

const NONE: readonly TokenModifier[] = [];
const DECLARATION: readonly TokenModifier[] = ['declaration'];
const READONLY: readonly TokenModifier[] = ['readonly'];
const DEFAULT_LIBRARY: readonly TokenModifier[] = ['defaultLibrary'];
const DECLARATION_READONLY: readonly TokenModifier[] = ['declaration', 'readonly'];
const TYPE_INDEX = new Map<TokenType, number>(TOKEN_TYPES.map((t, i) => [t, i]));
const MODIFIER_BIT = new Map<TokenModifier, number>(TOKEN_MODIFIERS.map((m, i) => [m, 1 << i]));

type Ctx = 'tensor' | 'value' | 'train';

/** Index 0 is "no symbol here"; see walkTokens. */
const SYMBOL_KINDS: readonly (SymbolInfo['kind'] | undefined)[] = [undefined, 'model', 'train', 'block', 'param', 'object', 'value', 'input'];
const SYMBOL_KIND_CODE = new Map<SymbolInfo['kind'], number>(SYMBOL_KINDS.flatMap((k, i) => (k ? [[k, i] as [SymbolInfo['kind'], number]] : [])));

/** Receives each classified identifier in the order of the walk (nearly always the order of the text). */
type TokenSink = (line: number, character: number, length: number, type: TokenType, modifiers: readonly TokenModifier[]) => void;

/** Classifies every identifier whose meaning the analysis knows. */
export function semanticTokens(
  analysis: Analysis,
  docUri: string | undefined,
  getLayer: (name: string) => LayerSpec | undefined,
): SemanticToken[] {
  const out: SemanticToken[] = [];
  walkTokens(analysis, docUri, getLayer, (line, character, length, type, modifiers) => out.push({ line, character, length, type, modifiers }));
  const before = (a: SemanticToken, b: SemanticToken) => a.line - b.line || a.character - b.character;
  // The walk follows the text, so the tokens are nearly always in order already.
  let sorted = true;
  for (let i = 1; i < out.length && sorted; i++) sorted = before(out[i - 1], out[i]) <= 0;
  if (!sorted) out.sort(before);
  // Drop overlaps (a name classified twice) so the encoding stays valid.
  return out.filter((t, i) => i === 0 || t.line !== out[i - 1].line || t.character >= out[i - 1].character + out[i - 1].length);
}

/**
 * `encodeTokens(semanticTokens(…))` without a token object per identifier:
 * VS Code asks for the tokens of the whole document after edits, and on a
 * long file the objects (~13 000 for 5 000 lines) and their garbage cost
 * more than the classification. Same result, tested against that
 * composition.
 */
export function encodeSemanticTokens(
  analysis: Analysis,
  docUri: string | undefined,
  getLayer: (name: string) => LayerSpec | undefined,
): Uint32Array {
  // Absolute (line, character, length, type, modifiers) quintuples in walk order.
  let buf = new Uint32Array(5 * 1024);
  let n = 0;
  let sorted = true;
  let lastLine = 0;
  let lastChar = 0;
  walkTokens(analysis, docUri, getLayer, (line, character, length, type, modifiers) => {
    if (n + 5 > buf.length) {
      const bigger = new Uint32Array(buf.length * 2);
      bigger.set(buf);
      buf = bigger;
    }
    if (line < lastLine || (line === lastLine && character < lastChar)) sorted = false;
    lastLine = line;
    lastChar = character;
    buf[n] = line;
    buf[n + 1] = character;
    buf[n + 2] = length;
    buf[n + 3] = TYPE_INDEX.get(type)!;
    buf[n + 4] = modifierBits(modifiers);
    n += 5;
  });
  // Out of order (rare: a name classified out of text order): the object path sorts.
  if (!sorted) return encodeTokens(semanticTokens(analysis, docUri, getLayer));
  const out = new Uint32Array(n);
  let m = 0;
  let line = 0;
  let char = 0;
  for (let i = 0; i < n; i += 5) {
    // Drop overlaps exactly as semanticTokens does: against the previous token classified, kept or not.
    if (i > 0 && buf[i] === buf[i - 5] && buf[i + 1] < buf[i - 4] + buf[i - 3]) continue;
    const dl = buf[i] - line;
    out[m] = dl;
    out[m + 1] = dl === 0 ? buf[i + 1] - char : buf[i + 1];
    out[m + 2] = buf[i + 2];
    out[m + 3] = buf[i + 3];
    out[m + 4] = buf[i + 4];
    line = buf[i];
    char = buf[i + 1];
    m += 5;
  }
  return m === n ? out : out.slice(0, m);
}

function modifierBits(modifiers: readonly TokenModifier[]): number {
  let bits = 0;
  for (const m of modifiers) bits |= MODIFIER_BIT.get(m)!;
  return bits;
}

/** The classification walk shared by semanticTokens and encodeSemanticTokens. */
function walkTokens(
  analysis: Analysis,
  docUri: string | undefined,
  getLayer: (name: string) => LayerSpec | undefined,
  sink: TokenSink,
): void {
  // The kind of the symbol declared or referenced at each offset, as a code into SYMBOL_KINDS (0: none):
  // one byte per character of the file is cheaper to fill and read than a map of thousands of entries.
  const size = Math.max(0, analysis.file.range.end.offset) + 1;
  const kindCodes = new Uint8Array(size);
  const mark = (offset: number, kind: SymbolInfo['kind']) => {
    if (offset >= 0 && offset < size) kindCodes[offset] = SYMBOL_KIND_CODE.get(kind) ?? 0;
  };
  for (const s of analysis.symbols) {
    if (isLocal(s.uri, docUri)) mark(s.range.start.offset, s.kind);
    for (const r of s.references) if (isLocal(r.uri, docUri)) mark(r.range.start.offset, s.kind);
  }
  const kindAt = (offset: number): SymbolInfo['kind'] | undefined => (offset >= 0 && offset < size ? SYMBOL_KINDS[kindCodes[offset]] : undefined);
  // Shared modifier lists: this runs over every identifier of the file after each keystroke.
  const push = (r: Range, type: TokenType, modifiers: readonly TokenModifier[] = NONE) => {
    if (r.start.line !== r.end.line || r.end.character <= r.start.character) return;
    sink(r.start.line, r.start.character, r.end.character - r.start.character, type, modifiers);
  };
  const symbolToken = (r: Range, decl: boolean): boolean => {
    const k = kindAt(r.start.offset);
    const mods = decl ? DECLARATION : NONE;
    switch (k) {
      case undefined:
        return false;
      case 'model':
      case 'train':
        push(r, 'type', mods);
        return true;
      case 'block':
        push(r, 'class', mods);
        return true;
      case 'param':
        push(r, 'parameter', mods);
        return true;
      case 'object':
        push(r, 'variable', decl ? DECLARATION_READONLY : READONLY);
        return true;
      case 'value':
      case 'input':
        push(r, 'variable', mods);
        return true;
    }
  };

  const call = (c: CallExpr, ctx: Ctx) => {
    if (!symbolToken(c.callee.range, false)) {
      if (ctx === 'train') push(c.callee.range, 'function');
      else if (getLayer(c.callee.name)) push(c.callee.range, 'function', DEFAULT_LIBRARY);
    }
    for (const a of c.args) {
      if (a.name) push(a.name.range, 'parameter');
      expr(a.value, ctx === 'train' ? 'train' : 'value');
    }
    if (c.repeat) expr(c.repeat, 'value');
  };

  const expr = (e: Expr, ctx: Ctx): void => {
    switch (e.kind) {
      case 'name':
        // An unresolved bare name in an argument is an enum value (`same`, `relu`, `learned`).
        if (!symbolToken(e.range, false) && ctx !== 'tensor') push(e.range, 'enumMember');
        return;
      case 'call':
        call(e, ctx);
        return;
      default:
        forEachChild(e, (c) => expr(c, ctx));
        return;
    }
  };

  const statement = (s: Statement) => {
    switch (s.kind) {
      case 'input':
        if (!symbolToken(s.name.range, true)) push(s.name.range, 'variable', DECLARATION);
        for (const d of s.shape?.dims ?? []) {
          if (d.kind === 'name' && !symbolToken(d.range, false)) push(d.range, 'typeParameter');
          else expr(d, 'value');
        }
        return;
      case 'assign':
        if (!symbolToken(s.target.range, true)) push(s.target.range, 'variable', DECLARATION);
        expr(s.value, 'tensor');
        return;
      case 'output':
        for (const v of s.values) expr(v, 'tensor');
        return;
    }
  };

  for (const item of analysis.file.items) {
    switch (item.kind) {
      case 'model':
        push(item.name.range, 'type', DECLARATION);
        item.body.forEach(statement);
        break;
      case 'block':
        push(item.name.range, 'class', DECLARATION);
        for (const p of item.params) {
          push(p.name.range, 'parameter', DECLARATION);
          if (p.default) expr(p.default, 'value');
        }
        item.body.forEach(statement);
        break;
      case 'train':
        push(item.name.range, 'type');
        for (const e of item.entries) {
          push(e.key.range, 'property');
          expr(e.value, 'train');
        }
        break;
      case 'import':
        break;
    }
  }
}

/** VS Code's relative encoding: 5 integers per token. */
export function encodeTokens(tokens: readonly SemanticToken[]): Uint32Array {
  const data = new Uint32Array(tokens.length * 5);
  let line = 0;
  let char = 0;
  for (let i = 0, at = 0; i < tokens.length; i++, at += 5) {
    const t = tokens[i];
    const dl = t.line - line;
    let mods = 0;
    for (const m of t.modifiers) mods |= MODIFIER_BIT.get(m)!;
    data[at] = dl;
    data[at + 1] = dl === 0 ? t.character - char : t.character;
    data[at + 2] = t.length;
    data[at + 3] = TYPE_INDEX.get(t.type)!;
    data[at + 4] = mods;
    line = t.line;
    char = t.character;
  }
  return data;
}

/** One replacement in an encoded token array: `deleteCount` integers at `start` become `data`. */
export interface TokenEdit {
  start: number;
  deleteCount: number;
  data: Uint32Array;
}

/**
 * The single edit that turns `prev` into `next` (common prefix and suffix
 * kept), or undefined when they are equal. A keystroke changes a few tokens
 * of a long file: sending this instead of the whole array keeps the message
 * to VS Code, and its work to apply it, proportional to the edit.
 */
export function tokenEdit(prev: Uint32Array, next: Uint32Array): TokenEdit | undefined {
  const shorter = Math.min(prev.length, next.length);
  let start = 0;
  while (start < shorter && prev[start] === next[start]) start++;
  if (start === prev.length && start === next.length) return undefined;
  // The suffix may not reach into the prefix of either array.
  let end = 0;
  while (end < shorter - start && prev[prev.length - 1 - end] === next[next.length - 1 - end]) end++;
  return { start, deleteCount: prev.length - start - end, data: next.slice(start, next.length - end) };
}

/** `prev` with `edit` applied (what VS Code does with the edit; for tests). */
export function applyTokenEdit(prev: Uint32Array, edit: TokenEdit): Uint32Array {
  const out = new Uint32Array(prev.length - edit.deleteCount + edit.data.length);
  out.set(prev.subarray(0, edit.start), 0);
  out.set(edit.data, edit.start);
  out.set(prev.subarray(edit.start + edit.deleteCount), edit.start + edit.data.length);
  return out;
}
