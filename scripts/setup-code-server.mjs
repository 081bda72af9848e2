// Installs code-server (a VS Code build from npm) into a cache folder so the
// extension can run in a real VS Code on machines that cannot download VS Code
// itself, and exports helpers to install a VSIX and start/stop a server.
//
//   node scripts/setup-code-server.mjs     set up (idempotent) and print the entry path
//
// Cache folder: $NNMODEL_CODE_SERVER_DIR, default <repo>/.cache/code-server.
// The recipe (why each step is needed) is in shared/notes/real-vscode-testing.md:
// code-server's own postinstall refuses to run as root under npm 11 and
// downloads ripgrep from a host these machines cannot reach, so its steps are
// done here by hand with scripts disabled.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, chmodSync, lstatSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const cacheDir = resolve(process.env.NNMODEL_CODE_SERVER_DIR || join(repoRoot, '.cache/code-server'));
export const CHROMIUM = '/usr/bin/chromium';

/** Debian packages needed: a browser to drive the workbench, kerberos headers for a native module, ripgrep for search. */
const DEBIAN_PACKAGES = ['chromium', 'libkrb5-dev', 'ripgrep', 'python3', 'make', 'g++', 'fonts-dejavu-core'];
const NATIVE_MODULES = ['kerberos', 'node-pty', '@vscode/spdlog', '@vscode/deviceid', 'native-watchdog'];
const MARKER = join(cacheDir, `.nnmodel-setup-done-${CODE_SERVER_VERSION}`);

const csDir = join(cacheDir, 'node_modules/code-server');
const vscodeDir = join(csDir, 'lib/vscode');
/** Absolute path of code-server's node entry point. */
export const codeServerEntry = join(csDir, 'out/node/entry.js');

function log(msg) {
  console.log(`[code-server setup] ${msg}`);
}

/** Runs a command; with `quiet` its output is kept and returned instead of printed. */
function run(cmd, args, cwd, { allowFail = false, quiet = false } = {}) {
  log(`$ (cd ${cwd} && ${cmd} ${args.join(' ')})`);
  const r = spawnSync(cmd, args, {
    cwd,
    stdio: quiet ? 'pipe' : 'inherit',
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' },
  });
  if (r.error) throw r.error;
  const output = quiet ? `${r.stdout}${r.stderr}` : '';
  if (r.status !== 0 && !allowFail) throw new Error(`'${cmd} ${args.join(' ')}' failed with exit code ${r.status} in ${cwd}\n${output}`);
  return { status: r.status, output };
}

function isInstalled(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/**
 * Makes sure the Debian packages are there. As root, installs what is missing
 * (waiting for another apt run's lock rather than failing); otherwise says
 * which command to run.
 */
export function ensureSystemPackages() {
  if (!existsSync('/usr/bin/dpkg-query')) {
    if (!existsSync(CHROMIUM)) throw new Error(`no ${CHROMIUM} and no dpkg to install it with`);
    return;
  }
  const missing = DEBIAN_PACKAGES.filter((p) => !isInstalled(p));
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error(`missing Debian packages: ${missing.join(' ')}. Install them with:\n  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing.join(' ')}`);
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', 'DPkg::Lock::Timeout=900'];
  for (const args of [
    [...lock, 'update', '-q'],
    [...lock, 'install', '-y', '-q', '--no-install-recommends', ...missing],
  ]) {
    log(`$ apt-get ${args.join(' ')}`);
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed with exit code ${r.status}`);
  }
}

/** True when a previous run finished every step for this version. */
export function isSetUp() {
  return existsSync(MARKER) && existsSync(codeServerEntry);
}

/** Sets code-server up in the cache folder unless already done; returns the entry path. */
export function ensureCodeServer() {
  ensureSystemPackages();
  if (isSetUp()) return codeServerEntry;
  const started = Date.now();
  mkdirSync(cacheDir, { recursive: true });
  // A package.json of its own keeps npm from walking up to the repo's.
  writeFileSync(join(cacheDir, 'package.json'), JSON.stringify({ name: 'nnmodel-code-server-cache', private: true }, null, 2) + '\n');

  run('npm', ['install', '--ignore-scripts', '--no-save', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`], cacheDir);
  run('npm', ['install', '--omit=dev', '--ignore-scripts'], vscodeDir);

  run('npm', ['rebuild', ...NATIVE_MODULES.filter((m) => m !== 'node-pty')], vscodeDir);
  // node-pty's install step ends by generating compile_commands.json through
  // npx, which fails here after pty.node is built; judge by the binary instead.
  const ptyBuild = run('npm', ['rebuild', 'node-pty'], vscodeDir, { allowFail: true, quiet: true });
  const pty = join(vscodeDir, 'node_modules/node-pty/build/Release/pty.node');
  if (!existsSync(pty)) throw new Error(`node-pty was not built: ${pty} is missing (are python3, make and g++ installed?)\n${ptyBuild.output}`);
  if (ptyBuild.status !== 0) log('node-pty: pty.node built (its compile_commands.json step failed, which is harmless)');

  const asar = join(vscodeDir, 'node_modules.asar');
  if (!existsSyncNoFollow(asar)) symlinkSync('node_modules', asar);

  const rgBin = join(vscodeDir, 'node_modules/@vscode/ripgrep/bin');
  mkdirSync(rgBin, { recursive: true });
  copyFileSync(which('rg') ?? '/usr/bin/rg', join(rgBin, 'rg'));
  chmodSync(join(rgBin, 'rg'), 0o755);

  run('npm', ['install', '--omit=dev', '--ignore-scripts'], join(vscodeDir, 'extensions'));
  run('npm', ['rebuild', 'argon2'], cacheDir);

  writeFileSync(MARKER, JSON.stringify({ version: CODE_SERVER_VERSION, at: new Date().toISOString() }) + '\n');
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return codeServerEntry;
}

function existsSyncNoFollow(p) {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function which(cmd) {
  for (const d of (process.env.PATH ?? '').split(':')) {
    const p = join(d, cmd);
    if (d && existsSync(p)) return p;
  }
  return undefined;
}

/** Resolves to a free TCP port on 127.0.0.1, trying `from` upwards (0 = any). */
export async function freePort(from = 0) {
  const tryPort = (port) =>
    new Promise((res) => {
      const srv = createServer();
      srv.once('error', () => res(undefined));
      srv.listen(port, '127.0.0.1', () => {
        const { port: got } = srv.address();
        srv.close(() => res(got));
      });
    });
  if (from === 0) return tryPort(0);
  for (let p = from; p < from + 200; p++) {
    const got = await tryPort(p);
    if (got) return got;
  }
  throw new Error(`no free port in ${from}..${from + 199}`);
}

/** vsce's arguments for the VSIX every runner installs: dist/ is self-contained, so no node_modules go in. */
export const VSCE_PACKAGE_ARGS = Object.freeze(['package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links']);

/** Packages the repository as a VSIX at `vsix` (vsce's output goes to this terminal); returns vsce's exit status. */
export function packageVsix(vsix) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'node_modules/@vscode/vsce/vsce'), ...VSCE_PACKAGE_ARGS, '--out', vsix], { cwd: repoRoot, stdio: 'inherit' });
  return r.status ?? 1;
}

/**
 * The folders of a code-server profile under `root`, created: user data with
 * `settings` as its user settings (written only when `overwrite` or none is
 * there yet), extensions, state, and an empty folder to open first.
 */
export function profileFolders(root, settings, { overwrite = true } = {}) {
  const dirs = {
    userDataDir: join(root, 'user-data'),
    extensionsDir: join(root, 'extensions'),
    stateDir: join(root, 'state'),
    emptyFolder: join(root, 'empty'),
    settingsFile: join(root, 'user-data/User/settings.json'),
  };
  mkdirSync(join(dirs.userDataDir, 'User'), { recursive: true });
  mkdirSync(dirs.emptyFolder, { recursive: true });
  if (overwrite || !existsSync(dirs.settingsFile)) writeFileSync(dirs.settingsFile, JSON.stringify(settings, null, 2));
  return dirs;
}

/** Installs a VSIX into an extensions folder (code-server keeps a registry there, so copying a folder does not work). */
export function installVsix(vsix, { extensionsDir, userDataDir, stateDir }) {
  mkdirSync(stateDir, { recursive: true });
  const env = { ...process.env, XDG_DATA_HOME: join(stateDir, 'data'), XDG_CONFIG_HOME: join(stateDir, 'config') };
  const r = spawnSync(
    process.execPath,
    [codeServerEntry, '--config', join(stateDir, 'config.yaml'), '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--install-extension', vsix, '--force'],
    { encoding: 'utf8', env },
  );
  if (r.status !== 0 || !/successfully installed/i.test(r.stdout + r.stderr)) {
    throw new Error(`installing ${vsix} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}

/**
 * Starts code-server on 127.0.0.1:port with no auth and waits until it answers
 * HTTP. Returns { url, proc, stop() }; stop() ends the process group.
 */
export async function startCodeServer({ port, userDataDir, extensionsDir, folder, stateDir, logFile, extraArgs = [] }) {
  mkdirSync(stateDir, { recursive: true });
  const args = [
    codeServerEntry,
    // Its own config file: otherwise code-server writes one with a generated
    // password into the user's home folder.
    '--config', join(stateDir, 'config.yaml'),
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    ...extraArgs,
    folder,
  ];
  // Its own process group, so stop() also ends the extension host and pty host.
  const env = { ...process.env, XDG_DATA_HOME: join(stateDir, 'data'), XDG_CONFIG_HOME: join(stateDir, 'config') };
  // code-server lets $PORT override --bind-addr.
  delete env.PORT;
  const proc = spawn(process.execPath, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  const collect = (d) => {
    output += d;
    if (logFile) writeFileSync(logFile, output);
  };
  proc.stdout.on('data', collect);
  proc.stderr.on('data', collect);
  let exited = false;
  proc.once('exit', () => (exited = true));
  /** Ends code-server's process group: SIGTERM, then SIGKILL after 3 s. Resolves when it has exited. */
  const stop = async () => {
    if (exited || proc.pid === undefined) return;
    const gone = new Promise((r) => proc.once('exit', r));
    const signal = (sig) => {
      try {
        process.kill(-proc.pid, sig);
      } catch {
        /* already gone */
      }
    };
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
    // Children (extension hosts) may outlive the leader for a moment.
    signal('SIGKILL');
  };
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`code-server exited before it answered:\n${output}`);
    try {
      const res = await fetch(`${url}healthz`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer at ${url} within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, proc, stop, output: () => output };
}

/** Removes the cache (for a clean re-install). */
export function removeCodeServer() {
  rmSync(cacheDir, { recursive: true, force: true });
}

if (process.argv[1] && pathToFileURL(resolve(process.argv[1])).href === import.meta.url) {
  const t0 = Date.now();
  if (process.argv.includes('--force')) removeCodeServer();
  const entry = ensureCodeServer();
  const v = JSON.parse(readFileSync(join(csDir, 'package.json'), 'utf8')).version;
  console.log(`code-server ${v} ready: ${entry} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

/**
 * User settings for a quiet, deterministic workbench in tests and benchmarks:
 * no start page, tips, telemetry or update traffic, and no completion or
 * auto-closing while a test types.
 */
export const QUIET_SETTINGS = Object.freeze({
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.editor.enablePreview': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'update.mode': 'none',
  'editor.minimap.enabled': false,
  'editor.quickSuggestions': { other: 'off', comments: 'off', strings: 'off' },
  'editor.suggestOnTriggerCharacters': false,
  'editor.acceptSuggestionOnEnter': 'off',
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingQuotes': 'never',
  'editor.autoIndent': 'none',
  'editor.formatOnType': false,
  'editor.formatOnSave': false,
  'editor.inlayHints.enabled': 'on',
  'files.autoSave': 'off',
  'git.enabled': false,
});
