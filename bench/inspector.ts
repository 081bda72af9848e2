/**
 * The inspector in headless Chromium, per TensorFlow.js backend (wasm,
 * webgl, cpu), all in one run:
 *
 * - forward pass of each small example built by the inspector's runtime
 *   (the webview's `ModelSession`) against the same model written by hand
 *   with tfjs-layers, timed alternately in the same page on the same input
 *   (bench/inspector-page.ts, bundled here with esbuild);
 * - the time the Feature maps view takes to draw all maps of a 64-channel
 *   layer, in the real inspector page (dist/webview.js);
 * - the tensor count before and after 50 re-renders of that page;
 * - the graph view's ELK layout of diffusion_unet (and LeNet5 for scale):
 *   NETWORK_SIMPLEX vs BRANDES_KOEPF, in the layout worker vs on the page's
 *   thread, alternated in one page, with how long the page stalled.
 *
 * playwright-core and esbuild are loaded from node_modules at run time (they
 * cannot be bundled into dist/bench.js).
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { analyze } from '../extension/core/analysis/analyze';
import type { BackendName, HostToWebview, ModelMessage, WebviewToHost } from '../extension/core/protocol';
import { modelMessage } from '../extension/vscode/inspector/messages';
import { serveInspector } from '../test/fixtures/inspector-server';
import type { BenchApi, CompareResult, LayoutTiming } from './inspector-api';
import type { BenchContext, BenchSection } from './registry';
import { ms, summarize } from './stats';

const BACKENDS: readonly BackendName[] = ['wasm', 'webgl', 'cpu'];
/** Target of the forward-time ratio runtime ÷ hand-built (issue 4). */
const RATIO_TARGET = 1.1;

/** The examples compared; `twin` names the hand-built model in inspector-page.ts (none: too long to write twice, see `why`). */
const CASES: readonly { file: string; model: string; twin?: string; why?: string }[] = [
  { file: 'lenet5.nnmodel', model: 'LeNet5', twin: 'lenet5' },
  { file: 'vgg_small.nnmodel', model: 'VGGSmall', twin: 'vggSmall' },
  { file: 'char_lstm.nnmodel', model: 'CharLSTM', twin: 'charLstm' },
  { file: 'gpt_small.nnmodel', model: 'GPTSmall', twin: 'gptSmall' },
  { file: 'vit.nnmodel', model: 'ViTSmall', why: 'no hand-built twin: cls token, positions and attention blocks as in the GPT twin, plus take(0)' },
];

/** One convolution of 64 channels on a 32×32 colour image: its feature maps are what the view draws. */
const FM64 = `model FeatureMaps64 {
  input image: [32, 32, 3]
  output image -> conv2d(64, 3, padding = same) -> relu
}
`;

const LENET = `model LeNet5 {
  input image: [32, 32, 1]
  output image -> conv2d(6, 5) -> tanh -> avgpool(2)
               -> conv2d(16, 5) -> tanh -> avgpool(2)
               -> flatten -> dense(120) -> tanh -> dense(84) -> tanh
               -> dense(10) -> softmax
}
`;

const TINY_GPT = `block gpt_block(dim, heads) {
  input x
  x = x + x -> layernorm -> attention(heads, causal = true)
  output x + x -> layernorm -> dense(4 * dim) -> gelu -> dense(dim)
}
model TinyGPT {
  input tokens: int[seq]
  wte = embedding(64, 32)
  output tokens -> wte -> positional(learned, maxlen = 64) -> gpt_block(32, 4) * 2 -> layernorm -> unembed(wte)
}
`;

export const BROWSER_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage'];
const URI = 'file:///bench/model.nnmodel';

export interface Esbuild {
  build(o: Record<string, unknown>): Promise<unknown>;
}
export interface Playwright {
  chromium: { launch(o: Record<string, unknown>): Promise<Browser> };
}

function message(text: string, version: number): ModelMessage {
  const a = analyze(text, { uri: URI });
  return modelMessage(a, a.models[0], URI, version);
}

/** esbuild and playwright-core from the project, and Chromium; or why the browser rows cannot run. */
export function browserTools(root: string): { esbuild: Esbuild; playwright: Playwright; chromiumPath: string } | string {
  const req = createRequire(join(root, 'package.json'));
  let esbuild: Esbuild;
  let playwright: Playwright;
  try {
    esbuild = req('esbuild') as Esbuild;
    playwright = req('playwright-core') as Playwright;
  } catch (e) {
    return (e as Error).message;
  }
  const chromiumPath = process.env.NNMODEL_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) return `no Chromium at ${chromiumPath}`;
  return { esbuild, playwright, chromiumPath };
}

export async function poll<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeout = 120_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The inspector page and the bench pages over loopback (see test/fixtures/inspector-server.ts). */
export function serve(root: string, bundleDir: string): Promise<{ server: Server; base: string }> {
  return serveInspector({ root, bundleDir });
}

// ------------------------------------------------- the real inspector page

async function posted(page: Page): Promise<WebviewToHost[]> {
  return page.evaluate(() => (globalThis as unknown as { __posted: WebviewToHost[] }).__posted);
}

async function send(page: Page, msg: HostToWebview): Promise<void> {
  await page.evaluate((m) => (globalThis as unknown as { postMessage(m: unknown, o: string): void }).postMessage(m, '*'), msg as unknown as Record<string, unknown>);
}

async function statusFor(page: Page, version: number): Promise<Extract<WebviewToHost, { type: 'status' }>> {
  return poll(`the inspector's status for version ${version}`, async () =>
    (await posted(page)).filter((m): m is Extract<WebviewToHost, { type: 'status' }> => m.type === 'status' && m.version === version).pop(),
  );
}

async function openInspector(browser: Browser, base: string, backend: BackendName): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  await page.goto(`${base}/inspector?backend=${backend}`);
  await poll('the ready handshake', async () => (await posted(page)).some((m) => m.type === 'ready'));
  await send(page, { type: 'settings', backend });
  return page;
}

/**
 * Feature maps of a 64-channel layer: the view's own time (probe + drawing
 * the 64 canvases, shown in its status line) and the wall time from choosing
 * an image to the new canvases being in the page, over `runs` images.
 */
async function featureMapTimes(page: Page, runs: number): Promise<{ view: number[]; wall: number[]; canvases: number; backend: string }> {
  await send(page, message(FM64, 1));
  const status = await statusFor(page, 1);
  await page.locator('vscode-tab-header[data-tab="featureMaps"]').click();
  const canvases = page.locator('#nn-panel-featureMaps canvas.nn-fm-map');
  await poll('64 feature maps', async () => (await canvases.count()) === 64);
  const view: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const r = await page.evaluate(async (k) => {
      // No local functions in here: the minified bundle would wrap them in a naming helper the page does not have.
      type El = { value: string; dispatchEvent(e: unknown): boolean; textContent: string | null };
      const d = (globalThis as unknown as { document: { querySelector(s: string): El | null } }).document;
      const select = d.querySelector('#nn-panel-featureMaps vscode-single-select.nn-fm-sample')!;
      const statusEl = d.querySelector('#nn-panel-featureMaps .nn-toolbar-status')!;
      const before = d.querySelector('#nn-panel-featureMaps canvas.nn-fm-map');
      // The colour samples are the ones that fit a 3-channel input; alternate them so every run is a new image.
      const names = ['circle', 'square', 'triangle'];
      const E = (globalThis as unknown as { Event: new (t: string) => unknown }).Event;
      const t0 = performance.now();
      select.value = names[k % names.length];
      select.dispatchEvent(new E('change'));
      while (d.querySelector('#nn-panel-featureMaps canvas.nn-fm-map') === before || !/ms$/.test(statusEl.textContent ?? '')) await new Promise((res) => setTimeout(res, 0));
      const wallMs = performance.now() - t0;
      const viewMs = Number(/(\d+) ms$/.exec(statusEl.textContent ?? '')?.[1] ?? NaN);
      return { wallMs, viewMs };
    }, i);
    // The first image after opening the tab is a warm-up (first use of the activation model's kernels).
    if (i === 0) continue;
    view.push(r.viewMs);
    wall.push(r.wallMs);
  }
  return { view, wall, canvases: await canvases.count(), backend: status.backend };
}

/** Tensor count after the first render and after `n` more, alternating two models so each render rebuilds. */
async function tensorsOverRenders(page: Page, n: number): Promise<{ first: number; last: number; firstBytes: string; lastBytes: string }> {
  // The debug line reads 'tensors: N · X MiB · renders: R' (tf.memory() after the render).
  const bytes = async () => /· ([\d.]+ MiB)/.exec(await page.locator('#nn-debug').innerText())?.[1] ?? '?';
  // Versions above those the feature-map run used, so no earlier status is read as one of these.
  const v0 = 1000;
  await send(page, message(LENET, v0));
  const first = await statusFor(page, v0);
  const firstBytes = await bytes();
  for (let v = v0 + 1; v <= v0 + n; v++) {
    await send(page, message(v % 2 ? LENET : TINY_GPT, v));
    await statusFor(page, v);
  }
  await send(page, message(LENET, v0 + n + 1));
  const last = await statusFor(page, v0 + n + 1);
  if (first.numTensors === undefined || last.numTensors === undefined) throw new Error('the inspector reported no tensor count');
  return { first: first.numTensors, last: last.numTensors, firstBytes, lastBytes: await bytes() };
}

// ------------------------------------------------------------- graph layout

/** Graphs laid out: the one whose long edges made NETWORK_SIMPLEX take seconds, and a plain chain for scale. */
const LAYOUT_CASES: readonly { file: string; model: string; expanded: boolean }[] = [
  { file: 'diffusion_unet.nnmodel', model: 'DiffusionUNet', expanded: false },
  { file: 'diffusion_unet.nnmodel', model: 'DiffusionUNet', expanded: true },
  { file: 'lenet5.nnmodel', model: 'LeNet5', expanded: false },
];
const PLACEMENTS = ['NETWORK_SIMPLEX', 'BRANDES_KOEPF'] as const;
const WHERE = ['worker', 'page'] as const;

/**
 * Each case × placement × place, `runs` times, alternated so the machine's
 * load drifts over all alike; one warm-up round first (worker start, JIT).
 * Rows: case, placement (× the rule's pick), place, median layout ms, median
 * and worst page stall.
 */
async function graphLayoutRows(browser: Browser, base: string, files: Record<string, string>, runs: number, progress: (m: string) => void): Promise<string[][]> {
  const page = await browser.newPage();
  try {
    await page.goto(`${base}/page/inspector-page`);
    await poll('the benchmark page', () => page.evaluate(() => !!(globalThis as unknown as { nnBench?: unknown }).nnBench), 30_000);
    const cases = LAYOUT_CASES.filter((c) => files[c.file] !== undefined);
    const got = new Map<string, LayoutTiming[]>();
    for (let round = 0; round <= runs; round++) {
      progress(`inspector: graph layout round ${round}/${runs}`);
      for (const c of cases)
        for (const placement of PLACEMENTS)
          for (const where of WHERE) {
            const t = await page.evaluate(
              ([fs, f, m, e, p, w, url]) =>
                (globalThis as unknown as { nnBench: BenchApi }).nnBench.layout(fs as Record<string, string>, f as string, m as string, e as boolean, p as (typeof PLACEMENTS)[number], w as 'worker' | 'page', url as string),
              [files, c.file, c.model, c.expanded, placement, where, `${base}/dist/layoutWorker.js`] as const,
            );
            if (round === 0) continue;
            const key = `${c.model} ${c.expanded ? 'expanded' : 'collapsed'}\t${placement}\t${where}`;
            got.set(key, [...(got.get(key) ?? []), t]);
          }
    }
    return [...got].map(([key, ts]) => {
      const [name, placement, where] = key.split('\t');
      const picked = ts[0].rule === placement ? ' (rule)' : '';
      return [name, `${ts[0].boxes} / ${ts[0].dummies}`, `${placement}${picked}`, where, fmt(summarize(ts.map((t) => t.ms)).median), fmt(summarize(ts.map((t) => t.stallMs)).median), fmt(Math.max(...ts.map((t) => t.stallMs))), String(ts.length)];
    });
  } finally {
    await page.close();
  }
}

// ------------------------------------------------------------------ section

const fmt = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '—' : ms(x));

export const inspectorSection: BenchSection = {
  name: 'inspector',
  title: 'Inspector (headless Chromium): runtime vs hand-built tfjs-layers, feature maps, tensors',
  async run(ctx: BenchContext, report) {
    const tools = browserTools(ctx.root);
    if (typeof tools === 'string') return report.note(`skipped: ${tools}`);
    const { esbuild, playwright, chromiumPath } = tools;
    if (!existsSync(join(ctx.root, 'dist/webview.js'))) return report.note('skipped: dist/webview.js is missing (npm run build)');

    const bundleDir = mkdtempSync(join(tmpdir(), 'nnmodel-bench-inspector-'));
    let server: Server | undefined;
    let browser: Browser | undefined;
    try {
      ctx.progress('inspector: bundling the benchmark page');
      await esbuild.build({
        entryPoints: [join(ctx.root, 'bench/inspector-page.ts')],
        bundle: true,
        format: 'iife',
        platform: 'browser',
        // As the webview build (scripts/build.mjs).
        target: 'chrome120',
        outfile: join(bundleDir, 'inspector-page.js'),
        logLevel: 'error',
      });
      const served = await serve(ctx.root, bundleDir);
      server = served.server;
      const { base } = served;
      browser = await playwright.chromium.launch({ executablePath: chromiumPath, headless: true, args: BROWSER_ARGS });

      const files: Record<string, string> = {};
      for (const e of ctx.examples) files[e.name.replace(/^examples\//, '')] = e.text;
      const budget = ctx.quick ? 300 : 1500;

      ctx.progress('inspector: graph layout');
      let layoutRows: string[][];
      try {
        layoutRows = await graphLayoutRows(browser, base, files, ctx.quick ? 2 : 5, ctx.progress);
      } catch (e) {
        layoutRows = [['failed', '', '', '', '', '', '', (e as Error).message.split('\n')[0]]];
      }

      const fwdRows: string[][] = [];
      const fmRows: string[][] = [];
      const tensorRows: string[][] = [];
      const ratios: { backend: string; model: string; ratio: number }[] = [];
      const notes = new Set<string>();
      for (const backend of BACKENDS) {
        // Forward passes: a fresh page per backend, the runtime's and the hand-built model side by side.
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        try {
          await page.goto(`${base}/page/inspector-page`);
          await poll('the benchmark page', () => page.evaluate(() => !!(globalThis as unknown as { nnBench?: unknown }).nnBench), 30_000);
          const active = await page.evaluate(
            ([b, w]) => (globalThis as unknown as { nnBench: BenchApi }).nnBench.init(b as BackendName, w),
            [backend, `${base}/dist/`] as const,
          );
          if (active.backend !== backend) {
            notes.add(`${backend}: not available here (${active.reason}); skipped`);
            continue;
          }
          notes.add(`${backend}: ${active.reason}`);
          for (const c of CASES) {
            if (!files[c.file]) continue;
            ctx.progress(`inspector: ${backend} ${c.model}`);
            let r: CompareResult;
            try {
              r = await page.evaluate(
                ([fs, f, m, t, b]) => (globalThis as unknown as { nnBench: BenchApi }).nnBench.compare(fs as Record<string, string>, f as string, m as string, (t as string) || undefined, b as number),
                [files, c.file, c.model, c.twin ?? '', budget] as const,
              );
            } catch (e) {
              fwdRows.push([backend, c.model, 'failed', '', '', '', (e as Error).message.split('\n')[0]]);
              continue;
            }
            const ours = summarize(r.ours).median;
            const hand = r.hand ? summarize(r.hand).median : undefined;
            const ratio = hand ? ours / hand : undefined;
            if (ratio !== undefined) ratios.push({ backend, model: c.model, ratio });
            const dims = Object.entries(r.dims).map(([k, v]) => `${k}=${v}`).join(' ');
            const params = r.handParams === undefined ? `${r.oursParams.toLocaleString('en-US')}` : r.handParams === r.oursParams ? `${r.oursParams.toLocaleString('en-US')} (same)` : `${r.oursParams.toLocaleString('en-US')} vs ${r.handParams.toLocaleString('en-US')}`;
            fwdRows.push([backend, c.model, fmt(ours), fmt(hand), ratio === undefined ? '—' : `${ratio.toFixed(2)}×`, String(r.ours.length), [params, dims, c.why].filter(Boolean).join('; ')]);
          }
          if (errors.length) notes.add(`${backend} page errors: ${errors.join(' | ')}`);
        } finally {
          await page.close();
        }

        // The real inspector page: feature maps of a 64-channel layer, then 50 re-renders.
        ctx.progress(`inspector: ${backend} feature maps`);
        const ip = await openInspector(browser, base, backend);
        try {
          const fm = await featureMapTimes(ip, ctx.quick ? 3 : 10);
          const v = summarize(fm.view);
          const w = summarize(fm.wall);
          fmRows.push([backend, String(fm.canvases), fmt(v.median), fmt(w.median), fmt(w.p95), String(fm.wall.length)]);
          ctx.progress(`inspector: ${backend} re-renders`);
          const n = ctx.quick ? 10 : 50;
          const t = await tensorsOverRenders(ip, n);
          tensorRows.push([backend, String(n), String(t.first), String(t.last), t.firstBytes, t.lastBytes, t.first === t.last ? 'flat' : `${t.last - t.first > 0 ? '+' : ''}${t.last - t.first}`]);
        } catch (e) {
          fmRows.push([backend, 'failed', '', '', '', (e as Error).message.split('\n')[0]]);
        } finally {
          await ip.close();
        }
      }

      report.note('Forward pass, batch of 1, median ms (runtime = the webview\'s ModelSession on the core builder; hand = the same network written with tfjs-layers), timed alternately in one page:');
      report.table(
        [
          { title: 'backend', align: 'left' },
          { title: 'model', align: 'left' },
          { title: 'runtime', align: 'right' },
          { title: 'hand-built', align: 'right' },
          { title: 'ratio', align: 'right' },
          { title: 'runs', align: 'right' },
          { title: 'parameters; dims; note', align: 'left', max: 70 },
        ],
        fwdRows,
      );
      report.note('Feature maps of one 64-channel layer (32×32 each) in the inspector page: view = the view\'s own time (probe + drawing), wall = choosing an image to the canvases in the page:');
      report.table(
        [
          { title: 'backend', align: 'left' },
          { title: 'maps', align: 'right' },
          { title: 'view median', align: 'right' },
          { title: 'wall median', align: 'right' },
          { title: 'wall p95', align: 'right' },
          { title: 'runs', align: 'right' },
        ],
        fmRows,
      );
      report.note('Tensors held by the inspector page after the first render and after N more (alternating LeNet5 and a tiny GPT, every render a rebuild):');
      report.table(
        [
          { title: 'backend', align: 'left' },
          { title: 'N', align: 'right' },
          { title: 'tensors first', align: 'right' },
          { title: 'tensors last', align: 'right' },
          { title: 'bytes first', align: 'right' },
          { title: 'bytes last', align: 'right' },
          { title: 'change', align: 'left' },
        ],
        tensorRows,
      );
      report.note('Graph view layout (ELK layered) in the bench page: median wall ms per layout; stall = longest gap between the page\'s zero-delay timer ticks meanwhile (how long clicks, tabs and messages waited):');
      report.table(
        [
          { title: 'graph', align: 'left' },
          { title: 'boxes / long-edge dummies', align: 'right' },
          { title: 'node placement', align: 'left' },
          { title: 'where', align: 'left' },
          { title: 'layout median', align: 'right' },
          { title: 'stall median', align: 'right' },
          { title: 'stall max', align: 'right' },
          { title: 'runs', align: 'right' },
        ],
        layoutRows,
      );
      for (const n of notes) report.note(n);
      for (const r of ratios) report.verdict(r.ratio <= RATIO_TARGET, `${r.backend} ${r.model}: runtime ÷ hand-built = ${r.ratio.toFixed(2)} (target ≤ ${RATIO_TARGET})`);
      for (const row of tensorRows) report.verdict(row[6] === 'flat', `${row[0]}: tensor count ${row[2]} → ${row[3]} over ${row[1]} re-renders`);
    } finally {
      await browser?.close().catch(() => undefined);
      server?.close();
      rmSync(bundleDir, { recursive: true, force: true });
    }
  },
};
