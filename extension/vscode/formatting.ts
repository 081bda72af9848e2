/**
 * Document and range formatting through the core formatter, applied as
 * minimal line edits.
 */
import * as vscode from 'vscode';
import { format } from '../core/syntax';
import { lineEdits, type OffsetEdit } from './pure/lineDiff';

function toEdits(doc: vscode.TextDocument, edits: OffsetEdit[]): vscode.TextEdit[] {
  return edits.map((e) => new vscode.TextEdit(new vscode.Range(doc.positionAt(e.start), doc.positionAt(e.end)), e.newText));
}

function formatted(doc: vscode.TextDocument): string | undefined {
  const text = doc.getText();
  const out = format(text);
  return typeof out === 'string' ? out : undefined;
}

export function registerFormatting(selector: vscode.DocumentSelector): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.languages.registerDocumentFormattingEditProvider(selector, {
      provideDocumentFormattingEdits(doc) {
        const out = formatted(doc);
        return out === undefined ? [] : toEdits(doc, lineEdits(doc.getText(), out));
      },
    }),
    vscode.languages.registerDocumentRangeFormattingEditProvider(selector, {
      provideDocumentRangeFormattingEdits(doc, range) {
        const out = formatted(doc);
        if (out === undefined) return [];
        // An end at column 0 means the selection stops before that line.
        const to = range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line;
        return toEdits(doc, lineEdits(doc.getText(), out, { from: range.start.line, to }));
      },
    }),
  );
}
