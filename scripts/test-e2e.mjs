// Runs the end-to-end tests: the packaged extension in a real VS Code
// (code-server) driven by headless Chromium, with node's test runner.
//
//   node scripts/test-e2e.mjs [FILTER]     FILTER picks test files by substring
//
// Steps: build, package the VSIX, set up code-server (cached), install the
// VSIX into a fresh extensions folder, start code-server on a free loopback
// port with a fresh user-data folder, bundle test/e2e/*.test.ts and run them.
// code-server and the browser are always stopped at the end.
// Env: NNMODEL_E2E_GREP=REGEX runs only the tests whose name matches;
// NNMODEL_E2E_KEEP=1 keeps the scratch folder; NNMODEL_E2E_SKIP_BUILD=1
// packages the dist/ that is there.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { QUIET_SETTINGS, ensureCodeServer, freePort, installVsix, packageVsix, profileFolders, repoRoot, startCodeServer } from './setup-code-server.mjs';

const filter = process.argv[2];
const results = join(repoRoot, 'test-results/e2e');
const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
const say = (m) => console.log(`[e2e ${elapsed()}] ${m}`);

// Each run has its own scratch folder (VS Code's folders, workspaces) and its
// own bundle folder inside the repo (so the bundles resolve playwright-core
// from node_modules): runs side by side do not collide.
const scratch = mkdtempSync(join(tmpdir(), 'nnmodel-e2e-'));
mkdirSync(join(repoRoot, '.test-out'), { recursive: true });
const outdir = mkdtempSync(join(repoRoot, '.test-out', 'e2e-'));

function removeScratch() {
  rmSync(outdir, { recursive: true, force: true });
  if (!process.env.NNMODEL_E2E_KEEP) rmSync(scratch, { recursive: true, force: true });
  else say(`kept ${scratch}`);
}

function runOrDie(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`e2e: ${what} failed (exit ${r.status})`);
    removeScratch();
    process.exit(1);
  }
}

if (!process.env.NNMODEL_E2E_SKIP_BUILD) runOrDie(process.execPath, ['scripts/build.mjs'], 'build');
if (!existsSync(join(repoRoot, 'dist/extension.js'))) {
  console.error('e2e: dist/extension.js is missing (extension/extension.ts not written yet?); nothing to test');
  removeScratch();
  process.exit(1);
}

const vsix = join(outdir, 'nnmodel.vsix');
say('packaging the VSIX');
if (packageVsix(vsix) !== 0) {
  console.error('e2e: vsce package failed');
  removeScratch();
  process.exit(1);
}

// Settings that make the UI deterministic: no welcome page, no trust prompt,
// no telemetry or update traffic, and no completion popping up while a test
// types (tests ask for suggestions with Ctrl+Space).
const { userDataDir, extensionsDir, stateDir, emptyFolder } = profileFolders(scratch, { ...QUIET_SETTINGS, 'editor.hover.delay': 300 });

let server;
let child;
let cleanedUp = false;
async function cleanup() {
  if (cleanedUp) return;
  cleanedUp = true;
  if (child?.pid) {
    // The test process has its own group: this also ends any Chromium it left behind.
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await server?.stop();
  if (server) writeFileSync(join(results, 'code-server.log'), server.output());
  removeScratch();
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    void cleanup().finally(() => process.exit(130));
  });
}

let status = 1;
try {
  say('setting up code-server');
  ensureCodeServer();

  // Each test clears its own screenshot folder when it starts.
  mkdirSync(results, { recursive: true });

  say('installing the VSIX');
  installVsix(vsix, { extensionsDir, userDataDir, stateDir });

  const port = await freePort();
  server = await startCodeServer({ port, userDataDir, extensionsDir, folder: emptyFolder, stateDir });
  say(`code-server at ${server.url}`);

  const testDir = join(repoRoot, 'test/e2e');
  const entries = readdirSync(testDir)
    .filter((f) => f.endsWith('.test.ts') && (!filter || f.includes(filter)))
    .sort()
    .map((f) => join(testDir, f));
  if (entries.length === 0) throw new Error(`no e2e test files${filter ? ` match '${filter}'` : ''}`);
  await esbuild.build({
    entryPoints: entries,
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    external: ['playwright-core'],
    logLevel: 'warning',
  });
  const files = entries.map((e) => join(outdir, e.slice(testDir.length + 1).replace(/\.ts$/, '.js')));

  say(`running ${files.length} test file(s)`);
  const grep = process.env.NNMODEL_E2E_GREP ? [`--test-name-pattern=${process.env.NNMODEL_E2E_GREP}`] : [];
  child = spawn(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=1', ...grep, ...files], {
    cwd: repoRoot,
    stdio: 'inherit',
    detached: true,
    env: {
      ...process.env,
      NNMODEL_E2E_URL: server.url,
      NNMODEL_E2E_TMP: scratch,
      NNMODEL_E2E_RESULTS: results,
      NNMODEL_E2E_REPO: repoRoot,
    },
  });
  // A hard ceiling, well inside CI's limit, in case something hangs past the per-test timeouts.
  const ceiling = setTimeout(() => {
    console.error('e2e: the suite ran for 25 minutes; stopping it');
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 25 * 60_000);
  status = await new Promise((res) => child.once('exit', (code, signal) => res(code ?? (signal ? 1 : 0))));
  clearTimeout(ceiling);
} catch (e) {
  console.error(`e2e: ${e instanceof Error ? e.message : String(e)}`);
  status = 1;
} finally {
  await cleanup();
}
say(`finished (exit ${status}); screenshots in ${join('test-results', 'e2e')}`);
process.exit(status);
