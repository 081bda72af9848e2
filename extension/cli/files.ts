/**
 * File access for the CLI: reading sources, resolving imports relative to the
 * importing file, and writing atomically.
 */
import { closeSync, fchownSync, fstatSync, fsyncSync, openSync, readSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { AnalyzeOptions } from '../core/analysis/analyze';
import { LineMap } from '../core/syntax/lexer';

/** The FILE that means standard input: `nnmodel check -`, `nnmodel format - < a.nnmodel`. */
export const STDIN = '-';

/** How messages name a FILE: standard input as `<stdin>`, a file as given. */
export function displayPath(path: string): string {
  return path === STDIN ? '<stdin>' : path;
}

/** Reads a source file as UTF-8 (UTF-16 when it starts with a UTF-16 byte-order mark); a leading byte-order mark is dropped. */
export function readSource(path: string, cwd: string): string {
  return readSourceFile(path, cwd).text;
}

/** A source file as text, with what reading it as text drops: what a command that writes it back must keep. */
export interface SourceText {
  /** The file's text, without its byte-order mark; a byte that is not UTF-8 (or a broken UTF-16 unit) reads as U+FFFD. */
  text: string;
  /** The file starts with a byte-order mark (always, for UTF-16). */
  bom: boolean;
  /** UTF-8, or UTF-16 (little or big endian) as Windows tools save it, told by its byte-order mark. */
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be';
  /**
   * The first byte that is not UTF-8 (a Latin-1 `é`, 0xE9; in UTF-16, an odd last byte or
   * a lone surrogate), where it stands in `text` (zero-based line and UTF-16 character):
   * writing `text` back would replace it by U+FFFD.
   */
  invalid?: { byte: number; line: number; character: number };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The largest source file read: 16 MiB is some 300 000 lines, far past any model (the examples are a few KiB),
 * and analysing it takes seconds and over a GiB. A bound, so that `/dev/zero` or a runaway
 * generated file named by mistake (or imported) is refused rather than read until memory runs out.
 */
export const MAX_SOURCE_BYTES = 16 * 2 ** 20;

/** A file past {@link MAX_SOURCE_BYTES}. */
export class TooLarge extends Error {
  constructor() {
    super(`larger than ${MAX_SOURCE_BYTES / 2 ** 20} MiB, more than any .nnmodel file holds`);
  }
}

/**
 * The bytes of a file, at most `cap`: a regular file larger is refused from its size, and a
 * pipe or device (`nnmodel check <(...)`, `/dev/stdin`) is read until its end or past the cap.
 */
function readBounded(path: string | number, cap = MAX_SOURCE_BYTES): Buffer {
  // A descriptor given (standard input where there is no /dev/stdin) is the caller's: read, not closed.
  const fd = typeof path === 'number' ? path : openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), { code: 'EISDIR' });
    if (st.size > cap) throw new TooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    const chunk = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (err) {
        // A non-blocking descriptor (standard input as a socket) with nothing yet: wait a little and read again.
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      if (n === 0) break;
      total += n;
      if (total > cap) throw new TooLarge();
      chunks.push(Buffer.from(chunk.subarray(0, n)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    if (typeof path !== 'number') closeSync(fd);
  }
}

/**
 * Standard input, to its end: opened anew as /dev/stdin where it can be (a
 * pipe or file, read blocking), else from descriptor 0 (Windows; a socket,
 * as Node's child processes get, which /dev/stdin cannot open).
 */
function readStdin(): Buffer {
  if (process.platform !== 'win32') {
    try {
      return readBounded('/dev/stdin');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENXIO' && code !== 'ENOENT' && code !== 'EACCES') throw err;
    }
  }
  return readBounded(0);
}

/** Reads a source file as {@link readSource} does, and says in which encoding, whether it had a byte-order mark, and where a byte of no character is. */
export function readSourceFile(path: string, cwd: string): SourceText {
  const bytes = path === STDIN ? readStdin() : readBounded(resolve(cwd, path));
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) return readUtf16(bytes);
  const raw = bytes.toString('utf8');
  const bom = raw.charCodeAt(0) === 0xfeff;
  const text = bom ? raw.slice(1) : raw;
  let bad = -1;
  try {
    UTF8.decode(bytes);
  } catch {
    bad = firstInvalidUtf8(bytes);
  }
  if (bad < 0) return { text, bom, encoding: 'utf-8' };
  const offset = bytes.subarray(0, bad).toString('utf8').length - (bom ? 1 : 0);
  const { line, character } = LineMap.of(text).positionAt(offset);
  return { text, bom, encoding: 'utf-8', invalid: { byte: bytes[bad], line, character } };
}

/** A file that starts with a UTF-16 byte-order mark (FF FE little endian, FE FF big endian). */
function readUtf16(bytes: Buffer): SourceText {
  const encoding = bytes[0] === 0xff ? 'utf-16le' : 'utf-16be';
  const raw = new TextDecoder(encoding).decode(bytes);
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const source: SourceText = { text, bom: true, encoding };
  // An odd byte at the end or a lone surrogate does not come back as it was: the first byte that differs.
  const again = encodeSource(text, source);
  let i = 0;
  while (i < bytes.length && i < again.length && bytes[i] === again[i]) i++;
  if (i === bytes.length && i === again.length) return source;
  const { line, character } = LineMap.of(text).positionAt(Math.max(0, (i >> 1) - 1));
  return { ...source, invalid: { byte: bytes[i] ?? 0, line, character } };
}

/** `text` as the bytes of a file read as `source`: its encoding, and its byte-order mark when it had one. */
export function encodeSource(text: string, source: Pick<SourceText, 'bom' | 'encoding'>): Buffer {
  const full = source.bom ? '\ufeff' + text : text;
  if (source.encoding === 'utf-8') return Buffer.from(full, 'utf8');
  const le = Buffer.from(full, 'utf16le');
  return source.encoding === 'utf-16le' ? le : le.swap16();
}

/** Index of the first byte of `b` that does not start a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    // Lead bytes of 2-, 3- and 4-byte sequences; 0x80-0xC1 and 0xF5-0xFF never start one.
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (n === 0 || i + n >= b.length) return i;
    let cp = c & (n === 1 ? 0x1f : n === 2 ? 0x0f : 0x07);
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if ((d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8 either.
    if (cp < [0, 0x80, 0x800, 0x10000][n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return -1;
}

/**
 * The FILEs of a command line without repeats: `a.nnmodel`, `./a.nnmodel` and
 * its absolute path (or a symbolic link to it) are one file, kept in the
 * spelling first given, so it is reported and counted once.
 */
export function distinctFiles(paths: readonly string[], cwd: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of paths) {
    // Standard input is its own key: a file named '-' (`./-`) is another input.
    let key = p === STDIN ? '\0stdin' : resolve(cwd, p);
    if (p !== STDIN) {
      try {
        key = realpathSync(key);
      } catch {
        // Missing or unreadable: reported under the name given.
      }
    }
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

/**
 * The `readImport` hook for `analyze`: `import "x.nnmodel"` is resolved
 * relative to the directory of the file that contains it. The returned uri is
 * the path as a user would write it from `cwd` (relative stays relative), so
 * diagnostics in imported files print readably.
 */
/** How import messages name where a FILE's imports are looked for (AnalyzeOptions.importBase): standard input's, from the working directory. */
export function importBase(path: string): string | undefined {
  return path === STDIN ? 'the working directory: standard input has no folder' : undefined;
}

export function importReader(cwd: string): NonNullable<AnalyzeOptions['readImport']> {
  return (fromUri, path) => {
    const uri = isAbsolute(path) ? path : join(fromUri === undefined ? '.' : dirname(fromUri), path);
    try {
      // Only a file: `import "/dev/zero"` or a FIFO would never end (or wait for a writer).
      if (!statSync(resolve(cwd, uri)).isFile()) return undefined;
      return { uri, text: readSource(uri, cwd) };
    } catch {
      return undefined;
    }
  };
}

/**
 * Replaces a file's content (text as UTF-8, or bytes) atomically: writes a temporary file in the same
 * directory (same file system, so rename is atomic), flushes it, keeps the
 * original's permissions (and owner and group, where allowed), then renames it over the original.
 * A crash leaves either the old or the new content, never a torn file. Through a symbolic link
 * the file it points to is replaced; a FIFO, a device or a folder is never replaced.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array, cwd: string): void {
  const named = resolve(cwd, path);
  let target = named;
  let mode: number | undefined;
  let owner: { uid: number; gid: number } | undefined;
  let st: ReturnType<typeof statSync> | undefined;
  try {
    // What the name leads to, links followed by the kernel (`/dev/stdin` is a pipe).
    st = statSync(named);
  } catch {
    st = undefined; // a new file (or a link to nothing): written where it is named
  }
  if (st) {
    // A rename would put a plain file where a FIFO, a device or a folder is.
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, '${named}'`), { code: 'EISDIR' });
    if (!st.isFile()) throw new NotRegularFile(st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device');
    mode = Number(st.mode) & 0o7777;
    owner = { uid: Number(st.uid), gid: Number(st.gid) };
    try {
      // Through a symbolic link, the file it points to is replaced, and the link stays.
      target = realpathSync(named);
    } catch {
      target = named;
    }
  }
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', mode ?? 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // The file may well be writable: say that it is the folder, which a replacing write needs.
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new FolderNotWritable(dirname(target), mode !== undefined, code);
    throw err;
  }
  try {
    try {
      // The new file is the writer's; give it the original's owner and group where allowed
      // (root formatting a user's file; a user keeping a group they belong to).
      if (owner && (owner.uid !== process.getuid?.() || owner.gid !== process.getgid?.())) {
        try {
          fchownSync(fd, owner.uid, owner.gid);
        } catch {
          // Not allowed: the file becomes the writer's, as any editor's save-as-replace does.
        }
      }
      const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // openSync's mode is filtered by the umask; restore the original's exactly.
    if (mode !== undefined) chmodSync(tmp, mode);
    renameSync(tmp, target);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw err;
  }
}

/**
 * A FILE named on the command line that cannot be read: the driver prints
 * `path: cannot read: reason` (as `check` does for each file) and exits 2.
 */
export class UnreadableFile extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path}: cannot read: ${reason}`);
  }
}

/** A path to be written names something other than a regular file. */
export class NotRegularFile extends Error {
  constructor(readonly what: string) {
    super(`not a regular file (${what}): it is not replaced`);
  }
}

/** A file cannot be written because its folder does not let a file be created in it. */
export class FolderNotWritable extends Error {
  constructor(
    readonly folder: string,
    replacing: boolean,
    readonly code: string,
  ) {
    super(
      `${code === 'EROFS' ? 'read-only file system' : 'permission denied'}: no file can be created in the folder ${folder}` +
        (replacing ? ' (the file is replaced by a new one written beside it, so the folder must be writable, not only the file)' : ''),
    );
  }
}

/** `ENOENT: no such file...` → a short reason for an I/O error message. */
export function ioReason(err: unknown): string {
  if (err instanceof FolderNotWritable || err instanceof NotRegularFile || err instanceof TooLarge) return err.message;
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return e?.message ?? String(err);
  }
}
