// An import of an imported file (top imports mid, mid imports lib): a file it
// cannot find is named with the file that imports it, whose path it is
// relative to; its syntax errors are reported as those of a direct import
// are (they were silent, and its half-read blocks used as if whole).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, type AnalyzeOptions } from '../../extension/core/analysis/analyze';

const files: Record<string, string> = {
  'mid.nnmodel': 'import "lib/broken.nnmodel"\nimport "../gone.nnmodel"\nblock twice(n) {\n  input x\n  output x -> ok(n) -> ok(n)\n}\n',
  'lib/broken.nnmodel': 'block ok(n) {\n  input x\n  output x -> dense(n\n}\n',
};
const readImport: AnalyzeOptions['readImport'] = (from, path) => {
  const dir = from && from.includes('/') ? from.slice(0, from.lastIndexOf('/') + 1) : '';
  const uri = dir + path;
  return files[uri] === undefined ? undefined : { uri, text: files[uri] };
};

test("an imported file's own imports: a missing one names the file that imports it, and a broken one is reported", () => {
  const text = 'import "mid.nnmodel"\nmodel M {\n  input x: [8]\n  output x -> twice(4)\n}\n';
  const a = analyze(text, { uri: 'top.nnmodel', readImport });
  const byCode = (c: string) => a.diagnostics.filter((d) => d.code === c);
  const [missing] = byCode('import.not_found');
  assert.equal(missing.message, "cannot find '../gone.nnmodel', imported by 'mid.nnmodel' (paths are relative to the file that imports them).");
  assert.equal(missing.range.start.line, 0);
  assert.deepEqual(missing.related?.map((r) => [r.uri, r.range.start.line]), [['mid.nnmodel', 1]]);
  const [broken] = byCode('import.errors');
  assert.match(broken.message, /^'lib\/broken\.nnmodel', imported by 'mid\.nnmodel', has 1 syntax error; the first, at 3:/);
  assert.equal(broken.related?.[0].uri, 'lib/broken.nnmodel');
});
