/**
 * The command line lists each problem once: the hints that mark, in the
 * editor, an unknown name's later uses are not printed or counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { runCli, withWorkspace } from '../fixtures/cli';

const TEXT = 'model M {\n  input x: [8]\n  y = x -> dens(4)\n  z = y -> dens(4) -> relu\n  output z + foo + foo\n}\n';

test(
  'nnmodel check prints an unknown name once, not the hints at its later uses',
  withWorkspace('nnmodel-hints-', { 'm.nnmodel': TEXT }, async (dir) => {
    // The editor has them: one per later use.
    assert.deepEqual(analyze(TEXT).diagnostics.map((d) => d.severity), ['error', 'hint', 'error', 'hint']);
    const r = await runCli(dir, 'check', 'm.nnmodel');
    assert.equal(r.code, 1);
    assert.deepEqual(r.out.trim().split('\n'), [
      "m.nnmodel:3:12: error name.unknown_layer unknown layer or block 'dens'. Did you mean 'dense'?",
      "m.nnmodel:5:14: error name.unknown 'foo' is not defined here.",
      '2 errors in 1 file',
    ]);
  }),
);
