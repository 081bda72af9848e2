// The feature maps' augmentation preview in the real VS Code (code-server): a colour model whose
// image goes through random_flip, random_translation and cutout first shows, under the input,
// six copies of the picked image as training sees them (each with exactly one 8 × 8 black square
// from cutout, the copies different), and "New draws" draws six others.
import assert from 'node:assert/strict';
import type { Frame } from 'playwright-core';
import { e2eTest, poll, type Workbench } from './harness';
import type { PageCanvas } from './canvas';

const WASM = { '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2) };

const AUGNET = `model AugNet {
  input image: [32, 32, 3]
  output image -> random_flip -> random_translation(0.1) -> cutout(8)
               -> conv2d(8, 3) -> relu -> global_avgpool -> dense(3) -> softmax
}
`;

/** Per augmented copy: its size, a checksum of its pixels, and the box of its pure-black pixels. */
interface View {
  width: number;
  height: number;
  sum: number;
  black: number;
  rows: number;
  cols: number;
}

async function views(frame: Frame): Promise<View[]> {
  return frame.locator('#nn-panel-featureMaps div.nn-fm-augment canvas.nn-fm-aug').evaluateAll((els) =>
    els.map((el) => {
      const c = el as unknown as PageCanvas;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let sum = 0;
      let black = 0;
      let [r0, r1, c0, c1] = [Infinity, -1, Infinity, -1];
      for (let i = 0; i < d.length; i += 4) {
        sum = (sum * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) % 1_000_000_007;
        if (d[i] === 0 && d[i + 1] === 0 && d[i + 2] === 0) {
          black++;
          const p = i / 4;
          const [r, col] = [Math.floor(p / c.width), p % c.width];
          [r0, r1, c0, c1] = [Math.min(r0, r), Math.max(r1, r), Math.min(c0, col), Math.max(c1, col)];
        }
      }
      return { width: c.width, height: c.height, sum, black, rows: r1 - r0 + 1, cols: c1 - c0 + 1 };
    }),
  );
}

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

e2eTest('feature maps: a model with augmentation layers shows six copies of the picked image as training sees them; New draws draws others', { files: { ...WASM, 'augnet.nnmodel': AUGNET }, timeout: 300_000 }, async (wb) => {
  const frame = await openFeatureMaps(wb, 'augnet.nnmodel');
  const strip = frame.locator('#nn-panel-featureMaps div.nn-fm-augment');
  await wb.step('the augmentation strip', () => poll('six augmented copies', async () => (await views(frame)).length === 6, { timeout: 60_000 }));
  assert.equal(await strip.getAttribute('data-layers'), 'random_flip → random_translation(0.1) → cutout(8)');
  assert.match(await strip.locator('.nn-fm-caption').innerText(), /As training sees it: 6 random draws of random_flip → random_translation\(0\.1\) → cutout\(8\)/);
  const first = await views(frame);
  for (const v of first) {
    assert.deepEqual([v.width, v.height], [32, 32], 'the model input size');
    // The colour sample has no black of its own: the only black is cutout's square, exactly 8 × 8.
    assert.deepEqual([v.black, v.rows, v.cols], [64, 8, 8], `one 8 × 8 black square: ${JSON.stringify(v)}`);
  }
  assert.ok(new Set(first.map((v) => v.sum)).size > 1, 'the copies differ');
  await wb.screenshot('augment-preview');

  await wb.step('New draws', async () => {
    await strip.locator('vscode-button.nn-fm-augment-redraw').click();
    await poll('the next seed drawn', async () => (await strip.getAttribute('data-seed')) === '2');
  });
  const second = await views(frame);
  assert.equal(second.length, 6);
  for (const v of second) assert.deepEqual([v.black, v.rows, v.cols], [64, 8, 8]);
  assert.notDeepEqual(second.map((v) => v.sum), first.map((v) => v.sum), 'other draws');
});
