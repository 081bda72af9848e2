// One training at a time per checkpoint folder (core/runtime/checkpointLock.ts). Two `nnmodel train` runs into the
// same folder broke each other: one died with a raw `ENOENT … rename 'model.json.tmp-…' -> 'model.json'` and then
// claimed its last checkpoint "is still there" while the folder held the other run's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { LOCK_FILE, CheckpointLockedError, acquireCheckpointLock } from '../../extension/core/runtime/checkpointLock';
import { runCli, withWorkspace } from '../fixtures/cli';

const opts = { command: 'nnmodel train m.nnmodel', elsewhere: 'train into another folder with --checkpoints DIR' };

test(
  'a second lock of a folder is refused naming the holder and the way out; released, the folder can be locked again',
  withWorkspace('nnmodel-lock-', {}, async (root) => {
    const dir = join(root, '.nnmodel', 'm', 'Net');
    const first = await acquireCheckpointLock(dir, opts);
    assert.equal(first.tookOver, undefined);
    const held = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
    assert.equal(held.pid, process.pid);
    // Held by this process (the extension host runs every Train Model of its window): refused, and deleting the lock is no advice.
    await assert.rejects(acquireCheckpointLock(dir, { ...opts, command: 'VS Code (Train Model)' }), (e: unknown) => {
      assert.ok(e instanceof CheckpointLockedError, String(e));
      assert.match(
        e.message,
        /^another training is writing checkpoints in .*Net: another run of this process \(nnmodel train m\.nnmodel, started .*\); nothing was trained\. Wait for it to end, or train into another folder with --checkpoints DIR\.$/,
      );
      return true;
    });
    await first.release();
    assert.ok(!existsSync(join(dir, LOCK_FILE)), 'released');
    await first.release(); // idempotent
    const second = await acquireCheckpointLock(dir, opts);
    await second.release();
  }),
);

test(
  "a lock whose process is gone is taken over and said; one of another host or still being written is not; release leaves another run's lock",
  withWorkspace('nnmodel-lock-', {}, async (root) => {
    const dir = join(root, 'ck');
    mkdirSync(dir, { recursive: true });
    const dead = { pid: 999999, host: hostname(), started: '2026-01-02T03:04:05.000Z', command: 'nnmodel train old.nnmodel', token: 'x' };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(dead));
    const lock = await acquireCheckpointLock(dir, { ...opts, alive: (pid) => pid !== 999999 });
    assert.match(lock.tookOver ?? '', /^took over .*training\.lock: its process 999999 \(nnmodel train old\.nnmodel, started .*\) is no longer running\.$/);
    // Someone deleted our lock and another run took the folder: our release does not remove theirs.
    const other = JSON.stringify({ ...dead, pid: process.pid, token: 'theirs' });
    writeFileSync(join(dir, LOCK_FILE), other);
    await lock.release();
    assert.equal(readFileSync(join(dir, LOCK_FILE), 'utf8'), other);

    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ ...dead, host: 'elsewhere' }));
    await assert.rejects(acquireCheckpointLock(dir, { ...opts, alive: () => false }), /process 999999 on elsewhere \(nnmodel train old\.nnmodel/);
    // Empty: its writer is between creating and writing it (young), or died there (old, taken over).
    writeFileSync(join(dir, LOCK_FILE), '');
    await assert.rejects(acquireCheckpointLock(dir, opts), /another training is writing checkpoints in .*: another process;/);
  }),
);

test(
  'of several runs taking over one stale lock at once, one gets the folder and the others are refused; nothing is left aside',
  withWorkspace('nnmodel-lock-race-', {}, async (root) => {
    for (let round = 0; round < 20; round++) {
      const dir = join(root, `ck${round}`);
      mkdirSync(dir, { recursive: true });
      const dead = { pid: 999999, host: hostname(), started: '2026-01-02T03:04:05.000Z', command: 'nnmodel train old.nnmodel', token: 'x' };
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify(dead));
      const tries = await Promise.allSettled([0, 1, 2].map(() => acquireCheckpointLock(dir, { ...opts, alive: (pid) => pid !== 999999 })));
      const won = tries.filter((t) => t.status === 'fulfilled');
      assert.equal(won.length, 1, `round ${round}: ${tries.map((t) => (t.status === 'fulfilled' ? 'took it' : String((t as PromiseRejectedResult).reason))).join(' | ')}`);
      for (const t of tries) if (t.status === 'rejected') assert.ok(t.reason instanceof CheckpointLockedError, String(t.reason));
      assert.deepEqual(readdirSync(dir), [LOCK_FILE], 'no stale lock left aside');
      await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireCheckpointLock>>>).value.release();
    }
  }),
);

test(
  "a lock naming this process's pid: taken over when it is older than this process (an earlier process had the pid, as a container's CLI has at every start); refused when this process holds it or took it since it started",
  withWorkspace('nnmodel-lock-pid-', {}, async (root) => {
    const dir = join(root, 'ck');
    mkdirSync(dir, { recursive: true });
    // Left by a run killed before this process started, whose pid this process has now.
    const earlier = { pid: process.pid, host: hostname(), started: '2026-01-02T03:04:05.000Z', command: 'nnmodel train old.nnmodel', token: `${process.pid}-old-0` };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(earlier));
    const lock = await acquireCheckpointLock(dir, opts);
    assert.match(lock.tookOver ?? '', new RegExp(`^took over .*training\\.lock: its process ${process.pid} \\(nnmodel train old\\.nnmodel, started .*\\) ended before this process \\(pid ${process.pid} too\\) started\\.$`));
    assert.match(readFileSync(join(dir, LOCK_FILE), 'utf8'), new RegExp(`"command":"nnmodel train m\\.nnmodel"`));

    // This process's own lock, however old its start reads (a clock set forward, a machine woken from sleep): refused.
    const mine = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ ...mine, started: earlier.started }));
    await assert.rejects(acquireCheckpointLock(dir, opts), /: another run of this process \(nnmodel train m\.nnmodel, started /);
    await lock.release();
    assert.ok(!existsSync(join(dir, LOCK_FILE)), 'released');

    // Our pid, not ours, taken since this process started: not provably older, so not taken over.
    const since = { ...earlier, started: new Date().toISOString(), token: 'another copy' };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(since));
    await assert.rejects(acquireCheckpointLock(dir, opts), new RegExp(`: process ${process.pid} \\(nnmodel train old\\.nnmodel, started [^)]*\\); nothing was trained\\. .*delete .*training\\.lock\\.\\)$`));
  }),
);

const MODEL = `model Net {
  input x: [28, 28, 1]
  output x -> flatten -> dense(10) -> softmax
}

train Net {
  data: digits(samples = 40)
  epochs: 2
  validation: 0.2
}
`;

test(
  'two trainings into one folder: the second is refused up front (exit 1), the first trains, and the folder is left without a lock',
  { timeout: 120_000 },
  withWorkspace('nnmodel-lock-cli-', { 'm.nnmodel': MODEL }, async (root) => {
    const [a, b] = await Promise.all([runCli(root, 'train', 'm.nnmodel', '--backend', 'cpu'), runCli(root, 'train', 'm.nnmodel', '--backend', 'cpu')]);
    const [won, refused] = a.code === 0 ? [a, b] : [b, a];
    assert.equal(won.code, 0, won.err);
    assert.equal(refused.code, 1, refused.err);
    assert.match(
      refused.err,
      // runCli runs both in this process: the holder is another run of it (two processes name its pid).
      /^nnmodel train: another training is writing checkpoints in .*\.nnmodel\/m\/Net: another run of this process \(nnmodel train m\.nnmodel, started [^)]*\); nothing was trained\. Wait for it to end, or train into another folder with --checkpoints DIR\./m,
    );
    assert.equal(refused.out, '', 'no epoch trained');
    assert.match(won.out, /^epoch 2\/2 /m);
    const files = readdirSync(join(root, '.nnmodel', 'm', 'Net'));
    assert.ok(!files.includes(LOCK_FILE), files.join(' '));
    assert.ok(files.includes('model.json'));
    // Afterwards the folder is free: resuming works.
    const again = await runCli(root, 'train', 'm.nnmodel', '--backend', 'cpu', '--resume', '--epochs', '1');
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /^epoch 3\/3 /m);
  }),
);
