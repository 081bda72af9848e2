/**
 * Semantic highlighting: layers, blocks, layer objects, values, arguments and
 * enum values, which the TextMate grammar alone cannot tell apart.
 */
import * as vscode from 'vscode';
import { getLayer } from '../core';
import type { AnalysisCache } from './analysisCache';
import { encodeTokens, semanticTokens, TOKEN_MODIFIERS, TOKEN_TYPES } from './pure/semanticTokens';

export const LEGEND = new vscode.SemanticTokensLegend([...TOKEN_TYPES], [...TOKEN_MODIFIERS]);

export function registerSemanticTokens(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  const provider: vscode.DocumentSemanticTokensProvider = {
    onDidChangeSemanticTokens: changed.event,
    provideDocumentSemanticTokens(doc) {
      const tokens = semanticTokens(cache.get(doc), doc.uri.toString(), getLayer);
      return new vscode.SemanticTokens(encodeTokens(tokens));
    },
  };
  return vscode.Disposable.from(
    changed,
    vscode.languages.registerDocumentSemanticTokensProvider(selector, provider, LEGEND),
    // An imported file's change reclassifies names without an edit here.
    cache.onDidAnalyze(() => changed.fire()),
  );
}
