/**
 * One training run on a TensorFlow.js instance, with no DOM and no page
 * state, so that the same code trains in the training worker (worker.ts)
 * and, as a fallback, on the inspector page (runner.ts): builds the model
 * with the core's `buildModel`, applies the checkpoint to resume from,
 * trains with the core's `trainModel` (with the project's training kernels
 * registered), and after each epoch encodes a checkpoint with
 * `encodeCheckpoint` and waits until the host has written it (so the host's
 * "last good checkpoint" is always a complete epoch).
 */
import { reviveModel, type TrainingEvent, type TrainStartMessage } from '../../extension/core/protocol';
import type { Tf } from '../../extension/core/layers/types';
import { buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { applyCheckpoint, encodeCheckpoint, type ModelJson } from '../../extension/core/runtime/checkpoint';
import { registerTrainingKernels } from '../../extension/core/runtime/kernels';
import { inputShapes, symbolicDimsFor, trainModel, type EpochLogs } from '../../extension/core/runtime/train';
import { checkpointDataMeta, datasetFromPayload } from '../../extension/core/runtime/trainTransfer';
import { disposeLayers } from '../host/session';

/** A checkpoint of a complete epoch, as the host writes it. */
export interface EncodedCheckpoint {
  epoch: number;
  modelJson: string;
  weightsFile: string;
  weights: Uint8Array;
}

export interface TrainIo {
  /** Every event of the run, in order (the caller throttles what goes to the host). */
  emit(event: TrainingEvent): void;
  /**
   * Hands the checkpoint of a complete epoch over and resolves once the host
   * has written it; rejects (and so fails the run) if it was not written.
   */
  checkpoint(ck: EncodedCheckpoint): Promise<void>;
  /** Lets the thread breathe between batches (a Cancel must get in). */
  yieldNow(): Promise<void>;
  /** Set by a Cancel; read between batches. */
  token: { cancelled: boolean };
}

const registered = new WeakSet<object>();

/** Registers the project's training kernels once per tfjs instance (after its backends are imported). */
export function ensureTrainingKernels(tf: Tf): void {
  if (registered.has(tf)) return;
  registerTrainingKernels(tf);
  registered.add(tf);
}

/** Runs `msg` to its end; never throws (a failure is a `done` event with its message). */
export async function runTraining(tf: Tf, msg: TrainStartMessage, io: TrainIo): Promise<'completed' | 'cancelled' | 'failed'> {
  const name = msg.model.name;
  let built: BuiltModel | undefined;
  try {
    ensureTrainingKernels(tf);
    const info = reviveModel(msg.model);
    // Generating a built-in set takes a moment: let the page draw "starting" first.
    await io.yieldNow();
    // A two-input (encoder-decoder) model gets `sequences` as teacher-forcing pairs.
    const data = datasetFromPayload(msg.data, info.inputs.length);
    built = buildModel(tf, info, { seed: msg.seed, symbolicDims: symbolicDimsFor(info, inputShapes(data)) });
    let initialEpoch = 0;
    let previous: EpochLogs[] = [];
    if (msg.resume) {
      const json = JSON.parse(msg.resume.modelJson) as ModelJson;
      const match = applyCheckpoint(tf, built, json, msg.resume.weights);
      initialEpoch = json.nnmodel.epoch;
      previous = json.nnmodel.history ?? [];
      for (const p of match.problems) io.emit({ kind: 'warning', message: p });
    }
    io.emit({
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
      token: io.token,
      yieldEvery: io.yieldNow,
      onBatch: (b) => io.emit({ kind: 'batch', ...b }),
      onEpoch: async (logs) => {
        done.push(logs);
        io.emit({ kind: 'epoch', epoch: logs.epoch, loss: logs.loss, metrics: logs.metrics, valLoss: logs.valLoss, valMetrics: logs.valMetrics, ms: logs.ms, examples: logs.examples });
        const ck = await encodeCheckpoint(model, { model: name, source: msg.uri, epoch: logs.epoch, history: [...previous, ...done], data: checkpointDataMeta(data) });
        await io.checkpoint({ epoch: logs.epoch, modelJson: JSON.stringify(ck.modelJson), weightsFile: ck.weightsFile, weights: ck.weights });
      },
    });
    io.emit({ kind: 'done', status: history.status });
    return history.status;
  } catch (e) {
    io.emit({ kind: 'done', status: 'failed', message: e instanceof Error ? e.message : String(e) });
    return 'failed';
  } finally {
    if (built) disposeLayers(built);
  }
}
