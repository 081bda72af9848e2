/**
 * `nnmodel train FILE`, `nnmodel evaluate FILE` and `nnmodel generate FILE`:
 * training with per-epoch checkpoints, evaluation of the last checkpoint,
 * and text from a trained language model, in Node on the wasm backend
 * (with the project's training kernels). `--ipc` is how VS Code's
 * Evaluate and Generate Text commands run a job: requests and progress
 * travel over the Node IPC channel (see core/runtime/jobProtocol.ts).
 * Training from the editor runs in the inspector instead.
 */
import { maskedEvaluationNote } from '../core/analysis/trainMask';
import { join, resolve } from 'node:path';
import { BEST_JSON, CheckpointError, DamagedCheckpointError, damagedRemedy } from '../core/runtime/checkpoint';
import { DataError, OutsideDataError } from '../core/runtime/data/files';
import { parseHostToJob, type GenerateRequest, type HostToJob, type JobRequest, type JobToHost } from '../core/runtime/jobProtocol';
import { TrainError, formatEpoch, type CancelToken, type EpochLogs } from '../core/runtime/train';
import { bestEpoch, bestText, lossFigure, overfitVerdict } from '../core/runtime/overfit';
import { SaturationNotice } from '../core/runtime/saturation';
import { formatGanEpoch } from '../core/runtime/gan';
import { CollapseNotice } from '../core/runtime/diversity';
import { formatGradientLine } from '../core/runtime/signals';
import { UsageError, optionValue, naturalInt, positiveInt, type ParsedArgs } from './args';
import { EXIT, type CliIO, type Command } from './command';
import { STDIN, UnreadableFile, ioReason, readSource } from './files';
import { plural, trainingExamples } from '../core/plural';

// Loaded on first use: tfjs takes a while to load, and `nnmodel check` needs none of it.
const jobs = () => import('./trainJob');

/** The options of every command that runs a model's checkpoint or train section (train, evaluate, generate, forecast). */
export const common = [
  { name: 'model', short: 'm', value: 'NAME', help: 'the model to use (needed when the file trains several)' },
  { name: 'backend', value: 'wasm|cpu', help: 'TensorFlow.js backend (default wasm)' },
  { name: 'data-root', value: 'DIR', repeat: true, help: 'folder the data may be read from (default: the file\'s folder; repeatable)' },
  { name: 'checkpoints', value: 'FOLDER', help: 'checkpoint folder, relative to the file (default .nnmodel/<file>/<model>)' },
];

/** `--checkpoint best|last`: which checkpoint of the folder evaluate and generate read. */
export const checkpointOption = { name: 'checkpoint', value: 'best|last', help: 'the last epoch\'s checkpoint (default) or the best: lowest val_loss' };

/** The value of `--checkpoint`, checked. */
export function checkpointKind(args: ParsedArgs): 'best' | 'last' | undefined {
  const v = optionValue(args, 'checkpoint');
  if (v === undefined || v === 'best' || v === 'last') return v;
  const folder = /[/\\.]/.test(v) ? ` (a checkpoint folder is --checkpoints ${v})` : '';
  throw new UsageError(`option '--checkpoint' is best or last, got '${v}'${folder}`);
}

export function request(args: ParsedArgs, io: Required<CliIO>): JobRequest {
  if (args.positional.length !== 1) throw new UsageError('needs exactly one FILE');
  // Checkpoints are written, and data found, beside the file: standard input has no folder.
  if (args.positional[0] === STDIN) throw new UsageError("needs a FILE on disk (its checkpoints and data are beside it); '-' (standard input) is for check, summary, format and export");
  const backend = optionValue(args, 'backend') ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'cpu') throw new UsageError(`option '--backend' is wasm or cpu, got '${backend}'`);
  const file = resolve(io.cwd, args.positional[0]);
  // A FILE that cannot be read is said as check says it (`x.nnmodel: cannot read: no such file`), exit 2, not as a crash.
  try {
    readSource(args.positional[0], io.cwd);
  } catch (err) {
    throw new UnreadableFile(args.positional[0], ioReason(err));
  }
  const roots = (args.values.get('data-root') ?? []).map((r) => resolve(io.cwd, r));
  const epochs = optionValue(args, 'epochs');
  return {
    file,
    model: optionValue(args, 'model'),
    roots,
    backend,
    checkpointFolder: optionValue(args, 'checkpoints'),
    epochs: epochs === undefined ? undefined : positiveInt(epochs, 'epochs'),
    resume: args.flags.has('resume'),
    ...(args.values.has('checkpoint') ? { checkpoint: checkpointKind(args) } : {}),
  };
}

/** A job failure the user can act on: the message, and the file at fault. */
export function userError(e: unknown, commandLine = true): { message: string; file?: string } | undefined {
  // The folders data may come from are the file's, or those given: the command line's way to add one (the editor's are its workspace folders).
  if (commandLine && e instanceof OutsideDataError) return { message: `${e.message} --data-root DIR adds a folder.`, file: e.file };
  if (e instanceof DataError) return { message: e.message, file: e.file };
  // A damaged checkpoint: what else the folder offers, in the words of the command line or of the editor (its jobs run here with --ipc).
  if (e instanceof DamagedCheckpointError) return { message: `${e.message} ${damagedRemedy(e, commandLine ? 'cli' : 'editor')}` };
  if (e instanceof CheckpointError || e instanceof TrainError || (e instanceof Error && e.name === 'JobError')) return { message: e.message };
  return undefined;
}

/**
 * Runs the body of job command `name` (train, evaluate, generate,
 * forecast): a failure the user can act on (`userError`) is printed as
 * `nnmodel NAME: message` and exits with `EXIT.problems`; anything else
 * (a bad command line, a bug) is thrown on to the driver.
 */
export async function runJob(name: string, io: Pick<CliIO, 'stderr'>, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    // `--model Nope`: the driver prints it with the usage and exits 2, as for summary and export.
    if (e instanceof Error && e.name === 'JobError' && (e as Error & { usage?: boolean }).usage) throw new UsageError(e.message);
    const u = userError(e);
    if (!u) throw e;
    io.stderr(`nnmodel ${name}: ${u.message}\n`);
    return EXIT.problems;
  }
}

/**
 * Runs `body` with Ctrl-C as a cancel: the first SIGINT sets the token and
 * prints `notice` (the job stops at its next check and says what it did:
 * train and forecast exit 130), a second quits at once with 130.
 */
export async function interruptible<T>(io: Pick<CliIO, 'stderr'>, notice: string, body: (token: CancelToken) => Promise<T>): Promise<T> {
  const token = { cancelled: false };
  const onSigint = () => {
    if (token.cancelled) process.exit(130);
    token.cancelled = true;
    io.stderr(`\n${notice} (Ctrl-C again to quit at once)…\n`);
  };
  process.on('SIGINT', onSigint);
  try {
    return await body(token);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export const trainCommand: Command = {
  name: 'train',
  synopsis: 'FILE [--model NAME] [--epochs N] [--resume] [--checkpoints FOLDER] [--backend wasm|cpu] [--data-root DIR]...',
  summary: 'train a model on the data of its train section, with a checkpoint per epoch',
  description: [
    'Trains the model named by --model (or the only one with a train section) on the',
    '`data:` of its train section, with its loss, optimizer, batch size and validation',
    'split, printing one line per epoch. After every epoch the weights are written',
    'atomically, in TensorFlow.js format, to .nnmodel/<file>/<model>/ beside FILE',
    '(--checkpoints to change it); Ctrl-C stops between batches and keeps the last',
    'complete epoch\'s checkpoint. --resume continues from that checkpoint: to the train',
    'section\'s epochs when it falls short of them (stopped at epoch 2 of 5: epochs 3-5),',
    'to the end of a run of N more epochs it stopped in, else for the section\'s epochs',
    'more; --epochs N trains N more. One training at a time writes a folder (it holds',
    'training.lock there): another is refused before it starts.',
    '',
    'With validation data, the epoch with the lowest val_loss is kept too, as best.json',
    'in the same folder (evaluate, generate and export take --checkpoint best). When',
    'val_loss has risen for 2 epochs or more since its lowest while loss fell, a line',
    'says the model is overfitting, once when it first shows and again at the end.',
    '',
    'Data files are read only inside the file\'s folder, or the --data-root folders.',
  ].join('\n'),
  options: [
    ...common,
    { name: 'epochs', short: 'e', value: 'N', help: 'epochs to train (default: the train section\'s; with --resume, the rest of the stopped run)' },
    { name: 'resume', help: 'continue from the last checkpoint' },
    { name: 'ipc', help: 'take the job and report progress over the Node IPC channel (used by the VS Code extension)' },
  ],
  run: (args, io) => (args.flags.has('ipc') ? runIpc() : runTrainCli(args, io)),
};

/**
 * The line `nnmodel train` starts with: "training LeNet5 on digits (1438 training examples, 359 for validation) for 1 epoch, batch 64, backend wasm"
 * (`examples`: those trained on; `validation`: those held out, said when there are any);
 * with `mixup: α` in the train section, ", mixup α = 0.2" after the batch (the training batches are mixed);
 * with `mask: rate`, ", masked language modelling (15 % of tokens)".
 */
export function trainStartLine(s: { model: string; source: string; examples: number; validation?: number; epochs: number; batch: number; mixup?: number; mask?: number; backend: string; resumedFrom?: number; loss?: string }): string {
  const gan = s.loss === 'adversarial' ? ' (a GAN: generator and discriminator)' : '';
  const mixup = s.mixup !== undefined ? `, mixup α = ${s.mixup}` : s.mask !== undefined ? `, masked language modelling (${+(s.mask * 100).toFixed(2)} % of tokens)` : '';
  const from = s.resumedFrom ? `, from epoch ${s.resumedFrom}` : '';
  return `training ${s.model}${gan} on ${s.source} (${trainingExamples(s.examples, s.validation)}) for ${plural(s.epochs, 'epoch')}, batch ${s.batch}${mixup}, backend ${s.backend}${from}`;
}

/**
 * What `nnmodel train` says at the end besides where the checkpoint is: the
 * best epoch and where its weights are, when `best` (the epoch best.json
 * holds) is there, and the overfitting verdict when the history ends with
 * one. A best.json above the history's lowest val_loss (that epoch's best
 * write failed) is said as such; `best.since`: the history from that epoch
 * on (the model's layers changed there).
 */
export function trainEndLines(epochs: readonly EpochLogs[], best: { epoch: number; valLoss: number; since?: number } | undefined, dir: string): string[] {
  const lines: string[] = [];
  // After an edit of the model's layers, only the epochs since (the earlier ones' weights do not fit it).
  const lowest = bestEpoch(best?.since !== undefined ? epochs.filter((e) => e.epoch >= best.since!) : epochs);
  if (best && lowest && lowest.valLoss < best.valLoss) {
    lines.push(
      `best: ${bestText(lowest)}, but its weights were not kept (writing them as the best failed or was interrupted); ` +
        `${join(dir, BEST_JSON)} holds epoch ${best.epoch} (val_loss ${lossFigure(best.valLoss)}) (--checkpoint best)`,
    );
  } else if (best) lines.push(`best: ${bestText(best)}; its weights are in ${join(dir, BEST_JSON)} (--checkpoint best)`);
  const verdict = overfitVerdict(epochs);
  if (verdict) lines.push(verdict.text);
  return lines;
}

async function runTrainCli(args: ParsedArgs, io: Required<CliIO>): Promise<number> {
  const req = request(args, io);
  return interruptible(io, 'stopping after this batch', (token) =>
    runJob('train', io, async () => {
      const { runTrainJob } = await jobs();
      // Each picture's path is said once: samples.png is rewritten after every epoch.
      const told = new Set<string>();
      // A GAN logs both players' figures and writes two checkpoints (the discriminator's, then the generator's).
      let adversarial = false;
      const dirs = new Set<string>();
      // Every epoch of the model's training, a resumed checkpoint's included: the verdict reads them all.
      const epochs: EpochLogs[] = [];
      let verdictSaid = false;
      // A GAN's "may be collapsing" hint (runtime/diversity.ts), said once, when it first shows.
      const collapse = new CollapseNotice();
      // Predictions stuck at the loss's clip (runtime/saturation.ts), said once, when it first shows.
      const saturation = new SaturationNotice();
      let best: { epoch: number; valLoss: number; since?: number } | undefined;
      const started = runTrainJob(
        req,
        {
          onStart: (s) => {
            adversarial = s.loss === 'adversarial';
            epochs.push(...(s.history ?? []));
            io.stderr(`${trainStartLine(s)}\n`);
            // Said once: the features the model sees are not the CSV's raw numbers.
            if (s.standardisation) io.stderr(`${s.standardisation}\n`);
          if (s.split) io.stderr(`${s.split}\n`);
          },
          onEpoch: (l) => {
            io.stdout(`${adversarial ? formatGanEpoch(l) : formatEpoch(l)}\n`);
            const hint = adversarial ? collapse.next(l) : undefined;
            if (hint) io.stderr(`${hint}\n`);
            const stuck = saturation.next(l);
            if (stuck) io.stderr(`warning: ${stuck}\n`);
            epochs.push(l);
            const verdict = overfitVerdict(epochs);
            if (verdict && !verdictSaid) io.stderr(`${verdict.text}\n`);
            verdictSaid ||= !!verdict;
          },
          onCheckpoint: (d) => void dirs.add(d),
          onBest: (u) => {
            best = u.kind === 'written' || (u.kind === 'kept' && u.onDisk) ? u : undefined;
            if (u.kind === 'written' && u.note) io.stderr(`${u.note}\n`);
          },
          onWarning: (m) => io.stderr(`warning: ${m}\n`),
          // Signal & gradients: the spread of the layers' gradient RMS, at initialisation and after each epoch's line
          // (on stderr, with the other commentary: stdout keeps one line per epoch).
          onSignals: (r) => io.stderr(`${formatGradientLine(r, r.epoch === 0 ? 'at initialisation, gradient RMS' : 'gradient RMS')}\n`),
          onSamples: (strip, path) => {
            if (told.has(path)) return;
            told.add(path);
            io.stderr(
              strip.kind === 'forward'
                ? `the noising of one example (${strip.captions?.join(', ') ?? plural(strip.count, 'step')}): ${path}\n`
                : `generated images, rewritten after every epoch: ${path}\n`,
            );
          },
        },
        token,
      );
      // Ctrl-C while the data is read (an image folder is decoded file by file) stops the loader: a cancel, not a failure.
      const ran = await started.catch((e: unknown) => {
        if (token.cancelled && e instanceof DataError) return undefined;
        throw e;
      });
      if (!ran) {
        io.stderr('stopped while reading the data, before training started; nothing was written\n');
        return EXIT.interrupted;
      }
      const { history, dir } = ran;
      const last = history.epochs[history.epochs.length - 1];
      io.stderr(
        history.status === 'cancelled'
          ? `stopped; ${last ? `the checkpoint of epoch ${last.epoch} is in ${dir}` : 'no epoch completed, no checkpoint written'}\n`
          : dirs.size > 1
            ? `done; checkpoints in ${[...dirs].reverse().join(' and ')}\n`
            : `done; checkpoint in ${dir}\n`,
      );
      for (const line of trainEndLines(epochs, best, dir)) io.stderr(`${line}\n`);
      return history.status === 'cancelled' ? EXIT.interrupted : EXIT.ok;
    }),
  );
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  synopsis: 'FILE [--model NAME] [--checkpoints FOLDER] [--checkpoint best|last] [--backend wasm|cpu] [--data-root DIR]...',
  summary: 'loss and metrics of the last (or best) checkpoint on the validation split and all data',
  description:
    'Loads the checkpoint written by `nnmodel train` (the last epoch\'s, or with --checkpoint best the one with the lowest val_loss) and reports the loss and metrics of the train section on the validation split and on all the data. A checkpoint that no longer fits the model (edited since) is refused, with each layer that differs.',
  options: [...common, checkpointOption],
  run: (args, io) =>
    runJob('evaluate', io, async () => {
      const { runEvaluateJob } = await jobs();
      const r = await runEvaluateJob(request(args, io));
      if (r.warning) io.stderr(`warning: ${r.warning}\n`);
      const line = (f: { loss: number; metrics: Record<string, number> }) =>
        [`loss ${f.loss.toFixed(4)}`, ...Object.entries(f.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`)].join(' · ');
      const masked = r.masked !== undefined ? `, ${maskedEvaluationNote(r.masked)}` : '';
      io.stdout(`${r.job.info.name} after epoch ${r.epoch}${r.job.checkpoint && optionValue(args, 'checkpoint') === 'best' ? (r.warning ? ' (the best checkpoint)' : ' (the best checkpoint: lowest val_loss)') : ''}${masked}\n`);
      if (r.validation) io.stdout(`validation: ${line(r.validation)}\n`);
      io.stdout(`all data:   ${line(r.all)}\n`);
      return EXIT.ok;
    }),
};

export const generateCommand: Command = {
  name: 'generate',
  synopsis: 'FILE [--model NAME] [--checkpoints FOLDER] [--checkpoint best|last] [--prompt TEXT] [--tokens N] [--temperature T] [--top-k K] [--seed N] [--backend wasm|cpu] [--data-root DIR]...',
  summary: 'continue a text with a trained language model, or decode with an encoder-decoder',
  description: [
    'Loads the checkpoint of a model trained on data: text(...) and samples --tokens new',
    'tokens after --prompt, one at a time: the distribution over the next token is divided',
    'by the temperature in log space (below 1: safer, above 1: wilder, 0: always the most',
    'likely) and cut to the --top-k most likely tokens. A checkpoint that no longer fits the',
    'model (edited since) is refused, with each layer that differs.',
    '',
    'An encoder-decoder (two inputs) trained on sequences(...) writes its answer by greedy',
    'decoding: the decoder reads its own tokens, one at a time, as at inference (evaluate',
    'measures it by teacher forcing). --prompt gives the source as token ids ("3 1 4 1");',
    'without it, five sources drawn as the data draws them (--seed chooses them), each with',
    "the task's expected answer.",
  ].join('\n'),
  options: [
    ...common,
    checkpointOption,
    { name: 'prompt', short: 'p', value: 'TEXT', help: 'text to continue (default: a new line)' },
    { name: 'tokens', short: 'n', value: 'N', help: 'tokens to generate (default 200)' },
    { name: 'temperature', short: 't', value: 'T', help: 'sampling temperature (default 0.8)' },
    { name: 'top-k', short: 'k', value: 'K', help: 'sample among the K most likely tokens (default 20; 0: all)' },
    { name: 'seed', value: 'N', help: 'random seed of the sampling (default 1)' },
  ],
  async run(args, io) {
    const g = generateOptions(args);
    return runJob('generate', io, async () => {
      const { runGenerateJob } = await jobs();
      await runGenerateJob(request(args, io), g, (piece) => io.stdout(piece), undefined, (m) => io.stderr(`warning: ${m}\n`));
      io.stdout('\n');
      return EXIT.ok;
    });
  },
};

function generateOptions(args: ParsedArgs): GenerateRequest {
  const num = (name: string, d: number, min: number, max: number) => {
    const t = optionValue(args, name);
    if (t === undefined) return d;
    const v = Number(t);
    if (!Number.isFinite(v) || v < min || v > max) throw new UsageError(`option '--${name}' is a number from ${min} to ${max}, got '${t}'`);
    return v;
  };
  const tokens = optionValue(args, 'tokens');
  const topK = optionValue(args, 'top-k');
  const seed = optionValue(args, 'seed');
  return {
    prompt: optionValue(args, 'prompt') ?? '',
    maxTokens: tokens === undefined ? 200 : positiveInt(tokens, 'tokens'),
    temperature: num('temperature', 0.8, 0, 10),
    topK: topK === undefined ? 20 : naturalInt(topK, 'top-k'),
    seed: seed === undefined ? 1 : positiveInt(seed, 'seed'),
  };
}

// ------------------------------------------------------------------ IPC

/**
 * What an evaluation tells VS Code: the figures, and as problems (each a
 * `warning:` line in the output channel) a stale best checkpoint's warning,
 * as `nnmodel evaluate` says it. (A checkpoint that does not fit the model
 * is refused, not evaluated: `runEvaluateJob` throws.)
 */
export function evaluationMessage(r: {
  job: { info: { name: string } };
  epoch: number;
  validation?: Extract<JobToHost, { type: 'evaluation' }>['validation'];
  all: Extract<JobToHost, { type: 'evaluation' }>['all'];
  warning?: string;
  masked?: number;
}): Extract<JobToHost, { type: 'evaluation' }> {
  const problems = r.warning ? [r.warning] : [];
  return { type: 'evaluation', model: r.job.info.name, epoch: r.epoch, validation: r.validation, all: r.all, problems, ...(r.masked !== undefined ? { masked: r.masked } : {}) };
}

/** Serves one job from the parent process (VS Code) over the IPC channel, then exits. */
async function runIpc(): Promise<number> {
  if (!process.send) throw new UsageError('--ipc needs a parent process with an IPC channel');
  const send = (m: JobToHost) => process.send!(m);
  const token: CancelToken & { cancelled: boolean } = { cancelled: false };
  const job = await new Promise<Extract<HostToJob, { type: 'run' }>>((resolveRun) => {
    process.on('message', (raw) => {
      const m = parseHostToJob(raw);
      if (!m) return;
      if (m.type === 'stop') token.cancelled = true;
      else resolveRun(m);
    });
  });
  // The parent gone means nobody wants the result: stop between batches.
  process.on('disconnect', () => (token.cancelled = true));
  try {
    const { runEvaluateJob, runGenerateJob } = await jobs();
    switch (job.command) {
      case 'evaluate': {
        send(evaluationMessage(await runEvaluateJob(job.request)));
        send({ type: 'done', status: 'completed' });
        break;
      }
      case 'generate': {
        const r = await runGenerateJob(
          job.request,
          job.generate,
          (piece) => send({ type: 'text', piece }),
          () => token.cancelled,
          (message) => send({ type: 'warning', message }),
        );
        send({ type: 'done', status: token.cancelled ? 'cancelled' : 'completed', text: r.text });
        break;
      }
    }
  } catch (e) {
    const u = userError(e, false);
    send({ type: 'error', message: u?.message ?? (e instanceof Error ? e.stack ?? e.message : String(e)), file: u?.file });
  }
  // Let the last messages drain before the process ends.
  await new Promise<void>((r) => setTimeout(r, 50));
  process.disconnect?.();
  return EXIT.ok;
}
