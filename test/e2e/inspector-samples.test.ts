// The inspector's Samples tab in the real VS Code (code-server): the small
// diffusion example's reverse process (Generate: one row of snapshots per
// image, t = 999 … x̂₀, read back from the canvases: not blank), New noise
// replacing it, and no Samples tab for a model that is not generative.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { e2eTest, env, poll, positionOf, openInspector } from './harness';
import { canvasStats, type PageCanvas } from './canvas';

const WASM = { '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2) };



/** Largest difference of one channel between two canvases of the same size (Infinity when the sizes differ). */
async function maxPixelDiff(a: Locator, b: Locator): Promise<number> {
  const read = (l: Locator) =>
    l.evaluate((el) => {
      const c = el as unknown as PageCanvas;
      return { w: c.width, h: c.height, d: Array.from(c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? []) };
    });
  const [x, y] = [await read(a), await read(b)];
  if (x.w !== y.w || x.h !== y.h || x.d.length !== y.d.length) return Infinity;
  return x.d.reduce((m, v, i) => Math.max(m, Math.abs(v - y.d[i])), 0);
}

e2eTest('Samples tab: the diffusion example generates its reverse process, 8 snapshots per image from t = 999 to x̂₀', { files: WASM, timeout: 300_000 }, async (wb) => {
  const frame = await openInspector(wb, 'diffusion_digits.nnmodel');
  const text = wb.readFile('diffusion_digits.nnmodel');
  const samples = Number(/loss:\s*denoise\([^)]*samples\s*=\s*(\d+)/.exec(text)?.[1]);
  assert.ok(samples > 0, 'the example says how many samples');

  const header = frame.locator('vscode-tab-header[data-tab="samples"]');
  await wb.step('tab samples', async () => {
    await poll('the Samples tab to be offered', () => header.isVisible());
    await header.click();
    await poll('the samples panel to be shown', () => frame.locator('#nn-panel-samples').isVisible());
  });
  const view = frame.locator('#nn-panel-samples .nn-gen-view');
  await poll('the view', async () => (await view.getAttribute('data-state')) === 'idle', { seen: async () => String(await view.getAttribute('data-state')) });
  assert.match(await frame.locator('#nn-panel-samples .nn-gen-weights').innerText(), /^Initial \(untrained, random\) weights/);

  await wb.step('generate', async () => {
    await frame.locator('#nn-panel-samples vscode-button.nn-gen-generate').click();
    await poll('the reverse process drawn', async () => (await view.getAttribute('data-state')) === 'done', {
      timeout: 180_000,
      seen: async () => `${await view.getAttribute('data-state')}: ${await frame.locator('#nn-panel-samples .nn-toolbar-status').innerText()}`,
    });
  });
  const rows = frame.locator('#nn-panel-samples figure.nn-gen-process');
  assert.equal(await rows.count(), samples, `one row per image (${samples})`);
  const captions = await rows.first().locator('.nn-sample-caption').allInnerTexts();
  assert.equal(captions.length, 8, `8 snapshots: ${captions}`);
  assert.equal(captions[0], 't = 999');
  assert.equal(captions[7], 't = 0 (x̂₀)');
  const ts = captions.map((c) => Number(/^t = (\d+)/.exec(c)?.[1]));
  assert.ok(ts.every((t, i) => Number.isInteger(t) && (i === 0 || t <= ts[i - 1])), `captions count down: ${captions}`);

  const stats = await canvasStats(frame.locator('#nn-panel-samples canvas.nn-gen-image'));
  assert.equal(stats.length, samples * 8);
  assert.ok(stats.every((s) => s.width >= 64 && s.height >= 64), 'scaled up to at least 64 px');
  // Column 0 is the starting noise: grey values all over the place.
  const noise = stats.filter((_, i) => i % 8 === 0);
  assert.ok(noise.every((s) => s.distinct > 20 && s.variance > 100), `noise snapshots: ${JSON.stringify(noise.slice(0, 2))}`);
  const drawn = stats.filter((s) => s.distinct >= 2);
  assert.ok(drawn.length * 2 >= stats.length, `most snapshots drawn, not blank: ${drawn.length} of ${stats.length}`);
  const ms = Number(await view.getAttribute('data-ms'));
  console.log(`[samples] ${samples} images × 50 DDIM steps on the page's WASM: ${ms} ms`);

  // Each row fits the panel, its last image, x̂₀, in view: at the default width, and in a narrower window.
  for (const width of [1400, 900]) {
    await wb.page.setViewportSize({ width, height: 900 });
    let last = '';
    const seen = await poll(`rows that fit at a ${width} px window`, async () => {
      const s = await rows.evaluateAll((els) => {
        // The part of the page's elements the check reads (the tests compile without the DOM library).
        interface Box {
          getBoundingClientRect(): { left: number; right: number; width: number };
          querySelectorAll(s: string): Iterable<Box>;
          scrollWidth: number;
          clientWidth: number;
        }
        const page = (globalThis as unknown as { document: { documentElement: { clientWidth: number } } }).document.documentElement.clientWidth;
        return els.map((el) => {
          const row = [...(el as unknown as Box).querySelectorAll('.nn-samples-row')][0];
          const images = [...row.querySelectorAll('canvas')].map((c) => c.getBoundingClientRect());
          const last = images[images.length - 1];
          return { page, overflow: row.scrollWidth - row.clientWidth, lastRight: last.right, smallest: Math.min(...images.map((b) => b.width)) };
        });
      });
      last = JSON.stringify(s.slice(0, 2));
      return s.every((r) => r.overflow <= 1 && r.lastRight <= r.page + 1 && r.smallest >= 32) ? s : undefined;
    }, { seen: () => last });
    console.log(`[samples] window ${width} px: panel ${seen[0].page} px, x̂₀ ends at ${seen[0].lastRight.toFixed(0)} px, images ≥ ${seen[0].smallest.toFixed(0)} px`);
    await wb.screenshot(`samples-fit-${width}`);
  }
  await wb.page.setViewportSize({ width: 1400, height: 900 });

  // New noise: another seed, other images.
  const before = await frame.locator('#nn-panel-samples canvas.nn-gen-image').first().screenshot();
  await wb.step('new noise', async () => {
    await frame.locator('#nn-panel-samples vscode-button.nn-gen-new').click();
    await poll('a new run', async () => /seed 2/.test(await frame.locator('#nn-panel-samples .nn-toolbar-status').innerText()) && (await view.getAttribute('data-state')) === 'done', {
      timeout: 180_000,
      seen: () => frame.locator('#nn-panel-samples .nn-toolbar-status').innerText(),
    });
  });
  const after = await frame.locator('#nn-panel-samples canvas.nn-gen-image').first().screenshot();
  assert.ok(!before.equals(after), 'new noise draws another starting image');
  await wb.screenshot('samples-reverse-process');
});

e2eTest('Samples tab: the GAN example draws G of z and the latent walk from z₀ to z₁; a model that is not generative has no Samples tab', { files: WASM, timeout: 300_000 }, async (wb) => {
  const frame = await openInspector(wb, 'gan_digits.nnmodel');
  const text = wb.readFile('gan_digits.nnmodel');
  const samples = Number(/loss:\s*adversarial\([^)]*samples\s*=\s*(\d+)/.exec(text)?.[1]);
  assert.ok(samples > 1, 'the example says how many samples');
  const header = frame.locator('vscode-tab-header[data-tab="samples"]');
  await wb.step('tab samples', async () => {
    await poll('the Samples tab to be offered', () => header.isVisible());
    await header.click();
  });
  const view = frame.locator('#nn-panel-samples .nn-gen-view');
  const status = frame.locator('#nn-panel-samples .nn-toolbar-status');
  await poll('the images', async () => (await view.getAttribute('data-state')) === 'done', { timeout: 60_000, seen: () => status.innerText() });
  assert.equal(await view.getAttribute('data-kind'), 'gan');
  const grid = await canvasStats(frame.locator('#nn-panel-samples figure.nn-gen-grid canvas.nn-gen-image'));
  assert.equal(grid.length, samples);
  assert.ok(grid.every((s) => s.distinct >= 2 && s.variance > 0), `G(z) drawn: ${JSON.stringify(grid.slice(0, 2))}`);
  const walk = frame.locator('#nn-panel-samples figure.nn-gen-walk');
  assert.deepEqual(await walk.locator('.nn-sample-caption').allInnerTexts(), ['z₀', '14 %', '29 %', '43 %', '57 %', '71 %', '86 %', 'z₁']);
  const walkStats = await canvasStats(walk.locator('canvas.nn-gen-image'));
  assert.equal(walkStats.length, 8);
  // The walk starts and ends at the grid's first two images (to a byte's rounding: another batch size may sum in another order), and differs in between.
  const gridCanvas = frame.locator('#nn-panel-samples figure.nn-gen-grid canvas');
  const walkCanvas = walk.locator('canvas');
  assert.ok((await maxPixelDiff(walkCanvas.first(), gridCanvas.first())) <= 2, 'the walk starts at z₀, the first grid image');
  assert.ok((await maxPixelDiff(walkCanvas.last(), gridCanvas.nth(1))) <= 2, 'the walk ends at z₁, the second grid image');
  assert.ok((await maxPixelDiff(walkCanvas.nth(4), gridCanvas.first())) > 2, 'the middle of the walk is another image');
  await wb.step('new noise', async () => {
    await frame.locator('#nn-panel-samples vscode-button.nn-gen-new').click();
    await poll('a new seed', async () => /seed 2/.test(await status.innerText()), { seen: () => status.innerText() });
  });
  await wb.screenshot('samples-gan');

  await wb.openFile('lenet5.nnmodel');
  await wb.step('no Samples tab for LeNet5', () =>
    poll('the Samples tab hidden and another tab shown', async () => (await frame.locator('#nn-title').innerText()) === 'LeNet5' && !(await header.isVisible()) && (await frame.locator('#nn-panel-graph').isVisible()), {
      seen: async () => `${await frame.locator('#nn-title').innerText()} samples visible=${await header.isVisible()}`,
    }),
  );
  // Out of the DOM, not just hidden: vscode-tabs moves the focus by index over every header it has.
  assert.equal(await header.count(), 0, 'no Samples header in the DOM');
  await wb.step('keyboard: ArrowRight from Training', async () => {
    // The LeNet5 editor may lie over the webview: events straight to the headers, as a click and a key press send them.
    const training = frame.locator('vscode-tab-header[data-tab="training"]');
    await training.dispatchEvent('click');
    await poll('the Training tab selected', async () => (await frame.locator('vscode-tabs').getAttribute('selected-index')) === '5' || (await training.getAttribute('aria-selected')) === 'true');
    await training.focus();
    await training.dispatchEvent('keydown', { key: 'ArrowRight', bubbles: true, composed: true });
    type El = { tagName: string; dataset: Record<string, string | undefined>; getClientRects(): { length: number } };
    const focused = () => frame.evaluate(() => {
      const a = (globalThis as unknown as { document: { activeElement: El | null } }).document.activeElement;
      return a && a.tagName.toLowerCase() === 'vscode-tab-header' ? { tab: a.dataset.tab ?? '', visible: a.getClientRects().length > 0 } : undefined;
    });
    const f = await poll('a tab header focused', focused, { seen: async () => JSON.stringify(await focused()) });
    assert.equal(f.tab, 'graph', 'ArrowRight from the last visible tab wraps to the Graph');
    assert.ok(f.visible, 'the focused header is visible');
  });
});

/** The diffusion example made quick to train: 200 digits, one epoch, 4 samples in 10 steps. */
const TINY_DIFFUSION = readFileSync(join(env.repo, 'examples/diffusion_digits.nnmodel'), 'utf8')
  .replace(/digits\(samples = \d+/, 'digits(samples = 200')
  .replace(/samples = 16, sample_steps = 50/, 'samples = 4, sample_steps = 10')
  .replace(/epochs: \d+/, 'epochs: 1');

e2eTest('Samples tab: a diffusion model with a checkpoint on disk generates with its trained weights and says so', { files: { ...WASM, 'tinydiff.nnmodel': TINY_DIFFUSION }, timeout: 300_000 }, async (wb) => {
  assert.match(TINY_DIFFUSION, /samples = 4, sample_steps = 10/);
  const r = spawnSync(process.execPath, [join(env.repo, 'dist/cli.js'), 'train', wb.path('tinydiff.nnmodel'), '--backend', 'wasm'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const frame = await openInspector(wb, 'tinydiff.nnmodel');
  await poll('the checkpoint loaded', async () => (await frame.locator('body').getAttribute('data-trained-epoch')) === '1', { timeout: 60_000 });
  await frame.locator('vscode-tab-header[data-tab="samples"]').click();
  const view = frame.locator('#nn-panel-samples .nn-gen-view');
  await poll('the view', async () => (await view.getAttribute('data-state')) === 'idle');
  assert.equal(await frame.locator('#nn-panel-samples .nn-gen-weights').innerText(), 'Trained weights of epoch 1, from the checkpoint in .nnmodel/tinydiff/DigitDiffusion.');
  await frame.locator('#nn-panel-samples vscode-button.nn-gen-generate').click();
  await poll('the reverse process drawn', async () => (await view.getAttribute('data-state')) === 'done', { timeout: 120_000 });
  const rows = frame.locator('#nn-panel-samples figure.nn-gen-process');
  assert.equal(await rows.count(), 4);
  // 10 sampler steps: 11 states, 8 of them shown, from t = 999 to x̂₀.
  const captions = await rows.first().locator('.nn-sample-caption').allInnerTexts();
  assert.equal(captions.length, 8);
  assert.equal(captions[0], 't = 999');
  assert.equal(captions[7], 't = 0 (x̂₀)');
  const stats = await canvasStats(frame.locator('#nn-panel-samples canvas.nn-gen-image'));
  assert.equal(stats.length, 32);
  assert.ok(stats.filter((s) => s.distinct >= 2).length * 2 >= stats.length, 'snapshots drawn');
  await wb.screenshot('samples-trained');
});

/** The diffusion example sampled slowly (32 images in 400 steps, about 16 times the example's work): a run that is still going when Stop is pressed. */
const SLOW_DIFFUSION = readFileSync(join(env.repo, 'examples/diffusion_digits.nnmodel'), 'utf8').replace(/samples = 16, sample_steps = 50/, 'samples = 32, sample_steps = 400');

e2eTest('Samples tab: Generate turns into Stop while running; an error typed in the model clears the view and says to fix it', { files: { ...WASM, 'slowdiff.nnmodel': SLOW_DIFFUSION }, timeout: 300_000 }, async (wb) => {
  assert.match(SLOW_DIFFUSION, /samples = 32, sample_steps = 400/);
  const frame = await openInspector(wb, 'slowdiff.nnmodel');
  const header = frame.locator('vscode-tab-header[data-tab="samples"]');
  await poll('the Samples tab to be offered', () => header.isVisible());
  await header.click();
  const view = frame.locator('#nn-panel-samples .nn-gen-view');
  const status = frame.locator('#nn-panel-samples .nn-toolbar-status');
  const generate = frame.locator('#nn-panel-samples vscode-button.nn-gen-generate');
  await poll('the view', async () => (await view.getAttribute('data-state')) === 'idle');
  await wb.step('generate, then stop', async () => {
    await generate.click();
    await poll('a run in flight, its button Stop', async () => (await view.getAttribute('data-state')) === 'running' && (await generate.innerText()).trim() === 'Stop', {
      seen: async () => `${await view.getAttribute('data-state')} ${await generate.innerText()}`,
    });
    assert.equal(await view.getAttribute('aria-busy'), 'true');
    // The step counter is not in the live region: only start and result are announced.
    assert.doesNotMatch(await status.innerText(), /step \d+ of/);
    await poll('the step counter', async () => /^step \d+ of 400$/.test(await frame.locator('#nn-panel-samples .nn-gen-progress').innerText()));
    await generate.click();
    await poll('the run stopped', async () => (await view.getAttribute('data-state')) === 'stopped' && (await generate.innerText()).trim() === 'Generate', {
      seen: async () => `${await view.getAttribute('data-state')} ${await generate.innerText()}: ${await status.innerText()}`,
    });
    assert.equal(await view.getAttribute('aria-busy'), null);
  });
  await wb.step('an error in the model', async () => {
    // The click in the webview made the inspector the active editor: back to the text editor for Go to Line.
    await wb.page.locator('.tabs-container .tab', { hasText: 'slowdiff.nnmodel' }).first().click();
    const at = positionOf(wb.readFile('slowdiff.nnmodel'), 'dense(64)');
    await wb.goTo(at.line, at.column + 'dense('.length);
    await wb.type('nosuchname');
    const panel = frame.locator('#nn-panel-samples');
    await poll('the errors message in the Samples tab', async () => (await panel.innerText()).includes('Fix the errors in the model to run it.'), {
      timeout: 60_000,
      seen: () => panel.innerText(),
    });
    assert.equal(await generate.count(), 0, 'no Generate button on a model with errors');
  });
});
