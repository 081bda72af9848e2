// The graph view's layout: the node placement rule (NETWORK_SIMPLEX unless
// long edges make it slow), every example laid out by ELK with the chosen
// options, and the worker client (graphLayout.ts): worker, fallback to the
// page, and a newer request replacing an older one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import { analyze } from '../../extension/core/analysis/analyze';
import { serializeModel, type PlainModelInfo } from '../../extension/core/protocol';
import {
  buildDiagram,
  groupKeys,
  longEdgeDummies,
  nodePlacement,
  NETWORK_SIMPLEX_MAX_DUMMIES,
  type TextMetrics,
} from '../../webview/views/graphModel';
import { GraphLayout, LayoutSuperseded, type LayoutWorkerLike } from '../../webview/views/graphLayout';
import { fitTransform, FIT_MARGIN, MAX_FIT_ZOOM, MIN_FIT_ZOOM, MIN_LABEL_PX, NODE_LABEL_PX } from '../../webview/views/graphFit';
import { nnmodelFiles } from '../fixtures/examples';

// elkjs's worker script outside a worker (no `self`) exports its in-process worker: the same dispatcher dist/layoutWorker.js runs.
const { Worker: ElkInProcessWorker } = require('elkjs/lib/elk-worker.min.js') as { Worker: new () => LayoutWorkerLike };

const metrics: TextMetrics = { measure: (t, bold) => t.length * (bold ? 7.5 : 7) };
const PLACEMENT = 'elk.layered.nodePlacement.strategy';
const examplesDir = join(process.cwd(), 'examples');

function readImport(fromUri: string | undefined, path: string): { uri: string; text: string } | undefined {
  const uri = resolve(fromUri ? dirname(fromUri) : examplesDir, path);
  return existsSync(uri) ? { uri, text: readFileSync(uri, 'utf8') } : undefined;
}

/** Every model declared in each example (imported ones are shown with the file that declares them). */
function exampleModels(): { file: string; model: PlainModelInfo }[] {
  const out: { file: string; model: PlainModelInfo }[] = [];
  for (const file of nnmodelFiles(examplesDir)) {
    const uri = join(examplesDir, file);
    const a = analyze(readFileSync(uri, 'utf8'), { uri, readImport });
    for (const m of a.models) if (m.uri === undefined || m.uri === uri) out.push({ file, model: serializeModel(m) });
  }
  return out;
}

function level(n: number, extra: [number, number][] = []): Pick<ElkNode, 'children' | 'edges'> {
  const children = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, width: 100, height: 50 }));
  const edges: ElkExtendedEdge[] = [];
  for (let i = 1; i < n; i++) edges.push({ id: `c${i}`, sources: [`n${i - 1}`], targets: [`n${i}`] });
  extra.forEach(([a, b], i) => edges.push({ id: `x${i}`, sources: [`n${a}`], targets: [`n${b}`] }));
  return { children, edges };
}

/** Every box of a laid-out level and below, with its position relative to the root. */
function placed(n: ElkNode, dx = 0, dy = 0, out: { id: string; x: number; y: number; w: number; h: number }[] = []) {
  for (const c of n.children ?? []) {
    assert.ok(Number.isFinite(c.x) && Number.isFinite(c.y), `${c.id} has a position`);
    out.push({ id: c.id, x: dx + c.x!, y: dy + c.y!, w: c.width!, h: c.height! });
    placed(c, dx + c.x!, dy + c.y!, out);
  }
  return out;
}

test('long-edge dummies: a chain has none, an edge over k layers costs k − 1, a cycle does not hang', () => {
  assert.equal(longEdgeDummies(level(300)), 0);
  assert.equal(longEdgeDummies(level(10, [[0, 4]])), 3);
  assert.equal(longEdgeDummies(level(10, [[0, 4], [2, 9], [5, 6]])), 3 + 6);
  // The deepest source sets the layer: n3 also fed from n0 stays at layer 3.
  assert.equal(longEdgeDummies(level(4, [[0, 3]])), 2);
  const cycle = level(3, [[2, 0]]);
  assert.equal(longEdgeDummies(cycle), 0);
  // Edges to boxes outside the level (none are drawn so) are ignored.
  assert.equal(longEdgeDummies({ children: level(3).children, edges: [{ id: 'o', sources: ['n0'], targets: ['elsewhere'] }] }), 0);
});

test('placement rule: NETWORK_SIMPLEX up to the dummy limit, BRANDES_KOEPF above it, whatever the box count', () => {
  assert.equal(nodePlacement(level(500)), 'NETWORK_SIMPLEX');
  const limit = NETWORK_SIMPLEX_MAX_DUMMIES;
  assert.equal(nodePlacement(level(limit + 2, [[0, limit + 1]])), 'NETWORK_SIMPLEX', `${limit} dummies`);
  assert.equal(nodePlacement(level(limit + 3, [[0, limit + 2]])), 'BRANDES_KOEPF', `${limit + 1} dummies`);
});

/**
 * Laid out in the test (the rest only get their placement checked, to keep
 * the file under a few seconds): a plain chain, nested frames with skips,
 * a U-Net that keeps NETWORK_SIMPLEX, two models in a file, an imported
 * block, and the graph that switches to BRANDES_KOEPF.
 */
const LAID_OUT = new Set(['LeNet5', 'ResNet18', 'UNetSmall', 'TinyTransformer', 'GPTSmall', 'DiffusionUNet']);

test('every example gets a placement by the rule; representative ones lay out with ELK, collapsed and expanded', async () => {
  const elk = new ELK();
  const picked: string[] = [];
  for (const { file, model } of exampleModels()) {
    const keys = groupKeys(model.graph);
    for (const expanded of keys.length ? [new Set<string>(), new Set(keys)] : [new Set<string>()]) {
      const mode = expanded.size ? 'expanded' : 'collapsed';
      const d = buildDiagram(model.graph, [], expanded, metrics);
      const strategy = d.root.layoutOptions![PLACEMENT];
      assert.equal(strategy, nodePlacement(d.root));
      picked.push(`${model.name} ${mode} ${strategy}`);
      if (!LAID_OUT.has(model.name)) continue;
      const laid = await elk.layout(d.root);
      const boxes = placed(laid);
      assert.equal(boxes.length, d.boxes.size, `${file} ${model.name} ${mode}: every box placed`);
      for (const b of boxes) {
        assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= laid.width! + 0.5 && b.y + b.h <= laid.height! + 0.5, `${file} ${model.name} ${mode}: ${b.id} inside the drawing`);
      }
      // Top-down at the top level: every edge ends below where it starts.
      const y = new Map(laid.children!.map((c) => [c.id, c.y!]));
      for (const e of laid.edges ?? []) assert.ok(y.get(e.targets[0])! > y.get(e.sources[0])!, `${file} ${model.name} ${mode}: edge ${e.id} goes down`);
    }
  }
  assert.ok(picked.length >= 25, `examples and modes seen: ${picked.length}`);
  for (const name of LAID_OUT) assert.ok(picked.some((p) => p.startsWith(`${name} `)), `${name} is still an example`);
  // The diffusion U-Nets, whose step embedding feeds every residual block (the long edges that made
  // NETWORK_SIMPLEX take seconds on DiffusionUNet), switch; the others keep their look.
  assert.deepEqual(
    picked.filter((p) => p.endsWith('BRANDES_KOEPF')),
    ['DigitDiffusion collapsed BRANDES_KOEPF', 'DigitDiffusion expanded BRANDES_KOEPF', 'DiffusionUNet collapsed BRANDES_KOEPF', 'DiffusionUNet expanded BRANDES_KOEPF'],
  );
  assert.ok(picked.includes('UNetSmall collapsed NETWORK_SIMPLEX'), 'a U-Net with a few skips keeps NETWORK_SIMPLEX');
});

test('an explicit placement overrides the rule (for the benchmark)', () => {
  const m = exampleModels().find((x) => x.model.name === 'LeNet5')!.model;
  assert.equal(buildDiagram(m.graph, [], new Set(), metrics, { placement: 'BRANDES_KOEPF' }).root.layoutOptions![PLACEMENT], 'BRANDES_KOEPF');
});

function lenetDiagram(): ElkNode {
  const m = exampleModels().find((x) => x.model.name === 'LeNet5')!.model;
  return buildDiagram(m.graph, [], new Set(), metrics).root;
}

const onPage = (g: ElkNode) => new ELK().layout(g);

test('GraphLayout runs ELK in the worker and gives the same layout as the page', async () => {
  let started = 0;
  const layouts = new GraphLayout({ startWorker: () => (started++, new ElkInProcessWorker()), layoutOnPage: onPage });
  const g = lenetDiagram();
  const a = await layouts.layout(structuredClone(g));
  assert.equal(a.where, 'worker');
  assert.equal(layouts.fallback, undefined);
  const b = await layouts.layout(structuredClone(g));
  assert.equal(started, 1, 'one worker serves successive layouts');
  const page = await onPage(structuredClone(g));
  assert.deepEqual(placed(a.graph), placed(page));
  assert.deepEqual(placed(b.graph), placed(page));
  layouts.dispose();
  await assert.rejects(layouts.layout(g), LayoutSuperseded);
});

test('GraphLayout falls back to the page when the worker cannot start, and says why', async () => {
  for (const [why, startWorker, reason] of [
    ['no Worker', () => Promise.reject(new Error('this page cannot start workers')), /cannot start workers/],
    [
      'script blocked',
      () => {
        const w: LayoutWorkerLike = { onmessage: null, onerror: null, postMessage: () => setTimeout(() => w.onerror!({ message: '' })), terminate() {} };
        return w;
      },
      /failed to load/,
    ],
    ['silent', () => ({ onmessage: null, postMessage() {}, terminate() {} }), /did not answer within 0.05 s/],
  ] as const) {
    const layouts = new GraphLayout({ startWorker, layoutOnPage: onPage, startTimeoutMs: 50 });
    const r = await layouts.layout(lenetDiagram());
    assert.equal(r.where, 'page', why);
    assert.match(layouts.fallback ?? '', reason, why);
    assert.equal(placed(r.graph).length, 14, why);
  }
});

test('GraphLayout: a newer request terminates the worker of a layout still running and wins', async () => {
  const workers: { terminated: boolean; answer: boolean }[] = [];
  // Worker 1 starts but never finishes a layout (a slow graph); later workers answer at once.
  const layouts = new GraphLayout({
    startWorker: () => {
      const state = { terminated: false, answer: workers.length > 0 };
      workers.push(state);
      const inner = new ElkInProcessWorker();
      const w: LayoutWorkerLike = {
        onmessage: null,
        postMessage(msg) {
          if ((msg as { cmd: string }).cmd === 'layout' && !state.answer) return;
          inner.onmessage = (e) => w.onmessage?.(e);
          inner.postMessage(msg);
        },
        terminate: () => (state.terminated = true),
      };
      return w;
    },
    layoutOnPage: onPage,
  });
  const old = layouts.layout(lenetDiagram());
  const oldSettled = old.then(
    () => 'resolved',
    (e: unknown) => (e instanceof LayoutSuperseded ? 'superseded' : `failed: ${String(e)}`),
  );
  // Let the first request reach its worker.
  while (workers.length === 0) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 20));
  const newer = await layouts.layout(lenetDiagram());
  assert.equal(await oldSettled, 'superseded');
  assert.equal(newer.where, 'worker');
  assert.deepEqual(workers, [{ terminated: true, answer: false }, { terminated: false, answer: true }]);
  layouts.dispose();
});

test('GraphLayout: of two requests made while the worker starts, only the newer one is laid out', async () => {
  let layoutsRun = 0;
  const layouts = new GraphLayout({
    startWorker: () => {
      const inner = new ElkInProcessWorker();
      const w: LayoutWorkerLike = {
        onmessage: null,
        postMessage(msg) {
          if ((msg as { cmd: string }).cmd === 'layout') layoutsRun++;
          inner.onmessage = (e) => w.onmessage?.(e);
          inner.postMessage(msg);
        },
        terminate() {},
      };
      return w;
    },
    layoutOnPage: onPage,
  });
  const first = layouts.layout(lenetDiagram());
  const second = layouts.layout(lenetDiagram());
  await assert.rejects(first, LayoutSuperseded);
  assert.equal((await second).where, 'worker');
  assert.equal(layoutsRun, 1);
  layouts.dispose();
});

test('GraphLayout reports ELK refusing a graph as an error, not as a fallback', async () => {
  const layouts = new GraphLayout({ startWorker: () => new ElkInProcessWorker(), layoutOnPage: onPage });
  const bad: ElkNode = { id: 'root', children: [{ id: 'a' }], edges: [{ id: 'e', sources: ['a'], targets: ['missing'] }] };
  await assert.rejects(layouts.layout(bad), (e: unknown) => e instanceof Error && !(e instanceof LayoutSuperseded) && e.message.length > 0);
  assert.equal(layouts.fallback, undefined);
  assert.equal((await layouts.layout(lenetDiagram())).where, 'worker');
  layouts.dispose();
});

test('Fit: LeNet5 in a wide, short panel or beside the editor is fitted to the width at a readable zoom (labels of 11 px or more) from its top, to be panned', async () => {
  const lenet = exampleModels().find((m) => m.model.name === 'LeNet5')!;
  const laid = await new ELK().layout(buildDiagram(lenet.model.graph, [], new Set(), metrics).root);
  const graph = { width: laid.width!, height: laid.height! };
  // The QA report's case: a tall chain of 14 nodes in a wide panel, whose whole height would need a zoom below readable.
  const view = { width: 1200, height: 500 };
  assert.ok((view.height - 2 * FIT_MARGIN) / graph.height < MIN_FIT_ZOOM, `LeNet5 (${graph.width} × ${graph.height}) does not fit ${view.height} px readably`);
  // Fit (and a new model's first view): as wide as it may grow (a narrow chain is not enlarged past MAX_FIT_ZOOM), from its top.
  const t = fitTransform(view, graph);
  assert.equal(t.k, MAX_FIT_ZOOM);
  assert.ok(t.k * NODE_LABEL_PX >= MIN_LABEL_PX && MIN_LABEL_PX >= 11, `labels at ${(t.k * NODE_LABEL_PX).toFixed(1)} px`);
  assert.equal(t.whole, false);
  assert.equal(t.y, FIT_MARGIN, 'shown from its top');
  // Narrow enough to centre across.
  assert.ok(Math.abs(t.x - (view.width - graph.width * t.k) / 2) < 1e-9, `centred across: x = ${t.x}`);
  // The inspector beside the editor (the UX review's 516 × 650 panel): the same, not the readable minimum that left 80 % of the width empty.
  const beside = fitTransform({ width: 516, height: 650 }, graph);
  assert.deepEqual([beside.k, beside.y, beside.whole], [MAX_FIT_ZOOM, FIT_MARGIN, false]);
  // In a tall panel the same graph fits whole, centred.
  const tall = fitTransform({ width: 800, height: graph.height + 100 }, graph);
  assert.equal(tall.whole, true);
  assert.ok(tall.k >= MIN_FIT_ZOOM && tall.k <= MAX_FIT_ZOOM);
  assert.ok(Math.abs(tall.y - (graph.height + 100 - graph.height * tall.k) / 2) < 1e-9);
});

test('Fit: whole when readable, capped at 1.2 for a small graph; else its width at a readable zoom from the top, left edge first when too wide', () => {
  assert.equal(MIN_FIT_ZOOM, 11 / 12);
  // A small graph is enlarged at most to 1.2 and centred.
  assert.deepEqual(fitTransform({ width: 1000, height: 800 }, { width: 100, height: 100 }), { k: 1.2, x: 440, y: 340, whole: true });
  // Fits whole at 1.0, and at 0.95 (labels of 11.4 px, readable): shown whole.
  const mid = { width: 1000, height: 900 * 1.0 + 2 * FIT_MARGIN };
  assert.equal(fitTransform(mid, { width: 400, height: 900 }).whole, true);
  const low = { width: 1000, height: 900 * 0.95 + 2 * FIT_MARGIN };
  assert.ok(Math.abs(fitTransform(low, { width: 400, height: 900 }).k - 0.95) < 1e-9);
  assert.equal(fitTransform(low, { width: 400, height: 900 }).whole, true);
  // Whole only at 0.85 (labels of 10.2 px): fitted to the width instead, from the top.
  const short = { width: 1000, height: 900 * 0.85 + 2 * FIT_MARGIN };
  assert.deepEqual(fitTransform(short, { width: 400, height: 900 }), { k: MAX_FIT_ZOOM, x: (1000 - 400 * MAX_FIT_ZOOM) / 2, y: FIT_MARGIN, whole: false });
  // A tall graph a little narrower than the view: exactly its width, between the readable zoom and the cap.
  const across = fitTransform({ width: 516, height: 650 }, { width: 450, height: 2000 });
  assert.ok(Math.abs(across.k - 500 / 450) < 1e-9 && Math.abs(across.x - FIT_MARGIN) < 1e-9, JSON.stringify(across));
  assert.equal(across.whole, false);
  // Wider than the view even at the readable minimum: that minimum, from the left edge and the top.
  const wide = fitTransform({ width: 300, height: 200 }, { width: 2000, height: 1000 });
  assert.deepEqual(wide, { k: MIN_FIT_ZOOM, x: FIT_MARGIN, y: FIT_MARGIN, whole: false });
  const tallWide = fitTransform({ width: 516, height: 650 }, { width: 600, height: 2000 });
  assert.deepEqual(tallWide, { k: MIN_FIT_ZOOM, x: FIT_MARGIN, y: FIT_MARGIN, whole: false });
  // A degenerate view or graph gives a finite transform.
  for (const t of [fitTransform({ width: 0, height: 0 }, { width: 100, height: 100 }), fitTransform({ width: 500, height: 500 }, { width: 0, height: 0 })]) {
    assert.ok([t.k, t.x, t.y].every(Number.isFinite), JSON.stringify(t));
  }
});
