// A GAN's diversity (runtime/diversity.ts): the measure on hand-made sets
// (identical or repeated images → 0 and the collapse hint; another draw of
// real images → about 1), the generator's images after an epoch without a
// tensor left behind, the figure in the epoch logs, the checkpoint's history
// and the Training tab's model, and in `nnmodel train`'s line and the output
// channel's.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo, TrainConfig } from '../../extension/core/analysis/types';
import { buildModel } from '../../extension/core/runtime/build';
import { startTrainingBackend } from '../../extension/core/runtime/kernels';
import type { EpochLogs, SampleStrip, TrainData } from '../../extension/core/runtime/train';
import { epochImages, formatGanEpoch, generateStrip, sampleNoise, trainGan, type GanPart } from '../../extension/core/runtime/gan';
import {
  COLLAPSE_BELOW,
  CollapseNotice,
  DIVERSITY_SAMPLES,
  collapseHint,
  collapsing,
  diversity,
  diversityText,
  meanNearestDistance,
  realSpread,
} from '../../extension/core/runtime/diversity';
import { digits } from '../../extension/core/runtime/data/synthetic';
import { readCheckpoint } from '../../extension/core/runtime/checkpoint';
import { nodeCheckpointFs } from '../../extension/cli/trainJob';
import { runCli } from '../fixtures/cli';
import { TrainingCurves, historyEntries } from '../../webview/training/curves';
import { TrainingProgress } from '../../extension/vscode/inspector/trainingProgress';

before(() => startTrainingBackend(tf, 'wasm'));

const SIZE = 28 * 28;
const DIGITS = digits({ samples: 2000, size: 28, seed: 1 });

/** `count` images taken from DIGITS: image `pick(i)` as the i-th. */
function fromDigits(count: number, pick: (i: number) => number): Float32Array {
  const out = new Float32Array(count * SIZE);
  for (let i = 0; i < count; i++) out.set(DIGITS.xs.subarray(pick(i) * SIZE, (pick(i) + 1) * SIZE), i * SIZE);
  return out;
}

// ------------------------------------------------------------------ the measure

test('meanNearestDistance: hand-computed on tiny sets (RMS pixel difference to the closest other image)', () => {
  // Three 2-pixel images: a = (0, 0), b = (0.2, 0.2), c = (1, 1). a↔b 0.2, b↔c 0.8, a↔c 1.
  const px = Float32Array.from([0, 0, 0.2, 0.2, 1, 1]);
  assert.ok(Math.abs(meanNearestDistance(px, 3, 2) - (0.2 + 0.2 + 0.8) / 3) < 1e-6);
  assert.equal(meanNearestDistance(new Float32Array(8).fill(0.4), 4, 2), 0, 'identical images: every nearest is 0');
  assert.equal(meanNearestDistance(Float32Array.from([0, 1]), 1, 2), 0, 'one image: nothing to compare');
});

test('identical generated images score 0 and are flagged; so are a few images repeated', () => {
  const real = realSpread(DIGITS, 1)!;
  assert.equal(real.count, DIVERSITY_SAMPLES);
  const same = fromDigits(real.count, () => 7);
  const d0 = diversity(same, real.count, SIZE, real.spread);
  assert.equal(d0, 0);
  assert.ok(collapsing(d0));
  const four = diversity(fromDigits(real.count, (i) => i % 4), real.count, SIZE, real.spread);
  assert.equal(four, 0, 'four outputs repeated: every image has a twin');
  assert.ok(collapsing(four));
  const hint = collapseHint([{ epoch: 3, metrics: { d_real: 0.6, diversity: d0 } }]);
  assert.match(hint!, /^Diversity 0\.00 after epoch 3 \(1 = as varied as the real images\): every generated image has an exact twin\. /);
  assert.match(hint!, /the generator may be collapsing onto few outputs \(mode collapse\)/i);
  assert.match(diversityText(d0), /^Diversity 0\.00 \(real images: 1\): few distinct outputs, the generator may be collapsing$/);
});

test('real-like spread scores about 1: another seeded draw of real digits, and digits never seen by the reference', () => {
  const real = realSpread(DIGITS, 1)!;
  const other = realSpread(DIGITS, 2)!;
  assert.ok(Math.abs(other.spread / real.spread - 1) < 0.1, `two draws of real digits: ${other.spread} vs ${real.spread}`);
  // 64 digits from the second half of the set, against the reference drawn from all of it.
  const fresh = diversity(fromDigits(real.count, (i) => 1000 + i * 13), real.count, SIZE, real.spread);
  assert.ok(fresh > 0.85 && fresh < 1.15, `real-like: ${fresh}`);
  assert.ok(!collapsing(fresh));
  assert.equal(collapseHint([{ epoch: 1, metrics: { diversity: fresh } }]), undefined);
  assert.equal(diversityText(fresh), `Diversity ${fresh.toFixed(2)} (real images: 1)`);
  // 32 digits each shown twice: every image has a twin, 0 however varied the 32 are.
  const half = diversity(fromDigits(real.count, (i) => 1000 + (i % 32) * 13), real.count, SIZE, real.spread);
  assert.equal(half, 0);
  // 16 of the 64 copies of 16 others: half the images have a twin, the figure about halves.
  const quarter = diversity(fromDigits(real.count, (i) => 1000 + (i < 48 ? i : i - 48) * 13), real.count, SIZE, real.spread);
  assert.ok(quarter > 0.35 && quarter < 0.75 * fresh, `16 copies: ${quarter} (none: ${fresh})`);
});

test('no reference without variety: one image, or every image alike; a set smaller than 64 is compared whole', () => {
  const one = { xs: new Float32Array(4).fill(0.5), count: 1, exampleShape: [2, 2, 1] };
  assert.equal(realSpread(one, 1), undefined);
  const alike = { xs: new Float32Array(40).fill(0.5), count: 10, exampleShape: [2, 2, 1] };
  assert.equal(realSpread(alike, 1), undefined);
  const small = { xs: DIGITS.xs.subarray(0, 10 * SIZE), count: 10, exampleShape: [28, 28, 1] };
  assert.equal(realSpread(small, 1)!.count, 10);
  assert.ok(Math.abs(realSpread(small, 1)!.spread - meanNearestDistance(small.xs, 10, SIZE)) < 1e-6, 'all ten, in whatever order');
});

test('the hint is said once per run (CollapseNotice), and only for a low diversity', () => {
  const n = new CollapseNotice();
  assert.equal(n.next({ epoch: 1, metrics: { d_real: 0.5 } }), undefined, 'no diversity (not a GAN, or no reference)');
  assert.equal(n.next({ epoch: 2, metrics: { diversity: COLLAPSE_BELOW } }), undefined, 'at the threshold: not yet');
  assert.match(n.next({ epoch: 3, metrics: { diversity: 0.21 } })!, /^Diversity 0\.21 after epoch 3 .*0\.21× as far from their closest neighbour as real images are\./);
  assert.equal(n.next({ epoch: 4, metrics: { diversity: 0.1 } }), undefined, 'said once');
});

// ------------------------------------------------------------------ the generator's images

/** A tiny MLP GAN on 8×8 digits. */
const TINY = `model G {
  input z: [4]
  output z -> dense(64) -> tanh -> reshape([8, 8, 1])
}

model D {
  input image: [8, 8, 1]
  output image -> flatten -> dense(16) -> leaky_relu(0.2) -> dense(1) -> sigmoid
}
`;

function models(): { g: ModelInfo; d: ModelInfo } {
  const a = analyze(TINY);
  return { g: a.models.find((m) => m.name === 'G')!, d: a.models.find((m) => m.name === 'D')! };
}

function part(info: ModelInfo, seed: number): GanPart {
  return { model: buildModel(tf, info, { seed }).model, info };
}

function digits8(count: number): TrainData {
  const d = digits({ samples: count, size: 8, seed: 1 });
  return { ...d, source: 'digits' };
}

const config = (over: Partial<TrainConfig> = {}): TrainConfig => ({
  loss: 'adversarial',
  adversarial: { discriminator: 'D', samples: 4 },
  optimizer: { kind: 'adam', lr: 2e-3, beta1: 0.5 },
  epochs: 2,
  batch: 16,
  validation: 0,
  metrics: [],
  ...over,
});

test("a generator that ignores its noise scores 0; the strip's images are the first of the measured ones; no tensor stays", async () => {
  const { g } = models();
  const G = part(g, 1);
  const real = realSpread(digits8(64), 1)!;
  const noise = sampleNoise(64, [4], 1);
  const before = tf.memory().numTensors;
  const healthy = await epochImages(tf, G, noise, 64, 1, real);
  assert.equal(tf.memory().numTensors, before, 'epochImages frees what it makes');
  assert.ok(healthy.diversity! > COLLAPSE_BELOW, `random weights give varied images: ${healthy.diversity}`);
  // The strip of 4 from its own noise: the first 4 of the 64 (the noise is drawn in order).
  const strip = await generateStrip(tf, G, sampleNoise(4, [4], 1), 4, 1);
  const first = healthy.strip.pixels.subarray(0, strip.pixels.length);
  assert.ok(strip.pixels.every((p, i) => Math.abs(p - first[i]) < 1e-5));
  // Zero the dense kernel: every z gives tanh(bias), one image.
  const dense = G.model.layers.find((l) => l.getWeights().length === 2)!;
  const [k, b] = dense.getWeights();
  const zeros = tf.zerosLike(k);
  const bias = tf.randomUniform(b.shape, -1, 1, 'float32', 3);
  dense.setWeights([zeros, bias]);
  tf.dispose([zeros, bias]);
  const stuck = await epochImages(tf, G, noise, 64, 2, real);
  assert.equal(stuck.diversity, 0);
  const none = await epochImages(tf, G, noise, 64, 2);
  assert.equal(none.diversity, undefined, 'no reference, no figure');
  assert.equal(tf.memory().numTensors, before);
  G.model.dispose();
});

test('trainGan logs diversity each epoch beside d_loss, d_real, d_fake; the strip keeps its size; no tensor leaks', async () => {
  const { g, d } = models();
  const G = part(g, 1);
  const D = part(d, 2);
  const strips: SampleStrip[] = [];
  const before = tf.memory().numTensors;
  const history = await trainGan(tf, G, D, digits8(96), { config: config(), seed: 1, onSamples: (s) => void strips.push(s) });
  assert.equal(tf.memory().numTensors, before, 'no tensors leak from the loop, the diversity included');
  assert.deepEqual(Object.keys(history.epochs[0].metrics), ['d_loss', 'd_real', 'd_fake', 'diversity']);
  for (const e of history.epochs) assert.ok(Number.isFinite(e.metrics.diversity) && e.metrics.diversity > 0, `epoch ${e.epoch}: ${e.metrics.diversity}`);
  assert.deepEqual(strips.map((s) => [s.epoch, s.count, s.pixels.length]), [[1, 4, 256], [2, 4, 256]]);
  // The figure is the generator's after that epoch: recomputed from the same noise and reference, it agrees.
  const again = await epochImages(tf, G, sampleNoise(64, [4], 1), 64, 2, realSpread(digits8(96), 1));
  assert.ok(Math.abs(again.diversity! - history.epochs[1].metrics.diversity) < 1e-5);
  // samples = 0: no strip, the figure still.
  const quiet = await trainGan(tf, G, D, digits8(96), { config: config({ epochs: 1, adversarial: { discriminator: 'D', samples: 0 } }), seed: 1, onSamples: () => assert.fail('no strip') });
  assert.ok(quiet.epochs[0].metrics.diversity > 0);
  G.model.dispose();
  D.model.dispose();
});

// ------------------------------------------------------------------ where it is shown

test("the CLI's GAN line carries the diversity; the output channel's line too, with the hint once", () => {
  const logs: EpochLogs = { epoch: 2, epochs: 5, loss: 0.9, metrics: { d_loss: 1.2, d_real: 0.6, d_fake: 0.4, diversity: 0.734 }, examples: 64, ms: 1000 };
  assert.match(formatGanEpoch(logs), /^epoch 2\/5 · g_loss 0\.9000 · d_loss 1\.2000 · d_real 0\.6000 · d_fake 0\.4000 · diversity 0\.73 · 1\.0 s · 64 examples\/s$/);
  const { diversity: _, ...older } = logs.metrics;
  assert.doesNotMatch(formatGanEpoch({ ...logs, metrics: older }), /diversity/, 'a history from before the figure');
  const p = new TrainingProgress('G', 16, 'ck');
  p.apply({ kind: 'start', epochs: 3, examples: 64, backend: 'wasm', source: 'digits' });
  const e = (epoch: number, value: number) => p.apply({ kind: 'epoch', epoch, loss: 1, metrics: { d_loss: 1, d_real: 0.5, d_fake: 0.5, diversity: value }, ms: 10, examples: 64 }).lines;
  assert.deepEqual(e(1, 0.7).length, 1);
  assert.match(e(1, 0.7)[0], /· diversity 0\.7000 ·/);
  const low = e(2, 0.05);
  assert.equal(low.length, 2);
  assert.match(low[1], /^Diversity 0\.05 after epoch 2 .*The generator may be collapsing onto few outputs \(mode collapse\)/);
  assert.equal(e(3, 0.04).length, 1, 'said once');
});

test("the Training tab's model: diversity beside d_real and d_fake on [0, 1], stretched above 1 when it is; the strip's epoch has its figure", () => {
  const c = new TrainingCurves();
  c.apply(1, 'G', { kind: 'start', epochs: 3, examples: 64, backend: 'wasm', source: 'digits' });
  c.apply(1, 'G', { kind: 'epoch', epoch: 1, loss: 1.9, metrics: { d_loss: 0.6, d_real: 0.8, d_fake: 0.3, diversity: 0.62 }, ms: 10, examples: 64 });
  assert.deepEqual(c.metricNames(), ['d_real', 'd_fake', 'diversity']);
  assert.deepEqual(c.metricRange(), [0, 1]);
  assert.equal(c.epochMetric(1, 'diversity'), 0.62);
  assert.equal(c.epochMetric(2, 'diversity'), undefined, 'the strip of an epoch whose figures have not come yet');
  c.apply(1, 'G', { kind: 'epoch', epoch: 2, loss: 1.2, metrics: { d_loss: 0.9, d_real: 0.6, d_fake: 0.45, diversity: 1.27 }, ms: 10, examples: 64 });
  assert.deepEqual(c.metricRange(), [0, 1.5], 'a diversity above 1 stays on the chart');
  assert.deepEqual(c.metricSeries(), [[1, 2], [0.8, 0.6], [0.3, 0.45], [0.62, 1.27]]);
  assert.equal(collapseHint(c.allRows()), undefined);
  c.apply(1, 'G', { kind: 'epoch', epoch: 3, loss: 1.2, metrics: { d_loss: 0.9, d_real: 0.6, d_fake: 0.45, diversity: 0.12 }, ms: 10, examples: 64 });
  assert.match(collapseHint(c.allRows())!, /after epoch 3 .*may be collapsing/);
  const cls = new TrainingCurves();
  cls.apply(1, 'C', { kind: 'epoch', epoch: 1, loss: 1, metrics: { mae: 3 }, ms: 10, examples: 5 });
  assert.equal(cls.metricRange(), undefined);
});

test('CLI: `nnmodel train` prints each epoch\'s diversity; the checkpoint\'s history keeps it and reads back into the Training tab', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-gan-diversity-'));
  try {
    writeFileSync(
      join(dir, 'tiny.nnmodel'),
      `${TINY}
train G {
  data: digits(samples = 96, size = 8)
  loss: adversarial(D, samples = 4)
  optimizer: adam(lr = 2e-3, beta1 = 0.5)
  epochs: 2
  batch: 16
}
`,
    );
    const { code, out, err } = await runCli(dir, 'train', 'tiny.nnmodel');
    assert.equal(code, 0, err);
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 2);
    const printed = lines.map((l) => Number(/ · diversity (\d+\.\d\d) · /.exec(l)?.[1]));
    assert.ok(printed.every((v) => v > 0), `each line has its diversity: ${out}`);
    const ck = await readCheckpoint(nodeCheckpointFs(), join(dir, '.nnmodel/tiny/G'));
    const history = ck.modelJson.nnmodel.history as EpochLogs[];
    assert.deepEqual(history.map((h) => h.metrics.diversity.toFixed(2)), printed.map((v) => v.toFixed(2)));
    // The Training tab's reading of a checkpoint's history (Load Weights, a continued run): the figure survives.
    const entries = historyEntries(JSON.parse(JSON.stringify(history)));
    const loaded = TrainingCurves.fromHistory({ model: 'G', epoch: 2, history: entries });
    assert.deepEqual(loaded.metricSeries().at(-1), history.map((h) => h.metrics.diversity));
    assert.equal(loaded.epochMetric(2, 'diversity'), history[1].metrics.diversity);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
