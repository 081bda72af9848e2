// The inspector runs a model with symbolic dimensions at the sizes the editor's hovers and summary use (the
// setting nnmodel.dimensions, else its train section's data): it ran them at 16 whatever the setting said.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { dimSizes } from '../../extension/core/analysis/sizes';
import { modelMessage } from '../../extension/vscode/inspector/messages';
import { parseHostMessage } from '../../extension/core/protocol';
import { MAX_GIVEN_MACS, ModelSession, SAMPLE_DIM } from '../../webview/host/session';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

const CNN = `model Cnn {
  input image: [h, w, 3]
  output image -> conv2d(4, 3, padding = same) -> relu -> global_avgpool -> dense(2) -> softmax
}
`;

test('the session runs symbolic sizes at the given ones, after those trained weights fix, and at 16 without either', () => {
  const info = analyze(CNN).models[0];
  const plain = ModelSession.create(tf, info, { seed: 1 });
  assert.deepEqual(plain.dims, { h: SAMPLE_DIM, w: SAMPLE_DIM });
  plain.dispose();
  assert.deepEqual(plain.dimSources, { h: 'sample', w: 'sample' });
  const given = ModelSession.create(tf, info, { seed: 1, givenDims: { h: 40, w: 24 }, givenSources: { h: 'given', w: 'train' } });
  assert.deepEqual(given.dims, { h: 40, w: 24 });
  assert.deepEqual(given.dimSources, { h: 'setting', w: 'train' });
  const [x] = given.sampleInputs();
  assert.deepEqual(x.shape, [1, 40, 24, 3], 'the sample input has the given size');
  x.dispose();
  given.dispose();
  // Trained at 8 × 8 (the checkpoint's example shape) a model whose weights depend on the size: the trained size wins, the weights fit.
  const flat = analyze('model Flat {\n  input image: [h, w, 1]\n  output image -> flatten -> dense(2)\n}\n').models[0];
  const trained = ModelSession.create(tf, flat, { seed: 1, exampleShape: [8, 8, 1], givenDims: { h: 40 } });
  assert.deepEqual(trained.dims, { h: 8, w: 8 });
  assert.deepEqual(trained.dimSources, { h: 'trained', w: 'trained' });
  trained.dispose();
});

test('given sizes too large to run here fall back to the sample size rather than refusing the model', () => {
  const info = analyze(CNN).models[0];
  const s = ModelSession.create(tf, info, { seed: 1, givenDims: { h: 100_000, w: 100_000 } });
  assert.deepEqual(s.dims, { h: SAMPLE_DIM, w: SAMPLE_DIM });
  s.dispose();
});

test('the host sends the sizes with the model; malformed ones are dropped by the page', () => {
  const a = analyze(CNN);
  const sizes = dimSizes(a.models[0], a.trains, { h: 64, w: 48 });
  const msg = { ...modelMessage(a, a.models[0], 'file:///c.nnmodel', 3), dims: sizes.values, dimSources: sizes.from };
  const parsed = parseHostMessage(JSON.parse(JSON.stringify(msg)));
  assert.ok(parsed && parsed.type === 'model');
  assert.deepEqual(parsed.dims, { h: 64, w: 48 });
  assert.deepEqual(parsed.dimSources, { h: 'given', w: 'given' });
  const badSources = parseHostMessage(JSON.parse(JSON.stringify({ ...msg, dimSources: { h: 'elsewhere' } })));
  assert.ok(badSources && badSources.type === 'model' && badSources.dimSources === undefined && badSources.dims !== undefined);
  const bad = parseHostMessage(JSON.parse(JSON.stringify({ ...msg, dims: { h: 0, w: 'x' } })));
  assert.ok(bad && bad.type === 'model', 'the model still arrives');
  assert.equal(bad.dims, undefined);
});

test('given sizes that would make a forward pass too slow here (seq = 1024 for a hover\'s figures) are not used', () => {
  // 8.9M multiply-adds per position: 9.1G at seq = 1024, 178M at seq = 20.
  const gpt = analyze(`model Lm {
  input tokens: int[seq]
  output tokens -> embedding(1000, 256) -> dense(16384) -> gelu -> dense(256) -> dense(1000) -> softmax
}
`);
  assert.deepEqual(gpt.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const info = gpt.models[0];
  assert.ok(info.macs.evaluate({ seq: 1024 })! > MAX_GIVEN_MACS, 'the case is one');
  const s = ModelSession.create(tf, info, { seed: 1, givenDims: { seq: 1024 } });
  assert.deepEqual(s.dims, { seq: SAMPLE_DIM });
  s.dispose();
  const small = ModelSession.create(tf, info, { seed: 1, givenDims: { seq: 20 } });
  assert.deepEqual(small.dims, { seq: 20 });
  small.dispose();
});
