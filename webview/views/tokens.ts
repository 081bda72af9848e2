/**
 * The Tokens panel of the attention view, for a model trained on a text
 * (or whose train section learns a BPE): how the typed text is split into
 * tokens, the BPE's merges in the order they were learned (as the course
 * notes teach byte-pair encoding: the pair, the new symbol, how often the
 * pair occurred when it was merged), and, with trained weights, the tokens
 * whose embedding rows are nearest a token picked in the text. The logic is
 * in tokensModel.ts.
 *
 * DOM hooks (for tests): the panel is `section.nn-tok`; each token of the
 * text `.nn-tok-piece` with `data-id`, `data-start`, `data-end` (a button
 * when it can be picked: never the unknown token, id 0, whose row no
 * training text taught); `p.nn-tok-unknown-note` names the characters
 * outside the vocabulary; the nearest list `ol.nn-tok-nearest` with rows
 * `li.nn-tok-neighbour` (`data-id`, `data-similarity`; never the unknown
 * token); a masked language model's `[MASK]` is a `span.nn-tok-piece.nn-tok-mask`
 * (never picked); tokens the model does not see (a text longer than it
 * reads) are `.nn-tok-piece.nn-tok-dropped`, dimmed, and
 * `p.nn-tok-window-note` says which it sees; the merge table
 * `table.nn-bpe-merges` with rows `tr.nn-bpe-merge` (`data-rank`,
 * `data-count`) and the button `button.nn-bpe-more`.
 */
import type { BpeModel, Tokenizer } from '../../extension/core/runtime/tokenizers';
import { plural } from '../../extension/core/plural';
import { el, note } from '../dom';
import { visibleToken } from './outputModel';
import { maskedSpans, withoutMasks, MASK_TOKEN } from './maskedModel';
import { MERGES_SHOWN, NEAREST, mergeRows, mergeSummary, nearestTokens, seenTokens, similarityText, tokenSpans, unknownNote, type TokenLimit, type TokenSpan } from './tokensModel';

/** An embedding table to search, read when first needed (`rows` × `dim`, row-major). */
export interface EmbeddingSource {
  rows: number;
  dim: number;
  /** The layer's label, for the heading. */
  label: string;
  read(): Float32Array;
}

export interface TokensPanelOptions {
  tokenizer: Tokenizer;
  /** The trained BPE whose merges to list (from the checkpoint's tokeniser). */
  bpe?: BpeModel;
  /** The train section learns a BPE but no trained weights (and so no merges) are loaded. */
  bpeNotLoaded?: boolean;
  /** The trained embedding, when there is one: tokens of the text can then be picked to list their nearest tokens. */
  embedding?: EmbeddingSource;
  /** Why tokens cannot be picked, when there is an embedding but its weights are not trained. */
  untrained?: string;
  /** What the vocabulary is, for the note on pieces outside it ("the training text"). */
  vocabulary?: string;
  /** A masked language model: `[MASK]` typed in the text is one token of this id (maskedModel.ts). */
  maskId?: number;
}

export interface TokensPanel {
  readonly element: HTMLElement;
  /**
   * Shows how `text` is split (keeps the picked token when it is still at
   * the same place); with `limit`, the tokens the model does not read are
   * dimmed and a note says which it sees.
   */
  show(text: string, limit?: TokenLimit): void;
}

/** Larger tables are not read back to search them (a GPT-2 embedding is 38 million values). */
const MAX_TABLE = 16 * 1024 * 1024;

export function tokensPanel(o: TokensPanelOptions): TokensPanel {
  const element = el('section', 'nn-tok');
  element.setAttribute('aria-label', 'Tokens of the text');
  const head = el('div', 'nn-tok-head');
  const detail = el('span', 'nn-tok-detail');
  head.append(el('span', 'nn-tok-title', 'Tokens'), detail);
  const strip = el('div', 'nn-tok-text');
  strip.setAttribute('role', 'group');
  strip.setAttribute('aria-label', 'The text split into tokens');
  const unknown = note('', 'nn-tok-hint nn-tok-unknown-note');
  unknown.hidden = true;
  const windowNote = note('', 'nn-tok-hint nn-tok-window-note');
  windowNote.hidden = true;
  const nearest = el('div', 'nn-tok-near');
  element.append(head, strip, windowNote, unknown, nearest);
  if (o.bpe) element.append(mergeList(o.bpe));
  else if (o.bpeNotLoaded) {
    element.append(note('The train section learns a byte-pair encoding from its text: train the model (or load its weights) to list the merges it learned, in order.', 'nn-tok-hint nn-bpe-none'));
  }
  if (o.untrained) element.append(note(o.untrained, 'nn-tok-hint'));

  let table: Float32Array | undefined;
  let picked: { id: number; start: number } | undefined;

  /** Marks the token at `start` as the one picked. */
  function mark(start: number): void {
    for (const b of strip.querySelectorAll<HTMLElement>('.nn-tok-piece')) b.classList.toggle('nn-tok-picked', Number(b.dataset.start) === start);
  }

  function pick(span: TokenSpan): void {
    picked = { id: span.id, start: span.start };
    mark(span.start);
    const e = o.embedding!;
    const label = visibleToken(o.tokenizer.tokens([span.id])[0]);
    const title = el('p', 'nn-tok-near-title', `Nearest to “${label}” (id ${span.id}) in ${e.label}, by cosine similarity of the embedding rows:`);
    if (e.rows * e.dim > MAX_TABLE) {
      nearest.replaceChildren(note(`The embedding has ${e.rows.toLocaleString('en-US')} × ${e.dim} values: too many to search here.`, 'nn-tok-hint'));
      return;
    }
    try {
      table ??= e.read();
    } catch (err) {
      nearest.replaceChildren(note(`Could not read the embedding: ${err instanceof Error ? err.message : String(err)}`, 'nn-message nn-message-error'));
      return;
    }
    const found = nearestTokens(table, e.rows, e.dim, o.tokenizer, span.id, NEAREST);
    if (found.length === 0) {
      nearest.replaceChildren(title, note('No other token has a row to compare with (this row, or every other, is zeros).', 'nn-tok-hint'));
      return;
    }
    const labels = o.tokenizer.tokens(found.map((n) => n.id)).map(visibleToken);
    const list = el('ol', 'nn-tok-nearest');
    list.setAttribute('aria-label', `The ${found.length} tokens nearest “${label}”`);
    list.replaceChildren(
      ...found.map((n, i) => {
        const li = el('li', 'nn-tok-neighbour');
        li.dataset.id = String(n.id);
        li.dataset.similarity = String(n.similarity);
        const bar = el('span', 'nn-out-track');
        bar.setAttribute('aria-hidden', 'true');
        const fill = el('span', 'nn-out-fill');
        fill.style.width = `${Math.max(0, n.similarity) * 100}%`;
        bar.append(fill);
        li.append(el('span', 'nn-tok-neighbour-text', labels[i]), el('span', 'nn-tok-neighbour-id', `id ${n.id}`), bar, el('span', 'nn-tok-neighbour-sim', similarityText(n.similarity)));
        li.setAttribute('aria-label', `${labels[i]}, id ${n.id}: similarity ${similarityText(n.similarity)}`);
        return li;
      }),
    );
    nearest.replaceChildren(title, list);
  }

  return {
    element,
    show(text, limit) {
      const spans = (o.maskId !== undefined ? maskedSpans(o.tokenizer, text, o.maskId) : tokenSpans(o.tokenizer, text)) ?? [];
      const seen = seenTokens(spans.length, limit);
      const canPick = o.embedding !== undefined;
      // Before training learned the BPE, the text is split as the inspector can: by character, said so.
      const how = o.tokenizer.kind === 'bpe' ? ' (BPE)' : o.bpeNotLoaded ? ` (by ${o.tokenizer.kind === 'char' ? 'character' : o.tokenizer.kind}: the BPE is learned in training)` : '';
      detail.textContent = `${plural(spans.length, 'token')}${how} · hover a token for its id${canPick ? ' · click one for its nearest tokens' : ''}`;
      const parts: Node[] = [];
      let at = 0;
      for (const [i, s] of spans.entries()) {
        if (s.start > at) parts.push(document.createTextNode(visibleToken(text.slice(at, s.start))));
        const isMask = o.maskId !== undefined && s.id === o.maskId;
        const shown = isMask ? MASK_TOKEN : visibleToken(text.slice(s.start, s.end));
        // The unknown token has no nearest tokens to teach: its row learned nothing of the pieces it stands for; nor has [MASK] a text.
        const piece = canPick && s.id !== 0 && !isMask ? el('button', 'nn-tok-piece', shown) : el('span', 'nn-tok-piece', shown);
        piece.dataset.id = String(s.id);
        piece.dataset.start = String(s.start);
        piece.dataset.end = String(s.end);
        const token = isMask ? MASK_TOKEN : visibleToken(o.tokenizer.tokens([s.id])[0]);
        piece.title = isMask ? `id ${s.id}: ${MASK_TOKEN}, the token the model fills (one past the tokeniser's ${o.tokenizer.vocabSize} ids)` : `id ${s.id}: “${token}”`;
        if (s.id === 0) piece.classList.add('nn-tok-unknown');
        if (isMask) piece.classList.add('nn-tok-mask');
        if (seen && (i < seen.start || i >= seen.end)) {
          piece.classList.add('nn-tok-dropped');
          piece.title += ' · not seen by the model';
        }
        if (piece instanceof HTMLButtonElement) {
          piece.type = 'button';
          piece.setAttribute('aria-label', `${token}, id ${s.id}: list its nearest tokens`);
          piece.addEventListener('click', () => pick(s));
        }
        parts.push(piece);
        at = s.end;
      }
      if (at < text.length) parts.push(document.createTextNode(visibleToken(text.slice(at))));
      strip.replaceChildren(...parts);
      windowNote.textContent = seen?.note ?? '';
      windowNote.hidden = seen === undefined;
      const unknownText = unknownNote(o.tokenizer, o.maskId !== undefined ? withoutMasks(text) : text, o.vocabulary ?? 'the training text');
      unknown.textContent = unknownText ?? '';
      unknown.hidden = unknownText === undefined;
      if (spans.length === 0) strip.append(note('Type a text to see its tokens.', 'nn-tok-hint'));
      // The picked token stays picked while the text before it is unchanged; else the list goes.
      const again = picked && spans.find((s) => s.start === picked!.start && s.id === picked!.id);
      // Its list stands as it is: a keystroke after it does not search the embedding again.
      if (again && canPick) mark(again.start);
      else {
        picked = undefined;
        nearest.replaceChildren();
      }
    },
  };
}

/** The learned merges as a table, the first MERGES_SHOWN with a button for more. */
function mergeList(model: BpeModel): HTMLElement {
  const rows = mergeRows(model);
  // Open at first; it can be folded away to bring the heatmaps up.
  const box = el('details', 'nn-bpe');
  box.open = true;
  const title = el('summary', 'nn-bpe-title', `Learned merges, in order (${rows.length})`);
  const summary = el('p', 'nn-tok-hint nn-bpe-summary', mergeSummary(model));
  box.append(title, summary);
  if (rows.length === 0) return box;
  const table = el('table', 'nn-bpe-merges');
  const head = el('tr', '');
  for (const h of ['#', 'pair', 'new symbol', 'count']) head.append(el('th', '', h));
  const thead = el('thead', '');
  thead.append(head);
  const body = el('tbody', '');
  table.append(thead, body);
  table.setAttribute('aria-label', 'BPE merges in the order they were learned, with the count of the pair when it was merged');
  const more = el('button', 'nn-bpe-more');
  more.type = 'button';
  let shown = 0;
  const showMore = () => {
    const next = rows.slice(shown, shown + MERGES_SHOWN);
    body.append(
      ...next.map((r) => {
        const tr = el('tr', 'nn-bpe-merge');
        tr.dataset.rank = String(r.rank);
        if (r.count !== undefined) tr.dataset.count = String(r.count);
        const pair = el('td', 'nn-bpe-pair');
        pair.append(el('span', 'nn-bpe-sym', visibleToken(r.left)), ' + ', el('span', 'nn-bpe-sym', visibleToken(r.right)));
        const merged = el('td', '');
        merged.append('→ ', el('span', 'nn-bpe-sym', visibleToken(r.merged)));
        merged.title = `id ${r.id}`;
        tr.append(el('td', 'nn-bpe-rank', String(r.rank)), pair, merged, el('td', 'nn-bpe-count', r.count === undefined ? '—' : r.count.toLocaleString('en-US')));
        return tr;
      }),
    );
    shown += next.length;
    const left = rows.length - shown;
    more.hidden = left === 0;
    more.textContent = `Show ${Math.min(left, MERGES_SHOWN)} more (${shown} of ${rows.length} shown)`;
  };
  more.addEventListener('click', showMore);
  showMore();
  box.append(table, more);
  if (model.counts === undefined) box.append(note('These weights were saved without the pair counts: train again to see them.', 'nn-tok-hint'));
  return box;
}
