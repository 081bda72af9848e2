/**
 * `npm run bench:e2e`: keystroke-to-screen latency in a real VS Code
 * (code-server driven by headless Chromium through the e2e harness), for
 * nnmodel files beside VS Code's built-in JSON language, plus the core's own
 * analysis time for the same files, all in one run.
 *
 *   node .test-out/bench-e2e.js [--edits N]      (npm run bench:e2e builds and bundles first)
 *
 * Each edit is one keystroke that toggles a state: typing a character that
 * creates an error (or changes a shape), then Backspace to remove it. The
 * time runs from the keydown event in the page to the first animation frame
 * in which the status bar's problems count (or the inlay hint at the end of
 * the edited line) shows the new state; both ends are read with the page's
 * clock, so the DevTools protocol's round trips do not count. nnmodel is
 * measured with the default `nnmodel.diagnostics.debounce` (150 ms, which
 * applies only to files whose analyses are slow) and with 0, each in a fresh
 * window; JSON is measured in both windows.
 *
 * Env: NNMODEL_E2E_KEEP=1 keeps the scratch folder.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { analyze } from '../extension/core/analysis/analyze';
import { AnalysisSession } from '../extension/core/analysis/session';
import { renderTable } from '../extension/cli/table';
import type { Workbench } from '../test/e2e/harness';
import { CHEAP_ANALYSIS_MS } from '../extension/vscode/pure/schedule';
import { generateFile } from './generate';
import { measure, ms, summarize } from './stats';

/** What scripts/setup-code-server.mjs exports (loaded at run time: it is an ES module outside the bundle). */
interface CodeServerSetup {
  QUIET_SETTINGS: Readonly<Record<string, unknown>>;
  ensureCodeServer(): string;
  freePort(from?: number): Promise<number>;
  installVsix(vsix: string, dirs: { extensionsDir: string; userDataDir: string; stateDir: string }): void;
  startCodeServer(o: { port: number; userDataDir: string; extensionsDir: string; folder: string; stateDir: string }): Promise<{
    url: string;
    stop(): Promise<void>;
    output(): string;
  }>;
}

type Harness = typeof import('../test/e2e/harness');

const DEFAULT_DEBOUNCE = 150;
/** Deadline of one measured edit; a miss means the editor never showed the change. */
const EDIT_TIMEOUT_MS = 30_000;
/** Deadline of the first (warm-up) edit of a file: language servers may still be starting. */
const WARMUP_TIMEOUT_MS = 90_000;
const GENERATED_LINES = 5000;

const t0 = Date.now();
const say = (m: string): void => console.log(`[bench:e2e ${((Date.now() - t0) / 1000).toFixed(1)} s] ${m}`);

/** The quiet workbench of the e2e tests, with hovers off (none may pop up mid-measurement) and the debounce under test. */
function userSettings(quiet: Readonly<Record<string, unknown>>, debounce: number | undefined): Record<string, unknown> {
  const s: Record<string, unknown> = { ...quiet, 'editor.hover.enabled': false };
  if (debounce !== undefined) s['nnmodel.diagnostics.debounce'] = debounce;
  return s;
}

/** Where an edit happens: just after `anchor`, searching from 1-based line `fromLine`. */
interface EditSpot {
  anchor: string;
  fromLine?: number;
  /** The key that makes the change (Backspace undoes it). */
  key: string;
  /** For a hint edit: the line whose hint is watched is the first with this text at or below `fromLine` (default: the edited line). */
  watch?: string;
}

interface Subject {
  /** Name in the table. */
  label: string;
  /** File name in the workspace. */
  rel: string;
  language: 'nnmodel' | 'JSON';
  text: string;
  /** An edit that toggles a problem on and off. */
  diagnostic: EditSpot;
  /** An edit that changes the inlay hint of its line (nnmodel only). */
  hint?: EditSpot;
}

/** 1-based line and column just after the first `anchor` at or below `fromLine`. */
function spotPosition(text: string, spot: EditSpot): { line: number; column: number } {
  const lines = text.split('\n');
  for (let i = (spot.fromLine ?? 1) - 1; i < lines.length; i++) {
    const at = lines[i].indexOf(spot.anchor);
    if (at >= 0) return { line: i + 1, column: at + spot.anchor.length + 1 };
  }
  throw new Error(`'${spot.anchor}' not found at or below line ${spot.fromLine ?? 1}`);
}

/** `text` with `spot.key` inserted at its position (what the editor holds after the keystroke). */
function edited(text: string, spot: EditSpot): string {
  const { line, column } = spotPosition(text, spot);
  const lines = text.split('\n');
  const l = lines[line - 1];
  lines[line - 1] = l.slice(0, column - 1) + spot.key + l.slice(column - 1);
  return lines.join('\n');
}

function subjects(repo: string, readText: (p: string) => string): Subject[] {
  const gpt2 = readText(join(repo, 'examples/gpt2_small.nnmodel'));
  const generated = generateFile(GENERATED_LINES);
  // An MLP unit in the middle of the file: `h = h -> dense(N) -> batchnorm -> relu`.
  const genLines = generated.split('\n');
  const mid = genLines.findIndex((l, i) => i >= genLines.length / 2 && /^ {2}h = h -> dense\(\d+\) -> batchnorm -> relu$/.test(l));
  if (mid < 0) throw new Error('no MLP unit in the second half of the generated file (bench/generate.ts changed?)');
  const json = ['{', '  "name": "bench",', '  "values": [1, 2, 3],', '  "nested": { "enabled": true, "ratio": 0.5 }', '}', ''].join('\n');
  return [
    {
      label: 'examples/gpt2_small.nnmodel',
      rel: 'gpt2_small.nnmodel',
      language: 'nnmodel',
      text: gpt2,
      // `gelu` → `gelux`: an unknown layer.
      diagnostic: { anchor: '-> gelu', key: 'x' },
      // embedding(50257, …) → embedding(502517, …): the vocabulary, so the model's output shape
      // [seq, 50257] on the `output` line (the `wte = …` line itself has no hint).
      hint: { anchor: 'wte = embedding(5025', key: '1', watch: 'output h -> gpt_block' },
    },
    {
      label: `generated ${GENERATED_LINES} lines`,
      rel: `generated-${GENERATED_LINES}.nnmodel`,
      language: 'nnmodel',
      text: generated,
      diagnostic: { anchor: '-> relu', fromLine: mid + 1, key: 'x' },
      // dense(N) → dense(1N): the line's output shape.
      hint: { anchor: 'dense(', fromLine: mid + 1, key: '1' },
    },
    {
      label: 'small.json',
      rel: 'small.json',
      language: 'JSON',
      text: json,
      // `true` → `truex`: invalid JSON.
      diagnostic: { anchor: '"enabled": true', key: 'x' },
    },
  ];
}

interface Row {
  file: string;
  language: string;
  measure: string;
  debounce: string;
  times: number[];
  /** The JSON problems latency of the same window, for the ratio. */
  json?: number[];
}

/** 'problems', or `hint:N`: the inlay hint at the end of 1-based line N. */
type Probe = 'problems' | `hint:${number}`;

interface PageState {
  keyAt?: number;
  seenAt?: number;
  value?: string | null;
}

/**
 * Installs, in the page, a keydown listener that stamps the time of each
 * keystroke and `read(probe)`, which returns what the user sees: the status
 * bar's problems entry, or the inlay hint text (from the '→') at the end of
 * line N of the active editor (null when that line is not rendered). A line
 * is found by its line number in the gutter, whose overlay shares the line's
 * vertical position (CodeLens and other view zones make positions irregular).
 */
async function installProbes(page: Page): Promise<void> {
  await page.evaluate(() => {
    type El = {
      getAttribute(n: string): string | null;
      textContent: string | null;
      style: { top: string };
      querySelector(s: string): El | null;
      querySelectorAll(s: string): Iterable<El>;
    };
    const g = globalThis as unknown as {
      document: { getElementById(id: string): El | null; querySelector(s: string): El | null };
      addEventListener(t: string, f: () => void, capture: boolean): void;
      requestAnimationFrame(f: () => void): void;
      __nnbench?: unknown;
    };
    if (g.__nnbench) return;
    const state: { keyAt?: number; seenAt?: number; value?: string | null } = {};
    const read = (probe: string): string | null => {
      if (probe === 'problems') {
        const el = g.document.getElementById('status.problems');
        return el ? `${el.getAttribute('aria-label') ?? ''}|${el.textContent ?? ''}` : null;
      }
      const editor = g.document.querySelector('.editor-group-container.active .monaco-editor');
      if (!editor) return null;
      const want = probe.slice('hint:'.length);
      let top: string | undefined;
      for (const overlay of editor.querySelectorAll('.margin-view-overlays > div')) {
        if ((overlay.querySelector('.line-numbers')?.textContent ?? '').trim() === want) top = overlay.style.top;
      }
      if (top === undefined) return null;
      for (const line of editor.querySelectorAll('.view-lines .view-line')) {
        if (line.style.top !== top) continue;
        const text = (line.textContent ?? '').replace(/\u00a0/g, ' ');
        const at = text.indexOf('→');
        return at < 0 ? '' : text.slice(at);
      }
      return null;
    };
    g.addEventListener('keydown', () => (state.keyAt = performance.now()), true);
    g.__nnbench = {
      state,
      read,
      /** Checks every frame until read(probe) equals `target` (mode 'eq') or differs from it and is readable (mode 'ne'). */
      watch(probe: string, target: string | null, mode: 'eq' | 'ne') {
        state.keyAt = undefined;
        state.seenAt = undefined;
        state.value = undefined;
        const tick = () => {
          const v = read(probe);
          // A hint ending in '…' is the old one shortened while VS Code waits for the new one: not a new value.
          if (mode === 'eq' ? v === target : v !== null && v !== target && !v.endsWith('…')) {
            state.seenAt = performance.now();
            state.value = v;
            return;
          }
          g.requestAnimationFrame(tick);
        };
        g.requestAnimationFrame(tick);
      },
    };
  });
}

async function readProbe(page: Page, probe: Probe): Promise<string | null> {
  return page.evaluate((p) => (globalThis as unknown as { __nnbench: { read(p: string): string | null } }).__nnbench.read(p), probe);
}

/**
 * Presses `key` and returns the milliseconds from its keydown to the first
 * frame where `probe` reads `target` (or, with mode 'ne', anything else).
 */
async function timedKey(page: Page, probe: Probe, key: string, target: string | null, mode: 'eq' | 'ne', timeout: number): Promise<{ ms: number; value: string | null }> {
  await page.evaluate(
    ([p, t, m]) => (globalThis as unknown as { __nnbench: { watch(p: string, t: string | null, m: string): void } }).__nnbench.watch(p as string, t, m as string),
    [probe, target, mode] as const,
  );
  await page.keyboard.press(key);
  try {
    await page.waitForFunction(() => (globalThis as unknown as { __nnbench: { state: PageState } }).__nnbench.state.seenAt !== undefined, undefined, {
      polling: 'raf',
      timeout,
    });
  } catch {
    const now = await readProbe(page, probe).catch(() => '(page gone)');
    throw new Error(`after pressing ${key}, the ${probe === 'problems' ? "status bar's problems count" : `inlay hint of line ${probe.slice(5)}`} did not ${mode === 'eq' ? `return to ${JSON.stringify(target)}` : `change from ${JSON.stringify(target)}`} within ${timeout} ms (now ${JSON.stringify(now)})`);
  }
  const s = await page.evaluate(() => (globalThis as unknown as { __nnbench: { state: PageState } }).__nnbench.state);
  if (s.keyAt === undefined || s.seenAt === undefined) throw new Error(`the page saw no keydown for ${key} (focus left the editor?)`);
  return { ms: s.seenAt - s.keyAt, value: s.value ?? null };
}

/**
 * `edits` timed keystrokes at `spot`, alternating the key and Backspace, after
 * one untimed round that learns what the "on" state looks like. Leaves the
 * text as it found it.
 */
async function toggleRun(wb: Workbench, probe: Probe, spot: EditSpot, base: string, edits: number): Promise<number[]> {
  const page = wb.page;
  const first = await timedKey(page, probe, spot.key, base, 'ne', WARMUP_TIMEOUT_MS);
  const on = first.value;
  await timedKey(page, probe, 'Backspace', base, 'eq', WARMUP_TIMEOUT_MS);
  const times: number[] = [];
  for (let i = 0; i < edits; i++) {
    const r = i % 2 === 0 ? await timedKey(page, probe, spot.key, on, 'eq', EDIT_TIMEOUT_MS) : await timedKey(page, probe, 'Backspace', base, 'eq', EDIT_TIMEOUT_MS);
    times.push(r.ms);
  }
  if (edits % 2 === 1) await timedKey(page, probe, 'Backspace', base, 'eq', EDIT_TIMEOUT_MS);
  return times;
}

/** Polls until `probe` is readable (and, for a hint, shows one); returns it. */
async function settled(h: Harness, wb: Workbench, probe: Probe, what: string): Promise<string> {
  return h.poll(
    what,
    async () => {
      const v = await readProbe(wb.page, probe);
      // A hint ending in '…' is one VS Code shortened to its old length because the cursor was behind it at
      // the last edit (it shows in full ~1 s later): waiting for the full text keeps the baseline stable.
      return v !== null && (probe === 'problems' || (v.startsWith('→') && !v.endsWith('…'))) ? v : undefined;
    },
    { timeout: WARMUP_TIMEOUT_MS, seen: async () => JSON.stringify(await readProbe(wb.page, probe)) },
  );
}

/** One window on a fresh workspace with the given debounce; measures every subject. */
async function runWindow(h: Harness, subs: Subject[], debounce: number | undefined, edits: number): Promise<Row[]> {
  const tag = debounce === undefined ? `${DEFAULT_DEBOUNCE} (default)` : String(debounce);
  const files: Record<string, string> = {};
  for (const s of subs) files[s.rel] = s.text;
  const folder = h.makeWorkspace(`bench-debounce-${debounce ?? 'default'}`, files);
  const wb = await h.Workbench.open(folder, `bench-e2e debounce ${debounce ?? 'default'}`);
  const rows: Row[] = [];
  try {
    await installProbes(wb.page);
    // The status bar may still be filling in when the window opens.
    await h.poll("the status bar's problems entry (id 'status.problems')", async () => ((await readProbe(wb.page, 'problems')) === null ? undefined : true), {
      timeout: WARMUP_TIMEOUT_MS,
      seen: async () => 'no element with that id',
    });
    for (const s of subs) {
      say(`debounce ${tag}: ${s.label}`);
      await wb.openFile(s.rel);
      const measures: [string, Probe, EditSpot][] = [['problems', 'problems', s.diagnostic]];
      if (s.hint) {
        const watched = s.hint.watch ? spotPosition(s.text, { ...s.hint, anchor: s.hint.watch }).line : spotPosition(s.text, s.hint).line;
        measures.push(['inlay hint', `hint:${watched}`, s.hint]);
      }
      for (const [name, probe, spot] of measures) {
        const { line, column } = spotPosition(s.text, spot);
        await wb.goTo(line, column);
        const base = await settled(h, wb, probe, `${s.label}: the ${name === 'problems' ? 'problems count' : `inlay hint of line ${probe.slice(5)}`} to show`);
        const times = await wb.step(`${s.label} ${name}`, () => toggleRun(wb, probe, spot, base, edits));
        rows.push({ file: s.label, language: s.language, measure: `keystroke → ${name}`, debounce: s.language === 'JSON' ? 'n/a' : tag, times });
      }
    }
  } catch (e) {
    await wb.screenshot('FAILED');
    throw e;
  } finally {
    await wb.close();
  }
  const json = rows.find((r) => r.language === 'JSON')?.times;
  for (const r of rows) r.json = json;
  return rows;
}

/** The core alone, in this Node process: cold analyze() and one keystroke through an AnalysisSession. */
function coreRows(subs: Subject[], edits: number): Row[] {
  const rows: Row[] = [];
  const opts = { warmup: 3, minRuns: edits, maxRuns: edits, targetMs: 0 };
  for (const s of subs) {
    if (s.language !== 'nnmodel') continue;
    const cold = measure(() => analyze(s.text), opts);
    rowsFromStats(rows, s, cold, 'core: cold analyze()');
    for (const [name, spot] of [
      ['problems edit', s.diagnostic],
      ['hint edit', s.hint],
    ] as const) {
      if (!spot) continue;
      const versions = [edited(s.text, spot), s.text];
      const session = new AnalysisSession();
      session.update(s.text);
      let i = 0;
      const st = measure(() => session.update(versions[i++ % 2]), opts);
      rowsFromStats(rows, s, st, `core: keystroke, ${name} (AnalysisSession.update)`);
    }
  }
  return rows;
}

/** The statistics of the core rows (measure() keeps no samples, so they are not in Row.times). */
const coreStats = new Map<Row, { median: number; p95: number; runs: number }>();

function rowsFromStats(rows: Row[], s: Subject, st: { median: number; p95: number; runs: number }, name: string): void {
  const row: Row = { file: s.label, language: 'nnmodel', measure: name, debounce: '–', times: [] };
  coreStats.set(row, st);
  rows.push(row);
}

function printTable(rows: Row[]): void {
  const out: string[][] = [];
  for (const r of rows) {
    const core = coreStats.get(r);
    const st = core ?? summarize(r.times);
    const json = r.json && r.language !== 'JSON' ? summarize(r.json) : undefined;
    out.push([r.file, r.language, r.measure, r.debounce, ms(st.median), ms(st.p95), String(core ? core.runs : st.runs), json ? `×${(st.median / json.median).toFixed(2)}` : '']);
  }
  const { lines } = renderTable(
    [
      { title: 'file', align: 'left' },
      { title: 'language', align: 'left' },
      { title: 'measure', align: 'left' },
      { title: 'debounce ms', align: 'left' },
      { title: 'median ms', align: 'right' },
      { title: 'p95 ms', align: 'right' },
      { title: 'n', align: 'right' },
      { title: 'vs JSON', align: 'right' },
    ],
    out,
  );
  console.log('\n' + lines.join('\n'));
}

async function main(): Promise<number> {
  let edits = 30;
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--edits') edits = Number(args[++i]);
    else throw new Error(`unknown argument '${args[i]}' (usage: bench:e2e [--edits N])`);
  }
  if (!Number.isInteger(edits) || edits < 2) throw new Error('--edits needs an integer ≥ 2');

  const load0 = os.loadavg()[0].toFixed(2);
  const repo = process.cwd();
  if (!existsSync(join(repo, 'package.json')) || !existsSync(join(repo, 'scripts/setup-code-server.mjs'))) {
    throw new Error(`run from the repository root (npm run bench:e2e); ${repo} is not it`);
  }
  if (!existsSync(join(repo, 'dist/extension.js'))) throw new Error('dist/extension.js is missing: build first (npm run build)');
  const setup = (await import(pathToFileURL(join(repo, 'scripts/setup-code-server.mjs')).href)) as CodeServerSetup;
  const subs = subjects(repo, (p) => readFileSync(p, 'utf8'));

  const scratch = mkdtempSync(join(os.tmpdir(), 'nnmodel-bench-e2e-'));
  mkdirSync(join(repo, '.test-out'), { recursive: true });
  const outdir = mkdtempSync(join(repo, '.test-out', 'bench-e2e-'));
  let server: Awaited<ReturnType<CodeServerSetup['startCodeServer']>> | undefined;
  let harness: Harness | undefined;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    const browser = await harness?.sharedBrowser().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await server?.stop();
    if (server) {
      mkdirSync(join(repo, 'test-results/bench-e2e'), { recursive: true });
      writeFileSync(join(repo, 'test-results/bench-e2e/code-server.log'), server.output());
    }
    rmSync(outdir, { recursive: true, force: true });
    if (!process.env.NNMODEL_E2E_KEEP) rmSync(scratch, { recursive: true, force: true });
    else say(`kept ${scratch}`);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      console.error(`bench:e2e: ${sig}, stopping code-server and Chromium`);
      void cleanup().finally(() => process.exit(130));
    });
  }

  try {
    const vsix = join(outdir, 'nnmodel.vsix');
    say('packaging the VSIX');
    const pack = spawnSync(
      process.execPath,
      [join(repo, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', vsix],
      { cwd: repo, stdio: 'inherit' },
    );
    if (pack.status !== 0) throw new Error(`vsce package failed (exit ${pack.status})`);

    say('setting up code-server');
    setup.ensureCodeServer();
    const userDataDir = join(scratch, 'user-data');
    const extensionsDir = join(scratch, 'extensions');
    const stateDir = join(scratch, 'state');
    const emptyFolder = join(scratch, 'empty');
    mkdirSync(join(userDataDir, 'User'), { recursive: true });
    mkdirSync(emptyFolder, { recursive: true });
    const settingsFile = join(userDataDir, 'User/settings.json');
    writeFileSync(settingsFile, JSON.stringify(userSettings(setup.QUIET_SETTINGS, undefined), null, 2));
    say('installing the VSIX');
    setup.installVsix(vsix, { extensionsDir, userDataDir, stateDir });
    const port = await setup.freePort();
    server = await setup.startCodeServer({ port, userDataDir, extensionsDir, folder: emptyFolder, stateDir });
    say(`code-server at ${server.url}`);

    // The harness reads its settings when it loads.
    Object.assign(process.env, {
      NNMODEL_E2E_URL: server.url,
      NNMODEL_E2E_TMP: scratch,
      NNMODEL_E2E_RESULTS: join(repo, 'test-results/bench-e2e'),
      NNMODEL_E2E_REPO: repo,
    });
    harness = await import('../test/e2e/harness');

    const rows: Row[] = [];
    // A fresh window reads the user settings as they are on disk when it opens.
    for (const debounce of [undefined, 0]) {
      writeFileSync(settingsFile, JSON.stringify(userSettings(setup.QUIET_SETTINGS, debounce), null, 2));
      rows.push(...(await runWindow(harness, subs, debounce, edits)));
    }
    await cleanup();

    say('core analysis in Node');
    rows.push(...coreRows(subs, edits));
    printTable(rows);
    console.log(
      [
        '',
        'keystroke → X: from the keydown event to the first animation frame showing the new state, both read with the page\'s clock',
        '  (so ±1 frame, ~17 ms); problems = the status bar\'s problems count; inlay hint = the hint at the end of the edited line',
        '  (for GPT-2: the edit changes the vocabulary on the `wte` line, and the hint watched is the `output` line\'s shape).',
        `  Each edit toggles a state (type a character / Backspace), ${edits} timed edits after one untimed round; p95 by nearest rank.`,
        `nnmodel re-analyses a file at once after an edit while its analyses cost ≤ ${CHEAP_ANALYSIS_MS} ms of CPU, and otherwise waits`,
        `  nnmodel.diagnostics.debounce (default ${DEFAULT_DEBOUNCE} ms) after the last keystroke; the rows with 0 never wait.`,
        '  Any feature VS Code asks right after an edit (semantic tokens, inlay hints, CodeLens) analyses the current text at once',
        '  and publishes its problems too, so the debounce is a ceiling, not a floor, on the problems latency.',
        'vs JSON = median / the JSON problems median measured in the same window (core rows: none, they have no editor in them).',
        `load average (1 min) at start ${load0}, at end ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cores: a busy machine stretches every row.`,
        'core: in this Node process, after code-server stopped; cold = analyze() of the whole file, keystroke = AnalysisSession.update()',
        '  alternating the file with and without the same one-character edit the editor rows use.',
      ].join('\n'),
    );
    return 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bench:e2e failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
