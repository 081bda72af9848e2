// Training an example writes its checkpoints beside it, in examples/.nnmodel/: a folder whose
// name ends in `.nnmodel`. The tests, the benchmark, the VSIX and git must not take it for a source.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nnmodelFiles } from '../fixtures/examples';

const root = process.cwd();

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-ckpt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A trained example's checkpoint folder, as `nnmodel train examples/lenet5.nnmodel` leaves it. */
function trainedCheckpoint(examples: string): void {
  const ckpt = join(examples, '.nnmodel', 'lenet5', 'LeNet5');
  mkdirSync(ckpt, { recursive: true });
  writeFileSync(join(ckpt, 'model.json'), '{}');
}

test('nnmodelFiles lists source files only, not the checkpoint folder training leaves', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'b.nnmodel'), 'model B { input x: [4] x -> dense(2) }\n');
  writeFileSync(join(dir, 'a.nnmodel'), 'model A { input x: [4] x -> dense(2) }\n');
  writeFileSync(join(dir, 'notes.txt'), '');
  mkdirSync(join(dir, 'old.nnmodel'));
  trainedCheckpoint(dir);
  assert.deepEqual(nnmodelFiles(dir), ['a.nnmodel', 'b.nnmodel']);
});

test('the VSIX ships the examples and their data, not checkpoints trained beside them', (t) => {
  const dir = tempDir(t);
  for (const f of ['package.json', '.vscodeignore', 'README.md', 'CHANGELOG.md', 'LICENSE']) cpSync(join(root, f), join(dir, f));
  mkdirSync(join(dir, 'examples', 'data'), { recursive: true });
  cpSync(join(root, 'examples', 'lenet5.nnmodel'), join(dir, 'examples', 'lenet5.nnmodel'));
  cpSync(join(root, 'examples', 'data', 'tiny.txt'), join(dir, 'examples', 'data', 'tiny.txt'));
  trainedCheckpoint(join(dir, 'examples'));
  const r = spawnSync(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'ls', '--no-dependencies'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const files = r.stdout.split('\n').filter(Boolean);
  assert.ok(files.includes('examples/lenet5.nnmodel'), files.join('\n'));
  assert.ok(files.includes('examples/data/tiny.txt'), files.join('\n'));
  assert.deepEqual(files.filter((f) => f.includes('.nnmodel/')), []);
});

test('git ignores the checkpoints training writes beside a model', (t) => {
  if (spawnSync('git', ['rev-parse', '--git-dir'], { cwd: root }).status !== 0) return t.skip('not a git checkout');
  const r = spawnSync('git', ['check-ignore', '--no-index', '-q', 'examples/.nnmodel/lenet5/LeNet5/model.json'], { cwd: root });
  assert.equal(r.status, 0, 'examples/.nnmodel/ is not ignored by .gitignore');
  const src = spawnSync('git', ['check-ignore', '--no-index', '-q', 'examples/lenet5.nnmodel'], { cwd: root });
  assert.equal(src.status, 1, 'an example source is ignored');
});
