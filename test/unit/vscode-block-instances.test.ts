// A block called more than once: the hover and the inlay hints inside its body
// say which call their figures are for and what the others give
// (SiteInfo.instances, extension/vscode/pure/text.ts instancesText).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, analyzeFile, type Analyzer } from '../../extension/core/analysis/analyze';
import { parse } from '../../extension/core/syntax/parser';
import { AnalysisSession } from '../../extension/core/analysis/session';
import { shapeToString } from '../../extension/core/analysis/sym';
import type { Analysis, SiteInfo } from '../../extension/core/analysis/types';
import { instancesText, layerHoverMarkdown, lineHints, valueHoverMarkdown } from '../../extension/vscode/pure/text';
import { getLayer } from '../../extension/core';

const CONVBN = `block convbn(f) {
  input x
  x = x -> conv2d(f, 3, padding = same)
  output x -> batchnorm -> relu
}

model Net {
  input image: [28, 28, 1]
  output image -> convbn(16) -> maxpool(2)
               -> convbn(32) -> flatten -> dense(10)
}
`;

function siteOn(a: Analysis, name: string, line: number): SiteInfo {
  const s = a.sites.find((x) => x.name === name && x.range.start.line === line && x.kind !== 'value');
  assert.ok(s, `no site ${name} on line ${line + 1}`);
  return s;
}

test('hover in a block body called twice with different shapes names the call shown and what the other gives', () => {
  const a = analyze(CONVBN);
  const conv = siteOn(a, 'conv2d', 2);
  assert.equal(shapeToString(conv.outShape!), '[28, 28, 16]');
  assert.equal(conv.instances?.calls, 2);
  assert.equal(
    instancesText(conv),
    'Shown for the first of 2 calls, `convbn(16)` on line 9; `convbn(32)` on line 10 gives [14, 14, 32], 4,640 params.',
  );
  const md = layerHoverMarkdown(conv, getLayer('conv2d'));
  // Right under "conv layer in Net", before the figures it qualifies.
  assert.ok(md.indexOf('Shown for the first of 2 calls') < md.indexOf('Parameters: **160**'), md);
  const x = a.sites.find((s) => s.kind === 'value' && s.name === 'x' && s.range.start.line === 2)!;
  assert.match(valueHoverMarkdown(x), /Shown for the first of 2 calls, .*gives \[14, 14, 32\]\./);
  // A layer of the model itself, reached once: nothing to say.
  assert.equal(instancesText(siteOn(a, 'dense', 9)), undefined);
});

test('inlay hints in such a body show the first call with "+1 more call"; the tooltip lists the other', () => {
  const a = analyze(CONVBN);
  const hints = lineHints(a.sites, true);
  const line2 = hints.find((h) => h.line === 2)!;
  assert.equal(line2.label, '→ [28, 28, 16] · 160 params · +1 more call');
  assert.match(line2.tooltip, /`convbn\(32\)` on line 10 gives \[14, 14, 32\], 4,640 params/);
  assert.equal(hints.find((h) => h.line === 9)!.label.includes('more'), false);
});

test('calls that give the same shapes are counted, and said to give the same; no marker on the hints', () => {
  const text = CONVBN.replace('-> maxpool(2)\n               -> convbn(32)', '-> convbn(16)');
  const a = analyze(text);
  const conv = siteOn(a, 'conv2d', 2);
  // convbn(16) on [28, 28, 1] and on [28, 28, 16]: the same output, other parameters.
  assert.equal(instancesText(conv), 'Shown for the first of 2 calls, `convbn(16)` on line 9, col 19; `convbn(16)` on line 9, col 33 gives 2,320 params.');
  const relu = siteOn(a, 'relu', 3);
  assert.equal(instancesText(relu), 'Shown for the first of 2 calls, `convbn(16)` on line 9; the others give the same.');
  // batchnorm and relu give the same in both calls: the hint holds for both, no marker.
  assert.equal(lineHints(a.sites, true).find((h) => h.line === 3)!.label, '→ [28, 28, 16] · 64 params');
  // Two models making the same call: the second reuses the first's analysis, and still counts.
  const two = analyze(`${CONVBN}\nmodel Net2 {\n  input image: [28, 28, 1]\n  output image -> convbn(16) -> flatten -> dense(10)\n}\n`);
  assert.equal(siteOn(two, 'conv2d', 2).instances?.calls, 3);
  assert.equal(siteOn(two, 'conv2d', 2).instances?.outcomes.length, 2);
  assert.equal(lineHints(two.sites, true).find((h) => h.line === 3)!.label, '→ [28, 28, 16] · 64 params · +1 more call');
});

test('nested blocks and repeats: each call of the block, and the runs of one call', () => {
  const text = `block inner(f) {
  input x
  output x -> dense(f)
}

block outer(f) {
  input x
  output x -> inner(f) -> inner(2 * f)
}

model M {
  input x: [4]
  output x -> outer(8) -> inner(3) * 2 -> outer(1)
}
`;
  const a = analyze(text);
  const dense = siteOn(a, 'dense', 2);
  // The calls of inner as written: two in outer's body, one in M.
  assert.equal(dense.instances?.calls, 3);
  assert.equal(
    instancesText(dense),
    'Shown for the first of 3 calls, `inner(f)` on line 8, col 15; `inner(2 * f)` on line 8, col 27 gives [16], 144 params; ' +
      '`inner(3) * 2` on line 13 gives [3], 51 params; `inner(3) * 2` on line 13 also gives [3], 12 params; `inner(f)` on line 8, col 15 also gives [1], 4 params; and 1 more.',
  );
  // A call run more than once, by itself: its repeats.
  const rep = analyze('block b(f) {\n  input x\n  output x -> dense(f)\n}\n\nmodel M {\n  input x: [4]\n  output x -> b(3) * 3\n}\n');
  assert.equal(instancesText(siteOn(rep, 'dense', 2)), 'Shown for the first run of `b(3) * 3` on line 8; other runs give 12 params.');
});

test('the incremental session gives the same instances as a fresh analysis', () => {
  const session = new AnalysisSession();
  session.update(CONVBN, {});
  const edited = CONVBN.replace('convbn(32)', 'convbn(64)');
  const r = session.update('# a comment\n' + edited, {});
  const fresh = analyze('# a comment\n' + edited);
  const pick = (a: Analysis) => siteOn(a, 'conv2d', 3).instances;
  assert.deepEqual(JSON.parse(JSON.stringify(pick(r))), JSON.parse(JSON.stringify(pick(fresh))));
  assert.match(instancesText(siteOn(r, 'conv2d', 3))!, /`convbn\(64\)` on line 11 gives \[14, 14, 64\]/);
});

/** The reviewer's nesting chain: `block b<i>` calls `b<i-1>` `calls` times, `depth` deep, under one model. */
function chain(depth: number, calls: number): string {
  let text = 'block b0(u) {\n  input x\n  y = x -> dense(u) -> relu -> dense(u)\n  output x + y\n}\n';
  for (let i = 1; i <= depth; i++) text += `block b${i}(u) {\n  input x\n  output x -> ${Array(calls).fill(`b${i - 1}(u)`).join(' -> ')}\n}\n`;
  return `${text}model M {\n  input v: [16]\n  output v -> b${depth}(16) -> dense(2)\n}\n`;
}

/** `analyze`, and how many site visits recording `instances` took (`Analyzer.siteVisits`). */
function analyzeCounting(text: string): { a: Analysis; visits: number } {
  let analyzer: Analyzer | undefined;
  const a = analyzeFile(
    parse(text),
    {},
    (an, file, models) => {
      analyzer = an;
      for (const item of file.items) if (item.kind === 'model') models.push(an.analyzeModel(item));
    },
    false,
  );
  return { a, visits: analyzer!.siteVisits };
}

test('nested block calls: recording the calls of each site is linear in the text, not calls^depth (a keystroke analyses it)', () => {
  for (const [depth, calls] of [
    [8, 4],
    [10, 3],
  ]) {
    const { a, visits } = analyzeCounting(chain(depth, calls));
    assert.equal(a.diagnostics.filter((d) => d.severity === 'error').length, 0);
    // Each (site, call that reached it) once: a cached instantiation reused by another call adds its own body's sites, not its nested log again.
    const pairs = a.sites.reduce((n, s) => n + (s.instances?.calls ?? 1), 0);
    assert.ok(visits <= 2 * pairs, `${depth} deep × ${calls}: ${visits} visits for ${pairs} (site, call) pairs`);
    // One level more adds one level's work, not `calls` times the work.
    const deeper = analyzeCounting(chain(depth + 1, calls)).visits;
    assert.ok(deeper < 1.5 * visits, `${depth + 1} deep: ${deeper} visits, ${depth} deep: ${visits}`);
    // What the hover says is unchanged: b0's layers are reached through b1's `calls` calls, with one result.
    const dense = siteOn(a, 'dense', 2);
    assert.equal(dense.instances?.calls, calls);
    assert.equal(instancesText(dense), `Shown for the first of ${calls} calls, \`b0(u)\` on line 8; the others give the same.`);
  }
});

test('"and N more" counts each distinct result once, however often a cached block call is reused', () => {
  const n = 20;
  const inners = Array.from({ length: n }, (_, i) => `inner(${i + 1})`).join(' -> ');
  const text = `block inner(f) {\n  input x\n  output x -> dense(f)\n}\n\nblock outer(w) {\n  input x\n  output x -> ${inners} -> dense(w)\n}\n\nmodel M {\n  input x: [20]\n  output x -> outer(20) -> outer(20) -> outer(20)\n}\n`;
  const a = analyze(text);
  const dense = siteOn(a, 'dense', 2);
  // 20 calls of inner, each with its own result: the first shown, 4 listed, 15 more; the two reuses of outer(20) add nothing.
  assert.equal(dense.instances?.calls, n);
  assert.match(instancesText(dense)!, /; and 15 more\.$/);
  assert.equal(lineHints(a.sites, true).find((h) => h.line === 2)!.label.endsWith(`+${n - 1} more calls`), true);
});

test('a site reached by more calls and results than are kept: every call counted, 16 results kept, the rest counted', () => {
  // 20 calls of d(f) on 20 different widths, then 4 calls that repeat earlier results, one of them beyond the kept 16.
  const widths = Array.from({ length: 20 }, (_, i) => i + 1);
  const calls = [...widths, 1, 2, 18, 20].map((w, i) => `  y${i} = x -> d(${w})`);
  const text = `block d(f) {\n  input x\n  output x -> dense(f)\n}\n\nmodel M {\n  input x: [8]\n${calls.join('\n')}\n  output x -> d(3)\n}\n`;
  const a = analyze(text);
  const dense = siteOn(a, 'dense', 2);
  // 25 calls; d(3) on [8] repeats the third call's result.
  assert.equal(dense.instances?.calls, 25);
  assert.equal(dense.instances?.outcomes.length, 16);
  assert.equal(dense.instances?.moreOutcomes, 4);
  assert.deepEqual(
    dense.instances?.outcomes.map((o) => shapeToString(o.outShape!)),
    widths.slice(0, 16).map((w) => `[${w}]`),
  );
});
