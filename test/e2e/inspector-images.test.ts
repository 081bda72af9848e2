// The feature maps' images in the real VS Code (code-server): "Choose image…"
// through VS Code's own file dialog (the bytes of workspace.fs.readFile must
// reach the page: a Node Buffer used to arrive as a plain object and the
// message was dropped), and a colour model trained on images(...) that starts
// on its first training image, not on the grey digit another model was shown
// on, with its training images offered in the picker.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Frame } from 'playwright-core';
import { e2eTest, poll, openTab } from './harness';
import type { PageCanvas } from './canvas';

const WASM = { '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2) };

const PICNET = `model PicNet {
  input img: [32, 32, 3]
  output img -> conv2d(8, 3, padding = same) -> relu -> maxpool(2)
             -> conv2d(16, 3) -> relu -> global_avgpool -> dense(2) -> softmax
}

train PicNet {
  data: images("pics", size = [32, 32])
  epochs: 1
  metrics: [accuracy]
}
`;

type Rgb = [number, number, number];

function writePng(file: string, w: number, h: number, f: (x: number, y: number) => Rgb): void {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      png.data.set([...f(x, y), 255], i);
    }
  }
  writeFileSync(file, PNG.sync.write(png));
}

/** Two class folders of colour images (white dots on green, red and blue stripes) and a yellow face outside them. */
function writeImages(folder: string): void {
  for (const cls of ['dots', 'stripes']) {
    mkdirSync(join(folder, 'pics', cls), { recursive: true });
    for (let k = 0; k < 3; k++) {
      writePng(join(folder, 'pics', cls, `${cls}${k}.png`), 40, 36, (x, y) =>
        cls === 'dots' ? ((x - 20) ** 2 + (y - 18) ** 2 < 90 ? [250, 250, 250] : [10, 140, 10]) : ((x >> 2) % 2 ? [230, 30, 30] : [20, 20, 210]),
      );
    }
  }
  writePng(join(folder, 'face.png'), 64, 64, (x, y) => (Math.hypot(x - 32, y - 32) < 26 ? [240, 200, 60] : [100, 160, 255]));
}

/** The input preview as the model sees it: its size, the colour at its centre and a checksum of its pixels. */
async function preview(frame: Frame): Promise<{ width: number; centre: Rgb; sum: number }> {
  return frame.locator('#nn-panel-featureMaps canvas.nn-fm-input').first().evaluate((el) => {
    const c = el as unknown as PageCanvas;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const at = (Math.floor(c.height / 2) * c.width + Math.floor(c.width / 2)) * 4;
    let sum = 0;
    for (let i = 0; i < d.length; i++) sum = (sum * 31 + d[i]) % 1_000_000_007;
    return { width: c.width, centre: [d[at], d[at + 1], d[at + 2]] as Rgb, sum };
  });
}

e2eTest('Choose image… through VS Code\'s file dialog shows the file; a colour model trained on images(...) starts on its first training image and offers its images in the picker', { files: { ...WASM, 'picnet.nnmodel': PICNET }, timeout: 420_000 }, async (wb) => {
  writeImages(wb.folder);
  await wb.openFile('lenet5.nnmodel');
  await wb.runCommand('nnmodel: Open Inspector');
  const frame = await wb.step('inspector webview', () => wb.webviewFrame('#nn-backend', 60_000));
  await poll('a first render', async () => Number((await frame.locator('#nn-debug').getAttribute('data-renders')) ?? 0) >= 1, { timeout: 90_000 });
  await openTab(wb, frame, 'featureMaps');
  const status = frame.locator('#nn-panel-featureMaps .nn-toolbar-status');
  const picked = frame.locator('vscode-single-select.nn-fm-sample .select-face .text');
  const message = frame.locator('.nn-message.nn-message-error');
  const seen = async () => `status '${await status.innerText()}', picker '${await picked.innerText()}', message '${(await message.isVisible()) ? await message.innerText() : ''}'`;
  const drawnFor = (name: string) => poll(`feature maps of ${name}`, async () => (await status.innerText()).startsWith(`${name} · `) && (await picked.innerText()).trim() === name, { timeout: 60_000, seen });

  // LeNet-5 (grey) starts on a digit.
  await wb.step('LeNet starts on a digit', () => drawnFor('digit 0'));
  const digit = await preview(frame);

  await wb.step('Choose image… and pick face.png in the dialog', async () => {
    await frame.locator('vscode-button.nn-fm-choose').click();
    const input = wb.page.locator('.quick-input-widget input').first();
    await input.waitFor({ state: 'visible', timeout: 20_000 });
    const path = join(wb.folder, 'face.png');
    await poll('the dialog to accept face.png', async () => {
      if (!(await wb.page.locator('.quick-input-widget').isVisible())) return true;
      // The dialog fills in its start folder after it opens, over what was typed: type the path again until it stays.
      if ((await input.inputValue().catch(() => '')) !== path) {
        await input.fill(path);
        return false;
      }
      const ok = wb.page.locator('.quick-input-widget').getByText('Use image', { exact: true });
      if (await ok.isVisible()) await ok.click();
      else await input.press('Enter');
      return false;
    }, { timeout: 30_000, interval: 1000, seen: async () => `input '${await input.inputValue().catch(() => '?')}', ${await wb.page.locator('.quick-input-widget').innerText().catch(() => '')}` });
  });
  await wb.step('feature maps of face.png', () => drawnFor('face.png'));
  const face = await preview(frame);
  assert.notEqual(face.sum, digit.sum, 'the input preview changed from the digit to the picked image');
  // The yellow face, grey for LeNet: bright at its centre, where digit 0 has its dark hole.
  assert.ok(face.centre[0] > 120 && face.centre[0] > digit.centre[0] + 60, `centre of the preview: digit ${digit.centre}, face ${face.centre}`);
  assert.equal(await message.isVisible(), false, 'no error in the panel');

  // PicNet (colour, trained on pics/): its first training image, not the image LeNet was shown on.
  // Opened in the editor group beside the inspector (the first), not over the inspector.
  await wb.page.locator('.tabs-container .tab', { hasText: 'lenet5.nnmodel' }).first().click();
  await wb.openFile('picnet.nnmodel');
  await wb.step('PicNet starts on its first training image', () => drawnFor('pics/dots/dots0.png'));
  const dots = await preview(frame);
  assert.equal(dots.width, 32, 'the preview is the model\'s 32 × 32 input');
  const [r, g, b] = dots.centre;
  assert.ok(r > 200 && g > 200 && b > 200, `a white dot at the centre of the dots image, got ${dots.centre}`);

  await wb.step('pick a stripes image from the picker', async () => {
    const select = frame.locator('vscode-single-select.nn-fm-sample');
    await select.click();
    const item = frame
      .locator('vscode-single-select.nn-fm-sample .option, vscode-single-select.nn-fm-sample [role="option"]')
      .filter({ hasText: /^\s*pics\/stripes\/stripes0\.png\s*$/ })
      .first();
    await item.waitFor({ state: 'visible', timeout: 10_000 });
    await item.click();
  });
  await wb.step('feature maps of the stripes image', () => drawnFor('pics/stripes/stripes0.png'));
  const stripes = await preview(frame);
  assert.ok(stripes.centre[1] < 80 && Math.max(stripes.centre[0], stripes.centre[2]) > 150, `a red or blue stripe at the centre, got ${stripes.centre}`);
  assert.equal(await message.isVisible(), false, 'no error in the panel');
});
