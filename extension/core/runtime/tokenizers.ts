/**
 * Tokenisers: text ↔ token ids for language models, the attention view and
 * the `text(...)` data source.
 *
 * - `charTokenizer`: one token per character of a corpus' alphabet.
 * - `wordTokenizer`: one token per word or punctuation mark.
 * - `trainBpe`: byte-pair encoding as the course notes describe it (Sennrich
 *   et al. after Gage 1994): start from the corpus' characters, repeatedly
 *   merge the most frequent adjacent pair into a new symbol.
 * - `gpt2Tokenizer`: GPT-2's own byte-level BPE (r50k_base, 50 257 tokens),
 *   from the `gpt-tokenizer` package's bundled tables: no download.
 * - `idTokenizer`: the text is the ids themselves ("3 1 4 1 5"), for models
 *   with a vocabulary too small for text (the `sequences` tasks).
 *
 * `tokenizerFor(vocabSize, corpus?)` picks one for a model's vocabulary (the
 * rule is documented there). Pure TypeScript, no DOM.
 */
import { plural } from '../plural';

/** Text ↔ token ids. */
export interface Tokenizer {
  /** 'char', 'word', 'bpe', 'gpt2' or 'ids'. */
  readonly kind: 'char' | 'word' | 'bpe' | 'gpt2' | 'ids';
  /** Number of distinct ids: every id `encode` returns is below it. */
  readonly vocabSize: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** The text of each id, for labels (e.g. heatmap axes); unknown ids show as `<unk>`. */
  tokens(ids: readonly number[]): string[];
}

/** Shown for the unknown token of the char, word and BPE tokenisers. */
export const UNKNOWN_TOKEN = '<unk>';
/** The vocabulary size of GPT-2's BPE (r50k_base). */
export const GPT2_VOCAB_SIZE = 50257;

// ------------------------------------------------------------------ char

/**
 * One id per character (Unicode code point) of `corpus`: id 0 is the
 * unknown token, then the characters in code-point order. Characters not in
 * the corpus encode to 0 and decode to U+FFFD.
 */
export function charTokenizer(corpus: string): Tokenizer {
  const alphabet = [...new Set(Array.from(corpus))].sort(compareCodePoints);
  return vocabularyTokenizer('char', alphabet, (text) => Array.from(text), (pieces) => pieces.join(''));
}

/** Orders strings by code point (not UTF-16 unit, which `<` compares). */
function compareCodePoints(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** A tokeniser over a fixed list of pieces; id 0 = unknown, piece i has id i + 1. */
function vocabularyTokenizer(
  kind: 'char' | 'word',
  pieces: readonly string[],
  split: (text: string) => string[],
  join: (pieces: string[]) => string,
): Tokenizer {
  const ids = new Map<string, number>(pieces.map((p, i) => [p, i + 1]));
  const piece = (id: number) => (id >= 1 && id <= pieces.length ? pieces[id - 1] : undefined);
  return {
    kind,
    vocabSize: pieces.length + 1,
    encode: (text) => split(text).map((p) => ids.get(p) ?? 0),
    decode: (list) => join(list.map((id) => piece(id) ?? '\uFFFD')),
    tokens: (list) => list.map((id) => piece(id) ?? UNKNOWN_TOKEN),
  };
}

/**
 * The pieces of `text` that `tokenizer` has no id for and encodes as the
 * unknown token, each once, in the order they first appear: characters for
 * the char and BPE tokenisers, words or marks for the word tokeniser, items
 * that are not an id below the vocabulary size for the id tokeniser. GPT-2's
 * byte-level BPE encodes any text, so it has none.
 */
export function unknownPieces(tokenizer: Tokenizer, text: string): string[] {
  let pieces: string[];
  let unknown: (piece: string) => boolean;
  switch (tokenizer.kind) {
    case 'char':
    case 'bpe':
      pieces = Array.from(text);
      // A BPE's base symbols are the corpus' characters: a character encodes to 0 exactly when it is not one.
      unknown = (c) => tokenizer.encode(c).includes(0);
      break;
    case 'word':
      pieces = text.match(WORD_PIECES) ?? [];
      unknown = (w) => tokenizer.encode(w)[0] === 0;
      break;
    case 'ids':
      pieces = text.split(/[\s,]+/).filter((p) => p !== '');
      unknown = (p) => !/^\d+$/.test(p) || Number(p) >= tokenizer.vocabSize;
      break;
    case 'gpt2':
      return [];
  }
  return [...new Set(pieces)].filter(unknown);
}

/**
 * What to tell the user when `unknownPieces` finds some in a prompt, or
 * undefined when there are none: which ones, and that each is read as the
 * unknown token. `of` names the vocabulary ("char_lstm's training text");
 * `subject` the text ("the prompt"; the inspector's Tokens panel: "the text").
 */
export function unknownPiecesWarning(tokenizer: Tokenizer, text: string, of: string, subject = 'the prompt'): string | undefined {
  const unknown = unknownPieces(tokenizer, text);
  if (unknown.length === 0) return undefined;
  const noun = tokenizer.kind === 'word' ? 'word' : tokenizer.kind === 'ids' ? 'item' : 'character';
  const shown = unknown.slice(0, 20).map((p) => JSON.stringify(p)).join(', ') + (unknown.length > 20 ? ', …' : '');
  const what = tokenizer.kind === 'ids' ? `not an id below ${tokenizer.vocabSize}` : `not in the vocabulary of ${of}`;
  return `${subject} has ${plural(unknown.length, noun)} ${what}: ${shown}; the model reads ${unknown.length === 1 ? 'it' : 'each'} as the unknown token.`;
}

// ------------------------------------------------------------------ word

/** Words (letters and digits, with inner apostrophes), line breaks, and each other non-space character. */
const WORD_PIECES = /\n|[\p{L}\p{N}\p{M}]+(?:['’][\p{L}\p{N}\p{M}]+)*|[^\s\p{L}\p{N}\p{M}]/gu;
/** No space before these when decoding. */
const CLOSING = /^[.,;:!?)\]}’”%]$/u;
/** No space after these. */
const OPENING = /^[(\[{‘“]$/u;

/**
 * One id per word or punctuation mark of `corpus`, most frequent first (ties
 * in code-point order); id 0 is the unknown token. Spaces are not tokens:
 * `decode` puts one between words and none before closing punctuation, so
 * `decode(encode(t))` is `t` with its spacing normalised. Line breaks are
 * tokens and survive.
 */
export function wordTokenizer(corpus: string): Tokenizer {
  const counts = new Map<string, number>();
  for (const w of corpus.match(WORD_PIECES) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  const pieces = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || compareCodePoints(a, b));
  return vocabularyTokenizer('word', pieces, (text) => text.match(WORD_PIECES) ?? [], joinWords);
}

function joinWords(words: string[]): string {
  let out = '';
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const prev = i > 0 ? words[i - 1] : undefined;
    const glue = prev === undefined || prev === '\n' || w === '\n' || CLOSING.test(w) || OPENING.test(prev);
    out += (glue ? '' : ' ') + w;
  }
  return out;
}

// ------------------------------------------------------------------ BPE

/** A trained BPE: enough to rebuild the tokeniser (e.g. saved beside a checkpoint). */
export interface BpeModel {
  /** Base symbols (the corpus' characters in code-point order). Ids: 0 unknown, then these, then one per merge. */
  alphabet: string[];
  /** Merges in the order they were learned: the pair's two symbols. */
  merges: [string, string][];
  /**
   * How often each merge's pair occurred in the corpus' words (weighted by
   * word frequency) at the step it was merged, one per merge (the notes'
   * "ug 20"). Absent in models saved before it was recorded.
   */
  counts?: number[];
}

/**
 * Splits text into the units BPE works inside (merges never cross them):
 * runs of letters, runs of digits, runs of whitespace, runs of other
 * characters. Concatenating the pieces gives the text back.
 */
const PRE_TOKENS = /[\p{L}\p{M}]+|\p{N}+|\s+|[^\s\p{L}\p{M}\p{N}]+/gu;

function preTokenize(text: string): string[] {
  return text.match(PRE_TOKENS) ?? [];
}

/**
 * Learns a byte-pair encoding of `corpus` with at most `vocabSize` ids.
 *
 * The base vocabulary is the unknown token plus every character of the
 * corpus. Each step counts adjacent symbol pairs inside the corpus' words
 * (weighted by how often each word occurs), merges the most frequent pair
 * into one new symbol everywhere, and adds it to the vocabulary. Ties go to
 * the pair whose symbols were added to the vocabulary first (lowest ids),
 * so training is deterministic. It stops at `vocabSize` ids, or earlier when
 * no pair occurs twice. Throws when `vocabSize` cannot hold the alphabet.
 */
export function trainBpe(corpus: string, vocabSize: number): Tokenizer & { model: BpeModel } {
  const alphabet = [...new Set(Array.from(corpus))].sort(compareCodePoints);
  if (!Number.isInteger(vocabSize) || vocabSize < alphabet.length + 1) {
    throw new RangeError(`a BPE vocabulary of ${vocabSize} cannot hold the corpus' ${plural(alphabet.length, 'character')} and the unknown token`);
  }
  const symbolId = new Map<string, number>(alphabet.map((c, i) => [c, i + 1]));
  const symbols = [UNKNOWN_TOKEN, ...alphabet];
  // Distinct words with their counts; each word as a list of symbol ids.
  const wordCounts = new Map<string, number>();
  for (const w of preTokenize(corpus)) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  const words = [...wordCounts].map(([w, n]) => ({ ids: Array.from(w).map((c) => symbolId.get(c)!), n }));
  const merges: [string, string][] = [];
  const mergeCounts: number[] = [];
  const key = (a: number, b: number) => a * 0x100000 + b;
  while (symbols.length < vocabSize) {
    const counts = new Map<number, number>();
    for (const { ids, n } of words) for (let i = 0; i + 1 < ids.length; i++) counts.set(key(ids[i], ids[i + 1]), (counts.get(key(ids[i], ids[i + 1])) ?? 0) + n);
    let best = -1;
    let bestCount = 1;
    for (const [k, n] of counts) if (n > bestCount || (n === bestCount && best >= 0 && k < best)) [best, bestCount] = [k, n];
    // A pair seen once would only memorise the corpus; stop there.
    if (best < 0) break;
    const a = Math.floor(best / 0x100000);
    const b = best % 0x100000;
    const merged = symbols.length;
    symbols.push(symbols[a] + symbols[b]);
    merges.push([symbols[a], symbols[b]]);
    mergeCounts.push(bestCount);
    for (const w of words) w.ids = mergePair(w.ids, a, b, merged);
  }
  const model: BpeModel = { alphabet, merges, counts: mergeCounts };
  return { ...bpeTokenizer(model), model };
}

function mergePair(ids: number[], a: number, b: number, merged: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
      out.push(merged);
      i++;
    } else out.push(ids[i]);
  }
  return out;
}

/**
 * The tokeniser of a trained BPE. `encode` splits the text into words,
 * then applies the merges to each word in the order they were learned (the
 * earliest-learned pair present first); characters outside the alphabet
 * become the unknown id 0.
 */
export function bpeTokenizer(model: BpeModel): Tokenizer {
  const symbols = [UNKNOWN_TOKEN, ...model.alphabet];
  const id = new Map<string, number>(model.alphabet.map((c, i) => [c, i + 1]));
  // Rank of each merge by the text of its pair (two merges can make the
  // same text, so ids would not do), and the id it produces.
  const rank = new Map<string, { rank: number; id: number }>();
  const pairKey = (l: string, r: string) => `${l}\u0000${r}`;
  model.merges.forEach(([l, r], i) => {
    if (!id.has(l) || !id.has(r)) throw new Error(`BPE merge ${i} (${JSON.stringify(l)}, ${JSON.stringify(r)}) uses an unknown symbol`);
    const merged = symbols.length;
    symbols.push(l + r);
    if (!id.has(l + r)) id.set(l + r, merged);
    if (!rank.has(pairKey(l, r))) rank.set(pairKey(l, r), { rank: i, id: merged });
  });
  const cache = new Map<string, number[]>();
  const encodeWord = (word: string): number[] => {
    const hit = cache.get(word);
    if (hit) return hit;
    let ids = Array.from(word).map((c) => id.get(c) ?? 0);
    for (;;) {
      let best: { rank: number; id: number } | undefined;
      let at = -1;
      for (let i = 0; i + 1 < ids.length; i++) {
        if (ids[i] === 0 || ids[i + 1] === 0) continue;
        const m = rank.get(pairKey(symbols[ids[i]], symbols[ids[i + 1]]));
        if (m && (!best || m.rank < best.rank)) [best, at] = [m, i];
      }
      if (!best) break;
      ids = mergePair(ids, ids[at], ids[at + 1], best.id);
    }
    if (cache.size < 10_000) cache.set(word, ids);
    return ids;
  };
  const text = (i: number) => (i >= 1 && i < symbols.length ? symbols[i] : undefined);
  return {
    kind: 'bpe',
    vocabSize: symbols.length,
    encode: (s) => preTokenize(s).flatMap(encodeWord),
    decode: (ids) => ids.map((i) => text(i) ?? '\uFFFD').join(''),
    tokens: (ids) => ids.map((i) => text(i) ?? UNKNOWN_TOKEN),
  };
}

// ------------------------------------------------------------------ saved

/** Enough to rebuild a text data set's tokeniser (stored in checkpoints). */
export type TokenizerSpec = { kind: 'char'; alphabet: string } | { kind: 'word'; corpus: string } | { kind: 'bpe'; model: BpeModel };

/** Rebuilds the tokeniser a text data set used. */
export function tokenizerFromSpec(spec: TokenizerSpec): Tokenizer {
  switch (spec.kind) {
    case 'char':
      return charTokenizer(spec.alphabet);
    case 'word':
      return wordTokenizer(spec.corpus);
    case 'bpe':
      return bpeTokenizer(spec.model);
  }
}

/** `value` when it is a well-formed TokenizerSpec (as read back from a checkpoint's JSON), else undefined. */
export function asTokenizerSpec(value: unknown): TokenizerSpec | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.kind === 'char' && typeof v.alphabet === 'string') return { kind: 'char', alphabet: v.alphabet };
  if (v.kind === 'word' && typeof v.corpus === 'string') return { kind: 'word', corpus: v.corpus };
  if (v.kind === 'bpe' && typeof v.model === 'object' && v.model !== null) {
    const m = v.model as Record<string, unknown>;
    const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
    if (strings(m.alphabet) && Array.isArray(m.merges) && m.merges.every((p) => strings(p) && p.length === 2)) {
      const merges = m.merges as [string, string][];
      // The merge counts are for display only: kept when there is a whole number ≥ 2 for every merge, else dropped.
      const counts = Array.isArray(m.counts) && m.counts.length === merges.length && m.counts.every((n) => Number.isInteger(n) && n >= 2) ? { counts: [...(m.counts as number[])] } : {};
      return { kind: 'bpe', model: { alphabet: m.alphabet, merges, ...counts } };
    }
  }
  return undefined;
}

// ------------------------------------------------------------------ GPT-2

let gpt2: Promise<Tokenizer> | undefined;

/**
 * GPT-2's byte-level BPE (the r50k_base tables of the `gpt-tokenizer`
 * package, bundled; nothing is downloaded). Loaded on first use: the tables
 * are large. `tokens` shows each id's own text, so an id holding part of a
 * multi-byte character shows U+FFFD.
 */
export function gpt2Tokenizer(): Promise<Tokenizer> {
  gpt2 ??= import('gpt-tokenizer/encoding/r50k_base').then((enc) => {
    // The token table is private in its types: reached through `unknown`, checked at run time.
    const decode = gpt2Decoder(enc as unknown as Gpt2Encoding);
    return {
      kind: 'gpt2' as const,
      vocabSize: GPT2_VOCAB_SIZE,
      // Special tokens such as <|endoftext|> in user text are plain text here.
      encode: (s: string) => enc.encode(s, { disallowedSpecial: new Set() }),
      decode,
      tokens: (ids: readonly number[]) => ids.map((i) => (i >= 0 && i < GPT2_VOCAB_SIZE ? decode([i]) : UNKNOWN_TOKEN)),
    };
  });
  return gpt2;
}

/** What `gpt2Decoder` needs of the package: its decode, and (internal, optional) each token's text or bytes. */
interface Gpt2Encoding {
  decode(ids: number[]): string;
  default?: { bytePairEncodingCoreProcessor?: { tryDecodeToken?(id: number): string | Uint8Array | undefined } };
}

/**
 * GPT-2's decode, stateless: the package's `decode` runs its bytes through
 * one shared streaming TextDecoder, so a call ending inside a multi-byte
 * character leaves its first bytes to garble the next call (seen with
 * gpt-tokenizer 4.0). Here each call decodes the tokens' bytes with a fresh
 * decoder: an incomplete character at the end is one U+FFFD, ids outside
 * the vocabulary are U+FFFD too (the package throws). Falls back on the
 * package's decode if its token table is not reachable.
 */
function gpt2Decoder(enc: Gpt2Encoding): (ids: readonly number[]) => string {
  const core = enc.default?.bytePairEncodingCoreProcessor;
  const tokenBytes = typeof core?.tryDecodeToken === 'function' ? (id: number) => core.tryDecodeToken!(id) : undefined;
  if (!tokenBytes) return (ids) => enc.decode(ids.filter((i) => i >= 0 && i < GPT2_VOCAB_SIZE));
  const utf8 = new TextEncoder();
  const replacement = utf8.encode('\uFFFD');
  return (ids) => {
    const parts = ids.map((i) => {
      const b = i >= 0 && i < GPT2_VOCAB_SIZE ? tokenBytes(i) : undefined;
      return b === undefined ? replacement : typeof b === 'string' ? utf8.encode(b) : b;
    });
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return new TextDecoder('utf-8').decode(all);
  };
}

// ------------------------------------------------------------------ streaming

/** Decodes generated ids one at a time into the text each adds. */
export interface StreamDecoder {
  /** The text `id` adds after the ids before it; '' while GPT-2 holds back part of a character. */
  push(id: number): string;
  /** Whatever is held back (an incomplete character as U+FFFD). */
  flush(): string;
}

/** Ids kept as the left context: the word joiner looks one back, a UTF-8 character spans at most 4 byte tokens. */
const STREAM_CONTEXT = 4;

/**
 * Decodes a stream of ids as `tokenizer.decode` decodes the whole sequence:
 * each piece is the text one id adds after the ids before it, starting
 * after `context` (the prompt's ids), so the word tokeniser's spacing and
 * punctuation rules see the neighbouring word (decoding ids one by one
 * loses every space), and GPT-2's bytes of a character split over tokens
 * come out together once complete. The concatenated pieces equal the
 * decoded sequence without the context's text.
 */
export function streamDecoder(tokenizer: Tokenizer, context: readonly number[] = []): StreamDecoder {
  let before = context.slice(-STREAM_CONTEXT);
  let pending: number[] = [];
  const emit = (force: boolean): string => {
    if (pending.length === 0) return '';
    const all = [...before, ...pending];
    const full = tokenizer.decode(all);
    // A character still incomplete: wait for its next byte (at most 4 tokens).
    if (!force && tokenizer.kind === 'gpt2' && full.endsWith('\uFFFD') && pending.length < 4) return '';
    const base = tokenizer.decode(before);
    // The context's text is a prefix of the whole's for every tokeniser, unless the context ended inside a character.
    const piece = full.startsWith(base) ? full.slice(base.length) : tokenizer.decode(pending);
    before = all.slice(-STREAM_CONTEXT);
    pending = [];
    return piece;
  };
  return { push: (id) => (pending.push(id), emit(false)), flush: () => emit(true) };
}

// ------------------------------------------------------------------ ids

/**
 * The text is a list of integer ids separated by spaces or commas
 * ("3 1 4 1 5"); anything that is not an id below `vocabSize` encodes to 0.
 */
export function idTokenizer(vocabSize: number): Tokenizer {
  const valid = (s: string) => /^\d+$/.test(s) && Number(s) < vocabSize;
  return {
    kind: 'ids',
    vocabSize,
    encode: (text) => text.split(/[\s,]+/).filter((s) => s !== '').map((s) => (valid(s) ? Number(s) : 0)),
    decode: (ids) => ids.join(' '),
    tokens: (ids) => ids.map(String),
  };
}

// ------------------------------------------------------------------ choice

const letters = (from: string, to: string) =>
  Array.from({ length: to.charCodeAt(0) - from.charCodeAt(0) + 1 }, (_, i) => String.fromCharCode(from.charCodeAt(0) + i)).join('');

/**
 * Alphabets `tokenizerFor` falls back on when it has no corpus, largest
 * first: printable ASCII and the line break (97 ids with the unknown
 * token); letters, space, line break and `!',.?` (60 ids); lower-case
 * letters, space and line break (29 ids).
 */
export const DEFAULT_ALPHABETS: readonly string[] = [
  '\n' + Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join(''),
  "\n !',.?" + letters('A', 'Z') + letters('a', 'z'),
  '\n ' + letters('a', 'z'),
];

/** Above this vocabulary size (and with a corpus given) `tokenizerFor` trains a BPE instead of using characters. */
export const CHAR_VOCAB_LIMIT = 256;

/**
 * The tokeniser for a model whose embedding has `vocabSize` rows; every id
 * it produces is below `vocabSize`:
 * 1. 50 257 → GPT-2's BPE;
 * 2. with a corpus (e.g. the text the model was trained on): above
 *    `CHAR_VOCAB_LIMIT` (256) ids, a BPE trained on the corpus up to
 *    `vocabSize`; otherwise the corpus' character tokeniser when its
 *    alphabet fits (what `text(..., tokenizer = char)` training uses);
 * 3. the character tokeniser of the largest of `DEFAULT_ALPHABETS` that
 *    fits;
 * 4. a vocabulary too small for any of them (fewer than 29 ids, as in the
 *    `sequences` tasks) → `idTokenizer`: the user types the ids.
 */
export async function tokenizerFor(vocabSize: number, corpus?: string): Promise<Tokenizer> {
  if (vocabSize === GPT2_VOCAB_SIZE) return gpt2Tokenizer();
  if (corpus) {
    const chars = charTokenizer(corpus);
    if (chars.vocabSize <= vocabSize) return vocabSize > CHAR_VOCAB_LIMIT ? trainBpe(corpus, vocabSize) : chars;
  }
  for (const alphabet of DEFAULT_ALPHABETS) {
    const chars = charTokenizer(alphabet);
    if (chars.vocabSize <= vocabSize) return chars;
  }
  return idTokenizer(vocabSize);
}
