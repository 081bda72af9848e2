// Forecasting (core/runtime/forecast.ts, `nnmodel forecast`): the autoregressive rollout against
// tiny models whose forecasts are computed by hand, which models fit, the true continuation of a
// waves example, and the CLI end to end on a model trained for one epoch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo } from '../../extension/core/analysis/types';
import { buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { waves, waveSeries } from '../../extension/core/runtime/data/synthetic';
import {
  builtFit,
  forecastFit,
  forecastScores,
  forecastSeries,
  heldOutExamples,
  modelNextValue,
  oneStepAhead,
  rollout,
  wavesForecastExample,
  windowProblem,
} from '../../extension/core/runtime/forecast';
import { targetsFor, trainedDims, validationSplit } from '../../extension/core/runtime/train';
import { builtinDataset } from '../../extension/core/runtime/data/builtin';
import { checkpointDir, checkpointExampleShape, encodeCheckpoint, writeCheckpoint } from '../../extension/core/runtime/checkpoint';
import { nodeCheckpointFs } from '../../extension/core/runtime/nodeFs';
import { COMMANDS } from '../../extension/cli/cli';
import { runCli as run, withWorkspace as inWorkspace } from '../fixtures/cli';
import { forecastStoppedText } from '../../extension/cli/forecast';
import { FORECAST_YIELD_MS, runForecastJob, type ForecastResult } from '../../extension/cli/forecastJob';
import { trainedDims as sessionTrainedDims } from '../../webview/host/session';
import { windowProblem as tabWindowProblem } from '../../webview/views/forecastModel';
import { chartColumns, chartWidth, forecastOffered } from '../../webview/views/forecastModel';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

function model(text: string, name?: string): ModelInfo {
  const a = analyze(text, { uri: 'mem:/forecast.nnmodel' });
  const m = name ? a.models.find((x) => x.name === name) : a.models[0];
  assert.ok(m, 'the model is analysed');
  return m;
}

/** The only weighted layer of `built` gets `weights`. */
function setOnlyLayer(built: BuiltModel, weights: tf.Tensor[]): void {
  const layers = [...new Set(built.layerOf.values())].filter((l) => l.getWeights().length > 0);
  assert.equal(layers.length, 1, 'one weighted layer');
  layers[0].setWeights(weights);
}

const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-5) => {
  assert.equal(actual.length, expected.length, `${Array.from(actual)} vs ${expected}`);
  expected.forEach((e, i) => assert.ok(Math.abs(actual[i] - e) <= tol * Math.max(1, Math.abs(e)), `value ${i}: ${actual[i]} vs ${e} (${Array.from(actual)})`));
};

// x[t+1] = 0.5·x[t−1] + 2·x[t] + 1: a causal conv1d of kernel 2 (its first tap on the earlier value) and bias 1.
const CAUSAL = `model Next {
  input x: [seq, 1]
  output x -> conv1d(1, 2, padding = causal)
}
`;

test('rollout feeds each prediction back: a causal conv1d x[t+1] = 0.5·x[t−1] + 2·x[t] + 1 from the seed 1, 2', async () => {
  const info = model(CAUSAL);
  const fit = forecastFit(info);
  assert.deepEqual(fit, { output: 'sequence' });
  const built = buildModel(tf, info, { seed: 1 });
  try {
    setOnlyLayer(built, [tf.tensor3d([0.5, 2], [2, 1, 1]), tf.tensor1d([1])]);
    const next = modelNextValue(tf, built.model, fit as { output: 'sequence' });
    // 0.5·1 + 2·2 + 1 = 5.5; 0.5·2 + 2·5.5 + 1 = 13; 0.5·5.5 + 2·13 + 1 = 29.75; 0.5·13 + 2·29.75 + 1 = 67.
    close(await rollout(next, [1, 2], 4, { window: 2 }), [5.5, 13, 29.75, 67]);
    // A longer window sees the same two last values: the same forecast (the padding only touches the first step).
    close(await rollout(next, [7, 1, 2], 4, { window: 8 }), [5.5, 13, 29.75, 67]);
    // A window of 1 sees only x[t] (x[t−1] is the causal padding's 0): x[t+1] = 2·x[t] + 1.
    close(await rollout(next, [1, 2], 3, { window: 1 }), [5, 11, 23]);
    // Fed the truth instead: each step predicted from the true values before it, never its own.
    close(await oneStepAhead(next, [1, 2, 3, 4], 2, 2, 2), [0.5 * 1 + 2 * 2 + 1, 0.5 * 2 + 2 * 3 + 1]);
    // The whole forecast: its first step is fed only true values, so it is the one-step prediction of that step.
    const f = await forecastSeries(tf, built.model, fit as { output: 'sequence' }, Float32Array.of(1, 2), Float32Array.of(5.5, 10, 20));
    close(f.forecast, [5.5, 13, 29.75]);
    close(f.oneStep, [5.5, 0.5 * 2 + 2 * 5.5 + 1, 0.5 * 5.5 + 2 * 10 + 1]);
    assert.equal(f.window, 2);
    const s = forecastScores(f);
    close([s.forecast, s.oneStep, s.lastValue], [Math.sqrt((0 + 9 + 9.75 ** 2) / 3), Math.sqrt((0 + 3 ** 2 + 3.75 ** 2) / 3), Math.sqrt((3.5 ** 2 + 8 ** 2 + 18 ** 2) / 3)]);
  } finally {
    built.model.dispose();
  }
});

test('rollout with an output [1] and a fixed window of 3: flatten -> dense(1) summing the window gives 3, 5, 9, 17 after 1, 1, 1', async () => {
  const info = model(`model Sum {
  input x: [3, 1]
  output x -> flatten -> dense(1)
}
`);
  const fit = forecastFit(info);
  assert.deepEqual(fit, { window: 3, output: 'last' });
  const built = buildModel(tf, info, { seed: 1 });
  try {
    setOnlyLayer(built, [tf.tensor2d([1, 1, 1], [3, 1]), tf.tensor1d([0])]);
    const f = await forecastSeries(tf, built.model, fit as { window: number; output: 'last' }, Float32Array.of(0, 1, 1, 1), Float32Array.of(3, 5, 9, 17));
    close(f.forecast, [3, 5, 9, 17]);
    assert.equal(f.window, 3, 'the fixed input length, whatever the seed');
    await assert.rejects(forecastSeries(tf, built.model, fit as { window: number; output: 'last' }, Float32Array.of(1, 1), Float32Array.of(2)), /reads 3 values at a time; the seed has only 2/);
  } finally {
    built.model.dispose();
  }
});

test('rollout: cancelled between steps keeps the values so far; a non-finite prediction and bad arguments are errors', async () => {
  let calls = 0;
  const out = await rollout((w) => w[w.length - 1] + 1, [0], 10, { window: 4, cancelled: () => ++calls > 3 });
  assert.deepEqual(Array.from(out), [1, 2, 3]);
  await assert.rejects(rollout(() => NaN, [0], 2, { window: 1 }), /predicted NaN at step 1/);
  await assert.rejects(rollout(() => 0, [], 2, { window: 1 }), /at least one seed value/);
  await assert.rejects(rollout(() => 0, [1], 2, { window: 0 }), /window must be a whole number/);
});

test('oneStepAhead: cancelled between steps stops within one step, keeping the predictions so far', async () => {
  let calls = 0;
  let stop = false;
  const next = (w: Float32Array) => {
    calls++;
    return w[w.length - 1] * 10;
  };
  const steps: number[] = [];
  const out = await oneStepAhead(next, [1, 2, 3, 4, 5, 6], 1, 5, 2, {
    cancelled: () => stop,
    onStep: (k) => {
      steps.push(k);
      if (k === 1) stop = true;
    },
  });
  assert.deepEqual(Array.from(out), [10, 20], 'the two predictions made before the cancel');
  assert.equal(calls, 2, 'no step after the cancel');
  assert.deepEqual(steps, [0, 1]);
  // Not cancelled: every step.
  assert.deepEqual(Array.from(await oneStepAhead(next, [1, 2, 3], 1, 2, 2, { cancelled: () => false })), [10, 20]);
});

test('forecastSeries: a cancel during the one-step-ahead predictions stops them within one step', async () => {
  const info = model(CAUSAL);
  const fit = forecastFit(info) as { output: 'sequence' };
  const built = buildModel(tf, info, { seed: 1 });
  try {
    setOnlyLayer(built, [tf.tensor3d([0.5, 2], [2, 1, 1]), tf.tensor1d([1])]);
    let stop = false;
    let oneSteps = 0;
    const truth = new Float32Array(40).fill(1);
    const f = await forecastSeries(tf, built.model, fit, Float32Array.of(1, 2), truth, {
      cancelled: () => stop,
      onOneStep: () => {
        if (++oneSteps === 3) stop = true;
      },
    });
    assert.equal(f.forecast.length, 40, 'the rollout ran to the end before the cancel');
    assert.equal(f.oneStep.length, 3, 'the one-step predictions stopped at the cancel');
    assert.equal(oneSteps, 3);
  } finally {
    built.model.dispose();
  }
});

test('forecastSeries: a [seq, 1] model built at one length (flatten -> dense needs it) reads windows of that length, not the seed\'s', async () => {
  const info = model(`model Flat {
  input x: [seq, 1]
  output x -> flatten -> dense(1)
}
`);
  const fit = forecastFit(info);
  assert.deepEqual(fit, { output: 'last' }, 'no fixed window in the source');
  const built = buildModel(tf, info, { seed: 1, symbolicDims: { seq: 3 } });
  try {
    setOnlyLayer(built, [tf.tensor2d([1, 1, 1], [3, 1]), tf.tensor1d([0])]);
    assert.deepEqual(builtFit(fit as { output: 'last' }, built.model), { window: 3, output: 'last' });
    // A seed of 5: the window slides over its last 3 values (the model takes nothing else).
    const f = await forecastSeries(tf, built.model, fit as { output: 'last' }, Float32Array.of(9, 9, 1, 1, 1), Float32Array.of(3, 5, 9), { window: 5 });
    close(f.forecast, [3, 5, 9]);
    assert.equal(f.window, 3);
    await assert.rejects(forecastSeries(tf, built.model, fit as { output: 'last' }, Float32Array.of(1, 1), Float32Array.of(2)), /reads 3 values at a time; the seed has only 2/);
  } finally {
    built.model.dispose();
  }
});

test('forecastFit says why a model cannot forecast: token ids, several inputs, an image, class scores per step', () => {
  const fail = (text: string, name?: string) => {
    const r = forecastFit(model(text, name));
    assert.ok('error' in r, `refused: ${JSON.stringify(r)}`);
    return r.error;
  };
  assert.match(fail('model LM {\n  input t: int[seq]\n  output t -> embedding(10, 4) -> dense(10)\n}\n'), /^'LM' reads token ids \(its input 't' is int\[seq\]\), not the values of a series; .*input \[seq, 1\].*\(nnmodel generate, Generate Text\)\.$/);
  assert.match(fail('model Two {\n  input a: [seq, 1]\n  input b: [seq, 1]\n  output a + b\n}\n'), /^'Two' has 2 inputs; .*one input\.$/);
  assert.match(fail('model Img {\n  input i: [8, 8, 1]\n  output i -> flatten -> dense(1)\n}\n'), /^the input 'i' of 'Img' is \[8, 8, 1\]; a forecast feeds a series of numbers/);
  assert.match(fail('model Cls {\n  input x: [seq, 1]\n  output x -> conv1d(3, 1)\n}\n'), /^the output of 'Cls' is \[seq, 3\]; .*: 3 values per step are scores of classes, not the next value/);
  assert.match(fail('model Wide {\n  input x: [seq, 2]\n  output x -> dense(1)\n}\n'), /^the input 'x' of 'Wide' is \[seq, 2\]/);
  // Accepted: a recurrent layer keeping one output per step, and a fixed length.
  assert.deepEqual(forecastFit(model('model R {\n  input x: [seq, 1]\n  output x -> lstm(8, return_sequences = true) -> dense(1)\n}\n')), { output: 'sequence' });
  assert.deepEqual(forecastFit(model('model F {\n  input x: [32, 1]\n  output x -> conv1d(1, 3, padding = causal)\n}\n')), { window: 32, output: 'sequence' });
});

test('waveSeries: example i of waves, values for values, carried on past its end; wavesForecastExample splits it into seed and truth', () => {
  const o = { samples: 7, length: 20, seed: 3 };
  const w = waves(o);
  for (const i of [0, 4, 6]) {
    const s = waveSeries(o, i, 30);
    assert.equal(s.length, 51);
    assert.deepEqual(s.slice(0, 20), w.xs.slice(i * 20, (i + 1) * 20), `example ${i}: the input`);
    assert.deepEqual(s.slice(1, 21), w.ys.slice(i * 20, (i + 1) * 20), `example ${i}: the targets`);
    // The same sines past the end: the continuation moves as smoothly as the example (steps of a series of period ≥ 6).
    const jumps = (a: Float32Array) => Math.max(...Array.from(a.slice(1), (v, k) => Math.abs(v - a[k])));
    assert.ok(jumps(s.slice(20)) < 1.5 * jumps(s.slice(0, 21)) + 0.3, `a smooth continuation: ${jumps(s.slice(20))} vs ${jumps(s.slice(0, 21))}`);
  }
  const e = wavesForecastExample(o, 4, 5);
  assert.deepEqual(e.seed, w.xs.slice(80, 100));
  assert.equal(e.truth.length, 5);
  assert.equal(e.truth[0], w.ys[99], 'the first true value is the example\'s last target');
  assert.deepEqual(e.truth, waveSeries(o, 4, 30).slice(20, 25));
  assert.throws(() => waveSeries(o, 7, 1), /the example must be an integer from 0 to 6/);
});

test('heldOutExamples: the validation split of the training, in order; every example without one', () => {
  const held = heldOutExamples(50, 0.2, 1);
  assert.deepEqual(held, Array.from(validationSplit(50, 0.2, 1).validation).sort((a, b) => a - b));
  assert.equal(held.length, 10);
  assert.deepEqual(heldOutExamples(4, 0, 1), [0, 1, 2, 3]);
});

test('the Forecast tab: offered for waves only; its chart columns join truth and forecast to the seed\'s last value', () => {
  assert.equal(forecastOffered({ kind: 'waves', options: {} }), true);
  assert.equal(forecastOffered({ kind: 'digits', options: {} }), false);
  assert.equal(forecastOffered(undefined), false);
  const cols = chartColumns({ seed: [1, 2, 3], truth: [4, 5], forecast: [4.5, 6] });
  assert.deepEqual(cols, [
    [0, 1, 2, 3, 4],
    [1, 2, 3, null, null],
    [null, null, 3, 4, 5],
    [null, null, 3, 4.5, 6],
  ]);
  // A cancelled forecast shorter than the truth leaves its last steps empty.
  assert.deepEqual(chartColumns({ seed: [1], truth: [2, 3], forecast: [2] })[3], [1, 2, null]);
});

// ---------------------------------------------------------------- the CLI

const withWorkspace = (files: Record<string, string>, body: (dir: string) => Promise<void>) => inWorkspace('nnmodel-forecast-', files, body);

const TINY_TCN = `model Tiny {
  input signal: [seq, 1]
  output signal -> conv1d(8, 3, padding = causal) -> relu -> conv1d(1, 1)
}

train Tiny {
  data: waves(samples = 40, length = 16)
  loss: mse
  optimizer: adam(lr = 1e-2)
  epochs: 1
  batch: 8
  validation: 0.25
}
`;

test('nnmodel help lists forecast; forecast --help shows its options', async () => {
  assert.ok(COMMANDS.some((c) => c.name === 'forecast'));
  const help = await run(tmpdir(), 'help');
  assert.match(help.out, /^ {2}nnmodel forecast FILE \[--model NAME\] \[--checkpoints FOLDER\] \[--checkpoint best\|last\] \[--steps N\] \[--example I\] \[--json\] \[--backend wasm\|cpu\] \[--data-root DIR\]\.\.\.$/m);
  const own = await run(tmpdir(), 'forecast', '--help');
  assert.equal(own.code, 0);
  assert.match(own.out, /-n, --steps N +steps to forecast \(default 64\)/);
  assert.match(own.out, /--example I /);
});

test(
  'nnmodel forecast: no checkpoint yet, then after one epoch a table of 5 steps, the RMSE line, and JSON whose first forecast step is the one-step prediction',
  withWorkspace({ 'tcn.nnmodel': TINY_TCN }, async (dir) => {
    const before = await run(dir, 'forecast', 'tcn.nnmodel', '--steps', '5');
    assert.equal(before.code, 1);
    assert.match(before.err, /^nnmodel forecast: no checkpoint for Tiny in \S+; train it first \(nnmodel train\)\.\n$/);
    const t = await run(dir, 'train', 'tcn.nnmodel');
    assert.equal(t.code, 0, t.err);

    const f = await run(dir, 'forecast', 'tcn.nnmodel', '--steps', '5');
    assert.equal(f.code, 0, f.err);
    assert.equal(f.err, '');
    const lines = f.out.trimEnd().split('\n');
    const first = heldOutExamples(40, 0.25, 1)[0];
    assert.equal(lines[0], `Tiny after epoch 1: waves example ${first} (held out: not trained on), 16 values fed, 5 steps forecast, each prediction fed back as the next input`);
    assert.match(lines[1], /^ +t +true +forecast +one step$/);
    assert.deepEqual(lines.slice(2, 7).map((l) => Number(l.trim().split(/\s+/)[0])), [16, 17, 18, 19, 20]);
    assert.match(lines[7], /^RMSE over 5 steps: forecast \d+\.\d{4} · one step ahead \(fed the true values\) \d+\.\d{4} · repeating the last value \d+\.\d{4}$/);
    assert.equal(lines.length, 8);

    const j = await run(dir, 'forecast', 'tcn.nnmodel', '--steps', '5', '--example', '3', '--json');
    assert.equal(j.code, 0, j.err);
    const json = JSON.parse(j.out) as { model: string; epoch: number; example: number; heldOut: boolean; seed: number[]; truth: number[]; forecast: number[]; oneStep: number[]; rmse: Record<string, number> };
    assert.equal(json.model, 'Tiny');
    assert.equal(json.example, 3);
    assert.equal(json.heldOut, heldOutExamples(40, 0.25, 1).includes(3));
    const expected = wavesForecastExample({ samples: 40, length: 16 }, 3, 5);
    assert.deepEqual(json.seed, Array.from(expected.seed, (v) => Number(v.toPrecision(7))));
    assert.deepEqual(json.truth, Array.from(expected.truth, (v) => Number(v.toPrecision(7))));
    assert.equal(json.forecast.length, 5);
    assert.equal(json.forecast[0], json.oneStep[0], 'step 1 of the forecast is fed only true values');
    assert.notDeepEqual(json.forecast.slice(1), json.oneStep.slice(1), 'later steps are fed the forecast, not the truth');
    assert.ok(json.rmse.forecast > 0 && json.rmse.oneStep > 0 && json.rmse.lastValue > 0, JSON.stringify(json.rmse));

    const far = await run(dir, 'forecast', 'tcn.nnmodel', '--example', '40');
    assert.equal(far.code, 1);
    assert.match(far.err, /waves\(samples = 40\) has examples 0 to 39; --example 40 is not one of them\./);
  }),
);

test(
  'nnmodel forecast refuses, saying why: a language model, a classifier of waves, bad --steps',
  withWorkspace(
    {
      'lm.nnmodel': `model LM {
  input t: int[seq]
  output t -> embedding(16, 8) -> dense(16) -> softmax
}

train LM {
  data: text("c.txt", tokenizer = char, context = 8)
  loss: crossentropy
}
`,
      'c.txt': 'the cat sat on the mat\n'.repeat(4),
      'cls.nnmodel': `model Cls {
  input x: [seq, 1]
  output x -> conv1d(3, 1)
}

train Cls {
  data: waves(samples = 20, length = 8)
  loss: mse
}
`,
    },
    async (dir) => {
      const lm = await run(dir, 'forecast', 'lm.nnmodel');
      assert.equal(lm.code, 1);
      assert.match(lm.err, /^nnmodel forecast: LM trains on text\(\.\.\.\), which is not a series; a forecast continues the series of data: waves\(\.\.\.\).* nnmodel generate continues a text\.\n$/);
      const cls = await run(dir, 'forecast', 'cls.nnmodel');
      assert.equal(cls.code, 1);
      // Three values per step cannot train on waves either: the analysis says it first (train.positions), as for train.
      assert.match(cls.err, /^nnmodel forecast: 'Cls' cannot run: \S*cls\.nnmodel has 1 error; fix it first:$/m);
      assert.match(cls.err, /^\S*cls\.nnmodel:7:9: error train\.positions waves labels each of the 8 steps of an example with the next value, one number, but 'Cls' outputs \[seq, 3\]: 3 values per step\. End with dense\(1\)\./m);
      for (const bad of ['0', '-3', 'x', '10001']) {
        const r = await run(dir, 'forecast', 'cls.nnmodel', '--steps', bad);
        assert.equal(r.code, 2, `--steps ${bad}`);
        assert.match(r.err, /^nnmodel forecast: option '--steps' /);
      }
    },
  ),
);

test('chartWidth: the chart follows the panel (less a margin, 240..900 px); a hidden panel (0 wide) keeps the width', () => {
  assert.equal(chartWidth(616), 600);
  assert.equal(chartWidth(400.4), 384);
  assert.equal(chartWidth(100), 240);
  assert.equal(chartWidth(2000), 900);
  assert.equal(chartWidth(0), undefined);
  assert.equal(chartWidth(Number.NaN), undefined);
});

// ------------------------------------------------ the CLI builds as the inspector does

// `nnmodel forecast` used to build the model at its train section's waves(length): a [seq, 1] -> flatten -> dense
// model trained at one length and forecast after the section's length changed was refused (its dense weights did
// not fit). It is now built at the checkpoint's recorded training shape, as the inspector builds it, and a section
// whose examples are shorter than that is told which length to set.

const flatSource = (length: number) => `model W {
  input x: [seq, 1]
  output x -> flatten -> dense(1)
}

train W {
  data: waves(samples = 20, length = ${length})
  loss: mse
  validation: 0.25
}
`;

/**
 * A checkpoint of W built at windows of `trainedAt`, its dense layer the
 * window's mean (every weight 1 / trainedAt), written where `nnmodel
 * forecast` reads it; with the training shape recorded unless `record` is false.
 */
async function writeFlatCheckpoint(dir: string, trainedAt: number, record = true): Promise<void> {
  const built = buildModel(tf, model(flatSource(trainedAt)), { seed: 1, symbolicDims: { seq: trainedAt } });
  try {
    const weights = [tf.fill([trainedAt, 1], 1 / trainedAt), tf.zeros([1])];
    setOnlyLayer(built, weights);
    tf.dispose(weights);
    const data = record ? { data: { source: 'waves', classes: [], exampleShape: [trainedAt, 1] } } : {};
    const ck = await encodeCheckpoint(built, { model: 'W', epoch: 3, history: [], ...data });
    await writeCheckpoint(nodeCheckpointFs(), checkpointDir(join(dir, 'flat.nnmodel'), 'W'), ck);
  } finally {
    built.model.dispose();
  }
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

test(
  'nnmodel forecast builds a [seq, 1] -> flatten -> dense model at its checkpoint\'s training length: trained at 40, forecast with waves(length = 48) after the change, told what to set at 32',
  withWorkspace({ 'flat.nnmodel': flatSource(48) }, async (dir) => {
    await writeFlatCheckpoint(dir, 40);
    const j = await run(dir, 'forecast', 'flat.nnmodel', '--steps', '3', '--example', '2', '--json');
    assert.equal(j.code, 0, j.err);
    const json = JSON.parse(j.out) as { window: number; seed: number[]; truth: number[]; forecast: number[]; oneStep: number[] };
    assert.equal(json.window, 40, 'the windows the trained weights read');
    assert.equal(json.seed.length, 48, 'the example of the section as it is now');
    // The dense layer is the window's mean: step 1 is the mean of the seed's last 40 values, step 2 of the 39 after and the forecast.
    const close1 = (a: number, e: number) => assert.ok(Math.abs(a - e) < 1e-4, `${a} vs ${e}`);
    close1(json.forecast[0], mean(json.seed.slice(8)));
    close1(json.forecast[1], mean([...json.seed.slice(9), json.forecast[0]]));
    close1(json.oneStep[1], mean([...json.seed.slice(9), json.truth[0]]));

    const t = await run(dir, 'forecast', 'flat.nnmodel', '--steps', '3', '--example', '2');
    assert.equal(t.code, 0, t.err);
    const held = heldOutExamples(20, 0.25, 1).includes(2) ? ' (held out: not trained on)' : '';
    assert.equal(t.out.split('\n')[0], `W after epoch 3: waves example 2${held}, 48 values fed, 40 at a time, 3 steps forecast, each prediction fed back as the next input`);

    // Examples shorter than the trained windows: the inspector's message, which length to set.
    writeFileSync(join(dir, 'flat.nnmodel'), flatSource(32));
    const short = await run(dir, 'forecast', 'flat.nnmodel', '--steps', '3');
    assert.equal(short.code, 1);
    assert.equal(
      short.err,
      'nnmodel forecast: W reads 40 values at a time (its parameter count depends on seq, and its trained weights are for seq = 40), but waves(length = 32) gives it 32: set length = 40 in its train section, or train it again at length 32.\n',
    );
  }),
);

test(
  'nnmodel forecast: a checkpoint that records no training shape is built at the section\'s length, as before',
  withWorkspace({ 'flat.nnmodel': flatSource(24) }, async (dir) => {
    await writeFlatCheckpoint(dir, 24, false);
    const r = await run(dir, 'forecast', 'flat.nnmodel', '--steps', '2', '--json');
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as { window: number }).window, 24);
  }),
);

test('trainedDims, checkpointExampleShape and windowProblem (shared by the CLI and the inspector)', () => {
  const flat = model(flatSource(16));
  const causal = model(CAUSAL);
  assert.deepEqual(trainedDims(flat, [40, 1]), { seq: 40 });
  assert.deepEqual(trainedDims(flat, [32, 1]), { seq: 32 });
  for (const shape of [undefined, [], [0, 1], [2.5, 1]]) assert.equal(trainedDims(flat, shape), undefined, JSON.stringify(shape));
  assert.equal(trainedDims(causal, [40, 1]), undefined, 'nothing to fix: any length runs');
  assert.deepEqual(checkpointExampleShape({ data: { source: 'waves', classes: [], exampleShape: [40, 1] } }), [40, 1]);
  for (const exampleShape of [[], [0, 1], [40.5, 1], ['40', 1], undefined]) {
    assert.equal(checkpointExampleShape({ data: { source: 'waves', classes: [], exampleShape } as never }), undefined, JSON.stringify(exampleShape));
  }
  assert.equal(checkpointExampleShape({}), undefined, 'written before the record');
  assert.match(windowProblem('W', { output: 'last' }, { window: 40, output: 'last' }, 32)!, /^W reads 40 values at a time \(its parameter count depends on seq, and its trained weights are for seq = 40\), but waves\(length = 32\) gives it 32: set length = 40/);
  assert.equal(windowProblem('W', { output: 'last' }, { window: 40, output: 'last' }, 40), undefined);
  assert.equal(windowProblem('W', { output: 'sequence' }, { output: 'sequence' }, 8), undefined);
  assert.equal(windowProblem('F', { window: 64, output: 'sequence' }, { window: 64, output: 'sequence' }, 32), 'F reads 64 values at a time, but waves(length = 32) gives it 32: set length = 64 or more in its train section.');
  // The inspector uses these very functions.
  assert.equal(sessionTrainedDims, trainedDims);
  assert.equal(tabWindowProblem, windowProblem);
});

test('a one-value forecaster ([seq, 1] -> flatten -> dense(1)) trains on waves, on the value after each window, then forecasts', async () => {
  const data = builtinDataset({ kind: 'waves', options: { samples: 6, length: 5 } });
  const flat = model(flatSource(5));
  const built = buildModel(tf, flat, { seed: 1, symbolicDims: { seq: 5 } });
  try {
    const fitted = targetsFor(built.model, data);
    assert.deepEqual(fitted.targetShape, [1]);
    // The value after window i: its last next-step target, and the series' 6th value.
    for (let i = 0; i < 6; i++) assert.equal(fitted.ys[i], data.ys[i * 5 + 4]);
    assert.equal(targetsFor(built.model, fitted), fitted, 'already one value each');
    const seq = buildModel(tf, model(TINY_TCN), { seed: 1 });
    assert.equal(targetsFor(seq.model, data), data, 'a model with a value per position keeps them all');
    seq.model.dispose();
  } finally {
    built.model.dispose();
  }
  await withWorkspace({ 'flat.nnmodel': flatSource(16).replace('loss: mse', 'loss: mse\n  epochs: 1\n  batch: 5') }, async (dir) => {
    const trained = await run(dir, 'train', 'flat.nnmodel');
    assert.equal(trained.code, 0, trained.err);
    assert.match(trained.out, /^epoch 1\/1 · loss \d/m);
    const f = await run(dir, 'forecast', 'flat.nnmodel', '--steps', '6', '--json');
    assert.equal(f.code, 0, f.err);
    const r = JSON.parse(f.out) as { window: number; forecast: number[] };
    assert.equal(r.window, 16);
    assert.equal(r.forecast.length, 6);
    assert.ok(r.forecast.every(Number.isFinite));
  })();
});

// ------------------------------------------------ Ctrl-C

// `nnmodel forecast` had no SIGINT handling and never let the event loop run between steps: up to 10 000 steps
// twice, Ctrl-C could only kill it, saying nothing of what was done. It now stops between steps as `nnmodel train`
// stops between batches, prints the steps done and exits 130.

/** A causal conv1d whose next value is the mean of the last two: stable over any number of steps. */
const MEAN2 = `model Mean2 {
  input x: [seq, 1]
  output x -> conv1d(1, 2, padding = causal)
}

train Mean2 {
  data: waves(samples = 20, length = 16)
  loss: mse
  validation: 0.25
}
`;

async function writeMean2Checkpoint(dir: string): Promise<void> {
  const built = buildModel(tf, model(MEAN2), { seed: 1 });
  try {
    const weights = [tf.tensor3d([0.5, 0.5], [2, 1, 1]), tf.tensor1d([0])];
    setOnlyLayer(built, weights);
    tf.dispose(weights);
    const ck = await encodeCheckpoint(built, { model: 'Mean2', epoch: 1, history: [], data: { source: 'waves', classes: [], exampleShape: [16, 1] } });
    await writeCheckpoint(nodeCheckpointFs(), checkpointDir(join(dir, 'mean2.nnmodel'), 'Mean2'), ck);
  } finally {
    built.model.dispose();
  }
}

test(
  'runForecastJob: a cancel set by a task (as a signal is) stops the forecast within one step, the event loop running between steps; the result is what was done',
  withWorkspace({ 'mean2.nnmodel': MEAN2 }, async (dir) => {
    await writeMean2Checkpoint(dir);
    const req = { file: join(dir, 'mean2.nnmodel'), roots: [], backend: 'cpu' as const };
    // Set from setImmediate, not in the hook itself: only a loop that lets the event loop run sees it in time. The hook then
    // takes as long as the loop runs without it, so that it runs before the next step.
    const stopAt = async (phase: 'forecast' | 'oneStep', at: number): Promise<ForecastResult> => {
      const token = { cancelled: false };
      const onStep = (p: string, k: number) => {
        if (p !== phase || k !== at) return;
        setImmediate(() => (token.cancelled = true));
        for (const start = performance.now(); performance.now() - start <= FORECAST_YIELD_MS; );
      };
      return runForecastJob(req, { steps: 50 }, { token, onStep });
    };
    const a = await stopAt('forecast', 2);
    assert.deepEqual([a.forecast.length, a.oneStep.length, a.truth.length], [3, 0, 3], 'three steps forecast, then stopped');
    assert.deepEqual(a.stopped, { steps: 50 });
    assert.ok(Number.isFinite(a.scores.forecast) && Number.isNaN(a.scores.oneStep), JSON.stringify(a.scores));
    assert.equal(forecastStoppedText(a, 50), 'stopped after 3 of 50 steps forecast, before the one-step-ahead predictions');

    const b = await stopAt('oneStep', 4);
    assert.deepEqual([b.forecast.length, b.oneStep.length, b.truth.length], [50, 5, 50]);
    assert.ok(Number.isNaN(b.scores.oneStep), 'no one-step RMSE over part of the steps');
    assert.equal(forecastStoppedText(b, 50), 'stopped: all 50 steps forecast, 5 of their one-step-ahead predictions made (no RMSE for them)');

    const c = await runForecastJob(req, { steps: 50 }, { token: { cancelled: false } });
    assert.equal(c.stopped, undefined);
    assert.deepEqual([c.forecast.length, c.oneStep.length, c.truth.length], [50, 50, 50]);
    assert.equal(forecastStoppedText({ forecast: new Float32Array(0), oneStep: new Float32Array(0) }, 1), 'stopped before the first of 1 step; nothing forecast');
  }),
);

test(
  'nnmodel forecast: Ctrl-C (SIGINT) stops 10 000 steps between two, prints the steps done and what stopped, and exits 130',
  withWorkspace({ 'mean2.nnmodel': MEAN2 }, async (dir) => {
    await writeMean2Checkpoint(dir);
    // A listener of the test's own: without one, the signal would end the test process (as it ended nnmodel forecast).
    const guard = () => {};
    const listeners = process.listenerCount('SIGINT');
    process.on('SIGINT', guard);
    let sent = 0;
    const timer = setTimeout(() => {
      sent++;
      process.kill(process.pid, 'SIGINT');
    }, 150);
    try {
      const started = performance.now();
      const r = await run(dir, 'forecast', 'mean2.nnmodel', '--steps', '10000', '--backend', 'cpu');
      const ms = performance.now() - started;
      assert.equal(sent, 1, 'the signal was sent during the forecast');
      assert.equal(r.code, 130, `${r.err} (${ms.toFixed(0)} ms)`);
      assert.match(r.err, /^\nstopping the forecast after this step \(Ctrl-C again to quit at once\)…\n/);
      const said = r.err.split('\n').filter((l) => l.startsWith('stopped'));
      assert.equal(said.length, 1, r.err);
      const m = /^stopped (?:after (\d+) of 10000 steps forecast|before the first of 10000 steps; nothing forecast|: all 10000 steps forecast, (\d+) of their)/.exec(said[0]);
      assert.ok(m, said[0]);
      const rows = r.out.split('\n').filter((l) => /^ *\d+ /.test(l)).length;
      const forecast = m[1] !== undefined ? Number(m[1]) : m[2] !== undefined ? 10000 : 0;
      assert.equal(rows, forecast, 'a table row per step forecast');
      if (forecast > 0) assert.match(r.out, new RegExp(`, ${forecast} ${forecast === 1 ? 'step' : 'steps'} forecast,[^\\n]*\\n[\\s\\S]*RMSE over ${forecast} `));
      else assert.equal(r.out, '');
      assert.equal(process.listenerCount('SIGINT'), listeners + 1, 'the forecast\'s listener is removed');
    } finally {
      clearTimeout(timer);
      process.off('SIGINT', guard);
    }
  }),
);
