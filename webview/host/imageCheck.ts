/**
 * The check every image the inspector decodes passes first (image.ts
 * `decodeImage`: a picked file, a training image), without the DOM so that
 * it is unit-tested in Node.
 */
import { imageSizeRefusal } from '../../extension/core/runtime/data/imageHeader';

/** An image refused from its header, before decoding: its message names the file and says what to do. */
export class ImageRefused extends Error {}

/**
 * Runs `decode` on `bytes` only when the size the header declares is
 * acceptable (core `imageSizeRefusal`, the check training's decoder makes):
 * an image over the pixel limit, of no pixels, or whose header does not say
 * its size is refused with an `ImageRefused` naming `name`, and `decode`
 * never runs (a few hundred bytes can declare gigabytes of pixels).
 */
export async function checkedDecode<T>(bytes: Uint8Array, name: string, decode: (bytes: Uint8Array) => Promise<T>): Promise<T> {
  const refused = imageSizeRefusal(bytes, name, { requireSize: true, resized: 'the inspector shrinks it to the model’s input anyway' });
  if (refused) throw new ImageRefused(refused);
  return decode(bytes);
}
