import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { buildModel, type BuiltModel } from '../../extension/core/runtime/build';
import {
  CheckpointError,
  analysisSignature,
  applyCheckpoint,
  checkpointFit,
  checkpointDir,
  encodeCheckpoint,
  graphSignature,
  loadWeightsNotice,
  matchSignature,
  readCheckpoint,
  writeBestCheckpoint,
  writeCheckpoint,
  type CheckpointFs,
} from '../../extension/core/runtime/checkpoint';
import { nodeCheckpointFs } from '../../extension/cli/trainJob';
import { useCpuBackend } from '../fixtures/tfjs';
import { nnmodelFiles } from '../fixtures/examples';

let dir: string;
useCpuBackend();
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'nnmodel-ckpt-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const NET = (hidden: number, extra = '') => `model Net {
  input x: [6]
  output x -> dense(${hidden}) -> relu${extra} -> dense(3) -> softmax
}
`;

function build(text: string, seed: number): BuiltModel {
  const a = analyze(text);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return buildModel(tf, a.models[0], { seed });
}

const weightsOf = (b: BuiltModel) => b.model.getWeights().map((w) => Array.from(w.dataSync()));

async function save(b: BuiltModel, to: string, epoch: number, fs: CheckpointFs = nodeCheckpointFs()): Promise<void> {
  await writeCheckpoint(fs, to, await encodeCheckpoint(b, { model: 'Net', epoch, history: [] }));
}

test('a checkpoint written and read back restores every weight into a fresh model', async () => {
  const a = build(NET(8), 1);
  const target = join(dir, 'roundtrip');
  await save(a, target, 1);
  const files = readdirSync(target).sort();
  assert.equal(files.length, 2);
  assert.equal(files[0], 'model.json');
  assert.match(files[1], /^weights-e1-[0-9a-f]{8}\.bin$/);
  const b = build(NET(8), 2);
  assert.notDeepEqual(weightsOf(b), weightsOf(a), 'another seed gives other weights');
  const ck = await readCheckpoint(nodeCheckpointFs(), target);
  assert.equal(ck.modelJson.format, 'layers-model');
  assert.equal(ck.modelJson.weightsManifest[0].paths[0], files[1]);
  const r = applyCheckpoint(tf, b, ck.modelJson, ck.weights);
  assert.deepEqual([r.loaded, r.problems], [2, []]);
  assert.deepEqual(weightsOf(b), weightsOf(a));
});

test('a new checkpoint replaces the old one and removes its weights file', async () => {
  const target = join(dir, 'replace');
  const m = build(NET(8), 1);
  await save(m, target, 1);
  m.model.layers[1].setWeights(m.model.layers[1].getWeights().map((w) => tf.mul(w, 2)));
  await save(m, target, 2);
  const files = readdirSync(target);
  assert.equal(files.filter((f) => f.endsWith('.bin')).length, 1, files.join(', '));
  const ck = await readCheckpoint(nodeCheckpointFs(), target);
  assert.equal(ck.modelJson.nnmodel.epoch, 2);
});

/** A file system that fails at the n-th call of one operation, after doing part of it. */
function crashing(op: 'writeFile' | 'rename', when: (path: string) => boolean): CheckpointFs {
  const real = nodeCheckpointFs();
  return {
    ...real,
    async writeFile(p, d) {
      if (op === 'writeFile' && when(p)) {
        // Half the bytes reach the disk, then the process "dies".
        writeFileSync(p, d.subarray(0, d.length >> 1));
        throw new Error('simulated crash while writing');
      }
      return real.writeFile(p, d);
    },
    async rename(a, b) {
      if (op === 'rename' && when(b)) throw new Error('simulated crash before the rename');
      return real.rename(a, b);
    },
  };
}

for (const [what, fs] of [
  ['while writing the weights', crashing('writeFile', (p) => p.includes('weights-'))],
  ['while writing model.json', crashing('writeFile', (p) => p.includes('model.json'))],
  ['between the weights and the model.json switch', crashing('rename', (p) => p.endsWith('model.json'))],
] as const) {
  test(`a crash ${what} leaves the previous checkpoint loadable`, async () => {
    const target = join(dir, `crash-${what.replace(/\W+/g, '-')}`);
    const good = build(NET(8), 1);
    await save(good, target, 1);
    const changed = build(NET(8), 5);
    await assert.rejects(save(changed, target, 2, fs), /simulated crash/);
    const ck = await readCheckpoint(nodeCheckpointFs(), target);
    assert.equal(ck.modelJson.nnmodel.epoch, 1);
    const fresh = build(NET(8), 9);
    applyCheckpoint(tf, fresh, ck.modelJson, ck.weights);
    assert.deepEqual(weightsOf(fresh), weightsOf(good));
    // The next good save tidies the leftovers away.
    await save(changed, target, 2);
    assert.deepEqual(readdirSync(target).filter((f) => f.includes('.tmp-') || (f.endsWith('.bin') && !f.startsWith('weights-e2-'))), []);
  });
}

test('a write that fails (disk full) removes what it wrote: no temporary file, no weights model.json does not name', async () => {
  const target = join(dir, 'full');
  const good = build(NET(8), 1);
  await save(good, target, 1);
  const before = readdirSync(target).sort();
  // The disk fills up during model.json (after the weights went in), and, for a first checkpoint, during its weights.
  const full = crashing('writeFile', (p) => p.includes('model.json'));
  await assert.rejects(save(build(NET(8), 5), target, 2, full), /simulated crash/);
  assert.deepEqual(readdirSync(target).sort(), before, 'the folder as it was');
  assert.equal((await readCheckpoint(nodeCheckpointFs(), target)).modelJson.nnmodel.epoch, 1);
  const first = join(dir, 'full-first');
  await assert.rejects(save(good, first, 1, crashing('writeFile', (p) => p.includes('weights-'))), /simulated crash/);
  assert.deepEqual(readdirSync(first), []);
  await assert.rejects(save(good, first, 1, crashing('rename', (p) => p.endsWith('model.json'))), /simulated crash/);
  assert.deepEqual(readdirSync(first), [], 'no model.json: the weights placed for it go too');
  // The best checkpoint the same way.
  const ck = await encodeCheckpoint(good, { model: 'Net', epoch: 2, history: [{ epoch: 2, epochs: 2, loss: 1, valLoss: 0.5, metrics: {}, examples: 8, ms: 1 }] });
  await assert.rejects(writeBestCheckpoint(crashing('writeFile', (p) => p.includes('best.json')), target, ck), /simulated crash/);
  assert.deepEqual(readdirSync(target).sort(), before);
});

test('a FIFO, a device or a folder in place of a checkpoint file is refused at once, never waited on (as data files are)', { skip: process.platform === 'win32', timeout: 10_000 }, async () => {
  const target = join(dir, 'special');
  await save(build(NET(4), 1), target, 1);
  const fs = nodeCheckpointFs();
  const bin = readdirSync(target).find((f) => f.startsWith('weights-'))!;
  rmSync(join(target, bin));
  symlinkSync('/dev/zero', join(target, bin));
  const refused = (file: string) => (e: unknown) => e instanceof CheckpointError && e.message === `${target}/${file}: cannot be read (not a regular file: a folder, FIFO or device); the checkpoint is damaged.`;
  await assert.rejects(readCheckpoint(fs, target), refused(bin));
  rmSync(join(target, 'model.json'));
  execFileSync('mkfifo', [join(target, 'model.json')]);
  await assert.rejects(readCheckpoint(fs, target), refused('model.json'));
  rmSync(join(target, 'model.json'));
  mkdirSync(join(target, 'model.json'));
  await assert.rejects(readCheckpoint(fs, target), refused('model.json'));
});

test('a damaged or missing checkpoint is an error naming the file', async () => {
  const target = join(dir, 'damaged');
  await save(build(NET(4), 1), target, 1);
  const bin = readdirSync(target).find((f) => f.endsWith('.bin'))!;
  const fs = nodeCheckpointFs();
  const bytes = await fs.readFile(join(target, bin));
  bytes[10] ^= 0xff;
  writeFileSync(join(target, bin), bytes);
  await assert.rejects(readCheckpoint(fs, target), (e: unknown) => e instanceof CheckpointError && e.message.includes(bin) && /checksum/.test(e.message));
  writeFileSync(join(target, 'model.json'), '{ not json');
  await assert.rejects(readCheckpoint(fs, target), /model\.json: is not valid JSON/);
  await assert.rejects(readCheckpoint(fs, join(dir, 'nothing')), /no checkpoint here/);
});

test('a checkpoint switched by a training while it is read is read again, not called damaged; a file missing for good still is', async () => {
  const target = join(dir, 'switched');
  await save(build(NET(4), 1), target, 1);
  const real = nodeCheckpointFs();
  // The reader has read model.json of epoch 1; before it reads the weights, a training writes epoch 2 (and removes epoch 1's).
  let swapped = 0;
  const racing: CheckpointFs = {
    ...real,
    readFile: async (p) => {
      if (/weights-e1-/.test(p) && swapped++ === 0) await save(build(NET(4), 2), target, 2);
      return real.readFile(p);
    },
  };
  const ck = await readCheckpoint(racing, target, { optimizer: true });
  assert.equal(swapped, 1);
  assert.equal(ck.modelJson.nnmodel.epoch, 2);
  // Gone with model.json unchanged: damage, said at once.
  const bin = readdirSync(target).find((f) => f.startsWith('weights-'))!;
  rmSync(join(target, bin));
  await assert.rejects(readCheckpoint(real, target), (e: unknown) => e instanceof CheckpointError && e.message === `${target}/${bin}: missing; the checkpoint is damaged.`);
});

test('a checkpoint looked for under the unsanitised name names the folder training wrote', async () => {
  const source = join(dir, 'sp ace dir', 'le net.nnmodel');
  const target = checkpointDir(source, 'Le Net5');
  assert.ok(target.endsWith('/sp ace dir/.nnmodel/le_net/Le_Net5'), target);
  await save(build(NET(4), 1), target, 1);
  const fs = nodeCheckpointFs();
  const asWritten = join(dir, 'sp ace dir', '.nnmodel', 'le net', 'Le Net5');
  await assert.rejects(readCheckpoint(fs, asWritten), (e: unknown) => {
    const m = e instanceof CheckpointError ? e.message : '';
    assert.ok(m.startsWith(`${asWritten}/model.json: no checkpoint here; ${target} has one (`), m);
    assert.match(m, /every character other than a letter, a digit, '_', '\.' or '-' is '_'/);
    return true;
  });
  // Only a folder that holds one is named.
  await assert.rejects(readCheckpoint(fs, join(dir, 'sp ace dir', '.nnmodel', 'le net', 'Other')), /Other\/model\.json: no checkpoint here \(train the model first\)\.$/);
});

test('loading into a changed model says which layers no longer fit and loads the rest', async () => {
  const target = join(dir, 'changed');
  const old = build(NET(8), 1);
  await save(old, target, 3);
  const ck = await readCheckpoint(nodeCheckpointFs(), target);
  const wider = build(NET(10), 2);
  const lastBefore = Array.from(wider.model.layers[wider.model.layers.length - 2].getWeights()[1].dataSync());
  const r = applyCheckpoint(tf, wider, ck.modelJson, ck.weights);
  assert.equal(r.loaded, 0, 'both dense layers changed shape (8→10 units, and 8→10 inputs)');
  assert.equal(r.problems.length, 2);
  assert.match(r.problems[0], /^dense\(10\) \(line 3\) no longer fits: the checkpoint has kernel \[6, 8\], bias \[8\], the model now has kernel \[6, 10\], bias \[10\]/);
  assert.deepEqual(Array.from(wider.model.layers[wider.model.layers.length - 2].getWeights()[1].dataSync()), lastBefore, 'unfit layers keep their weights');
  // An inserted layer renumbers the paths after it; same-op layers still pair up in order.
  const deeper = build(NET(8, ' -> dense(8) -> relu'), 2);
  const r2 = applyCheckpoint(tf, deeper, ck.modelJson, ck.weights);
  assert.equal(r2.loaded, 2);
  assert.deepEqual(r2.problems.length, 1);
  assert.match(r2.problems[0], /dense\(8\) \(line 3\) is not in the checkpoint; it keeps its initial weights/);
  const first = (b: BuiltModel) => Array.from(b.model.layers[1].getWeights()[0].dataSync());
  assert.deepEqual(first(deeper), first(old));
});

test('signatures list op and weight shapes per layer path; shared layer objects once', () => {
  const text = `model Tied {
  input t: int[5]
  wte = embedding(7, 4)
  output t -> wte -> layernorm -> unembed(wte) -> softmax
}
`;
  const sig = graphSignature(build(text, 1));
  assert.deepEqual(
    sig.map((s) => [s.op, s.weights.map((w) => w.shape)]),
    [
      ['embedding', [[7, 4]]],
      ['layernorm', [[4], [4]]],
    ],
  );
  assert.deepEqual(matchSignature(sig, sig).problems, []);
});

test('checkpointDir follows the setting, with <file> and <model> filled in', () => {
  assert.equal(checkpointDir('/w/ex/lenet5.nnmodel', 'LeNet5'), '/w/ex/.nnmodel/lenet5/LeNet5');
  assert.equal(checkpointDir('/w/ex/a b.nnmodel', 'M', 'ckpt/<model>-<file>'), '/w/ex/ckpt/M-a_b');
  assert.equal(checkpointDir('/w/ex/x.nnmodel', 'M', '/abs/<model>'), '/abs/M');
});

test('analysisSignature gives the signature graphSignature reads from the built model, without building', async () => {
  const { readFileSync } = await import('node:fs');
  const root = join(__dirname, '..', '..', 'examples');
  const seen: string[] = [];
  for (const f of nnmodelFiles(root)) {
    const a = analyze(readFileSync(join(root, f), 'utf8'));
    if (a.diagnostics.some((d) => d.severity === 'error')) continue;
    for (const m of a.models) {
      let built: BuiltModel;
      try {
        built = buildModel(tf, m, { seed: 1 });
      } catch {
        continue;
      }
      const strip = (sig: ReturnType<typeof graphSignature>) => sig.map((s) => ({ path: s.path, op: s.op, label: s.label, line: s.line, shapes: s.weights.map((w) => w.shape) }));
      assert.deepEqual(strip(analysisSignature(m)), strip(graphSignature(built)), `${f} ${m.name}`);
      built.model.dispose();
      seen.push(`${f}:${m.name}`);
    }
  }
  assert.ok(seen.length >= 10, `compared ${seen.length} models`);
});

test('Load Weights warns, naming the partial load, when a checkpoint fits the changed model only in part', async () => {
  const old = build(NET(8), 1);
  const saved = graphSignature(old);
  const now = analysisSignature(analyze(NET(4)).models[0]);
  const fit = checkpointFit(saved, now);
  assert.deepEqual([fit.loaded, fit.total], [0, 2]);
  const partial = loadWeightsNotice('Net', 'best', 10, fit);
  assert.equal(partial.severity, 'warning');
  assert.match(partial.text, /^Net: 0 of 2 layers loaded from the best weights \(lowest val_loss\) of epoch 10: dense\(4\) \(line 3\) no longer fits: /);
  assert.match(partial.text, /dense\(3\) \(line 3\) no longer fits: .*it keeps its initial weights\.$/);
  // One more layer after the first: the first still loads.
  const deeper = analysisSignature(analyze(NET(8, ' -> dense(8)')).models[0]);
  assert.match(loadWeightsNotice('Net', 'last', 3, checkpointFit(saved, deeper)).text, /^Net: 2 of 3 layers loaded from the weights of epoch 3: /);
  const all = loadWeightsNotice('Net', 'last', 3, checkpointFit(saved, analysisSignature(analyze(NET(8)).models[0])));
  assert.deepEqual(all, { severity: 'info', text: 'Loaded the weights of epoch 3 into Net; the inspector shows them.' });
  old.model.dispose();
});
