// GAN training (`loss: adversarial(Discriminator)`): the two losses against
// hand-computed values, the direction of one step of each player, a tiny
// GAN that learns a constant image, the analysis's checks, cancellation and
// tensor cleanup, and `nnmodel train` writing and resuming both checkpoints.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze } from '../../extension/core/analysis/analyze';
import { AnalysisSession } from '../../extension/core/analysis/session';
import { applyFix } from './sourceText';
import type { Diagnostic, ModelInfo, TrainConfig } from '../../extension/core/analysis/types';
import { buildModel } from '../../extension/core/runtime/build';
import { startTrainingBackend } from '../../extension/core/runtime/kernels';
import { TrainError, makeOptimizer, type SampleStrip, type TrainData } from '../../extension/core/runtime/train';
import {
  checkGanFits,
  discriminatorLoss,
  generatorLoss,
  generatorRange,
  ganStep,
  sampleNoise,
  trainGan,
  type GanPart,
} from '../../extension/core/runtime/gan';
import { discriminatorCheckpointDir, fnv1a, readCheckpoint, readModelCheckpoint } from '../../extension/core/runtime/checkpoint';
import { parseHostMessage, serializeModel, type TrainingEvent, type TrainStartMessage } from '../../extension/core/protocol';
import { dataPayload } from '../../extension/core/runtime/trainTransfer';
import { runTraining, type EncodedCheckpoint } from '../../webview/training/trainCore';
import { nodeCheckpointFs } from '../../extension/cli/trainJob';
import { runCli } from '../fixtures/cli';

before(() => startTrainingBackend(tf, 'wasm'));

/** A tiny MLP GAN on 8×8 grey images. */
const TINY = `model G {
  input z: [4]
  output z -> dense(64) -> tanh -> reshape([8, 8, 1])
}

model D {
  input image: [8, 8, 1]
  output image -> flatten -> dense(16) -> leaky_relu(0.2) -> dense(1) -> sigmoid
}
`;

function models(text: string): { g: ModelInfo; d: ModelInfo; diagnostics: Diagnostic[]; config?: TrainConfig } {
  const a = analyze(text);
  return { g: a.models.find((m) => m.name === 'G')!, d: a.models.find((m) => m.name === 'D')!, diagnostics: a.diagnostics, config: a.trains[0]?.config };
}

function part(info: ModelInfo, seed: number): GanPart {
  return { model: buildModel(tf, info, { seed }).model, info };
}

/** `count` images of [8, 8, 1], every pixel `value`. */
function constantImages(count: number, value: number): TrainData {
  return { source: 'constant', count, xs: new Float32Array(count * 64).fill(value), xDtype: 'float32', exampleShape: [8, 8, 1], ys: new Int32Array(count), targetShape: [], classes: [] };
}

function config(over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    loss: 'adversarial',
    adversarial: { discriminator: 'D', samples: 4 },
    optimizer: { kind: 'adam', lr: 0.01, beta1: 0.5 },
    epochs: 1,
    batch: 16,
    validation: 0,
    metrics: [],
    ...over,
  };
}

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) < tol, `${a} ≈ ${b}`);

// ------------------------------------------------------------------ losses

test('the losses against hand-computed values, from probabilities and from logits alike', () => {
  const pReal = [0.9, 0.6];
  const pFake = [0.2, 0.5];
  const wantD = -(Math.log(0.9) + Math.log(0.6)) / 2 - (Math.log(0.8) + Math.log(0.5)) / 2;
  const wantG = -(Math.log(0.2) + Math.log(0.5)) / 2;
  const logit = (p: number) => Math.log(p / (1 - p));
  tf.tidy(() => {
    close(discriminatorLoss(tf, 'probabilities', tf.tensor2d(pReal, [2, 1]), tf.tensor2d(pFake, [2, 1])).dataSync()[0], wantD);
    close(generatorLoss(tf, 'probabilities', tf.tensor2d(pFake, [2, 1])).dataSync()[0], wantG);
    close(discriminatorLoss(tf, 'logits', tf.tensor2d(pReal.map(logit), [2, 1]), tf.tensor2d(pFake.map(logit), [2, 1])).dataSync()[0], wantD);
    close(generatorLoss(tf, 'logits', tf.tensor2d(pFake.map(logit), [2, 1])).dataSync()[0], wantG);
    // D at 0.5 everywhere: log 4 for D, log 2 for G.
    close(discriminatorLoss(tf, 'logits', tf.zeros([3, 1]), tf.zeros([3, 1])).dataSync()[0], Math.log(4));
    close(generatorLoss(tf, 'logits', tf.zeros([3, 1])).dataSync()[0], Math.log(2));
  });
});

test('a step whose generator update throws frees what the discriminator step made', async () => {
  const { g, d } = models(TINY);
  const G = part(g, 1);
  const D = part(d, 2);
  const optimizers = { generator: makeOptimizer(tf, { kind: 'sgd', lr: 0.05 }), discriminator: makeOptimizer(tf, { kind: 'sgd', lr: 0.05 }) };
  const real = tf.fill([8, 8, 8, 1], 0.6);
  const z = tf.randomNormal([8, 4], 0, 1, 'float32', 3);
  const before = tf.memory().numTensors;
  const failing = { ...optimizers, generator: { minimize: () => { throw new Error('no backend'); } } as unknown as tf.Optimizer };
  await assert.rejects(ganStep(tf, G, D, failing, real, z), /no backend/);
  // The discriminator's optimiser keeps state of its own (sgd: none); nothing else may stay.
  assert.equal(tf.memory().numTensors, before, 'D\'s loss and means freed, G\'s saved statistics freed');
  tf.dispose([real, z]);
  optimizers.generator.dispose();
  optimizers.discriminator.dispose();
  G.model.dispose();
  D.model.dispose();
});

test("one step moves D toward telling real from generated, then G toward fooling the new D", async () => {
  const { g, d } = models(TINY);
  const G = part(g, 1);
  const D = part(d, 2);
  const before = tf.memory().numTensors;
  const optimizers = { generator: makeOptimizer(tf, { kind: 'sgd', lr: 0.05 }), discriminator: makeOptimizer(tf, { kind: 'sgd', lr: 0.05 }) };
  const real = tf.fill([8, 8, 8, 1], 0.6);
  const z = tf.randomNormal([8, 4], 0, 1, 'float32', 3);
  const dOf = (x: tf.Tensor) => tf.tidy(() => tf.mean(D.model.apply(x, { training: false }) as tf.Tensor).dataSync()[0]);
  const fakeBefore = tf.tidy(() => G.model.apply(z, { training: false }) as tf.Tensor);
  const realBefore = dOf(real);
  const fakeScoreBefore = dOf(fakeBefore);
  const f = await ganStep(tf, G, D, optimizers, real, z);
  close(f.dReal, realBefore, 1e-5);
  close(f.dFake, fakeScoreBefore, 1e-5);
  assert.ok(dOf(real) > realBefore, `D(real) rises: ${realBefore} → ${dOf(real)}`);
  const fakeScoreAfterD = dOf(fakeBefore);
  assert.ok(fakeScoreAfterD < fakeScoreBefore, `D(G_old(z)) falls: ${fakeScoreBefore} → ${fakeScoreAfterD}`);
  const fakeAfter = tf.tidy(() => G.model.apply(z, { training: false }) as tf.Tensor);
  assert.ok(dOf(fakeAfter) > fakeScoreAfterD, `the new G fools the new D more: ${fakeScoreAfterD} → ${dOf(fakeAfter)}`);
  tf.dispose([real, z, fakeBefore, fakeAfter]);
  optimizers.generator.dispose();
  optimizers.discriminator.dispose();
  assert.equal(tf.memory().numTensors, before, 'a step frees what it makes');
  G.model.dispose();
  D.model.dispose();
});

// ------------------------------------------------------------------ training

test('a tiny GAN learns a constant image: its samples approach the value, from the same fixed noise every epoch', async () => {
  const { g, d } = models(TINY);
  const G = part(g, 1);
  const D = part(d, 2);
  const value = 0.8;
  const strips: SampleStrip[] = [];
  const before = tf.memory().numTensors;
  const history = await trainGan(tf, G, D, constantImages(256, value), {
    config: config({ epochs: 12, batch: 16, optimizer: { kind: 'adam', lr: 0.02, beta1: 0.5 } }),
    onSamples: (s) => void strips.push(s),
  });
  assert.equal(tf.memory().numTensors, before, 'no tensors leak from the loop (optimisers freed too)');
  assert.equal(history.status, 'completed');
  assert.equal(history.epochs.length, 12);
  assert.equal(strips.length, 12);
  const err = (s: SampleStrip) => s.pixels.reduce((a, p) => a + Math.abs(p - value), 0) / s.pixels.length;
  for (const s of strips) {
    assert.deepEqual([s.kind, s.shape, s.count, s.pixels.length], ['generated', [8, 8, 1], 4, 256]);
    assert.ok(s.pixels.every((p) => p >= 0 && p <= 1), 'pixels in [0, 1]');
  }
  const first = err(strips[0]);
  const last = err(strips[strips.length - 1]);
  assert.ok(last < 0.1 && last < first / 2, `mean |sample − ${value}|: epoch 1 ${first.toFixed(3)}, epoch 12 ${last.toFixed(3)}`);
  const l = history.epochs[11];
  assert.deepEqual(Object.keys(l.metrics).sort(), ['d_fake', 'd_loss', 'd_real']);
  assert.ok(l.metrics.d_real >= 0 && l.metrics.d_real <= 1 && l.metrics.d_fake >= 0 && l.metrics.d_fake <= 1);
  assert.ok(Number.isFinite(l.loss) && l.metrics.d_loss > 0);
  G.model.dispose();
  D.model.dispose();
});

test('batchnorm in the generator and dropout in the discriminator: trains, moves the running statistics, frees every tensor', async () => {
  const text = TINY.replace('output z -> dense(64) -> tanh', 'output z -> dense(16) -> batchnorm -> relu -> dense(64) -> tanh').replace('leaky_relu(0.2) -> dense(1)', 'leaky_relu(0.2) -> dropout(0.3) -> dense(1)');
  const { g, d, diagnostics } = models(text);
  assert.deepEqual(diagnostics, []);
  const G = part(g, 1);
  const D = part(d, 2);
  const stats = () => G.model.weights.filter((w) => /moving_mean/.test(w.name)).map((w) => Array.from(w.read().dataSync()));
  const start = stats();
  assert.equal(start.length, 1, 'one batchnorm, one running mean');
  const before = tf.memory().numTensors;
  const history = await trainGan(tf, G, D, constantImages(64, 0.3), { config: config({ batch: 16, epochs: 2 }) });
  assert.equal(history.epochs.length, 2);
  assert.ok(history.epochs.every((e) => Number.isFinite(e.loss) && Number.isFinite(e.metrics.d_loss)));
  assert.equal(tf.memory().numTensors, before);
  assert.notDeepEqual(stats(), start, "the generator's running mean moved (training mode in both steps)");
  G.model.dispose();
  D.model.dispose();
});

test("one step moves the generator's batchnorm running statistics once, as PyTorch's DCGAN (one G forward per batch)", async () => {
  const text = TINY.replace('output z -> dense(64) -> tanh', 'output z -> dense(16) -> batchnorm -> relu -> dense(64) -> tanh');
  const { g, d, diagnostics } = models(text);
  assert.deepEqual(diagnostics, []);
  const G = part(g, 1);
  const twin = part(g, 1);
  const D = part(d, 2);
  const stats = (m: tf.LayersModel) => m.nonTrainableWeights.map((w) => Array.from(w.read().dataSync()));
  assert.equal(stats(G.model).length, 2, 'a running mean and a running variance');
  assert.deepEqual(stats(G.model), stats(twin.model));
  const z = tf.randomNormal([16, 4], 0, 1, 'float32', 7);
  const real = tf.fill([16, 8, 8, 1], 0.5);
  // The twin (same weights) runs forward once in training mode: the statistics after one update.
  tf.dispose(twin.model.apply(z, { training: true }) as tf.Tensor);
  const optimizers = { generator: makeOptimizer(tf, config().optimizer), discriminator: makeOptimizer(tf, config().optimizer) };
  await ganStep(tf, G, D, optimizers, real, z);
  const want = stats(twin.model);
  const got = stats(G.model);
  for (let i = 0; i < want.length; i++) for (let j = 0; j < want[i].length; j++) close(got[i][j], want[i][j]);
  tf.dispose([z, real]);
  optimizers.generator.dispose();
  optimizers.discriminator.dispose();
  for (const m of [G, twin, D]) m.model.dispose();
});

test('the sample noise is fixed by the seed: the same every epoch and every resume', () => {
  assert.deepEqual(sampleNoise(3, [4], 1), sampleNoise(3, [4], 1));
  assert.notDeepEqual(sampleNoise(3, [4], 1), sampleNoise(3, [4], 2));
  const n = sampleNoise(2000, [10], 1);
  const mean = n.reduce((a, b) => a + b, 0) / n.length;
  const sd = Math.sqrt(n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length);
  assert.ok(Math.abs(mean) < 0.05 && Math.abs(sd - 1) < 0.05, `N(0, 1): mean ${mean}, sd ${sd}`);
});

test('a resumed run draws new shuffles and noise, not epoch 1\'s again; the same start draws the same', async () => {
  const { g, d } = models(TINY);
  // Every image its own value, so the order of the real batch shows the shuffle.
  const data = constantImages(32, 0);
  for (let i = 0; i < 32; i++) data.xs.fill(i / 32, i * 64, (i + 1) * 64);
  /** The first noise batch the generator sees and the first real batch the discriminator sees, starting at `initialEpoch`. */
  const firstDraws = async (initialEpoch: number) => {
    const G = part(g, 1);
    const D = part(d, 2);
    const seen: { z?: number[]; real?: number[] } = {};
    const spy = (m: tf.LayersModel, key: 'z' | 'real') => {
      const apply = m.apply.bind(m);
      m.apply = ((x: tf.Tensor, kwargs?: tf.serialization.ConfigDict) => {
        seen[key] ??= Array.from(x.dataSync());
        return apply(x, kwargs);
      }) as typeof m.apply;
    };
    spy(G.model, 'z');
    spy(D.model, 'real');
    await trainGan(tf, G, D, data, { config: config({ batch: 8, adversarial: { discriminator: 'D', samples: 0 } }), initialEpoch, seed: 5 });
    G.model.dispose();
    D.model.dispose();
    return seen;
  };
  const fresh = await firstDraws(0);
  const resumed = await firstDraws(3);
  assert.deepEqual(await firstDraws(3), resumed, 'deterministic for one seed and start');
  assert.notDeepEqual(resumed.z, fresh.z, "the noise of epoch 4 is not epoch 1's");
  assert.notDeepEqual(resumed.real, fresh.real, "the shuffle of epoch 4 is not epoch 1's");
});

test('cancelled between batches: status cancelled, no epoch, every tensor freed', async () => {
  const { g, d } = models(TINY);
  const G = part(g, 1);
  const D = part(d, 2);
  const token = { cancelled: false };
  const before = tf.memory().numTensors;
  let batches = 0;
  const history = await trainGan(tf, G, D, constantImages(64, 0.5), {
    config: config({ batch: 8, epochs: 3 }),
    token,
    onBatch: () => {
      batches++;
      if (batches === 2) token.cancelled = true;
    },
  });
  assert.equal(history.status, 'cancelled');
  assert.equal(history.epochs.length, 0);
  assert.equal(batches, 2);
  assert.equal(tf.memory().numTensors, before);
  G.model.dispose();
  D.model.dispose();
});

test('a NaN loss is a TrainError naming the epoch and batch; the tensors are freed', async () => {
  const { g, d } = models(TINY);
  const G = part(g, 1);
  const D = part(d, 2);
  // Logits out of D: the stable loss carries a NaN through (a probability would be clipped first).
  const D2 = part(models(TINY.replace('dense(1) -> sigmoid', 'dense(1)')).d, 2);
  const data = constantImages(32, 0.5);
  (data.xs as Float32Array).fill(NaN, 64 * 20);
  const before = tf.memory().numTensors;
  await assert.rejects(trainGan(tf, G, D2, data, { config: config({ batch: 8 }), seed: 1 }), (e: unknown) => e instanceof TrainError && /loss became NaN in epoch 1, batch \d/.test(e.message));
  assert.equal(tf.memory().numTensors, before);
  G.model.dispose();
  D.model.dispose();
  D2.model.dispose();
});

test('models and data that do not make a GAN are TrainErrors saying what to change', () => {
  const { g, d } = models(TINY);
  const G = part(g, 1);
  const D = part(d, 2);
  assert.doesNotThrow(() => checkGanFits(G, D, constantImages(4, 0)));
  assert.throws(() => checkGanFits(G, D, { ...constantImages(4, 0), exampleShape: [8, 2, 1] }), /constant gives images of \[8, 2, 1\], but the generator 'G' makes \[8, 8, 1\]/);
  const wide = models(TINY.replace('dense(1) -> sigmoid', 'dense(2) -> sigmoid'));
  const D2 = part(wide.d, 2);
  assert.throws(() => checkGanFits(G, D2, constantImages(4, 0)), /the discriminator 'D' gives \[2\] per image; it must give one value, \[1\]/);
  for (const m of [G, D, D2]) m.model.dispose();
  assert.equal(generatorRange(g), 'tanh', 'tanh seen through the reshape');
  assert.equal(generatorRange(models(TINY.replace('dense(64) -> tanh', 'dense(64) -> sigmoid')).g), 'sigmoid');
  assert.equal(generatorRange(models(TINY.replace('dense(64) -> tanh', 'dense(64)')).g), 'unbounded');
});

// ------------------------------------------------------------------ analysis

const SECTION = `
train G {
  data: digits(samples = 64, size = 8)
  loss: adversarial(D, samples = 4)
  optimizer: adam(lr = 2e-4, beta1 = 0.5)
}
`;

function diagnosticsOf(text: string): Diagnostic[] {
  return analyze(text).diagnostics;
}

function one(text: string, code: string): Diagnostic {
  const found = diagnosticsOf(text).filter((x) => x.code === code);
  assert.equal(found.length, 1, `one ${code} in ${JSON.stringify(diagnosticsOf(text).map((x) => `${x.code}: ${x.message}`))}`);
  return found[0];
}

/** The text a range covers. */
function at(text: string, d: Diagnostic): string {
  return text.slice(d.range.start.offset, d.range.end.offset);
}

test('a valid GAN section: no diagnostics; the settings carry the discriminator and beta1', () => {
  const text = TINY + SECTION;
  assert.deepEqual(diagnosticsOf(text), []);
  const { config: c } = models(text);
  assert.deepEqual(c?.adversarial, { discriminator: 'D', samples: 4 });
  assert.deepEqual([c?.optimizer.kind, c?.optimizer.lr, c?.optimizer.beta1], ['adam', 2e-4, 0.5]);
});

test("the fix for a misspelt adversarial writes the call with the file's first other model; other losses' fixes unchanged", () => {
  const typo = TINY + SECTION.replace('adversarial(D, samples = 4)', 'adversarail');
  const d = one(typo, 'train.bad_loss');
  assert.equal(at(typo, d), 'adversarail');
  assert.match(d.message, /Did you mean 'adversarial\(D\)'\?/);
  assert.deepEqual(d.fixes?.map((f) => [f.title, f.edits[0].newText, f.preferred]), [["Change to 'adversarial(D)'", 'adversarial(D)', true]]);
  const fixed = typo.slice(0, d.range.start.offset) + d.fixes![0].edits[0].newText + typo.slice(d.range.end.offset);
  assert.deepEqual(diagnosticsOf(fixed), [], 'the fix gives a valid GAN section');
  // The first other model, whichever order: a train section of D would be offered G.
  const forD = TINY + SECTION.replace('train G', 'train D').replace('adversarial(D, samples = 4)', 'adversaral');
  assert.equal(one(forD, 'train.bad_loss').fixes?.[0].edits[0].newText, 'adversarial(G)');
  // No other model: no fix that would fail again.
  const alone = TINY.slice(0, TINY.indexOf('model D')) + SECTION.replace('adversarial(D, samples = 4)', 'adversarail');
  const a = one(alone, 'train.bad_loss');
  assert.deepEqual(a.fixes, []);
  assert.doesNotMatch(a.message, /Did you mean/);
  // A classifier loss is still offered as the word.
  const ce = TINY + SECTION.replace('adversarial(D, samples = 4)', 'crossentropi');
  assert.deepEqual(one(ce, 'train.bad_loss').fixes?.map((f) => f.edits[0].newText), ['crossentropy']);
});

test('in an editor session the fix follows a rename of the other model, the train section unchanged', () => {
  const session = new AnalysisSession();
  const text = TINY + SECTION.replace('adversarial(D, samples = 4)', 'adversarail');
  const fix = (t: string) => session.update(t).diagnostics.find((x) => x.code === 'train.bad_loss')?.fixes?.[0].edits[0].newText;
  assert.equal(fix(text), 'adversarial(D)');
  const renamed = text.replace('model D {', 'model Critic {');
  assert.equal(fix(renamed), 'adversarial(Critic)');
  assert.equal(JSON.stringify(session.update(renamed)), JSON.stringify(analyze(renamed)), 'the same as a fresh analysis');
});

test('analysis: the discriminator must be another model of the file', () => {
  const typo = TINY + SECTION.replace('adversarial(D,', 'adversarial(Dd,');
  const unknown = one(typo, 'train.adversarial_model');
  assert.equal(at(typo, unknown), 'Dd');
  assert.match(unknown.message, /there is no model 'Dd' in this file to be the discriminator\. Did you mean 'D'\?/);
  assert.equal(unknown.fixes?.[0].edits[0].newText, 'D');
  const self = TINY + SECTION.replace('adversarial(D,', 'adversarial(discriminator = G,');
  const s = one(self, 'train.adversarial_model');
  assert.equal(at(self, s), 'G');
  assert.match(s.message, /'G' cannot be its own discriminator/);
});

test('analysis: shapes of the data, the generator and the discriminator', () => {
  const size = TINY + SECTION.replace('size = 8', 'size = 28');
  const ds = one(size, 'train.data_shape');
  assert.equal(at(size, ds), 'digits(samples = 64, size = 28)');
  assert.match(ds.message, /digits gives images of \[28, 28, 1\], but the generator 'G' makes \[8, 8, 1\]\. Use digits\(size = 8\)\./);
  const dIn = TINY.replace('input image: [8, 8, 1]', 'input image: [16]').replace('image -> flatten', 'image') + SECTION;
  const sh = one(dIn, 'train.adversarial_shape');
  assert.equal(at(dIn, sh), 'D');
  assert.match(sh.message, /the discriminator 'D' takes \[16\], but the generator 'G' makes \[8, 8, 1\]/);
  const out = TINY.replace('dense(1) -> sigmoid', 'dense(10) -> softmax') + SECTION;
  assert.match(one(out, 'train.adversarial_discriminator').message, /gives \[10\] per image; it must give one value, \[1\]/);
  const ints = TINY.replace('input z: [4]', 'input z: int[4]').replace('z -> dense(64)', 'z -> embedding(10, 4) -> flatten -> dense(64)') + SECTION;
  assert.match(one(ints, 'train.adversarial_noise').message, /it is fed noise drawn from N\(0, 1\), so it takes numbers of fixed sizes/);
  const text = TINY + SECTION.replace('digits(samples = 64, size = 8)', 'sequences(length = 16)');
  assert.match(one(text, 'train.adversarial_data').message, /a GAN learns to make images, but sequences gives sequences/);
  const unbounded = TINY.replace('dense(64) -> tanh', 'dense(64)') + SECTION;
  const w = one(unbounded, 'train.adversarial_range');
  assert.equal(w.severity, 'warning');
  // Logits out of the discriminator are fine.
  assert.deepEqual(diagnosticsOf(TINY.replace('dense(1) -> sigmoid', 'dense(1)') + SECTION), []);
});

test("a DCGAN generator 2 sizes off, the data and the discriminator agreeing: one error, on the data, saying to change the generator (its valid transposed convolutions named)", () => {
  const text = [
    'model G {',
    '  input z: [16]',
    '  x = z -> dense(7 * 7 * 8) -> reshape([7, 7, 8])',
    '  output x -> conv2d_transpose(8, 4, stride = 2) -> conv2d_transpose(1, 4, stride = 2, activation = tanh)',
    '}',
    'model D {',
    '  input image: [28, 28, 1]',
    '  output image -> conv2d(8, 4, stride = 2, padding = same) -> leaky_relu -> flatten -> dense(1)',
    '}',
    'train G {',
    '  data: digits(samples = 64, size = 28)',
    '  loss: adversarial(D)',
    '}',
    '',
  ].join('\n');
  const all = diagnosticsOf(text);
  assert.deepEqual(all.map((d) => d.code), ['train.data_shape']);
  const [d] = all;
  assert.match(
    d.message,
    /^digits gives images of \[28, 28, 1\], but the generator 'G' makes \[34, 34, 1\]\. The discriminator 'D' takes \[28, 28, 1\] too: change the generator to make \[28, 28, 1\]\. With padding = valid, conv2d_transpose\(8, 4, stride = 2\) and conv2d_transpose\(1, 4, stride = 2, activation = tanh\) add max\(kernel − stride, 0\) to the size/,
  );
  assert.doesNotMatch(d.message, /Use digits\(size/);
  // With padding = same both double the size exactly: 7 → 14 → 28, and nothing is left to report.
  assert.deepEqual(diagnosticsOf(text.replace(/stride = 2\)/g, 'stride = 2, padding = same)').replace('stride = 2, activation', 'stride = 2, padding = same, activation')), []);
  // A discriminator that does not take the data's size either: the data's hint and the shape error, as before.
  const both = text.replace('input image: [28, 28, 1]', 'input image: [32, 32, 1]');
  assert.deepEqual(diagnosticsOf(both).map((x) => x.code).sort(), ['train.adversarial_shape', 'train.data_shape']);
  assert.match(one(both, 'train.data_shape').message, /Use digits\(size = 34\)\.$/);
  // digits without a size renders them at the generator's: then the discriminator is the odd one, and the
  // generator's overshoot is the other way out.
  const free = text.replace('digits(samples = 64, size = 28)', 'digits(samples = 64)');
  const sh = diagnosticsOf(free);
  assert.deepEqual(sh.map((x) => x.code), ['train.adversarial_shape']);
  assert.match(
    sh[0].message,
    /so declare input image: \[34, 34, 1\], or make the generator give \[28, 28, 1\]: with padding = valid, conv2d_transpose\(8, 4, stride = 2\) and conv2d_transpose\(1, 4, stride = 2, activation = tanh\) add max\(kernel − stride, 0\) to the size; with padding = same a conv2d_transpose multiplies it by its stride exactly \(7 → 14 at stride 2\)\.$/,
  );
});

// ------------------------------------------------------------------ CLI

test('CLI: `nnmodel train` on a tiny GAN writes both checkpoints and samples.png; --resume continues both', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-gan-'));
  try {
    writeFileSync(join(dir, 'tiny.nnmodel'), TINY + SECTION.replace('}\n', '  epochs: 2\n  batch: 16\n}\n'));
    const run = (...argv: string[]) => runCli(dir, ...argv);
    const t = await run('train', 'tiny.nnmodel');
    assert.equal(t.code, 0, t.err);
    assert.match(t.err, /^training G \(a GAN: generator and discriminator\) on digits \(64 training examples\) for 2 epochs, batch 16, backend wasm$/m);
    const lines = t.out.trim().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[1], /^epoch 2\/2 · g_loss \d+\.\d{4} · d_loss \d+\.\d{4} · d_real 0\.\d{4} · d_fake 0\.\d{4} · /);
    const gDir = join(dir, '.nnmodel/tiny/G');
    const dDir = join(dir, '.nnmodel/tiny/D');
    assert.equal((t.err.match(/samples\.png/g) ?? []).length, 1, `the samples path is said once: ${t.err}`);
    assert.match(t.err, new RegExp(`generated images, rewritten after every epoch: ${join(gDir, 'samples.png')}`));
    const png = PNG.sync.read(readFileSync(join(gDir, 'samples.png')));
    assert.ok(png.width > 0 && png.height > 0);
    const fs = nodeCheckpointFs();
    const gCk = await readCheckpoint(fs, gDir);
    const dCk = await readCheckpoint(fs, dDir);
    assert.deepEqual([gCk.modelJson.nnmodel.model, gCk.modelJson.nnmodel.epoch], ['G', 2]);
    assert.deepEqual([dCk.modelJson.nnmodel.model, dCk.modelJson.nnmodel.epoch], ['D', 2]);
    const r = await run('train', 'tiny.nnmodel', '--resume', '--epochs', '1');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /, from epoch 2$/m);
    assert.doesNotMatch(r.err, /warning/);
    assert.match(r.out.trim(), /^epoch 3\/3 · g_loss/);
    const g3 = await readCheckpoint(fs, gDir);
    const d3 = await readCheckpoint(fs, dDir);
    assert.equal(g3.modelJson.nnmodel.epoch, 3);
    assert.equal(d3.modelJson.nnmodel.epoch, 3);
    assert.equal(g3.modelJson.nnmodel.history.length, 3, 'the history continues');
    // Resume without the discriminator's checkpoint: said, and it starts afresh.
    rmSync(dDir, { recursive: true });
    const w = await run('train', 'tiny.nnmodel', '--resume', '--epochs', '1');
    assert.equal(w.code, 0, w.err);
    assert.match(w.err, /warning: no checkpoint of the discriminator D in .*: it starts afresh against the generator of epoch 3\./);
    assert.ok(existsSync(join(dDir, 'model.json')));
    const ev = await run('evaluate', 'tiny.nnmodel');
    assert.equal(ev.code, 1);
    assert.match(ev.err, /G is a GAN's generator: there is no label to measure its images against\. Look at samples\.png/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: a checkpoint folder without <model> keeps the discriminator in a subfolder; --resume continues both without a warning', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-gan-'));
  try {
    writeFileSync(join(dir, 'tiny.nnmodel'), TINY + SECTION.replace('}\n', '  epochs: 1\n  batch: 16\n}\n'));
    const run = (...argv: string[]) => runCli(dir, ...argv);
    const t = await run('train', 'tiny.nnmodel', '--checkpoints', 'ck');
    assert.equal(t.code, 0, t.err);
    const gDir = join(dir, 'ck');
    const dDir = join(dir, 'ck', 'D');
    assert.equal(discriminatorCheckpointDir(join(dir, 'tiny.nnmodel'), 'G', 'D', 'ck'), dDir);
    const fs = nodeCheckpointFs();
    const gCk = await readCheckpoint(fs, gDir);
    const dCk = await readCheckpoint(fs, dDir);
    assert.deepEqual([gCk.modelJson.nnmodel.model, gCk.modelJson.nnmodel.epoch], ['G', 1]);
    assert.deepEqual([dCk.modelJson.nnmodel.model, dCk.modelJson.nnmodel.epoch], ['D', 1]);
    const r = await run('train', 'tiny.nnmodel', '--checkpoints', 'ck', '--resume', '--epochs', '1');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /, from epoch 1$/m);
    assert.doesNotMatch(r.err, /warning/, 'both models load their own weights');
    assert.deepEqual([(await readCheckpoint(fs, gDir)).modelJson.nnmodel.model, (await readCheckpoint(fs, gDir)).modelJson.nnmodel.epoch], ['G', 2]);
    const d2 = await readCheckpoint(fs, dDir);
    assert.deepEqual([d2.modelJson.nnmodel.model, d2.modelJson.nnmodel.epoch], ['D', 2]);
    // Load Weights and Export find each model's own checkpoint in that layout.
    const file = join(dir, 'tiny.nnmodel');
    const g = await readModelCheckpoint(fs, file, 'G', 'ck');
    const d = await readModelCheckpoint(fs, file, 'D', 'ck');
    assert.deepEqual([g.dir, g.modelJson.nnmodel.model], [gDir, 'G']);
    assert.deepEqual([d.dir, d.modelJson.nnmodel.model], [dDir, 'D']);
    await assert.rejects(readModelCheckpoint(fs, file, 'Other', 'ck/<model>'), /no checkpoint here/);
    await assert.rejects(readModelCheckpoint(fs, file, 'Other', 'ck'), /ck\/Other\/model\.json: no checkpoint here/, 'another model\'s checkpoint in the shared folder is not this one\'s');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('discriminatorCheckpointDir: the discriminator\'s own folder, or a subfolder of the generator\'s when the setting has no <model>', () => {
  assert.equal(discriminatorCheckpointDir('/w/gan.nnmodel', 'G', 'D'), '/w/.nnmodel/gan/D');
  assert.equal(discriminatorCheckpointDir('/w/gan.nnmodel', 'G', 'D', 'ck/<model>'), '/w/ck/D');
  assert.equal(discriminatorCheckpointDir('/w/gan.nnmodel', 'G', 'D', 'ck'), '/w/ck/D');
  assert.equal(discriminatorCheckpointDir('/w/gan.nnmodel', 'G', 'D', '/abs/<file>'), '/abs/gan/D');
});

// ------------------------------------------------------------------ the inspector's run

test('the page trains a GAN from its train message: both checkpoints per epoch (the discriminator first), strips, resume of both', async () => {
  const text = TINY + SECTION.replace('}\n', '  epochs: 2\n  batch: 16\n}\n');
  const a = analyze(text);
  const g = a.models.find((m) => m.name === 'G')!;
  const d = a.models.find((m) => m.name === 'D')!;
  const { data: source, ...config } = a.trains[0].config;
  const raw = {
    type: 'train',
    uri: 'file:///w/tiny.nnmodel',
    version: 1,
    run: 1,
    model: serializeModel(g),
    config,
    seed: 1,
    data: dataPayload(source!, undefined),
    discriminator: { model: serializeModel(d) },
  };
  const msg = parseHostMessage(raw) as TrainStartMessage;
  assert.ok(msg?.discriminator, 'the discriminator travels');
  assert.deepEqual(msg.config.adversarial, { discriminator: 'D', samples: 4 });
  assert.equal(msg.config.optimizer.beta1, 0.5);
  // A GAN run without its discriminator, or a classifier run with one, is refused.
  assert.equal(parseHostMessage({ ...raw, discriminator: undefined }), undefined);
  assert.equal(parseHostMessage({ ...raw, config: { ...config, loss: 'mse', adversarial: undefined } }), undefined);
  assert.equal(parseHostMessage({ ...raw, discriminator: { model: serializeModel(d), resume: { modelJson: '{}', weights: [1] } } }), undefined);

  const run = async (m: TrainStartMessage) => {
    const events: TrainingEvent[] = [];
    const checkpoints: EncodedCheckpoint[] = [];
    const status = await runTraining(tf, m, {
      emit: (e) => void events.push(e),
      checkpoint: async (ck) => void checkpoints.push(ck),
      yieldNow: async () => undefined,
      token: { cancelled: false },
    });
    return { status, events, checkpoints };
  };
  const before = tf.memory().numTensors;
  const first = await run(msg);
  assert.equal(first.status, 'completed', JSON.stringify(first.events.filter((e) => e.kind === 'done')));
  assert.equal(tf.memory().numTensors, before, 'both models and the optimisers freed');
  assert.deepEqual(
    first.checkpoints.map((c) => `${c.model ?? 'G'}@${c.epoch}`),
    ['D@1', 'G@1', 'D@2', 'G@2'],
  );
  const strips = first.events.filter((e): e is Extract<TrainingEvent, { kind: 'samples' }> => e.kind === 'samples');
  assert.deepEqual(strips.map((s) => [s.strip.kind, s.strip.epoch, s.strip.count]), [['generated', 1, 4], ['generated', 2, 4]]);
  const epochs = first.events.filter((e): e is Extract<TrainingEvent, { kind: 'epoch' }> => e.kind === 'epoch');
  // The real digits vary: the samples' diversity (runtime/diversity.ts) joins D's figures.
  assert.deepEqual(Object.keys(epochs[1].metrics).sort(), ['d_fake', 'd_loss', 'd_real', 'diversity']);

  // Resume both: the generator's and the discriminator's checkpoints of epoch 2.
  const last = (name?: string) => first.checkpoints.filter((c) => c.model === name).at(-1)!;
  const resumed = await run({
    ...msg,
    config: { ...msg.config, epochs: 1 },
    resume: { modelJson: last(undefined).modelJson, weights: last(undefined).weights, optimizer: last(undefined).optimizer },
    discriminator: { model: msg.discriminator!.model, resume: { modelJson: last('D').modelJson, weights: last('D').weights, optimizer: last('D').optimizer } },
  });
  assert.equal(resumed.status, 'completed');
  assert.deepEqual(resumed.events.filter((e) => e.kind === 'warning'), []);
  assert.deepEqual(resumed.checkpoints.map((c) => `${c.model ?? 'G'}@${c.epoch}`), ['D@3', 'G@3']);
  // The discriminator continued: its weights after epoch 3 differ from a fresh one's trained for one epoch.
  const fresh = await run({ ...msg, config: { ...msg.config, epochs: 1 } });
  assert.notEqual(fnv1a(resumed.checkpoints[0].weights), fnv1a(fresh.checkpoints[0].weights));
  const noD = await run({ ...msg, config: { ...msg.config, epochs: 1 }, resume: { modelJson: last(undefined).modelJson, weights: last(undefined).weights } });
  assert.match(JSON.stringify(noD.events.filter((e) => e.kind === 'warning')), /no checkpoint of the discriminator D: it starts afresh against the generator of epoch 2/);
});

test("a GAN's metrics and validation are not used: a warning on each, with the fix that removes it", () => {
  const base = readFileSync('examples/gan_digits.nnmodel', 'utf8');
  const text = base.replace('  batch: 32\n}', '  batch: 32\n  metrics: [accuracy]\n  validation: 0.2\n}');
  const ds = analyze(text).diagnostics;
  assert.deepEqual(ds.map((d) => [d.code, d.severity, text.slice(d.range.start.offset, d.range.end.offset)]), [
    ['train.adversarial_setting', 'warning', 'metrics'],
    ['train.adversarial_setting', 'warning', 'validation'],
  ]);
  assert.match(ds[0].message, /^metrics are not used by loss: adversarial: .* Remove metrics\.$/);
  let fixed = text;
  for (const d of [...ds].reverse()) fixed = applyFix(fixed, d);
  assert.equal(fixed, base);
  assert.deepEqual(analyze(fixed).diagnostics, []);
});
