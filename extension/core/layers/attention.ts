/**
 * `attention`: multi-head scaled dot-product attention (self or cross), with
 * an optional causal mask and ALiBi position bias.
 *
 * The tfjs side is a custom layer (tfjs 4.22 has no public multi-head
 * attention). It can keep its last attention probabilities for the
 * inspector's heatmaps; see `AttentionLayer`.
 */
import type { LayerVariable, Shape as TfShape, Tensor } from '@tensorflow/tfjs';
import { Sym, shapeToString, type Shape } from '../analysis/sym';
import { formatCount } from '../analysis/display';
import type { ArgValue, LayerContext, LayerSpec, Tf, WeightSpec } from './types';
import { mixSeeds, TrainingDraws } from './draws';

type LayerArgs = NonNullable<ConstructorParameters<Tf['layers']['Layer']>[0]>;
type Kwargs = Record<string, unknown>;
type TfLayer = InstanceType<Tf['layers']['Layer']>;

/** Options of the tfjs attention layer (its serialised config, with the base layer's). */
export interface AttentionOptions {
  heads: number;
  /** Size of each head's query/key/value vectors; `null` means input dim / heads. */
  keyDim: number | null;
  causal: boolean;
  /** Dropout rate on the attention probabilities, in training only. */
  dropout: number;
  useBias: boolean;
  position: 'none' | 'alibi';
  /** Whether the layer is applied to `[x, context]` (cross-attention). */
  hasContext: boolean;
  /**
   * Whether the last input is the token ids of the keys' positions
   * (`pad_mask =`): a key whose id is `padId` is hidden from every query.
   * Absent in configs saved before padding masks: false.
   */
  hasPadMask?: boolean;
  /** The id that marks padding (`pad_id`, default 0). */
  padId?: number;
  seed: number;
  /** Start with keeping the last attention probabilities on. */
  keepAttention?: boolean;
}

/**
 * The tfjs layer built for `attention`.
 *
 * Weights, in order: `query_kernel [d, h·k]`, `query_bias [h·k]`, `key_kernel
 * [d_ctx, h·k]`, `key_bias`, `value_kernel [d_ctx, h·k]`, `value_bias`,
 * `output_kernel [h·k, d]`, `output_bias [d]` (biases only with `useBias`),
 * where h = heads, k = key_dim, d_ctx = d for self-attention.
 */
export interface AttentionLayer extends TfLayer {
  /**
   * Whether each forward pass keeps a copy of its attention probabilities.
   * Off by default so that training does not hold on to memory; turning it
   * off disposes the kept tensor.
   */
  keepAttention: boolean;
  /**
   * The attention probabilities of the last forward pass made while
   * `keepAttention` was on, `[batch, heads, seq_q, seq_k]` (rows sum to 1).
   * Owned by the layer: valid until the next forward pass or `dispose()`;
   * clone it to keep it longer.
   */
  lastAttention(): Tensor | undefined;
  /**
   * Heads (0-based) whose output is zeroed before the output projection in
   * every forward pass: head ablation, for the inspector's attention view
   * (what the model computes without those heads). Empty by default, and
   * then the forward pass is the plain one. Not part of the layer's config:
   * never saved, exported or trained with. Setting it checks each head is
   * an integer in [0, heads) and keeps a sorted copy without repeats.
   */
  ablatedHeads: readonly number[];
}

export function isAttentionLayer(layer: TfLayer): layer is AttentionLayer {
  return typeof (layer as Partial<AttentionLayer>).lastAttention === 'function';
}

/**
 * ALiBi slopes (Press et al., "Train Short, Test Long"): a geometric sequence
 * 2^(-8/n), 2^(-16/n), … for n a power of two; otherwise the slopes of the
 * power of two below, then every other slope of the power of two above.
 */
export function alibiSlopes(heads: number): number[] {
  const geometric = (n: number) => Array.from({ length: n }, (_, i) => Math.pow(2, (-8 * (i + 1)) / n));
  const p = Math.pow(2, Math.floor(Math.log2(heads)));
  if (p === heads) return geometric(heads);
  const extra = geometric(2 * p).filter((_, i) => i % 2 === 0);
  return [...geometric(p), ...extra.slice(0, heads - p)];
}

/** Most slopes an ALiBi hover lists. */
const SHOWN_SLOPES = 16;

/**
 * The hover's line on ALiBi: each head's slope, and how far each head looks
 * (the distance at which a key has lost 1 from its score); on
 * cross-attention (`cross`), that the distance counts positions of two
 * sequences and means nothing.
 */
export function alibiNote(heads: number, cross = false): string {
  const m = alibiSlopes(heads);
  const slope = (x: number) => {
    const k = -Math.log2(x);
    return Math.abs(k - Math.round(k)) < 1e-9 ? `1/${2 ** Math.round(k)}` : Number(x.toPrecision(3)).toString();
  };
  const distance = (x: number) => Number((1 / x).toPrecision(3)).toLocaleString('en-US');
  const shown = m.slice(0, SHOWN_SLOPES).map(slope).join(', ') + (heads > SHOWN_SLOPES ? `, … (${heads} heads)` : '');
  const last = m.length - 1;
  const range = heads === 1 ? 'head 1' : `heads 1–${heads}`;
  if (cross) {
    return `ALiBi slopes \`m_h\`, ${range}: ${shown}. On cross-attention the query's position i and the key's position j count positions of two sequences: \`−m_h·|i − j|\` measures no distance, and only pulls each query towards the context positions at its own index.`;
  }
  const reach =
    heads === 1
      ? `it has lost 1 at distance ${distance(m[0])}`
      : `head 1 has lost 1 at distance ${distance(m[0])}, head ${last + 1} only at ${distance(m[last])}: the heads look from near to far`;
  return `ALiBi slopes \`m_h\`, ${range}: ${shown}. A key \`d\` positions away loses \`m_h·d\` from its score: ${reach}.`;
}

const matMulCache = new WeakMap<Tf, (a: Tensor, b: Tensor) => Tensor>();

/**
 * `a · b` (rank 2, or batched with equal batch axes) whose gradient also uses
 * no transposed matMul: tf.matMul's own gradient multiplies with
 * transposeA/transposeB, about 20x slower on the wasm backend than
 * transposing explicitly first (see the tfjs notes).
 */
export function plainMatMul(tf: Tf): (a: Tensor, b: Tensor) => Tensor {
  const cached = matMulCache.get(tf);
  if (cached) return cached;
  const swapLast = (t: Tensor) => {
    const perm = t.shape.map((_, i) => i);
    perm[perm.length - 2] = perm.length - 1;
    perm[perm.length - 1] = perm.length - 2;
    return tf.transpose(t, perm);
  };
  const op = tf.customGrad((...args: unknown[]) => {
    const [a, b, save] = args as [Tensor, Tensor, (ts: Tensor[]) => void];
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
        const g = Array.isArray(dy) ? dy[0] : dy;
        const [sa, sb] = saved;
        return [tf.matMul(g, swapLast(sb)), tf.matMul(swapLast(sa), g)];
      },
    };
  }) as (a: Tensor, b: Tensor) => Tensor;
  matMulCache.set(tf, op);
  return op;
}

const classCache = new WeakMap<Tf, new (args: LayerArgs & AttentionOptions) => AttentionLayer>();

/** The attention layer class for one `tf` module, made once and registered for serialisation. */
export function attentionLayerClass(tf: Tf): new (args: LayerArgs & AttentionOptions) => AttentionLayer {
  const cached = classCache.get(tf);
  if (cached) return cached;

  const matMul = plainMatMul(tf);

  class MultiHeadAttention extends tf.layers.Layer implements AttentionLayer {
    static className = 'NnmodelAttention';
    private readonly opts: AttentionOptions;
    private keyDim = 0;
    private wq: LayerVariable | null = null;
    private bq: LayerVariable | null = null;
    private wk: LayerVariable | null = null;
    private bk: LayerVariable | null = null;
    private wv: LayerVariable | null = null;
    private bv: LayerVariable | null = null;
    private wo: LayerVariable | null = null;
    private bo: LayerVariable | null = null;
    private keep = false;
    private kept: Tensor | undefined;
    private ablated: readonly number[] = [];
    /** Seeds of the attention-weight dropout masks (draws.ts): reproducible runs, exact resume. */
    private readonly draws: TrainingDraws;

    constructor(args: LayerArgs & AttentionOptions) {
      super(args);
      this.draws = new TrainingDraws(this.name, args.seed);
      this.opts = {
        heads: args.heads,
        keyDim: args.keyDim,
        causal: args.causal,
        dropout: args.dropout,
        useBias: args.useBias,
        position: args.position,
        hasContext: args.hasContext,
        seed: args.seed,
      };
      // Only when set: a layer without a padding mask keeps the config it had before they existed.
      if (args.hasPadMask === true) {
        this.opts.hasPadMask = true;
        this.opts.padId = args.padId ?? 0;
      }
      this.keep = args.keepAttention === true;
    }

    /** See `reseedRandomLayers` (augment.ts). */
    reseedForEpoch(epoch: number, run: number): void {
      this.draws.restart(run, epoch);
    }

    get keepAttention(): boolean {
      return this.keep;
    }

    set keepAttention(on: boolean) {
      this.keep = on;
      if (!on) this.dropKept();
    }

    lastAttention(): Tensor | undefined {
      return this.kept;
    }

    get ablatedHeads(): readonly number[] {
      return this.ablated;
    }

    set ablatedHeads(heads: readonly number[]) {
      const n = this.opts.heads;
      for (const h of heads) {
        if (!Number.isInteger(h) || h < 0 || h >= n) throw new Error(`attention layer '${this.name}' has heads 0–${n - 1}: cannot switch off head ${h}`);
      }
      this.ablated = Object.freeze([...new Set(heads)].sort((a, b) => a - b));
    }

    private dropKept(): void {
      this.kept?.dispose();
      this.kept = undefined;
    }

    override build(inputShape: TfShape | TfShape[]): void {
      const shapes = Array.isArray(inputShape[0]) ? (inputShape as TfShape[]) : [inputShape as TfShape];
      const d = shapes[0][shapes[0].length - 1];
      const ctxShape = this.opts.hasContext ? shapes[1] : shapes[0];
      const dc = ctxShape[ctxShape.length - 1];
      if (d == null || dc == null) throw new Error('attention needs a known feature size');
      const { heads, useBias, seed } = this.opts;
      const keyDim = this.opts.keyDim ?? d / heads;
      if (!Number.isInteger(keyDim)) throw new Error(`attention dim ${d} is not divisible by heads ${heads}`);
      this.keyDim = keyDim;
      const h = heads * keyDim;
      const kernel = (name: string, shape: number[], s: number) =>
        this.addWeight(name, shape, 'float32', tf.initializers.glorotUniform({ seed: s }), undefined, true);
      const bias = (name: string, n: number) =>
        useBias ? this.addWeight(name, [n], 'float32', tf.initializers.zeros(), undefined, true) : null;
      this.wq = kernel('query_kernel', [d, h], seed);
      this.bq = bias('query_bias', h);
      // Layers take seeds seed, seed + 1, … in build order: seed + 1 … + 3 here started the key, value and output
      // kernels as copies of the next layers' (glorot draws one stream per seed). Seeds mixed from this one are none of theirs.
      this.wk = kernel('key_kernel', [dc, h], mixSeeds(seed, 1));
      this.bk = bias('key_bias', h);
      this.wv = kernel('value_kernel', [dc, h], mixSeeds(seed, 2));
      this.bv = bias('value_bias', h);
      this.wo = kernel('output_kernel', [h, d], mixSeeds(seed, 3));
      this.bo = bias('output_bias', d);
      this.built = true;
    }

    override computeOutputShape(inputShape: TfShape | TfShape[]): TfShape {
      return Array.isArray(inputShape[0]) ? (inputShape as TfShape[])[0] : (inputShape as TfShape);
    }

    /** [b, t, f] · W (+ bias) → [b, heads, t, key_dim], with plain 2-D matMuls. */
    private project(x: Tensor, w: LayerVariable, b: LayerVariable | null): Tensor {
      const [batch, t, f] = x.shape;
      let y = matMul(tf.reshape(x, [batch * t, f]), w.read());
      if (b) y = tf.add(y, b.read());
      return tf.transpose(tf.reshape(y, [batch, t, this.opts.heads, this.keyDim]), [0, 2, 1, 3]);
    }

    override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      const x = list[0];
      const context = this.opts.hasContext ? list[1] : x;
      if (!context) throw new Error('attention with context needs [x, context] as inputs');
      const padIds = this.opts.hasPadMask ? list[this.opts.hasContext ? 2 : 1] : undefined;
      if (this.opts.hasPadMask && !padIds) throw new Error('attention with pad_mask needs the token ids as its last input');
      const training = kwargs['training'] === true;
      const { heads, causal, dropout, position } = this.opts;
      let probsOut: Tensor | undefined;
      const out = tf.tidy(() => {
        const [batch, tq, d] = x.shape;
        const tk = (context.shape as number[])[1];
        // Scaling q before the product is cheaper than scaling the scores.
        const q = tf.mul(this.project(x, this.wq!, this.bq), 1 / Math.sqrt(this.keyDim));
        const k = this.project(context, this.wk!, this.bk);
        const v = this.project(context, this.wv!, this.bv);
        // Explicit transpose: a transposed matMul is ~20x slower on wasm.
        let scores = matMul(q, tf.transpose(k, [0, 1, 3, 2]));
        if (position === 'alibi') scores = tf.add(scores, alibiBias(tf, heads, tq, tk));
        if (causal) {
          const allowed = tf.linalg.bandPart(tf.ones([tq, tk]), -1, 0);
          // −2·10⁹, twice the padding mask's: a query whose earlier keys are all padding reads that padding, never a later key.
          scores = tf.add(scores, tf.mul(tf.sub(1, allowed), -2e9));
        }
        if (padIds) {
          // [batch, seq_k] ids → [batch, 1, 1, seq_k]: the same keys hidden from every head and query.
          const pad = tf.cast(tf.equal(padIds, this.opts.padId ?? 0), 'float32');
          scores = tf.add(scores, tf.mul(tf.reshape(pad, [batch, 1, 1, tk]), -1e9));
        }
        let probs = tf.softmax(scores, -1);
        if (this.keep) probsOut = tf.keep(probs.clone());
        if (training && dropout > 0) probs = tf.dropout(probs, dropout, undefined, this.draws.next());
        let ctxv = matMul(probs, v); // [b, heads, tq, key_dim]
        // Ablated heads: their slice of the concatenation is zeroed, so W_o adds nothing of theirs (the bias stays).
        if (this.ablated.length > 0) {
          const keepHead = Array.from({ length: heads }, (_, h) => (this.ablated.includes(h) ? 0 : 1));
          ctxv = tf.mul(ctxv, tf.tensor4d(keepHead, [1, heads, 1, 1]));
        }
        const merged = tf.reshape(tf.transpose(ctxv, [0, 2, 1, 3]), [batch * tq, heads * this.keyDim]);
        let y = matMul(merged, this.wo!.read());
        if (this.bo) y = tf.add(y, this.bo.read());
        return tf.reshape(y, [batch, tq, d]);
      });
      if (probsOut) {
        this.dropKept();
        this.kept = probsOut;
      }
      return out;
    }

    override dispose() {
      this.dropKept();
      return super.dispose();
    }

    override getConfig() {
      return { ...super.getConfig(), ...this.opts };
    }
  }

  tf.serialization.registerClass(MultiHeadAttention);
  classCache.set(tf, MultiHeadAttention);
  return MultiHeadAttention;
}

/** −slope_h · |i − j| for query position i and key position j: `[heads, tq, tk]`. */
function alibiBias(tf: Tf, heads: number, tq: number, tk: number): Tensor {
  const i = tf.reshape(tf.range(0, tq, 1, 'float32'), [tq, 1]);
  const j = tf.reshape(tf.range(0, tk, 1, 'float32'), [1, tk]);
  const dist = tf.abs(tf.sub(i, j));
  const slopes = tf.tensor3d(alibiSlopes(heads), [heads, 1, 1]);
  return tf.mul(tf.neg(slopes), dist);
}

// ------------------------------------------------------------------ spec

function int(v: ArgValue | undefined): number {
  return v as number;
}

/**
 * The two divisors of n nearest to `heads`, for the "use heads …" hint and
 * its fixes: the closest first, and of two as close the larger (3 on 32:
 * 4, then 2), as rounding half up does.
 */
export function nearbyDivisors(n: number, heads: number): number[] {
  const divisors: number[] = [];
  for (let i = 1; i * i <= n; i++) {
    if (n % i !== 0) continue;
    divisors.push(i);
    if (i * i !== n) divisors.push(n / i);
  }
  return divisors.sort((a, b) => Math.abs(a - heads) - Math.abs(b - heads) || b - a).slice(0, 2);
}

interface Geometry {
  seqQ: Sym;
  d: Sym;
  seqK: Sym;
  dContext: Sym;
  heads: number;
  keyDim: Sym;
}

function geometry(ctx: LayerContext): Geometry {
  const heads = int(ctx.args.heads);
  if (!Number.isInteger(heads) || heads < 1) ctx.fail('arg.range', `heads must be a positive integer, got ${heads}`, 'heads');
  const [seqQ, d] = ctx.inputs[0].dims;
  let seqK = seqQ;
  let dContext = d;
  if (ctx.args.context != null) {
    const c = ctx.tensors.context;
    if (!c) ctx.fail('shape.unknown', 'the shape of the context value is not known', 'context');
    // Token ids first, whatever their rank (`int[s]`): embedding them is the change to make, as for the piped value.
    if (c.isInt) {
      ctx.fail('shape.not_float', `attention takes real values as its context, but ${shapeToString(c)} holds integer token ids; embed them first: \`-> embedding(vocab, dim)\`.`, 'context');
    }
    if (c.dims.length !== 2) {
      ctx.fail('shape.rank', `attention's context must be a sequence [seq, d], got ${shapeToString(c)}`, 'context');
    }
    [seqK, dContext] = c.dims;
  }
  if (ctx.args.pad_mask != null) {
    const m = ctx.tensors.pad_mask;
    if (!m) ctx.fail('shape.unknown', 'the shape of the pad_mask value is not known', 'pad_mask');
    const keys = ctx.args.context != null ? 'context' : 'input';
    if (!m.isInt) {
      ctx.fail(
        'arg.type',
        `pad_mask takes the token ids of the ${keys}'s positions (an \`int[...]\` value, such as the model's input), so that the positions holding pad_id are hidden; ${shapeToString(m)} holds real values.`,
        'pad_mask',
      );
    }
    if (m.dims.length !== 1) {
      ctx.fail('shape.rank', `pad_mask must be one token id per position of the ${keys}, [${seqK.toString()}]; got ${shapeToString(m)}`, 'pad_mask');
    }
    if (!m.dims[0].equals(seqK)) {
      ctx.fail(
        'shape.mismatch',
        `pad_mask has ${m.dims[0].toString()} positions (${shapeToString(m)}) but the ${keys} has ${seqK.toString()}: it must hold one token id per key position.`,
        'pad_mask',
      );
    }
  }
  let keyDim: Sym;
  const given = ctx.args.key_dim;
  if (typeof given === 'number') {
    if (!Number.isInteger(given) || given < 1) ctx.fail('arg.range', `key_dim must be a positive integer, got ${given}`, 'key_dim');
    keyDim = Sym.of(given);
  } else {
    const exact = d.divExact(heads);
    if (!exact) {
      const dv = d.value;
      const divisors = dv === undefined ? [] : nearbyDivisors(dv, heads);
      const hint = dv === undefined ? 'set key_dim' : `use heads ${divisors.join(' or ')}, or set key_dim`;
      // The fixes in the same order: the nearest to what was written first.
      ctx.fail('arg.heads_divide', `attention dim ${d.toString()} is not divisible by heads ${heads}; ${hint}`, 'heads', divisors.map(String));
    }
    keyDim = exact;
  }
  const dropout = ctx.args.dropout;
  if (typeof dropout === 'number' && !(dropout >= 0 && dropout < 1)) {
    ctx.fail('arg.range', `dropout is a rate in [0, 1), got ${dropout}`, 'dropout');
  }
  return { seqQ, d, seqK, dContext, heads, keyDim };
}

/**
 * What one call's figures are made of, for its hover: the heads and their
 * size, and its MACs split into the projections (linear in the sequence) and
 * the scores and weighted sum (one product per query and key: quadratic),
 * as the course notes teach "quadratic complexity".
 */
function costNotes(args: Readonly<Record<string, ArgValue>>, heads: number, inputs: readonly Shape[]): string[] {
  const x = inputs[0];
  const cross = args.context != null;
  const c = cross ? inputs[1] : x;
  if (!x || !c || x.dims.length !== 2 || c.dims.length !== 2) return [];
  const [seqQ, d] = x.dims;
  const [seqK, dK] = c.dims;
  const given = args.key_dim;
  const keyDim = typeof given === 'number' && Number.isSafeInteger(given) && given >= 1 ? Sym.of(given) : d.divExact(heads);
  if (!keyDim) return [];
  const hk = keyDim.mul(heads);
  const size = typeof given === 'number' ? '' : ` (${d.toString()} / ${heads})`;
  const out = [
    `**Heads**: ${heads} of key_dim ${keyDim.toString()}${size}: each head compares queries and keys of ${keyDim.toString()} numbers; together they project to h·k = ${formatCount(hk)}.`,
  ];
  const projections = seqQ.mul(d).mul(hk).add(seqK.mul(dK).mul(hk).mul(2)).add(seqQ.mul(hk).mul(d));
  const quadratic = seqQ.mul(seqK).mul(hk).mul(2);
  const product = `2·${seqQ.toString()}·${seqK.toString()}·${formatCount(hk)}`;
  let mac =
    `**MACs** = projections + scores: the four projections (Q, K, V, output) ${formatCount(projections)}, linear in the length; ` +
    `Q·Kᵀ and A·V ${formatCount(quadratic)} (${product}), ${cross ? 'the product of both lengths' : 'quadratic'}: every query is compared with every key.`;
  // Self-attention with h·k = d: 4·seq·d² against 2·seq²·d, equal at seq = 2·d.
  if (!cross && hk.equals(d) && d.value !== undefined) {
    const even = 2 * d.value;
    const at = seqQ.value;
    mac += ` The quadratic part is the larger once ${seqQ.toString()} exceeds 2·${formatCount(d.value)} = ${formatCount(even)}${at !== undefined ? ` (here ${formatCount(at)}: ${at > even ? 'it is' : 'the projections are'})` : ''}.`;
  }
  out.push(mac);
  return out;
}

/**
 * What each query position of one call sees, when its arguments say (the
 * analysis fills every default in), said once: as the receptive field
 * words it (`all`, `all earlier` in the Summary's Sees column), then how the
 * mask does it. For cross-attention, which side gives the queries.
 */
function maskNote(args: Readonly<Record<string, ArgValue>>, inputs: readonly Shape[] | undefined): string | undefined {
  const how =
    'The scores of the later positions get −2·10⁹ added before the softmax (in the PyTorch export too), so their weights are 0. The masked scores are still computed: the MACs are those of full attention.';
  if (args.context != null) {
    const [q, c] = inputs ?? [];
    const sizes = q && c && q.dims.length === 2 && c.dims.length === 2 ? { q: q.dims[0].toString(), c: c.dims[0].toString() } : undefined;
    const head = '**Cross-attention**: queries from the piped value, keys and values from `context`';
    if (args.causal === true) {
      const who = sizes ? `each of the ${sizes.q} query positions i reads context positions 0…i only, of ${sizes.c}` : 'each query position i reads context positions 0…i only';
      return (
        `${head}: ${who} (\`causal = true\` masks by index, as if the two sequences were aligned, so the early queries see little of the context). ` +
        `${how} An encoder-decoder's decoder reads the encoder's output whole: the mask that hides its answer belongs in its self-attention.`
      );
    }
    const reads = sizes ? `each of the ${sizes.q} query positions reads all ${sizes.c} positions of the context` : 'each query position reads every position of the context';
    return `${head}: ${reads} (an encoder-decoder's decoder reading the encoder's output).`;
  }
  if (args.causal === true) {
    return `**\`causal = true\`**: each position i reads positions 0…i only, itself and all earlier ones, so nothing leaks from the tokens to be predicted. ${how}`;
  }
  if (args.causal === false) {
    return '**`causal = false`**: each position reads all positions, before and after it (an encoder, as in BERT or ViT). A model that predicts the next token needs `causal = true`, or it would see the token it must predict.';
  }
  return undefined;
}

/** The hover's line on `pad_mask`: which keys it hides, and how it combines with `causal`. */
function padNote(args: Readonly<Record<string, ArgValue>>): string {
  const id = typeof args.pad_id === 'number' ? args.pad_id : 0;
  const keys = args.context != null ? 'context positions' : 'positions';
  const both =
    args.causal === true
      ? ` With \`causal = true\` both masks apply, as in a decoder's self-attention: position i reads the ${keys} 0…i that are not padding.`
      : '';
  return (
    `**\`pad_mask\`** (a padding mask): the ${keys} whose token id is ${id} (\`pad_id\`) are hidden from every query and head: −10⁹ is added to their scores before the softmax, so their weights are 0 and sequences padded to one length attend only to their own tokens.${both} ` +
    'A query at a padding position still gets an output (of the other padding positions when every key it may read is padding): leave those positions out of the loss.'
  );
}

export const attention: LayerSpec = {
  name: 'attention',
  category: 'attention',
  summary: 'Multi-head scaled dot-product attention (self-attention, or cross-attention with context=).',
  doc: [
    '**attention(heads, key_dim = dim/heads, causal = false, context = none, dropout = 0, bias = true, position = none|alibi, pad_mask = none, pad_id = 0)**',
    '',
    'Every position asks a *query* and compares it with the *keys* of all positions; the softmax of',
    'the scores weighs their *values*. With `h = heads` and `k = key_dim`:',
    '',
    '`Q = x·W_q`, `K = c·W_k`, `V = c·W_v` split into h heads of size k;',
    '`A = softmax(Q·Kᵀ / √k)` per head; `y = concat_heads(A·V)·W_o`.',
    '',
    // One setting per line: the hover of a value (`causal = true`) quotes the lines that name it.
    '`c` is `x` itself (self-attention) or the `context` value (cross-attention, e.g. a decoder reading the encoder’s output).',
    '`causal = true` hides later positions (position i sees j ≤ i), for language models.',
    '`position = alibi` adds a fixed penalty `−m_h·|i − j|` per head (ALiBi, no parameters).',
    '`pad_mask = tokens` hides the keys whose token id is `pad_id` (padding) from every query, together with a causal mask if there is one.',
    '`dropout` drops attention weights in training. The layer keeps its attention weights `A` for the heatmap view.',
    '',
    '- input: `[seq, d]`; context: `[seq_k, d_k]`',
    '- output: `[seq, d]`',
    '- parameters: `W_q [d, h·k]`, `W_k`, `W_v [d_k, h·k]`, `W_o [h·k, d]` and their biases:',
    '  `4·(d·d + d)` for self-attention when `h·k = d`',
    '- MACs: the four projections plus `Q·Kᵀ` and `A·V`: `4·seq·d² + 2·seq²·d` for self-attention',
    '  when `h·k = d`',
    '- activations kept for the backward pass, besides the output: `A` `[h, seq_q, seq_k]`, quadratic',
    '  in the sequence, and Q, K, V and `A·V` (`4·seq·h·k` for self-attention); with `dropout`, also',
    '  its mask and the dropped `A`',
  ].join('\n'),
  args: [
    { name: 'heads', type: 'int', doc: 'Number of attention heads.', min: 1 },
    {
      name: 'key_dim',
      type: 'int',
      doc: 'Size of each head’s query/key/value vectors (default: dim / heads).',
      optional: true,
      defaultText: 'dim/heads',
      min: 1,
    },
    { name: 'causal', type: 'bool', doc: 'Each position attends only to itself and earlier positions.', default: false },
    { name: 'context', type: 'tensor', doc: 'Sequence to attend to (cross-attention); default: the input itself.' },
    { name: 'dropout', type: 'number', doc: 'Dropout rate on the attention weights, in training only.', default: 0, min: 0, max: 1 },
    { name: 'bias', type: 'bool', doc: 'Biases in the four projections.', default: true },
    {
      name: 'position',
      type: 'enum',
      doc: 'none, or alibi: a fixed per-head penalty growing with the distance |i − j|.',
      enum: ['none', 'alibi'],
      default: 'none',
    },
    {
      name: 'pad_mask',
      type: 'tensor',
      doc: 'Token ids `int[seq_k]` of the keys’ positions (the input’s for self-attention, the context’s for cross-attention): keys whose id is `pad_id` are hidden from every query (a padding mask).',
    },
    { name: 'pad_id', type: 'int', doc: 'The token id that marks padding, for `pad_mask`.', default: 0, min: 0 },
  ],
  inputRank: [2],
  notes(args, inputs) {
    const heads = typeof args.heads === 'number' && Number.isSafeInteger(args.heads) && args.heads >= 1 ? args.heads : undefined;
    const out = heads !== undefined && inputs ? costNotes(args, heads, inputs) : [];
    const mask = maskNote(args, inputs);
    if (mask) out.push(mask);
    if (args.pad_mask != null) out.push(padNote(args));
    if (args.position === 'alibi' && heads !== undefined) out.push(alibiNote(heads, args.context != null));
    return out;
  },
  outputShape(ctx) {
    geometry(ctx);
    return { dims: [...ctx.inputs[0].dims] };
  },
  weights(ctx) {
    const g = geometry(ctx);
    const h = g.keyDim.mul(g.heads);
    const bias = ctx.args.bias !== false;
    const out: WeightSpec[] = [];
    const add = (name: string, kernel: Sym[], biasLen: Sym) => {
      out.push({ name: `${name}_kernel`, shape: kernel, trainable: true });
      if (bias) out.push({ name: `${name}_bias`, shape: [biasLen], trainable: true });
    };
    add('query', [g.d, h], h);
    add('key', [g.dContext, h], h);
    add('value', [g.dContext, h], h);
    add('output', [h, g.d], g.d);
    return out;
  },
  macs(ctx) {
    const { seqQ, d, seqK, dContext, heads, keyDim } = geometry(ctx);
    const h = keyDim.mul(heads);
    const q = seqQ.mul(d).mul(h);
    const kv = seqK.mul(dContext).mul(h).mul(2);
    const scores = seqQ.mul(seqK).mul(h);
    const weighted = seqQ.mul(seqK).mul(h);
    const o = seqQ.mul(h).mul(d);
    return q.add(kv).add(scores).add(weighted).add(o);
  },
  internalActivations(ctx) {
    // What autograd keeps for the backward pass (PyTorch's saved tensors;
    // docs/language.md, Memory): not the scores, as softmax's gradient needs
    // only its output.
    const { seqQ, seqK, heads, keyDim } = geometry(ctx);
    const h = keyDim.mul(heads);
    const weights = [Sym.of(heads), seqQ, seqK];
    const out = [{ name: 'attention weights', shape: weights }];
    const dropout = ctx.args.dropout;
    if (typeof dropout === 'number' && dropout > 0) {
      out.push({ name: 'dropout mask', shape: weights }, { name: 'dropped attention weights', shape: weights });
    }
    out.push(
      { name: 'queries', shape: [seqQ, h] },
      { name: 'keys', shape: [seqK, h] },
      { name: 'values', shape: [seqK, h] },
      { name: 'weighted values', shape: [seqQ, h] },
    );
    return out;
  },
  tfjs(ctx) {
    const Cls = attentionLayerClass(ctx.tf);
    const position = ctx.args.position === 'alibi' ? 'alibi' : 'none';
    return new Cls({
      name: ctx.name,
      heads: int(ctx.args.heads),
      keyDim: typeof ctx.args.key_dim === 'number' ? ctx.args.key_dim : null,
      causal: ctx.args.causal === true,
      dropout: typeof ctx.args.dropout === 'number' ? ctx.args.dropout : 0,
      useBias: ctx.args.bias !== false,
      position,
      hasContext: ctx.args.context != null,
      hasPadMask: ctx.args.pad_mask != null,
      padId: typeof ctx.args.pad_id === 'number' ? ctx.args.pad_id : 0,
      seed: ctx.seed,
    });
  },
};
