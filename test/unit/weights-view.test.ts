// Each layer's weights and the arithmetic behind its parameter count, on
// every surface: the hover (extension/vscode/pure/text.ts with
// core/analysis/weights.ts), `nnmodel summary --json` / `--weights`
// (extension/cli/summary.ts) and the inspector's summary tooltip
// (webview/views/summaryLayout.ts `summaryTooltip`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, getLayer } from '../../extension/core';
import { summaryRows } from '../../extension/core/analysis/summary';
import type { Analysis, SiteInfo } from '../../extension/core/analysis/types';
import { groupWeightsAtSite, objectWeights, weightsAtSite } from '../../extension/core/analysis/weights';
import { serializeRows } from '../../extension/core/protocol';
import { runCli, withWorkspace, type CliRun } from '../fixtures/cli';
import { siteAt } from '../../extension/vscode/pure/lookup';
import { blockHoverMarkdown, layerHoverMarkdown } from '../../extension/vscode/pure/text';
import { summaryTooltip } from '../../webview/views/summaryLayout';
import { GPT2_SMALL, LENET5 } from '../fixtures/contract';

const URI = 'file:///work/weights.nnmodel';

const MORE = `block conv_bn(f) {
  input x
  output x -> conv2d(f, 3, padding = same) -> batchnorm -> relu
}
model Shared {
  input a: [8]
  input b: [8]
  f = dense(8)
  x = a -> f
  y = b -> f
  output (x + y) -> relu
}
model Norm {
  input image: [16, 16, 3]
  output image -> conv2d(8, 3) -> batchnorm -> relu -> conv_bn(8) * 2
}
model Symbolic {
  input t: [seq, d]
  output t -> dense(64)
}
`;

function siteOf(a: Analysis, text: string, needle: string, delta = 1): SiteInfo {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, needle);
  const site = siteAt(a.sites, i + delta, ['layer', 'block', 'object']);
  assert.ok(site, `a site at ${needle}`);
  return site;
}

/** The hover of the layer call (or layer object application) at `needle`, as the editor builds it. */
function layerHover(text: string, needle: string, delta = 1): string {
  const a = analyze(text, { uri: URI });
  const site = siteOf(a, text, needle, delta);
  const spec = getLayer(site.kind === 'object' ? 'dense' : site.name);
  return layerHoverMarkdown(site, spec, undefined, weightsAtSite(a, site));
}

/** The hover's Weights section (its lines, from `**Weights**` to the next blank line). */
function weightsSection(md: string): string[] {
  const at = md.indexOf('**Weights**');
  assert.ok(at >= 0, `a Weights section in\n${md}`);
  const end = md.indexOf('\n\n', at);
  return md.slice(at, end < 0 ? undefined : end).split('  \n');
}

test('hover: LeNet-5\'s first conv2d is kernel 5·5·1·6 = 150 plus bias 6: 156', () => {
  const md = layerHover(LENET5, 'conv2d(6');
  assert.match(md, /Parameters: \*\*156\*\*/);
  assert.deepEqual(weightsSection(md), [
    '**Weights**',
    '· `kernel` [5, 5, 1, 6]: 5·5·1·6 = 150',
    '· `bias` [6]: 6',
    'sum: 150 + 6 = **156**',
  ]);
});

test('hover: GPT-2 small\'s attention is the query, key, value and output kernels and biases, 2,362,368 in all', () => {
  const md = layerHover(GPT2_SMALL, 'attention(');
  const lines = weightsSection(md);
  const names = ['query', 'key', 'value', 'output'];
  assert.deepEqual(
    lines.slice(1, -1),
    names.flatMap((n) => [`· \`${n}_kernel\` [768, 768]: 768·768 = 589,824`, `· \`${n}_bias\` [768]: 768`]),
  );
  // Q, K and V (GPT-2's fused c_attn, 768 → 3·768) are 3 · 590,592 = 1,771,776; the output projection 590,592.
  assert.equal(lines.at(-1), `sum: ${Array(4).fill('589,824 + 768').join(' + ')} = **2,362,368**`);
  assert.equal(3 * (589824 + 768), 1771776);
});

test('hover: batchnorm\'s gamma and beta are trained, its moving mean and variance are not', () => {
  const md = layerHover(MORE, 'batchnorm -> relu -> conv_bn');
  assert.match(md, /Parameters: \*\*32 \(16 trainable, 16 non-trainable\)\*\*/);
  assert.deepEqual(weightsSection(md), [
    '**Weights**',
    '· `gamma` [8]: 8',
    '· `beta` [8]: 8',
    '· `moving_mean` [8]: 8 (not trained)',
    '· `moving_variance` [8]: 8 (not trained)',
    'sum: 8 + 8 + 8 + 8 = **32**',
  ]);
});

test('hover: a layer object\'s second use adds 0 and names where its weights are counted', () => {
  const first = layerHover(MORE, 'a -> f', 5);
  assert.match(first, /Parameters: \*\*72\*\*/);
  assert.deepEqual(weightsSection(first), ['**Weights**', '· `kernel` [8, 8]: 8·8 = 64', '· `bias` [8]: 8', 'sum: 64 + 8 = **72**']);
  const second = layerHover(MORE, 'b -> f', 5);
  assert.match(second, /Parameters: \*\*0\*\*/);
  assert.deepEqual(weightsSection(second), [
    "**Weights**: shares `f`'s weights, counted at its first use (line 9): this use adds **0**",
    '· `kernel` [8, 8]: 8·8 = 64',
    '· `bias` [8]: 8',
  ]);
  // The definition `f = dense(8)` applies nothing: hovering its call or its name shows the weights of its first use.
  const a = analyze(MORE, { uri: URI });
  const def = siteOf(a, MORE, 'dense(8)');
  assert.equal(def.kind, 'object');
  assert.equal(def.outShape, undefined);
  assert.deepEqual(weightsSection(layerHoverMarkdown(def, getLayer('dense'), undefined, weightsAtSite(a, def))).at(-1), 'sum: 64 + 8 = **72**');
  assert.deepEqual(weightsSection(layerHoverMarkdown(def, getLayer('dense'), undefined, objectWeights(a, 'Shared', 'f'))).at(-1), 'sum: 64 + 8 = **72**');
});

test('hover: unembed(wte) has no weights of its own and says whose it uses', () => {
  const md = layerHover(GPT2_SMALL, 'unembed');
  assert.match(md, /Parameters: \*\*0\*\*/);
  assert.ok(!md.includes('**Weights**'), md);
  assert.ok(md.includes("Also uses `wte`'s weights, counted where it is defined."), md);
});

test('hover: a dense layer on a symbolic axis keeps the formula', () => {
  const md = layerHover(MORE, 'dense(64)');
  assert.deepEqual(weightsSection(md), ['**Weights**', '· `kernel` [d, 64]: d·64 = 64·d', '· `bias` [64]: 64', 'sum: **64·d + 64**']);
});

test('hover: a block call lists its weights by name over all repeats when that is short, else says why not', () => {
  const a = analyze(MORE, { uri: URI });
  const site = siteOf(a, MORE, 'conv_bn(8)');
  assert.equal(site.kind, 'block');
  const md = blockHoverMarkdown(site, a.blocks.find((b) => b.name === 'conv_bn'), undefined, groupWeightsAtSite(a, site));
  // Two repeats of conv2d(8, 3) on 8 channels (3·3·8·8 = 576 + 8) and batchnorm(8) (4 · 8).
  assert.match(md, /Parameters: \*\*1,232 \(1,200 trainable, 32 non-trainable\)\*\*/);
  assert.deepEqual(weightsSection(md), [
    '**Weights**: by name, all repeats',
    '· `kernel` ×2: 1,152',
    '· `bias` ×2: 16',
    '· `gamma` ×2: 16',
    '· `beta` ×2: 16',
    '· `moving_mean` ×2: 16 (not trained)',
    '· `moving_variance` ×2: 16 (not trained)',
    'sum: 1,152 + 16 + 16 + 16 + 16 + 16 = **1,232**',
  ]);
  // gpt_block holds 16 weight tensors of 12 names (8 in attention): more than 8 lines, so one line that counts and names them.
  const g = analyze(GPT2_SMALL, { uri: URI });
  const gs = siteOf(g, GPT2_SMALL, 'gpt_block(768');
  const gmd = blockHoverMarkdown(gs, g.blocks[0], undefined, groupWeightsAtSite(g, gs));
  assert.match(gmd, /Parameters: \*\*85,054,464\*\*/);
  assert.ok(
    gmd.includes(
      '**Weights**: 192 weight tensors with 12 distinct names, all repeats: `gamma` ×24, `beta` ×24, `query_kernel` ×12, `query_bias` ×12, ' +
        '`key_kernel` ×12, `key_bias` ×12, `value_kernel` ×12, `value_bias` ×12, `output_kernel` ×12, `output_bias` ×12, `kernel` ×24, `bias` ×24; ' +
        'each layer of the body lists their shapes and sizes',
    ),
    gmd,
  );
});

// ------------------------------------------------------------------ CLI

async function cli(files: Record<string, string>, ...argv: string[]): Promise<CliRun> {
  let run: CliRun | undefined;
  await withWorkspace('nnmodel-weights-', files, async (dir) => {
    run = await runCli(dir, ...argv);
  })();
  return run!;
}

interface JsonLayer {
  name: string;
  kind: string;
  params: { trainable: number; nonTrainable: number; total: number };
  weights?: { name: string; shape: (number | string)[]; params: number | string; trainable: boolean }[];
  sharesWeightsOf?: string[];
}

test('summary --json: each LeNet-5 layer\'s weights add up to its parameters, 61,706 in all', async () => {
  const r = await cli({ 'lenet.nnmodel': LENET5 }, 'summary', 'lenet.nnmodel', '--json');
  assert.equal(r.code, 0, r.err);
  const layers: JsonLayer[] = JSON.parse(r.out).models[0].layers;
  let total = 0;
  for (const l of layers.filter((x) => x.kind === 'layer')) {
    assert.ok(Array.isArray(l.weights), `${l.name} has weights`);
    const sum = l.weights.reduce((s, w) => s + (w.params as number), 0);
    assert.equal(sum, l.params.total, `${l.name}: weights add up to its params`);
    total += sum;
  }
  assert.equal(total, 61706);
  assert.deepEqual(layers.find((l) => l.name === 'conv2d(6, 5)')?.weights, [
    { name: 'kernel', shape: [5, 5, 1, 6], params: 150, trainable: true },
    { name: 'bias', shape: [6], params: 6, trainable: true },
  ]);
  assert.deepEqual(layers.find((l) => l.name === 'dense(120)')?.weights?.map((w) => [w.name, w.shape, w.params]), [
    ['kernel', [400, 120], 48000],
    ['bias', [120], 120],
  ]);
  // Inputs and groups have no weights key.
  assert.equal(layers.find((l) => l.kind === 'input')?.weights, undefined);
});

test('summary --json: shared and referenced layer objects, non-trainable weights, symbolic shapes', async () => {
  const r = await cli({ 'm.nnmodel': MORE, 'gpt.nnmodel': GPT2_SMALL }, 'summary', 'm.nnmodel', '--json');
  assert.equal(r.code, 0, r.err);
  const models: { name: string; layers: JsonLayer[] }[] = JSON.parse(r.out).models;
  const shared = models.find((m) => m.name === 'Shared')!.layers.filter((l) => l.name.startsWith('f'));
  assert.equal(shared.length, 2);
  assert.deepEqual(shared[0].weights?.map((w) => w.params), [64, 8]);
  assert.equal(shared[0].sharesWeightsOf, undefined);
  assert.deepEqual(shared[1].weights, []);
  assert.deepEqual(shared[1].sharesWeightsOf, ['f']);
  const bn = models.find((m) => m.name === 'Norm')!.layers.find((l) => l.name === 'batchnorm')!;
  assert.deepEqual(bn.weights?.map((w) => [w.name, w.trainable]), [
    ['gamma', true],
    ['beta', true],
    ['moving_mean', false],
    ['moving_variance', false],
  ]);
  const dense = models.find((m) => m.name === 'Symbolic')!.layers.find((l) => l.name === 'dense(64)')!;
  assert.deepEqual(dense.weights?.[0], { name: 'kernel', shape: ['d', 64], params: '64*d', trainable: true });
  const withD = JSON.parse((await cli({ 'm.nnmodel': MORE }, 'summary', 'm.nnmodel', '--json', '--model', 'Symbolic', '--dim', 'd=10')).out);
  assert.deepEqual(withD.models[0].layers[1].weights[0], { name: 'kernel', shape: [10, 64], params: 640, trainable: true });
  const gpt = JSON.parse((await cli({ 'gpt.nnmodel': GPT2_SMALL }, 'summary', 'gpt.nnmodel', '--json')).out).models[0].layers as JsonLayer[];
  const unembed = gpt.find((l) => l.name === 'unembed(wte)')!;
  assert.deepEqual(unembed.weights, []);
  assert.deepEqual(unembed.sharesWeightsOf, ['wte']);
});

test('summary --weights: one indented line per weight under each layer; the plain table is unchanged', async () => {
  const plain = await cli({ 'lenet.nnmodel': LENET5 }, 'summary', 'lenet.nnmodel');
  const r = await cli({ 'lenet.nnmodel': LENET5 }, 'summary', 'lenet.nnmodel', '--weights');
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  const at = lines.findIndex((l) => l.startsWith('conv2d(6, 5)'));
  assert.match(lines[at + 1], /^ {2}· kernel \[5, 5, 1, 6\] +150$/);
  assert.match(lines[at + 2], /^ {2}· bias \[6\] +6$/);
  assert.ok(!plain.out.includes('· kernel'), 'no weight lines without --weights');
  // Without the weight lines (and the wider rules they may need) the table is the plain one.
  const strip = (t: string) => t.split('\n').filter((l) => !l.includes('· ')).map((l) => l.replace(/[═─]+/g, '-').replace(/ +/g, ' '));
  assert.deepEqual(strip(r.out), strip(plain.out));
  const m = await cli({ 'm.nnmodel': MORE }, 'summary', 'm.nnmodel', '--weights', '--model', 'Shared');
  assert.match(m.out, /· shares f's weights, counted on line 9 +0\n/);
  const n = await cli({ 'm.nnmodel': MORE }, 'summary', 'm.nnmodel', '--weights', '--model', 'Norm');
  assert.match(n.out, /· moving_mean \[8\] \(not trained\) +8\n/);
});

// --------------------------------------------------------------- inspector

test('inspector summary: a layer row\'s tooltip lists its weights, after the cell text and before the click hint', () => {
  const a = analyze(LENET5, { uri: URI });
  const rows = serializeRows(summaryRows(a.models[0], true, { weights: true }));
  const conv = rows.find((r) => r.label === 'conv2d(6, 5)')!;
  const hint = 'Line 3: click to select it in the editor';
  assert.equal(
    summaryTooltip(conv, hint, 'conv2d(6, 5)'),
    ['conv2d(6, 5)', 'Weights:', '  kernel [5, 5, 1, 6]: 5·5·1·6 = 150', '  bias [6]: 6', '  sum: 150 + 6 = 156', hint].join('\n'),
  );
  // The row's own title (numeric cells have none): the weights and the hint.
  assert.equal(summaryTooltip(conv, hint), ['Weights:', '  kernel [5, 5, 1, 6]: 5·5·1·6 = 150', '  bias [6]: 6', '  sum: 150 + 6 = 156', hint].join('\n'));
  // A layer without weights keeps just its text and the hint; nothing at all gives no tooltip.
  const tanh = rows.find((r) => r.label === 'tanh')!;
  assert.equal(summaryTooltip(tanh, hint, 'tanh'), `tanh\n${hint}`);
  assert.equal(summaryTooltip(tanh, undefined), undefined);
  // Every LeNet-5 layer's listed sum is its parameter count.
  for (const r of rows.filter((x) => x.kind === 'layer' && x.weights)) {
    const params = (r.trainable as number) + (r.nonTrainable as number);
    const last = r.weights!.at(-1)!;
    assert.ok(last.endsWith(`: ${params.toLocaleString('en-US')}`) || last.endsWith(`= ${params.toLocaleString('en-US')}`), `${r.label}: ${last}`);
  }
});

test('inspector summary: shared layer objects and groups in the tooltip', () => {
  const a = analyze(MORE, { uri: URI });
  const rowsOf = (name: string) => serializeRows(summaryRows(a.models.find((m) => m.name === name)!, true, { weights: true }));
  const shared = rowsOf('Shared').filter((r) => r.op === 'dense');
  assert.deepEqual(shared[1].weights, ["Weights: shares f's weights, counted at its first use (line 9): this use adds 0", '  kernel [8, 8]: 8·8 = 64', '  bias [8]: 8']);
  const group = rowsOf('Norm').find((r) => r.kind === 'group')!;
  assert.deepEqual(group.weights?.slice(0, 2), ['Weights: by name, all repeats', '  kernel ×2: 1,152']);
  assert.equal(group.weights?.at(-1), '  sum: 1,152 + 16 + 16 + 16 + 16 + 16 = 1,232');
  const g = analyze(GPT2_SMALL, { uri: URI });
  const block = serializeRows(summaryRows(g.models[0], true, { weights: true })).find((r) => r.kind === 'group')!;
  assert.equal(block.weights?.length, 1);
  assert.match(block.weights![0], /^Weights: 192 weight tensors with 12 distinct names, all repeats: gamma ×24, beta ×24, query_kernel ×12, .*, kernel ×24, bias ×24; each layer of the body lists their shapes and sizes$/);
  // Only the inspector shows the weights: the CLI's and the editor's summaries do not have them made.
  assert.ok(summaryRows(g.models[0]).every((r) => r.weights === undefined));
});

/** Markdown hover lines as plain text: no code or bold marks, weights indented under `Weights:` instead of after `·`. */
function unmarked(lines: readonly string[]): string[] {
  return lines.map((l) =>
    l
      .replace(/\*\*|`/g, '')
      .replace(/^Weights$/, 'Weights:')
      .replace(/^· /, '  ')
      .replace(/^sum: /, '  sum: '),
  );
}

test('the hover and the inspector\'s tooltip say the weights in the same words: not trained, a shared use, a layer object used, a block\'s totals', () => {
  const cases: [text: string, model: string, needle: string, delta: number, row: (r: ReturnType<typeof serializeRows>[number]) => boolean][] = [
    [MORE, 'Norm', 'batchnorm -> relu -> conv_bn', 1, (r) => r.op === 'batchnorm' && r.depth === 0],
    [MORE, 'Shared', 'b -> f', 5, (r) => r.op === 'dense' && r.line === 10],
    [GPT2_SMALL, 'GPT2Small', 'unembed', 1, (r) => r.op === 'unembed'],
  ];
  for (const [text, model, needle, delta, row] of cases) {
    const a = analyze(text, { uri: URI });
    const md = layerHover(text, needle, delta);
    const tooltip = serializeRows(summaryRows(a.models.find((m) => m.name === model)!, true, { weights: true })).find(row)!.weights!;
    const at = md.indexOf(tooltip[0].startsWith('Weights') ? '**Weights**' : 'Also uses');
    assert.ok(at >= 0, md);
    const end = md.indexOf('\n\n', at);
    assert.deepEqual(unmarked(md.slice(at, end < 0 ? undefined : end).split('  \n')), tooltip, needle);
  }
  const a = analyze(MORE, { uri: URI });
  const site = siteOf(a, MORE, 'conv_bn(8)');
  const md = blockHoverMarkdown(site, a.blocks.find((b) => b.name === 'conv_bn'), undefined, groupWeightsAtSite(a, site));
  const group = serializeRows(summaryRows(a.models.find((m) => m.name === 'Norm')!, true, { weights: true })).find((r) => r.kind === 'group')!;
  assert.deepEqual(unmarked(weightsSection(md)), group.weights);
});
