/**
 * The Training tab's images of a generative objective: the forward strip
 * of a diffusion run (one training image noised step by step, captioned
 * "how the data is noised: t = 0 … 999") and the generated images after
 * each epoch, with a slider to look back at earlier epochs. Pixels and
 * layout come from stripModel.ts (pure); this file only makes the DOM.
 *
 * DOM hooks (for tests): `section.nn-samples`; the forward strip
 * `figure.nn-samples-forward`, the generated one `figure.nn-samples-generated`
 * with `data-epoch` of the strip shown; each image a `canvas.nn-sample-image`
 * (role img, aria-label); the history slider `input.nn-samples-slider`;
 * a GAN's diversity of the epoch shown `p.nn-samples-diversity` (with
 * `data-value`, `data-collapsing`).
 */
import type { TrainingCurves } from './curves';
import { el } from '../dom';
import { forwardCaption, generatedCaption, historyText, imageLabel, imageRgba, shownIndex, type StoredStrip } from './stripModel';
import { collapsing, diversityText } from '../../extension/core/runtime/diversity';

let ids = 0;

export class SamplesView {
  readonly element: HTMLElement;
  private readonly forwardFigure: HTMLElement;
  private readonly forwardCaption: HTMLElement;
  private readonly forwardRow: HTMLElement;
  private readonly generatedFigure: HTMLElement;
  private readonly generatedCaption: HTMLElement;
  private readonly generatedRow: HTMLElement;
  /** Under a GAN's strip: the diversity of the epoch shown (runtime/diversity.ts). */
  private readonly diversity: HTMLElement;
  private readonly history: HTMLElement;
  private readonly slider: HTMLInputElement;
  private readonly sliderText: HTMLElement;
  /** The epoch the user looks back at, or undefined to follow the latest strip. */
  private pinned: number | undefined;
  /** What is drawn now, so that a render without a new strip redraws nothing. */
  private drawnForward: StoredStrip | undefined;
  private drawnGenerated: StoredStrip | undefined;
  private lastCurves: TrainingCurves | undefined;
  private run = -1;

  constructor() {
    const id = `nn-samples-${++ids}`;
    this.element = el('section', 'nn-samples');
    this.element.setAttribute('aria-label', 'Samples');
    this.element.hidden = true;

    this.forwardFigure = el('figure', 'nn-samples-forward');
    this.forwardFigure.hidden = true;
    this.forwardCaption = el('figcaption', 'nn-samples-caption');
    this.forwardRow = el('div', 'nn-samples-row');
    this.forwardFigure.append(this.forwardCaption, this.forwardRow);

    this.generatedFigure = el('figure', 'nn-samples-generated');
    this.generatedFigure.hidden = true;
    this.generatedCaption = el('figcaption', 'nn-samples-caption');
    this.generatedCaption.id = `${id}-caption`;
    // Announce a new epoch's images without moving the focus.
    this.generatedCaption.setAttribute('aria-live', 'polite');
    this.history = el('div', 'nn-samples-history');
    const label = el('label', 'nn-samples-slider-label');
    label.textContent = 'Look back:';
    label.htmlFor = `${id}-slider`;
    this.slider = document.createElement('input');
    this.slider.type = 'range';
    this.slider.className = 'nn-samples-slider';
    this.slider.id = `${id}-slider`;
    this.slider.min = '0';
    this.slider.step = '1';
    this.slider.setAttribute('aria-describedby', this.generatedCaption.id);
    this.sliderText = el('span', 'nn-samples-slider-text');
    this.history.append(label, this.slider, this.sliderText);
    this.slider.addEventListener('input', () => this.onSlide());
    this.generatedRow = el('div', 'nn-samples-row');
    this.diversity = el('p', 'nn-samples-diversity');
    this.diversity.hidden = true;
    this.generatedFigure.append(this.generatedCaption, this.history, this.generatedRow, this.diversity);

    this.element.append(this.forwardFigure, this.generatedFigure);
  }

  /** Draws the run's strips (a new run's first strip also drops the previous run's images and the chosen epoch). */
  render(curves: TrainingCurves): void {
    this.lastCurves = curves;
    if (curves.run !== this.run) {
      this.run = curves.run;
      this.pinned = undefined;
    }
    const forward = curves.forward;
    const history = curves.generated;
    this.element.hidden = !forward && history.length === 0;
    if (this.element.hidden) {
      this.pinned = undefined;
      this.drawnForward = this.drawnGenerated = undefined;
      this.forwardRow.replaceChildren();
      this.generatedRow.replaceChildren();
      return;
    }

    this.forwardFigure.hidden = !forward;
    if (forward && forward !== this.drawnForward) {
      this.drawnForward = forward;
      this.forwardCaption.textContent = forwardCaption(forward);
      this.forwardRow.replaceChildren(...images(forward));
    }

    this.generatedFigure.hidden = history.length === 0;
    if (history.length === 0) return;
    const index = shownIndex(history, this.pinned);
    const strip = history[index];
    const latest = index === history.length - 1;
    this.history.hidden = history.length < 2;
    this.slider.max = String(history.length - 1);
    this.slider.value = String(index);
    const caption = generatedCaption(strip, latest);
    this.slider.setAttribute('aria-valuetext', caption);
    this.sliderText.textContent = historyText(history);
    if (strip !== this.drawnGenerated) {
      this.drawnGenerated = strip;
      this.generatedCaption.textContent = `Generated: ${caption}`;
      this.generatedFigure.dataset.epoch = String(strip.epoch);
      this.generatedRow.replaceChildren(...images(strip));
    } else if (this.generatedCaption.textContent !== `Generated: ${caption}`) this.generatedCaption.textContent = `Generated: ${caption}`;
    // The epoch's figure comes after its strip (the epoch's event follows its images): shown once it is there.
    const value = curves.epochMetric(strip.epoch, 'diversity');
    this.diversity.hidden = value === undefined;
    this.diversity.textContent = value === undefined ? '' : diversityText(value);
    if (value === undefined) {
      delete this.diversity.dataset.value;
      delete this.diversity.dataset.collapsing;
    } else {
      this.diversity.dataset.value = value.toFixed(4);
      this.diversity.dataset.collapsing = String(collapsing(value));
    }
  }

  /** The slider moved: pin that epoch, or follow the latest again when it is at the end. */
  private onSlide(): void {
    const curves = this.lastCurves;
    if (!curves || curves.generated.length === 0) return;
    const history = curves.generated;
    const i = Math.min(history.length - 1, Math.max(0, Number(this.slider.value) | 0));
    this.pinned = i === history.length - 1 ? undefined : history[i].epoch;
    this.render(curves);
  }
}

/**
 * One image of `strip` as a cell: a canvas at its scaled-up size (nearest
 * neighbour, stripModel's `imageRgba`) labelled `label` for screen readers,
 * with `caption` under it when there is one (the Training tab and the
 * inspector's Samples tab draw their images with it).
 */
export function imageCell(strip: StoredStrip, index: number, label: string, caption?: string, className = 'nn-sample-image'): HTMLElement {
  const { width, height, rgba } = imageRgba(strip, index);
  const canvas = el('canvas', className);
  canvas.width = width;
  canvas.height = height;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  // The bitmap is already scaled up; this keeps it crisp where the screen scales it again (a high-DPI display).
  canvas.style.imageRendering = 'pixelated';
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', label);
  canvas.getContext('2d')?.putImageData(new ImageData(rgba, width, height), 0, 0);
  const cell = el('div', 'nn-sample');
  cell.append(canvas);
  if (caption) {
    const text = el('span', 'nn-sample-caption');
    text.textContent = caption;
    // The canvas' label already says it.
    text.setAttribute('aria-hidden', 'true');
    cell.append(text);
  }
  return cell;
}

/** One cell per image of the strip, with its caption when it has one. */
function images(strip: StoredStrip): HTMLElement[] {
  const out: HTMLElement[] = [];
  for (let i = 0; i < strip.count; i++) out.push(imageCell(strip, i, imageLabel(strip, i), strip.captions?.[i]));
  return out;
}
