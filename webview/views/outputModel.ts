/**
 * The inspector's output strip without the DOM: whether the model's output
 * is a class vector or a next-token distribution, whether it is already a
 * softmax (or sigmoid) or logits, the top k (the softmax with a temperature
 * is core/runtime/generate.ts `temperatureSoftmax`, which sampling uses too),
 * and the texts of its rows; and reading one example's output (tfjs, no
 * DOM). Unit tested in Node (test/unit/output-strip.test.ts);
 * drawn by webview/views/output.ts under Feature maps (classes) and
 * Attention (next token).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import type { Graph, GraphNode, ModelInfo, TrainConfig } from '../../extension/core/analysis/types';
import type { Tf } from '../../extension/core/layers/types';
import { temperatureSoftmax } from '../../extension/core/runtime/generate';
import { UNKNOWN_TOKEN, type Tokenizer } from '../../extension/core/runtime/tokenizers';

/**
 * How the model's (first) output ends: `softmax` probabilities that sum to
 * 1; `sigmoid` probabilities each on its own; `logits` from a linear layer
 * (`dense` without activation, `unembed`); `other` for anything else (relu,
 * tanh, a normalisation, a merge...), which is not a class score.
 */
export type OutputActivation = 'softmax' | 'sigmoid' | 'logits' | 'other';

/** Layers whose output without an activation is a linear score (logits). */
const LINEAR_OPS = new Set(['dense', 'unembed']);
/** Categories that are the identity at inference (looked through to the layer before). */
const IDENTITY_CATEGORIES = new Set(['regularization', 'augmentation']);

/** How `graph`'s first output ends, looking into the last repeat of a block and through dropout and augmentation. */
export function outputActivation(graph: Graph): OutputActivation {
  let g = graph;
  let id: number | undefined = graph.outputs[0];
  for (let guard = 0; guard < 10_000 && id !== undefined; guard++) {
    const node: GraphNode | undefined = g.nodes.find((n) => n.id === id);
    if (!node || node.kind === 'input') return 'other';
    if (node.kind === 'group') {
      const body = node.runs[node.runs.length - 1]?.body;
      if (!body) return 'other';
      g = body;
      id = body.outputs[0];
      continue;
    }
    if (node.op === 'softmax') return 'softmax';
    if (node.op === 'sigmoid') return 'sigmoid';
    if (IDENTITY_CATEGORIES.has(node.category)) {
      id = node.inputs[0];
      continue;
    }
    const act = node.args['activation'];
    if (typeof act === 'string' && act !== 'none' && act !== 'linear') return act === 'softmax' ? 'softmax' : act === 'sigmoid' ? 'sigmoid' : 'other';
    return LINEAR_OPS.has(node.op) ? 'logits' : 'other';
  }
  return 'other';
}

/** What the output strip shows for a model, or why it shows nothing (`reason`). */
export type OutputPlan =
  | { kind: 'classes'; classes: number; activation: 'softmax' | 'sigmoid' | 'logits' }
  | { kind: 'tokens'; vocab: number; activation: 'softmax' | 'logits' }
  | { kind: 'none'; reason: string };

/** Losses that train a class output (anything else, e.g. mse, means the scores are values, not classes). */
const CLASS_LOSSES: ReadonlySet<string> = new Set<TrainConfig['loss']>(['crossentropy', 'binary_crossentropy']);

/**
 * What the model's first output is, with the symbolic dimensions in `dims`:
 * `classes` for a `[N]` softmax, logits (N ≥ 2) or sigmoid; `tokens` for a
 * `[seq, vocab]` softmax or logits of a model with a token input (a
 * language model). `loss`, the train section's loss when there is one,
 * rules out scores trained as values (`mse`, `mae`, ...).
 */
export function outputPlan(info: ModelInfo, dims: Readonly<Record<string, number>>, loss?: string): OutputPlan {
  const out = info.outputs[0];
  if (!out) return { kind: 'none', reason: 'the model has no output' };
  const activation = outputActivation(info.graph);
  const shape = out.shape.dims.map((d) => d.evaluate(dims));
  const shapeText = `[${out.shape.dims.map((d) => d.toString()).join(', ')}]`;
  if (activation === 'other') return { kind: 'none', reason: `the output ${shapeText} is not a softmax, sigmoid or linear layer's scores` };
  if (loss !== undefined && !CLASS_LOSSES.has(loss)) return { kind: 'none', reason: `the model is trained with loss: ${loss}, so its output is not class scores` };
  const last = shape[shape.length - 1];
  if (last === undefined) return { kind: 'none', reason: `the output ${shapeText} has no known size` };
  if (shape.length === 1) {
    if (activation === 'sigmoid' ? last >= 1 : last >= 2) return { kind: 'classes', classes: last, activation };
    return { kind: 'none', reason: `the output ${shapeText} has a single score` };
  }
  const tokenInput = info.graph.nodes.some((n) => n.kind === 'input' && n.shape.isInt === true && n.shape.dims.length === 1);
  if (shape.length === 2 && tokenInput && activation !== 'sigmoid' && last >= 2) return { kind: 'tokens', vocab: last, activation };
  return { kind: 'none', reason: `the output ${shapeText} is neither a class vector nor a next-token distribution` };
}

/**
 * Why an image model whose output looks like class scores (softmax, sigmoid
 * or logits) shows no top classes, when the reason is the classic mistake of
 * a missing `flatten`: the output still has positions (`[6, 6, 10]`: 10
 * scores at each of 6 × 6 positions) that are not the image's own (a
 * per-pixel map the size of the image, as a U-Net gives, is meant that way
 * and gets no note). Undefined when the strip is shown or the reason is
 * another.
 */
export function perPositionNote(info: ModelInfo, dims: Readonly<Record<string, number>>, loss?: string): string | undefined {
  if (outputPlan(info, dims, loss).kind !== 'none') return undefined;
  if (loss !== undefined && !CLASS_LOSSES.has(loss)) return undefined;
  const activation = outputActivation(info.graph);
  if (activation === 'other') return undefined;
  const out = info.outputs[0];
  const image = info.inputs.find((i) => i.shape.isInt !== true && i.shape.dims.length === 3);
  if (!out || !image || out.shape.dims.length < 2) return undefined;
  const shape = out.shape.dims.map((d) => d.evaluate(dims));
  if (shape.some((d) => d === undefined)) return undefined;
  const sizes = shape as number[];
  const positions = sizes.slice(0, -1);
  const scores = sizes[sizes.length - 1];
  const imageSides = image.shape.dims.slice(0, 2).map((d) => d.evaluate(dims));
  if (positions.length === 2 && positions.every((p, i) => p === imageSides[i])) return undefined;
  const ending = activation === 'logits' ? '' : ` -> ${activation}`;
  return (
    `No top classes: the output [${sizes.join(', ')}] has ${scores.toLocaleString('en-US')} ${scores === 1 ? 'score' : 'scores'} at each of its ${positions.join(' × ')} positions, not one set for the whole image. ` +
    `A classifier flattens before its last dense layer: -> flatten -> dense(${scores})${ending} (or global_avgpool instead of flatten).`
  );
}

/** A sigmoid output's values as probabilities: each clamped to [0, 1] (float rounding), non-finite ones 0. */
export function clampProbabilities(scores: ArrayLike<number>): Float64Array {
  return Float64Array.from(Array.from(scores, (s) => (Number.isFinite(s) ? Math.min(1, Math.max(0, s)) : 0)));
}

export interface Ranked {
  index: number;
  p: number;
}

/** The `k` largest entries of `probs`, largest first; ties in index order. */
export function topK(probs: ArrayLike<number>, k: number): Ranked[] {
  const out: Ranked[] = [];
  if (k <= 0) return out;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i];
    if (out.length === k && !(p > out[k - 1].p)) continue;
    let j = out.length < k ? out.length : k - 1;
    out[j] = { index: i, p };
    while (j > 0 && out[j].p > out[j - 1].p) {
      [out[j], out[j - 1]] = [out[j - 1], out[j]];
      j--;
    }
  }
  return out;
}

/**
 * The class rows of a class output: top `k` of `scores` (the output for
 * one example) as probabilities. A single sigmoid unit is a yes/no
 * question: two rows, class 1 with p and class 0 with 1 − p.
 */
export function classRows(scores: ArrayLike<number>, activation: 'softmax' | 'sigmoid' | 'logits', k = 5): Ranked[] {
  if (activation === 'sigmoid') {
    const p = clampProbabilities(scores);
    if (p.length === 1) return topK([1 - p[0], p[0]], k);
    return topK(p, k);
  }
  return topK(temperatureSoftmax(scores, activation === 'logits' ? 'logits' : 'probabilities'), k);
}

/**
 * The names of `n` classes: those of the data the weights were trained on
 * when they fit (as many as the output has, or two for a single sigmoid
 * unit), else `class 0` … `class n−1`.
 */
export function classNames(n: number, trained: readonly string[] | undefined, activation?: OutputActivation): string[] {
  const count = activation === 'sigmoid' && n === 1 ? 2 : n;
  if (trained && trained.length === count) return [...trained];
  return Array.from({ length: count }, (_, i) => `class ${i}`);
}

/** A probability as a percentage for a bar: `92 %`, `4.3 %`, `< 0.1 %`, `0 %`. */
export function percentText(p: number): string {
  const v = p * 100;
  if (!(v > 0)) return '0 %';
  if (v >= 9.95) return `${Math.round(v)} %`;
  if (v >= 0.05) return `${v.toFixed(1)} %`;
  return '< 0.1 %';
}

/** What the strip says about how the probabilities are made from the output. */
export function activationText(activation: 'softmax' | 'sigmoid' | 'logits', n: number, what: 'classes' | 'tokens'): string {
  const of = what === 'classes' ? `${n.toLocaleString('en-US')} classes` : `${n.toLocaleString('en-US')} tokens`;
  switch (activation) {
    case 'softmax':
      return `softmax output over ${of}`;
    case 'logits':
      return `logits over ${of}: softmax applied here`;
    case 'sigmoid':
      return n === 1 ? 'one sigmoid output: the probability of class 1' : `sigmoid outputs for ${of}: each a probability on its own (they need not sum to 100 %)`;
  }
}

/** A token's text with white space made visible (as the attention view writes its axes): `␣`, `↵`, `⇥`; the empty string `∅`. */
export function visibleToken(s: string): string {
  return s === '' ? '∅' : s.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥');
}

/** Whether token `id` can be typed (the unknown token cannot: it decodes to nothing the model would read back as it). */
export function typable(tokenizer: Tokenizer, id: number): boolean {
  return tokenizer.tokens([id])[0] !== UNKNOWN_TOKEN;
}

/**
 * The label of each id of a next-token list: the tokeniser's text with
 * white space made visible, or `id N` for an id at or past its `vocabSize`,
 * a row of an embedding larger than the vocabulary that no text encodes to
 * (the tokeniser names those `<unk>` like its unknown token, so several in
 * one list read as one token repeated).
 */
export function tokenLabels(tokenizer: Tokenizer, ids: readonly number[]): string[] {
  const texts = tokenizer.tokens(ids);
  return ids.map((id, i) => (id >= tokenizer.vocabSize ? `id ${id}` : visibleToken(texts[i])));
}

/** Why a token of the list cannot be appended: the unknown token, or an id no text encodes to. */
export function untypableText(tokenizer: Tokenizer, id: number): string {
  if (id < tokenizer.vocabSize) return 'The unknown token: there is no text to append';
  return `No text encodes to id ${id}: the tokeniser has ${tokenizer.vocabSize.toLocaleString('en-US')} ids (0–${(tokenizer.vocabSize - 1).toLocaleString('en-US')}); the embedding's other rows are never read`;
}

/**
 * The line above the next-token list: the most likely token after `after`,
 * or, when every token is equally likely (zero weights give exactly that),
 * that no token is more likely than another.
 */
export function nextTokenSummary(after: string, top: { label: string; p: number } | undefined, probs: ArrayLike<number>, temperature: number): string {
  if (!top) return '';
  const at = `at temperature ${temperature.toFixed(2)}`;
  let min = Infinity;
  for (let i = 0; i < probs.length; i++) min = Math.min(min, probs[i]);
  if (probs.length > 1 && top.p - min <= 1e-9 * top.p) {
    return `After “${visibleToken(after)}”: every one of the ${probs.length.toLocaleString('en-US')} tokens is equally likely (${percentText(top.p)} each) ${at}`;
  }
  return `After “${visibleToken(after)}”, most likely: “${top.label}” (${percentText(top.p)}) ${at}`;
}

/**
 * `text` with token `id` appended as the tokeniser writes it: what
 * decoding the text's tokens plus `id` adds to decoding them alone (a word
 * tokeniser puts a space before a word, none before closing punctuation),
 * else the token's own text. Typed ids get a separating space.
 */
export function appendedText(text: string, tokenizer: Tokenizer, id: number): string {
  if (tokenizer.kind === 'ids') return text.trim() === '' ? String(id) : `${text.replace(/\s+$/, '')} ${id}`;
  const ids = tokenizer.encode(text);
  const before = tokenizer.decode(ids);
  const after = tokenizer.decode([...ids, id]);
  return text + (after.startsWith(before) ? after.slice(before.length) : tokenizer.tokens([id])[0]);
}

/** The temperature slider's range and default. */
export const TEMPERATURE = { min: 0.1, max: 2, step: 0.05, initial: 1 } as const;

/** A slider value as a temperature in range (a value that is not a number gives the default). */
export function temperatureOf(value: string | number): number {
  const t = typeof value === 'number' ? value : Number.parseFloat(value);
  if (!Number.isFinite(t)) return TEMPERATURE.initial;
  return Math.min(TEMPERATURE.max, Math.max(TEMPERATURE.min, t));
}

/** What the temperature does at `t`, after its value: `1.00 (the model's own distribution)`. */
export function temperatureText(t: number): string {
  const v = t.toFixed(2);
  if (Math.abs(t - 1) < 1e-9) return `${v} (the model's own distribution)`;
  return t < 1 ? `${v} (sharper: likely tokens more likely)` : `${v} (flatter: unlikely tokens more likely)`;
}

/** The note for weights that were never trained: `random` seeded ones, or `zeros` (models too large to initialise at random). */
export function untrainedText(init: 'random' | 'zeros'): string {
  return init === 'zeros'
    ? 'zero weights (the model is too large to initialise at random here), so every answer is equally likely: load trained weights to see a prediction'
    : 'random weights: load trained weights to see a prediction';
}

/**
 * The first example of the model's first output for `inputs`, flattened
 * (`[classes]`, or `[positions × vocab]`). Every tensor made here is disposed.
 */
export function firstOutput(tf: Tf, model: tfTypes.LayersModel, inputs: tfTypes.Tensor | tfTypes.Tensor[]): Float32Array {
  return tf.tidy(() => {
    const out = model.predict(inputs);
    const first = Array.isArray(out) ? out[0] : out;
    return Float32Array.from(tf.slice(first, 0, 1).dataSync());
  });
}
