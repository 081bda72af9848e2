/**
 * "nnmodel: Export to PyTorch": the generated code of one model in a new
 * untitled Python editor beside the source. Nothing is written to disk, so
 * there is nothing to trust or to overwrite; the user saves it where they like.
 *
 * When the model has a checkpoint (from Train Model, where Load Trained
 * Weights finds it), the command asks whether to include the trained
 * weights; then the code and a safetensors file of the weights are written
 * where the user says (a save dialog, `<Model>.py` beside the source by
 * default), each through a temporary file and a rename.
 */
import * as vscode from 'vscode';
import type { Analysis, ModelInfo } from '../core';
import { exportPyTorch, exportableModels, type ExportNote } from '../core/export/pytorch';
import { convertCheckpoint, encodeSafetensors, safetensorsMetadata, trainedClasses, weightsPathFor } from '../core/export/weights';
import { asFeatureStats, checkpointFit, checkpointMisfit, epochValLoss, knownAnalysisSignature, readCheckpoint, readModelCheckpoint, type ModelJson } from '../core/runtime/checkpoint';
import { bestText } from '../core/runtime/overfit';
import { nodeCheckpointFs } from '../core/runtime/nodeFs';
import { asTokenizerSpec } from '../core/runtime/tokenizers';
import { isNnmodel, type AnalysisCache } from './analysisCache';
import { modelAt } from './pure/lookup';
import { plural } from '../core/plural';

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
    .map((n) => `Line ${n.line}: ${n.message}${n.trainableDelta ? ` (${n.trainableDelta > 0 ? '+' : ''}${plural(n.trainableDelta, 'parameter')})` : ''}.`)
    .join(' ');
}

/** The checkpoint of `model` where training writes it (the setting nnmodel.checkpoints.folder); undefined when there is none. */
async function findCheckpoint(doc: vscode.TextDocument, model: string): Promise<{ modelJson: ModelJson; weights: Uint8Array; dir: string } | undefined> {
  // A checkpoint is read from disk: only for saved files in a trusted workspace, as Load Trained Weights does.
  if (doc.uri.scheme !== 'file' || !vscode.workspace.isTrusted) return undefined;
  const folder = vscode.workspace.getConfiguration('nnmodel', doc).get<string>('checkpoints.folder') || undefined;
  try {
    const ck = await readModelCheckpoint(nodeCheckpointFs(), doc.uri.fsPath, model, folder);
    return ck.modelJson.nnmodel.model === model ? ck : undefined;
  } catch {
    // None (the common case) or damaged: export the code alone; Load Trained Weights reports a damaged one.
    return undefined;
  }
}

/** Writes `data` to `target` through a temporary file beside it and a rename, so a reader never sees half a file. */
async function writeAtomic(target: vscode.Uri, data: Uint8Array): Promise<void> {
  const name = target.path.split('/').pop() ?? 'export';
  const tmp = vscode.Uri.joinPath(target, '..', `.${name}.${Date.now().toString(36)}.tmp`);
  try {
    await vscode.workspace.fs.writeFile(tmp, data);
    await vscode.workspace.fs.rename(tmp, target, { overwrite: true });
  } catch (err) {
    await vscode.workspace.fs.delete(tmp).then(undefined, () => undefined);
    throw err;
  }
}

/**
 * The export with trained weights: asks where to save `<Model>.py`, writes
 * `<Model>.safetensors` beside it and opens the code; nothing is written
 * when the dialog is cancelled or the checkpoint does not fit the model.
 */
async function exportWithWeights(
  doc: vscode.TextDocument,
  analysis: Analysis,
  model: ModelInfo,
  ck: { modelJson: ModelJson; weights: Uint8Array; dir: string },
): Promise<void> {
  const source = doc.uri.path.split('/').pop() ?? 'model.nnmodel';
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.joinPath(doc.uri, '..', `${model.name}.py`),
    filters: { Python: ['py'] },
    title: `Export ${model.name} with its trained weights (the weights go beside the .py)`,
    saveLabel: 'Export',
  });
  if (!target) return;
  const pyName = target.path.split('/').pop()!;
  const weightsName = weightsPathFor(pyName);
  const weightsUri = vscode.Uri.joinPath(target, '..', weightsName);
  // A model trained on a CSV standardises its raw rows with the statistics saved in its checkpoint.
  const featureStats = asFeatureStats(ck.modelJson.nnmodel.data?.featureStats);
  const featureStatsSource = `the checkpoint of epoch ${ck.modelJson.nnmodel.epoch} (${vscode.workspace.asRelativePath(ck.dir, false)})`;
  // A classifier's outputs stand for the classes of its data: CLASSES in the code.
  const classes = trainedClasses(ck.modelJson);
  // A language model reads and writes text with the tokeniser of its training text: encode and decode in the code.
  const tokenizer = asTokenizerSpec(ck.modelJson.nnmodel.data?.tokenizer);
  const result = exportPyTorch(analysis, {
    model: model.name,
    sourceName: source,
    weightsFile: weightsName,
    featureStats,
    featureStatsSource,
    ...(classes ? { classes, classesSource: ck.modelJson.nnmodel.data?.source } : {}),
    ...(tokenizer ? { tokenizer, tokenizerSource: ck.modelJson.nnmodel.data?.source } : {}),
  });
  if (!result.ok) {
    const first = result.errors[0];
    const more = result.errors.length > 1 ? ` (and ${result.errors.length - 1} more)` : '';
    void vscode.window.showErrorMessage(`Cannot export '${model.name}' to PyTorch: line ${first.range.start.line + 1}: ${first.message}${more}`);
    return;
  }
  const converted = convertCheckpoint(result.modules[model.name], ck.modelJson, ck.weights, vscode.workspace.asRelativePath(ck.dir, false));
  if (!converted.ok) {
    const first = converted.errors[0];
    const more = converted.errors.length > 1 ? ` (and ${converted.errors.length - 1} more)` : '';
    // Line 0: a problem of the model as a whole (the checkpoint's model), not of one layer.
    const where = first.line > 0 ? `line ${first.line}: ` : '';
    void vscode.window.showErrorMessage(`Cannot export the trained weights of '${model.name}': ${where}${first.message}${more}. Train the model again, or export the code only.`);
    return;
  }
  const meta = ck.modelJson.nnmodel;
  const metadata = safetensorsMetadata({ model: model.name, source, epoch: meta.epoch, generatedBy: 'nnmodel', filled: converted.filled });
  const notTrained = metadata.not_trained;
  const bytes = encodeSafetensors(converted.tensors, metadata);
  try {
    // The weights first: the code that names them never points at a missing or older file.
    await writeAtomic(weightsUri, bytes);
    await writeAtomic(target, new TextEncoder().encode(result.code));
  } catch (err) {
    void vscode.window.showErrorMessage(`Cannot write the export of '${model.name}': ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  const code = await vscode.workspace.openTextDocument(target);
  await vscode.window.showTextDocument(code, { viewColumn: vscode.ViewColumn.Beside, preview: false });
  void vscode.window.showInformationMessage(
    exportedText({ model: model.name, pyName, weightsName, epoch: meta.epoch, featureColumns: featureStats?.names.length, notTrained, notes: result.notes }),
  );
}

/** The notification of an export with weights, in plain text: a notification shows backticks as they are. */
export function exportedText(o: { model: string; pyName: string; weightsName: string; epoch: number; featureColumns?: number; notTrained?: string; notes: readonly ExportNote[] }): string {
  const filled = o.notTrained ? ` Not trained values: ${o.notTrained}.` : '';
  const standardised = o.featureColumns ? ` It standardises its ${o.featureColumns} CSV feature columns with the training statistics, so it takes raw rows.` : '';
  const notes = o.notes.length > 0 ? ` Differences: ${notesText(o.notes)}` : '';
  return `Exported ${o.model} to ${o.pyName} with the trained weights of epoch ${o.epoch} in ${o.weightsName}; running "python ${o.pyName}" loads them.${standardised}${filled}${notes}`;
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
    const ck = await findCheckpoint(doc, model.name);
    // The best checkpoint (lowest val_loss) training keeps beside the last one, when it kept one.
    const best = ck && (await readCheckpoint(nodeCheckpointFs(), ck.dir, { which: 'best' }).then((b) => (b.modelJson.nnmodel.model === model.name ? { ...b, dir: ck.dir } : undefined), () => undefined));
    if (ck) {
      const epoch = ck.modelJson.nnmodel.epoch;
      const bestValLoss = best && epochValLoss(best.modelJson.nnmodel);
      // Marked as the other checkpoint pickers mark it (exportWithWeights then refuses it, naming each layer).
      const current = knownAnalysisSignature(model);
      const misfit = (m: ModelJson) => {
        const text = current && Array.isArray(m.nnmodel.signature) ? checkpointMisfit(checkpointFit(m.nnmodel.signature, current)) : undefined;
        return text ? { detail: `$(warning) ${text}` } : {};
      };
      const choice = await vscode.window.showQuickPick(
        [
          { label: 'Include the trained weights', description: `epoch ${epoch}: writes ${model.name}.py and ${model.name}.safetensors where you choose`, ...misfit(ck.modelJson), weights: ck },
          ...(best
            ? [{
                label: 'Include the best weights',
                // A stale best (its folder's run had a lower val_loss, whose write failed) is not called the lowest, and says why.
                description: best.warning
                  ? `epoch ${best.modelJson.nnmodel.epoch}: best.json — ${best.warning}`
                  : `${bestValLoss !== undefined ? bestText({ epoch: best.modelJson.nnmodel.epoch, valLoss: bestValLoss }) : `epoch ${best.modelJson.nnmodel.epoch}`}: best.json`,
                ...misfit(best.modelJson),
                weights: best,
              }]
            : []),
          { label: 'Code only', description: 'fresh initialisation, in a new editor', weights: undefined },
        ],
        { placeHolder: `${model.name} has a checkpoint (epoch ${epoch}). Export its trained weights too?` },
      );
      if (!choice) return;
      if (choice.weights) {
        await exportWithWeights(doc, analysis, model, choice.weights);
        return;
      }
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
