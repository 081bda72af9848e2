// The inlay hint at a line's end is the output shape of the line's last call. When a call on the line has an error
// (a typo, a bad argument), the calls after it are not analysed, and the hint used to show the last shape known:
// `conv2d(8, 3) -> rleu -> maxpool(2)` ended in "→ [26, 26, 8]", conv2d's shape where maxpool's is expected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { lineHints } from '../../extension/vscode/pure/text';

/** The hints as the editor asks for them: with the file's own error ranges. */
function hints(src: string): [number, string][] {
  const a = analyze(src);
  const errors = a.diagnostics.filter((d) => d.severity === 'error' && d.uri === undefined).map((d) => d.range);
  return lineHints(a.sites, true, undefined, errors).map((h) => [h.line, h.label]);
}

const model = (chain: string) => `model S {\n  input image: [28, 28, 1]\n  output image -> ${chain}\n               -> flatten -> dense(10) -> softmax\n}\n`;

test('a line whose calls stop being analysed at an error gets no hint; the lines before it keep theirs', () => {
  assert.deepEqual(hints(model('conv2d(8, 3) -> rleu -> maxpool(2)')), []);
  assert.deepEqual(hints(model('conv2d(8, 3) -> relu -> dense(-3)')), []);
  assert.deepEqual(hints(model('conv2d(8, 3) -> relu -> maxpool(2) -> dense(10, activation = foo)')), []);
  const two = `model S {\n  input image: [28, 28, 1]\n  output image -> conv2d(8, 3) -> relu\n               -> maxpool(2) -> flaten -> dense(10)\n}\n`;
  assert.deepEqual(hints(two), [[2, '→ [26, 26, 8] · 80 params']]);
});

test('an error before the last call, or on another line, leaves the hint as it was', () => {
  // The missing call after the trailing arrow is reported on the next line: maxpool's shape is this line's.
  const trailing = `model S {\n  input image: [28, 28, 1]\n  output image -> conv2d(8, 3) -> relu -> maxpool(2) ->\n}\n`;
  assert.deepEqual(hints(trailing), [[2, '→ [13, 13, 8] · 80 params']]);
  assert.deepEqual(hints(model('conv2d(8, 3) -> relu -> maxpool(2)')), [
    [2, '→ [13, 13, 8] · 80 params'],
    [3, '→ [10] · 13,530 params'],
  ]);
});

test('a line marked "+1 more call" has a tooltip about the results that differ, not "the others give the same" of another call on it', () => {
  const src = 'block once(f) {\n  input x\n  output x -> f -> relu\n}\nmodel S {\n  input x: [8]\n  d = dense(8)\n  output x -> once(d) -> once(d)\n}\n';
  const a = analyze(src);
  const errors = a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.range);
  const h = lineHints(a.sites, true, undefined, errors).find((x) => x.line === 2)!;
  assert.match(h.label, /· \+1 more call$/);
  assert.doesNotMatch(h.tooltip, /the others give the same/);
  assert.match(h.tooltip, /0 params|gives/);
});
