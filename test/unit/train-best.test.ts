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
  analysisSignature,
  applyCheckpoint,
  checkpointChoices,
  misfitRefusal,
  epochValLoss,
  encodeCheckpoint,
  lossFigures,
  readCheckpoint,
  writeBestCheckpoint,
  writeCheckpoint,
  type BestUpdate,
  type CheckpointFs,
} from '../../extension/core/runtime/checkpoint';
import type { EpochLogs } from '../../extension/core/runtime/train';
import { nodeCheckpointFs } from '../../extension/core/runtime/nodeFs';
import { useCpuBackend } from '../fixtures/tfjs';

let dir: string;
useCpuBackend();
before(() => {
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
    ['last (epoch 5, val_loss 0.47)', 'best (epoch 2, val_loss 0.40)'],
    'the two val_losses with the same digits',
  );
  // Listed for a model that changed since: the picker says the checkpoint no longer fits it.
  const now = analysisSignature(analyze('model Net {\n  input x: [6]\n  output x -> dense(4) -> relu -> dense(3) -> softmax\n}\n').models[0]);
  assert.deepEqual(
    (await checkpointChoices(nodeCheckpointFs(), target, 'Net', now)).map((c) => c.misfit),
    ['no longer fits the model: 0 of 2 layers would load', 'no longer fits the model: 0 of 2 layers would load'],
  );
  const same = analysisSignature(analyze('model Net {\n  input x: [6]\n  output x -> dense(8) -> relu -> dense(3) -> softmax\n}\n').models[0]);
  assert.deepEqual((await checkpointChoices(nodeCheckpointFs(), target, 'Net', same)).map((c) => c.misfit), [undefined, undefined]);
  // Every layer of the model would load, but the checkpoint has one the model no longer has: marked too, by the one
  // rule (checkpointMisfit) by which Load Weights warns and Evaluate, Generate Text and export refuse.
  const fewer = analysisSignature(analyze('model Net {\n  input x: [6]\n  output x -> dense(8) -> relu -> softmax\n}\n').models[0]);
  const shorter = await checkpointChoices(nodeCheckpointFs(), target, 'Net', fewer);
  assert.deepEqual(shorter.map((c) => c.misfit), Array(2).fill('no longer fits the model: 1 of its layers is no longer in the model'));
  assert.deepEqual(shorter[1].fit, { loaded: 1, total: 1, problems: ['dense(3) (line 3 when saved) is no longer in the model; its weights are not used.'] });
  assert.equal(
    misfitRefusal('Net', 'best', 2, shorter[1].fit!),
    'the best checkpoint (epoch 2) no longer fits Net (1 of 1 layer would load): dense(3) (line 3 when saved) is no longer in the model. Train Net again, or undo the change to the model.',
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
    // Epoch 3 does not improve on 0.3, but beats the best on disk (epoch 1, 0.5): it is written, saying that epoch 2 was lower.
    history.push(epochLogs(3, 0.4, 0.35));
    const ck3 = await encodeCheckpoint(build(103), { model: 'Net', epoch: 3, history: [...history] });
    await writeCheckpoint(nodeCheckpointFs(), target, ck3);
    const u3 = await writeBestCheckpoint(nodeCheckpointFs(), target, ck3);
    assert.deepEqual({ ...u3, warning: undefined }, { kind: 'written', epoch: 3, valLoss: 0.35, warning: undefined });
    assert.match(u3.kind === 'written' ? u3.warning ?? '' : '', /^best\.json holds epoch 3 \(val_loss 0\.35\), but epoch 2 had a lower val_loss \(0\.3\)/);
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
  // A model never trained has neither: asked for the best, it is told to train (not that validation must be above 0).
  await assert.rejects(readCheckpoint(nodeCheckpointFs(), join(dir, 'never-trained'), { which: 'best' }), /never-trained\/best\.json: no checkpoint here \(train the model first\)\.$/);
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

/** The loop of `run`, with the best written through `fsFor(epoch)`: a failed best write is caught, as the CLI and the editor do. */
async function runFailing(target: string, valLosses: number[], fsFor: (epoch: number) => CheckpointFs) {
  const history: EpochLogs[] = [];
  const weights: number[][][] = [];
  const updates: (BestUpdate | 'failed')[] = [];
  for (const [i, v] of valLosses.entries()) {
    const epoch = i + 1;
    const m = build(100 + epoch);
    weights.push(weightsOf(m));
    history.push(epochLogs(epoch, 1 / epoch, v));
    const ck = await encodeCheckpoint(m, { model: 'Net', epoch, history: [...history] });
    await writeCheckpoint(nodeCheckpointFs(), target, ck);
    updates.push(await writeBestCheckpoint(fsFor(epoch), target, ck).catch(() => 'failed' as const));
  }
  return { weights, updates };
}

const brief = (u: BestUpdate | 'failed') => (u === 'failed' ? 'failed' : u.kind === 'none' ? 'none' : `${u.kind} ${u.epoch}${u.warning ? ' (warned)' : ''}`);

test('after a failed best write, a later epoch that beats the best on disk is written, and the best is offered and read with a warning', async () => {
  const target = join(dir, 'failed-then-better');
  // Epoch 3 has the lowest val_loss, but its best write fails: its weights survive only until epoch 4's last checkpoint.
  const { weights, updates } = await runFailing(target, [0.5, 0.4, 0.3, 0.35], (epoch) => (epoch === 3 ? failing('writeFile', (p) => /\/best-e3-/.test(p)) : nodeCheckpointFs()));
  assert.deepEqual(updates.map(brief), ['written 1', 'written 2', 'failed', 'written 4 (warned)'], 'epoch 4 (0.35) beats the best on disk (epoch 2, 0.4)');
  assert.deepEqual(await loadedWeights(target, 'best'), weights[3], 'best.json holds epoch 4, not the worse epoch 2');
  assert.deepEqual(await loadedWeights(target, 'last'), weights[3]);
  const warning = /^best\.json holds epoch 4 \(val_loss 0\.35\), but epoch 3 had a lower val_loss \(0\.3\) and its weights were not kept/;
  const choices = await checkpointChoices(nodeCheckpointFs(), target, 'Net');
  assert.deepEqual(choices.map((c) => c.label), ['last (epoch 4, val_loss 0.35)', 'best (epoch 4, val_loss 0.35)']);
  assert.match(choices[1].warning ?? '', warning);
  assert.equal(choices[0].warning, undefined);
  const read = await readCheckpoint(nodeCheckpointFs(), target, { which: 'best' });
  assert.match(read.warning ?? '', warning, 'reading the best says it too (evaluate, generate, export)');
  assert.equal((await readCheckpoint(nodeCheckpointFs(), target)).warning, undefined, 'the last is what it says');
  // Never a best.json naming a missing file; no leftovers of the failure.
  const files = readdirSync(target);
  assert.ok(files.includes(JSON.parse(readFileSync(join(target, BEST_JSON), 'utf8')).weightsManifest[0].paths[0]));
  assert.deepEqual(files.filter((f) => f.includes('.tmp-') || (f.startsWith('best-') && !f.startsWith('best-e4-'))), []);
});

test('a stale best that no later epoch beats is kept, said by the update, the picker and the reader; a tie with the lowest is no warning', async () => {
  const target = join(dir, 'stale-kept');
  const failed = (epoch: number) => (epoch === 2 ? failing('rename', (p) => p.endsWith(`/${BEST_JSON}`)) : nodeCheckpointFs());
  const { updates } = await runFailing(target, [0.5, 0.2, 0.6], failed);
  // Epoch 3 (0.6) beats neither: best.json stays on epoch 1, which is not the run's lowest (epoch 2, 0.2).
  assert.deepEqual(updates.map(brief), ['written 1', 'failed', 'kept 1 (warned)']);
  assert.deepEqual({ ...(updates[2] as BestUpdate), warning: undefined }, { kind: 'kept', epoch: 1, valLoss: 0.5, onDisk: true, warning: undefined });
  const choices = await checkpointChoices(nodeCheckpointFs(), target, 'Net');
  assert.match(choices[1].warning ?? '', /^best\.json holds epoch 1 \(val_loss 0\.5\), but epoch 2 had a lower val_loss \(0\.2\)/);
  assert.match((await readCheckpoint(nodeCheckpointFs(), target, { which: 'best' })).warning ?? '', /^best\.json holds epoch 1 /);
  // Ties are no warning: a best as low as the lowest is the best.
  const tie = join(dir, 'stale-tie');
  const t = await runFailing(tie, [0.5, 0.2, 0.2], failed);
  assert.deepEqual(t.updates.map(brief), ['written 1', 'failed', 'written 3']);
  assert.equal((await checkpointChoices(nodeCheckpointFs(), tie, 'Net'))[1].warning, undefined);
  assert.equal((await readCheckpoint(nodeCheckpointFs(), tie, { which: 'best' })).warning, undefined);
});

test('a best.json whose weights file is gone does not count: the next epoch with a val_loss is written', async () => {
  const target = join(dir, 'best-weights-gone');
  const first = await run(target, [0.5, 0.3]);
  for (const f of readdirSync(target)) if (f.startsWith('best-e2-')) rmSync(join(target, f));
  const second = await run(target, [0.4], nodeCheckpointFs(), first.history);
  assert.equal(brief(second.updates[0]), 'written 3 (warned)');
  assert.deepEqual(await loadedWeights(target, 'best'), second.weights[0]);
});

test('the pickers and the reader read a checkpoint\'s JSON alike: a val_loss that is not a number is none, a history that is not a list leaves that checkpoint out', async () => {
  const target = join(dir, 'odd-json');
  await run(target, [0.5, 0.3, 0.4]);
  const edit = (file: string, change: (meta: Record<string, unknown>) => void) => {
    const json = JSON.parse(readFileSync(join(target, file), 'utf8'));
    change(json.nnmodel);
    writeFileSync(join(target, file), JSON.stringify(json));
  };
  // A hand-edited or foreign best.json: its own epoch's val_loss is null (JSON has no NaN).
  edit(BEST_JSON, (m) => ((m.history as { epoch: number; valLoss?: unknown }[]).find((h) => h.epoch === m.epoch)!.valLoss = null));
  const best = (await checkpointChoices(nodeCheckpointFs(), target, 'Net'))[1];
  assert.deepEqual([best.label, best.valLoss, 'valLoss' in best], ['best (epoch 2)', undefined, false], 'no val_loss, as the label says');
  const read = await readCheckpoint(nodeCheckpointFs(), target, { which: 'best' });
  assert.equal(epochValLoss(read.modelJson.nnmodel), undefined, 'what Export offers the best with');
  // A history that is not a list is damage: the pickers leave that checkpoint out, and the best's reader gives no warning from it.
  edit('model.json', (m) => (m.history = 5));
  assert.deepEqual((await checkpointChoices(nodeCheckpointFs(), target, 'Net')).map((c) => c.label), ['best (epoch 2)']);
  assert.equal((await readCheckpoint(nodeCheckpointFs(), target, { which: 'best' })).warning, undefined);
});

test('losses listed side by side keep three significant digits each, trailing zeros only where all have one', () => {
  assert.deepEqual(lossFigures([1.6003, 0.7551]), ['1.60', '0.755'], 'not "1.6" beside "0.755"');
  assert.deepEqual(lossFigures([0.47, 0.4]), ['0.47', '0.40']);
  assert.deepEqual(lossFigures([0.3, 0.5]), ['0.3', '0.5']);
  assert.deepEqual(lossFigures([0.412]), ['0.412']);
  assert.deepEqual(lossFigures([1234.5, 0.000123456]), ['1230', '0.000123']);
});

test('resumed after an edit of the layers: the earlier best is not compared against (said once), and the best is of the edited model', async () => {
  const target = join(dir, 'edited');
  const { history } = await run(target, [0.3, 0.2]);
  // dense(8) → dense(10): the best of epoch 2 (val_loss 0.2) would not load into the model any more.
  const wider = buildModel(tf, analyze('model Net {\n  input x: [6]\n  output x -> dense(10) -> relu -> dense(3) -> softmax\n}\n').models[0], { seed: 7 });
  const updates: BestUpdate[] = [];
  for (const [epoch, v] of [[3, 0.6], [4, 0.5], [5, 0.55]] as const) {
    history.push(epochLogs(epoch, 1, v));
    const ck = await encodeCheckpoint(wider, { model: 'Net', epoch, history: [...history] });
    await writeCheckpoint(nodeCheckpointFs(), target, ck);
    assert.equal(ck.modelJson.nnmodel.architectureFrom, 3, 'recorded, and carried on');
    updates.push(await writeBestCheckpoint(nodeCheckpointFs(), target, ck));
  }
  assert.deepEqual(
    updates.map((u) => [u.kind, u.kind !== 'none' && u.epoch]),
    [['written', 3], ['written', 4], ['kept', 4]],
  );
  const first = updates[0] as Extract<BestUpdate, { kind: 'written' }>;
  assert.equal(
    first.note,
    "best.json held epoch 2 (val_loss 0.2), trained before the model's layers changed; it is not compared with the epochs from 3 on, whose weights fit the model now: the best is chosen among those",
  );
  assert.ok(updates.every((u) => u.kind === 'none' || (u.since === 3 && u.warning === undefined)), 'no "epoch 2 was lower and its weights were not kept"');
  assert.equal((updates[1] as { note?: string }).note, undefined, 'said once');
  const best = await readCheckpoint(nodeCheckpointFs(), target, { which: 'best' });
  assert.equal(best.modelJson.nnmodel.epoch, 4);
  assert.equal(best.warning, undefined);
  assert.equal(applyCheckpoint(tf, buildModel(tf, analyze('model Net {\n  input x: [6]\n  output x -> dense(10) -> relu -> dense(3) -> softmax\n}\n').models[0], { seed: 1 }), best.modelJson, best.weights).problems.length, 0, 'it loads');
});
