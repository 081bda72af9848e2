// `-` as FILE: standard input, for editors and pipes (`nnmodel format - < a.nnmodel`, `... | nnmodel check -`).
// The command runs in a child process (this file again, told so by its environment) whose stdin is a pipe from the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../extension/cli/cli';
import { runCli, withWorkspace } from '../fixtures/cli';

const CHILD = 'NNMODEL_TEST_CLI_ARGV';

function piped(cwd: string, input: string, ...argv: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [__filename], { cwd, input, encoding: 'utf8', env: { ...process.env, [CHILD]: JSON.stringify(argv) }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const MESSY = 'model M {\n  input x: [4]\n     output x->dense(0)\n}\n';

if (process.env[CHILD]) {
  void main(JSON.parse(process.env[CHILD]!) as string[], { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t) }).then((code) => {
    process.exitCode = code;
  });
} else {
  test(
    'check - and summary - read standard input, name it <stdin>, and resolve its imports from the working folder',
    withWorkspace('nnmodel-stdin-', { 'blocks.nnmodel': 'block twice(n) {\n  input x\n  output x -> dense(n) -> dense(n)\n}\n' }, async (dir) => {
      const c = piped(dir, MESSY, 'check', '-');
      assert.equal(c.code, 1, c.err);
      assert.equal(c.out, "<stdin>:3:22: error arg.range dense's 'units' must be at least 1; got 0.\n1 error in 1 file\n");
      const ok = 'import "blocks.nnmodel"\nmodel M {\n  input x: [4]\n  output x -> twice(3)\n}\n';
      const s = piped(dir, ok, 'summary', '-', '--json');
      assert.equal(s.code, 0, s.err);
      assert.equal(JSON.parse(s.out).models[0].params.total, 4 * 3 + 3 + 3 * 3 + 3);
      assert.match(piped(dir, ok, 'summary', '-').out, /^M {2}\(<stdin>:2\)$/m);
      // Given twice, read once.
      assert.equal(piped(dir, MESSY, 'check', '-', '-').out.split('\n').filter((l) => l.startsWith('<stdin>')).length, 1);
      // A file named '-' is another input than standard input.
      writeFileSync(join(dir, '-'), MESSY.replace('dense(0)', 'dens(2)'));
      const both = piped(dir, ok, 'check', '-', './-');
      assert.equal(both.code, 1, both.err);
      assert.match(both.out, /^\.\/-:3:\d+: error name\.unknown_layer /m);
      assert.match(both.out, /in 2 files$/m);
      // A missing import says where standard input's imports are looked for; a file's say 'this file'.
      const missing = 'import "nope.nnmodel"\nmodel M {\n  input x: [4]\n  output x\n}\n';
      assert.match(piped(dir, missing, 'check', '-').out, /^<stdin>:1:8: error import\.not_found cannot find 'nope\.nnmodel' \(paths are relative to the working directory: standard input has no folder\)\.$/m);
      writeFileSync(join(dir, 'm.nnmodel'), missing);
      assert.match(piped(dir, '', 'check', 'm.nnmodel').out, /^m\.nnmodel:1:8: error import\.not_found cannot find 'nope\.nnmodel' \(paths are relative to this file\)\.$/m);
    }),
  );

  test(
    'format - writes the formatted text to standard output; text it cannot format goes back unchanged, with the errors on stderr',
    withWorkspace('nnmodel-stdin-', { 'a.nnmodel': MESSY }, async (dir) => {
      const f = piped(dir, MESSY, 'format', '-');
      assert.equal(f.code, 0, f.err);
      assert.equal(f.out, 'model M {\n  input x: [4]\n  output x -> dense(0)\n}\n');
      assert.equal(f.err, '');
      // A byte-order mark read is written back (formatted, and unchanged with syntax errors).
      assert.equal(piped(dir, '\ufeff' + MESSY, 'format', '-').out, '\ufeffmodel M {\n  input x: [4]\n  output x -> dense(0)\n}\n');
      assert.equal(piped(dir, '\ufeffmodel M {\n  input x: [4\n}\n', 'format', '-').out, '\ufeffmodel M {\n  input x: [4\n}\n');
      const broken = 'model M {\n  input x: [4\n}\n';
      const b = piped(dir, broken, 'format', '-');
      assert.equal(b.code, 1);
      assert.equal(b.out, broken);
      assert.match(b.err, /^<stdin>:2:14: error syntax\.unclosed /m);
      assert.match(b.err, /not formatting <stdin>: it has 1 syntax error; written back unchanged/);
      const k = piped(dir, MESSY, 'format', '--check', '-');
      assert.equal(k.code, 1);
      assert.match(k.out, /^would reformat <stdin>$/m);
      // With another FILE, its "formatted a.nnmodel" line would mix with the text: refused.
      const both = await runCli(dir, 'format', '-', 'a.nnmodel');
      assert.equal(both.code, 2);
      assert.match(both.err, /give '-' alone, or use --check/);
    }),
  );

  test(
    'train, evaluate, generate and forecast refuse - (their checkpoints and data are beside a file on disk), without a crash',
    withWorkspace('nnmodel-stdin-', {}, async (dir) => {
      for (const command of ['train', 'evaluate', 'generate', 'forecast']) {
        const r = await runCli(dir, command, '-');
        assert.equal(r.code, 2, command);
        assert.match(r.err, /needs a FILE on disk \(its checkpoints and data are beside it\); '-' \(standard input\) is for check, summary, format and export/, command);
        assert.doesNotMatch(r.err, /internal error/);
      }
    }),
  );
}
