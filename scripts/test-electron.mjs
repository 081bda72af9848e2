// `npm run test:electron`: runs test/electron/suite.ts inside a desktop VS Code
// with @vscode/test-electron. That downloads VS Code from Microsoft's update
// service, which machines with only package-registry access cannot reach, so
// this is not part of `npm test` (the code-server e2e suite is). Set
// NNMODEL_VSCODE_EXECUTABLE to a local VS Code binary to skip the download.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { runTests } from '@vscode/test-electron';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, '.test-out/electron');

const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

rmSync(outdir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: [join(root, 'test/electron/suite.ts')],
  outfile: join(outdir, 'suite.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['vscode'],
  logLevel: 'warning',
});

// The suite opens files of the examples; give it a copy so nothing in the repo changes.
const scratch = mkdtempSync(join(tmpdir(), 'nnmodel-electron-'));
const workspace = join(scratch, 'examples');
mkdirSync(workspace);
cpSync(join(root, 'examples'), workspace, { recursive: true });

let status = 0;
try {
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: join(outdir, 'suite.js'),
    vscodeExecutablePath: process.env.NNMODEL_VSCODE_EXECUTABLE || undefined,
    // An idle timeout for the download, so an unreachable server fails fast.
    timeout: 20_000,
    launchArgs: [workspace, '--disable-extensions', '--skip-welcome', '--skip-release-notes', '--disable-workspace-trust', '--user-data-dir', join(scratch, 'user-data')],
  });
} catch (e) {
  const msg = e instanceof Error ? e.message : String(e);
  if (/ENOTFOUND|ECONNREFUSED|EAI_AGAIN|ETIMEDOUT|ECONNRESET|timeout|timed out|getaddrinfo|download|fetch/i.test(msg)) {
    console.error(
      `test:electron: could not get VS Code (${msg}).\n` +
        'It downloads VS Code from Microsoft\'s update service, which this machine cannot reach.\n' +
        'Run `npm run test:e2e` (VS Code from npm via code-server) instead, or set NNMODEL_VSCODE_EXECUTABLE to a local VS Code.',
    );
  } else {
    console.error(`test:electron: failed: ${msg}`);
  }
  status = 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(status);
