// The hover of a layer call opened with the layer's signature, defaults and all: over
// `attention(heads, causal = true)` it read `attention(heads, key_dim = dim/heads, causal = false, …)`, and a
// student took the call for a non-causal one. It now opens with the call as the analysis read it.
import { sourceDocument, state, type MarkdownString } from './vscodeMock';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, getLayer } from '../../extension/core';
import type { AnalysisCache } from '../../extension/vscode/analysisCache';
import { registerHover } from '../../extension/vscode/hover';
import { callAsRead } from '../../extension/vscode/pure/text';

function hover(marked: string): string | undefined {
  const offset = marked.indexOf('|');
  const text = marked.slice(0, offset) + marked.slice(offset + 1);
  const doc = sourceDocument('/w/h.nnmodel', text);
  const analysis = analyze(text, { uri: 'file:///w/h.nnmodel' });
  registerHover('nnmodel', { get: () => analysis } as unknown as AnalysisCache);
  return (state.providers.hover!.provideHover(doc, doc.positionAt(offset))?.contents as MarkdownString | undefined)?.value;
}

const GPT = (call: string) => `block gpt_block(d, heads) {
  input x
  output x + x -> layernorm -> ${call}
}
model GPT {
  input tokens: int[seq]
  wte = embedding(100, 64)
  output tokens -> wte -> positional(learned, maxlen = 32) -> gpt_block(64, 4) * 2 -> unembed(wte)
}
`;

test('the hover of a call opens with its arguments as analysed: the causal it has, the heads its block gave', () => {
  const md = hover(GPT('att|ention(heads, causal = true)'))!;
  assert.ok(md.startsWith('```nnmodel\nattention(heads = 4, key_dim = dim/heads, causal = true, context = none, dropout = 0, bias = true, position = none, pad_mask = none, pad_id = 0)\n```'), md.slice(0, 200));
  // The documentation below keeps the signature with its defaults.
  assert.match(md, /\*\*attention\(heads, key_dim = dim\/heads, causal = false/);
});

test('values of every kind: a layer object, a context, a list, a word', () => {
  assert.match(hover(GPT('attention(heads)').replace('-> unembed(wte)', '-> un|embed(wte)'))!, /^```nnmodel\nunembed\(embedding = wte, bias = false\)\n```/);
  assert.match(hover(GPT('attention(heads)').replace('positional(learned', 'posi|tional(learned'))!, /^```nnmodel\npositional\(kind = learned, maxlen = 32\)\n```/);
  const conv = hover('model C {\n  input image: [32, 32, 3]\n  output image -> con|v2d(8, [3, 5], stride = 2, padding = same)\n}\n')!;
  assert.match(conv, /^```nnmodel\nconv2d\(filters = 8, kernel = \[3, 5\], stride = 2, padding = same, dilation = 1, groups = 1, bias = true, activation = none\)\n```/);
  const cross = hover('model T {\n  input a: [s, 16]\n  input b: [t, 16]\n  output a -> atten|tion(4, context = b)\n}\n')!;
  assert.match(cross, /^```nnmodel\nattention\(heads = 4, key_dim = dim\/heads, causal = false, context = b,/);
  // callAsRead alone: a number as the docs write it.
  assert.equal(callAsRead(getLayer('layernorm')!, { epsilon: 0.00001 }), 'layernorm(epsilon = 1e-5)');
});

test('a + keeps the signature of add, with the two values it adds below', () => {
  const md = hover(GPT('attention(heads)').replace('x + x', 'x |+ x'))!;
  assert.match(md, /^```nnmodel\nadd\(values\.\.\.\)\n```/);
});
