/**
 * The feature maps' "how this value is computed" for a conv1d/conv2d value
 * (probes/convCalc.ts does the arithmetic): the input patch the kernel sits
 * on (padding zeros marked), the filter's weights and their element-wise
 * products per input channel (every term for a small kernel over few
 * channels, else one partial sum per channel), their sum, + bias, the fused
 * activation, and whether that is the value TensorFlow.js computed.
 * Computed on demand for the one value hovered or pinned; the layer's
 * weights and its input are read on the first breakdown of the layer.
 *
 * A maxpool/avgpool value (probes/poolCalc.ts) shows, in the same form, the
 * window on its one channel of the input (padding cells marked: never read,
 * or zeros counted in the mean with an average's explicit padding,
 * PyTorch's), the maximum outlined (ties named: TensorFlow takes the first in
 * row-major order) or Σ ÷ n, that pooling has no parameters, and the check.
 *
 * DOM hooks (for tests): the breakdown is a `div.nn-calc` (`data-sum`,
 * `data-bias`, `data-pre`, `data-value`, `data-shown`, `data-agrees`), its
 * term grids `.nn-calc-grid` (`data-kind`: patch, kernel, products), its
 * per-channel partial sums `details.nn-calc-partial` in `.nn-calc-partials`
 * (opened, each shows its channel's terms), its check `.nn-calc-check`.
 * A pooling's breakdown is a `div.nn-calc` with `data-pool` (max, avg),
 * `data-n`, `data-sum`, `data-value`, `data-shown`, `data-agrees`, for
 * max pooling `data-ties` (cells holding the maximum); its
 * window `.nn-calc-grid[data-kind="window"]`, the maximum's cell
 * `.nn-calc-max`, other cells tying with it `.nn-calc-tie`; its result line
 * `.nn-calc-pool`, its parameters line `.nn-calc-params`.
 */
import { plural } from '../../extension/core/plural';
import { agrees, convCalc, showsEveryTerm, type ConvCalc, type ConvCalcInput, type ConvCalcLayer } from '../probes/convCalc';
import { poolCalc, type PoolCalc, type PoolCalcLayer } from '../probes/poolCalc';
import { formatValue } from '../probes/colormap';
import { el } from '../dom';

/** What a layer's breakdowns need, read lazily: its weights (`layer`) and its input for the picked example (`input`). */
export interface CalcSource {
  /** The layer's label (`conv2d(6, 5)`). */
  label: string;
  /** What its input is: "the image input", "the output of tanh (line 3)". */
  inputName: string;
  /** The backend that computed the shown values, as people name it ("WASM"). */
  backend: string;
  /** A convolution (its geometry and weights) or a pooling (its geometry). */
  layer(): ConvCalcLayer | PoolCalcLayer | undefined;
  input(): ConvCalcInput | undefined;
}

/** Per layer: reads its weights and input once, then explains any of its values (`filter`: a pooling's channel). */
export function calcExplainer(source: CalcSource): (position: number[], filter: number, shown: number) => HTMLElement {
  let layer: ConvCalcLayer | PoolCalcLayer | undefined;
  let input: ConvCalcInput | undefined;
  return (position, filter, shown) => {
    try {
      layer ??= source.layer();
      input ??= source.input();
      if (!layer || !input) return el('div', 'nn-calc nn-calc-none', 'How this value is computed: its weights or its input could not be read.');
      if ('kind' in layer) return poolElement(poolCalc(layer, input, position, filter), source, shown);
      return calcElement(convCalc(layer, input, position, filter), source, shown);
    } catch (e) {
      return el('div', 'nn-calc nn-calc-none', `How this value is computed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}

/** Input positions as "rows 3–7" or, dilated, "rows 0, 2, 4"; padding positions named. */
function span(what: string, at: number[], size: number): string {
  const inside = at.filter((i) => i >= 0 && i < size);
  const contiguous = at.every((v, i) => i === 0 || v === at[i - 1] + 1);
  const list = contiguous ? (at.length === 1 ? `${at[0]}` : `${at[0]}–${at[at.length - 1]}`) : at.join(', ');
  const outside = at.length - inside.length;
  return `${what} ${list}${outside > 0 ? ` (${outside} in the padding)` : ''}`;
}

/** The breakdown of one value. */
export function calcElement(calc: ConvCalc, source: Pick<CalcSource, 'inputName' | 'backend'>, shown: number): HTMLElement {
  const box = el('div', 'nn-calc');
  const ok = agrees(calc, shown);
  box.dataset.sum = String(calc.sum);
  box.dataset.bias = String(calc.bias);
  box.dataset.pre = String(calc.pre);
  box.dataset.value = String(calc.value);
  box.dataset.shown = String(shown);
  box.dataset.agrees = String(ok);
  const { oneD, where } = windowWhere(calc);
  const taps = oneD ? `${calc.kw}-tap` : `${calc.kh} × ${calc.kw}`;
  const channels = calc.channels.length;
  box.append(
    el('div', 'nn-calc-title', 'How this value is computed'),
    el('div', 'nn-calc-line', `The ${taps} kernel of filter ${calc.filter} on ${where} of ${source.inputName}${channels > 1 ? `, ${plural(channels, 'channel')}` : ''}${calc.paddedTaps > 0 ? '; padding reads 0' : ''}:`),
  );
  if (showsEveryTerm(calc)) {
    for (const ch of calc.channels) box.append(termRow(calc, ch, channels > 1));
  } else {
    box.append(partials(calc));
  }
  const sum = channels > 1 ? `Σ over ${plural(channels, 'channel')} = ${formatValue(calc.sum)}` : `Σ ${plural(calc.kh * calc.kw, 'product')} = ${formatValue(calc.sum)}`;
  box.append(el('div', 'nn-calc-line nn-calc-sum', sum));
  const act = calc.activation !== 'none';
  box.append(el('div', 'nn-calc-line nn-calc-bias', calc.hasBias ? `+ bias ${formatValue(calc.bias)} = ${formatValue(calc.pre)}${act ? ` (before ${calc.activation})` : ''}` : `no bias (bias = false) = ${formatValue(calc.pre)}`));
  if (act) {
    const of = calc.activation === 'softmax' ? `softmax over the filters at this position` : `${calc.activation}(${formatValue(calc.pre)})`;
    box.append(el('div', 'nn-calc-line nn-calc-act', `${of} = ${formatValue(calc.value)}`));
  }
  box.append(checkLine(calc.value, shown, ok, source.backend));
  return box;
}

/** Whether the breakdown's value is the one TensorFlow.js computed: `= v ✓`, or how far off. */
function checkLine(value: number, shown: number, ok: boolean, backend: string): HTMLElement {
  const check = el('div', 'nn-calc-line nn-calc-check');
  check.textContent = ok
    ? `= ${formatValue(shown)} ✓ as computed by TensorFlow.js (${backend})`
    : `✗ TensorFlow.js (${backend}) computed ${formatValue(shown)}, ${formatValue(Math.abs(value - shown))} away`;
  check.dataset.agrees = String(ok);
  return check;
}

/** Where a window sits: "steps 4–5" (1-D), else "rows 2–3, columns 6–7". */
function windowWhere(calc: Pick<ConvCalc, 'rows' | 'cols' | 'inHeight' | 'inWidth' | 'kh' | 'position'>): { oneD: boolean; where: string } {
  const oneD = calc.inHeight === 1 && calc.kh === 1 && calc.position.length === 1;
  return { oneD, where: oneD ? span('steps', calc.cols, calc.inWidth) : `${span('rows', calc.rows, calc.inHeight)}, ${span('columns', calc.cols, calc.inWidth)}` };
}

/** The breakdown of one pooled value: the window on its channel, its max (outlined) or Σ ÷ n, no parameters, the check. */
export function poolElement(calc: PoolCalc, source: Pick<CalcSource, 'inputName' | 'backend'>, shown: number): HTMLElement {
  const box = el('div', 'nn-calc');
  const ok = agrees(calc, shown);
  const isMax = calc.kind === 'max';
  box.dataset.pool = calc.kind;
  box.dataset.n = String(calc.n);
  if (isMax) box.dataset.ties = String(calc.ties.length);
  box.dataset.sum = String(calc.sum);
  box.dataset.value = String(calc.value);
  box.dataset.shown = String(shown);
  box.dataset.agrees = String(ok);
  const { oneD, where } = windowWhere(calc);
  const size = oneD ? `${calc.kw}-step` : `${calc.kh} × ${calc.kw}`;
  const cut = calc.n < calc.kh * calc.kw;
  // PyTorch's explicit padding on an average: zeros that count (count_include_pad).
  const zeros = calc.countsPadding && calc.padded.some(Boolean);
  box.append(
    el('div', 'nn-calc-title', 'How this value is computed'),
    el(
      'div',
      'nn-calc-line',
      `The ${size} ${isMax ? 'max' : 'average'}-pooling window on ${where} of channel ${calc.channel} of ${source.inputName} (pooling is per channel)${cut ? `; the padding is not read` : zeros ? '; the padding counts as zeros' : ''}:`,
    ),
  );
  const row = el('div', 'nn-calc-terms');
  const mark = isMax ? (t: number) => (t === calc.argmax ? 'nn-calc-max' : calc.ties.includes(t) ? 'nn-calc-tie' : undefined) : undefined;
  row.append(grid('window', 'input', calc.x, calc.kw, (t) => calc.padded[t], false, mark));
  const result = isMax
    ? `max = ${formatValue(calc.value)}`
    : `Σ ${plural(calc.n, 'value')} = ${formatValue(calc.sum)}, ÷ ${calc.n} = ${formatValue(calc.value)}`;
  row.append(el('span', 'nn-calc-op nn-calc-pool', result));
  box.append(row);
  if (isMax && calc.ties.length > 1) {
    box.append(el('div', 'nn-calc-line nn-calc-ties', `${calc.ties.length} cells tie at the max; TensorFlow takes the first in row-major order (outlined): the gradient flows back to it alone`));
  }
  if (!isMax && cut) box.append(el('div', 'nn-calc-line', `n = ${calc.n}, not ${calc.kh * calc.kw}: TensorFlow averages only the cells inside the input`));
  if (zeros) box.append(el('div', 'nn-calc-line', `n = ${calc.n}, padding included: explicit padding adds zeros that count in the mean, as PyTorch's (count_include_pad)`));
  box.append(el('div', 'nn-calc-line nn-calc-params', '0 parameters: pooling learns nothing'));
  box.append(checkLine(calc.value, shown, ok, source.backend));
  return box;
}

/** One input channel's patch × kernel = products, Σ. */
function termRow(calc: ConvCalc, ch: ConvCalc['channels'][number], named: boolean): HTMLElement {
  const row = el('div', 'nn-calc-terms');
  if (named) row.append(el('span', 'nn-calc-channel', `channel ${ch.channel}`));
  const pad = (t: number) => {
    const r = calc.rows[Math.floor(t / calc.kw)];
    const c = calc.cols[t % calc.kw];
    return r < 0 || r >= calc.inHeight || c < 0 || c >= calc.inWidth;
  };
  row.append(
    grid('patch', 'input', ch.x, calc.kw, pad),
    el('span', 'nn-calc-op', '×'),
    grid('kernel', 'kernel', ch.w, calc.kw),
    el('span', 'nn-calc-op', '='),
    grid('products', 'products', ch.products, calc.kw, undefined, true),
    el('span', 'nn-calc-op', `Σ ${formatValue(ch.sum)}`),
  );
  return row;
}

/**
 * A `[rows][kw]` block of numbers under a caption; padding cells dimmed (a
 * NaN, padding never read, as "·"); negative products tinted; `mark` adds a
 * class to a cell (a pooling's maximum).
 */
function grid(kind: string, caption: string, values: Float64Array, kw: number, padded?: (t: number) => boolean, signed = false, mark?: (t: number) => string | undefined): HTMLElement {
  const fig = el('div', 'nn-calc-block');
  const g = el('div', 'nn-calc-grid');
  g.dataset.kind = kind;
  g.style.gridTemplateColumns = `repeat(${kw}, auto)`;
  values.forEach((v, t) => {
    const cell = el('span', 'nn-calc-cell', Number.isNaN(v) ? '·' : short(v));
    if (padded?.(t)) cell.classList.add('nn-calc-pad');
    if (signed && v < 0) cell.classList.add('nn-calc-neg');
    const marked = mark?.(t);
    if (marked) cell.classList.add(marked);
    g.append(cell);
  });
  fig.append(el('div', 'nn-calc-caption', caption), g);
  return fig;
}

/** A term in a grid cell, short: two decimals (three below 0.01), one significant digit below 0.001. */
function short(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 100) return v.toExponential(1);
  if (a >= 0.01) return v.toFixed(2);
  if (a >= 0.001) return v.toFixed(3);
  return v.toExponential(0);
}

/**
 * One partial sum per input channel (many channels or a large kernel), each
 * opening onto its own patch × kernel = products (built when opened: a
 * layer may have hundreds of channels).
 */
function partials(calc: ConvCalc): HTMLElement {
  const list = el('div', 'nn-calc-partials');
  const n = calc.kh * calc.kw;
  for (const ch of calc.channels) {
    const row = el('details', 'nn-calc-partial');
    const summary = el('summary', 'nn-calc-partial-sum');
    summary.append(el('span', 'nn-calc-channel', `channel ${ch.channel}`), el('span', 'nn-calc-psum', `Σ ${plural(n, 'product')} = ${formatValue(ch.sum)}`));
    row.append(summary);
    row.addEventListener('toggle', () => {
      if (row.open && row.childElementCount === 1) row.append(termRow(calc, ch, false));
    });
    list.append(row);
  }
  return list;
}
