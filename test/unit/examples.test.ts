// The examples a user opens first must analyse cleanly and show the figures
// of their PyTorch equivalents (test/reference/figures.json, written by
// test/reference/make_figures.py) and the contract's worked figures.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import { format } from '../../extension/core/syntax/format';
import { shapeToString, type Sym } from '../../extension/core/analysis/sym';
import type { Analysis, GraphNode, LayerNode, ModelInfo } from '../../extension/core/analysis/types';
import { nnmodelFiles } from '../fixtures/examples';

const root = process.cwd();
const examplesDir = join(root, 'examples');

interface Figure {
  file: string;
  model: string;
  symbols: Record<string, number>;
  trainable: number;
  nonTrainable: number;
  macs: number;
  output: string;
}

const figures = (JSON.parse(readFileSync(join(root, 'test/reference/figures.json'), 'utf8')) as { models: Figure[] })
  .models;

const exampleFiles = nnmodelFiles(examplesDir);

function readImport(fromUri: string | undefined, path: string): { uri: string; text: string } | undefined {
  const uri = resolve(fromUri ? dirname(fromUri) : examplesDir, path);
  return existsSync(uri) ? { uri, text: readFileSync(uri, 'utf8') } : undefined;
}

const analyses = new Map<string, Analysis>();
function analysisOf(file: string): Analysis {
  let a = analyses.get(file);
  if (!a) {
    const uri = join(examplesDir, file);
    a = analyze(readFileSync(uri, 'utf8'), { uri, readImport });
    analyses.set(file, a);
  }
  return a;
}

/** Models declared in the file itself (not brought in by an import). */
function ownModels(file: string): ModelInfo[] {
  const uri = join(examplesDir, file);
  return analysisOf(file).models.filter((m) => m.uri === undefined || m.uri === uri);
}

function model(file: string, name: string): ModelInfo {
  const m = analysisOf(file).models.find((x) => x.name === name);
  assert.ok(m, `${file} has no model ${name}`);
  return m;
}

function num(s: Sym, env: Record<string, number> = {}): number | undefined {
  return s.evaluate(env);
}

/** Layer nodes of a graph in order, descending into blocks and repeats. */
function layers(nodes: readonly GraphNode[]): LayerNode[] {
  const out: LayerNode[] = [];
  for (const n of nodes) {
    if (n.kind === 'layer') out.push(n);
    else if (n.kind === 'group') for (const run of n.runs) out.push(...layers(run.body.nodes));
  }
  return out;
}

test('every example is in the canonical layout: Format Document leaves it as it is', () => {
  for (const f of exampleFiles) {
    const text = readFileSync(join(examplesDir, f), 'utf8');
    assert.equal(format(text), text, `${f} is not in the canonical layout (run \`nnmodel format examples/${f}\`)`);
  }
});

test('there are examples, and every one has reference figures', () => {
  assert.ok(exampleFiles.length >= 10, `only ${exampleFiles.length} examples`);
  for (const f of exampleFiles) {
    assert.ok(
      figures.some((x) => x.file === f),
      `${f} has no entry in test/reference/figures.json`,
    );
  }
  for (const fig of figures) assert.ok(exampleFiles.includes(fig.file), `figures.json names a missing ${fig.file}`);
});

describe('every example analyses without errors', () => {
  for (const file of exampleFiles) {
    test(file, () => {
      const a = analysisOf(file);
      const errors = a.diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(
        errors.map((d) => `${d.code} ${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`),
        [],
      );
      const own = ownModels(file);
      assert.ok(own.length > 0, `${file} declares no model`);
      for (const m of own) {
        assert.equal(m.hasErrors, false, `${m.name} reported hasErrors`);
        assert.ok(
          figures.some((x) => x.file === file && x.model === m.name),
          `${file}: model ${m.name} has no reference figure`,
        );
      }
    });
  }
});

describe('figures match the PyTorch references', () => {
  for (const fig of figures) {
    test(`${fig.file} ${fig.model}`, () => {
      const m = model(fig.file, fig.model);
      const env = fig.symbols;
      assert.deepEqual([...m.symbols].sort(), Object.keys(env).sort(), 'symbolic dimensions');
      assert.equal(num(m.params.trainable, env), fig.trainable, 'trainable parameters');
      assert.equal(num(m.params.nonTrainable, env), fig.nonTrainable, 'non-trainable parameters');
      assert.equal(num(m.params.total, env), fig.trainable + fig.nonTrainable, 'total parameters');
      assert.equal(num(m.macs, env), fig.macs, `MACs at ${JSON.stringify(env)}`);
      assert.equal(m.outputs.length, 1);
      assert.equal(shapeToString(m.outputs[0].shape), fig.output, 'output shape');
    });
  }
});

describe('contract worked figures', () => {
  test('LeNet-5: per-layer shapes, parameters and MACs', () => {
    const m = model('lenet5.nnmodel', 'LeNet5');
    const shaped = layers(m.graph.nodes).filter((n) => ['conv2d', 'avgpool', 'flatten', 'dense'].includes(n.op));
    assert.deepEqual(
      shaped.map((n) => shapeToString(n.shape)),
      ['[28, 28, 6]', '[14, 14, 6]', '[10, 10, 16]', '[5, 5, 16]', '[400]', '[120]', '[84]', '[10]'],
    );
    const weighted = layers(m.graph.nodes).filter((n) => (num(n.params.trainable) ?? 0) > 0);
    assert.deepEqual(
      weighted.map((n) => num(n.params.trainable)),
      [156, 2416, 48120, 10164, 850],
    );
    assert.deepEqual(
      weighted.map((n) => num(n.macs)),
      [117600, 240000, 48000, 10080, 840],
    );
    assert.equal(m.params.trainable.value, 61706);
    assert.equal(m.params.nonTrainable.value, 0);
    assert.equal(m.macs.value, 416520);
    assert.equal(shapeToString(m.outputs[0].shape), '[10]');
  });

  test('GPT-2 small: 124 439 808 parameters, output [seq, 50257]', () => {
    const m = model('gpt2_small.nnmodel', 'GPT2Small');
    assert.equal(m.params.trainable.value, 124439808);
    assert.equal(shapeToString(m.outputs[0].shape), '[seq, 50257]');
    // MACs stay a formula in seq: 12 blocks of 12·seq·d² + 2·seq²·d, plus the tied projection.
    assert.equal(m.macs.value, undefined);
    const d = 768;
    for (const seq of [1, 64, 1024]) {
      assert.equal(num(m.macs, { seq }), 12 * (12 * seq * d * d + 2 * seq * seq * d) + seq * d * 50257);
    }
  });

  test('ResNet-18: 11 689 512 parameters and 1 814 073 344 MACs, as torchvision', () => {
    const m = model('resnet18.nnmodel', 'ResNet18');
    assert.equal(m.params.trainable.value, 11689512);
    assert.equal(m.macs.value, 1814073344);
    assert.equal(shapeToString(m.outputs[0].shape), '[1000]');
  });
});

describe('train sections', () => {
  const expected: Record<string, string | string[]> = {
    'lenet5.nnmodel': 'LeNet5',
    'vgg_small.nnmodel': 'VGGSmall',
    'char_lstm.nnmodel': 'CharLSTM',
    'gpt_small.nnmodel': 'GPTSmall',
    'vit.nnmodel': 'ViTSmall',
    'tcn_waves.nnmodel': 'TCN',
    'mlp_fruit.nnmodel': 'FruitMLP',
    // Two sections: the plain and the residual stack train side by side.
    'deep_signals.nnmodel': ['PlainDeep', 'ResidualDeep'],
    // GANs: the section trains the generator against the discriminator it names.
    'gan_digits.nnmodel': 'Generator',
    'dcgan.nnmodel': 'Generator',
    // Diffusion: the section trains the noise predictor (loss: denoise).
    'diffusion_digits.nnmodel': 'DigitDiffusion',
    'diffusion_unet.nnmodel': 'DiffusionUNet',
    // Masked language modelling (mask: 0.15) on text.
    'bert_tiny.nnmodel': 'BertTiny',
  };
  for (const [file, modelName] of Object.entries(expected)) {
    test(`${file} trains ${modelName}, on data that exists`, () => {
      const trains = analysisOf(file).trains;
      assert.deepEqual(
        trains.map((t) => t.model),
        [modelName].flat(),
      );
      const data = trains[0].config.data;
      assert.ok(data, 'train section has data');
      if (data.kind === 'text' || data.kind === 'csv' || data.kind === 'images') {
        assert.ok(existsSync(join(examplesDir, data.path)), `${data.path} is missing`);
      }
    });
  }

  test('the masked language model has an embedding row for [MASK] past every character of tiny.txt, and an encoder', () => {
    const a = analysisOf('bert_tiny.nnmodel');
    assert.equal(a.trains[0].config.mask, 0.15);
    assert.equal(a.trains[0].config.data?.kind, 'text');
    const chars = new Set(readFileSync(join(examplesDir, 'data/tiny.txt'), 'utf8')).size;
    const all = layers(model('bert_tiny.nnmodel', 'BertTiny').graph.nodes);
    const emb = all.find((n) => n.op === 'embedding');
    // The unknown token (0), the characters (1 … chars), then [MASK].
    assert.ok(typeof emb?.args.vocab === 'number' && emb.args.vocab >= chars + 2, `${chars} characters, vocabulary ${String(emb?.args.vocab)}`);
    assert.ok(all.some((n) => n.op === 'attention') && all.every((n) => n.op !== 'attention' || n.args.causal !== true), 'attention that sees both sides');
    assert.deepEqual(a.diagnostics.filter((d) => d.code.startsWith('train.')), []);
  });

  test('LeNet-5 trains on digits padded to its 32×32 input', () => {
    const data = analysisOf('lenet5.nnmodel').trains[0].config.data;
    assert.equal(data?.kind, 'digits');
    assert.equal(data?.options.size, 32);
  });

  test('the character models have room for every character of tiny.txt', () => {
    const chars = new Set(readFileSync(join(examplesDir, 'data/tiny.txt'), 'utf8')).size;
    for (const [file, name] of [
      ['char_lstm.nnmodel', 'CharLSTM'],
      ['gpt_small.nnmodel', 'GPTSmall'],
    ] as const) {
      const emb = layers(model(file, name).graph.nodes).find((n) => n.op === 'embedding');
      assert.ok(emb, `${name} has an embedding`);
      const vocab = emb.args.vocab;
      assert.equal(typeof vocab, 'number');
      assert.ok(chars <= (vocab as number), `${name}: ${chars} characters, vocabulary ${String(vocab)}`);
      const outDim = model(file, name).outputs[0].shape.dims.at(-1);
      assert.equal(outDim?.value, vocab, `${name} predicts over its vocabulary`);
    }
  });
});
