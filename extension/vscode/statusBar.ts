/**
 * The model at the cursor in the status bar: name, parameters, MACs; a click
 * opens its summary.
 */
import * as vscode from 'vscode';
import { isNnmodel, type AnalysisCache } from './analysisCache';
import { modelAt } from './pure/lookup';
import { modelStatusText, modelStatusTooltip } from './pure/text';

export function registerStatusBar(cache: AnalysisCache): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('nnmodel.model', vscode.StatusBarAlignment.Right, 100);
  item.name = 'nnmodel: model at cursor';
  /** What the item shows now: every change is a message to the window, so an unchanged one is not sent again. */
  let shown: string | undefined;
  const hide = () => {
    shown = undefined;
    item.hide();
  };
  const update = () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !isNnmodel(editor.document)) {
      hide();
      return;
    }
    const doc = editor.document;
    // Never analyse here: a keystroke moves the cursor, and analysing in that event would skip the
    // cache's scheduling (and its debounce for slow files). The analysis of the edit follows and updates
    // this item; until then the previous one is close enough for a status line.
    const analysis = cache.current(doc) ?? cache.peek(doc.uri);
    if (!analysis) {
      hide();
      return;
    }
    const own = doc.uri.toString();
    const offset = doc.offsetAt(editor.selection.active);
    const local = analysis.models.filter((m) => m.uri === undefined || m.uri === own);
    // Outside every model, a file with a single model still has an obvious one to show.
    const model = modelAt(analysis, offset, own) ?? (local.length === 1 ? local[0] : undefined);
    if (!model) {
      hide();
      return;
    }
    const text = `${model.hasErrors ? '$(warning)' : '$(symbol-class)'} ${modelStatusText(model)}`;
    const tooltip = modelStatusTooltip(model);
    const key = `${own}\n${model.name}\n${text}\n${tooltip}`;
    if (key === shown) return;
    shown = key;
    item.text = text;
    // supportThemeIcons: the tooltip's $(warning) is drawn as the icon.
    item.tooltip = new vscode.MarkdownString(tooltip, true);
    item.command = { title: 'Show Summary', command: 'nnmodel.showSummary', arguments: [doc.uri, model.name] };
    item.show();
  };
  update();
  return vscode.Disposable.from(
    item,
    vscode.window.onDidChangeActiveTextEditor(update),
    vscode.window.onDidChangeTextEditorSelection((e) => {
      if (e.textEditor === vscode.window.activeTextEditor) update();
    }),
    cache.onDidAnalyze(({ document }) => {
      if (document === vscode.window.activeTextEditor?.document) update();
    }),
  );
}
