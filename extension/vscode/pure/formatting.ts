/**
 * What Format Document and Format Selection do, without VS Code: the core
 * formatter with the editor's indentation (tabs, or N spaces), as minimal
 * line edits.
 */
import { plural } from '../../core/plural';
import { format, type FormatOptions } from '../../core/syntax/format';
import { parse } from '../../core/syntax/parser';
import { lineEdits, type OffsetEdit } from './lineDiff';

/** The part of VS Code's `FormattingOptions` the formatter reads. */
export interface EditorIndentation {
  insertSpaces: boolean;
  tabSize: number;
  /** `editor.detectIndentation` for the document: `tabSize` is then VS Code's guess, not a setting. */
  detectIndentation?: boolean;
}

/**
 * The core formatter's options for the editor's: a tab per level, or spaces.
 * With spaces and `detectIndentation`, a file whose bodies are already
 * indented keeps their width (`bodyIndentWidth`), and `tabSize` serves a
 * file with none: VS Code's guess reads the steps between all lines, and a
 * few continued chains, aligned under their first `->`, make it guess 6 or 8
 * for a file formatted with 2; formatting with that guess would re-indent a
 * formatted file. Without detection, `tabSize` is the user's setting.
 */
export function formatOptionsOf(editor: EditorIndentation, text?: string): Required<FormatOptions> {
  // VS Code keeps tabSize a positive integer; anything else falls back to its default, 4.
  const tabSize = Number.isSafeInteger(editor.tabSize) && editor.tabSize >= 1 ? editor.tabSize : 4;
  if (!editor.insertSpaces) return { indent: '\t', tabSize };
  const kept = editor.detectIndentation && text !== undefined ? bodyIndentWidth(text) : undefined;
  return { indent: ' '.repeat(kept ?? tabSize), tabSize };
}

/**
 * The number of spaces before the first line of the file's first body
 * that is not empty (the line after one that ends with `{`, indented
 * comments included, comments at column 0 skipped); undefined when there is
 * none, or that line is not indented, or indented with a tab.
 */
export function bodyIndentWidth(text: string): number | undefined {
  const lines = text.split(/\r\n?|\n/);
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i].replace(/#.*$/, '').trimEnd().endsWith('{')) continue;
    let j = i + 1;
    // Blank lines and comments at column 0 say nothing of the body's indentation.
    while (j < lines.length && (lines[j].trim() === '' || lines[j].startsWith('#'))) j++;
    // An empty body (`{` then `}`) says nothing either: the next body is asked.
    if (j >= lines.length || lines[j].trimStart().startsWith('}')) continue;
    const m = /^( +)[^\s}]/.exec(lines[j]);
    // The first body's own width, or none: a first body written without indentation (a student's file laid out
    // by hand) is a file not indented yet, and a later body's stray space must not set the width (it gave 1).
    return m && m[1].length <= 16 ? m[1].length : undefined;
  }
  return undefined;
}

/**
 * Why Format Document leaves `text` as it is, when the reason is its syntax
 * errors (the formatter formats only what parses), as `nnmodel format` says
 * it: `Not formatting lenet5.nnmodel: it has 1 syntax error (the first at
 * 3:9: …)`. Undefined when the text parses.
 */
export function notFormattingReason(text: string, fileName: string): string | undefined {
  const errors = parse(text).errors;
  if (errors.length === 0) return undefined;
  const e = errors[0];
  const first = `${errors.length > 1 ? 'the first ' : ''}at ${e.range.start.line + 1}:${e.range.start.character + 1}: ${e.message}`;
  return `Not formatting ${fileName}: it has ${plural(errors.length, 'syntax error')} (${first})`;
}

/**
 * Edits that format `text` with the editor's indentation; with `lines`
 * (zero-based, inclusive) only the changes on those lines.
 */
export function formattingEdits(text: string, editor: EditorIndentation, lines?: { from: number; to: number }): OffsetEdit[] {
  return lineEdits(text, format(text, formatOptionsOf(editor, text)), lines);
}
