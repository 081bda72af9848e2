// The Forecast tab of a `[seq, 1]` model whose parameter count depends on `seq` (`flatten -> dense`):
// the inspector's session used to build it at the sample size (SAMPLE_DIM, 16), so a forecast fed
// windows of its waves length failed inside tfjs ("expected input_x to have shape [null,16,1]") and
// weights trained at that length did not fit. The session is now built at the length of the trained
// weights (the checkpoint's data), else of its train section's waves; a length the examples cannot
// give gets a message naming the fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { reviveModel, serializeModel, type WeightsMessage } from '../../extension/core/protocol';
import { buildModel } from '../../extension/core/runtime/build';
import { encodeCheckpoint } from '../../extension/core/runtime/checkpoint';
import { builtFit, forecastFit, forecastSeries, wavesForecastExample, type ForecastFit } from '../../extension/core/runtime/forecast';
import { MAX_INSPECT_PARAMS, ModelSession, SAMPLE_DIM, trainedDims } from '../../webview/host/session';
import { TrainedWeights } from '../../webview/training/weights';
import { wavesExampleShape, windowProblem } from '../../webview/views/forecastModel';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

const URI = 'file:///w.nnmodel';

/** As the page gets it: through the protocol. */
function model(text: string): ModelInfo {
  const a = analyze(text, { uri: URI });
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return reviveModel(JSON.parse(JSON.stringify(serializeModel(a.models[0]))));
}

const FLAT = model(`model W {
  input x: [seq, 1]
  output x -> flatten -> dense(1)
}
`);

const CAUSAL = model(`model C {
  input x: [seq, 1]
  output x -> conv1d(1, 3, padding = causal)
}
`);

const waves = (length: number) => ({ kind: 'waves' as const, options: { samples: 20, length } });

/** A checkpoint of FLAT trained on windows of `length`, as a weights message. */
async function checkpointAt(length: number): Promise<WeightsMessage> {
  const built = buildModel(tf, FLAT, { seed: 3, symbolicDims: { seq: length } });
  try {
    const ck = await encodeCheckpoint(built, { model: 'W', epoch: 2, history: [], data: { source: 'waves', classes: [], exampleShape: [length, 1] } });
    return { type: 'weights', uri: URI, model: 'W', epoch: 2, modelJson: JSON.stringify(ck.modelJson), weights: ck.weights };
  } finally {
    built.model.dispose();
  }
}

async function forecast(s: ModelSession, length: number, steps = 5) {
  const fit = forecastFit(s.modelInfo) as ForecastFit;
  const { seed, truth } = wavesForecastExample(waves(length).options, 0, steps);
  return forecastSeries(tf, s.built.model, fit, seed, truth, { window: seed.length });
}

test('a [seq, 1] -> flatten -> dense model of a waves(length = 32) section is built at 32 and forecasts from windows of 32', async () => {
  assert.deepEqual(wavesExampleShape(waves(32)), [32, 1]);
  assert.equal(wavesExampleShape({ kind: 'digits', options: {} }), undefined);
  assert.equal(wavesExampleShape(undefined), undefined);
  const s = ModelSession.create(tf, FLAT, { seed: 1, exampleShape: wavesExampleShape(waves(32)) });
  try {
    assert.deepEqual(s.built.model.inputs[0].shape, [null, 32, 1]);
    assert.equal(s.dims.seq, 32, 'the sample input has the same length');
    await s.forward();
    const f = await forecast(s, 32);
    assert.equal(f.window, 32);
    assert.equal(f.forecast.length, 5);
    assert.ok(Array.from(f.forecast).every(Number.isFinite));
  } finally {
    s.dispose();
  }
});

test('weights trained at another length: the session is built at theirs, they load, and the tab says what to change when the examples are shorter', async () => {
  const weights = new TrainedWeights();
  assert.equal(weights.exampleShape(URI, 'W'), undefined, 'no weights yet');
  weights.remember(await checkpointAt(40));
  assert.deepEqual(weights.exampleShape(URI, 'W'), [40, 1]);
  const shape = weights.exampleShape(URI, 'W') ?? wavesExampleShape(waves(32));
  const s = ModelSession.create(tf, FLAT, { seed: 1, exampleShape: shape });
  try {
    const r = weights.applyTo(s, URI, 'W');
    assert.ok(r);
    assert.deepEqual([r.loaded, r.total, r.problems], [1, 1, []], 'the trained dense layer fits');
    const read = forecastFit(s.modelInfo) as ForecastFit;
    const fit = builtFit(read, s.built.model);
    assert.deepEqual(fit, { window: 40, output: 'last' });
    assert.equal(
      windowProblem('W', read, fit, 32),
      'W reads 40 values at a time (its parameter count depends on seq, and its trained weights are for seq = 40), but waves(length = 32) gives it 32: set length = 40 in its train section, or train it again at length 32.',
    );
    assert.equal(windowProblem('W', read, fit, 40), undefined);
    // Examples at least that long: the forecast reads their last 40 values.
    const f = await forecast(s, 48);
    assert.equal(f.window, 40);
  } finally {
    s.dispose();
  }
  // A fixed [n, 1] input longer than the examples: the message names the length to set.
  const fixed = { window: 64, output: 'sequence' } as const;
  assert.equal(windowProblem('F', fixed, fixed, 32), 'F reads 64 values at a time, but waves(length = 32) gives it 32: set length = 64 or more in its train section.');
});

test('trainedDims: only what the parameter count needs, from whole sizes; otherwise the sample size', () => {
  assert.deepEqual(trainedDims(FLAT, [32, 1]), { seq: 32 });
  assert.equal(trainedDims(FLAT, undefined), undefined);
  assert.equal(trainedDims(FLAT, [0, 1]), undefined);
  assert.equal(trainedDims(FLAT, []), undefined);
  assert.equal(trainedDims(CAUSAL, [32, 1]), undefined, 'nothing to fix: any length runs');
  // A conv1d model stays flexible: the sample size feeds the views, any window the forecast.
  const c = ModelSession.create(tf, CAUSAL, { seed: 1, exampleShape: [32, 1] });
  try {
    assert.deepEqual(c.built.model.inputs[0].shape, [null, null, 1]);
    assert.equal(c.dims.seq, SAMPLE_DIM);
  } finally {
    c.dispose();
  }
  // Too large to run here at its trained size: built at the sample size instead of refused.
  const s = ModelSession.create(tf, FLAT, { seed: 1, exampleShape: [MAX_INSPECT_PARAMS + 1, 1] });
  try {
    assert.deepEqual(s.built.model.inputs[0].shape, [null, SAMPLE_DIM, 1]);
  } finally {
    s.dispose();
  }
});
