/**
 * The tokeniser a language model was trained with, as Python for its
 * exported class (export/pytorch.ts): `VOCAB` and the classmethods
 * `encode(text) -> list[int]` and `decode(ids) -> str`, giving exactly the ids
 * and text runtime/tokenizers.ts gives, so that the model trained here can
 * read and write text in PyTorch: a `char`, `word` or `bpe` tokeniser
 * (the BPE's alphabet and merges, applied as `bpeTokenizer` applies them).
 */
import { UNKNOWN_TOKEN, tokenizerFromSpec, type BpeModel, type TokenizerSpec } from '../runtime/tokenizers';

/** What the class gets: lines at class level (attributes and methods, unindented) and docstring lines. */
export interface TokenizerPython {
  attributes: string[];
  doc: string[];
}

/**
 * A Python string literal of `s`: JSON's escapes are Python's; the spaces,
 * separators and invisible characters JSON leaves as they are (U+00A0,
 * U+2028, U+FEFF…) are escaped too, so that the file shows what it holds.
 */
export function pyString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JavaScript's `\s` (ECMAScript WhiteSpace and LineTerminator): the spaces the word tokeniser skips. */
const JS_SPACES = '\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';

/** The Python of `spec` for a class whose input is token ids; `source` names the training text. */
export function tokenizerPython(spec: TokenizerSpec, source: string | undefined): TokenizerPython {
  const of = source ? ` of ${source}` : '';
  if (spec.kind === 'bpe') return bpePython(spec.model, of);
  const tokenizer = tokenizerFromSpec(spec);
  const vocab = tokenizer.tokens(Array.from({ length: tokenizer.vocabSize - 1 }, (_, i) => i + 1));
  const tuple = `VOCAB = (${vocab.map(pyString).join(', ')}${vocab.length === 1 ? ',' : ''})`;
  const decodeUnknown = '"\\ufffd"';
  if (spec.kind === 'char') {
    return {
      doc: [
        `Its token ids are characters of the text${of}: id i is VOCAB[i - 1], id 0 a character not in it.`,
        'encode(text) and decode(ids) turn text into ids and back, as nnmodel does.',
      ],
      attributes: [
        `# The tokeniser it was trained with: one id per character${of}, in code-point order; id 0 is unknown.`,
        tuple,
        '',
        '@classmethod',
        'def encode(cls, text):',
        '    """Text -> token ids (one per character; 0 for a character not in VOCAB)."""',
        '    index = {c: i + 1 for i, c in enumerate(cls.VOCAB)}',
        '    return [index.get(c, 0) for c in text]',
        '',
        '@classmethod',
        'def decode(cls, ids):',
        '    """Token ids -> text (U+FFFD for an id outside VOCAB)."""',
        `    return "".join(cls.VOCAB[i - 1] if 1 <= i <= len(cls.VOCAB) else ${decodeUnknown} for i in ids)`,
      ],
    };
  }
  return {
    doc: [
      `Its token ids are words and punctuation marks of the text${of}: id i is VOCAB[i - 1], id 0 one not in it.`,
      'encode(text) and decode(ids) turn text into ids and back, as nnmodel does (decode puts one space',
      'between words, none before closing punctuation).',
    ],
    attributes: [
      `# The tokeniser it was trained with: one id per word or punctuation mark${of}, most frequent first; id 0 is unknown.`,
      tuple,
      `_SPACES = ${pyString(JS_SPACES)}`,
      `_CLOSING = frozenset(${pyString('.,;:!?)]}\u2019\u201d%')})`,
      `_OPENING = frozenset(${pyString('([{\u2018\u201c')})`,
      '',
      '@classmethod',
      'def pieces(cls, text):',
      '    """Words (letters, digits and marks, with inner apostrophes), line breaks, and each other non-space character."""',
      '    import unicodedata',
      '',
      '    def word(c):',
      '        return unicodedata.category(c)[0] in "LNM"',
      '',
      '    out, i, n = [], 0, len(text)',
      '    while i < n:',
      '        c = text[i]',
      '        if c == "\\n":',
      '            out.append(c)',
      '            i += 1',
      '        elif word(c):',
      '            j = i + 1',
      '            while True:',
      '                while j < n and word(text[j]):',
      '                    j += 1',
      `                if j + 1 < n and text[j] in ${pyString("'\u2019")} and word(text[j + 1]):`,
      '                    j += 2',
      '                    continue',
      '                break',
      '            out.append(text[i:j])',
      '            i = j',
      '        else:',
      '            if c not in cls._SPACES:',
      '                out.append(c)',
      '            i += 1',
      '    return out',
      '',
      '@classmethod',
      'def encode(cls, text):',
      '    """Text -> token ids (0 for a word not in VOCAB)."""',
      '    index = {w: i + 1 for i, w in enumerate(cls.VOCAB)}',
      '    return [index.get(w, 0) for w in cls.pieces(text)]',
      '',
      '@classmethod',
      'def decode(cls, ids):',
      '    """Token ids -> text: one space between words, none before closing or after opening punctuation, none around line breaks."""',
      `    words = [cls.VOCAB[i - 1] if 1 <= i <= len(cls.VOCAB) else ${decodeUnknown} for i in ids]`,
      '    out = ""',
      '    for k, w in enumerate(words):',
      '        prev = words[k - 1] if k else None',
      '        glue = prev is None or prev == "\\n" or w == "\\n" or w in cls._CLOSING or prev in cls._OPENING',
      '        out += ("" if glue else " ") + w',
      '    return out',
    ],
  };
}

/**
 * A BPE trained here: its alphabet and merges, the text split into runs of
 * letters, digits, spaces and other characters (merges never cross them),
 * then in each run the earliest-learned pair present merged, again and
 * again, as runtime/tokenizers.ts `bpeTokenizer` does.
 */
function bpePython(model: BpeModel, of: string): TokenizerPython {
  const alphabet = `ALPHABET = (${model.alphabet.map(pyString).join(', ')}${model.alphabet.length === 1 ? ',' : ''})`;
  const merges = `MERGES = (${model.merges.map(([l, r]) => `(${pyString(l)}, ${pyString(r)})`).join(', ')}${model.merges.length === 1 ? ',' : ''})`;
  return {
    doc: [
      `Its token ids are those of the BPE tokeniser trained on the text${of} (${model.alphabet.length} characters, ${model.merges.length} merges):`,
      'encode(text) and decode(ids) turn text into ids and back, as nnmodel does; id 0 is a character not in ALPHABET.',
    ],
    attributes: [
      `# The tokeniser it was trained with: byte-pair encoding learned on the text${of}. Ids: 0 unknown, then ALPHABET,`,
      '# then one per merge, in the order the merges were learned.',
      alphabet,
      merges,
      `_SPACES = ${pyString(JS_SPACES)}`,
      '',
      '@classmethod',
      'def pieces(cls, text):',
      '    """The runs BPE works inside: letters (with marks), digits, spaces, other characters."""',
      '    import unicodedata',
      '',
      '    def kind(c):',
      '        if c in cls._SPACES:',
      '            return "s"',
      '        k = unicodedata.category(c)[0]',
      '        return "w" if k in "LM" else "n" if k == "N" else "o"',
      '',
      '    out, start = [], 0',
      '    for i in range(1, len(text) + 1):',
      '        if i == len(text) or kind(text[i]) != kind(text[start]):',
      '            out.append(text[start:i])',
      '            start = i',
      '    return out',
      '',
      '@classmethod',
      'def _tables(cls):',
      '    if "_TABLES" not in cls.__dict__:',
      `        symbols = [${pyString(UNKNOWN_TOKEN)}, *cls.ALPHABET]`,
      '        ids = {c: i + 1 for i, c in enumerate(cls.ALPHABET)}',
      '        rank = {}',
      '        for i, (left, right) in enumerate(cls.MERGES):',
      '            symbols.append(left + right)',
      '            ids.setdefault(left + right, len(symbols) - 1)',
      '            rank.setdefault((left, right), (i, len(symbols) - 1))',
      '        cls._TABLES = (symbols, ids, rank)',
      '    return cls._TABLES',
      '',
      '@classmethod',
      'def encode(cls, text):',
      '    """Text -> token ids (0 for a character not in ALPHABET)."""',
      '    symbols, ids, rank = cls._tables()',
      '    out = []',
      '    for piece in cls.pieces(text):',
      '        word = [ids.get(c, 0) for c in piece]',
      '        while True:',
      '            best, at = None, -1',
      '            for i in range(len(word) - 1):',
      '                if word[i] and word[i + 1]:',
      '                    m = rank.get((symbols[word[i]], symbols[word[i + 1]]))',
      '                    if m is not None and (best is None or m[0] < best[0]):',
      '                        best, at = m, i',
      '            if best is None:',
      '                break',
      '            a, b, merged, i = word[at], word[at + 1], [], 0',
      '            while i < len(word):',
      '                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:',
      '                    merged.append(best[1])',
      '                    i += 2',
      '                else:',
      '                    merged.append(word[i])',
      '                    i += 1',
      '            word = merged',
      '        out.extend(word)',
      '    return out',
      '',
      '@classmethod',
      'def decode(cls, ids):',
      '    """Token ids -> text (U+FFFD for an id outside the vocabulary)."""',
      '    symbols = cls._tables()[0]',
      '    return "".join(symbols[i] if 1 <= i < len(symbols) else "\\ufffd" for i in ids)',
    ],
  };
}
