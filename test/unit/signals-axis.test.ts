// The layer axis of the Training tab's "Signal & gradients" charts (webview/training/signalsModel.ts
// layerAxisSpace): uPlot names every layer only while the names fit between the ticks, else every 2nd, 5th, …;
// ten `dense_N` names in a 650 px panel ran into each other (`dense_9dense_10`) with a fixed 44 px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AXIS_LABEL_GAP, layerAxisSpace } from '../../webview/training/signalsModel';

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
