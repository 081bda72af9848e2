/**
 * Diagnostics about the files a train section reads (`data: csv(...)`,
 * `images(...)`, `text(...)`), for where files can be read (`nnmodel
 * check`; the editor's host could use it too): what would stop training
 * when it reads them, found before it starts, on the data source in the
 * train section.
 *
 * - `train.data_not_found` (a warning: the data may exist only on the
 *   machine that trains): the file or folder does not exist;
 * - `train.data_file`: data training would refuse: outside the roots, the
 *   wrong kind (a folder for csv/text, a file for images, a device or FIFO),
 *   over `MAX_FILE_BYTES`, a CSV training cannot use (no label column, a
 *   value that is not a number, one class only, ...: the loader's message),
 *   or an image folder it cannot use (fewer than 2 class sub-folders, an
 *   empty one, an image outside them);
 * - `train.data_shape`: a CSV's examples (one value per feature column)
 *   cannot be the model's input (`[2]` for a `[32, 32, 1]` model), as
 *   training's `checkDataFits` would say;
 * - `train.classes`: a CSV's label column or an image folder has more
 *   classes than the model outputs values, or more than two under
 *   binary_crossentropy, which training refuses too.
 *
 * Where training reads data is where this looks: inside `roots` (as
 * training's, `nnmodel train --data-root`; none: the file's folder). A path
 * that resolves outside them is `train.data_file` with training's own
 * refusal, and is never opened, so nothing of a file there (/etc/shadow,
 * /proc/self/environ) reaches the output. Inside them, each path is
 * `stat`ed before anything is read: csv and text need a regular file within
 * the loader's `MAX_FILE_BYTES` (a device such as /dev/zero, a FIFO or a
 * folder is `train.data_file`, never read), images a folder.
 *
 * CSVs are then read and checked by the loader training uses
 * (`loadDataset`); image folders are listed as training lists them
 * (`listImageFolder`), never decoded, and texts only looked at (decoding
 * every image or tokenising a text is the cost of training, not of a
 * check). Pure: file access goes through `DataFs`.
 */
import type { TrainDecl } from '../syntax/ast';
import { shapeToString } from '../analysis/sym';
import type { Analysis, DataSource, Diagnostic, ModelInfo, TrainInfo } from '../analysis/types';
import { DataError, joinPath, listImageFolder, loadDataset, resolveDataPath, unreadableFile, type DataFs, type DataStat } from './data/files';
import { outputSizeAdvice } from './dataFit';

export interface DataCheckOptions {
  /** Folder of the .nnmodel file: data paths are relative to it. */
  baseDir: string;
  /** Folders the data may be read from, as training's (`--data-root`); empty or absent: only `baseDir`, training's default. */
  roots?: readonly string[];
  fs: DataFs;
}

/** The diagnostics of the data files of the analysed file's train sections. */
export async function checkDataFiles(analysis: Analysis, o: DataCheckOptions): Promise<Diagnostic[]> {
  const decls = analysis.file.items.filter((i): i is TrainDecl => i.kind === 'train');
  const out: Diagnostic[] = [];
  for (const decl of decls) {
    const train = analysis.trains.find((t) => t.range.start.offset === decl.range.start.offset && t.model === decl.name.name);
    const data = train?.config.data;
    if (!train || !data || !('path' in data)) continue;
    const range = decl.entries.find((e) => e.key.name === 'data')?.value.range ?? decl.name.range;
    const d = await checkSource(data, train, analysis.models.find((m) => m.name === train.model), o);
    // A missing file is a warning: the data may live only where the model trains (a cluster); a file that is there and cannot train is an error.
    if (d) out.push({ ...d, severity: d.code === 'train.data_not_found' ? 'warning' : 'error', range });
  }
  return out;
}

async function checkSource(
  data: Extract<DataSource, { path: string }>,
  train: TrainInfo,
  model: ModelInfo | undefined,
  o: DataCheckOptions,
): Promise<Pick<Diagnostic, 'code' | 'message'> | undefined> {
  const joined = joinPath(o.baseDir, data.path);
  const what = data.kind === 'images' ? 'folder' : 'file';
  try {
    await o.fs.realPath(joined);
  } catch {
    // `"data\new.csv"`: an escape of the string (`\n`, `\t`) in what was meant as a Windows path.
    const escaped = /[\n\t\r]/.test(data.path) ? ` The path holds a ${/\t/.test(data.path) ? 'tab' : 'line break'}: in a string, \\n and \\t are those; separate folders with /, which works on Windows too.` : '';
    return { code: 'train.data_not_found', message: `${data.kind}: no ${what} '${visible(data.path)}' (looked for ${visible(joined)}; paths are relative to this file): training here would have no data.${escaped}` };
  }
  const roots = o.roots ?? [];
  let real: string;
  try {
    // Training's own check and refusal: a path outside the roots is not opened, so nothing of it is shown.
    real = await resolveDataPath(data.path, { baseDir: o.baseDir, roots, fs: o.fs });
  } catch (e) {
    // The same refusal as training's; the CLI's way to widen the folders.
    if (e instanceof DataError) return { code: 'train.data_file', message: `${data.kind}: ${e.message} nnmodel train refuses it too; --data-root DIR adds a folder.` };
    throw e;
  }
  let st: DataStat;
  try {
    st = await o.fs.stat(real);
  } catch (e) {
    return { code: 'train.data_file', message: `${data.kind}: ${data.path}: cannot be read (${e instanceof Error ? e.message : String(e)}).` };
  }
  if (data.kind === 'images') {
    if (!st.isDirectory) {
      return { code: 'train.data_file', message: `images: ${data.path}: is ${st.isFile ? 'a file' : 'not a folder'}; images(...) needs a folder with one sub-folder of images per class.` };
    }
    // The folders are listed as training lists them (nothing decoded): what it would stop on, and the classes it would find.
    try {
      const { classes } = await listImageFolder(data.path, { baseDir: o.baseDir, roots, fs: o.fs });
      return classCheck(data.path, classes, train, model);
    } catch (e) {
      if (e instanceof DataError) return { code: 'train.data_file', message: e.message };
      throw e;
    }
  }
  // csv and text: a regular file the loader would read (kind and size from stat alone; nothing is read before).
  const why = unreadableFile(st, data.path);
  if (why) return { code: 'train.data_file', message: `${data.kind}: ${why} ${data.kind}(...) needs a ${data.kind === 'csv' ? 'CSV' : 'text'} file.` };
  if (data.kind !== 'csv') return undefined;
  try {
    const ds = await loadDataset(data, { baseDir: o.baseDir, roots, fs: o.fs, loss: train.config.loss });
    const examples = ds.exampleShape;
    if (!model || model.hasErrors || model.inputs.length !== 1) return undefined;
    const input = model.inputs[0].shape;
    const fits = input.dims.length === examples.length && input.dims.every((d, k) => d.value === undefined || d.value === examples[k]);
    const names = ds.featureStats?.names ?? [];
    const columns = names.length ? ` (${names.join(', ')})` : '';
    if (!fits || input.isInt) {
      return {
        code: 'train.data_shape',
        message: `${data.path} gives examples of [${examples.join(', ')}], one number per feature column${columns}, but '${model.name}' takes ${shapeToString(input)}: a csv feeds a model whose input is [${examples.join(', ')}].`,
      };
    }
    return classCheck(data.path, ds.classes, train, model);
  } catch (e) {
    if (e instanceof DataError) return { code: 'train.data_file', message: e.message };
    throw e;
  }
}

/**
 * `train.classes` when the data has more classes than the model's output
 * has values (crossentropy, one class per example): training's
 * `checkDataFits` refuses it once the data is read. Fewer classes than
 * outputs trains (with a warning at the start of the run). Also when
 * binary_crossentropy (labels 0 and 1) meets more than two classes, which
 * training refuses too. crossentropy on a one-value output is the
 * analysis's `train.loss_output` already (one problem, one diagnostic).
 */
function classCheck(
  path: string,
  classes: readonly string[],
  train: TrainInfo,
  model: ModelInfo | undefined,
): Pick<Diagnostic, 'code' | 'message'> | undefined {
  const loss = train.config.loss;
  if (!model || model.hasErrors || model.outputs.length !== 1 || (loss !== 'crossentropy' && loss !== 'binary_crossentropy') || classes.length === 0) return undefined;
  const dims = model.outputs[0].shape.dims;
  const outputs = dims[dims.length - 1]?.value;
  const shown = classes.length <= 8 ? ` (${classes.join(', ')})` : '';
  if (loss === 'binary_crossentropy') {
    if (classes.length <= 2) return undefined;
    const end = outputs === classes.length ? '' : ` and end the model with dense(${classes.length}) -> softmax`;
    return {
      code: 'train.classes',
      message: `${path} has ${classes.length} classes${shown}, but binary_crossentropy takes two: it scores each output as the probability of label 1 against label 0. Use loss: crossentropy${end}.`,
    };
  }
  if (outputs === undefined || outputs < 2 || outputs >= classes.length) return undefined;
  return {
    code: 'train.classes',
    message: `${path} has ${classes.length} classes${shown}, but '${model.name}' outputs ${outputs} values per prediction. ${outputSizeAdvice(model, classes.length)}`,
  };
}

/** A path as a message shows it: a line break, tab or carriage return written as its escape, not as itself. */
function visible(path: string): string {
  return path.replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
}
