// The graph tab's view in the real VS Code (code-server): the encoder-decoder
// Transformer, wider than the panel beside the editor at a readable size,
// opens on its first input with scroll bars; dragging them reaches its
// rightmost and lowest nodes; a click on a node selects its line; the
// editor's cursor reveals its node; an edit re-lays the graph out without
// moving the view the user scrolled to.
import assert from 'node:assert/strict';
import type { Frame, Locator } from 'playwright-core';
import { e2eTest, openInspector, poll, type Workbench } from './harness';

const WASM = { '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2) };

type Box = { x: number; y: number; width: number; height: number };

const inside = (b: Box | null, v: Box | null): boolean =>
  !!b && !!v && b.x >= v.x - 1 && b.y >= v.y - 1 && b.x + b.width <= v.x + v.width + 1 && b.y + b.height <= v.y + v.height + 1;

const cursor = async (wb: Workbench) => (await wb.page.locator('[id="status.editor.selection"]').innerText().catch(() => '')).replace(/\u00a0/g, ' ');

/** The node furthest along `axis` (its right or bottom edge), as a locator by its key. */
async function furthest(frame: Frame, axis: 'x' | 'y'): Promise<Locator> {
  const key = await frame.evaluate((a) => {
    let best: { key: string | null; end: number } = { key: null, end: -Infinity };
    type El = { getBoundingClientRect(): { right: number; bottom: number }; getAttribute(n: string): string | null };
    const d = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<El> } }).document;
    for (const n of Array.from(d.querySelectorAll('svg.nn-graph .nn-node'))) {
      const r = n.getBoundingClientRect();
      const end = a === 'x' ? r.right : r.bottom;
      if (end > best.end) best = { key: n.getAttribute('data-key'), end };
    }
    return best.key;
  }, axis);
  assert.ok(key, `a node furthest along ${axis}`);
  return frame.locator(`svg.nn-graph .nn-node[data-key="${key}"]`);
}

/** Drags the thumb of the scroll bar along `axis` to the end of its track with the mouse. */
async function dragThumbToEnd(wb: Workbench, frame: Frame, axis: 'x' | 'y'): Promise<void> {
  const thumb = await frame.locator(`.nn-scrollbar-${axis} .nn-scroll-thumb`).boundingBox();
  const track = await frame.locator(`.nn-scrollbar-${axis}`).boundingBox();
  assert.ok(thumb && track);
  const from = { x: thumb.x + thumb.width / 2, y: thumb.y + thumb.height / 2 };
  await wb.page.mouse.move(from.x, from.y);
  await wb.page.mouse.down();
  await wb.page.mouse.move(axis === 'x' ? track.x + track.width + 50 : from.x, axis === 'y' ? track.y + track.height + 50 : from.y, { steps: 8 });
  await wb.page.mouse.up();
}

e2eTest('graph: the Transformer opens on its first input at a readable size, its scroll bars reach the rest, a click selects a line, and an edit keeps the view', { files: WASM, timeout: 300_000 }, async (wb) => {
  const text = wb.readFile('transformer.nnmodel');
  const frame = await openInspector(wb, 'transformer.nnmodel');
  const view = frame.locator('#nn-panel-graph svg.nn-graph');
  const root = frame.locator('.nn-graph-view');
  await wb.step('the graph drawn', () => poll('the Transformer graph and its first view', async () => (await root.getAttribute('data-fit')) !== null && (await frame.locator('svg.nn-graph .nn-node').count()) >= 10, { timeout: 90_000 }));
  // Beside the editor the graph is too wide to read whole: a readable part from its first input, and a scroll bar across.
  assert.equal(await root.getAttribute('data-fit'), 'part');
  const zoom = Number(await root.getAttribute('data-zoom'));
  assert.ok(zoom * 12 >= 11 - 1e-6, `node labels of ${(zoom * 12).toFixed(1)} px`);
  const input = frame.locator('svg.nn-graph .nn-node[data-kind="input"]', { hasText: 'input source' });
  assert.ok(inside(await input.boundingBox(), await view.boundingBox()), `the first input in the first view: ${JSON.stringify(await input.boundingBox())} in ${JSON.stringify(await view.boundingBox())}`);
  assert.equal(await frame.locator('.nn-scrollbar-x').isVisible(), true, 'a horizontal scroll bar says there is more to the right');
  const right = await furthest(frame, 'x');
  assert.equal(inside(await right.boundingBox(), await view.boundingBox()), false, 'the rightmost node is not in the first view');

  // The scroll bars reach everything: the rightmost node, then the lowest one.
  await wb.step('scrolled right', () => dragThumbToEnd(wb, frame, 'x'));
  await poll('the rightmost node in view', async () => inside(await right.boundingBox(), await view.boundingBox()), { seen: async () => `${JSON.stringify(await right.boundingBox())} in ${JSON.stringify(await view.boundingBox())}` });
  if (await frame.locator('.nn-scrollbar-y').isVisible()) {
    const low = await furthest(frame, 'y');
    await wb.step('scrolled down', () => dragThumbToEnd(wb, frame, 'y'));
    await poll('the lowest node in view', async () => inside(await low.boundingBox(), await view.boundingBox()), { seen: async () => `${JSON.stringify(await low.boundingBox())} in ${JSON.stringify(await view.boundingBox())}` });
  }
  assert.equal(Number(await root.getAttribute('data-zoom')), zoom, 'scrolling does not zoom');

  // A click on a node in view selects its line in the editor.
  const decoder = frame.locator('svg.nn-graph .nn-node', { hasText: 'decoder_layer × 6' });
  await wb.step('decoder scrolled into view', () => poll('the decoder in view', async () => inside(await decoder.boundingBox(), await view.boundingBox())));
  const line = Number(await decoder.getAttribute('data-line'));
  await decoder.click();
  await wb.step('decoder selected', () => poll(`the cursor on line ${line}`, async () => (await cursor(wb)).includes(`Ln ${line},`), { seen: () => cursor(wb) }));

  // The cursor on the decoder's dropout reveals its node; typing there re-lays the graph out and the view stays.
  const lines = text.split('\n');
  const outLine = lines.findIndex((l) => l.startsWith('  output target -> emb')) + 1;
  const col = lines[outLine - 1].indexOf('dropout(0.1)') + 1;
  await wb.page.locator('.tabs-container .tab[data-resource-name="transformer.nnmodel"]').first().click();
  await wb.goTo(outLine, col + 'dropout(0.1'.length);
  const dropout = frame.locator('svg.nn-graph .nn-node.nn-current', { hasText: 'dropout(0.1)' });
  await wb.step('dropout highlighted', () => poll('the dropout node highlighted and in view', async () => (await dropout.count()) === 1 && inside(await dropout.boundingBox(), await view.boundingBox())));
  const before = { box: await dropout.boundingBox(), zoom: await root.getAttribute('data-zoom'), drawn: Number(await root.getAttribute('data-drawn')) };
  await wb.type('5');
  const edited = frame.locator('svg.nn-graph .nn-node.nn-current', { hasText: 'dropout(0.15)' });
  await wb.step('re-laid out', () => poll('the edited graph drawn', async () => Number(await root.getAttribute('data-drawn')) > before.drawn && (await edited.count()) === 1, { timeout: 60_000 }));
  const after = await edited.boundingBox();
  assert.equal(await root.getAttribute('data-zoom'), before.zoom, 'the zoom is kept');
  assert.ok(after && before.box && Math.abs(after.x - before.box.x) <= 2 && Math.abs(after.y - before.box.y) <= 2, `the edited node stays where it was: ${JSON.stringify(before.box)} → ${JSON.stringify(after)}`);
  assert.equal(inside(await input.boundingBox(), await view.boundingBox()), false, 'the view did not jump back to the first input');
});

e2eTest('graph: a model opened after another one in the same panel is fitted to its own drawing, also when its tabs resize the view first', { files: WASM, timeout: 300_000 }, async (wb) => {
  const frame = await openInspector(wb, 'lenet5.nnmodel');
  const root = frame.locator('.nn-graph-view');
  const viewport = frame.locator('.nn-viewport');
  await poll('the LeNet5 graph', async () => (await root.getAttribute('data-fit')) !== null && (await frame.locator('svg.nn-graph .nn-node').count()) >= 13, { timeout: 90_000 });
  // The DCGAN offers a Samples tab: the tab strip grows before the new graph is laid out (the view was fitted then,
  // to LeNet5's size, and the Generator opened enlarged and cut off).
  await wb.openFile('dcgan.nnmodel');
  await wb.step('the Generator drawn', () => poll('the Generator graph', async () => (await frame.locator('svg.nn-graph .nn-node', { hasText: 'conv2d_transpose' }).count()) > 0, { timeout: 90_000 }));
  await new Promise((r) => setTimeout(r, 1000));
  const first = await viewport.getAttribute('transform');
  await frame.locator('.nn-graph-view vscode-button[title^="Fit"]').click();
  await poll('Fit applied', async () => (await root.getAttribute('data-fit')) !== null);
  assert.equal(await viewport.getAttribute('transform'), first, 'the first view is what Fit shows');
  const input = frame.locator('svg.nn-graph .nn-node[data-kind="input"]').first();
  const [b, v] = await Promise.all([input.boundingBox(), frame.locator('svg.nn-graph').boundingBox()]);
  assert.ok(inside(b, v), `the input in view: ${JSON.stringify(b)} in ${JSON.stringify(v)}`);
});
