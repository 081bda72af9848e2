// Train Model shows its run: an inspector open on another tab (here the Graph, where a fresh inspector starts)
// switches to the Training tab when the run starts, so the progress, curves and signals are in view, not only the
// notification. Before, the inspector stayed on the tab it showed (e.g. "This model has no attention layers").
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eTest, env, poll } from './harness';

// The fruit MLP on its CSV, 3 epochs: a run of a few seconds.
const FRUIT = readFileSync(join(env.repo, 'examples/mlp_fruit.nnmodel'), 'utf8').replace(/epochs: \d+/, 'epochs: 3');

e2eTest('Train Model brings the inspector to the Training tab when the run starts', {
  files: { '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }), 'fruit3.nnmodel': FRUIT },
  timeout: 300_000,
}, async (wb) => {
  await wb.openFile('fruit3.nnmodel');
  await wb.runCommand('nnmodel: Open Inspector');
  const frame = await wb.step('inspector webview', () => wb.webviewFrame('#nn-backend', 90_000));
  await poll('a first render', async () => Number((await frame.locator('#nn-debug').getAttribute('data-renders')) ?? 0) >= 1, { timeout: 90_000 });
  const header = (id: string) => frame.locator(`vscode-tab-header[data-tab="${id}"]`);
  const active = async (id: string) => (await header(id).getAttribute('active')) !== null;
  assert.ok(await active('graph'), 'a fresh inspector shows the Graph');
  assert.equal(await frame.locator('#nn-panel-training').isVisible(), false);

  await wb.runCommand('nnmodel: Train Model');
  const status = frame.locator('#nn-panel-training .nn-training-status');
  await wb.step('the Training tab in view', () =>
    poll('the Training tab selected and its panel shown', async () => (await active('training')) && (await frame.locator('#nn-panel-training').isVisible()), {
      timeout: 60_000,
      seen: async () => `graph ${await active('graph')}, training ${await active('training')}; notifications: ${await wb.notificationText()}`,
    }),
  );
  assert.equal(await active('graph'), false, 'one tab selected');
  await wb.step('the run ends in view', () =>
    poll('the run to finish', async () => /FruitMLP: done · epoch 3\/3/.test(await status.innerText()), { timeout: 120_000, seen: () => status.innerText() }),
  );
  assert.ok(await frame.locator('#nn-panel-training .nn-training-table tr').count() >= 4, 'a header and a row per epoch');
});
