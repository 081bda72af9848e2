/**
 * The keyboard's cursor over a grid of cells (hover.ts `cellKeys`): which
 * cell a key moves it to, and the read-out as one line for a live region.
 * Pure, so it is unit tested in Node (test/unit/cell-cursor.test.ts).
 */

/** A cell: row and column (0-based). */
export type Cell = readonly [number, number];

/**
 * The cell `key` moves the cursor to from `at` in a grid of `rows` × `cols`
 * (clamped to the grid); the first key of the cell mode (`at` undefined)
 * starts at the first cell. Undefined for a key that does not move it.
 * Arrow keys move by one cell, Home and End to the row's first and last.
 */
export function nextCell(key: string, at: Cell | undefined, rows: number, cols: number): Cell | undefined {
  const moves: Record<string, Cell> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
  const move = moves[key];
  if (!move && key !== 'Home' && key !== 'End') return undefined;
  if (rows < 1 || cols < 1) return undefined;
  if (!at) return key === 'End' ? [0, cols - 1] : [0, 0];
  const [row, col] = at;
  if (key === 'Home') return [row, 0];
  if (key === 'End') return [row, cols - 1];
  return [Math.max(0, Math.min(rows - 1, row + move[0])), Math.max(0, Math.min(cols - 1, col + move[1]))];
}

/** A read-out of several lines as one line to announce: its lines joined with `; `. */
export function spokenText(text: string): string {
  return text
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .join('; ');
}
