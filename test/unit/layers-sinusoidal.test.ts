// `sinusoidal(dim, max_period)` through the whole analysis and the editor's
// text: diagnostics on the right ranges, an int[1] step accepted as a value,
// no clash with `positional(sinusoidal)`, and the hover, signature and
// completion snippet the registry gives it. (Shape rules, tfjs parity and
// values: layers-sequence.test.ts; the PyTorch export: export.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import type { Analysis, LayerNode } from '../../extension/core/analysis/types';
import { LAYERS, getLayer } from '../../extension/core/layers';
import { callSnippet, layerHoverMarkdown, layerSignature } from '../../extension/vscode/pure/text';

function errors(a: Analysis) {
  return a.diagnostics.filter((d) => d.severity === 'error');
}

/** The one error of `text`: its code, and the source text its range covers. */
function oneError(text: string): { code: string; covered: string; message: string; line: number } {
  const errs = errors(analyze(text));
  assert.equal(errs.length, 1, errs.map((d) => `${d.code} ${d.message}`).join('\n'));
  const d = errs[0];
  return { code: d.code, covered: text.slice(d.range.start.offset, d.range.end.offset), message: d.message, line: d.range.start.line + 1 };
}

const model = (input: string, chain: string) => `model M {\n  input t: ${input}\n  output t -> ${chain}\n}\n`;

test('an int[1] step becomes [dim] real features; dense takes them without an embedding', () => {
  const a = analyze(model('int[1]', 'sinusoidal(32) -> dense(128) -> silu -> dense(128)'));
  assert.deepEqual(errors(a), []);
  const site = a.sites.find((s) => s.kind === 'layer' && s.name === 'sinusoidal');
  assert.ok(site?.outShape);
  assert.deepEqual(site.outShape.dims.map(String), ['32']);
  assert.ok(!site.outShape.isInt, 'the features are real values');
  assert.equal(site.params?.trainable.value, 0);
  assert.equal(site.macs?.value, 0);
  // 32·128 + 128 + 128·128 + 128: the layer adds nothing to the counts.
  assert.equal(a.models[0].params.trainable.value, 32 * 128 + 128 + 128 * 128 + 128);
  assert.equal(a.models[0].macs.value, 32 * 128 + 128 * 128);
});

test('diagnostics: odd dim and max_period below 1 on the argument, a wrong last axis on the call', () => {
  const odd = oneError(model('int[1]', 'sinusoidal(7)'));
  assert.deepEqual([odd.code, odd.covered, odd.line], ['arg.range', '7', 3]);
  assert.match(odd.message, /must be even .* got 7; use 6 or 8/);

  const period = oneError(model('int[1]', 'sinusoidal(8, max_period = 0.5)'));
  assert.deepEqual([period.code, period.covered], ['arg.range', '0.5']);
  assert.match(period.message, /'max_period' must be at least 1; got 0\.5/);

  const wide = oneError(model('[4]', 'sinusoidal(8)'));
  assert.deepEqual([wide.code, wide.covered, wide.line], ['shape.mismatch', 'sinusoidal', 3]);
  assert.match(wide.message, /last axis must be 1 .*\[4\].*reshape\(\[4, 1\]\)/);

  // The suggested reshape is valid: with it, the same model analyses cleanly.
  assert.deepEqual(errors(analyze(model('[4]', 'reshape([4, 1]) -> sinusoidal(8)'))), []);
  assert.deepEqual(errors(analyze(model('[seq]', 'reshape([-1, 1]) -> sinusoidal(8)'))), []);

  const missing = oneError(model('int[1]', 'sinusoidal'));
  assert.equal(missing.code, 'arg.missing');
  assert.match(missing.message, /dim/);
});

test("positional(sinusoidal) still means positional's kind beside the sinusoidal layer", () => {
  const text = `model M {
  input x: [seq, 1]
  output x -> sinusoidal(16) -> positional(sinusoidal) -> positional(kind = sinusoidal, maxlen = 64)
}
`;
  const a = analyze(text);
  assert.deepEqual(errors(a), []);
  const nodes = a.models[0].graph.nodes.filter((n): n is LayerNode => n.kind === 'layer');
  assert.deepEqual(
    nodes.map((n) => [n.op, n.args.kind ?? n.args.dim]),
    [
      ['sinusoidal', 16],
      ['positional', 'sinusoidal'],
      ['positional', 'sinusoidal'],
    ],
  );
  assert.deepEqual(a.models[0].outputs[0].shape.dims.map(String), ['seq', '16']);
});

test('hover, signature and completion come from the registry entry', () => {
  const spec = getLayer('sinusoidal');
  assert.ok(spec);
  assert.equal(LAYERS.get('sinusoidal'), spec);
  assert.equal(spec.category, 'embedding');
  assert.equal(layerSignature(spec).label, 'sinusoidal(dim, max_period = 10000)');
  // Completion inserts the required argument only.
  assert.equal(callSnippet(spec.name, spec.args.filter((x) => x.default === undefined && !x.optional).map((x) => x.name)), 'sinusoidal(${1:dim})');

  const a = analyze(model('int[1]', 'sinusoidal(32)'));
  const site = a.sites.find((s) => s.kind === 'layer' && s.name === 'sinusoidal')!;
  const md = layerHoverMarkdown(site, spec);
  assert.match(md, /sinusoidal\(dim, max_period = 10000\)/);
  assert.match(md, /int\[1\]/, 'the input shape');
  assert.match(md, /\[32\]/, 'the output shape');
  // The formula, with the order and the frequencies spelled out.
  assert.match(md, /sin\(t·ω_0\), …, sin\(t·ω_\{h−1\}\), cos\(t·ω_0\)/);
  assert.match(md, /ω_i = max_period\^\(−i\/h\)/);
  assert.match(md, /DDPM's own code divides by `h − 1`/);
});
