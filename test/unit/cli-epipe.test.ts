// `nnmodel train m.nnmodel 2>&1 | head -1`: the reader closes the pipe while training still writes to stderr. The
// command must end as on a closed stdout (exit through process.exit, not a crash on EPIPE), so that its exit
// handlers run and the checkpoint folder's lock is released. Runs the real entry point (extension/cli/main.ts) in a
// child process: this file re-runs itself as that child.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE } from '../../extension/core/runtime/checkpointLock';

const CHILD = 'NNMODEL_EPIPE_CHILD';

if (process.env[CHILD]) {
  process.argv = [process.argv[0], 'nnmodel', ...(JSON.parse(process.env[CHILD]) as string[])];
  require('../../extension/cli/main');
} else {
  test('a training whose stderr pipe closes early exits cleanly and leaves no lock in its checkpoint folder', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nnmodel-epipe-'));
    try {
      writeFileSync(
        join(dir, 'm.nnmodel'),
        'model Net {\n  input x: [8, 8, 1]\n  output x -> flatten -> dense(10) -> softmax\n}\n\ntrain Net {\n  data: digits(samples = 64)\n  epochs: 6\n  batch: 16\n}\n',
      );
      const child = spawn(process.execPath, [__filename], {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, [CHILD]: JSON.stringify(['train', 'm.nnmodel', '--backend', 'cpu']) },
      });
      // Like `head -1`: the first line of stderr, then the pipe is closed.
      await new Promise<void>((resolve) => {
        let seen = '';
        child.stderr!.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes('\n')) {
            child.stderr!.destroy();
            resolve();
          }
        });
        child.once('exit', () => resolve());
      });
      const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (c) => resolve(c))));
      assert.equal(code, 0, 'EPIPE on stderr is not a crash');
      assert.equal(existsSync(join(dir, '.nnmodel', 'm', 'Net', LOCK_FILE)), false, 'the lock is released');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
