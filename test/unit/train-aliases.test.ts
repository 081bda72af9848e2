/**
 * Keras and PyTorch names in a train section (`categorical_crossentropy`,
 * `CrossEntropyLoss`, `batch_size`, `learning_rate`, `acc`, `mnist`) get the
 * name meant here, with a quick fix, under the code an unknown name has;
 * spelling alone cannot find them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { AnalysisSession } from '../../extension/core/analysis/session';
import { applyFix } from './sourceText';

const MODEL = `model M {
  input x: [28, 28, 1]
  output x -> flatten -> dense(10) -> softmax
}
`;
const section = (body: string) => `${MODEL}train M {\n${body}\n}\n`;

/** The one problem of `text`, and the text its fix makes. */
function one(text: string) {
  const ds = analyze(text).diagnostics;
  assert.equal(ds.length, 1, ds.map((d) => d.message).join(' | '));
  const d = ds[0];
  return { d, at: text.slice(d.range.start.offset, d.range.end.offset), fixed: d.fixes?.length ? applyFix(text, d) : undefined };
}

test('losses by their Keras and PyTorch names: did you mean, and a fix', () => {
  for (const [written, meant] of [
    ['categorical_crossentropy', 'crossentropy'],
    ['sparse_categorical_crossentropy', 'crossentropy'],
    ['CrossEntropyLoss', 'crossentropy'],
    ['CrossEntropyLoss()', 'crossentropy'],
    ['NLLLoss', 'crossentropy'],
    ['BCELoss', 'binary_crossentropy'],
    ['BCEWithLogitsLoss', 'binary_crossentropy'],
    ['MSELoss', 'mse'],
    ['mean_squared_error', 'mse'],
    ['L1Loss', 'mae'],
  ]) {
    const { d, at, fixed } = one(section(`  data: digits()\n  loss: ${written}`));
    assert.equal(d.code, 'train.bad_loss');
    assert.equal(at, written);
    assert.match(d.message, new RegExp(`Did you mean '${meant}'\\?$`), written);
    assert.equal(fixed, section(`  data: digits()\n  loss: ${meant}`));
  }
});

test('batch_size and batchsize are batch; acc is accuracy; learning_rate in adam(...) is lr', () => {
  for (const key of ['batch_size', 'batchsize']) {
    const { d, at, fixed } = one(section(`  data: digits()\n  ${key}: 64`));
    assert.equal(d.code, 'train.unknown_key');
    assert.equal(at, key);
    assert.match(d.message, /Did you mean 'batch'\?/);
    assert.deepEqual(analyze(fixed!).diagnostics, []);
  }
  const acc = one(section('  data: digits()\n  metrics: [acc]'));
  assert.equal(acc.d.code, 'train.bad_metric');
  assert.equal(acc.fixed, section('  data: digits()\n  metrics: [accuracy]'));
  const lr = one(section('  data: digits()\n  optimizer: adam(learning_rate = 0.001)'));
  assert.equal(lr.d.code, 'train.bad_option');
  assert.equal(lr.at, 'learning_rate');
  assert.match(lr.d.message, /Did you mean 'lr'\?/);
  assert.equal(lr.fixed, section('  data: digits()\n  optimizer: adam(lr = 0.001)'));
});

test('a learning rate written as a setting says it goes inside the optimizer, and the fix moves it there', () => {
  for (const [body, fixed] of [
    ['  data: digits()\n  learning_rate: 0.01', '  data: digits()\n  optimizer: adam(lr = 0.01)'],
    ['  data: digits()\n  lr: 0.01\n  optimizer: sgd', '  data: digits()\n  optimizer: sgd(lr = 0.01)'],
    ['  lr: 0.01\n  data: digits()\n  optimizer: adam(beta1 = 0.5)', '  data: digits()\n  optimizer: adam(lr = 0.01, beta1 = 0.5)'],
    ['  data: digits()\n  optimizer: adam()\n  lr: 1e-4', '  data: digits()\n  optimizer: adam(lr = 1e-4)'],
  ]) {
    const r = one(section(body));
    assert.equal(r.d.code, 'train.unknown_key');
    assert.match(r.d.message, /^unknown train setting '(lr|learning_rate)': the learning rate is an option of the optimizer here: optimizer: (adam|sgd)\(lr = (0\.01|1e-4)\)\.$/);
    assert.equal(r.fixed, section(fixed), body);
    assert.deepEqual(analyze(r.fixed!).diagnostics, []);
  }
  // The optimizer has its rate by position already: which to keep is the user's choice.
  assert.equal(one(section('  data: digits()\n  optimizer: adam(0.1)\n  lr: 1e-4')).fixed, undefined);
});

test('mnist is digits (MNIST-like, 28×28); cifar10 says how to train on it with images(...)', () => {
  const mnist = one(section('  data: mnist()'));
  assert.equal(mnist.d.code, 'train.bad_data');
  assert.match(mnist.d.message, /Did you mean 'digits'\? digits is the MNIST-like set here: grey-scale digits 0–9, 28×28 by default/);
  assert.equal(mnist.fixed, section('  data: digits()'));
  const cifar = one(section('  data: cifar10()'));
  assert.equal(cifar.d.code, 'train.bad_data');
  assert.match(cifar.d.message, /CIFAR-10 is not built in: save its images in a folder with one sub-folder per class and use images\("folder", size = 32\)/);
  assert.equal(cifar.fixed, undefined);
});

test('names with no alias keep their spelling suggestions', () => {
  const r = one(section('  data: digts()'));
  assert.match(r.d.message, /Did you mean 'digits'\?/);
  assert.equal(one(section('  data: digits()\n  loss: crossentropi')).fixed, section('  data: digits()\n  loss: crossentropy'));
});

test('in an editor session, the learning-rate fix moves with the section when lines are added above it', () => {
  const text = `model A {\n  input x: [4]\n  output x -> dense(2)\n}\n${section('  data: digits()\n  optimizer: adam(beta1 = 0.5)\n  lr: 2e-4')}`;
  const session = new AnalysisSession();
  session.update(text);
  const moved = text.replace('input x: [4]\n', 'input x: [4]\n\n');
  const fixOf = (ds: { code: string; fixes?: unknown }[]) => ds.find((d) => d.code === 'train.unknown_key')?.fixes;
  const kept = session.update(moved).diagnostics;
  assert.deepEqual(fixOf(kept), fixOf(analyze(moved).diagnostics));
  const d = kept.find((x) => x.code === 'train.unknown_key')!;
  assert.match(applyFix(moved, d), /optimizer: adam\(lr = 2e-4, beta1 = 0\.5\)\n}\n$/);
});
