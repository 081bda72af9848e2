/**
 * The attention view for a masked language model (`mask: 0.15` in the train
 * section, or trained weights whose checkpoint records
 * `nnmodel.objective.mask`), without the DOM: the user types `[MASK]`
 * where a token is to be filled; the rest of the text is encoded by the
 * tokeniser and each `[MASK]` becomes the mask id (one past the
 * tokeniser's ids, as runtime/masking.ts trains it); the model's
 * distribution is read at each masked position; Fill writes a predicted
 * token in place of its `[MASK]`. Unit tested in Node
 * (test/unit/attention-masked.test.ts); drawn by output.ts `maskStrip`.
 *
 * `[MASK]` is typed literally (any case), as BERT writes it and as the
 * checkpoint and the training messages name it: a placeholder character
 * such as `_` would be a character of many texts (and of the char
 * tokeniser's alphabets), so it could not be told from a typed one.
 */
import { temperatureSoftmax } from '../../extension/core/runtime/generate';
import { MASK_TOKEN } from '../../extension/core/runtime/masking';
import { UNKNOWN_TOKEN, type Tokenizer } from '../../extension/core/runtime/tokenizers';
import { tokenSpans, type TokenSpan } from './tokensModel';
import { topK, visibleToken, type Ranked } from './outputModel';

export { MASK_TOKEN };

/** `[MASK]` as typed: any case (`[mask]` too). A new RegExp per use: it is global. */
const maskPattern = () => /\[mask\]/gi;

/**
 * Whether the model is shown as a masked language model, and its masking
 * rate: trained weights answer for themselves (their checkpoint's
 * `objective.mask`, undefined for weights trained by next-token
 * prediction, whatever the section says now); initial weights follow the
 * train section's `mask`.
 */
export function maskedObjective(sectionMask: number | undefined, weights: { kind: 'trained'; mask?: number } | { kind: 'initial' } | undefined): number | undefined {
  if (weights?.kind === 'trained') return weights.mask;
  return sectionMask;
}

/** The pieces of a typed text: the runs of text between masks, and the masks (`[start, end)` in the text). */
export interface MaskedPiece {
  mask: boolean;
  start: number;
  end: number;
}

/** `text` cut at each `[MASK]`: text runs (possibly none between two masks) and masks, in order, covering the text. */
export function maskedPieces(text: string): MaskedPiece[] {
  const out: MaskedPiece[] = [];
  let at = 0;
  for (const m of text.matchAll(maskPattern())) {
    if (m.index! > at) out.push({ mask: false, start: at, end: m.index! });
    out.push({ mask: true, start: m.index!, end: m.index! + m[0].length });
    at = m.index! + m[0].length;
  }
  if (at < text.length) out.push({ mask: false, start: at, end: text.length });
  return out;
}

/** `text` without its `[MASK]`s, each replaced by `separator` (the rest is what the tokeniser reads: for the notes on unknown pieces; typed ids need a space). */
export function withoutMasks(text: string, separator = ''): string {
  return text.replace(maskPattern(), separator);
}

/** The ids of a typed text and where its masks are. */
export interface MaskedEncoding {
  ids: number[];
  /** The positions (indices into `ids`) of the masks, in order. */
  masks: number[];
}

/**
 * Encodes `text` for a masked language model: each run of text between the
 * `[MASK]`s with `tokenizer`, each `[MASK]` as `maskId`.
 */
export function encodeMasked(tokenizer: Pick<Tokenizer, 'encode'>, text: string, maskId: number): MaskedEncoding {
  const ids: number[] = [];
  const masks: number[] = [];
  for (const p of maskedPieces(text)) {
    if (p.mask) {
      masks.push(ids.length);
      ids.push(maskId);
    } else ids.push(...tokenizer.encode(text.slice(p.start, p.end)));
  }
  return { ids, masks };
}

/**
 * The tokens of `text` with the part of the text each covers (tokensModel.ts
 * `tokenSpans`), a `[MASK]` being one token of id `maskId`; undefined for a
 * tokeniser whose tokens are not pieces of the text.
 */
export function maskedSpans(tokenizer: Tokenizer, text: string, maskId: number): TokenSpan[] | undefined {
  if (tokenSpans(tokenizer, '') === undefined) return undefined;
  const out: TokenSpan[] = [];
  for (const p of maskedPieces(text)) {
    if (p.mask) out.push({ id: maskId, start: p.start, end: p.end });
    else for (const s of tokenSpans(tokenizer, text.slice(p.start, p.end))!) out.push({ id: s.id, start: s.start + p.start, end: s.end + p.start });
  }
  return out;
}

/** The labels of `ids` (an axis of the heatmaps): the tokeniser's text, white space visible, and `[MASK]` for `maskId`. */
export function maskedLabels(tokenizer: Tokenizer, ids: readonly number[], maskId: number): string[] {
  const texts = tokenizer.tokens(ids);
  return ids.map((id, i) => (id === maskId ? MASK_TOKEN : id >= tokenizer.vocabSize ? `id ${id}` : visibleToken(texts[i])));
}

/** The model's prediction at one masked position. */
export interface MaskPrediction {
  /** Which `[MASK]` of the text (0 = the first typed). */
  mask: number;
  /** Its position in the model's input. */
  position: number;
  /** The probabilities over the vocabulary at that position (softmax of logits; a softmax output as it is). */
  probs: Float64Array;
  /** The `k` most likely tokens there. */
  top: Ranked[];
}

/**
 * The predictions at the masked `positions` from one example's output
 * (`values`, `[length, vocab]` row-major, as the model gives it: `logits`
 * or `probabilities`): a position at or past `length` (cut off) gives none.
 */
export function maskPredictions(values: ArrayLike<number>, length: number, vocab: number, positions: readonly number[], kind: 'logits' | 'probabilities', k: number): MaskPrediction[] {
  if (values.length < length * vocab) throw new RangeError(`the output has ${values.length} values, not ${length} × ${vocab}`);
  const out: MaskPrediction[] = [];
  positions.forEach((position, mask) => {
    if (position < 0 || position >= length) return;
    const row = Array.prototype.slice.call(values, position * vocab, (position + 1) * vocab) as number[];
    const probs = temperatureSoftmax(row, kind);
    out.push({ mask, position, probs, top: topK(probs, k) });
  });
  return out;
}

/** Whether `id` can be written into the text (not the unknown token, not `[MASK]`, not an id the tokeniser has no text for). */
export function fillable(tokenizer: Tokenizer, id: number, maskId: number): boolean {
  return id !== maskId && id >= 0 && id < tokenizer.vocabSize && tokenizer.tokens([id])[0] !== UNKNOWN_TOKEN;
}

/** The token Fill writes: the most likely one that can be written (`fillable`); undefined when none can. */
export function fillChoice(probs: ArrayLike<number>, tokenizer: Tokenizer, maskId: number): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < probs.length; i++) {
    if ((best === undefined || probs[i] > probs[best]) && fillable(tokenizer, i, maskId)) best = i;
  }
  return best;
}

/**
 * `text` with its `mask`-th `[MASK]` (0-based) replaced by token `id` as the
 * tokeniser writes it (typed ids are numbers); `text` itself when it has no
 * such mask.
 */
export function filledText(text: string, mask: number, tokenizer: Tokenizer, id: number): string {
  const m = maskedPieces(text).filter((p) => p.mask)[mask];
  if (!m) return text;
  const written = tokenizer.kind === 'ids' ? String(id) : tokenizer.decode([id]);
  return text.slice(0, m.start) + written + text.slice(m.end);
}

/** The note shown when no `[MASK]` is typed (or every one was cut off). */
export function noMaskText(cut: boolean): string {
  return cut
    ? `Every ${MASK_TOKEN} is past the tokens the model reads: put one earlier in the text.`
    : `Type ${MASK_TOKEN} where a token is hidden (e.g. “the c${MASK_TOKEN}t sat”): the model fills each from the tokens on both sides of it.`;
}

/** The title of one mask's predictions: which mask, its position, and the tokens around it. */
export function maskTitle(p: Pick<MaskPrediction, 'mask' | 'position'>, labels: readonly string[]): string {
  const before = p.position > 0 ? labels[p.position - 1] : undefined;
  const after = p.position + 1 < labels.length ? labels[p.position + 1] : undefined;
  const around = before !== undefined && after !== undefined ? `between “${before}” and “${after}”` : before !== undefined ? `after “${before}”` : after !== undefined ? `before “${after}”` : 'alone';
  return `${MASK_TOKEN} ${p.mask + 1} at position ${p.position}, ${around}`;
}
