/**
 * How long TensorFlow.js takes to build the example models with the runtime
 * builder, beside the analysis time of the same file: the analysis runs on
 * every keystroke, a build only when a model is inspected or trained.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { analyze } from '../extension/core/analysis/analyze';
import { formatCompact } from '../extension/core/analysis/sym';
import type { ModelInfo } from '../extension/core/analysis/types';
import { buildModel } from '../extension/core/runtime/build';
import { importReader } from '../extension/cli/files';
import type { BenchContext, BenchSection } from './registry';
import { measure, ms } from './stats';

/** Random initialisation of more weights than this takes many seconds; it is not timed for such models. */
const RANDOM_INIT_LIMIT = 20_000_000;
/** Value given to symbolic dimensions when the parameter count depends on them. */
const SYMBOLIC_VALUE = 64;

type Tf = typeof tfTypes;

/**
 * tfjs is loaded from node_modules at run time rather than bundled: the wasm
 * backend must register into the very tfjs-core instance the model uses.
 */
async function loadBackends(ctx: BenchContext): Promise<{ tf: Tf; backends: string[] } | string> {
  const req = createRequire(join(ctx.root, 'package.json'));
  let tf: Tf;
  try {
    tf = req('@tensorflow/tfjs') as Tf;
  } catch {
    return '@tensorflow/tfjs is not installed';
  }
  const backends = ['cpu'];
  try {
    req('@tensorflow/tfjs-backend-wasm');
    backends.push('wasm');
  } catch {
    // optional
  }
  return { tf, backends };
}

export const tfjsBuildSection: BenchSection = {
  name: 'build',
  title: 'TensorFlow.js model build (runtime builder) vs analysis',
  async run(ctx, report) {
    const loaded = await loadBackends(ctx);
    if (typeof loaded === 'string') {
      report.note(`skipped: ${loaded}`);
      return;
    }
    const { tf, backends } = loaded;
    const readImport = importReader(ctx.root);
    const models: { file: string; model: ModelInfo }[] = [];
    for (const e of ctx.examples) {
      const run = () => analyze(e.text, { uri: e.path, readImport });
      // Normally measured by the analysis section; measured here when that section was left out (--only build).
      if (!ctx.results.has(`analysis:${e.name}`)) ctx.results.set(`analysis:${e.name}`, measure(run, { warmup: 3, minRuns: 10, targetMs: 200 }));
      for (const m of run().models) models.push({ file: e.name, model: m });
    }
    const cells = new Map<string, Map<string, string>>();
    const cell = (key: string, column: string, text: string) => {
      const row = cells.get(key) ?? new Map<string, string>();
      row.set(column, text);
      cells.set(key, row);
    };
    const notes = new Set<string>();
    const randomBackend = backends.includes('wasm') ? 'wasm' : undefined;
    for (const backend of backends) {
      try {
        if (!(await tf.setBackend(backend))) throw new Error('setBackend returned false');
        await tf.ready();
      } catch (err) {
        notes.add(`${backend}: unavailable (${(err as Error).message})`);
        continue;
      }
      for (const { file, model } of models) {
        const key = `${file}#${model.name}`;
        if (model.hasErrors) {
          cell(key, backend, 'has errors');
          continue;
        }
        const total = model.params.total;
        const symbolicDims = total.isConst() ? undefined : Object.fromEntries(model.symbols.map((s) => [s, SYMBOLIC_VALUE]));
        if (symbolicDims) notes.add(`symbolic dimensions set to ${SYMBOLIC_VALUE} where parameter counts depend on them`);
        const analysis = ctx.results.get(`analysis:${file}`);
        const ratio = (t: number) => (analysis ? ` (×${Math.round(t / analysis.median).toLocaleString('en-US')})` : '');
        ctx.progress(`build (${backend}, zero weights): ${key}`);
        try {
          const st = measure(
            () => buildModel(tf, model, { seed: 0, initializer: 'zeros', symbolicDims }).model.dispose(),
            ctx.quick ? { warmup: 0, minRuns: 1, maxRuns: 1 } : { warmup: 1, minRuns: 3, maxRuns: 5, targetMs: 0 },
          );
          ctx.results.set(`build-${backend}:${key}`, st);
          cell(key, backend, `${ms(st.median)}${ratio(st.median)}`);
        } catch (err) {
          cell(key, backend, `failed: ${firstLine(err)}`);
          continue;
        }
        if (backend !== randomBackend) continue;
        const count = total.evaluate(symbolicDims ?? {}) ?? 0;
        if (count > RANDOM_INIT_LIMIT) {
          cell(key, 'random', `– (over ${formatCompact(RANDOM_INIT_LIMIT)})`);
          continue;
        }
        ctx.progress(`build (${backend}, random weights): ${key}`);
        try {
          const t0 = performance.now();
          buildModel(tf, model, { seed: 0, initializer: 'random', symbolicDims }).model.dispose();
          const t = performance.now() - t0;
          cell(key, 'random', `${ms(t)}${ratio(t)}`);
        } catch (err) {
          cell(key, 'random', `failed: ${firstLine(err)}`);
        }
      }
    }
    const rows = models.map(({ file, model }) => {
      const key = `${file}#${model.name}`;
      const analysis = ctx.results.get(`analysis:${file}`);
      return [
        file,
        model.name,
        formatCompact(model.params.total),
        analysis ? ms(analysis.median) : '–',
        ...backends.map((b) => cells.get(key)?.get(b) ?? '–'),
        ...(randomBackend ? [cells.get(key)?.get('random') ?? '–'] : []),
      ];
    });
    report.table(
      [
        { title: 'file', align: 'left' },
        { title: 'model', align: 'left' },
        { title: 'params', align: 'right' },
        { title: 'analyse ms', align: 'right' },
        ...backends.map((b) => ({ title: `build ms, ${b}`, align: 'right' as const })),
        ...(randomBackend ? [{ title: `build ms, ${randomBackend}, random init`, align: 'right' as const }] : []),
      ],
      rows,
    );
    report.note(
      [
        'analyse = parse + analysis of the whole file (median). build = buildModel() then dispose: with zero weights',
        '(graph and weight allocation; median of 3–5 after a warm-up) and, once, with the random initialisers a user',
        'gets. (×N) = build time / analysis time.',
      ].join('\n'),
    );
    if (!randomBackend) {
      notes.add('random initialisation is timed on the wasm backend only (the cpu backend\'s orthogonal initialiser takes minutes for an LSTM); install @tensorflow/tfjs-backend-wasm to see it');
    }
    for (const n of notes) report.note(n);
  },
};

function firstLine(err: unknown): string {
  return ((err as Error)?.message ?? String(err)).split('\n')[0].slice(0, 80);
}
