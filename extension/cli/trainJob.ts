/**
 * A training job in Node: analyse the file, load the data of its `train`
 * section, build the model, train it with per-epoch checkpoints, and the
 * evaluation and text generation that read those checkpoints back. Used by
 * `nnmodel train|evaluate|generate` and, through `nnmodel train --ipc`, by
 * the VS Code commands (the extension host itself never loads tfjs).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { mkdirSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { analyze } from '../core/analysis/analyze';
import { errorsBlockingTraining, trainSectionHint } from '../core/analysis/trainScope';
import type { Analysis, ModelInfo, TrainConfig, TrainInfo } from '../core/analysis/types';
import { buildModel, type BuiltModel } from '../core/runtime/build';
import {
  applyCheckpoint,
  checkpointChoices,
  checkpointDir,
  checkpointFolderProblem,
  checkpointFit,
  checkpointMask,
  checkpointMisfit,
  continuation,
  discriminatorCheckpointDir,
  encodeCheckpoint,
  graphSignature,
  misfitRefusal,
  optimizerRestorer,
  readCheckpoint,
  resumeModel,
  CheckpointError,
  DamagedCheckpointError,
  withIntactOther,
  tidiedText,
  tidyCheckpointFolder,
  checkpointDataProblem,
  writeBestCheckpoint,
  writeCheckpoint,
  type BestUpdate,
  type CheckpointFs,
  type EncodedCheckpoint,
  type CheckpointKind,
  type ReadCheckpoint,
  type ReadCheckpointOptions,
  type Resumed,
} from '../core/runtime/checkpoint';
import { asFeatureStats, loadDataset, type Dataset } from '../core/runtime/data/files';
import { asTokenizerSpec, streamDecoder, tokenizerFromSpec, unknownPiecesWarning } from '../core/runtime/tokenizers';
import { plural } from '../core/plural';
import { generateTokens } from '../core/runtime/generate';
import { greedyDecode } from '../core/runtime/decode';
import { BOS, sequencePairs, type SequenceTask } from '../core/runtime/data/synthetic';
import { outputSizeAdvice, unlabelledOutputsWarning } from '../core/runtime/dataFit';
import type { GenerateRequest, JobRequest } from '../core/runtime/jobProtocol';
import { startTrainingBackend } from '../core/runtime/kernels';
import {
  evaluateModel,
  outputKind,
  symbolicDimsFor,
  trainModel,
  validationSplit,
  dataSplit,
  splitCounts,
  windowsSplitNote,
  type BatchInfo,
  type CancelToken,
  type EpochLogs,
  type History,
} from '../core/runtime/train';
import { nodeCheckpointFs, nodeDataFs } from '../core/runtime/nodeFs';
import { acquireCheckpointLock, type CheckpointLock } from '../core/runtime/checkpointLock';
import { maskSpecFor } from '../core/runtime/masking';
import { evaluateDenoiser, trainInputShapes } from '../core/runtime/diffusion';
import type { SampleStrip } from '../core/runtime/train';
import { encodeGanCheckpoints, resumeDiscriminator, trainGan } from '../core/runtime/gan';
import { importReader, readSource } from './files';
import { formatDiagnostic } from './diagnostics';
import { writeSampleStrip } from './samplesPng';
import type { SignalsReport } from '../core/runtime/signals';

export { nodeCheckpointFs, nodeDataFs };

export type NodeBackend = JobRequest['backend'];
export type { GenerateRequest, JobRequest };

let backendReady: NodeBackend | undefined;

/** Starts the tfjs backend (wasm unless told otherwise) and registers the training kernels. */
export async function startBackend(name: NodeBackend): Promise<NodeBackend> {
  if (backendReady === name) return name;
  await startTrainingBackend(tf, name);
  backendReady = name;
  return name;
}

/** A user-facing failure of a job (bad file, no train section, data problems). */
export class JobError extends Error {
  override name = 'JobError';
  /**
   * The command line asked for what the file does not have (`--model Nope`) or
   * left out what it needs (`--model` for a file training several): the CLI
   * reports it as a usage error, exit 2, as summary and export do.
   */
  usage = false;
}

function usageJobError(message: string): JobError {
  const e = new JobError(message);
  e.usage = true;
  return e;
}

export interface PreparedJob {
  analysis: Analysis;
  info: ModelInfo;
  train: TrainInfo;
  data: Dataset;
  built: BuiltModel;
  dir: string;
  seed: number;
  /** The checkpoint `prepareJob` was asked to read (`from`), when there is one. */
  checkpoint?: ReadCheckpoint;
}

/** The model and train section a request names (the only one with a train section when unnamed). */
export function pickTrain(analysis: Analysis, file: string, model?: string): { info: ModelInfo; train: TrainInfo } {
  if (model === undefined) {
    if (analysis.trains.length === 0) {
      const first = analysis.models[0];
      throw new JobError(`${file} has no train section; add one, e.g. ${first ? trainSectionHint(first) : 'train Model { data: digits() }'}.`);
    }
    if (analysis.trains.length > 1) throw usageJobError(`${file} trains ${analysis.trains.map((t) => t.model).join(', ')}; choose one with --model.`);
  }
  const name = model ?? analysis.trains[0].model;
  const info = analysis.models.find((m) => m.name === name);
  if (!info) {
    const names = analysis.models.map((m) => m.name);
    // `--model Nope` is a mistake on the command line; a train section of a model that does not exist is one in the file.
    if (model !== undefined) throw usageJobError(`no model '${name}' in ${file}${names.length ? ` (models: ${names.join(', ')})` : ''}`);
    throw new JobError(`${file} has no model '${name}'; models: ${names.join(', ') || 'none'}.`);
  }
  const train = analysis.trains.find((t) => t.model === name);
  if (!train) throw new JobError(`${file} has no train section for '${name}'; add one, e.g. ${trainSectionHint(info)}.`);
  // Only what this model's training uses: an error in another model of the file does not stop it.
  const errors = errorsBlockingTraining(analysis, name);
  if (errors.length) {
    // Each error as `nnmodel check` prints it (file:line:col: error code message), on a line of its own.
    const lines = errors.map((e) => formatDiagnostic({ file, diagnostic: e }));
    throw new JobError(`'${name}' cannot run: ${file} has ${plural(errors.length, 'error')}; fix ${errors.length === 1 ? 'it' : 'them'} first:\n${lines.join('\n')}`);
  }
  if (!train.config.data) throw new JobError(`the train section of '${name}' needs data:.`);
  return { info, train };
}

export function analyzeRequest(req: Pick<JobRequest, 'file' | 'text'>): Analysis {
  const file = resolve(req.file);
  const text = req.text ?? readSource(file, process.cwd());
  return analyze(text, { uri: file, readImport: importReader(dirname(file)) });
}

/**
 * Analyses, loads the data and builds the model (fresh weights). With
 * `from`, first reads the model's checkpoint (`resume`: with the optimiser's
 * state) into `checkpoint`: a CSV is then standardised with the statistics
 * saved in it, as the model was trained, never with new ones.
 */
export async function prepareJob(req: JobRequest, cancelled?: () => boolean, from?: 'resume' | 'load'): Promise<PreparedJob> {
  await startBackend(req.backend);
  const file = resolve(req.file);
  const analysis = analyzeRequest({ file, text: req.text });
  const { info, train } = pickTrain(analysis, req.file, req.model);
  const dir = checkpointDir(file, info.name, req.checkpointFolder);
  // Resume always continues from the last checkpoint; loading reads the one the request picks (default the last).
  const checkpoint = from ? await readIfThere(dir, from === 'resume' ? { optimizer: true } : { which: req.checkpoint ?? 'last' }, info.name) : undefined;
  // readCheckpoint refused malformed statistics (a damaged checkpoint).
  const featureStats = asFeatureStats(checkpoint?.modelJson.nnmodel.data?.featureStats);
  const seed = req.seed ?? 1;
  const data = await loadDataset(train.config.data!, {
    baseDir: dirname(file),
    roots: req.roots.map((r) => resolve(r)),
    fs: nodeDataFs(),
    loss: train.config.loss,
    cancelled,
    // A two-input (encoder-decoder) model gets `sequences` as teacher-forcing pairs.
    inputs: info.inputs.length,
    // CSV statistics from the rows trainModel trains on (its split, same fraction and seed), or the checkpoint's.
    trainingRows: (n) => validationSplit(n, train.config.validation, seed).train,
    featureStats,
  });
  // Class i is output i: data whose classes (a text's tokens) are not the checkpoint's, in its order, would swap the labels.
  const remedy = from === 'resume' ? 'train it from scratch (without --resume)' : 'train the model again on this data';
  const classes = checkpointDataProblem(checkpoint?.modelJson.nnmodel.data, data, train.config.loss, `'${info.name}'`, remedy);
  if (classes) throw new JobError(classes);
  // A diffusion model's second input is the step, [1], which the data does not feed.
  const built = buildModel(tf, info, { seed, symbolicDims: symbolicDimsFor(info, trainInputShapes(info, train.config.loss, data)) });
  return { analysis, info, train, data, built, dir, seed, checkpoint };
}

export interface JobEvents {
  /**
   * `loss`: the objective, when it is not a loss between prediction and label ('adversarial': epochs log g and d losses).
   * `history`: the epochs of the checkpoint the run continues (empty for fresh weights).
   */
  onStart?(s: { model: string; backend: string; examples: number; validation: number; epochs: number; batch: number; mixup?: number; mask?: number; source: string; checkpointDir: string; resumedFrom?: number; loss?: string; standardisation?: string; split?: string; history?: EpochLogs[] }): void;
  onBatch?(b: BatchInfo): void;
  onEpoch?(logs: EpochLogs): void;
  /** Signal & gradients (runtime/signals.ts): at initialisation (epoch 0, not when resuming), then after each epoch's `onEpoch`. */
  onSignals?(report: SignalsReport): void;
  onCheckpoint?(dir: string, epoch: number): void;
  /** After each epoch's checkpoint: what became of the best checkpoint in `dir` (runtime/checkpoint.ts writeBestCheckpoint). */
  onBest?(update: BestUpdate, dir: string): void;
  onWarning?(message: string): void;
  /** A generative objective's images, written as a PNG at `path` (forward.png once, samples.png after every epoch). */
  onSamples?(strip: SampleStrip, path: string): void;
}

/** Where `nnmodel train` writes a sample strip: forward.png (the noising, once) or samples.png (the latest epoch's images), in the checkpoint folder. */
export function sampleStripPath(dir: string, strip: SampleStrip): string {
  return resolve(dir, strip.kind === 'forward' ? 'forward.png' : 'samples.png');
}

/** What `JobEvents.onStart` says of a run. */
function startOf(info: ModelInfo, data: Dataset, config: TrainConfig, dir: string, initialEpoch: number): Parameters<NonNullable<JobEvents['onStart']>>[0] {
  // The examples trained on, not all the data's: the validation split (and a text's windows between) are not.
  const counts = splitCounts(data, config);
  return {
    model: info.name,
    backend: tf.getBackend(),
    examples: counts.train,
    validation: counts.validation,
    epochs: config.epochs,
    batch: config.batch,
    ...(config.mixup !== undefined ? { mixup: config.mixup } : {}),
    ...(config.mask !== undefined ? { mask: config.mask } : {}),
    source: data.source,
    checkpointDir: dir,
    resumedFrom: initialEpoch || undefined,
    standardisation: data.standardisation,
    split: windowsSplitNote(data, config.validation),
  };
}

/**
 * Writes each strip of a generative run into the checkpoint folder `dir`
 * (`sampleStripPath`), atomically, and tells `events`. The forward strip
 * comes before the first checkpoint creates the folder, so it is made here.
 */
function stripWriter(dir: string, events: JobEvents): (strip: SampleStrip) => void {
  return (strip) => {
    const path = sampleStripPath(dir, strip);
    try {
      mkdirSync(dir, { recursive: true });
      writeSampleStrip(path, strip, process.cwd());
    } catch (e) {
      // Pictures are a view of the run: failing to write one does not stop training.
      events.onWarning?.(`cannot write ${path}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    events.onSamples?.(strip, path);
  };
}

/**
 * The checkpoint in `dir` (with the optimiser's state when `options` ask); undefined when there is none. A
 * damaged one throws, with the folder's other checkpoint when intact (`withIntactOther`) for the way forward.
 */
async function readIfThere(dir: string, options?: ReadCheckpointOptions, model?: string): Promise<ReadCheckpoint | undefined> {
  try {
    return await readCheckpoint(nodeCheckpointFs(), dir, options);
  } catch (e) {
    if (e instanceof Error && /no checkpoint here/.test(e.message)) return undefined;
    if (e instanceof DamagedCheckpointError) throw await withIntactOther(nodeCheckpointFs(), dir, e, model, !!options?.optimizer);
    throw e;
  }
}

/**
 * The checkpoint `which` in `dir` that generate and forecast read: `notThere` when there is none; a damaged one
 * with the folder's other checkpoint when intact (`withIntactOther`).
 */
export async function checkpointToLoad(dir: string, which: CheckpointKind, model: string, notThere: string): Promise<ReadCheckpoint> {
  const fs = nodeCheckpointFs();
  try {
    return await readCheckpoint(fs, dir, { which });
  } catch (e) {
    if (e instanceof DamagedCheckpointError) throw await withIntactOther(fs, dir, e, model);
    throw new JobError(e instanceof Error && /no checkpoint here/.test(e.message) ? notThere : String(e instanceof Error ? e.message : e));
  }
}

/** What `--resume` says when there is no checkpoint to continue: the run starts from fresh weights, as without it. */
export function nothingToResume(model: string, dir: string): string {
  return `--resume: there is no checkpoint of ${model} in ${dir} to continue; training from the start.`;
}

/**
 * Said when a run without `--resume` starts where a checkpoint of the model
 * is: its first epoch replaces that checkpoint (hours of training, perhaps),
 * which `--resume` would have continued. Reads the JSON files only
 * (`checkpointChoices`); undefined when there is none.
 */
export async function replacedCheckpoint(fs: CheckpointFs, dir: string, model: string): Promise<string | undefined> {
  const choices = await checkpointChoices(fs, dir, model).catch(() => []);
  const last = choices.find((c) => c.which === 'last');
  if (!last) return undefined;
  // A damaged one cannot be continued: --resume is no way to keep it. Its best, when intact, is what there is to keep.
  const damage = await readCheckpoint(fs, dir).then(
    () => undefined,
    (e: unknown) => (e instanceof DamagedCheckpointError ? e : undefined),
  );
  if (damage) {
    const best = choices.find((c) => c.which === 'best') && (await withIntactOther(fs, dir, damage, model)).other;
    const file = damage.message.replace(/^.*\//, '').replace(/; the checkpoint is damaged\.$/, '');
    return (
      `${dir} holds a damaged checkpoint of ${model} (epoch ${last.epoch}: ${file}), which cannot be continued; this run starts from fresh weights and replaces it after its first epoch` +
      (best ? `, and its intact best checkpoint (epoch ${best.epoch}) too. Stop now (Ctrl-C) to keep the best (evaluate, generate and export read it with --checkpoint best).` : '.')
    );
  }
  return `${dir} holds a checkpoint of ${model} (epoch ${last.epoch}); this run starts from fresh weights and replaces it after its first epoch. Stop now (Ctrl-C) to keep it; --resume continues it instead.`;
}

/** What a failed file operation says: Node's message (`ENOSPC: no space left on device, write`), or the value. */
function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Fails before any training when checkpoints cannot be written in `dir`
 * (a path through a file, a read-only disk: `checkpointFolderProblem`).
 * Without it, such a folder was found only after the first epoch, as an
 * internal error, and the epoch was lost.
 */
export async function checkCheckpointFolder(fs: CheckpointFs, dir: string): Promise<void> {
  const problem = await checkpointFolderProblem(fs, dir);
  if (problem) throw new JobError(`cannot write checkpoints in ${dir} (${problem}); nothing was trained. Give a folder that can be written with --checkpoints FOLDER.`);
}

/**
 * `writeCheckpoint`, with a failure (disk full, folder removed) said as
 * what it means for the run: training stops, and the last checkpoint that
 * was written completely (`kept`: its epoch, undefined when none) is still
 * there, since checkpoints are switched atomically.
 */
export async function writeEpochCheckpoint(fs: CheckpointFs, dir: string, ck: EncodedCheckpoint, kept: number | undefined): Promise<void> {
  try {
    await writeCheckpoint(fs, dir, ck);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    const epoch = ck.modelJson.nnmodel.epoch;
    const left = kept ? `the checkpoint of epoch ${kept} is still there` : 'no checkpoint of this run was written';
    throw new JobError(`training stopped after epoch ${epoch}: its checkpoint could not be written in ${dir} (${reason(e)}); ${left}.`);
  }
}

/**
 * The warnings the analysis gives on the train section being run
 * (`train.not_causal`, `train.batchnorm_batch`, ...), worded as
 * `nnmodel check` words them: training does not stop for them, and without
 * this a run on the command line would never show them.
 */
export function sectionWarnings(analysis: Analysis, train: TrainInfo, file: string): string[] {
  const inside = (d: Analysis['diagnostics'][number]) => d.range.start.offset >= train.range.start.offset && d.range.end.offset <= train.range.end.offset;
  return analysis.diagnostics
    .filter((d) => d.severity === 'warning' && d.uri === undefined && inside(d))
    .map((d) => formatDiagnostic({ file, diagnostic: d }, false));
}

/**
 * The epochs a run trains: `--epochs`; else, continuing, to the end of the plan the checkpoint fell short of
 * (or the section's `epochs` more after a finished one), as Train Model's default (`continuation`); else the section's.
 */
function runEpochs(req: JobRequest, sectionEpochs: number, resumed: Resumed | undefined): number {
  return req.epochs ?? (resumed ? continuation(resumed.epoch, resumed.history, sectionEpochs).epochs : sectionEpochs);
}

/**
 * The checkpoint folders a training of `req` writes: the model's, and a GAN's
 * discriminator's. Throws as `prepareJob` does for a file that cannot train.
 */
function trainingFolders(req: JobRequest): string[] {
  const file = resolve(req.file);
  const analysis = analyzeRequest({ file, text: req.text });
  const { info, train } = pickTrain(analysis, req.file, req.model);
  const dir = checkpointDir(file, info.name, req.checkpointFolder);
  const dName = train.config.loss === 'adversarial' ? train.config.adversarial?.discriminator : undefined;
  return dName !== undefined ? [discriminatorCheckpointDir(file, info.name, dName, req.checkpointFolder), dir] : [dir];
}

/**
 * Takes the lock of each checkpoint folder the run writes (core/runtime/checkpointLock.ts),
 * before anything is read or trained: a second training into a folder is refused up front.
 * Then removes what a run stopped mid-write left there (`tidyCheckpointFolder`), said as a warning.
 * A folder where the lock cannot be made is said as `checkCheckpointFolder` says it.
 */
export async function lockFolders(dirs: readonly string[], command: string, onWarning?: (m: string) => void): Promise<CheckpointLock[]> {
  const locks: CheckpointLock[] = [];
  try {
    for (const dir of dirs) {
      let lock: CheckpointLock;
      try {
        lock = await acquireCheckpointLock(dir, { command, elsewhere: 'train into another folder with --checkpoints DIR' });
      } catch (e) {
        if (e instanceof CheckpointError) throw e;
        throw new JobError(`cannot write checkpoints in ${dir} (${reason(e)}); nothing was trained. Give a folder that can be written with --checkpoints FOLDER.`);
      }
      locks.push(lock);
      if (lock.tookOver) onWarning?.(lock.tookOver);
      // The folder is ours now: what a run stopped mid-write left goes before anything reads it.
      const tidied = tidiedText(dir, await tidyCheckpointFolder(nodeCheckpointFs(), dir));
      if (tidied) onWarning?.(tidied);
    }
    return locks;
  } catch (e) {
    for (const l of locks) await l.release();
    throw e;
  }
}

/** Trains as the request says; writes a checkpoint after every epoch, holding the lock of its folders (`lockFolders`) throughout. */
export async function runTrainJob(req: JobRequest, events: JobEvents, token: CancelToken): Promise<{ history: History; dir: string; job: PreparedJob }> {
  const locks = await lockFolders(trainingFolders(req), `nnmodel train ${basename(req.file)}`, (m) => events.onWarning?.(m));
  try {
    return await trainLocked(req, events, token);
  } finally {
    for (const l of locks) await l.release();
  }
}

async function trainLocked(req: JobRequest, events: JobEvents, token: CancelToken): Promise<{ history: History; dir: string; job: PreparedJob }> {
  const job = await prepareJob(req, () => token.cancelled, req.resume ? 'resume' : undefined);
  // A GAN trains two models: the section's generator and its discriminator.
  if (job.train.config.loss === 'adversarial') return runGanJob(req, job, events, token);
  const { info, train, data, built, dir } = job;
  const resumed = job.checkpoint && resumeModel(tf, built, job.checkpoint);
  const config = { ...train.config, epochs: runEpochs(req, train.config.epochs, resumed) };
  const initialEpoch = resumed?.epoch ?? 0;
  const previous: EpochLogs[] = resumed?.history ?? [];
  const fs = nodeCheckpointFs();
  // Before the run starts: a folder that cannot hold checkpoints would otherwise be found after the first epoch.
  await checkCheckpointFolder(fs, dir);
  if (req.resume && !job.checkpoint) events.onWarning?.(nothingToResume(info.name, dir));
  const replaced = req.resume ? undefined : await replacedCheckpoint(fs, dir, info.name);
  if (replaced) events.onWarning?.(replaced);
  for (const p of resumed?.problems ?? []) events.onWarning?.(p);
  events.onStart?.({ ...startOf(info, data, config, dir, initialEpoch), history: previous });
  for (const w of sectionWarnings(job.analysis, train, req.file)) events.onWarning?.(w);
  const unlabelled = unlabelledOutputsWarning(info, data, config);
  if (unlabelled) events.onWarning?.(unlabelled);
  const done: EpochLogs[] = [];
  // The epoch of the last checkpoint written completely (a resumed one counts): what a failed write leaves.
  let kept: number | undefined = initialEpoch || undefined;
  const history = await trainModel(tf, built.model, info, data, {
    config,
    seed: job.seed,
    initialEpoch,
    token,
    onBatch: (b) => events.onBatch?.(b),
    onSamples: stripWriter(dir, events),
    prepareOptimizer: optimizerRestorer(tf, config.optimizer, { model: resumed }, (m) => events.onWarning?.(m)),
    // A diffusion model's loop reports none (TrainOptions.signals).
    ...(events.onSignals ? { signals: { built, onSignals: (r: SignalsReport) => events.onSignals?.(r) } } : {}),
    onEpoch: async (logs, optimizers) => {
      done.push(logs);
      events.onEpoch?.(logs);
      const ck = await encodeCheckpoint(built, {
        model: info.name,
        source: req.file,
        epoch: logs.epoch,
        history: [...previous, ...done],
        // Masked language modelling: evaluate then measures the masked tokens (checkpointMask).
        ...(config.mask !== undefined ? { objective: { mask: config.mask } } : {}),
        data: {
          source: data.source,
          classes: data.classes.length > 1000 ? [] : data.classes,
          exampleShape: data.exampleShape,
          tokenizer: data.tokenizer,
          featureStats: data.featureStats,
        },
      }, optimizers.model && { optimizer: optimizers.model, config: config.optimizer });
      await writeEpochCheckpoint(fs, dir, ck, kept);
      kept = logs.epoch;
      events.onCheckpoint?.(dir, logs.epoch);
      // The best beside the last. A failure here keeps the previous best (and the last is written): said, not fatal.
      try {
        events.onBest?.(await writeBestCheckpoint(fs, dir, ck), dir);
      } catch (e) {
        events.onWarning?.(`the best checkpoint of epoch ${logs.epoch} was not written (the previous one stays): ${e instanceof Error ? e.message : String(e)}`);
      }
    },
  });
  return { history, dir, job };
}

/**
 * `loss: adversarial(D)`: builds the discriminator beside the generator,
 * continues both from their checkpoints with `resume`, trains them against
 * each other (runtime/gan.ts) and after every epoch writes both checkpoints
 * (the discriminator's first, in runtime/checkpoint.ts
 * `discriminatorCheckpointDir`; then the generator's, the run's) and `samples.png` in the
 * generator's folder.
 */
async function runGanJob(req: JobRequest, job: PreparedJob, events: JobEvents, token: CancelToken): Promise<{ history: History; dir: string; job: PreparedJob }> {
  const { analysis, info, train, data, built, dir } = job;
  const dName = train.config.adversarial!.discriminator;
  const dInfo = analysis.models.find((m) => m.name === dName);
  if (!dInfo) throw new JobError(`the discriminator '${dName}' is not a model of ${req.file}.`);
  // Its own seeds: the two models do not start from the same random numbers.
  const dBuilt = buildModel(tf, dInfo, { seed: job.seed + 1000, symbolicDims: symbolicDimsFor(dInfo, [data.exampleShape]) });
  // Never the generator's folder, whatever the setting (see discriminatorCheckpointDir).
  const dDir = discriminatorCheckpointDir(resolve(req.file), info.name, dName, req.checkpointFolder);
  try {
    const resumed = job.checkpoint && resumeModel(tf, built, job.checkpoint);
    const config = { ...train.config, epochs: runEpochs(req, train.config.epochs, resumed) };
    const initialEpoch = resumed?.epoch ?? 0;
    const previous: EpochLogs[] = resumed?.history ?? [];
    let dResumed: Resumed | undefined;
    const fs = nodeCheckpointFs();
    await checkCheckpointFolder(fs, dDir);
    await checkCheckpointFolder(fs, dir);
    if (req.resume && !job.checkpoint) events.onWarning?.(nothingToResume(info.name, dir));
    const replaced = req.resume ? undefined : await replacedCheckpoint(fs, dir, info.name);
    if (replaced) events.onWarning?.(replaced);
    if (resumed) {
      for (const p of resumed.problems) events.onWarning?.(p);
      const d = resumeDiscriminator(tf, dBuilt, dName, initialEpoch, await readIfThere(dDir, { optimizer: true }), dDir);
      dResumed = d.resumed;
      for (const w of d.warnings) events.onWarning?.(w);
    }
    events.onStart?.({ ...startOf(info, data, config, dir, initialEpoch), loss: config.loss });
    for (const w of sectionWarnings(analysis, train, req.file)) events.onWarning?.(w);
    const done: EpochLogs[] = [];
    let kept: number | undefined = initialEpoch || undefined;
    const meta = { source: data.source, classes: [], exampleShape: data.exampleShape };
    const history = await trainGan(tf, { model: built.model, info }, { model: dBuilt.model, info: dInfo }, data, {
      config,
      seed: job.seed,
      initialEpoch,
      token,
      onBatch: (b) => events.onBatch?.(b),
      onSamples: stripWriter(dir, events),
      prepareOptimizer: optimizerRestorer(tf, config.optimizer, { generator: resumed, discriminator: dResumed }, (m) => events.onWarning?.(m), { discriminator: dName }),
      onEpoch: async (logs, optimizers) => {
        done.push(logs);
        events.onEpoch?.(logs);
        const cks = await encodeGanCheckpoints(
          { built, name: info.name },
          { built: dBuilt, name: dName },
          { source: req.file, epoch: logs.epoch, history: [...previous, ...done], data: meta },
          config,
          optimizers,
        );
        // The discriminator first: the generator's checkpoint, written last, marks the epoch complete.
        await writeEpochCheckpoint(fs, dDir, cks.discriminator, kept);
        events.onCheckpoint?.(dDir, logs.epoch);
        await writeEpochCheckpoint(fs, dir, cks.generator, kept);
        kept = logs.epoch;
        events.onCheckpoint?.(dir, logs.epoch);
      },
    });
    return { history, dir, job };
  } finally {
    dBuilt.model.dispose();
  }
}

/**
 * Sets the weights of `built` from the checkpoint Evaluate or Generate
 * Text reads, or refuses one that no longer fits the model
 * (`checkpointMisfit`, the rule by which the editor's pickers mark it):
 * the figures or the text of a model some of whose layers keep their
 * initial weights would pass for the trained model's.
 */
export function loadFitting(built: BuiltModel, info: ModelInfo, ck: ReadCheckpoint, which: CheckpointKind): void {
  const fit = checkpointFit(ck.modelJson.nnmodel.signature, graphSignature(built));
  if (checkpointMisfit(fit)) throw new JobError(misfitRefusal(info.name, which, ck.modelJson.nnmodel.epoch, fit, '\n'));
  applyCheckpoint(tf, built, ck.modelJson, ck.weights);
}

/** Loss and metrics of the checkpointed model on its validation split and on all the data. */
export async function runEvaluateJob(req: JobRequest): Promise<{
  validation?: { loss: number; metrics: Record<string, number> };
  all: { loss: number; metrics: Record<string, number> };
  epoch: number;
  job: PreparedJob;
  /** The best checkpoint only: why it is not the run's lowest val_loss (runtime/checkpoint.ts bestWarning). */
  warning?: string;
  /** A masked language model (the checkpoint's `objective`): its share of masked tokens, over which the figures are taken. */
  masked?: number;
}> {
  // `req.checkpoint` picks the last (default) or the best checkpoint: prepareJob reads it.
  // The checkpoint before the data: a CSV is standardised with the statistics the model was trained with.
  const job = await prepareJob(req, undefined, 'load');
  if (!job.checkpoint) throw new JobError(`no checkpoint for ${job.info.name} in ${job.dir}; train it first.`);
  loadFitting(job.built, job.info, job.checkpoint, req.checkpoint ?? 'last');
  const epoch = job.checkpoint.modelJson.nnmodel.epoch;
  const { config } = job.train;
  if (config.loss === 'adversarial') {
    throw new JobError(`${job.info.name} is a GAN's generator: there is no label to measure its images against. Look at samples.png in ${job.dir}, or at the d_real and d_fake of its training.`);
  }
  if (config.loss === 'denoise') {
    // The denoising loss with t and ε drawn as the training's validation draws them: the same figure as its val_loss.
    const split = dataSplit(job.data, config.validation, job.seed);
    const validation = await evaluateDenoiser(tf, job.built.model, job.info, job.data, split.validation, config, job.seed);
    const all = await evaluateDenoiser(tf, job.built.model, job.info, job.data, Int32Array.from({ length: job.data.count }, (_, i) => i), config, job.seed);
    return { validation, all: all!, epoch, job, warning: job.checkpoint.warning };
  }
  const metrics = config.metrics.length ? config.metrics : config.loss === 'crossentropy' ? ['accuracy'] : ['mae'];
  const cfg = { ...config, metrics };
  const kind = outputKind(job.info);
  const split = dataSplit(job.data, config.validation, job.seed);
  // A masked language model is measured on masked tokens, masked as its validation always was: the checkpoint says so.
  const rate = checkpointMask(job.checkpoint.modelJson.nnmodel);
  const masked = rate !== undefined ? { spec: maskSpecFor(job.built.model, job.info, job.data, rate), seed: job.seed } : undefined;
  const validation = await evaluateModel(tf, job.built.model, kind, job.data, split.validation, cfg, undefined, masked);
  const all = await evaluateModel(tf, job.built.model, kind, job.data, Int32Array.from({ length: job.data.count }, (_, i) => i), cfg, undefined, masked);
  return { validation, all: all!, epoch, job, warning: job.checkpoint.warning, ...(rate !== undefined ? { masked: rate } : {}) };
}

/**
 * Text from the checkpointed language model: the tokeniser saved with the
 * checkpoint encodes the prompt; the model's context is the training one.
 */
/**
 * `nnmodel generate` of an encoder-decoder trained on `sequences`: answers
 * written by greedy decoding (runtime/decode.ts), the decoder reading its
 * own tokens as it would at inference, not the answer (teacher forcing,
 * which `evaluate` measures). For the source given as `--prompt` (token ids),
 * else for a few sources drawn as the data draws them, each with the task's
 * expected answer and whether the model's is right.
 */
async function decodeSequences(
  info: ModelInfo,
  options: Record<string, unknown>,
  ck: ReadCheckpoint,
  req: JobRequest,
  g: GenerateRequest,
  epoch: number,
  onText?: (piece: string) => void,
  cancelled?: () => boolean,
  onWarning?: (message: string) => void,
): Promise<{ text: string; model: string; epoch: number }> {
  const task = String(options.task) as SequenceTask;
  const length = Number(options.length);
  const vocab = Number(options.vocab);
  let sources: number[][];
  if (g.prompt.trim().length > 0) {
    const words = g.prompt.trim().split(/[\s,]+/);
    const ids = words.map(Number);
    const bad = words.find((w, i) => !/^[0-9]+$/.test(w) || ids[i] < 1 || ids[i] >= vocab);
    if (bad !== undefined) {
      throw new JobError(`${info.name} reads token ids from 1 to ${vocab - 1} (0 starts the decoder's input), as sequences(vocab = ${vocab}) drew them; --prompt '${g.prompt}' has '${bad}'. Give ids separated by spaces, e.g. --prompt "${Array.from({ length: Math.min(length, 6) }, (_, i) => 1 + ((i * 3) % (vocab - 1))).join(' ')}".`);
    }
    if (ids.length !== length) onWarning?.(`${info.name} was trained on sources of ${length} tokens (sequences(length = ${length})); on ${ids.length} it has not learned the task, and its answer may be wrong for that reason alone.`);
    sources = [ids];
  } else {
    const drawn = sequencePairs({ samples: EXAMPLES_DECODED, task, length, vocab, seed: (g.seed ?? 1) + 7919 });
    sources = Array.from({ length: drawn.count }, (_, i) => Array.from(drawn.xs.subarray(i * length, (i + 1) * length)));
  }
  const fixedSource = info.inputs[0].shape.dims[0].value;
  if (fixedSource !== undefined && sources.some((s) => s.length !== fixedSource)) {
    throw new JobError(`${info.name} takes sources of exactly ${fixedSource} tokens (input '${info.inputs[0].name}'); --prompt has ${sources[0].length}.`);
  }
  const built = buildModel(tf, info, { seed: 1, symbolicDims: symbolicDimsFor(info, [[sources[0].length], [sources[0].length]]) });
  loadFitting(built, info, ck, req.checkpoint ?? 'last');
  let text = '';
  const say = (piece: string) => {
    text += piece;
    onText?.(piece);
  };
  const expectedOf = (src: number[]) => (task === 'copy' ? src : task === 'reverse' ? [...src].reverse() : [...src].sort((a, b) => a - b));
  say(`${info.name} after epoch ${epoch} (task ${task}): greedy decoding, each token the most likely one after the tokens the decoder wrote before it\n`);
  let right = 0;
  let tokensRight = 0;
  let tokens = 0;
  try {
    for (const src of sources) {
      if (cancelled?.()) break;
      const { answer } = greedyDecode(tf, built.model, src, BOS, src.length);
      const expected = expectedOf(src);
      const ok = answer.length === expected.length && answer.every((t, i) => t === expected[i]);
      if (ok) right++;
      tokens += expected.length;
      tokensRight += expected.filter((t, i) => answer[i] === t).length;
      say(`\nsource    ${src.join(' ')}\nanswer    ${answer.join(' ')}${ok ? '   right' : '   wrong'}\nexpected  ${expected.join(' ')}\n`);
    }
  } finally {
    built.model.dispose();
  }
  if (sources.length > 1) say(`\n${right} of ${sources.length} answers right; ${tokensRight} of ${tokens} tokens`);
  return { text, model: info.name, epoch };
}

/** Sources `nnmodel generate` decodes for an encoder-decoder when none is given. */
const EXAMPLES_DECODED = 5;

export async function runGenerateJob(
  req: JobRequest,
  g: GenerateRequest,
  onText?: (piece: string) => void,
  cancelled?: () => boolean,
  /** Said before generating: prompt characters (or words) the tokeniser does not know. */
  onWarning?: (message: string) => void,
): Promise<{ text: string; model: string; epoch: number }> {
  await startBackend(req.backend);
  const file = resolve(req.file);
  const analysis = analyzeRequest({ file, text: req.text });
  const { info, train } = pickTrain(analysis, req.file, req.model);
  const dir = checkpointDir(file, info.name, req.checkpointFolder);
  const ck = await checkpointToLoad(dir, req.checkpoint ?? 'last', info.name, `no checkpoint for ${info.name} in ${dir}; train it first.`);
  // A best checkpoint that is not the run's lowest val_loss (a failed best write) is said before anything is generated.
  if (ck.warning) onWarning?.(ck.warning);
  const meta = ck.modelJson.nnmodel;
  const data = train.config.data;
  if (info.inputs.length === 2 && data?.kind === 'sequences') return decodeSequences(info, data.options, ck, req, g, meta.epoch, onText, cancelled, onWarning);
  const spec = asTokenizerSpec(meta.data?.tokenizer);
  if (!spec || info.inputs[0]?.shape.isInt !== true) {
    throw new JobError(`${info.name} is not a language model trained on text (its checkpoint has no tokeniser); Generate Text needs data: text(...).`);
  }
  const masked = checkpointMask(meta);
  if (masked !== undefined) {
    throw new JobError(
      `${info.name} was trained by masked language modelling (mask: ${masked}): it gives back hidden tokens from the text on both sides of them, and was never trained to predict the token after a text, so it cannot write one token after another. Measure it with nnmodel evaluate (accuracy on masked tokens); train a causal model by next-token prediction (no mask) to generate text.`,
    );
  }
  const tokenizer = tokenizerFromSpec(spec);
  const context = meta.data?.exampleShape[0] ?? 64;
  const built = buildModel(tf, info, { seed: 1, symbolicDims: symbolicDimsFor(info, [context]) });
  loadFitting(built, info, ck, req.checkpoint ?? 'last');
  // Unknown characters become the unknown token; say which, or the user wonders why the text ignores them.
  const warning = unknownPiecesWarning(tokenizer, g.prompt, `${info.name}'s training text`);
  if (warning) onWarning?.(warning);
  // Only ids the tokeniser has text for are sampled: a model may have more outputs than the training text has tokens.
  const outputs = built.model.outputs[0].shape[built.model.outputs[0].shape.length - 1] ?? tokenizer.vocabSize;
  if (Math.min(outputs, tokenizer.vocabSize) < 2) {
    throw new JobError(`${info.name} has no token to generate: its tokeniser has ${plural(tokenizer.vocabSize, 'token')} and the model ${plural(outputs, 'output')}, and id 0 (unknown) is never sampled.`);
  }
  if (outputs > tokenizer.vocabSize) {
    onWarning?.(
      `${info.name} outputs ${outputs} values per position, but its tokeniser has ${plural(tokenizer.vocabSize, 'token')} (the ${spec.kind} vocabulary of its training text): ` +
        `ids ${tokenizer.vocabSize} to ${outputs - 1} have no text and are never sampled. ${outputSizeAdvice(info, tokenizer.vocabSize)}`,
    );
  }
  const prompt = tokenizer.encode(g.prompt.length ? g.prompt : '\n');
  // Pieces decoded in sequence, after the prompt: the word tokeniser's spaces depend on the neighbouring word.
  const decoder = streamDecoder(tokenizer, g.prompt.length ? prompt : []);
  let text = '';
  const say = (piece: string) => {
    if (!piece) return;
    text += piece;
    onText?.(piece);
  };
  await generateTokens(tf, built.model, prompt.length ? prompt : [0], {
    maxTokens: g.maxTokens,
    temperature: g.temperature,
    topK: g.topK,
    context,
    seed: g.seed,
    outputKind: outputKind(info),
    banned: [0],
    vocabSize: tokenizer.vocabSize,
    cancelled,
    onToken: (id) => say(decoder.push(id)),
  });
  say(decoder.flush());
  return { text, model: info.name, epoch: meta.epoch };
}
