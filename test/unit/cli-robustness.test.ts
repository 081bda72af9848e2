/**
 * The command line on the files real users have: reached through a symbolic
 * link, owned by someone else, saved with a byte-order mark or in another
 * encoding than UTF-8, or named twice in different spellings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, readFileSync, readlinkSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli as run, withWorkspace as inWorkspace } from '../fixtures/cli';

const withWorkspace = (files: Record<string, string>, body: (dir: string) => Promise<void>) => inWorkspace('nnmodel-cli-robust-', files, body);

const UGLY = 'model M {\n    input x: [4]\n  output x->relu\n}\n';
const PRETTY = 'model M {\n  input x: [4]\n  output x -> relu\n}\n';

test(
  'format through a symbolic link formats the file it points to and keeps the link',
  withWorkspace({ 'real.nnmodel': UGLY }, async (dir) => {
    symlinkSync('real.nnmodel', join(dir, 'link.nnmodel'));
    const r = await run(dir, 'format', 'link.nnmodel');
    assert.equal(r.code, 0, r.err);
    assert.ok(lstatSync(join(dir, 'link.nnmodel')).isSymbolicLink(), 'the link is still a link');
    assert.equal(readlinkSync(join(dir, 'link.nnmodel')), 'real.nnmodel');
    assert.equal(readFileSync(join(dir, 'real.nnmodel'), 'utf8'), PRETTY);
  }),
);

test(
  "format keeps the file's owner and group (run as root on another user's file)",
  { skip: process.getuid?.() !== 0 ? 'needs root to give the file another owner' : false },
  withWorkspace({ 'theirs.nnmodel': UGLY }, async (dir) => {
    const path = join(dir, 'theirs.nnmodel');
    chownSync(path, 4321, 4322);
    const r = await run(dir, 'format', 'theirs.nnmodel');
    assert.equal(r.code, 0, r.err);
    assert.equal(readFileSync(path, 'utf8'), PRETTY);
    const st = statSync(path);
    assert.deepEqual([st.uid, st.gid], [4321, 4322]);
  }),
);

test(
  'format keeps a byte-order mark, and --check does not count it as a change',
  withWorkspace({ 'bom.nnmodel': '\ufeff' + UGLY, 'bomok.nnmodel': '\ufeff' + PRETTY }, async (dir) => {
    const r = await run(dir, 'format', 'bom.nnmodel', 'bomok.nnmodel');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /1 file reformatted, 1 already formatted/);
    assert.equal(readFileSync(join(dir, 'bom.nnmodel'), 'utf8'), '\ufeff' + PRETTY);
    assert.equal(readFileSync(join(dir, 'bomok.nnmodel'), 'utf8'), '\ufeff' + PRETTY);
  }),
);

test(
  'format leaves a file that is not UTF-8 byte for byte as it was, says where, and exits 1',
  withWorkspace({}, async (dir) => {
    // "café" in Latin-1: 0xE9 is no UTF-8; reading it as UTF-8 and writing back would make it U+FFFD.
    const latin1 = Buffer.concat([Buffer.from('model M {\n    input x: [4]  # caf'), Buffer.from([0xe9]), Buffer.from('\n  output x->relu\n}\n')]);
    writeFileSync(join(dir, 'latin1.nnmodel'), latin1);
    writeFileSync(join(dir, 'ok.nnmodel'), UGLY);
    for (const argv of [['format'], ['format', '--check']]) {
      const r = await run(dir, ...argv, 'latin1.nnmodel', 'ok.nnmodel');
      assert.equal(r.code, 1, argv.join(' '));
      assert.match(r.err, /^latin1\.nnmodel:2:24: error byte 0xE9 is not valid UTF-8/m);
      assert.match(r.err, /not formatting latin1\.nnmodel/);
      assert.deepEqual(readFileSync(join(dir, 'latin1.nnmodel')), latin1);
    }
    // The other file was formatted (by the first run).
    assert.equal(readFileSync(join(dir, 'ok.nnmodel'), 'utf8'), PRETTY);
  }),
);

test(
  'a file named twice in different spellings is checked and formatted once',
  withWorkspace({ 'a.nnmodel': 'model M {\n  input x: [4]\n  output x -> relux\n}\n', 'u.nnmodel': UGLY }, async (dir) => {
    const c = await run(dir, 'check', 'a.nnmodel', './a.nnmodel', join(dir, 'a.nnmodel'));
    assert.equal(c.code, 1);
    assert.equal(c.out.match(/relux/g)?.length, 1, c.out);
    assert.match(c.out, /^1 error in 1 file$/m);
    const f = await run(dir, 'format', 'u.nnmodel', './u.nnmodel');
    assert.equal(f.code, 0);
    assert.equal(f.out, 'formatted u.nnmodel\n1 file reformatted, 0 already formatted\n');
  }),
);

test(
  'summary --model in the wrong case names the model it may mean',
  withWorkspace({ 'l.nnmodel': 'model LeNet5 {\n  input x: [4]\n  output x -> relu\n}\n' }, async (dir) => {
    const r = await run(dir, 'summary', 'l.nnmodel', '--model', 'lenet5');
    assert.equal(r.code, 2);
    assert.match(r.err, /no model 'lenet5' in l\.nnmodel; names are case-sensitive: did you mean 'LeNet5'\?/);
  }),
);

test('firstInvalidUtf8 agrees with a strict UTF-8 decoder on random bytes, and a valid prefix ends where it points', async () => {
  const { firstInvalidUtf8 } = await import('../../extension/cli/files');
  const strict = new TextDecoder('utf-8', { fatal: true });
  const valid = (b: Uint8Array) => {
    try {
      strict.decode(b);
      return true;
    } catch {
      return false;
    }
  };
  let seed = 12345;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const samples = [Buffer.from('plain ascii'), Buffer.from('é 日本 😀'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xf4, 0x90, 0x80, 0x80])];
  for (let k = 0; k < 5000; k++) {
    // Mostly valid text with a few random bytes in it, so both answers come up often.
    const b = Buffer.from(['a', 'é', '日', '😀', '\n'].map((s) => s.repeat(rnd(3))).join(''));
    for (let j = rnd(3); j > 0; j--) b[rnd(b.length || 1)] = rnd(256);
    samples.push(b);
  }
  let invalid = 0;
  for (const b of samples) {
    const i = firstInvalidUtf8(b);
    assert.equal(i < 0, valid(b), `${b.toString('hex')}: ${i}`);
    if (i >= 0) {
      invalid++;
      assert.ok(valid(b.subarray(0, i)), `the bytes before ${i} of ${b.toString('hex')} are UTF-8`);
    }
  }
  assert.ok(invalid > 500 && invalid < samples.length - 500, `both kinds tested: ${invalid} invalid of ${samples.length}`);
});

test(
  'format in a folder that takes no new file says that the folder, not the file, is not writable, and leaves the file as it was',
  (t) => withWorkspace({ 'ro/a.nnmodel': UGLY }, async (dir) => {
    const folder = join(dir, 'ro');
    // Root writes anywhere a mode allows; an immutable folder stops root too (where chattr works).
    const root = process.getuid?.() === 0;
    const lock = root ? spawnSync('chattr', ['+i', folder]) : (chmodSync(folder, 0o555), { status: 0 });
    if (lock.status !== 0) return void t.skip('chattr +i is not available here');
    try {
      const r = await run(dir, 'format', 'ro/a.nnmodel');
      assert.equal(r.code, 2);
      assert.match(r.err, /^nnmodel: cannot write ro\/a\.nnmodel: (permission denied|read-only file system): no file can be created in the folder .*ro \(the file is replaced by a new one written beside it, so the folder must be writable, not only the file\)$/m);
      assert.equal(readFileSync(join(folder, 'a.nnmodel'), 'utf8'), UGLY);
    } finally {
      if (root) spawnSync('chattr', ['-i', folder]);
      else chmodSync(folder, 0o755);
    }
  })(),
);

/** `text` as Windows PowerShell's `>` and Notepad's "UTF-16" save it: a byte-order mark, then UTF-16 code units. */
function utf16(text: string, order: 'le' | 'be'): Buffer {
  const le = Buffer.from('\ufeff' + text, 'utf16le');
  return order === 'le' ? le : Buffer.from(le).swap16();
}

test(
  'a UTF-16 file (with its byte-order mark) is checked and summarised as its UTF-8 twin, and format writes it back in UTF-16',
  withWorkspace({ 'u8.nnmodel': 'model M {\n  input x: [4]  # é 日本 😀\n  output x -> dense(3) -> relux\n}\n' }, async (dir) => {
    const text = readFileSync(join(dir, 'u8.nnmodel'), 'utf8');
    const want = await run(dir, 'check', 'u8.nnmodel');
    assert.equal(want.code, 1);
    for (const order of ['le', 'be'] as const) {
      const name = `u16${order}.nnmodel`;
      writeFileSync(join(dir, name), utf16(text, order));
      const got = await run(dir, 'check', name);
      assert.equal(got.code, 1, order);
      assert.equal(got.out, want.out.replaceAll('u8.nnmodel', name), order);
      const json = JSON.parse((await run(dir, 'summary', name, '--json')).out);
      assert.deepEqual(json.models.map((m: { name: string }) => m.name), ['M'], order);
    }
    writeFileSync(join(dir, 'fmt.nnmodel'), utf16(UGLY, 'le'));
    const f = await run(dir, 'format', 'fmt.nnmodel');
    assert.equal(f.code, 0, f.err);
    assert.deepEqual(readFileSync(join(dir, 'fmt.nnmodel')), utf16(PRETTY, 'le'));
    writeFileSync(join(dir, 'fmtbe.nnmodel'), utf16(UGLY, 'be'));
    assert.equal((await run(dir, 'format', 'fmtbe.nnmodel')).code, 0);
    assert.deepEqual(readFileSync(join(dir, 'fmtbe.nnmodel')), utf16(PRETTY, 'be'));
  }),
);

test('renderTable takes more rows than a call has room for arguments', async () => {
  const { renderTable } = await import('../../extension/cli/table');
  const rows = Array.from({ length: 300_000 }, (_, i) => [`layer ${i}`, String(i)]);
  const t = renderTable([{ title: 'Layer', align: 'left' }, { title: 'N', align: 'right' }], rows);
  assert.equal(t.lines.length, rows.length + 2);
  assert.equal(t.lines.at(-1), 'layer 299999  299999');
  assert.equal(t.width, 'layer 299999'.length + 2 + '299999'.length);
});

/** Blocks that call the next block twice, `levels` deep: 2^levels dense layers, analysed in a moment (each body once). */
function doubling(levels: number): string {
  let text = '';
  for (let i = 0; i < levels; i++) text += `block b${i}(n) {\n  input x\n  output x -> b${i + 1}(n) -> b${i + 1}(n)\n}\n`;
  return text + `block b${levels}(n) {\n  input x\n  output x -> dense(n)\n}\nmodel M {\n  input x: [4]\n  output x -> b0(4)\n}\n`;
}

test(
  'summary of blocks whose bodies expand to millions of rows shows the top level, says why, and ends',
  { timeout: 60_000 },
  withWorkspace({ 'deep.nnmodel': doubling(20), 'small.nnmodel': doubling(3) }, async (dir) => {
    const text = await run(dir, 'summary', 'deep.nnmodel');
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^b0 +\d+ +\[4\] +20,971,520 /m);
    assert.doesNotMatch(text.out, /^ +b1 /m);
    assert.match(text.out, /^Note: the block bodies of M expand to more than 100,000 rows: shown at the top level only\b/m);
    const json = await run(dir, 'summary', 'deep.nnmodel', '--json');
    assert.equal(json.code, 0);
    const m = JSON.parse(json.out).models[0];
    assert.deepEqual(m.layers.map((l: { name: string; depth: number }) => [l.name, l.depth]), [['input x', 0], ['b0', 0]]);
    assert.match(json.err, /^Note: the block bodies of M expand to more than 100,000 rows: shown at the top level only\b/m);
    // A model that fits is shown whole, with no note.
    const small = await run(dir, 'summary', 'small.nnmodel', '--json');
    assert.equal(JSON.parse(small.out).models[0].layers.length, 2 + 2 + 4 + 8 + 8);
    assert.equal(small.err, '');
  }),
);

test(
  'writeFileAtomic replaces regular files only: a FIFO (or a device) is left in place with a reason',
  (t) => withWorkspace({}, async (dir) => {
    const { writeFileAtomic, ioReason } = await import('../../extension/cli/files');
    if (spawnSync('mkfifo', [join(dir, 'pipe.nnmodel')]).status !== 0) return void t.skip('mkfifo is not available here');
    assert.throws(
      () => writeFileAtomic('pipe.nnmodel', 'model M {}\n', dir),
      (err: unknown) => /^not a regular file \(a FIFO\): it is not replaced$/.test(ioReason(err)),
    );
    assert.ok(lstatSync(join(dir, 'pipe.nnmodel')).isFIFO(), 'still a FIFO');
  })(),
);

test(
  'a device or an endless file is not read without bound: named on the command line it is "too large", imported it is not a file',
  { timeout: 60_000 },
  withWorkspace({ 'zero.nnmodel': 'import "/dev/zero"\nmodel M {\n  input x: [4]\n  output x -> relu\n}\n' }, async (dir) => {
    const started = Date.now();
    const imported = await run(dir, 'check', 'zero.nnmodel');
    assert.equal(imported.code, 1);
    assert.match(imported.out, /^zero\.nnmodel:1:8: error import\.not_found /m);
    const named = await run(dir, 'check', '/dev/zero');
    assert.equal(named.code, 2);
    assert.match(named.err, /^\/dev\/zero: cannot read: larger than 16 MiB, more than any \.nnmodel file holds$/m);
    // A regular file that large is refused from its size, without reading it.
    writeFileSync(join(dir, 'huge.nnmodel'), '');
    truncateSync(join(dir, 'huge.nnmodel'), 17 * 2 ** 20);
    for (const cmd of ['check', 'summary', 'format']) {
      const r = await run(dir, cmd, 'huge.nnmodel');
      assert.equal(r.code, 2, cmd);
      assert.match(r.err, /^huge\.nnmodel: cannot read: larger than 16 MiB/m, cmd);
    }
    assert.ok(Date.now() - started < 30_000, `${Date.now() - started} ms`);
  }),
);

test(
  'a FIFO named on the command line (as `nnmodel check <(...)` gives one) is still read',
  (t) => withWorkspace({}, async (dir) => {
    const fifo = join(dir, 'in.nnmodel');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return void t.skip('mkfifo is not available here');
    const writer = spawn('sh', ['-c', `printf 'model M {\\n  input x: [4]\\n  output x -> relux\\n}\\n' > '${fifo}'`]);
    const r = await run(dir, 'check', 'in.nnmodel');
    await new Promise((done) => (writer.exitCode === null ? writer.on('exit', done) : done(undefined)));
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /^in\.nnmodel:3:15: error name\.unknown_layer /m);
  })(),
);
