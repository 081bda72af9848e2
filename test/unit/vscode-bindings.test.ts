// Names rebound in a body (`x = x -> f`), block inputs, values without a
// shape and call arguments, as hover, go to definition, highlights and rename
// see them (extension/core/analysis/symbols.ts bindingChain,
// extension/core/analysis/blockInputs.ts, extension/vscode/pure/{lookup,nameHover}.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../extension/core';
import { AnalysisSession } from '../../extension/core/analysis/session';
import { bindingChain } from '../../extension/core/analysis/symbols';
import type { Analysis } from '../../extension/core/analysis/types';
import { highlightsAt, namesInScope, symbolAt } from '../../extension/vscode/pure/lookup';
import { argumentHover, nameHover } from '../../extension/vscode/pure/nameHover';

const URI = 'file:///w/t.nnmodel';
const examples = join(__dirname, '..', '..', 'examples');
const example = (name: string) => readFileSync(join(examples, name), 'utf8');

const REBOUND = `model R {
  input x: [8]
  x = x -> dense(4)
  output x -> dense(2)
}
`;

/** The offset of (1-based) line `line`, column `col`, as the editor shows them. */
function at(text: string, line: number, col: number): number {
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < line - 1; i++) offset += lines[i].length + 1;
  return offset + col - 1;
}

const pos = (r: { start: { line: number; character: number } }) => `${r.start.line + 1}:${r.start.character + 1}`;

function hoverAt(a: Analysis, text: string, line: number, col: number): string | undefined {
  const offset = at(text, line, col);
  const hit = symbolAt(a.symbols, offset, URI);
  return (hit && nameHover(a, hit, offset))?.markdown ?? argumentHover(a, offset, URI)?.markdown;
}

function highlights(a: Analysis, text: string, line: number, col: number): string[] {
  const offset = at(text, line, col);
  let start = offset;
  while (start > 0 && /\w/.test(text[start - 1])) start--;
  return highlightsAt(a, offset, start, URI).map((h) => `${h.kind} ${pos(h.range)}`);
}

/** Every range rename edits for the name at (line, col): the bindings of the chain and their uses. */
function renamed(a: Analysis, text: string, line: number, col: number): string[] {
  const hit = symbolAt(a.symbols, at(text, line, col), URI);
  assert.ok(hit);
  const out: string[] = [];
  for (const s of bindingChain(a.symbols, a.file, hit.symbol)) out.push(pos(s.range), ...s.references.map((r) => pos(r.range)));
  return out.sort();
}

test('a rebound name: a use refers to the binding in scope there, with its shape', () => {
  const a = analyze(REBOUND, { uri: URI });
  const use = symbolAt(a.symbols, at(REBOUND, 4, 10), URI);
  assert.equal(use?.symbol.kind, 'value');
  assert.equal(pos(use!.symbol.range), '3:3', 'go to definition: the rebinding on line 3');
  assert.match(hoverAt(a, REBOUND, 4, 10)!, /\(value\) x: \[4\]/);
  // The `x` on the right of `x = x -> dense(4)` is the input.
  const rhs = symbolAt(a.symbols, at(REBOUND, 3, 7), URI);
  assert.equal(pos(rhs!.symbol.range), '2:9');
  assert.match(hoverAt(a, REBOUND, 3, 7)!, /\(input\) x: \[8\]/);
  // The rebinding's own name.
  assert.match(hoverAt(a, REBOUND, 3, 3)!, /\(value\) x: \[4\]/);
});

test('a rebound name: highlights show one binding and its uses; rename takes every binding', () => {
  const a = analyze(REBOUND, { uri: URI });
  assert.deepEqual(highlights(a, REBOUND, 4, 10), ['write 3:3', 'read 4:10']);
  assert.deepEqual(highlights(a, REBOUND, 3, 7), ['write 2:9', 'read 3:7']);
  const all = ['2:9', '3:3', '3:7', '4:10'];
  assert.deepEqual(renamed(a, REBOUND, 2, 9), all);
  assert.deepEqual(renamed(a, REBOUND, 3, 3), all);
  assert.deepEqual(renamed(a, REBOUND, 4, 10), all);
  // Completion still offers the name once, as its latest binding.
  const names = namesInScope(a.symbols, 'R', at(REBOUND, 4, 10), URI);
  assert.deepEqual(names.map((s) => `${s.name} ${pos(s.range)}`), ['x 3:3']);
});

test('a rebinding is reported unused only when reassigned before a use', () => {
  const text = `model M {
  input x: [8]
  y = x -> dense(4)
  y = x -> dense(2)
  output y
}
`;
  const a = analyze(text, { uri: URI });
  const unused = a.diagnostics.filter((d) => d.code === 'value.unused' || d.code === 'input.unused');
  assert.deepEqual(unused.map((d) => `${pos(d.range)} ${d.message}`), ["3:3 'y' is assigned here but reassigned at line 4 before it is used."]);
});

test('two models of the same name: rename stays in its own body', () => {
  const text = `model M {
  input x: [8]
  output x -> dense(2)
}

model M {
  input x: [4]
  x = x -> dense(3)
  output x
}
`;
  const a = analyze(text, { uri: URI });
  assert.deepEqual(renamed(a, text, 2, 9), ['2:9', '3:10']);
  assert.deepEqual(renamed(a, text, 9, 10), ['7:9', '8:3', '8:7', '9:10']);
});

test('gpt2_small: x in the block body goes to its rebinding and shows its shape', () => {
  const text = example('gpt2_small.nnmodel');
  const a = analyze(text, { uri: URI });
  const hit = symbolAt(a.symbols, at(text, 28, 10), URI);
  assert.equal(pos(hit!.symbol.range), '27:3');
  assert.match(hoverAt(a, text, 28, 10)!, /\(value\) x: \[seq, 768\]/);
  // The same after an edit, where the session reuses the walk of unchanged bodies.
  const session = new AnalysisSession();
  session.update(text, { uri: URI });
  const edited = text.replace('maxlen = 1024', 'maxlen = 2048');
  const b = session.update(edited, { uri: URI });
  assert.equal(pos(symbolAt(b.symbols, at(edited, 28, 10), URI)!.symbol.range), '27:3');
  assert.equal(pos(symbolAt(b.symbols, at(edited, 27, 7), URI)!.symbol.range), '26:9');
});

test('a block input shows what the first call gives it, and how many calls there are', () => {
  const text = example('resnet18.nnmodel');
  const a = analyze(text, { uri: URI });
  const decl = hoverAt(a, text, 27, 9);
  assert.ok(decl);
  assert.match(decl, /\(input\) x: \[56, 56, 64\]/);
  assert.match(decl, /Shown for the first of 4 calls \(line 46: `basic_block\(64\) \* 2`\); line 47: `basic_block\(128\)` gives `\[28, 28, 128\]`/);
  // A use of it (the shortcut), and `y` beside it, count the same calls.
  assert.equal(hoverAt(a, text, 30, 11), decl);
  assert.match(hoverAt(a, text, 28, 3)!, /\(value\) y: \[56, 56, 64\]\n[^]*Shown for the first of 4 calls/);
  // down_block's input: three calls.
  assert.match(hoverAt(a, text, 35, 9)!, /\(input\) x: \[56, 56, 64\][^]*first of 3 calls/);

  const gpt = example('gpt2_small.nnmodel');
  const g = analyze(gpt, { uri: URI });
  // One call repeated 12 times with the same shape: nothing to add.
  assert.equal(hoverAt(g, gpt, 26, 9), '```nnmodel\n(input) x: [seq, 768]\n```');
  assert.equal(hoverAt(g, gpt, 27, 7), hoverAt(g, gpt, 26, 9));
});

test('a block input reached through another block counts the outermost calls', () => {
  const text = `block inner(f) {
  input x
  output x -> dense(f)
}

block outer(f) {
  input x
  output x -> inner(f) -> relu
}

model M {
  input a: [8]
  b = a -> outer(4)
  output b -> outer(2)
}
`;
  const a = analyze(text, { uri: URI });
  const md = hoverAt(a, text, 2, 9);
  assert.ok(md);
  assert.match(md, /\(input\) x: \[8\]/);
  assert.match(md, /Shown for the first of 2 calls \(line 13: `outer\(4\)`\); line 14: `outer\(2\)` gives `\[4\]`\./);
});

test('a value whose shape failed says so, with the error that stopped it', () => {
  const text = `model M {
  input x: [8]
  y = x -> dense(4)
  z = x + y
  w = z -> dense(2)
  output w
}
`;
  const a = analyze(text, { uri: URI });
  const z = hoverAt(a, text, 4, 3);
  assert.ok(z);
  assert.match(z, /^```nnmodel\n\(value\) z\n```/);
  assert.match(z, /Shape unknown because of the error on line 4: cannot add \[8\] and \[4\]/);
  assert.match(hoverAt(a, text, 5, 7)!, /\(value\) z\n[^]*error on line 4/);
  assert.match(hoverAt(a, text, 5, 3)!, /\(value\) w\n[^]*Shape unknown: it depends on line 4, which has an error: cannot add/);

  const uncalled = `block b(f) {
  input x
  y = x -> dense(f)
  output y
}

model M {
  input x: [8]
  output x -> dense(2)
}
`;
  const u = analyze(uncalled, { uri: URI });
  assert.match(hoverAt(u, uncalled, 3, 3)!, /block `b` is not called in this file/);
});

test('an argument name or a value given to it shows that argument, not the whole layer', () => {
  const text = `model M {
  input img: [8, 8, 3]
  h = img -> conv2d(8, 3, padding = same, activation = relu) -> maxpool(2, padding = valid)
  s = h -> flatten -> dense(4) -> reshape([4, 1]) -> positional(learned, maxlen = 8) -> attention(1, causal = true)
  output s -> conv1d(2, 1, padding = sam)
}
`;
  const a = analyze(text, { uri: URI });
  const line3 = text.split('\n')[2];
  const col = (line: string, needle: string, delta = 1) => line.indexOf(needle) + 1 + delta;

  const name = hoverAt(a, text, 3, col(line3, 'padding'))!;
  assert.match(name, /^```nnmodel\n\(argument\) conv2d\.padding: valid \| same = valid\n```/);
  assert.match(name, /`valid` \(no padding: the image shrinks by k − 1\) or `same` \(keep the size at stride 1\)\./);
  assert.doesNotMatch(name, /Parameters|slides `filters`/, 'not the layer hover');

  const same = hoverAt(a, text, 3, col(line3, 'same'))!;
  assert.match(same, /^```nnmodel\n\(argument\) conv2d\.padding = same\n```/);
  assert.match(same, /`padding=same`: `h' = ⌈h \/ stride⌉` \(zeros around the border\)/);
  assert.match(same, /`valid \| same` · default `valid`/);

  const relu = hoverAt(a, text, 3, col(line3, 'relu'))!;
  assert.match(relu, /\(argument\) conv2d\.activation = relu/);
  assert.match(relu, /`relu`: /);

  // The clause of the argument's documentation about it, then the layer's line about it (not the other value's).
  const valid = hoverAt(a, text, 3, col(line3, 'valid'))!;
  assert.match(valid, /\(argument\) maxpool\.padding = valid\n```\n\n`valid`: only full windows  \n`padding=valid`: `h' = ⌊\(h − size\) \/ stride⌋ \+ 1`\n/);

  const line4 = text.split('\n')[3];
  // Positional: positional(learned, ...) fills `kind`.
  assert.match(hoverAt(a, text, 4, col(line4, 'learned'))!, /\(argument\) positional\.kind = learned\n```\n\n`learned`: a trained vector per position/);
  assert.match(hoverAt(a, text, 4, col(line4, 'true'))!, /\(argument\) attention\.causal = true[^]*`true \| false` · default `false`/);
  assert.match(hoverAt(a, text, 4, col(line4, 'maxlen'))!, /\(argument\) positional\.maxlen: int/);

  // A value that is not one of the argument's.
  const line5 = text.split('\n')[4];
  assert.match(hoverAt(a, text, 5, col(line5, 'sam'))!, /`sam` is not a value of `padding`: one of `valid`, `same`, `causal`\./);

  // A name in scope given as an argument is that name's hover; the layer name keeps the layer's.
  assert.equal(argumentHover(a, at(text, 3, col(line3, 'img')), URI), undefined);
  assert.equal(argumentHover(a, at(text, 3, col(line3, 'conv2d')), URI), undefined);
});

test('an argument name of a block call shows the block parameter', () => {
  const text = example('gpt2_small.nnmodel').replace('h -> gpt_block(768, 12)', 'h -> gpt_block(768, heads = 12)');
  const a = analyze(text, { uri: URI });
  const offset = text.indexOf('heads = 12') + 2;
  assert.ok(offset > text.indexOf('model GPT2Small'));
  assert.match(argumentHover(a, offset, URI)!.markdown, /\(parameter\) gpt_block\.heads\n```\n\nRequired\./);
});

test('an argument of a block call, the block imported, shows the parameter it fills', () => {
  const lib = 'block mlp(width, rate = 0.1) {\n  input x\n  output x -> dense(width) -> dropout(rate)\n}\n';
  const libUri = 'file:///w/lib.nnmodel';
  const text = 'import "lib.nnmodel"\nmodel M {\n  input x: [8]\n  r = 0.2\n  output x -> mlp(4, rate = r) -> mlp(width = 2)\n}\n';
  const a = analyze(text, { uri: URI, readImport: (_from, path) => (path === 'lib.nnmodel' ? { uri: libUri, text: lib } : undefined) });
  assert.deepEqual(a.diagnostics, []);
  const read = (uri: string) => (uri === libUri ? lib : undefined);
  const hover = (needle: string, plus = 1) => argumentHover(a, text.indexOf(needle) + plus, URI, read)?.markdown;
  assert.match(hover('rate = r')!, /\(parameter\) mlp\.rate = 0\.1\n```\n\nDefault: `0\.1`\./);
  assert.match(hover('width = 2')!, /\(parameter\) mlp\.width\n```\n\nRequired\./);
  // `r` is a value of the file: its own hover applies.
  assert.equal(hover('r) ->', 0), undefined);
  // Without the imported file's text there is nothing to show, and no error.
  assert.equal(argumentHover(a, text.indexOf('rate = r') + 1, URI), undefined);
});

test('a word given by position to a block parameter shows that parameter', () => {
  const text = 'block b(units, act = relu) {\n  input x\n  output x -> dense(units, activation = act)\n}\nmodel M {\n  input x: [8]\n  output x -> b(4, gelu)\n}\n';
  const a = analyze(text, { uri: URI });
  assert.deepEqual(a.diagnostics, []);
  assert.match(argumentHover(a, text.indexOf('gelu') + 1, URI)!.markdown, /\(parameter\) b\.act = relu\n```\n\nDefault: `relu`\./);
});
