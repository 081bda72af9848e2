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
    'Exit codes: 0 ok, 1 errors found (or files to reformat with format --check),',
    '2 bad usage or a file that cannot be read or written.',
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
    throw err;
  }
}

function unknownCommand(name: string, io: Required<CliIO>): number {
  const what = name.startsWith('-') ? `unknown option '${name}'` : `unknown command '${name}'`;
  io.stderr(`nnmodel: ${what}\n\n${usage()}`);
  return EXIT.usage;
}
