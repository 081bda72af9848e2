// The registry-docs hover (no site under the cursor) over a block parameter's default word
// (`act = relu`, valid since block defaults may be words): the choice it names, not "this call could
// not be analysed (an error on its line or above ...)" in a file without errors.
import { sourceDocument, state, type MarkdownString } from './vscodeMock';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core';
import type { AnalysisCache } from '../../extension/vscode/analysisCache';
import { registerHover } from '../../extension/vscode/hover';

function hover(marked: string): string | undefined {
  const offset = marked.indexOf('|');
  const text = marked.slice(0, offset) + marked.slice(offset + 1);
  const doc = sourceDocument('/w/r.nnmodel', text);
  const analysis = analyze(text, { uri: 'file:///w/r.nnmodel' });
  registerHover('nnmodel', { get: () => analysis } as unknown as AnalysisCache);
  return (state.providers.hover!.provideHover(doc, doc.positionAt(offset))?.contents as MarkdownString | undefined)?.value;
}

test("hovering a block parameter's default word shows the choice, not a call that could not be analysed", () => {
  const md = hover('block b(f, act = re|lu) {\n  input x\n  output x -> dense(f, activation = act)\n}\nmodel M {\n  input x: [8]\n  output x -> b(2)\n}\n')!;
  assert.ok(md, 'a hover');
  assert.doesNotMatch(md, /could not be analysed/);
  assert.match(md, /^\*\*relu\*\* — a parameter's default: the choice it names, not a call\./);
  // A call in a block no model calls keeps saying why it has no shapes: that no model calls the block.
  assert.match(hover('block b(f) {\n  input x\n  output x -> re|lu\n}\n')!, /no shapes: no model calls the block 'b' yet/);
});
