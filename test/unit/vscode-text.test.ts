import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sym, type Shape } from '../../extension/core/analysis/sym';
import type { Graph, ModelInfo, SiteInfo } from '../../extension/core/analysis/types';
import type { LayerSpec } from '../../extension/core/layers/types';
import { getLayer } from '../../extension/core/layers';
import { analyze } from '../../extension/core/analysis/analyze';
import type { Range } from '../../extension/core/syntax/ast';
import {
  activeParameter,
  blockSignature,
  callSnippet,
  formatParams,
  layerHoverMarkdown,
  layerSignature,
  lineHints,
  modelHoverMarkdown,
  modelLensTitle,
  summaryMarkdown,
} from '../../extension/vscode/pure/text';

function range(line: number, from: number, to: number, lineOffset = line * 100): Range {
  return {
    start: { line, character: from, offset: lineOffset + from },
    end: { line, character: to, offset: lineOffset + to },
  };
}

const shape = (...dims: number[]): Shape => ({ dims: dims.map((d) => Sym.of(d)) });

const conv2d: LayerSpec = {
  name: 'conv2d',
  category: 'conv',
  summary: '2-D convolution',
  doc: 'Slides filters over height and width.',
  args: [
    { name: 'filters', type: 'int', doc: 'Output channels.' },
    { name: 'kernel', type: 'ints', doc: 'Kernel size.' },
    { name: 'stride', type: 'ints', doc: 'Step.', default: 1 },
    { name: 'padding', type: 'enum', doc: 'Border handling.', default: 'valid', enum: ['valid', 'same'] },
    { name: 'activation', type: 'activation', doc: 'Applied after.', optional: true },
  ],
  outputShape: () => shape(1),
  weights: () => [],
  macs: () => Sym.ZERO,
  tfjs: () => {
    throw new Error('not used');
  },
};

test('layer signatures list defaults, with the parameter offsets in the label', () => {
  const sig = layerSignature(conv2d);
  assert.equal(sig.label, 'conv2d(filters, kernel, stride = 1, padding = valid, activation = none)');
  for (const p of sig.params) assert.ok(sig.label.slice(p.label[0], p.label[1]).startsWith(p.name));
  const block = blockSignature({ name: 'gpt_block', range: range(0, 0, 1), nameRange: range(0, 0, 1), params: [{ name: 'dim' }, { name: 'hidden', default: '4 * dim' }] });
  assert.equal(block.label, 'block gpt_block(dim, hidden = 4 * dim)');
  assert.equal(block.label.slice(block.params[1].label[0], block.params[1].label[1]), 'hidden = 4 * dim');
});

test('the active parameter follows positional and named arguments', () => {
  const names = conv2d.args.map((a) => a.name);
  assert.equal(activeParameter(names, { argIndex: 1, positionalBefore: 1, given: [] }), 1);
  assert.equal(activeParameter(names, { argIndex: 2, positionalBefore: 1, given: ['filters'] }), 2);
  assert.equal(activeParameter(names, { argIndex: 2, positionalBefore: 2, given: [], argName: 'padding' }), 3);
  assert.equal(activeParameter(names, { argIndex: 9, positionalBefore: 9, given: [] }), -1);
  assert.equal(activeParameter(['values', 'axis'], { argIndex: 3, positionalBefore: 3, given: [] }, 'values'), 0);
});

test('call snippets hold the required arguments as placeholders', () => {
  assert.equal(callSnippet('conv2d', ['filters', 'kernel']), 'conv2d(${1:filters}, ${2:kernel})');
  assert.equal(callSnippet('relu', []), 'relu');
});

test('parameters show the non-trainable part only when there is one', () => {
  assert.equal(formatParams({ trainable: Sym.of(156), nonTrainable: Sym.ZERO }), '156');
  assert.equal(formatParams({ trainable: Sym.of(2400), nonTrainable: Sym.of(32) }), '2,432 (2,400 trainable, 32 non-trainable)');
  const d = Sym.atom('d');
  assert.equal(formatParams({ trainable: d.mul(2), nonTrainable: Sym.ZERO }), '2·d');
});

const convSite: SiteInfo = {
  range: range(2, 17, 29),
  kind: 'layer',
  name: 'conv2d',
  model: 'LeNet5',
  inShapes: [shape(32, 32, 1)],
  outShape: shape(28, 28, 6),
  params: { trainable: Sym.of(5 * 5 * 1 * 6 + 6), nonTrainable: Sym.ZERO },
  macs: Sym.of(5 * 5 * 1 * 6 * 28 * 28),
};

test('layer hover shows shapes, counts and the documentation', () => {
  const md = layerHoverMarkdown(convSite, conv2d);
  assert.match(md, /\[32, 32, 1\] → \[28, 28, 6\]/);
  assert.match(md, /Parameters: \*\*156\*\*/);
  assert.match(md, /MACs: \*\*117,600 \(117\.6K\)\*\*/);
  assert.ok(md.includes(conv2d.doc));
  assert.ok(md.includes('conv2d(filters, kernel'));
});

test('a convolution hover compares its shared kernel with a dense layer between the same values (the course notes\' 10 vs 1,332)', () => {
  // LeNet-5's C1: 156 parameters; a dense layer from 32·32·1 to 28·28·6 values: 1,024·4,704 + 4,704 (nn.Linear(1024, 4704) in PyTorch: 4,821,600).
  assert.ok(
    layerHoverMarkdown(convSite, conv2d).includes(
      'Parameter sharing: the same 156 parameters at each of the 784 output positions; a dense layer from the 1,024 input values to the 4,704 output values would need 1,024·4,704 + 4,704 = **4,821,600** (30,908× as many)',
    ),
  );
  // The notes' example: a 3 × 3 kernel with its bias over a 6 × 6 image, same padding.
  const small: SiteInfo = { ...convSite, inShapes: [shape(6, 6, 1)], outShape: shape(6, 6, 1), params: { trainable: Sym.of(10), nonTrainable: Sym.ZERO } };
  assert.match(layerHoverMarkdown(small, conv2d), /the same 10 parameters at each of the 36 output positions; .* 36·36 \+ 36 = \*\*1,332\*\* \(133× as many\)/);
  // conv1d shares its window along the steps.
  const conv1d = getLayer('conv1d')!;
  const seq: SiteInfo = { ...convSite, name: 'conv1d', inShapes: [shape(100, 8)], outShape: shape(100, 16), params: { trainable: Sym.of(400), nonTrainable: Sym.ZERO } };
  assert.match(layerHoverMarkdown(seq, conv1d), /the same 400 parameters at each of the 100 output positions; .* 800·1,600 \+ 1,600 = \*\*1,281,600\*\*/);
  // Not said: a symbolic length (no dense layer takes it), one output position, a later use of a shared object (0 parameters), other layers.
  const symbolic: SiteInfo = { ...seq, inShapes: [{ dims: [Sym.atom('seq'), Sym.of(8)] }], outShape: { dims: [Sym.atom('seq'), Sym.of(16)] } };
  assert.doesNotMatch(layerHoverMarkdown(symbolic, conv1d), /Parameter sharing/);
  assert.doesNotMatch(layerHoverMarkdown({ ...small, outShape: shape(1, 1, 1) }, conv2d), /Parameter sharing/);
  assert.doesNotMatch(layerHoverMarkdown({ ...small, params: { trainable: Sym.ZERO, nonTrainable: Sym.ZERO } }, conv2d), /Parameter sharing/);
  assert.doesNotMatch(layerHoverMarkdown({ ...small, name: 'dense' }, getLayer('dense')!), /Parameter sharing/);
});

test('a recurrent hover says its cell is shared across time (the course notes\' "RNNs share weights across time")', () => {
  // lstm(32) over [100, 8]: Keras' 4·u·(c + u + 1) = 4·32·41 = 5,248, as the analysis counts it.
  const model = analyze('model M {\n  input x: [100, 8]\n  output x -> lstm(32) -> dense(2)\n}\n').models[0];
  const node = model.graph.nodes.find((n) => n.kind === 'layer' && n.op === 'lstm');
  assert.ok(node && node.kind === 'layer');
  const lstm: SiteInfo = { ...convSite, name: 'lstm', inShapes: [shape(100, 8)], outShape: shape(32), params: node.params };
  assert.ok(
    layerHoverMarkdown(lstm, getLayer('lstm')!).includes(
      'Weight sharing across time: the same 5,248 parameters at each of the 100 steps (the state carries the earlier steps forward); separate weights per step would need 100 × 5,248 = **524,800**',
    ),
  );
  // A symbolic length: the steps by name, no product.
  const symbolic: SiteInfo = { ...lstm, name: 'gru', inShapes: [{ dims: [Sym.atom('seq'), Sym.of(8)] }] };
  assert.match(layerHoverMarkdown(symbolic, getLayer('gru')!), /Weight sharing across time: the same 5,248 parameters at each of the `seq` steps \(the state carries the earlier steps forward\)(?!;)/);
  // One step: nothing is shared.
  assert.doesNotMatch(layerHoverMarkdown({ ...lstm, inShapes: [shape(1, 8)] }, getLayer('lstm')!), /Weight sharing/);
  // Bidirectional: two cells, each shared across the steps, one per direction.
  const bi = analyze('model M {\n  input x: [100, 8]\n  output x -> lstm(32, bidirectional = true) -> dense(2)\n}\n').models[0];
  const biNode = bi.graph.nodes.find((n) => n.kind === 'layer' && n.op === 'lstm');
  assert.ok(biNode && biNode.kind === 'layer');
  const biSite: SiteInfo = { ...lstm, outShape: shape(64), params: biNode.params };
  assert.ok(
    layerHoverMarkdown(biSite, getLayer('lstm')!).includes(
      "Weight sharing across time: each direction's 5,248 parameters at each of the 100 steps (the forward state carries the earlier steps forward, the backward state the later ones back); separate weights per step would need 100 × 10,496 = **1,049,600**",
    ),
  );
});

test('inlay hints: last output shape of each line and the sum of its parameters', () => {
  const tanh: SiteInfo = { range: range(2, 33, 37), kind: 'layer', name: 'tanh', model: 'LeNet5', inShapes: [shape(28, 28, 6)], outShape: shape(28, 28, 6), params: { trainable: Sym.ZERO, nonTrainable: Sym.ZERO } };
  const pool: SiteInfo = { range: range(2, 41, 51), kind: 'layer', name: 'avgpool', model: 'LeNet5', inShapes: [shape(28, 28, 6)], outShape: shape(14, 14, 6) };
  const dense: SiteInfo = { range: range(3, 10, 20), kind: 'layer', name: 'dense', model: 'LeNet5', inShapes: [shape(400)], outShape: shape(120), params: { trainable: Sym.of(48120), nonTrainable: Sym.ZERO } };
  const value: SiteInfo = { range: range(4, 2, 3), kind: 'value', name: 'x', model: 'LeNet5', inShapes: [], outShape: shape(120) };
  const hints = lineHints([convSite, tanh, pool, dense, value], true);
  assert.deepEqual(
    hints.map((h) => [h.line, h.label]),
    [
      [2, '→ [14, 14, 6] · 156 params'],
      [3, '→ [120] · 48,120 params'],
    ],
  );
  assert.deepEqual(lineHints([convSite, tanh, pool], false).map((h) => h.label), ['→ [14, 14, 6]']);
  assert.deepEqual(lineHints([convSite, dense], true, { from: 3, to: 10 }).map((h) => h.line), [3]);
  // A line of parameter-free layers shows only the shape.
  assert.deepEqual(lineHints([tanh], true).map((h) => h.label), ['→ [28, 28, 6]']);
});

function lenetLike(): ModelInfo {
  const r = (line: number) => range(line, 0, 5);
  const p = (n: number) => ({ trainable: Sym.of(n), nonTrainable: Sym.ZERO });
  const graph: Graph = {
    nodes: [
      { kind: 'input', id: 0, name: 'image', shape: shape(32, 32, 1), range: r(1), port: 0 },
      { kind: 'layer', id: 1, op: 'conv2d', category: 'conv', label: 'conv2d(6, 5)', args: {}, inputs: [0], shape: shape(28, 28, 6), weights: [], params: p(156), macs: Sym.of(117600), range: r(2) },
      { kind: 'layer', id: 2, op: 'flatten', category: 'reshape', label: 'flatten', args: {}, inputs: [1], shape: shape(4704), weights: [], params: p(0), macs: Sym.ZERO, range: r(3) },
      { kind: 'layer', id: 3, op: 'dense', category: 'dense', label: 'dense(10)', args: {}, inputs: [2], shape: shape(10), weights: [], params: p(47050), macs: Sym.of(47040), range: r(4) },
    ],
    inputs: [0],
    outputs: [3],
  };
  const total = 156 + 47050;
  return {
    name: 'Small',
    range: range(0, 0, 1),
    nameRange: range(0, 6, 11),
    graph,
    inputs: [{ name: 'image', shape: shape(32, 32, 1), range: r(1) }],
    outputs: [{ shape: shape(10), range: r(4), nodeId: 3 }],
    params: { trainable: Sym.of(total), nonTrainable: Sym.ZERO, total: Sym.of(total) },
    macs: Sym.of(117600 + 47040),
    memory: { paramBytes: Sym.of(total * 4), activationBytes: Sym.of((4704 + 4704 + 10) * 4) },
    symbols: [],
    hasErrors: false,
  };
}

test('the summary table has a row per layer, totals and memory', () => {
  const md = summaryMarkdown(lenetLike(), 32, 'small.nnmodel');
  // Shapes use non-breaking spaces so they do not wrap in the preview.
  assert.ok(md.includes('| [28,\u00a028,\u00a06] |'));
  const rows = md.replace(/\u00a0/g, ' ').split('\n').filter((l) => l.startsWith('| '));
  assert.equal(rows.length, 1 + 4 + 1); // header, input + 3 layers, total
  // Five columns, so that the table fits a preview beside the editor: the line goes with the layer.
  assert.equal(rows[0], '| Layer | Output shape | Params | MACs | Sees |');
  // In a box that scrolls sideways when the table is wider than the preview (a blank line each side: markdown inside HTML).
  assert.match(md, /\n<div style="overflow-x: auto; margin-right: -26px">\n\n\| Layer [^]*\| \*\*Total\*\* [^\n]*\n\n<\/div>\n\n/);
  assert.ok(rows[1].startsWith('| input image · line 2 | [32, 32, 1] |'));
  assert.ok(rows[2].includes('| conv2d(6, 5) · line 3 | [28, 28, 6] | 156 | 117,600 |'));
  assert.ok(rows[5].includes('**47,206**') && rows[5].includes('**164,640**'));
  assert.match(md, /Weights: 184\.4 KiB/);
  // 4 x 188,824 B of weights and Adam state + 2 x 32 x 37,672 B of activations
  assert.match(md, /Training with Adam at batch 32: ~3\.0 MiB/);
  assert.equal(modelLensTitle(lenetLike()), '47.2K params · 164.6K MACs');
});

test('the model hover gives totals and the training estimate at the batch asked', () => {
  const md = modelHoverMarkdown(lenetLike(), 1);
  assert.match(md, /`input image: \[32, 32, 1\]`/);
  assert.match(md, /output: \[10\]/);
  assert.match(md, /batch 1: ~/);
});
