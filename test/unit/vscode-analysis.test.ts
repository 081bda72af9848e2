// The editor's pure helpers over real analyses of the contract's worked examples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, getLayer } from '../../extension/core';
import { completionContext } from '../../extension/vscode/pure/context';
import { highlightsAt, modelAt, namesInScope, siteAt, symbolAt } from '../../extension/vscode/pure/lookup';
import { encodeTokens, semanticTokens } from '../../extension/vscode/pure/semanticTokens';
import { layerHoverMarkdown, lineHints, modelLensTitle, modelStatusText, summaryMarkdown } from '../../extension/vscode/pure/text';
import { LENET5 as LENET, GPT2_SMALL as GPT } from '../fixtures/contract';



const URI = 'file:///work/test.nnmodel';

function offsetOf(text: string, needle: string, delta = 0): number {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, needle);
  return i + delta;
}

test('LeNet-5: inlay hints per line with the contract figures', () => {
  const a = analyze(LENET, { uri: URI });
  const hints = lineHints(a.sites, true);
  assert.deepEqual(
    hints.map((h) => [h.line, h.label]),
    [
      [2, '→ [14, 14, 6] · 156 params'],
      [3, '→ [5, 5, 16] · 2,416 params'],
      [4, `→ [84] · ${(48120 + 10164).toLocaleString('en-US')} params`],
      [5, '→ [10] · 850 params'],
    ],
  );
});

test('LeNet-5: hover over the first conv2d shows its shapes and counts', () => {
  const a = analyze(LENET, { uri: URI });
  const site = siteAt(a.sites, offsetOf(LENET, 'conv2d(6', 2), ['layer', 'block', 'object']);
  assert.ok(site);
  const md = layerHoverMarkdown(site, getLayer(site.name));
  assert.ok(md.includes('[28, 28, 6]'), md);
  assert.ok(md.includes('[32, 32, 1]'), md);
  assert.match(md, /Parameters: \*\*156\*\*/);
  assert.match(md, /MACs: \*\*117,600/);
});

test('LeNet-5: code lens, status bar and summary totals', () => {
  const a = analyze(LENET, { uri: URI });
  const m = modelAt(a, offsetOf(LENET, 'dense(120)'), URI);
  assert.ok(m);
  assert.equal(modelLensTitle(m), '61.7K params · 416.5K MACs');
  assert.equal(modelStatusText(m), 'LeNet5 · 61.7K params · 416.5K MACs');
  const md = summaryMarkdown(m, 32);
  const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Layer') && !l.includes('**Total**'));
  assert.equal(rows.length, 1 + 13); // the input and 13 layers
  assert.ok(md.includes('**61,706**'));
  assert.ok(md.includes('**416,520**'));
});

test('GPT-2 small: the block call repeats, names in scope, layer object at the application', () => {
  const a = analyze(GPT, { uri: URI });
  const hints = lineHints(a.sites, true);
  const last = hints.find((h) => h.line === 9);
  assert.ok(last?.label.startsWith('→ [seq, 50257]'), JSON.stringify(hints));
  const onH = hints.find((h) => h.line === 8);
  // wte's weights are counted where it is first applied, with the positional table.
  assert.equal(onH?.label, `→ [seq, 768] · ${(50257 * 768 + 1024 * 768).toLocaleString('en-US')} params`);

  const off = offsetOf(GPT, 'output h ->', 'output h -> '.length);
  const names = namesInScope(a.symbols, 'GPT2Small', off, URI).map((s) => s.name);
  assert.deepEqual(names.sort(), ['h', 'tokens', 'wte']);
  const inBlock = namesInScope(a.symbols, 'gpt_block', offsetOf(GPT, 'output x', 7), URI).map((s) => s.name);
  assert.deepEqual(inBlock.sort(), ['dim', 'heads', 'hidden', 'p', 'x']);

  const hit = symbolAt(a.symbols, offsetOf(GPT, 'unembed(wte', 'unembed('.length + 1), URI);
  assert.equal(hit?.symbol.name, 'wte');
  assert.equal(hit?.symbol.kind, 'object');
  assert.equal(hit?.isDeclaration, false);
});

test('completion context in a real file agrees with the analysis containers', () => {
  const text = LENET.replace('-> dense(10) -> softmax', '-> dense(10) -> sof');
  const r = completionContext(text, offsetOf(text, '-> sof', 6));
  assert.equal(r.context.kind, 'chain');
  assert.equal(r.prefix, 'sof');
  assert.deepEqual(r.container, { kind: 'model', name: 'LeNet5' });
});

test('semantic tokens: layers, blocks, objects, values, arguments and enum values', () => {
  const a = analyze(GPT, { uri: URI });
  const tokens = semanticTokens(a, URI, getLayer);
  const lines = GPT.split('\n');
  const text = (t: { line: number; character: number; length: number }) => lines[t.line].slice(t.character, t.character + t.length);
  const kinds = new Map<string, Set<string>>();
  for (const t of tokens) {
    const key = `${t.type}${t.modifiers.includes('readonly') ? '.readonly' : ''}`;
    if (!kinds.has(key)) kinds.set(key, new Set());
    kinds.get(key)!.add(text(t));
  }
  assert.ok(kinds.get('function')?.has('attention'));
  assert.ok(kinds.get('function')?.has('embedding'));
  assert.ok(kinds.get('class')?.has('gpt_block'));
  assert.ok(kinds.get('variable.readonly')?.has('wte'));
  assert.ok(kinds.get('variable')?.has('h'));
  assert.ok(kinds.get('parameter')?.has('causal'));
  assert.ok(kinds.get('parameter')?.has('heads'));
  assert.ok(kinds.get('enumMember')?.has('learned'));
  assert.ok(kinds.get('type')?.has('GPT2Small'));
  // Sorted and non-overlapping, as the relative encoding requires.
  for (let i = 1; i < tokens.length; i++) {
    const p = tokens[i - 1];
    const t = tokens[i];
    assert.ok(t.line > p.line || t.character >= p.character + p.length);
  }
  const data = encodeTokens(tokens);
  assert.equal(data.length, tokens.length * 5);
});

test('a typo gets a preferred fix that the code action can apply', () => {
  const text = LENET.replace('softmax', 'softmx');
  const a = analyze(text, { uri: URI });
  const d = a.diagnostics.find((x) => x.fixes?.some((f) => f.title === "Change to 'softmax'"));
  assert.ok(d, JSON.stringify(a.diagnostics));
});

test('document highlights: a name with its declaration and uses, a layer with its calls in the same declaration, nothing else', () => {
  const a = analyze(GPT, { uri: URI });
  const at = (needle: string, delta: number) => {
    const offset = offsetOf(GPT, needle, delta);
    let start = offset;
    while (start > 0 && /\w/.test(GPT[start - 1])) start--;
    return highlightsAt(a, offset, start, URI).map((h) => `${h.kind} ${h.range.start.line}:${h.range.start.character}-${h.range.end.character} ${GPT.slice(h.range.start.offset, h.range.end.offset)}`);
  };
  // The layer object: bound on line 7, applied on lines 8 and 9 (cursor on its last use).
  assert.deepEqual(at('unembed(wte', 'unembed(w'.length), ['write 7:2-5 wte', 'read 8:16-19 wte', 'read 9:62-65 wte']);
  // A block: its declaration and its call in the model.
  assert.deepEqual(at('gpt_block(768', 3), ['write 0:6-15 gpt_block', 'read 9:14-23 gpt_block']);
  // A block parameter used in a default and in the body.
  assert.deepEqual(at('dense(dim)', 'dense(d'.length), ['write 0:16-19 dim', 'read 0:41-44 dim', 'read 3:62-65 dim']);
  // A built-in layer: its calls in this block only (layernorm is called twice in it).
  assert.deepEqual(at('dense(hidden)', 2), ['text 3:31-36 dense', 'text 3:56-61 dense']);
  assert.deepEqual(at('-> layernorm -> attention', 5), ['text 2:15-24 layernorm', 'text 3:18-27 layernorm']);
  // The model's layernorm is another declaration's: only it.
  assert.deepEqual(at('* 12 -> layernorm', 10), ['text 9:41-50 layernorm']);
  // Keywords, argument names and numbers: nothing (and no textual search).
  assert.deepEqual(at('output x', 2), []);
  assert.deepEqual(at('causal = true', 2), []);
  assert.deepEqual(at('50257', 2), []);
});
