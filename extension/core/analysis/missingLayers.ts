/**
 * Layers people bring from Keras and PyTorch that the catalogue does not
 * have under that name (`DepthwiseConv2D`, `RepeatVector`, `ZeroPad2d`,
 * `AdaptiveAvgPool2d((7, 7))`, `LocalResponseNorm`): what to write here
 * instead, and the call that does it when the rewrite is mechanical.
 */
import type { Arg, Expr } from '../syntax/ast';

/** What the unknown-layer diagnostic says of such a name, and its fix. */
export interface MissingLayerHint {
  /** Follows "unknown layer or block 'NAME'": starts with ': '. */
  message: string;
  /** The text that replaces the call (its name, arguments and parentheses), when the rewrite is mechanical. */
  replacement?: string;
  /** The fix is what the call means (not merely the nearest layer). */
  preferred?: boolean;
}

/** A call's values as written: positional in order, named by name; `text` writes a value as in source. */
interface Given {
  positional: Expr[];
  named: Map<string, Expr>;
  text: (e: Expr) => string;
}

const DEPTHWISE = new Set(['depthwise_conv2d', 'depthwiseconv2d', 'depthwise_conv1d', 'depthwiseconv1d', 'depthwise_conv']);
const SEPARABLE = new Set(['separable_conv2d', 'separableconv2d', 'separable_conv1d', 'separableconv1d', 'separable_conv']);
const REPEAT_VECTOR = new Set(['repeat_vector', 'repeatvector']);
const LRN = new Set(['lrn', 'local_response_norm', 'localresponsenorm', 'local_response_normalization']);
const PADDING = new Set(['zero_padding2d', 'zeropadding2d', 'zeropad2d', 'zero_pad2d', 'zero_padding1d', 'zeropadding1d', 'zeropad1d', 'pad', 'constantpad2d']);
const ADAPTIVE: Readonly<Record<string, 'avg' | 'max'>> = {
  adaptiveavgpool2d: 'avg',
  adaptiveavgpool1d: 'avg',
  adaptive_avgpool: 'avg',
  adaptive_avg_pool: 'avg',
  adaptive_avg_pool1d: 'avg',
  adaptive_avg_pool2d: 'avg',
  adaptiveaveragepooling2d: 'avg',
  adaptiveaveragepooling1d: 'avg',
  adaptivemaxpool2d: 'max',
  adaptivemaxpool1d: 'max',
  adaptive_maxpool: 'max',
  adaptive_max_pool: 'max',
  adaptive_max_pool1d: 'max',
  adaptive_max_pool2d: 'max',
  adaptivemaxpooling2d: 'max',
  adaptivemaxpooling1d: 'max',
};

/**
 * The hint for a call of `name`, a layer of Keras or PyTorch that has no
 * layer of its name here, or undefined for any other name. `inputDims` is
 * the input's shape (a dimension undefined where it is not a number;
 * undefined where the input is not known).
 */
export function missingLayerHint(
  name: string,
  args: readonly Arg[],
  inputDims: readonly (number | undefined)[] | undefined,
  text: (e: Expr) => string,
): MissingLayerHint | undefined {
  const lower = name.toLowerCase();
  const given: Given = { positional: args.filter((a) => !a.name).map((a) => a.value), named: new Map(args.filter((a) => a.name).map((a) => [a.name!.name, a.value])), text };
  const channels = inputDims?.[inputDims.length - 1];
  if (DEPTHWISE.has(lower) || SEPARABLE.has(lower)) return separableHint(lower, given, channels);
  if (REPEAT_VECTOR.has(lower)) return repeatVectorHint(given, inputDims);
  if (LRN.has(lower)) {
    return {
      message:
        ": local response normalisation (AlexNet's, GoogLeNet's) is not in the catalogue; batch normalisation replaced it in later networks: `batchnorm` (each channel normalised over the batch, with a learnt scale and shift).",
      replacement: 'batchnorm',
      preferred: false,
    };
  }
  if (PADDING.has(lower)) {
    return {
      message:
        ": there is no padding layer: a convolution or pool pads its own input, `padding = p` on each side as PyTorch's padding does (`conv2d(64, 3, padding = 1)`: zeros; a max pool's padding never wins), or `padding = same` (as much as keeps the size at stride 1). Remove this layer and give the conv or pool after it its padding.",
    };
  }
  const adaptive = ADAPTIVE[lower];
  return adaptive ? adaptiveHint(adaptive, given, inputDims) : undefined;
}

/** The number a value is written as (`3`), or the numbers of a list of them (`[7, 7]`, `(7, 7)`). */
function ints(e: Expr | undefined): number[] | undefined {
  if (e === undefined) return undefined;
  if (e.kind === 'number') return e.isInt ? [e.value] : undefined;
  if (e.kind === 'list') {
    const out: number[] = [];
    for (const item of e.items) {
      if (item.kind !== 'number' || !item.isInt) return undefined;
      out.push(item.value);
    }
    return out;
  }
  return undefined;
}

/** A value as this language writes it: Keras's `padding = 'same'` is the word `same`. */
function word(e: Expr, text: (e: Expr) => string): string {
  return e.kind === 'string' ? e.value : text(e);
}

/**
 * Keras's DepthwiseConv2D(kernel, ...) and SeparableConv2D(filters, kernel,
 * ...): `conv2d(c, k, groups = c)`, then `-> conv2d(filters, 1)` for the
 * separable one. Rewritten when the input's channels are known and every
 * argument has a place in the rewrite.
 */
function separableHint(lower: string, given: Given, channels: number | undefined): MissingLayerHint {
  const separable = SEPARABLE.has(lower);
  const op = lower.includes('1d') ? 'conv1d' : 'conv2d';
  const c = channels === undefined ? 'c' : String(channels);
  const pos = [...given.positional];
  const filters = separable ? (given.named.get('filters') ?? pos.shift()) : undefined;
  const kernel = given.named.get('kernel_size') ?? given.named.get('kernel') ?? pos.shift();
  let multiplier = 1;
  let mechanical = channels !== undefined && kernel !== undefined && (!separable || filters !== undefined) && pos.length === 0;
  const extra: string[] = [];
  let after = '';
  const rename: Readonly<Record<string, string>> = {
    strides: 'stride',
    stride: 'stride',
    padding: 'padding',
    dilation_rate: 'dilation',
    dilation: 'dilation',
    activation: 'activation',
  };
  for (const [n, v] of given.named) {
    if (n === 'filters' || n === 'kernel_size' || n === 'kernel') continue;
    const m = n === 'depth_multiplier' ? ints(v) : undefined;
    if (m?.length === 1) multiplier = m[0];
    // Keras applies a separable convolution's activation after its 1-wide part.
    else if (n === 'activation' && separable) after = `, activation = ${word(v, given.text)}`;
    else if (rename[n]) extra.push(`${rename[n]} = ${word(v, given.text)}`);
    else mechanical = false;
  }
  const k = kernel === undefined ? 'k' : given.text(kernel);
  const out = channels === undefined ? (multiplier === 1 ? 'c' : `${multiplier} * c`) : String(channels * multiplier);
  // Keras's separable convolution has no bias in its depthwise part: the counts stay Keras's.
  const depthwise = `${op}(${out}, ${k}, ${[...extra, `groups = ${c}`, ...(separable ? ['bias = false'] : [])].join(', ')})`;
  const written = separable ? `${depthwise} -> ${op}(${filters === undefined ? 'filters' : given.text(filters)}, 1${after})` : depthwise;
  const of = channels === undefined ? ', c being the input\'s channels' : `, ${channels} being the input's channels`;
  const message = separable
    ? `: a separable convolution is a depthwise ${op} (one group per channel, each channel filtered on its own) followed by a 1-wide ${op} that mixes the channels: \`${written}\`${of}.`
    : `: a depthwise convolution is a ${op} with one group per channel (each channel filtered on its own): \`${written}\`${of}.`;
  return { message, replacement: mechanical ? written : undefined, preferred: true };
}

/**
 * Keras's RepeatVector(n): `[c]` → `[n, c]`, the vector once per step:
 * `reshape([1, -1]) -> upsample(n)` (a sequence of one step, each step
 * repeated n times).
 */
function repeatVectorHint(given: Given, inputDims: readonly (number | undefined)[] | undefined): MissingLayerHint {
  const n = given.named.get('n') ?? given.positional[0];
  const written = `reshape([1, -1]) -> upsample(${n === undefined ? 'n' : given.text(n)})`;
  const mechanical = n !== undefined && given.positional.length + given.named.size === 1 && (inputDims === undefined || inputDims.length === 1);
  return {
    message: `: Keras's RepeatVector(n) gives the vector once per step, [c] → [n, c]: \`${written}\` (a sequence of one step, each step repeated n times).`,
    replacement: mechanical ? written : undefined,
    preferred: true,
  };
}

/**
 * PyTorch's AdaptiveAvgPool2d(size): to 1 it is global pooling; to a larger
 * size it is a pool whose window and stride are the input's size over the
 * output's, where that divides (PyTorch's windows then do not overlap);
 * otherwise its windows differ in size, which no layer here does.
 * Undefined when no size is written (the layer's name alone is the mistake).
 */
function adaptiveHint(kind: 'avg' | 'max', given: Given, inputDims: readonly (number | undefined)[] | undefined): MissingLayerHint | undefined {
  const global = `global_${kind}pool`;
  const pool = `${kind}pool`;
  const sizeExpr = given.named.get('output_size') ?? given.positional[0];
  const size = ints(sizeExpr);
  // Written without a size (`AdaptiveAvgPool2d`): the name is all there is to change (suggestLayer's alias).
  if (sizeExpr === undefined && given.named.size === 0) return undefined;
  if (sizeExpr === undefined || (size !== undefined && size.every((s) => s === 1))) {
    return { message: `: pooling to size 1 is \`${global}\` (it also drops the positions' axes: [h, w, c] → [c]).`, replacement: global, preferred: true };
  }
  const spatial = inputDims && inputDims.length >= 2 ? inputDims.slice(0, -1) : undefined;
  const out = size && spatial ? (size.length === 1 ? spatial.map(() => size[0]) : size) : undefined;
  const general = `: pooling to a fixed size is \`${pool}\` with a window and stride of the input's size over that size, where it divides (PyTorch's adaptive windows then neither overlap nor differ); an output size that does not divide the input's, or an input of any size, has windows of differing sizes, which no layer here gives.`;
  if (!out || !spatial || out.length !== spatial.length || spatial.some((d) => d === undefined)) return { message: general };
  const dims = spatial as number[];
  if (dims.every((d, i) => d === out[i])) {
    return { message: `: the input is ${dims.join('×')} already, the size this pools to, so it changes nothing (as in ResNet on 224×224 images): remove it.` };
  }
  if (dims.some((d, i) => d % out[i] !== 0)) {
    return {
      message: `: pooling ${dims.join('×')} to ${out.join('×')} takes windows of differing sizes (the size does not divide), which no layer here gives: choose a size that divides the input's (or an input size it divides), which \`${pool}\` then gives, or pool to 1 with \`${global}\`.`,
    };
  }
  const windows = dims.map((d, i) => d / out[i]);
  const windowText = windows.every((w) => w === windows[0]) ? String(windows[0]) : `[${windows.join(', ')}]`;
  const written = `${pool}(${windowText})`;
  return {
    message: `: pooling ${dims.join('×')} to ${out.join('×')} is \`${written}\` (a window and stride of ${windows.join('×')}: PyTorch's adaptive windows here neither overlap nor differ).`,
    replacement: written,
    preferred: true,
  };
}

/** What the unknown-argument diagnostic adds for such an argument, and its fix. */
export interface MissingArgHint {
  /** Follows the message's first sentence: starts with a space. */
  message: string;
  /** The argument replaced by this text (`padding = same`), or removed when ''. */
  replacement?: string;
}

/** Whether a value is written `true` (`True`, as in Python), `false`, or neither. */
function truth(e: Expr): boolean | undefined {
  if (e.kind === 'bool') return e.value;
  if (e.kind === 'name' && (e.name === 'True' || e.name === 'False')) return e.name === 'True';
  return undefined;
}

/**
 * The hint for an argument of PyTorch or Keras that `layer` lacks and that
 * has another way here (`ceil_mode = True` on a pool: `padding = same`), or
 * none (an LSTM's `initial_state`), or undefined for any other argument.
 * `given` holds the call's other arguments as written, by name.
 */
export function missingArgHint(layer: string, name: string, value: Expr, given: ReadonlyMap<string, string>): MissingArgHint | undefined {
  const on = truth(value);
  if (name === 'ceil_mode' && (layer === 'maxpool' || layer === 'avgpool')) {
    const message =
      " PyTorch's ceil_mode = True rounds the output size up; here `padding = same` gives the rounded-up size, ⌈length / stride⌉: ceil_mode's size when the window is as wide as the stride (maxpool(2) on 7 gives 4); a wider window gives ⌈(length − size) / stride⌉ + 1 with ceil_mode (maxpool(3, stride = 2) on 7: 3 with ceil_mode, 4 with same).";
    if (on === false) return { message: `${message} ceil_mode = False is the default here (padding = valid).`, replacement: '' };
    const stride = given.get('stride');
    const size = given.get('size');
    const windowIsStride = stride === undefined || (size !== undefined && stride === size);
    return { message, replacement: on === true && !given.has('padding') && windowIsStride ? 'padding = same' : undefined };
  }
  if (layer === 'rnn' || layer === 'lstm' || layer === 'gru') {
    if (name === 'return_state') {
      return {
        message: ` Keras's return_state (the final states as more outputs) is not available: a layer here gives one output. Without return_sequences it is the last step's hidden state (Keras's state_h); with it, \`-> take(-1)\` picks the last step from the sequence.${layer === 'lstm' ? ' The cell state is not available.' : ''}`,
        replacement: '',
      };
    }
    if (name === 'initial_state') {
      return {
        message:
          " Keras's initial_state (PyTorch's (h0, c0)) is not available: a recurrent layer here starts each sequence from zeros. To condition a decoder on an encoder, let it attend to the encoder's outputs: `-> attention(heads, context = enc)` after it (cross-attention; the encoder with return_sequences = true).",
        replacement: '',
      };
    }
  }
  return undefined;
}
