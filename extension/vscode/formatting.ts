/**
 * Document and range formatting through the core formatter, with the
 * editor's indentation (`insertSpaces`, `tabSize`), applied as minimal line
 * edits.
 */
import * as vscode from 'vscode';
import type { OffsetEdit } from './pure/lineDiff';
import { formattingEdits, type EditorIndentation } from './pure/formatting';

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
        return toEdits(doc, formattingEdits(doc.getText(), indentation(doc, options)));
      },
    }),
    vscode.languages.registerDocumentRangeFormattingEditProvider(selector, {
      provideDocumentRangeFormattingEdits(doc, range, options) {
        // An end at column 0 means the selection stops before that line.
        const to = range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line;
        return toEdits(doc, formattingEdits(doc.getText(), indentation(doc, options), { from: range.start.line, to }));
      },
    }),
  );
}
