/**
 * The Training tab's "Measure at initialisation": Signal & gradients
 * (runtime/signals.ts) of a model with its initial weights, before any
 * training, on a sample batch of its train section's built-in data, so that
 * a plain and a residual model can be compared at once. Runs on the page's
 * tfjs, on a model built for it and freed after (the inspector's own
 * session and its weights are untouched).
 */
import type { ModelMessage } from '../../extension/core/protocol';
import { reviveModel } from '../../extension/core/protocol';
import type { Tf } from '../../extension/core/layers/types';
import { buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { builtinDataset } from '../../extension/core/runtime/data/builtin';
import { batchTensors, checkDataFits, inputShapes, lossValue, outputKind, symbolicDimsFor, targetsFor, validationSplit, TRAIN_SEED } from '../../extension/core/runtime/train';
import { measureSignals, signalsUnsupported, type SignalsReport } from '../../extension/core/runtime/signals';
import { disposeLayers } from '../host/session';

/** Why `msg`'s model cannot be measured at initialisation here (undefined when it can). */
export function initialSignalsUnavailable(msg: Pick<ModelMessage, 'train' | 'sample' | 'model'>): string | undefined {
  if (msg.model.hasErrors) return 'fix the errors in the model first';
  if (!msg.train) return 'the model has no train section, so there is no loss to take gradients of';
  const unsupported = signalsUnsupported(msg.train);
  if (unsupported) return unsupported;
  if (!msg.sample) return 'its data are your files, which are read when training starts: Train Model measures the initial weights first (the dashed line)';
  return undefined;
}

/**
 * One forward and backward pass of `msg`'s model, built with the initial
 * weights a training run in the editor starts from (`TRAIN_SEED`, not the
 * inspector's `msg.seed`), on the first batch of its training split: the
 * figures the run measures first. Throws an Error whose message is for the user.
 */
export async function measureInitialSignals(tf: Tf, msg: ModelMessage): Promise<SignalsReport> {
  const why = initialSignalsUnavailable(msg);
  if (why) throw new Error(why);
  const info = reviveModel(msg.model);
  const config = { ...msg.train!, data: undefined };
  const given = builtinDataset({ kind: msg.sample!.kind, options: msg.sample!.options }, info.inputs.length);
  let built: BuiltModel | undefined;
  try {
    built = buildModel(tf, info, { seed: TRAIN_SEED, symbolicDims: symbolicDimsFor(info, inputShapes(given)) });
    const data = targetsFor(built.model, given);
    checkDataFits(built.model, info, data, config);
    // The split a training run in the editor makes (its seed): the first batch it measures first.
    const train = validationSplit(data.count, config.validation, TRAIN_SEED).train;
    const batch = batchTensors(tf, data, train, 0, Math.min(train.length, config.batch));
    const kind = outputKind(info);
    try {
      return await measureSignals(tf, built, batch, (y, out) => lossValue(tf, config.loss, kind, y, out));
    } finally {
      tf.dispose([...[batch.x].flat(), batch.y]);
    }
  } finally {
    if (built) disposeLayers(built);
  }
}
