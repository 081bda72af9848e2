// A run killed while writing the best checkpoint left `best-e3-….bin` (renamed into place before best.json was
// switched to it) in the folder until a later epoch happened to beat the best; a temporary file
// (`best.json.tmp-…`) until the next checkpoint write. And the tidy-up after a write removed any `weights-*.bin`
// and any name containing `.tmp-`, a user's file among them. Now the next training's start removes nnmodel's own
// leftovers by their exact names (runtime/checkpoint.ts tidyCheckpointFolder), and readers never take one for a
// checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel } from '../../extension/core/runtime/build';
import {
  BEST_JSON,
  checkpointChoices,
  encodeCheckpoint,
  isCheckpointTemporary,
  readCheckpoint,
  tidiedText,
  tidyCheckpointFolder,
  writeBestCheckpoint,
  writeCheckpoint,
  type EncodedCheckpoint,
} from '../../extension/core/runtime/checkpoint';
import { LOCK_FILE, acquireCheckpointLock } from '../../extension/core/runtime/checkpointLock';
import { nodeCheckpointFs } from '../../extension/core/runtime/nodeFs';
import type { EpochLogs } from '../../extension/core/runtime/train';
import { runCli, withWorkspace } from '../fixtures/cli';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

const MODEL = `model Net {
  input x: [28, 28, 1]
  output x -> flatten -> dense(10) -> softmax
}

train Net {
  data: digits(samples = 40)
  epochs: 1
  validation: 0.2
}
`;

/** The checkpoints of epochs 1… with these val_losses, each written as training writes it; the last one's encoding. */
async function trained(dir: string, valLosses: number[]): Promise<EncodedCheckpoint> {
  const info = analyze(MODEL).models[0];
  const history: EpochLogs[] = [];
  let ck: EncodedCheckpoint | undefined;
  for (const [i, v] of valLosses.entries()) {
    history.push({ epoch: i + 1, epochs: valLosses.length, loss: 1 / (i + 1), metrics: {}, valLoss: v, examples: 1, ms: 1 });
    ck = await encodeCheckpoint(buildModel(tf, info, { seed: i + 1 }), { model: 'Net', epoch: i + 1, history: [...history] });
    await writeCheckpoint(nodeCheckpointFs(), dir, ck);
    await writeBestCheckpoint(nodeCheckpointFs(), dir, ck);
  }
  return ck!;
}

/** Files a user may keep in the folder, with names near nnmodel's: never removed. */
const USERS = ['notes.txt', 'weights-final.bin', 'best-e3-final.bin', 'my.tmp-copy', 'model.json.bak', 'optimizer-notes.bin'];

test(
  'killed while writing the best: the stray best weights and the temporary files go at the next start, a user\'s files stay, and no reader takes one for a checkpoint',
  withWorkspace('nnmodel-leftovers-', {}, async (root) => {
    const fs = nodeCheckpointFs();
    const dir = join(root, 'ck');
    mkdirSync(dir, { recursive: true });
    for (const name of USERS) writeFileSync(join(dir, name), 'mine');
    const ck = await trained(dir, [0.5, 0.4, 0.3]);
    // The user's files survive every write's tidy-up.
    for (const name of USERS) assert.ok(existsSync(join(dir, name)), `${name} removed by a checkpoint write`);
    const best = readdirSync(dir).find((f) => /^best-e3-/.test(f))!;
    // Epoch 4 beats the best; the run is killed after its weights were renamed into place, before best.json switched.
    const stray = best.replace(/^best-e3-/, 'best-e4-');
    writeFileSync(join(dir, stray), ck.weights);
    const temporaries = [`${BEST_JSON}.tmp-mih2x1k0-7`, `${stray}.tmp-mih2x1k0-6`, 'model.json.tmp-mih2x1k0-5', 'weights-e4-0123abcd.bin.tmp-mih2x1k0-4', 'write-check.tmp-mih2x1k0-3', '.samples.png.4242.9f8e7d6c.tmp'];
    for (const name of temporaries) writeFileSync(join(dir, name), '{"partial":');
    // An orphan weights file of the last checkpoint (killed after model.json switched, before the old one went).
    const orphan = 'weights-e2-0badf00d.bin';
    writeFileSync(join(dir, orphan), 'old');

    // Readers go by model.json and best.json: the best is epoch 3, the last epoch 3; a leftover picked by hand is refused.
    const choices = await checkpointChoices(fs, dir, 'Net');
    assert.deepEqual(choices.map((c) => `${c.which} ${c.epoch}`), ['last 3', 'best 3']);
    assert.equal((await readCheckpoint(fs, dir, { which: 'best' })).modelJson.nnmodel.epoch, 3);
    await assert.rejects(
      readCheckpoint(fs, dir, { which: 'best', file: `${BEST_JSON}.tmp-mih2x1k0-7` }),
      /best\.json\.tmp-mih2x1k0-7: is a temporary file left by a checkpoint write that did not finish, not a checkpoint; pick model\.json or best\.json\.$/,
    );
    for (const name of [...temporaries]) assert.ok(isCheckpointTemporary(name), name);
    for (const name of [...USERS, stray, 'model.json', BEST_JSON]) assert.ok(!isCheckpointTemporary(name), name);

    // The next training's start removes exactly nnmodel's leftovers.
    const removed = await tidyCheckpointFolder(fs, dir);
    assert.deepEqual([...removed].sort(), [...temporaries, stray, orphan].sort());
    assert.deepEqual(readdirSync(dir).sort(), [...USERS, best, 'model.json', BEST_JSON, ck.weightsFile].sort());
    assert.equal(
      tidiedText('ck', removed),
      `removed 8 files an interrupted checkpoint write left in ck: ${removed.slice(0, 3).join(', ')}, and 5 more.`,
    );
    assert.deepEqual(await tidyCheckpointFolder(fs, dir), [], 'nothing more');
    assert.equal(tidiedText('ck', []), undefined);
    assert.equal((await readCheckpoint(fs, dir, { which: 'best' })).modelJson.nnmodel.epoch, 3);
    assert.equal((await readCheckpoint(fs, dir)).modelJson.nnmodel.epoch, 3);
  }),
);

test(
  'a checkpoint JSON that does not read keeps the files of its kind (all that is left of it); a missing one leaves its files orphaned, and they go',
  withWorkspace('nnmodel-leftovers-damaged-', {}, async (root) => {
    const fs = nodeCheckpointFs();
    const dir = join(root, 'ck');
    await trained(dir, [0.5]);
    const files = readdirSync(dir);
    writeFileSync(join(dir, 'model.json'), '{ damaged');
    writeFileSync(join(dir, BEST_JSON), '{ damaged');
    writeFileSync(join(dir, 'best-e9-0123abcd.bin'), 'x');
    writeFileSync(join(dir, 'weights-e9-0123abcd.bin'), 'x');
    assert.deepEqual(await tidyCheckpointFolder(fs, dir), []);
    assert.deepEqual(readdirSync(dir).sort(), [...files, 'best-e9-0123abcd.bin', 'weights-e9-0123abcd.bin'].sort());
    // No best.json at all (a first best write killed before its switch): its weights file names no checkpoint.
    const bestWeights = files.find((f) => /^best-e1-/.test(f))!;
    rmSync(join(dir, BEST_JSON));
    assert.deepEqual((await tidyCheckpointFolder(fs, dir)).sort(), [bestWeights, 'best-e9-0123abcd.bin'].sort());
  }),
);

test(
  'a checkpoint JSON that reads as JSON but names no weights file (its manifest damaged) keeps the files of its kind too',
  withWorkspace('nnmodel-leftovers-manifest-', {}, async (root) => {
    const fs = nodeCheckpointFs();
    const dir = join(root, 'ck');
    await trained(dir, [0.5]);
    const files = readdirSync(dir).sort();
    for (const name of ['model.json', BEST_JSON]) {
      const json = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Record<string, unknown>;
      delete json.weightsManifest;
      writeFileSync(join(dir, name), JSON.stringify(json));
    }
    // Readers call it damaged (Train Model offers to set it aside); the tidy-up took its weights for orphans.
    await assert.rejects(readCheckpoint(fs, dir), /model\.json: is not an nnmodel checkpoint/);
    assert.deepEqual(await tidyCheckpointFolder(fs, dir), []);
    assert.deepEqual(readdirSync(dir).sort(), files);
  }),
);

test(
  'a lock moved aside by a run killed mid-takeover goes when its process is gone; a live one stays (it may put the lock back)',
  withWorkspace('nnmodel-leftovers-lock-', {}, async (root) => {
    const dir = join(root, 'ck');
    mkdirSync(dir, { recursive: true });
    const dead = `${LOCK_FILE}.stale-999999-mih2x1k0-0`;
    const live = `${LOCK_FILE}.stale-4242-mih2x1k0-0`;
    for (const name of [dead, live]) writeFileSync(join(dir, name), JSON.stringify({ pid: 1, host: hostname(), started: '2026-01-02T03:04:05.000Z', command: 'x', token: 'x' }));
    const lock = await acquireCheckpointLock(dir, { command: 'nnmodel train m.nnmodel', elsewhere: 'elsewhere', alive: (pid) => pid === 4242 });
    assert.deepEqual(readdirSync(dir).sort(), [LOCK_FILE, live].sort());
    await lock.release();
  }),
);

test(
  'nnmodel train removes what a killed run left before it trains, and says so',
  { timeout: 120_000 },
  withWorkspace('nnmodel-leftovers-cli-', { 'm.nnmodel': MODEL }, async (root) => {
    const first = await runCli(root, 'train', 'm.nnmodel', '--backend', 'cpu');
    assert.equal(first.code, 0, first.err);
    const dir = join(root, '.nnmodel', 'm', 'Net');
    writeFileSync(join(dir, 'best-e2-0123abcd.bin'), 'x');
    writeFileSync(join(dir, 'best.json.tmp-mih2x1k0-1'), '{');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const again = await runCli(root, 'train', 'm.nnmodel', '--backend', 'cpu', '--resume', '--epochs', '1');
    assert.equal(again.code, 0, again.err);
    assert.match(again.err, /^warning: removed 2 files an interrupted checkpoint write left in .*\.nnmodel\/m\/Net: (best-e2-0123abcd\.bin, best\.json\.tmp-mih2x1k0-1|best\.json\.tmp-mih2x1k0-1, best-e2-0123abcd\.bin)\.$/m);
    const files = readdirSync(dir);
    assert.ok(!files.includes('best-e2-0123abcd.bin') && !files.includes('best.json.tmp-mih2x1k0-1'), files.join(' '));
    assert.ok(files.includes('notes.txt'));
  }),
);
