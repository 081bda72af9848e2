/** `nnmodel check FILE...`: every diagnostic of every file, one per line. */
import { dirname, resolve } from 'node:path';
import type { Severity } from '../core/analysis/types';
import { checkDataFiles } from '../core/runtime/dataCheck';
import { nodeDataFs } from '../core/runtime/nodeFs';
import { UsageError } from './args';
import { EXIT, type Command } from './command';
import { displayPath, distinctFiles } from './files';
import { analyzeFile, countBySeverity, formatDiagnostic, locate, plural, sortDiagnostics, type LocatedDiagnostic } from './diagnostics';

export const checkCommand: Command = {
  name: 'check',
  synopsis: 'FILE... [--data-root DIR]...',
  summary: 'report errors and warnings in .nnmodel files',
  description: [
    'Analyses each FILE (imports are resolved relative to the file that imports them) and',
    'prints one line per diagnostic, sorted by file, line and column:',
    '',
    '  file:line:col: severity code message',
    '',
    'then a count. Exits 1 when any file has an error, 2 when a file cannot be read.',
    '',
    'The data files of train sections are looked at too (paths relative to the file),',
    'where nnmodel train reads them: inside the file\'s folder, or the --data-root folders.',
    'A missing file or folder is the warning train.data_not_found (the data may exist only',
    'where the model trains); what training would stop on is train.data_file: a path',
    'outside those folders (not opened), a folder or device given to csv() or text(),',
    'a file given to images(), a file over the size limit, or a CSV training cannot use',
    '(no label column, a value that is not a number, ...: a CSV is read as training reads',
    'it); train.data_shape is a CSV whose feature columns cannot be the model\'s input',
    '(2 columns for a [32, 32, 1] model). Image folders and texts are not decoded.',
  ].join('\n'),
  options: [{ name: 'data-root', value: 'DIR', repeat: true, help: 'folder the data may be read from, as for nnmodel train (default: the file\'s folder; repeatable)' }],
  async run(args, io) {
    if (args.positional.length === 0) throw new UsageError('check needs at least one FILE');
    const files = distinctFiles(args.positional, io.cwd);
    // As `nnmodel train` takes them (train.ts `request`): relative to the working folder.
    const roots = (args.values.get('data-root') ?? []).map((r) => resolve(io.cwd, r));
    const found: LocatedDiagnostic[] = [];
    const unreadable: string[] = [];
    for (const path of files) {
      const r = analyzeFile(path, io.cwd);
      const name = r.path;
      if (!r.ok) {
        // In the file-first form of the diagnostic lines, so a reader (or an editor's
        // problem matcher) sees which file was not checked and why.
        io.stderr(`${name}: cannot read: ${r.reason}\n`);
        unreadable.push(name);
        continue;
      }
      found.push(...locate(name, r.analysis));
      const data = await checkDataFiles(r.analysis, { baseDir: dirname(resolve(io.cwd, path)), roots, fs: nodeDataFs() });
      found.push(...data.map((diagnostic) => ({ file: name, diagnostic })));
    }
    // Two checked files importing the same broken file report its problems once.
    const seen = new Set<string>();
    const sorted = sortDiagnostics(found, files.map(displayPath)).filter((d) => {
      const line = formatDiagnostic(d);
      if (seen.has(line)) return false;
      seen.add(line);
      return true;
    });
    let out = '';
    for (const d of sorted) out += formatDiagnostic(d) + '\n';
    io.stdout(out + checkSummary(countBySeverity(sorted), files.length - unreadable.length, unreadable.length) + '\n');
    if (unreadable.length) return EXIT.usage;
    return sorted.some((d) => d.diagnostic.severity === 'error') ? EXIT.problems : EXIT.ok;
  },
};

/**
 * The closing line of `nnmodel check`: the problems found in the files that
 * were read, and how many could not be. It never says "no problems" when a
 * file was not checked: "1 file could not be read; nothing was checked".
 */
export function checkSummary(c: Record<Severity, number>, checked: number, unreadable: number): string {
  const parts = [
    c.error ? plural(c.error, 'error') : '',
    c.warning ? plural(c.warning, 'warning') : '',
    c.info ? plural(c.info, 'info', 'info') : '',
    c.hint ? plural(c.hint, 'hint') : '',
  ].filter(Boolean);
  if (!unreadable) return `${parts.length ? parts.join(', ') : 'no problems'} in ${plural(checked, 'file')}`;
  const lost = `${plural(unreadable, 'file')} could not be read`;
  if (!checked) return `${lost}; nothing was checked`;
  const other = checked === 1 ? 'the other file' : `the other ${checked} files`;
  return parts.length ? `${parts.join(', ')} in ${other}; ${lost}` : `${lost}; ${other} ${checked === 1 ? 'has' : 'have'} no errors or warnings`;
}
