/**
 * The position encodings in the Kernels tab: for each `positional` layer,
 * the table it adds to its input as a positions × dimensions heatmap (the
 * computed sine/cosine table for `sinusoidal`, the trained weights for
 * `learned`), and the cosine similarity of its rows as a positions ×
 * positions heatmap. Both on the kernels' blue–white–red scale with the
 * same legend; hover shows the value under the pointer; the layer's name
 * and each heatmap's title show its line in the editor. Only the first
 * `MAX_POSITIONS` positions (and `MAX_DIMS` dimensions) are drawn, and the
 * header says so when there are more.
 *
 * DOM hooks (for tests): each layer is a `section.nn-pos-layer` with
 * `data-path`, `data-kind` (`sinusoidal` or `learned`), `data-rows` (the
 * positions drawn) and `data-maxlen`; its heatmaps are
 * `canvas.nn-pos-encoding` (`data-rows`, `data-cols`) and
 * `canvas.nn-pos-similarity`, each in a `figure.nn-pos-figure` with a
 * `a.nn-pos-title` and a `div.nn-kernel-legend`.
 */
import { diverging, formatValue } from '../probes/colormap';
import { cellKeys, hover } from '../probes/hover';
import { cosineSimilarity, type PositionalTable } from '../probes/positional';
import { el, layerHeader } from '../dom';
import { symmetricLegend } from './legend';
import type { ViewContext } from './types';
import { headerSource, layerSource } from './sourceLink';

/** Dimensions drawn (the first ones); the similarity always uses all of them. */
export const MAX_DIMS = 1024;
/** Side a heatmap is scaled up to (CSS pixels, each axis on its own); larger ones are drawn a pixel per cell, no wider than the panel. */
const SIDE = 288;
/** Largest cell side (CSS pixels), so a tiny table is not drawn as a few huge blocks. */
const MAX_CELL = 12;

/** Where a figure's title links to (sourceLink.ts `headerSource`); none when the layer's path names no node. */
type Source = { line: number; title?: string; reveal: () => void } | undefined;

/** One `positional` layer's section: header, encoding heatmap, similarity heatmap. */
export function positionalSection(ctx: ViewContext, path: string, label: string, table: PositionalTable, tip: HTMLElement): HTMLElement {
  const section = el('section', 'nn-pos-layer');
  section.dataset.path = path;
  section.dataset.kind = table.kind;
  section.dataset.rows = String(table.rows);
  section.dataset.maxlen = String(table.maxlen);
  const source = headerSource(layerSource(ctx.info.graph, path), ctx.reveal);
  const cols = Math.min(table.d, MAX_DIMS);
  const what = table.kind === 'sinusoidal' ? 'sinusoidal encoding (computed, no weights)' : `learned encoding (${trainedWord(ctx)})`;
  const shown =
    table.rows < table.maxlen || cols < table.d
      ? ` · showing the first ${table.rows < table.maxlen ? `${table.rows} of ${table.maxlen} positions` : `${table.rows} positions`}${cols < table.d ? `, ${cols} of ${table.d} dimensions` : ''}`
      : '';
  const detail = `${what} · ${table.maxlen} positions × ${table.d} dimensions${shown}`;
  const header = layerHeader(label, detail, source, { detail: 'nn-pos-detail' });
  header.style.flexWrap = 'wrap';
  header.style.rowGap = '0';
  section.append(header);

  const figures = el('div', 'nn-pos-figures');
  figures.style.display = 'flex';
  figures.style.flexWrap = 'wrap';
  figures.style.gap = '18px';
  figures.style.marginTop = '4px';
  figures.append(encodingFigure(table, cols, source, tip), similarityFigure(table, source, tip));
  section.append(figures);
  section.append(caption(table, ctx));
  return section;
}

function trainedWord(ctx: ViewContext): string {
  if (ctx.weights?.kind === 'trained') return `trained, epoch ${ctx.weights.epoch}`;
  return ctx.weights?.init === 'zeros' ? 'initial zeros, not trained' : 'initial random values, not trained';
}

/** What the similarity shows, under the two heatmaps. */
function caption(table: PositionalTable, ctx: ViewContext): HTMLElement {
  const text =
    table.kind === 'sinusoidal'
      ? 'Each row is the vector added at that position. The similarity of positions p and q depends only on their distance |p − q|: it is the same along every diagonal and falls off away from it, so attention can tell near positions from far ones.'
      : ctx.weights?.kind === 'trained'
        ? 'Each row is the vector learned for that position. Similarity that falls off with distance means the model learned an order of positions; a uniform pattern means it did not need one.'
        : 'Each row is the vector learned for that position. These weights are not trained yet: random rows are nearly orthogonal, so only the diagonal stands out. Train the model to see what it learns.';
  const p = el('p', 'nn-pos-caption', text);
  p.style.margin = '4px 0 0';
  p.style.maxWidth = '640px';
  p.style.fontSize = '11px';
  p.style.color = 'var(--vscode-descriptionForeground)';
  return p;
}

/** Positions down, dimensions across: row p of the table. */
function encodingFigure(table: PositionalTable, cols: number, source: Source, tip: HTMLElement): HTMLElement {
  const { rows, d, values, absMax } = table;
  const canvas = heatmapCanvas('nn-pos-encoding', cols, rows, (p, j) => (absMax > 0 ? values[p * d + j] / absMax : 0));
  canvas.setAttribute('aria-label', `position encoding, ${rows} positions × ${cols} dimensions`);
  const read = (p: number, j: number) => {
    const v = formatValue(values[p * d + j]);
    if (table.kind !== 'sinusoidal') return `position ${p}, dimension ${j}\nvalue ${v}`;
    const even = j - (j % 2);
    return `position ${p}, dimension ${j}\nvalue ${v} = ${j % 2 === 0 ? 'sin' : 'cos'}(${p} / 10000^(${even}/${d}))`;
  };
  hover(canvas, tip, (x, y) => read(Math.min(rows - 1, Math.floor(y * rows)), Math.min(cols - 1, Math.floor(x * cols))));
  keyboardCells(canvas, tip, rows, cols, read);
  const legend = symmetricLegend({ absMax, caption: 'value', what: 'the encoding', upTo: 'its largest |value|' });
  return figure('encoding', 'Encoding: position × dimension', source, legend, axes(canvas, 'dimension', cols, 'position', rows));
}

/** Positions both ways: cos(row p, row q), over all dimensions. */
function similarityFigure(table: PositionalTable, source: Source, tip: HTMLElement): HTMLElement {
  const { rows, d } = table;
  const sim = cosineSimilarity(table.values, rows, d);
  const canvas = heatmapCanvas('nn-pos-similarity', rows, rows, (p, q) => sim[p * rows + q]);
  canvas.setAttribute('aria-label', `cosine similarity of positions, ${rows} × ${rows}`);
  const read = (p: number, q: number) => `positions ${p} and ${q} (distance ${Math.abs(p - q)})\ncosine similarity ${formatValue(sim[p * rows + q])}`;
  hover(canvas, tip, (x, y) => read(Math.min(rows - 1, Math.floor(y * rows)), Math.min(rows - 1, Math.floor(x * rows))));
  keyboardCells(canvas, tip, rows, rows, read);
  const legend = symmetricLegend({ absMax: 1, caption: 'cosine similarity', what: 'the cosine similarity' });
  return figure('similarity', 'Cosine similarity: position × position', source, legend, axes(canvas, 'position', rows, 'position', rows));
}

/** A heatmap the keyboard reads too: it takes focus, and the arrow keys move a cursor cell over it (probes/hover.ts `cellKeys`). */
function keyboardCells(canvas: HTMLCanvasElement, tip: HTMLElement, rows: number, cols: number, read: (row: number, col: number) => string): void {
  canvas.tabIndex = 0;
  canvas.setAttribute('aria-description', 'arrow keys read the values');
  cellKeys(canvas, tip, { rows, cols, text: read });
}

function figure(kind: string, title: string, source: Source, legend: HTMLElement, body: HTMLElement): HTMLElement {
  const f = el('figure', 'nn-pos-figure');
  f.dataset.figure = kind;
  f.style.margin = '0';
  f.style.minWidth = '0';
  f.style.maxWidth = '100%';
  const link = el('a', 'nn-pos-title', title);
  link.href = '#';
  if (source) link.title = source.title ?? `Show line ${source.line} in the editor`;
  link.style.fontSize = '12px';
  link.style.color = 'var(--vscode-textLink-foreground)';
  link.addEventListener('click', (e) => {
    e.preventDefault();
    source?.reveal();
  });
  const head = el('figcaption', 'nn-pos-figcaption');
  head.append(link);
  f.append(head, legend, body);
  return f;
}

/** A `cols` × `rows` canvas, cell (r, c) coloured by `t(r, c)` in [-1, 1] on the diverging map; scaled up when small, a pixel per cell (no wider than the panel) when not. */
function heatmapCanvas(className: string, cols: number, rows: number, t: (r: number, c: number) => number): HTMLCanvasElement {
  const canvas = el('canvas', className);
  canvas.width = cols;
  canvas.height = rows;
  canvas.dataset.rows = String(rows);
  canvas.dataset.cols = String(cols);
  // Each axis scaled on its own (a 32-dimension table of 100 positions is not a sliver); the box keeps that shape when the panel narrows it.
  const sx = Math.min(MAX_CELL, Math.max(1, Math.floor(SIDE / cols)));
  const sy = Math.min(MAX_CELL, Math.max(1, Math.floor(SIDE / rows)));
  canvas.style.display = 'block';
  canvas.style.width = `${cols * sx}px`;
  canvas.style.maxWidth = '100%';
  canvas.style.height = 'auto';
  canvas.style.aspectRatio = `${cols * sx} / ${rows * sy}`;
  canvas.style.imageRendering = 'pixelated';
  canvas.style.outline = '1px solid var(--vscode-panel-border, transparent)';
  const px = new Uint8ClampedArray(rows * cols * 4);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const [R, G, B] = diverging(t(r, c));
      const o = (r * cols + c) * 4;
      px[o] = R;
      px[o + 1] = G;
      px[o + 2] = B;
      px[o + 3] = 255;
    }
  }
  canvas.getContext('2d')?.putImageData(new ImageData(px, cols, rows), 0, 0);
  return canvas;
}

/** The canvas with its axes: `x` across the top (0 … xCount − 1), `y` down the left (0 … yCount − 1). */
function axes(canvas: HTMLCanvasElement, x: string, xCount: number, y: string, yCount: number): HTMLElement {
  const grid = el('div', 'nn-pos-axes');
  grid.style.display = 'grid';
  grid.style.gridTemplateColumns = 'auto minmax(0, max-content)';
  grid.style.gap = '2px 4px';
  grid.style.marginTop = '4px';
  const tick = (text: string, cls: string) => {
    const s = el('span', cls, text);
    s.style.fontSize = '10px';
    s.style.color = 'var(--vscode-descriptionForeground)';
    s.style.fontVariantNumeric = 'tabular-nums';
    return s;
  };
  const top = el('div', 'nn-pos-axis nn-pos-axis-x');
  top.dataset.axis = x;
  top.style.display = 'flex';
  top.style.justifyContent = 'space-between';
  top.style.gap = '6px';
  top.append(tick('0', 'nn-pos-tick'), tick(`${x} →`, 'nn-pos-axis-name'), tick(String(xCount - 1), 'nn-pos-tick'));
  const left = el('div', 'nn-pos-axis nn-pos-axis-y');
  left.dataset.axis = y;
  left.style.display = 'flex';
  left.style.flexDirection = 'column';
  left.style.justifyContent = 'space-between';
  left.style.alignItems = 'flex-end';
  const name = tick(`${y} →`, 'nn-pos-axis-name');
  name.style.writingMode = 'vertical-rl';
  left.append(tick('0', 'nn-pos-tick'), name, tick(String(yCount - 1), 'nn-pos-tick'));
  grid.append(el('span', 'nn-pos-corner'), top, left, canvas);
  return grid;
}
