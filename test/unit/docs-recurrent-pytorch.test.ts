// docs/language.md says how the recurrent layers' counts differ from PyTorch's
// and from Keras's in Python, the two a practitioner checks them against. The
// figures it states must be what the analysis counts plus what the export
// reports as PyTorch's extra parameters: `nn.RNN` has two biases too (the page
// named only LSTM and GRU), and Keras's default GRU (`reset_after = true`)
// has PyTorch's count, not ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import { exportPyTorch } from '../../extension/core/export/pytorch';

const page = readFileSync(join(process.cwd(), 'docs/language.md'), 'utf8');
/** The catalogue's note on rnn / lstm / gru, one line. */
const note = (/^- \*\*rnn \/ lstm \/ gru\*\*[^]*?(?=\n- |\n\n)/m.exec(page)?.[0] ?? '').replace(/\s+/g, ' ');

/** Our trainable count and PyTorch's (ours plus the export's noted difference) for one layer on [10, c]. */
function counts(layer: string, c: number): { ours: number; torch: number } {
  const a = analyze(`model M {\n  input x: [10, ${c}]\n  output x -> ${layer}\n}\n`, { uri: 'm.nnmodel' });
  const ours = a.models[0].params.trainable.value!;
  const r = exportPyTorch(a, { sourceName: 'm.nnmodel' });
  assert.ok(r.ok);
  return { ours, torch: ours + r.notes.reduce((s, n) => s + n.trainableDelta, 0) };
}

test('the recurrent note states PyTorch\'s extra biases for rnn, lstm and gru as the export counts them', () => {
  assert.ok(note.length > 0, 'the rnn / lstm / gru note of the catalogue');
  const units = 7;
  for (const [layer, label, factor] of [['rnn', 'RNN', ''], ['lstm', 'LSTM', '4·'], ['gru', 'GRU', '3·']] as const) {
    const { ours, torch } = counts(`${layer}(${units})`, 5);
    assert.equal(torch - ours, (factor === '' ? 1 : Number(factor[0])) * units, layer);
    assert.ok(note.includes(`\`${factor}units\` (${label})`), `the note states ${factor}units for ${label}: ${note}`);
  }
});

test('the worked lstm figure and Keras\'s reset_after GRU count are what the analysis and the export give', () => {
  const lstm = counts('lstm(64)', 32);
  assert.ok(note.includes(`${lstm.ours.toLocaleString('en-US')} here, ${lstm.torch.toLocaleString('en-US')} in PyTorch`), note);
  assert.match(note, /`reset_after = true`[^.]*`3·units·\(c \+ units \+ 2\)`/);
  // That formula is PyTorch's nn.GRU count: ours (+ 1) and the noted 3·units.
  const [u, c] = [6, 4];
  assert.equal(counts(`gru(${u})`, c).torch, 3 * u * (c + u + 2));
});
