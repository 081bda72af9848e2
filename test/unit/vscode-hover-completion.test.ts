// Hovers and completion where a student in code-server found them wrong
// (driven through the fake `vscode` module): the `+` hover names the two
// values it adds and says when it is a residual; the registry-docs hover of a
// model with errors does not repeat its title, and is not given inside
// comments; completion inside a call whose arguments are all given offers no
// values that do not fit, and word-based suggestions are off for the language.
import { sourceDocument, state, type CompletionItem, type MarkdownString, type Position, type SourceDocument } from './vscodeMock';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { analyze } from '../../extension/core';
import type { AnalysisCache } from '../../extension/vscode/analysisCache';
import { registerCompletion } from '../../extension/vscode/completion';
import { registerHover } from '../../extension/vscode/hover';

interface Opened {
  doc: SourceDocument;
  cache: AnalysisCache;
  at: Position;
}

/** A document whose text has a `|` where the cursor is (the marker removed). */
function open(marked: string, path = '/w/qa.nnmodel'): Opened {
  const offset = marked.indexOf('|');
  assert.ok(offset >= 0, 'a | marks the cursor');
  const text = marked.slice(0, offset) + marked.slice(offset + 1);
  const doc = sourceDocument(path, text);
  const analysis = analyze(text, { uri: `file://${path}` });
  const cache = { get: () => analysis } as unknown as AnalysisCache;
  return { doc, cache, at: doc.positionAt(offset) };
}

function hover(o: Opened): string | undefined {
  registerHover('nnmodel', o.cache);
  return (state.providers.hover!.provideHover(o.doc, o.at)?.contents as MarkdownString | undefined)?.value;
}

function labels(o: Opened): string[] {
  registerCompletion('nnmodel', o.cache);
  const items: CompletionItem[] = state.providers.completion!.provideCompletionItems(o.doc, o.at, undefined, {});
  return items.map((it) => (typeof it.label === 'string' ? it.label : it.label.label));
}

const PRE_NORM = `model M {
  input tokens: int[seq]
  x = tokens -> embedding(1000, 100)
  x = x |+ x -> layernorm -> attention(4)
  output x
}
`;

test('hovering + names the two values it adds, as written, with their shapes, and says it is a residual', () => {
  const md = hover(open(PRE_NORM))!;
  assert.ok(md, 'a hover over +');
  // The precedence lesson: the right operand is the whole chain.
  assert.match(md, /`x` \+ `x -> layernorm -> attention\(4\)`/);
  assert.match(md, /left: \[seq, 100\] from `x`/);
  assert.match(md, /right: \[seq, 100\] from `x -> layernorm -> attention\(4\)`/);
  assert.match(md, /a \*\*residual\*\* connection: the shortcut `x` plus the branch `x -> layernorm -> attention\(4\)`/);
});

test('the + hover shortens a long operand, and says nothing of a residual when neither side starts from the other', () => {
  const long = `model M {
  input a: [8]
  input b: [8]
  output a |+ b -> dense(8, activation = relu) -> dense(8, activation = relu) -> dense(8, activation = relu)
}
`;
  const md = hover(open(long))!;
  assert.match(md, /`a` \+ `b -> dense\(8, activation = relu\) -> … -> dense\(8, activation = relu\)`/);
  assert.doesNotMatch(md, /\*\*residual\*\*/);
  // ResNet's bracketed sum: a shortcut and a branch from the same x, neither written as a chain from the other.
  const resnet = readFileSync(join(resolve('examples'), 'resnet18.nnmodel'), 'utf8').replace('output (x + y) -> relu', 'output (x |+ y) -> relu');
  const r = hover(open(resnet))!;
  assert.match(r, /`x` \+ `y`/);
  assert.match(r, /left: \[56, 56, 64\] from `x`/);
  // Written the other way round, the shortcut is on the right; brackets around the chain change nothing.
  const swapped = hover(open(PRE_NORM.replace('x |+ x -> layernorm -> attention(4)', '(x -> layernorm -> attention(4)) |+ x')))!;
  assert.match(swapped, /`\(x -> layernorm -> attention\(4\)\)` \+ `x` — a \*\*residual\*\* connection: the shortcut `x`/);
});

const BROKEN = `model M {
  input x: [4]
  # dense layers, then attention
  y = x -> nosuchlayer -> dense(8) -> attention(2)
  output y
}
`;

test('with an error in the model, a layer name hovers its docs without repeating its title', () => {
  for (const [needle, name] of [['den|se(8)', 'dense'], ['atten|tion(2)', 'attention']] as const) {
    const md = hover(open(BROKEN.replace(needle.replace('|', ''), needle)));
    assert.ok(md, `${name}: a hover`);
    assert.doesNotMatch(md, new RegExp(`\\*\\*${name}\\*\\* — \\*${name}\\*`), md);
    assert.equal(md.split(`**${name}`).length - 1, 1, `the title once: ${md}`);
  }
});

test('no hover inside a comment, even over a layer name', () => {
  assert.equal(hover(open(BROKEN.replace('# dense layers', '# den|se layers'))), undefined);
  assert.equal(hover(open(BROKEN.replace('then attention', 'then atten|tion'))), undefined);
  // A trailing comment on a line of code too.
  assert.equal(hover(open('model M {\n  input x: [4]\n  output x -> dense(8)  # a dense| layer\n}\n')), undefined);
});

test('after every parameter of a block is given, its remaining inputs by name and no values', () => {
  const resnet = readFileSync(join(resolve('examples'), 'resnet18.nnmodel'), 'utf8');
  const got = labels(open(resnet.replace('stem -> basic_block(64) * 2', 'stem -> basic_block(64, |) * 2')));
  assert.ok(!got.includes('image') && !got.includes('stem'), `offered: ${got.join(', ')}`);
  assert.deepEqual(got, []);
  // A block with a second input: that input by name, then values for it.
  const unet = `block up(filters) {
  input x
  input skip
  output x -> concat(skip) -> dense(filters)
}
model U {
  input a: [4]
  input b: [4]
  output a -> up(8, |)
}
`;
  assert.deepEqual(labels(open(unet)), ['skip']);
  const value = labels(open(unet.replace('up(8, |)', 'up(8, skip = |)')));
  assert.ok(value.includes('a') && value.includes('b'), value.join(', '));
  // A parameter still to give by position: its name and the inputs but the piped one; no tensor as its value
  // (vscode-block-arg-completion.test.ts).
  const param = labels(open(unet.replace('up(8, |)', 'up(|)')));
  assert.ok(param.includes('filters') && param.includes('skip') && !param.includes('b'), param.join(', '));
  assert.ok(!param.includes('x'), `x takes the piped value: ${param.join(', ')}`);
  // Nothing piped in: the first input is given by name too.
  assert.deepEqual(labels(open(unet.replace('output a -> up(8, |)', 'output up(8, |)'))), ['x', 'skip']);
  // An imported block: its inputs read from the other file.
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-qa-'));
  try {
    writeFileSync(join(dir, 'lib.nnmodel'), unet.slice(0, unet.indexOf('model U')));
    const main = 'import "lib.nnmodel"\nmodel U {\n  input a: [4]\n  input b: [4]\n  output a -> up(8, |)\n}\n';
    const offset = main.indexOf('|');
    const text = main.replace('|', '');
    const path = join(dir, 'main.nnmodel');
    const analysis = analyze(text, { uri: `file://${path}`, readImport: (_from, rel) => ({ uri: `file://${join(dir, rel)}`, text: readFileSync(join(dir, rel), 'utf8') }) });
    const doc = sourceDocument(path, text);
    assert.deepEqual(labels({ doc, cache: { get: () => analysis } as unknown as AnalysisCache, at: doc.positionAt(offset) }), ['skip']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('word-based suggestions are off for nnmodel files, so a call with every argument given offers nothing', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  assert.equal(pkg.contributes.configurationDefaults?.['[nnmodel]']?.['editor.wordBasedSuggestions'], 'off');
  const digits = `# About digits: see Amodei
model M {
  input image: [32, 32, 1]
  output image -> flatten -> dense(10) -> softmax
}
train M {
  data: digits(samples = 6000, size = 32|)
}
`;
  assert.deepEqual(labels(open(digits)), []);
  // Where nothing typed narrows VS Code's list (before the value, after a last comma): nothing from the extension either.
  assert.deepEqual(labels(open(digits.replace('size = 32|)', 'size = |32)'))), []);
  assert.deepEqual(labels(open(digits.replace('size = 32|)', 'size = 32, seed = 1, |)'))), []);
});

test("hovering a train section's value (crossentropy, accuracy) or an optimiser's option (lr) explains it", () => {
  const section = (marked: string) => open(`model M {\n  input x: [28, 28, 1]\n  output x -> flatten -> dense(10) -> softmax\n}\ntrain M {\n  data: digits()\n${marked}\n}\n`);
  assert.match(hover(section('  loss: cross|entropy')) ?? '', /^\*\*crossentropy\*\* — Categorical cross-entropy/);
  assert.match(hover(section('  metrics: [accu|racy]')) ?? '', /^\*\*accuracy\*\* — Fraction of examples/);
  assert.match(hover(section('  optimizer: adam(l|r = 1e-3)')) ?? '', /^\*\*lr\*\* — /);
});
