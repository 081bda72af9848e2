// Continuing a run (Train Model's "Continue", `nnmodel train --resume`): a run stopped at epoch 2 of a planned 5
// finishes the plan (epochs 3–5, "epoch 3/5"), not 5 more; a finished one trains the section's epochs more, and a
// Cancel in those goes on to their end (runtime/checkpoint.ts `continuation`).
import { reset, resetWindow, state, textDocument, ui } from './vscodeMock'; // first: installs the fake `vscode`
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { startTrainingBackend } from '../../extension/core/runtime/kernels';
import { continuation, readCheckpoint } from '../../extension/core/runtime/checkpoint';
import { nodeCheckpointFs, runTrainJob } from '../../extension/cli/trainJob';
import { runCli } from '../fixtures/cli';
import { TrainingProgress } from '../../extension/vscode/inspector/trainingProgress';
import { runText, TrainingCurves } from '../../webview/training/curves';
import { analyze } from '../../extension/core/analysis/analyze';
import { registerTraining } from '../../extension/vscode/training';
import type { AnalysisCache } from '../../extension/vscode/analysisCache';
import type * as vscode from 'vscode';

let dir: string;
before(async () => {
  await startTrainingBackend(tf, 'wasm');
  dir = mkdtempSync(join(tmpdir(), 'nnmodel-continue-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A history as the checkpoint of `epoch` keeps it: each entry's `epochs` is the total its run was going to. */
const history = (epoch: number, planned: number) => Array.from({ length: epoch }, (_, i) => ({ epoch: i + 1, epochs: planned }));

test('continuation: the rest of the section\'s epochs, or of a run of more epochs; a finished plan trains the section\'s epochs more', () => {
  // Cancelled at epoch 2 of 5: epochs 3–5.
  assert.deepEqual(continuation(2, history(2, 5), 5), { epochs: 3, to: 5, finishes: 'section' });
  // The section lowered to 2 after a Cancel at epoch 1 of 5: epoch 2 only; lowered below the checkpoint: 2 more.
  assert.deepEqual(continuation(1, history(1, 5), 2), { epochs: 1, to: 2, finishes: 'section' });
  assert.deepEqual(continuation(3, history(3, 5), 2), { epochs: 2, to: 5 });
  // Finished: 5 more, to 10.
  assert.deepEqual(continuation(5, history(5, 5), 5), { epochs: 5, to: 10 });
  // Cancelled at 7 of those 5 more (the run planned 10 after one that finished at 5): on to 10.
  const more = [...history(5, 5), { epoch: 6, epochs: 10 }, { epoch: 7, epochs: 10 }];
  assert.deepEqual(continuation(7, more, 5), { epochs: 3, to: 10, finishes: 'run' });
  // ...unless the section asks for more than that run.
  assert.deepEqual(continuation(7, more, 12), { epochs: 5, to: 12, finishes: 'section' });
  // Two Cancels in one plan: still the section's.
  assert.deepEqual(continuation(4, history(4, 5), 5), { epochs: 1, to: 5, finishes: 'section' });
  // A run of --epochs 2 (finished) with the section at 5: on to the section's 5.
  assert.deepEqual(continuation(2, history(2, 2), 5), { epochs: 3, to: 5, finishes: 'section' });
  // The section raised since: its epochs are the plan.
  assert.deepEqual(continuation(5, history(5, 5), 8), { epochs: 3, to: 8, finishes: 'section' });
  // A checkpoint without a history (or a damaged one) has only the section's plan.
  assert.deepEqual(continuation(2, undefined, 5), { epochs: 3, to: 5, finishes: 'section' });
  assert.deepEqual(continuation(2, [{ epoch: 2, epochs: Number.NaN }], 5), { epochs: 3, to: 5, finishes: 'section' });
  assert.deepEqual(continuation(6, undefined, 5), { epochs: 5, to: 11 });
});

test('the progress of a continued run counts from the plan: "epoch 3/5", in the output channel and the Training tab', () => {
  const c = continuation(2, history(2, 5), 5);
  // The page's start event: the checkpoint's epoch plus the run's epochs (trainCore.ts).
  const start = { kind: 'start', epochs: 2 + c.epochs, examples: 10, backend: 'wasm', source: 'digits', resumedFrom: 2 } as const;
  const p = new TrainingProgress('M', 8, '.nnmodel/m/M');
  assert.match(p.apply(start).lines[0], /epochs 3–5/);
  p.apply({ kind: 'batch', epoch: 3, batch: 1, batches: 2, loss: 1 });
  assert.match(p.apply({ kind: 'epoch', epoch: 3, loss: 1, metrics: {}, ms: 1, examples: 10 }).lines[0], /^epoch 3\/5 · /);
  const curves = new TrainingCurves();
  curves.apply(1, 'M', start);
  curves.apply(1, 'M', { kind: 'batch', epoch: 3, batch: 1, batches: 2, loss: 1 });
  assert.match(runText(curves), /epoch 3\/5, batch 1\/2/);
});

test('CLI: --resume after a Cancel at epoch 2 of 3 trains epoch 3 ("epoch 3/3"), not 3 more; after the plan is done, the section\'s epochs more', async () => {
  const file = join(dir, 'net.nnmodel');
  writeFileSync(
    file,
    `model Net {
  input x: [8, 8, 1]
  output x -> flatten -> dense(10) -> softmax
}
train Net {
  data: digits(samples = 64, size = 8)
  epochs: 3
  batch: 32
}
`,
  );
  // Stopped after epoch 2 of 3, as Ctrl-C (or Cancel) stops it.
  const token = { cancelled: false };
  const first = await runTrainJob({ file, roots: [], backend: 'wasm' }, { onEpoch: (l) => void (token.cancelled ||= l.epoch === 2) }, token);
  assert.equal(first.history.status, 'cancelled');
  const ckDir = join(dir, '.nnmodel/net/Net');
  assert.equal((await readCheckpoint(nodeCheckpointFs(), ckDir)).modelJson.nnmodel.epoch, 2);
  const run = (...argv: string[]) => runCli(dir, ...argv);
  const rest = await run('train', 'net.nnmodel', '--resume');
  assert.equal(rest.code, 0, rest.err);
  assert.match(rest.err, /for 1 epoch, .*from epoch 2/);
  assert.deepEqual(rest.out.trim().split('\n').map((l) => l.split(' · ')[0]), ['epoch 3/3']);
  // The plan is done: the section's 3 epochs more.
  const more = await run('train', 'net.nnmodel', '--resume');
  assert.equal(more.code, 0, more.err);
  assert.deepEqual(more.out.trim().split('\n').map((l) => l.split(' · ')[0]), ['epoch 4/6', 'epoch 5/6', 'epoch 6/6']);
  assert.equal((await readCheckpoint(nodeCheckpointFs(), ckDir)).modelJson.nnmodel.epoch, 6);
  // A history that is not a list (or an epoch that is not a count) is a damaged checkpoint, said so, not an internal error.
  const jsonPath = join(ckDir, 'model.json');
  const intact = readFileSync(jsonPath, 'utf8');
  for (const damage of [{ history: { x: 1 } }, { epoch: 'six' }, { epoch: -1 }]) {
    writeFileSync(jsonPath, JSON.stringify({ ...JSON.parse(intact), nnmodel: { ...JSON.parse(intact).nnmodel, ...damage } }));
    await assert.rejects(readCheckpoint(nodeCheckpointFs(), ckDir), /model\.json: its epoch or history is malformed; the checkpoint is damaged\.$/);
    const damaged = await run('train', 'net.nnmodel', '--resume');
    assert.equal(damaged.code, 1, JSON.stringify(damage));
    assert.match(damaged.err, /model\.json: its epoch or history is malformed; the checkpoint is damaged\./);
    assert.doesNotMatch(damaged.err, /internal error/);
  }
  writeFileSync(jsonPath, intact);
});

test('continuing after the section\'s epochs were lowered: the section decides (stopped at 1 of 3, lowered to 2: epoch 2 only)', async () => {
  const file = join(dir, 'low.nnmodel');
  const text = (epochs: number) => `model Low {
  input x: [8, 8, 1]
  output x -> flatten -> dense(10) -> softmax
}
train Low {
  data: digits(samples = 64, size = 8)
  epochs: ${epochs}
  batch: 32
}
`;
  writeFileSync(file, text(3));
  const token = { cancelled: false };
  await runTrainJob({ file, roots: [], backend: 'wasm' }, { onEpoch: (l) => void (token.cancelled ||= l.epoch === 1) }, token);
  writeFileSync(file, text(2));
  const { code, out } = await runCli(dir, 'train', 'low.nnmodel', '--resume');
  assert.equal(code, 0);
  assert.deepEqual(out.trim().split('\n').map((l) => l.split(' · ')[0]), ['epoch 2/2']);
});

test('Train Model offers to finish the stopped run ("Continue from epoch 2": epoch 3 of 3), or after a finished one, the section\'s epochs more', async () => {
  const work = mkdtempSync(join(dir, 'editor-'));
  const file = join(work, 'net.nnmodel');
  const text = `model Net {
  input x: [8, 8, 1]
  output x -> flatten -> dense(10) -> softmax
}
train Net {
  data: digits(samples = 64, size = 8)
  epochs: 3
  batch: 32
}
`;
  writeFileSync(file, text);
  const token = { cancelled: false };
  await runTrainJob({ file, roots: [], backend: 'wasm' }, { onEpoch: (l) => void (token.cancelled ||= l.epoch === 2) }, token);
  reset([work]);
  resetWindow();
  state.config.nnmodel = {};
  const doc = textDocument(file, text);
  const cache = { get: (d: { getText(): string; uri: { toString(): string } }) => analyze(d.getText(), { uri: d.uri.toString() }) } as unknown as AnalysisCache;
  const api = registerTraining({ asAbsolutePath: (p: string) => join(work, p) } as unknown as vscode.ExtensionContext, cache);
  /** The question Train Model asks, dismissed. */
  const ask = async () => {
    const training = ui.commands.get('nnmodel.train')!(doc.uri, 'Net') as Promise<void>;
    const end = Date.now() + 5000;
    while (!ui.questions[0] && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    const q = ui.questions.shift()!;
    q.answer(undefined);
    await training;
    return q;
  };
  try {
    const stopped = await ask();
    assert.equal(stopped.placeHolder, 'Net has a checkpoint of epoch 2');
    assert.deepEqual(stopped.labels, ['Continue from epoch 2', 'Start over']);
    assert.equal(stopped.descriptions?.[0], "epoch 3 of 3, to finish the train section's epochs");
    // The plan done (as the CLI's --resume finishes it): the section's epochs more, said so.
    await runTrainJob({ file, roots: [], backend: 'wasm', resume: true }, {}, { cancelled: false });
    const finished = await ask();
    assert.deepEqual(finished.labels, ['Train 3 more epochs', 'Start over']);
    assert.equal(finished.descriptions?.[0], "epochs 4–6, from the checkpoint of epoch 3 (the train section's epochs are done)");
    assert.deepEqual(finished.details, [undefined, undefined], 'the checkpoint fits');
    // The model edited since: the question says the checkpoint no longer fits before anything runs.
    const edited = textDocument(file, text.replace('flatten -> dense(10)', 'flatten -> dense(16) -> dense(10)'));
    const training = ui.commands.get('nnmodel.train')!(edited.uri, 'Net') as Promise<void>;
    const end = Date.now() + 5000;
    while (!ui.questions[0] && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    const q = ui.questions.shift()!;
    q.answer(undefined);
    await training;
    assert.deepEqual(q.details, ['$(warning) no longer fits the model: 0 of 2 layers would load; continuing, the layers that do not fit start from fresh weights', undefined]);
  } finally {
    api.dispose();
  }
});

test('Train Model: a checkpoint with a layer the model no longer has is marked, without saying any layer starts from fresh weights (cold review)', async () => {
  const work = mkdtempSync(join(dir, 'extra-'));
  const file = join(work, 'two.nnmodel');
  const text = (head: string) => `model Two {
  input x: [8, 8, 1]
  output x -> flatten -> dense(10)${head} -> softmax
}
train Two {
  data: digits(samples = 64, size = 8)
  epochs: 1
  batch: 32
}
`;
  writeFileSync(file, text(' -> dense(10)'));
  await runTrainJob({ file, roots: [], backend: 'wasm' }, {}, { cancelled: false });
  reset([work]);
  resetWindow();
  state.config.nnmodel = {};
  const cache = { get: (d: { getText(): string; uri: { toString(): string } }) => analyze(d.getText(), { uri: d.uri.toString() }) } as unknown as AnalysisCache;
  const api = registerTraining({ asAbsolutePath: (p: string) => join(work, p) } as unknown as vscode.ExtensionContext, cache);
  try {
    // The second dense(10) removed: the model's one dense layer loads; the checkpoint's second is left over.
    const edited = textDocument(file, text(''));
    const training = ui.commands.get('nnmodel.train')!(edited.uri, 'Two') as Promise<void>;
    const end = Date.now() + 5000;
    while (!ui.questions[0] && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    const q = ui.questions.shift()!;
    q.answer(undefined);
    await training;
    assert.deepEqual(q.details, ['$(warning) no longer fits the model: 1 of its layers is no longer in the model; continuing, its weights are left out (every layer of the model loads)', undefined]);
  } finally {
    api.dispose();
  }
});
