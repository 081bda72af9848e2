// The inspector's summary rows select their own call when clicked
// (webview/views/summaryModel.ts `rowRanges`): node ids restart in every
// group body, so a row's id alone can name a top-level node and a body node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { summaryRows } from '../../extension/core/analysis/summary';
import { serializeModel, serializeRows } from '../../extension/core/protocol';
import { rowAt, rowRanges } from '../../webview/views/summaryModel';
import { GPT2_SMALL } from '../fixtures/contract';

test('summary rows: each row of a model with a repeated block gets its own call\'s range', () => {
  const m = analyze(GPT2_SMALL, { uri: 'file:///t.nnmodel' }).models[0];
  const model = serializeModel(m);
  const rows = serializeRows(summaryRows(m));
  // The trap: the top-level `wte` row and the block body's first layernorm have the same id.
  const wte = rows.find((r) => r.label.startsWith('wte'))!;
  assert.ok(rows.some((r) => r !== wte && r.id === wte.id), 'ids repeat across the top level and the block body');
  const ranges = rowRanges(model.graph, rows);
  assert.equal(ranges.size, rows.length);
  for (const r of rows) {
    const at = ranges.get(r)!;
    assert.equal(at.range.start.line + 1, r.line, `${r.label}: the range is on the row's line`);
    assert.equal(at.local, true);
  }
  const { start, end } = ranges.get(wte)!.range;
  assert.match(GPT2_SMALL.slice(start.offset, end.offset), /wte/);
  // Rows that do not follow the graph get no range rather than a wrong one.
  assert.equal(rowRanges(model.graph, rows.slice(1)).size, 0);
});

test('summary rows: the row the editor\'s cursor is in is the tightest call around it, in this file', () => {
  const m = analyze(GPT2_SMALL, { uri: 'file:///t.nnmodel' }).models[0];
  const model = serializeModel(m);
  const rows = serializeRows(summaryRows(m));
  const ranges = rowRanges(model.graph, rows);
  // Inside `gpt_block(768, 12) * 12` (its own row) and on no layer inside it (their calls are in the block's body).
  const call = GPT2_SMALL.indexOf('gpt_block(768, 12)');
  assert.ok(call > 0);
  const group = rowAt(ranges, call + 3)!;
  assert.equal(group.kind, 'group');
  // On a layer call inside the block body: that layer's row, not the block's.
  const body = GPT2_SMALL.indexOf('attention(', GPT2_SMALL.indexOf('block gpt_block'));
  const attn = rowAt(ranges, body + 2)!;
  assert.match(attn.label, /^attention/);
  // Outside every call (a comment line): no row.
  assert.equal(rowAt(ranges, 0), undefined);
  // A row from another file is never the cursor's.
  const imported = new Map([...ranges].map(([r, at]) => [r, { ...at, local: false }]));
  assert.equal(rowAt(imported, body + 2), undefined);
});
