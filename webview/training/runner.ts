/**
 * A training run in the inspector's TensorFlow.js runtime: the host sends the
 * model, the train section, the data (or the spec of a built-in set) and the
 * weights to resume from; this builds the model with the core's `buildModel`,
 * trains it with the core's `trainModel` on the backend the inspector runs
 * (with the project's training kernels registered), reports every batch and
 * epoch, and after each epoch encodes a checkpoint with `encodeCheckpoint`
 * and waits until the host has written it (so the host's "last good
 * checkpoint" is always a complete epoch). No DOM: the page wires it up.
 */
import { reviveModel, type TrainingEvent, type TrainStartMessage, type WebviewToHost, type WeightsMessage } from '../../extension/core/protocol';
import type { Tf } from '../../extension/core/layers/types';
import { buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { applyCheckpoint, encodeCheckpoint, type ModelJson } from '../../extension/core/runtime/checkpoint';
import { registerTrainingKernels } from '../../extension/core/runtime/kernels';
import { symbolicDimsFor, trainModel, type EpochLogs } from '../../extension/core/runtime/train';
import { checkpointDataMeta, datasetFromPayload } from '../../extension/core/runtime/trainTransfer';
import { disposeLayers } from '../host/session';

export interface RunnerDeps {
  tf: Tf;
  post(msg: WebviewToHost): void;
  /** Applies an event to the page's own Training tab. */
  onEvent(run: number, model: string, event: TrainingEvent): void;
  /** Resolves with the host's answer to the checkpoint of `epoch` in `run`. */
  waitSaved(run: number, epoch: number): Promise<{ dir?: string; error?: string }>;
  /** The weights after a saved epoch, for the inspector's views. */
  onWeights(msg: WeightsMessage): void;
  /** Lets the page breathe between batches (messages, a Cancel, drawing). */
  yieldNow(): Promise<void>;
}

/** Least time between two batch events sent to the host. */
export const BATCH_POST_MS = 250;

let kernelsRegistered = false;

/** Registers the project's training kernels once (after the backends are imported). */
export function ensureTrainingKernels(tf: Tf): void {
  if (kernelsRegistered) return;
  registerTrainingKernels(tf);
  kernelsRegistered = true;
}

/** One run; `stop()` ends it between batches. */
export class TrainingRun {
  private readonly token = { cancelled: false };
  readonly done: Promise<'completed' | 'cancelled' | 'failed'>;

  constructor(
    readonly msg: TrainStartMessage,
    private readonly deps: RunnerDeps,
  ) {
    this.done = this.execute();
  }

  get run(): number {
    return this.msg.run;
  }

  stop(): void {
    this.token.cancelled = true;
  }

  private lastBatchPost = -Infinity;

  /**
   * To the page's own tab always; to the host too, except batches, which go
   * at most every `BATCH_POST_MS` (the notification needs no more, and
   * every message to the host costs the workbench, whose thread the page
   * may share).
   */
  private emit(event: TrainingEvent): void {
    const { msg } = this;
    this.deps.onEvent(msg.run, msg.model.name, event);
    if (event.kind === 'batch') {
      const now = performance.now();
      if (now - this.lastBatchPost < BATCH_POST_MS && event.batch !== event.batches) return;
      this.lastBatchPost = now;
    }
    this.deps.post({ type: 'trainEvent', uri: msg.uri, version: msg.version, run: msg.run, model: msg.model.name, event });
  }

  private async execute(): Promise<'completed' | 'cancelled' | 'failed'> {
    const { msg, deps } = this;
    const { tf } = deps;
    const name = msg.model.name;
    let built: BuiltModel | undefined;
    try {
      ensureTrainingKernels(tf);
      const info = reviveModel(msg.model);
      // Generating a built-in set takes a moment: let the page draw "starting" first.
      await deps.yieldNow();
      const data = datasetFromPayload(msg.data);
      built = buildModel(tf, info, { seed: msg.seed, symbolicDims: symbolicDimsFor(info, data.exampleShape) });
      let initialEpoch = 0;
      let previous: EpochLogs[] = [];
      if (msg.resume) {
        const json = JSON.parse(msg.resume.modelJson) as ModelJson;
        const match = applyCheckpoint(tf, built, json, msg.resume.weights);
        initialEpoch = json.nnmodel.epoch;
        previous = json.nnmodel.history ?? [];
        for (const p of match.problems) this.emit({ kind: 'warning', message: p });
      }
      this.emit({
        kind: 'start',
        epochs: initialEpoch + msg.config.epochs,
        examples: data.count,
        backend: tf.getBackend(),
        source: data.source,
        ...(initialEpoch ? { resumedFrom: initialEpoch } : {}),
      });
      const done: EpochLogs[] = [];
      const model = built;
      const history = await trainModel(tf, model.model, info, data, {
        config: { ...msg.config },
        seed: msg.seed,
        initialEpoch,
        token: this.token,
        yieldEvery: deps.yieldNow,
        onBatch: (b) => this.emit({ kind: 'batch', ...b }),
        onEpoch: async (logs) => {
          done.push(logs);
          this.emit({ kind: 'epoch', epoch: logs.epoch, loss: logs.loss, metrics: logs.metrics, valLoss: logs.valLoss, valMetrics: logs.valMetrics, ms: logs.ms, examples: logs.examples });
          const ck = await encodeCheckpoint(model, { model: name, source: msg.uri, epoch: logs.epoch, history: [...previous, ...done], data: checkpointDataMeta(data) });
          const modelJson = JSON.stringify(ck.modelJson);
          deps.post({ type: 'checkpoint', uri: msg.uri, version: msg.version, run: msg.run, model: name, epoch: logs.epoch, modelJson, weightsFile: ck.weightsFile, weights: ck.weights });
          const saved = await deps.waitSaved(msg.run, logs.epoch);
          if (saved.error) throw new Error(`the checkpoint of epoch ${logs.epoch} was not written: ${saved.error}`);
          deps.onWeights({ type: 'weights', uri: msg.uri, model: name, epoch: logs.epoch, modelJson, weights: ck.weights });
        },
      });
      this.emit({ kind: 'done', status: history.status });
      return history.status;
    } catch (e) {
      this.emit({ kind: 'done', status: 'failed', message: e instanceof Error ? e.message : String(e) });
      return 'failed';
    } finally {
      if (built) disposeLayers(built);
    }
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
