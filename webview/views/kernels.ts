/**
 * The kernels view: the learned (or initial) filters of every convolution
 * layer. Single-channel weights are drawn on one diverging scale
 * everywhere: blue negative, red positive, zero the page's background (so
 * it reads as nothing in a light, dark or high-contrast theme; colormap.ts
 * `setDivergingBackground`). A first layer on grey images shows each filter
 * as one such picture (scaled up, pixelated); on RGB images each filter is
 * a colour picture on purpose (its red, green and blue weights as the
 * pixel's colour, mid-grey zero: what colour the filter responds to), which
 * a note under the legend says; deeper layers show a grid with one
 * `[kh, kw]` map per (output, input) channel pair. Every scale is
 * symmetric, ±(largest |weight|) of the layer at the ends, and each layer's
 * legend shows its ramp with those values and 0, and says in words which
 * colour is negative, zero and positive. Hover shows the weights (a filter picture takes focus: the arrow
 * keys move a cursor over its weights, shown and announced). Each `positional` layer shows its
 * position encoding and the similarity of its positions (positional.ts),
 * in the model's order among the convolutions. For a model with an image
 * input, a "Classic kernels" section follows (classicKernelsView.ts): the
 * course notes' hand-made kernels on the picked image, and the learned
 * kernels most like them.
 *
 * DOM hooks (for tests): each layer is a `section.nn-kernel-layer` with
 * `data-path` and `data-kind` (`image` or `grid`); each filter picture a
 * `canvas.nn-kernel`, each grid cell a `canvas.nn-kernel-cell`; the legend
 * a `div.nn-kernel-legend` (`data-abs-max`) with its ramp and three
 * `.nn-kernel-legend-value`s (-max, 0, +max); an RGB first layer's note
 * `.nn-kernel-rgb-note`.
 */
import { diverging, fillDiverging, formatValue } from '../probes/colormap';
import { kernelHeaderParts, kernels, type KernelSet } from '../probes/kernels';
import { positionalTable } from '../probes/positional';
import { positionalSection } from './positional';
import { symmetricLegend } from './legend';
import { cellKeys, hover, tooltip } from '../probes/hover';
import type { ViewContext } from './types';
import { blockPlace, headerSource, layerSource } from './sourceLink';
import { button, layerHeader, note, pixelCanvas } from '../dom';
import { classicSection } from './classicKernelsView';

/** Output × input channels drawn in a grid before "Show all". */
const GRID_LIMIT = 16;
/** Displayed size of one filter picture / grid cell (CSS pixels, longest side). */
const IMAGE_SIZE = 48;
const CELL_SIZE = 22;

let root: HTMLElement | undefined;
/** Stops the classic kernels section following the picked image. */
let disposeClassic: (() => void) | undefined;

export function render(container: HTMLElement, ctx: ViewContext): void {
  dispose();
  root = document.createElement('div');
  root.className = 'nn-kernels-view';
  root.style.display = 'flex';
  root.style.flexDirection = 'column';
  root.style.gap = '14px';
  container.replaceChildren(root);
  const tip = tooltip('nn-kernel-tip');
  root.append(tip);

  const seen = new Set<unknown>();
  let first = true;
  let count = 0;
  let encodings = 0;
  for (const path of ctx.built.layerPaths) {
    const node = ctx.built.nodeOf.get(path);
    const layer = ctx.built.layerOf.get(path);
    if (!node || !layer || seen.has(layer)) continue;
    if (node.op === 'positional') {
      seen.add(layer);
      const table = positionalTable(ctx.tf, layer);
      if (!table) continue;
      encodings++;
      root.append(positionalSection(ctx, path, node.label, table, tip));
      continue;
    }
    if (node.category !== 'conv') continue;
    seen.add(layer);
    const set = kernels(ctx.tf, layer, { asImages: first });
    if (!set) continue;
    first = false;
    count++;
    root.append(layerSection(ctx, path, node.label, set, tip));
  }
  if (count === 0 && encodings === 0) {
    root.append(note('This model has no convolution layers, so it has no kernels to show.', 'nn-empty'));
  } else if (count === 0) {
    root.prepend(note(`This model has no convolution layers; its position ${encodings === 1 ? 'encoding is' : 'encodings are'} below.`, 'nn-empty'));
  }
  const classic = classicSection(ctx, tip);
  if (classic) {
    root.append(classic.element);
    disposeClassic = classic.dispose;
  }
}

export function dispose(): void {
  disposeClassic?.();
  disposeClassic = undefined;
  root?.remove();
  root = undefined;
}

function layerSection(ctx: ViewContext, path: string, label: string, set: KernelSet, tip: HTMLElement): HTMLElement {
  const section = document.createElement('section');
  section.className = 'nn-kernel-layer';
  section.dataset.path = path;
  section.dataset.kind = set.kind;
  // The call and each part of the detail stay whole: a narrow panel wraps between them, never inside "conv2d(8, 3)" or a range.
  // Which application of a block (a block called twice, or `* N`): each has its own weights, and its sections would otherwise read alike.
  const place = blockPlace(ctx.info.graph, path);
  const header = layerHeader(label, [...kernelHeaderParts(set), ...(place ? [place] : [])], headerSource(layerSource(ctx.info.graph, path), ctx.reveal));
  header.style.flexWrap = 'wrap';
  header.style.rowGap = '0';
  (header.firstElementChild as HTMLElement).style.whiteSpace = 'nowrap';
  section.append(header, legend(set));
  if (rgbPictures(set)) {
    const why = note(
      'Each filter sees the image’s red, green and blue, so it is drawn as a colour picture: a pixel’s colour is its three weights there (mid-grey = 0). Deeper layers’ weights are single numbers, drawn blue to red.',
      'nn-note nn-kernel-rgb-note',
    );
    why.style.margin = '2px 0 0';
    section.append(why);
  }
  if (set.kind === 'image') section.append(imageRow(set, tip));
  else section.append(...gridTable(set, tip));
  return section;
}

/** Whether the layer's filters are drawn as colour pictures (a first layer on RGB images). */
function rgbPictures(set: KernelSet): boolean {
  return set.kind === 'image' && set.cin === 3;
}

/**
 * The layer's colour scale: the ramp its filters are drawn on, -max, 0 and
 * +max under it (max = the largest |weight|, as `imageRow` and `gridTable`
 * scale). Grey per colour channel for RGB pictures, blue–background–red for every single-channel weight.
 */
function legend(set: KernelSet): HTMLElement {
  return symmetricLegend({
    absMax: set.absMax,
    grey: rgbPictures(set),
    caption: rgbPictures(set) ? 'weight, per colour channel' : 'weight',
    what: "this layer's weights",
    upTo: 'the largest |weight|',
  });
}

/** First layer: each filter as one picture: on the diverging scale for one input channel, RGB (zero at mid-grey) for three. */
function imageRow(set: KernelSet, tip: HTMLElement): HTMLElement {
  const row = document.createElement('div');
  row.style.display = 'flex';
  row.style.flexWrap = 'wrap';
  row.style.gap = '6px';
  row.style.marginTop = '4px';
  const { kh, kw, cin, cout } = set;
  const scale = Math.max(2, Math.floor(IMAGE_SIZE / Math.max(kh, kw)));
  const images = set.images!;
  for (let o = 0; o < cout; o++) {
    const canvas = pixelCanvas('nn-kernel', kw, kh, scale);
    canvas.dataset.filter = String(o);
    canvas.style.outline = '1px solid var(--vscode-panel-border, transparent)';
    const px = new Uint8ClampedArray(kh * kw * 4);
    if (cin === 1) fillDiverging(set.weights, o * kh * kw, kh * kw, set.absMax, px);
    else {
      for (let i = 0; i < kh * kw; i++) {
        for (let c = 0; c < 3; c++) px[i * 4 + c] = Math.round(255 * images[(o * kh * kw + i) * cin + c]);
        px[i * 4 + 3] = 255;
      }
    }
    canvas.getContext('2d')?.putImageData(new ImageData(px, kw, kh), 0, 0);
    // An image for screen readers: a canvas with only an aria-label is not announced.
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `filter ${o}`);
    canvas.setAttribute('aria-description', 'arrow keys read the weights');
    const read = (r: number, col: number) => {
      const ws = Array.from({ length: cin }, (_, i) => formatValue(set.weights[((o * cin + i) * kh + r) * kw + col]));
      return `filter ${o} · (${r}, ${col}) = ${cin === 1 ? ws[0] : `R ${ws[0]} G ${ws[1]} B ${ws[2]}`}`;
    };
    hover(canvas, tip, (x, y) => read(Math.min(kh - 1, Math.floor(y * kh)), Math.min(kw - 1, Math.floor(x * kw))));
    canvas.tabIndex = 0;
    cellKeys(canvas, tip, { rows: kh, cols: kw, text: read });
    row.append(canvas);
  }
  return row;
}

/** Deeper layers: rows = filters (outputs), columns = input channels. */
function gridTable(set: KernelSet, tip: HTMLElement): HTMLElement[] {
  const { kh, kw, cin, cout } = set;
  const wrap = document.createElement('div');
  wrap.style.overflowX = 'auto';
  wrap.style.marginTop = '4px';
  const scale = Math.max(2, Math.floor(CELL_SIZE / Math.max(kh, kw)));
  const read = (o: number, i: number, r: number, c: number) => `filter ${o} ← input channel ${i}\n(${r}, ${c}) = ${formatValue(set.weights[((o * cin + i) * kh + r) * kw + c])}`;
  const drawGrid = (rows: number, cols: number) => {
    const grid = document.createElement('div');
    grid.className = 'nn-kernel-grid';
    grid.style.display = 'inline-grid';
    grid.style.gridTemplateColumns = `auto repeat(${cols}, max-content)`;
    grid.style.gap = '2px';
    grid.style.alignItems = 'center';
    grid.append(axisLabel('out \\ in'));
    for (let i = 0; i < cols; i++) grid.append(axisLabel(String(i)));
    const cells: HTMLCanvasElement[] = [];
    for (let o = 0; o < rows; o++) {
      grid.append(axisLabel(String(o)));
      for (let i = 0; i < cols; i++) grid.append((cells[o * cols + i] = cell(o, i)));
    }
    // One tab stop for the whole grid: the arrow keys move a cursor over every weight, across the cells (filters down, input channels across).
    grid.tabIndex = 0;
    grid.setAttribute('role', 'group');
    grid.setAttribute('aria-label', `${rows} filters × ${cols} input channels of ${kh} × ${kw} weights`);
    grid.setAttribute('aria-description', 'arrow keys read the weights');
    cellKeys(grid, tip, {
      rows: rows * kh,
      cols: cols * kw,
      text: (row, col) => read(Math.floor(row / kh), Math.floor(col / kw), row % kh, col % kw),
      box: (row, col) => {
        const g = grid.getBoundingClientRect();
        const c = cells[Math.floor(row / kh) * cols + Math.floor(col / kw)].getBoundingClientRect();
        return { left: (c.left - g.left + ((col % kw) * c.width) / kw) / g.width, top: (c.top - g.top + ((row % kh) * c.height) / kh) / g.height, width: c.width / kw / g.width, height: c.height / kh / g.height };
      },
    });
    wrap.replaceChildren(grid);
  };
  const cell = (o: number, i: number): HTMLCanvasElement => {
    const canvas = pixelCanvas('nn-kernel-cell', kw, kh, scale);
    const px = new Uint8ClampedArray(kh * kw * 4);
    const base = (o * cin + i) * kh * kw;
    for (let k = 0; k < kh * kw; k++) {
      const [r, g, b] = diverging(set.absMax > 0 ? set.weights[base + k] / set.absMax : 0);
      px.set([r, g, b, 255], k * 4);
    }
    canvas.getContext('2d')?.putImageData(new ImageData(px, kw, kh), 0, 0);
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `filter ${o} ← input channel ${i}`);
    hover(canvas, tip, (x, y) => read(o, i, Math.min(kh - 1, Math.floor(y * kh)), Math.min(kw - 1, Math.floor(x * kw))));
    return canvas;
  };
  const rows = Math.min(cout, GRID_LIMIT);
  const cols = Math.min(cin, GRID_LIMIT);
  drawGrid(rows, cols);
  if (rows === cout && cols === cin) return [wrap];
  const more = button(`Show all ${cout} × ${cin}`, () => {
    drawGrid(cout, cin);
    more.remove();
  });
  return [wrap, more];
}

function axisLabel(text: string): HTMLElement {
  const s = document.createElement('span');
  s.textContent = text;
  s.style.fontSize = '10px';
  s.style.color = 'var(--vscode-descriptionForeground)';
  s.style.textAlign = 'right';
  s.style.paddingRight = '2px';
  return s;
}
