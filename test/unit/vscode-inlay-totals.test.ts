// Inlay hints, CodeLens and status bar of ResNet-18 as a UX review saw them:
// "· +3 more" said not of what; the hint stood glued to the code
// (`relu→ [56, …`: paddingLeft is a third of a character); on a long line it
// ran past the window, and past VS Code's 43 characters it was cut with "…";
// the CodeLens gave every digit of the parameters beside abbreviated MACs,
// the status bar abbreviated both.
import { sourceDocument, state, Range, type InlayHint } from './vscodeMock';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyze } from '../../extension/core';
import type { AnalysisCache } from '../../extension/vscode/analysisCache';
import { registerInlayHints } from '../../extension/vscode/inlayHints';
import { HINT_COLUMNS, lineHints, modelLensTitle, modelStatusText, modelStatusTooltip, summaryMarkdown } from '../../extension/vscode/pure/text';

const TEXT = readFileSync(join(resolve('examples'), 'resnet18.nnmodel'), 'utf8');
const LINES = TEXT.split('\n');
const line = (needle: string) => LINES.findIndex((l) => l.includes(needle));

/** The provider's hints for the whole of resnet18.nnmodel, by line. */
function providedHints(): Map<number, InlayHint> {
  const analysis = analyze(TEXT, { uri: 'file:///w/resnet18.nnmodel' });
  const cache = { get: () => analysis, onDidAnalyze: () => ({ dispose() {} }) } as unknown as AnalysisCache;
  registerInlayHints('nnmodel', cache);
  const doc = { ...sourceDocument('/w/resnet18.nnmodel', TEXT), lineCount: LINES.length, lineAt: (i: number) => ({ text: LINES[i] }) };
  const hints = state.providers.inlayHints!.provideInlayHints(doc, new Range(0, 0, LINES.length, 0));
  return new Map(hints.map((h) => [h.position.line, h]));
}

test('a hint in a block body called with other results says "+3 more calls", and one run more than once "runs"', () => {
  const a = analyze(TEXT);
  const hints = new Map(lineHints(a.sites, true).map((h) => [h.line, h.label]));
  assert.equal(hints.get(line('output (x + y) -> relu')), '→ [56, 56, 64] · +3 more calls');
  assert.equal(hints.get(line('output (shortcut + y) -> relu')), '→ [28, 28, 128] · +2 more calls');
  const runs = analyze(`block b(u) {
  input x
  output x -> dense(u) -> dense(3)
}
model M {
  input v: [4]
  output v -> b(3) * 3
}
`);
  assert.equal(lineHints(runs.sites, true).find((h) => h.line === 2)!.label, '→ [3] · 27 params · +1 more run');
});

test('the provider starts each hint with a space besides paddingLeft, and keeps it within VS Code\'s 43 characters and the line\'s room', () => {
  const hints = providedHints();
  for (const [n, h] of hints) {
    assert.equal(h.paddingLeft, true);
    assert.match(h.label, /^ [→0-9]/, `line ${n + 1}: ${h.label}`);
    assert.ok(h.label.length <= 43, `line ${n + 1} within editor.inlayHints.maximumLength: ${h.label}`);
  }
  // Room for the whole label: every part, every digit.
  assert.equal(hints.get(line('output (shortcut + y) -> relu'))!.label, ' → [28, 28, 128] · +2 more calls');
  assert.equal(hints.get(line('-> down_block(256) -> basic_block(256)'))!.label, ' → [14, 14, 256] · 2,102,272 params');
  // 47 characters in full: the parameters abbreviated, then "+3 calls".
  assert.equal(hints.get(28)!.label, ' → [56, 56, 64] · 37.1K params · +3 calls', LINES[28]);
  // Less room (78 columns of code): the parameters left out before the shape.
  assert.equal(hints.get(line('y = x -> conv2d(filters, 3, padding = same'))!.label, ' → [56, 56, 64] · +3 calls');
  // A long line (89 columns of code): the shape alone, where the rest would run past the window.
  const stem = line('stem = image -> conv2d(64, 7');
  assert.ok(LINES[stem].length + 20 > HINT_COLUMNS);
  assert.equal(hints.get(stem)!.label, ' → [112, 112, 64]');
  // The tooltip keeps what the label left out.
  const resolved = state.providers.inlayHints!.resolveInlayHint!(hints.get(stem)!);
  assert.match((resolved.tooltip as { value: string }).value, /parameters on this line: 9,664/);
});

test('CodeLens and status bar abbreviate parameters and MACs alike; hover, tooltip and Summary give every digit with the abbreviation beside', () => {
  const m = analyze(TEXT).models[0];
  assert.equal(modelLensTitle(m), '11.7M params · 1.8G MACs');
  assert.equal(modelStatusText(m), 'ResNet18 · 11.7M params · 1.8G MACs');
  assert.match(modelStatusTooltip(m), /Parameters: 11,699,112 \(11\.7M\) {2}\nMACs: 1,814,073,344 \(1\.8G\)/);
  const summary = summaryMarkdown(m, 32);
  assert.match(summary, /- Parameters: \*\*11,699,112 \(11\.7M\)\*\* — trainable/);
  assert.match(summary, /- MACs per example: \*\*1,814,073,344 \(1\.8G\)\*\*/);
  const lenet = analyze(readFileSync(join(resolve('examples'), 'lenet5.nnmodel'), 'utf8')).models[0];
  assert.equal(modelLensTitle(lenet), '61.7K params · 416.5K MACs');
});
