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
