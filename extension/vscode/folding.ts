/**
 * Folding that follows the language (extension/vscode/pure/folding.ts):
 * declaration bodies, multi-line statements and brackets, comment runs and
 * import runs, instead of VS Code's indentation-based folding.
 */
import * as vscode from 'vscode';
import type { AnalysisCache } from './analysisCache';
import { parse } from '../core/syntax';
import { foldingRanges, type Fold } from './pure/folding';

const KIND: Record<NonNullable<Fold['kind']>, vscode.FoldingRangeKind> = {
  comment: vscode.FoldingRangeKind.Comment,
  imports: vscode.FoldingRangeKind.Imports,
};

export function registerFolding(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  return vscode.languages.registerFoldingRangeProvider(selector, {
    provideFoldingRanges(doc) {
      // The tree is all it needs: the current analysis's when there is one, else a parse (cheap), so as not to force an analysis the cache is debouncing.
      const text = doc.getText();
      return foldingRanges(cache.current(doc)?.file ?? parse(text), text).map(
        (f) => new vscode.FoldingRange(f.start, f.end, f.kind ? KIND[f.kind] : undefined),
      );
    },
  });
}
