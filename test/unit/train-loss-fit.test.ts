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
import { checkDataFits, type TrainData } from '../../extension/core/runtime/train';
import type * as tfTypes from '@tensorflow/tfjs';
import { applyFix } from './sourceText';

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

test('mse or mae on digits is train.loss_output on the loss: the labels are class ids; the fix is crossentropy when the output has one value per class', () => {
  for (const loss of ['mse', 'mae']) {
    const text = digits('dense(10) -> softmax', loss);
    const ps = problems(text);
    assert.equal(ps.length, 1, ps.map((p) => p.message).join(' | '));
    assert.equal(ps[0].code, 'train.loss_output');
    assert.equal(ps[0].at, loss);
    assert.equal(ps[0].message, `loss: ${loss} compares values, but digits labels each example with a class id (0 to 9), not a value. Use loss: crossentropy.`);
    assert.deepEqual(problems(applyFix(text, ps[0].d)), []);
  }
  // One output: the head must change too, so no fix.
  const one = problems(digits('dense(1)', 'mse'));
  assert.deepEqual(one.map((p) => [p.code, p.message, p.d.fixes]), [
    ['train.loss_output', 'loss: mse compares values, but digits labels each example with a class id (0 to 9), not a value. Use loss: crossentropy and end with dense(10) -> softmax.', undefined],
  ]);
});

test('a language model on text with mse is train.loss_output with the fix crossentropy', () => {
  const text = `model LM {
  input t: int[32]
  output t -> embedding(64, 16) -> lstm(16, return_sequences = true) -> dense(64) -> softmax
}
train LM {
  data: text("data/tiny.txt", context = 32)
  loss: mse
}
`;
  const ps = problems(text);
  assert.equal(ps.length, 1, ps.map((p) => p.message).join(' | '));
  assert.equal(ps[0].code, 'train.loss_output');
  assert.match(ps[0].message, /^loss: mse compares values, but text labels each position \(the next token\) with a class id, not a value\. Use loss: crossentropy\.$/);
  assert.deepEqual(problems(applyFix(text, ps[0].d)), []);
  // binary_crossentropy too.
  const bce = problems(text.replace('loss: mse', 'loss: binary_crossentropy'));
  assert.deepEqual(bce.map((p) => [p.code, p.at]), [['train.loss_output', 'binary_crossentropy']]);
});

test('binary_crossentropy on digits through one sigmoid output: the fix does what the message says, the loss and the head at once', () => {
  for (const [head, fixed] of [
    ['dense(1) -> sigmoid', 'dense(10) -> softmax'],
    ['dense(1, activation = sigmoid)', 'dense(10, activation = softmax)'],
    ['dense(units = 1) -> sigmoid()', 'dense(units = 10) -> softmax()'],
    ['dense(1)', 'dense(10) -> softmax'],
    ['dense(4) -> softmax', 'dense(10) -> softmax'],
  ] as const) {
    const text = digits(head, 'binary_crossentropy');
    const [p, ...more] = problems(text);
    assert.equal(more.length, 0, head);
    assert.equal(p.code, 'train.classes');
    assert.deepEqual(p.d.fixes?.map((f) => f.title), ['Use crossentropy and end with dense(10) -> softmax'], head);
    const after = applyFix(text, p.d);
    assert.equal(after, text.replace(head, fixed).replace('binary_crossentropy', 'crossentropy'), head);
    assert.deepEqual(problems(after), [], head);
  }
  // In a block called once: edited there; its units a parameter, or the block called twice: no fix (the message says what to do).
  const block = (body: string, output: string) =>
    digits(output, 'binary_crossentropy').replace('model M {', `block head(n) {\n  input h\n  output h -> ${body}\n}\nmodel M {`);
  const once = block('dense(1) -> sigmoid', 'head(1)');
  const [b] = problems(once);
  assert.deepEqual(problems(applyFix(once, b.d)), []);
  for (const text of [block('dense(n) -> sigmoid', 'head(1)'), block('dense(1) -> sigmoid', 'dense(8) -> head(1) -> dense(4) -> head(1)')]) {
    const ps = problems(text);
    assert.deepEqual(ps.map((p) => p.code), ['train.classes'], text);
    assert.equal(ps[0].d.fixes, undefined, text);
  }
});

test('binary_crossentropy on a 10-way softmax over digits is train.loss_output on the loss, fixed by crossentropy', () => {
  const text = digits('dense(10) -> softmax', 'binary_crossentropy');
  const ps = problems(text);
  assert.equal(ps.length, 1);
  assert.equal(ps[0].code, 'train.loss_output');
  assert.equal(ps[0].at, 'binary_crossentropy');
  assert.match(ps[0].message, /^digits has 10 classes, but binary_crossentropy takes two: .* Use loss: crossentropy, which takes the 10 outputs of 'M' as one distribution over the classes\.$/);
  assert.deepEqual(problems(applyFix(text, ps[0].d)), []);
});

test('regression setups are left alone: mse on waves and on a CSV', () => {
  const waves = `model F {\n  input x: [128, 1]\n  output x -> conv1d(4, 3, padding = causal) -> dense(1)\n}\ntrain F {\n  data: waves()\n  loss: mse\n}\n`;
  assert.deepEqual(problems(waves), []);
  assert.deepEqual(problems(waves.replace('loss: mse', 'loss: mae')), []);
  const csv = `model R {\n  input x: [4]\n  output x -> dense(8) -> relu -> dense(1)\n}\ntrain R {\n  data: csv("houses.csv", label = "price")\n  loss: mse\n}\n`;
  assert.deepEqual(problems(csv), []);
});

test('mse or mae on one output over an image folder is a warning on the loss: its labels are class ids, learnt as numbers on more than two folders', () => {
  const images = `model P {\n  input x: [8, 8, 3]\n  output x -> flatten -> dense(1)\n}\ntrain P {\n  data: images("pics", size = 8)\n  loss: mse\n}\n`;
  for (const loss of ['mse', 'mae']) {
    const ps = problems(images.replace('loss: mse', `loss: ${loss}`));
    assert.deepEqual(ps.map((p) => [p.code, p.severity, p.at]), [['train.loss_output', 'warning', loss]]);
    assert.equal(
      ps[0].message,
      `loss: ${loss} compares values, but images labels each example with a class id (0, 1, 2, ... for its class folders in alphabetical order), not a value: with more than two folders 'P' learns the ids as numbers, as if class 1 lay between classes 0 and 2. Use loss: crossentropy and end with dense(classes) -> softmax, one output per class folder (for two folders, loss: binary_crossentropy with dense(1) -> sigmoid).`,
    );
  }
  // What the message says to write trains without a word: crossentropy over a softmax per folder, or two folders' binary_crossentropy.
  assert.deepEqual(problems(images.replace('dense(1)', 'dense(3) -> softmax').replace('loss: mse', 'loss: crossentropy')), []);
  assert.deepEqual(problems(images.replace('dense(1)', 'dense(1) -> sigmoid').replace('loss: mse', 'loss: binary_crossentropy')), []);
  // Several outputs per example on an image folder: only crossentropy compares them with one class (an error, as before).
  assert.deepEqual(problems(images.replace('dense(1)', 'dense(3) -> softmax')).map((p) => [p.code, p.severity]), [['train.loss_output', 'error']]);
});

test('training refuses class ids under mse in words that name the loss', () => {
  const info = analyze(digits('dense(10) -> softmax', 'mse')).models[0];
  const model = { inputs: [{ shape: [null, 28, 28, 1], dtype: 'float32' }], outputs: [{ shape: [null, 10] }] } as unknown as tfTypes.LayersModel;
  const data: TrainData = { source: 'digits', count: 1, xs: new Float32Array(784), xDtype: 'float32', exampleShape: [28, 28, 1], ys: new Float32Array(1), targetShape: [], classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] };
  const config = analyze(digits('dense(10) -> softmax', 'mse')).trains[0].config;
  assert.throws(() => checkDataFits(model, info, data, config), /^TrainError: loss: mse compares values, but digits gives one class per example \(10 classes\), and 'M' outputs \[10\]\. Use loss: crossentropy\.$/);
  assert.throws(() => checkDataFits(model, info, data, { ...config, loss: 'binary_crossentropy' }), /digits has 10 classes, but binary_crossentropy takes two/);
});

test('crossentropy on a sigmoid output is a warning on the loss, with a fix to softmax where the sigmoid is written', () => {
  for (const [head, at, fixed] of [
    ['dense(10) -> sigmoid', 'sigmoid', 'dense(10) -> softmax'],
    ['dense(10) -> sigmoid()', 'sigmoid', 'dense(10) -> softmax()'],
    ['dense(10, activation = sigmoid)', 'sigmoid', 'dense(10, activation = softmax)'],
  ] as const) {
    const text = digits(head, 'crossentropy');
    const ps = problems(text);
    assert.equal(ps.length, 1, `${head}: ${ps.map((p) => p.message).join(' | ')}`);
    const [p] = ps;
    assert.equal(p.code, 'train.loss_output');
    assert.equal(p.severity, 'warning');
    assert.equal(p.at, 'crossentropy');
    assert.match(p.message, /^crossentropy takes the 10 outputs of 'M' as probabilities of one class each, which sum to 1 \(softmax\), but it ends with .*sigmoid.*, which squashes each value on its own: .* End with softmax/);
    const related = p.d.related![0];
    assert.ok(text.slice(related.range.start.offset, related.range.end.offset).includes(at));
    const after = applyFix(text, p.d);
    assert.ok(after.includes(fixed), after);
    assert.deepEqual(problems(after), []);
  }
});

test('crossentropy on a sigmoid that ends a block the output ends with: the same warning, followed through the graph; the fix only where editing the block changes nothing else', () => {
  const file = (block: string, output: string, more = '') => `block head(n) {
  input h
  output h -> ${block}
}
${more}
model M {
  input x: [28, 28, 1]
  output x -> flatten -> ${output}
}
train M {
  data: digits()
  loss: crossentropy
}
`;
  for (const [block, fixed] of [
    ['dense(n) -> sigmoid', 'dense(n) -> softmax'],
    ['dense(n, activation = sigmoid)', 'dense(n, activation = softmax)'],
  ] as const) {
    const text = file(block, 'head(10)');
    const ps = problems(text);
    assert.deepEqual(ps.map((p) => [p.code, p.severity, p.at]), [['train.loss_output', 'warning', 'crossentropy']], block);
    assert.match(ps[0].message, /but it ends with .*sigmoid.* \(the last layer of block head\), which squashes each value on its own/);
    const related = ps[0].d.related![0];
    assert.ok(text.slice(related.range.start.offset, related.range.end.offset).includes('sigmoid'));
    assert.ok(related.range.start.line < 3, 'in the block');
    const after = applyFix(text, ps[0].d);
    assert.equal(after, text.replace(block, fixed));
    assert.deepEqual(problems(after), []);
  }
  // Blocks within blocks: followed to the layer.
  const nested = file('dense(n) -> sigmoid', 'outer(10)', 'block outer(k) {\n  input h\n  output h -> relu -> head(k)\n}\n');
  const [n] = problems(nested);
  assert.equal(n.code, 'train.loss_output');
  assert.match(n.message, /\(the last layer of block head\)/);
  assert.deepEqual(problems(applyFix(nested, n.d)), []);
  // The block called twice (its sigmoid is also a gate elsewhere), repeated, or its activation a parameter: the warning without a fix.
  const twice = file('dense(n) -> sigmoid', 'dense(32) -> head(32) -> head(10)');
  const repeated = file('dense(n) -> sigmoid', 'head(10) * 2');
  const param = file('dense(n, activation = act)', 'head(10, act = sigmoid)').replace('block head(n)', 'block head(n, act)');
  for (const text of [twice, repeated, param]) {
    const ps = problems(text);
    assert.deepEqual(ps.map((p) => [p.code, p.severity]), [['train.loss_output', 'warning']], text);
    assert.equal(ps[0].d.fixes, undefined, text);
  }
  // A block that ends with softmax, or with no activation (logits): no warning.
  assert.deepEqual(problems(file('dense(n) -> softmax', 'head(10)')), []);
  assert.deepEqual(problems(file('dense(n)', 'head(10)')), []);
});

test('a language model ending in sigmoid with the default loss gets the warning too; softmax and logits do not', () => {
  const lm = (end: string) => `model LM {
  input t: int[32]
  output t -> embedding(64, 16) -> lstm(16, return_sequences = true) -> dense(64)${end}
}
train LM {
  data: text("data/tiny.txt", context = 32)
}
`;
  const ps = problems(lm(' -> sigmoid'));
  assert.deepEqual(ps.map((p) => [p.code, p.severity]), [['train.loss_output', 'warning']]);
  assert.deepEqual(problems(applyFix(lm(' -> sigmoid'), ps[0].d)), []);
  assert.deepEqual(problems(lm(' -> softmax')), []);
  assert.deepEqual(problems(lm('')), []);
  // binary_crossentropy is what sigmoid is for (two classes here).
  assert.deepEqual(problems(digits('dense(1) -> sigmoid', 'binary_crossentropy', 'csv("t.csv")').replace('[28, 28, 1]', '[4]').replace('flatten -> ', '')), []);
});

test('a vocabulary too small for the text: one refusal names both the output and the embedding (not one per run)', () => {
  const lm = `model LM {\n  input t: int[seq]\n  output t -> embedding(20, 8) -> dense(20) -> softmax\n}\ntrain LM {\n  data: text("tiny.txt", context = 4)\n}\n`;
  const a = analyze(lm);
  const info = a.models[0];
  const model = { inputs: [{ shape: [null, 4], dtype: 'int32' }], outputs: [{ shape: [null, 4, 20] }] } as unknown as tfTypes.LayersModel;
  const classes = Array.from({ length: 50 }, (_, i) => `c${i}`);
  const xs = new Int32Array([0, 12, 49, 3]);
  const data: TrainData = { source: 'tiny.txt', count: 1, xs, xDtype: 'int32', exampleShape: [4], ys: new Float32Array(4), targetShape: [4], classes };
  assert.throws(
    () => checkDataFits(model, info, data, a.trains[0].config),
    /^TrainError: tiny\.txt has 50 classes, but 'LM' outputs 20 values per prediction; end with dense\(50\)\. It also has token ids up to 49, but the embedding of 'LM' has 20 rows; raise its vocabulary to at least 50\.$/,
  );
});
