// Feature maps start on an image like the model's data and offer its training
// images: the default image (webview/views/featureMapsModel.ts), the picker's
// options, the host's listing of an images(...) folder
// (extension/vscode/inspector/trainImages.ts) and the messages between them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleImages } from '../../extension/core/runtime/data/synthetic';
import { parseHostMessage, parseWebviewMessage } from '../../extension/core/protocol';
import { listTrainImages } from '../../extension/vscode/inspector/trainImages';
import { TRAIN_IMAGE, defaultImage, pickerState } from '../../webview/views/featureMapsModel';

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

test('the host lists the first images of each class in turn, inside the workspace only', () => {
  const ws = mkdtempSync(join(tmpdir(), 'nnmodel-train-images-'));
  try {
    for (const c of ['stripes', 'dots']) {
      mkdirSync(join(ws, 'data', c), { recursive: true });
      for (let i = 0; i < 12; i++) writeFileSync(join(ws, 'data', c, `${String(i).padStart(2, '0')}.png`), '');
      writeFileSync(join(ws, 'data', c, 'notes.txt'), '');
    }
    mkdirSync(join(ws, 'data', '.hidden'));
    writeFileSync(join(ws, 'data', '.hidden', 'x.png'), '');
    const files = listTrainImages(ws, 'data', [ws]);
    assert.deepEqual(files.slice(0, 4), ['data/dots/00.png', 'data/stripes/00.png', 'data/dots/01.png', 'data/stripes/01.png']);
    assert.equal(files.length, 16, '8 of each class');
    assert.ok(files.every((f) => f.endsWith('.png') && !f.includes('.hidden')));
    // Missing, or outside the workspace (through a link): nothing.
    assert.deepEqual(listTrainImages(ws, 'nope', [ws]), []);
    const outside = mkdtempSync(join(tmpdir(), 'nnmodel-outside-'));
    mkdirSync(join(outside, 'a'));
    writeFileSync(join(outside, 'a', 'x.png'), '');
    symlinkSync(outside, join(ws, 'link'));
    assert.deepEqual(listTrainImages(ws, 'link', [ws]), []);
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
