/**
 * File access for the CLI: reading sources, resolving imports relative to the
 * importing file, and writing atomically.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { AnalyzeOptions } from '../core/analysis/analyze';

/** Reads a source file as UTF-8; a leading byte-order mark is dropped. */
export function readSource(path: string, cwd: string): string {
  const text = readFileSync(resolve(cwd, path), 'utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The `readImport` hook for `analyze`: `import "x.nnmodel"` is resolved
 * relative to the directory of the file that contains it. The returned uri is
 * the path as a user would write it from `cwd` (relative stays relative), so
 * diagnostics in imported files print readably.
 */
export function importReader(cwd: string): NonNullable<AnalyzeOptions['readImport']> {
  return (fromUri, path) => {
    const uri = isAbsolute(path) ? path : join(fromUri === undefined ? '.' : dirname(fromUri), path);
    try {
      return { uri, text: readSource(uri, cwd) };
    } catch {
      return undefined;
    }
  };
}

/**
 * Replaces a file's content (text as UTF-8, or bytes) atomically: writes a temporary file in the same
 * directory (same file system, so rename is atomic), flushes it, keeps the
 * original's permissions, then renames it over the original. A crash leaves
 * either the old or the new content, never a torn file.
 */
export function writeFileAtomic(path: string, content: string | Uint8Array, cwd: string): void {
  const target = resolve(cwd, path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let mode: number | undefined;
  try {
    mode = statSync(target).mode & 0o7777;
  } catch {
    mode = undefined;
  }
  const fd = openSync(tmp, 'wx', mode ?? 0o644);
  try {
    try {
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

/** `ENOENT: no such file...` → a short reason for an I/O error message. */
export function ioReason(err: unknown): string {
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
