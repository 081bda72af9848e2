/**
 * Inlay hints at line ends: the output shape of the line's last call and the
 * parameters of its calls, e.g. `→ [28, 28, 6] · 156 params`.
 */
import * as vscode from 'vscode';
import type { AnalysisCache } from './analysisCache';
import { codeLength } from './pure/scan';
import { lineHints } from './pure/text';
import { toMarkdown } from './convert';

export function registerInlayHints(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  const provider: vscode.InlayHintsProvider = {
    onDidChangeInlayHints: changed.event,
    provideInlayHints(doc, range) {
      const config = vscode.workspace.getConfiguration('nnmodel', doc);
      if (!config.get<boolean>('inlayHints.enabled', true)) return [];
      const analysis = cache.get(doc);
      const hints = lineHints(analysis.sites, config.get<boolean>('inlayHints.showParams', true), {
        from: range.start.line,
        to: range.end.line,
      });
      return hints
        .filter((h) => h.line < doc.lineCount)
        .map((h) => {
          const text = doc.lineAt(h.line).text;
          const hint = new vscode.InlayHint(new vscode.Position(h.line, codeLength(text)), h.label);
          hint.paddingLeft = true;
          hint.tooltip = toMarkdown(h.tooltip);
          return hint;
        });
    },
  };
  return vscode.Disposable.from(
    changed,
    vscode.languages.registerInlayHintsProvider(selector, provider),
    // Hints come from the analysis, which lands after the debounce: ask VS Code to refresh then.
    cache.onDidAnalyze(() => changed.fire()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('nnmodel.inlayHints')) changed.fire();
    }),
  );
}
