import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { analyze } from '../../extension/core/analysis/analyze';
import { dimSizes, readDimSetting, sizesText, totalsAt } from '../../extension/core/analysis/sizes';
import { trainingMemory } from '../../extension/core/analysis/summary';
import { blockHoverMarkdown, layerHoverMarkdown, modelHoverMarkdown, siteSizesLine, summaryMarkdown } from '../../extension/vscode/pure/text';
import { getLayer } from '../../extension/core/layers';
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

test('layer and block hovers show a call at the sizes: GPT-2 small attention at seq = 1,024 keeps 63.0 MiB per example', () => {
  const { a } = model(GPT2);
  const att = a.sites.find((x) => x.kind === 'layer' && x.name === 'attention')!;
  // 48·seq² + 15,360·seq bytes at 1,024: 50,331,648 + 15,728,640 = 66,060,288 B; MACs 1,536·seq² + 2,359,296·seq.
  const md = layerHoverMarkdown(att, getLayer('attention'), undefined, undefined, { sizes: { seq: 1024 } });
  assert.ok(md.includes('At seq = 1,024: → [1024, 768] · MACs **4,026,531,840 (4.0G)** · activations per example **63.0 MiB**'), md);
  // A block repeated 12 times: its totals at the size, no activations (they are the layers').
  const block = a.sites.find((x) => x.kind === 'block' && x.name === 'gpt_block')!;
  const bmd = blockHoverMarkdown(block, undefined, undefined, undefined, { seq: 1024 });
  assert.ok(bmd.includes(`At seq = 1,024: → [1024, 768] · MACs **${(18432 * 1024 ** 2 + 84934656 * 1024).toLocaleString('en-US')} (106.3G)**`), bmd);
  assert.doesNotMatch(bmd, /activations per example \*\*/);
  // Without the size, or for a call that does not depend on it, no line.
  assert.equal(siteSizesLine(att, undefined, true), undefined);
  assert.equal(siteSizesLine(att, { other: 3 }, true), undefined);
  const lenet = analyze(readFileSync('examples/lenet5.nnmodel', 'utf8'));
  const conv = lenet.sites.find((x) => x.kind === 'layer' && x.name === 'conv2d')!;
  assert.equal(siteSizesLine(conv, { seq: 1024 }, true), undefined);
});

test('a call shows only the sizes it depends on, a floor of one included', () => {
  const a = analyze('model W {\n  input x: [seq, 8]\n  input y: [n, 8]\n  h = x -> conv1d(16, 3, stride = 2)\n  output concat(h -> global_avgpool, y -> global_avgpool)\n}\n');
  const conv = a.sites.find((x) => x.kind === 'layer' && x.name === 'conv1d')!;
  // torch.nn.Conv1d(8, 16, 3, stride=2) on a length of 100: 49 positions, 49·16·3·8 = 18,816 MACs, 49·16·4 = 3,136 B.
  assert.equal(siteSizesLine(conv, { seq: 100, n: 7 }, true), 'At seq = 100: → [49, 16] · MACs **18,816 (18.8K)** · activations per example **3.1 KiB**');
});
