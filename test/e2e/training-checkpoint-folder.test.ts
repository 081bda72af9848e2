// Train Model with a checkpoint folder that cannot be written (the setting nnmodel.checkpoints.folder
// names a path through a file): said at once, before the inspector trains anything, with the folder and
// the setting to change. Before, the first epoch trained and was lost: its checkpoint failed to write and
// the run ended on "the checkpoint of epoch 1 was not written". With the setting fixed, the next run trains.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eTest, poll } from './harness';

const SMALL = `model Small {
  input x: [12, 12, 1]
  output x -> flatten -> dense(10) -> softmax
}

train Small {
  data: digits(samples = 200, size = 12)
  epochs: 1
  batch: 32
}
`;

e2eTest('Train Model says a checkpoint folder it cannot write before training, and names the setting', {
  files: {
    '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm', 'nnmodel.checkpoints.folder': 'taken/<model>' }, null, 2),
    // A file where the folder would be.
    taken: 'not a folder',
    'small.nnmodel': SMALL,
  },
  timeout: 400_000,
}, async (wb) => {
  await wb.openFile('small.nnmodel');
  await wb.runCommand('nnmodel: Train Model');
  const text = await wb.step('the error', () =>
    poll('the error about the checkpoint folder', async () => {
      const n = await wb.notificationText();
      return /Training Small: cannot write checkpoints in taken\/Small \(E[A-Z]+[^)]*\); nothing was trained\. Set nnmodel\.checkpoints\.folder to a folder that can be written\./.test(n) ? n : undefined;
    }, { timeout: 120_000, seen: () => wb.notificationText() }),
  );
  // Said before any epoch: the run's progress is gone and no epoch's checkpoint failed.
  assert.doesNotMatch(text, /epoch 1 was not written|Trained Small/);
  await wb.step('progress closed', () =>
    // The progress toast is the one with a Cancel button (the error has Show Output).
    poll('the "Training Small" progress to close', async () => !/\bCancel\b/.test(await wb.notificationText()), {
      timeout: 20_000,
      seen: () => wb.notificationText(),
    }),
  );
  await wb.screenshot('checkpoint-folder-error');

  // The setting pointed at a folder that can be written: the next run trains and writes its checkpoint there.
  writeFileSync(join(wb.folder, '.vscode', 'settings.json'), JSON.stringify({ 'nnmodel.backend': 'wasm', 'nnmodel.checkpoints.folder': 'ck/<model>' }, null, 2));
  // VS Code reads the changed settings file on its own (a file watcher): give it a moment.
  await new Promise((r) => setTimeout(r, 3000));
  await wb.runCommand('nnmodel: Train Model');
  await wb.step('the next run ends', () =>
    poll('the "Trained Small." notification', async () => /Trained Small\./.test(await wb.notificationText()), {
      timeout: 240_000,
      seen: () => wb.notificationText(),
    }),
  );
  assert.ok(existsSync(join(wb.folder, 'ck', 'Small', 'model.json')), 'the checkpoint in the folder the setting names');
});
