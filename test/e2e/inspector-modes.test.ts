// Training vs inference in the inspector's Feature maps (webview/views/trainModesView.ts), in the real
// VS Code (code-server): VGG-small's dropout(0.5) shows its input, one mask's training output (dropped units
// marked, the rest × 2) and the unchanged inference output, the share dropped against p, and "New draw"
// draws another mask; its first batchnorm shows a batch's per-channel mean and variance beside the initial
// moving mean 0 and variance 1, and one channel's output in each mode, checked against TensorFlow.js.
import assert from 'node:assert/strict';
import type { PageCanvas } from './canvas';
import { e2eTest, poll } from './harness';

type Dataset = { dataset: Record<string, string> };

const WASM = { '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2) };

e2eTest('VGG-small: dropout and batchnorm compare training and inference in Feature maps (mask, 1/(1 − p), new draw; batch vs moving statistics)', { files: WASM, timeout: 600_000 }, async (wb) => {
  await wb.openFile('vgg_small.nnmodel');
  await wb.runCommand('nnmodel: Open Inspector');
  const frame = await wb.step('inspector webview', () => wb.webviewFrame('#nn-backend', 60_000));
  await poll('a first render', async () => Number((await frame.locator('#nn-debug').getAttribute('data-renders')) ?? 0) >= 1, { timeout: 90_000 });
  await wb.step('tab featureMaps', async () => {
    await frame.locator('vscode-tab-header[data-tab="featureMaps"]').click();
    await poll('the featureMaps panel to be shown', () => frame.locator('#nn-panel-featureMaps').isVisible());
  });
  const panel = frame.locator('#nn-panel-featureMaps');
  const status = panel.locator('.nn-toolbar-status');
  await wb.step('feature maps drawn', () => poll('feature maps', async () => /· \d+ layers?/.test(await status.innerText()), { timeout: 60_000, seen: () => status.innerText() }));
  // Off by default: a note says where the comparison is.
  assert.match(await panel.locator('.nn-modes-hint').innerText(), /This model has batchnorm and dropout layers, which behave differently in training and at inference: tick “Show every layer”/);
  await wb.step('tick Show every layer', () => panel.locator('vscode-checkbox.nn-fmx-every').click());
  const dropout = panel.locator('section.nn-fm-layer[data-op="dropout"]');
  await wb.step('every layer drawn', () => poll('the dropout section', async () => (await dropout.count()) === 1, { timeout: 60_000, seen: () => status.innerText() }));

  // Dropout: open its panel.
  const modes = dropout.locator('details.nn-modes');
  await modes.locator('summary.nn-modes-summary').click();
  const counts = modes.locator('.nn-modes-dropped');
  const first = await wb.step('the dropout draw', () => poll('the counts', async () => ((await counts.getAttribute('data-seed')) === '1' ? counts.evaluate((e) => ({ ...(e as unknown as Dataset).dataset })) : undefined)));
  console.log(`[modes] dropout: ${await modes.locator('.nn-modes-body').innerText()}`);
  assert.equal(first.total, '256', 'dense(256): 256 values');
  assert.equal(first.rate, '0.5');
  assert.equal(Number(first.scale), 2);
  const dropped = Number(first.dropped);
  // 256 draws of p = 0.5: the share dropped is within 5 standard deviations (±16) of 128.
  assert.ok(Math.abs(dropped - 128) <= 5 * 8, `dropped ${dropped} of 256`);
  assert.match(await modes.locator('.nn-modes-rule').innerText(), /multiplied by 1\/\(1 − p\) = 2 /);
  assert.match(await counts.innerText(), new RegExp(`dropped ${dropped} values of 256 = [\\d.]+ %; p = 50 %`));
  const maps = modes.locator('canvas.nn-modes-map');
  assert.deepEqual(await maps.evaluateAll((els) => els.map((e) => e.getAttribute('data-mode'))), ['input', 'training', 'inference']);
  assert.equal(await maps.nth(1).getAttribute('data-dropped'), String(dropped), 'the training output marks every dropped unit');
  // The three strips as drawn: the inference output is the input, pixel for pixel; the training one is not.
  const pixels = () =>
    maps.evaluateAll((els) =>
      els.map((e) => {
        const c = e as unknown as PageCanvas;
        return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data).join(',');
      }),
    );
  const [input, training, inference] = await pixels();
  assert.equal(inference, input, 'at inference dropout is the identity');
  assert.notEqual(training, input);
  // The keyboard reads the training strip unit by unit, with what dropout did to each.
  await maps.nth(1).focus();
  for (const key of ['ArrowDown', 'ArrowRight', 'ArrowRight']) await wb.page.keyboard.press(key);
  const modesLive = panel.locator('.nn-cell-live');
  await wb.step('unit 2 announced', () =>
    poll('unit 2 with its input, training and inference values', async () => (await modesLive.allInnerTexts()).some((t) => /^unit 2; input \S+; training: (dropped → 0|kept × 2 = \S+); inference: \S+ \(unchanged\)$/.test(t)), {
      seen: async () => (await modesLive.allInnerTexts()).join(' | '),
    }),
  );
  await wb.page.keyboard.press('Escape');
  await modes.scrollIntoViewIfNeeded();
  await wb.screenshot('dropout-modes');
  await modes.locator('vscode-button.nn-modes-redraw').click();
  const second = await wb.step('a new draw', () => poll('seed 2', async () => ((await counts.getAttribute('data-seed')) === '2' ? counts.evaluate((e) => ({ ...(e as unknown as Dataset).dataset })) : undefined)));
  const [, training2] = await pixels();
  assert.notEqual(training2, training, 'another mask');
  assert.ok(Math.abs(Number(second.dropped) - 128) <= 40);

  // Batchnorm: the first one (conv_block(32)'s first), initial weights.
  const bn = panel.locator('section.nn-fm-layer[data-op="batchnorm"]').first().locator('details.nn-modes');
  await bn.locator('summary.nn-modes-summary').click();
  const check = bn.locator('.nn-modes-check');
  await wb.step('the batchnorm comparison', () => poll('the check', () => check.isVisible(), { timeout: 60_000, seen: () => bn.innerText() }));
  console.log(`[modes] batchnorm: ${await bn.locator('.nn-modes-body').innerText()}`);
  assert.equal(await check.getAttribute('data-agrees'), 'true', await check.innerText());
  assert.match(await check.innerText(), /✓ as computed by TensorFlow\.js \(WASM\)/);
  assert.equal(await bn.locator('.nn-modes-weights').getAttribute('data-kind'), 'initial');
  assert.equal(await bn.locator('.nn-modes-batch').getAttribute('data-count'), '8');
  assert.match(await bn.locator('.nn-modes-batch').innerText(), /7 examples of the built-in shapes set/);
  const rows = await bn.locator('tr.nn-modes-channel').evaluateAll((els) => els.map((e) => ({ ...(e as unknown as Dataset).dataset })));
  assert.equal(rows.length, 16, 'the first 16 of 32 channels, then Show all');
  for (const r of rows) {
    assert.equal(Number(r.movingMean), 0);
    assert.equal(Number(r.movingVar), 1);
    assert.ok(Number(r.batchVar) > 0, `channel ${r.channel}: the batch varies`);
  }
  assert.ok(rows.some((r) => Math.abs(Number(r.batchMean)) > 1e-3), 'some channel\'s batch mean is not 0');
  // Another channel: its maps and its hover read-out (both computations).
  await bn.locator('tr.nn-modes-channel[data-channel="3"]').click();
  const trainingMap = bn.locator('canvas.nn-modes-map[data-mode="training"]');
  await poll('channel 3 drawn', async () => (await trainingMap.getAttribute('data-channel')) === '3');
  await trainingMap.hover();
  const tip = frame.locator('.nn-fm-tip');
  const read = await poll('the read-out', async () => {
    const t = await tip.innerText();
    return /training: .*=/.test(t) && /inference: .*=/.test(t) ? t : undefined;
  }, { seen: () => tip.innerText() });
  console.log(`[modes] batchnorm read-out:\n${read}`);
  assert.match(read, /inference: 1 · \(.+ − 0\) \/ √\(1 \+ 0\.001\) \+ 0 = /);
  // The training value from the row's batch statistics (γ = 1, β = 0), to the 4 digits the read-out shows.
  const row3 = rows.find((r) => r.channel === '3')!;
  const value = (re: RegExp) => Number((re.exec(read)?.[1] ?? 'NaN').replace(/\u2212/g, '-'));
  const x = value(/input x = (\S+)/);
  const yTrain = value(/training: .* = (\S+)$/m);
  const want = (x - Number(row3.batchMean)) / Math.sqrt(Number(row3.batchVar) + 0.001);
  assert.ok(Math.abs(yTrain - want) <= 2e-3 * Math.max(1, Math.abs(want)), `training ${yTrain} vs (x − μ)/√(σ² + ε) = ${want}`);
  await bn.scrollIntoViewIfNeeded();
  await wb.screenshot('batchnorm-modes');
});
