/**
 * The file paths a `.nnmodel` file names, for the editor's document links
 * (extension/vscode/documentLinks.ts): each `import "…"` path and the path
 * of each `data:` source that reads files (`csv(…)`, `images(…)`,
 * `text(…)`), found in the syntax tree as the analysis and training read
 * them (`dataPathOf`), with the range of the path's text inside its quotes.
 */
import { dataPathOf } from '../../core/analysis/train';
import type { Position, Range, SourceFile, StringLit } from '../../core/syntax/ast';

/** A path written in the file: what it is for, its value (escapes read) and where its text is, quotes excluded. */
export interface PathString {
  /** `import`: an imported `.nnmodel` file; `data`: the file or folder a train section's data source reads. */
  kind: 'import' | 'data';
  path: string;
  range: Range;
}

/** The import and data paths of `file`, in source order; an empty path names nothing and is left out. */
export function pathStrings(file: SourceFile): PathString[] {
  const out: PathString[] = [];
  const add = (kind: PathString['kind'], lit: StringLit | undefined) => {
    if (!lit || lit.value === '') return;
    out.push({ kind, path: lit.value, range: insideQuotes(file, lit) });
  };
  for (const item of file.items) {
    if (item.kind === 'import') add('import', item.path);
    else if (item.kind === 'train') {
      for (const entry of item.entries) if (entry.key.name === 'data') add('data', dataPathOf(entry.value));
    }
  }
  return out;
}

/**
 * The text of `lit` between its quotes. An import's path may be left
 * unclosed while typing (`import "blocks.nnmodel`), and is still read: its
 * text then runs to the end of the token.
 */
function insideQuotes(file: SourceFile, lit: StringLit): Range {
  const unclosed = file.errors.some((e) => e.code === 'syntax.unterminated_string' && e.range.start.offset === lit.range.start.offset);
  const { start, end } = lit.range;
  return { start: shift(start, 1), end: unclosed ? end : shift(end, -1) };
}

/** `p` moved by `n` characters along its line (a string never spans lines). */
function shift(p: Position, n: number): Position {
  return { line: p.line, character: p.character + n, offset: p.offset + n };
}
