/**
 * Over each model: its totals (`61.7K params · 416.5K MACs`, marked
 * `⚠ incomplete:` while the model has errors) and a Summary action;
 * Inspect and Train actions when those commands exist.
 */
import * as vscode from 'vscode';
import type { AnalysisCache } from './analysisCache';
import { toRange } from './convert';
import { isLocal } from './pure/lookup';
import { modelLensTitle, modelLensTooltip } from './pure/text';

/** Commands another part of the extension may contribute; lenses appear only when they are registered. */
const OPTIONAL_COMMANDS = [
  { id: 'nnmodel.openInspector', title: 'Inspect' },
  { id: 'nnmodel.train', title: 'Train' },
] as const;

/** What a lens stands for until VS Code resolves it (only lenses on screen are resolved). */
interface LensData {
  doc: vscode.TextDocument;
  model: string;
  command: string;
  /** Undefined for the totals lens: its title is the model's parameters and MACs, read when it is resolved. */
  title?: string;
}

export function registerCodeLens(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  const changed = new vscode.EventEmitter<void>();
  let known: { at: number; ids: Set<string> } | undefined;
  const availableCommands = async (): Promise<Set<string>> => {
    // Commands are registered during activation; re-check now and then rather than on every keystroke.
    if (!known || Date.now() - known.at > 5000) known = { at: Date.now(), ids: new Set(await vscode.commands.getCommands(true)) };
    return known.ids;
  };
  const data = new WeakMap<vscode.CodeLens, LensData>();
  // VS Code asks for every lens of the file after each edit but resolves only those on screen: lenses go out as
  // bare ranges and get their titles and commands on resolve. In a file of hundreds of models this keeps each
  // edit's reply small (no command, arguments or title per lens) and the totals are formatted only for what shows.
  const provider: vscode.CodeLensProvider = {
    onDidChangeCodeLenses: changed.event,
    async provideCodeLenses(doc) {
      if (!vscode.workspace.getConfiguration('nnmodel', doc).get<boolean>('codeLens.enabled', true)) return [];
      const analysis = cache.get(doc);
      const ids = await availableCommands();
      const own = doc.uri.toString();
      const lenses: vscode.CodeLens[] = [];
      const trained = new Set(analysis.trains.map((t) => t.model));
      const add = (at: vscode.Range, model: string, command: string, title?: string) => {
        const lens = new vscode.CodeLens(at);
        data.set(lens, { doc, model, command, title });
        lenses.push(lens);
      };
      for (const m of analysis.models) {
        if (!isLocal(m.uri, own)) continue;
        const at = toRange(m.nameRange);
        add(at, m.name, 'nnmodel.showSummary');
        add(at, m.name, 'nnmodel.showSummary', 'Summary');
        for (const c of OPTIONAL_COMMANDS) {
          if (!ids.has(c.id)) continue;
          if (c.id === 'nnmodel.train' && !trained.has(m.name)) continue;
          add(at, m.name, c.id, c.title);
        }
      }
      return lenses;
    },
    resolveCodeLens(lens) {
      const d = data.get(lens);
      if (!d) return lens;
      const args = [d.doc.uri, d.model];
      if (d.title !== undefined) {
        lens.command = { title: d.title, command: d.command, arguments: args };
        return lens;
      }
      // The analysis as of now: an edit since the lenses were listed shows its totals at once.
      const m = d.doc.isClosed ? undefined : cache.get(d.doc).models.find((x) => x.name === d.model && isLocal(x.uri, d.doc.uri.toString()));
      lens.command = { title: m ? modelLensTitle(m) : d.model, tooltip: m ? modelLensTooltip(m) : undefined, command: d.command, arguments: args };
      return lens;
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
