/**
 * Recurrent layers: `rnn` (Keras SimpleRNN), `lstm`, `gru`, built with
 * tfjs-layers' own classes, so parameter counts follow tfjs exactly.
 *
 * tfjs 4.22's GRU has no `reset_after` (it throws when asked): its bias is
 * one vector of 3·units, giving 3·units·(features + units + 1) parameters,
 * where Keras 2+ with `reset_after = true` has 3·units·(features + units + 2).
 */
import { Sym } from '../analysis/sym';
import type { ArgValue, LayerContext, LayerSpec, Tf, TfjsContext } from './types';
import { mixSeeds } from './draws';

/**
 * A seeded orthogonal initializer (Keras' default for recurrent kernels).
 * tfjs's own runs a QR decomposition on tensors, which takes seconds on the
 * CPU backend for lstm(64) and minutes for lstm(256); modified Gram-Schmidt in
 * plain JS on the same random normal matrix takes milliseconds.
 */
function orthogonal(tf: Tf, seed: number): ReturnType<Tf['initializers']['zeros']> {
  // tfjs does not export its Initializer base class; reach it through an instance.
  const Base = Object.getPrototypeOf(Object.getPrototypeOf(tf.initializers.zeros())).constructor as new () => {
    apply(shape: number[]): unknown;
  };
  class FastOrthogonal extends Base {
    static className = 'NnmodelOrthogonal';
    override apply(shape: number[]) {
      const rows = shape[0];
      const cols = shape.slice(1).reduce((a, b) => a * b, 1);
      const n = Math.max(rows, cols);
      const m = Math.min(rows, cols);
      let state = seed >>> 0 || 1;
      const uniform = () => {
        // mulberry32
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const v = new Float64Array(m * n);
      for (let i = 0; i < v.length; i++) v[i] = Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
      for (let i = 0; i < m; i++) {
        const vi = i * n;
        for (let j = 0; j < i; j++) {
          const vj = j * n;
          let dot = 0;
          for (let k = 0; k < n; k++) dot += v[vi + k] * v[vj + k];
          for (let k = 0; k < n; k++) v[vi + k] -= dot * v[vj + k];
        }
        let norm = 0;
        for (let k = 0; k < n; k++) norm += v[vi + k] * v[vi + k];
        norm = Math.sqrt(norm) || 1;
        for (let k = 0; k < n; k++) v[vi + k] /= norm;
      }
      // m orthonormal vectors of length n: rows of W when rows <= cols, else its columns.
      const out = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = rows <= cols ? v[r * n + c] : v[c * n + r];
      return tf.tensor(out, shape);
    }
    getConfig() {
      return { seed };
    }
  }
  return new FastOrthogonal() as unknown as ReturnType<Tf['initializers']['zeros']>;
}

interface Cell {
  name: 'rnn' | 'lstm' | 'gru';
  /** Number of gate blocks: the kernels are `gates · units` wide. */
  gates: number;
  title: string;
  formula: string;
  summary: string;
  about: string;
}

const CELLS: readonly Cell[] = [
  {
    name: 'rnn',
    gates: 1,
    title: 'simple recurrent layer (Keras SimpleRNN)',
    formula: 'units·(features + units + 1)',
    summary: 'Simple recurrent layer: h_t = tanh(x_t·W + h_{t−1}·U + b).',
    about: 'At each time step `h_t = tanh(x_t·W + h_{t−1}·U + b)`.',
  },
  {
    name: 'lstm',
    gates: 4,
    title: 'long short-term memory layer',
    formula: '4·units·(features + units + 1)',
    summary: 'LSTM layer: input, forget and output gates around a memory cell.',
    about:
      'At each time step four gates (input, forget, cell candidate, output) are computed from `x_t` and `h_{t−1}`; ' +
      'the memory cell `c_t = f·c_{t−1} + i·g` carries information across long distances, and `h_t = o·tanh(c_t)`.',
  },
  {
    name: 'gru',
    gates: 3,
    title: 'gated recurrent unit layer',
    formula: '3·units·(features + units + 1)',
    summary: 'GRU layer: update and reset gates, fewer parameters than an LSTM.',
    about:
      'At each time step an update gate `z` and a reset gate `r` decide how much of `h_{t−1}` to keep: ' +
      '`h_t = z·h_{t−1} + (1 − z)·tanh(x_t·W_h + (r·h_{t−1})·U_h + b_h)`. ' +
      'As in TensorFlow.js, the reset gate is applied before the recurrent product (`reset_after = false`).',
  },
];

function int(v: ArgValue | undefined): number {
  return v as number;
}

function units(ctx: LayerContext): number {
  const u = int(ctx.args.units);
  if (!Number.isInteger(u) || u < 1) ctx.fail('arg.range', `units must be a positive integer, got ${u}`, 'units');
  return u;
}

function recurrentSpec(cell: Cell): LayerSpec {
  const { name, gates } = cell;
  return {
    name,
    category: 'recurrent',
    summary: cell.summary,
    doc: [
      `**${name}(units, return_sequences = false, bidirectional = false)** — ${cell.title}.`,
      '',
      `Reads the sequence one step at a time, keeping a state \`h\` of \`units\` numbers. ${cell.about}`,
      '',
      // One setting per line: the hover of a value (`bidirectional = true`) quotes the lines that name it.
      '`bidirectional = true` adds a second layer that reads the sequence backwards (Keras `Bidirectional`, PyTorch `bidirectional=True`) and joins both states: each output sees the whole sequence, past and future.',
      '',
      '- input: `[seq, features]`',
      '- output: `[units]` (the last state), or `[seq, units]` with `return_sequences = true`;',
      '  `2·units` wide with `bidirectional = true` (forward state, then backward)',
      `- parameters: \`${cell.formula}\` (weights \`kernel [features, ${gates > 1 ? `${gates}·` : ''}units]\`,`,
      `  \`recurrent_kernel [units, ${gates > 1 ? `${gates}·` : ''}units]\`, \`bias\`), as in Keras / TensorFlow.js; twice that`,
      '  with `bidirectional = true` (the backward layer\'s `backward_kernel`, … of the same shapes)',
      `- MACs: \`seq · ${gates > 1 ? `${gates}·` : ''}units·(features + units)\` — the cell's matrix products per time step,`,
      '  times the number of steps (gate multiplications are elementwise, not counted); twice that bidirectional',
      `- activations kept for the backward pass, besides the output: ${name === 'rnn' ? '`(seq + 1)·units` (the hidden states)' : `\`${STEP_VECTORS[name]}·seq·units\` (${name === 'lstm' ? 'gates and cell states' : 'gates and candidate states'})`} at every step, as PyTorch keeps them`,
    ].join('\n'),
    args: [
      { name: 'units', type: 'int', doc: 'Size of the state (and of each output vector).', min: 1 },
      {
        name: 'return_sequences',
        type: 'bool',
        doc: 'Output the state at every step `[seq, units]` instead of only the last `[units]`.',
        default: false,
      },
      {
        name: 'bidirectional',
        type: 'bool',
        doc: 'Also read the sequence backwards, with a second set of weights, and join both states (`2·units` wide).',
        default: false,
      },
    ],
    inputRank: [2],
    outputShape(ctx) {
      const u = Sym.of(units(ctx) * directions(ctx));
      const seq = ctx.inputs[0].dims[0];
      return { dims: ctx.args.return_sequences === true ? [seq, u] : [u] };
    },
    weights(ctx) {
      const u = units(ctx);
      const features = ctx.inputs[0].dims[1];
      const width = Sym.of(gates * u);
      const one = (prefix: string) => [
        { name: `${prefix}kernel`, shape: [features, width], trainable: true },
        { name: `${prefix}recurrent_kernel`, shape: [Sym.of(u), width], trainable: true },
        { name: `${prefix}bias`, shape: [width], trainable: true },
      ];
      return directions(ctx) === 2 ? [...one(''), ...one(BACKWARD)] : one('');
    },
    macs(ctx) {
      const u = units(ctx);
      const [seq, features] = ctx.inputs[0].dims;
      return seq.mul(features.add(u).mul(gates * u * directions(ctx)));
    },
    internalActivations(ctx) {
      // What PyTorch's autograd keeps per step for the backward pass, besides the layer's output (measured with
      // torch.autograd.graph.saved_tensors_hooks, PyTorch 1.13 on CPU, batch 1): nn.RNN its hidden states and the
      // initial one, (seq + 1)·units; nn.LSTM 7·units a step (the gates and cell states and their tanh); nn.GRU
      // 6·units. Without return_sequences the same: every step is kept. Twice that bidirectional.
      const u = units(ctx) * directions(ctx);
      const seq = ctx.inputs[0].dims[0];
      if (name === 'rnn') return [{ name: 'hidden states (every step and the initial one)', shape: [seq.add(1), Sym.of(u)] }];
      return [{ name: name === 'lstm' ? 'gates and cell states (7 vectors a step)' : 'gates and candidate states (6 vectors a step)', shape: [seq, Sym.of(STEP_VECTORS[name] * u)] }];
    },
    tfjs(ctx: TfjsContext) {
      const { tf, seed } = ctx;
      const layer = (layerName: string, s: number, backwards: boolean, custom = true) => {
        const common = {
          name: layerName,
          units: int(ctx.args.units),
          returnSequences: ctx.args.return_sequences === true,
          goBackwards: backwards,
          kernelInitializer: tf.initializers.glorotUniform({ seed: s }),
          // Bidirectional clones the layer it is given from its config, which cannot name this initializer: that one gets the default.
          ...(custom ? { recurrentInitializer: orthogonal(tf, s + 1) } : {}),
        };
        switch (name) {
          case 'rnn':
            return tf.layers.simpleRNN(common);
          // Keras 2+ gates with the logistic sigmoid; tfjs still defaults to hardSigmoid.
          case 'lstm':
            return tf.layers.lstm({ ...common, recurrentActivation: 'sigmoid', unitForgetBias: true });
          case 'gru':
            return tf.layers.gru({ ...common, recurrentActivation: 'sigmoid' });
        }
      };
      if (directions(ctx) === 1) return layer(ctx.name, seed, false);
      // tfjs's Bidirectional (Keras's: the backward layer's outputs reversed back into step order, states
      // concatenated forward first) clones both directions from one config, with the same seeds: both are
      // replaced, before they are built, by layers initialised as a unidirectional one is, from seeds of their own.
      const bi = tf.layers.bidirectional({ name: ctx.name, layer: layer(ctx.name, seed, false, false) as never, mergeMode: 'concat' });
      const wrapper = bi as unknown as { forwardLayer: unknown; backwardLayer: unknown };
      wrapper.forwardLayer = layer(`forward_${ctx.name}`, seed, false);
      // Layers take seeds seed, seed + 1, … in build order: seed + 2 would start the backward weights as a
      // scaled copy of the layer two places later. A seed mixed from this one is none of theirs.
      wrapper.backwardLayer = layer(`backward_${ctx.name}`, mixSeeds(seed, BACKWARD_SEED), true);
      return bi;
    },
  };
}

/** Vectors of `units` that PyTorch keeps per step for the backward pass (see `internalActivations`). */
const STEP_VECTORS = { rnn: 1, lstm: 7, gru: 6 } as const;

/** Mixed into a bidirectional layer's seed for its backward direction ("back"). */
const BACKWARD_SEED = 0x6261636b;

/** Weight names of a bidirectional layer's backward direction: `backward_kernel`, … (the forward's are plain). */
export const BACKWARD = 'backward_';

/** 2 for `bidirectional = true`, else 1. */
function directions(ctx: Pick<LayerContext, 'args'>): number {
  return ctx.args.bidirectional === true ? 2 : 1;
}

/** Gate blocks of each recurrent layer (its kernels are `gates · units` wide), by layer name. */
export const RECURRENT_GATES: Readonly<Record<string, number>> = Object.fromEntries(CELLS.map((c) => [c.name, c.gates]));

/** Whether `op` is a recurrent layer: `rnn`, `lstm` or `gru`. */
export function isRecurrent(op: string): boolean {
  return RECURRENT_GATES[op] !== undefined;
}

export const rnn: LayerSpec = recurrentSpec(CELLS[0]);
export const lstm: LayerSpec = recurrentSpec(CELLS[1]);
export const gru: LayerSpec = recurrentSpec(CELLS[2]);
