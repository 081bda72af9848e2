/**
 * The training images the inspector offers in the feature maps' picker
 * (and starts on) for a model whose train section reads `images(...)`:
 * listed synchronously with the model message, without vscode, so it is
 * unit tested in Node (test/unit/inspector-train-images.test.ts).
 */
import { readdirSync, realpathSync } from 'node:fs';
import { isInside, joinPath, normalizePath } from '../../core/runtime/data/files';

/** Images of an `images(...)` folder offered in the feature maps' picker: the first few of each class, at most this many in all. */
const TRAIN_IMAGES_PER_CLASS = 8;
const TRAIN_IMAGES_MAX = 48;
const TRAIN_IMAGE_EXT = /\.(png|jpe?g)$/i;
/** A folder listing is reused this long (the model message is sent on every edit). */
const LISTING_TTL_MS = 5_000;
const listings = new Map<string, { at: number; files: string[] }>();

/**
 * The first images of each class sub-folder of `rel` (relative to the
 * document's folder), classes and files in the order training reads them
 * (code points), taken class by class in turn so that every class shows
 * early: paths as `rel/class/file`. Empty when the folder is missing,
 * outside the workspace or unreadable (training says why).
 */
export function listTrainImages(docDir: string, rel: string, roots: readonly string[]): string[] {
  let root: string;
  try {
    root = normalizePath(realpathSync(joinPath(docDir, rel)));
  } catch {
    return [];
  }
  const realRoots = roots.map((r) => {
    try {
      return normalizePath(realpathSync(r));
    } catch {
      return normalizePath(r);
    }
  });
  if (!realRoots.some((r) => isInside(root, r))) return [];
  const cached = listings.get(root);
  if (cached && Date.now() - cached.at < LISTING_TTL_MS) return cached.files.map((f) => `${rel}/${f}`);
  const perClass: string[][] = [];
  try {
    const classes = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
    for (const c of classes) {
      const names = readdirSync(`${root}/${c}`, { withFileTypes: true }).filter((e) => !e.isDirectory() && TRAIN_IMAGE_EXT.test(e.name)).map((e) => e.name).sort();
      perClass.push(names.slice(0, TRAIN_IMAGES_PER_CLASS).map((n) => `${c}/${n}`));
    }
  } catch {
    return [];
  }
  const files: string[] = [];
  for (let i = 0; i < TRAIN_IMAGES_PER_CLASS && files.length < TRAIN_IMAGES_MAX; i++) {
    for (const names of perClass) if (i < names.length && files.length < TRAIN_IMAGES_MAX) files.push(names[i]);
  }
  listings.set(root, { at: Date.now(), files });
  return files.map((f) => `${rel}/${f}`);
}
