// Load Weights and Evaluate in the editor with a fake `vscode` (test/unit/vscodeMock.ts): with a best
// checkpoint beside the last, the picker lists "best (epoch 2, val_loss 0.40)" beside "last (…)", and the
// best one loads; without one, Evaluate asks nothing (extension/vscode/training.ts).
import { reset, resetWindow, state, textDocument, ui } from './vscodeMock'; // first: installs the fake `vscode`
import { freshAnalyses, until } from '../fixtures/vscodeUi';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel } from '../../extension/core/runtime/build';
import { checkpointDir, encodeCheckpoint, writeBestCheckpoint, writeCheckpoint } from '../../extension/core/runtime/checkpoint';
import { nodeCheckpointFs } from '../../extension/core/runtime/nodeFs';
import type { EpochLogs } from '../../extension/core/runtime/train';
import { registerTraining } from '../../extension/vscode/training';
import { EXPORT_COMMAND, exportedText, registerExport } from '../../extension/vscode/export';
import type * as vscode from 'vscode';
import { useCpuBackend } from '../fixtures/tfjs';

const FILE = `model Net {
  input x: [28, 28, 1]
  output x -> flatten -> dense(10) -> softmax
}

train Net {
  data: digits()
  epochs: 1
}
`;

const cache = freshAnalyses;

useCpuBackend();

/** Checkpoints of the first model of `text` (Net), saved as `model`'s, as training leaves them: epochs with these val_losses (undefined: no validation). */
async function trained(dir: string, valLosses: (number | undefined)[], model = 'Net', text = FILE): Promise<void> {
  const info = analyze(text).models[0];
  const history: EpochLogs[] = [];
  for (const [i, v] of valLosses.entries()) {
    const built = buildModel(tf, info, { seed: i + 1 });
    history.push({ epoch: i + 1, epochs: valLosses.length, loss: 1 / (i + 1), metrics: {}, ...(v !== undefined ? { valLoss: v } : {}), examples: 1, ms: 1 });
    const ck = await encodeCheckpoint(built, { model, epoch: i + 1, history: [...history] });
    await writeCheckpoint(nodeCheckpointFs(), dir, ck);
    await writeBestCheckpoint(nodeCheckpointFs(), dir, ck);
  }
}

function setup(text = FILE, model = 'Net'): { root: string; doc: ReturnType<typeof textDocument>; ckDir: string; done(): void } {
  const root = mkdtempSync(join(tmpdir(), 'nnmodel-vscode-best-'));
  reset([root]);
  resetWindow();
  state.config.nnmodel = {};
  const doc = textDocument(join(root, 'net.nnmodel'), text);
  const context = { asAbsolutePath: (p: string) => join(root, p) } as unknown as vscode.ExtensionContext;
  const api = registerTraining(context, cache);
  return { root, doc, ckDir: checkpointDir(doc.uri.fsPath, model), done: () => (api.dispose(), rmSync(root, { recursive: true, force: true })) };
}

const run = (id: string, ...args: unknown[]) => ui.commands.get(id)!(...args) as Promise<void>;

test('Load Weights lists the best checkpoint beside the last, and loads the one picked', async () => {
  const { doc, ckDir, done } = setup();
  try {
    await trained(ckDir, [0.5, 0.4, 0.45]);
    const loading = run('nnmodel.loadWeights', doc.uri, 'Net');
    const q = await until('the checkpoint picker', () => ui.questions[0]);
    assert.deepEqual(q.labels, ['last (epoch 3, val_loss 0.45)', 'best (epoch 2, val_loss 0.40)', 'Other checkpoint…']);
    q.answer('best (epoch 2, val_loss 0.40)');
    await loading;
    const info = ui.messages.find((m) => m.severity === 'info');
    assert.equal(info?.text, 'Loaded the best weights (lowest val_loss) of epoch 2 into Net; the inspector shows them.', JSON.stringify(ui.messages.map((m) => m.text)));
    assert.ok(ui.output.some((l) => l.endsWith('best.json (epoch 2) into the inspector\'s Net.')), JSON.stringify(ui.output));
    assert.ok(ui.executed.some((e) => e.id === 'nnmodel.openInspector'));
  } finally {
    done();
  }
});

test('Evaluate asks which checkpoint only when there is a best; dismissing the question evaluates nothing', async () => {
  const { doc, ckDir, done } = setup();
  try {
    await trained(ckDir, [0.5, 0.4]);
    const evaluating = run('nnmodel.evaluate', doc.uri, 'Net');
    const q = await until('the checkpoint picker', () => ui.questions[0]);
    assert.deepEqual(q.labels, ['last (epoch 2, val_loss 0.4)', 'best (epoch 2, val_loss 0.4)']);
    assert.match(q.placeHolder ?? '', /^Net: which checkpoint to evaluate\?$/);
    q.answer(undefined);
    await evaluating;
    assert.deepEqual(ui.progress, [], 'no job started');
  } finally {
    done();
  }
  // Without validation there is no best: the picker of Load Weights lists the last alone, Evaluate asks nothing.
  const second = setup();
  try {
    await trained(second.ckDir, [undefined, undefined]);
    const loading = run('nnmodel.loadWeights', second.doc.uri, 'Net');
    const q = await until('the checkpoint picker', () => ui.questions[0]);
    assert.deepEqual(q.labels, ['last (epoch 2)', 'Other checkpoint…']);
    q.answer(undefined);
    await loading;
  } finally {
    second.done();
  }
});

test('Export to PyTorch offers the best weights, with a warning when best.json is not the lowest val_loss of the last run', async () => {
  const { doc, ckDir, done } = setup();
  const exporter = registerExport(cache);
  try {
    await trained(ckDir, [0.5, 0.4, 0.45]);
    const ask = async () => {
      const asked = ui.questions.length;
      const exporting = run(EXPORT_COMMAND, doc.uri, 'Net');
      const q = await until('the export question', () => ui.questions.length > asked && ui.questions.at(-1));
      q.answer(undefined);
      await exporting;
      return q.descriptions?.[q.labels.indexOf('Include the best weights')] ?? '';
    };
    assert.equal(await ask(), 'val_loss lowest at epoch 2 (0.4): best.json');
    // As a failed best write leaves it: epoch 1 of the last checkpoint's history is lower than best.json's epoch 2.
    const json = JSON.parse(readFileSync(join(ckDir, 'model.json'), 'utf8'));
    json.nnmodel.history[0].valLoss = 0.1;
    writeFileSync(join(ckDir, 'model.json'), JSON.stringify(json));
    assert.match(await ask(), /^epoch 2: best\.json — best\.json holds epoch 2 \(val_loss 0\.4\), but epoch 1 had a lower val_loss \(0\.1\) and its weights were not kept/);
  } finally {
    exporter.dispose();
    done();
  }
});

test('Export to PyTorch marks the trained and the best weights when they no longer fit the edited model, as the other pickers do', async () => {
  const edited = FILE.replace('flatten -> dense(10)', 'flatten -> dense(16) -> relu -> dense(10)');
  const { doc, ckDir, done } = setup(edited);
  const exporter = registerExport(cache);
  try {
    await trained(ckDir, [0.5, 0.4, 0.45]);
    const exporting = run(EXPORT_COMMAND, doc.uri, 'Net');
    const q = await until('the export question', () => ui.questions[0]);
    assert.deepEqual(q.labels, ['Include the trained weights', 'Include the best weights', 'Code only']);
    assert.deepEqual(q.details, ['$(warning) no longer fits the model: 0 of 2 layers would load', '$(warning) no longer fits the model: 0 of 2 layers would load', undefined]);
    q.answer(undefined);
    await exporting;
  } finally {
    exporter.dispose();
    done();
  }
  // The model as trained: nothing is marked.
  const intact = setup();
  const again = registerExport(cache);
  try {
    await trained(intact.ckDir, [0.5, 0.4, 0.45]);
    const exporting = run(EXPORT_COMMAND, intact.doc.uri, 'Net');
    const q = await until('the export question', () => ui.questions.at(-1));
    assert.deepEqual(q.details, [undefined, undefined, undefined]);
    q.answer(undefined);
    await exporting;
  } finally {
    again.dispose();
    intact.done();
  }
});

test('Load Weights checks the checkpoint as training does: a damaged weights file or a path outside its folder loads nothing', async () => {
  const { doc, ckDir, done } = setup();
  try {
    await trained(ckDir, [0.5, 0.4]);
    const load = async (pick: string) => {
      const [asked, told, executed] = [ui.questions.length, ui.messages.length, ui.executed.length];
      const loading = run('nnmodel.loadWeights', doc.uri, 'Net');
      const q = await until('the checkpoint picker', () => ui.questions.length > asked && ui.questions.at(-1));
      q.answer(q.labels.find((l) => l.startsWith(pick)));
      await loading;
      opened = ui.executed.slice(executed).some((e) => e.id === 'nnmodel.openInspector');
      return ui.messages.slice(told).map((m) => `${m.severity}: ${m.text}`);
    };
    let opened = false;
    assert.deepEqual((await load('last')).filter((m) => !m.startsWith('info')), []);
    assert.ok(opened, 'the intact checkpoint was shown');
    // One byte of the last weights changed on disk: its checksum no longer matches model.json.
    const json = JSON.parse(readFileSync(join(ckDir, 'model.json'), 'utf8'));
    const weightsFile = join(ckDir, json.weightsManifest[0].paths[0]);
    const bytes = readFileSync(weightsFile);
    bytes[0] ^= 0xff;
    writeFileSync(weightsFile, bytes);
    const damaged = await load('last');
    assert.equal(damaged.length, 1, JSON.stringify(damaged));
    assert.match(damaged[0], /^error: Load Weights: .*: its checksum does not match model\.json; the checkpoint is damaged\.$/);
    assert.ok(!opened, 'nothing was shown');
    // A manifest naming a file outside the checkpoint's folder is refused before anything is read.
    json.weightsManifest[0].paths[0] = '../../net.nnmodel';
    writeFileSync(join(ckDir, 'model.json'), JSON.stringify(json));
    assert.match((await load('last'))[0], /^error: Load Weights: .*model\.json: names a weights file outside its folder\.$/);
  } finally {
    done();
  }
});

test('Load Weights warns when best.json is not the lowest val_loss of the last run', async () => {
  const { doc, ckDir, done } = setup();
  try {
    await trained(ckDir, [0.5, 0.4, 0.45]);
    const json = JSON.parse(readFileSync(join(ckDir, 'model.json'), 'utf8'));
    json.nnmodel.history[0].valLoss = 0.1;
    writeFileSync(join(ckDir, 'model.json'), JSON.stringify(json));
    const loading = run('nnmodel.loadWeights', doc.uri, 'Net');
    const q = await until('the checkpoint picker', () => ui.questions[0]);
    q.answer(q.labels.find((l) => l.startsWith('best')));
    await loading;
    const warning = ui.messages.find((m) => m.severity === 'warning');
    assert.match(warning?.text ?? '', /best\.json holds epoch 2 \(val_loss 0\.4\), but epoch 1 had a lower val_loss \(0\.1\)/, JSON.stringify(ui.messages));
  } finally {
    done();
  }
});

test('Generate Text asks for the best or the last checkpoint when training kept both, the best first; with the last alone it asks nothing', async () => {
  const story = 'model Story {\n  input t: int[seq]\n  output t -> embedding(20, 8) -> dense(20) -> softmax\n}\n\ntrain Story {\n  data: text("story.txt", tokenizer = word, context = 4)\n  validation: 0.1\n}\n';
  const { doc, ckDir, done } = setup(story, 'Story');
  try {
    // Only the files' metadata are read before the question: Net's weights under the name Story do.
    await trained(ckDir, [0.5, 0.4, 0.45], 'Story');
    const generating = run('nnmodel.generateText', doc.uri, 'Story');
    const q = await until('the checkpoint picker', () => ui.questions[0]);
    assert.equal(q.kind, 'quickPick');
    assert.deepEqual(q.labels, ['best (epoch 2, val_loss 0.40)', 'last (epoch 3, val_loss 0.45)']);
    assert.equal(q.placeHolder, 'Story: which checkpoint to generate text with?');
    q.answer(undefined);
    await generating;
    assert.equal(ui.questions.length, 1, 'dismissed: no prompt asked');
    assert.deepEqual(ui.progress, [], 'no job started');
  } finally {
    done();
  }
  const second = setup(story, 'Story');
  try {
    await trained(second.ckDir, [undefined, undefined], 'Story', story);
    const generating = run('nnmodel.generateText', second.doc.uri, 'Story');
    const q = await until('the prompt', () => ui.questions[0]);
    assert.equal(q.kind, 'inputBox');
    assert.equal(q.prompt, 'Text for Story to continue');
    q.answer(undefined);
    await generating;
  } finally {
    second.done();
  }
});

test('Evaluate and Generate Text mark a checkpoint that no longer fits the edited model as Load Weights does, and refuse it saying what differs', async () => {
  // Trained as flatten -> dense(10); the file now has a dense(16) before it: neither dense layer fits.
  const edited = FILE.replace('flatten -> dense(10)', 'flatten -> dense(16) -> relu -> dense(10)');
  const mark = '$(warning) no longer fits the model: 0 of 2 layers would load';
  const refusal = (which: string, epoch: number) =>
    `the ${which} checkpoint (epoch ${epoch}) no longer fits Net (0 of 2 layers would load): ` +
    'dense(16) (line 3) no longer fits: the checkpoint has kernel [784, 10], bias [10], the model now has kernel [784, 16], bias [16]. ' +
    'dense(10) (line 3) is not in the checkpoint. Train Net again, or undo the change to the model.';
  const { doc, ckDir, done } = setup(edited);
  try {
    await trained(ckDir, [0.5, 0.4, 0.45]);
    const loading = run('nnmodel.loadWeights', doc.uri, 'Net');
    const load = await until('the Load Weights picker', () => ui.questions[0]);
    assert.deepEqual(load.details, [mark, mark, undefined]);
    load.answer(undefined);
    await loading;

    const evaluating = run('nnmodel.evaluate', doc.uri, 'Net');
    const q = await until('the Evaluate picker', () => ui.questions[1]);
    assert.deepEqual(q.labels, ['last (epoch 3, val_loss 0.45)', 'best (epoch 2, val_loss 0.40)']);
    assert.deepEqual(q.details, [mark, mark], 'marked as Load Weights marks them');
    q.answer('best (epoch 2, val_loss 0.40)');
    await evaluating;
    assert.deepEqual(ui.messages.map((m) => `${m.severity}: ${m.text}`), [`error: Evaluating Net: ${refusal('best', 2)}`]);
    assert.deepEqual(ui.progress, [], 'no job started');
  } finally {
    done();
  }
  // A language model whose embedding was widened after training: Generate Text marks and refuses its checkpoints before asking for a prompt.
  const story = 'model Story {\n  input t: int[seq]\n  output t -> embedding(20, 8) -> dense(20) -> softmax\n}\n\ntrain Story {\n  data: text("story.txt", tokenizer = word, context = 4)\n  validation: 0.1\n}\n';
  const lm = setup(story.replace('embedding(20, 8)', 'embedding(20, 12)'), 'Story');
  try {
    await trained(lm.ckDir, [0.5, 0.4, 0.45], 'Story', story);
    const generating = run('nnmodel.generateText', lm.doc.uri, 'Story');
    const g = await until('the Generate Text picker', () => ui.questions[0]);
    assert.deepEqual(g.labels, ['best (epoch 2, val_loss 0.40)', 'last (epoch 3, val_loss 0.45)']);
    assert.deepEqual(g.details, Array(2).fill(mark), 'marked as Load Weights and Evaluate mark them');
    g.answer('last (epoch 3, val_loss 0.45)');
    await generating;
    assert.equal(ui.messages.length, 1, JSON.stringify(ui.messages.map((m) => m.text)));
    assert.equal(ui.messages[0].severity, 'error');
    assert.match(
      ui.messages[0].text,
      /^Generate Text with Story: the last checkpoint \(epoch 3\) no longer fits Story \(0 of 2 layers would load\): embedding\(20, 12\) \(line 3\) no longer fits: the checkpoint has \w+ \[20, 8\], the model now has \w+ \[20, 12\]\. dense\(20\) \(line 3\) no longer fits: the checkpoint has kernel \[8, 20\], bias \[20\], the model now has kernel \[12, 20\], bias \[20\]\. Train Story again, or undo the change to the model\.$/,
    );
    assert.equal(ui.questions.length, 1, 'refused before the prompt is asked');
    assert.deepEqual(ui.progress, [], 'no job started');
  } finally {
    lm.done();
  }
  // With the last checkpoint alone nothing is asked, and it is refused all the same; once the edit is undone, it evaluates.
  const second = setup(edited);
  try {
    await trained(second.ckDir, [undefined, undefined]);
    await run('nnmodel.evaluate', second.doc.uri, 'Net');
    assert.deepEqual(ui.questions, []);
    assert.deepEqual(ui.messages.map((m) => `${m.severity}: ${m.text}`), [`error: Evaluating Net: ${refusal('last', 2)}`]);
    assert.ok(ui.output.includes(`Evaluating Net: ${refusal('last', 2)}`), JSON.stringify(ui.output));
    assert.deepEqual(ui.progress, []);
  } finally {
    second.done();
  }
});

test('the notification of an export with weights is plain text: no backticks, which a notification shows as they are', () => {
  const text = exportedText({
    model: 'CharLSTM',
    pyName: 'CharLSTM.py',
    weightsName: 'CharLSTM.safetensors',
    epoch: 3,
    featureColumns: 4,
    notTrained: 'lstm.bias_hh: zeros',
    notes: [{ model: 'CharLSTM', line: 3, message: "lstm(256): PyTorch's LSTM has two bias vectors (b_ih, b_hh) where Keras has one", trainableDelta: 1024 }],
  });
  assert.equal(
    text,
    'Exported CharLSTM to CharLSTM.py with the trained weights of epoch 3 in CharLSTM.safetensors; running "python CharLSTM.py" loads them.' +
      ' It standardises its 4 CSV feature columns with the training statistics, so it takes raw rows. Not trained values: lstm.bias_hh: zeros.' +
      " Differences: Line 3: lstm(256): PyTorch's LSTM has two bias vectors (b_ih, b_hh) where Keras has one (+1024 parameters).",
  );
  assert.doesNotMatch(text, /`/);
});
