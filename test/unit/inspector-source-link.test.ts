// The links in the inspector's Feature maps, Kernels and Attention headers
// (webview/views/sourceLink.ts): a layer written in this file links to its
// own call; a layer inside a block imported from another file links to the
// call in this file that reaches it, and says where it is written. Its own
// range is in the other file: selecting it here landed on unrelated text
// (GPTSmall's attention headers selected `]` of `input tokens: int[seq]`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import { boxTooltip, buildDiagram, callBox, groupKeys } from '../../webview/views/graphModel';
import { serializeModel } from '../../extension/core/protocol';
import { blockPlace, headerSource, layerSource, pathAt, sourceText, sourceTitle } from '../../webview/views/sourceLink';

const examples = join(__dirname, '../../examples');
const read = (name: string) => readFileSync(join(examples, name), 'utf8');

function gptSmall() {
  const text = read('gpt_small.nnmodel');
  const imported = read('gpt2_small.nnmodel');
  const a = analyze(text, {
    uri: 'file:///w/gpt_small.nnmodel',
    readImport: (_from, path) => (path === 'gpt2_small.nnmodel' ? { uri: 'file:///w/gpt2_small.nnmodel', text: imported } : undefined),
  });
  const m = a.models.find((x) => x.name === 'GPTSmall')!;
  return { text, imported, model: serializeModel(m) };
}

test('an attention layer of an imported block links to the call in this file, and names the file it is written in', () => {
  const { text, imported, model } = gptSmall();
  const group = model.graph.nodes.find((n) => n.kind === 'group')!;
  assert.equal(group.kind === 'group' && group.uri, undefined, 'the gpt_block call is in this file');
  assert.ok(group.kind === 'group');
  const body = group.runs[0].body;
  const attn = body.nodes.find((n) => n.kind === 'layer' && n.op === 'attention')!;
  assert.equal(attn.kind === 'layer' && attn.uri, 'file:///w/gpt2_small.nnmodel');
  // Its runtime path in the second repetition of the first run (build.ts `nodePath`).
  const s = layerSource(model.graph, `${group.id}/0#1/${attn.id}`)!;
  assert.ok(s);
  // The selection is the block call in gpt_small.nnmodel, not the attention call's offsets.
  assert.match(text.slice(s.range.start.offset, s.range.end.offset), /^gpt_block\(128, 4\) \* 4/);
  assert.equal(s.line, text.slice(0, s.range.start.offset).split('\n').length);
  const attnLine = imported.slice(0, attn.range.start.offset).split('\n').length;
  assert.match(imported.split('\n')[attnLine - 1], /attention\(/);
  assert.deepEqual(s.imported, { file: 'gpt2_small.nnmodel', line: attnLine });
  assert.equal(sourceText(s), `line ${attnLine} of gpt2_small.nnmodel, called at line ${s.line}`);
  assert.match(sourceTitle(s), /gpt2_small\.nnmodel/);
  // The header's link selects that range.
  const revealed: unknown[] = [];
  const link = headerSource(s, (r) => revealed.push(r))!;
  link.reveal();
  assert.deepEqual(revealed, [s.range]);
  assert.equal(link.line, s.line);
});

test('a layer written in this file, at the top level or in a local block, links to its own call', () => {
  const text = read('resnet18.nnmodel');
  const model = serializeModel(analyze(text, { uri: 'file:///w/resnet18.nnmodel' }).models[0]);
  const stem = model.graph.nodes.find((n) => n.kind === 'layer')!;
  const top = layerSource(model.graph, String(stem.id))!;
  assert.equal(top.range, stem.range);
  assert.equal(top.imported, undefined);
  assert.equal(sourceText(top), `line ${stem.range.start.line + 1}`);
  const group = model.graph.nodes.find((n) => n.kind === 'group')!;
  assert.ok(group.kind === 'group');
  const conv = group.runs[0].body.nodes.find((n) => n.kind === 'layer' && n.op === 'conv2d')!;
  const inBlock = layerSource(model.graph, `${group.id}/0#0/${conv.id}`)!;
  assert.equal(inBlock.range, conv.range);
  assert.match(text.slice(conv.range.start.offset, conv.range.end.offset), /^conv2d\(filters, 3/);
  assert.equal(inBlock.imported, undefined);
});

test('a path that names no node gives no link rather than a wrong one', () => {
  const { model } = gptSmall();
  assert.equal(layerSource(model.graph, '999'), undefined);
  assert.equal(layerSource(model.graph, 'not a path'), undefined);
  assert.equal(headerSource(undefined, () => assert.fail('nothing to reveal')), undefined);
});

test('the section the editor\'s cursor is in: the tightest call around it, an imported layer through its call here', () => {
  const { text, model } = gptSmall();
  const group = model.graph.nodes.find((n) => n.kind === 'group')!;
  assert.ok(group.kind === 'group');
  const body = group.runs[0].body.nodes;
  const attn = body.find((n) => n.kind === 'layer' && n.op === 'attention')!;
  const wte = model.graph.nodes.find((n) => n.kind === 'layer' && n.op === 'embedding')!;
  const pos = model.graph.nodes.find((n) => n.kind === 'layer' && n.op === 'positional')!;
  const paths = [String(wte.id), String(pos.id), `${group.id}/0#0/${attn.id}`, `${group.id}/0#1/${attn.id}`];
  // On `positional(` in the chain of line 29: the positional layer, not the whole chain's value.
  assert.equal(pathAt(model.graph, paths, text.indexOf('positional(learned') + 3), paths[1]);
  // On the gpt_block call: the first attention reached through it.
  assert.equal(pathAt(model.graph, paths, text.indexOf('gpt_block(128') + 2), paths[2]);
  // On a comment: none.
  assert.equal(pathAt(model.graph, paths, 0), undefined);
});

test('the graph tooltip of a layer of an imported block names its file, not its full URI', () => {
  const { model } = gptSmall();
  const d = buildDiagram(model.graph, [], new Set(groupKeys(model.graph)), { measure: (t) => t.length * 7 });
  const attn = [...d.boxes.values()].find((b) => b.node.kind === 'layer' && b.node.op === 'attention')!;
  const tip = boxTooltip(attn);
  assert.match(tip, /\nline \d+ of gpt2_small\.nnmodel(\n|$)/);
  assert.doesNotMatch(tip, /file:/);
});

test('a click on a graph node of an imported block selects the block call in this file; a local node its own call', () => {
  const { text, model } = gptSmall();
  const d = buildDiagram(model.graph, [], new Set(groupKeys(model.graph)), { measure: (t) => t.length * 7 });
  const attn = [...d.boxes.values()].find((b) => b.node.kind === 'layer' && b.node.op === 'attention')!;
  const call = callBox(d.boxes, attn)!;
  assert.equal(call.node.kind, 'group');
  assert.match(text.slice(call.node.range.start.offset, call.node.range.end.offset), /^gpt_block\(128, 4\) \* 4/);
  const wte = [...d.boxes.values()].find((b) => b.node.kind === 'layer' && b.node.op === 'embedding')!;
  assert.equal(callBox(d.boxes, wte), wte);
});

test('a layer in a block says which application of the block it is in: the call’s line, the copy of a repeat, the call on a shared line', () => {
  const text = `block unit(f) {
  input x
  output x -> conv2d(f, 3, padding = same) -> relu
}
block stage(f) {
  input x
  output x -> unit(f) * 2
}
model Net {
  input image: [16, 16, 1]
  a = image -> unit(4)
  b = a -> unit(4) * 3
  c = b -> unit(4) -> unit(4)
  output c -> stage(4) -> flatten -> dense(2)
}
`;
  const a = analyze(text, { uri: 'file:///w/net.nnmodel' });
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  const model = serializeModel(a.models[0]);
  const groups = model.graph.nodes.filter((n) => n.kind === 'group');
  assert.equal(groups.length, 5);
  const conv = (g: (typeof groups)[number]) => (g.kind === 'group' ? g.runs[0].body.nodes.find((n) => n.kind === 'layer' && n.op === 'conv2d')!.id : -1);
  const [first, repeated, left, right, stage] = groups;
  assert.equal(blockPlace(model.graph, `${first.id}/0#0/${conv(first)}`), 'in unit at line 11');
  assert.equal(blockPlace(model.graph, `${repeated.id}/0#1/${conv(repeated)}`), 'in unit at line 12, copy 2 of 3');
  assert.equal(blockPlace(model.graph, `${left.id}/0#0/${conv(left)}`), 'in unit at line 13, 1st call on that line');
  assert.equal(blockPlace(model.graph, `${right.id}/0#0/${conv(right)}`), 'in unit at line 13, 2nd call on that line');
  // Nested: the stage's call, then the unit repeated inside it.
  assert.ok(stage.kind === 'group');
  const inner = stage.runs[0].body.nodes.find((n) => n.kind === 'group')!;
  const innerConv = inner.kind === 'group' ? inner.runs[0].body.nodes.find((n) => n.kind === 'layer' && n.op === 'conv2d')!.id : -1;
  assert.equal(blockPlace(model.graph, `${stage.id}/0#0/${inner.id}/0#1/${innerConv}`), 'in stage at line 14 › unit at line 7, copy 2 of 2');
  // Every conv2d of the model (8 of them) has a header of its own.
  const headers = [
    `${first.id}/0#0/${conv(first)}`,
    ...[0, 1, 2].map((r) => `${repeated.id}/0#${r}/${conv(repeated)}`),
    `${left.id}/0#0/${conv(left)}`,
    `${right.id}/0#0/${conv(right)}`,
    ...[0, 1].map((r) => `${stage.id}/0#0/${inner.id}/0#${r}/${innerConv}`),
  ];
  // The line alone (the headers before): every one of them said "line 3".
  assert.deepEqual([...new Set(headers.map((p) => sourceText(layerSource(model.graph, p)!)))], ['line 3']);
  const placed = headers.map((p) => `${sourceText(layerSource(model.graph, p)!)} · ${blockPlace(model.graph, p)}`);
  assert.equal(new Set(placed).size, 8, placed.join('\n'));
  // A layer outside any block says nothing more.
  const dense = model.graph.nodes.find((n) => n.kind === 'layer' && n.op === 'dense')!;
  assert.equal(blockPlace(model.graph, String(dense.id)), undefined);
});
