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

  /** Number of files with declarations from either source. */
  get size(): number {
    return this.files.size;
  }

  setDisk(uri: string, declarations: Declaration[]): void {
    const e = this.files.get(uri);
    if (e) e.disk = declarations;
    else this.files.set(uri, { disk: declarations });
  }

  /** The file is gone from disk (deleted, too large, unreadable). */
  deleteDisk(uri: string): void {
    const e = this.files.get(uri);
    if (!e) return;
    delete e.disk;
    if (!e.editor) this.files.delete(uri);
  }

  /**
   * A file or folder was deleted or renamed: forgets the disk declarations
   * of `uri` and of every file under it. Returns the uris it forgot.
   */
  deleteDiskUnder(uri: string): string[] {
    const folder = uri.endsWith('/') ? uri : `${uri}/`;
    const gone: string[] = [];
    for (const key of this.files.keys()) {
      if (key === uri || key.startsWith(folder)) {
        this.deleteDisk(key);
        gone.push(key);
      }
    }
    return gone;
  }

  setEditor(uri: string, declarations: Declaration[]): void {
    const e = this.files.get(uri);
    if (e) e.editor = declarations;
    else this.files.set(uri, { editor: declarations });
  }

  /** The document was closed: its disk version, if any, counts again. */
  deleteEditor(uri: string): void {
    const e = this.files.get(uri);
    if (!e) return;
    delete e.editor;
    if (!e.disk) this.files.delete(uri);
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

/**
 * A glob that excludes what `files.exclude` and `search.exclude` exclude
 * (the entries set to `true`), for `findFiles`, which applies neither once
 * given a pattern of its own. Entries with braces are left out: VS Code's
 * globs do not nest braces, and one such entry would break the whole union.
 * Undefined when nothing is excluded.
 */
export function excludeGlob(...settings: (Record<string, unknown> | undefined)[]): string | undefined {
  const keys = new Set<string>();
  for (const s of settings) {
    for (const [k, v] of Object.entries(s ?? {})) if (v === true && k && !/[{}]/.test(k)) keys.add(k);
  }
  if (keys.size === 0) return undefined;
  return keys.size === 1 ? [...keys][0] : `{${[...keys].join(',')}}`;
}
