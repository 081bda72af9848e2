// `train.not_causal`: next-step data (`text`, `waves`) labels position t with
// the input at t + 1, so a model whose output at t sees later positions
// (self-attention without causal = true, a same-padded conv1d, a flatten)
// copies the answer. The warning, where it points, and where it stays quiet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import { applyFix, rangeOf } from './sourceText';
import { lookAheadLayer, modelFields } from '../../extension/core/analysis/receptive';
import type { Diagnostic } from '../../extension/core/analysis/types';
import { importReader } from '../../extension/cli/files';
import { nnmodelFiles } from '../fixtures/examples';

function leaks(text: string): Diagnostic[] {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return a.diagnostics.filter((d) => d.code === 'train.not_causal');
}

const lm = (attention: string, data = 'text("tiny.txt", context = 32)') => `model LM {
  input tokens: int[seq]
  h = tokens -> embedding(64, 32) -> positional(learned, maxlen = 32)
  h = h + h -> layernorm -> ${attention}
  output h -> dense(64) -> softmax
}
train LM {
  data: ${data}
}
`;

test('a language model on text whose self-attention is not causal: a warning on the data, pointing at the attention', () => {
  const text = lm('attention(4)');
  const found = leaks(text);
  assert.equal(found.length, 1);
  const d = found[0];
  assert.equal(d.severity, 'warning');
  assert.deepEqual(d.range, rangeOf(text, 'text("tiny.txt", context = 32)'));
  assert.deepEqual(d.related?.[0].range, rangeOf(text, 'attention(4)'));
  assert.equal(
    d.message,
    "text labels each position with the next token (the input one position later), but the output of 'LM' at a position also sees later tokens of 'tokens': " +
      'attention(4) lets every position attend to all positions, later ones included. It can copy the answer from its input instead of predicting it: ' +
      'the loss falls towards 0 and the model cannot generate text. Set causal = true in attention(4): each position then attends only to itself and earlier ones (masked attention).',
  );
  // The quick fix writes the mask into the call.
  assert.equal(d.fixes?.[0].title, 'Set causal = true in attention(4)');
  assert.equal(applyFix(text, d), lm('attention(4, causal = true)'));
  // Written as false, by name or in its place: replaced.
  assert.equal(applyFix(lm('attention(4, causal = false)'), leaks(lm('attention(4, causal = false)'))[0]), lm('attention(4, causal = true)'));
  assert.equal(applyFix(lm('attention(4, 8, false)'), leaks(lm('attention(4, 8, false)'))[0]), lm('attention(4, 8, true)'));
  // A layer object is defined elsewhere than where it is applied: warned, with no fix at the application.
  const object = lm('att').replace('  h = tokens', '  att = attention(4)\n  h = tokens');
  const [o] = leaks(object);
  assert.deepEqual(o.related?.[0].range, rangeOf(object, 'att', 2));
  assert.equal(o.fixes, undefined);
  // Masked attention: nothing to say.
  assert.deepEqual(leaks(lm('attention(4, causal = true)')), []);
  // The encoder-style task of sequences (copy, reverse, sort) needs every position: no warning there.
  assert.deepEqual(leaks(lm('attention(4)', 'sequences(task = reverse, length = 16, vocab = 64)')), []);
});

test('inside a repeated block, the attention of the block body is the related location', () => {
  const text = `block decoder(heads) {
  input x
  x = x + x -> layernorm -> attention(heads)
  output x + x -> layernorm -> dense(32)
}
model LM {
  input tokens: int[seq]
  output tokens -> embedding(64, 32) -> positional(learned, maxlen = 32) -> decoder(4) * 2 -> dense(64) -> softmax
}
train LM {
  data: text("tiny.txt", context = 32)
}
`;
  const [d] = leaks(text);
  assert.ok(d);
  assert.deepEqual(d.related?.[0].range, rangeOf(text, 'attention(heads)'));
  assert.match(d.message, /attention\(4\) lets every position attend/);
  // The fix edits the block's body: every call of it gets the mask.
  assert.equal(applyFix(text, d), text.replace('attention(heads)', 'attention(heads, causal = true)'));
  assert.deepEqual(leaks(text.replace('attention(heads)', 'attention(heads, causal = true)')), []);
  // 1 000 copies: the same answer, from a walk that stops once a copy changes nothing (not one per copy).
  const many = text.replace('decoder(4) * 2', 'decoder(4) * 1000');
  assert.deepEqual(leaks(many)[0].related?.[0].range, rangeOf(many, 'attention(heads)'));
  const m = analyze(many).models[0];
  assert.ok(modelFields(m, true).byPath.size < 50, `${modelFields(m, true).byPath.size} nodes walked`);
  assert.ok(modelFields(m).byPath.size > 1000);
  const masked = analyze(many.replace('attention(heads)', 'attention(heads, causal = true)')).models[0];
  assert.equal(lookAheadLayer(masked, 'tokens'), undefined);
  assert.equal(modelFields(masked, true).outputs[0].get('tokens')?.kind, 'global');
});

const wave = (layers: string) => `model W {
  input x: [seq, 1]
  output x -> ${layers}
}
train W {
  data: waves(samples = 500, length = 64)
  loss: mse
}
`;

test('waves through a same-padded conv1d: the window reaches later steps; causal padding is quiet', () => {
  const text = wave('conv1d(16, 5, padding = same) -> relu -> conv1d(1, 1)');
  const [d] = leaks(text);
  assert.ok(d);
  assert.deepEqual(d.related?.[0].range, rangeOf(text, 'conv1d(16, 5, padding = same)'));
  assert.match(d.message, /^waves labels each position with the next value .* later steps of 'x': conv1d\(16, 5, padding = same\) reads a window of 5 steps centred on each step \(the 2 before it and the 2 after it\)\./);
  assert.match(d.message, /the model cannot forecast\. Set padding = causal in conv1d\(16, 5, padding = same\)/);
  // A dilated window spans (k − 1)·d + 1 steps.
  assert.equal(d.fixes?.[0].title, 'Set padding = causal in conv1d(16, 5, padding = same)');
  assert.equal(applyFix(text, d), wave('conv1d(16, 5, padding = causal) -> relu -> conv1d(1, 1)'));
  // Positional padding is replaced in its place; without padding (valid, on a fixed length) it is added.
  const positional = wave('conv1d(16, 5, 1, same) -> conv1d(1, 1)');
  assert.equal(applyFix(positional, leaks(positional)[0]), wave('conv1d(16, 5, 1, causal) -> conv1d(1, 1)'));
  assert.match(leaks(wave('conv1d(8, 3, padding = same, dilation = 2) -> conv1d(1, 1)'))[0].message, /a window of 5 steps centred on each step \(the 2 before it and the 2 after it\)/);
  assert.deepEqual(leaks(wave('conv1d(16, 5, padding = causal) -> relu -> conv1d(1, 1)')), []);
  // The first layer that looks ahead is named, not a later one.
  const two = wave('conv1d(8, 3, padding = causal) -> conv1d(8, 3, padding = same) -> conv1d(1, 3, padding = same)');
  assert.deepEqual(leaks(two)[0].related?.[0].range, rangeOf(two, 'conv1d(8, 3, padding = same)'));
});

test('the window a conv1d reads, as its padding places it: same, explicit padding = p (p back, p ahead), valid; causal is quiet', () => {
  // `[4, 1]` with waves(length = 4): an upsample(2) gives back the steps a window without enough padding drops.
  const window = (layers: string, short = false) => {
    const text = wave(layers);
    const found = leaks(short ? text.replace('[seq, 1]', '[4, 1]').replace('length = 64', 'length = 4') : text);
    assert.equal(found.length, 1, layers);
    return /: (conv1d\(.*?\) reads a window of .*?\))\. It can copy/.exec(found[0].message)?.[1];
  };
  // same: half the window before each step, the rest after (TensorFlow puts the odd one after).
  assert.equal(window('conv1d(16, 5, padding = same) -> conv1d(1, 1)'), 'conv1d(16, 5, padding = same) reads a window of 5 steps centred on each step (the 2 before it and the 2 after it)');
  assert.equal(window('conv1d(16, 4, padding = same) -> conv1d(1, 1)'), 'conv1d(16, 4, padding = same) reads a window of 4 steps around each step (the 1 before it and the 2 after it)');
  // padding = p: p zeros at each end, so step t reads steps t − p to t − p + span − 1.
  assert.equal(window('conv1d(16, 5, padding = 2) -> conv1d(1, 1)'), 'conv1d(16, 5, padding = 2) reads a window of 5 steps centred on each step (the 2 before it and the 2 after it)');
  assert.equal(window('conv1d(8, 3, padding = 2, dilation = 2) -> conv1d(1, 1)'), 'conv1d(8, 3, padding = 2, dilation = 2) reads a window of 5 steps centred on each step (the 2 before it and the 2 after it)');
  assert.equal(window('conv1d(8, 3, padding = [1]) -> conv1d(1, 1)'), 'conv1d(8, 3, padding = [1]) reads a window of 3 steps centred on each step (the 1 before it and the 1 after it)');
  assert.equal(window('conv1d(8, 5, padding = 1) -> upsample(2) -> conv1d(1, 1)', true), 'conv1d(8, 5, padding = 1) reads a window of 5 steps around each step (the 1 before it and the 3 after it)');
  // valid (no padding, or padding = 0): the window starts at the step.
  assert.equal(window('conv1d(8, 3) -> upsample(2) -> conv1d(1, 1)', true), 'conv1d(8, 3) reads a window of 3 steps starting at each step (the step and the 2 after it)');
  assert.equal(window('conv1d(8, 3, padding = 0) -> upsample(2) -> conv1d(1, 1)', true), 'conv1d(8, 3, padding = 0) reads a window of 3 steps starting at each step (the step and the 2 after it)');
  // Explicit padding of the window less one or more (PyTorch's causal convolution, before its crop) looks back only:
  // a later window that looks ahead is the one named.
  assert.equal(window('conv1d(8, 5, padding = 4) -> conv1d(1, 5)'), 'conv1d(1, 5) reads a window of 5 steps starting at each step (the step and the 4 after it)');
  assert.equal(window('conv1d(8, 3, padding = 4, dilation = 2) -> conv1d(1, 3, dilation = 2)'), 'conv1d(1, 3, dilation = 2) reads a window of 5 steps starting at each step (the step and the 4 after it)');
  assert.equal(window('conv1d(8, 3, padding = 3) -> conv1d(1, 5)'), 'conv1d(1, 5) reads a window of 5 steps starting at each step (the step and the 4 after it)');
  assert.equal(lookAheadLayer(analyze(wave('conv1d(4, 3, padding = 2)')).models[0], 'x'), undefined);
  assert.equal(lookAheadLayer(analyze(wave('conv1d(4, 3, padding = 1)')).models[0], 'x')?.label, 'conv1d(4, 3, padding = 1)');
  // The quick fix makes an explicitly padded conv1d causal; causal padding is quiet.
  const text = wave('conv1d(16, 5, padding = 2) -> conv1d(1, 1)');
  assert.equal(applyFix(text, leaks(text)[0]), wave('conv1d(16, 5, padding = causal) -> conv1d(1, 1)'));
  assert.deepEqual(leaks(wave('conv1d(16, 5, padding = causal) -> conv1d(1, 1)')), []);
});

test('a flatten over the steps sees the whole window once a dense mixes it: the dense is named, with the flatten', () => {
  const text = `model W {
  input x: [64, 1]
  output x -> flatten -> dense(64) -> reshape([64, 1])
}
train W {
  data: waves(samples = 500, length = 64)
  loss: mse
}
`;
  const [d] = leaks(text);
  assert.ok(d);
  // The layer that mixes the steps, not the flatten that only lays them side by side.
  assert.deepEqual(d.related?.[0].range, rangeOf(text, 'dense(64)'));
  assert.equal(d.fixes, undefined, 'no single edit makes a flatten causal');
  assert.match(d.message, /flatten lays the steps out along the feature axis and dense\(64\) mixes them, so every output position is computed from the whole window, the value it must predict included\./);
  assert.match(d.message, /remove flatten and dense\(64\) \(and what undoes the flatten\), and predict per position after a causal layer, e.g\. conv1d\(16, 5, padding = causal\) -> dense\(1\)/);
  assert.match(d.message, /To predict only the value after the window instead, end with flatten -> dense\(1\)/);
});

test('a symbolic window reshaped to the length the data gives: one prediction per step, checked', () => {
  // `[seq, 1]` trains at seq = 64 (waves(length = 64)); the output [64, 1] is one value per step.
  for (const tail of ['reshape([-1, 1])', 'reshape([64, 1])']) {
    const text = wave(`flatten -> dense(64) -> ${tail}`);
    const [d] = leaks(text);
    assert.ok(d, tail);
    assert.deepEqual(d.related?.[0].range, rangeOf(text, 'dense(64)'));
  }
  // Another length than the data's is not one prediction per step: no leak said, but an error of its own (train.positions).
  const other = analyze(wave('flatten -> dense(32) -> reshape([32, 1])')).diagnostics;
  assert.deepEqual(other.filter((d) => d.code === 'train.not_causal'), []);
  assert.deepEqual(other.filter((d) => d.severity === 'error').map((d) => d.code), ['train.positions']);
});

test('steps moved into the features by a transpose or a reshape, then mixed: the mixing layer is named', () => {
  const fixed = (layers: string) => wave(layers).replace('[seq, 1]', '[64, 1]');
  const cases: [string, string, string][] = [
    ['transpose([1, 0]) -> dense(64) -> transpose([1, 0])', 'dense(64)', 'transpose\\(\\[1, 0\\]\\) lays the steps out along the feature axis and dense\\(64\\) mixes them, so every output position is computed from the whole window'],
    ['transpose([1, 0]) -> relu -> conv1d(64, 1) -> transpose([1, 0])', 'conv1d(64, 1)', 'conv1d\\(64, 1\\) mixes them'],
    ['transpose([1, 0]) -> softmax -> transpose([1, 0])', 'softmax', 'softmax mixes them'],
    ['reshape([8, 8]) -> dense(8) -> reshape([64, 1])', 'dense(8)', 'reshape\\(\\[8, 8\\]\\) lays the steps out .* from a block of steps around it'],
    ['reshape([1, 64]) -> dropout(0.1) -> dense(64) -> reshape([64, 1])', 'dense(64)', 'every output position is computed from the whole window'],
  ];
  for (const [layers, at, message] of cases) {
    const text = fixed(layers);
    const found = leaks(text);
    assert.equal(found.length, 1, layers);
    assert.deepEqual(found[0].related?.[0].range, rangeOf(text, at), layers);
    assert.match(found[0].message, new RegExp(message), layers);
  }
  // Rearranged and given back without mixing: each step is still its own.
  for (const layers of ['flatten -> reshape([64, 1]) -> dense(1)', 'transpose([1, 0]) -> relu -> transpose([1, 0]) -> dense(1)', 'reshape([64, 1, 1]) -> dense(1) -> reshape([64, 1])']) {
    assert.deepEqual(leaks(fixed(layers)), [], layers);
  }
  // Features split within a step, then put back: the positions are not the input's any more (unknown), nothing said.
  assert.deepEqual(leaks(fixed('dense(4) -> reshape([64, 2, 2]) -> dense(1) -> reshape([64, 2]) -> dense(1)')), []);
});

test('one-value forecasters read the whole window to predict the value after it: no warning', () => {
  for (const input of ['[seq, 1]', '[64, 1]']) {
    for (const layers of ['flatten -> dense(1)', 'flatten -> dense(32) -> relu -> dense(1)', 'lstm(16) -> dense(1)', 'conv1d(8, 3, padding = same) -> global_avgpool -> dense(1)']) {
      assert.deepEqual(leaks(wave(layers).replace('[seq, 1]', input)), [], `${input} ${layers}`);
    }
  }
});

test('a pooled or last-state summary spread back over the steps: named, with what to change', () => {
  const pooled = `model W {
  input x: [seq, 1]
  output x + (x -> global_avgpool)
}
train W {
  data: waves(samples = 500, length = 64)
  loss: mse
}
`;
  const [p] = leaks(pooled);
  assert.deepEqual(p.related?.[0].range, rangeOf(pooled, 'global_avgpool'));
  assert.match(p.message, /global_avgpool pools all steps of the window, and every output position reads the result\. .* Remove global_avgpool, or replace it with a layer that reads only earlier steps: attention with causal = true/);
  const mean = pooled.replace('global_avgpool', 'mean(axis = 0)');
  assert.deepEqual(leaks(mean)[0].related?.[0].range, rangeOf(mean, 'mean(axis = 0)'));
  const last = wave('lstm(8) -> dense(64) -> reshape([64, 1])').replace('[seq, 1]', '[64, 1]');
  const [l] = leaks(last);
  assert.deepEqual(l.related?.[0].range, rangeOf(last, 'lstm(8)'));
  assert.match(l.message, /lstm\(8\) gives only its last state, which has read every step, and every output position is made from it\. .* Set return_sequences = true in lstm\(8\) and predict per step from its output \(lstm\(…, return_sequences = true\) -> dense\(1\)\): its output at position t has read positions 0 to t only\./);
});

test('no warning where the model sees only the past, or where it is not certain', () => {
  // A recurrent layer returning sequences: step t has read steps 0…t.
  assert.deepEqual(leaks(wave('lstm(16, return_sequences = true) -> dense(1)')), []);
  // Position-wise layers only.
  assert.deepEqual(leaks(wave('dense(16) -> relu -> dense(1)')), []);
  // A window after a reshape is not traced (the receptive field is unknown): said only when certain.
  assert.deepEqual(leaks(wave('reshape([-1, 1]) -> conv1d(4, 3, padding = same) -> conv1d(1, 1)')), []);
  // The receptive field helper itself: undefined for a causal model.
  const a = analyze(wave('conv1d(4, 3, padding = causal)'));
  assert.equal(lookAheadLayer(a.models[0], 'x'), undefined);
});

test('the examples that train on text or waves are causal: no warning', () => {
  const dir = join(process.cwd(), 'examples');
  for (const file of nnmodelFiles(dir)) {
    const path = join(dir, file);
    const a = analyze(readFileSync(path, 'utf8'), { uri: path, readImport: importReader(dir) });
    assert.deepEqual(a.diagnostics.filter((d) => d.code === 'train.not_causal').map((d) => d.message), [], file);
  }
  // The walk that stops early agrees with the full one on every output of every example.
  for (const file of nnmodelFiles(dir)) {
    const path = join(dir, file);
    for (const m of analyze(readFileSync(path, 'utf8'), { uri: path, readImport: importReader(dir) }).models) {
      for (const input of m.inputs) {
        const kinds = (settle: boolean) => modelFields(m, settle).outputs.map((f) => JSON.stringify([f.get(input.name)?.kind, (f.get(input.name) as { causal?: boolean } | undefined)?.causal]));
        assert.deepEqual(kinds(true), kinds(false), `${file} ${m.name} ${input.name}`);
      }
    }
  }
  // gpt_small.nnmodel with its imported block's mask removed: the related location is in gpt2_small.nnmodel.
  const gpt2 = readFileSync(join(dir, 'gpt2_small.nnmodel'), 'utf8');
  const unmasked = gpt2.replace('attention(heads, causal = true)', 'attention(heads)');
  assert.notEqual(unmasked, gpt2);
  const read = importReader(dir);
  const a = analyze(readFileSync(join(dir, 'gpt_small.nnmodel'), 'utf8'), {
    uri: join(dir, 'gpt_small.nnmodel'),
    readImport: (from, p) => {
      const r = read(from, p);
      return r && p.endsWith('gpt2_small.nnmodel') ? { ...r, text: unmasked } : r;
    },
  });
  const d = a.diagnostics.filter((x) => x.code === 'train.not_causal');
  assert.equal(d.length, 1);
  assert.match(String(d[0].related?.[0].uri), /gpt2_small\.nnmodel$/);
  assert.equal(d[0].fixes, undefined, 'no fix edits another file');
});

test('a bidirectional recurrent layer on next-step data reads later tokens: train.not_causal, with the fix bidirectional = false', () => {
  const text = lm('lstm(16, return_sequences = true, bidirectional = true)');
  const [d] = leaks(text);
  assert.ok(d);
  assert.deepEqual(d.related?.[0].range, rangeOf(text, 'lstm(16, return_sequences = true, bidirectional = true)'));
  assert.match(d.message, /lstm\(16, return_sequences = true, bidirectional = true\) also reads the tokens backwards, so its output at position t has read positions t to the end of the window\. .*Set bidirectional = false in lstm/);
  assert.equal(d.fixes?.[0].title, 'Set bidirectional = false in lstm(16, return_sequences = true, bidirectional = true)');
  assert.equal(applyFix(text, d), lm('lstm(16, return_sequences = true, bidirectional = false)'));
  // One way, it is causal: nothing to say.
  assert.deepEqual(leaks(lm('lstm(32, return_sequences = true)')), []);
  // Without return_sequences too: the advice names both settings (return_sequences alone would leave it reading ahead).
  const last = `model W {\n  input x: [128, 1]\n  h = x -> lstm(16, bidirectional = true)\n  output h -> dense(128) -> reshape([128, 1])\n}\ntrain W {\n  data: waves(samples = 200, length = 128)\n  loss: mse\n}\n`;
  const [w] = leaks(last);
  assert.match(w.message, /Set return_sequences = true and bidirectional = false in lstm\(16, bidirectional = true\)/);
  assert.deepEqual(leaks(lm('gru(32, return_sequences = true, bidirectional = false)')), []);
});

const reverser = (body: string, task = 'reverse') => `model R {
  input tokens: int[8]
  output tokens -> embedding(16, 32) -> ${body} -> dense(16) -> softmax
}
train R {
  data: sequences(samples = 100, task = ${task}, length = 8, vocab = 16)
}
`;

function reach(text: string): Diagnostic[] {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return a.diagnostics.filter((d) => d.code === 'train.sees_no_later');
}

test('sequences(task = reverse | sort) for a model that sees no later positions: train.sees_no_later, with the fix that lets it see both sides', () => {
  const text = reverser('lstm(32, return_sequences = true)');
  const [d] = reach(text);
  assert.ok(d, 'a one-way lstm on reverse');
  assert.equal(d.severity, 'warning');
  assert.deepEqual(d.range, rangeOf(text, 'sequences(samples = 100, task = reverse, length = 8, vocab = 16)'));
  assert.deepEqual(d.related?.[0].range, rangeOf(text, 'lstm(32, return_sequences = true)'));
  assert.equal(
    d.message,
    "sequences(task = reverse) asks position t for the token at position length − 1 − t, which for the first half of the sequence comes after t, but the output of 'R' at a position cannot see the tokens after it: " +
      'lstm(32, return_sequences = true) reads the tokens one way, so its output at each position has read only that token and earlier ones. It can learn the second half and must guess the first: accuracy stays near one half. Set bidirectional = true in lstm(32, return_sequences = true).',
  );
  const fixed = applyFix(text, d);
  assert.equal(fixed, reverser('lstm(32, return_sequences = true, bidirectional = true)'));
  assert.deepEqual(reach(fixed), []);
  // Causal attention: the fix unmasks it.
  const att = reverser('attention(4, causal = true)', 'sort');
  const [a] = reach(att);
  assert.match(a.message, /^sequences\(task = sort\) asks position t for the t-th smallest token of the whole sequence, which may come after t, .*attention\(4, causal = true\) lets each position attend only to itself and earlier ones\. It must guess wherever a smaller token comes later\. Set causal = false in attention\(4, causal = true\)\.$/);
  assert.deepEqual(reach(applyFix(att, a)), []);
  // Each position alone: no layer to change, no fix.
  const [own] = reach(reverser('dense(32)'));
  assert.match(own.message, /sees only the token at that position\. It cannot learn to reverse: accuracy stays near chance\. Add layers that mix the positions/);
  assert.equal(own.fixes, undefined);
  // copy needs only the position itself; an encoder sees everything; the encoder-decoder example has two inputs.
  assert.deepEqual(reach(reverser('lstm(32, return_sequences = true)', 'copy')), []);
  assert.deepEqual(reach(reverser('attention(4)')), []);
  const tt = readFileSync(join(process.cwd(), 'examples', 'transformer.nnmodel'), 'utf8');
  assert.deepEqual(analyze(tt, { readImport: importReader(join(process.cwd(), 'examples')) }).diagnostics.filter((x) => x.code === 'train.sees_no_later'), []);
});
