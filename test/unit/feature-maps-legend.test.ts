// What a feature map's colour means: each layer's legend says how its maps
// were normalised (each over its own range, or one scale for the layer),
// the values at the ends of the ramp and where 0 is, and the layer's size
// (maps, H × W, channels); the maps are coloured over the range it says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colourRange, layerRange, mapLegend, mapSizeText, type MapExtent } from '../../webview/views/featureMapsModel';

const grid = (min: number[], max: number[], h = 28, w = 28): MapExtent => ({ kind: 'grid', height: h, width: w, channels: min.length, min: Float32Array.from(min), max: Float32Array.from(max) });

test('per map (the default), the legend says each map is scaled to its own min and max, and the layer’s range', () => {
  const map = grid([-0.5, 0, 0.25], [1.5, 0.75, 0.5]);
  const l = mapLegend(map, 'map');
  assert.equal(l.perMap, true);
  assert.deepEqual(l.ends, ['min', 'max']);
  assert.equal(l.zeroAt, undefined);
  assert.equal(l.text, 'each map scaled to its own range: darkest = its min, yellow = its max · layer −0.500 … 1.500');
  assert.match(l.said, /^Colour scale: each map scaled to its own range.*Hover a map for its range\.$/);
  // Each map is coloured over its own range.
  assert.deepEqual(colourRange(map, 1, 'map'), [0, 0.75]);
  // A strip's channels are rows.
  assert.match(mapLegend({ ...map, kind: 'strip' }, 'map').text, /^each row scaled to its own range/);
});

test('one scale per layer: the ends are the layer’s min and max, 0 is placed on the ramp, and every map is coloured over that range', () => {
  const map = grid([-0.5, 0, 0.25], [1.5, 0.75, 0.5]);
  assert.deepEqual(layerRange(map), [-0.5, 1.5]);
  for (let c = 0; c < 3; c++) assert.deepEqual(colourRange(map, c, 'layer'), [-0.5, 1.5]);
  const l = mapLegend(map, 'layer');
  assert.equal(l.perMap, false);
  assert.deepEqual(l.ends, ['−0.500', '1.500']);
  assert.equal(l.zeroAt, 0.25);
  assert.equal(l.text, 'one scale for the layer: darkest = −0.5, yellow = 1.5, the tick marks 0');
});

test('a ReLU layer on one scale: darkest is 0; a layer all above 0 says 0 is outside its range; a flat one says it is flat', () => {
  const relu = mapLegend(grid([0, 0], [2, 3]), 'layer');
  assert.equal(relu.zeroAt, 0);
  assert.equal(relu.text, 'one scale for the layer: darkest = 0, yellow = 3');
  const positive = mapLegend(grid([0.5], [0.9]), 'map');
  assert.equal(positive.perMap, false, 'one map: its own range is the layer’s');
  assert.equal(positive.text, 'scaled to its range: darkest = 0.5, yellow = 0.9 (0 is outside it)');
  const flat = mapLegend(grid([0, 0], [0, 0]), 'layer');
  assert.equal(flat.text, 'every value is 0: a flat map');
  const units = mapLegend({ kind: 'units', height: 1, width: 10, channels: 1, min: [-1], max: [1] }, 'map');
  assert.equal(units.text, 'one scale for the units: darkest = −1, yellow = 1, the tick marks 0');
});

test('the size of a layer: maps of H × W with their channels, strips as channels × steps, units', () => {
  assert.equal(mapSizeText(grid([0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1], 14, 14)), '6 maps of 14 × 14 (H × W), channels 0–5 in reading order');
  assert.equal(mapSizeText(grid([0], [1], 5, 7)), '1 map of 5 × 7 (H × W)');
  assert.equal(mapSizeText({ kind: 'strip', height: 1, width: 32, channels: 16 }), '16 channels (rows) × 32 steps (columns)');
  assert.equal(mapSizeText({ kind: 'units', height: 1, width: 1352, channels: 1 }), '1,352 units');
});
