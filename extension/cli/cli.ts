/**
 * The `nnmodel` command: a driver that dispatches to subcommands. `main` is
 * pure with respect to the process (no exit, no direct stdout), so tests run
 * it in-process; extension/cli/main.ts wires it to the real process.
 */
import { version } from '../../package.json';
import { UsageError, optionHelp, parseArgs } from './args';
import { checkCommand } from './check';
import { EXIT, type CliIO, type Command } from './command';
import { exportCommand } from './export';
import { UnreadableFile } from './files';
import { formatCommand } from './format';
import { forecastCommand } from './forecast';
import { summaryCommand } from './summary';
import { evaluateCommand, generateCommand, trainCommand } from './train';

export { EXIT, type CliIO, type Command } from './command';

/** Subcommands in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [checkCommand, summaryCommand, formatCommand, trainCommand, evaluateCommand, generateCommand, forecastCommand, exportCommand];

export const VERSION: string = version;

const HELP_OPTION = { name: 'help', short: 'h', help: 'show this help' };

function usage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `nnmodel ${VERSION} — check, summarise, format, train and export (to PyTorch) .nnmodel neural-network files`,
    '',
    'Usage:',
    ...COMMANDS.map((c) => `  nnmodel ${c.name} ${c.synopsis}`),
    '  nnmodel help [COMMAND]',
    '  nnmodel --version',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    "FILE '-' is standard input for check, summary, format (which then writes to standard",
    'output) and export; messages name it <stdin>, and its imports are found from the working',
    'folder.',
    '',
    'Exit codes (the same for every command):',
    '  0    done, no errors',
    '  1    problems found: errors in FILE (export: outside its train sections, which it warns',
    '       about; train, evaluate, generate, forecast: in the model or its train section), data',
    '       or a checkpoint a job cannot use, a layer PyTorch cannot be given, files format',
    '       --check would change',
    '  2    bad usage: an unknown command or option, no FILE (or more than one), a bad option',
    '       value, --model naming no model of FILE; or a file the command line names (FILE,',
    '       --out, --weights) that cannot be read or written',
    '  130  stopped with Ctrl-C',
    '',
    "Run 'nnmodel help COMMAND' for a command's options.",
    '',
  ].join('\n');
}

function commandHelp(c: Command): string {
  return [
    `Usage: nnmodel ${c.name} ${c.synopsis}`,
    '',
    c.description,
    '',
    'Options:',
    ...optionHelp([...c.options, HELP_OPTION]),
    '',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const full: Required<CliIO> = { stdout: io.stdout, stderr: io.stderr, cwd: io.cwd ?? process.cwd() };
  const [first, ...rest] = argv;
  if (first === undefined) {
    full.stderr(usage());
    return EXIT.usage;
  }
  if (first === '--version' || first === '-V' || first === 'version') {
    full.stdout(`${VERSION}\n`);
    return EXIT.ok;
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? rest[0] : undefined;
    if (topic === undefined) {
      full.stdout(usage());
      return EXIT.ok;
    }
    const c = COMMANDS.find((x) => x.name === topic);
    if (!c) return unknownCommand(topic, full);
    full.stdout(commandHelp(c));
    return EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) return unknownCommand(first, full);
  if (rest.includes('--help') || rest.includes('-h')) {
    full.stdout(commandHelp(command));
    return EXIT.ok;
  }
  try {
    return await command.run(parseArgs(rest, command.options), full);
  } catch (err) {
    if (err instanceof UsageError) {
      full.stderr(`nnmodel ${command.name}: ${err.message}\nUsage: nnmodel ${command.name} ${command.synopsis}\n`);
      return EXIT.usage;
    }
    if (err instanceof UnreadableFile) {
      full.stderr(`${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
}

function unknownCommand(name: string, io: Required<CliIO>): number {
  const what = name.startsWith('-') ? `unknown option '${name}'` : `unknown command '${name}'`;
  io.stderr(`nnmodel: ${what}\n\n${usage()}`);
  return EXIT.usage;
}
