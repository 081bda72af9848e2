/**
 * The kernels view: the learned (or initial) filters of every convolution
 * layer. A first layer on grey or RGB images shows each filter as a small
 * picture (scaled up, pixelated; mid-grey is zero); deeper layers show a
 * grid with one `[kh, kw]` map per (output, input) channel pair on a
 * blue–white–red scale. Both scales are symmetric, ±(largest |weight|) of
 * the layer at the ends, and each layer's legend shows its ramp with those
 * values and 0. Hover shows the weights.
 *
 * DOM hooks (for tests): each layer is a `section.nn-kernel-layer` with
 * `data-path` and `data-kind` (`image` or `grid`); each filter picture a
 * `canvas.nn-kernel`, each grid cell a `canvas.nn-kernel-cell`; the legend
 * a `div.nn-kernel-legend` (`data-abs-max`) with its ramp and three
 * `.nn-kernel-legend-value`s (-max, 0, +max).
 */
import { plural } from '../../extension/core/plural';
import { diverging, fillDiverging, formatValue } from '../probes/colormap';
import { kernels, type KernelSet } from '../probes/kernels';
import { hover, tooltip } from '../probes/hover';
import type { ViewContext } from './types';
import { el, layerHeader, note, pixelCanvas } from '../dom';

/** Output × input channels drawn in a grid before "Show all". */
const GRID_LIMIT = 16;
/** Displayed size of one filter picture / grid cell (CSS pixels, longest side). */
const IMAGE_SIZE = 48;
const CELL_SIZE = 22;
/** Colours in a legend's ramp (odd: the middle one is 0) and its displayed width (CSS pixels). */
const RAMP_STEPS = 65;
const RAMP_WIDTH = 160;

let root: HTMLElement | undefined;

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
  for (const path of ctx.built.layerPaths) {
    const node = ctx.built.nodeOf.get(path);
    const layer = ctx.built.layerOf.get(path);
    if (!node || !layer || node.category !== 'conv' || seen.has(layer)) continue;
    seen.add(layer);
    const set = kernels(ctx.tf, layer, { asImages: first });
    if (!set) continue;
    first = false;
    count++;
    root.append(layerSection(ctx, path, node.label, node.range, set, tip));
  }
  if (count === 0) {
    root.append(note('This model has no convolution layers, so it has no kernels to show.', 'nn-empty'));
  }
}

export function dispose(): void {
  root?.remove();
  root = undefined;
}

function layerSection(ctx: ViewContext, path: string, label: string, range: ViewContext['modelInfo']['range'], set: KernelSet, tip: HTMLElement): HTMLElement {
  const section = document.createElement('section');
  section.className = 'nn-kernel-layer';
  section.dataset.path = path;
  section.dataset.kind = set.kind;
  const size = set.kh === 1 ? `${set.kw}` : `${set.kh}×${set.kw}`;
  const detail = `${plural(set.cout, 'filter')} of ${size}×${set.cin} · weights ${formatValue(set.min)} … ${formatValue(set.max)}`;
  section.append(layerHeader(label, detail, { line: range.start.line + 1, reveal: () => ctx.reveal(range) }), legend(set));
  if (set.kind === 'image') section.append(imageRow(set, tip));
  else section.append(...gridTable(set, tip));
  return section;
}

/**
 * The layer's colour scale: the ramp its filters are drawn on, -max, 0 and
 * +max under it (max = the largest |weight|, as `imageRow` and `gridTable`
 * scale). Grey for pictures (per colour channel for RGB), blue–white–red for grids.
 */
function legend(set: KernelSet): HTMLElement {
  const box = el('div', 'nn-kernel-legend');
  box.dataset.absMax = String(set.absMax);
  box.style.display = 'flex';
  box.style.alignItems = 'center';
  box.style.gap = '8px';
  box.style.marginTop = '2px';
  const ramp = el('canvas', 'nn-kernel-legend-ramp');
  ramp.width = RAMP_STEPS;
  ramp.height = 1;
  ramp.style.display = 'block';
  ramp.style.width = `${RAMP_WIDTH}px`;
  ramp.style.height = '8px';
  ramp.style.outline = '1px solid var(--vscode-panel-border, transparent)';
  const t = Float32Array.from({ length: RAMP_STEPS }, (_, i) => (2 * i) / (RAMP_STEPS - 1) - 1);
  const px = new Uint8ClampedArray(RAMP_STEPS * 4);
  if (set.kind === 'image') {
    // As kernelImages: 0.5 + 0.5·w/max, zero at mid-grey.
    t.forEach((v, i) => {
      const grey = Math.round(255 * (0.5 + 0.5 * v));
      px.set([grey, grey, grey, 255], i * 4);
    });
  } else {
    fillDiverging(t, 0, RAMP_STEPS, 1, px);
  }
  ramp.getContext('2d')?.putImageData(new ImageData(px, RAMP_STEPS, 1), 0, 0);
  const values = el('div', 'nn-kernel-legend-values');
  values.style.display = 'flex';
  values.style.justifyContent = 'space-between';
  values.style.width = `${RAMP_WIDTH}px`;
  values.style.marginTop = '1px';
  const [lo, hi] = [formatValue(-set.absMax), formatValue(set.absMax)];
  for (const text of [lo, '0', hi]) {
    const v = el('span', 'nn-kernel-legend-value', text);
    v.style.fontSize = '10px';
    v.style.fontVariantNumeric = 'tabular-nums';
    v.style.color = 'var(--vscode-descriptionForeground)';
    values.append(v);
  }
  const scale = el('div', 'nn-kernel-legend-scale');
  scale.append(ramp, values);
  const [neg, mid, pos] = set.kind === 'image' ? ['black', 'mid-grey', 'white'] : ['blue', 'white', 'red'];
  const caption = el('span', 'nn-kernel-legend-caption', set.kind === 'image' && set.cin === 3 ? 'weight, per colour channel' : 'weight');
  caption.style.fontSize = '10px';
  caption.style.color = 'var(--vscode-descriptionForeground)';
  box.append(caption, scale);
  const said = `Colour scale of this layer's weights: ${neg} ${lo}, ${mid} 0, ${pos} ${hi} (symmetric, up to the largest |weight|)`;
  box.title = said;
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', said);
  return box;
}

/** First layer: each filter as one picture, grey or RGB, zero at mid-grey. */
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
    for (let i = 0; i < kh * kw; i++) {
      for (let c = 0; c < 3; c++) px[i * 4 + c] = Math.round(255 * images[(o * kh * kw + i) * cin + (cin === 1 ? 0 : c)]);
      px[i * 4 + 3] = 255;
    }
    canvas.getContext('2d')?.putImageData(new ImageData(px, kw, kh), 0, 0);
    canvas.setAttribute('aria-label', `filter ${o}`);
    hover(canvas, tip, (x, y) => {
      const col = Math.min(kw - 1, Math.floor(x * kw));
      const r = Math.min(kh - 1, Math.floor(y * kh));
      const ws = Array.from({ length: cin }, (_, i) => formatValue(set.weights[((o * cin + i) * kh + r) * kw + col]));
      return `filter ${o} · (${r}, ${col}) = ${cin === 1 ? ws[0] : `R ${ws[0]} G ${ws[1]} B ${ws[2]}`}`;
    });
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
  const drawGrid = (rows: number, cols: number) => {
    const grid = document.createElement('div');
    grid.className = 'nn-kernel-grid';
    grid.style.display = 'inline-grid';
    grid.style.gridTemplateColumns = `auto repeat(${cols}, max-content)`;
    grid.style.gap = '2px';
    grid.style.alignItems = 'center';
    grid.append(axisLabel('out \\ in'));
    for (let i = 0; i < cols; i++) grid.append(axisLabel(String(i)));
    for (let o = 0; o < rows; o++) {
      grid.append(axisLabel(String(o)));
      for (let i = 0; i < cols; i++) grid.append(cell(o, i));
    }
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
    hover(canvas, tip, (x, y) => {
      const c = Math.min(kw - 1, Math.floor(x * kw));
      const r = Math.min(kh - 1, Math.floor(y * kh));
      return `filter ${o} ← input channel ${i}\n(${r}, ${c}) = ${formatValue(set.weights[base + r * kw + c])}`;
    });
    return canvas;
  };
  const rows = Math.min(cout, GRID_LIMIT);
  const cols = Math.min(cin, GRID_LIMIT);
  drawGrid(rows, cols);
  if (rows === cout && cols === cin) return [wrap];
  const more = document.createElement('vscode-button');
  more.setAttribute('secondary', '');
  more.textContent = `Show all ${cout} × ${cin}`;
  more.addEventListener('click', () => {
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
