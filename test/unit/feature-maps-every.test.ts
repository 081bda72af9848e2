// "Show every layer" in the Feature maps view: which layers are drawn with the option off and on
// (webview/probes/featureMaps.ts), all of them read from one forward pass; the zero share of ReLU
// outputs and the layout of `[n]` outputs' cell strips (webview/views/featureMapsModel.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildActivationModel, buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import { featureMapLayers, featureMaps, isReluFamily } from '../../webview/probes/featureMaps';
import { UNIT_LIMIT, unitAt, unitStripLayout, zeroCaption, zeroStats } from '../../webview/views/featureMapsModel';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

function build(text: string): BuiltModel {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`), []);
  return buildModel(tf, a.models[0], { seed: 1 });
}

function disposeModel(built: BuiltModel): void {
  for (const layer of new Set(built.layerOf.values())) layer.dispose();
}

/** A residual conv block, a concat, then dense layers (one with relu built in) and a token branch. */
const NET = `block res(f) {
  input x
  y = x -> conv2d(f, 3, padding = same) -> batchnorm -> relu
  output (x + y) -> relu
}
model Net {
  input image: [8, 8, 2]
  input ids: int[5]
  a = image -> res(2)
  b = image -> dropout(0.5)
  t = ids -> embedding(10, 4) -> layernorm -> gelu
  output concat(a, b) -> maxpool(2) -> flatten -> dense(6, activation = relu) -> dense(3) -> softmax
  output t
}`;

test('option off: only convolution and pooling grids and sequence strips, as before; on: every float layer output, in graph order', () => {
  const built = build(NET);
  const off = featureMapLayers(built).map((l) => `${l.node.op}:${l.kind}`);
  assert.deepEqual(off, ['conv2d:grid', 'embedding:strip', 'maxpool:grid']);
  const on = featureMapLayers(built, { every: true });
  assert.deepEqual(
    on.map((l) => `${l.node.op}:${l.kind}`),
    [
      'conv2d:grid',
      'batchnorm:grid',
      'relu:grid',
      'add:grid',
      'relu:grid',
      'dropout:grid',
      'embedding:strip',
      'layernorm:strip',
      'gelu:strip',
      'concat:grid',
      'maxpool:grid',
      'flatten:units',
      'dense:units',
      'dense:units',
      'softmax:units',
    ],
  );
  // Graph (topological) order is the builder's: every path in the order of layerPaths.
  const order = on.map((l) => built.layerPaths.indexOf(l.path));
  assert.deepEqual(order, [...order].sort((x, y) => x - y));
  // Each default layer is drawn with the option on too.
  for (const l of featureMapLayers(built)) assert.ok(on.some((o) => o.path === l.path), `${l.node.op} kept`);
  // ReLU-family: the relu layers and dense(6, activation = relu); not gelu, softmax nor the plain dense.
  assert.deepEqual(on.filter((l) => l.relu).map((l) => l.node.label), ['relu', 'relu', 'dense(6, activation = relu)']);
  disposeModel(built);
});

test('isReluFamily: relu and relu6, and layers that apply one; not leaky_relu, gelu, or no activation', () => {
  assert.equal(isReluFamily({ op: 'relu', args: {} }), true);
  assert.equal(isReluFamily({ op: 'relu6', args: {} }), true);
  assert.equal(isReluFamily({ op: 'conv2d', args: { activation: 'relu' } }), true);
  assert.equal(isReluFamily({ op: 'dense', args: { activation: 'none' } }), false);
  assert.equal(isReluFamily({ op: 'leaky_relu', args: { alpha: 0.2 } }), false);
  assert.equal(isReluFamily({ op: 'gelu', args: {} }), false);
});

test('every layer is read from one forward pass of the activation model, with no tensor left behind', () => {
  const built = build(NET);
  const source = buildActivationModel(tf, built);
  const layers = featureMapLayers(built, { every: true });
  const image = tf.randomUniform([1, 8, 8, 2], -1, 1, 'float32', 3);
  const ids = tf.tensor2d([[1, 2, 3, 4, 5]], [1, 5], 'int32');
  let passes = 0;
  const predict = source.model.predict.bind(source.model);
  source.model.predict = (x, config) => {
    passes++;
    return predict(x, config);
  };
  const before = tf.memory().numTensors;
  const off = featureMaps(tf, source, [image, ids], featureMapLayers(built).map((l) => l.path));
  assert.equal(passes, 1);
  const on = featureMaps(tf, source, [image, ids], layers.map((l) => l.path));
  assert.equal(passes, 2, 'one pass for all the layers with the option on, as with it off');
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  assert.equal(off.length, 3);
  assert.deepEqual(on.map((m) => m.path), layers.map((l) => l.path));
  assert.deepEqual(on.map((m) => m.kind), layers.map((l) => l.kind));

  // The relu after the sum: its values are the sum's with the negatives zeroed, and its zero share counts them.
  const at = (op: string, nth: number) => on[layers.findIndex((l, i) => l.node.op === op && layers.slice(0, i).filter((k) => k.node.op === op).length === nth)];
  const sum = at('add', 0);
  const relu = at('relu', 1);
  assert.deepEqual([relu.height, relu.width, relu.channels], [8, 8, 2]);
  assert.deepEqual(Array.from(relu.data), Array.from(sum.data, (v) => Math.max(0, v)));
  const negatives = Array.from(sum.data).filter((v) => v <= 0).length;
  assert.ok(negatives > 0 && negatives < sum.data.length, `some but not all of the sum is negative (${negatives})`);
  assert.equal(zeroStats(relu.data, relu.channels, relu.height * relu.width).overall, negatives / sum.data.length);

  // [n] outputs: flatten of [4, 4, 4] is 64 units in the order of the [h, w, c] values.
  const flat = at('flatten', 0);
  const pool = at('maxpool', 0);
  assert.equal(flat.kind, 'units');
  assert.deepEqual([flat.height, flat.width, flat.channels], [1, 64, 1]);
  const hwc = new Float32Array(64);
  // pool.data is channel-major: back to [h, w, c] order.
  for (let c = 0; c < 4; c++) for (let i = 0; i < 16; i++) hwc[i * 4 + c] = pool.data[c * 16 + i];
  assert.deepEqual(Array.from(flat.data), Array.from(hwc));
  assert.equal(flat.min[0], Math.min(...hwc));
  assert.equal(flat.max[0], Math.max(...hwc));
  const soft = at('softmax', 0);
  assert.ok(Math.abs(soft.data.reduce((s, v) => s + v, 0) - 1) < 1e-5, 'softmax units sum to 1');
  tf.dispose([image, ids]);
  disposeModel(built);
});

test('zeroStats: per-channel and overall shares of exact zeros, all-zero channels, dead only when all is zero', () => {
  // 3 channels of 4: [0, 1, 0, 2] half zero, [0, 0, 0, 0] all zero, [3, 0.5, 1e-9, 4] none (a tiny value is not zero).
  const s = zeroStats(Float32Array.from([0, 1, 0, 2, 0, 0, 0, -0, 3, 0.5, 1e-9, 4]), 3, 4);
  assert.deepEqual(Array.from(s.perChannel), [0.5, 1, 0]);
  assert.equal(s.overall, 6 / 12);
  assert.equal(s.zeroChannels, 1);
  assert.equal(s.dead, false);
  const dead = zeroStats(new Float32Array(8), 2, 4);
  assert.equal(dead.dead, true);
  assert.equal(dead.zeroChannels, 2);
  assert.equal(dead.overall, 1);
  // No values at all is not "dead".
  assert.equal(zeroStats(new Float32Array(0), 0, 0).dead, false);
});

test('zeroCaption: whole percents, and 0 % or 100 % only when exactly so', () => {
  assert.equal(zeroCaption(0.43), '43 % zero');
  assert.equal(zeroCaption(0), '0 % zero');
  assert.equal(zeroCaption(1), '100 % zero');
  assert.equal(zeroCaption(0.004), '< 1 % zero');
  assert.equal(zeroCaption(0.996), '> 99 % zero');
  assert.equal(zeroCaption(0.005), '1 % zero');
});

test('unit strips: small outputs in one row of large cells; long ones capped at UNIT_LIMIT, wrapped, all on "Show all"', () => {
  // 10 units: one row of 16-pixel cells.
  assert.deepEqual(unitStripLayout(10, false), { shown: 10, hidden: 0, cell: 16, perRow: 10, rows: 1 });
  // 64 units fit one row of 10-pixel cells in 640 pixels.
  assert.deepEqual(unitStripLayout(64, false), { shown: 64, hidden: 0, cell: 10, perRow: 64, rows: 1 });
  // Cells stay 6 pixels at least: 120 units wrap, 106 to a row.
  assert.deepEqual(unitStripLayout(120, false), { shown: 120, hidden: 0, cell: 6, perRow: 106, rows: 2 });
  // 1000 units: the first 256 in 3 rows; all 1000 in 10.
  assert.equal(UNIT_LIMIT, 256);
  assert.deepEqual(unitStripLayout(1000, false), { shown: 256, hidden: 744, cell: 6, perRow: 106, rows: 3 });
  assert.deepEqual(unitStripLayout(1000, true), { shown: 1000, hidden: 0, cell: 6, perRow: 106, rows: 10 });
  assert.deepEqual(unitStripLayout(0, false), { shown: 0, hidden: 0, cell: 16, perRow: 0, rows: 0 });
  for (const n of [1, 7, 64, 255, 256, 257, 4096]) {
    for (const all of [false, true]) {
      const l = unitStripLayout(n, all);
      assert.equal(l.shown + l.hidden, n);
      assert.ok(l.perRow * l.cell <= 640, `n=${n}: ${l.perRow} cells of ${l.cell} px fit 640 px`);
      assert.ok(l.perRow * l.rows >= l.shown && l.perRow * (l.rows - 1) < l.shown, `n=${n}: rows hold the cells`);
    }
  }
});

test('unitAt: the cell under the pointer, row-major; nothing past the last cell', () => {
  const l = unitStripLayout(1000, true); // 106 a row, 10 rows, the last holding 1000 − 954 = 46
  assert.deepEqual([l.perRow, l.rows], [106, 10]);
  assert.equal(unitAt(l, 0, 0), 0);
  assert.equal(unitAt(l, 105.5 / 106, 0.5 / 10), 105);
  assert.equal(unitAt(l, 0.5 / 106, 1.5 / 10), 106);
  assert.equal(unitAt(l, 45.5 / 106, 9.5 / 10), 999);
  assert.equal(unitAt(l, 46.5 / 106, 9.5 / 10), undefined, 'past unit 999 on the last row');
  assert.equal(unitAt(l, 1, 0), undefined);
});
