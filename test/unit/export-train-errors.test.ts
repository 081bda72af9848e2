// `nnmodel export` of a file whose only errors are in a train section: the model is fine and the
// exported file has no training code (no optimizer, loss, batch size or data loading), so it is
// exported, with each error as a warning where check prints it and one warning per section saying
// what of it the file lacks (the docstring note on its CSV or image data). It was refused:
// "not exporting t.nnmodel: it has 2 errors", exit 1. A syntax error is still refused, saying why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli as run, withWorkspace as inWorkspace } from '../fixtures/cli';
import { analyze } from '../../extension/core/analysis/analyze';
import { exportPyTorch, splitTrainSectionErrors } from '../../extension/core/export/pytorch';

const withWorkspace = (files: Record<string, string>, body: (dir: string) => Promise<void>) => inWorkspace('nnmodel-export-train-', files, body);

const MODEL = `model M {
  input x: [4]
  output x -> dense(8) -> relu -> dense(3) -> softmax
}
`;

const GOOD_TRAIN = `${MODEL}
train M {
  data: csv("fruit.csv", label = "kind")
}
`;

const BAD_TRAIN = `${MODEL}
train M {
  data: csv("fruit.csv", label = "kind")
  optimizer: adamw(lr = 1e-3)
  batch: 0
}

train Nope {
  data: digits()
}
`;

test(
  'export: errors only in train sections are warnings at file:line:col, the model is exported, and the section is said to be left out',
  withWorkspace({ 'good.nnmodel': GOOD_TRAIN, 't.nnmodel': BAD_TRAIN }, async (dir) => {
    const check = await run(dir, 'check', 't.nnmodel');
    assert.equal(check.code, 1);
    const errors = check.out.split('\n').filter((l) => /: error /.test(l));
    assert.equal(errors.length, 3, check.out);

    const r = await run(dir, 'export', 't.nnmodel', '--out', 't.py');
    assert.equal(r.code, 0, r.err);
    assert.ok(existsSync(join(dir, 't.py')));
    const lines = r.err.trimEnd().split('\n');
    // check's lines, as warnings, in order, each followed by its section's summary.
    assert.equal(lines[0], errors[0].replace(': error ', ': warning '));
    assert.equal(lines[1], errors[1].replace(': error ', ': warning '));
    assert.match(lines[0], /^t\.nnmodel:8:14: warning train\.bad_optimizer /);
    assert.match(lines[1], /^t\.nnmodel:9:10: warning train\.bad_value /);
    assert.match(
      lines[2],
      /^t\.nnmodel:6:1: warning export M: its train section has 2 errors \(above\), which do not stop the export: the PyTorch file has no training code \(optimizer, loss, batch size, data loading\) for them to break; left out: the docstring note on what the section's data, csv\("fruit\.csv"\), gives M\. nnmodel train needs them fixed$/,
    );
    assert.equal(lines[3], errors[2].replace(': error ', ': warning '));
    assert.match(lines[4], /^t\.nnmodel:12:1: warning export: the train section of 'Nope' has 1 error \(above\); it trains no model exported here, so the export does not use it$/);
    assert.match(lines[5], /^wrote t\.py \(1 model: M\)$/);

    // The same model as from a file without the errors, less the docstring drawn from the broken section.
    const good = await run(dir, 'export', 'good.nnmodel');
    assert.equal(good.code, 0, good.err);
    assert.match(good.out, /Its train section reads csv\("fruit\.csv"\)/);
    const code = readFileSync(join(dir, 't.py'), 'utf8');
    assert.doesNotMatch(code, /Its train section reads/);
    assert.match(code, /^class M\(nn\.Module\):/m);
  }),
);

test(
  'export: a model error beside train-section errors, or a syntax error in a train section, still refuses the file',
  withWorkspace(
    {
      'both.nnmodel': BAD_TRAIN.replace('-> softmax', '-> softmaxx'),
      'syntax.nnmodel': `${MODEL}\ntrain M {\n  batch: (\n}\n`,
    },
    async (dir) => {
      const both = await run(dir, 'export', 'both.nnmodel');
      assert.equal(both.code, 1, both.err);
      assert.match(both.err, /^both\.nnmodel:3:47: error name\.unknown_layer /m);
      assert.match(both.err, /^both\.nnmodel:8:14: error train\.bad_optimizer /m);
      assert.match(both.err, /^nnmodel: not exporting both\.nnmodel: it has 4 errors$/m);
      assert.equal(both.out, '');

      const syntax = await run(dir, 'export', 'syntax.nnmodel');
      assert.equal(syntax.code, 1, syntax.err);
      assert.match(syntax.err, /^syntax\.nnmodel:\d+:\d+: error syntax\.\w+ /m);
      assert.match(syntax.err, /not exporting syntax\.nnmodel: it has 1 error \(a syntax error is never skipped, even in a train section: the text after it may not be read as written\)$/m);
    },
  ),
);

test('exportPyTorch: train-section errors refuse by default and are listed in skipped with trainSectionErrors: skip', () => {
  const analysis = analyze(BAD_TRAIN);
  const split = splitTrainSectionErrors(analysis);
  assert.deepEqual(
    split.train.map((t) => [t.model, t.diagnostic.code]),
    [
      ['M', 'train.bad_optimizer'],
      ['M', 'train.bad_value'],
      ['Nope', 'train.unknown_model'],
    ],
  );
  assert.deepEqual(split.rest, []);
  assert.equal(exportPyTorch(analysis).ok, false, 'the editor command keeps refusing unless it asks');
  const r = exportPyTorch(analysis, { trainSectionErrors: 'skip' });
  assert.ok(r.ok);
  assert.equal(r.skipped?.length, 3);
  // Without errors there is nothing to skip.
  const clean = exportPyTorch(analyze(GOOD_TRAIN), { trainSectionErrors: 'skip' });
  assert.ok(clean.ok);
  assert.equal(clean.skipped, undefined);
});
