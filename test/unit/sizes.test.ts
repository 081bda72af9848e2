import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyze } from '../../extension/core/analysis/analyze';
import { dimSizes, readDimSetting, sizesText, totalsAt } from '../../extension/core/analysis/sizes';
import { trainingMemory } from '../../extension/core/analysis/summary';
import { modelHoverMarkdown, summaryMarkdown } from '../../extension/vscode/pure/text';
import { importReader } from '../../extension/cli/files';

const GPT_SMALL = readFileSync('examples/gpt_small.nnmodel', 'utf8');
const GPT2 = readFileSync('examples/gpt2_small.nnmodel', 'utf8');
const TRANSFORMER = readFileSync('examples/transformer.nnmodel', 'utf8');

/** The analysis of an example's text (imports read from examples/), and its model `name` (else its last). */
function model(text: string, name?: string) {
  const a = analyze(text, { uri: 'examples/x.nnmodel', readImport: importReader(process.cwd()) });
  const local = a.models.filter((x) => x.uri === undefined || x.uri === 'examples/x.nnmodel');
  const m = name ? local.find((x) => x.name === name)! : local[local.length - 1];
  assert.ok(m, name);
  assert.equal(m.hasErrors, false, `${m.name} analyses without errors`);
  return { a, m };
}

test('a train section whose data fixes a symbolic length gives it its size', () => {
  const { a, m } = model(GPT_SMALL);
  assert.deepEqual(m.symbols, ['seq']);
  const s = dimSizes(m, a.trains, {});
  assert.deepEqual(s, { values: { seq: 64 }, from: { seq: 'train' }, missing: [] });
  // A size given wins over the train section's.
  assert.deepEqual(dimSizes(m, a.trains, { seq: 1024 }), { values: { seq: 1024 }, from: { seq: 'given' }, missing: [] });
  // Sizes of dimensions the model does not have are not its sizes.
  assert.deepEqual(dimSizes(m, [], { d: 3 }), { values: {}, from: {}, missing: ['seq'] });
});

test('the totals at a size are those of the same model written with that size', () => {
  const { a, m } = model(GPT_SMALL);
  const fixed = model(GPT_SMALL.replace('int[seq]', 'int[64]')).m;
  assert.equal(fixed.symbols.length, 0);
  const at = totalsAt(m, dimSizes(m, a.trains, {}).values, 32);
  assert.deepEqual(at, {
    macs: fixed.macs.value,
    activationBytes: fixed.memory.activationBytes.value,
    trainingBytes: trainingMemory(fixed, 32).value,
  });
  assert.equal(totalsAt(m, {}, 32), undefined);
});

test('an encoder-decoder trained on sequences gets both lengths; GPT-2 without a train section gets none', () => {
  const { a, m } = model(TRANSFORMER, 'TinyTransformer');
  const s = dimSizes(m, a.trains, {});
  assert.deepEqual(s.missing, []);
  assert.deepEqual(Object.keys(s.values).sort(), ['src_len', 'tgt_len']);
  const length = a.trains.find((t) => t.model === 'TinyTransformer')!.config.data!.options.length;
  assert.deepEqual(s.values, { src_len: length, tgt_len: length });
  const g = model(GPT2);
  assert.deepEqual(dimSizes(g.m, g.a.trains, {}).missing, ['seq']);
});

test('the setting reads names to whole sizes from 1 and lists what it cannot read', () => {
  assert.deepEqual(readDimSetting({ seq: 1024, src_len: 8 }), { values: { seq: 1024, src_len: 8 }, invalid: [] });
  assert.deepEqual(readDimSetting({ seq: 0, 'a b': 3, d: 1.5, e: '4', f: 2 ** 31 }), {
    values: {},
    invalid: ['"seq": 0', '"a b": 3', '"d": 1.5', '"e": "4"', '"f": 2147483648'],
  });
  assert.deepEqual(readDimSetting(undefined), { values: {}, invalid: [] });
  assert.deepEqual(readDimSetting([1]).values, {});
  assert.equal(sizesText({ src_len: 8, tgt_len: 1024 }), 'src_len = 8, tgt_len = 1,024');
});

test('the model hover and the summary show the totals at the sizes, and say how to give missing ones', () => {
  const { a, m } = model(GPT_SMALL);
  const fixed = model(GPT_SMALL.replace('int[seq]', 'int[64]')).m;
  const hover = modelHoverMarkdown(m, 32, dimSizes(m, a.trains, {}));
  // The numbers the fixed-size model's own hover shows.
  const fixedHover = modelHoverMarkdown(fixed, 32);
  const macs = /MACs: \*\*([^*]+)\*\*/.exec(fixedHover)![1];
  const training = /Training with Adam at batch 32: ~(.+)/.exec(fixedHover)![1];
  assert.match(hover, new RegExp(`\\*\\*At seq = 64\\*\\* \\(from its train section's data\\): MACs \\*\\*${macs.replace(/[().]/g, '\\$&')}\\*\\*`));
  assert.ok(hover.includes(`training with Adam at batch 32 ~${training}`), hover);
  assert.doesNotMatch(hover, /To see these as numbers/);
  const given = modelHoverMarkdown(m, 8, dimSizes(m, a.trains, { seq: 1024 }));
  assert.match(given, /\*\*At seq = 1,024\*\* \(from nnmodel\.dimensions\)/);
  const g = model(GPT2);
  const gHover = modelHoverMarkdown(g.m, 32, dimSizes(g.m, g.a.trains, {}));
  assert.match(gHover, /give `seq` a size: the setting `nnmodel\.dimensions` \(e\.g\. `\{ "seq": 1024 \}`\)/);
  assert.doesNotMatch(gHover, /\*\*At /);
  // Without sizes (and for a model without symbols) nothing is added.
  assert.doesNotMatch(modelHoverMarkdown(m, 32), /At seq|To see these/);
  assert.doesNotMatch(modelHoverMarkdown(fixed, 32, dimSizes(fixed, [], {})), /At |To see these/);
  const summary = summaryMarkdown(m, 32, 'gpt_small.nnmodel', dimSizes(m, a.trains, {}));
  assert.match(summary, /Symbolic dimensions: `seq`\n\n\*\*At seq = 64\*\*/);
});
