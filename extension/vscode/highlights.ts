/**
 * Document highlights: the declaration and uses of the name under the cursor,
 * or the other calls of the layer under it, from the analysis (see
 * `highlightsAt`). Without a provider VS Code highlights every textual
 * occurrence of the word, searching the whole file on each cursor move.
 */
import * as vscode from 'vscode';
import type { AnalysisCache } from './analysisCache';
import { toRange } from './convert';
import { highlightsAt } from './pure/lookup';

const KINDS = {
  write: vscode.DocumentHighlightKind.Write,
  read: vscode.DocumentHighlightKind.Read,
  text: vscode.DocumentHighlightKind.Text,
} as const;

export function registerHighlights(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  return vscode.languages.registerDocumentHighlightProvider(selector, {
    provideDocumentHighlights(doc, position) {
      const word = doc.getWordRangeAtPosition(position, /[A-Za-z_][A-Za-z0-9_]*/);
      if (!word) return [];
      const hits = highlightsAt(cache.get(doc), doc.offsetAt(position), doc.offsetAt(word.start), doc.uri.toString());
      return hits.map((h) => new vscode.DocumentHighlight(toRange(h.range), KINDS[h.kind]));
    },
  });
}
