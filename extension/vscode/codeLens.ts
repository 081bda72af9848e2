/**
 * Over each model: its totals (`61,706 params · 416.5K MACs`) and a Summary
 * action; Inspect and Train actions when those commands exist.
 */
import * as vscode from 'vscode';
import type { AnalysisCache } from './analysisCache';
import { toRange } from './convert';
import { isLocal } from './pure/lookup';
import { modelLensTitle } from './pure/text';

/** Commands another part of the extension may contribute; lenses appear only when they are registered. */
const OPTIONAL_COMMANDS = [
  { id: 'nnmodel.openInspector', title: 'Inspect' },
  { id: 'nnmodel.train', title: 'Train' },
] as const;

export function registerCodeLens(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  let known: { at: number; ids: Set<string> } | undefined;
  const availableCommands = async (): Promise<Set<string>> => {
    // Commands are registered during activation; re-check now and then rather than on every keystroke.
    if (!known || Date.now() - known.at > 5000) known = { at: Date.now(), ids: new Set(await vscode.commands.getCommands(true)) };
    return known.ids;
  };
  const provider: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    async provideCodeLenses(doc) {
      if (!vscode.workspace.getConfiguration('nnmodel', doc).get<boolean>('codeLens.enabled', true)) return [];
      const analysis = cache.get(doc);
      const ids = await availableCommands();
      const own = doc.uri.toString();
      const lenses: vscode.CodeLens[] = [];
      const trained = new Set(analysis.trains.map((t) => t.model));
      for (const m of analysis.models) {
        if (!isLocal(m.uri, own)) continue;
        const at = toRange(m.nameRange);
        lenses.push(
          new vscode.CodeLens(at, {
            title: modelLensTitle(m),
            tooltip: 'Parameters and multiply-accumulates per example — click for the summary',
            command: 'nnmodel.showSummary',
            arguments: [doc.uri, m.name],
          }),
          new vscode.CodeLens(at, { title: 'Summary', command: 'nnmodel.showSummary', arguments: [doc.uri, m.name] }),
        );
        for (const c of OPTIONAL_COMMANDS) {
          if (!ids.has(c.id)) continue;
          if (c.id === 'nnmodel.train' && !trained.has(m.name)) continue;
          lenses.push(new vscode.CodeLens(at, { title: c.title, command: c.id, arguments: [doc.uri, m.name] }));
        }
      }
      return lenses;
    },
  };
  return vscode.Disposable.from(
    changed,
    vscode.languages.registerCodeLensProvider(selector, provider),
    // After an edit VS Code asks again by itself; firing then would only postpone its request.
    cache.onDidAnalyze((e) => {
      if (e.cause === 'dependency') changed.fire();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('nnmodel.codeLens')) changed.fire();
    }),
  );
}
