/**
 * Smart Select (Expand / Shrink Selection, Shift+Alt+Right / Left): the
 * syntax tree's ranges around the cursor (extension/vscode/pure/selectionRanges.ts).
 */
import * as vscode from 'vscode';
import type { AnalysisCache } from './analysisCache';
import { parse } from '../core/syntax';
import { toRange } from './convert';
import { selectionRangesAt } from './pure/selectionRanges';

export function registerSelectionRanges(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  return vscode.languages.registerSelectionRangeProvider(selector, {
    provideSelectionRanges(doc, positions) {
      // The tree is all it needs: the current analysis's when there is one, else a parse (cheap), so as not to force an analysis the cache is debouncing.
      const file = cache.current(doc)?.file ?? parse(doc.getText());
      const text = doc.getText();
      return positions.map((p) => {
        // Innermost first: each range becomes the parent of the one before.
        let out: vscode.SelectionRange | undefined;
        const ranges = selectionRangesAt(file, doc.offsetAt(p), text);
        for (let i = ranges.length - 1; i >= 0; i--) out = new vscode.SelectionRange(toRange(ranges[i]), out);
        return out ?? new vscode.SelectionRange(new vscode.Range(p, p));
      });
    },
  });
}
