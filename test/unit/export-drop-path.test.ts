// `drop_path(rate)` (stochastic depth) in the PyTorch export: a DropPath module that is the identity in
// eval mode and, in training, keeps or drops each example whole (scaled by 1 / (1 − rate)), as the
// TensorFlow.js layer does (random-layers.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import { exportPyTorch } from '../../extension/core/export/pytorch';

const PYTHON = process.env.NNMODEL_TORCH_PYTHON ?? '/usr/bin/python3';

const TEXT = `block residual(c) {
  input x: [h, w, c]
  output x + x -> conv2d(c, 3, padding = same) -> relu -> drop_path(0.25)
}

model Deep {
  input image: [8, 8, 4]
  output image -> residual(4) * 3
}
`;

test('export: drop_path is a DropPath module, identity in eval mode, whole examples kept or dropped in training', () => {
  const a = analyze(TEXT, {});
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const r = exportPyTorch(a);
  assert.ok(r.ok);
  assert.match(r.code, /^class DropPath\(nn\.Module\):/m);
  assert.match(r.code, /DropPath\(0\.25\)/);
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log(`PYTORCH DROP_PATH CHECK SKIPPED: ${PYTHON} cannot import torch. Install Debian's python3-torch.`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-droppath-'));
  try {
    writeFileSync(join(dir, 'deep.py'), r.code);
    writeFileSync(
      join(dir, 'check.py'),
      [
        'import sys, torch',
        'sys.path.insert(0, sys.argv[1])',
        'import deep',
        'torch.manual_seed(0)',
        'm = deep.DropPath(0.25)',
        'x = torch.ones(4000, 3, 5)',
        'm.eval()',
        'assert torch.equal(m(x), x), "eval: identity"',
        'm.train()',
        'y = m(x).reshape(4000, -1)',
        'dropped = (y == 0).all(1)',
        'kept = ((y - 1 / 0.75).abs() < 1e-6).all(1)',
        'assert bool((dropped | kept).all()), "each example dropped or kept whole"',
        'share = dropped.float().mean().item()',
        'assert abs(share - 0.25) < 0.041, share',
        'net = deep.Deep().eval()',
        'z = torch.randn(2, 4, 8, 8)',
        'assert torch.equal(net(z), net(z)), "eval: deterministic"',
        'print("ok", round(share, 3))',
      ].join('\n'),
    );
    const run = spawnSync(PYTHON, [join(dir, 'check.py'), dir], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^ok 0\.2\d+/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
