// Signal & gradients (runtime/signals.ts): per weighted layer, the RMS of its output and of its
// kernel's gradient, measured at initialisation and from the training step of one batch per epoch.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo, TrainConfig } from '../../extension/core/analysis/types';
import { buildModel } from '../../extension/core/runtime/build';
import { digits } from '../../extension/core/runtime/data/synthetic';
import { startTrainingBackend } from '../../extension/core/runtime/kernels';
import { batchTensors, lossValue, outputKind, trainModel, TRAIN_SEED, type TrainData } from '../../extension/core/runtime/train';
import { builtinDataset } from '../../extension/core/runtime/data/builtin';
import { MAX_SIGNAL_LINES, SignalsHistory, layerAxisText, layerNames, layerText } from '../../webview/training/signalsModel';
import { initialSignalsUnavailable, measureInitialSignals } from '../../webview/training/signalsInit';
import { modelMessage } from '../../extension/vscode/inspector/messages';
import { parseHostMessage, type ModelMessage } from '../../extension/core/protocol';
import { formatGradientLine, formatRms, gradientSpread, measureSignals, signalsUnsupported, type SignalsReport } from '../../extension/core/runtime/signals';

before(() => startTrainingBackend(tf, 'wasm'));

const EXAMPLE = readFileSync('examples/deep_signals.nnmodel', 'utf8');

function example(name: string): { info: ModelInfo; config: TrainConfig } {
  const a = analyze(EXAMPLE);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const info = a.models.find((m) => m.name === name)!;
  return { info, config: a.trains.find((t) => t.model === name)!.config };
}

const data = (): TrainData => ({ ...digits({ samples: 256, size: 28, seed: 3 }), source: 'digits' });

async function atInit(name: string): Promise<SignalsReport> {
  const { info, config } = example(name);
  const built = buildModel(tf, info, { seed: 1 });
  const d = data();
  const batch = batchTensors(tf, d, Array.from({ length: 64 }, (_, i) => i), 0, 64);
  try {
    return await measureSignals(tf, built, batch, (y, out) => lossValue(tf, config.loss, outputKind(info), y, out));
  } finally {
    tf.dispose([...[batch.x].flat(), batch.y]);
  }
}

test('a layer of a block imported from another file is named with that file: its line is there, not in the model\'s file', async () => {
  // QA: gpt_small.nnmodel's run named gpt_block's layers `dense(512) (line 28, 4 of 4)`: line 28 of gpt2_small.nnmodel,
  // while line 28 of gpt_small.nnmodel is its embedding.
  const lib = 'block mlp(units) {\n  input x\n  output x -> dense(units) -> sigmoid\n}\n';
  const a = analyze('import "lib.nnmodel"\n\nmodel M {\n  input image: [28, 28, 1]\n  output image -> flatten -> mlp(8) * 2 -> dense(10) -> softmax\n}\n', {
    uri: 'file:///w/main.nnmodel',
    readImport: (_from, path) => (path === 'lib.nnmodel' ? { uri: 'file:///w/lib.nnmodel', text: lib } : undefined),
  });
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const info = a.models[0];
  const built = buildModel(tf, info, { seed: 1 });
  const d = data();
  const batch = batchTensors(tf, d, Array.from({ length: 16 }, (_, i) => i), 0, 16);
  try {
    const r = await measureSignals(tf, built, batch, (y, out) => lossValue(tf, 'crossentropy', outputKind(info), y, out));
    assert.deepEqual(layerNames(r.layers).map(layerText), ['dense(8) (line 3 of lib.nnmodel, 1 of 2)', 'dense(8) (line 3 of lib.nnmodel, 2 of 2)', 'dense(10) (line 5)']);
    assert.deepEqual(layerNames(r.layers).map(layerAxisText), ['dense(8)\nlib.nnmodel:3, 1/2', 'dense(8)\nlib.nnmodel:3, 2/2', 'dense(10)\nline 5']);
    assert.match(formatGradientLine(r), /^gradient RMS: dense\(8\) \(line 3 of lib\.nnmodel, 1 of 2\) \S+ … dense\(10\) \(line 5\) \S+/);
  } finally {
    tf.dispose([...[batch.x].flat(), batch.y]);
    built.model.dispose();
  }
});

test('at initialisation, a deep sigmoid stack\'s first-layer gradient RMS is orders of magnitude below its last; residuals keep it', async () => {
  const plain = await atInit('PlainDeep');
  const residual = await atInit('ResidualDeep');
  // 10 dense layers each: flatten -> dense(64), 8 in the repeated block, the classifier dense(10).
  assert.deepEqual(plain.layers.map((l) => l.name), Array.from({ length: 10 }, (_, i) => `dense_${i + 1}`));
  assert.deepEqual(plain.layers.map((l) => l.label).slice(0, 2), ['dense(64)', 'dense(64)']);
  // The Training tab names them as the graph and the summary do, with their line: `plain(64) * 8` puts eight
  // dense(64) on the block's line 27, told apart by which repeat each is (not by tfjs-like names dense_2 … dense_9).
  assert.deepEqual(layerNames(plain.layers).map(layerText), [
    'dense(64) (line 39)',
    ...Array.from({ length: 8 }, (_, i) => `dense(64) (line 27, ${i + 1} of 8)`),
    'dense(10) (line 39)',
  ]);
  assert.deepEqual(layerNames(plain.layers).map(layerAxisText).slice(0, 2), ['dense(64)\nline 39', 'dense(64)\nline 27, 1/8']);
  const named = layerNames(plain.layers).map(layerText);
  assert.match(formatGradientLine(plain, 'At initialisation, gradient RMS', (_l, i) => named[i]), /^At initialisation, gradient RMS: dense\(64\) \(line 39\) \S+ … dense\(10\) \(line 39\) \S+ \(×[\d,]+\)$/);
  assert.equal(plain.epoch, 0);
  assert.equal(plain.examples, 64);
  const first = (r: SignalsReport) => r.layers[0].gradient;
  const last = (r: SignalsReport) => r.layers[r.layers.length - 1].gradient;
  // Measured with seed 1: PlainDeep 1.6e-8 … 2.9e-2 (×1.8 million), ResidualDeep 6.6e-3 … 1.1 (×160).
  assert.ok(last(plain) / first(plain) > 1e5, `plain: ${formatGradientLine(plain)}`);
  assert.ok(last(residual) / first(residual) < 1e3, `residual: ${formatGradientLine(residual)}`);
  assert.ok(gradientSpread(plain)!.ratio > 1000 * gradientSpread(residual)!.ratio, `${formatGradientLine(plain)} vs ${formatGradientLine(residual)}`);
  // Monotone in the plain stack: every sigmoid below a layer shrinks its gradient.
  for (let i = 1; i < plain.layers.length; i++) assert.ok(plain.layers[i].gradient > plain.layers[i - 1].gradient, `layer ${i + 1}`);
  for (const l of [...plain.layers, ...residual.layers]) assert.ok(l.activation > 0 && Number.isFinite(l.activation), `${l.name} activation ${l.activation}`);
  assert.equal(gradientSpread(plain)!.smallest.name, 'dense_1');
  assert.equal(gradientSpread(plain)!.largest.name, 'dense_10');
});

test('measuring frees every tensor it makes and changes no weight (batchnorm statistics included)', async () => {
  const a = analyze(`model BN {
  input x: [8]
  output x -> dense(16) -> batchnorm -> relu -> dense(3) -> softmax
}`);
  const info = a.models[0];
  const built = buildModel(tf, info, { seed: 2 });
  const x = tf.randomNormal([32, 8], 3, 2, 'float32', 5);
  const y = tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 3), 'int32');
  const weightsBefore = built.model.getWeights().map((w) => Array.from(w.dataSync()));
  const before = tf.memory().numTensors;
  const r = await measureSignals(tf, built, { x, y }, (yt, out) => lossValue(tf, 'crossentropy', outputKind(info), yt, out));
  assert.equal(tf.memory().numTensors, before, 'tensors before and after');
  assert.deepEqual(built.model.getWeights().map((w) => Array.from(w.dataSync())), weightsBefore, 'weights and moving statistics unchanged');
  assert.deepEqual(r.layers.map((l) => l.name), ['dense_1', 'dense_2'], 'batchnorm has no kernel: not measured');
  tf.dispose([x, y]);
});

test('training with signals: the same weights as without, a report per epoch from its last full batch, no tensor left', async () => {
  const { info, config } = example('PlainDeep');
  // Adam: tfjs's momentum optimiser keeps one tensor after dispose (with or without signals), which would hide a leak here.
  const cfg: TrainConfig = { ...config, epochs: 2, batch: 32, optimizer: { kind: 'adam', lr: 1e-3 } };
  const d = data();
  const trainOnce = async (withSignals: boolean) => {
    const built = buildModel(tf, info, { seed: 1 });
    const reports: SignalsReport[] = [];
    const order: string[] = [];
    const before = tf.memory().numTensors;
    const h = await trainModel(tf, built.model, info, d, {
      config: cfg,
      onEpoch: (l) => void order.push(`epoch ${l.epoch}`),
      ...(withSignals ? { signals: { built, onSignals: (r: SignalsReport) => void (reports.push(r), order.push(`signals ${r.epoch}`)) } } : {}),
    });
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    const weights = built.model.getWeights().map((w) => Array.from(w.dataSync()));
    return { h, reports, order, weights };
  };
  const plainRun = await trainOnce(false);
  const probed = await trainOnce(true);
  // The measured step is the step: the gradients applied are the ones measured.
  assert.deepEqual(probed.weights, plainRun.weights);
  assert.deepEqual(probed.h.epochs.map((e) => e.loss), plainRun.h.epochs.map((e) => e.loss));
  assert.deepEqual(probed.order, ['signals 0', 'epoch 1', 'signals 1', 'epoch 2', 'signals 2']);
  // 256 examples, 20 % held out: 205 train, batches of 32 → the last (13) is short: the 6th of 7 is measured.
  assert.deepEqual(probed.reports.map((r) => r.examples), [32, 32, 32]);
  assert.ok(probed.reports.every((r) => r.layers.length === 10 && r.layers.every((l) => l.gradient > 0)));
});

test('resuming measures no initial signals; diffusion and GAN loops report none', async () => {
  const { info, config } = example('ResidualDeep');
  const built = buildModel(tf, info, { seed: 1 });
  const reports: SignalsReport[] = [];
  await trainModel(tf, built.model, info, data(), { config: { ...config, epochs: 1 }, initialEpoch: 3, signals: { built, onSignals: (r) => void reports.push(r) } });
  assert.deepEqual(reports.map((r) => r.epoch), [4]);
  assert.match(signalsUnsupported({ loss: 'denoise' })!, /loss: denoise trains by its own loop/);
  assert.equal(signalsUnsupported({ loss: 'crossentropy' }), undefined);
});

test('the gradient line names the smallest and largest layers and their ratio', () => {
  const layer = (name: string, gradient: number) => ({ name, label: 'dense(64)', line: 1, activation: 0.5, gradient });
  const r: SignalsReport = { epoch: 3, examples: 32, layers: [layer('dense_1', 3.1e-6), layer('dense_2', 1e-4), layer('dense_6', 2.4e-2)] };
  const short = (l: { name: string }) => l.name;
  assert.equal(formatGradientLine(r, 'gradient RMS', short), 'gradient RMS: dense_1 3.1e-6 … dense_6 0.024 (×7,700)');
  assert.equal(formatGradientLine({ ...r, layers: [layer('conv2d_1', 0.5), layer('dense_1', 1.5)] }, 'at initialisation, gradient RMS', short), 'at initialisation, gradient RMS: conv2d_1 0.5 … dense_1 1.5 (×3)');
  assert.equal(formatGradientLine({ ...r, layers: [layer('dense_1', 0.25)] }, 'gradient RMS', short), 'gradient RMS: dense_1 0.25 (one weighted layer)');
  assert.equal(formatGradientLine({ ...r, layers: [] }, 'gradient RMS', short), 'gradient RMS: no weighted layer to measure');
  assert.equal(formatGradientLine({ ...r, layers: [layer('dense_1', 0), layer('dense_2', 0)] }, 'gradient RMS', short), 'gradient RMS: 0 in every weighted layer (the loss no longer changes with the weights: saturated units?)');
  assert.equal(formatGradientLine({ ...r, layers: [layer('dense_1', 0), layer('dense_2', 0.5)] }, 'gradient RMS', short), 'gradient RMS: dense_1 0 … dense_2 0.5 (none reaches dense_1)');
  // By default as the graph labels them, with their line, and which repeat when several share both (CLI, output channel, Training tab).
  assert.equal(formatGradientLine(r), 'gradient RMS: dense(64) (line 1, 1 of 3) 3.1e-6 … dense(64) (line 1, 3 of 3) 0.024 (×7,700)');
  // Or named by the caller.
  assert.equal(formatGradientLine(r, 'gradient RMS', (l, i) => `${l.label} #${i}`), 'gradient RMS: dense(64) #0 3.1e-6 … dense(64) #2 0.024 (×7,700)');
  assert.equal(formatRms(2.4e-5), '2.4e-5');
  assert.equal(formatRms(12345), '1.2e4');
});

test('the chart model: one line per measurement, initial dashed, latest emphasised, log-safe values, newest run only', () => {
  const h = new SignalsHistory();
  const rep = (epoch: number, g: number[]): SignalsReport => ({ epoch, examples: 32, layers: g.map((v, i) => ({ name: `dense_${i + 1}`, label: 'dense(64)', line: i + 3, activation: 0.5, gradient: v })) });
  assert.equal(h.apply(1, 'M', { kind: 'batch', epoch: 1, batch: 1, batches: 2, loss: 1 }), false);
  h.apply(1, 'M', { kind: 'signals', report: rep(0, [1e-6, 1e-3]) });
  for (let e = 1; e <= 12; e++) h.apply(1, 'M', { kind: 'signals', report: rep(e, [e * 1e-5, 0]) });
  const shown = h.shown().map((r) => r.epoch);
  assert.deepEqual(shown, [0, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], `the initial line and the latest ${MAX_SIGNAL_LINES}`);
  const g = h.series('gradient');
  assert.deepEqual(g[0], [0, 1]);
  assert.deepEqual(g[1], [1e-6, 1e-3]);
  assert.equal(g[2][1], null, 'a zero cannot go on a log axis');
  const styles = h.styles();
  assert.deepEqual(styles[0].dash, [6, 4]);
  assert.equal(styles[0].label, 'initial');
  assert.equal(styles[styles.length - 1].label, 'epoch 12');
  assert.ok(styles[styles.length - 1].width > styles[1].width, 'the latest epoch is the widest');
  const t = h.table();
  assert.deepEqual(t.head, ['layer', 'line', 'output RMS, initial', 'gradient RMS, initial', 'output RMS, epoch 12', 'gradient RMS, epoch 12']);
  assert.deepEqual(t.rows[0].slice(0, 2), ['dense(64)', '3']);
  // A new run starts afresh; an older run's late event is ignored.
  h.apply(2, 'M', { kind: 'signals', report: rep(0, [1, 2]) });
  assert.deepEqual(h.reports.map((r) => r.epoch), [0]);
  assert.equal(h.apply(1, 'M', { kind: 'signals', report: rep(5, [1, 2]) }), false);
});

test('Measure at initialisation: the model message carries a built-in train section\'s data spec, and the page measures from it', async () => {
  const a = analyze(EXAMPLE);
  const uri = 'file:///w/deep_signals.nnmodel';
  const reports: Record<string, SignalsReport> = {};
  for (const name of ['PlainDeep', 'ResidualDeep']) {
    const sent = modelMessage(a, a.models.find((m) => m.name === name)!, uri, 1);
    // The analysis fills in size (the model's 28) and seed, as a train message carries them.
    assert.deepEqual(sent.sample, { kind: 'digits', options: { samples: 2000, size: 28, seed: 1 } });
    // Through the page's validation, as the page gets it.
    const msg = parseHostMessage(JSON.parse(JSON.stringify(sent))) as ModelMessage;
    assert.deepEqual(msg.sample, sent.sample);
    assert.equal(initialSignalsUnavailable(msg), undefined);
    const before = tf.memory().numTensors;
    reports[name] = await measureInitialSignals(tf, msg);
    assert.equal(tf.memory().numTensors, before, 'the model built for it is freed');
    assert.equal(reports[name].epoch, 0);
    assert.equal(reports[name].examples, 32, 'the batch of the train section');
  }
  assert.ok(gradientSpread(reports.PlainDeep)!.ratio > 1000 * gradientSpread(reports.ResidualDeep)!.ratio, `${formatGradientLine(reports.PlainDeep)} vs ${formatGradientLine(reports.ResidualDeep)}`);
  // A malformed spec only loses the button's data.
  const sent = modelMessage(a, a.models[0], uri, 1);
  const bad = parseHostMessage({ ...JSON.parse(JSON.stringify(sent)), sample: { kind: 'mnist', options: {} } }) as ModelMessage;
  assert.ok(bad && bad.sample === undefined);
  assert.match(initialSignalsUnavailable(bad)!, /your files, which are read when training starts/);
  // A file's data, a generative objective, no train section: said, not attempted.
  const files = analyze(`model F {\n  input x: [4]\n  output x -> dense(3) -> softmax\n}\ntrain F {\n  data: csv("f.csv", label = "y")\n  loss: crossentropy\n}`);
  assert.equal(modelMessage(files, files.models[0], uri, 1).sample, undefined);
  const none = analyze(`model N {\n  input x: [4]\n  output x -> dense(3)\n}`);
  assert.match(initialSignalsUnavailable(modelMessage(none, none.models[0], uri, 1))!, /no train section/);
  assert.match(initialSignalsUnavailable({ ...sent, train: { ...sent.train!, loss: 'denoise' } })!, /loss: denoise trains by its own loop/);
});

test('Measure at initialisation gives the figures a training run in the editor measures first: the same initial weights (TRAIN_SEED) and batch', async () => {
  const a = analyze(`model Small {\n  input image: [28, 28, 1]\n  output image -> flatten -> dense(16) -> sigmoid -> dense(10) -> softmax\n}\n\ntrain Small {\n  data: digits(samples = 64)\n  epochs: 1\n  batch: 16\n}\n`);
  const info = a.models[0];
  const msg = parseHostMessage(JSON.parse(JSON.stringify(modelMessage(a, info, 'file:///w/small.nnmodel', 1)))) as ModelMessage;
  const measured = await measureInitialSignals(tf, msg);
  // As trainCore.ts runs it: built with the train message's seed (TRAIN_SEED), signals reported before the first step.
  const config = a.trains[0].config;
  const d = { ...builtinDataset({ kind: msg.sample!.kind, options: msg.sample!.options }, 1), source: 'digits' };
  const built = buildModel(tf, info, { seed: TRAIN_SEED });
  const reports: SignalsReport[] = [];
  try {
    await trainModel(tf, built.model, info, d, { config: { ...config, epochs: 1 }, seed: TRAIN_SEED, signals: { built, onSignals: (r) => void reports.push(r) } });
  } finally {
    built.model.dispose();
  }
  const first = reports.find((r) => r.epoch === 0)!;
  assert.equal(measured.examples, first.examples);
  const figures = (r: SignalsReport) => r.layers.map((l) => [l.name, formatRms(l.activation), formatRms(l.gradient)]);
  assert.deepEqual(figures(measured), figures(first));
});
