// The feature maps view's image picker without the DOM (webview/views/featureMapsModel.ts): it names the image
// the maps are drawn for, never the placeholder "Sample image…" while a sample or a file is shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleImages } from '../../extension/core/runtime/data/synthetic';
import { NO_IMAGE, OTHER_IMAGE, pickerState } from '../../webview/views/featureMapsModel';

const samples = sampleImages().map((s) => s.name);

test('the start sample (a digit for a grey input) is the selected option, not the placeholder', () => {
  assert.ok(samples.includes('digit 0'), `the samples include digit 0: ${samples.join(', ')}`);
  const state = pickerState(samples, 'digit 0');
  assert.equal(state.value, 'digit 0');
  assert.deepEqual(
    state.options.map((o) => o.text),
    samples,
    'one option per sample, no placeholder once an image is shown',
  );
  assert.equal(state.options.find((o) => o.value === state.value)?.text, 'digit 0');
});

test('a file from the workspace gets an option of its own, selected, before the samples', () => {
  const state = pickerState(samples, 'photos/cat.png');
  assert.equal(state.value, `${OTHER_IMAGE}photos/cat.png`);
  assert.deepEqual(state.options[0], { value: `${OTHER_IMAGE}photos/cat.png`, text: 'photos/cat.png' });
  assert.deepEqual(state.options.slice(1).map((o) => o.value), samples);
});

test('the placeholder only while no image is shown', () => {
  for (const none of [undefined, '']) {
    const state = pickerState(samples, none);
    assert.equal(state.value, NO_IMAGE);
    assert.equal(state.options[0].text, 'Sample image…');
    assert.equal(state.options.length, samples.length + 1);
  }
});
