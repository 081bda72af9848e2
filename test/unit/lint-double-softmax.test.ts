// layer.double_softmax: a softmax applied to the output of a softmax (extension/core/analysis/lints.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { AnalysisSession } from '../../extension/core/analysis/session';
import { exampleDiagnostics } from '../fixtures/examples';
import { applyFix, rangeOf } from './sourceText';

const CODE = 'layer.double_softmax';
const found = (text: string) => analyze(text).diagnostics.filter((d) => d.code === CODE);
const model = (body: string, input = '[10]') => `model M {\n  input x: ${input}\n${body}\n}\n`;

test('dense(64, activation = softmax) -> softmax: one warning on the second softmax, with the bound it puts on the output; fixes remove either', () => {
  const text = model('  output x -> dense(64, activation = softmax) -> softmax');
  const all = analyze(text).diagnostics;
  assert.deepEqual(all.map((d) => d.code), [CODE]);
  const [d] = all;
  assert.equal(d.severity, 'warning');
  assert.deepEqual(d.range, rangeOf(text, 'softmax', 1));
  assert.equal(
    d.message,
    'dense(64, activation = softmax) -> softmax applies softmax twice: the second gets probabilities, values in [0, 1] that sum to 1, ' +
      'and squashes them towards uniform: over the 64 values of the axis none can get more than e / (e + 63) ≈ 4.1%, ' +
      "so a classifier's crossentropy cannot fall below 3.19 and training stalls. Remove the second softmax, or activation = softmax.",
  );
  assert.deepEqual(d.related?.map((r) => [r.message, text.slice(r.range.start.offset, r.range.end.offset)]), [
    ['dense(64, activation = softmax) gives probabilities', 'dense(64, activation = softmax)'],
  ]);
  assert.deepEqual(d.fixes?.map((f) => [f.title, f.preferred === true]), [
    ['Remove the second softmax', true],
    ['Remove activation = softmax from dense(64, activation = softmax)', false],
  ]);
  assert.equal(applyFix(text, d, 0), model('  output x -> dense(64, activation = softmax)'));
  assert.equal(applyFix(text, d, 1), model('  output x -> dense(64) -> softmax'));
  for (const i of [0, 1]) assert.deepEqual(analyze(applyFix(text, d, i)).diagnostics, []);
});

test('softmax -> softmax, across a line continuation or two statements; the figures for 10 values', () => {
  const text = model('  h = x -> dense(10) -> softmax\n  output h\n         -> softmax');
  const [d, ...rest] = found(text);
  assert.deepEqual(rest, []);
  assert.match(d.message, /^softmax -> softmax applies softmax twice: .* none can get more than e \/ \(e \+ 9\) ≈ 23%, so a classifier's crossentropy cannot fall below 1\.46 and training stalls\. Remove the second softmax\.$/);
  assert.deepEqual(d.fixes?.map((f) => f.title), ['Remove the second softmax']);
  assert.equal(applyFix(text, d), model('  h = x -> dense(10) -> softmax\n  output h'));
  // Over the same axis given by number, and a conv with activation = softmax (over its channels).
  assert.equal(found(model('  output x -> softmax(axis = 1) -> softmax', '[seq, 8]')).length, 1);
  assert.equal(found(model('  output x -> conv2d(4, 3, activation = softmax) -> softmax', '[8, 8, 3]')).length, 1);
  // A symbolic size: no figures.
  assert.match(found(model('  output x -> softmax -> softmax', '[n]'))[0].message, /towards uniform \(their exponentials are at most e ≈ 2\.7 times apart\), so training stalls\./);
});

test('not reported over different axes, with a layer between, for a softmax before the activation, or in a model with errors', () => {
  assert.deepEqual(found(model('  output x -> softmax(axis = 0) -> softmax', '[seq, 8]')), []);
  assert.deepEqual(found(model('  output x -> dense(8, activation = softmax) -> softmax(axis = 0)', '[seq, 8]')), []);
  for (const between of ['dropout(0.1)', 'dense(10)', 'layernorm', 'relu']) assert.deepEqual(found(model(`  output x -> softmax -> ${between} -> softmax`)), [], between);
  assert.deepEqual(found(model('  output x -> softmax -> dense(10, activation = softmax)')), []);
  assert.deepEqual(found(model('  output x -> dense(10, activation = softmax) -> sigmoid')), []);
  // softmax over one value is 1 whatever it gets.
  assert.deepEqual(found(model('  output x -> dense(1, activation = softmax) -> softmax')), []);
  assert.deepEqual(found(model('  output x -> softmax -> softmax -> dense(q)')), []);
});

test('no example raises it', () => {
  const examples = exampleDiagnostics(CODE);
  assert.ok(examples.length > 10);
  for (const e of examples) assert.deepEqual(e.messages, [], e.file);
});

test('in an editor session the fix moves with the chain when lines are added above it', () => {
  const text = model('  output x -> dense(64, activation = softmax) -> softmax');
  const two = `model A {\n  input x: [4]\n  output x -> dense(2)\n}\n${text}`;
  const session = new AnalysisSession();
  session.update(two);
  const moved = two.replace('input x: [4]\n', 'input x: [4]\n\n');
  const kept = session.update(moved).diagnostics.find((d) => d.code === CODE)!;
  assert.deepEqual(kept.fixes, analyze(moved).diagnostics.find((d) => d.code === CODE)!.fixes);
});

test('a softmax over one value (dense(1) -> softmax, a discriminator) is 1 whatever it gets: layer.softmax_one, fixed to sigmoid', () => {
  const text = model('  output x -> dense(1) -> softmax');
  const [d, ...more] = analyze(text).diagnostics;
  assert.equal(more.length, 0);
  assert.equal(d.code, 'layer.softmax_one');
  assert.equal(d.severity, 'warning');
  assert.match(d.message, /^softmax takes the softmax over an axis of one value: e\^x \/ e\^x is 1 for every input, so the output never changes and nothing before it learns\. .* use sigmoid\.$/);
  assert.equal(applyFix(text, d), model('  output x -> dense(1) -> sigmoid'));
  assert.deepEqual(analyze(applyFix(text, d)).diagnostics, []);
  const act = model('  output x -> dense(1, activation = softmax)');
  const [a] = analyze(act).diagnostics;
  assert.equal(a.code, 'layer.softmax_one');
  assert.equal(applyFix(act, a), model('  output x -> dense(1, activation = sigmoid)'));
  // Over more than one value, or over another axis of size above one: nothing.
  assert.deepEqual(analyze(model('  output x -> dense(2) -> softmax')).diagnostics, []);
  assert.deepEqual(exampleDiagnostics('layer.softmax_one').flatMap((e) => e.messages), []);
});
