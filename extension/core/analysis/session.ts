/**
 * Incremental analysis for an editor: re-analysing after a keystroke reuses
 * the results of every model that the edit cannot have changed.
 *
 * Models are grouped into clusters: models that (transitively) use a common
 * block share one cluster, because the analysis shares block
 * instantiations, diagnostics and sites between them. A cluster's results
 * are reused when its key is unchanged: the text and starting column of each
 * of its models and of every block they may use (any identifier naming a
 * block counts, through block bodies and imports). What every cluster
 * depends on, the file's uri and the table of block names (an unknown name's
 * suggestions list every block), is compared once per update: when it
 * changes no cluster is reused. Reused results are replayed in file order
 * through the same deduplication of diagnostics as a fresh analysis (sites
 * need none: clusters share no item), so the result equals
 * `analyze(text, options)`.
 *
 * The work per keystroke still proportional to the file is small per item:
 * cluster keys are the same string objects as before (the file's text is not
 * hashed again), the blocks each model may reach are kept per model tree
 * while no block changes, sites arrive sorted (no sort of them all), and
 * symbols are kept per body tree (see `collectSymbols`).
 *
 * Parsing is incremental too (see `reparse`): only the top-level items
 * around the edit are parsed again, and the line map is shifted rather than
 * rebuilt when the edit adds or removes no line break. Train sections,
 * unused blocks and declarations are always recomputed.
 *
 * A reused tree or cluster keeps its range objects; when text above it
 * changed they are moved in place. So a result of `update` stays valid only
 * until the next `update` of the same session: keep the latest result, not
 * older ones.
 */
import { partitionPoint } from '../bisect';
import { forEachChild } from '../syntax/children';
import type { BlockDecl, Expr, ModelDecl, Position, SourceFile, Statement, TopLevel } from '../syntax/ast';
import { reparse, type ParseState } from '../syntax/parser';
import { analyze, analyzeFile, LIMITS, type AnalyzeOptions, type Analyzer, type ModelRecord } from './analyze';
import type { Analysis } from './types';

interface ItemState {
  /** The tree the cluster was analysed with; the incremental parse may reuse (and move) it. */
  item: TopLevel;
  positions: Position[];
  offset: number;
  line: number;
}

interface Cluster {
  key: string;
  /** Records of the cluster's models, in file order. */
  records: ModelRecord[];
  /** The local models, then the local blocks, in key order: what moves when lines above change. */
  items: ItemState[];
}

/** What a cluster is made of in the current file. */
interface Plan {
  key: string;
  /** Indices into file.items of the models (file order), then of the local blocks (key order). */
  itemIndices: number[];
  /** False when the cluster's results must not be kept: a `//`, an imported file not read, or a twin. */
  cacheable: boolean;
}

export interface SessionStats {
  /** Models whose results were reused by the last update. */
  reusedModels: number;
  /** Models analysed by the last update. */
  analysedModels: number;
}

/** Re-analyses successive versions of one document, reusing what an edit left unchanged. */
export class AnalysisSession {
  private clusters = new Map<string, Cluster>();
  private options: AnalyzeOptions | undefined;
  /** The uri and the table of block names the clusters were keyed under (see `planClusters`). */
  private global: string | undefined;
  /** The blocks `reach` was computed with, by name; `reach` is dropped when any of them changes. */
  private blockDecls = new Map<string, BlockDecl>();
  /** Blocks each model tree may use, transitively (see `planClusters`). */
  private reach = new WeakMap<ModelDecl, string[]>();
  private parsed: ParseState | undefined;
  /** What the last update did, for tests and the benchmark. */
  stats: SessionStats = { reusedModels: 0, analysedModels: 0 };

  /** Analyse `text`; equal to `analyze(text, options)`. Invalidates the previous result's ranges. */
  update(text: string, options: AnalyzeOptions = {}): Analysis {
    if (this.options && (this.options.uri !== options.uri || this.options.readImport !== options.readImport)) this.clusters.clear();
    this.options = options;
    const parsed = reparse(text, this.parsed);
    this.parsed = parsed;
    const { file, positions } = parsed;
    const previous = this.clusters;
    const next = new Map<string, Cluster>();
    let reused = 0;
    let analysed = 0;
    let analyzer: Analyzer | undefined;
    const result = analyzeFile(file, options, (a, f, models) => {
      analyzer = a;
      // What every cluster depends on is compared once here rather than carried in each key:
      // hashing it into hundreds of keys per keystroke cost more than the analysis of the edited model.
      const global = globalKey(a, options.uri);
      if (global !== this.global) previous.clear();
      this.global = global;
      if (!sameBlocks(this.blockDecls, a)) {
        this.blockDecls = new Map([...a.blocks].map(([n, def]) => [n, def.decl]));
        this.reach = new WeakMap();
      }
      const plans = planClusters(a, f, text, options.uri, this.reach);
      if (f.errors.length > 0) uncacheNearErrors(f, plans);
      const aligned = positions.length === f.items.length;
      // Two clusters with the same key (identical models written twice) cannot share one cached result.
      const keys = new Map<string, number>();
      for (const plan of new Set(plans.values())) keys.set(plan.key, (keys.get(plan.key) ?? 0) + 1);
      const hits = new Map<Plan, Cluster>();
      for (const plan of new Set(plans.values())) {
        if (keys.get(plan.key) !== 1 || !aligned || !plan.cacheable) {
          plan.cacheable = false;
          continue;
        }
        const c = previous.get(plan.key);
        if (c) {
          // Ranges first: replaying deduplicates diagnostics and sites by offset.
          moveItems(c, plan, f);
          hits.set(plan, c);
        }
      }
      const recorded = new Map<Plan, ModelRecord[]>();
      const position = new Map<Plan, number>();
      for (let i = 0; i < f.items.length; i++) {
        const item = f.items[i];
        if (item.kind !== 'model') continue;
        const plan = plans.get(i)!;
        const hit = hits.get(plan);
        if (hit) {
          const k = position.get(plan) ?? 0;
          position.set(plan, k + 1);
          const r = hit.records[k];
          a.replayModel(r);
          models.push(r.info);
          reused++;
        } else {
          const r = a.recordModel(item);
          models.push(r.info);
          analysed++;
          if (plan.cacheable) {
            let list = recorded.get(plan);
            if (!list) recorded.set(plan, (list = []));
            list.push(r);
          }
        }
      }
      for (const [plan, c] of hits) next.set(plan.key, c);
      for (const [plan, records] of recorded) {
        next.set(plan.key, {
          key: plan.key,
          records,
          items: plan.itemIndices.map((i) => ({
            item: f.items[i],
            positions: positions[i],
            offset: f.items[i].range.start.offset,
            line: f.items[i].range.start.line,
          })),
        });
      }
    });
    const a = analyzer;
    // The node limit counts across models; near it, reuse could change where it trips.
    if (!a || a.failed || a.nodeCount > LIMITS.maxNodes) {
      this.clusters = new Map();
      this.stats = { reusedModels: 0, analysedModels: result.models.length };
      return reused > 0 ? analyze(text, options) : result;
    }
    this.clusters = next;
    this.stats = { reusedModels: reused, analysedModels: analysed };
    return result;
  }
}

/**
 * Marks not cacheable the clusters with a syntax error in one of their items
 * or after it, before the next item (a body left open at the end of the
 * file). What such an error mutes (the statement that holds it: see
 * `Analyzer.brokenParts`) depends on where it stands, which the key (the
 * items' text) does not hold: `x = t -> positonal(…)` typed before the
 * model's `}` is muted while the error sits at its end, and was still
 * muted, replayed, once Enter moved the error to the next line.
 */
function uncacheNearErrors(file: SourceFile, plans: Map<number, Plan>): void {
  const items = file.items;
  const marked = new Set<number>();
  for (const e of file.errors) {
    const o = e.range.start.offset;
    // The last item that starts at or before the error.
    const at = partitionPoint(items.length, (i) => items[i].range.start.offset <= o) - 1;
    if (at >= 0) marked.add(at);
  }
  for (const plan of new Set(plans.values())) if (plan.itemIndices.some((i) => marked.has(i))) plan.cacheable = false;
}

/** Shift the positions of a reused cluster's trees to where its items now stand. */
function moveItems(c: Cluster, plan: Plan, file: SourceFile): void {
  for (let k = 0; k < c.items.length; k++) {
    const st = c.items[k];
    const item = file.items[plan.itemIndices[k]];
    const start = item.range.start;
    const dOffset = start.offset - st.offset;
    const dLine = start.line - st.line;
    // The parse reused this very tree: it has moved it already.
    if (item !== st.item && (dOffset !== 0 || dLine !== 0)) {
      for (const p of st.positions) {
        p.offset += dOffset;
        p.line += dLine;
      }
    }
    st.offset = start.offset;
    st.line = start.line;
  }
}

/** The cluster of each model item (by index in file.items). */
/** Whether the analyser's blocks are the same trees, under the same names, as `decls`. */
function sameBlocks(decls: Map<string, BlockDecl>, a: Analyzer): boolean {
  if (decls.size !== a.blocks.size) return false;
  for (const [n, def] of a.blocks) if (decls.get(n) !== def.decl) return false;
  return true;
}

/**
 * The cluster of each model item (by index in file.items). `reachCache` holds
 * the blocks each model tree may use; it must be emptied when any block
 * changes (the session does so).
 */
function planClusters(a: Analyzer, file: SourceFile, text: string, uri: string | undefined, reachCache: WeakMap<ModelDecl, string[]>): Map<number, Plan> {
  const localIndex = new Map<BlockDecl, number>();
  for (let i = 0; i < file.items.length; i++) {
    const item = file.items[i];
    if (item.kind === 'block') localIndex.set(item, i);
  }

  // Blocks each model may use, transitively.
  const reach = new Map<number, string[]>();
  const owner = new Map<string, number>(); // block name -> representative model (union-find)
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.get(r)! !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  for (let i = 0; i < file.items.length; i++) {
    const item = file.items[i];
    if (item.kind !== 'model') continue;
    parent.set(i, i);
    let used = reachCache.get(item);
    if (used === undefined) {
      used = [];
      const seen = new Set<string>();
      const queue: (ModelDecl | BlockDecl)[] = [item];
      while (queue.length > 0) {
        for (const n of namesIn(queue.pop()!)) {
          if (seen.has(n)) continue;
          seen.add(n);
          const def = a.blocks.get(n);
          if (!def) continue;
          used.push(n);
          queue.push(def.decl);
        }
      }
      used.sort();
      reachCache.set(item, used);
    }
    reach.set(i, used);
    for (const n of used) {
      const o = owner.get(n);
      if (o === undefined) owner.set(n, i);
      else parent.set(find(i), find(o));
    }
  }
  const groups = new Map<number, number[]>();
  for (const i of reach.keys()) {
    const r = find(i);
    let g = groups.get(r);
    if (!g) groups.set(r, (g = []));
    g.push(i);
  }
  const plans = new Map<number, Plan>();
  for (const members of groups.values()) {
    members.sort((x, y) => x - y);
    const blocks = new Set<string>();
    for (const m of members) for (const n of reach.get(m)!) blocks.add(n);
    const parts: string[] = [];
    const itemIndices: number[] = [...members];
    let cacheable = true;
    const piece = (start: Position, end: Position, src: string): string => {
      const s = src.slice(start.offset, end.offset);
      // `//` is read as division or comment by looking at brackets across the whole file: keep it simple.
      if (s.includes('//')) cacheable = false;
      return s;
    };
    // A tree the parse reused has the same text as when it was first keyed.
    const itemPiece = (item: TopLevel, tag: string): string => {
      let p = pieces.get(item);
      if (p === undefined) {
        p = `${tag}${item.range.start.character}|${piece(item.range.start, item.range.end, text)}`;
        pieces.set(item, p);
      } else if (p.includes('//')) cacheable = false;
      return p;
    };
    for (const m of members) parts.push(itemPiece(file.items[m], 'M'));
    for (const n of [...blocks].sort()) {
      const def = a.blocks.get(n)!;
      const r = def.decl.range;
      const local = def.uri === uri ? localIndex.get(def.decl) : undefined;
      if (local !== undefined) {
        parts.push(itemPiece(def.decl, 'B'));
        itemIndices.push(local);
      } else {
        const src = def.uri !== undefined ? a.importTexts.get(def.uri) : undefined;
        if (src === undefined) cacheable = false;
        parts.push(`I${def.uri ?? ''}|${r.start.offset}|${r.start.line}|${r.start.character}|${src === undefined ? '' : piece(r.start, r.end, src)}`);
      }
    }
    const plan: Plan = { key: joinKey(file.items[members[0]], parts), itemIndices, cacheable };
    for (const m of members) plans.set(m, plan);
  }
  return plans;
}

/**
 * What every cluster's results depend on besides its own text: the file's uri
 * and the table of block names (an unknown name's suggestions list every block).
 */
function globalKey(a: Analyzer, uri: string | undefined): string {
  let table = `${uri ?? ''}\u0001`;
  for (const [name, def] of a.blocks) table += `${name}@${def.uri === uri ? '' : (def.uri ?? '?')},`;
  // The names on the lines of declarations the parser could not read: a call of one is not reported (see Analyzer.broken).
  return table + '\u0001' + a.brokenDeclNamesKey();
}

/**
 * The key made of `parts`, as the same string object as last time when the
 * parts are the same (cached piece) strings: a Map lookup then reuses the
 * hash V8 stored in the string instead of hashing the cluster's text again.
 */
function joinKey(first: TopLevel, parts: string[]): string {
  const old = keys.get(first);
  if (old && old.parts.length === parts.length && old.parts.every((p, i) => p === parts[i])) return old.key;
  const key = parts.join('\u0000');
  keys.set(first, { parts, key });
  return key;
}

const keys = new WeakMap<TopLevel, { parts: string[]; key: string }>();

/** Key text of each item, by tree (syntax trees are not changed, only moved). */
const pieces = new WeakMap<TopLevel, string>();
const names = new WeakMap<ModelDecl | BlockDecl, Set<string>>();

/** Every identifier a declaration mentions as a name or a callee (a superset of the blocks it calls). */
function namesIn(decl: ModelDecl | BlockDecl): Set<string> {
  let out = names.get(decl);
  if (out === undefined) {
    out = collectNames(decl);
    names.set(decl, out);
  }
  return out;
}

function collectNames(decl: ModelDecl | BlockDecl): Set<string> {
  const out = new Set<string>();
  const stack: Expr[] = [];
  if (decl.kind === 'block') for (const p of decl.params) if (p.default) stack.push(p.default);
  const pushStatement = (s: Statement) => {
    if (s.kind === 'assign') stack.push(s.value);
    else if (s.kind === 'output') for (const v of s.values) stack.push(v);
    else if (s.shape) for (const d of s.shape.dims) stack.push(d);
  };
  for (const s of decl.body) pushStatement(s);
  const push = (e: Expr) => stack.push(e);
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (e.kind === 'name') out.add(e.name);
    else if (e.kind === 'call') out.add(e.callee.name);
    forEachChild(e, push);
  }
  return out;
}
