/**
 * Activation layers: elementwise non-linearities (and softmax over an axis).
 * Shapes pass through unchanged; no weights, no MACs.
 *
 * tfjs's softmax only normalises over the last axis, so `softmax(axis)` on
 * another axis uses a small custom layer.
 */
import { Sym, type Shape } from '../analysis/sym';
import {
  argInt,
  argNum,
  fmt,
  normAxis,
  oneTensor,
  perTf,
  tfjsActivation,
  type TfConfigDict,
  type TfKwargs,
  type TfLayer,
  type TfLayerArgs,
  type TfShape,
  type TfTensor,
} from './common';
import type { ArgSpec, LayerContext, LayerSpec, TfjsContext } from './types';

function sameShape(ctx: LayerContext): Shape {
  return { dims: ctx.inputs[0].dims };
}

function elementwise(
  name: string,
  summary: string,
  formula: string,
  notes: string[],
  tfjs: (ctx: TfjsContext) => TfLayer,
  args: ArgSpec[] = [],
): LayerSpec {
  return {
    name,
    category: 'activation',
    summary,
    doc: [
      `**${name}** — ${formula}, applied to every value on its own.`,
      '',
      ...notes,
      ...(notes.length ? [''] : []),
      '- shape unchanged: `[...]` → `[...]`',
      '- parameters: 0 · MACs: 0 (elementwise)',
      '',
      `Also usable as \`activation = ${name}\` on \`dense\` and the conv layers.`,
    ].join('\n'),
    args,
    inputRank: { min: 0 },
    outputShape: sameShape,
    weights: () => [],
    macs: () => Sym.ZERO,
    tfjs,
  };
}

function activationLayer(name: string) {
  return (ctx: TfjsContext) => ctx.tf.layers.activation({ name: ctx.name, activation: tfjsActivation(ctx.tf, name) });
}

export const relu = elementwise(
  'relu',
  'Rectified linear unit: max(x, 0).',
  '`relu(x) = max(x, 0)`: negative values become 0',
  ['The default choice in hidden layers of CNNs and MLPs.'],
  activationLayer('relu'),
);

export const relu6 = elementwise(
  'relu6',
  'ReLU capped at 6: min(max(x, 0), 6).',
  '`relu6(x) = min(max(x, 0), 6)`',
  ['Used in mobile networks (MobileNet), where the cap keeps values in a small range.'],
  activationLayer('relu6'),
);

export const leakyRelu = elementwise(
  'leaky_relu',
  'Leaky ReLU: x for x ≥ 0, alpha·x below (alpha = 0.2).',
  '`leaky_relu(x) = x` for `x ≥ 0`, `alpha · x` otherwise',
  ['A small slope for negative inputs keeps gradients flowing (common in GAN discriminators).'],
  (ctx) => ctx.tf.layers.leakyReLU({ name: ctx.name, alpha: argNum(ctx.args, 'alpha') }),
  [{ name: 'alpha', type: 'number', doc: 'Slope for negative inputs.', default: 0.2, min: 0 }],
);

export const elu = elementwise(
  'elu',
  'Exponential linear unit: x for x > 0, exp(x) − 1 below.',
  '`elu(x) = x` for `x > 0`, `exp(x) − 1` otherwise',
  ['Smooth below zero, saturating at −1.'],
  activationLayer('elu'),
);

export const gelu = elementwise(
  'gelu',
  'Gaussian error linear unit: x · Φ(x), as in BERT and GPT.',
  '`gelu(x) = x · Φ(x) = x · ½(1 + erf(x / √2))` (the exact form, as Keras)',
  ['The usual activation inside transformer feed-forward blocks.'],
  activationLayer('gelu'),
);

export const sigmoid = elementwise(
  'sigmoid',
  'Logistic sigmoid: 1 / (1 + exp(−x)), squashing to (0, 1).',
  '`sigmoid(x) = 1 / (1 + exp(−x))`, in (0, 1)',
  ['For a yes/no output, pair with `loss: binary_crossentropy`.'],
  activationLayer('sigmoid'),
);

export const tanh = elementwise(
  'tanh',
  'Hyperbolic tangent, squashing to (−1, 1).',
  '`tanh(x) = (exp(x) − exp(−x)) / (exp(x) + exp(−x))`, in (−1, 1)',
  ['The activation of the original LeNet-5.'],
  activationLayer('tanh'),
);

export const silu = elementwise(
  'silu',
  'Sigmoid linear unit (swish): x · sigmoid(x).',
  '`silu(x) = x · sigmoid(x)` (also called swish)',
  ['Smooth ReLU-like activation used in EfficientNet and many modern transformers.'],
  activationLayer('silu'),
);

export const hardSigmoid = elementwise(
  'hard_sigmoid',
  'Hard sigmoid: relu6(x + 3) / 6, a piecewise-linear sigmoid in [0, 1].',
  '`hard_sigmoid(x) = relu6(x + 3) / 6`: 0 below −3, 1 above 3, linear between (PyTorch\'s Hardsigmoid, Keras 3\'s hard_sigmoid)',
  ['The gate of MobileNetV3\'s squeeze-and-excitation blocks: cheaper than sigmoid on phones. (TensorFlow.js\'s own hardSigmoid is Keras 2\'s `clip(0.2·x + 0.5, 0, 1)`, a different curve.)'],
  activationLayer('hard_sigmoid'),
);

export const hardSwish = elementwise(
  'hard_swish',
  'Hard swish: x · relu6(x + 3) / 6, a piecewise approximation of silu.',
  '`hard_swish(x) = x · relu6(x + 3) / 6`: 0 below −3, x above 3 (PyTorch\'s Hardswish)',
  ['The activation of MobileNetV3 (Howard et al. 2019): silu\'s shape without an exponential.'],
  activationLayer('hard_swish'),
);

// ------------------------------------------------------------------ softmax

const softmaxClass = perTf((tf) => {
  /** Softmax over any one axis (tfjs's only handles the last). */
  class NnSoftmax extends tf.layers.Layer {
    static className = 'NnSoftmax';
    /** Axis in tfjs terms (batch is 0). */
    readonly axis: number;
    constructor(args: TfLayerArgs & { axis: number }) {
      super(args);
      this.axis = args.axis;
    }
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape | TfShape[] {
      return inputShape;
    }
    override call(inputs: TfTensor | TfTensor[], _kwargs: TfKwargs): TfTensor {
      return tf.tidy(() => {
        const x = oneTensor(inputs);
        return tf.exp(tf.sub(x, tf.logSumExp(x, this.axis, true)));
      });
    }
    override getConfig(): TfConfigDict {
      return { ...super.getConfig(), axis: this.axis };
    }
  }
  tf.serialization.registerClass(NnSoftmax);
  return NnSoftmax;
});

export const softmax: LayerSpec = {
  name: 'softmax',
  category: 'activation',
  summary: 'Softmax over an axis: exponentiates and normalises so the values sum to 1.',
  doc: [
    '**softmax(axis=-1)** — `softmax(x)ᵢ = exp(xᵢ) / Σⱼ exp(xⱼ)` along `axis`: turns scores (logits)',
    'into probabilities that are positive and sum to 1.',
    '',
    '- shape unchanged · parameters: 0 · MACs: 0',
    '- `axis` counts the example axes from 0 (the batch is not an axis); `-1` is the last',
    '',
    'Typically the last layer of a classifier, with `loss: crossentropy`.',
  ].join('\n'),
  args: [{ name: 'axis', type: 'int', doc: 'Axis to normalise over; `-1` is the last.', default: -1 }],
  inputRank: { min: 1 },
  outputShape(ctx) {
    const input = ctx.inputs[0];
    if (input.dims.length === 0) ctx.fail('shape.rank', `softmax needs at least one axis, got ${fmt(input)}`);
    normAxis(ctx, argInt(ctx.args, 'axis'), input, 'softmax');
    return sameShape(ctx);
  },
  weights: () => [],
  macs: () => Sym.ZERO,
  tfjs(ctx) {
    const rank = ctx.inputs[0].dims.length;
    const a = argInt(ctx.args, 'axis');
    const axis = a < 0 ? a + rank : a;
    if (axis === rank - 1) return ctx.tf.layers.softmax({ name: ctx.name, axis: -1 });
    return new (softmaxClass(ctx.tf))({ name: ctx.name, axis: axis + 1 });
  },
};

export const activationLayers: LayerSpec[] = [relu, relu6, leakyRelu, elu, gelu, sigmoid, tanh, silu, hardSigmoid, hardSwish, softmax];
