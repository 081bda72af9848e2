// The attention view's Tokens panel in the real VS Code (code-server), on a tiny transformer trained by the CLI on
// a text with `tokenizer = bpe`: the merges the checkpoint saved, in order with their counts (20 first, 20 more on
// a click), the typed text split into those tokens (ids on hover), and the nearest tokens of a picked one by cosine
// similarity of the trained embedding's rows, read back from the checkpoint here to check the list.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { e2eTest, env, poll, type Workbench } from './harness';
import { decodeWeights, type ModelJson } from '../../extension/core/runtime/checkpoint';
import { asTokenizerSpec, bpeTokenizer, trainBpe } from '../../extension/core/runtime/tokenizers';
import { nearestRows, similarityText } from '../../webview/views/tokensModel';

const VOCAB = 120;
const DIM = 16;
const TINY_BPE = `model TinyBpe {
  input tokens: int[seq]
  wte = embedding(${VOCAB}, ${DIM})
  output tokens -> wte -> attention(2, causal = true) -> dense(${VOCAB}) -> softmax
}

train TinyBpe {
  data: text("tiny.txt", tokenizer = bpe, vocab = ${VOCAB}, context = 16)
  loss: crossentropy
  optimizer: adam(lr = 1e-2)
  epochs: 2
  batch: 32
}
`;
const CHECKPOINT = '.nnmodel/tiny_bpe/TinyBpe';

/** `s` with spaces and line breaks made visible, as the panel shows symbols. */
const visible = (s: string) => s.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥');

async function openAttention(wb: Workbench, file: string): Promise<Frame> {
  await wb.openFile(file);
  await wb.runCommand('nnmodel: Open Inspector');
  const frame = await wb.step('inspector webview', () => wb.webviewFrame('#nn-backend', 90_000));
  await wb.step('weights from disk', () =>
    poll('the inspector to load the epoch-2 checkpoint', async () => (await frame.locator('body').getAttribute('data-trained-epoch')) === '2', {
      timeout: 90_000,
      seen: async () => `${await frame.locator('body').getAttribute('data-trained-epoch')} | ${await frame.locator('#nn-message').innerText()}`,
    }),
  );
  await frame.locator('vscode-tab-header[data-tab="attention"]').click();
  await poll('the attention panel', () => frame.locator('#nn-panel-attention').isVisible());
  return frame;
}

e2eTest('a model trained with tokenizer = bpe lists its merges in order with counts, splits the typed text into its tokens, and lists nearest tokens by embedding', {
  files: {
    '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2),
    'tiny.txt': readFileSync(join(env.repo, 'examples/data/tiny.txt'), 'utf8'),
    'tiny_bpe.nnmodel': TINY_BPE,
  },
  timeout: 300_000,
}, async (wb) => {
  // The checkpoint, written by the CLI before the window looks at the folder: it holds the tokeniser and the weights.
  const r = spawnSync(process.execPath, [join(env.repo, 'dist/cli.js'), 'train', wb.path('tiny_bpe.nnmodel')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(wb.readFile(`${CHECKPOINT}/model.json`)) as ModelJson;
  const spec = asTokenizerSpec(json.nnmodel.data?.tokenizer);
  assert.ok(spec?.kind === 'bpe', 'the checkpoint holds the BPE');
  const { merges, counts } = spec.model;
  assert.ok(counts && counts.length === merges.length, 'with a count per merge');
  assert.ok(merges.length > 40, `${merges.length} merges: more than two pages`);
  const bpe = bpeTokenizer(spec.model);

  const frame = await openAttention(wb, 'tiny_bpe.nnmodel');
  const panel = frame.locator('#nn-panel-attention section.nn-tok');
  await wb.step('the tokens panel', () => panel.waitFor({ timeout: 60_000 }));

  // The merges: the first 20 in the order learned, each pair → its symbol with its count; a click shows 20 more.
  const rows = panel.locator('tr.nn-bpe-merge');
  const readRows = () =>
    rows.evaluateAll((els) =>
      els.map((e) => ({
        rank: Number(e.getAttribute('data-rank')),
        count: Number(e.getAttribute('data-count')),
        symbols: [...e.querySelectorAll('.nn-bpe-sym')].map((s) => s.textContent ?? ''),
        countText: e.querySelector('.nn-bpe-count')?.textContent ?? '',
      })),
    );
  const expectRows = (n: number) =>
    merges.slice(0, n).map(([l, rt], i) => ({ rank: i + 1, count: counts[i], symbols: [visible(l), visible(rt), visible(l + rt)], countText: counts[i].toLocaleString('en-US') }));
  assert.deepEqual(await readRows(), expectRows(20));
  assert.equal((await panel.locator('summary.nn-bpe-title').innerText()).trim(), `Learned merges, in order (${merges.length})`);
  const more = panel.locator('button.nn-bpe-more');
  assert.equal((await more.innerText()).trim(), `Show 20 more (20 of ${merges.length} shown)`);
  await more.click();
  await poll('40 merges', async () => (await rows.count()) === 40);
  assert.deepEqual(await readRows(), expectRows(40));
  // Counts never grow from one merge to the next: each step took the most frequent pair left.
  for (let i = 1; i < counts.length; i++) assert.ok(counts[i] <= counts[i - 1], `count ${i}`);

  // The typed text split into the BPE's tokens: the pieces give the text back, each with its id on hover.
  const typed = 'the cat and the hen';
  const box = frame.locator('input.nn-attn-text');
  await wb.step('type a text', async () => {
    await box.click();
    await box.fill('');
    await box.pressSequentially(typed);
  });
  const pieces = panel.locator('.nn-tok-text .nn-tok-piece');
  const ids = bpe.encode(typed);
  assert.ok(ids.length < typed.length, 'merges made some tokens longer than a character');
  await wb.step('tokens of the typed text', () =>
    poll(`the tokens of '${typed}'`, async () => (await pieces.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')).join(' '))) === ids.join(' '), {
      seen: () => pieces.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-id')}:${e.textContent}`).join(' ')),
    }),
  );
  const shown = await pieces.evaluateAll((els) => els.map((e) => ({ text: e.textContent ?? '', title: e.getAttribute('title') ?? '' })));
  assert.equal(shown.map((p) => p.text).join(''), visible(typed));
  assert.deepEqual(
    shown.map((p) => p.title),
    ids.map((id) => `id ${id}: “${visible(bpe.tokens([id])[0])}”`),
  );

  // Nearest tokens of a picked one: the trained embedding's rows (from the checkpoint's weights), ids of the tokeniser only.
  const weightsFile = json.weightsManifest[0].paths[0];
  const values = decodeWeights(json, new Uint8Array(readFileSync(wb.path(`${CHECKPOINT}/${weightsFile}`))));
  const tables = [...values.values()].flat().filter((w) => w.shape.length === 2 && w.shape[0] === VOCAB && w.shape[1] === DIM);
  assert.equal(tables.length, 1, 'one embedding table in the checkpoint');
  const pick = ids.findIndex((id) => bpe.tokens([id])[0].length > 1);
  assert.ok(pick >= 0);
  await pieces.nth(pick).click();
  const near = panel.locator('ol.nn-tok-nearest li.nn-tok-neighbour');
  await wb.step('nearest tokens', () => poll('8 nearest tokens', async () => (await near.count()) === 8, { seen: () => panel.innerText() }));
  // Never the unknown token (id 0): its row stands for no piece of text.
  const expected = nearestRows(tables[0].values, VOCAB, DIM, ids[pick], 8, bpe.vocabSize, [0]);
  const got = await near.evaluateAll((els) => els.map((e) => ({ id: Number(e.getAttribute('data-id')), similarity: Number(e.getAttribute('data-similarity')) })));
  assert.deepEqual(got.map((n) => n.id), expected.map((n) => n.id));
  for (const [i, n] of got.entries()) assert.ok(Math.abs(n.similarity - expected[i].similarity) < 1e-5, `similarity ${i}`);
  assert.ok(got.every((n) => n.id < bpe.vocabSize && n.id !== ids[pick] && n.id !== 0));
  assert.match(await panel.locator('.nn-tok-near-title').innerText(), new RegExp(`^Nearest to “${visible(bpe.tokens([ids[pick]])[0])}” \\(id ${ids[pick]}\\)`));
  assert.deepEqual(await near.locator('.nn-tok-neighbour-sim').allTextContents(), expected.map((n) => similarityText(n.similarity)));
  assert.deepEqual(await near.locator('.nn-tok-neighbour-text').allTextContents(), expected.map((n) => visible(bpe.tokens([n.id])[0])));
  await panel.scrollIntoViewIfNeeded();
  await wb.screenshot('tokens-panel');

  // Characters outside the vocabulary: the CLI's warning line, and the unknown token (id 0) cannot be picked for nearest tokens.
  const odd = 'the 4 €';
  await wb.step('type a text with unknown characters', async () => {
    await box.fill('');
    await box.pressSequentially(odd);
  });
  const oddIds = bpe.encode(odd);
  assert.equal(oddIds.filter((id) => id === 0).length, 2, 'tiny.txt has neither "4" nor "€"');
  await poll(`the tokens of '${odd}'`, async () => (await pieces.evaluateAll((els) => els.map((e) => e.getAttribute('data-id')).join(' '))) === oddIds.join(' '), { seen: () => panel.innerText() });
  assert.equal(
    (await panel.locator('.nn-tok-unknown-note').innerText()).trim(),
    'The text has 2 characters not in the vocabulary of the training text: "4", "€"; the model reads each as the unknown token.',
  );
  assert.equal(await panel.locator('button.nn-tok-piece[data-id="0"]').count(), 0, 'no nearest tokens for the unknown token');
  assert.equal(await panel.locator('span.nn-tok-piece[data-id="0"]').count(), 2);
  assert.equal(await panel.locator('button.nn-tok-piece').count(), oddIds.length - 2, 'the known tokens can still be picked');
  await box.fill('');
  await box.pressSequentially('the cat');
  await poll('the warning gone with the unknown characters', () => panel.locator('.nn-tok-unknown-note').isHidden());
});

e2eTest('before training, a tokenizer = bpe model says where its merges come from; Train Model in the editor then lists them with their counts', {
  files: {
    '.vscode/settings.json': JSON.stringify({ 'nnmodel.backend': 'wasm' }, null, 2),
    'tiny.txt': readFileSync(join(env.repo, 'examples/data/tiny.txt'), 'utf8'),
    'tiny_bpe.nnmodel': TINY_BPE,
  },
  timeout: 420_000,
}, async (wb) => {
  await wb.openFile('tiny_bpe.nnmodel');
  await wb.runCommand('nnmodel: Open Inspector');
  const frame = await wb.step('inspector webview', () => wb.webviewFrame('#nn-backend', 90_000));
  await frame.locator('vscode-tab-header[data-tab="attention"]').click();
  const panel = frame.locator('#nn-panel-attention section.nn-tok');
  await wb.step('the note before training', () => panel.locator('.nn-bpe-none').waitFor({ timeout: 90_000 }));
  assert.match(await panel.locator('.nn-bpe-none').innerText(), /learns a byte-pair encoding from its text: train the model/);
  assert.equal(await panel.locator('tr.nn-bpe-merge').count(), 0);
  // Untrained weights: the typed text's tokens are shown, but cannot be picked for nearest tokens.
  assert.equal(await panel.locator('button.nn-tok-piece').count(), 0);
  assert.ok((await panel.locator('span.nn-tok-piece').count()) > 0);
  assert.match(await panel.innerText(), /The embedding holds its initial random rows/);
  assert.match(await panel.locator('.nn-tok-detail').innerText(), /^\d+ tokens \(by character: the BPE is learned in training\) · hover a token for its id$/);

  await wb.runCommand('nnmodel: Train Model');
  await wb.step('trained weights in the inspector', () =>
    poll('the epoch-2 weights', async () => (await frame.locator('body').getAttribute('data-trained-epoch')) === '2', {
      timeout: 300_000,
      interval: 1000,
      seen: async () => `${await frame.locator('body').getAttribute('data-trained-epoch')} | ${await wb.notificationText()}`,
    }),
  );
  await frame.locator('vscode-tab-header[data-tab="attention"]').click();
  const rows = panel.locator('tr.nn-bpe-merge');
  await wb.step('the merges after training', () => poll('20 merges listed', async () => (await rows.count()) === 20, { timeout: 60_000, seen: () => panel.innerText() }));
  // The same merges and counts as the checkpoint the run wrote (and as training the BPE on the file gives).
  const json = JSON.parse(wb.readFile(`${CHECKPOINT}/model.json`)) as ModelJson;
  const spec = asTokenizerSpec(json.nnmodel.data?.tokenizer);
  assert.ok(spec?.kind === 'bpe' && spec.model.counts);
  const expected = trainBpe(readFileSync(wb.path('tiny.txt'), 'utf8'), VOCAB).model;
  assert.deepEqual(spec.model, expected);
  const got = await rows.evaluateAll((els) => els.map((e) => [Number(e.getAttribute('data-rank')), Number(e.getAttribute('data-count'))]));
  assert.deepEqual(got, expected.counts!.slice(0, 20).map((c, i) => [i + 1, c]));
  assert.equal(await panel.locator('.nn-bpe-none').count(), 0);
  assert.match(await panel.locator('.nn-tok-detail').innerText(), /^\d+ tokens \(BPE\) · /);
  assert.ok((await panel.locator('button.nn-tok-piece').count()) > 0, 'tokens can be picked once the embedding is trained');
});
