/**
 * Folding that follows the language rather than indentation: declaration
 * bodies, statements written over several lines (a chain with continuation
 * lines, a call whose arguments are spread over lines), block parameter
 * lists, runs of full-line comments and runs of imports.
 */
import { forEachChild } from '../../core/syntax/children';
import type { Expr, Range, SourceFile, Statement } from '../../core/syntax/ast';
import { isFullLine } from './selectionRanges';

/** A foldable range of zero-based lines: `start` stays visible, the lines after it up to `end` fold away. */
export interface Fold {
  start: number;
  end: number;
  kind?: 'comment' | 'imports';
}

/**
 * Whether only blanks precede the character at `offset` on its line: a
 * closing bracket that starts its line stays visible when its construct is
 * folded, as `}` does in other languages.
 */
function startsLine(text: string, offset: number, character: number): boolean {
  for (let i = offset - character; i < offset; i++) {
    const ch = text.charCodeAt(i);
    if (ch !== 32 && ch !== 9) return false;
  }
  return true;
}

/**
 * The fold of a bracketed construct from `startLine` to its closing
 * bracket `close` (`}`, `)` or `]`): up to the line before the bracket when
 * the bracket starts its line, else up to the bracket's line. A construct
 * left unclosed while typing folds to its last line.
 */
function bracketed(text: string, startLine: number, r: Range, close: string): Fold | undefined {
  const last = r.end.offset - 1;
  let end = r.end.line;
  if (text[last] === close && r.end.character > 0 && startsLine(text, last, r.end.character - 1)) end--;
  return end > startLine ? { start: startLine, end } : undefined;
}

class Folder {
  readonly folds: Fold[] = [];

  constructor(private readonly text: string) {}

  push(f: Fold | undefined): void {
    if (f) this.folds.push(f);
  }

  /** A statement, train entry or parameter written over several lines folds to its last line (it has no closing token of its own). */
  multiLine(r: Range): void {
    if (r.end.line > r.start.line) this.folds.push({ start: r.start.line, end: r.end.line });
  }

  statement(st: Statement): void {
    this.multiLine(st.range);
    switch (st.kind) {
      case 'input':
        if (st.shape) this.push(bracketed(this.text, st.shape.range.start.line, st.shape.range, ']'));
        for (const d of st.shape?.dims ?? []) this.expr(d);
        return;
      case 'assign':
        this.expr(st.value);
        return;
      case 'output':
        for (const v of st.values) this.expr(v);
        return;
    }
  }

  /** Brackets spread over lines inside an expression: argument lists and lists. */
  expr(e: Expr): void {
    if (e.range.end.line === e.range.start.line) return; // nothing inside can span lines
    if (e.kind === 'call' && e.argsRange) this.push(bracketed(this.text, e.argsRange.start.line, e.argsRange, ')'));
    else if (e.kind === 'list') this.push(bracketed(this.text, e.range.start.line, e.range, ']'));
    else if (e.kind === 'paren') this.push(bracketed(this.text, e.range.start.line, e.range, ')'));
    forEachChild(e, (c) => this.expr(c));
  }
}

/**
 * Sorts folds by start line and keeps one per start line, the longest.
 * Folds that overlap without nesting (a call whose `)` shares its line with
 * the next call's `(`) are kept: VS Code's own sanitizing keeps every fold
 * that starts on a later line than the one before it, nested or not, and
 * drops only a second fold on the same start line (the provider's first).
 * Sorting the longest first makes that the one VS Code keeps.
 */
function sanitize(folds: Fold[]): Fold[] {
  folds.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Fold[] = [];
  for (const f of folds) {
    if (out.length && out[out.length - 1].start === f.start) continue;
    out.push(f);
  }
  return out;
}

/** The folding ranges of a parsed file (`text` is the text it was parsed from). */
export function foldingRanges(file: SourceFile, text: string): Fold[] {
  const f = new Folder(text);
  let importRun: { start: number; end: number } | undefined;
  const endImportRun = (): void => {
    if (importRun && importRun.end > importRun.start) f.push({ ...importRun, kind: 'imports' });
    importRun = undefined;
  };
  for (const item of file.items) {
    if (item.kind === 'import') {
      const line = item.range.start.line;
      if (importRun && line === importRun.end + 1) importRun.end = item.range.end.line;
      else {
        endImportRun();
        importRun = { start: line, end: item.range.end.line };
      }
      continue;
    }
    endImportRun();
    // The body folds from the line of its `{`: a block's parameter list spread over lines above it folds on its own, as in TypeScript.
    if (item.bodyRange) f.push(bracketed(text, item.bodyRange.start.line, item.bodyRange, '}'));
    switch (item.kind) {
      case 'model':
        for (const st of item.body) f.statement(st);
        break;
      case 'block':
        if (item.paramsRange) {
          // A parameter list closing on the line of the body's `{` folds only up to the line before it: folding
          // the `) {` line away would hide where the body starts, and the body folds from that line itself.
          const params = bracketed(text, item.paramsRange.start.line, item.paramsRange, ')');
          if (params && item.bodyRange) params.end = Math.min(params.end, item.bodyRange.start.line - 1);
          if (params && params.end > params.start) f.push(params);
        }
        for (const p of item.params) {
          f.multiLine(p.range);
          if (p.default) f.expr(p.default);
        }
        for (const st of item.body) f.statement(st);
        break;
      case 'train':
        for (const e of item.entries) {
          f.multiLine(e.range);
          f.expr(e.value);
        }
        break;
    }
  }
  endImportRun();
  // Runs of full-line comments on consecutive lines (a comment after code on its line is not part of a run).
  let run: Fold | undefined;
  for (const c of file.comments) {
    if (!isFullLine(c, text)) continue;
    const line = c.range.start.line;
    if (run && line === run.end + 1) run.end = line;
    else {
      if (run && run.end > run.start) f.push(run);
      run = { start: line, end: line, kind: 'comment' };
    }
  }
  if (run && run.end > run.start) f.push(run);
  return sanitize(f.folds);
}
