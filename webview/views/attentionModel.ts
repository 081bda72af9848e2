/**
 * The attention view's texts without the DOM: what each input is fed with
 * and which tokeniser encodes the typed text, in the words of the info line
 * above the heatmaps. Unit tested in Node (test/unit/attention-text.test.ts).
 */
import type { Graph } from '../../extension/core/analysis/types';
import { unknownPieces, type Tokenizer } from '../../extension/core/runtime/tokenizers';
import type { InputPlan } from '../probes/input';
import { groupedPlural } from '../../extension/core/plural';
import { MASK_TOKEN } from '../../extension/core/runtime/masking';

/** How the tokeniser was chosen: the one of the text the model was trained on, or one that fits the embedding (`tokenizerFor`). */
export interface TokenizerOrigin {
  /** It is the tokeniser of the training text (`text(..., tokenizer = …)`). */
  trained: boolean;
  /** Rows of the smallest embedding the tokens feed; undefined when no embedding reads them (the user types values). */
  embeddingVocab: number | undefined;
  /** A masked language model's `[MASK]` id (one past the tokeniser's: maskedModel.ts), which the text then names. */
  maskId?: number;
}

/** A character made visible: space `␣`, line break `↵`, tab `⇥`. */
function visible(c: string): string {
  return c === ' ' ? '␣' : c === '\n' ? '↵' : c === '\t' ? '⇥' : c;
}

/**
 * A set of characters, in code-point order, with runs of three or more
 * consecutive code points written as ranges: `↵ ␣ ! ' , . ? A–Z a–z`.
 */
export function charSetText(chars: readonly string[]): string {
  const points = [...new Set(chars.map((c) => c.codePointAt(0)!))].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < points.length; ) {
    let j = i;
    while (j + 1 < points.length && points[j + 1] === points[j] + 1) j++;
    const first = visible(String.fromCodePoint(points[i]));
    const last = visible(String.fromCodePoint(points[j]));
    if (j - i >= 2) parts.push(`${first}–${last}`);
    else for (let k = i; k <= j; k++) parts.push(visible(String.fromCodePoint(points[k])));
    i = j + 1;
  }
  return parts.join(' ');
}

/**
 * What the tokeniser is and which of the embedding's ids it produces, e.g.
 * `char tokeniser (default alphabet ↵ ␣ ! ' , . ? A–Z a–z): 59 characters +
 * unknown, ids 0–59 of the embedding's 64` for a model not trained on a
 * text. A vocabulary tokeniser's `vocabSize` counts its pieces and the
 * unknown id 0, so that is what "ids" counts; an embedding with more rows
 * leaves the rest unused, which the text says rather than implying the
 * tokeniser has as many ids as the embedding. A masked language model's
 * text ends with the id typed `[MASK]`s are fed as (`; [MASK] is id 60`).
 */
export function tokenizerText(t: Tokenizer | undefined, origin: TokenizerOrigin): string {
  if (!t) return 'no token input';
  const base = tokenizerBase(t, origin);
  return origin.maskId === undefined ? base : `${base}; ${MASK_TOKEN} is id ${origin.maskId}`;
}

function tokenizerBase(t: Tokenizer, origin: TokenizerOrigin): string {
  const V = origin.embeddingVocab;
  const of = V === undefined ? '' : t.vocabSize === V ? `, all ${groupedPlural(V, 'id')} of the embedding` : `, ids 0–${t.vocabSize - 1} of the embedding's ${V.toLocaleString('en-US')}`;
  const source = origin.trained ? ' of the training text' : '';
  switch (t.kind) {
    case 'gpt2':
      return `GPT-2 BPE tokeniser: ${groupedPlural(t.vocabSize, 'id')}${V !== undefined && V !== t.vocabSize ? ` (the embedding has ${V.toLocaleString('en-US')})` : ''}`;
    case 'ids':
      return V === undefined
        ? 'no embedding: the typed whole numbers are fed as they are'
        : `token ids typed as numbers 0–${t.vocabSize - 1} (the embedding has ${groupedPlural(V, 'row')}; too few for characters)`;
    case 'char': {
      const pieces = t.tokens(Array.from({ length: t.vocabSize - 1 }, (_, i) => i + 1));
      // Without a training text the alphabet is a default one: say which characters it knows, since others encode as unknown.
      const alphabet = origin.trained ? '' : ` (default alphabet ${charSetText(pieces)})`;
      return `char tokeniser${source}${alphabet}: ${groupedPlural(pieces.length, 'character')} + unknown${of}`;
    }
    case 'word':
      return `word tokeniser${source}: ${groupedPlural(t.vocabSize - 1, 'word')} and marks + unknown${of}`;
    case 'bpe':
      // As the merge list counts them (tokensModel.ts mergeSummary): the pieces, then the unknown id 0.
      return `BPE tokeniser${source}: ${groupedPlural(t.vocabSize - 1, 'piece')} + unknown${of}`;
    default: {
      const never: never = t.kind;
      return String(never);
    }
  }
}

/** How an image input becomes a sequence: non-overlapping patches cut by a convolution whose stride equals its kernel (a ViT's patch embedding). */
export interface Patches {
  /** Patch height and width in pixels. */
  size: [number, number];
  /** Patches down and across. */
  grid: [number, number];
}

/**
 * The patch embedding fed by input node `inputId`: the first `conv2d` it
 * feeds directly whose kernel equals its stride and output size is known
 * for `dims`. Undefined when there is none (the image reaches attention some
 * other way, e.g. a CNN's feature map).
 */
export function patchesOf(graph: Graph, inputId: number, dims: Readonly<Record<string, number>>): Patches | undefined {
  for (const n of graph.nodes) {
    if (n.kind !== 'layer' || n.op !== 'conv2d' || n.inputs[0] !== inputId) continue;
    const pair = (v: unknown): [number, number] | undefined => {
      const a = Array.isArray(v) ? v : [v];
      const [h, w = h] = a;
      return typeof h === 'number' && typeof w === 'number' ? [h, w] : undefined;
    };
    const kernel = pair(n.args['kernel']);
    const stride = pair(n.args['stride']);
    const [gh, gw] = n.shape.dims.slice(0, 2).map((d) => d.evaluate(dims));
    if (!kernel || !stride || kernel[0] !== stride[0] || kernel[1] !== stride[1] || gh === undefined || gw === undefined) continue;
    return { size: kernel, grid: [gh, gw] };
  }
  return undefined;
}

/**
 * What one input is fed with, for the info line: `input tokens: 11 tokens`,
 * `input image [32, 32, 3] (a built-in sample): 64 patches of 4 × 4`.
 * `tokens` is the number of tokens fed (token inputs); `patches` the patch
 * embedding of an image input, if it has one; `sample` whether the image is
 * a built-in sample rather than the current image; `shape` the shape fed
 * where the input's own has open (symbolic) dimensions.
 */
export function inputText(plan: InputPlan, fed: { tokens?: number; patches?: Patches; sample?: boolean; shape?: readonly number[] }): string {
  const shape = `[${(fed.shape ?? plan.shape).map((d) => (d === null ? '?' : String(d))).join(', ')}]`;
  switch (plan.kind) {
    case 'tokens':
      return `input ${plan.name}: ${groupedPlural(fed.tokens ?? 0, 'token')}`;
    case 'image': {
      const which = fed.sample ? 'a built-in sample' : 'the current image';
      const p = fed.patches;
      const cut = p ? `: ${groupedPlural(p.grid[0] * p.grid[1], 'patch', 'patches')} of ${p.size[0]} × ${p.size[1]} pixels (${p.grid[0]} × ${p.grid[1]})` : '';
      return `input ${plan.name} ${shape}, ${which}${cut}`;
    }
    case 'signal':
    case 'vector':
      return `input ${plan.name} ${shape}: random values`;
    default:
      return `input ${plan.name} ${shape}`;
  }
}

/**
 * The texts typed into the attention view's boxes, kept across re-renders
 * (an edit, another backend, trained weights), per model and input port:
 * the view of another model starts from that model's last text, or its
 * default, never from the text typed for the model shown before. `model`
 * names the model with its document (`typedTextsKey`).
 */
export class TypedTexts {
  private readonly byModel = new Map<string, Map<number, string>>();

  get(model: string, port: number): string | undefined {
    return this.byModel.get(model)?.get(port);
  }

  set(model: string, port: number, text: string): void {
    let texts = this.byModel.get(model);
    if (!texts) this.byModel.set(model, (texts = new Map()));
    texts.set(port, text);
  }
}

/** A model as TypedTexts keeps its texts: its document and its name (two files may each have a model 'M'). */
export function typedTextsKey(uri: string, model: string): string {
  return `${uri}#${model}`;
}

/** How far (as a fraction of 1/n) a weight may be from the uniform 1/n over the n keys its query sees, in a "nearly uniform" head. */
export const UNIFORM_TOLERANCE = 0.25;

/** The part of an attention map (webview/probes/attention.ts `AttentionMap`) the uniformity check reads. */
export interface HeadWeights {
  heads: number;
  queries: number;
  keys: number;
  causal: boolean;
  /** `[heads][queries][keys]` row-major. */
  data: ArrayLike<number>;
}

/**
 * The heads whose attention is nearly uniform: every query gives each key it
 * sees (all keys; with a causal mask, itself and the earlier ones) within
 * `UNIFORM_TOLERANCE` of 1/n, n the keys it sees. What untrained weights
 * give: query and key projections of small random values make every score
 * about equal, so each heatmap is one flat colour.
 */
export function uniformHeads(map: HeadWeights): number[] {
  const out: number[] = [];
  for (let h = 0; h < map.heads; h++) {
    let uniform = true;
    for (let i = 0; i < map.queries && uniform; i++) {
      const seen = map.causal ? Math.min(map.keys, i + 1) : map.keys;
      const row = (h * map.queries + i) * map.keys;
      for (let j = 0; j < seen; j++) {
        const w = map.data[row + j];
        if (!(Math.abs(w * seen - 1) <= UNIFORM_TOLERANCE)) {
          uniform = false;
          break;
        }
      }
    }
    if (uniform) out.push(h);
  }
  return out;
}

/** What a uniform head gives each key: one number when no causal mask, 1/n of the n tokens a query sees with one. */
function uniformShare(map: HeadWeights): string {
  const n = map.keys;
  return map.causal
    ? 'each query gives ≈1/n to each of the n tokens it sees: itself and those before it'
    : `each of the ${n} tokens gets ≈1/${n}${n > 1 ? ` ≈ ${(1 / n).toPrecision(2)}` : ''}`;
}

/** Said after a flat head's note when each head's colours are stretched to its largest weight (the scale's option). */
const STRETCHED =
  ' With each head’s colours stretched to its largest weight, the scale stretches the small differences left over the whole range: they are noise of the random initial weights, not patterns.';

/**
 * The note under a layer's heatmaps when the model holds its initial
 * (untrained) weights and some heads are nearly uniform, or undefined:
 * why the heads look flat, and what shows patterns. `perHead`: each head's
 * colours are stretched to its largest weight, which spreads the small
 * differences of a flat head over every colour.
 */
export function untrainedAttentionText(map: HeadWeights, uniform: number, perHead: boolean): string | undefined {
  if (uniform === 0) return undefined;
  const where = uniform === map.heads ? (map.heads === 1 ? '' : ' in every head') : ` in ${uniform} of ${map.heads} heads`;
  return `Untrained: attention is nearly uniform${where} (${uniformShare(map)}); train the model or load weights to see patterns.${perHead ? STRETCHED : ''}`;
}

/** The weights a model holds, as the uniform-model note tells them apart (views/types.ts `WeightsState`). */
export type WeightsKind = 'trained' | 'random' | 'zeros' | undefined;

/**
 * The one note above the heatmaps when every head of every attention layer
 * (two or more) is nearly uniform (`uniformHeads`), or undefined: then each
 * heatmap is the same flat square, and the view draws one row of the first
 * layer (`collapsed`) rather than a wall of them. `weights`: zeros say the
 * weights are all zero (a model too large to initialise at random), random
 * ones that it is untrained. `perHead` as in `untrainedAttentionText`.
 */
export function uniformModelText(maps: readonly HeadWeights[], weights: WeightsKind, perHead: boolean, collapsed: boolean): string | undefined {
  if (maps.length < 2 || !maps.every((m) => uniformHeads(m).length === m.heads)) return undefined;
  const heads = maps.reduce((s, m) => s + m.heads, 0);
  const first = maps[0];
  const alike = maps.every((m) => m.causal === first.causal && m.keys === first.keys);
  const share = alike ? uniformShare(first) : 'each query spreads its weight evenly over the tokens it sees';
  const every = `every one of the ${heads} heads in all ${maps.length} layers`;
  const shown = collapsed ? ' One row of layer 1 is drawn below: the other heads look the same.' : '';
  if (weights === 'zeros') return `The weights are all zero, so ${every} gives each token the same weight (${share}): load trained weights to see patterns.${shown}`;
  if (weights === 'random') return `Untrained: attention is nearly uniform in ${every} (${share}); train the model or load weights to see patterns.${shown}${perHead ? STRETCHED : ''}`;
  return `Attention is nearly uniform in ${every} (${share}).${shown}`;
}

/**
 * The info line's count of attention layers and heads: `1 layer, 4 heads`;
 * with more layers, `4 layers, 16 heads in all`, so the total is not read
 * as the heads of each layer (each layer's header says its own).
 */
export function headCountText(headsPerLayer: readonly number[]): string {
  const heads = headsPerLayer.reduce((s, h) => s + h, 0);
  const layers = headsPerLayer.length;
  return `${groupedPlural(layers, 'layer')}, ${groupedPlural(heads, 'head')}${layers > 1 ? ' in all' : ''}`;
}

/** The note of a model without attention layers: what the view needs, and examples that have it. */
export const NO_ATTENTION_TEXT =
  'This model has no attention layers, so there is nothing to draw here. Open a model with attention, e.g. examples/gpt_small.nnmodel (a small GPT) or examples/vit.nnmodel (a vision transformer), to see what each head looks at.';

/**
 * The info line's note when ids typed into a token box are not ids of the
 * vocabulary (`x`, `99` with 16 ids, `-3`): the id tokeniser reads each as
 * 0, which the heatmaps, the next-token strip and Decode's answer then
 * show, so it is said; undefined when every item is an id (or the
 * tokeniser is not the ids one: the Tokens panel warns of unknown text).
 */
export function invalidIdsText(t: Tokenizer, name: string, text: string): string | undefined {
  if (t.kind !== 'ids') return undefined;
  const bad = unknownPieces(t, text);
  if (bad.length === 0) return undefined;
  const shown = bad.slice(0, 5).map((p) => `“${p}”`).join(', ') + (bad.length > 5 ? ', …' : '');
  return `${name}: ${shown} ${bad.length === 1 ? 'is not an id' : 'are not ids'} 0–${t.vocabSize - 1}, read as 0`;
}
