/**
 * Analysing files from disk and printing diagnostics in the
 * `file:line:col: severity code message` form that editors and CI parse.
 */
import { analyze } from '../core/analysis/analyze';
import type { Analysis, Diagnostic, Severity } from '../core/analysis/types';
import { displayPath, importBase, importReader, ioReason, readSource } from './files';

export type FileResult =
  | { ok: true; path: string; text: string; analysis: Analysis }
  | { ok: false; path: string; reason: string };

/**
 * Reads and analyses one file; imports resolve relative to it (from standard
 * input, `-`, relative to the working folder). `path` in the result is the
 * name messages give it (`<stdin>` for `-`).
 */
export function analyzeFile(path: string, cwd: string): FileResult {
  const name = displayPath(path);
  let text: string;
  try {
    text = readSource(path, cwd);
  } catch (err) {
    return { ok: false, path: name, reason: ioReason(err) };
  }
  return { ok: true, path: name, text, analysis: analyze(text, { uri: name, readImport: importReader(cwd), importBase: importBase(path) }) };
}

export interface LocatedDiagnostic {
  file: string;
  diagnostic: Diagnostic;
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

/** Sorted by file (in the order given), line, column, then severity and code. */
export function sortDiagnostics(list: LocatedDiagnostic[], fileOrder: readonly string[]): LocatedDiagnostic[] {
  const order = new Map(fileOrder.map((f, i) => [f, i]));
  const rank = (f: string) => order.get(f) ?? fileOrder.length;
  return [...list].sort((a, b) => {
    const ra = rank(a.file);
    const rb = rank(b.file);
    if (ra !== rb) return ra - rb;
    if (a.file !== b.file) return a.file < b.file ? -1 : 1;
    const sa = a.diagnostic.range.start;
    const sb = b.diagnostic.range.start;
    return (
      sa.line - sb.line ||
      sa.character - sb.character ||
      SEVERITY_RANK[a.diagnostic.severity] - SEVERITY_RANK[b.diagnostic.severity] ||
      (a.diagnostic.code < b.diagnostic.code ? -1 : a.diagnostic.code > b.diagnostic.code ? 1 : 0)
    );
  });
}

/**
 * Diagnostics of an analysis, each with the file its range is in. Not the
 * hints: they mark, in the editor, more places of a problem listed already
 * (an unknown name's later uses).
 */
export function locate(path: string, analysis: Analysis): LocatedDiagnostic[] {
  const out: LocatedDiagnostic[] = [];
  for (const d of analysis.diagnostics) if (d.severity !== 'hint') out.push({ file: d.uri ?? path, diagnostic: d });
  return out;
}

/**
 * `lenet.nnmodel:3:20: error shape.mismatch message` (1-based line and
 * column); without the severity where the line already says it
 * (`warning: lm.nnmodel:7:9: train.not_causal message`).
 */
export function formatDiagnostic({ file, diagnostic: d }: LocatedDiagnostic, withSeverity = true): string {
  const { line, character } = d.range.start;
  const message = d.message.replace(/\s*\n\s*/g, ' ');
  return `${file}:${line + 1}:${character + 1}: ${withSeverity ? `${d.severity} ` : ''}${d.code} ${message}`;
}

export function countBySeverity(list: readonly LocatedDiagnostic[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0, hint: 0 };
  for (const d of list) counts[d.diagnostic.severity]++;
  return counts;
}

export { plural } from '../core/plural';
