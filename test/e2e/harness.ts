/**
 * End-to-end harness: drives the nnmodel extension inside a real VS Code
 * (code-server, started by scripts/test-e2e.mjs) through headless Chromium.
 *
 * Every test gets a fresh browser context and a fresh copy of the workspace,
 * so tests are independent. Nothing waits a fixed time: every wait polls for
 * a condition with a deadline and fails with a message saying what was
 * expected and what was seen. Each step leaves a screenshot in
 * test-results/e2e/<test>/.
 */
import { after, test, type TestContext } from 'node:test';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Frame, type Locator, type Page } from 'playwright-core';

/** Settings written by the runner; read here so a test can tell what it relies on. */
export interface E2EEnv {
  /** code-server base URL, e.g. http://127.0.0.1:8123/ */
  url: string;
  /** Scratch folder for this run's workspaces. */
  tmp: string;
  /** Where screenshots go. */
  results: string;
  /** Repository root (examples/ is copied from there). */
  repo: string;
}

function readEnv(): E2EEnv {
  const get = (k: string): string => {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is not set: run the e2e tests through 'node scripts/test-e2e.mjs' (npm run test:e2e)`);
    return v;
  };
  return {
    url: get('NNMODEL_E2E_URL'),
    tmp: get('NNMODEL_E2E_TMP'),
    results: get('NNMODEL_E2E_RESULTS'),
    repo: get('NNMODEL_E2E_REPO'),
  };
}

export const env: E2EEnv = readEnv();

/** Default deadline of one wait; the workbench runs on software rendering on 2 cores. */
export const WAIT_MS = 30_000;

/** The contract's LeNet-5, used when examples/lenet5.nnmodel is not in the repository yet. */
export const LENET5 = `model LeNet5 {
  input image: [32, 32, 1]
  output image -> conv2d(6, 5) -> tanh -> avgpool(2)
               -> conv2d(16, 5) -> tanh -> avgpool(2)
               -> flatten -> dense(120) -> tanh -> dense(84) -> tanh
               -> dense(10) -> softmax
}
`;

/**
 * Polls `probe` until it returns something other than undefined/false/null,
 * and returns that. On timeout, throws with `what` and the last value seen.
 */
export async function poll<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  { timeout = WAIT_MS, interval = 200, seen }: { timeout?: number; interval?: number; seen?: () => Promise<string> | string } = {},
): Promise<T> {
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      let detail = '';
      if (seen) {
        try {
          detail = `\n  seen: ${await seen()}`;
        } catch {
          /* the page may be gone */
        }
      }
      if (lastError) detail += `\n  last error: ${String(lastError)}`;
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

let browserPromise: Promise<Browser> | undefined;

/** One headless Chromium per test file, closed when the file's tests end. */
export function sharedBrowser(): Promise<Browser> {
  if (!browserPromise) {
    browserPromise = chromium.launch({
      executablePath: process.env.NNMODEL_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      // Without the networking flags Chromium keeps calling hosts this machine cannot reach.
      args: [
        '--no-sandbox',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
        '--disable-dev-shm-usage',
      ],
    });
  }
  return browserPromise;
}

// Registered at load time so it is a hook of the file, not of the first test.
after(async () => {
  const browser = await browserPromise?.catch(() => undefined);
  await browser?.close();
});

function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60).toLowerCase();
}

let workspaceCount = 0;

/**
 * Makes a fresh workspace folder: a copy of the repository's examples/ (with
 * the contract's LeNet5 if the examples do not have it yet), plus `files`
 * (relative path → content). Returns its absolute path.
 */
export function makeWorkspace(name: string, files: Record<string, string> = {}): string {
  const dir = join(env.tmp, `ws-${++workspaceCount}-${slug(name)}`);
  mkdirSync(dir, { recursive: true });
  const examples = join(env.repo, 'examples');
  // Not the checkpoints a training of the examples left in examples/.nnmodel/: each test starts untrained.
  if (existsSync(examples)) cpSync(examples, dir, { recursive: true, filter: (src) => basename(src) !== '.nnmodel' });
  if (!existsSync(join(dir, 'lenet5.nnmodel'))) writeFileSync(join(dir, 'lenet5.nnmodel'), LENET5);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

/** 1-based line and column of the `occurrence`-th `needle` in `text`. */
export function positionOf(text: string, needle: string, occurrence = 0): { line: number; column: number } {
  let at = -1;
  for (let i = 0; i <= occurrence; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`'${needle}' (occurrence ${occurrence}) not found in:\n${text}`);
  }
  const before = text.slice(0, at).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

const normalize = (s: string | null | undefined): string => (s ?? '').replace(/\u00a0/g, ' ');

/** A VS Code window on one workspace folder, with helpers that act as a user would. */
export class Workbench {
  private shot = 0;

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly folder: string,
    private readonly shotsDir: string,
  ) {}

  /** Opens `folder` in a new browser context and waits for the workbench. */
  static async open(folder: string, testName: string): Promise<Workbench> {
    const browser = await sharedBrowser();
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const shotsDir = join(env.results, slug(testName));
    rmSync(shotsDir, { recursive: true, force: true });
    mkdirSync(shotsDir, { recursive: true });
    const wb = new Workbench(context, page, folder, shotsDir);
    await page.goto(`${env.url}?folder=${encodeURIComponent(folder)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // The explorer lists the folder once the remote file system answers.
    await poll('the explorer to list the workspace', async () => (await page.locator('.explorer-folders-view .monaco-list-row').count()) > 0, {
      timeout: 60_000,
    });
    await wb.screenshot('workbench');
    return wb;
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
  }

  /** Saves a full-page screenshot named after the step into test-results/e2e/<test>/. */
  async screenshot(name: string): Promise<void> {
    const file = join(this.shotsDir, `${String(++this.shot).padStart(2, '0')}-${slug(name)}.png`);
    await this.page.screenshot({ path: file }).catch(() => undefined);
  }

  /** Runs one step of a test and takes a screenshot after it (also when it fails). */
  async step<T>(name: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } finally {
      await this.screenshot(name);
    }
  }

  /** Path of a file in the workspace. */
  path(rel: string): string {
    return join(this.folder, rel);
  }

  /** Current content of a workspace file on disk. */
  readFile(rel: string): string {
    return readFileSync(this.path(rel), 'utf8');
  }

  private quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  private async quickInputVisible(): Promise<boolean> {
    return this.quickInput().isVisible();
  }

  /** Presses `keys` until the quick input shows (a fresh page may not have keyboard focus yet). */
  private async openQuickInput(keys: string): Promise<Locator> {
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await poll(`the quick input to open with ${keys}`, async () => {
      if (await this.quickInputVisible()) return true;
      if (!(await this.hasFocusInWorkbench())) await this.focusWorkbench();
      await this.page.keyboard.press(keys);
      try {
        await this.quickInput().waitFor({ state: 'visible', timeout: 1500 });
        return true;
      } catch {
        return false;
      }
    });
    return input;
  }

  private async hasFocusInWorkbench(): Promise<boolean> {
    return this.page.evaluate(() => {
      const d = (globalThis as unknown as { document: { activeElement: { closest(s: string): unknown } | null; body: unknown } }).document;
      return !!d.activeElement && d.activeElement !== d.body && !!d.activeElement.closest('.monaco-workbench');
    });
  }

  /** Gives the workbench keyboard focus without moving an editor's cursor. */
  async focusWorkbench(): Promise<void> {
    const tab = this.page.locator('.tabs-container .tab.active');
    if (await tab.count()) await tab.first().click();
    else await this.page.locator('.part.editor').click({ position: { x: 50, y: 50 } });
    // Not left resting on the tab: its hover (the file's path) opens after a delay and takes the focus, which
    // closes a Quick Open opened meanwhile (CI: closed again at each of 15 Ctrl+P). The title bar's empty stretch
    // between the command center and the layout controls has no hover.
    const size = this.page.viewportSize();
    await this.page.mouse.move(size ? Math.round(size.width * 0.78) : 1000, 8);
  }

  /** Opens a workspace file through Quick Open (Ctrl+P) and waits for its editor. */
  async openFile(name: string): Promise<void> {
    await this.step(`open ${name}`, async () => {
      const input = await this.openQuickInput('Control+P');
      await input.fill(name);
      const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first();
      await row.waitFor({ timeout: WAIT_MS });
      const tab = this.page.locator(`.tabs-container .tab.active[data-resource-name="${name}"]`);
      await this.pickRow(input, row, name, `the editor of ${name}`, async () => (await tab.count()) > 0);
      await this.activeEditor().locator('.view-lines .view-line').first().waitFor({ timeout: WAIT_MS });
      await this.activeEditor().locator('textarea').focus();
    });
  }

  /** The editor of the active group. */
  activeEditor(): Locator {
    return this.page.locator('.editor-group-container.active .monaco-editor').first();
  }

  /**
   * Runs a command by its label through the command palette (Ctrl+Shift+P).
   * With `opensInput`, the command asks for text in the same quick-input
   * widget, so wait for its empty prompt instead of for the widget to close.
   */
  async runCommand(label: string, opts: { opensInput?: boolean } = {}): Promise<void> {
    await this.step(`command ${label}`, async () => {
      const input = await this.openQuickInput('Control+Shift+P');
      await input.fill(`>${label}`);
      const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
      const row = this.page
        .locator('.quick-input-list .monaco-list-row')
        .filter({ has: this.page.locator('.label-name', { hasText: exact }) })
        .first();
      await poll(`command '${label}' in the palette`, () => row.isVisible(), {
        seen: async () => (await this.page.locator('.quick-input-list .monaco-list-row').allInnerTexts()).join(' | '),
      });
      await this.pickRow(input, row, `>${label}`, opts.opensInput ? 'the command to ask for input' : 'the command palette to close', async () => {
        if (!(await this.quickInputVisible())) return !opts.opensInput;
        return !!opts.opensInput && !(await input.inputValue().catch(() => '>')).startsWith('>');
      });
    });
  }

  /**
   * Picks a row of an open quick pick with the keyboard (ArrowDown to it,
   * then Enter), as a user may: VS Code's hover over a long row's detail
   * can cover the row and take a mouse click.
   */
  async chooseRow(row: Locator): Promise<void> {
    await this.step('choose a quick pick row', async () => {
      await row.waitFor({ timeout: WAIT_MS });
      const index = await row.getAttribute('data-index');
      const focused = this.page.locator('.quick-input-list .monaco-list-row.focused');
      await this.page.locator('.quick-input-widget .quick-input-box input').focus();
      for (let i = 0; (await focused.first().getAttribute('data-index', { timeout: 1000 }).catch(() => null)) !== index; i++) {
        if (i === 50) throw new Error(`the quick pick row ${index} never got the focus`);
        await this.page.keyboard.press('ArrowDown');
      }
      await this.page.keyboard.press('Enter');
    });
  }

  /**
   * Clicks a row of the quick input and waits until `done`. The list
   * re-renders as it settles (recently used and similar commands, file
   * search results arriving); a click that lands during a re-render is lost
   * and the input stays open on `text`: the row is clicked again then.
   */
  private async pickRow(input: Locator, row: Locator, text: string, what: string, done: () => Promise<boolean>): Promise<void> {
    await row.click();
    let lastTry = Date.now();
    await poll(
      what,
      async () => {
        if (await done()) return true;
        if (Date.now() - lastTry > 3000 && (await this.quickInputVisible()) && (await input.inputValue().catch(() => '')) === text) {
          lastTry = Date.now();
          await row.click({ timeout: 2000 }).catch(() => undefined);
        }
        return false;
      },
      { seen: () => this.quickInputState(input) },
    );
  }

  /** What the quick input and the notifications show, for a timeout's message. */
  private async quickInputState(input: Locator): Promise<string> {
    const open = await this.quickInputVisible();
    return `quick input ${open ? `open on '${await input.inputValue().catch(() => '?')}'` : 'closed'}; notifications: ${await this.notificationText()}`;
  }

  /** The text of the notification toasts on screen. */
  async notificationText(): Promise<string> {
    return (await this.page.locator('.notifications-toasts').innerText().catch(() => '')).replace(/\s+/g, ' ');
  }

  /** Moves the cursor of the active editor to a 1-based line and column (Go to Line, Ctrl+G). */
  async goTo(line: number, column: number): Promise<void> {
    const input = await this.openQuickInput('Control+G');
    await input.fill(`:${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await poll('Go to Line to close', async () => !(await this.quickInputVisible()));
    await poll(`the cursor at Ln ${line}, Col ${column}`, async () => {
      const status = normalize(await this.page.locator('[id="status.editor.selection"]').innerText().catch(() => ''));
      return status.includes(`Ln ${line}, Col ${column}`);
    }, { seen: () => this.page.locator('[id="status.editor.selection"]').innerText() });
  }

  /** Types text into the focused editor key by key. */
  async type(text: string): Promise<void> {
    await this.page.keyboard.type(text);
  }

  async press(keys: string): Promise<void> {
    await this.page.keyboard.press(keys);
  }

  /** Saves the active editor and waits until the file on disk has changed from `before`. */
  async saveAndRead(rel: string, before: string): Promise<string> {
    await this.press('Control+S');
    return poll(`${rel} to be saved`, () => {
      const now = this.readFile(rel);
      return now !== before ? now : undefined;
    });
  }

  /** Text of the status bar item that shows the active editor's language. */
  async languageMode(): Promise<string> {
    return normalize(await this.page.locator('[id="status.editor.mode"]').innerText());
  }

  /** Shows the hover at a position (keyboard: Ctrl+K Ctrl+I) and returns its text once it contains `expect`. */
  async hoverAt(line: number, column: number, expect: string | RegExp): Promise<string> {
    return this.step(`hover ${line}:${column}`, async () => {
      const hover = this.page.locator('.monaco-hover:not(.hidden)');
      // A hover left open from an earlier position would be read as this one's.
      if (await hover.first().isVisible()) await this.press('Escape');
      await poll('the previous hover to close', async () => !(await hover.first().isVisible()));
      await this.goTo(line, column);
      return poll(
        `a hover at ${line}:${column} containing ${String(expect)}`,
        async () => {
          if (!(await hover.first().isVisible())) {
            await this.press('Control+K');
            await this.press('Control+I');
            await hover.first().waitFor({ state: 'visible', timeout: 2000 }).catch(() => undefined);
          }
          const text = normalize((await hover.allInnerTexts()).join('\n'));
          return matches(text, expect) ? text : undefined;
        },
        { seen: async () => normalize((await hover.allInnerTexts()).join('\n')) || '(no hover)' },
      );
    });
  }

  /** Opens signature help at the cursor (Ctrl+Shift+Space) and returns its text once it contains `expect`. */
  async signatureHelp(expect: string | RegExp): Promise<string> {
    return this.step(`signature help ${String(expect)}`, async () => {
      const widget = this.page.locator('.parameter-hints-widget.visible');
      const text = async () => normalize((await widget.allInnerTexts()).join('\n'));
      return poll(
        `signature help containing ${String(expect)}`,
        async () => {
          if (!(await widget.first().isVisible())) {
            await this.press('Control+Shift+Space');
            await widget.first().waitFor({ state: 'visible', timeout: 2000 }).catch(() => undefined);
          }
          const t = await text();
          return matches(t, expect) ? t : undefined;
        },
        { seen: async () => (await text()) || '(no signature help)' },
      );
    });
  }

  /** Rendered text of the visible lines of the active editor, inlay hints included. */
  async visibleEditorText(): Promise<string> {
    return normalize((await this.activeEditor().locator('.view-lines .view-line').allInnerTexts()).join('\n'));
  }

  /** Opens the Problems panel and returns the text of its rows. */
  async problems(): Promise<string[]> {
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible())) {
      await this.runCommand('Problems: Focus on Problems View');
      await panel.waitFor({ state: 'visible', timeout: WAIT_MS });
    }
    return (await panel.locator('.monaco-list-row').allInnerTexts()).map(normalize);
  }

  /** Waits until a Problems row contains `text`; returns all rows. */
  async waitForProblem(text: string | RegExp): Promise<string[]> {
    return this.step(`problem ${String(text)}`, () =>
      poll(`a problem containing ${String(text)} in the Problems panel`, async () => {
        const rows = await this.problems();
        return rows.some((r) => matches(r, text)) ? rows : undefined;
      }, { seen: async () => (await this.problems()).join(' | ') || '(no problems)' }),
    );
  }

  /** Triggers suggest (Ctrl+Space) and waits for a suggestion whose label matches; returns all labels. */
  async suggest(expect: string | RegExp): Promise<string[]> {
    return this.step(`suggest ${String(expect)}`, async () => {
      const widget = this.page.locator('.suggest-widget.visible');
      const labels = async () =>
        (await widget.locator('.monaco-list-row .label-name').allInnerTexts()).map((s) => normalize(s).trim());
      // A widget that opened by itself while typing can hold a list made for an earlier prefix (CI once saw
      // only 'activation, bias' after `conv2d(8, 3, `): asked again when it has not shown the item for a while.
      let shownSince = 0;
      return poll(
        `a completion item ${String(expect)}`,
        async () => {
          if (!(await widget.isVisible())) {
            await this.press('Control+Space');
            await widget.waitFor({ state: 'visible', timeout: 2000 }).catch(() => undefined);
            shownSince = Date.now();
          }
          const all = await labels();
          if (all.some((l) => matches(l, expect))) return all;
          if (shownSince === 0) shownSince = Date.now();
          else if (Date.now() - shownSince > 3000) {
            await this.press('Escape');
            shownSince = 0;
          }
          return undefined;
        },
        { seen: async () => (await labels()).join(', ') || '(no suggest widget)' },
      );
    });
  }

  /**
   * Opens the quick-fix menu (Ctrl+.) at the cursor, waits for an action whose
   * title matches, and applies it with the keyboard (the menu blocks clicks
   * until the mouse has moved over it). Returns the titles that were offered.
   */
  async applyQuickFix(expect: string | RegExp): Promise<string[]> {
    return this.step(`quick fix ${String(expect)}`, async () => {
      const menu = this.page.locator('.action-widget');
      const rows = menu.locator('.monaco-list-row.action');
      const titles = async () => (await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''))).map(normalize);
      const offered = await poll(
        `a code action ${String(expect)}`,
        async () => {
          if (!(await menu.isVisible())) {
            await this.press('Control+.');
            await menu.waitFor({ state: 'visible', timeout: 2000 }).catch(() => undefined);
          }
          const all = await titles();
          return all.some((t) => matches(t, expect)) ? all : undefined;
        },
        { seen: async () => (await titles()).join(' | ') || '(no code action menu)' },
      );
      const focused = menu.locator('.monaco-list-row.action.focused');
      await poll(
        `the code action ${String(expect)} to be selected`,
        async () => {
          const label = normalize(await focused.getAttribute('aria-label', { timeout: 1000 }).catch(() => ''));
          if (matches(label, expect)) return true;
          await this.press('ArrowDown');
          return false;
        },
        { seen: async () => normalize(await focused.getAttribute('aria-label').catch(() => '')) },
      );
      await this.press('Enter');
      await poll('the code action menu to close', async () => !(await menu.isVisible()));
      return offered;
    });
  }

  /** The rows of a view pane found by its title (e.g. 'Outline'), as text. */
  async viewRows(title: string): Promise<string[]> {
    const pane = this.page.locator('.pane').filter({ has: this.page.locator('.pane-header .title', { hasText: new RegExp(`^${title}$`, 'i') }) });
    return (await pane.locator('.pane-body .monaco-list-row').allInnerTexts()).map(normalize);
  }

  /**
   * Finds a webview frame (webviews are nested iframes) whose document has
   * `selector`, polling until one appears.
   */
  async webviewFrame(selector: string, timeout = WAIT_MS): Promise<Frame> {
    return poll(`a webview frame with ${selector}`, async () => {
      for (const frame of this.page.frames()) {
        if (frame === this.page.mainFrame()) continue;
        if ((await frame.locator(selector).count().catch(() => 0)) > 0) return frame;
      }
      return undefined;
    }, { timeout, seen: () => this.page.frames().map((f) => f.url()).join(' | ') });
  }
}

function matches(text: string, expect: string | RegExp): boolean {
  return typeof expect === 'string' ? text.includes(expect) : expect.test(text);
}

export interface E2EOptions {
  /** Extra workspace files (relative path → content), written before VS Code opens the folder. */
  files?: Record<string, string>;
  /** Per-test deadline (default 3 min). */
  timeout?: number;
}

/**
 * Declares a test that gets its own workspace and VS Code window; the window
 * is closed afterwards whatever happens, with a final screenshot on failure.
 */
export function e2eTest(name: string, options: E2EOptions, body: (wb: Workbench, t: TestContext) => Promise<void>): void {
  test(name, { timeout: options.timeout ?? 180_000 }, async (t) => {
    const folder = makeWorkspace(name, options.files);
    const wb = await Workbench.open(folder, name);
    try {
      await body(wb, t);
    } catch (e) {
      await wb.screenshot('FAILED');
      throw e;
    } finally {
      await wb.close();
    }
  });
}

/** Opens `file`, then the inspector beside it; resolves once the inspector has rendered a first time. */
export async function openInspector(wb: Workbench, file: string): Promise<Frame> {
  await wb.openFile(file);
  await wb.runCommand('nnmodel: Open Inspector');
  const frame = await wb.step('inspector webview', () => wb.webviewFrame('#nn-backend', 60_000));
  await poll('a first render', async () => Number((await frame.locator('#nn-debug').getAttribute('data-renders')) ?? 0) >= 1, { timeout: 90_000 });
  return frame;
}

/** Shows the inspector's tab `id` (`summary`, `features`, ...) and waits for its panel. */
export async function openTab(wb: Workbench, frame: Frame, id: string): Promise<void> {
  await wb.step(`tab ${id}`, async () => {
    await frame.locator(`vscode-tab-header[data-tab="${id}"]`).click();
    await poll(`the ${id} panel to be shown`, () => frame.locator(`#nn-panel-${id}`).isVisible());
  });
}

/** Opens `file`, then the inspector beside it, and its Training tab. */
export async function openTrainingTab(wb: Workbench, file: string): Promise<Frame> {
  await wb.openFile(file);
  await wb.runCommand('nnmodel: Open Inspector');
  const frame = await wb.step('inspector webview', () => wb.webviewFrame('#nn-backend', 90_000));
  await frame.locator('vscode-tab-header[data-tab="training"]').click();
  return frame;
}

