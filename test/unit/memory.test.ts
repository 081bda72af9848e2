// Activation memory: every layer's output, plus what a layer keeps inside
// itself for the backward pass (attention's heads × seq_q × seq_k weights,
// its queries, keys, values and weighted values; docs/language.md, Memory).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../fixtures/cli';
import { analyze } from '../../extension/core/analysis/analyze';
import { Sym, product } from '../../extension/core/analysis/sym';
import { formatBytes, internalActivations, summaryRows, trainingMemory } from '../../extension/core/analysis/summary';
import type { Graph, ModelInfo } from '../../extension/core/analysis/types';
import { getLayer } from '../../extension/core/layers';
import { reviveModel, serializeModel } from '../../extension/core/protocol';
import { layerHoverMarkdown, modelHoverMarkdown, summaryMarkdown } from '../../extension/vscode/pure/text';
import { GPT2_SMALL, LENET5 } from '../fixtures/contract';

const seq = Sym.atom('seq');

function only(src: string): ModelInfo {
  const a = analyze(src);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error'), []);
  assert.equal(a.models.length, 1);
  return a.models[0];
}

/** Elements of every layer output, over every repeat: the activations before attention's own term was counted. */
function outputsOnly(g: Graph): Sym {
  let s = Sym.ZERO;
  for (const n of g.nodes) {
    if (n.kind === 'layer') s = s.add(product(n.shape.dims));
    else if (n.kind === 'group') for (const r of n.runs) s = s.add(outputsOnly(r.body).mul(r.count));
  }
  return s;
}

const at = (x: Sym, n: number) => x.evaluate({ seq: n });

test('GPT-2 small: the activations add 12 layers × 12 heads × seq² attention weights (576 MiB at seq 1024) and Q, K, V, A·V', () => {
  const m = only(GPT2_SMALL);
  const outputs = outputsOnly(m.graph).mul(4);
  assert.ok(outputs.equals(seq.mul(803_140)), `the layer outputs alone: ${outputs}`);
  const weights = seq.mul(seq).mul(12 * 12 * 4);
  const qkv = seq.mul(768).mul(4 * 12 * 4);
  assert.ok(m.memory.activationBytes.equals(outputs.add(weights).add(qkv)), m.memory.activationBytes.toString());
  assert.equal(at(m.memory.activationBytes, 1024)! - at(outputs, 1024)!, 12 * 12 * 1024 * 1024 * 4 + 12 * 4 * 1024 * 768 * 4);
  assert.equal(at(weights, 1024), 576 * 1024 * 1024, '576 MiB of attention weights at seq 1024');
  // Symbolic: the quadratic term shows.
  assert.equal(formatBytes(m.memory.activationBytes), '576·seq² + 950,596·seq B');
  // The Adam estimate keeps 2 copies of every activation per example.
  assert.ok(trainingMemory(m, 32).equals(m.memory.paramBytes.mul(4).add(m.memory.activationBytes.mul(64))));
  const inside = internalActivations(m);
  assert.deepEqual(inside.ops, ['attention']);
  assert.ok(inside.bytes.equals(weights.add(qkv)), inside.bytes.toString());
});

test('models without attention or recurrent layers keep the figures they had', () => {
  const lenet = only(LENET5);
  assert.ok(lenet.memory.activationBytes.equals(60_048), lenet.memory.activationBytes.toString());
  assert.ok(lenet.memory.activationBytes.equals(outputsOnly(lenet.graph).mul(4)));
  assert.deepEqual(internalActivations(lenet), { bytes: Sym.ZERO, ops: [] });
  // The character LSTM adds what its lstm(256) keeps at every step (memory-recurrent.test.ts): 7·256 floats a character.
  const lstm = analyze(readFileSync(join(process.cwd(), 'examples', 'char_lstm.nnmodel'), 'utf8')).models[0];
  assert.ok(lstm.memory.activationBytes.equals(seq.mul(1792 + 7 * 256 * 4)), lstm.memory.activationBytes.toString());
  assert.ok(internalActivations(lstm).bytes.equals(seq.mul(7 * 256 * 4)));
  for (const [file, bytes] of [
    ['resnet18.nnmodel', Sym.of(32_925_504)],
    ['tcn_waves.nnmodel', seq.mul(4228)],
    ['unet_small.nnmodel', Sym.of(7_225_344)],
  ] as const) {
    const a = analyze(readFileSync(join(process.cwd(), 'examples', file), 'utf8'));
    const m = a.models[0];
    assert.ok(m.memory.activationBytes.equals(bytes), `${file}: ${m.memory.activationBytes}`);
    assert.ok(m.memory.activationBytes.equals(outputsOnly(m.graph).mul(4)), file);
  }
  assert.match(summaryMarkdown(lenet, 32), /^- Activations for one example: 58\.6 KiB$/m);
  assert.match(modelHoverMarkdown(lenet, 32), /activations per example: 58\.6 KiB  \n/);
});

test('cross-attention keeps seq_q × seq_k weights; dropout on them adds its mask and the dropped weights', () => {
  const m = only(`model Cross {
  input x: [tgt, 64]
  input mem: [src, 32]
  output x -> attention(4, key_dim = 8, context = mem)
}
`);
  const tgt = Sym.atom('tgt');
  const src = Sym.atom('src');
  // Output [tgt, 64]; weights [4, tgt, src]; queries and A·V [tgt, 32]; keys and values [src, 32].
  const expected = tgt.mul(64).add(tgt.mul(src).mul(4)).add(tgt.mul(64)).add(src.mul(64)).mul(4);
  assert.ok(m.memory.activationBytes.equals(expected), m.memory.activationBytes.toString());

  const plain = only('model P {\n  input x: [seq, 64]\n  output x -> attention(4)\n}\n');
  const dropped = only('model D {\n  input x: [seq, 64]\n  output x -> attention(4, dropout = 0.1)\n}\n');
  assert.ok(dropped.memory.activationBytes.sub(plain.memory.activationBytes).equals(seq.mul(seq).mul(2 * 4 * 4)));
});

test('the attention hover shows its weights as heads × seq² × 4 B, beside the output', () => {
  const a = analyze(GPT2_SMALL);
  const site = a.sites.find((s) => s.kind === 'layer' && s.name === 'attention')!;
  const md = layerHoverMarkdown(site, getLayer('attention'));
  assert.match(md, /Activations per example: \*\*48·seq² \+ 15,360·seq B\*\*/);
  assert.match(md, /· output \[seq, 768\]: 768·seq × 4 B/);
  assert.match(md, /· attention weights \[12, seq, seq\]: 12·seq² × 4 B/);
  assert.match(md, /· queries, keys, values, weighted values \[seq, 768\]: 4 × 768·seq × 4 B/);

  // A sum is one factor: `(64·seq + 64) × 4 B`, not `64·seq + 64 × 4 B` (which reads as 64·seq + 256 bytes).
  const cls = analyze('model C {\n  input x: [seq, 64]\n  output x -> cls_token -> attention(4)\n}\n');
  const clsMd = layerHoverMarkdown(cls.sites.find((s) => s.kind === 'layer' && s.name === 'attention')!, getLayer('attention'));
  assert.match(clsMd, /· output \[seq \+ 1, 64\]: \(64·seq \+ 64\) × 4 B/);
  assert.match(clsMd, /· attention weights \[4, seq \+ 1, seq \+ 1\]: \(4·seq² \+ 8·seq \+ 4\) × 4 B/);

  const fixed = analyze(GPT2_SMALL.replace('int[seq]', 'int[1024]'));
  const s2 = fixed.sites.find((s) => s.kind === 'layer' && s.name === 'attention')!;
  assert.match(layerHoverMarkdown(s2, getLayer('attention')), /· attention weights \[12, 1024, 1024\]: 12,582,912 × 4 B = 48\.0 MiB/);
  const whole = fixed.models[0];
  assert.equal(formatBytes(whole.memory.activationBytes), '1.5 GiB');
  assert.match(modelHoverMarkdown(whole, 32), /activations per example: 1\.5 GiB, of which 720\.0 MiB inside attention layers/);

  // Other layers' hovers have no memory line.
  const dense = a.sites.find((s) => s.kind === 'layer' && s.name === 'dense')!;
  assert.doesNotMatch(layerHoverMarkdown(dense, getLayer('dense')), /Activations/);
});

test("the summary's attention row counts its own term; the model's totals say how much is inside attention", () => {
  const m = only(GPT2_SMALL);
  const rows = summaryRows(m);
  const attn = rows.find((r) => r.op === 'attention')!;
  assert.ok(attn.internalBytes.equals(seq.mul(seq).mul(48).add(seq.mul(12_288))), attn.internalBytes.toString());
  assert.ok(attn.activationBytes.equals(seq.mul(768 * 4).add(attn.internalBytes)));
  const dense = rows.find((r) => r.op === 'dense')!;
  assert.ok(dense.internalBytes.equals(0));
  assert.match(summaryMarkdown(m, 32), /Activations for one example: 576·seq² \+ 950,596·seq B, of which 576·seq² \+ 147,456·seq B inside attention layers/);
});

test('the attention term survives the trip to the webview', () => {
  const m = only(GPT2_SMALL);
  const revived = reviveModel(JSON.parse(JSON.stringify(serializeModel(m))));
  assert.ok(internalActivations(revived).bytes.equals(internalActivations(m).bytes));
  const row = summaryRows(revived).find((r) => r.op === 'attention')!;
  assert.ok(row.internalBytes.equals(seq.mul(seq).mul(48).add(seq.mul(12_288))));
});

test('nnmodel summary: the activations say how much is inside attention layers, in text and in --json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-memory-'));
  try {
    writeFileSync(join(dir, 'gpt2.nnmodel'), GPT2_SMALL);
    writeFileSync(join(dir, 'lenet.nnmodel'), LENET5);
    const run = async (...argv: string[]) => {
      const { code, out } = await runCli(dir, ...argv);
      assert.equal(code, 0);
      return out;
    };
    assert.match(await run('summary', 'gpt2.nnmodel', '--dim', 'seq=1024'), /^Activations \(one example\):\s+1\.5 GiB, of which 720\.0 MiB inside attention layers$/m);
    assert.match(await run('summary', 'gpt2.nnmodel'), /^Activations \(one example\):\s+576·seq² \+ 950,596·seq B, of which 576·seq² \+ 147,456·seq B inside attention layers$/m);
    assert.match(await run('summary', 'lenet.nnmodel'), /^Activations \(one example\):\s+58\.6 KiB$/m);
    const json = JSON.parse(await run('summary', 'gpt2.nnmodel', '--json', '--dim', 'seq=1024')).models[0].memory;
    assert.equal(json.activationBytes, 576 * 1024 * 1024 + 950_596 * 1024);
    assert.equal(json.activationBytesInsideLayers, 12 * (12 * 1024 * 1024 + 4 * 768 * 1024) * 4);
    const lenet = JSON.parse(await run('summary', 'lenet.nnmodel', '--json')).models[0].memory;
    assert.equal(lenet.activationBytes, 60_048);
    assert.equal(lenet.activationBytesInsideLayers, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('formatBytes goes up to EiB and groups the digits beyond it', () => {
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(5 * 2 ** 50), '5.0 PiB');
  assert.equal(formatBytes(3 * 2 ** 60), '3.0 EiB');
  // GPT-2 small's training estimate at seq = 99,999,999,999 (what --dim let through before it was bounded).
  assert.equal(formatBytes(12345.67 * 2 ** 60), '12,345.7 EiB');
});
