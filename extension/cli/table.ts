/** Plain-text tables with aligned columns, for terminal output. */

export interface Column {
  title: string;
  align: 'left' | 'right';
  /** Cells longer than this are cut with an ellipsis. */
  max?: number;
}

/** Renders a header, a rule, and the rows; returns the lines and the table width. */
export function renderTable(columns: readonly Column[], rows: readonly string[][]): { lines: string[]; width: number } {
  const cells = rows.map((r) => r.map((c, i) => clip(c, columns[i].max)));
  // A loop, not Math.max(...cells): a spread of 100 000 rows overflows the call stack.
  const widths = columns.map((col) => col.title.length);
  for (const r of cells) for (let i = 0; i < widths.length; i++) if (r[i].length > widths[i]) widths[i] = r[i].length;
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (columns[i].align === 'right' ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const width = widths.reduce((a, b) => a + b, 0) + 2 * (columns.length - 1);
  return {
    lines: [line(columns.map((c) => c.title)), '─'.repeat(width), ...cells.map(line)],
    width,
  };
}

function clip(text: string, max: number | undefined): string {
  if (max === undefined || text.length <= max) return text;
  return text.slice(0, Math.max(0, max - 1)) + '…';
}

/** `label:   value` lines with the values aligned. */
export function keyValues(pairs: readonly [string, string][], indent = ''): string[] {
  const w = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${indent}${(k + ':').padEnd(w + 1)}  ${v}`);
}
