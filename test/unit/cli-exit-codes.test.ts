// One exit-code scheme for every `nnmodel` subcommand (`nnmodel --help` lists it, command.ts EXIT):
// 0 done; 1 problems found in the input (errors in the file, data or a checkpoint a job cannot use);
// 2 bad usage (unknown option, no FILE, `--model` naming no model of FILE) or a FILE that cannot be
// read; 130 stopped with Ctrl-C. It was not one scheme: `train FILE --model Nope` exited 1 while
// `summary FILE --model Nope` exited 2, and `train missing.nnmodel` (evaluate, generate, forecast too)
// crashed with ENOENT and a stack trace instead of saying the file cannot be read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli as run, withWorkspace as inWorkspace } from '../fixtures/cli';

const withWorkspace = (files: Record<string, string>, body: (dir: string) => Promise<void>) => inWorkspace('nnmodel-exit-codes-', files, body);

const GOOD = `model M {
  input x: [28, 28, 1]
  output x -> flatten -> dense(10) -> softmax
}

train M {
  data: digits(samples = 40)
  epochs: 1
}
`;

// An error in the model itself (an unknown layer), which every command that reads the model stops on.
const BROKEN = GOOD.replace('-> softmax', '-> softmaxx');

// Every command with the files it takes; `--model` only where the command has the option.
const COMMANDS: { name: string; model: boolean }[] = [
  { name: 'check', model: false },
  { name: 'summary', model: true },
  { name: 'format', model: false },
  { name: 'export', model: true },
  { name: 'train', model: true },
  { name: 'evaluate', model: true },
  { name: 'generate', model: true },
  { name: 'forecast', model: true },
];

for (const c of COMMANDS) {
  test(
    `nnmodel ${c.name}: 2 for bad usage and an unreadable FILE${c.model ? ' and --model naming no model' : ''}, 1 for errors in the file`,
    withWorkspace({ 'g.nnmodel': GOOD, 'b.nnmodel': BROKEN }, async (dir) => {
      const usage = new RegExp(`^Usage: nnmodel ${c.name} `, 'm');

      const option = await run(dir, c.name, 'g.nnmodel', '--nope');
      assert.equal(option.code, 2, option.err);
      assert.match(option.err, new RegExp(`^nnmodel ${c.name}: unknown option '--nope'`));
      assert.match(option.err, usage);

      const none = await run(dir, c.name);
      assert.equal(none.code, 2, none.err);
      assert.match(none.err, usage);

      // As check says it, with the path as given: no crash, no stack.
      const missing = await run(dir, c.name, 'missing.nnmodel');
      assert.equal(missing.code, 2, missing.err);
      assert.match(missing.err, /^missing\.nnmodel: cannot read: no such file$/m);
      assert.doesNotMatch(missing.err, /ENOENT|\n\s+at /);

      const model = await run(dir, c.name, 'g.nnmodel', '--model', 'Nope');
      assert.equal(model.code, 2, model.err);
      if (c.model) {
        assert.match(model.err, new RegExp(`^nnmodel ${c.name}: no model 'Nope' in \\S*g\\.nnmodel \\(models: M\\)$`, 'm'));
        assert.match(model.err, usage);
      } else assert.match(model.err, /unknown option '--model'/);

      // format reads the syntax only: an unknown layer is not its business.
      const broken = await run(dir, c.name, 'b.nnmodel', ...(c.name === 'format' ? ['--check'] : []));
      if (c.name === 'format') assert.equal(broken.code, (await run(dir, 'format', '--check', 'g.nnmodel')).code, broken.err);
      else {
        assert.equal(broken.code, 1, broken.err);
        assert.match(broken.out + broken.err, /b\.nnmodel:3:39: error name\.unknown_layer /);
      }
    }),
  );
}

test(
  'nnmodel format: 1 for a syntax error, 2 for a FILE that cannot be read even beside a good one',
  withWorkspace({ 'g.nnmodel': GOOD, 's.nnmodel': 'model M {\n  input x: [4]\n  output x -> dense(\n}\n' }, async (dir) => {
    const syntax = await run(dir, 'format', 's.nnmodel');
    assert.equal(syntax.code, 1, syntax.err);
    const mixed = await run(dir, 'format', '--check', 'g.nnmodel', 'missing.nnmodel');
    assert.equal(mixed.code, 2, mixed.err);
  }),
);

test(
  'nnmodel train: 1 when the data it names cannot be used or the file trains nothing; 2 when --model is needed; 130 on Ctrl-C',
  withWorkspace(
    {
      'g.nnmodel': GOOD,
      'csv.nnmodel': 'model V {\n  input x: [3]\n  output x -> dense(2) -> softmax\n}\n\ntrain V {\n  data: csv("nope.csv")\n}\n',
      'none.nnmodel': 'model M {\n  input x: [4]\n  output x -> dense(2)\n}\n',
      'two.nnmodel': `${GOOD}\nmodel N {\n  input x: [28, 28, 1]\n  output x -> flatten -> dense(10) -> softmax\n}\n\ntrain N {\n  data: digits(samples = 40)\n}\n`,
    },
    async (dir) => {
      const data = await run(dir, 'train', 'csv.nnmodel');
      assert.equal(data.code, 1, data.err);
      assert.match(data.err, /^nnmodel train: .*nope\.csv/m);

      const nothing = await run(dir, 'train', 'none.nnmodel');
      assert.equal(nothing.code, 1, nothing.err);
      assert.match(nothing.err, /has no train section/);

      const two = await run(dir, 'train', 'two.nnmodel');
      assert.equal(two.code, 2, two.err);
      assert.match(two.err, /trains M, N; choose one with --model/);
      assert.match(two.err, /^Usage: nnmodel train /m);

      // A checkpoint that is not there is a problem of the input: 1, not usage.
      const evaluate = await run(dir, 'evaluate', 'g.nnmodel', '--backend', 'cpu');
      assert.equal(evaluate.code, 1, evaluate.err);
      assert.match(evaluate.err, /no checkpoint for M/);

      const running = run(dir, 'train', 'g.nnmodel', '--backend', 'cpu');
      setImmediate(() => process.emit('SIGINT'));
      const stopped = await running;
      assert.equal(stopped.code, 130, stopped.err);
      assert.match(stopped.err, /^stopped/m);
    },
  ),
);
