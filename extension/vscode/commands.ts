/**
 * Commands: the model summary and opening an example (for the walkthrough).
 */
import * as vscode from 'vscode';
import type { ModelInfo } from '../core';
import { isNnmodel, LANGUAGE_ID, type AnalysisCache } from './analysisCache';
import { isLocal, modelAt } from './pure/lookup';
import { showSummary } from './summary';

async function documentFor(uri: vscode.Uri | undefined): Promise<vscode.TextDocument | undefined> {
  if (uri instanceof vscode.Uri) return vscode.workspace.openTextDocument(uri);
  const editor = vscode.window.activeTextEditor;
  return editor && isNnmodel(editor.document) ? editor.document : undefined;
}

async function pickModel(doc: vscode.TextDocument, cache: AnalysisCache, name: unknown): Promise<ModelInfo | undefined> {
  const analysis = cache.get(doc);
  const own = doc.uri.toString();
  const models = analysis.models.filter((m) => isLocal(m.uri, own));
  if (typeof name === 'string') return models.find((m) => m.name === name);
  const editor = vscode.window.activeTextEditor;
  if (editor?.document === doc) {
    const here = modelAt(analysis, doc.offsetAt(editor.selection.active), own);
    if (here) return here;
  }
  if (models.length <= 1) return models[0];
  const picked = await vscode.window.showQuickPick(
    models.map((m) => ({ label: m.name, description: `line ${m.nameRange.start.line + 1}`, model: m })),
    { placeHolder: 'Which model?' },
  );
  return picked?.model;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

/** Examples shipped in the extension's `examples/` folder. */
const DEFAULT_EXAMPLE = 'lenet5.nnmodel';

export function registerCommands(context: vscode.ExtensionContext, cache: AnalysisCache): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand('nnmodel.showSummary', async (uri?: vscode.Uri, modelName?: string) => {
      const doc = await documentFor(uri);
      if (!doc) {
        void vscode.window.showInformationMessage('Open a .nnmodel file to see a model summary.');
        return;
      }
      const model = await pickModel(doc, cache, modelName);
      if (!model) {
        if (typeof modelName === 'string') void vscode.window.showWarningMessage(`There is no model '${modelName}' in this file.`);
        else void vscode.window.showInformationMessage('This file has no model to summarise.');
        return;
      }
      await showSummary(doc.uri, model);
    }),
    vscode.commands.registerCommand('nnmodel.openExample', async (name?: string) => {
      const file = typeof name === 'string' && /^[\w-]+\.nnmodel$/.test(name) ? name : DEFAULT_EXAMPLE;
      const source = vscode.Uri.joinPath(context.extensionUri, 'examples', file);
      let content: string;
      try {
        content = new TextDecoder().decode(await vscode.workspace.fs.readFile(source));
      } catch {
        void vscode.window.showErrorMessage(`The example ${file} is missing from the extension.`);
        return;
      }
      // An untitled copy named like the example: free to edit, nothing is written until the user saves it
      // (Save proposes the workspace folder, where relative imports also resolve).
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const target = folder
        ? vscode.Uri.joinPath(folder, file).with({ scheme: 'untitled' })
        : vscode.Uri.from({ scheme: 'untitled', path: file });
      const existing = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString());
      let doc: vscode.TextDocument;
      if (existing && existing.getText().length > 0) doc = existing;
      else if (folder && (await exists(vscode.Uri.joinPath(folder, file)))) {
        // A file of that name already exists in the workspace: an anonymous untitled editor avoids touching it.
        doc = await vscode.workspace.openTextDocument({ language: LANGUAGE_ID, content });
      } else {
        doc = await vscode.workspace.openTextDocument(target);
        const edit = new vscode.WorkspaceEdit();
        edit.insert(target, new vscode.Position(0, 0), content);
        await vscode.workspace.applyEdit(edit);
        if (doc.languageId !== LANGUAGE_ID) doc = await vscode.languages.setTextDocumentLanguage(doc, LANGUAGE_ID);
      }
      await vscode.window.showTextDocument(doc, { preview: false });
    }),
  );
}
