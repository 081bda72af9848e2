// The graph view's node tooltips (webview/views/graphModel.ts `boxTooltip`)
// carry each node's receptive field in the words of the summary tab: the
// same `compactField` text as the summary rows the host sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { summaryRows } from '../../extension/core/analysis/summary';
import { serializeModel, type PlainModelInfo } from '../../extension/core/protocol';
import { boxTooltip, buildDiagram, groupKeys, nodeLabel, receptiveFields, type Box, type TextMetrics } from '../../webview/views/graphModel';
import { LENET5 } from '../fixtures/contract';

const metrics: TextMetrics = { measure: (t, bold) => t.length * (bold ? 7.5 : 7) };

/** Receptive field grows by 2 per conv: 3, 5, 7, 9 positions along the four repetitions. */
const NESTED = `block inner(c) {
  input x
  output x -> conv1d(c, 3, padding = same)
}
block outer(c) {
  input x
  output x -> inner(c) * 2
}
model N {
  input x: [32, 4]
  output x -> outer(4) * 2 -> dense(2)
}
`;

function plainModel(text: string): { plain: PlainModelInfo; rows: ReturnType<typeof summaryRows> } {
  const a = analyze(text, {});
  assert.deepEqual(a.diagnostics, []);
  return { plain: serializeModel(a.models[0]), rows: summaryRows(a.models[0]) };
}

function fieldLine(b: Box): string | undefined {
  return boxTooltip(b)
    .split('\n')
    .find((l) => l.startsWith('receptive field: '));
}

test('LeNet5: every layer tooltip names its receptive field as the summary row does; the input none', () => {
  const { plain, rows } = plainModel(LENET5);
  const d = buildDiagram(plain.graph, [], new Set(), metrics, { field: receptiveFields(plain) });
  const boxes = [...d.boxes.values()];
  assert.equal(boxes.length, rows.length);
  for (const b of boxes) {
    const row = rows.find((r) => r.depth === 0 && r.id === b.node.id)!;
    assert.equal(b.field, row.field, `${b.lines[0]}`);
    assert.equal(fieldLine(b), row.field ? `receptive field: ${row.field}` : undefined, `${b.lines[0]}`);
  }
  const conv2 = boxes.find((b) => b.lines[0] === 'conv2d(16, 5)')!;
  assert.equal(fieldLine(conv2), 'receptive field: 14 × 14 /2');
  // After the MACs, before the line and the diagnostics.
  const lines = boxTooltip(conv2).split('\n');
  assert.equal(lines.indexOf('receptive field: 14 × 14 /2'), lines.findIndex((l) => l.startsWith('MACs: ')) + 1);
  assert.equal(fieldLine(boxes.find((b) => b.lines[0] === 'dense(84)')!), 'receptive field: all');
  assert.equal(fieldLine(boxes.find((b) => b.node.kind === 'input')!), undefined);
});

test('without the fields (or when they failed) the tooltip has no receptive field line and is otherwise the same', () => {
  const { plain } = plainModel(LENET5);
  const without = buildDiagram(plain.graph, [], new Set(), metrics);
  const withFields = buildDiagram(plain.graph, [], new Set(), metrics, { field: receptiveFields(plain) });
  for (const [key, b] of without.boxes) {
    assert.equal(b.field, '');
    assert.equal(fieldLine(b), undefined);
    const other = boxTooltip(withFields.boxes.get(key)!)
      .split('\n')
      .filter((l) => !l.startsWith('receptive field: '));
    assert.deepEqual(boxTooltip(b).split('\n'), other);
  }
});

test('repeated blocks: a collapsed box has the field after all its repetitions, an expanded body its first repetition, said so', () => {
  const { plain, rows } = plainModel(NESTED);
  const fields = receptiveFields(plain);
  const collapsed = buildDiagram(plain.graph, [], new Set(), metrics, { field: fields });
  const outer = [...collapsed.boxes.values()].find((b) => b.lines[0] === 'outer × 2')!;
  assert.equal(fieldLine(outer), 'receptive field: 9');
  assert.equal(fieldLine([...collapsed.boxes.values()].find((b) => b.lines[0] === 'dense(2)')!), 'receptive field: 9');

  const open = buildDiagram(plain.graph, [], new Set(groupKeys(plain.graph)), metrics, { field: fields });
  const box = (title: string) => [...open.boxes.values()].find((b) => b.lines[0] === title)!;
  // The frame's header is the whole group: after both repetitions, not "first".
  assert.equal(fieldLine(box('outer × 2')), 'receptive field: 9');
  // Inner, as drawn inside outer's body: outer's first repetition (two convs), and inner's own first conv.
  assert.equal(fieldLine(box('inner × 2')), 'receptive field: 5 (first repetition)');
  assert.equal(fieldLine(box('conv1d(4, 3, padding = same)')), 'receptive field: 3 (first repetition)');
  // The same text as the summary tab's rows for those nodes.
  assert.deepEqual(
    rows.map((r) => [r.label, r.field]),
    [
      ['input x', ''],
      ['outer × 2', '9'],
      ['inner × 2', '5'],
      ['conv1d(4, 3, padding = same)', '3'],
      ['dense(2)', '9'],
    ],
  );
  // Inputs of a body (the block's `input x`) have no field line, as inputs in the summary have none.
  for (const b of open.boxes.values()) if (b.node.kind === 'input') assert.equal(fieldLine(b), undefined);
});

test('a block that runs once: its body has the field without "first repetition"', () => {
  const text = NESTED.replace('outer(4) * 2', 'outer(4)');
  const { plain } = plainModel(text);
  const open = buildDiagram(plain.graph, [], new Set(groupKeys(plain.graph)), metrics, { field: receptiveFields(plain) });
  const box = (title: string) => [...open.boxes.values()].find((b) => b.lines[0] === title)!;
  assert.equal(fieldLine(box('outer')), 'receptive field: 5');
  // inner runs twice inside outer: its body is still its first repetition; inner itself is outer's only run.
  assert.equal(fieldLine(box('inner × 2')), 'receptive field: 5');
  assert.equal(fieldLine(box('conv1d(4, 3, padding = same)')), 'receptive field: 3 (first repetition)');
});

test("a graph node's accessible name says its box's lines, whether a block is open, and its line", () => {
  const { plain } = plainModel(NESTED);
  const closed = buildDiagram(plain.graph, [], new Set(), metrics);
  const outer = [...closed.boxes.values()].find((b) => b.node.kind === 'group')!;
  assert.equal(nodeLabel(outer), `${outer.lines.join(', ')}, block closed, line 11`);
  const dense = [...closed.boxes.values()].find((b) => b.node.kind === 'layer')!;
  assert.equal(nodeLabel(dense), 'dense(2), [32, 2], 10 params, line 11');
  const open = buildDiagram(plain.graph, [], new Set([outer.key]), metrics);
  const frame = open.boxes.get(outer.key)!;
  assert.equal(nodeLabel(frame), 'outer × 2 (body of each repetition), block open, line 11');
  const input = [...closed.boxes.values()].find((b) => b.node.kind === 'input')!;
  assert.equal(nodeLabel(input), `${input.lines.join(', ')}, line 10`);
});
