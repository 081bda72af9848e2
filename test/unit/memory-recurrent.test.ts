// Activation memory of recurrent layers: besides its output, a recurrent layer keeps what the backward pass needs
// at every step. The analysis counts what PyTorch's autograd saves for nn.RNN, nn.LSTM and nn.GRU (measured here
// with torch.autograd.graph.saved_tensors_hooks, parameters and the layer's input left out): (seq + 1)·units,
// 7·seq·units and 6·seq·units, twice that bidirectional.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { analyze } from '../../extension/core/analysis/analyze';
import { internalActivations } from '../../extension/core/analysis/summary';

const PYTHON = process.env.NNMODEL_TORCH_PYTHON ?? '/usr/bin/python3';

const CASES = [
  { op: 'rnn', seq: 10, features: 8, units: 16, bidirectional: false },
  { op: 'lstm', seq: 10, features: 8, units: 16, bidirectional: false },
  { op: 'gru', seq: 7, features: 5, units: 12, bidirectional: false },
  { op: 'lstm', seq: 6, features: 4, units: 8, bidirectional: true },
  { op: 'gru', seq: 5, features: 3, units: 4, bidirectional: true },
  { op: 'rnn', seq: 9, features: 3, units: 5, bidirectional: true },
] as const;

/** Bytes the analysis counts inside the one recurrent layer of a model on [seq, features]. */
function ours(c: (typeof CASES)[number], returnSequences: boolean): number {
  const a = analyze(`model M {\n  input x: [${c.seq}, ${c.features}]\n  output x -> ${c.op}(${c.units}, return_sequences = ${returnSequences}, bidirectional = ${c.bidirectional})\n}\n`);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const inside = internalActivations(a.models[0]);
  assert.deepEqual(inside.ops, [c.op]);
  return inside.bytes.value!;
}

test('a recurrent layer counts the per-step tensors PyTorch saves for the backward pass, with or without return_sequences', () => {
  for (const c of CASES) assert.equal(ours(c, true), ours(c, false), `${c.op}: the same steps are kept either way`);
  assert.equal(ours(CASES[1], true), 7 * 10 * 16 * 4, 'lstm(16) over 10 steps: 7·seq·units floats');
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.log(`PYTORCH SAVED-TENSORS CHECK SKIPPED: ${PYTHON} cannot import torch. Install Debian's python3-torch.`);
    return;
  }
  const script = [
    'import json, sys, torch',
    'from torch import nn',
    'out = []',
    'for c in json.loads(sys.argv[1]):',
    '    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[c["op"]]',
    '    m = cls(c["features"], c["units"], batch_first=True, bidirectional=c["bidirectional"])',
    '    x = torch.randn(1, c["seq"], c["features"], requires_grad=True)',
    '    skip = {p.data_ptr() for p in m.parameters()} | {x.data_ptr()}',
    '    seen, total = set(), [0]',
    '    def pack(t):',
    '        key = (t.data_ptr(), tuple(t.shape), t.stride())',
    '        if t.data_ptr() not in skip and key not in seen:',
    '            seen.add(key)',
    '            total[0] += t.numel() * t.element_size()',
    '        return t',
    '    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):',
    '        m(x)',
    '    out.append(total[0])',
    'print(json.dumps(out))',
  ].join('\n');
  const run = spawnSync(PYTHON, ['-c', script, JSON.stringify(CASES)], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  const torchBytes = JSON.parse(run.stdout) as number[];
  CASES.forEach((c, i) => assert.equal(ours(c, true), torchBytes[i], `${c.op}(${c.units}${c.bidirectional ? ', bidirectional' : ''}) on [${c.seq}, ${c.features}]`));
});
