// The inspector and the editor beside it, in the real VS Code (code-server):
// a layer header of a block imported from another file selects the call in
// this file that reaches it (not whatever sits at the imported offsets here);
// an edit that breaks the model says so in the open Feature maps tab, with
// the first error and a link to its line, and fixing it brings the maps back;
// the Summary tab marks the row the editor's cursor is in, and a click on a
// row whose long call is shown shortened selects that call's line.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eTest, env, poll, positionOf, type Workbench, openInspector, openTab } from './harness';

const WASM = { '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2) };
/** Quick Open ranks gpt2_small.nnmodel above gpt_small.nnmodel for that query: the GPT is opened under a name of its own. */
const GPT_NAME = 'follow_gpt.nnmodel';

/** Gives the text editor of `file` the focus back from the inspector (Go to Line acts on the focused editor). */
async function focusEditor(wb: Workbench, file: string): Promise<void> {
  await wb.page.locator(`.tabs-container .tab[data-resource-name="${file}"]`).first().click();
  await poll(`the editor of ${file} to be active`, async () => (await wb.page.locator(`.editor-group-container.active .tab.active[data-resource-name="${file}"]`).count()) > 0);
}

/** Where `call` is written in the model (the example's comments mention some calls too). */
function callAt(text: string, call: string): { line: number; column: number } {
  const comments = text.slice(0, text.indexOf('\nmodel ') + 1).split(call).length - 1;
  return positionOf(text, call, comments);
}

const cursor = async (wb: Workbench) => (await wb.page.locator('[id="status.editor.selection"]').innerText().catch(() => '')).replace(/\u00a0/g, ' ');

async function cursorAt(wb: Workbench, line: number, column: number, what: string): Promise<void> {
  await wb.step(what, () => poll(`the cursor at Ln ${line}, Col ${column} (${what})`, async () => (await cursor(wb)).includes(`Ln ${line}, Col ${column}`), { seen: () => cursor(wb) }));
}

e2eTest('a layer of a block imported from another file links to the call in this file that reaches it, and says where it is written', {
  files: { ...WASM, [GPT_NAME]: readFileSync(join(env.repo, 'examples/gpt_small.nnmodel'), 'utf8') },
  timeout: 300_000,
}, async (wb) => {
  const text = wb.readFile(GPT_NAME);
  const imported = wb.readFile('gpt2_small.nnmodel');
  const call = positionOf(text, 'gpt_block(');
  const attnLine = positionOf(imported, 'attention(heads, causal = true)').line;
  const frame = await openInspector(wb, GPT_NAME);

  await openTab(wb, frame, 'attention');
  const header = frame.locator('#nn-panel-attention a', { hasText: 'Layer 1: attention' }).first();
  await header.waitFor({ timeout: 90_000 });
  assert.match((await header.getAttribute('title')) ?? '', new RegExp(`gpt2_small\\.nnmodel, line ${attnLine}`));
  await header.click();
  // Before, the attention call's offsets (from gpt2_small.nnmodel) were selected in this file: `]` of `int[seq]`.
  await cursorAt(wb, call.line, call.column, 'the gpt_block call selected');

  await openTab(wb, frame, 'featureMaps');
  const attnSection = frame.locator('#nn-panel-featureMaps .nn-fm-layer[data-op="attention"]').first();
  await attnSection.waitFor({ timeout: 90_000 });
  const detail = await attnSection.locator('.nn-fm-detail').innerText();
  assert.match(detail, new RegExp(`line ${attnLine} of gpt2_small\\.nnmodel, called at line ${call.line}`), detail);

  // In the graph, with the block opened, a click on its attention node selects the same call (before: nothing happened).
  await focusEditor(wb, GPT_NAME);
  await wb.goTo(1, 1);
  await openTab(wb, frame, 'graph');
  await frame.locator('.nn-toolbar vscode-button', { hasText: 'Expand all' }).click();
  const node = frame.locator('svg.nn-graph .nn-node[data-kind="layer"]', { hasText: 'attention(' }).first();
  await node.waitFor({ timeout: 30_000 });
  // Fit stops at a readable size: zoom out until the node is inside the graph's view.
  await frame.locator('.nn-toolbar vscode-button', { hasText: 'Fit' }).click();
  const view = frame.locator('svg.nn-graph');
  for (let i = 0; ; i++) {
    const [n, v] = await Promise.all([node.boundingBox(), view.boundingBox()]);
    if (n && v && n.x >= v.x && n.y >= v.y && n.x + n.width <= v.x + v.width && n.y + n.height <= v.y + v.height) break;
    if (i === 12) throw new Error('the attention node is still outside the graph view after zooming out 12 times');
    await frame.locator('.nn-toolbar vscode-button[title="Zoom out"]').click();
  }
  await node.click();
  await cursorAt(wb, call.line, call.column, 'the gpt_block call selected from the graph');
});

e2eTest('an edit that breaks LeNet5 shows the first error in the open Feature maps tab, its link selects the line, and the fix brings the maps back', {
  files: WASM,
  timeout: 300_000,
}, async (wb) => {
  const text = wb.readFile('lenet5.nnmodel');
  const frame = await openInspector(wb, 'lenet5.nnmodel');
  await openTab(wb, frame, 'featureMaps');
  const panel = frame.locator('#nn-panel-featureMaps');
  const sections = panel.locator('.nn-fm-layer');
  await wb.step('feature maps', () => poll('feature map sections', async () => (await sections.count()) > 0, { timeout: 90_000 }));

  // conv2d(16, 5) → conv2d(16, 50): a 50×50 kernel on a 14×14 map.
  const at = callAt(text, 'conv2d(16, 5)');
  await focusEditor(wb, 'lenet5.nnmodel');
  await wb.goTo(at.line, at.column + 'conv2d(16, 5'.length);
  await wb.type('0');
  const first = panel.locator('.nn-first-error');
  await wb.step('the error in the tab', () =>
    poll('the Feature maps tab to name the first error', async () => (await panel.innerText()).includes('Fix the errors in the model to run it') && (await first.count()) === 1, {
      seen: async () => (await panel.innerText()) || '(blank)',
    }),
  );
  assert.match(await first.innerText(), new RegExp(`^Line ${at.line}: \\S`));
  // The link selects the error in the editor.
  await wb.goTo(1, 1);
  await first.locator('a').click();
  await wb.step('error selected', () => poll(`the cursor on line ${at.line}`, async () => (await cursor(wb)).includes(`Ln ${at.line},`), { seen: () => cursor(wb) }));
  // The graph's status says the drawing stops at the error.
  await openTab(wb, frame, 'graph');
  const status = frame.locator('#nn-panel-graph .nn-toolbar-status');
  await wb.step('graph status', () =>
    poll('the graph status to say it is incomplete', async () => (await status.innerText()).includes(`incomplete: error on line ${at.line}`), { seen: () => status.innerText() }),
  );
  await openTab(wb, frame, 'featureMaps');

  // Undo the edit: the maps come back.
  await focusEditor(wb, 'lenet5.nnmodel');
  await wb.press('Control+Z');
  await wb.step('maps again', () =>
    poll('feature map sections after the fix', async () => (await sections.count()) > 0 && (await first.count()) === 0, { timeout: 90_000, seen: async () => (await panel.innerText()).slice(0, 200) }),
  );
});

e2eTest('the Summary tab marks the row of the layer the editor\'s cursor is in', { files: WASM, timeout: 240_000 }, async (wb) => {
  const text = wb.readFile('lenet5.nnmodel');
  const frame = await openInspector(wb, 'lenet5.nnmodel');
  await openTab(wb, frame, 'summary');
  const current = frame.locator('.nn-summary-table tr.nn-current');
  await focusEditor(wb, 'lenet5.nnmodel');
  for (const call of ['dense(84)', 'conv2d(16, 5)']) {
    const at = callAt(text, call);
    await wb.goTo(at.line, at.column + 2);
    await wb.step(`row ${call}`, () =>
      poll(`the ${call} row marked`, async () => (await current.count()) === 1 && (await current.innerText()).startsWith(call), {
        seen: async () => ((await current.count()) ? await current.innerText() : '(no row marked)'),
      }),
    );
  }
  // On a comment line, no row.
  await wb.goTo(1, 1);
  await poll('no row marked on a comment', async () => (await current.count()) === 0);
});

e2eTest('a Summary row shows a long call shortened, whole in its tooltip, and a click on it, the table scrolled sideways, selects its line', { files: WASM, timeout: 240_000 }, async (wb) => {
  const text = wb.readFile('resnet18.nnmodel');
  const frame = await openInspector(wb, 'resnet18.nnmodel');
  await openTab(wb, frame, 'summary');
  const full = 'conv2d(64, 7, stride = 2, padding = same, bias = false)';
  const line = callAt(text, full).line;
  const label = frame.locator('.nn-summary-table td.nn-col-label', { hasText: 'conv2d(64, 7, stride = 2, …)' });
  await poll('the stem convolution row, shortened', async () => (await label.count()) === 1);
  assert.equal((await label.getAttribute('title'))?.split('\n')[0], full, 'the tooltip has the call whole');
  // The default panel is narrower than the table: it scrolls sideways, the layer column staying in view.
  const scroller = frame.locator('.nn-summary-scroll');
  const before = (await label.boundingBox())!.x;
  const scrolled = await scroller.evaluate((el) => {
    const s = el as unknown as { scrollLeft: number };
    s.scrollLeft = 100_000;
    return s.scrollLeft;
  });
  assert.ok(scrolled > 0, 'the table scrolls sideways at the default panel width');
  assert.ok(Math.abs((await label.boundingBox())!.x - before) < 1, 'the layer column stays in view');
  await label.click();
  await wb.step(`the click selects line ${line}`, () =>
    poll(`the cursor on line ${line}`, async () => (await cursor(wb)).includes(`Ln ${line},`), { seen: () => cursor(wb) }),
  );
});

const SYM_CNN = `model SymCNN {
  input image: [h, w, 3]
  output image -> conv2d(8, 3, padding = same) -> relu -> maxpool(2)
               -> conv2d(16, 3) -> relu -> global_avgpool -> dense(10) -> softmax
}
`;

e2eTest('feature maps of a model with symbolic image sizes say the sizes it ran at', { files: { ...WASM, 'sym_cnn.nnmodel': SYM_CNN }, timeout: 240_000 }, async (wb) => {
  const frame = await openInspector(wb, 'sym_cnn.nnmodel');
  await openTab(wb, frame, 'featureMaps');
  const status = frame.locator('#nn-panel-featureMaps .nn-toolbar-status').first();
  // The first conv keeps the size (padding = same): its maps are h × w.
  const conv = frame.locator('#nn-panel-featureMaps .nn-fm-layer[data-op="conv2d"] .nn-fm-detail').first();
  await conv.waitFor({ timeout: 90_000 });
  const size = /^\[(\d+), (\d+), 8\]/.exec(await conv.innerText());
  assert.ok(size, await conv.innerText());
  await wb.step('status', () =>
    poll('the status to name the sizes', async () => (await status.innerText()).includes(`run at h = ${size[1]}, w = ${size[2]} (sample size) ·`), { seen: () => status.innerText() }),
  );
});

e2eTest(
  'with nnmodel.dimensions set, the inspector runs symbolic image sizes at them, as the hovers use them',
  {
    files: { '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm', 'nnmodel.dimensions': { h: 40, w: 24 } }, null, 2), 'sym_cnn.nnmodel': SYM_CNN },
    timeout: 240_000,
  },
  async (wb) => {
    const frame = await openInspector(wb, 'sym_cnn.nnmodel');
    await openTab(wb, frame, 'featureMaps');
    const status = frame.locator('#nn-panel-featureMaps .nn-toolbar-status').first();
    const conv = frame.locator('#nn-panel-featureMaps .nn-fm-layer[data-op="conv2d"] .nn-fm-detail').first();
    await conv.waitFor({ timeout: 90_000 });
    await wb.step('sizes', async () => {
      await poll('the first conv at 40 × 24', async () => (await conv.innerText()).startsWith('[40, 24, 8]'), { seen: () => conv.innerText() });
      await poll('the status to name the setting\'s sizes', async () => (await status.innerText()).includes('run at h = 40, w = 24 (nnmodel.dimensions) ·'), { seen: () => status.innerText() });
    });
  },
);

e2eTest('the Feature maps tab follows the editor\'s cursor to the layer it is in', { files: WASM, timeout: 240_000 }, async (wb) => {
  const text = wb.readFile('lenet5.nnmodel');
  const frame = await openInspector(wb, 'lenet5.nnmodel');
  await openTab(wb, frame, 'featureMaps');
  const sections = frame.locator('#nn-panel-featureMaps section.nn-fm-layer');
  await wb.step('feature maps', () => poll('feature map sections', async () => (await sections.count()) > 1, { timeout: 90_000 }));
  const marked = frame.locator('#nn-panel-featureMaps section.nn-cursor-layer');
  await focusEditor(wb, 'lenet5.nnmodel');
  for (const call of ['conv2d(16, 5)', 'conv2d(6, 5)']) {
    const at = callAt(text, call);
    await wb.goTo(at.line, at.column + 2);
    await wb.step(`section ${call}`, () =>
      poll(`the ${call} section marked and in view`, async () => {
        if ((await marked.count()) !== 1 || !(await marked.locator('.nn-fm-title').innerText()).startsWith(call)) return false;
        const [s, v] = await Promise.all([marked.boundingBox(), frame.locator('#nn-panel-featureMaps').boundingBox()]);
        return !!s && !!v && s.y < v.y + v.height && s.y + s.height > v.y;
      }, { seen: async () => ((await marked.count()) ? await marked.locator('.nn-fm-title').innerText() : '(no section marked)') }),
    );
  }
});
