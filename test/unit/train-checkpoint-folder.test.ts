// `nnmodel train` and the folder its checkpoints go to: a folder that cannot be written is
// said before any epoch is trained (it was found after the first epoch, as an "internal
// error" with a stack trace); a checkpoint that cannot be written mid-run stops training
// with a message saying which epoch's checkpoint is still there; and `--resume` without a
// checkpoint says it starts from the beginning instead of doing so silently; a run without
// `--resume` says which checkpoint its first epoch will replace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli as run, withWorkspace as inWorkspace } from '../fixtures/cli';
import { JobError, runTrainJob, writeEpochCheckpoint, type JobRequest } from '../../extension/cli/trainJob';
import type { CheckpointFs, EncodedCheckpoint, ModelJson } from '../../extension/core/runtime/checkpoint';

const withWorkspace = (files: Record<string, string>, body: (dir: string) => Promise<void>) => inWorkspace('nnmodel-ck-folder-', files, body);

const NET = `model Net {
  input x: [8, 8, 1]
  output x -> flatten -> dense(10) -> softmax
}

train Net {
  data: digits(samples = 40, size = 8)
  epochs: 2
  batch: 20
}
`;

test(
  'train with a checkpoint folder that cannot be written fails before the first epoch, as a user error',
  withWorkspace({ 'net.nnmodel': NET, 'taken': 'a file, not a folder' }, async (dir) => {
    const r = await run(dir, 'train', 'net.nnmodel', '--checkpoints', 'taken');
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /^nnmodel train: cannot write checkpoints in .*taken \(EEXIST[^)]*\); nothing was trained\. Give a folder that can be written with --checkpoints FOLDER\.$/m);
    assert.doesNotMatch(r.err, /internal error|\n\s+at /);
    // Nothing trained: no epoch line, and the start line is not printed either.
    assert.doesNotMatch(r.out, /epoch/);
    assert.doesNotMatch(r.err, /^training Net/m);

    const under = await run(dir, 'train', 'net.nnmodel', '--checkpoints', 'taken/sub');
    assert.equal(under.code, 1, under.err);
    assert.match(under.err, /cannot write checkpoints in .*taken\/sub \(ENOTDIR/);
  }),
);

test(
  '--resume without a checkpoint says it trains from the start (and does)',
  withWorkspace({ 'net.nnmodel': NET }, async (dir) => {
    const r = await run(dir, 'train', 'net.nnmodel', '--resume', '--epochs', '1');
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^warning: --resume: there is no checkpoint of Net in .*\.nnmodel\/net\/Net to continue; training from the start\.$/m);
    assert.match(r.out, /^epoch 1\/1 /m);
    // With the checkpoint there, --resume continues it and says nothing of the kind.
    const again = await run(dir, 'train', 'net.nnmodel', '--resume', '--epochs', '1');
    assert.equal(again.code, 0, again.err);
    assert.doesNotMatch(again.err, /no checkpoint/);
    assert.match(again.out, /^epoch 2\/2 /m);
  }),
);

test(
  'a run without --resume where a checkpoint is says it replaces it, and which epoch; --resume does not',
  withWorkspace({ 'net.nnmodel': NET }, async (dir) => {
    const first = await run(dir, 'train', 'net.nnmodel', '--epochs', '2');
    assert.equal(first.code, 0, first.err);
    assert.doesNotMatch(first.err, /holds a checkpoint/);
    const again = await run(dir, 'train', 'net.nnmodel', '--epochs', '1');
    assert.equal(again.code, 0, again.err);
    assert.match(
      again.err,
      /^warning: \S*\.nnmodel\/net\/Net holds a checkpoint of Net \(epoch 2\); this run starts from fresh weights and replaces it after its first epoch\. Stop now \(Ctrl-C\) to keep it; --resume continues it instead\.$/m,
    );
    // Said before the run starts, not after the checkpoint is gone.
    assert.ok(again.err.indexOf('holds a checkpoint') < again.err.indexOf('training Net'), again.err);
    assert.match(again.out, /^epoch 1\/1 /m);
    const resumed = await run(dir, 'train', 'net.nnmodel', '--resume', '--epochs', '1');
    assert.equal(resumed.code, 0, resumed.err);
    assert.doesNotMatch(resumed.err, /holds a checkpoint/);
  }),
);

function fakeCheckpoint(epoch: number): EncodedCheckpoint {
  const modelJson = { nnmodel: { epoch } } as unknown as ModelJson;
  return { modelJson, weights: new Uint8Array(8), weightsFile: `weights-e${epoch}-00000000.bin` } as EncodedCheckpoint;
}

test('a checkpoint write that fails (disk full) stops the run with the epoch still on disk, not an internal error', async () => {
  const full: CheckpointFs = {
    mkdir: async () => undefined,
    writeFile: async () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    },
    readFile: async () => new Uint8Array(0),
    rename: async () => undefined,
    remove: async () => undefined,
    list: async () => [],
  };
  await assert.rejects(writeEpochCheckpoint(full, '/ck', fakeCheckpoint(3), 2), (e: unknown) => {
    assert.ok(e instanceof JobError, String(e));
    assert.equal(
      e.message,
      'training stopped after epoch 3: its checkpoint could not be written in /ck (ENOSPC: no space left on device, write); the checkpoint of epoch 2 is still there.',
    );
    return true;
  });
  await assert.rejects(writeEpochCheckpoint(full, '/ck', fakeCheckpoint(1), undefined), /after epoch 1: .*; no checkpoint of this run was written\.$/);
});

test(
  'a checkpoint folder that goes away during a run stops training with a user error after that epoch',
  withWorkspace({ 'net.nnmodel': NET }, async (dir) => {
    const req: JobRequest = { file: join(dir, 'net.nnmodel'), roots: [], backend: 'wasm', resume: false };
    const epochs: number[] = [];
    await assert.rejects(
      runTrainJob(
        req,
        {
          onEpoch: (l) => void epochs.push(l.epoch),
          // After epoch 1's checkpoint the folder is moved away and a file takes its place.
          onCheckpoint: (ck, epoch) => {
            if (epoch !== 1) return;
            renameSync(ck, `${ck}-moved`);
            writeFileSync(ck, 'in the way');
          },
        },
        { cancelled: false },
      ),
      (e: unknown) => {
        assert.ok(e instanceof JobError, String(e));
        assert.match(e.message, /^training stopped after epoch 2: its checkpoint could not be written in .*Net \(E[A-Z]+: [^)]*\); the checkpoint of epoch 1 is still there\.$/);
        return true;
      },
    );
    assert.deepEqual(epochs, [1, 2]);
    assert.ok(existsSync(join(dir, '.nnmodel', 'net', 'Net-moved', 'model.json')));
  }),
);
