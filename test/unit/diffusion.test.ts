// Diffusion training (`loss: denoise`): the schedule against its formulas,
// the noising, the DDIM sampler against an exact noise predictor, the
// training loop on a tiny denoiser, the analysis of the train section and
// `nnmodel train` writing the checkpoint and the pictures.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { applyFix } from './sourceText';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze } from '../../extension/core/analysis/analyze';
import type { Diagnostic, ModelInfo, TrainConfig } from '../../extension/core/analysis/types';
import { buildModel } from '../../extension/core/runtime/build';
import { startTrainingBackend } from '../../extension/core/runtime/kernels';
import { digits } from '../../extension/core/runtime/data/synthetic';
import { createRng } from '../../extension/core/runtime/data/random';
import { symbolicDimsFor, TrainError, trainModel, validationSplit, type EpochLogs, type SampleStrip, type TrainData } from '../../extension/core/runtime/train';
import {
  COSINE,
  ddimSample,
  denoiseInputs,
  forwardSteps,
  makeSchedule,
  modelPredictor,
  noiseExamples,
  samplerSteps,
  trainDenoiser,
  trainInputShapes,
  type NoisePredictor,
} from '../../extension/core/runtime/diffusion';
import { readCheckpoint } from '../../extension/core/runtime/checkpoint';
import { GENERATIVE_LOSSES } from '../../extension/core/analysis/train';
import { parseHostMessage, serializeModel } from '../../extension/core/protocol';
import { dataPayload } from '../../extension/core/runtime/trainTransfer';
import { nodeCheckpointFs } from '../../extension/cli/trainJob';
import { runCli } from '../fixtures/cli';

before(() => startTrainingBackend(tf, 'wasm'));

// ------------------------------------------------------------------ schedule

test('linear schedule: DDPM βs from 1e-4 to 0.02, ᾱ their running product, ᾱ at T − 1 = 4.036e-5 for T = 1000', () => {
  const s = makeSchedule(1000, 'linear');
  assert.equal(s.betas.length, 1000);
  assert.equal(s.betas[0], 1e-4);
  assert.ok(Math.abs(s.betas[999] - 0.02) < 1e-15);
  // Evenly spaced.
  const step = (0.02 - 1e-4) / 999;
  for (const t of [1, 10, 500, 998]) assert.ok(Math.abs(s.betas[t] - s.betas[t - 1] - step) < 1e-15, `β step at ${t}`);
  let prod = 1;
  for (let t = 0; t < 1000; t++) {
    prod *= 1 - s.betas[t];
    assert.ok(Math.abs(s.alphaBars[t] - prod) <= 1e-15, `ᾱ at ${t}`);
  }
  // DDPM's (Ho et al. 2020) end of the chain: ∏(1 − β_t) over the 1 000 steps is 4.0358e-5, the signal almost gone.
  assert.ok(Math.abs(s.alphaBars[999] - 4.0358e-5) / 4.0358e-5 < 1e-3, `ᾱ_T ${s.alphaBars[999]}`);
  assert.ok(Math.abs(s.alphaBars[499] - 0.078587) < 1e-5, `ᾱ at the middle ${s.alphaBars[499]}`);
});

test('linear schedule over T ≠ 1000: both ends scale by 1000/T (Improved DDPM), so the last ᾱ is near DDPM\'s; βs capped at 0.999', () => {
  // Unscaled, ᾱ at T − 1 was 0.603 (T = 50), 0.364 (100), 0.132 (200): the
  // sampler's N(0, 1) start was a noise level the model never trained on.
  // Scaled, ∏(1 − β) over linspace(k·1e-4, k·0.02, T) with k = 1000/T (numpy's value):
  const lastAlphaBar: Record<number, number> = { 50: 7.7448e-6, 100: 2.0390e-5, 200: 3.0318e-5, 1000: 4.0358e-5 };
  for (const [T, want] of Object.entries(lastAlphaBar).map(([k, v]) => [Number(k), v])) {
    const s = makeSchedule(T, 'linear');
    const k = 1000 / T;
    assert.ok(Math.abs(s.betas[0] - k * 1e-4) < 1e-15 && Math.abs(s.betas[T - 1] - k * 0.02) < 1e-15, `T = ${T}: β from ${s.betas[0]} to ${s.betas[T - 1]}`);
    assert.ok(s.alphaBars[T - 1] < 1e-2, `T = ${T}: ᾱ at T − 1 is ${s.alphaBars[T - 1]}`);
    assert.ok(Math.abs(s.alphaBars[T - 1] - want) / want < 1e-3, `T = ${T}: ᾱ at T − 1 is ${s.alphaBars[T - 1]}, not ${want}`);
  }
  // T = 1000 is DDPM's schedule exactly.
  assert.equal(makeSchedule(1000, 'linear').betas[0], 1e-4);
  assert.equal(makeSchedule(1000, 'linear').betas[999], 0.02);
  // Below 21 steps the last βs would reach 1 (ᾱ = 0, and x̂₀ = x/√ᾱ a division by 0): capped.
  for (const T of [2, 10, 20]) {
    const s = makeSchedule(T, 'linear');
    assert.equal(s.betas[T - 1], COSINE.maxBeta, `T = ${T}`);
    assert.ok(s.betas.every((b) => b > 0 && b < 1) && s.alphaBars[T - 1] > 0, `T = ${T}: ᾱ at T − 1 ${s.alphaBars[T - 1]}`);
  }
  assert.ok(Math.abs(makeSchedule(21, 'linear').betas[20] - 20 / 21) < 1e-15, 'T = 21 is not capped');
});

test('cosine schedule: ᾱ_t = f(t + 1)/f(0) with f(u) = cos²((u/T + s)/(1 + s)·π/2), β clipped at 0.999', () => {
  const T = 1000;
  const s = makeSchedule(T, 'cosine');
  const f = (u: number) => Math.cos(((u / T + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  for (const t of [0, 1, 100, 500, 900, 990]) {
    assert.ok(Math.abs(s.alphaBars[t] - f(t + 1) / f(0)) < 1e-12, `ᾱ at ${t}: ${s.alphaBars[t]} vs ${f(t + 1) / f(0)}`);
  }
  for (let t = 0; t < T; t++) {
    assert.ok(s.betas[t] > 0 && s.betas[t] <= COSINE.maxBeta, `β at ${t} = ${s.betas[t]}`);
    if (t > 0) assert.ok(s.alphaBars[t] < s.alphaBars[t - 1], 'ᾱ falls');
  }
  // f(T) = 0, so the last β would be 1: it is clipped, and ᾱ ends at ᾱ_{T−2}·0.001.
  assert.equal(s.betas[T - 1], 0.999);
  assert.ok(Math.abs(s.alphaBars[T - 1] - s.alphaBars[T - 2] * 0.001) < 1e-18);
  // The cosine schedule keeps more signal in the middle than the linear one (the point of it).
  assert.ok(s.alphaBars[499] > makeSchedule(T, 'linear').alphaBars[499] * 4);
  assert.throws(() => makeSchedule(1, 'linear'), TrainError);
});

test('noising: x_t = √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε per example, and its statistics over many draws', () => {
  const s = makeSchedule(100, 'linear');
  const x0 = [0.5, -1, 0.25, 1];
  const eps = [1, 2, -0.5, 0];
  const t = [0, 70];
  const xt = noiseExamples(s, x0, t, eps, 2);
  const want = (i: number, step: number) => Math.sqrt(s.alphaBars[step]) * x0[i] + Math.sqrt(1 - s.alphaBars[step]) * eps[i];
  assert.deepEqual(Array.from(xt), [want(0, 0), want(1, 0), want(2, 70), want(3, 70)].map(Math.fround));
  // x₀ = 0.6 everywhere, ε ~ N(0, 1): mean √ᾱ·0.6, variance 1 − ᾱ.
  const n = 20000;
  const rng = createRng(3);
  const e = Float32Array.from({ length: n }, () => rng.normal());
  const big = noiseExamples(s, new Float32Array(n).fill(0.6), [40], e, n);
  const mean = big.reduce((a, v) => a + v, 0) / n;
  const variance = big.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
  assert.ok(Math.abs(mean - Math.sqrt(s.alphaBars[40]) * 0.6) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(variance - (1 - s.alphaBars[40])) < 0.05, `variance ${variance}`);
  assert.throws(() => noiseExamples(s, [0], [100], [0], 1), /outside 0 … 99/);
});

test('sampler and forward strip steps: evenly spaced from 0 to T − 1', () => {
  assert.deepEqual(samplerSteps(1000, 5), [0, 250, 500, 749, 999]);
  assert.deepEqual(samplerSteps(10, 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(samplerSteps(10, 50), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'at most T');
  assert.deepEqual(samplerSteps(1000, 1), [999]);
  assert.deepEqual(forwardSteps(1000), [0, 143, 285, 428, 571, 714, 856, 999]);
});

// ------------------------------------------------------------------ sampler

/**
 * With a data set of one image x*, the exact noise predictor is
 * ε̂(x_t, t) = (x_t − √ᾱ_t·x*)/√(1 − ᾱ_t): DDIM with it must land on x*.
 */
function oracle(schedule: ReturnType<typeof makeSchedule>, target: tf.Tensor): NoisePredictor {
  return (x, t) =>
    tf.tidy(() => {
      const ab = tf.gather(tf.tensor1d(Array.from(schedule.alphaBars), 'float32'), tf.reshape(t, [-1]));
      const shape = [-1, ...x.shape.slice(1).map(() => 1)];
      const a = tf.reshape(tf.sqrt(ab), shape);
      const b = tf.reshape(tf.sqrt(tf.sub(1, ab)), shape);
      return tf.div(tf.sub(x, tf.mul(a, target)), b);
    });
}

test('DDIM with the exact noise predictor of a one-image data set returns that image', async () => {
  const rng = createRng(11);
  const shape = [6, 5, 1];
  const size = 30;
  const star = Float32Array.from({ length: size }, () => rng.uniform(-0.95, 0.95));
  const target = tf.tensor(star, [1, ...shape]);
  const noise = tf.tensor(Float32Array.from({ length: 3 * size }, () => rng.normal()), [3, ...shape]);
  const before = tf.memory().numTensors;
  for (const kind of ['linear', 'cosine'] as const) {
    const schedule = makeSchedule(1000, kind);
    // Float tolerance: the float32 rounding of x_t (about 1e-6 for |x_t| up to 4)
    // is divided by √ᾱ at the first step, 1/157 for the linear schedule but
    // 1/20 000 for the cosine one, whose last β is clipped at 0.999.
    const tol = 1e-4 + 1e-6 / Math.sqrt(schedule.alphaBars[999]);
    for (const steps of [1, 10, 50]) {
      const out = (await ddimSample(tf, oracle(schedule, target), schedule, noise, steps))!;
      const v = await out.data();
      out.dispose();
      for (let n = 0; n < 3; n++) {
        for (let i = 0; i < size; i++) {
          assert.ok(Math.abs(v[n * size + i] - star[i]) < tol, `${kind}, ${steps} steps, sample ${n}, pixel ${i}: ${v[n * size + i]} vs ${star[i]} (tolerance ${tol})`);
        }
      }
    }
  }
  // A predictor of another image's noise leads to that image: the test sees the predictor, not a constant.
  const schedule = makeSchedule(200, 'linear');
  const other = tf.neg(target);
  const out = (await ddimSample(tf, oracle(schedule, other), schedule, noise, 20))!;
  const v = await out.data();
  assert.ok(Math.abs(v[0] + star[0]) < 2e-3);
  tf.dispose([out, other]);
  assert.equal(tf.memory().numTensors, before, 'the sampler frees its tensors');
  // Cancelled between steps: nothing returned, nothing leaked.
  const token = { cancelled: false };
  let calls = 0;
  const counting: NoisePredictor = (x, t) => {
    if (++calls === 3) token.cancelled = true;
    return oracle(schedule, target)(x, t);
  };
  assert.equal(await ddimSample(tf, counting, schedule, noise, 20, token), undefined);
  assert.equal(calls, 3);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([target, noise]);
});

test('DDIM leaves no tensor behind when its predictor or its onStep throws (a model disposed under it)', async () => {
  const schedule = makeSchedule(100, 'linear');
  const noise = tf.randomNormal([2, 4, 4, 1], 0, 1, 'float32', 5);
  const before = tf.memory().numTensors;
  let calls = 0;
  const failing: NoisePredictor = (x) => {
    if (++calls === 3) throw new Error('Container is already disposed');
    return tf.zerosLike(x);
  };
  await assert.rejects(ddimSample(tf, failing, schedule, noise, 10), /already disposed/);
  assert.equal(tf.memory().numTensors, before, 'a throwing predictor');
  await assert.rejects(
    ddimSample(tf, (x) => tf.zerosLike(x), schedule, noise, 10, undefined, async () => {}, (_x, done) => {
      if (done === 2) throw new Error('the view is gone');
    }),
    /the view is gone/,
  );
  assert.equal(tf.memory().numTensors, before, 'a throwing onStep');
  noise.dispose();
});

test('DDIM: when x̂₀ is clipped, the step uses the noise recomputed from the clipped x̂₀, not the model\'s', async () => {
  // Two sampler steps (t = 99, then t = 0) of a predictor that always says ε̂ = 0.3
  // and records what it is given: its second input is the x_prev of the first step.
  const schedule = makeSchedule(100, 'linear');
  const seen: number[][] = [];
  const constant: NoisePredictor = (x, t) => {
    seen.push(Array.from(x.dataSync()));
    return tf.fill(x.shape, 0.3);
  };
  // √ᾱ_99 ≈ 0.0045: x_t = 0.3 ± 0.002 gives an x̂₀ of about ±0.44, inside [−1, 1]; the others are clipped.
  const xs = [2.5, -3, 0.302, 0.298, 1.2];
  const noise = tf.tensor(xs, [1, 5, 1, 1]);
  const out = (await ddimSample(tf, constant, schedule, noise, 2))!;
  const [ab, abPrev] = [schedule.alphaBars[99], schedule.alphaBars[0]];
  const clipped: number[] = [];
  xs.forEach((x, i) => {
    const x0 = Math.min(1, Math.max(-1, (x - Math.sqrt(1 - ab) * 0.3) / Math.sqrt(ab)));
    const eps = (x - Math.sqrt(ab) * x0) / Math.sqrt(1 - ab);
    if (Math.abs(eps - 0.3) > 1e-3) clipped.push(i);
    const want = Math.sqrt(abPrev) * x0 + Math.sqrt(1 - abPrev) * eps;
    assert.ok(Math.abs(seen[1][i] - want) < 1e-4 * Math.max(1, Math.abs(want)), `pixel ${i}: x_prev ${seen[1][i]}, want ${want}`);
    // x_prev is DDIM's point for x̂₀ and the same noise as x_t: its ε̂ at step 0 is x_t's.
    assert.ok(Math.abs((seen[1][i] - Math.sqrt(abPrev) * x0) / Math.sqrt(1 - abPrev) - eps) < 1e-3 * Math.max(1, Math.abs(eps)), `pixel ${i}: consistent noise`);
  });
  assert.deepEqual(clipped, [0, 1, 4], 'the clip was active where |x̂₀| > 1 and changed the noise there');
  // Where the clip did nothing, the model's ε̂ is kept.
  const unclipped = (x: number) => Math.sqrt(abPrev) * ((x - Math.sqrt(1 - ab) * 0.3) / Math.sqrt(ab)) + Math.sqrt(1 - abPrev) * 0.3;
  assert.ok(Math.abs(seen[1][2] - unclipped(0.302)) < 1e-4, `${seen[1][2]} vs ${unclipped(0.302)}`);
  tf.dispose([out, noise]);
});

// ------------------------------------------------------------------ training

const TINY = `model Denoiser {
  input t: int[1]
  input noisy: [8, 8, 1]
  temb = t -> sinusoidal(16) -> dense(16) -> silu -> reshape([1, 1, 16])
  h = noisy -> conv2d(16, 3, padding = same) -> silu
  h = h + temb -> dropout(0.1)
  output h -> conv2d(16, 3, padding = same) -> silu -> conv2d(1, 3, padding = same)
}
`;
const SECTION = `train Denoiser {
  data: digits(samples = 160, size = 8)
  loss: denoise(steps = 100, schedule = cosine, samples = 4, sample_steps = 10)
  optimizer: adam(lr = 3e-3)
  epochs: 3
  batch: 16
  validation: 0.2
  metrics: [mae]
}
`;

function model(text: string): { info: ModelInfo; config: TrainConfig } {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`), []);
  return { info: a.models[0], config: a.trains[0]?.config };
}

const digitsData = (samples: number, size: number): TrainData => ({ ...digits({ samples, size, seed: 2 }), source: 'digits' });

test('a tiny denoiser lowers its loss; forward strip first, then the samples of every epoch from the same noise', async () => {
  // Without dropout, whose masks tfjs draws unseeded, so that a second run repeats the first exactly.
  const { info, config } = model(TINY.replace(' -> dropout(0.1)', '') + SECTION);
  assert.equal(config.loss, 'denoise');
  const built = buildModel(tf, info, { seed: 1 });
  const roles = denoiseInputs(built.model, info, digitsData(10, 8));
  assert.deepEqual([roles.step, roles.image, roles.stepDtype], [0, 1, 'int32'], 'the step is told by its shape, not its place');
  const before = tf.memory().numTensors;
  const strips: SampleStrip[] = [];
  const batches: number[] = [];
  const order: string[] = [];
  const h = await trainModel(tf, built.model, info, digitsData(160, 8), {
    config,
    onSamples: (s) => {
      strips.push(s);
      order.push(`${s.kind} ${s.epoch}`);
    },
    onBatch: (b) => void batches.push(b.loss),
    onEpoch: (l) => void order.push(`epoch ${l.epoch}`),
  });
  assert.equal(h.status, 'completed');
  assert.equal(h.epochs.length, 3);
  assert.equal(batches.length, 3 * Math.ceil(128 / 16));
  const [first, last] = [h.epochs[0], h.epochs[2]];
  assert.ok(last.loss < first.loss * 0.8, `loss ${first.loss} → ${last.loss}`);
  assert.ok(last.valLoss! < first.valLoss!, `val loss ${first.valLoss} → ${last.valLoss}`);
  // Before training the predicted noise is near 0: the mean squared error is about E[ε²] = 1.
  assert.ok(first.loss < 1.5 && last.valLoss! < 1, `${first.loss}, ${last.valLoss}`);
  assert.ok(last.metrics.mae > 0 && last.valMetrics!.mae > 0, 'mae of the predicted noise');
  assert.equal(tf.memory().numTensors, before, 'no tensors leak from the loop');

  // An epoch's logs (and the checkpoint its onEpoch writes) come before its images: they do not wait on the sampler.
  assert.deepEqual(order, ['forward 0', 'epoch 1', 'generated 1', 'epoch 2', 'generated 2', 'epoch 3', 'generated 3']);
  assert.deepEqual(strips.map((s) => [s.kind, s.epoch, s.count]), [
    ['forward', 0, 8],
    ['generated', 1, 4],
    ['generated', 2, 4],
    ['generated', 3, 4],
  ]);
  const fwd = strips[0];
  assert.deepEqual(fwd.shape, [8, 8, 1]);
  assert.deepEqual(fwd.captions, ['t = 0', 't = 14', 't = 28', 't = 42', 't = 57', 't = 71', 't = 85', 't = 99']);
  // t = 0 is the first training example itself (ᾱ_0 ≈ 1); at T − 1 its trace is gone under the noise.
  const k = validationSplit(160, 0.2, 1).train[0];
  const example = digitsData(160, 8).xs.subarray(k * 64, (k + 1) * 64);
  const distance = (p: Float32Array) => p.reduce((a, v, i) => a + Math.abs(v - example[i]), 0) / p.length;
  assert.ok(distance(fwd.pixels.subarray(0, 64)) < 0.03, `t = 0: ${distance(fwd.pixels.subarray(0, 64))}`);
  assert.ok(distance(fwd.pixels.subarray(7 * 64, 8 * 64)) > 0.2, `t = 99: ${distance(fwd.pixels.subarray(7 * 64, 8 * 64))}`);
  for (const s of strips) {
    assert.equal(s.pixels.length, s.count * 64);
    assert.ok(s.pixels.every((v) => v >= 0 && v <= 1), 'pixels in [0, 1]');
  }
  assert.notDeepEqual(Array.from(strips[1].pixels), Array.from(strips[3].pixels), 'the samples change as the model learns');

  // Same seed, same run: the strips and the losses repeat exactly.
  const again = buildModel(tf, info, { seed: 1 });
  const strips2: SampleStrip[] = [];
  const h2 = await trainModel(tf, again.model, info, digitsData(160, 8), { config: { ...config, epochs: 1 }, onSamples: (s) => void strips2.push(s) });
  assert.equal(h2.epochs[0].loss, first.loss);
  assert.deepEqual(Array.from(strips2[1].pixels), Array.from(strips[1].pixels));
  again.model.dispose();
  built.model.dispose();
});

test('inference mode outside training: the loop validates and samples with dropout off, and trains with it on', async () => {
  const { info, config } = model(TINY.replace('dropout(0.1)', 'dropout(0.9)') + SECTION);
  const built = buildModel(tf, info, { seed: 1 });
  const roles = denoiseInputs(built.model, info, digitsData(10, 8));
  // What the flag changes: dropout(0.9) makes two training-mode passes differ, inference-mode ones repeat.
  const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 5);
  const t = tf.tensor([[3], [50]], [2, 1], 'int32');
  const run = (training: boolean) => tf.tidy(() => modelPredictor(tf, built.model, roles, training)(x, t).dataSync());
  assert.deepEqual(Array.from(run(false)), Array.from(run(false)));
  assert.notDeepEqual(Array.from(run(true)), Array.from(run(false)), 'the test would see dropout');
  tf.dispose([x, t]);

  // The loop's own calls: every model.apply, tagged with the phase the callbacks say it is in
  // (batches until the last onBatch of an epoch, then validation until onEpoch, then sampling until onSamples).
  const apply = built.model.apply.bind(built.model);
  const calls: { phase: string; epoch: number; training: unknown }[] = [];
  let phase = 'train';
  let epoch = 1;
  built.model.apply = ((inputs, kwargs) => {
    calls.push({ phase, epoch, training: kwargs?.training });
    return apply(inputs, kwargs);
  }) as typeof built.model.apply;
  const h = await trainModel(tf, built.model, info, digitsData(160, 8), {
    config: { ...config, epochs: 2 },
    onBatch: (b) => {
      if (b.batch === b.batches) phase = 'validate';
    },
    onEpoch: () => void (phase = 'sample'),
    onSamples: (s) => {
      if (s.kind === 'generated') [phase, epoch] = ['train', s.epoch + 1];
    },
  });
  assert.equal(h.status, 'completed');
  const count = (p: string, e: number) => calls.filter((c) => c.phase === p && c.epoch === e).length;
  for (const e of [1, 2]) {
    assert.deepEqual([count('train', e), count('validate', e), count('sample', e)], [8, 1, 10], `epoch ${e}: 8 batches, 32 validation examples in one pass, 10 sampler steps`);
  }
  for (const c of calls) assert.equal(c.training, c.phase === 'train', `a ${c.phase} call of epoch ${c.epoch} ran with training = ${String(c.training)}`);
  built.model.dispose();
});

test('cancelling during validation or sampling keeps the epoch just trained: its logs, and its checkpoint through onEpoch', async () => {
  const { info, config } = model(TINY + SECTION);
  const built = buildModel(tf, info, { seed: 1 });
  const before = tf.memory().numTensors;
  for (const when of ['validation', 'sampling'] as const) {
    const token = { cancelled: false };
    let armed = false;
    const epochs: EpochLogs[] = [];
    const strips: SampleStrip[] = [];
    const h = await trainModel(tf, built.model, info, digitsData(160, 8), {
      config,
      token,
      onBatch: (b) => {
        // Stop pressed after the last batch of epoch 1: seen while validating, or at the sampler's next step.
        if (b.epoch === 1 && b.batch === b.batches) {
          if (when === 'validation') token.cancelled = true;
          else armed = true;
        }
      },
      yieldEvery: async () => {
        // The first yield after the armed point is the sampler's, between its first and second step.
        if (armed) token.cancelled = true;
      },
      onEpoch: (l) => void epochs.push(l),
      onSamples: (s) => void strips.push(s),
    });
    assert.equal(h.status, 'cancelled', when);
    assert.deepEqual(h.epochs.map((e) => e.epoch), [1], `${when}: epoch 1 kept`);
    assert.deepEqual(epochs, h.epochs, `${when}: onEpoch (which writes the checkpoint) got epoch 1`);
    assert.ok(Number.isFinite(epochs[0].valLoss) && Number.isFinite(epochs[0].valMetrics?.mae), `${when}: with its whole validation`);
    assert.deepEqual(strips.map((s) => `${s.kind} ${s.epoch}`), ['forward 0'], `${when}: no strip of a cancelled sampling`);
    assert.equal(tf.memory().numTensors, before, `${when}: no tensors leak`);
  }
  built.model.dispose();
});

test('the page\'s check of a train message: denoise and adversarial settings within the bounds the analysis allows', () => {
  const { info, config } = model(TINY + SECTION);
  const { data, ...rest } = config;
  const message = (patch: Partial<TrainConfig>, more: object = {}) =>
    parseHostMessage(
      JSON.parse(JSON.stringify({ type: 'train', uri: 'file:///w/t.nnmodel', version: 1, run: 1, model: serializeModel(info), config: { ...rest, ...patch }, seed: 1, data: dataPayload(data!, undefined), ...more })),
    );
  const denoise = config.denoise!;
  const spec = (loss: 'denoise' | 'adversarial', name: string) => GENERATIVE_LOSSES[loss].find((o) => o.name === name)!;
  assert.ok(message({}), 'the section as analysed passes');
  const [steps, samples, gSamples] = [spec('denoise', 'steps'), spec('denoise', 'samples'), spec('adversarial', 'samples')];
  const d = (patch: Partial<typeof denoise>) => message({ denoise: { ...denoise, ...patch } });
  for (const ok of [{ steps: steps.min!, sampleSteps: 1 }, { steps: steps.max! }, { samples: samples.min! }, { samples: samples.max! }, { sampleSteps: denoise.steps }]) {
    assert.ok(d(ok), `accepted: ${JSON.stringify(ok)}`);
  }
  for (const bad of [{ steps: steps.min! - 1 }, { steps: steps.max! + 1 }, { samples: -1 }, { samples: samples.max! + 1 }, { samples: 2.5 }, { sampleSteps: 0 }, { sampleSteps: denoise.steps + 1 }]) {
    assert.equal(d(bad), undefined, `rejected: ${JSON.stringify(bad)}`);
  }
  // A GAN's samples, the same range.
  // (The discriminator model itself does not matter to this check: any plain model passes.)
  const g = (n: number) => message({ loss: 'adversarial', denoise: undefined, adversarial: { discriminator: 'D', samples: n } }, { discriminator: { model: serializeModel(info) } });
  assert.ok(g(gSamples.min!) && g(gSamples.max!));
  for (const n of [-1, gSamples.max! + 1, 2.5]) assert.equal(g(n), undefined, `GAN samples ${n}`);
  assert.deepEqual([samples.min, samples.max], [gSamples.min, gSamples.max]);
});

test('cancelling stops between batches and keeps whole epochs; a NaN loss names its epoch and batch', async () => {
  const { info, config } = model(TINY + SECTION);
  const built = buildModel(tf, info, { seed: 1 });
  const before = tf.memory().numTensors;
  const token = { cancelled: false };
  let seen = 0;
  const h = await trainModel(tf, built.model, info, digitsData(160, 8), {
    config,
    token,
    onBatch: (b) => {
      seen++;
      if (b.epoch === 2 && b.batch === 3) token.cancelled = true;
    },
  });
  assert.equal(h.status, 'cancelled');
  assert.deepEqual(h.epochs.map((e) => e.epoch), [1]);
  assert.equal(seen, 8 + 3);
  assert.equal(tf.memory().numTensors, before, 'no tensors leak when cancelled');

  const bad = digitsData(160, 8);
  bad.xs = Float32Array.from(bad.xs);
  bad.xs.fill(Number.NaN);
  await assert.rejects(
    trainModel(tf, built.model, info, bad, { config }),
    (e: Error) => e instanceof TrainError && /the loss became NaN in epoch 1, batch 1/.test(e.message),
  );
  assert.equal(tf.memory().numTensors, before, 'no tensors leak on a NaN');
  built.model.dispose();
});

test('data that does not fit the denoiser is a TrainError saying what to change', async () => {
  const { info, config } = model(TINY + SECTION);
  const built = buildModel(tf, info, { seed: 1 });
  await assert.rejects(trainModel(tf, built.model, info, digitsData(40, 12), { config }), /digits gives images of shape \[12, 12, 1\], but the image input 'noisy' of 'Denoiser' takes \[8, 8, 1\]/);
  const one = model(`model M {\n  input x: [8, 8, 1]\n  output x -> conv2d(1, 3, padding = same)\n}\n`);
  const m = buildModel(tf, one.info, { seed: 1 });
  await assert.rejects(trainDenoiser(tf, m.model, one.info, digitsData(40, 8), { config }), /two inputs, the noisy image and its step t/);
  built.model.dispose();
  m.model.dispose();
});

// ------------------------------------------------------------------ analysis

function diagnosticsOf(text: string): Diagnostic[] {
  return analyze(text).diagnostics.filter((d) => d.code.startsWith('train.'));
}

function one(text: string, code: string): Diagnostic {
  const ds = diagnosticsOf(text);
  assert.deepEqual(ds.map((d) => d.code), [code], JSON.stringify(ds.map((d) => d.message)));
  return ds[0];
}

/** Line and column (1-based) of a diagnostic's start, and the text it covers. */
function at(text: string, d: Diagnostic): string {
  const lines = text.split('\n');
  const { start, end } = d.range;
  const covered = start.line === end.line ? lines[start.line].slice(start.character, end.character) : '…';
  return `${start.line + 1}:${start.character + 1} ${covered}`;
}

test('analysis: a fitting denoiser is clean, whichever input comes first, with an int or a float step', () => {
  assert.deepEqual(diagnosticsOf(TINY + SECTION), []);
  const swapped = TINY.replace('  input t: int[1]\n  input noisy: [8, 8, 1]\n', '  input noisy: [8, 8, 1]\n  input t: [1]\n');
  assert.notEqual(swapped, TINY);
  assert.deepEqual(diagnosticsOf(swapped + SECTION), []);
  assert.deepEqual(diagnosticsOf(TINY + SECTION.replace(/loss: .*\n/, 'loss: denoise\n')), [], 'bare denoise takes the defaults');
});

test('build shapes: a symbolic image size binds to the data, the step input (first or second) to [1]', () => {
  const text = (first: string, second: string) =>
    `model D {\n  ${first}\n  ${second}\n  e = t -> sinusoidal(4) -> dense(8)\n  output noisy -> conv2d(8, 3, padding = same) + e\n}\n`;
  for (const [first, second] of [
    ['input t: int[1]', 'input noisy: [s, s, c]'],
    ['input noisy: [s, s, c]', 'input t: int[1]'],
  ]) {
    const info = analyze(text(first, second)).models[0];
    assert.equal(info.hasErrors, false);
    const data = { exampleShape: [16, 16, 1], xs: new Float32Array(0), xDtype: 'float32' } as unknown as TrainData;
    const shapes = trainInputShapes(info, 'denoise', data);
    assert.deepEqual(shapes, first.startsWith('input t') ? [[1], [16, 16, 1]] : [[16, 16, 1], [1]]);
    assert.deepEqual(symbolicDimsFor(info, shapes), { c: 1 }, 'the weights depend on c, which the data fixes');
  }
});

test('analysis: inputs, data, output and metrics of a denoise section, with precise ranges and what to change', () => {
  const oneInput = `model M {\n  input x: [8, 8, 1]\n  output x -> conv2d(1, 3, padding = same)\n}\n` + SECTION.replace('Denoiser', 'M');
  const d1 = one(oneInput, 'train.denoise_inputs');
  assert.match(d1.message, /two inputs, the noisy image and its step t \(`input t: int\[1\]`\), but 'M' has 1: 'x' \[8, 8, 1\]/);
  assert.equal(at(oneInput, d1), '7:9 denoise(steps = 100, schedule = cosine, samples = 4, sample_steps = 10)');

  const noStep = TINY.replace('input t: int[1]', 'input t: int[2]').replace('t -> sinusoidal(16)', 't -> reshape([2, 1]) -> sinusoidal(16) -> flatten -> dense(16)');
  const d2 = one(noStep + SECTION, 'train.denoise_inputs');
  assert.match(d2.message, /tells the inputs apart by shape: one of shape \[1\] gets the step t, but 'Denoiser' takes 't' int\[2\], 'noisy' \[8, 8, 1\]; declare the step as `input t: int\[1\]`/);
  assert.equal(d2.related?.length, 2);

  const twoSteps = `model M {\n  input a: [1]\n  input t: int[1]\n  output a + t -> sinusoidal(2) -> dense(1)\n}\n` + SECTION.replace('Denoiser', 'M');
  assert.match(one(twoSteps, 'train.denoise_inputs').message, /both inputs of 'M' have shape \[1\]; loss: denoise needs one for the step t and one for the image/);

  const d3 = one(TINY + SECTION.replace('size = 8', 'size = 12'), 'train.data_shape');
  assert.match(d3.message, /^digits gives images of \[12, 12, 1\], but the image input 'noisy' of 'Denoiser' takes \[8, 8, 1\]\. Use digits\(size = 8\)\.$/);
  assert.equal(at(TINY + SECTION.replace('size = 8', 'size = 12'), d3), '10:38 12', 'on the size that is wrong');
  assert.equal(d3.fixes?.[0].edits[0].newText, '8');
  assert.match(one(TINY + SECTION.replace('digits(samples = 160, size = 8)', 'shapes(size = 8)'), 'train.data_shape').message, /shapes has 3 channels; use digits\(size = 8\), or an input of \[8, 8, 3\]/);

  const d4 = one(TINY + SECTION.replace('digits(samples = 160, size = 8)', 'waves(length = 64)'), 'train.denoise_data');
  assert.match(d4.message, /loss: denoise learns to generate images; waves does not give images\. Use digits\(\.\.\.\), shapes\(\.\.\.\) or images\("folder"\)/);

  const wrongOut = TINY.replace('conv2d(1, 3, padding = same)\n}', 'conv2d(2, 3, padding = same)\n}');
  const d5 = one(wrongOut + SECTION, 'train.denoise_output');
  assert.match(d5.message, /its output has the image's shape \[8, 8, 1\], but 'Denoiser' outputs \[8, 8, 2\]; end with .*conv2d\(1, 3, padding = same\), with no activation/);
  assert.equal(d5.related?.[0].message, 'the output, [8, 8, 2]');

  const d6 = one(TINY + SECTION.replace('metrics: [mae]', 'metrics: [accuracy, mae]'), 'train.denoise_metric');
  assert.equal(d6.severity, 'warning');
  assert.match(d6.message, /accuracy makes no sense for loss: denoise: the model predicts noise, not classes\. The only metric here is mae/);
  assert.equal(at(TINY + SECTION.replace('metrics: [mae]', 'metrics: [accuracy, mae]'), d6), '16:13 accuracy');

  // An int image never reaches the section's checks: the first convolution already refuses it.
  const intImage = TINY.replace('input noisy: [8, 8, 1]', 'input noisy: int[8, 8, 1]');
  assert.deepEqual(analyze(intImage + SECTION).diagnostics.filter((d) => d.severity === 'error').map((d) => d.code), ['shape.not_float']);
});

// ------------------------------------------------------------------ CLI

test('CLI: `nnmodel train` on a tiny denoiser prints its epochs, writes the checkpoint, forward.png and samples.png', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-diffusion-'));
  try {
    writeFileSync(join(dir, 'tiny.nnmodel'), TINY + SECTION.replace('epochs: 3', 'epochs: 2').replace('samples = 160', 'samples = 64'));
    const run = (...argv: string[]) => runCli(dir, ...argv);
    const r = await run('train', 'tiny.nnmodel');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[1], /^epoch 2\/2 · loss \d\.\d{4} · mae \d\.\d{4} · val_loss \d\.\d{4} · val_mae \d\.\d{4} · /);
    const ck = join(dir, '.nnmodel/tiny/Denoiser');
    assert.equal((r.err.match(/samples\.png/g) ?? []).length, 1, `the samples path is said once: ${r.err}`);
    assert.equal((r.err.match(/forward\.png/g) ?? []).length, 1);
    assert.ok(r.err.includes(`the noising of one example (t = 0, t = 14, t = 28, t = 42, t = 57, t = 71, t = 85, t = 99): ${join(ck, 'forward.png')}`), r.err);
    assert.ok(r.err.includes(`generated images, rewritten after every epoch: ${join(ck, 'samples.png')}`), r.err);
    // 8 noised copies of a 8×8 digit in one row, scaled ×8 with 2-pixel gaps; 4 samples in one row.
    const fwd = PNG.sync.read(readFileSync(join(ck, 'forward.png')));
    assert.deepEqual([fwd.width, fwd.height], [8 * 64 + 9 * 2, 64 + 2 * 2]);
    const samples = PNG.sync.read(readFileSync(join(ck, 'samples.png')));
    assert.deepEqual([samples.width, samples.height], [4 * 64 + 5 * 2, 64 + 2 * 2]);
    const saved = await readCheckpoint(nodeCheckpointFs(), ck);
    assert.deepEqual([saved.modelJson.nnmodel.model, saved.modelJson.nnmodel.epoch], ['Denoiser', 2]);
    // Resuming continues the numbering and does not redraw the forward strip.
    const before = readFileSync(join(ck, 'forward.png'));
    const again = await run('train', 'tiny.nnmodel', '--resume', '--epochs', '1');
    assert.equal(again.code, 0, again.err);
    assert.match(again.out.trim(), /^epoch 3\/3 · loss/);
    assert.doesNotMatch(again.err, /forward\.png/);
    assert.deepEqual(readFileSync(join(ck, 'forward.png')), before);
    assert.ok(existsSync(join(ck, 'samples.png')));
    // evaluate draws t and ε as the validation did: it repeats the last epoch's val_loss.
    const valLoss = /val_loss (\d\.\d{4})/.exec(again.out)![1];
    const ev = await run('evaluate', 'tiny.nnmodel');
    assert.equal(ev.code, 0, ev.err);
    assert.match(ev.out, new RegExp(`^validation: loss ${valLoss.replace('.', '\\.')} · mae \\d\\.\\d{4}$`, 'm'));
    assert.match(ev.out, /^all data: {3}loss \d\.\d{4} · mae \d\.\d{4}$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a denoiser ending in a bounding activation (-> sigmoid) cannot give noise drawn from N(0, 1): train.denoise_activation, the fix removes it', () => {
  const base = readFileSync('examples/diffusion_digits.nnmodel', 'utf8');
  const text = base.replace('-> conv2d(1, 3, padding = same)   # ε', '-> conv2d(1, 3, padding = same) -> sigmoid   # ε');
  const d = one(text, 'train.denoise_activation');
  assert.equal(d.severity, 'warning');
  assert.match(at(text, d), / sigmoid$/);
  assert.match(d.message, /ends with sigmoid, which keeps its output in \[0, 1\]: the noise cannot be matched/);
  const fixed = applyFix(text, d);
  assert.equal(fixed, base);
  assert.deepEqual(diagnosticsOf(fixed), []);
  // The examples end with a plain convolution.
  assert.deepEqual(diagnosticsOf(base), []);
});
