/**
 * The model summary view: a read-only virtual markdown document per model,
 * shown in the markdown preview, that follows the analysis as the file changes.
 */
import * as vscode from 'vscode';
import type { ModelInfo } from '../core';
import type { AnalysisCache } from './analysisCache';
import { isLocal } from './pure/lookup';
import { summaryMarkdown } from './pure/text';
import { DIMENSIONS_SETTING, sizesFor } from './sizes';

export const SUMMARY_SCHEME = 'nnmodel-summary';

/** `nnmodel-summary:/LeNet5 summary.md?<document uri>` */
export function summaryUri(doc: vscode.Uri, model: string): vscode.Uri {
  return vscode.Uri.from({ scheme: SUMMARY_SCHEME, path: `/${model} summary.md`, query: doc.toString() });
}

function parseSummaryUri(uri: vscode.Uri): { doc: vscode.Uri; model: string } | undefined {
  const m = /^\/(.*) summary\.md$/.exec(uri.path);
  if (!m || !uri.query) return undefined;
  return { doc: vscode.Uri.parse(uri.query), model: m[1] };
}

export class SummaryProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly open = new Set<string>();
  private readonly subs: vscode.Disposable[];

  constructor(private readonly cache: AnalysisCache) {
    this.subs = [
      this.changed,
      cache.onDidAnalyze(({ document }) => {
        for (const key of this.open) {
          const uri = vscode.Uri.parse(key);
          if (parseSummaryUri(uri)?.doc.toString() === document.uri.toString()) this.changed.fire(uri);
        }
      }),
      // The sizes and the batch size are settings: an open summary shows their new values at once.
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(DIMENSIONS_SETTING) && !e.affectsConfiguration('nnmodel.memory')) return;
        for (const key of this.open) this.changed.fire(vscode.Uri.parse(key));
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        if (d.uri.scheme === SUMMARY_SCHEME) this.open.delete(d.uri.toString());
      }),
    ];
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const target = parseSummaryUri(uri);
    if (!target) return 'Not a model summary.';
    this.open.add(uri.toString());
    let doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.doc.toString());
    if (!doc) {
      try {
        doc = await vscode.workspace.openTextDocument(target.doc);
      } catch {
        return `# ${target.model}\n\nThe file ${target.doc.toString()} could not be opened.\n`;
      }
    }
    const analysis = this.cache.get(doc);
    const model = analysis.models.find((m) => m.name === target.model && isLocal(m.uri, doc.uri.toString()));
    if (!model) return `# ${target.model}\n\nThere is no model \`${target.model}\` in ${vscode.workspace.asRelativePath(doc.uri)} any more.\n`;
    const batch = vscode.workspace.getConfiguration('nnmodel', doc).get<number>('memory.batchSize', 32);
    return summaryMarkdown(model, batch, vscode.workspace.asRelativePath(doc.uri), sizesFor(doc, analysis, model));
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}

/** Opens the live summary of a model beside the editor. */
export async function showSummary(doc: vscode.Uri, model: ModelInfo | string): Promise<void> {
  const name = typeof model === 'string' ? model : model.name;
  const uri = summaryUri(doc, name);
  try {
    await vscode.commands.executeCommand('markdown.showPreviewToSide', uri);
  } catch {
    // Without the built-in markdown extension the markdown text itself is still a readable table.
    const text = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(text, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  }
}
