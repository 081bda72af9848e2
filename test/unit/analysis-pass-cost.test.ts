// The passes that run after shape inference on every analysis (symbols, lints, train sections) do
// work that grows with the file only where it must: no structures per body for a one-off symbol
// walk, one read of each graph node when a model has nothing to lint, and their results are the
// same whichever path produced them (issue #2: analysis of large files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { AnalysisSession } from '../../extension/core/analysis/session';
import { collectSymbols } from '../../extension/core/analysis/symbols';
import { lintModels } from '../../extension/core/analysis/lints';
import { analyzeTrain } from '../../extension/core/analysis/train';
import { parse } from '../../extension/core/syntax/parser';
import type { BlockDecl, SourceFile } from '../../extension/core/syntax/ast';
import type { Graph, ModelInfo, TrainInfo } from '../../extension/core/analysis/types';
import { generateFile } from '../../bench/generate';

function blocksOf(file: SourceFile): Map<string, { decl: BlockDecl; uri?: string }> {
  const blocks = new Map<string, { decl: BlockDecl; uri?: string }>();
  for (const item of file.items) if (item.kind === 'block' && !blocks.has(item.name.name)) blocks.set(item.name.name, { decl: item });
  return blocks;
}

/** How many Maps `f` constructs. */
function mapsMadeBy(f: () => void): number {
  const Original = globalThis.Map;
  let made = 0;
  globalThis.Map = class extends Original<unknown, unknown> {
    constructor(entries?: Iterable<readonly [unknown, unknown]> | null) {
      super(entries);
      made++;
    }
  } as MapConstructor;
  try {
    f();
  } finally {
    globalThis.Map = Original;
  }
  return made;
}

test('a one-off symbol walk makes no Map per body: as many for 500 bodies as for 12', () => {
  const small = parse(generateFile(120));
  const large = parse(generateFile(5000));
  const bodies = (f: SourceFile) => f.items.filter((i) => i.kind === 'model' || i.kind === 'block').length;
  assert.ok(bodies(small) >= 10 && bodies(large) >= 400, `${bodies(small)} and ${bodies(large)} bodies`);
  const forSmall = mapsMadeBy(() => collectSymbols(small, undefined, blocksOf(small), false));
  const forLarge = mapsMadeBy(() => collectSymbols(large, undefined, blocksOf(large), false));
  assert.equal(forLarge, forSmall);
});

test('the one-off symbol walk and the kept one give the same symbols, references and warnings, in the same order', () => {
  const text = [
    generateFile(400),
    'block b(k, n = k) {',
    '  input x: [s, d]',
    '  input spare',
    '  y = x -> dense(k)',
    '  y = x -> dense(n)',
    '  w = dense(d)',
    '  output y -> w -> w',
    '}',
    'model M {',
    '  input x: [8, 4]',
    '  h = x -> b(3)',
    '  h = x -> b(2) -> relu',
    '  unused = h',
    '  output h + y',
    '}',
    'train M {',
    '  data: digits',
    '}',
    '',
  ].join('\n');
  const once = collectSymbols(parse(text), undefined, blocksOf(parse(text)), false);
  const file = parse(text);
  const kept = collectSymbols(file, undefined, blocksOf(file), true);
  // Kept walks are reused on the same trees: the second call replays them.
  const replayed = collectSymbols(file, undefined, blocksOf(file), true);
  assert.ok(once.diagnostics.some((d) => d.code === 'input.unused') && once.diagnostics.some((d) => d.message.includes('reassigned at line')));
  assert.equal(JSON.stringify(once), JSON.stringify(kept));
  assert.equal(JSON.stringify(once), JSON.stringify(replayed));
  // A name bound in one body is not in scope in the next: `y` of block b is not M's.
  // Each binding of `y` is a symbol of its own: the first is never used, the second is used once, in b.
  const y = once.symbols.filter((s) => s.name === 'y' && s.container === 'b');
  assert.deepEqual(
    y.map((s) => [s.range.start.line, s.references.map((r) => r.range.start.line)]),
    [
      [text.split('\n').indexOf('  y = x -> dense(k)'), []],
      [text.split('\n').indexOf('  y = x -> dense(n)'), [text.split('\n').indexOf('  output y -> w -> w')]],
    ],
  );
});

/** `graph` and the graphs of its bodies with their node lists counting the nodes read. */
function countingReads(graph: Graph, seen = new Map<Graph, Graph>(), reads = { count: 0 }): { graph: Graph; reads: { count: number } } {
  const known = seen.get(graph);
  if (known) return { graph: known, reads };
  const nodes = graph.nodes.map((n) => (n.kind === 'group' ? { ...n, runs: n.runs.map((r) => ({ ...r, body: countingReads(r.body, seen, reads).graph })) } : n));
  const counted: Graph = {
    ...graph,
    nodes: new Proxy(nodes, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads.count++;
        return Reflect.get(target, key, receiver);
      },
    }),
  };
  seen.set(graph, counted);
  return { graph: counted, reads };
}

test('lints read the nodes of a model with nothing to lint in one pass, and a second only to find the bodies of its groups', () => {
  const text = [
    'block res(f) {',
    '  input x',
    '  output (x -> conv2d(f, 3, padding = same) -> relu) + x',
    '}',
    'model Plain {',
    '  input x: [28, 28, 1]',
    '  output x -> flatten -> dense(64) -> relu -> dense(10) -> softmax',
    '}',
    'model Grouped {',
    '  input x: [16, 16, 8]',
    '  output x -> res(8) * 2 -> flatten -> dense(4)',
    '}',
    '',
  ].join('\n');
  const a = analyze(text);
  assert.deepEqual(a.diagnostics, []);
  const [plain, grouped] = a.models;
  // Besides the pass, a dense reads the node that feeds it (is it a dense too?): fewer reads than two passes.
  const p = countingReads(plain.graph);
  assert.deepEqual(lintModels([{ ...plain, graph: p.graph } as ModelInfo], undefined, a.file), []);
  const n = plain.graph.nodes.length;
  assert.ok(p.reads.count >= n && p.reads.count < 2 * n, `${p.reads.count} reads of ${n} nodes`);
  const g = countingReads(grouped.graph);
  assert.deepEqual(lintModels([{ ...grouped, graph: g.graph } as ModelInfo], undefined, a.file), []);
  const top = grouped.graph.nodes.length;
  const group = grouped.graph.nodes.find((x) => x.kind === 'group');
  assert.ok(group && group.kind === 'group');
  const inner = [...new Set(group.runs.map((r) => r.body))].reduce((k, b) => k + b.nodes.length, 0);
  assert.ok(inner > 0);
  assert.ok(g.reads.count < 2 * top + 2 * inner, `${g.reads.count} reads of ${top} + ${inner} nodes`);
});

test("lints read a graph's nodes once: a model with nothing to lint, replayed by an editor session, costs no read on the next keystroke", () => {
  const text = [
    'block res(f) {',
    '  input x',
    '  output (x -> conv2d(f, 3, padding = same) -> relu) + x',
    '}',
    'model Grouped {',
    '  input x: [16, 16, 8]',
    '  output x -> res(8) * 2 -> flatten -> dense(32) -> relu -> dense(4)',
    '}',
    '',
  ].join('\n');
  const a = analyze(text);
  assert.deepEqual(a.diagnostics, []);
  const g = countingReads(a.models[0].graph);
  const model = { ...a.models[0], graph: g.graph } as ModelInfo;
  assert.deepEqual(lintModels([model], undefined, a.file), []);
  assert.ok(g.reads.count > 0);
  const before = g.reads.count;
  // The same graphs linted again (a session replays a model unchanged): what the lints look for is known.
  assert.deepEqual(lintModels([model], undefined, a.file), []);
  assert.equal(g.reads.count - before, 0);
  // A stack in the same model is still found on every analysis.
  const stacked = analyze(text.replace('dense(32) -> relu -> dense(4)', 'dense(32) -> dense(4)'));
  const s = { ...stacked.models[0], graph: countingReads(stacked.models[0].graph).graph } as ModelInfo;
  for (let i = 0; i < 2; i++) assert.deepEqual(lintModels([s], undefined, stacked.file).map((d) => d.code), ['layer.linear_stack']);
});

test('a dense stack inside a block body used by two models is reported once, with the first model', () => {
  const text = [
    'block proj(k) {',
    '  input x',
    '  output x -> dense(16) -> dense(k)',
    '}',
    'model A {',
    '  input x: [8]',
    '  output x -> proj(4)',
    '}',
    'model B {',
    '  input x: [8]',
    '  output x -> proj(4) -> relu',
    '}',
    '',
  ].join('\n');
  const found = analyze(text).diagnostics.filter((d) => d.code === 'layer.linear_stack');
  assert.equal(found.length, 1);
  assert.equal(text.slice(found[0].range.start.offset, found[0].range.end.offset), 'dense(k)');
});

function sizedFromModel(t: TrainInfo): boolean | undefined {
  const data = t.config.data;
  return data && (data.kind === 'digits' || data.kind === 'shapes') ? data.sizeFromModel : undefined;
}

test('train sections: a one-off analysis and an editing session agree, and sizing from the model does not change a kept section', () => {
  const text = ['model Net {', '  input x: [32, 32, 1]', '  output x -> flatten -> dense(10) -> softmax', '}', 'train Net {', '  data: digits(samples = 100)', '  epochs: 2', '  batch: 16', '}', ''].join('\n');
  const once = analyzeTrain(parse(text), analyze(text).models, false).trains;
  assert.equal(once[0].config.data?.options.size, 32);
  assert.equal(sizedFromModel(once[0]), true);
  assert.deepEqual(Object.keys(once[0].config), ['loss', 'optimizer', 'epochs', 'batch', 'validation', 'metrics', 'data']);
  const session = new AnalysisSession();
  assert.equal(JSON.stringify(session.update(text).trains), JSON.stringify(once));
  // The same train tree, now trained by a model of another size: the kept settings were not sized in place.
  const resized = text.replace('[32, 32, 1]', '[40, 40, 1]');
  const after = session.update(resized).trains;
  assert.equal(after[0].config.data?.options.size, 40);
  assert.equal(JSON.stringify(after), JSON.stringify(analyze(resized).trains));
  // A model the data cannot be drawn for: the default size, as read.
  const odd = text.replace('[32, 32, 1]', '[30, 20, 1]');
  const unsized = session.update(odd).trains;
  assert.equal(unsized[0].config.data?.options.size, 28);
  assert.equal(sizedFromModel(unsized[0]), undefined);
  assert.equal(JSON.stringify(unsized), JSON.stringify(analyze(odd).trains));
  const back = session.update(text).trains;
  assert.equal(JSON.stringify(back), JSON.stringify(once));
});
