// The Feature maps status names the values a model's symbolic dimensions ran
// at (webview/views/featureMapsModel.ts `runDimsText`): with
// `input image: [h, w, 3]` the picked image is resized to them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDimsText } from '../../webview/views/featureMapsModel';

test('symbolic dimensions are listed with their values, in the order the session gave them', () => {
  assert.equal(runDimsText({ h: 16, w: 16 }), 'h = 16, w = 16');
  assert.equal(runDimsText({ seq: 32 }), 'seq = 32');
});

test('a model without symbolic dimensions says nothing', () => {
  assert.equal(runDimsText({}), '');
});

test('with their sources: said once when all share one, after each when they differ', () => {
  assert.equal(runDimsText({ h: 40, w: 24 }, { h: 'setting', w: 'setting' }), 'h = 40, w = 24 (nnmodel.dimensions)');
  assert.equal(runDimsText({ h: 16, w: 16 }, { h: 'sample', w: 'sample' }), 'h = 16, w = 16 (sample size)');
  assert.equal(runDimsText({ h: 32, w: 16 }, { h: 'trained', w: 'sample' }), 'h = 32 (trained), w = 16 (sample size)');
  assert.equal(runDimsText({ seq: 64 }, { seq: 'train' }), 'seq = 64 (train section)');
  assert.equal(runDimsText({}, {}), '');
});
