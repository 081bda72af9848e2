/**
 * Quick fixes from the fixes the analysis attaches to its diagnostics.
 */
import * as vscode from 'vscode';
import type { Diagnostic } from '../core';
import type { AnalysisCache } from './analysisCache';
import { toRange, toTextEdit } from './convert';

function sameDiagnostic(d: Diagnostic, v: vscode.Diagnostic): boolean {
  const code = typeof v.code === 'object' ? v.code.value : v.code;
  return code === d.code && v.message === d.message && toRange(d.range).isEqual(v.range);
}

export function registerCodeActions(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  const provider: vscode.CodeActionProvider = {
    provideCodeActions(doc, range, context) {
      if (context.only && !vscode.CodeActionKind.QuickFix.intersects(context.only)) return [];
      const analysis = cache.get(doc);
      const own = doc.uri.toString();
      const actions: vscode.CodeAction[] = [];
      for (const d of analysis.diagnostics) {
        if (!d.fixes?.length || (d.uri !== undefined && d.uri !== own)) continue;
        const dr = toRange(d.range);
        const linked = context.diagnostics.find((v) => sameDiagnostic(d, v));
        if (!linked && !dr.intersection(range)) continue;
        d.fixes.forEach((fix, i) => {
          const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
          const edit = new vscode.WorkspaceEdit();
          edit.set(doc.uri, fix.edits.map(toTextEdit));
          action.edit = edit;
          if (linked) action.diagnostics = [linked];
          // The first fix of a diagnostic is the likeliest when the core did not say.
          action.isPreferred = fix.preferred ?? (i === 0 && d.fixes!.length === 1);
          actions.push(action);
        });
      }
      return actions;
    },
  };
  return vscode.languages.registerCodeActionsProvider(selector, provider, {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
  });
}
