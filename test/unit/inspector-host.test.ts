import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { parseHostMessage } from '../../extension/core/protocol';
import { chooseModel, modelMessage } from '../../extension/vscode/inspector/messages';

const URI = 'file:///ws/two.nnmodel';
const TWO = `model A {
  input x: [8]
  output x -> dense(4)
}

model B {
  input x: [8]
  output x -> dense(3) -> dense(77)
}
`;

const BROKEN = `model A {
  input x: [8, 8, 1]
  output x -> conv2d(4, 9)
}
`;

test('chooseModel: pinned, then the model at the cursor, then the previous one, then the first', () => {
  const a = analyze(TWO, { uri: URI });
  const inB = TWO.indexOf('dense(3)');
  assert.equal(chooseModel(a, URI, {})?.name, 'A');
  assert.equal(chooseModel(a, URI, { cursor: inB })?.name, 'B');
  assert.equal(chooseModel(a, URI, { cursor: inB, pinned: 'A' })?.name, 'A');
  assert.equal(chooseModel(a, URI, { cursor: TWO.length, previous: 'B' })?.name, 'B', 'between models: keep the one shown');
  assert.equal(chooseModel(a, URI, { pinned: 'Gone' })?.name, 'A', 'a pinned model that was deleted falls back');
  assert.equal(chooseModel(analyze('', { uri: URI }), URI, {}), undefined);
});

test('modelMessage is a valid host message with the model, every model name, its rows and its diagnostics', () => {
  const a = analyze(TWO, { uri: URI });
  const msg = modelMessage(a, a.models[1], URI, 7);
  assert.deepEqual(parseHostMessage(JSON.parse(JSON.stringify(msg))), JSON.parse(JSON.stringify(msg)));
  assert.equal(msg.model.name, 'B');
  assert.deepEqual(msg.models, ['A', 'B']);
  assert.equal(msg.version, 7);
  assert.equal(msg.rows.filter((r) => r.kind === 'layer').length, 2);
  assert.equal(msg.model.params.total, 8 * 3 + 3 + 3 * 77 + 77);

  const b = analyze(BROKEN, { uri: URI });
  const broken = modelMessage(b, b.models[0], URI, 1);
  assert.ok(broken.diagnostics.length > 0, 'the kernel-too-large error travels with the model');
  assert.ok(broken.diagnostics.every((d) => d.range.start.offset >= b.models[0].range.start.offset));
});
