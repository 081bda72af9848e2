// A student of the convolution notes typing a digits CNN (28 × 28, 3×3 kernels, padding, stride 2, pooling):
// what the hovers say about the output size, and the advice when the flatten before the classifier is forgotten.
import assert from 'node:assert/strict';
import { e2eTest, poll, positionOf } from './harness';

const DIGITS = `model Digits {
  input image: [28, 28, 1]
  output image -> conv2d(8, 3) -> relu -> maxpool(2)
               -> conv2d(16, 3, stride = 2, padding = same) -> relu -> maxpool(2)
               -> dense(10) -> softmax
}
`;

e2eTest('a pooling that shrinks an odd size says which rows it drops; a stride says the arithmetic it makes', { files: { 'digits.nnmodel': DIGITS } }, async (wb) => {
  await wb.openFile('digits.nnmodel');
  // 28 → 26 → 13 → 7 (same, stride 2 on 13) → 3: the second maxpool drops the last row and column of 7.
  const pool = positionOf(DIGITS, 'maxpool(2)', 1);
  const text = await wb.hoverAt(pool.line, pool.column + 2, 'Output size');
  assert.match(text, /\[7, 7, 16\] → \[3, 3, 16\]/);
  assert.match(text, /Output size with padding = valid — height and width ⌊\(7 − 2\) \/ 2⌋ \+ 1 = 3; the last row and column fit no window and are dropped\./);
  // The name of an argument given a number: the value this call gives it, not the default 1.
  const stride = positionOf(DIGITS, 'stride = 2');
  const s = await wb.hoverAt(stride.line, stride.column + 2, 'At this call');
  assert.match(s, /At this call: stride = 2 \(default 1\)$/m);
  assert.match(s, /Output size with padding = same — height and width ⌈13 \/ 2⌉ = 7; pads 1 row and column of zeros on each side \(as padding = 1 does in PyTorch\)\./);
});

e2eTest('a classifier that forgot flatten: the Problems panel says why, and the quick fix makes the output [10]', { files: { 'digits.nnmodel': DIGITS } }, async (wb) => {
  await wb.openFile('digits.nnmodel');
  await wb.waitForProblem(/dense\(10\) on \[3, 3, 16\] acts on the last axis only: it is applied at each of the 3 × 3 positions and gives \[3, 3, 10\]/);
  const at = positionOf(DIGITS, 'dense(10)');
  await wb.goTo(at.line, at.column + 2);
  await wb.applyQuickFix(/Insert '-> flatten'/);
  const saved = await wb.saveAndRead('digits.nnmodel', DIGITS);
  assert.match(saved, /-> flatten -> dense\(10\) -> softmax/);
  // The inlay hint at the end of the line: one prediction per image.
  await poll('the inlay hint of the fixed line', async () => /softmax\W*→\W*\[10\]\W*·\W*1,450 params/.test(await wb.visibleEditorText()), {
    seen: async () => JSON.stringify(await wb.visibleEditorText()),
  });
});
