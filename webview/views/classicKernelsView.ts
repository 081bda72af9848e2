/**
 * The Kernels tab's "Classic kernels" section, for models with an image
 * input: the course notes' hand-made 3×3 kernels (identity, Gaussian blur,
 * sharpen, edge detection) applied to the image Feature maps shows, each
 * map beside its printed kernel, and for one convolution of the model the
 * learned kernel most like each (probes/classicKernels.ts).
 *
 * The image: the current one of the inspector (`ctx.image`, the one Feature
 * maps draws and picks; `ctx.onImage` redraws the maps when another is
 * chosen); before Feature maps has chosen one, the sample it starts on
 * (`defaultImage`). Its luminance (a grey image as is; RGB as 0.299 R +
 * 0.587 G + 0.114 B, as a grey model input reads it) at the model's input
 * size is filtered, once per kernel, so each map is one picture, drawn as
 * an image (0 black, 1 white, clipped beyond).
 *
 * DOM hooks (for tests): `section.nn-classic` (`data-image`: the image's
 * name); per kernel a `figure.nn-classic-kernel` (`data-kernel`: identity,
 * blur, sharpen, edge) with its values `.nn-classic-values` (each a
 * `.nn-classic-value`, the factor `.nn-classic-factor`) and its map
 * `canvas.nn-classic-map` (`data-min`, `data-max`); the comparison
 * `div.nn-classic-match` (`data-path`, `data-how`: exact, padded) with a row
 * `tr.nn-classic-match-row` per kernel (`data-kernel`, `data-filter`,
 * `data-channel`, `data-similarity`), the untrained note
 * `.nn-classic-untrained`, the chance level `.nn-classic-chance`; when no
 * layer is compared, `.nn-classic-skip` says why.
 */
import type { Tf } from '../../extension/core/layers/types';
import { sampleImages } from '../../extension/core/runtime/data/synthetic';
import { diverging, formatRange, formatSigned, formatValue } from '../probes/colormap';
import { cellKeys, hover } from '../probes/hover';
import { imageInput, inputPlans, type PixelImage } from '../probes/input';
import { kernelShape, kernels, type KernelSet } from '../probes/kernels';
import {
  CLASSIC_KERNELS,
  chanceBest,
  classicMaps,
  matchClassics,
  pickMatchLayer,
  sameOnceCentred,
  type ClassicKernel,
  type ClassicMap,
  type ClassicMatch,
} from '../probes/classicKernels';
import { defaultImage } from './featureMapsModel';
import { el, layerHeader, note, pixelCanvas } from '../dom';
import type { ViewContext } from './types';
import { headerSource, layerSource, sourceText } from './sourceLink';

/** Displayed size of a filtered image (CSS pixels, longest side). */
const MAP_SIZE = 96;
/** Displayed size of a learned kernel in the comparison (CSS pixels, longest side). */
const LEARNED_SIZE = 36;

export interface ClassicSection {
  element: HTMLElement;
  /** Stops following the inspector's image. */
  dispose(): void;
}

/** The section, or undefined when the model has no image input (nothing to filter). */
export function classicSection(ctx: ViewContext, tip: HTMLElement): ClassicSection | undefined {
  const plan = inputPlans(ctx.modelInfo, ctx.dims).find((p) => p.kind === 'image');
  if (!plan) return undefined;
  const section = el('section', 'nn-classic');
  section.style.display = 'flex';
  section.style.flexDirection = 'column';
  section.style.gap = '6px';
  const title = el('h3', 'nn-classic-title', 'Classic kernels');
  title.style.margin = '8px 0 0';
  title.style.fontSize = '13px';
  const about = el('p', 'nn-classic-about');
  about.style.margin = '0';
  about.style.color = 'var(--vscode-descriptionForeground)';
  const maps = el('div', 'nn-classic-maps');
  maps.style.display = 'flex';
  maps.style.flexWrap = 'wrap';
  maps.style.gap = '12px 20px';
  section.append(title, about, maps);
  const match = matchPart(ctx, tip);
  if (match) section.append(match);

  const [h, w] = plan.shape;
  const draw = (image: PixelImage, name: string, chosen: boolean) => {
    section.dataset.image = name;
    const x = imageInput(ctx.tf, image, [h, w, 1]);
    let results: ClassicMap[];
    try {
      results = classicMaps(ctx.tf, x);
    } finally {
      x.dispose();
    }
    const [mh, mw] = [results[0].h, results[0].w];
    about.textContent =
      `The hand-made 3×3 kernels of the course notes, each slid over ${chosen ? `“${name}”, the image Feature maps shows (choose another there)` : `“${name}”, the sample Feature maps starts on`}: ` +
      `its brightness (${isGrey(image) ? 'a grey image as it is' : 'luminance, 0.299 R + 0.587 G + 0.114 B'}) at ${mh}×${mw}, filtered with TensorFlow.js conv2d, ` +
      `stride 1 and same padding (zeros beyond the border, so the output keeps the size). Each map is drawn as an image: 0 black, 1 white, values beyond clipped; hover for the value.`;
    maps.replaceChildren(...CLASSIC_KERNELS.map((k, i) => kernelFigure(k, results[i], tip)));
  };
  const fail = (e: unknown) => maps.replaceChildren(note(`Could not filter the image: ${e instanceof Error ? e.message : String(e)}`, 'nn-message nn-message-error'));
  const show = (image: PixelImage, name: string, chosen: boolean) => {
    try {
      draw(image, name, chosen);
    } catch (e) {
      fail(e);
    }
  };
  if (ctx.image) show(ctx.image, ctx.imageName || 'current image', true);
  else {
    const samples = sampleImages();
    const start = defaultImage(samples, plan.shape[2] === 1 ? 1 : 3, ctx.trainData);
    const sample = samples.find((s) => s.name === start.sample)!;
    show(sample, sample.name, false);
  }
  const off = ctx.onImage((image, name) => {
    if (!ctx.signal.aborted) show(image, name, true);
  });
  return { element: section, dispose: off };
}

/** Whether the image is grey: one channel, or red, green and blue equal in every pixel. */
function isGrey(image: PixelImage): boolean {
  const c = image.channels ?? 4;
  if (c < 3) return true;
  const d = image.data;
  for (let i = 0; i < d.length; i += c) if (d[i] !== d[i + 1] || d[i] !== d[i + 2]) return false;
  return true;
}

/** One classic kernel: its name, its printed values and the image filtered by it. */
function kernelFigure(k: ClassicKernel, map: ClassicMap, tip: HTMLElement): HTMLElement {
  const figure = el('figure', 'nn-classic-kernel');
  figure.dataset.kernel = k.id;
  figure.style.margin = '0';
  figure.style.display = 'flex';
  figure.style.flexDirection = 'column';
  figure.style.gap = '4px';
  const caption = el('figcaption', 'nn-classic-name', k.name);
  caption.style.fontWeight = '600';
  caption.title = `${k.name} ${k.does}.`;
  const scale = MAP_SIZE / Math.max(map.h, map.w);
  const canvas = pixelCanvas('nn-classic-map', map.w, map.h, scale);
  canvas.dataset.min = String(map.min);
  canvas.dataset.max = String(map.max);
  canvas.setAttribute('aria-label', `the image filtered by ${k.name}`);
  canvas.style.outline = '1px solid var(--vscode-panel-border, transparent)';
  const px = new Uint8ClampedArray(map.h * map.w * 4);
  for (let i = 0; i < map.h * map.w; i++) {
    const g = Math.round(255 * Math.min(1, Math.max(0, map.values[i])));
    px.set([g, g, g, 255], i * 4);
  }
  canvas.getContext('2d')?.putImageData(new ImageData(px, map.w, map.h), 0, 0);
  const read = (r: number, c: number) => `${k.name} · (${r}, ${c}) = ${formatValue(map.values[r * map.w + c])}`;
  hover(canvas, tip, (x, y) => read(Math.min(map.h - 1, Math.floor(y * map.h)), Math.min(map.w - 1, Math.floor(x * map.w))));
  canvas.tabIndex = 0;
  canvas.setAttribute('aria-description', 'arrow keys read the values');
  cellKeys(canvas, tip, { rows: map.h, cols: map.w, text: read });
  const range = el('span', 'nn-classic-range', formatRange(map.min, map.max));
  range.style.fontSize = '11px';
  range.style.color = 'var(--vscode-descriptionForeground)';
  range.title = 'The smallest and largest value of the filtered image';
  figure.append(caption, valuesGrid(k), canvas, range);
  return figure;
}

/** The kernel's 3×3 values as printed in the notes, with its factor ("1/16 ×") when it has one. */
function valuesGrid(k: ClassicKernel): HTMLElement {
  const box = el('div', 'nn-classic-values');
  box.style.display = 'flex';
  box.style.alignItems = 'center';
  box.style.gap = '4px';
  box.style.fontFamily = 'var(--vscode-editor-font-family)';
  box.style.fontSize = '11px';
  if (k.divisor !== 1) {
    const factor = el('span', 'nn-classic-factor', `1/${k.divisor} ×`);
    factor.style.whiteSpace = 'nowrap';
    box.append(factor);
  }
  const grid = el('div', 'nn-classic-grid');
  grid.style.display = 'inline-grid';
  grid.style.gridTemplateColumns = 'repeat(3, 2.4em)';
  grid.style.borderLeft = grid.style.borderRight = '1px solid var(--vscode-foreground)';
  grid.style.padding = '0 2px';
  for (const v of k.entries) {
    const cell = el('span', 'nn-classic-value', v < 0 ? `\u2212${-v}` : String(v));
    cell.style.textAlign = 'right';
    cell.style.paddingRight = '4px';
    grid.append(cell);
  }
  box.append(grid);
  return box;
}

/** The comparison with the learned kernels of one convolution (pickMatchLayer), or a note saying why there is none. */
function matchPart(ctx: ViewContext, tip: HTMLElement): HTMLElement | undefined {
  // Sizes from the kernels' shapes: only the layer compared has its weights read.
  const convs: { path: string; op: string; kh: number; kw: number }[] = [];
  const seen = new Set<unknown>();
  for (const path of ctx.built.layerPaths) {
    const node = ctx.built.nodeOf.get(path);
    const layer = ctx.built.layerOf.get(path);
    if (!node || !layer || node.category !== 'conv' || seen.has(layer)) continue;
    seen.add(layer);
    const shape = kernelShape(layer);
    if (shape) convs.push({ path, op: node.op, kh: shape.length === 4 ? (shape[0] ?? 0) : 1, kw: (shape.length === 4 ? shape[1] : shape[0]) ?? 0 });
  }
  const box = el('div', 'nn-classic-match');
  box.style.display = 'flex';
  box.style.flexDirection = 'column';
  box.style.gap = '4px';
  box.style.marginTop = '6px';
  const pick = pickMatchLayer(convs);
  if (!pick) {
    box.append(tight('This model has no conv2d layer, so no learned kernels to compare with these.', 'nn-note nn-classic-skip'));
    return box;
  }
  const conv = convs[pick.index];
  const node = ctx.built.nodeOf.get(conv.path)!;
  const source = layerSource(ctx.info.graph, conv.path);
  if (pick.how === 'skip') {
    box.append(tight(`The learned kernels of ${node.label}${source ? ` (${sourceText(source)})` : ''} are not compared with these: ${pick.reason}.`, 'nn-note nn-classic-skip'));
    return box;
  }
  const set = kernels(ctx.tf as Tf, ctx.built.layerOf.get(conv.path)!);
  if (!set) return undefined;
  box.dataset.path = conv.path;
  box.dataset.how = pick.how;
  const matches = matchClassics(set)!;
  const n = set.cout * set.cin;
  const size = `${set.kh}×${set.kw}`;
  const header = layerHeader(`Closest learned kernels: ${node.label}`, [`${n} kernels of ${size}`, ...(set.cin > 1 ? [`${set.cout} filters × ${set.cin} input channels`] : [])], headerSource(source, ctx.reveal));
  // As the learned layers' headers: a narrow panel wraps between the title and each part of the detail.
  header.style.flexWrap = 'wrap';
  header.style.rowGap = '0';
  box.append(header);
  const how = el(
    'p',
    'nn-classic-how',
    `For each classic kernel, the learned kernel most like it: cosine similarity after removing each kernel's mean (1 = the same pattern, whatever its brightness and contrast; 0 = unrelated; −1 = the pattern inverted).` +
      (pick.how === 'padded' ? ` This layer's kernels are ${size}: each classic kernel is padded with zeros to ${size} (the same filter at that size).` : '') +
      (convs[0] !== conv ? ` This is the first conv2d with 3×3 kernels; ${ctx.built.nodeOf.get(convs[0].path)?.label ?? 'an earlier convolution'} comes before it.` : ''),
  );
  how.style.margin = '0';
  how.style.color = 'var(--vscode-descriptionForeground)';
  box.append(how);
  if (ctx.weights?.kind === 'initial') {
    const what = ctx.weights.init === 'zeros' ? 'all zeros (the model is too large to start at random)' : 'the initial, random ones';
    box.append(tight(`Untrained: these weights are ${what}, not learned, so any resemblance is chance. Train the model (Training tab) and look again.`, 'nn-note nn-classic-untrained'));
  }
  const table = el('table', 'nn-classic-match-table');
  table.style.borderCollapse = 'collapse';
  table.style.alignSelf = 'flex-start';
  for (const m of matches) table.append(matchRow(m, set, tip));
  box.append(table);
  const chance = chanceBest(set.kh * set.kw, n);
  if (chance !== undefined && matches.some((m) => m.best)) {
    box.append(tight(`By chance alone, the best of ${n} random ${size} kernels would reach about ${chance.toFixed(2)} (median): a similarity near that says little.`, 'nn-note nn-classic-chance'));
  }
  const names = (id: string) => CLASSIC_KERNELS.find((k) => k.id === id)!.name;
  for (const [a, b] of sameOnceCentred(set.kh, set.kw)) {
    box.append(tight(`${names(a)} and ${names(b)} are the same pattern once their means are removed (they differ by one number added to every weight, and a scale), so they share their closest kernel.`, 'nn-note nn-classic-same'));
  }
  return box;
}

/** A note without the space `.nn-note` puts around it: the comparison's lines stay together. */
function tight(text: string, className: string): HTMLParagraphElement {
  const p = note(text, className);
  p.style.margin = '0';
  p.style.padding = '0';
  return p;
}

function matchRow(m: ClassicMatch, set: KernelSet, tip: HTMLElement): HTMLTableRowElement {
  const k = CLASSIC_KERNELS.find((c) => c.id === m.id)!;
  const row = el('tr', 'nn-classic-match-row');
  row.dataset.kernel = m.id;
  const cell = (content: string | Node) => {
    const td = el('td', 'nn-classic-match-cell');
    td.style.padding = '2px 8px 2px 0';
    td.style.verticalAlign = 'middle';
    td.append(content);
    row.append(td);
    return td;
  };
  cell(k.name);
  const best = m.best;
  if (!best) {
    cell('');
    cell('no learned kernel to compare: every one is constant');
    return row;
  }
  row.dataset.filter = String(best.filter);
  row.dataset.channel = String(best.channel);
  row.dataset.similarity = String(best.similarity);
  cell(learnedCanvas(set, best.filter, best.channel, tip));
  const which = `filter ${best.filter}${set.cin > 1 ? `, input channel ${best.channel}` : ''}`;
  const text = cell(`${which} · similarity ${formatSigned(Number(best.similarity!.toFixed(2)))}`);
  if (m.opposite) {
    const o = m.opposite;
    const more = el(
      'span',
      'nn-classic-opposite',
      ` · inverted: filter ${o.filter}${set.cin > 1 ? `, input channel ${o.channel}` : ''} is closer to −${k.name.toLowerCase()} (${formatSigned(Number(o.similarity!.toFixed(2)))})`,
    );
    more.style.color = 'var(--vscode-descriptionForeground)';
    text.append(more);
  }
  return row;
}

/** One learned kernel on the blue–white–red scale of its own largest |weight|; hover shows the weights. */
function learnedCanvas(set: KernelSet, o: number, i: number, tip: HTMLElement): HTMLCanvasElement {
  const { kh, kw, cin } = set;
  const base = (o * cin + i) * kh * kw;
  const ws = set.weights.subarray(base, base + kh * kw);
  let absMax = 0;
  for (const v of ws) absMax = Math.max(absMax, Math.abs(v));
  const canvas = pixelCanvas('nn-classic-learned', kw, kh, LEARNED_SIZE / Math.max(kh, kw));
  canvas.style.outline = '1px solid var(--vscode-panel-border, transparent)';
  const px = new Uint8ClampedArray(kh * kw * 4);
  ws.forEach((v, j) => px.set([...diverging(absMax > 0 ? v / absMax : 0), 255], j * 4));
  canvas.getContext('2d')?.putImageData(new ImageData(px, kw, kh), 0, 0);
  canvas.setAttribute('aria-label', `filter ${o}, input channel ${i}`);
  hover(canvas, tip, () => {
    const rows: string[] = [];
    for (let r = 0; r < kh; r++) rows.push(Array.from(ws.subarray(r * kw, (r + 1) * kw), (v) => formatValue(v).padStart(8)).join(' '));
    return `filter ${o}${cin > 1 ? ` ← input channel ${i}` : ''} (blue −, red +)\n${rows.join('\n')}`;
  });
  // From the keyboard, one weight at a time (the hover shows them all at once).
  canvas.tabIndex = 0;
  canvas.setAttribute('aria-description', 'arrow keys read the weights');
  cellKeys(canvas, tip, { rows: kh, cols: kw, text: (r, c) => `filter ${o}${cin > 1 ? ` ← input channel ${i}` : ''} · (${r}, ${c}) = ${formatValue(ws[r * kw + c])}` });
  return canvas;
}
