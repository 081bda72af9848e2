/**
 * How the summary table lays out its cells: the pure side of summary.ts (no
 * DOM, so it is unit tested in Node); the classes are media/inspector.css's.
 */
import type { PlainSummaryRow } from '../../extension/core/protocol';
import type { Column, SummaryCell } from './summaryModel';

/** Texts up to this many characters never wrap. */
const SHORT_TEXT = 16;

/**
 * How a summary cell is laid out (classes of media/inspector.css; the
 * table sizes its columns to their content): numbers right-aligned and never
 * wrapped (`nn-num`); a symbolic count (`1024·seq² + 794624·seq`)
 * right-aligned too, broken only between its terms (`nn-formula`, `terms`);
 * text (layer, shape, receptive field) wrapped at its spaces when the panel
 * is narrow (`nn-text`), unless it is short (`nn-short`). Every cell that is
 * not a plain number carries its full text as `title`.
 */
export function cellLayout(column: { key: Column; numeric: boolean }, cell: SummaryCell): { className: string; title?: string; terms?: string[] } {
  const col = `nn-col-${column.key}`;
  if (column.numeric && typeof cell.sort === 'number') return { className: `nn-num ${col}` };
  const title = cell.text === '' ? undefined : cell.text;
  // A short text ("dense(128)", "[seq, 128]", "all earlier") is not worth breaking: it keeps its line.
  if (!column.numeric) return { className: `nn-text ${col}${cell.text.length <= SHORT_TEXT ? ' nn-short' : ''}`, title };
  return { className: `nn-num nn-formula ${col}`, title, terms: formulaTerms(cell.text) };
}

/**
 * A formula cut at the space after each ` + ` or ` - ` between its terms,
 * outside brackets (the pieces joined with one space give the text back):
 * each piece is drawn unbroken (`nn-term`), so `128·seq B` stays on one line,
 * `192·seq² + 36864·seq` breaks only before `36864·seq`, and `⌊(seq - 3)/2⌋`
 * not at all.
 */
export function formulaTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[' || ch === '⌊' || ch === '⌈') depth++;
    else if ((ch === ')' || ch === ']' || ch === '⌋' || ch === '⌉') && depth > 0) depth--;
    else if (depth === 0 && ch === ' ' && (text[i - 1] === '+' || text[i - 1] === '-') && text[i - 2] === ' ') {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/**
 * The tooltip of a summary row, or of one of its cells: the cell's full
 * text first (when it has a title of its own), then the row's weights with
 * their shapes, sizes and sum (`kernel [5, 5, 1, 6]: 5·5·1·6 = 150`, as
 * the hover says them: core/analysis/weights.ts), then the click-to-select
 * hint. Undefined when there is nothing to say.
 */
export function summaryTooltip(row: Pick<PlainSummaryRow, 'weights'>, hint: string | undefined, cellTitle?: string): string | undefined {
  const lines: string[] = [];
  if (cellTitle) lines.push(cellTitle);
  if (row.weights) lines.push(...row.weights);
  if (hint) lines.push(hint);
  return lines.length ? lines.join('\n') : undefined;
}
