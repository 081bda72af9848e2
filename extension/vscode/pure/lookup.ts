/**
 * Finding what is at an offset in an analysis: the innermost site, the symbol
 * declared or referenced there, the enclosing model or block.
 */
import type { Range } from '../../core/syntax/ast';
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
 * binding first.
 */
export function namesInScope(
  symbols: readonly SymbolInfo[],
  container: string,
  offset: number,
  docUri: string | undefined,
): SymbolInfo[] {
  const seen = new Map<string, SymbolInfo>();
  const local = symbols
    .filter((s) => s.container === container && isLocal(s.uri, docUri) && s.range.start.offset < offset)
    .filter((s) => s.kind === 'param' || s.kind === 'input' || s.kind === 'value' || s.kind === 'object')
    .sort((a, b) => b.range.start.offset - a.range.start.offset);
  for (const s of local) {
    // `x = x + ...` binds x after the right-hand side: skip a binding whose statement holds the cursor.
    if (contains(s.fullRange, offset) && s.kind !== 'param') continue;
    if (!seen.has(s.name)) seen.set(s.name, s);
  }
  return [...seen.values()];
}
