import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalysisSession } from '../../extension/core/analysis/session';
import { getLayer } from '../../extension/core';
import { applyTokenEdit, encodeTokens, semanticTokens, tokenEdit } from '../../extension/vscode/pure/semanticTokens';
import { analysisDelay, CHEAP_ANALYSIS_MS, smoothedCost } from '../../extension/vscode/pure/schedule';
import { mulberry32 } from '../../extension/core/runtime/data/random';

test('tokenEdit: equal arrays need no edit', () => {
  assert.equal(tokenEdit(new Uint32Array([]), new Uint32Array([])), undefined);
  assert.equal(tokenEdit(new Uint32Array([1, 2, 3]), new Uint32Array([1, 2, 3])), undefined);
});

test('tokenEdit: the edit keeps the common prefix and suffix and applies back to the new array', () => {
  const cases: [number[], number[], { start: number; deleteCount: number; data: number[] }][] = [
    [[1, 2, 3, 4], [1, 2, 9, 4], { start: 2, deleteCount: 1, data: [9] }],
    [[1, 2, 3], [1, 2, 3, 4, 5], { start: 3, deleteCount: 0, data: [4, 5] }],
    [[1, 2, 3, 4, 5], [4, 5], { start: 0, deleteCount: 3, data: [] }],
    // Repeated values: the suffix must not overlap the prefix.
    [[7, 7, 7], [7, 7, 7, 7], { start: 3, deleteCount: 0, data: [7] }],
    [[7, 7, 7, 7], [7, 7], { start: 2, deleteCount: 2, data: [] }],
    [[], [1], { start: 0, deleteCount: 0, data: [1] }],
    [[1], [], { start: 0, deleteCount: 1, data: [] }],
  ];
  for (const [a, b, want] of cases) {
    const e = tokenEdit(new Uint32Array(a), new Uint32Array(b));
    assert.ok(e, `${a} → ${b}`);
    assert.deepEqual({ start: e.start, deleteCount: e.deleteCount, data: [...e.data] }, want, `${a} → ${b}`);
    assert.deepEqual([...applyTokenEdit(new Uint32Array(a), e)], b);
  }
});

test('tokenEdit: random arrays round-trip through applyTokenEdit', () => {
  const rand = mulberry32(42);
  for (let n = 0; n < 500; n++) {
    const a = Array.from({ length: Math.floor(rand() * 30) }, () => Math.floor(rand() * 4));
    const b = a.filter(() => rand() > 0.1).map((v) => (rand() < 0.1 ? Math.floor(rand() * 4) : v));
    if (rand() < 0.3) b.splice(Math.floor(rand() * (b.length + 1)), 0, Math.floor(rand() * 4));
    const prev = new Uint32Array(a);
    const next = new Uint32Array(b);
    const e = tokenEdit(prev, next);
    if (!e) {
      assert.deepEqual(a, b);
      continue;
    }
    assert.deepEqual([...applyTokenEdit(prev, e)], b, `${a} → ${b}`);
    assert.ok(e.start + e.deleteCount <= a.length && e.data.length <= b.length);
  }
});

test('tokenEdit: a keystroke in the GPT-2 example changes a few tokens, not the whole array', () => {
  const text = readFileSync(join(__dirname, '../../examples/gpt2_small.nnmodel'), 'utf8');
  const at = text.indexOf('-> gelu') + '-> gelu'.length;
  const editedText = text.slice(0, at) + 'x' + text.slice(at);
  const session = new AnalysisSession();
  const before = encodeTokens(semanticTokens(session.update(text), undefined, getLayer));
  const after = encodeTokens(semanticTokens(session.update(editedText), undefined, getLayer));
  const e = tokenEdit(before, after);
  assert.ok(e, 'gelu → gelux is no longer a known layer: its token changes');
  assert.deepEqual([...applyTokenEdit(before, e)], [...after]);
  assert.ok(e.data.length <= 10 && e.deleteCount <= 10, `edit of ${e.deleteCount} → ${e.data.length} integers out of ${before.length}`);
});

test('analysisDelay: cheap or never-timed documents are analysed at once, slow ones wait for the debounce', () => {
  assert.equal(analysisDelay(150, undefined), 0);
  assert.equal(analysisDelay(150, 3), 0);
  assert.equal(analysisDelay(150, CHEAP_ANALYSIS_MS), 0);
  assert.equal(analysisDelay(150, CHEAP_ANALYSIS_MS + 1), 150);
  assert.equal(analysisDelay(0, 500), 0);
  assert.equal(analysisDelay(-5, 500), 0);
  assert.equal(analysisDelay(Number.NaN, 500), 0);
});

test('smoothedCost: counts CPU time (or wall time when less) and halves the weight of older analyses', () => {
  // A busy machine: 90 ms of wall time but 10 ms of CPU.
  assert.equal(smoothedCost(undefined, 90, { user: 8000, system: 2000 }), 10);
  // Parallel threads can make CPU time exceed wall time: the wall time counts then.
  assert.equal(smoothedCost(undefined, 12, { user: 30000, system: 0 }), 12);
  // One slow analysis among cheap ones does not switch the debounce on; two do.
  let cost = smoothedCost(undefined, 20, { user: 20000, system: 0 });
  cost = smoothedCost(cost, 75, { user: 75000, system: 0 });
  assert.equal(analysisDelay(150, cost), 0);
  cost = smoothedCost(cost, 75, { user: 75000, system: 0 });
  assert.equal(analysisDelay(150, cost), 150);
});
