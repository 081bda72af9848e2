// `nnmodel check` finds, before training, what training refuses once it reads the data:
// a CSV label column or an image folder with more classes than the model outputs
// (`train.classes`), and an image folder training cannot use (`train.data_file`: fewer than
// two class folders, an empty one, an image outside them), from listings alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { runCli as run, withWorkspace as inWorkspace } from '../fixtures/cli';

const withWorkspace = (files: Record<string, string>, body: (dir: string) => Promise<void>) => inWorkspace('nnmodel-check-classes-', files, body);

const CSV_MODEL = `model M {
  input features: [2]
  output features -> dense(8, activation = relu) -> dense(3) -> softmax
}

train M {
  data: csv("d.csv", label = "kind")
  epochs: 1
  batch: 4
}
`;

const FOUR_KINDS = 'a,b,kind\n1,2,w\n2,3,x\n3,4,y\n4,5,z\n5,6,w\n6,7,x\n';

test(
  'check reports a CSV with more classes than the output as train.classes on the data source, as train refuses it',
  withWorkspace({ 'm.nnmodel': CSV_MODEL, 'd.csv': FOUR_KINDS }, async (dir) => {
    const c = await run(dir, 'check', 'm.nnmodel');
    assert.equal(c.code, 1, c.out + c.err);
    assert.match(c.out, /^m\.nnmodel:7:9: error train\.classes d\.csv has 4 classes \(w, x, y, z\), but 'M' outputs 3 values per prediction\. End the model with dense\(4\) to match\.$/m);
    // Training says the same once it has read the file.
    const t = await run(dir, 'train', 'm.nnmodel');
    assert.equal(t.code, 1);
    assert.match(t.err, /d\.csv has 4 classes, but 'M' outputs 3 values per prediction/);
  }),
);

test(
  'check passes a CSV with as many classes as the output, and one with fewer (training warns, it does not refuse)',
  withWorkspace({ 'm.nnmodel': CSV_MODEL, 'three.csv': 'a,b,kind\n1,2,w\n2,3,x\n3,4,y\n', 'two.csv': 'a,b,kind\n1,2,w\n2,3,x\n' }, async (dir) => {
    for (const csv of ['three.csv', 'two.csv']) {
      writeFileSync(join(dir, 'm.nnmodel'), CSV_MODEL.replace('d.csv', csv));
      const c = await run(dir, 'check', 'm.nnmodel');
      assert.equal(c.code, 0, `${csv}: ${c.out}`);
      assert.match(c.out, /no problems/);
    }
  }),
);

test(
  'check leaves a regression CSV (loss mse) alone: its label is a value, not a class',
  withWorkspace({ 'm.nnmodel': CSV_MODEL.replace('dense(3) -> softmax', 'dense(1)').replace('epochs: 1', 'epochs: 1\n  loss: mse'), 'd.csv': 'a,b,kind\n1,2,0.5\n2,3,1.5\n3,4,2.5\n4,5,3.5\n' }, async (dir) => {
    const c = await run(dir, 'check', 'm.nnmodel');
    assert.equal(c.code, 0, c.out);
  }),
);

function png(): Buffer {
  const p = new PNG({ width: 4, height: 4 });
  p.data.fill(128);
  return PNG.sync.write(p);
}

/** An image folder `pics` in `dir` with these class folders, each holding `n` PNGs. */
function imageFolder(dir: string, classes: Record<string, number>): void {
  for (const [c, n] of Object.entries(classes)) {
    mkdirSync(join(dir, 'pics', c), { recursive: true });
    for (let i = 0; i < n; i++) writeFileSync(join(dir, 'pics', c, `img${i}.png`), png());
  }
}

const IMAGE_MODEL = `model P {
  input image: [4, 4, 3]
  output image -> flatten -> dense(3) -> softmax
}

train P {
  data: images("pics", size = [4, 4])
  epochs: 1
}
`;

test(
  'check lists an image folder as training does: too many classes, too few, an empty class folder, a stray image',
  withWorkspace({ 'm.nnmodel': IMAGE_MODEL }, async (dir) => {
    imageFolder(dir, { cat: 2, dog: 2, fox: 2 });
    const ok = await run(dir, 'check', 'm.nnmodel');
    assert.equal(ok.code, 0, ok.out);

    imageFolder(dir, { owl: 2 });
    const four = await run(dir, 'check', 'm.nnmodel');
    assert.equal(four.code, 1, four.out);
    assert.match(four.out, /^m\.nnmodel:7:9: error train\.classes pics has 4 classes \(cat, dog, fox, owl\), but 'P' outputs 3 values per prediction\. End the model with dense\(4\) to match\.$/m);

    mkdirSync(join(dir, 'pics', 'empty'));
    const empty = await run(dir, 'check', 'm.nnmodel');
    assert.equal(empty.code, 1);
    assert.match(empty.out, /^m\.nnmodel:7:9: error train\.data_file pics\/empty: has no PNG or JPEG images; remove the folder or add images\.$/m);
    // Training stops on the same folder with the same words.
    const t = await run(dir, 'train', 'm.nnmodel');
    assert.equal(t.code, 1);
    assert.match(t.err, /pics\/empty: has no PNG or JPEG images/);
  }),
);

test(
  'check reports an image folder with fewer than two classes and an image outside the class folders',
  withWorkspace({ 'm.nnmodel': IMAGE_MODEL }, async (dir) => {
    imageFolder(dir, { cat: 2 });
    const one = await run(dir, 'check', 'm.nnmodel');
    assert.equal(one.code, 1);
    assert.match(one.out, /error train\.data_file pics: needs at least 2 class sub-folders with images, found 1 \(cat\)\./);

    imageFolder(dir, { dog: 1 });
    writeFileSync(join(dir, 'pics', 'stray.png'), png());
    const stray = await run(dir, 'check', 'm.nnmodel');
    assert.equal(stray.code, 1);
    assert.match(stray.out, /error train\.data_file pics\/stray\.png: is not inside a class folder/);
  }),
);

const FRUIT = 'a,b,fruit\n1,2,apple\n2,3,banana\n3,4,cherry\n4,5,apple\n5,6,banana\n6,7,cherry\n';
const ONE_OUTPUT = CSV_MODEL.replace('dense(3) -> softmax', 'dense(1) -> sigmoid').replace('label = "kind"', 'label = "fruit"');

test(
  'binary_crossentropy on a CSV of more than two classes is train.classes in check, and train refuses it with the same words',
  withWorkspace({ 'm.nnmodel': ONE_OUTPUT.replace('epochs: 1', 'epochs: 1\n  loss: binary_crossentropy'), 'd.csv': FRUIT }, async (dir) => {
    const c = await run(dir, 'check', 'm.nnmodel');
    assert.equal(c.code, 1, c.out);
    assert.match(
      c.out,
      /^m\.nnmodel:7:9: error train\.classes d\.csv has 3 classes \(apple, banana, cherry\), but binary_crossentropy takes two: it scores each output as the probability of label 1 against label 0\. Use loss: crossentropy and end the model with dense\(3\) -> softmax\.$/m,
    );
    assert.match(c.out, /^1 error in 1 file$/m);
    const t = await run(dir, 'train', 'm.nnmodel');
    assert.equal(t.code, 1, t.out + t.err);
    assert.match(t.err, /d\.csv has 3 classes, but binary_crossentropy takes two/);
    // With a 3-way softmax, only the loss is to change.
    writeFileSync(join(dir, 'm.nnmodel'), CSV_MODEL.replace('label = "kind"', 'label = "fruit"').replace('epochs: 1', 'epochs: 1\n  loss: binary_crossentropy'));
    assert.match((await run(dir, 'check', 'm.nnmodel')).out, /but binary_crossentropy takes two: .* Use loss: crossentropy\.$/m);
  }),
);

test(
  'binary_crossentropy on a CSV of two classes passes check',
  withWorkspace({ 'm.nnmodel': ONE_OUTPUT.replace('epochs: 1', 'epochs: 1\n  loss: binary_crossentropy'), 'd.csv': 'a,b,fruit\n1,2,apple\n2,3,banana\n3,4,apple\n' }, async (dir) => {
    const c = await run(dir, 'check', 'm.nnmodel');
    assert.equal(c.code, 0, c.out);
  }),
);

test(
  'crossentropy on a one-value output over a CSV of three classes is one problem (the loss), not also train.classes, and does not advise binary_crossentropy alone',
  withWorkspace({ 'm.nnmodel': ONE_OUTPUT, 'd.csv': FRUIT }, async (dir) => {
    const c = await run(dir, 'check', 'm.nnmodel');
    assert.equal(c.code, 1, c.out);
    assert.match(c.out, /^1 error in 1 file$/m);
    assert.match(c.out, /error train\.loss_output crossentropy compares a probability per class, but 'M' gives \[1\]; use binary_crossentropy if the labels are two classes, mse or mae if they are numbers; otherwise end with dense\(classes\) -> softmax\.$/m);
  }),
);
