// The legend and the updates of the Training tab's "Signal & gradients" charts (webview/training/signalsModel.ts):
// after 10 epochs the legend listed nine identical faint "epoch N" entries (one per earlier epoch, drawn alike), and
// each epoch rebuilt both charts (losing the cursor and a zoom). Now: one named entry per kind of line, and an epoch
// that only renames entries once the lines are all there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineChanges, MAX_SIGNAL_LINES, SignalsHistory, type SignalLine } from '../../webview/training/signalsModel';
import type { SignalsReport } from '../../extension/core/runtime/signals';

const rep = (epoch: number): SignalsReport => ({ epoch, examples: 32, layers: [1, 2].map((i) => ({ name: `dense_${i}`, label: 'dense(4)', line: i, activation: 0.5, gradient: 1e-3 * i })) });

/** The legend as the chart lists it: the entries of the lines that have one, in order. */
const legend = (lines: readonly SignalLine[]) => lines.filter((l) => l.legend !== undefined).map((l) => l.legend);

/** Whether two lines look alike on the chart (colour, width, dash, opacity, points). */
const look = (l: SignalLine) => JSON.stringify([l.style.color, l.style.width, l.style.dash, l.style.alpha, l.style.points]);

test('the legend has one named entry per kind of line: initial, the earlier epochs (one entry), the latest', () => {
  const h = new SignalsHistory();
  h.apply(1, 'M', { kind: 'signals', report: rep(0) });
  assert.deepEqual(legend(h.lines()), ['initial']);
  h.apply(1, 'M', { kind: 'signals', report: rep(1) });
  assert.deepEqual(legend(h.lines()), ['initial', 'epoch 1']);
  h.apply(1, 'M', { kind: 'signals', report: rep(2) });
  assert.deepEqual(legend(h.lines()), ['initial', 'epoch 1', 'epoch 2']);
  for (let e = 3; e <= 10; e++) h.apply(1, 'M', { kind: 'signals', report: rep(e) });
  const lines = h.lines();
  assert.equal(lines.length, 1 + MAX_SIGNAL_LINES, 'every line is drawn');
  assert.deepEqual(legend(lines), ['initial', 'epochs 1–9', 'epoch 10']);
  // No two entries alike: no name twice, and the lines an entry stands for all look as it does.
  const entries = legend(lines);
  assert.equal(new Set(entries).size, entries.length);
  const looks = lines.filter((l) => l.legend !== undefined).map(look);
  assert.equal(new Set(looks).size, looks.length, 'each entry a different look');
  lines.forEach((l, i) => {
    if (l.legend === undefined) assert.equal(look(l), look(lines[i - 1]), `line ${i} looks as the entry that lists it`);
  });
  // A run continued from a checkpoint has no initial line.
  const resumed = new SignalsHistory();
  for (const e of [3, 4, 5]) resumed.apply(2, 'M', { kind: 'signals', report: rep(e) });
  assert.deepEqual(legend(resumed.lines()), ['epochs 3–4', 'epoch 5']);
});

test('an epoch updates the chart in place: after the first epochs it only renames legend entries', () => {
  const h = new SignalsHistory();
  h.apply(1, 'M', { kind: 'signals', report: rep(0) });
  const steps: { lines: SignalLine[] }[] = [{ lines: h.lines() }];
  for (let e = 1; e <= 14; e++) {
    h.apply(1, 'M', { kind: 'signals', report: rep(e) });
    steps.push({ lines: h.lines() });
  }
  const change = (e: number) => lineChanges(steps[e - 1].lines, steps[e].lines);
  // Epoch 1: the initial line is no longer the latest (thinner): replaced; the latest is added after it.
  assert.deepEqual(change(1), { replace: [0], rename: [] });
  // Epoch 2: epoch 1's line becomes the earlier epochs' entry (restyled), epoch 2's is added.
  assert.deepEqual(change(2), { replace: [1], rename: [] });
  // Epoch 3: the earlier entry is renamed, the old latest becomes an unlisted earlier line.
  assert.deepEqual(change(3), { replace: [2], rename: [1] });
  // All lines there (the initial one and the latest 10): an epoch renames the two entries that name epochs, nothing more.
  for (const e of [11, 12, 13, 14]) assert.deepEqual(change(e), { replace: [], rename: [1, 10] }, `epoch ${e}`);
  assert.deepEqual(legend(steps[14].lines), ['initial', 'epochs 5–13', 'epoch 14']);
});

test('the chart says which measurements it does not draw: epochs beyond the latest 10, and a continued run\'s earlier ones', () => {
  // QA: "initial, epochs 3–11, epoch 12" while the caption says "at the end of each epoch", epochs 1–2 silently gone.
  const h = new SignalsHistory();
  for (let e = 0; e <= 10; e++) h.apply(1, 'M', { kind: 'signals', report: rep(e) });
  assert.equal(h.missing(), '', 'all drawn');
  for (const e of [11, 12]) h.apply(1, 'M', { kind: 'signals', report: rep(e) });
  assert.deepEqual(legend(h.lines()), ['initial', 'epochs 3–11', 'epoch 12']);
  assert.equal(h.missing(), `Epochs 1–2 not drawn (the chart keeps the latest ${MAX_SIGNAL_LINES} epochs).`);
  // A run continued from a checkpoint another run wrote: its initial line and earlier epochs are not here, said so.
  const start = { kind: 'start' as const, epochs: 5, examples: 100, backend: 'wasm', source: 'digits', resumedFrom: 2, history: [{ epoch: 1, loss: 2 }, { epoch: 2, loss: 1 }] };
  const resumed = new SignalsHistory();
  resumed.apply(2, 'M', start);
  for (const e of [3, 4, 5]) resumed.apply(2, 'M', { kind: 'signals', report: rep(e) });
  assert.deepEqual(legend(resumed.lines()), ['epochs 3–4', 'epoch 5']);
  assert.equal(resumed.missing(), 'Continued from the checkpoint of epoch 2: the initial weights and epochs 1–2 were measured by the run that trained it, and a checkpoint does not keep them.');
});

test("a run continuing the checkpoint of this page's previous run keeps that run's measurements: the initial line stays", async () => {
  const { sameTraining, TrainingCurves } = await import('../../webview/training/curves');
  const curves = new TrainingCurves();
  const h = new SignalsHistory();
  curves.apply(1, 'M', { kind: 'start', epochs: 2, examples: 100, backend: 'wasm', source: 'digits' });
  h.apply(1, 'M', { kind: 'start', epochs: 2, examples: 100, backend: 'wasm', source: 'digits' });
  h.apply(1, 'M', { kind: 'signals', report: rep(0) });
  for (const [epoch, loss] of [[1, 2], [2, 1]]) {
    curves.apply(1, 'M', { kind: 'epoch', epoch, loss, metrics: {}, valLoss: loss + 0.5, valMetrics: {}, ms: 10, examples: 90 });
    h.apply(1, 'M', { kind: 'signals', report: rep(epoch) });
  }
  const checkpoint = [{ epoch: 1, loss: 2, valLoss: 2.5 }, { epoch: 2, loss: 1, valLoss: 1.5 }];
  // The checkpoint is this run's: same epochs, same figures. Another checkpoint of epoch 2 (retrained elsewhere) is not.
  assert.equal(sameTraining(curves.figures(), checkpoint, 2), true);
  assert.equal(sameTraining(curves.figures(), [checkpoint[0], { ...checkpoint[1], loss: 0.9 }], 2), false);
  assert.equal(sameTraining(curves.figures(), checkpoint.slice(0, 1), 1), true, 'the weights of epoch 1 of this run');
  assert.equal(sameTraining(curves.figures(), checkpoint, 3), false, 'an epoch this run did not train');
  assert.equal(sameTraining(curves.figures(), [], 2), false);
  const start = { kind: 'start' as const, epochs: 4, examples: 100, backend: 'wasm', source: 'digits', resumedFrom: 2, history: checkpoint };
  h.apply(2, 'M', start, true);
  for (const e of [3, 4]) h.apply(2, 'M', { kind: 'signals', report: rep(e) });
  assert.deepEqual(h.reports.map((r) => r.epoch), [0, 1, 2, 3, 4]);
  assert.deepEqual(legend(h.lines()), ['initial', 'epochs 1–3', 'epoch 4']);
  assert.equal(h.missing(), '');
  // Not this run's checkpoint, or another model: afresh.
  const other = new SignalsHistory();
  other.apply(1, 'M', { kind: 'signals', report: rep(0) });
  other.apply(2, 'N', start, true);
  assert.deepEqual(other.reports, []);
  other.apply(3, 'N', { kind: 'signals', report: rep(1) });
  other.apply(4, 'N', start, false);
  assert.deepEqual(other.reports, []);
  // The weights of epoch 1 of the run shown: its measurements up to them, the history itself untouched.
  assert.deepEqual(h.until(1).reports.map((r) => r.epoch), [0, 1]);
  assert.equal(h.reports.length, 5);
});
