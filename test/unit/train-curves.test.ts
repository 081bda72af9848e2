import { test } from 'node:test';
import assert from 'node:assert/strict';
import { announceText, chooseShown, emptyText, historyEntries, loadedText, runText, TrainingCurves, MAX_BATCH_POINTS } from '../../webview/training/curves';
import { lossChartStyles, metricChartStyles, seriesWithData, VALIDATION_DASH } from '../../webview/training/chartStyle';
import { parseHostMessage, parseWebviewMessage } from '../../extension/core/protocol';
import { parseHostToJob } from '../../extension/core/runtime/jobProtocol';
import type { EpochLogs } from '../../extension/core/runtime/train';

test('curves place batches at fractional epochs and epoch figures at whole ones', () => {
  const c = new TrainingCurves();
  c.apply(1, 'M', { kind: 'start', epochs: 2, examples: 100, backend: 'wasm', source: 'digits' });
  c.apply(1, 'M', { kind: 'batch', epoch: 1, batch: 1, batches: 2, loss: 2 });
  c.apply(1, 'M', { kind: 'batch', epoch: 1, batch: 2, batches: 2, loss: 1.5 });
  c.apply(1, 'M', { kind: 'epoch', epoch: 1, loss: 1.7, metrics: { accuracy: 0.4 }, valLoss: 1.6, valMetrics: { accuracy: 0.5 }, ms: 100, examples: 90 });
  const [x, batch, epoch, val] = c.lossSeries();
  // The last batch and the epoch's figures share x = 1: one row, so that uPlot (x strictly increasing) draws both.
  assert.deepEqual(x, [0.5, 1]);
  assert.deepEqual(batch, [2, 1.5]);
  assert.deepEqual(epoch, [null, 1.7]);
  assert.deepEqual(val, [null, 1.6]);
  assert.deepEqual(c.metricSeries(), [[1], [0.4], [0.5]]);
  c.apply(1, 'M', { kind: 'done', status: 'cancelled' });
  assert.equal(c.status, 'cancelled');
  // A new run starts afresh; an older run's late events are ignored.
  c.apply(2, 'M', { kind: 'start', epochs: 1, examples: 10, backend: 'cpu', source: 'x' });
  assert.equal(c.apply(1, 'M', { kind: 'batch', epoch: 2, batch: 1, batches: 2, loss: 9 }), false);
  assert.deepEqual(c.lossSeries()[0], []);
});

test('loss series x is strictly increasing over several epochs, every epoch figure on its row', () => {
  const c = new TrainingCurves();
  c.apply(1, 'M', { kind: 'start', epochs: 3, examples: 100, backend: 'wasm', source: 'digits' });
  for (let e = 1; e <= 3; e++) {
    for (let b = 1; b <= 4; b++) c.apply(1, 'M', { kind: 'batch', epoch: e, batch: b, batches: 4, loss: 3 - e + 1 / b });
    c.apply(1, 'M', { kind: 'epoch', epoch: e, loss: 3 - e, metrics: {}, valLoss: 3.5 - e, valMetrics: {}, ms: 10, examples: 90 });
  }
  const [x, , epoch, val] = c.lossSeries();
  for (let i = 1; i < x.length; i++) assert.ok((x[i] as number) > (x[i - 1] as number), `x[${i}] = ${x[i]} after ${x[i - 1]}`);
  assert.deepEqual(x.flatMap((v, i) => (epoch[i] === null ? [] : [[v, epoch[i], val[i]]])), [[1, 2, 2.5], [2, 1, 1.5], [3, 0, 0.5]]);
});

test('batch points are thinned beyond the limit, keeping their span', () => {
  const c = new TrainingCurves();
  for (let i = 1; i <= MAX_BATCH_POINTS * 2; i++) c.apply(1, 'M', { kind: 'batch', epoch: 1, batch: i, batches: MAX_BATCH_POINTS * 2, loss: i });
  assert.ok(c.batchX.length <= MAX_BATCH_POINTS);
  assert.ok(c.batchX[c.batchX.length - 1] > 0.99);
  assert.ok(c.batchX[0] < 0.01);
});

test('training events and weights messages pass validation; malformed ones do not', () => {
  const ok = { type: 'trainEvent', uri: 'file:///a', version: 3, model: 'M', run: 1, event: { kind: 'epoch', epoch: 1, loss: 1, metrics: { accuracy: 0.5 }, ms: 10, examples: 5 } };
  assert.deepEqual(parseWebviewMessage(ok), ok);
  assert.equal(parseWebviewMessage({ ...ok, event: { kind: 'epoch', epoch: 1, loss: 1, metrics: { accuracy: 'x' }, ms: 10, examples: 5 } }), undefined);
  assert.equal(parseWebviewMessage({ ...ok, event: { kind: 'explode' } }), undefined);
  assert.equal(parseWebviewMessage({ ...ok, version: undefined }), undefined, 'events carry the document version');
  const w = { type: 'weights', uri: 'file:///a', model: 'M', epoch: 2, modelJson: '{}', weights: new Uint8Array(4) };
  assert.deepEqual(parseHostMessage(w), w);
  assert.deepEqual(parseHostMessage({ ...w, from: '.nnmodel/a/M' }), { ...w, from: '.nnmodel/a/M' });
  assert.equal(parseHostMessage({ ...w, weights: [1, 2] }), undefined);
  assert.equal(parseHostMessage({ type: 'training', uri: 'file:///a', model: 'M', run: 1, event: ok.event }), undefined, 'the page draws its own runs now');
});

test('job requests from the host are validated', () => {
  const request = { file: '/w/a.nnmodel', roots: ['/w'], backend: 'wasm' };
  assert.deepEqual(parseHostToJob({ type: 'run', command: 'evaluate', request }), { type: 'run', command: 'evaluate', request });
  assert.equal(parseHostToJob({ type: 'run', command: 'train', request }), undefined, 'training runs in the inspector, not in a job');
  assert.deepEqual(parseHostToJob({ type: 'stop' }), { type: 'stop' });
  assert.equal(parseHostToJob({ type: 'run', command: 'evaluate', request: { ...request, backend: 'webgl' } }), undefined);
  assert.equal(parseHostToJob({ type: 'run', command: 'generate', request }), undefined, 'generate needs its options');
  assert.equal(parseHostToJob({ type: 'run', command: 'rm -rf', request }), undefined);
});

test('both charts share one x range in epochs: one epoch spans [0, 1], the epoch in progress its whole width', () => {
  const c = new TrainingCurves();
  assert.equal(c.xRange(), undefined, 'nothing to draw');
  c.apply(1, 'M', { kind: 'start', epochs: 3, examples: 100, backend: 'wasm', source: 'digits' });
  for (let b = 1; b <= 4; b++) c.apply(1, 'M', { kind: 'batch', epoch: 1, batch: b, batches: 4, loss: 2 / b });
  c.apply(1, 'M', { kind: 'epoch', epoch: 1, loss: 1, metrics: { accuracy: 0.5 }, valLoss: 1.1, valMetrics: { accuracy: 0.4 }, ms: 10, examples: 90 });
  // The metrics chart's only x is 1 and the loss chart's run from 0.25 to 1: one range for both, [0, 1] (not uPlot's [0, 2] around a lone point).
  assert.deepEqual(c.xRange(), [0, 1]);
  assert.deepEqual(c.metricSeries()[0], [1]);
  // Cancelled early in epoch 2: the range covers epoch 2, where the batch loss stops.
  c.apply(1, 'M', { kind: 'batch', epoch: 2, batch: 1, batches: 4, loss: 0.4 });
  c.apply(1, 'M', { kind: 'done', status: 'cancelled' });
  assert.deepEqual(c.xRange(), [0, 2]);
  // A resumed run whose checkpoint keeps no history draws from the epoch it continues.
  const r = new TrainingCurves();
  r.apply(1, 'M', { kind: 'start', epochs: 5, examples: 100, backend: 'wasm', source: 'digits', resumedFrom: 3 });
  r.apply(1, 'M', { kind: 'batch', epoch: 4, batch: 1, batches: 2, loss: 1 });
  assert.deepEqual(r.xRange(), [3, 4]);
  // With the checkpoint's history, from its first epoch, as a fresh run would.
  const h = new TrainingCurves();
  h.apply(1, 'M', { kind: 'start', epochs: 5, examples: 100, backend: 'wasm', source: 'digits', resumedFrom: 2, history: [{ epoch: 1, loss: 2 }, { epoch: 2, loss: 1.5 }] });
  assert.deepEqual(h.xRange(), [0, 2], 'before its first batch');
  h.apply(1, 'M', { kind: 'batch', epoch: 3, batch: 1, batches: 2, loss: 1 });
  assert.deepEqual(h.xRange(), [0, 3]);
});

test('a continued run\'s loss chart draws the checkpoint\'s epochs before its own, with their val_loss', () => {
  const c = new TrainingCurves();
  const before = [
    { epoch: 1, loss: 2, valLoss: 1.9 },
    { epoch: 2, loss: 1.5, valLoss: 1.4 },
  ];
  c.apply(1, 'M', { kind: 'start', epochs: 5, examples: 100, backend: 'wasm', source: 'digits', resumedFrom: 2, history: before });
  c.apply(1, 'M', { kind: 'batch', epoch: 3, batch: 1, batches: 2, loss: 1.2 });
  c.apply(1, 'M', { kind: 'batch', epoch: 3, batch: 2, batches: 2, loss: 1.1 });
  c.apply(1, 'M', { kind: 'epoch', epoch: 3, loss: 1.15, metrics: {}, valLoss: 1.3, valMetrics: {}, ms: 10, examples: 90 });
  const [x, batch, loss, valLoss] = c.lossSeries();
  assert.deepEqual(x, [1, 2, 2.5, 3]);
  assert.deepEqual(batch, [null, null, 1.2, 1.1]);
  assert.deepEqual(loss, [2, 1.5, null, 1.15]);
  assert.deepEqual(valLoss, [1.9, 1.4, null, 1.3]);
  // The run's own figures win over a checkpoint's epoch it trained again (never sent so, but the page must not draw two).
  c.apply(1, 'M', { kind: 'epoch', epoch: 2, loss: 1.6, metrics: {}, valLoss: 1.45, valMetrics: {}, ms: 10, examples: 90 });
  assert.deepEqual(c.lossSeries()[2].filter((v) => v !== null), [2, 1.6, 1.15]);
});

test('epoch-level series always show their points; train and validation differ in colour and dash, alike on both charts', () => {
  const loss = lossChartStyles(['d_loss'], new Set(['loss']));
  assert.deepEqual(loss.map((s) => s.label), ['batch loss', 'loss', 'val_loss', 'd_loss']);
  const [batch, train, val] = loss;
  assert.equal(batch.points, false, 'hundreds of batch points stay a line');
  // One completed epoch is one point per epoch series: without markers it draws nothing.
  for (const s of loss.slice(1)) assert.equal(s.points, true, `${s.label} shows its points`);
  assert.notDeepEqual(train.color, val.color);
  assert.equal(train.dash, undefined);
  assert.deepEqual(val.dash, VALIDATION_DASH);
  const metrics = metricChartStyles(['accuracy'], new Set(['accuracy']));
  assert.deepEqual(metrics.map((s) => s.label), ['accuracy', 'val_accuracy']);
  assert.ok(metrics.every((s) => s.points));
  assert.notEqual(metrics[0].color.cssVar, metrics[1].color.cssVar, 'accuracy and val_accuracy in different colours');
  assert.deepEqual([metrics[0].color, metrics[1].color], [train.color, val.color], 'the pairing of loss and val_loss');
  assert.deepEqual([metrics[0].dash, metrics[1].dash], [undefined, VALIDATION_DASH]);
  // A GAN's metrics (no validation): a colour each, no empty validation series.
  const gan = metricChartStyles(['d_real', 'd_fake'], new Set());
  assert.deepEqual(gan.map((s) => s.label), ['d_real', 'd_fake']);
  assert.notDeepEqual(gan[0].color, gan[1].color);
  // Every colour is a theme colour (defined by dark, light and high-contrast themes) with a fallback.
  for (const s of [...loss, ...metrics, ...gan]) assert.match(s.color.cssVar, /^--vscode-charts-[a-z]+$/);
  // The series follow the data's order.
  const c = new TrainingCurves();
  c.apply(1, 'M', { kind: 'epoch', epoch: 1, loss: 1, metrics: { d_loss: 1.3, d_real: 0.6, d_fake: 0.4 }, ms: 1, examples: 1 });
  assert.equal(c.lossSeries().length, 1 + lossChartStyles(c.lossMetricNames(), c.validated()).length);
  assert.equal(c.metricSeries().length, 1 + metricChartStyles(c.metricNames(), c.validated()).length);
});

test("loaded weights' history: checked entry by entry, drawn as epoch curves, and the status says which weights", () => {
  const history = [
    { epoch: 1, epochs: 3, loss: 0.9, metrics: { accuracy: 0.7 }, valLoss: 0.5, valMetrics: { accuracy: 0.85 }, examples: 900, ms: 2000 },
    { epoch: 2, epochs: 3, loss: 0.4, metrics: { accuracy: 0.9, note: 'x' }, valLoss: 0.3, valMetrics: { accuracy: 0.92 }, examples: 900, ms: 1900 },
    { epoch: 3, epochs: 3, loss: 0.3, metrics: { accuracy: 0.93 }, valLoss: 0.25, valMetrics: { accuracy: 0.95 }, examples: 900, ms: 1800 },
    { epoch: 0, loss: 1 },
    { epoch: 2.5, loss: 1 },
    { epoch: 4, loss: 'NaN' },
    null,
    'junk',
  ];
  const entries = historyEntries(history);
  assert.deepEqual(entries.map((e) => e.epoch), [1, 2, 3]);
  assert.deepEqual(entries[1].metrics, { accuracy: 0.9 }, 'a non-numeric metric is dropped');
  assert.deepEqual(historyEntries(undefined), []);
  assert.deepEqual(historyEntries({ epoch: 1 }), []);
  assert.deepEqual(historyEntries([{ epoch: 1, loss: 2 }]), [{ epoch: 1, epochs: 1, loss: 2, metrics: {}, examples: 0, ms: 0 }]);

  const w = { model: 'LeNet5', epoch: 3, from: '.nnmodel/lenet5/LeNet5', history: entries };
  const c = TrainingCurves.fromHistory(w);
  assert.equal(c.status, 'loaded');
  assert.deepEqual(c.rows.map((r) => r.epoch), [1, 2, 3]);
  const [x, batch, loss, valLoss] = c.lossSeries();
  assert.deepEqual(x, [1, 2, 3]);
  assert.deepEqual(batch, [null, null, null]);
  assert.deepEqual(loss, [0.9, 0.4, 0.3]);
  assert.deepEqual(valLoss, [0.5, 0.3, 0.25]);
  assert.deepEqual(c.metricSeries(), [[1, 2, 3], [0.7, 0.9, 0.93], [0.85, 0.92, 0.95]]);
  assert.deepEqual(c.xRange(), [0, 3]);
  assert.equal(loadedText(w), 'LeNet5: weights of epoch 3 loaded from .nnmodel/lenet5/LeNet5 · below, the 3 epochs of training that produced them.');
  // A checkpoint of an earlier epoch whose history runs further (never written so, but a file can say anything): curves up to the weights.
  assert.deepEqual(TrainingCurves.fromHistory({ ...w, epoch: 1 }).rows.map((r) => r.epoch), [1]);
  assert.deepEqual(TrainingCurves.fromHistory({ ...w, epoch: 1 }).xRange(), [0, 1]);
  assert.equal(loadedText({ model: 'Generator', epoch: 1, from: '.nnmodel/gan_digits/Generator', history: entries.slice(0, 1) }), 'Generator: weights of epoch 1 loaded from .nnmodel/gan_digits/Generator · below, the epoch of training that produced them.');
  assert.equal(loadedText({ model: 'M', epoch: 2, from: 'ck', history: [] }), 'M: weights of epoch 2 loaded from ck · the checkpoint keeps no per-epoch figures.');
  assert.equal(loadedText({ model: 'M', epoch: 2, history: [] }), 'M: weights of epoch 2 from a training run in this window · the checkpoint keeps no per-epoch figures.');
  assert.equal(
    loadedText({ model: 'Overfit', epoch: 10, from: 'ck', history: [], loaded: 1, total: 3 }),
    'Overfit: only 1 of 3 layers loaded from the weights of epoch 10 in ck; the rest keep their initial weights (the note above says why) · the checkpoint keeps no per-epoch figures.',
  );
  assert.equal(loadedText({ model: 'M', epoch: 2, from: 'ck', history: [], loaded: 3, total: 3 }), 'M: weights of epoch 2 loaded from ck · the checkpoint keeps no per-epoch figures.');
});

test('the Training tab shows the run in this page, the loaded weights, or its empty state', () => {
  const none = new TrainingCurves();
  const disk = { model: 'LeNet5', epoch: 3, from: '.nnmodel/lenet5/LeNet5', history: [] };
  assert.equal(chooseShown(none, undefined, false), 'empty');
  // The reported bug: weights loaded, no run in this page — not "No training yet".
  assert.equal(chooseShown(none, disk, true), 'weights');
  assert.equal(chooseShown(none, { ...disk, from: undefined }, true), 'weights');
  const run = new TrainingCurves();
  run.apply(1, 'LeNet5', { kind: 'start', epochs: 3, examples: 10, backend: 'wasm', source: 'digits' });
  assert.equal(chooseShown(run, disk, true), 'run', 'a run in progress wins');
  run.apply(1, 'LeNet5', { kind: 'done', status: 'completed' });
  assert.equal(chooseShown(run, { ...disk, from: undefined }, true), 'run', "the run's own weights: its live curves stay");
  assert.equal(chooseShown(run, disk, true), 'weights', 'Load Weights after the run');
  assert.equal(chooseShown(run, disk, false), 'run', 'a run (or its refusal) after the weights were loaded');
  assert.equal(chooseShown(run, undefined, true), 'run');
  assert.equal(chooseShown(run, { ...disk, model: 'Other', from: undefined }, true), 'weights', "another model's weights from a run elsewhere");
});

test('the Training tab shows only runs and weights of the model the inspector shows; else it says there is no run of it yet', () => {
  const run = new TrainingCurves();
  run.apply(1, 'LeNet5', { kind: 'start', epochs: 3, examples: 10, backend: 'wasm', source: 'digits' });
  run.apply(1, 'LeNet5', { kind: 'done', status: 'completed' });
  assert.equal(chooseShown(run, undefined, false, 'LeNet5'), 'run');
  // The QA case: the inspector switched to another model; the tab showed LeNet5's run, its status line naming it.
  assert.equal(chooseShown(run, undefined, false, 'Tiny'), 'empty');
  assert.equal(emptyText('Tiny', run), 'No run of Tiny yet. Run “nnmodel: Train Model” (or the Train lens above a model) to see loss and accuracy here. The last run in this inspector trained LeNet5: its curves show when the inspector shows LeNet5.');
  // A run in progress of the other model does not win either; the empty state says it trains.
  const running = new TrainingCurves();
  running.apply(2, 'LeNet5', { kind: 'start', epochs: 3, examples: 10, backend: 'wasm', source: 'digits' });
  assert.equal(chooseShown(running, undefined, true, 'Tiny'), 'empty');
  assert.match(emptyText('Tiny', running), /^No run of Tiny yet\. .* LeNet5 is training in this inspector: its curves show when the inspector shows LeNet5\.$/);
  // The shown model's own weights beside another model's run: the weights.
  const tiny = { model: 'Tiny', epoch: 2, from: '.nnmodel/model/Tiny', history: [] };
  assert.equal(chooseShown(running, tiny, false, 'Tiny'), 'weights');
  assert.equal(chooseShown(run, { ...tiny, model: 'LeNet5' }, true, 'Tiny'), 'empty', 'weights of another model are not this one’s');
  // Before any model came (no name yet), and with no run at all: as before.
  assert.equal(chooseShown(run, undefined, false, ''), 'run');
  assert.equal(emptyText(''), 'No training yet. Run “nnmodel: Train Model” (or the Train lens above a model) to see loss and accuracy here.');
  assert.equal(emptyText('Tiny', new TrainingCurves()), 'No run of Tiny yet. Run “nnmodel: Train Model” (or the Train lens above a model) to see loss and accuracy here.');
  assert.equal(emptyText('LeNet5', run), 'No run of LeNet5 yet. Run “nnmodel: Train Model” (or the Train lens above a model) to see loss and accuracy here.');
});

test('a run of a model with the same name in another file (a copy of an example) is not shown as the inspected model’s', () => {
  // QA: tcn_copy.nnmodel (model TCN) trained; tcn_waves.nnmodel (model TCN, never trained) showed that run in its
  // Training tab while its Forecast tab said "Initial (untrained, random) weights".
  const run = new TrainingCurves();
  run.apply(1, 'TCN', { kind: 'start', epochs: 2, examples: 2000, backend: 'wasm', source: 'waves' });
  run.apply(1, 'TCN', { kind: 'done', status: 'completed' });
  const copy = { run: run.run, status: run.status, model: run.model, uri: 'file:///w/tcn_copy.nnmodel' };
  assert.equal(chooseShown(copy, undefined, false, 'TCN', 'file:///w/tcn_copy.nnmodel'), 'run', 'its own file');
  assert.equal(chooseShown(copy, undefined, false, 'TCN', 'file:///w/tcn_waves.nnmodel'), 'empty');
  const own = { model: 'TCN', epoch: 3, from: '.nnmodel/tcn_waves/TCN', history: [] };
  assert.equal(chooseShown(copy, own, false, 'TCN', 'file:///w/tcn_waves.nnmodel'), 'weights', "its own checkpoint, not the other file's run");
  assert.equal(
    emptyText('TCN', run, 'tcn_copy.nnmodel'),
    'No run of TCN yet. Run “nnmodel: Train Model” (or the Train lens above a model) to see loss and accuracy here. The last run in this inspector trained TCN of tcn_copy.nnmodel: its curves show when the inspector shows TCN of tcn_copy.nnmodel.',
  );
  // Without documents (as before): by name.
  assert.equal(chooseShown(copy, undefined, false, 'TCN'), 'run');
});

test("the run's status line counts examples in the singular and plural", () => {
  const c = new TrainingCurves();
  c.apply(1, 'M', { kind: 'start', epochs: 2, examples: 1, backend: 'wasm', source: 'digits' });
  assert.equal(runText(c), 'M: training · digits, 1 training example · in this inspector on WASM');
  c.apply(2, 'M', { kind: 'start', epochs: 2, examples: 60, backend: 'webgl', source: 'digits' });
  c.apply(2, 'M', { kind: 'batch', epoch: 1, batch: 3, batches: 10, loss: 2 });
  assert.equal(runText(c), 'M: training · epoch 1/2, batch 3/10 · digits, 60 training examples · in this inspector on WebGL');
  // The examples trained on, then those held out: a text's windows between the two are in neither.
  c.apply(3, 'M', { kind: 'start', epochs: 2, examples: 2064, validation: 263, backend: 'wasm', source: 'tiny.txt' });
  assert.equal(runText(c), 'M: training · tiny.txt, 2064 training examples, 263 for validation · in this inspector on WASM');
  // A run without validation after one with: none said.
  c.apply(4, 'M', { kind: 'start', epochs: 2, examples: 60, backend: 'wasm', source: 'digits' });
  assert.equal(runText(c), 'M: training · digits, 60 training examples · in this inspector on WASM');
});

test('the charts draw and list only series with values: no batch loss for loaded weights, none before it has a point', () => {
  const labels = (c: TrainingCurves) => ({
    loss: seriesWithData(lossChartStyles(c.lossMetricNames(), c.validated()), c.lossSeries()).styles.map((s) => s.label),
    metrics: seriesWithData(metricChartStyles(c.metricNames(), c.validated()), c.metricSeries()).styles.map((s) => s.label),
  });
  // Weights loaded from a checkpoint: epoch figures only (the QA report's legend listed "batch loss" here).
  const loaded = TrainingCurves.fromHistory({
    model: 'M',
    epoch: 2,
    history: [
      { epoch: 1, epochs: 2, loss: 0.9, metrics: { accuracy: 0.7 }, valLoss: 0.5, valMetrics: { accuracy: 0.8 }, examples: 10, ms: 10 },
      { epoch: 2, epochs: 2, loss: 0.5, metrics: { accuracy: 0.8 }, valLoss: 0.4, valMetrics: { accuracy: 0.85 }, examples: 10, ms: 10 },
    ],
  });
  assert.deepEqual(labels(loaded), { loss: ['loss', 'val_loss'], metrics: ['accuracy', 'val_accuracy'] });
  const kept = seriesWithData(lossChartStyles([], loaded.validated()), loaded.lossSeries());
  assert.deepEqual(kept.data, [[1, 2], [0.9, 0.5], [0.5, 0.4]], 'the data columns follow the kept series');
  assert.equal(kept.key, 'loss,val_loss');
  // A run: batch loss from the first batch, the epoch series once an epoch ends; no validation, no val_loss.
  const run = new TrainingCurves();
  run.apply(1, 'M', { kind: 'start', epochs: 2, examples: 10, backend: 'cpu', source: 'x' });
  assert.deepEqual(labels(run), { loss: [], metrics: [] });
  run.apply(1, 'M', { kind: 'batch', epoch: 1, batch: 1, batches: 2, loss: 2 });
  assert.deepEqual(labels(run), { loss: ['batch loss'], metrics: [] });
  run.apply(1, 'M', { kind: 'epoch', epoch: 1, loss: 1.7, metrics: { accuracy: 0.4 }, ms: 1, examples: 10 });
  assert.deepEqual(labels(run), { loss: ['batch loss', 'loss'], metrics: ['accuracy'] });
});

test("a continued run's epochs table and metrics chart list the checkpoint's epochs too, with what it kept", async () => {
  const { historyFigures } = await import('../../webview/training/trainCore');
  // The checkpoint's nnmodel.history as the page reads it (a NaN kept as null by JSON is dropped, not sent).
  const kept: EpochLogs[] = [
    { epoch: 1, epochs: 2, loss: 2, metrics: { accuracy: 0.5, bad: null as unknown as number }, valLoss: 1.9, valMetrics: { accuracy: 0.55 }, examples: 90, ms: 1500 },
    { epoch: 2, epochs: 2, loss: 1.5, metrics: { accuracy: 0.6 }, valLoss: 1.4, valMetrics: { accuracy: 0.62 }, examples: 90, ms: 1200 },
  ];
  const history = historyFigures(kept);
  assert.deepEqual(history[0], { epoch: 1, loss: 2, valLoss: 1.9, metrics: { accuracy: 0.5 }, valMetrics: { accuracy: 0.55 }, ms: 1500, examples: 90 });
  // The host accepts the start event with them (and refuses malformed ones).
  const start = { kind: 'start' as const, epochs: 4, examples: 100, backend: 'wasm', source: 'digits', resumedFrom: 2, history };
  const post = (event: unknown) => parseWebviewMessage({ type: 'trainEvent', uri: 'file:///a.nnmodel', version: 1, run: 1, model: 'M', event });
  assert.ok(post(start));
  assert.equal(post({ ...start, history: [{ ...history[0], metrics: { accuracy: 'x' } }] }), undefined);
  assert.equal(post({ ...start, history: [{ ...history[0], ms: 'x' }] }), undefined);
  const c = new TrainingCurves();
  c.apply(1, 'M', start);
  c.apply(1, 'M', { kind: 'epoch', epoch: 3, loss: 1.2, metrics: { accuracy: 0.7 }, valLoss: 1.3, valMetrics: { accuracy: 0.68 }, ms: 1000, examples: 90 });
  // The table lists the epochs the loss chart draws (QA: chart 1–3, table 3 only).
  assert.deepEqual(c.allRows().map((r) => r.epoch), [1, 2, 3]);
  assert.deepEqual(c.allRows().map((r) => r.epoch), c.lossSeries()[0].filter((_x, i) => c.lossSeries()[2][i] !== null));
  assert.deepEqual(c.allRows()[0], { epoch: 1, loss: 2, valLoss: 1.9, metrics: { accuracy: 0.5 }, valMetrics: { accuracy: 0.55 }, ms: 1500, examples: 90 });
  assert.deepEqual(c.metricSeries(), [[1, 2, 3], [0.5, 0.6, 0.7], [0.55, 0.62, 0.68]]);
  // A checkpoint that kept only loss figures (an older one): its rows have no metrics, time or examples.
  const old = new TrainingCurves();
  old.apply(1, 'M', { ...start, history: [{ epoch: 1, loss: 2 }, { epoch: 2, loss: 1.5 }] });
  assert.deepEqual(old.allRows()[1], { epoch: 2, loss: 1.5, metrics: {}, valMetrics: {}, ms: 0, examples: 0 });
});

test("the loss chart's legend shows an epoch series' value at the nearest epoch while the cursor is on a batch", async () => {
  const { nearestEpochValue } = await import('../../webview/training/curves');
  const c = new TrainingCurves();
  c.apply(1, 'M', { kind: 'start', epochs: 2, examples: 100, backend: 'wasm', source: 'digits' });
  for (const [epoch, loss] of [[1, 0.9], [2, 0.5]] as const) {
    for (let b = 1; b <= 4; b++) c.apply(1, 'M', { kind: 'batch', epoch, batch: b, batches: 4, loss: loss + 0.1 * (4 - b) });
    c.apply(1, 'M', { kind: 'epoch', epoch, loss, metrics: {}, valLoss: loss + 0.05, valMetrics: {}, ms: 10, examples: 90 });
  }
  const [x, , loss, valLoss] = c.lossSeries();
  const at = (v: number) => x.indexOf(v);
  // QA: blank at 14.43, shown at 15.00.
  assert.equal(loss[at(1.25)], null);
  assert.equal(nearestEpochValue(x, loss, at(1.25)), 0.9);
  assert.equal(nearestEpochValue(x, loss, at(1.75)), 0.5);
  assert.equal(nearestEpochValue(x, valLoss, at(1.5)), 0.55, 'halfway: the later epoch');
  assert.equal(nearestEpochValue(x, loss, at(0.25)), 0.9);
  assert.equal(nearestEpochValue(x, loss, at(2)), 0.5);
  // A series with no value anywhere shows none.
  assert.equal(nearestEpochValue(x, x.map(() => null), at(1.25)), null);
});

test('the live region says a run started, each finished epoch and the end, not its batches', () => {
  const c = new TrainingCurves();
  c.apply(1, 'M', { kind: 'start', epochs: 2, examples: 100, backend: 'wasm', source: 'digits' });
  assert.equal(announceText(c), 'M: training started, 2 epochs');
  c.apply(1, 'M', { kind: 'batch', epoch: 1, batch: 1, batches: 2, loss: 2 });
  const afterStart = announceText(c);
  c.apply(1, 'M', { kind: 'batch', epoch: 1, batch: 2, batches: 2, loss: 1.5 });
  assert.equal(announceText(c), afterStart, 'a batch changes the status line, not what is read out');
  assert.notEqual(runText(c), afterStart);
  c.apply(1, 'M', { kind: 'epoch', epoch: 1, loss: 1.23456, metrics: {}, valLoss: 1.5, valMetrics: {}, ms: 100, examples: 90 });
  assert.equal(announceText(c), 'M: epoch 1 of 2 done: loss 1.235, validation loss 1.5');
  c.apply(1, 'M', { kind: 'batch', epoch: 2, batch: 1, batches: 2, loss: 1.1 });
  assert.equal(announceText(c), 'M: epoch 1 of 2 done: loss 1.235, validation loss 1.5');
  c.apply(1, 'M', { kind: 'epoch', epoch: 2, loss: 0.9, metrics: {}, ms: 100, examples: 90 });
  c.apply(1, 'M', { kind: 'done', status: 'completed' });
  assert.equal(announceText(c), 'M: training done, loss 0.9');
  c.apply(2, 'M', { kind: 'start', epochs: 3, examples: 100, backend: 'wasm', source: 'digits' });
  c.apply(2, 'M', { kind: 'done', status: 'cancelled' });
  assert.equal(announceText(c), 'M: training stopped');
});
