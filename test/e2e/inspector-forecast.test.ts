// The inspector's Forecast tab in the real VS Code (code-server): the TCN trained on waves is
// offered it (and not the Samples tab); it forecasts the first held-out example 64 steps on
// one uPlot chart (seed, true continuation, forecast) with the RMSE line; the Steps slider and
// Next redraw it; and it comes back after another tab (vscode-tabs' index of an offered tab).
import assert from 'node:assert/strict';
import { e2eTest, poll, positionOf, openInspector } from './harness';
import { canvasStats } from './canvas';
import { heldOutExamples } from '../../extension/core/runtime/forecast';

const WASM = { '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2) };

e2eTest('Forecast tab: the waves TCN forecasts a held-out example on a chart of seed, truth and forecast; Steps and Next redraw it', { files: WASM, timeout: 240_000 }, async (wb) => {
  const text = wb.readFile('tcn_waves.nnmodel');
  const samples = Number(/waves\(samples = (\d+)/.exec(text)?.[1]);
  const validation = Number(/validation: ([\d.]+)/.exec(text)?.[1]);
  assert.ok(samples > 1 && validation > 0, 'the example trains on waves with a validation split');
  const held = heldOutExamples(samples, validation, 1);

  const frame = await openInspector(wb, 'tcn_waves.nnmodel');
  const header = frame.locator('vscode-tab-header[data-tab="forecast"]');
  await poll('the Forecast tab to be offered', () => header.isVisible());
  assert.equal(await frame.locator('vscode-tab-header[data-tab="samples"]').count(), 0, 'no Samples tab: the model is not generative');
  const view = frame.locator('#nn-panel-forecast .nn-forecast');
  const status = frame.locator('#nn-panel-forecast .nn-forecast-status');
  const done = (what: string, ok: () => Promise<boolean>) =>
    poll(what, async () => (await view.getAttribute('data-state')) === 'done' && (await ok()), {
      timeout: 60_000,
      seen: async () => `${await view.getAttribute('data-state')} example ${await view.getAttribute('data-example')}: ${await status.innerText()}`,
    });

  await wb.step('tab forecast', async () => {
    await header.click();
    await done('the first forecast', async () => true);
  });
  assert.equal(await view.getAttribute('data-example'), String(held[0]), 'the first held-out example');
  assert.equal(await view.getAttribute('data-steps'), '64');
  assert.match(await status.innerText(), /^RMSE over 64 steps: forecast \d+\.\d{4} · one step ahead \(fed the true values\) \d+\.\d{4} · repeating the last value \d+\.\d{4}$/);
  assert.match(await frame.locator('#nn-panel-forecast .nn-gen-weights').innerText(), /^Initial \(untrained, random\) weights/);
  assert.match(await frame.locator('#nn-panel-forecast .nn-forecast-example').innerText(), new RegExp(`^Example ${held[0]} · 1 of ${held.length} held out`));
  const legend = await frame.locator('#nn-panel-forecast .u-legend .u-label').allInnerTexts();
  assert.deepEqual(legend.slice(-3), ['seed (fed to the model)', 'true continuation', 'forecast']);
  const [plot] = await canvasStats(frame.locator('#nn-panel-forecast .nn-forecast-chart canvas'));
  assert.ok(plot && plot.distinct > 3, `the chart draws lines: ${JSON.stringify(plot)}`);
  await wb.screenshot('forecast-initial');

  await wb.step('steps 16', async () => {
    await frame.locator('#nn-panel-forecast input.nn-forecast-steps-range').evaluate((el) => {
      const input = el as unknown as { value: string; dispatchEvent(e: unknown): boolean };
      input.value = '16';
      input.dispatchEvent(new (globalThis as unknown as { Event: new (type: string) => unknown }).Event('input'));
    });
    await done('a forecast of 16 steps', async () => (await view.getAttribute('data-steps')) === '16' && /^RMSE over 16 steps/.test(await status.innerText()));
    assert.equal(await view.getAttribute('aria-busy'), null, 'not busy once drawn');
  });
  await wb.step('next example', async () => {
    await frame.locator('#nn-panel-forecast vscode-button.nn-forecast-next').click();
    await done('the next held-out example', async () => (await view.getAttribute('data-example')) === String(held[1]));
  });
  await wb.step('a narrower window: the chart follows the panel', async () => {
    const canvas = frame.locator('#nn-panel-forecast .nn-forecast-chart canvas').first();
    const wide = (await canvas.boundingBox())?.width ?? 0;
    // The inspector's half of a 1000 px window is still wider than the chart's 240 px floor.
    await wb.page.setViewportSize({ width: 1000, height: 900 });
    const fits = async () => {
      const panel = (await frame.locator('#nn-panel-forecast').boundingBox())?.width ?? 0;
      const now = (await canvas.boundingBox())?.width ?? 0;
      return panel > 0 && now <= panel && now < wide ? true : undefined;
    };
    await poll('the chart to fit the narrower panel', fits, {
      seen: async () => `chart ${(await canvas.boundingBox())?.width} px (was ${wide}), panel ${(await frame.locator('#nn-panel-forecast').boundingBox())?.width} px`,
    });
    await wb.page.setViewportSize({ width: 1400, height: 900 });
    await poll('the chart to widen again', async () => ((await canvas.boundingBox())?.width ?? 0) === wide, {
      seen: async () => `chart ${(await canvas.boundingBox())?.width} px, first ${wide}`,
    });
  });
  await wb.step('graph, then forecast again', async () => {
    await frame.locator('vscode-tab-header[data-tab="graph"]').click();
    await poll('the graph panel shown', () => frame.locator('#nn-panel-graph').isVisible());
    await header.click();
    await poll('the forecast panel shown again', () => frame.locator('#nn-panel-forecast').isVisible());
    assert.equal(await view.getAttribute('data-example'), String(held[1]), 'the same example');
  });
  // Typing in the train section passes through text that offers no Forecast tab: the page shows Graph
  // meanwhile, and Forecast again once the section is whole (it stayed on Graph).
  await wb.step('typing over the data: Graph meanwhile, then Forecast again', async () => {
    const at = positionOf(text, 'waves(samples');
    // The source's editor, not the inspector's group, takes Go to Line and the keys.
    await wb.page.locator('.tabs-container .tab[data-resource-name="tcn_waves.nnmodel"]').click();
    await wb.goTo(at.line, at.column);
    for (let i = 0; i < 'waves'.length; i++) await wb.press('Shift+ArrowRight');
    await wb.type('w');
    await poll('Graph while `data: w(...)` offers no Forecast', async () => (await header.count()) === 0 && (await frame.locator('#nn-panel-graph').isVisible()));
    await wb.type('aves');
    await poll('the Forecast tab back once the data is waves again', () => frame.locator('#nn-panel-forecast').isVisible(), {
      seen: async () => `forecast header ${await header.count()}, graph shown ${await frame.locator('#nn-panel-graph').isVisible()}`,
    });
    await done('the forecast drawn again', async () => true);
  });
});
