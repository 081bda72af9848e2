/**
 * `npm run bench`: every benchmark section, measured in one run on one
 * machine, printed side by side.
 *
 *   node dist/bench.js [--only analysis,build] [--quick]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { keyValues } from '../extension/cli/table';
import { analysisSection } from './analysis';
import { machineFacts } from './machine';
import { SectionReport, type BenchContext, type BenchSection, type ExampleFile } from './registry';
import type { Stats } from './stats';
import { inspectorSection } from './inspector';
import { tfjsBuildSection } from './tfjs-build';
import { trainingSection } from './training';
import { nnmodelFiles } from '../test/fixtures/examples';

/** Sections in the order they run and print. Later sections may use earlier results. */
const SECTIONS: readonly BenchSection[] = [analysisSection, tfjsBuildSection, trainingSection, inspectorSection];

/**
 * The repository root: dist/bench.js sits one level below it; a bundle run
 * from elsewhere falls back to the working directory (`npm run` uses the root).
 */
function repoRoot(): string {
  const beside = resolve(__dirname, '..');
  return existsSync(join(beside, 'package.json')) && existsSync(join(beside, 'examples')) ? beside : process.cwd();
}

function loadExamples(root: string): ExampleFile[] {
  const dir = join(root, 'examples');
  let names: string[];
  try {
    names = nnmodelFiles(dir);
  } catch {
    return [];
  }
  return names.map((f) => ({ name: `examples/${f}`, path: join(dir, f), text: readFileSync(join(dir, f), 'utf8') }));
}

function parseArgs(argv: readonly string[]): { only?: Set<string>; quick: boolean } {
  let only: Set<string> | undefined;
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') quick = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const v = a === '--only' ? argv[++i] : a.slice('--only='.length);
      only = new Set((v ?? '').split(',').filter(Boolean));
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`usage: node dist/bench.js [--only ${SECTIONS.map((s) => s.name).join(',')}] [--quick]\n`);
      process.exit(0);
    } else {
      process.stderr.write(`bench: unknown argument '${a}'\n`);
      process.exit(2);
    }
  }
  if (only) {
    const unknown = [...only].filter((n) => !SECTIONS.some((s) => s.name === n));
    if (unknown.length) {
      process.stderr.write(`bench: unknown section ${unknown.join(', ')} (sections: ${SECTIONS.map((s) => s.name).join(', ')})\n`);
      process.exit(2);
    }
  }
  return { only, quick };
}

/**
 * Libraries print while being measured (tfjs greets Node users, warns about
 * slow initialisers); collect it so the report stays readable, and show each
 * distinct message once under its section.
 */
function captureConsole(): () => string[] {
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const saved = methods.map((m) => console[m]);
  const seen = new Map<string, number>();
  for (const m of methods) {
    console[m] = (...args: unknown[]) => {
      const text = args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ').replace(/[=]{5,}/g, '').replace(/\s+/g, ' ').trim();
      if (text) seen.set(text.slice(0, 200), (seen.get(text.slice(0, 200)) ?? 0) + 1);
    };
  }
  return () => {
    methods.forEach((m, i) => (console[m] = saved[i]));
    return [...seen].map(([t, n]) => (n > 1 ? `${t} (×${n})` : t));
  };
}

async function run(): Promise<number> {
  const { only, quick } = parseArgs(process.argv.slice(2));
  const root = repoRoot();
  const ctx: BenchContext = {
    root,
    examples: loadExamples(root),
    results: new Map<string, Stats>(),
    quick,
    progress: (m) => {
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${m}`);
    },
  };
  const out = (s = '') => process.stdout.write(s + '\n');
  out('nnmodel benchmark');
  for (const l of keyValues(machineFacts(), '  ')) out(l);
  out(`  started:       ${new Date().toISOString()}${quick ? '  (--quick: fewer runs, figures are rough)' : ''}`);
  let failed = 0;
  for (const section of SECTIONS) {
    if (only && !only.has(section.name)) continue;
    const report = new SectionReport();
    const t0 = performance.now();
    const restore = captureConsole();
    try {
      await section.run(ctx, report);
    } catch (err) {
      report.note(`section failed: ${(err as Error)?.stack ?? err}`);
      failed++;
    } finally {
      const said = restore();
      if (said.length) report.note(`printed while measuring:\n${said.map((m) => `  ${m}`).join('\n')}`);
    }
    ctx.progress('');
    out();
    out(`== ${section.title} `.padEnd(80, '='));
    for (const block of report.blocks) {
      out();
      for (const l of block) out(l);
    }
    failed += report.verdicts.filter((v) => !v.ok).length;
    out(`(${section.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  out();
  out(failed ? `${failed} verdict(s) failed.` : 'All verdicts passed.');
  return failed ? 1 : 0;
}

run().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error)?.stack ?? err}\n`);
    process.exitCode = 2;
  },
);
