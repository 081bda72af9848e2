import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestEpoch, lossFigure, overfitVerdict, percentChange, OVERFIT_MIN_RISE } from '../../extension/core/runtime/overfit';
import { bestMarker, overfitLine, TrainingCurves } from '../../webview/training/curves';
import { BEST_MARKER, lossChartStyles } from '../../webview/training/chartStyle';
import { parseWebviewMessage } from '../../extension/core/protocol';

/** A history from parallel lists of loss and val_loss (undefined: no validation that epoch). */
const history = (loss: number[], valLoss: (number | undefined)[]) =>
  loss.map((l, i) => ({ epoch: i + 1, loss: l, ...(valLoss[i] !== undefined ? { valLoss: valLoss[i] } : {}) }));

test('the best epoch is the lowest finite val_loss, the earliest of equals; none without validation', () => {
  assert.deepEqual(bestEpoch(history([1, 0.8, 0.6, 0.5], [0.9, 0.7, 0.75, 0.8])), { epoch: 2, valLoss: 0.7, loss: 0.8 });
  assert.equal(bestEpoch(history([1, 0.8, 0.6], [0.5, 0.5, 0.5]))?.epoch, 1, 'ties: the earliest');
  assert.equal(bestEpoch(history([1, 0.8], [undefined, undefined])), undefined);
  assert.equal(bestEpoch([]), undefined);
  assert.equal(bestEpoch(history([1, 0.8, 0.6], [NaN, 0.7, Infinity]))?.epoch, 2, 'NaN and Infinity are not figures');
  // Out of order (a file can say anything): by epoch, the last entry of an epoch listed twice.
  assert.equal(bestEpoch([{ epoch: 3, loss: 1, valLoss: 0.4 }, { epoch: 1, loss: 1, valLoss: 0.4 }, { epoch: 1, loss: 1, valLoss: 0.6 }])?.epoch, 3);
});

test('rising val_loss for 2 epochs after the best while loss falls: the verdict, with the numbers', () => {
  // The task's example: lowest at epoch 6 (0.412), then loss −18 %, val_loss +12 %.
  const loss = [1.2, 0.9, 0.7, 0.6, 0.55, 0.5, 0.45, 0.41];
  const val = [1.1, 0.8, 0.6, 0.5, 0.45, 0.412, 0.43, 0.412 * 1.12];
  const v = overfitVerdict(history(loss, val));
  assert.ok(v, 'a verdict');
  assert.deepEqual([v.best.epoch, v.last.epoch, v.risenEpochs], [6, 8, 2]);
  assert.equal(v.text, 'val_loss lowest at epoch 6 (0.412); since then loss \u221218 %, val_loss +12 %: the model is overfitting \u2014 dropout, augmentation, fewer parameters or more data help');
  // One epoch of rise is not yet a trend.
  assert.equal(overfitVerdict(history(loss.slice(0, 7), val.slice(0, 7))), undefined);
  // A new best ends it; rising again from the new best for 2 epochs brings it back, from there.
  assert.equal(overfitVerdict(history([...loss, 0.4], [...val, 0.4])), undefined);
  assert.equal(overfitVerdict(history([...loss, 0.4, 0.35, 0.3], [...val, 0.4, 0.45, 0.5]))?.best.epoch, 9);
});

test('flat, noisy or improving validation gives no verdict; the 1 % threshold is relative', () => {
  const falling = [1, 0.9, 0.8, 0.7, 0.6, 0.5];
  // Flat val_loss.
  assert.equal(overfitVerdict(history(falling, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5])), undefined);
  // Noise below 1 % above the best, in both directions.
  assert.equal(overfitVerdict(history(falling, [0.6, 0.5, 0.504, 0.498 + 0.004, 0.5049, 0.503])), undefined);
  // Just above the threshold for the last two epochs: a verdict; just below for one of them: none.
  const at = 0.5 * (1 + OVERFIT_MIN_RISE);
  assert.ok(overfitVerdict(history(falling, [0.6, 0.5, 0.5, 0.5, at * 1.001, at * 1.001])));
  assert.equal(overfitVerdict(history(falling, [0.6, 0.5, 0.5, 0.5, at * 1.001, at])), undefined);
  // The relative threshold works on any scale (an mse of thousands).
  assert.ok(overfitVerdict(history(falling.map((x) => x * 1e4), [6000, 5000, 5200, 5300, 5400, 5500])));
  // Still improving.
  assert.equal(overfitVerdict(history(falling, [0.9, 0.8, 0.7, 0.6, 0.55, 0.5])), undefined);
  // val_loss rises but loss does not fall (by more than 1 %): not overfitting (the learning rate, rather).
  assert.equal(overfitVerdict(history([1, 0.5, 0.5, 0.5, 0.499, 0.498], [0.6, 0.5, 0.55, 0.6, 0.65, 0.7])), undefined);
  assert.equal(overfitVerdict(history([1, 0.5, 0.55, 0.6, 0.65, 0.7], [0.6, 0.5, 0.55, 0.6, 0.65, 0.7])), undefined);
});

test('no validation, NaN and zero: no verdict and no crash', () => {
  assert.equal(overfitVerdict(history([1, 0.8, 0.6, 0.4], [undefined, undefined, undefined, undefined])), undefined);
  assert.equal(overfitVerdict([]), undefined);
  // A NaN val_loss in the latest epochs breaks the run of risen epochs.
  assert.equal(overfitVerdict(history([1, 0.8, 0.6, 0.4], [0.5, 0.4, 0.5, NaN])), undefined);
  assert.equal(overfitVerdict(history([1, 0.8, 0.6, NaN], [0.5, 0.4, 0.5, 0.6])), undefined, 'a diverged loss');
  // A NaN before the best does not matter.
  assert.ok(overfitVerdict(history([1, 0.8, 0.6, 0.4], [NaN, 0.4, 0.5, 0.6])));
  // A val_loss of 0 has no relative rise.
  assert.equal(overfitVerdict(history([1, 0.8, 0.6, 0.4], [0.1, 0, 0.1, 0.2])), undefined);
});

test('figures in the sentence: three significant digits, signed percentages with a true minus', () => {
  assert.deepEqual([0.41234, 0.41, 1.2345, 1234.5, 0.000123456].map(lossFigure), ['0.412', '0.41', '1.23', '1230', '0.000123']);
  assert.deepEqual([-0.18, 0.12, 0.014, -0.0951, 2].map(percentChange), ['\u221218 %', '+12 %', '+1.4 %', '\u22129.5 %', '+200 %']);
});

test('the chart model: the loss chart marks the best epoch; the verdict line under the charts, for a run and for loaded weights', () => {
  const c = new TrainingCurves();
  c.apply(1, 'M', { kind: 'start', epochs: 5, examples: 100, backend: 'wasm', source: 'digits' });
  const epochs = [
    [1, 0.6],
    [0.7, 0.45],
    [0.5, 0.41],
    [0.4, 0.44],
  ];
  epochs.forEach(([loss, valLoss], i) => c.apply(1, 'M', { kind: 'epoch', epoch: i + 1, loss, valLoss, metrics: {}, ms: 1, examples: 1 }));
  assert.deepEqual(bestMarker(c.rows), { x: 3, y: 0.41, label: 'best \u00b7 epoch 3', text: 'Best: val_loss lowest at epoch 3 (0.41), marked on the loss chart.' });
  // The marker sits on a point the loss chart draws: x at epoch 3, y the val_loss series there.
  const [x, , , val] = c.lossSeries();
  assert.equal(val[x.indexOf(3)], 0.41);
  assert.equal(overfitLine(c.rows), undefined, 'one epoch of rise');
  c.apply(1, 'M', { kind: 'epoch', epoch: 5, loss: 0.3, valLoss: 0.47, metrics: {}, ms: 1, examples: 1 });
  assert.equal(overfitLine(c.rows), 'val_loss lowest at epoch 3 (0.41); since then loss \u221240 %, val_loss +15 %: the model is overfitting \u2014 dropout, augmentation, fewer parameters or more data help.');
  // The same from a checkpoint's history (weights loaded into the inspector).
  const loaded = TrainingCurves.fromHistory({ model: 'M', epoch: 5, from: '.nnmodel/m/M', history: c.rows.map((r) => ({ ...r, epochs: 5 })) });
  assert.equal(bestMarker(loaded.rows)?.x, 3);
  assert.equal(overfitLine(loaded.rows), overfitLine(c.rows));
  // Without validation (a GAN, validation: 0): no marker, no line.
  const gan = new TrainingCurves();
  gan.apply(1, 'G', { kind: 'epoch', epoch: 1, loss: 1, metrics: { d_loss: 1.3 }, ms: 1, examples: 1 });
  assert.equal(bestMarker(gan.rows), undefined);
  assert.equal(overfitLine(gan.rows), undefined);
  // The marker is drawn in val_loss's colour, dotted (not the validation dash), labelled in the theme's foreground.
  const valStyle = lossChartStyles([], new Set(['loss']))[2];
  assert.equal(valStyle.label, 'val_loss');
  assert.deepEqual(BEST_MARKER.color, valStyle.color);
  assert.notDeepEqual(BEST_MARKER.dash, valStyle.dash);
  assert.equal(BEST_MARKER.label.cssVar, '--vscode-foreground');
});

test('a continued run: the best epoch and the verdict count the checkpoint\'s epochs before it, as best.json, the CLI and the output channel do', () => {
  // Epochs 1–4 trained earlier (lowest val_loss at epoch 2); this page's run continues from epoch 4.
  const before = [
    { epoch: 1, epochs: 4, loss: 1, valLoss: 0.6, metrics: {}, examples: 10, ms: 1 },
    { epoch: 2, epochs: 4, loss: 0.7, valLoss: 0.41, metrics: {}, examples: 10, ms: 1 },
    { epoch: 3, epochs: 4, loss: 0.5, valLoss: 0.44, metrics: {}, examples: 10, ms: 1 },
    { epoch: 4, epochs: 4, loss: 0.45, valLoss: 0.46, metrics: {}, examples: 10, ms: 1 },
  ];
  const c = new TrainingCurves();
  c.apply(1, 'M', { kind: 'start', epochs: 6, examples: 10, backend: 'wasm', source: 'digits', resumedFrom: 4, history: before });
  c.apply(1, 'M', { kind: 'epoch', epoch: 5, loss: 0.4, valLoss: 0.43, metrics: {}, ms: 1, examples: 10 });
  c.apply(1, 'M', { kind: 'epoch', epoch: 6, loss: 0.35, valLoss: 0.45, metrics: {}, ms: 1, examples: 10 });
  // The table lists this run's epochs; the loss chart and the findings read every epoch of the training.
  assert.deepEqual(c.rows.map((r) => r.epoch), [5, 6]);
  assert.deepEqual(c.figures().map((r) => r.epoch), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(c.lossSeries()[0], [1, 2, 3, 4, 5, 6]);
  const whole = [...before, { epoch: 5, loss: 0.4, valLoss: 0.43 }, { epoch: 6, loss: 0.35, valLoss: 0.45 }];
  const marker = bestMarker(c.figures());
  assert.equal(marker?.x, bestEpoch(whole)?.epoch, 'the epoch best.json holds, not the lowest of this run (epoch 5)');
  // Marked where the chart draws its val_loss, as for a fresh run.
  assert.equal(marker?.text, 'Best: val_loss lowest at epoch 2 (0.41), marked on the loss chart.');
  assert.equal(c.lossSeries()[3][c.lossSeries()[0].indexOf(marker!.x)], marker?.y);
  assert.equal(overfitLine(c.figures()), `${overfitVerdict(whole)?.text}.`);
  assert.match(overfitLine(c.figures()) ?? '', /lowest at epoch 2 .*overfitting/);
  // A new run (not continued) forgets them.
  c.apply(2, 'M', { kind: 'start', epochs: 1, examples: 10, backend: 'wasm', source: 'digits' });
  assert.deepEqual(c.figures(), []);
  // The history comes over the wire: a malformed one is refused with the event.
  const ok = { type: 'trainEvent', uri: 'file:///m.nnmodel', version: 1, run: 1, model: 'M' };
  const start = { kind: 'start', epochs: 6, examples: 10, backend: 'wasm', source: 'digits', resumedFrom: 4 };
  assert.ok(parseWebviewMessage({ ...ok, event: { ...start, history: before } }));
  assert.equal(parseWebviewMessage({ ...ok, event: { ...start, history: [{ epoch: 'x', loss: 1 }] } }), undefined);
  assert.equal(parseWebviewMessage({ ...ok, event: { ...start, history: 'no' } }), undefined);
});

test('a continued run before its first epoch ends: the best epoch of the checkpoint, marked on the chart', () => {
  const c = new TrainingCurves();
  const before = [
    { epoch: 1, loss: 1, valLoss: 0.6 },
    { epoch: 2, loss: 0.7, valLoss: 0.5 },
  ];
  c.apply(1, 'M', { kind: 'start', epochs: 4, examples: 10, backend: 'wasm', source: 'digits', resumedFrom: 2, history: before });
  c.apply(1, 'M', { kind: 'batch', epoch: 3, batch: 1, batches: 4, loss: 0.6 });
  assert.equal(bestMarker(c.figures())?.text, 'Best: val_loss lowest at epoch 2 (0.5), marked on the loss chart.');
  assert.deepEqual(c.lossSeries()[3], [0.6, 0.5, null]);
});

test('a large relative change groups its digits', () => {
  assert.equal(percentChange(2265.37), '+226,537 %');
  assert.equal(percentChange(-0.18), '\u221218 %');
  assert.equal(percentChange(0.014), '+1.4 %');
});

test('a change that is not total never reads as ±100 %: the digits that tell it apart', () => {
  // QA: loss 0.0402 → 0.0001 read "since then loss −100 %".
  assert.equal(percentChange((0.0001 - 0.0402) / 0.0402), '\u221299.8 %');
  assert.equal(percentChange(-0.99996), '\u221299.996 %');
  assert.equal(percentChange(0.9996), '+99.96 %');
  assert.equal(percentChange(1.0004), '+100.04 %');
  assert.equal(percentChange(-1), '\u2212100 %');
  assert.equal(percentChange(1), '+100 %');
  const v = overfitVerdict([
    { epoch: 1, loss: 0.0402, valLoss: 0.1 },
    { epoch: 2, loss: 0.001, valLoss: 0.2 },
    { epoch: 3, loss: 0.0001, valLoss: 0.3 },
  ]);
  assert.match(v?.text ?? '', /since then loss \u221299\.8 %/);
});

test('an exploding training loss is an unstable run, not overfitting: the verdict says so, with the jump', () => {
  // QA: sgd(lr = 10) on a small CSV; val_loss was lowest at epoch 2 by chance while the training loss exploded.
  const loss = [358467.86, 143106929845.4, 80411153.8, 0.9279, 1.3565, 1.4042];
  const val = [111874781.87, 0.0166, 2.6473, 2.5277, 0.6172, 1.2277];
  const v = overfitVerdict(history(loss, val));
  assert.ok(v, 'a verdict');
  assert.equal(v.kind, 'unstable');
  assert.deepEqual([v.jump?.from.epoch, v.jump?.to.epoch], [1, 2]);
  assert.equal(v.text, 'loss jumped from 358000 at epoch 1 to 1.43e+11 at epoch 2: training is unstable, not overfitting (its lowest val_loss is chance) \u2014 lower the learning rate');
  assert.ok(!v.text.includes('overfitting \u2014'), 'not called overfitting');
  // A jump after the best epoch (the loss explodes while val_loss rises) is the same finding.
  const after = overfitVerdict(history([1, 0.8, 0.6, 9, 0.5, 0.4], [0.9, 0.7, 0.5, 0.8, 0.9, 1.0]));
  assert.equal(after?.kind, 'unstable');
  assert.deepEqual([after?.jump?.from.epoch, after?.jump?.to.epoch], [3, 4]);
});

test('an early jump the run recovered from before its best epoch leaves a later overfitting verdict as it is', () => {
  const loss = [1, 20, 0.9, 0.7, 0.5, 0.4, 0.3];
  const val = [0.9, 5, 0.8, 0.6, 0.5, 0.6, 0.7];
  const v = overfitVerdict(history(loss, val));
  assert.equal(v?.kind, 'overfitting');
  assert.equal(v?.best.epoch, 5);
  assert.match(v!.text, /the model is overfitting/);
  // A rise under ×10 is not a jump.
  assert.equal(overfitVerdict(history([1, 0.8, 0.6, 5.9, 0.5, 0.4], [0.9, 0.7, 0.5, 0.8, 0.9, 1.0]))?.kind, 'overfitting');
});

test('a val_loss fitted down to float noise (1e-4 of the first epoch\'s and below) gives no verdict, however it moves', () => {
  // QA: a regression fitted exactly; val_loss rose from 8e-9 by 3.5 % while loss fell.
  const loss = [0.5, 1e-3, 1e-6, 1e-8, 5e-9, 4e-9];
  const val = [0.7, 1e-3, 1e-6, 8e-9, 8.28e-9, 8.3e-9];
  assert.equal(overfitVerdict(history(loss, val)), undefined);
  // The same curve at a scale the first epoch's val_loss does not dwarf is a verdict.
  assert.equal(overfitVerdict(history(loss, [1e-8, 9e-9, 8.5e-9, 8e-9, 8.28e-9, 8.3e-9]))?.kind, 'overfitting');
});

test('float noise needs a latest val_loss below both 1e-6 and 1e-4 of the first epoch\'s: an unscaled regression, small units or a blow-up from noise are still told', () => {
  // Targets in the thousands, not standardised: val_loss starts at 1e6 and reaches 50 (5e-5 of it), then rises while loss falls.
  const big = overfitVerdict(history([2e6, 1e4, 200, 40, 30, 25], [1e6, 1e4, 300, 50, 55, 60]));
  assert.equal(big?.kind, 'overfitting');
  assert.match(big.text, /^val_loss lowest at epoch 4 \(50\); since then loss −38 %, val_loss \+20 %/);
  // Targets in small units: 1.5e-9 is below the floor but 0.15 of the first epoch's, a real fit.
  assert.equal(overfitVerdict(history([2e-8, 5e-9, 2e-9, 1e-9, 8e-10], [1e-8, 3e-9, 1e-9, 1.3e-9, 1.5e-9]))?.kind, 'overfitting');
  // A run that blows up from a noise-level best is not noise: still unstable.
  assert.equal(overfitVerdict(history([0.5, 1e-9, 1e-10, 5e3, 5e-11], [0.7, 8e-9, 7e-9, 1e3, 9e2]))?.kind, 'unstable');
  // At noise level a tenfold "jump" of the training loss (1e-10 to 2e-9) is no unstable verdict either.
  assert.equal(overfitVerdict(history([0.5, 1e-6, 1e-10, 2e-9, 5e-11], [0.7, 1e-6, 8e-9, 8.2e-9, 8.3e-9])), undefined);
});
