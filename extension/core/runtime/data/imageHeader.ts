/**
 * What a PNG or JPEG file says of itself before it is decoded: its declared
 * size (PNG IHDR, JPEG SOF marker) and, for a PNG, whether every chunk's
 * checksum matches. `decodeImage` (files.ts) reads these first so that a
 * tiny file declaring a huge image is refused before the decoder allocates
 * it, and a damaged file is named as damaged rather than in the decoder's
 * words. Pure: bytes in, facts out.
 */

/** The format and size a file declares in its header. */
export interface DeclaredImage {
  format: 'PNG' | 'JPEG';
  width: number;
  height: number;
}

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
