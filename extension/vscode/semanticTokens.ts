/**
 * Semantic highlighting: layers, blocks, layer objects, values, arguments and
 * enum values, which the TextMate grammar alone cannot tell apart.
 *
 * After an edit VS Code asks for the changes since its last result: the
 * answer is one edit of the encoded array (see tokenEdit), so a keystroke in
 * a long file does not send, nor make VS Code re-read, every token again.
 */
import * as vscode from 'vscode';
import { getLayer, type Analysis } from '../core';
import type { AnalysisCache } from './analysisCache';
import { encodeSemanticTokens, tokenEdit, TOKEN_MODIFIERS, TOKEN_TYPES } from './pure/semanticTokens';

export const LEGEND = new vscode.SemanticTokensLegend([...TOKEN_TYPES], [...TOKEN_MODIFIERS]);

/** The last result sent for a document: what VS Code's next edits request refers to. */
interface Sent {
  resultId: string;
  /** The analysis it was computed from (a repeated request for the same one is answered without recomputing). */
  analysis: Analysis;
  data: Uint32Array;
}

export function registerSemanticTokens(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  const sent = new Map<string, Sent>();
  let nextId = 1;
  const compute = (doc: vscode.TextDocument): { analysis: Analysis; data: Uint32Array } => {
    const analysis = cache.get(doc);
    const last = sent.get(doc.uri.toString());
    if (last && last.analysis === analysis) return { analysis, data: last.data };
    return { analysis, data: encodeSemanticTokens(analysis, doc.uri.toString(), getLayer) };
  };
  const remember = (doc: vscode.TextDocument, analysis: Analysis, data: Uint32Array): string => {
    const resultId = String(nextId++);
    sent.set(doc.uri.toString(), { resultId, analysis, data });
    return resultId;
  };
  const provider: vscode.DocumentSemanticTokensProvider = {
    onDidChangeSemanticTokens: changed.event,
    provideDocumentSemanticTokens(doc) {
      const { analysis, data } = compute(doc);
      return new vscode.SemanticTokens(data, remember(doc, analysis, data));
    },
    provideDocumentSemanticTokensEdits(doc, previousResultId) {
      const prev = sent.get(doc.uri.toString());
      const { analysis, data } = compute(doc);
      // VS Code holds a result we no longer have (or never sent): send everything.
      if (!prev || prev.resultId !== previousResultId) return new vscode.SemanticTokens(data, remember(doc, analysis, data));
      const edit = tokenEdit(prev.data, data);
      const resultId = remember(doc, analysis, data);
      return new vscode.SemanticTokensEdits(edit ? [new vscode.SemanticTokensEdit(edit.start, edit.deleteCount, edit.data)] : [], resultId);
    },
  };
  return vscode.Disposable.from(
    changed,
    vscode.languages.registerDocumentSemanticTokensProvider(selector, provider, LEGEND),
    vscode.workspace.onDidCloseTextDocument((d) => sent.delete(d.uri.toString())),
    // An imported file's change reclassifies names without an edit here; after an edit VS Code asks by itself.
    cache.onDidAnalyze((e) => {
      if (e.cause === 'dependency') changed.fire();
    }),
  );
}
