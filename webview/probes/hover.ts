/**
 * The probe views' hover read-out: one floating box that follows the
 * pointer and shows the value under it (a `title` tooltip cannot change
 * while it is shown), and the keyboard's way to it over a grid of cells
 * (`cellKeys`: a cursor cell moved by the arrow keys, announced). DOM only; the sole file under probes/ that touches it.
 * Where the box goes is tooltipPlacement.ts's `placeTooltip`.
 */
import { EDGE, placeTooltip } from './tooltipPlacement';
import { nextCell, spokenText, type Cell } from './cellCursor';

/** A hidden floating box in the theme's hover colours; append it to the view. */
export function tooltip(className: string): HTMLElement {
  const tip = document.createElement('div');
  tip.className = className;
  tip.setAttribute('role', 'tooltip');
  const s = tip.style;
  s.position = 'fixed';
  s.pointerEvents = 'none';
  // Lines break only where the text breaks them, unless a line is wider than the panel itself.
  s.whiteSpace = 'pre-wrap';
  s.maxWidth = `calc(100vw - ${2 * EDGE}px)`;
  s.boxSizing = 'border-box';
  s.padding = '3px 6px';
  s.background = 'var(--vscode-editorHoverWidget-background)';
  s.color = 'var(--vscode-editorHoverWidget-foreground)';
  s.border = '1px solid var(--vscode-editorHoverWidget-border)';
  s.fontFamily = 'var(--vscode-editor-font-family)';
  s.fontSize = '12px';
  s.zIndex = '10';
  tip.hidden = true;
  return tip;
}

/**
 * Shows `text(x, y)` in `tip` while the pointer is over `target`; x and y
 * are the pointer's position as fractions (0–1) of the target's box. The
 * text may be an element (a richer read-out: the feature maps' breakdown
 * of a convolution's value).
 */
export function hover(target: HTMLElement, tip: HTMLElement, text: (x: number, y: number) => string | Node): void {
  target.addEventListener('mousemove', (e) => {
    const r = target.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return;
    showAt(tip, text((e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height), { x: e.clientX, y: e.clientY });
  });
  target.addEventListener('mouseleave', () => {
    tip.hidden = true;
  });
}

/** Fills a floating box (`tooltip`'s, or another `position: fixed` one) and places it beside `point` (viewport coordinates), inside the viewport. */
export function showAt(tip: HTMLElement, content: string | Node, point: { x: number; y: number }): void {
  if (typeof content === 'string') tip.textContent = content;
  else tip.replaceChildren(content);
  tip.hidden = false;
  // Measured at the left edge, where its width is not squeezed by the space left of the pointer.
  tip.style.left = '0px';
  tip.style.top = '0px';
  const root = document.documentElement;
  const at = placeTooltip(point, { width: tip.offsetWidth, height: tip.offsetHeight }, { width: root.clientWidth, height: root.clientHeight });
  tip.style.left = `${at.left}px`;
  tip.style.top = `${at.top}px`;
}

/** A grid of cells drawn on a focusable target, for `cellKeys`. */
export interface CellGrid {
  rows: number;
  cols: number;
  /** The read-out of a cell: the same text `hover` shows over it. */
  text: (row: number, col: number) => string | Node;
  /** Where the cell is, in fractions (0–1) of the target's box; by default the target is the rows × cols grid. */
  box?: (row: number, col: number) => { left: number; top: number; width: number; height: number };
  /** Runs when the cell mode ends (Escape, focus lost): undoes what `text` showed elsewhere. */
  leave?: () => void;
}

/** The cursor box and live region shared by the targets of one read-out box. */
const cellParts = new WeakMap<HTMLElement, { cursor: HTMLElement; live: HTMLElement }>();

function partsOf(tip: HTMLElement): { cursor: HTMLElement; live: HTMLElement } {
  let parts = cellParts.get(tip);
  if (!parts) {
    const cursor = document.createElement('div');
    cursor.className = 'nn-cell-cursor';
    cursor.hidden = true;
    const live = document.createElement('div');
    live.className = 'nn-cell-live nn-sr-only';
    live.setAttribute('role', 'status');
    live.setAttribute('aria-live', 'polite');
    parts = { cursor, live };
    cellParts.set(tip, parts);
  }
  // Beside the read-out box (appended to the view when the target is drawn), so the view's removal removes them.
  if (!parts.cursor.isConnected) (tip.parentElement ?? document.body).append(parts.cursor);
  if (!parts.live.isConnected) (tip.parentElement ?? document.body).append(parts.live);
  return parts;
}

/**
 * The keyboard's way to `hover`'s read-out over the cells of a focusable
 * `target`: an arrow key (or Home/End) enters the cell mode at the first
 * cell, then moves a cursor cell outlined in the focus colour (End/Home: the
 * row's ends); the cell's read-out shows in `tip` beside it and is announced
 * by a live region (`.nn-cell-live`). Escape, or the focus leaving, ends
 * the mode. While on, the target has `data-cell="row,col"`.
 */
export function cellKeys(target: HTMLElement, tip: HTMLElement, grid: CellGrid): void {
  let at: Cell | undefined;
  const boxOf = grid.box ?? ((row: number, col: number) => ({ left: col / grid.cols, top: row / grid.rows, width: 1 / grid.cols, height: 1 / grid.rows }));
  const place = () => {
    const { cursor } = partsOf(tip);
    if (!at || !target.isConnected) return end();
    const r = target.getBoundingClientRect();
    const b = boxOf(at[0], at[1]);
    const s = cursor.style;
    s.left = `${r.left + b.left * r.width}px`;
    s.top = `${r.top + b.top * r.height}px`;
    s.width = `${b.width * r.width}px`;
    s.height = `${b.height * r.height}px`;
    cursor.hidden = false;
    return { x: r.left + (b.left + b.width) * r.width, y: r.top + (b.top + b.height) * r.height };
  };
  const onScroll = () => {
    if (at) place();
  };
  const end = () => {
    if (!at) return;
    at = undefined;
    delete target.dataset.cell;
    const parts = cellParts.get(tip);
    if (parts) parts.cursor.hidden = true;
    tip.hidden = true;
    window.removeEventListener('scroll', onScroll, true);
    grid.leave?.();
  };
  target.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      if (at) {
        e.preventDefault();
        end();
      }
      return;
    }
    const next = nextCell(e.key, at, grid.rows, grid.cols);
    if (!next) return;
    e.preventDefault();
    if (!at) window.addEventListener('scroll', onScroll, true);
    at = next;
    target.dataset.cell = `${next[0]},${next[1]}`;
    const content = grid.text(next[0], next[1]);
    const point = place();
    if (!point) return;
    showAt(tip, content, point);
    partsOf(tip).live.textContent = spokenText(typeof content === 'string' ? content : (content.textContent ?? ''));
  });
  target.addEventListener('blur', end);
}
