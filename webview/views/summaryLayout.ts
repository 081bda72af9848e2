/**
 * How the summary table lays out its cells: the pure side of summary.ts (no
 * DOM, so it is unit tested in Node); the classes are media/inspector.css's.
 */
import type { PlainSummaryRow } from '../../extension/core/protocol';
import type { Column, SummaryCell } from './summaryModel';

/** A layer's call longer than this many characters is shortened in its cell (shortLabel); its tooltip has it whole. */
export const LABEL_MAX = 28;

/**
 * How a summary cell is laid out (classes of media/inspector.css; the
 * table sizes its columns to their content and scrolls sideways when the
 * panel is narrower, its layer column staying in view): numbers
 * right-aligned and never wrapped (`nn-num`); a symbolic count
 * (`1024·seq² + 794624·seq`) right-aligned too, broken only between its
 * terms (`nn-formula`, `terms`); text (layer, shape, receptive field) on
 * one line (`nn-text`), a long layer call shortened to its first arguments
 * (`text`, see shortLabel). Every cell that is not a plain number carries
 * its full text as `title`.
 */
export function cellLayout(
  column: { key: Column; numeric: boolean },
  cell: SummaryCell,
): { className: string; title?: string; terms?: string[]; text?: string } {
  const col = `nn-col-${column.key}`;
  if (column.numeric && typeof cell.sort === 'number') return { className: `nn-num ${col}` };
  const title = cell.text === '' ? undefined : cell.text;
  if (!column.numeric) {
    const text = column.key === 'label' ? shortLabel(cell.text) : cell.text;
    return { className: `nn-text ${col}`, title, ...(text !== cell.text ? { text } : {}) };
  }
  return { className: `nn-num nn-formula ${col}`, title, terms: formulaTerms(cell.text) };
}

/**
 * A layer's call shortened to at most `max` characters at its arguments:
 * the name and as many leading arguments as fit, the rest an ellipsis
 * (`conv2d(64, 3, padding = same, bias = false)` → `conv2d(64, 3, …)`), so
 * the cell shows what the layer is without wrapping into a tower. What
 * follows the call (` × 2`) is kept. A text that is not a call, or whose
 * name alone does not fit, is cut at `max` with an ellipsis. Texts up to
 * `max` characters are returned as they are.
 */
export function shortLabel(text: string, max = LABEL_MAX): string {
  if (text.length <= max) return text;
  const call = callParts(text);
  if (call) {
    for (let k = call.args.length - 1; k >= 0; k--) {
      const shown = `${call.head}(${[...call.args.slice(0, k), '…'].join(', ')})${call.tail}`;
      if (shown.length <= max) return shown;
    }
  }
  return `${text.slice(0, Math.max(1, max - 1)).trimEnd()}…`;
}

/** The first call in `text` outside brackets: what comes before its `(`, its arguments (split at top-level commas, trimmed), what follows its `)`. */
function callParts(text: string): { head: string; args: string[]; tail: string } | undefined {
  const open = text.indexOf('(');
  if (open <= 0) return undefined;
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if ((ch === ')' || ch === ']' || ch === '}') && depth > 0) depth--;
    else if (ch === ',' && depth === 0) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    } else if (ch === ')' && depth === 0) {
      args.push(text.slice(start, i).trim());
      return { head: text.slice(0, open), args, tail: text.slice(i + 1) };
    }
  }
  return undefined;
}

/**
 * Which edges of the sideways-scrolling table have columns hidden past them
 * (the scroller's `scrollLeft`, `clientWidth`, `scrollWidth`): `left` when it
 * is scrolled (the sticky layer column then casts a shadow over what passes
 * under it), `right` when more columns are to the right (a fade at the
 * edge says so, as a scrollbar may be hidden until used).
 */
export function hiddenSides(scrollLeft: number, clientWidth: number, scrollWidth: number): { left: boolean; right: boolean } {
  return { left: scrollLeft > 0.5, right: clientWidth > 0 && scrollLeft + clientWidth < scrollWidth - 1 };
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
