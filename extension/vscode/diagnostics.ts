/**
 * Publishes each analysis' diagnostics to the Problems panel. Problems found
 * in an imported file are shown on the `import` that brought them in, with
 * the place in the imported file as related information.
 */
import * as vscode from 'vscode';
import type { Analysis } from '../core';
import { AnalysisCache, isNnmodel, resolveImport } from './analysisCache';
import { toDiagnostic, toRange } from './convert';
import { relabelImportedPlace } from './pure/importedPlace';

/** How a message names another file: its path in the workspace (as the CLI names it from its folder), not its uri. */
function fileLabel(uri: string): string {
  try {
    return vscode.workspace.asRelativePath(vscode.Uri.parse(uri));
  } catch {
    return uri;
  }
}

export function registerDiagnostics(cache: AnalysisCache): vscode.Disposable {
  const collection = vscode.languages.createDiagnosticCollection('nnmodel');
  const publish = (doc: vscode.TextDocument, analysis: Analysis) => {
    collection.set(doc.uri, convertDiagnostics(doc.uri, analysis));
  };
  const subs = [
    collection,
    cache.onDidAnalyze(({ document, analysis }) => publish(document, analysis)),
    vscode.workspace.onDidCloseTextDocument((d) => collection.delete(d.uri)),
  ];
  for (const d of vscode.workspace.textDocuments) if (isNnmodel(d)) publish(d, cache.get(d));
  return vscode.Disposable.from(...subs);
}

export function convertDiagnostics(docUri: vscode.Uri, analysis: Analysis): vscode.Diagnostic[] {
  const own = docUri.toString();
  const importRanges = new Map<string, vscode.Range>();
  for (const item of analysis.file.items) {
    if (item.kind !== 'import') continue;
    const target = resolveImport(own, item.path.value)?.toString();
    if (target && !importRanges.has(target)) importRanges.set(target, toRange(item.range));
  }
  const firstImport = importRanges.values().next().value as vscode.Range | undefined;
  const out: vscode.Diagnostic[] = [];
  for (const analysed of analysis.diagnostics) {
    const message = relabelImportedPlace(analysed, fileLabel);
    const d = message === analysed.message ? analysed : { ...analysed, message };
    if (d.uri === undefined || d.uri === own) {
      out.push(toDiagnostic(d, docUri));
      continue;
    }
    const at = importRanges.get(d.uri) ?? firstImport ?? new vscode.Range(0, 0, 0, 0);
    out.push(toDiagnostic(d, docUri, at));
  }
  return out;
}
