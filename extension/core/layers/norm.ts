/**
 * Normalisation over the channel (last) axis: `batchnorm`, `layernorm`,
 * `groupnorm`. tfjs has no GroupNormalization; `NnGroupNorm` follows Keras's.
 */
import type { LayerVariable } from '@tensorflow/tfjs';
import { Sym, type Shape } from '../analysis/sym';
import {
  argInt,
  argNum,
  fmt,
  oneShape,
  oneTensor,
  perTf,
  type TfConfigDict,
  type TfKwargs,
  type TfLayer,
  type TfLayerArgs,
  type TfShape,
  type TfTensor,
} from './common';
import type { ArgSpec, LayerContext, LayerSpec, TfjsContext } from './types';

function channels(ctx: LayerContext): Sym {
  const d = ctx.inputs[0].dims;
  return d[d.length - 1];
}

function needChannels(ctx: LayerContext, name: 'batchnorm' | 'layernorm' | 'groupnorm'): Shape {
  const input = ctx.inputs[0];
  if (input.dims.length === 0) ctx.fail('shape.rank', `${name} expects at least one axis (the channels), got ${fmt(input)}`);
  const eps = argNum(ctx.args, 'epsilon');
  if (!(eps > 0)) ctx.fail('arg.range', `${name}: epsilon must be greater than 0, got ${eps}`, 'epsilon');
  if (Number.isInteger(eps) && eps >= 2) ctx.fail('arg.range', sizeAsEpsilon(ctx, name, eps, input), 'epsilon');
  return { dims: input.dims };
}

const EPSILON_DEFAULT = { batchnorm: 1e-3, layernorm: 1e-5, groupnorm: 1e-5 } as const;

/**
 * `layernorm(16)`, `groupnorm(4, 16)`: PyTorch's nn.LayerNorm(16) and
 * nn.GroupNorm(4, 16) take the channel count where this language, which reads
 * it from the input, takes epsilon. A whole number as epsilon is that mistake
 * (a layer with ε = 16 hardly normalises), said with the call to write.
 */
function sizeAsEpsilon(ctx: LayerContext, name: keyof typeof EPSILON_DEFAULT, eps: number, input: Shape): string {
  const d = EPSILON_DEFAULT[name];
  const def = d < 1e-3 ? d.toExponential() : String(d);
  const c = input.dims[input.dims.length - 1].toString();
  const torch =
    name === 'layernorm'
      ? `nn.LayerNorm(${eps}) is \`layernorm\``
      : name === 'groupnorm'
        ? `nn.GroupNorm(${ctx.args.groups}, ${eps}) is \`groupnorm(${ctx.args.groups})\``
        : `nn.BatchNorm${input.dims.length >= 3 ? '2d' : '1d'}(${eps}) is \`batchnorm\``;
  return (
    `${name}: epsilon = ${eps} is the small constant added to the variance (${def} by default), ` +
    `not a size, and so large a value would hardly normalise anything. ${name} takes its size from its input (${channelsText(input)}), ` +
    `so PyTorch's ${torch} here${c === String(eps) ? '' : ` (the input has ${c}, not ${eps})`}; leave epsilon out, or give a small one (epsilon = ${def}).`
  );
}

function epsilonArg(def: number): ArgSpec {
  return { name: 'epsilon', type: 'number', doc: 'Small constant added to the variance to avoid dividing by zero.', default: def, min: 0 };
}

/**
 * tfjs's BatchNormalization for inputs of rank 5 or more (with the batch),
 * which tfjs's `batchNorm` kernel refuses ("not implemented for array of
 * rank 5"). Keras normalises any rank over the last axis: the call folds
 * the positions into one axis, `[b, d, h, w, c]` → `[b, d·h·w, c]` (the same
 * values per channel, so the same batch statistics and moving averages), and
 * unfolds the result. Weights, names and moving averages are tfjs's own.
 */
const highRankBatchNormClass = perTf((tf) => {
  type BatchNormLayer = ReturnType<Tf['layers']['batchNormalization']>;
  const Base = Object.getPrototypeOf(tf.layers.batchNormalization({})).constructor as new (
    args: Parameters<Tf['layers']['batchNormalization']>[0],
  ) => BatchNormLayer;
  class NnBatchNorm extends Base {
    static className = 'NnBatchNorm';
    override call(inputs: TfTensor | TfTensor[], kwargs: TfKwargs): TfTensor {
      const x = oneTensor(inputs);
      const shape = x.shape;
      if (shape.length <= 4) return super.call(x, kwargs) as TfTensor;
      return tf.tidy(() => tf.reshape(super.call(tf.reshape(x, [shape[0], -1, shape[shape.length - 1]]), kwargs) as TfTensor, shape));
    }
  }
  // The static `fromConfig` is BatchNormalization's, inherited; the cast above hides it from the type.
  tf.serialization.registerClass(NnBatchNorm as unknown as Parameters<Tf['serialization']['registerClass']>[0]);
  return NnBatchNorm;
});

export const batchnorm: LayerSpec = {
  name: 'batchnorm',
  category: 'norm',
  summary: 'Batch normalisation: normalises each channel with batch statistics, then scales and shifts.',
  doc: [
    '**batchnorm(momentum=0.99, epsilon=1e-3)** — for each channel `c`:',
    '`y = γ · (x − μ) / √(σ² + ε) + β`.',
    'In training, `μ` and `σ²` are the mean and variance of the channel over the batch (and all',
    'positions), and the moving averages are updated with `momentum`; at inference the moving',
    'averages are used instead.',
    '',
    '- shape unchanged: `[..., C]` → `[..., C]`',
    '- parameters: `2·C` trainable (`gamma`, `beta`) + `2·C` non-trainable (`moving_mean`, `moving_variance`)',
    '- MACs: 0 (elementwise)',
    '',
    'Example: on `[28, 28, 32]`: 64 trainable and 64 non-trainable parameters.',
  ].join('\n'),
  args: [
    {
      name: 'momentum',
      type: 'number',
      doc: 'How slowly the moving mean and variance follow the batches (0..1).',
      default: 0.99,
      min: 0,
      max: 1,
    },
    epsilonArg(1e-3),
  ],
  inputRank: { min: 1 },
  notes(_args, inputs) {
    const s = inputs?.[0];
    if (!s || s.dims.length === 0) return [];
    const p = positionsText(s);
    return [
      `Normalises each of the ${channelsText(s)} over the batch${p ? ` and its ${p} positions` : ''}: one mean and variance per channel, shared by every position and example of the batch (their moving averages at inference).`,
    ];
  },
  outputShape: (ctx) => needChannels(ctx, 'batchnorm'),
  weights(ctx) {
    const c = channels(ctx);
    return [
      { name: 'gamma', shape: [c], trainable: true },
      { name: 'beta', shape: [c], trainable: true },
      { name: 'moving_mean', shape: [c], trainable: false },
      { name: 'moving_variance', shape: [c], trainable: false },
    ];
  },
  macs: () => Sym.ZERO,
  tfjs(ctx) {
    const config = { name: ctx.name, axis: -1, momentum: argNum(ctx.args, 'momentum'), epsilon: argNum(ctx.args, 'epsilon') };
    // tfjs's batchNorm kernel takes at most rank 4 with the batch: [d, h, w, c] needs the flattening wrapper.
    if (ctx.inputs[0].dims.length >= 4) return new (highRankBatchNormClass(ctx.tf))(config);
    return ctx.tf.layers.batchNormalization(config);
  },
};

export const layernorm: LayerSpec = {
  name: 'layernorm',
  category: 'norm',
  summary: 'Layer normalisation: normalises the last axis of each position, then scales and shifts.',
  doc: [
    '**layernorm(epsilon=1e-5)** — at every position, normalises the `C` values of the last axis to',
    'mean 0 and variance 1, then applies a learned per-channel scale and shift:',
    '`y = γ · (x − mean) / √(var + ε) + β`. Independent of the batch: the same in training and',
    'inference. The normalisation of transformers.',
    '',
    '- shape unchanged: `[..., C]` → `[..., C]`',
    '- parameters: `2·C` (`gamma`, `beta`)',
    '- MACs: 0 (elementwise)',
    '',
    'Example: on `[seq, 768]`: 1,536 parameters.',
  ].join('\n'),
  args: [epsilonArg(1e-5)],
  inputRank: { min: 1 },
  notes(_args, inputs) {
    const s = inputs?.[0];
    if (!s || s.dims.length === 0) return [];
    const p = positionsText(s);
    return [
      p
        ? `Normalises each of the ${p} positions of each example on its own, over its ${channelsText(s)}: one mean and variance per position, whatever the batch.`
        : `Normalises each example on its own, over its ${channelsText(s)}: one mean and variance per example, whatever the batch.`,
    ];
  },
  outputShape: (ctx) => needChannels(ctx, 'layernorm'),
  weights(ctx) {
    const c = channels(ctx);
    return [
      { name: 'gamma', shape: [c], trainable: true },
      { name: 'beta', shape: [c], trainable: true },
    ];
  },
  macs: () => Sym.ZERO,
  tfjs(ctx) {
    return withFusedLayerNorm(ctx.tf, ctx.tf.layers.layerNormalization({ name: ctx.name, axis: -1, epsilon: argNum(ctx.args, 'epsilon') }));
  },
};

/** The fields of tfjs-layers' LayerNormalization its `call` reads (private in the typings). */
interface LayerNormInternals {
  gamma: LayerVariable | null;
  beta: LayerVariable | null;
  epsilon: number;
}

type Tf = TfjsContext['tf'];

/**
 * `y = γ · (x − mean) / √(var + ε) + β` over the last axis as one custom op
 * with its own gradient. tfjs-layers' LayerNormalization tiles mean,
 * variance, γ and β to the input's shape (four `Tile` kernels per call,
 * ~20 ms each on wasm at batch 16 × 64 tokens × 128, 40 % of a GPTSmall
 * training step) and differentiates through the tiles. Broadcasting needs
 * no tiles, and the closed-form gradient
 * `dx = (g − mean(g) − x̂ · mean(g · x̂)) / √(var + ε)` with `g = dy · γ`
 * replaces the chain of broadcast gradients.
 */
export function layerNormOp(tf: Tf, x: TfTensor, gamma: TfTensor, beta: TfTensor, epsilon: number): TfTensor {
  const op = tf.customGrad((...args: unknown[]) => {
    const [xi, g, b] = args as TfTensor[];
    const save = args[3] as (ts: TfTensor[]) => void;
    const mean = tf.mean(xi, -1, true);
    const xc = tf.sub(xi, mean);
    const inv = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), epsilon));
    const xhat = tf.mul(xc, inv);
    save([xhat, inv, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: (dy: TfTensor, saved: TfTensor[]) => {
        const [xh, iv, gm] = saved;
        const outer = dy.shape.slice(0, -1).map((_, i) => i);
        const gy = tf.mul(dy, gm);
        const dx = tf.mul(iv, tf.sub(tf.sub(gy, tf.mean(gy, -1, true)), tf.mul(xh, tf.mean(tf.mul(gy, xh), -1, true))));
        return [dx, tf.sum(tf.mul(dy, xh), outer), tf.sum(dy, outer)];
      },
    };
  });
  return (op as unknown as (...t: TfTensor[]) => TfTensor)(x, gamma, beta);
}

/** Routes a tfjs-layers LayerNormalization (last axis, with γ and β) through `layerNormOp` (not on webgl); weights and config unchanged. */
function withFusedLayerNorm(tf: Tf, layer: TfLayer): TfLayer {
  const stock = layer.call.bind(layer);
  const self = layer as unknown as LayerNormInternals;
  layer.call = (inputs: TfTensor | TfTensor[], kwargs: TfKwargs): TfTensor | TfTensor[] => {
    const x = oneTensor(inputs);
    // On webgl a tile is one cheap shader and the stock layer measured as fast as this op (GPTSmall
    // forward, 97–113 ms either way on SwiftShader): keep tfjs's own there.
    if (!self.gamma || !self.beta || x.dtype !== 'float32' || tf.getBackend() === 'webgl') return stock(inputs, kwargs);
    return tf.tidy(() => layerNormOp(tf, x, self.gamma!.read(), self.beta!.read(), self.epsilon));
  };
  return layer;
}

// ------------------------------------------------------------------ groupnorm

interface GroupNormConfig {
  groups: number;
  epsilon: number;
}

const groupNormClass = perTf((tf) => {
  /** Keras GroupNormalization on the last axis, with per-channel gamma and beta. */
  class NnGroupNorm extends tf.layers.Layer {
    static className = 'NnGroupNorm';
    readonly groups: number;
    readonly epsilon: number;
    private gamma?: LayerVariable;
    private beta?: LayerVariable;
    constructor(args: TfLayerArgs & GroupNormConfig) {
      super(args);
      this.groups = args.groups;
      this.epsilon = args.epsilon;
    }
    override build(inputShape: TfShape | TfShape[]): void {
      const s = oneShape(inputShape);
      const c = s[s.length - 1];
      if (c === null) throw new Error(`${this.name}: the channel count must be known`);
      this.gamma = this.addWeight('gamma', [c], 'float32', tf.initializers.ones());
      this.beta = this.addWeight('beta', [c], 'float32', tf.initializers.zeros());
      this.built = true;
    }
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape | TfShape[] {
      return inputShape;
    }
    override call(inputs: TfTensor | TfTensor[], _kwargs: TfKwargs): TfTensor {
      return tf.tidy(() => {
        const x = oneTensor(inputs);
        const shape = x.shape;
        const c = shape[shape.length - 1];
        // [b, ..., C] -> [b, ..., G, C/G]; statistics over everything but batch and group.
        const grouped = tf.reshape(x, [...shape.slice(0, -1), this.groups, c / this.groups]);
        const r = grouped.rank;
        const axes = [...Array(r).keys()].filter((i) => i !== 0 && i !== r - 2);
        const { mean, variance } = tf.moments(grouped, axes, true);
        const normed = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
        const y = tf.reshape(normed, shape);
        return tf.add(tf.mul(y, this.gamma!.read()), this.beta!.read());
      });
    }
    override getConfig(): TfConfigDict {
      return { ...super.getConfig(), groups: this.groups, epsilon: this.epsilon };
    }
  }
  tf.serialization.registerClass(NnGroupNorm);
  return NnGroupNorm;
});

export const groupnorm: LayerSpec = {
  name: 'groupnorm',
  category: 'norm',
  summary: 'Group normalisation: normalises groups of channels per example, then scales and shifts.',
  doc: [
    '**groupnorm(groups, epsilon=1e-5)** — splits the `C` channels into `groups` groups of `C/groups`',
    'and normalises each group of each example over all its positions and channels, then applies a',
    'learned per-channel scale `γ` and shift `β`. Independent of the batch size, so it works with',
    'small batches where `batchnorm` is noisy. `groups = 1` normalises over everything like',
    '`layernorm` of a whole image; `groups = C` is instance normalisation.',
    '',
    '- shape unchanged: `[..., C]` → `[..., C]`; `groups` must divide `C`',
    '- parameters: `2·C` (`gamma`, `beta`)',
    '- MACs: 0 (elementwise)',
  ].join('\n'),
  args: [
    { name: 'groups', type: 'int', doc: 'Number of channel groups; must divide the channel count.', min: 1 },
    epsilonArg(1e-5),
  ],
  inputRank: { min: 1 },
  notes(args, inputs) {
    const s = inputs?.[0];
    const g = args.groups;
    if (!s || s.dims.length === 0 || typeof g !== 'number' || !Number.isSafeInteger(g) || g < 1) return [];
    const per = s.dims[s.dims.length - 1].divExact(g);
    if (per === undefined) return [];
    const p = positionsText(s);
    return [
      `Normalises each example's ${g} group${g === 1 ? '' : 's'} of ${per.toString()} channel${per.value === 1 ? '' : 's'} on its own, over ${p ? `its ${p} positions and ` : ''}those channels: one mean and variance per group and example, whatever the batch.`,
    ];
  },
  outputShape(ctx) {
    const out = needChannels(ctx, 'groupnorm');
    const g = argInt(ctx.args, 'groups');
    const c = channels(ctx);
    if (g < 1) ctx.fail('arg.range', `groupnorm: groups must be at least 1, got ${g}`, 'groups');
    const cv = c.value;
    if (cv === undefined) {
      if (g !== 1 && c.divExact(g) === undefined) {
        ctx.fail('arg.range', `groupnorm: groups=${g} must divide the channel count ${c.toString()}`, 'groups');
      }
    } else if (cv % g !== 0) {
      ctx.fail('arg.range', `groupnorm: groups=${g} must divide the ${cv} channels; try ${divisorNear(cv, g)}`, 'groups');
    }
    return out;
  },
  weights(ctx) {
    const c = channels(ctx);
    return [
      { name: 'gamma', shape: [c], trainable: true },
      { name: 'beta', shape: [c], trainable: true },
    ];
  },
  macs: () => Sym.ZERO,
  tfjs(ctx) {
    return new (groupNormClass(ctx.tf))({
      name: ctx.name,
      groups: argInt(ctx.args, 'groups'),
      epsilon: argNum(ctx.args, 'epsilon'),
    });
  },
};

/** The positions of a `[..., C]` input as written (`15 × 15`, `seq`); undefined for `[C]`. */
function positionsText(s: Shape): string | undefined {
  const pos = s.dims.slice(0, -1);
  return pos.length > 0 ? pos.map((d) => d.toString()).join(' × ') : undefined;
}

/** `8 channels` of an image, `768 features` of a sequence or a vector. */
function channelsText(s: Shape): string {
  const c = s.dims[s.dims.length - 1];
  const word = s.dims.length >= 3 ? 'channel' : 'feature';
  return `${c.toString()} ${word}${c.value === 1 ? '' : 's'}`;
}

/** The divisor of `n` closest to `g` (for the hint). */
function divisorNear(n: number, g: number): number {
  let best = 1;
  for (let d = 1; d * d <= n; d++) {
    if (n % d !== 0) continue;
    for (const c of [d, n / d]) if (Math.abs(c - g) < Math.abs(best - g)) best = c;
  }
  return best;
}

const layerScaleClass = perTf((tf) => {
  /** A learned factor per channel (the last axis), initialised to `init`: CaiT's and ConvNeXt's LayerScale. */
  class NnLayerScale extends tf.layers.Layer {
    static className = 'NnLayerScale';
    readonly init: number;
    private gamma?: LayerVariable;
    constructor(args: TfLayerArgs & { init: number }) {
      super(args);
      this.init = args.init;
    }
    override build(inputShape: TfShape | TfShape[]): void {
      const s = oneShape(inputShape);
      const c = s[s.length - 1];
      if (c === null) throw new Error(`${this.name}: the channel count must be known`);
      this.gamma = this.addWeight('gamma', [c], 'float32', tf.initializers.constant({ value: this.init }));
      this.built = true;
    }
    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape | TfShape[] {
      return inputShape;
    }
    override call(inputs: TfTensor | TfTensor[], _kwargs: TfKwargs): TfTensor {
      return tf.tidy(() => tf.mul(oneTensor(inputs), this.gamma!.read()));
    }
    override getConfig(): TfConfigDict {
      return { ...super.getConfig(), init: this.init };
    }
  }
  tf.serialization.registerClass(NnLayerScale);
  return NnLayerScale;
});

export const layerScale: LayerSpec = {
  name: 'layer_scale',
  category: 'norm',
  summary: 'A learned factor per channel, starting small: a residual branch that begins almost silent (CaiT, ConvNeXt).',
  doc: [
    '**layer_scale(init = 1e-6)** — multiplies each channel `c` of the last axis by a learned factor',
    '`γ_c`, initialised to `init` (Touvron et al. 2021, "Going deeper with Image Transformers" (CaiT);',
    'ConvNeXt). At the end of a residual branch, `x + x -> block -> layer_scale(1e-6)`, each block',
    'starts close to the identity and learns how much to add, which keeps deep stacks trainable.',
    '',
    '- shape unchanged: `[..., C]` → `[..., C]`',
    '- parameters: `C` (`gamma`)',
    '- MACs: 0 (elementwise)',
  ].join('\n'),
  args: [{ name: 'init', type: 'number', doc: 'The factors\' starting value (CaiT: 0.1 to 1e-6 with depth; ConvNeXt: 1e-6).', default: 1e-6 }],
  inputRank: { min: 1 },
  outputShape(ctx) {
    const input = ctx.inputs[0];
    if (input.dims.length === 0) ctx.fail('shape.rank', `layer_scale expects at least one axis (the channels), got ${fmt(input)}`);
    const init = argNum(ctx.args, 'init');
    if (!Number.isFinite(init)) ctx.fail('arg.range', `layer_scale: init must be a finite number, got ${init}`, 'init');
    return { dims: input.dims };
  },
  weights: (ctx) => [{ name: 'gamma', shape: [channels(ctx)], trainable: true }],
  macs: () => Sym.ZERO,
  tfjs(ctx) {
    return new (layerScaleClass(ctx.tf))({ name: ctx.name, init: argNum(ctx.args, 'init') });
  },
};

export const normLayers: LayerSpec[] = [batchnorm, layernorm, groupnorm, layerScale];
