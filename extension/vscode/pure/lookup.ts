/**
 * Finding what is at an offset in an analysis: the innermost site, the symbol
 * declared or referenced there, the enclosing model or block.
 */
import type { Range } from '../../core/syntax/ast';
import { partitionPoint } from '../../core/bisect';
import type { Analysis, ModelInfo, SiteInfo, SymbolInfo } from '../../core/analysis/types';

export function contains(r: Range, offset: number): boolean {
  return r.start.offset <= offset && offset <= r.end.offset;
}

function length(r: Range): number {
  return r.end.offset - r.start.offset;
}

/** Whether a uri from the analysis denotes the analysed file itself. */
export function isLocal(uri: string | undefined, docUri: string | undefined): boolean {
  return uri === undefined || uri === docUri;
}

/** The smallest site whose range holds `offset`; `kinds` narrows the search. */
export function siteAt(sites: readonly SiteInfo[], offset: number, kinds?: readonly SiteInfo['kind'][]): SiteInfo | undefined {
  let best: SiteInfo | undefined;
  for (const s of sites) {
    if (s.range.start.offset > offset) break; // sorted by start offset
    if (!contains(s.range, offset) || (kinds && !kinds.includes(s.kind))) continue;
    if (!best || length(s.range) < length(best.range)) best = s;
  }
  return best;
}

/** The site that starts exactly at a range (a declaration's identifier). */
export function siteStartingAt(sites: readonly SiteInfo[], r: Range, kinds?: readonly SiteInfo['kind'][]): SiteInfo | undefined {
  for (const s of sites) {
    if (s.range.start.offset > r.start.offset) break;
    if (s.range.start.offset === r.start.offset && (!kinds || kinds.includes(s.kind))) return s;
  }
  return undefined;
}

export interface SymbolHit {
  symbol: SymbolInfo;
  /** The identifier under the cursor. */
  range: Range;
  isDeclaration: boolean;
}

/** The symbol whose declaration or one of whose references holds `offset` in the analysed file. */
export function symbolAt(symbols: readonly SymbolInfo[], offset: number, docUri: string | undefined): SymbolHit | undefined {
  for (const s of symbols) {
    if (isLocal(s.uri, docUri) && contains(s.range, offset)) return { symbol: s, range: s.range, isDeclaration: true };
    for (const r of s.references) {
      if (isLocal(r.uri, docUri) && contains(r.range, offset)) return { symbol: s, range: r.range, isDeclaration: false };
    }
  }
  return undefined;
}

/** The model of the analysed file whose declaration holds `offset`. */
export function modelAt(analysis: Analysis, offset: number, docUri: string | undefined): ModelInfo | undefined {
  return analysis.models.find((m) => isLocal(m.uri, docUri) && contains(m.range, offset));
}

/** The model or block declaration that holds `offset`. */
export function containerAt(analysis: Analysis, offset: number): { kind: 'model' | 'block' | 'train'; name: string } | undefined {
  for (const item of analysis.file.items) {
    if (item.kind === 'import' || !contains(item.range, offset)) continue;
    return { kind: item.kind, name: item.name.name };
  }
  return undefined;
}

/**
 * Names usable as values at `offset` inside `container`: block parameters,
 * inputs, bound values and layer objects declared before the cursor, latest
 * binding first. `statementStart`, where the statement holding the cursor
 * starts (completionContext): what that statement binds is not bound yet,
 * even when its text is incomplete and the analysis ended it early.
 */
export function namesInScope(
  symbols: readonly SymbolInfo[],
  container: string,
  offset: number,
  docUri: string | undefined,
  statementStart?: number,
): SymbolInfo[] {
  const seen = new Map<string, SymbolInfo>();
  const local = symbols
    .filter((s) => s.container === container && isLocal(s.uri, docUri) && s.range.start.offset < offset)
    .filter((s) => s.kind === 'param' || s.kind === 'input' || s.kind === 'value' || s.kind === 'object')
    .sort((a, b) => b.range.start.offset - a.range.start.offset);
  for (const s of local) {
    // `x = x + ...` binds x after the right-hand side: skip a binding whose statement holds the cursor.
    if (s.kind !== 'param' && (contains(s.fullRange, offset) || (statementStart !== undefined && s.range.start.offset >= statementStart))) continue;
    if (!seen.has(s.name)) seen.set(s.name, s);
  }
  return [...seen.values()];
}

export interface Highlight {
  range: Range;
  /** 'write' where a name is declared or bound, 'read' where it is used, 'text' for calls of the same layer. */
  kind: 'write' | 'read' | 'text';
}

/**
 * What to highlight when the cursor is on the word starting at `wordStart`
 * (and holding `offset`): a model, block, parameter, input, value or layer
 * object with its declaration and uses in this file; a built-in layer with
 * its other calls in the same model or block. Anything else (keywords,
 * argument names, numbers) highlights nothing: an empty list, so that the
 * editor does not fall back to searching the whole file for the word on
 * every cursor move.
 */
export function highlightsAt(analysis: Analysis, offset: number, wordStart: number, docUri: string | undefined): Highlight[] {
  const hit = symbolAt(analysis.symbols, offset, docUri);
  if (hit) {
    const s = hit.symbol;
    const out: Highlight[] = [];
    if (isLocal(s.uri, docUri)) out.push({ range: s.range, kind: 'write' });
    for (const r of s.references) if (isLocal(r.uri, docUri)) out.push({ range: r.range, kind: 'read' });
    return out.sort((a, b) => a.range.start.offset - b.range.start.offset);
  }
  const sites = analysis.sites;
  const first = firstSiteFrom(sites, wordStart);
  let layer: string | undefined;
  for (let i = first; i < sites.length && sites[i].range.start.offset === wordStart; i++) {
    if (sites[i].kind === 'layer') layer = sites[i].name;
  }
  if (layer === undefined) return [];
  // The calls of this layer in the declaration that holds the cursor (a call's range starts at its name).
  const item = analysis.file.items.find((it) => it.kind !== 'import' && contains(it.range, offset));
  if (!item) return [];
  const out: Highlight[] = [];
  let last = -1;
  for (let i = firstSiteFrom(sites, item.range.start.offset); i < sites.length; i++) {
    const s = sites[i];
    const start = s.range.start.offset;
    if (start > item.range.end.offset) break;
    if (s.kind !== 'layer' || s.name !== layer || start === last) continue;
    last = start;
    const end = { ...s.range.start, character: s.range.start.character + layer.length, offset: start + layer.length };
    out.push({ range: { start: s.range.start, end }, kind: 'text' });
  }
  return out;
}

/** Index of the first site starting at or after `offset` (sites are sorted by start offset). */
export function firstSiteFrom(sites: readonly SiteInfo[], offset: number): number {
  return partitionPoint(sites.length, (i) => sites[i].range.start.offset < offset);
}

/**
 * Whether `offset` is inside a comment (the comments in source order, as the
 * parser lists them): from its `#` or `//` up to its last character.
 */
export function inComment(comments: readonly { range: Range }[], offset: number): boolean {
  const i = partitionPoint(comments.length, (k) => comments[k].range.start.offset <= offset) - 1;
  return i >= 0 && offset < comments[i].range.end.offset;
}
