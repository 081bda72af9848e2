/**
 * What crosses between the extension host and the inspector webview for a
 * training run, apart from the message envelopes of protocol.ts: the data
 * set as typed-array bytes (host → webview) and each epoch's checkpoint
 * (webview → host), checked before the host writes it. Pure: no tfjs at run
 * time, no file access, no `vscode`; both sides and the unit tests use it.
 */
import type { CheckpointMeta, EncodedCheckpoint, ModelJson } from './checkpoint';
import { CHECKPOINT_VERSION, CheckpointError, OPTIMIZER_STATE_FILE, decodeWeights, fnv1a, optimizerStateProblem } from './checkpoint';
import type { Dataset } from './data/files';
import { builtinDataset, isBuiltinSource } from './data/builtin';
import type { DataSource } from '../analysis/types';
import { checkpointSizeProblem, MAX_CHECKPOINT_BYTES, type TrainDataPayload } from '../protocol';

/** The bytes of a typed array, without copying. */
function bytesOf(a: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * The payload for `source`: built-in sets as their spec (the webview
 * generates them), anything else as the decoded arrays in `data`.
 */
export function dataPayload(source: DataSource, data: Dataset | undefined): TrainDataPayload {
  if (isBuiltinSource(source)) return { kind: 'builtin', source: { kind: source.kind, options: source.options as Record<string, number | boolean | string | number[] | null> } };
  if (!data) throw new Error(`the ${source.kind} data must be loaded by the host before it is sent`);
  const p: TrainDataPayload = {
    kind: 'arrays',
    source: data.source,
    count: data.count,
    xDtype: data.xDtype,
    exampleShape: data.exampleShape,
    xs: bytesOf(data.xs),
    yDtype: data.yDtype,
    targetShape: data.targetShape,
    ys: bytesOf(data.ys),
    classes: data.classes,
  };
  if (data.tokenizer) p.tokenizer = data.tokenizer;
  if (data.featureStats) p.featureStats = data.featureStats;
  if (data.windows) p.windows = data.windows;
  return p;
}

/** A typed array over `bytes` (copied when the view is not 4-byte aligned). */
function typed(bytes: Uint8Array, dtype: 'float32' | 'int32'): Float32Array | Int32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return dtype === 'int32' ? new Int32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4) : new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}

/**
 * The data set a (validated) payload describes: generated for built-in sets
 * (laid out for a model with `inputs` inputs, see `builtinDataset`), viewed
 * for arrays.
 */
export function datasetFromPayload(p: TrainDataPayload, inputs = 1): Dataset {
  if (p.kind === 'builtin') return builtinDataset({ kind: p.source.kind, options: p.source.options }, inputs);
  const d: Dataset = {
    source: p.source,
    count: p.count,
    xs: typed(p.xs, p.xDtype),
    xDtype: p.xDtype,
    exampleShape: p.exampleShape,
    ys: typed(p.ys, p.yDtype),
    yDtype: p.yDtype,
    targetShape: p.targetShape,
    classes: p.classes,
  };
  if (p.tokenizer !== undefined) d.tokenizer = p.tokenizer as Dataset['tokenizer'];
  if (p.featureStats) d.featureStats = p.featureStats;
  if (p.windows) d.windows = p.windows;
  return d;
}

/** What a checkpoint records about its data (`CheckpointMeta.data`); long class lists (token vocabularies) are left out. */
export function checkpointDataMeta(d: Dataset): NonNullable<CheckpointMeta['data']> {
  return { source: d.source, classes: d.classes.length > 1000 ? [] : d.classes, exampleShape: d.exampleShape, tokenizer: d.tokenizer, featureStats: d.featureStats };
}

/**
 * A checkpoint as the page may send it, each file within the host's
 * `MAX_CHECKPOINT_BYTES` (`checkpointSizeProblem`): an optimiser state too
 * large is left out, with its description, and `warning` says so (the
 * weights are what matter; resuming from them starts the optimiser afresh);
 * weights too large throw a CheckpointError saying so, as the host would
 * refuse them. `modelJson` is the text the page sends.
 */
export function checkpointForHost<C extends { epoch: number; modelJson: string; weights: Uint8Array; optimizer?: Uint8Array }>(
  ck: C,
  max = MAX_CHECKPOINT_BYTES,
): { ck: C; warning?: string } {
  const problem = checkpointSizeProblem(ck, max);
  if (!problem) return { ck };
  const withoutState = { ...ck, optimizer: undefined };
  if (!ck.optimizer || checkpointSizeProblem(withoutState, max)) throw new CheckpointError(`${problem}; the checkpoint cannot be written from the editor (train with \`nnmodel train\`).`);
  const json = JSON.parse(ck.modelJson) as ModelJson;
  delete json.nnmodel.optimizer;
  const { optimizer: _dropped, ...rest } = ck;
  return {
    ck: { ...rest, modelJson: JSON.stringify(json) } as C,
    warning: `${problem}: the checkpoint keeps the weights without it, and continuing from it will start the optimizer afresh.`,
  };
}

/**
 * A checkpoint the webview sent, checked before it is written: its
 * `model.json` parses, is an nnmodel checkpoint of `model` at `epoch`, names
 * `weightsFile` as its only weights file, and the weights have the size the
 * manifest lists and the checksum it records. Throws a CheckpointError
 * saying what is wrong.
 */
export function checkUploadedCheckpoint(
  upload: { model: string; epoch: number; modelJson: string; weightsFile: string; weights: Uint8Array; optimizer?: Uint8Array },
): EncodedCheckpoint {
  let json: ModelJson;
  try {
    json = JSON.parse(upload.modelJson) as ModelJson;
  } catch {
    throw new CheckpointError(`the checkpoint of epoch ${upload.epoch} is not valid JSON.`);
  }
  const meta = json?.nnmodel;
  if (!meta || meta.version !== CHECKPOINT_VERSION || !Array.isArray(meta.signature) || !Array.isArray(meta.history)) {
    throw new CheckpointError(`the checkpoint of epoch ${upload.epoch} is not an nnmodel checkpoint (version ${CHECKPOINT_VERSION}).`);
  }
  if (meta.model !== upload.model || meta.epoch !== upload.epoch) {
    throw new CheckpointError(`the checkpoint says ${meta.model}, epoch ${meta.epoch}, but was sent as ${upload.model}, epoch ${upload.epoch}.`);
  }
  const paths = json.weightsManifest?.[0]?.paths;
  if (!Array.isArray(paths) || paths.length !== 1 || paths[0] !== upload.weightsFile || json.weightsManifest.length !== 1) {
    throw new CheckpointError(`the checkpoint of epoch ${upload.epoch} does not name ${upload.weightsFile} as its one weights file.`);
  }
  if (fnv1a(upload.weights) !== meta.checksum) throw new CheckpointError(`the weights of epoch ${upload.epoch} do not match their checksum; nothing was written.`);
  decodeWeights(json, upload.weights);
  // The optimizer's state: both its description and its file, or neither; a file of the name and size described.
  const opt = meta.optimizer;
  // Absent, or an object: `null` or a string is no description (and must not be written as one).
  if (opt !== undefined && (typeof opt !== 'object' || opt === null || Array.isArray(opt))) {
    throw new CheckpointError(`the checkpoint of epoch ${upload.epoch} describes its optimizer state malformed (${opt === null ? 'null' : typeof opt}); nothing was written.`);
  }
  if ((opt === undefined) !== (upload.optimizer === undefined)) {
    throw new CheckpointError(`the checkpoint of epoch ${upload.epoch} ${opt ? 'describes an optimizer state but came without it' : 'came with an optimizer state it does not describe'}; nothing was written.`);
  }
  if (opt && upload.optimizer) {
    if (typeof opt !== 'object' || typeof opt.file !== 'string' || !OPTIMIZER_STATE_FILE.test(opt.file)) {
      throw new CheckpointError(`the checkpoint of epoch ${upload.epoch} names its optimizer state file badly; nothing was written.`);
    }
    const problem = optimizerStateProblem(opt, upload.optimizer);
    if (problem) throw new CheckpointError(`the optimizer state of epoch ${upload.epoch} is damaged (${problem}); nothing was written.`);
    return { modelJson: json, weightsFile: upload.weightsFile, weights: upload.weights, optimizer: upload.optimizer };
  }
  return { modelJson: json, weightsFile: upload.weightsFile, weights: upload.weights };
}
