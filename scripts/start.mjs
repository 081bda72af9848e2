// `npm start`: builds and packages the extension, then opens the examples in
// VS Code with it. With a desktop `code` on PATH it runs that (extension
// development mode); otherwise it serves VS Code in the browser through
// code-server on 127.0.0.1 and prints the URL. Runs until Ctrl-C.
//
// Env: PORT picks the port (default: the first free one from 8080 up).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ensureCodeServer, cacheDir, freePort, installVsix, packageVsix, profileFolders, repoRoot, startCodeServer } from './setup-code-server.mjs';

const examples = join(repoRoot, 'examples');
const vsix = join(repoRoot, 'nnmodel.vsix');

function step(what, cmd, args) {
  console.log(`[start] ${what}`);
  const r = spawnSync(cmd, args, { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`[start] ${what} failed (exit ${r.status})`);
    process.exit(1);
  }
}

function onPath(cmd) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

step('building', process.execPath, [join(repoRoot, 'scripts/build.mjs')]);
console.log('[start] packaging nnmodel.vsix');
if (packageVsix(vsix) !== 0) {
  console.error('[start] packaging nnmodel.vsix failed');
  process.exit(1);
}

if (onPath('code') && !process.env.NNMODEL_USE_CODE_SERVER) {
  console.log('[start] opening VS Code with the extension in development mode');
  const code = spawn('code', ['--extensionDevelopmentPath', repoRoot, examples], { stdio: 'inherit' });
  code.on('exit', (c) => process.exit(c ?? 0));
} else {
  ensureCodeServer();
  // A persistent profile under the cache, so settings survive restarts.
  const { userDataDir, extensionsDir, stateDir } = profileFolders(
    join(cacheDir, 'profile'),
    {
      'workbench.startupEditor': 'none',
      'security.workspace.trust.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoUpdate': false,
      'update.mode': 'none',
    },
    { overwrite: false },
  );
  console.log('[start] installing nnmodel.vsix into code-server');
  installVsix(vsix, { extensionsDir, userDataDir, stateDir });

  const wanted = process.env.PORT ? Number(process.env.PORT) : undefined;
  if (wanted !== undefined && !(Number.isInteger(wanted) && wanted > 0 && wanted < 65536)) {
    console.error(`[start] PORT=${process.env.PORT} is not a port number`);
    process.exit(1);
  }
  const port = wanted ?? (await freePort(8080));
  const server = await startCodeServer({ port, userDataDir, extensionsDir, folder: examples, stateDir });
  server.proc.stdout.pipe(process.stdout);
  server.proc.stderr.pipe(process.stderr);
  console.log(`\n  nnmodel is running in VS Code at ${server.url}?folder=${encodeURIComponent(examples)}\n  (open it in a browser; Ctrl-C stops the server)\n`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\n[start] stopping code-server');
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  server.proc.on('exit', (c) => {
    if (!stopping) {
      console.error(`[start] code-server exited (code ${c})`);
      process.exit(c ?? 1);
    }
  });
}
