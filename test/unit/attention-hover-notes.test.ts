// What a student of the transformer notes reads in the hover of one attention call (core/layers/attention.ts
// `notes`): its heads and their size, its MACs split into the projections (linear in the length) and the
// scores Q·Kᵀ and A·V (one product per query and key: quadratic), and what its mask does. Before these
// notes the hover of `attention(heads, causal = true)` gave one formula, `1,536·seq² + 2,359,296·seq`,
// said nothing of `causal` and showed the signature's default `causal = false`.
// Also: positional(learned, maxlen = N) too short for its sequence offers the maxlen that fits.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { getLayer } from '../../extension/core';
import { nodeAtRange } from '../../extension/core/analysis/weights';
import { compactField, fieldAt } from '../../extension/core/analysis/receptive';
import { layerHoverMarkdown } from '../../extension/vscode/pure/text';
import { applyFix } from './sourceText';
import { argumentMarkdown } from '../../extension/vscode/pure/nameHover';

/** The notes of the `n`-th attention call of `src`, as the hover asks for them. */
function notesOf(src: string, n = 0): string[] {
  const a = analyze(src);
  assert.deepEqual(a.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const site = a.sites.filter((s) => s.kind === 'layer' && s.name === 'attention')[n];
  const model = a.models.find((m) => m.name === site.model)!;
  const node = nodeAtRange(model, site.range, 'layer')!;
  return getLayer('attention')!.notes!(node.args, site.inShapes);
}

const GPT_BLOCK = `block gpt_block(d, heads) {
  input x
  x = x + x -> layernorm -> attention(heads, causal = true)
  output x + x -> layernorm -> dense(4 * d) -> gelu -> dense(d)
}
model GPT {
  input tokens: int[seq]
  output tokens -> embedding(50257, 768) -> positional(learned, maxlen = 1024) -> gpt_block(768, 12) * 12
}
`;

test('a causal self-attention: 12 heads of 64, projections linear and scores quadratic in seq, what the mask does', () => {
  const [heads, macs, mask] = notesOf(GPT_BLOCK);
  assert.equal(heads, '**Heads**: 12 of key_dim 64 (768 / 12): each head compares queries and keys of 64 numbers; together they project to h·k = 768.');
  // 4·seq·768² + 2·seq²·768: the two parts of the hover's MACs line, 1,536·seq² + 2,359,296·seq.
  assert.equal(
    macs,
    '**MACs** = projections + scores: the four projections (Q, K, V, output) 2,359,296·seq, linear in the length; Q·Kᵀ and A·V 1,536·seq² (2·seq·seq·768), quadratic: every query is compared with every key. The quadratic part is the larger once seq exceeds 2·768 = 1,536.',
  );
  assert.match(mask, /^\*\*`causal = true`\*\*: each position i reads positions 0…i only, itself and all earlier ones, .* The masked scores are still computed: the MACs are those of full attention\.$/);
});

test('the parts add up to the MACs the analysis counts, for fixed sizes too', () => {
  const src = 'model V {\n  input x: [197, 768]\n  output x -> attention(12, key_dim = 32)\n}\n';
  const [heads, macs, mask] = notesOf(src);
  assert.equal(heads, '**Heads**: 12 of key_dim 32: each head compares queries and keys of 32 numbers; together they project to h·k = 384.');
  // 4·197·768·384 = 232,390,656 and 2·197·197·384 = 29,805,312; their sum is the layer's count.
  assert.match(macs, /\(Q, K, V, output\) 232,390,656, linear in the length; Q·Kᵀ and A·V 29,805,312 \(2·197·197·384\), quadratic/);
  assert.equal(analyze(src).sites.find((s) => s.name === 'attention')!.macs!.value, 232_390_656 + 29_805_312);
  assert.match(mask, /^\*\*`causal = false`\*\*: each position reads all positions, before and after it/);
  // h·k = 384 ≠ d: no crossover is claimed.
  assert.doesNotMatch(macs, /larger once/);
});

test('a self-attention shorter than 2·d says the projections dominate at its length', () => {
  const [, macs] = notesOf('model V {\n  input x: [197, 768]\n  output x -> attention(12)\n}\n');
  assert.match(macs, /The quadratic part is the larger once 197 exceeds 2·768 = 1,536 \(here 197: the projections are\)\.$/);
});

test('cross-attention: the product of both lengths, and which side gives the queries', () => {
  const src = `model T {
  input src: [src_len, 512]
  input tgt: [tgt_len, 512]
  output tgt -> attention(8, context = src)
}
`;
  const [, macs, cross] = notesOf(src);
  assert.match(macs, /\(Q, K, V, output\) 524,288·src_len \+ 524,288·tgt_len, linear in the length; Q·Kᵀ and A·V 1,024·src_len·tgt_len \(2·tgt_len·src_len·512\), the product of both lengths/);
  assert.match(cross, /^\*\*Cross-attention\*\*: queries from the piped value, keys and values from `context`: each of the tgt_len query positions reads all src_len positions of the context/);
});

test('the hover of the call shows the notes between its figures and its weights', () => {
  const a = analyze(GPT_BLOCK);
  const site = a.sites.find((s) => s.kind === 'layer' && s.name === 'attention')!;
  const node = nodeAtRange(a.models[0], site.range, 'layer')!;
  const spec = getLayer('attention')!;
  const md = layerHoverMarkdown(site, spec, undefined, undefined, { notes: spec.notes!(node.args, site.inShapes) });
  assert.ok(md.indexOf('MACs: ') < md.indexOf('**MACs** = projections'), md);
  assert.match(md, /\*\*`causal = true`\*\*/);
});

test('positional(learned, maxlen = N) too short for its sequence offers the maxlen that takes it', () => {
  const src = `model ViT {
  input image: [224, 224, 3]
  output image -> conv2d(768, 16, stride = 16) -> reshape([196, 768]) -> cls_token -> positional(learned, maxlen = 196)
}
`;
  const d = analyze(src).diagnostics.find((x) => x.code === 'arg.range')!;
  assert.equal(d.message, 'the sequence has 197 positions but positional allows at most maxlen = 196; raise maxlen');
  assert.deepEqual(d.fixes?.map((f) => f.title), ['Change maxlen to 197']);
  const fixed = applyFix(src, d);
  assert.match(fixed, /positional\(learned, maxlen = 197\)/);
  assert.deepEqual(analyze(fixed).diagnostics, []);
});

// The hover of the value `true` in `causal = true` quoted the documentation's source line around it, a fragment
// that began mid-sentence: "reading the encoder’s output). causal = true hides later positions (position i sees
// j ≤ i),".
test("the hover of causal = true quotes the documentation's whole sentence about it", () => {
  const spec = getLayer('attention')!;
  const md = argumentMarkdown(spec, spec.args.find((a) => a.name === 'causal')!, 'true');
  assert.ok(md.includes('\n`causal = true` hides later positions (position i sees j ≤ i), for language models.\n'), md);
  assert.doesNotMatch(md, /reading the encoder/);
  const alibi = argumentMarkdown(spec, spec.args.find((a) => a.name === 'position')!, 'alibi');
  assert.match(alibi, /\n`position = alibi` adds a fixed penalty `−m_h·\|i − j\|` per head \(ALiBi, no parameters\)\.\n/);
});

// The hover of a causal cross-attention said that each query "reads all src_len positions of the context", then that
// `causal = true` masks the later ones: two statements to put together. Each variant now says once what a query
// position reads, in the words of the receptive field (`all`, `all earlier`: positions 0…i), and ALiBi on
// cross-attention no longer tells how far each head "looks" over a distance that counts two sequences.
describe('each variant of the hover says once what each query position reads', () => {
  const model = (args: string) => `model T {
  input src: int[src_len]
  input tgt: int[tgt_len]
  memory = src -> embedding(10, 16)
  output tgt -> embedding(10, 16) -> attention(4${args})
}
`;
  const MASK =
    'The scores of the later positions get −2·10⁹ added before the softmax (in the PyTorch export too), so their weights are 0. The masked scores are still computed: the MACs are those of full attention.';
  const CAUSAL = `**\`causal = true\`**: each position i reads positions 0…i only, itself and all earlier ones, so nothing leaks from the tokens to be predicted. ${MASK}`;
  const FULL =
    '**`causal = false`**: each position reads all positions, before and after it (an encoder, as in BERT or ViT). A model that predicts the next token needs `causal = true`, or it would see the token it must predict.';
  const CROSS =
    "**Cross-attention**: queries from the piped value, keys and values from `context`: each of the tgt_len query positions reads all src_len positions of the context (an encoder-decoder's decoder reading the encoder's output).";
  const CROSS_CAUSAL =
    '**Cross-attention**: queries from the piped value, keys and values from `context`: each of the tgt_len query positions i reads context positions 0…i only, of src_len ' +
    `(\`causal = true\` masks by index, as if the two sequences were aligned, so the early queries see little of the context). ${MASK} ` +
    "An encoder-decoder's decoder reads the encoder's output whole: the mask that hides its answer belongs in its self-attention.";
  const SLOPES = 'ALiBi slopes `m_h`, heads 1–4: 1/4, 1/16, 1/64, 1/256.';
  const ALIBI = `${SLOPES} A key \`d\` positions away loses \`m_h·d\` from its score: head 1 has lost 1 at distance 4, head 4 only at 256: the heads look from near to far.`;
  const CROSS_ALIBI = `${SLOPES} On cross-attention the query's position i and the key's position j count positions of two sequences: \`−m_h·|i − j|\` measures no distance, and only pulls each query towards the context positions at its own index.`;
  const cases: [string, string[]][] = [
    ['', [FULL]],
    [', causal = true', [CAUSAL]],
    [', position = alibi', [FULL, ALIBI]],
    [', causal = true, position = alibi', [CAUSAL, ALIBI]],
    [', context = memory', [CROSS]],
    [', context = memory, causal = true', [CROSS_CAUSAL]],
    [', context = memory, position = alibi', [CROSS, CROSS_ALIBI]],
    [', context = memory, causal = true, position = alibi', [CROSS_CAUSAL, CROSS_ALIBI]],
  ];
  for (const [args, expected] of cases) {
    test(`attention(4${args})`, () => {
      // After the heads and the MACs.
      assert.deepEqual(notesOf(model(args)).slice(2), expected);
    });
  }
  test('the causal cross-attention says what the Sees column says: all earlier positions of the context', () => {
    const a = analyze(model(', context = memory, causal = true'));
    assert.equal(compactField(fieldAt(a.models[0], a.sites.find((s) => s.name === 'attention')!.range), a.models[0]), 'tgt: 1 · src: all earlier');
  });
});
