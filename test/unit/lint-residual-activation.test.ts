// layer.residual_activation: `x + y -> relu` typed for ResNet's relu(x + F(x)) is x + relu(y), since `->` binds
// tighter than `+` (the course notes: "Each layer adds something (i.e. a residual) to the previous value").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { AnalysisSession } from '../../extension/core/analysis/session';
import type { Diagnostic } from '../../extension/core/analysis/types';
import { applyFix } from './sourceText';

const CODE = 'layer.residual_activation';
const found = (text: string): Diagnostic[] => analyze(text).diagnostics.filter((d) => d.code === CODE);

function applied(text: string, d: Diagnostic): string {
  const edits = [...d.fixes![0].edits].sort((a, b) => b.range.start.offset - a.range.start.offset);
  for (const e of edits) text = text.slice(0, e.range.start.offset) + e.newText + text.slice(e.range.end.offset);
  return text;
}

const RESNET = `block res(f) {
  input x
  y = x -> conv2d(f, 3, padding = same) -> batchnorm -> relu -> conv2d(f, 3, padding = same) -> batchnorm
  output x + y -> relu
}
model M {
  input image: [28, 28, 16]
  output image -> res(16) -> global_avgpool -> dense(10)
}
`;

test('a ResNet block ending `output x + y -> relu`: info on the sum, says what it computes, the fix brackets the sum', () => {
  const all = analyze(RESNET).diagnostics;
  assert.deepEqual(all.map((d) => d.code), [CODE]);
  const [d] = all;
  assert.equal(d.severity, 'info');
  assert.equal(RESNET.slice(d.range.start.offset, d.range.end.offset), 'x + y -> relu');
  assert.equal(
    d.message,
    "x + y -> relu adds x to relu(y): `->` binds tighter than `+`, so the activation applies to y alone. For the activation of the sum, as in ResNet's relu(x + F(x)), write (x + y) -> relu.",
  );
  assert.equal(d.fixes![0].title, 'Change to (x + y) -> relu');
  const fixed = applied(RESNET, d);
  assert.match(fixed, /output \(x \+ y\) -> relu\n/);
  assert.deepEqual(analyze(fixed).diagnostics, []);
  // In a model, and with several activations: named as a chain.
  const [m] = found(`model N {\n  input a: [8]\n  b = a -> dense(8)\n  output a + b -> leaky_relu -> tanh\n}\n`);
  assert.match(m.message, /^a \+ b -> leaky_relu -> tanh adds a to leaky_relu -> tanh\(b\)/);
});

test('left alone: a branch on the right, a bracketed sum, another layer after the name, a name added to itself', () => {
  const model = (line: string) => `model N {\n  input x: [8]\n  y = x -> dense(8)\n  ${line}\n}\n`;
  assert.deepEqual(found(model('output (x + y) -> relu')), []);
  // Pre-norm residual: the right side is the branch itself.
  assert.deepEqual(found(model('output x + x -> layernorm -> relu')), []);
  assert.deepEqual(found(model('output x + y -> dense(8)')), []);
  assert.deepEqual(found(model('output x + y -> dropout(0.1)')), []);
  assert.deepEqual(found(model('output x + x -> relu')), []);
  assert.deepEqual(found(model('output x + y')), []);
});

test('an editor session reports it where the text now is after an edit above, and equal to a fresh analysis', () => {
  const session = new AnalysisSession();
  const first = session.update(RESNET).diagnostics.filter((d) => d.code === CODE);
  assert.equal(first.length, 1);
  // Lines and characters added above the block: the body's tree is reused and moved.
  const moved = `# a comment typed above\nmodel Other {\n  input a: [8]\n  output a -> dense(2)\n}\n${RESNET}`;
  const got = session.update(moved).diagnostics.filter((d) => d.code === CODE);
  assert.equal(JSON.stringify(got), JSON.stringify(analyze(moved).diagnostics.filter((d) => d.code === CODE)));
  assert.equal(moved.slice(got[0].range.start.offset, got[0].range.end.offset), 'x + y -> relu');
  assert.equal(applied(moved, got[0]).includes('output (x + y) -> relu\n'), true);
});

test('three paths summed, `x + y + z -> relu`: the same info, naming the sum, and the fix brackets all three', () => {
  const text = `model N {\n  input x: [8]\n  y = x -> dense(8)\n  z = x -> dense(8)\n  output x + y + z -> relu\n}\n`;
  const [d, ...rest] = found(text);
  assert.equal(rest.length, 0);
  assert.equal(text.slice(d.range.start.offset, d.range.end.offset), 'x + y + z -> relu');
  assert.match(d.message, /^x \+ y \+ z -> relu adds x \+ y to relu\(z\): .* write \(x \+ y \+ z\) -> relu\.$/);
  const fixed = applied(text, d);
  assert.match(fixed, /output \(x \+ y \+ z\) -> relu\n/);
  assert.deepEqual(analyze(fixed).diagnostics, []);
  // Left alone: the name with the activation already in the sum, a sum with a branch in it.
  assert.deepEqual(found(text.replace('x + y + z -> relu', 'x + z + z -> relu')), []);
  assert.deepEqual(found(text.replace('x + y + z -> relu', 'x + (y -> relu) + z -> relu')), []);
});

test('a sum given to a call as a tensor, `concat(a + b -> relu)` or `up(skip = a + b -> relu)`: the same info', () => {
  const inConcat = 'model M {\n  input x: [8]\n  a = x -> dense(8)\n  b = x -> dense(8)\n  output x -> concat(a + b -> relu)\n}\n';
  const [d] = found(inConcat);
  assert.equal(inConcat.slice(d.range.start.offset, d.range.end.offset), 'a + b -> relu');
  assert.match(applied(inConcat, d), /concat\(\(a \+ b\) -> relu\)/);
  const inBlock = 'block up {\n  input x\n  input skip\n  output x -> concat(skip)\n}\nmodel M {\n  input x: [8]\n  a = x -> dense(8)\n  b = x -> dense(8)\n  output x -> up(skip = a + b -> relu)\n}\n';
  const [e] = found(inBlock);
  assert.equal(inBlock.slice(e.range.start.offset, e.range.end.offset), 'a + b -> relu');
  // A call at the head of a value, and not in a numeric argument's arithmetic.
  assert.equal(found('model M {\n  input x: [8]\n  a = x -> dense(8)\n  output concat(x, a + x -> relu)\n}\n').length, 1);
  assert.deepEqual(found('model M {\n  input x: [8]\n  output x -> dense(4 + 4)\n}\n'), []);
});

test('h + h -> attention(4) -> dense(1000): `->` binds tighter than `+`; the message says so and the fix brackets the residual, not a projection', () => {
  const text = 'model M {\n  input t: int[seq]\n  h = t -> embedding(100, 64)\n  output h + h -> attention(4, causal = true) -> dense(1000) -> softmax\n}\n';
  const [d, ...more] = analyze(text).diagnostics.filter((x) => x.severity === 'error');
  assert.equal(more.length, 0);
  assert.equal(d.code, 'shape.mismatch');
  assert.equal(
    d.message,
    'cannot add [seq, 64] and [seq, 1000]: `->` binds tighter than `+`, so h is added to the end of the whole chain, whose later layers change its shape. To add h to the output of attention(4, causal = true) (a residual connection) and go on from the sum, bracket it: `(h + h -> attention(4, causal = true)) -> dense(1000) -> softmax`',
  );
  const fixed = applyFix(text, d);
  assert.match(fixed, /output \(h \+ h -> attention\(4, causal = true\)\) -> dense\(1000\) -> softmax\n/);
  assert.deepEqual(analyze(fixed).diagnostics.filter((x) => x.severity === 'error'), []);
  // The latest layer that keeps the shape ends the bracket; a chain that never has it again keeps the projection fix.
  const two = 'model M {\n  input x: [8, 8, 16]\n  output x + x -> conv2d(16, 3, padding = same) -> relu -> conv2d(32, 3)\n}\n';
  const [t] = analyze(two).diagnostics;
  assert.match(applyFix(two, t), /output \(x \+ x -> conv2d\(16, 3, padding = same\) -> relu\) -> conv2d\(32, 3\)\n/);
  const none = 'model M {\n  input x: [8, 8, 16]\n  output x + x -> conv2d(32, 3, padding = same) -> relu\n}\n';
  assert.match(analyze(none).diagnostics[0].fixes?.[0].title ?? '', /^Add a projection shortcut/);
});
