// Class i is output i: data whose classes are not a checkpoint's, in its order (a class folder renamed, a CSV
// label changed), is refused by `nnmodel evaluate` and `nnmodel train --resume` with both lists; it was read
// with the new ids, silently swapping the labels (and --resume wrote the new list into the checkpoint).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classesProblem, type ModelJson } from '../../extension/core/runtime/checkpoint';
import { runCli as cli } from '../fixtures/cli';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

const FRUIT_CSV = readFileSync(join(process.cwd(), 'examples', 'data', 'fruit.csv'), 'utf8');
const FRUIT = `model FruitMLP {
  input features: [4]
  output features -> dense(16, activation = relu) -> dense(3) -> softmax
}

train FruitMLP {
  data: csv("data/fruit.csv", label = "fruit")
  epochs: 1
  batch: 16
}
`;

test('classesProblem: the same names in the same order fit; another order, a renamed or new class does not, said with both lists', () => {
  const data = (classes: string[]) => ({ source: 'imgs', classes });
  assert.equal(classesProblem(['horiz', 'vert'], data(['horiz', 'vert']), "'Net'", 'train it from scratch'), undefined);
  assert.equal(classesProblem([], data(['a', 'b']), "'Net'", 'x'), undefined, 'a checkpoint without classes (over 1 000, or none)');
  assert.equal(classesProblem(['a', 'b'], data([]), "'Net'", 'x'), undefined, 'regression and text data have none');
  assert.equal(
    classesProblem(['horiz', 'vert'], data(['avert', 'horiz']), "'Net'", 'train it from scratch (without --resume)'),
    "the checkpoint of 'Net' was trained on the classes horiz, vert (output i is the i-th); imgs has avert, horiz (not in the data: vert; new: avert), so its labels would name other classes. Restore the class names it was trained on (folder names or CSV labels), or train it from scratch (without --resume).",
  );
  assert.match(classesProblem(['a', 'b', 'c'], data(['a', 'c', 'b']), "'Net'", 'x')!, /\(the same names in another order\)/);
  assert.match(classesProblem(['a', 'b'], data(['a', 'b', 'c']), "'Net'", 'x')!, /\(new: c\)/);
});

test('evaluate and --resume refuse a CSV whose labels were renamed since the checkpoint; training afresh takes the new classes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-classes-'));
  try {
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'fruit.csv'), FRUIT_CSV);
    writeFileSync(join(dir, 'fruit.nnmodel'), FRUIT);
    const first = await cli(dir, 'train', 'fruit.nnmodel');
    assert.equal(first.code, 0, first.err);
    const saved = () => (JSON.parse(readFileSync(join(dir, '.nnmodel', 'fruit', 'FruitMLP', 'model.json'), 'utf8')) as ModelJson).nnmodel;
    assert.deepEqual(saved().data?.classes, ['apple', 'banana', 'orange']);
    // 'banana' renamed 'zucchini': sorted, orange becomes class 1 and the old bananas class 2.
    writeFileSync(join(dir, 'data', 'fruit.csv'), FRUIT_CSV.replace(/,banana$/gm, ',zucchini'));
    const expected = /the checkpoint of 'FruitMLP' was trained on the classes apple, banana, orange \(output i is the i-th\); data\/fruit\.csv has apple, orange, zucchini \(not in the data: banana; new: zucchini\), so its labels would name other classes\. Restore the class names it was trained on \(folder names or CSV labels\), or /;
    const ev = await cli(dir, 'evaluate', 'fruit.nnmodel');
    assert.notEqual(ev.code, 0);
    assert.match(ev.err, new RegExp(expected.source + 'train the model again on this data\\.'));
    const resumed = await cli(dir, 'train', 'fruit.nnmodel', '--resume');
    assert.notEqual(resumed.code, 0);
    assert.match(resumed.err, new RegExp(expected.source + 'train it from scratch \\(without --resume\\)\\.'));
    assert.equal(saved().epoch, 1, 'the checkpoint is untouched');
    assert.deepEqual(saved().data?.classes, ['apple', 'banana', 'orange']);
    const fresh = await cli(dir, 'train', 'fruit.nnmodel');
    assert.equal(fresh.code, 0, fresh.err);
    assert.deepEqual(saved().data?.classes, ['apple', 'orange', 'zucchini']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
