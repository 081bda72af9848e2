/**
 * Checkpoints in TensorFlow.js format: a folder with `model.json` (a
 * weights manifest, the topology when tfjs can serialise it, and our own
 * `nnmodel` section) and one weights file, written atomically so a crash or
 * a cancel at any moment leaves the previous checkpoint loadable:
 *
 *   1. the weights go to a new file named after the epoch and a checksum
 *      (`weights-e3-1a2b3c4d.bin`), through a temp file and a rename;
 *   2. `model.json` is written to a temp file and renamed over the old one —
 *      the single atomic switch from the old checkpoint to the new;
 *   3. weights files that `model.json` no longer names are removed.
 *
 * The optimiser's state (Adam's moments and step count, momentum, RMSprop's
 * averages) goes the same way, in a file of its own named after the epoch
 * and its checksum (`optimizer-e3-1a2b3c4d.bin`), written before
 * `model.json` and referenced from its `nnmodel.optimizer` section, so it
 * switches with the weights or not at all. It sits outside the weights
 * manifest: readers that do not know it (an older nnmodel, tfjs's own
 * loader) read the weights as before, so the format version stays 1. A
 * checkpoint without it (written before) still loads; resuming from it
 * starts the optimiser afresh and says so.
 *
 * Beside this last checkpoint, a run with validation data keeps the best
 * one (lowest val_loss) in the same folder, `best.json` and
 * `best-e6-1a2b3c4d.bin`, switched the same way (`writeBestCheckpoint`).
 *
 * Each checkpoint records the graph's signature: per layer (by node path,
 * see build.ts) its op and weight shapes. Loading into an edited model
 * applies the layers that still fit and says which do not.
 *
 * Encoding needs tfjs (the `tf` module is passed in); file access goes
 * through `CheckpointFs`, so this file runs in the webview (encode/decode)
 * as well as in Node (read/write).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Tf } from '../layers/types';
import { BACKWARD } from '../layers/recurrent';
import { bodyPrefix, nodePath, type BuiltModel } from './build';
import type { EpochLogs } from './train';
import type { Graph, ModelInfo, TrainConfig } from '../analysis/types';
import { plural } from '../plural';
import { bestEpoch, lossFigure } from './overfit';
import { asTokenizerSpec, tokenizerFromSpec } from './tokenizers';

/** Format version of the `nnmodel` section. */
export const CHECKPOINT_VERSION = 1;
export const MODEL_JSON = 'model.json';
/**
 * The best checkpoint beside the last one, in the same folder: `best.json`
 * (a model.json of its own, without the optimiser's state) naming
 * `best-e<epoch>-<checksum>.bin`. See `writeBestCheckpoint`.
 */
export const BEST_JSON = 'best.json';
/** The weights files `writeBestCheckpoint` makes: `best-e6-1a2b3c4d.bin`. */
export const BEST_WEIGHTS_FILE = /^best-e\d+-[0-9a-f]{8}\.bin$/;
/** Which checkpoint of a folder: the last epoch's (`model.json`, what resume continues) or the best (`best.json`). */
export type CheckpointKind = 'last' | 'best';
/** The file that describes checkpoint `which` of a folder. */
export const checkpointJson = (which: CheckpointKind = 'last'): string => (which === 'best' ? BEST_JSON : MODEL_JSON);

/** One layer in a graph signature. */
export interface LayerSignature {
  /** Node path (build.ts). */
  path: string;
  op: string;
  /** For messages: `conv2d(6, 5)`. */
  label: string;
  /** 1-based source line of the call. */
  line: number;
  weights: { name: string; shape: number[] }[];
}

/** What a checkpoint says about itself besides the weights. */
export interface CheckpointMeta {
  version: number;
  model: string;
  /** The .nnmodel file, as the writer named it. */
  source?: string;
  /** Epochs completed. */
  epoch: number;
  signature: LayerSignature[];
  history: EpochLogs[];
  /** What the data looked like: classes, shapes, the tokeniser and feature scaling. */
  data?: {
    source: string;
    classes: string[];
    exampleShape: number[];
    tokenizer?: unknown;
    /** A CSV's feature standardisation, part of the trained model (read back on resume, evaluation and export). */
    featureStats?: FeatureStats;
  };
  /**
   * The objective the weights were trained for, when it is not the data's own
   * labels: `mask` is the share of tokens masked (`mask: 0.15`, masked
   * language modelling; runtime/masking.ts). Evaluate measures what the
   * model was trained for, whatever the section says now (`checkpointMask`).
   */
  objective?: { mask?: number };
  /** FNV-1a of the weights file, to tell a damaged one. */
  checksum: string;
  savedAt: string;
  /** The optimiser's state after `epoch` (absent in checkpoints written before it was saved). */
  optimizer?: OptimizerStateMeta;
  /**
   * The first epoch trained with these layers, when the run was continued
   * after an edit that changed them (`writeCheckpoint` records it); absent:
   * every epoch of the history. The best checkpoint is chosen among these
   * epochs only: an earlier one's weights do not fit the model.
   */
  architectureFrom?: number;
}

/** The train section's optimiser a saved state belongs to: a state is restored only into the same. */
export interface OptimizerConfigRecord {
  kind: TrainConfig['optimizer']['kind'];
  lr: number;
  /** Adam's β1 (0.9 unless the section says otherwise). */
  beta1?: number;
  /** SGD's momentum (absent: plain SGD). */
  momentum?: number;
}

/**
 * Where and what the optimiser's state is: `file` (in the checkpoint's
 * folder) holds the `slots` one after the other as float32, in the
 * optimiser's own order (tfjs `getWeights`, without the step count).
 */
export interface OptimizerStateMeta {
  config: OptimizerConfigRecord;
  /** Steps taken so far (tfjs's `iterations`; Adam's bias correction depends on it). */
  iterations: number;
  /** `optimizer-e3-1a2b3c4d.bin`. */
  file: string;
  /** FNV-1a of `file`. */
  checksum: string;
  /**
   * One per state tensor: the weight it belongs to, named as in the weights
   * manifest (`<node path>/<weight>`), then `/` and the optimiser's own
   * suffix (`m`, `v`, `momentum`, `rms`…), and its shape.
   */
  slots: { name: string; shape: number[] }[];
  /**
   * Adam only: β1^(t+1) and β2^(t+1) as the optimiser holds them (float32
   * running products). tfjs's `setWeights` recomputes them with `pow`, which
   * rounds differently; 1 − β2^t is small, so one ulp moved the resumed
   * weights by ~1e-5 relative. Restored as saved, resume is exact.
   */
  adamPowers?: [number, number];
}

/** The fields of tfjs's AdamOptimizer that hold β^(t+1) (protected in the typings; kernels/adam.ts reads them too). */
interface AdamPowers {
  accBeta1?: tfTypes.Variable;
  accBeta2?: tfTypes.Variable;
}

export interface ModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: null;
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' }[] }[];
  nnmodel: CheckpointMeta;
}

export interface EncodedCheckpoint {
  modelJson: ModelJson;
  weightsFile: string;
  weights: Uint8Array;
  /** The optimiser's state file, named by `modelJson.nnmodel.optimizer.file`. */
  optimizer?: Uint8Array;
}

/** The optimiser state files `encodeCheckpoint` makes: `optimizer-e3-1a2b3c4d.bin`. */
export const OPTIMIZER_STATE_FILE = /^optimizer-e\d+-[0-9a-f]{8}\.bin$/;
/** The weights files `encodeCheckpoint` makes: `weights-e3-1a2b3c4d.bin`. */
export const WEIGHTS_FILE = /^weights-e\d+-[0-9a-f]{8}\.bin$/;

/**
 * The temporary files nnmodel writes in a checkpoint folder, by their exact
 * names: a checkpoint file on its way to its name (`placeFile`:
 * `best-e6-1a2b3c4d.bin.tmp-mih2x1k0-3`), the write probe
 * (`write-check.tmp-…`) and the CLI's sample strip on its way
 * (`.samples.png.1234.9f8e7d6c.tmp`, cli/files.ts). (A lock moved aside to
 * be taken over, `training.lock.stale-…`, is checkpointLock.ts's to tidy:
 * only it can tell one whose process is gone.)
 */
const OWN_TEMPORARY = [
  /^(?:model\.json|best\.json|write-check|(?:weights|optimizer|best)-e\d+-[0-9a-f]{8}\.bin)\.tmp-[0-9a-z]+-[0-9a-z]+$/,
  /^\.(?:samples|forward)\.png\.\d+\.[0-9a-f]{8}\.tmp$/,
];

/**
 * Whether `name` in a checkpoint folder is one of nnmodel's temporary files,
 * left there when a run was stopped while writing it: never a checkpoint,
 * nor a file of the user's (`tidyCheckpointFolder` removes them).
 */
export function isCheckpointTemporary(name: string): boolean {
  return OWN_TEMPORARY.some((r) => r.test(name));
}

/** A checkpoint that cannot be read; the message names the file. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/**
 * A checkpoint that is there but cannot be used (a weights file missing or
 * not matching its JSON, a JSON that does not read): `readCheckpoint`
 * throws it, `which` saying which checkpoint of the folder. `other` (set by
 * `withIntactOther`) is the folder's other checkpoint when it reads intact,
 * for the way forward (`damagedRemedy`).
 */
export class DamagedCheckpointError extends CheckpointError {
  override name = 'DamagedCheckpointError';
  constructor(
    message: string,
    readonly which: CheckpointKind,
    readonly other?: { which: CheckpointKind; epoch: number },
    /** The checkpoint was to be continued (`--resume`): the other one cannot be (a run continues from the last). */
    readonly resuming = false,
  ) {
    super(message);
  }
}

/**
 * `e` (with `resuming`) and `other` set to the other checkpoint of folder `dir` (the best
 * beside a damaged last, the last beside a damaged best) when that one
 * reads intact and is of model `model` (when given).
 */
export async function withIntactOther(fs: CheckpointFs, dir: string, e: DamagedCheckpointError, model?: string, resuming = false): Promise<DamagedCheckpointError> {
  const which: CheckpointKind = e.which === 'last' ? 'best' : 'last';
  try {
    const ck = await readCheckpoint(fs, dir, { which });
    if (model !== undefined && ck.modelJson.nnmodel.model !== model) return new DamagedCheckpointError(e.message, e.which, undefined, resuming);
    return new DamagedCheckpointError(e.message, e.which, { which, epoch: ck.modelJson.nnmodel.epoch }, resuming);
  } catch {
    return new DamagedCheckpointError(e.message, e.which, undefined, resuming);
  }
}

/**
 * The way forward from a damaged checkpoint, a sentence to follow its
 * message: the folder's other checkpoint when intact, and that training
 * without continuing starts over. `words`: the command line's options
 * (`--checkpoint best`, `--resume`) or the editor's (the checkpoint picker,
 * Train Model's question after a damaged last checkpoint).
 */
export function damagedRemedy(e: DamagedCheckpointError, words: 'cli' | 'editor'): string {
  const parts: string[] = [];
  const o = e.other;
  if (o) {
    const read = words === 'cli' ? (e.resuming ? `evaluate, generate and export read it with --checkpoint ${o.which}` : `--checkpoint ${o.which} reads it`) : 'pick it when asked which checkpoint';
    parts.push(`the ${o.which} checkpoint (epoch ${o.epoch}) is intact: ${read}`);
  }
  // The editor's Train Model asks (extension/vscode/training.ts): continue from the intact best, or start over; either sets the damaged files aside.
  const editorTrain = o?.which === 'best' ? 'Train Model offers to continue from the best or to start over, setting the damaged files aside' : 'Train Model offers to start over, setting the damaged files aside';
  if (e.which === 'last') parts.push(words === 'cli' ? 'training without --resume starts over and replaces it' : editorTrain);
  else parts.push('the next training with validation data writes a new best');
  const text = parts.join('; ');
  return text.charAt(0).toUpperCase() + text.slice(1) + '.';
}

/**
 * The layers that own weights, by node path, in build order; a layer object
 * applied several times appears once (at its first path).
 */
export function graphSignature(built: BuiltModel): LayerSignature[] {
  const seen = new Set<tfTypes.layers.Layer>();
  const out: LayerSignature[] = [];
  for (const path of built.layerPaths) {
    const layer = built.layerOf.get(path)!;
    const node = built.nodeOf.get(path)!;
    if (seen.has(layer)) continue;
    seen.add(layer);
    if (layer.weights.length === 0) continue;
    out.push({
      path,
      op: node.op,
      label: node.label,
      line: node.range.start.line + 1,
      weights: layer.weights.map((w) => ({ name: shortName(w.name), shape: w.shape.map((d) => d ?? 0) })),
    });
  }
  return out;
}

/**
 * The signature `graphSignature` gives for `info` once built, read from the
 * analysis alone (no tfjs): the layers that own weights, by node path, a
 * layer object applied again (`sharedWith`) once. Lets the extension host
 * tell how much of a checkpoint fits before the page loads it. A weight
 * dimension the analysis cannot give a number (a symbolic size left open)
 * is 0, as `graphSignature` writes an unknown one.
 */
export function analysisSignature(info: ModelInfo, dims: Readonly<Record<string, number>> = {}): LayerSignature[] {
  const out: LayerSignature[] = [];
  const walk = (graph: Graph, prefix: string): void => {
    for (const node of graph.nodes) {
      const path = nodePath(prefix, node.id);
      if (node.kind === 'group') {
        node.runs.forEach((run, r) => {
          for (let k = 0; k < run.count; k++) walk(run.body, bodyPrefix(path, r, k));
        });
        continue;
      }
      if (node.kind !== 'layer' || node.sharedWith !== undefined || node.weights.length === 0) continue;
      out.push({
        path,
        op: node.op,
        label: node.label,
        line: node.range.start.line + 1,
        weights: node.weights.map((w) => ({ name: w.name, shape: w.shape.map((d) => d.evaluate(dims) ?? 0) })),
      });
    }
  };
  walk(info.graph, '');
  return out;
}

/**
 * `analysisSignature` when every weight's size is a number before the
 * build; undefined when one depends on a size left open (the page then
 * says what loaded). What the editor's checkpoint pickers judge a
 * checkpoint's fit by (`checkpointFit`).
 */
export function knownAnalysisSignature(info: ModelInfo): LayerSignature[] | undefined {
  const sig = analysisSignature(info);
  return sig.every((s) => s.weights.every((w) => w.shape.every((d) => d > 0))) ? sig : undefined;
}

/**
 * A tfjs weight's name as the analysis gives it: `dense_3/kernel` → `kernel`
 * (tfjs prefixes the layer's unique name); a bidirectional recurrent layer's
 * `lstm_3/backward_lstm_3/kernel` → `backward_kernel` (its forward weights
 * keep their plain names).
 */
export function shortName(name: string): string {
  const parts = name.split('/');
  const last = parts[parts.length - 1].replace(/_\d+$/, '');
  return parts.length > 1 && parts[parts.length - 2].startsWith(BACKWARD) ? BACKWARD + last : last;
}

/** FNV-1a, 32 bits, as 8 hex digits. */
export function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The optimiser whose state goes with a checkpoint, and the train section's settings it was made from. */
export interface OptimizerToSave {
  optimizer: tfTypes.Optimizer;
  config: TrainConfig['optimizer'];
}

/**
 * Reads the model's weights (async: waits for the backend) into a
 * checkpoint, with the state of `optimizer` when given (the one training
 * `built`, see `OptimizerToSave`).
 */
export async function encodeCheckpoint(
  built: BuiltModel,
  meta: Omit<CheckpointMeta, 'version' | 'signature' | 'checksum' | 'savedAt' | 'optimizer'>,
  optimizer?: OptimizerToSave,
): Promise<EncodedCheckpoint> {
  const signature = graphSignature(built);
  const manifest: ModelJson['weightsManifest'][number]['weights'] = [];
  const chunks: Float32Array[] = [];
  for (const s of signature) {
    const layer = built.layerOf.get(s.path)!;
    const values = layer.getWeights();
    for (let i = 0; i < values.length; i++) {
      manifest.push({ name: `${s.path}/${s.weights[i].name}`, shape: s.weights[i].shape, dtype: 'float32' });
      chunks.push((await values[i].data()) as Float32Array);
    }
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const all = new Float32Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const weights = new Uint8Array(all.buffer);
  const checksum = fnv1a(weights);
  const weightsFile = `weights-e${meta.epoch}-${checksum}.bin`;
  let topology: unknown = null;
  try {
    topology = built.model.toJSON(undefined, false);
  } catch {
    // Custom layers without a serialisable config: the weights manifest and the signature still describe the checkpoint.
  }
  const opt = optimizer ? await encodeOptimizerState(built, signature, optimizer, meta.epoch) : undefined;
  return {
    weightsFile,
    weights,
    ...(opt ? { optimizer: opt.bytes } : {}),
    modelJson: {
      format: 'layers-model',
      generatedBy: 'nnmodel',
      convertedBy: null,
      modelTopology: topology,
      weightsManifest: [{ paths: [weightsFile], weights: manifest }],
      nnmodel: { ...meta, version: CHECKPOINT_VERSION, signature, checksum, savedAt: new Date().toISOString(), ...(opt ? { optimizer: opt.meta } : {}) },
    },
  };
}

// ------------------------------------------------------------------ optimiser state

/** What of a train section's optimiser a saved state must match. */
export function optimizerConfigRecord(o: TrainConfig['optimizer']): OptimizerConfigRecord {
  switch (o.kind) {
    case 'adam':
      return { kind: 'adam', lr: o.lr, beta1: o.beta1 ?? 0.9 };
    case 'sgd':
      return o.momentum ? { kind: 'sgd', lr: o.lr, momentum: o.momentum } : { kind: 'sgd', lr: o.lr };
    case 'rmsprop':
      return { kind: 'rmsprop', lr: o.lr };
  }
}

/** `adam(lr = 0.001, beta1 = 0.9)`, for messages. */
export function describeOptimizerConfig(c: OptimizerConfigRecord): string {
  const args = [`lr = ${c.lr}`];
  if (c.beta1 !== undefined) args.push(`beta1 = ${c.beta1}`);
  if (c.momentum !== undefined) args.push(`momentum = ${c.momentum}`);
  return `${c.kind}(${args.join(', ')})`;
}

const sameOptimizerConfig = (a: OptimizerConfigRecord, b: OptimizerConfigRecord) =>
  a.kind === b.kind && a.lr === b.lr && a.beta1 === b.beta1 && a.momentum === b.momentum;

/**
 * The tfjs variable name of every weight of `built` → its checkpoint name
 * (`<node path>/<weight>`, as in the weights manifest). tfjs names variables
 * uniquely per process (`dense_Dense3/kernel`), so a saved state cannot keep
 * them: the checkpoint names survive a rebuild.
 */
function variableNames(built: BuiltModel, signature: readonly LayerSignature[]): Map<string, { name: string; variable: tfTypes.Variable }> {
  const out = new Map<string, { name: string; variable: tfTypes.Variable }>();
  for (const s of signature) {
    built.layerOf.get(s.path)!.weights.forEach((w, i) => {
      const variable = w.read() as tfTypes.Variable;
      out.set(variable.name, { name: `${s.path}/${s.weights[i].name}`, variable });
    });
  }
  return out;
}

/**
 * The weights an optimiser of `built` steps, in the order it keeps their
 * state: `model.trainableWeights` (every trainer hands tfjs that list), each
 * by its checkpoint name, with its shape and variable.
 */
function trainableOwners(built: BuiltModel, signature: readonly LayerSignature[]): { name: string; shape: number[]; variable: tfTypes.Variable }[] {
  const names = variableNames(built, signature);
  return built.model.trainableWeights.map((w) => {
    const variable = w.read() as tfTypes.Variable;
    const name = names.get(variable.name)?.name;
    if (name === undefined) throw new CheckpointError(`the trainable weight ${variable.name} belongs to no layer of the model; the checkpoint was not written.`);
    return { name, shape: [...variable.shape], variable };
  });
}

async function encodeOptimizerState(
  built: BuiltModel,
  signature: readonly LayerSignature[],
  o: OptimizerToSave,
  epoch: number,
): Promise<{ meta: OptimizerStateMeta; bytes: Uint8Array }> {
  const owners = trainableOwners(built, signature);
  // getWeights gives the step count first ('iter'), then the state tensors in the optimiser's order.
  const [iter, ...rest] = await o.optimizer.getWeights();
  const iterations = iter ? (await iter.tensor.data())[0] : 0;
  // saveIterations makes a new scalar each call; the state tensors are the optimiser's own variables.
  if (iter) iter.tensor.dispose();
  // tfjs keeps one slot per trainable weight in each group (Adam: every m, then every v), matched to the
  // weights by POSITION (accumulatedFirstMoment[i] goes with the i-th gradient, and every trainer steps
  // model.trainableWeights in order). So a slot is named from its position, never from the name tfjs
  // remembers (`originalName`: after a resume into an edited model it can be stale, and two slots could
  // then carry the same name).
  if (owners.length === 0 ? rest.length !== 0 : rest.length % owners.length !== 0) {
    throw new CheckpointError(`the optimizer holds ${rest.length} state tensors for ${owners.length} trainable weights; the checkpoint was not written.`);
  }
  const slots: OptimizerStateMeta['slots'] = [];
  const chunks: Float32Array[] = [];
  rest.forEach((w, i) => {
    const owner = owners[i % owners.length];
    if (w.tensor.dtype !== 'float32' || w.tensor.shape.join(',') !== owner.shape.join(',')) {
      throw new CheckpointError(`the optimizer's state ${w.name} does not fit the weight ${owner.name} it goes with; the checkpoint was not written.`);
    }
    slots.push({ name: `${owner.name}/${w.name.slice(w.name.lastIndexOf('/') + 1)}`, shape: [...w.tensor.shape] });
  });
  if (new Set(slots.map((s) => s.name)).size !== slots.length) {
    throw new CheckpointError(`the optimizer's state names a weight twice; the checkpoint was not written.`);
  }
  for (const w of rest) chunks.push((await w.tensor.data()) as Float32Array);
  const all = new Float32Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const bytes = new Uint8Array(all.buffer);
  const checksum = fnv1a(bytes);
  const meta: OptimizerStateMeta = { config: optimizerConfigRecord(o.config), iterations, file: `optimizer-e${epoch}-${checksum}.bin`, checksum, slots };
  const powers = o.optimizer as unknown as AdamPowers;
  if (powers.accBeta1 && powers.accBeta2) meta.adamPowers = [(await powers.accBeta1.data())[0], (await powers.accBeta2.data())[0]];
  return { bytes, meta };
}

/**
 * Checks an optimiser state file against its `nnmodel.optimizer` section
 * (size and checksum); the message says what is wrong, undefined when it fits.
 */
export function optimizerStateProblem(meta: OptimizerStateMeta, bytes: Uint8Array): string | undefined {
  const slotOk = (s: unknown) => {
    const x = s as { name?: unknown; shape?: unknown };
    return typeof x?.name === 'string' && x.name.includes('/') && Array.isArray(x.shape) && x.shape.every((d) => Number.isInteger(d) && d >= 0);
  };
  const malformed =
    !Array.isArray(meta.slots) ||
    !meta.slots.every(slotOk) ||
    new Set(meta.slots.map((s) => s.name)).size !== meta.slots.length ||
    !Number.isInteger(meta.iterations) ||
    meta.iterations < 0;
  if (malformed) return `its description in ${MODEL_JSON} is malformed`;
  const total = meta.slots.reduce((n, s) => n + s.shape.reduce((p, d) => p * d, 1), 0);
  if (bytes.byteLength !== total * 4) return `${meta.file} has ${bytes.byteLength} bytes, but ${MODEL_JSON} lists ${total * 4}`;
  if (fnv1a(bytes) !== meta.checksum) return `${meta.file} does not match its checksum`;
  return undefined;
}

/** What `restoreOptimizerState` did: `restored` or not, and a sentence for the user when not. */
export interface OptimizerRestore {
  restored: boolean;
  /** Why the optimiser starts afresh (absent when restored). */
  message?: string;
}

/**
 * Continues `optimizer` (fresh, made from `config`, before its first step)
 * from the state saved with checkpoint `json` (`bytes`: its optimiser file,
 * undefined when there is none or it could not be read). The state is used
 * only when it is complete, of the same optimiser settings, and each group
 * of slots lists exactly the weights `built` trains (`trainableWeights`:
 * names, shapes, order; tfjs pairs them by position); otherwise the optimiser
 * starts afresh and the message says why (never throws for a bad state).
 * Call it after the checkpoint's weights were applied to `built`.
 */
export async function restoreOptimizerState(
  tf: Tf,
  optimizer: tfTypes.Optimizer,
  config: TrainConfig['optimizer'],
  built: BuiltModel,
  json: ModelJson,
  bytes: Uint8Array | undefined,
  /** Why `bytes` is missing (`ReadCheckpoint.optimizerProblem`), for the message. */
  readProblem?: string,
): Promise<OptimizerRestore> {
  const meta = json.nnmodel.optimizer;
  const now = optimizerConfigRecord(config);
  const afresh = (why: string): OptimizerRestore => ({ restored: false, message: `${why}; ${describeOptimizerConfig(now)} starts afresh from the weights of epoch ${json.nnmodel.epoch}.` });
  // `readProblem` says why when the caller knows (a best checkpoint, which keeps none).
  if (meta === undefined) return afresh(readProblem ?? `the checkpoint of epoch ${json.nnmodel.epoch} has no optimizer state (written before nnmodel saved it)`);
  // null, a string, an array: not something nnmodel wrote (it omits the section or writes an object).
  if (!isObj(meta) || !isObj(meta.config)) return afresh(`the optimizer's state is damaged (its description in ${MODEL_JSON} is malformed)`);
  if (!sameOptimizerConfig(meta.config, now)) {
    return afresh(`the optimizer changed since the checkpoint (${describeOptimizerConfig(meta.config)}, now ${describeOptimizerConfig(now)}): its saved state is not used`);
  }
  if (!bytes) return afresh(`the optimizer's state could not be read (${readProblem ?? `${meta.file}: not given`})`);
  const problem = optimizerStateProblem(meta, bytes);
  if (problem) return afresh(`the optimizer's state is damaged (${problem})`);
  // tfjs matches each group of slots (Adam: every m, then every v) to the trainable weights by position, so
  // the state is used only when every group lists exactly the weights this model trains, in its order, with
  // their shapes. An edit (`b(16) * 2` → `* 3`) changes that list even when every saved name still exists.
  let owners: ReturnType<typeof trainableOwners>;
  try {
    owners = trainableOwners(built, graphSignature(built));
  } catch (e) {
    return afresh(`the optimizer's state could not be matched to the model (${e instanceof Error ? e.message : String(e)})`);
  }
  const n = owners.length;
  const fits =
    (n === 0 ? meta.slots.length === 0 : meta.slots.length % n === 0) &&
    meta.slots.every((s, i) => {
      const owner = owners[i % n];
      const suffix = meta.slots[i - (i % n)].name.slice(meta.slots[i - (i % n)].name.lastIndexOf('/') + 1);
      return s.name === `${owner.name}/${suffix}` && s.shape.join(',') === owner.shape.join(',');
    });
  if (!fits) {
    return {
      restored: false,
      message:
        `the model changed since the checkpoint: the optimizer starts afresh from the weights of epoch ${json.nnmodel.epoch} ` +
        `(${describeOptimizerConfig(now)}; its saved state does not fit the weights the model trains now: ${slotChanges(meta.slots, owners, json.nnmodel.signature, graphSignature(built))})`,
    };
  }
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const values: { name: string; tensor: tfTypes.Tensor }[] = [];
  let at = 0;
  meta.slots.forEach((s, i) => {
    const count = s.shape.reduce((p, d) => p * d, 1);
    // Named as tfjs names its own slots (`<variable>/<suffix>`), after the variable at this position now.
    values.push({ name: `${owners[i % n].variable.name}/${s.name.slice(s.name.lastIndexOf('/') + 1)}`, tensor: tf.tensor(floats.subarray(at, at + count), s.shape, 'float32') });
    at += count;
  });
  const iter = tf.scalar(meta.iterations, 'int32');
  try {
    await optimizer.setWeights([{ name: 'iter', tensor: iter }, ...values]);
    const powers = optimizer as unknown as AdamPowers;
    const saved = meta.adamPowers;
    // Each on its own, 0 included: β1^t underflows float32 to 0 after ~150 steps at β1 = 0.5 (the GANs'),
    // and dropping both then would let tfjs's pow() recompute β2^t, one ulp off.
    const power = (x: unknown): x is number => typeof x === 'number' && x >= 0 && x < 1;
    if (powers.accBeta1 && powers.accBeta2 && Array.isArray(saved) && saved.length === 2) {
      tf.tidy(() => {
        if (power(saved[0])) powers.accBeta1!.assign(tf.scalar(saved[0]));
        if (power(saved[1])) powers.accBeta2!.assign(tf.scalar(saved[1]));
      });
    }
  } catch (e) {
    return afresh(`the optimizer's state could not be restored (${e instanceof Error ? e.message : String(e)})`);
  } finally {
    // setWeights makes its own variables of the values (tensor.variable() shares the data and counts a reference).
    tf.dispose([iter, ...values.map((x) => x.tensor)]);
  }
  return { restored: true };
}

/**
 * What differs between the weights an optimiser state was saved for (its
 * first group of slots, `<path>/<weight>/<slot>`) and those the model trains
 * now: a weight of another shape, gone, new, or the same ones in another
 * order. Each named by its layer as the source reads (`dense(4) (line 3)
 * kernel [2, 2] → [2, 4]`), three at most.
 */
function slotChanges(
  slots: readonly { name: string; shape: number[] }[],
  owners: readonly { name: string; shape: number[] }[],
  savedSignature: readonly LayerSignature[],
  currentSignature: readonly LayerSignature[],
): string {
  const suffix = (name: string) => name.slice(name.lastIndexOf('/') + 1);
  const first = slots.length ? suffix(slots[0].name) : '';
  const saved = new Map(slots.filter((x) => suffix(x.name) === first).map((x) => [x.name.slice(0, x.name.lastIndexOf('/')), x.shape]));
  const now = new Map(owners.map((o) => [o.name, o.shape]));
  const label = (weight: string, signature: readonly LayerSignature[]) => {
    const path = weight.slice(0, weight.lastIndexOf('/'));
    const layer = Array.isArray(signature) ? signature.find((l) => l?.path === path) : undefined;
    return layer ? `${layer.label} (line ${layer.line}) ${weight.slice(weight.lastIndexOf('/') + 1)}` : weight;
  };
  const shape = (d: readonly number[]) => `[${d.join(', ')}]`;
  const changes: string[] = [];
  for (const [name, before] of saved) {
    const after = now.get(name);
    if (!after) changes.push(`${label(name, savedSignature)} is gone`);
    else if (shape(after) !== shape(before)) changes.push(`${label(name, currentSignature)} ${shape(before)} → ${shape(after)}`);
  }
  for (const name of now.keys()) if (!saved.has(name)) changes.push(`${label(name, currentSignature)} is new`);
  if (changes.length === 0) return 'the same weights in another order';
  return changes.length > 3 ? `${changes.slice(0, 3).join('; ')}; and ${changes.length - 3} more` : changes.join('; ');
}

// ------------------------------------------------------------------ matching

/** How a checkpoint's layers map onto a model's. */
export interface SignatureMatch {
  /** Saved path → current path for layers whose op and weight shapes fit. */
  pairs: { saved: string; current: string }[];
  /** One sentence per layer that does not fit (empty when everything fits). */
  problems: string[];
  /**
   * For each of `problems`, the current path of the model's layer it is about; undefined for a saved
   * layer no longer in the model. Tells apart layers whose sentences read the same (`dense(8) (line 3)`
   * twice on one line).
   */
  problemPaths: (string | undefined)[];
}

const shapesText = (w: LayerSignature['weights']) => w.map((x) => `${x.name} [${x.shape.join(', ')}]`).join(', ');

/**
 * Pairs saved layers with current ones: first by node path (same op and
 * shapes), then the rest in order among layers of the same op (an edit that
 * inserts a layer renumbers the paths after it).
 */
export function matchSignature(saved: readonly LayerSignature[], current: readonly LayerSignature[]): SignatureMatch {
  const fits = (a: LayerSignature, b: LayerSignature) =>
    a.op === b.op && a.weights.length === b.weights.length && a.weights.every((w, i) => w.shape.join(',') === b.weights[i].shape.join(','));
  const pairs: SignatureMatch['pairs'] = [];
  const usedSaved = new Set<string>();
  const usedCurrent = new Set<string>();
  const savedByPath = new Map(saved.map((s) => [s.path, s]));
  for (const c of current) {
    const s = savedByPath.get(c.path);
    if (s && fits(s, c)) {
      pairs.push({ saved: s.path, current: c.path });
      usedSaved.add(s.path);
      usedCurrent.add(c.path);
    }
  }
  for (const c of current) {
    if (usedCurrent.has(c.path)) continue;
    const s = saved.find((x) => !usedSaved.has(x.path) && fits(x, c));
    if (s) {
      pairs.push({ saved: s.path, current: c.path });
      usedSaved.add(s.path);
      usedCurrent.add(c.path);
    }
  }
  const problems: string[] = [];
  const problemPaths: (string | undefined)[] = [];
  for (const c of current) {
    if (usedCurrent.has(c.path)) continue;
    problemPaths.push(c.path);
    const same = savedByPath.get(c.path);
    if (same && same.op === c.op && !usedSaved.has(same.path)) {
      problems.push(`${c.label} (line ${c.line}) no longer fits: the checkpoint has ${shapesText(same.weights)}, the model now has ${shapesText(c.weights)}; it keeps its initial weights.`);
    } else {
      problems.push(`${c.label} (line ${c.line}) is not in the checkpoint; it keeps its initial weights.`);
    }
  }
  for (const s of saved) {
    if (usedSaved.has(s.path)) continue;
    const here = current.find((c) => c.path === s.path);
    // Said above as "no longer fits" only when the model's layer at its path found no weights either;
    // a layer there that took another saved layer's weights leaves this one's unused (a deleted layer).
    if (!here || here.op !== s.op || usedCurrent.has(here.path)) {
      problems.push(`${s.label} (line ${s.line} when saved) is no longer in the model; its weights are not used.`);
      problemPaths.push(undefined);
    }
  }
  return { pairs, problems, problemPaths };
}

/** The weights of each saved layer (by saved path), as views into `weights`. */
export function decodeWeights(json: ModelJson, weights: Uint8Array, file = MODEL_JSON): Map<string, { shape: number[]; values: Float32Array }[]> {
  const entries = json.weightsManifest.flatMap((g) => g.weights);
  const total = entries.reduce((n, w) => n + w.shape.reduce((p, d) => p * d, 1), 0);
  if (weights.byteLength !== total * 4) {
    throw new CheckpointError(`${json.weightsManifest[0]?.paths[0] ?? 'weights'}: has ${weights.byteLength} bytes, but ${file} lists ${total * 4}; the checkpoint is damaged.`);
  }
  const floats = new Float32Array(weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength));
  const out = new Map<string, { shape: number[]; values: Float32Array }[]>();
  let at = 0;
  for (const w of entries) {
    if (w.dtype !== 'float32') throw new CheckpointError(`${file}: weight ${w.name} has dtype ${w.dtype}; only float32 is supported.`);
    const n = w.shape.reduce((p, d) => p * d, 1);
    const path = w.name.slice(0, w.name.lastIndexOf('/'));
    const list = out.get(path) ?? [];
    list.push({ shape: w.shape, values: floats.subarray(at, at + n) });
    out.set(path, list);
    at += n;
  }
  return out;
}

/**
 * Sets the weights of every layer of `built` that fits the checkpoint and
 * returns what did not fit. Throws only when the checkpoint is damaged.
 */
export function applyCheckpoint(tf: Tf, built: BuiltModel, json: ModelJson, weights: Uint8Array): SignatureMatch & { loaded: number } {
  const saved = json.nnmodel.signature;
  const current = graphSignature(built);
  const match = matchSignature(saved, current);
  const values = decodeWeights(json, weights);
  let loaded = 0;
  for (const { saved: s, current: c } of match.pairs) {
    const ws = values.get(s);
    if (!ws) continue;
    const tensors = ws.map((w) => tf.tensor(w.values, w.shape, 'float32'));
    try {
      built.layerOf.get(c)!.setWeights(tensors);
      loaded++;
    } finally {
      tf.dispose(tensors);
    }
  }
  return { ...match, loaded };
}

// ------------------------------------------------------------------ resume

/** A checkpoint to continue from, as a driver has it (`readCheckpoint`'s result, or the page's `resume` message parsed). */
export interface ResumeSource {
  modelJson: ModelJson;
  weights: Uint8Array;
  /** The optimiser's state file, when there is an intact one. */
  optimizer?: Uint8Array;
  /** Why there is none although the checkpoint names one. */
  optimizerProblem?: string;
}

/** A model continued from its checkpoint (`resumeModel`). */
export interface Resumed {
  /** Epochs the checkpoint completed: the run continues after them. */
  epoch: number;
  history: EpochLogs[];
  /** One sentence per layer that did not fit (it keeps its initial weights). */
  problems: string[];
  /**
   * Restores the saved optimiser state into the run's fresh optimiser (see
   * `restoreOptimizerState`). Once: the state's bytes are let go then (they
   * are twice the weights for Adam), and a second call starts afresh.
   */
  restoreOptimizer(tf: Tf, optimizer: tfTypes.Optimizer, config: TrainConfig['optimizer']): Promise<OptimizerRestore>;
}

/** How a run continued from a checkpoint goes on by default (`continuation`). */
export interface Continuation {
  /** Epochs this run trains (its `config.epochs`). */
  epochs: number;
  /** The epoch it ends at: the progress reads "epoch 3/5". */
  to: number;
  /**
   * What the run finishes: the train section's epochs the checkpoint fell short of ('section'), or a run of
   * "N more" epochs past them that stopped early ('run'); undefined when it trains past a finished plan.
   */
  finishes?: 'section' | 'run';
}

/**
 * The default of a continued run, the editor's and `nnmodel train --resume`'s,
 * from the checkpoint of `epoch` and its history (each entry's `epochs` is the
 * total its run was going to):
 * - the run that wrote it was one of "N more" epochs past a finished plan
 *   (the run before it ended at its own total) and stopped short of its
 *   total: on to that total ("5 more" after 5 planned 10; a Cancel at 7 goes
 *   on to 10), or to the section's epochs if they are more;
 * - else the train section's `epochs` are the plan, as they read now (a
 *   section lowered after a Cancel is honoured): to them when the checkpoint
 *   falls short (stopped at epoch 2 of 5: epochs 3–5);
 * - the plan done, `sectionEpochs` more.
 */
export function continuation(epoch: number, history: readonly Pick<EpochLogs, 'epoch' | 'epochs'>[] | undefined, sectionEpochs: number): Continuation {
  const total = (e: number): number | undefined => {
    const t = history?.find((h) => h?.epoch === e)?.epochs;
    return Number.isSafeInteger(t) ? t : undefined;
  };
  const planned = total(epoch);
  let extension = false;
  if (planned !== undefined && planned > epoch) {
    // The first epoch of the stopped run: its entries going back share its total.
    let first = epoch;
    while (first > 1 && total(first - 1) === planned) first--;
    extension = first > 1 && total(first - 1) === first - 1;
  }
  if (extension && planned! > sectionEpochs) return { epochs: planned! - epoch, to: planned!, finishes: 'run' };
  if (epoch < sectionEpochs) return { epochs: sectionEpochs - epoch, to: sectionEpochs, finishes: 'section' };
  return { epochs: sectionEpochs, to: epoch + sectionEpochs };
}

/**
 * Applies the weights of `ck` to `built` (the layers that fit) and keeps
 * what the run needs to continue: the epoch, the history and the optimiser
 * state to restore once the trainer has made its optimiser. Throws only
 * when the weights are damaged. The CLI and the page both resume through it.
 */
export function resumeModel(tf: Tf, built: BuiltModel, ck: ResumeSource): Resumed {
  const match = applyCheckpoint(tf, built, ck.modelJson, ck.weights);
  // Only what the restore needs, not `ck` (its weights are applied), and only until the restore: a run
  // keeps its Resumed to the end, and the bytes would stay referenced all that time.
  let pending: Omit<ResumeSource, 'weights'> | undefined = { modelJson: ck.modelJson, optimizer: ck.optimizer, optimizerProblem: ck.optimizerProblem };
  const epoch = ck.modelJson.nnmodel.epoch;
  return {
    epoch,
    history: ck.modelJson.nnmodel.history ?? [],
    problems: match.problems,
    restoreOptimizer: async (t, optimizer, config) => {
      const source = pending;
      pending = undefined;
      if (!source) {
        return { restored: false, message: `the optimizer's state of epoch ${epoch} was restored once already; ${describeOptimizerConfig(optimizerConfigRecord(config))} starts afresh.` };
      }
      return restoreOptimizerState(t, optimizer, config, built, source.modelJson, source.optimizer, source.optimizerProblem);
    },
  };
}

/**
 * `TrainOptions.prepareOptimizer` for a resumed run: restores each role's
 * optimiser from its `Resumed` model, and hands `warn` the sentence when
 * one starts afresh (prefixed with the role's name from `names`, for a
 * GAN's discriminator).
 */
export function optimizerRestorer(
  tf: Tf,
  config: TrainConfig['optimizer'],
  resumed: Partial<Record<'model' | 'generator' | 'discriminator', Resumed>>,
  warn: (message: string) => void,
  names: Partial<Record<'model' | 'generator' | 'discriminator', string>> = {},
): (optimizer: tfTypes.Optimizer, role: 'model' | 'generator' | 'discriminator') => Promise<void> {
  return async (optimizer, role) => {
    const r = resumed[role];
    if (!r) return;
    const result = await r.restoreOptimizer(tf, optimizer, config);
    if (result.message) warn(names[role] ? `${names[role]}: ${result.message}` : result.message);
  };
}

// ------------------------------------------------------------------ files

/** The file operations checkpoints need (node:fs/promises in Node; a fake in tests). */
export interface CheckpointFs {
  mkdir(path: string): Promise<void>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  /** Atomic replace of `to` when it exists. */
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  list(dir: string): Promise<string[]>;
}

/**
 * Where the checkpoints of `model` in `file` live: `folderSetting` (the
 * setting `nnmodel.checkpoints.folder`, default `.nnmodel/<file>/<model>`)
 * with `<file>` (the file name without `.nnmodel`) and `<model>` replaced,
 * relative to the folder of the file unless absolute.
 */
export function checkpointDir(filePath: string, model: string, folderSetting = '.nnmodel/<file>/<model>'): string {
  const p = filePath.replace(/\\/g, '/');
  const dir = p.slice(0, p.lastIndexOf('/')) || '.';
  const base = p.slice(p.lastIndexOf('/') + 1).replace(/\.nnmodel$/i, '');
  const rel = folderSetting.replace(/<file>/g, safeName(base)).replace(/<model>/g, safeName(model));
  return rel.startsWith('/') || /^[A-Za-z]:[\\/]/.test(rel) ? rel : `${dir}/${rel}`;
}

/** A model or file name as one path segment: every character other than a letter, a digit, `_`, `.` or `-` becomes `_`. */
function safeName(s: string): string {
  return s.replace(/[^\w.-]/g, '_');
}

/**
 * `dir` with its last two names (`<file>/<model>`) made safe as checkpointDir makes them, when that
 * is another folder holding `jsonName`; else undefined.
 */
async function sanitisedSibling(fs: CheckpointFs, dir: string, jsonName: string): Promise<string | undefined> {
  const parts = dir.replace(/\\/g, '/').replace(/\/+$/, '').split('/');
  for (let i = Math.max(0, parts.length - 2); i < parts.length; i++) parts[i] = safeName(parts[i]);
  const candidate = parts.join('/');
  if (candidate === dir.replace(/\\/g, '/').replace(/\/+$/, '')) return undefined;
  const files = await fs.list(candidate).catch(() => [] as string[]);
  return files.includes(jsonName) ? candidate : undefined;
}

/**
 * Where a GAN's discriminator (`loss: adversarial(discriminator)` in the
 * train section of `generator`) keeps its checkpoint: its own
 * `checkpointDir`, unless that is the generator's (a folder setting without
 * `<model>`), then the subfolder `<generator's folder>/<discriminator>`.
 * Two models never share a folder: a checkpoint write removes the weights
 * files its `model.json` does not name, and resume would load one model's
 * weights into the other. The CLI and the editor both call this, so each
 * finds the other's checkpoints.
 */
export function discriminatorCheckpointDir(filePath: string, generator: string, discriminator: string, folderSetting?: string): string {
  const gDir = checkpointDir(filePath, generator, folderSetting);
  const dDir = checkpointDir(filePath, discriminator, folderSetting);
  return dDir === gDir ? `${gDir}/${safeName(discriminator)}` : dDir;
}

/**
 * Reads the checkpoint of `model` where training writes it: its folder, or,
 * when a folder setting without `<model>` gives every model the same folder
 * and another model's checkpoint is there, `<folder>/<model>` (where a GAN's
 * discriminator goes, `discriminatorCheckpointDir`). Throws as
 * `readCheckpoint` when there is none of this model, a damaged one included.
 */
export async function readModelCheckpoint(
  fs: CheckpointFs,
  filePath: string,
  model: string,
  folderSetting?: string,
  options: ReadCheckpointOptions = {},
): Promise<ReadCheckpoint & { dir: string }> {
  const dir = checkpointDir(filePath, model, folderSetting);
  const shared = dir === checkpointDir(filePath, `${model}\u0000other`, folderSetting);
  let first: unknown;
  try {
    const ck = await readCheckpoint(fs, dir, options);
    if (ck.modelJson.nnmodel.model === model || !shared) return { ...ck, dir };
  } catch (e) {
    if (!shared) throw e;
    first = e;
  }
  const sub = `${dir}/${safeName(model)}`;
  try {
    return { ...(await readCheckpoint(fs, sub, options)), dir: sub };
  } catch (e) {
    throw first ?? e;
  }
}

let tmpCounter = 0;
const tmpSuffix = () => `.tmp-${Date.now().toString(36)}-${(tmpCounter++).toString(36)}`;

/**
 * Why checkpoints cannot be written in `dir` (Node's message: `EEXIST: file
 * already exists, mkdir '…'` for a path through a file, `EROFS` for a
 * read-only disk), undefined when they can: creates the folder, then writes
 * and removes an empty probe file named as `writeCheckpoint`'s temporary
 * files (so one left by a crash is tidied with them). Training asks before
 * its first epoch, which would otherwise be lost to a folder found
 * unwritable only when its checkpoint is written.
 */
export async function checkpointFolderProblem(fs: CheckpointFs, dir: string): Promise<string | undefined> {
  try {
    await fs.mkdir(dir);
    const probe = `${dir}/write-check${tmpSuffix()}`;
    await fs.writeFile(probe, new Uint8Array(0));
    await fs.remove(probe);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Writes `data` to `name` in `dir` through a temporary file and a rename.
 * Should either fail (a full disk), the temporary file is removed, and
 * `placed` gets the file once renamed, so that a later failure can remove it.
 */
async function placeFile(fs: CheckpointFs, dir: string, name: string, data: Uint8Array, placed: string[]): Promise<void> {
  const tmp = `${dir}/${name}${tmpSuffix()}`;
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, `${dir}/${name}`);
  } catch (e) {
    // Each retry would otherwise leave another partial file on a disk that is already full.
    await fs.remove(tmp).catch(() => undefined);
    throw e;
  }
  placed.push(name);
}

/**
 * After a failed write in `dir`: removes the files it placed that the
 * checkpoint on disk (`jsonName`, read again) does not name, so a failure
 * leaves the folder as it was. Nothing is removed when the JSON cannot be read.
 */
async function removeUnswitched(fs: CheckpointFs, dir: string, jsonName: string, placed: readonly string[]): Promise<void> {
  let named: Set<string>;
  try {
    const json = JSON.parse(new TextDecoder().decode(await fs.readFile(`${dir}/${jsonName}`))) as ModelJson;
    named = new Set([...(json.weightsManifest?.[0]?.paths ?? []), ...(json.nnmodel?.optimizer?.file !== undefined ? [json.nnmodel.optimizer.file] : [])]);
  } catch (e) {
    // No checkpoint before this one: nothing names what was placed. Unreadable for another reason: leave it.
    if (!(await fs.list(dir).then((names) => !names.includes(jsonName), () => false))) return;
    named = new Set();
  }
  for (const name of placed) if (!named.has(name)) await fs.remove(`${dir}/${name}`).catch(() => undefined);
}

/** Whether two signatures have the same layers: paths, ops and weight shapes (labels and lines aside). */
export function sameArchitecture(a: readonly LayerSignature[], b: readonly LayerSignature[]): boolean {
  const key = (s: readonly LayerSignature[]) => JSON.stringify(s.map((l) => [l.path, l.op, l.weights.map((w) => [w.name, w.shape])]));
  return Array.isArray(a) && Array.isArray(b) && key(a) === key(b);
}

/**
 * Sets `meta.architectureFrom` from the checkpoint `meta` replaces in `dir`,
 * when it is of the same run (an earlier epoch of its history): the epoch
 * after it when its layers differ (the run was continued after an edit),
 * else its own `architectureFrom`.
 */
async function recordArchitecture(fs: CheckpointFs, dir: string, meta: CheckpointMeta): Promise<void> {
  if (meta.architectureFrom !== undefined) return;
  const previous = await checkpointMeta(fs, dir, 'last');
  if (!previous || !(previous.meta.epoch < meta.epoch) || !bestFromSameRun(previous.meta, meta)) return;
  if (!sameArchitecture(previous.meta.signature, meta.signature)) meta.architectureFrom = previous.meta.epoch + 1;
  else if (Number.isSafeInteger(previous.meta.architectureFrom)) meta.architectureFrom = previous.meta.architectureFrom;
}

/** The epochs of `meta`'s history trained with its layers (from `architectureFrom`), whose best `best.json` may hold. */
export function architectureHistory(meta: Pick<CheckpointMeta, 'history' | 'architectureFrom'>): EpochLogs[] {
  const from = meta.architectureFrom;
  return (meta.history ?? []).filter((h) => from === undefined || (h?.epoch ?? 0) >= from);
}

/**
 * Writes a checkpoint into `dir` atomically (see the file comment); a
 * failure removes what it wrote, leaving the previous checkpoint. Records in
 * `ck.modelJson` the epoch its layers were first trained from when the run
 * continued an edited model (`CheckpointMeta.architectureFrom`).
 */
export async function writeCheckpoint(fs: CheckpointFs, dir: string, ck: EncodedCheckpoint): Promise<void> {
  await fs.mkdir(dir);
  await recordArchitecture(fs, dir, ck.modelJson.nnmodel);
  const optimizerFile = ck.modelJson.nnmodel.optimizer?.file;
  if ((optimizerFile !== undefined || ck.optimizer) && (!ck.optimizer || optimizerFile === undefined || !OPTIMIZER_STATE_FILE.test(optimizerFile))) {
    throw new CheckpointError(`the checkpoint of epoch ${ck.modelJson.nnmodel.epoch} has an optimizer state without its file (or a file without its description); nothing was written.`);
  }
  const placed: string[] = [];
  try {
    await placeFile(fs, dir, ck.weightsFile, ck.weights, placed);
    // The optimiser's state, like the weights, before the switch: model.json never names a file that is not there.
    if (ck.optimizer && optimizerFile !== undefined) await placeFile(fs, dir, optimizerFile, ck.optimizer, placed);
    await placeFile(fs, dir, MODEL_JSON, new TextEncoder().encode(JSON.stringify(ck.modelJson)), []);
  } catch (e) {
    await removeUnswitched(fs, dir, MODEL_JSON, placed);
    throw e;
  }
  // The switch is done; what follows only tidies up (nnmodel's own files, by their exact names).
  for (const name of await fs.list(dir).catch(() => [] as string[])) {
    const stale = (WEIGHTS_FILE.test(name) && name !== ck.weightsFile) || (OPTIMIZER_STATE_FILE.test(name) && name !== optimizerFile) || isCheckpointTemporary(name);
    if (stale) await fs.remove(`${dir}/${name}`).catch(() => undefined);
  }
}

/**
 * Removes from checkpoint folder `dir` what a run stopped while writing left
 * there (killed, or its machine gone, mid-write), so it does not stay until a
 * later write happens to tidy it: nnmodel's temporary files
 * (`isCheckpointTemporary`), and the weights, optimizer state and best
 * weights files (`weights-e3-1a2b3c4d.bin`, `optimizer-e3-…`, `best-e6-…`)
 * that the folder's `model.json`, resp. `best.json`, does not name: written
 * for a switch that never happened, or left by one that did. Files of other
 * names are never touched; when `model.json` (`best.json`) is there but
 * does not read as JSON, or names no weights file, the files of its kind
 * stay (they may be all that is left of a damaged checkpoint). A training calls it once it holds the
 * folder's lock (no other run writes there). Returns the names removed.
 */
export async function tidyCheckpointFolder(fs: CheckpointFs, dir: string): Promise<string[]> {
  const names = await fs.list(dir).catch(() => [] as string[]);
  /**
   * The files the JSON `jsonName` names; undefined when it is there and unreadable, or names no weights file (its
   * manifest damaged: keep its kind's files); empty when it is missing.
   */
  const namedBy = async (jsonName: string): Promise<Set<string> | undefined> => {
    if (!names.includes(jsonName)) return new Set();
    try {
      const json = JSON.parse(new TextDecoder().decode(await fs.readFile(`${dir}/${jsonName}`))) as Partial<ModelJson> | null;
      const paths: unknown = json?.weightsManifest?.[0]?.paths;
      if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === 'string')) return undefined;
      const optimizer = json?.nnmodel?.optimizer?.file;
      return new Set([...paths, ...(typeof optimizer === 'string' ? [optimizer] : [])]);
    } catch {
      return undefined;
    }
  };
  const [last, best] = await Promise.all([namedBy(MODEL_JSON), namedBy(BEST_JSON)]);
  const removed: string[] = [];
  for (const name of names) {
    const stale =
      isCheckpointTemporary(name) ||
      ((WEIGHTS_FILE.test(name) || OPTIMIZER_STATE_FILE.test(name)) && last !== undefined && !last.has(name)) ||
      (BEST_WEIGHTS_FILE.test(name) && best !== undefined && !best.has(name));
    if (!stale) continue;
    try {
      await fs.remove(`${dir}/${name}`);
      removed.push(name);
    } catch {
      // Gone meanwhile, or not ours to remove after all (permissions): left.
    }
  }
  return removed;
}

/**
 * Moves checkpoints `which` of folder `dir` into a new subfolder
 * `set-aside-<date>T<time>` of it, so that a training may start there
 * without replacing them: for the last, `model.json` and every weights and
 * optimizer state file (the next write would remove them all); for the
 * best, `best.json` and its weights files. Each JSON goes first, so the
 * folder stops offering that checkpoint at once. Throws when a move fails,
 * having moved back what it had moved (a checkpoint half set aside, its JSON
 * gone, would have its other files taken for leftovers by the next
 * training's `tidyCheckpointFolder`); a file that cannot be moved back stays
 * in the subfolder. Returns the subfolder (`dir`-relative name) and the
 * files moved. A subfolder's name
 * holds `-`, which no model name gives (`checkpointDir`), so it is never
 * taken for a model's folder.
 */
export async function setCheckpointsAside(fs: CheckpointFs, dir: string, which: readonly CheckpointKind[], now = new Date()): Promise<{ folder: string; files: string[] }> {
  const names = await fs.list(dir);
  const stamp = now.toISOString().slice(0, 19).replace(/:/g, '-');
  let folder = `set-aside-${stamp}`;
  for (let n = 2; names.includes(folder); n++) folder = `set-aside-${stamp}-${n}`;
  const files = [
    ...(which.includes('last') ? [MODEL_JSON, ...names.filter((n) => WEIGHTS_FILE.test(n) || OPTIMIZER_STATE_FILE.test(n))] : []),
    ...(which.includes('best') ? [BEST_JSON, ...names.filter((n) => BEST_WEIGHTS_FILE.test(n))] : []),
  ].filter((n) => names.includes(n));
  await fs.mkdir(`${dir}/${folder}`);
  const moved: string[] = [];
  try {
    for (const name of files) {
      await fs.rename(`${dir}/${name}`, `${dir}/${folder}/${name}`);
      moved.push(name);
    }
  } catch (e) {
    // Back in the reverse order, so each JSON returns after the files it names.
    let back = 0;
    for (const name of moved.reverse()) {
      try {
        await fs.rename(`${dir}/${folder}/${name}`, `${dir}/${name}`);
        back++;
      } catch {
        // Left in the subfolder: still there, and no tidy-up looks in it.
      }
    }
    if (back === moved.length) await fs.remove(`${dir}/${folder}`).catch(() => undefined);
    throw e;
  }
  return { folder, files };
}

/** What a training says after `tidyCheckpointFolder` removed `names` from `dir`; undefined when it removed nothing. */
export function tidiedText(dir: string, names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const shown = names.length > 4 ? [...names.slice(0, 3), `and ${names.length - 3} more`] : names;
  return `removed ${plural(names.length, 'file')} an interrupted checkpoint write left in ${dir}: ${shown.join(', ')}.`;
}

/** What `writeBestCheckpoint` did with the best checkpoint of a folder. */
export type BestUpdate =
  /**
   * This epoch beat the best on disk (or there was none): `best.json` now
   * holds its weights. `warning` (staleBestWarning): an earlier epoch of the
   * history had a lower val_loss, but its best write failed or was interrupted.
   */
  | {
      kind: 'written';
      epoch: number;
      valLoss: number;
      warning?: string;
      /** Said once: the best it replaced was trained before the model was edited (`editedBestNote`). */
      note?: string;
      /** `CheckpointMeta.architectureFrom`: the best is of the epochs from this one on. */
      since?: number;
    }
  /**
   * `onDisk`: `best.json` still holds the earlier epoch `epoch` (with
   * `warning` when it is not the history's lowest val_loss). Not on disk
   * (this epoch has no val_loss, and no best of this run is there): `epoch`
   * is the history's best, whose weights were not kept.
   */
  | { kind: 'kept'; epoch: number; valLoss: number; onDisk: boolean; warning?: string; since?: number }
  /** No validation figures: no best, and a best left by an earlier run was removed. */
  | { kind: 'none' };

/**
 * Keeps the best weights beside the last: call it after `writeCheckpoint(fs,
 * dir, ck)` succeeded. When `ck`'s epoch has a `val_loss` below that of the
 * best on disk (strictly: the earliest of equals stays), or there is no best
 * of this run on disk (`best.json` missing, from another run, or its weights
 * file gone), its weights are written as the folder's best checkpoint with
 * the discipline of `writeCheckpoint`: the
 * weights to `best-e<epoch>-<checksum>.bin` through a temp file and a
 * rename, then `best.json` (the same model.json without the optimiser's
 * state: resume always continues from the last) through a temp file and a
 * rename, the one switch from the old best to the new; only then the old
 * best weights file goes. The comparison is with the disk, not the history:
 * after a failed or interrupted best write the lower epoch's weights are
 * gone, and a later epoch that beats the best on disk is still kept (the
 * update's `warning` says an earlier epoch was lower). A failure at any step
 * leaves the previous best loadable (and the last checkpoint is never touched); the error is thrown
 * for the caller to report. One best and one last: the disk holds two
 * weights files at most. A history without validation writes no best and
 * removes one an earlier run left (it would describe other weights).
 */
export async function writeBestCheckpoint(fs: CheckpointFs, dir: string, ck: EncodedCheckpoint): Promise<BestUpdate> {
  const meta = ck.modelJson.nnmodel;
  // Only the epochs of these layers: after an edit, an earlier epoch's val_loss belongs to weights that no longer fit.
  const best = bestEpoch(architectureHistory(meta));
  if (!best) {
    const names = await fs.list(dir).catch(() => [] as string[]);
    // best.json first: once it is gone there is no best, whatever weights file a failure leaves.
    if (names.includes(BEST_JSON)) await fs.remove(`${dir}/${BEST_JSON}`);
    for (const name of names) if (BEST_WEIGHTS_FILE.test(name)) await fs.remove(`${dir}/${name}`).catch(() => undefined);
    return { kind: 'none' };
  }
  const onDisk = await savedBest(fs, dir, meta);
  const edited = onDisk && meta.architectureFrom !== undefined && onDisk.epoch < meta.architectureFrom ? onDisk : undefined;
  const saved = edited ? undefined : onDisk;
  const own = epochValLoss(meta);
  const since = meta.architectureFrom !== undefined ? { since: meta.architectureFrom } : {};
  if (own === undefined || (saved && !(own < saved.valLoss))) {
    if (!saved) return { kind: 'kept', epoch: best.epoch, valLoss: best.valLoss, onDisk: false, ...since };
    const warning = best.valLoss < saved.valLoss ? staleBestWarning(saved, best) : undefined;
    return { kind: 'kept', epoch: saved.epoch, valLoss: saved.valLoss, onDisk: true, ...(warning ? { warning } : {}), ...since };
  }
  const weightsFile = `best-e${meta.epoch}-${meta.checksum}.bin`;
  const { optimizer: _optimizer, ...bestMeta } = meta;
  const json: ModelJson = {
    ...ck.modelJson,
    weightsManifest: ck.modelJson.weightsManifest.map((g, i) => (i === 0 ? { ...g, paths: [weightsFile] } : g)),
    nnmodel: bestMeta,
  };
  const placed: string[] = [];
  try {
    await placeFile(fs, dir, weightsFile, ck.weights, placed);
    await placeFile(fs, dir, BEST_JSON, new TextEncoder().encode(JSON.stringify(json)), []);
  } catch (e) {
    await removeUnswitched(fs, dir, BEST_JSON, placed);
    throw e;
  }
  // The switch is done; what follows only tidies up.
  for (const name of await fs.list(dir).catch(() => [] as string[])) {
    const stale = (BEST_WEIGHTS_FILE.test(name) && name !== weightsFile) || (name.startsWith('best') && isCheckpointTemporary(name));
    if (stale) await fs.remove(`${dir}/${name}`).catch(() => undefined);
  }
  const warning = best.valLoss < own ? staleBestWarning({ epoch: meta.epoch, valLoss: own }, best) : undefined;
  const note = edited ? editedBestNote(edited, meta.architectureFrom!) : undefined;
  return { kind: 'written', epoch: meta.epoch, valLoss: own, ...(warning ? { warning } : {}), ...(note ? { note } : {}), ...since };
}

/** The finite val_loss a checkpoint's history records for its own epoch; undefined when there is none (no validation, or a damaged entry). */
export function epochValLoss(m: Pick<CheckpointMeta, 'epoch' | 'history'>): number | undefined {
  const v = (m.history ?? []).find((h) => h?.epoch === m.epoch)?.valLoss;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * The best checkpoint in `dir` when it counts for the run of `meta`: its
 * `best.json` reads, it comes from this run (`bestFromSameRun`), has a
 * val_loss, and its weights file is there. Undefined otherwise.
 */
async function savedBest(fs: CheckpointFs, dir: string, meta: CheckpointMeta): Promise<{ epoch: number; valLoss: number } | undefined> {
  const best = await checkpointMeta(fs, dir, 'best');
  if (!best || best.weightsFile === undefined || !bestFromSameRun(best.meta, meta)) return undefined;
  const valLoss = epochValLoss(best.meta);
  if (valLoss === undefined) return undefined;
  // An unlistable folder: no best on disk.
  const files = await fs.list(dir).catch(() => [] as string[]);
  return files.includes(best.weightsFile) ? { epoch: best.meta.epoch, valLoss } : undefined;
}

/** Said when `best.json` held epoch `old` of the model before an edit that changed its layers (at epoch `from`): it was replaced, not compared. */
export function editedBestNote(old: { epoch: number; valLoss: number }, from: number): string {
  return (
    `${BEST_JSON} held epoch ${old.epoch} (val_loss ${lossFigure(old.valLoss)}), trained before the model's layers changed; ` +
    `it is not compared with the epochs from ${from} on, whose weights fit the model now: the best is chosen among those`
  );
}

/**
 * Why `best.json` (holding epoch `held`) is not the run's best: epoch
 * `lowest` had a lower val_loss, and its weights were lost with a failed or
 * interrupted best write.
 */
export function staleBestWarning(held: { epoch: number; valLoss: number }, lowest: { epoch: number; valLoss: number }): string {
  return (
    `${BEST_JSON} holds epoch ${held.epoch} (val_loss ${lossFigure(held.valLoss)}), but epoch ${lowest.epoch} had a lower val_loss ` +
    `(${lossFigure(lowest.valLoss)}) and its weights were not kept (writing them as the best failed or was interrupted)`
  );
}

/**
 * What to say of the best checkpoint `best` of a folder whose last
 * checkpoint is `last`, when it is not the last run's lowest val_loss: from
 * another run (`bestChoiceWarning`), or of this run but not its lowest
 * (`staleBestWarning`). Undefined when it is what its name says.
 */
export function bestWarning(best: Pick<CheckpointMeta, 'epoch' | 'history'>, last: Pick<CheckpointMeta, 'epoch' | 'history'>): string | undefined {
  if (!bestFromSameRun(best, last)) return bestChoiceWarning(best.epoch, last.epoch);
  const lowest = bestEpoch(architectureHistory(last));
  const held = epochValLoss(best);
  return lowest && held !== undefined && lowest.valLoss < held ? staleBestWarning({ epoch: best.epoch, valLoss: held }, lowest) : undefined;
}

/**
 * Whether the best checkpoint `best` comes from the run whose last
 * checkpoint is `last`: its epoch is in the last one's history with the
 * same figures. Not so after a crash between the two writes or a run of an
 * older nnmodel; the best is then offered with a warning (`bestChoiceWarning`).
 */
export function bestFromSameRun(best: Pick<CheckpointMeta, 'epoch' | 'history'>, last: Pick<CheckpointMeta, 'epoch' | 'history'>): boolean {
  if (best.epoch > last.epoch) return false;
  const mine = (best.history ?? []).find((h) => h?.epoch === best.epoch);
  const theirs = (last.history ?? []).find((h) => h?.epoch === best.epoch);
  return !!mine && !!theirs && mine.loss === theirs.loss && mine.valLoss === theirs.valLoss;
}

/** One checkpoint of a folder as a picker lists it: "best (epoch 6, val_loss 0.412)". */
export interface CheckpointChoice {
  which: CheckpointKind;
  epoch: number;
  /** The epoch's val_loss, when it had one. */
  valLoss?: number;
  /** "last (epoch 10, val_loss 0.455)", "best (epoch 6, val_loss 0.412)". */
  label: string;
  /** Said beside the choice when the best does not come from the last checkpoint's run, or is not its lowest val_loss (`bestWarning`). */
  warning?: string;
  /** "no longer fits the model: 1 of 3 layers would load", when `checkpointChoices` was given the model's signature and the checkpoint does not fit it (`checkpointMisfit`). */
  misfit?: string;
  /** How the checkpoint fits the model, when `checkpointChoices` was given the model's signature (and the checkpoint has one). */
  fit?: CheckpointFit;
}

/** How much of a checkpoint fits a model (`checkpointFit`). */
export interface CheckpointFit {
  /** The model's layers with weights that would load. */
  loaded: number;
  /** The model's layers with weights. */
  total: number;
  /** One sentence per layer that does not fit, either side (`matchSignature`). */
  problems: string[];
}

/**
 * How much of a checkpoint (its `saved` signature) fits a model (`current`,
 * from `graphSignature` or `analysisSignature`): the layers that would load,
 * out of the model's layers with weights, and what does not fit.
 */
export function checkpointFit(saved: readonly LayerSignature[], current: readonly LayerSignature[]): CheckpointFit {
  const match = matchSignature(saved, current);
  return { loaded: match.pairs.length, total: current.length, problems: match.problems };
}

/**
 * Whether a checkpoint no longer fits a model, as one rule for every place
 * that says so: a layer of either side without its counterpart (a model
 * layer that would keep its initial weights, or saved weights nothing
 * uses). The pickers of Load Weights, Evaluate and Generate Text mark such
 * a checkpoint with this text ("no longer fits the model: 1 of 3 layers
 * would load"); undefined when it fits.
 */
export function checkpointMisfit(fit: CheckpointFit): string | undefined {
  if (fit.problems.length === 0) return undefined;
  if (fit.loaded < fit.total) return `no longer fits the model: ${fit.loaded} of ${fit.total} ${fit.total === 1 ? 'layer' : 'layers'} would load`;
  // Every layer of the model loads, but the checkpoint has layers the model no longer has.
  const extra = fit.problems.length;
  return `no longer fits the model: ${extra} of its layers ${extra === 1 ? 'is' : 'are'} no longer in the model`;
}

/**
 * A problem of `matchSignature` without what follows from it when the
 * weights load ("; it keeps its initial weights."), and without its full
 * stop: what differs, for a refusal, where nothing loads.
 */
export function misfitCause(problem: string): string {
  return problem.replace(/; it keeps its initial weights\.$/, '').replace(/; its weights are not used\.$/, '');
}

/**
 * Why Evaluate and Generate Text (in the editor and as `nnmodel evaluate`
 * and `nnmodel generate`) refuse a checkpoint that does not fit the model
 * (`checkpointMisfit`): which checkpoint, how many layers would load, each
 * layer that differs with its line and shapes, and what to do. The parts
 * are joined by `separator` (a line each on the command line).
 */
export function misfitRefusal(model: string, which: CheckpointKind, epoch: number, fit: CheckpointFit, separator = ' '): string {
  // Said of a refusal: nothing keeps its initial weights or leaves weights unused, since nothing runs.
  const reasons = fit.problems.map((p) => `${misfitCause(p)}.`);
  return [
    `the ${which} checkpoint (epoch ${epoch}) no longer fits ${model} (${fit.loaded} of ${fit.total} ${fit.total === 1 ? 'layer' : 'layers'} would load):`,
    ...reasons,
    `Train ${model} again, or undo the change to the model.`,
  ].join(separator);
}

/** "1 of 3 layers loaded": said wherever loaded weights did not all fit. */
export function layersLoadedText(loaded: number, total: number): string {
  return `${loaded} of ${total} ${total === 1 ? 'layer' : 'layers'} loaded`;
}

/**
 * Load Weights' notification: information when the checkpoint fits the
 * model, else a warning that names the partial load and what did not fit.
 * `fit` is undefined when it could not be told before the page loads them.
 */
export function loadWeightsNotice(
  model: string,
  which: CheckpointKind,
  epoch: number,
  fit: CheckpointFit | undefined,
): { severity: 'info' | 'warning'; text: string } {
  const what = `${which === 'best' ? 'best weights (lowest val_loss) of epoch' : 'weights of epoch'} ${epoch}`;
  if (!fit || fit.problems.length === 0) return { severity: 'info', text: `Loaded the ${what} into ${model}; the inspector shows them.` };
  return { severity: 'warning', text: `${model}: ${layersLoadedText(fit.loaded, fit.total)} from the ${what}: ${fit.problems.join(' ')}` };
}

/**
 * Losses shown side by side (a picker's last and best), each to three
 * significant digits as `lossFigure` gives one, but with the same digits:
 * trailing zeros are dropped only where every figure has one to drop
 * ("1.60" beside "0.755", not "1.6"; "0.47" beside "0.40").
 */
export function lossFigures(values: readonly number[]): string[] {
  let out = values.map((v) => {
    if (v === 0) return '0';
    const p = v.toPrecision(3);
    return p.includes('e') ? String(Number(p)) : p;
  });
  const trimmable = (f: string) => f.includes('.') && f.endsWith('0');
  while (out.length > 0 && out.every(trimmable)) out = out.map((f) => f.slice(0, -1).replace(/\.$/, ''));
  return out;
}

/** The label of a checkpoint in a picker; `shown`: its val_loss as written beside the other choices' (`lossFigures`). */
export function checkpointLabel(which: CheckpointKind, epoch: number, valLoss: number | undefined, shown?: string): string {
  return `${which} (epoch ${epoch}${valLoss !== undefined && Number.isFinite(valLoss) ? `, val_loss ${shown ?? lossFigure(valLoss)}` : ''})`;
}

/**
 * The checkpoints of `dir` to pick from (Load Weights, Evaluate, Export):
 * the last, then the best when there is one. Reads the two JSON files only;
 * an unreadable or damaged one is left out (reading it for real reports
 * the damage). Empty when the folder has neither.
 */
export async function checkpointChoices(fs: CheckpointFs, dir: string, model?: string, current?: readonly LayerSignature[]): Promise<CheckpointChoice[]> {
  const meta = async (which: CheckpointKind): Promise<CheckpointMeta | undefined> => {
    const m = (await checkpointMeta(fs, dir, which))?.meta;
    return m && (model === undefined || m.model === model) ? m : undefined;
  };
  const [last, best] = await Promise.all([meta('last'), meta('best')]);
  const listed = [last, best].filter((m): m is CheckpointMeta => m !== undefined);
  const losses = listed.map(epochValLoss).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const figures = lossFigures(losses);
  const shownOf = (v: number | undefined) => (v === undefined ? undefined : figures[losses.indexOf(v)]);
  const choice = (which: CheckpointKind, m: CheckpointMeta, warning?: string): CheckpointChoice => {
    const valLoss = epochValLoss(m);
    const fit = current && Array.isArray(m.signature) ? checkpointFit(m.signature, current) : undefined;
    const misfit = fit && checkpointMisfit(fit);
    return {
      which,
      epoch: m.epoch,
      ...(valLoss !== undefined ? { valLoss } : {}),
      label: checkpointLabel(which, m.epoch, valLoss, shownOf(valLoss)),
      ...(warning ? { warning } : {}),
      ...(misfit ? { misfit } : {}),
      ...(fit ? { fit } : {}),
    };
  };
  const out: CheckpointChoice[] = [];
  if (last) out.push(choice('last', last));
  if (best) out.push(choice('best', best, last && bestWarning(best, last)));
  return out;
}

/** Why a best checkpoint is not the last run's best. */
export function bestChoiceWarning(bestEpochNumber: number, lastEpoch: number): string {
  return `the best checkpoint (epoch ${bestEpochNumber}) is not from the run of the last checkpoint (epoch ${lastEpoch}); it was kept from an earlier run`;
}

/** A checkpoint read from disk. */
export interface ReadCheckpoint {
  modelJson: ModelJson;
  weights: Uint8Array;
  /** The optimiser's state file, when the checkpoint has one and it is intact. */
  optimizer?: Uint8Array;
  /** Why the optimiser's state the checkpoint names is not in `optimizer` (missing or damaged file); the weights are still good. */
  optimizerProblem?: string;
  /** The best checkpoint only: why it is not the lowest val_loss of the run of the folder's last checkpoint (`bestWarning`). */
  warning?: string;
}

/**
 * The standardisation of a CSV's feature columns, part of a model trained on
 * it: saved with its checkpoint, reused on resume and evaluation, carried by
 * the PyTorch export. x' = (x − mean) / std per column, in `names`' order.
 */
export interface FeatureStats {
  /** The feature columns, in the order the model reads them. */
  names: string[];
  mean: number[];
  /** Population standard deviation; 1 for a constant column (it is only centred). */
  std: number[];
  /** How many rows the statistics come from (the training rows); absent in checkpoints written before it was recorded. */
  rows?: number;
}

/** The feature statistics of a checkpoint's `nnmodel.data.featureStats` when well formed; else undefined. */
export function asFeatureStats(x: unknown): FeatureStats | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const o = x as Record<string, unknown>;
  const nums = (a: unknown): a is number[] => Array.isArray(a) && a.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!Array.isArray(o.names) || !o.names.every((n) => typeof n === 'string') || !nums(o.mean) || !nums(o.std)) return undefined;
  const f = o.names.length;
  if (f === 0 || o.mean.length !== f || o.std.length !== f || !o.std.every((v) => v > 0)) return undefined;
  if (o.rows !== undefined && !(Number.isInteger(o.rows) && (o.rows as number) > 0)) return undefined;
  return { names: [...(o.names as string[])], mean: [...o.mean], std: [...o.std], ...(o.rows !== undefined ? { rows: o.rows as number } : {}) };
}

/** What `readCheckpoint` reads besides the weights. */
export interface ReadCheckpointOptions {
  /**
   * Also read and check the optimiser's state (resume only): it is twice the
   * weights for Adam, and loading weights, Evaluate, Generate and export have
   * no use for it. Default false: `optimizer` and `optimizerProblem` stay unset.
   */
  optimizer?: boolean;
  /** Which checkpoint of the folder: the last (`model.json`, the default) or the best (`best.json`, which keeps no optimiser state). */
  which?: CheckpointKind;
  /** The checkpoint's JSON file in `dir` when it is not named as `which`'s (a file the user picked); `which` still says what it holds. */
  file?: string;
}

/**
 * Reads and checks the checkpoint in `dir`. Throws a CheckpointError naming
 * the file when it is missing or damaged. With `{ optimizer: true }`, also
 * the optimiser's state; a missing or damaged one does not throw (the
 * weights load; resume starts the optimiser afresh): it is `optimizerProblem`.
 */
export async function readCheckpoint(fs: CheckpointFs, dir: string, options: ReadCheckpointOptions = {}): Promise<ReadCheckpoint> {
  const which = options.which ?? 'last';
  // A training switching the checkpoint while it is read (model.json renamed over, the old weights removed) is no
  // damage: the file it names went with the old model.json, and the new one names files that are there. Read again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await readCheckpointOnce(fs, dir, options);
    } catch (e) {
      // Everything but a folder without the checkpoint is damage of one that is there.
      if (e instanceof NoCheckpoint || !(e instanceof CheckpointError || e instanceof SwitchedWhileRead)) throw e;
      if (e instanceof SwitchedWhileRead && attempt < READ_ATTEMPTS) continue;
      throw e instanceof DamagedCheckpointError ? e : new DamagedCheckpointError(e.message, which);
    }
  }
}

/** No checkpoint in the folder (the model was never trained there): `readCheckpoint`'s error that is no damage. */
class NoCheckpoint extends CheckpointError {}

/** Why a file that is there could not be read (`not a regular file`, EACCES…); undefined when it is not there (ENOENT, ENOTDIR, or no code: a test's fake). */
function unreadableReason(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as Error & { code?: unknown }).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
  if (code === undefined) return /^not a regular file/.test(e.message) ? 'not a regular file: a folder, FIFO or device' : undefined;
  return e.message;
}

/** How many times `readCheckpoint` reads a checkpoint that a training keeps switching under it. */
const READ_ATTEMPTS = 5;

/** A file the checkpoint's JSON named was missing, and the JSON has changed since it was read: a write switched it. */
class SwitchedWhileRead extends Error {}

async function readCheckpointOnce(fs: CheckpointFs, dir: string, options: ReadCheckpointOptions): Promise<ReadCheckpoint> {
  const jsonName = options.file ?? checkpointJson(options.which);
  const jsonPath = `${dir}/${jsonName}`;
  // A file picked by hand may be a write's leftover (`model.json.tmp-…`): a checkpoint that was never switched to.
  if (isCheckpointTemporary(jsonName)) {
    throw new CheckpointError(`${jsonPath}: is a temporary file left by a checkpoint write that did not finish, not a checkpoint; pick ${MODEL_JSON} or ${BEST_JSON}.`);
  }
  let text: string;
  try {
    text = new TextDecoder().decode(await fs.readFile(jsonPath));
  } catch (e) {
    // There but not readable as a file (a folder, a FIFO, a device: nodeCheckpointFs refuses them, never waits on them).
    const unreadable = unreadableReason(e);
    if (unreadable) throw new CheckpointError(`${jsonPath}: cannot be read (${unreadable}); the checkpoint is damaged.`);
    // No best beside a last checkpoint: the run held out no validation data. Neither: the model was never trained here.
    const trained = options.which === 'best' && (await fs.list(dir).catch(() => [] as string[])).includes(MODEL_JSON);
    if (trained) throw new NoCheckpoint(`${jsonPath}: no best checkpoint here (it is written when training holds out validation data: validation above 0).`);
    // `.nnmodel/le net/LeNet5` for `le net.nnmodel`: training wrote `.nnmodel/le_net/LeNet5` (see checkpointDir).
    const sibling = await sanitisedSibling(fs, dir, jsonName);
    throw new NoCheckpoint(
      sibling
        ? `${jsonPath}: no checkpoint here; ${sibling} has one (in a checkpoint folder's <file> and <model> names, every character other than a letter, a digit, '_', '.' or '-' is '_').`
        : `${jsonPath}: no checkpoint here (train the model first).`,
    );
  }
  let json: ModelJson;
  try {
    json = JSON.parse(text) as ModelJson;
  } catch {
    throw new CheckpointError(`${jsonPath}: is not valid JSON; the checkpoint is damaged.`);
  }
  const meta = json?.nnmodel;
  const paths = json?.weightsManifest?.[0]?.paths;
  if (!meta || meta.version !== CHECKPOINT_VERSION || !Array.isArray(meta.signature) || !Array.isArray(paths) || paths.length !== 1) {
    throw new CheckpointError(`${jsonPath}: is not an nnmodel checkpoint (version ${CHECKPOINT_VERSION}).`);
  }
  // What continues, compares and draws a checkpoint reads these: damage here is said here, not met later as a TypeError.
  if (!Number.isSafeInteger(meta.epoch) || meta.epoch < 0 || (meta.history !== undefined && !Array.isArray(meta.history))) {
    throw new CheckpointError(`${jsonPath}: its epoch or history is malformed; the checkpoint is damaged.`);
  }
  if (!/^[\w.-]+$/.test(paths[0])) throw new CheckpointError(`${jsonPath}: names a weights file outside its folder.`);
  const weightsPath = `${dir}/${paths[0]}`;
  let weights: Uint8Array;
  // Missing: damaged, unless the JSON changed meanwhile (a training wrote the next epoch).
  const switched = async (message: string): Promise<never> => {
    const now = await fs.readFile(jsonPath).then((b) => new TextDecoder().decode(b), () => undefined);
    throw now !== undefined && now !== text ? new SwitchedWhileRead(message) : new CheckpointError(message);
  };
  try {
    weights = await fs.readFile(weightsPath);
  } catch (e) {
    const unreadable = unreadableReason(e);
    if (unreadable) throw new CheckpointError(`${weightsPath}: cannot be read (${unreadable}); the checkpoint is damaged.`);
    return switched(`${weightsPath}: missing; the checkpoint is damaged.`);
  }
  if (fnv1a(weights) !== meta.checksum) throw new CheckpointError(`${weightsPath}: its checksum does not match ${jsonName}; the checkpoint is damaged.`);
  decodeWeights(json, weights, jsonPath);
  // The features the weights were trained on were scaled by these: without them the weights mean nothing for raw rows.
  if (meta.data?.featureStats !== undefined && !asFeatureStats(meta.data.featureStats)) {
    throw new CheckpointError(`${jsonPath}: its feature standardisation (data.featureStats) is malformed; the checkpoint is damaged.`);
  }
  // The best is checked against the last checkpoint of its folder (its JSON only): a stale best is said wherever it is read.
  const warning = options.which === 'best' ? await checkpointMeta(fs, dir, 'last').then((last) => last && bestWarning(meta, last.meta)) : undefined;
  const read: ReadCheckpoint = { modelJson: json, weights, ...(warning ? { warning } : {}) };
  const opt = meta.optimizer;
  if (opt === undefined || !options.optimizer) return read;
  if (!isObj(opt) || typeof opt.file !== 'string' || !OPTIMIZER_STATE_FILE.test(opt.file)) {
    return { ...read, optimizerProblem: `${jsonPath}: its optimizer state is malformed` };
  }
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(`${dir}/${opt.file}`);
  } catch (e) {
    const now = await fs.readFile(jsonPath).then((b) => new TextDecoder().decode(b), () => undefined);
    if (now !== undefined && now !== text) throw new SwitchedWhileRead(`${dir}/${opt.file}: missing; the checkpoint is damaged.`);
    const unreadable = unreadableReason(e);
    return { ...read, optimizerProblem: `${dir}/${opt.file}: ${unreadable ? `cannot be read (${unreadable})` : 'missing'}` };
  }
  const problem = optimizerStateProblem(opt, bytes);
  return problem ? { ...read, optimizerProblem: `${dir}/${opt.file}: ${problem}` } : { ...read, optimizer: bytes };
}

/**
 * The description (`nnmodel`) of checkpoint `which` in `dir`, and the
 * weights file its manifest names, from its JSON alone: what lists,
 * compares and warns about checkpoints reads (`checkpointChoices`, the best
 * write, the best's warning), where `readCheckpoint` reads one in full and
 * checks it. Undefined when the file is missing, is not JSON, or has no
 * epoch or a history that is not a list.
 */
async function checkpointMeta(fs: CheckpointFs, dir: string, which: CheckpointKind): Promise<{ meta: CheckpointMeta; weightsFile?: string } | undefined> {
  let json: ModelJson | undefined;
  try {
    json = JSON.parse(new TextDecoder().decode(await fs.readFile(`${dir}/${checkpointJson(which)}`))) as ModelJson;
  } catch {
    return undefined;
  }
  const meta = isObj(json) ? json.nnmodel : undefined;
  // A history that is not a list is damage too: what compares checkpoints reads it.
  if (!isObj(meta) || typeof meta.epoch !== 'number' || (meta.history !== undefined && !Array.isArray(meta.history))) return undefined;
  const file = json?.weightsManifest?.[0]?.paths?.[0];
  return { meta, ...(typeof file === 'string' ? { weightsFile: file } : {}) };
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * The masking a checkpoint was trained with (`CheckpointMeta.objective`):
 * its rate when it records a valid one (0 < rate < 1), else undefined (a
 * checkpoint of next-token prediction, or one written before the record).
 */
export function checkpointMask(meta: Pick<CheckpointMeta, 'objective'>): number | undefined {
  const o: unknown = meta.objective;
  const rate = typeof o === 'object' && o !== null ? (o as { mask?: unknown }).mask : undefined;
  return typeof rate === 'number' && rate > 0 && rate < 1 ? rate : undefined;
}

/**
 * One example's shape of the data a checkpoint was trained on
 * (`CheckpointMeta.data.exampleShape`) when it records one of whole sizes
 * of 1 or more, else undefined (a checkpoint written without it, or a
 * damaged record). A model whose parameter count depends on a symbolic
 * dimension is built at it so that the weights fit (`trainedDims`).
 */
export function checkpointExampleShape(meta: Pick<CheckpointMeta, 'data'>): number[] | undefined {
  const data: unknown = meta.data;
  const shape = typeof data === 'object' && data !== null ? (data as { exampleShape?: unknown }).exampleShape : undefined;
  return Array.isArray(shape) && shape.length > 0 && shape.every((d) => Number.isInteger(d) && d >= 1) ? [...(shape as number[])] : undefined;
}

/**
 * Why data cannot go with a checkpoint's weights: its classes are not
 * those the model was trained on, in the same order (a class folder
 * renamed, so the sorted names reorder; a CSV with a new label). Class `i`
 * is output `i`, so the labels would silently mean other classes. Only when
 * both name classes (the checkpoint keeps none past 1 000; regression
 * data has none). For a text (`data.tokenizer`), the classes are its
 * tokens: a text whose vocabulary changed gives its tokens other ids, and
 * it is said so. `remedy`: what else the user can do, after restoring the
 * names (or the text).
 */
export function classesProblem(saved: readonly string[] | undefined, data: { source: string; classes: readonly string[]; tokenizer?: unknown }, model: string, remedy: string): string | undefined {
  if (!saved?.length || !data.classes.length) return undefined;
  if (saved.length === data.classes.length && saved.every((c, i) => c === data.classes[i])) return undefined;
  const text = data.tokenizer !== undefined;
  // A token is shown quoted: ' ' and '\n' are tokens of a char vocabulary.
  const show = text ? (c: string) => JSON.stringify(c) : (c: string) => c;
  const list = (cs: readonly string[]) => (cs.length > 12 ? `${cs.slice(0, 12).map(show).join(', ')}, … (${cs.length})` : cs.map(show).join(', '));
  const savedSet = new Set(saved);
  const dataSet = new Set(data.classes);
  const gone = saved.filter((c) => !dataSet.has(c));
  const added = data.classes.filter((c) => !savedSet.has(c));
  const what = [gone.length ? `not in the data: ${list(gone)}` : '', added.length ? `new: ${list(added)}` : ''].filter(Boolean).join('; ');
  if (text) {
    return (
      `the checkpoint of ${model} was trained on a vocabulary of ${plural(saved.length, 'token')}, ${list(saved)} (token i is output i and embedding row i); ` +
      `${data.source} now makes ${plural(data.classes.length, 'token')}, ${list(data.classes)}${what ? ` (${what})` : ' (the same tokens in another order)'}, so its token ids would mean other tokens. ` +
      `Restore the text it was trained on (or one that makes the same tokens), or ${remedy}.`
    );
  }
  return (
    `the checkpoint of ${model} was trained on the classes ${list(saved)} (output i is the i-th); ${data.source} has ${list(data.classes)}` +
    `${what ? ` (${what})` : ' (the same names in another order)'}, so its labels would name other classes. ` +
    `Restore the class names it was trained on (folder names or CSV labels), or ${remedy}.`
  );
}

/**
 * `classesProblem` for the data a job has read and the checkpoint it
 * continues or evaluates (`savedData`: its `nnmodel.data`, as read back from
 * JSON). The checkpoint's classes; for a text whose vocabulary is past the
 * 1 000 a checkpoint keeps, the tokens of its saved tokeniser, rebuilt. Not
 * for a `denoise` or `adversarial` objective, which never reads the labels
 * (renaming a folder of a diffusion model's images changes nothing it learnt).
 */
export function checkpointDataProblem(
  savedData: unknown,
  data: { source: string; classes: readonly string[]; tokenizer?: unknown },
  loss: string | undefined,
  model: string,
  remedy: string,
): string | undefined {
  if (loss === 'denoise' || loss === 'adversarial') return undefined;
  if (typeof savedData !== 'object' || savedData === null) return undefined;
  const d = savedData as { classes?: unknown; tokenizer?: unknown };
  let saved = Array.isArray(d.classes) && d.classes.every((c) => typeof c === 'string') ? (d.classes as string[]) : undefined;
  const spec = data.tokenizer !== undefined ? asTokenizerSpec(d.tokenizer) : undefined;
  if (!saved?.length && spec) {
    const tokenizer = tokenizerFromSpec(spec);
    saved = tokenizer.tokens(Array.from({ length: tokenizer.vocabSize }, (_, i) => i));
  }
  return classesProblem(saved, data, model, remedy);
}
