import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { encodeSampleStrip } from '../../extension/cli/samplesPng';

test('a sample strip becomes a PNG grid: images scaled up, grey and colour, values clamped', () => {
  // Two 2×2 grey images: the first black with one white pixel, the second a ramp with out-of-range values.
  const grey = encodeSampleStrip({ kind: 'generated', epoch: 1, shape: [2, 2, 1], count: 2, pixels: Float32Array.from([0, 1, 0, 0, -3, 0.5, 0.25, 7]) });
  const g = PNG.sync.read(grey);
  const scale = 32; // floor(64 / 2)
  assert.equal(g.width, 2 * 2 * scale + 3 * 2);
  assert.equal(g.height, 2 * scale + 2 * 2);
  const at = (png: PNG, x: number, y: number) => Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4));
  assert.deepEqual(at(g, 0, 0), [128, 128, 128, 255], 'the gap is grey');
  assert.deepEqual(at(g, 2 + scale + 3, 2 + 3), [255, 255, 255, 255], 'first image, pixel (0, 1): white');
  assert.deepEqual(at(g, 2 + 3, 2 + 3), [0, 0, 0, 255], 'first image, pixel (0, 0): black');
  const second = 2 + 2 * scale + 2;
  assert.deepEqual(at(g, second + 1, 2 + 1), [0, 0, 0, 255], '-3 clamps to black');
  assert.deepEqual(at(g, second + scale + 1, 2 + scale + 1), [255, 255, 255, 255], '7 clamps to white');
  assert.deepEqual(at(g, second + scale + 1, 2 + 1), [128, 128, 128, 255].map((v, i) => (i < 3 ? 128 : v)), '0.5 is mid grey');

  // Ten colour images of 28×28: rows of eight, scaled by 2.
  const pixels = new Float32Array(10 * 28 * 28 * 3);
  for (let n = 0; n < 10; n++) for (let p = 0; p < 28 * 28; p++) pixels[(n * 28 * 28 + p) * 3] = 1; // red
  const c = PNG.sync.read(encodeSampleStrip({ kind: 'generated', epoch: 2, shape: [28, 28, 3], count: 10, pixels }));
  assert.equal(c.width, 8 * 56 + 9 * 2);
  assert.equal(c.height, 2 * 56 + 3 * 2);
  assert.deepEqual(at(c, 2 + 10, 2 + 56 + 2 + 10), [255, 0, 0, 255], 'the ninth image starts the second row');

  assert.throws(() => encodeSampleStrip({ kind: 'generated', epoch: 1, shape: [2, 2, 1], count: 2, pixels: new Float32Array(3) }), /has 3 values/);
  assert.throws(() => encodeSampleStrip({ kind: 'generated', epoch: 1, shape: [2, 2, 2], count: 1, pixels: new Float32Array(8) }), /1 or 3 channels/);
});
