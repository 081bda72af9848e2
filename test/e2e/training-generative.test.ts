// A generative objective's images in the inspector's Training tab, in the
// real VS Code (code-server): Train Model on a tiny noise predictor
// (`loss: denoise`) draws the forward strip once ("how the data is noised:
// t = 0 … 99") and the generated strip of each epoch, on canvases scaled up
// by nearest neighbour, with a slider (keyboard) back to earlier epochs.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { e2eTest, env, openTrainingTab, poll } from './harness';
import { TINY_DENOISER } from '../fixtures/generative';

const status = (frame: Frame) => frame.locator('.nn-training-status');

interface Drawn {
  width: number;
  height: number;
  cssWidth: number;
  /** Distinct grey levels (red channel) in the canvas: 1 for a blank one. */
  levels: number;
  label: string;
}

/** What each canvas of `selector` holds, read back from its pixels. */
function drawn(frame: Frame, selector: string): Promise<Drawn[]> {
  return frame.locator(selector).evaluateAll((els) =>
    els.map((el) => {
      // Typed structurally: the e2e tests compile without the DOM's types.
      const c = el as unknown as {
        width: number;
        height: number;
        getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
        getBoundingClientRect(): { width: number };
        getAttribute(name: string): string | null;
      };
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const levels = new Set<number>();
      for (let i = 0; i < px.length; i += 4) levels.add(px[i]);
      return { width: c.width, height: c.height, cssWidth: c.getBoundingClientRect().width, levels: levels.size, label: c.getAttribute('aria-label') ?? '' };
    }),
  );
}

e2eTest('Train Model on a tiny denoiser draws the forward strip and the generated strip of each epoch in the Training tab', {
  files: {
    '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2),
    'tiny_denoiser.nnmodel': TINY_DENOISER,
  },
  timeout: 600_000,
}, async (wb, t) => {
  const frame = await openTrainingTab(wb, 'tiny_denoiser.nnmodel');
  await wb.runCommand('nnmodel: Train Model');
  await wb.step('run done', () =>
    poll('the run to complete with 2 epochs', async () => {
      const s = await status(frame).getAttribute('data-status');
      if (s === 'failed') throw new Error(`the run failed: ${await status(frame).innerText()}`);
      return s === 'completed' && (await frame.locator('.nn-training-table tr').count()) === 3;
    }, { timeout: 480_000, interval: 1000, seen: async () => `${await status(frame).innerText()} | ${await wb.notificationText()}` }),
  );
  t.diagnostic(await status(frame).innerText());
  // The strips came from the training worker, through the page (not from a run on the page itself).
  assert.equal(await frame.locator('.nn-training-where').getAttribute('data-where'), 'worker');

  // The forward strip: 8 steps of one training digit, captioned, each 16×16 image drawn at 64 px.
  const forward = frame.locator('figure.nn-samples-forward');
  assert.equal(await forward.isVisible(), true, 'the forward strip is shown');
  assert.equal((await forward.locator('figcaption').innerText()).trim(), 'how the data is noised: t = 0 … 99');
  const steps = await forward.locator('.nn-sample-caption').allInnerTexts();
  assert.equal(steps.length, 8);
  assert.equal(steps[0], 't = 0');
  assert.equal(steps.at(-1), 't = 99');
  const fwd = await drawn(frame, 'figure.nn-samples-forward canvas.nn-sample-image');
  assert.equal(fwd.length, 8);
  for (const c of fwd) {
    assert.equal(c.width, 64, 'a 16-pixel image scaled up 4× on the canvas itself');
    assert.ok(c.cssWidth >= 56, `drawn at ${c.cssWidth} CSS px`);
    assert.ok(c.levels > 1, `a forward image is not blank (${c.label})`);
  }
  assert.match(fwd[0].label, /^training 16×16 grey image noised at t = 0, 1 of 8$/);

  // The generated strip of the last epoch, and the slider back to epoch 1.
  const generated = frame.locator('figure.nn-samples-generated');
  assert.equal(await generated.getAttribute('data-epoch'), '2');
  assert.equal((await generated.locator('figcaption').innerText()).trim(), 'Generated: after epoch 2 (latest)');
  const gen = await drawn(frame, 'figure.nn-samples-generated canvas.nn-sample-image');
  assert.equal(gen.length, 4, 'samples = 4');
  for (const c of gen) assert.ok(c.levels > 1 && c.width === 64, `a generated image drawn, not blank: ${JSON.stringify(c)}`);
  assert.match(gen[3].label, /^generated 16×16 grey image 4 of 4, after epoch 2$/);
  await wb.screenshot('samples-after-epoch-2');
  await frame.locator('section.nn-samples').screenshot({ path: join(env.results, 'training-generative-samples.png') });

  // Keyboard: the slider goes back to epoch 1 and forward to the latest again.
  const slider = frame.locator('input.nn-samples-slider');
  await slider.focus();
  await slider.press('Home');
  await poll('the strip of epoch 1', async () => (await generated.getAttribute('data-epoch')) === '1', { seen: async () => `${await generated.getAttribute('data-epoch')}` });
  assert.equal((await generated.locator('figcaption').innerText()).trim(), 'Generated: after epoch 1');
  assert.equal(await slider.getAttribute('aria-valuetext'), 'after epoch 1');
  const first = await drawn(frame, 'figure.nn-samples-generated canvas.nn-sample-image');
  assert.equal(first.length, 4);
  assert.ok(first.every((c) => c.levels > 1));
  await wb.screenshot('samples-back-at-epoch-1');
  await slider.press('End');
  await poll('the latest strip again', async () => (await generated.getAttribute('data-epoch')) === '2');
  assert.equal(await slider.getAttribute('aria-valuetext'), 'after epoch 2 (latest)');
});

/** A tiny MLP GAN on 64 digits of 16×16 (Goodfellow et al. 2014's shape, made small): seconds per epoch. */
const TINY_GAN = `model TinyGenerator {
  input z: [16]
  output z -> dense(64) -> relu -> dense(256) -> sigmoid -> reshape([16, 16, 1])
}
model TinyDiscriminator {
  input image: [16, 16, 1]
  output image -> flatten -> dense(64) -> relu -> dense(1) -> sigmoid
}
train TinyGenerator {
  data: digits(samples = 64, size = 16)
  loss: adversarial(TinyDiscriminator, samples = 4)
  epochs: 2
  batch: 16
}
`;

e2eTest("Train Model on a tiny GAN draws each epoch's generated strip with its diversity, d_loss with the loss and d_real/d_fake/diversity on [0, 1]; a checkpoint folder without <model> keeps the discriminator in a subfolder", {
  files: {
    // A folder without <model>: the discriminator's checkpoint goes to ck/TinyDiscriminator, not over the generator's.
    '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm', 'nnmodel.checkpoints.folder': 'ck' }, null, 2),
    'tiny_gan.nnmodel': TINY_GAN,
  },
  timeout: 600_000,
}, async (wb, t) => {
  const frame = await openTrainingTab(wb, 'tiny_gan.nnmodel');
  await wb.runCommand('nnmodel: Train Model');
  await wb.step('run done', () =>
    poll('the run to complete with 2 epochs', async () => {
      const s = await status(frame).getAttribute('data-status');
      if (s === 'failed') throw new Error(`the run failed: ${await status(frame).innerText()}`);
      return s === 'completed' && (await frame.locator('.nn-training-table tr').count()) === 3;
    }, { timeout: 480_000, interval: 1000, seen: async () => `${await status(frame).innerText()} | ${await wb.notificationText()}` }),
  );
  // Both checkpoints of epoch 2, each in its own folder under its own name (the host writes them after the page sends them).
  const checkpointOf = (rel: string): string | undefined => {
    const p = wb.path(rel);
    if (!existsSync(p)) return undefined;
    const m = (JSON.parse(readFileSync(p, 'utf8')) as { nnmodel: { model: string; epoch: number } }).nnmodel;
    return `${m.model}@${m.epoch}`;
  };
  await wb.step('both checkpoints', () =>
    poll('both of epoch 2, in ck and ck/TinyDiscriminator', () => checkpointOf('ck/model.json') === 'TinyGenerator@2' && checkpointOf('ck/TinyDiscriminator/model.json') === 'TinyDiscriminator@2', {
      timeout: 30_000,
      interval: 200,
      seen: async () => `ck: ${checkpointOf('ck/model.json')}, ck/TinyDiscriminator: ${checkpointOf('ck/TinyDiscriminator/model.json')}`,
    }),
  );
  // No forward strip: a GAN does not noise its data.
  assert.equal(await frame.locator('figure.nn-samples-forward').isVisible(), false);
  const generated = frame.locator('figure.nn-samples-generated');
  assert.equal(await generated.getAttribute('data-epoch'), '2');
  assert.equal((await generated.locator('figcaption').innerText()).trim(), 'Generated: after epoch 2 (latest)');
  const gen = await drawn(frame, 'figure.nn-samples-generated canvas.nn-sample-image');
  assert.equal(gen.length, 4, 'samples = 4');
  for (const c of gen) assert.ok(c.levels > 1 && c.width === 64, `a generated image drawn, not blank: ${JSON.stringify(c)}`);

  // The curves: d_loss beside the loss, d_real and d_fake among the metrics on a [0, 1] axis; every figure in the table.
  const legend = (box: string) => frame.locator(`${box} .u-legend th`).allInnerTexts().then((l) => l.map((s) => s.trim()));
  const lossLegend = await legend('.nn-training-loss');
  assert.ok(lossLegend.includes('loss') && lossLegend.includes('d_loss'), `loss chart legend: ${lossLegend.join(', ')}`);
  const metricLegend = await legend('.nn-training-metrics');
  assert.ok(metricLegend.includes('d_real') && metricLegend.includes('d_fake') && !metricLegend.includes('d_loss'), `metrics chart legend: ${metricLegend.join(', ')}`);
  assert.ok(metricLegend.includes('diversity'), `the samples' diversity beside them: ${metricLegend.join(', ')}`);
  const head = (await frame.locator('.nn-training-table tr').first().locator('th').allInnerTexts()).map((s) => s.trim());
  for (const n of ['loss', 'd_loss', 'd_real', 'd_fake', 'diversity']) assert.ok(head.includes(n), `table columns: ${head.join(', ')}`);
  // [0, 1], grown by halves when a diversity (1 = the real images') exceeds 1.
  const diversities = await Promise.all([1, 2].map(async (r) => Number((await frame.locator('.nn-training-table tr').nth(r).locator('td').nth(head.indexOf('diversity')).innerText()).trim())));
  assert.ok(diversities.every((v) => v > 0), `diversity per epoch: ${diversities.join(', ')}`);
  const top = Math.max(1, ...diversities.map((v) => Math.ceil(v * 2) / 2));
  assert.equal(await frame.locator('.nn-training-metrics').getAttribute('data-range'), `0,${top}`);
  // Under the strip of epoch 2: its diversity, as the table has it.
  const under = generated.locator('p.nn-samples-diversity');
  assert.equal(Number(await under.getAttribute('data-value')).toFixed(4), diversities[1].toFixed(4));
  assert.match((await under.innerText()).trim(), /^Diversity \d+\.\d\d \(real images: 1\)/);
  assert.ok(!head.some((h) => h.startsWith('val_')), `no empty validation columns (a GAN holds nothing out): ${head.join(', ')}`);
  const cells = (await frame.locator('.nn-training-table tr').nth(2).locator('td').allInnerTexts()).map((s) => s.trim());
  const row = Object.fromEntries(head.map((h, i) => [h, cells[i]]));
  t.diagnostic(`epoch 2: ${JSON.stringify(row)}`);
  for (const n of ['d_real', 'd_fake']) assert.ok(Number(row[n]) >= 0 && Number(row[n]) <= 1, `${n} = ${row[n]}`);
  await frame.locator('section.nn-samples').scrollIntoViewIfNeeded();
  await wb.screenshot('gan-samples-and-curves');
  await frame.locator('.nn-training').screenshot({ path: join(env.results, 'training-generative-gan.png') });
});
