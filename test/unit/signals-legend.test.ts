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
