// `layernorm(16)`, `groupnorm(4, 16)`: PyTorch's nn.LayerNorm(16) and
// nn.GroupNorm(4, 16) take the channel count, but here the size comes from the
// input and the next number is epsilon, the small constant added to the
// variance. Epsilon 16 was accepted without a word, and the layer then hardly
// normalised anything (a model that trains worse for no visible reason). A
// whole number of 1 or more as epsilon is an error that says what to write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';

function errors(body: string, input = '[seq, 16]') {
  const text = `model M {\n  input x: ${input}\n  output x -> ${body}\n}\n`;
  return analyze(text, { uri: 'm.nnmodel' }).diagnostics.filter((d) => d.severity === 'error').map((d) => ({
    code: d.code,
    message: d.message,
    at: text.slice(d.range.start.offset, d.range.end.offset),
  }));
}

test('layernorm(16): the PyTorch size given as epsilon is an error that names the fix', () => {
  const e = errors('layernorm(16)');
  assert.equal(e.length, 1, JSON.stringify(e));
  assert.equal(e[0].code, 'arg.range');
  assert.equal(e[0].at, '16');
  assert.match(e[0].message, /epsilon = 16 is the small constant added to the variance \(1e-5 by default\)/);
  assert.match(e[0].message, /input \(16 features\), so PyTorch's nn\.LayerNorm\(16\) is `layernorm` here/);
});

test('groupnorm(4, 16) and batchnorm(epsilon = 32) on images say what PyTorch call they are', () => {
  const g = errors('groupnorm(4, 16)', '[8, 8, 16]');
  assert.equal(g.length, 1, JSON.stringify(g));
  assert.match(g[0].message, /nn\.GroupNorm\(4, 16\) is `groupnorm\(4\)` here/);
  assert.match(g[0].message, /\(16 channels\)/);
  const b = errors('batchnorm(epsilon = 32)', '[8, 8, 32]');
  assert.equal(b.length, 1, JSON.stringify(b));
  assert.match(b[0].message, /epsilon = 32 is the small constant added to the variance \(0\.001 by default\)/);
  assert.match(b[0].message, /nn\.BatchNorm2d\(32\) is `batchnorm` here/);
});

test('small epsilons, written as numbers or in scientific notation, are still fine', () => {
  for (const body of ['layernorm(1e-6)', 'layernorm(epsilon = 0.5)', 'groupnorm(4, 1e-3)', 'batchnorm(0.9, 1e-5)', 'layernorm']) {
    assert.deepEqual(errors(body, '[8, 8, 16]'), [], body);
  }
});
