// Completion of a block parameter's value (`basic_block(64, |)`, `res(filters = |)`):
// a parameter takes a value known while analysing, so the parameters and the
// plain values in scope are offered, never a tensor (an input, a layer's
// result, a layer object) (extension/vscode/completion.ts blockArgItems).
import { sourceDocument, state, type CompletionItem } from './vscodeMock';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core';
import type { AnalysisCache } from '../../extension/vscode/analysisCache';
import { registerCompletion } from '../../extension/vscode/completion';

function labels(marked: string): string[] {
  const offset = marked.indexOf('|');
  const text = marked.slice(0, offset) + marked.slice(offset + 1);
  const path = '/w/qa.nnmodel';
  const doc = sourceDocument(path, text);
  const analysis = analyze(text, { uri: `file://${path}` });
  registerCompletion('nnmodel', { get: () => analysis } as unknown as AnalysisCache);
  const items: CompletionItem[] = state.providers.completion!.provideCompletionItems(doc, doc.positionAt(offset), undefined, {});
  return items.map((it) => (typeof it.label === 'string' ? it.label : it.label.label));
}

const BASIC = `block basic_block(filters, stride = 1) {
  input x
  output x -> conv2d(filters, 3, stride = stride, padding = same) -> relu
}
model M {
  input image: [32, 32, 16]
  width = 2
  stem = image -> conv2d(16, 3, padding = same)
  output stem -> basic_block(64, |) -> flatten -> dense(10)
}
`;

test("a block parameter's value by position: the plain values in scope, no tensor", () => {
  const got = labels(BASIC);
  assert.ok(got.includes('width'), `a number in scope: ${got.join(', ')}`);
  assert.ok(got.includes('stride'), `the parameter by name: ${got.join(', ')}`);
  for (const tensor of ['image', 'stem']) assert.ok(!got.includes(tensor), `${tensor} is a tensor, no parameter value: ${got.join(', ')}`);
});

test("a block parameter's value by name: the same", () => {
  const got = labels(BASIC.replace('basic_block(64, |)', 'basic_block(64, stride = |)'));
  assert.ok(got.includes('width'), got.join(', '));
  for (const tensor of ['image', 'stem']) assert.ok(!got.includes(tensor), `${tensor}: ${got.join(', ')}`);
  // Inside a block, its own parameters fit.
  const inner = `block outer(n) {\n  input x\n  output x -> basic_block(|)\n}\n${BASIC.replace('basic_block(64, |)', 'outer(8)')}`;
  const got2 = labels(inner);
  assert.ok(got2.includes('n') && !got2.includes('x'), got2.join(', '));
});
