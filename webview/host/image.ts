/**
 * Turns the bytes of a user-picked image into ImageData the views can feed
 * to a model.
 */

/** Largest side kept; bigger pictures are scaled down (a model input is small anyway). */
const MAX_SIDE = 1024;

export async function decodeImage(bytes: Uint8Array, mime: string): Promise<ImageData> {
  // Copy into a fresh ArrayBuffer: the message's view may sit on a larger, shared buffer.
  const blob = new Blob([bytes.slice()], { type: mime });
  const bitmap = await createImageBitmap(blob);
  try {
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const w = Math.max(1, Math.round(bitmap.width * scale));
    const h = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2-D canvas context');
    ctx.drawImage(bitmap, 0, 0, w, h);
    return ctx.getImageData(0, 0, w, h);
  } finally {
    bitmap.close();
  }
}
