/**
 * `node:fs/promises` in the shapes the data loaders (`DataFs`) and the
 * checkpoint files (`CheckpointFs`) want. Node only (the extension host and
 * the CLI); no tfjs, so the extension host may import it.
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import type { CheckpointFs } from './checkpoint';
import type { DataFs } from './data/files';

export function nodeDataFs(): DataFs {
  return {
    readFile: (p, maxBytes) => (maxBytes === undefined ? readFile(p).then((b) => new Uint8Array(b)) : readAtMost(p, maxBytes)),
    stat: async (p) => {
      const s = await stat(p);
      return { isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size };
    },
    readDir: async (p) => (await readdir(p, { withFileTypes: true })).map((e) => ({ name: e.name, isDirectory: e.isDirectory() })),
    realPath: (p) => realpath(p),
  };
}

/**
 * A regular file of at most `max` bytes, checked on the opened file itself
 * (so a path swapped for a FIFO or device after a `stat` is still refused):
 * opened non-blocking (opening a FIFO never waits for a writer), refused
 * unless fstat says a regular file within `max`, then read in chunks that
 * stop past `max` (a file growing meanwhile).
 */
async function readAtMost(path: string, max: number): Promise<Uint8Array> {
  // O_NONBLOCK is POSIX only (undefined on Windows, where a FIFO is no path a file can name).
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw new Error('not a regular file');
    if (s.size > max) throw new Error(`${s.size} bytes, more than ${max}`);
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = new Uint8Array(Math.min(Math.max(s.size - total, 0) + 65536, max + 1 - total));
      if (chunk.length === 0) throw new Error(`more than ${max} bytes`);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (chunks.length === 1) return chunks[0];
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  } finally {
    await handle.close();
  }
}

/**
 * Checkpoint files on disk. Read as data files are (a regular file only,
 * checked on the opened file: a FIFO or device never blocks). A file is flushed (fsync) before it is renamed
 * into place, and the folder after the rename where the system allows it
 * (not on Windows), so that after a power cut the rename never points at a
 * file whose bytes did not reach the disk.
 */
export function nodeCheckpointFs(): CheckpointFs {
  return {
    mkdir: async (p) => void (await mkdir(p, { recursive: true })),
    writeFile: (p, d) => writeSynced(p, d),
    // As data files are read (`readAtMost`): a FIFO or a device in a checkpoint folder is refused, never waited on.
    readFile: (p) => readAtMost(p, Number.MAX_SAFE_INTEGER),
    rename: async (a, b) => {
      await rename(a, b);
      await syncFolder(b.slice(0, Math.max(b.lastIndexOf('/'), b.lastIndexOf('\\'))) || '.');
    },
    remove: (p) => rm(p, { force: true, recursive: true }),
    list: (d) => readdir(d),
  };
}

/** `data` written to `path` and flushed to the disk before the file is closed. */
async function writeSynced(path: string, data: Uint8Array): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes folder `dir`'s entries (a rename in it); a system that cannot open or flush a folder (Windows) is left as it is. */
async function syncFolder(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // EISDIR/EPERM on Windows, EINVAL on some file systems: the rename is done; only its durability is the system's.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
