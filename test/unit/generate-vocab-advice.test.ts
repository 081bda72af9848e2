// Generate Text warns when a language model has more outputs than its training text has tokens, and says how to
// match them. For a model that ends with unembed(wte) (weight tying, as examples/gpt_small.nnmodel does) the
// advice used to be "End the model with dense(50)", which would undo the tying: the size comes from the embedding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../fixtures/cli';
import { analyze } from '../../extension/core/analysis/analyze';
import { outputSizeAdvice } from '../../extension/core/runtime/dataFit';

const TIED = `model Tied {
  input chars: int[seq]
  wte = embedding(16, 8)
  output chars -> wte -> dense(8) -> layernorm -> unembed(wte) -> softmax
}

train Tied {
  data: text("corpus.txt", tokenizer = char, context = 8)
  optimizer: adam(lr = 1e-2)
  epochs: 1
  batch: 16
  validation: 0
}
`;

function model(src: string) {
  const a = analyze(src);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  return a.models[0];
}

test('the advice names the embedding for a tied output, dense(n) otherwise', () => {
  assert.equal(outputSizeAdvice(model(TIED), 14), 'Declare wte = embedding(14, 8) to match: unembed(wte) outputs one value per row of wte.');
  const plain = model('model P {\n  input t: int[seq]\n  output t -> embedding(16, 8) -> dense(16) -> dropout(0.1) -> softmax\n}\n');
  assert.equal(outputSizeAdvice(plain, 14), 'End the model with dense(14) to match.');
});

test('nnmodel generate on a tied language model with room to spare advises resizing the embedding, not adding dense', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nnmodel-vocab-advice-'));
  try {
    writeFileSync(join(dir, 'lm.nnmodel'), TIED);
    writeFileSync(join(dir, 'corpus.txt'), 'the cat sat on the mat. the rat ate the hat.\n'.repeat(4));
    const trained = await runCli(dir, 'train', 'lm.nnmodel');
    assert.equal(trained.code, 0, trained.err);
    const { code, err } = await runCli(dir, 'generate', 'lm.nnmodel', '--prompt', 'the', '--tokens', '2');
    assert.equal(code, 0, err);
    // 13 characters and the unknown token: 14 tokens for 16 outputs.
    assert.equal(
      err,
      "warning: Tied outputs 16 values per position, but its tokeniser has 14 tokens (the char vocabulary of its training text): ids 14 to 15 have no text and are never sampled. Declare wte = embedding(14, 8) to match: unembed(wte) outputs one value per row of wte.\n",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
