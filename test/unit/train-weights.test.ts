// Trained weights in the inspector (webview/training/weights.ts) and when the Training tab counts them as new
// (webview/training/curves.ts ShownOrder): a weights message loaded again is new even when it is the same
// checkpoint, while the sessions rebuilt from one message (one per edit) are not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { reviveModel, serializeModel, type WeightsMessage } from '../../extension/core/protocol';
import { encodeCheckpoint } from '../../extension/core/runtime/checkpoint';
import type { EpochLogs } from '../../extension/core/runtime/train';
import { ModelSession } from '../../webview/host/session';
import { chooseShown, ShownOrder, TrainingCurves, type LoadedWeights } from '../../webview/training/curves';
import { appliedText, TrainedWeights, type AppliedWeights } from '../../webview/training/weights';

const TEXT = `model M {
  input x: [4]
  output x -> dense(3) -> relu -> dense(2)
}
`;

function session(seed: number): ModelSession {
  const a = analyze(TEXT);
  assert.equal(a.diagnostics.filter((d) => d.severity === 'error').length, 0, JSON.stringify(a.diagnostics));
  return ModelSession.create(tf, reviveModel(JSON.parse(JSON.stringify(serializeModel(a.models[0])))), { seed });
}

const entry = (epoch: number, loss: number): EpochLogs => ({ epoch, epochs: epoch, loss, metrics: {}, examples: 8, ms: 1 });

/** The checkpoint of a session with seed `seed` as the host sends it (from folder D). */
async function weightsMessage(seed: number, history: EpochLogs[]): Promise<WeightsMessage> {
  const s = session(seed);
  try {
    const ck = await encodeCheckpoint(s.built, { model: 'M', epoch: 1, history });
    return { type: 'weights', uri: 'file:///m.nnmodel', model: 'M', epoch: 1, modelJson: JSON.stringify(ck.modelJson), weights: ck.weights, from: 'D' };
  } finally {
    s.dispose();
  }
}

function apply(weights: TrainedWeights): AppliedWeights {
  const s = session(99);
  try {
    const r = weights.applyTo(s, 'file:///m.nnmodel', 'M');
    assert.ok(r);
    return r;
  } finally {
    s.dispose();
  }
}

/** What the Training tab would show after `applied` (TrainingView.showWeights then render). */
function shown(order: ShownOrder, run: TrainingCurves, applied: AppliedWeights | undefined, last: { info?: LoadedWeights }): string {
  if (order.weights('M', applied)) last.info = applied ? { model: 'M', epoch: applied.epoch, from: applied.from, history: applied.history } : undefined;
  return chooseShown(run, last.info, order.weightsAfterRun);
}

test('setup: cpu backend', async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

test('sessions rebuilt from one weights message share its seq; each message, even the same checkpoint again, is a new one', async () => {
  const weights = new TrainedWeights();
  const msg = await weightsMessage(1, [entry(1, 1)]);
  weights.remember(msg);
  const a = apply(weights);
  const b = apply(weights);
  assert.equal(a.seq, b.seq, 'a session rebuilt after an edit applies the same message');
  assert.equal(a.loaded, 2);
  assert.deepEqual(a.history.map((h) => h.loss), [1]);
  weights.remember(msg);
  assert.notEqual(apply(weights).seq, a.seq, 'Load Weights of the same checkpoint again');
  const other = session(0);
  assert.equal(weights.applyTo(other, 'file:///m.nnmodel', 'Other'), undefined);
  other.dispose();
});

test('the same checkpoint loaded twice after a run: the Training tab shows the checkpoint again', async () => {
  const weights = new TrainedWeights();
  const order = new ShownOrder();
  const run = new TrainingCurves();
  const last: { info?: LoadedWeights } = {};
  const msg = await weightsMessage(1, [entry(1, 1)]);
  weights.remember(msg);
  assert.equal(shown(order, run, apply(weights), last), 'weights');
  // A run starts and is stopped before its first checkpoint: the tab shows the run.
  run.apply(1, 'M', { kind: 'start', epochs: 1, examples: 8, backend: 'cpu', source: 'data' });
  order.run();
  run.apply(1, 'M', { kind: 'done', status: 'cancelled' });
  order.run();
  assert.equal(shown(order, run, apply(weights), last), 'run', 'a session rebuilt from the old message is no change');
  // Load Weights of folder D again: the same epoch, folder and history, but a new message.
  weights.remember(msg);
  assert.equal(shown(order, run, apply(weights), last), 'weights');
  assert.equal(shown(order, run, apply(weights), last), 'weights', 'and the next edit keeps it');
});

test('a retrained checkpoint with the same epoch, folder and history length replaces the old history', async () => {
  const weights = new TrainedWeights();
  const order = new ShownOrder();
  const run = new TrainingCurves();
  const last: { info?: LoadedWeights } = {};
  weights.remember(await weightsMessage(1, [entry(1, 1)]));
  shown(order, run, apply(weights), last);
  assert.deepEqual(last.info?.history.map((h) => h.loss), [1]);
  weights.remember(await weightsMessage(2, [entry(1, 0.25)]));
  assert.equal(shown(order, run, apply(weights), last), 'weights');
  assert.deepEqual(last.info?.history.map((h) => h.loss), [0.25]);
  // Initial weights (another model, or loading failed) clear the tab's weights.
  assert.equal(shown(order, run, undefined, last), 'empty');
});

test('the note about applied weights counts layers in the singular and plural', () => {
  assert.equal(appliedText({ epoch: 2, from: 'D', loaded: 1, problems: ['dense_1 no longer fits.'] }), 'Trained weights (epoch 2 from D): 1 layer loaded; dense_1 no longer fits.');
  assert.equal(appliedText({ epoch: 2, loaded: 3, problems: ['x.'] }), 'Trained weights (epoch 2): 3 layers loaded; x.');
  assert.equal(appliedText({ epoch: 2, from: 'D', loaded: 3, problems: [] }), 'Showing the trained weights of epoch 2, loaded from the checkpoint in D.');
  assert.equal(appliedText({ epoch: 2, loaded: 3, problems: [] }), undefined);
  assert.equal(appliedText({ epoch: 2, from: 'D', loaded: 1, total: 3, problems: ['dense_1 no longer fits.'] }), 'Trained weights (epoch 2 from D): 1 of 3 layers loaded; dense_1 no longer fits.');
});
