/**
 * `mask: rate` in a train section: masked language modelling (BERT) on
 * `text(...)` instead of next-token prediction. The settings are checked
 * where `mixup`'s are (`checkMaskSettings`, with the other keys), the fit to
 * the model with the data (`checkMaskFit`). The runtime is
 * runtime/masking.ts.
 */
import type { TrainDecl } from '../syntax/ast';
import { shapeToString } from './sym';
import type { Graph, LayerNode, ModelInfo, TrainConfig } from './types';
import { smallestVocab } from './graph';
import { isRecurrent } from '../layers';
import { modelFields, type InputField } from './receptive';
import { causalFix, type Err } from './train';

/** What an evaluation of a masked language model measures, as the CLI and the editor say it: "masked language modelling: loss and metrics over the masked tokens (15 %)". */
export function maskedEvaluationNote(rate: number): string {
  return `masked language modelling: loss and metrics over the masked tokens (${+(rate * 100).toFixed(2)} %)`;
}

/** The largest `mask: rate`: above half the window, too little context is left to predict from (BERT: 0.15; Wettig et al. 2023 still gain at 0.4). */
export const MASK_MAX = 0.5;

/** The message of an invalid `mask:` value. */
export function maskValueMessage(rate: number | undefined): string {
  return `mask is the share of each window's tokens the model must predict: a number above 0 and at most ${MASK_MAX}${rate !== undefined ? `, not ${rate}` : ''} (BERT uses 0.15), e.g. mask: 0.15. Remove the line to train by next-token prediction.`;
}

/**
 * `mask` with settings it cannot work with: an error on its value, with the
 * loss or the data as related location. Masked language modelling takes the
 * crossentropy of the tokens it hid, in windows of a text.
 */
export function checkMaskSettings(item: TrainDecl, config: TrainConfig, err: Err): void {
  if (config.mask === undefined) return;
  const at = item.entries.find((e) => e.key.name === 'mask')!.value.range;
  const related = (key: string, message: string) => {
    const range = item.entries.find((e) => e.key.name === key)?.value.range;
    return range ? { related: [{ message, range }] } : undefined;
  };
  if (config.loss !== 'crossentropy') {
    const why =
      config.loss === 'denoise' || config.loss === 'adversarial'
        ? `loss: ${config.loss} trains an image generator by a loop of its own, with no tokens to hide`
        : `loss: ${config.loss} compares values, but the model must pick the hidden token out of the vocabulary`;
    err('train.mask', `mask trains the model to give back hidden tokens, scored by crossentropy over the vocabulary; ${why}. Use loss: crossentropy (the default), or remove mask.`, at, undefined, related('loss', `loss: ${config.loss} is here`));
    return;
  }
  const data = config.data;
  if (data && data.kind !== 'text') {
    err(
      'train.mask',
      `mask hides tokens of a text and trains the model to give them back, but ${data.kind} ${data.kind === 'sequences' ? 'labels each position with its task\'s answer, not with the token there' : 'gives no tokens'}. Use data: text("file.txt", ...), or remove mask.`,
      at,
      undefined,
      related('data', `${data.kind} is here`),
    );
  }
}

/** Whether an output field over an input sees only the current and earlier positions (known for certain). */
function seesNoLater(f: InputField | undefined): boolean {
  if (!f || f.kind === 'unknown') return false;
  if (f.kind === 'global') return f.causal;
  return f.causal || f.sizes.every((s) => s <= 1);
}

/** The first attention with `causal = true` of `g`, looking into block bodies and repeats. */
function causalAttention(g: Graph): LayerNode | undefined {
  return firstLayer(g, (n) => n.op === 'attention' && n.args.causal === true);
}

/** The first recurrent layer of `g` (or of its groups) that returns its sequence read one way only: `bidirectional = true` lets it see both sides. */
function forwardRecurrent(g: Graph): LayerNode | undefined {
  return firstLayer(g, (n) => isRecurrent(n.op) && n.args.return_sequences === true && n.args.bidirectional !== true);
}

function firstLayer(g: Graph, is: (n: LayerNode) => boolean): LayerNode | undefined {
  for (const n of g.nodes) {
    if (n.kind === 'layer' && is(n)) return n;
    if (n.kind === 'group') {
      for (const run of n.runs) {
        const found = firstLayer(run.body, is);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/**
 * A `mask` section against its model (one input of token ids, already
 * checked against the data): the output must give a distribution over the
 * vocabulary per position (`train.mask_output`); a `bpe` vocabulary of known
 * size needs a row more in the embedding for `[MASK]` (`train.vocab`); and a
 * model whose output sees no later positions (causal attention) is warned
 * about (`train.mask_causal`): a masked token is then predicted from its left
 * context only.
 */
export function checkMaskFit(item: TrainDecl, config: TrainConfig, model: ModelInfo, err: Err, file: Parameters<typeof causalFix>[0]): void {
  if (config.mask === undefined || config.data?.kind !== 'text' || model.inputs.length !== 1) return;
  const at = item.entries.find((e) => e.key.name === 'mask')!.value.range;
  const input = model.inputs[0];
  const out = model.outputs[0];
  if (!out) return;
  const seq = input.shape.dims[0];
  if (out.shape.dims.length !== 2 || !seq || !out.shape.dims[0].equals(seq)) {
    err(
      'train.mask_output',
      `mask predicts the original token at every hidden position, so '${model.name}' must output one distribution over the vocabulary per position, [${seq ?? 'seq'}, vocab], but it outputs ${shapeToString(out.shape)}. End with dense(vocab) (or unembed of the embedding) on every position, without pooling or flattening them.`,
      at,
      undefined,
      { related: [{ message: `'${model.name}' outputs ${shapeToString(out.shape)} here`, range: out.range, uri: model.uri }] },
    );
    return;
  }
  const bpeVocab = config.data.options.tokenizer === 'bpe' ? config.data.options.vocab : undefined;
  const rows = smallestVocab(model.graph);
  if (typeof bpeVocab === 'number' && rows !== undefined && rows < bpeVocab + 1) {
    err(
      'train.vocab',
      `text(..., vocab = ${bpeVocab}) gives token ids up to ${bpeVocab - 1} and mask adds [MASK] as id ${bpeVocab}, but the smallest embedding of '${model.name}' has ${rows} rows; give it at least ${bpeVocab + 1}.`,
      at,
    );
    return;
  }
  const field = modelFields(model, true).outputs[0]?.get(input.name);
  if (!seesNoLater(field)) return;
  if (field?.kind === 'local' && field.sizes.every((s) => s <= 1)) {
    // Each position sees its own token only: no left context either, and a [MASK] there leaves nothing to guess from.
    err(
      'train.mask_causal',
      `mask hides tokens anywhere in the window and asks for each from the tokens on both sides, but the output of '${model.name}' at a position sees only the token at that position: where it is [MASK], nothing is left to guess the hidden token from, so the model learns the same guess for every [MASK]. Add layers that mix the positions (attention, or conv1d with padding = same) for a masked language model.`,
      at,
      undefined,
      { severity: 'warning' },
    );
    return;
  }
  const w = oneWay(model, file);
  err(
    'train.mask_causal',
    `mask hides tokens anywhere in the window and asks for each from the tokens on both sides, but the output of '${model.name}' at a position cannot see the tokens after it: ${w.how}. A hidden token is then guessed from its left context alone, and the right context BERT learns from is lost. ${w.change} for a masked language model, or remove mask to train it by next-token prediction.`,
    at,
    w.fix && [w.fix],
    { severity: 'warning', ...w.related },
  );
}

/**
 * Why the output of `model` at a position sees no later ones, when it is known
 * for certain not to (`seesNoLater`): the first causal attention, else the first
 * recurrent layer read one way, with what to change and the quick fix that
 * changes it (`causal = false`, `bidirectional = true`).
 */
function oneWay(model: ModelInfo, file: Parameters<typeof causalFix>[0]): { how: string; change: string; fix: ReturnType<typeof causalFix>; related: { related?: { message: string; range: LayerNode['range']; uri?: string }[] } } {
  const attention = causalAttention(model.graph);
  const recurrent = attention ? undefined : forwardRecurrent(model.graph);
  const layer = attention ?? recurrent;
  const setting = recurrent ? 'bidirectional = true' : 'causal = false';
  const fix = layer && layer.inputs.length === 1 ? causalFix(file, layer, recurrent ? 'bidirectional' : 'causal', recurrent ? 'true' : 'false', `Set ${setting} in ${layer.label}`) : undefined;
  const how = attention
    ? `${attention.label} lets each position attend only to itself and earlier ones`
    : recurrent
      ? `${recurrent.label} reads the tokens one way, so its output at each position has read only that token and earlier ones`
      : 'each position sees only itself and earlier ones';
  return {
    how,
    change: layer ? `Set ${setting} in ${layer.label}` : 'Use layers that see the whole window (attention without causal = true, a bidirectional lstm)',
    fix,
    related: layer ? { related: [{ message: `${model.name} sees no later tokens: ${layer.label}`, range: layer.range, uri: layer.uri ?? model.uri }] } : {},
  };
}

/**
 * `sequences(task = reverse | sort)` asks position t for a token that may
 * stand after it (reverse: the one at length − 1 − t; sort: the t-th smallest
 * of all): a one-input model whose output sees no later positions for
 * certain (a causal attention, a recurrent layer read one way) can only
 * guess those — for reverse, the first half: its accuracy stays near one
 * half. `train.sees_no_later`, a warning on the data, with the layer related
 * and the fix that lets it see both sides. `copy` needs only the position
 * itself.
 */
export function checkSequencesReach(config: TrainConfig, model: ModelInfo, dataAt: LayerNode['range'], err: Err, file: Parameters<typeof causalFix>[0]): void {
  const data = config.data;
  if (data?.kind !== 'sequences' || model.inputs.length !== 1) return;
  const task = data.options.task;
  if (task !== 'reverse' && task !== 'sort') return;
  const input = model.inputs[0];
  const field = modelFields(model, true).outputs[0]?.get(input.name);
  if (!seesNoLater(field)) return;
  const own = field?.kind === 'local' && field.sizes.every((s) => s <= 1);
  const w = own ? undefined : oneWay(model, file);
  const asks =
    task === 'reverse'
      ? 'asks position t for the token at position length − 1 − t, which for the first half of the sequence comes after t'
      : 'asks position t for the t-th smallest token of the whole sequence, which may come after t';
  const sees = own ? 'sees only the token at that position' : `cannot see the tokens after it: ${w!.how}`;
  const outcome =
    task === 'reverse'
      ? own
        ? 'It cannot learn to reverse: accuracy stays near chance.'
        : 'It can learn the second half and must guess the first: accuracy stays near one half.'
      : 'It must guess wherever a smaller token comes later.';
  const change = own ? 'Add layers that mix the positions and see both sides (attention, a bidirectional lstm)' : w!.change;
  err(
    'train.sees_no_later',
    `sequences(task = ${task}) ${asks}, but the output of '${model.name}' at a position ${sees}. ${outcome} ${change}.`,
    dataAt,
    w?.fix && [w.fix],
    { severity: 'warning', ...(w?.related ?? {}) },
  );
}
