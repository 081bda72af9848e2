// Cold review of the checkpoint fit rule (runtime/checkpoint.ts matchSignature,
// checkpointFit, checkpointMisfit): a saved layer that nothing in the model
// uses any more must be a problem, also when a layer of the same op now
// sits at its node path but took another saved layer's weights. Deleting
// a hidden layer (dense(8) -> dense(8) -> dense(3) becomes dense(8) ->
// dense(3)) did exactly that: every current layer found weights (the last
// dense took the deleted layer's successor's), the deleted layer's weights
// were dropped silently, and Evaluate ran a model that was never trained.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel } from '../../extension/core/runtime/build';
import {
  analysisSignature,
  applyCheckpoint,
  checkpointFit,
  checkpointMisfit,
  encodeCheckpoint,
  graphSignature,
  matchSignature,
  misfitRefusal,
} from '../../extension/core/runtime/checkpoint';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

const net = (chain: string) => `model Net {
  input x: [8]
  output x -> ${chain}
}
`;

const sig = (text: string) => {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return analysisSignature(a.models[0]);
};

test('a deleted hidden layer is a misfit even though every remaining layer finds weights of its shape', () => {
  const saved = sig(net('dense(8) -> relu -> dense(8) -> relu -> dense(3)'));
  const now = sig(net('dense(8) -> relu -> dense(3)'));
  const fit = checkpointFit(saved, now);
  assert.deepEqual([fit.loaded, fit.total], [2, 2]);
  assert.equal(fit.problems.length, 1, fit.problems.join(' | '));
  assert.match(fit.problems[0], /^dense\(8\) \(line 3 when saved\) is no longer in the model; its weights are not used\.$/);
  assert.equal(checkpointMisfit(fit), 'no longer fits the model: 1 of its layers is no longer in the model');
  assert.match(misfitRefusal('Net', 'last', 4, fit), /^the last checkpoint \(epoch 4\) no longer fits Net \(2 of 2 layers would load\): dense\(8\) \(line 3 when saved\) is no longer in the model\. Train Net again/);
});

test('swapped layers: the saved layer whose path now holds a layer paired elsewhere is reported, once', () => {
  // Saved [8, 8], [8, 16], [16, 3]; now [8, 16], [16, 8], [8, 3]: only the model's first layer finds
  // weights (the saved second's). The saved first has nothing, the model's second and third neither.
  const saved = sig(net('dense(8) -> dense(16) -> dense(3)'));
  const now = sig(net('dense(16) -> dense(8) -> dense(3)'));
  const m = matchSignature(saved, now);
  assert.deepEqual(m.pairs, [{ saved: '2', current: '1' }]);
  assert.deepEqual(
    m.problems.map((p) => p.replace(/:.*;/, ':…;')),
    [
      'dense(8) (line 3) is not in the checkpoint; it keeps its initial weights.',
      'dense(3) (line 3) no longer fits:…; it keeps its initial weights.',
      'dense(8) (line 3 when saved) is no longer in the model; its weights are not used.',
    ],
  );
});

test('the built model agrees: the deleted layer\'s weights are the ones not loaded, and the CLI rule refuses', async () => {
  const a = analyze(net('dense(8) -> relu -> dense(8) -> relu -> dense(3)'));
  const b = analyze(net('dense(8) -> relu -> dense(3)'));
  const old = buildModel(tf, a.models[0], { seed: 1 });
  const cur = buildModel(tf, b.models[0], { seed: 2 });
  try {
    const enc = await encodeCheckpoint(old, { model: 'Net', epoch: 1, history: [] });
    const fit = checkpointFit(enc.modelJson.nnmodel.signature, graphSignature(cur));
    // The rule trainJob.loadFitting applies before Evaluate and Generate Text.
    assert.ok(checkpointMisfit(fit));
    const r = applyCheckpoint(tf, cur, enc.modelJson, enc.weights);
    assert.equal(r.loaded, 2);
    assert.equal(r.problems.length, 1);
  } finally {
    old.model.dispose();
    cur.model.dispose();
  }
});

test('unchanged and appended layers stay as before: no problem, or the new layer only', () => {
  const base = sig(net('dense(8) -> relu -> dense(3)'));
  assert.deepEqual(checkpointFit(base, base).problems, []);
  const more = sig(net('dense(8) -> relu -> dense(3) -> dense(3)'));
  const fit = checkpointFit(base, more);
  assert.deepEqual([fit.loaded, fit.total], [2, 3]);
  assert.equal(fit.problems.length, 1);
  assert.match(fit.problems[0], /is not in the checkpoint; it keeps its initial weights\.$/);
  // A layer whose shape changed at its own path: one "no longer fits", not also "no longer in the model".
  const wider = sig(net('dense(16) -> relu -> dense(3)'));
  const w = checkpointFit(base, wider);
  assert.deepEqual(w.problems.map((p) => /no longer fits/.test(p)), [true, true]);
});
