/** "Did you mean" suggestions by edit distance. */

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length;
  const m = b.length;
  // Names are short; a full table keeps the transposition rule simple.
  const d: number[][] = Array.from({ length: n + 1 }, (_, i) => {
    const row = new Array<number>(m + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= m; j++) d[0][j] = j;
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2][j - 2] + 1);
      d[i][j] = v;
    }
  }
  return d[n][m];
}

/**
 * The candidates closest to `name`, best first: within a distance that grows
 * with the name's length; a case-only difference is the best match.
 */
export function suggest(name: string, candidates: Iterable<string>, max = 3): string[] {
  if (name.length > 64) return [];
  const lower = name.toLowerCase();
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  const scored: [string, number][] = [];
  // Each name once, though it may be declared twice (two models 'A': one suggestion, not "'A' or 'A'").
  for (const c of new Set(candidates)) {
    if (c === name || Math.abs(c.length - name.length) > limit) continue;
    const score = c.toLowerCase() === lower ? 0 : editDistance(lower, c.toLowerCase());
    if (score <= limit) scored.push([c, score]);
  }
  scored.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  // A case-only difference (`ReLU`, `True`) is the name meant: not one option among near spellings.
  if (scored.length > 1 && scored[0][1] === 0) return scored.filter((s) => s[1] === 0).slice(0, max).map((s) => s[0]);
  return scored.slice(0, max).map((s) => s[0]);
}

/** " Did you mean 'softmax'?" or "" */
export function didYouMean(options: string[]): string {
  if (options.length === 0) return '';
  if (options.length === 1) return ` Did you mean '${options[0]}'?`;
  return ` Did you mean ${options.slice(0, -1).map((o) => `'${o}'`).join(', ')} or '${options[options.length - 1]}'?`;
}

/**
 * What PyTorch and Keras call some arguments that have another name here
 * (`nn.Conv2d(..., kernel_size=3)`, `MultiheadAttention(num_heads=8)`).
 */
const ARG_ALIASES: Readonly<Record<string, readonly string[]>> = {
  // A kernel is a convolution's `kernel` and a pooling's window, `size`.
  kernel_size: ['kernel', 'size'],
  kernel: ['size'],
  out_channels: ['filters'],
  out_features: ['units'],
  hidden_size: ['units'],
  num_heads: ['heads'],
  num_embeddings: ['vocab'],
  input_dim: ['vocab'],
  embedding_dim: ['dim'],
  output_dim: ['dim'],
  eps: ['epsilon'],
  p: ['rate'],
  strides: ['stride'],
  pool_size: ['size'],
  dilation_rate: ['dilation'],
  use_bias: ['bias'],
  // `softmax(dim = 1)`, `concat(..., dim = 1)`: PyTorch's dim is an axis (counted here without the batch).
  dim: ['axis'],
  negative_slope: ['alpha'],
  scale_factor: ['factor'],
  num_groups: ['groups'],
};

/**
 * Suggestions for an unknown argument name among `args`: by spelling, else
 * by the name PyTorch or Keras gives it (`kernel_size` → `kernel`), else an
 * argument that is one word of the name (`kernel_shape` → `kernel`).
 */
export function suggestArg(name: string, args: readonly string[]): string[] {
  const spelled = suggest(name, args);
  if (spelled.length > 0) return spelled;
  const alias = ARG_ALIASES[name.toLowerCase()]?.find((a) => args.includes(a));
  if (alias !== undefined) return [alias];
  const words = name.toLowerCase().split('_');
  return args.filter((a) => a.length >= 3 && words.includes(a));
}

/**
 * What PyTorch (`torch.nn`, `torch.nn.functional`) and Keras call some layers
 * that have another name here, by lower-case name (`nn.Linear` → `dense`).
 * Names that differ only in case (`Conv2d`, `ReLU`) need no entry.
 */
const LAYER_ALIASES: Readonly<Record<string, string>> = {
  linear: 'dense',
  multiheadattention: 'attention',
  multihead_attention: 'attention',
  multi_head_attention: 'attention',
  self_attention: 'attention',
  selfattention: 'attention',
  batchnorm1d: 'batchnorm',
  batchnorm2d: 'batchnorm',
  batch_norm: 'batchnorm',
  batchnormalization: 'batchnorm',
  layer_norm: 'layernorm',
  layernormalization: 'layernorm',
  group_norm: 'groupnorm',
  groupnormalization: 'groupnorm',
  maxpool1d: 'maxpool',
  maxpool2d: 'maxpool',
  max_pool2d: 'maxpool',
  maxpooling2d: 'maxpool',
  maxpooling1d: 'maxpool',
  avgpool1d: 'avgpool',
  avgpool2d: 'avgpool',
  avg_pool2d: 'avgpool',
  averagepooling2d: 'avgpool',
  adaptiveavgpool2d: 'global_avgpool',
  adaptiveavgpool1d: 'global_avgpool',
  adaptive_avgpool: 'global_avgpool',
  adaptive_avg_pool: 'global_avgpool',
  adaptive_avg_pool1d: 'global_avgpool',
  adaptive_avg_pool2d: 'global_avgpool',
  globalaveragepooling2d: 'global_avgpool',
  globalaveragepooling1d: 'global_avgpool',
  adaptivemaxpool2d: 'global_maxpool',
  adaptive_maxpool: 'global_maxpool',
  adaptive_max_pool2d: 'global_maxpool',
  globalmaxpooling2d: 'global_maxpool',
  convtranspose2d: 'conv2d_transpose',
  conv_transpose2d: 'conv2d_transpose',
  conv2dtranspose: 'conv2d_transpose',
  upsampling2d: 'upsample',
  interpolate: 'upsample',
  leakyrelu: 'leaky_relu',
  swish: 'silu',
  hardswish: 'hard_swish',
  hardsigmoid: 'hard_sigmoid',
  h_swish: 'hard_swish',
  h_sigmoid: 'hard_sigmoid',
  cat: 'concat',
  concatenate: 'concat',
  view: 'reshape',
  dropout1d: 'dropout',
  dropout2d: 'dropout',
  layerscale: 'layer_scale',
  droppath: 'drop_path',
  stochasticdepth: 'drop_path',
  stochastic_depth: 'drop_path',
  permute: 'transpose',
  simplernn: 'rnn',
  positional_encoding: 'positional',
  positionalencoding: 'positional',
};

/**
 * Suggestions for an unknown layer or block name among `candidates`: by
 * spelling (a case-only difference first: `Conv2d` → `conv2d`), else by the
 * name PyTorch or Keras gives the layer (`Linear` → `dense`,
 * `MultiheadAttention` → `attention`).
 */
export function suggestLayer(name: string, candidates: readonly string[]): string[] {
  const spelled = suggest(name, candidates);
  if (spelled.length > 0) return spelled;
  const alias = LAYER_ALIASES[name.toLowerCase()];
  return alias !== undefined && candidates.includes(alias) ? [alias] : [];
}
