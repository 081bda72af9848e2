// "How this value is computed" in the inspector's Feature maps (webview/views/convCalcView.ts), in the
// real VS Code (code-server): hovering a value of LeNet-5's first convolution shows its 5 × 5 patch of
// the image, the kernel, the 25 products, their sum, + bias = the value TensorFlow.js computed; its
// second convolution shows one partial sum per input channel (the output of avgpool); a click pins the
// breakdown, the arrow keys move it, Escape closes it. A pooled value shows its window on its one
// channel: LeNet-5's avgpool Σ ÷ 4, VGG's maxpool the maximum outlined (ties: TensorFlow's pick),
// "0 parameters", and the same check.
import assert from 'node:assert/strict';
import type { Frame, Locator } from 'playwright-core';
import { e2eTest, poll, type Workbench } from './harness';

const WASM = { '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2) };

async function openFeatureMaps(wb: Workbench, file: string): Promise<Frame> {
  await wb.openFile(file);
  await wb.runCommand('nnmodel: Open Inspector');
  const frame = await wb.step('inspector webview', () => wb.webviewFrame('#nn-backend', 60_000));
  await poll('a first render', async () => Number((await frame.locator('#nn-debug').getAttribute('data-renders')) ?? 0) >= 1, { timeout: 90_000 });
  await wb.step('tab featureMaps', async () => {
    await frame.locator('vscode-tab-header[data-tab="featureMaps"]').click();
    await poll('the featureMaps panel to be shown', () => frame.locator('#nn-panel-featureMaps').isVisible());
  });
  const status = frame.locator('#nn-panel-featureMaps .nn-toolbar-status');
  await wb.step('feature maps drawn', () => poll('feature maps', async () => /· \d+ layers?/.test(await status.innerText()), { timeout: 60_000, seen: () => status.innerText() }));
  return frame;
}

/** A number as formatValue writes it ("0.4132", "-1.2e-4"). */
const NUM = '(-?\\d+(?:\\.\\d+)?(?:e[-+]?\\d+)?)';

function num(text: string, re: RegExp, what: string): number {
  const m = re.exec(text);
  assert.ok(m, `${what}: ${re} not in\n${text}`);
  return Number(m[1]);
}

/** Equal up to the 4 significant digits the read-out shows. */
function close(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= 1.5e-3 * Math.max(1e-3, scale);
}

/** Hovers the map at row `row`, column `col` of its `size` × `size` cells. */
async function hoverCell(map: Locator, row: number, col: number, size: number): Promise<void> {
  const box = await map.boundingBox();
  assert.ok(box, 'the map has a box');
  await map.hover({ position: { x: (box.width * (col + 0.5)) / size, y: (box.height * (row + 0.5)) / size } });
}

e2eTest('hovering a LeNet5 feature-map value shows how it is computed: patch × kernel, Σ, + bias = the value TensorFlow.js computed; per-channel sums for the second conv; click pins, keys move, Escape closes', { files: WASM, timeout: 600_000 }, async (wb) => {
  const frame = await openFeatureMaps(wb, 'lenet5.nnmodel');
  const sections = frame.locator('#nn-panel-featureMaps section.nn-fm-layer[data-path]');
  assert.deepEqual(
    await sections.evaluateAll((els) => els.map((e) => `${(e as unknown as { dataset: Record<string, string> }).dataset.op}:${(e as unknown as { dataset: Record<string, string> }).dataset.calc ?? '-'}`)),
    ['conv2d:true', 'avgpool:true', 'conv2d:true', 'avgpool:true'],
    'the two convolutions and the two poolings explain their values',
  );
  const tip = frame.locator('.nn-fm-tip');

  // First conv: 28 × 28 maps; (row 12, col 13) of channel 2 sits on the digit's strokes.
  await hoverCell(sections.nth(0).locator('canvas.nn-fm-map').nth(2), 12, 13, 28);
  const first = await wb.step('the breakdown of the first conv', () =>
    poll('the breakdown in the read-out', async () => {
      const t = await tip.innerText();
      return /How this value is computed/.test(t) && /\(12, 13\) =/.test(t) ? t : undefined;
    }, { seen: () => tip.innerText() }),
  );
  console.log(`[calc] first conv read-out:\n${first}`);
  assert.match(first, /The 5 × 5 kernel of filter 2 on rows 12–16, columns 13–17 of the 'image' input:/);
  assert.equal(await tip.locator('.nn-calc-grid[data-kind="patch"] .nn-calc-cell').count(), 25, 'every pixel of the patch');
  assert.equal(await tip.locator('.nn-calc-grid[data-kind="kernel"] .nn-calc-cell').count(), 25, 'every weight');
  assert.equal(await tip.locator('.nn-calc-grid[data-kind="products"] .nn-calc-cell').count(), 25, 'every product');
  const shown = num(first, new RegExp(`\\(12, 13\\) = ${NUM}`), 'the hovered value');
  const sum = num(first, new RegExp(`Σ 25 products = ${NUM}`), 'the sum');
  const bias = num(first, new RegExp(`\\+ bias ${NUM} =`), 'the bias');
  const pre = num(first, new RegExp(`\\+ bias -?[\\d.e+-]+ = ${NUM}`), 'sum + bias');
  assert.ok(close(sum + bias, pre, Math.abs(sum) + Math.abs(bias)), `Σ ${sum} + bias ${bias} = ${pre}`);
  assert.ok(close(pre, shown, Math.abs(shown)), `sum + bias ${pre} is the shown value ${shown} (no activation in conv2d(6, 5))`);
  assert.match(first, new RegExp(`= ${NUM} ✓ as computed by TensorFlow\\.js \\(WASM\\)`));
  assert.equal(num(first, new RegExp(`= ${NUM} ✓`), 'the checked value'), shown);
  // The data the text rounds: exact.
  const data = await tip.locator('.nn-calc').evaluate((e) => ({ ...(e as unknown as { dataset: Record<string, string> }).dataset }));
  assert.ok(Math.abs(Number(data.sum) + Number(data.bias) - Number(data.pre)) < 1e-9);
  assert.ok(Math.abs(Number(data.value) - Number(data.shown)) < 1e-4, JSON.stringify(data));
  assert.equal(data.agrees, 'true');

  // Second conv: its input is the first avgpool's 6 channels: one partial sum per channel.
  await hoverCell(sections.nth(2).locator('canvas.nn-fm-map').nth(5), 4, 6, 10);
  const second = await wb.step('the breakdown of the second conv', () =>
    poll('the second breakdown', async () => {
      const t = await tip.innerText();
      return /How this value is computed/.test(t) && /\(4, 6\) =/.test(t) && /Σ over 6 channels/.test(t) ? t : undefined;
    }, { seen: () => tip.innerText() }),
  );
  console.log(`[calc] second conv read-out:\n${second}`);
  assert.match(second, /The 5 × 5 kernel of filter 5 on rows 4–8, columns 6–10 of the output of avgpool\(2\) \(line \d+\), 6 channels:/);
  assert.equal(await tip.locator('.nn-calc-partial').count(), 6);
  const partials = (await tip.locator('.nn-calc-psum').allInnerTexts()).map((t) => num(t, new RegExp(`= ${NUM}`), 'a partial sum'));
  const total = num(second, new RegExp(`Σ over 6 channels = ${NUM}`), 'the total');
  assert.ok(close(partials.reduce((a, v) => a + v, 0), total, partials.reduce((a, v) => a + Math.abs(v), 0)), `${partials.join(' + ')} = ${total}`);
  assert.match(second, /✓ as computed by TensorFlow\.js \(WASM\)/);
  // Pinned, a channel's partial sum opens onto its 25 terms.
  const secondMap = sections.nth(2).locator('canvas.nn-fm-map').nth(5);
  const sb = (await secondMap.boundingBox())!;
  await secondMap.click({ position: { x: (sb.width * 6.5) / 10, y: (sb.height * 4.5) / 10 } });
  const pin = frame.locator('.nn-fm-pin');
  await wb.step('the second conv pinned', () => poll('the pinned panel', async () => !(await pin.isHidden()) && /channel 5 \(4, 6\) =/.test(await pin.innerText()), { seen: () => pin.innerText() }));
  await pin.locator('details.nn-calc-partial summary').nth(2).click();
  await wb.step('channel 2 opened', () =>
    poll('its 25 products', async () => (await pin.locator('details.nn-calc-partial[open] .nn-calc-grid[data-kind="products"] .nn-calc-cell').count()) === 25),
  );

  // A click pins it: the panel stays when the pointer leaves; the arrow keys move it; Escape closes it.
  const map = sections.nth(0).locator('canvas.nn-fm-map').nth(2);
  const box = (await map.boundingBox())!;
  await map.click({ position: { x: (box.width * 13.5) / 28, y: (box.height * 12.5) / 28 } });
  await wb.step('pinned', () => poll('the pinned panel', async () => !(await pin.isHidden()) && /channel 2 \(12, 13\) =/.test(await pin.innerText()), { seen: () => pin.innerText() }));
  await frame.locator('#nn-panel-featureMaps .nn-toolbar').hover();
  assert.ok(!(await pin.isHidden()), 'the pinned panel stays when the pointer leaves the map');
  assert.match(await pin.innerText(), /✓ as computed by TensorFlow\.js/);
  await map.focus();
  await map.press('ArrowRight');
  await wb.step('moved by the keyboard', () => poll('the pinned value moved right', async () => /channel 2 \(12, 14\) =/.test(await pin.innerText()), { seen: () => pin.innerText() }));
  assert.match(await pin.innerText(), /columns 14–18/);
  await map.press('Escape');
  await wb.step('closed', () => poll('the pinned panel closed', () => pin.isHidden()));

  // The first avgpool: 14 × 14 maps; (3, 5) of channel 4 averages rows 6–7, columns 10–11 of channel 4 of tanh's output.
  await hoverCell(sections.nth(1).locator('canvas.nn-fm-map').nth(4), 3, 5, 14);
  const avg = await wb.step('the breakdown of an avgpool value', () =>
    poll('the avgpool breakdown', async () => {
      const t = await tip.innerText();
      return /How this value is computed/.test(t) && /channel 4 · [\s\S]*\(3, 5\) =/.test(t) ? t : undefined;
    }, { seen: () => tip.innerText() }),
  );
  console.log(`[calc] avgpool read-out:\n${avg}`);
  assert.match(avg, /The 2 × 2 average-pooling window on rows 6–7, columns 10–11 of channel 4 of the output of tanh \(line \d+\) \(pooling is per channel\):/);
  assert.equal(await tip.locator('.nn-calc-grid[data-kind="window"] .nn-calc-cell').count(), 4, 'the window\'s 4 cells');
  assert.equal(await tip.locator('.nn-calc-grid[data-kind="kernel"]').count(), 0, 'no kernel: pooling has no weights');
  const cells = (await tip.locator('.nn-calc-grid[data-kind="window"] .nn-calc-cell').allInnerTexts()).map(Number);
  const avgShown = num(avg, new RegExp(`\\(3, 5\\) = ${NUM}`), 'the hovered value');
  const avgSum = num(avg, new RegExp(`Σ 4 values = ${NUM}, ÷ 4 =`), 'the sum');
  const mean = num(avg, new RegExp(`÷ 4 = ${NUM}`), 'the mean');
  assert.ok(Math.abs(cells.reduce((a, v) => a + v, 0) - avgSum) <= 0.011, `the cells ${cells.join(' + ')} (2 decimals) add up to Σ ${avgSum}`);
  assert.ok(close(avgSum / 4, mean, Math.abs(avgSum)), `${avgSum} ÷ 4 = ${mean}`);
  assert.ok(close(mean, avgShown, Math.abs(avgShown)), `the mean ${mean} is the shown value ${avgShown}`);
  assert.match(avg, /0 parameters: pooling learns nothing/);
  assert.equal(num(avg, new RegExp(`= ${NUM} ✓ as computed by TensorFlow\\.js \\(WASM\\)`), 'the checked value'), avgShown);
  const avgData = await tip.locator('.nn-calc').evaluate((e) => ({ ...(e as unknown as { dataset: Record<string, string> }).dataset }));
  assert.equal(avgData.pool, 'avg');
  assert.equal(avgData.n, '4');
  assert.ok(Math.abs(Number(avgData.sum) / 4 - Number(avgData.shown)) < 1e-6, JSON.stringify(avgData));
  assert.equal(avgData.agrees, 'true');

  // conv1d, causal with dilation 2, inside a block: its strip explains its values too, padding zeros included.
  // Opened in LeNet5's editor group (Quick Open uses the active group), so the inspector beside it stays in view.
  await wb.page.locator('.tabs-container .tab[data-resource-name="lenet5.nnmodel"]').click();
  await wb.openFile('tcn_waves.nnmodel');
  await wb.step('the TCN\'s maps', () =>
    poll('conv1d strips', async () => (await sections.evaluateAll((els) => els.map((e) => e.getAttribute('data-op')))).filter((op) => op === 'conv1d').length >= 4, { timeout: 60_000 }),
  );
  const tcn = frame.locator('#nn-panel-featureMaps section.nn-fm-layer[data-op="conv1d"]');
  // The first conv of tcn_block(32, 2): conv1d(32, 1), then two per block.
  const strip = tcn.nth(3).locator('canvas.nn-fm-strip');
  const sbox = (await strip.boundingBox())!;
  // One column per step, one row per channel.
  const [steps, rows] = [Number(await strip.getAttribute('width')), Number(await strip.getAttribute('height'))];
  assert.equal(rows, 32);
  await strip.hover({ position: { x: (sbox.width * 1.5) / steps, y: (sbox.height * 4.5) / rows } });
  const oneD = await wb.step('the breakdown of a causal dilated conv1d', () =>
    poll('the conv1d breakdown', async () => {
      const t = await tip.innerText();
      return /How this value is computed/.test(t) && /step 1 =/.test(t) ? t : undefined;
    }, { seen: () => tip.innerText() }),
  );
  console.log(`[calc] conv1d read-out:\n${oneD}`);
  assert.match(oneD, /The 3-tap kernel of filter 4 on steps -3, -1, 1 \(2 in the padding\) of the output of relu \(line \d+\), 32 channels; padding reads 0:/);
  assert.equal(await tip.locator('.nn-calc-partial').count(), 32);
  const stepValue = num(oneD, new RegExp(`step 1 = ${NUM}`), 'the hovered value');
  assert.equal(num(oneD, new RegExp(`= ${NUM} ✓ as computed by TensorFlow\\.js \\(WASM\\)`), 'the checked value'), stepValue);

  // maxpool(2) inside VGG's conv_block, after relu: the maximum of the window outlined.
  await wb.page.locator('.tabs-container .tab[data-resource-name="tcn_waves.nnmodel"]').click();
  await wb.openFile('vgg_small.nnmodel');
  await wb.step('VGG\'s maps', () =>
    poll('maxpool sections', async () => (await sections.evaluateAll((els) => els.map((e) => e.getAttribute('data-op')))).filter((op) => op === 'maxpool').length === 3, { timeout: 60_000 }),
  );
  const maxpool = frame.locator('#nn-panel-featureMaps section.nn-fm-layer[data-op="maxpool"]').first();
  assert.equal(await maxpool.getAttribute('data-calc'), 'true');
  // A channel with zeros and non-zeros: after relu, a pooled 0 is a window of four 0s (a 4-way tie), a pooled value > 0 usually has one maximum.
  const ranges = await maxpool.locator('canvas.nn-fm-map').evaluateAll((els) => els.map((e) => (e as unknown as { dataset: Record<string, string> }).dataset.range));
  const part = ranges.findIndex((r) => r !== undefined && Number(r.split(',')[0]) === 0 && Number(r.split(',')[1]) > 0);
  assert.ok(part >= 0, `a channel with zeros and non-zeros: ${ranges.join(' ')}`);
  const partMap = maxpool.locator('canvas.nn-fm-map').nth(part);
  // Walked from the keyboard in a snake (the pinned panel may cover the map): Enter pins (0, 0), the arrows move it.
  await partMap.focus();
  let tiedAt: string | undefined;
  let single: [number, number] | undefined;
  for (let i = 0; i < 256 && (!tiedAt || !single); i++) {
    const r = Math.floor(i / 16);
    const q = r % 2 === 0 ? i % 16 : 15 - (i % 16);
    await partMap.press(i === 0 ? 'Enter' : i % 16 === 0 ? 'ArrowDown' : r % 2 === 0 ? 'ArrowRight' : 'ArrowLeft');
    const data = await poll('the pinned value', async () => {
      if (!new RegExp(`channel ${part} \\(${r}, ${q}\\) =`).test(await pin.innerText())) return undefined;
      return pin.locator('.nn-calc').evaluate((e) => ({ ...(e as unknown as { dataset: Record<string, string> }).dataset }));
    }, { seen: () => pin.innerText() });
    if (Number(data.value) > 0 && data.ties === '1') single ??= [r, q];
    if (Number(data.value) !== 0 || tiedAt) continue;
    tiedAt = `(${r}, ${q})`;
    const tied = await pin.innerText();
    console.log(`[calc] maxpool tie ${tiedAt}:\n${tied}`);
    assert.equal(data.ties, '4');
    assert.equal(data.agrees, 'true');
    assert.match(tied, /4 cells tie at the max; TensorFlow takes the first in row-major order \(outlined\)/);
    assert.equal(await pin.locator('.nn-calc-grid[data-kind="window"] .nn-calc-cell').nth(0).getAttribute('class'), 'nn-calc-cell nn-calc-max', 'the top-left cell is TensorFlow\'s pick');
    assert.equal(await pin.locator('.nn-calc-tie').count(), 3);
    assert.match(tied, /✓ as computed by TensorFlow\.js \(WASM\)/);
    await wb.screenshot('maxpool-tie-pinned');
  }
  assert.ok(tiedAt, `a pooled 0 in channel ${part}`);
  assert.ok(single, `a pooled value > 0 with one maximum in channel ${part}`);
  await partMap.press('Escape');
  await wb.step('the pinned tie closed', () => poll('the pinned panel closed', () => pin.isHidden()));

  // Hovered: the window's largest cell, outlined, is the value.
  const [mr, mq] = single;
  await hoverCell(partMap, mr, mq, 16);
  const max = await wb.step('the breakdown of a maxpool value', () =>
    poll('the maxpool breakdown', async () => {
      const t = await tip.innerText();
      return /How this value is computed/.test(t) && new RegExp(`channel ${part} · [\\s\\S]*\\(${mr}, ${mq}\\) =`).test(t) ? t : undefined;
    }, { seen: () => tip.innerText() }),
  );
  console.log(`[calc] maxpool read-out:\n${max}`);
  assert.match(max, new RegExp(`The 2 × 2 max-pooling window on rows ${2 * mr}–${2 * mr + 1}, columns ${2 * mq}–${2 * mq + 1} of channel ${part} of the output of relu \\(line \\d+\\) \\(pooling is per channel\\):`));
  const maxShown = num(max, new RegExp(`\\(${mr}, ${mq}\\) = ${NUM}`), 'the hovered value');
  assert.ok(maxShown > 0);
  assert.ok(close(num(max, new RegExp(`max = ${NUM}`), 'the max'), maxShown, Math.abs(maxShown)));
  assert.doesNotMatch(max, /tie/);
  assert.match(max, /0 parameters: pooling learns nothing/);
  assert.equal(num(max, new RegExp(`= ${NUM} ✓ as computed by TensorFlow\\.js \\(WASM\\)`), 'the checked value'), maxShown);
  const windowCells = (await tip.locator('.nn-calc-grid[data-kind="window"] .nn-calc-cell').allInnerTexts()).map(Number);
  assert.equal(windowCells.length, 4);
  assert.equal(await tip.locator('.nn-calc-max').count(), 1, 'one cell outlined');
  assert.equal(await tip.locator('.nn-calc-tie').count(), 0);
  const outlined = Number(await tip.locator('.nn-calc-max').innerText());
  assert.equal(outlined, Math.max(...windowCells), `the outlined ${outlined} is the window's largest of ${windowCells.join(', ')}`);
  const maxData = await tip.locator('.nn-calc').evaluate((e) => ({ ...(e as unknown as { dataset: Record<string, string> }).dataset }));
  assert.equal(maxData.pool, 'max');
  assert.equal(Number(maxData.value), Number(maxData.shown), 'a max is exact: one of the input\'s float32 values');
});
