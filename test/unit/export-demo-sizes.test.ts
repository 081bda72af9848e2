// The demo of an exported file's `__main__` runs the model at sizes its layers take: a symbolic length read by a
// `positional` layer stays within its maxlen (the exported layer refuses a longer sequence), and the comment says
// how far each dimension may go instead of "any value works".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON, skipWithoutTorch } from '../fixtures/torch';
import { analyze } from '../../extension/core/analysis/analyze';
import { DEMO_DIM, exportPyTorch } from '../../extension/core/export/pytorch';

function mainOf(text: string): string {
  const r = exportPyTorch(analyze(text, {}));
  assert.ok(r.ok, r.ok ? '' : r.errors.map((e) => e.message).join('; '));
  return r.code.slice(r.code.indexOf('if __name__ == "__main__":'));
}

test('a length capped by a learned position table is lowered to its maxlen (n + 1 after a cls_token: maxlen − 1)', () => {
  assert.ok(DEMO_DIM > 8);
  const main = mainOf(`
model Short {
  input tokens: int[n]
  input other: int[k]
  x = tokens -> embedding(50, 8) -> cls_token -> positional(learned, maxlen = 8)
  y = other -> embedding(50, 8) -> positional(learned, maxlen = 512)
  output concat(x -> mean(0), y -> mean(0))
}
`);
  assert.match(main, /\n {4}n = 7 {2}# a symbolic dimension: any value up to 7 works \(maxlen of positional\(learned, maxlen = 8\), line 5\)/);
  assert.match(main, new RegExp(`\\n {4}k = ${DEMO_DIM} {2}# a symbolic dimension: any value up to 512 works \\(maxlen of positional\\(learned, maxlen = 512\\), line 6\\)`));
});

test('a length no layer caps keeps the demo size and "any value works"', () => {
  const main = mainOf(`
model Free {
  input x: [seq, 4]
  output x -> lstm(8)
}
`);
  assert.match(main, new RegExp(`\\n {4}seq = ${DEMO_DIM} {2}# a symbolic dimension: any value works\\n`));
});

// A 1-D CNN on raw audio (M5, Dai et al. 2017, shrunk): at length 16 its first convolution has nothing to
// read, and PyTorch's conv1d raised "Kernel size can't be greater than actual input size" in the demo.
const AUDIO = `model Audio {
  input wave: [n, 1]
  output wave -> conv1d(4, 20, stride = 4) -> maxpool(4) -> conv1d(4, 3) -> global_avgpool -> dense(2)
}
`;

test('a length the layers need longer than the demo size is raised to the least they take, with the layer that needs it', async (t) => {
  const main = mainOf(AUDIO);
  // ⌊(n − 20)/4⌋ + 1 must pool to 3 for the 3-wide kernel: n ≥ 20 + 4·11 = 64.
  assert.match(main, /\n {4}n = 64 {2}# a symbolic dimension: 64 or more \(with less, conv1d\(4, 3\), line 3, has no output left\)\n/);
  const errorsAt = (n: number) => analyze(AUDIO.replace('[n, 1]', `[${n}, 1]`), {}).diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);
  assert.deepEqual(errorsAt(64), []);
  assert.deepEqual(errorsAt(63), ['shape.kernel_too_large']);
  if (skipWithoutTorch(t, 'DEMO SIZES TEST')) return;
  const r = exportPyTorch(analyze(AUDIO, {}));
  assert.ok(r.ok);
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-demo-'));
  try {
    writeFileSync(join(dir, 'audio.py'), r.code);
    const run = spawnSync(PYTHON, [join(dir, 'audio.py')], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Audio output: \(2, 2\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
