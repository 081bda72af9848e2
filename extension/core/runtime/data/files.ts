/**
 * The user's own data (`data: images(...)`, `csv(...)`, `text(...)`) and the
 * one entry point for every `data:` source, `loadDataset`. Pure TypeScript:
 * file access goes through `DataFs`, so this runs wherever the caller can
 * read files (the extension host, the CLI, tests) and never in the webview,
 * which has no file access and receives the decoded arrays instead (the
 * built-in sets, builtin.ts, it generates itself).
 *
 * Paths are relative to the .nnmodel file and must stay inside the allowed
 * roots (the workspace folders): `resolveDataPath` checks that after
 * following symbolic links. Every problem with a file is a `DataError`
 * whose message names the file (and line and column for a CSV).
 */
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { MAX_IMAGE_PIXELS, imageSizeRefusal, pngChecksumMismatch } from './imageHeader';
import type { DataSource } from '../../analysis/types';
import type { TrainData } from '../train';
import { builtinDataset, isBuiltinSource } from './builtin';
import { charTokenizer, trainBpe, wordTokenizer, type Tokenizer, type TokenizerSpec } from '../tokenizers';
import { plural } from '../../plural';
import { asFeatureStats, type FeatureStats } from '../checkpoint';

export { asFeatureStats, type FeatureStats };

/** Examples and targets as flat typed arrays (the layout of `SyntheticDataset`), with what evaluation and generation need besides. */
export interface Dataset extends TrainData {
  yDtype: 'float32' | 'int32';
  /** For text: how to rebuild the tokeniser (generation, evaluation). */
  tokenizer?: TokenizerSpec;
  /** For CSV: the standardisation applied to each feature (x' = (x − mean) / std). */
  featureStats?: FeatureStats;
  /** For CSV: what was done to the features, in one sentence for the training log (`describeStandardisation`). */
  standardisation?: string;
}

/** `standardised 4 feature columns (a, b, c, d) with the mean/std of the 120 training rows`, for the training log. */
export function describeStandardisation(stats: FeatureStats, from: 'data' | 'checkpoint'): string {
  const cols = `${plural(stats.names.length, 'feature column')} (${stats.names.join(', ')})`;
  const rows = stats.rows === undefined ? 'the training rows' : `the ${plural(stats.rows, 'training row')}`;
  return from === 'checkpoint' ? `standardised ${cols} with the checkpoint's mean/std (of ${rows} it was trained on)` : `standardised ${cols} with the mean/std of ${rows}`;
}

/** A problem with the user's data: the message names the file and what is wrong. */
export class DataError extends Error {
  constructor(
    message: string,
    /** The file or folder at fault (as given, relative to the model file when it was). */
    readonly file?: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'DataError';
  }
}

/** A data path outside the folders nnmodel reads from (`resolveDataPath`): the command line adds its way to widen them. */
export class OutsideDataError extends DataError {}

/** What `DataFs.stat` says of a path (symbolic links followed). */
export interface DataStat {
  /** A regular file (not a folder, device, FIFO or socket). */
  isFile: boolean;
  isDirectory: boolean;
  /** Bytes (of a regular file). */
  size: number;
}

/** File access the loaders need (node:fs/promises in Node; a fake in tests). */
export interface DataFs {
  /**
   * The bytes of a regular file. With `maxBytes`, throws instead of reading
   * anything that is not a regular file or holds more than `maxBytes` bytes,
   * and never reads past `maxBytes + 1` bytes (a file that grows meanwhile).
   */
  readFile(path: string, maxBytes?: number): Promise<Uint8Array>;
  /** What the path is, without opening it (a FIFO or device is never read); throws when it does not exist. */
  stat(path: string): Promise<DataStat>;
  /** Entries of a directory. */
  readDir(path: string): Promise<{ name: string; isDirectory: boolean }[]>;
  /** The path with symbolic links resolved; throws when it does not exist. */
  realPath(path: string): Promise<string>;
}

export interface LoadOptions {
  /** Folder of the .nnmodel file: data paths are relative to it. */
  baseDir: string;
  /** Folders the data must be inside (workspace folders). Empty: only `baseDir`. */
  roots: readonly string[];
  fs: DataFs;
  /** The loss decides whether CSV labels are classes or values. */
  loss?: string;
  /** Stops loading early (between files) when it returns true. */
  cancelled?: () => boolean;
  /** How many inputs the model has (default 1): two make `sequences` teacher-forcing pairs (`builtinDataset`). */
  inputs?: number;
  /**
   * The rows of `count` the run trains on (train.ts `validationSplit`'s
   * `train`, with the run's fraction and seed): CSV feature statistics come
   * from them only, so the validation rows stay unseen. Absent: every row.
   */
  trainingRows?: (count: number) => ArrayLike<number>;
  /**
   * CSV feature statistics saved with a checkpoint (resume, evaluation):
   * applied instead of computing new ones, so the model sees its features
   * scaled as when it was trained. The CSV must have the same feature columns.
   */
  featureStats?: FeatureStats;
}

/** Largest data file read (CSV or text). */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;
/** Most images read from one folder. */
export const MAX_IMAGES = 100_000;
/** Most windows cut from one text. */
export const MAX_TEXT_WINDOWS = 200_000;

// ------------------------------------------------------------------ paths

/** Normalises separators and removes `.`/`..` segments (POSIX-style; Windows drive letters kept). */
export function normalizePath(p: string): string {
  const slashed = p.replace(/\\/g, '/');
  const absolute = slashed.startsWith('/');
  const out: string[] = [];
  for (const seg of slashed.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length && out[out.length - 1] !== '..') out.pop();
      else if (!absolute) out.push('..');
    } else out.push(seg);
  }
  return (absolute ? '/' : '') + out.join('/');
}

/** Whether a data path is absolute (`/data`, `C:/data`, `C:\data`): `joinPath` then ignores the base folder. */
export function isAbsolutePath(p: string): boolean {
  const r = p.replace(/\\/g, '/');
  return r.startsWith('/') || /^[A-Za-z]:\//.test(r);
}

/** `rel` resolved against the folder `base` (an absolute `rel` as it is), normalised. */
export function joinPath(base: string, rel: string): string {
  const r = rel.replace(/\\/g, '/');
  if (isAbsolutePath(r)) return normalizePath(r);
  return normalizePath(`${base}/${r}`);
}

/** Whether `path` is `root` or inside it (both normalised, absolute). */
export function isInside(path: string, root: string): boolean {
  const p = normalizePath(path);
  const r = normalizePath(root).replace(/\/$/, '');
  return p === r || p.startsWith(`${r}/`);
}

/**
 * The absolute path of `rel` (relative to `baseDir`), symbolic links
 * resolved, after checking that it exists and lies inside one of `roots`
 * (or `baseDir` when no roots are given).
 */
export async function resolveDataPath(rel: string, o: Pick<LoadOptions, 'baseDir' | 'roots' | 'fs'>): Promise<string> {
  const joined = joinPath(o.baseDir, rel);
  let real: string;
  try {
    real = normalizePath(await o.fs.realPath(joined));
  } catch {
    throw new DataError(`${rel}: not found (looked for ${joined}).`, rel);
  }
  const roots = o.roots.length ? o.roots : [o.baseDir];
  const realRoots = await Promise.all(roots.map(async (r) => normalizePath(await o.fs.realPath(r).catch(() => r))));
  if (!realRoots.some((r) => isInside(real, r))) {
    throw new OutsideDataError(`${rel}: ${real} is outside the folders nnmodel reads data from (${realRoots.join(', ')}).`, rel);
  }
  return real;
}

// ------------------------------------------------------------------ entry

/** Examples for a `data:` source: generated (built-in sets) or read and decoded (files). */
export async function loadDataset(source: DataSource, o: LoadOptions): Promise<Dataset> {
  const num = (k: string, d: number) => (typeof source.options[k] === 'number' ? (source.options[k] as number) : d);
  if (isBuiltinSource(source)) return builtinDataset(source, o.inputs);
  switch (source.kind) {
    case 'images': {
      const size = (source.options.size as number[] | undefined) ?? [28, 28];
      return loadImageFolder(source.path, { height: size[0], width: size[1] ?? size[0], grayscale: source.options.grayscale === true }, o);
    }
    case 'csv':
      return loadCsv(source.path, { label: (source.options.label as string) ?? 'label', regression: o.loss === 'mse' || o.loss === 'mae' }, o);
    case 'text':
      return loadText(
        source.path,
        {
          tokenizer: (source.options.tokenizer as 'char' | 'word' | 'bpe') ?? 'char',
          context: num('context', 64),
          vocab: typeof source.options.vocab === 'number' ? source.options.vocab : undefined,
        },
        o,
      );
  }
}

/**
 * Why `path` cannot be read as a data file, from its `stat` alone (before
 * any byte is read): not a regular file (a folder, a device such as
 * /dev/zero, a FIFO) or larger than `MAX_FILE_BYTES`. Undefined: it can.
 */
export function unreadableFile(st: DataStat, rel: string): string | undefined {
  if (st.isDirectory) return `${rel}: is a folder, not a file.`;
  if (!st.isFile) return `${rel}: is not a regular file (a device, FIFO or socket); nnmodel reads data only from regular files.`;
  if (st.size > MAX_FILE_BYTES) return `${rel}: larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB.`;
  return undefined;
}

/** The bytes of a data file: its kind and size are checked first, so a device, a FIFO or an oversized file is never read. */
async function readLimited(path: string, rel: string, o: LoadOptions): Promise<Uint8Array> {
  let st: DataStat;
  try {
    st = await o.fs.stat(path);
  } catch (e) {
    throw new DataError(`${rel}: cannot be read (${e instanceof Error ? e.message : String(e)}).`, rel);
  }
  const why = unreadableFile(st, rel);
  if (why) throw new DataError(why, rel);
  let bytes: Uint8Array;
  try {
    bytes = await o.fs.readFile(path, MAX_FILE_BYTES);
  } catch (e) {
    throw new DataError(`${rel}: cannot be read (${e instanceof Error ? e.message : String(e)}).`, rel);
  }
  if (bytes.byteLength > MAX_FILE_BYTES) throw new DataError(`${rel}: larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB.`, rel);
  return bytes;
}

function decodeUtf8(bytes: Uint8Array, rel: string): string {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch {
    throw new DataError(`${rel}: is not UTF-8 text.`, rel);
  }
}

// ------------------------------------------------------------------ images

const IMAGE_EXT = /\.(png|jpe?g)$/i;

export interface ImageFolderOptions {
  height: number;
  width: number;
  grayscale: boolean;
}

/**
 * The classes (sub-folder names in code-point order) and image files of an
 * image folder, from listings alone (nothing is decoded): what
 * `loadImageFolder` trains on, and what `nnmodel check` looks at. A stray
 * image outside a class folder, fewer than 2 classes, an empty class folder
 * or more than `MAX_IMAGES` images is a DataError naming the path.
 */
export async function listImageFolder(
  rel: string,
  o: Pick<LoadOptions, 'baseDir' | 'roots' | 'fs'>,
): Promise<{ classes: string[]; files: { path: string; rel: string; label: number }[] }> {
  const root = await resolveDataPath(rel, o);
  const entries = await o.fs.readDir(root).catch(() => {
    throw new DataError(`${rel}: is not a folder; images(...) needs a folder with one sub-folder of images per class.`, rel);
  });
  const stray = entries.find((e) => !e.isDirectory && IMAGE_EXT.test(e.name));
  if (stray) {
    throw new DataError(`${rel}/${stray.name}: is not inside a class folder; put each image in a sub-folder named after its class (e.g. ${rel}/cat/${stray.name}).`, `${rel}/${stray.name}`);
  }
  const classes = entries.filter((e) => e.isDirectory && !e.name.startsWith('.')).map((e) => e.name).sort();
  if (classes.length < 2) {
    throw new DataError(`${rel}: needs at least 2 class sub-folders with images, found ${classes.length}${classes.length ? ` (${classes.join(', ')})` : ''}.`, rel);
  }
  const files: { path: string; rel: string; label: number }[] = [];
  for (let c = 0; c < classes.length; c++) {
    const dir = `${root}/${classes[c]}`;
    const names = (await o.fs.readDir(dir)).filter((e) => !e.isDirectory && IMAGE_EXT.test(e.name)).map((e) => e.name).sort();
    if (names.length === 0) throw new DataError(`${rel}/${classes[c]}: has no PNG or JPEG images; remove the folder or add images.`, `${rel}/${classes[c]}`);
    for (const n of names) files.push({ path: `${dir}/${n}`, rel: `${rel}/${classes[c]}/${n}`, label: c });
  }
  if (files.length > MAX_IMAGES) throw new DataError(`${rel}: has ${files.length} images, more than the limit of ${MAX_IMAGES}.`, rel);
  return { classes, files };
}

/**
 * A folder with one sub-folder per class, each holding PNG or JPEG files.
 * Classes are the sub-folder names in code-point order; every image is
 * resized to `height × width` (area-weighted when shrinking), converted to
 * grey or RGB, with values in [0, 1] (transparent pixels over black).
 * Other files are ignored; an image outside a class folder, an empty class
 * folder or a file that does not decode is an error naming it.
 */
export async function loadImageFolder(rel: string, opts: ImageFolderOptions, o: LoadOptions): Promise<Dataset> {
  const { classes, files } = await listImageFolder(rel, o);
  const channels = opts.grayscale ? 1 : 3;
  const plane = opts.height * opts.width * channels;
  const xs = new Float32Array(files.length * plane);
  const ys = new Int32Array(files.length);
  for (let i = 0; i < files.length; i++) {
    if (o.cancelled?.()) throw new DataError('loading the images was cancelled.', rel);
    const f = files[i];
    const img = decodeImage(await readLimited(f.path, f.rel, o), f.rel);
    xs.set(resizeImage(img, opts.height, opts.width, channels), i * plane);
    ys[i] = f.label;
  }
  return {
    source: rel,
    count: files.length,
    xs,
    xDtype: 'float32',
    exampleShape: [opts.height, opts.width, channels],
    ys,
    yDtype: 'int32',
    targetShape: [],
    classes,
  };
}

/** A decoded image: 8-bit RGBA, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Decodes PNG or JPEG by its signature (not its file name), so a mislabelled
 * file is named as such. The size the header declares is checked before
 * decoding (a small file can declare an image of gigabytes), and a PNG's
 * checksums too, so that a damaged file is called damaged.
 */
export function decodeImage(bytes: Uint8Array, rel: string): RgbaImage {
  if (bytes.length === 0) throw new DataError(`${rel}: is empty (0 bytes); copy the image again, or remove the file.`, rel);
  const isPng = bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const named = /\.png$/i.test(rel) ? 'PNG' : 'JPEG';
  if (!isPng && !isJpeg) throw new DataError(`${rel}: is not a PNG or JPEG image (its first bytes are neither signature).`, rel);
  const actual = isPng ? 'PNG' : 'JPEG';
  const note = actual !== named ? ` (it is a ${actual} file named as ${named})` : '';
  const refused = imageSizeRefusal(bytes, rel, { resized: 'training resizes every image to the size in images(...) anyway' });
  if (refused) throw new DataError(refused, rel);
  const damaged = pngChecksumMismatch(bytes);
  if (damaged) {
    throw new DataError(
      `${rel}: is damaged: the checksum of its ${damaged.chunk} chunk (at byte ${damaged.offset}) does not match its contents, so the file changed after it was written; copy or export the image again, or remove it.`,
      rel,
    );
  }
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
    }
    const j = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
    return { width: j.width, height: j.height, data: j.data };
  } catch (e) {
    let why = e instanceof Error ? e.message : String(e);
    // pngjs's words for a file that ends before its image does ("read requests waitng on finished stream").
    if (isPng && /waiting|waitng|finished stream|unexpected end/i.test(why)) why = 'the file ends before its image does (truncated, or not fully copied)';
    // ... and for one whose chunks stop making sense before its end.
    else if (isPng && /unrecognised content at end of stream/i.test(why)) why = 'the file is damaged (its contents do not follow the PNG format to its end); copy or export the image again, or remove it';
    throw new DataError(`${rel}: cannot be decoded as ${actual}${note}: ${why}.`, rel);
  }
}

/**
 * Resizes to `h × w` with `channels` (1: luminance, 3: RGB), values in
 * [0, 1]. Each output pixel averages the source pixels its footprint covers
 * with a triangle filter as wide as the scale (antialiased when shrinking,
 * bilinear when enlarging).
 */
export function resizeImage(img: RgbaImage, h: number, w: number, channels: number): Float32Array {
  const src = new Float32Array(img.width * img.height * channels);
  for (let i = 0, n = img.width * img.height; i < n; i++) {
    const a = img.data[i * 4 + 3] / 255;
    const r = (img.data[i * 4] / 255) * a;
    const g = (img.data[i * 4 + 1] / 255) * a;
    const b = (img.data[i * 4 + 2] / 255) * a;
    if (channels === 1) src[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    else {
      src[i * 3] = r;
      src[i * 3 + 1] = g;
      src[i * 3 + 2] = b;
    }
  }
  const wx = filterWeights(img.width, w);
  const wy = filterWeights(img.height, h);
  // Horizontal pass, then vertical.
  const mid = new Float32Array(img.height * w * channels);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < w; x++) {
      const { start, weights } = wx[x];
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let k = 0; k < weights.length; k++) s += weights[k] * src[(y * img.width + start + k) * channels + c];
        mid[(y * w + x) * channels + c] = s;
      }
    }
  }
  const out = new Float32Array(h * w * channels);
  for (let y = 0; y < h; y++) {
    const { start, weights } = wy[y];
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let k = 0; k < weights.length; k++) s += weights[k] * mid[((start + k) * w + x) * channels + c];
        out[(y * w + x) * channels + c] = Math.min(1, Math.max(0, s));
      }
    }
  }
  return out;
}

function filterWeights(inSize: number, outSize: number): { start: number; weights: number[] }[] {
  const scale = inSize / outSize;
  const support = Math.max(1, scale);
  const out: { start: number; weights: number[] }[] = [];
  for (let i = 0; i < outSize; i++) {
    const centre = (i + 0.5) * scale - 0.5;
    const lo = Math.max(0, Math.ceil(centre - support));
    const hi = Math.min(inSize - 1, Math.floor(centre + support));
    const weights: number[] = [];
    let total = 0;
    for (let j = lo; j <= hi; j++) {
      const wgt = Math.max(0, 1 - Math.abs(j - centre) / support);
      weights.push(wgt);
      total += wgt;
    }
    if (total === 0) {
      const nearest = Math.min(inSize - 1, Math.max(0, Math.round(centre)));
      out.push({ start: nearest, weights: [1] });
    } else out.push({ start: lo, weights: weights.map((x) => x / total) });
  }
  return out;
}

// ------------------------------------------------------------------ csv

/** Splits CSV text into rows of fields (RFC 4180: quotes, doubled quotes, CRLF), with each row's 1-based line. */
export function parseCsv(text: string, rel: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let fieldStarted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      fieldStarted = false;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      fields.push(field);
      if (!(fields.length === 1 && fields[0].trim() === '')) rows.push({ line: rowLine, fields });
      fields = [];
      field = '';
      fieldStarted = false;
      line++;
      rowLine = line;
    } else {
      field += ch;
      if (ch !== ' ' && ch !== '\t') fieldStarted = true;
    }
  }
  if (quoted) throw new DataError(`${rel}:${rowLine}: a quoted field is not closed.`, rel, rowLine);
  fields.push(field);
  if (!(fields.length === 1 && fields[0].trim() === '')) rows.push({ line: rowLine, fields });
  return rows;
}

/** A decimal literal, as Python's float() and pandas read a CSV number: 16, -0.5, .5, 5., 1e-3 (no 0x10, 0b1, 0o7, Infinity). */
const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/**
 * Whether a finite number becomes ±Infinity as a 32-bit float, as the
 * models read every value. Not `|v| > 3.4028234663852886e38` (the largest
 * float32): a value just above it rounds to it, and `3.4028235e38` is how
 * numpy and pandas write that largest float32 (np.finfo(np.float32).max).
 */
const beyondFloat32Range = (v: number): boolean => !Number.isFinite(Math.fround(v));
const beyondFloat32 =
  'beyond the largest number a 32-bit float holds (about ±3.4e38), which is how the model reads every value: it would become Infinity and training NaN. Rescale the column (other units, or its logarithm).';

/** The number a CSV field (trimmed) holds, NaN when it is not a finite decimal literal. */
export function csvNumber(raw: string): number {
  return DECIMAL.test(raw) ? Number(raw) : NaN;
}

/** For a value JavaScript would read as a number but a CSV reader does not (`0x10`): why, and what to write. */
function notDecimal(raw: string): string {
  const v = Number(raw);
  if (raw === '' || !Number.isFinite(v)) return '';
  const base = /^[+-]?0[xX]/.test(raw) ? 'hexadecimal ' : /^[+-]?0[bB]/.test(raw) ? 'binary ' : /^[+-]?0[oO]/.test(raw) ? 'octal ' : '';
  return ` (a CSV number is decimal, as Python and pandas read it: ${base ? `${base}'${raw}' is` : `'${raw}' would be`} written ${v})`;
}

/**
 * A CSV file with a header row: `label` names the target column, every
 * other column is a numeric feature. Features are standardised,
 * x' = (x − mean) / std per column, with the mean and (population) standard
 * deviation of the training rows (`o.trainingRows`; every row without it), a
 * constant column only centred (std taken as 1); or with `o.featureStats`
 * (a checkpoint's) when given. Recorded in `featureStats`. Labels
 * are classes (sorted: numerically when all are numbers), or values when
 * `regression`. Numbers are decimal literals as Python and pandas read them
 * (`csvNumber`: `0x10` is not 16). A bad value is an error naming file, line
 * and column; so are two columns of one name, and a header that is one name
 * with ';' in it (a ';'-separated file) is said to be one.
 */
export async function loadCsv(rel: string, opts: { label: string; regression: boolean }, o: LoadOptions): Promise<Dataset> {
  const path = await resolveDataPath(rel, o);
  const rows = parseCsv(decodeUtf8(await readLimited(path, rel, o), rel), rel);
  if (rows.length === 0) throw new DataError(`${rel}: is empty; it needs a header row and at least one data row.`, rel);
  const header = rows[0].fields.map((h) => h.trim());
  if (header.length === 1 && header[0].includes(';')) {
    // Spreadsheets in many European locales save CSV with ';' between fields (',' being their decimal point).
    throw new DataError(
      `${rel}:1: has one column, '${header[0]}', whose name contains ';': the file looks separated by ';' (as spreadsheets save CSV in locales whose decimal point is ','); nnmodel reads fields separated by ',', with '.' as the decimal point. Save it with ',' as the separator.`,
      rel,
      1,
    );
  }
  const numbers = header.filter((h) => Number.isFinite(csvNumber(h)));
  if (!header.includes(opts.label) && numbers.length > 0) {
    // A file without a header row: its first row of data was read as the column names.
    const names = header.map((_, c) => (c === header.length - 1 ? opts.label : `x${c + 1}`)).join(',');
    throw new DataError(
      `${rel}:1: has no column '${opts.label}' for the label, and its first row (${header.join(', ')}) looks like data (${numbers.length === header.length ? 'all numbers' : `${plural(numbers.length, 'number')}`}), not a header: the first row must name the columns. Add a header row such as '${names}' (the label column named '${opts.label}', or give its name with csv(..., label = "name")).`,
      rel,
      1,
    );
  }
  const seen = new Map<string, number>();
  header.forEach((name, c) => {
    const first = seen.get(name);
    if (first === undefined) return void seen.set(name, c);
    const named = name === '' ? 'have no name' : `are both named '${name}'`;
    throw new DataError(`${rel}:1:${c + 1}: columns ${first + 1} and ${c + 1} ${named}; each column needs a name of its own.`, rel, 1, c + 1);
  });
  const labelCol = header.indexOf(opts.label);
  if (labelCol < 0) throw new DataError(`${rel}:1: has no column '${opts.label}' for the label; its columns are ${header.join(', ')}.`, rel, 1);
  if (header.length < 2) throw new DataError(`${rel}:1: has no feature columns besides '${opts.label}'.`, rel, 1);
  const data = rows.slice(1);
  if (data.length === 0) throw new DataError(`${rel}: has a header but no data rows.`, rel);
  const featureCols = header.map((_, i) => i).filter((i) => i !== labelCol);
  const n = data.length;
  const f = featureCols.length;
  const xs = new Float32Array(n * f);
  const labels: string[] = [];
  for (let r = 0; r < n; r++) {
    const { line, fields } = data[r];
    if (fields.length !== header.length) {
      throw new DataError(`${rel}:${line}: has ${fields.length} fields, but the header has ${header.length} columns.`, rel, line);
    }
    featureCols.forEach((c, j) => {
      const raw = fields[c].trim();
      const v = csvNumber(raw);
      if (!Number.isFinite(v)) {
        throw new DataError(
          `${rel}:${line}:${c + 1}: column '${header[c]}' has ${raw === '' ? 'an empty value' : `'${raw}'`}, not a number${notDecimal(raw)}; every column except the label '${opts.label}' must be numeric.`,
          rel,
          line,
          c + 1,
        );
      }
      if (beyondFloat32Range(v)) throw new DataError(`${rel}:${line}:${c + 1}: column '${header[c]}' has ${raw}, ${beyondFloat32}`, rel, line, c + 1);
      xs[r * f + j] = v;
    });
    const lab = fields[labelCol].trim();
    if (lab === '') throw new DataError(`${rel}:${line}:${labelCol + 1}: the label '${opts.label}' is empty.`, rel, line, labelCol + 1);
    labels.push(lab);
  }
  const names = featureCols.map((c) => header[c]);
  let featureStats: FeatureStats;
  let standardisation: string;
  if (o.featureStats) {
    // A checkpoint's statistics: the model was trained on features scaled by them, so the same columns must be here.
    const saved = o.featureStats;
    if (saved.names.length !== f || saved.names.some((name, j) => name !== names[j])) {
      throw new DataError(
        `${rel}:1: its feature columns (${names.join(', ')}) are not those the checkpoint was trained on (${saved.names.join(', ')}); the saved standardisation cannot be applied. Restore those columns, or train the model again from scratch on this file.`,
        rel,
        1,
      );
    }
    featureStats = { names, mean: [...saved.mean], std: [...saved.std], ...(saved.rows !== undefined ? { rows: saved.rows } : {}) };
    standardisation = describeStandardisation(featureStats, 'checkpoint');
  } else {
    // The training rows only: the validation rows must not shape what the model is measured on.
    const rows = o.trainingRows ? Array.from(o.trainingRows(n)) : Array.from({ length: n }, (_, i) => i);
    if (rows.length === 0 || rows.some((r) => !Number.isInteger(r) || r < 0 || r >= n)) throw new Error(`loadCsv: the training rows of ${rel} are not rows of its ${n}`);
    const m = rows.length;
    const mean: number[] = [];
    const std: number[] = [];
    for (let j = 0; j < f; j++) {
      let s = 0;
      for (const r of rows) s += xs[r * f + j];
      const mu = s / m;
      let v = 0;
      for (const r of rows) v += (xs[r * f + j] - mu) ** 2;
      mean.push(mu);
      std.push(Math.sqrt(v / m) || 1);
    }
    featureStats = { names, mean, std, rows: m };
    standardisation = describeStandardisation(featureStats, 'data');
  }
  for (let j = 0; j < f; j++) {
    const mu = featureStats.mean[j];
    const sd = featureStats.std[j];
    for (let r = 0; r < n; r++) xs[r * f + j] = (xs[r * f + j] - mu) / sd;
  }
  if (opts.regression) {
    const ys = new Float32Array(n);
    labels.forEach((l, r) => {
      const v = csvNumber(l);
      if (!Number.isFinite(v)) {
        throw new DataError(`${rel}:${data[r].line}:${labelCol + 1}: the label '${opts.label}' is '${l}', not a number${notDecimal(l)}; with loss mse or mae the label is a value.`, rel, data[r].line, labelCol + 1);
      }
      if (beyondFloat32Range(v)) throw new DataError(`${rel}:${data[r].line}:${labelCol + 1}: the label '${opts.label}' is ${l}, ${beyondFloat32}`, rel, data[r].line, labelCol + 1);
      ys[r] = v;
    });
    return { source: rel, count: n, xs, xDtype: 'float32', exampleShape: [f], ys, yDtype: 'float32', targetShape: [1], classes: [], featureStats, standardisation };
  }
  const distinct = [...new Set(labels)];
  const numeric = distinct.every((l) => Number.isFinite(csvNumber(l)));
  const classes = numeric ? distinct.sort((a, b) => csvNumber(a) - csvNumber(b)) : distinct.sort();
  if (classes.length < 2) throw new DataError(`${rel}: the label '${opts.label}' has only one value ('${classes[0]}'); classification needs at least 2 classes.`, rel);
  const id = new Map(classes.map((c, i) => [c, i]));
  const ys = Int32Array.from(labels, (l) => id.get(l)!);
  return { source: rel, count: n, xs, xDtype: 'float32', exampleShape: [f], ys, yDtype: 'int32', targetShape: [], classes, featureStats, standardisation };
}

// ------------------------------------------------------------------ text

/**
 * A text for next-token prediction: tokenised, then cut into windows of
 * `context` tokens at every position (or evenly spaced when that would be
 * more than `MAX_TEXT_WINDOWS`); the target of each window is the window
 * one token later. Neighbouring windows share tokens (`windows`), so the
 * validation split holds out the end of the text (`validationSplit`).
 */
export async function loadText(
  rel: string,
  opts: { tokenizer: 'char' | 'word' | 'bpe'; context: number; vocab?: number },
  o: LoadOptions,
): Promise<Dataset> {
  const path = await resolveDataPath(rel, o);
  const text = decodeUtf8(await readLimited(path, rel, o), rel);
  let tokenizer: Tokenizer;
  let spec: TokenizerSpec;
  if (opts.tokenizer === 'char') {
    const alphabet = [...new Set(Array.from(text))].join('');
    tokenizer = charTokenizer(alphabet);
    spec = { kind: 'char', alphabet };
  } else if (opts.tokenizer === 'word') {
    tokenizer = wordTokenizer(text);
    spec = { kind: 'word', corpus: text };
  } else {
    if (opts.vocab === undefined) throw new DataError(`${rel}: tokenizer = bpe needs vocab.`, rel);
    try {
      const bpe = trainBpe(text, opts.vocab);
      tokenizer = bpe;
      spec = { kind: 'bpe', model: bpe.model };
    } catch (e) {
      throw new DataError(`${rel}: ${e instanceof Error ? e.message : String(e)}.`, rel);
    }
  }
  const ids = tokenizer.encode(text);
  const T = opts.context;
  if (ids.length < T + 1) {
    throw new DataError(`${rel}: has ${plural(ids.length, 'token')}, fewer than context + 1 = ${T + 1}; use a longer text or a smaller context.`, rel);
  }
  const positions = ids.length - T;
  const stride = Math.max(1, Math.ceil(positions / MAX_TEXT_WINDOWS));
  const count = Math.ceil(positions / stride);
  const xs = new Int32Array(count * T);
  const ys = new Int32Array(count * T);
  for (let i = 0; i < count; i++) {
    const at = i * stride;
    for (let t = 0; t < T; t++) {
      xs[i * T + t] = ids[at + t];
      ys[i * T + t] = ids[at + t + 1];
    }
  }
  const classes = tokenizer.tokens(Array.from({ length: tokenizer.vocabSize }, (_, i) => i));
  // Window i reads tokens i·stride … i·stride + T − 1 and its target ends at i·stride + T: windows fewer than T / stride + 1 apart share tokens.
  const windows = { overlap: Math.floor(T / stride) + 1 };
  return { source: rel, count, xs, xDtype: 'int32', exampleShape: [T], ys, yDtype: 'int32', targetShape: [T], classes, tokenizer: spec, windows };
}
