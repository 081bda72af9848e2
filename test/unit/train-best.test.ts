// The best checkpoint beside the last (runtime/checkpoint.ts writeBestCheckpoint): written only when an
// epoch improves val_loss, atomically, surviving a failed write, removed when a run has no validation,
// and listed for the pickers as "best (epoch 6, val_loss 0.412)".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import {
  BEST_JSON,
  applyCheckpoint,
  checkpointChoices,
  encodeCheckpoint,
  readCheckpoint,
  writeBestCheckpoint,
  writeCheckpoint,
  type BestUpdate,
  type CheckpointFs,
} from '../../extension/core/runtime/checkpoint';
import type { EpochLogs } from '../../extension/core/runtime/train';
import { nodeCheckpointFs } from '../../extension/core/runtime/nodeFs';

let dir: string;
before(async () => {
  const warn = console.warn;
  console.warn = () => undefined;
  await tf.setBackend('cpu');
  console.warn = warn;
  dir = mkdtempSync(join(tmpdir(), 'nnmodel-best-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function build(seed: number): BuiltModel {
  const a = analyze('model Net {\n  input x: [6]\n  output x -> dense(8) -> relu -> dense(3) -> softmax\n}\n');
  return buildModel(tf, a.models[0], { seed });
}

const weightsOf = (b: BuiltModel) => b.model.getWeights().map((w) => Array.from(w.dataSync()));
const epochLogs = (epoch: number, loss: number, valLoss?: number): EpochLogs => ({ epoch, epochs: 9, loss, metrics: {}, ...(valLoss !== undefined ? { valLoss } : {}), examples: 1, ms: 1 });

/**
 * A training run as the CLI and the editor save it: after every epoch the model's weights change (a new seed),
 * the last checkpoint is written, then the best. Returns each epoch's weights and what became of the best.
 */
async function run(target: string, valLosses: (number | undefined)[], fs: CheckpointFs = nodeCheckpointFs(), from: EpochLogs[] = []) {
  const history: EpochLogs[] = [...from];
  const weights: number[][][] = [];
  const updates: BestUpdate[] = [];
  for (const [i, v] of valLosses.entries()) {
    const epoch = from.length + i + 1;
    const m = build(100 + epoch);
    weights.push(weightsOf(m));
    history.push(epochLogs(epoch, 1 / epoch, v));
    const ck = await encodeCheckpoint(m, { model: 'Net', epoch, history: [...history] });
    await writeCheckpoint(nodeCheckpointFs(), target, ck);
    updates.push(await writeBestCheckpoint(fs, target, ck));
  }
  return { weights, updates, history };
}

async function loadedWeights(target: string, which: 'best' | 'last'): Promise<number[][]> {
  const ck = await readCheckpoint(nodeCheckpointFs(), target, { which });
  const fresh = build(1);
  applyCheckpoint(tf, fresh, ck.modelJson, ck.weights);
  return weightsOf(fresh);
}

test('best.json holds the epoch with the lowest val_loss, updated only on improvement; one best and one last on disk', async () => {
  const target = join(dir, 'run');
  const { weights, updates } = await run(target, [0.5, 0.4, 0.45, 0.4, 0.47]);
  assert.deepEqual(
    updates.map((u) => (u.kind === 'none' ? 'none' : `${u.kind} ${u.epoch}`)),
    ['written 1', 'written 2', 'kept 2', 'kept 2', 'kept 2'],
    'epoch 4 ties epoch 2: the earliest stays the best',
  );
  assert.ok(updates.slice(2).every((u) => u.kind === 'kept' && u.onDisk));
  const files = readdirSync(target).sort();
  assert.equal(files.length, 4, files.join(', '));
  assert.equal(files.filter((f) => f.endsWith('.bin')).length, 2, 'bounded: the last weights and the best weights');
  assert.ok(files.includes(BEST_JSON) && files.includes('model.json'));
  assert.ok(files.some((f) => /^best-e2-[0-9a-f]{8}\.bin$/.test(f)));
  assert.deepEqual(await loadedWeights(target, 'best'), weights[1], 'the best checkpoint has the weights of epoch 2');
  assert.deepEqual(await loadedWeights(target, 'last'), weights[4], 'the last checkpoint is untouched');
  const best = await readCheckpoint(nodeCheckpointFs(), target, { which: 'best', optimizer: true });
  assert.equal(best.modelJson.nnmodel.epoch, 2);
  assert.deepEqual(best.modelJson.nnmodel.history.map((h) => h.epoch), [1, 2], 'its history ends at its epoch');
  assert.equal(best.modelJson.nnmodel.optimizer, undefined, 'no optimizer state: resume continues from the last');
  assert.equal(best.optimizer, undefined);
  // tfjs's own loader reads best.json as a model.json: the manifest names its own weights file.
  const json = JSON.parse(readFileSync(join(target, BEST_JSON), 'utf8'));
  assert.match(json.weightsManifest[0].paths[0], /^best-e2-/);

  assert.deepEqual(
    (await checkpointChoices(nodeCheckpointFs(), target, 'Net')).map((c) => c.label),
    ['last (epoch 5, val_loss 0.47)', 'best (epoch 2, val_loss 0.4)'],
  );
  assert.deepEqual(await checkpointChoices(nodeCheckpointFs(), target, 'Other'), [], 'another model\'s checkpoints are not offered');
  assert.deepEqual(await checkpointChoices(nodeCheckpointFs(), join(dir, 'nothing')), []);
});

/** A file system that fails on the first write or rename of one file, after writing part of it. */
function failing(op: 'writeFile' | 'rename', when: (path: string) => boolean): CheckpointFs {
  const real = nodeCheckpointFs();
  let failed = false;
  return {
    ...real,
    async writeFile(p, d) {
      if (op === 'writeFile' && !failed && when(p)) {
        failed = true;
        writeFileSync(p, d.subarray(0, d.length >> 1));
        throw new Error('simulated failure while writing');
      }
      return real.writeFile(p, d);
    },
    async rename(a, b) {
      if (op === 'rename' && !failed && when(b)) {
        failed = true;
        throw new Error('simulated failure before the rename');
      }
      return real.rename(a, b);
    },
  };
}

for (const [what, fs] of [
  ['while writing the best weights', () => failing('writeFile', (p) => /\/best-e\d/.test(p))],
  ['while writing best.json', () => failing('writeFile', (p) => p.includes(`${BEST_JSON}.tmp-`))],
  ['before the best.json switch', () => failing('rename', (p) => p.endsWith(`/${BEST_JSON}`))],
] as const) {
  test(`a failure ${what} keeps the previous best loadable and the last checkpoint written`, async () => {
    const target = join(dir, `fail-${what.replace(/\W+/g, '-')}`);
    const first = await run(target, [0.5]);
    // Epoch 2 improves, but its best write fails.
    const history = first.history;
    const m = build(102);
    history.push(epochLogs(2, 0.5, 0.3));
    const ck = await encodeCheckpoint(m, { model: 'Net', epoch: 2, history: [...history] });
    await writeCheckpoint(nodeCheckpointFs(), target, ck);
    await assert.rejects(writeBestCheckpoint(fs(), target, ck), /simulated failure/);
    assert.deepEqual(await loadedWeights(target, 'best'), first.weights[0], 'the best of epoch 1 stays');
    assert.equal((await readCheckpoint(nodeCheckpointFs(), target)).modelJson.nnmodel.epoch, 2, 'the last is epoch 2');
    const choices = await checkpointChoices(nodeCheckpointFs(), target, 'Net');
    assert.deepEqual(choices.map((c) => c.label), ['last (epoch 2, val_loss 0.3)', 'best (epoch 1, val_loss 0.5)']);
    // Epoch 3 does not improve on 0.3: the best on disk (epoch 1) is not the history's best (epoch 2), and says so.
    history.push(epochLogs(3, 0.4, 0.35));
    const ck3 = await encodeCheckpoint(build(103), { model: 'Net', epoch: 3, history: [...history] });
    await writeCheckpoint(nodeCheckpointFs(), target, ck3);
    assert.deepEqual(await writeBestCheckpoint(nodeCheckpointFs(), target, ck3), { kind: 'kept', epoch: 2, valLoss: 0.3, onDisk: false });
    // The next improvement writes it, and the leftovers of the failure are gone.
    history.push(epochLogs(4, 0.3, 0.2));
    const m4 = build(104);
    const ck4 = await encodeCheckpoint(m4, { model: 'Net', epoch: 4, history: [...history] });
    await writeCheckpoint(nodeCheckpointFs(), target, ck4);
    assert.equal((await writeBestCheckpoint(nodeCheckpointFs(), target, ck4)).kind, 'written');
    assert.deepEqual(await loadedWeights(target, 'best'), weightsOf(m4));
    assert.deepEqual(readdirSync(target).filter((f) => f.includes('.tmp-') || (f.startsWith('best-') && !f.startsWith('best-e4-'))), []);
  });
}

test('without validation no best is written, and a best an earlier run left is removed', async () => {
  const target = join(dir, 'novalidation');
  await run(target, [0.5, 0.4]);
  assert.ok(readdirSync(target).includes(BEST_JSON));
  // Start over without validation: the old best describes other weights.
  const { updates } = await run(join(target), [undefined, undefined]);
  assert.deepEqual(updates, [{ kind: 'none' }, { kind: 'none' }]);
  assert.deepEqual(readdirSync(target).filter((f) => f.startsWith('best')), []);
  await assert.rejects(readCheckpoint(nodeCheckpointFs(), target, { which: 'best' }), /best\.json: no best checkpoint here \(it is written when training holds out validation data/);
  assert.deepEqual((await checkpointChoices(nodeCheckpointFs(), target)).map((c) => c.label), ['last (epoch 2)']);
});

test('a resumed run keeps the best of the epochs before it until one beats it', async () => {
  const target = join(dir, 'resumed');
  const first = await run(target, [0.5, 0.3, 0.4]);
  const second = await run(target, [0.35, 0.25], nodeCheckpointFs(), first.history);
  assert.deepEqual(second.updates.map((u) => (u.kind === 'none' ? 'none' : `${u.kind} ${u.epoch}`)), ['kept 2', 'written 5']);
  assert.deepEqual(await loadedWeights(target, 'best'), second.weights[1]);
});

test('a best from another run than the last is offered with a warning', async () => {
  const target = join(dir, 'otherrun');
  await run(target, [0.5, 0.3]);
  // The last checkpoint replaced by a run that wrote no best (an nnmodel before best checkpoints, or a crash between the two writes).
  await writeCheckpoint(nodeCheckpointFs(), target, await encodeCheckpoint(build(7), { model: 'Net', epoch: 1, history: [epochLogs(1, 0.9, 0.8)] }));
  const choices = await checkpointChoices(nodeCheckpointFs(), target, 'Net');
  assert.deepEqual(choices.map((c) => c.which), ['last', 'best']);
  assert.match(choices[1].warning ?? '', /the best checkpoint \(epoch 2\) is not from the run of the last checkpoint \(epoch 1\)/);
});

test('a job request names the best or the last checkpoint, nothing else', async () => {
  const { parseHostToJob } = await import('../../extension/core/runtime/jobProtocol');
  const request = { file: '/w/a.nnmodel', roots: ['/w'], backend: 'wasm' };
  for (const checkpoint of ['best', 'last'] as const) {
    assert.deepEqual(parseHostToJob({ type: 'run', command: 'evaluate', request: { ...request, checkpoint } }), { type: 'run', command: 'evaluate', request: { ...request, checkpoint } });
  }
  assert.equal(parseHostToJob({ type: 'run', command: 'evaluate', request: { ...request, checkpoint: '../other' } }), undefined);
});
