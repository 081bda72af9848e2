/**
 * Where a block is declared and called across files, without VS Code: an
 * `import` brings in the blocks of the imported file and, transitively, of
 * the files it imports, so Find All References and Rename of a block cover
 * every file whose analysis resolves the name to that block (a file of its
 * own with a block of the same name, or that does not import it, is left
 * out: its analysis resolves the name elsewhere, or not at all).
 */
import type { CallExpr, Expr, Range } from '../../core/syntax/ast';
import type { Analysis } from '../../core/analysis/types';
import { forEachChild } from '../../core/syntax/children';

/** A range in a file (uri string). */
export interface FileRange {
  uri: string;
  range: Range;
}

/**
 * Whether `text` may call block `name` through an import: it imports
 * something and holds the word. A cheap filter before the analysis that
 * decides; false means certainly not.
 */
export function mayImportBlock(text: string, name: string): boolean {
  if (!/(^|[^A-Za-z0-9_])import\b/.test(text)) return false;
  let at = text.indexOf(name);
  while (at >= 0) {
    const before = at > 0 ? text[at - 1] : ' ';
    const after = text[at + name.length] ?? ' ';
    if (!/[A-Za-z0-9_]/.test(before) && !/[A-Za-z0-9_]/.test(after)) return true;
    at = text.indexOf(name, at + 1);
  }
  return false;
}

/**
 * The declaration and calls of block `name` of file `defUri` that the
 * analysis of file `uri` sees: its own block when `uri` is `defUri`, else
 * the imported block, if `name` resolves to the one of `defUri` there.
 * Calls are in `uri`; the declaration is in `defUri`.
 */
export function blockOccurrences(analysis: Analysis, uri: string, defUri: string, name: string): { declaration?: FileRange; references: FileRange[] } {
  for (const s of analysis.symbols) {
    if (s.kind !== 'block' || s.name !== name || s.container !== undefined) continue;
    // The first symbol of the name is the block the name resolves to (the file's own first, then the imports in order).
    if ((s.uri ?? uri) !== defUri) return { references: [] };
    return {
      declaration: { uri: defUri, range: s.range },
      references: s.references.map((r) => ({ uri: r.uri ?? uri, range: r.range })),
    };
  }
  return { references: [] };
}

/** `refs` without repeats (same file, same start), in the order given. */
export function uniqueRanges(refs: readonly FileRange[]): FileRange[] {
  const seen = new Set<string>();
  const out: FileRange[] = [];
  for (const r of refs) {
    const key = `${r.uri}#${r.range.start.offset}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
  }
  return out;
}

/**
 * The names of the arguments `param = …` in the block calls `calls` (the
 * ranges of their callee names, in the files of `files`): what renaming or
 * finding the references of a block's parameter or input must reach too,
 * since `b(act = relu)` names `b`'s parameter `act`.
 */
export function namedArgRanges(calls: readonly FileRange[], files: ReadonlyMap<string, Analysis>, param: string): FileRange[] {
  const byFile = new Map<string, Map<number, CallExpr>>();
  const callsIn = (uri: string): Map<number, CallExpr> | undefined => {
    let known = byFile.get(uri);
    if (known) return known;
    const analysis = files.get(uri);
    if (!analysis) return undefined;
    known = new Map();
    const todo: Expr[] = [];
    for (const item of analysis.file.items) {
      if (item.kind !== 'model' && item.kind !== 'block') continue;
      if (item.kind === 'block') for (const p of item.params) if (p.default) todo.push(p.default);
      for (const st of item.body) {
        if (st.kind === 'assign') todo.push(st.value);
        else if (st.kind === 'output') todo.push(...st.values);
      }
    }
    while (todo.length > 0) {
      const e = todo.pop()!;
      if (e.kind === 'call') known.set(e.callee.range.start.offset, e);
      forEachChild(e, (c) => todo.push(c));
    }
    byFile.set(uri, known);
    return known;
  };
  const out: FileRange[] = [];
  for (const c of calls) {
    const call = callsIn(c.uri)?.get(c.range.start.offset);
    if (!call) continue;
    for (const a of call.args) if (a.name?.name === param) out.push({ uri: c.uri, range: a.name.range });
  }
  return out;
}
