/**
 * A training run started by the host in the inspector: the host sends the
 * model, the train section, the data (or the spec of a built-in set) and the
 * weights to resume from; the run trains (trainCore.ts) on the backend the
 * inspector runs on, reports every batch and epoch, and after each epoch
 * hands a checkpoint to the host and waits until it is written.
 *
 * Where it trains: in a dedicated Worker (worker.ts, dist/trainWorker.js)
 * when one starts, because in VS Code's webviews the page shares its thread
 * with the workbench, so training on the page made the whole window stutter
 * and heard a Cancel late. If the worker cannot start (any error), the run
 * trains on the page as before and the Training tab says why. Either way
 * the page relays events and checkpoints to the host and gets the weights
 * of each saved epoch for its own views.
 */
import type { BackendName, TrainingEvent, TrainStartMessage, WebviewToHost, WeightsMessage } from '../../extension/core/protocol';
import type { Tf } from '../../extension/core/layers/types';
import { showPlacement } from './placement';
import { runTraining, withoutResume, type EncodedCheckpoint } from './trainCore';
import { WASM_FILES, type PageToWorker, type WasmBinaries, type WorkerToPage } from './workerProtocol';

export interface RunnerDeps {
  tf: Tf;
  post(msg: WebviewToHost): void;
  /** Applies an event to the page's own Training tab. */
  onEvent(run: number, model: string, event: TrainingEvent): void;
  /** Resolves with the host's answer to the checkpoint of `epoch` in `run`. */
  waitSaved(run: number, epoch: number): Promise<{ dir?: string; error?: string }>;
  /** The weights after a saved epoch, for the inspector's views. */
  onWeights(msg: WeightsMessage): void;
  /** Lets the page breathe between batches (messages, a Cancel, drawing), when it trains on the page. */
  yieldNow(): Promise<void>;
}

/** Least time between two batch events sent to the host. */
export const BATCH_POST_MS = 250;

/** How long a worker may take to start its backend before the run trains on the page instead. */
const WORKER_START_MS = 60_000;

/** One run; `stop()` ends it between batches. */
export class TrainingRun {
  private readonly token = { cancelled: false };
  private worker: WorkerLike | undefined;
  /** Where the run trains, once known. */
  where: 'worker' | 'page' | undefined;
  readonly done: Promise<'completed' | 'cancelled' | 'failed'>;

  /** The run's message; once handed to the trainer, without the checkpoint bytes it resumes from (`withoutResume`). */
  msg: TrainStartMessage;
  /** The message as it came, until the trainer has it (the resume bytes are not kept for the whole run). */
  private start: TrainStartMessage | undefined;

  constructor(
    msg: TrainStartMessage,
    private readonly deps: RunnerDeps,
  ) {
    this.start = msg;
    this.msg = withoutResume(msg);
    this.done = this.execute();
  }

  /** The whole message, once: for the trainer it is handed to. */
  private takeStart(): TrainStartMessage {
    const m = this.start ?? this.msg;
    this.start = undefined;
    return m;
  }

  get run(): number {
    return this.msg.run;
  }

  stop(): void {
    this.token.cancelled = true;
    this.worker?.postMessage({ type: 'stop' } satisfies PageToWorker);
  }

  private lastBatchPost = -Infinity;

  /**
   * To the page's own tab always; to the host too, except batches, which go
   * at most every `BATCH_POST_MS` (the notification needs no more, and
   * every message to the host costs the workbench, whose thread the page
   * may share), and sample images and Signal & gradients, which only this
   * page draws (the host would get figures it has no use for).
   */
  private emit(event: TrainingEvent): void {
    const { msg } = this;
    this.deps.onEvent(msg.run, msg.model.name, event);
    if (event.kind === 'samples' || event.kind === 'signals') return;
    if (event.kind === 'batch') {
      const now = performance.now();
      if (now - this.lastBatchPost < BATCH_POST_MS && event.batch !== event.batches) return;
      this.lastBatchPost = now;
    }
    this.deps.post({ type: 'trainEvent', uri: msg.uri, version: msg.version, run: msg.run, model: msg.model.name, event });
  }

  /** Sends a checkpoint to the host, waits until it is written, then gives its weights to the page's views. */
  private async checkpoint(ck: EncodedCheckpoint): Promise<string | undefined> {
    const { msg, deps } = this;
    // A GAN's discriminator sends its checkpoint under its own name; the views show the run's model.
    const name = ck.model ?? msg.model.name;
    deps.post({ type: 'checkpoint', uri: msg.uri, version: msg.version, run: msg.run, model: name, epoch: ck.epoch, modelJson: ck.modelJson, weightsFile: ck.weightsFile, weights: ck.weights, ...(ck.optimizer ? { optimizer: ck.optimizer } : {}) });
    const saved = await deps.waitSaved(msg.run, ck.epoch);
    if (saved.error) return saved.error;
    if (name !== msg.model.name) return undefined;
    deps.onWeights({ type: 'weights', uri: msg.uri, model: name, epoch: ck.epoch, modelJson: ck.modelJson, weights: ck.weights });
    return undefined;
  }

  private async execute(): Promise<'completed' | 'cancelled' | 'failed'> {
    const backend = this.deps.tf.getBackend() as BackendName;
    let started: StartedWorker;
    try {
      started = await startWorker(this.deps.tf, backend);
    } catch (e) {
      return this.onPage(e instanceof Error ? e.message : String(e));
    }
    return this.inWorker(started, backend);
  }

  /** The fallback: trains on the page's own tfjs, as before workers. */
  private async onPage(reason: string): Promise<'completed' | 'cancelled' | 'failed'> {
    this.where = 'page';
    const text = `Trains on the inspector page: the training worker could not start (${reason}). VS Code may respond slowly while it trains.`;
    // In the tab only: the host's events stay as they were on the page (the run's first is `start`).
    showPlacement('page', text);
    return runTraining(this.deps.tf, this.takeStart(), {
      token: this.token,
      yieldNow: this.deps.yieldNow,
      emit: (event) => this.emit(event),
      checkpoint: async (ck) => {
        const error = await this.checkpoint(ck);
        if (error) throw new Error(`the checkpoint of epoch ${ck.epoch} was not written: ${error}`);
      },
    });
  }

  private inWorker({ worker, backend: running, note }: StartedWorker, asked: BackendName): Promise<'completed' | 'cancelled' | 'failed'> {
    this.where = 'worker';
    this.worker = worker;
    const label = running === 'webgl' ? 'WebGL' : running.toUpperCase();
    showPlacement('worker', `Trains in a worker on ${label}${note ? ` (${note})` : ''}: the inspector and VS Code stay responsive.`);
    if (note && running !== asked) this.emit({ kind: 'warning', message: `The training worker runs ${label}, not ${asked.toUpperCase()}: ${note}.` });
    return new Promise((resolve) => {
      let finished = false;
      const finish = (status: 'completed' | 'cancelled' | 'failed') => {
        if (finished) return;
        finished = true;
        worker.terminate();
        this.worker = undefined;
        resolve(status);
      };
      const crashed = (why: string) => {
        if (finished) return;
        this.emit({ kind: 'done', status: 'failed', message: `the training worker stopped: ${why}` });
        finish('failed');
      };
      worker.onerror = (e) => {
        e.preventDefault();
        crashed(e.message || 'an error in the worker');
      };
      worker.onmessageerror = () => crashed('a message from it could not be read');
      worker.onmessage = (e) => {
        const m = e.data;
        switch (m.type) {
          case 'event':
            this.emit(m.event);
            return;
          case 'checkpoint':
            void this.checkpoint(m).then(
              (error) => worker.postMessage({ type: 'saved', epoch: m.epoch, ...(error ? { error } : {}) } satisfies PageToWorker),
              (err: unknown) => worker.postMessage({ type: 'saved', epoch: m.epoch, error: err instanceof Error ? err.message : String(err) } satisfies PageToWorker),
            );
            return;
          case 'finished':
            finish(m.status);
            return;
          default:
            return;
        }
      };
      // postMessage copies the message (resume bytes included) into the worker: the page keeps none of it.
      worker.postMessage({ type: 'train', msg: this.takeStart() } satisfies PageToWorker);
      // A Cancel that came while the worker started.
      if (this.token.cancelled) worker.postMessage({ type: 'stop' } satisfies PageToWorker);
    });
  }
}

/**
 * The part of a DOM `Worker` used here, typed structurally: this file is
 * also compiled against Node's types for the unit tests, which run it
 * where there is no Worker (so they cover the fallback).
 */
interface WorkerLike {
  postMessage(msg: PageToWorker): void;
  terminate(): void;
  onmessage: ((e: { data: WorkerToPage }) => void) | null;
  onerror: ((e: { message?: string; preventDefault(): void }) => void) | null;
  onmessageerror: (() => void) | null;
}
type WorkerCtor = new (url: string, options?: { name?: string }) => WorkerLike;
interface PageGlobals {
  Worker?: WorkerCtor;
  document?: { body: { dataset: Record<string, string | undefined> } };
}
const page = globalThis as unknown as PageGlobals;

interface StartedWorker {
  worker: WorkerLike;
  backend: BackendName;
  note?: string;
}

let scriptUrl: Promise<string> | undefined;
let wasmBinaries: Promise<WasmBinaries> | undefined;

/** The page's `data-` attributes, set by the host's HTML (extension/vscode/inspector/html.ts). */
function pageData(key: 'trainWorker' | 'wasmBase'): string {
  const v = page.document?.body.dataset[key];
  if (!v) throw new Error(`the page has no data-${key === 'trainWorker' ? 'train-worker' : 'wasm-base'} attribute`);
  return v;
}

async function fetchOk(url: string): Promise<Response> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url} could not be read (HTTP ${r.status})`);
  return r;
}

/**
 * The worker script as a Blob URL: the webview's resources are served from
 * another origin than the page, and `new Worker(url)` only takes a script of
 * the page's own origin (a Blob URL made here is). Fetched once per page.
 */
function workerScriptUrl(): Promise<string> {
  scriptUrl ??= (async () => {
    const text = await (await fetchOk(pageData('trainWorker'))).text();
    return URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
  })();
  scriptUrl.catch(() => (scriptUrl = undefined));
  return scriptUrl;
}

/** The wasm binaries the worker may need (not the threaded one: a webview is not cross-origin isolated). */
function wasmFiles(): Promise<WasmBinaries> {
  wasmBinaries ??= (async () => {
    const base = pageData('wasmBase');
    const names = WASM_FILES.filter((f) => !f.includes('threaded'));
    const bytes = await Promise.all(names.map(async (f) => (await fetchOk(`${base.endsWith('/') ? base : `${base}/`}${f}`)).arrayBuffer()));
    return Object.fromEntries(names.map((f, i) => [f, bytes[i]]));
  })();
  wasmBinaries.catch(() => (wasmBinaries = undefined));
  return wasmBinaries;
}

/** Starts a training worker on `backend`; rejects with the reason if it cannot (the run then trains on the page). */
async function startWorker(tf: Tf, backend: BackendName): Promise<StartedWorker> {
  const Worker = page.Worker;
  if (!Worker) throw new Error('this page cannot start workers');
  const [url, wasm] = await Promise.all([workerScriptUrl(), backend === 'cpu' ? Promise.resolve({}) : wasmFiles()]);
  let softwareWebgl = false;
  try {
    softwareWebgl = tf.env().getBool('SOFTWARE_WEBGL_ENABLED');
  } catch {
    // The flag is registered by the WebGL backend; without it, false.
  }
  const worker = new Worker(url, { name: 'nnmodel training' });
  try {
    return await new Promise<StartedWorker>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`it did not start its backend within ${WORKER_START_MS / 1000} s`)), WORKER_START_MS);
      const fail = (why: string) => {
        clearTimeout(timer);
        reject(new Error(why));
      };
      worker.onerror = (e) => {
        e.preventDefault();
        fail(e.message || 'the worker script failed to load (blocked by the page\'s Content Security Policy?)');
      };
      worker.onmessage = (e) => {
        const m = e.data;
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve({ worker, backend: m.backend, ...(m.note ? { note: m.note } : {}) });
        } else if (m.type === 'initFailed') fail(m.error);
      };
      // Copies, not transfers: the page keeps its bytes for the next run's worker.
      worker.postMessage({ type: 'init', backend, softwareWebgl, wasm } satisfies PageToWorker);
    });
  } catch (e) {
    worker.terminate();
    throw e;
  }
}

/**
 * The page's yield between batches. Measured in code-server's webview (which
 * shares its event loop with the workbench): with only self-posted
 * MessageChannel tasks, or zero-delay timers, between batches, the host's
 * messages (a Cancel) did not get in until the epoch ended; a short real
 * pause lets them through. So: a message to ourselves as a rule (timers are
 * clamped when nested and throttled in hidden frames), and a pause of
 * `idleMs` once `everyMs` have passed since the last one.
 */
export function pageYield(everyMs = 200, idleMs = 10): () => Promise<void> {
  const channel = new MessageChannel();
  const waiting: (() => void)[] = [];
  // Typed structurally: the unit tests compile this file against Node's MessagePort, which has no `onmessage` in its types.
  (channel.port1 as unknown as { onmessage: (() => void) | null }).onmessage = () => waiting.shift()?.();
  let lastTimer = performance.now();
  return () =>
    new Promise<void>((resolve) => {
      const now = performance.now();
      if (now - lastTimer >= everyMs) {
        lastTimer = now;
        setTimeout(resolve, idleMs);
        return;
      }
      waiting.push(resolve);
      channel.port2.postMessage(0);
    });
}
