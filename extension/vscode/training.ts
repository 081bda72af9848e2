/**
 * Training from the editor: Train Model, Stop Training, Evaluate, Load
 * Weights and Generate Text. The extension host never loads tfjs; each job
 * runs in a child Node process (`dist/cli.js train --ipc`, the same code as
 * `nnmodel train`) on the wasm backend with the project's training kernels,
 * and reports over the IPC channel. This side picks the model, shows a
 * progress notification with a working Cancel, writes a line per epoch to
 * the "nnmodel training" output channel, and publishes every event
 * (`onDidTrain`) for the inspector's Training tab; after each checkpoint it
 * publishes the weights (`onDidCheckpoint`) so the inspector shows trained
 * kernels. The process reads data only inside the workspace folders, and
 * nothing runs in an untrusted workspace.
 */
import * as vscode from 'vscode';
import { fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Analysis, TrainInfo } from '../core/analysis/types';
import type { GenerateRequest, HostToJob, JobRequest, JobToHost } from '../core/runtime/jobProtocol';
import type { TrainingEvent as ProtocolTrainingEvent, TrainingMessage, WeightsMessage } from '../core/protocol';
import { formatEpoch } from '../core/runtime/train';
import { checkpointDir, MODEL_JSON } from '../core/runtime/checkpoint';
import { isNnmodel, type AnalysisCache } from './analysisCache';
import { isLocal } from './pure/lookup';

/** An event of a training run, for the inspector. */
export interface TrainingEvent {
  uri: string;
  model: string;
  /** Increases with every run started in this session. */
  run: number;
  message: JobToHost;
}

/** A checkpoint just written (or loaded by the user), for the inspector to show. */
export interface CheckpointEvent {
  uri: string;
  model: string;
  epoch: number;
  modelJson: string;
  weights: Uint8Array;
}

const trainingMessages = new vscode.EventEmitter<TrainingMessage>();
const weightsMessages = new vscode.EventEmitter<WeightsMessage>();
const latestWeights = new Map<string, WeightsMessage>();

/** Progress of every training run, as the inspector's Training tab takes it. */
export const onTrainingMessage: vscode.Event<TrainingMessage> = trainingMessages.event;
/** Trained weights to show in the inspector: after each checkpoint, and from Load Weights. */
export const onWeightsMessage: vscode.Event<WeightsMessage> = weightsMessages.event;
/** The last weights published for each (document, model) in this session, for an inspector opened later. */
export function publishedWeights(): WeightsMessage[] {
  return [...latestWeights.values()];
}

/** A job message as a Training-tab event (undefined for those the tab does not draw). */
export function toTrainingEvent(m: JobToHost): ProtocolTrainingEvent | undefined {
  switch (m.type) {
    case 'start':
      return { kind: 'start', epochs: m.epochs, examples: m.examples, backend: m.backend, source: m.source };
    case 'batch':
      return { kind: 'batch', epoch: m.epoch, batch: m.batch, batches: m.batches, loss: m.loss };
    case 'epoch': {
      const l = m.logs;
      return { kind: 'epoch', epoch: l.epoch, loss: l.loss, metrics: l.metrics, valLoss: l.valLoss, valMetrics: l.valMetrics, ms: l.ms, examples: l.examples };
    }
    case 'done':
      return { kind: 'done', status: m.status };
    case 'error':
      return { kind: 'done', status: 'failed', message: m.message };
    default:
      return undefined;
  }
}

export interface TrainingApi extends vscode.Disposable {
  readonly onDidTrain: vscode.Event<TrainingEvent>;
  readonly onDidCheckpoint: vscode.Event<CheckpointEvent>;
  /** Whether a job is running. */
  readonly busy: boolean;
}

const UNTRUSTED = 'nnmodel does not train, read data or write checkpoints in an untrusted workspace. Trust the workspace to train.';

interface Target {
  doc: vscode.TextDocument;
  train: TrainInfo;
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
  const trained = new vscode.EventEmitter<TrainingEvent>();
  const checkpointed = new vscode.EventEmitter<CheckpointEvent>();
  const cliPath = context.asAbsolutePath('dist/cli.js');
  let current: Job | undefined;
  let runs = 0;

  const publish = (e: CheckpointEvent) => {
    checkpointed.fire(e);
    const msg: WeightsMessage = { type: 'weights', ...e };
    latestWeights.set(`${e.uri}#${e.model}`, msg);
    weightsMessages.fire(msg);
  };
  const setBusy = (busy: boolean) => void vscode.commands.executeCommand('setContext', 'nnmodel.training', busy);

  function request(target: Target, extra: Partial<JobRequest> = {}): JobRequest {
    const cfg = vscode.workspace.getConfiguration('nnmodel', target.doc);
    const backend = cfg.get<string>('backend', 'auto') === 'cpu' ? 'cpu' : 'wasm';
    return {
      file: target.doc.uri.fsPath,
      text: target.doc.getText(),
      model: target.train.model,
      roots: (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
      checkpointFolder: cfg.get<string>('checkpoints.folder') || undefined,
      backend,
      ...extra,
    };
  }

  /** The model and train section: from the CodeLens arguments, else the active editor (asking when there are several). */
  async function pickTarget(uriArg: unknown, modelArg: unknown, what: string): Promise<Target | undefined> {
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
    const trains = localTrains(analysis, doc.uri.toString());
    if (trains.length === 0) {
      void vscode.window.showWarningMessage(`${basename(doc.uri)} has no train section. Add one, e.g. \`train ${analysis.models[0]?.name ?? 'MyModel'} { data: digits() }\`.`);
      return undefined;
    }
    let train = typeof modelArg === 'string' ? trains.find((t) => t.model === modelArg) : undefined;
    if (!train && trains.length === 1) train = trains[0];
    if (!train) {
      const editor = vscode.window.activeTextEditor;
      const offset = editor?.document === doc ? doc.offsetAt(editor.selection.active) : -1;
      const model = analysis.models.find((m) => m.range.start.offset <= offset && offset <= m.range.end.offset);
      const items = trains.map((t) => ({ label: t.model, description: dataText(t), train: t, picked: t.model === model?.name }));
      const picked = await vscode.window.showQuickPick(items, { placeHolder: `Model to ${what}` });
      if (!picked) return undefined;
      train = picked.train;
    }
    const errors = analysis.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) {
      const e = errors[0];
      void vscode.window.showErrorMessage(`${basename(doc.uri)}:${e.range.start.line + 1}: ${e.message} Fix the problems before you ${what}.`);
      return undefined;
    }
    return { doc, train };
  }

  function start(target: Target, run: HostToJob, onMessage: (m: JobToHost) => void): Job | undefined {
    if (current) {
      void vscode.window.showWarningMessage('A training job is already running; stop it first (nnmodel: Stop Training).');
      return undefined;
    }
    const id = ++runs;
    const uri = target.doc.uri.toString();
    const job = new Job(
      cliPath,
      run,
      (m) => {
        trained.fire({ uri, model: target.train.model, run: id, message: m });
        const event = run.type === 'run' && run.command === 'train' ? toTrainingEvent(m) : undefined;
        if (event) trainingMessages.fire({ type: 'training', uri, model: target.train.model, run: id, event });
        onMessage(m);
      },
      (line) => line && output.appendLine(line),
    );
    current = job;
    setBusy(true);
    void job.done.then(() => {
      if (current === job) current = undefined;
      setBusy(false);
    });
    return job;
  }

  async function publishCheckpoint(target: Target, dir: string, epoch: number): Promise<void> {
    try {
      const modelJson = await readFile(`${dir}/${MODEL_JSON}`, 'utf8');
      const name = (JSON.parse(modelJson) as { weightsManifest: { paths: string[] }[] }).weightsManifest[0].paths[0];
      const weights = new Uint8Array(await readFile(`${dir}/${name}`));
      publish({ uri: target.doc.uri.toString(), model: target.train.model, epoch, modelJson, weights });
    } catch (e) {
      output.appendLine(`could not read the checkpoint in ${dir}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async function reportFailure(what: string, error: { message: string; file?: string } | undefined, target: Target): Promise<void> {
    const message = error?.message ?? 'unknown error';
    output.appendLine(`${what} failed: ${message}`);
    const actions = error?.file ? ['Open File', 'Show Output'] : ['Show Output'];
    const choice = await vscode.window.showErrorMessage(`${what} ${target.train.model}: ${message}`, ...actions);
    if (choice === 'Show Output') output.show(true);
    if (choice === 'Open File' && error?.file) {
      const uri = vscode.Uri.joinPath(target.doc.uri, '..', error.file);
      await vscode.commands.executeCommand('vscode.open', uri);
    }
  }

  async function train(uriArg?: unknown, modelArg?: unknown): Promise<void> {
    const target = await pickTarget(uriArg, modelArg, 'train');
    if (!target) return;
    const model = target.train.model;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Training ${model}`, cancellable: true },
      async (progress, token) => {
        let total = 1;
        let firstEpoch: number | undefined;
        let reported = 0;
        let lastEpoch = '';
        let checkpoints = 0;
        const job = start(target, { type: 'run', command: 'train', request: request(target) }, (m) => {
          switch (m.type) {
            case 'start':
              output.appendLine(
                `— ${new Date().toLocaleTimeString()} training ${m.model} on ${m.source} (${m.examples} examples), ${m.epochs} epochs of batch ${m.batch}, backend ${m.backend}; checkpoints in ${m.checkpointDir}`,
              );
              total = m.epochs;
              progress.report({ message: `loading done, epoch 1 of ${m.epochs}` });
              break;
            case 'batch': {
              firstEpoch ??= m.epoch;
              const pct = Math.min(100, ((m.epoch - firstEpoch + m.batch / m.batches) / total) * 100);
              progress.report({ increment: pct - reported, message: `epoch ${m.epoch}, batch ${m.batch}/${m.batches} · loss ${m.loss.toFixed(4)}${lastEpoch}` });
              reported = pct;
              break;
            }
            case 'epoch':
              output.appendLine(formatEpoch(m.logs));
              lastEpoch = m.logs.valMetrics?.accuracy !== undefined ? ` · val_accuracy ${m.logs.valMetrics.accuracy.toFixed(3)}` : '';
              break;
            case 'checkpoint':
              checkpoints++;
              void publishCheckpoint(target, m.dir, m.epoch);
              break;
            case 'warning':
              output.appendLine(`warning: ${m.message}`);
              break;
            default:
              break;
          }
        });
        if (!job) return;
        const sub = token.onCancellationRequested(() => {
          output.appendLine('cancel requested: stopping after the current batch…');
          progress.report({ message: 'stopping after the current batch…' });
          job.stop();
        });
        const result = await job.done;
        sub.dispose();
        if (result.status === 'completed') {
          output.appendLine(`done: ${model} trained.`);
          void vscode.window.showInformationMessage(`Trained ${model}.${lastEpoch ? ` Last epoch:${lastEpoch.replace(' ·', '')}.` : ''}`);
        } else if (result.status === 'cancelled') {
          const kept = checkpoints ? 'the checkpoint of the last complete epoch is kept' : 'no epoch completed, so no checkpoint was written (an earlier one is untouched)';
          output.appendLine(`stopped: ${kept}.`);
          void vscode.window.showInformationMessage(`Training of ${model} stopped; ${kept}.`);
        } else await reportFailure('Training', result.error, target);
      },
    );
  }

  async function evaluate(uriArg?: unknown, modelArg?: unknown): Promise<void> {
    const target = await pickTarget(uriArg, modelArg, 'evaluate');
    if (!target) return;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Evaluating ${target.train.model}`, cancellable: true }, async (_p, token) => {
      let summary = '';
      const job = start(target, { type: 'run', command: 'evaluate', request: request(target) }, (m) => {
        if (m.type !== 'evaluation') return;
        const line = (f: { loss: number; metrics: Record<string, number> }) =>
          [`loss ${f.loss.toFixed(4)}`, ...Object.entries(f.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`)].join(' · ');
        for (const p of m.problems) output.appendLine(`warning: ${p}`);
        output.appendLine(`evaluate ${m.model} (epoch ${m.epoch}): ${m.validation ? `validation ${line(m.validation)}; ` : ''}all data ${line(m.all)}`);
        summary = m.validation ? `validation ${line(m.validation)}` : `all data ${line(m.all)}`;
      });
      if (!job) return;
      const sub = token.onCancellationRequested(() => job.stop(2000));
      const result = await job.done;
      sub.dispose();
      if (result.status === 'failed') await reportFailure('Evaluating', result.error, target);
      else if (summary) void vscode.window.showInformationMessage(`${target.train.model}: ${summary}`);
    });
  }

  async function loadWeights(uriArg?: unknown, modelArg?: unknown): Promise<void> {
    const target = await pickTarget(uriArg, modelArg, 'load weights into');
    if (!target) return;
    const cfg = vscode.workspace.getConfiguration('nnmodel', target.doc);
    const defaultDir = checkpointDir(target.doc.uri.fsPath, target.train.model, cfg.get<string>('checkpoints.folder') || undefined);
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: true,
      canSelectFolders: false,
      canSelectMany: false,
      defaultUri: vscode.Uri.file(defaultDir),
      filters: { 'TensorFlow.js checkpoint': ['json'] },
      openLabel: 'Load Weights',
    });
    const file = picked?.[0];
    if (!file) return;
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (!folders.some((f) => file.fsPath === f.uri.fsPath || file.fsPath.startsWith(`${f.uri.fsPath}/`))) {
      void vscode.window.showErrorMessage(`${file.fsPath} is outside the workspace; nnmodel only reads files inside the workspace folders.`);
      return;
    }
    const dir = file.fsPath.slice(0, file.fsPath.lastIndexOf('/'));
    try {
      const modelJson = await readFile(file.fsPath, 'utf8');
      const json = JSON.parse(modelJson) as { weightsManifest?: { paths: string[] }[]; nnmodel?: { epoch: number; signature?: unknown } };
      const name = json.weightsManifest?.[0]?.paths?.[0];
      if (!name || !json.nnmodel?.signature) throw new Error(`${basename(file)} is not an nnmodel checkpoint (no weights manifest or graph signature).`);
      const weights = new Uint8Array(await readFile(`${dir}/${name}`));
      publish({ uri: target.doc.uri.toString(), model: target.train.model, epoch: json.nnmodel.epoch, modelJson, weights });
      output.appendLine(`loaded ${file.fsPath} (epoch ${json.nnmodel.epoch}) into the inspector's ${target.train.model}.`);
      void vscode.window.showInformationMessage(`Loaded the weights of epoch ${json.nnmodel.epoch} into ${target.train.model}; the inspector shows them.`);
      void vscode.commands.executeCommand('nnmodel.openInspector', target.doc.uri, target.train.model);
    } catch (e) {
      void vscode.window.showErrorMessage(`Load Weights: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async function generateText(uriArg?: unknown, modelArg?: unknown): Promise<void> {
    const target = await pickTarget(uriArg, modelArg, 'generate text with');
    if (!target) return;
    if (target.train.config.data?.kind !== 'text') {
      void vscode.window.showWarningMessage(`${target.train.model} is not trained on text (its data is ${target.train.config.data?.kind ?? 'missing'}); Generate Text needs data: text(...).`);
      return;
    }
    const prompt = await vscode.window.showInputBox({ prompt: `Text for ${target.train.model} to continue`, value: '', placeHolder: 'e.g. Little lamp' });
    if (prompt === undefined) return;
    const cfg = vscode.workspace.getConfiguration('nnmodel', target.doc);
    const g: GenerateRequest = {
      prompt,
      maxTokens: cfg.get<number>('generate.maxTokens', 200),
      temperature: cfg.get<number>('generate.temperature', 0.8),
      topK: cfg.get<number>('generate.topK', 20),
      seed: Date.now() % 1_000_000,
    };
    output.show(true);
    output.appendLine(`— generate with ${target.train.model} (temperature ${g.temperature}, top-k ${g.topK}):`);
    output.append(prompt);
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Generating with ${target.train.model}`, cancellable: true }, async (_p, token) => {
      const job = start(target, { type: 'run', command: 'generate', request: request(target), generate: g }, (m) => {
        if (m.type === 'text') output.append(m.piece);
      });
      if (!job) return;
      const sub = token.onCancellationRequested(() => job.stop(5000));
      const result = await job.done;
      sub.dispose();
      output.appendLine('');
      if (result.status === 'failed') await reportFailure('Generate Text with', result.error, target);
    });
  }

  const disposable = vscode.Disposable.from(
    output,
    trained,
    checkpointed,
    vscode.commands.registerCommand('nnmodel.train', train),
    vscode.commands.registerCommand('nnmodel.stopTraining', () => {
      if (!current) void vscode.window.showInformationMessage('No training is running.');
      else current.stop();
    }),
    vscode.commands.registerCommand('nnmodel.evaluate', evaluate),
    vscode.commands.registerCommand('nnmodel.loadWeights', loadWeights),
    vscode.commands.registerCommand('nnmodel.generateText', generateText),
    { dispose: () => current?.stop(0) },
  );
  return {
    onDidTrain: trained.event,
    onDidCheckpoint: checkpointed.event,
    get busy() {
      return current !== undefined;
    },
    dispose: () => disposable.dispose(),
  };
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

function basename(uri: vscode.Uri): string {
  return uri.path.slice(uri.path.lastIndexOf('/') + 1);
}
