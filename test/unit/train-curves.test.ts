import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrainingCurves, MAX_BATCH_POINTS } from '../../webview/training/curves';
import { parseHostMessage, parseWebviewMessage } from '../../extension/core/protocol';
import { parseHostToJob } from '../../extension/core/runtime/jobProtocol';

test('curves place batches at fractional epochs and epoch figures at whole ones', () => {
  const c = new TrainingCurves();
  c.apply(1, 'M', { kind: 'start', epochs: 2, examples: 100, backend: 'wasm', source: 'digits' });
  c.apply(1, 'M', { kind: 'batch', epoch: 1, batch: 1, batches: 2, loss: 2 });
  c.apply(1, 'M', { kind: 'batch', epoch: 1, batch: 2, batches: 2, loss: 1.5 });
  c.apply(1, 'M', { kind: 'epoch', epoch: 1, loss: 1.7, metrics: { accuracy: 0.4 }, valLoss: 1.6, valMetrics: { accuracy: 0.5 }, ms: 100, examples: 90 });
  const [x, batch, epoch, val] = c.lossSeries();
  assert.deepEqual(x, [0.5, 1, 1]);
  assert.deepEqual(batch, [2, 1.5, null]);
  assert.deepEqual(epoch, [null, null, 1.7]);
  assert.deepEqual(val, [null, null, 1.6]);
  assert.deepEqual(c.metricSeries(), [[1], [0.4], [0.5]]);
  c.apply(1, 'M', { kind: 'done', status: 'cancelled' });
  assert.equal(c.status, 'cancelled');
  // A new run starts afresh; an older run's late events are ignored.
  c.apply(2, 'M', { kind: 'start', epochs: 1, examples: 10, backend: 'cpu', source: 'x' });
  assert.equal(c.apply(1, 'M', { kind: 'batch', epoch: 2, batch: 1, batches: 2, loss: 9 }), false);
  assert.deepEqual(c.lossSeries()[0], []);
});

test('batch points are thinned beyond the limit, keeping their span', () => {
  const c = new TrainingCurves();
  for (let i = 1; i <= MAX_BATCH_POINTS * 2; i++) c.apply(1, 'M', { kind: 'batch', epoch: 1, batch: i, batches: MAX_BATCH_POINTS * 2, loss: i });
  assert.ok(c.batchX.length <= MAX_BATCH_POINTS);
  assert.ok(c.batchX[c.batchX.length - 1] > 0.99);
  assert.ok(c.batchX[0] < 0.01);
});

test('training events and weights messages pass validation; malformed ones do not', () => {
  const ok = { type: 'trainEvent', uri: 'file:///a', version: 3, model: 'M', run: 1, event: { kind: 'epoch', epoch: 1, loss: 1, metrics: { accuracy: 0.5 }, ms: 10, examples: 5 } };
  assert.deepEqual(parseWebviewMessage(ok), ok);
  assert.equal(parseWebviewMessage({ ...ok, event: { kind: 'epoch', epoch: 1, loss: 1, metrics: { accuracy: 'x' }, ms: 10, examples: 5 } }), undefined);
  assert.equal(parseWebviewMessage({ ...ok, event: { kind: 'explode' } }), undefined);
  assert.equal(parseWebviewMessage({ ...ok, version: undefined }), undefined, 'events carry the document version');
  const w = { type: 'weights', uri: 'file:///a', model: 'M', epoch: 2, modelJson: '{}', weights: new Uint8Array(4) };
  assert.deepEqual(parseHostMessage(w), w);
  assert.deepEqual(parseHostMessage({ ...w, from: '.nnmodel/a/M' }), { ...w, from: '.nnmodel/a/M' });
  assert.equal(parseHostMessage({ ...w, weights: [1, 2] }), undefined);
  assert.equal(parseHostMessage({ type: 'training', uri: 'file:///a', model: 'M', run: 1, event: ok.event }), undefined, 'the page draws its own runs now');
});

test('job requests from the host are validated', () => {
  const request = { file: '/w/a.nnmodel', roots: ['/w'], backend: 'wasm' };
  assert.deepEqual(parseHostToJob({ type: 'run', command: 'evaluate', request }), { type: 'run', command: 'evaluate', request });
  assert.equal(parseHostToJob({ type: 'run', command: 'train', request }), undefined, 'training runs in the inspector, not in a job');
  assert.deepEqual(parseHostToJob({ type: 'stop' }), { type: 'stop' });
  assert.equal(parseHostToJob({ type: 'run', command: 'evaluate', request: { ...request, backend: 'webgl' } }), undefined);
  assert.equal(parseHostToJob({ type: 'run', command: 'generate', request }), undefined, 'generate needs its options');
  assert.equal(parseHostToJob({ type: 'run', command: 'rm -rf', request }), undefined);
});
