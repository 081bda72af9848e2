// The inspector page (dist/webview.js) in headless Chromium, outside VS Code
// (served by test/fixtures/inspector-server.ts with the HTML and CSP the
// extension uses and a stand-in for `acquireVsCodeApi`); the test posts host
// messages and reads what the page posted. Checks backends, the graph, the summary and
// that the tensor count stays flat over 50 re-renders.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { analyze } from '../../extension/core/analysis/analyze';
import type { HostToWebview, ModelMessage, WebviewToHost } from '../../extension/core/protocol';
import { modelMessage } from '../../extension/vscode/inspector/messages';
import { dataPayload } from '../../extension/core/runtime/trainTransfer';
import { serveInspector } from '../fixtures/inspector-server';

const repo = process.env.NNMODEL_E2E_REPO ?? process.cwd();
const results = join(process.env.NNMODEL_E2E_RESULTS ?? join(repo, 'test-results/e2e'), 'inspector-page');
const WAIT = 60_000;

const LENET = `model LeNet5 {
  input image: [32, 32, 1]
  output image -> conv2d(6, 5) -> tanh -> avgpool(2)
               -> conv2d(16, 5) -> tanh -> avgpool(2)
               -> flatten -> dense(120) -> tanh -> dense(84) -> tanh
               -> dense(10) -> softmax
}
`;

/** A residual block: x splits to the dense layer and the add, which merges them. */
const RESIDUAL = `model Res {
  input x: [16, 8]
  output x + x -> dense(8)
}
`;

const GPT = `block gpt_block(dim, heads, hidden = 4 * dim, p = 0.1) {
  input x
  x = x + x -> layernorm -> attention(heads, causal = true) -> dropout(p)
  output x + x -> layernorm -> dense(hidden) -> gelu -> dense(dim) -> dropout(p)
}
model TinyGPT {
  input tokens: int[seq]
  wte = embedding(64, 32)
  h = tokens -> wte -> positional(learned, maxlen = 64) -> dropout(0.1)
  output h -> gpt_block(32, 4) * 3 -> layernorm -> unembed(wte)
}
`;

const URI = 'file:///ws/model.nnmodel';

/** A few of the theme variables VS Code defines in a webview (Dark Modern), so screenshots look as in the editor. */
const THEME = `:root {
  --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px; --vscode-editor-font-family: monospace;
  --vscode-foreground: #cccccc; --vscode-descriptionForeground: #9d9d9d; --vscode-editor-background: #1f1f1f;
  --vscode-editorWidget-background: #202020; --vscode-editorWidget-border: #454545; --vscode-focusBorder: #0078d4;
  --vscode-editor-selectionBackground: #264f78; --vscode-editorLineNumber-foreground: #6e7681;
  --vscode-textLink-foreground: #4daafc; --vscode-panel-border: #2b2b2b; --vscode-errorForeground: #f85149;
  --vscode-editorError-foreground: #f14c4c; --vscode-editorWarning-foreground: #cca700; --vscode-editorInfo-foreground: #3794ff;
  --vscode-charts-foreground: #cccccc; --vscode-charts-blue: #3794ff; --vscode-charts-red: #f14c4c; --vscode-charts-green: #89d185;
  --vscode-charts-yellow: #cca700; --vscode-charts-orange: #d18616; --vscode-charts-purple: #b180d7;
  --vscode-textBlockQuote-background: #2b2b2b; --vscode-button-background: #0078d4; --vscode-button-foreground: #ffffff;
  --vscode-button-secondaryBackground: #313131; --vscode-button-secondaryForeground: #cccccc;
  --vscode-keybindingTable-rowsBackground: rgba(204, 204, 204, 0.04); --vscode-editorGroup-border: rgba(255, 255, 255, 0.09);
  --vscode-tab-activeForeground: #ffffff; --vscode-tab-inactiveForeground: #9d9d9d; --vscode-panelTitle-activeBorder: #0078d4;
  --vscode-panelTitle-activeForeground: #cccccc; --vscode-panelTitle-inactiveForeground: #9d9d9d;
}`;

function message(text: string, version: number): ModelMessage {
  const a = analyze(text, { uri: URI });
  return modelMessage(a, a.models[0], URI, version);
}

let server: Server;
let base = '';
let browser: Browser;

before(async () => {
  if (!existsSync(join(repo, 'dist/webview.js'))) throw new Error('dist/webview.js is missing: run the build first');
  mkdirSync(results, { recursive: true });
  ({ server, base } = await serveInspector({ root: repo, css: THEME }));
  browser = await chromium.launch({
    executablePath: process.env.NNMODEL_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function poll<T>(what: string, probe: () => Promise<T | undefined | null | false>, seen?: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + WAIT;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${seen ? `; seen: ${await seen()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Polls until `probe` answers while a batch runs: fails only when its line `progress`
 * (layer n of m, example k of 8) has not moved for WAIT ms, not after a fixed total
 * (8 examples through ResNet-18 take from 25 s to minutes on a loaded 2-core machine).
 */
async function pollWhileRunning<T>(what: string, probe: () => Promise<T | undefined | null | false>, progress: Locator, seen: () => Promise<string>): Promise<T> {
  let at = '';
  let moved = Date.now();
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && v !== null && v !== false) return v;
    const now = await progress.innerText({ timeout: 1000 }).catch(() => '');
    if (now !== at) [at, moved] = [now, Date.now()];
    if (Date.now() - moved > WAIT) throw new Error(`timed out waiting for ${what}: no progress for ${WAIT} ms (last: '${at}'); seen: ${await seen()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function openPage(backend: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    // Resource failures are reported below with their URL.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(`${base}/inspector?backend=${backend}`);
  await poll('the ready handshake', async () => (await posted(page)).some((m) => m.type === 'ready'));
  return { page, errors };
}

async function posted(page: Page): Promise<WebviewToHost[]> {
  return page.evaluate(() => (globalThis as unknown as { __posted: WebviewToHost[] }).__posted);
}

async function send(page: Page, msg: HostToWebview): Promise<void> {
  await page.evaluate((m) => (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(m, '*'), msg as unknown as Record<string, unknown>);
}

/** The last status the page posted for `version`. */
async function statusFor(page: Page, version: number): Promise<Extract<WebviewToHost, { type: 'status' }>> {
  return poll(
    `a status message for version ${version}`,
    async () => {
      const all = await posted(page);
      return all.filter((m): m is Extract<WebviewToHost, { type: 'status' }> => m.type === 'status' && m.version === version).pop();
    },
    async () =>
      `${JSON.stringify((await posted(page)).slice(-3))}; runtime line: ${await page.locator('.nn-runtime').innerText().catch(() => '?')}; message: ${await page.locator('#nn-message').innerText().catch(() => '?')}`,
  );
}

for (const [setting, expected] of [
  ['webgl', 'webgl'],
  ['wasm', 'wasm'],
  ['cpu', 'cpu'],
  // No GPU here: WebGL is SwiftShader, so auto takes WASM.
  ['auto', 'wasm'],
] as const) {
  test(`backend setting '${setting}' runs LeNet5 on ${expected} and shows it`, { timeout: 120_000 }, async () => {
    const { page, errors } = await openPage(setting);
    try {
      await send(page, { type: 'settings', backend: setting });
      await send(page, message(LENET, 1));
      const status = await statusFor(page, 1);
      assert.equal(status.backend, expected, status.reason);
      assert.ok(status.forwardMs !== undefined && status.forwardMs > 0);
      // The runtime line is short ("WASM · 4.4 ms"); why this backend, the renderer and the tensor counts are its details and tooltip.
      const line = await page.locator('#nn-backend').innerText();
      assert.match(line, new RegExp(`^${expected}$`, 'i'));
      const why = (await page.locator('#nn-backend-reason').textContent()) ?? '';
      assert.match(why, new RegExp(`^Why ${expected}: `, 'i'));
      if (setting === 'auto') assert.match(why, /software/i);
      assert.match(await page.locator('#nn-forward').innerText(), /^[\d.]+ ms$/);
      assert.match((await page.locator('#nn-forward-detail').textContent()) ?? '', /^Last forward pass: [\d.]+ ms/);
      assert.equal(await page.locator('#nn-runtime-details').getAttribute('open'), null, 'the details start closed');
      const tip = (await page.locator('.nn-runtime-summary').getAttribute('title')) ?? '';
      assert.ok(tip.includes(why) && /\d+ tensors? · [\d.]+ MiB/.test(tip), tip);
      // One line high, as short as it reads.
      const runtimeHeight = await page.locator('.nn-runtime').evaluate((e) => (e as unknown as { offsetHeight: number }).offsetHeight);
      assert.ok(runtimeHeight <= 24, `the runtime line is ${runtimeHeight} px high`);
      await page.screenshot({ path: join(results, `backend-${setting}.png`) });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
}

test('the graph has a box per layer, shapes on the edges only at merges and splits, and a click posts reveal', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    const msg = message(LENET, 1);
    await send(page, msg);
    const layers = page.locator('svg.nn-graph .nn-node[data-kind="layer"]');
    await poll('13 layer boxes', async () => (await layers.count()) === 13, async () => String(await layers.count()));
    assert.equal(await page.locator('svg.nn-graph .nn-node[data-kind="input"]').count(), 1);
    // A straight chain: every box prints the shape its edge carries, so the edges are bare.
    const labels = await page.locator('svg.nn-graph .nn-edge-label').allTextContents();
    assert.deepEqual(labels, []);
    assert.equal(await page.locator('svg.nn-graph .nn-edge').count(), 13);
    // ELK ran in the layout worker (dist/layoutWorker.js from a Blob URL under the page's CSP), not on the page's thread.
    const view = page.locator('.nn-graph-view');
    assert.equal(await view.getAttribute('data-layout'), 'worker', `${await page.locator('.nn-toolbar-status').getAttribute('title')}`);
    assert.match((await view.getAttribute('data-layout-ms')) ?? '', /^\d+$/);
    const conv = layers.filter({ hasText: 'conv2d(16, 5)' });
    assert.match((await conv.textContent()) ?? '', /\[10, 10, 16\][\s\S]*2,416 params/);
    await conv.click();
    const reveal = await poll('a reveal message', async () => (await posted(page)).find((m) => m.type === 'reveal'));
    assert.equal(reveal.type === 'reveal' && reveal.range.start.line, 3);
    // The cursor in the source highlights the node it is in.
    const dense = LENET.indexOf('dense(84)');
    await send(page, { type: 'cursor', uri: URI, version: 1, offset: dense + 2, range: { start: { line: 4, character: 0, offset: dense }, end: { line: 4, character: 0, offset: dense } } });
    await poll('dense(84) highlighted', async () => ((await page.locator('.nn-node.nn-current').textContent().catch(() => '')) ?? '').includes('dense(84)'));
    await page.screenshot({ path: join(results, 'graph-lenet.png') });
    // A residual: x splits to dense(8) and the add, which merges them; its three edges say their shape, in the boxes' detail text (12 px, the theme's description colour).
    await send(page, message(RESIDUAL, 2));
    const edgeLabels = page.locator('svg.nn-graph .nn-edge-label');
    await poll('the merge labelled', async () => (await edgeLabels.count()) > 0, async () => String(await edgeLabels.count()));
    assert.deepEqual(await edgeLabels.allTextContents(), ['[16, 8]', '[16, 8]', '[16, 8]']);
    const look = await edgeLabels.first().evaluate((e) => {
      const g = globalThis as unknown as { getComputedStyle(e: unknown): { fontSize: string; fill: string; fontFamily: string } };
      const detail = (e as unknown as { ownerDocument: { querySelector(s: string): unknown } }).ownerDocument.querySelector('svg.nn-graph .nn-detail');
      const [l, d] = [g.getComputedStyle(e), g.getComputedStyle(detail)];
      return { size: l.fontSize, same: l.fill === d.fill && l.fontFamily === d.fontFamily };
    });
    assert.deepEqual(look, { size: '12px', same: true });
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('repeated blocks are one box with their count and open on click; the summary sorts', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage('wasm');
  try {
    await send(page, { type: 'settings', backend: 'wasm' });
    await send(page, message(GPT, 1));
    const group = page.locator('svg.nn-graph .nn-node[data-kind="group"]');
    await poll('the collapsed block', async () => (await group.count()) === 1);
    assert.match((await group.textContent()) ?? '', /gpt_block × 3/);
    const layersBefore = await page.locator('svg.nn-graph .nn-node[data-kind="layer"]').count();
    await group.click();
    await poll('the block body', async () => (await page.locator('svg.nn-graph .nn-node[data-kind="layer"]').count()) > layersBefore);
    assert.ok(await page.locator('svg.nn-graph .nn-node[data-kind="layer"]', { hasText: 'attention' }).count());
    await page.screenshot({ path: join(results, 'graph-gpt-expanded.png') });
    const status = await statusFor(page, 1);
    assert.equal(status.backend, 'wasm');

    await page.locator('vscode-tab-header[data-tab="summary"]').click();
    const rows = page.locator('.nn-summary-table tbody tr');
    await poll('summary rows', async () => (await rows.count()) > 5);
    await page.locator('.nn-summary-table th[data-column="params"]').click();
    const first = await rows.first().innerText();
    // Sorted by parameters, largest first: the repeated block totals lead.
    assert.match(first, /gpt_block × 3/);
    assert.match(await page.locator('.nn-summary-totals').innerText(), /Total parameters/);
    await page.screenshot({ path: join(results, 'summary-gpt.png') });
    // Readable in a roomy panel, at the default panel width (half of a 1280 px window) and narrower: no
    // cell cut, and every text cell carries its full text as a tooltip (a long layer call is shown
    // shortened, its full text the tooltip's first line). Text and numbers keep their line (so do the
    // totals' names); where the panel is narrower than the table, the table scrolls sideways under its
    // sticky layer column, a shadow at the right edge saying more columns are there.
    for (const width of [800, 640, 420, 325]) {
      await page.setViewportSize({ width, height: 800 });
      // The right edge's shadow is there exactly when columns are hidden past it (marked once the resize is seen).
      await poll(`the right edge's shadow at ${width} px iff the table is wider than the panel`, () =>
        page.locator('.nn-summary-view').evaluate((el) => {
          const view = el as unknown as { querySelector(s: string): { scrollWidth: number; clientWidth: number; classList: { contains(c: string): boolean } } };
          const scroller = view.querySelector('.nn-summary-scroll');
          return view.querySelector('.nn-summary-frame').classList.contains('nn-hidden-right') === scroller.scrollWidth > scroller.clientWidth + 1;
        }),
      );
      const seen = await page.locator('.nn-summary-view').evaluate((el) => {
        // The part of the page's elements the check reads (the tests compile without the DOM library).
        interface Cell {
          textContent: string | null;
          title: string;
          scrollWidth: number;
          clientWidth: number;
          scrollLeft: number;
          classList: { contains(c: string): boolean };
          getBoundingClientRect(): { left: number; right: number };
        }
        interface View {
          querySelector(s: string): Cell;
          querySelectorAll(s: string): Iterable<Cell>;
        }
        const doc = (globalThis as unknown as { document: { createRange(): { selectNodeContents(n: Cell): void; getClientRects(): Iterable<{ top: number }> } } }).document;
        const view = el as unknown as View;
        const scroller = view.querySelector('.nn-summary-scroll');
        const table = view.querySelector('table');
        const cut = [...view.querySelectorAll('th, td')].filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent);
        const untitled = [...view.querySelectorAll('td.nn-col-label, td.nn-col-shape')]
          .filter((c) => {
            const shown = c.textContent ?? '';
            const full = c.title.split('\n')[0];
            const cut = shown.indexOf('…');
            return shown !== '' && full !== shown && !(cut > 0 && !full.includes('…') && full.startsWith(shown.slice(0, cut)));
          })
          .map((c) => c.textContent);
        // A number on more than one line has line boxes at more than one height.
        const lines = (c: Cell) => {
          const range = doc.createRange();
          range.selectNodeContents(c);
          return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
        };
        const wrappedNumbers = [...view.querySelectorAll('td.nn-num:not(.nn-formula)')].filter((c) => lines(c) > 1).map((c) => c.textContent);
        const wrappedTexts = [...view.querySelectorAll('td.nn-text, .nn-total-key')].filter((c) => lines(c) > 1).map((c) => c.textContent);
        // Scrolled to the far right, the layer column stays at the panel's left edge.
        const label = view.querySelector('tbody td.nn-col-label');
        const start = label.getBoundingClientRect().left;
        scroller.scrollLeft = 100_000;
        const scrolled = scroller.scrollLeft;
        const stuck = Math.abs(label.getBoundingClientRect().left - start) < 1;
        return { cut, untitled, wrappedNumbers, wrappedTexts, tableWidth: table.scrollWidth, panelWidth: scroller.clientWidth, scrolled, stuck };
      });
      await page.screenshot({ path: join(results, `summary-gpt-${width}.png`) });
      assert.deepEqual(seen.cut, [], `cells cut at ${width} px`);
      assert.deepEqual(seen.untitled, [], `layer and shape cells without their full text as a tooltip at ${width} px`);
      assert.deepEqual(seen.wrappedNumbers, [], `numbers wrapped at ${width} px`);
      assert.deepEqual(seen.wrappedTexts, [], `layer, shape or total names wrapped at ${width} px`);
      if (seen.scrolled > 0) {
        assert.ok(seen.stuck, `the layer column stays in view when the table is scrolled sideways at ${width} px`);
        await poll('the shadow of the layer column', async () => /\bnn-hidden-left\b/.test((await page.locator('.nn-summary-frame').getAttribute('class')) ?? ''));
        await page.screenshot({ path: join(results, `summary-gpt-${width}-right.png`) });
        await page.locator('.nn-summary-scroll').evaluate((el) => {
          (el as unknown as { scrollLeft: number }).scrollLeft = 0;
        });
      }
      // A roomy panel shows the whole table; narrower, every cell keeps its line and the table scrolls sideways (nothing is cut, see above).
      if (width >= 800) assert.ok(seen.tableWidth <= seen.panelWidth + 1, `the table (${seen.tableWidth} px) fits the panel (${seen.panelWidth} px) at ${width} px`);
    }
    // The headers sort from the keyboard too, and keep the focus when the table is drawn again.
    await page.locator('.nn-summary-table th[data-column="line"]').focus();
    await page.keyboard.press('Enter');
    await poll('sorted by line', async () => (await page.locator('.nn-summary-table th[data-column="line"]').getAttribute('aria-sort')) === 'ascending');
    assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { dataset: { column?: string } } | null } }).document.activeElement?.dataset.column), 'line');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

/** What a narrow panel must keep: every tab header inside the page, the page not scrolled sideways, the active panel's bottom on screen. */
async function layoutFacts(page: Page): Promise<{ outside: string[]; scrolled: string[]; wider: number; panelBottom: number; height: number; titleLeft: number }> {
  // A string: the test project type-checks without the DOM library.
  return page.evaluate(`(() => {
    const w = window.innerWidth;
    const outside = [...document.querySelectorAll('vscode-tab-header')]
      .filter((h) => h.isConnected)
      .map((h) => [h.dataset.tab, h.getBoundingClientRect()])
      .filter(([, r]) => r.left < -0.5 || r.right > w + 0.5)
      .map(([t, r]) => t + ' at ' + Math.round(r.left) + '…' + Math.round(r.right));
    const scrolled = [document.documentElement, document.body, document.getElementById('app'), document.getElementById('nn-tabs')]
      .filter((e) => e.scrollLeft !== 0)
      .map((e) => (e.id || e.tagName) + ' scrollLeft ' + e.scrollLeft);
    const panel = [...document.querySelectorAll('#nn-tabs > vscode-tab-panel')].find((p) => !p.hidden && p.getBoundingClientRect().height > 0);
    return {
      outside,
      scrolled,
      wider: document.scrollingElement.scrollWidth - w,
      panelBottom: panel ? panel.getBoundingClientRect().bottom : -1,
      height: window.innerHeight,
      titleLeft: document.getElementById('nn-title').getBoundingClientRect().left,
    };
  })()`);
}

test('at 640, 420 and 325 px every tab stays reachable and none scrolls the page sideways', { timeout: 180_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    await send(page, message(LENET, 1));
    await statusFor(page, 1);
    const tabs = ['graph', 'summary', 'featureMaps', 'kernels', 'attention', 'training'];
    for (const width of [640, 420, 325]) {
      await page.setViewportSize({ width, height: 700 });
      for (const tab of tabs) {
        // Reachable where it is: checked before the click (which would scroll it into view).
        const before = await layoutFacts(page);
        assert.deepEqual(before.outside, [], `tab headers outside the page at ${width} px`);
        await page.locator(`vscode-tab-header[data-tab="${tab}"]`).click();
        await poll(`the ${tab} tab selected`, async () => (await page.locator(`vscode-tab-header[data-tab="${tab}"]`).getAttribute('active')) !== null);
        // Laid out: the panel shown, and the same facts two animation frames apart (a tab's view renders after the click, later on a loaded machine).
        let after = await layoutFacts(page);
        await poll(
          `the ${tab} panel laid out at ${width} px`,
          async () => {
            await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
            const now = await layoutFacts(page);
            const settled = now.panelBottom > 0 && JSON.stringify(now) === JSON.stringify(after);
            after = now;
            return settled;
          },
          async () => JSON.stringify(after),
        );
        if (width === 325) await page.screenshot({ path: join(results, `narrow-325-${tab}.png`) });
        assert.deepEqual(after.scrolled, [], `scrolled sideways after picking ${tab} at ${width} px`);
        assert.ok(after.wider <= 0, `the page is ${after.wider} px wider than the panel with ${tab} at ${width} px`);
        assert.ok(after.titleLeft >= 0, `the title starts at ${after.titleLeft} px with ${tab} at ${width} px`);
        assert.deepEqual(after.outside, [], `tab headers outside the page after picking ${tab} at ${width} px`);
        assert.ok(after.panelBottom > 0 && after.panelBottom <= after.height + 1, `the ${tab} panel ends at ${after.panelBottom} px of ${after.height}`);
      }
    }
    // The stray separator: nothing in the runtime line starts with "·".
    assert.doesNotMatch((await page.locator('#nn-forward').textContent()) ?? '', /^\s*·/);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('Fit shows LeNet5 readably in a wide, short panel: as wide as it may grow, labels of 11 px or more, the rest to pan', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await page.setViewportSize({ width: 1400, height: 520 });
    await send(page, { type: 'settings', backend: 'cpu' });
    await send(page, message(LENET, 1));
    const layers = page.locator('svg.nn-graph .nn-node[data-kind="layer"]');
    await poll('13 layer boxes', async () => (await layers.count()) === 13);
    await page.locator('.nn-graph-view vscode-button[title^="Fit"]').click();
    const view = page.locator('.nn-graph-view');
    await poll('a fit', async () => (await view.getAttribute('data-fit')) !== null);
    const transform = (await page.locator('.nn-viewport').getAttribute('transform')) ?? '';
    const k = Number(/scale\(([\d.e-]+)\)/.exec(transform)?.[1]);
    // The node labels' font size on screen (12 px in the graph's own units).
    const labelPx = await page.locator('svg.nn-graph .nn-title').first().evaluate((e, scale) => parseFloat((globalThis as unknown as { getComputedStyle(e: unknown): { fontSize: string } }).getComputedStyle(e).fontSize) * (scale as number), k);
    await page.screenshot({ path: join(results, 'graph-fit-wide.png') });
    assert.ok(labelPx >= 11, `node labels at ${labelPx.toFixed(1)} px after Fit (zoom ${k})`);
    // A narrow chain is fitted to the width, but not enlarged past Fit's cap.
    assert.equal(k, 1.2);
    assert.equal(await view.getAttribute('data-fit'), 'part', 'LeNet5 does not fit 520 px readably: a part is shown, to pan');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

/** The graph's first view: its zoom, the drawing's box and the view's box (page pixels), and whether the fit is whole. */
async function graphView(page: Page): Promise<{ k: number; fit: string | null; graph: DOMRectLike; view: DOMRectLike }> {
  return page.evaluate(() => {
    const d = (globalThis as unknown as { document: { querySelector(s: string): { getBoundingClientRect(): DOMRectLike; getAttribute(n: string): string | null } } }).document;
    const box = (r: DOMRectLike) => ({ left: r.left, top: r.top, right: r.right, bottom: r.bottom });
    const k = Number(/scale\(([\d.e-]+)\)/.exec(d.querySelector('.nn-viewport').getAttribute('transform') ?? '')?.[1]);
    return { k, fit: d.querySelector('.nn-graph-view').getAttribute('data-fit'), graph: box(d.querySelector('.nn-viewport').getBoundingClientRect()), view: box(d.querySelector('svg.nn-graph').getBoundingClientRect()) };
  });
}
type DOMRectLike = { left: number; top: number; right: number; bottom: number };

/** Opens examples/resnet18.nnmodel in a page of `height` px and waits for the graph's first view. */
async function resnetFirstView(height: number): Promise<{ page: Page; errors: string[]; first: Awaited<ReturnType<typeof graphView>> }> {
  const { page, errors } = await openPage('wasm');
  await page.setViewportSize({ width: 900, height });
  await send(page, { type: 'settings', backend: 'wasm' });
  await send(page, message(readFileSync(join(repo, 'examples/resnet18.nnmodel'), 'utf8'), 1));
  await poll('the graph of ResNet18 and its first view', async () => (await page.locator('.nn-graph-view').getAttribute('data-fit')) !== null);
  return { page, errors, first: await graphView(page) };
}

test('the graph of ResNet-18 opens fitted: its first view is what Fit shows, whole when a panel is tall enough to read it whole', { timeout: 180_000 }, async () => {
  // A panel like the one VS Code opens beside the editor: the 14 boxes do not fit readably, so the first view is Fit's readable part from the top.
  const { page, errors, first } = await resnetFirstView(800);
  let graph: { width: number; height: number };
  try {
    await page.screenshot({ path: join(results, 'graph-resnet18-first.png') });
    await page.locator('.nn-graph-view vscode-button[title^="Fit"]').click();
    const fitted = await graphView(page);
    assert.equal(first.k, fitted.k, `the first view is at zoom ${first.k}, Fit at ${fitted.k}`);
    assert.deepEqual(first.graph, fitted.graph, 'the first view is the fitted one: pressing Fit moves nothing');
    assert.equal(first.fit, 'part');
    assert.ok(first.k * 12 >= 11, `labels of ${first.k * 12} px`);
    assert.ok(first.graph.top >= first.view.top && first.graph.left >= first.view.left && first.graph.right <= first.view.right, `the top of the graph in view: ${JSON.stringify(first)}`);
    // The drawing's size at zoom 1, for the panel below.
    graph = { width: (first.graph.right - first.graph.left) / first.k, height: (first.graph.bottom - first.graph.top) / first.k };
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
  // A panel where the whole graph needs zoom 0.95 (readable, labels of 11.4 px): the first view shows all of it, inside the view.
  const viewTop = first.view.top;
  const tall = await resnetFirstView(Math.ceil(viewTop + graph.height * 0.95 + 40));
  try {
    await tall.page.screenshot({ path: join(results, 'graph-resnet18-first-tall.png') });
    const { graph: g, view: v } = tall.first;
    assert.equal(tall.first.fit, 'whole', JSON.stringify(tall.first));
    assert.ok(g.top >= v.top && g.bottom <= v.bottom && g.left >= v.left && g.right <= v.right, `the whole graph ${JSON.stringify(g)} inside the view ${JSON.stringify(v)}`);
    assert.ok(tall.first.k >= 11 / 12 && tall.first.k < 1, `zoom ${tall.first.k}`);
    assert.deepEqual(tall.errors, []);
  } finally {
    await tall.page.close();
  }
});

test('ResNet-18 on the CPU backend: batchnorm\'s Training vs inference opens at once with the batch\'s cost and a button, runs it when pressed, a layer at a time (progress, Stop, a newer model stops it)', { timeout: 480_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    await send(page, message(readFileSync(join(repo, 'examples/resnet18.nnmodel'), 'utf8'), 1));
    await statusFor(page, 1);
    await page.locator('vscode-tab-header[data-tab="featureMaps"]').click();
    const panel = page.locator('#nn-panel-featureMaps');
    const status = panel.locator('.nn-toolbar-status');
    await poll('the feature maps of ResNet18', async () => /· \d+ layers? · \d+ ms/.test(await status.innerText()), () => status.innerText());
    await panel.locator('vscode-checkbox.nn-fmx-every').click();
    const sections = panel.locator('section.nn-fm-layer[data-op="batchnorm"]');
    await poll('the 20 batchnorm sections', async () => (await sections.count()) === 20 && /· \d+ layers? · \d+ ms/.test(await status.innerText()), () => status.innerText());
    const passMs = Number(/· (\d+) ms/.exec(await status.innerText())?.[1]);
    // The last batchnorm: 8 examples through 63 layers, about 8 times the maps' pass (seconds to minutes here). Opening it paints the cost, not the batch.
    const last = sections.last().locator('details.nn-modes');
    await last.locator('summary.nn-modes-summary').scrollIntoViewIfNeeded();
    const t0 = Date.now();
    await last.locator('summary.nn-modes-summary').click();
    const cost = last.locator('.nn-modes-cost');
    await poll('the cost line', () => cost.isVisible());
    const opened = Date.now() - t0;
    const said = await cost.innerText();
    await last.screenshot({ path: join(results, 'modes-resnet18-cost.png') });
    assert.ok(opened < Math.max(2000, passMs / 2), `the panel painted its cost in ${opened} ms (the maps' pass took ${passMs} ms)`);
    assert.match(said, /^Training mode needs the statistics of a batch: 8 examples through the \d+ layers before this one: ≈ 1[34]\.\dG MACs, 8× the pass that drew the maps, about \d/, said);
    assert.ok(Number(await cost.getAttribute('data-estimated-ms')) > 1000, said);
    assert.equal(await last.locator('vscode-button.nn-modes-run').count(), 1);
    assert.equal(await last.locator('.nn-modes-check').count(), 0, 'no batch ran');
    // The rule and the weights are there at once: only the batch waits.
    assert.equal(await last.locator('.nn-modes-weights').getAttribute('data-kind'), 'initial');
    // The first (the stem convolution, about half a pass): which way its panel goes depends on this machine's speed,
    // 0.52 × the maps' pass against a budget of 1 s (the pass takes about 2 s on the CPU backend here, less on a faster
    // machine): the offer and a button, or the batch at once. Either way the panel says which and why, and it computes it exactly.
    const first = sections.first().locator('details.nn-modes');
    await first.locator('summary.nn-modes-summary').click();
    const firstBody = first.locator('div.nn-modes-body');
    const automatic = await poll('the first batchnorm\'s panel to open (the offer or the batch at once)', async () => (await firstBody.getAttribute('data-automatic')) ?? undefined, () => first.innerText());
    const firstEstimate = Number(await firstBody.getAttribute('data-estimated-ms'));
    assert.equal(Number(await firstBody.getAttribute('data-macs')), 8 * 118_013_952, '8 examples through the stem convolution (7×7, 3 → 64 channels, 112 × 112)');
    assert.ok(Number(await firstBody.getAttribute('data-passes')) < 1, `${await firstBody.getAttribute('data-passes')} passes`);
    console.log(`[modes] the first batchnorm: estimated ${Math.round(firstEstimate)} ms, ${automatic === 'true' ? 'run at once' : 'offered'}`);
    if (automatic === 'false') {
      assert.ok(firstEstimate > 1000, `offered at an estimate of ${firstEstimate} ms`);
      await poll('the first batchnorm\'s button', () => first.locator('vscode-button.nn-modes-run').isVisible(), () => first.innerText());
      assert.match(await first.locator('.nn-modes-cost').innerText(), /8 examples through the layer before this one: ≈ 944\.1M MACs, 0\.\d+× the pass/);
      await first.locator('vscode-button.nn-modes-run').click();
    } else {
      assert.ok(firstEstimate <= 1000, `run at once at an estimate of ${firstEstimate} ms`);
      assert.equal(await first.locator('vscode-button.nn-modes-run').count(), 0, 'no button when the batch runs at once');
    }
    const check = first.locator('.nn-modes-check');
    await poll('the first batchnorm\'s comparison', () => check.isVisible(), () => first.innerText());
    assert.equal(await check.getAttribute('data-agrees'), 'true', await check.innerText());
    assert.equal(await first.locator('.nn-modes-cost').count(), 0, 'the cost line gives way to the comparison');
    assert.equal(await first.locator('.nn-modes-batch').getAttribute('data-count'), '8');
    // The last one's batch runs a layer at a time: Stop, pressed as soon as it starts, ends it and the offer comes back.
    const progress = last.locator('.nn-modes-progress');
    const running = last.locator('.nn-modes-running');
    const doneOf = async () => Number((await progress.getAttribute('data-done', { timeout: 1000 })) ?? 0);
    let t1 = Date.now();
    await last.locator('vscode-button.nn-modes-run').click();
    await last.locator('vscode-button.nn-modes-stop').click();
    await poll('the offer after Stop', async () => (await running.count()) === 0 && (await last.locator('.nn-modes-cost').getAttribute('data-stopped')) === 'true', () => last.innerText());
    console.log(`[modes] Run then Stop: the offer back after ${Date.now() - t1} ms`);
    assert.match(await last.locator('.nn-modes-cost').innerText(), /^Stopped\. Training mode needs the statistics of a batch: 8 examples through the 63 layers/);
    assert.equal(await last.locator('vscode-button.nn-modes-run').count(), 1, 'the button is back');
    assert.equal(await last.locator('.nn-modes-check').count(), 0, 'nothing computed');
    // Run again: it says how far it is; another tab shows while it runs; it ends in the comparison.
    t1 = Date.now();
    await last.locator('vscode-button.nn-modes-run').click();
    await poll('the last batchnorm\'s first layer', async () => (await doneOf()) >= 1, () => last.innerText());
    assert.equal(await progress.getAttribute('data-total'), '63');
    assert.match(await progress.innerText(), /^Running 8 examples through the layers before this one: layer \d+ of 63(, example [1-8] of 8)?…$/);
    await last.screenshot({ path: join(results, 'modes-resnet18-running.png') });
    await page.locator('vscode-tab-header[data-tab="graph"]').click();
    const during = await poll('the graph tab while the batch runs', () =>
      page.evaluate(() => {
        const d = (globalThis as unknown as { document: { querySelector(s: string): { checkVisibility?(): boolean; getAttribute(n: string): string | null } | null; querySelectorAll(s: string): ArrayLike<{ querySelector(s: string): { getAttribute(n: string): string | null } | null }> } }).document;
        const graph = d.querySelector('#nn-panel-graph');
        if (!graph?.checkVisibility?.()) return undefined;
        const sections = d.querySelectorAll('#nn-panel-featureMaps section.nn-fm-layer[data-op="batchnorm"]');
        const line = sections[sections.length - 1].querySelector('.nn-modes-progress');
        return { running: line !== null, done: line?.getAttribute('data-done') };
      }),
    );
    console.log(`[modes] the graph tab shown ${Date.now() - t1} ms after Run, the batch at layer ${during.done} of 63`);
    assert.ok(during.running, 'the graph tab showed while the batch ran');
    await page.locator('vscode-tab-header[data-tab="featureMaps"]').click();
    const lastCheck = last.locator('.nn-modes-check');
    await pollWhileRunning('the last batchnorm\'s comparison', () => lastCheck.isVisible(), progress, () => last.innerText());
    console.log(`[modes] the last batchnorm's batch: ${Date.now() - t1} ms from Run to the comparison`);
    assert.equal(await lastCheck.getAttribute('data-agrees'), 'true', await lastCheck.innerText());
    assert.equal(await running.count(), 0);
    // A newer model (the user typed) stops a run too: its progress stays where it was (the one before the last: 60 layers).
    const again = sections.nth(18).locator('details.nn-modes');
    await again.locator('summary.nn-modes-summary').scrollIntoViewIfNeeded();
    await again.locator('summary.nn-modes-summary').click();
    await again.locator('vscode-button.nn-modes-run').click();
    const againProgress = again.locator('.nn-modes-progress');
    await poll('a batch running again', async () => Number((await againProgress.getAttribute('data-done', { timeout: 1000 })) ?? 0) >= 1, () => again.innerText());
    const line = await againProgress.elementHandle();
    await send(page, message(readFileSync(join(repo, 'examples/resnet18.nnmodel'), 'utf8'), 2));
    await statusFor(page, 2);
    const stoppedAt = await line!.getAttribute('data-done');
    await new Promise((r) => setTimeout(r, 6000));
    const total = Number(await line!.getAttribute('data-total'));
    assert.equal(await line!.getAttribute('data-done'), stoppedAt, `the superseded batch stopped at layer ${stoppedAt} of ${total}`);
    assert.ok(Number(stoppedAt) < total);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

const FLAT = `model Flat {
  input tokens: int[seq]
  h = tokens -> embedding(64, 32)
  h = h + h -> attention(4)
  output h -> dense(64)
}
`;

test('attention of untrained weights that is nearly uniform says why each head is one flat colour', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    await send(page, message(FLAT, 1));
    await statusFor(page, 1);
    await page.locator('vscode-tab-header[data-tab="attention"]').click();
    const note = page.locator('.nn-attn-layer .nn-attn-untrained');
    await poll('the untrained note', async () => (await note.count()) === 1);
    const text = await note.innerText();
    assert.match(text, /^Untrained: attention is nearly uniform in every head \(each of the (\d+) tokens gets ≈1\/\1 ≈ [\d.]+\); train the model or load weights to see patterns\.$/);
    // With the colour scale per head, the note says the colours stretch noise.
    await page.locator('vscode-checkbox.nn-attn-scale').click();
    await poll('the per-head scale note', async () => /stretches the small differences/.test(await note.innerText().catch(() => '')));
    await page.screenshot({ path: join(results, 'attention-untrained.png') });
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

const FLAT_DEEP = `model FlatDeep {
  input tokens: int[seq]
  h = tokens -> embedding(64, 32)
  h = h + h -> attention(4)
  h = h + h -> attention(4)
  h = h + h -> attention(4)
  output h -> dense(64)
}
`;

test('attention where every head of every layer is flat: one note and one row of layer 1 until Show all; the colour legend and its hint', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    // A panel as narrow as VS Code's side editor by default: three thumbnails across.
    await page.setViewportSize({ width: 520, height: 900 });
    await send(page, { type: 'settings', backend: 'cpu' });
    await send(page, message(FLAT_DEEP, 1));
    await statusFor(page, 1);
    await page.locator('vscode-tab-header[data-tab="attention"]').click();
    const bar = page.locator('#nn-panel-attention .nn-attn-uniform');
    const sections = page.locator('#nn-panel-attention section.nn-attn-layer');
    const maps = page.locator('#nn-panel-attention canvas.nn-heatmap');
    await poll('the all-flat note', async () => (await bar.getAttribute('data-collapsed').catch(() => null)) === 'true');
    assert.match(
      await bar.locator('.nn-attn-uniform-text').innerText(),
      /^Untrained: attention is nearly uniform in every one of the 12 heads in all 3 layers \(each of the (\d+) tokens gets ≈1\/\1 ≈ [\d.]+\); train the model or load weights to see patterns\. One row of layer 1 is drawn below: the other heads look the same\.$/,
    );
    // One row of layer 1, not 12 identical squares; its header says how many of its heads are drawn; no note per layer.
    assert.equal(await sections.count(), 1);
    const drawn = await maps.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-layer')}/${e.getAttribute('data-head')}`));
    // As many heads as fit across the grid (8 px apart): the page is made narrow enough for fewer than 4.
    const across = await page.locator('#nn-panel-attention .nn-attn-layers').evaluate((g, thumb) => Math.floor(((g as unknown as { clientWidth: number }).clientWidth + 8) / (thumb + 8)), await maps.first().evaluate((e) => (e as unknown as { width: number }).width));
    assert.ok(across >= 1 && across < 4, `${across} heads fit across`);
    assert.deepEqual(drawn, Array.from({ length: across }, (_, i) => `0/${i}`), 'one row of layer 1');
    assert.match(await sections.first().innerText(), new RegExp(`4 heads · \\d+ × \\d+ · ${across} drawn`));
    assert.equal(await page.locator('#nn-panel-attention .nn-attn-untrained').count(), 0);
    // The legend: the scale 0 … 1, no causal swatch (no mask here), and the hint that a head enlarges.
    assert.equal(await page.locator('.nn-attn-legend-top').innerText(), '1');
    assert.equal(await page.locator('.nn-attn-legend-masked').isVisible(), false);
    assert.equal(await page.locator('.nn-attn-hint').innerText(), 'Click a head to enlarge it with its tokens; its on/off switch runs the model without that head.');
    // Clicking a drawn head still enlarges it.
    await maps.first().click();
    await poll('the zoomed head', async () => (await page.locator('canvas.nn-heatmap-zoom').count()) === 1);
    // Show all: every layer and head, and the note no longer says one row is drawn.
    await bar.locator('.nn-attn-show-all').click();
    await poll('every layer drawn', async () => (await sections.count()) === 3 && (await maps.count()) === 12);
    assert.equal(await bar.getAttribute('data-collapsed'), 'false');
    assert.doesNotMatch(await bar.locator('.nn-attn-uniform-text').innerText(), /One row/);
    assert.equal((await bar.locator('.nn-attn-show-all').innerText()).trim(), 'Show one row');
    // The colour option re-runs the model: the grid stays whole, and the legend's top becomes each head's largest weight.
    await page.locator('vscode-checkbox.nn-attn-scale').click();
    await poll('the stretched scale', async () => (await page.locator('.nn-attn-legend-top').innerText()) === 'each head’s largest');
    assert.equal(await sections.count(), 3);
    await page.screenshot({ path: join(results, 'attention-all-flat.png') });
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

const TINY_TRAIN = `model Tiny {
  input image: [8, 8, 1]
  output image -> flatten -> dense(10) -> softmax
}
train Tiny {
  data: digits(samples = 64)
  loss: crossentropy
  optimizer: adam(lr = 1e-3)
  epochs: 1
  batch: 16
  validation: 0.25
  metrics: [accuracy]
}
`;

test('the training legends name only series with values, without "--" placeholders', { timeout: 180_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    const a = analyze(TINY_TRAIN, { uri: URI });
    const msg = modelMessage(a, a.models[0], URI, 1);
    await send(page, msg);
    await statusFor(page, 1);
    await page.locator('vscode-tab-header[data-tab="training"]').click();
    const { data, ...config } = a.trains[0].config;
    await send(page, { type: 'train', uri: URI, version: 1, run: 1, model: msg.model, config, seed: 1, data: dataPayload(data!, undefined) } as HostToWebview);
    // The page waits for the host to save each epoch's checkpoint: answer as the host does.
    const ck = await poll('a checkpoint to save', async () =>
      page.evaluate(() => (globalThis as unknown as { __posted: { type: string; run?: number; epoch?: number }[] }).__posted.filter((m) => m.type === 'checkpoint').map((m) => ({ run: m.run!, epoch: m.epoch! }))[0]),
    );
    await send(page, { type: 'checkpointSaved', uri: URI, run: ck.run, epoch: ck.epoch, dir: '.nnmodel/model/Tiny' });
    await poll('the run to end', async () => (await page.locator('.nn-training-status').getAttribute('data-status').catch(() => null)) === 'completed');
    // The legend's visible text and the labels of its visible rows (a string: the test project type-checks without the DOM library).
    const legend = async (box: string) =>
      page.evaluate(`(() => {
        const l = document.querySelector('${box} .u-legend');
        return { text: l.innerText, labels: [...l.querySelectorAll('.u-series')].filter((r) => r.offsetParent !== null).map((r) => r.querySelector('.u-label').textContent) };
      })()`) as Promise<{ text: string; labels: string[] }>;
    const loss = await legend('.nn-training-loss');
    const metrics = await legend('.nn-training-metrics');
    await page.screenshot({ path: join(results, 'training-legend.png') });
    assert.deepEqual(loss.labels, ['batch loss', 'loss', 'val_loss']);
    assert.deepEqual(metrics.labels, ['accuracy', 'val_accuracy']);
    for (const l of [loss, metrics]) assert.doesNotMatch(l.text, /--/, `legend text: ${l.text}`);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

// QA: the Training tab of another model showed the last run of the previous one, its status line naming it.
test('the Training tab of another model says it has no run yet, not the other model\'s run; back on the trained model its run shows again', { timeout: 180_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    const text = `${TINY_TRAIN}model Other {\n  input image: [8, 8, 1]\n  output image -> flatten -> dense(4) -> softmax\n}\n`;
    const a = analyze(text, { uri: URI });
    const tiny = modelMessage(a, a.models.find((m) => m.name === 'Tiny')!, URI, 1);
    await send(page, tiny);
    await statusFor(page, 1);
    await page.locator('vscode-tab-header[data-tab="training"]').click();
    const { data, ...config } = a.trains[0].config;
    await send(page, { type: 'train', uri: URI, version: 1, run: 1, model: tiny.model, config, seed: 1, data: dataPayload(data!, undefined) } as HostToWebview);
    const ck = await poll('a checkpoint to save', async () =>
      page.evaluate(() => (globalThis as unknown as { __posted: { type: string; run?: number; epoch?: number }[] }).__posted.filter((m) => m.type === 'checkpoint').map((m) => ({ run: m.run!, epoch: m.epoch! }))[0]),
    );
    await send(page, { type: 'checkpointSaved', uri: URI, run: ck.run, epoch: ck.epoch, dir: '.nnmodel/model/Tiny' });
    const status = page.locator('.nn-training-status');
    await poll('the run to end', async () => (await status.getAttribute('data-status').catch(() => null)) === 'completed');
    // The inspector switches to Other (its selector, the host's answer).
    await send(page, modelMessage(a, a.models.find((m) => m.name === 'Other')!, URI, 2));
    await statusFor(page, 2);
    await poll('the Training tab of Other', async () => (await page.locator('.nn-training').getAttribute('data-shows')) === 'empty', async () => status.innerText());
    assert.equal(
      await status.innerText(),
      'No run of Other yet. Run “nnmodel: Train Model” (or the Train lens above a model) to see loss and accuracy here. The last run in this inspector trained Tiny: its curves show when the inspector shows Tiny.',
    );
    assert.equal(await status.getAttribute('data-status'), null);
    assert.equal(await page.locator('.nn-training-table tr').count(), 0, 'no epochs of Tiny');
    // Back on Tiny: its run (or the weights it wrote) again.
    await send(page, modelMessage(a, a.models.find((m) => m.name === 'Tiny')!, URI, 3));
    await statusFor(page, 3);
    await poll('the Training tab of Tiny', async () => /^Tiny: /.test(await status.innerText()), async () => status.innerText());
    assert.equal(await page.locator('.nn-training-table tr').count(), 2, 'a header and the epoch');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

// QA: the text typed into the attention view for one model was still in the box when the inspector showed another.
test('the attention text typed for one model stays with it: another model starts from its default, and the first gets its text back', { timeout: 180_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    const text = `${GPT}model OtherGPT {\n  input tokens: int[seq]\n  wte = embedding(64, 32)\n  output tokens -> wte -> positional(learned, maxlen = 64) -> gpt_block(32, 2) -> layernorm -> unembed(wte)\n}\n`;
    const a = analyze(text, { uri: URI });
    const of = (name: string, version: number) => modelMessage(a, a.models.find((m) => m.name === name)!, URI, version);
    await send(page, of('TinyGPT', 1));
    await statusFor(page, 1);
    await page.locator('vscode-tab-header[data-tab="attention"]').click();
    const box = page.locator('#nn-panel-attention input.nn-attn-text');
    const initial = await poll('the text box', async () => (await box.count()) === 1 && (await box.inputValue()));
    assert.equal(initial, 'The cat sat down by the kitchen door.');
    await box.fill('Little lamp, hello there');
    await send(page, of('OtherGPT', 2));
    await statusFor(page, 2);
    await poll('OtherGPT\'s own (default) text', async () => (await page.locator('#nn-panel-attention .nn-attn-layer').count()) === 1 && (await box.inputValue()) === initial, async () => box.inputValue());
    await send(page, of('TinyGPT', 3));
    await statusFor(page, 3);
    await poll('TinyGPT\'s text again', async () => (await page.locator('#nn-panel-attention .nn-attn-layer').count()) === 3 && (await box.inputValue()) === 'Little lamp, hello there', async () => box.inputValue());
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

for (const setting of ['wasm', 'webgl'] as const) {
  test(`tensor count stays flat over 50 re-renders (${setting})`, { timeout: 300_000 }, async () => {
    const { page, errors } = await openPage(setting);
    try {
      await send(page, { type: 'settings', backend: setting });
      await send(page, message(LENET, 1));
      const first = await statusFor(page, 1);
      // Alternate two models so that every render really rebuilds.
      for (let v = 2; v <= 51; v++) {
        await send(page, message(v % 2 ? LENET : GPT, v));
        await statusFor(page, v);
      }
      await send(page, message(LENET, 52));
      const last = await statusFor(page, 52);
      assert.equal(last.numTensors, first.numTensors, `tensors after the first render ${first.numTensors}, after 51 more ${last.numTensors}`);
      const debug = await page.locator('#nn-debug').getAttribute('data-tensors');
      assert.equal(Number(debug), first.numTensors);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  });
}

// ------------------------------------------------------------ layout at narrow widths (QA: headers under the
// sticky input image, kernels without a colour legend, the epochs' table wider than the panel)

/** Waits a frame twice in the page (sticky positions and observers settle). */
const settle = (page: Page) => page.evaluate(`new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))`);

test('feature maps: scrolled, every layer with maps in view below the sticky input image shows its header there (420 and 640 px)', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    await send(page, message(LENET, 1));
    await statusFor(page, 1);
    await page.locator('vscode-tab-header[data-tab="featureMaps"]').click();
    const status = page.locator('#nn-panel-featureMaps .nn-toolbar-status');
    await poll('the feature maps of LeNet5', async () => /· 4 layers/.test(await status.innerText()), () => status.innerText());
    for (const width of [420, 640]) {
      await page.setViewportSize({ width, height: 560 });
      await settle(page);
      // The panel scrolled down step by step; at each step, every layer with some of its maps below the input image
      // (a string: the test project type-checks without the DOM library).
      const seen = (await page.evaluate(`(async () => {
        const panel = document.getElementById('nn-panel-featureMaps');
        const preview = panel.querySelector('.nn-fm-inputbox');
        const out = [];
        for (let y = 0; y <= panel.scrollHeight - panel.clientHeight + 20; y += 20) {
          panel.scrollTop = y;
          await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
          const image = preview.getBoundingClientRect();
          const bottom = panel.getBoundingClientRect().bottom;
          for (const section of panel.querySelectorAll('section.nn-fm-layer')) {
            const s = section.getBoundingClientRect();
            const h = section.querySelector('.nn-fm-header').getBoundingClientRect();
            if (s.bottom > image.bottom + h.height && s.top + h.height < bottom) {
              out.push({ path: section.dataset.path, scrolled: panel.scrollTop, imageBottom: image.bottom, headerTop: h.top, headerBottom: h.bottom, panelBottom: bottom });
            }
          }
        }
        return out;
      })()`)) as { path: string; scrolled: number; imageBottom: number; headerTop: number; headerBottom: number; panelBottom: number }[];
      // For the screenshot: the second layer's first row of maps half under the input image, its header stuck below it.
      await page.evaluate(`(() => {
        const panel = document.getElementById('nn-panel-featureMaps');
        const section = panel.querySelectorAll('section.nn-fm-layer')[1];
        panel.scrollTop += section.getBoundingClientRect().top - panel.querySelector('.nn-fm-inputbox').getBoundingClientRect().bottom + 40;
      })()`);
      await settle(page);
      await page.screenshot({ path: join(results, `feature-maps-sticky-${width}.png`) });
      await page.evaluate(`document.getElementById('nn-panel-featureMaps').scrollTop = 0`);
      assert.equal(new Set(seen.map((s) => s.path)).size, 4, 'every layer seen below the input image');
      assert.ok(seen.some((s) => s.scrolled > 200), `the panel scrolls at ${width} px: ${JSON.stringify(seen)}`);
      for (const s of seen) {
        assert.ok(s.headerTop >= s.imageBottom - 0.5, `scrolled ${s.scrolled} px, the header of ${s.path} at ${s.headerTop.toFixed(1)} px is under the input image (to ${s.imageBottom.toFixed(1)} px) at ${width} px`);
        assert.ok(s.headerBottom <= s.panelBottom + 0.5, `the header of ${s.path} ends at ${s.headerBottom.toFixed(1)} px, below the panel (${s.panelBottom.toFixed(1)} px) at ${width} px`);
      }
    }
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('feature maps: each layer says its size and colour scale, one scale per layer on request; scrolled, the input image is a thumbnail', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    await send(page, message(LENET, 1));
    await statusFor(page, 1);
    await page.setViewportSize({ width: 420, height: 560 });
    await page.locator('vscode-tab-header[data-tab="featureMaps"]').click();
    const status = page.locator('#nn-panel-featureMaps .nn-toolbar-status');
    await poll('the feature maps of LeNet5', async () => /· 4 layers/.test(await status.innerText()), () => status.innerText());
    await settle(page);
    const legends = page.locator('#nn-panel-featureMaps section.nn-fm-layer .nn-fm-legend');
    assert.equal(await legends.count(), 4, 'a legend per layer');
    const first = legends.first();
    assert.equal(await first.locator('.nn-fm-size').innerText(), '6 maps of 28 × 28 (H × W), channels 0–5 in reading order');
    assert.match(await first.locator('.nn-fm-legend-text').innerText(), /^each map scaled to its own range: darkest = its min, yellow = its max · layer \S+\u00a0…\u00a0\S+$/);
    assert.match((await first.getAttribute('aria-label')) ?? '', /^6 maps of 28 × 28 \(H × W\).*Colour scale: each map scaled to its own range/);
    await page.screenshot({ path: join(results, 'feature-maps-legend-420.png') });
    // One scale per layer: the maps are drawn again over the layer's range, the legend gives its ends.
    await page.locator('#nn-panel-featureMaps vscode-checkbox.nn-fm-same-scale').click();
    await poll('the legend of one scale per layer', async () => (await first.getAttribute('data-scale')) === 'layer', async () => (await first.getAttribute('data-scale')) ?? '');
    assert.match(await first.locator('.nn-fm-legend-text').innerText(), /^one scale for the layer: darkest = \S+, yellow = \S+/);
    await page.locator('#nn-panel-featureMaps vscode-checkbox.nn-fm-same-scale').click();
    await poll('the legend per map again', async () => (await first.getAttribute('data-scale')) === 'map');
    // Scrolled, the sticky input image shrinks to a thumbnail (it took some 40 % of the panel); at the top, full size again.
    const box = () =>
      page.evaluate(`(() => {
        const panel = document.getElementById('nn-panel-featureMaps');
        const image = panel.querySelector('canvas.nn-fm-input').getBoundingClientRect();
        return { box: panel.querySelector('.nn-fm-inputbox').getBoundingClientRect().height, panel: panel.clientHeight, image: Math.max(image.width, image.height), compact: panel.querySelector('.nn-fm-inputbox').dataset.compact };
      })()`) as Promise<{ box: number; panel: number; image: number; compact?: string }>;
    const top = await box();
    await page.evaluate(`document.getElementById('nn-panel-featureMaps').scrollTop = 400`);
    const small = await poll('the thumbnail', async () => {
      const b = await box();
      return b.compact === 'true' ? b : undefined;
    });
    await settle(page);
    const thumb = await box();
    await page.screenshot({ path: join(results, 'feature-maps-thumbnail-420.png') });
    assert.ok(thumb.box <= 0.25 * thumb.panel, `the sticky image takes ${thumb.box} of ${thumb.panel} px scrolled (${JSON.stringify({ top, small })})`);
    assert.ok(thumb.image >= 64, `the thumbnail is still ${thumb.image} px: enough to compare with a map`);
    assert.ok(top.image > thumb.image, `full size at the top: ${top.image} px`);
    await page.evaluate(`document.getElementById('nn-panel-featureMaps').scrollTop = 0`);
    await poll('full size at the top again', async () => (await box()).compact === 'false');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

/** Two convolutions: few layers, so that at some panel heights the maps are only a little taller than the panel. */
const TWO_CONV = `model TwoConv {
  input image: [28, 28, 1]
  output image -> conv2d(4, 3) -> relu -> conv2d(4, 3) -> relu -> flatten -> dense(10)
}
`;

test('feature maps: content a little taller than the panel, scrolled by small steps, the input image shrinks once and does not flip back', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    await send(page, message(TWO_CONV, 1));
    await statusFor(page, 1);
    await page.setViewportSize({ width: 420, height: 1400 });
    await page.locator('vscode-tab-header[data-tab="featureMaps"]').click();
    const status = page.locator('#nn-panel-featureMaps .nn-toolbar-status');
    await poll('the feature maps of TwoConv', async () => /· 2 layers/.test(await status.innerText()), () => status.innerText());
    await settle(page);
    type Facts = { scrollTop: number; overflow: number; toolbar: number; compact?: string; image: number };
    const facts = () =>
      page.evaluate(`(() => {
        const panel = document.getElementById('nn-panel-featureMaps');
        const image = panel.querySelector('canvas.nn-fm-input').getBoundingClientRect();
        const toolbar = panel.querySelector('.nn-toolbar').getBoundingClientRect().bottom - panel.getBoundingClientRect().top + panel.scrollTop;
        return { scrollTop: panel.scrollTop, overflow: panel.scrollHeight - panel.clientHeight, toolbar, compact: panel.querySelector('.nn-fm-inputbox').dataset.compact, image: Math.max(image.width, image.height) };
      })()`) as Promise<Facts>;
    const tall = await facts();
    assert.equal(tall.overflow, 0, `the maps fit a tall panel: ${JSON.stringify(tall)}`);
    // The panel made just shorter than its content: the toolbar can scroll away, but the thumbnail's saving is more than the rest.
    const sizes = () =>
      page.evaluate(`(() => {
        const panel = document.getElementById('nn-panel-featureMaps');
        const cs = getComputedStyle(panel);
        return { client: panel.clientHeight, content: panel.querySelector('.nn-fm-view').getBoundingClientRect().height + parseFloat(cs.paddingTop) + parseFloat(cs.paddingBottom) };
      })()`) as Promise<{ client: number; content: number }>;
    const s0 = await sizes();
    await page.setViewportSize({ width: 420, height: Math.round(1400 - (s0.client - (s0.content - tall.toolbar - 30))) });
    await settle(page);
    const start = await facts();
    assert.ok(start.overflow > start.toolbar && start.compact !== 'true', `the toolbar can scroll away: ${JSON.stringify(start)}`);
    // Small steps down to the end, the image size sampled over frames at each: full size, then the thumbnail, never back.
    const seen: Facts[] = [];
    for (let i = 0; i < 40; i++) {
      await page.evaluate(`document.getElementById('nn-panel-featureMaps').scrollTop += 8`);
      for (let f = 0; f < 4; f++) {
        await settle(page);
        seen.push(await facts());
      }
    }
    const flips = seen.filter((s, i) => i > 0 && s.compact !== seen[i - 1].compact);
    assert.ok(seen.some((s) => s.compact === 'true'), `the thumbnail once the toolbar scrolled away: ${JSON.stringify(seen.slice(-3))}`);
    assert.equal(flips.length, 1, `the image changed size once, not back and forth: ${JSON.stringify(seen.map((s) => `${s.scrollTop}:${s.image}`))}`);
    // Back at the top: full size again.
    await page.evaluate(`document.getElementById('nn-panel-featureMaps').scrollTop = 0`);
    await poll('full size at the top again', async () => (await facts()).compact === 'false');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('graph: in a narrow panel (300 px) the toolbar\'s buttons take one row, each keeping its name and tooltip', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    await send(page, message(LENET, 1));
    await statusFor(page, 1);
    await page.setViewportSize({ width: 300, height: 700 });
    await settle(page);
    const buttons = page.locator('.nn-graph-view .nn-toolbar vscode-button');
    const tops = await buttons.evaluateAll((bs) => bs.map((b) => Math.round(b.getBoundingClientRect().top)));
    assert.equal(tops.length, 7, 'seven buttons');
    assert.equal(new Set(tops).size, 1, `the buttons on one row: ${tops}`);
    for (const name of ['Fit', '+', '−', 'Expand all', 'Collapse all', 'Export SVG', 'Export PNG']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 1, `a button named ${name}`);
    }
    assert.match((await page.getByRole('button', { name: 'Export PNG', exact: true }).getAttribute('title')) ?? '', /^Export PNG: Save the graph as a PNG image/);
    await page.screenshot({ path: join(results, 'graph-toolbar-300.png') });
    // Wide, the buttons say their names again.
    await page.setViewportSize({ width: 900, height: 700 });
    await settle(page);
    assert.equal(await page.locator('.nn-graph-view .nn-tool-long').first().isVisible(), true, 'full labels in a wide panel');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('feature maps and kernels of a block applied twice and repeated: each copy’s header says which it is', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    await send(page, message(`block unit(f) {
  input x
  output x -> conv2d(f, 3, padding = same) -> relu
}
model Copies {
  input image: [16, 16, 1]
  output image -> unit(4) -> unit(4) * 2 -> flatten -> dense(2)
}
`, 1));
    await statusFor(page, 1);
    await page.locator('vscode-tab-header[data-tab="featureMaps"]').click();
    const details = page.locator('#nn-panel-featureMaps section.nn-fm-layer[data-op="conv2d"] .nn-fm-detail');
    await poll('three conv2d sections', async () => (await details.count()) === 3);
    assert.deepEqual((await details.allInnerTexts()).map((t) => t.replace(/^\[16, 16, 4\] · /, '')), [
      'line 3 · in unit at line 7, 1st call on that line',
      'line 3 · in unit at line 7, 2nd call on that line, copy 1 of 2',
      'line 3 · in unit at line 7, 2nd call on that line, copy 2 of 2',
    ]);
    await page.locator('vscode-tab-header[data-tab="kernels"]').click();
    const kernels = page.locator('#nn-panel-kernels section.nn-kernel-layer');
    await poll('three kernel sections', async () => (await kernels.count()) === 3);
    const texts = await kernels.evaluateAll((els) => els.map((e) => (e.firstElementChild as unknown as { textContent: string }).textContent));
    assert.equal(new Set(texts).size, 3, texts.join('\n'));
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('kernels: an RGB first layer is drawn as colour pictures and says why, its legend grey per colour channel', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    await send(page, message(`model Rgb {
  input image: [16, 16, 3]
  output image -> conv2d(4, 3) -> relu -> conv2d(4, 3) -> flatten -> dense(2)
}
`, 1));
    await statusFor(page, 1);
    await page.locator('vscode-tab-header[data-tab="kernels"]').click();
    const sections = page.locator('#nn-panel-kernels section.nn-kernel-layer');
    await poll('the two convolutions', async () => (await sections.count()) === 2);
    assert.deepEqual(await sections.evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { kind: string } }).dataset.kind)), ['image', 'grid']);
    assert.match(await sections.first().locator('.nn-kernel-rgb-note').innerText(), /drawn as a colour picture: a pixel’s colour is its three weights there \(mid-grey = 0\)/);
    assert.equal(await sections.first().locator('.nn-kernel-legend-key').innerText(), 'darker < 0 · mid-grey = 0 · lighter > 0');
    assert.equal(await sections.nth(1).locator('.nn-kernel-rgb-note').count(), 0);
    assert.equal(await sections.nth(1).locator('.nn-kernel-legend-key').innerText(), 'blue < 0 · background = 0 · red > 0');
    await page.screenshot({ path: join(results, 'kernels-rgb.png') });
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('an image whose header declares 30 000 × 30 000 pixels is refused by name, never decoded', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    await send(page, message(LENET, 1));
    await statusFor(page, 1);
    // A 45-byte PNG: signature, an IHDR declaring 30 000 × 30 000 RGB pixels (3.6 GB decoded), IEND.
    await page.evaluate(`(() => {
      const b = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0x75, 0x30, 0, 0, 0x75, 0x30, 8, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
      postMessage({ type: 'image', name: 'bomb.png', mime: 'image/png', bytes: b }, '*');
    })()`);
    const shown = page.locator('#nn-message');
    const text = await poll('the refusal', async () => {
      const t = await shown.innerText();
      return t.startsWith('bomb.png') ? t : undefined;
    }, () => shown.innerText());
    assert.equal(text, 'bomb.png: is 30000×30000 pixels (900 megapixels), more than the limit of 50 megapixels; resize the image (the inspector shrinks it to the model’s input anyway).');
    assert.deepEqual(errors.filter((e) => !/bomb\.png/.test(e)), []);
  } finally {
    await page.close();
  }
});

test('kernels: each layer has a colour legend, its ramp from -max|w| through 0 to +max|w|, the scale its filters are drawn on', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    await send(page, message(LENET, 1));
    await statusFor(page, 1);
    await page.setViewportSize({ width: 420, height: 700 });
    await page.locator('vscode-tab-header[data-tab="kernels"]').click();
    const sections = page.locator('#nn-panel-kernels section.nn-kernel-layer');
    await poll('the two convolutions', async () => (await sections.count()) === 2);
    await settle(page);
    await page.screenshot({ path: join(results, 'kernels-legend-420.png') });
    const seen = (await page.evaluate(`[...document.querySelectorAll('#nn-panel-kernels section.nn-kernel-layer')].map((s) => {
      const legend = s.querySelector('.nn-kernel-legend');
      const ramp = legend && legend.querySelector('canvas');
      const rgb = (x) => {
        const c = ramp.getContext('2d');
        return [...c.getImageData(x, Math.floor(ramp.height / 2), 1, 1).data].slice(0, 3);
      };
      const r = legend && legend.getBoundingClientRect();
      return {
        kind: s.dataset.kind,
        detail: s.firstElementChild.textContent,
        labels: legend ? [...legend.querySelectorAll('.nn-kernel-legend-value')].map((e) => e.textContent) : [],
        key: legend ? legend.querySelector('.nn-kernel-legend-key').textContent : '',
        colours: ramp ? [rgb(0), rgb(Math.floor(ramp.width / 2)), rgb(ramp.width - 1)] : [],
        shown: !!r && r.width > 0 && r.height > 0,
        right: r ? r.right : 0,
        panelRight: document.getElementById('nn-panel-kernels').getBoundingClientRect().right,
      };
    })`)) as { kind: string; detail: string; labels: string[]; key: string; colours: number[][]; shown: boolean; right: number; panelRight: number }[];
    assert.deepEqual(seen.map((s) => s.kind), ['image', 'grid']);
    // Outside VS Code the page has no theme colours: its background is transparent, white behind it.
    const bodyColour = ((await page.evaluate(`getComputedStyle(document.body).backgroundColor`)) as string).match(/[\d.]+/g)!.map(Number);
    const background = bodyColour.length === 4 && bodyColour[3] === 0 ? [255, 255, 255] : bodyColour.slice(0, 3);
    for (const s of seen) {
      // The header says the weights' range: the scale is symmetric, up to the larger of |min| and |max|.
      const [, lo, hi] = /weights (\S+) … (\S+)$/.exec(s.detail) ?? [];
      assert.ok(lo && hi, s.detail);
      const num = (t: string) => Number(t.replace(/\u2212/g, '-'));
      assert.ok(!/-/.test(lo + hi), `a true minus in the range: ${s.detail}`);
      const top = (Math.abs(num(lo)) >= Math.abs(num(hi)) ? lo : hi).replace(/^\u2212/, '');
      assert.ok(s.shown, `a legend in the ${s.kind} layer`);
      assert.deepEqual(s.labels, [`\u2212${top}`, '0', top], `${s.kind} layer (${s.detail}): a true minus`);
      assert.ok(s.right <= s.panelRight + 0.5, `the ${s.kind} legend ends at ${s.right} px, past the panel (${s.panelRight} px)`);
      const [neg, zero, pos] = s.colours;
      // One scale for single-channel weights, a grey first layer's pictures as a deeper layer's grid: blue at -max,
      // the page's background at 0 (zero reads as nothing, in any theme), red at +max; said in words beside it.
      assert.ok(neg[2] > neg[0] + 60 && pos[0] > pos[2] + 60, JSON.stringify(s.colours));
      assert.ok(zero.every((v, i) => Math.abs(v - background[i]) <= 8), `0 at the background ${background}: ${JSON.stringify(s.colours)}`);
      assert.equal(s.key, 'blue < 0 · background = 0 · red > 0');
    }
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('kernels: a narrow panel wraps a layer header between its parts, never inside the call or the weights range', { timeout: 120_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    await send(page, message(LENET, 1));
    await statusFor(page, 1);
    await page.locator('vscode-tab-header[data-tab="kernels"]').click();
    const sections = page.locator('#nn-panel-kernels section.nn-kernel-layer');
    await poll('the two convolutions', async () => (await sections.count()) === 2);
    for (const width of [300, 420]) {
      await page.setViewportSize({ width, height: 700 });
      await settle(page);
      await page.screenshot({ path: join(results, `kernels-header-${width}.png`) });
      // Lines a piece of text takes: the distinct tops of its boxes (a Range over the text from where it starts).
      const seen = (await page.evaluate(`[...document.querySelectorAll('#nn-panel-kernels section.nn-kernel-layer')].map((s) => {
        const header = s.firstElementChild;
        const lines = (rects) => new Set([...rects].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
        const walker = document.createTreeWalker(header, NodeFilter.SHOW_TEXT);
        let rangeLines = 0;
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const at = n.textContent.indexOf('weights ');
          if (at < 0) continue;
          const r = document.createRange();
          r.setStart(n, at);
          r.setEnd(n, n.textContent.length);
          rangeLines = lines(r.getClientRects());
        }
        return { call: header.querySelector('a').textContent, callLines: lines(header.querySelector('a').getClientRects()), rangeLines, text: header.textContent };
      })`)) as { call: string; callLines: number; rangeLines: number; text: string }[];
      assert.deepEqual(seen.map((h) => h.call), ['conv2d(6, 5)', 'conv2d(16, 5)']);
      for (const h of seen) {
        assert.equal(h.callLines, 1, `the call ${h.call} on one line at ${width} px: ${JSON.stringify(h)}`);
        assert.equal(h.rangeLines, 1, `the weights range on one line at ${width} px: ${JSON.stringify(h)}`);
        assert.match(h.text, /weights \u2212?\d/, 'the range with a true minus');
        // Both ends in one formatting: as many decimals on each (not "−0.2352 … 0.27").
        const ends = /weights (\S+) … (\S+)/.exec(h.text);
        const decimals = (v: string) => (v.split('e')[0].split('.')[1] ?? '').length;
        assert.ok(ends && decimals(ends[1]) === decimals(ends[2]), `one formatting for both ends: ${h.text}`);
      }
    }
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

test('kernels: classic kernels of the course notes filter the picked image of examples/lenet5.nnmodel, each map with its printed 3×3 values; the learned 5×5 kernels most like them, flagged as untrained; another image picked in Feature maps redraws them', { timeout: 180_000 }, async () => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    await send(page, messageFor(readFileSync(join(repo, 'examples/lenet5.nnmodel'), 'utf8'), 'LeNet5', 1));
    await statusFor(page, 1);
    await page.locator('vscode-tab-header[data-tab="kernels"]').click();
    const figures = page.locator('#nn-panel-kernels section.nn-classic figure.nn-classic-kernel');
    await poll('the four classic kernels', async () => (await figures.count()) === 4);
    await settle(page);
    await page.locator('#nn-panel-kernels section.nn-classic').screenshot({ path: join(results, 'kernels-classic.png') });
    const read = () =>
      page.evaluate(`(() => {
        const section = document.querySelector('#nn-panel-kernels section.nn-classic');
        const match = section.querySelector('.nn-classic-match');
        return {
          image: section.dataset.image,
          about: section.querySelector('.nn-classic-about').textContent,
          kernels: [...section.querySelectorAll('figure.nn-classic-kernel')].map((f) => {
            const c = f.querySelector('canvas.nn-classic-map');
            return {
              id: f.dataset.kernel,
              name: f.querySelector('figcaption').textContent,
              factor: f.querySelector('.nn-classic-factor')?.textContent ?? '',
              values: [...f.querySelectorAll('.nn-classic-value')].map((v) => v.textContent),
              size: [c.width, c.height],
              min: Number(c.dataset.min),
              max: Number(c.dataset.max),
              pixels: [...c.getContext('2d').getImageData(0, 0, c.width, c.height).data].filter((_, i) => i % 4 === 0),
            };
          }),
          how: match.dataset.how,
          header: match.firstElementChild.textContent,
          rows: [...match.querySelectorAll('tr.nn-classic-match-row')].map((r) => ({ id: r.dataset.kernel, filter: Number(r.dataset.filter), similarity: Number(r.dataset.similarity), text: r.textContent })),
          untrained: match.querySelector('.nn-classic-untrained')?.textContent ?? '',
          chance: match.querySelector('.nn-classic-chance')?.textContent ?? '',
          same: match.querySelector('.nn-classic-same')?.textContent ?? '',
        };
      })()`) as Promise<{
        image: string;
        about: string;
        kernels: { id: string; name: string; factor: string; values: string[]; size: number[]; min: number; max: number; pixels: number[] }[];
        how: string;
        header: string;
        rows: { id: string; filter: number; similarity: number; text: string }[];
        untrained: string;
        chance: string;
        same: string;
      }>;
    const seen = await read();
    // Opened before Feature maps: the sample Feature maps starts a grey model on.
    assert.equal(seen.image, 'digit 0');
    assert.match(seen.about, /“digit 0”, the sample Feature maps starts on.*at 32×32, filtered with TensorFlow\.js conv2d, stride 1 and same padding/);
    assert.deepEqual(seen.kernels.map((k) => [k.id, k.name, k.factor, k.values.join(' ')]), [
      ['identity', 'Identity', '', '0 0 0 0 1 0 0 0 0'],
      ['blur', 'Gaussian blur', '1/16 ×', '1 2 1 2 4 2 1 2 1'],
      ['sharpen', 'Sharpen', '', '0 \u22121 0 \u22121 5 \u22121 0 \u22121 0'],
      ['edge', 'Edge detection', '', '\u22121 \u22121 \u22121 \u22121 8 \u22121 \u22121 \u22121 \u22121'],
    ]);
    const byId = new Map(seen.kernels.map((k) => [k.id, k]));
    for (const k of seen.kernels) assert.deepEqual(k.size, [32, 32], `${k.id}: the model's input size, same padding`);
    // Identity is the image (in [0, 1], a white digit on black); edge detection is signed, 0 on the flat background.
    const identity = byId.get('identity')!;
    assert.ok(identity.min >= 0 && identity.max <= 1 && identity.max > 0.5, JSON.stringify([identity.min, identity.max]));
    assert.ok(byId.get('edge')!.min < -0.5 && byId.get('edge')!.max > 0.5, 'edges both ways');
    assert.ok(byId.get('blur')!.max < identity.max + 1e-6, 'a blur never exceeds the brightest pixel');
    assert.notDeepEqual(byId.get('blur')!.pixels, identity.pixels, 'the blur changes the picture');
    // The comparison: LeNet-5 has no 3×3 conv, its first conv2d(6, 5) is compared with the kernels padded to 5×5.
    assert.equal(seen.how, 'padded');
    assert.match(seen.header, /^Closest learned kernels: conv2d\(6, 5\).*6 kernels of 5×5$/);
    assert.deepEqual(seen.rows.map((r) => r.id), ['identity', 'blur', 'sharpen', 'edge']);
    for (const r of seen.rows) {
      assert.ok(Number.isInteger(r.filter) && r.filter >= 0 && r.filter < 6, JSON.stringify(r));
      assert.ok(r.similarity >= -1 && r.similarity <= 1, JSON.stringify(r));
      assert.match(r.text, new RegExp(`filter ${r.filter} · similarity \u2212?\\d\\.\\d\\d`));
    }
    // Padded to 5×5, identity and edge detection are no longer the same centred pattern: no note says they are.
    assert.equal(seen.same, '');
    // The similarity shown is the centred cosine of the weights the hover prints and the edge detector padded to 5×5.
    const edgeRow = seen.rows[3];
    const box = (await page.locator('tr.nn-classic-match-row[data-kernel="edge"] canvas.nn-classic-learned').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const tip = page.locator('.nn-kernel-tip');
    await poll('the learned kernel\'s weights', async () => (await tip.isVisible()) && (await tip.innerText()));
    const [first, ...lines] = (await tip.innerText()).trim().split('\n');
    assert.equal(first, `filter ${edgeRow.filter} (blue −, red +)`);
    const w = lines.flatMap((l) => l.trim().split(/\s+/).map(Number));
    assert.equal(w.length, 25, 'the 5×5 weights');
    const edge5 = [0, 0, 0, 0, 0, 0, -1, -1, -1, 0, 0, -1, 8, -1, 0, 0, -1, -1, -1, 0, 0, 0, 0, 0, 0];
    const centre = (v: number[]) => v.map((x) => x - v.reduce((a, b) => a + b, 0) / v.length);
    const [a, b] = [centre(w), centre(edge5)];
    const dot = (p: number[], q: number[]) => p.reduce((s, x, i) => s + x * q[i], 0);
    const cos = dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
    assert.ok(Math.abs(cos - edgeRow.similarity) < 2e-3, `shown ${edgeRow.similarity}, from the printed weights ${cos}`);
    // The keyboard reads the learned kernel one weight at a time, and the filtered images value by value.
    await page.mouse.move(0, 0);
    await page.locator('tr.nn-classic-match-row[data-kernel="edge"] canvas.nn-classic-learned').focus();
    for (const key of ['ArrowDown', 'ArrowDown', 'ArrowDown', 'ArrowRight']) await page.keyboard.press(key);
    const classicLive = page.locator('.nn-cell-live');
    const saidWeight = `filter ${edgeRow.filter} · (2, 1) = `;
    await poll('the weight (2, 1) announced', async () => (await classicLive.allInnerTexts()).some((t) => t.startsWith(saidWeight) && Math.abs(Number(t.slice(saidWeight.length)) - w[2 * 5 + 1]) < 1e-3));
    await page.locator('canvas.nn-classic-map').first().focus();
    for (const key of ['ArrowDown', 'End']) await page.keyboard.press(key);
    await poll('the identity map\'s value (0, 31) announced', async () => (await classicLive.allInnerTexts()).some((t) => /^Identity · \(0, 31\) = \S+$/.test(t)));
    assert.match(seen.untrained, /^Untrained: these weights are the initial, random ones, not learned/);
    assert.match(seen.chance, /^By chance alone, the best of 6 random 5×5 kernels would reach about 0\.\d\d \(median\)/);

    // Another image chosen in Feature maps: the classic maps follow it.
    await page.locator('vscode-tab-header[data-tab="featureMaps"]').click();
    await poll('the feature maps picker', async () => (await page.locator('.nn-fm-sample').count()) === 1);
    await page.evaluate(`(() => { const s = document.querySelector('.nn-fm-sample'); s.value = 'digit 3'; s.dispatchEvent(new Event('change')); })()`);
    await page.locator('vscode-tab-header[data-tab="kernels"]').click();
    await poll('the classic maps of digit 3', async () => (await read()).image === 'digit 3');
    const after = await read();
    assert.match(after.about, /“digit 3”, the image Feature maps shows.*\(a grey image as it is\)/);
    assert.notDeepEqual(after.kernels[0].pixels, identity.pixels, 'the identity map is the new image');
    // A narrow panel wraps the section: nothing scrolls sideways.
    await page.setViewportSize({ width: 325, height: 700 });
    await settle(page);
    await page.locator('#nn-panel-kernels section.nn-classic').screenshot({ path: join(results, 'kernels-classic-325.png') });
    const sideways = await page.evaluate(`(() => { const p = document.getElementById('nn-panel-kernels'); const s = p.querySelector('section.nn-classic'); return [p.scrollWidth - p.clientWidth, document.documentElement.scrollWidth - document.documentElement.clientWidth, s.scrollWidth - s.clientWidth]; })()`);
    assert.deepEqual(sideways, [0, 0, 0], 'panel, page and section at 325 px');
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});

const SIN_ENC = `model SinEnc {
  input tokens: int[seq]
  output tokens -> embedding(50, 32)
                -> positional(sinusoidal, maxlen = 100) -> dense(50)
}
`;

/** A model message for the model named `name` of `text`; its imports are read from examples/. */
function messageFor(text: string, name: string, version: number): ModelMessage {
  const a = analyze(text, {
    uri: URI,
    readImport: (_from, path) => {
      const file = join(repo, 'examples', path);
      return existsSync(file) ? { uri: `file:///ws/${path}`, text: readFileSync(file, 'utf8') } : undefined;
    },
  });
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), [], name);
  const model = a.models.find((m) => m.name === name);
  assert.ok(model, `model ${name}`);
  return modelMessage(a, model, URI, version);
}

/** Hovers the cell (row, col) of a `rows` × `cols` canvas and returns the tooltip's text. */
async function hoverCell(page: Page, selector: string, row: number, col: number, rows: number, cols: number): Promise<string> {
  const box = (await page.locator(selector).boundingBox())!;
  await page.mouse.move(box.x + ((col + 0.5) / cols) * box.width, box.y + ((row + 0.5) / rows) * box.height);
  const tip = page.locator('.nn-kernel-tip');
  await poll('the tooltip', async () => (await tip.isVisible()) && (await tip.innerText()));
  return tip.innerText();
}

test('kernels: a positional layer draws its encoding (position × dimension) and the cosine similarity of positions, with legends, axes, hover values, a link to its line; learned tables of gpt_small; maxlen 1024 × 768 capped to 256 positions', { timeout: 240_000 }, async () => {
  // Sinusoidal: the computed table.
  {
    const { page, errors } = await openPage('cpu');
    try {
      await send(page, { type: 'settings', backend: 'cpu' });
      await send(page, messageFor(SIN_ENC, 'SinEnc', 1));
      await statusFor(page, 1);
      await page.setViewportSize({ width: 640, height: 760 });
      await page.locator('vscode-tab-header[data-tab="kernels"]').click();
      const section = page.locator('#nn-panel-kernels section.nn-pos-layer');
      await poll('the positional layer', async () => (await section.count()) === 1);
      await settle(page);
      await page.screenshot({ path: join(results, 'positional-sinusoidal-640.png') });
      assert.deepEqual([await section.getAttribute('data-kind'), await section.getAttribute('data-rows'), await section.getAttribute('data-maxlen')], ['sinusoidal', '100', '100']);
      assert.match(await page.locator('#nn-panel-kernels .nn-empty').innerText(), /no convolution layers; its position encoding is below/);
      assert.match(await section.locator('.nn-pos-detail').innerText(), /sinusoidal encoding .* 100 positions × 32 dimensions$/);
      const seen = (await page.evaluate(`[...document.querySelectorAll('#nn-panel-kernels figure.nn-pos-figure')].map((f) => {
        const c = f.querySelector('canvas.nn-pos-encoding, canvas.nn-pos-similarity');
        const g = c.getContext('2d');
        const px = (x, y) => [...g.getImageData(x, y, 1, 1).data].slice(0, 3);
        return {
          figure: f.dataset.figure,
          size: [c.width, c.height],
          labels: [...f.querySelectorAll('.nn-kernel-legend-value')].map((e) => e.textContent),
          x: f.querySelector('.nn-pos-axis-x').textContent,
          y: f.querySelector('.nn-pos-axis-y').textContent,
          corner: [px(0, 0), px(1, 0)],
          right: c.getBoundingClientRect().right,
          panelRight: document.getElementById('nn-panel-kernels').getBoundingClientRect().right,
        };
      })`)) as { figure: string; size: number[]; labels: string[]; x: string; y: string; corner: number[][]; right: number; panelRight: number }[];
      assert.deepEqual(seen.map((f) => [f.figure, f.size, f.labels, f.x, f.y]), [
        ['encoding', [32, 100], ['\u22121', '0', '1'], '0dimension →31', '0position →99'],
        ['similarity', [100, 100], ['\u22121', '0', '1'], '0position →99', '0position →99'],
      ]);
      // Position 0: sin 0 = 0 (the page's background: zero reads as nothing, in any theme) in dimension 0, cos 0 = 1
      // (the red end) in dimension 1; the similarity's diagonal is 1, the same red.
      const [enc, sim] = seen;
      const background = (await page.evaluate(`(() => {
        const c = document.createElement('canvas').getContext('2d');
        c.fillStyle = getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-background').trim() || getComputedStyle(document.body).backgroundColor;
        c.fillRect(0, 0, 1, 1);
        return [...c.getImageData(0, 0, 1, 1).data].slice(0, 3);
      })()`)) as number[];
      assert.ok(enc.corner[0].every((v, i) => Math.abs(v - background[i]) <= 2), `zero drawn as ${JSON.stringify(enc.corner[0])}, the background is ${JSON.stringify(background)}`);
      const [r, g, b] = enc.corner[1];
      assert.ok(r > g + 60 && r > b + 60, `one drawn as ${JSON.stringify(enc.corner[1])}, not red`);
      assert.deepEqual(sim.corner[0], enc.corner[1]);
      for (const f of seen) assert.ok(f.right <= f.panelRight + 0.5, `${f.figure} ends at ${f.right}, past the panel (${f.panelRight})`);
      // Hover: (position, dimension, value), the value the sine/cosine formula gives.
      const tipEnc = await hoverCell(page, 'canvas.nn-pos-encoding', 37, 9, 100, 32);
      const [, v] = /^position 37, dimension 9\nvalue (\S+) = cos\(37 \/ 10000\^\(8\/32\)\)$/.exec(tipEnc) ?? [];
      assert.ok(v, tipEnc);
      assert.ok(Math.abs(Number(v) - Math.cos(37 / Math.pow(10000, 8 / 32))) < 1e-3, tipEnc);
      const tipSim = await hoverCell(page, 'canvas.nn-pos-similarity', 10, 13, 100, 100);
      const [, c] = /^positions 10 and 13 \(distance 3\)\ncosine similarity (\S+)$/.exec(tipSim) ?? [];
      assert.ok(c, tipSim);
      const byHand = (2 / 32) * Array.from({ length: 16 }, (_, i) => Math.cos(3 / Math.pow(10000, (2 * i) / 32))).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(Number(c) - byHand) < 1e-3, `${tipSim} vs ${byHand}`);
      await page.screenshot({ path: join(results, 'positional-sinusoidal-hover.png') });
      // The keyboard reads the same cells: focus, arrow keys, the read-out announced as one line.
      await page.mouse.move(0, 0);
      const encoding = page.locator('canvas.nn-pos-encoding');
      await encoding.focus();
      for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowRight');
      assert.equal(await encoding.getAttribute('data-cell'), '1,1');
      const live = page.locator('.nn-cell-live').first();
      await poll('the cell (1, 1) announced', async () => /^position 1, dimension 1; value \S+ = cos\(1 \/ 10000\^\(0\/32\)\)$/.test(await live.innerText()), () => live.innerText());
      await page.keyboard.press('Escape');
      assert.equal(await encoding.getAttribute('data-cell'), null);
      // The layer's name and each heatmap's title reveal its call.
      const line = SIN_ENC.split('\n').findIndex((l) => l.includes('positional('));
      const reveals = async () => (await posted(page)).filter((m): m is Extract<WebviewToHost, { type: 'reveal' }> => m.type === 'reveal');
      for (const [i, link] of [section.locator('a').first(), section.locator('a.nn-pos-title').nth(0), section.locator('a.nn-pos-title').nth(1)].entries()) {
        await link.click();
        const r = await poll(`reveal #${i + 1}`, async () => (await reveals())[i]);
        assert.equal(SIN_ENC.slice(r.range.start.offset, r.range.end.offset), 'positional(sinusoidal, maxlen = 100)', JSON.stringify(r));
        assert.equal(r.range.start.line, line);
      }
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  }
  // Learned (examples/gpt_small.nnmodel): its table's initial weights.
  {
    const { page, errors } = await openPage('cpu');
    try {
      await send(page, { type: 'settings', backend: 'cpu' });
      await send(page, messageFor(readFileSync(join(repo, 'examples/gpt_small.nnmodel'), 'utf8'), 'GPTSmall', 1));
      await statusFor(page, 1);
      await page.setViewportSize({ width: 640, height: 760 });
      await page.locator('vscode-tab-header[data-tab="kernels"]').click();
      const section = page.locator('#nn-panel-kernels section.nn-pos-layer');
      await poll('the positional layer of gpt_small', async () => (await section.count()) === 1);
      await settle(page);
      await page.screenshot({ path: join(results, 'positional-learned-gpt-small.png') });
      assert.deepEqual([await section.getAttribute('data-kind'), await section.getAttribute('data-rows')], ['learned', '64']);
      assert.match(await section.locator('.nn-pos-detail').innerText(), /learned encoding \(initial random values, not trained\) · 64 positions × \d+ dimensions$/);
      assert.match(await section.locator('.nn-pos-caption').innerText(), /not trained yet/);
      // Initial uniform(±0.05) weights: the legend's ends are at most 0.05.
      const absMax = Number(await section.locator('.nn-kernel-legend').first().getAttribute('data-abs-max'));
      assert.ok(absMax > 0.04 && absMax <= 0.05, String(absMax));
      const tip = await hoverCell(page, 'canvas.nn-pos-encoding', 5, 2, 64, Number(await page.locator('canvas.nn-pos-encoding').getAttribute('data-cols')));
      assert.match(tip, /^position 5, dimension 2\nvalue -?[\d.e-]+$/);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  }
  // GPT-2's size, maxlen 1024 × 768: the first 256 positions, said so, no wider than the panel.
  {
    const { page, errors } = await openPage('cpu');
    try {
      await send(page, { type: 'settings', backend: 'cpu' });
      await send(page, messageFor(`model Big {\n  input tokens: int[seq]\n  output tokens -> embedding(16, 768) -> positional(learned, maxlen = 1024)\n}\n`, 'Big', 1));
      await statusFor(page, 1);
      await page.setViewportSize({ width: 640, height: 760 });
      const start = Date.now();
      await page.locator('vscode-tab-header[data-tab="kernels"]').click();
      await page.locator('#nn-panel-kernels canvas.nn-pos-similarity').waitFor();
      const ms = Date.now() - start;
      console.log(`# kernels tab with a 1024 × 768 learned table: drawn ${ms} ms after the click`);
      const section = page.locator('#nn-panel-kernels section.nn-pos-layer');
      assert.equal(await section.getAttribute('data-rows'), '256');
      assert.match(await section.locator('.nn-pos-detail').innerText(), /1024 positions × 768 dimensions · showing the first 256 of 1024 positions$/);
      assert.deepEqual(await page.evaluate(`[...document.querySelectorAll('#nn-panel-kernels canvas')].filter((c) => c.className.startsWith('nn-pos')).map((c) => [c.width, c.height])`), [[768, 256], [256, 256]]);
      const sideways = () => page.evaluate(`(() => { const p = document.getElementById('nn-panel-kernels'); return [p.scrollWidth - p.clientWidth, document.documentElement.scrollWidth - document.documentElement.clientWidth]; })()`);
      assert.deepEqual(await sideways(), [0, 0], 'neither the panel nor the page scrolls sideways at 640 px');
      await settle(page);
      await page.screenshot({ path: join(results, 'positional-learned-1024x768.png') });
      await page.setViewportSize({ width: 325, height: 760 });
      await settle(page);
      assert.deepEqual(await sideways(), [0, 0], 'neither the panel nor the page scrolls sideways at 325 px');
      await page.screenshot({ path: join(results, 'positional-learned-1024x768-325.png') });
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
    }
  }
});

test('the Training tab\'s table of epochs at 400–500 px: whole at 450 and 500, never wider than the panel, no number cut or wrapped', { timeout: 180_000 }, async (t) => {
  const { page, errors } = await openPage('cpu');
  try {
    await send(page, { type: 'settings', backend: 'cpu' });
    const a = analyze(TINY_TRAIN, { uri: URI });
    const msg = modelMessage(a, a.models[0], URI, 1);
    await send(page, msg);
    await statusFor(page, 1);
    await page.locator('vscode-tab-header[data-tab="training"]').click();
    const { data, ...config } = a.trains[0].config;
    await send(page, { type: 'train', uri: URI, version: 1, run: 1, model: msg.model, config, seed: 1, data: dataPayload(data!, undefined) } as HostToWebview);
    const ck = await poll('a checkpoint to save', async () =>
      page.evaluate(() => (globalThis as unknown as { __posted: { type: string; run?: number; epoch?: number }[] }).__posted.filter((m) => m.type === 'checkpoint').map((m) => ({ run: m.run!, epoch: m.epoch! }))[0]),
    );
    await send(page, { type: 'checkpointSaved', uri: URI, run: ck.run, epoch: ck.epoch, dir: '.nnmodel/model/Tiny' });
    await poll('the run to end', async () => (await page.locator('.nn-training-status').getAttribute('data-status').catch(() => null)) === 'completed');
    for (const width of [500, 450, 400]) {
      await page.setViewportSize({ width, height: 800 });
      await settle(page);
      const seen = (await page.evaluate(`(() => {
        const panel = document.getElementById('nn-panel-training');
        const table = panel.querySelector('.nn-training-table');
        const cells = [...table.querySelectorAll('th, td')];
        const lines = (c) => {
          const range = document.createRange();
          range.selectNodeContents(c);
          return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
        };
        // The box the table scrolls in when it cannot fit: scrolled to its end, the last column is in view.
        const box = table.parentElement;
        box.scrollLeft = box.scrollWidth;
        const lastRight = table.querySelector('th:last-child').getBoundingClientRect().right;
        box.scrollLeft = 0;
        const b = box.getBoundingClientRect();
        return {
          sideways: panel.scrollWidth - panel.clientWidth,
          tableRight: table.getBoundingClientRect().right,
          boxRight: b.left + box.clientWidth,
          lastRight,
          panelRight: panel.getBoundingClientRect().left + panel.clientWidth,
          cut: cells.filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent),
          wrapped: [...table.querySelectorAll('td')].filter((c) => lines(c) > 1).map((c) => c.textContent),
          columns: [...table.querySelectorAll('th')].map((c) => c.textContent),
          widths: [...table.querySelectorAll('th')].map((c) => Math.round(c.getBoundingClientRect().width)),
          rows: table.querySelectorAll('tr').length,
        };
      })()`)) as { sideways: number; tableRight: number; boxRight: number; lastRight: number; panelRight: number; cut: string[]; wrapped: string[]; columns: string[]; widths: number[]; rows: number };
      await page.locator('.nn-training-table').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(results, `training-table-${width}.png`) });
      assert.ok(seen.rows >= 2, 'a header and an epoch');
      assert.deepEqual(seen.columns, ['epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'time', 'examples/s'], 'the columns keep their names (tests and readers key rows by them)');
      assert.ok(seen.sideways <= 0, `the Training panel scrolls ${seen.sideways} px sideways at ${width} px`);
      const columns = `columns ${seen.widths.join(', ')} px wide`;
      t.diagnostic(`${width} px: table to ${seen.tableRight} px, its box to ${seen.boxRight} px; ${columns}`);
      assert.ok(seen.boxRight <= seen.panelRight + 0.5, `the table's box ends at ${seen.boxRight} px, past the panel (${seen.panelRight} px) at ${width} px`);
      // At 450 px and more the whole table is in view; narrower (or with more metrics) it may scroll in its own box, every column reachable.
      if (width >= 450) assert.ok(seen.tableRight <= seen.boxRight + 0.5, `the table ends at ${seen.tableRight} px, past its box (${seen.boxRight} px) at ${width} px; ${columns}`);
      assert.ok(seen.lastRight <= seen.boxRight + 0.5, `the last column ends at ${seen.lastRight} px, out of reach past ${seen.boxRight} px at ${width} px; ${columns}`);
      assert.deepEqual(seen.cut, [], `cells cut at ${width} px`);
      assert.deepEqual(seen.wrapped, [], `numbers wrapped at ${width} px`);
    }
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
