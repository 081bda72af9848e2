// What the editor reads for an `import`: a regular file only, as the command
// line reads it. `import "/dev/zero"` (or a FIFO) typed in the editor made
// the extension host read without end; a UTF-16 file read as UTF-8 was noise.
import './vscodeMock';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readUriText } from '../../extension/vscode/analysisCache';

test('a FIFO, a device and a folder are not read; a file is, UTF-16 with its byte-order mark too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-import-'));
  try {
    const fifo = join(dir, 'pipe.nnmodel');
    execFileSync('mkfifo', [fifo]);
    // Before, this read blocked for ever (no writer on the FIFO).
    assert.equal(readUriText(`file://${fifo}`), undefined);
    if (existsSync('/dev/zero')) assert.equal(readUriText('file:///dev/zero'), undefined);
    assert.equal(readUriText(`file://${dir}`), undefined);
    const text = 'block b(n) {\n  input x\n  output x -> dense(n)\n}\n';
    writeFileSync(join(dir, 'a.nnmodel'), text);
    assert.equal(readUriText(`file://${join(dir, 'a.nnmodel')}`), text);
    writeFileSync(join(dir, 'w.nnmodel'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    assert.equal(readUriText(`file://${join(dir, 'w.nnmodel')}`), text);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
