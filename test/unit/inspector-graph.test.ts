import { test } from 'node:test';
import assert from 'node:assert/strict';
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkNode } from 'elkjs/lib/elk-api';
import { analyze } from '../../extension/core/analysis/analyze';
import { serializeModel } from '../../extension/core/protocol';
import { boxAt, boxTooltip, buildDiagram, groupKeys, shapeText, type TextMetrics } from '../../webview/views/graphModel';
import { bytesText, rowCells, sortRows } from '../../webview/views/summaryModel';
import { serializeRows } from '../../extension/core/protocol';
import { summaryRows } from '../../extension/core/analysis/summary';
import { LENET5 as LENET } from '../fixtures/contract';

const metrics: TextMetrics = { measure: (t, bold) => t.length * (bold ? 7.5 : 7) };


const GPT = `block gpt_block(dim, heads, hidden = 4 * dim, p = 0.1) {
  input x
  x = x + x -> layernorm -> attention(heads, causal = true) -> dropout(p)
  output x + x -> layernorm -> dense(hidden) -> gelu -> dense(dim) -> dropout(p)
}
model G {
  input tokens: int[seq]
  wte = embedding(100, 32)
  h = tokens -> wte -> positional(learned, maxlen = 64)
  output h -> gpt_block(32, 4) * 12 -> layernorm -> unembed(wte)
}
`;

function count(n: ElkNode): number {
  return (n.children ?? []).reduce((s, c) => s + 1 + count(c), 0);
}

test('LeNet5: one box per node, its chain of edges bare (each box prints the shape that flows), categories as classes', async () => {
  const model = serializeModel(analyze(LENET).models[0]);
  const d = buildDiagram(model.graph, [], new Set(), metrics);
  const kinds = [...d.boxes.values()].map((b) => b.node.kind);
  assert.equal(kinds.filter((k) => k === 'layer').length, 13);
  assert.equal(kinds.filter((k) => k === 'input').length, 1);
  assert.equal(d.root.children!.length, 14);
  assert.equal(d.root.edges!.length, 13);
  const conv = [...d.boxes.values()].find((b) => b.lines[0] === 'conv2d(6, 5)')!;
  assert.deepEqual(conv.lines, ['conv2d(6, 5)', '[28, 28, 6]', '156 params']);
  assert.equal(conv.category, 'cat-conv');
  const intoTanh = d.root.edges!.find((e) => e.targets[0] === [...d.boxes.values()].find((b) => b.lines[0] === 'tanh')!.key)!;
  // conv2d's box already says [28, 28, 6]: the edge into tanh repeats nothing (graph-edge-labels.test.ts has the rule).
  assert.deepEqual(intoTanh.labels, []);

  const laid = await new ELK().layout(d.root);
  for (const c of laid.children!) {
    assert.ok(Number.isFinite(c.x) && Number.isFinite(c.y), `node ${c.id} placed`);
  }
  // Top-down: each layer of the chain sits below the one feeding it.
  const y = new Map(laid.children!.map((c) => [c.id, c.y!]));
  for (const e of laid.edges!) assert.ok(y.get(e.targets[0])! > y.get(e.sources[0])!);
});

test('a repeated block is one box with its count until expanded; expanded it frames the body of its first run', async () => {
  const model = serializeModel(analyze(GPT).models[0]);
  const collapsed = buildDiagram(model.graph, [], new Set(), metrics);
  const group = [...collapsed.boxes.values()].find((b) => b.node.kind === 'group')!;
  assert.equal(group.lines[0], 'gpt_block × 12');
  assert.equal(group.expanded, false);
  const keys = groupKeys(model.graph);
  assert.deepEqual(keys, [group.key]);
  const open = buildDiagram(model.graph, [], new Set(keys), metrics);
  const frame = open.root.children!.find((c) => c.id === group.key)!;
  assert.ok(frame.children!.length > 5, 'the body is inside the frame');
  assert.ok(frame.children!.every((c) => c.id.startsWith(`${group.key}/`)));
  assert.ok([...open.boxes.values()].some((b) => b.parent === group.key && b.lines[0].startsWith('attention')));
  const laid = await new ELK().layout(open.root);
  assert.equal(count(laid), count(open.root));
  assert.ok(laid.children!.find((c) => c.id === group.key)!.height! > 100);
  // The embedding object's box names the object; shapes keep their symbols.
  const wte = [...open.boxes.values()].find((b) => b.node.kind === 'layer' && b.node.object === 'wte' && b.node.op === 'embedding')!;
  assert.ok(wte.lines[0].startsWith('wte: '));
  assert.equal(wte.lines[1], '[seq, 32]');
});

test('a layer object reads as its definition, in the graph and the summary; its later uses and unembed say whose weights they share', () => {
  const model = serializeModel(analyze(GPT).models[0]);
  const d = buildDiagram(model.graph, [], new Set(), metrics);
  const boxes = [...d.boxes.values()];
  const wte = boxes.find((b) => b.node.kind === 'layer' && b.node.object === 'wte')!;
  assert.deepEqual(wte.lines, ['wte: embedding(100, 32)', '[seq, 32]', '3,200 params']);
  const unembed = boxes.find((b) => b.node.kind === 'layer' && b.node.op === 'unembed')!;
  assert.deepEqual(unembed.lines, ['unembed(wte)', '[seq, 100]', "shares wte's weights"]);
  assert.match(boxTooltip(unembed), /^unembed\(wte\)\nlayer unembed .*\n[\s\S]*shares wte's weights\n/);
  const rows = summaryRows(analyze(GPT).models[0]);
  assert.ok(rows.some((r) => r.label === 'wte: embedding(100, 32)' && r.op === 'embedding'), rows.map((r) => r.label).join(', '));

  // A second application of an object: the same label, no parameters of its own, and the sharing said.
  const twice = serializeModel(
    analyze(`model Twice {
  input x: [10, 32]
  proj = dense(32, activation = relu)
  output x -> proj -> proj
}`).models[0],
  );
  const [first, second] = [...buildDiagram(twice.graph, [], new Set(), metrics).boxes.values()].filter((b) => b.node.kind === 'layer');
  assert.deepEqual(first.lines, ['proj: dense(32, activation = relu)', '[10, 32]', '1,056 params']);
  assert.deepEqual(second.lines, ['proj: dense(32, activation = relu)', '[10, 32]', "shares proj's weights"]);
  assert.match(boxTooltip(second), new RegExp(`shares proj's weights \\(node ${first.node.id}\\)`));
  assert.ok(!boxTooltip(first).includes('shares'));
});

test('diagnostics mark the node whose call they are in', () => {
  const a = analyze(LENET);
  const model = serializeModel(a.models[0]);
  // A warning on the arguments of dense(84): the graph marks that node and no other.
  const at = LENET.indexOf('84');
  const pos = (offset: number) => {
    const before = LENET.slice(0, offset).split('\n');
    return { line: before.length - 1, character: before[before.length - 1].length, offset };
  };
  const warning = { code: 'test.warning', severity: 'warning' as const, message: 'wide layer', range: { start: pos(at), end: pos(at + 2) } };
  const elsewhere = { code: 'test.info', severity: 'info' as const, message: 'about the model', range: { start: pos(0), end: pos(5) } };
  const d = buildDiagram(model.graph, [warning, elsewhere], new Set(), metrics);
  const marked = [...d.boxes.values()].filter((b) => b.severity);
  assert.equal(marked.length, 1);
  assert.equal(marked[0].lines[0], 'dense(84)');
  assert.equal(marked[0].severity, 'warning');
  assert.deepEqual(marked[0].messages, ['warning: wide layer']);
  // A node the analysis marked itself keeps its severity.
  const flagged = structuredClone(model.graph);
  const node = flagged.nodes.find((n) => n.kind === 'layer' && n.label === 'flatten')!;
  if (node.kind === 'layer') node.severity = 'error';
  const d2 = buildDiagram(flagged, [], new Set(), metrics);
  assert.equal([...d2.boxes.values()].find((b) => b.lines[0] === 'flatten')!.severity, 'error');
});

test('boxAt finds the tightest call around the cursor', () => {
  const model = serializeModel(analyze(LENET).models[0]);
  const d = buildDiagram(model.graph, [], new Set(), metrics);
  assert.equal(boxAt(d.boxes, LENET.indexOf('dense(84)') + 3)?.lines[0], 'dense(84)');
  assert.equal(boxAt(d.boxes, LENET.indexOf('softmax') + 1)?.lines[0], 'softmax');
  assert.equal(boxAt(d.boxes, 0), undefined);
});

test('summary rows sort by column (numbers numerically, formulas by their growth) and keep source order on ties', () => {
  const rows = serializeRows(summaryRows(analyze(LENET).models[0]));
  const byParams = sortRows(rows, 'params', true);
  assert.equal(byParams[0].label, 'dense(120)');
  assert.equal(rowCells(byParams[0]).params.text, '48,120');
  const asc = sortRows(rows, 'params', false);
  assert.equal(asc[0].label, 'input image', 'zero-parameter rows in source order');
  assert.deepEqual(sortRows(rows, undefined, false), rows);
  assert.deepEqual(sortRows(rows, 'line', false).map((r) => r.line), rows.map((r) => r.line).slice().sort((a, b) => a - b));
  const gpt = serializeRows(summaryRows(analyze(GPT).models[0]));
  const macs = sortRows(gpt, 'macs', true);
  // Counts that grow with seq rank above fixed ones (summary-sort-growth.test.ts has the details).
  assert.equal(typeof macs[0].macs, 'string', 'a count growing with seq is larger than a fixed one');
  assert.equal(typeof macs[macs.length - 1].macs, 'number');
  assert.equal(bytesText(1536), '1.5 KiB');
  assert.equal(bytesText('128*seq'), '128·seq B');
  assert.equal(bytesText('1024*seq^2 + 35328*seq'), '1,024·seq² + 35,328·seq B');
  assert.equal(shapeText({ dims: ['seq'], isInt: true }), 'int[seq]');
});
