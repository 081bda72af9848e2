// The harness itself and the extension's installation and activation.
import assert from 'node:assert/strict';
import { e2eTest, poll, type Workbench } from './harness';

/**
 * The command is registered when the extensions service is ready, which on a
 * busy machine can come after the workbench shows: look again rather than
 * fail on the first look.
 */
async function showEnabledExtensions(wb: Workbench): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await wb.runCommand('Extensions: Show Enabled Extensions');
      return;
    } catch (err) {
      if (attempt >= 4) throw err;
      await wb.page.keyboard.press('Escape');
    }
  }
}

e2eTest('workbench loads and the Extensions view lists nnmodel as installed and enabled', {}, async (wb) => {
  await showEnabledExtensions(wb);
  const rows = wb.page.locator('.extensions-viewlet .monaco-list-row');
  const names = await wb.step('enabled extensions', () =>
    poll('nnmodel in the enabled extensions list', async () => {
      const texts = await rows.allInnerTexts();
      return texts.some((t) => /\bnnmodel\b/i.test(t)) ? texts : undefined;
    }, { seen: async () => (await rows.allInnerTexts()).join(' | ') || '(empty list)' }),
  );
  assert.ok(names.length >= 1);
});

e2eTest('(a) opening lenet5.nnmodel sets the nnmodel language mode and activates the extension', {}, async (wb) => {
  await wb.openFile('lenet5.nnmodel');
  await wb.step('language mode', () =>
    poll('the status bar language mode to read nnmodel', async () => /^nnmodel$/i.test((await wb.languageMode()).trim()), {
      seen: () => wb.languageMode(),
    }),
  );
  // "Show Running Extensions" lists the extensions whose activate() has run.
  await wb.runCommand('Developer: Show Running Extensions');
  const running = wb.page.locator('.runtime-extensions-editor .monaco-list-row');
  await wb.step('running extensions', () =>
    poll('nnmodel among the running (activated) extensions', async () => {
      const rows = await running.allInnerTexts();
      const ours = rows.find((r) => /\bnnmodel\b/i.test(r));
      return ours && !/activation failed|error/i.test(ours) ? ours : undefined;
    }, { seen: async () => (await running.allInnerTexts()).join(' | ') || '(no running extensions listed)' }),
  );
});
