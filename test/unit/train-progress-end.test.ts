// The "nnmodel training" output channel's last lines after a run in the inspector
// (extension/vscode/inspector/trainingProgress.ts endLines), as `nnmodel train` ends: the best epoch (with where
// its weights are when this run wrote them) and the overfitting verdict when the history ends with one. The
// channel used to end at "done: FruitMLP trained." with neither.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndNotice, TrainingProgress } from '../../extension/vscode/inspector/trainingProgress';
import type { EpochFigures } from '../../extension/core/runtime/overfit';

const BEST = '.nnmodel/fruit/FruitMLP/best.json';

/** Feeds a run's epochs (from `first`) to a tracker, writing the best checkpoint at each new lowest val_loss, as the host does. */
function run(history: EpochFigures[], first = 1): TrainingProgress {
  const p = new TrainingProgress('FruitMLP', 16, '.nnmodel/fruit/FruitMLP');
  p.apply({ kind: 'start', epochs: history[history.length - 1].epoch, examples: 150, backend: 'wasm', source: 'data/fruit.csv', ...(first > 1 ? { resumedFrom: first - 1 } : {}) });
  let lowest = Infinity;
  for (const h of history) {
    if (h.epoch < first) {
      lowest = Math.min(lowest, h.valLoss ?? Infinity);
      continue;
    }
    p.apply({ kind: 'batch', epoch: h.epoch, batch: 1, batches: 1, loss: h.loss });
    p.apply({ kind: 'epoch', epoch: h.epoch, loss: h.loss, metrics: {}, ...(h.valLoss !== undefined ? { valLoss: h.valLoss } : {}), ms: 10, examples: 120 });
    p.checkpointWritten(h.epoch);
    if (h.valLoss !== undefined && h.valLoss < lowest) {
      lowest = h.valLoss;
      p.bestWritten(h.epoch);
    }
  }
  return p;
}

test('a run that ends overfitting: the best epoch and where its weights are, then the verdict', () => {
  const history = [
    { epoch: 1, loss: 1.0, valLoss: 0.75 },
    { epoch: 2, loss: 0.6, valLoss: 0.42 },
    { epoch: 3, loss: 0.5, valLoss: 0.5 },
    { epoch: 4, loss: 0.4, valLoss: 0.55 },
  ];
  assert.deepEqual(run(history).endLines(history, BEST), [
    `best: val_loss lowest at epoch 2 (0.42); its weights are in ${BEST}`,
    'val_loss lowest at epoch 2 (0.42); since then loss \u221233 %, val_loss +31 %: the model is overfitting \u2014 dropout, augmentation, fewer parameters or more data help',
  ]);
});

test('no verdict while val_loss still falls; a best from before a continued run is said to be so; nothing without validation', () => {
  const falling = [
    { epoch: 1, loss: 1.0, valLoss: 0.75 },
    { epoch: 2, loss: 0.6, valLoss: 0.42 },
  ];
  assert.deepEqual(run(falling).endLines(falling, BEST), [`best: val_loss lowest at epoch 2 (0.42); its weights are in ${BEST}`]);
  // Continued from epoch 2: epochs 3 and 4 never beat it (so this run wrote no best), and epoch 4 is within 1 % of it (no verdict).
  const continued = [...falling, { epoch: 3, loss: 0.55, valLoss: 0.43 }, { epoch: 4, loss: 0.5, valLoss: 0.421 }];
  assert.deepEqual(run(continued, 3).endLines(continued, BEST), ['best: val_loss lowest at epoch 2 (0.42) (before this run)']);
  const noValidation = [{ epoch: 1, loss: 1 }, { epoch: 2, loss: 0.5 }];
  assert.deepEqual(run(noValidation).endLines(noValidation, BEST), []);
});

test("the notice of how a run ended closes when the next run starts: a continued run's end is not shown beside the stopped run's", async () => {
  // QA: "Training of X stopped; the checkpoint … (epoch 2 …)" stayed on screen beside "Trained X." after Continue.
  const shown: { text: string; open: boolean }[] = [];
  const notice = new EndNotice((text, until) => {
    const n = { text, open: true };
    shown.push(n);
    void until.then(() => (n.open = false));
  });
  const settle = () => new Promise((r) => setImmediate(r));
  const stopped = new TrainingProgress('M', 32, '.nnmodel/m/M');
  notice.notify(stopped.summary({ kind: 'done', status: 'cancelled' }).text);
  await settle();
  assert.deepEqual(shown.map((n) => [n.text, n.open]), [['Training of M stopped; no epoch completed, so no checkpoint was written; any earlier one is untouched.', true]]);
  // The continued run starts: the stopped run's notice closes.
  notice.close();
  await settle();
  assert.equal(shown[0].open, false);
  notice.notify('Trained M.');
  await settle();
  assert.deepEqual(shown.map((n) => n.open), [false, true]);
  // A notice replaces the one before it too; closing twice is harmless.
  notice.notify('Trained M again.');
  notice.close();
  notice.close();
  await settle();
  assert.deepEqual(shown.map((n) => n.open), [false, false, false]);
});

test('continued after an edit of the layers: the best is of the epochs since, not an earlier lower one whose weights no longer fit', () => {
  const history = [
    { epoch: 1, loss: 1.0, valLoss: 0.75 },
    { epoch: 2, loss: 0.6, valLoss: 0.42 },
    { epoch: 3, loss: 0.9, valLoss: 0.6 },
    { epoch: 4, loss: 0.8, valLoss: 0.5 },
  ];
  const p = new TrainingProgress('FruitMLP', 16, '.nnmodel/fruit/FruitMLP');
  p.apply({ kind: 'start', epochs: 4, examples: 150, backend: 'wasm', source: 'data/fruit.csv', resumedFrom: 2 });
  for (const h of history.slice(2)) {
    p.apply({ kind: 'epoch', epoch: h.epoch, loss: h.loss, metrics: {}, valLoss: h.valLoss, ms: 10, examples: 120 });
    p.checkpointWritten(h.epoch);
    // As writeBestCheckpoint answers: the best of epoch 2 was trained before the edit, so epoch 3 and then 4 are written.
    p.bestWritten(h.epoch, 3);
  }
  assert.deepEqual(p.endLines(history, BEST), [`best: val_loss lowest at epoch 4 (0.5); its weights are in ${BEST}`]);
});
