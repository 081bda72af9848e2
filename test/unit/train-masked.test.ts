// `mask: rate` (masked language modelling, Devlin et al. 2019): in every
// window of a text, round(T · rate) positions are chosen; 80 % of them get
// [MASK] (id = the text's token count), 10 % a random token, 10 % stay; the
// crossentropy and the metrics count the chosen positions only. The masking
// is a function of (seed, epoch, example), and of (seed, example) alone for
// the validation examples, so runs repeat, resume exactly and compare.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import type { ModelInfo, TrainConfig } from '../../extension/core/analysis/types';
import { buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { checkpointMask, encodeCheckpoint, optimizerRestorer, readCheckpoint, resumeModel, writeCheckpoint } from '../../extension/core/runtime/checkpoint';
import { startTrainingBackend } from '../../extension/core/runtime/kernels';
import { createRng } from '../../extension/core/runtime/data/random';
import { charTokenizer } from '../../extension/core/runtime/tokenizers';
import {
  MASK_SHARE,
  maskCount,
  maskedBatch,
  maskedLoss,
  maskedMetricSum,
  maskSpecFor,
  maskWindow,
  VALIDATION_EPOCH,
} from '../../extension/core/runtime/masking';
import { evaluateModel, outputKind, trainModel, validationSplit, type RunOptimizers, type TrainData } from '../../extension/core/runtime/train';
import { parseHostMessage, serializeModel, type TrainingEvent, type TrainStartMessage } from '../../extension/core/protocol';
import { checkUploadedCheckpoint, dataPayload } from '../../extension/core/runtime/trainTransfer';
import { runTraining, type EncodedCheckpoint } from '../../webview/training/trainCore';
import { runCli as run } from '../fixtures/cli';
import { nodeCheckpointFs, runEvaluateJob } from '../../extension/cli/trainJob';
import { evaluationMessage } from '../../extension/cli/train';

before(() => startTrainingBackend(tf, 'wasm'));

const CORPUS = 'the cat sat on the mat. the rat ate the hat. a bat saw the cat.\n'.repeat(6);

/** Windows of `T` characters of CORPUS at every position, next-token targets (as data/files.ts loadText cuts them). */
function textData(T = 12): TrainData {
  const tok = charTokenizer(CORPUS);
  const ids = tok.encode(CORPUS);
  const count = ids.length - T;
  const xs = new Int32Array(count * T);
  const ys = new Int32Array(count * T);
  for (let i = 0; i < count; i++) {
    for (let t = 0; t < T; t++) {
      xs[i * T + t] = ids[i + t];
      ys[i * T + t] = ids[i + t + 1];
    }
  }
  const classes = tok.tokens(Array.from({ length: tok.vocabSize }, (_, i) => i));
  return { source: 'corpus.txt', count, xs, xDtype: 'int32', exampleShape: [T], ys, targetShape: [T], classes };
}

const VOCAB = charTokenizer(CORPUS).vocabSize; // 16: 15 characters and the unknown token

const ENCODER = `model Enc {
  input tokens: int[seq]
  output tokens -> embedding(24, 16) -> positional(learned, maxlen = 12) -> attention(2) -> dense(24) -> softmax
}
`;

function info(text: string): ModelInfo {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return a.models[0];
}

/** `mask` null: no masking (next-token prediction). */
const config = (epochs: number, mask: number | null = 0.25): TrainConfig => ({
  loss: 'crossentropy',
  optimizer: { kind: 'adam', lr: 0.01 },
  epochs,
  batch: 16,
  validation: 0.2,
  metrics: ['accuracy'],
  ...(mask === null ? {} : { mask }),
});

const flat = (b: BuiltModel) => b.model.getWeights().flatMap((w) => Array.from(w.dataSync()));

function maxRelDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), Math.abs(b[i]), 1e-3));
  return worst;
}

// ------------------------------------------------------------------ the masking

test('maskCount is BERT\'s round(T · rate), at least 1 and at most T', () => {
  assert.equal(maskCount(100, 0.15), 15);
  assert.equal(maskCount(64, 0.15), 10);
  assert.equal(maskCount(32, 0.15), 5);
  assert.equal(maskCount(4, 0.1), 1);
  assert.equal(maskCount(3, 0.5), 2);
});

test('masking statistics: 15 % of the positions, spread evenly; of them 80 % [MASK], 10 % random, 10 % unchanged', () => {
  const T = 100;
  const vocab = 50;
  const spec = { vocab, maskId: vocab, count: maskCount(T, 0.15) };
  const windows = 4000;
  const rng = createRng(3);
  let chosen = 0;
  let masked = 0;
  let random = 0;
  let kept = 0;
  const perPosition = new Float64Array(T);
  for (let w = 0; w < windows; w++) {
    const tokens = Int32Array.from({ length: T }, () => rng.int(vocab));
    const original = tokens.slice();
    const c = new Float32Array(T);
    maskWindow(tokens, c, spec, createRng(w + 1));
    for (let t = 0; t < T; t++) {
      if (c[t] === 0) {
        assert.equal(tokens[t], original[t], 'a position not chosen is never changed');
        continue;
      }
      chosen++;
      perPosition[t]++;
      if (tokens[t] === vocab) masked++;
      else if (tokens[t] !== original[t]) {
        random++;
        assert.ok(tokens[t] >= 0 && tokens[t] < vocab, 'a random token is a token of the vocabulary, never [MASK]');
      } else kept++;
    }
  }
  assert.equal(chosen, windows * 15, 'exactly 15 positions of every window of 100');
  // 60 000 chosen positions: a share's standard deviation is ≤ 0.2 %; the tolerance is 1 % (about 5 σ).
  assert.ok(Math.abs(masked / chosen - 0.8) < 0.01, `[MASK] ${masked / chosen}`);
  // A random draw equal to the original (1 in 50) counts as unchanged.
  assert.ok(Math.abs(random / chosen - 0.1 * (49 / 50)) < 0.01, `random ${random / chosen}`);
  assert.ok(Math.abs(kept / chosen - (0.1 + 0.1 / 50)) < 0.01, `unchanged ${kept / chosen}`);
  // Every position is chosen about 15 % of the time (4000 windows: σ ≈ 0.56 %).
  for (let t = 0; t < T; t++) assert.ok(Math.abs(perPosition[t] / windows - 0.15) < 0.03, `position ${t}: ${perPosition[t] / windows}`);
  assert.equal(MASK_SHARE, 0.8);
});

test('a masked batch: the targets are the original tokens, the input differs only at the chosen positions, w marks them', () => {
  const data = textData();
  const spec = { rate: 0.25, vocab: VOCAB, maskId: VOCAB, length: 12, count: maskCount(12, 0.25) };
  const idx = [5, 0, 17, 40];
  const { x, y, w } = maskedBatch(tf, data, idx, 0, 4, spec, 7, 0);
  const [xv, yv, wv] = [x.arraySync() as number[][], y.arraySync() as number[][], w.arraySync() as number[][]];
  tf.dispose([x, y, w]);
  idx.forEach((k, i) => {
    assert.deepEqual(yv[i], Array.from(data.xs.subarray(k * 12, (k + 1) * 12)), 'targets: the window itself, not the next tokens');
    assert.equal(wv[i].reduce((a, b) => a + b, 0), 3, 'round(12 · 0.25) = 3 positions');
    for (let t = 0; t < 12; t++) if (wv[i][t] === 0) assert.equal(xv[i][t], yv[i][t]);
  });
  assert.ok(xv.flat().includes(VOCAB), 'some position holds [MASK]');
});

test('the masking depends on (seed, epoch, example) only: not on the batch; another epoch or seed masks otherwise; validation has one masking', () => {
  const data = textData();
  const spec = { rate: 0.25, vocab: VOCAB, maskId: VOCAB, length: 12, count: 3 };
  const rows = (idx: number[], seed: number, epoch: number) => {
    const b = maskedBatch(tf, data, idx, 0, idx.length, spec, seed, epoch);
    const out = { x: b.x.arraySync() as number[][], w: b.w.arraySync() as number[][] };
    tf.dispose([b.x, b.y, b.w]);
    return out;
  };
  const a = rows([3, 9, 30], 1, 2);
  const b = rows([30, 3], 1, 2);
  assert.deepEqual(b.x[1], a.x[0], 'example 3 in another batch, at another place: the same masking');
  assert.deepEqual(b.w[0], a.w[2]);
  assert.notDeepEqual(rows([3, 9, 30], 1, 3).w, a.w, 'another epoch');
  assert.notDeepEqual(rows([3, 9, 30], 2, 2).w, a.w, 'another seed');
  assert.deepEqual(rows([3, 9, 30], 1, VALIDATION_EPOCH), rows([3, 9, 30], 1, VALIDATION_EPOCH));
});

// ------------------------------------------------------------------ the loss

test('the loss and accuracy count only the masked positions (by hand)', () => {
  // One window of 3 positions, 3 classes; targets 0, 1, 2; position 1 is not masked.
  const probs = [
    [0.5, 0.3, 0.2], // target 0: p = 0.5, predicted right
    [0.1, 0.1, 0.8], // target 1: p = 0.1, wrong, but not masked
    [0.05, 0.05, 0.9], // target 2: p = 0.9, right
  ];
  const y = tf.tensor2d([[0, 1, 2]], [1, 3], 'int32');
  const w = tf.tensor2d([[1, 0, 1]], [1, 3]);
  const out = tf.tensor3d([probs]);
  const loss = maskedLoss(tf, 'probabilities', y, out, w).dataSync()[0];
  assert.ok(Math.abs(loss - -(Math.log(0.5) + Math.log(0.9)) / 2) < 1e-6, `loss ${loss}`);
  assert.equal(maskedMetricSum(tf, 'accuracy', 'probabilities', y, out, w).dataSync()[0], 2);
  // The unmasked position may say anything: nothing changes.
  const other = tf.tensor3d([[probs[0], [0.98, 0.01, 0.01], probs[2]]]);
  assert.ok(Math.abs(maskedLoss(tf, 'probabilities', y, other, w).dataSync()[0] - loss) < 1e-7);
  // From logits: log-softmax of the masked rows.
  const logits = tf.tensor3d([[[2, 0, 0], [0, 0, 0], [0, 1, 3]]]);
  const lsm = (r: number[], k: number) => r[k] - Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
  const expected = -(lsm([2, 0, 0], 0) + lsm([0, 1, 3], 2)) / 2;
  assert.ok(Math.abs(maskedLoss(tf, 'logits', y, logits, w).dataSync()[0] - expected) < 1e-5);
  // The gradient reaches only the masked positions' outputs.
  const g = tf.grad((o: tf.Tensor) => maskedLoss(tf, 'logits', y, o, w))(logits).arraySync() as number[][][];
  assert.deepEqual(g[0][1].map(Math.abs), [0, 0, 0]);
  assert.ok(g[0][0].some((v) => v !== 0) && g[0][2].some((v) => v !== 0));
  tf.dispose([y, w, out, other, logits]);
});

// ------------------------------------------------------------------ training

test('trainModel with mask: accuracy on masked tokens, and validation figures that evaluateModel gives again exactly', async () => {
  const net = info(ENCODER);
  const data = textData();
  const built = buildModel(tf, net, { seed: 1, symbolicDims: { seq: 12 } });
  const tensors = tf.memory().numTensors;
  const h = await trainModel(tf, built.model, net, data, { config: config(3), seed: 5 });
  assert.equal(tf.memory().numTensors, tensors, 'the masked batches and weights are freed');
  const last = h.epochs[2];
  assert.ok(last.valLoss !== undefined && last.valMetrics?.accuracy !== undefined);
  const split = validationSplit(data.count, 0.2, 5);
  const spec = maskSpecFor(built.model, net, data, 0.25);
  assert.deepEqual([spec.maskId, spec.count], [VOCAB, 3]);
  const again = await evaluateModel(tf, built.model, outputKind(net), data, split.validation, { loss: 'crossentropy', metrics: ['accuracy'], batch: 16 }, undefined, { spec, seed: 5 });
  assert.ok(Math.abs(again!.loss - last.valLoss!) < 1e-5, `${again!.loss} vs ${last.valLoss}`);
  assert.ok(Math.abs(again!.metrics.accuracy - last.valMetrics!.accuracy) < 1e-6);
  // Counted over the masked positions: a share of 3 per window, so a multiple of 1 / (3 · windows).
  const n = split.validation.length * 3;
  assert.ok(Math.abs(again!.metrics.accuracy * n - Math.round(again!.metrics.accuracy * n)) < 1e-3);
  built.model.dispose();
});

test('with mask, N epochs, checkpoint, M resumed give the weights of N + M in one run; masking changes them', async () => {
  const net = info(ENCODER);
  const data = textData();
  const dims = { symbolicDims: { seq: 12 } };
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-mask-'));
  try {
    const whole = buildModel(tf, net, { seed: 1, ...dims });
    await trainModel(tf, whole.model, net, data, { config: config(4), seed: 7 });
    const again = buildModel(tf, net, { seed: 1, ...dims });
    await trainModel(tf, again.model, net, data, { config: config(4), seed: 7 });
    assert.equal(maxRelDiff(flat(whole), flat(again)), 0, 'the same run twice: the same weights');

    const first = buildModel(tf, net, { seed: 1, ...dims });
    let saved: Awaited<ReturnType<typeof encodeCheckpoint>> | undefined;
    const c2 = config(2);
    await trainModel(tf, first.model, net, data, {
      config: c2,
      seed: 7,
      onEpoch: async (logs, o: RunOptimizers) =>
        void (saved = await encodeCheckpoint(first, { model: 'Enc', epoch: logs.epoch, history: [logs], objective: { mask: 0.25 } }, { optimizer: o.model!, config: c2.optimizer })),
    });
    await writeCheckpoint(nodeCheckpointFs(), dir, saved!);
    const ck = await readCheckpoint(nodeCheckpointFs(), dir, { optimizer: true });
    assert.equal(checkpointMask(ck.modelJson.nnmodel), 0.25, 'the checkpoint records the objective');
    const second = buildModel(tf, net, { seed: 99, ...dims });
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
    const otherRate = buildModel(tf, net, { seed: 1, ...dims });
    await trainModel(tf, otherRate.model, net, data, { config: config(4, 0.5), seed: 7 });
    assert.ok(maxRelDiff(flat(whole), flat(otherRate)) > 1e-3, 'another rate trains otherwise');
    for (const b of [whole, again, first, second, otherRate]) b.model.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpointMask reads only a valid rate', () => {
  assert.equal(checkpointMask({}), undefined);
  assert.equal(checkpointMask({ objective: { mask: 0.15 } }), 0.15);
  for (const bad of [0, 1, -0.1, '0.15', null]) assert.equal(checkpointMask({ objective: { mask: bad as number } }), undefined);
  assert.equal(checkpointMask({ objective: null as unknown as { mask?: number } }), undefined);
});

test('maskSpecFor says what does not fit: numbers, examples of 2-D token ids, several data inputs, a model of several inputs', () => {
  const net = info(ENCODER);
  const built = buildModel(tf, net, { seed: 1, symbolicDims: { seq: 12 } });
  const two = info(`model Two {
  input a: int[seq]
  input b: int[seq]
  output ((a -> embedding(24, 8)) + (b -> embedding(24, 8))) -> dense(24) -> softmax
}
`);
  const twoBuilt = buildModel(tf, two, { seed: 1, symbolicDims: { seq: 12 } });
  try {
    const text = textData();
    const want = 'mask trains a masked language model on one input of token ids \\(text\\), one window of tokens per example';
    const grid: TrainData = { ...text, source: 'grid.csv', count: 1, xs: new Int32Array(12), exampleShape: [3, 4] };
    assert.throws(() => maskSpecFor(built.model, net, grid, 0.15), new RegExp(`^TrainError: ${want}, but each example of grid\\.csv is \\[3, 4\\] token ids, not one window \\[length\\]\\. Remove mask\\.$`));
    const floats: TrainData = { ...text, source: 'values.csv', xDtype: 'float32', xs: new Float32Array(text.xs) };
    assert.throws(() => maskSpecFor(built.model, net, floats, 0.15), new RegExp(`^TrainError: ${want}, but values\\.csv gives numbers\\. Remove mask\\.$`));
    const pairs: TrainData = { ...text, source: 'pairs', moreInputs: [{ name: 'b', xs: text.xs, xDtype: 'int32', exampleShape: [12] }] };
    assert.throws(() => maskSpecFor(built.model, net, pairs, 0.15), new RegExp(`^TrainError: ${want}, but pairs gives 2 inputs\\. Remove mask\\.$`));
    assert.throws(() => maskSpecFor(twoBuilt.model, two, text, 0.15), new RegExp(`^TrainError: ${want}, but 'Two' has 2 inputs\\. Remove mask\\.$`));
    // What fits: one window of token ids per example.
    assert.equal(maskSpecFor(built.model, net, text, 0.25).length, 12);
  } finally {
    built.model.dispose();
    twoBuilt.model.dispose();
  }
});

test('trainModel refuses a model without an embedding row for [MASK], or without a prediction per position, before making its optimiser', async () => {
  const data = textData();
  const tight = info(ENCODER.replace('embedding(24, 16)', `embedding(${VOCAB}, 16)`).replace('dense(24)', `dense(${VOCAB})`));
  const built = buildModel(tf, tight, { seed: 1, symbolicDims: { seq: 12 } });
  const before = tf.memory().numTensors;
  await assert.rejects(
    trainModel(tf, built.model, tight, data, { config: config(1) }),
    new RegExp(`corpus\\.txt has ${VOCAB} tokens \\(ids 0 to ${VOCAB - 1}\\) and mask adds \\[MASK\\] as id ${VOCAB}, but the embedding of 'Enc' has ${VOCAB} rows; give it at least ${VOCAB + 1}\\.`),
  );
  assert.equal(tf.memory().numTensors, before, 'nothing leaked');
  built.model.dispose();
  // Without mask the same model trains: its ids fit.
  const plain = buildModel(tf, tight, { seed: 1, symbolicDims: { seq: 12 } });
  await trainModel(tf, plain.model, tight, data, { config: config(1, null) });
  plain.model.dispose();
});

test('the page gets mask through the protocol; a bad rate is refused there too', () => {
  const net = info(ENCODER);
  const msg = (mask?: unknown) =>
    parseHostMessage({
      type: 'train',
      uri: 'file:///m.nnmodel',
      version: 1,
      run: 1,
      seed: 1,
      model: serializeModel(net),
      config: { ...config(1, null), ...(mask === undefined ? {} : { mask }) },
      data: { kind: 'builtin', source: { kind: 'sequences', options: { samples: 100, length: 12, vocab: 10, seed: 1, task: 'copy' } } },
    });
  const ok = msg(0.15);
  assert.equal(ok?.type === 'train' ? ok.config.mask : undefined, 0.15);
  const off = msg();
  assert.equal(off?.type === 'train' ? 'mask' in off.config : undefined, false);
  for (const bad of [0, -1, 0.6, '0.15', null]) assert.equal(msg(bad), undefined, `mask ${JSON.stringify(bad)}`);
});

test('the editor\'s page trains with mask from the section\'s config, and its checkpoints record the objective', async () => {
  const text = `${ENCODER}
train Enc {
  data: text("corpus.txt", tokenizer = char, context = 12)
  mask: 0.25
  optimizer: adam(lr = 1e-2)
  epochs: 1
  batch: 32
  metrics: [accuracy]
}
`;
  const a = analyze(text);
  const { data: source, ...cfg } = a.trains[0].config;
  const data = { ...textData(), yDtype: 'int32' as const };
  const msg = parseHostMessage({
    type: 'train',
    uri: 'file:///w/mlm.nnmodel',
    version: 1,
    run: 1,
    model: serializeModel(a.models[0]),
    config: cfg,
    seed: 1,
    data: dataPayload(source!, data),
  }) as TrainStartMessage;
  assert.equal(msg.config.mask, 0.25);
  const events: TrainingEvent[] = [];
  const checkpoints: EncodedCheckpoint[] = [];
  const status = await runTraining(tf, msg, {
    emit: (e) => void events.push(e),
    checkpoint: async (ck) => {
      checkUploadedCheckpoint({ model: ck.model ?? 'Enc', ...ck });
      checkpoints.push(ck);
    },
    yieldNow: async () => undefined,
    token: { cancelled: false },
  });
  assert.equal(status, 'completed', JSON.stringify(events.filter((e) => e.kind === 'done')));
  assert.equal(checkpoints.length, 1);
  assert.deepEqual((JSON.parse(checkpoints[0].modelJson) as { nnmodel: { objective?: unknown } }).nnmodel.objective, { mask: 0.25 });
  const epoch = events.find((e) => e.kind === 'epoch') as { valMetrics?: Record<string, number> } | undefined;
  // 0.1 of the windows held out, masked once: 3 positions each, so accuracy is a multiple of 1 / (3 · windows).
  const n = validationSplit(data.count, 0.1, 1).validation.length * 3;
  const acc = epoch?.valMetrics?.accuracy;
  assert.ok(acc !== undefined && Math.abs(acc * n - Math.round(acc * n)) < 1e-3, `val accuracy ${acc} over ${n} masked positions`);
});

// ------------------------------------------------------------------ the analysis

const LM = (layers: string, train = '  mask: 0.15\n') => `model LM {
  input tokens: int[seq]
  wte = embedding(64, 32)
  output tokens -> wte -> positional(learned, maxlen = 32) ${layers}
}

train LM {
  data: text("tiny.txt", tokenizer = char, context = 32)
${train}}
`;

function trainDiagnostics(text: string) {
  return analyze(text)
    .diagnostics.filter((d) => d.code.startsWith('train.'))
    .map((d) => ({ code: d.code, severity: d.severity, message: d.message, at: text.slice(d.range.start.offset, d.range.end.offset), related: d.related?.map((r) => text.slice(r.range.start.offset, r.range.end.offset)), fixes: d.fixes?.map((f) => f.title) }));
}

test('mask: 0.15 is read into the config; an encoder (attention without causal) on text is then not warned about as next-token data', () => {
  const enc = LM('-> attention(4) -> dense(64) -> softmax');
  const a = analyze(enc);
  assert.equal(a.trains[0].config.mask, 0.15);
  assert.deepEqual(trainDiagnostics(enc), []);
  // Without mask the same model reads the next token it must predict: train.not_causal, as before.
  assert.deepEqual(trainDiagnostics(LM('-> attention(4) -> dense(64) -> softmax', '')).map((d) => d.code), ['train.not_causal']);
});

test('mask out of range or not a number is train.bad_value on the value', () => {
  for (const bad of ['0', '0.6', '-0.1', 'high']) {
    const d = trainDiagnostics(LM('-> attention(4) -> dense(64) -> softmax', `  mask: ${bad}\n`));
    assert.equal(d.length, 1, bad);
    assert.equal(d[0].code, 'train.bad_value');
    assert.equal(d[0].at, bad);
    assert.match(d[0].message, /^mask is the share of each window's tokens the model must predict: a number above 0 and at most 0\.5.* \(BERT uses 0\.15\), e\.g\. mask: 0\.15\./);
  }
});

test('a causal model trained with mask gets train.mask_causal (a warning) on the mask, the attention related, and a fix', () => {
  const text = LM('-> attention(4, causal = true) -> dense(64) -> softmax');
  const d = trainDiagnostics(text);
  assert.equal(d.length, 1);
  assert.equal(d[0].code, 'train.mask_causal');
  assert.equal(d[0].severity, 'warning');
  assert.equal(d[0].at, '0.15');
  assert.deepEqual(d[0].related, ['attention(4, causal = true)']);
  assert.match(d[0].message, /cannot see the tokens after it: attention\(4, causal = true\) lets each position attend only to itself and earlier ones\. A hidden token is then guessed from its left context alone/);
  assert.deepEqual(d[0].fixes, ['Set causal = false in attention(4, causal = true)']);
  // The fix gives the encoder: nothing said.
  const fixed = analyze(text).diagnostics.find((x) => x.code === 'train.mask_causal')!.fixes![0].edits[0];
  const after = text.slice(0, fixed.range.start.offset) + fixed.newText + text.slice(fixed.range.end.offset);
  assert.deepEqual(trainDiagnostics(after), []);
  // An LSTM returning sequences reads one way: the fix makes it bidirectional, which sees both sides.
  const lstmText = LM('-> lstm(32, return_sequences = true) -> dense(64) -> softmax');
  const lstm = trainDiagnostics(lstmText);
  assert.deepEqual(lstm.map((x) => [x.code, x.severity, x.fixes, x.related]), [
    ['train.mask_causal', 'warning', ['Set bidirectional = true in lstm(32, return_sequences = true)'], ['lstm(32, return_sequences = true)']],
  ]);
  assert.match(lstm[0].message, /lstm\(32, return_sequences = true\) reads the tokens one way, so its output at each position has read only that token and earlier ones\. .* Set bidirectional = true in lstm/);
  const edit = analyze(lstmText).diagnostics.find((x) => x.code === 'train.mask_causal')!.fixes![0].edits[0];
  const bidirectional = lstmText.slice(0, edit.range.start.offset) + edit.newText + lstmText.slice(edit.range.end.offset);
  assert.match(bidirectional, /lstm\(32, return_sequences = true, bidirectional = true\)/);
  assert.deepEqual(trainDiagnostics(bidirectional), []);
});

test('mask needs a distribution per position: train.mask_output on a pooled output', () => {
  const d = trainDiagnostics(LM('-> attention(4) -> mean(0) -> dense(64) -> softmax'));
  assert.deepEqual(d.map((x) => [x.code, x.severity, x.at]), [['train.mask_output', 'error', '0.15']]);
  assert.match(d[0].message, /'LM' must output one distribution over the vocabulary per position, \[seq, vocab\], but it outputs \[64\]/);
});

test('mask with other data or another loss is train.mask, with the cause related', () => {
  const digits = `model M {
  input x: [8, 8, 1]
  output x -> flatten -> dense(10) -> softmax
}

train M {
  data: digits(samples = 100, size = 8)
  mask: 0.15
}
`;
  const d = trainDiagnostics(digits);
  assert.deepEqual(d.map((x) => [x.code, x.at, x.related]), [['train.mask', '0.15', ['digits(samples = 100, size = 8)']]]);
  assert.match(d[0].message, /mask hides tokens of a text and trains the model to give them back, but digits gives no tokens/);
  const mse = trainDiagnostics(LM('-> attention(4) -> dense(64) -> softmax', '  mask: 0.15\n  loss: mse\n'));
  assert.deepEqual(mse.map((x) => [x.code, x.related]), [['train.mask', ['mse']]]);
  assert.match(mse[0].message, /loss: mse compares values, but the model must pick the hidden token out of the vocabulary/);
  const seq = trainDiagnostics(`model S {
  input t: int[8]
  output t -> embedding(10, 8) -> dense(10) -> softmax
}

train S {
  data: sequences(length = 8, vocab = 10)
  mask: 0.15
}
`);
  assert.deepEqual(seq.map((x) => x.code), ['train.mask']);
});

test('a bpe vocabulary of known size needs a row more for [MASK]: train.vocab', () => {
  const bpe = (rows: number) =>
    trainDiagnostics(
      LM('-> attention(4) -> dense(64) -> softmax', '  mask: 0.15\n')
        .replace('embedding(64, 32)', `embedding(${rows}, 32)`)
        .replace('tokenizer = char', 'tokenizer = bpe, vocab = 64'),
    );
  const d = bpe(64);
  assert.deepEqual(d.map((x) => x.code), ['train.vocab']);
  assert.match(d[0].message, /gives token ids up to 63 and mask adds \[MASK\] as id 64, but the smallest embedding of 'LM' has 64 rows; give it at least 65\./);
  assert.deepEqual(bpe(65), []);
});

// ------------------------------------------------------------------ the CLI

test('nnmodel train with mask: the start line says so, epochs report masked accuracy; evaluate gives the last val figures again; generate refuses', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-mask-cli-'));
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'corpus.txt'), CORPUS);
    writeFileSync(
      join(dir, 'mlm.nnmodel'),
      `${ENCODER}
train Enc {
  data: text("corpus.txt", tokenizer = char, context = 12)
  mask: 0.25
  optimizer: adam(lr = 1e-2)
  epochs: 2
  batch: 32
  validation: 0.2
  metrics: [accuracy]
}
`,
    );
    const t = await run(dir, 'train', 'mlm.nnmodel');
    assert.equal(t.code, 0, t.err);
    const start = /^training Enc on corpus\.txt \((\d+) training examples, (\d+) for validation\) for 2 epochs, batch 32, masked language modelling \(25 % of tokens\), backend wasm$/m.exec(t.err);
    assert.ok(start, t.err);
    // The windows counted are those trained on: not the validation ones, nor those between that share tokens with both (the split line's).
    const note = /^validation: the last (\d+) windows of corpus\.txt; the (\d+) windows? before them share tokens with those and are left out of training$/m.exec(t.err);
    assert.ok(note, t.err);
    assert.equal(start[2], note[1]);
    // Char windows of 12 tokens (the target one further), one per position.
    const windows = CORPUS.length - 12;
    assert.equal(Number(start[1]) + Number(start[2]) + Number(note[2]), windows, 'every window is trained on, validates or is left out');
    assert.doesNotMatch(t.err, /not_causal/, 'masked: the encoder reads no answer');
    const epoch2 = /^epoch 2\/2 · loss [\d.]+ · accuracy [\d.]+ · val_loss ([\d.]+) · val_accuracy ([\d.]+)/m.exec(t.out);
    assert.ok(epoch2, t.out);
    const e = await run(dir, 'evaluate', 'mlm.nnmodel');
    assert.equal(e.code, 0, e.err);
    assert.match(e.out, /^Enc after epoch 2, masked language modelling: loss and metrics over the masked tokens \(25 %\)\n/);
    assert.match(e.out, new RegExp(`^validation: loss ${epoch2[1]} · accuracy ${epoch2[2]}$`, 'm'));
    // What Evaluate in the editor is told: the same figures, and that they are over the masked tokens.
    const ipc = evaluationMessage(await runEvaluateJob({ file: join(dir, 'mlm.nnmodel'), roots: [dir], backend: 'wasm' }));
    assert.equal(ipc.masked, 0.25);
    assert.equal(ipc.validation?.loss.toFixed(4), epoch2[1]);
    const g = await run(dir, 'generate', 'mlm.nnmodel', '--prompt', 'the', '--tokens', '4');
    assert.equal(g.code, 1);
    assert.match(g.err, /^nnmodel generate: Enc was trained by masked language modelling \(mask: 0\.25\): .* cannot write one token after another\./);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a model whose output sees only its own position gets train.mask_causal saying so, not that it guesses from the left context (cold review)', () => {
  const d = trainDiagnostics(LM('-> dense(64) -> relu -> dense(64) -> softmax'));
  assert.deepEqual(d.map((x) => [x.code, x.severity, x.at]), [['train.mask_causal', 'warning', '0.15']]);
  // Each position sees its own token only: no left context either, so the text must not claim one.
  assert.doesNotMatch(d[0].message, /left context|and earlier ones/);
  assert.match(d[0].message, /sees only the token at that position/);
  assert.match(d[0].message, /the same guess for every \[MASK\]/);
  // A causal model keeps its own wording.
  assert.match(trainDiagnostics(LM('-> lstm(32, return_sequences = true) -> dense(64) -> softmax'))[0].message, /has read only that token and earlier ones\. A hidden token is then guessed from its left context alone/);
  assert.match(trainDiagnostics(LM('-> conv1d(8, 3, padding = causal) -> dense(64) -> softmax'))[0].message, /each position sees only itself and earlier ones\. A hidden token is then guessed from its left context alone/);
});
