/**
 * The probe views' hover read-out: one floating box that follows the
 * pointer and shows the value under it (a `title` tooltip cannot change
 * while it is shown). DOM only; the sole file under probes/ that touches it.
 * Where the box goes is tooltipPlacement.ts's `placeTooltip`.
 */
import { EDGE, placeTooltip } from './tooltipPlacement';

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
