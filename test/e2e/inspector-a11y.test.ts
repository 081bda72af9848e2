// The inspector without a mouse, and with a screen reader, in the real VS Code (code-server):
// the graph's nodes are named buttons that the arrow keys walk (a node reached off screen is
// panned into view, Enter selects its call in the editor, which takes the keyboard: the way back
// to the source; a block opened with Enter keeps the focus on its header), the summary's rows are
// reached with Tab and the arrow keys and Enter selects their call, the feature maps' sample
// picker is a named combobox, and feature maps and kernels are named images; a focused attention
// heatmap's weights are read with the arrow keys (a cursor cell, its read-out shown and announced).
import assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { e2eTest, poll, openInspector, openTab, type Workbench } from './harness';

const WASM = { '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2) };

const BLOCKS = `block twice(c) {
  input x
  output x -> dense(c) -> relu
}
model Blocks {
  input x: [8]
  output x -> twice(4) * 2 -> dense(2)
}
`;

/** What has the keyboard focus inside the inspector: the element's data-key (graph node) or tag and text. */
async function focused(frame: Frame): Promise<{ key: string | null; tag: string; text: string; outline: string }> {
  return frame.evaluate(() => {
    // No DOM types in the tests' tsconfig: the page's objects are described as far as they are used.
    interface El { tagName: string; textContent: string | null; getAttribute(n: string): string | null }
    const g = globalThis as unknown as { document: { activeElement: El | null }; getComputedStyle(e: El): { outlineStyle: string } };
    const a = g.document.activeElement;
    return {
      key: a?.getAttribute('data-key') ?? null,
      tag: a?.tagName.toLowerCase() ?? '',
      text: (a?.textContent ?? '').trim(),
      outline: a ? g.getComputedStyle(a).outlineStyle : '',
    };
  });
}

/** The editor's cursor line in the status bar. */
async function cursorLine(wb: Workbench): Promise<number | undefined> {
  const text = await wb.page.locator('[id="status.editor.selection"]').innerText().catch(() => '');
  const m = /Ln (\d+)/.exec(text.replace(/\u00a0/g, ' '));
  return m ? Number(m[1]) : undefined;
}

/** Whether the workbench's focus is in a text editor (not in the inspector's webview). */
async function editorHasFocus(wb: Workbench): Promise<boolean> {
  return wb.page.evaluate(() => !!(globalThis as unknown as { document: { activeElement: { closest(s: string): unknown } | null } }).document.activeElement?.closest('.monaco-editor'));
}

e2eTest('graph: nodes are named buttons for screen readers, the arrow keys walk them, a node reached off screen is panned into view, Enter selects its line in the editor', { files: WASM, timeout: 300_000 }, async (wb) => {
  const frame = await openInspector(wb, 'lenet5.nnmodel');
  const nodes = frame.locator('#nn-panel-graph .nn-node');
  await poll('the graph drawn', async () => (await nodes.count()) >= 13, { timeout: 60_000, seen: async () => String(await nodes.count()) });

  // Screen readers: the graph is a group of buttons, one per node, named by what the box shows and its line.
  const svg = frame.locator('#nn-panel-graph svg.nn-graph');
  assert.notEqual(await svg.getAttribute('role'), 'img', 'an image hides its nodes from screen readers');
  const conv = frame.getByRole('button', { name: 'conv2d(6, 5), [28, 28, 6], 156 params, line 24', exact: true });
  assert.equal(await conv.count(), 1, `the first convolution is a named button: ${await frame.locator('#nn-panel-graph').ariaSnapshot()}`);

  // The arrow keys walk the nodes in graph order; End reaches the last one, which the view pans to.
  await wb.step('focus the input node', () => nodes.first().focus());
  const first = await focused(frame);
  await wb.page.keyboard.press('ArrowDown');
  await poll('ArrowDown to move to the next node', async () => (await focused(frame)).key !== first.key && (await focused(frame)).key !== null, { seen: async () => JSON.stringify(await focused(frame)) });
  assert.equal(await frame.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } | null } }).document.activeElement?.getAttribute('aria-label')), 'conv2d(6, 5), [28, 28, 6], 156 params, line 24');
  await wb.page.keyboard.press('End');
  const lastKey = await nodes.last().getAttribute('data-key');
  await poll('End to move to the last node', async () => (await focused(frame)).key === lastKey, { seen: async () => JSON.stringify(await focused(frame)) });
  await wb.step('the last node panned into view', () =>
    poll('the focused node inside the graph view', async () => {
      const view = await svg.boundingBox();
      const box = await nodes.last().boundingBox();
      return !!view && !!box && box.y >= view.y - 1 && box.y + box.height <= view.y + view.height + 1 && box.x >= view.x - 1 && box.x + box.width <= view.x + view.width + 1;
    }, { seen: async () => `view ${JSON.stringify(await svg.boundingBox())}, node ${JSON.stringify(await nodes.last().boundingBox())}` }),
  );
  // Enter does what a click does: the call is selected in the editor, which takes the keyboard (the way back to the source).
  await wb.page.keyboard.press('Enter');
  await wb.step('Enter on softmax selects line 27', () => poll('the cursor on line 27', async () => (await cursorLine(wb)) === 27, { seen: async () => String(await cursorLine(wb)) }));
  await poll('the editor to have the focus', () => editorHasFocus(wb));
});

e2eTest('summary: Tab reaches the rows, the arrow keys move between them with a focus ring, Enter selects the row\'s line', { files: WASM, timeout: 300_000 }, async (wb) => {
  const frame = await openInspector(wb, 'lenet5.nnmodel');
  // Summary: Tab from the column headers reaches the rows (one tab stop), the arrow keys move between them, Enter selects the line.
  await openTab(wb, frame, 'summary');
  const rows = frame.locator('#nn-panel-summary tbody tr');
  await poll('the summary rows', async () => (await rows.count()) === 14, { seen: async () => String(await rows.count()) });
  await frame.locator('#nn-panel-summary th').last().focus();
  await wb.page.keyboard.press('Tab');
  await poll('Tab to reach the first row', async () => (await focused(frame)).tag === 'tr', { seen: async () => JSON.stringify(await focused(frame)) });
  for (let i = 0; i < 4; i++) await wb.page.keyboard.press('ArrowDown');
  await poll('the fifth row (conv2d(16, 5)) focused', async () => (await focused(frame)).text.startsWith('conv2d(16, 5)'), { seen: async () => JSON.stringify(await focused(frame)) });
  assert.equal((await focused(frame)).outline, 'solid', 'the focused row has a focus ring');
  await wb.page.keyboard.press('Enter');
  await wb.step('Enter on the row selects line 25', () => poll('the cursor on line 25', async () => (await cursorLine(wb)) === 25, { seen: async () => String(await cursorLine(wb)) }));
});

e2eTest('feature maps and kernels: the sample picker is a named combobox, maps and filters are named images', { files: WASM, timeout: 300_000 }, async (wb) => {
  const frame = await openInspector(wb, 'lenet5.nnmodel');
  // Feature maps: the sample picker (vscode-single-select) is a named combobox.
  await openTab(wb, frame, 'featureMaps');
  const picker = frame.getByRole('combobox', { name: 'Sample image' });
  await wb.step('the sample picker named', () => poll('a combobox named Sample image', async () => (await picker.count()) === 1, { timeout: 60_000, seen: () => frame.locator('#nn-panel-featureMaps .nn-toolbar').ariaSnapshot() }));
  assert.ok((await frame.locator('#nn-panel-featureMaps').getByRole('img', { name: /^channel 0 · / }).count()) >= 1, 'feature maps are named images');

  // Kernels: each first-layer filter is an image named after it.
  await openTab(wb, frame, 'kernels');
  await poll('the kernels drawn', async () => (await frame.locator('#nn-panel-kernels canvas.nn-kernel').count()) === 6);
  assert.equal(await frame.locator('#nn-panel-kernels').getByRole('img', { name: 'filter 0', exact: true }).count(), 1);
  assert.equal(await frame.locator('#nn-panel-kernels').getByRole('img', { name: 'filter 0 ← input channel 0', exact: true }).count(), 1);
});

e2eTest('graph: a block opened with Enter keeps the keyboard on its header when the inspector gets the focus back', { files: { ...WASM, 'blocks.nnmodel': BLOCKS }, timeout: 300_000 }, async (wb) => {
  // A block opened with Enter keeps the keyboard: its frame's header has the focus after the new drawing.
  const frame = await openInspector(wb, 'blocks.nnmodel');
  const block = frame.locator('#nn-panel-graph .nn-node[data-kind="group"]');
  await poll('the Blocks graph', async () => (await block.count()) === 1 && (await frame.locator('#nn-panel-graph .nn-node').count()) === 3, { timeout: 60_000 });
  assert.equal(await block.getAttribute('aria-expanded'), 'false');
  const key = await block.getAttribute('data-key');
  await block.focus();
  await wb.page.keyboard.press('Enter');
  await wb.step('the block opened', () => poll('the block open, its header focused', async () =>
    (await frame.locator('#nn-panel-graph .nn-frame-header[aria-expanded="true"]').count()) === 1, { timeout: 30_000 }));
  // The editor took the focus with the selection (the new drawing does not take it back); back in the
  // inspector with the keyboard (Focus Right Editor Group), the keyboard is on the open block's header.
  await poll('the editor to have the focus', () => editorHasFocus(wb));
  await wb.page.keyboard.press('Control+K');
  await wb.page.keyboard.press('Control+ArrowRight');
  await wb.step('back in the inspector', () =>
    poll('the open block\'s header focused in the inspector', async () => (await focused(frame)).key === key, { seen: async () => `${JSON.stringify(await focused(frame))}, editor focused: ${await editorHasFocus(wb)}` }),
  );
});

const TINY_ATTN = `model TinyAttn {
  input tokens: int[seq]
  output tokens -> embedding(64, 16) -> attention(2, causal = true) -> dense(64) -> softmax
}
`;

e2eTest('attention: the arrow keys move a cursor cell over a focused heatmap, its weight shown as on hover and announced, Escape leaves', { files: { ...WASM, 'tiny_attn.nnmodel': TINY_ATTN }, timeout: 300_000 }, async (wb) => {
  const frame = await openInspector(wb, 'tiny_attn.nnmodel');
  await openTab(wb, frame, 'attention');
  const panel = frame.locator('#nn-panel-attention');
  const box = panel.locator('input.nn-attn-text');
  await poll('the text box', async () => (await box.count()) === 1, { timeout: 60_000 });
  // Eight characters, eight tokens of the char tokeniser: a..h on both axes.
  await box.fill('abcdefgh');
  const canvas = panel.locator('canvas.nn-heatmap[data-layer="0"][data-head="0"]');
  const cell = Math.floor(150 / 8);
  await wb.step('the heatmap of 8 × 8 tokens', () =>
    poll('head 1 drawn for 8 tokens', async () => (await canvas.getAttribute('width')) === String(8 * cell), { timeout: 60_000, seen: async () => String(await canvas.getAttribute('width')) }),
  );
  const live = panel.locator('.nn-cell-live');
  const tip = panel.locator('.nn-attn-tip');
  const cursor = panel.locator('.nn-cell-cursor');
  const said = async () => ((await live.count()) ? await live.innerText() : '(no live region)');

  await canvas.focus();
  // The first arrow key enters the cell mode on the first cell: query 0 sees only itself (causal), weight exactly 1.
  await wb.page.keyboard.press('ArrowDown');
  await wb.step('the first cell announced', () => poll('query 0 → key 0 announced', async () => (await said()) === 'head 1 · query 0 “a” → key 0 “a”; weight 1', { seen: said }));
  for (let i = 0; i < 3; i++) await wb.page.keyboard.press('ArrowDown');
  await wb.page.keyboard.press('ArrowRight');
  const spoken = await wb.step('query 3 → key 1 announced', () =>
    poll('query 3 “d” → key 1 “b” announced', async () => {
      const t = await said();
      return /^head 1 · query 3 “d” → key 1 “b”; weight (\S+)$/.test(t) ? t : undefined;
    }, { seen: said }),
  );
  assert.equal(await canvas.getAttribute('data-cell'), '3,1');
  // The same read-out as the mouse's is shown beside the cell, and the cursor outlines that cell in the focus colour.
  assert.equal((await tip.innerText()).trim(), spoken.replace('; ', '\n'));
  const c = (await canvas.boundingBox())!;
  const k = (await cursor.boundingBox())!;
  assert.ok(Math.abs(k.x - (c.x + 1 * cell)) <= 1 && Math.abs(k.y - (c.y + 3 * cell)) <= 1 && Math.abs(k.width - cell) <= 1, `the cursor on cell (3, 1): ${JSON.stringify({ canvas: c, cursor: k })}`);
  assert.equal(await cursor.evaluate((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { outlineStyle: string } }).getComputedStyle(e).outlineStyle), 'solid');
  const weight = /weight (\S+)$/.exec(spoken)![1];
  assert.ok(Number(weight) > 0 && Number(weight) < 1, `a weight of query 3 over 4 keys: ${weight}`);

  // Escape leaves the cell mode: no cursor, no read-out, the heatmap keeps the focus.
  await wb.page.keyboard.press('Escape');
  await poll('the cell mode left', async () => (await canvas.getAttribute('data-cell')) === null && !(await cursor.isVisible()) && !(await tip.isVisible()));
  assert.equal(await canvas.evaluate((e) => (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement === e), true);

  // The mouse over the same cell shows the same weight.
  await canvas.hover({ position: { x: 1 * cell + cell / 2, y: 3 * cell + cell / 2 } });
  await wb.step('the hover read-out of the same cell', () =>
    poll('the hover read-out naming query 3 and key 1 with the announced weight', async () => (await tip.isVisible()) && (await tip.innerText()).trim() === `head 1 · query 3 “d” → key 1 “b”\nweight ${weight}`, { seen: () => tip.innerText() }),
  );
});
