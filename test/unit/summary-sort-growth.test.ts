// The Summary tab's sort of counts given as formulas: a model written for any
// `seq` has MACs and memory like `200·seq² + 40,000·seq`, and sorting by them
// must put the layer that costs most first, as it does for numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { serializeRows } from '../../extension/core/protocol';
import { summaryRows } from '../../extension/core/analysis/summary';
import { ORDER_SIZE, orderValue, rowCells, sortRows } from '../../webview/views/summaryModel';

// A student's tiny transformer: attention is the only layer whose cost grows with seq².
const TINY = `model TinyTransformer {
  input tokens: int[seq]
  x = tokens -> embedding(1000, 100) -> positional(sinusoidal)
  x = x + x -> layernorm -> attention(4, causal = true)
  x = x + x -> layernorm -> dense(400) -> gelu -> dense(100)
  output x -> layernorm -> dense(1000) -> softmax
}
`;

const rows = () => serializeRows(summaryRows(analyze(TINY).models[0]));
const texts = (column: 'macs' | 'memory' | 'params', descending: boolean) => sortRows(rows(), column, descending).map((r) => rowCells(r)[column].text);

test('sorting by MACs, most first, puts attention (seq²) first, then the dense layers by their coefficient, and the free layers last', () => {
  const macs = texts('macs', true);
  assert.equal(macs[0], '200·seq² + 40,000·seq');
  assert.deepEqual(macs.slice(1, 4), ['100,000·seq', '40,000·seq', '40,000·seq']);
  assert.ok(macs.slice(4).every((t) => t === '0'), macs.join(' | '));
  assert.equal(sortRows(rows(), 'macs', true)[0].label, 'attention(4, causal = true)');
});

test('sorting by memory compares coefficients as numbers (400·seq < 1,600·seq < 4,000·seq), not as text', () => {
  const asc = texts('memory', false);
  assert.equal(asc[0], '0 B');
  const order = asc.slice(1);
  assert.deepEqual(order.slice(0, 8), Array(8).fill('400·seq B'));
  assert.deepEqual(order.slice(8), ['1,600·seq B', '1,600·seq B', '4,000·seq B', '4,000·seq B', '16·seq² + 2,000·seq B']);
  const desc = texts('memory', true);
  assert.equal(desc[0], '16·seq² + 2,000·seq B', 'attention keeps its seq × seq weights: the most memory for long inputs');
  assert.equal(desc[desc.length - 1], '0 B');
});

test('a formula ranks among numbers by its value with every symbolic dimension at ORDER_SIZE', () => {
  assert.equal(orderValue(12), 12);
  assert.equal(orderValue('200*seq^2 + 40000*seq'), 200 * ORDER_SIZE ** 2 + 40000 * ORDER_SIZE);
  assert.equal(orderValue('4*h*w'), 4 * ORDER_SIZE * ORDER_SIZE);
  // Fixed counts stay numbers: sorting a model without symbols is unchanged.
  assert.deepEqual(texts('params', true).slice(0, 3), ['101,000', '100,000', '40,400']);
});
