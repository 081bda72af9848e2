// The inspector in the real VS Code (code-server): opening it on LeNet-5 with
// each backend setting, its graph against the file, clicking a node to move
// the editor cursor, and re-rendering on edit without reloading the page.
import assert from 'node:assert/strict';
import type { Frame, Locator } from 'playwright-core';
import { e2eTest, poll, positionOf, type Workbench } from './harness';

const settings = (backend: string) => ({ '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': backend }, null, 2) });

/** Layer calls in a LeNet-style file, counted from its text (comments removed), independently of the extension. */
function layerCalls(text: string): number {
  const code = text.replace(/(#|\/\/).*$/gm, '');
  return (code.match(/\b(conv2d|tanh|relu|avgpool|maxpool|flatten|dense|softmax|dropout|batchnorm)\b/g) ?? []).length;
}

async function openInspector(wb: Workbench): Promise<Frame> {
  await wb.openFile('lenet5.nnmodel');
  await wb.runCommand('nnmodel: Open Inspector');
  return wb.step('inspector webview', () => wb.webviewFrame('#nn-backend', 60_000));
}

/** The runtime line's short backend name and, after it, why that backend (the line's details): "WebGL Why WebGL: …". */
async function backendOf(frame: Frame, expected: string): Promise<string> {
  const line = frame.locator('#nn-backend');
  const why = async () => (await frame.locator('#nn-backend-reason').textContent()) ?? '';
  return poll(
    `the inspector to run on ${expected}`,
    async () => ((await line.getAttribute('data-backend')) === expected ? `${await line.innerText()} ${await why()}` : undefined),
    { timeout: 90_000, seen: async () => `${await line.innerText()} ${await frame.locator('#nn-forward').innerText()} ${await why()}` },
  );
}

e2eTest('inspector on LeNet5 with nnmodel.backend = webgl runs WebGL; graph node per layer; click reveals', { files: settings('webgl'), timeout: 240_000 }, async (wb) => {
  const frame = await openInspector(wb);
  const line = await wb.step('backend webgl', () => backendOf(frame, 'webgl'));
  assert.match(line, /WebGL/);
  assert.match(line, /nnmodel\.backend = webgl/);
  const forward = await poll('a forward-pass time', async () => {
    const t = await frame.locator('#nn-forward').innerText();
    return /^[\d.]+ ms$/.test(t) ? t : undefined;
  });
  assert.ok(forward);

  const text = wb.readFile('lenet5.nnmodel');
  const expected = layerCalls(text);
  const layers = frame.locator('svg.nn-graph .nn-node[data-kind="layer"]');
  const count = await wb.step('graph nodes', () =>
    poll(`${expected} layer boxes in the graph`, async () => ((await layers.count()) === expected ? expected : undefined), {
      seen: async () => String(await layers.count()),
    }),
  );
  assert.equal(count, expected);
  // ELK ran in the layout worker under VS Code's webview CSP, not on the page's (the workbench's) thread.
  const view = frame.locator('.nn-graph-view');
  assert.equal(await view.getAttribute('data-layout'), 'worker', `${await frame.locator('.nn-toolbar-status').getAttribute('title')}`);

  // Clicking conv2d(16, 5) selects its call: the cursor goes to the start of it.
  const at = positionOf(text, 'conv2d(16, 5)');
  await layers.filter({ hasText: 'conv2d(16, 5)' }).click();
  await wb.step('cursor after click', () =>
    poll(`the cursor at Ln ${at.line}, Col ${at.column}`, async () => {
      const status = (await wb.page.locator('[id="status.editor.selection"]').innerText().catch(() => '')).replace(/\u00a0/g, ' ');
      return status.includes(`Ln ${at.line}, Col ${at.column}`);
    }, { seen: () => wb.page.locator('[id="status.editor.selection"]').innerText() }),
  );
  // And the node the cursor is in is highlighted.
  await poll('conv2d(16, 5) highlighted', async () => ((await frame.locator('.nn-node.nn-current').textContent().catch(() => '')) ?? '').includes('conv2d(16, 5)'));

  // The editor beside the inspector is narrow: the cursor at the end of the dense(84) line scrolls it sideways.
  // Clicking a node whose line fits up to its call brings the line's start back into view (horizontal scroll 0).
  const long = positionOf(text, 'dense(84)');
  await wb.goTo(long.line, text.split('\n')[long.line - 1].length + 1);
  await wb.step('editor scrolled sideways', () => poll('a horizontal scroll', async () => ((await editorScrollLeft(wb)) > 0 ? true : undefined), { seen: async () => String(await editorScrollLeft(wb)) }));
  // The graph followed the cursor to dense(84); fit it and zoom out so conv2d(16, 5) is on screen to be clicked.
  await frame.locator('.nn-toolbar vscode-button', { hasText: 'Fit' }).click();
  await zoomOutTo(frame, layers.filter({ hasText: 'conv2d(16, 5)' }));
  await layers.filter({ hasText: 'conv2d(16, 5)' }).click();
  await wb.step('line start visible after click', () =>
    poll('the horizontal scroll back at 0', async () => (await editorScrollLeft(wb)) === 0, { seen: async () => String(await editorScrollLeft(wb)) }),
  );
  await poll(`the cursor at Ln ${at.line}, Col ${at.column} again`, async () =>
    (await wb.page.locator('[id="status.editor.selection"]').innerText().catch(() => '')).replace(/\u00a0/g, ' ').includes(`Ln ${at.line}, Col ${at.column}`),
  );
  // A call that ends beyond the editor's width is still brought into view: the editor scrolls right for dense(84).
  await frame.locator('.nn-toolbar vscode-button', { hasText: 'Fit' }).click();
  await zoomOutTo(frame, layers.filter({ hasText: 'dense(84)' }));
  await layers.filter({ hasText: 'dense(84)' }).click();
  await wb.step('a far call scrolled into view', () =>
    poll('a horizontal scroll to dense(84)', async () => ((await editorScrollLeft(wb)) > 0 ? true : undefined), { seen: async () => String(await editorScrollLeft(wb)) }),
  );
});

/**
 * Zooms the graph out (its − button) until `node` is inside the graph's view. Fit stops at a readable
 * size, where LeNet5's chain is taller than the panel beside the editor: the rest is panned or zoomed to.
 */
async function zoomOutTo(frame: Frame, node: Locator): Promise<void> {
  const view = frame.locator('svg.nn-graph');
  for (let i = 0; i < 12; i++) {
    const [n, v] = await Promise.all([node.boundingBox(), view.boundingBox()]);
    if (n && v && n.x >= v.x && n.y >= v.y && n.x + n.width <= v.x + v.width && n.y + n.height <= v.y + v.height) return;
    await frame.locator('.nn-toolbar vscode-button[title="Zoom out"]').click();
  }
  throw new Error('the node is still outside the graph view after zooming out 12 times');
}

/** How far the text editor is scrolled sideways, in pixels: Monaco moves its lines' layer left by that much. */
async function editorScrollLeft(wb: Workbench): Promise<number> {
  const style = (await wb.page.locator('.editor-group-container .monaco-editor .lines-content').first().getAttribute('style')) ?? '';
  const left = /(?:^|;)\s*left:\s*(-?[\d.]+)px/.exec(style);
  if (!left) throw new Error(`no left offset in the editor's lines layer: ${style}`);
  return -Number(left[1]);
}

e2eTest('inspector on LeNet5 with nnmodel.backend = auto runs WASM here (WebGL is software-rendered)', { files: settings('auto'), timeout: 240_000 }, async (wb) => {
  const frame = await openInspector(wb);
  const line = await wb.step('backend auto', () => backendOf(frame, 'wasm'));
  assert.match(line, /auto: WebGL is software-rendered/);
});

e2eTest('the inspector re-renders on edit through messages, keeping its page', { files: settings('wasm'), timeout: 240_000 }, async (wb) => {
  const frame = await openInspector(wb);
  await backendOf(frame, 'wasm');
  const renders = async () => Number((await frame.locator('#nn-debug').getAttribute('data-renders')) ?? 0);
  const before = await poll('a first render', async () => ((await renders()) >= 1 ? renders() : undefined));
  // A mark on the page's window: it survives only if the page is never reloaded.
  await frame.evaluate(() => ((globalThis as unknown as { nnMark: number }).nnMark = 42));
  const text = wb.readFile('lenet5.nnmodel');
  const at = positionOf(text, 'dense(84)');
  await wb.goTo(at.line, at.column + 'dense('.length);
  await wb.type('1');
  await wb.step('edited graph', () =>
    poll('the graph to show dense(184)', async () => (await frame.locator('svg.nn-graph .nn-node', { hasText: 'dense(184)' }).count()) === 1),
  );
  await poll('another render', async () => (await renders()) > before);
  assert.equal(await frame.evaluate(() => (globalThis as unknown as { nnMark?: number }).nnMark), 42);
});

const TWO_MODELS = `model First {
  input x: [8]
  output x -> dense(4)
}

model Second {
  input x: [8]
  output x -> dense(16) -> relu -> dense(2)
}
`;

e2eTest('after a window reload the inspector comes back on the model it showed', { files: { ...settings('wasm'), 'two.nnmodel': TWO_MODELS }, timeout: 240_000 }, async (wb) => {
  await wb.openFile('two.nnmodel');
  await wb.runCommand('nnmodel: Open Inspector');
  const frame = await wb.step('inspector webview', () => wb.webviewFrame('#nn-backend', 60_000));
  await titleIs(frame, 'First');
  // Pick the second model in the page's selector (the cursor stays in the first): the host pins it.
  await frame.evaluate(() => {
    const select = (globalThis as unknown as { document: { getElementById(id: string): { value: string; dispatchEvent(e: unknown): void } } }).document.getElementById('nn-model-select');
    select.value = 'Second';
    select.dispatchEvent(new Event('change'));
  });
  await wb.step('second model picked', () => titleIs(frame, 'Second'));
  await frame.evaluate(() => ((globalThis as unknown as { nnMark: number }).nnMark = 7));

  await wb.runCommand('Developer: Reload Window');
  await wb.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  // A new page (the mark is gone) in a panel VS Code restored, showing the model picked before the reload.
  const restored = await wb.step('restored inspector', () =>
    poll('the restored inspector to show Second', async () => {
      for (const f of wb.page.frames()) {
        if (f === wb.page.mainFrame()) continue;
        const title = await f.locator('#nn-title').textContent({ timeout: 500 }).catch(() => null);
        if (title === 'Second') return f;
      }
      return undefined;
    }, { timeout: 90_000 }),
  );
  assert.equal(await restored.evaluate(() => (globalThis as unknown as { nnMark?: number }).nnMark), undefined);
  await poll('the restored graph', async () => (await restored.locator('svg.nn-graph .nn-node[data-kind="layer"]').count()) === 3);
  assert.equal(await wb.page.locator('.tabs-container .tab', { hasText: 'Inspect Second' }).count(), 1);
});

async function titleIs(frame: Frame, name: string): Promise<void> {
  await poll(`the inspector to show ${name}`, async () => (await frame.locator('#nn-title').textContent()) === name, {
    seen: async () => String(await frame.locator('#nn-title').textContent()),
  });
}
