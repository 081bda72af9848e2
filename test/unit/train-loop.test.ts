import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo, TrainConfig } from '../../extension/core/analysis/types';
import { buildModel } from '../../extension/core/runtime/build';
import { digits, sequences, waves } from '../../extension/core/runtime/data/synthetic';
import { generateTokens, sampleToken } from '../../extension/core/runtime/generate';
import { startTrainingBackend } from '../../extension/core/runtime/kernels';
import {
  TrainError,
  checkDataFits,
  formatEpoch,
  lossValue,
  outputKind,
  symbolicDimsFor,
  trainModel,
  validationSplit,
  type TrainData,
} from '../../extension/core/runtime/train';

before(() => startTrainingBackend(tf, 'wasm'));

function model(text: string): { info: ModelInfo; config: TrainConfig } {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return { info: a.models[0], config: a.trains[0]?.config };
}

const asData = (name: string, d: Omit<TrainData, 'source'>): TrainData => ({ ...d, source: name });

test('a small conv net on digits lowers its loss and learns on wasm (conv filter gradients included)', async () => {
  const { info, config } = model(`model Small {
  input x: [12, 12, 1]
  output x -> conv2d(8, 3, padding = same) -> relu -> maxpool(2) -> conv2d(8, 3, stride = 2) -> relu -> flatten -> dense(10) -> softmax
}
train Small {
  data: digits(samples = 1000, size = 12)
  batch: 32
  epochs: 4
  validation: 0.2
  metrics: [accuracy]
  optimizer: adam(lr = 1e-2)
}
`);
  const built = buildModel(tf, info, { seed: 1 });
  const data = asData('digits', digits({ samples: 1000, size: 12, seed: 2 }));
  const before = tf.memory().numTensors;
  const seen: number[] = [];
  const h = await trainModel(tf, built.model, info, data, { config, onBatch: (b) => void seen.push(b.loss) });
  assert.equal(h.status, 'completed');
  assert.equal(h.epochs.length, 4);
  assert.equal(seen.length, 4 * Math.ceil(800 / 32));
  const [first, last] = [h.epochs[0], h.epochs[3]];
  assert.ok(last.loss < first.loss * 0.7, `loss ${first.loss} → ${last.loss}`);
  assert.ok(last.valLoss! < h.epochs[0].valLoss!, 'validation loss falls too');
  assert.ok(last.valMetrics!.accuracy > 0.5, `val accuracy ${last.valMetrics!.accuracy} (chance is 0.1)`);
  assert.equal(tf.memory().numTensors, before, 'no tensors leak from the loop');
  assert.match(formatEpoch(last), /^epoch 4\/4 · loss \d\.\d{4} · accuracy \d\.\d{4} · val_loss \d\.\d{4} · val_accuracy \d\.\d{4} · /);
});

test('cancelling stops before the next batch and keeps only whole epochs', async () => {
  const { info, config } = model(`model M {
  input x: [8, 8, 1]
  output x -> flatten -> dense(10) -> softmax
}
train M {
  data: digits(samples = 200, size = 8)
  batch: 20
  epochs: 5
}
`);
  const built = buildModel(tf, info, { seed: 1 });
  const token = { cancelled: false };
  let batches = 0;
  const h = await trainModel(tf, built.model, info, asData('digits', digits({ samples: 200, size: 8 })), {
    config,
    token,
    onBatch: (b) => {
      batches++;
      if (b.epoch === 2 && b.batch === 3) token.cancelled = true;
    },
  });
  assert.equal(h.status, 'cancelled');
  assert.equal(h.epochs.length, 1, 'epoch 2 was not finished');
  assert.equal(batches, 9 + 3);
});

test('a causal dilated TCN trains on waves (dilated conv gradients) with mse', async () => {
  const { info, config } = model(`model T {
  input s: [seq, 1]
  output s -> conv1d(8, 3, padding = causal, dilation = 2) -> relu -> conv1d(8, 3, padding = causal, dilation = 4) -> relu -> conv1d(1, 1)
}
train T {
  data: waves(samples = 200, length = 32)
  loss: mse
  batch: 20
  epochs: 4
  metrics: [mae]
  optimizer: adam(lr = 1e-2)
}
`);
  const built = buildModel(tf, info, { seed: 1 });
  const h = await trainModel(tf, built.model, info, asData('waves', waves({ samples: 200, length: 32 })), { config });
  assert.ok(h.epochs[3].loss < h.epochs[0].loss, `loss ${h.epochs[0].loss} → ${h.epochs[3].loss}`);
  assert.ok(h.epochs[3].metrics.mae > 0);
});

test('a tiny causal transformer learns to copy sequences; generation samples from it', async () => {
  const { info, config } = model(`model Tiny {
  input t: int[seq]
  e = embedding(6, 16)
  output t -> e -> positional(learned, maxlen = 8) -> attention(2, causal = true) -> layernorm -> unembed(e) -> softmax
}
train Tiny {
  data: sequences(samples = 400, task = copy, length = 8, vocab = 6)
  batch: 25
  epochs: 6
  metrics: [accuracy]
  optimizer: adam(lr = 1e-2)
}
`);
  const data = asData('sequences', sequences({ samples: 400, task: 'copy', length: 8, vocab: 6, seed: 1 }));
  const built = buildModel(tf, info, { seed: 1, symbolicDims: symbolicDimsFor(info, data.exampleShape) });
  const h = await trainModel(tf, built.model, info, data, { config });
  const last = h.epochs[h.epochs.length - 1];
  assert.ok(last.loss < h.epochs[0].loss, `loss ${h.epochs[0].loss} → ${last.loss}`);
  assert.ok(last.valMetrics!.accuracy > 0.5, `copy accuracy ${last.valMetrics!.accuracy}`);
  const out = await generateTokens(tf, built.model, [3, 1], { maxTokens: 5, temperature: 0, topK: 0, context: 8, outputKind: outputKind(info) });
  assert.equal(out.length, 5);
  assert.ok(out.every((id) => Number.isInteger(id) && id >= 0 && id < 6));
});

test('generating with a model of a fixed length (int[16]) from a shorter prompt pads the window on the left with the unknown token', async () => {
  const info = analyze('model F {\n  input chars: int[16]\n  output chars -> embedding(12, 8) -> gru(8, return_sequences = true) -> dense(12) -> softmax\n}\n').models[0];
  const built = buildModel(tf, info, { seed: 1 });
  const out = await generateTokens(tf, built.model, [3, 1], { maxTokens: 20, temperature: 0, topK: 0, context: 16, outputKind: outputKind(info) });
  assert.equal(out.length, 20);
  assert.ok(out.every((id) => Number.isInteger(id) && id >= 0 && id < 12));
  built.model.dispose();
});

test('data that does not fit the model is a TrainError saying what differs', () => {
  const config: TrainConfig = { loss: 'crossentropy', optimizer: { kind: 'adam', lr: 1e-3 }, epochs: 1, batch: 4, validation: 0, metrics: [] };
  const { info } = model(`model M {
  input x: [8, 8, 1]
  output x -> flatten -> dense(5) -> softmax
}
`);
  const built = buildModel(tf, info, { seed: 1 });
  const d = asData('digits', digits({ samples: 10, size: 8 }));
  assert.throws(() => checkDataFits(built.model, info, d, config), (e: unknown) => e instanceof TrainError && /digits has 10 classes, but 'M' outputs 5 values per prediction; end with dense\(10\)/.test(e.message));
  const big = asData('digits', digits({ samples: 10, size: 9 }));
  assert.throws(() => checkDataFits(built.model, info, big, config), /digits gives examples of shape \[9, 9, 1\], but 'M' takes \[8, 8, 1\]/);
  const lmc = config;
  const { info: lm } = model(`model L {
  input t: int[4]
  output t -> embedding(3, 4) -> dense(9) -> softmax
}
`);
  const lb = buildModel(tf, lm, { seed: 1 });
  const seq = asData('sequences', sequences({ samples: 20, task: 'copy', length: 4, vocab: 9 }));
  assert.throws(() => checkDataFits(lb.model, lm, seq, lmc), /token ids up to 8, but the embedding of 'L' has 3 rows/);
});

test('a model with two outputs is refused with the reason, not an internal error in the loop', async () => {
  const config: TrainConfig = { loss: 'crossentropy', optimizer: { kind: 'adam', lr: 1e-3 }, epochs: 1, batch: 4, validation: 0, metrics: [] };
  const { info } = model(`model Two {
  input x: [8, 8, 1]
  h = x -> flatten -> dense(16, activation = relu)
  output h -> dense(10) -> softmax
  output h -> dense(2)
}
`);
  const built = buildModel(tf, info, { seed: 1 });
  const d = asData('digits', digits({ samples: 8, size: 8 }));
  const why = (e: unknown) => e instanceof TrainError && /^'Two' has 2 outputs \(lines 4 and 5\); training fits one output to the labels of digits\./.test(e.message);
  assert.throws(() => checkDataFits(built.model, info, d, config), why);
  await assert.rejects(trainModel(tf, built.model, info, d, { config }), why);
});

test('losses: probabilities and logits give the same cross-entropy; mse and mae', () => {
  const logits = tf.tensor2d([[2, 0, -1], [0.5, 0.5, 3]]);
  const y = tf.tensor1d([0, 2], 'int32');
  const a = lossValue(tf, 'crossentropy', 'logits', y, logits).dataSync()[0];
  const b = lossValue(tf, 'crossentropy', 'probabilities', y, tf.softmax(logits)).dataSync()[0];
  const expected = -(Math.log(Math.exp(2) / (Math.exp(2) + 1 + Math.exp(-1))) + Math.log(Math.exp(3) / (2 * Math.exp(0.5) + Math.exp(3)))) / 2;
  assert.ok(Math.abs(a - expected) < 1e-5 && Math.abs(b - expected) < 1e-5, `${a} ${b} ${expected}`);
  const z = tf.tensor2d([[3], [-2]]);
  const t = tf.tensor2d([[1], [0]]);
  const bl = lossValue(tf, 'binary_crossentropy', 'logits', t, z).dataSync()[0];
  const bp = lossValue(tf, 'binary_crossentropy', 'probabilities', t, tf.sigmoid(z)).dataSync()[0];
  assert.ok(Math.abs(bl - bp) < 1e-5);
  assert.ok(Math.abs(lossValue(tf, 'mse', 'logits', tf.tensor1d([1, 2]), tf.tensor1d([2, 4])).dataSync()[0] - 2.5) < 1e-6);
  assert.ok(Math.abs(lossValue(tf, 'mae', 'logits', tf.tensor1d([1, 2]), tf.tensor1d([2, 4])).dataSync()[0] - 1.5) < 1e-6);
});

test('sampling: temperature 0 is argmax, top-k never picks outside the k best, banned ids never come', () => {
  const p = [0.1, 0.5, 0.05, 0.35];
  assert.equal(sampleToken(p, 'probabilities', 0, 0, 0.99), 1);
  for (let u = 0; u < 1; u += 0.01) {
    const id = sampleToken(p, 'probabilities', 1, 2, u);
    assert.ok(id === 1 || id === 3);
    assert.notEqual(sampleToken(p, 'probabilities', 1.5, 0, u, [1]), 1);
  }
  // With temperature 1 and no cut, the draws follow the distribution.
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 1000; i++) counts[sampleToken(p, 'probabilities', 1, 0, (i + 0.5) / 1000)]++;
  counts.forEach((c, i) => assert.ok(Math.abs(c / 1000 - p[i]) < 0.01, `token ${i}: ${c}`));
});

test('sampling within the vocabulary: ids the tokeniser cannot decode are masked before the draw, the rest share the probability', () => {
  // 6 outputs, a vocabulary of 3 (id 0 the unknown token, banned): the likeliest outputs are outside it.
  const p = [0.05, 0.1, 0.05, 0.4, 0.3, 0.1];
  for (let u = 0; u < 1; u += 0.01) {
    for (const [t, k] of [[1, 0], [0.5, 2], [2, 10]]) {
      const id = sampleToken(p, 'probabilities', t, k, u, [0], 3);
      assert.ok(id === 1 || id === 2, `u ${u} temperature ${t} top-k ${k}: ${id}`);
    }
  }
  assert.equal(sampleToken(p, 'probabilities', 0, 0, 0.5, [0], 3), 1, 'argmax within the vocabulary');
  assert.equal(sampleToken([-1, 5, 2, 9], 'logits', 0, 0, 0.5, [], 3), 1);
  // Renormalised: ids 1 and 2 drawn 2 : 1.
  let ones = 0;
  for (let i = 0; i < 900; i++) ones += sampleToken(p, 'probabilities', 1, 0, (i + 0.5) / 900, [0], 3) === 1 ? 1 : 0;
  assert.ok(Math.abs(ones / 900 - 2 / 3) < 0.01, `${ones}`);
  assert.throws(() => sampleToken(p, 'probabilities', 1, 0, 0.5, [0], 1), /no token to sample/);
});

test('the validation split is seeded, disjoint and covers every example', () => {
  const a = validationSplit(50, 0.2, 3);
  assert.deepEqual([a.train.length, a.validation.length], [40, 10]);
  assert.deepEqual([...a.train, ...a.validation].sort((x, y) => x - y), Array.from({ length: 50 }, (_, i) => i));
  assert.deepEqual(validationSplit(50, 0.2, 3), a);
  assert.notDeepEqual(validationSplit(50, 0.2, 4).validation, a.validation);
  assert.equal(validationSplit(5, 0.01, 1).validation.length, 1);
  assert.equal(validationSplit(5, 0, 1).validation.length, 0);
});

test('windows of one sequence: the last ones are held out, those sharing tokens with them left out, the rest shuffled', () => {
  const a = validationSplit(50, 0.2, 3, 4);
  assert.deepEqual([...a.validation], Array.from({ length: 10 }, (_, i) => 40 + i));
  assert.deepEqual([...a.train].sort((x, y) => x - y), Array.from({ length: 37 }, (_, i) => i), 'windows 37, 38 and 39 share tokens with window 40');
  assert.notDeepEqual([...a.train], Array.from({ length: 37 }, (_, i) => i), 'in a seeded order');
  assert.deepEqual(validationSplit(50, 0.2, 3, 4), a);
  assert.equal(validationSplit(50, 0, 3, 4).train.length, 50, 'nothing held out: every window trains');
  assert.equal(validationSplit(5, 0.2, 3, 5).train.length, 0);
});
