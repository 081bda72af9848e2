/**
 * The output strip: what the model outputs for the input a view feeds it.
 * Under Feature maps, for a class output, the top 5 classes as bars with
 * their probabilities; under Attention, for a language model, the top 10
 * next tokens after the last typed token, with a temperature slider that
 * redraws softmax(logits / T) without running the model again, and each
 * token a button that appends it to the text. The logic (which output, the
 * softmax, the texts) is in outputModel.ts.
 *
 * DOM hooks (for tests): the strip is `section.nn-out` with `data-kind`
 * (`classes` or `tokens`); each row `.nn-out-row` with `data-index` (class
 * or token id) and `data-p` (its probability); the slider
 * `input.nn-out-temperature`; the untrained-weights note `.nn-out-untrained`.
 * Given the intact model's scores as a baseline (heads switched off in the
 * attention view), each row also shows its change `.nn-out-delta` and has
 * `data-p0` (the intact probability); entries that left the list are named
 * in `.nn-out-left`. A masked language model's strip has `data-kind` `masked`:
 * one `.nn-out-mask` per typed `[MASK]` (`data-mask`, its index in the text;
 * `data-position`, its position in the input) with its rows and a Fill
 * button `.nn-out-fill-mask` (`data-id`, the token it writes); with no mask
 * typed, the note `.nn-out-nomask`.
 */
import { temperatureSoftmax } from '../../extension/core/runtime/generate';
import type { Tokenizer } from '../../extension/core/runtime/tokenizers';
import {
  activationText,
  classNames,
  classRows,
  percentText,
  temperatureOf,
  temperatureText,
  topK,
  typable,
  untrainedText,
  tokenLabels,
  untypableText,
  nextTokenSummary,
  TEMPERATURE,
  type OutputPlan,
  type Ranked,
} from './outputModel';
import type { WeightsState } from './types';
import { deltaText, leftTop, wasText } from './ablationModel';
import { button, note } from '../dom';
import { fillChoice, maskedLabels, maskPredictions, maskTitle, noMaskText, MASK_TOKEN } from './maskedModel';

/** Classes shown under Feature maps. */
export const TOP_CLASSES = 5;
/** Next tokens shown under Attention. */
export const TOP_TOKENS = 10;
/** Tokens shown at each masked position (a masked language model under Attention). */
export const TOP_MASKED = 5;

type ClassPlan = Extract<OutputPlan, { kind: 'classes' }>;
type TokenPlan = Extract<OutputPlan, { kind: 'tokens' }>;

export interface ClassStrip {
  readonly element: HTMLElement;
  /**
   * Draws the rows for one example's output (`[classes]` values as the model gives them);
   * with `baseline`, the intact model's output, each row's change against it.
   */
  show(scores: ArrayLike<number>, baseline?: ArrayLike<number>): void;
  /** Replaces the rows with a message (the output could not be computed). */
  fail(message: string): void;
}

/** The class strip for a `classes` output; `weights` says whether they are trained and names the classes. */
export function classStrip(plan: ClassPlan, weights: WeightsState | undefined): ClassStrip {
  const { element, rows, summary } = frame('classes', 'Output', activationText(plan.activation, plan.classes, 'classes'), weights);
  const names = classNames(plan.classes, weights?.kind === 'trained' ? weights.classes : undefined, plan.activation);
  return {
    element,
    show(scores, baseline) {
      const ranked = classRows(scores, plan.activation, TOP_CLASSES);
      // The intact probability of each class, as the rows compute theirs.
      const before = baseline && new Map(classRows(baseline, plan.activation, Infinity).map((r) => [r.index, r.p]));
      rows.replaceChildren(...ranked.map((r) => row('li', names[r.index] ?? `class ${r.index}`, r, before?.get(r.index))));
      summary.textContent = ranked.length ? `Most likely: ${names[ranked[0].index]} (${percentText(ranked[0].p)})` : '';
    },
    fail(message) {
      rows.replaceChildren(note(message, 'nn-message nn-message-error'));
      summary.textContent = '';
    },
  };
}

export interface TokenStrip {
  readonly element: HTMLElement;
  /**
   * Draws the distribution from the output row after the last token (`[vocab]` scores); `after` is that token's text.
   * With `baseline`, the intact model's scores for the same row, each row's change against it at the same temperature.
   */
  show(scores: ArrayLike<number>, after: string, baseline?: ArrayLike<number>): void;
  /** Replaces the rows with a note (no text typed, the model failed). */
  clear(message: string, error?: boolean): void;
}

/**
 * The next-token strip of a language model. `onPick` is called with the id
 * of a clicked token (the view appends it to the text and runs again).
 */
export function tokenStrip(plan: TokenPlan, weights: WeightsState | undefined, tokenizer: Tokenizer, onPick: (id: number) => void): TokenStrip {
  const { element, rows, summary } = frame('tokens', 'Next token', activationText(plan.activation, plan.vocab, 'tokens'), weights);
  const kind = plan.activation === 'logits' ? 'logits' : 'probabilities';

  const control = document.createElement('div');
  control.className = 'nn-out-control';
  const label = document.createElement('label');
  label.className = 'nn-out-control-label';
  const id = `nn-out-temperature-${++uid}`;
  label.htmlFor = id;
  label.textContent = 'Temperature';
  const slider = document.createElement('input');
  slider.type = 'range';
  slider.id = id;
  slider.className = 'nn-out-temperature';
  slider.min = String(TEMPERATURE.min);
  slider.max = String(TEMPERATURE.max);
  slider.step = String(TEMPERATURE.step);
  slider.value = String(temperature);
  const value = document.createElement('output');
  value.className = 'nn-out-control-value';
  value.htmlFor.add(id);
  control.append(label, slider, value);
  const hint = note('Click a token (or focus it and press Enter) to append it to the text: generating by hand. The temperature divides the logits before the softmax.', 'nn-out-hint');
  summary.before(control);
  element.append(hint);

  let last: { scores: Float32Array; after: string; baseline?: Float32Array } | undefined;
  const left = document.createElement('p');
  left.className = 'nn-out-left';
  element.append(left);
  const showValue = () => {
    const text = temperatureText(temperature);
    value.textContent = text;
    slider.setAttribute('aria-valuetext', text);
  };
  const draw = () => {
    if (!last) return;
    // A keyboard user who picked a token keeps the focus on the same row of the new list.
    const focused = rows.contains(document.activeElement) ? [...rows.children].indexOf(document.activeElement as Element) : -1;
    const probs = temperatureSoftmax(last.scores, kind, temperature);
    const probs0 = last.baseline && temperatureSoftmax(last.baseline, kind, temperature);
    const ranked = topK(probs, TOP_TOKENS);
    const labels = tokenLabels(tokenizer, ranked.map((r) => r.index));
    const gone = probs0 ? leftTop(probs, probs0, TOP_TOKENS) : [];
    const goneLabels = tokenLabels(tokenizer, gone.map((r) => r.index));
    left.textContent = gone.length
      ? `Left the top ${TOP_TOKENS}: ${gone.map((r, i) => `“${goneLabels[i]}” ${percentText(r.p0)} → ${percentText(r.p)}`).join(', ')}`
      : '';
    rows.replaceChildren(
      ...ranked.map((r, i) => {
        const shown = labels[i];
        const p0 = probs0?.[r.index];
        const b = row('button', shown, r, p0);
        const button = b as HTMLButtonElement;
        button.type = 'button';
        if (typable(tokenizer, r.index)) {
          button.title = `Append “${shown}” to the text`;
          button.setAttribute('aria-label', `${shown}: ${percentText(r.p)}${p0 === undefined ? '' : ` (${wasText(p0)})`}. Append it to the text`);
          button.addEventListener('click', () => onPick(r.index));
        } else {
          button.disabled = true;
          button.title = untypableText(tokenizer, r.index);
          button.setAttribute('aria-label', `${shown} (${r.index < tokenizer.vocabSize ? 'the unknown token' : 'no text encodes to it'}): ${percentText(r.p)}${p0 === undefined ? '' : ` (${wasText(p0)})`}`);
        }
        return b;
      }),
    );
    summary.textContent = nextTokenSummary(last.after, ranked[0] && { label: labels[0], p: ranked[0].p }, probs, temperature);
    if (focused >= 0) (rows.children[Math.min(focused, rows.children.length - 1)] as HTMLElement | undefined)?.focus();
  };
  slider.addEventListener('input', () => {
    temperature = temperatureOf(slider.value);
    showValue();
    draw();
  });
  showValue();

  return {
    element,
    show(scores, after, baseline) {
      last = { scores: Float32Array.from(scores), after, baseline: baseline && Float32Array.from(baseline) };
      draw();
    },
    clear(message, error = false) {
      last = undefined;
      rows.replaceChildren(note(message, error ? 'nn-message nn-message-error' : 'nn-note'));
      summary.textContent = '';
      left.textContent = '';
    },
  };
}

export interface MaskStrip {
  readonly element: HTMLElement;
  /**
   * Draws the predictions at the masked `positions` of one example's output
   * (`values`, `[length, vocab]` as the model gives them); `labels` are the
   * input's tokens (for each mask's title). With `baseline`, the intact
   * model's output, each row's change against it.
   */
  show(values: ArrayLike<number>, length: number, positions: readonly number[], labels: readonly string[], baseline?: ArrayLike<number>): void;
  /** Replaces the predictions with a note (no mask typed, the model failed). */
  clear(message: string, error?: boolean): void;
}

/**
 * The strip of a masked language model: for each `[MASK]` of the text, the
 * top tokens the model predicts at its position, and a Fill button that
 * writes the most likely token that can be written there in its place
 * (`onFill(mask, id)`: the view edits the text and runs again).
 */
export function maskStrip(plan: TokenPlan, weights: WeightsState | undefined, tokenizer: Tokenizer, maskId: number, onFill: (mask: number, id: number) => void): MaskStrip {
  const { element, rows, summary } = frame('masked', 'Masked tokens', activationText(plan.activation, plan.vocab, 'tokens'), weights);
  const kind = plan.activation === 'logits' ? 'logits' : 'probabilities';
  element.append(
    note(`Each ${MASK_TOKEN} typed in the text is fed as the mask token (id ${maskId}); the model predicts the token hidden there from the tokens on both sides. Fill writes the most likely token in its place.`, 'nn-out-hint'),
  );
  const labelOf = (id: number) => maskedLabels(tokenizer, [id], maskId)[0];
  return {
    element,
    show(values, length, positions, labels, baseline) {
      const preds = maskPredictions(values, length, plan.vocab, positions, kind, TOP_MASKED);
      const before = baseline && maskPredictions(baseline, length, plan.vocab, positions, kind, 0);
      if (preds.length === 0) {
        rows.replaceChildren(note(noMaskText(positions.length > 0), 'nn-note nn-out-nomask'));
        summary.textContent = '';
        return;
      }
      rows.replaceChildren(
        ...preds.map((p, i) => {
          const group = document.createElement('div');
          group.className = 'nn-out-mask';
          group.dataset.mask = String(p.mask);
          group.dataset.position = String(p.position);
          group.setAttribute('role', 'group');
          const title = maskTitle(p, labels);
          group.setAttribute('aria-label', title);
          const head = document.createElement('div');
          head.className = 'nn-out-mask-head';
          const name = document.createElement('span');
          name.className = 'nn-out-mask-title';
          name.textContent = title;
          head.append(name);
          const fill = fillChoice(p.probs, tokenizer, maskId);
          if (fill !== undefined) {
            const shown = labelOf(fill);
            const b = button('Fill', () => onFill(p.mask, fill), {
              className: 'nn-out-fill-mask',
              title: `Write “${shown}” (${percentText(p.probs[fill])}), the most likely token that can be written, in place of this ${MASK_TOKEN}`,
            });
            b.dataset.id = String(fill);
            b.setAttribute('aria-label', `Fill ${MASK_TOKEN} ${p.mask + 1} with ${shown}`);
            head.append(b);
          }
          const list = document.createElement('ol');
          list.className = 'nn-out-mask-rows';
          const p0 = before?.[i]?.probs;
          list.append(...p.top.map((r) => row('li', labelOf(r.index), r, p0?.[r.index])));
          group.append(head, list);
          return group;
        }),
      );
      summary.textContent = preds.map((p) => `${MASK_TOKEN} ${p.mask + 1}: “${labelOf(p.top[0].index)}” (${percentText(p.top[0].p)})`).join(' · ');
    },
    clear(message, error = false) {
      rows.replaceChildren(note(message, error ? 'nn-message nn-message-error' : 'nn-note nn-out-nomask'));
      summary.textContent = '';
    },
  };
}

/** The temperature, kept while the panel lives (the strip is rebuilt with each model). */
let temperature: number = TEMPERATURE.initial;
let uid = 0;

// ------------------------------------------------------------------ DOM helpers

function frame(kind: 'classes' | 'tokens' | 'masked', title: string, detail: string, weights: WeightsState | undefined) {
  const element = document.createElement('section');
  element.className = 'nn-out';
  element.dataset.kind = kind;
  element.setAttribute('aria-label', kind === 'classes' ? 'Model output: class probabilities' : kind === 'masked' ? 'Model output: predictions at the masked positions' : 'Model output: next-token probabilities');
  const head = document.createElement('div');
  head.className = 'nn-out-head';
  const t = document.createElement('span');
  t.className = 'nn-out-title';
  t.textContent = title;
  const d = document.createElement('span');
  d.className = 'nn-out-detail';
  d.textContent = detail;
  head.append(t, d);
  element.append(head);
  if (weights?.kind === 'initial') element.append(note(untrainedText(weights.init), 'nn-out-untrained'));
  const rows = document.createElement(kind === 'classes' ? 'ol' : 'div');
  rows.className = 'nn-out-rows';
  if (kind === 'tokens') rows.setAttribute('role', 'group');
  rows.setAttribute('aria-label', kind === 'classes' ? `Top ${TOP_CLASSES} classes` : kind === 'masked' ? 'Predictions at each masked position' : `Top ${TOP_TOKENS} next tokens`);
  // Announced when the image or text changes: the most likely answer, not every row.
  const summary = document.createElement('p');
  summary.className = 'nn-out-summary';
  summary.setAttribute('aria-live', 'polite');
  element.append(summary, rows);
  return { element, head, rows, summary };
}

/**
 * One bar: the label, a bar as wide as the probability, the percentage; with
 * `p0` (the intact model's probability), a mark on the bar where it was and
 * the change.
 */
function row(tag: 'li' | 'button', label: string, r: Ranked, p0?: number): HTMLElement {
  const e = document.createElement(tag);
  e.className = p0 === undefined ? 'nn-out-row' : 'nn-out-row nn-out-row-delta';
  e.dataset.index = String(r.index);
  e.dataset.p = String(r.p);
  const name = document.createElement('span');
  name.className = 'nn-out-label';
  name.textContent = label;
  name.title = label;
  const track = document.createElement('span');
  track.className = 'nn-out-track';
  track.setAttribute('aria-hidden', 'true');
  const fill = document.createElement('span');
  fill.className = 'nn-out-fill';
  fill.style.width = `${Math.max(0, Math.min(100, r.p * 100))}%`;
  track.append(fill);
  const pct = document.createElement('span');
  pct.className = 'nn-out-value';
  pct.textContent = percentText(r.p);
  e.append(name, track, pct);
  if (p0 !== undefined) {
    e.dataset.p0 = String(p0);
    const was = document.createElement('span');
    was.className = 'nn-out-was';
    was.style.left = `${Math.max(0, Math.min(100, p0 * 100))}%`;
    track.append(was);
    const delta = document.createElement('span');
    delta.className = 'nn-out-delta';
    delta.dataset.sign = r.p > p0 ? '+' : r.p < p0 ? '-' : '0';
    delta.textContent = deltaText(r.p, p0);
    delta.title = `${wasText(p0)}; change in percentage points`;
    e.append(delta);
  }
  if (tag === 'li') e.setAttribute('aria-label', `${label}: ${percentText(r.p)}${p0 === undefined ? '' : ` (${wasText(p0)})`}`);
  return e;
}
