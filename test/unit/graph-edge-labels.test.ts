// The graph view's edge labels: the shape an edge carries is written only
// where the boxes do not already say it (merges, splits, edges out of an
// expanded block's frame), not on every edge of a straight chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import { analyze } from '../../extension/core/analysis/analyze';
import { serializeModel, type PlainModelInfo } from '../../extension/core/protocol';
import { buildDiagram, edgeLabelled, groupKeys, type Box, type Diagram, type TextMetrics } from '../../webview/views/graphModel';
import { LENET5 as LENET } from '../fixtures/contract';

const metrics: TextMetrics = { measure: (t, bold) => t.length * (bold ? 7.5 : 7) };

function example(file: string): PlainModelInfo {
  return serializeModel(analyze(readFileSync(join(process.cwd(), 'examples', file), 'utf8')).models[0]);
}

/** Every edge of the diagram, nested levels included, as `source title → target title: label`. */
function edges(d: Diagram): { from: Box; to: Box; label: string | undefined }[] {
  const out: { from: Box; to: Box; label: string | undefined }[] = [];
  const walk = (n: ElkNode) => {
    for (const e of (n.edges ?? []) as ElkExtendedEdge[]) {
      out.push({ from: d.boxes.get(e.sources[0])!, to: d.boxes.get(e.targets[0])!, label: e.labels?.[0]?.text });
    }
    for (const c of n.children ?? []) walk(c);
  };
  walk(d.root);
  return out;
}

test('edgeLabelled: merges, splits and sources that hide their shape get a label; a chain edge does not', () => {
  assert.equal(edgeLabelled({ users: 1, inputs: 1, sourceShowsShape: true }), false, 'a straight chain repeats the box above');
  assert.equal(edgeLabelled({ users: 1, inputs: 2, sourceShowsShape: true }), true, 'into a merge');
  assert.equal(edgeLabelled({ users: 2, inputs: 1, sourceShowsShape: true }), true, 'out of a split');
  assert.equal(edgeLabelled({ users: 1, inputs: 1, sourceShowsShape: false }), true, "out of an expanded block's frame");
});

test("LeNet5's straight chain has no edge labels: each box prints the shape its edge carries", () => {
  const d = buildDiagram(serializeModel(analyze(LENET).models[0]).graph, [], new Set(), metrics);
  const all = edges(d);
  assert.equal(all.length, 13);
  assert.deepEqual(all.filter((e) => e.label !== undefined).map((e) => `${e.from.lines[0]} → ${e.to.lines[0]}: ${e.label}`), []);
  // ELK gets no empty labels to make room for.
  assert.ok((d.root.edges ?? []).every((e) => (e.labels ?? []).length === 0));
});

test("ResNet-18 expanded: the residual's split and merge are labelled, the frames' outgoing edges too, the chains are not", () => {
  const model = example('resnet18.nnmodel');
  const collapsed = edges(buildDiagram(model.graph, [], new Set(), metrics));
  assert.deepEqual(collapsed.filter((e) => e.label !== undefined).map((e) => e.to.lines[0]), [], 'collapsed, the top level is a chain of boxes');

  const open = buildDiagram(model.graph, [], new Set(groupKeys(model.graph)), metrics);
  const all = edges(open);
  const labelled = all.filter((e) => e.label !== undefined);
  // Inside the first basic block (input x split to conv2d and to the add; the add merges x and y).
  const block = [...open.boxes.values()].find((b) => b.expanded && b.node.kind === 'group' && b.node.label.startsWith('basic_block'))!;
  const inBlock = all.filter((e) => e.to.parent === block.key);
  const add = inBlock.filter((e) => e.to.node.kind === 'layer' && e.to.node.op === 'add');
  assert.equal(add.length, 2);
  for (const e of add) assert.equal(e.label, '[56, 56, 64]', `${e.from.lines[0]} → add`);
  const fromInput = inBlock.filter((e) => e.from.node.kind === 'input');
  assert.equal(fromInput.length, 2, 'x feeds the first convolution and the add');
  for (const e of fromInput) assert.equal(e.label, '[56, 56, 64]');
  // The chain between the convolutions repeats the box above: no label.
  const chain = inBlock.filter((e) => e.from.node.kind === 'layer' && e.from.node.op === 'conv2d' && e.to.node.kind === 'layer' && e.to.node.op === 'batchnorm');
  assert.ok(chain.length >= 1 && chain.every((e) => e.label === undefined), chain.map((e) => e.label).join());
  // A block's frame has no shape in its header: the edge leaving it says what it gives.
  const out = all.filter((e) => e.from.expanded && e.from.parent === undefined);
  assert.ok(out.length >= 7, `${out.length} edges leave a frame`);
  for (const e of out) assert.match(e.label ?? '', /^\[\d+, \d+, \d+\]$/, `${e.from.lines[0]} → ${e.to.lines[0]}`);
  // Fewer labels than edges: the rule drops the repeats.
  assert.ok(labelled.length < all.length / 2, `${labelled.length} of ${all.length} edges labelled`);
});

test("the Transformer's decoder layers merge target and memory: both edges in are labelled", () => {
  const d = buildDiagram(example('transformer.nnmodel').graph, [], new Set(), metrics);
  const labelled = edges(d)
    .filter((e) => e.label !== undefined)
    .map((e) => `${e.from.lines[0]} → ${e.to.lines[0]}: ${e.label}`);
  assert.equal(labelled.length, 2, labelled.join(' | '));
  assert.ok(labelled.some((l) => /^encoder_layer × 6 → decoder_layer × 6: \[src_len, 512\]$/.test(l)), labelled.join(' | '));
  assert.ok(labelled.some((l) => /^dropout\(0\.1\) → decoder_layer × 6: \[tgt_len, 512\]$/.test(l)), labelled.join(' | '));
});
