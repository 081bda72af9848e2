// The length of sequence data against a model's input: what to change, with
// the fix that sets the data's option (waves/sequences `length`, text
// `context`), or how to declare an input of the wrong kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { applyFix } from './sourceText';

const shapeOf = (text: string) => analyze(text).diagnostics.filter((d) => d.code === 'train.data_shape');

test('waves, sequences and text of another length than the input: Use ...(length/context = n), with the fix that sets it', () => {
  for (const [input, chain, data, want, fixed] of [
    ['[64, 1]', 'lstm(16, return_sequences = true) -> dense(1)', 'waves(samples = 200, length = 128)\n  loss: mse', 'Use waves(length = 64)', 'waves(samples = 200, length = 64)'],
    ['int[8]', 'embedding(16, 8) -> lstm(8, return_sequences = true) -> dense(16) -> softmax', 'sequences(length = 12, vocab = 16)', 'Use sequences(length = 8)', 'sequences(length = 8, vocab = 16)'],
    ['int[8]', 'embedding(16, 8) -> lstm(8, return_sequences = true) -> dense(16) -> softmax', 'sequences(vocab = 16)', 'Use sequences(length = 8)', 'sequences(vocab = 16, length = 8)'],
    ['[32, 1]', 'lstm(8, return_sequences = true) -> dense(1)', 'waves()\n  loss: mse', 'Use waves(length = 32)', 'waves(length = 32)'],
  ] as const) {
    const text = `model M {\n  input x: ${input}\n  output x -> ${chain}\n}\ntrain M {\n  data: ${data}\n}\n`;
    const [d, ...more] = shapeOf(text);
    assert.equal(more.length, 0, data);
    assert.match(d.message, new RegExp(`${want.replace(/[()]/g, '\\$&')}, or declare the input's length symbolic`), data);
    const after = applyFix(text, d);
    assert.ok(after.includes(`data: ${fixed}`), after);
    assert.deepEqual(shapeOf(after), [], data);
  }
});

test('an input of the wrong kind for the data: token ids are int[...], a series is [steps, 1]', () => {
  const text = (input: string, data: string) => `model M {\n  input x: ${input}\n  output x -> dense(4)\n}\ntrain M {\n  data: ${data}\n  loss: mse\n}\n`;
  assert.match(shapeOf(text('[seq, 1]', 'sequences()'))[0].message, /sequences gives token ids: declare the input as int\[\.\.\.\] .* and embed them/);
  assert.match(shapeOf(text('[seq]', 'waves()'))[0].message, /waves gives a series of one value per step, \[steps, 1\]: declare the input as \[seq, 1\]\.$/);
});
