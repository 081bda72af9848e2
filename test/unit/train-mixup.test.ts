// `mixup: α` (Zhang et al. 2018): each training batch is mixed with a
// permutation of itself, x' = λx + (1 − λ)x[perm] and y' = λy + (1 − λ)y[perm]
// (class ids one-hot first), λ ~ Beta(α, α). The draws come from a stream of
// (seed, epoch), so a resumed run mixes as one run does; validation and
// evaluation see the examples as they are. The analysis refuses α ≤ 0, a
// non-number, token-id data and the generative losses.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo, TrainConfig } from '../../extension/core/analysis/types';
import { buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { encodeCheckpoint, optimizerRestorer, readCheckpoint, resumeModel, writeCheckpoint } from '../../extension/core/runtime/checkpoint';
import { startTrainingBackend } from '../../extension/core/runtime/kernels';
import { createRng } from '../../extension/core/runtime/data/random';
import { digits } from '../../extension/core/runtime/data/synthetic';
import {
  epochRng,
  lossValue,
  metricSum,
  mixBatch,
  mixupDraws,
  sampleBeta,
  trainModel,
  validationSplit,
  type RunOptimizers,
  type TrainData,
} from '../../extension/core/runtime/train';
import { parseHostMessage, serializeModel } from '../../extension/core/protocol';
import { nodeCheckpointFs } from '../../extension/cli/trainJob';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

before(() => startTrainingBackend(tf, 'wasm'));

const NET = `model Net {
  input x: [6]
  output x -> dense(16) -> relu -> dense(3) -> softmax
}
`;

function info(text: string): ModelInfo {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return a.models[0];
}

/** 96 examples of 6 features, 3 classes by the sign of a sum (train-resume.test.ts's set). */
function classes(): TrainData {
  const rng = createRng(42);
  const count = 96;
  const xs = new Float32Array(count * 6);
  const ys = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < 6; j++) xs[i * 6 + j] = rng.normal();
    const a = xs[i * 6] + xs[i * 6 + 1];
    ys[i] = a > 0.5 ? 0 : a < -0.5 ? 1 : 2;
  }
  return { source: 'test', count, xs, xDtype: 'float32', exampleShape: [6], ys, targetShape: [], classes: ['a', 'b', 'c'] };
}

const config = (epochs: number, mixup?: number): TrainConfig => ({
  loss: 'crossentropy',
  optimizer: { kind: 'adam', lr: 0.01 },
  epochs,
  batch: 16,
  validation: 0.25,
  metrics: ['accuracy'],
  ...(mixup === undefined ? {} : { mixup }),
});

const flat = (b: BuiltModel) => b.model.getWeights().flatMap((w) => Array.from(w.dataSync()));

function maxRelDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), Math.abs(b[i]), 1e-3));
  return worst;
}

test('the draws are a function of (seed, epoch): the same again, others for another epoch or seed; λ in [0, 1], a permutation', () => {
  const take = (seed: number, epoch: number) => {
    const d = mixupDraws(seed, epoch, 0.2);
    return [16, 16, 7].map((n) => d.next(n));
  };
  const a = take(7, 3);
  assert.deepEqual(take(7, 3), a);
  assert.notDeepEqual(take(7, 4), a);
  assert.notDeepEqual(take(8, 3), a);
  for (const { lambda, perm } of a) {
    assert.ok(lambda >= 0 && lambda <= 1, `λ ${lambda}`);
    assert.deepEqual([...perm].sort((x, y) => x - y), Array.from({ length: perm.length }, (_, i) => i));
  }
  assert.deepEqual(a.map((d) => d.perm.length), [16, 16, 7]);
});

test('λ follows Beta(α, α): mean 1/2, variance 1/(4(2α + 1)), and never NaN for a small α', () => {
  for (const alpha of [0.05, 0.2, 1, 4]) {
    const rng = createRng(5);
    const n = 40_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const l = sampleBeta(rng, alpha);
      assert.ok(Number.isFinite(l) && l >= 0 && l <= 1, `α ${alpha}: λ ${l}`);
      sum += l;
      sq += l * l;
    }
    const mean = sum / n;
    const variance = sq / n - mean * mean;
    const want = 1 / (4 * (2 * alpha + 1));
    assert.ok(Math.abs(mean - 0.5) < 0.01, `α ${alpha}: mean ${mean}`);
    assert.ok(Math.abs(variance - want) < 0.01, `α ${alpha}: variance ${variance}, Beta's ${want}`);
  }
});

test('a mixed batch is λx + (1 − λ)x[perm], its one-hot labels likewise (by hand on 3 examples)', () => {
  const x = tf.tensor2d([
    [1, 2],
    [10, 20],
    [-4, 8],
  ]);
  const y = tf.tensor1d([0, 2, 1], 'int32');
  const draw = { lambda: 0.3, perm: [2, 0, 1] };
  const m = mixBatch(tf, x, y, draw, 4);
  // Example 0 with 2, 1 with 0, 2 with 1.
  const want = [
    [0.3 * 1 + 0.7 * -4, 0.3 * 2 + 0.7 * 8],
    [0.3 * 10 + 0.7 * 1, 0.3 * 20 + 0.7 * 2],
    [0.3 * -4 + 0.7 * 10, 0.3 * 8 + 0.7 * 20],
  ];
  const got = m.x.arraySync() as number[][];
  want.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(got[i][j] - v) < 1e-5, `x[${i}][${j}] ${got[i][j]} vs ${v}`)));
  // Labels 0, 2, 1 as one-hot rows of 4 (the model's output may have more classes than the data).
  const wantY = [
    [0.3, 0.7, 0, 0],
    [0.7, 0, 0.3, 0],
    [0, 0.3, 0.7, 0],
  ];
  assert.deepEqual(m.y.shape, [3, 4]);
  const gotY = m.y.arraySync() as number[][];
  wantY.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(gotY[i][j] - v) < 1e-6, `y[${i}][${j}] ${gotY[i][j]} vs ${v}`)));
  // Values (mse, binary_crossentropy) mix as they are.
  const r = mixBatch(tf, x, tf.tensor2d([[1], [0], [5]]), draw, undefined);
  const gotR = (r.y.arraySync() as number[][]).map((v) => v[0]);
  [0.3 * 1 + 0.7 * 5, 0.3 * 0 + 0.7 * 1, 0.3 * 5 + 0.7 * 0].forEach((v, i) => assert.ok(Math.abs(gotR[i] - v) < 1e-6, `${gotR[i]} vs ${v}`));
  // Token ids cannot be mixed.
  assert.throws(() => mixBatch(tf, tf.tensor2d([[1, 2]], undefined, 'int32'), tf.tensor1d([0], 'int32'), { lambda: 0.5, perm: [0] }, 3), /token ids/);
  tf.dispose([x, y, m.x, m.y, r.x, r.y]);
});

test('crossentropy takes soft targets: the mixed target gives λ·CE(y) + (1 − λ)·CE(y[perm]); accuracy counts the weight on the predicted class', () => {
  const logits = tf.tensor2d([
    [2, 0.5, -1],
    [0.1, 0.2, 3],
  ]);
  const ya = tf.tensor1d([0, 1], 'int32');
  const yb = tf.tensor1d([2, 1], 'int32');
  const lambda = 0.8;
  const soft = tf.add(tf.mul(tf.oneHot(ya, 3), lambda), tf.mul(tf.oneHot(yb, 3), 1 - lambda));
  for (const kind of ['logits', 'probabilities'] as const) {
    const out = kind === 'logits' ? logits : tf.softmax(logits);
    const mixed = lossValue(tf, 'crossentropy', kind, soft, out).dataSync()[0];
    const parts = lambda * lossValue(tf, 'crossentropy', kind, ya, out).dataSync()[0] + (1 - lambda) * lossValue(tf, 'crossentropy', kind, yb, out).dataSync()[0];
    assert.ok(Math.abs(mixed - parts) < 1e-5, `${kind}: ${mixed} vs ${parts}`);
  }
  // Predictions: class 0, class 2. Example 0: right for its first label (λ); example 1: for neither.
  assert.ok(Math.abs(metricSum(tf, 'accuracy', 'crossentropy', 'logits', soft, logits, true).dataSync()[0] - 0.8) < 1e-6);
  // binary: predicted 1 and 0 against blends 0.8 and 0.3: right by 0.8 and by 0.7.
  const z = tf.tensor2d([[1], [-1]]);
  assert.ok(Math.abs(metricSum(tf, 'accuracy', 'binary_crossentropy', 'logits', tf.tensor2d([[0.8], [0.3]]), z, true).dataSync()[0] - 1.5) < 1e-6);
  tf.dispose([logits, ya, yb, soft, z]);
});

test('training steps see the mixed batches of the (seed, epoch) stream; validation sees the examples unmixed', async () => {
  const net = info(NET);
  const data = classes();
  const built = buildModel(tf, net, { seed: 1 });
  const seen: { training: boolean; x: Float32Array }[] = [];
  const apply = built.model.apply.bind(built.model);
  built.model.apply = ((x: tf.Tensor, kw?: { training?: boolean }) => {
    seen.push({ training: kw?.training === true, x: (x as tf.Tensor).dataSync() as Float32Array });
    return apply(x, kw);
  }) as typeof built.model.apply;
  const cfg = config(2, 0.4);
  const before = tf.memory().numTensors;
  await trainModel(tf, built.model, net, data, { config: cfg, seed: 7 });
  assert.equal(tf.memory().numTensors, before, 'no tensors leak from mixing');
  const split = validationSplit(data.count, cfg.validation, 7);
  const row = (k: number) => Array.from(data.xs.subarray(k * 6, k * 6 + 6));
  const training = seen.filter((s) => s.training);
  assert.equal(training.length, 2 * Math.ceil(split.train.length / 16));
  let step = 0;
  for (let e = 0; e < 2; e++) {
    const order = epochRng(7, e, 7919).shuffle(Array.from(split.train));
    const draws = mixupDraws(7, e, 0.4);
    for (let from = 0; from < order.length; from += 16) {
      const n = Math.min(16, order.length - from);
      const { lambda, perm } = draws.next(n);
      const got = training[step++].x;
      for (let i = 0; i < n; i++) {
        const a = row(order[from + i]);
        const b = row(order[from + perm[i]]);
        a.forEach((v, j) => assert.ok(Math.abs(got[i * 6 + j] - (lambda * v + (1 - lambda) * b[j])) < 1e-5, `epoch ${e + 1}, step ${step}, [${i}][${j}]`));
      }
    }
  }
  // Validation: the held-out rows exactly as they are, in order, once per epoch.
  const validation = seen.filter((s) => !s.training);
  const want = Array.from(split.validation).flatMap(row);
  assert.equal(validation.length, 2);
  for (const v of validation) assert.deepEqual(Array.from(v.x), Array.from(Float32Array.from(want)));
  built.model.dispose();
});

test('with mixup, N epochs, checkpoint, M resumed give the weights of N + M in one run; the mixing changes them', async () => {
  const net = info(NET);
  const data = classes();
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-mixup-'));
  try {
    const whole = buildModel(tf, net, { seed: 1 });
    await trainModel(tf, whole.model, net, data, { config: config(4, 0.3), seed: 7 });
    const plain = buildModel(tf, net, { seed: 1 });
    await trainModel(tf, plain.model, net, data, { config: config(4), seed: 7 });

    const first = buildModel(tf, net, { seed: 1 });
    let saved: Awaited<ReturnType<typeof encodeCheckpoint>> | undefined;
    const c2 = config(2, 0.3);
    await trainModel(tf, first.model, net, data, {
      config: c2,
      seed: 7,
      onEpoch: async (logs, o: RunOptimizers) => void (saved = await encodeCheckpoint(first, { model: 'Net', epoch: logs.epoch, history: [logs] }, { optimizer: o.model!, config: c2.optimizer })),
    });
    await writeCheckpoint(nodeCheckpointFs(), dir, saved!);
    const ck = await readCheckpoint(nodeCheckpointFs(), dir, { optimizer: true });
    const second = buildModel(tf, net, { seed: 99 });
    const resumed = resumeModel(tf, second, ck);
    const messages: string[] = [];
    const h = await trainModel(tf, second.model, net, data, {
      config: c2,
      seed: 7,
      initialEpoch: resumed.epoch,
      prepareOptimizer: optimizerRestorer(tf, c2.optimizer, { model: resumed }, (m) => messages.push(m)),
    });
    assert.deepEqual(h.epochs.map((e) => e.epoch), [3, 4]);
    assert.deepEqual(messages, []);
    const diff = maxRelDiff(flat(whole), flat(second));
    assert.ok(diff < 1e-6, `resumed vs one run: ${diff}`);
    const mixed = maxRelDiff(flat(whole), flat(plain));
    assert.ok(mixed > 1e-3, `mixup changes training: ${mixed}`);
    for (const b of [whole, plain, first, second]) b.model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The train section's diagnostics on `value` of `key`, with the text they cover. */
function diagnostics(text: string): { code: string; severity: string; message: string; at: string }[] {
  const a = analyze(text);
  return a.diagnostics.filter((d) => d.code.startsWith('train.')).map((d) => ({ code: d.code, severity: d.severity, message: d.message, at: text.slice(d.range.start.offset, d.range.end.offset) }));
}

const CNN = `model M {
  input x: [8, 8, 1]
  output x -> flatten -> dense(10) -> softmax
}
`;

test('mixup: α is read into the config; α ≤ 0, above 10 or not a number is an error on the value, with the range', () => {
  const ok = analyze(`${CNN}train M {\n  data: digits(size = 8)\n  mixup: 0.2\n}\n`);
  assert.deepEqual(ok.diagnostics.filter((d) => d.code.startsWith('train.')), []);
  assert.equal(ok.trains[0].config.mixup, 0.2);
  assert.equal(analyze(`${CNN}train M {\n  data: digits(size = 8)\n}\n`).trains[0].config.mixup, undefined, 'absent: off');
  for (const bad of ['0', '-0.5', '11', 'true', 'strong', '[0.2]']) {
    const d = diagnostics(`${CNN}train M {\n  data: digits(size = 8)\n  mixup: ${bad}\n}\n`);
    assert.equal(d.length, 1, `${bad}: ${JSON.stringify(d)}`);
    assert.equal(d[0].code, 'train.bad_value');
    assert.equal(d[0].severity, 'error');
    assert.equal(d[0].at, bad);
    assert.match(d[0].message, /^mixup is α of Beta\(α, α\), from which each batch draws its mixing weight λ: a number above 0 and at most 10/);
  }
  assert.match(diagnostics(`${CNN}train M {\n  data: digits(size = 8)\n  mixup: -0.5\n}\n`)[0].message, /at most 10, not -0\.5 /);
  assert.equal(analyze(`${CNN}train M {\n  data: digits(size = 8)\n  mixup: 10\n}\n`).trains[0].config.mixup, 10);
});

test('mixup on token ids (text, sequences) or with loss: denoise / adversarial is an error that says why', () => {
  const lm = `model LM {
  input tokens: int[16]
  output tokens -> embedding(10, 8) -> dense(10) -> softmax
}
train LM {
  data: sequences(length = 16, vocab = 10)
  mixup: 0.2
}
`;
  const seq = diagnostics(lm).filter((d) => d.code === 'train.mixup');
  assert.equal(seq.length, 1);
  assert.equal(seq[0].severity, 'error');
  assert.equal(seq[0].at, '0.2');
  assert.match(seq[0].message, /mixup takes weighted sums of inputs, but sequences gives token ids/);
  const text = diagnostics(lm.replace('sequences(length = 16, vocab = 10)', 'text("a.txt", context = 16)')).filter((d) => d.code === 'train.mixup');
  assert.match(text[0]?.message ?? '', /but text gives token ids/);

  const gan = `model G {
  input z: [8]
  output z -> dense(64) -> reshape([8, 8, 1]) -> tanh
}
model D {
  input x: [8, 8, 1]
  output x -> flatten -> dense(1)
}
train G {
  data: digits(size = 8)
  loss: adversarial(D)
  mixup: 0.2
}
`;
  const a = diagnostics(gan).filter((d) => d.code === 'train.mixup');
  assert.equal(a.length, 1);
  assert.equal(a[0].severity, 'error');
  assert.match(a[0].message, /mixup mixes two examples and their labels, but loss: adversarial trains without labels; a GAN has none/);
  const dn = analyze(gan.replace('loss: adversarial(D)', 'loss: denoise').replace('train G', 'train D')).diagnostics.filter((d) => d.code === 'train.mixup');
  assert.equal(dn.length, 1);
  assert.match(dn[0].message, /loss: denoise trains without labels; a diffusion model has none/);
  // Numbers mix: digits with mixup has no such error.
  assert.deepEqual(diagnostics(`${CNN}train M {\n  data: digits(size = 8)\n  mixup: 0.4\n}\n`), []);
});

test('trainModel refuses mixup on token ids (the analysis\'s backstop) without leaking the optimiser it made', async () => {
  const lm = info(`model LM {\n  input tokens: int[4]\n  output tokens -> embedding(10, 8) -> dense(10) -> softmax\n}\n`);
  const count = 32;
  const xs = Int32Array.from({ length: count * 4 }, (_, i) => i % 10);
  const ys = Int32Array.from({ length: count * 4 }, (_, i) => (i + 1) % 10);
  const data: TrainData = { source: 'ids', count, xs, xDtype: 'int32', exampleShape: [4], ys, targetShape: [4], classes: Array.from({ length: 10 }, (_, i) => String(i)) };
  const built = buildModel(tf, lm, { seed: 1 });
  const before = tf.memory().numTensors;
  await assert.rejects(trainModel(tf, built.model, lm, data, { config: config(1, 0.2), seed: 1 }), /mixup takes weighted sums of inputs, but ids gives token ids/);
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind by the refused run');
  built.model.dispose();
});

test('the page gets mixup through the protocol; a bad α is refused there too', () => {
  const net = info(NET);
  const msg = (mixup?: unknown) =>
    parseHostMessage({
      type: 'train',
      uri: 'file:///m.nnmodel',
      version: 1,
      run: 1,
      seed: 1,
      model: serializeModel(net),
      config: { ...config(1), ...(mixup === undefined ? {} : { mixup }) },
      data: { kind: 'builtin', source: { kind: 'digits', options: { samples: 100, size: 8, seed: 1 } } },
    });
  const ok = msg(0.2);
  assert.equal(ok?.type, 'train');
  assert.equal(ok?.type === 'train' ? ok.config.mixup : undefined, 0.2);
  const off = msg();
  assert.equal(off?.type === 'train' ? 'mixup' in off.config : undefined, false);
  for (const bad of [0, -1, 11, '0.2', null]) assert.equal(msg(bad), undefined, `mixup ${JSON.stringify(bad)}`);
});

test('a small CNN on digits trains with mixup: the loss falls; accuracy with and without, side by side', async () => {
  const text = `model Small {
  input x: [12, 12, 1]
  output x -> conv2d(8, 3, padding = same) -> relu -> maxpool(2) -> conv2d(8, 3, stride = 2) -> relu -> flatten -> dense(10) -> softmax
}
train Small {
  data: digits(samples = 1000, size = 12)
  batch: 32
  epochs: 5
  validation: 0.2
  metrics: [accuracy]
  optimizer: adam(lr = 1e-2)
  mixup: 0.2
}
`;
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  const withMixup = a.trains[0].config;
  assert.equal(withMixup.mixup, 0.2);
  const { mixup: _, ...without } = withMixup;
  const data: TrainData = { ...digits({ samples: 1000, size: 12, seed: 2 }), source: 'digits' };
  const rows: string[] = [];
  for (const [name, cfg] of [['mixup 0.2', withMixup], ['no mixup', without]] as const) {
    const built = buildModel(tf, a.models[0], { seed: 1 });
    const h = await trainModel(tf, built.model, a.models[0], data, { config: cfg, seed: 1 });
    built.model.dispose();
    const [first, last] = [h.epochs[0], h.epochs[h.epochs.length - 1]];
    if (name === 'mixup 0.2') assert.ok(last.loss < first.loss * 0.8, `with mixup, loss ${first.loss} → ${last.loss}`);
    rows.push(`${name}: ${h.epochs.map((e) => `e${e.epoch} loss ${e.loss.toFixed(3)} acc ${e.metrics.accuracy.toFixed(3)} val_loss ${e.valLoss!.toFixed(3)} val_acc ${e.valMetrics!.accuracy.toFixed(3)}`).join(' | ')}`);
  }
  console.log(rows.join('\n'));
});
