/** `nnmodel check FILE...`: every diagnostic of every file, one per line. */
import { UsageError } from './args';
import { EXIT, type Command } from './command';
import { analyzeFile, countBySeverity, formatDiagnostic, locate, plural, sortDiagnostics, type LocatedDiagnostic } from './diagnostics';

export const checkCommand: Command = {
  name: 'check',
  synopsis: 'FILE...',
  summary: 'report errors and warnings in .nnmodel files',
  description: [
    'Analyses each FILE (imports are resolved relative to the file that imports them) and',
    'prints one line per diagnostic, sorted by file, line and column:',
    '',
    '  file:line:col: severity code message',
    '',
    'then a count. Exits 1 when any file has an error, 2 when a file cannot be read.',
  ].join('\n'),
  options: [],
  run(args, io) {
    if (args.positional.length === 0) throw new UsageError('check needs at least one FILE');
    const files = [...new Set(args.positional)];
    const found: LocatedDiagnostic[] = [];
    let unreadable = 0;
    for (const path of files) {
      const r = analyzeFile(path, io.cwd);
      if (!r.ok) {
        io.stderr(`nnmodel: cannot read ${path}: ${r.reason}\n`);
        unreadable++;
        continue;
      }
      found.push(...locate(path, r.analysis));
    }
    // Two checked files importing the same broken file report its problems once.
    const seen = new Set<string>();
    const sorted = sortDiagnostics(found, files).filter((d) => {
      const line = formatDiagnostic(d);
      if (seen.has(line)) return false;
      seen.add(line);
      return true;
    });
    let out = '';
    for (const d of sorted) out += formatDiagnostic(d) + '\n';
    const c = countBySeverity(sorted);
    const parts = [
      c.error ? plural(c.error, 'error') : '',
      c.warning ? plural(c.warning, 'warning') : '',
      c.info ? `${c.info} info` : '',
      c.hint ? plural(c.hint, 'hint') : '',
    ].filter(Boolean);
    const checked = files.length - unreadable;
    out += `${parts.length ? parts.join(', ') : 'no problems'} in ${plural(checked, 'file')}`;
    out += unreadable ? ` (${unreadable} could not be read)\n` : '\n';
    io.stdout(out);
    if (unreadable) return EXIT.usage;
    return c.error ? EXIT.problems : EXIT.ok;
  },
};
