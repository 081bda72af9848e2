/** `nnmodel format FILE... [--check] [--indent N|tab] [--tab-size N]`: rewrite files in the canonical layout. */
import { format, type FormatOptions } from '../core/syntax/format';
import { parse } from '../core/syntax/parser';
import { optionValue, positiveInt, UsageError, type ParsedArgs } from './args';
import { EXIT, type Command } from './command';
import { formatDiagnostic, plural } from './diagnostics';
import { displayPath, distinctFiles, encodeSource, ioReason, readSourceFile, STDIN, writeFileAtomic, type SourceText } from './files';

export const formatCommand: Command = {
  name: 'format',
  synopsis: 'FILE... [--check] [--indent N|tab] [--tab-size N]',
  summary: 'rewrite files in the canonical layout',
  description: [
    'Rewrites each FILE in the canonical layout. Files are replaced atomically (a temporary',
    'file beside it, then a rename), so an interrupted run never leaves a half-written file.',
    'A file with syntax errors is left untouched and its errors are printed; so is a file that',
    'is not UTF-8 (writing it back would replace its other bytes). A byte-order mark, UTF-16',
    '(told by its byte-order mark) and the line endings (LF, CRLF or CR: those of the first',
    'line) are kept. Through a symbolic link, the file it points to is rewritten; its',
    'permissions, owner and group are kept.',
    '',
    'With --check, nothing is written: the files that would change are listed and the exit',
    'code is 1 if there is any (for CI).',
    '',
    'FILE - reads standard input and writes the formatted text to standard output, for editors',
    'and pipes (`nnmodel format - < a.nnmodel`); it is then the only FILE. Text with syntax',
    'errors is written back unchanged (the errors go to standard error, exit code 1), so a',
    'filter does not empty what it was given; input that is not valid UTF-8 is not written.',
    'Standard output is UTF-8 (with the byte-order mark when the input had one).',
    '',
    'Bodies are indented by two spaces, or by --indent N spaces, or with --indent tab by one',
    'tab per level (alignment beyond the level, as in continued chains, is in spaces, so it',
    'holds at any tab width). --tab-size N is how many columns a tab counts for in the',
    '100-column limit and in the columns of the source (default 4 with --indent tab); give',
    "it your editor's tab width so that both agree.",
  ].join('\n'),
  options: [
    { name: 'check', help: 'only report files that are not formatted; exit 1 if any' },
    { name: 'indent', value: 'N|tab', help: 'indent by N spaces (1 to 16; default 2) or by tabs' },
    { name: 'tab-size', value: 'N', help: 'columns a tab counts for, 1 to 16 (default 4 with --indent tab)' },
  ],
  run(args, io) {
    if (args.positional.length === 0) throw new UsageError('format needs at least one FILE');
    const check = args.flags.has('check');
    const options = formatOptions(args);
    const files = distinctFiles(args.positional, io.cwd);
    if (files.includes(STDIN) && !check) {
      if (files.length > 1) throw new UsageError("format - writes the formatted text to standard output: give '-' alone, or use --check");
      return formatStdin(io, options);
    }
    let changed = 0;
    let broken = 0;
    let invalidBytes = 0;
    let failed = 0;
    for (const file of files) {
      const path = displayPath(file);
      let source: SourceText;
      try {
        source = readSourceFile(file, io.cwd);
      } catch (err) {
        io.stderr(`${path}: cannot read: ${ioReason(err)}\n`);
        failed++;
        continue;
      }
      const { text, invalid } = source;
      if (invalid) {
        io.stderr(invalidByteLine(path, source, 'save the file as UTF-8'));
        io.stderr(`nnmodel: not formatting ${path}: it is not valid ${source.encoding.toUpperCase()}, and writing it back would replace such bytes\n`);
        invalidBytes++;
        continue;
      }
      const errors = parse(text).errors;
      if (errors.length > 0) {
        io.stderr(syntaxErrorLines(path, errors));
        io.stderr(`nnmodel: not formatting ${path}: it has ${plural(errors.length, 'syntax error')}\n`);
        broken++;
        continue;
      }
      const formatted = format(text, options);
      if (formatted === text) continue;
      if (check) {
        io.stdout(`would reformat ${path}\n`);
        changed++;
        continue;
      }
      try {
        writeFileAtomic(path, encodeSource(formatted, source), io.cwd);
        io.stdout(`formatted ${path}\n`);
        changed++;
      } catch (err) {
        io.stderr(`nnmodel: cannot write ${path}: ${ioReason(err)}\n`);
        failed++;
      }
    }
    const ok = files.length - changed - broken - invalidBytes - failed;
    const verb = check ? 'would be reformatted' : 'reformatted';
    const parts = [`${plural(changed, 'file')} ${verb}`, `${ok} already formatted`];
    if (broken) parts.push(`${broken} with syntax errors`);
    if (invalidBytes) parts.push(`${invalidBytes} with invalid bytes`);
    if (failed) parts.push(`${failed} could not be ${check ? 'read' : 'read or written'}`);
    io.stdout(parts.join(', ') + '\n');
    if (failed) return EXIT.usage;
    return broken || invalidBytes || (check && changed) ? EXIT.problems : EXIT.ok;
  },
};

/** `format -`: standard input, formatted, to standard output; text that cannot be formatted goes out as it came in. */
function formatStdin(io: Parameters<Command['run']>[1], options: FormatOptions): number {
  let source: SourceText;
  try {
    source = readSourceFile(STDIN, io.cwd);
  } catch (err) {
    io.stderr(`<stdin>: cannot read: ${ioReason(err)}\n`);
    return EXIT.usage;
  }
  const { text, invalid } = source;
  // Standard output is UTF-8; a byte-order mark read is written back.
  const bom = source.bom ? '\ufeff' : '';
  if (invalid) {
    io.stderr(invalidByteLine('<stdin>', source, 'give UTF-8'));
    // Its bytes are not in `text` (decoding replaced them): nothing is written rather than something else.
    io.stderr('nnmodel: not formatting <stdin>: it is not valid UTF-8; nothing written\n');
    return EXIT.problems;
  }
  const errors = parse(text).errors;
  if (errors.length > 0) {
    io.stderr(syntaxErrorLines('<stdin>', errors));
    io.stderr(`nnmodel: not formatting <stdin>: it has ${plural(errors.length, 'syntax error')}; written back unchanged\n`);
    io.stdout(bom + text);
    return EXIT.problems;
  }
  io.stdout(bom + format(text, options));
  return EXIT.ok;
}

/** `name:line:col: error byte 0xFF is not valid UTF-8: advice`, for a source read with a byte of no character. */
function invalidByteLine(name: string, source: SourceText, advice: string): string {
  const at = source.invalid!;
  const hex = at.byte.toString(16).toUpperCase().padStart(2, '0');
  return `${name}:${at.line + 1}:${at.character + 1}: error byte 0x${hex} is not valid ${source.encoding.toUpperCase()}: ${advice}\n`;
}

/** A line per syntax error of `name`, as `nnmodel check` prints diagnostics. */
function syntaxErrorLines(name: string, errors: ReturnType<typeof parse>['errors']): string {
  return errors.map((e) => formatDiagnostic({ file: name, diagnostic: { code: e.code, severity: 'error', message: e.message, range: e.range } }) + '\n').join('');
}

/** The formatter's options from `--indent` and `--tab-size`, with usage errors naming the option. */
function formatOptions(args: ParsedArgs): FormatOptions {
  const indent = optionValue(args, 'indent');
  const tabSize = optionValue(args, 'tab-size');
  const options: FormatOptions = {};
  if (indent !== undefined) {
    if (indent === 'tab') options.indent = '\t';
    else if (/^[0-9]+$/.test(indent) && Number(indent) >= 1 && Number(indent) <= 16) options.indent = ' '.repeat(Number(indent));
    else throw new UsageError(`option '--indent' needs a number of spaces from 1 to 16, or 'tab', got '${indent}'`);
  }
  if (tabSize !== undefined) {
    const n = positiveInt(tabSize, 'tab-size');
    if (n > 16) throw new UsageError(`option '--tab-size' needs a number from 1 to 16, got '${tabSize}'`);
    options.tabSize = n;
  }
  return options;
}
