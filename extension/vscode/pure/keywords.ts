/**
 * The top-level keywords completion offers: one entry each, inserting a
 * template (a snippet) and documented as the keyword; and the templates
 * that are no keyword (cnn, transformer). All of them are offered only
 * where a top-level item may start: VS Code lists a contributed snippet
 * everywhere in the language (argument lists, train values), so none is
 * contributed.
 */
export interface KeywordItem {
  label: string;
  /** Shown next to the label. */
  detail: string;
  /** Snippet text (`\t` indents by the editor's setting). */
  snippet: string;
  /** Markdown. */
  doc: string;
}

export const TOP_LEVEL_KEYWORDS: readonly KeywordItem[] = [
  {
    label: 'model',
    detail: 'model Name { … }',
    snippet: 'model ${1:Name} {\n\tinput ${2:x}: [${3:28, 28, 1}]\n\toutput $2 -> ${0:flatten -> dense(10) -> softmax}\n}',
    doc: 'A model: inputs with their shapes, values, outputs. `train Name { … }` trains it; the inspector and the summary show it.',
  },
  {
    label: 'block',
    detail: 'block name(params) { … }',
    snippet: 'block ${1:name}(${2:dim}) {\n\tinput ${3:x}\n\toutput $3 -> ${0:dense($2) -> relu}\n}',
    doc: 'A parameterised sub-graph, used like a layer: `x -> name(args)`. Its inputs take their shapes from the values piped in.',
  },
  {
    label: 'train',
    detail: 'train Model { … }',
    snippet:
      'train ${1:Model} {\n\tdata: ${2:digits(samples = 6000)}\n\tloss: ${3|crossentropy,mse,binary_crossentropy|}\n\toptimizer: ${4:adam(lr = 1e-3)}\n\tepochs: ${5:5}\n\tbatch: ${6:64}\n\tvalidation: ${7:0.1}\n\tmetrics: [accuracy]\n}',
    doc: 'How to train a model of this file: `train ModelName { data: … loss: … }`.',
  },
  {
    label: 'import',
    detail: 'import "file.nnmodel"',
    snippet: 'import "${1:other.nnmodel}"',
    doc: 'Use the blocks and models of another file.',
  },
];

/** Whole top-level items to start from, offered where a top-level item may start (after the keywords). */
export const TOP_LEVEL_TEMPLATES: readonly KeywordItem[] = [
  {
    label: 'cnn',
    detail: 'model CNN { … } — a convolutional classifier',
    snippet: [
      'model ${1:CNN} {',
      '\tinput image: [${2:28, 28, 1}]',
      '\toutput image -> conv2d(${3:16}, 3, padding = same) -> relu -> maxpool(2)',
      '\t             -> conv2d(${4:32}, 3, padding = same) -> relu -> maxpool(2)',
      '\t             -> flatten -> dense(${5:64}) -> relu -> dropout(0.2)',
      '\t             -> dense(${6:10}) -> softmax',
      '}',
    ].join('\n'),
    doc: 'A small convolutional image classifier.',
  },
  {
    label: 'transformer',
    detail: 'block transformer_block(dim, heads, …) { … }',
    snippet: [
      'block ${1:transformer_block}(dim, heads, hidden = 4 * dim, p = 0.1) {',
      '\tinput x',
      '\tx = x + x -> layernorm -> attention(heads${2:, causal = true}) -> dropout(p)',
      '\toutput x + x -> layernorm -> dense(hidden) -> gelu -> dense(dim) -> dropout(p)',
      '}',
    ].join('\n'),
    doc: 'A pre-norm transformer block: self-attention and an MLP, each with a residual.',
  },
];

/** A snippet's text as accepting every default gives: each placeholder its default (the first of a choice), mirrors (`$2`) the same. */
export function snippetDefaults(snippet: string): string {
  const values = new Map<string, string>();
  let s = snippet.replace(/\$\{(\d+)\|([^,|}]*)[^}]*\|\}/g, (_, n: string, v: string) => (values.set(n, v), v));
  for (let prev = ''; prev !== s; ) {
    prev = s;
    s = s
      .replace(/\$\{(\d+):([^${}]*)\}/g, (_, n: string, v: string) => (values.set(n, v), v))
      .replace(/\$(\d+)(?!\d)/g, (m: string, n: string) => values.get(n) ?? m);
  }
  return s.replace(/\$\{?(\d+)\}?/g, (_, n: string) => values.get(n) ?? '').replace(/\t/g, '  ');
}
