/**
 * The graph view: the model's graph laid out by ELK (layered, top-down) and
 * drawn as SVG. Boxes show kind, output shape and parameters, coloured by
 * layer category; edges carry the shape that flows along them where the
 * boxes do not already say it (merges, splits: `edgeLabelled`); repeated
 * blocks are one box with their count until clicked open; diagnostics mark
 * their nodes. A new model opens fitted, or at a readable size on its inputs
 * with scroll bars for the rest (graphFit.ts); the wheel, dragging and the
 * scroll bars scroll, Ctrl+wheel and the + and − keys zoom, 0 fits, and a
 * re-layout keeps the view the user chose. Clicking a node selects its call
 * in the editor, and the editor's cursor highlights the node it is in.
 * ELK runs in a worker (graphLayout.ts): the old drawing stays usable while
 * a new layout is computed, and the root says where the last one ran
 * (`data-layout="worker"` or `"page"`, with `data-layout-ms`).
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import { GraphLayout, LayoutSuperseded, pageWorkerStarter } from './graphLayout';
import { clampTransform, keepAcrossLayout, openingTransform, scrollBars, scrollTo, wheelAction, zoomAbout, zoomKey, type GraphRect, type ViewTransform } from './graphFit';
import type { Range } from '../../extension/core/syntax/ast';
import type { PlainDiagnostic, PlainModelInfo } from '../../extension/core/protocol';
import { boxAt, boxTooltip, buildDiagram, callBox, graphStatus, groupHeader, groupKeys, LINE_HEIGHT, nodeLabel, PAD_X, PAD_Y, receptiveFields, type Box, type TextMetrics } from './graphModel';
import { button } from '../dom';

const SVG = 'http://www.w3.org/2000/svg';

export interface GraphHost {
  reveal(range: Range): void;
  /** Saves an exported file through the host's save dialog; resolves with the path, or undefined when cancelled. */
  save(name: string, data: string | Uint8Array): Promise<string | undefined>;
  /** Reports a failure to the user and the host. */
  error(message: string): void;
}

type Transform = ViewTransform;

/**
 * Whose view is on screen: `opening` until a new model's first drawing is
 * fitted, `fitted` while it shows what Fit shows (a resize fits again),
 * `user` once the user has scrolled or zoomed (kept across re-layouts and
 * resizes, only kept reachable).
 */
type ViewMode = 'opening' | 'fitted' | 'user';

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.appendChild(e);
  return e;
}

function canvasMetrics(root: HTMLElement): TextMetrics {
  const ctx = document.createElement('canvas').getContext('2d');
  const style = getComputedStyle(root);
  const family = style.getPropertyValue('--vscode-font-family').trim() || style.fontFamily || 'sans-serif';
  const cache = new Map<string, number>();
  return {
    measure(text, bold) {
      const key = `${bold ? 'b' : 'n'}${text}`;
      let w = cache.get(key);
      if (w === undefined) {
        if (ctx) {
          ctx.font = `${bold ? '600 ' : ''}12px ${family}`;
          w = ctx.measureText(text).width;
        } else w = text.length * 7;
        cache.set(key, w);
      }
      return w;
    },
  };
}

/** The move an arrow, Home or End key makes between graph nodes: -1 back, +1 on, or to the first or last; undefined for other keys. */
function graphKeyStep(key: string): -1 | 1 | 'first' | 'last' | undefined {
  switch (key) {
    case 'ArrowDown':
    case 'ArrowRight':
      return 1;
    case 'ArrowUp':
    case 'ArrowLeft':
      return -1;
    case 'Home':
      return 'first';
    case 'End':
      return 'last';
    default:
      return undefined;
  }
}

export class GraphView {
  private pageElk: InstanceType<typeof ELK> | undefined;
  private readonly layouts = new GraphLayout({
    startWorker: pageWorkerStarter,
    layoutOnPage: (g) => (this.pageElk ??= new ELK()).layout(g),
  });
  private readonly root: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly viewport: SVGGElement;
  private readonly status: HTMLElement;
  private readonly metrics: TextMetrics;
  private model: PlainModelInfo | undefined;
  private diagnostics: readonly PlainDiagnostic[] = [];
  /** Receptive field text by node path for the model shown (node tooltips); undefined when it could not be computed. */
  private fieldOf: ((path: string) => string) | undefined;
  private expanded = new Set<string>();
  private boxes = new Map<string, Box>();
  private elements = new Map<string, SVGGElement>();
  private current: string | undefined;
  private cursorOffset: number | undefined;
  private transform: Transform = { x: 0, y: 0, k: 1 };
  private size = { width: 0, height: 0 };
  private layoutToken = 0;
  /** The status line's text for the graph on screen (shown again when a layout ends without a new drawing). */
  private statusText = '';
  private viewMode: ViewMode = 'opening';
  /** The model whose drawing is on screen (a new model's first view waits for its own drawing). */
  private drawnFor: string | undefined;
  /** The model's first input in the drawing (graph coordinates): a part shown opens on it. */
  private firstRect: GraphRect | undefined;
  /** The block just opened or closed by a click: it stays in place on screen through the re-layout. */
  private anchorKey: string | undefined;
  private readonly stage: HTMLElement;
  private readonly bars: { x: { track: HTMLElement; thumb: HTMLElement }; y: { track: HTMLElement; thumb: HTMLElement } };
  /** The node to give the keyboard focus once the next drawing is made (a block opened or closed with Enter). */
  private refocus: string | undefined;
  /**
   * The node that should have the focus when the page gets it back: Enter on a node selects its call in the
   * editor, which takes the keyboard, and a page without the focus does not take focus() (the body keeps it).
   */
  private pendingFocus: string | undefined;
  private readonly cleanup: (() => void)[] = [];

  constructor(
    container: HTMLElement,
    private readonly host: GraphHost,
  ) {
    this.root = document.createElement('div');
    this.root.className = 'nn-graph-view';
    const toolbar = document.createElement('div');
    toolbar.className = 'nn-toolbar';
    // In a narrow panel the buttons show `short` (inspector.css): one row of buttons, not three rows over the graph.
    // The name stays `label` (aria-label), and the tooltip says what the button does.
    const tool = (label: string, title: string, action: () => void, short?: string) => {
      const b = toolbar.appendChild(button(label, action, { title }));
      if (short === undefined) return;
      const long = document.createElement('span');
      long.className = 'nn-tool-long';
      long.textContent = label;
      const brief = document.createElement('span');
      brief.className = 'nn-tool-short';
      brief.setAttribute('aria-hidden', 'true');
      brief.textContent = short;
      b.replaceChildren(long, brief);
      b.setAttribute('aria-label', label);
      b.title = `${label}: ${title}`;
    };
    tool('Fit', 'Fit the graph in view, or show a readable part of it from its inputs (0). Zoom: + and − keys, Ctrl+wheel; scroll: the wheel, dragging, the scroll bars', () => this.fit());
    tool('+', 'Zoom in', () => this.zoomBy(1.25));
    tool('−', 'Zoom out', () => this.zoomBy(0.8));
    tool('Expand all', 'Show the body of every block', () => this.setExpanded(new Set(this.model ? groupKeys(this.model.graph) : [])), '⊞');
    tool('Collapse all', 'Show every block as one box', () => this.setExpanded(new Set()), '⊟');
    tool('Export SVG', 'Save the graph as an SVG file', () => void this.exportSvg(), 'SVG');
    tool('Export PNG', 'Save the graph as a PNG image', () => void this.exportPng(), 'PNG');
    this.status = document.createElement('span');
    this.status.className = 'nn-toolbar-status';
    toolbar.appendChild(this.status);
    this.root.appendChild(toolbar);

    // A group, not an image: an image's content is hidden from screen readers, and its nodes are buttons
    // (Tab or the arrow keys reach them, Enter selects a node's call in the editor).
    // Focusable by a click on its background (tabindex -1: no extra Tab stop), so that the zoom keys work there too.
    this.svg = el('svg', { class: 'nn-graph', role: 'group', 'aria-roledescription': 'graph', tabindex: -1 });
    this.svg.setAttribute('aria-label', 'Model graph: arrow keys move between layers, Enter selects one in the editor');
    this.viewport = el('g', { class: 'nn-viewport' }, this.svg);
    // The stage holds the drawing and, over its edges, the scroll bars (outside the SVG, so exports leave them out).
    this.stage = document.createElement('div');
    this.stage.className = 'nn-graph-stage';
    this.stage.appendChild(this.svg);
    const bar = (axis: 'x' | 'y') => {
      const track = document.createElement('div');
      track.className = `nn-scrollbar nn-scrollbar-${axis}`;
      track.setAttribute('aria-hidden', 'true');
      const thumb = document.createElement('div');
      thumb.className = 'nn-scroll-thumb';
      track.appendChild(thumb);
      this.stage.appendChild(track);
      return { track, thumb };
    };
    this.bars = { x: bar('x'), y: bar('y') };
    this.root.appendChild(this.stage);
    container.appendChild(this.root);
    this.metrics = canvasMetrics(this.root);
    this.installPanZoom();
    this.installScrollBars();
  }

  /** Shows `model`; blocks opened before stay open and the view stays where it was if it is the same model. */
  async update(model: PlainModelInfo, diagnostics: readonly PlainDiagnostic[]): Promise<void> {
    if (this.model?.name !== model.name) {
      this.expanded = new Set();
      this.viewMode = 'opening';
    }
    this.model = model;
    this.diagnostics = diagnostics;
    try {
      this.fieldOf = receptiveFields(model);
    } catch (e) {
      // The tooltips lose a line; the graph itself must still be drawn.
      this.fieldOf = undefined;
      this.host.error(`Receptive fields for the graph failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    await this.layout();
  }

  /** Highlights the node whose call holds `offset` in the source. */
  highlight(offset: number | undefined, reveal = true): void {
    this.cursorOffset = offset;
    const box = offset === undefined ? undefined : boxAt(this.boxes, offset);
    const key = box?.key;
    if (key === this.current) return;
    if (this.current) this.elements.get(this.current)?.classList.remove('nn-current');
    this.current = key;
    if (!key) return;
    const g = this.elements.get(key);
    g?.classList.add('nn-current');
    if (g && reveal) this.ensureVisible(g);
  }

  /** Number of drawn boxes of each kind (for the debug line and tests). */
  counts(): { layer: number; group: number; input: number } {
    const c = { layer: 0, group: 0, input: 0 };
    for (const b of this.boxes.values()) c[b.node.kind]++;
    return c;
  }

  dispose(): void {
    this.layoutToken++;
    this.layouts.dispose();
    for (const f of this.cleanup) f();
    this.root.remove();
  }

  private setExpanded(keys: Set<string>): void {
    this.expanded = keys;
    void this.layout();
  }

  private async layout(): Promise<void> {
    const model = this.model;
    if (!model) return;
    const token = ++this.layoutToken;
    const diagram = buildDiagram(model.graph, this.diagnostics, this.expanded, this.metrics, { field: this.fieldOf });
    // The drawing on screen stays (and answers clicks) meanwhile; say so only if the wait is noticeable.
    const busy = setTimeout(() => {
      if (token !== this.layoutToken) return;
      this.root.dataset.layoutState = 'running';
      this.status.textContent = 'Laying out…';
    }, 250);
    let laid: ElkNode;
    try {
      const r = await this.layouts.layout(diagram.root);
      laid = r.graph;
      if (token === this.layoutToken) {
        this.root.dataset.layout = r.where;
        this.root.dataset.layoutMs = String(Math.round(r.ms));
        this.status.title = `Laid out in ${Math.round(r.ms)} ms ${r.where === 'worker' ? 'in a worker' : `on the page's thread (${this.layouts.fallback ?? 'the worker stopped'})`}`;
      }
    } catch (e) {
      // A newer layout replaced this one: it reports for itself.
      if (token === this.layoutToken && !(e instanceof LayoutSuperseded)) this.host.error(`Graph layout failed: ${e instanceof Error ? e.message : String(e)}`);
      return;
    } finally {
      clearTimeout(busy);
      if (token === this.layoutToken && this.root.dataset.layoutState) {
        delete this.root.dataset.layoutState;
        this.status.textContent = this.statusText;
      }
    }
    // A newer model arrived while ELK worked: its layout wins.
    if (token !== this.layoutToken) return;
    this.boxes = diagram.boxes;
    const hadFocus = this.svg.contains(document.activeElement) ? document.activeElement?.getAttribute('data-key') ?? undefined : undefined;
    // The node the user is at (the block just clicked, else the one at the editor's cursor) and where it is in the drawing.
    const clicked = this.anchorKey;
    this.anchorKey = undefined;
    const before = this.graphPoint(this.elements.get(clicked ?? this.current ?? ''));
    const keepsView = this.viewMode !== 'opening' && this.drawnFor === model.name;
    this.draw(laid);
    this.drawnFor = model.name;
    // For tests: how many drawings were made (a re-layout after an edit is one more).
    this.root.dataset.drawn = String(Number(this.root.dataset.drawn ?? 0) + 1);
    // A redrawn graph would drop the keyboard focus on the page's body: it goes back to the same node (or the block just opened or closed).
    const refocus = this.refocus ?? hadFocus;
    this.refocus = undefined;
    // Only while the page has the focus: Enter also selects the call in the editor, and a focus() after the
    // editor took the keyboard would take it back; the node gets it when the page does (onPageFocus).
    this.pendingFocus = refocus;
    if (refocus && document.hasFocus()) this.elements.get(refocus)?.focus();
    const status = graphStatus(this.counts(), model.hasErrors, this.diagnostics);
    this.statusText = status.text;
    this.status.textContent = this.statusText;
    this.status.classList.toggle('nn-status-error', status.error !== undefined);
    // The tooltip was set to this layout's time above; the first error comes before it.
    if (status.error) this.status.title = `${status.error}\n${this.status.title}`;
    this.current = undefined;
    if (keepsView) {
      // A re-layout (a keystroke, a block opened) keeps the zoom, and the node the user is at stays where it is on
      // screen: not revealed again either, since the user may have scrolled away from it on purpose.
      this.highlight(this.cursorOffset, false);
      const after = this.graphPoint(this.elements.get(clicked ?? this.current ?? ''));
      this.setTransform(keepAcrossLayout(this.viewSize(), this.size, this.transform, before && after ? { before, after } : undefined));
    } else {
      // A new model opens as Fit shows it, on its inputs.
      this.highlight(this.cursorOffset, false);
      this.fit();
    }
  }

  /** Where `g`'s top-left corner is in the drawing's own coordinates (zoom 1). */
  private graphPoint(g: SVGGElement | undefined): { x: number; y: number } | undefined {
    if (!g?.isConnected) return undefined;
    const b = g.getBoundingClientRect();
    const v = this.svg.getBoundingClientRect();
    if (!v.width) return undefined;
    const t = this.transform;
    return { x: (b.left - v.left - t.x) / t.k, y: (b.top - v.top - t.y) / t.k };
  }

  private viewSize(): { width: number; height: number } {
    const r = this.svg.getBoundingClientRect();
    return { width: r.width, height: r.height };
  }

  private draw(laid: ElkNode): void {
    this.viewport.replaceChildren();
    this.elements.clear();
    this.size = { width: laid.width ?? 0, height: laid.height ?? 0 };
    // The first input at the top level (where a model is read from), else the first box.
    const top = (laid.children ?? []).filter((c) => this.boxes.has(c.id));
    const first = top.find((c) => this.boxes.get(c.id)?.node.kind === 'input') ?? top[0];
    this.firstRect = first ? { x: first.x ?? 0, y: first.y ?? 0, width: first.width ?? 0, height: first.height ?? 0 } : undefined;
    const defs = el('defs', {}, this.viewport);
    const marker = el('marker', { id: 'nn-arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, defs);
    el('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'nn-arrowhead' }, marker);
    this.drawLevel(laid, this.viewport);
  }

  private drawLevel(parent: ElkNode, into: SVGGElement): void {
    // Frames first, then edges, then boxes: boxes stay on top of the lines.
    // The edges' shapes are in each node's label (its output shape): the lines and their labels are not read out.
    const edgeLayer = el('g', { class: 'nn-edges', 'aria-hidden': 'true' });
    const nodeLayer = el('g', { class: 'nn-nodes' });
    for (const child of parent.children ?? []) {
      const box = this.boxes.get(child.id);
      if (!box) continue;
      if (box.expanded) this.drawFrame(child, box, into);
      else this.drawBox(child, box, nodeLayer);
    }
    into.appendChild(edgeLayer);
    into.appendChild(nodeLayer);
    for (const edge of parent.edges ?? []) this.drawEdge(edge as ElkExtendedEdge, edgeLayer);
  }

  private drawBox(n: ElkNode, box: Box, into: SVGGElement): void {
    const g = el('g', {
      class: `nn-node ${box.category}${box.severity ? ` sev-${box.severity}` : ''}${box.node.kind === 'group' ? ' nn-collapsed' : ''}`,
      transform: `translate(${n.x ?? 0},${n.y ?? 0})`,
      'data-key': box.key,
      'data-kind': box.node.kind,
      'data-line': box.node.range.start.line + 1,
      tabindex: 0,
      role: 'button',
      'aria-label': nodeLabel(box),
      ...(box.node.kind === 'group' ? { 'aria-expanded': 'false' } : {}),
    }, into);
    const w = n.width ?? 0;
    const h = n.height ?? 0;
    el('rect', { class: 'nn-box', width: w, height: h, rx: 4 }, g);
    el('rect', { class: 'nn-stripe', width: 4, height: h, rx: 2 }, g);
    box.lines.forEach((line, i) => {
      const t = el('text', { class: i === 0 ? 'nn-title' : 'nn-detail', x: PAD_X, y: PAD_Y + (i + 1) * LINE_HEIGHT - 4 }, g);
      t.textContent = line;
    });
    if (box.node.kind === 'group') {
      const t = el('text', { class: 'nn-expander', x: w - 8, y: PAD_Y + LINE_HEIGHT - 4, 'text-anchor': 'end' }, g);
      t.textContent = '▸';
    }
    if (box.severity) this.drawMark(g, w, box.severity);
    el('title', {}, g).textContent = boxTooltip(box);
    this.elements.set(box.key, g);
  }

  private drawFrame(n: ElkNode, box: Box, into: SVGGElement): void {
    const g = el('g', {
      class: `nn-frame${box.severity ? ` sev-${box.severity}` : ''}`,
      transform: `translate(${n.x ?? 0},${n.y ?? 0})`,
      'data-key': box.key,
      'data-kind': box.node.kind,
    }, into);
    const w = n.width ?? 0;
    el('rect', { class: 'nn-frame-box', width: w, height: n.height ?? 0, rx: 6 }, g);
    const header = el('g', { class: 'nn-node nn-frame-header cat-group', 'data-key': box.key, 'data-kind': 'group', tabindex: 0, role: 'button', 'aria-label': nodeLabel(box), 'aria-expanded': 'true' }, g);
    el('rect', { class: 'nn-box', width: w, height: 24, rx: 6 }, header);
    const t = el('text', { class: 'nn-title', x: PAD_X, y: 16 }, header);
    t.textContent = groupHeader(box.node);
    el('title', {}, header).textContent = boxTooltip(box);
    if (box.severity) this.drawMark(header, w, box.severity);
    this.elements.set(box.key, header);
    const inner = el('g', {}, g);
    this.drawLevel(n, inner);
  }

  private drawMark(g: SVGGElement, w: number, severity: string): void {
    const m = el('g', { class: `nn-mark sev-${severity}`, transform: `translate(${w},0)` }, g);
    el('circle', { r: 7 }, m);
    const t = el('text', { 'text-anchor': 'middle', y: 4 }, m);
    t.textContent = severity === 'error' ? '!' : severity === 'warning' ? '!' : 'i';
  }

  private drawEdge(edge: ElkExtendedEdge, into: SVGGElement): void {
    for (const s of edge.sections ?? []) {
      const pts = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
      el('path', { class: 'nn-edge', d: `M ${pts.map((p) => `${p.x} ${p.y}`).join(' L ')}`, 'marker-end': 'url(#nn-arrow)' }, into);
    }
    for (const l of edge.labels ?? []) {
      if (!l.text) continue;
      el('rect', { class: 'nn-edge-label-bg', x: l.x ?? 0, y: l.y ?? 0, width: l.width ?? 0, height: l.height ?? 0, rx: 2 }, into);
      const t = el('text', { class: 'nn-edge-label', x: (l.x ?? 0) + 2, y: (l.y ?? 0) + LINE_HEIGHT - 4 }, into);
      t.textContent = l.text;
    }
  }

  // ------------------------------------------------------------- interaction

  private installPanZoom(): void {
    const svg = this.svg;
    let drag: { id: number; x: number; y: number; tx: number; ty: number; moved: boolean } | undefined;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = svg.getBoundingClientRect();
      const act = wheelAction(e, r.height);
      if ('zoom' in act) this.zoomBy(act.zoom, e.clientX - r.left, e.clientY - r.top);
      else this.moveBy(act.dx, act.dy);
    };
    const onDown = (e: PointerEvent) => {
      if (e.button !== 0) return;
      drag = { id: e.pointerId, x: e.clientX, y: e.clientY, tx: this.transform.x, ty: this.transform.y, moved: false };
    };
    const onMove = (e: PointerEvent) => {
      if (!drag || e.pointerId !== drag.id) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) {
        drag.moved = true;
        svg.setPointerCapture(e.pointerId);
        svg.classList.add('nn-panning');
      }
      this.viewMode = 'user';
      this.setTransform({ ...this.transform, x: drag.tx + dx, y: drag.ty + dy });
    };
    const onUp = (e: PointerEvent) => {
      if (!drag || e.pointerId !== drag.id) return;
      const wasDrag = drag.moved;
      drag = undefined;
      svg.classList.remove('nn-panning');
      if (svg.hasPointerCapture(e.pointerId)) svg.releasePointerCapture(e.pointerId);
      if (!wasDrag) this.activate(e.target);
    };
    const onKey = (e: KeyboardEvent) => {
      const zoom = zoomKey(e);
      if (zoom !== undefined) {
        e.preventDefault();
        if (zoom === 'fit') this.fit();
        else this.zoomBy(zoom);
        return;
      }
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        this.activate(e.target);
        return;
      }
      const step = graphKeyStep(e.key);
      if (step === undefined || e.altKey || e.ctrlKey || e.metaKey) return;
      // The nodes in drawing order (each level's boxes in graph order, an open block's body after its header).
      const nodes = Array.from(svg.querySelectorAll<SVGGElement>('.nn-node'));
      const at = nodes.indexOf((e.target as Element).closest?.('.nn-node') as SVGGElement);
      const next = step === 'first' ? nodes[0] : step === 'last' ? nodes[nodes.length - 1] : nodes[at < 0 ? 0 : Math.min(nodes.length - 1, Math.max(0, at + step))];
      if (!next) return;
      e.preventDefault();
      next.focus();
    };
    // A node reached with the keyboard is brought into view (the drawing pans, it does not scroll).
    const onFocus = (e: FocusEvent) => {
      const g = e.target instanceof Element ? e.target.closest<SVGGElement>('.nn-node') : null;
      if (g) this.ensureVisible(g);
    };
    // A view that shows the fit is fitted again (a panel made narrower, the tab strip wrapping); the user's view is kept
    // reachable. A new model's first view waits for its own drawing (the old one's size would fit the wrong graph).
    const onResize = new ResizeObserver(() => {
      if (!this.size.width || this.drawnFor !== this.model?.name) return;
      if (this.viewMode === 'user') this.setTransform(this.transform);
      else this.fit();
    });
    onResize.observe(svg);
    svg.addEventListener('wheel', onWheel, { passive: false });
    svg.addEventListener('pointerdown', onDown);
    svg.addEventListener('pointermove', onMove);
    svg.addEventListener('pointerup', onUp);
    svg.addEventListener('pointercancel', onUp);
    svg.addEventListener('keydown', onKey);
    svg.addEventListener('focusin', onFocus);
    const onPageFocus = () => {
      const key = this.pendingFocus;
      this.pendingFocus = undefined;
      const g = key ? this.elements.get(key) : undefined;
      if (g && (document.activeElement === document.body || document.activeElement === null)) g.focus();
    };
    window.addEventListener('focus', onPageFocus);
    this.cleanup.push(() => window.removeEventListener('focus', onPageFocus));
    this.cleanup.push(() => onResize.disconnect());
  }

  /** A click (or Enter) on a node: reveal its call; a block also opens or closes. */
  private activate(target: EventTarget | null): void {
    const g = target instanceof Element ? target.closest('.nn-node') : null;
    const key = g?.getAttribute('data-key');
    const box = key ? this.boxes.get(key) : undefined;
    if (!box) return;
    const n = box.node;
    // A node from an imported file has no range in this document: the call here that reaches it is selected.
    const call = callBox(this.boxes, box);
    if (call) this.host.reveal(call.node.range);
    if (n.kind === 'group') {
      this.anchorKey = box.key;
      // The drawing is made again: the keyboard stays on this block (its box or its open frame's header).
      if (g === document.activeElement) this.refocus = box.key;
      const next = new Set(this.expanded);
      if (next.has(box.key)) {
        for (const k of [...next]) if (k === box.key || k.startsWith(`${box.key}/`)) next.delete(k);
      } else next.add(box.key);
      this.setExpanded(next);
    }
  }

  /** Shows the drawing at `t`, kept reachable (graphFit.ts `clampTransform`), and the scroll bars for it. */
  private setTransform(t: Transform): void {
    const view = this.viewSize();
    const shown = view.width && this.size.width ? clampTransform(view, this.size, t) : t;
    this.transform = shown;
    this.viewport.setAttribute('transform', `translate(${shown.x},${shown.y}) scale(${shown.k})`);
    const bars = view.width && this.size.width ? scrollBars(view, this.size, shown) : undefined;
    for (const axis of ['x', 'y'] as const) {
      const b = bars?.[axis];
      const { track, thumb } = this.bars[axis];
      track.hidden = !b?.shown;
      if (!b?.shown) continue;
      thumb.style[axis === 'x' ? 'left' : 'top'] = `${b.start}px`;
      thumb.style[axis === 'x' ? 'width' : 'height'] = `${b.length}px`;
    }
    // For tests: the zoom on screen.
    this.root.dataset.zoom = shown.k.toFixed(3);
  }

  private zoomBy(factor: number, cx?: number, cy?: number): void {
    const r = this.svg.getBoundingClientRect();
    this.viewMode = 'user';
    this.setTransform(zoomAbout(this.transform, factor, cx ?? r.width / 2, cy ?? r.height / 2));
  }

  private moveBy(dx: number, dy: number): void {
    this.viewMode = 'user';
    this.setTransform({ ...this.transform, x: this.transform.x + dx, y: this.transform.y + dy });
  }

  /** Dragging a scroll bar's thumb scrolls along it; a click on its track moves the thumb there. */
  private installScrollBars(): void {
    for (const axis of ['x', 'y'] as const) {
      const { track, thumb } = this.bars[axis];
      let drag: { id: number; at: number; start: number } | undefined;
      const along = (e: PointerEvent) => (axis === 'x' ? e.clientX - track.getBoundingClientRect().left : e.clientY - track.getBoundingClientRect().top);
      const thumbStart = () => parseFloat(thumb.style[axis === 'x' ? 'left' : 'top']) || 0;
      const thumbLength = () => (axis === 'x' ? thumb.offsetWidth : thumb.offsetHeight);
      track.addEventListener('pointerdown', (e) => {
        if (e.button !== 0) return;
        e.preventDefault();
        e.stopPropagation();
        this.viewMode = 'user';
        const at = along(e);
        // On the track beside the thumb: the thumb's middle comes under the pointer, then drags from there.
        if (e.target !== thumb) this.setTransform(scrollTo(this.viewSize(), this.size, this.transform, axis, at - thumbLength() / 2));
        drag = { id: e.pointerId, at, start: thumbStart() };
        track.setPointerCapture(e.pointerId);
        track.classList.add('nn-dragging');
      });
      track.addEventListener('pointermove', (e) => {
        if (!drag || e.pointerId !== drag.id) return;
        this.setTransform(scrollTo(this.viewSize(), this.size, this.transform, axis, drag.start + along(e) - drag.at));
      });
      const end = (e: PointerEvent) => {
        if (!drag || e.pointerId !== drag.id) return;
        drag = undefined;
        track.classList.remove('nn-dragging');
        if (track.hasPointerCapture(e.pointerId)) track.releasePointerCapture(e.pointerId);
      };
      track.addEventListener('pointerup', end);
      track.addEventListener('pointercancel', end);
    }
  }

  /**
   * The whole graph in view when it stays readable, else the view's width
   * at a readable zoom from its top, to be panned (graphFit.ts): the Fit
   * button, and a new model's first view (the same, so that Fit does not
   * show more).
   */
  private fit(): void {
    const r = this.svg.getBoundingClientRect();
    // Not shown yet (another tab is open): the resize when it is shown fits it.
    if (!r.width || !r.height || !this.size.width) return;
    this.viewMode = 'fitted';
    const { k, x, y, whole } = openingTransform(r, this.size, this.firstRect);
    this.setTransform({ k, x, y });
    // For tests: whether Fit shows the whole graph or a readable part of it to pan.
    this.root.dataset.fit = whole ? 'whole' : 'part';
  }

  /** Pans so that a highlighted or focused node is inside the view. */
  private ensureVisible(g: SVGGElement): void {
    const view = this.svg.getBoundingClientRect();
    const b = g.getBoundingClientRect();
    if (!view.width || (b.top >= view.top && b.bottom <= view.bottom && b.left >= view.left && b.right <= view.right)) return;
    const dx = view.left + view.width / 2 - (b.left + b.width / 2);
    const dy = view.top + view.height / 2 - (b.top + b.height / 2);
    this.viewMode = 'user';
    this.setTransform({ ...this.transform, x: this.transform.x + dx, y: this.transform.y + dy });
  }

  // ------------------------------------------------------------------ export

  /** A standalone SVG: identity transform, computed theme colours written into each element. */
  private standaloneSvg(): { text: string; width: number; height: number } {
    const width = Math.ceil(this.size.width);
    const height = Math.ceil(this.size.height);
    const clone = this.svg.cloneNode(true) as SVGSVGElement;
    const props = ['fill', 'stroke', 'stroke-width', 'stroke-dasharray', 'font-family', 'font-size', 'font-weight', 'opacity', 'fill-opacity'];
    const src = [this.svg, ...Array.from(this.svg.querySelectorAll('*'))];
    const dst = [clone, ...Array.from(clone.querySelectorAll('*'))];
    src.forEach((s, i) => {
      const cs = getComputedStyle(s);
      const style = props.map((p) => `${p}:${cs.getPropertyValue(p)}`).join(';');
      dst[i].setAttribute('style', style);
      dst[i].removeAttribute('class');
      dst[i].removeAttribute('tabindex');
    });
    clone.setAttribute('xmlns', SVG);
    clone.setAttribute('width', String(width));
    clone.setAttribute('height', String(height));
    clone.setAttribute('viewBox', `0 0 ${width} ${height}`);
    clone.querySelector('g')?.removeAttribute('transform');
    const bg = getComputedStyle(document.body).backgroundColor;
    const rect = document.createElementNS(SVG, 'rect');
    rect.setAttribute('width', '100%');
    rect.setAttribute('height', '100%');
    rect.setAttribute('fill', bg);
    clone.insertBefore(rect, clone.firstChild);
    return { text: new XMLSerializer().serializeToString(clone), width, height };
  }

  private fileName(ext: string): string {
    const base = (this.model?.name ?? 'model').replace(/[^\w.-]/g, '_').replace(/^\.+/, '') || 'model';
    return `${base}.${ext}`;
  }

  private async exportSvg(): Promise<void> {
    if (!this.model) return;
    const { text } = this.standaloneSvg();
    await this.host.save(this.fileName('svg'), `<?xml version="1.0" encoding="UTF-8"?>\n${text}`);
  }

  private async exportPng(): Promise<void> {
    if (!this.model) return;
    const { text, width, height } = this.standaloneSvg();
    const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
    try {
      const img = new Image();
      await new Promise<void>((resolve, reject) => {
        img.onload = () => resolve();
        img.onerror = () => reject(new Error('the SVG could not be drawn'));
        img.src = url;
      });
      // Sharp on high-density screens, within the canvas size browsers allow.
      const scale = Math.min(2, 16384 / Math.max(width, height, 1));
      const canvas = document.createElement('canvas');
      canvas.width = Math.max(1, Math.floor(width * scale));
      canvas.height = Math.max(1, Math.floor(height * scale));
      const ctx = canvas.getContext('2d');
      if (!ctx) throw new Error('no 2-D canvas');
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
      if (!blob) throw new Error('the canvas gave no PNG');
      await this.host.save(this.fileName('png'), new Uint8Array(await blob.arrayBuffer()));
    } catch (e) {
      this.host.error(`PNG export failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      URL.revokeObjectURL(url);
    }
  }
}
