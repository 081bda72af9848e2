import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, type AnalyzeOptions } from '../../extension/core/analysis/analyze';
import { AnalysisSession } from '../../extension/core/analysis/session';
import { parse, reparse, type ParseState } from '../../extension/core/syntax/parser';
import { generateFile } from '../../bench/generate';
import { nnmodelFiles } from '../fixtures/examples';

const EXAMPLES = join(__dirname, '..', '..', 'examples');

function same(session: AnalysisSession, text: string, options: AnalyzeOptions = {}, what = ''): void {
  const got = JSON.stringify(session.update(text, options));
  const want = JSON.stringify(analyze(text, options));
  if (got === want) return;
  let i = 0;
  while (got[i] === want[i]) i++;
  assert.fail(`${what}: incremental result differs from a fresh analysis at ${i}:\n  got  ${got.slice(i - 120, i + 80)}\n  want ${want.slice(i - 120, i + 80)}`);
}

function prng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

const SNIPPETS = ['x', '\n', ' ', '(', ')', '-> relu', '\n  y = x -> dense(3)\n', '1', '}', '{', '# note\n', 'model Z {\n  input a: [3]\n  output a\n}\n', '//', '-', 'block'];

test('after random edits, the session equals a fresh analysis', () => {
  const files = nnmodelFiles(EXAMPLES)
    .map((f) => [f, readFileSync(join(EXAMPLES, f), 'utf8')] as const);
  files.push(['generated', generateFile(400)]);
  const rnd = prng(20240611);
  for (const [name, original] of files) {
    const session = new AnalysisSession();
    let text = original;
    same(session, text, {}, name);
    for (let k = 0; k < 25; k++) {
      const i = Math.floor(rnd() * (text.length + 1));
      const op = rnd();
      if (op < 0.5) text = text.slice(0, i) + SNIPPETS[Math.floor(rnd() * SNIPPETS.length)] + text.slice(i);
      else if (op < 0.8) text = text.slice(0, i) + text.slice(i + 1 + Math.floor(rnd() * 3));
      else {
        const j = text.indexOf('\n', i);
        if (j >= 0) text = text.slice(0, i) + text.slice(j + 1);
      }
      same(session, text, {}, `${name} after edit ${k}`);
      if (rnd() < 0.2) {
        text = original;
        same(session, text, {}, `${name} restored after edit ${k}`);
      }
    }
  }
});

test('a one-line edit re-analyses only the model it touches, and moves the ranges below it', () => {
  const text = generateFile(1000);
  const lines = text.split('\n');
  let at = 500;
  while (!lines[at].startsWith('  ') || !lines[at].includes('->')) at++;
  const session = new AnalysisSession();
  const first = session.update(text);
  assert.equal(session.stats.reusedModels, 0);
  const models = first.models.length;
  assert.ok(models > 20);
  // Read now: a session moves the ranges of earlier results in place.
  const lastLine = first.models.at(-1)!.range.start.line;

  const edited = [...lines.slice(0, at), lines[at] + ' ', ...lines.slice(at + 1)].join('\n');
  same(session, edited, {}, 'space at the end of a line');
  assert.equal(session.stats.analysedModels, 1);
  assert.equal(session.stats.reusedModels, models - 1);

  // A new line above: everything below moves down one line.
  const inserted = [...lines.slice(0, at), '  # a remark', ...lines.slice(at)].join('\n');
  same(session, inserted, {}, 'line inserted');
  assert.ok(session.stats.reusedModels >= models - 2);
  const moved = session.update(inserted).models.at(-1)!;
  assert.equal(moved.range.start.line, lastLine + 1);
  same(session, text, {}, 'line removed again');
});

test('models sharing a block are analysed together', () => {
  const block = 'block mlp(n) {\n  input x\n  output x -> dense(n) -> relu\n}\n';
  const a = 'model A {\n  input x: [4]\n  output x -> mlp(8)\n}\n';
  const b = 'model B {\n  input x: [4]\n  output x -> mlp(8) -> dense(2)\n}\n';
  const c = 'model C {\n  input x: [4]\n  output x -> dense(3)\n}\n';
  const session = new AnalysisSession();
  same(session, block + a + b + c, {}, 'first');
  same(session, block + a + b.replace('dense(2)', 'dense(5)') + c, {}, 'B edited');
  assert.equal(session.stats.analysedModels, 2, 'A and B share mlp');
  assert.equal(session.stats.reusedModels, 1);
  same(session, block.replace('relu', 'gelu') + a + b + c, {}, 'block edited');
  assert.equal(session.stats.reusedModels, 1, 'only C is independent of mlp');
  // An error in the shared block body is reported once, whichever model is re-analysed.
  const broken = block.replace('dense(n)', 'dense(n, units = 3)');
  same(session, broken + a + b + c, {}, 'broken block');
  same(session, broken + a.replace('[4]', '[5]') + b + c, {}, 'broken block, A edited');
  same(session, broken + a + b + c + '\n', {}, 'broken block, nothing edited');
});

test('identical models written twice are never confused', () => {
  const m = 'model A {\n  input x: [4]\n  output x -> dense(3)\n}\n';
  const session = new AnalysisSession();
  same(session, m + m, {}, 'twice');
  same(session, m + '\n' + m, {}, 'twice, moved');
  same(session, m + m + m, {}, 'three times');
});

test('imported blocks: a change in the imported file is seen', () => {
  const files = new Map<string, string>([['lib.nnmodel', 'block twice(n) {\n  input x\n  output x -> dense(n) -> dense(n)\n}\n']]);
  const options: AnalyzeOptions = {
    uri: 'main.nnmodel',
    readImport: (_from, path) => (files.has(path) ? { uri: path, text: files.get(path)! } : undefined),
  };
  const main = 'import "lib.nnmodel"\nmodel M {\n  input x: [4]\n  output x -> twice(8)\n}\nmodel N {\n  input x: [2]\n  output x -> dense(1)\n}\n';
  const session = new AnalysisSession();
  same(session, main, options, 'first');
  same(session, main + '\n', options, 'unchanged');
  assert.equal(session.stats.analysedModels, 0);
  files.set('lib.nnmodel', 'block twice(n) {\n  input x\n  output x -> dense(n) -> dense(2 * n)\n}\n');
  same(session, main, options, 'imported file edited');
  assert.equal(session.stats.analysedModels, 1);
  files.set('lib.nnmodel', '# moved down\n' + files.get('lib.nnmodel')!.replace('dense(n)', 'dense(n, units = 2)'));
  same(session, main, options, 'imported file broken and moved');
  files.delete('lib.nnmodel');
  same(session, main, options, 'imported file gone');
});

test('reparse equals a fresh parse and reuses the items an edit left alone', () => {
  const rnd = prng(7);
  const lf = generateFile(300) + readFileSync(join(EXAMPLES, 'transformer.nnmodel'), 'utf8') + '# the end\n';
  const snippets = SNIPPETS.filter((x) => x !== '//');
  let reusedItems = 0;
  for (const original of [lf, lf.replace(/\n/g, '\r\n')]) {
    let state: ParseState | undefined;
    let text = original;
    for (let k = 0; k < 120; k++) {
      const before = new Set(state?.file.items);
      state = reparse(text, state);
      assert.equal(JSON.stringify(state.file), JSON.stringify(parse(text)), `after edit ${k}`);
      assert.equal(state.positions.length, state.file.items.length);
      reusedItems += state.file.items.filter((it) => before.has(it)).length;
      const i = Math.floor(rnd() * (text.length + 1));
      if (rnd() < 0.6) text = text.slice(0, i) + snippets[Math.floor(rnd() * snippets.length)] + text.slice(i);
      else text = text.slice(0, i) + text.slice(i + 1 + Math.floor(rnd() * 4));
      if (rnd() < 0.1) text = original;
    }
  }
  assert.ok(reusedItems > 1000, `items reused: ${reusedItems}`);
});

/** `text` with `insert` put at `at` and `remove` characters after it dropped. */
function splice(text: string, at: number, remove: number, insert: string): string {
  return text.slice(0, at) + insert + text.slice(at + remove);
}

test('keystrokes across a generated file (in models, blocks, train sections; adding and removing lines) equal fresh analyses', () => {
  const rnd = prng(99);
  const original = generateFile(600);
  const session = new AnalysisSession();
  let text = original;
  same(session, text, {}, 'first');
  // Typing as an editor does: one character or one line break at a time, at the end of or inside a line.
  const typed = ['1', 'x', ' ', '\n', ',', '(', ')', 'relu', '\n  z = x -> dense(2)', '# c'];
  for (let k = 0; k < 80; k++) {
    const lines = text.split('\n');
    const line = Math.floor(rnd() * lines.length);
    let at = 0;
    for (let l = 0; l < line; l++) at += lines[l].length + 1;
    const col = Math.floor(rnd() * (lines[line].length + 1));
    const op = rnd();
    if (op < 0.6) text = splice(text, at + col, 0, typed[Math.floor(rnd() * typed.length)]);
    else if (op < 0.85) text = splice(text, at + col, 1, '');
    else text = splice(text, at, lines[line].length + 1, '');
    same(session, text, {}, `keystroke ${k}`);
    if (rnd() < 0.15) {
      text = original;
      same(session, text, {}, `restored after ${k}`);
    }
  }
});

test('a keystroke that keeps the line count re-analyses one model and keeps every range right', () => {
  const text = generateFile(2000);
  const lines = text.split('\n');
  const session = new AnalysisSession();
  session.update(text);
  for (const frac of [0.1, 0.5, 0.9]) {
    let at = Math.floor(lines.length * frac);
    while (!lines[at].startsWith('  ') || !lines[at].includes('->') || lines[at - 1].startsWith('block')) at++;
    for (const extra of [' ', '', 'x', '']) {
      const edited = [...lines.slice(0, at), lines[at] + extra, ...lines.slice(at + 1)].join('\n');
      same(session, edited, {}, `line ${at} + ${JSON.stringify(extra)}`);
      assert.ok(session.stats.analysedModels <= 1, `analysed ${session.stats.analysedModels} models`);
    }
  }
});

test('an edit in a block used by many models re-analyses them, and the others stay', () => {
  const block = 'block mlp(n) {\n  input x\n  output x -> dense(n) -> relu\n}\n';
  const users = Array.from({ length: 12 }, (_, i) => `model U${i} {\n  input x: [${i + 2}]\n  output x -> mlp(${i + 3})\n}\n`).join('');
  const others = Array.from({ length: 8 }, (_, i) => `model O${i} {\n  input x: [${i + 2}]\n  h = x -> dense(4)\n  output h -> dense(2)\n}\n`).join('');
  const session = new AnalysisSession();
  same(session, block + users + others, {}, 'first');
  same(session, block.replace('relu', 'gelu') + users + others, {}, 'block body edited');
  assert.equal(session.stats.analysedModels, 12);
  assert.equal(session.stats.reusedModels, 8);
  same(session, block.replace('relu', 'gelu\n  # two lines') + users + others, {}, 'block grew a line');
  assert.equal(session.stats.reusedModels, 8);
  same(session, block.replace('dense(n)', 'dense(n, bogus = 1)') + users + others, {}, 'block broken');
  same(session, block.replace('mlp', 'mlq') + users + others, {}, 'block renamed: every user now has an unknown name');
  same(session, block + users + others, {}, 'back');
});

test('names declared elsewhere change what an untouched body means (symbols, references, unused values)', () => {
  const a = 'model A {\n  input x: [4]\n  d = dense(4)\n  t = x -> d\n  u = x -> relu\n  output x -> d -> helper(2)\n}\n';
  const helper = 'block helper(n) {\n  input x\n  output x -> dense(n)\n}\n';
  const shadow = 'block dense(n) {\n  input x\n  output x\n}\n';
  const session = new AnalysisSession();
  same(session, a, {}, 'helper unknown, t and u unused');
  same(session, a + helper, {}, 'helper declared below: a reference from the untouched model');
  same(session, shadow + a + helper, {}, 'a block named dense: d is no longer a layer object');
  same(session, a + helper, {}, 'shadow removed');
  same(session, a.replace('t = x -> d', 't = x -> d\n  v = t'), {}, 'a line added in the body, helper gone');
  // Lines move above an unused value reassigned later: the message names the (new) line of the reassignment.
  const re = 'model R {\n  input x: [4]\n  y = x -> dense(2)\n  y = x -> dense(3)\n  output y\n}\n';
  same(session, re + a, {}, 'reassigned before use');
  same(session, '# one\n# two\n' + re + a, {}, 'moved down two lines');
});

test('edits of the import line and of an imported file between keystrokes', () => {
  const files = new Map<string, string>([
    ['lib.nnmodel', 'block twice(n) {\n  input x\n  output x -> dense(n) -> dense(n)\n}\n'],
    ['other.nnmodel', 'block twice(n) {\n  input x\n  output x -> dense(n)\n}\n'],
  ]);
  const options: AnalyzeOptions = {
    uri: 'main.nnmodel',
    readImport: (_from, path) => (files.has(path) ? { uri: path, text: files.get(path)! } : undefined),
  };
  const body = 'model M {\n  input x: [4]\n  output x -> twice(8)\n}\nmodel N {\n  input x: [2]\n  output x -> dense(1)\n}\n';
  const session = new AnalysisSession();
  same(session, 'import "lib.nnmodel"\n' + body, options, 'first');
  same(session, 'import "other.nnmodel"\n' + body, options, 'import line edited');
  same(session, 'import "othe.nnmodel"\n' + body, options, 'import of a missing file');
  same(session, '\nimport "other.nnmodel"\n' + body, options, 'import moved down');
  same(session, '\nimport "other.nnmodel"\n' + body.replace('dense(1)', 'dense(3)'), options, 'keystroke in N');
  assert.equal(session.stats.analysedModels, 1);
  files.set('other.nnmodel', files.get('other.nnmodel')!.replace('dense(n)', 'dense(2 * n)'));
  same(session, '\nimport "other.nnmodel"\n' + body.replace('dense(1)', 'dense(3)'), options, 'imported file edited');
});

test('a train section kept across edits follows its model: fit problems come and go, its own problems stay and move', () => {
  const model = (size: number) => `model M {\n  input x: [${size}, ${size}, 1]\n  output x -> flatten -> dense(10) -> softmax\n}\n`;
  const train = 'train M {\n  data: digits(size = 28)\n  epochs: 0\n}\n';
  const other = (n: number) => `model Other {\n  input x: [${n}]\n  output x -> dense(2)\n}\n`;
  const session = new AnalysisSession();
  const codes = (text: string) => {
    same(session, text, {}, text.slice(0, 40));
    return session.update(text).diagnostics.map((d) => `${d.code}@${d.range.start.line}`);
  };
  // The train section's tree is reused in every version below; only the model (or a line above) changes.
  assert.deepEqual(codes(model(28) + train), ['train.bad_value@6']);
  assert.deepEqual(codes(model(32) + train), ['train.bad_value@6', 'train.data_shape@5']);
  assert.deepEqual(codes(other(3) + model(32) + train), ['train.bad_value@10', 'train.data_shape@9']);
  assert.deepEqual(codes(other(4) + model(28) + train), ['train.bad_value@10']);
});

test('typing at the end of a model not closed yet: each line is checked, fresh and in the session, before and after Enter', () => {
  // Found in code-server: the misspelt layer of the last line showed no error, and after Enter the session replayed that.
  const a = 'model GPT {\n  input tokens: int[seq]\n  wte = embedding(50257, 768)\n  x = tokens -> wte -> positonal(learned)';
  const codes = (text: string) => analyze(text).diagnostics.map((d) => d.code);
  assert.ok(codes(a).includes('name.unknown_layer'), codes(a).join(', '));
  const session = new AnalysisSession();
  for (const text of [a, a + '\n  ', a + '\n  y', a + '\n  ', a, a + '\n}\n']) same(session, text, {}, JSON.stringify(text.slice(-12)));
});
