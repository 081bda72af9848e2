/**
 * `nnmodel forecast`'s job in Node: the checkpointed sequence-regression
 * model (trained on `waves`) rolls a held-out example of its data out
 * N steps past its end (core/runtime/forecast.ts), beside what really
 * came next. Loaded on first use, like trainJob.ts: it needs tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { resolve } from 'node:path';
import { checkpointDir, readCheckpoint } from '../core/runtime/checkpoint';
import { forecastFit, forecastScores, forecastSeries, heldOutExamples, wavesForecastExample, wavesOptions, type Forecast } from '../core/runtime/forecast';
import { buildModel } from '../core/runtime/build';
import { symbolicDimsFor, TRAIN_SEED } from '../core/runtime/train';
import { nodeCheckpointFs } from '../core/runtime/nodeFs';
import type { JobRequest } from '../core/runtime/jobProtocol';
import { analyzeRequest, JobError, loadFitting, pickTrain, startBackend } from './trainJob';

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
}

export async function runForecastJob(req: JobRequest, f: ForecastRequest): Promise<ForecastResult> {
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
  if (fit.window !== undefined && fit.window > options.length) {
    throw new JobError(`${info.name} reads ${fit.window} values at a time, but waves(length = ${options.length}) gives it ${options.length}.`);
  }
  const seed = req.seed ?? TRAIN_SEED;
  const held = heldOutExamples(options.samples, train.config.validation, seed);
  const example = f.example ?? held[0];
  if (!Number.isInteger(example) || example < 0 || example >= options.samples) {
    throw new JobError(`waves(samples = ${options.samples}) has examples 0 to ${options.samples - 1}; --example ${example} is not one of them.`);
  }
  const dir = checkpointDir(file, info.name, req.checkpointFolder);
  const ck = await readCheckpoint(nodeCheckpointFs(), dir, { which: req.checkpoint ?? 'last' }).catch((e: Error) => {
    throw new JobError(/no checkpoint here/.test(e.message) ? `no checkpoint for ${info.name} in ${dir}; train it first (nnmodel train).` : e.message);
  });
  const built = buildModel(tf, info, { seed: 1, symbolicDims: symbolicDimsFor(info, [options.length, 1]) });
  try {
    loadFitting(built, info, ck, req.checkpoint ?? 'last');
    const { seed: seedValues, truth } = wavesForecastExample(data.options, example, f.steps);
    const result = await forecastSeries(tf, built.model, fit, seedValues, truth, { window: options.length });
    return {
      ...result,
      model: info.name,
      epoch: ck.modelJson.nnmodel.epoch,
      example,
      heldOut: train.config.validation > 0 && held.includes(example),
      scores: forecastScores(result),
      ...(ck.warning ? { warning: ck.warning } : {}),
    };
  } finally {
    built.model.dispose();
  }
}
