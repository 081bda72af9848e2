// The layer axis of the Training tab's "Signal & gradients" charts (webview/training/signalsModel.ts
// layerAxisSpace): uPlot names every layer only while the names fit between the ticks, else every 2nd, 5th, …;
// ten `dense_N` names in a 650 px panel ran into each other (`dense_9dense_10`) with a fixed 44 px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AXIS_LABEL_GAP, LOG_GRID_SPACE, LOG_LABEL_SPACE, layerAxisSpace, logAxisTicks } from '../../webview/training/signalsModel';

/** The increments the chart offers uPlot (signals.ts). */
const INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
/** What uPlot does with `space`: the first increment whose ticks are at least `space` px apart. */
const chosenIncr = (pxPerLayer: number, space: number) => INCRS.find((i) => i * pxPerLayer >= space) ?? INCRS[INCRS.length - 1];
/** 12 px DejaVu Sans (Debian's system-ui) is about 7.7 px a character for these names. */
const width = (s: string) => s.length * 7.7;

/** The least room between two neighbouring names drawn at increment `incr`, centred on their ticks. */
function leastRoom(names: string[], pxPerLayer: number, incr: number): number {
  let least = Infinity;
  for (let i = 0; i + incr < names.length; i += incr) {
    least = Math.min(least, incr * pxPerLayer - (width(names[i]) + width(names[i + incr])) / 2);
  }
  return least;
}

test('ten dense_N layers in a 525 px plot: the names drawn never touch', () => {
  const names = Array.from({ length: 10 }, (_, i) => `dense_${i + 1}`);
  // examples/deep_signals.nnmodel's PlainDeep: the x range is −0.3 … 9.3 over 525 px.
  const pxPerLayer = 525 / 9.6;
  const space = layerAxisSpace(names, width);
  assert.equal(space, Math.ceil(width('dense_10')) + AXIS_LABEL_GAP);
  const incr = chosenIncr(pxPerLayer, space);
  assert.ok(leastRoom(names, pxPerLayer, incr) >= AXIS_LABEL_GAP / 2, `every ${incr}: ${leastRoom(names, pxPerLayer, incr).toFixed(1)} px between names`);
  // With the fixed 44 px every name was drawn and dense_9 ran into dense_10.
  assert.ok(leastRoom(names, pxPerLayer, chosenIncr(pxPerLayer, 44)) < 0);
});

test('short names keep the 44 px minimum: three dense layers are all named', () => {
  const names = ['dense_1', 'dense_2', 'dense_3'];
  assert.equal(layerAxisSpace(['a', 'b'], width), 44);
  assert.equal(chosenIncr(500 / 2.6, layerAxisSpace(names, width)), 1);
  assert.equal(layerAxisSpace([], width), 44);
});

test('a two-line layer name (the call over its line) takes the room of its wider line', () => {
  assert.equal(layerAxisSpace(['dense(64)\nline 27, 2/8', 'dense(10)\nline 39'], width), Math.ceil(width('line 27, 2/8')) + AXIS_LABEL_GAP);
  // Measured whole, the two lines would count as one line of both: too wide.
  assert.ok(layerAxisSpace(['dense(64)\nline 27, 2/8'], width) < width('dense(64)\nline 27, 2/8'));
});

// The RMS axis (log) of the same charts (signalsModel.ts logAxisTicks): uPlot's own log filter named every decade
// of a 7-decade gradient range in the 180 px panel (its skip counted every 1…9 tick, so skipping every 3rd kept each
// decade), the labels running into each other; the axis names as many decades as fit.

/** Px between the ticks `a` and `b` of a log axis from `min` to `max` over `px`. */
const apart = (a: number, b: number, min: number, max: number, px: number) => (px * Math.abs(Math.log10(b) - Math.log10(a))) / (Math.log10(max) - Math.log10(min));
const exponents = (vs: number[]) => vs.map((v) => Math.round(Math.log10(v)));

test('a plain deep model\'s gradients in a short panel: every 2nd decade named, a grid line at each', () => {
  // PlainDeep at initialisation: about 2e-8 … 3e-2 (uPlot rounds the range to the first digit), over the ~100 px of the 180 px panel.
  const [min, max, px] = [2e-8, 3e-2, 100];
  const { splits, labels } = logAxisTicks(min, max, px);
  assert.deepEqual(exponents(labels), [-6, -4, -2]);
  assert.deepEqual(exponents(splits), [-7, -6, -5, -4, -3, -2]);
  for (let i = 1; i < labels.length; i++) assert.ok(apart(labels[i - 1], labels[i], min, max, px) >= LOG_LABEL_SPACE);
  // Exact values, as the axis prints them (1e-6, not 9.999999999999999e-7).
  assert.deepEqual(labels, [1e-6, 1e-4, 1e-2]);
  // Twice as tall: every decade.
  assert.deepEqual(exponents(logAxisTicks(min, max, 200).labels), [-7, -6, -5, -4, -3, -2]);
});

test('wider ranges: every 3rd, 5th, 10th decade, on round exponents, the grid as dense as stays readable', () => {
  // 10 px a decade: every 3rd (1e-9, 1e-6, 1e-3), a grid line at each decade.
  const third = logAxisTicks(1e-10, 1e0, 100);
  assert.deepEqual(exponents(third.labels), [-9, -6, -3, 0]);
  assert.equal(third.splits.length, 11);
  // 3.3 px a decade: every 10th named, a grid line every 5th (a step that holds the labels).
  const tenth = logAxisTicks(1e-30, 1e0, 100);
  assert.deepEqual(exponents(tenth.labels), [-30, -20, -10, 0]);
  assert.deepEqual(exponents(tenth.splits), [-30, -25, -20, -15, -10, -5, 0]);
});

test('a narrow range (activations within a decade): 1-2-5 or every digit, as uPlot draws them', () => {
  assert.deepEqual(logAxisTicks(0.2, 0.9, 100).labels, [0.2, 0.5]);
  assert.deepEqual(logAxisTicks(0.2, 0.9, 100).splits, [0.2, 0.5]);
  // 9 → 10 is the closest pair: 700 px × log10(10/9) = 32 px.
  assert.deepEqual(logAxisTicks(0.1, 1, 700).labels, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  // 200 px a decade: 1-2-5 named, every digit a grid line (9 px from 9 to 10).
  const mid = logAxisTicks(0.01, 1, 400);
  assert.deepEqual(mid.labels, [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1]);
  assert.equal(mid.splits.length, 19);
});

test('a range between two named decades still names one; nothing for an empty or invalid range', () => {
  // 8.3 px a decade names every 5th (1e-10, 1e-5), neither in 2e-9 … 8e-6: its decade nearest the middle.
  assert.deepEqual(logAxisTicks(2e-9, 8e-6, 30).labels, [1e-7]);
  for (const [min, max] of [[0, 1], [-1, 1], [1, 1], [2, 1], [1e-3, Infinity], [NaN, 1]]) assert.deepEqual(logAxisTicks(min, max, 100), { splits: [], labels: [] });
  assert.deepEqual(logAxisTicks(1e-3, 1, 0), { splits: [], labels: [] });
});

test('any range and height: labels at least LOG_LABEL_SPACE apart, on grid lines at least LOG_GRID_SPACE apart', () => {
  for (const px of [40, 60, 100, 140, 300, 800]) {
    for (let lo = -40; lo <= 0; lo += 3) {
      for (const span of [0.3, 1, 2.5, 4, 7, 12, 25, 40]) {
        const [min, max] = [Number(`3e${lo}`), Number(`3e${lo}`) * 10 ** span];
        const { splits, labels } = logAxisTicks(min, max, px);
        const at = `${min} … ${max} over ${px} px`;
        // A range of a decade or more always holds a power of ten to name.
        assert.ok(labels.length >= 1 || span < 1, `${at}: no label`);
        for (const v of labels) assert.ok(splits.includes(v) && v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9), `${at}: ${v}`);
        for (let i = 1; i < labels.length; i++) assert.ok(apart(labels[i - 1], labels[i], min, max, px) >= LOG_LABEL_SPACE - 1e-9, `${at}: ${labels[i - 1]}, ${labels[i]}`);
        for (let i = 1; i < splits.length; i++) assert.ok(splits[i] > splits[i - 1] && apart(splits[i - 1], splits[i], min, max, px) >= LOG_GRID_SPACE - 1e-9, `${at}: grid ${splits[i - 1]}, ${splits[i]}`);
      }
    }
  }
});
