/**
 * The training images the inspector offers in the feature maps' picker
 * (and starts on) for a model whose train section reads `images(...)`.
 * Listed asynchronously, after the model message and never on its path:
 * each folder is read only until the images needed are found (no file is
 * statted), and the list is kept per folder for as long as the folder's and
 * its class folders' modification times stay the same. An offered image is
 * read only when its real path, taken at read time, is inside the
 * workspace. Without vscode, so unit tested in Node
 * (test/unit/feature-maps-train-images.test.ts).
 */
import * as nodePath from 'node:path';
import * as fsp from 'node:fs/promises';
import { isInside, joinPath, normalizePath } from '../../core/runtime/data/files';

/** Images of an `images(...)` folder offered in the feature maps' picker: the first few of each class, at most this many in all. */
export const TRAIN_IMAGES_PER_CLASS = 8;
export const TRAIN_IMAGES_MAX = 48;
/** Most entries read from one folder: a folder of other files is not read to its end either. */
export const TRAIN_IMAGES_SCAN_LIMIT = 4096;
const TRAIN_IMAGE_EXT = /\.(png|jpe?g)$/i;

interface DirEntry {
  readonly name: string;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
}

interface OpenFile {
  stat(): Promise<{ isFile(): boolean; size: number; dev: number; ino: number }>;
  readFile(): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** The file access the listing and the reading need (node:fs/promises; wrapped in tests to count what is read). */
export interface TrainImagesFs {
  /** A directory's entries, one at a time: the listing stops early, which closes it. */
  opendir(path: string): Promise<AsyncIterable<DirEntry>>;
  realpath(path: string): Promise<string>;
  stat(path: string): Promise<{ mtimeMs: number; dev: number; ino: number }>;
  open(path: string): Promise<OpenFile>;
}

export const nodeTrainImagesFs: TrainImagesFs = {
  opendir: (p) => fsp.opendir(p),
  realpath: (p) => fsp.realpath(p),
  stat: (p) => fsp.stat(p),
  open: (p) => fsp.open(p, 'r'),
};

/** The path functions used (node:path; `path.win32` in tests). */
type PathApi = Pick<typeof nodePath, 'dirname'>;

/** The folder of a document, from its file-system path (`C:\ws\m.nnmodel` → `C:\ws`; `/ws/m.nnmodel` → `/ws`). */
export function documentFolder(fsPath: string, path: PathApi = nodePath): string {
  return path.dirname(fsPath);
}

/**
 * The file `rel` (relative to the document's folder `docDir`, or absolute)
 * names, with `/` separators (`C:\ws` + `pics/a.png` → `C:/ws/pics/a.png`),
 * which Node reads on every platform.
 */
export function trainImagePath(docDir: string, rel: string): string {
  return joinPath(docDir, rel);
}

interface Listing {
  /** Modification times of the folder and of each class folder read, in order: the listing holds while they do. */
  stamp: string;
  classes: string[];
  /** `class/file`, classes taken in turn. */
  files: string[];
}
const listings = new Map<string, Listing>();

export interface ListOptions {
  /** Stops the listing (it then rejects with an AbortError). */
  signal?: AbortSignal;
  fs?: TrainImagesFs;
}

/**
 * The first images of each class sub-folder of `rel` (relative to the
 * document's folder `docDir`), taken class by class in turn so that every
 * class shows early: paths as `rel/class/file`. A class folder is read only
 * until the images it contributes are found (at most
 * `TRAIN_IMAGES_PER_CLASS`, fewer when there are many classes); those are
 * sorted as training sorts them, and classes too. A linked image whose real
 * path is outside the workspace is left out. Empty when the folder is
 * missing, outside the workspace or unreadable (training says why).
 */
export async function listTrainImages(docDir: string, rel: string, roots: readonly string[], options: ListOptions = {}): Promise<string[]> {
  const fs = options.fs ?? nodeTrainImagesFs;
  const signal = options.signal;
  const realRoots = await realPaths(fs, roots);
  let root: string;
  try {
    root = normalizePath(await fs.realpath(trainImagePath(docDir, rel)));
  } catch {
    return [];
  }
  if (!realRoots.some((r) => isInside(root, r))) return [];
  checkAborted(signal);
  const cached = listings.get(root);
  if (cached && (await stampOf(fs, root, cached.classes).catch(() => undefined)) === cached.stamp) return cached.files.map((f) => `${rel}/${f}`);
  checkAborted(signal);
  let listing: Listing;
  try {
    listing = await readListing(fs, root, realRoots, signal);
  } catch (e) {
    if (signal?.aborted || (e instanceof Error && e.name === 'AbortError')) throw abortError();
    listings.delete(root);
    return [];
  }
  listings.set(root, listing);
  return listing.files.map((f) => `${rel}/${f}`);
}

async function readListing(fs: TrainImagesFs, root: string, realRoots: readonly string[], signal: AbortSignal | undefined): Promise<Listing> {
  // The stamp is read first: a change while the folders are read makes the next listing read them again.
  const rootStat = await fs.stat(root);
  const classes = (await firstEntries(fs, root, TRAIN_IMAGES_MAX, (e) => e.isDirectory() && !e.name.startsWith('.'), signal)).sort();
  const need = Math.min(TRAIN_IMAGES_PER_CLASS, Math.ceil(TRAIN_IMAGES_MAX / Math.max(1, classes.length)));
  const perClass: string[][] = [];
  const stamps = [String(rootStat.mtimeMs)];
  for (const c of classes) {
    const dir = `${root}/${c}`;
    stamps.push(String((await fs.stat(dir)).mtimeMs));
    const names = await firstEntries(fs, dir, need, (e) => !e.isDirectory() && TRAIN_IMAGE_EXT.test(e.name), signal, async (e) => {
      // A linked image is offered only when it leads to a file inside the workspace (and it is checked again when read).
      if (!e.isSymbolicLink()) return true;
      const real = await fs.realpath(`${dir}/${e.name}`).catch(() => undefined);
      return real !== undefined && realRoots.some((r) => isInside(normalizePath(real), r));
    });
    perClass.push(names.sort().map((n) => `${c}/${n}`));
  }
  const files: string[] = [];
  for (let i = 0; i < need && files.length < TRAIN_IMAGES_MAX; i++) {
    for (const names of perClass) if (i < names.length && files.length < TRAIN_IMAGES_MAX) files.push(names[i]);
  }
  return { stamp: stamps.join(' '), classes, files };
}

/** Names of the first `n` entries of `dir` that `take` (and `accept`, when given) keep, in directory order; stops reading there. */
async function firstEntries(
  fs: TrainImagesFs,
  dir: string,
  n: number,
  take: (e: DirEntry) => boolean,
  signal: AbortSignal | undefined,
  accept?: (e: DirEntry) => Promise<boolean>,
): Promise<string[]> {
  const names: string[] = [];
  if (n <= 0) return names;
  let scanned = 0;
  // Leaving the loop early closes the directory.
  for await (const e of await fs.opendir(dir)) {
    checkAborted(signal);
    if (take(e) && (!accept || (await accept(e)))) names.push(e.name);
    if (names.length >= n || ++scanned >= TRAIN_IMAGES_SCAN_LIMIT) break;
  }
  return names;
}

async function stampOf(fs: TrainImagesFs, root: string, classes: readonly string[]): Promise<string> {
  const times = await Promise.all([root, ...classes.map((c) => `${root}/${c}`)].map(async (p) => String((await fs.stat(p)).mtimeMs)));
  return times.join(' ');
}

async function realPaths(fs: TrainImagesFs, roots: readonly string[]): Promise<string[]> {
  return Promise.all(roots.map(async (r) => normalizePath(await fs.realpath(r).catch(() => r))));
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError();
}

function abortError(): Error {
  const e = new Error('the listing of the training images was cancelled');
  e.name = 'AbortError';
  return e;
}

/** Forgets the folder listings (tests). */
export function clearTrainImageListings(): void {
  listings.clear();
}

/**
 * The bytes of the offered training image `rel` (relative to `docDir`), at
 * most `maxBytes`. Its real path is taken now, at read time, and must be
 * inside one of `roots`: a linked file, or a folder re-linked since the
 * listing, that leads outside the workspace is refused. The file is opened
 * first and checked after: the file read is the one found inside the
 * workspace. Throws an Error whose message is for the user.
 */
export async function readTrainImage(docDir: string, rel: string, roots: readonly string[], maxBytes: number, fs: TrainImagesFs = nodeTrainImagesFs): Promise<Uint8Array> {
  const realRoots = await realPaths(fs, roots);
  const inside = (p: string) => realRoots.some((r) => isInside(p, r));
  const real = async () => {
    try {
      return normalizePath(await fs.realpath(trainImagePath(docDir, rel)));
    } catch {
      throw new Error(`${rel} was not found.`);
    }
  };
  const before = await real();
  if (!inside(before)) throw new Error(`${rel} leads outside the workspace (to ${before}); nnmodel only reads files inside the workspace folders.`);
  const file = await fs.open(before);
  try {
    const st = await file.stat();
    if (!st.isFile()) throw new Error(`${rel} is not a file.`);
    if (st.size > maxBytes) throw new Error(`${rel} is larger than ${maxBytes / 1024 / 1024} MiB.`);
    // A folder on the way re-linked between the check and the opening: the file opened is not the one inside.
    const after = await real();
    const now = await fs.stat(after);
    if (!inside(after)) throw new Error(`${rel} leads outside the workspace (to ${after}); nnmodel only reads files inside the workspace folders.`);
    if (now.dev !== st.dev || now.ino !== st.ino) throw new Error(`${rel} changed while it was being read; pick it again.`);
    return await file.readFile();
  } finally {
    await file.close();
  }
}
