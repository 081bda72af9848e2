// The inspector's image views in the real VS Code (code-server): feature maps
// of LeNet-5 for a chosen sample image (read back from the canvases: not
// blank), its first-layer kernels, and the small GPT's attention heatmaps
// (one per layer and head, the causal mask drawn, a head zoomed on click).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { e2eTest, env, poll, openInspector, openTab } from './harness';
import { canvasStats, type PageCanvas } from './canvas';

const WASM = { '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2) };
/** Quick Open ranks gpt2_small.nnmodel above gpt_small.nnmodel for that query: the GPT is opened under a name of its own. */
const GPT_NAME = 'attn_gpt.nnmodel';
const WAIT_ZOOM = 15_000;



/** Chooses a built-in sample in the feature-map toolbar's select, through its dropdown. */
async function chooseSample(frame: Frame, name: string): Promise<void> {
  const select = frame.locator('vscode-single-select.nn-fm-sample');
  await select.click();
  // vscode-single-select draws its list in its shadow root; Playwright's CSS pierces open shadow roots.
  const item = frame.locator('vscode-single-select.nn-fm-sample .option, vscode-single-select.nn-fm-sample [role="option"]').filter({ hasText: new RegExp(`^\\s*${name}\\s*$`) }).first();
  await item.waitFor({ state: 'visible', timeout: 10_000 });
  await item.click();
}

/** A small ReLU network for "Show every layer": its relu maps are drawn only with the option on. */
const RELU_NET = `model ReluNet {
  input image: [28, 28, 1]
  output image -> conv2d(8, 3) -> relu -> maxpool(2) -> flatten -> dense(16) -> relu -> dense(10) -> softmax
}
`;

e2eTest('feature maps of LeNet5 for a sample image are drawn, one section per conv/pool layer, a hovered value outlines its receptive field; kernels show 6 first-layer filters; "Show every layer" adds a ReLU net\'s relu sections', { files: { ...WASM, 'relu_net.nnmodel': RELU_NET }, timeout: 420_000 }, async (wb) => {
  const frame = await openInspector(wb, 'lenet5.nnmodel');
  const text = wb.readFile('lenet5.nnmodel').replace(/(#|\/\/).*$/gm, '');
  // conv2d(c, k) and pooling calls, in source order: the layers that have feature-map grids.
  const convs = [...text.matchAll(/\bconv2d\((\d+)/g)].map((m) => Number(m[1]));
  const pools = (text.match(/\b(avgpool|maxpool)\(/g) ?? []).length;
  const expectedSections = convs.length + pools;
  assert.ok(convs.length >= 2 && pools >= 2, 'LeNet5 has two convolutions and two poolings');

  await openTab(wb, frame, 'featureMaps');
  const status = frame.locator('#nn-panel-featureMaps .nn-toolbar-status');
  // The picker names the image the maps are drawn for: the start sample it chose itself, then the one chosen.
  const picked = frame.locator('vscode-single-select.nn-fm-sample .select-face .text');
  const shown = async () => `status '${await status.innerText()}', picker '${await picked.innerText()}'`;
  await wb.step('the start sample named in the picker', () =>
    poll('the picker to name the start sample', async () => {
      const name = /^(.+?) · \d+ layers?/.exec(await status.innerText())?.[1];
      return name !== undefined && (await picked.innerText()).trim() === name;
    }, { timeout: 60_000, seen: shown }),
  );
  await wb.step('choose digit 7', () => chooseSample(frame, 'digit 7'));
  await wb.step('feature maps drawn', () =>
    poll('feature maps of digit 7', async () => /^digit 7 · \d+ layers?/.test(await status.innerText()), { timeout: 60_000, seen: () => status.innerText() }),
  );
  assert.equal((await picked.innerText()).trim(), 'digit 7', 'the picker names the chosen sample');
  const sections = frame.locator('#nn-panel-featureMaps section.nn-fm-layer[data-path]');
  assert.equal(await sections.count(), expectedSections, `one section per conv/pool layer (${expectedSections})`);
  // Channels per section: conv2d(6), pool, conv2d(16), pool.
  const channelsPerSection: number[] = [];
  for (let i = 0; i < (await sections.count()); i++) {
    const maps = sections.nth(i).locator('canvas.nn-fm-map');
    const stats = await canvasStats(maps);
    channelsPerSection.push(stats.length);
    const drawn = stats.filter((s) => s.variance > 1 && s.distinct > 2);
    assert.ok(drawn.length > 0, `section ${i}: every one of its ${stats.length} maps is blank: ${JSON.stringify(stats.slice(0, 3))}`);
    // A map of random conv weights over a digit is flat only by accident: most must show structure.
    assert.ok(drawn.length * 2 >= stats.length, `section ${i}: only ${drawn.length} of ${stats.length} maps have any variance`);
  }
  assert.deepEqual(channelsPerSection, [convs[0], convs[0], convs[1], convs[1]]);

  // Hovering a value of the second convolution outlines the input window it sees: LeNet-5's receptive
  // field there is 14 × 14 at stride 2, so pixel (row 5, column 7) of its 10 × 10 maps sees rows 10–23, columns 14–27.
  const map = sections.nth(2).locator('canvas.nn-fm-map').first();
  const box = await map.boundingBox();
  assert.ok(box, 'the map has a box');
  await map.hover({ position: { x: (box.width * 7.5) / 10, y: (box.height * 5.5) / 10 } });
  const field = frame.locator('#nn-panel-featureMaps div.nn-fm-field');
  await wb.step('receptive field outlined', () =>
    poll('the outline on the input', async () => (await field.getAttribute('data-rows')) === '10-23' && !(await field.isHidden()), {
      seen: async () => `${await field.getAttribute('data-rows')} ${await field.getAttribute('data-cols')} hidden=${await field.isHidden()}`,
    }),
  );
  assert.equal(await field.getAttribute('data-cols'), '14-27');
  assert.match(await frame.locator('.nn-fm-tip').innerText(), /sees input rows 10–23, columns 14–27 \(a 14 × 14 window\)/);
  // At the right edge of the panel, the read-out flips to the pointer's left: all of it in view.
  const edgeMap = sections.nth(0).locator('canvas.nn-fm-map').last();
  const edgeBox = await edgeMap.boundingBox();
  assert.ok(edgeBox, 'the last map of the first layer has a box');
  await edgeMap.hover({ position: { x: edgeBox.width - 2, y: edgeBox.height / 2 } });
  const tipBox = await wb.step('hover at the right edge', () =>
    poll('the read-out inside the panel', async () => {
      const b = await frame.locator('.nn-fm-tip').evaluate((el) => {
        const r = (el as unknown as { getBoundingClientRect(): { left: number; right: number; top: number; bottom: number } }).getBoundingClientRect();
        const root = (globalThis as unknown as { document: { documentElement: { clientWidth: number; clientHeight: number } } }).document.documentElement;
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: root.clientWidth, height: root.clientHeight };
      });
      // The first convolution's read-out (its 5 × 5 window), not the one before.
      if (!/\(a 5 × 5 window\)/.test(await frame.locator('.nn-fm-tip').innerText())) return undefined;
      return b.right > b.left && b.left >= 0 && b.right <= b.width && b.top >= 0 && b.bottom <= b.height ? b : undefined;
    }, { seen: () => frame.locator('.nn-fm-tip').evaluate((el) => JSON.stringify((el as unknown as { getBoundingClientRect(): unknown }).getBoundingClientRect())) }),
  );
  console.log(`[fm] read-out at the right edge: ${JSON.stringify(tipBox)}`);

  await openTab(wb, frame, 'kernels');
  const first = frame.locator('#nn-panel-kernels canvas.nn-kernel');
  await wb.step('kernels drawn', () =>
    poll(`${convs[0]} first-layer filter images`, async () => (await first.count()) === convs[0], { seen: async () => String(await first.count()) }),
  );
  const kstats = await canvasStats(first);
  assert.ok(kstats.every((s) => s.width === 5 && s.height === 5), `5×5 filters: ${JSON.stringify(kstats.map((s) => [s.width, s.height]))}`);
  assert.ok(kstats.every((s) => s.variance > 0), 'each random filter has varying weights');
  // Deeper layers are grids of cells (16 filters × 6 input channels for the second conv).
  const cells = frame.locator('#nn-panel-kernels canvas.nn-kernel-cell');
  assert.equal(await cells.count(), convs[1] * convs[0]);
  // The keyboard reads the grid's weights: one tab stop, the arrow keys cross the cells (5 × 5 weights each).
  const grid = frame.locator('#nn-panel-kernels .nn-kernel-grid').first();
  await grid.focus();
  await wb.page.keyboard.press('ArrowDown');
  for (let i = 0; i < 6; i++) await wb.page.keyboard.press('ArrowDown');
  for (let i = 0; i < 7; i++) await wb.page.keyboard.press('ArrowRight');
  assert.equal(await grid.getAttribute('data-cell'), '6,7');
  const kernelLive = frame.locator('#nn-panel-kernels .nn-cell-live');
  await wb.step('a weight of filter 1 ← input channel 1 announced', () =>
    poll('filter 1, input channel 1, weight (1, 2)', async () => (await kernelLive.allInnerTexts()).some((t) => /^filter 1 ← input channel 1; \(1, 2\) = \S+$/.test(t)), { seen: async () => (await kernelLive.allInnerTexts()).join(' | ') }),
  );
  // The cursor outlines that weight inside its cell's picture.
  const pic = (await cells.nth(1 * convs[0] + 1).boundingBox())!;
  const kcursor = (await frame.locator('#nn-panel-kernels .nn-cell-cursor').boundingBox())!;
  assert.ok(Math.abs(kcursor.x - (pic.x + (2 * pic.width) / 5)) <= 1 && Math.abs(kcursor.y - (pic.y + pic.height / 5)) <= 1, JSON.stringify({ pic, kcursor }));
  await wb.page.keyboard.press('Escape');

  // "Show every layer": the inspector follows the ReLU net; off, its conv and pool only; on, every layer, in graph order,
  // the relu maps captioned with their share of zeros and the dense layers as strips of cells.
  // Opened in LeNet5's editor group (Quick Open uses the active group), so the inspector beside it stays in view.
  await wb.page.locator('.tabs-container .tab[data-resource-name="lenet5.nnmodel"]').click();
  await wb.openFile('relu_net.nnmodel');
  await openTab(wb, frame, 'featureMaps');
  const every = frame.locator('#nn-panel-featureMaps vscode-checkbox.nn-fmx-every');
  const ops = () => sections.evaluateAll((els) => els.map((e) => e.getAttribute('data-op')));
  await wb.step('the ReLU net with the option off', () =>
    poll('conv2d and maxpool only', async () => (await ops()).join(' ') === 'conv2d maxpool', { timeout: 60_000, seen: async () => `${(await ops()).join(' ')} · ${await status.innerText()}` }),
  );
  assert.equal(await every.getAttribute('label'), 'Show every layer');
  await wb.step('tick Show every layer', () => every.click());
  const all = ['conv2d', 'relu', 'maxpool', 'flatten', 'dense', 'relu', 'dense', 'softmax'];
  await wb.step('every layer drawn', () =>
    poll('a section per layer', async () => (await ops()).join(' ') === all.join(' '), { timeout: 60_000, seen: async () => `${(await ops()).join(' ')} · ${await status.innerText()}` }),
  );
  const relu = frame.locator('#nn-panel-featureMaps section.nn-fm-layer[data-op="relu"][data-kind="grid"]');
  assert.equal(await relu.locator('canvas.nn-fm-map').count(), 8, 'the relu after conv2d(8, 3) has 8 maps');
  const captions = await relu.locator('.nn-fmx-zero').allInnerTexts();
  assert.equal(captions.length, 8);
  assert.ok(captions.every((c) => /^(\d+|< 1|> 99) % zero$/.test(c.trim())), `zero captions: ${captions.join(' | ')}`);
  assert.match(await relu.locator('.nn-fmx-zeros').innerText(), /% zero/);
  const units = frame.locator('#nn-panel-featureMaps section.nn-fm-layer[data-kind="units"] canvas.nn-fmx-units');
  assert.deepEqual(await units.evaluateAll((els) => els.map((e) => e.getAttribute('data-cells'))), ['256', '16', '16', '10', '10'], 'flatten (1,352 units: the first 256), dense(16), relu, dense(10), softmax');
  const [strip] = await canvasStats(units.nth(1));
  assert.ok(strip.distinct > 1, 'the dense(16) strip is drawn');
  // The keyboard reads a strip's units: unit 3 of dense(16), its value as the hover shows it.
  await units.nth(1).focus();
  for (const key of ['ArrowDown', 'ArrowRight', 'ArrowRight', 'ArrowRight']) await wb.page.keyboard.press(key);
  const unitsLive = frame.locator('#nn-panel-featureMaps .nn-cell-live');
  await wb.step('unit 3 announced', () =>
    poll('unit 3 of 16 announced', async () => (await unitsLive.allInnerTexts()).some((t) => /^unit 3 = \S+; 16 units · /.test(t)), { seen: async () => (await unitsLive.allInnerTexts()).join(' | ') }),
  );
});

e2eTest('the small GPT shows one heatmap per layer and head, the causal mask, and zooms a head on click', {
  files: { ...WASM, [GPT_NAME]: readFileSync(join(env.repo, 'examples/gpt_small.nnmodel'), 'utf8') },
  timeout: 300_000,
}, async (wb) => {
  const source = wb.readFile(GPT_NAME);
  // `output … -> gpt_block(dim, heads) * N`: N blocks of one causal attention each, `heads` heads each.
  const m = /gpt_block\(\s*\d+\s*,\s*(\d+)\s*\)\s*\*\s*(\d+)/.exec(source);
  assert.ok(m, 'gpt_small.nnmodel repeats gpt_block(dim, heads) * N');
  const heads = Number(m[1]);
  const layers = Number(m[2]);
  assert.ok(/attention\(\s*heads\s*,\s*causal\s*=\s*true\s*\)/.test(readFileSync(join(env.repo, 'examples/gpt2_small.nnmodel'), 'utf8')), 'gpt_block has one causal attention');

  const frame = await openInspector(wb, GPT_NAME);
  await openTab(wb, frame, 'attention');
  const box = frame.locator('input.nn-attn-text');
  await box.waitFor({ timeout: 60_000 });
  const maps = frame.locator('canvas.nn-heatmap[data-layer][data-head]');
  await poll('the first heatmaps', async () => (await maps.count()) > 0, { timeout: 60_000 });
  // Heatmaps drawn before typing are marked, so the ones drawn for the typed text can be told apart.
  await maps.evaluateAll((els) => els.forEach((e) => e.setAttribute('data-stale', '')));
  const typed = 'hello there';
  await wb.step('type a text', async () => {
    await box.click();
    await box.fill('');
    await box.pressSequentially(typed);
  });
  const fresh = frame.locator('canvas.nn-heatmap[data-layer][data-head]:not([data-stale])');
  const info = frame.locator('#nn-panel-attention .nn-note').first();
  await wb.step('heatmaps', () =>
    poll(`heatmaps for '${typed}'`, async () => (await fresh.count()) > 0 && (await frame.locator('canvas.nn-heatmap[data-stale]').count()) === 0, {
      timeout: 60_000,
      seen: () => info.innerText(),
    }),
  );
  // No parameter depends on the sequence length (positions are learned up to maxlen): the text is fed as typed, one token per character.
  const tokens = Number(/(\d+) tokens/.exec(await info.innerText())?.[1]);
  assert.equal(tokens, typed.length, `sequence of ${tokens} tokens`);
  // The char tokeniser: query 1 is 'e', key 0 is 'h' (value on hover).
  const thumb = maps.first();
  const cellPx = (await thumb.evaluate((e) => (e as unknown as PageCanvas).width)) / tokens;
  await thumb.hover({ position: { x: cellPx * 0.5, y: cellPx * 1.5 } });
  const tip = frame.locator('.nn-attn-tip');
  await wb.step('hover a cell', () =>
    poll('the hover of query 1, key 0', async () => /query 1 “e” → key 0 “h”[\s\S]*weight/.test(await tip.innerText()), { seen: () => tip.innerText() }),
  );
  assert.match(await info.innerText(), new RegExp(`${layers} layers, ${layers * heads} heads`));
  assert.equal(await maps.count(), layers * heads);
  const pairs = await maps.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-layer')}/${e.getAttribute('data-head')}`));
  const expected: string[] = [];
  for (let l = 0; l < layers; l++) for (let h = 0; h < heads; h++) expected.push(`${l}/${h}`);
  assert.deepEqual([...pairs].sort(), expected.sort(), 'exactly one heatmap per (layer, head)');

  // The causal mask: every cell above the diagonal is painted the mask colour, no cell on or below it is.
  const masks = await maps.evaluateAll((els, n) => {
    // The test compiles without the DOM library: the page's globals are typed here as far as they are used.
    const w = globalThis as unknown as { document: { body: unknown; createElement(t: 'canvas'): PageCanvas }; getComputedStyle(e: unknown): { getPropertyValue(n: string): string } };
    const scratch = w.document.createElement('canvas').getContext('2d')!;
    const mask = w.getComputedStyle(w.document.body).getPropertyValue('--vscode-editorWidget-background').trim() || '#3c3c3c';
    scratch.fillStyle = mask;
    scratch.fillRect(0, 0, 1, 1);
    const [mr, mg, mb] = scratch.getImageData(0, 0, 1, 1).data;
    return els.map((el) => {
      const c = el as unknown as PageCanvas;
      const cell = c.width / n;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let above = 0;
      let aboveMasked = 0;
      let belowMasked = 0;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          // The cell's top-left pixel: clear of the hatch stroke drawn across masked cells.
          const p = (i * cell * c.width + j * cell) * 4;
          const isMask = Math.abs(d[p] - mr) <= 2 && Math.abs(d[p + 1] - mg) <= 2 && Math.abs(d[p + 2] - mb) <= 2;
          if (j > i) {
            above++;
            if (isMask) aboveMasked++;
          } else if (isMask) belowMasked++;
        }
      }
      return { cellWhole: Number.isInteger(cell), above, aboveMasked, belowMasked };
    });
  }, tokens);
  for (const [i, r] of masks.entries()) {
    assert.ok(r.cellWhole, `heatmap ${pairs[i]}: width is not ${tokens} whole cells`);
    assert.equal(r.above, (tokens * (tokens - 1)) / 2);
    assert.equal(r.aboveMasked, r.above, `heatmap ${pairs[i]}: ${r.above - r.aboveMasked} cells above the diagonal not masked`);
    assert.equal(r.belowMasked, 0, `heatmap ${pairs[i]}: ${r.belowMasked} cells on or below the diagonal drawn as masked`);
  }

  // Zoom: clicking layer 3, head 2 draws that head large, with token labels around it.
  const target = frame.locator('canvas.nn-heatmap[data-layer="2"][data-head="1"]');
  const small = await target.evaluate((e) => (e as unknown as PageCanvas).width);
  await wb.step('zoom a head', async () => {
    await target.click();
    await frame.locator('canvas.nn-heatmap-zoom').waitFor({ timeout: WAIT_ZOOM });
  });
  const zoom = frame.locator('canvas.nn-heatmap-zoom');
  assert.equal(await zoom.count(), 1);
  assert.equal(await zoom.getAttribute('data-head'), '1');
  const [zs] = await canvasStats(zoom);
  assert.ok(zs.width > small * 2, `zoomed ${zs.width}px against ${small}px`);
  assert.ok(zs.variance > 1 && zs.distinct > 4, 'the zoomed head is drawn');
});


e2eTest('the diffusion U-Net takes its step as a typed number in the attention view', {
  // Its step `t: int[1]` feeds `sinusoidal`, not an embedding: a number, with no vocabulary to fit.
  files: { ...WASM, 'ddpm_step.nnmodel': readFileSync(join(env.repo, 'examples/diffusion_unet.nnmodel'), 'utf8') },
  timeout: 300_000,
}, async (wb) => {
  assert.match(wb.readFile('ddpm_step.nnmodel'), /input t: int\[1\][^\n]*\n\s*temb = t -> sinusoidal\(/, 'the example encodes t with sinusoidal');
  const frame = await openInspector(wb, 'ddpm_step.nnmodel');
  await openTab(wb, frame, 'attention');
  const box = frame.locator('input.nn-attn-text');
  await box.waitFor({ timeout: 60_000 });
  assert.equal((await frame.locator('.nn-attn-inputs label span').first().innerText()).trim(), 't:');
  const maps = frame.locator('canvas.nn-heatmap[data-layer][data-head]');
  const info = frame.locator('#nn-panel-attention .nn-note').first();
  const failed = frame.locator('#nn-panel-attention .nn-message-error');
  const seen = async () => `${await info.innerText()} ${(await failed.count()) ? await failed.first().innerText() : ''}`;
  await poll('the bottleneck heatmap', async () => (await maps.count()) === 1, { timeout: 120_000, seen });
  await maps.evaluateAll((els) => els.forEach((e) => e.setAttribute('data-stale', '')));
  await wb.step('type a step', async () => {
    await box.click();
    await box.fill('');
    await box.pressSequentially('500');
  });
  const fresh = frame.locator('canvas.nn-heatmap[data-layer][data-head]:not([data-stale])');
  await wb.step('the heatmap for step 500', () => poll('a fresh heatmap', async () => (await fresh.count()) === 1, { timeout: 120_000, seen }));
  assert.equal(await failed.count(), 0, await seen());
  // One step fed, typed as a number; one attention layer with one head over the 8 × 8 = 64 pixels.
  assert.match(await info.innerText(), /input t: 1 token\b.*no embedding: the typed whole numbers are fed as they are.*1 layer, 1 head\b/);
  const [stats] = await canvasStats(fresh);
  assert.ok(stats.variance > 0, 'the heatmap is drawn');
});

/** The output strip's rows (`section.nn-out[data-kind=…] .nn-out-row`) as index and probability. */
async function outputRows(frame: Frame, kind: 'classes' | 'tokens'): Promise<{ index: number; p: number; label: string }[]> {
  return frame.locator(`section.nn-out[data-kind="${kind}"] .nn-out-row`).evaluateAll((els) =>
    els.map((e) => ({
      index: Number(e.getAttribute('data-index')),
      p: Number(e.getAttribute('data-p')),
      label: ((e as unknown as { querySelector(s: string): { textContent: string | null } | null }).querySelector('.nn-out-label')?.textContent ?? '').trim(),
    })),
  );
}

e2eTest('output strip: LeNet5 shows its top 5 classes for the picked image, updated when the image changes; untrained weights say so', { files: WASM, timeout: 300_000 }, async (wb) => {
  const frame = await openInspector(wb, 'lenet5.nnmodel');
  await openTab(wb, frame, 'featureMaps');
  const strip = frame.locator('#nn-panel-featureMaps section.nn-out[data-kind="classes"]');
  const rows = strip.locator('.nn-out-row');
  await wb.step('the output strip', () => poll('5 class rows', async () => (await rows.count()) === 5, { timeout: 60_000, seen: async () => String(await rows.count()) }));
  assert.match(await strip.locator('.nn-out-detail').innerText(), /^softmax output over 10 classes$/);
  assert.equal((await strip.locator('.nn-out-untrained').innerText()).trim(), 'random weights: load trained weights to see a prediction');
  const first = await outputRows(frame, 'classes');
  const total = first.reduce((s, r) => s + r.p, 0);
  assert.ok(total > 0 && total <= 1 + 1e-6, `the 5 bars sum to ${total}`);
  assert.ok(first.every((r, i) => i === 0 || r.p <= first[i - 1].p), `largest first: ${JSON.stringify(first)}`);
  assert.ok(first.every((r) => r.label === `class ${r.index}`), `untrained: no class names: ${JSON.stringify(first)}`);
  // Each row reads out as "class 3: 12 %" and the bar's width is its probability.
  const aria = await rows.first().getAttribute('aria-label');
  assert.match(aria ?? '', /^class \d: (\d+(\.\d)? %|< 0\.1 %)$/);
  await rows.evaluateAll((els) => els.forEach((e) => e.setAttribute('data-stale', '')));
  await wb.step('choose digit 3', () => chooseSample(frame, 'digit 3'));
  const fresh = strip.locator('.nn-out-row:not([data-stale])');
  await wb.step('the strip redrawn', () => poll('5 fresh class rows', async () => (await fresh.count()) === 5 && (await strip.locator('.nn-out-row[data-stale]').count()) === 0, { timeout: 60_000 }));
  const second = await outputRows(frame, 'classes');
  assert.notDeepEqual(second, first, 'another image gives other probabilities');
});

e2eTest('output strip: the small GPT shows the next-token distribution, which the temperature slider sharpens live and a clicked token extends', {
  files: { ...WASM, [GPT_NAME]: readFileSync(join(env.repo, 'examples/gpt_small.nnmodel'), 'utf8') },
  timeout: 300_000,
}, async (wb) => {
  const frame = await openInspector(wb, GPT_NAME);
  await openTab(wb, frame, 'attention');
  const strip = frame.locator('#nn-panel-attention section.nn-out[data-kind="tokens"]');
  const rows = strip.locator('button.nn-out-row');
  await wb.step('the next-token strip', () => poll('10 token rows', async () => (await rows.count()) === 10, { timeout: 60_000, seen: async () => String(await rows.count()) }));
  // The strip is in a disclosure, closed so that the heatmaps come first; closed, its summary gives the most likely token.
  const disclosure = frame.locator('#nn-panel-attention details.nn-attn-output');
  assert.equal(await disclosure.getAttribute('open'), null, 'the next-token strip starts closed');
  assert.equal(await disclosure.locator('.nn-attn-output-title').innerText(), 'Next token');
  assert.match(await disclosure.locator('.nn-attn-output-peek').innerText(), /^After “.+”, most likely: “.+” \(.+\) at temperature 1\.00 · untrained weights$/);
  await wb.step('open the next-token strip', () => disclosure.locator('summary').click());
  await poll('the strip shown', () => strip.isVisible());
  assert.match(await strip.locator('.nn-out-detail').innerText(), /^softmax output over 64 tokens$/);
  assert.equal((await strip.locator('.nn-out-untrained').innerText()).trim(), 'random weights: load trained weights to see a prediction');
  const before = await outputRows(frame, 'tokens');
  const total = before.reduce((s, r) => s + r.p, 0);
  assert.ok(total > 0 && total <= 1 + 1e-6, `the 10 rows sum to ${total}`);
  const slider = strip.locator('input.nn-out-temperature');
  assert.equal(await slider.inputValue(), '1');
  assert.equal(await frame.locator(`label[for="${await slider.getAttribute('id')}"]`).innerText(), 'Temperature');
  // The keyboard moves the slider to its minimum, 0.1: the same model output, a much sharper distribution.
  await wb.step('temperature 0.1 by keyboard', async () => {
    await slider.focus();
    await slider.press('Home');
  });
  await poll('the list redrawn at 0.1', async () => (await outputRows(frame, 'tokens'))[0]?.p > before[0].p * 1.5, {
    timeout: 10_000,
    seen: async () => JSON.stringify((await outputRows(frame, 'tokens')).slice(0, 3)),
  });
  const sharp = await outputRows(frame, 'tokens');
  assert.equal(sharp[0].index, before[0].index, 'the most likely token stays the most likely');
  assert.match(await strip.locator('.nn-out-control-value').innerText(), /^0\.10 \(sharper/);
  assert.match((await slider.getAttribute('aria-valuetext')) ?? '', /^0\.10 /);
  // A token picked with the keyboard is appended to the text and the model runs again on it.
  const box = frame.locator('input.nn-attn-text');
  const text = await box.inputValue();
  // Untrained, the unknown token (a disabled row: nothing to type) may rank high: the first token that can be typed.
  const pick = strip.locator('button.nn-out-row:not([disabled])').first();
  const pickIndex = Number(await pick.getAttribute('data-index'));
  const picked = sharp.find((r) => r.index === pickIndex);
  assert.ok(picked, `row ${pickIndex} is listed`);
  const appended = picked.label.replace(/␣/g, ' ').replace(/↵/g, '\n').replace(/⇥/g, '\t');
  await rows.evaluateAll((els) => els.forEach((e) => e.setAttribute('data-stale', '')));
  await wb.step('append the top token', async () => {
    await pick.focus();
    await pick.press('Enter');
  });
  await poll('the text extended', async () => (await box.inputValue()) === text + appended, { timeout: 10_000, seen: () => box.inputValue() });
  await poll('a fresh distribution', async () => (await strip.locator('button.nn-out-row:not([data-stale])').count()) === 10, { timeout: 60_000 });
  assert.match(await strip.locator('.nn-out-summary').innerText(), /^After “.+”, most likely: “.+” \(.+\) at temperature 0\.10$/);
});
