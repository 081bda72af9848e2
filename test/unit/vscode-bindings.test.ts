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
  assert.match(decl, /Shown for the first of 4 calls, `basic_block\(64\) \* 2` on line 46; `basic_block\(128\)` on line 47 gives \[28, 28, 128\]/);
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
  assert.match(md, /Shown for the first of 2 calls, `outer\(4\)` on line 13; `outer\(2\)` on line 14 gives \[4\]\./);
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
  // The value this call gives it, not the declaration's default (`= valid` read as the value used).
  assert.match(name, /^```nnmodel\n\(argument\) conv2d\.padding: valid \| same\n```\n\nAt this call: `padding = same` \(default valid\)/);
  assert.match(name, /`valid` \(no padding: the image shrinks by k − 1\), `same` \(keep the size at stride 1\), or zeros on each side: `p` or `\[ph, pw\]` \(PyTorch's `padding = p`\)\./);
  assert.doesNotMatch(name, /Parameters|slides `filters`/, 'not the layer hover');

  const same = hoverAt(a, text, 3, col(line3, 'same'))!;
  assert.match(same, /^```nnmodel\n\(argument\) conv2d\.padding = same\n```/);
  assert.match(same, /`padding=same`: `h' = ⌈h \/ stride⌉` \(zeros around the border\)/);
  assert.match(same, /`valid \| same` · default `valid`/);

  const relu = hoverAt(a, text, 3, col(line3, 'relu'))!;
  assert.match(relu, /\(argument\) conv2d\.activation = relu/);
  assert.match(relu, /\*\*relu\*\* — /);

  // The clause of the argument's documentation about it, then the layer's line about it (not the other value's).
  const valid = hoverAt(a, text, 3, col(line3, 'valid'))!;
  assert.match(valid, /\(argument\) maxpool\.padding = valid\n```\n\n\*\*valid\*\* — only full windows  \n`padding=valid`: `h' = ⌊\(h − size\) \/ stride⌋ \+ 1`\n/);

  const line4 = text.split('\n')[3];
  // Positional: positional(learned, ...) fills `kind`.
  assert.match(hoverAt(a, text, 4, col(line4, 'learned'))!, /\(argument\) positional\.kind = learned\n```\n\n\*\*learned\*\* — a trained vector per position/);
  assert.match(hoverAt(a, text, 4, col(line4, 'true'))!, /\(argument\) attention\.causal = true[^]*`true \| false` · default `false`/);
  assert.match(hoverAt(a, text, 4, col(line4, 'maxlen'))!, /\(argument\) positional\.maxlen: int/);

  // A value that is not one of the argument's.
  const line5 = text.split('\n')[4];
  assert.match(hoverAt(a, text, 5, col(line5, 'sam'))!, /`sam` is not a value of `padding` — one of `valid` `same` `causal`/);

  // A name in scope given as an argument is that name's hover; the layer name keeps the layer's.
  assert.equal(argumentHover(a, at(text, 3, col(line3, 'img')), URI), undefined);
  assert.equal(argumentHover(a, at(text, 3, col(line3, 'conv2d')), URI), undefined);
});

test('an argument name of a block call shows the block parameter', () => {
  const text = example('gpt2_small.nnmodel').replace('h -> gpt_block(768, 12)', 'h -> gpt_block(768, heads = 12)');
  const a = analyze(text, { uri: URI });
  const offset = text.indexOf('heads = 12') + 2;
  assert.ok(offset > text.indexOf('model GPT2Small'));
  const md = argumentHover(a, offset, URI)!.markdown;
  assert.match(md, /^```nnmodel\n\(parameter\) gpt_block\.heads = 12\n```\n\nAt this call: `heads = 12`  \n/);
  assert.match(md, /Required: no default; a parameter of block `gpt_block\(dim, heads, hidden = 4 \* dim, p = 0\.1\)`/);
});

test('an argument of a block call, the block imported, shows the parameter it fills', () => {
  const lib = 'block mlp(width, rate = 0.1) {\n  input x\n  output x -> dense(width) -> dropout(rate)\n}\n';
  const libUri = 'file:///w/lib.nnmodel';
  const text = 'import "lib.nnmodel"\nmodel M {\n  input x: [8]\n  r = 0.2\n  output x -> mlp(4, rate = r) -> mlp(width = 2)\n}\n';
  const a = analyze(text, { uri: URI, readImport: (_from, path) => (path === 'lib.nnmodel' ? { uri: libUri, text: lib } : undefined) });
  assert.deepEqual(a.diagnostics, []);
  const read = (uri: string) => (uri === libUri ? lib : undefined);
  const hover = (needle: string, plus = 1) => argumentHover(a, text.indexOf(needle) + plus, URI, read)?.markdown;
  // The value this call gives (`r` is 0.2 here), then the declared default: not the default as if it were the value.
  assert.match(hover('rate = r')!, /^```nnmodel\n\(parameter\) mlp\.rate = 0\.2\n```\n\nAt this call: `rate = r`, which is 0\.2  \n/);
  assert.match(hover('rate = r')!, /Declared default 0\.1; a parameter of block `mlp\(width, rate = 0\.1\)` \(imported from `lib\.nnmodel`\)/);
  assert.match(hover('width = 2')!, /\(parameter\) mlp\.width = 2\n```\n\nAt this call: `width = 2`  \nRequired: no default; a parameter of block `mlp\(width, rate = 0\.1\)` \(imported from `lib\.nnmodel`\)/);
  // A number given by position: the parameter it fills, not the whole block.
  assert.match(hover('4, rate', 0)!, /\(parameter\) mlp\.width = 4\n```\n\nAt this call: `width = 4` \(given by position\)/);
  // `r` is a value of the file: its own hover applies.
  assert.equal(hover('r) ->', 0), undefined);
  // Without the imported file's text there is nothing to show, and no error.
  assert.equal(argumentHover(a, text.indexOf('rate = r') + 1, URI), undefined);
});

test('a word given by position to a block parameter shows that parameter', () => {
  const text = 'block b(units, act = relu) {\n  input x\n  output x -> dense(units, activation = act)\n}\nmodel M {\n  input x: [8]\n  output x -> b(4, gelu)\n}\n';
  const a = analyze(text, { uri: URI });
  assert.deepEqual(a.diagnostics, []);
  assert.match(
    argumentHover(a, text.indexOf('gelu') + 1, URI)!.markdown,
    /\(parameter\) b\.act = gelu\n```\n\nAt this call: `act = gelu` \(given by position\)  \nDeclared default relu; a parameter of block `b\(units, act = relu\)`/,
  );
  assert.match(argumentHover(a, text.indexOf('4, gelu'), URI)!.markdown, /\(parameter\) b\.units = 4\n```\n\nAt this call: `units = 4` \(given by position\)/);
});

const RES_LIB = `block res(
  # output channels of the dense layer
  filters,
  act = relu,   # the activation after it
  k = 3, p = 0.1  # two on a line: no one's
) {  # about the block, not a parameter
  input x
  input skip
  output x -> concat(skip) -> dense(filters, activation = act)
}
`;

const RES_CALLS = `model M {
  input x: [8]
  width = 16
  e = x -> dense(4)
  output x -> res(filters = 2 * width, act = gelu, skip = e) -> res(64, relu, skip = e -> relu, p = 0.1 + 0.2)
}
`;

/** The hovers of RES_CALLS at each needle (+ plus), the block `res` local or imported from lib.nnmodel. */
function resHovers(imported: boolean, needles: readonly (readonly [string, number])[]): (string | undefined)[] {
  const libUri = 'file:///w/lib.nnmodel';
  const text = imported ? `import "lib.nnmodel"\n${RES_CALLS}` : RES_LIB + RES_CALLS;
  const a = analyze(text, { uri: URI, readImport: (_from, path) => (path === 'lib.nnmodel' ? { uri: libUri, text: RES_LIB } : undefined) });
  assert.deepEqual(a.diagnostics, []);
  const read = (uri: string) => (uri === libUri ? RES_LIB : undefined);
  return needles.map(([needle, plus]) => {
    const offset = text.indexOf(needle, text.indexOf('model M')) + plus;
    const hit = symbolAt(a.symbols, offset, URI);
    return (hit && nameHover(a, hit, offset))?.markdown ?? argumentHover(a, offset, URI, read)?.markdown;
  });
}

test('an argument of a block call shows the value this call gives, the declared default, the block and the comment', () => {
  const [filters, expr, act, gelu, pos64, posRelu, p, width] = resHovers(false, [
    ['filters =', 1],
    ['2 * width', 0],
    ['act =', 1],
    ['gelu', 1],
    ['64', 0],
    ['relu, skip', 1],
    ['p = 0.1 +', 0],
    ['width, act', 1],
  ]);
  // On the name: the parameter with this call's value (2 * width = 32), the block, and the comment above it.
  assert.equal(
    filters,
    '```nnmodel\n(parameter) res.filters = 32\n```\n\nAt this call: `filters = 2 * width`, which is 32  \n' +
      'Required: no default; a parameter of block `res(filters, act = relu, k = 3, p = 0.1)`\n\noutput channels of the dense layer',
  );
  // On the value: the same.
  assert.equal(expr, filters);
  // A word given by name: the value given, the declared default apart; the comment after it on its line.
  assert.equal(
    act,
    '```nnmodel\n(parameter) res.act = gelu\n```\n\nAt this call: `act = gelu`  \n' +
      'Declared default relu; a parameter of block `res(filters, act = relu, k = 3, p = 0.1)`\n\nthe activation after it',
  );
  assert.equal(gelu, act);
  // By position: the parameter it binds to and its value.
  assert.match(pos64!, /^```nnmodel\n\(parameter\) res\.filters = 64\n```\n\nAt this call: `filters = 64` \(given by position\)  \n/);
  assert.match(posRelu!, /^```nnmodel\n\(parameter\) res\.act = relu\n```\n\nAt this call: `act = relu` \(given by position\)/);
  // An expression is evaluated; a comment on a line of two parameters is no one's.
  assert.equal(p, '```nnmodel\n(parameter) res.p = 0.3\n```\n\nAt this call: `p = 0.1 + 0.2`, which is 0.3  \nDeclared default 0.1; a parameter of block `res(filters, act = relu, k = 3, p = 0.1)`');
  // A name inside the value keeps its own hover: a number has a value, not "shape unknown".
  assert.equal(width, '```nnmodel\n(value) width = 16\n```');
});

test('an input of a block given by name shows that input and the shape given to it', () => {
  const [skip, skip2] = resHovers(false, [
    ['skip = e)', 1],
    ['skip = e ->', 1],
  ]);
  assert.equal(
    skip,
    '```nnmodel\n(input) res.skip: [4]\n```\n\nAt this call: `skip = e`  \nAn input of block `res(filters, act = relu, k = 3, p = 0.1)` — the value given binds to its `input skip`',
  );
  assert.match(skip2!, /^```nnmodel\n\(input\) res\.skip: \[4\]\n```\n\nAt this call: `skip = e -> relu`/);
});

test('a value inside a call of an imported block shows what it shows in a call of a local block', () => {
  const needles = [
    ['filters =', 1],
    ['2 * width', 0],
    ['width, act', 1],
    ['gelu', 1],
    ['64', 0],
    ['relu, skip', 1],
    ['skip = e)', 1],
    ['e)', 0],
    ['p = 0.1 +', 4],
  ] as const;
  const local = resHovers(false, needles);
  const imported = resHovers(true, needles);
  for (let i = 0; i < needles.length; i++) {
    assert.ok(local[i], `a hover at ${needles[i][0]}`);
    assert.doesNotMatch(imported[i]!, /^```nnmodel\nblock res/, `not the whole block's hover at ${needles[i][0]}`);
    assert.equal(imported[i]!.replace(' (imported from `lib.nnmodel`)', ''), local[i], `at ${needles[i][0]}`);
  }
  assert.match(imported[0]!, /Required: no default; a parameter of block `res\(filters, act = relu, k = 3, p = 0\.1\)` \(imported from `lib\.nnmodel`\)\n\noutput channels of the dense layer$/);
});

test('inside a block body, an argument built from its parameters depends on the call', () => {
  const text = `${RES_LIB}block mine(w) {
  input x
  v = w * 2
  output x -> res(v + 1, act = gelu, skip = x, k = w)
}
model M {
  input x: [8]
  output x -> mine(8)
}
`;
  const a = analyze(text, { uri: URI });
  assert.deepEqual(a.diagnostics, []);
  const hover = (needle: string, plus: number) => {
    const offset = text.indexOf(needle) + plus;
    const hit = symbolAt(a.symbols, offset, URI);
    return (hit && nameHover(a, hit, offset))?.markdown ?? argumentHover(a, offset, URI)?.markdown;
  };
  assert.match(hover('+ 1', 0)!, /^```nnmodel\n\(parameter\) res\.filters = v \+ 1\n```\n\nAt this call: `filters = v \+ 1` \(given by position\)  \nIts value depends on the call of block `mine`  \n/);
  assert.match(hover('k = w', 0)!, /\(parameter\) res\.k = w\n```\n\nAt this call: `k = w`  \nIts value depends on the call of block `mine`/);
  assert.equal(hover('v + 1', 0), '```nnmodel\n(value) v = w * 2\n```\n\nIts value depends on the call of block `mine`.');
});

test('a name bound to a layer object (e = d) is that object: an object in the outline, and its hover says it is another name for d', () => {
  const text = 'model S {\n  input x: [seq, 16]\n  d = dense(16)\n  e = d\n  h = x -> d -> e\n  output h\n}\n';
  const a = analyze(text, { uri: URI });
  assert.deepEqual(a.symbols.filter((s) => s.name === 'd' || s.name === 'e').map((s) => [s.name, s.kind]), [['d', 'object'], ['e', 'object']]);
  const hover = hoverAt(a, text, 4, 3)!;
  assert.match(hover, /\(layer object\) e = d/);
  assert.match(hover, /Another name for `d`: the same layer, one set of weights for both names\./);
  assert.doesNotMatch(hover, /Shape unknown/);
});
