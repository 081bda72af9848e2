// Training vs inference for dropout and batchnorm in the Feature maps view (webview/probes/trainModes.ts):
// a dropout draw is tf.layers.dropout's (and the model's own layer's) training output, its mask and 1/(1 − p)
// scale, identity at inference; batchnorm's batch statistics and both modes' outputs match tf.moments,
// tf.layers.batchNormalization in training and the model at inference, without touching the model's moving
// averages, and PyTorch's F.batch_norm (epsilon inside the square root) when python3-torch is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildActivationModel, buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { TrainingDraws } from '../../extension/core/layers/draws';
import { convInputSource } from '../../webview/probes/convCalcRead';
import { inputPlans } from '../../webview/probes/input';
import {
  MODES_BATCH,
  batchnormOutputs,
  batchnormValue,
  channelStats,
  dropoutDraw,
  dropoutStats,
  isModeOp,
  modesBatch,
  readBatchnormLayer,
  tfTrainingOutput,
  toPlanes,
} from '../../webview/probes/trainModes';
import { useCpuBackend } from '../fixtures/tfjs';
import { PYTHON, skipWithoutTorch } from '../fixtures/torch';

useCpuBackend();

function build(text: string, seed = 1): BuiltModel {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`), []);
  return buildModel(tf, a.models[0], { seed });
}

function layerPath(built: BuiltModel, op: string): string {
  const path = built.layerPaths.find((p) => built.nodeOf.get(p)?.op === op);
  assert.ok(path, `a ${op} layer`);
  return path;
}

const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

test('isModeOp: dropout and batchnorm, not layernorm nor the augmentation layers', () => {
  assert.equal(isModeOp('dropout'), true);
  assert.equal(isModeOp('batchnorm'), true);
  assert.equal(isModeOp('layernorm'), false);
  assert.equal(isModeOp('random_flip'), false);
});

for (const rate of [0.1, 0.5, 0.8]) {
  test(`dropout(${rate}): the draw is tf.layers.dropout's training output with the same seed; kept values × 1/(1 − p), the rest 0`, () => {
    const x = tf.randomUniform([1, 6, 5, 4], 0.1, 2, 'float32', 7);
    const before = tf.memory().numTensors;
    const draw = dropoutDraw(tf, x, rate, 1234);
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    const layer = tf.layers.dropout({ rate, seed: 1234 });
    const want = tf.tidy(() => (layer.apply(x, { training: true }) as tf.Tensor).dataSync());
    assert.deepEqual(Array.from(draw.output), Array.from(want), 'the same values as tf.layers.dropout in training');
    assert.deepEqual(draw.shape, [6, 5, 4]);
    assert.ok(close(draw.scale, 1 / (1 - rate), 1e-12));
    draw.multiplier.forEach((m, i) => {
      assert.ok(m === 0 || close(m, draw.scale, 1e-6), `multiplier ${m}`);
      assert.ok(close(draw.output[i], draw.input[i] * m, 1e-6), `value ${i}: ${draw.output[i]} = ${draw.input[i]} × ${m}`);
      // The inputs are never 0 here: a zero output is a dropped value.
      assert.equal(draw.output[i] === 0, m === 0);
    });
    // At inference the layer is the identity.
    const infer = tf.tidy(() => (layer.apply(x, { training: false }) as tf.Tensor).dataSync());
    assert.deepEqual(Array.from(infer), Array.from(draw.input));
    x.dispose();
  });
}

test('dropout: the fraction dropped is near p (within 4 standard deviations of √(p(1 − p)/n)), and another seed draws another mask', () => {
  const x = tf.ones([1, 4000]);
  const draw = dropoutDraw(tf, x, 0.3, 5);
  const stats = dropoutStats(draw);
  assert.equal(stats.total, 4000);
  assert.equal(stats.dropped, draw.multiplier.filter((m) => m === 0).length);
  assert.ok(close(stats.spread, Math.sqrt((0.3 * 0.7) / 4000), 1e-12));
  assert.ok(Math.abs(stats.fraction - 0.3) < 4 * stats.spread, `dropped ${stats.fraction}`);
  // Σ output / Σ input: the kept share × 1/(1 − p).
  assert.ok(close(stats.sumRatio, (1 - stats.fraction) / 0.7, 1e-5), `${stats.sumRatio}`);
  const again = dropoutDraw(tf, x, 0.3, 5);
  assert.deepEqual(Array.from(again.multiplier), Array.from(draw.multiplier), 'the same seed draws the same mask');
  const other = dropoutDraw(tf, x, 0.3, 6);
  assert.notDeepEqual(Array.from(other.multiplier), Array.from(draw.multiplier), 'a new draw is another mask');
  // A hand-made draw: 2 of 4 dropped; Σ output / Σ input = (2 + 6) / (1 + 2 + 3 + 4).
  const hand = dropoutStats({ rate: 0.5, input: Float32Array.of(1, 2, 3, 4), output: Float32Array.of(2, 0, 6, 0), multiplier: Float32Array.of(2, 0, 2, 0) });
  assert.deepEqual([hand.dropped, hand.total, hand.fraction], [2, 4, 0.5]);
  assert.equal(hand.sumRatio, 8 / 10);
  x.dispose();
});

test('dropout: the draw is what the model\'s own dropout layer computes in training for that seed (tf.dropout, layers/regularization.ts)', () => {
  const built = build(`model M {
  input x: [3, 3, 8]
  output x -> dropout(0.4)
}`);
  const path = layerPath(built, 'dropout');
  const layer = built.layerOf.get(path)! as unknown as tf.layers.Layer & { seed: number };
  const x = tf.randomUniform([1, 3, 3, 8], 0.5, 1, 'float32', 3);
  // The layer's first draw in training uses the first seed of its stream (draws.ts).
  const seed = new TrainingDraws(layer.name, layer.seed).next();
  const out = tf.tidy(() => (layer.apply(x, { training: true }) as tf.Tensor).dataSync());
  assert.deepEqual(Array.from(dropoutDraw(tf, x, 0.4, seed).output), Array.from(out));
  x.dispose();
  built.model.dispose();
});

test('channelStats: the per-channel mean and biased variance over examples and positions, as tf.moments', () => {
  const data = tf.randomNormal([5, 4, 3, 6], 2, 3, 'float32', 9);
  const { mean, variance } = tf.moments(data, [0, 1, 2]);
  const stats = channelStats(data.dataSync(), 6);
  assert.equal(stats.count, 5 * 4 * 3);
  const [m, v] = [mean.dataSync(), variance.dataSync()];
  for (let c = 0; c < 6; c++) {
    assert.ok(close(stats.mean[c], m[c], 1e-5), `mean ${c}: ${stats.mean[c]} vs ${m[c]}`);
    assert.ok(close(stats.variance[c], v[c], 1e-5), `variance ${c}: ${stats.variance[c]} vs ${v[c]}`);
  }
  // By hand: [1, 2, 3, 6] over one channel: mean 3, variance (4 + 1 + 0 + 9) / 4 = 3.5 (÷ n, not n − 1).
  const hand = channelStats([1, 2, 3, 6], 1);
  assert.deepEqual([hand.mean[0], hand.variance[0]], [3, 3.5]);
  assert.equal(batchnormValue(5, 3, 3.5, 2, 1, 0.5), 2 * (5 - 3) / 2 + 1);
  tf.dispose([data, mean, variance]);
});

/** A conv → batchnorm model; with `trained`, the batchnorm's four weights set to values of their own (as a loaded checkpoint would). */
function bnModel(trained: boolean, momentum = 0.9, epsilon = 0.01): { built: BuiltModel; path: string } {
  const built = build(`model M {
  input image: [6, 6, 3]
  output image -> conv2d(5, 3) -> batchnorm(momentum = ${momentum}, epsilon = ${epsilon}) -> relu
}`);
  const path = layerPath(built, 'batchnorm');
  if (trained) {
    const layer = built.layerOf.get(path)!;
    const c = 5;
    layer.setWeights([
      tf.tensor1d([1.5, 0.5, -1, 2, 0.8]),
      tf.tensor1d([0.1, -0.2, 0.3, 0, 1]),
      tf.tensor1d([0.2, -0.1, 0.05, 0.3, -0.4]),
      tf.tensor1d(Array.from({ length: c }, (_, i) => 0.2 + 0.3 * i)),
    ]);
  }
  return { built, path };
}

for (const trained of [false, true]) {
  test(`batchnorm (${trained ? 'trained' : 'initial'} weights): training output = tf.layers.batchNormalization in training on the batch, inference output = the model's; the model's moving averages stay`, () => {
    const { built, path } = bnModel(trained);
    const params = readBatchnormLayer(tf, built, path)!;
    assert.equal(params.channels, 5);
    assert.ok(close(params.epsilon, 0.01, 1e-9) && close(params.momentum, 0.9, 1e-9), 'epsilon and momentum from the call');
    if (!trained) {
      assert.deepEqual([...params.movingMean], [0, 0, 0, 0, 0]);
      assert.deepEqual([...params.movingVariance], [1, 1, 1, 1, 1]);
      assert.deepEqual([...params.gamma, ...params.beta], [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]);
    }
    const source = buildActivationModel(tf, built);
    const from = convInputSource(built, source.paths, path);
    assert.ok(from?.kind === 'layer');
    const batch = tf.randomUniform([MODES_BATCH, 6, 6, 3], 0, 1, 'float32', 4);
    // The batchnorm's input (the conv's output) and output (inference) for the whole batch, from one pass.
    const outs = source.model.predict(batch) as tf.Tensor[];
    const bnIn = outs[source.paths.indexOf(from.path)];
    const bnOut = outs[source.paths.indexOf(path)];
    const batchIn = bnIn.dataSync();
    const plane = bnIn.size / MODES_BATCH;
    const stats = channelStats(batchIn, params.channels);
    assert.equal(stats.count, MODES_BATCH * 4 * 4);
    const modes = batchnormOutputs(params, stats, batchIn.subarray(0, plane));
    // Inference: the model's own output for example 0.
    const inferred = bnOut.dataSync().subarray(0, plane);
    inferred.forEach((v, i) => assert.ok(close(modes.inference[i], v, 1e-5), `inference ${i}: ${modes.inference[i]} vs ${v}`));
    // Training: tf.layers on a copy of the layer.
    const layer = built.layerOf.get(path)!;
    const moving = layer.getWeights().slice(2).map((w) => Array.from(w.dataSync()));
    const tensors = tf.memory().numTensors;
    const tfTrain = tfTrainingOutput(tf, layer, bnIn);
    assert.equal(tf.memory().numTensors, tensors, 'the copy leaves no tensor behind');
    tfTrain.output.forEach((v, i) => assert.ok(close(modes.training[i], v, 1e-4), `training ${i}: ${modes.training[i]} vs ${v}`));
    assert.deepEqual(layer.getWeights().slice(2).map((w) => Array.from(w.dataSync())), moving, "the model's moving averages are not updated");
    // The copy's moving averages after one step: momentum · moving + (1 − momentum) · batch.
    for (let c = 0; c < params.channels; c++) {
      assert.ok(close(tfTrain.movingMean[c], 0.9 * params.movingMean[c] + 0.1 * stats.mean[c], 1e-5));
      assert.ok(close(tfTrain.movingVariance[c], 0.9 * params.movingVariance[c] + 0.1 * stats.variance[c], 1e-4));
    }
    // Training output of the batch per channel: mean β, variance γ² σ² / (σ² + ε).
    const all = batchnormOutputs(params, stats, batchIn);
    const out = channelStats(all.training, params.channels);
    for (let c = 0; c < params.channels; c++) {
      assert.ok(close(out.mean[c], params.beta[c], 1e-6));
      const want = (params.gamma[c] ** 2 * stats.variance[c]) / (stats.variance[c] + params.epsilon);
      assert.ok(close(out.variance[c], want, 1e-6));
      assert.ok(modes.maxDiff[c] > 1e-3, 'the two modes differ');
    }
    tf.dispose([batch, ...outs]);
    built.model.dispose();
  });
}

const TORCH_BN = String.raw`
import json, sys
import torch
import torch.nn.functional as F
job = json.load(sys.stdin)
x = torch.tensor(job["x"], dtype=torch.float64).reshape(job["shape"]).permute(0, 3, 1, 2)
p = {k: torch.tensor(job[k], dtype=torch.float64) for k in ["gamma", "beta", "mean", "var"]}
train = F.batch_norm(x, p["mean"].clone(), p["var"].clone(), p["gamma"], p["beta"], training=True, eps=job["eps"])
infer = F.batch_norm(x, p["mean"], p["var"], p["gamma"], p["beta"], training=False, eps=job["eps"])
flat = lambda t: t[0].permute(1, 2, 0).reshape(-1).tolist()
print(json.dumps({"train": flat(train), "infer": flat(infer)}))
`;

test("batchnorm: both modes' outputs agree with PyTorch's F.batch_norm (ε inside the square root, biased batch variance)", (t) => {
  if (skipWithoutTorch(t, 'BATCHNORM TEST')) return;
  const shape = [4, 3, 5, 2];
  // A small-variance channel, where ε matters: 0.05 · noise.
  const x = tf.tidy(() => tf.mul(tf.randomNormal(shape, 0.5, 1, 'float32', 21), tf.tensor1d([1, 0.05]))).dataSync();
  const params = { channels: 2, gamma: Float32Array.of(1.2, 0.7), beta: Float32Array.of(0.3, -0.5), movingMean: Float32Array.of(0.4, 0.02), movingVariance: Float32Array.of(0.9, 0.004), epsilon: 1e-3, momentum: 0.99 };
  const stats = channelStats(x, 2);
  const ours = batchnormOutputs(params, stats, x.subarray(0, x.length / 4));
  const job = { x: Array.from(x), shape, gamma: [...params.gamma], beta: [...params.beta], mean: [...params.movingMean], var: [...params.movingVariance], eps: params.epsilon };
  const run = spawnSync(PYTHON, ['-c', TORCH_BN], { input: JSON.stringify(job), encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, `python failed:\n${run.stderr}`);
  const torch = JSON.parse(run.stdout) as { train: number[]; infer: number[] };
  let worst = 0;
  torch.train.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ours.training[i]))));
  torch.infer.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - ours.inference[i]))));
  t.diagnostic(`PyTorch F.batch_norm vs the probe (float64 both): worst difference ${worst.toExponential(2)}`);
  assert.ok(worst < 1e-9, `worst difference ${worst}`);
  // ε added to σ (not σ²) would be far off on the small channel: the check can tell them apart.
  const wrong = (v: number, c: number) => (params.gamma[c] * (v - stats.mean[c])) / (Math.sqrt(stats.variance[c]) + params.epsilon) + params.beta[c];
  assert.ok(torch.train.some((v, i) => Math.abs(v - wrong(x[i], i % 2)) > 1e-3));
});

test('modesBatch: the picked example first, then examples of the built-in set the model trains on (or the samples, or waves)', () => {
  const plansOf = (text: string) => inputPlans(analyze(text).models[0], {});
  const image = plansOf('model M {\n  input image: [32, 32, 3]\n  output image -> batchnorm\n}')[0];
  const picked = tf.fill([1, 32, 32, 3], 0.25);
  for (const kind of ['shapes', 'digits', 'images', undefined]) {
    const b = modesBatch(tf, image, picked, kind)!;
    assert.deepEqual(b.x.shape, [MODES_BATCH, 32, 32, 3]);
    const values = b.x.dataSync();
    const n = 32 * 32 * 3;
    assert.ok(values.subarray(0, n).every((v) => v === 0.25), 'the picked example is first');
    assert.ok(values.subarray(n).some((v) => v !== 0.25), 'then others');
    assert.ok(values.every((v) => v >= 0 && v <= 1));
    assert.match(b.others, kind === 'shapes' || kind === 'digits' ? new RegExp(`7 examples of the built-in ${kind} set`) : /built-in sample images/);
    b.x.dispose();
  }
  const signal = plansOf('model M {\n  input x: [40, 2]\n  output x -> batchnorm\n}')[0];
  const s = tf.zeros([1, 40, 2]);
  const b = modesBatch(tf, signal, s, 'waves')!;
  assert.deepEqual(b.x.shape, [MODES_BATCH, 40, 2]);
  assert.match(b.others, /waves/);
  const vector = plansOf('model M {\n  input x: [4]\n  output x -> batchnorm\n}')[0];
  assert.equal(modesBatch(tf, vector, tf.zeros([1, 4])), undefined);
  tf.dispose([picked, s, b.x]);
});

test('toPlanes: channels-last values as channel-major planes', () => {
  const p = toPlanes([1, 2, 3, 4, 5, 6], [1, 3, 2]);
  assert.deepEqual([p.height, p.width, p.channels], [1, 3, 2]);
  assert.deepEqual([...p.planes], [1, 3, 5, 2, 4, 6]);
  const s = toPlanes([1, 2, 3, 4, 5, 6], [3, 2]);
  assert.deepEqual([s.height, s.width, s.channels, ...s.planes], [1, 3, 2, 1, 3, 5, 2, 4, 6]);
  const u = toPlanes([7, 8, 9], [3]);
  assert.deepEqual([u.height, u.width, u.channels, ...u.planes], [1, 3, 1, 7, 8, 9]);
});
