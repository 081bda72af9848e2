// Bundles the extension host, the CLI, the webview and the benchmark with esbuild.
//
//   node scripts/build.mjs            one production build (minified, external sourcemaps)
//   node scripts/build.mjs --dev      unminified, for debugging
//   node scripts/build.mjs --watch    rebuild on change (implies --dev)
//
// Entries whose source file does not exist yet are skipped with a note, so the
// build works while the project grows.
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const args = new Set(process.argv.slice(2));
const watch = args.has('--watch');
const dev = watch || args.has('--dev');

/**
 * The extension host must stay light: it analyses text and never runs models,
 * so a run-time import of TensorFlow.js there is a bug (tfjs lives in the
 * webview and the CLI). Type-only imports are erased before this runs.
 */
const noTfjsInHost = {
  name: 'no-tfjs-in-extension-host',
  setup(build) {
    build.onResolve({ filter: /^@tensorflow\// }, (a) => ({
      errors: [
        {
          text: `'${a.path}' imported by ${relative(root, a.importer)} would bundle TensorFlow.js into the extension host; use 'import type' or move the code to the webview/CLI`,
        },
      ],
    }));
  },
};

const common = {
  bundle: true,
  sourcemap: dev ? 'inline' : 'linked',
  sourcesContent: dev,
  minify: !dev,
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
};

/** @type {Array<{ name: string, src: string, options: import('esbuild').BuildOptions }>} */
const targets = [
  {
    name: 'extension',
    src: 'extension/extension.ts',
    options: {
      outfile: 'dist/extension.js',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode'],
      plugins: [noTfjsInHost],
    },
  },
  {
    // Everything, tfjs included, is bundled so the CLI runs from the VSIX or the
    // npm package with no node_modules. The tfjs platform code probes for
    // optional Node modules at run time; those stay unresolved requires.
    name: 'cli',
    src: 'extension/cli/main.ts',
    options: {
      outfile: 'dist/cli.js',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode', 'node-fetch'],
    },
  },
  {
    name: 'webview',
    src: 'webview/main.ts',
    options: {
      outfile: 'dist/webview.js',
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
      loader: { '.css': 'css', '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file' },
    },
  },
  {
    // The inspector's training worker (webview/training/worker.ts): its own tfjs, so a run leaves the page's thread free.
    name: 'trainWorker',
    src: 'webview/training/worker.ts',
    options: {
      outfile: 'dist/trainWorker.js',
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
    },
  },
  {
    // The graph view's ELK layout worker (webview/layoutWorker.ts): a slow layout leaves the page's thread free.
    name: 'layoutWorker',
    src: 'webview/layoutWorker.ts',
    options: {
      outfile: 'dist/layoutWorker.js',
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
    },
  },
  {
    name: 'bench',
    src: 'bench/bench.ts',
    options: {
      outfile: 'dist/bench.js',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode', 'node-fetch'],
    },
  },
];

mkdirSync(dist, { recursive: true });
copyWasm();

const active = targets.filter((t) => {
  if (existsSync(join(root, t.src))) return true;
  console.log(`build: skipping ${t.name} (${t.src} does not exist yet)`);
  return false;
});

if (watch) {
  for (const t of active) {
    const ctx = await esbuild.context({
      ...common,
      ...t.options,
      entryPoints: [join(root, t.src)],
      absWorkingDir: root,
      plugins: [...(t.options.plugins ?? []), watchReporter(t.name)],
    });
    await ctx.watch();
  }
  console.log('build: watching for changes (Ctrl-C to stop)');
} else {
  const started = Date.now();
  const results = await Promise.allSettled(
    active.map((t) =>
      esbuild.build({ ...common, ...t.options, entryPoints: [join(root, t.src)], absWorkingDir: root }),
    ),
  );
  let failed = false;
  results.forEach((r, i) => {
    const t = active[i];
    if (r.status === 'rejected') {
      failed = true;
      console.error(`build: ${t.name} FAILED`);
      return;
    }
    const out = join(root, t.options.outfile);
    console.log(`build: ${t.name.padEnd(9)} → ${relative(root, out)} (${kib(statSync(out).size)})`);
  });
  if (failed) process.exit(1);
  console.log(`build: done in ${Date.now() - started} ms${dev ? ' (dev)' : ''}`);
}

function watchReporter(name) {
  return {
    name: 'report',
    setup(build) {
      build.onEnd((r) => {
        const when = new Date().toLocaleTimeString();
        console.log(`[${when}] ${name}: ${r.errors.length ? `${r.errors.length} error(s)` : 'rebuilt'}`);
      });
    },
  };
}

/**
 * The wasm backend loads its .wasm binaries at run time by URL/path, so they
 * must sit beside the bundles (the webview points `setWasmPaths` at dist/).
 */
function copyWasm() {
  const require = createRequire(join(root, 'package.json'));
  let pkgDir;
  try {
    pkgDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  } catch {
    return;
  }
  const from = join(pkgDir, 'dist');
  const wasm = readdirSync(from).filter((f) => f.endsWith('.wasm'));
  for (const f of wasm) copyFileSync(join(from, f), join(dist, f));
  if (wasm.length) console.log(`build: copied ${wasm.join(', ')} → dist/`);
}

function kib(n) {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(1)} KiB`;
}
