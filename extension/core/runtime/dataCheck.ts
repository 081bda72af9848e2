/**
 * Diagnostics about the files a train section reads (`data: csv(...)`,
 * `images(...)`, `text(...)`), for where files can be read (`nnmodel
 * check`; the editor's host could use it too): what would stop training
 * when it reads them, found before it starts, on the data source in the
 * train section.
 *
 * - `train.data_not_found` (a warning: the data may exist only on the
 *   machine that trains): the file or folder does not exist;
 * - `train.data_file`: a CSV training cannot use (no label column, a value
 *   that is not a number, one class only, ...): the loader's own message;
 * - `train.data_shape`: a CSV's examples (one value per feature column)
 *   cannot be the model's input (`[2]` for a `[32, 32, 1]` model), as
 *   training's `checkDataFits` would say.
 *
 * CSVs are read and checked by the loader training uses (`loadDataset`);
 * image folders and texts are only looked up (decoding every image or
 * tokenising a text is the cost of training, not of a check). Whether the
 * data lies inside the folders training may read is not checked: that
 * depends on the run (`nnmodel train --data-root`, the workspace folders).
 * Pure: file access goes through `DataFs`.
 */
import type { TrainDecl } from '../syntax/ast';
import { shapeToString } from '../analysis/sym';
import type { Analysis, DataSource, Diagnostic, ModelInfo, TrainInfo } from '../analysis/types';
import { DataError, joinPath, loadDataset, normalizePath, type DataFs } from './data/files';

export interface DataCheckOptions {
  /** Folder of the .nnmodel file: data paths are relative to it. */
  baseDir: string;
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
  let real: string;
  try {
    real = normalizePath(await o.fs.realPath(joined));
  } catch {
    const what = data.kind === 'images' ? 'folder' : 'file';
    return { code: 'train.data_not_found', message: `${data.kind}: no ${what} '${data.path}' (looked for ${joined}; paths are relative to this file): training here would have no data.` };
  }
  if (data.kind !== 'csv') return undefined;
  try {
    // The file itself is the one root: where the data may lie is the run's to check.
    const ds = await loadDataset(data, { baseDir: o.baseDir, roots: [real], fs: o.fs, loss: train.config.loss });
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
    return undefined;
  } catch (e) {
    if (e instanceof DataError) return { code: 'train.data_file', message: e.message };
    throw e;
  }
}
