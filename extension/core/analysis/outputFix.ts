/**
 * The quick fix of a model or block without an `output` line: "Add `output
 * x`", where x is the last value the body assigns (or, with none, its last
 * input), inserted as the body's last line with the body's indentation.
 */
import type { BlockDecl, ModelDecl, SourceFile } from '../syntax/ast';
import type { Diagnostic, Fix } from './types';

/**
 * The fix for `decl`'s missing output, or undefined when there is no clear
 * one: no value to output, no closed `{ … }` body, or a syntax error inside
 * the declaration (the parsed body may then not be what the text says).
 *
 * The analysis has the tree, not the text. The edit replaces what lies
 * between the end of the last statement and the end of the closing brace
 * (only blanks, line breaks and comments, which the file's comments give
 * back exactly; blanks at the ends of lines are dropped) by the same with the
 * new line before the brace. Why not a plain insertion before the brace: an
 * editor session reuses an unchanged model's diagnostics and moves only the
 * tree's own positions when lines above change (session.ts), and the two
 * ends used here are such positions, while the brace's start is not one.
 */
export function addOutputFix(decl: ModelDecl | BlockDecl, file: SourceFile, isTensor: (name: string) => boolean = () => true): Fix | undefined {
  const body = decl.bodyRange;
  const first = decl.body[0];
  const last = decl.body[decl.body.length - 1];
  if (!body || !first || !last) return undefined;
  // Without a closing brace the body ends with its last statement.
  if (body.end.offset <= last.range.end.offset) return undefined;
  if (file.errors.some((e) => e.range.start.offset >= decl.range.start.offset && e.range.start.offset <= decl.range.end.offset)) return undefined;
  let name: string | undefined;
  // The last value bound to a tensor: a layer object (`wte = embedding(…)`) or a number (`k = 3`) cannot be an output.
  for (const s of decl.body) if (s.kind === 'assign' && isTensor(s.target.name)) name = s.target.name;
  if (name === undefined) for (const s of decl.body) if (s.kind === 'input') name = s.name.name;
  if (name === undefined) return undefined;

  const brace = { line: body.end.line, character: body.end.character - 1 };
  const braceColumn = brace.line > decl.range.start.line ? brace.character : decl.range.start.character;
  const indent = ' '.repeat(first.range.start.line > body.start.line ? first.range.start.character : braceColumn + 2);
  const line = `output ${name}`;
  let text = '';
  let at = { line: last.range.end.line, character: last.range.end.character };
  for (const c of file.comments) {
    if (c.range.start.offset < last.range.end.offset || c.range.start.offset >= body.end.offset) continue;
    text += gap(at, c.range.start) + c.text;
    at = { line: c.range.start.line, character: c.range.start.character + c.text.length };
  }
  if (brace.line > at.line) {
    // Blank lines before the brace stay; the new line goes right above it.
    text += '\n'.repeat(brace.line - at.line - 1) + `\n${indent}${line}\n` + ' '.repeat(brace.character) + '}';
  } else {
    // The brace on the line of the last statement or comment: the new line and the brace on lines of their own,
    // the brace in the declaration's column (its old column is past the statement).
    text += `\n${indent}${line}\n${' '.repeat(decl.range.start.character)}}`;
  }
  return { title: `Add \`${line}\``, edits: [{ range: { start: last.range.end, end: body.end }, newText: text }], preferred: true };
}

/** The blanks and line breaks from `from` to `to` as a formatted file has them (no blanks at the ends of lines). */
function gap(from: { line: number; character: number }, to: { line: number; character: number }): string {
  return to.line > from.line ? '\n'.repeat(to.line - from.line) + ' '.repeat(to.character) : ' '.repeat(Math.max(0, to.character - from.character));
}

/** The `fixes` of a missing-output diagnostic: `addOutputFix`'s, when there is one. */
export function missingOutputFixes(decl: ModelDecl | BlockDecl, file: SourceFile, isTensor?: (name: string) => boolean): Pick<Diagnostic, 'fixes'> {
  const fix = addOutputFix(decl, file, isTensor);
  return fix ? { fixes: [fix] } : {};
}
