/**
 * The contract between the `nnmodel` driver and its subcommands. A command is
 * a name, its help and its options, and a `run` that returns an exit code;
 * `train` and `export` plug in here by adding an entry to COMMANDS in cli.ts.
 */
import type { OptionSpec, ParsedArgs } from './args';

/** Where the CLI writes and where it resolves relative paths. */
export interface CliIO {
  /** Normal output (results, tables, JSON). */
  stdout(text: string): void;
  /** Diagnostics on stderr, progress and error messages. */
  stderr(text: string): void;
  /** Directory relative paths are resolved from; defaults to process.cwd(). */
  cwd?: string;
}

/**
 * Exit codes, the same for every command (`nnmodel --help` lists them; test/unit/cli-exit-codes.test.ts
 * checks them per command). Ctrl-C is 130 (128 + SIGINT): train and forecast return it after
 * stopping cleanly, the other commands end as Node does on SIGINT, which the shell sees as 130.
 */
export const EXIT = {
  ok: 0,
  /** The input has errors (check, summary, export, a job's model or train section), data or a checkpoint a job cannot use, or a file would change (format --check). */
  problems: 1,
  /** Bad command line (unknown option, no FILE, `--model` naming no model of FILE), or a file named on it could not be read or written. */
  usage: 2,
  /** Stopped with Ctrl-C. */
  interrupted: 130,
} as const;

export interface Command {
  name: string;
  /** `FILE [--model NAME] [--json]` */
  synopsis: string;
  /** One line for the command list. */
  summary: string;
  /** Paragraphs for `nnmodel help NAME`. */
  description: string;
  options: OptionSpec[];
  run(args: ParsedArgs, io: Required<CliIO>): Promise<number> | number;
}
