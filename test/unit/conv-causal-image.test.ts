// `conv2d(16, 3, padding = causal)`: a student who met causal padding in the 1-D convolution notes tries it on an
// image. The error says what causal padding is for and offers `same`, not only the list of allowed words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';

test("padding = causal on conv2d: one error saying causal padding is conv1d's, for sequences, with the fix to same", () => {
  const text = 'model M {\n  input image: [28, 28, 1]\n  output image -> conv2d(16, 3, padding = causal) -> flatten -> dense(10)\n}\n';
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.map((d) => d.code), ['arg.enum']);
  const [d] = a.diagnostics;
  assert.equal(text.slice(d.range.start.offset, d.range.end.offset), 'causal');
  assert.match(d.message, /^conv2d's 'padding' must be one of valid, same; got 'causal'\. Causal padding is for sequences: conv1d on \[length, channels\] pads the start only/);
  assert.deepEqual(d.fixes?.map((f) => [f.title, f.edits[0].newText, f.preferred]), [["Change to 'same'", 'same', true]]);
  const fixed = text.slice(0, d.range.start.offset) + 'same' + text.slice(d.range.end.offset);
  assert.deepEqual(analyze(fixed).diagnostics, []);
  // Other words keep the "did you mean".
  const [typo] = analyze(text.replace('causal', 'sme')).diagnostics;
  assert.match(typo.message, /got 'sme'\. Did you mean 'same'\?$/);
  // conv1d takes it.
  assert.deepEqual(analyze('model S {\n  input s: [100, 1]\n  output s -> conv1d(8, 3, padding = causal)\n}\n').diagnostics, []);
});
