// A train section fixes the model's symbolic sizes (`input t: int[seq]` with
// `text(context = 32)` trains at seq = 32). The layer rules are checked again
// at that size (`train.size`), and data labelled per position (text, waves,
// sequences) needs one prediction per input position (`train.positions`):
// both were passed by `check` and failed inside tfjs when training.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import type { Diagnostic } from '../../extension/core/analysis/types';
import { runCli } from '../fixtures/cli';
import { rangeOf } from './sourceText';
import { inputDimSizes } from '../../extension/core/analysis/inputDims';
import { symbolicDimsFor } from '../../extension/core/runtime/train';

function errors(text: string): Diagnostic[] {
  return analyze(text).diagnostics.filter((d) => d.severity === 'error');
}

/** The range of `inner` inside the first `outer` of `text` (the value of `context = 32`). */
function inside(text: string, outer: string, inner: string): ReturnType<typeof rangeOf> {
  const at = text.indexOf(outer) + outer.indexOf(inner);
  return rangeOf(text, inner, text.slice(0, at).split(inner).length - 1);
}

/** `text` with fix `i` of `d` applied. */
function withFix(text: string, d: Diagnostic, i: number): string {
  const fix = d.fixes?.[i];
  assert.ok(fix, `fix ${i} on ${d.message}`);
  for (const e of [...fix.edits].sort((a, b) => b.range.start.offset - a.range.start.offset)) text = text.slice(0, e.range.start.offset) + e.newText + text.slice(e.range.end.offset);
  return text;
}

const lm = (layers: string, data = 'text("x.txt", context = 32)') => `model LM {
  input t: int[seq]
  output t -> embedding(64, 8) -> ${layers}
}
train LM {
  data: ${data}
}
`;

const POSITIONAL = 'positional(learned, maxlen = 16) -> attention(2, causal = true) -> dense(64)';

test('a learned positional shorter than the context: an error on context, with the rule\'s message, the layer and both fixes', () => {
  const text = lm(POSITIONAL);
  const found = errors(text);
  assert.deepEqual(
    found.map((d) => d.code),
    ['train.size'],
  );
  const d = found[0];
  assert.equal(
    d.message,
    "text trains 'LM' on windows of 32 tokens (context = 32), so seq = 32, and at that size positional(learned, maxlen = 16) fails: the sequence has 32 positions but positional allows at most maxlen = 16. Raise maxlen to at least 32, or lower context to at most 16.",
  );
  assert.deepEqual(d.range, inside(text, 'context = 32', '32'));
  assert.deepEqual(d.related?.[0].range, rangeOf(text, 'positional(learned, maxlen = 16)'));
  assert.deepEqual(
    d.fixes?.map((f) => f.title),
    ['Set maxlen = 32 in positional(learned, maxlen = 16)', 'Change to context = 16'],
  );
  // Either fix leaves no error.
  assert.deepEqual(errors(withFix(text, d, 0)), []);
  assert.ok(withFix(text, d, 0).includes('maxlen = 32'));
  assert.deepEqual(errors(withFix(text, d, 1)), []);
  assert.ok(withFix(text, d, 1).includes('context = 16'));
  // Within maxlen: nothing said.
  assert.deepEqual(errors(lm(POSITIONAL, 'text("x.txt", context = 16)')), []);
});

test('the default context (64) is the length too: the error is on the data source', () => {
  const text = lm(POSITIONAL, 'text("x.txt")');
  const [d] = errors(text);
  assert.equal(d?.code, 'train.size');
  assert.match(d.message, /on windows of 64 tokens \(context = 64, its default\), so seq = 64/);
  assert.deepEqual(d.range, rangeOf(text, 'text("x.txt")'));
  // No written context to lower: the fix raises maxlen only.
  assert.deepEqual(
    d.fixes?.map((f) => f.title),
    ['Set maxlen = 64 in positional(learned, maxlen = 16)'],
  );
});

test('a rule failing inside a block body at the trained length is found, and named', () => {
  const text = `block B(n) {
  input x
  output x -> positional(learned, maxlen = n)
}
model LM {
  input t: int[seq]
  output t -> embedding(64, 8) -> B(8) -> dense(64)
}
train LM {
  data: text("x.txt", context = 12)
}
`;
  const [d, more] = errors(text);
  assert.equal(more, undefined);
  assert.equal(d?.code, 'train.size');
  assert.match(d.message, /so seq = 12, and at that size positional\(learned, maxlen = 8\) fails: the sequence has 12 positions but positional allows at most maxlen = 8\./);
  assert.deepEqual(d.related?.[0].range, rangeOf(text, 'positional(learned, maxlen = n)'));
});

test('waves and sequences set the length with `length`: a valid conv1d window too long for it is an error', () => {
  const text = `model W {
  input x: [seq, 1]
  output x -> conv1d(8, 9) -> dense(1)
}
train W {
  data: waves(samples = 200, length = 6)
  loss: mse
}
`;
  const [d] = errors(text);
  assert.equal(d?.code, 'train.size');
  assert.match(d.message, /^waves trains 'W' on sequences of 6 steps \(length = 6\), so seq = 6, and at that size conv1d\(8, 9\) fails: conv1d: kernel 9 is larger than the input's 6/);
  assert.deepEqual(d.range, inside(text, 'length = 6', '6'));
  assert.deepEqual(d.related?.[0].range, rangeOf(text, 'conv1d(8, 9)'));
});

test('a strided conv1d on text: the output has half the positions, said with the formula and the layer', () => {
  const text = lm('conv1d(8, 5, padding = causal, stride = 2) -> dense(64)', 'text("x.txt", context = 64)');
  const found = errors(text);
  assert.deepEqual(
    found.map((d) => d.code),
    ['train.positions'],
  );
  const d = found[0];
  assert.equal(
    d.message,
    "text labels each of the 64 tokens of a window with the next token, so 'LM' must output one prediction per input position, [seq, classes] with seq = 64, but at context = 64 it outputs [32, 64] (⌈(seq)/2⌉ positions). conv1d(8, 5, padding = causal, stride = 2) moves 2 steps at a time, so it keeps one position in 2. Use stride = 1 there.",
  );
  assert.deepEqual(d.range, rangeOf(text, 'text("x.txt", context = 64)'));
  assert.deepEqual(d.related?.[0].range, rangeOf(text, 'conv1d(8, 5, padding = causal, stride = 2)'));
  assert.deepEqual(errors(lm('conv1d(8, 5, padding = causal) -> dense(64)', 'text("x.txt", context = 64)')), []);
});

test('a recurrent layer without return_sequences on text: one prediction per window, with the fix that keeps a state per step', () => {
  const text = lm('lstm(32) -> dense(64)', 'text("x.txt", context = 16)');
  const found = errors(text);
  assert.deepEqual(
    found.map((d) => d.code),
    ['train.positions'],
  );
  const d = found[0];
  assert.match(d.message, /must output one prediction per input position, \[seq, classes\] with seq = 16, but it outputs \[64\], one prediction per example\. lstm\(32\) gives only its last state/);
  assert.match(d.message, /Set return_sequences = true in lstm\(32\)/);
  assert.deepEqual(d.related?.[0].range, rangeOf(text, 'lstm(32)'));
  assert.equal(d.fixes?.[0].title, 'Set return_sequences = true in lstm(32)');
  const fixed = withFix(text, d, 0);
  assert.ok(fixed.includes('lstm(32, return_sequences = true)'), fixed);
  assert.deepEqual(errors(fixed), []);
});

test('sequences on a one-input model is labelled per position too; waves needs one value per step, or one per example', () => {
  const seq = (layers: string) => `model S {
  input x: int[n]
  output x -> embedding(10, 8) -> ${layers}
}
train S {
  data: sequences(samples = 200)
}
`;
  const [s] = errors(seq('gru(16) -> dense(10)'));
  assert.equal(s?.code, 'train.positions');
  assert.match(s.message, /^sequences labels each of the 16 tokens of an example with its target token, so 'S' must output one prediction per input position, \[n, classes\] with n = 16, but it outputs \[10\]/);
  assert.deepEqual(errors(seq('gru(16, return_sequences = true) -> dense(10)')), []);

  const wave = (layers: string) => `model W {
  input x: [seq, 1]
  output x -> ${layers}
}
train W {
  data: waves(samples = 200, length = 32)
  loss: mse
}
`;
  const [strided] = errors(wave('conv1d(8, 3, padding = causal, stride = 2) -> dense(1)'));
  assert.equal(strided?.code, 'train.positions');
  assert.match(strided.message, /^waves labels each of the 32 steps of an example with the next value, so 'W' must output one prediction per input position, \[seq, 1\] with seq = 32, but at length = 32 it outputs \[16, 1\]/);
  const wide = errors(wave('conv1d(8, 3, padding = causal) -> dense(4)'));
  assert.deepEqual(
    wide.map((d) => d.message),
    ["waves labels each of the 32 steps of an example with the next value, one number, but 'W' outputs [seq, 4]: 4 values per step. End with dense(1)."],
  );
  // One value per step, and the one-value forecaster of the value after the window: fine.
  assert.deepEqual(errors(wave('conv1d(8, 3, padding = causal) -> dense(1)')), []);
  assert.deepEqual(errors(wave('flatten -> dense(1)')), []);
  // Neither: eight values for a window (check passed it, and train failed on the targets' shape).
  const [eight] = errors(wave('flatten -> dense(8)'));
  assert.equal(eight?.code, 'train.positions');
  assert.match(eight.message, /but it outputs \[8\], one prediction per example\. .* Or, to predict only the value after the window, end with dense\(1\)\.$/);
});

test('nnmodel check exits 1 on the section, and nnmodel train refuses before building, without an internal error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-length-'));
  try {
    writeFileSync(join(dir, 'lm.nnmodel'), lm(POSITIONAL));
    writeFileSync(join(dir, 'x.txt'), 'the cat sat on the mat. '.repeat(40));
    const run = (...argv: string[]) => runCli(dir, ...argv);
    const check = await run('check', 'lm.nnmodel');
    assert.equal(check.code, 1);
    assert.match(check.out + check.err, /lm\.nnmodel:6:33: error train\.size text trains 'LM' on windows of 32 tokens/);
    const train = await run('train', 'lm.nnmodel', '--epochs', '1');
    assert.equal(train.code, 1, train.err);
    assert.doesNotMatch(train.err, /internal error/);
    assert.match(train.err, /^nnmodel train: 'LM' cannot run: \S*lm\.nnmodel has 1 error; fix it first:$/m);
    assert.match(train.err, /^\S*lm\.nnmodel:6:33: error train\.size text trains 'LM' on windows of 32 tokens .* positional allows at most maxlen = 16\. /m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an encoder-decoder trains both inputs at sequences(length): a positional shorter than it is an error', () => {
  const text = readFileSync(join(process.cwd(), 'examples/transformer.nnmodel'), 'utf8');
  assert.deepEqual(errors(text), []);
  const long = text.replace('length = 8, vocab = 16', 'length = 80, vocab = 16');
  const [d, more] = errors(long);
  assert.equal(more, undefined);
  assert.equal(d?.code, 'train.size');
  assert.match(d.message, /^sequences trains 'TinyTransformer' on sequences of 80 tokens \(length = 80\), so src_len = 80, tgt_len = 80, and at that size positional\(learned, maxlen = 64\) fails/);
  assert.deepEqual(d.range, inside(long, 'length = 80', '80'));
});

test('any source that fixes a symbolic input size: the rules hold there (digits at its default 28 × 28)', () => {
  const text = `model Net {
  input x: [n, n, 1]
  output x -> conv2d(4, 5, stride = 2) -> conv2d(4, 5, stride = 2) -> conv2d(4, 5, stride = 2) -> flatten -> dense(10)
}
train Net {
  data: digits(samples = 100)
}
`;
  const [d] = errors(text);
  assert.equal(d?.code, 'train.size');
  assert.equal(
    d.message,
    "digits gives 'Net' examples of [28, 28, 1], so n = 28, and at that size conv2d(4, 5, stride = 2) fails: conv2d: kernel 5 is larger than the input's 4 (height) with padding=valid; use padding=same or a smaller kernel. Change conv2d(4, 5, stride = 2), or the size of the data.",
  );
  assert.deepEqual(d.related?.[0].range, rangeOf(text, 'conv2d(4, 5, stride = 2)', 2));
  assert.deepEqual(errors(text.replace('samples = 100', 'samples = 100, size = 64')), []);
});

test('the analysis and the runtime bind a symbolic input size the same way: a whole-name dimension, the first input that fixes it, any name', () => {
  const info = analyze(`model M {
  input a: [seq, constructor]
  input b: [seq + 1, width, toString]
  output a -> flatten -> dense(4), b -> flatten -> dense(4)
}`).models[0];
  assert.equal(info.hasErrors, false);
  // Shapes per input, as the data gives them: seq from the first input only; `seq + 1` fixes nothing.
  const shapes = [
    [5, 3],
    [9, 7, 2],
  ];
  assert.deepEqual(inputDimSizes(info, shapes), { seq: 5, constructor: 3, width: 7, toString: 2 });
  // The runtime keeps those the parameter count needs, with the same values; a name like `constructor` is a size, not Object's.
  assert.deepEqual(symbolicDimsFor(info, shapes), { seq: 5, constructor: 3, width: 7, toString: 2 });
  assert.deepEqual(inputDimSizes(info, [undefined, [9, 7, undefined]]), { width: 7 }, 'an input or axis without a size fixes nothing');
  assert.throws(() => symbolicDimsFor(info, [[5, 3]]), /depends on '(width|toString)', which the data does not fix/);
});
