// Feature maps start on an image like the model's data and offer its training
// images: the default image (webview/views/featureMapsModel.ts), the picker's
// options, the host's listing of an images(...) folder
// (extension/vscode/inspector/trainImages.ts) and the messages between them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, win32 } from 'node:path';
import { sampleImages } from '../../extension/core/runtime/data/synthetic';
import { isInside } from '../../extension/core/runtime/data/files';
import { forPostMessage, parseHostMessage, parseWebviewMessage } from '../../extension/core/protocol';
import {
  TRAIN_IMAGES_MAX,
  TRAIN_IMAGES_PER_CLASS,
  clearTrainImageListings,
  documentFolder,
  listTrainImages,
  nodeTrainImagesFs,
  readTrainImage,
  trainImagePath,
  type TrainImagesFs,
} from '../../extension/vscode/inspector/trainImages';
import { TRAIN_IMAGE, defaultImage, lateStartImage, pickerState } from '../../webview/views/featureMapsModel';

const samples = sampleImages();
const channelsOf = (name: string) => samples.find((s) => s.name === name)!.channels;

test('a colour model starts on a colour sample, a grey one on a grey sample', () => {
  assert.equal(channelsOf(defaultImage(samples, 3).sample), 3);
  assert.equal(channelsOf(defaultImage(samples, 1).sample), 1);
  assert.equal(channelsOf(defaultImage(samples, 3, { kind: 'shapes' }).sample), 3);
  assert.equal(defaultImage(samples, 3, { kind: 'shapes' }).file, undefined);
});

test('a model trained on images(...) starts on its first training image, with a fitting sample meanwhile', () => {
  const start = defaultImage(samples, 3, { kind: 'images', images: ['pics/dots/a.png', 'pics/stripes/a.png'] });
  assert.equal(start.file, 'pics/dots/a.png');
  assert.equal(channelsOf(start.sample), 3);
  // No image listed (folder missing or untrusted): the sample alone.
  assert.deepEqual(Object.keys(defaultImage(samples, 3, { kind: 'images' })), ['sample']);
});

test('training images listed after the maps were drawn: the first is asked for only while the starting sample is still shown', () => {
  const waiting = { key: 'file:///a.nnmodel#PicNet', sample: 'red square' };
  const data = { kind: 'images', images: ['pics/dots/a.png', 'pics/stripes/a.png'] };
  assert.equal(lateStartImage(waiting, waiting.key, 'red square', data), 'pics/dots/a.png');
  // The user picked another image meanwhile, another model is shown, nothing was waiting, or no image was listed.
  assert.equal(lateStartImage(waiting, waiting.key, 'face.png', data), undefined);
  assert.equal(lateStartImage(waiting, 'file:///a.nnmodel#Other', 'red square', data), undefined);
  assert.equal(lateStartImage(undefined, waiting.key, 'red square', data), undefined);
  assert.equal(lateStartImage(waiting, waiting.key, 'red square', { kind: 'images', images: [] }), undefined);
  assert.equal(lateStartImage(waiting, waiting.key, 'red square', { kind: 'images' }), undefined);
});

test('the picker lists the training images after the samples and selects the one shown', () => {
  const names = samples.map((s) => s.name);
  const files = ['pics/dots/a.png', 'pics/stripes/a.png'];
  const state = pickerState(names, 'pics/stripes/a.png', files);
  assert.equal(state.value, `${TRAIN_IMAGE}pics/stripes/a.png`);
  assert.deepEqual(state.options.map((o) => o.text), [...names, ...files]);
  assert.equal(state.options.filter((o) => o.value === state.value).length, 1);
  // A sample shown: the training images are still offered.
  assert.deepEqual(pickerState(names, names[0], files).options.slice(-2).map((o) => o.value), files.map((f) => TRAIN_IMAGE + f));
});

test('the host lists the first images of each class in turn, inside the workspace only', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'nnmodel-train-images-'));
  try {
    for (const c of ['stripes', 'dots']) {
      mkdirSync(join(ws, 'data', c), { recursive: true });
      for (let i = 0; i < 12; i++) writeFileSync(join(ws, 'data', c, `${String(i).padStart(2, '0')}.png`), '');
      writeFileSync(join(ws, 'data', c, 'notes.txt'), '');
    }
    mkdirSync(join(ws, 'data', '.hidden'));
    writeFileSync(join(ws, 'data', '.hidden', 'x.png'), '');
    const files = await listTrainImages(ws, 'data', [ws]);
    // Classes in turn, in training's (code-point) order; within a class, the images read, sorted as training sorts them.
    assert.deepEqual(files.slice(0, 4).map((f) => f.split('/')[1]), ['dots', 'stripes', 'dots', 'stripes']);
    for (const c of ['dots', 'stripes']) {
      const mine = files.filter((f) => f.startsWith(`data/${c}/`));
      assert.deepEqual(mine, [...mine].sort());
    }
    assert.equal(files.length, 16, '8 of each class');
    assert.ok(files.every((f) => f.endsWith('.png') && !f.includes('.hidden')));
    // Missing, or outside the workspace (through a link): nothing.
    assert.deepEqual(await listTrainImages(ws, 'nope', [ws]), []);
    const outside = mkdtempSync(join(tmpdir(), 'nnmodel-outside-'));
    mkdirSync(join(outside, 'a'));
    writeFileSync(join(outside, 'a', 'x.png'), '');
    symlinkSync(outside, join(ws, 'link'));
    assert.deepEqual(await listTrainImages(ws, 'link', [ws]), []);
    rmSync(outside, { recursive: true, force: true });
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('the model message carries the training data; a malformed one is dropped, the model kept', () => {
  const base = { type: 'model', uri: 'file:///a.nnmodel', version: 1, model: { graph: { nodes: [] } }, models: ['M'], rows: [], diagnostics: [], seed: 1 };
  const ok = parseHostMessage({ ...base, trainData: { kind: 'images', images: ['d/a/1.png'] } });
  assert.deepEqual(ok && ok.type === 'model' && ok.trainData, { kind: 'images', images: ['d/a/1.png'] });
  const bad = parseHostMessage({ ...base, trainData: { kind: 'images', images: [3] } });
  assert.ok(bad && bad.type === 'model' && !('trainData' in bad));
  assert.deepEqual(parseWebviewMessage({ type: 'openImage', uri: 'file:///a.nnmodel', path: 'd/a/1.png' }), { type: 'openImage', uri: 'file:///a.nnmodel', path: 'd/a/1.png' });
  assert.equal(parseWebviewMessage({ type: 'openImage', uri: 'file:///a.nnmodel' }), undefined);
});

// ------------------------------------------------------------------ asynchronous, bounded, cached listing

/** The node file access, counting the directory entries read in each folder and the folders opened. */
function countingFs(): { fs: TrainImagesFs; entries: Map<string, number>; opened: string[] } {
  const entries = new Map<string, number>();
  const opened: string[] = [];
  const fs: TrainImagesFs = {
    ...nodeTrainImagesFs,
    async opendir(p) {
      opened.push(p);
      const dir = await nodeTrainImagesFs.opendir(p);
      return {
        async *[Symbol.asyncIterator]() {
          for await (const e of dir) {
            entries.set(p, (entries.get(p) ?? 0) + 1);
            yield e;
          }
        },
      };
    },
  };
  return { fs, entries, opened };
}

function imageFolder(classes: number, perClass: number): { ws: string; classNames: string[] } {
  const ws = mkdtempSync(join(tmpdir(), 'nnmodel-train-images-'));
  const classNames = Array.from({ length: classes }, (_, c) => `class${c}`);
  for (const c of classNames) {
    mkdirSync(join(ws, 'data', c), { recursive: true });
    for (let i = 0; i < perClass; i++) writeFileSync(join(ws, 'data', c, `${String(i).padStart(5, '0')}.png`), '');
  }
  return { ws, classNames };
}

test('the listing is asynchronous and reads each class folder only until it has the images it needs', async () => {
  clearTrainImageListings();
  const { ws, classNames } = imageFolder(10, 2000);
  try {
    const { fs, entries } = countingFs();
    const pending = listTrainImages(ws, 'data', [ws], { fs });
    assert.ok(pending instanceof Promise);
    // The event loop runs while the folders are read: the listing does not block the extension host.
    let ticked = false;
    setImmediate(() => (ticked = true));
    const files = await pending;
    assert.ok(ticked, 'a callback ran before the listing finished');
    assert.equal(files.length, TRAIN_IMAGES_MAX);
    // 10 classes share the 48 images: 5 each are read, never the 2000 files of a folder.
    const need = Math.ceil(TRAIN_IMAGES_MAX / classNames.length);
    for (const c of classNames) assert.equal(entries.get(join(ws, 'data', c).replace(/\\/g, '/')), need, `entries read in ${c}`);
    assert.equal(files.filter((f) => f.startsWith('data/class0/')).length, need);
    // Few classes: at most TRAIN_IMAGES_PER_CLASS each.
    const two = imageFolder(2, 500);
    try {
      const counted = countingFs();
      const listed = await listTrainImages(two.ws, 'data', [two.ws], { fs: counted.fs });
      assert.equal(listed.length, 2 * TRAIN_IMAGES_PER_CLASS);
      for (const c of two.classNames) assert.equal(counted.entries.get(`${two.ws}/data/${c}`), TRAIN_IMAGES_PER_CLASS);
    } finally {
      rmSync(two.ws, { recursive: true, force: true });
    }
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a folder listing is reused until the folder or a class folder changes', async () => {
  clearTrainImageListings();
  const { ws } = imageFolder(2, 3);
  try {
    const first = countingFs();
    const files = await listTrainImages(ws, 'data', [ws], { fs: first.fs });
    assert.equal(files.length, 6);
    assert.ok(first.opened.length > 0);
    // Unchanged: no folder is read again (a few stats only).
    const again = countingFs();
    assert.deepEqual(await listTrainImages(ws, 'data', [ws], { fs: again.fs }), files);
    assert.deepEqual(again.opened, []);
    // A new image in a class folder changes its modification time: listed again, the new image with it.
    await new Promise((r) => setTimeout(r, 30));
    writeFileSync(join(ws, 'data', 'class1', '00000a.png'), '');
    const changed = countingFs();
    const relisted = await listTrainImages(ws, 'data', [ws], { fs: changed.fs });
    assert.ok(changed.opened.length > 0);
    assert.ok(relisted.includes('data/class1/00000a.png'), relisted.join(', '));
    // A class removed.
    await new Promise((r) => setTimeout(r, 30));
    rmSync(join(ws, 'data', 'class0'), { recursive: true });
    assert.ok((await listTrainImages(ws, 'data', [ws])).every((f) => f.startsWith('data/class1/')));
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a listing is cancelled when its signal aborts', async () => {
  clearTrainImageListings();
  const { ws } = imageFolder(3, 20);
  try {
    const abort = new AbortController();
    const { fs } = countingFs();
    const cancelling: TrainImagesFs = {
      ...fs,
      async opendir(p) {
        // Aborted as soon as a class folder is opened (the model changed meanwhile).
        if (p.includes('/class')) abort.abort();
        return fs.opendir(p);
      },
    };
    await assert.rejects(listTrainImages(ws, 'data', [ws], { fs: cancelling, signal: abort.signal }), { name: 'AbortError' });
    // Nothing half-listed was kept: a later listing reads the folders.
    const later = countingFs();
    assert.equal((await listTrainImages(ws, 'data', [ws], { fs: later.fs })).length, 3 * TRAIN_IMAGES_PER_CLASS);
    assert.ok(later.opened.length > 0);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------ Windows paths

test('Windows paths: the document folder and the image paths resolve with backslashes', () => {
  const doc = 'C:\\Users\\ann\\ws\\models\\pic.nnmodel';
  const dir = documentFolder(doc, win32);
  assert.equal(dir, 'C:\\Users\\ann\\ws\\models');
  const file = trainImagePath(dir, 'pics/dots/a.png');
  assert.equal(file, 'C:/Users/ann/ws/models/pics/dots/a.png');
  assert.ok(isInside(file, 'C:\\Users\\ann\\ws'), 'inside the workspace folder');
  assert.equal(trainImagePath(dir, '..\\shared\\pics/a.png'), 'C:/Users/ann/ws/shared/pics/a.png');
  // POSIX paths as before.
  assert.equal(documentFolder('/home/ann/ws/pic.nnmodel'), '/home/ann/ws');
  assert.equal(trainImagePath('/home/ann/ws', 'pics/dots/a.png'), '/home/ann/ws/pics/dots/a.png');
});

// ------------------------------------------------------------------ links at read time

test('an image is read only when its real path at read time is inside the workspace', async () => {
  clearTrainImageListings();
  const ws = mkdtempSync(join(tmpdir(), 'nnmodel-train-images-'));
  const outside = mkdtempSync(join(tmpdir(), 'nnmodel-outside-'));
  try {
    for (const c of ['dots', 'stripes']) {
      mkdirSync(join(ws, 'data', c), { recursive: true });
      writeFileSync(join(ws, 'data', c, 'a.png'), `inside ${c}`);
    }
    mkdirSync(join(outside, 'stripes'));
    writeFileSync(join(outside, 'stripes', 'a.png'), 'secret');
    writeFileSync(join(outside, 'secret.png'), 'secret');
    writeFileSync(join(ws, 'elsewhere.png'), 'inside, linked');
    // A linked image leading outside is not offered; one leading inside is.
    symlinkSync(join(outside, 'secret.png'), join(ws, 'data', 'dots', 'b.png'));
    symlinkSync(join(ws, 'elsewhere.png'), join(ws, 'data', 'dots', 'c.png'));
    const files = await listTrainImages(ws, 'data', [ws]);
    assert.deepEqual(files, ['data/dots/a.png', 'data/stripes/a.png', 'data/dots/c.png']);
    assert.equal(Buffer.from(await readTrainImage(ws, 'data/dots/a.png', [ws], 1024)).toString(), 'inside dots');
    assert.equal(Buffer.from(await readTrainImage(ws, 'data/dots/c.png', [ws], 1024)).toString(), 'inside, linked');
    // Read time: the link is refused even when asked for directly.
    await assert.rejects(readTrainImage(ws, 'data/dots/b.png', [ws], 1024), /data\/dots\/b\.png leads outside the workspace/);
    // A class folder re-linked outside after the listing: its image, offered, is refused when read.
    rmSync(join(ws, 'data', 'stripes'), { recursive: true });
    symlinkSync(join(outside, 'stripes'), join(ws, 'data', 'stripes'));
    await assert.rejects(readTrainImage(ws, 'data/stripes/a.png', [ws], 1024), /leads outside the workspace/);
    // Too large, missing, a folder: clear errors.
    await assert.rejects(readTrainImage(ws, 'data/dots/a.png', [ws], 4), /larger than/);
    await assert.rejects(readTrainImage(ws, 'data/dots/zz.png', [ws], 1024), /data\/dots\/zz\.png was not found/);
    await assert.rejects(readTrainImage(ws, 'data/dots', [ws], 1024), /is not a file/);
    // Switched between the check and the opening: the file opened is not the one found inside, so it is not read.
    const swapped: TrainImagesFs = { ...nodeTrainImagesFs, open: () => nodeTrainImagesFs.open(join(outside, 'secret.png')) };
    await assert.rejects(readTrainImage(ws, 'data/dots/a.png', [ws], 1024, swapped), /changed while it was being read/);
    unlinkSync(join(ws, 'data', 'dots', 'b.png'));
  } finally {
    rmSync(ws, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('the training images listed after the model message travel as a trainImages message', () => {
  const msg = { type: 'trainImages', uri: 'file:///a.nnmodel', model: 'M', images: ['d/a/1.png'] } as const;
  assert.deepEqual(parseHostMessage(forPostMessage({ ...msg, images: [...msg.images] })), msg);
  assert.equal(parseHostMessage({ ...msg, images: [1] }), undefined);
  assert.equal(parseHostMessage({ ...msg, model: undefined }), undefined);
});
