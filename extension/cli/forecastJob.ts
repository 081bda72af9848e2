/**
 * `nnmodel forecast`'s job in Node: the checkpointed sequence-regression
 * model (trained on `waves`) rolls a held-out example of its data out
 * N steps past its end (core/runtime/forecast.ts), beside what really
 * came next. Loaded on first use, like trainJob.ts: it needs tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { checkpointDir, checkpointExampleShape } from '../core/runtime/checkpoint';
import { builtFit, forecastFit, forecastScores, forecastSeries, heldOutExamples, wavesForecastExample, wavesOptions, windowProblem, type Forecast } from '../core/runtime/forecast';
import { buildModel } from '../core/runtime/build';
import { symbolicDimsFor, trainedDims, TRAIN_SEED, yieldToEventLoop, type CancelToken } from '../core/runtime/train';
import type { JobRequest } from '../core/runtime/jobProtocol';
import { analyzeRequest, checkpointToLoad, JobError, loadFitting, pickTrain, startBackend } from './trainJob';

export interface ForecastRequest {
  steps: number;
  /** The example of the data to continue; default the first held-out one. */
  example?: number;
}

export interface ForecastResult extends Forecast {
  model: string;
  epoch: number;
  example: number;
  /** Whether the example is in the validation split (the model never trained on it). */
  heldOut: boolean;
  scores: ReturnType<typeof forecastScores>;
  /** A best checkpoint that is not the run's lowest val_loss (runtime/checkpoint.ts bestWarning). */
  warning?: string;
  /**
   * Cancelled (`ForecastHooks.token`): the steps asked for. `truth` is then
   * cut to the steps forecast, `oneStep` may be shorter still, and its RMSE
   * is NaN unless it covers every step shown.
   */
  stopped?: { steps: number };
}

/**
 * The event loop runs between steps once this many ms have passed since it
 * last did, so a Ctrl-C is seen within about that; not after every step,
 * whose turn would add to each of a tiny model's sub-millisecond steps.
 */
export const FORECAST_YIELD_MS = 8;

/** How a forecast is stopped and followed. */
export interface ForecastHooks {
  /** Read before every step (of the forecast, then of the one-step predictions): true stops. */
  token?: CancelToken;
  /** After each step, before the event loop runs (a Ctrl-C is seen between steps). */
  onStep?(phase: 'forecast' | 'oneStep', step: number): void;
}

export async function runForecastJob(req: JobRequest, f: ForecastRequest, hooks: ForecastHooks = {}): Promise<ForecastResult> {
  await startBackend(req.backend);
  const file = resolve(req.file);
  const analysis = analyzeRequest({ file, text: req.text });
  const { info, train } = pickTrain(analysis, req.file, req.model);
  const data = train.config.data!;
  if (data.kind !== 'waves') {
    const instead = data.kind === 'text' ? ' For a language model, nnmodel generate continues a text.' : '';
    throw new JobError(`${info.name} trains on ${data.kind}(...), which is not a series; a forecast continues the series of data: waves(...), the model predicting the next value at every step.${instead}`);
  }
  const fit = forecastFit(info);
  if ('error' in fit) throw new JobError(fit.error);
  const options = wavesOptions(data.options);
  const fixed = windowProblem(info.name, fit, fit, options.length);
  if (fixed) throw new JobError(fixed);
  const seed = req.seed ?? TRAIN_SEED;
  const held = heldOutExamples(options.samples, train.config.validation, seed);
  const example = f.example ?? held[0];
  if (!Number.isInteger(example) || example < 0 || example >= options.samples) {
    throw new JobError(`waves(samples = ${options.samples}) has examples 0 to ${options.samples - 1}; --example ${example} is not one of them.`);
  }
  const dir = checkpointDir(file, info.name, req.checkpointFolder);
  const ck = await checkpointToLoad(dir, req.checkpoint ?? 'last', info.name, `no checkpoint for ${info.name} in ${dir}; train it first (nnmodel train).`);
  // As the inspector builds it: a [seq, 1] model whose parameter count depends on seq (flatten -> dense) at the
  // length its checkpoint was trained at, so that the weights fit after the section's length changed; else the section's.
  const trained = trainedDims(info, checkpointExampleShape(ck.modelJson.nnmodel));
  const built = buildModel(tf, info, { seed: 1, symbolicDims: trained ?? symbolicDimsFor(info, [options.length, 1]) });
  try {
    loadFitting(built, info, ck, req.checkpoint ?? 'last');
    const problem = windowProblem(info.name, fit, builtFit(fit, built.model), options.length);
    if (problem) throw new JobError(problem);
    const { seed: seedValues, truth } = wavesForecastExample(data.options, example, f.steps);
    const token = hooks.token;
    // The steps let the event loop run (every FORECAST_YIELD_MS): a Ctrl-C (a signal is a task, not a microtask) is seen between two.
    let ran = performance.now();
    const step = (phase: 'forecast' | 'oneStep') => async (k: number) => {
      hooks.onStep?.(phase, k);
      if (performance.now() - ran < FORECAST_YIELD_MS) return;
      await yieldToEventLoop();
      ran = performance.now();
    };
    const result = await forecastSeries(tf, built.model, fit, seedValues, truth, {
      window: options.length,
      cancelled: () => token?.cancelled ?? false,
      onStep: step('forecast'),
      onOneStep: step('oneStep'),
    });
    const stopped = result.forecast.length < truth.length || result.oneStep.length < truth.length;
    // Stopped: what was done, the truth cut to the steps forecast; a one-step RMSE only over all of them.
    const done = stopped ? { ...result, truth: truth.slice(0, result.forecast.length) } : result;
    const scores = forecastScores(done);
    if (done.oneStep.length < done.truth.length) scores.oneStep = NaN;
    return {
      ...done,
      model: info.name,
      epoch: ck.modelJson.nnmodel.epoch,
      example,
      heldOut: train.config.validation > 0 && held.includes(example),
      scores,
      ...(ck.warning ? { warning: ck.warning } : {}),
      ...(stopped ? { stopped: { steps: truth.length } } : {}),
    };
  } finally {
    built.model.dispose();
  }
}
