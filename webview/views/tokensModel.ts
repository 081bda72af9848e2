/**
 * The logic of the Tokens panel of the attention view (tokens.ts): where
 * each token of a typed text starts and ends, the rows of a BPE's merge
 * list, and the tokens whose embedding rows are nearest a token's by cosine
 * similarity. Pure TypeScript, no DOM (unit tested).
 */
import { UNKNOWN_TOKEN, unknownPiecesWarning, type BpeModel, type Tokenizer } from '../../extension/core/runtime/tokenizers';
import { plural } from '../../extension/core/plural';

/** One token of a typed text: its id and the characters of the text it covers (UTF-16 offsets, `end` exclusive). */
export interface TokenSpan {
  id: number;
  start: number;
  end: number;
}

/**
 * The tokens of `text` with the part of the text each covers, for the
 * tokenisers whose tokens are pieces of the text: char and BPE (the pieces
 * concatenate to the text; an unknown token is one character) and word
 * (spaces between words belong to no token). Undefined for the others
 * (GPT-2's tokens are bytes, the id tokeniser's are numbers).
 */
export function tokenSpans(tokenizer: Tokenizer, text: string): TokenSpan[] | undefined {
  if (tokenizer.kind !== 'char' && tokenizer.kind !== 'bpe' && tokenizer.kind !== 'word') return undefined;
  const ids = tokenizer.encode(text);
  const pieces = tokenizer.tokens(ids);
  const spans: TokenSpan[] = [];
  let at = 0;
  for (let i = 0; i < ids.length; i++) {
    if (tokenizer.kind === 'word') {
      // Skip the spaces before the word; an unknown word is the run of text up to the next space or known piece.
      while (at < text.length && /\s/u.test(text[at]) && text[at] !== '\n') at++;
      const piece = ids[i] === 0 ? undefined : pieces[i];
      if (piece !== undefined && text.startsWith(piece, at)) {
        spans.push({ id: ids[i], start: at, end: at + piece.length });
        at += piece.length;
      } else {
        // The word tokeniser's unknown piece: the same word pattern it split by, read from the text.
        const m = /\n|[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*|[^\s\p{L}\p{N}\p{M}]/uy;
        m.lastIndex = at;
        const hit = m.exec(text);
        const end = hit ? at + hit[0].length : Math.min(text.length, at + 1);
        spans.push({ id: ids[i], start: at, end });
        at = end;
      }
      continue;
    }
    // char and BPE: a known token is its own text; the unknown token stands for one character (code point).
    const length = ids[i] === 0 || pieces[i] === UNKNOWN_TOKEN ? String.fromCodePoint(text.codePointAt(at) ?? 0xfffd).length : pieces[i].length;
    spans.push({ id: ids[i], start: at, end: Math.min(text.length, at + length) });
    at += length;
  }
  return spans;
}

/**
 * How many tokens the model reads of a typed text and from which end: at
 * most `length`; a language model its `last` ones (the next token follows
 * the end of the text, as generation reads it), other models their
 * `first` ones (attention.ts feeds them so).
 */
export interface TokenLimit {
  length: number;
  keep: 'first' | 'last';
}

/** The tokens of a text the model reads (`[start, end)` of its `count` tokens) and the note that says so. */
export interface SeenTokens {
  start: number;
  end: number;
  note: string;
}

/**
 * Which of a text's `count` tokens the model reads under `limit`, and the
 * Tokens panel's note on the others (dimmed there); undefined when it reads
 * them all.
 */
export function seenTokens(count: number, limit: TokenLimit | undefined): SeenTokens | undefined {
  if (!limit || !(limit.length >= 1) || count <= limit.length) return undefined;
  const dropped = count - limit.length;
  const last = limit.keep === 'last';
  const others = dropped === 1 ? `the ${last ? 'first' : 'last'} token (dimmed) is left out` : `the ${last ? 'first' : 'last'} ${dropped} tokens (dimmed) are left out`;
  const note = `The model sees the ${last ? 'last' : 'first'} ${plural(limit.length, 'token')}: ${others}.`;
  return last ? { start: dropped, end: count, note } : { start: 0, end: limit.length, note };
}

/** One learned merge: its rank (1 = first learned), the pair, the new symbol, how often the pair occurred when merged. */
export interface MergeRow {
  rank: number;
  left: string;
  right: string;
  merged: string;
  /** Undefined for a model saved before counts were recorded. */
  count?: number;
  /** The id of the merged symbol in the tokeniser (after the unknown token and the alphabet). */
  id: number;
}

/** The merges of a trained BPE, in the order they were learned. */
export function mergeRows(model: BpeModel): MergeRow[] {
  const base = 1 + model.alphabet.length;
  return model.merges.map(([left, right], i) => ({ rank: i + 1, left, right, merged: left + right, count: model.counts?.[i], id: base + i }));
}

/** How many merges the panel lists before "Show more", and how many more each click adds. */
export const MERGES_SHOWN = 20;

/**
 * The line above the merge list: how the vocabulary was built, in the course
 * notes' words, ending with its size counted as the tokeniser's header
 * counts it (attentionModel.ts tokenizerText): the pieces and the unknown id 0.
 */
export function mergeSummary(model: BpeModel): string {
  const n = model.merges.length;
  const base = `${model.alphabet.length} base ${model.alphabet.length === 1 ? 'symbol' : 'symbols'} (the training text's characters)`;
  const ids = `${model.alphabet.length + n} pieces + the unknown token (id 0) = ${1 + model.alphabet.length + n} ids.`;
  if (n === 0) return `${base}; no pair occurred twice, so nothing was merged: ${ids}`;
  return `${base}, then ${n} ${n === 1 ? 'merge' : 'merges'}: each step merged the most frequent adjacent pair into a new symbol and re-tokenised the text. ${ids}`;
}

/**
 * The Tokens panel's line about pieces of `text` outside the vocabulary
 * (`unknownPiecesWarning`, as the CLI warns of a prompt's), capitalised;
 * undefined when there are none. `of` names the vocabulary.
 */
export function unknownNote(tokenizer: Tokenizer, text: string, of: string): string | undefined {
  const w = unknownPiecesWarning(tokenizer, text, of, 'the text');
  return w && w[0].toUpperCase() + w.slice(1);
}

/** A token and how close its embedding row is to the chosen one's. */
export interface Neighbour {
  id: number;
  /** Cosine similarity of the two rows, −1 … 1. */
  similarity: number;
}

/** How many nearest tokens the panel lists. */
export const NEAREST = 8;

/**
 * The `k` rows of `table` (`rows` × `dim`, row-major: an embedding's
 * weights) nearest row `row` by cosine similarity, most similar first (ties
 * to the lower id). Only rows below `limit` are candidates (the ids the
 * tokeniser can produce: the embedding's other rows are never trained), and
 * never `row` itself, a row in `skip` or a row of zeros (it has no
 * direction). Empty when `row` is itself zeros.
 */
export function nearestRows(table: ArrayLike<number>, rows: number, dim: number, row: number, k: number, limit = rows, skip: readonly number[] = []): Neighbour[] {
  if (row < 0 || row >= rows || table.length < rows * dim) return [];
  const norm = (r: number) => {
    let s = 0;
    for (let j = 0; j < dim; j++) s += table[r * dim + j] ** 2;
    return Math.sqrt(s);
  };
  const n0 = norm(row);
  // A diverged run leaves NaN or infinite rows: they are like no other row (and would sort anywhere).
  if (n0 === 0 || !Number.isFinite(n0)) return [];
  const out: Neighbour[] = [];
  for (let r = 0; r < Math.min(rows, limit); r++) {
    if (r === row || skip.includes(r)) continue;
    const n = norm(r);
    if (n === 0 || !Number.isFinite(n)) continue;
    let dot = 0;
    for (let j = 0; j < dim; j++) dot += table[row * dim + j] * table[r * dim + j];
    if (!Number.isFinite(dot)) continue;
    out.push({ id: r, similarity: Math.max(-1, Math.min(1, dot / (n0 * n))) });
  }
  out.sort((a, b) => b.similarity - a.similarity || a.id - b.id);
  return out.slice(0, k);
}

/**
 * The `k` tokens whose rows of a trained embedding (`table`, `rows` × `dim`)
 * are nearest token `id`'s, as the panel lists them for a clicked token:
 * `nearestRows` among the ids `tokenizer` can produce, never the unknown
 * token (id 0 of the char, word and BPE tokenisers). Its row stands for
 * whatever the training text lacked, not for a piece of text, so it is no
 * token's neighbour (and the panel never offers it to be clicked).
 */
export function nearestTokens(table: ArrayLike<number>, rows: number, dim: number, tokenizer: Pick<Tokenizer, 'kind' | 'vocabSize'>, id: number, k = NEAREST): Neighbour[] {
  const unknown = tokenizer.kind === 'char' || tokenizer.kind === 'word' || tokenizer.kind === 'bpe' ? [0] : [];
  return nearestRows(table, rows, dim, id, k, Math.min(rows, tokenizer.vocabSize), unknown);
}

/** A similarity as shown: two decimals, a real minus sign. */
export function similarityText(s: number): string {
  // −0.004 rounds to 0.00, not to "−0.00".
  const text = s.toFixed(2);
  return Number(text) === 0 ? '0.00' : text.replace('-', '−');
}
