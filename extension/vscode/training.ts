/**
 * Training from the editor: Train Model, Stop Training, Evaluate, Load
 * Weights and Generate Text. The extension host never loads tfjs.
 *
 * Train Model runs in the inspector's TensorFlow.js runtime (the webview,
 * on the backend `nnmodel.backend` selects): this side picks the model and
 * its train section, reads and decodes the user's data files (inside the
 * workspace folders only: the page has no file access) or leaves a built-in
 * set for the page to generate, opens the inspector, and sends it one
 * `train` message. The page reports batches and epochs (shown here as a
 * progress notification with a working Cancel and a line per epoch in the
 * "nnmodel training" output channel) and sends each epoch's checkpoint,
 * which this side checks and writes atomically beside the file. Closing the
 * panel ends the run; the last complete epoch's checkpoint stays.
 *
 * Evaluate and Generate Text read that checkpoint from disk in a child Node
 * process (`dist/cli.js train --ipc`, the same code as the CLI). Nothing
 * runs in an untrusted workspace.
 */
import * as vscode from 'vscode';
import { maskedEvaluationNote } from '../core/analysis/trainMask';
import { fork, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import * as path from 'node:path';
import type { Analysis, ModelInfo, TrainInfo } from '../core/analysis/types';
import { shapeToString } from '../core/analysis/sym';
import { errorsBlockingTraining, trainSectionHint } from '../core/analysis/trainScope';
import type { GenerateRequest, HostToJob, JobRequest, JobToHost } from '../core/runtime/jobProtocol';
import { serializeModel, type CheckpointMessage, type ResumePayload, type TrainStartMessage, type WeightsMessage } from '../core/protocol';
import {
  BEST_JSON,
  checkpointChoices,
  checkpointDir,
  DamagedCheckpointError,
  epochValLoss,
  setCheckpointsAside,
  checkpointFit,
  checkpointMisfit,
  knownAnalysisSignature,
  loadWeightsNotice,
  misfitRefusal,
  checkpointJson,
  continuation,
  discriminatorCheckpointDir,
  readCheckpoint,
  checkpointFolderProblem,
  checkpointDataProblem,
  tidiedText,
  tidyCheckpointFolder,
  writeBestCheckpoint,
  writeCheckpoint,
  type CheckpointChoice,
  type CheckpointKind,
  type LayerSignature,
  type ReadCheckpoint,
} from '../core/runtime/checkpoint';
import { bestText, lossFigure, overfitVerdict, type EpochFigures } from '../core/runtime/overfit';
import { isBuiltinSource } from '../core/runtime/data/builtin';
import { DataError, asFeatureStats, isInside, loadDataset, type Dataset } from '../core/runtime/data/files';
import { unlabelledOutputsWarning } from '../core/runtime/dataFit';
import { TRAIN_SEED, validationSplit, windowsSplitNote } from '../core/runtime/train';
import { nodeCheckpointFs, nodeDataFs } from '../core/runtime/nodeFs';
import { CheckpointLockedError, acquireCheckpointLock, type CheckpointLock } from '../core/runtime/checkpointLock';
import { checkUploadedCheckpoint, dataPayload } from '../core/runtime/trainTransfer';
import { isNnmodel, type AnalysisCache } from './analysisCache';
import { inspectorForTraining, publishWeights, type TrainingBridge } from './inspector';
import { EndNotice, TrainingProgress, type RunEnd } from './inspector/trainingProgress';
import { isLocal, modelAt } from './pure/lookup';
import { epochRange, plural } from '../core/plural';

export interface TrainingApi extends vscode.Disposable {
  /** Whether a Train Model, Evaluate or Generate Text holds the one slot: asking its questions, or its run or job going. */
  readonly busy: boolean;
}

/** How long a Cancel may take before the host stops waiting for the page (a batch of a big model can take a while). */
const STOP_GRACE_MS = 60_000;

const UNTRUSTED = 'nnmodel does not train, read data or write checkpoints in an untrusted workspace. Trust the workspace to train.';

interface Target {
  doc: vscode.TextDocument;
  train: TrainInfo;
}

/** The commands that take the one slot, with their words: the title, and what pickTarget asks the model for. */
const SLOT_COMMANDS = {
  train: { title: 'Train Model', what: 'train', running: (model: string) => `${model} is already training` },
  evaluate: { title: 'Evaluate Model', what: 'evaluate', running: (model: string) => `Evaluating ${model} is already running` },
  generate: { title: 'Generate Text', what: 'generate text with', running: (model: string) => `Generating text with ${model} is already running` },
} as const;

/**
 * What holds the one slot (the inspector runs one training, and one job
 * process runs at a time): a Train Model from its first question to its
 * run's end, an Evaluate or Generate Text from its first question to its
 * job's end. Only its owner frees it, in a `finally`.
 */
interface SlotHolder {
  readonly command: keyof typeof SLOT_COMMANDS;
  /** Its model and document, once picked. */
  target?: Target;
  /** Cancelled to end it while it asks: its quick picks and input boxes close, and it starts nothing. */
  readonly asking: vscode.CancellationTokenSource;
  /** Stops its run or job once started (`graceMs` 0 ends a child process at once: deactivation); before, it is asking. */
  stop?: (graceMs?: number) => void;
}

/** One child process running one job. */
class Job {
  private readonly child: ChildProcess;
  private stopping = false;
  private killTimer: NodeJS.Timeout | undefined;
  readonly done: Promise<{ status: 'completed' | 'cancelled' | 'failed'; error?: { message: string; file?: string }; text?: string }>;

  constructor(cliPath: string, run: HostToJob, onMessage: (m: JobToHost) => void, log: (line: string) => void) {
    // In VS Code's Electron host, process.execPath is Electron: this makes it behave as plain Node.
    this.child = fork(cliPath, ['train', '--ipc'], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    this.child.stderr?.on('data', (d: Buffer) => log(d.toString().trimEnd()));
    this.child.stdout?.on('data', (d: Buffer) => log(d.toString().trimEnd()));
    this.done = new Promise((resolve) => {
      let result: Awaited<Job['done']> | undefined;
      this.child.on('message', (raw) => {
        const m = raw as JobToHost;
        if (!m || typeof m !== 'object' || typeof m.type !== 'string') return;
        onMessage(m);
        if (m.type === 'done') result = { status: m.status, text: m.text };
        if (m.type === 'error') result = { status: 'failed', error: { message: m.message, file: m.file } };
      });
      this.child.on('exit', (code, signal) => {
        if (this.killTimer) clearTimeout(this.killTimer);
        resolve(
          result ??
            (this.stopping
              ? { status: 'cancelled' }
              : { status: 'failed', error: { message: `the training process ended unexpectedly (${signal ?? `exit code ${code}`}); see the "nnmodel training" output.` } }),
        );
      });
      this.child.on('error', (e) => resolve({ status: 'failed', error: { message: `could not start the training process: ${e.message}` } }));
    });
    this.child.send(run);
  }

  /** Asks the job to stop between batches; kills it if it does not within `graceMs`. */
  stop(graceMs = 30_000): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies HostToJob);
    this.killTimer = setTimeout(() => this.child.kill(), graceMs);
  }
}

export function registerTraining(context: vscode.ExtensionContext, cache: AnalysisCache): TrainingApi {
  const output = vscode.window.createOutputChannel('nnmodel training');
  const cliPath = context.asAbsolutePath('dist/cli.js');
  /** The command holding the slot (one at a time), asking or running. */
  let current: SlotHolder | undefined;
  let runs = 0;
  /** How the last run in the inspector ended, until the next starts (a message box cannot be closed: a notification with a task). */
  const endNotice = new EndNotice((text, until) =>
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: text }, async (progress) => {
      // A full bar, not the endless one of a task under way: the run is over.
      progress.report({ increment: 100 });
      await until;
    }),
  );

  /** Stop Training's context key: true while a run or job of the slot's holder goes (not while it asks). */
  const setBusy = (busy: boolean) => void vscode.commands.executeCommand('setContext', 'nnmodel.training', busy);

  /**
   * Takes the slot for `command`; undefined, with the holder named (`sayBusy`), when another command holds it.
   * The caller frees it with `release` in a `finally`.
   */
  function claim(command: SlotHolder['command']): SlotHolder | undefined {
    if (current) {
      sayBusy(current);
      return undefined;
    }
    current = { command, asking: new vscode.CancellationTokenSource() };
    return current;
  }

  /** Frees the slot when `holder` holds it (a command that was refused holds nothing). */
  function release(holder: SlotHolder): void {
    if (current !== holder) return;
    current = undefined;
    holder.asking.dispose();
    if (holder.stop) setBusy(false);
  }

  /**
   * A command that holds the slot from its first question to the end of its
   * run (a second Train Model or Evaluate while this one asks would otherwise
   * share its run's slot); refused, saying why, while another holds it.
   */
  function holdingSlot(command: SlotHolder['command'], body: (holder: SlotHolder, uriArg: unknown, modelArg: unknown) => Promise<void>) {
    return async (uriArg?: unknown, modelArg?: unknown): Promise<void> => {
      const holder = claim(command);
      if (!holder) return;
      try {
        await body(holder, uriArg, modelArg);
      } finally {
        release(holder);
      }
    };
  }

  /** `holder`'s run or job has started: Stop Training (and the busy message's Stop Training) call `stop`. */
  function started(holder: SlotHolder, stop: (graceMs?: number) => void): void {
    holder.stop = stop;
    setBusy(true);
  }

  /** Stops the holder's run or job, or, while it asks, cancels it: its question closes and nothing starts. */
  function stopHolder(holder: SlotHolder, graceMs?: number): void {
    if (holder.stop) holder.stop(graceMs);
    else holder.asking.cancel();
  }

  /** Whether `holder` was cancelled while it asked: it must start nothing more. */
  const cancelled = (holder: SlotHolder) => holder.asking.token.isCancellationRequested;

  /**
   * Says what holds the slot, naming its model, with a way to it: a run's inspector (Show Training) or a job's
   * output (Show Output), and Stop Training; while it asks, Cancel It (its question closes, nothing starts).
   */
  function sayBusy(holder: SlotHolder): void {
    const words = SLOT_COMMANDS[holder.command];
    const model = holder.target?.train.model;
    const text = holder.stop
      ? `${words.running(model ?? 'a model')}; stop it first (nnmodel: Stop Training).`
      : `${words.title} is already asking ${model === undefined ? `which model to ${words.what}` : `about ${model}`}; answer it first, or cancel it.`;
    const show = holder.command === 'train' ? 'Show Training' : 'Show Output';
    const actions = holder.stop ? [show, 'Stop Training'] : ['Cancel It'];
    void vscode.window.showWarningMessage(text, ...actions).then((choice) => {
      // Too late when the holder has let go meanwhile: nothing of another command is stopped or shown.
      if (!choice || current !== holder) return;
      if (choice === 'Show Output') output.show(true);
      else if (choice === 'Show Training' && holder.target) void vscode.commands.executeCommand('nnmodel.openInspector', holder.target.doc.uri, holder.target.train.model);
      else if (choice === 'Stop Training' || choice === 'Cancel It') stopHolder(holder);
    });
  }

  function request(target: Target, extra: Partial<JobRequest> = {}): JobRequest {
    const cfg = vscode.workspace.getConfiguration('nnmodel', target.doc);
    const backend = cfg.get<string>('backend', 'auto') === 'cpu' ? 'cpu' : 'wasm';
    return {
      file: target.doc.uri.fsPath,
      text: target.doc.getText(),
      model: target.train.model,
      roots: workspaceRoots(),
      checkpointFolder: cfg.get<string>('checkpoints.folder') || undefined,
      backend,
      ...extra,
    };
  }

  /**
   * The model and train section: from the CodeLens arguments, else the active editor's file (with the inspector
   * focused, the one visible .nnmodel editor's): the model at the cursor (its declaration or its train section),
   * else the only one, else the user picks. `unfit` says why a train section cannot serve the command (Generate
   * Text: not a language model trained on text); those are neither taken from the cursor nor offered. `token`
   * closes the pick (undefined: cancelled).
   */
  async function pickTarget(
    uriArg: unknown,
    modelArg: unknown,
    what: string,
    unfit?: (t: TrainInfo, model: ModelInfo | undefined) => string | undefined,
    token?: vscode.CancellationToken,
  ): Promise<Target | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(UNTRUSTED);
      return undefined;
    }
    let doc: vscode.TextDocument | undefined;
    if (uriArg instanceof vscode.Uri) doc = await vscode.workspace.openTextDocument(uriArg);
    else {
      // With the inspector focused there is no active text editor: use the visible .nnmodel editor then.
      const editor = vscode.window.activeTextEditor;
      const visible = vscode.window.visibleTextEditors.filter((e) => isNnmodel(e.document));
      doc = editor && isNnmodel(editor.document) ? editor.document : visible.length === 1 ? visible[0].document : undefined;
    }
    if (!doc) {
      void vscode.window.showWarningMessage(`Open a .nnmodel file to ${what}.`);
      return undefined;
    }
    if (doc.uri.scheme !== 'file') {
      void vscode.window.showWarningMessage(`${what}: save the file to disk first (checkpoints are written beside it).`);
      return undefined;
    }
    const analysis = cache.get(doc);
    const own = doc.uri.toString();
    const trains = localTrains(analysis, own);
    if (trains.length === 0) {
      // Plain text: a notification shows backticks as they are (it renders no Markdown but links).
      void vscode.window.showWarningMessage(`${basename(doc.uri)} has no train section. Add one, e.g. ${analysis.models[0] ? trainSectionHint(analysis.models[0]) : 'train MyModel { data: digits() }'}.`);
      return undefined;
    }
    const modelOf = (t: TrainInfo) => analysis.models.find((m) => m.name === t.model && isLocal(m.uri, own));
    const whyNot = (t: TrainInfo) => unfit?.(t, modelOf(t));
    let train = typeof modelArg === 'string' ? trains.find((t) => t.model === modelArg) : undefined;
    if (train) {
      const why = whyNot(train);
      if (why) {
        void vscode.window.showWarningMessage(`${train.model} cannot ${what}: ${why}.`);
        return undefined;
      }
    } else {
      const usable = trains.filter((t) => !whyNot(t));
      if (usable.length === 0) {
        const reasons = trains.slice(0, 3).map((t) => `${t.model}: ${whyNot(t)}`);
        if (trains.length > 3) reasons.push('…');
        void vscode.window.showWarningMessage(`No model in ${basename(doc.uri)} can ${what} (${reasons.join('; ')}).`);
        return undefined;
      }
      // The model at the cursor, as Open Inspector and Show Summary take it: inside its declaration or its train section.
      const editor = editorOf(doc);
      const offset = editor ? doc.offsetAt(editor.selection.active) : -1;
      const inside = (r: { start: { offset: number }; end: { offset: number } }) => r.start.offset <= offset && offset <= r.end.offset;
      const here = modelAt(analysis, offset, own)?.name ?? trains.find((t) => inside(t.range))?.model;
      train = usable.find((t) => t.model === here) ?? (usable.length === 1 ? usable[0] : undefined);
      if (!train) {
        const hereTrain = here === undefined ? undefined : trains.find((t) => t.model === here);
        const note = here === undefined ? '' : hereTrain ? ` (${here} cannot: ${whyNot(hereTrain)})` : ` (${here} has no train section)`;
        const items = usable.map((t) => ({ label: t.model, description: dataText(t), train: t }));
        const picked = await vscode.window.showQuickPick(items, { placeHolder: `Model to ${what}${what === 'generate text' ? ' with' : ''}${note}` }, token);
        if (!picked) return undefined;
        train = picked.train;
      }
    }
    // Only what this model's training uses: an error in another model of the file does not stop it.
    const errors = errorsBlockingTraining(analysis, train.model);
    if (errors.length) {
      const e = errors[0];
      void vscode.window.showErrorMessage(`${basename(doc.uri)}:${e.range.start.line + 1}: ${e.message} Fix the problems before you ${what}.`);
      return undefined;
    }
    return { doc, train };
  }

  /** Starts `holder`'s job (its command frees the slot once the job is done). */
  function start(holder: SlotHolder, run: HostToJob, onMessage: (m: JobToHost) => void): Job {
    const job = new Job(cliPath, run, onMessage, (line) => line && output.appendLine(line));
    started(holder, (graceMs) => job.stop(graceMs));
    return job;
  }

  async function reportFailure(what: string, error: { message: string; file?: string; line?: number; column?: number } | undefined, target: Target): Promise<void> {
    const message = error?.message ?? 'unknown error';
    output.appendLine(`${what} failed: ${message}`);
    // "Open File" only for a file that is there: not for one that was not found (VS Code would show
    // "the file was not found" over it), nor for an image folder; at the line the error names.
    const file = error?.file ? path.resolve(path.dirname(target.doc.uri.fsPath), error.file) : undefined;
    // Synchronous, so the message is up before the run's command returns (a local file: one stat).
    const openable = file !== undefined && isFile(file);
    const actions = openable ? ['Open File', 'Show Output'] : ['Show Output'];
    const choice = await vscode.window.showErrorMessage(`${what} ${target.train.model}: ${message}`, ...actions);
    if (choice === 'Show Output') output.show(true);
    if (choice === 'Open File' && file) {
      const line = error?.line ? error.line - 1 : undefined;
      const column = error?.column ? error.column - 1 : 0;
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(file), line === undefined ? undefined : { selection: new vscode.Range(line, column, line, column) });
    }
  }

  /**
   * Whether to continue from the checkpoint on disk: asked only when there
   * is one of this model. Continuing finishes the train section's epochs
   * (or a run of more epochs) the checkpoint fell short of, or trains the
   * section's epochs more once they are done (`continuation`, as
   * `nnmodel train --resume`); `epochs` is then the run's. A damaged last
   * checkpoint is `askAfterDamage`'s. Undefined when the user dismissed the question, or `holder` was cancelled.
   */
  async function askResume(target: Target, dir: string, holder: SlotHolder): Promise<{ resume?: ResumePayload; epochs?: number } | undefined> {
    let ck: ReadCheckpoint;
    try {
      ck = await readCheckpoint(nodeCheckpointFs(), dir, { optimizer: true });
    } catch (e) {
      if (e instanceof DamagedCheckpointError) return askAfterDamage(target, dir, e, holder);
      const m = e instanceof Error ? e.message : String(e);
      if (!/no checkpoint here/.test(m)) output.appendLine(`not offering to continue: ${m}`);
      return {};
    }
    if (ck.modelJson.nnmodel.model !== target.train.model) return {};
    const epoch = ck.modelJson.nnmodel.epoch;
    const next = continuation(epoch, ck.modelJson.nnmodel.history, target.train.config.epochs);
    // Said before the run, as the other checkpoint pickers say it: the layers that do not fit would train from fresh weights.
    const current = currentSignature(target);
    const saved = ck.modelJson.nnmodel.signature;
    const fit = current && Array.isArray(saved) ? checkpointFit(saved, current) : undefined;
    const misfit = fit && checkpointMisfit(fit);
    // Only layers of the model start afresh; a checkpoint's layer the model no longer has is just left out.
    const then = fit && fit.loaded < fit.total ? 'the layers that do not fit start from fresh weights' : `${fit?.problems.length === 1 ? 'its weights are' : 'their weights are'} left out (every layer of the model loads)`;
    const warn = misfit ? { detail: `$(warning) ${misfit}; continuing, ${then}` } : {};
    const items = [
      next.finishes
        ? {
            label: `Continue from epoch ${epoch}`,
            description: `${epochRange(epoch + 1, next.to)} of ${next.to}, ${next.finishes === 'run' ? 'to finish the run it stopped in' : "to finish the train section's epochs"}`,
            ...warn,
            resume: true,
          }
        : { label: `Train ${plural(next.epochs, 'more epoch')}`, description: `${epochRange(epoch + 1, next.to)}, from the checkpoint of epoch ${epoch} (the train section's epochs are done)`, ...warn, resume: true },
      { label: 'Start over', description: `fresh weights; the checkpoint of epoch ${epoch} is replaced after the first epoch`, resume: false },
    ];
    const picked = await vscode.window.showQuickPick(items, { placeHolder: `${target.train.model} has a checkpoint of epoch ${epoch}` }, holder.asking.token);
    if (!picked || cancelled(holder)) return undefined;
    return picked.resume ? { resume: resumePayload(ck), epochs: next.epochs } : {};
  }

  /**
   * The last checkpoint in `dir` is damaged (`damage`): it cannot be
   * continued, and a run would replace it after its first epoch (and its
   * best too: a new run's best is not compared with an older run's). Says
   * what is damaged and asks, in a modal dialog: continue from the best
   * checkpoint when it is intact and of this model (its weights and history;
   * the optimizer starts afresh, the best keeps no state), start over, or
   * Cancel (undefined: nothing is touched). Before either run starts, the
   * damaged files are moved into a subfolder (`setCheckpointsAside`), and
   * for Start Over the best with them (intact or not), so nothing trained is replaced.
   * A `holder` cancelled meanwhile touches nothing either.
   */
  async function askAfterDamage(target: Target, dir: string, damage: DamagedCheckpointError, holder: SlotHolder): Promise<{ resume?: ResumePayload; epochs?: number } | undefined> {
    const fs = nodeCheckpointFs();
    const model = target.train.model;
    const shownDir = vscode.workspace.asRelativePath(dir, false);
    output.appendLine(`the last checkpoint cannot be continued: ${damage.message}`);
    const best = await readCheckpoint(fs, dir, { which: 'best' }).then(
      (b) => (b.modelJson.nnmodel.model === model ? b : undefined),
      () => undefined,
    );
    // A best.json that cannot be continued either (damaged, or another model's): the new run would replace it too.
    const unusableBest = !best && (await fs.list(dir).catch(() => [] as string[])).includes(BEST_JSON);
    const lastEpoch = (await checkpointChoices(fs, dir).catch(() => [] as CheckpointChoice[])).find((c) => c.which === 'last')?.epoch;
    const what = damage.message.replace(/^.*\//, '').replace(/; the checkpoint is damaged\.$/, '').replace(/\.$/, '');
    const text = `${model}: the last checkpoint${lastEpoch !== undefined ? ` (epoch ${lastEpoch})` : ''} in ${shownDir} is damaged (${what}) and cannot be continued.`;
    const detail: string[] = [];
    let continueLabel: string | undefined;
    let next: ReturnType<typeof continuation> | undefined;
    if (best) {
      const meta = best.modelJson.nnmodel;
      next = continuation(meta.epoch, meta.history, target.train.config.epochs);
      continueLabel = `Continue from Best (Epoch ${meta.epoch})`;
      const current = currentSignature(target);
      const misfit = current && Array.isArray(meta.signature) ? checkpointMisfit(checkpointFit(meta.signature, current)) : undefined;
      const valLoss = epochValLoss(meta);
      detail.push(
        `The best checkpoint (epoch ${meta.epoch}${valLoss !== undefined ? `, val_loss ${lossFigure(valLoss)}` : ''}) is intact. ${continueLabel} trains ${epochRange(meta.epoch + 1, next.to)} from its weights, ` +
          `with a fresh optimizer (the best keeps no optimizer state)${misfit ? `; it ${misfit}` : ''}.`,
      );
      detail.push('Start Over trains from fresh weights; the best checkpoint is set aside with the damaged files, as the new run would replace it.');
    } else {
      detail.push(
        unusableBest
          ? 'Start Over trains from fresh weights; the best checkpoint beside it, which cannot be continued either, is set aside with the damaged files, as the new run would replace it.'
          : 'Start Over trains from fresh weights.',
      );
    }
    detail.push(`The damaged files are first moved into a set-aside folder in ${shownDir}: nothing is replaced. Cancel leaves everything as it is.`);
    const buttons = continueLabel ? [continueLabel, 'Start Over'] : ['Start Over'];
    // Cancelled while the checkpoints were read: no dialog (a modal one cannot be closed from here).
    if (cancelled(holder)) return undefined;
    const picked = await vscode.window.showWarningMessage(text, { modal: true, detail: detail.join('\n\n') }, ...buttons);
    if (picked === undefined || cancelled(holder)) return undefined;
    const resuming = picked === continueLabel && best !== undefined;
    try {
      // Start Over: the best too, whether intact or not (a run replaces or removes whatever best.json is there).
      const aside = await setCheckpointsAside(fs, dir, resuming ? ['last'] : ['last', 'best']);
      output.appendLine(`set aside in ${shownDir}/${aside.folder}: ${aside.files.join(', ')}`);
    } catch (e) {
      void reportFailure('Training', { message: `could not set the damaged checkpoint aside in ${shownDir} (${e instanceof Error ? e.message : String(e)}); nothing was trained.` }, target);
      return undefined;
    }
    if (!resuming || !best || !next) return {};
    const meta = best.modelJson.nnmodel;
    return { resume: resumePayload({ ...best, optimizerProblem: `the best checkpoint (epoch ${meta.epoch}) keeps no optimizer state` }), epochs: next.epochs };
  }

  /** A checkpoint read from disk as the page continues from it: with the optimizer's state, or why it is missing. */
  function resumePayload(ck: ReadCheckpoint): ResumePayload {
    if (ck.optimizerProblem) output.appendLine(`the optimizer's saved state is not used: ${ck.optimizerProblem}`);
    return {
      modelJson: JSON.stringify(ck.modelJson),
      weights: ck.weights,
      ...(ck.optimizer ? { optimizer: ck.optimizer } : {}),
      ...(ck.optimizerProblem ? { optimizerProblem: ck.optimizerProblem } : {}),
    };
  }

  /** A GAN discriminator's checkpoint to continue from, when there is one of it in `dDir`. */
  async function discriminatorResume(dDir: string, name: string): Promise<{ resume?: ResumePayload }> {
    try {
      const ck = await readCheckpoint(nodeCheckpointFs(), dDir, { optimizer: true });
      if (ck.modelJson.nnmodel.model !== name) return {};
      return { resume: resumePayload(ck) };
    } catch (e) {
      const m = e instanceof Error ? e.message : String(e);
      // None: the page says the discriminator starts afresh.
      if (!/no checkpoint here/.test(m)) output.appendLine(`the discriminator ${name} starts afresh: ${m}`);
      return {};
    }
  }

  /** Train Model, holding the slot (`holdingSlot`). */
  async function trainHolding(holder: SlotHolder, uriArg: unknown, modelArg: unknown): Promise<void> {
    const target = await pickTarget(uriArg, modelArg, 'train', undefined, holder.asking.token);
    if (!target || cancelled(holder)) return;
    holder.target = target;
    const { doc } = target;
    const model = target.train.model;
    const uri = doc.uri.toString();
    const info = cache.get(doc).models.find((m) => m.name === model && isLocal(m.uri, uri));
    const source = target.train.config.data;
    if (!info || !source) {
      void vscode.window.showWarningMessage(`${model}: the train section needs a model declared in this file and data:.`);
      return;
    }
    const folder = vscode.workspace.getConfiguration('nnmodel', doc).get<string>('checkpoints.folder') || undefined;
    const dir = checkpointDir(doc.uri.fsPath, model, folder);
    const shownDir = vscode.workspace.asRelativePath(dir, false);
    // A GAN (`loss: adversarial(D)`): the discriminator trains beside the generator, its checkpoint in its own folder.
    const dName = target.train.config.adversarial?.discriminator;
    const dInfo = dName !== undefined ? cache.get(doc).models.find((m) => m.name === dName && isLocal(m.uri, uri)) : undefined;
    if (dName !== undefined && !dInfo) {
      void vscode.window.showWarningMessage(`${model}: the discriminator '${dName}' must be a model declared in this file.`);
      return;
    }
    // Never the generator's folder, whatever the setting: the CLI's rule (runtime/checkpoint.ts).
    const dDir = dInfo ? discriminatorCheckpointDir(doc.uri.fsPath, model, dInfo.name, folder) : undefined;
    // One training per folder (`nnmodel train` writes the same one): refused before anything is asked or read.
    const locks = await lockTrainingFolders(dDir ? [dDir, dir] : [dir], target);
    if (!locks) return;
    try {
      await trainLocked(holder, target, info, source, dir, shownDir, dInfo, dDir);
    } finally {
      for (const l of locks) await l.release();
    }
  }

  /**
   * The locks of the folders a run writes (core/runtime/checkpointLock.ts), each folder tidied of what a run
   * stopped mid-write left (`tidyCheckpointFolder`, said in the output); undefined, with the error shown,
   * when another training holds one (or it cannot be made: the folder cannot be written).
   */
  async function lockTrainingFolders(dirs: string[], target: Target): Promise<CheckpointLock[] | undefined> {
    const locks: CheckpointLock[] = [];
    for (const d of dirs) {
      try {
        const lock = await acquireCheckpointLock(d, { command: 'VS Code (nnmodel: Train Model)', elsewhere: 'set nnmodel.checkpoints.folder to another folder' });
        if (lock.tookOver) output.appendLine(lock.tookOver);
        locks.push(lock);
        // The folder is this run's now: what a run stopped mid-write left goes before anything reads it.
        const tidied = tidiedText(vscode.workspace.asRelativePath(d, false), await tidyCheckpointFolder(nodeCheckpointFs(), d));
        if (tidied) output.appendLine(tidied);
      } catch (e) {
        for (const l of locks) await l.release();
        const message = e instanceof CheckpointLockedError ? e.message : `cannot write checkpoints in ${vscode.workspace.asRelativePath(d, false)} (${e instanceof Error ? e.message : String(e)}); nothing was trained. Set nnmodel.checkpoints.folder to a folder that can be written.`;
        void reportFailure('Training', { message }, target);
        return undefined;
      }
    }
    return locks;
  }

  /** `train` once its folders are locked. */
  async function trainLocked(
    holder: SlotHolder,
    target: Target,
    info: ModelInfo,
    source: NonNullable<TrainInfo['config']['data']>,
    dir: string,
    shownDir: string,
    dInfo: ModelInfo | undefined,
    dDir: string | undefined,
  ): Promise<void> {
    const { doc } = target;
    const model = target.train.model;
    const uri = doc.uri.toString();
    const resume = await askResume(target, dir, holder);
    if (!resume || cancelled(holder)) return;
    const discriminator = dInfo ? { model: serializeModel(dInfo), ...(resume.resume && dDir ? await discriminatorResume(dDir, dInfo.name) : {}) } : undefined;
    if (cancelled(holder)) return;
    const { data: _data, ...sectionConfig } = target.train.config;
    const config = { ...sectionConfig, epochs: resume.epochs ?? sectionConfig.epochs };
    const version = doc.version;
    // The previous run's end ("stopped; the checkpoint … is kept") is over once this run starts.
    endNotice.close();
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Training ${model}`, cancellable: true }, async (progress, token) => {
      const tracker = new TrainingProgress(model, config.batch, shownDir, config.mixup);
      let stopRequested = false;
      let stopNow: (() => void) | undefined;
      const requestStop = () => {
        if (stopRequested) return;
        stopRequested = true;
        output.appendLine('cancel requested: stopping after the current batch…');
        progress.report({ message: 'stopping after the current batch…' });
        stopNow?.();
      };
      started(holder, requestStop);
      const cancelSub = token.onCancellationRequested(requestStop);
      try {
        output.appendLine(tracker.startLine(isBuiltinSource(source) ? source.kind : `"${source.path}"`, new Date().toLocaleTimeString()));
        if (dInfo && dDir) output.appendLine(`a GAN: the discriminator ${dInfo.name} trains against it, its checkpoint in ${vscode.workspace.asRelativePath(dDir, false)}`);
        // The user's files are read and decoded here; built-in sets are generated by the page from their seeded spec.
        let data: Dataset | undefined;
        if (!isBuiltinSource(source)) {
          progress.report({ message: `reading ${source.path}…` });
          try {
            // Continuing: a CSV is standardised with the checkpoint's statistics, as the model was trained.
            // (readCheckpoint, in askResume, refused malformed statistics.)
            const savedData = resume.resume ? (JSON.parse(resume.resume.modelJson) as { nnmodel?: { data?: { featureStats?: unknown; classes?: unknown } } }).nnmodel?.data : undefined;
            const featureStats = asFeatureStats(savedData?.featureStats);
            data = await loadDataset(source, {
              baseDir: path.dirname(doc.uri.fsPath),
              roots: workspaceRoots(),
              fs: nodeDataFs(),
              loss: config.loss,
              cancelled: () => stopRequested,
              // CSV statistics from the rows the page trains on: trainModel's split with the same fraction and seed.
              trainingRows: (n) => validationSplit(n, config.validation, TRAIN_SEED).train,
              featureStats,
            });
            // Class i is output i: classes (a text's tokens) renamed or reordered since the checkpoint would swap its labels.
            const classes = checkpointDataProblem(savedData, data, config.loss, `'${model}'`, 'start from fresh weights instead of continuing');
            if (classes) throw new DataError(classes, source.path);
          } catch (e) {
            // Not awaited: the error stays up until the user dismisses it, and this run must end now (progress closed, slot free).
            void reportFailure('Training', { message: e instanceof Error ? e.message : String(e), ...(e instanceof DataError ? { file: e.file, line: e.line, column: e.column } : {}) }, target);
            return;
          }
          output.appendLine(`read ${data.source}: ${plural(data.count, 'example')} of shape [${data.exampleShape.join(', ')}]`);
          if (data.standardisation) output.appendLine(data.standardisation);
          const split = windowsSplitNote(data, config.validation);
          if (split) output.appendLine(split);
          // Trains, but some outputs never get a label: said in the log, the progress and a notification.
          const unlabelled = unlabelledOutputsWarning(info, data, target.train.config);
          if (unlabelled) {
            output.appendLine(`warning: ${unlabelled}`);
            progress.report({ message: unlabelled });
            void vscode.window.showWarningMessage(`Training ${model}: ${unlabelled}`);
          }
        }
        if (stopRequested) {
          output.appendLine('stopped before training started; nothing was written.');
          return;
        }
        // A folder that cannot hold checkpoints is said now, not after the first epoch (whose checkpoint would fail).
        for (const folderDir of dDir ? [dDir, dir] : [dir]) {
          const problem = await checkpointFolderProblem(nodeCheckpointFs(), folderDir);
          if (problem) {
            const shown = vscode.workspace.asRelativePath(folderDir, false);
            void reportFailure('Training', { message: `cannot write checkpoints in ${shown} (${problem}); nothing was trained. Set nnmodel.checkpoints.folder to a folder that can be written.` }, target);
            return;
          }
        }
        progress.report({ message: 'starting in the inspector…' });
        let bridge: TrainingBridge;
        try {
          bridge = await inspectorForTraining(doc, model);
        } catch (e) {
          void reportFailure('Training', { message: `the inspector could not start the run: ${e instanceof Error ? e.message : String(e)}` }, target);
          return;
        }
        const run = ++runs;
        const fs = nodeCheckpointFs();
        // Every epoch of the model's training, a continued checkpoint's included: the overfitting verdict reads them all.
        const epochs: EpochFigures[] = resume.resume ? resumedHistory(resume.resume.modelJson) : [];
        let verdictSaid = false;
        /** Checkpoint writes in order; the summary waits for the last. */
        let writes = Promise.resolve();
        /**
         * `to`: the run's folder, or with `discriminator` a GAN discriminator's (whose weights the inspector
         * does not show). The caller decides by the message's model name: folders are no test of which model it is.
         */
        const saveCheckpoint = (m: CheckpointMessage, to = dir, discriminator = false) => {
          writes = writes.then(async () => {
            try {
              const ck = checkUploadedCheckpoint(m);
              await writeCheckpoint(fs, to, ck);
              if (discriminator) {
                bridge.post({ type: 'checkpointSaved', uri, run, epoch: m.epoch, dir: to });
                return;
              }
              tracker.checkpointWritten(m.epoch);
              // The best beside the last (lowest val_loss); a failure keeps the previous best and is only said.
              try {
                const best = await writeBestCheckpoint(fs, to, ck);
                // Written but above an earlier epoch whose best write failed: not called the lowest.
                if (best.kind === 'written') {
                  tracker.bestWritten(m.epoch, best.since);
                  if (best.note) output.appendLine(best.note);
                  output.appendLine(best.warning ? `best checkpoint, in ${shownDir}: ${best.warning}` : `best checkpoint: ${bestText(best)}, in ${shownDir}/${checkpointJson('best')}`);
                }
              } catch (e) {
                output.appendLine(`the best checkpoint of epoch ${m.epoch} was not written (the previous one stays): ${e instanceof Error ? e.message : String(e)}`);
              }
              const weights: WeightsMessage = { type: 'weights', uri, model, epoch: m.epoch, modelJson: m.modelJson, weights: m.weights, from: shownDir };
              // The page has these weights already; an inspector opened later gets them from here, and says which folder they are in.
              publishWeights(weights, { post: false });
              bridge.post({ type: 'checkpointSaved', uri, run, epoch: m.epoch, dir });
            } catch (e) {
              const error = e instanceof Error ? e.message : String(e);
              output.appendLine(`checkpoint of epoch ${m.epoch} not written: ${error}`);
              bridge.post({ type: 'checkpointSaved', uri, run, epoch: m.epoch, error });
            }
          });
        };
        const end = await new Promise<RunEnd>((resolve) => {
          const subs = [
            bridge.onMessage((m) => {
              if (m.run !== run || m.uri !== uri) return;
              if (m.type === 'checkpoint') {
                if (m.model === model) saveCheckpoint(m);
                else if (dInfo && dDir && m.model === dInfo.name) saveCheckpoint(m, dDir, true);
                return;
              }
              const update = tracker.apply(m.event);
              for (const line of update.lines) output.appendLine(line);
              if (m.event.kind === 'epoch' && m.model === model) {
                epochs.push({ epoch: m.event.epoch, loss: m.event.loss, valLoss: m.event.valLoss });
                const verdict = overfitVerdict(epochs);
                // Said once, when it first shows; the Training tab shows it under the charts as long as it holds.
                if (verdict && !verdictSaid) output.appendLine(verdict.text);
                verdictSaid ||= !!verdict;
              }
              if (update.report && !stopRequested) progress.report(update.report);
              if (m.event.kind === 'done') finish({ kind: 'done', status: m.event.status, message: m.event.message });
            }),
            bridge.onDidEnd((reason) => finish({ kind: 'lost', reason })),
          ];
          let timer: NodeJS.Timeout | undefined;
          function finish(e: RunEnd): void {
            for (const s of subs) s.dispose();
            if (timer) clearTimeout(timer);
            resolve(e);
          }
          stopNow = () => {
            bridge.post({ type: 'stopTraining', uri, run });
            timer = setTimeout(() => finish({ kind: 'unresponsive' }), STOP_GRACE_MS);
          };
          const msg: TrainStartMessage = {
            type: 'train',
            uri,
            version,
            run,
            model: serializeModel(info),
            config,
            seed: TRAIN_SEED,
            data: dataPayload(source, data),
            ...(resume.resume ? { resume: resume.resume } : {}),
            ...(discriminator ? { discriminator } : {}),
          };
          bridge.post(msg);
          if (stopRequested) stopNow();
        });
        await writes;
        const summary = tracker.summary(end);
        output.appendLine(summary.line);
        // As `nnmodel train` ends: the best epoch, and the overfitting verdict when it still holds.
        for (const line of tracker.endLines(epochs, `${shownDir}/${checkpointJson('best')}`)) output.appendLine(line);
        if (summary.severity === 'error') {
          void vscode.window.showErrorMessage(summary.text, 'Show Output').then((choice) => choice === 'Show Output' && output.show(true));
        } else endNotice.notify(summary.text);
      } catch (e) {
        // Whatever else goes wrong ends the run too, said once.
        void reportFailure('Training', { message: e instanceof Error ? e.message : String(e) }, target);
      } finally {
        // The slot is freed by `train`, once the folders' locks are.
        cancelSub.dispose();
      }
    });
  }

  /**
   * Which checkpoint of the model's folder to use: asked only when there is
   * a best beside the last (else the last, as before), each marked as Load
   * Weights marks it when it no longer fits the model. Undefined when the
   * user dismissed the question, or when the checkpoint picked no longer
   * fits the model: that is said (`action`: "Evaluating", as a failure of
   * the job is said), as `nnmodel evaluate|generate` refuse it, before
   * anything runs. `first`: the choice listed (and so selected) first; the
   * last by default. `token` closes the pick (undefined: cancelled).
   */
  async function pickCheckpoint(target: Target, what: string, action: string, first: CheckpointKind = 'last', token?: vscode.CancellationToken): Promise<CheckpointKind | undefined> {
    const cfg = vscode.workspace.getConfiguration('nnmodel', target.doc);
    const dir = checkpointDir(target.doc.uri.fsPath, target.train.model, cfg.get<string>('checkpoints.folder') || undefined);
    const choices = await checkpointChoices(nodeCheckpointFs(), dir, target.train.model, currentSignature(target));
    if (choices.length === 0 && !isFile(path.join(dir, checkpointJson('last')))) {
      // Nothing trained yet: say so, with the command that makes a checkpoint (a damaged one is the job's to explain).
      const text = `${action} ${target.train.model}: there is no checkpoint in ${vscode.workspace.asRelativePath(dir)} yet; train ${target.train.model} first.`;
      output.appendLine(text);
      void vscode.window.showInformationMessage(text, 'Train Model').then((pick) => {
        if (pick === 'Train Model') void vscode.commands.executeCommand('nnmodel.train', target.doc.uri, target.train.model);
      });
      return undefined;
    }
    let choice = choices.find((c) => c.which === 'last');
    if (choices.some((c) => c.which === 'best')) {
      const ordered = [...choices.filter((c) => c.which === first), ...choices.filter((c) => c.which !== first)];
      const picked = await vscode.window.showQuickPick(ordered.map(choiceItem), { placeHolder: `${target.train.model}: which checkpoint to ${what}?` }, token);
      if (!picked) return undefined;
      choice = choices.find((c) => c.which === picked.which);
    }
    if (choice?.fit && choice.misfit) {
      const text = `${action} ${target.train.model}: ${misfitRefusal(target.train.model, choice.which, choice.epoch, choice.fit)}`;
      output.appendLine(text);
      void vscode.window.showErrorMessage(text);
      return undefined;
    }
    // No checkpoint (or none readable): the job says so.
    return choice?.which ?? 'last';
  }

  /** Evaluate Model, holding the slot (`holdingSlot`). */
  async function evaluateHolding(holder: SlotHolder, uriArg: unknown, modelArg: unknown): Promise<void> {
    const target = await pickTarget(uriArg, modelArg, 'evaluate', undefined, holder.asking.token);
    if (!target || cancelled(holder)) return;
    holder.target = target;
    const which = await pickCheckpoint(target, 'evaluate', 'Evaluating', 'last', holder.asking.token);
    if (!which || cancelled(holder)) return;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Evaluating ${target.train.model}`, cancellable: true }, async (_p, token) => {
      let summary = '';
      const job = start(holder, { type: 'run', command: 'evaluate', request: request(target, which === 'best' ? { checkpoint: 'best' } : {}) }, (m) => {
        if (m.type !== 'evaluation') return;
        const line = (f: { loss: number; metrics: Record<string, number> }) =>
          [`loss ${f.loss.toFixed(4)}`, ...Object.entries(f.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`)].join(' · ');
        for (const p of m.problems) output.appendLine(`warning: ${p}`);
        const masked = m.masked !== undefined ? `, ${maskedEvaluationNote(m.masked)}` : '';
        output.appendLine(`evaluate ${m.model} (${which === 'best' ? 'best checkpoint, ' : ''}epoch ${m.epoch}${masked}): ${m.validation ? `validation ${line(m.validation)}; ` : ''}all data ${line(m.all)}`);
        summary = `${m.validation ? `validation ${line(m.validation)}` : `all data ${line(m.all)}`}${m.masked !== undefined ? ` (over the masked tokens)` : ''}`;
      });
      const sub = token.onCancellationRequested(() => job.stop(2000));
      const result = await job.done;
      sub.dispose();
      if (result.status === 'failed') void reportFailure('Evaluating', result.error, target);
      else if (summary) void vscode.window.showInformationMessage(`${target.train.model}: ${summary}`);
    });
  }

  function isFile(p: string): boolean {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  }

  /** `dir` when it is a folder, else its nearest ancestor that is. */
  async function nearestFolder(dir: string): Promise<string> {
    for (let d = dir; ; d = path.dirname(d)) {
      if (await stat(d).then((s) => s.isDirectory(), () => false)) return d;
      if (path.dirname(d) === d) return dir;
    }
  }

  async function loadWeights(uriArg?: unknown, modelArg?: unknown): Promise<void> {
    const target = await pickTarget(uriArg, modelArg, 'load weights into');
    if (!target) return;
    const cfg = vscode.workspace.getConfiguration('nnmodel', target.doc);
    const defaultDir = checkpointDir(target.doc.uri.fsPath, target.train.model, cfg.get<string>('checkpoints.folder') || undefined);
    // The model as analysed now, for what of a checkpoint still fits it (the page's build gives the same signature).
    const current = currentSignature(target);
    // The model's own checkpoints first (last, and best when training kept one), then any checkpoint file.
    const choices = await checkpointChoices(nodeCheckpointFs(), defaultDir, target.train.model, current);
    let file: vscode.Uri | undefined;
    if (choices.length > 0) {
      const other = { label: 'Other checkpoint…', description: 'choose a model.json or best.json file', which: undefined };
      const picked = await vscode.window.showQuickPick([...choices.map(choiceItem), other], { placeHolder: `Weights to load into ${target.train.model}` });
      if (!picked) return;
      if (picked.which) file = vscode.Uri.file(`${defaultDir}/${checkpointJson(picked.which)}`);
    }
    if (!file) {
      // No checkpoint of this model: the dialog says so, and opens on the nearest folder that is there
      // (the model's checkpoint folder is not: the dialog would show an empty list).
      const none = choices.length === 0;
      const picked = await vscode.window.showOpenDialog({
        canSelectFiles: true,
        canSelectFolders: false,
        canSelectMany: false,
        defaultUri: vscode.Uri.file(none ? await nearestFolder(defaultDir) : defaultDir),
        filters: { 'TensorFlow.js checkpoint': ['json'] },
        openLabel: 'Load Weights',
        ...(none ? { title: `${target.train.model} has no checkpoint in ${vscode.workspace.asRelativePath(defaultDir, false)} (Train Model writes one): choose a model.json or best.json` } : {}),
      });
      file = picked?.[0];
    }
    if (!file) return;
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (!folders.some((f) => isInside(file.fsPath, f.uri.fsPath))) {
      void vscode.window.showErrorMessage(`${file.fsPath} is outside the workspace; nnmodel only reads files inside the workspace folders.`);
      return;
    }
    const dir = path.dirname(file.fsPath);
    try {
      // The best checkpoint is named as its file: the folder alone would read as the last one.
      const isBest = basename(file) === checkpointJson('best');
      // Checked as every other reader checks a checkpoint: version, weights file inside its folder, checksum, standardisation.
      const ck = await readCheckpoint(nodeCheckpointFs(), dir, { which: isBest ? 'best' : 'last', file: basename(file) });
      const epoch = ck.modelJson.nnmodel.epoch;
      const from = vscode.workspace.asRelativePath(isBest ? file.fsPath : dir, false);
      publishWeights({ type: 'weights', uri: target.doc.uri.toString(), model: target.train.model, epoch, modelJson: JSON.stringify(ck.modelJson), weights: ck.weights, from });
      output.appendLine(`loaded ${file.fsPath} (epoch ${epoch}) into the inspector's ${target.train.model}.`);
      const saved = ck.modelJson.nnmodel.signature;
      const notice = loadWeightsNotice(target.train.model, isBest ? 'best' : 'last', epoch, current && Array.isArray(saved) ? checkpointFit(saved, current) : undefined);
      if (notice.severity === 'warning') {
        output.appendLine(`warning: ${notice.text}`);
        void vscode.window.showWarningMessage(notice.text);
      } else void vscode.window.showInformationMessage(notice.text);
      if (ck.warning) void vscode.window.showWarningMessage(ck.warning);
      void vscode.commands.executeCommand('nnmodel.openInspector', target.doc.uri, target.train.model);
    } catch (e) {
      void vscode.window.showErrorMessage(`Load Weights: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * The weights signature of the target's model from its analysis; undefined
   * when a weight's size is not a number before the build (the page then
   * says what loaded).
   */
  function currentSignature(target: Target): LayerSignature[] | undefined {
    const info = cache.get(target.doc).models.find((m) => m.name === target.train.model && isLocal(m.uri, target.doc.uri.toString()));
    return info && knownAnalysisSignature(info);
  }

  /** Generate Text, holding the slot (`holdingSlot`). */
  async function generateHolding(holder: SlotHolder, uriArg: unknown, modelArg: unknown): Promise<void> {
    const target = await pickTarget(uriArg, modelArg, 'generate text', cannotGenerate, holder.asking.token);
    if (!target || cancelled(holder)) return;
    holder.target = target;
    // As `nnmodel generate --checkpoint best|last`: asked when training kept a best beside the last, the best first.
    const which = await pickCheckpoint(target, 'generate text with', 'Generate Text with', 'best', holder.asking.token);
    if (!which || cancelled(holder)) return;
    const decoder = target.train.config.data?.kind === 'sequences';
    const prompt = await vscode.window.showInputBox(
      decoder
        ? { prompt: `Source token ids for ${target.train.model} to answer (empty: five drawn as its data draws them)`, value: '', placeHolder: 'e.g. 3 1 4 1 5 9 2 6' }
        : { prompt: `Text for ${target.train.model} to continue`, value: '', placeHolder: 'e.g. Little lamp' },
      holder.asking.token,
    );
    if (prompt === undefined || cancelled(holder)) return;
    const cfg = vscode.workspace.getConfiguration('nnmodel', target.doc);
    const g: GenerateRequest = {
      prompt,
      maxTokens: cfg.get<number>('generate.maxTokens', 200),
      temperature: cfg.get<number>('generate.temperature', 0.8),
      topK: cfg.get<number>('generate.topK', 20),
      seed: Date.now() % 1_000_000,
    };
    output.show(true);
    output.appendLine(
      decoder
        ? `— decode with ${target.train.model}${which === 'best' ? ' (best checkpoint)' : ''}:`
        : `— generate with ${target.train.model} (${which === 'best' ? 'best checkpoint, ' : ''}temperature ${g.temperature}, top-k ${g.topK}):`,
    );
    // The prompt starts the text, written when the first piece comes: a warning about it goes on its own line before.
    // A decoder's answers show their sources themselves.
    let promptShown = decoder;
    const showPrompt = () => {
      if (!promptShown) output.append(prompt);
      promptShown = true;
    };
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Generating with ${target.train.model}`, cancellable: true }, async (_p, token) => {
      const job = start(holder, { type: 'run', command: 'generate', request: request(target, which === 'best' ? { checkpoint: 'best' } : {}), generate: g }, (m) => {
        if (m.type === 'warning') {
          output.appendLine(`warning: ${m.message}`);
          void vscode.window.showWarningMessage(`Generate Text with ${target.train.model}: ${m.message}`);
        }
        if (m.type === 'text') {
          showPrompt();
          output.append(m.piece);
        }
      });
      const sub = token.onCancellationRequested(() => job.stop(5000));
      const result = await job.done;
      sub.dispose();
      showPrompt();
      output.appendLine('');
      if (result.status === 'failed') void reportFailure('Generate Text with', result.error, target);
    });
  }

  const disposable = vscode.Disposable.from(
    output,
    vscode.commands.registerCommand('nnmodel.train', holdingSlot('train', trainHolding)),
    vscode.commands.registerCommand('nnmodel.stopTraining', () => {
      if (!current) void vscode.window.showInformationMessage('No training is running.');
      else stopHolder(current);
    }),
    vscode.commands.registerCommand('nnmodel.evaluate', holdingSlot('evaluate', evaluateHolding)),
    vscode.commands.registerCommand('nnmodel.loadWeights', loadWeights),
    vscode.commands.registerCommand('nnmodel.generateText', holdingSlot('generate', generateHolding)),
    { dispose: () => (current && stopHolder(current, 0), endNotice.close()) },
  );
  return {
    get busy() {
      return current !== undefined;
    },
    dispose: () => disposable.dispose(),
  };
}

/** The per-epoch figures of a continued checkpoint (its model.json as sent to the page); [] when it has none. */
function resumedHistory(modelJson: string): EpochFigures[] {
  try {
    const history = (JSON.parse(modelJson) as { nnmodel?: { history?: unknown } }).nnmodel?.history;
    return Array.isArray(history) ? history.filter((h): h is EpochFigures => typeof h === 'object' && h !== null && typeof (h as EpochFigures).epoch === 'number') : [];
  } catch {
    return [];
  }
}

/** A checkpoint choice as a quick pick item: "best (epoch 6, val_loss 0.412)" with what it is. */
function choiceItem(c: CheckpointChoice): vscode.QuickPickItem & { which: CheckpointKind } {
  const what = c.which === 'best' ? 'the epoch with the lowest val_loss' : 'the last epoch trained; Train Model continues from it';
  // A checkpoint that no longer fits the model is said on a line of its own: the description is cut at the picker's width.
  return { label: c.label, description: c.warning ? `${what} — ${c.warning}` : what, ...(c.misfit ? { detail: `$(warning) ${c.misfit}` } : {}), which: c.which };
}

function localTrains(analysis: Analysis, uri: string): TrainInfo[] {
  const local = new Set(analysis.models.filter((m) => isLocal(m.uri, uri)).map((m) => m.name));
  return analysis.trains.filter((t) => local.has(t.model));
}

function dataText(t: TrainInfo): string {
  const d = t.config.data;
  if (!d) return 'no data';
  return 'path' in d ? `${d.kind}("${d.path}")` : d.kind;
}

/** Folders data may be read from: the workspace folders on disk. */
function workspaceRoots(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

/**
 * Why a train section's model cannot generate text, or undefined when it can: a language model takes token ids,
 * gives a distribution over the vocabulary at every position ([seq, vocab]) and is trained on data: text(...) by next-token prediction (no `mask:`),
 * whose tokeniser its checkpoint keeps.
 */
export function cannotGenerate(t: TrainInfo, model: ModelInfo | undefined): string | undefined {
  const kind = t.config.data?.kind;
  // An encoder-decoder on sequences writes its answers by greedy decoding (`nnmodel generate` does the same).
  if (kind === 'sequences' && model?.inputs.length === 2) return undefined;
  if (kind !== 'text') return `it is trained on ${kind ? `${kind}(...)` : 'no data'}, and Generate Text needs data: text(...), or sequences(...) for an encoder-decoder`;
  // As `nnmodel generate` refuses its checkpoint (cli/trainJob.ts), but before a checkpoint and a prompt are asked for.
  if (t.config.mask !== undefined) {
    return `it is trained by masked language modelling (mask: ${t.config.mask}): it gives back hidden tokens from the text on both sides of them and was never trained to predict the next token; Evaluate Model measures it on masked tokens`;
  }
  if (!model) return 'its model is not declared in this file';
  if (model.inputs.length !== 1 || model.inputs[0].shape.isInt !== true) return 'it does not take token ids';
  const out = model.outputs[0]?.shape;
  if (!out || out.dims.length !== 2) return `its output is ${out ? shapeToString(out) : 'missing'}, not a distribution over the vocabulary at each position ([seq, vocab])`;
  return undefined;
}

/** The editor showing `doc`: the active one, else a visible one (the inspector may have the focus). */
function editorOf(doc: vscode.TextDocument): vscode.TextEditor | undefined {
  const uri = doc.uri.toString();
  const active = vscode.window.activeTextEditor;
  if (active?.document.uri.toString() === uri) return active;
  return vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri);
}

function basename(uri: vscode.Uri): string {
  return uri.path.slice(uri.path.lastIndexOf('/') + 1);
}
