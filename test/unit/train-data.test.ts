import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import {
  DataError,
  decodeImage,
  loadDataset,
  MAX_TEXT_WINDOWS,
  parseCsv,
  resizeImage,
  type LoadOptions,
} from '../../extension/core/runtime/data/files';
import { tokenizerFromSpec } from '../../extension/core/runtime/tokenizers';
import { dataSplit, noTrainingLeft, splitCounts, windowsSplitNote } from '../../extension/core/runtime/train';
import type { DataSource } from '../../extension/core/analysis/types';
import { nodeDataFs } from '../../extension/cli/trainJob';

let dir: string;
let opts: LoadOptions;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'nnmodel-data-'));
  opts = { baseDir: dir, roots: [dir], fs: nodeDataFs() };
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A w×h PNG filled with one RGBA colour. */
function png(w: number, h: number, rgba: [number, number, number, number]): Buffer {
  const p = new PNG({ width: w, height: h });
  for (let i = 0; i < w * h; i++) p.data.set(rgba, i * 4);
  return PNG.sync.write(p);
}

function jpg(w: number, h: number, rgb: [number, number, number]): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([...rgb, 255], i * 4);
  return jpeg.encode({ data, width: w, height: h }, 95).data;
}

function write(rel: string, content: string | Buffer): void {
  const p = join(dir, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
}

const src = (kind: DataSource['kind'], path: string, options: Record<string, unknown> = {}) => ({ kind, path, options }) as DataSource;

async function rejectsWith(p: Promise<unknown>, pattern: RegExp, file?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    assert.match(e.message, pattern);
    if (file !== undefined) assert.equal(e.file, file);
    return true;
  });
}

// ------------------------------------------------------------------ built-in

test('built-in sets come through loadDataset with their shapes and classes', async () => {
  const d = await loadDataset({ kind: 'digits', options: { samples: 20, size: 32, seed: 3 } }, opts);
  assert.deepEqual([d.count, d.exampleShape, d.classes.length, d.yDtype], [20, [32, 32, 1], 10, 'int32']);
  const s = await loadDataset({ kind: 'sequences', options: { samples: 10, task: 'reverse', length: 6, vocab: 5, seed: 1 } }, opts);
  assert.deepEqual([s.xDtype, s.exampleShape, s.targetShape], ['int32', [6], [6]]);
  assert.deepEqual(Array.from(s.ys.subarray(0, 6)), Array.from(s.xs.subarray(0, 6)).reverse());
  const w = await loadDataset({ kind: 'waves', options: { samples: 4, length: 16, seed: 1 } }, opts);
  assert.deepEqual([w.yDtype, w.targetShape, w.classes], ['float32', [16, 1], []]);
});

// ------------------------------------------------------------------ images

test('an image folder gives one class per sub-folder, resized, grey or RGB, PNG and JPEG', async () => {
  write('imgs/cats/a.png', png(8, 8, [255, 0, 0, 255]));
  write('imgs/cats/b.PNG', png(4, 6, [255, 0, 0, 255]));
  write('imgs/dogs/c.jpg', jpg(16, 16, [0, 0, 255]));
  write('imgs/dogs/notes.txt', 'ignored: not an image');
  const rgb = await loadDataset(src('images', 'imgs', { size: [4, 4], grayscale: false }), opts);
  assert.deepEqual(rgb.classes, ['cats', 'dogs']);
  assert.deepEqual(Array.from(rgb.ys), [0, 0, 1]);
  assert.deepEqual(rgb.exampleShape, [4, 4, 3]);
  // A red PNG stays red after resizing; the JPEG is blue within its compression error.
  assert.deepEqual(Array.from(rgb.xs.subarray(0, 3)), [1, 0, 0]);
  const blue = rgb.xs.subarray(2 * 48, 2 * 48 + 3);
  assert.ok(blue[0] < 0.05 && blue[2] > 0.95, `blue pixel ${Array.from(blue)}`);
  const grey = await loadDataset(src('images', 'imgs', { size: [2, 3], grayscale: true }), opts);
  assert.deepEqual(grey.exampleShape, [2, 3, 1]);
  assert.ok(Math.abs(grey.xs[0] - 0.299) < 1e-6, 'grey = luminance of red');
});

test('resizing averages what a pixel covers when shrinking, and keeps flat colours flat', () => {
  const img = { width: 2, height: 2, data: new Uint8Array([0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 255]) };
  const one = resizeImage(img, 1, 1, 1);
  assert.ok(Math.abs(one[0] - 0.5) < 1e-6, `2×2 checker → one grey pixel, got ${one[0]}`);
  const flat = { width: 5, height: 3, data: new Uint8Array(5 * 3 * 4).fill(128) };
  for (const v of resizeImage(flat, 7, 2, 3)) assert.ok(Math.abs(v - (128 / 255) * (128 / 255)) < 1e-5);
});

test('a file named .png that is not an image is an error naming it', async () => {
  write('bad/a/ok.png', png(2, 2, [0, 0, 0, 255]));
  write('bad/b/fake.png', 'this is text');
  await rejectsWith(loadDataset(src('images', 'bad', { size: [2, 2] }), opts), /bad\/b\/fake\.png: is not a PNG or JPEG/, 'bad/b/fake.png');
  write('bad2/a/ok.png', png(2, 2, [0, 0, 0, 255]));
  write('bad2/b/x.jpg', png(2, 2, [0, 0, 0, 255]).subarray(0, 40));
  await rejectsWith(loadDataset(src('images', 'bad2', { size: [2, 2] }), opts), /bad2\/b\/x\.jpg: cannot be decoded as PNG \(it is a PNG file named as JPEG\)/);
  // A PNG cut short says so in words (pngjs's own: "read requests waitng on finished stream").
  write('bad3/a/ok.png', png(2, 2, [0, 0, 0, 255]));
  write('bad3/b/cut.png', png(2, 2, [0, 0, 0, 255]).subarray(0, 40));
  await rejectsWith(loadDataset(src('images', 'bad3', { size: [2, 2] }), opts), /bad3\/b\/cut\.png: cannot be decoded as PNG: the file ends before its image does \(truncated, or not fully copied\)\.$/);
});

test('images outside class folders, an empty class and a single class are errors', async () => {
  write('loose/a/x.png', png(2, 2, [0, 0, 0, 255]));
  write('loose/b/y.png', png(2, 2, [0, 0, 0, 255]));
  write('loose/stray.png', png(2, 2, [0, 0, 0, 255]));
  await rejectsWith(loadDataset(src('images', 'loose', { size: [2, 2] }), opts), /loose\/stray\.png: is not inside a class folder/);
  write('empty/a/x.png', png(2, 2, [0, 0, 0, 255]));
  mkdirSync(join(dir, 'empty/b'), { recursive: true });
  await rejectsWith(loadDataset(src('images', 'empty', { size: [2, 2] }), opts), /empty\/b: has no PNG or JPEG images/);
  write('single/a/x.png', png(2, 2, [0, 0, 0, 255]));
  await rejectsWith(loadDataset(src('images', 'single', { size: [2, 2] }), opts), /needs at least 2 class sub-folders/);
  await rejectsWith(loadDataset(src('images', 'missing', { size: [2, 2] }), opts), /missing: not found/);
});

test('data outside the workspace is refused, through .. or a symbolic link', async () => {
  const outside = mkdtempSync(join(tmpdir(), 'nnmodel-outside-'));
  try {
    writeFileSync(join(outside, 'secret.csv'), 'a,label\n1,x\n2,y\n');
    const inner = { ...opts, baseDir: join(dir, 'sub'), roots: [join(dir, 'sub')] };
    mkdirSync(join(dir, 'sub'), { recursive: true });
    await rejectsWith(loadDataset(src('csv', `../${outside.split('/').pop()}/secret.csv`, { label: 'label' }), { ...opts, roots: [dir] }), /is outside the folders nnmodel reads data from/);
    symlinkSync(join(outside, 'secret.csv'), join(dir, 'sub', 'link.csv'));
    await rejectsWith(loadDataset(src('csv', 'link.csv', { label: 'label' }), inner), /is outside the folders nnmodel reads data from/);
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------ csv

test('a CSV gives standardised numeric features and sorted classes from the label column', async () => {
  write('t.csv', 'w,"len",name\r\n1,10,b\n3,30,a\n\n5,50,"b"\n');
  const d = await loadDataset(src('csv', 't.csv', { label: 'name' }), opts);
  assert.deepEqual([d.count, d.exampleShape, d.classes], [3, [2], ['a', 'b']]);
  assert.deepEqual(Array.from(d.ys), [1, 0, 1]);
  assert.deepEqual(d.featureStats?.mean, [3, 30]);
  const col0 = [d.xs[0], d.xs[2], d.xs[4]];
  assert.ok(Math.abs(col0.reduce((a, b) => a + b) / 3) < 1e-6, 'mean 0 after scaling');
  assert.ok(Math.abs(col0[2] - Math.sqrt(1.5)) < 1e-5, 'standard deviation 1 after scaling');
  const numeric = await loadDataset(src('csv', 't.csv', { label: 'len' }), { ...opts, loss: 'crossentropy' }).catch((e) => e);
  assert.ok(numeric instanceof DataError && /column 'name' has 'b', not a number/.test(numeric.message));
});

test('CSV labels are values with loss mse, and classes sort numerically when numbers', async () => {
  write('r.csv', 'x,y\n1,2.5\n2,10\n3,-1\n');
  const reg = await loadDataset(src('csv', 'r.csv', { label: 'y' }), { ...opts, loss: 'mse' });
  assert.deepEqual([reg.yDtype, reg.targetShape, Array.from(reg.ys)], ['float32', [1], [2.5, 10, -1]]);
  write('n.csv', 'x,y\n1,10\n2,9\n3,10\n');
  const cls = await loadDataset(src('csv', 'n.csv', { label: 'y' }), opts);
  assert.deepEqual(cls.classes, ['9', '10']);
});

test('CSV problems name the file, line and column', async () => {
  write('e1.csv', 'a,b,label\n1,2,x\n3,oops,y\n');
  const e1 = await loadDataset(src('csv', 'e1.csv', { label: 'label' }), opts).catch((e) => e);
  assert.ok(e1 instanceof DataError);
  assert.match(e1.message, /^e1\.csv:3:2: column 'b' has 'oops', not a number/);
  assert.deepEqual([e1.file, e1.line, e1.column], ['e1.csv', 3, 2]);
  write('e2.csv', 'a,b,label\n1,2,x\n3,4\n');
  await rejectsWith(loadDataset(src('csv', 'e2.csv', { label: 'label' }), opts), /^e2\.csv:3: has 2 fields, but the header has 3 columns/);
  await rejectsWith(loadDataset(src('csv', 'e2.csv', { label: 'species' }), opts), /^e2\.csv:1: has no column 'species' for the label; its columns are a, b, label/);
  write('e3.csv', 'a,label\n1,x\n2,x\n');
  await rejectsWith(loadDataset(src('csv', 'e3.csv', { label: 'label' }), opts), /only one value \('x'\)/);
  write('e4.csv', 'a,label\n1,"x\n');
  await rejectsWith(loadDataset(src('csv', 'e4.csv', { label: 'label' }), opts), /e4\.csv:2: a quoted field is not closed/);
  write('e5.csv', Buffer.from([0x61, 0x2c, 0x62, 0x0a, 0xff, 0xfe, 0x0a]));
  await rejectsWith(loadDataset(src('csv', 'e5.csv', { label: 'b' }), opts), /e5\.csv: is not UTF-8 text/);
});

test('parseCsv keeps quoted commas, doubled quotes and line breaks inside quotes', () => {
  const rows = parseCsv('a,b\n"x, y","say ""hi"""\n"two\nlines",3\n', 'q.csv');
  assert.deepEqual(rows.map((r) => [r.line, r.fields]), [
    [1, ['a', 'b']],
    [2, ['x, y', 'say "hi"']],
    [3, ['two\nlines', '3']],
  ]);
});

// ------------------------------------------------------------------ text

test('text windows predict the next token at every position, with a rebuildable tokeniser', async () => {
  write('t.txt', 'abcabcabd');
  const d = await loadDataset(src('text', 't.txt', { tokenizer: 'char', context: 4 }), opts);
  assert.deepEqual([d.count, d.exampleShape, d.targetShape], [5, [4], [4]]);
  const tok = tokenizerFromSpec(d.tokenizer!);
  assert.equal(tok.decode(Array.from(d.xs.subarray(0, 4))), 'abca');
  assert.equal(tok.decode(Array.from(d.ys.subarray(0, 4))), 'bcab');
  assert.equal(tok.decode(Array.from(d.ys.subarray(16, 20))), 'cabd');
  assert.equal(d.classes.length, tok.vocabSize);
  const w = await loadDataset(src('text', 't.txt', { tokenizer: 'bpe', context: 2, vocab: 7 }), opts);
  const bpe = tokenizerFromSpec(w.tokenizer!);
  assert.ok(bpe.vocabSize <= 7 && bpe.vocabSize > 4, 'some merges learned');
  assert.equal(w.ys[0], w.xs[1], 'the target is the input one token later');
  assert.equal(bpe.decode(Array.from(w.xs.subarray(0, 2))), bpe.decode(bpe.encode('abcabcabd').slice(0, 2)));
  const words = await loadDataset(src('text', 't.txt', { tokenizer: 'word', context: 1 }), { ...opts }).catch((e) => e);
  assert.ok(words instanceof DataError && /has 1 token, fewer than context \+ 1 = 2/.test(words.message));
});

test('text windows are held out from the end of the text, none sharing a token with a training window', async () => {
  // 400 100 characters: more positions than MAX_TEXT_WINDOWS, so windows start every `stride` tokens.
  let body = '';
  for (let i = 0; body.length < 400_100; i++) body += String.fromCharCode(97 + ((i * 7919) % 26));
  write('long.txt', body.slice(0, 400_100));
  const T = 8;
  const d = await loadDataset(src('text', 'long.txt', { tokenizer: 'char', context: T }), opts);
  const stride = Math.ceil((400_100 - T) / MAX_TEXT_WINDOWS);
  assert.equal(stride, 3);
  assert.equal(d.count, Math.ceil((400_100 - T) / stride));
  assert.deepEqual(d.windows, { overlap: Math.floor(T / stride) + 1 });
  const tok = tokenizerFromSpec(d.tokenizer!);
  // Window i starts at token i·stride: its tokens are i·stride … i·stride + T (the target reaches one further).
  for (const i of [0, 1, 1000, d.count - 1]) assert.equal(tok.decode(Array.from(d.xs.subarray(i * T, i * T + T))), body.slice(i * stride, i * stride + T));
  const split = dataSplit(d, 0.1, 1);
  assert.equal(split.validation.length, Math.round(d.count * 0.1));
  const lastTrained = Math.max(...split.train) * stride + T;
  const firstHeld = Math.min(...split.validation) * stride;
  assert.ok(lastTrained < firstHeld, `training tokens end at ${lastTrained}, validation starts at ${firstHeld}`);
  assert.equal(firstHeld - lastTrained, 1, 'only the windows that share tokens are left out');
  assert.equal(split.train.length + split.validation.length, d.count - (d.windows!.overlap - 1));
  assert.equal(
    windowsSplitNote(d, 0.1),
    `validation: the last ${split.validation.length} windows of long.txt; the 2 windows before them share tokens with those and are left out of training`,
  );
  assert.equal(windowsSplitNote(d, 0), undefined, 'nothing held out, nothing to say');
  // What a run's start counts: the windows trained on and those validating, not the 2 left out between.
  assert.deepEqual(splitCounts(d, { validation: 0.1, loss: 'crossentropy' }), { train: split.train.length, validation: split.validation.length });
  assert.equal(splitCounts(d, { validation: 0.1, loss: 'crossentropy' }).train, d.count - split.validation.length - 2);
  assert.deepEqual(splitCounts(d, { validation: 0, loss: 'crossentropy' }), { train: d.count, validation: 0 });

  // At every position: a short text has no window left for training, and says why.
  write('t.txt', 'abcabcabd');
  const short = await loadDataset(src('text', 't.txt', { tokenizer: 'char', context: 4 }), opts);
  assert.equal(dataSplit(short, 0.1, 1).train.length, 0);
  assert.match(noTrainingLeft(short, 0.1), /t\.txt has no windows left for training: 5 windows, of which the last 1 are held out .* the 4 windows before them share tokens/);
});

test('decodeImage reads a PNG by signature, whatever its name', () => {
  const img = decodeImage(png(3, 2, [10, 20, 30, 255]), 'x.png');
  assert.deepEqual([img.width, img.height, Array.from(img.data.subarray(0, 4))], [3, 2, [10, 20, 30, 255]]);
});

test('fewer classes than the model outputs: a warning for image folders and CSV labels, none when they match or for text', async () => {
  const { unlabelledOutputsWarning } = await import('../../extension/core/runtime/dataFit');
  const { analyze } = await import('../../extension/core/analysis/analyze');
  const a = analyze(`model P {
  input x: [4]
  output x -> dense(5) -> softmax
}
train P {
  data: csv("f.csv", label = "kind")
}
`);
  const model = a.models[0];
  const config = a.trains[0].config;
  const csv = { source: 'f.csv', classes: ['a', 'b', 'c'], targetShape: [] };
  assert.equal(
    unlabelledOutputsWarning(model, csv, config),
    "3 classes in f.csv but 'P' outputs 5 values: the 2 extra outputs never get a label. End the model with dense(3), or check the label column.",
  );
  const images = { ...config, data: { kind: 'images' as const, path: 'pics', options: {} } };
  assert.equal(
    unlabelledOutputsWarning(model, { ...csv, source: 'pics', classes: ['a', 'b', 'c', 'd'] }, images),
    "4 classes in pics but 'P' outputs 5 values: the extra output never gets a label. End the model with dense(4), or add a class folder.",
  );
  assert.equal(unlabelledOutputsWarning(model, { ...csv, classes: ['a', 'b', 'c', 'd', 'e'] }, config), undefined, 'as many classes as outputs');
  assert.equal(unlabelledOutputsWarning(model, csv, { ...config, loss: 'mse' }), undefined, 'not a classifier');
  const text = { ...config, data: { kind: 'text' as const, path: 't.txt', options: {} } };
  assert.equal(unlabelledOutputsWarning(model, { source: 't.txt', classes: ['<unk>', 'a'], targetShape: [4] }, text), undefined, 'a vocabulary larger than the text is usual');
});

test("splitCounts: a run's training and validation examples, as its split makes them", () => {
  // Examples apart from one another: every one is in one part or the other.
  assert.deepEqual(splitCounts({ count: 400 }, { validation: 0.25, loss: 'crossentropy' }), { train: 300, validation: 100 });
  assert.deepEqual(splitCounts({ count: 10 }, { validation: 0.01, loss: 'mse' }), { train: 9, validation: 1 }, 'at least one held out');
  // A GAN trains on every example and validates none (runtime/gan.ts).
  assert.deepEqual(splitCounts({ count: 64 }, { validation: 0.1, loss: 'adversarial' }), { train: 64, validation: 0 });
  // Windows of a text: the last ones validate, the overlap − 1 before them are in neither.
  assert.deepEqual(splitCounts({ count: 100, windows: { overlap: 4 } }, { validation: 0.1, loss: 'crossentropy' }), { train: 87, validation: 10 });
});
