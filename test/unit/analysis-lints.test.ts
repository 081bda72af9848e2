// layer.linear_stack: two dense layers in a row with no activation on the first and nothing
// between them are one linear map (extension/core/analysis/lints.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import type { Diagnostic } from '../../extension/core/analysis/types';
import { exampleDiagnostics } from '../fixtures/examples';

const CODE = 'layer.linear_stack';
const stacks = (text: string): Diagnostic[] => analyze(text).diagnostics.filter((d) => d.code === CODE);
const textOf = (text: string, r: Diagnostic['range']) => text.slice(r.start.offset, r.end.offset);
const model = (body: string, input = '[10]') => `model M {\n  input x: ${input}\n${body}\n}\n`;

/** The text after applying `fix`'s edits. */
function applied(text: string, d: Diagnostic): string {
  const edits = [...d.fixes![0].edits].sort((a, b) => b.range.start.offset - a.range.start.offset);
  for (const e of edits) text = text.slice(0, e.range.start.offset) + e.newText + text.slice(e.range.end.offset);
  return text;
}

test('dense(20) -> dense(5): info on the second dense, says why and what to change, fix inserts -> relu', () => {
  const text = model('  output x -> dense(20) -> dense(5)');
  const all = analyze(text).diagnostics;
  assert.deepEqual(all.map((d) => d.code), [CODE]);
  const [d] = all;
  assert.equal(d.severity, 'info');
  assert.equal(textOf(text, d.range), 'dense(5)');
  assert.equal(
    d.message,
    'dense(20) -> dense(5) with no activation between them computes one linear map, W₂(W₁x + b₁) + b₂ = (W₂W₁)x + (W₂b₁ + b₂): ' +
      '325 parameters that can do no more than one dense(5) does with 55. Add a nonlinearity between them (e.g. `-> relu`), or use one dense(5).',
  );
  assert.equal(textOf(text, d.related![0].range), 'dense(20)');
  assert.equal(d.fixes!.length, 1);
  assert.equal(d.fixes![0].title, "Insert '-> relu' after dense(20)");
  const fixed = applied(text, d);
  assert.equal(fixed, model('  output x -> dense(20) -> relu -> dense(5)'));
  assert.deepEqual(analyze(fixed).diagnostics, []);
});

test('reported across a line continuation, across statements, with activation = none, and when the second has an activation', () => {
  const cases: [string, string][] = [
    ['  output x -> dense(20)\n           -> dense(5)', '  output x -> dense(20) -> relu\n           -> dense(5)'],
    ['  h = x -> dense(20)\n  output h -> dense(5)', '  h = x -> dense(20) -> relu\n  output h -> dense(5)'],
    ['  output x -> dense(20, activation = none) -> dense(5)', '  output x -> dense(20, activation = none) -> relu -> dense(5)'],
    // softmax after the stack does not undo the collapse: softmax(W₂(W₁x + b₁) + b₂) = softmax(Wx + b).
    ['  output x -> dense(64) -> dense(10, activation = softmax)', '  output x -> dense(64) -> relu -> dense(10, activation = softmax)'],
    // Without biases, on [seq, n] (per position), and with a wider output.
    ['  output x -> dense(16, bias = false) -> dense(32, bias = false)', '  output x -> dense(16, bias = false) -> relu -> dense(32, bias = false)'],
  ];
  for (const [body, after] of cases) {
    const text = model(body);
    const found = stacks(text);
    assert.equal(found.length, 1, body);
    assert.deepEqual(analyze(applied(text, found[0])).diagnostics, [], body);
    assert.equal(applied(text, found[0]), model(after), body);
  }
  const seq = model('  output x -> dense(16) -> dense(4)', '[seq, 8]');
  assert.equal(stacks(seq).length, 1);
  // The counts of a stack without biases: 10·16 + 16·32 = 672 against one dense(32, bias = false), 320.
  assert.match(stacks(model('  output x -> dense(16, bias = false) -> dense(32, bias = false)'))[0].message, /672 parameters that can do no more than one dense\(32\) does with 320\./);
  // The algebra shows only the biases the layers have.
  assert.match(stacks(model('  output x -> dense(16, bias = false) -> dense(32, bias = false)'))[0].message, /one linear map, W₂W₁x = \(W₂W₁\)x: /);
  assert.match(stacks(model('  output x -> dense(16, bias = false) -> dense(32)'))[0].message, /one linear map, W₂W₁x \+ b₂ = \(W₂W₁\)x \+ b₂: /);
  assert.match(stacks(model('  output x -> dense(16) -> dense(32, bias = false)'))[0].message, /one linear map, W₂\(W₁x \+ b₁\) = \(W₂W₁\)x \+ W₂b₁: /);
});

test('in a block body: reported once on the block text, however often the block is used', () => {
  const text = `block proj(d) {
  input x
  output x -> dense(d) -> dense(d)
}
model M {
  input x: [8]
  output x -> proj(8) -> relu -> proj(8) -> relu -> proj(16)
}
`;
  const found = stacks(text);
  assert.equal(found.length, 1);
  assert.equal(textOf(text, found[0].range), 'dense(d)');
  assert.equal(found[0].range.start.line, 2);
  assert.match(found[0].message, /^dense\(8\) -> dense\(8\) /);
});

test('not reported when something sits between, the first has an activation, or its output is used elsewhere', () => {
  const between = ['relu', 'tanh', 'batchnorm', 'layernorm', 'dropout(0.1)', 'gaussian_noise(0.1)', 'softmax'];
  for (const layer of between) assert.deepEqual(stacks(model(`  output x -> dense(20) -> ${layer} -> dense(5)`)), [], layer);
  assert.deepEqual(stacks(model('  output x -> dense(20) -> reshape([4, 5]) -> flatten -> dense(5)')), []);
  assert.deepEqual(stacks(model('  output x -> dense(20, activation = relu) -> dense(5)')), []);
  assert.deepEqual(stacks(model('  output x -> dense(20, activation = gelu) -> dense(5)')), []);
  // The first's output is used by something else too: a residual, a concat, a second output.
  assert.deepEqual(stacks(model('  h = x -> dense(20)\n  output h -> dense(20) + h')), []);
  assert.deepEqual(stacks(model('  h = x -> dense(20)\n  output concat(h -> dense(5), h)')), []);
  assert.deepEqual(stacks(model('  h = x -> dense(20)\n  output h -> dense(5)\n  output h')), []);
  // A dense of another kind of layer (a conv, an embedding) before or after.
  assert.deepEqual(stacks(model('  output x -> conv2d(4, 1) -> dense(5)', '[8, 8, 3]')), []);
  assert.deepEqual(stacks(model('  output x -> dense(5) -> conv1d(4, 1)', '[8, 3]')), []);
});

test('not reported for a shared layer object, nor a narrower middle (a low-rank bottleneck)', () => {
  // The object's weights also serve another call: the two dense calls are not one map to merge.
  const shared = model('  d = dense(10)\n  a = x -> d -> dense(5)\n  output a + (x -> d -> relu -> dense(5))');
  assert.deepEqual(stacks(shared), []);
  // Used once, a layer object is like a call.
  const once = model('  d = dense(20)\n  output x -> d -> dense(5)');
  const found = stacks(once);
  assert.equal(found.length, 1);
  assert.match(found[0].message, /^d \(dense\(20\)\) -> dense\(5\) with no activation between them/);
  assert.equal(found[0].fixes![0].title, "Insert '-> relu' after d");
  assert.equal(applied(once, found[0]), model('  d = dense(20)\n  output x -> d -> relu -> dense(5)'));
  // 100 → 2 → 50: rank at most 2, 352 parameters against 5,050 for one dense(50): a deliberate factorisation.
  assert.deepEqual(stacks(model('  output x -> dense(2) -> dense(50)', '[100]')), []);
  // 100 → 10 → 50 has rank at most 10, below 50: also a bottleneck.
  assert.deepEqual(stacks(model('  output x -> dense(10) -> dense(50)', '[100]')), []);
  // A middle as wide as the smaller side (50) already gains nothing: reported.
  assert.equal(stacks(model('  output x -> dense(50) -> dense(50)', '[100]')).length, 1);
});

test('not reported in a model with errors', () => {
  assert.deepEqual(stacks(model('  output x -> dense(20) -> dense(5) -> dense(q)')), []);
});

test('no example raises it', () => {
  const examples = exampleDiagnostics(CODE);
  assert.ok(examples.length > 10);
  for (const e of examples) assert.deepEqual(e.messages, [], e.file);
});
