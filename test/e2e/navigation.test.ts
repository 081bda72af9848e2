// Editor navigation in the real VS Code: Go to Symbol in Workspace on files
// that are not open, Expand Selection along the syntax tree, folding of
// comment runs.
import assert from 'node:assert/strict';
import { e2eTest, poll, positionOf, WAIT_MS, type Workbench } from './harness';

const normalize = (s: string): string => s.replace(/\u00a0/g, ' ');

/**
 * Opens Quick Open (Ctrl+P) with `text` typed in (`#name` searches the workspace's symbols).
 * Done once the widget is shown holding `text`: it is opened again when it closes before
 * taking the text or right after (a suggestion widget of the editor just typed in can take
 * the focus back). Bounded by `poll`'s deadline; its failure says what the quick input
 * showed, how often Ctrl+P was pressed, and the last error of `fill`.
 */
async function quickOpen(wb: Workbench, text: string): Promise<void> {
  const widget = wb.page.locator('.quick-input-widget');
  const input = wb.page.locator('.quick-input-widget .quick-input-box input');
  let presses = 0;
  await poll(
    `Quick Open to show '${text}'`,
    async () => {
      if (!(await widget.isVisible())) {
        presses++;
        await wb.focusWorkbench();
        await wb.press('Control+P');
        // Not shown yet: the next round looks again (and presses again only if it is still closed).
        if (!(await widget.waitFor({ state: 'visible', timeout: 1500 }).then(() => true, () => false))) return false;
      }
      // Throws when the widget closed meanwhile: poll keeps the error for its message and tries again.
      if ((await input.inputValue({ timeout: 1000 })) !== text) await input.fill(text, { timeout: 2000 });
      // Held: still shown, with the text.
      return (await widget.isVisible()) && (await input.inputValue({ timeout: 1000 })) === text;
    },
    { seen: () => quickState(wb, presses) },
  );
}

/** What the quick input shows, for a timeout's message. */
async function quickState(wb: Workbench, presses?: number): Promise<string> {
  const open = await wb.page.locator('.quick-input-widget').isVisible();
  const value = open ? await wb.page.locator('.quick-input-widget .quick-input-box input').inputValue({ timeout: 1000 }).catch(() => '?') : '';
  const rows = open ? (await quickRows(wb)).join(' | ') || '(no rows)' : '';
  return `quick input ${open ? `open on '${value}': ${rows}` : 'closed'}${presses === undefined ? '' : `; Ctrl+P pressed ${presses} times`}`;
}

/**
 * Waits until the quick input's rows satisfy `ok`. The symbol search runs
 * once per text typed: if the extension was still activating then, the
 * list stays empty, so the query is typed again every few seconds (and
 * Quick Open opened again if it closed meanwhile).
 */
async function waitForRows(wb: Workbench, text: string, what: string, ok: (rows: string[]) => boolean): Promise<string[]> {
  const widget = wb.page.locator('.quick-input-widget');
  const input = wb.page.locator('.quick-input-widget .quick-input-box input');
  let typed = Date.now();
  return poll(what, async () => {
    if (!(await widget.isVisible())) {
      await quickOpen(wb, text);
      typed = Date.now();
    }
    const rows = await quickRows(wb);
    if (ok(rows)) return rows;
    if (Date.now() - typed > 4000) {
      typed = Date.now();
      await input.fill(text.slice(0, -1), { timeout: 2000 });
      await input.fill(text, { timeout: 2000 });
    }
    return undefined;
  }, { seen: () => quickState(wb) });
}

/** The rows of the quick input list, as text. */
async function quickRows(wb: Workbench): Promise<string[]> {
  return (await wb.page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).map((r) => normalize(r).replace(/\s+/g, ' '));
}

async function statusSelection(wb: Workbench): Promise<string> {
  return normalize(await wb.page.locator('[id="status.editor.selection"]').innerText().catch(() => ''));
}

/** How many characters the status bar says are selected (0 when nothing is). */
async function selectedCount(wb: Workbench): Promise<number> {
  const m = /\((\d+) selected\)/.exec(await statusSelection(wb));
  return m ? Number(m[1]) : 0;
}

const SUB = `# A file in a subfolder, never opened.
block block_in_sub(units) {
  input x
  output x -> dense(units)
}
`;
const EXCLUDED = `block block_in_node_modules(units) {
  input x
  output x -> dense(units)
}
`;

e2eTest(
  'Go to Symbol in Workspace finds blocks of files that are not open and opens one at its name',
  { files: { 'sub/deeper/extra.nnmodel': SUB, 'node_modules/some_pkg/lib.nnmodel': EXCLUDED } },
  async (wb) => {
    // No file is open: the extension activates because the workspace holds .nnmodel files.
    // A fuzzy query: the letters of block_in_… in order. The subfolder's block is found; node_modules (search.exclude) is not searched.
    const rows = await wb.step('query #blkin', async () => {
      await quickOpen(wb, '#blkin');
      return waitForRows(wb, '#blkin', 'block_in_sub among the workspace symbols', (r) => r.some((t) => t.includes('block_in_sub')));
    });
    assert.ok(rows.some((t) => t.includes('block_in_sub') && t.includes('extra.nnmodel')), rows.join(' | '));
    assert.ok(!rows.some((t) => t.includes('block_in_node_modules')), `excluded folder searched: ${rows.join(' | ')}`);

    const source = wb.readFile('resnet18.nnmodel');
    const at = positionOf(source, 'block down_block');
    await wb.step('query #down_block', async () => {
      await quickOpen(wb, '#down_block');
      await waitForRows(wb, '#down_block', 'down_block in resnet18.nnmodel as the first row', (r) => !!r[0]?.includes('down_block') && r[0].includes('resnet18.nnmodel'));
    });
    await wb.step('open it', async () => {
      await wb.press('Enter');
      const tab = wb.page.locator('.tabs-container .tab.active[data-resource-name="resnet18.nnmodel"]');
      await poll('resnet18.nnmodel as the active editor', async () => (await tab.count()) > 0, { timeout: WAIT_MS });
      // The cursor on the block's name: line of `block down_block`, after `block `.
      await poll(`the cursor at Ln ${at.line}, Col ${at.column + 'block '.length}`, async () =>
        (await statusSelection(wb)).includes(`Ln ${at.line}, Col ${at.column + 'block '.length}`),
      { seen: () => statusSelection(wb) });
    });
    // Unsaved text of an open editor wins over the file on disk.
    await wb.step('type an unsaved block', async () => {
      await wb.press('Control+End');
      await wb.type('\nblock unsaved_blk(u) {\n  input x\n  output x\n}\n');
    });
    const unsaved = await wb.step('query #unsaved_blk', async () => {
      await quickOpen(wb, '#unsaved_blk');
      return waitForRows(wb, '#unsaved_blk', 'the unsaved block among the workspace symbols', (r) => r.some((t) => t.includes('unsaved_blk')));
    });
    assert.ok(unsaved.some((t) => t.includes('unsaved_blk') && t.includes('resnet18.nnmodel')), unsaved.join(' | '));
    assert.equal(wb.readFile('resnet18.nnmodel'), source, 'the file on disk is unchanged');
    await wb.press('Escape');
  },
);

e2eTest('Expand Selection grows from an argument to its call, then to the whole chain over continuation lines', {}, async (wb) => {
  await wb.openFile('lenet5.nnmodel');
  const source = wb.readFile('lenet5.nnmodel');
  const at = positionOf(source, 'dense(120)');
  // Inside the number 120.
  await wb.goTo(at.line, at.column + 'dense(1'.length);
  const line = source.split('\n')[at.line - 1];
  const chainStart = source.indexOf('image ->');
  const chain = source.slice(chainStart, source.indexOf('softmax', chainStart) + 'softmax'.length);
  // The tree's ranges (120, (120), dense(120), the chain); VS Code adds the line, trimmed then whole, where a range wraps onto other lines.
  const expected = [3, 5, 10, line.trim().length, line.length, chain.length];
  const seen: number[] = [];
  for (const count of expected) {
    await wb.step(`expand to ${count}`, async () => {
      const before = await selectedCount(wb);
      await wb.press('Shift+Alt+ArrowRight');
      const now = await poll(`the selection to grow past ${before} characters`, async () => {
        const n = await selectedCount(wb);
        return n > before ? n : undefined;
      }, { seen: () => statusSelection(wb) });
      seen.push(now);
    });
  }
  assert.deepEqual(seen, expected);
  // Shrink Selection walks back.
  await wb.press('Shift+Alt+ArrowLeft');
  await poll('the selection to shrink to the line', async () => (await selectedCount(wb)) === line.length, { seen: () => statusSelection(wb) });
});

e2eTest('Fold All Block Comments folds the header comment of lenet5.nnmodel, Fold All folds the model body', {}, async (wb) => {
  await wb.openFile('lenet5.nnmodel');
  const source = wb.readFile('lenet5.nnmodel');
  const lines = source.split('\n');
  const second = lines[1];
  const modelLine = lines.find((l) => l.startsWith('model LeNet5'))!;
  const inBody = lines.find((l) => l.includes('input image'))!.trim();
  // The analysis on screen: the extension is active and its providers answer.
  await wb.step('extension active', () =>
    poll('inlay hints or CodeLens of lenet5.nnmodel', async () => /\bparams\b/.test(await wb.visibleEditorText()), { seen: () => wb.visibleEditorText() }),
  );
  assert.ok((await wb.visibleEditorText()).includes(second.slice(2, 30)));
  // Only a folding provider gives comment folds: VS Code's indentation folding has no kinds.
  await wb.runCommand('Fold All Block Comments');
  await wb.step('comment folded', () =>
    poll('the second comment line hidden, the model visible', async () => {
      const text = await wb.visibleEditorText();
      return !text.includes(second.slice(2, 30)) && text.includes(modelLine);
    }, { seen: () => wb.visibleEditorText() }),
  );
  await wb.runCommand('Fold All');
  await wb.step('body folded', () =>
    poll('the model body hidden, its declaration visible', async () => {
      const text = await wb.visibleEditorText();
      return !text.includes(inBody) && text.includes('model LeNet5');
    }, { seen: () => wb.visibleEditorText() }),
  );
});

// A block of another file, not imported by this one: renaming gpt_block in gpt2_small.nnmodel must leave it alone.
const UNRELATED = `block gpt_block(dim) {
  input x
  output x -> dense(dim)
}

model Unrelated {
  input x: [8]
  output x -> gpt_block(4)
}
`;
// Sees gpt_block through gpt_small.nnmodel, which imports gpt2_small.nnmodel.
const THROUGH = `import "../gpt_small.nnmodel"

model Through {
  input tokens: int[16]
  output tokens -> embedding(64, 32) -> gpt_block(32, 2)
}
`;

e2eTest(
  'Rename of a block renames its calls in every file that imports it, directly or not, and nowhere else',
  { files: { 'other/unrelated.nnmodel': UNRELATED, 'deep/through.nnmodel': THROUGH } },
  async (wb) => {
    const small = wb.readFile('gpt_small.nnmodel');
    const source = wb.readFile('gpt2_small.nnmodel');
    await wb.openFile('gpt2_small.nnmodel');
    await wb.step('extension active', () =>
      poll('the analysis of gpt2_small.nnmodel on screen', async () => /\bparams\b/.test(await wb.visibleEditorText()), { seen: () => wb.visibleEditorText() }),
    );
    const at = positionOf(source, 'block gpt_block');
    await wb.goTo(at.line, at.column + 'block gpt'.length);
    await wb.step('F2 gpt_layer', async () => {
      const input = wb.page.locator('.rename-box input, .rename-input');
      await poll('the rename box', async () => {
        if (await input.first().isVisible()) return true;
        await wb.press('F2');
        return input.first().waitFor({ state: 'visible', timeout: 2000 }).then(() => true, () => false);
      });
      await input.first().fill('gpt_layer');
      await wb.press('Enter');
      await poll('the rename box to close', async () => !(await input.first().isVisible()));
    });
    await wb.runCommand('File: Save All Files');
    const saved = await wb.step('saved', () =>
      poll('gpt_small.nnmodel and deep/through.nnmodel saved with gpt_layer', () => {
        const files = { small: wb.readFile('gpt_small.nnmodel'), through: wb.readFile('deep/through.nnmodel'), own: wb.readFile('gpt2_small.nnmodel') };
        return files.small !== small && files.through !== THROUGH && files.own !== source ? files : undefined;
      }, { seen: () => wb.readFile('gpt_small.nnmodel').split('\n').filter((l) => l.includes('gpt_')).join(' | ') }),
    );
    assert.equal(saved.small, small.replace('gpt_block(128, 4)', 'gpt_layer(128, 4)'));
    assert.equal(saved.through, THROUGH.replace('gpt_block(32, 2)', 'gpt_layer(32, 2)'));
    assert.equal(saved.own, source.replace('block gpt_block(', 'block gpt_layer(').replace('-> gpt_block(768, 12)', '-> gpt_layer(768, 12)'));
    assert.equal(wb.readFile('other/unrelated.nnmodel'), UNRELATED, 'a same-named block of a file that does not import it is left alone');
  },
);

e2eTest('Go to Definition and the hover on a rebound name take the binding in scope (x on line 28 of gpt2_small.nnmodel → line 27)', {}, async (wb) => {
  await wb.openFile('gpt2_small.nnmodel');
  const source = wb.readFile('gpt2_small.nnmodel');
  const use = positionOf(source, 'output x + x');
  const col = use.column + 'output '.length;
  // The hover first: it also waits for the extension to be active.
  const hover = await wb.hoverAt(use.line, col, '(value) x');
  assert.match(hover, /\(value\) x: \[seq, 768\]/);
  await wb.press('Escape');
  const bound = positionOf(source, 'x = x + x');
  await wb.goTo(use.line, col);
  await wb.press('F12');
  await poll(`the cursor at the rebinding, Ln ${bound.line}, Col ${bound.column}`, async () => (await statusSelection(wb)).includes(`Ln ${bound.line}, Col ${bound.column}`), {
    seen: () => statusSelection(wb),
  });
});

e2eTest('Open Link on the import path of gpt_small.nnmodel opens gpt2_small.nnmodel; on its data path, data/tiny.txt', {}, async (wb) => {
  await wb.openFile('gpt_small.nnmodel');
  const source = wb.readFile('gpt_small.nnmodel');
  // The hover first: it also waits for the extension (and its link provider) to be active.
  const call = positionOf(source, 'gpt_block(128');
  await wb.hoverAt(call.line, call.column + 2, 'gpt_block');
  await wb.press('Escape');
  const activeTab = () => wb.page.locator('.tabs-container .tab.active').getAttribute('data-resource-name').catch(() => null);
  const openLinkAt = async (needle: string, target: string) => {
    const at = positionOf(source, needle);
    await wb.goTo(at.line, at.column + 3);
    // The link provider answers after the editor asks; Open Link is tried until the target opens.
    await poll(`Open Link on ${needle} to open ${target}`, async () => {
      if ((await activeTab()) === target) return true;
      await wb.runCommand('Open Link');
      return (await activeTab()) === target;
    }, { seen: async () => `active tab ${await activeTab()}` });
  };
  await openLinkAt('"gpt2_small.nnmodel"', 'gpt2_small.nnmodel');
  // Back to the first file by its tab (Quick Open of an open, inactive file is slow to settle).
  await wb.page.locator('.tabs-container .tab[data-resource-name="gpt_small.nnmodel"]').click();
  await poll('gpt_small.nnmodel to be the active tab again', async () => (await activeTab()) === 'gpt_small.nnmodel');
  await wb.activeEditor().locator('textarea').focus();
  await openLinkAt('"data/tiny.txt"', 'tiny.txt');
});
