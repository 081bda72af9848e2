// A language model exported with its trained weights carries the tokeniser of its training text
// (extension/core/export/tokenizerPy.ts): VOCAB, encode(text) and decode(ids) in Python give the ids and text
// nnmodel's own tokenisers give (runtime/tokenizers.ts). Without them the exported model could not read text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { charTokenizer, tokenizerFromSpec, trainBpe, wordTokenizer, type TokenizerSpec } from '../../extension/core/runtime/tokenizers';
import { tokenizerPython } from '../../extension/core/export/tokenizerPy';
import { runCli as cli } from '../fixtures/cli';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

const PYTHON = process.env.NNMODEL_TORCH_PYTHON ?? '/usr/bin/python3';
const pythonMissing = spawnSync(PYTHON, ['-c', 'pass']).error ? `${PYTHON} is missing` : undefined;

/** Corpus with what a tokeniser can get wrong: non-BMP and combining characters, apostrophes, curly quotes, odd spaces. */
const CORPUS = [
  "It's the cat's hat, isn’t it? “Yes” (said he): 42% of 3.5 cats!",
  'naïve café — e\u0301 [x] {y}\tz\u00a0w\u2003v \uD83D\uDE00 end.',
  '\u00bfQu\u00e9? \u05e9\u05dc\u05d5\u05dd 漢字 and\u2028more\u0085\u2029\ufeff.',
].join('\n');
const PROBES = [CORPUS, "Unknown words: zebra's! ¿Qué tal?", 'x\u001cy\u001dz  \r\n tail', "a'b ' c’ d'", ''];

/** Runs Python `body` with the class `T` holding `spec`'s attributes; returns its stdout as JSON. */
function runPython(spec: TokenizerSpec, body: string, size: number): unknown {
  const py = tokenizerPython(spec, 'data/t.txt');
  const src = ['import json, sys', '', 'class T:', ...py.attributes.map((a) => (a ? `    ${a}` : '')), '', body, ''].join('\n');
  const r = spawnSync(PYTHON, ['-c', src, String(size)], { encoding: 'utf8', input: JSON.stringify(PROBES) });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const PARITY =
  'probes = json.loads(sys.stdin.read())\nsize = int(sys.argv[1])\nprint(json.dumps({"encoded": [T.encode(p) for p in probes], "decoded": [T.decode(T.encode(p)) for p in probes], "unknown": T.decode([0, size])}))';

for (const [kind, spec] of [
  ['char', { kind: 'char', alphabet: CORPUS }],
  ['word', { kind: 'word', corpus: CORPUS }],
  ['bpe', { kind: 'bpe', model: trainBpe(CORPUS.repeat(3), 120).model }],
] as const) {
  test(`the ${kind} tokeniser in Python encodes and decodes as nnmodel does`, { skip: pythonMissing }, () => {
    const ts = tokenizerFromSpec(spec as TokenizerSpec);
    const out = runPython(spec as TokenizerSpec, PARITY, ts.vocabSize) as { encoded: number[][]; decoded: string[]; unknown: string };
    assert.deepEqual(out.encoded, PROBES.map((p) => ts.encode(p)));
    assert.deepEqual(out.decoded, PROBES.map((p) => ts.decode(ts.encode(p))));
    assert.equal(out.unknown, ts.decode([0, ts.vocabSize]));
    assert.ok(out.encoded[0].every((id) => id > 0), 'the corpus itself has no unknown token');
    if (spec.kind === 'bpe') assert.ok(out.encoded[0].length < Array.from(CORPUS).length * 0.8, `merges apply (${spec.model.merges.length} merges)`);
  });
}

test('the vocabulary is the tokeniser\'s, in its order; a BPE writes its alphabet and merges', () => {
  const char = tokenizerPython({ kind: 'char', alphabet: 'ba\n' }, 'data/t.txt');
  assert.ok(char.attributes.includes('VOCAB = ("\\n", "a", "b")'), char.attributes.join('\n'));
  assert.equal(charTokenizer('ba\n').vocabSize, 4);
  const word = tokenizerPython({ kind: 'word', corpus: 'b a a' }, undefined);
  assert.ok(word.attributes.includes('VOCAB = ("a", "b")'));
  assert.equal(wordTokenizer('b a a').encode('a b')[0], 1);
  const bpe = tokenizerPython({ kind: 'bpe', model: { alphabet: ['a', 'b'], merges: [['a', 'b']] } }, 'data/t.txt');
  assert.ok(bpe.attributes.includes('ALPHABET = ("a", "b")'));
  assert.ok(bpe.attributes.includes('MERGES = (("a", "b"),)'));
  assert.match(bpe.doc.join(' '), /BPE tokeniser trained on the text of data\/t\.txt \(2 characters, 1 merges\)/);
});

const torchMissing = (() => {
  if (pythonMissing) return pythonMissing;
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `${PYTHON} cannot import torch`;
})();

test('nnmodel export --weights of a char-level model trained here: its class encodes text and the model reads it', { skip: torchMissing, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-export-tok-'));
  try {
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'tiny.txt'), 'the cat sat on the mat. the dog sat on the log.\n'.repeat(20));
    writeFileSync(
      join(dir, 'lm.nnmodel'),
      `model CharLm {
  input tokens: int[seq]
  output tokens -> embedding(vocab = 16, dim = 8) -> lstm(16, return_sequences = true) -> dense(16) -> softmax
}

train CharLm {
  data: text("data/tiny.txt", tokenizer = char, context = 16)
  epochs: 1
  batch: 32
}
`,
    );
    const trained = await cli(dir, 'train', 'lm.nnmodel');
    assert.equal(trained.code, 0, trained.err);
    const exp = await cli(dir, 'export', 'lm.nnmodel', '--out', 'lm.py', '--weights', '.nnmodel/lm/CharLm');
    assert.equal(exp.code, 0, exp.err);
    const code = readFileSync(join(dir, 'lm.py'), 'utf8');
    assert.match(code, /Its token ids are characters of the text of data\/tiny\.txt/);
    const r = spawnSync(
      PYTHON,
      ['-c', 'import json, torch, lm\nm = lm.CharLm()\nlm.load_nnmodel_weights(m, "lm.safetensors")\nm.eval()\nids = lm.CharLm.encode("the cat")\nwith torch.no_grad():\n    out = m(torch.tensor([ids]))\nprint(json.dumps({"ids": ids, "back": lm.CharLm.decode(ids), "shape": list(out.shape)}))'],
      { cwd: dir, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { ids: number[]; back: string; shape: number[] };
    assert.equal(got.back, 'the cat');
    assert.deepEqual(got.shape, [1, 7, 16]);
    assert.deepEqual(got.ids, charTokenizer('the cat sat on the mat. the dog sat on the log.\n').encode('the cat'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
