// The inspector's Samples tab without the DOM: which states of the reverse
// process are shown and their captions (webview/views/samplesModel.ts), the
// reverse process with an exact noise predictor (webview/probes/generate.ts:
// the first snapshot is the starting noise, the last the data set's one
// image), the GAN latent walk, and the `train` field of the model message.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { startTrainingBackend } from '../../extension/core/runtime/kernels';
import { createRng } from '../../extension/core/runtime/data/random';
import { makeSchedule, samplerSteps, type NoisePredictor } from '../../extension/core/runtime/diffusion';
import { diffusionRoles, reverseProcess } from '../../webview/probes/generate';
import { generativeKind, imageCount, imagesText, latentWalk, MAX_IMAGES, progressText, snapshotPlan, walkCaptions, weightsNote } from '../../webview/views/samplesModel';
import { analyze } from '../../extension/core/analysis/analyze';
import { parseHostMessage } from '../../extension/core/protocol';
import { modelMessage } from '../../extension/vscode/inspector/messages';

before(() => startTrainingBackend(tf, 'wasm'));

test('snapshotPlan: from the starting noise at t = T − 1 down to x̂₀, captioned with t', () => {
  const plan = snapshotPlan(1000, 50);
  assert.equal(plan.stepsTotal, 50);
  assert.equal(plan.snapshots.length, 8);
  assert.deepEqual(plan.snapshots[0], { done: 0, t: 999, caption: 't = 999' });
  assert.deepEqual(plan.snapshots[7], { done: 50, t: 0, caption: 't = 0 (x̂₀)' });
  // After k steps x is at taus[K − 1 − k]: 7 of 50 steps done leaves taus[42].
  assert.equal(plan.snapshots[1].t, samplerSteps(1000, 50)[42]);
  const ts = plan.snapshots.map((s) => s.t);
  assert.ok(ts.every((t, i) => i === 0 || t < ts[i - 1]), `t falls: ${ts}`);
  // Fewer sampler steps than snapshots: every state, but the one at t = 0 that x̂₀ (one step on, ᾱ₀ ≈ 1) stands for.
  assert.deepEqual(snapshotPlan(10, 3).snapshots.map((s) => s.caption), ['t = 9', 't = 5', 't = 0 (x̂₀)']);
});

test('snapshotPlan: the snapshots are evenly spaced in t along the reverse process, the starting noise first and x̂₀ last', () => {
  // The QA case (both diffusion examples: 1000 steps, 50 sampler steps): t = 999, 856, 714, 571, 408, 265, 122, 0 had gaps of 143 … 163 … 122.
  const qa = snapshotPlan(1000, 50).snapshots;
  assert.deepEqual(qa.map((s) => s.t), [999, 856, 714, 571, 428, 285, 143, 0]);
  assert.deepEqual(qa.map((s) => s.done), [0, 7, 14, 21, 28, 35, 42, 50]);
  for (const [steps, sampleSteps, want] of [[1000, 50, 8], [1000, 20, 8], [1000, 100, 8], [200, 37, 6], [1000, 1000, 8], [50, 9, 8], [300, 13, 5], [1000, 50, 2]]) {
    const taus = samplerSteps(steps, sampleSteps);
    const K = taus.length;
    const snaps = snapshotPlan(steps, sampleSteps, want).snapshots;
    const at = `(${steps}, ${sampleSteps}, ${want}): t = ${snaps.map((s) => s.t)}`;
    assert.equal(snaps.length, Math.min(want, K), at);
    assert.deepEqual(snaps[0], { done: 0, t: steps - 1, caption: `t = ${steps - 1}` }, `the starting noise first ${at}`);
    assert.deepEqual(snaps[snaps.length - 1], { done: K, t: 0, caption: 't = 0 (x̂₀)' }, `x̂₀ last ${at}`);
    assert.ok(snaps.every((s, i) => i === 0 || (s.done > snaps[i - 1].done && s.t < snaps[i - 1].t)), `in order, t falling ${at}`);
    // Each is the sampler's state nearest to its even share of the way from T − 1 to 0: off by at most half the sampler's widest gap.
    let widest = 0;
    for (let j = 1; j < K; j++) widest = Math.max(widest, taus[j] - taus[j - 1]);
    snaps.forEach((s, i) => {
      const ideal = (steps - 1) * (1 - i / (snaps.length - 1));
      assert.ok(Math.abs(s.t - ideal) <= widest / 2 + 0.5, `snapshot ${i} at t = ${s.t}, its even place is ${ideal.toFixed(1)} ${at}`);
      // The caption and t say where x is: after `done` steps, at taus[K − 1 − done].
      if (s.done < K) assert.equal(s.t, taus[K - 1 - s.done], at);
    });
  }
});

/** The exact noise predictor of a data set of one image `target` (as test/unit/diffusion.test.ts). */
function oracle(schedule: ReturnType<typeof makeSchedule>, target: tf.Tensor): NoisePredictor {
  return (x, t) =>
    tf.tidy(() => {
      const ab = tf.gather(tf.tensor1d(Array.from(schedule.alphaBars), 'float32'), tf.reshape(t, [-1]));
      const shape = [-1, ...x.shape.slice(1).map(() => 1)];
      return tf.div(tf.sub(x, tf.mul(tf.reshape(tf.sqrt(ab), shape), target)), tf.reshape(tf.sqrt(tf.sub(1, ab)), shape));
    });
}

test('the reverse process with the exact noise predictor: the first snapshot is the noise, the last the target image', async () => {
  const rng = createRng(5);
  const shape = [4, 3, 1];
  const size = 12;
  const star = Float32Array.from({ length: size }, () => rng.uniform(-0.9, 0.9));
  const target = tf.tensor(star, [1, ...shape]);
  const noiseValues = Float32Array.from({ length: 2 * size }, () => rng.normal());
  const noise = tf.tensor(noiseValues, [2, ...shape]);
  const schedule = makeSchedule(200, 'cosine');
  const before = tf.memory().numTensors;
  let yields = 0;
  const r = (await reverseProcess(tf, oracle(schedule, target), schedule, noise, 20, 8, { cancelled: false }, async () => void yields++))!;
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.equal(r.frames.length, 8);
  assert.equal(r.snapshots.length, 8);
  assert.ok(yields >= 19, `yields between steps: ${yields}`);
  const unit = (v: number) => Math.min(1, Math.max(0, (v + 1) / 2));
  for (let i = 0; i < 2 * size; i++) assert.ok(Math.abs(r.frames[0][i] - unit(noiseValues[i])) < 1e-6, `first snapshot pixel ${i} is the noise`);
  for (let n = 0; n < 2; n++) {
    for (let i = 0; i < size; i++) assert.ok(Math.abs(r.frames[7][n * size + i] - unit(star[i])) < 1e-3, `last snapshot, image ${n}, pixel ${i}: ${r.frames[7][n * size + i]} vs ${unit(star[i])}`);
  }
  // In between the images move from the noise towards the target: the distance to it falls.
  const dist = r.frames.map((f) => f.slice(0, size).reduce((s, v, i) => s + (v - unit(star[i])) ** 2, 0));
  assert.ok(dist[0] > dist[4] && dist[4] > dist[7], `distance to the target: ${dist.map((d) => d.toFixed(3))}`);

  // Cancelled midway: undefined, nothing leaked.
  const token = { cancelled: false };
  let steps = 0;
  const cancelled = await reverseProcess(tf, oracle(schedule, target), schedule, noise, 20, 8, token, async () => {
    if (++steps === 3) token.cancelled = true;
  });
  assert.equal(cancelled, undefined);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([target, noise]);
});

test('diffusionRoles finds the step input by shape and refuses what is not a denoiser', () => {
  const img = tf.input({ shape: [8, 8, 1] });
  const t = tf.input({ shape: [1], dtype: 'int32' });
  const flat = tf.layers.flatten().apply(img) as tf.SymbolicTensor;
  const out = tf.layers.reshape({ targetShape: [8, 8, 1] }).apply(tf.layers.dense({ units: 64 }).apply(flat)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: [t, img], outputs: out });
  const r = diffusionRoles(model);
  assert.ok(typeof r !== 'string');
  assert.deepEqual(r.roles, { image: 1, step: 0, stepDtype: 'int32' });
  assert.deepEqual(r.shape, [8, 8, 1]);
  const one = tf.model({ inputs: img, outputs: out });
  assert.match(diffusionRoles(one) as string, /two inputs/);
  model.dispose();
});

test('latentWalk: from z₀ to z₁ on the great circle, norms kept between vectors of equal norm', () => {
  const z0 = Float32Array.from([3, 0, 0, 0]);
  const z1 = Float32Array.from([0, 3, 0, 0]);
  const walk = latentWalk(z0, z1, 8);
  assert.equal(walk.length, 8);
  assert.deepEqual(Array.from(walk[0]), Array.from(z0));
  assert.ok(walk[7].every((v, i) => Math.abs(v - z1[i]) < 1e-6));
  // A chord's middle has norm 3/√2; the arc keeps 3.
  for (const z of walk) assert.ok(Math.abs(Math.hypot(...z) - 3) < 1e-5, `norm ${Math.hypot(...z)}`);
  // Parallel vectors: linear.
  const lin = latentWalk([1, 1], [2, 2], 3);
  assert.deepEqual(Array.from(lin[1]), [1.5, 1.5]);
  assert.throws(() => latentWalk([1], [1, 2]), /noise vectors of 1 and 2/);
  assert.deepEqual(walkCaptions(5), ['z₀', '25 %', '50 %', '75 %', 'z₁']);
});

test('latentWalk between opposite vectors: a half circle through a perpendicular, never through z = 0', () => {
  const z0 = Float32Array.from([3, 1, -2, 0.5]);
  const z1 = z0.map((v) => -v);
  const walk = latentWalk(z0, z1, 9);
  assert.equal(walk.length, 9);
  const r = Math.hypot(...z0);
  assert.deepEqual(Array.from(walk[0]), Array.from(z0));
  assert.deepEqual(Array.from(walk[8]), Array.from(z1));
  for (const z of walk) assert.ok(Math.abs(Math.hypot(...z) - r) < 1e-4, `norm ${Math.hypot(...z)} of ${r}`);
  // The middle is perpendicular to z₀ (a quarter of the way round from each end).
  const mid = walk[4];
  assert.ok(Math.abs(mid.reduce((s, v, i) => s + v * z0[i], 0)) < 1e-3, 'the middle is perpendicular to z₀');
  // Opposite with other norms: the norm goes linearly from |z₀| to |z₁|.
  const w2 = latentWalk([2, 0], [-4, 0], 3);
  assert.ok(Math.abs(Math.hypot(...w2[1]) - 3) < 1e-5, `middle norm ${Math.hypot(...w2[1])}`);
  assert.deepEqual(Array.from(w2[2]), [-4, 0]);
  // One value has no perpendicular: the line.
  assert.deepEqual(latentWalk([1], [-1], 3).map((z) => z[0]), [1, 0, -1]);
});

test('imageCount and imagesText say what is generated; progressText moves in tenths and ends at step K of K', () => {
  assert.equal(imageCount(0, 1), 1);
  assert.equal(imageCount(0, 2), 2);
  assert.equal(imageCount(16, 1), 16);
  assert.equal(imageCount(1000, 1), MAX_IMAGES);
  assert.equal(imagesText(1), '1 image');
  assert.equal(imagesText(imageCount(0, 1)), '1 image');
  assert.equal(imagesText(4), '4 images');
  // 50 steps, the step in flight 1 … 50: shown at the first, each new tenth, and the last.
  let shown: number | undefined;
  const seen: string[] = [];
  for (let step = 1; step <= 50; step++) {
    const t = progressText(step, 50, shown);
    if (t !== undefined) {
      shown = step;
      seen.push(t);
    }
  }
  assert.equal(seen[0], 'step 1 of 50');
  assert.equal(seen[seen.length - 1], 'step 50 of 50');
  assert.ok(seen.length <= 12, `at most about every 10 %: ${seen.length} updates`);
  assert.deepEqual(seen.slice(1, 3), ['step 5 of 50', 'step 10 of 50']);
  // Few steps: every one.
  const few: string[] = [];
  shown = undefined;
  for (let step = 1; step <= 3; step++) {
    const t = progressText(step, 3, shown);
    if (t !== undefined) {
      shown = step;
      few.push(t);
    }
  }
  assert.deepEqual(few, ['step 1 of 3', 'step 2 of 3', 'step 3 of 3']);
});

test('generativeKind and weightsNote', () => {
  assert.equal(generativeKind(undefined), undefined);
  assert.equal(generativeKind({ loss: 'mse' }), undefined);
  assert.equal(generativeKind({ loss: 'denoise', denoise: { steps: 10, schedule: 'linear', samples: 8, sampleSteps: 5 } }), 'diffusion');
  assert.equal(generativeKind({ loss: 'adversarial', adversarial: { discriminator: 'D', samples: 8 } }), 'gan');
  assert.match(weightsNote(undefined), /^Initial \(untrained, random\) weights/);
  assert.equal(weightsNote({ epoch: 3, from: '.nnmodel/x' }), 'Trained weights of epoch 3, from the checkpoint in .nnmodel/x.');
  assert.equal(weightsNote({ epoch: 3, from: '.nnmodel/x', loaded: 10, total: 10 }), 'Trained weights of epoch 3, from the checkpoint in .nnmodel/x.');
});

test('weightsNote: a checkpoint that fits only some layers of the edited model says how many, and that the rest are random', () => {
  assert.equal(
    weightsNote({ epoch: 1, from: '.nnmodel/tcn_waves/TCN/best.json', loaded: 9, total: 10 }),
    'Trained weights of epoch 1 in only 9 of 10 layers, from the checkpoint in .nnmodel/tcn_waves/TCN/best.json: the model changed since, and the layer that no longer fits keeps its initial (random) weights. Train the model again to see what it learns.',
  );
  assert.match(weightsNote({ epoch: 2, loaded: 1, total: 4 }), /^Trained weights of epoch 2 in only 1 of 4 layers: .* the 3 layers that no longer fit keep their initial \(random\) weights\./);
});

test('the model message carries the train section of the shown model, validated by the page', () => {
  const src = `model M {
  input noisy: [8, 8, 1]
  input t: int[1]
  output noisy -> conv2d(1, 3, padding = same)
}
model N {
  input x: [4]
  output x -> dense(2)
}
train M {
  data: digits(samples = 10, size = 8)
  loss: denoise(steps = 100, schedule = linear, samples = 4, sample_steps = 10)
}
`;
  const analysis = analyze(src, { uri: 'file:///m.nnmodel' });
  const m = analysis.models.find((x) => x.name === 'M')!;
  const msg = modelMessage(analysis, m, 'file:///m.nnmodel', 1);
  assert.equal(msg.train?.loss, 'denoise');
  assert.deepEqual(msg.train?.denoise, { steps: 100, schedule: 'linear', samples: 4, sampleSteps: 10 });
  assert.equal('data' in (msg.train ?? {}), false, 'no data in the message');
  const parsed = parseHostMessage(JSON.parse(JSON.stringify(msg)));
  assert.equal(parsed?.type, 'model');
  assert.deepEqual(parsed?.type === 'model' ? parsed.train?.denoise : undefined, msg.train?.denoise);
  // The other model has no train section.
  assert.equal(modelMessage(analysis, analysis.models.find((x) => x.name === 'N')!, 'file:///m.nnmodel', 1).train, undefined);
  // A malformed train field is dropped: the model is still shown, without a Samples tab.
  const bad = parseHostMessage({ ...JSON.parse(JSON.stringify(msg)), train: { loss: 'denoise', denoise: { steps: -1 } } });
  assert.equal(bad?.type, 'model');
  assert.equal(bad?.type === 'model' ? bad.train : 'x', undefined);
});
