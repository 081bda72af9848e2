/**
 * "nnmodel: Export to PyTorch": the generated code of one model in a new
 * untitled Python editor beside the source. Nothing is written to disk, so
 * there is nothing to trust or to overwrite; the user saves it where they like.
 */
import * as vscode from 'vscode';
import type { Analysis, ModelInfo } from '../core';
import { exportPyTorch, exportableModels, type ExportNote } from '../core/export/pytorch';
import { isNnmodel, type AnalysisCache } from './analysisCache';
import { modelAt } from './pure/lookup';

export const EXPORT_COMMAND = 'nnmodel.exportPyTorch';

/** The model to export: the named one, the only one, or a pick with the model at the cursor first. */
async function chooseModel(doc: vscode.TextDocument, analysis: Analysis, models: ModelInfo[], name: unknown): Promise<ModelInfo | undefined> {
  if (typeof name === 'string') return models.find((m) => m.name === name);
  if (models.length <= 1) return models[0];
  const editor = vscode.window.activeTextEditor;
  const here = editor?.document === doc ? modelAt(analysis, doc.offsetAt(editor.selection.active), doc.uri.toString()) : undefined;
  const ordered = here ? [here, ...models.filter((m) => m !== here)] : models;
  const picked = await vscode.window.showQuickPick(
    ordered.map((m) => ({
      label: m.name,
      description: `line ${m.nameRange.start.line + 1}${m === here ? ' · at the cursor' : ''}`,
      model: m,
    })),
    { placeHolder: 'Export which model to PyTorch?' },
  );
  return picked?.model;
}

/** One line per note for the information message. */
export function notesText(notes: readonly ExportNote[]): string {
  return notes
    .map((n) => `Line ${n.line}: ${n.message}${n.trainableDelta ? ` (${n.trainableDelta > 0 ? '+' : ''}${n.trainableDelta} parameters)` : ''}.`)
    .join(' ');
}

export function registerExport(cache: AnalysisCache): vscode.Disposable {
  return vscode.commands.registerCommand(EXPORT_COMMAND, async (uri?: vscode.Uri, modelName?: string) => {
    let doc: vscode.TextDocument | undefined;
    if (uri instanceof vscode.Uri) doc = await vscode.workspace.openTextDocument(uri);
    else if (vscode.window.activeTextEditor && isNnmodel(vscode.window.activeTextEditor.document)) doc = vscode.window.activeTextEditor.document;
    if (!doc) {
      void vscode.window.showInformationMessage('Open a .nnmodel file to export a model to PyTorch.');
      return;
    }
    const analysis = cache.get(doc);
    const model = await chooseModel(doc, analysis, exportableModels(analysis), modelName);
    if (!model) {
      if (typeof modelName === 'string') void vscode.window.showWarningMessage(`There is no model '${modelName}' in this file.`);
      else if (exportableModels(analysis).length === 0) void vscode.window.showInformationMessage('This file has no model to export.');
      return;
    }
    const file = doc.uri.path.split('/').pop() ?? 'model.nnmodel';
    const result = exportPyTorch(analysis, { model: model.name, sourceName: file });
    if (!result.ok) {
      const first = result.errors[0];
      const where = `line ${first.range.start.line + 1}`;
      const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
      void vscode.window.showErrorMessage(`Cannot export '${model.name}' to PyTorch: ${where}: ${first.message}${more}`);
      return;
    }
    const code = await vscode.workspace.openTextDocument({ language: 'python', content: result.code });
    await vscode.window.showTextDocument(code, { viewColumn: vscode.ViewColumn.Beside, preview: false });
    if (result.notes.length > 0) {
      void vscode.window.showInformationMessage(`${model.name} in PyTorch differs from the .nnmodel: ${notesText(result.notes)}`);
    }
  });
}
