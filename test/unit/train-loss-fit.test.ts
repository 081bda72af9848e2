/**
 * The loss against what the data labels with and what the model outputs,
 * before training: binary_crossentropy takes two classes, the regression
 * losses values, crossentropy a distribution over the classes. One mistake
 * is one diagnostic, and the advice never leads to a setup that trains on
 * nonsense without a word.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';

const digits = (head: string, loss: string, data = 'digits()') => `model M {
  input x: [28, 28, 1]
  output x -> flatten -> ${head}
}
train M {
  data: ${data}
  loss: ${loss}
}
`;

function problems(text: string) {
  return analyze(text).diagnostics.map((d) => ({ d, code: d.code, severity: d.severity, message: d.message, at: text.slice(d.range.start.offset, d.range.end.offset) }));
}

test('binary_crossentropy on one output over digits (10 classes) is train.classes on the data', () => {
  const ps = problems(digits('dense(1) -> sigmoid', 'binary_crossentropy'));
  assert.deepEqual(
    ps.map((p) => [p.code, p.at, p.message]),
    [
      [
        'train.classes',
        'digits()',
        'digits has 10 classes, but binary_crossentropy takes two: it scores each output as the probability of label 1 against label 0. Use loss: crossentropy and end with dense(10) -> softmax.',
      ],
    ],
  );
  // shapes has 3.
  const shapes = digits('dense(1) -> sigmoid', 'binary_crossentropy', 'shapes(size = 28)').replace('[28, 28, 1]', '[28, 28, 3]');
  assert.deepEqual(problems(shapes).map((p) => p.code), ['train.classes']);
});

test('crossentropy on one output over digits says to end with dense(10) -> softmax, not to use binary_crossentropy', () => {
  const ps = problems(digits('dense(1) -> sigmoid', 'crossentropy'));
  assert.equal(ps.length, 1);
  assert.equal(ps[0].code, 'train.loss_output');
  assert.equal(ps[0].at, 'crossentropy');
  assert.equal(ps[0].message, "crossentropy compares a probability per class, but 'M' gives [1]; digits has 10 classes: end with dense(10) -> softmax.");
});

test('binary_crossentropy where two classes are possible is left alone', () => {
  assert.deepEqual(problems(digits('dense(1) -> sigmoid', 'binary_crossentropy', 'csv("t.csv")').replace('[28, 28, 1]', '[4]').replace('flatten -> ', '')), []);
  const images = `model P {\n  input x: [8, 8, 3]\n  output x -> flatten -> dense(1) -> sigmoid\n}\ntrain P {\n  data: images("pics", size = 8)\n  loss: binary_crossentropy\n}\n`;
  assert.deepEqual(problems(images), []);
});

test('crossentropy on a one-value output over waves is one error: waves is a regression task', () => {
  const text = `model F {\n  input x: [128, 1]\n  output x -> conv1d(4, 3, padding = causal) -> dense(1)\n}\ntrain F {\n  data: waves()\n  loss: crossentropy\n}\n`;
  assert.deepEqual(problems(text).map((p) => [p.code, p.message]), [['train.loss_output', 'waves is a regression task: use loss: mse or mae.']]);
});
