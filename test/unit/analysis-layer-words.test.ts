// A block parameter applied as a layer (`-> act`) given the name of a layer
// (`unit(16, act = gelu)`, or its default `act = relu`): the layer it names,
// applied with its defaults, a layer of its own at each application
// (extension/core/analysis/analyze.ts applyLayerWord). A word that names no
// layer, a layer that needs arguments and arguments given to the name are
// errors, at the call that gave the word.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { shapeToString } from '../../extension/core/analysis/sym';
import { summaryRows } from '../../extension/core/analysis/summary';
import type { Analysis, Diagnostic, Graph, LayerNode } from '../../extension/core/analysis/types';
import { serializeModel } from '../../extension/core/protocol';
import { buildDiagram, groupKeys, type TextMetrics } from '../../webview/views/graphModel';

function errors(a: Analysis): Diagnostic[] {
  return a.diagnostics.filter((d) => d.severity === 'error');
}

/** Every layer node of a graph, group bodies included, in order. */
function layers(g: Graph, out: LayerNode[] = []): LayerNode[] {
  for (const n of g.nodes) {
    if (n.kind === 'layer') out.push(n);
    else if (n.kind === 'group') for (const r of n.runs) layers(r.body, out);
  }
  return out;
}

/** `line:column` (1-based) of where a diagnostic starts, and the text it covers. */
function at(src: string, d: { range: Diagnostic['range'] }): string {
  return `${d.range.start.line + 1}:${d.range.start.character + 1} ${src.slice(d.range.start.offset, d.range.end.offset)}`;
}

const UNIT = `block unit(n, act = relu) {
  input x
  output x -> dense(n) -> act
}
`;

test('the example of the issue: a parameter given gelu and softmax applies those layers', () => {
  const src = `${UNIT}model M {
  input x: [8]
  output x -> unit(16, act = gelu) -> unit(4, act = softmax)
}
`;
  const a = analyze(src);
  assert.deepEqual(errors(a).map((d) => d.message), []);
  const m = a.models[0];
  assert.equal(shapeToString(m.outputs[0].shape), '[4]');
  assert.equal(m.params.trainable.value, 8 * 16 + 16 + 16 * 4 + 4);
  const ls = layers(m.graph);
  assert.deepEqual(
    ls.map((n) => `${n.op} ${n.label} ${n.source ?? '-'} ${shapeToString(n.shape)}`),
    ['dense dense(16) dense(n) [16]', 'gelu gelu act [16]', 'dense dense(4) dense(n) [4]', 'softmax softmax act [4]'],
  );
  // A graph node leads to the `-> act` of the body: line 3.
  const gelu = ls[1];
  assert.equal(at(src, gelu), '3:27 act');
  // The summary names the layer applied.
  assert.deepEqual(
    summaryRows(m, true).map((r) => r.label).filter((l) => /gelu|softmax|act/.test(l)),
    ['gelu', 'softmax'],
  );
  // The graph's boxes, groups opened: titled by the layer applied; a click selects the node's range, `act` on line 3.
  const plain = serializeModel(m);
  const metrics: TextMetrics = { measure: (t) => t.length * 7 };
  const boxes = [...buildDiagram(plain.graph, [], new Set(groupKeys(plain.graph)), metrics).boxes.values()];
  const titled = boxes.filter((b) => b.node.kind === 'layer' && b.node.op !== 'dense').map((b) => `${b.lines[0]} line ${b.node.range.start.line + 1}`);
  assert.deepEqual(titled, ['gelu line 3', 'softmax line 3']);
  // The site under `act` is the layer's: hovers and inlay hints say gelu.
  const site = a.sites.find((s) => s.range.start.offset === gelu.range.start.offset && s.kind === 'layer');
  assert.equal(site?.name, 'gelu');
  assert.equal(site && shapeToString(site.outShape!), '[16]');
});

test("a block's default word applies too, and a word also fits activation = act", () => {
  const src = `block unit(n, act = relu) {
  input x
  y = x -> dense(n) -> act
  output y -> dense(n, activation = act)
}
model M {
  input x: [8]
  output x -> unit(16) -> unit(4, act = tanh)
}
`;
  const a = analyze(src);
  assert.deepEqual(errors(a).map((d) => d.message), []);
  const ls = layers(a.models[0].graph);
  assert.deepEqual(
    ls.map((n) => (n.op === 'dense' ? `dense:${n.args.activation}` : n.op)),
    ['dense:none', 'relu', 'dense:relu', 'dense:none', 'tanh', 'dense:tanh'],
  );
});

test('each application is a layer of its own: a normalisation applied twice has two sets of weights, at two widths', () => {
  const src = `block normed(n, norm = layernorm) {
  input x
  output x -> norm -> dense(n) -> norm
}
model M {
  input x: [8]
  output x -> normed(16) -> normed(4, norm = batchnorm)
}
`;
  const a = analyze(src);
  assert.deepEqual(errors(a).map((d) => d.message), []);
  const m = a.models[0];
  const norms = layers(m.graph).filter((n) => n.op !== 'dense');
  assert.deepEqual(
    norms.map((n) => `${n.op} ${n.params.trainable.value}+${n.params.nonTrainable.value} ${n.objectId ?? 'own'}`),
    ['layernorm 16+0 own', 'layernorm 32+0 own', 'batchnorm 32+32 own', 'batchnorm 8+8 own'],
  );
  // dense 8→16 and 16→4; layernorm 2·8 + 2·16; batchnorm 2·16 + 2·4 trainable and as many moving statistics.
  assert.equal(m.params.trainable.value, 144 + 68 + 16 + 32 + 32 + 8);
  assert.equal(m.params.nonTrainable.value, 32 + 8);
  // A layer object given instead is one layer: its second application, at another width, is an error.
  const shared = analyze(src.replace('output x -> normed(16) -> normed(4, norm = batchnorm)', 'l = layernorm()\n  output x -> normed(16, norm = l)'));
  assert.deepEqual(errors(shared).map((d) => d.code), ['object.shape']);
});

test('a repeated word and a word passed on to an inner block', () => {
  const src = `${UNIT}block outer(k, a = gelu) {
  input x
  output x -> unit(k, act = a) -> a * 2
}
model M {
  input x: [8]
  output x -> outer(6) -> outer(3, a = layernorm)
}
`;
  const a = analyze(src);
  assert.deepEqual(errors(a).map((d) => d.message), []);
  const m = a.models[0];
  // `a * 2` keeps the shape: one body, run twice.
  assert.deepEqual(
    layers(m.graph).map((n) => n.op),
    ['dense', 'gelu', 'gelu', 'dense', 'layernorm', 'layernorm'],
  );
  // Three layernorms of their own on [3]: 3 · 2 · 3 parameters.
  assert.equal(m.params.trainable.value, 8 * 6 + 6 + 6 * 3 + 3 + 18);
});

test('a word that names no layer: call.not_callable at the word the call gives, with did you mean and its fix', () => {
  const src = `${UNIT}model M {
  input x: [8]
  output x -> unit(16, act = gelux)
}
`;
  const a = analyze(src);
  const es = errors(a);
  assert.equal(es.length, 1, JSON.stringify(es.map((d) => d.message)));
  const d = es[0];
  assert.equal(d.code, 'call.not_callable');
  assert.equal(at(src, d), '7:30 gelux');
  assert.match(d.message, /^'gelux' is not a layer: 'act' is applied as one \(`-> act`\), so it takes the name of a layer that needs no arguments .* or a layer object\. Did you mean 'gelu'\?$/);
  assert.equal(d.fixes?.[0].title, "Change to 'gelu'");
  assert.equal(d.fixes?.[0].edits[0].newText, 'gelu');
  assert.equal(at(src, d.fixes![0].edits[0]), '7:30 gelux');
  // The use in the body is the related location.
  assert.equal(d.related && at(src, d.related[0]), '3:27 act');
  // PyTorch's spelling finds the layer too; a choice of another argument is no layer.
  const torch = errors(analyze(src.replace('gelux', 'GELU')));
  assert.match(torch[0].message, /Did you mean 'gelu'\?$/);
  const choice = errors(analyze(src.replace('gelux', 'same')));
  assert.deepEqual(choice.map((e) => e.code), ['call.not_callable']);
  assert.match(choice[0].message, /^'same' is not a layer/);
});

test("a default word that names no layer is reported at the block's default", () => {
  const src = `block unit(n, act = relx) {
  input x
  output x -> dense(n) -> act
}
model M {
  input x: [8]
  output x -> unit(16)
}
`;
  const es = errors(analyze(src));
  assert.deepEqual(es.map((d) => `${d.code} ${at(src, d)}`), ['call.not_callable 1:21 relx']);
  assert.match(es[0].message, /Did you mean 'relu'\?$/);
});

test('a layer that needs arguments: arg.missing naming the argument and how to pass a layer object', () => {
  const src = `${UNIT}model M {
  input x: [8]
  output x -> unit(16, act = dense)
}
`;
  const es = errors(analyze(src));
  assert.deepEqual(es.map((d) => `${d.code} ${at(src, d)}`), ['arg.missing 7:30 dense']);
  assert.equal(
    es[0].message,
    "dense needs its argument 'units', but 'act' applies the layer it names with its defaults (`-> act`). For a layer with arguments, pass a layer object: define `l = dense(units)` before the call and give `act = l` (every application of it shares one set of weights).",
  );
  // The way the message gives works.
  const fixed = analyze(src.replace('output x -> unit(16, act = dense)', 'l = dense(4)\n  output x -> unit(16, act = l)'));
  assert.deepEqual(errors(fixed).map((d) => d.message), []);
  assert.equal(shapeToString(fixed.models[0].outputs[0].shape), '[4]');
  // A layer that merges values needs them.
  const merge = errors(analyze(src.replace('act = dense', 'act = concat')));
  assert.match(merge[0].message, /^concat needs its argument 'values'/);
});

test('arguments given to the name: call.word_args on them', () => {
  const src = `block unit(n, act = relu) {
  input x
  output x -> dense(n) -> act(0.1)
}
model M {
  input x: [8]
  output x -> unit(16, act = leaky_relu)
}
`;
  const es = errors(analyze(src));
  assert.deepEqual(es.map((d) => `${d.code} ${at(src, d)}`), ['call.word_args 3:30 (0.1)']);
  assert.match(es[0].message, /^'act' stands for the layer 'leaky_relu', applied with its defaults: write `-> act`\. For a leaky_relu with other arguments, pass a layer object/);
});

test('a word called with nothing piped in says to pipe a value in', () => {
  const src = `block unit(act = relu) {
  input x
  y = act(x)
  output x
}
model M {
  input x: [8]
  output x -> unit(act = gelu)
}
`;
  const es = errors(analyze(src));
  assert.deepEqual(es.map((d) => d.code), ['call.no_input']);
  assert.match(es[0].message, /^'act' names the layer 'gelu', which needs an input: write `x -> act`\.$/);
});
