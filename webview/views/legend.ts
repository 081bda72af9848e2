/**
 * The colour legend of the Kernels tab: the ramp a symmetric scale draws
 * values on (blue → the page's background → red, or black–grey–white for
 * the colour pictures of RGB filters), with −max, 0 and +max under it (a
 * true minus sign) and, in words, what each colour means. Used by the
 * kernels' layers and the position encodings drawn beside them.
 *
 * DOM hooks (for tests): a `div.nn-kernel-legend` (`data-abs-max`) with
 * its ramp (`canvas.nn-kernel-legend-ramp`), three
 * `.nn-kernel-legend-value`s (-max, 0, +max) and the key in words
 * (`.nn-kernel-legend-key`).
 */
import { fillDiverging, formatSigned } from '../probes/colormap';
import { el } from '../dom';

/** Colours in a legend's ramp (odd: the middle one is 0) and its displayed width (CSS pixels). */
const RAMP_STEPS = 65;
const RAMP_WIDTH = 160;

export interface LegendOptions {
  /** The largest |value|: the ends of the scale. */
  absMax: number;
  /** Grey (zero at mid-grey, as RGB filter pictures, per colour channel) instead of blue–background–red. */
  grey?: boolean;
  /** Shown beside the ramp: 'weight'. */
  caption: string;
  /** What is coloured, for the tooltip and screen readers: "this layer's weights". */
  what: string;
  /** What the ends are, when said: 'the largest |weight|'. */
  upTo?: string;
}

/** The ramp of a symmetric colour scale, ±`absMax` at its ends and 0 in the middle, with those three values under it. */
export function symmetricLegend(o: LegendOptions): HTMLElement {
  const box = el('div', 'nn-kernel-legend');
  box.dataset.absMax = String(o.absMax);
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
  if (o.grey) {
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
  const [lo, hi] = [formatSigned(-o.absMax), formatSigned(o.absMax)];
  for (const text of [lo, '0', hi]) {
    const v = el('span', 'nn-kernel-legend-value', text);
    v.style.fontSize = '10px';
    v.style.fontVariantNumeric = 'tabular-nums';
    v.style.color = 'var(--vscode-descriptionForeground)';
    values.append(v);
  }
  const scale = el('div', 'nn-kernel-legend-scale');
  scale.append(ramp, values);
  const [neg, mid, pos] = o.grey ? ['dark', 'mid-grey', 'light'] : ['blue', 'background (no colour)', 'red'];
  const caption = el('span', 'nn-kernel-legend-caption', o.caption);
  caption.style.fontSize = '10px';
  caption.style.color = 'var(--vscode-descriptionForeground)';
  const key = el('span', 'nn-kernel-legend-key', o.grey ? 'darker < 0 · mid-grey = 0 · lighter > 0' : 'blue < 0 · background = 0 · red > 0');
  key.style.fontSize = '10px';
  key.style.color = 'var(--vscode-descriptionForeground)';
  box.append(caption, scale, key);
  box.style.flexWrap = 'wrap';
  const said = `Colour scale of ${o.what}: ${neg} ${lo}, ${mid} 0, ${pos} ${hi}${o.upTo ? ` (symmetric, up to ${o.upTo})` : ''}`;
  box.title = said;
  box.setAttribute('role', 'img');
  box.setAttribute('aria-label', said);
  return box;
}
