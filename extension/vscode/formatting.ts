/**
 * Document and range formatting through the core formatter, with the
 * editor's indentation (`insertSpaces`, `tabSize`), applied as minimal line
 * edits.
 */
import * as vscode from 'vscode';
import type { OffsetEdit } from './pure/lineDiff';
import { formattingEdits, notFormattingReason, type EditorIndentation } from './pure/formatting';

/** How long the status bar says why a file was not formatted. */
export const NOT_FORMATTING_MESSAGE_MS = 6000;

/**
 * Formatting a file with syntax errors changes nothing: say why in the
 * status bar (as `nnmodel format` does), rather than leave the command
 * looking broken. A status bar message, not a notification: format on save
 * would raise one per save while the file is broken.
 */
function explainIfUnformattable(doc: vscode.TextDocument, text: string): boolean {
  const reason = notFormattingReason(text, doc.uri.path.slice(doc.uri.path.lastIndexOf('/') + 1) || doc.uri.toString());
  if (reason === undefined) return false;
  vscode.window.setStatusBarMessage(`$(warning) ${reason}`, NOT_FORMATTING_MESSAGE_MS);
  return true;
}

/** The editor's indentation for `doc`, and whether its width is VS Code's guess (`editor.detectIndentation`). */
function indentation(doc: vscode.TextDocument, options: vscode.FormattingOptions): EditorIndentation {
  const detectIndentation = vscode.workspace.getConfiguration('editor', doc).get<boolean>('detectIndentation', true);
  return { insertSpaces: options.insertSpaces, tabSize: options.tabSize, detectIndentation };
}

function toEdits(doc: vscode.TextDocument, edits: OffsetEdit[]): vscode.TextEdit[] {
  return edits.map((e) => new vscode.TextEdit(new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)), e.newText));
}

export function registerFormatting(selector: vscode.DocumentSelector): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.languages.registerDocumentFormattingEditProvider(selector, {
      provideDocumentFormattingEdits(doc, options) {
        const text = doc.getText();
        if (explainIfUnformattable(doc, text)) return [];
        return toEdits(doc, formattingEdits(text, indentation(doc, options)));
      },
    }),
    vscode.languages.registerDocumentRangeFormattingEditProvider(selector, {
      provideDocumentRangeFormattingEdits(doc, range, options) {
        // An end at column 0 means the selection stops before that line.
        const to = range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line;
        const text = doc.getText();
        if (explainIfUnformattable(doc, text)) return [];
        return toEdits(doc, formattingEdits(text, indentation(doc, options), { from: range.start.line, to }));
      },
    }),
  );
}
