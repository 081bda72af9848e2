// `nnmodel train` (and evaluate, generate) on a file whose errors stop the model: every such
// error is printed as `nnmodel check` prints it, `file:line:col: error code message`, one a line,
// so editors and CI can parse them. (It printed the first one only, without its severity and
// code, followed by "(and 1 more problems)" and a stray ".;".)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli as run, withWorkspace as inWorkspace } from '../fixtures/cli';

const withWorkspace = (files: Record<string, string>, body: (dir: string) => Promise<void>) => inWorkspace('nnmodel-train-errors-', files, body);

const TWO_ERRORS = `model M {
  input x: [28, 28, 1]
  output x -> flatten -> dense(10) -> softmax
}

train M {
  data: digits(samples = 100)
  optimizer: adamw(lr = 1e-3)
  batch: 0
}
`;

test(
  'train prints every error that stops the model in the check format, after one line saying how many',
  withWorkspace({ 'm.nnmodel': TWO_ERRORS }, async (dir) => {
    const check = await run(dir, 'check', 'm.nnmodel');
    assert.equal(check.code, 1);
    const checked = check.out.split('\n').filter((l) => /: error /.test(l));
    assert.equal(checked.length, 2, check.out);

    const t = await run(dir, 'train', 'm.nnmodel');
    assert.equal(t.code, 1, t.err);
    const lines = t.err.trimEnd().split('\n');
    assert.match(lines[0], /^nnmodel train: 'M' cannot run: \S*m\.nnmodel has 2 errors; fix them first:$/);
    // The same lines as check's, with the path as train was given it resolved.
    assert.equal(lines.length, 3, t.err);
    lines.slice(1).forEach((l, i) => assert.ok(l.endsWith(checked[i]), `${l}\n!~ ${checked[i]}`));
    assert.match(lines[1], /m\.nnmodel:8:14: error train\.bad_optimizer /);
    assert.match(lines[2], /m\.nnmodel:9:10: error train\.bad_value /);
    assert.doesNotMatch(t.err, /more problems|\.;/);
    assert.equal(t.out, '');

    const one = await run(dir, 'evaluate', 'm.nnmodel');
    assert.equal(one.code, 1);
    assert.match(one.err, /^nnmodel evaluate: 'M' cannot run: \S*m\.nnmodel has 2 errors; fix them first:$/m);
  }),
);
