// Train Model and Generate Text with a fake `vscode` (test/unit/vscodeMock.ts): which model the commands take
// (the cursor's, else the only one, else a pick; Generate Text only among language models), and a run that fails
// (bad data, no inspector) closing its progress notification and freeing the slot at once, while its error stays
// up until dismissed (extension/vscode/training.ts).
import { reset, resetWindow, state, textDocument, ui, Uri } from './vscodeMock'; // first: installs the fake `vscode`
import { freshAnalyses, sleep, until } from '../fixtures/vscodeUi';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { cannotGenerate, registerTraining } from '../../extension/vscode/training';
import type * as vscode from 'vscode';

const FILE = `model PicNet {
  input img: [8, 8, 3]
  output img -> flatten -> dense(3) -> softmax
}

train PicNet {
  data: images("mydata/shapes", size = [8, 8])
  epochs: 1
}

model BadCsv {
  input f: [2]
  output f -> dense(2) -> softmax
}

train BadCsv {
  data: csv("mydata/bad.csv")
  epochs: 1
}

model Story {
  input t: int[seq]
  output t -> embedding(20, 8) -> dense(20) -> softmax
}

train Story {
  data: text("mydata/story.txt", tokenizer = word, context = 4)
  epochs: 1
}

model Critic {
  input x: [2]
  output x -> dense(1)
}
`;

const cache = freshAnalyses;

function png(rgba: [number, number, number, number]): Buffer {
  const p = new PNG({ width: 4, height: 4 });
  for (let i = 0; i < 16; i++) p.data.set(rgba, i * 4);
  return PNG.sync.write(p);
}

/** A workspace folder on disk with the model file and its data; the fake window reset and the commands registered. */
function setup(text = FILE): { dir: string; doc: ReturnType<typeof textDocument>; api: ReturnType<typeof registerTraining>; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-vscode-training-'));
  const write = (rel: string, data: string | Buffer) => {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), data);
  };
  write('mydata/bad.csv', 'a,b,label\n1,2,x\n3,notanumber,y\n');
  for (const [cls, colour] of [['dots', [255, 0, 0, 255]], ['stripes', [0, 0, 255, 255]]] as const) {
    for (let i = 0; i < 3; i++) write(`mydata/shapes/${cls}/${i}.png`, png([...colour]));
  }
  write('mydata/story.txt', 'the cat sat on the mat. the dog sat on the log.\n'.repeat(4));
  reset([dir]);
  resetWindow();
  state.config.nnmodel = {};
  const doc = textDocument(join(dir, 'mine.nnmodel'), text);
  const context = { asAbsolutePath: (p: string) => join(dir, p) } as unknown as vscode.ExtensionContext;
  const api = registerTraining(context, cache);
  return { dir, doc, api, done: () => (api.dispose(), rmSync(dir, { recursive: true, force: true })) };
}

const run = (id: string, ...args: unknown[]) => ui.commands.get(id)!(...args) as Promise<void>;
/** Puts the cursor at the first `marker` of the file. */
const cursorAt = (doc: ReturnType<typeof textDocument>, marker: string) => (ui.activeTextEditor = { document: doc, selection: { active: doc.getText().indexOf(marker) } });

test('a run whose data fails to read closes its progress at once and frees the slot; the error stays until dismissed', async () => {
  const { doc, api, done } = setup();
  try {
    const first = run('nnmodel.train', doc.uri, 'BadCsv');
    const error = await until('the data error', () => ui.messages.find((m) => m.severity === 'error'));
    assert.match(error.text, /^Training BadCsv: mydata\/bad\.csv:3:\d+: .*notanumber/);
    assert.deepEqual(error.items, ['Open File', 'Show Output']);
    // Nobody has clicked the error: the run is over all the same.
    const progress = ui.progress[0];
    await Promise.race([progress.closed, sleep(2000)]);
    assert.equal(progress.open, false, `the progress "${progress.title}: ${progress.messages.at(-1)}" is still open`);
    await first;
    assert.equal(api.busy, false, 'no run holds the slot');
    // A second Train Model starts at once: a new progress, not "already training".
    const second = run('nnmodel.train', doc.uri, 'BadCsv');
    await until('a second progress', () => ui.progress.length === 2);
    await second;
    assert.equal(ui.messages.filter((m) => m.severity === 'error').length, 2);
    assert.ok(!ui.messages.some((m) => /is already (running|training|asking)/.test(m.text)), JSON.stringify(ui.messages.map((m) => m.text)));
    assert.equal(ui.progress[1].open, false);
    assert.ok(ui.output.includes('Training failed: ' + error.text.replace(/^Training BadCsv: /, '')), JSON.stringify(ui.output));
  } finally {
    done();
  }
});

test('an image folder with fewer classes than outputs: warned in the log, the progress and a notification; the inspector failing to start ends the run too', async () => {
  const { doc, api, done } = setup();
  try {
    cursorAt(doc, 'dense(3)');
    const training = run('nnmodel.train');
    await until('the run to end', () => ui.messages.some((m) => m.severity === 'error'));
    const warning = "2 classes in mydata/shapes but 'PicNet' outputs 3 values: the extra output never gets a label. End the model with dense(2), or add a class folder.";
    assert.ok(ui.output.includes(`warning: ${warning}`), JSON.stringify(ui.output));
    assert.ok(ui.progress[0].messages.includes(warning), JSON.stringify(ui.progress[0].messages));
    assert.ok(ui.messages.some((m) => m.severity === 'warning' && m.text === `Training PicNet: ${warning}`));
    // No webview in the fake: the inspector does not open, which is a failure of this run, reported without waiting.
    assert.match(ui.messages.find((m) => m.severity === 'error')!.text, /^Training PicNet: the inspector could not start the run/);
    await Promise.race([ui.progress[0].closed, sleep(2000)]);
    assert.equal(ui.progress[0].open, false);
    await training;
    assert.equal(api.busy, false);
    assert.equal(ui.progress[0].title, 'Training PicNet', 'the model at the cursor, not asked');
    assert.equal(ui.questions.length, 0);
  } finally {
    done();
  }
});

test('Train Model takes the model at the cursor (its declaration or its train section) and asks only otherwise', async () => {
  const { doc, done } = setup();
  try {
    // Inside BadCsv's train section.
    cursorAt(doc, 'data: csv(');
    await run('nnmodel.train');
    assert.equal(ui.questions.length, 0);
    assert.equal(ui.progress[0].title, 'Training BadCsv');
    // Inside a model without a train section: asked, saying why, among the models that train.
    cursorAt(doc, 'dense(1)');
    const asked = run('nnmodel.train');
    const q = await until('a quick pick', () => ui.questions[0]);
    assert.equal(q.placeHolder, 'Model to train (Critic has no train section)');
    assert.deepEqual(q.labels, ['PicNet', 'BadCsv', 'Story']);
    q.answer(undefined);
    await asked;
    assert.equal(ui.progress.length, 1, 'dismissed: nothing more runs');
  } finally {
    done();
  }
});

test('Train Model on a file without a train section says how to add one in plain text (a notification shows backticks as they are)', async () => {
  const { doc, done } = setup('model Mine {\n  input image: [28, 28, 1]\n  output image -> flatten -> dense(10) -> softmax\n}\n');
  try {
    await run('nnmodel.train', doc.uri);
    const warning = await until('the warning', () => ui.messages.find((m) => m.severity === 'warning'));
    assert.equal(warning.text, 'mine.nnmodel has no train section. Add one, e.g. train Mine { data: digits() }.');
    assert.equal(ui.progress.length, 0, 'nothing runs');
  } finally {
    done();
  }
});

/**
 * Runs Generate Text up to its prompt box and dismisses it; returns what the box said, the models it asked among, or
 * (`told`) the message of a model with no checkpoint yet, which gets no prompt.
 */
async function generatePrompt(...args: unknown[]): Promise<{ prompt?: string; picked?: string[]; told?: string }> {
  const [before, told] = [ui.questions.length, ui.messages.length];
  const done = run('nnmodel.generateText', ...args);
  const q = await Promise.race([until('a question', () => ui.questions[before]), done.then(() => undefined)]);
  if (!q) {
    const m = ui.messages.slice(told).find((x) => /there is no checkpoint/.test(x.text));
    return m ? { told: m.text } : {};
  }
  if (q.kind === 'quickPick') {
    q.answer(undefined);
    await done;
    return { picked: q.labels };
  }
  q.answer(undefined);
  await done;
  return { prompt: q.prompt };
}

test('Generate Text: the language model at the cursor, else the only one, never a model that cannot generate', async () => {
  const { doc, done } = setup();
  try {
    // Story has no checkpoint yet: no prompt, but the message names the model taken, and offers Train Model.
    const untrained = { told: 'Generate Text with Story: there is no checkpoint in .nnmodel/mine/Story yet; train Story first.' };
    cursorAt(doc, 'embedding(20');
    assert.deepEqual(await generatePrompt(), untrained);
    assert.deepEqual(ui.messages.at(-1)!.items, ['Train Model']);
    // The cursor in PicNet: Story is the one model that can generate, so it is taken without asking.
    cursorAt(doc, 'dense(3)');
    assert.deepEqual(await generatePrompt(), untrained);
    // Named (as a CodeLens does) but not a language model: said why.
    assert.deepEqual(await generatePrompt(doc.uri, 'PicNet'), {});
    assert.equal(ui.messages.at(-1)!.text, 'PicNet cannot generate text: it is trained on images(...), and Generate Text needs data: text(...), or sequences(...) for an encoder-decoder.');
  } finally {
    done();
  }
  // Two language models and the cursor elsewhere: asked among those two only.
  const two = setup(`${FILE}\nmodel Story2 {\n  input t: int[seq]\n  output t -> embedding(20, 8) -> dense(20) -> softmax\n}\n\ntrain Story2 {\n  data: text("mydata/story.txt", tokenizer = char, context = 4)\n}\n`);
  try {
    cursorAt(two.doc, 'dense(3)');
    assert.deepEqual(await generatePrompt(), { picked: ['Story', 'Story2'] });
    assert.equal(ui.questions.at(-1)!.placeHolder, 'Model to generate text with (PicNet cannot: it is trained on images(...), and Generate Text needs data: text(...), or sequences(...) for an encoder-decoder)');
  } finally {
    two.done();
  }
  // None can: one clear message, no question.
  const none = setup(FILE.replace(/model Story[\s\S]*?\n}\n\ntrain Story \{[\s\S]*?\n}\n/, ''));
  try {
    cursorAt(none.doc, 'dense(3)');
    assert.deepEqual(await generatePrompt(), {});
    assert.equal(
      ui.messages.at(-1)!.text,
      'No model in mine.nnmodel can generate text (PicNet: it is trained on images(...), and Generate Text needs data: text(...), or sequences(...) for an encoder-decoder; BadCsv: it is trained on csv(...), and Generate Text needs data: text(...), or sequences(...) for an encoder-decoder).',
    );
    assert.equal(ui.questions.length, 0);
  } finally {
    none.done();
  }
});

test('Generate Text refuses a masked language model (mask: in its train section) before asking for a checkpoint or a prompt', async () => {
  const masked = FILE.replace('data: text("mydata/story.txt", tokenizer = word, context = 4)\n  epochs: 1', 'data: text("mydata/story.txt", tokenizer = word, context = 4)\n  mask: 0.15\n  epochs: 1');
  assert.notEqual(masked, FILE);
  const { doc, done } = setup(masked);
  try {
    // Named (as a CodeLens does): said why, no question.
    assert.deepEqual(await generatePrompt(doc.uri, 'Story'), {});
    assert.equal(
      ui.messages.at(-1)!.text,
      'Story cannot generate text: it is trained by masked language modelling (mask: 0.15): it gives back hidden tokens from the text on both sides of them and was never trained to predict the next token; Evaluate Model measures it on masked tokens.',
    );
    // At the cursor: the only language model is masked, so none can.
    cursorAt(doc, 'embedding(20');
    assert.deepEqual(await generatePrompt(), {});
    assert.match(ui.messages.at(-1)!.text, /^No model in mine\.nnmodel can generate text \(.*Story: it is trained by masked language modelling \(mask: 0\.15\)/);
    assert.equal(ui.questions.length, 0);
  } finally {
    done();
  }
});

test('a data error offers Open File only for a file that is there, and opens it at the line the error names', async () => {
  const { dir, doc, done } = setup(FILE.replace('csv("mydata/bad.csv")', 'csv("mydata/missing.csv")') + '\nmodel BadCsv2 {\n  input f: [2]\n  output f -> dense(2) -> softmax\n}\n\ntrain BadCsv2 {\n  data: csv("mydata/bad.csv")\n  epochs: 1\n}\n');
  try {
    // Not found: VS Code would open a "file not found" editor, so no Open File.
    await run('nnmodel.train', doc.uri, 'BadCsv');
    const missing = await until('the missing-file error', () => ui.messages.find((m) => m.severity === 'error'));
    assert.match(missing.text, /^Training BadCsv: mydata\/missing\.csv: not found/);
    assert.deepEqual(missing.items, ['Show Output']);
    missing.answer(undefined);
    // A bad row: Open File goes to the file at that row (line 3, the field's column).
    await run('nnmodel.train', doc.uri, 'BadCsv2');
    const bad = await until('the bad-row error', () => ui.messages.filter((m) => m.severity === 'error')[1]);
    assert.match(bad.text, /^Training BadCsv2: mydata\/bad\.csv:3:(\d+): /);
    assert.deepEqual(bad.items, ['Open File', 'Show Output']);
    bad.answer('Open File');
    const open = await until('vscode.open', () => ui.executed.find((c) => c.id === 'vscode.open'));
    assert.equal((open.args[0] as Uri).fsPath, join(dir, 'mydata/bad.csv'));
    const column = Number(/bad\.csv:3:(\d+):/.exec(bad.text)![1]);
    assert.deepEqual(JSON.parse(JSON.stringify(open.args[1])), { selection: { startLine: 2, startCharacter: column - 1, endLine: 2, endCharacter: column - 1 } });
  } finally {
    done();
  }
});

test('Load Weights for a model with no checkpoint says so, and its file dialog opens on a folder that is there', async () => {
  const { dir, doc, done } = setup();
  try {
    const loading = run('nnmodel.loadWeights', doc.uri, 'Story');
    const dialog = await until('the open dialog', () => ui.questions.find((q) => q.kind === 'openDialog'));
    assert.equal(dialog.prompt, 'Story has no checkpoint in .nnmodel/mine/Story (Train Model writes one): choose a model.json or best.json');
    // .nnmodel/mine/Story does not exist: the dialog would list nothing there.
    assert.equal(dialog.placeHolder, dir);
    dialog.answer(undefined);
    await loading;
    assert.equal(ui.messages.length, 0, JSON.stringify(ui.messages.map((m) => m.text)));
  } finally {
    done();
  }
});

test('Generate Text takes an encoder-decoder trained on sequences (it decodes), not one trained on other data', async () => {
  const { analyze } = await import('../../extension/core/analysis/analyze');
  const text = readFileSync('examples/transformer.nnmodel', 'utf8');
  const a = analyze(text);
  const train = a.trains.find((t) => t.model === 'TinyTransformer')!;
  assert.equal(cannotGenerate(train, a.models.find((m) => m.name === 'TinyTransformer')), undefined);
  const images = { ...train, config: { ...train.config, data: { kind: 'digits' as const, options: {} } } };
  assert.match(cannotGenerate(images, a.models.find((m) => m.name === 'TinyTransformer')) ?? '', /trained on digits\(\.\.\.\)/);
});

test('Train Model into a folder another training writes (nnmodel train) is refused up front with an error naming it; a run that ends releases its lock', async () => {
  const { dir, doc, api, done } = setup();
  try {
    const ck = join(dir, '.nnmodel', 'mine', 'BadCsv');
    mkdirSync(ck, { recursive: true });
    const other = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: 'nnmodel train mine.nnmodel', token: 'cli' };
    writeFileSync(join(ck, 'training.lock'), JSON.stringify(other));
    await run('nnmodel.train', doc.uri, 'BadCsv');
    const error = await until('the refusal', () => ui.messages.find((m) => m.severity === 'error'));
    assert.match(
      error.text,
      new RegExp(`^Training BadCsv: another training is writing checkpoints in .*BadCsv: process ${process.pid} \\(nnmodel train mine\\.nnmodel, started [^)]*\\); nothing was trained\\. Wait for it to end, or set nnmodel\\.checkpoints\\.folder to another folder\\.`),
    );
    assert.equal(ui.progress.length, 0, 'no run started');
    assert.equal(readFileSync(join(ck, 'training.lock'), 'utf8'), JSON.stringify(other), "the other run's lock stays");
    assert.equal(api.busy, false);

    // The other run is over: a run (whose data fails) takes the folder and lets go of it when it ends.
    rmSync(join(ck, 'training.lock'));
    await run('nnmodel.train', doc.uri, 'BadCsv');
    await until('the data error', () => ui.messages.filter((m) => m.severity === 'error').length === 2);
    assert.ok(!existsSync(join(ck, 'training.lock')), 'released');
  } finally {
    done();
  }
});

test('two Train Models into one folder from this window (one extension host process): the second is refused while the first asks, holding the folder', async () => {
  const { dir, doc, done } = setup();
  try {
    // A checkpoint of BadCsv: the first run stops at its question (continue or start over), holding the folder's lock.
    const ck = join(dir, '.nnmodel', 'mine', 'BadCsv');
    mkdirSync(ck, { recursive: true });
    writeFileSync(join(ck, 'model.json'), '{ damaged');
    const first = run('nnmodel.train', doc.uri, 'BadCsv');
    await until('the first run to ask', () => ui.messages.find((m) => m.severity === 'warning') ?? ui.questions[0]);
    const lock = JSON.parse(readFileSync(join(ck, 'training.lock'), 'utf8'));
    assert.equal(lock.pid, process.pid);
    // Refused by the one slot of this window's training (vscode-train-busy.test.ts) before it reaches the lock
    // (which refuses another run of this process too: checkpoint-lock.test.ts).
    await run('nnmodel.train', doc.uri, 'BadCsv');
    const refusal = await until('the refusal', () => ui.messages.find((m) => /already/.test(m.text)));
    assert.equal(refusal.text, 'Train Model is already asking about BadCsv; answer it first, or cancel it.');
    assert.ok(!ui.messages.some((m) => m.severity === 'error'), JSON.stringify(ui.messages.map((m) => m.text)));
    assert.equal(readFileSync(join(ck, 'training.lock'), 'utf8'), JSON.stringify(lock), "the first run's lock stays");
    // The first run's question dismissed: it ends and lets go of the folder.
    (ui.messages.find((m) => m.modal) ?? ui.questions[0])!.answer(undefined);
    await first;
    assert.ok(!existsSync(join(ck, 'training.lock')), 'released');
  } finally {
    done();
  }
});
