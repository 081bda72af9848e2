// The inspector's layout rules that are pure: how the summary table lays out
// a cell (webview/views/summaryLayout.ts `cellLayout`, `formulaTerms`, a long
// layer call shortened by `shortLabel`), which sides of the sideways-scrolling
// table hide columns (`hiddenSides`), and where a
// probe view's hover read-out goes so that it stays in the panel
// (webview/probes/tooltipPlacement.ts `placeTooltip`, used by hover.ts). The page's side (no cell cut at
// the default panel width, the read-out inside the panel, a diffusion row
// that fits) is checked in test/e2e/inspector-page, inspector-views and
// inspector-samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { summaryRows } from '../../extension/core/analysis/summary';
import { serializeRows } from '../../extension/core/protocol';
import { cellLayout, formulaTerms, hiddenSides, LABEL_MAX, shortLabel } from '../../webview/views/summaryLayout';
import { COLUMNS, rowCells } from '../../webview/views/summaryModel';
import { placeTooltip } from '../../webview/probes/tooltipPlacement';

const GPT = `block gpt_block(dim, heads) {
  input x
  x = x + x -> layernorm -> attention(heads, causal = true)
  output x + x -> layernorm -> dense(4 * dim) -> gelu -> dense(dim)
}
model TinyGPT {
  input tokens: int[seq]
  wte = embedding(64, 32)
  output tokens -> wte -> positional(learned, maxlen = 64) -> gpt_block(32, 4) * 2 -> layernorm -> unembed(wte)
}
`;

function cellsOf(source: string) {
  const a = analyze(source, { uri: 'file:///t.nnmodel' });
  const m = a.models[0];
  assert.ok(m, 'the model analyses');
  // The rows as the page gets them (the protocol's plain form).
  return serializeRows(summaryRows(m)).map((r) => {
    const cells = rowCells(r);
    return COLUMNS.map((c) => ({ column: c, cell: cells[c.key], layout: cellLayout(c, cells[c.key]) }));
  });
}

test('summary cells: plain numbers right-aligned and unbroken without a title; every text and formula cell carries its full text as its title', () => {
  const all = cellsOf(GPT).flat();
  assert.ok(all.length > 20);
  for (const { column, cell, layout } of all) {
    const classes = layout.className.split(' ');
    assert.ok(classes.includes(`nn-col-${column.key}`), `${layout.className} names its column`);
    if (column.numeric && typeof cell.sort === 'number') {
      assert.deepEqual(classes.sort(), ['nn-num', `nn-col-${column.key}`].sort(), `${column.key} ${cell.text}`);
      assert.equal(layout.title, undefined);
    } else {
      assert.equal(layout.title, cell.text === '' ? undefined : cell.text, `${column.key}: the title is the full text`);
      assert.ok(classes.includes(column.numeric ? 'nn-formula' : 'nn-text'), `${column.key} ${cell.text}: ${layout.className}`);
    }
  }
  // Layer and shape cells always have their title (the cells the QA pass saw cut).
  const labels = all.filter((c) => c.column.key === 'label' || c.column.key === 'shape');
  assert.ok(labels.every((c) => c.layout.title === c.cell.text && c.cell.text !== ''));
  // Texts keep their line (the table scrolls sideways); a long layer call is shown shortened, whole in its title.
  const label = (text: string) => all.find((c) => c.column.key === 'label' && c.cell.text === text)!.layout;
  assert.equal(label('dense(128)').text, undefined);
  assert.equal(label('positional(learned, maxlen = 64)').text, 'positional(learned, …)');
  assert.equal(label('positional(learned, maxlen = 64)').title, 'positional(learned, maxlen = 64)');
  for (const { column, layout } of all) if (column.key !== 'label') assert.equal(layout.text, undefined, `${column.key} is shown whole`);
  // A symbolic count is a formula, right-aligned, in unbreakable terms.
  const macs = all.filter((c) => c.column.key === 'macs' && typeof c.cell.sort === 'string');
  assert.ok(macs.length > 0, 'the GPT has symbolic MACs');
  for (const m of macs) {
    assert.match(m.layout.className, /\bnn-num\b.*\bnn-formula\b/);
    assert.equal(m.layout.terms?.join(' '), m.cell.text);
  }
});

test('layer labels: a long call keeps its name and the leading arguments that fit, the rest an ellipsis; short texts unchanged', () => {
  assert.equal(shortLabel('dense(128)'), 'dense(128)');
  assert.equal(shortLabel('conv2d(64, 3, padding = same, bias = false)'), 'conv2d(64, 3, …)');
  assert.equal(shortLabel('conv2d(64, 7, stride = 2, padding = same, bias = false)'), 'conv2d(64, 7, stride = 2, …)');
  assert.equal(shortLabel('positional(sinusoidal, maxlen = 512)'), 'positional(sinusoidal, …)');
  // A named call keeps its name; what follows the call (a repeat) is kept.
  assert.equal(shortLabel('emb: embedding(37000, 512)', 20), 'emb: embedding(…)');
  assert.equal(shortLabel('gpt_block(768, 12, dropout = 0.1) × 12'), 'gpt_block(768, 12, …) × 12');
  // Brackets inside an argument are one argument.
  assert.equal(shortLabel('reshape([seq, 12, 64], order = c)'), 'reshape([seq, 12, 64], …)');
  // Not a call, or a name too long for any argument: cut with an ellipsis.
  assert.equal(shortLabel('a_very_long_block_name_indeed × 6', 20), 'a_very_long_block_n…');
  assert.equal(shortLabel('a_very_long_layer_name(1, 2)', 12), 'a_very_long…');
  for (const t of ['conv2d(64, 3, padding = same, bias = false)', 'x'.repeat(80), 'f(' + 'a, '.repeat(30) + 'b)', 'broken(a, b, c, d, e, f, g, h, i, j']) {
    assert.ok(shortLabel(t).length <= LABEL_MAX, `${t} → ${shortLabel(t)}`);
  }
});

test('sideways scrolling: the sides that hide columns are marked, none when the table fits or the tab is hidden', () => {
  assert.deepEqual(hiddenSides(0, 500, 500), { left: false, right: false });
  assert.deepEqual(hiddenSides(0, 500, 800), { left: false, right: true });
  assert.deepEqual(hiddenSides(120, 500, 800), { left: true, right: true });
  assert.deepEqual(hiddenSides(300, 500, 800), { left: true, right: false });
  // Fractional scroll positions (zoomed pages) at the far right.
  assert.deepEqual(hiddenSides(299.5, 500, 800), { left: true, right: false });
  // A hidden tab has no width.
  assert.deepEqual(hiddenSides(0, 0, 0), { left: false, right: false });
});

test('formula terms: cut at the space after + or - between terms, never inside brackets, and joined back to the text', () => {
  assert.deepEqual(formulaTerms('192·seq² + 36,864·seq'), ['192·seq² +', '36,864·seq']);
  assert.deepEqual(formulaTerms('1024*seq^2 + 794624*seq - 3'), ['1024*seq^2 +', '794624*seq -', '3']);
  assert.deepEqual(formulaTerms('128·seq B'), ['128·seq B']);
  // Not inside brackets: a floor is one term.
  assert.deepEqual(formulaTerms('⌊(seq - 3)/2⌋'), ['⌊(seq - 3)/2⌋']);
  assert.deepEqual(formulaTerms('4·⌊(seq - 3)/2⌋ + 16'), ['4·⌊(seq - 3)/2⌋ +', '16']);
  // A minus sign that is not between terms is kept with its number.
  assert.deepEqual(formulaTerms('-3 + seq'), ['-3 +', 'seq']);
  for (const t of ['a + b', 'x', '', '2·seq² + 4·seq + 1 B', '(a + b', 'a) + b', 'a +  b']) assert.equal(formulaTerms(t).join(' '), t);
});

test('tooltip placement: beside the pointer when it fits, flipped left or up at the right or bottom edge, clamped when neither side has room', () => {
  const view = { width: 600, height: 400 };
  const tip = { width: 300, height: 60 };
  // Room to the right and below: 12 px right of and below the pointer.
  assert.deepEqual(placeTooltip({ x: 100, y: 100 }, tip, view), { left: 112, top: 112 });
  // The QA case: a wide read-out near the right edge goes left of the pointer, entirely in view.
  const right = placeTooltip({ x: 560, y: 100 }, tip, view);
  assert.deepEqual(right, { left: 560 - 12 - 300, top: 112 });
  // Near the bottom: above the pointer.
  assert.deepEqual(placeTooltip({ x: 100, y: 380 }, tip, view), { left: 112, top: 380 - 12 - 60 });
  // Neither side has room (a box almost as wide as the view): against the far edge, inside the view.
  const wide = { width: 560, height: 60 };
  assert.deepEqual(placeTooltip({ x: 300, y: 100 }, wide, view), { left: 600 - 4 - 560, top: 112 });
  // Wider than the view: starts at the left edge (its text wraps there, hover.ts caps its width).
  assert.deepEqual(placeTooltip({ x: 300, y: 100 }, { width: 900, height: 60 }, view).left, 4);
  // Whatever the pointer and size, a box that fits the view stays inside it.
  for (let x = 0; x <= 600; x += 25)
    for (let y = 0; y <= 400; y += 25)
      for (const s of [{ width: 10, height: 10 }, tip, { width: 592, height: 392 }]) {
        const p = placeTooltip({ x, y }, s, view);
        assert.ok(p.left >= 0 && p.left + s.width <= view.width && p.top >= 0 && p.top + s.height <= view.height, `${x},${y} ${JSON.stringify(s)} → ${JSON.stringify(p)}`);
      }
});
