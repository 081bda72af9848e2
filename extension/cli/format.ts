/** `nnmodel format FILE... [--check]`: rewrite files in the canonical layout. */
import { format } from '../core/syntax/format';
import { parse } from '../core/syntax/parser';
import { UsageError } from './args';
import { EXIT, type Command } from './command';
import { formatDiagnostic, plural } from './diagnostics';
import { ioReason, readSource, writeFileAtomic } from './files';

export const formatCommand: Command = {
  name: 'format',
  synopsis: 'FILE... [--check]',
  summary: 'rewrite files in the canonical layout',
  description: [
    'Rewrites each FILE in the canonical layout. Files are replaced atomically (a temporary',
    'file beside it, then a rename), so an interrupted run never leaves a half-written file.',
    'A file with syntax errors is left untouched and its errors are printed.',
    '',
    'With --check, nothing is written: the files that would change are listed and the exit',
    'code is 1 if there is any (for CI).',
  ].join('\n'),
  options: [{ name: 'check', help: 'only report files that are not formatted; exit 1 if any' }],
  run(args, io) {
    if (args.positional.length === 0) throw new UsageError('format needs at least one FILE');
    const check = args.flags.has('check');
    const files = [...new Set(args.positional)];
    let changed = 0;
    let broken = 0;
    let failed = 0;
    for (const path of files) {
      let text: string;
      try {
        text = readSource(path, io.cwd);
      } catch (err) {
        io.stderr(`${path}: cannot read: ${ioReason(err)}\n`);
        failed++;
        continue;
      }
      const errors = parse(text).errors;
      if (errors.length > 0) {
        for (const e of errors) {
          io.stderr(formatDiagnostic({ file: path, diagnostic: { code: e.code, severity: 'error', message: e.message, range: e.range } }) + '\n');
        }
        io.stderr(`nnmodel: not formatting ${path}: it has ${plural(errors.length, 'syntax error')}\n`);
        broken++;
        continue;
      }
      const formatted = format(text);
      if (formatted === text) continue;
      if (check) {
        io.stdout(`would reformat ${path}\n`);
        changed++;
        continue;
      }
      try {
        writeFileAtomic(path, formatted, io.cwd);
        io.stdout(`formatted ${path}\n`);
        changed++;
      } catch (err) {
        io.stderr(`nnmodel: cannot write ${path}: ${ioReason(err)}\n`);
        failed++;
      }
    }
    const ok = files.length - changed - broken - failed;
    const verb = check ? 'would be reformatted' : 'reformatted';
    const parts = [`${plural(changed, 'file')} ${verb}`, `${ok} already formatted`];
    if (broken) parts.push(`${broken} with syntax errors`);
    if (failed) parts.push(`${failed} could not be ${check ? 'read' : 'read or written'}`);
    io.stdout(parts.join(', ') + '\n');
    if (failed) return EXIT.usage;
    return broken || (check && changed) ? EXIT.problems : EXIT.ok;
  },
};
