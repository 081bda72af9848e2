// A block parameter applied as a layer and given a layer's name (`-> act`,
// `unit(16, act = gelu)`) in the editor (driven through the fake `vscode`
// module): hovering `act` in the body shows the layer it applies and says
// each application is a layer of its own; hovering the word the call gives
// says how the block applies it; completion after `act = ` offers the layers
// that need no arguments, the default first.
import { sourceDocument, state, type CompletionItem, type MarkdownString } from './vscodeMock';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core';
import type { AnalysisCache } from '../../extension/vscode/analysisCache';
import { registerCompletion } from '../../extension/vscode/completion';
import { registerHover } from '../../extension/vscode/hover';
import { lineHints } from '../../extension/vscode/pure/text';

/** A document whose text has a `|` where the cursor is (the marker removed). */
function open(marked: string) {
  const offset = marked.indexOf('|');
  assert.ok(offset >= 0, 'a | marks the cursor');
  const text = marked.slice(0, offset) + marked.slice(offset + 1);
  const path = '/w/words.nnmodel';
  const doc = sourceDocument(path, text);
  const analysis = analyze(text, { uri: `file://${path}` });
  const cache = { get: () => analysis } as unknown as AnalysisCache;
  return { doc, cache, at: doc.positionAt(offset) };
}

function hover(marked: string): string {
  const o = open(marked);
  registerHover('nnmodel', o.cache);
  const md = (state.providers.hover!.provideHover(o.doc, o.at)?.contents as MarkdownString | undefined)?.value;
  assert.ok(md, 'a hover');
  return md;
}

function completions(marked: string): CompletionItem[] {
  const o = open(marked);
  registerCompletion('nnmodel', o.cache);
  return state.providers.completion!.provideCompletionItems(o.doc, o.at, undefined, {});
}

const label = (it: CompletionItem) => (typeof it.label === 'string' ? it.label : it.label.label);

const SOURCE = `block unit(n, act = relu, norm = layernorm) {
  input x
  output x -> dense(n) -> norm -> ACT
}
model M {
  input x: [8]
  output x -> unit(16, act = GIVEN) -> unit(4, act = softmax)
}
`;

test('hovering act in the body: the layer it applies, with shapes, and that each application is its own layer', () => {
  const md = hover(SOURCE.replace('ACT', 'a|ct').replace('GIVEN', 'gelu'));
  assert.match(md, /^```nnmodel\ngelu\(\)\n```/);
  assert.match(md, /`act` is a parameter of block `unit` that names the layer it applies: here \*\*gelu\*\*, with its defaults\. Each `-> act` is a layer of its own \(a layer object given for `act` would share one set of weights at every application\)\./);
  assert.match(md, /\[16\] → \[16\]/);
  // The other call applies softmax: said with its result.
  assert.match(md, /Shown for the first of 2 calls/);
  // A layer with weights: its own, said so.
  const norm = hover(SOURCE.replace('ACT', 'act').replace('-> norm ->', '-> no|rm ->').replace('GIVEN', 'gelu'));
  assert.match(norm, /^```nnmodel\nlayernorm\(/);
  assert.match(norm, /Each `-> norm` is a layer of its own, with its own weights/);
});

test('hovering the word a call gives: the parameter, and that the block applies it as a layer', () => {
  const md = hover(SOURCE.replace('ACT', 'act').replace('GIVEN', 'ge|lu'));
  assert.match(md, /\(parameter\) unit\.act = gelu/);
  assert.match(md, /Applied as a layer by `-> act` in the block: \*\*gelu\*\*, with its defaults, a layer of its own at each application \(with its own weights, where it has any\)/);
  // The default in the block's header: the layer applied when a call gives none.
  const def = hover(SOURCE.replace('ACT', 'act').replace('GIVEN', 'gelu').replace('act = relu', 'act = re|lu'));
  assert.match(def, /\*\*relu\*\* — a parameter's default: the layer `-> act` applies when a call gives none/);
});

test('the hovers put no punctuation right after a code span (see vscode-hover-layout.test.ts)', () => {
  const texts = [
    hover(SOURCE.replace('ACT', 'a|ct').replace('GIVEN', 'gelu')),
    hover(SOURCE.replace('ACT', 'act').replace('GIVEN', 'ge|lu')),
    hover(SOURCE.replace('ACT', 'act').replace('GIVEN', 'gelu').replace('act = relu', 'act = re|lu')),
  ];
  // Above the layer's documentation (the registry's text, after `---`).
  for (const text of texts.map((t) => t.split('\n---\n')[0])) assert.deepEqual([...text.matchAll(/.{0,30}`[^`\n]+`[,;:.)].{0,10}/g)].map((m) => m[0]), []);
});

test('completion after act = offers the layers that need no arguments, the default first, and no layer that needs some', () => {
  const items = completions(SOURCE.replace('ACT', 'act').replace('GIVEN', '|'));
  const names = items.map(label);
  for (const layer of ['gelu', 'relu', 'softmax', 'layernorm', 'batchnorm', 'flatten']) assert.ok(names.includes(layer), `${layer}: ${names.join(', ')}`);
  for (const layer of ['dense', 'conv2d', 'concat', 'embedding']) assert.ok(!names.includes(layer), `${layer} needs arguments: ${names.join(', ')}`);
  const sorted = [...items].sort((a, b) => String(a.sortText).localeCompare(String(b.sortText)));
  assert.equal(label(sorted[0]), 'relu', 'the default first');
  assert.equal(sorted[0].detail, 'default of act');
  // A parameter given to a layer argument (activation = act) keeps the activations only.
  const choice = completions(SOURCE.replace('-> norm -> ACT', '-> norm -> dense(n, activation = act)').replace('GIVEN', '|')).map(label);
  assert.ok(choice.includes('gelu') && !choice.includes('layernorm'), choice.join(', '));
});

test("the inlay hint of the line of `-> act` names the layer applied, and the other call's result", () => {
  const a = analyze(SOURCE.replace('ACT', 'act').replace('GIVEN', 'gelu'));
  const hint = lineHints(a.sites, true).find((h) => h.line === 2);
  assert.ok(hint, 'a hint on the line of -> act');
  assert.match(hint.label, /^→ \[16\] · 176 params · \+1 more call$/);
  assert.match(hint.tooltip, /^\*\*gelu\*\* in M/);
});
