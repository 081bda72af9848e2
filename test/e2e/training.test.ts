// Training from the command palette in the real VS Code (code-server): Train
// Model on LeNet-5 with digits runs in the inspector's webview on its backend
// (progress notification, live curves in the inspector's Training tab,
// validation accuracy above 0.9 within 3 epochs, a checkpoint on disk,
// trained weights in the inspector); Cancel mid-epoch keeping the previous
// checkpoint loadable; an inspector opened on a model with a checkpoint on
// disk loading it; the small GPT lowering its loss on a text file (read by
// the host, sent to the page), then Generate Text printing text.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Locator } from 'playwright-core';
import { e2eTest, env, openTab, openTrainingTab, poll, type Workbench } from './harness';

const LENET_3_EPOCHS = (text: string) => text.replace(/epochs: \d+/, 'epochs: 3');

function workspaceFiles(extra: Record<string, string> = {}): Record<string, string> {
  return {
    '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2),
    'lenet5.nnmodel': LENET_3_EPOCHS(readFileSync(join(env.repo, 'examples/lenet5.nnmodel'), 'utf8')),
    ...extra,
  };
}

/** Rows of the Training tab's epoch table as objects keyed by the header. */
async function epochRows(frame: Frame): Promise<Record<string, string>[]> {
  // Cells by element, not innerText split at tabs: innerText has tabs only while the row is laid out, and a CI run
  // once read the finished table without them (every value undefined).
  const rows = await frame
    .locator('.nn-training-table tr')
    .evaluateAll((trs) => trs.map((tr) => Array.from((tr as { children: ArrayLike<{ textContent: string | null }> }).children, (c) => (c.textContent ?? '').trim())));
  if (rows.length < 2) return [];
  const head = rows[0];
  return rows.slice(1).map((r) => Object.fromEntries(r.map((c, i) => [head[i], c])));
}

const status = (frame: Frame) => frame.locator('.nn-training-status');

interface ChartFacts {
  /** The x range uPlot drew ("min,max"). */
  xScale?: string;
  /** Per legend label: its marker's colour and border style, and how many canvas pixels have that colour. */
  series: Record<string, { color: string; dash: string; pixels: number }>;
}

/** What the Training tab's loss and metrics charts drew, read from their canvases and legends. */
async function chartFacts(frame: Frame): Promise<{ loss?: ChartFacts; metrics?: ChartFacts }> {
  // A string: the test project type-checks without the DOM library.
  return frame.evaluate(`(() => {
    const facts = {};
    for (const [name, selector] of [['loss', '.nn-training-loss'], ['metrics', '.nn-training-metrics']]) {
      const box = document.querySelector(selector);
      const canvas = box && box.querySelector('canvas');
      if (!canvas) continue;
      const px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const series = {};
      for (const row of box.querySelectorAll('.u-legend .u-series')) {
        const label = (row.querySelector('.u-label') || {}).textContent || '';
        const marker = row.querySelector('.u-marker');
        if (!marker) continue;
        const style = getComputedStyle(marker);
        const m = style.borderTopColor.match(/[0-9.]+/g);
        let pixels = 0;
        if (m && m.length >= 3) {
          const [r, g, b] = m.map(Number);
          for (let i = 0; i < px.length; i += 4) if (px[i + 3] > 200 && Math.abs(px[i] - r) + Math.abs(px[i + 1] - g) + Math.abs(px[i + 2] - b) < 12) pixels++;
        }
        series[label] = { color: style.borderTopColor, dash: style.borderTopStyle, pixels };
      }
      facts[name] = { xScale: box.dataset.xScale, series };
    }
    return facts;
  })()`);
}

function checkpointEpoch(wb: Workbench, rel: string): number | undefined {
  const p = wb.path(rel);
  if (!existsSync(p)) return undefined;
  return (JSON.parse(readFileSync(p, 'utf8')) as { nnmodel: { epoch: number } }).nnmodel.epoch;
}

e2eTest('Train Model on LeNet5 with digits: progress, curves, val accuracy > 0.9 in 3 epochs, checkpoint, trained kernels', { files: workspaceFiles(), timeout: 900_000 }, async (wb, t) => {
  const frame = await openTrainingTab(wb, 'lenet5.nnmodel');
  await wb.runCommand('nnmodel: Train Model');
  await wb.step('progress notification', () =>
    poll('a "Training LeNet5" notification with batch progress', async () => /Training LeNet5.*epoch 1, batch \d+\/\d+ · loss/.test(await wb.notificationText()), {
      timeout: 120_000,
      seen: () => wb.notificationText(),
    }),
  );
  await wb.step('live curves', () =>
    poll('the loss chart in the Training tab', async () => (await frame.locator('.nn-training-loss .uplot canvas').count()) > 0, { timeout: 60_000, seen: () => status(frame).innerText() }),
  );
  // The run is in the page: the Training tab names the backend the inspector itself runs on.
  const inspectorBackend = await frame.locator('#nn-backend').getAttribute('data-backend');
  assert.equal(inspectorBackend, 'wasm', 'nnmodel.backend = wasm in this workspace');
  assert.equal(await status(frame).getAttribute('data-backend'), inspectorBackend);
  assert.match(await status(frame).innerText(), /in this inspector on WASM/);
  // The run trains in the inspector's training worker, not on the page (whose thread is the workbench's).
  const where = frame.locator('.nn-training-where');
  assert.equal(await where.getAttribute('data-where'), 'worker', `the run trains in a worker: ${await where.innerText().catch(() => '(no placement line)')}`);
  assert.match(await where.innerText(), /Trains in a worker on WASM/);
  const rows = await wb.step('three epochs', () =>
    poll('3 epochs in the table and the run done', async () => {
      const r = await epochRows(frame);
      return r.length === 3 && (await status(frame).getAttribute('data-status')) === 'completed' ? r : undefined;
    }, { timeout: 780_000, interval: 2000, seen: async () => `${await status(frame).innerText()} | ${JSON.stringify(await epochRows(frame))}` }),
  );
  t.diagnostic(`epochs: ${rows.map((r) => `loss ${r.loss} val_accuracy ${r.val_accuracy} ${r.time}`).join('; ')}`);
  const best = Math.max(...rows.map((r) => Number(r.val_accuracy)));
  assert.ok(best > 0.9, `validation accuracy within 3 epochs: ${rows.map((r) => r.val_accuracy).join(', ')}`);
  assert.ok(Number(rows[2].loss) < Number(rows[0].loss), 'the training loss falls');
  assert.equal(checkpointEpoch(wb, '.nnmodel/lenet5/LeNet5/model.json'), 3, 'a checkpoint of epoch 3 beside the file');
  await wb.step('trained weights in the inspector', () =>
    poll('the inspector to load the epoch-3 weights', async () => (await frame.locator('body').getAttribute('data-trained-epoch')) === '3', { timeout: 60_000 }),
  );
  await frame.locator('vscode-tab-header[data-tab="kernels"]').click();
  await poll('the kernels view to draw', async () => (await frame.locator('#nn-panel-kernels canvas, #nn-panel-kernels svg, #nn-panel-kernels img').count()) > 0, { timeout: 60_000 });
  await wb.screenshot('trained-kernels');
});

e2eTest('Cancel mid-epoch keeps the previous checkpoint loadable', { files: workspaceFiles(), timeout: 900_000 }, async (wb, t) => {
  const frame = await openTrainingTab(wb, 'lenet5.nnmodel');
  await wb.runCommand('nnmodel: Train Model');
  await wb.step('training under way', () =>
    poll('epoch 1 under way', async () => /epoch 1, batch \d+/.test(await wb.notificationText()), { timeout: 300_000, seen: () => wb.notificationText() }),
  );
  // How long the workbench's own event loop, and the inspector page's, wait while the model trains
  // (same-origin webviews share the workbench's thread; the run itself is in a worker). Both at once, during epoch 1.
  const lagOf = (run: (f: () => Promise<number[]>) => Promise<number[]>) =>
    run(async () => {
      const gaps: number[] = [];
      const end = performance.now() + 1500;
      while (performance.now() < end) {
        const t0 = performance.now();
        await new Promise((r) => setTimeout(r, 0));
        gaps.push(performance.now() - t0);
      }
      return gaps;
    });
  const [lag, pageLag] = await Promise.all([lagOf((f) => wb.page.evaluate(f)), lagOf((f) => frame.evaluate(f))]);
  const summary = (gaps: number[]) => {
    const sorted = [...gaps].sort((a, b) => a - b);
    const stalled = gaps.filter((g) => g > 50);
    return `worst ${sorted.at(-1)!.toFixed(0)} ms, p95 ${sorted[Math.floor(sorted.length * 0.95)].toFixed(0)} ms, ${stalled.length} stalls > 50 ms (${stalled.reduce((a, b) => a + b, 0).toFixed(0)} ms)`;
  };
  const where = await frame.locator('.nn-training-where').getAttribute('data-where');
  t.diagnostic(`event-loop lag while training (${where}) over 1.5 s: workbench ${summary(lag)}; inspector page ${summary(pageLag)}`);
  assert.equal(where, 'worker', 'the run trains in a worker');
  await wb.step('first checkpoint', () =>
    poll('the checkpoint of epoch 1', () => checkpointEpoch(wb, '.nnmodel/lenet5/LeNet5/model.json') === 1, { timeout: 600_000, interval: 200, seen: () => wb.notificationText() }),
  );
  // Early in epoch 2, so that the Cancel lands well before it ends (an epoch takes only seconds here).
  await poll('epoch 2 under way, in its first half', async () => {
    const m = /epoch 2, batch (\d+)\/(\d+)/.exec(await wb.notificationText());
    return m !== null && Number(m[1]) <= Number(m[2]) / 2;
  }, { timeout: 120_000, interval: 100, seen: () => wb.notificationText() });
  const clickedAt = await wb.step('cancel', async () => {
    const toast = wb.page.locator('.notification-toast').filter({ hasText: 'Training LeNet5' }).first();
    await toast.hover();
    await toast.getByRole('button', { name: 'Cancel' }).click();
    return { at: Date.now(), status: await status(frame).innerText() };
  });
  // The page hears the Cancel between two batches (it says where), long before the epoch ends.
  const heard = await poll('the page to hear the Cancel', async () => (await status(frame).getAttribute('data-stop-requested-at')) ?? undefined, { timeout: 60_000, interval: 100 });
  t.diagnostic(`cancel clicked at "${clickedAt.status}"; the page heard it at epoch:batch ${heard} after ${Date.now() - clickedAt.at} ms`);
  assert.match(heard, /^2:\d+$/, 'the page heard the Cancel in epoch 2');
  await wb.step('stopped', () =>
    poll('the "stopped" notification', async () => /Training of LeNet5 stopped; the checkpoint of the last complete epoch is kept/.test(await wb.notificationText()), {
      timeout: 120_000,
      seen: () => wb.notificationText(),
    }),
  );
  assert.equal(checkpointEpoch(wb, '.nnmodel/lenet5/LeNet5/model.json'), 1, 'the checkpoint is still the one of epoch 1');
  // The one complete epoch is a single point per epoch series among epoch 2's batch points: drawn all the same, and both
  // charts span the epochs begun (0 to 2).
  const facts = await poll('both charts drawn after the cancel', async () => {
    const f = await chartFacts(frame);
    return f.loss && f.metrics && f.loss.xScale === '0,2' ? f : undefined;
  }, { timeout: 30_000, seen: async () => JSON.stringify(await chartFacts(frame)) });
  await wb.screenshot('cancelled-curves');
  for (const label of ['loss', 'val_loss']) assert.ok(facts.loss!.series[label]?.pixels > 0, `${label} of epoch 1 is drawn: ${JSON.stringify(facts.loss)}`);
  assert.equal(facts.metrics!.xScale, facts.loss!.xScale, 'one x range on both charts');
  // A drag across the loss chart zooms both charts to it; a double-click shows the whole run again.
  const mouse = (events: string) =>
    frame.evaluate(`(() => {
      const over = document.querySelector('.nn-training-loss .u-over');
      over.scrollIntoView({ block: 'center' });
      const r = over.getBoundingClientRect();
      const at = (f) => ({ clientX: r.left + r.width * f, clientY: r.top + r.height / 2, movementX: 1, bubbles: true, button: 0, buttons: 1, view: window });
      ${events}
    })()`);
  await mouse(`over.dispatchEvent(new MouseEvent('mouseenter', at(0.25)));
      over.dispatchEvent(new MouseEvent('mousedown', at(0.25)));
      for (const f of [0.4, 0.55, 0.75]) over.dispatchEvent(new MouseEvent('mousemove', at(f)));
      document.dispatchEvent(new MouseEvent('mouseup', at(0.75)));`);
  const zoomed = await chartFacts(frame);
  const [lo, hi] = (zoomed.loss?.xScale ?? '').split(',').map(Number);
  assert.ok(lo > 0.2 && hi < 1.8 && lo < hi, `the drag zoomed the loss chart in: ${zoomed.loss?.xScale}`);
  assert.equal(zoomed.metrics?.xScale, zoomed.loss?.xScale, 'and the metrics chart with it');
  await mouse(`over.dispatchEvent(new MouseEvent('dblclick', at(0.5)));`);
  const whole = await chartFacts(frame);
  assert.deepEqual([whole.loss?.xScale, whole.metrics?.xScale], ['0,2', '0,2'], 'a double-click shows the whole run again');
  // Loadable: the CLI evaluates it (it reads and checks the weights file against model.json).
  const r = spawnSync(process.execPath, [join(env.repo, 'dist/cli.js'), 'evaluate', wb.path('lenet5.nnmodel')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /LeNet5 after epoch 1\nvalidation: loss \d\.\d+ · accuracy 0\.\d+/);
  // An inspector opened again in this window gets the run's weights from the host, with their folder: its Training tab
  // says which weights they are and draws their history instead of "No training yet".
  await wb.runCommand('View: Close All Editors');
  await poll('the inspector to close', () => frame.isDetached(), { timeout: 30_000 });
  const reopened = await openTrainingTab(wb, 'lenet5.nnmodel');
  await wb.step('reopened training tab', () =>
    poll('the reopened Training tab on the epoch-1 weights', async () => (await status(reopened).getAttribute('data-status')) === 'loaded', {
      timeout: 60_000,
      seen: () => status(reopened).innerText(),
    }),
  );
  assert.match(await status(reopened).innerText(), /^LeNet5: weights of epoch 1 loaded from \.nnmodel\/lenet5\/LeNet5 · below, the epoch of training that produced them\.$/);
  assert.equal((await epochRows(reopened)).length, 1);
});

e2eTest('an inspector opened on a model with a checkpoint on disk loads it and says so; its Training tab draws the epoch that trained it', {
  files: {
    'small.nnmodel': `model Small {
  input x: [12, 12, 1]
  output x -> conv2d(4, 3) -> relu -> maxpool(2) -> flatten -> dense(10) -> softmax
}
train Small {
  data: digits(samples = 300, size = 12)
  epochs: 1
  batch: 32
  metrics: [accuracy]
}
`,
  },
  timeout: 300_000,
}, async (wb) => {
  // A checkpoint written before this window opened (by the CLI: same format, same core loop).
  const r = spawnSync(process.execPath, [join(env.repo, 'dist/cli.js'), 'train', wb.path('small.nnmodel')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(checkpointEpoch(wb, '.nnmodel/small/Small/model.json'), 1);
  await wb.openFile('small.nnmodel');
  await wb.runCommand('nnmodel: Open Inspector');
  const frame = await wb.step('inspector webview', () => wb.webviewFrame('#nn-backend', 90_000));
  await wb.step('weights from disk', () =>
    poll('the inspector to load the epoch-1 checkpoint from disk', async () => (await frame.locator('body').getAttribute('data-trained-epoch')) === '1', {
      timeout: 60_000,
      seen: async () => `${await frame.locator('body').getAttribute('data-trained-epoch')} | ${await frame.locator('#nn-message').innerText()}`,
    }),
  );
  assert.equal(await frame.locator('body').getAttribute('data-trained-from'), '.nnmodel/small/Small');
  assert.match(await frame.locator('#nn-message').innerText(), /trained weights of epoch 1, loaded from the checkpoint in \.nnmodel\/small\/Small/);
  // The Training tab says which weights are loaded (not "No training yet") and draws the checkpoint's history.
  await frame.locator('vscode-tab-header[data-tab="training"]').click();
  await wb.step('training tab on the loaded weights', () =>
    poll('the Training tab to show the loaded weights', async () => (await status(frame).getAttribute('data-status')) === 'loaded', { timeout: 30_000, seen: () => status(frame).innerText() }),
  );
  assert.match(await status(frame).innerText(), /^Small: weights of epoch 1 loaded from \.nnmodel\/small\/Small · below, the epoch of training that produced them\.$/);
  assert.equal((await epochRows(frame)).length, 1);
  const facts = await poll('both charts drawn', async () => {
    const f = await chartFacts(frame);
    return f.loss && f.metrics ? f : undefined;
  }, { timeout: 30_000, seen: async () => JSON.stringify(await chartFacts(frame)) });
  await wb.screenshot('loaded-history');
  // One epoch is one point per series: drawn as a marker (no line can be drawn through one point).
  for (const label of ['loss', 'val_loss', 'accuracy', 'val_accuracy']) {
    const s = facts.loss!.series[label] ?? facts.metrics!.series[label];
    assert.ok(s && s.pixels > 0, `${label} is drawn: ${JSON.stringify(facts)}`);
  }
  // Train and validation in distinct colours, validation dashed in the legend too; one x range on both charts.
  assert.notEqual(facts.metrics!.series.accuracy.color, facts.metrics!.series.val_accuracy.color);
  assert.notEqual(facts.loss!.series.loss.color, facts.loss!.series.val_loss.color);
  assert.deepEqual([facts.metrics!.series.accuracy.dash, facts.metrics!.series.val_accuracy.dash], ['solid', 'dashed']);
  assert.equal(facts.loss!.series.loss.color, facts.metrics!.series.accuracy.color, "accuracy takes the loss's colour, val_accuracy val_loss's");
  assert.equal(facts.loss!.xScale, '0,1');
  assert.equal(facts.metrics!.xScale, '0,1');
  // The run had validation: the CLI kept epoch 1 as the best checkpoint, and the tab marks it on the loss chart
  // and says so under the charts; one epoch is no trend, so no overfitting line.
  assert.equal(checkpointEpoch(wb, '.nnmodel/small/Small/best.json'), 1);
  assert.equal(await frame.locator('.nn-training-loss').getAttribute('data-best-epoch'), '1');
  assert.match(await frame.locator('.nn-training-best').innerText(), /^Best: val_loss lowest at epoch 1 \(\d[\d.]*\), marked on the loss chart\.$/);
  assert.equal(await frame.locator('.nn-training-verdict').isVisible(), false);
  assert.equal(await frame.locator('.nn-training-table tr[data-best="true"]').count(), 1);
});

e2eTest('Train Model continuing a checkpoint: it finishes the planned epochs, and the loss chart draws and marks the epochs before the run, as best.json counts them', {
  files: {
    '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2),
    'small.nnmodel': `model Small {
  input x: [12, 12, 1]
  output x -> conv2d(4, 3) -> relu -> maxpool(2) -> flatten -> dense(10) -> softmax
}
train Small {
  data: digits(samples = 300, size = 12)
  epochs: 3
  batch: 32
  validation: 0.2
}
`,
  },
  timeout: 600_000,
}, async (wb) => {
  // Two epochs of the planned 3 by the CLI; epoch 1 then made the lowest val_loss of the history (as if it had been),
  // so the epoch this page trains cannot be the best of the training, whatever it scores.
  const r = spawnSync(process.execPath, [join(env.repo, 'dist/cli.js'), 'train', wb.path('small.nnmodel'), '--epochs', '2'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const modelJson = wb.path('.nnmodel/small/Small/model.json');
  const json = JSON.parse(readFileSync(modelJson, 'utf8'));
  json.nnmodel.history[0].valLoss = 0.001;
  writeFileSync(modelJson, JSON.stringify(json));
  const frame = await openTrainingTab(wb, 'small.nnmodel');
  // A checkpoint is on disk: Train Model asks at once whether to continue, in the palette's own widget.
  await wb.runCommand('nnmodel: Train Model', { opensInput: true });
  const resume = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Continue from epoch 2' }).first();
  await wb.step('continue from the checkpoint', async () => {
    await resume.waitFor({ timeout: 30_000 });
    // The rest of the plan, not the section's 3 epochs more.
    assert.match(await resume.innerText(), /epoch 3 of 3, to finish the train section's epochs/);
    await wb.chooseRow(resume);
  });
  await wb.step('the continued epoch', () =>
    poll('epoch 3 in the table and the run done', async () => {
      const rows = await epochRows(frame);
      return rows.some((r) => r.epoch === '3') && (await status(frame).getAttribute('data-status')) === 'completed';
    }, { timeout: 300_000, interval: 1000, seen: async () => `${await status(frame).innerText()} | ${JSON.stringify(await epochRows(frame))}` }),
  );
  assert.equal(checkpointEpoch(wb, '.nnmodel/small/Small/model.json'), 3);
  assert.match(await status(frame).innerText(), /epoch 3\/3, batch/);
  // The loss chart draws the checkpoint's epochs 1 and 2 before this run's 3, and marks the best, epoch 1, as a fresh
  // run's; the table lists the same epochs, the best in bold (QA: it listed epoch 3 alone, the best row nowhere),
  // with the time the checkpoint kept for its epochs.
  const facts = await chartFacts(frame);
  assert.equal(facts.loss?.xScale, '0,3');
  assert.ok((facts.loss?.series.val_loss?.pixels ?? 0) > 0, JSON.stringify(facts));
  assert.equal(await frame.locator('.nn-training-best').innerText(), 'Best: val_loss lowest at epoch 1 (0.001), marked on the loss chart.');
  assert.equal(await frame.locator('.nn-training-loss').getAttribute('data-best-epoch'), '1');
  const rows = await epochRows(frame);
  assert.deepEqual(rows.map((r) => r.epoch), ['1', '2', '3'], JSON.stringify(rows));
  assert.equal(rows[0].val_loss, '0.0010');
  for (const r of rows) assert.match(r.time, /^\d+\.\d s$/, JSON.stringify(r));
  assert.deepEqual(await frame.locator('.nn-training-table tr[data-best="true"] td').first().innerText(), '1');
  // The cursor on a batch of epoch 3 (x between 2 and 3): the legend gives loss and val_loss of the nearest epoch, not
  // blanks (QA: values only with the cursor exactly on an epoch).
  const legend = (await frame.evaluate(`(() => {
    const over = document.querySelector('.nn-training-loss .u-over');
    over.scrollIntoView({ block: 'center' });
    const r = over.getBoundingClientRect();
    const at = { clientX: r.left + r.width * (2.35 / 3), clientY: r.top + r.height / 2, bubbles: true, view: window };
    over.dispatchEvent(new MouseEvent('mouseenter', at));
    over.dispatchEvent(new MouseEvent('mousemove', at));
    const values = {};
    for (const row of document.querySelectorAll('.nn-training-loss .u-legend .u-series')) values[row.querySelector('.u-label').textContent] = row.querySelector('.u-value').textContent;
    over.dispatchEvent(new MouseEvent('mouseleave', at));
    return values;
  })()`)) as Record<string, string>;
  const x = Number(legend.epoch);
  assert.ok(x > 2 && x < 3 && !Number.isInteger(x), `the cursor on a batch of epoch 3: ${JSON.stringify(legend)}`);
  for (const label of ['loss', 'val_loss']) assert.match(legend[label] ?? '', /^\d/, `${label} shows the nearest epoch's value: ${JSON.stringify(legend)}`);
  // Signal & gradients of the continued run: its epoch, and what it does not have (the CLI measured the checkpoint's
  // epochs, a checkpoint keeps no measurements), said under the caption that promises an initial line.
  const signals = frame.locator('.nn-signals');
  await poll('the continued run\'s Signal & gradients', async () => (await signals.getAttribute('data-shows')) === 'run', { timeout: 30_000, seen: async () => `${await signals.getAttribute('data-shows')}` });
  assert.equal(
    await frame.locator('.nn-signals-missing').innerText(),
    'Continued from the checkpoint of epoch 2: the initial weights and epochs 1–2 were measured by the run that trained it, and a checkpoint does not keep them.',
  );
  // At rest, the legend of Signal & gradients lists its lines, not the x series ("layer"), as the loss chart's does.
  const idle = (await frame.evaluate(`[...document.querySelectorAll('.nn-signals-gradient .u-legend .u-series, .nn-training-loss .u-legend .u-series')]
    .filter((r) => getComputedStyle(r).display !== 'none').map((r) => r.querySelector('.u-label').textContent)`)) as string[];
  assert.ok(!idle.includes('layer') && !idle.includes('epoch'), `legends at rest: ${JSON.stringify(idle)}`);
  assert.ok(idle.includes('epoch 3'), `legends at rest: ${JSON.stringify(idle)}`);
  await wb.screenshot('continued-best');
  // Load Weights of the checkpoint this run wrote: the tab shows the loaded weights (their history, the same epochs)
  // and the Signal & gradients of the run that trained them stay (QA: only "Measure at initialisation" was left).
  await wb.runCommand('View: Focus First Editor Group');
  await wb.runCommand('nnmodel: Load Weights', { opensInput: true });
  const lastCk = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'the last epoch trained' }).first();
  await wb.step('load the last checkpoint', async () => {
    await lastCk.waitFor({ timeout: 30_000 });
    await wb.chooseRow(lastCk);
  });
  await poll('the Training tab on the loaded weights', async () => (await frame.locator('.nn-training').getAttribute('data-shows')) === 'weights' && (await status(frame).getAttribute('data-status')) === 'loaded', {
    timeout: 60_000,
    seen: async () => `${await frame.locator('.nn-training').getAttribute('data-shows')} | ${await status(frame).innerText()}`,
  });
  assert.deepEqual((await epochRows(frame)).map((r) => r.epoch), ['1', '2', '3']);
  await poll('Signal & gradients of the run that trained them', async () => (await signals.getAttribute('data-shows')) === 'run', { timeout: 30_000, seen: async () => `${await signals.getAttribute('data-shows')}` });
  await wb.screenshot('continued-back');
});

/** The text the small GPT trains on. */
const TINY_TEXT = readFileSync(join(env.repo, 'examples/data/tiny.txt'), 'utf8').slice(0, 900);

e2eTest('the small GPT lowers its loss on a text file; the attention view and Generate Text use its tokeniser', {
  // Two epochs over the first 900 characters of tiny.txt keep this to minutes on 2 cores.
  files: workspaceFiles({
    'data/tiny.txt': TINY_TEXT,
    // A name quick open cannot confuse with gpt2_small.nnmodel (which it imports).
    'tinygpt.nnmodel': readFileSync(join(env.repo, 'examples/gpt_small.nnmodel'), 'utf8').replace(/epochs: \d+/, 'epochs: 2'),
  }),
  timeout: 1_200_000,
}, async (wb, t) => {
  const frame = await openTrainingTab(wb, 'tinygpt.nnmodel');
  await wb.runCommand('nnmodel: Train Model');
  const rows = await wb.step('two epochs', () =>
    poll('2 epochs and the run done', async () => {
      const r = await epochRows(frame);
      return r.length === 2 && (await status(frame).getAttribute('data-status')) === 'completed' ? r : undefined;
    }, { timeout: 1_000_000, interval: 3000, seen: async () => `${await status(frame).innerText()} | ${await wb.notificationText()}` }),
  );
  t.diagnostic(`epochs: ${rows.map((r) => `loss ${r.loss} ${r.time}`).join('; ')}`);
  assert.equal(await frame.locator('.nn-training-where').getAttribute('data-where'), 'worker', 'the GPT trains in a worker too');
  assert.ok(Number(rows[1].loss) < Number(rows[0].loss), `loss ${rows[0].loss} → ${rows[1].loss}`);
  assert.ok(Number(rows[0].loss) < Math.log(64), 'below the loss of a uniform guess over 64 tokens');
  // Typed text reaches the trained model through the training text's tokeniser (its alphabet), not a default one.
  await frame.locator('vscode-tab-header[data-tab="attention"]').click();
  const info = frame.locator('#nn-panel-attention .nn-note').first();
  const ids = await wb.step('attention on the training tokeniser', () =>
    poll("the attention view on the training text's tokeniser", async () => /char tokeniser of the training text: (\d+) characters \+ unknown/.exec(await info.innerText())?.[1], {
      timeout: 60_000,
      seen: () => info.innerText(),
    }),
  );
  assert.equal(Number(ids), new Set(Array.from(TINY_TEXT)).size, 'one id per character of the text (and the unknown token)');
  // The inspector has the focus; the command uses the one visible .nnmodel editor.
  const input = await generateTextPrompt(wb, 'e.g. Little lamp');
  await input.fill('Little lamp');
  await wb.page.keyboard.press('Enter');
  const output = wb.page.locator('.panel .monaco-editor .view-lines');
  const text = await wb.step('generated text', () =>
    poll('generated text after the prompt in the output', async () => {
      const t = (await output.innerText().catch(() => '')).replace(/\u00a0/g, ' ');
      const at = t.indexOf('Little lamp');
      return at >= 0 && t.length - at > 'Little lamp'.length + 40 ? t.slice(at) : undefined;
    }, { timeout: 180_000, seen: () => output.innerText().catch(() => '') }),
  );
  assert.match(text, /^Little lamp[\s\S]{40,}/);
  assert.match((await output.innerText()).replace(/\u00a0/g, ' '), /generate with \w+ \(best checkpoint, temperature/);
});

e2eTest('Train Model on the encoder-decoder TinyTransformer: two inputs by teacher forcing, val accuracy > 0.9, the attention view on both inputs', {
  files: {
    '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2),
    // The example as shipped: its train section reverses sequences of 8 tokens.
    'transformer.nnmodel': readFileSync(join(env.repo, 'examples/transformer.nnmodel'), 'utf8'),
  },
  timeout: 900_000,
}, async (wb, t) => {
  const frame = await openTrainingTab(wb, 'transformer.nnmodel');
  await wb.runCommand('nnmodel: Train Model');
  const rows = await wb.step('three epochs', () =>
    poll('3 epochs in the table and the run done', async () => {
      const r = await epochRows(frame);
      const s = await status(frame).getAttribute('data-status');
      if (s === 'failed') throw new Error(`the run failed: ${await status(frame).innerText()}`);
      return r.length === 3 && s === 'completed' ? r : undefined;
    }, { timeout: 780_000, interval: 2000, seen: async () => `${await status(frame).innerText()} | ${await wb.notificationText()}` }),
  );
  t.diagnostic(`epochs: ${rows.map((r) => JSON.stringify(r)).join('; ')}`);
  assert.equal(await frame.locator('.nn-training-where').getAttribute('data-where'), 'worker', 'the encoder-decoder trains in the worker');
  const acc = Number(rows[2].val_accuracy);
  assert.ok(acc > 0.9, `val accuracy per position after 3 epochs: ${JSON.stringify(rows[2])}`);
  assert.equal(checkpointEpoch(wb, '.nnmodel/transformer/TinyTransformer/model.json'), 3);
  // The attention view feeds the trained model both inputs (ids typed in two boxes) and draws every layer.
  await frame.locator('vscode-tab-header[data-tab="attention"]').click();
  const boxes = frame.locator('#nn-panel-attention input.nn-attn-text');
  await wb.step('attention view with two inputs', () =>
    poll('a box per input and heatmaps for 2 encoder + 2×2 decoder attention layers', async () => (await boxes.count()) === 2 && (await frame.locator('#nn-panel-attention section.nn-attn-layer').count()) === 6, {
      timeout: 60_000,
      seen: async () => frame.locator('#nn-panel-attention').innerText(),
    }),
  );
  // Decode: the decoder's box gets the start token and the model's own answer; the trained model reverses the source.
  const source = (await boxes.nth(0).inputValue()).trim().split(/\s+/);
  await frame.locator('#nn-panel-attention button.nn-attn-decode').click();
  const answer = await wb.step('decoded answer', () =>
    poll('the answer after Decode', async () => /^answer: ([\d ]+)$/.exec(await frame.locator('#nn-panel-attention .nn-attn-answer').innerText())?.[1].split(' '), {
      timeout: 30_000,
      seen: () => frame.locator('#nn-panel-attention .nn-attn-answer').innerText(),
    }),
  );
  t.diagnostic(`source ${source.join(' ')} → answer ${answer.join(' ')}`);
  const reversed = [...source].reverse();
  assert.equal(answer.length, source.length);
  assert.ok(answer.filter((tok, i) => tok === reversed[i]).length >= source.length - 1, `answer ${answer.join(' ')} for ${source.join(' ')}`);
  assert.equal(await boxes.nth(1).inputValue(), ['0', ...answer.slice(0, -1)].join(' '));
  // With the decoder's cross-attention switched off (every head), Decode answers with the model the view shows,
  // which no longer reads the source: another answer, labelled with the heads that were off.
  const answerEl = frame.locator('#nn-panel-attention .nn-attn-answer');
  assert.equal(await answerEl.getAttribute('data-off'), '0');
  const sections = frame.locator('#nn-panel-attention section.nn-attn-layer');
  const cross = (await sections.allInnerTexts()).flatMap((text, i) => (text.includes('cross-attention') ? [i] : []));
  assert.equal(cross.length, 2, 'two cross-attention layers');
  for (const layer of cross) {
    for (let head = 0; head < 4; head++) {
      const off = frame.locator(`#nn-panel-attention button.nn-attn-head-toggle[data-layer="${layer}"][data-head="${head}"]`);
      await off.click();
      await poll(`layer ${layer + 1} head ${head + 1} off`, async () => (await off.getAttribute('aria-checked')) === 'false', { timeout: 30_000 });
    }
  }
  assert.equal(await frame.locator('#nn-panel-attention .nn-attn-ablation').getAttribute('data-off'), '8');
  await frame.locator('#nn-panel-attention button.nn-attn-decode').click();
  const label = `with heads 1, 2, 3, 4 of layer ${cross[0] + 1} and heads 1, 2, 3, 4 of layer ${cross[1] + 1} off`;
  const ablated = await wb.step('decoded answer with the cross-attention off', () =>
    poll('the labelled answer after Decode', async () => {
      const m = /^answer: ([\d ]+) \((.*)\)$/.exec(await answerEl.innerText());
      return m && m[2] === label ? m[1].split(' ') : undefined;
    }, { timeout: 30_000, seen: () => answerEl.innerText() }),
  );
  t.diagnostic(`${label}: answer ${ablated.join(' ')}`);
  // Generate Text on the encoder-decoder: greedy decoding of five drawn sources, as `nnmodel generate`, in the output.
  await generateTextPrompt(wb, 'e.g. 3 1 4 1 5 9 2 6');
  await wb.page.keyboard.press('Enter');
  const output = wb.page.locator('.panel .monaco-editor .view-lines');
  const decoded = await wb.step('decoded answers in the output', () =>
    poll('the answers and their count', async () => /(\d) of 5 answers right; (\d+) of 40 tokens/.exec((await output.innerText().catch(() => '')).replace(/\u00a0/g, ' ')), {
      timeout: 120_000,
      seen: () => output.innerText().catch(() => ''),
    }),
  );
  t.diagnostic(decoded[0]);
  assert.ok(Number(decoded[1]) >= 4, decoded[0]);
  assert.match((await output.innerText()).replace(/\u00a0/g, ' '), /^answer {4}[\d ]+ {3}right$/m);
  assert.equal(await answerEl.getAttribute('data-off'), '8');
  assert.equal(ablated.length, source.length);
  assert.notDeepEqual(ablated, answer, 'the model without its cross-attention gives another answer');
  assert.equal(await boxes.nth(1).inputValue(), ['0', ...ablated.slice(0, -1)].join(' '));
});

e2eTest('Train Model on the bidirectional LSTM of bilstm_reverse: it learns to reverse past the one-way ceiling (val accuracy > 0.75 in 10 epochs) in the worker, writes both directions to its checkpoint, and Feature maps say which channels read which way', {
  files: {
    '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2),
    // The example's bidirectional model and its train section only (one train section: no model to pick), at 10 epochs.
    'bilstm.nnmodel': (() => {
      const text = readFileSync(join(env.repo, 'examples/bilstm_reverse.nnmodel'), 'utf8');
      const model = /model BiReverse \{[\s\S]*?\n\}\n/.exec(text)![0];
      const train = /train BiReverse \{[\s\S]*?\n\}\n/.exec(text)![0];
      return `${model}\n${train.replace(/epochs: \d+/, 'epochs: 10')}`;
    })(),
  },
  timeout: 900_000,
}, async (wb, t) => {
  const frame = await openTrainingTab(wb, 'bilstm.nnmodel');
  await wb.runCommand('nnmodel: Train Model');
  const rows = await wb.step('ten epochs', () =>
    poll('10 epochs in the table and the run done', async () => {
      const r = await epochRows(frame);
      const s = await status(frame).getAttribute('data-status');
      if (s === 'failed') throw new Error(`the run failed: ${await status(frame).innerText()}`);
      return r.length === 10 && s === 'completed' ? r : undefined;
    }, { timeout: 780_000, interval: 2000, seen: async () => `${await status(frame).innerText()} | ${await wb.notificationText()}` }),
  );
  t.diagnostic(`epochs: ${rows.map((r) => JSON.stringify(r)).join('; ')}`);
  assert.equal(await frame.locator('.nn-training-where').getAttribute('data-where'), 'worker');
  // A one-way LSTM gets the second half right and guesses the first: about 0.53 here.
  const acc = Number(rows[9].val_accuracy);
  assert.ok(acc > 0.75, `val accuracy after 10 epochs: ${JSON.stringify(rows[9])}`);
  const manifest = JSON.parse(readFileSync(wb.path('.nnmodel/bilstm/BiReverse/model.json'), 'utf8')) as { weightsManifest: { weights: { name: string }[] }[] };
  const names = manifest.weightsManifest.flatMap((g) => g.weights.map((w) => w.name.slice(w.name.lastIndexOf('/') + 1)));
  for (const w of ['kernel', 'recurrent_kernel', 'bias', 'backward_kernel', 'backward_recurrent_kernel', 'backward_bias']) assert.ok(names.includes(w), `${w} in ${names.join(', ')}`);
  // Feature maps: the lstm's strip says which channels read which way, and its cells say so from the keyboard.
  await openTab(wb, frame, 'featureMaps');
  const lstm = frame.locator('#nn-panel-featureMaps .nn-fm-layer[data-op="lstm"]').first();
  await wb.step('lstm strip', () => lstm.waitFor({ timeout: 90_000 }));
  assert.match(await lstm.locator('.nn-fm-detail').innerText(), /\[8, 128\] · channels 0–63 read forward, 64–127 backward/);
  const strip = lstm.locator('canvas.nn-fm-strip');
  await strip.focus();
  // The first key puts the cursor on channel 0, step 0; down once more: channel 1, a forward unit.
  for (const key of ['ArrowDown', 'ArrowDown']) await wb.page.keyboard.press(key);
  const live = frame.locator('#nn-panel-featureMaps .nn-cell-live');
  const read = await wb.step('channel 1 announced', () =>
    poll('channel 1 announced as a forward unit', async () => (await live.allInnerTexts()).find((x) => /^channel 1 \(forward, unit 1\) · /.test(x)), {
      timeout: 15_000,
      seen: async () => (await live.allInnerTexts()).join(' | '),
    }),
  );
  t.diagnostic(read);
});

e2eTest('a run whose CSV fails to read closes its progress notification at once, and the next Train Model starts', {
  files: {
    '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2),
    // Row 3 has a value that is not a number.
    'data/bad.csv': 'a,b,label\n1,2,x\n3,notanumber,y\n4,5,x\n',
    'badcsv.nnmodel': `model BadCsv {
  input f: [2]
  output f -> dense(2) -> softmax
}

train BadCsv {
  data: csv("data/bad.csv")
  epochs: 1
}
`,
    'small.nnmodel': `model Small {
  input x: [12, 12, 1]
  output x -> flatten -> dense(10) -> softmax
}

train Small {
  data: digits(samples = 200, size = 12)
  epochs: 1
  batch: 32
}
`,
  },
  timeout: 400_000,
}, async (wb, t) => {
  // The cursor at the top of the file is in BadCsv: Train Model takes it without asking.
  await wb.openFile('badcsv.nnmodel');
  await wb.runCommand('nnmodel: Train Model');
  await wb.step('the data error', () =>
    poll('the error about row 3 of data/bad.csv', async () => /Training BadCsv: data\/bad\.csv:3:\d+: .*notanumber/.test(await wb.notificationText()), {
      timeout: 60_000,
      seen: () => wb.notificationText(),
    }),
  );
  // The error stays up (nobody dismisses it); the progress notification must not.
  await wb.step('progress closed', () =>
    poll('the "Training BadCsv: reading …" progress to close', async () => !/reading data\/bad\.csv/.test(await wb.notificationText()), {
      timeout: 10_000,
      seen: () => wb.notificationText(),
    }),
  );
  assert.match(await wb.notificationText(), /notanumber/, 'the error is still shown');
  await wb.screenshot('badcsv-error-only');
  // The next run starts at once, in another file, without touching the error.
  await wb.openFile('small.nnmodel');
  await wb.runCommand('nnmodel: Train Model');
  const seen = await wb.step('the next run', () =>
    poll('the "Training Small" progress', async () => {
      const n = await wb.notificationText();
      return /Training Small/.test(n) ? n : undefined;
    }, { timeout: 120_000, seen: () => wb.notificationText() }),
  );
  t.diagnostic(`after the failed run: ${seen}`);
  assert.doesNotMatch(seen, /is already (running|training|asking)/);
  await wb.step('the next run ends', () =>
    poll('the "Trained Small." notification', async () => /Trained Small\./.test(await wb.notificationText()), {
      timeout: 240_000,
      seen: () => wb.notificationText(),
    }),
  );
});

/**
 * Runs Generate Text, answers its checkpoint question with the first choice
 * (the best checkpoint: training held out validation data, so there is one
 * beside the last) and waits for the prompt box with `placeholder`; returns
 * the box.
 */
async function generateTextPrompt(wb: Workbench, placeholder: string): Promise<Locator> {
  await wb.runCommand('nnmodel: Generate Text', { opensInput: true });
  const input = wb.page.locator('.quick-input-widget input');
  await poll('the checkpoint question', async () => /which checkpoint to generate text with\?/.test((await input.getAttribute('placeholder').catch(() => null)) ?? ''), {
    timeout: 30_000,
    seen: async () => (await input.getAttribute('placeholder').catch(() => null)) ?? '',
  });
  await wb.page.keyboard.press('Enter');
  await poll('the prompt box', async () => (await input.getAttribute('placeholder').catch(() => null)) === placeholder, { timeout: 30_000 });
  return input;
}
