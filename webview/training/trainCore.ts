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
import { reviveModel, type HistoryFigures, type TrainingEvent, type TrainStartMessage } from '../../extension/core/protocol';
import type { Tf } from '../../extension/core/layers/types';
import { buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { encodeCheckpoint, optimizerRestorer, resumeModel, type ModelJson, type Resumed } from '../../extension/core/runtime/checkpoint';
import { registerTrainingKernels } from '../../extension/core/runtime/kernels';
import { splitCounts, symbolicDimsFor, trainModel, type EpochLogs, type TrainOptions } from '../../extension/core/runtime/train';
import { trainInputShapes } from '../../extension/core/runtime/diffusion';
import { encodeGanCheckpoints, resumeDiscriminator, trainGan } from '../../extension/core/runtime/gan';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { checkpointDataMeta, checkpointForHost, datasetFromPayload } from '../../extension/core/runtime/trainTransfer';
import { disposeLayers } from '../host/session';
import { SaturationNotice } from '../../extension/core/runtime/saturation';

/** A checkpoint of a complete epoch, as the host writes it. */
export interface EncodedCheckpoint {
  /** Whose: the run's model when absent; a GAN's discriminator sends its own under its name. */
  model?: string;
  epoch: number;
  modelJson: string;
  weightsFile: string;
  weights: Uint8Array;
  /** The optimizer's state file (named in `modelJson`), written with the weights. */
  optimizer?: Uint8Array;
}

/**
 * A resumed checkpoint's per-epoch figures for the `start` event: integer
 * epochs with a finite loss, val_loss when finite, and the finite metrics,
 * time and examples the Training tab's table lists.
 */
export function historyFigures(history: readonly EpochLogs[]): HistoryFigures[] {
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const figures = (r: unknown): Record<string, number> | undefined => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return undefined;
    const out = Object.fromEntries(Object.entries(r).filter(([, v]) => finite(v))) as Record<string, number>;
    return Object.keys(out).length ? out : undefined;
  };
  return history
    .filter((h) => h && Number.isSafeInteger(h.epoch) && h.epoch >= 0 && finite(h.loss))
    .map((h) => {
      const metrics = figures(h.metrics);
      const valMetrics = figures(h.valMetrics);
      return {
        epoch: h.epoch,
        loss: h.loss,
        ...(finite(h.valLoss) ? { valLoss: h.valLoss } : {}),
        ...(metrics ? { metrics } : {}),
        ...(valMetrics ? { valMetrics } : {}),
        ...(finite(h.ms) && h.ms >= 0 ? { ms: h.ms } : {}),
        ...(Number.isSafeInteger(h.examples) && h.examples >= 0 ? { examples: h.examples } : {}),
        ...(finite(h.clipped) && h.clipped >= 0 && h.clipped <= 1 ? { clipped: h.clipped } : {}),
      };
    });
}

/** A `ResumePayload` of the train message, parsed for `resumeModel`. */
function resumeSource(r: NonNullable<TrainStartMessage['resume']>) {
  return { modelJson: JSON.parse(r.modelJson) as ModelJson, weights: r.weights, optimizer: r.optimizer, optimizerProblem: r.optimizerProblem };
}

/** `msg` without the checkpoint bytes it resumes from (its own and a GAN discriminator's). */
export function withoutResume(msg: TrainStartMessage): TrainStartMessage {
  const { resume: _resume, discriminator, ...rest } = msg;
  if (!discriminator) return rest;
  const { resume: _dResume, ...d } = discriminator;
  return { ...rest, discriminator: d };
}

/** The message's fields of an encoded checkpoint (the optimizer's state only when there is one). */
function encoded(ck: Awaited<ReturnType<typeof encodeCheckpoint>>): Omit<EncodedCheckpoint, 'model' | 'epoch'> {
  return { modelJson: JSON.stringify(ck.modelJson), weightsFile: ck.weightsFile, weights: ck.weights, ...(ck.optimizer ? { optimizer: ck.optimizer } : {}) };
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
  /** A GAN's discriminator (`loss: adversarial`), built and trained beside the generator. */
  let discriminator: { built: BuiltModel; info: ModelInfo } | undefined;
  try {
    ensureTrainingKernels(tf);
    const info = reviveModel(msg.model);
    // Generating a built-in set takes a moment: let the page draw "starting" first.
    await io.yieldNow();
    // A two-input (encoder-decoder) model gets `sequences` as teacher-forcing pairs.
    const data = datasetFromPayload(msg.data, info.inputs.length);
    built = buildModel(tf, info, { seed: msg.seed, symbolicDims: symbolicDimsFor(info, trainInputShapes(info, msg.config.loss, data)) });
    const warn = (message: string) => io.emit({ kind: 'warning', message });
    const resumed = msg.resume ? resumeModel(tf, built, resumeSource(msg.resume)) : undefined;
    let dResume = msg.discriminator?.resume;
    // The checkpoint bytes are applied (the optimiser's state is held by `resumed` until it is restored): the
    // rest of the run, whose closures read `msg`, sees it without them, so they can be collected.
    msg = withoutResume(msg);
    const initialEpoch = resumed?.epoch ?? 0;
    const previous: EpochLogs[] = resumed?.history ?? [];
    for (const p of resumed?.problems ?? []) warn(p);
    let dResumed: Resumed | undefined;
    if (msg.discriminator) {
      const dInfo = reviveModel(msg.discriminator.model);
      // Its own seeds (as the CLI): the two models do not start from the same random numbers.
      discriminator = { info: dInfo, built: buildModel(tf, dInfo, { seed: msg.seed + 1000, symbolicDims: symbolicDimsFor(dInfo, [data.exampleShape]) }) };
      if (resumed) {
        // The CLI's checks too (runtime/gan.ts): none, an older epoch than the generator's, layers that do not fit.
        const d = resumeDiscriminator(tf, discriminator.built, dInfo.name, initialEpoch, dResume && resumeSource(dResume));
        dResumed = d.resumed;
        for (const w of d.warnings) warn(w);
      }
    }
    // An async function's locals live as long as the run: let go of the discriminator's bytes too.
    dResume = undefined;
    // The examples trained on and those validating (a text's windows between them are in neither), as `nnmodel train` says.
    const counts = splitCounts(data, msg.config);
    io.emit({
      kind: 'start',
      epochs: initialEpoch + msg.config.epochs,
      examples: counts.train,
      ...(counts.validation ? { validation: counts.validation } : {}),
      backend: tf.getBackend(),
      source: data.source,
      ...(initialEpoch ? { resumedFrom: initialEpoch } : {}),
      // The epochs before it: the tab's best epoch and overfitting verdict read them with this run's, as best.json does.
      // Finite figures only: a checkpoint's JSON keeps a NaN as null, which the host would refuse (and the event with it).
      ...(previous.length ? { history: historyFigures(previous) } : {}),
    });
    const done: EpochLogs[] = [];
    const saturation = new SaturationNotice();
    // Each file within the host's limit before it is sent (the host drops a message over it): a state too
    // large is left out, said once per model; weights too large fail the run with the reason.
    const oversized = new Set<string>();
    const send = async (ck: EncodedCheckpoint) => {
      const fitted = checkpointForHost(ck);
      const who = ck.model ?? name;
      if (fitted.warning && !oversized.has(who)) {
        oversized.add(who);
        warn(ck.model ? `${ck.model}: ${fitted.warning}` : fitted.warning);
      }
      await io.checkpoint(fitted.ck);
    };
    const model = built;
    const gan = discriminator;
    const options: TrainOptions = {
      config: { ...msg.config },
      seed: msg.seed,
      initialEpoch,
      token: io.token,
      yieldEvery: io.yieldNow,
      onBatch: (b) => io.emit({ kind: 'batch', ...b }),
      // A generative objective's images, for the Training tab (the page keeps them; the host never gets them).
      onSamples: (strip) => io.emit({ kind: 'samples', strip }),
      // Signal & gradients for the Training tab: at initialisation and after each epoch (a GAN reports none).
      signals: { built: model, onSignals: (report) => io.emit({ kind: 'signals', report }) },
      prepareOptimizer: optimizerRestorer(tf, msg.config.optimizer, { model: resumed, generator: resumed, discriminator: dResumed }, warn, gan ? { discriminator: gan.info.name } : {}),
      onEpoch: async (logs, optimizers) => {
        done.push(logs);
        io.emit({ kind: 'epoch', epoch: logs.epoch, loss: logs.loss, metrics: logs.metrics, valLoss: logs.valLoss, valMetrics: logs.valMetrics, ms: logs.ms, examples: logs.examples });
        // Predictions stuck at the loss's clip: a warning (the tab's list, the host's output), once.
        const stuck = saturation.next(logs);
        if (stuck) warn(stuck);
        const meta = { source: msg.uri, epoch: logs.epoch, history: [...previous, ...done], data: checkpointDataMeta(data) };
        if (gan) {
          const cks = await encodeGanCheckpoints({ built: model, name }, { built: gan.built, name: gan.info.name }, meta, msg.config, optimizers);
          // The discriminator's first: the generator's checkpoint, the run's own, marks the epoch complete.
          await send({ model: gan.info.name, epoch: logs.epoch, ...encoded(cks.discriminator) });
          await send({ epoch: logs.epoch, ...encoded(cks.generator) });
          return;
        }
        // Masked language modelling is recorded, so that Evaluate measures what the model was trained for.
        const objective = msg.config.mask !== undefined ? { objective: { mask: msg.config.mask } } : {};
        const ck = await encodeCheckpoint(model, { ...meta, ...objective, model: name }, optimizers.model && { optimizer: optimizers.model, config: msg.config.optimizer });
        await send({ epoch: logs.epoch, ...encoded(ck) });
      },
    };
    const history = gan
      ? await trainGan(tf, { model: model.model, info }, { model: gan.built.model, info: gan.info }, data, options)
      : await trainModel(tf, model.model, info, data, options);
    io.emit({ kind: 'done', status: history.status });
    return history.status;
  } catch (e) {
    io.emit({ kind: 'done', status: 'failed', message: e instanceof Error ? e.message : String(e) });
    return 'failed';
  } finally {
    if (built) disposeLayers(built);
    if (discriminator) disposeLayers(discriminator.built);
  }
}
