// Blocks that call the next block twice, many levels deep, are analysed once
// per distinct body, but a summary that expanded every instance would list
// 2^levels rows: the editor's Summary view and the inspector's table hung on
// such a file (the command line already stopped at 100 000 rows). Every
// caller of summaryRows now gets the top level only past that bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { MAX_SUMMARY_ROWS, expandedRowCount, summaryRows } from '../../extension/core/analysis/summary';

function doubling(levels: number): string {
  let text = '';
  for (let i = 0; i < levels; i++) text += `block b${i}(n) {\n  input x\n  output x -> b${i + 1}(n) -> b${i + 1}(n)\n}\n`;
  return `${text}block b${levels}(n) {\n  input x\n  output x -> dense(n)\n}\nmodel M {\n  input x: [8]\n  output x -> b0(8)\n}\n`;
}

test('a model whose bodies expand past the bound is summarised at its top level; a normal one is expanded', () => {
  const deep = analyze(doubling(24)).models[0];
  assert.equal(deep.hasErrors, false);
  assert.ok(expandedRowCount(deep) > MAX_SUMMARY_ROWS);
  const rows = summaryRows(deep, true, { weights: true });
  assert.deepEqual(rows.map((r) => r.kind), ['input', 'group']);
  const small = analyze(doubling(3)).models[0];
  assert.equal(summaryRows(small, true).length, expandedRowCount(small));
  assert.ok(summaryRows(small, true).length > summaryRows(small, false).length);
});

test('the PyTorch export of such a model is refused with a message, not written without end', async () => {
  const { exportPyTorch } = await import('../../extension/core/export/pytorch');
  const r = exportPyTorch(analyze(doubling(24)));
  assert.equal(r.ok, false);
  assert.match(r.ok ? '' : r.errors[0].message, /^'M' expands to more than 10,000 layers .*too many to write out as PyTorch code$/);
  assert.equal(exportPyTorch(analyze(doubling(3))).ok, true);
});
