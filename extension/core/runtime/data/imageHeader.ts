/**
 * What an image file says of itself before it is decoded: its declared
 * size (PNG IHDR, JPEG SOF marker; for the inspector's other formats GIF's
 * screen descriptor, BMP's info header, WebP's frame header) and, for a
 * PNG, whether every chunk's checksum matches. `decodeImage` (files.ts) and
 * the inspector's image decoding (webview/host/image.ts) read these first
 * (`imageSizeRefusal`) so that a tiny file declaring a huge image is refused
 * before the decoder allocates it, and a damaged file is named as damaged
 * rather than in the decoder's words. Pure: bytes in, facts out.
 */

/** The format and size a file declares in its header. */
export interface DeclaredImage {
  format: 'PNG' | 'JPEG' | 'GIF' | 'BMP' | 'WebP';
  width: number;
  height: number;
}

/**
 * The most pixels an image may declare before it is decoded (50 megapixels,
 * 200 MB as RGBA): training and the inspector both resize images to a model
 * input far smaller, and a photo from a phone stays under it.
 */
export const MAX_IMAGE_PIXELS = 50_000_000;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isPng(b: Uint8Array): boolean {
  return b.length >= 8 && PNG_SIGNATURE.every((v, i) => b[i] === v);
}

function u16(b: Uint8Array, at: number): number {
  return (b[at] << 8) | b[at + 1];
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/**
 * The size a PNG (its IHDR chunk, which must come first) or a JPEG (its
 * first start-of-frame marker) declares, without decoding any pixels;
 * undefined when the header is not there or not readable (the decoder then
 * says what is wrong). A JPEG whose height is left to a later DNL marker
 * (declared 0) is undefined too.
 */
export function declaredImageSize(b: Uint8Array): DeclaredImage | undefined {
  const other = otherDeclaredSize(b);
  if (other !== null) return other;
  if (isPng(b)) {
    if (b.length < 24 || String.fromCharCode(b[12], b[13], b[14], b[15]) !== 'IHDR') return undefined;
    return { format: 'PNG', width: u32(b, 16), height: u32(b, 20) };
  }
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return undefined;
    const marker = b[at + 1];
    // Fill bytes, and markers with no length (RSTn, TEM, a repeated SOI).
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    if ((marker >= 0xd0 && marker <= 0xd8) || marker === 0x01) {
      at += 2;
      continue;
    }
    // End of image or start of scan before any frame header.
    if (marker === 0xd9 || marker === 0xda) return undefined;
    const length = u16(b, at + 2);
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC): [length][precision][height][width].
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > b.length) return undefined;
      const height = u16(b, at + 5);
      const width = u16(b, at + 7);
      return height === 0 ? undefined : { format: 'JPEG', width, height };
    }
    if (length < 2) return undefined;
    at += 2 + length;
  }
  return undefined;
}

function u16le(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

function i32le(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24);
}

function ascii(b: Uint8Array, at: number, text: string): boolean {
  return b.length >= at + text.length && [...text].every((ch, i) => b[at + i] === ch.charCodeAt(0));
}

/**
 * The size a GIF (logical screen), BMP (info header; a negative height is a
 * top-down image) or WebP (VP8X canvas, VP8 key frame or VP8L header)
 * declares; undefined when such a header is cut short or unreadable; null
 * when the bytes are none of these formats.
 */
function otherDeclaredSize(b: Uint8Array): DeclaredImage | undefined | null {
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) {
    return b.length >= 10 ? { format: 'GIF', width: u16le(b, 6), height: u16le(b, 8) } : undefined;
  }
  if (ascii(b, 0, 'BM')) {
    if (b.length < 26) return undefined;
    const header = i32le(b, 14);
    // The old OS/2 header (12 bytes) has 16-bit sizes; every later one 32-bit.
    if (header === 12) return { format: 'BMP', width: u16le(b, 18), height: u16le(b, 20) };
    return header >= 40 ? { format: 'BMP', width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) } : undefined;
  }
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) {
    if (ascii(b, 12, 'VP8X')) return b.length >= 30 ? { format: 'WebP', width: 1 + (b[24] | (b[25] << 8) | (b[26] << 16)), height: 1 + (b[27] | (b[28] << 8) | (b[29] << 16)) } : undefined;
    if (ascii(b, 12, 'VP8L')) {
      if (b.length < 25 || b[20] !== 0x2f) return undefined;
      const bits = (b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24)) >>> 0;
      return { format: 'WebP', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    if (ascii(b, 12, 'VP8 ')) {
      // A key frame: 3 bytes of frame tag, the start code 9D 01 2A, then 14-bit width and height.
      if (b.length < 30 || b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return undefined;
      return { format: 'WebP', width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
    }
    return undefined;
  }
  return null;
}

/**
 * Why an image named `name` must not be decoded, from its header alone: it
 * declares more than `maxPixels` pixels (a small file can declare an image
 * of gigabytes), or no pixels at all; or, with `requireSize`, its header
 * does not say its size (cut short, or not a PNG, JPEG, GIF, BMP or WebP
 * file). Undefined when it may be decoded. The sentence says what to do.
 */
export function imageSizeRefusal(bytes: Uint8Array, name: string, options: { maxPixels?: number; requireSize?: boolean; resized?: string } = {}): string | undefined {
  const maxPixels = options.maxPixels ?? MAX_IMAGE_PIXELS;
  const declared = declaredImageSize(bytes);
  if (!declared) {
    return options.requireSize
      ? `${name}: its header does not say its size (the file is cut short or damaged, or is not a PNG, JPEG, GIF, BMP or WebP image); export the image again, or choose another.`
      : undefined;
  }
  const { width, height } = declared;
  if (width * height > maxPixels) {
    const mp = Math.round((width * height) / 1e6).toLocaleString('en-US');
    return `${name}: is ${width}×${height} pixels (${mp} megapixels), more than the limit of ${maxPixels / 1e6} megapixels; resize the image${options.resized ? ` (${options.resized})` : ''}.`;
  }
  if (width === 0 || height === 0) return `${name}: declares ${width}×${height} pixels (no image at all); export the image again, or remove the file.`;
  return undefined;
}

let crcTable: Uint32Array | undefined;

function crc32(b: Uint8Array, from: number, to: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The first PNG chunk (up to IEND) whose stored checksum does not match its
 * type and data, as its type and byte offset; undefined when every complete
 * chunk matches, or the bytes are not a PNG. A file that ends inside a chunk
 * is not reported here (the decoder names it as truncated).
 */
export function pngChecksumMismatch(b: Uint8Array): { chunk: string; offset: number } | undefined {
  if (!isPng(b)) return undefined;
  let at = 8;
  while (at + 12 <= b.length) {
    const length = u32(b, at);
    const end = at + 8 + length;
    if (end + 4 > b.length) return undefined;
    const type = String.fromCharCode(b[at + 4], b[at + 5], b[at + 6], b[at + 7]);
    if (crc32(b, at + 4, end) !== u32(b, end)) return { chunk: type, offset: at };
    if (type === 'IEND') return undefined;
    at = end + 4;
  }
  return undefined;
}
