/**
 * The messages between the extension host and the inspector webview: one
 * union per direction, discriminated by a string-literal `type`. Both sides
 * import this file; each side validates what it receives (`parse…Message`)
 * and ignores anything malformed, so a message is only ever handled through
 * its typed form.
 *
 * Models cross the boundary as plain JSON (`PlainModelInfo`): every `Sym`
 * becomes its `toJSON()` form (a number when constant, the formula text
 * otherwise) and `reviveModel` turns it back into a `ModelInfo` for the
 * runtime builder.
 */
import type { Range } from './syntax/ast';
import type { DataSource, Diagnostic, Graph, GraphNode, ModelInfo, Params, Severity, TrainConfig } from './analysis/types';
import type { SummaryRow } from './analysis/summary';
import type { SampleStrip } from './runtime/train';
import type { SignalsReport } from './runtime/signals';
import type { EpochFigures } from './runtime/overfit';

/** A checkpoint's epoch as a continued run's `start` event carries it: its figures, and what the epochs' table shows when the checkpoint kept it. */
export interface HistoryFigures extends EpochFigures {
  metrics?: Record<string, number>;
  valMetrics?: Record<string, number>;
  ms?: number;
  examples?: number;
  /** The share of training predictions at the loss's clip (runtime/train.ts `EpochLogs.clipped`). */
  clipped?: number;
}
import { Sym, type Shape } from './analysis/sym';

// ------------------------------------------------------------ plain data

/** A `Sym` as JSON: the number when constant, the formula text otherwise. */
export type PlainSym = number | string;

/** `T` with every `Sym` replaced by its JSON form (recursively). */
export type Plain<T> = T extends Sym
  ? PlainSym
  : T extends readonly (infer U)[]
    ? Plain<U>[]
    : T extends object
      ? { [K in keyof T]: Plain<T[K]> }
      : T;

export type PlainShape = Plain<Shape>;
export type PlainGraph = Plain<Graph>;
export type PlainGraphNode = Plain<GraphNode>;
export type PlainModelInfo = Plain<ModelInfo>;
export type PlainSummaryRow = Plain<SummaryRow>;

/** Setting `nnmodel.backend`. */
export type BackendSetting = 'auto' | 'webgl' | 'wasm' | 'cpu';
export const BACKEND_SETTINGS: readonly BackendSetting[] = ['auto', 'webgl', 'wasm', 'cpu'];
/** A TensorFlow.js backend the inspector runs on. */
export type BackendName = 'webgl' | 'wasm' | 'cpu';

/** A diagnostic as the inspector needs it (no fixes or related information). */
export interface PlainDiagnostic {
  code: string;
  severity: Severity;
  message: string;
  range: Range;
}

/** Identifies one version of one document; stale messages are dropped by comparing it. */
export interface DocRef {
  /** `vscode.Uri.toString()` of the document. */
  uri: string;
  version: number;
}

// --------------------------------------------------------- host → webview

/** The model to show, sent on every new analysis of the followed document. */
export interface ModelMessage extends DocRef {
  type: 'model';
  model: PlainModelInfo;
  /** Names of every model in the document, for the selector (the shown one included). */
  models: string[];
  /** The same rows as the CLI summary and the hovers (expanded). */
  rows: PlainSummaryRow[];
  /** Diagnostics whose range falls inside the model. */
  diagnostics: PlainDiagnostic[];
  /** Seed of the initial weights, so the same file builds the same weights. */
  seed: number;
  /** The model's train section without its data, when it has one (the Samples tab of `loss: denoise` and `loss: adversarial` reads it). */
  train?: TrainRunConfig;
  /** What the train section reads, when the model has one: the feature maps start on an image like its data and offer its images. */
  trainData?: TrainDataInfo;
  /**
   * The train section's data when it is a built-in set (its seeded spec, as
   * a `train` message carries it): the Training tab's "Measure at
   * initialisation" generates a sample batch from it. Absent for the user's
   * files, which only the host reads.
   */
  sample?: BuiltinDataSource;
  /**
   * Sizes of the model's symbolic dimensions as the editor's hovers and
   * summary use them (the setting `nnmodel.dimensions`, else what the train
   * section's data fixes: extension/core/analysis/sizes.ts `dimSizes`):
   * the inspector runs the model at them where its trained weights do not
   * fix a size.
   */
  dims?: Record<string, number>;
  /** Where each of `dims` comes from: the setting (`given`) or the train section's data (`train`). */
  dimSources?: Record<string, 'given' | 'train'>;
}

/**
 * The kind of a train section's data and, for `images(...)`, the first
 * images of each class folder, as paths the host reads on `openImage`
 * (the folder as written in the file, then class and file name:
 * `mydata/stripes/001.png`). The host lists them after the `model` message
 * (it reads the disk): `images` is what it listed for this folder before,
 * absent until then; a `trainImages` message brings a new list.
 */
export interface TrainDataInfo {
  kind: DataSource['kind'];
  images?: string[];
  /** For `text(...)`: the tokeniser it trains with (the attention view says where a BPE's merges come from). */
  tokenizer?: 'char' | 'word' | 'bpe';
}

/** The training images of `model`'s `images(...)` folder (`TrainDataInfo.images`), listed after its `model` message; sent when they changed. */
export interface TrainImagesMessage {
  type: 'trainImages';
  uri: string;
  model: string;
  images: string[];
}

/** The followed document has no model to show (or no .nnmodel editor is active). */
export interface EmptyMessage {
  type: 'empty';
  uri?: string;
  version?: number;
  reason: string;
}

/** The cursor moved in the followed document: highlight the node at `offset`. */
export interface CursorMessage extends DocRef {
  type: 'cursor';
  offset: number;
  range: Range;
}

export interface SettingsMessage {
  type: 'settings';
  backend: BackendSetting;
}

/** Bytes of an image the user picked (answer to `pickImage`). */
export interface ImageMessage {
  type: 'image';
  name: string;
  /** MIME type from the file extension: image/png, image/jpeg, ... */
  mime: string;
  bytes: Uint8Array;
}

/** Result of a `saveFile` request. */
export interface SavedMessage {
  type: 'saved';
  requestId: number;
  /** Where it was written; absent when the user cancelled or writing failed. */
  path?: string;
  error?: string;
}

/** One event of a training run (the Training tab draws its curves from these). */
export type TrainingEvent =
  /**
   * `examples`: the examples the run trains on, `validation`: those held out (runtime/train.ts splitCounts; the
   * windows of a text left out of both are in neither). `backend`: the tfjs backend the run uses (the inspector's). `resumedFrom`: the checkpoint's epoch it continues;
   * `history`: that checkpoint's epochs (the best epoch and the overfitting verdict read them with the run's; the
   * Training tab's table and charts list them before the run's, with their metrics, time and examples when kept).
   */
  | { kind: 'start'; epochs: number; examples: number; validation?: number; backend: string; source: string; resumedFrom?: number; history?: HistoryFigures[] }
  | { kind: 'batch'; epoch: number; batch: number; batches: number; loss: number }
  | {
      kind: 'epoch';
      epoch: number;
      loss: number;
      metrics: Record<string, number>;
      valLoss?: number;
      valMetrics?: Record<string, number>;
      ms: number;
      examples: number;
    }
  /** Something the user should know that does not stop the run (layers a resumed checkpoint no longer fits). */
  | { kind: 'warning'; message: string }
  /**
   * Images a generative objective made (runtime/train.ts `SampleStrip`): the
   * forward noising strip once, the generated images after each epoch. Drawn
   * by the page's Training tab; the page does not relay them to the host,
   * which needs no pixels (see webview/training/runner.ts).
   */
  | { kind: 'samples'; strip: SampleStrip }
  /**
   * Signal & gradients (runtime/signals.ts): each weighted layer's output and
   * gradient RMS, at initialisation (epoch 0) and after each epoch. Drawn by
   * the page's Training tab; like `samples`, not relayed to the host.
   */
  | { kind: 'signals'; report: SignalsReport }
  | { kind: 'done'; status: 'completed' | 'cancelled' | 'failed'; message?: string };

/** A train section without its data (the data travels as `TrainDataPayload`). */
export type TrainRunConfig = Omit<TrainConfig, 'data'>;

/** A built-in data source: the webview generates its seeded examples itself. */
export interface BuiltinDataSource {
  kind: 'digits' | 'shapes' | 'sequences' | 'waves';
  options: Record<string, number | boolean | string | number[] | null>;
}

/**
 * The examples of a training run. Built-in sets travel as their spec; the
 * user's files are read and decoded by the host (the webview has no file
 * access) and travel as the bytes of the typed arrays (platform byte order),
 * which VS Code's postMessage transfers without a JSON detour.
 */
export type TrainDataPayload =
  | { kind: 'builtin'; source: BuiltinDataSource }
  | {
      kind: 'arrays';
      /** For messages: `data/fruit.csv`. */
      source: string;
      count: number;
      xDtype: 'float32' | 'int32';
      exampleShape: number[];
      xs: Uint8Array;
      yDtype: 'float32' | 'int32';
      targetShape: number[];
      ys: Uint8Array;
      classes: string[];
      /** Plain JSON kept with the checkpoints (the tokeniser of a text set, CSV feature scaling). */
      tokenizer?: unknown;
      featureStats?: { names: string[]; mean: number[]; std: number[] };
      /** Windows of one text (`TrainData.windows`): the validation split then holds out the end of the text. */
      windows?: { overlap: number };
    };

/**
 * Train `model` in the webview on the inspector's backend. `version` is the
 * document version the model was analysed from; `run` numbers the runs of
 * this session and tags every reply.
 */
export interface TrainStartMessage extends DocRef {
  type: 'train';
  run: number;
  model: PlainModelInfo;
  config: TrainRunConfig;
  /** Seed of the initial weights, shuffles and validation split. */
  seed: number;
  data: TrainDataPayload;
  /** Continue from this checkpoint (`model.json` text, weights file and optimizer state file). */
  resume?: ResumePayload;
  /**
   * `loss: adversarial(D)`: the discriminator `model` plays against (built
   * and trained beside it, its checkpoint sent under its own name), and its
   * checkpoint to continue from.
   */
  discriminator?: { model: PlainModelInfo; resume?: ResumePayload };
}

/**
 * A checkpoint to continue from: `model.json` text, the weights file and,
 * when the checkpoint has an intact one, the optimizer's state file
 * (runtime/checkpoint.ts); `optimizerProblem` says why it is missing
 * although named (the optimizer then starts afresh, and the page says so).
 */
export interface ResumePayload {
  modelJson: string;
  weights: Uint8Array;
  optimizer?: Uint8Array;
  optimizerProblem?: string;
}

/** Stop run `run` between batches; the last complete epoch's checkpoint stays. */
export interface StopTrainingMessage {
  type: 'stopTraining';
  uri: string;
  run: number;
}

/** The host's answer to a `checkpoint`: written to `dir`, or why not (the run then fails). */
export interface CheckpointSavedMessage {
  type: 'checkpointSaved';
  uri: string;
  run: number;
  epoch: number;
  dir?: string;
  error?: string;
}

/**
 * Trained weights for the shown model: a checkpoint's `model.json` text and
 * its weights file. The webview loads every layer that fits (see
 * core/runtime/checkpoint.ts) and uses them for feature maps, kernels and
 * attention.
 */
export interface WeightsMessage {
  type: 'weights';
  uri: string;
  model: string;
  epoch: number;
  modelJson: string;
  weights: Uint8Array;
  /** The checkpoint folder, when the weights are a checkpoint on disk: read from it, or a run's checkpoint the host wrote there (shown in the panel). */
  from?: string;
}

export type HostToWebview =
  | ModelMessage
  | EmptyMessage
  | CursorMessage
  | SettingsMessage
  | ImageMessage
  | SavedMessage
  | WeightsMessage
  | TrainStartMessage
  | StopTrainingMessage
  | CheckpointSavedMessage
  | TrainImagesMessage;

// --------------------------------------------------------- webview → host

/** The webview has loaded and listens: the host (re)sends settings and the model. */
export interface ReadyMessage {
  type: 'ready';
}

/** Select `range` in the document and scroll it into view. */
export interface RevealMessage extends DocRef {
  type: 'reveal';
  range: Range;
}

/** Pin the inspector to another model of the document (the selector). */
export interface SelectModelMessage {
  type: 'selectModel';
  uri: string;
  name: string;
}

/** Ask the user for an image file; the answer comes as an `image` message. */
export interface PickImageMessage {
  type: 'pickImage';
}

/** Read one of the train section's images a `model` message listed (`TrainDataInfo.images`); the answer comes as an `image` message. */
export interface OpenImageMessage {
  type: 'openImage';
  uri: string;
  path: string;
}

/** What runs: shown in the panel, kept by the host for logs and tests. */
export interface StatusMessage {
  type: 'status';
  uri?: string;
  version?: number;
  backend: BackendName;
  /** Why this backend (e.g. "auto: WebGL is software-rendered (SwiftShader)"). */
  reason: string;
  /** Duration of the last forward pass in milliseconds. */
  forwardMs?: number;
  /** `tf.memory().numTensors` after the last render. */
  numTensors?: number;
}

export interface ErrorMessage {
  type: 'error';
  uri?: string;
  version?: number;
  message: string;
}

/** Save an exported file (graph SVG/PNG) through a save dialog. */
export interface SaveFileMessage {
  type: 'saveFile';
  requestId: number;
  /** File name to suggest: `LeNet5.svg`. */
  suggestedName: string;
  /** Text for SVG, bytes for PNG. */
  data: string | Uint8Array;
}

/** Progress of run `run` (started by a `train` message) for the host's notification and output channel. */
export interface TrainEventMessage extends DocRef {
  type: 'trainEvent';
  run: number;
  model: string;
  event: TrainingEvent;
}

/**
 * The weights after epoch `epoch` of run `run`, encoded by the core's
 * `encodeCheckpoint` (model.json text, weights file name and bytes); the
 * host checks and writes them atomically, then answers `checkpointSaved`.
 */
export interface CheckpointMessage extends DocRef {
  type: 'checkpoint';
  run: number;
  model: string;
  epoch: number;
  modelJson: string;
  weightsFile: string;
  weights: Uint8Array;
  /** The optimizer's state file, named in `modelJson` (`nnmodel.optimizer.file`), written with the weights. */
  optimizer?: Uint8Array;
}

export type WebviewToHost =
  | ReadyMessage
  | RevealMessage
  | SelectModelMessage
  | PickImageMessage
  | OpenImageMessage
  | StatusMessage
  | ErrorMessage
  | SaveFileMessage
  | TrainEventMessage
  | CheckpointMessage;

// ------------------------------------------------------------ validation

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isInt = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const optStr = (x: unknown): boolean => x === undefined || isStr(x);
const optNum = (x: unknown): boolean => x === undefined || isNum(x);

function isPosition(x: unknown): boolean {
  return isObj(x) && isInt(x.line) && isInt(x.character) && isInt(x.offset);
}

export function isRange(x: unknown): x is Range {
  return isObj(x) && isPosition(x.start) && isPosition(x.end) && (x.start as Obj).offset as number <= ((x.end as Obj).offset as number);
}

function isDocRef(m: Obj): boolean {
  return isStr(m.uri) && isInt(m.version);
}

/** A `ResumePayload`, or undefined when malformed. */
function resumePayload(x: unknown): ResumePayload | undefined {
  if (!isObj(x) || !isStr(x.modelJson) || !isBytes(x.weights) || !optStr(x.optimizerProblem)) return undefined;
  if (x.optimizer !== undefined && !isBytes(x.optimizer)) return undefined;
  return strip<ResumePayload>({ modelJson: x.modelJson, weights: x.weights, optimizer: x.optimizer as Uint8Array | undefined, optimizerProblem: x.optimizerProblem as string | undefined });
}

function isTrainDataInfo(x: unknown): x is TrainDataInfo {
  return (
    isObj(x) &&
    isStr(x.kind) &&
    (x.images === undefined || (Array.isArray(x.images) && x.images.every(isStr))) &&
    (x.tokenizer === undefined || x.tokenizer === 'char' || x.tokenizer === 'word' || x.tokenizer === 'bpe')
  );
}

function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

const BACKENDS: readonly string[] = ['webgl', 'wasm', 'cpu'];
const SEVERITIES: readonly string[] = ['error', 'warning', 'info', 'hint'];

/** Limits on what the webview may ask the host to write (a graph export is far below). */
export const MAX_SAVE_BYTES = 64 * 1024 * 1024;
/**
 * Largest file of a checkpoint the webview may ask the host to write: the
 * weights, the optimiser's state and `model.json` each (2 GiB is the tfjs
 * weight-file ceiling anyway). Per file, not in sum: Adam's state is twice the
 * weights, and a sum would cut the models the editor can train to a third.
 */
export const MAX_CHECKPOINT_BYTES = 1024 * 1024 * 1024;
/** The weights file names `encodeCheckpoint` makes: `weights-e3-1a2b3c4d.bin`. */
export const CHECKPOINT_WEIGHTS_FILE = /^weights-e\d+-[0-9a-f]{8}\.bin$/;

/**
 * The message the webview sent, or undefined when it is not one of
 * `WebviewToHost` with fields of the right types. The host ignores the latter.
 */
export function parseWebviewMessage(x: unknown): WebviewToHost | undefined {
  if (!isObj(x) || !isStr(x.type)) return undefined;
  const m = x as Obj & { type: WebviewToHost['type'] };
  switch (m.type) {
    case 'ready':
    case 'pickImage':
      return { type: m.type };
    case 'reveal':
      return isDocRef(m) && isRange(m.range) ? { type: 'reveal', uri: m.uri as string, version: m.version as number, range: m.range } : undefined;
    case 'selectModel':
      return isStr(m.uri) && isStr(m.name) ? { type: 'selectModel', uri: m.uri, name: m.name } : undefined;
    case 'openImage':
      return isStr(m.uri) && isStr(m.path) ? { type: 'openImage', uri: m.uri, path: m.path } : undefined;
    case 'status':
      if (!isStr(m.backend) || !BACKENDS.includes(m.backend) || !isStr(m.reason)) return undefined;
      if (!optStr(m.uri) || !(m.version === undefined || isInt(m.version)) || !optNum(m.forwardMs) || !(m.numTensors === undefined || isInt(m.numTensors))) return undefined;
      return strip<StatusMessage>({
        type: 'status',
        uri: m.uri as string | undefined,
        version: m.version as number | undefined,
        backend: m.backend as BackendName,
        reason: m.reason,
        forwardMs: m.forwardMs as number | undefined,
        numTensors: m.numTensors as number | undefined,
      });
    case 'error':
      if (!isStr(m.message) || !optStr(m.uri) || !(m.version === undefined || isInt(m.version))) return undefined;
      return strip<ErrorMessage>({ type: 'error', message: m.message, uri: m.uri as string | undefined, version: m.version as number | undefined });
    case 'saveFile': {
      if (!isInt(m.requestId) || !isStr(m.suggestedName) || !isSafeFileName(m.suggestedName)) return undefined;
      const data = m.data;
      if (!(isStr(data) || isBytes(data))) return undefined;
      if ((isStr(data) ? data.length : data.byteLength) > MAX_SAVE_BYTES) return undefined;
      return { type: 'saveFile', requestId: m.requestId, suggestedName: m.suggestedName, data };
    }
    case 'trainEvent':
      if (!isDocRef(m) || !isInt(m.run) || !isStr(m.model) || !isTrainingEvent(m.event)) return undefined;
      return { type: 'trainEvent', uri: m.uri as string, version: m.version as number, run: m.run, model: m.model, event: m.event };
    case 'checkpoint':
      if (!isDocRef(m) || !isInt(m.run) || !isStr(m.model) || !isInt(m.epoch) || m.epoch < 1 || !isStr(m.modelJson)) return undefined;
      if (!isStr(m.weightsFile) || !CHECKPOINT_WEIGHTS_FILE.test(m.weightsFile) || !isBytes(m.weights)) return undefined;
      if (m.optimizer !== undefined && !isBytes(m.optimizer)) return undefined;
      if (checkpointSizeProblem({ epoch: m.epoch, modelJson: m.modelJson, weights: m.weights, optimizer: m.optimizer as Uint8Array | undefined })) return undefined;
      return strip<CheckpointMessage>({
        type: 'checkpoint',
        uri: m.uri as string,
        version: m.version as number,
        run: m.run,
        model: m.model,
        epoch: m.epoch,
        modelJson: m.modelJson,
        weightsFile: m.weightsFile,
        weights: m.weights,
        optimizer: m.optimizer as Uint8Array | undefined,
      });
    default:
      return exhaustiveDefault(m.type);
  }
}

/**
 * Why a checkpoint is too large for the host to take (each file against
 * `MAX_CHECKPOINT_BYTES`), naming the file; undefined when it fits. The page
 * checks before it sends, the host again on receipt.
 */
export function checkpointSizeProblem(ck: { epoch: number; modelJson: string; weights: Uint8Array; optimizer?: Uint8Array }, max = MAX_CHECKPOINT_BYTES): string | undefined {
  const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
  const over = (what: string, n: number) => `the ${what} of epoch ${ck.epoch} ${what.endsWith('s') ? 'are' : 'is'} ${mib(n)}, more than the ${mib(max)} a checkpoint file may have`;
  if (ck.weights.byteLength > max) return over('weights', ck.weights.byteLength);
  if (ck.optimizer && ck.optimizer.byteLength > max) return over("optimizer's state", ck.optimizer.byteLength);
  // UTF-16 length: at most the UTF-8 bytes of the JSON's ASCII, close enough for a limit this far above real ones.
  if (ck.modelJson.length > max) return over(`model.json`, ck.modelJson.length);
  return undefined;
}

/**
 * For a `checkpoint` message `parseWebviewMessage` refuses: the run and epoch
 * it was for and why, when they can be read (undefined for one it accepts), so the host can answer
 * `checkpointSaved` with the error (the page waits for that answer, and would
 * otherwise wait forever). Undefined for anything else.
 */
export function refusedCheckpoint(x: unknown): { uri: string; run: number; epoch: number; error: string } | undefined {
  if (!isObj(x) || x.type !== 'checkpoint' || !isStr(x.uri) || !isInt(x.run) || !isInt(x.epoch)) return undefined;
  if (parseWebviewMessage(x)) return undefined;
  const m = x as Obj;
  const sizes = isStr(m.modelJson) && isBytes(m.weights) && (m.optimizer === undefined || isBytes(m.optimizer))
    ? checkpointSizeProblem({ epoch: x.epoch as number, modelJson: m.modelJson, weights: m.weights, optimizer: m.optimizer as Uint8Array | undefined })
    : undefined;
  return { uri: x.uri as string, run: x.run as number, epoch: x.epoch as number, error: sizes ?? `the checkpoint of epoch ${x.epoch as number} arrived malformed` };
}

/**
 * The message the host sent, or undefined when malformed. Deep checks stop
 * at the model's graph, which the host builds from a typed analysis.
 */
export function parseHostMessage(x: unknown): HostToWebview | undefined {
  if (!isObj(x) || !isStr(x.type)) return undefined;
  const m = x as Obj & { type: HostToWebview['type'] };
  switch (m.type) {
    case 'model':
      if (!isDocRef(m) || !isObj(m.model) || !isObj(m.model.graph) || !Array.isArray(m.model.graph.nodes)) return undefined;
      if (!Array.isArray(m.models) || !m.models.every(isStr) || !Array.isArray(m.rows) || !isInt(m.seed)) return undefined;
      if (!Array.isArray(m.diagnostics) || !m.diagnostics.every(isPlainDiagnostic)) return undefined;
      // A malformed sample spec only loses Measure at initialisation (the message is a fresh copy: drop it here).
      if (m.sample !== undefined && trainDataPayload({ kind: 'builtin', source: m.sample }) === undefined) delete m.sample;
      // Sizes that are not whole numbers from 1 are dropped: the model then runs at its sample size.
      if (m.dims !== undefined && !(isObj(m.dims) && Object.values(m.dims).every((v) => isInt(v) && (v as number) >= 1))) delete m.dims;
      if (m.dimSources !== undefined && !(isObj(m.dimSources) && Object.values(m.dimSources).every((v) => v === 'given' || v === 'train'))) delete m.dimSources;
      if (m.train !== undefined || m.trainData !== undefined) {
        // A malformed train section only loses what needs it (the Samples tab, the default image): the model is still shown.
        const train = m.train === undefined ? undefined : trainRunConfig(m.train);
        const trainData = isTrainDataInfo(m.trainData) ? m.trainData : undefined;
        const rest: Obj = { ...m };
        delete rest.train;
        delete rest.trainData;
        return { ...rest, ...(train ? { train } : {}), ...(trainData ? { trainData } : {}) } as unknown as ModelMessage;
      }
      return m as unknown as ModelMessage;
    case 'empty':
      if (!isStr(m.reason) || !optStr(m.uri) || !(m.version === undefined || isInt(m.version))) return undefined;
      return strip<EmptyMessage>({ type: 'empty', reason: m.reason, uri: m.uri as string | undefined, version: m.version as number | undefined });
    case 'cursor':
      return isDocRef(m) && isInt(m.offset) && isRange(m.range)
        ? { type: 'cursor', uri: m.uri as string, version: m.version as number, offset: m.offset, range: m.range }
        : undefined;
    case 'settings':
      return isStr(m.backend) && (BACKEND_SETTINGS as readonly string[]).includes(m.backend)
        ? { type: 'settings', backend: m.backend as BackendSetting }
        : undefined;
    case 'image':
      return isStr(m.name) && isStr(m.mime) && isBytes(m.bytes) ? { type: 'image', name: m.name, mime: m.mime, bytes: m.bytes } : undefined;
    case 'trainImages':
      return isStr(m.uri) && isStr(m.model) && Array.isArray(m.images) && m.images.every(isStr) ? { type: 'trainImages', uri: m.uri, model: m.model, images: m.images } : undefined;
    case 'saved':
      if (!isInt(m.requestId) || !optStr(m.path) || !optStr(m.error)) return undefined;
      return strip<SavedMessage>({ type: 'saved', requestId: m.requestId, path: m.path as string | undefined, error: m.error as string | undefined });
    case 'weights':
      if (!isStr(m.uri) || !isStr(m.model) || !isInt(m.epoch) || !isStr(m.modelJson) || !isBytes(m.weights) || !optStr(m.from)) return undefined;
      return strip<WeightsMessage>({ type: 'weights', uri: m.uri, model: m.model, epoch: m.epoch, modelJson: m.modelJson, weights: m.weights, from: m.from as string | undefined });
    case 'train': {
      if (!isDocRef(m) || !isInt(m.run) || !isInt(m.seed)) return undefined;
      if (!isObj(m.model) || !isStr(m.model.name) || !isObj(m.model.graph) || !Array.isArray(m.model.graph.nodes)) return undefined;
      const config = trainRunConfig(m.config);
      const data = trainDataPayload(m.data);
      if (!config || !data) return undefined;
      let resume: TrainStartMessage['resume'];
      if (m.resume !== undefined) {
        resume = resumePayload(m.resume);
        if (!resume) return undefined;
      }
      let discriminator: TrainStartMessage['discriminator'];
      if (m.discriminator !== undefined) {
        const d = m.discriminator;
        if (!isObj(d) || !isObj(d.model) || !isStr(d.model.name) || !isObj(d.model.graph) || !Array.isArray(d.model.graph.nodes)) return undefined;
        const dResume = d.resume === undefined ? undefined : resumePayload(d.resume);
        if (d.resume !== undefined && !dResume) return undefined;
        discriminator = strip<NonNullable<TrainStartMessage['discriminator']>>({
          model: d.model as unknown as PlainModelInfo,
          resume: dResume,
        });
      }
      // A GAN run needs its discriminator, and only a GAN run has one.
      if ((config.loss === 'adversarial') !== (discriminator !== undefined)) return undefined;
      return strip<TrainStartMessage>({
        type: 'train',
        uri: m.uri as string,
        version: m.version as number,
        run: m.run,
        model: m.model as unknown as PlainModelInfo,
        config,
        seed: m.seed,
        data,
        resume,
        discriminator,
      });
    }
    case 'stopTraining':
      return isStr(m.uri) && isInt(m.run) ? { type: 'stopTraining', uri: m.uri, run: m.run } : undefined;
    case 'checkpointSaved':
      if (!isStr(m.uri) || !isInt(m.run) || !isInt(m.epoch) || !optStr(m.dir) || !optStr(m.error)) return undefined;
      return strip<CheckpointSavedMessage>({ type: 'checkpointSaved', uri: m.uri, run: m.run, epoch: m.epoch, dir: m.dir as string | undefined, error: m.error as string | undefined });
    default:
      return exhaustiveDefault(m.type);
  }
}

/**
 * `b` as a plain `Uint8Array`. VS Code's webview `postMessage` transfers
 * plain typed arrays only: a Node `Buffer` (what `workspace.fs.readFile` and
 * `fs.readFile` give) arrives in the page as a plain object, and the page
 * drops the message. A copy when `b` is a subclass.
 */
export function plainBytes(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b);
}

/** `msg` with every byte field a plain `Uint8Array` (`plainBytes`): what the host hands to `webview.postMessage`. */
export function forPostMessage(msg: HostToWebview): HostToWebview {
  const resume = (r: ResumePayload): ResumePayload => ({ ...r, weights: plainBytes(r.weights), ...(r.optimizer ? { optimizer: plainBytes(r.optimizer) } : {}) });
  switch (msg.type) {
    case 'image':
      return { ...msg, bytes: plainBytes(msg.bytes) };
    case 'weights':
      return { ...msg, weights: plainBytes(msg.weights) };
    case 'train':
      return {
        ...msg,
        data: msg.data.kind === 'arrays' ? { ...msg.data, xs: plainBytes(msg.data.xs), ys: plainBytes(msg.data.ys) } : msg.data,
        ...(msg.resume ? { resume: resume(msg.resume) } : {}),
        ...(msg.discriminator ? { discriminator: { ...msg.discriminator, ...(msg.discriminator.resume ? { resume: resume(msg.discriminator.resume) } : {}) } } : {}),
      };
    case 'model':
    case 'empty':
    case 'cursor':
    case 'settings':
    case 'saved':
    case 'stopTraining':
    case 'checkpointSaved':
    case 'trainImages':
      return msg;
    default: {
      const never: never = msg;
      return never;
    }
  }
}

const HOST_MESSAGE_TYPES: readonly HostToWebview['type'][] = ['model', 'empty', 'cursor', 'settings', 'image', 'saved', 'weights', 'train', 'stopTraining', 'checkpointSaved', 'trainImages'];

/**
 * What the page tells the user and the host's log when it drops a host
 * message that `parseHostMessage` refused: its type and, when a byte field
 * arrived as something other than a `Uint8Array`, which one. Undefined for
 * data that is no host message at all.
 */
export function droppedHostMessage(x: unknown): string | undefined {
  // Anything else posted to the page's window (not from the host) is none of its business.
  if (!isObj(x) || !isStr(x.type) || !(HOST_MESSAGE_TYPES as readonly string[]).includes(x.type)) return undefined;
  const type = `${/^[aeiou]/.test(x.type) ? 'an' : 'a'} '${x.type}' message`;
  const odd: string[] = [];
  const look = (o: unknown, path: string, keys: string[]) => {
    if (!isObj(o)) return;
    for (const k of keys) {
      const v = o[k];
      if (v !== undefined && typeof v !== 'string' && !isBytes(v)) odd.push(`${path}${k} arrived as ${v === null ? 'null' : typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v}, not bytes`);
    }
  };
  if (isObj(x)) {
    look(x, '', ['bytes', 'weights']);
    look(x.data, 'data.', ['xs', 'ys']);
    look(x.resume, 'resume.', ['weights', 'optimizer']);
  }
  return `The inspector ignored ${type} from VS Code that it could not read${odd.length ? ` (${odd.join('; ')})` : ''}. This is a bug in nnmodel; the output channel "nnmodel Inspector" has this line too.`;
}

const isFigures = (x: unknown): boolean => x === undefined || (isObj(x) && Object.values(x).every((v) => typeof v === 'number'));

/** A resumed checkpoint's per-epoch figures, as a `start` event carries them. */
const isEpochFiguresList = (x: unknown): boolean =>
  Array.isArray(x) &&
  x.every(
    (h) =>
      isObj(h) && isInt(h.epoch) && typeof h.loss === 'number' && (h.valLoss === undefined || typeof h.valLoss === 'number') &&
      isFigures(h.metrics) && isFigures(h.valMetrics) && (h.ms === undefined || isNum(h.ms)) && (h.examples === undefined || isInt(h.examples)) && (h.clipped === undefined || isNum(h.clipped)),
  );

function isTrainingEvent(x: unknown): x is TrainingEvent {
  if (!isObj(x)) return false;
  switch (x.kind) {
    case 'start':
      return isInt(x.epochs) && isInt(x.examples) && (x.validation === undefined || isInt(x.validation)) && isStr(x.backend) && isStr(x.source) && (x.history === undefined || isEpochFiguresList(x.history));
    case 'batch':
      return isInt(x.epoch) && isInt(x.batch) && isInt(x.batches) && typeof x.loss === 'number';
    case 'epoch':
      return isInt(x.epoch) && typeof x.loss === 'number' && isFigures(x.metrics) && x.metrics !== undefined && (x.valLoss === undefined || typeof x.valLoss === 'number') && isFigures(x.valMetrics) && isNum(x.ms) && isInt(x.examples);
    case 'warning':
      return isStr(x.message);
    case 'samples':
      return isSampleStrip(x.strip);
    case 'done':
      return (x.status === 'completed' || x.status === 'cancelled' || x.status === 'failed') && optStr(x.message);
    default:
      return false;
  }
}

/** Most images in one sample strip, and the longest side of one image, a `samples` event may carry. */
export const MAX_STRIP_IMAGES = 64;
export const MAX_STRIP_SIDE = 256;

/** A `SampleStrip` whose pixel array has exactly count · h · w · c values (so a view never reads past it), within the limits above. */
export function isSampleStrip(x: unknown): x is SampleStrip {
  if (!isObj(x) || (x.kind !== 'forward' && x.kind !== 'generated') || !isInt(x.epoch) || !isInt(x.count) || x.count < 1 || x.count > MAX_STRIP_IMAGES) return false;
  const shape = x.shape;
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((d) => isInt(d) && d >= 1) || shape[0] > MAX_STRIP_SIDE || shape[1] > MAX_STRIP_SIDE || (shape[2] !== 1 && shape[2] !== 3)) return false;
  if (!(x.pixels instanceof Float32Array) || x.pixels.length !== x.count * shape[0] * shape[1] * shape[2]) return false;
  return x.captions === undefined || (Array.isArray(x.captions) && x.captions.length === x.count && x.captions.every(isStr));
}

const LOSSES: readonly string[] = ['crossentropy', 'mse', 'mae', 'binary_crossentropy', 'adversarial', 'denoise'];
const OPTIMIZERS: readonly string[] = ['adam', 'sgd', 'rmsprop'];
const DTYPES: readonly string[] = ['float32', 'int32'];
const BUILTIN_SOURCES: readonly string[] = ['digits', 'shapes', 'sequences', 'waves'];
const isDims = (x: unknown): x is number[] => Array.isArray(x) && x.every((d) => isInt(d) && d > 0);
const isOptionValue = (v: unknown): boolean =>
  v === null || typeof v === 'boolean' || isStr(v) || isNum(v) || (Array.isArray(v) && v.every(isNum));

/** The largest `mixup: α` (analysis/train.ts MIXUP_MAX). */
const MIXUP_MAX = 10;
/** The most noising steps `loss: denoise(steps = ...)` takes (analysis/train.ts GENERATIVE_LOSSES). */
const MAX_DENOISE_STEPS = 100_000;
/** Images per epoch of a generative objective (`samples`, GAN and diffusion alike): 0 (none) … one strip's most. */
const isSampleCount = (n: unknown): n is number => isInt(n) && n >= 0 && n <= MAX_STRIP_IMAGES;

function trainRunConfig(x: unknown): TrainRunConfig | undefined {
  if (!isObj(x) || !isStr(x.loss) || !LOSSES.includes(x.loss)) return undefined;
  const o = x.optimizer;
  if (!isObj(o) || !isStr(o.kind) || !OPTIMIZERS.includes(o.kind) || !isNum(o.lr) || o.lr <= 0 || !optNum(o.momentum) || !optNum(o.beta1)) return undefined;
  if (!isInt(x.epochs) || x.epochs < 1 || !isInt(x.batch) || x.batch < 1) return undefined;
  if (!isNum(x.validation) || x.validation < 0 || x.validation >= 1 || !Array.isArray(x.metrics) || !x.metrics.every(isStr)) return undefined;
  const optimizer = strip<TrainRunConfig['optimizer']>({ kind: o.kind as TrainRunConfig['optimizer']['kind'], lr: o.lr, momentum: o.momentum as number | undefined, beta1: o.beta1 as number | undefined });
  const config: TrainRunConfig = { loss: x.loss as TrainRunConfig['loss'], optimizer, epochs: x.epochs, batch: x.batch, validation: x.validation, metrics: [...x.metrics] };
  if (x.mixup !== undefined) {
    // mixup's α (analysis/train.ts MIXUP_MAX): dropped, the page would train unmixed without saying so.
    if (!isNum(x.mixup) || !(x.mixup > 0) || x.mixup > MIXUP_MAX) return undefined;
    config.mixup = x.mixup;
  }
  if (x.mask !== undefined) {
    // `mask: rate` (analysis/trainMask.ts MASK_MAX): dropped, the page would train by next-token prediction without saying so.
    if (!isNum(x.mask) || !(x.mask > 0) || x.mask > 0.5) return undefined;
    config.mask = x.mask;
  }
  if (x.loss === 'adversarial') {
    // A GAN's settings: the discriminator's name and the samples per epoch.
    const a = x.adversarial;
    if (!isObj(a) || !isStr(a.discriminator) || !isSampleCount(a.samples)) return undefined;
    config.adversarial = { discriminator: a.discriminator, samples: a.samples };
  }
  if (x.loss === 'denoise') {
    // A diffusion model's settings (analysis/train.ts reads them): without them the page's loop has no schedule.
    const d = x.denoise;
    if (!isObj(d) || !isInt(d.steps) || d.steps < 2 || d.steps > MAX_DENOISE_STEPS || (d.schedule !== 'linear' && d.schedule !== 'cosine')) return undefined;
    if (!isSampleCount(d.samples) || !isInt(d.sampleSteps) || d.sampleSteps < 1 || d.sampleSteps > d.steps) return undefined;
    config.denoise = { steps: d.steps, schedule: d.schedule, samples: d.samples, sampleSteps: d.sampleSteps };
  }
  return config;
}

/** Checks the payload, including that the byte lengths fit `count` and the shapes (so the webview never reads past them). */
function trainDataPayload(x: unknown): TrainDataPayload | undefined {
  if (!isObj(x)) return undefined;
  if (x.kind === 'builtin') {
    const s = x.source;
    if (!isObj(s) || !isStr(s.kind) || !BUILTIN_SOURCES.includes(s.kind) || !isObj(s.options) || !Object.values(s.options).every(isOptionValue)) return undefined;
    return { kind: 'builtin', source: { kind: s.kind as BuiltinDataSource['kind'], options: s.options as BuiltinDataSource['options'] } };
  }
  if (x.kind !== 'arrays') return undefined;
  if (!isStr(x.source) || !isInt(x.count) || x.count < 1 || !isStr(x.xDtype) || !DTYPES.includes(x.xDtype) || !isStr(x.yDtype) || !DTYPES.includes(x.yDtype)) return undefined;
  if (!isDims(x.exampleShape) || !isDims(x.targetShape) || !isBytes(x.xs) || !isBytes(x.ys) || !Array.isArray(x.classes) || !x.classes.every(isStr)) return undefined;
  const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);
  if (x.xs.byteLength !== x.count * size(x.exampleShape) * 4 || x.ys.byteLength !== x.count * size(x.targetShape) * 4) return undefined;
  const fs = x.featureStats;
  if (fs !== undefined && !(isObj(fs) && Array.isArray(fs.names) && fs.names.every(isStr) && Array.isArray(fs.mean) && fs.mean.every(isNum) && Array.isArray(fs.std) && fs.std.every(isNum))) return undefined;
  const w = x.windows;
  if (w !== undefined && !(isObj(w) && isInt(w.overlap) && w.overlap >= 1)) return undefined;
  return strip<TrainDataPayload>({
    kind: 'arrays',
    source: x.source,
    count: x.count,
    xDtype: x.xDtype as 'float32' | 'int32',
    exampleShape: [...x.exampleShape],
    xs: x.xs,
    yDtype: x.yDtype as 'float32' | 'int32',
    targetShape: [...x.targetShape],
    ys: x.ys,
    classes: [...x.classes],
    tokenizer: x.tokenizer,
    featureStats: fs as { names: string[]; mean: number[]; std: number[] } | undefined,
    windows: w ? { overlap: w.overlap as number } : undefined,
  });
}

function isPlainDiagnostic(x: unknown): boolean {
  return isObj(x) && isStr(x.code) && isStr(x.severity) && SEVERITIES.includes(x.severity) && isStr(x.message) && isRange(x.range);
}

/** A bare file name: no folders, no parent references, nothing a shell or a dialog would misread. */
export function isSafeFileName(name: string): boolean {
  return /^[\w.-]{1,120}$/.test(name) && !name.startsWith('.');
}

/**
 * The `default` of an exhaustive switch over a validated union: the static
 * type is `never` when every member is handled, and at run time an unknown
 * `type` string lands here and is rejected.
 */
function exhaustiveDefault(_type: never): undefined {
  return undefined;
}

/** Drops undefined fields so that parsed messages compare equal to what was sent. */
function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

// --------------------------------------------------------- serialisation

/** Plain JSON of a model: Syms become numbers or formula strings, undefined fields are dropped. */
export function serializeModel(model: ModelInfo): PlainModelInfo {
  return toPlain(model) as PlainModelInfo;
}

export function serializeRows(rows: readonly SummaryRow[]): PlainSummaryRow[] {
  return toPlain(rows) as PlainSummaryRow[];
}

export function serializeDiagnostic(d: Diagnostic): PlainDiagnostic {
  return { code: d.code, severity: d.severity, message: d.message, range: toPlain(d.range) as Range };
}

function toPlain(x: unknown): unknown {
  if (x instanceof Sym) return x.toJSON();
  if (Array.isArray(x)) return x.map(toPlain);
  if (isObj(x)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(x)) if (v !== undefined && typeof v !== 'function') out[k] = toPlain(v);
    return out;
  }
  if (typeof x === 'number' && !Number.isFinite(x)) return null;
  return x;
}

/** Parses the text `Sym.toString()` writes; see `Sym.parse`. */
export function parseSym(x: PlainSym): Sym {
  return typeof x === 'number' ? Sym.of(x) : Sym.parse(x);
}

const revShape = (s: PlainShape): Shape => (s.isInt ? { dims: s.dims.map(parseSym), isInt: true } : { dims: s.dims.map(parseSym) });
const revParams = (p: Plain<Params>): Params => ({ trainable: parseSym(p.trainable), nonTrainable: parseSym(p.nonTrainable) });

function reviveGraph(g: PlainGraph): Graph {
  const out: Graph = { nodes: g.nodes.map(reviveNode), inputs: [...g.inputs], outputs: [...g.outputs] };
  if (g.objects) out.objects = [...g.objects];
  return out;
}

function reviveNode(n: PlainGraphNode): GraphNode {
  switch (n.kind) {
    case 'input':
      return { ...n, shape: revShape(n.shape) };
    case 'layer':
      return {
        ...n,
        shape: revShape(n.shape),
        params: revParams(n.params),
        macs: parseSym(n.macs),
        weights: n.weights.map((w) => ({ ...w, shape: w.shape.map(parseSym) })),
        internal: n.internal?.map((t) => ({ ...t, shape: t.shape.map(parseSym) })),
      };
    case 'group':
      return {
        ...n,
        shape: revShape(n.shape),
        params: revParams(n.params),
        macs: parseSym(n.macs),
        runs: n.runs.map((r) => ({ count: r.count, body: reviveGraph(r.body) })),
      };
    default: {
      const never: never = n;
      throw new Error(`unknown graph node ${JSON.stringify(never)}`);
    }
  }
}

/** The `ModelInfo` a `PlainModelInfo` was made from (Syms restored). */
export function reviveModel(m: PlainModelInfo): ModelInfo {
  return {
    ...m,
    graph: reviveGraph(m.graph),
    inputs: m.inputs.map((i) => ({ ...i, shape: revShape(i.shape) })),
    outputs: m.outputs.map((o) => ({ ...o, shape: revShape(o.shape) })),
    params: { ...revParams(m.params), total: parseSym(m.params.total) },
    macs: parseSym(m.macs),
    memory: { paramBytes: parseSym(m.memory.paramBytes), activationBytes: parseSym(m.memory.activationBytes) },
  };
}
