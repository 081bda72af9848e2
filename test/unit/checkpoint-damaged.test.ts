// A damaged last checkpoint gave no way forward: evaluate, train --resume, export --weights and generate said
// "its checksum does not match model.json; the checkpoint is damaged" without the intact best beside it or that
// training without --resume starts over; a fresh train still offered "--resume continues it instead"; and
// export --weights exited 2 where evaluate and train exit 1 (a checkpoint a command cannot use is a problem, 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel } from '../../extension/core/runtime/build';
import { DamagedCheckpointError, damagedRemedy, encodeCheckpoint, restoreOptimizerState, setCheckpointsAside, tidyCheckpointFolder, type CheckpointFs } from '../../extension/core/runtime/checkpoint';
import { nodeCheckpointFs } from '../../extension/core/runtime/nodeFs';
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

test(
  'a damaged last checkpoint: every command names the intact best and that training afresh starts over; exit 1 throughout',
  { timeout: 120_000 },
  withWorkspace('nnmodel-damaged-', { 'm.nnmodel': MODEL }, async (root) => {
    const trained = await runCli(root, 'train', 'm.nnmodel', '--backend', 'cpu');
    assert.equal(trained.code, 0, trained.err);
    const ck = join(root, '.nnmodel', 'm', 'Net');
    const bin = readdirSync(ck).find((f) => f.startsWith('weights-'))!;
    const bytes = readFileSync(join(ck, bin));
    bytes[10] ^= 0xff;
    writeFileSync(join(ck, bin), bytes);
    const damaged = new RegExp(`${bin.replace(/\./g, '\\.')}: its checksum does not match model\\.json; the checkpoint is damaged\\. `);

    const evaluate = await runCli(root, 'evaluate', 'm.nnmodel', '--backend', 'cpu');
    assert.equal(evaluate.code, 1, evaluate.err);
    assert.match(evaluate.err, damaged);
    assert.match(evaluate.err, /damaged\. The best checkpoint \(epoch 1\) is intact: --checkpoint best reads it; training without --resume starts over and replaces it\.$/m);
    const best = await runCli(root, 'evaluate', 'm.nnmodel', '--backend', 'cpu', '--checkpoint', 'best');
    assert.equal(best.code, 0, best.err);

    const resume = await runCli(root, 'train', 'm.nnmodel', '--backend', 'cpu', '--resume');
    assert.equal(resume.code, 1, resume.err);
    assert.match(resume.err, /damaged\. The best checkpoint \(epoch 1\) is intact: evaluate, generate and export read it with --checkpoint best; training without --resume starts over and replaces it\.$/m);

    const exported = await runCli(root, 'export', 'm.nnmodel', '--out', 'm.py', '--weights', '.nnmodel/m/Net');
    assert.equal(exported.code, 1, exported.err);
    assert.match(exported.err, /damaged\. The best checkpoint \(epoch 1\) is intact: --checkpoint best reads it;/);
    const missing = await runCli(root, 'export', 'm.nnmodel', '--out', 'm.py', '--weights', 'nowhere');
    assert.equal(missing.code, 2, 'a folder named on the command line that holds nothing cannot be read: usage, 2');

    // A fresh run does not offer --resume for a checkpoint that cannot be continued, and says the best goes too.
    const fresh = await runCli(root, 'train', 'm.nnmodel', '--backend', 'cpu');
    assert.equal(fresh.code, 0, fresh.err);
    assert.doesNotMatch(fresh.err, /--resume continues it/);
    assert.match(
      fresh.err,
      new RegExp(`^warning: .*Net holds a damaged checkpoint of Net \\(epoch 1: ${bin.replace(/\./g, '\\.')}: its checksum does not match model\\.json\\), which cannot be continued; this run starts from fresh weights and replaces it after its first epoch, and its intact best checkpoint \\(epoch 1\\) too\\. Stop now \\(Ctrl-C\\) to keep the best`, 'm'),
    );
  }),
);

test('the way forward in the editor\'s words (Evaluate and Generate Text run the same jobs over IPC), and without an intact other checkpoint', () => {
  const last = new DamagedCheckpointError('x: damaged.', 'last', { which: 'best', epoch: 4 });
  assert.equal(
    damagedRemedy(last, 'editor'),
    'The best checkpoint (epoch 4) is intact: pick it when asked which checkpoint; Train Model offers to continue from the best or to start over, setting the damaged files aside.',
  );
  assert.equal(damagedRemedy(new DamagedCheckpointError('x', 'last'), 'cli'), 'Training without --resume starts over and replaces it.');
  assert.equal(
    damagedRemedy(new DamagedCheckpointError('x', 'best', { which: 'last', epoch: 9 }), 'cli'),
    'The last checkpoint (epoch 9) is intact: --checkpoint last reads it; the next training with validation data writes a new best.',
  );
});

test(
  "setting a damaged checkpoint aside (Train Model's choices) moves its JSON and nnmodel's files of its kind into a new folder, nothing else",
  withWorkspace('nnmodel-aside-', {}, async (root) => {
    const dir = join(root, 'ck');
    mkdirSync(dir);
    const last = ['model.json', 'weights-e3-0123abcd.bin', 'weights-e2-89abcdef.bin', 'optimizer-e3-0123abcd.bin'];
    const best = ['best.json', 'best-e2-89abcdef.bin'];
    const users = ['notes.txt', 'weights-final.bin', 'training.lock'];
    for (const f of [...last, ...best, ...users]) writeFileSync(join(dir, f), f);
    const now = new Date('2026-11-29T12:34:56.789Z');
    const first = await setCheckpointsAside(nodeCheckpointFs(), dir, ['last'], now);
    assert.deepEqual({ ...first, files: [...first.files].sort() }, { folder: 'set-aside-2026-11-29T12-34-56', files: [...last].sort() });
    assert.equal(first.files[0], 'model.json', 'the JSON first: the folder stops offering the checkpoint at once');
    assert.deepEqual(readdirSync(join(dir, first.folder)).sort(), [...last].sort());
    assert.equal(readFileSync(join(dir, first.folder, 'model.json'), 'utf8'), 'model.json');
    // The same second again: a folder of its own.
    const second = await setCheckpointsAside(nodeCheckpointFs(), dir, ['last', 'best'], now);
    assert.deepEqual(second, { folder: 'set-aside-2026-11-29T12-34-56-2', files: best });
    assert.deepEqual(readdirSync(dir).sort(), [...users, first.folder, second.folder].sort());
  }),
);

test(
  'a move that fails while a checkpoint is set aside puts back what was moved: a checkpoint left without its JSON would lose its files to the next tidy-up',
  withWorkspace('nnmodel-aside-fails-', {}, async (root) => {
    const dir = join(root, 'ck');
    mkdirSync(dir);
    const weights = 'weights-e3-0123abcd.bin';
    const optimizer = 'optimizer-e3-0123abcd.bin';
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ weightsManifest: [{ paths: [weights], weights: [] }], nnmodel: { epoch: 3, optimizer: { file: optimizer } } }));
    for (const f of [weights, optimizer]) writeFileSync(join(dir, f), f);
    const before = readdirSync(dir).sort();
    const real = nodeCheckpointFs();
    let moves = 0;
    // The second move fails (on Windows, a file another program holds open), when model.json has gone already.
    const failing: CheckpointFs = {
      ...real,
      rename: async (from, to) => {
        if (++moves === 2) throw Object.assign(new Error(`EBUSY: resource busy or locked, rename '${from}'`), { code: 'EBUSY' });
        await real.rename(from, to);
      },
    };
    await assert.rejects(setCheckpointsAside(failing, dir, ['last'], new Date('2026-11-29T12:34:56.789Z')), /^Error: EBUSY/);
    assert.deepEqual(readdirSync(dir).sort(), before, 'the folder as it was: every file back, no subfolder');
    // Without its model.json, the next training's tidy-up took the weights and optimizer files for leftovers.
    assert.deepEqual(await tidyCheckpointFolder(real, dir), []);
  }),
);

test('continuing from a best checkpoint (which keeps no optimizer state): the optimizer starts afresh, said why', async () => {
  const info = analyze(MODEL).models[0];
  const built = buildModel(tf, info, { seed: 1 });
  const ck = await encodeCheckpoint(built, { model: 'Net', epoch: 2, history: [] });
  const config = { kind: 'adam' as const, lr: 0.001 };
  const r = await restoreOptimizerState(tf, tf.train.adam(0.001), config, built, ck.modelJson, undefined, 'the best checkpoint (epoch 2) keeps no optimizer state');
  assert.equal(r.restored, false);
  assert.match(r.message ?? '', /^the best checkpoint \(epoch 2\) keeps no optimizer state; adam\(lr = 0\.001, beta1 = 0\.9\) starts afresh from the weights of epoch 2\.$/);
  // Without a reason: a checkpoint written before nnmodel saved the state, as before.
  const old = await restoreOptimizerState(tf, tf.train.adam(0.001), config, built, ck.modelJson, undefined);
  assert.match(old.message ?? '', /^the checkpoint of epoch 2 has no optimizer state \(written before nnmodel saved it\);/);
});
