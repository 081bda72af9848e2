/**
 * Turns the bytes of a user-picked image into ImageData the views can feed
 * to a model.
 */
import { checkedDecode } from './imageCheck';

export { ImageRefused } from './imageCheck';

/** Largest side kept; bigger pictures are scaled down (a model input is small anyway). */
const MAX_SIDE = 1024;

/**
 * Decodes `bytes` (a picked file, a training image, named `name` in
 * messages) to ImageData, at most MAX_SIDE on its longer side; an image
 * whose header declares too many pixels (or none, or no size) is refused
 * with an `ImageRefused` before the browser decodes it (imageCheck.ts).
 */
export async function decodeImage(bytes: Uint8Array, mime: string, name = 'the image'): Promise<ImageData> {
  return checkedDecode(bytes, name, async (checked) => {
    // Copy into a fresh ArrayBuffer: the message's view may sit on a larger, shared buffer.
    const blob = new Blob([checked.slice()], { type: mime });
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
  });
}
