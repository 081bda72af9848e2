/**
 * The top-level keywords completion offers: one entry each, inserting a
 * template (a snippet) and documented as the keyword. The contributed
 * snippets (snippets/nnmodel.json) hold only templates that are not a
 * keyword (cnn, transformer), so no keyword is listed twice.
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
