/**
 * Token and position layers: `embedding`, `unembed`, `positional`,
 * `sinusoidal`, `cls_token`.
 *
 * The four layers tfjs lacks (`unembed`, `positional`, `sinusoidal`,
 * `cls_token`) are custom `tf.layers.Layer` subclasses. Layer files may not
 * import tfjs at run time, so the classes are made by a factory from the `tf`
 * module the runtime passes in, once per module, and registered for
 * serialisation.
 */
import type { LayerVariable, Shape as TfShape, Tensor } from '@tensorflow/tfjs';
import { Sym, product, shapeToString, type Shape } from '../analysis/sym';
import { plainMatMul } from './attention';
import type { ArgValue, LayerContext, LayerRef, LayerSpec, Tf, TfjsContext, WeightSpec } from './types';

/** Largest sequence a sinusoidal encoding accepts when `maxlen` is not given. */
export const SINUSOIDAL_DEFAULT_MAXLEN = 2048;

type LayerArgs = NonNullable<ConstructorParameters<Tf['layers']['Layer']>[0]>;
type Kwargs = Record<string, unknown>;
type TfLayer = InstanceType<Tf['layers']['Layer']>;
type UnembedArgs = LayerArgs & { embeddingLayer: TfLayer; vocab: number; useBias: boolean };
type PositionalArgs = LayerArgs & { kind: 'sinusoidal' | 'learned'; maxlen: number; seed: number };
type SinusoidalArgs = LayerArgs & { dim: number; maxPeriod: number };

/** `max_period` of `sinusoidal` when not given: the 10 000 of the Transformer and DDPM. */
export const SINUSOIDAL_MAX_PERIOD = 10000;

function int(v: ArgValue | undefined): number {
  return v as number;
}

function isLayerRef(v: ArgValue | undefined): v is LayerRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && v.kind === 'layerRef';
}

function requirePositive(ctx: LayerContext, arg: string): number {
  const v = int(ctx.args[arg]);
  if (!Number.isInteger(v) || v < 1) ctx.fail('arg.range', `${arg} must be a positive integer, got ${v}`, arg);
  return v;
}

function single(inputShape: TfShape | TfShape[]): TfShape {
  return Array.isArray(inputShape[0]) ? (inputShape as TfShape[])[0] : (inputShape as TfShape);
}

function one(inputs: Tensor | Tensor[]): Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

// ------------------------------------------------------------------ embedding

export const embedding: LayerSpec = {
  name: 'embedding',
  category: 'embedding',
  summary: 'Looks up a learned vector of length `dim` for each integer token id.',
  doc: [
    '**embedding(vocab, dim)** — a table of `vocab` learned vectors, each of length `dim`.',
    '',
    'Each integer token id `t` in the input (0 ≤ t < vocab) is replaced by row `t` of the table:',
    'the input `int[...]` gets one more axis of size `dim`.',
    '',
    '- input: `int[seq]` (any rank ≥ 1 of token ids)',
    '- output: `[seq, dim]`',
    '- parameters: `vocab · dim` (the table, weight `embeddings`)',
    '- MACs: 0 (a lookup, no arithmetic)',
    '',
    'Bind it to a name (`wte = embedding(50257, 768)`) to reuse the same table for the output',
    'projection with `unembed(wte)` (weight tying).',
  ].join('\n'),
  args: [
    { name: 'vocab', type: 'int', doc: 'Number of distinct token ids (the table has this many rows).', min: 1 },
    { name: 'dim', type: 'int', doc: 'Length of each embedding vector.', min: 1 },
  ],
  inputKind: 'int',
  inputRank: { min: 1 },
  outputShape(ctx) {
    const x = ctx.inputs[0];
    if (!x.isInt) {
      ctx.fail(
        'shape.not_int',
        `embedding takes integer token ids (an input declared as int[...]), got float values ${shapeToString(x)}`,
      );
    }
    requirePositive(ctx, 'vocab');
    const dim = requirePositive(ctx, 'dim');
    return { dims: [...x.dims, Sym.of(dim)] };
  },
  weights(ctx) {
    return [{ name: 'embeddings', shape: [Sym.of(int(ctx.args.vocab)), Sym.of(int(ctx.args.dim))], trainable: true }];
  },
  macs() {
    return Sym.ZERO;
  },
  tfjs(ctx) {
    const { tf } = ctx;
    return tf.layers.embedding({
      name: ctx.name,
      inputDim: int(ctx.args.vocab),
      outputDim: int(ctx.args.dim),
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: ctx.seed }),
    });
  },
};

// ------------------------------------------------------------------ custom tfjs layers

/** The tfjs layer built for `unembed`: logits = x · Eᵀ (+ bias), E the tied embedding table. */
export interface UnembedLayer extends TfLayer {
  /** The embedding layer whose table is used. */
  readonly embeddingLayer: TfLayer;
}

interface TokenClasses {
  Unembed: new (args: UnembedArgs) => UnembedLayer;
  Positional: new (args: PositionalArgs) => TfLayer;
  Sinusoidal: new (args: SinusoidalArgs) => TfLayer;
  ClsToken: new (args: LayerArgs) => TfLayer;
}

const classCache = new WeakMap<Tf, TokenClasses>();

/**
 * The custom layer classes for one `tf` module, made once and registered with
 * `tf.serialization.registerClass` (except `Unembed`, whose link to another
 * layer object cannot be restored from a config: models are rebuilt from the
 * graph IR, never from a saved topology).
 */
export function tokenLayerClasses(tf: Tf): TokenClasses {
  const cached = classCache.get(tf);
  if (cached) return cached;

  const matMul = plainMatMul(tf);

  class Unembed extends tf.layers.Layer implements UnembedLayer {
    static className = 'NnmodelUnembed';
    readonly embeddingLayer: TfLayer;
    private readonly vocab: number;
    private readonly useBias: boolean;
    private bias: LayerVariable | null = null;

    constructor(args: UnembedArgs) {
      super(args);
      this.embeddingLayer = args.embeddingLayer;
      this.vocab = args.vocab;
      this.useBias = args.useBias;
    }

    override build(inputShape: TfShape | TfShape[]): void {
      void inputShape;
      // Only reached when the embedding was never applied before its tied output
      // projection; its table must exist before it can be read.
      if (!this.embeddingLayer.built) this.embeddingLayer.build([null, null]);
      if (this.useBias) this.bias = this.addWeight('bias', [this.vocab], 'float32', tf.initializers.zeros(), undefined, true);
      this.built = true;
    }

    private table(): Tensor {
      const w = this.embeddingLayer.weights.find((v) => /(^|\/)embeddings$/.test(v.originalName)) ?? this.embeddingLayer.weights[0];
      return w.read();
    }

    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape {
      const s = single(inputShape);
      return [...s.slice(0, -1), this.vocab];
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
      void kwargs;
      return tf.tidy(() => {
        const x = one(inputs);
        const d = x.shape[x.shape.length - 1];
        const table = this.table();
        // An explicit transpose: matMul's transposeB is slow on the wasm backend.
        const et = tf.transpose(table);
        let y = matMul(tf.reshape(x, [-1, d]), et);
        if (this.bias) y = tf.add(y, this.bias.read());
        return tf.reshape(y, [...x.shape.slice(0, -1), this.vocab]);
      });
    }

    override getConfig() {
      return { ...super.getConfig(), vocab: this.vocab, useBias: this.useBias };
    }
  }

  class Positional extends tf.layers.Layer {
    static className = 'NnmodelPositional';
    private readonly kind: 'sinusoidal' | 'learned';
    private readonly maxlen: number;
    private readonly seed: number;
    private table: LayerVariable | null = null;

    constructor(args: PositionalArgs) {
      super(args);
      this.kind = args.kind;
      this.maxlen = args.maxlen;
      this.seed = args.seed;
    }

    override build(inputShape: TfShape | TfShape[]): void {
      const s = single(inputShape);
      const d = s[s.length - 1];
      if (this.kind === 'learned') {
        if (d == null) throw new Error('positional(learned) needs a known feature size');
        this.table = this.addWeight(
          'embeddings',
          [this.maxlen, d],
          'float32',
          tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: this.seed }),
          undefined,
          true,
        );
      }
      this.built = true;
    }

    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape {
      return single(inputShape);
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
      void kwargs;
      return tf.tidy(() => {
        const x = one(inputs);
        const seq = x.shape[x.shape.length - 2];
        const d = x.shape[x.shape.length - 1];
        if (seq > this.maxlen) {
          throw new Error(`positional: sequence length ${seq} is longer than maxlen ${this.maxlen}`);
        }
        const pe =
          this.table !== null ? tf.slice(this.table.read(), [0, 0], [seq, d]) : sinusoidalTable(tf, seq, d);
        return tf.add(x, pe);
      });
    }

    override getConfig() {
      return { ...super.getConfig(), kind: this.kind, maxlen: this.maxlen, seed: this.seed };
    }
  }

  class Sinusoidal extends tf.layers.Layer {
    static className = 'NnmodelSinusoidal';
    private readonly dim: number;
    private readonly maxPeriod: number;

    constructor(args: SinusoidalArgs) {
      super(args);
      this.dim = args.dim;
      this.maxPeriod = args.maxPeriod;
    }

    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape {
      const s = single(inputShape);
      return [...s.slice(0, -1), this.dim];
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
      void kwargs;
      return tf.tidy(() => {
        // A step arrives as int32 (`t: int[1]`): it is a value here, not a token id.
        const x = tf.cast(one(inputs), 'float32');
        const freq = sinusoidalFrequencies(this.dim, this.maxPeriod);
        // [..., 1] · [dim/2] broadcasts to [..., dim/2]: every value times every frequency.
        const angle = tf.mul(x, tf.tensor1d(freq));
        // sin and cos of the same angles, not sin(angle + π/2): adding π/2 to a
        // large float32 angle (t up to 1000) would round it and move the cosines.
        return tf.concat([tf.sin(angle), tf.cos(angle)], -1);
      });
    }

    override getConfig() {
      return { ...super.getConfig(), dim: this.dim, maxPeriod: this.maxPeriod };
    }
  }

  class ClsToken extends tf.layers.Layer {
    static className = 'NnmodelClsToken';
    private token: LayerVariable | null = null;

    override build(inputShape: TfShape | TfShape[]): void {
      const s = single(inputShape);
      const d = s[s.length - 1];
      if (d == null) throw new Error('cls_token needs a known feature size');
      this.token = this.addWeight('token', [d], 'float32', tf.initializers.zeros(), undefined, true);
      this.built = true;
    }

    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape {
      const s = single(inputShape);
      const seq = s[s.length - 2];
      return [...s.slice(0, -2), seq == null ? null : seq + 1, s[s.length - 1]];
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
      void kwargs;
      return tf.tidy(() => {
        const x = one(inputs);
        const [batch, , d] = x.shape;
        const tok = tf.broadcastTo(tf.reshape(this.token!.read(), [1, 1, d]), [batch, 1, d]);
        return tf.concat([tok, x], 1);
      });
    }
  }

  tf.serialization.registerClass(Positional);
  tf.serialization.registerClass(Sinusoidal);
  tf.serialization.registerClass(ClsToken);
  const classes: TokenClasses = { Unembed, Positional, Sinusoidal, ClsToken };
  classCache.set(tf, classes);
  return classes;
}

/**
 * The sinusoidal encoding of "Attention Is All You Need", `[seq, d]`:
 * PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)).
 * Computed as sin(p·ω_j + φ_j) with φ_j = π/2 on odd columns (cos x = sin(x + π/2)).
 */
export function sinusoidalTable(tf: Tf, seq: number, d: number): Tensor {
  const freq = new Float32Array(d);
  const phase = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    freq[j] = Math.pow(10000, -(2 * Math.floor(j / 2)) / d);
    phase[j] = j % 2 === 0 ? 0 : Math.PI / 2;
  }
  return tf.tidy(() => {
    const pos = tf.reshape(tf.range(0, seq, 1, 'float32'), [seq, 1]);
    return tf.sin(tf.add(tf.mul(pos, tf.tensor2d(freq, [1, d])), tf.tensor2d(phase, [1, d])));
  });
}

/**
 * The frequencies of `sinusoidal(dim, max_period)`, float32:
 * ω_i = max_period^(−i/h) for i = 0 … h − 1, h = dim/2, from 1 down to
 * max_period^(−(h−1)/h). Computed in doubles and rounded once, as the PyTorch
 * export does, so both runtimes multiply by the same numbers.
 */
export function sinusoidalFrequencies(dim: number, maxPeriod: number): Float32Array {
  const half = Math.floor(dim / 2);
  const freq = new Float32Array(half);
  for (let i = 0; i < half; i++) freq[i] = Math.pow(maxPeriod, -i / half);
  return freq;
}

// ------------------------------------------------------------------ unembed

function embeddingRef(ctx: { args: Readonly<Record<string, ArgValue>>; fail?: LayerContext['fail'] }): LayerRef {
  const ref = ctx.args.embedding;
  if (!isLayerRef(ref) || ref.layer !== 'embedding') {
    const what = isLayerRef(ref) ? `${ref.name} is a ${ref.layer} layer` : 'no layer object was given';
    const message = `unembed needs an embedding layer object (e.g. wte = embedding(50257, 768) … unembed(wte)); ${what}`;
    if (ctx.fail) ctx.fail('arg.type', message, 'embedding');
    throw new Error(message);
  }
  return ref;
}

export const unembed: LayerSpec = {
  name: 'unembed',
  category: 'embedding',
  summary: 'Tied output projection: scores every token of an embedding’s vocabulary (x · Eᵀ).',
  doc: [
    '**unembed(embedding, bias=false)** — turns vectors back into one score (logit) per token,',
    'reusing the table `E` (`[vocab, dim]`) of an `embedding` layer object: `logits = x · Eᵀ (+ bias)`.',
    'This is *weight tying*: input and output share one table, as in GPT-2.',
    '',
    '- input: `[seq, dim]` — `dim` must be the embedding’s `dim`',
    '- output: `[seq, vocab]`',
    '- parameters: none of its own (the table belongs to the embedding); `vocab` when `bias = true`',
    '- MACs: `dim · vocab` per position',
    '',
    'The embedding object must be applied in the model too (`tokens -> wte`, before or after):',
    'its table is counted and trained there. A table that nothing applies ties nothing and is',
    'refused; for an output projection of its own use `dense(vocab, bias = false)`.',
    '',
    'Example: `wte = embedding(50257, 768)` … `h -> unembed(wte)`.',
  ].join('\n'),
  args: [
    { name: 'embedding', type: 'layer', doc: 'The embedding layer object whose table is reused (e.g. `wte`).' },
    { name: 'bias', type: 'bool', doc: 'Add a learned bias per token (vocab parameters).', default: false },
  ],
  inputKind: 'float',
  inputRank: { min: 1 },
  outputShape(ctx) {
    const ref = embeddingRef(ctx);
    const vocab = int(ref.args.vocab);
    const dim = int(ref.args.dim);
    const x = ctx.inputs[0];
    const last = x.dims[x.dims.length - 1];
    // A symbolic last axis cannot be compared with a number; only a known
    // size that differs is certainly wrong.
    if (last.isConst() && !last.equals(dim)) {
      ctx.fail(
        'shape.mismatch',
        `unembed(${ref.name}) needs vectors of size ${dim} (the embedding's dim), but the input is ${shapeToString(x)}`,
      );
    }
    return { dims: [...x.dims.slice(0, -1), Sym.of(vocab)] };
  },
  weights(ctx) {
    const ref = embeddingRef(ctx);
    const out: WeightSpec[] = [];
    if (ctx.args.bias === true) out.push({ name: 'bias', shape: [Sym.of(int(ref.args.vocab))], trainable: true });
    return out;
  },
  macs(ctx, output) {
    const ref = embeddingRef(ctx);
    // Positions are all output axes but the last; each costs dim · vocab.
    return product(output.dims.slice(0, -1)).mul(int(ref.args.dim) * int(ref.args.vocab));
  },
  tfjs(ctx) {
    const ref = embeddingRef(ctx);
    const { Unembed } = tokenLayerClasses(ctx.tf);
    return new Unembed({
      name: ctx.name,
      embeddingLayer: ctx.layerObject('embedding'),
      vocab: int(ref.args.vocab),
      useBias: ctx.args.bias === true,
    });
  },
};

// ------------------------------------------------------------------ positional

function resolveMaxlen(ctx: LayerContext): number {
  const kind = ctx.args.kind;
  const given = ctx.args.maxlen;
  if (given === null || given === undefined) {
    if (kind === 'learned') {
      // The quick fix: the sequence's own length when it is known, else GPT-2's 1024.
      const seq = ctx.inputs[0]?.dims[0]?.value;
      const maxlen = String(seq ?? 1024);
      ctx.fail(
        'arg.missing',
        `positional(learned) needs maxlen, the longest sequence it learns a position for: positional(learned, maxlen = ${maxlen})`,
        'maxlen',
        [maxlen],
      );
    }
    return SINUSOIDAL_DEFAULT_MAXLEN;
  }
  return requirePositive(ctx, 'maxlen');
}

export const positional: LayerSpec = {
  name: 'positional',
  category: 'embedding',
  summary: 'Adds position information to a sequence of vectors (sinusoidal or learned).',
  doc: [
    '**positional(kind=sinusoidal|learned, maxlen)** — attention alone does not know the order of',
    'tokens; this adds a vector that depends on each position `p` to the vector at that position.',
    '',
    '- `sinusoidal` (default): the fixed encoding of *Attention Is All You Need*,',
    '  `PE[p, 2i] = sin(p / 10000^(2i/d))`, `PE[p, 2i+1] = cos(p / 10000^(2i/d))`; no parameters;',
    `  \`maxlen\` defaults to ${SINUSOIDAL_DEFAULT_MAXLEN}.`,
    '- `learned`: a table of `maxlen` learned vectors, one per position (as in GPT-2 and BERT);',
    '  `maxlen · d` parameters, and `maxlen` must be given.',
    '',
    '- input: `[seq, d]`, with `seq ≤ maxlen`',
    '- output: `[seq, d]` (same shape)',
    '- MACs: 0 (an addition)',
  ].join('\n'),
  args: [
    {
      name: 'kind',
      type: 'enum',
      doc: 'sinusoidal: fixed sine/cosine waves; learned: a trained vector per position.',
      enum: ['sinusoidal', 'learned'],
      default: 'sinusoidal',
    },
    {
      name: 'maxlen',
      type: 'int',
      doc: `Longest sequence accepted (required for learned; ${SINUSOIDAL_DEFAULT_MAXLEN} for sinusoidal when not given).`,
      optional: true,
      min: 1,
    },
  ],
  inputRank: [2],
  outputShape(ctx) {
    const x = ctx.inputs[0];
    const maxlen = resolveMaxlen(ctx);
    const seq = x.dims[0].value;
    if (seq !== undefined && seq > maxlen) {
      ctx.fail(
        'arg.range',
        `the sequence has ${seq} positions but positional allows at most maxlen = ${maxlen}; raise maxlen`,
        ctx.args.maxlen == null ? undefined : 'maxlen',
        // The quick fix: the smallest maxlen that takes this sequence.
        ctx.args.maxlen == null ? undefined : [String(seq)],
      );
    }
    return { dims: [...x.dims] };
  },
  weights(ctx, output) {
    if (ctx.args.kind !== 'learned') return [];
    return [{ name: 'embeddings', shape: [Sym.of(resolveMaxlen(ctx)), output.dims[1]], trainable: true }];
  },
  macs() {
    return Sym.ZERO;
  },
  tfjs(ctx) {
    const { Positional } = tokenLayerClasses(ctx.tf);
    const kind = ctx.args.kind === 'learned' ? 'learned' : 'sinusoidal';
    const given = ctx.args.maxlen;
    if (kind === 'learned' && typeof given !== 'number') throw new Error('positional(learned) needs maxlen');
    return new Positional({
      name: ctx.name,
      kind,
      maxlen: typeof given === 'number' ? given : SINUSOIDAL_DEFAULT_MAXLEN,
      seed: ctx.seed,
    });
  },
};

// ------------------------------------------------------------------ sinusoidal

export const sinusoidal: LayerSpec = {
  name: 'sinusoidal',
  category: 'embedding',
  summary: 'Sine/cosine features of a value, such as a diffusion step t: [..., 1] → [..., dim].',
  doc: [
    '**sinusoidal(dim, max_period=10000)** — turns a number `t` (a diffusion step, a time, a noise',
    'level) into `dim` sine and cosine waves of `t`, the *timestep embedding* of DDPM and the',
    'frequencies of the Transformer\'s position encoding. With `h = dim / 2`:',
    '',
    '`out = [sin(t·ω_0), …, sin(t·ω_{h−1}), cos(t·ω_0), …, cos(t·ω_{h−1})]`, `ω_i = max_period^(−i/h)`',
    '',
    'Sines first, then cosines. ω goes from 1 (a period of 2π) down to `max_period^(−(h−1)/h)`,',
    'so near steps differ in the fast waves and far ones in the slow waves.',
    'Usually followed by `dense → silu → dense`, which learns what to make of it.',
    '',
    '- input: `[..., 1]`: one value per position, real or integer (`t: int[1]` is a value here, not a token id)',
    '- output: `[..., dim]` (the last axis of size 1 becomes `dim`)',
    '- `dim` must be even (half sines, half cosines)',
    '- parameters: none',
    '- MACs: 0 (a multiplication and a sine or cosine per output value: elementwise, not counted)',
    '',
    'DDPM\'s own code divides by `h − 1` instead of `h` (slightly faster waves; diffusers\'',
    '`downscale_freq_shift = 1`); this layer uses `h`, as *Attention Is All You Need* and',
    '`positional(sinusoidal)`. The shapes and counts are the same.',
  ].join('\n'),
  args: [
    { name: 'dim', type: 'int', doc: 'Number of features: dim/2 sines and dim/2 cosines (even).', min: 2 },
    {
      name: 'max_period',
      type: 'number',
      doc: `Sets the slowest wave: ω_i = max_period^(−i/(dim/2)) (${SINUSOIDAL_MAX_PERIOD} as DDPM and the Transformer).`,
      default: SINUSOIDAL_MAX_PERIOD,
      min: 1,
    },
  ],
  inputKind: 'any',
  inputRank: { min: 1 },
  outputShape(ctx) {
    const x = ctx.inputs[0];
    const dim = requirePositive(ctx, 'dim');
    if (dim % 2 !== 0) {
      const fits = dim > 2 ? `${dim - 1} or ${dim + 1}` : `${dim + 1}`;
      ctx.fail('arg.range', `sinusoidal's dim must be even (dim/2 sines and dim/2 cosines), got ${dim}; use ${fits}`, 'dim');
    }
    const last = x.dims[x.dims.length - 1];
    // A symbolic last axis may or may not be 1: only the number 1 is certainly one value per position.
    if (!last.equals(1)) {
      ctx.fail(
        'shape.mismatch',
        `sinusoidal encodes one value per position: its input's last axis must be 1 (as in t: int[1]), but the input is ${shapeToString(x)}; ` +
          eachValueHint(x),
      );
    }
    return { dims: [...x.dims.slice(0, -1), Sym.of(dim)] };
  },
  weights() {
    return [];
  },
  macs() {
    return Sym.ZERO;
  },
  tfjs(ctx) {
    const { Sinusoidal } = tokenLayerClasses(ctx.tf);
    const maxPeriod = ctx.args.max_period;
    return new Sinusoidal({
      name: ctx.name,
      dim: int(ctx.args.dim),
      maxPeriod: typeof maxPeriod === 'number' ? maxPeriod : SINUSOIDAL_MAX_PERIOD,
    });
  },
};

/** How to give every value of `x` its own axis of size 1: a `reshape` when at most one size is symbolic. */
function eachValueHint(x: Shape): string {
  const symbolic = x.dims.filter((d) => !d.isConst()).length;
  if (symbolic > 1) return 'to encode each value, reshape it so that every value has an axis of size 1 of its own';
  const sizes = x.dims.map((d) => (d.isConst() ? String(d.value) : '-1'));
  return `to encode each value, reshape first: -> reshape([${[...sizes, '1'].join(', ')}])`;
}

// ------------------------------------------------------------------ cls_token

export const clsToken: LayerSpec = {
  name: 'cls_token',
  category: 'embedding',
  summary: 'Prepends one learned token to the sequence: [seq, d] → [seq + 1, d].',
  doc: [
    '**cls_token** — puts one extra learned vector in front of the sequence, as in BERT and the',
    'Vision Transformer. After the attention layers its output (`take(0)`) summarises the whole',
    'sequence and feeds the classifier.',
    '',
    '- input: `[seq, d]`',
    '- output: `[seq + 1, d]`',
    '- parameters: `d` (the token, weight `token`)',
    '- MACs: 0',
  ].join('\n'),
  args: [],
  inputRank: [2],
  outputShape(ctx) {
    const [seq, d] = ctx.inputs[0].dims;
    return { dims: [seq.add(1), d] };
  },
  weights(ctx, output) {
    return [{ name: 'token', shape: [output.dims[1]], trainable: true }];
  },
  macs() {
    return Sym.ZERO;
  },
  tfjs(ctx: TfjsContext) {
    const { ClsToken } = tokenLayerClasses(ctx.tf);
    return new ClsToken({ name: ctx.name });
  },
};
