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
import { headerSource, layerSource, pathAt, sourceText, sourceTitle } from '../../webview/views/sourceLink';

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
