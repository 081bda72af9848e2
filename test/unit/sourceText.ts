// Helpers of unit tests on analysed text: where a piece of text is, and a quick fix applied as an editor applies it.
import assert from 'node:assert/strict';
import type { Diagnostic } from '../../extension/core/analysis/types';
import type { Range } from '../../extension/core/syntax/ast';

/** The range of the `nth` occurrence of `what` in `text`. */
export function rangeOf(text: string, what: string, nth = 0): Range {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = text.indexOf(what, at + 1);
  assert.ok(at >= 0, `'${what}' is in the text`);
  const pos = (o: number) => {
    const before = text.slice(0, o).split('\n');
    return { line: before.length - 1, character: before[before.length - 1].length, offset: o };
  };
  return { start: pos(at), end: pos(at + what.length) };
}

/** `text` with fix `which` (the first by default) of `d` applied (edits from the end, as an editor does). */
export function applyFix(text: string, d: Diagnostic, which = 0): string {
  const edits = [...(d.fixes?.[which]?.edits ?? [])].sort((a, b) => b.range.start.offset - a.range.start.offset);
  assert.ok(edits.length > 0, `a fix on ${d.message}`);
  for (const e of edits) text = text.slice(0, e.range.start.offset) + e.newText + text.slice(e.range.end.offset);
  return text;
}
