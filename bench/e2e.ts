/**
 * `npm run bench:e2e`: keystroke-to-screen latency in a real VS Code
 * (code-server driven by headless Chromium through the e2e harness), for
 * nnmodel files beside VS Code's built-in JSON language, plus the core's own
 * analysis time for the same files, all in one run.
 *
 *   node .test-out/bench-e2e.js [--edits N] [--gap MS] [--window default|0|both] [--only gpt2|generated|large] [--profile DIR]
 *   (npm run bench:e2e builds and bundles first; defaults: 30 edits, 100 ms gap, both windows, every file)
 *
 * Every sample, with its keydown's epoch time (to line it up with traces of
 * other processes), goes to test-results/bench-e2e/samples.json; `--profile`
 * saves a CPU profile of the page per measure (open it in Chrome DevTools).
 *
 * Each edit is one keystroke that toggles a state: typing a character that
 * creates an error (or changes a shape), then Backspace to remove it. The
 * time runs from the keydown event in the page to the DOM change (seen by a
 * MutationObserver, so sub-millisecond, not one frame) after which the
 * status bar's problems count (or the inlay hint at the end of the edited
 * line) shows the new state; the first animation frame showing it is
 * reported too. Both ends are read with the page's clock, so the DevTools
 * protocol's round trips do not count. Each edit follows `--gap` ms without
 * input, so every edit starts from the same quiet state.
 *
 * Fairness: VS Code's built-in JSON language on a small file is measured in
 * the same window, in a second editor group, its edits alternating with the
 * nnmodel edits of each row, so load from other processes falls on both
 * alike. The verdict comes with a bootstrap interval of the median ratio.
 * For reference only (not a verdict on nnmodel), VS Code's JSON on a
 * generated JSON file as long as the generated nnmodel file is measured the
 * same way as an nnmodel row: what file size alone costs VS Code's own
 * editor (rendering, bracket pairs, decorations, tokenisation) and a language
 * server, beside what it costs nnmodel.
 * nnmodel runs with all its features on; it is measured with the default
 * `nnmodel.diagnostics.debounce` (150 ms, which applies only to files whose
 * analyses are slow) and with 0, each in a fresh window.
 *
 * Env: NNMODEL_E2E_KEEP=1 keeps the scratch folder.
 */
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
import { mulberry32 } from '../extension/core/runtime/data/random';
import { generateFile } from './generate';
import { measure, ms, summarize } from './stats';
import { median, quantile, ratioInterval, verdict } from './compare';

/** What scripts/setup-code-server.mjs exports (loaded at run time: it is an ES module outside the bundle). */
interface CodeServerSetup {
  QUIET_SETTINGS: Readonly<Record<string, unknown>>;
  ensureCodeServer(): string;
  packageVsix(vsix: string): number;
  profileFolders(
    root: string,
    settings: Record<string, unknown>,
  ): { userDataDir: string; extensionsDir: string; stateDir: string; emptyFolder: string; settingsFile: string };
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

/**
 * NNMODEL_BENCH_SETTINGS (a JSON object): extra user settings, for experiments
 * only (e.g. which workbench feature costs what). Every table of such a run
 * says so: its rows are not the default editor and are not the verdict.
 */
const EXTRA_SETTINGS: Record<string, unknown> = (() => {
  const raw = process.env.NNMODEL_BENCH_SETTINGS;
  if (!raw) return {};
  const v: unknown = JSON.parse(raw);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('NNMODEL_BENCH_SETTINGS must be a JSON object of settings');
  return v as Record<string, unknown>;
})();

const t0 = Date.now();
const say = (m: string): void => console.log(`[bench:e2e ${((Date.now() - t0) / 1000).toFixed(1)} s] ${m}`);

/** The quiet workbench of the e2e tests, with hovers off (none may pop up mid-measurement) and the debounce under test. */
function userSettings(quiet: Readonly<Record<string, unknown>>, debounce: number | undefined): Record<string, unknown> {
  // TypeScript's variable-type hints serve the TypeScript reference row (its other hints stay at their defaults).
  const s: Record<string, unknown> = { ...quiet, 'editor.hover.enabled': false, 'typescript.inlayHints.variableTypes.enabled': true, ...EXTRA_SETTINGS };
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
  language: 'nnmodel' | 'JSON' | 'TypeScript';
  /**
   * 'measured': an nnmodel file, the rows the issue's target is about. 'baseline': the small JSON file in the second
   * editor group whose edits alternate with every other subject's (the issue's reference). 'reference': VS Code's
   * JSON on a large file, measured exactly like a 'measured' subject, to show what file size costs VS Code itself;
   * and VS Code's TypeScript on a small file, whose inlay hints show what any inlay hint costs in VS Code.
   */
  role: 'measured' | 'baseline' | 'reference';
  /** `--only` values that keep this subject besides substrings of its label (the baseline is always kept). */
  only?: string[];
  text: string;
  /** An edit that toggles a problem on and off (not measured for the TypeScript reference). */
  diagnostic?: EditSpot;
  /** An edit that changes the inlay hint of its line (nnmodel), or of the `watch` line (TypeScript). */
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

/** What a generated JSON file holds, besides its text: the counts that VS Code's JSON limits apply to. */
interface GeneratedJson {
  text: string;
  /** Properties and array items: each is an outline symbol, which `json.maxItemsComputed` caps. */
  items: number;
  /** Objects and arrays spanning more than one line: each is a folding region, which `editor.foldingMaximumRegions` caps. */
  foldingRegions: number;
}

/**
 * A realistic large JSON file of exactly `lines` lines (and a final newline,
 * like generateFile): a service inventory of the kind deployment configs
 * hold, with nested objects, arrays of objects and arrays of strings, laid
 * out as JSON.stringify(…, null, 2) does. Every service has an `"enabled"`
 * boolean (about 70 % `true`). Deterministic for a given line count.
 */
function generateJson(lines: number, seed = 1): GeneratedJson {
  const r = mulberry32(seed ^ lines);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
  const regions = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-southeast-1', 'ap-northeast-1'];
  const teams = ['payments', 'search', 'identity', 'media', 'platform', 'growth', 'data'];
  const service = (i: number) => {
    const name = `${pick(['billing', 'search', 'auth', 'media', 'ledger', 'notify', 'catalog', 'ingest', 'gateway'])}-${i}`;
    const team = pick(teams);
    const canary = r() < 0.4;
    return {
      id: `svc-${String(i).padStart(4, '0')}`,
      name,
      enabled: r() < 0.7,
      owner: { team, email: `${team}@example.com`, oncall: pick(['primary', 'secondary', 'none']) },
      image: { repository: `registry.example.com/${team}/${name}`, tag: `v${int(1, 4)}.${int(0, 20)}.${int(0, 9)}`, pullPolicy: pick(['IfNotPresent', 'Always']) },
      replicas: int(1, 8),
      resources: {
        requests: { cpu: pick(['100m', '250m', '500m', '1']), memory: pick(['128Mi', '256Mi', '512Mi', '1Gi']) },
        limits: { cpu: pick(['500m', '1', '2']), memory: pick(['512Mi', '1Gi', '2Gi']) },
      },
      ports: Array.from({ length: int(1, 3) }, (_, k) => ({ name: ['http', 'grpc', 'metrics'][k], containerPort: 8080 + k, protocol: 'TCP' })),
      env: {
        LOG_LEVEL: pick(['info', 'debug', 'warn']),
        REGION: pick(regions),
        REQUEST_TIMEOUT_MS: 500 * int(1, 20),
        CACHE_ENABLED: r() < 0.5,
        UPSTREAM_URL: r() < 0.3 ? null : `https://${pick(teams)}.internal.example.com/v${int(1, 3)}`,
      },
      healthcheck: { path: pick(['/healthz', '/ready', '/status']), intervalSeconds: pick([5, 10, 30]), timeoutSeconds: int(1, 5), failureThreshold: 3 },
      regions: regions.filter(() => r() < 0.4),
      rollout: {
        strategy: canary ? 'canary' : pick(['rolling', 'blue-green']),
        maxUnavailable: pick(['0', '25%', '1']),
        steps: canary ? [10, 25, 50, 100].map((weight) => ({ weight, pauseMinutes: weight === 100 ? 0 : int(5, 30) })) : [],
      },
      tags: [pick(['tier-1', 'tier-2', 'tier-3']), pick(['public', 'internal']), `cost-center-${int(100, 999)}`],
    };
  };
  const doc = {
    $comment: `generated benchmark file: ${lines} lines`,
    version: 3,
    defaults: { replicas: 2, region: regions[0], healthcheck: { path: '/healthz', intervalSeconds: 10 }, labels: ['managed', 'bench'] },
    services: [] as ReturnType<typeof service>[],
  };
  const count = () => JSON.stringify(doc, null, 2).split('\n').length;
  for (let i = 1; ; i++) {
    doc.services.push(service(i));
    if (count() > lines) {
      doc.services.pop();
      break;
    }
  }
  const last = doc.services.at(-1);
  if (!last) throw new Error(`a generated JSON file needs more than ${lines} lines`);
  // Each further string in a non-empty array of strings adds exactly one line.
  for (let n = count(), k = 0; n < lines; n++, k++) last.tags.push(`label-${k}`);
  const text = JSON.stringify(doc, null, 2);
  let items = 0;
  let foldingRegions = 0;
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null) return;
    const children = Array.isArray(v) ? (v as unknown[]) : Object.values(v);
    items += children.length;
    if (children.length > 0) foldingRegions++;
    children.forEach(walk);
  };
  walk(doc);
  return { text: text + '\n', items, foldingRegions };
}

/** The TypeScript reference's label in the table. */
const TS_LABEL = 'small.ts (TypeScript inlay hints, for reference)';

/** The large JSON reference's label in the table. */
const LARGE_JSON_LABEL = `large.json (${GENERATED_LINES} lines, for reference)`;

function subjects(repo: string, readText: (p: string) => string, largeJson: GeneratedJson): Subject[] {
  const gpt2 = readText(join(repo, 'examples/gpt2_small.nnmodel'));
  const generated = generateFile(GENERATED_LINES);
  // An MLP unit in the middle of the file: `h = h -> dense(N) -> batchnorm -> relu`.
  const genLines = generated.split('\n');
  const mid = genLines.findIndex((l, i) => i >= genLines.length / 2 && /^ {2}h = h -> dense\(\d+\) -> batchnorm -> relu$/.test(l));
  if (mid < 0) throw new Error('no MLP unit in the second half of the generated file (bench/generate.ts changed?)');
  const json = ['{', '  "name": "bench",', '  "values": [1, 2, 3],', '  "nested": { "enabled": true, "ratio": 0.5 }', '}', ''].join('\n');
  // The same kind of edit as in small.json, on a service in the middle of the file: `true` → `truex`.
  const largeEdit: EditSpot = { anchor: '"enabled": true', fromLine: Math.ceil(GENERATED_LINES / 2), key: 'x' };
  const large: Subject = {
    label: LARGE_JSON_LABEL,
    rel: 'large.json',
    language: 'JSON',
    role: 'reference',
    only: ['generated'],
    text: largeJson.text,
    diagnostic: largeEdit,
  };
  // Guards against a generator change that would measure something else: the right length, valid, and made invalid by the edit.
  const largeLines = large.text.split('\n').length - 1;
  if (largeLines !== GENERATED_LINES) throw new Error(`large.json has ${largeLines} lines, not ${GENERATED_LINES}`);
  JSON.parse(large.text);
  let broken = false;
  try {
    JSON.parse(edited(large.text, largeEdit));
  } catch {
    broken = true;
  }
  if (!broken) throw new Error("large.json's edit does not make it invalid JSON");
  // VS Code's TypeScript with variable-type hints on: `{ n }` → `{ ns }` changes the hint on the `value` line
  // (`: { n: number; }` → `: { ns: any; }`); the edit is on another line, so all the watched line shows anew is the hint.
  const ts: Subject = {
    label: `${TS_LABEL}`,
    rel: 'small.ts',
    language: 'TypeScript',
    role: 'reference',
    only: ['gpt2', 'typescript'],
    text: ['// Inlay hints of VS Code\'s own TypeScript, for reference.', 'export function pair(n: number) {', '  return { n };', '}', 'export const value = pair(1);', ''].join('\n'),
    hint: { anchor: '{ n', key: 's', watch: 'export const value' },
  };
  return [
    {
      label: 'examples/gpt2_small.nnmodel',
      rel: 'gpt2_small.nnmodel',
      language: 'nnmodel',
      role: 'measured',
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
      role: 'measured',
      text: generated,
      diagnostic: { anchor: '-> relu', fromLine: mid + 1, key: 'x' },
      // dense(N) → dense(1N): the line's output shape.
      hint: { anchor: 'dense(', fromLine: mid + 1, key: '1' },
    },
    large,
    ts,
    {
      label: 'small.json',
      rel: 'small.json',
      language: 'JSON',
      role: 'baseline',
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
  /** Keydown → the DOM showing the new state (a MutationObserver's time: sub-millisecond resolution). */
  times: number[];
  /** Keydown → the first animation frame showing it (what the screen shows; ±1 frame). */
  frames: number[];
  /** Epoch ms (the page's clock) of each edit's keydown, to line the samples up with other traces. */
  keyEpochs: number[];
  /** Per edit: keydown → the page's first socket write (the edit leaving for the extension host). */
  sent: number[];
  /** Per edit: the last socket message before the change → the DOM change (the page's own work at the end). */
  afterReceive: number[];
  /** The JSON problems latencies measured between this row's edits (same window, alternating), for the ratio. */
  json?: { times: number[]; frames: number[] };
}

/**
 * 'problems'; `hint:N`: the inlay hint at the end of 1-based line N (from its '→'); `line:N`: all of line N as
 * rendered, inlay hints included (for a hint watched on a line the edit does not touch).
 */
type Probe = 'problems' | `hint:${number}` | `line:${number}`;

interface PageState {
  keyAt?: number;
  /** First DOM mutation after which the probe reads the wanted state. */
  domAt?: number;
  /** First animation frame in which it does. */
  seenAt?: number;
  /** First socket write after the keydown. */
  sentAt?: number;
  /** Last socket message received before domAt. */
  receivedAt?: number;
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
    type Observer = { observe(target: unknown, o: Record<string, boolean>): void; disconnect(): void };
    const g = globalThis as unknown as {
      document: { getElementById(id: string): El | null; querySelector(s: string): El | null; body: unknown };
      addEventListener(t: string, f: () => void, capture: boolean): void;
      requestAnimationFrame(f: () => void): void;
      MutationObserver: new (f: () => void) => Observer;
      __nnbench?: unknown;
    };
    if (g.__nnbench) return;
    const state: { keyAt?: number; domAt?: number; seenAt?: number; sentAt?: number; receivedAt?: number; value?: string | null } = {};
    const read = (probe: string): string | null => {
      if (probe === 'problems') {
        const el = g.document.getElementById('status.problems');
        return el ? `${el.getAttribute('aria-label') ?? ''}|${el.textContent ?? ''}` : null;
      }
      const editor = g.document.querySelector('.editor-group-container.active .monaco-editor');
      if (!editor) return null;
      const want = probe.slice(probe.indexOf(':') + 1);
      let top: string | undefined;
      for (const overlay of editor.querySelectorAll('.margin-view-overlays > div')) {
        if ((overlay.querySelector('.line-numbers')?.textContent ?? '').trim() === want) top = overlay.style.top;
      }
      if (top === undefined) return null;
      for (const line of editor.querySelectorAll('.view-lines .view-line')) {
        if (line.style.top !== top) continue;
        const text = (line.textContent ?? '').replace(/\u00a0/g, ' ');
        if (probe.startsWith('line:')) return text;
        const at = text.indexOf('→');
        return at < 0 ? '' : text.slice(at);
      }
      return null;
    };
    let observer: Observer | undefined;
    g.addEventListener('keydown', () => (state.keyAt = performance.now()), true);
    // Where the time goes: when the page first writes to a socket after the keydown (the edit leaving for the
    // extension host), and when messages arrive (the last one before the change is what brought it).
    type Socket = { addEventListener(t: string, f: () => void): void };
    const WS = (globalThis as unknown as { WebSocket: { prototype: { send(this: Socket, ...a: unknown[]): void } } }).WebSocket;
    const send = WS.prototype.send;
    const listened = new WeakSet<Socket>();
    WS.prototype.send = function (this: Socket, ...a: unknown[]) {
      if (state.keyAt !== undefined && state.sentAt === undefined) state.sentAt = performance.now();
      if (!listened.has(this)) {
        listened.add(this);
        this.addEventListener('message', () => {
          if (state.keyAt !== undefined && state.domAt === undefined) state.receivedAt = performance.now();
        });
      }
      return send.apply(this, a);
    };
    g.__nnbench = {
      state,
      read,
      /**
       * Watches until read(probe) equals `target` (mode 'eq') or differs from it and is readable (mode 'ne'):
       * after every DOM mutation of the watched part (domAt, the time the page changed) and every frame (seenAt).
       */
      watch(probe: string, target: string | null, mode: 'eq' | 'ne') {
        state.keyAt = undefined;
        state.sentAt = undefined;
        state.receivedAt = undefined;
        state.domAt = undefined;
        state.seenAt = undefined;
        state.value = undefined;
        // A hint ending in '…' is the old one shortened while VS Code waits for the new one: not a new value.
        const matches = (v: string | null) => (mode === 'eq' ? v === target : v !== null && v !== target && !v.endsWith('…'));
        observer?.disconnect();
        const watched = probe === 'problems' ? g.document.querySelector('.part.statusbar') : g.document.querySelector('.editor-group-container.active .monaco-editor');
        const obs = new g.MutationObserver(() => {
          if (state.keyAt === undefined || state.domAt !== undefined) return;
          if (matches(read(probe))) {
            state.domAt = performance.now();
            obs.disconnect();
          }
        });
        observer = obs;
        obs.observe(watched ?? g.document.body, { subtree: true, childList: true, characterData: true, attributes: true });
        const tick = () => {
          const v = read(probe);
          if (state.keyAt !== undefined && matches(v)) {
            state.seenAt = performance.now();
            state.value = v;
            obs.disconnect();
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

/** One timed keystroke's result. */
interface Timed {
  /** Keydown → DOM change. */
  ms: number;
  /** Keydown → first frame showing it. */
  frameMs: number;
  /** Epoch ms of the keydown. */
  keyEpoch: number;
  /** Keydown → the page's first socket write (NaN if none was seen). */
  sentMs: number;
  /** Last socket message before the DOM change → the DOM change (NaN if none). */
  afterReceiveMs: number;
  value: string | null;
}

/**
 * Presses `key` and returns the milliseconds from its keydown to the DOM
 * change, and to the first frame, where `probe` reads `target` (or, with
 * mode 'ne', anything else).
 */
async function timedKey(page: Page, probe: Probe, key: string, target: string | null, mode: 'eq' | 'ne', timeout: number): Promise<Timed> {
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
  const s = await page.evaluate(() => ({ ...(globalThis as unknown as { __nnbench: { state: PageState } }).__nnbench.state, origin: performance.timeOrigin }));
  if (s.keyAt === undefined || s.seenAt === undefined) throw new Error(`the page saw no keydown for ${key} (focus left the editor?)`);
  // The observer sees the change no later than the frame does; if it missed it (the node was replaced), the frame counts.
  const dom = s.domAt !== undefined && s.domAt <= s.seenAt ? s.domAt : s.seenAt;
  return {
    ms: dom - s.keyAt,
    frameMs: s.seenAt - s.keyAt,
    keyEpoch: s.origin + s.keyAt,
    sentMs: s.sentAt !== undefined ? s.sentAt - s.keyAt : NaN,
    afterReceiveMs: s.receivedAt !== undefined && s.receivedAt <= dom ? dom - s.receivedAt : NaN,
    value: s.value ?? null,
  };
}

/**
 * One measured edit site in one editor group: presses `spot.key` and
 * Backspace in turn, watching `probe` go from `base` to the "on" state that
 * the first untimed round learns, and back.
 */
class Toggle {
  private on: string | null = null;
  readonly times: number[] = [];
  readonly frames: number[] = [];
  readonly keyEpochs: number[] = [];
  readonly sent: number[] = [];
  readonly afterReceive: number[] = [];

  constructor(
    private readonly wb: Workbench,
    /** 1-based editor group (left to right) that holds the file. */
    readonly group: number,
    readonly probe: Probe,
    readonly spot: EditSpot,
    readonly base: string,
  ) {}

  /** The untimed round: learns the "on" state and returns to the base. */
  async warmUp(): Promise<void> {
    await focusGroup(this.wb, this.group);
    this.on = (await timedKey(this.wb.page, this.probe, this.spot.key, this.base, 'ne', WARMUP_TIMEOUT_MS)).value;
    await timedKey(this.wb.page, this.probe, 'Backspace', this.base, 'eq', WARMUP_TIMEOUT_MS);
  }

  /** Two timed edits (the key, then Backspace), each after `gapMs` of quiet. */
  async round(gapMs: number): Promise<void> {
    await focusGroup(this.wb, this.group);
    for (const [key, target] of [
      [this.spot.key, this.on],
      ['Backspace', this.base],
    ] as const) {
      await sleep(gapMs);
      const r = await timedKey(this.wb.page, this.probe, key, target, 'eq', EDIT_TIMEOUT_MS);
      this.times.push(r.ms);
      this.frames.push(r.frameMs);
      this.keyEpochs.push(r.keyEpoch);
      this.sent.push(r.sentMs);
      this.afterReceive.push(r.afterReceiveMs);
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Gives keyboard focus to the editor of the 1-based editor group `n` (Ctrl+n), and waits until it has it. */
async function focusGroup(wb: Workbench, n: number): Promise<void> {
  const focused = () =>
    wb.page.evaluate((i) => {
      const d = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ contains(e: unknown): boolean; classList: { contains(c: string): boolean } }>; activeElement: unknown } }).document;
      const g = d.querySelectorAll('.editor-group-container')[i - 1];
      return !!g && g.classList.contains('active') && g.contains(d.activeElement);
    }, n);
  if (await focused()) return;
  await wb.page.keyboard.press(`Control+${n}`);
  await harnessPoll(`editor group ${n} to have keyboard focus`, focused);
}

/** The harness's poll (the harness module is loaded at run time, after the environment it reads is set). */
let harnessPoll: Harness['poll'];

/** Polls until `probe` is readable (and, for a hint, shows one); returns it. */
async function settled(h: Harness, wb: Workbench, probe: Probe, what: string, source?: string): Promise<string> {
  return h.poll(
    what,
    async () => {
      const v = await readProbe(wb.page, probe);
      if (v === null) return undefined;
      if (probe === 'problems') return v;
      // A whole line is settled once a hint shows in it: it reads longer than its source text.
      if (probe.startsWith('line:')) return source !== undefined && v.trimEnd().length > source.trimEnd().length ? v : undefined;
      // A hint ending in '…' is one VS Code shortened to its old length because the cursor was behind it at
      // the last edit (it shows in full ~1 s later): waiting for the full text keeps the baseline stable.
      return v.startsWith('→') && !v.endsWith('…') ? v : undefined;
    },
    { timeout: WARMUP_TIMEOUT_MS, seen: async () => JSON.stringify(await readProbe(wb.page, probe)) },
  );
}

/** `--profile DIR`: a CPU profile of the page's main thread per measure, with the page clock's time at its start. */
let profileDir: string | undefined;

async function startProfiler(page: Page): Promise<{ stop(file: string): Promise<void> }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  const origin = await page.evaluate(() => performance.timeOrigin);
  const before = await page.evaluate(() => performance.now());
  await cdp.send('Profiler.start');
  const after = await page.evaluate(() => performance.now());
  return {
    async stop(file: string) {
      const { profile } = await cdp.send('Profiler.stop');
      // pageNowAtStart: the page's performance.now() when the profile's startTime was taken (± the bracket).
      writeFileSync(file, JSON.stringify({ ...profile, pageTimeOrigin: origin, pageNowAtStart: (before + after) / 2, pageNowBracket: after - before }));
      await cdp.detach();
    },
  };
}

/**
 * One window on a fresh workspace with the given debounce. The baseline JSON
 * file sits in a second editor group on the right, and its edits alternate
 * with the edits of every measure of the other subjects (the nnmodel files,
 * then the large JSON reference; in both orders), so each is measured beside
 * it in the same window under the same load.
 */
async function runWindow(h: Harness, subs: Subject[], debounce: number | undefined, edits: number, gapMs: number): Promise<Row[]> {
  const tag = debounce === undefined ? `${DEFAULT_DEBOUNCE} (default)` : String(debounce);
  const files: Record<string, string> = {};
  for (const s of subs) files[s.rel] = s.text;
  const folder = h.makeWorkspace(`bench-debounce-${debounce ?? 'default'}`, files);
  const wb = await h.Workbench.open(folder, `bench-e2e debounce ${debounce ?? 'default'}`);
  const rows: Row[] = [];
  const json = subs.find((s) => s.role === 'baseline');
  if (!json) throw new Error('no baseline JSON subject');
  try {
    await installProbes(wb.page);
    // The status bar may still be filling in when the window opens.
    await h.poll("the status bar's problems entry (id 'status.problems')", async () => ((await readProbe(wb.page, 'problems')) === null ? undefined : true), {
      timeout: WARMUP_TIMEOUT_MS,
      seen: async () => 'no element with that id',
    });
    say(`debounce ${tag}: ${json.label} into the right editor group`);
    await wb.openFile(json.rel);
    // A copy in a new group on the right; the left group keeps a tab of it (closing that would close the group).
    await wb.runCommand('View: Split Editor Right');
    await h.poll('two editor groups', async () => (await wb.page.locator('.editor-group-container').count()) === 2);
    await focusGroup(wb, 2);
    if (!json.diagnostic) throw new Error('the baseline JSON subject has no edit');
    const jsonAt = spotPosition(json.text, json.diagnostic);
    await wb.goTo(jsonAt.line, jsonAt.column);
    await focusGroup(wb, 1);
    for (const s of subs) {
      if (s.role === 'baseline') continue;
      say(`debounce ${tag}: ${s.label}`);
      await focusGroup(wb, 1);
      await wb.openFile(s.rel);
      const measures: [string, Probe, EditSpot][] = [];
      if (s.diagnostic) measures.push(['problems', 'problems', s.diagnostic]);
      if (s.hint) {
        const watched = s.hint.watch ? spotPosition(s.text, { ...s.hint, anchor: s.hint.watch }).line : spotPosition(s.text, s.hint).line;
        measures.push(['inlay hint', `${s.language === 'nnmodel' ? 'hint' : 'line'}:${watched}`, s.hint]);
      }
      for (const [name, probe, spot] of measures) {
        await focusGroup(wb, 1);
        const { line, column } = spotPosition(s.text, spot);
        await wb.goTo(line, column);
        const source = probe === 'problems' ? undefined : s.text.split('\n')[Number(probe.slice(5)) - 1];
        const base = await settled(h, wb, probe, `${s.label}: the ${name === 'problems' ? 'problems count' : `inlay hint of line ${probe.slice(5)}`} to show`, source);
        const ours = new Toggle(wb, 1, probe, spot, base);
        const theirs = new Toggle(wb, 2, 'problems', json.diagnostic, await settled(h, wb, 'problems', 'the problems count to show'));
        const profiler = profileDir ? await startProfiler(wb.page) : undefined;
        await wb.step(`${s.label} ${name}`, async () => {
          await ours.warmUp();
          await theirs.warmUp();
          // Each round times one on/off pair of each language; who goes first alternates.
          for (let r = 0; r < Math.ceil(edits / 2); r++) {
            for (const t of r % 2 === 0 ? [ours, theirs] : [theirs, ours]) await t.round(gapMs);
          }
        });
        if (profiler && profileDir) await profiler.stop(join(profileDir, `${tag.split(' ')[0]}-${s.rel}-${name.replace(/ /g, '-')}.cpuprofile`));
        rows.push({
          file: s.label,
          language: s.language,
          measure: `keystroke → ${name}`,
          // The debounce is nnmodel's setting; a reference row (JSON, TypeScript) only shares the window.
          debounce: s.language === 'nnmodel' ? tag : `n/a; window ${tag}`,
          times: ours.times,
          frames: ours.frames,
          keyEpochs: ours.keyEpochs,
          sent: ours.sent,
          afterReceive: ours.afterReceive,
          json: { times: theirs.times, frames: theirs.frames },
        });
        rows.push({ file: json.label, language: 'JSON', measure: `keystroke → problems (beside ${name})`, debounce: 'n/a', times: theirs.times, frames: theirs.frames, keyEpochs: theirs.keyEpochs, sent: theirs.sent, afterReceive: theirs.afterReceive });
      }
    }
  } catch (e) {
    await wb.screenshot('FAILED');
    throw e;
  } finally {
    await wb.close();
  }
  return rows;
}

/** The printed notes on the large JSON reference rows (none when --only left them out). */
function largeJsonNotes(subs: Subject[], largeJson: GeneratedJson): string[] {
  const large = subs.find((s) => s.role === 'reference' && s.language === 'JSON');
  if (!large) return [];
  const kb = (t: string) => `${Math.round(Buffer.byteLength(t) / 1024)} KB`;
  const nn = generateFile(GENERATED_LINES);
  // VS Code's defaults (json.maxItemsComputed, editor.foldingMaximumRegions: both 5000) are left as they are; say whether they cut anything.
  const limit = (n: number, what: string, setting: string) =>
    n > 5000 ? `its ${n} ${what} exceed ${setting} (5000), so only 5000 are computed` : `its ${n} ${what} are within ${setting} (5000)`;
  const limits = [limit(largeJson.items, 'outline symbols', 'json.maxItemsComputed'), limit(largeJson.foldingRegions, 'folding regions', 'editor.foldingMaximumRegions')];
  return [
    `${large.label}: VS Code's built-in JSON on a generated ${GENERATED_LINES}-line service inventory (${kb(largeJson.text)}; the generated`,
    `  nnmodel file: ${kb(nn)}), measured exactly like an nnmodel row (\`true\` → \`truex\` mid-file, alternating with small.json). Its ratio`,
    "  to small.json is what file size alone costs VS Code's editor and a language server (rendering, bracket pairs, decorations,",
    "  tokenisation, re-parsing): a reference for the generated nnmodel rows, not a verdict on nnmodel. VS Code's defaults are kept:",
    '  json.validate.enable is on and has no size limit, so every edit is validated;',
    `  ${limits.join('; ')}.`,
  ];
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
  const row: Row = { file: s.label, language: 'nnmodel', measure: name, debounce: '–', times: [], frames: [], keyEpochs: [], sent: [], afterReceive: [] };
  coreStats.set(row, st);
  rows.push(row);
}

function printTable(rows: Row[]): void {
  const out: string[][] = [];
  for (const r of rows) {
    const core = coreStats.get(r);
    if (core) {
      out.push([r.file, r.language, r.measure, r.debounce, ms(core.median), '–', ms(core.p95), String(core.runs), '–', '', '', '']);
      continue;
    }
    const s = [...r.times].sort((a, b) => a - b);
    const row = [r.file, r.language, r.measure, r.debounce, ms(quantile(s, 0.5)), `${ms(quantile(s, 0.25))}–${ms(quantile(s, 0.75))}`, ms(summarize(s).p95), String(s.length), ms(median(r.frames))];
    if (r.json) {
      const [lo, hi] = ratioInterval(r.times, r.json.times);
      row.push(`×${(median(r.times) / median(r.json.times)).toFixed(2)}`, `${lo.toFixed(2)}–${hi.toFixed(2)}`, verdict([lo, hi]));
    } else row.push('', '', '');
    out.push(row);
  }
  const { lines } = renderTable(
    [
      { title: 'file', align: 'left' },
      { title: 'language', align: 'left' },
      { title: 'measure', align: 'left' },
      { title: 'debounce ms', align: 'left' },
      { title: 'median ms', align: 'right' },
      { title: 'IQR ms', align: 'right' },
      { title: 'p95 ms', align: 'right' },
      { title: 'n', align: 'right' },
      { title: 'frame median', align: 'right' },
      { title: 'vs JSON', align: 'right' },
      { title: '90% CI', align: 'right' },
      { title: 'verdict', align: 'left' },
    ],
    out,
  );
  if (Object.keys(EXTRA_SETTINGS).length > 0) console.log(`\nEXPERIMENT, not the default editor: NNMODEL_BENCH_SETTINGS=${JSON.stringify(EXTRA_SETTINGS)}`);
  console.log('\n' + lines.join('\n'));

  // Where the time goes, per row (medians over its edits).
  const split: string[][] = [];
  for (const r of rows) {
    if (coreStats.has(r) || r.times.length === 0) continue;
    const between = r.times.map((t, i) => t - r.sent[i] - r.afterReceive[i]).filter(Number.isFinite);
    const fin = (xs: number[]) => xs.filter(Number.isFinite);
    split.push([r.file, r.language, r.measure, r.debounce, ms(median(fin(r.sent))), ms(median(between)), ms(median(fin(r.afterReceive))), ms(median(r.times))]);
  }
  const t2 = renderTable(
    [
      { title: 'file', align: 'left' },
      { title: 'language', align: 'left' },
      { title: 'measure', align: 'left' },
      { title: 'debounce ms', align: 'left' },
      { title: 'page: key → sent', align: 'right' },
      { title: 'servers: sent → received', align: 'right' },
      { title: 'page: received → DOM', align: 'right' },
      { title: 'total', align: 'right' },
    ],
    split,
  );
  console.log('\nwhere the time goes (medians, ms):\n' + t2.lines.join('\n'));
}

/**
 * nnmodel's inlay-hint rows beside VS Code's own TypeScript inlay hints in the same window: JSON has no inlay hints,
 * so this is the like-for-like yardstick for a hint row. Not interleaved edit by edit (each sits beside JSON), so the
 * interval is of two samples taken minutes apart in one window.
 */
function printHintReference(rows: Row[]): void {
  const out: string[][] = [];
  for (const tsRow of rows.filter((r) => r.language === 'TypeScript' && r.measure.includes('inlay hint'))) {
    const window = tsRow.debounce.replace(/^n\/a; window /, '');
    for (const r of rows) {
      if (r.language !== 'nnmodel' || !r.measure.includes('inlay hint') || r.debounce !== window || r.times.length === 0) continue;
      const [lo, hi] = ratioInterval(r.times, tsRow.times);
      out.push([r.file, window, ms(median(r.times)), ms(median(tsRow.times)), `×${(median(r.times) / median(tsRow.times)).toFixed(2)}`, `${lo.toFixed(2)}–${hi.toFixed(2)}`, verdict([lo, hi])]);
    }
  }
  if (out.length === 0) return;
  const t = renderTable(
    [
      { title: 'nnmodel file', align: 'left' },
      { title: 'window', align: 'left' },
      { title: 'nnmodel hint ms', align: 'right' },
      { title: 'TypeScript hint ms', align: 'right' },
      { title: 'ratio', align: 'right' },
      { title: '90% CI', align: 'right' },
      { title: 'verdict', align: 'left' },
    ],
    out,
  );
  console.log("\ninlay hints beside VS Code's own (TypeScript, variable types, small.ts; medians):\n" + t.lines.join('\n'));
}

async function main(): Promise<number> {
  let edits = 30;
  let gapMs = 100;
  let windows: (number | undefined)[] = [undefined, 0];
  let only: string | undefined;
  const usage = 'usage: bench:e2e [--edits N] [--gap MS] [--window default|0|both] [--only gpt2|generated|large] [--profile DIR]';
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--edits') edits = Number(args[++i]);
    else if (args[i] === '--gap') gapMs = Number(args[++i]);
    else if (args[i] === '--window') {
      const w = args[++i];
      if (w === 'default') windows = [undefined];
      else if (w === '0') windows = [0];
      else if (w !== 'both') throw new Error(`--window takes default, 0 or both, not '${w}' (${usage})`);
    } else if (args[i] === '--only') only = args[++i];
    else if (args[i] === '--profile') profileDir = args[++i];
    else throw new Error(`unknown argument '${args[i]}' (${usage})`);
  }
  if (!Number.isFinite(gapMs) || gapMs < 0) throw new Error('--gap needs a number of milliseconds ≥ 0');
  if (!Number.isInteger(edits) || edits < 2) throw new Error('--edits needs an integer ≥ 2');

  const load0 = os.loadavg()[0].toFixed(2);
  const repo = process.cwd();
  if (!existsSync(join(repo, 'package.json')) || !existsSync(join(repo, 'scripts/setup-code-server.mjs'))) {
    throw new Error(`run from the repository root (npm run bench:e2e); ${repo} is not it`);
  }
  if (!existsSync(join(repo, 'dist/extension.js'))) throw new Error('dist/extension.js is missing: build first (npm run build)');
  const setup = (await import(pathToFileURL(join(repo, 'scripts/setup-code-server.mjs')).href)) as CodeServerSetup;
  const largeJson = generateJson(GENERATED_LINES);
  // --only keeps the baseline (every row is measured beside it) and, with `generated`, the large JSON of the same size.
  const subs = subjects(repo, (p) => readFileSync(p, 'utf8'), largeJson).filter(
    (s) => !only || s.role === 'baseline' || s.label.includes(only) || (s.only ?? []).includes(only),
  );
  if (subs.length < 2) throw new Error(`--only ${only} matches no subject (${usage})`);

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
    const status = setup.packageVsix(vsix);
    if (status !== 0) throw new Error(`vsce package failed (exit ${status})`);

    say('setting up code-server');
    setup.ensureCodeServer();
    const { userDataDir, extensionsDir, stateDir, emptyFolder, settingsFile } = setup.profileFolders(scratch, userSettings(setup.QUIET_SETTINGS, undefined));
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
    harnessPoll = harness.poll;

    const rows: Row[] = [];
    // A fresh window reads the user settings as they are on disk when it opens.
    for (const debounce of windows) {
      writeFileSync(settingsFile, JSON.stringify(userSettings(setup.QUIET_SETTINGS, debounce), null, 2));
      rows.push(...(await runWindow(harness, subs, debounce, edits, gapMs)));
    }
    await cleanup();

    const samples = join(repo, 'test-results/bench-e2e/samples.json');
    writeFileSync(samples, JSON.stringify(rows, null, 1));
    say(`samples (with each keydown's epoch time) in ${samples}`);
    say('core analysis in Node');
    rows.push(...coreRows(subs, edits));
    printTable(rows);
    printHintReference(rows);
    console.log(
      [
        '',
        "keystroke → X: from the keydown event to the DOM change that shows the new state (a MutationObserver's time), both read",
        "  with the page's clock; frame median = to the first animation frame showing it (what is painted; ±1 frame, ~17 ms).",
        "  problems = the status bar's problems count; inlay hint = the hint at the end of the edited line",
        "  (for GPT-2: the edit changes the vocabulary on the `wte` line, and the hint watched is the `output` line's shape).",
        '  JSON has no inlay hints, so its problems row is the yardstick; but VS Code itself asks for inlay hints no sooner than',
        "  25 ms after an edit (its InlayHintsController's debounce: at least 25 ms, grown to the recent requests' average",
        '  round trip) and draws them at the next frame, while the problems count changes as soon as the problems arrive:',
        '  a hint row sits one debounce and up to a frame above a problems row by construction, whatever the extension does.',
        `  ${TS_LABEL}: VS Code's TypeScript, whose inlay hints go through the same controller; its edit is on another line`,
        "  than the hint watched (the whole rendered line is read), and its row is the like-for-like yardstick for nnmodel's hints.",
        `  Each edit toggles a state (type a character / Backspace), ${edits} timed edits per row after one untimed round, each`,
        `  after ${gapMs} ms without input; IQR = 25th–75th percentile; p95 by nearest rank.`,
        'JSON (VS Code\'s built-in language, small.json) sits in a second editor group of the same window; its edits alternate with',
        '  the nnmodel edits of the row above it (pairs of on/off edits, who goes first alternating), so both see the same load.',
        ...largeJsonNotes(subs, largeJson),
        `nnmodel re-analyses a file at once after an edit while its analyses cost ≤ ${CHEAP_ANALYSIS_MS} ms of CPU, and otherwise waits`,
        `  nnmodel.diagnostics.debounce (default ${DEFAULT_DEBOUNCE} ms) after the last keystroke; the rows with 0 never wait.`,
        'where the time goes: key → sent = keydown to the page\'s first WebSocket write (the edit leaving the page); received → DOM =',
        '  the last WebSocket message before the change to the change (the page applying the result); servers = the rest (code-server,',
        '  the extension host, and for JSON its language server). Medians of each part, so they need not add up to the total.',
        'vs JSON = median / the median of the JSON edits interleaved with it; 90% CI = bootstrap interval of that ratio; verdict:',
        '  slower / faster when the whole interval is above / below 1.',
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
