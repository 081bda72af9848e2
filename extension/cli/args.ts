/**
 * A small command-line argument parser: enough for `nnmodel`, with no
 * dependency. Options are declared per command so that help text and
 * validation come from the same table.
 */

/** One option a command accepts. */
export interface OptionSpec {
  /** Long name without dashes: `model` for `--model`. */
  name: string;
  /** One-letter alias without the dash. */
  short?: string;
  /** Placeholder of the value (`NAME`); absent for a boolean flag. */
  value?: string;
  /** The option may be given several times; values are collected in order. */
  repeat?: boolean;
  /** One line for the help text. */
  help: string;
}

export interface ParsedArgs {
  /** Positional arguments in order. */
  positional: string[];
  /** Boolean flags that were given. */
  flags: Set<string>;
  /** Values of valued options, in the order given. */
  values: Map<string, string[]>;
}

/** A mistake on the command line: reported with the usage, exit code 2. */
export class UsageError extends Error {}

/**
 * Parses `argv` against `specs`. Accepts `--name value`, `--name=value`,
 * `-x value`, and `--` to end options (everything after it is positional).
 */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byLong = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const out: ParsedArgs = { positional: [], flags: new Set(), values: new Map() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      out.positional.push(...argv.slice(i + 1));
      break;
    }
    // A lone '-' is a conventional positional (stdin); numbers such as -1 are never options here.
    if (!arg.startsWith('-') || arg === '-') {
      out.positional.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    let spec: OptionSpec | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
      spec = byLong.get(name);
    } else {
      name = arg.slice(1);
      spec = name.length === 1 ? byShort.get(name) : undefined;
    }
    if (!spec) {
      const known = specs.map((s) => `--${s.name}`);
      throw new UsageError(`unknown option '${arg}'${known.length ? ` (expected one of ${known.join(', ')})` : ''}`);
    }
    if (!spec.value) {
      if (inline !== undefined) throw new UsageError(`option '--${spec.name}' takes no value`);
      out.flags.add(spec.name);
      continue;
    }
    let value = inline;
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`option '--${spec.name}' needs a value (${spec.value})`);
      value = argv[++i];
    }
    const list = out.values.get(spec.name) ?? [];
    if (list.length > 0 && !spec.repeat) throw new UsageError(`option '--${spec.name}' given more than once`);
    list.push(value);
    out.values.set(spec.name, list);
  }
  return out;
}

/** The single value of an option, or undefined when it was not given. */
export function optionValue(args: ParsedArgs, name: string): string | undefined {
  return args.values.get(name)?.[0];
}

/** Parses a positive integer option value, with a usage error naming the option. */
export function positiveInt(text: string, option: string): number {
  if (!/^[0-9]+$/.test(text)) throw new UsageError(`option '--${option}' needs a positive integer, got '${text}'`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`option '--${option}' needs a positive integer, got '${text}'`);
  return n;
}

/** A whole number from 0 (`--top-k 0`: all): the message says 0 is allowed. */
export function naturalInt(text: string, option: string): number {
  if (text === '0') return 0;
  try {
    return positiveInt(text, option);
  } catch {
    throw new UsageError(`option '--${option}' needs 0 or a positive integer, got '${text}'`);
  }
}

/** Help lines for a list of options, aligned. */
export function optionHelp(specs: readonly OptionSpec[]): string[] {
  const heads = specs.map((s) => `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.value ? ` ${s.value}` : ''}`);
  const width = Math.max(0, ...heads.map((h) => h.length));
  return specs.map((s, i) => `  ${heads[i].padEnd(width)}  ${s.help}`);
}
