/**
 * `unembed(e)` of an embedding object that the model never applies: there is
 * nothing to tie to, and its table would be a weight of no layer (counted
 * nowhere, not a tfjs model weight, so never trained or saved). The analysis
 * refuses it (`object.unapplied`). Applying the object, before or after the
 * unembed, keeps working.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { unappliedObjectUses } from '../../extension/core/analysis/objectUse';
import { buildModel, countWeights } from '../../extension/core/runtime/build';
import { exportPyTorch } from '../../extension/core/export/pytorch';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

const UNAPPLIED = `model M {
  input a: [5, 8]
  e = embedding(10, 8)
  output a -> unembed(e)
}`;

/** The usual mistake: an inline embedding where the object was meant. */
const INLINE = `model L {
  input t: int[seq]
  e = embedding(10, 8)
  output t -> embedding(10, 8) -> dense(8) -> unembed(e, bias = true)
}`;

const APPLIED_AFTER = `model Tied {
  input tokens: int[seq]
  input h: [seq, 8]
  wte = embedding(50, 8)
  logits = h -> unembed(wte)
  e = tokens -> wte
  output logits, e -> dense(4)
}`;

const IN_BLOCK = `block head(emb) {
  input x
  output x -> layernorm -> unembed(emb)
}
model G {
  input t: int[seq]
  wte = embedding(20, 8)
  output t -> wte -> head(wte)
}`;

test('an unembed whose embedding is never applied is found, with a message that says what to change', () => {
  for (const [text, name] of [
    [UNAPPLIED, 'e'],
    [INLINE, 'e'],
  ] as const) {
    const m = analyze(text).models[0];
    const uses = unappliedObjectUses(m.graph);
    assert.equal(uses.length, 1, text);
    assert.equal(uses[0].node.op, 'unembed');
    assert.equal(uses[0].ref.name, name);
    // The use's layer argument that names it.
    assert.equal(uses[0].node.args.embedding, uses[0].ref);
    assert.match(uses[0].message, /^unembed\(e\) reuses the table of 'e', but 'e' is never applied/);
    assert.match(uses[0].message, /10×8 table/);
    assert.match(uses[0].message, /`h = tokens -> e`/);
    assert.match(uses[0].message, /`dense\(10, bias = false\)`/);
  }
});

test('an applied embedding is fine: after the unembed, or passed into a block', () => {
  for (const text of [APPLIED_AFTER, IN_BLOCK]) {
    const a = analyze(text);
    assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), [], text);
    assert.deepEqual(unappliedObjectUses(a.models[0].graph), [], text);
  }
});

test('analysis: object.unapplied on the unembed, and the model has errors, so it is neither built nor exported', () => {
  const a = analyze(UNAPPLIED);
  const errors = a.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(
    errors.map((d) => [d.code, d.range.start.line, d.range.start.character]),
    [['object.unapplied', 3, 14]],
  );
  assert.match(errors[0].message, /^unembed\(e\) reuses the table of 'e', but 'e' is never applied/);
  // It had 0 parameters in all and built with no weight for a table predict used.
  assert.equal(a.models[0].hasErrors, true);
  assert.throws(() => buildModel(tf, a.models[0]), /Cannot build model 'M'/);
  assert.equal(exportPyTorch(a).ok, false);
  // Applied after the unembed: one table, a weight of the model, counted as the analysis does, and exported.
  const ok = analyze(APPLIED_AFTER).models[0];
  const built = buildModel(tf, ok);
  assert.deepEqual(countWeights(built.model), { trainable: ok.params.trainable.value, nonTrainable: 0 });
  built.model.dispose();
  assert.ok(exportPyTorch(analyze(APPLIED_AFTER)).ok);
  assert.ok(exportPyTorch(analyze(IN_BLOCK)).ok);
});
