// Class i is output i: data whose classes are not a checkpoint's, in its order (a class folder renamed, a CSV
// label changed), is refused by `nnmodel evaluate` and `nnmodel train --resume` with both lists; it was read
// with the new ids, silently swapping the labels (and --resume wrote the new list into the checkpoint).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointDataProblem, classesProblem, type ModelJson } from '../../extension/core/runtime/checkpoint';
import { charTokenizer, wordTokenizer } from '../../extension/core/runtime/tokenizers';
import { runCli as cli } from '../fixtures/cli';
import { useCpuBackend } from '../fixtures/tfjs';
import { PNG } from 'pngjs';

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

test('a text whose vocabulary changed is said as tokens and ids, not as class folders; past the 1 000 a checkpoint keeps, the tokens of its saved tokeniser', () => {
  const tokens = (t: { vocabSize: number; tokens(ids: number[]): string[] }) => t.tokens(Array.from({ length: t.vocabSize }, (_, i) => i));
  const before = charTokenizer('a cab');
  const after = charTokenizer('a cab\nZ');
  const text = { source: 't.txt', classes: tokens(after), tokenizer: { kind: 'char', alphabet: 'a cab\nZ' } };
  assert.equal(
    classesProblem(tokens(before), text, "'Lm'", 'train it from scratch (without --resume)'),
    `the checkpoint of 'Lm' was trained on a vocabulary of 5 tokens, "<unk>", " ", "a", "b", "c" (token i is output i and embedding row i); ` +
      `t.txt now makes 7 tokens, "<unk>", "\\n", " ", "Z", "a", "b", "c" (new: "\\n", "Z"), so its token ids would mean other tokens. ` +
      'Restore the text it was trained on (or one that makes the same tokens), or train it from scratch (without --resume).',
  );
  // A word vocabulary of 1 200 words: the checkpoint keeps no classes past 1 000 (runTrainJob), but its tokeniser says them.
  const corpus = Array.from({ length: 1200 }, (_, i) => `w${i}`).join(' ');
  const grown = `${corpus} w5 w7`;
  const saved = { classes: [], tokenizer: { kind: 'word', corpus } };
  const data = (c: string) => ({ source: 'words.txt', classes: tokens(wordTokenizer(c)), tokenizer: { kind: 'word', corpus: c } });
  assert.equal(checkpointDataProblem(saved, data(corpus), 'crossentropy', "'Lm'", 'x'), undefined, 'the same text');
  // Two words more frequent now: the same 1 201 tokens in another order, which moves their ids.
  assert.match(checkpointDataProblem(saved, data(grown), 'crossentropy', "'Lm'", 'x')!, /^the checkpoint of 'Lm' was trained on a vocabulary of 1,?201 tokens, .* \(the same tokens in another order\), so its token ids would mean other tokens\./);
});

test('a denoise or adversarial objective never reads the labels: renamed image folders are no refusal for it', () => {
  const saved = { classes: ['horiz', 'vert'] };
  const data = { source: 'imgs', classes: ['avert', 'horiz'] };
  assert.equal(checkpointDataProblem(saved, data, 'denoise', "'Denoiser'", 'x'), undefined);
  assert.equal(checkpointDataProblem(saved, data, 'adversarial', "'G'", 'x'), undefined);
  assert.match(checkpointDataProblem(saved, data, 'crossentropy', "'Net'", 'x')!, /trained on the classes horiz, vert .* imgs has avert, horiz/);
  assert.match(checkpointDataProblem(saved, data, 'mse', "'Net'", 'x')!, /trained on the classes horiz, vert/, 'mse on image folders: the class id is the target');
});

test('evaluate and --resume of a language model refuse a text whose characters changed since the checkpoint, in words for a text', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-vocab-'));
  try {
    writeFileSync(join(dir, 't.txt'), 'the cat sat on the mat. '.repeat(20));
    writeFileSync(
      join(dir, 'lm.nnmodel'),
      `model Lm {
  input t: int[seq]
  output t -> embedding(16, 8) -> dense(16) -> softmax
}

train Lm {
  data: text("t.txt", tokenizer = char, context = 8)
  epochs: 1
  batch: 32
}
`,
    );
    const first = await cli(dir, 'train', 'lm.nnmodel');
    assert.equal(first.code, 0, first.err);
    writeFileSync(join(dir, 't.txt'), 'The cat sat on the mat. '.repeat(20));
    const ev = await cli(dir, 'evaluate', 'lm.nnmodel');
    assert.notEqual(ev.code, 0);
    assert.match(ev.err, /the checkpoint of 'Lm' was trained on a vocabulary of 12 tokens, .*; t\.txt now makes 13 tokens, .* \(new: "T"\), so its token ids would mean other tokens\. Restore the text it was trained on \(or one that makes the same tokens\), or train the model again on this data\./);
    const resumed = await cli(dir, 'train', 'lm.nnmodel', '--resume');
    assert.notEqual(resumed.code, 0);
    assert.match(resumed.err, /t\.txt now makes 13 tokens, .*or train it from scratch \(without --resume\)\./);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A 16×16 PNG of stripes, horizontal or vertical. */
function stripes(vertical: boolean, phase: number): Buffer {
  const p = new PNG({ width: 16, height: 16 });
  for (let y = 0; y < 16; y++) {
    for (let x = 0; x < 16; x++) {
      const v = ((vertical ? x : y) + phase) % 4 < 2 ? 255 : 0;
      p.data.set([v, v, v, 255], (y * 16 + x) * 4);
    }
  }
  return PNG.sync.write(p);
}

test('a diffusion model continues and is evaluated after its image folders are renamed: it never read the labels', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-denoise-classes-'));
  try {
    for (const cls of ['horiz', 'vert']) {
      mkdirSync(join(dir, 'imgs', cls), { recursive: true });
      for (let i = 0; i < 4; i++) writeFileSync(join(dir, 'imgs', cls, `${i}.png`), stripes(cls === 'vert', i));
    }
    writeFileSync(
      join(dir, 'd.nnmodel'),
      `model D {
  input noisy: [16, 16, 1]
  input t: int[1]
  temb = t -> sinusoidal(8) -> dense(4) -> reshape([1, 1, 4])
  h = noisy -> conv2d(4, 3, padding = same)
  h2 = h + temb
  output h2 -> conv2d(1, 3, padding = same)
}

train D {
  data: images("imgs", size = [16, 16], grayscale = true)
  loss: denoise(steps = 100, samples = 2, sample_steps = 5)
  epochs: 1
  batch: 8
}
`,
    );
    const first = await cli(dir, 'train', 'd.nnmodel');
    assert.equal(first.code, 0, first.err);
    renameSync(join(dir, 'imgs', 'vert'), join(dir, 'imgs', 'avert'));
    const ev = await cli(dir, 'evaluate', 'd.nnmodel');
    assert.equal(ev.code, 0, ev.err);
    const resumed = await cli(dir, 'train', 'd.nnmodel', '--resume', '--epochs', '1');
    assert.equal(resumed.code, 0, resumed.err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
