// Format Document with the file's own indentation: VS Code's FormattingOptions
// (insertSpaces, tabSize, detected from the file with editor.detectIndentation,
// which package.json turns on for .nnmodel files) reach the formatter.
import assert from 'node:assert/strict';
import { e2eTest, poll } from './harness';
import type { Workbench } from './harness';

async function formatAndSave(wb: Workbench, file: string, before: string): Promise<string> {
  await wb.openFile(file);
  // Format Document right after opening can come before the extension has activated: wait for its analysis.
  await wb.step('extension active', () =>
    poll(`the analysis of ${file} on screen (inlay hints or CodeLens)`, async () => /\bparams\b/.test(await wb.visibleEditorText()), {
      seen: () => wb.visibleEditorText(),
    }),
  );
  await wb.runCommand('Format Document');
  return wb.step('save formatted', () => wb.saveAndRead(file, before));
}

const TABBED = 'model Tabbed{\n\tinput x:[8]\n\th=x->dense( 16 )->relu\n\t\toutput h->dense(4)\n}\n';

e2eTest('(f1) Format Document keeps a tab-indented file indented with tabs', { files: { 'tabbed.nnmodel': TABBED } }, async (wb) => {
  const text = await formatAndSave(wb, 'tabbed.nnmodel', TABBED);
  assert.equal(text, 'model Tabbed {\n\tinput x: [8]\n\th = x -> dense(16) -> relu\n\toutput h -> dense(4)\n}\n');
});

const FOUR = 'model Four{\n    input x:[8]\n    h=x->dense( 16 )->relu\n        output h->dense(4)\n}\n';

e2eTest('(f2) Format Document keeps a file indented by four spaces at four spaces', { files: { 'four.nnmodel': FOUR } }, async (wb) => {
  const text = await formatAndSave(wb, 'four.nnmodel', FOUR);
  assert.equal(text, 'model Four {\n    input x: [8]\n    h = x -> dense(16) -> relu\n    output h -> dense(4)\n}\n');
});

const BROKEN = 'model Broken{\n  input x:[8]\n  output x->dense( 4\n}\n';

e2eTest('(f3) Format Document on a file with a syntax error says why it leaves it as it is', { files: { 'broken.nnmodel': BROKEN } }, async (wb) => {
  await wb.openFile('broken.nnmodel');
  await wb.step('extension active', () => wb.waitForProblem(/broken\.nnmodel|expected/i));
  await wb.openFile('broken.nnmodel');
  await wb.runCommand('Format Document');
  const status = await wb.step('status bar message', () =>
    poll('the status bar to say why the file was not formatted', async () => {
      const text = (await wb.page.locator('.statusbar').innerText().catch(() => '')).replace(/\s+/g, ' ');
      return text.includes('Not formatting broken.nnmodel: it has 1 syntax error') ? text : undefined;
    }, { seen: async () => (await wb.page.locator('.statusbar').innerText().catch(() => '')).replace(/\s+/g, ' ') }),
  );
  assert.match(status, /Not formatting broken\.nnmodel: it has 1 syntax error \(at 3:\d+: /);
  assert.equal(wb.readFile('broken.nnmodel'), BROKEN);
});
