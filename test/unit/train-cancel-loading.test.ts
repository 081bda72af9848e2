// Ctrl-C while `nnmodel train` still reads its data (an image folder is decoded file by
// file, and stops between files when cancelled) is a cancel like one during training:
// exit 130 and a line saying nothing was trained or written. It was reported as a
// failure, `nnmodel train: loading the images was cancelled.`, with exit 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { runCli as run, withWorkspace as inWorkspace } from '../fixtures/cli';

const withWorkspace = (files: Record<string, string>, body: (dir: string) => Promise<void>) => inWorkspace('nnmodel-cancel-loading-', files, body);

const MODEL = `model P {
  input image: [8, 8, 3]
  output image -> flatten -> dense(2) -> softmax
}

train P {
  data: images("pics", size = [8, 8])
  epochs: 1
}
`;

test(
  'Ctrl-C before the images are read stops with 130 and says nothing was written',
  withWorkspace({ 'p.nnmodel': MODEL }, async (dir) => {
    const png = new PNG({ width: 16, height: 16 });
    png.data.fill(200);
    const bytes = PNG.sync.write(png);
    for (const c of ['a', 'b']) {
      mkdirSync(join(dir, 'pics', c), { recursive: true });
      for (let i = 0; i < 20; i++) writeFileSync(join(dir, 'pics', c, `${i}.png`), bytes);
    }
    // The command's own Ctrl-C handler is installed before its first await; the signal comes after that,
    // while the backend starts (before any file is read), so the loader stops at its first file.
    const running = run(dir, 'train', 'p.nnmodel');
    setImmediate(() => process.emit('SIGINT'));
    const r = await running;
    assert.equal(r.code, 130, r.err);
    assert.match(r.err, /^stopped while reading the data, before training started; nothing was written$/m);
    assert.doesNotMatch(r.err, /^nnmodel train:/m);
    assert.equal(r.out, '');
    assert.ok(!existsSync(join(dir, '.nnmodel', 'p', 'P', 'model.json')));

    // Without the Ctrl-C the same folder trains: the cancel, not the data, stopped it.
    const ok = await run(dir, 'train', 'p.nnmodel');
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^epoch 1\/1 /m);
  }),
);
