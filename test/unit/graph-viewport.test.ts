// The graph view's viewport as pure functions (webview/views/graphFit.ts):
// the first view of a graph too wide to read whole (the encoder-decoder
// Transformer) opens on its inputs with scroll bars that reach the rest,
// panning keeps the graph reachable, a re-layout keeps the user's view,
// Ctrl+wheel and the +/− keys zoom while the wheel scrolls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkNode } from 'elkjs/lib/elk-api';
import { analyze } from '../../extension/core/analysis/analyze';
import { serializeModel } from '../../extension/core/protocol';
import { buildDiagram, type TextMetrics } from '../../webview/views/graphModel';
import {
  clampTransform,
  FIT_MARGIN,
  fitTransform,
  keepAcrossLayout,
  MAX_ZOOM,
  MIN_FIT_ZOOM,
  MIN_THUMB,
  MIN_ZOOM,
  openingTransform,
  scrollBars,
  scrollTo,
  wheelAction,
  zoomAbout,
  zoomKey,
  type GraphRect,
  type ViewTransform,
} from '../../webview/views/graphFit';

const metrics: TextMetrics = { measure: (t, bold) => t.length * (bold ? 7.5 : 7) };

/** The Transformer's laid-out graph (top level: its two inputs, the encoder and decoder chains side by side). */
async function transformer(): Promise<{ size: { width: number; height: number }; boxes: (GraphRect & { id: string; kind: string })[] }> {
  const file = join(process.cwd(), 'examples/transformer.nnmodel');
  const a = analyze(readFileSync(file, 'utf8'), { uri: file });
  const model = serializeModel(a.models.find((m) => m.name === 'TransformerBase')!);
  const diagram = buildDiagram(model.graph, [], new Set(), metrics);
  const laid: ElkNode = await new ELK().layout(diagram.root);
  const boxes = (laid.children ?? []).map((c) => ({ id: c.id, kind: diagram.boxes.get(c.id)!.node.kind, x: c.x!, y: c.y!, width: c.width!, height: c.height! }));
  return { size: { width: laid.width!, height: laid.height! }, boxes };
}

/** Where `r` is on screen at `t`, and whether it is entirely inside `view`. */
function inView(view: { width: number; height: number }, t: ViewTransform, r: GraphRect): boolean {
  const left = t.x + r.x * t.k;
  const top = t.y + r.y * t.k;
  return left >= -0.5 && top >= -0.5 && left + r.width * t.k <= view.width + 0.5 && top + r.height * t.k <= view.height + 0.5;
}

test('the Transformer opens on its first input at a readable size, with scroll bars that reach its last node', async () => {
  const { size, boxes } = await transformer();
  const first = boxes.find((b) => b.kind === 'input')!;
  // The rightmost bottom node: the last thing to reach.
  const last = [...boxes].sort((a, b) => b.x + b.width + b.y + b.height - (a.x + a.width + a.y + a.height))[0];
  // Beside the editor and narrower: the graph is wider than the view at the readable minimum.
  for (const view of [{ width: 516, height: 650 }, { width: 300, height: 560 }]) {
    assert.ok(size.width * MIN_FIT_ZOOM > view.width - 2 * FIT_MARGIN, `the Transformer (${size.width} px wide) does not fit ${view.width} px readably`);
    const t = openingTransform(view, size, first);
    assert.equal(t.whole, false);
    assert.ok(t.k >= MIN_FIT_ZOOM - 1e-9, `readable: zoom ${t.k}`);
    assert.ok(inView(view, t, first), `the first input ${JSON.stringify(first)} in view at ${JSON.stringify(t)}`);
    assert.ok(!inView(view, t, last), 'the last node is not in the first view: there is more to reach');
    // The cue that there is more: a horizontal scroll bar (and a vertical one when the graph is taller than the view).
    const bars = scrollBars(view, size, t);
    assert.equal(bars.x.shown, true);
    assert.equal(bars.y.shown, size.height * t.k + 2 * FIT_MARGIN > view.height);
    assert.ok(bars.x.length >= MIN_THUMB && bars.x.length < view.width, JSON.stringify(bars.x));
    // Dragging both thumbs to their ends brings the last node into view.
    let end = scrollTo(view, size, t, 'x', view.width);
    end = scrollTo(view, size, end, 'y', view.height);
    assert.ok(inView(view, end, last), `the last node ${JSON.stringify(last)} in view at ${JSON.stringify(end)}`);
    const atEnd = scrollBars(view, size, end);
    assert.ok(Math.abs(atEnd.x.start + atEnd.x.length - view.width) < 1e-6, 'the thumb at the end of its track');
    // And back to the start: the first input again.
    assert.ok(inView(view, scrollTo(view, size, scrollTo(view, size, end, 'x', 0), 'y', 0), first));
  }
});

test('the first view scrolls to the first input when it lies beyond the left edge; a graph shown whole is the plain fit', () => {
  const view = { width: 400, height: 300 };
  const graph = { width: 2000, height: 1000 };
  // An input at the far right of a wide graph: scrolled to, its left edge at the margin, at the readable minimum.
  const t = openingTransform(view, graph, { x: 1500, y: 0, width: 100, height: 40 });
  assert.equal(t.k, MIN_FIT_ZOOM);
  assert.ok(Math.abs(t.x - (FIT_MARGIN - 1500 * MIN_FIT_ZOOM)) < 1e-9, JSON.stringify(t));
  assert.equal(t.y, FIT_MARGIN);
  // Already in view from the left: no change from Fit.
  assert.deepEqual(openingTransform(view, graph, { x: 10, y: 0, width: 100, height: 40 }), fitTransform(view, graph));
  // An input at the far right end cannot scroll past the graph's end.
  const edge = openingTransform(view, graph, { x: 1950, y: 0, width: 50, height: 40 });
  assert.ok(Math.abs(edge.x - (view.width - FIT_MARGIN - graph.width * MIN_FIT_ZOOM)) < 1e-9, JSON.stringify(edge));
  // Whole: the fit as it is.
  assert.deepEqual(openingTransform({ width: 1000, height: 800 }, { width: 100, height: 100 }, { x: 0, y: 0, width: 100, height: 40 }), fitTransform({ width: 1000, height: 800 }, { width: 100, height: 100 }));
});

test('panning keeps the graph reachable: a small graph inside the view, a large one covering it', () => {
  const view = { width: 400, height: 300 };
  // Smaller than the view: kept inside it, wherever it is dragged.
  assert.deepEqual(clampTransform(view, { width: 100, height: 100 }, { k: 1, x: -500, y: 900 }), { k: 1, x: FIT_MARGIN, y: 300 - FIT_MARGIN - 100 });
  assert.deepEqual(clampTransform(view, { width: 100, height: 100 }, { k: 1, x: 150, y: 100 }), { k: 1, x: 150, y: 100 });
  // Larger: from its start at the margin to its end at the margin, never further.
  assert.deepEqual(clampTransform(view, { width: 1000, height: 1000 }, { k: 1, x: 50, y: -5000 }), { k: 1, x: FIT_MARGIN, y: 300 - FIT_MARGIN - 1000 });
  // No scroll bar where it fits; where it does not, the thumb says where the view is.
  const bars = scrollBars(view, { width: 100, height: 1000 }, { k: 1, x: 10, y: FIT_MARGIN });
  assert.equal(bars.x.shown, false);
  assert.deepEqual([bars.y.shown, bars.y.start], [true, 0]);
  assert.ok(Math.abs(bars.y.length - (300 * 300) / 1016) < 1e-9);
  // A very long graph keeps a thumb that can be grabbed.
  assert.equal(scrollBars(view, { width: 100, height: 100000 }, { k: 1, x: 10, y: FIT_MARGIN }).y.length, MIN_THUMB);
  // Scrolling along an axis that fits changes nothing.
  const t = { k: 1, x: 10, y: FIT_MARGIN };
  assert.equal(scrollTo(view, { width: 100, height: 1000 }, t, 'x', 50), t);
});

test('a re-layout keeps the zoom and the node the user is at where it is on screen, then keeps the graph reachable', () => {
  const view = { width: 400, height: 300 };
  const t = { k: 1.5, x: -200, y: -300 };
  // No anchor: the view stays as it is.
  assert.deepEqual(keepAcrossLayout(view, { width: 1000, height: 1000 }, t), t);
  // ELK moved the node from (300, 400) to (340, 380): the view follows it, zoom unchanged.
  const kept = keepAcrossLayout(view, { width: 1000, height: 1000 }, t, { before: { x: 300, y: 400 }, after: { x: 340, y: 380 } });
  assert.deepEqual(kept, { k: 1.5, x: -200 - 40 * 1.5, y: -300 + 20 * 1.5 });
  assert.equal(t.x + 300 * t.k, kept.x + 340 * kept.k);
  // A graph that shrank under the view is pulled back into reach.
  assert.deepEqual(keepAcrossLayout(view, { width: 200, height: 150 }, t), { k: 1.5, x: FIT_MARGIN, y: FIT_MARGIN });
});

test('Ctrl+wheel (or a pinch) zooms about the pointer; the wheel scrolls, Shift+wheel across; + − 0 zoom and fit', () => {
  const base = { deltaX: 0, deltaY: 100, deltaMode: 0, ctrlKey: false, metaKey: false, shiftKey: false };
  assert.deepEqual(wheelAction(base, 600), { dx: -0, dy: -100 });
  assert.deepEqual(wheelAction({ ...base, deltaMode: 1, deltaY: 3 }, 600), { dx: -0, dy: -48 });
  assert.deepEqual(wheelAction({ ...base, deltaMode: 2, deltaY: 1 }, 600), { dx: -0, dy: -600 });
  assert.deepEqual(wheelAction({ ...base, shiftKey: true }, 600), { dx: -100, dy: 0 });
  assert.deepEqual(wheelAction({ ...base, deltaX: 30, deltaY: 0 }, 600), { dx: -30, dy: -0 });
  const zoomOut = wheelAction({ ...base, ctrlKey: true }, 600);
  assert.ok('zoom' in zoomOut && zoomOut.zoom < 1 && zoomOut.zoom > 0.8, JSON.stringify(zoomOut));
  const zoomIn = wheelAction({ ...base, metaKey: true, deltaY: -100 }, 600);
  assert.ok('zoom' in zoomIn && zoomIn.zoom > 1, JSON.stringify(zoomIn));
  // The point under the pointer stays put; the zoom stays within its range.
  const t = zoomAbout({ k: 1, x: 10, y: 20 }, 2, 110, 220);
  assert.deepEqual(t, { k: 2, x: -90, y: -180 });
  assert.equal(zoomAbout({ k: 1, x: 0, y: 0 }, 100, 0, 0).k, MAX_ZOOM);
  assert.equal(zoomAbout({ k: 1, x: 0, y: 0 }, 0.0001, 0, 0).k, MIN_ZOOM);
  const key = (k: string, mods: Partial<{ ctrlKey: boolean; altKey: boolean; metaKey: boolean }> = {}) => zoomKey({ key: k, ctrlKey: false, altKey: false, metaKey: false, ...mods });
  assert.deepEqual(['+', '=', '-', '_', '0', 'a', 'ArrowDown'].map((k) => key(k)), [1.25, 1.25, 0.8, 0.8, 'fit', undefined, undefined]);
  // With a modifier the key is VS Code's (Ctrl+= zooms the window).
  assert.equal(key('=', { ctrlKey: true }), undefined);
  assert.equal(key('-', { metaKey: true }), undefined);
});
