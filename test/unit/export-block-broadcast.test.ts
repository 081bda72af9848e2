// Squeeze-and-excitation (MobileNetV3, EfficientNet) gates each channel of an image by a
// vector: `global_avgpool -> dense -> ... -> sigmoid -> reshape([1, 1, c])`, then
// `multiply`. The export wrote the reshape with the channel count as a number
// (`s.reshape(s.shape[0], 1, 1, 32)`), so a block called at several widths became one
// class per width: EfficientNet-B0's export had 22 classes (Se, Se2, ... Se7, Mbconv,
// ... Mbconv9) where 4 do. A reshape whose target has one size other than 1 is now
// written with -1 there: the same values for any width, and one class that takes the
// widths as constructor arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import { exportPyTorch } from '../../extension/core/export/pytorch';
import { PYTHON } from '../fixtures/torch';

const SE = `block se(squeeze) {
  input x: [h, w, c]
  s = x -> global_avgpool -> dense(squeeze) -> silu -> dense(c) -> sigmoid -> reshape([1, 1, c])
  output x -> multiply(s)
}

model SqueezeExcite {
  input image: [16, 16, 3]
  x = image -> conv2d(8, 3, padding = same) -> se(2)
  output x -> conv2d(16, 3, stride = 2, padding = same) -> se(4) -> conv2d(24, 1) -> se(6) -> global_avgpool -> dense(5)
}
`;

test('export: a squeeze-excite block called at three widths is one class with the widths as arguments', () => {
  const a = analyze(SE, {});
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const r = exportPyTorch(a);
  assert.ok(r.ok);
  const classes = r.code.match(/^class \w+/gm);
  assert.deepEqual(classes, ['class Se', 'class SqueezeExcite']);
  assert.match(r.code, /s = s\.reshape\(s\.shape\[0\], 1, 1, -1\)/);
  assert.deepEqual(r.code.match(/Se\(\d+, \d+\)/g), ['Se(8, 2)', 'Se(16, 4)', 'Se(24, 6)']);

  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log(`PYTORCH SQUEEZE-EXCITE CHECK SKIPPED: ${PYTHON} cannot import torch. Install Debian's python3-torch.`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-se-'));
  try {
    writeFileSync(join(dir, 'se.py'), r.code);
    const run = spawnSync(PYTHON, [join(dir, 'se.py')], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`SqueezeExcite: ${String(a.models[0].params.trainable).replace(/\B(?=(\d{3})+$)/g, ',')} trainable parameters`));
    assert.match(run.stdout, /SqueezeExcite output: \(2, 5\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('export: a reshape keeps its sizes where more than one is not 1, and keeps a -1 where it was written', () => {
  const a = analyze(`model R {
  input x: [4, 6]
  output x -> reshape([2, 12]) -> reshape([-1, 3]) -> flatten -> reshape([24]) -> dense(2)
}
`, {});
  const r = exportPyTorch(a);
  assert.ok(r.ok);
  assert.match(r.code, /\.reshape\(x\.shape\[0\], 2, 12\)/);
  assert.match(r.code, /\.reshape\(x\.shape\[0\], -1, 3\)/);
  assert.match(r.code, /\.reshape\(x\.shape\[0\], -1\)/);
});

// `image + t` with t a vector: the analysis (and TensorFlow.js, whose merge layers expand the
// vector after the batch axis) broadcast t over the pixels. The export wrote `x + t`, and
// PyTorch aligned t's batch axis with the image's width: a RuntimeError at the first forward
// pass (or, where the sizes happened to agree, a silently wrong sum).
test('export: a vector added to or multiplying an image gets its missing axes after the batch', () => {
  const a = analyze(`model T {
  input image: [8, 6, 16]
  input t: [16]
  g = image -> global_avgpool -> dense(16) -> sigmoid
  output t + image -> multiply(g)
}
`, {});
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const r = exportPyTorch(a);
  assert.ok(r.ok);
  assert.match(r.code, /= t\[:, None, None\] \+ \w+/);
  assert.match(r.code, /= \w+ \* g\[:, None, None\]/);
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log(`PYTORCH BROADCAST CHECK SKIPPED: ${PYTHON} cannot import torch. Install Debian's python3-torch.`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-broadcast-'));
  try {
    writeFileSync(join(dir, 't.py'), r.code);
    const run = spawnSync(PYTHON, [join(dir, 't.py')], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /T output: \(2, 16, 8, 6\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('export: a vector added to a sequence gets its position axis after the batch', () => {
  const a = analyze(`model S {
  input x: [seq, 8]
  input t: [8]
  output (x + t) -> dense(4)
}
`, {});
  const r = exportPyTorch(a);
  assert.ok(r.ok);
  assert.match(r.code, /= x \+ \w+\[:, None\]/);
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return;
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-broadcast-'));
  try {
    writeFileSync(join(dir, 's.py'), r.code);
    const run = spawnSync(PYTHON, [join(dir, 's.py')], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /S output: \(2, 16, 4\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// DenseNet's `dense_layer * 6` grows by 32 channels a copy, so its copies are not one size:
// the export wrote six attributes and six calls (DenseNet-121: 58 of each, 219 lines). Copies
// of one class whose arguments step evenly are now one nn.Sequential over the index.
const DENSE = `block dense_layer(growth = 4) {
  input x
  y = x -> batchnorm -> relu -> conv2d(growth, 3, padding = same, bias = false)
  output x -> concat(y)
}

block doubling() {
  input x
  output x -> concat(x -> conv2d(2, 1) -> conv2d(2, 1)) -> concat(x)
}

model Dense {
  input image: [8, 8, 3]
  x = image -> conv2d(8, 3, padding = same) -> dense_layer * 3 -> doubling * 3
  output x -> global_avgpool -> dense(2)
}
`;

test('export: block * N whose copies grow evenly is one nn.Sequential over the index; other growth keeps one attribute per copy', () => {
  const a = analyze(DENSE, {});
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const r = exportPyTorch(a);
  assert.ok(r.ok);
  assert.match(r.code, /self\.dense_layers = nn\.Sequential\(\*\[DenseLayer\(8 \+ 4 \* i\) for i in range\(3\)\]\)/);
  assert.match(r.code, /x = self\.dense_layers\(x\)  # dense_layer \* 3 -> \[B, 20, 8, 8\]/);
  // Doubling takes 20, 42, 86 channels (2·c + 2): not an even step.
  assert.deepEqual(r.code.match(/self\.doubling\d* = Doubling\(\d+\)/g), ['self.doubling = Doubling(20)', 'self.doubling2 = Doubling(42)', 'self.doubling3 = Doubling(86)']);
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return;
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-dense-'));
  try {
    writeFileSync(join(dir, 'd.py'), r.code);
    const run = spawnSync(PYTHON, [join(dir, 'd.py')], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`Dense: ${String(a.models[0].params.trainable).replace(/\B(?=(\d{3})+$)/g, ',')} trainable parameters`));
    assert.match(run.stdout, /Dense output: \(2, 2\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
