/**
 * Inlay hints at line ends: the output shape of the line's last call and the
 * parameters of its calls, e.g. `→ [28, 28, 6] · 156 params`.
 *
 * Tooltips are filled in only when VS Code resolves a hint (on hover): the
 * extension host parses every markdown tooltip it sends, and doing that for
 * each visible line after each keystroke cost more than the hints themselves.
 */
import * as vscode from 'vscode';
import type { AnalysisCache } from './analysisCache';
import { codeLength } from './pure/scan';
import { lastCallStarts, lineHints } from './pure/text';
import { toMarkdown } from './convert';

export function registerInlayHints(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  /** The tooltip of each hint handed out; VS Code drops its hints (and so these entries) on the next request. */
  const tooltips = new WeakMap<vscode.InlayHint, string>();
  const provider: vscode.InlayHintsProvider = {
    onDidChangeInlayHints: changed.event,
    provideInlayHints(doc, range) {
      const config = vscode.workspace.getConfiguration('nnmodel', doc);
      if (!config.get<boolean>('inlayHints.enabled', true)) return [];
      const analysis = cache.get(doc);
      // This file's errors: a line with one after its last analysed call gets no hint (lineHints).
      const errors = analysis.diagnostics.filter((d) => d.severity === 'error' && d.uri === undefined).map((d) => d.range);
      // VS Code cuts a longer label with "…"; the label starts with a space (below), so one character less.
      const maxLength = vscode.workspace.getConfiguration('editor', doc).get<number>('inlayHints.maximumLength', 43);
      const hints = lineHints(
        analysis.sites,
        config.get<boolean>('inlayHints.showParams', true),
        { from: range.start.line, to: range.end.line },
        errors,
        lastCallStarts(analysis.file),
        { maxLength: maxLength > 0 ? maxLength - 1 : 0, codeLength: (line) => (line < doc.lineCount ? codeLength(doc.lineAt(line).text) : 0) },
      );
      return hints
        .filter((h) => h.line < doc.lineCount)
        .map((h) => {
          const text = doc.lineAt(h.line).text;
          // paddingLeft alone is a third of a character, which reads as `relu→ [56, …`: a space before the label too.
          const hint = new vscode.InlayHint(new vscode.Position(h.line, codeLength(text)), ` ${h.label}`);
          hint.paddingLeft = true;
          tooltips.set(hint, h.tooltip);
          return hint;
        });
    },
    resolveInlayHint(hint) {
      const tooltip = tooltips.get(hint);
      if (tooltip !== undefined) hint.tooltip = toMarkdown(tooltip);
      return hint;
    },
  };
  return vscode.Disposable.from(
    changed,
    vscode.languages.registerInlayHintsProvider(selector, provider),
    // An imported file's change alters shapes here without an edit: ask VS Code to refresh then.
    // After an edit VS Code asks again by itself; firing then would only postpone its request.
    cache.onDidAnalyze((e) => {
      if (e.cause === 'dependency') changed.fire();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('nnmodel.inlayHints')) changed.fire();
    }),
  );
}
