// What reading the user's own files says when a file is not what training
// needs: an image that declares more pixels than the limit is refused from its
// header, before the decoder allocates it; an empty, damaged or pixel-less
// image is named as such; a CSV without a header row is said to be one; and a
// text too short for validation windows says so instead of "the last 0 windows".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { DataError, decodeImage, loadDataset, type LoadOptions } from '../../extension/core/runtime/data/files';
import { declaredImageSize, pngChecksumMismatch } from '../../extension/core/runtime/data/imageHeader';
import { splitCounts, windowsSplitNote } from '../../extension/core/runtime/train';
import type { DataSource } from '../../extension/core/analysis/types';
import { nodeDataFs } from '../../extension/cli/trainJob';

let dir: string;
let opts: LoadOptions;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'nnmodel-data-msg-'));
  opts = { baseDir: dir, roots: [dir], fs: nodeDataFs() };
});
after(() => rmSync(dir, { recursive: true, force: true }));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc(b: Buffer): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc(body));
  return Buffer.concat([head, body, tail]);
}
/** A PNG of a few dozen bytes whose IHDR declares `w × h` RGB pixels (its IDAT holds far fewer). */
function declaredPng(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1000))), chunk('IEND', Buffer.alloc(0))]);
}
function png(w: number, h: number): Buffer {
  const p = new PNG({ width: w, height: h });
  p.data.fill(200);
  return PNG.sync.write(p);
}
function dataError(run: () => unknown, pattern: RegExp, file: string): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof DataError, `expected a DataError, got ${String(e)}`);
    assert.match(e.message, pattern);
    assert.equal(e.file, file);
    return true;
  });
}

test('declaredImageSize reads a PNG IHDR and a JPEG frame header, without decoding', () => {
  assert.deepEqual(declaredImageSize(png(5, 3)), { format: 'PNG', width: 5, height: 3 });
  assert.deepEqual(declaredImageSize(declaredPng(30000, 20000)), { format: 'PNG', width: 30000, height: 20000 });
  const data = Buffer.alloc(7 * 4 * 4, 128);
  const jpg = jpeg.encode({ data, width: 7, height: 4 }, 90).data;
  assert.deepEqual(declaredImageSize(jpg), { format: 'JPEG', width: 7, height: 4 });
  assert.equal(declaredImageSize(Buffer.from('not an image')), undefined);
  assert.equal(declaredImageSize(png(5, 3).subarray(0, 20)), undefined, 'cut inside IHDR');
});

test('an image declaring more than 50 megapixels is refused from its header, naming the file, its size, the limit and what to do', () => {
  // Before, a 74-byte file declaring 30000×30000 took gigabytes and seconds to decode, then was refused;
  // one declaring 100000×100000 ended in Node's own words about a buffer size.
  for (const [w, h, mp] of [[30000, 30000, '900'], [100000, 100000, '10,000']] as const) {
    const started = Date.now();
    dataError(
      () => decodeImage(declaredPng(w, h), 'pics/dog/0.png'),
      new RegExp(`^pics/dog/0\\.png: is ${w}×${h} pixels \\(${mp} megapixels\\), more than the limit of 50 megapixels; resize the image`),
      'pics/dog/0.png',
    );
    assert.ok(Date.now() - started < 1000, 'refused without decoding');
  }
  // A JPEG's frame header (SOF0: precision, height, width) is read the same way, before jpeg-js sees it.
  const sof = Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0xea, 0x60, 0xea, 0x60, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  dataError(() => decodeImage(sof, 'pics/cat/1.jpg'), /^pics\/cat\/1\.jpg: is 60000×60000 pixels \(3,600 megapixels\), more than the limit of 50 megapixels; resize/, 'pics/cat/1.jpg');
  // At the limit and below, images decode as before.
  assert.equal(decodeImage(png(4, 4), 'a.png').width, 4);
});

test('an empty, a pixel-less or a damaged PNG is named as such, with what to do', () => {
  dataError(() => decodeImage(new Uint8Array(0), 'pics/cat/2.png'), /^pics\/cat\/2\.png: is empty \(0 bytes\); copy the image again, or remove the file\.$/, 'pics/cat/2.png');
  dataError(() => decodeImage(declaredPng(0, 0), 'z.png'), /^z\.png: declares 0×0 pixels \(no image at all\)/, 'z.png');
  // A byte of the IDAT checksum changed: pngjs itself only says "unrecognised content at end of stream".
  const good = png(3, 2);
  assert.equal(pngChecksumMismatch(good), undefined);
  const bad = Buffer.from(good);
  const idat = bad.indexOf('IDAT', 0, 'latin1') - 4;
  const crcAt = idat + 8 + bad.readUInt32BE(idat);
  bad[crcAt] ^= 0xff;
  assert.deepEqual(pngChecksumMismatch(bad), { chunk: 'IDAT', offset: idat });
  dataError(
    () => decodeImage(bad, 'pics/dog/0.png'),
    new RegExp(`^pics/dog/0\\.png: is damaged: the checksum of its IDAT chunk \\(at byte ${idat}\\) does not match its contents.*; copy or export the image again, or remove it\\.$`),
    'pics/dog/0.png',
  );
});

test('a CSV without a header row: its first row is said to look like data, and a header naming the columns is asked for', async () => {
  writeFileSync(join(dir, 'noheader.csv'), '-0.948,-1.043,y\n0.127,-0.248,y\n-0.078,-0.189,n\n');
  const csv = { kind: 'csv', path: 'noheader.csv', options: {} } as DataSource;
  await assert.rejects(loadDataset(csv, opts), (e: unknown) => {
    assert.ok(e instanceof DataError);
    assert.equal(
      e.message,
      `noheader.csv:1: has no column 'label' for the label, and its first row (-0.948, -1.043, y) looks like data (2 numbers), not a header: the first row must name the columns. Add a header row such as 'x1,x2,label' (the label column named 'label', or give its name with csv(..., label = "name")).`,
    );
    return true;
  });
  // Numbers everywhere, two of them equal: still the missing header, not "columns 1 and 2 are both named '0'".
  writeFileSync(join(dir, 'zeros.csv'), '0,0,1\n1,1,0\n');
  await assert.rejects(loadDataset({ kind: 'csv', path: 'zeros.csv', options: { label: 'kind' } } as DataSource, opts), /zeros\.csv:1: .*looks like data \(all numbers\), not a header.*'x1,x2,kind'/);
  // A header whose label column is named otherwise is not taken for data.
  writeFileSync(join(dir, 'named.csv'), 'a,b,y\n1,2,p\n');
  await assert.rejects(loadDataset({ kind: 'csv', path: 'named.csv', options: {} } as DataSource, opts), /named\.csv:1: has no column 'label' for the label; its columns are a, b, y\.$/);
});

test('a text too short for validation windows at its context says so, how many tokens it would need, and that there is no best checkpoint', async () => {
  writeFileSync(join(dir, 'ctx17.txt'), 'abcdefghijklmnopq');
  const text = (path: string) => ({ kind: 'text', path, options: { tokenizer: 'char', context: 16 } }) as DataSource;
  const d = await loadDataset(text('ctx17.txt'), opts);
  assert.deepEqual(splitCounts(d, { validation: 0.1, loss: 'crossentropy' }), { train: 1, validation: 0 });
  assert.equal(
    windowsSplitNote(d, 0.1),
    'validation: none. ctx17.txt is too short to hold out validation windows at this context: its 17 tokens make 1 window, and validation windows that share no token with the training ones need at least 35 tokens (18 more). This run has no validation loss and keeps no best checkpoint. Use a longer text or a smaller context, or write validation: 0 to train without it.',
  );
  // The 35 it names is the least that does: one character fewer leaves no training window.
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ';
  writeFileSync(join(dir, 'c35.txt'), alphabet.slice(0, 35));
  writeFileSync(join(dir, 'c34.txt'), alphabet.slice(0, 34));
  const c35 = splitCounts(await loadDataset(text('c35.txt'), opts), { validation: 0.1, loss: 'crossentropy' });
  assert.ok(c35.train > 0 && c35.validation > 0, JSON.stringify(c35));
  assert.equal(splitCounts(await loadDataset(text('c34.txt'), opts), { validation: 0.1, loss: 'crossentropy' }).train, 0);
});
