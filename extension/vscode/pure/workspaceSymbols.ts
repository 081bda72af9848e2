/**
 * Go to Symbol in Workspace, without VS Code: the declarations of a parsed
 * file, a fuzzy match of the query against their names, and the index of
 * every file's declarations that the provider keeps up to date.
 */
import type { Range, SourceFile } from '../../core/syntax/ast';

/** A line and character, zero-based (a copy: the parser may move its own positions in place later). */
export interface LineChar {
  line: number;
  character: number;
}

export interface DeclRange {
  start: LineChar;
  end: LineChar;
}

/** A model, block or train section of a file, as Go to Symbol in Workspace lists it. */
export interface Declaration {
  /** As the outline names it: the model's or block's name, `train NAME` for a train section. */
  name: string;
  kind: 'model' | 'block' | 'train';
  /** The whole declaration. */
  range: DeclRange;
  /** Its name, where the editor puts the cursor. */
  selection: DeclRange;
}

function copy(r: Range): DeclRange {
  return { start: { line: r.start.line, character: r.start.character }, end: { line: r.end.line, character: r.end.character } };
}

/** The models, blocks and train sections of a parsed file, in source order (unnamed ones, mid-typing, are left out). */
export function declarationsOf(file: SourceFile): Declaration[] {
  const out: Declaration[] = [];
  for (const item of file.items) {
    if (item.kind === 'import' || !item.name.name) continue;
    const name = item.kind === 'train' ? `train ${item.name.name}` : item.name.name;
    out.push({ name, kind: item.kind, range: copy(item.range), selection: copy(item.name.range) });
  }
  return out;
}

function isWordStart(name: string, i: number): boolean {
  if (i === 0) return true;
  const prev = name[i - 1];
  const ch = name[i];
  if (prev === '_' || prev === ' ' || prev === '-') return true;
  // camelCase and letter→digit boundaries: `gptBlock`, `conv2d`.
  const lowerPrev = prev.toLowerCase() === prev && prev.toUpperCase() !== prev;
  const upperCh = ch.toUpperCase() === ch && ch.toLowerCase() !== ch;
  const digit = (c: string) => c >= '0' && c <= '9';
  return (lowerPrev && upperCh) || digit(ch) !== digit(prev);
}

/**
 * How well `query` matches `name`, or undefined when it does not: the
 * query's characters (blanks ignored) must appear in the name in order,
 * ignoring case, as VS Code's own fuzzy filter requires. Higher is better:
 * an exact name, then a prefix, then a contiguous substring, then a
 * subsequence, whose characters score more at word starts and in runs. An
 * empty query matches everything with score 0.
 */
export function fuzzyScore(query: string, name: string): number | undefined {
  return fuzzyMatcher(query)(name);
}

/** {@link fuzzyScore} with the query prepared once, for scoring many names. */
export function fuzzyMatcher(query: string): (name: string) => number | undefined {
  const q = query.replace(/\s+/g, '').toLowerCase();
  if (!q) return () => 0;
  return (name) => {
    const n = name.toLowerCase();
    if (q.length > n.length) return undefined;
    if (n === q) return 10_000;
    if (n.startsWith(q)) return 5_000 + q.length;
    const at = n.indexOf(q);
    if (at >= 0) return 2_000 + q.length + (isWordStart(name, at) ? 500 : 0);
    let score = 0;
    let j = 0;
    let prev = -2;
    for (let i = 0; i < n.length && j < q.length; i++) {
      if (n[i] !== q[j]) continue;
      score += 1 + (isWordStart(name, i) ? 8 : 0) + (i === prev + 1 ? 4 : 0);
      prev = i;
      j++;
    }
    return j === q.length ? score : undefined;
  };
}

/** One hit of a query: the declaration and the file (uri string) it is in. */
export interface SymbolHit {
  uri: string;
  declaration: Declaration;
  score: number;
}

/**
 * The folder uris above a file's uri, without trailing `/`: for
 * `file:///w/a/b.nnmodel`, `file:///w/a` and `file:///w`. A uri without a
 * path of folders (`untitled:Untitled-1`) has none.
 */
function foldersOf(uri: string): string[] {
  const scheme = uri.indexOf('://');
  if (scheme < 0) return [];
  const path = uri.indexOf('/', scheme + 3);
  if (path < 0) return [];
  const out: string[] = [];
  for (let i = uri.indexOf('/', path + 1); i > 0; i = uri.indexOf('/', i + 1)) out.push(uri.slice(0, i));
  return out;
}

interface FileEntry {
  /** Read from the file on disk (absent until read, or when the file is not part of the workspace's files). */
  disk?: Declaration[];
  /** From the text of an open editor: wins over `disk` while the document is open. */
  editor?: Declaration[];
}

/**
 * Declarations of every `.nnmodel` file of the workspace. A file has up to
 * two sources: its text on disk and, while it is open, its editor's text,
 * which wins (unsaved edits are what the user sees). Closing the editor
 * falls back to the disk version; a file known only from an editor (an
 * untitled document, a file outside the workspace) then leaves the index.
 */
export class WorkspaceSymbolIndex {
  private readonly files = new Map<string, FileEntry>();
  /**
   * How many of the files' uris lie under each folder uri (no trailing `/`):
   * a delete event names a file or a folder, and only a folder that holds
   * indexed files needs a walk over the keys.
   */
  private readonly folders = new Map<string, number>();

  /** Number of files with declarations from either source. */
  get size(): number {
    return this.files.size;
  }

  private entry(uri: string): FileEntry {
    let e = this.files.get(uri);
    if (!e) {
      e = {};
      this.files.set(uri, e);
      for (const folder of foldersOf(uri)) this.folders.set(folder, (this.folders.get(folder) ?? 0) + 1);
    }
    return e;
  }

  private remove(uri: string): void {
    if (!this.files.delete(uri)) return;
    for (const folder of foldersOf(uri)) {
      const n = (this.folders.get(folder) ?? 0) - 1;
      if (n > 0) this.folders.set(folder, n);
      else this.folders.delete(folder);
    }
  }

  setDisk(uri: string, declarations: Declaration[]): void {
    this.entry(uri).disk = declarations;
  }

  /** The file is gone from disk (deleted, too large, unreadable). */
  deleteDisk(uri: string): void {
    const e = this.files.get(uri);
    if (!e) return;
    delete e.disk;
    if (!e.editor) this.remove(uri);
  }

  /** Forgets every file's disk declarations (another set of files is about to be read); open editors stay. */
  clearDisk(): void {
    for (const uri of [...this.files.keys()]) this.deleteDisk(uri);
  }

  /**
   * A file or folder was deleted or renamed: forgets the disk declarations
   * of `uri` and of every file under it. Returns the uris it forgot. A file's
   * uri, or one the index holds nothing under, costs a map look-up; only a
   * folder holding indexed files walks the keys.
   */
  deleteDiskUnder(uri: string): string[] {
    const self = uri.endsWith('/') ? uri.slice(0, -1) : uri;
    const gone: string[] = [];
    if (this.files.has(self)) {
      this.deleteDisk(self);
      gone.push(self);
    }
    if (this.folders.has(self)) {
      const folder = `${self}/`;
      for (const key of [...this.files.keys()]) {
        if (key.startsWith(folder)) {
          this.deleteDisk(key);
          gone.push(key);
        }
      }
    }
    return gone;
  }

  setEditor(uri: string, declarations: Declaration[]): void {
    this.entry(uri).editor = declarations;
  }

  /** The document was closed: its disk version, if any, counts again. */
  deleteEditor(uri: string): void {
    const e = this.files.get(uri);
    if (!e) return;
    delete e.editor;
    if (!e.disk) this.remove(uri);
  }

  /** The uris of every file indexed (from disk or an open editor). */
  uris(): string[] {
    return [...this.files.keys()];
  }

  /** The declarations that count for `uri` now (the editor's if open). */
  declarations(uri: string): readonly Declaration[] {
    const e = this.files.get(uri);
    return e?.editor ?? e?.disk ?? [];
  }

  /**
   * The best `limit` declarations matching `query` (see {@link fuzzyScore}),
   * best first, then shorter names, then by name and file. Stops early,
   * returning what it has, when `isCancelled` says so (checked every few
   * hundred declarations).
   */
  query(query: string, limit: number, isCancelled: () => boolean = () => false): SymbolHit[] {
    const hits: SymbolHit[] = [];
    const match = fuzzyMatcher(query);
    let checked = 0;
    for (const [uri, e] of this.files) {
      for (const declaration of e.editor ?? e.disk ?? []) {
        if (++checked % 512 === 0 && isCancelled()) return [];
        const score = match(declaration.name);
        if (score !== undefined) hits.push({ uri, declaration, score });
      }
    }
    // A numeric sort first (score, then shorter names), then the full order only among the best `limit` and
    // their ties: comparing names and uris of every hit made an empty query over 15 000 declarations 2× slower.
    const rank = (h: SymbolHit) => h.score * 1024 - Math.min(h.declaration.name.length, 1023);
    const keys = new Map<SymbolHit, number>();
    for (const h of hits) keys.set(h, rank(h));
    hits.sort((a, b) => keys.get(b)! - keys.get(a)!);
    let cut = Math.min(Math.max(0, limit), hits.length);
    if (cut === 0) return [];
    const boundary = keys.get(hits[cut - 1])!;
    while (cut < hits.length && keys.get(hits[cut]) === boundary) cut++;
    const best = hits.slice(0, cut);
    best.sort(
      (a, b) =>
        keys.get(b)! - keys.get(a)! ||
        (a.declaration.name < b.declaration.name ? -1 : a.declaration.name > b.declaration.name ? 1 : 0) ||
        (a.uri < b.uri ? -1 : a.uri > b.uri ? 1 : 0) ||
        a.declaration.range.start.line - b.declaration.range.start.line,
    );
    return best.length > limit ? best.slice(0, limit) : best;
  }
}

/** Most alternatives one pattern's braces expand to: `{a,b}{c,d}{e,f}…` grows as a product. */
const MAX_BRACE_ALTERNATIVES = 256;

/**
 * The patterns a glob's braces stand for, braces and all nesting expanded:
 * `{dist,build}/out` gives `dist/out` and `build/out`. A brace without
 * its partner is kept as written. Stops at {@link MAX_BRACE_ALTERNATIVES}.
 */
export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open < 0) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < pattern.length && close < 0; i++) {
    const ch = pattern[i];
    if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) close = i;
    else if (ch === ',' && depth === 1) commas.push(i);
  }
  if (close < 0) return [pattern];
  const head = pattern.slice(0, open);
  const tails = expandBraces(pattern.slice(close + 1));
  const bounds = [open, ...commas, close];
  const out: string[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    for (const alt of expandBraces(pattern.slice(bounds[k] + 1, bounds[k + 1]))) {
      for (const tail of tails) {
        if (out.length >= MAX_BRACE_ALTERNATIVES) return out;
        out.push(head + alt + tail);
      }
    }
  }
  return out;
}

/** The patterns set to `true` in `files.exclude`/`search.exclude`-like settings, braces expanded, each once. */
export function excludePatterns(...settings: (Record<string, unknown> | undefined)[]): string[] {
  const keys = new Set<string>();
  for (const s of settings) {
    for (const [k, v] of Object.entries(s ?? {})) {
      if (v !== true || !k) continue;
      for (const p of expandBraces(k)) keys.add(p);
    }
  }
  return [...keys];
}

/**
 * A glob that excludes what `files.exclude` and `search.exclude` exclude
 * (the entries set to `true`), for `findFiles`, which applies neither once
 * given a pattern of its own. VS Code's globs do not nest braces, so each
 * entry's braces are expanded into entries of their own (`{dist,build}/out`
 * becomes `dist/out` and `build/out`) before the union is made. An entry
 * that still holds a comma (inside `[…]`) or an unpaired brace would break
 * the union and is left out. Undefined when nothing is excluded.
 */
export function excludeGlob(...settings: (Record<string, unknown> | undefined)[]): string | undefined {
  const keys = excludePatterns(...settings).filter((k) => !/[{},]/.test(k));
  if (keys.length === 0) return undefined;
  return keys.length === 1 ? keys[0] : `{${keys.join(',')}}`;
}

/** One glob pattern without braces as a regular expression over a whole `/`-separated path. */
function globRegExp(pattern: string): RegExp {
  let re = '';
  let p = pattern.replace(/^\.?\/+/, '');
  // `x/**` also matches `x` itself, as in VS Code.
  if (p.endsWith('/**')) p = p.slice(0, -3) + '\u0000';
  for (let i = 0; i < p.length; i++) {
    const ch = p[i];
    if (ch === '\u0000') re += '(?:/.*)?';
    else if (ch === '*' && p[i + 1] === '*') {
      // `**/` matches any number of folders (none too); a `**` elsewhere matches anything.
      if (p[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = p.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = p.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Whether a workspace-relative path (`models/a.nnmodel`, `/`-separated) is
 * excluded by any of `patterns` (as {@link excludePatterns} gives them): the
 * path itself or one of its folders matches, since an excluded folder
 * excludes everything in it. A pattern that is not a valid glob is ignored.
 */
export function exclusionMatcher(patterns: readonly string[]): (relativePath: string) => boolean {
  const res: RegExp[] = [];
  for (const p of patterns) {
    try {
      res.push(globRegExp(p));
    } catch {
      // An unbalanced `[` class and the like: VS Code would not match it either.
    }
  }
  if (res.length === 0) return () => false;
  return (relativePath) => {
    const path = relativePath.replace(/^\/+/, '');
    for (let i = path.indexOf('/'); ; i = path.indexOf('/', i + 1)) {
      const prefix = i < 0 ? path : path.slice(0, i);
      if (prefix && res.some((r) => r.test(prefix))) return true;
      if (i < 0) return false;
    }
  };
}
