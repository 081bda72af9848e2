// The inspector ran a symbolic dimension nothing sizes at the sample size (16) whatever the layers need: a raw-audio
// 1-D CNN (a 20-sample kernel at stride 4, then pooling and a 3-wide kernel) has no output at 16 samples. It now raises
// such a size to the least the layers accept (the rule the PyTorch export's demo uses), and says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyze } from '../../extension/core/analysis/analyze';
import { ModelSession, SAMPLE_DIM } from '../../webview/host/session';
import { runDimsText } from '../../webview/views/featureMapsModel';
import { useCpuBackend } from '../fixtures/tfjs';

useCpuBackend();

const AUDIO = `model Audio {
  input wave: [n, 1]
  output wave -> conv1d(4, 20, stride = 4) -> maxpool(4) -> conv1d(4, 3) -> global_avgpool -> dense(2)
}
`;

test('a symbolic length the layers need longer than the sample size runs at the least they accept, and the status says why', async () => {
  const info = analyze(AUDIO).models[0];
  const s = ModelSession.create(tf, info, { seed: 1 });
  try {
    // conv1d(4, 20, stride = 4): ⌊(n − 20) / 4⌋ + 1; maxpool(4) of it; conv1d(4, 3) needs 3 of those: n = 64.
    assert.deepEqual(s.dims, { n: 64 });
    assert.deepEqual(s.dimSources, { n: 'least' });
    assert.deepEqual(s.dimReasons, { n: 'the least length conv1d(4, 3) at line 3 accepts' });
    const [x] = s.sampleInputs();
    assert.deepEqual(x.shape, [1, 64, 1]);
    await s.forward([x]);
    x.dispose();
    assert.equal(runDimsText(s.dims, s.dimSources, s.dimReasons), 'n = 64: the least length conv1d(4, 3) at line 3 accepts');
  } finally {
    s.dispose();
  }
  // A model that runs at the sample size keeps it.
  const cnn = analyze('model C {\n  input wave: [n, 1]\n  output wave -> conv1d(4, 3) -> global_avgpool\n}\n').models[0];
  const plain = ModelSession.create(tf, cnn, { seed: 1 });
  assert.deepEqual(plain.dims, { n: SAMPLE_DIM });
  assert.deepEqual(plain.dimSources, { n: 'sample' });
  plain.dispose();
  // A size the editor gives is kept, even where it is too short: the run's error says so, as it did.
  const given = ModelSession.create(tf, info, { seed: 1, givenDims: { n: 32 }, givenSources: { n: 'given' } });
  assert.deepEqual(given.dims, { n: 32 });
  given.dispose();
});
