// The inspector's image decoding refuses, from the header alone, an image
// that declares more pixels than the limit (a few bytes can declare a
// 30 000 × 30 000 PNG: gigabytes once decoded), for every format it accepts
// (PNG, JPEG, GIF, BMP, WebP), with a sentence that names the file and
// says what to do; and the webview's `decodeImage` says so before the
// browser decodes anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { MAX_IMAGE_PIXELS, declaredImageSize, imageSizeRefusal } from '../../extension/core/runtime/data/imageHeader';
import { ImageRefused, checkedDecode } from '../../webview/host/imageCheck';

/** The signature and an IHDR chunk declaring `w × h` (the checksum is not read by the size check). */
function pngHeader(w: number, h: number): Uint8Array {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  b.set([8, 2, 0, 0, 0], 24);
  return b;
}
/** SOI, then a baseline frame header (SOF0) declaring `w × h`. */
function jpegHeader(w: number, h: number): Uint8Array {
  const b = Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0, 0, 0, 0, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  b.writeUInt16BE(h, 7);
  b.writeUInt16BE(w, 9);
  return b;
}
function gifHeader(w: number, h: number): Uint8Array {
  const b = Buffer.alloc(13);
  b.write('GIF89a', 0, 'latin1');
  b.writeUInt16LE(w, 6);
  b.writeUInt16LE(h, 8);
  return b;
}
/** A BITMAPINFOHEADER; a negative height is a top-down image. */
function bmpHeader(w: number, h: number): Uint8Array {
  const b = Buffer.alloc(54);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(w, 18);
  b.writeInt32LE(h, 22);
  return b;
}
function webp(chunk: string, body: number[]): Uint8Array {
  const b = Buffer.alloc(20 + body.length);
  b.write('RIFF', 0, 'latin1');
  b.writeUInt32LE(12 + body.length, 4);
  b.write('WEBP', 8, 'latin1');
  b.write(chunk, 12, 'latin1');
  b.writeUInt32LE(body.length, 16);
  b.set(body, 20);
  return b;
}
const webpVp8x = (w: number, h: number) => webp('VP8X', [0, 0, 0, 0, (w - 1) & 255, ((w - 1) >> 8) & 255, (w - 1) >> 16, (h - 1) & 255, ((h - 1) >> 8) & 255, (h - 1) >> 16]);
const webpVp8 = (w: number, h: number) => webp('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, w & 255, w >> 8, h & 255, h >> 8]);
function webpVp8l(w: number, h: number): Uint8Array {
  const bits = (w - 1) | ((h - 1) << 14);
  return webp('VP8L', [0x2f, bits & 255, (bits >>> 8) & 255, (bits >>> 16) & 255, (bits >>> 24) & 255]);
}

test('the declared size of every format the inspector accepts is read from its header', () => {
  const real = new PNG({ width: 5, height: 3 });
  assert.deepEqual(declaredImageSize(PNG.sync.write(real)), { format: 'PNG', width: 5, height: 3 });
  const jpg = jpeg.encode({ width: 7, height: 4, data: Buffer.alloc(7 * 4 * 4, 128) }, 90).data;
  assert.deepEqual(declaredImageSize(jpg), { format: 'JPEG', width: 7, height: 4 });
  assert.deepEqual(declaredImageSize(gifHeader(640, 480)), { format: 'GIF', width: 640, height: 480 });
  assert.deepEqual(declaredImageSize(bmpHeader(640, -480)), { format: 'BMP', width: 640, height: 480 }, 'a top-down BMP');
  assert.deepEqual(declaredImageSize(webpVp8x(16384, 12000)), { format: 'WebP', width: 16384, height: 12000 });
  assert.deepEqual(declaredImageSize(webpVp8(300, 200)), { format: 'WebP', width: 300, height: 200 });
  assert.deepEqual(declaredImageSize(webpVp8l(300, 200)), { format: 'WebP', width: 300, height: 200 });
  assert.equal(declaredImageSize(gifHeader(1, 1).subarray(0, 8)), undefined, 'cut inside the screen descriptor');
  assert.equal(declaredImageSize(Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1')), undefined, 'a WebP cut before its frame');
});

test('an image declaring 30 000 × 30 000 pixels is refused from its header, in any format, saying what to do', () => {
  for (const [bytes, format] of [
    [pngHeader(30000, 30000), 'PNG'],
    [jpegHeader(30000, 30000), 'JPEG'],
    [gifHeader(30000, 30000), 'GIF'],
    [bmpHeader(30000, 30000), 'BMP'],
    [webpVp8x(16384, 16384), 'WebP'],
  ] as const) {
    const m = imageSizeRefusal(bytes, 'huge.img', { resized: 'the inspector shrinks it to the model’s input anyway' });
    assert.ok(m, `${format} refused`);
    assert.match(m, /^huge\.img: is \d+×\d+ pixels \([\d,]+ megapixels\), more than the limit of 50 megapixels; resize the image \(the inspector shrinks it to the model’s input anyway\)\.$/, m);
  }
  assert.match(imageSizeRefusal(pngHeader(30000, 30000), 'a.png')!, /is 30000×30000 pixels \(900 megapixels\)/);
});

test('an ordinary photo, and an image right at the limit, are not refused; one of no pixels is', () => {
  assert.equal(imageSizeRefusal(jpegHeader(4032, 3024), 'photo.jpg'), undefined, 'a 12-megapixel phone photo');
  assert.equal(imageSizeRefusal(pngHeader(10000, MAX_IMAGE_PIXELS / 10000), 'edge.png'), undefined, 'exactly the limit');
  assert.ok(imageSizeRefusal(pngHeader(10000, MAX_IMAGE_PIXELS / 10000 + 1), 'edge.png'), 'one row over');
  assert.match(imageSizeRefusal(gifHeader(0, 10), 'empty.gif')!, /^empty\.gif: declares 0×10 pixels \(no image at all\)/);
});

test('with requireSize, a file whose header does not say its size is refused; without it (training: its decoder names the problem) it is not', () => {
  const junk = Buffer.from('definitely not an image');
  assert.match(imageSizeRefusal(junk, 'x.png', { requireSize: true })!, /^x\.png: its header does not say its size \(the file is cut short or damaged, or is not a PNG, JPEG, GIF, BMP or WebP image\)/);
  assert.equal(imageSizeRefusal(junk, 'x.png'), undefined);
  assert.ok(imageSizeRefusal(pngHeader(5, 5).subarray(0, 20), 'cut.png', { requireSize: true }), 'a PNG cut inside IHDR');
});

test('the webview decodes no image that declares too many pixels: it is refused by name before the decoder runs', async () => {
  let decoded = 0;
  const decode = async (b: Uint8Array) => {
    decoded++;
    return b.length;
  };
  await assert.rejects(checkedDecode(pngHeader(30000, 30000), 'bomb.png', decode), (e: unknown) => {
    assert.ok(e instanceof ImageRefused, `expected an ImageRefused, got ${String(e)}`);
    assert.match(e.message, /^bomb\.png: is 30000×30000 pixels \(900 megapixels\), more than the limit of 50 megapixels; resize the image/);
    return true;
  });
  await assert.rejects(checkedDecode(Buffer.from('junk'), 'junk.png', decode), ImageRefused);
  assert.equal(decoded, 0, 'the decoder never ran');
  assert.equal(await checkedDecode(pngHeader(64, 48), 'small.png', decode), 33, 'a small image is decoded');
  assert.equal(decoded, 1);
});
