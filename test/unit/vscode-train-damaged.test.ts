// Train Model on a folder whose last checkpoint is damaged started over without a word (a line in the output
// channel), and its first epoch replaced the damaged checkpoint and the intact best beside it. It now says what is
// damaged and asks (extension/vscode/training.ts askAfterDamage): continue from the intact best, start over with the
// damaged files (and the best) set aside, or Cancel, which touches nothing. With the fake `vscode`
// (test/unit/vscodeMock.ts); the fake has no webview, so a run that goes on ends at "the inspector could not start".
import { reset, resetWindow, state, textDocument, ui } from './vscodeMock'; // first: installs the fake `vscode`
import { freshAnalyses, until } from '../fixtures/vscodeUi';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel } from '../../extension/core/runtime/build';
import { checkpointDir, damagedRemedy, DamagedCheckpointError, encodeCheckpoint, readCheckpoint, writeBestCheckpoint, writeCheckpoint } from '../../extension/core/runtime/checkpoint';
import { nodeCheckpointFs } from '../../extension/core/runtime/nodeFs';
import type { EpochLogs } from '../../extension/core/runtime/train';
import { registerTraining } from '../../extension/vscode/training';
import type * as vscode from 'vscode';
import { useCpuBackend } from '../fixtures/tfjs';

const FILE = `model Net {
  input x: [28, 28, 1]
  output x -> flatten -> dense(10) -> softmax
}

train Net {
  data: digits()
  epochs: 5
  validation: 0.2
}
`;

const cache = freshAnalyses;

useCpuBackend();

/** Checkpoints of Net as training leaves them: epochs with these val_losses (undefined: no validation). */
async function trained(dir: string, valLosses: (number | undefined)[]): Promise<void> {
  const info = analyze(FILE).models[0];
  const history: EpochLogs[] = [];
  for (const [i, v] of valLosses.entries()) {
    history.push({ epoch: i + 1, epochs: 5, loss: 1 / (i + 1), metrics: {}, ...(v !== undefined ? { valLoss: v } : {}), examples: 1, ms: 1 });
    const ck = await encodeCheckpoint(buildModel(tf, info, { seed: i + 1 }), { model: 'Net', epoch: i + 1, history: [...history] });
    await writeCheckpoint(nodeCheckpointFs(), dir, ck);
    await writeBestCheckpoint(nodeCheckpointFs(), dir, ck);
  }
}

/** Flips a byte of the last checkpoint's weights file; returns its name. */
function damage(ckDir: string): string {
  const bin = readdirSync(ckDir).find((f) => f.startsWith('weights-'))!;
  const bytes = readFileSync(join(ckDir, bin));
  bytes[10] ^= 0xff;
  writeFileSync(join(ckDir, bin), bytes);
  return bin;
}

function setup(): { root: string; doc: ReturnType<typeof textDocument>; ckDir: string; done(): void } {
  const root = mkdtempSync(join(tmpdir(), 'nnmodel-vscode-damaged-'));
  reset([root]);
  resetWindow();
  state.config.nnmodel = {};
  const doc = textDocument(join(root, 'net.nnmodel'), FILE);
  const context = { asAbsolutePath: (p: string) => join(root, p) } as unknown as vscode.ExtensionContext;
  const api = registerTraining(context, cache);
  return { root, doc, ckDir: checkpointDir(doc.uri.fsPath, 'Net'), done: () => (api.dispose(), rmSync(root, { recursive: true, force: true })) };
}

const run = (id: string, ...args: unknown[]) => ui.commands.get(id)!(...args) as Promise<void>;
/** The folder's files, the set-aside folder's listed inside it (`set-aside-…/model.json`). */
const listing = (ckDir: string) =>
  readdirSync(ckDir)
    .flatMap((f) => (f.startsWith('set-aside-') ? readdirSync(join(ckDir, f)).map((g) => `set-aside/${g}`) : [f]))
    .sort();

test('a damaged last checkpoint beside an intact best: said in a dialog with Continue from Best, Start Over and Cancel; Cancel touches nothing', async () => {
  const { doc, ckDir, done } = setup();
  try {
    await trained(ckDir, [0.5, 0.4, 0.45]);
    const bin = damage(ckDir);
    const before = listing(ckDir);
    const training = run('nnmodel.train', doc.uri, 'Net');
    const asked = await until('the dialog', () => ui.messages.find((m) => m.severity === 'warning'));
    assert.equal(asked.text, `Net: the last checkpoint (epoch 3) in .nnmodel/net/Net is damaged (${bin}: its checksum does not match model.json) and cannot be continued.`);
    assert.equal(asked.modal, true, 'a dialog: VS Code adds its Cancel');
    assert.deepEqual(asked.items, ['Continue from Best (Epoch 2)', 'Start Over']);
    assert.equal(
      asked.detail,
      'The best checkpoint (epoch 2, val_loss 0.4) is intact. Continue from Best (Epoch 2) trains epochs 3–5 from its weights, with a fresh optimizer (the best keeps no optimizer state).\n\n' +
        'Start Over trains from fresh weights; the best checkpoint is set aside with the damaged files, as the new run would replace it.\n\n' +
        'The damaged files are first moved into a set-aside folder in .nnmodel/net/Net: nothing is replaced. Cancel leaves everything as it is.',
    );
    assert.equal(ui.questions.length, 0, 'no quick pick of its own');
    asked.answer(undefined);
    await training;
    assert.deepEqual(listing(ckDir), before, 'Cancel: nothing moved, nothing written');
    assert.deepEqual(ui.progress, [], 'nothing ran');
  } finally {
    done();
  }
});

test('Continue from Best sets the damaged files aside and continues from the best epoch with a fresh optimizer; the best stays in place', async () => {
  const { doc, ckDir, done } = setup();
  try {
    await trained(ckDir, [0.5, 0.4, 0.45]);
    const bin = damage(ckDir);
    const files = readdirSync(ckDir);
    const training = run('nnmodel.train', doc.uri, 'Net');
    const asked = await until('the dialog', () => ui.messages.find((m) => m.severity === 'warning'));
    asked.answer('Continue from Best (Epoch 2)');
    await training;
    assert.deepEqual(listing(ckDir), ['best.json', files.find((f) => f.startsWith('best-e2-'))!, `set-aside/${bin}`, 'set-aside/model.json'].sort());
    assert.ok(ui.output.some((l) => /^set aside in \.nnmodel\/net\/Net\/set-aside-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d: model\.json, weights-e3-/.test(l)), JSON.stringify(ui.output));
    // The run continues from the best (epoch 2): its optimizer starts afresh, said why.
    assert.ok(ui.output.includes("the optimizer's saved state is not used: the best checkpoint (epoch 2) keeps no optimizer state"), JSON.stringify(ui.output));
    assert.equal(ui.progress[0]?.title, 'Training Net');
    // The fake has no webview: the run ends there, having replaced nothing.
    assert.match(ui.messages.find((m) => m.severity === 'error')?.text ?? '', /^Training Net: the inspector could not start the run/);
    assert.equal((await readCheckpoint(nodeCheckpointFs(), ckDir, { which: 'best' })).modelJson.nnmodel.epoch, 2);
  } finally {
    done();
  }
});

test('Start Over sets the damaged files and the best aside (the new run would replace the best); without a best, Start Over is the one choice', async () => {
  const { doc, ckDir, done } = setup();
  try {
    await trained(ckDir, [0.5, 0.4, 0.45]);
    damage(ckDir);
    const files = readdirSync(ckDir);
    const training = run('nnmodel.train', doc.uri, 'Net');
    const asked = await until('the dialog', () => ui.messages.find((m) => m.severity === 'warning'));
    asked.answer('Start Over');
    await training;
    assert.deepEqual(listing(ckDir), files.map((f) => `set-aside/${f}`).sort(), 'every file of both checkpoints, nothing else');
    assert.ok(!ui.output.some((l) => /optimizer's saved state/.test(l)), 'fresh weights: nothing continued');
  } finally {
    done();
  }
  const second = setup();
  try {
    await trained(second.ckDir, [undefined, undefined]);
    writeFileSync(join(second.ckDir, 'model.json'), '{ damaged');
    const training = run('nnmodel.train', second.doc.uri, 'Net');
    const asked = await until('the dialog', () => ui.messages.find((m) => m.severity === 'warning'));
    assert.equal(asked.text, 'Net: the last checkpoint in .nnmodel/net/Net is damaged (model.json: is not valid JSON) and cannot be continued.');
    assert.deepEqual(asked.items, ['Start Over']);
    assert.equal(asked.detail, 'Start Over trains from fresh weights.\n\nThe damaged files are first moved into a set-aside folder in .nnmodel/net/Net: nothing is replaced. Cancel leaves everything as it is.');
    asked.answer('Start Over');
    await training;
    assert.ok(!existsSync(join(second.ckDir, 'model.json')));
    assert.ok(listing(second.ckDir).includes('set-aside/model.json'));
  } finally {
    second.done();
  }
});

test('Start Over beside a best that cannot be continued either (damaged): the best is set aside too, as the new run would replace it', async () => {
  const { doc, ckDir, done } = setup();
  try {
    await trained(ckDir, [0.5, 0.4, 0.45]);
    damage(ckDir);
    writeFileSync(join(ckDir, 'best.json'), '{ damaged');
    const files = readdirSync(ckDir);
    const training = run('nnmodel.train', doc.uri, 'Net');
    const asked = await until('the dialog', () => ui.messages.find((m) => m.severity === 'warning'));
    assert.deepEqual(asked.items, ['Start Over']);
    assert.equal(
      asked.detail,
      'Start Over trains from fresh weights; the best checkpoint beside it, which cannot be continued either, is set aside with the damaged files, as the new run would replace it.\n\n' +
        'The damaged files are first moved into a set-aside folder in .nnmodel/net/Net: nothing is replaced. Cancel leaves everything as it is.',
    );
    asked.answer('Start Over');
    await training;
    assert.deepEqual(listing(ckDir), files.map((f) => `set-aside/${f}`).sort(), 'both checkpoints, best.json and its weights included');
  } finally {
    done();
  }
});

test("the editor's way forward from a damaged last checkpoint (Evaluate, Generate Text) names Train Model's choices", () => {
  assert.equal(
    damagedRemedy(new DamagedCheckpointError('x: damaged.', 'last', { which: 'best', epoch: 4 }), 'editor'),
    'The best checkpoint (epoch 4) is intact: pick it when asked which checkpoint; Train Model offers to continue from the best or to start over, setting the damaged files aside.',
  );
  assert.equal(damagedRemedy(new DamagedCheckpointError('x: damaged.', 'last'), 'editor'), 'Train Model offers to start over, setting the damaged files aside.');
});
