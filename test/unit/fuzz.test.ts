/**
 * Mutation fuzzing of the language core: thousands of broken variants of the
 * examples and the contract's models must never make `analyze` throw, hang,
 * report an internal error or point outside the document, and `format` must
 * never throw and be idempotent. Everything is derived from a fixed seed, so a
 * failure reproduces; the failing input is minimised and printed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import type { Range } from '../../extension/core/syntax/ast';
import { format } from '../../extension/core/syntax/format';
import { parse } from '../../extension/core/syntax/parser';
import { LAYERS } from '../../extension/core/layers';

// Fixed by default so CI is reproducible; a longer hunt: NNMODEL_FUZZ_SEED=7 NNMODEL_FUZZ_COUNT=50000.
const SEED = Number(process.env.NNMODEL_FUZZ_SEED ?? 0x5eed_2026) >>> 0;
const MUTANTS = Math.max(100, Number(process.env.NNMODEL_FUZZ_COUNT ?? 5000) || 5000);
/** Per input; a hang shows as seconds, so this is generous for CI noise yet catches it. */
const TIME_LIMIT_MS = 200;

const LENET = `model LeNet5 {
  input image: [32, 32, 1]
  output image -> conv2d(6, 5) -> tanh -> avgpool(2)
               -> conv2d(16, 5) -> tanh -> avgpool(2)
               -> flatten -> dense(120) -> tanh -> dense(84) -> tanh
               -> dense(10) -> softmax
}

train LeNet5 {
  data: digits(samples = 6000)
  loss: crossentropy
  optimizer: adam(lr = 1e-3)
  epochs: 5
  batch: 64
  validation: 0.1
  metrics: [accuracy]
}
`;


// Cross-attention, several inputs, concat, reductions, recurrent layers, an import.
const MIXED = `import "lib.nnmodel"
import "cycle.nnmodel"
// encoder-decoder with a side branch
block enc(d, h) {
  input x
  x = (x + x -> attention(h) -> dropout(0.1)) -> layernorm
  output (x + x -> dense(4 * d) -> relu -> dense(d)) -> layernorm
}
block dec(d, h) {
  input y
  input memory
  y = y + y -> layernorm -> attention(h, causal = true)
  y = y + y -> layernorm -> attention(h, context = memory)
  output y + y -> layernorm -> dense(d) -> gelu
}
model Seq2Seq {
  input src: int[n]
  input tgt: int[m]
  emb = embedding(8000, 256)
  mem = src -> emb -> positional(sinusoidal) -> enc(256, 8) * 3
  out = tgt -> emb -> positional(sinusoidal) -> dec(256, 8, memory = mem) * 3
  side = mem -> lstm(64, return_sequences = true) -> mean(0)
  output out -> dense(8000) -> softmax, side -> dense(2)
}
model Conv {
  input img: [64, 64, 3]
  a = img -> conv2d(32, [3, 3], stride = 2, padding = same) -> batchnorm -> relu6
  b = img -> maxpool(2) -> conv2d(32, 1)
  c = concat(a, b, axis = -1) -> conv2d(64, 3, groups = 2, padding = same)
  output c -> global_avgpool -> dense(10, activation = softmax)
}
`;
import { GPT2_SMALL as GPT2 } from '../fixtures/contract';
import { mulberry32 } from '../../extension/core/runtime/data/random';
import { nnmodelFiles } from '../fixtures/examples';

const LIB = `block mlp(n, act = relu) {
  input x
  output x -> dense(n, activation = act) -> dropout(0.2)
}
`;

// ------------------------------------------------------------------ PRNG

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

// --------------------------------------------------------------- mutators

/** A deliberately independent tokenizer: mutations must not share the lexer's blind spots. */
const TOKEN = /[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|"[^"\n]*"?|->|\/\/[^\n]*|#[^\n]*|\s+|./g;

interface Tok {
  text: string;
  at: number;
}

function tokens(text: string): Tok[] {
  const out: Tok[] = [];
  for (const m of text.matchAll(TOKEN)) if (!/^\s+$/.test(m[0])) out.push({ text: m[0], at: m.index! });
  return out;
}

const PUNCT = ['(', ')', '[', ']', '{', '}', ',', ':', '=', '->', '+', '-', '*', '/', '//', '.', '"', '#', '\n', ';', '@', '->->', '= =', ': :'];
const NUMBERS = ['0', '-1', '1e309', '99999999999', '1e-400', '0.5', '2147483648', '-0', '1e3', '3.', '00012', '9007199254740993', '1.7976931348623157e308', '-99999999999'];
const KEYWORDS = ['model', 'block', 'train', 'import', 'input', 'output', 'true', 'false', 'int'];
const LAYER_NAMES = [...LAYERS.keys()];
const WEIRD = ['\t', '\r', '\r\n', '\u0000', '\u00a0', '🧠', '\ufeff', '\ud800', 'é', '\u2028', '\\'];

function randomIdent(r: Rand): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz_ABCXYZ0123456789';
  let s = pick(r, ['a', 'x', 'seq', '_', 'Z', 'q']);
  const n = int(r, 12);
  for (let i = 0; i < n; i++) s += alphabet[int(r, alphabet.length)];
  return s;
}

function replaceAt(text: string, at: number, len: number, by: string): string {
  return text.slice(0, at) + by + text.slice(at + len);
}

type Mutator = (text: string, r: Rand) => string;

const MUTATORS: Record<string, Mutator> = {
  deleteChars(t, r) {
    const at = int(r, t.length + 1);
    return replaceAt(t, at, 1 + int(r, 8), '');
  },
  deleteToken(t, r) {
    const ts = tokens(t);
    if (!ts.length) return t;
    const k = pick(r, ts);
    return replaceAt(t, k.at, k.text.length, '');
  },
  duplicateToken(t, r) {
    const ts = tokens(t);
    if (!ts.length) return t;
    const k = pick(r, ts);
    return replaceAt(t, k.at, 0, k.text + (r() < 0.5 ? ' ' : ''));
  },
  swapTokens(t, r) {
    const ts = tokens(t);
    if (ts.length < 2) return t;
    let a = pick(r, ts);
    let b = pick(r, ts);
    if (a.at > b.at) [a, b] = [b, a];
    if (a.at === b.at) return t;
    return t.slice(0, a.at) + b.text + t.slice(a.at + a.text.length, b.at) + a.text + t.slice(b.at + b.text.length);
  },
  insertPunct(t, r) {
    return replaceAt(t, int(r, t.length + 1), 0, pick(r, PUNCT));
  },
  replaceNumber(t, r) {
    const nums = tokens(t).filter((k) => /^\d/.test(k.text));
    const by = pick(r, NUMBERS);
    if (!nums.length) return replaceAt(t, int(r, t.length + 1), 0, by);
    const k = pick(r, nums);
    return replaceAt(t, k.at, k.text.length, by);
  },
  hugeRepeat(t, r) {
    const ids = tokens(t).filter((k) => /^[a-z]/.test(k.text) && !KEYWORDS.includes(k.text));
    if (!ids.length) return t;
    const k = pick(r, ids);
    const after = t.indexOf(')', k.at);
    const end = after >= 0 && after - k.at < 60 && r() < 0.5 ? after + 1 : k.at + k.text.length;
    return replaceAt(t, end, 0, ` * ${pick(r, ['1000000', '10000', '99999999999', '0', '-3', '1e309', '2.5'])}`);
  },
  deepNesting(t, r) {
    const depth = 1 + int(r, r() < 0.2 ? 5000 : 300);
    const at = int(r, t.length + 1);
    const open = pick(r, ['(', '[', '((', '([']);
    let out = replaceAt(t, at, 0, open.repeat(Math.ceil(depth / open.length)));
    if (r() < 0.5) {
      const close = open.split('').reverse().map((c) => (c === '(' ? ')' : ']')).join('');
      const after = Math.min(out.length, at + depth + int(r, 30));
      out = replaceAt(out, after, 0, close.repeat(Math.ceil(depth / open.length)));
    }
    return out;
  },
  unclosed(t, r) {
    return replaceAt(t, int(r, t.length + 1), 0, pick(r, ['"', '[', '(', '{', '"abc', '"x\ny"', 'import "', 'model M {', 'block b(']));
  },
  randomIdentifier(t, r) {
    const ids = tokens(t).filter((k) => /^[A-Za-z_]/.test(k.text));
    const by = r() < 0.3 ? pick(r, KEYWORDS) : r() < 0.5 ? pick(r, LAYER_NAMES) : randomIdent(r);
    if (!ids.length) return replaceAt(t, int(r, t.length + 1), 0, by);
    const k = pick(r, ids);
    return replaceAt(t, k.at, k.text.length, by);
  },
  truncate(t, r) {
    return t.slice(0, int(r, t.length + 1));
  },
  shuffleLines(t, r) {
    const lines = t.split('\n');
    if (lines.length < 2) return t;
    const start = int(r, lines.length);
    const len = Math.min(lines.length - start, 2 + int(r, 6));
    const window = lines.slice(start, start + len);
    for (let i = window.length - 1; i > 0; i--) {
      const j = int(r, i + 1);
      [window[i], window[j]] = [window[j], window[i]];
    }
    lines.splice(start, len, ...window);
    return lines.join('\n');
  },
  duplicateLines(t, r) {
    const lines = t.split('\n');
    const i = int(r, lines.length);
    const copies = 1 + int(r, r() < 0.1 ? 200 : 3);
    lines.splice(i, 0, ...Array<string>(copies).fill(lines[i]));
    return lines.join('\n');
  },
  weirdChars(t, r) {
    return replaceAt(t, int(r, t.length + 1), 0, pick(r, WEIRD));
  },
  crlfLineEnds(t) {
    return t.replace(/\r?\n/g, '\r\n');
  },
  tabIndentation(t, r) {
    // Leading spaces become tabs (one per 2 or per 4), as in a file written in another editor.
    const per = r() < 0.5 ? 2 : 4;
    return t.replace(/^( +)/gm, (sp: string) => '\t'.repeat(Math.floor(sp.length / per)) + ' '.repeat(sp.length % per));
  },
  longLine(t, r) {
    // A chain on one line of thousands of columns, or a huge token.
    const at = int(r, t.length + 1);
    const by = pick(r, [
      ' -> relu'.repeat(300 + int(r, 300)),
      'x'.repeat(5000 + int(r, 20000)),
      '9'.repeat(400 + int(r, 2000)),
      '"' + 'é'.repeat(3000) + '"',
      ' '.repeat(10000),
    ]);
    return replaceAt(t, at, 0, by);
  },
  joinLines(t) {
    // Continuation lines joined onto the line they continue: long chains on one line.
    return t.replace(/\n\s*->/g, ' ->');
  },
  hugeDims(t, r) {
    const at = t.indexOf('[', int(r, t.length));
    if (at < 0) return t;
    const end = t.indexOf(']', at);
    if (end < 0) return t;
    const dims = Array.from({ length: 1 + int(r, 5) }, () => pick(r, ['99999999999', '0', '1', 'seq', '1e309', '-1', '65536', 'n + 1']));
    return replaceAt(t, at, end - at + 1, `[${dims.join(', ')}]`);
  },
};

const MUTATOR_NAMES = Object.keys(MUTATORS);

function loadSeeds(): { name: string; text: string }[] {
  const seeds = [
    { name: 'inline:lenet5', text: LENET },
    { name: 'inline:gpt2', text: GPT2 },
    { name: 'inline:mixed', text: MIXED },
    { name: 'inline:lib', text: LIB },
  ];
  const dir = join(process.cwd(), 'examples');
  if (existsSync(dir)) {
    for (const f of nnmodelFiles(dir)) seeds.push({ name: `examples/${f}`, text: readFileSync(join(dir, f), 'utf8') });
  }
  return seeds;
}

interface Mutant {
  index: number;
  seed: string;
  ops: string[];
  text: string;
}

function* mutants(count: number): Generator<Mutant> {
  const r = mulberry32(SEED);
  const seeds = loadSeeds();
  for (let index = 0; index < count; index++) {
    const seed = pick(r, seeds);
    let text = seed.text;
    const ops: string[] = [];
    // 1 to 4 mutations, mostly one or two.
    const n = 1 + (r() < 0.5 ? 0 : r() < 0.6 ? 1 : 2 + int(r, 2));
    for (let i = 0; i < n; i++) {
      const op = pick(r, MUTATOR_NAMES);
      ops.push(op);
      text = MUTATORS[op](text, r);
    }
    yield { index, seed: seed.name, ops, text };
  }
}

// ---------------------------------------------------------------- checks

/** Lines as the editor counts them: CRLF, CR and LF all end a line. */
function lineLengths(text: string): number[] {
  return text.split(/\r\n|\r|\n/).map((l) => l.length);
}

function rangeProblem(range: Range, lines: number[], textLength: number): string | undefined {
  const { start, end } = range;
  for (const p of [start, end]) {
    if (!Number.isInteger(p.line) || p.line < 0 || p.line >= lines.length) return `line ${p.line} outside 0..${lines.length - 1}`;
    if (!Number.isInteger(p.character) || p.character < 0 || p.character > lines[p.line] + 1) {
      return `character ${p.character} outside 0..${lines[p.line] + 1} on line ${p.line}`;
    }
    if (p.offset < 0 || p.offset > textLength) return `offset ${p.offset} outside 0..${textLength}`;
  }
  if (start.line > end.line || (start.line === end.line && start.character > end.character)) {
    return `start ${start.line}:${start.character} after end ${end.line}:${end.character}`;
  }
  if (start.offset > end.offset) return `start offset ${start.offset} after end offset ${end.offset}`;
  return undefined;
}

const IMPORTS: Record<string, string> = {
  'lib.nnmodel': LIB,
  'gpt2.nnmodel': GPT2,
  // Imports itself and, through lib, reaches the same blocks twice.
  'cycle.nnmodel': 'import "cycle.nnmodel"\nimport "lib.nnmodel"\nblock mlp(n) {\n  input x\n  output x -> dense(n)\n}\n',
};

function readImport(_from: string | undefined, path: string) {
  const text = IMPORTS[path];
  return text === undefined ? undefined : { uri: path, text };
}

/** What is wrong with the analysis of `text` (empty when nothing is). */
function analysisProblems(text: string, codes?: Set<string>): string[] {
  let a;
  // CPU time, not wall time: what the analysis itself costs, whatever else the machine runs.
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1000;
  };
  const c0 = process.cpuUsage();
  try {
    a = analyze(text, { uri: 'fuzz.nnmodel', readImport });
  } catch (err) {
    return [`analyze threw: ${(err as Error)?.stack ?? err}`];
  }
  let ms = cpuMs(c0);
  const out: string[] = [];
  // Retries: a GC pause or code the JIT has not compiled yet (a first 2 000-layer
  // chain) should not fail the suite; a hang stays slow every time.
  for (let retry = 0; retry < 3 && ms > TIME_LIMIT_MS; retry++) {
    const c1 = process.cpuUsage();
    analyze(text, { uri: 'fuzz.nnmodel', readImport });
    ms = Math.min(ms, cpuMs(c1));
  }
  if (ms > TIME_LIMIT_MS) out.push(`slow: analyze took ${ms.toFixed(0)} ms of CPU (limit ${TIME_LIMIT_MS})`);
  const docs = new Map<string | undefined, string>([[undefined, text], ['fuzz.nnmodel', text], ...Object.entries(IMPORTS)]);
  const check = (what: string, range: Range, uri: string | undefined) => {
    const doc = docs.get(uri);
    if (doc === undefined) return out.push(`${what}: unknown uri ${uri}`);
    const p = rangeProblem(range, lineLengths(doc), doc.length);
    if (p) out.push(`${what}: ${p}`);
  };
  for (const d of a.diagnostics) {
    codes?.add(d.code);
    if (d.code.startsWith('internal.')) out.push(`internal diagnostic ${d.code}: ${d.message}`);
    if (!d.message) out.push(`diagnostic ${d.code} without a message`);
    check(`diagnostic ${d.code} (${d.message})`, d.range, d.uri);
    for (const rel of d.related ?? []) check(`related of ${d.code}`, rel.range, rel.uri ?? d.uri);
    for (const fix of d.fixes ?? []) for (const e of fix.edits) check(`fix '${fix.title}' of ${d.code}`, e.range, d.uri);
  }
  return out;
}

/** What is wrong with formatting `text` (empty when nothing is). */
function formatProblems(text: string): string[] {
  let once: string;
  try {
    once = format(text);
  } catch (err) {
    return [`format threw: ${(err as Error)?.stack ?? err}`];
  }
  if (parse(text).errors.length > 0) {
    return once === text ? [] : ['format changed a file that has syntax errors'];
  }
  let twice: string;
  try {
    twice = format(once);
  } catch (err) {
    return [`format threw on its own output: ${(err as Error)?.stack ?? err}`];
  }
  const out: string[] = [];
  if (twice !== once) out.push('format is not idempotent');
  if (parse(once).errors.length > 0) out.push('formatted text has syntax errors');
  // format returns the text unchanged when its printer throws or its output fails its own
  // check, so "never throws" and "idempotent" alone would pass a formatter that gave up.
  // A file with an indented body must come out differently at another indent width.
  if (/^  \S/m.test(once)) {
    const cpu = () => {
      const c0 = process.cpuUsage();
      const wide = format(text, { indent: '    ' });
      const u = process.cpuUsage(c0);
      return { wide, ms: (u.user + u.system) / 1000 };
    };
    const first = cpu();
    if (first.wide === once) out.push('format gave up: the same text at indent 2 and 4');
    // CPU time, with one retry for a GC pause, as for analyze.
    if (first.ms > TIME_LIMIT_MS && cpu().ms > TIME_LIMIT_MS) out.push(`slow: format took over ${TIME_LIMIT_MS} ms of CPU`);
  }
  return out;
}

/**
 * Shrinks a failing input while `fails` still holds: drops whole lines, then
 * halving runs of characters (a coarse delta debugging), within a time budget.
 */
function minimize(text: string, fails: (t: string) => boolean, budgetMs = 5000): string {
  const deadline = performance.now() + budgetMs;
  let cur = text;
  let lines = cur.split('\n');
  for (let i = lines.length - 1; i >= 0 && performance.now() < deadline; i--) {
    const candidate = [...lines.slice(0, i), ...lines.slice(i + 1)];
    if (fails(candidate.join('\n'))) lines = candidate;
  }
  cur = lines.join('\n');
  for (let chunk = Math.max(1, cur.length >> 1); chunk >= 1 && performance.now() < deadline; chunk >>= 1) {
    for (let at = 0; at < cur.length && performance.now() < deadline; ) {
      const candidate = cur.slice(0, at) + cur.slice(at + chunk);
      if (candidate !== cur && fails(candidate)) cur = candidate;
      else at += chunk;
    }
  }
  return cur;
}

interface Failure {
  mutant: Mutant;
  problems: string[];
}

function report(kind: string, failures: Failure[], problemsOf: (t: string) => string[]): string {
  const shown = failures.slice(0, 5).map(({ mutant, problems }) => {
    const first = problems[0].split('\n')[0];
    // A different problem found while shrinking would mislead: keep the same first line,
    // numbers aside (times, and positions that move as the text shrinks).
    const shape = (p: string) => p.split('\n')[0].replace(/\d+/g, 'N');
    const same = (t: string) => problemsOf(t).some((p) => shape(p) === shape(first));
    const small = minimize(mutant.text, same);
    return [
      `mutant #${mutant.index} of ${mutant.seed} via ${mutant.ops.join(', ')}:`,
      `  ${problems.join('\n  ')}`,
      `  minimal reproducer: ${JSON.stringify(small.length > 2000 ? small.slice(0, 2000) + '…' : small)}`,
    ].join('\n');
  });
  return `${failures.length} ${kind} failure(s) (seed ${SEED}):\n${shown.join('\n')}`;
}

// ------------------------------------------------------------------ tests

test('the seeds themselves analyse cleanly enough and format idempotently', () => {
  const seeds = loadSeeds();
  assert.ok(seeds.length >= 4);
  for (const s of seeds) {
    assert.deepEqual(analysisProblems(s.text), [], s.name);
    assert.deepEqual(formatProblems(s.text), [], s.name);
  }
});

test('pathological inputs stay bounded', () => {
  const cases = [
    '(' .repeat(100_000),
    `model M {\n  input x: [8]\n  output ${'('.repeat(20_000)}x${')'.repeat(20_000)}\n}\n`,
    `model M {\n  input x: [8]\n  output x -> ${'['.repeat(5000)}\n}\n`,
    'model M {\n  input x: [8]\n  output x -> dense(8) * 1000000\n}\n',
    'block b(n) {\n  input x\n  output x -> dense(n)\n}\nmodel M {\n  input x: [8]\n  output x -> b(8) * 99999999999 -> b(8) * 1e309\n}\n',
    'model M {\n  input x: [99999999999, 99999999999, 99999999999]\n  output x -> dense(99999999999) -> dense(1e309)\n}\n',
    'model M {\n  input x: [1e309]\n  output x -> reshape([-1, -1]) -> dense(-1)\n}\n',
    // Long but plausible. How time grows with size is the benchmark's business: a cold
    // 2 000-layer one-line chain takes 130–220 ms on a busy 2-core machine, 5–15 ms once JIT-compiled.
    `model M {\n  input x: [8]\n  output x${' -> dense(8)'.repeat(500)}\n}\n`,
    'block r(n) {\n  input x\n  output x -> r(n)\n}\nmodel M {\n  input x: [8]\n  output x -> r(2)\n}\n',
    'block a(n) {\n  input x\n  output x -> b(n) * 1000\n}\nblock b(n) {\n  input x\n  output x -> a(n + 1) * 1000\n}\nmodel M {\n  input x: [8]\n  output x -> a(1)\n}\n',
    `model M {\n  input x: [8]\n  y = x\n${'  y = y + y -> dense(8)\n'.repeat(1000)}  output y\n}\n`,
    '"'.repeat(50_000),
    `# ${'x'.repeat(200_000)}\nmodel M { input x: [2] output x }`,
    'import "fuzz.nnmodel"\nimport "lib.nnmodel"\nimport "gpt2.nnmodel"\nimport "cycle.nnmodel"\n',
    '\u0000\ufeff\r\r\n\u2028model\u00a0M {}',
  ];
  const failures: Failure[] = [];
  cases.forEach((text, i) => {
    const problems = [...analysisProblems(text), ...formatProblems(text)];
    if (problems.length) failures.push({ mutant: { index: i, seed: 'pathological', ops: [], text }, problems });
  });
  assert.equal(failures.length, 0, failures.length ? report('pathological', failures, (x) => [...analysisProblems(x), ...formatProblems(x)]) : '');
});

test(`${MUTANTS} mutants: analyze never throws, stays under ${TIME_LIMIT_MS} ms, ranges lie in the document`, (t) => {
  const failures: Failure[] = [];
  let slowest = 0;
  let withErrors = 0;
  const codes = new Set<string>();
  for (const m of mutants(MUTANTS)) {
    const t0 = performance.now();
    const problems = analysisProblems(m.text, codes);
    slowest = Math.max(slowest, performance.now() - t0);
    if (problems.length) failures.push({ mutant: m, problems });
    if (parse(m.text).errors.length) withErrors++;
  }
  t.diagnostic(
    `${withErrors} of ${MUTANTS} mutants have syntax errors; ${codes.size} distinct diagnostic codes; slowest check ${slowest.toFixed(0)} ms (retries included)`,
  );
  // The mutants must reach past the parser into names, shapes, arguments, blocks and train sections.
  for (const family of ['syntax.', 'name.', 'shape.', 'arg.', 'train.']) {
    assert.ok([...codes].some((c) => c.startsWith(family)), `no ${family}* diagnostic among ${[...codes].sort().join(', ')}`);
  }
  // The mutators must actually break things, and not only break them.
  assert.ok(withErrors > MUTANTS * 0.3 && withErrors < MUTANTS * 0.97, `${withErrors} of ${MUTANTS} mutants have syntax errors`);
  assert.equal(failures.length, 0, failures.length ? report('analysis', failures, (x) => analysisProblems(x)) : '');
});

test(`${MUTANTS} mutants: format never throws, leaves broken files alone and is idempotent`, () => {
  const failures: Failure[] = [];
  let formatted = 0;
  for (const m of mutants(MUTANTS)) {
    const problems = formatProblems(m.text);
    if (problems.length) failures.push({ mutant: m, problems });
    if (parse(m.text).errors.length === 0) formatted++;
  }
  assert.ok(formatted > MUTANTS * 0.03, `only ${formatted} mutants parse cleanly: the idempotence check would be empty`);
  assert.equal(failures.length, 0, failures.length ? report('format', failures, formatProblems) : '');
});
