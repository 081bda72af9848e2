/**
 * The attention view: the user types a text, it is tokenised with the
 * tokeniser that fits the model's embedding vocabulary (`tokenizerFor`),
 * the model runs once, and every attention layer shows one heatmap per
 * head: queries down, keys across, tokens on both axes. Cells a causal mask
 * hides are drawn hatched in a neutral colour, not as zeros. Hover shows
 * the weight (from the keyboard: the arrow keys move a cursor cell over a
 * focused heatmap, its read-out shown and announced; Escape leaves);
 * clicking a head draws it large with the tokens written out. A legend above
 * the heatmaps shows the colour scale (0 … 1, or each head's own largest
 * weight with the option ticked), the causal mask's hatching, and says
 * that a head can be clicked. When every head of every layer is nearly
 * uniform (untrained or zero weights), one note says so and one row of
 * layer 1 is drawn until "Show all".
 * Cross-attention shows the query text against the context text; models
 * with two token inputs get a second text box; for an encoder-decoder over
 * token ids (the `sequences` tasks) a Decode button fills it with the
 * model's own greedy answer after the start token 0. For a language model
 * (output `[seq, vocab]`), the output strip (output.ts) under the info line
 * (in a disclosure, closed until opened, so the heatmaps come first: its
 * summary gives the most likely token) shows the next-token distribution
 * after the last typed token, with a
 * temperature slider; clicking a token appends it to the text. For a model
 * trained on a text (or learning a BPE), the Tokens panel (tokens.ts) shows
 * the typed text split into tokens, a BPE's merges and, with trained
 * weights, the nearest tokens of a picked one by embedding. A model with a
 * class output shows its top classes there instead.
 *
 * A masked language model (`mask:` in its train section with initial
 * weights, or trained weights whose checkpoint records `objective.mask`) has
 * no next token: the user types `[MASK]` (or presses Insert [MASK]) where a
 * token is hidden, each becomes the mask id (one past the tokeniser's ids;
 * the tokeniser is chosen to leave it an embedding row), and the strip shows
 * the top tokens at each masked position, with Fill to write the most likely
 * one in (maskedModel.ts); the Tokens panel shows each `[MASK]` as a token.
 *
 * Head ablation: a switch above each heatmap turns its head off, i.e. its
 * output is zeroed before the layer's output projection (probes/ablation.ts),
 * and the model runs again at once: the heatmaps then show the ablated
 * model (later layers' attention changes too; an off head is dimmed), and
 * the output strip each row's change against the intact model (or, for an
 * output that is neither, how much it changed). The bar above says how many
 * heads are off, with Reset. The intact output is remembered from the last
 * run with every head on, so switching heads over the same text runs the
 * model once. Decode and a clicked next token use the model with those heads
 * off too (what the strip shows); Decode's answer then says which are off.
 *
 * DOM hooks (for tests): each layer is a `section.nn-attn-layer` with
 * `data-path`; each head a `canvas.nn-heatmap` with `data-layer` (index)
 * and `data-head`; the zoomed head is `canvas.nn-heatmap-zoom`; Decode is
 * `button.nn-attn-decode`, the decoded answer `span.nn-attn-answer` (with
 * `data-off`, how many heads were off when it was decoded). Each
 * head's switch is `button.nn-attn-head-toggle` (`role=switch`, `aria-checked`
 * true while the head is on) with `data-layer` and `data-head`; the bar is
 * `.nn-attn-ablation` with `data-off` (heads off), its count
 * `.nn-attn-ablation-count`, its Reset `.nn-attn-reset`. A masked language
 * model's Insert [MASK] button is `.nn-attn-insert-mask`. The output strip's
 * disclosure is `details.nn-attn-output`; the colour-scale option
 * `vscode-checkbox.nn-attn-scale`, in `.nn-attn-legend` with the hint
 * `.nn-attn-hint`; the every-head-uniform note `.nn-attn-uniform` (with
 * `data-collapsed`) and its button `.nn-attn-show-all`.
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { sampleImages } from '../../extension/core/runtime/data/synthetic';
import { idTokenizer, tokenizerFor, tokenizerFromSpec, type Tokenizer } from '../../extension/core/runtime/tokenizers';
import { attentionLayers, attentionSources, type AttentionMap } from '../probes/attention';
import { ablationKey, ablationPass, headsOff, IntactOutput, validAblation } from '../probes/ablation';
import { answerText, headsOffList, headsOffText, outputChange, outputChangeText } from './ablationModel';
import { greedyDecode } from '../probes/decode';
import { formatValue, sequential } from '../probes/colormap';
import { cellKeys, hover, tooltip } from '../probes/hover';
import { fitTokens, imageInput, inputPlans, maxSequenceLength, smallestVocab, type InputPlan, type PixelImage } from '../probes/input';
import {
  headCountText,
  inputText,
  invalidIdsText,
  NO_ATTENTION_TEXT,
  patchesOf,
  tokenizerText,
  typedTextsKey,
  TypedTexts,
  uniformHeads,
  uniformModelText,
  untrainedAttentionText,
} from './attentionModel';
import { classStrip, maskStrip, tokenStrip, type ClassStrip, type MaskStrip, type TokenStrip } from './output';
import { encodeMasked, filledText, maskedLabels, maskedObjective, withoutMasks, MASK_TOKEN } from './maskedModel';
import { tokensPanel, type EmbeddingSource, type TokensPanel } from './tokens';
import { tokenSpans } from './tokensModel';
import { appendedText, outputPlan } from './outputModel';
import { plural } from '../../extension/core/plural';
import { button, layerHeader, note } from '../dom';
import type { ViewContext } from './types';
import { headerSource, layerSource } from './sourceLink';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';

/** Longest token sequence fed (heatmaps of more tokens are unreadable). */
const MAX_TOKENS = 64;
/** Longest side of a head's thumbnail (CSS pixels). */
const THUMB = 150;
/** Space between two heads' thumbnails (CSS pixels). */
const HEAD_GAP = 8;
/** Longest side of the zoomed head's grid (CSS pixels). */
const ZOOM = 560;
const DEFAULT_TEXTS = ['The cat sat down by the kitchen door.', 'Little lamp upon the hill.'];
/** Default texts of a masked language model, by tokeniser: a character, a word or an id hidden. */
function defaultMaskedTexts(t: Tokenizer): string[] {
  if (t.kind === 'ids') return ['3 1 4 [MASK] 5 9 2 6'];
  if (t.kind === 'char') return ['The cat s[MASK]t down by the kitchen do[MASK]r.'];
  return ['The cat [MASK] down by the kitchen door.'];
}
/** Default texts when the vocabulary is too small for characters: the user types ids. */
const DEFAULT_IDS = ['3 1 4 1 5 9 2 6', '2 7 1 8 2 8'];
/** Bound of the integers typed for an int input that no embedding reads (int32). */
const INT_VALUES = 2 ** 31 - 1;
/** Sequence length for float sequence inputs (no text to tokenise). */
const FLOAT_SEQ = 12;

let root: HTMLElement | undefined;
let generation = 0;
let timer: ReturnType<typeof setTimeout> | undefined;
/** Texts typed by the user, kept across re-renders of the same panel, per model (another model starts from its own). */
const texts = new TypedTexts();
/** Heads switched off (0-based) by attention layer path, kept across re-renders (what no longer exists is dropped). */
let offHeads = new Map<string, Set<number>>();
/** The model and attention layers `offHeads` was made for (`ablationKey`): another set of layers starts with every head on. */
let offHeadsFor = '';
/** The model (`ablationKey`) whose every-head-uniform grid the user asked to see whole ("Show all"), kept across re-renders. */
let allShownFor = '';
/** Whether the output strip's disclosure (next token, masked tokens, classes) is open, kept across re-renders of the panel. */
let outputOpen = false;

interface Fed {
  plan: InputPlan;
  /** Axis labels, one per position. */
  labels: string[];
  /** What it was fed with, for the info line (attentionModel.ts `inputText`). */
  text: string;
}

export async function render(container: HTMLElement, ctx: ViewContext): Promise<void> {
  dispose();
  const gen = ++generation;
  const view = document.createElement('div');
  view.className = 'nn-attn-view';
  view.style.display = 'flex';
  view.style.flexDirection = 'column';
  view.style.gap = '12px';
  root = view;
  container.replaceChildren(view);

  /** Which model's typed texts the boxes show and keep. */
  const textsOf = typedTextsKey(ctx.doc.uri, ctx.modelInfo.name);
  const layers = attentionLayers(ctx.built);
  if (layers.length === 0) {
    view.append(note(NO_ATTENTION_TEXT, 'nn-empty'));
    return;
  }
  // An edit that moves the attention layers (a layer inserted before them renumbers the paths) would move the
  // switched-off heads onto other layers without a word: then every head starts on again.
  const key = ablationKey(ctx.modelInfo.name, layers);
  if (key !== offHeadsFor) offHeads = new Map();
  offHeadsFor = key;
  offHeads = validAblation(ctx.built, offHeads);
  const layerOrder = layers.map((l) => l.path);
  /** The intact model's output for the input last run with every head on (this render's model and weights). */
  const intact = new IntactOutput();
  // A length the built model leaves open (no parameter depends on it) follows the typed text: a model
  // trained on 8 tokens is shown 8, not the sample size with padding it never saw.
  const plans = inputPlans(ctx.modelInfo, ctx.dims).map((p) => ({
    ...p,
    shape: p.shape.map((d, k) => (ctx.model.inputs[p.port]?.shape[k + 1] === null ? null : d)),
  }));
  const bad = plans.find((p) => p.kind === 'other');
  if (bad) {
    view.append(note(`The attention view feeds token ids, sequences, vectors or images; input '${bad.name}' is none of these.`, 'nn-empty'));
    return;
  }
  const embeddingVocab = smallestVocab(ctx.modelInfo.graph);
  // Without an embedding, an int input is a value (a diffusion step into `sinusoidal`): the user types numbers.
  const values = embeddingVocab === undefined && plans.some((p) => p.kind === 'tokens');
  const vocab = values ? INT_VALUES : embeddingVocab;
  const outPlan = outputPlan(ctx.modelInfo, ctx.dims, ctx.trainLoss);
  // A masked language model (`mask:` in its train section, or weights whose checkpoint says they were trained so):
  // [MASK] is one id past the tokeniser's (runtime/masking.ts), so the tokeniser must leave it an embedding row.
  const masked =
    maskedObjective(ctx.trainMask, ctx.weights) !== undefined &&
    outPlan.kind === 'tokens' &&
    !values &&
    embeddingVocab !== undefined &&
    embeddingVocab >= 2 &&
    plans.filter((p) => p.kind === 'tokens').length === 1;
  const budget = masked ? embeddingVocab - 1 : vocab;
  // Trained on a text: encode with that text's tokeniser, so ids mean what the embedding learned.
  const trained = ctx.trainedTokenizer && embeddingVocab !== undefined ? tokenizerFromSpec(ctx.trainedTokenizer) : undefined;
  const tokenizer =
    trained && trained.vocabSize <= budget! ? trained : values ? idTokenizer(INT_VALUES) : budget !== undefined ? await tokenizerFor(budget) : undefined;
  if (gen !== generation) return;
  /** The id of [MASK] for a masked language model: one past the tokeniser's ids. */
  const maskId = masked && tokenizer ? tokenizer.vocabSize : undefined;

  const tip = tooltip('nn-attn-tip');
  const form = document.createElement('div');
  form.className = 'nn-attn-inputs';
  form.style.display = 'flex';
  form.style.flexDirection = 'column';
  form.style.gap = '6px';
  const perHead = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
  perHead.className = 'nn-attn-scale';
  perHead.setAttribute('label', 'Stretch each head’s colours to its largest weight');
  perHead.title = 'Colour each head from 0 to its own largest weight, rather than from 0 to 1: a head whose weights are all small shows its pattern too';
  const legend = scaleLegend(perHead);
  const info = document.createElement('div');
  info.className = 'nn-note';
  const zoom = document.createElement('div');
  zoom.className = 'nn-attn-zoom';
  const grid = document.createElement('div');
  grid.className = 'nn-attn-layers';
  grid.style.display = 'flex';
  grid.style.flexDirection = 'column';
  grid.style.gap = '12px';
  // A language model: the next-token distribution after the last token of the text its output follows
  // (the last token input: the decoder's of an encoder-decoder), which a clicked token extends.
  const lmPlan = [...plans].reverse().find((p) => p.kind === 'tokens');
  const lm: { plan: InputPlan; strip: TokenStrip } | undefined =
    outPlan.kind === 'tokens' && lmPlan && tokenizer && !values && maskId === undefined
      ? {
          plan: lmPlan,
          strip: tokenStrip(outPlan, ctx.weights, tokenizer, (id) => {
            const box = boxes.get(lmPlan.port);
            if (!box || gen !== generation || ctx.signal.aborted) return;
            box.value = appendedText(box.value, tokenizer, id);
            texts.set(textsOf, lmPlan.port, box.value);
            if (timer) clearTimeout(timer);
            timer = undefined;
            run();
          }),
        }
      : undefined;
  // A masked language model: the predictions at each typed [MASK], which Fill writes into the text.
  const mlm: { plan: InputPlan; strip: MaskStrip } | undefined =
    outPlan.kind === 'tokens' && lmPlan && tokenizer && maskId !== undefined
      ? {
          plan: lmPlan,
          strip: maskStrip(outPlan, ctx.weights, tokenizer, maskId, (mask, id) => {
            const box = boxes.get(lmPlan.port);
            if (!box || gen !== generation || ctx.signal.aborted) return;
            box.value = filledText(box.value, mask, tokenizer, id);
            texts.set(textsOf, lmPlan.port, box.value);
            if (timer) clearTimeout(timer);
            timer = undefined;
            run();
          }),
        }
      : undefined;
  // A class output (a vision transformer's): its top classes, which switching heads off changes.
  const classes: ClassStrip | undefined = outPlan.kind === 'classes' ? classStrip(outPlan, ctx.weights) : undefined;
  // The tokens of the typed text (and a BPE's merges, an embedding's nearest tokens) for a model that learned from a text.
  const tokPlan = lm?.plan ?? mlm?.plan ?? plans.find((p) => p.kind === 'tokens');
  const tok = tokPlan && tokenizer && !values ? tokensFor(ctx, tokenizer, trained, embeddingVocab, maskId) : undefined;
  const ablation = ablationBar(() => {
    const first = headsOffFirst();
    offHeads = new Map();
    run();
    if (first) focusToggle(first.layer, first.head);
  });
  // The output strip in a disclosure under the info line, closed until opened: the heatmaps come first.
  const strip = lm?.strip.element ?? mlm?.strip.element ?? classes?.element;
  const output = strip ? outputDisclosure(strip) : undefined;
  view.append(form, info, ...(output ? [output.element] : []), ...(tok ? [tok.element] : []), ablation.element, legend.element, zoom, grid, tip);

  /** The first switched-off head in the view's order (where the focus goes after Reset). */
  function headsOffFirst(): { layer: number; head: number } | undefined {
    const sections = [...grid.querySelectorAll<HTMLElement>('section.nn-attn-layer')].map((e) => e.dataset.path);
    for (const path of layerOrder) {
      const heads = [...(offHeads.get(path) ?? [])].sort((a, b) => a - b);
      const layer = sections.indexOf(path);
      if (heads.length && layer >= 0) return { layer, head: heads[0] };
    }
    return undefined;
  }

  function focusToggle(layer: number, head: number): void {
    grid.querySelector<HTMLElement>(`button.nn-attn-head-toggle[data-layer="${layer}"][data-head="${head}"]`)?.focus();
  }

  /** Switches head `head` of the layer at `path` (shown as section `layer`) off or on, and runs the model again. */
  function toggleHead(path: string, layer: number, head: number): void {
    if (gen !== generation || ctx.signal.aborted) return;
    const next = new Map([...offHeads].map(([p, hs]) => [p, new Set(hs)]));
    const heads = next.get(path) ?? new Set<number>();
    if (heads.has(head)) heads.delete(head);
    else heads.add(head);
    if (heads.size) next.set(path, heads);
    else next.delete(path);
    offHeads = next;
    // What switching a head off changes is in the output strip: show it.
    if (heads.has(head)) output?.open();
    if (timer) clearTimeout(timer);
    timer = undefined;
    run();
    // The heatmaps were drawn anew: the keyboard stays on the switch it pressed.
    focusToggle(layer, head);
  }

  /**
   * The note over a grid whose every head is flat (`text`: attentionModel.ts `uniformModelText`), with the
   * button that draws every layer of `maps` or, once they are drawn (`collapsed` false), one row again.
   */
  function uniformBar(text: string, collapsed: boolean, maps: readonly AttentionMap[]): HTMLElement {
    const bar = document.createElement('div');
    bar.className = 'nn-attn-uniform';
    bar.dataset.collapsed = String(collapsed);
    const heads = maps.reduce((s, m) => s + m.heads, 0);
    const toggle = button(
      collapsed ? `Show all ${plural(maps.length, 'layer')} (${plural(heads, 'head')})` : 'Show one row',
      () => {
        if (gen !== generation || ctx.signal.aborted) return;
        allShownFor = collapsed ? key : '';
        run();
        grid.querySelector<HTMLElement>('.nn-attn-show-all')?.focus();
      },
      { className: 'nn-attn-show-all', title: collapsed ? 'Draw every head of every layer, flat as they are' : 'Draw one row of layer 1 only: the other heads look the same' },
    );
    bar.append(note(text, 'nn-note nn-attn-uniform-text'), toggle);
    return bar;
  }

  /** How many of `map`'s head thumbnails fit across the grid: at least 1 (4 while the panel has no width yet). */
  function headsPerRow(map: AttentionMap): number {
    const width = grid.clientWidth;
    if (!width) return Math.min(4, map.heads);
    return Math.max(1, Math.min(map.heads, Math.floor((width + HEAD_GAP) / (thumbCell(map) * map.keys + HEAD_GAP))));
  }

  const boxes = new Map<number, HTMLInputElement>();
  plans.forEach((plan, i) => {
    if (plan.kind !== 'tokens') return;
    const label = document.createElement('label');
    label.style.display = 'flex';
    label.style.gap = '8px';
    label.style.alignItems = 'center';
    const name = document.createElement('span');
    // Written as the input names are (`source:`, `target:`), lower case.
    name.textContent = values || plans.filter((p) => p.kind === 'tokens').length > 1 ? `${plan.name}:` : 'text:';
    name.style.minWidth = '5em';
    const box = document.createElement('input');
    box.type = 'text';
    box.className = 'nn-attn-text';
    box.dataset.port = String(plan.port);
    const defaults = maskId !== undefined ? defaultMaskedTexts(tokenizer!) : tokenizer?.kind === 'ids' ? DEFAULT_IDS : DEFAULT_TEXTS;
    box.value = texts.get(textsOf, plan.port) ?? defaults[i % defaults.length];
    box.spellcheck = false;
    const s = box.style;
    s.flex = '1';
    s.background = 'var(--vscode-input-background)';
    s.color = 'var(--vscode-input-foreground)';
    s.border = '1px solid var(--vscode-input-border, transparent)';
    s.fontFamily = 'var(--vscode-editor-font-family)';
    s.padding = '3px 6px';
    box.addEventListener('input', () => {
      texts.set(textsOf, plan.port, box.value);
      if (timer) clearTimeout(timer);
      timer = setTimeout(run, 250);
    });
    boxes.set(plan.port, box);
    label.append(name, box);
    if (maskId !== undefined) label.append(maskButton(box, plan.port));
    form.append(label);
  });
  perHead.addEventListener('change', () => run());

  /** A masked language model's "Insert [MASK]" button: writes [MASK] over the selection of `box` and runs again. */
  function maskButton(box: HTMLInputElement, port: number): HTMLElement {
    const b = button(`Insert ${MASK_TOKEN}`, () => {
      if (gen !== generation || ctx.signal.aborted) return;
      const start = box.selectionStart ?? box.value.length;
      const end = box.selectionEnd ?? start;
      box.value = box.value.slice(0, start) + MASK_TOKEN + box.value.slice(end);
      texts.set(textsOf, port, box.value);
      box.focus();
      box.setSelectionRange(start + MASK_TOKEN.length, start + MASK_TOKEN.length);
      if (timer) clearTimeout(timer);
      timer = undefined;
      run();
    }, { className: 'nn-attn-insert-mask', title: `Write ${MASK_TOKEN} at the cursor (or over the selection): the model predicts the token hidden there. You can also type ${MASK_TOKEN} yourself.` });
    return b;
  }

  const maxLen = Math.min(MAX_TOKENS, maxSequenceLength(ctx.modelInfo.graph) ?? MAX_TOKENS);
  const sources = attentionSources(ctx.modelInfo.graph);
  let zoomed: { layer: number; head: number } | undefined;
  addDecode();

  /**
   * An encoder-decoder over token ids (two token inputs, a `sequences`-sized
   * vocabulary): a Decode button fills the decoder's box with the model's own
   * answer for the source, written greedily after the start token 0 (how
   * `train` feeds such a model, docs/language.md "Two inputs"), so a trained
   * copy/reverse/sort model shows its cross-attention on its own output.
   */
  function addDecode(): void {
    const tokenPlans = plans.filter((p) => p.kind === 'tokens');
    if (plans.length !== 2 || tokenPlans.length !== 2 || values || tokenizer?.kind !== 'ids' || vocab === undefined) return;
    const [srcPlan, tgtPlan] = tokenPlans;
    // Decoding grows the decoder's input a token at a time: a model built for one fixed target length cannot take that.
    if (tgtPlan.shape[0] !== null) return;
    const srcBox = boxes.get(srcPlan.port);
    const tgtBox = boxes.get(tgtPlan.port);
    if (!srcBox || !tgtBox) return;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'nn-attn-decode';
    button.textContent = 'Decode';
    button.title = `Fill '${tgtPlan.name}' with the model's answer for '${srcPlan.name}', written greedily after the start token 0`;
    const answer = document.createElement('span');
    answer.className = 'nn-attn-answer';
    button.addEventListener('click', () => {
      if (gen !== generation || ctx.signal.aborted) return;
      const ids = tokenizer.encode(srcBox.value).map((i) => Math.min(i, vocab - 1));
      const srcLen = srcPlan.shape[0] ?? Math.min(ids.length, maxLen);
      if (ids.length < 1 || srcLen < 1) return;
      try {
        // The source as the heatmaps get it (cut or padded to the built length); as many answer tokens as were typed.
        // With heads off, the answer of the model the heatmaps and output show: decoded with those heads off too, and labelled so.
        const off = validAblation(ctx.built, offHeads);
        const decoded = greedyDecode(ctx.tf, ctx.model, fitTokens(ids, srcLen), 0, Math.min(ids.length, tgtPlan.shape[0] ?? maxLen), { built: ctx.built, off });
        tgtBox.value = decoded.decoderInput.join(' ');
        texts.set(textsOf, tgtPlan.port, tgtBox.value);
        answer.textContent = answerText(decoded.answer, off, layerOrder);
        answer.dataset.off = String(headsOff(off));
        run();
      } catch (e) {
        answer.textContent = `could not decode: ${e instanceof Error ? e.message : String(e)}`;
      }
    });
    tgtBox.parentElement?.append(button, answer);
  }

  function run(): void {
    if (gen !== generation || ctx.signal.aborted) return;
    const { tf } = ctx;
    const fed: Fed[] = [];
    const inputs: tfTypes.Tensor[] = [];
    const notes: string[] = [];
    /** Position of the last real (not padding) token of the language model's text, and that token's text. */
    let next: { pos: number; after: string; scores?: Float32Array } | undefined;
    /** A masked language model's input: where its masks are (positions past `length` were cut off) and its tokens' labels. */
    let maskedFed: { positions: number[]; labels: string[] } | undefined;
    /** What is fed, input by input: equal keys, equal input tensors (the intact output is remembered by it). */
    const fedKey: unknown[] = [];
    // The Tokens panel dims what the model does not read of a long text: as fed below, a language model its last tokens, others their first.
    if (tok && tokPlan) tok.show(boxes.get(tokPlan.port)?.value ?? '', { length: tokPlan.shape[0] ?? maxLen, keep: lm?.plan === tokPlan ? 'last' : 'first' });
    const off = validAblation(ctx.built, offHeads);
    try {
      for (const plan of plans) {
        if (plan.kind === 'tokens') {
          const text = boxes.get(plan.port)?.value ?? '';
          const fills = mlm?.plan === plan && maskId !== undefined;
          // A masked language model: each typed [MASK] is the mask id, the rest is the tokeniser's.
          const enc = fills ? encodeMasked(tokenizer!, text, maskId) : { ids: tokenizer!.encode(text), masks: [] };
          let ids = enc.ids.map((i) => Math.min(i, vocab! - 1));
          const invalid = invalidIdsText(tokenizer!, plan.name, fills ? withoutMasks(text, ' ') : text);
          if (invalid) notes.push(invalid);
          const len = plan.shape[0] ?? Math.max(1, Math.min(ids.length, maxLen));
          const follows = lm?.plan === plan;
          if (ids.length > len) {
            // The next token follows the end of the text: a language model reads its last tokens, as generation does.
            notes.push(follows ? `${plan.name}: only the last ${plural(len, 'token')} are used` : `${plan.name}: only the first ${plural(len, 'token')} are used`);
            if (follows) ids = ids.slice(ids.length - len);
          }
          if (follows) {
            const real = Math.min(ids.length, len);
            next = real > 0 ? { pos: real - 1, after: tokenizer!.tokens([ids[real - 1]])[0] } : undefined;
          }
          ids = fitTokens(ids, len);
          fedKey.push(ids);
          inputs.push(tf.tensor2d([ids], [1, len], 'int32'));
          const labels = fills ? maskedLabels(tokenizer!, ids, maskId) : tokenLabels(tokenizer!, ids);
          if (fills) maskedFed = { positions: enc.masks, labels };
          fed.push({ plan, labels, text: inputText(plan, { tokens: ids.length }) });
        } else if (plan.kind === 'image') {
          // Attention over image patches (a vision transformer): the current image, else a sample that suits the input.
          const image = ctx.image ?? sampleFor(plan.shape[2] === 1 ? 1 : 3);
          // The built-in sample is drawn anew for each call, the same each time.
          fedKey.push(ctx.image ? `image ${imageId(ctx.image)}` : `sample ${plan.shape[2] === 1 ? 1 : 3}`);
          inputs.push(imageInput(tf, image, plan.shape));
          const inputId = ctx.modelInfo.graph.inputs[plan.port];
          const patches = inputId === undefined ? undefined : patchesOf(ctx.modelInfo.graph, inputId, ctx.dims);
          fed.push({ plan, labels: [], text: inputText(plan, { patches, sample: !ctx.image, shape: inputs[inputs.length - 1].shape.slice(1) }) });
        } else {
          const shape = plan.kind === 'signal' ? [plan.shape[0] ?? FLOAT_SEQ, plan.shape[1] ?? 1] : [plan.shape[0] ?? 16];
          // Seeded: the same noise at every run.
          fedKey.push(`noise ${shape.join('x')}`);
          inputs.push(tf.randomNormal([1, ...shape], 0, 1, 'float32', 1));
          fed.push({ plan, labels: plan.kind === 'signal' ? Array.from({ length: shape[0] }, (_, i) => String(i)) : [], text: inputText(plan, { shape }) });
        }
      }
      const fedInputs = inputs.length === 1 ? inputs[0] : inputs;
      const nextRow = (out: tfTypes.Tensor) =>
        out.rank === 3 && next && next.pos < out.shape[1]! ? tf.slice(out, [0, next.pos, 0], [1, 1, -1]) : undefined;
      // One pass with the heads off (heatmaps and output); with heads off, the intact output too, what each row's change
      // is measured against: remembered from the last run of the same input with every head on, else one more pass.
      const { maps, output, baseline } = ablationPass(tf, ctx.model, ctx.built, fedInputs, off, JSON.stringify([fedKey, next?.pos]), intact, lm ? nextRow : undefined);
      if (lm && next && output) next.scores = output.values;
      if (lm) {
        if (next?.scores) lm.strip.show(next.scores, next.after, baseline);
        else lm.strip.clear(next ? 'The model gave no next-token scores for this text.' : 'Type a text: the next token follows its last token.', next !== undefined);
      }
      if (mlm) {
        if (output && maskedFed && output.shape.length === 2) mlm.strip.show(output.values, output.shape[0], maskedFed.positions, maskedFed.labels, baseline);
        else mlm.strip.clear('The model gave no scores per position for this text.', true);
      }
      if (classes && output) classes.show(output.values, baseline);
      const change = !lm && !classes && !mlm && baseline && output ? outputChangeText(`[${output.shape.join(', ')}]`, outputChange(output.values, baseline)) : undefined;
      ablation.show(off, layerOrder, lm || classes || mlm ? 'the output strip above shows each probability’s change against the intact model' : change);
      // The tokeniser only where text is typed: an image model has none, and saying "none" read like a fault.
      const tokenizerInfo = tokenizer ? [tokenizerText(tokenizer, { trained: tokenizer === trained, embeddingVocab, ...(maskId !== undefined ? { maskId } : {}) })] : [];
      info.textContent = [...fed.map((f) => f.text), ...tokenizerInfo, headCountText(maps.map((m) => m.heads)), ...notes].join(' · ');
      legend.show(perHead.checked, maps.some((m) => m.causal));
      const labelsOf = (port: number | undefined, n: number, fallback: number) => {
        const f = fed[port ?? fallback];
        return f && f.labels.length === n ? f.labels : Array.from({ length: n }, (_, i) => String(i));
      };
      const rows = maps.map((m, li) => {
        const src = sources.get(m.path) ?? {};
        const q = labelsOf(src.query, m.queries, 0);
        const k = labelsOf(src.key, m.keys, m.cross ? Math.min(1, fed.length - 1) : 0);
        return { map: m, q, k, li };
      });
      // Every head of every layer flat (untrained or zero weights): one note, and one row of layer 1 until "Show all".
      const weightsKind = ctx.weights?.kind === 'initial' ? ctx.weights.init : ctx.weights?.kind;
      const allUniform = uniformModelText(maps, weightsKind, perHead.checked, false) !== undefined;
      const collapsed = allUniform && allShownFor !== key && headsOff(off) === 0;
      const shown = collapsed ? rows.slice(0, 1) : rows;
      const uniformNote = allUniform ? uniformBar(uniformModelText(maps, weightsKind, perHead.checked, collapsed)!, collapsed, maps) : undefined;
      grid.replaceChildren(
        ...(uniformNote ? [uniformNote] : []),
        ...shown.map(({ map, q, k, li }) =>
          layerSection(
            ctx,
            map,
            li,
            q,
            k,
            perHead.checked,
            tip,
            (head) => {
              zoomed = { layer: li, head };
              drawZoom(zoom, map, head, q, k, perHead.checked, tip, () => {
                zoomed = undefined;
                zoom.replaceChildren();
              });
            },
            off.get(map.path) ?? new Set(),
            (head) => toggleHead(map.path, li, head),
            { flatNote: !allUniform, limit: collapsed ? headsPerRow(map) : undefined },
          ),
        ),
      );
      const z = zoomed && rows[zoomed.layer];
      if (z && zoomed!.head < z.map.heads) {
        drawZoom(zoom, z.map, zoomed!.head, z.q, z.k, perHead.checked, tip, () => {
          zoomed = undefined;
          zoom.replaceChildren();
        });
      } else zoom.replaceChildren();
    } catch (e) {
      grid.replaceChildren(note(`Could not run the model on this text: ${e instanceof Error ? e.message : String(e)}`, 'nn-message nn-message-error'));
      lm?.strip.clear('The model could not run on this text (see below).', true);
      mlm?.strip.clear('The model could not run on this text (see below).', true);
      classes?.fail('The model could not run on this input (see below).');
      ablation.show(off, layerOrder, undefined);
    } finally {
      tf.dispose(inputs);
    }
  }
  run();
}

export function dispose(): void {
  generation++;
  if (timer) clearTimeout(timer);
  timer = undefined;
  root?.remove();
  root = undefined;
}

/**
 * The Tokens panel (tokens.ts), or undefined when it has nothing to teach:
 * shown when the text is encoded with the tokeniser of the training text
 * (the trained weights' checkpoint holds it: the one source of the merges)
 * or the train section learns a BPE whose merges are not loaded yet. With
 * trained weights and an embedding of the tokeniser's ids, tokens can be
 * picked to list their nearest tokens.
 */
function tokensFor(ctx: ViewContext, tokenizer: Tokenizer, trained: Tokenizer | undefined, embeddingVocab: number | undefined, maskId: number | undefined): TokensPanel | undefined {
  const fromTraining = trained !== undefined && tokenizer === trained;
  const bpe = fromTraining && ctx.trainedTokenizer?.kind === 'bpe' ? ctx.trainedTokenizer.model : undefined;
  const bpeNotLoaded = !bpe && ctx.trainData?.kind === 'text' && ctx.trainData.tokenizer === 'bpe';
  // A masked language model shows its tokens even before training: where each typed [MASK] falls.
  if ((!fromTraining && !bpeNotLoaded && maskId === undefined) || tokenSpans(tokenizer, '') === undefined) return undefined;
  const embedding = embeddingVocab === undefined ? undefined : embeddingTable(ctx, embeddingVocab);
  const trainedWeights = ctx.weights?.kind === 'trained';
  return tokensPanel({
    tokenizer,
    bpe,
    bpeNotLoaded,
    vocabulary: fromTraining ? 'the training text' : 'the default alphabet',
    ...(maskId !== undefined ? { maskId } : {}),
    embedding: trainedWeights ? embedding : undefined,
    untrained:
      embedding && !trainedWeights
        ? `The embedding holds its initial ${ctx.weights?.kind === 'initial' && ctx.weights.init === 'zeros' ? 'zeros' : 'random rows'}: train the model or load its weights to list each token's nearest tokens.`
        : undefined,
  });
}

/** The table of the model's embedding of `vocab` rows (the one typed ids go through), read from its layer on demand. */
function embeddingTable(ctx: ViewContext, vocab: number): EmbeddingSource | undefined {
  for (const [path, node] of ctx.built.nodeOf) {
    if (node.op !== 'embedding' || node.args['vocab'] !== vocab) continue;
    const layer = ctx.built.layerOf.get(path);
    const w = layer?.getWeights()[0];
    if (!layer || !w || w.rank !== 2 || w.shape[0] !== vocab) continue;
    const [rows, dim] = w.shape as [number, number];
    return { rows, dim, label: `'${node.label}'`, read: () => Float32Array.from(layer.getWeights()[0].dataSync() as Float32Array) };
  }
  return undefined;
}

/** A number per image object (the current image is replaced, never changed in place), for the key of what is fed. */
const imageIds = new WeakMap<object, number>();
let imageCount = 0;
function imageId(image: object): number {
  let id = imageIds.get(image);
  if (id === undefined) imageIds.set(image, (id = ++imageCount));
  return id;
}

function sampleFor(channels: number): PixelImage {
  const all = sampleImages();
  return all.find((s) => s.channels === channels) ?? all[0];
}

/** Token texts with white space made visible. */
function tokenLabels(t: Tokenizer, ids: number[]): string[] {
  return t.tokens(ids).map((s) => (s === '' ? '∅' : s.replace(/ /g, '␣').replace(/\n/g, '↵').replace(/\t/g, '⇥')));
}

// ------------------------------------------------------------------ drawing

interface Palette {
  mask: string;
  hatch: string;
  text: string;
  font: string;
}

function palette(): Palette {
  const css = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    mask: v('--vscode-editorWidget-background', '#3c3c3c'),
    hatch: v('--vscode-disabledForeground', '#888888'),
    text: v('--vscode-foreground', '#cccccc'),
    font: v('--vscode-editor-font-family', 'monospace'),
  };
}

function headMax(map: AttentionMap, head: number): number {
  const n = map.queries * map.keys;
  let m = 0;
  for (let i = head * n; i < (head + 1) * n; i++) if (map.data[i] > m) m = map.data[i];
  return m;
}

/** Draws one head's cells at (x0, y0) with `cell` pixels per cell. */
function drawCells(g: CanvasRenderingContext2D, map: AttentionMap, head: number, x0: number, y0: number, cell: number, perHead: boolean, pal: Palette): void {
  const { queries, keys } = map;
  const top = perHead ? headMax(map, head) || 1 : 1;
  const base = head * queries * keys;
  for (let i = 0; i < queries; i++) {
    for (let j = 0; j < keys; j++) {
      const x = x0 + j * cell;
      const y = y0 + i * cell;
      if (map.causal && j > i) {
        g.fillStyle = pal.mask;
        g.fillRect(x, y, cell, cell);
        if (cell >= 5) {
          g.strokeStyle = pal.hatch;
          g.lineWidth = 1;
          g.beginPath();
          g.moveTo(x + 1, y + cell - 1);
          g.lineTo(x + cell - 1, y + 1);
          g.stroke();
        }
        continue;
      }
      const [r, gg, b] = sequential(map.data[base + i * keys + j] / top);
      g.fillStyle = `rgb(${r | 0}, ${gg | 0}, ${b | 0})`;
      g.fillRect(x, y, cell, cell);
    }
  }
}

/** Pixels per cell of a head's thumbnail: its longer side about `THUMB`. */
function thumbCell(map: AttentionMap): number {
  return Math.max(2, Math.floor(THUMB / Math.max(map.queries, map.keys)));
}

function cellText(map: AttentionMap, head: number, i: number, j: number, q: string[], k: string[]): string {
  const where = `query ${i} “${q[i]}” → key ${j} “${k[j]}”`;
  if (map.causal && j > i) return `${where}\nmasked (causal): a position sees only itself and earlier ones`;
  return `${where}\nweight ${formatValue(map.data[(head * map.queries + i) * map.keys + j])}`;
}

function layerSection(
  ctx: ViewContext,
  map: AttentionMap,
  index: number,
  q: string[],
  k: string[],
  perHead: boolean,
  tip: HTMLElement,
  onZoom: (head: number) => void,
  off: ReadonlySet<number>,
  onToggle: (head: number) => void,
  o: { flatNote: boolean; limit?: number },
): HTMLElement {
  const drawn = Math.min(map.heads, o.limit ?? map.heads);
  const node = ctx.built.nodeOf.get(map.path);
  const section = document.createElement('section');
  section.className = 'nn-attn-layer';
  section.dataset.path = map.path;
  const detail = [
    `${map.heads} head${map.heads === 1 ? '' : 's'}`,
    `${map.queries} × ${map.keys}`,
    map.causal ? 'causal' : '',
    map.cross ? 'cross-attention' : '',
    off.size ? `${off.size} off` : '',
    drawn < map.heads ? `${drawn} drawn` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const header = layerHeader(`Layer ${index + 1}: ${node?.label ?? 'attention'}`, detail, headerSource(layerSource(ctx.info.graph, map.path), ctx.reveal));
  const row = document.createElement('div');
  row.style.display = 'flex';
  row.style.flexWrap = 'wrap';
  row.style.gap = `${HEAD_GAP}px`;
  row.style.marginTop = '4px';
  const pal = palette();
  const cell = thumbCell(map);
  for (let h = 0; h < drawn; h++) {
    const isOff = off.has(h);
    const figure = document.createElement('figure');
    figure.style.margin = '0';
    if (isOff) figure.classList.add('nn-attn-head-off');
    const canvas = document.createElement('canvas');
    canvas.className = 'nn-heatmap';
    canvas.dataset.layer = String(index);
    canvas.dataset.head = String(h);
    canvas.width = map.keys * cell;
    canvas.height = map.queries * cell;
    canvas.style.width = `${canvas.width}px`;
    canvas.style.height = `${canvas.height}px`;
    canvas.style.cursor = 'zoom-in';
    canvas.tabIndex = 0;
    canvas.setAttribute('role', 'button');
    canvas.setAttribute('aria-label', `layer ${index + 1} head ${h + 1}: zoom; arrow keys read the weights`);
    const g = canvas.getContext('2d');
    if (g) drawCells(g, map, h, 0, 0, cell, perHead, pal);
    // One read-out for the pointer and the keyboard's cursor cell.
    const read = (i: number, j: number) => `head ${h + 1}${isOff ? ' (off: its output is zeroed)' : ''} · ${cellText(map, h, i, j, q, k)}`;
    hover(canvas, tip, (x, y) => read(Math.min(map.queries - 1, Math.floor(y * map.queries)), Math.min(map.keys - 1, Math.floor(x * map.keys))));
    cellKeys(canvas, tip, { rows: map.queries, cols: map.keys, text: read });
    canvas.addEventListener('click', () => onZoom(h));
    canvas.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        onZoom(h);
      }
    });
    // The head's header: its name and the switch that turns its output off (ablation) or on again.
    const caption = document.createElement('figcaption');
    caption.className = 'nn-attn-head-caption';
    const name = document.createElement('span');
    name.textContent = `head ${h + 1}`;
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.className = 'nn-attn-head-toggle';
    toggle.dataset.layer = String(index);
    toggle.dataset.head = String(h);
    toggle.setAttribute('role', 'switch');
    toggle.setAttribute('aria-checked', String(!isOff));
    toggle.setAttribute('aria-label', `layer ${index + 1} head ${h + 1}`);
    toggle.textContent = isOff ? 'off' : 'on';
    toggle.title = isOff
      ? `Head ${h + 1} is off: its output is zeroed before the output projection. Switch it on again`
      : `Switch head ${h + 1} off: zero its output before the output projection and see what the model's output loses`;
    toggle.addEventListener('click', () => onToggle(h));
    caption.append(name, toggle);
    figure.append(caption, canvas);
    row.append(figure);
  }
  section.append(header);
  // Initial weights give flat heads: say why, rather than leave a solid colour unexplained.
  // (Once only when every head of the model is flat: the note above the grid says it.)
  const flat = o.flatNote && ctx.weights?.kind === 'initial' ? untrainedAttentionText(map, uniformHeads(map).length, perHead) : undefined;
  if (flat) {
    const why = note(flat, 'nn-note nn-attn-untrained');
    why.style.padding = '2px 0';
    why.style.margin = '0';
    section.append(why);
  }
  section.append(row);
  return section;
}

interface AblationBar {
  readonly element: HTMLElement;
  /** Shows which heads are off (`off`, by layer path; `layers` the paths in the view's order) and what changed (`change`). */
  show(off: ReadonlyMap<string, ReadonlySet<number>>, layers: readonly string[], change: string | undefined): void;
}

/** The "N heads off" bar above the output: which heads, what it changed, and Reset (`onReset`). */
function ablationBar(onReset: () => void): AblationBar {
  const element = document.createElement('div');
  element.className = 'nn-attn-ablation';
  element.dataset.off = '0';
  const count = document.createElement('span');
  count.className = 'nn-attn-ablation-count';
  count.setAttribute('aria-live', 'polite');
  const which = document.createElement('span');
  which.className = 'nn-attn-ablation-heads';
  const reset = document.createElement('button');
  reset.type = 'button';
  reset.className = 'nn-attn-reset';
  reset.textContent = 'Reset';
  reset.title = 'Switch every head on again';
  reset.addEventListener('click', onReset);
  const detail = document.createElement('p');
  detail.className = 'nn-attn-ablation-detail';
  element.append(count, which, reset, detail);
  return {
    element,
    show(off, layers, change) {
      const n = headsOff(off);
      element.dataset.off = String(n);
      reset.hidden = n === 0;
      // With every head on there is nothing to say: the hint under the colour scale tells what the switches do.
      element.style.display = n === 0 ? 'none' : '';
      if (n === 0) {
        count.textContent = '';
        which.textContent = '';
        detail.textContent = '';
        return;
      }
      count.textContent = headsOffText(n);
      which.textContent = `(${headsOffList(off, layers)})`;
      detail.textContent = `Their outputs are zeroed before their layer’s output projection, and the heatmaps below are those of the model without them${change ? `; ${change}` : ''}.`;
    },
  };
}

interface OutputDisclosure {
  readonly element: HTMLDetailsElement;
  /** Opens it (a head was switched off: what changed is in the strip). */
  open(): void;
}

/**
 * The output strip (output.ts: next token, masked tokens or classes) in a
 * disclosure, closed until the user opens it (remembered across re-renders),
 * so the heatmaps are not pushed below the fold. Closed, its summary repeats
 * the strip's one-line answer (`.nn-out-summary`: the most likely next
 * token), and says when the weights are untrained.
 */
function outputDisclosure(strip: HTMLElement): OutputDisclosure {
  const details = document.createElement('details');
  details.className = 'nn-attn-output';
  details.open = outputOpen;
  const summary = document.createElement('summary');
  const title = document.createElement('span');
  title.className = 'nn-attn-output-title';
  title.textContent = strip.querySelector('.nn-out-title')?.textContent ?? 'Output';
  const peek = document.createElement('span');
  peek.className = 'nn-attn-output-peek';
  summary.append(title, peek);
  const answer = strip.querySelector('.nn-out-summary');
  const untrained = strip.querySelector('.nn-out-untrained') !== null;
  const sync = () => {
    const text = answer?.textContent ?? '';
    peek.textContent = details.open ? '' : [text, untrained ? 'untrained weights' : ''].filter(Boolean).join(' · ');
  };
  if (answer) new MutationObserver(sync).observe(answer, { childList: true, characterData: true, subtree: true });
  details.addEventListener('toggle', () => {
    outputOpen = details.open;
    sync();
  });
  details.append(summary, strip);
  sync();
  return {
    element: details,
    open() {
      details.open = true;
    },
  };
}

interface ScaleLegend {
  readonly element: HTMLElement;
  /** Labels the scale's top (1, or each head's largest weight when `perHead`) and shows the causal mask's swatch when a layer has one. */
  show(perHead: boolean, causal: boolean): void;
}

/** Colours in the legend's ramp and its width (CSS pixels). */
const RAMP_STEPS = 64;
const RAMP_WIDTH = 120;

/**
 * The heatmaps' colour scale: a ramp from 0 to 1 (or to each head's largest
 * weight), the hatched swatch of cells a causal mask hides, the option
 * `checkbox`, and the one-line hint of what clicking a head and its switch do.
 */
function scaleLegend(checkbox: HTMLElement): ScaleLegend {
  const element = document.createElement('div');
  element.className = 'nn-attn-legend';
  const scale = document.createElement('div');
  scale.className = 'nn-attn-legend-scale';
  const ramp = document.createElement('canvas');
  ramp.className = 'nn-attn-legend-ramp';
  ramp.width = RAMP_STEPS;
  ramp.height = 1;
  ramp.style.width = `${RAMP_WIDTH}px`;
  ramp.style.height = '10px';
  const g = ramp.getContext('2d');
  if (g) {
    for (let i = 0; i < RAMP_STEPS; i++) {
      const [r, gg, b] = sequential(i / (RAMP_STEPS - 1));
      g.fillStyle = `rgb(${r | 0}, ${gg | 0}, ${b | 0})`;
      g.fillRect(i, 0, 1, 1);
    }
  }
  const low = document.createElement('span');
  low.textContent = 'weight 0';
  const high = document.createElement('span');
  high.className = 'nn-attn-legend-top';
  scale.append(low, ramp, high);
  const masked = document.createElement('span');
  masked.className = 'nn-attn-legend-masked';
  const swatch = document.createElement('canvas');
  swatch.width = 10;
  swatch.height = 10;
  masked.append(swatch, 'hidden by the causal mask');
  const hint = note('Click a head to enlarge it with its tokens; its on/off switch runs the model without that head.', 'nn-attn-hint');
  const row = document.createElement('div');
  row.className = 'nn-attn-legend-row';
  row.append(scale, masked, checkbox);
  element.append(row, hint);
  const legend: ScaleLegend = {
    element,
    show(perHead, causal) {
      high.textContent = perHead ? 'each head’s largest' : '1';
      ramp.title = perHead ? 'Each head is coloured from 0 to its own largest weight' : 'Weights from 0 to 1: each query’s weights over the keys add up to 1';
      masked.style.display = causal ? '' : 'none';
      const s = swatch.getContext('2d');
      if (causal && s) {
        const pal = palette();
        s.fillStyle = pal.mask;
        s.fillRect(0, 0, 10, 10);
        s.strokeStyle = pal.hatch;
        s.lineWidth = 1;
        s.beginPath();
        s.moveTo(1, 9);
        s.lineTo(9, 1);
        s.stroke();
      }
    },
  };
  legend.show(false, false);
  return legend;
}

/** One head drawn large with the query tokens down the left and the key tokens across the top. */
function drawZoom(target: HTMLElement, map: AttentionMap, head: number, q: string[], k: string[], perHead: boolean, tip: HTMLElement, onClose: () => void): void {
  const pal = palette();
  const cell = Math.max(6, Math.min(32, Math.floor(ZOOM / Math.max(map.queries, map.keys))));
  const fontPx = Math.max(9, Math.min(12, cell - 2));
  const canvas = document.createElement('canvas');
  canvas.className = 'nn-heatmap-zoom';
  canvas.dataset.path = map.path;
  canvas.dataset.head = String(head);
  const measure = canvas.getContext('2d');
  if (!measure) return;
  const font = `${fontPx}px ${pal.font}`;
  measure.font = font;
  const clip = (s: string) => (s.length > 12 ? `${s.slice(0, 11)}…` : s);
  const left = Math.ceil(Math.max(...q.map((s) => measure.measureText(clip(s)).width), 10)) + 8;
  const top = Math.ceil(Math.max(...k.map((s) => measure.measureText(clip(s)).width), 10)) + 8;
  canvas.width = left + map.keys * cell;
  canvas.height = top + map.queries * cell;
  canvas.style.width = `${canvas.width}px`;
  canvas.style.height = `${canvas.height}px`;
  const g = canvas.getContext('2d')!;
  g.font = font;
  g.fillStyle = pal.text;
  g.textBaseline = 'middle';
  g.textAlign = 'right';
  q.forEach((s, i) => g.fillText(clip(s), left - 4, top + i * cell + cell / 2));
  // Key labels written upwards above their columns.
  k.forEach((s, j) => {
    g.save();
    g.translate(left + j * cell + cell / 2, top - 4);
    g.rotate(-Math.PI / 2);
    g.textAlign = 'left';
    g.fillText(clip(s), 0, 0);
    g.restore();
  });
  drawCells(g, map, head, left, top, cell, perHead, pal);
  const read = (i: number, j: number) => `head ${head + 1} · ${cellText(map, head, i, j, q, k)}`;
  hover(canvas, tip, (x, y) => {
    const px = x * canvas.width - left;
    const py = y * canvas.height - top;
    if (px < 0 || py < 0) return `head ${head + 1}: rows are queries, columns are keys`;
    return read(Math.min(map.queries - 1, Math.floor(py / cell)), Math.min(map.keys - 1, Math.floor(px / cell)));
  });
  canvas.tabIndex = 0;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `head ${head + 1}, queries down, keys across; arrow keys read the weights`);
  cellKeys(canvas, tip, {
    rows: map.queries,
    cols: map.keys,
    text: read,
    box: (i, j) => ({ left: (left + j * cell) / canvas.width, top: (top + i * cell) / canvas.height, width: cell / canvas.width, height: cell / canvas.height }),
  });
  const bar = document.createElement('div');
  bar.className = 'nn-toolbar';
  const label = document.createElement('span');
  label.textContent = `Head ${head + 1} of ${map.heads} — queries down, keys across${map.causal ? '; hatched cells are hidden by the causal mask' : ''}`;
  bar.append(label, button('Close', onClose));
  const scroller = document.createElement('div');
  scroller.style.overflow = 'auto';
  scroller.append(canvas);
  target.replaceChildren(bar, scroller);
}
