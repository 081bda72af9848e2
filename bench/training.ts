/**
 * Training throughput (examples per second) of LeNet-5 on the synthetic
 * digits, one epoch at batch 64 with Adam, in three implementations on the
 * same data:
 * - ours: the model built from examples/lenet5.nnmodel and trained by the
 *   project's loop (core/runtime/train.ts) on the wasm backend with the
 *   project's kernels;
 * - the same network written by hand with stock tfjs-layers
 *   (`model.fit`) in the same runtime — it needs the project's
 *   Conv2DBackpropFilter kernel too: stock tfjs cannot train a conv net on
 *   wasm at all;
 * - PyTorch on the CPU (Debian's python3-torch), the faster of 2 and 1
 *   threads, when available.
 * Reported as ratios from one run; targets: ours ≥ 1× hand-written tfjs,
 * and within 2× of PyTorch.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tfTypes from '@tensorflow/tfjs';
import { analyze } from '../extension/core/analysis/analyze';
import { buildModel } from '../extension/core/runtime/build';
import { digits } from '../extension/core/runtime/data/synthetic';
import { registerTrainingKernels } from '../extension/core/runtime/kernels';
import { trainModel, type TrainData } from '../extension/core/runtime/train';
import type { BenchSection } from './registry';

type Tf = typeof tfTypes;
const BATCH = 64;
const PYTHON = '/usr/bin/python3';

export const trainingSection: BenchSection = {
  name: 'training',
  title: 'Training throughput: LeNet-5 on digits (examples/s, batch 64, Adam)',
  async run(ctx, report) {
    const req = createRequire(join(ctx.root, 'package.json'));
    let tf: Tf;
    try {
      tf = req('@tensorflow/tfjs') as Tf;
      req('@tensorflow/tfjs-backend-wasm');
    } catch {
      report.note('skipped: @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm are needed');
      return;
    }
    const warn = console.warn;
    console.warn = () => undefined;
    registerTrainingKernels(tf);
    await tf.setBackend('wasm');
    await tf.ready();
    console.warn = warn;

    const example = ctx.examples.find((e) => e.name.endsWith('lenet5.nnmodel'));
    if (!example) {
      report.note('skipped: examples/lenet5.nnmodel is missing');
      return;
    }
    const info = analyze(example.text, { uri: example.path }).models.find((m) => m.name === 'LeNet5');
    if (!info) {
      report.note('skipped: no LeNet5 model in examples/lenet5.nnmodel');
      return;
    }
    const count = ctx.quick ? 640 : 3200;
    const warm = 3 * BATCH;
    const set = digits({ samples: count + warm, size: 32, seed: 7 });
    const data: TrainData = { ...set, source: 'digits' };
    const all = Int32Array.from({ length: count + warm }, (_, i) => i);
    const config = { loss: 'crossentropy' as const, optimizer: { kind: 'adam' as const, lr: 1e-3 }, epochs: 1, batch: BATCH, validation: 0, metrics: [] };

    // ours
    ctx.progress('training: ours (nnmodel loop, wasm)');
    const built = buildModel(tf, info, { seed: 1 });
    await trainModel(tf, built.model, info, data, { config, split: { train: all.slice(0, warm), validation: [] } });
    let t0 = performance.now();
    await trainModel(tf, built.model, info, data, { config, split: { train: all.slice(warm), validation: [] } });
    const ours = count / ((performance.now() - t0) / 1000);

    // hand-written tfjs-layers
    ctx.progress('training: hand-written tfjs-layers (model.fit, wasm)');
    const hand = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [32, 32, 1], filters: 6, kernelSize: 5, activation: 'tanh' }),
        tf.layers.averagePooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'tanh' }),
        tf.layers.averagePooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 120, activation: 'tanh' }),
        tf.layers.dense({ units: 84, activation: 'tanh' }),
        tf.layers.dense({ units: 10, activation: 'softmax' }),
      ],
    });
    hand.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
    const xs = tf.tensor4d(set.xs, [count + warm, 32, 32, 1]);
    const ys = tf.tensor1d(Float32Array.from(set.ys), 'float32');
    const fit = async (from: number, n: number) => {
      const x = xs.slice(from, n);
      const y = ys.slice(from, n);
      await hand.fit(x, y, { batchSize: BATCH, epochs: 1, shuffle: true, verbose: 0 });
      tf.dispose([x, y]);
    };
    await fit(0, warm);
    t0 = performance.now();
    await fit(warm, count);
    const handRate = count / ((performance.now() - t0) / 1000);
    tf.dispose([xs, ys]);

    // PyTorch: 2 threads as measured in the notes, and 1, because OpenMP's two threads slow to a crawl when the other core is busy.
    ctx.progress('training: PyTorch (CPU, 2 and 1 threads)');
    let torchRate: number | undefined;
    let torchThreads = 0;
    let torchNote = '';
    const dir = mkdtempSync(join(tmpdir(), 'nnmodel-bench-'));
    try {
      const file = join(dir, 'digits.bin');
      writeFileSync(file, Buffer.concat([Buffer.from(set.xs.buffer, set.xs.byteOffset, set.xs.byteLength), Buffer.from(set.ys.buffer, set.ys.byteOffset, set.ys.byteLength)]));
      for (const threads of [2, 1]) {
        const r = spawnSync(PYTHON, [join(ctx.root, 'bench/train_lenet_torch.py'), file, String(count + warm), '32', String(threads)], { encoding: 'utf8', timeout: 600_000 });
        const line = r.stdout?.trim().split('\n').pop();
        if (r.status === 0 && line) {
          const rate = (JSON.parse(line) as { examples_per_s: number }).examples_per_s;
          if (torchRate === undefined || rate > torchRate) [torchRate, torchThreads] = [rate, threads];
        } else torchNote = `PyTorch not measured: ${(r.stderr || r.error?.message || 'no output').trim().split('\n').pop()}`;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const f = (x: number) => x.toFixed(0);
    const rows = [
      ['nnmodel (train.ts, wasm + project kernels)', f(ours), '1.00'],
      ['hand-written tfjs-layers model.fit (wasm + project kernels)', f(handRate), (ours / handRate).toFixed(2)],
    ];
    if (torchRate !== undefined) rows.push([`PyTorch CPU (best of 2 and 1 threads: ${torchThreads})`, f(torchRate), (ours / torchRate).toFixed(2)]);
    report.table(
      [
        { title: 'implementation', align: 'left' },
        { title: 'examples/s', align: 'right' },
        { title: 'ours ÷ this', align: 'right' },
      ],
      rows,
    );
    report.note(`${count} examples timed after ${warm} warm-up examples; one run, on a machine shared with other work.`);
    if (torchNote) report.note(torchNote);
    report.verdict(ours >= handRate * 0.95, `ours ≥ 1× hand-written tfjs-layers (${(ours / handRate).toFixed(2)}×, 5 % measurement slack)`);
    if (torchRate !== undefined) {
      const ratio = ours >= torchRate ? `${(ours / torchRate).toFixed(2)}× faster` : `${(torchRate / ours).toFixed(2)}× slower`;
      report.verdict(ours * 2 >= torchRate, `ours within 2× of PyTorch (ours is ${ratio})`);
    }
  },
};
