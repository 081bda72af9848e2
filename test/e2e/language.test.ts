// The language features as a user meets them in VS Code: diagnostics, hover,
// inlay hints, completion, outline, formatting and quick fixes.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eTest, poll, positionOf } from './harness';
import { GPT2_SMALL } from '../fixtures/contract';
import { analyze } from '../../extension/core/analysis/analyze';
import { CHECKPOINT_VERSION, fnv1a, type ModelJson } from '../../extension/core/runtime/checkpoint';

e2eTest('(b) a typing error shows in the Problems panel with the unknown name', {}, async (wb) => {
  await wb.openFile('lenet5.nnmodel');
  await wb.step('type a broken model at the end', async () => {
    await wb.press('Control+End');
    await wb.type('\n\nmodel Broken {\n  input x: [4]\n  output nothing_here\n}\n');
  });
  const rows = await wb.waitForProblem('nothing_here');
  assert.ok(rows.some((r) => r.includes('nothing_here')), `Problems rows: ${rows.join(' | ')}`);
});

e2eTest('hovering seq in the small GPT says the weights do not depend on it, the MACs grow with its square, and the size its train section fixes', {}, async (wb) => {
  await wb.openFile('gpt_small.nnmodel');
  const source = wb.readFile('gpt_small.nnmodel');
  const at = positionOf(source, 'int[seq]');
  const text = await wb.hoverAt(at.line, at.column + 5, '(dimension) seq');
  assert.match(text, /A symbolic size of model GPTSmall/);
  assert.match(text, /Parameters do not depend on it: the same [\d,]+ weights serve any seq/);
  assert.match(text, /MACs grow with its square \(seq²\)/);
  assert.match(text, /Figures use seq = \d+, from its train section's data/);
});

e2eTest('(c) hovering conv2d in LeNet5 shows its output shape [28, 28, 6] and receptive field', {}, async (wb) => {
  await wb.openFile('lenet5.nnmodel');
  const source = wb.readFile('lenet5.nnmodel');
  // The layers in the model body, not the mentions in comments.
  const first = positionOf(source, '-> conv2d(6');
  const text = await wb.hoverAt(first.line, first.column + 5, '[28, 28, 6]');
  assert.match(text, /\[28, 28, 6\]/);
  // Parameter sharing: one 156-parameter kernel against a dense layer between the same values (nn.Linear(1024, 4704): 4,821,600).
  assert.match(text, /Parameter sharing: the same 156 parameters at each of the 784 output positions; a dense layer from the 1,024 input values to the 4,704 output values would need 1,024·4,704 \+ 4,704 = 4,821,600 \(30,908× as many\)/);
  // A shape that no documentation example holds: it can only come from inference.
  const second = positionOf(source, '-> conv2d(16');
  const text2 = await wb.hoverAt(second.line, second.column + 5, '[10, 10, 16]');
  assert.match(text2, /\[10, 10, 16\]/);
  // Its receptive field: 6 + (5 − 1)·2 = 14 pixels after the first pooling (stride 2).
  assert.match(text2, /Receptive field: 14 × 14 pixels of image, stride 2 × 2/);
});

e2eTest('(c3) hovering the second 3×3 conv of a VGG block compares the pair with one 5×5 conv (the course notes\' stacked kernels)', {}, async (wb) => {
  await wb.openFile('vgg_small.nnmodel');
  const source = wb.readFile('vgg_small.nnmodel');
  const second = positionOf(source, '-> conv2d(filters, 3', 1);
  const text = await wb.hoverAt(second.line, second.column + 5, 'Stacked kernels');
  // conv_block(32) on the image: 3→32 then 32→32 channels (torch: 896 + 9,248) against one Conv2d(3, 32, 5): 2,432.
  assert.match(text, /Stacked kernels: with the conv2d\(32, 3, padding = same\) on line 23, two 3×3 kernels see 5×5 input positions, as one conv2d\(32, 5\) would, with 10,144 parameters against 2,432 \(4\.17× as many\)/);
  assert.match(text, /with relu between them/);
});

e2eTest('(d) inlay hints show shapes or parameter counts in the editor', {}, async (wb) => {
  await wb.openFile('lenet5.nnmodel');
  const source = wb.readFile('lenet5.nnmodel');
  // Text that is not in the file itself can only have come from inlay hints.
  const hinted = (s: string) =>
    ['28, 28, 6', '14, 14, 6', '10, 10, 16', '5, 5, 16', '156', '61,706', '61 706', '61706', '2,416', '2 416', '2416', '58,284', '48,120', '10,164']
      .filter((h) => !source.includes(h))
      .find((h) => s.includes(h));
  const found = await wb.step('inlay hints', () =>
    poll('an inlay hint with a LeNet5 shape or parameter count', async () => hinted(await wb.visibleEditorText()), {
      seen: () => wb.visibleEditorText(),
    }),
  );
  assert.ok(found);
  // The hint text must not have been written into the document.
  assert.equal(wb.readFile('lenet5.nnmodel'), source);
});

const COMPLETE = `model Complete {
  input image: [28, 28, 1]
  output image
}
`;

e2eTest('(e) completion lists conv2d after ->, and inside conv2d(8, 3, only the arguments not given yet', { files: { 'complete.nnmodel': COMPLETE } }, async (wb) => {
  await wb.openFile('complete.nnmodel');
  const at = positionOf(COMPLETE, '  output image');
  await wb.goTo(at.line, at.column + '  output image'.length);
  await wb.type(' -> con');
  const layers = await wb.suggest(/^conv2d$/);
  assert.ok(layers.includes('conv2d'), `suggestions: ${layers.join(', ')}`);
  await wb.press('Escape');
  await wb.type('v2d(8, 3, ');
  // The arguments not given yet: filters and kernel are, by position; no template of a whole model or block.
  const open = await wb.suggest(/^stride$/);
  for (const l of ['filters', 'kernel', 'cnn', 'transformer']) assert.ok(!open.includes(l), `${l} offered: ${open.join(', ')}`);
  await wb.press('Escape');
  await wb.type('pad');
  const args = await wb.suggest(/^padding\b/);
  assert.ok(args.some((l) => l.startsWith('padding')), `suggestions: ${args.join(', ')}`);
});

const VECTOR = `model Vector {
  input x: [784]
  output x -> dense(10)
}
`;

e2eTest('(e3) after a vector, completion lists the layers that take it before those needing a rank it has not', { files: { 'vector.nnmodel': VECTOR } }, async (wb) => {
  await wb.openFile('vector.nnmodel');
  const at = positionOf(VECTOR, '  output x -> dense(10)');
  await wb.goTo(at.line, at.column + '  output x -> dense(10)'.length);
  await wb.type(' -> r');
  // relu, relu6 and reshape take [10]; random_crop and the other augmentations (rank 3) and rnn (rank 2) come after.
  const labels = await wb.suggest(/^reshape$/);
  const index = (l: string) => labels.indexOf(l);
  assert.ok(index('reshape') >= 0 && index('relu') >= 0, `suggestions: ${labels.join(', ')}`);
  for (const other of ['random_crop', 'rnn']) {
    if (index(other) >= 0) assert.ok(index(other) > index('reshape'), `${other} after reshape: ${labels.join(', ')}`);
  }
  assert.equal(labels[0], 'relu', `suggestions: ${labels.join(', ')}`);
});

e2eTest('(f) the Outline view lists the model LeNet5', {}, async (wb) => {
  await wb.openFile('lenet5.nnmodel');
  await wb.runCommand('Explorer: Focus on Outline View');
  const rows = await wb.step('outline', () =>
    poll('LeNet5 in the Outline view', async () => {
      const r = await wb.viewRows('Outline');
      return r.some((t) => t.includes('LeNet5')) ? r : undefined;
    }, { seen: async () => (await wb.viewRows('Outline')).join(' | ') || '(empty outline)' }),
  );
  assert.ok(rows.some((t) => t.includes('LeNet5')));
});

const MESSY = `model   Messy{
input x:[8]
      h=x->dense( 16 )   ->relu
    output h->dense(4,activation=softmax)
}
`;

e2eTest('(g) Format Document fixes a badly laid out file', { files: { 'messy.nnmodel': MESSY } }, async (wb) => {
  await wb.openFile('messy.nnmodel');
  // Format Document right after opening can come before the extension has activated ("There is no
  // formatter for 'nnmodel' files installed", seen once on CI): wait for its analysis on screen first.
  await wb.step('extension active', () =>
    poll('the analysis of messy.nnmodel on screen (inlay hints or CodeLens)', async () => /\bparams\b/.test(await wb.visibleEditorText()), {
      seen: () => wb.visibleEditorText(),
    }),
  );
  await wb.runCommand('Format Document');
  const text = await wb.step('save formatted', () => wb.saveAndRead('messy.nnmodel', MESSY));
  const lines = text.split('\n');
  assert.match(text, /^model Messy \{$/m, `formatted:\n${text}`);
  assert.ok(lines.includes('  input x: [8]'), `statements indented by two spaces, 'x: [8]':\n${text}`);
  assert.match(text, /^ {2}h = x -> dense\(16\) -> relu$/m, `single spaces around = and ->, none inside (...):\n${text}`);
  assert.match(text, /^ {2}output h -> dense\(4, activation ?= ?softmax\)$/m, `formatted:\n${text}`);
  assert.ok(text.endsWith('}\n'), `ends with the closing brace and a newline:\n${text}`);
  assert.ok(!/[ \t]+$/m.test(text), `no trailing whitespace:\n${text}`);
});

const TYPO = `model Typo {
  input x: [16]
  output x -> dense(10) -> softmx
}
`;

e2eTest("(h) a misspelled layer offers the quick fix Change to 'softmax'", { files: { 'typo.nnmodel': TYPO } }, async (wb) => {
  await wb.openFile('typo.nnmodel');
  await wb.waitForProblem('softmx');
  await wb.openFile('typo.nnmodel');
  const at = positionOf(TYPO, 'softmx');
  await wb.goTo(at.line, at.column + 1);
  const offered = await wb.applyQuickFix("Change to 'softmax'");
  assert.ok(offered.includes("Change to 'softmax'"), `offered: ${offered.join(' | ')}`);
  const text = await wb.step('save fixed', () => wb.saveAndRead('typo.nnmodel', TYPO));
  assert.equal(text, TYPO.replace('softmx', 'softmax'));
});

const TWICE = `model Twice {
  input x: [16]
  y = x -> dens(8)
  output y -> dens(4) -> softmax
}
`;

e2eTest("(h3) an unknown layer's later use is marked with a hint whose quick fix mends every use", { files: { 'twice.nnmodel': TWICE } }, async (wb) => {
  await wb.openFile('twice.nnmodel');
  await wb.waitForProblem('dens');
  await wb.openFile('twice.nnmodel');
  // The later use has no error of its own, but VS Code draws the hint's dots there.
  await wb.step('hint dots', () =>
    poll('a hint decoration in the editor', async () => (await wb.activeEditor().locator('.squiggly-hint').count()) > 0, {
      seen: async () => `${await wb.activeEditor().locator('.squiggly-hint').count()} hint decorations`,
    }),
  );
  const second = TWICE.indexOf('dens', TWICE.indexOf('dens') + 1);
  const line = TWICE.slice(0, second).split('\n').length;
  const column = second - TWICE.lastIndexOf('\n', second - 1);
  await wb.goTo(line, column + 1);
  const offered = await wb.applyQuickFix("Change to 'dense'");
  assert.ok(offered.includes("Change to 'dense'"), `offered: ${offered.join(' | ')}`);
  const text = await wb.step('save fixed', () => wb.saveAndRead('twice.nnmodel', TWICE));
  assert.equal(text, TWICE.replaceAll('dens(', 'dense('));
});

e2eTest('(i) the cursor on a layer object highlights where it is bound and where it is applied', { files: { 'gpt.nnmodel': GPT2_SMALL } }, async (wb) => {
  await wb.openFile('gpt.nnmodel');
  // A cursor move made before the extension has activated asks no provider (seen once on CI): wait for its analysis on screen.
  await wb.step('extension active', () =>
    poll('the analysis of gpt.nnmodel on screen (inlay hints)', async () => /\bparams\b/.test(await wb.visibleEditorText()), {
      seen: () => wb.visibleEditorText(),
    }),
  );
  const at = positionOf(GPT2_SMALL, 'unembed(wte)');
  await wb.goTo(at.line, at.column + 'unembed(w'.length);
  // VS Code highlights occurrences after a cursor move the user made (keyboard, mouse), not after
  // Go to Line's: move off and back with the arrows, staying inside `wte`.
  const wiggle = async () => {
    await wb.page.keyboard.press('ArrowLeft');
    await wb.page.keyboard.press('ArrowRight');
  };
  await wiggle();
  const overlays = wb.activeEditor().locator('.view-overlays');
  // From the extension's provider: one write (the binding) and two reads; VS Code's own
  // word search would mark all three as plain text occurrences instead.
  const counts = async () => [await overlays.locator('.wordHighlightStrong').count(), await overlays.locator('.wordHighlight').count()];
  let tries = 0;
  await wb.step('highlights', () =>
    poll(
      '1 write and 2 read highlights of wte',
      async () => {
        const now = (await counts()).join();
        // Nothing yet after a few polls: move again (a move is what asks for highlights).
        if (now === '0,0' && ++tries % 10 === 0) await wiggle();
        return now === '1,2';
      },
      { seen: async () => (await counts()).join() },
    ),
  );
});

e2eTest('(j) the CodeLens over a model shows its totals, and its Summary action opens the per-layer table', {}, async (wb) => {
  await wb.openFile('lenet5.nnmodel');
  const lenses = wb.activeEditor().locator('.codelens-decoration');
  // Lenses reach VS Code as bare ranges and get their titles when resolved on screen: the titles prove both.
  const text = await wb.step('code lens', () =>
    poll(
      "LeNet5's lens with its totals and actions",
      async () => {
        const t = (await lenses.allInnerTexts()).join(' | ').replace(/\s+/g, ' ');
        return /61\.7K params · 416\.5K MACs/.test(t) && /Summary/.test(t) && /Inspect/.test(t) && /Train/.test(t) ? t : undefined;
      },
      { seen: async () => (await lenses.allInnerTexts()).join(' | ') },
    ),
  );
  assert.match(text, /61\.7K params · 416\.5K MACs/);
  await lenses.locator('a', { hasText: /^Summary$/ }).first().click();
  const tabs = wb.page.locator('.tabs-container .tab');
  await poll('a tab with the LeNet5 summary', async () => ((await tabs.allInnerTexts()).some((t) => t.includes('LeNet5 summary')) ? true : undefined), {
    seen: async () => (await tabs.allInnerTexts()).join(' | '),
  });
  // The markdown preview (a webview) renders the per-layer table.
  const frame = await wb.webviewFrame('table', 60_000);
  const table = await wb.step('summary opened', async () => (await frame.locator('table').first().innerText()).replace(/\s+/g, ' '));
  assert.match(table, /conv2d/);
  assert.match(table, /\[28, 28, 6\]/);
  assert.match(table, /156/);
  // Beside the editor the preview is narrow: every column, the receptive field ("Sees") last, is inside it, not cut at its edge.
  type Box = { innerText: string; getBoundingClientRect(): { right: number } };
  const cells = await frame.locator('table').first().locator('th:last-child, td:last-child').evaluateAll((els) =>
    (els as unknown as Box[]).map((e) => ({ right: Math.round(e.getBoundingClientRect().right), text: e.innerText })),
  );
  // What shows without scrolling: the preview, and inside it the box the table scrolls in.
  const view = await frame.locator('table').first().evaluate((t) => {
    const el = t as unknown as { parentElement: { getBoundingClientRect(): { right: number } }; ownerDocument: { documentElement: { clientWidth: number } } };
    return Math.min(el.ownerDocument.documentElement.clientWidth, Math.round(el.parentElement.getBoundingClientRect().right));
  });
  const fit = { view, right: Math.max(...cells.map((c) => c.right)), field: cells.map((c) => c.text).join(' | ') };
  assert.ok(fit.right <= fit.view, `the receptive field column ends at ${fit.right} px, what shows ends at ${fit.view} px: ${fit.field}`);
  assert.match(fit.field, /14\s×\s14\s\/2/);
});

e2eTest('(k) Export to PyTorch opens the model as PyTorch code beside the source and says what differs', {}, async (wb) => {
  await wb.openFile('char_lstm.nnmodel');
  await wb.runCommand('nnmodel: Export to PyTorch');
  // A new untitled Python editor holds the code; nothing is written into the workspace.
  const code = await wb.step('export opened', () =>
    poll('the exported code in the active editor', async () => {
      const text = await wb.visibleEditorText();
      return text.includes('class CharLSTM(nn.Module)') && text.includes('import torch') ? text : undefined;
    }, { seen: () => wb.visibleEditorText() }),
  );
  assert.match(code, /nn\.LSTM\(/);
  assert.match(await wb.page.locator('.editor-group-container.active .tabs-container .tab.active').innerText(), /Untitled/);
  // PyTorch's LSTM has a second bias vector: the message says so, with the count.
  const note = await poll('the notification of what differs', async () => {
    const t = await wb.notificationText();
    return /\+1024 parameters/.test(t) ? t : undefined;
  }, { seen: () => wb.notificationText() });
  assert.match(note, /CharLSTM in PyTorch differs/);
});

/**
 * A checkpoint of LeNet5 as training writes it (model.json with the graph
 * signature, one weights file), made without tfjs: LeNet5 has no blocks, so
 * its layers' node paths are their ids and their weights those the analysis
 * lists.
 */
function writeLenetCheckpoint(folder: string): void {
  const source = readFileSync(join(folder, 'lenet5.nnmodel'), 'utf8');
  const model = analyze(source, {}).models.find((m) => m.name === 'LeNet5')!;
  const signature = model.graph.nodes
    .filter((n) => n.kind === 'layer' && n.weights.length > 0)
    .map((n) => {
      if (n.kind !== 'layer') throw new Error('unreachable');
      return { path: String(n.id), op: n.op, label: n.label, line: n.range.start.line + 1, weights: n.weights.map((w) => ({ name: w.name, shape: w.shape.map((d) => d.value!) })) };
    });
  const entries = signature.flatMap((s) => s.weights.map((w) => ({ name: `${s.path}/${w.name}`, shape: w.shape, dtype: 'float32' as const })));
  const total = entries.reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1), 0);
  const weights = new Uint8Array(Float32Array.from({ length: total }, (_, i) => Math.sin(i) * 0.1).buffer);
  const checksum = fnv1a(weights);
  const file = `weights-e2-${checksum}.bin`;
  const json: ModelJson = {
    format: 'layers-model',
    generatedBy: 'nnmodel',
    convertedBy: null,
    modelTopology: null,
    weightsManifest: [{ paths: [file], weights: entries }],
    nnmodel: { version: CHECKPOINT_VERSION, model: 'LeNet5', epoch: 2, signature, history: [], checksum, savedAt: '2026-01-01T00:00:00.000Z' },
  };
  const dir = join(folder, '.nnmodel', 'lenet5', 'LeNet5');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), weights);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
}

e2eTest('(k2) Export to PyTorch of a trained model asks about the weights and writes the code and a safetensors file', {}, async (wb) => {
  writeLenetCheckpoint(wb.folder);
  await wb.openFile('lenet5.nnmodel');
  await wb.runCommand('nnmodel: Export to PyTorch', { opensInput: true });
  await wb.step('include the trained weights', async () => {
    const row = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Include the trained weights' }).first();
    await poll('the question about the trained weights', () => row.isVisible(), {
      seen: async () => (await wb.page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).join(' | '),
    });
    const question = await wb.page.locator('.quick-input-widget .quick-input-box input').getAttribute('placeholder');
    assert.match(question ?? '', /LeNet5 has a checkpoint \(epoch 2\)\. Export its trained weights too\?/);
    await row.click();
  });
  await wb.step('accept the save dialog (LeNet5.py beside the source)', async () => {
    const input = wb.page.locator('.quick-input-widget .quick-input-box input');
    const value = await poll('the save dialog on LeNet5.py', async () => {
      const v = await input.inputValue().catch(() => '');
      return /LeNet5\.py$/.test(v) ? v : undefined;
    }, { seen: async () => input.inputValue().catch(() => '(no input)') });
    assert.match(value, /LeNet5\.py$/);
    await wb.press('Enter');
  });
  const py = join(wb.folder, 'LeNet5.py');
  const weights = join(wb.folder, 'LeNet5.safetensors');
  await wb.step('files written', () => poll('LeNet5.py and LeNet5.safetensors on disk', async () => existsSync(py) && existsSync(weights)));
  const code = readFileSync(py, 'utf8');
  assert.match(code, /^def load_nnmodel_weights\(model, path\):/m);
  assert.match(code, /"LeNet5\.safetensors"/);
  const bytes = readFileSync(weights);
  const headerSize = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerSize).toString('utf8')) as Record<string, { shape: number[] }>;
  // Keras's [kh, kw, in, out] kernel is PyTorch's [out, in, kh, kw].
  assert.deepEqual(header['conv1.weight'].shape, [6, 1, 5, 5]);
  const note = await poll('the notification of the export', async () => {
    const t = await wb.notificationText();
    return /Exported LeNet5 to LeNet5\.py/.test(t) ? t : undefined;
  }, { seen: () => wb.notificationText() });
  assert.match(note, /trained weights of epoch 2 in LeNet5\.safetensors/);
  // A notification shows backticks as they are: the command is in quotes.
  assert.match(note, /running "python LeNet5\.py" loads them/);
  assert.doesNotMatch(note, /`/);
  // The code opens in an editor (a file now, not an untitled one).
  await poll('the exported code in an editor', async () => (await wb.visibleEditorText()).includes('PyTorch code generated by nnmodel from lenet5.nnmodel'), { seen: () => wb.visibleEditorText() });
  assert.match(await wb.page.locator('.editor-group-container.active .tabs-container .tab.active').innerText(), /LeNet5\.py/);
});

e2eTest('(e2) completion in an empty file lists block, model and train once each', { files: { 'empty.nnmodel': '' } }, async (wb) => {
  await wb.openFile('empty.nnmodel');
  await wb.goTo(1, 1);
  const labels = await wb.suggest(/^model$/);
  for (const k of ['model', 'block', 'train', 'import']) {
    assert.equal(labels.filter((l) => l === k).length, 1, `'${k}' in: ${labels.join(', ')}`);
  }
  // The templates that are no keyword are still offered.
  for (const k of ['cnn', 'transformer']) assert.ok(labels.includes(k), `'${k}' in: ${labels.join(', ')}`);
});

e2eTest('(e4) a block imported from another file gets completion, argument completion, signature help and a full hover', {}, async (wb) => {
  await wb.openFile('gpt_small.nnmodel');
  const source = wb.readFile('gpt_small.nnmodel');
  const call = positionOf(source, '-> gpt_block(128');
  // Inside `gp|t_block` (30:17 in the example).
  await wb.goTo(call.line, call.column + 5);
  const names = await wb.suggest(/^gpt_block$/);
  assert.ok(names.includes('gpt_block'), `suggestions: ${names.join(', ')}`);
  await wb.press('Escape');
  // After `gpt_block(128, `: the parameters not given yet; no template of a whole model or block.
  await wb.goTo(call.line, call.column + '-> gpt_block(128, '.length);
  const args = await wb.suggest(/^heads$/);
  for (const l of ['dim', 'cnn', 'transformer']) assert.ok(!args.includes(l), `${l} offered: ${args.join(', ')}`);
  await wb.press('Escape');
  const hint = await wb.signatureHelp('gpt_block(');
  assert.match(hint, /block gpt_block\(dim, heads, hidden = 4 \* dim, p = 0\.1\)/);
  await wb.press('Escape');
  const hover = await wb.hoverAt(call.line, call.column + 5, 'block gpt_block(dim');
  assert.match(hover, /block gpt_block\(dim, heads, hidden = 4 \* dim, p = 0\.1\)/);
  assert.match(hover, /64 weight tensors with 12 distinct names/);
});

const USE_MODEL = `model A {
  input x: [10]
  output x -> dense(4)
}

model B {
  input x: [10]
  output x -> A -> dense(2)
}
`;

e2eTest("(h2) a model used as a layer says so and offers to make it a block", { files: { 'usemodel.nnmodel': USE_MODEL } }, async (wb) => {
  await wb.openFile('usemodel.nnmodel');
  await wb.waitForProblem(/'A' is a model; only blocks can be used as layers/);
  await wb.openFile('usemodel.nnmodel');
  const at = positionOf(USE_MODEL, '-> A ->');
  await wb.goTo(at.line, at.column + 3);
  const offered = await wb.applyQuickFix("Change model 'A' to a block");
  assert.ok(offered.includes("Change model 'A' to a block"), `offered: ${offered.join(' | ')}`);
  const text = await wb.step('save fixed', () => wb.saveAndRead('usemodel.nnmodel', USE_MODEL));
  assert.equal(text, USE_MODEL.replace('model A', 'block A'));
});

const CONVBN = `block convbn(f) {
  input x
  x = x -> conv2d(f, 3, padding = same)
  output x -> batchnorm -> relu
}

model Net {
  input image: [28, 28, 1]
  output image -> convbn(16) -> maxpool(2)
               -> convbn(32) -> flatten -> dense(10)
}
`;

e2eTest('(c2) inside a block called twice, the hover and the inlay hint say which call they show', { files: { 'convbn.nnmodel': CONVBN } }, async (wb) => {
  await wb.openFile('convbn.nnmodel');
  const at = positionOf(CONVBN, 'conv2d(f');
  const hover = await wb.hoverAt(at.line, at.column + 2, /Shown for the first of 2 calls/);
  assert.match(hover, /Shown for the first of 2 calls, convbn\(16\) on line 9; convbn\(32\) on line 10 gives \[14, 14, 32\], 4,640 params\./);
  const text = await poll('the inlay hint with its marker', async () => {
    const t = await wb.visibleEditorText();
    return t.includes('+1 more call') ? t : undefined;
  }, { seen: () => wb.visibleEditorText() });
  assert.match(text, /→ \[28, 28, 16\] · 160 params · \+1 more call/);
});

e2eTest(
  '(s) with nnmodel.dimensions set, the hover of GPT-2 small shows its MACs and training memory at seq = 1024',
  { files: { '.vscode/settings.json': JSON.stringify({ 'nnmodel.dimensions': { seq: 1024 }, 'nnmodel.memory.batchSize': 8 }) } },
  async (wb) => {
    await wb.openFile('gpt2_small.nnmodel');
    const at = positionOf(wb.readFile('gpt2_small.nnmodel'), 'model GPT2Small');
    const hover = await wb.hoverAt(at.line, at.column + 8, 'At seq = 1,024');
    // 18,432·1024² + 123,532,032·1024 MACs; training: 9,216·seq² + 15,209,536·seq + 1,991,036,928 B at batch 8.
    assert.match(hover, /At seq = 1,024 \(from nnmodel\.dimensions\): MACs 145,824,153,600 \(145\.8G\)/);
    assert.match(hover, /training with Adam at batch 8 ~25\.4 GiB/);
    // A layer in the block body, at the same size: 48·seq² + 15,360·seq B of activations.
    const source = wb.readFile('gpt2_small.nnmodel');
    const att = positionOf(source, 'attention(heads', source.split('attention(heads').length - 2);
    const layer = await wb.hoverAt(att.line, att.column + 3, 'At seq = 1,024:');
    assert.match(layer, /At seq = 1,024: → \[1024, 768\] · MACs 4,026,531,840 \(4\.0G\) · activations per example 63\.0 MiB/);
  },
);

e2eTest('(c4) hovering a block input shows what its first call gives it; hovering an argument value shows that argument', {}, async (wb) => {
  await wb.openFile('resnet18.nnmodel');
  const source = wb.readFile('resnet18.nnmodel');
  const input = positionOf(source, 'input x');
  const hover = await wb.hoverAt(input.line, input.column + 'input '.length, '(input) x');
  assert.match(hover, /\(input\) x: \[56, 56, 64\]/);
  assert.match(hover, /Shown for the first of 4 calls, basic_block\(64\) \* 2 on line 46/);
  const same = positionOf(source, 'conv2d(filters, 3, padding = same');
  const arg = await wb.hoverAt(same.line, same.column + 'conv2d(filters, 3, padding = s'.length, '(argument)');
  assert.match(arg, /\(argument\) conv2d\.padding = same/);
  assert.match(arg, /keep the size at stride 1/);
  assert.doesNotMatch(arg, /Parameters:/);
});

const QA_SUM = `# About digits: see Amodei
model Sum {
  input tokens: int[seq]
  x = tokens -> embedding(1000, 100)
  x = x + x -> layernorm -> attention(4)
  output x -> dense(10) -> softmax
}
train Sum {
  data: digits(samples = 6000, size = 32)
}
`;

e2eTest('(e5) hovering + names the values it adds; completion in a call with every argument given offers no words from the file', { files: { 'sum.nnmodel': QA_SUM } }, async (wb) => {
  await wb.openFile('sum.nnmodel');
  const plus = positionOf(QA_SUM, '+ x -> layernorm');
  const hover = await wb.hoverAt(plus.line, plus.column, 'residual');
  assert.match(hover, /x \+ x -> layernorm -> attention\(4\) — a residual connection: the shortcut x plus the branch x -> layernorm -> attention\(4\)/);
  assert.match(hover, /right: \[seq, 100\] from x -> layernorm -> attention\(4\)/);
  // Inside digits(...) with both arguments given the extension has nothing to offer, and VS Code's
  // word-based suggestions (words of the file and its comments: About, Amodei) are off for the language.
  // Before `32` no typed prefix narrows what VS Code lists.
  const size = positionOf(QA_SUM, 'size = 32)');
  await wb.goTo(size.line, size.column + 'size = '.length);
  const widget = wb.page.locator('.suggest-widget.visible');
  const shown = await poll(
    'the suggest widget with its items or "No suggestions"',
    async () => {
      if (!(await widget.isVisible())) {
        await wb.press('Control+Space');
        await widget.waitFor({ state: 'visible', timeout: 2000 }).catch(() => undefined);
      }
      const text = (await widget.allInnerTexts()).join('\n').trim();
      return text ? text : undefined;
    },
    { seen: async () => (await widget.allInnerTexts()).join('\n') || '(no suggest widget)' },
  );
  for (const word of ['Amodei', 'About', 'digits', 'samples']) assert.doesNotMatch(shown, new RegExp(`\\b${word}\\b`), `suggested: ${shown}`);
});
