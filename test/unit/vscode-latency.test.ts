import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnalysisSession } from '../../extension/core/analysis/session';
import { getLayer } from '../../extension/core';
import { applyTokenEdit, encodeSemanticTokens, encodeTokens, semanticTokens, tokenEdit } from '../../extension/vscode/pure/semanticTokens';
import { analyze } from '../../extension/core';
import { generateFile } from '../../bench/generate';
import { analysisDelay, CHEAP_ANALYSIS_MS, runAfter, smoothedCost } from '../../extension/vscode/pure/schedule';
import { readFile } from 'node:fs';
import { mulberry32 } from '../../extension/core/runtime/data/random';
import { nnmodelFiles } from '../fixtures/examples';

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

/** Calls `body` from an I/O callback, as the extension host calls its listeners when a socket message arrives. */
function fromIoCallback(body: () => void): void {
  readFile(__filename, () => body());
}

test('runAfter(0): an edit is analysed in the same turn of the event loop, before any timer (even one queued earlier)', async () => {
  const order: string[] = [];
  await new Promise<void>((done) =>
    fromIoCallback(() => {
      setTimeout(() => {
        order.push('timer 0 ms');
        done();
      }, 0);
      runAfter(0, () => order.push('analysis'));
    }),
  );
  // With a setTimeout(0) the analysis would run after the timer queued before it.
  assert.deepEqual(order, ['analysis', 'timer 0 ms']);
});

test('runAfter(0): changes delivered together share one run (the later one cancels the earlier)', async () => {
  const runs: number[] = [];
  await new Promise<void>((done) =>
    fromIoCallback(() => {
      let pending = runAfter(0, () => runs.push(1));
      // A second change in the same batch of messages replaces the pending run, as AnalysisCache.schedule does.
      pending.cancel();
      pending = runAfter(0, () => runs.push(2));
      setTimeout(done, 5);
    }),
  );
  assert.deepEqual(runs, [2]);
});

test('runAfter(debounce): a slow file waits the delay, and cancel() drops the run', async () => {
  const started = performance.now();
  const ran = await new Promise<number>((done) => runAfter(30, () => done(performance.now() - started)));
  assert.ok(ran >= 29, `ran after ${ran} ms`);
  let dropped = true;
  runAfter(10, () => (dropped = false)).cancel();
  await new Promise((r) => setTimeout(r, 25));
  assert.ok(dropped, 'a cancelled run does not happen');
});

test('encodeSemanticTokens: the same integers as encodeTokens(semanticTokens(…)) on every example, a generated file and 400 mutants', () => {
  const uri = 'file:///work/t.nnmodel';
  const same = (text: string, what: string) => {
    const a = analyze(text, { uri });
    for (const docUri of [uri, 'file:///work/other.nnmodel']) {
      const want = encodeTokens(semanticTokens(a, docUri, getLayer));
      const got = encodeSemanticTokens(a, docUri, getLayer);
      assert.equal(got.length, want.length, `${what} (${docUri}): length`);
      assert.ok(got.every((v, i) => v === want[i]), `${what} (${docUri}): the encodings differ`);
    }
    return a;
  };
  const dir = join(__dirname, '../../examples');
  const texts = nnmodelFiles(dir)
    .map((f) => [f, readFileSync(join(dir, f), 'utf8')] as const);
  assert.ok(texts.length >= 5, 'the examples are there');
  const generated = generateFile(1500);
  const big = same(generated, 'generated 1500 lines');
  assert.ok(encodeSemanticTokens(big, uri, getLayer).length > 10_000, 'a long file has thousands of tokens');
  for (const [f, t] of texts) same(t, f);
  // Mutants: broken files classify names out of the usual places (error recovery), where order and overlaps matter.
  const rand = mulberry32(7);
  const pieces = ['x', ' ', '(', ')', ',', '=', '->', '\n', 'relu', '[', ']', '* 2', ' = ', 'dense(4)'];
  const sources = [...texts.map(([, t]) => t), generated.slice(0, 6000)];
  for (let n = 0; n < 400; n++) {
    let t = sources[n % sources.length];
    for (let k = 0, edits = 1 + Math.floor(rand() * 4); k < edits; k++) {
      const at = Math.floor(rand() * (t.length + 1));
      t = rand() < 0.5 ? t.slice(0, at) + t.slice(at + 1 + Math.floor(rand() * 6)) : t.slice(0, at) + pieces[Math.floor(rand() * pieces.length)] + t.slice(at);
    }
    same(t, `mutant ${n}`);
  }
});

test('encodeSemanticTokens: a name classified twice is sent once, and tokens out of text order are sorted', () => {
  const uri = 'file:///work/t.nnmodel';
  const a = analyze('model M {\n  input x: [4]\n  output x\n}\n', { uri });
  const model = a.file.items[0];
  assert.equal(model.kind, 'model');
  if (model.kind !== 'model') return;
  const check = (variant: typeof a, what: string, tokens: number) => {
    const want = encodeTokens(semanticTokens(variant, uri, getLayer));
    assert.deepEqual([...encodeSemanticTokens(variant, uri, getLayer)], [...want], what);
    assert.equal(want.length, tokens * 5, `${what}: ${tokens} tokens`);
  };
  check(a, 'as parsed', 3);
  // The walk meets the same `output x` twice in a row: the second is an overlap and must be dropped.
  const twice = { ...model, body: [...model.body, model.body[model.body.length - 1]] };
  check({ ...a, file: { ...a.file, items: [twice] } }, 'a statement walked twice', 3);
  // The whole model walked twice: the second pass goes back to line 0, out of order.
  check({ ...a, file: { ...a.file, items: [model, model] } }, 'a model walked twice', 3);
});
