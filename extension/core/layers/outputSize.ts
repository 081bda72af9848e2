/**
 * The output-size arithmetic of one convolution or pooling call, written out
 * with the call's own numbers for its hover (the course notes' padding and
 * stride examples): `⌊(11 − 2) / 2⌋ + 1 = 5`, which rows a `valid` window
 * never reaches, how many zeros `same`, `causal` or `padding = p` pads and where.
 */
import { Sym, type Shape } from '../analysis/sym';
import { axisPadding, dilatedKernel, paddingText, type ConvPadding, type WindowPadding } from './common';

/** One spatial axis of a windowed layer (conv, pooling): its input size and window. */
interface AxisWindow {
  n: Sym;
  k: number;
  stride: number;
  dilation: number;
}

/** `[h, w]` or `[length]`: the names a sentence gives one axis, and what a dropped slice of it is called. */
const AXES: Record<number, { name: string; slice: [string, string] }[]> = {
  1: [{ name: 'length', slice: ['step', 'steps'] }],
  2: [
    { name: 'height', slice: ['row', 'rows'] },
    { name: 'width', slice: ['column', 'columns'] },
  ],
};

const plural = (n: number, [one, many]: [string, string]) => `${n} ${n === 1 ? one : many}`;

/** A size in a formula: a number, or a symbolic size in brackets when it has more than one term (`(seq − 1)`). */
function term(n: Sym): string {
  const s = n.toString().replace(/ - /g, ' − ');
  return n.value !== undefined || /^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : `(${s})`;
}

function result(n: Sym): string {
  return n.toString().replace(/ - /g, ' − ');
}

/** The arithmetic of one axis, `= out` included, and the sentence on what it drops or pads (empty when nothing). */
function axisArithmetic(a: AxisWindow, padding: ConvPadding | number, sliceNames: [string, string], oneSided: boolean, pooling: boolean): { formula: string; detail: string } {
  const dk = dilatedKernel(a.k, a.dilation);
  const n = a.n.value;
  if (typeof padding === 'number') {
    // PyTorch's rule: p on each side, then only full windows.
    const out = a.n.add(2 * padding).sub(dk).floorDiv(a.stride).add(1);
    const equals = out.value === undefined && /[⌊⌈]/.test(out.toString()) ? '' : ` = ${result(out)}`;
    const padded = `${term(a.n)} + 2·${padding} − ${dk}`;
    const formula = a.stride === 1 ? `${padded} + 1${equals}` : `⌊(${padded}) / ${a.stride}⌋ + 1${equals}`;
    const unit = oneSided ? `${padding} ${padding === 1 ? 'row' : 'rows'}` : `${padding} ${padding === 1 ? 'step' : 'steps'}`;
    const parts = padding > 0 ? [`pads ${unit}${pooling ? '' : ' of zeros'} on each side`] : [];
    if (n !== undefined && n + 2 * padding >= dk) {
      const left = (n + 2 * padding - dk) % a.stride;
      if (left > 0) parts.push(left === 1 ? `the last ${sliceNames[0]} fits no window and is dropped` : `the last ${plural(left, sliceNames)} fit no window and are dropped`);
    }
    return { formula, detail: parts.join('; ') };
  }
  if (padding === 'valid') {
    const out = a.n.sub(dk).floorDiv(a.stride).add(1);
    // A symbolic size whose result is the formula again (`⌊(seq − 3)/2⌋ + 1`) is not written twice.
    const equals = out.value === undefined && /[⌊⌈]/.test(out.toString()) ? '' : ` = ${result(out)}`;
    const formula = a.stride === 1 ? `${term(a.n)} − ${dk} + 1${equals}` : `⌊(${term(a.n)} − ${dk}) / ${a.stride}⌋ + 1${equals}`;
    let detail = '';
    if (n !== undefined && n >= dk) {
      const left = (n - dk) % a.stride;
      if (left > 0) detail = left === 1 ? `the last ${sliceNames[0]} fits no window and is dropped` : `the last ${plural(left, sliceNames)} fit no window and are dropped`;
    }
    return { formula, detail };
  }
  const out = a.n.ceilDiv(a.stride);
  // As with `valid`: a symbolic size whose result is the formula again (`⌈h / 2⌉ = ⌈(h)/2⌉`) is not written twice.
  const ceilEquals = out.value === undefined && /[⌊⌈]/.test(out.toString()) ? '' : ` = ${result(out)}`;
  const formula = a.stride === 1 ? `${term(a.n)} kept` : `⌈${term(a.n)} / ${a.stride}⌉${ceilEquals}`;
  if (padding === 'causal') {
    const pad = a.dilation * (a.k - 1);
    const how = a.dilation > 1 ? `${a.dilation}·(${a.k} − 1) = ${pad}` : String(pad);
    return { formula, detail: pad > 0 ? `${how} zeros padded at the start only, so no step sees a later one` : '' };
  }
  const o = out.value;
  // At stride 1 the padding is the window's overhang whatever the size: dk − 1.
  const total = a.stride === 1 ? dk - 1 : n !== undefined && o !== undefined ? Math.max((o - 1) * a.stride + dk - n, 0) : 0;
  if (total === 0) return { formula, detail: '' };
  const before = Math.floor(total / 2);
  const after = total - before;
  const [first, last] = oneSided ? ['top', 'bottom'] : ['start', 'end'];
  const zeros = pooling ? '' : ' of zeros';
  const unit = oneSided ? (k: number) => `${k} ${k === 1 ? 'row' : 'rows'}${zeros}` : (k: number) => `${k} ${k === 1 ? (pooling ? 'step' : 'zero') : pooling ? 'steps' : 'zeros'}`;
  // PyTorch pads both sides alike: its `padding = p` is this only when TensorFlow's split is even.
  const where =
    before === after
      ? `pads ${unit(before)} on each side (as \`padding = ${before}\` does in PyTorch)`
      : before === 0
        ? `pads ${unit(after)} at the ${last} only (TensorFlow's rule: an odd amount of padding puts the extra at the ${last})`
        : `pads ${unit(before)} at the ${first} and ${after} at the ${last} (TensorFlow's rule: an odd amount of padding puts the extra at the ${last})`;
  // A pooling window over the border takes the max or mean of what it covers: nothing is added as zeros.
  return { formula, detail: pooling ? `${where.replace(/ \(as `padding = [^`]*` does in PyTorch\)/, '')}, which no window's max or mean counts` : where };
}

/**
 * The "Output size" line(s) of a windowed layer's hover: one line when every
 * spatial axis has the same arithmetic (a square image and window), else one
 * per axis. Empty when the input is not known or has no spatial axes.
 */
export function outputSizeNote(
  input: Shape | undefined,
  spatial: 1 | 2,
  window: { kernel: readonly number[]; stride: readonly number[]; dilation?: readonly number[]; padding: WindowPadding; pooling?: boolean },
): string[] {
  if (!input || input.dims.length !== spatial + 1) return [];
  const axes = AXES[spatial].map((axis, i) => ({
    axis,
    w: { n: input.dims[i], k: window.kernel[i], stride: window.stride[i], dilation: window.dilation?.[i] ?? 1 },
  }));
  if (axes.some(({ w }) => !(w.k >= 1) || !(w.stride >= 1) || !(w.dilation >= 1))) return [];
  const pad = `\`padding = ${paddingText(window.padding)}\``;
  const spanNote = (w: AxisWindow) => (w.dilation > 1 ? ` (window ${w.dilation}·(${w.k} − 1) + 1 = ${dilatedKernel(w.k, w.dilation)} wide)` : '');
  const same = (a: AxisWindow, b: AxisWindow) => a.n.toString() === b.n.toString() && a.k === b.k && a.stride === b.stride && a.dilation === b.dilation;
  if (spatial === 2 && same(axes[0].w, axes[1].w) && axisPadding(window.padding, 0) === axisPadding(window.padding, 1)) {
    const { formula, detail } = axisArithmetic(axes[0].w, axisPadding(window.padding, 0), ['row', 'rows'], true, window.pooling === true);
    // One sentence for both axes: "the last 1 row and column", "1 zero padded: 1 at the bottom and right only".
    const both = detail
      .replace('the last row fits no window and is dropped', 'the last row and column fit no window and are dropped')
      .replace(/the last (\d+) rows fit/, 'the last $1 rows and columns fit')
      // The padding sentence only: the dropping one has had its columns added above.
      .replace(/pads (\d+) (rows?)( of zeros)?/, (_m, k, r, z) => `pads ${k} ${r} and ${r === 'row' ? 'column' : 'columns'}${z ?? ''}`)
      .replace(/at the bottom( only)? \(/, 'at the bottom and right$1 (')
      .replace(/at the top and (\d+) at the bottom and right/, 'at the top and left and $1 at the bottom and right')
      .replace(/at the bottom\)/, 'at the bottom and right)');
    return [`Output size with ${pad} — height and width ${formula}${spanNote(axes[0].w)}${both ? `; ${both}` : ''}.`];
  }
  return axes.map(({ axis, w }, i) => {
    const { formula, detail } = axisArithmetic(w, axisPadding(window.padding, i), axis.slice, spatial === 2, window.pooling === true);
    const d = spatial === 2 && axis.name === 'width' ? detail.replace(/(\d+) rows?/, (r) => r.replace('row', 'column')).replace(/the top/g, 'the left').replace(/the bottom/g, 'the right').replace('last row', 'last column').replace(/last (\d+) rows/, 'last $1 columns') : detail;
    return `Output size with ${pad} — ${axis.name} ${formula}${spanNote(w)}${d ? `; ${d}` : ''}.`;
  });
}

/** The output-size line of `conv2d_transpose`: `h · stride`, plus `max(k − stride, 0)` with `valid`. */
export function transposeOutputSizeNote(input: Shape | undefined, kernel: readonly number[], stride: readonly number[], padding: 'valid' | 'same'): string[] {
  if (!input || input.dims.length !== 3) return [];
  const line = (i: number) => {
    const grown = input.dims[i].mul(stride[i]);
    if (padding === 'same') return `${term(input.dims[i])}·${stride[i]} = ${result(grown)}`;
    const extra = Math.max(kernel[i] - stride[i], 0);
    return `${term(input.dims[i])}·${stride[i]} + max(${kernel[i]} − ${stride[i]}, 0) = ${result(grown.add(extra))}`;
  };
  const pad = `\`padding = ${padding}\``;
  if (input.dims[0].toString() === input.dims[1].toString() && kernel[0] === kernel[1] && stride[0] === stride[1]) {
    // The up-convolution a student meant to double the size with: say what `same` gives instead.
    const tip = padding === 'valid' && kernel[0] > stride[0] ? ` (\`padding = same\` gives exactly ${result(input.dims[0].mul(stride[0]))})` : '';
    return [`Output size with ${pad} — height and width ${line(0)}${tip}.`];
  }
  return [`Output size with ${pad} — height ${line(0)}; width ${line(1)}.`];
}
