/**
 * Realistic large `.nnmodel` files for the scaling benchmark: many models and
 * blocks in the shapes people write (transformers with repeated blocks and
 * residuals, residual CNNs with multi-line chains, recurrent and MLP models
 * with train sections), with varied sizes so that no two units analyse
 * identically. Deterministic for a given line count.
 */
import { mulberry32 } from '../extension/core/runtime/data/random';

type Unit = (i: number, r: () => number) => string[];

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

const transformer: Unit = (i, r) => {
  const dim = pick(r, [128, 192, 256, 384, 512]);
  const heads = pick(r, [4, 8]);
  const layers = pick(r, [2, 4, 6, 12]);
  const vocab = pick(r, [1000, 8000, 32000]);
  return [
    `# decoder-only language model ${i}: pre-norm blocks with residuals`,
    `block decoder_${i}(dim, heads, hidden = 4 * dim, p = 0.1) {`,
    '  input x',
    '  x = x + x -> layernorm -> attention(heads, causal = true) -> dropout(p)',
    '  output x + x -> layernorm -> dense(hidden) -> gelu -> dense(dim) -> dropout(p)',
    '}',
    '',
    `model Lm${i} {`,
    '  input tokens: int[seq]',
    `  emb = embedding(${vocab}, ${dim})`,
    '  h = tokens -> emb -> positional(learned, maxlen = 512) -> dropout(0.1)',
    `  h = h -> decoder_${i}(${dim}, ${heads}) * ${layers}`,
    '  output h -> layernorm -> unembed(emb)',
    '}',
    '',
  ];
};

const resnet: Unit = (i, r) => {
  const size = pick(r, [32, 64, 96]);
  const width = pick(r, [16, 32, 48]);
  const classes = pick(r, [10, 100]);
  return [
    `# residual CNN ${i}`,
    `block residual_${i}(filters, stride = 1) {`,
    '  input x',
    '  y = x -> conv2d(filters, 3, stride = stride, padding = same) -> batchnorm -> relu',
    '    -> conv2d(filters, 3, padding = same) -> batchnorm',
    '  s = x -> conv2d(filters, 1, stride = stride) -> batchnorm',
    '  output (y + s) -> relu',
    '}',
    '',
    `model Cnn${i} {`,
    `  input image: [${size}, ${size}, 3]`,
    `  x = image -> conv2d(${width}, 3, padding = same) -> batchnorm -> relu`,
    '    -> maxpool(2)',
    `  x = x -> residual_${i}(${width}) * 2`,
    `  x = x -> residual_${i}(${2 * width}, stride = 2) -> residual_${i}(${2 * width})`,
    `  x = x -> residual_${i}(${4 * width}, stride = 2)`,
    `  output x -> global_avgpool -> dropout(0.2) -> dense(${classes}) -> softmax`,
    '}',
    '',
  ];
};

const recurrent: Unit = (i, r) => {
  const units = pick(r, [32, 64, 128]);
  const len = pick(r, [64, 128, 256]);
  return [
    `# sequence classifier ${i}: dilated causal convolutions, then recurrence`,
    `model Seq${i} {`,
    `  input wave: [${len}, 1]`,
    '  x = wave -> conv1d(16, 5, padding = causal) -> relu',
    '    -> conv1d(16, 5, padding = causal, dilation = 2) -> relu',
    `  x = x -> lstm(${units}, return_sequences = true)`,
    `  x = x -> gru(${units})`,
    '  output x -> dense(32) -> relu -> dense(4) -> softmax',
    '}',
    '',
  ];
};

const mlp: Unit = (i, r) => {
  const h1 = pick(r, [64, 128, 256, 512]);
  const h2 = pick(r, [32, 64, 128]);
  return [
    `# classifier ${i} for 28×28 digits`,
    `model Mlp${i} {`,
    '  input image: [28, 28, 1]',
    `  h = image -> flatten -> dense(${h1}, activation = relu) -> dropout(0.2)`,
    `  h = h -> dense(${h2}) -> batchnorm -> relu`,
    '  output h -> dense(10) -> softmax',
    '}',
    '',
    `train Mlp${i} {`,
    '  data: digits(samples = 2000)',
    '  loss: crossentropy',
    `  optimizer: adam(lr = 1e-3)`,
    `  epochs: ${pick(r, [3, 5, 10])}`,
    '  batch: 64',
    '}',
    '',
  ];
};

const UNITS: Unit[] = [transformer, resnet, recurrent, mlp];

/** A file of exactly `lines` lines (the last unit is cut short by comment lines, never mid-unit). */
export function generateFile(lines: number, seed = 1): string {
  const r = mulberry32(seed ^ lines);
  const out: string[] = [`# generated benchmark file: ${lines} lines`, ''];
  for (let i = 0; ; i++) {
    const unit = UNITS[i % UNITS.length](i, r);
    if (out.length + unit.length > lines) break;
    out.push(...unit);
  }
  while (out.length < lines) out.push('# padding');
  return out.join('\n') + '\n';
}
