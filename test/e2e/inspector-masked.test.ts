// The attention view of a masked language model (examples/bert_tiny.nnmodel, `mask: 0.15`, initial weights) in the
// real VS Code (code-server): no next-token list; typed [MASK]s are fed as the mask id, one past the tokeniser's ids,
// shown as [MASK] in the Tokens panel; the strip lists the predictions at each masked position; Fill writes the
// most likely token in place of its [MASK]; Insert [MASK] writes one; with no mask, a note says how to use it.
import assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { e2eTest, poll, type Workbench } from './harness';
import { tokenizerFor } from '../../extension/core/runtime/tokenizers';

const WASM = { '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2) };

async function openAttention(wb: Workbench, file: string): Promise<Frame> {
  await wb.openFile(file);
  await wb.runCommand('nnmodel: Open Inspector');
  const frame = await wb.step('inspector webview', () => wb.webviewFrame('#nn-backend', 90_000));
  await poll('a first render', async () => Number((await frame.locator('#nn-debug').getAttribute('data-renders')) ?? 0) >= 1, { timeout: 90_000 });
  await frame.locator('vscode-tab-header[data-tab="attention"]').click();
  await poll('the attention panel', () => frame.locator('#nn-panel-attention').isVisible());
  return frame;
}

e2eTest('a masked language model: [MASK] typed in the text, predictions at each masked position with Fill, [MASK] in the Tokens panel, no next-token list', {
  files: WASM,
  timeout: 300_000,
}, async (wb) => {
  const frame = await openAttention(wb, 'bert_tiny.nnmodel');
  const panel = frame.locator('#nn-panel-attention');
  const strip = panel.locator('section.nn-out[data-kind="masked"]');
  // The strip is in a disclosure, closed so that the heatmaps come first: opened here.
  await wb.step('the masked strip', async () => {
    await panel.locator('details.nn-attn-output > summary').click({ timeout: 60_000 });
    await strip.waitFor({ timeout: 60_000 });
  });
  assert.equal(await panel.locator('section.nn-out[data-kind="tokens"]').count(), 0, 'no next-token list');
  assert.equal(await panel.locator('button.nn-out-row').count(), 0, 'no click-to-append rows');

  // embedding(64, 64), no trained tokeniser: the default alphabet that leaves a row for [MASK], which is one past it.
  const maskId = (await tokenizerFor(63)).vocabSize;
  assert.ok(maskId < 64);
  // The info line above the heatmaps names the id a typed [MASK] is fed as.
  const info = panel.locator('.nn-note').first();
  await poll('the info line names the [MASK] id', async () => (await info.innerText()).includes(`; [MASK] is id ${maskId}`), { timeout: 30_000, seen: () => info.innerText() });

  const box = panel.locator('input.nn-attn-text');
  const groups = strip.locator('.nn-out-mask');
  const positions = () => groups.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-position'))));
  const setText = async (text: string, expected: number[]) => {
    await box.fill(text);
    await poll(`the predictions at ${JSON.stringify(expected)}`, async () => JSON.stringify(await positions()) === JSON.stringify(expected), {
      timeout: 30_000,
      seen: async () => JSON.stringify(await positions()),
    });
  };

  // Two masks: one group each, at their positions in the input (one character, one id each; [MASK] one id).
  await wb.step('two masks', () => setText('x[MASK]yz[MASK]', [1, 4]));
  for (let g = 0; g < 2; g++) {
    const rows = groups.nth(g).locator('.nn-out-row');
    assert.equal(await rows.count(), 5);
    const ps = await rows.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-p'))));
    assert.ok(ps.every((p, i) => p >= 0 && (i === 0 || p <= ps[i - 1])), `sorted probabilities ${ps}`);
    assert.ok(ps.reduce((s, p) => s + p, 0) <= 1 + 1e-6);
    assert.match(await groups.nth(g).locator('.nn-out-mask-title').innerText(), new RegExp(`^\\[MASK\\] ${g + 1} at position ${g === 0 ? 1 : 4}, `));
  }
  assert.equal(await groups.nth(0).getAttribute('data-mask'), '0');
  assert.equal(await groups.nth(1).getAttribute('data-mask'), '1');

  // The Tokens panel: each [MASK] one token of the mask id, shown as [MASK].
  const masks = panel.locator('section.nn-tok .nn-tok-piece.nn-tok-mask');
  await poll('two [MASK] tokens', async () => (await masks.count()) === 2, { timeout: 10_000 });
  assert.deepEqual(await masks.evaluateAll((els) => els.map((e) => [e.textContent, e.getAttribute('data-id')])), [
    ['[MASK]', String(maskId)],
    ['[MASK]', String(maskId)],
  ]);
  assert.equal(await panel.locator('section.nn-tok .nn-tok-piece').count(), 5);

  // Fill the first: its [MASK] becomes the token the button names, the second mask moves to position 3.
  const fill = groups.nth(0).locator('.nn-out-fill-mask');
  const id = Number(await fill.getAttribute('data-id'));
  assert.ok(id > 0 && id < maskId, `Fill writes a character of the alphabet, not the unknown token or [MASK] (id ${id})`);
  await wb.step('fill the first mask', () => fill.click());
  await poll('the first mask filled', async () => /^x.yz\[MASK\]$/.test(await box.inputValue()), { timeout: 10_000, seen: () => box.inputValue() });
  await poll('one mask left, at position 4', async () => JSON.stringify(await positions()) === '[4]', { timeout: 30_000, seen: async () => JSON.stringify(await positions()) });
  const filled = (await box.inputValue())[1];
  assert.equal(await panel.locator('section.nn-tok .nn-tok-piece').nth(1).getAttribute('data-id'), String(id), `“${filled}” is id ${id}`);

  // No mask: a note says how to use it; Insert [MASK] writes one at the cursor.
  await box.fill('abc');
  const none = strip.locator('.nn-out-nomask');
  await poll('the how-to note', async () => (await none.count()) === 1, { timeout: 30_000 });
  assert.match(await none.innerText(), /^Type \[MASK\] where a token is hidden/);
  await box.focus();
  await box.press('End');
  await wb.step('insert [MASK]', () => panel.locator('.nn-attn-insert-mask').click());
  await poll('[MASK] inserted', async () => (await box.inputValue()) === 'abc[MASK]', { timeout: 10_000, seen: () => box.inputValue() });
  await poll('a prediction at position 3', async () => JSON.stringify(await positions()) === '[3]', { timeout: 30_000, seen: async () => JSON.stringify(await positions()) });

  // A text of 70 tokens where the view feeds 64: the Tokens panel dims the 6 the model does not see (the last ones:
  // a masked model is fed the first 64) and says so.
  await box.fill(`[MASK]${'a'.repeat(69)}`);
  const dropped = panel.locator('section.nn-tok .nn-tok-piece.nn-tok-dropped');
  await poll('6 tokens dimmed', async () => (await dropped.count()) === 6, { timeout: 30_000, seen: async () => String(await dropped.count()) });
  assert.deepEqual(await dropped.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-start')))), [64, 65, 66, 67, 68, 69].map((i) => i + 5));
  assert.equal(await panel.locator('section.nn-tok .nn-tok-window-note').innerText(), 'The model sees the first 64 tokens: the last 6 tokens (dimmed) are left out.');
});
