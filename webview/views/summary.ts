/**
 * The summary view: one row per layer (the same rows as the CLI summary and
 * the hovers), sortable by any column, with the model's totals below. A
 * panel narrower than the table scrolls it sideways under its layer column
 * (a shadow marks the side that hides columns). Clicking a row selects its
 * call in the editor.
 */
import type { Range } from '../../extension/core/syntax/ast';
import type { PlainModelInfo, PlainSummaryRow } from '../../extension/core/protocol';
import { symText } from './graphModel';
import { bytesText, COLUMNS, rowAt, rowCells, rowRanges, sortRows, type Column } from './summaryModel';
import { cellLayout, formulaTerms, hiddenSides, summaryTooltip } from './summaryLayout';
import { note } from '../dom';

export interface SummaryHost {
  reveal(range: Range): void;
}

export class SummaryView {
  private readonly root: HTMLElement;
  private model: PlainModelInfo | undefined;
  private rows: readonly PlainSummaryRow[] = [];
  private sortColumn: Column | undefined;
  private descending = false;
  /** The editor's cursor in the followed document (its offset), kept so a redrawn table marks the same row. */
  private cursorOffset: number | undefined;
  /** The drawn row of each summary row, and the source range of each. */
  private rowElements = new Map<PlainSummaryRow, HTMLTableRowElement>();
  private ranges = new Map<PlainSummaryRow, { range: Range; local: boolean }>();
  private current: HTMLTableRowElement | undefined;
  /** The table's scroller (sideways and down) and the frame that shows which of its sides hide columns. */
  private scroller: HTMLElement | undefined;
  private frame: HTMLElement | undefined;
  private readonly resized = new ResizeObserver(() => this.markHiddenSides());

  constructor(
    container: HTMLElement,
    private readonly host: SummaryHost,
  ) {
    this.root = document.createElement('div');
    this.root.className = 'nn-summary-view';
    container.appendChild(this.root);
    // The panel's width changes, or the tab is shown (a hidden tab has no width).
    this.resized.observe(this.root);
  }

  update(model: PlainModelInfo, rows: readonly PlainSummaryRow[]): void {
    this.model = model;
    this.rows = rows;
    this.draw();
  }

  dispose(): void {
    this.resized.disconnect();
    this.root.remove();
  }

  /** Marks the row whose call holds `offset` (the editor's cursor), and scrolls the table to it when it is out of view. */
  highlight(offset: number | undefined): void {
    this.cursorOffset = offset;
    const row = offset === undefined ? undefined : rowAt(this.ranges, offset);
    const el = row && this.rowElements.get(row);
    if (el === this.current) return;
    this.current?.classList.remove('nn-current');
    this.current?.removeAttribute('aria-current');
    this.current = el;
    if (!el) return;
    el.classList.add('nn-current');
    el.setAttribute('aria-current', 'true');
    this.scrollToCurrent();
  }

  /** Scrolls the table to the cursor's row; only when the tab is shown (a hidden panel has no layout to scroll in). */
  scrollToCurrent(): void {
    if (this.current?.offsetParent) this.current.scrollIntoView({ block: 'nearest' });
  }

  private draw(): void {
    const model = this.model;
    if (!model) return;
    const ranges = rowRanges(model.graph, this.rows);
    this.ranges = ranges;
    this.rowElements = new Map();
    this.current = undefined;
    // A native table, not vscode-table: that element splits header and body into two fixed-layout
    // tables sized by preset percentages, so a column cannot take its content's width and long
    // layer and shape texts were cut while the number columns had room to spare.
    const table = document.createElement('table');
    table.className = 'nn-summary-table';
    const head = document.createElement('thead');
    const header = document.createElement('tr');
    for (const c of COLUMNS) {
      const cell = document.createElement('th');
      const arrow = this.sortColumn === c.key ? (this.descending ? ' ▼' : ' ▲') : '';
      cell.textContent = c.title + arrow;
      cell.className = `nn-sortable nn-col-${c.key}${c.numeric ? ' nn-num' : ''}`;
      cell.title = `Sort by ${c.title.toLowerCase()}`;
      cell.dataset.column = c.key;
      cell.scope = 'col';
      cell.tabIndex = 0;
      cell.setAttribute('aria-sort', this.sortColumn === c.key ? (this.descending ? 'descending' : 'ascending') : 'none');
      cell.addEventListener('click', () => this.sortBy(c.key));
      cell.addEventListener('keydown', (e) => {
        if (e.key !== 'Enter' && e.key !== ' ') return;
        e.preventDefault();
        this.sortBy(c.key);
        // The table was drawn again: keep the keyboard on this column's header.
        this.root.querySelector<HTMLElement>(`th[data-column="${c.key}"]`)?.focus();
      });
      header.appendChild(cell);
    }
    head.appendChild(header);
    const body = document.createElement('tbody');
    for (const r of sortRows(this.rows, this.sortColumn, this.descending)) {
      const row = document.createElement('tr');
      row.className = `nn-row nn-row-${r.kind}`;
      row.dataset.id = String(r.id);
      const cells = rowCells(r);
      const at = ranges.get(r);
      const hint = at?.local ? `Line ${r.line}: click to select it in the editor` : undefined;
      for (const c of COLUMNS) {
        const cell = document.createElement('td');
        const layout = cellLayout(c, cells[c.key]);
        // A long layer call is shown shortened (its title has it whole).
        cell.textContent = layout.text ?? cells[c.key].text;
        if (layout.terms) {
          // The spaces between the unbroken terms are the only places the line may break.
          cell.replaceChildren();
          layout.terms.forEach((t, i) => {
            if (i > 0) cell.append(' ');
            const term = document.createElement('span');
            term.className = 'nn-term';
            term.textContent = t;
            cell.append(term);
          });
        }
        cell.className = layout.className;
        // A cell's own title hides the row's: it carries the weights and the line hint too.
        if (layout.title) cell.title = summaryTooltip(r, hint, layout.title)!;
        if (c.key === 'label') cell.style.paddingLeft = `${6 + r.depth * 16}px`;
        row.appendChild(cell);
      }
      if (at?.local && hint) row.addEventListener('click', () => this.host.reveal(at.range));
      // The keyboard reaches the rows too: one tab stop for the table body, arrow keys move between rows
      // (roving tabindex), Enter or Space does what a click does.
      row.tabIndex = -1;
      row.addEventListener('keydown', (e) => {
        if ((e.key === 'Enter' || e.key === ' ') && !e.altKey && !e.ctrlKey && !e.metaKey) {
          e.preventDefault();
          if (at?.local) this.host.reveal(at.range);
          return;
        }
        const rows = Array.from(body.rows);
        const i = rows.indexOf(row);
        const next = { ArrowDown: rows[i + 1], ArrowUp: rows[i - 1], Home: rows[0], End: rows[rows.length - 1] }[e.key];
        if (!next) return;
        e.preventDefault();
        next.focus();
      });
      row.addEventListener('focus', () => this.rovingRow(row));
      const tip = summaryTooltip(r, hint);
      if (tip) row.title = tip;
      this.rowElements.set(r, row);
      body.appendChild(row);
    }
    if (body.rows[0]) body.rows[0].tabIndex = 0;
    table.append(head, body);
    // The scroller keeps the header in view (position: sticky) and the totals below the table.
    const scroller = document.createElement('div');
    scroller.className = 'nn-summary-scroll';
    scroller.appendChild(table);
    scroller.addEventListener('scroll', () => this.markHiddenSides(), { passive: true });
    const frame = document.createElement('div');
    frame.className = 'nn-summary-frame';
    frame.appendChild(scroller);
    this.scroller = scroller;
    this.frame = frame;

    const totals = document.createElement('div');
    totals.className = 'nn-summary-totals';
    const p = model.params;
    const items: [string, string][] = [
      ['Total parameters', symText(p.total)],
      ['Trainable', symText(p.trainable)],
      ['Non-trainable', symText(p.nonTrainable)],
      ['MACs per example', symText(model.macs)],
      ['Weights', bytesText(model.memory.paramBytes)],
      ['Activations per example', bytesText(model.memory.activationBytes)],
    ];
    for (const [k, v] of items) {
      const item = document.createElement('div');
      item.className = 'nn-total';
      const key = document.createElement('span');
      key.className = 'nn-total-key';
      key.textContent = k;
      const value = document.createElement('span');
      value.className = 'nn-total-value';
      const terms = formulaTerms(v);
      if (terms.length > 1) {
        // A symbolic total breaks only between its terms, and takes a row of its own.
        item.classList.add('nn-total-wide');
        terms.forEach((t, i) => {
          if (i > 0) value.append(' ');
          const term = document.createElement('span');
          term.className = 'nn-term';
          term.textContent = t;
          value.append(term);
        });
      } else {
        value.textContent = v;
      }
      item.append(key, value);
      totals.appendChild(item);
    }
    if (model.hasErrors) {
      totals.appendChild(note('The model has errors: the counts cover what could be analysed.', 'nn-note'));
    }
    this.root.replaceChildren(frame, totals);
    this.markHiddenSides();
    this.highlight(this.cursorOffset);
  }

  /** Marks the frame with the sides past which the table hides columns (`nn-hidden-left`, `nn-hidden-right`). */
  private markHiddenSides(): void {
    if (!this.scroller || !this.frame) return;
    const s = this.scroller;
    const hidden = hiddenSides(s.scrollLeft, s.clientWidth, s.scrollWidth);
    this.frame.classList.toggle('nn-hidden-left', hidden.left);
    this.frame.classList.toggle('nn-hidden-right', hidden.right);
  }

  /** Makes `row` the table body's one tab stop. */
  private rovingRow(row: HTMLTableRowElement): void {
    for (const r of Array.from(row.parentElement?.children ?? [])) if (r !== row) (r as HTMLElement).tabIndex = -1;
    row.tabIndex = 0;
  }

  private sortBy(column: Column): void {
    if (this.sortColumn !== column) {
      this.sortColumn = column;
      this.descending = COLUMNS.find((c) => c.key === column)!.numeric && column !== 'line';
    } else if (this.descending === (COLUMNS.find((c) => c.key === column)!.numeric && column !== 'line')) {
      this.descending = !this.descending;
    } else {
      // Third click: back to source order.
      this.sortColumn = undefined;
      this.descending = false;
    }
    this.draw();
  }
}
