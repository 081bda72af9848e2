import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { summaryRows } from '../../extension/core/analysis/summary';
import type { Analysis, Graph, LayerNode } from '../../extension/core/analysis/types';
import { GPT2_SMALL } from '../fixtures/contract';

function clean(src: string): Analysis {
  const a = analyze(src);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return a;
}

/** Every layer node, depth first, in graph order. */
function layers(g: Graph): LayerNode[] {
  return g.nodes.flatMap((n) => (n.kind === 'layer' ? [n] : n.kind === 'group' ? n.runs.flatMap((r) => layers(r.body)) : []));
}

const labels = (g: Graph): string[] => layers(g).map((n) => n.label);

test('a layer in a block body is labelled with the values of the parameters it names', () => {
  const a = clean(`block mlp(dim, act, hidden = 4 * dim, p = 0.1) {
  input x
  output x -> dense(hidden, activation = act) -> dropout(p) -> dense(units = dim) -> dense(hidden // 2)
}
model M {
  input x: [8]
  output x -> mlp(16, gelu) -> mlp(8, act = relu, p = 0.25)
}`);
  assert.deepEqual(labels(a.models[0].graph), [
    // hidden's default is computed from dim; an expression shows its value.
    'dense(64, activation = gelu)', 'dropout(0.1)', 'dense(units = 16)', 'dense(32)',
    'dense(32, activation = relu)', 'dropout(0.25)', 'dense(units = 8)', 'dense(16)',
  ]);
});

test('the GPT-2 block reads attention(12, causal = true) and dense(3072) in the summary', () => {
  const a = clean(GPT2_SMALL);
  const rows = summaryRows(a.models[0], true).map((r) => r.label);
  assert.ok(rows.includes('attention(12, causal = true)'), rows.join(' | '));
  assert.ok(rows.includes('dense(3072)'), rows.join(' | '));
  assert.ok(rows.includes('dense(768)'), rows.join(' | '));
  assert.ok(!rows.some((r) => /\b(heads|hidden|dim|p)\b/.test(r)), rows.join(' | '));
  // A call that names no parameter keeps its text; a layer object's name stays a name.
  assert.ok(rows.includes('positional(learned, maxlen = 1024)'), rows.join(' | '));
  assert.ok(rows.includes('unembed(wte)'), rows.join(' | '));
});

test('a repeated block: every run shows its own values, unchanged runs share theirs', () => {
  const a = clean(`block widen(k) {
  input x: [n, c]
  output x -> dense(c * k) -> maxpool(k) -> reshape([n, c])
}
model M {
  input x: [8, 4]
  output x -> widen(2) * 3
}`);
  // [8, 4] → dense(8), maxpool 2 → [4, 8] → [8, 4]: the shape repeats, so one run with count 3.
  const group = a.models[0].graph.nodes.find((n) => n.kind === 'group')!;
  assert.equal(group.kind === 'group' && group.runs.length, 1);
  assert.deepEqual(labels(a.models[0].graph), ['dense(8)', 'maxpool(2)', 'reshape([8, 4])']);
});

test('nested blocks substitute the values of each level', () => {
  const a = clean(`block inner(m, pad) {
  input x
  output x -> conv2d(m, 3, padding = pad) -> conv2d(m, [1, 1]) -> maxpool([m // 4, m // 4])
}
block outer(d) {
  input x
  output x -> inner(d * 2, same) -> inner(d, pad = valid)
}
model M {
  input image: [64, 64, 1]
  output image -> outer(4) -> outer(8)
}`);
  assert.deepEqual(labels(a.models[0].graph), [
    'conv2d(8, 3, padding = same)', 'conv2d(8, [1, 1])', 'maxpool([2, 2])',
    'conv2d(4, 3, padding = valid)', 'conv2d(4, [1, 1])', 'maxpool([1, 1])',
    'conv2d(16, 3, padding = same)', 'conv2d(16, [1, 1])', 'maxpool([4, 4])',
    'conv2d(8, 3, padding = valid)', 'conv2d(8, [1, 1])', 'maxpool([2, 2])',
  ]);
});

test('values bound in a model and shared layer objects', () => {
  const a = clean(`block tied(hidden) {
  input x
  proj = dense(hidden)
  output x -> proj -> relu -> proj
}
model M {
  input x: [6]
  width = 6
  output x -> dense(width) -> tied(6) -> dense(width * 2)
}`);
  const nodes = layers(a.models[0].graph);
  assert.equal(nodes[0].label, 'dense(6)');
  assert.equal(nodes[nodes.length - 1].label, 'dense(12)');
  // The object is applied twice with one set of weights; neither application shows the parameter's name.
  const applied = nodes.filter((n) => n.object === 'proj');
  assert.equal(applied.length, 2);
  assert.equal(applied[1].sharedWith, applied[0].id);
  for (const n of applied) assert.ok(!/\(hidden\)/.test(n.label), n.label);
});

test('a block checked on its own and calls without parameters keep their source text', () => {
  const a = clean(`block solo(k) {
  input x
  output x -> dense(k)
}
block plain {
  input x
  output x -> conv2d(6, 5, padding = same) -> dense(10, activation = relu)
}
model M {
  input image: [8, 8, 1]
  output image -> plain -> plain
}`);
  assert.deepEqual(labels(a.models[0].graph), [
    'conv2d(6, 5, padding = same)', 'dense(10, activation = relu)',
    'conv2d(6, 5, padding = same)', 'dense(10, activation = relu)',
  ]);
  // The unused block is checked with unknown values: nothing to show, nothing reported.
  assert.deepEqual(a.diagnostics, []);
});
