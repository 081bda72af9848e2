// Bundles each test/unit/*.test.ts with esbuild and runs them with node's test runner.
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// A folder per run: two runs at once (several terminals, CI and a developer) must not delete each other's files.
const outdir = join(root, '.test-out', `unit-${process.pid}`);
rmSync(outdir, { recursive: true, force: true });
process.on('exit', () => rmSync(outdir, { recursive: true, force: true }));
const filter = process.argv[2];
const entries = readdirSync(join(root, 'test/unit'))
  .filter((f) => f.endsWith('.test.ts') && (!filter || f.includes(filter)))
  .map((f) => join(root, 'test/unit', f));
await build({
  entryPoints: entries,
  outdir,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['@tensorflow/*', 'vscode'],
  logLevel: 'warning',
});
const files = readdirSync(outdir).filter((f) => f.endsWith('.test.js')).map((f) => join(outdir, f));
const r = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(r.status ?? 1);
