/**
 * The one place where core types become vscode types.
 */
import * as vscode from 'vscode';
import type { Diagnostic, Severity, TextEdit } from '../core/analysis/types';
import type { Position, Range } from '../core/syntax/ast';

export function toPosition(p: Position): vscode.Position {
  return new vscode.Position(p.line, p.character);
}

export function toRange(r: Range): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

/** A core uri string (as given to / returned by analyze), or the document's own uri. */
export function toUri(uri: string | undefined, fallback: vscode.Uri): vscode.Uri {
  return uri === undefined ? fallback : vscode.Uri.parse(uri);
}

export function toLocation(uri: string | undefined, r: Range, fallback: vscode.Uri): vscode.Location {
  return new vscode.Location(toUri(uri, fallback), toRange(r));
}

export function toSeverity(s: Severity): vscode.DiagnosticSeverity {
  switch (s) {
    case 'error':
      return vscode.DiagnosticSeverity.Error;
    case 'warning':
      return vscode.DiagnosticSeverity.Warning;
    case 'info':
      return vscode.DiagnosticSeverity.Information;
    case 'hint':
      return vscode.DiagnosticSeverity.Hint;
  }
}

/**
 * Converts a diagnostic of the analysed file. `range` overrides where it is
 * shown (diagnostics located in an imported file are shown on the import).
 */
export function toDiagnostic(d: Diagnostic, docUri: vscode.Uri, range?: vscode.Range): vscode.Diagnostic {
  const out = new vscode.Diagnostic(range ?? toRange(d.range), d.message, toSeverity(d.severity));
  out.source = 'nnmodel';
  out.code = d.code;
  if (d.tags?.includes('unnecessary')) out.tags = [vscode.DiagnosticTag.Unnecessary];
  const related = (d.related ?? []).map(
    (r) => new vscode.DiagnosticRelatedInformation(toLocation(r.uri, r.range, docUri), r.message),
  );
  if (range && d.uri) related.unshift(new vscode.DiagnosticRelatedInformation(toLocation(d.uri, d.range, docUri), d.message));
  if (related.length) out.relatedInformation = related;
  return out;
}

export function toTextEdit(e: TextEdit): vscode.TextEdit {
  return new vscode.TextEdit(toRange(e.range), e.newText);
}

export function toMarkdown(md: string, trusted = false): vscode.MarkdownString {
  const m = new vscode.MarkdownString(md);
  m.isTrusted = trusted;
  m.supportHtml = false;
  return m;
}
