/**
 * A message that names its fix offers it (found by a student's QA pass):
 * each fix applied gives a file without that error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { AnalysisSession } from '../../extension/core/analysis/session';
import { applyFix } from './sourceText';

const errors = (text: string) => analyze(text).diagnostics.filter((d) => d.severity === 'error');

test("a shape without its ','s: one fix inserts them all", () => {
  const text = 'model M {\n  input x: [32 32 3]\n  output x -> flatten -> dense(2)\n}\n';
  const [d] = errors(text);
  assert.equal(d.fixes?.[0].title, "Insert the 2 missing ','");
  const fixed = applyFix(text, d, 0);
  assert.match(fixed, /input x: \[32, 32, 3\]/);
  assert.deepEqual(errors(fixed), []);
});

test("a chain without 'output' or '=': make it the output when it is the last line, else assign it", () => {
  const last = 'model M {\n  input x: [8]\n  h = x -> dense(4)\n  h -> dense(2)\n}\n';
  const [d] = errors(last);
  assert.match(d.message, /found '->': to make it the output, write 'output h -> \.\.\.'; to keep it, 'h = h -> \.\.\.'$/);
  assert.deepEqual(d.fixes?.map((f) => [f.title, !!f.preferred]), [
    ["Make it the output: 'output h -> ...'", true],
    ["Assign it: 'h = h -> ...'", false],
  ]);
  assert.deepEqual(errors(applyFix(last, d, 0)), []);
  const middle = 'model M {\n  input x: [8]\n  h = x -> dense(4)\n  h -> dense(2)\n  output h\n}\n';
  const [m] = errors(middle);
  assert.equal(m.fixes?.[0].title, "Assign it: 'h = h -> ...'");
  assert.match(applyFix(middle, m, 0), /\n {2}h = h -> dense\(2\)\n/);
  assert.deepEqual(errors(applyFix(middle, m, 0)), []);
});

test("'output = x' says output is a keyword, and the fix removes the '='", () => {
  const text = 'model M {\n  input x: [8]\n  output = x -> dense(2)\n}\n';
  const [d] = errors(text);
  assert.equal(d.message, "expected the output's value after 'output', found '=': 'output' is a keyword, not a name; write 'output x ...'");
  // It names what the line outputs.
  assert.match(errors('model M {\n  input h: [8]\n  output = h -> dense(2)\n}\n')[0].message, /write 'output h \.\.\.'$/);
  const fixed = applyFix(text, d, 0);
  assert.match(fixed, /\n {2}output x -> dense\(2\)\n/);
  assert.deepEqual(analyze(fixed).diagnostics, []);
  // Read on as the output it is: the model is analysed, a later mistake still reported.
  assert.deepEqual(errors('model M {\n  input x: [8]\n  output = x -> dens(2)\n}\n').map((e) => e.code), ['syntax.unexpected', 'name.unknown_layer']);
});

test("'==' (Python's comparison) where '=' is meant: one error for the run, one fix, the line read on", () => {
  const out = 'model M {\n  input x: [8]\n  output == x -> dense(2)\n}\n';
  const [o, ...more] = errors(out);
  assert.equal(more.length, 0);
  assert.match(o.message, /found '==': 'output' is a keyword/);
  assert.equal(o.fixes?.[0].title, "Remove '=='");
  assert.match(applyFix(out, o), /\n {2}output x -> dense\(2\)\n/);
  assert.deepEqual(analyze(applyFix(out, o)).diagnostics, []);
  const assign = 'model M {\n  input x: [8]\n  h == x -> dense(4)\n  output h\n}\n';
  const [a, ...rest] = errors(assign);
  assert.equal(rest.length, 0);
  assert.equal(a.message, "found '==' after 'h': an assignment is 'NAME = value', with one '='");
  assert.equal(assign.slice(a.range.start.offset, a.range.end.offset), '==');
  assert.equal(a.fixes?.[0].title, "Replace '==' with '='");
  assert.match(applyFix(assign, a), /\n {2}h = x -> dense\(4\)\n/);
  assert.deepEqual(analyze(applyFix(assign, a)).diagnostics, []);
  // Read on: a later mistake of the line is its own error.
  assert.deepEqual(errors('model M {\n  input x: [8]\n  h == x -> dens(4)\n  output h\n}\n').map((e) => e.code), ['syntax.unexpected', 'name.unknown_layer']);
  // A named value and a block parameter's default alike.
  for (const [text, form] of [
    ['model M {\n  input x: [8]\n  output x -> dense(units == 4)\n}\n', "a named value is 'units = value'"],
    ['block b(n == 4) {\n  input x\n  output x -> dense(n)\n}\nmodel M {\n  input x: [8]\n  output x -> b\n}\n', "a default is 'n = value'"],
  ]) {
    const [d, ...others] = errors(text);
    assert.equal(others.length, 0, text);
    assert.match(d.message, new RegExp(`found '==' after '\\w+': ${form.replace(/[()]/g, '\\$&')}, with one '='`));
    assert.deepEqual(errors(applyFix(text, d)), [], text);
  }
});

test('dropout(50): a percentage where a fraction is due, with the fix', () => {
  const text = 'model M {\n  input x: [8]\n  output x -> dropout(50) -> dense(2)\n}\n';
  const [d] = errors(text);
  assert.equal(d.message, "dropout's 'rate' must be between 0 and 1; got 50. For 50%, write 0.5.");
  assert.deepEqual(errors(applyFix(text, d, 0)), []);
  // Not a percentage: no fix.
  assert.equal(errors('model M {\n  input x: [8]\n  output x -> dropout(150)\n}\n')[0].fixes, undefined);
});

test('attention heads that do not divide the dimension: a fix for each nearby divisor, on the call that gave them', () => {
  const text = 'block enc(heads) {\n  input x\n  output x + x -> layernorm -> attention(heads)\n}\nmodel M {\n  input t: int[seq]\n  output t -> embedding(100, 100) -> enc(3)\n}\n';
  const [d] = errors(text);
  assert.equal(d.code, 'arg.heads_divide');
  assert.equal(d.range.start.line, 6);
  // The two nearest divisors, the nearest first; of two as near (4 and 2 around 3), the larger.
  assert.equal(d.message, 'attention dim 100 is not divisible by heads 3; use heads 4 or 2, or set key_dim');
  assert.deepEqual(d.fixes?.map((f) => f.title), ['Change heads to 4', 'Change heads to 2']);
  assert.deepEqual(errors('model M {\n  input t: int[seq]\n  output t -> embedding(100, 100) -> attention(8)\n}\n')[0].fixes?.map((f) => f.title), ['Change heads to 10', 'Change heads to 5']);
  d.fixes!.forEach((_, i) => assert.deepEqual(errors(applyFix(text, d, i)), []));
});

test('cls_token and positional on a grid of patches say how to make it a sequence, as attention does', () => {
  const patches = (layer: string) => `model V {\n  input image: [32, 32, 3]\n  output image -> conv2d(48, 8, stride = 8) -> ${layer}\n}\n`;
  const hint = ' Its positions lie on two axes: `-> reshape([-1, 48])` makes each of the 4 × 4 positions one step of a sequence (as a ViT does with its patches).';
  for (const layer of ['cls_token', 'positional(learned, maxlen = 16)', 'attention(4)']) {
    const all = errors(patches(layer));
    assert.equal(all.length, 1, layer);
    assert.equal(all[0].code, 'shape.rank');
    assert.equal(all[0].message, `${layer.replace(/\(.*/, '')} expects an input of rank 2, but got [4, 4, 48] (rank 3).${hint}`);
    assert.deepEqual(errors(patches(`reshape([-1, 48]) -> ${layer}`)), [], layer);
  }
});

test('rank errors say what to change: a flatten before a convolution, a sequence into conv2d, an image into attention', () => {
  const [flat] = errors('model M {\n  input x: [28, 28, 1]\n  output x -> flatten -> conv2d(8, 3)\n}\n');
  assert.match(flat.message, /a flatten goes after the convolutions, not before; a vector of pixels is reshaped first: add reshape\(\[28, 28, 1\]\) first$/);
  const [seq] = errors('model M {\n  input x: [100, 1]\n  output x -> conv1d(16, 3) -> conv2d(8, 3)\n}\n');
  assert.match(seq.message, /a sequence \[length, channels\] takes the 1-D layers \(conv1d\)/);
  const [img] = errors('model M {\n  input x: [30, 30, 8]\n  output x -> attention(4)\n}\n');
  assert.match(img.message, /`-> reshape\(\[-1, 8\]\)` makes each of the 30 × 30 positions one step of a sequence/);
  assert.deepEqual(errors('model M {\n  input x: [30, 30, 8]\n  output x -> reshape([-1, 8]) -> attention(4)\n}\n'), []);
});

test("a residual whose branch changed the channels says how to match them, and a body's shape error names the call it came through", () => {
  const text = 'block res(filters) {\n  input x\n  y = x -> conv2d(filters, 3, padding = same) -> relu\n  output x + y\n}\nmodel M {\n  input image: [32, 32, 3]\n  h = image -> conv2d(16, 3, padding = same)\n  output h -> res(32) -> flatten -> dense(10)\n}\n';
  const [d] = errors(text);
  assert.equal(d.message, "cannot add [32, 32, 16] and [32, 32, 32]: channel 16 ≠ 32; to add them, bring the one with 16 channels to 32: `-> conv2d(32, 1)` on it (a projection shortcut, as in ResNet's downsampling blocks)");
  assert.equal(d.range.start.line, 3);
  assert.deepEqual(d.related?.map((r) => [r.message, r.range.start.line]), [['reached through res(32)', 8]]);
  // Its advice, followed, mends it.
  assert.deepEqual(errors(text.replace('output x + y', 'output (x -> conv2d(filters, 1)) + y')), []);
  // A sequence's features: a 1-wide conv1d; a vector: a dense.
  assert.match(errors('model M {\n  input x: [10, 4]\n  output x + (x -> conv1d(8, 1))\n}\n')[0].message, /`-> conv1d\(8, 1\)` on it/);
  assert.match(errors('model M {\n  input x: [4]\n  output x + (x -> dense(8))\n}\n')[0].message, /bring the one with 4 features to 8: `-> dense\(8\)` on it/);
});

test('a residual that changed the channels (and the positions, by a stride) offers the projection shortcut; in a block, written with its parameters', () => {
  // In a block: the numbers are the parameters that hold them, right for every call (res(32) and res(64) alike).
  const text = 'block down(filters, stride = 2) {\n  input x\n  y = x -> conv2d(filters, 3, stride = stride, padding = same) -> relu\n  output (x + y) -> relu\n}\nmodel M {\n  input image: [32, 32, 3]\n  h = image -> conv2d(16, 3, padding = same)\n  output h -> down(32) -> down(64) -> flatten -> dense(10)\n}\n';
  const [d] = errors(text);
  assert.match(d.message, /bring the one with 16 channels to 32 and its positions to \[16, 16, 32\]: `-> conv2d\(32, 1, stride = 2\)` on it/);
  assert.equal(d.fixes?.[0].title, 'Add a projection shortcut: -> conv2d(filters, 1, stride = stride)');
  const fixed = applyFix(text, d);
  assert.match(fixed, /output \(x -> conv2d\(filters, 1, stride = stride\) \+ y\) -> relu/);
  assert.deepEqual(errors(fixed), []);
  // In a model: the numbers; the operand with fewer channels gets it, a sum in parentheses first.
  const model = 'model M {\n  input v: [10]\n  h = v -> dense(20)\n  output v + v + h\n}\n';
  const [m] = errors(model);
  assert.equal(m.fixes?.[0].title, 'Add a projection shortcut: -> dense(20)');
  assert.match(applyFix(model, m), /output \(v \+ v\) -> dense\(20\) \+ h/);
  assert.deepEqual(errors(applyFix(model, m)), []);
  // A number no parameter holds would be right for one call only: the message, no fix.
  const unnamed = 'block b(f) {\n  input x\n  output x + (x -> conv2d(2 * f, 1))\n}\nmodel M {\n  input i: [8, 8, 4]\n  output i -> b(4)\n}\n';
  const [u] = errors(unnamed);
  assert.equal(u.code, 'shape.mismatch');
  assert.equal(u.fixes, undefined);
  // Positions that are not a stride apart: the positions' hint, no projection.
  const [p] = errors('model M {\n  input x: [32, 32, 3]\n  y = x -> conv2d(8, 5)\n  output (x -> conv2d(4, 1)) + y\n}\n');
  assert.doesNotMatch(p.message, /projection/);
  assert.equal(p.fixes, undefined);
});

test("a ')' left after a body's '}' (the editor closed the header's '(') is named so, and removed by its fix; with the header's fix, the file is whole", () => {
  const text = 'block res(filters {\n  input x\n  output x -> conv2d(filters, 3, padding = same)\n})\nmodel M {\n  input x: [8, 8, 3]\n  output x -> res(8)\n}\n';
  const [header, stray] = errors(text);
  assert.equal(header.code, 'syntax.unclosed');
  assert.match(stray.message, /found '\)' \(a '\)' left after the body's '\}', as when an editor closed the header's '\(' for you\)$/);
  assert.equal(stray.fixes?.[0].title, "Remove ')'");
  const both = applyFix(applyFix(text, stray), header);
  assert.match(both, /^block res\(filters\) \{/);
  assert.deepEqual(analyze(both).diagnostics, []);
});

test("a block's parameter given by name and again by position is an error, as for a layer's argument", () => {
  const text = 'block b(units, act = relu) {\n  input x\n  output x -> dense(units, activation = act)\n}\nmodel M {\n  input x: [8]\n  output x -> b(2, act = tanh, 4)\n}\n';
  const [d] = errors(text);
  assert.equal(d.code, 'arg.duplicate');
  assert.equal(d.message, "'act' is given twice: by name, and by this value's position (values without a name fill the parameters of block 'b' in order: units, act). Put the values without a name first, or name this one.");
  assert.equal(text.slice(d.range.start.offset, d.range.end.offset), '4');
});

test("a layer's name where a value is due says so: ', softmax' for '-> softmax', and a layer object without its parentheses", () => {
  const text = 'model M {\n  input x: [28, 28, 1]\n  output x -> flatten -> dense(10), softmax\n}\n';
  const [d, ...more] = errors(text);
  assert.equal(more.length, 0);
  assert.equal(d.message, "'softmax' is a layer, not a value: apply it to a value with `-> softmax`.");
  assert.equal(d.fixes?.[0].title, "Apply it: '-> softmax'");
  assert.match(applyFix(text, d), /output x -> flatten -> dense\(10\) -> softmax\n/);
  assert.deepEqual(errors(applyFix(text, d)), []);
  // In an editor session the fix moves with the statement when a line is added above.
  const session = new AnalysisSession();
  const two = `model A {\n  input x: [4]\n  output x -> dense(2)\n}\n${text}`;
  session.update(two);
  const moved = two.replace('input x: [4]\n', 'input x: [4]\n\n');
  const kept = session.update(moved).diagnostics.find((x) => x.code === 'name.unknown')!;
  assert.deepEqual(kept.fixes, analyze(moved).diagnostics.find((x) => x.code === 'name.unknown')!.fixes);
  const object = 'model M {\n  input x: [8]\n  bn = batchnorm\n  output x -> bn\n}\n';
  const [o] = errors(object);
  assert.equal(o.message, "'batchnorm' is a layer, not a value: a layer object is a call: `batchnorm()`.");
  assert.deepEqual(errors(applyFix(object, o)), []);
  // A layer that needs arguments: said, no fix that would only move the error.
  const [n] = errors('model M {\n  input x: [8]\n  d = dense\n  output x -> d\n}\n');
  assert.match(n.message, /`dense\(units\)`\.$/);
  assert.equal(n.fixes, undefined);
});

test("an input's shape without its ':' or its brackets: one error each, the fix, and the shape read on", () => {
  const colon = 'model M {\n  input x [28, 28, 1]\n  output x -> flatten -> dense(10)\n}\n';
  const [c, ...more] = errors(colon);
  assert.equal(more.length, 0);
  assert.equal(c.message, "expected ':' between the input's name and its shape: 'input x: [28, 28, 1]'");
  assert.deepEqual(errors(applyFix(colon, c)), []);
  const bare = 'model M {\n  input x: 28, 28, 1\n  output x -> flatten -> dense(10)\n}\n';
  const [b, ...others] = errors(bare);
  assert.equal(others.length, 0);
  assert.equal(b.message, 'a shape goes in brackets: [28, 28, 1]');
  assert.equal(b.fixes?.[0].title, 'Change to [28, 28, 1]');
  assert.deepEqual(errors(applyFix(bare, b)), []);
  // Read on: the model is analysed with that shape (a later mistake is its own error; the shape is known).
  const a = analyze('model M {\n  input x int[seq]\n  output x -> embedding(10, 4) -> dens(2)\n}\n');
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code), ['syntax.expected', 'name.unknown_layer']);
  assert.equal(analyze('model M {\n  input x: 28, 28, 1\n  output x -> flatten\n}\n').models[0].outputs[0].shape.dims.map(String).join(','), '784');
});

test('an invisible character pasted with the text is named by its code, with the fix that deletes it; a name declared twice is suggested once', () => {
  // (A no-break space is read as a space.)
  assert.deepEqual(errors('model M {\n  input x: [8]\n  output x\u00a0-> dense(2)\n}\n'), []);
  for (const ch of ['\u200b', '\u2060']) {
    const text = `model M {\n  input x: [8]\n  output x${ch} -> dense(2)\n}\n`;
    const [d, ...more] = errors(text);
    assert.equal(more.length, 0);
    assert.equal(d.message, `unexpected character 'U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}', an invisible character (pasted from a web page or a document?): delete it`);
    assert.equal(d.fixes?.[0].title, 'Delete the invisible character');
    assert.deepEqual(errors(applyFix(text, d)), []);
  }
  // A visible one keeps its own text and has nothing to delete for sure.
  const [v] = errors('model M {\n  input x: [8]\n  output x \u00a7 dense(2)\n}\n');
  assert.equal(v.message, "unexpected character '\u00a7'");
  const twice = 'model A {\n  input x: [8]\n  output x\n}\nmodel A {\n  input x: [8]\n  output x\n}\ntrain a {\n  data: digits()\n  loss: mse\n}\n';
  assert.match(errors(twice).find((d) => d.code === 'train.unknown_model')!.message, /Did you mean 'A'\?$/);
});

test('positional(learned) without maxlen: the fix adds it, the sequence\'s own length when known, else 1024', () => {
  const text = 'model M {\n  input t: int[seq]\n  output t -> embedding(100, 16) -> positional(learned) -> dense(2)\n}\n';
  const [d] = errors(text);
  assert.equal(d.code, 'arg.missing');
  assert.equal(d.fixes?.[0].title, 'Add maxlen = 1024');
  assert.match(applyFix(text, d), /positional\(learned, maxlen = 1024\)/);
  assert.deepEqual(errors(applyFix(text, d)), []);
  const known = text.replace('int[seq]', 'int[64]');
  assert.equal(errors(known)[0].fixes?.[0].title, 'Add maxlen = 64');
  assert.deepEqual(errors(applyFix(known, errors(known)[0])), []);
});

test("a shape that lost only its '[' is one error whose fix restores it; a word that is no list of sizes is not read as one", () => {
  const text = 'model M {\n  input x: 28, 28, 1]\n  output x -> flatten\n}\n';
  const [d, ...more] = errors(text);
  assert.equal(more.length, 0);
  assert.equal(d.message, "expected '[' to open the shape: [28, 28, 1]");
  assert.deepEqual(errors(applyFix(text, d)), []);
  // `int[seq]` without its '[' is `intseq]`: one error, the statement set aside, no cascade into the embedding.
  assert.equal(errors('model M {\n  input tokens: intseq]\n  output tokens -> embedding(10, 4)\n}\n').length, 1);
});
