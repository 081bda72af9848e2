import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import type { Analysis, Diagnostic, TextEdit } from '../../extension/core/analysis/types';

function byCode(a: Analysis, code: string): Diagnostic[] {
  return a.diagnostics.filter((d) => d.code === code);
}

function applyEdits(text: string, edits: TextEdit[]): string {
  for (const e of [...edits].sort((x, y) => y.range.start.offset - x.range.start.offset)) {
    text = text.slice(0, e.range.start.offset) + e.newText + text.slice(e.range.end.offset);
  }
  return text;
}

const USES_MODEL = `model A {
  input x: [8]
  output x -> dense(4) -> relu
}

model B {
  input x: [8]
  output x -> A -> dense(2)
}
`;

test('a model of the same file used as a layer: name.model_as_layer says so, with a fix that makes it a block', () => {
  const a = analyze(USES_MODEL);
  assert.deepEqual(byCode(a, 'name.unknown_layer'), []);
  const [d] = byCode(a, 'name.model_as_layer');
  assert.ok(d, JSON.stringify(a.diagnostics));
  assert.equal(d.severity, 'error');
  assert.equal(d.message, "'A' is a model; only blocks can be used as layers: change `model A` to `block A` (with `input`/`output` as they are).");
  assert.equal(USES_MODEL.slice(d.range.start.offset, d.range.end.offset), 'A');
  assert.equal(d.related?.[0].range.start.line, 0);
  assert.equal(d.fixes?.length, 1);
  const fixed = applyEdits(USES_MODEL, d.fixes![0].edits);
  assert.ok(fixed.startsWith('block A {\n  input x: [8]\n'), fixed);
  const after = analyze(fixed);
  assert.deepEqual(after.diagnostics.filter((x) => x.severity === 'error'), []);
  assert.deepEqual(after.models.map((m) => m.name), ['B']);
  // dense(4) inside the block (36) + dense(2) (10)
  assert.equal(after.models[0].params.trainable.value, 46);
});

test('name.model_as_layer offers no fix when a train section needs the model', () => {
  const a = analyze(`${USES_MODEL}\ntrain A {\n  data: synthetic()\n}\n`);
  const [d] = byCode(a, 'name.model_as_layer');
  assert.ok(d);
  assert.equal(d.fixes, undefined);
  const gan = analyze(`${USES_MODEL}\ntrain B {\n  loss: adversarial(A)\n}\n`);
  assert.equal(byCode(gan, 'name.model_as_layer')[0].fixes, undefined);
});

test('a model of an imported file used as a layer: named with its file, no fix', () => {
  const a = analyze(`import "lenet.nnmodel"\nmodel M {\n  input x: [32, 32, 1]\n  output x -> LeNet5 -> dense(2)\n}\n`, {
    uri: '/w/main.nnmodel',
    readImport: (_from, path) => (path === 'lenet.nnmodel' ? { uri: '/w/lenet.nnmodel', text: 'model LeNet5 {\n  input x: [32, 32, 1]\n  output x -> flatten -> dense(10)\n}\n' } : undefined),
  });
  const [d] = byCode(a, 'name.model_as_layer');
  assert.ok(d, JSON.stringify(a.diagnostics));
  assert.equal(d.message, "'LeNet5' is a model (in /w/lenet.nnmodel); only blocks can be used as layers: change `model LeNet5` to `block LeNet5` there (with `input`/`output` as they are).");
  assert.equal(d.fixes, undefined);
});

test('an unknown name that is no model still gets name.unknown_layer', () => {
  const a = analyze('model M {\n  input x: [4]\n  output x -> softmx\n}\n');
  assert.equal(byCode(a, 'name.unknown_layer').length, 1);
  assert.equal(byCode(a, 'name.model_as_layer').length, 0);
});
