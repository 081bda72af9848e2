// Head ablation in the attention view of the real VS Code (code-server):
// switching a head of the small GPT off with the keyboard runs the model
// again without it: the next-token list changes, each row with its change
// against the intact model, the bar says "1 head off", and Reset gives the
// intact list back.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { e2eTest, env, poll } from './harness';

const WASM = { '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2) };
/** Quick Open ranks gpt2_small.nnmodel above gpt_small.nnmodel: the GPT is opened under a name of its own. */
const GPT_NAME = 'ablate_gpt.nnmodel';

interface Row {
  index: number;
  p: number;
  p0: number | undefined;
  delta: string | undefined;
}

async function tokenRows(frame: Frame): Promise<Row[]> {
  return frame.locator('#nn-panel-attention section.nn-out[data-kind="tokens"] .nn-out-row').evaluateAll((els) =>
    els.map((e) => {
      const p0 = e.getAttribute('data-p0');
      const delta = (e as unknown as { querySelector(s: string): { textContent: string | null } | null }).querySelector('.nn-out-delta')?.textContent ?? undefined;
      return { index: Number(e.getAttribute('data-index')), p: Number(e.getAttribute('data-p')), p0: p0 === null ? undefined : Number(p0), delta };
    }),
  );
}

e2eTest('head ablation: switching a head of the small GPT off changes the next-token list, each row with its change; Reset restores it', {
  files: { ...WASM, [GPT_NAME]: readFileSync(join(env.repo, 'examples/gpt_small.nnmodel'), 'utf8') },
  timeout: 300_000,
}, async (wb) => {
  await wb.openFile(GPT_NAME);
  await wb.runCommand('nnmodel: Open Inspector');
  const frame = await wb.step('inspector webview', () => wb.webviewFrame('#nn-backend', 60_000));
  await poll('a first render', async () => Number((await frame.locator('#nn-debug').getAttribute('data-renders')) ?? 0) >= 1, { timeout: 90_000 });
  await wb.step('tab attention', async () => {
    await frame.locator('vscode-tab-header[data-tab="attention"]').click();
    await poll('the attention panel to be shown', () => frame.locator('#nn-panel-attention').isVisible());
  });
  const strip = frame.locator('#nn-panel-attention section.nn-out[data-kind="tokens"]');
  const rows = strip.locator('.nn-out-row');
  const bar = frame.locator('#nn-panel-attention .nn-attn-ablation');
  const seen = async () => `bar '${await bar.innerText()}' rows ${JSON.stringify((await tokenRows(frame)).slice(0, 3))}`;
  await wb.step('the intact next-token list', () => poll('10 token rows', async () => (await rows.count()) === 10, { timeout: 60_000, seen }));
  assert.equal(await bar.getAttribute('data-off'), '0');
  const intact = await tokenRows(frame);
  assert.ok(intact.every((r) => r.p0 === undefined && r.delta === undefined), 'no change shown while every head is on');

  // Layer 1, head 1: its switch is a keyboard-operable switch that says it is on.
  const toggle = frame.locator('button.nn-attn-head-toggle[data-layer="0"][data-head="0"]');
  assert.equal(await toggle.getAttribute('role'), 'switch');
  assert.equal(await toggle.getAttribute('aria-checked'), 'true');
  await rows.evaluateAll((els) => els.forEach((e) => e.setAttribute('data-stale', '')));
  await wb.step('switch head 1 of layer 1 off with the keyboard', async () => {
    await toggle.focus();
    await toggle.press('Space');
  });
  const fresh = strip.locator('.nn-out-row[data-p0]:not([data-stale])');
  await wb.step('the list recomputed without that head', () =>
    poll('1 head off and 10 fresh rows with their change', async () => (await bar.getAttribute('data-off')) === '1' && (await fresh.count()) === 10, { timeout: 60_000, seen }),
  );
  assert.match(await bar.locator('.nn-attn-ablation-count').innerText(), /^1 head off$/);
  assert.match(await bar.innerText(), /layer 1: head 1/);
  const off = frame.locator('button.nn-attn-head-toggle[data-layer="0"][data-head="0"]');
  assert.equal(await off.getAttribute('aria-checked'), 'false', 'the switch says the head is off');
  // The next-token strip (in a disclosure, closed at first) is opened: what switching the head off changed is there.
  assert.equal(await frame.locator('#nn-panel-attention details.nn-attn-output').getAttribute('open'), '', 'the strip is opened');
  assert.ok(await off.evaluate((e) => e === (e.ownerDocument as unknown as { activeElement: unknown }).activeElement), 'the keyboard focus stays on the switch');
  const ablated = await tokenRows(frame);
  // Each row's intact probability is what the intact list showed for that token.
  for (const r of ablated) {
    const before = intact.find((i) => i.index === r.index);
    assert.ok(r.p0 !== undefined && r.delta !== undefined, `row ${r.index} shows its change`);
    if (before) assert.ok(Math.abs(before.p - r.p0) <= 1e-6, `token ${r.index}: intact ${before.p}, shown as ${r.p0}`);
    assert.match(r.delta, /^([+−](<0\.1|\d+\.\d) pp|±0 pp)$/);
  }
  assert.notDeepEqual(ablated.map((r) => [r.index, r.p]), intact.map((r) => [r.index, r.p]), 'the next-token list changed');
  assert.ok(ablated.some((r) => r.p !== r.p0), `some probability changed: ${JSON.stringify(ablated)}`);

  // Reset: every head on again, the intact list back.
  await rows.evaluateAll((els) => els.forEach((e) => e.setAttribute('data-stale', '')));
  await wb.step('reset', () => bar.locator('.nn-attn-reset').click());
  await poll('every head on again', async () => (await bar.getAttribute('data-off')) === '0' && (await strip.locator('.nn-out-row:not([data-stale])').count()) === 10, { timeout: 60_000, seen });
  assert.equal(await frame.locator('button.nn-attn-head-toggle[aria-checked="false"]').count(), 0);
  const restored = await tokenRows(frame);
  assert.deepEqual(restored.map((r) => [r.index, r.p, r.p0]), intact.map((r) => [r.index, r.p, r.p0]), 'the intact list is back');
});
