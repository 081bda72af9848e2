/**
 * What Format Document and Format Selection do, without VS Code: the core
 * formatter with the editor's indentation (tabs, or N spaces), as minimal
 * line edits.
 */
import { format, type FormatOptions } from '../../core/syntax/format';
import { lineEdits, type OffsetEdit } from './lineDiff';

/** The part of VS Code's `FormattingOptions` the formatter reads. */
export interface EditorIndentation {
  insertSpaces: boolean;
  tabSize: number;
}

/** The core formatter's options for the editor's: a tab per level, or `tabSize` spaces. */
export function formatOptionsOf(editor: EditorIndentation): Required<FormatOptions> {
  // VS Code keeps tabSize a positive integer; anything else falls back to its default, 4.
  const tabSize = Number.isSafeInteger(editor.tabSize) && editor.tabSize >= 1 ? editor.tabSize : 4;
  return { indent: editor.insertSpaces ? ' '.repeat(tabSize) : '\t', tabSize };
}

/**
 * Edits that format `text` with the editor's indentation; with `lines`
 * (zero-based, inclusive) only the changes on those lines.
 */
export function formattingEdits(text: string, editor: EditorIndentation, lines?: { from: number; to: number }): OffsetEdit[] {
  return lineEdits(text, format(text, formatOptionsOf(editor)), lines);
}
