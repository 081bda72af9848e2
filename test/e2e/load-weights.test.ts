// Load Weights in the real VS Code (code-server) into a model changed since it was trained: the picker flags the
// checkpoints that no longer fit, the notification is a warning naming the partial load, and the Training tab says so.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eTest, env, poll } from './harness';

const NET = (hidden: number) => `model Net {
  input image: [8, 8, 1]
  output image -> flatten -> dense(${hidden}) -> relu -> dense(10) -> softmax
}

train Net {
  data: digits(samples = 60, size = 8)
  loss: crossentropy
  optimizer: adam(lr = 1e-2)
  epochs: 2
  batch: 16
  validation: 0.3
}
`;

e2eTest('Load Weights into a changed model warns that only some layers loaded, in the picker, the notification and the Training tab', {
  files: {
    '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2),
    'net.nnmodel': NET(16),
  },
  timeout: 240_000,
}, async (wb) => {
  const r = spawnSync(process.execPath, [join(env.repo, 'dist/cli.js'), 'train', wb.path('net.nnmodel')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  // The model changes after training: dense(16) → dense(8), so neither dense layer fits the checkpoint.
  writeFileSync(wb.path('net.nnmodel'), NET(8));
  await wb.openFile('net.nnmodel');
  await wb.runCommand('nnmodel: Load Weights', { opensInput: true });
  const rows = wb.page.locator('.quick-input-list .monaco-list-row');
  const last = rows.filter({ hasText: 'last (epoch 2' }).first();
  await wb.step('the checkpoints to pick from', () => poll('the last checkpoint in the picker', () => last.isVisible(), { seen: async () => (await rows.allInnerTexts()).join(' | ') }));
  const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
  for (const which of ['last', 'best']) {
    const row = texts.find((t) => t.startsWith(`${which} (epoch`));
    assert.ok(row, `${which} in ${JSON.stringify(texts)}`);
    assert.match(row, /no longer fits the model: 0 of 2 layers would load/);
  }
  await wb.chooseRow(last);
  const notice = await wb.step('the notification', () =>
    poll('a warning naming the partial load', async () => {
      const t = await wb.notificationText();
      return /0 of 2 layers loaded/.test(t) ? t : undefined;
    }, { timeout: 60_000, seen: () => wb.notificationText() }),
  );
  assert.match(notice, /Net: 0 of 2 layers loaded from the weights of epoch 2: dense\(8\) \(line 3\) no longer fits: the checkpoint has kernel \[64, 16\], bias \[16\], the model now has kernel \[64, 8\], bias \[8\]; it keeps its initial weights\./);
  assert.doesNotMatch(notice, /Loaded the weights of epoch 2 into Net/);
  const frame = await wb.step('inspector webview', () => wb.webviewFrame('#nn-backend', 90_000));
  await poll('the loaded weights in the page', async () => (await frame.locator('body').getAttribute('data-trained-epoch')) === '2', { timeout: 90_000 });
  await frame.locator('vscode-tab-header[data-tab="training"]').click();
  const status = frame.locator('#nn-panel-training');
  await wb.step('the Training tab', () =>
    poll('the partial load in the Training tab', async () => /Net: only 0 of 2 layers loaded from the weights of epoch 2 in \.nnmodel\/net\/Net; the rest keep their initial weights/.test(await status.innerText()), {
      timeout: 30_000,
      seen: () => status.innerText(),
    }),
  );
  await wb.screenshot('load-weights-mismatch');
});
