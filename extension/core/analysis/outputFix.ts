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
 * The new line follows the file's text: the indentation of the body's last
 * statement that starts a line (tabs or spaces as written), the
 * declaration's line breaks (LF or CR LF), and the comments and blanks after
 * the last statement byte for byte. The edit replaces what lies between the
 * end of the last statement and the end of the closing brace (only blanks,
 * line breaks and comments) by the same with the new line before the brace's
 * line. Why not a plain insertion there: an editor session reuses an
 * unchanged model's diagnostics and moves only the tree's own positions when
 * lines above change (session.ts), and the two ends used here are such
 * positions, while the brace's line start is not one. The new text is made
 * from the declaration's own text, which such a reuse has unchanged.
 */
export function addOutputFix(decl: ModelDecl | BlockDecl, file: SourceFile, isTensor: (name: string) => boolean = () => true): Fix | undefined {
  const body = decl.bodyRange;
  const last = decl.body[decl.body.length - 1];
  const text = file.text;
  if (!body || !last || text === undefined) return undefined;
  // Without a closing brace the body ends with its last statement.
  if (body.end.offset <= last.range.end.offset) return undefined;
  // A declaration of another file (an imported block) has no fix here.
  if (text.charCodeAt(body.end.offset - 1) !== 0x7d /* } */ || !text.startsWith(decl.kind, decl.range.start.offset)) return undefined;
  if (file.errors.some((e) => e.range.start.offset >= decl.range.start.offset && e.range.start.offset <= decl.range.end.offset)) return undefined;
  let name: string | undefined;
  // The last value bound to a tensor: a layer object (`wte = embedding(…)`) or a number (`k = 3`) cannot be an output.
  for (const s of decl.body) if (s.kind === 'assign' && isTensor(s.target.name)) name = s.target.name;
  if (name === undefined) for (const s of decl.body) if (s.kind === 'input') name = s.name.name;
  if (name === undefined) return undefined;

  const line = `output ${name}`;
  // The declaration's line break, else the file's (a model written on one line), else LF.
  const eol = /\r\n?|\n/.exec(text.slice(decl.range.start.offset, decl.range.end.offset))?.[0] ?? /\r\n?|\n/.exec(text)?.[0] ?? '\n';
  const braceAt = body.end.offset - 1;
  const braceLine = lineStart(text, braceAt);
  const from = last.range.end.offset;
  let indent: string | undefined;
  for (let i = decl.body.length - 1; i >= 0 && indent === undefined; i--) indent = leadingBlanks(text, decl.body[i].range.start.offset);
  let newText: string;
  if (braceLine > from) {
    // The brace on a line of its own (a comment would have run to the end of the line):
    // everything before that line stays as written, the new line goes right above it.
    if (indent === undefined) indent = nested(leadingBlanks(text, braceAt) ?? '', text);
    newText = text.slice(from, braceLine) + indent + line + eol + text.slice(braceLine, body.end.offset);
  } else {
    // The brace on the line of the last statement, after blanks only: the new line and the brace on lines
    // of their own, the brace indented as the declaration's line (its old column is past the statement).
    const declIndent = leadingBlanks(text, decl.range.start.offset) ?? ' '.repeat(decl.range.start.character);
    if (indent === undefined) indent = nested(declIndent, text);
    newText = eol + indent + line + eol + declIndent + '}';
  }
  return { title: `Add \`${line}\``, edits: [{ range: { start: last.range.end, end: body.end }, newText }], preferred: true };
}

/** Offset where the line holding `offset` starts. */
function lineStart(text: string, offset: number): number {
  let s = offset;
  while (s > 0 && text.charCodeAt(s - 1) !== 10 && text.charCodeAt(s - 1) !== 13) s--;
  return s;
}

/** The blanks before `offset` on its line, when only blanks are there; undefined otherwise. */
function leadingBlanks(text: string, offset: number): string | undefined {
  const lead = text.slice(lineStart(text, offset), offset);
  return /^[ \t]*$/.test(lead) ? lead : undefined;
}

/**
 * One level deeper than `outer`: a tab where it has tabs; else the file's
 * unit, read from its first indented line (a tab, or up to 8 spaces); else
 * two spaces (the formatter's).
 */
function nested(outer: string, text: string): string {
  if (outer.includes('\t')) return outer + '\t';
  const first = /^([ \t]+)\S/m.exec(text)?.[1];
  const unit = first === undefined ? '  ' : first.startsWith('\t') ? '\t' : first.length <= 8 ? first : '  ';
  return outer + unit;
}

/** The `fixes` of a missing-output diagnostic: `addOutputFix`'s, when there is one. */
export function missingOutputFixes(decl: ModelDecl | BlockDecl, file: SourceFile, isTensor?: (name: string) => boolean): Pick<Diagnostic, 'fixes'> {
  const fix = addOutputFix(decl, file, isTensor);
  return fix ? { fixes: [fix] } : {};
}
