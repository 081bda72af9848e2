// One Train Model, Evaluate or Generate Text at a time (extension/vscode/training.ts). The "already running" check
// applied only once a run had started: while a Train Model asked its questions (which model, continue or start over),
// a second Train Model, or an Evaluate, started too, and the two shared one slot, so the end of one freed it (and the
// `nnmodel.training` context key behind Stop Training) while the other still ran. Now a command holds the slot from
// its first question to its run's end, in every path, and a second one says which model holds it and offers to show
// it or stop it. With the fake `vscode` (test/unit/vscodeMock.ts); its inspector is a test's `nnmodel.openInspector`
// that answers when told, and Evaluate's job a child process that runs until told to stop.
import { reset, resetWindow, state, textDocument, ui, Uri, type FakeMessage } from './vscodeMock'; // first: installs the fake `vscode`
import { freshAnalyses, until } from '../fixtures/vscodeUi';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel } from '../../extension/core/runtime/build';
import { checkpointDir, encodeCheckpoint, writeCheckpoint } from '../../extension/core/runtime/checkpoint';
import { nodeCheckpointFs } from '../../extension/core/runtime/nodeFs';
import { registerTraining } from '../../extension/vscode/training';
import type * as vscode from 'vscode';
import { useCpuBackend } from '../fixtures/tfjs';

const NET = (name: string) => `model ${name} {
  input x: [28, 28, 1]
  output x -> flatten -> dense(10) -> softmax
}

train ${name} {
  data: digits()
  epochs: 1
}
`;
const FILE = `${NET('A')}\n${NET('B')}\nmodel Critic {\n  input x: [2]\n  output x -> dense(1)\n}\n
model Story {
  input t: int[seq]
  output t -> embedding(20, 8) -> dense(20) -> softmax
}

train Story {
  data: text("story.txt", tokenizer = word, context = 4)
}
`;

const cache = freshAnalyses;

useCpuBackend();

/** A job process that says it runs, then waits until it is told to stop (Evaluate's `dist/cli.js train --ipc`). */
const FAKE_CLI = `process.on('message', (m) => {
  if (m.type === 'run') console.log('fake job: ' + m.command + ' ' + m.request.model);
  if (m.type === 'stop') process.send({ type: 'done', status: 'cancelled' }, () => process.exit(0));
});
`;

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-vscode-busy-'));
  mkdirSync(join(dir, 'dist'));
  writeFileSync(join(dir, 'dist', 'cli.js'), FAKE_CLI);
  reset([dir]);
  resetWindow();
  state.config.nnmodel = {};
  const doc = textDocument(join(dir, 'nets.nnmodel'), FILE);
  const context = { asAbsolutePath: (p: string) => join(dir, p) } as unknown as vscode.ExtensionContext;
  const api = registerTraining(context, cache);
  // The inspector: each open is held until the test lets it go; it then has no page, and the run ends there.
  const inspector = { opened: [] as unknown[][], letGo: [] as (() => void)[] };
  ui.commands.set('nnmodel.openInspector', (...args: unknown[]) => {
    inspector.opened.push(args);
    return new Promise<void>((r) => inspector.letGo.push(r));
  });
  return { dir, doc, api, inspector, done: () => (api.dispose(), rmSync(dir, { recursive: true, force: true })) };
}

const run = (id: string, ...args: unknown[]) => ui.commands.get(id)!(...args) as Promise<void>;
/** The last value Stop Training's context key was set to. */
const trainingKey = () => ui.executed.filter((c) => c.id === 'setContext' && c.args[0] === 'nnmodel.training').at(-1)?.args[1];
/** A checkpoint of `model` (epoch 1) in its folder: Train Model asks whether to continue from it. */
async function checkpointOf(doc: { uri: Uri }, model: string): Promise<void> {
  const info = analyze(FILE).models.find((m) => m.name === model)!;
  const ck = await encodeCheckpoint(buildModel(tf, info, { seed: 1 }), { model, epoch: 1, history: [{ epoch: 1, epochs: 1, loss: 1, metrics: {}, examples: 1, ms: 1 }] });
  await writeCheckpoint(nodeCheckpointFs(), checkpointDir(doc.uri.fsPath, model), ck);
}
/** Runs a command that should be refused: the message it says (after any said before), once the command has ended. */
async function refused(id: string, ...args: unknown[]): Promise<FakeMessage> {
  const from = ui.messages.length;
  const command = run(id, ...args);
  const said = await until(`${id} ${args.slice(1).join(' ')} to be refused`, () => ui.messages.slice(from).find((m) => /already/.test(m.text)));
  await command;
  return said;
}

test('a second Train Model while the first asks which model to train is refused, and Cancel It closes that question', async () => {
  const { doc, api, inspector, done } = setup();
  try {
    ui.activeTextEditor = { document: doc, selection: { active: FILE.indexOf('dense(1)') } };
    const first = run('nnmodel.train');
    const pick = await until('the model pick', () => ui.questions[0]);
    assert.equal(pick.placeHolder, 'Model to train (Critic has no train section)');
    // A CodeLens's Train of B: not started beside the question.
    const said = await refused('nnmodel.train', doc.uri, 'B');
    assert.equal(said.severity, 'warning');
    assert.equal(said.text, 'Train Model is already asking which model to train; answer it first, or cancel it.');
    assert.deepEqual(said.items, ['Cancel It']);
    assert.equal(ui.progress.length, 0, 'nothing runs');
    assert.deepEqual(inspector.opened, []);
    assert.equal(api.busy, true, 'asking holds the slot');
    said.answer('Cancel It');
    await first;
    assert.equal(api.busy, false, 'the question closed, the slot freed');
    assert.equal(ui.progress.length, 0, 'the cancelled Train Model ran nothing');
    // Now B trains.
    const second = run('nnmodel.train', doc.uri, 'B');
    await until('B to reach the inspector', () => inspector.opened.length === 1);
    assert.deepEqual(inspector.opened[0], [doc.uri, 'B']);
    inspector.letGo[0]();
    await second;
    assert.equal(api.busy, false);
  } finally {
    done();
  }
});

test('while Train Model asks whether to continue A, Train Model (of A or B) and Evaluate say so; once A runs, a second one names it and offers to show or stop it', async () => {
  const { doc, api, inspector, done } = setup();
  try {
    await checkpointOf(doc, 'A');
    // B has a checkpoint file too: Evaluate B would start its job.
    mkdirSync(checkpointDir(doc.uri.fsPath, 'B'), { recursive: true });
    writeFileSync(join(checkpointDir(doc.uri.fsPath, 'B'), 'model.json'), '{}');
    const first = run('nnmodel.train', doc.uri, 'A');
    const ask = await until('the continue question', () => ui.questions[0]);
    assert.equal(ask.placeHolder, 'A has a checkpoint of epoch 1');
    for (const [id, model] of [['nnmodel.evaluate', 'B'], ['nnmodel.train', 'B'], ['nnmodel.train', 'A']]) {
      const said = await refused(id, doc.uri, model);
      assert.equal(said.text, 'Train Model is already asking about A; answer it first, or cancel it.', `${id} ${model}`);
      assert.deepEqual(said.items, ['Cancel It']);
    }
    assert.ok(!ui.messages.some((m) => m.severity === 'error'), `no lock error: ${JSON.stringify(ui.messages.map((m) => m.text))}`);
    assert.ok(!ui.output.some((l) => l.startsWith('fake job')), 'Evaluate started no job');
    assert.equal(ui.questions.length, 1, 'no question of theirs');
    assert.equal(ui.progress.length, 0);

    ask.answer('Start over');
    await until('A to reach the inspector', () => inspector.opened.length === 1);
    assert.equal(ui.progress[0].title, 'Training A');
    assert.equal(trainingKey(), true);
    const said = await refused('nnmodel.train', doc.uri, 'B');
    assert.equal(said.text, 'A is already training; stop it first (nnmodel: Stop Training).');
    assert.deepEqual(said.items, ['Show Training', 'Stop Training']);
    said.answer('Show Training');
    await until('the inspector shown on A', () => inspector.opened.length === 2);
    assert.deepEqual(inspector.opened[1], [doc.uri, 'A']);
    assert.equal(ui.progress.length, 1, 'B did not start');

    // Stop Training from a second refusal stops A.
    const second = await refused('nnmodel.evaluate', doc.uri, 'B');
    assert.equal(second.text, 'A is already training; stop it first (nnmodel: Stop Training).');
    second.answer('Stop Training');
    await until('the stop', () => ui.output.includes('cancel requested: stopping after the current batch…'));
    for (const letGo of inspector.letGo) letGo();
    await first;
    assert.equal(ui.progress[0].open, false);
    assert.equal(api.busy, false);
    assert.equal(trainingKey(), false);
    assert.ok(!existsSync(join(checkpointDir(doc.uri.fsPath, 'A'), 'training.lock')), 'the lock released');
  } finally {
    done();
  }
});

test('an Evaluate job running: Train Model names it and offers to show or stop it; Stop Training stops the job and frees the slot', async () => {
  const { doc, api, done } = setup();
  try {
    mkdirSync(checkpointDir(doc.uri.fsPath, 'B'), { recursive: true });
    writeFileSync(join(checkpointDir(doc.uri.fsPath, 'B'), 'model.json'), '{}');
    const evaluating = run('nnmodel.evaluate', doc.uri, 'B');
    await until('the job', () => ui.output.includes('fake job: evaluate B'));
    assert.equal(trainingKey(), true);
    const said = await refused('nnmodel.train', doc.uri, 'A');
    assert.equal(said.text, 'Evaluating B is already running; stop it first (nnmodel: Stop Training).');
    assert.deepEqual(said.items, ['Show Output', 'Stop Training']);
    assert.deepEqual(ui.progress.map((p) => p.title), ['Evaluating B']);
    assert.equal(api.busy, true, 'the job still holds the slot');
    assert.equal(trainingKey(), true, 'Stop Training stays enabled');
    await run('nnmodel.stopTraining');
    await evaluating;
    assert.equal(api.busy, false);
    assert.equal(trainingKey(), false);
  } finally {
    done();
  }
});

test('a Train Model that throws (a document that cannot be opened) frees the slot', async () => {
  const { doc, api, inspector, done } = setup();
  try {
    await assert.rejects(run('nnmodel.train', Uri.file('/nowhere/gone.nnmodel')), /no document/);
    assert.equal(api.busy, false);
    const next = run('nnmodel.train', doc.uri, 'A');
    await until('A to reach the inspector', () => inspector.opened.length === 1);
    inspector.letGo[0]();
    await next;
    assert.ok(!ui.messages.some((m) => /already/.test(m.text)), JSON.stringify(ui.messages.map((m) => m.text)));
  } finally {
    done();
  }
});

test('Generate Text asking for its prompt: Train Model names it, and Cancel It closes the prompt box; closing the window (dispose) ends a question too', async () => {
  const { doc, api, inspector, done } = setup();
  try {
    mkdirSync(checkpointDir(doc.uri.fsPath, 'Story'), { recursive: true });
    writeFileSync(join(checkpointDir(doc.uri.fsPath, 'Story'), 'model.json'), '{}');
    const generating = run('nnmodel.generateText', doc.uri, 'Story');
    const box = await until('the prompt box', () => ui.questions.find((q) => q.kind === 'inputBox'));
    assert.equal(box.prompt, 'Text for Story to continue');
    const said = await refused('nnmodel.train', doc.uri, 'A');
    assert.equal(said.text, 'Generate Text is already asking about Story; answer it first, or cancel it.');
    said.answer('Cancel It');
    await generating;
    assert.equal(api.busy, false);
    assert.equal(ui.progress.length, 0, 'nothing generated');
    assert.ok(!ui.output.some((l) => l.startsWith('fake job')));
    assert.deepEqual(inspector.opened, []);

    // A Train Model asking which model when the extension is disposed (window closed or reloaded): it ends, nothing runs.
    ui.activeTextEditor = { document: doc, selection: { active: FILE.indexOf('dense(1)') } };
    const training = run('nnmodel.train');
    await until('the model pick', () => ui.questions.find((q) => q.kind === 'quickPick'));
    api.dispose();
    await training;
    assert.equal(api.busy, false);
    assert.equal(ui.progress.length, 0);
  } finally {
    done();
  }
});
