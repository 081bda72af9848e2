/**
 * `node:fs/promises` in the shapes the data loaders (`DataFs`) and the
 * checkpoint files (`CheckpointFs`) want. Node only (the extension host and
 * the CLI); no tfjs, so the extension host may import it.
 */
import { mkdir, readFile, readdir, realpath, rename, rm, writeFile } from 'node:fs/promises';
import type { CheckpointFs } from './checkpoint';
import type { DataFs } from './data/files';

export function nodeDataFs(): DataFs {
  return {
    readFile: async (p) => new Uint8Array(await readFile(p)),
    readDir: async (p) => (await readdir(p, { withFileTypes: true })).map((e) => ({ name: e.name, isDirectory: e.isDirectory() })),
    realPath: (p) => realpath(p),
  };
}

export function nodeCheckpointFs(): CheckpointFs {
  return {
    mkdir: async (p) => void (await mkdir(p, { recursive: true })),
    writeFile: (p, d) => writeFile(p, d),
    readFile: async (p) => new Uint8Array(await readFile(p)),
    rename: (a, b) => rename(a, b),
    remove: (p) => rm(p, { force: true, recursive: true }),
    list: (d) => readdir(d),
  };
}
