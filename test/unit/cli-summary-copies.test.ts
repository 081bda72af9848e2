// `nnmodel summary` of a repeated block whose copies differ (DenseNet's
// `dense_layer * 3`, each copy wider; a conv_bn whose first copy changes the
// channels): the analysis keeps one body per run of equal copies, and the
// summary lists each run under a `copies` row of its own, so that the rows
// under a group are one copy, as the table's note and --json promise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli as run, withWorkspace } from '../fixtures/cli';

const FILE = `block grow(growth = 4) {
  input x
  output x -> concat(x -> conv2d(growth, 3, padding = same))
}

block conv_bn(filters) {
  input x
  output x -> conv2d(filters, 3, padding = same) -> batchnorm -> relu
}

model Net {
  input image: [8, 8, 3]
  output image -> grow * 3 -> conv_bn(16) * 3 -> conv_bn(16) * 2
}
`;

interface JsonRow {
  name: string;
  kind: string;
  depth: number;
  repeat: number;
  shape: (number | string)[];
  params: { total: number };
  macs: number;
}

/**
 * The layers one copy at a time, as a reader of the rows expands them: the rows under a group are
 * one copy, counted `repeat` times, unless they are `copies` rows, each counting its own copies.
 */
function expandLayers(rows: JsonRow[]): JsonRow[] {
  const walk = (i: number, depth: number): [JsonRow[], number] => {
    const out: JsonRow[] = [];
    while (i < rows.length && rows[i].depth >= depth) {
      const r = rows[i];
      if (r.kind === 'group' || r.kind === 'copies') {
        const [inner, next] = walk(i + 1, depth + 1);
        const times = rows[i + 1]?.kind === 'copies' ? 1 : r.repeat;
        for (let k = 0; k < times; k++) out.push(...inner);
        i = next;
      } else {
        out.push(r);
        i++;
      }
    }
    return [out, i];
  };
  return walk(0, 0)[0];
}

test(
  'summary: the copies of a repeat that differ are listed under a row per run, one copy under each',
  withWorkspace('nnmodel-copies-', { 'net.nnmodel': FILE }, async (dir) => {
    const json = await run(dir, 'summary', 'net.nnmodel', '--json');
    assert.equal(json.code, 0, json.err);
    const model = JSON.parse(json.out).models[0] as { layers: JsonRow[]; params: { total: number }; macs: number };
    const rows = model.layers;
    const runs = rows.filter((r) => r.kind === 'copies').map((r) => [r.name, r.depth, r.repeat, r.shape.join('×'), r.params.total]);
    assert.deepEqual(runs, [
      // grow * 3: every copy is 4 channels wider, so three runs of one.
      ['copy 1 of 3', 1, 1, '8×8×7', 3 * 3 * 3 * 4 + 4],
      ['copy 2 of 3', 1, 1, '8×8×11', 3 * 3 * 7 * 4 + 4],
      ['copy 3 of 3', 1, 1, '8×8×15', 3 * 3 * 11 * 4 + 4],
      // conv_bn(16) * 3 on 15 channels: the first copy differs, the other two are equal.
      ['copy 1 of 3', 1, 1, '8×8×16', 3 * 3 * 15 * 16 + 16 + 4 * 16],
      ['copies 2–3 of 3', 1, 2, '8×8×16', 2 * (3 * 3 * 16 * 16 + 16 + 4 * 16)],
    ]);
    // conv_bn(16) * 2 on 16 channels: one run, its body right under the group as before.
    const last = rows.findIndex((r) => r.name === 'conv_bn × 2');
    assert.deepEqual([rows[last + 1].kind, rows[last + 1].depth], ['layer', 1]);
    // Expanded by the rule, the rows give the model's parameters and MACs: no copy is missing or counted twice.
    const layers = expandLayers(rows);
    assert.equal(layers.reduce((a, r) => a + r.params.total, 0), model.params.total);
    assert.equal(layers.reduce((a, r) => a + r.macs, 0), model.macs);
    assert.equal(layers.filter((r) => r.name.startsWith('conv2d(4')).length, 3);
    assert.equal(layers.filter((r) => r.name.startsWith('conv2d(16')).length, 5);

    const table = await run(dir, 'summary', 'net.nnmodel');
    assert.match(table.out, /^ {2}copies 2–3 of 3\s+13\s+\[8, 8, 16\]\s+4,768\s+294,912\s*$/m);
    assert.match(table.out, /^ {4}conv2d\(16, 3, padding = same\)\s+8\s+\[8, 8, 16\]/m);
    assert.match(table.out, /^Note: .*one row per run of equal copies/m);
    // --depth 0 shows the groups only, without their runs.
    const top = await run(dir, 'summary', 'net.nnmodel', '--depth', '0', '--json');
    assert.deepEqual(JSON.parse(top.out).models[0].layers.filter((r: JsonRow) => r.depth > 0), []);
  }),
);
