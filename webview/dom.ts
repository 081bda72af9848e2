/**
 * The small DOM helpers every view of the webview builds its elements with
 * (the inspector's views and the Training tab), so that each does not keep
 * its own copy.
 */

/** A `tag` element of class `className`, with `text` as its text when given. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * A `vscode-button` (@vscode-elements) saying `label` that calls `onClick`:
 * secondary (the views' buttons sit beside the content they act on) unless
 * `primary`, with a class and a tooltip when given.
 */
export function button(label: string, onClick: () => void, o: { className?: string; title?: string; primary?: boolean } = {}): HTMLElement {
  const b = el('vscode-button' as keyof HTMLElementTagNameMap, o.className ?? '', label) as HTMLElement;
  if (!o.primary) b.setAttribute('secondary', '');
  if (o.title !== undefined) b.title = o.title;
  b.addEventListener('click', onClick);
  return b;
}

/** A paragraph of class `className` saying `text`. */
export function note(text: string, className: string): HTMLParagraphElement {
  return el('p', className, text);
}

/** A canvas of `width` × `height` pixels drawn `scale` times as large, each pixel a hard-edged square (feature maps, kernels). */
export function pixelCanvas(className: string, width: number, height: number, scale: number): HTMLCanvasElement {
  const canvas = el('canvas', className);
  canvas.width = width;
  canvas.height = height;
  canvas.style.width = `${width * scale}px`;
  canvas.style.height = `${height * scale}px`;
  canvas.style.imageRendering = 'pixelated';
  return canvas;
}

/** Class names for the parts of a `layerHeader` (none by default). */
export interface LayerHeaderClasses {
  header?: string;
  title?: string;
  detail?: string;
}

/**
 * The header of a layer's section in the Feature maps, Kernels and
 * Attention views: the layer's label as a link that shows its line in the
 * editor (`source`; without one the label shows nothing), then `detail`,
 * dimmed: a string, or parts joined by " · " each kept on one line (a
 * narrow view wraps between them). More can be appended to it.
 */
export function layerHeader(label: string, detail: string | readonly string[], source: { line: number; title?: string; reveal: () => void } | undefined, classes: LayerHeaderClasses = {}): HTMLDivElement {
  const header = document.createElement('div');
  if (classes.header) header.className = classes.header;
  header.style.display = 'flex';
  header.style.gap = '8px';
  header.style.alignItems = 'baseline';
  const title = document.createElement('a');
  if (classes.title) title.className = classes.title;
  title.href = '#';
  title.textContent = label;
  title.style.fontWeight = '600';
  title.style.color = 'var(--vscode-textLink-foreground)';
  if (source) {
    title.title = source.title ?? `Show line ${source.line} in the editor`;
    title.addEventListener('click', (e) => {
      e.preventDefault();
      source.reveal();
    });
  }
  const text = document.createElement('span');
  if (classes.detail) text.className = classes.detail;
  if (typeof detail === 'string') text.textContent = detail;
  else {
    detail.forEach((part, i) => {
      if (i > 0) text.append(' · ');
      const span = document.createElement('span');
      span.textContent = part;
      span.style.whiteSpace = 'nowrap';
      text.append(span);
    });
  }
  text.style.color = 'var(--vscode-descriptionForeground)';
  header.append(title, text);
  return header;
}
