// The hovers of ResNet-18 as a UX review saw them in code-server: VS Code
// draws a code span with 0.4em of padding and no background, so `x`: read
// "x :" and a shape in a span "[28, 28, 128] , [28, …]"; the `+` hover gave
// add's signature twice; the conv2d hover put a long paragraph on parameter
// sharing before its receptive field, below the fold.
import { sourceDocument, state, type MarkdownString } from './vscodeMock';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyze } from '../../extension/core';
import type { AnalysisCache } from '../../extension/vscode/analysisCache';
import { registerHover } from '../../extension/vscode/hover';

const TEXT = readFileSync(join(resolve('examples'), 'resnet18.nnmodel'), 'utf8');

/** The hover at each offset of resnet18.nnmodel (each distinct one once). */
function hovers(): Map<string, number> {
  const doc = sourceDocument('/w/resnet18.nnmodel', TEXT);
  const analysis = analyze(TEXT, { uri: 'file:///w/resnet18.nnmodel' });
  registerHover('nnmodel', { get: () => analysis } as unknown as AnalysisCache);
  const out = new Map<string, number>();
  for (let o = 0; o < TEXT.length; o++) {
    const md = (state.providers.hover!.provideHover(doc, doc.positionAt(o))?.contents as MarkdownString | undefined)?.value;
    if (md && !out.has(md)) out.set(md, o);
  }
  return out;
}

function hoverAt(needle: string, delta: number): string {
  const doc = sourceDocument('/w/resnet18.nnmodel', TEXT);
  const analysis = analyze(TEXT, { uri: 'file:///w/resnet18.nnmodel' });
  registerHover('nnmodel', { get: () => analysis } as unknown as AnalysisCache);
  const at = TEXT.indexOf(needle);
  assert.ok(at >= 0, needle);
  return (state.providers.hover!.provideHover(doc, doc.positionAt(at + delta))?.contents as MarkdownString).value;
}

/** The text the hovers write themselves: without code blocks, the registry's documentation (after `---`) and an argument's (`**name** — …`). */
function own(md: string): string {
  return md
    .split('\n---\n')[0]
    .replace(/```[\s\S]*?```/g, '')
    .split('\n\n')
    .filter((p) => !/^\*\*[\w.]+\*\* — /.test(p))
    .join('\n\n')
    // The layer's documentation lines about a setting, quoted by an argument's hover (`padding=same`: …).
    .replace(/^`\w+=\w+`: .*$/gm, '');
}

test("resnet18's hovers put no punctuation right after a code span, and no shape or model name in one", () => {
  const all = hovers();
  assert.ok(all.size > 50, `hovers over the whole file (${all.size})`);
  const bad: string[] = [];
  for (const md of all.keys()) {
    const text = own(md);
    for (const m of text.matchAll(/.{0,30}`[^`\n]+`[,;:.)].{0,10}/g)) bad.push(`punctuation after a span: ${m[0]}`);
    for (const m of text.matchAll(/.{0,20}`\[[^`\n]*\]`.{0,5}/g)) bad.push(`a shape in a span: ${m[0]}`);
    for (const m of text.matchAll(/in `ResNet18`/g)) bad.push(`the model name in a span: ${m[0]}`);
    // Two spaces before a span, or after one but for a line break.
    for (const m of text.matchAll(/.{0,20}( {2}`|` {2}(?!\n|$)).{0,10}/g)) bad.push(`spaces at a span: ${m[0]}`);
  }
  assert.deepEqual([...new Set(bad)], []);
});

test('the + hover reads its operands and shapes in order, and gives add(values...) once', () => {
  const md = hoverAt('output (shortcut + y)', 'output (shortcut '.length);
  assert.equal(md.split('add(values...)').length - 1, 1, md);
  assert.match(md, /\*merge\* layer in ResNet18\n/);
  assert.match(md, /_Shown for the first of 3 calls, `down_block\(128\)` on line 47; `down_block\(256\)` on line 48 gives \[14, 14, 256\]; `down_block\(512\)` on line 49 gives \[7, 7, 512\]\._/);
  assert.match(md, /`shortcut` \+ `y` {2}\nleft: \[28, 28, 128\] from `shortcut` {2}\nright: \[28, 28, 128\] from `y`\n/);
  assert.match(md, /\n\[28, 28, 128\], \[28, 28, 128\] → \[28, 28, 128\] {2}\n/);
  // The registry's documentation starts with the name alone: the signature is the code block above.
  assert.match(md, /\n---\n\*\*add\*\* — value by value: `a \+ b \+ \.\.\.`\./);
});

test('the conv2d hover gives shapes, counts and receptive field first, parameter sharing after its weights', () => {
  const md = hoverAt('conv2d(64, 7', 2);
  const lines = own(md).split('\n').filter((l) => l.trim());
  assert.deepEqual(lines.slice(0, 5), [
    '*conv* layer in ResNet18',
    '[224, 224, 3] → [112, 112, 64]  ',
    'Parameters: **9,408**  ',
    'MACs: **118,013,952 (118.0M)**  ',
    'Receptive field: 7 × 7 pixels of *image*, stride 2 × 2',
  ]);
  const at = (s: string) => {
    const i = md.indexOf(s);
    assert.ok(i >= 0, s);
    return i;
  };
  assert.ok(at('Output size with `padding = same` — height and width ⌈224 / 2⌉ = 112') < at('**Weights**'));
  assert.ok(at('· `kernel` [7, 7, 3, 64]: 7·7·3·64 = 9,408') < at('Parameter sharing: the same 9,408 parameters'));
  assert.ok(at('Parameter sharing:') < at('\n---\n'));
});
