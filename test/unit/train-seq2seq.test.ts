// Encoder-decoder models (two inputs) trained from a `train` section:
// teacher-forcing data from `sequences`, the analysis's checks of the two
// inputs, training to high per-position accuracy, and the example's section.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyze } from '../../extension/core/analysis/analyze';
import { applyFix, rangeOf } from './sourceText';
import type { Diagnostic, ModelInfo, TrainConfig } from '../../extension/core/analysis/types';
import { buildModel } from '../../extension/core/runtime/build';
import { builtinDataset } from '../../extension/core/runtime/data/builtin';
import { BOS, sequencePairs, sequences } from '../../extension/core/runtime/data/synthetic';
import { startTrainingBackend } from '../../extension/core/runtime/kernels';
import { TrainError, checkDataFits, evaluateModel, inputShapes, outputKind, symbolicDimsFor, trainModel } from '../../extension/core/runtime/train';
import { checkpointDataMeta, dataPayload, datasetFromPayload } from '../../extension/core/runtime/trainTransfer';
import { applyCheckpoint, encodeCheckpoint } from '../../extension/core/runtime/checkpoint';
import { runCli } from '../fixtures/cli';
import { attentionMaps } from '../../webview/probes/attention';
import { greedyDecode } from '../../webview/probes/decode';

before(() => startTrainingBackend(tf, 'wasm'));

/** A small encoder-decoder: one cross-attention from the decoder to the source, learned positions. */
const SMALL = `model Small {
  input source: int[src_len]
  input target: int[tgt_len]
  e = embedding(12, 32)
  memory = source -> e -> positional(learned, maxlen = 16)
  output target -> e -> positional(learned, maxlen = 16)
                -> attention(2, causal = true) -> layernorm
                -> attention(2, context = memory) -> dense(12) -> softmax
}
`;

function analysed(text: string, name: string): { info: ModelInfo; config: TrainConfig; diagnostics: Diagnostic[] } {
  const a = analyze(text);
  return { info: a.models.find((m) => m.name === name)!, config: a.trains.find((t) => t.model === name)?.config as TrainConfig, diagnostics: a.diagnostics };
}

function only(diagnostics: Diagnostic[], code: string): Diagnostic {
  const found = diagnostics.filter((d) => d.code === code);
  assert.equal(found.length, 1, `one ${code} in ${JSON.stringify(diagnostics.map((d) => `${d.code}: ${d.message}`))}`);
  return found[0];
}

// ------------------------------------------------------------------ data

test('sequence pairs are exact teacher forcing: BOS, then the answer shifted right; labels are the answer', () => {
  for (const task of ['copy', 'reverse', 'sort'] as const) {
    const d = sequencePairs({ samples: 50, task, length: 7, vocab: 9, seed: 3 });
    assert.equal(BOS, 0);
    assert.deepEqual([d.count, d.exampleShape, d.targetShape, d.xDtype], [50, [7], [7], 'int32']);
    assert.equal(d.classes.length, 9);
    assert.equal(d.classes[0], 'BOS');
    for (let i = 0; i < d.count; i++) {
      const src = Array.from(d.xs.subarray(i * 7, i * 7 + 7));
      const ans = Array.from(d.ys.subarray(i * 7, i * 7 + 7));
      const dec = Array.from(d.decoderXs.subarray(i * 7, i * 7 + 7));
      assert.ok(src.every((t) => t >= 1 && t < 9), `tokens 1…8, never BOS: ${src}`);
      const want = task === 'copy' ? src : task === 'reverse' ? [...src].reverse() : [...src].sort((a, b) => a - b);
      assert.deepEqual(ans, want, `${task} answer`);
      assert.deepEqual(dec, [BOS, ...ans.slice(0, 6)], 'decoder input = BOS + answer[0..5]');
    }
  }
  // Seeded: the same options give the same pairs, another seed others.
  const a = sequencePairs({ samples: 20, task: 'reverse', length: 5, vocab: 6, seed: 4 });
  assert.deepEqual(sequencePairs({ samples: 20, task: 'reverse', length: 5, vocab: 6, seed: 4 }).xs, a.xs);
  assert.notDeepEqual(sequencePairs({ samples: 20, task: 'reverse', length: 5, vocab: 6, seed: 5 }).xs, a.xs);
});

test('a one-input model gets the sequences it always got; a two-input model gets the pairs as its second input', () => {
  const source = { kind: 'sequences' as const, options: { samples: 30, task: 'reverse', length: 6, vocab: 10, seed: 2 } };
  const one = builtinDataset(source);
  const plain = sequences({ samples: 30, task: 'reverse', length: 6, vocab: 10, seed: 2 });
  assert.deepEqual([one.xs, one.ys, one.moreInputs], [plain.xs, plain.ys, undefined]);
  assert.ok(Array.from(plain.xs).includes(0), 'one-input sequences still draw token 0');
  const two = builtinDataset(source, 2);
  const pairs = sequencePairs({ samples: 30, task: 'reverse', length: 6, vocab: 10, seed: 2 });
  assert.deepEqual([two.xs, two.ys], [pairs.xs, pairs.ys]);
  assert.equal(two.moreInputs?.length, 1);
  assert.deepEqual(two.moreInputs![0].xs, pairs.decoderXs);
  assert.deepEqual(inputShapes(two), [[6], [6]]);
  // The webview generates built-in sets from their spec: the same pairs there.
  const inPage = datasetFromPayload(dataPayload(source, undefined), 2);
  assert.deepEqual(inPage.moreInputs![0].xs, pairs.decoderXs);
  // Other sets feed one input whatever the model has.
  assert.equal(builtinDataset({ kind: 'digits', options: { samples: 10, size: 8 } }, 2).moreInputs, undefined);
});

// ------------------------------------------------------------------ analysis

test('TinyTransformer with sequences analyses cleanly; a one-input model with sequences is as before', () => {
  const example = readFileSync('examples/transformer.nnmodel', 'utf8');
  const a = analyze(example);
  assert.deepEqual(a.diagnostics.filter((d) => d.code.startsWith('train.')), []);
  assert.deepEqual(a.trains.map((t) => t.model), ['TinyTransformer']);
  const lm = `model L {
  input t: int[seq]
  e = embedding(10, 8)
  output t -> e -> attention(2, causal = true) -> unembed(e) -> softmax
}
train L {
  data: sequences(task = copy, length = 8, vocab = 10)
}
`;
  assert.deepEqual(analyze(lm).diagnostics.filter((d) => d.severity !== 'hint'), []);
});

test('a two-input model: sources that feed one input, more than two inputs, inputs of the wrong shape', () => {
  const digits = `${SMALL}train Small {
  data: digits(size = 8)
}
`;
  const d = only(analyze(digits).diagnostics, 'train.inputs');
  assert.deepEqual(d.range, rangeOf(digits, 'digits(size = 8)'));
  assert.match(d.message, /'Small' takes two inputs \('source', 'target'\), and only sequences\(\.\.\.\) feeds two .*; digits feeds one\./);

  const three = `model Three {
  input a: int[n]
  input b: int[n]
  input c: int[n]
  e = embedding(8, 8)
  output a -> e -> attention(2, context = b -> e) -> attention(2, context = c -> e) -> dense(8) -> softmax
}
train Three {
  data: sequences(vocab = 8)
}
`;
  const t = only(analyze(three).diagnostics, 'train.inputs');
  assert.deepEqual(t.range, rangeOf(three, 'sequences(vocab = 8)'));
  assert.match(t.message, /one input, or two for an encoder-decoder .* 'Three' has 3: 'a', 'b', 'c'\./);

  const floats = SMALL.replace('input target: int[tgt_len]', 'input target: [tgt_len, 32]').replace('output target -> e ->', 'output target ->') + `train Small {
  data: sequences(task = reverse, length = 6, vocab = 12)
}
`;
  const s = only(analyze(floats).diagnostics, 'train.data_shape');
  assert.deepEqual(s.range, rangeOf(floats, 'sequences(task = reverse, length = 6, vocab = 12)'));
  assert.match(s.message, /feeds input 2 \('target'\) the start token followed by the answer shifted right \(teacher forcing\) as int\[6\], but it is declared \[tgt_len, 32\]\./);
  assert.deepEqual(s.related?.[0].range, rangeOf(floats, 'input target: [tgt_len, 32]'));

  const fixed = SMALL.replace('int[src_len]', 'int[5]') + `train Small {
  data: sequences(length = 6, vocab = 12)
}
`;
  const f = only(analyze(fixed).diagnostics, 'train.data_shape');
  assert.match(f.message, /input 1 \('source'\) the source sequence as int\[6\], but it is declared int\[5\]/);
});

// train.input_order (the inputs swapped, or the output following the encoder's side): train-input-order.test.ts.

test('a decoder whose self-attention is not causal is a warning at the attention call (it would read the answer)', () => {
  const leaky = SMALL.replace('attention(2, causal = true)', 'attention(2)') + `train Small {
  data: sequences(task = reverse, length = 6, vocab = 12)
}
`;
  const d = only(analyze(leaky).diagnostics, 'train.decoder_not_causal');
  assert.equal(d.severity, 'warning');
  assert.deepEqual(d.range, rangeOf(leaky, 'sequences(task = reverse, length = 6, vocab = 12)'));
  assert.deepEqual(d.related?.[0].range, rangeOf(leaky, 'attention(2)'));
  assert.match(d.message, /^in the decoder of 'Small', attention\(2\) attends to every position of its input 'target', later ones included \(no `causal = true`\): with teacher forcing it would read the answer/);
  // The quick fix masks that attention, and the warning goes.
  assert.equal(d.fixes?.[0]?.title, 'Set causal = true in attention(2)');
  const fixed = applyFix(leaky, d);
  assert.ok(fixed.includes('-> attention(2, causal = true) -> layernorm'), fixed);
  assert.equal(analyze(fixed).diagnostics.filter((x) => x.code === 'train.decoder_not_causal').length, 0);
  // Inside a block, through a repeat: the same warning, pointing into the block, fixed there.
  const example = readFileSync('examples/transformer.nnmodel', 'utf8');
  const blockLeak = example.replace('attention(heads, causal = true)', 'attention(heads)');
  const b = only(analyze(blockLeak).diagnostics, 'train.decoder_not_causal');
  assert.deepEqual(b.related?.[0].range, rangeOf(blockLeak, 'attention(heads)', 1));
  assert.equal(applyFix(blockLeak, b), example);
  // Any layer that mixes the decoder's later positions in, not only attention: a centred window.
  const conv = SMALL.replace('-> attention(2, causal = true) -> layernorm', '-> conv1d(32, 3, padding = same) -> layernorm') + `train Small {
  data: sequences(task = reverse, length = 6, vocab = 12)
}
`;
  const c = only(analyze(conv).diagnostics, 'train.decoder_not_causal');
  assert.deepEqual(c.related?.[0].range, rangeOf(conv, 'conv1d(32, 3, padding = same)'));
  assert.match(c.message, /the output at a position also sees later positions of its input 'target', from conv1d\(32, 3, padding = same\) on: .* conv1d with padding = causal\./);
  assert.equal(analyze(conv.replace('padding = same', 'padding = causal')).diagnostics.filter((x) => x.code === 'train.decoder_not_causal').length, 0);
  // A bidirectional recurrent layer reads the decoder's later positions backwards: the fix reads it one way.
  const bi = SMALL.replace('-> attention(2, causal = true) -> layernorm', '-> gru(16, return_sequences = true, bidirectional = true) -> layernorm') + `train Small {
  data: sequences(task = reverse, length = 6, vocab = 12)
}
`;
  const g = only(analyze(bi).diagnostics, 'train.decoder_not_causal');
  assert.match(g.message, /gru\(16, return_sequences = true, bidirectional = true\) also reads its input 'target' backwards, so each position sees the later ones: .* Set bidirectional = false in gru/);
  assert.equal(g.fixes?.[0]?.title, 'Set bidirectional = false in gru(16, return_sequences = true, bidirectional = true)');
  assert.equal(analyze(applyFix(bi, g)).diagnostics.filter((x) => x.code === 'train.decoder_not_causal').length, 0);
  // The encoder's self-attention over the source is not a leak.
  assert.equal(analyze(example).diagnostics.filter((x) => x.code === 'train.decoder_not_causal').length, 0);
});

test('token ids beyond the embedding are train.vocab on the vocab option, with a fix', () => {
  const text = `${SMALL}train Small {
  data: sequences(task = reverse, length = 6, vocab = 20)
}
`;
  const diagnostics = analyze(text).diagnostics;
  const d = only(diagnostics, 'train.vocab');
  assert.deepEqual(d.range, rangeOf(text, '20'));
  assert.match(d.message, /sequences\(vocab = 20\) gives token ids up to 19, but the smallest embedding of 'Small' has 12 rows; use vocab = 12/);
  assert.deepEqual(d.fixes?.[0].edits, [{ range: rangeOf(text, '20'), newText: '12' }]);
  assert.equal(diagnostics.filter((x) => x.code === 'train.classes').length, 0, 'the vocab fix mends the classes too: one problem, not two');
  // Fewer classes than the output's: still train.classes, as for one-input models.
  const fewer = `${SMALL}train Small {
  data: sequences(task = reverse, length = 6, vocab = 8)
}
`;
  assert.match(only(analyze(fewer).diagnostics, 'train.classes').message, /sequences has 8 classes, but 'Small' outputs 12 values per prediction/);
});

// ------------------------------------------------------------------ runtime

test('a small encoder-decoder learns to reverse sequences to high per-position accuracy; no tensor leaks', async () => {
  const text = `${SMALL}train Small {
  data: sequences(samples = 1500, task = reverse, length = 6, vocab = 12)
  optimizer: adam(lr = 1e-2)
  epochs: 3
  batch: 32
  validation: 0.2
  metrics: [accuracy]
}
`;
  const { info, config, diagnostics } = analysed(text, 'Small');
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  const data = builtinDataset(config.data as never, info.inputs.length);
  const built = buildModel(tf, info, { seed: 1, symbolicDims: symbolicDimsFor(info, inputShapes(data)) });
  const before = tf.memory().numTensors;
  const h = await trainModel(tf, built.model, info, data, { config });
  assert.equal(h.status, 'completed');
  const last = h.epochs[h.epochs.length - 1];
  assert.ok(last.valMetrics!.accuracy > 0.95, `val accuracy per position ${last.valMetrics!.accuracy} (chance 1/11)`);
  assert.ok(last.loss < h.epochs[0].loss, `loss ${h.epochs[0].loss} → ${last.loss}`);
  assert.equal(tf.memory().numTensors, before, 'no tensors leak from the loop');
  // Evaluation feeds both inputs too, and agrees with the loop's last validation.
  const split = { validation: Int32Array.from({ length: 300 }, (_, i) => 1200 + i) };
  const ev = await evaluateModel(tf, built.model, outputKind(info), data, split.validation, { ...config, metrics: ['accuracy'] });
  assert.ok(ev!.metrics.accuracy > 0.95, `evaluated accuracy ${ev!.metrics.accuracy}`);
  // The decoder really reads the source: with the source shuffled, the reverse is lost.
  const scrambled = { ...data, xs: data.xs.slice().reverse() };
  const bad = await evaluateModel(tf, built.model, outputKind(info), scrambled, split.validation, { ...config, metrics: ['accuracy'] });
  assert.ok(bad!.metrics.accuracy < 0.5, `accuracy on scrambled sources ${bad!.metrics.accuracy}`);
  // The textbook picture, with the inspector's own probe: the decoder's cross-attention to the source is the
  // anti-diagonal (writing answer token t = source token 5 − t, it looks at source position 5 − t).
  const src = [3, 1, 4, 1, 5, 9];
  const answer = [...src].reverse();
  const inputs = [tf.tensor2d([src], [1, 6], 'int32'), tf.tensor2d([[BOS, ...answer.slice(0, 5)]], [1, 6], 'int32')];
  const maps = attentionMaps(tf, built.model, built, inputs);
  tf.dispose(inputs);
  const cross = maps.find((m) => m.cross)!;
  assert.deepEqual([cross.queries, cross.keys], [6, 6]);
  const looked = Array.from({ length: 6 }, (_, q) => {
    const mean = Array.from({ length: 6 }, (_, k) => {
      let sum = 0;
      for (let h = 0; h < cross.heads; h++) sum += cross.data[(h * 6 + q) * 6 + k];
      return sum / cross.heads;
    });
    return mean.indexOf(Math.max(...mean));
  });
  assert.deepEqual(looked, [5, 4, 3, 2, 1, 0], 'the strongest source position per answer position');
  // Greedy decoding (the attention view's Decode) writes the answer from BOS alone.
  const tensors = tf.memory().numTensors;
  const decoded = greedyDecode(tf, built.model, src, BOS);
  assert.deepEqual(decoded, { decoderInput: [BOS, ...answer.slice(0, 5)], answer });
  assert.equal(tf.memory().numTensors, tensors, 'decoding frees its tensors');
  // A checkpoint of the trained model loads into a fresh build (Load Trained Weights, resume) and gives the same figures.
  const ck = await encodeCheckpoint(built, { model: 'Small', source: 'mem', epoch: 3, history: h.epochs, data: checkpointDataMeta(data) });
  const fresh = buildModel(tf, info, { seed: 7, symbolicDims: symbolicDimsFor(info, inputShapes(data)) });
  const match = applyCheckpoint(tf, fresh, ck.modelJson, ck.weights);
  assert.deepEqual(match.problems, []);
  const again = await evaluateModel(tf, fresh.model, outputKind(info), data, split.validation, { ...config, metrics: ['accuracy'] });
  assert.ok(Math.abs(again!.loss - ev!.loss) < 1e-5, `loss after loading ${again!.loss} vs ${ev!.loss}`);
  built.model.dispose();
  fresh.model.dispose();
});

test('data that does not fit a two-input model is a TrainError naming the input', () => {
  const { info } = analysed(SMALL, 'Small');
  const built = buildModel(tf, info, { seed: 1 });
  const config: TrainConfig = { loss: 'crossentropy', optimizer: { kind: 'adam', lr: 1e-3 }, epochs: 1, batch: 4, validation: 0, metrics: [] };
  const source = { kind: 'sequences' as const, options: { samples: 10, task: 'reverse', length: 6, vocab: 12 } };
  assert.throws(
    () => checkDataFits(built.model, info, { ...builtinDataset(source), source: 'sequences' }, config),
    (e: unknown) => e instanceof TrainError && /sequences feeds one input, but 'Small' has 2 \('source', 'target'\); a model with two inputs \(source, target\) trains on sequences\(\.\.\.\), by teacher forcing\./.test(e.message),
  );
  const pairs = builtinDataset(source, 2);
  const floats = { ...pairs, moreInputs: [{ ...pairs.moreInputs![0], xs: new Float32Array(pairs.moreInputs![0].xs), xDtype: 'float32' as const }] };
  assert.throws(() => checkDataFits(built.model, info, floats, config), /sequences gives numbers for input 'target' \(the decoder input: BOS \+ the answer shifted right\), but 'Small' takes token ids/);
  const big = { ...pairs, xs: pairs.xs.slice() };
  big.xs[7] = 29;
  assert.throws(() => checkDataFits(built.model, info, big, config), /token ids up to 29, but the embedding of 'Small' has 12 rows/);
  assert.doesNotThrow(() => checkDataFits(built.model, info, pairs, config));
  built.model.dispose();
});

test("CLI: `nnmodel train` trains the example's TinyTransformer from its own section to reverse sequences; `evaluate` reads the checkpoint, `generate` decodes greedily", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-seq2seq-'));
  try {
    writeFileSync(join(dir, 'transformer.nnmodel'), readFileSync('examples/transformer.nnmodel', 'utf8'));
    const run = (...argv: string[]) => runCli(dir, ...argv);
    const t = await run('train', 'transformer.nnmodel');
    assert.equal(t.code, 0, t.err);
    assert.match(t.err, /^training TinyTransformer on sequences \(1800 training examples, 200 for validation\) for 3 epochs, batch 32, backend wasm$/m);
    const lines = t.out.trim().split('\n');
    assert.equal(lines.length, 3);
    const acc = Number(/val_accuracy (\d\.\d+)/.exec(lines[2])?.[1]);
    assert.ok(acc > 0.97, `val accuracy per position after 3 epochs: ${lines[2]}`);
    assert.ok(readdirSync(join(dir, '.nnmodel/transformer/TinyTransformer')).includes('model.json'));
    const e = await run('evaluate', 'transformer.nnmodel');
    assert.equal(e.code, 0, e.err);
    assert.match(e.out, /^TinyTransformer after epoch 3$/m);
    assert.ok(Number(/all data: +loss \d\.\d+ · accuracy (\d\.\d+)/.exec(e.out)?.[1]) > 0.97, e.out);
    // Greedy decoding, the decoder reading its own tokens: five drawn sources, each with the expected answer.
    const g = await run('generate', 'transformer.nnmodel');
    assert.equal(g.code, 0, g.err);
    assert.match(g.out, /^TinyTransformer after epoch 3 \(task reverse\): greedy decoding/);
    const blocks = [...g.out.matchAll(/^source {4}([\d ]+)\nanswer {4}([\d ]+) {3}(right|wrong)\nexpected {2}([\d ]+)$/gm)];
    assert.equal(blocks.length, 5, g.out);
    for (const [, src, answer, verdict, expected] of blocks) {
      assert.equal(expected, src.split(' ').reverse().join(' '));
      assert.equal(verdict, answer === expected ? 'right' : 'wrong');
      assert.equal(answer.split(' ').length, 8);
    }
    const right = Number(/^(\d) of 5 answers right; \d+ of 40 tokens$/m.exec(g.out)?.[1]);
    assert.ok(right >= 4, g.out);
    const p = await run('generate', 'transformer.nnmodel', '--prompt', '3 1 4 1 5 9 2 6');
    assert.equal(p.code, 0, p.err);
    assert.match(p.out, /^source {4}3 1 4 1 5 9 2 6\nanswer {4}[\d ]+ {3}(right|wrong)\nexpected {2}6 2 9 5 1 4 1 3$/m);
    const bad = await run('generate', 'transformer.nnmodel', '--prompt', '3 1 16');
    assert.equal(bad.code, 1, bad.err);
    assert.match(bad.err, /TinyTransformer reads token ids from 1 to 15 \(0 starts the decoder's input\), as sequences\(vocab = 16\) drew them; --prompt '3 1 16' has '16'\./);
    const short = await run('generate', 'transformer.nnmodel', '--prompt', '3 1 4');
    assert.match(short.err, /warning: TinyTransformer was trained on sources of 8 tokens \(sequences\(length = 8\)\); on 3 it has not learned the task/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
