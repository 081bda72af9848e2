/**
 * Names as written: declarations and references for outline, go to
 * definition, find references and rename, and unused-value warnings.
 * A purely syntactic walk in source order, so it also covers code that shape
 * inference could not reach.
 */
import { forEachChild } from '../syntax/children';
import type { BlockDecl, Expr, ModelDecl, Range, SourceFile, Statement } from '../syntax/ast';
import { getLayer } from '../layers';
import type { Diagnostic, SymbolInfo } from './types';

interface Binding {
  symbol: SymbolInfo;
  stmt?: Statement;
  used: boolean;
  /** The binding that replaced it, when one did. */
  overwrittenAt?: Range;
}

/**
 * The symbols of `file` and the unused-value warnings, in source order. The
 * walk of a body is kept per syntax tree (a tree the incremental parse
 * reused has the same text) and reused while the global names it looked up
 * keep their kind: the local symbol objects are then shared with the
 * previous result, like the tree's ranges. `keep` false: the trees are
 * new and will not be seen again (a one-off `analyze`), so nothing is kept.
 */
export function collectSymbols(
  file: SourceFile,
  uri: string | undefined,
  blocks: ReadonlyMap<string, { decl: BlockDecl; uri?: string }>,
  keep = true,
): { symbols: SymbolInfo[]; diagnostics: Diagnostic[] } {
  const symbols: SymbolInfo[] = [];
  const diagnostics: Diagnostic[] = [];
  const globals = new Map<string, SymbolInfo>();

  for (const item of file.items) {
    if (item.kind === 'model' || item.kind === 'block') {
      if (globals.has(item.name.name)) continue;
      const s: SymbolInfo = { name: item.name.name, kind: item.kind, range: item.name.range, fullRange: item.range, references: [] };
      globals.set(item.name.name, s);
      symbols.push(s);
    }
  }
  // Imported blocks: references land on their declaration in the other file.
  for (const [name, def] of blocks) {
    if (def.uri === uri || globals.has(name)) continue;
    const s: SymbolInfo = { name, kind: 'block', range: def.decl.name.range, uri: def.uri, fullRange: def.decl.range, references: [] };
    globals.set(name, s);
    symbols.push(s);
  }

  // One comparison of the global table instead of one per body: bodies walked under the same table
  // (same epoch) are reused without checking the names they looked up.
  // A walk that keeps nothing neither uses nor moves the epoch.
  if (keep) {
    let sig = '';
    for (const [name, g] of globals) sig += `${name}\u0000${g.kind}\u0001`;
    if (sig !== globalsSig) {
      globalsSig = sig;
      globalsEpoch++;
    }
  }
  const walker = new BodyWalker(globals, keep);
  for (const item of file.items) {
    if (item.kind === 'model' || item.kind === 'block') {
      const body = walker.bodyOf(item);
      for (const x of body.symbols) symbols.push(x);
      for (const r of body.blockRefs) globals.get(r.name)!.references.push({ range: r.range });
      for (const u of body.unused) diagnostics.push(unusedDiagnostic(u));
    } else if (item.kind === 'train') {
      const m = globals.get(item.name.name);
      if (m?.kind === 'model') m.references.push({ range: item.name.range });
      symbols.push({ name: item.name.name, kind: 'train', range: item.name.range, fullRange: item.range, references: [] });
    }
  }
  return { symbols, diagnostics };
}

/** What a body unused binding warns about; the message is made per analysis (it names a line, and lines move). */
interface Unused {
  name: string;
  isInput: boolean;
  range: Range;
  overwrittenAt?: Range;
}

function unusedDiagnostic(u: Unused): Diagnostic {
  const message = u.overwrittenAt
    ? `'${u.name}' is assigned here but reassigned at line ${u.overwrittenAt.start.line + 1} before it is used.`
    : u.isInput
      ? `input '${u.name}' is never used.`
      : `'${u.name}' is never used.`;
  return { code: u.isInput ? 'input.unused' : 'value.unused', severity: 'warning', message, range: u.range, tags: ['unnecessary'] };
}

/**
 * What the walk of one body found. It depends only on the body's tree and,
 * through `globalNames`, on which callee names are models or blocks of the
 * file: so an editor session that keeps a tree (see `reparse`) reuses it
 * instead of walking every body of the file on every keystroke. The ranges
 * are the tree's own objects, which the incremental parse moves in place.
 */
interface BodySymbols {
  /** Local symbols (params, inputs, values, layer objects), complete with their references. */
  symbols: SymbolInfo[];
  /** Calls of blocks of the global table, in walk order: references of those blocks. */
  blockRefs: { name: string; range: Range }[];
  unused: Unused[];
  /** Each callee name looked up in the global table, with the kind it had there. */
  globalNames: Map<string, SymbolInfo['kind'] | undefined>;
  /** The `globalsEpoch` under which `globalNames` was last checked. */
  epoch: number;
}

/** The global table (names and kinds) of the last analysis, and a number that changes when it changes. */
let globalsSig = '';
let globalsEpoch = 0;

const bodyCache = new WeakMap<ModelDecl | BlockDecl, BodySymbols>();

/**
 * Walks one model or block body at a time. A class with methods rather than
 * closures made per body: this runs over every body of the file on every
 * analysis, and closures cost an allocation (and, in the bundle, a name) each.
 */
class BodyWalker {
  private container = '';
  private scope = new Map<string, Binding>();
  private all: Binding[] = [];
  private out: BodySymbols = { symbols: [], blockRefs: [], unused: [], globalNames: new Map(), epoch: 0 };

  constructor(
    private readonly globals: ReadonlyMap<string, SymbolInfo>,
    /** Whether walks are kept for reuse (see `collectSymbols`). */
    private readonly keep: boolean,
  ) {}

  /** The body's symbols, reused when the same tree was walked against the same global names. */
  bodyOf(decl: ModelDecl | BlockDecl): BodySymbols {
    if (!this.keep) return this.walkBody(decl);
    const cached = bodyCache.get(decl);
    if (cached && (cached.epoch === globalsEpoch || this.sameGlobals(cached.globalNames))) {
      cached.epoch = globalsEpoch;
      return cached;
    }
    const body = this.walkBody(decl);
    bodyCache.set(decl, body);
    return body;
  }

  private sameGlobals(names: Map<string, SymbolInfo['kind'] | undefined>): boolean {
    for (const [name, kind] of names) if (this.globals.get(name)?.kind !== kind) return false;
    return true;
  }

  private globalKind(name: string): SymbolInfo['kind'] | undefined {
    const kind = this.globals.get(name)?.kind;
    if (this.keep) this.out.globalNames.set(name, kind);
    return kind;
  }

  private walkBody(decl: ModelDecl | BlockDecl): BodySymbols {
    this.container = decl.name.name;
    this.scope = new Map();
    this.all = [];
    this.out = { symbols: [], blockRefs: [], unused: [], globalNames: new Map(), epoch: globalsEpoch };
    if (decl.kind === 'block') {
      for (const p of decl.params) {
        if (p.default) this.walk(p.default);
        this.declare(p.name.name, p.name.range, 'param', p.range);
      }
    }
    for (const stmt of decl.body) {
      if (stmt.kind === 'input') {
        if (stmt.shape) {
          for (const d of stmt.shape.dims) {
            // In a block, a free name in an input's shape binds the received size (see Analyzer.bindInputShape):
            // a parameter that each call fills in. Elsewhere it is a use (a parameter, or a model's symbolic size).
            if (decl.kind === 'block' && d.kind === 'name' && !this.scope.has(d.name)) this.declare(d.name, d.range, 'param', d.range);
            else this.walk(d);
          }
        }
        this.declare(stmt.name.name, stmt.name.range, 'input', stmt.range, stmt);
      } else if (stmt.kind === 'assign') {
        this.walk(stmt.value);
        const v = stmt.value;
        let isObject = false;
        if (v.kind === 'call' && !this.scope.has(v.callee.name) && this.globalKind(v.callee.name) === undefined) {
          const spec = getLayer(v.callee.name);
          isObject = spec !== undefined && !spec.args.some((a) => a.type === 'tensors');
        }
        this.declare(stmt.target.name, stmt.target.range, isObject ? 'object' : 'value', stmt.range, stmt);
      } else {
        for (const e of stmt.values) this.walk(e);
      }
    }
    for (const b of this.all) {
      if (b.used || b.symbol.kind === 'param') continue;
      const stmt = b.stmt;
      const at = stmt?.kind === 'assign' ? stmt.target.range : stmt?.kind === 'input' ? stmt.name.range : b.symbol.range;
      // In a block, a second input that is never used is still an input of its signature.
      this.out.unused.push({ name: b.symbol.name, isInput: b.symbol.kind === 'input', range: at, overwrittenAt: b.overwrittenAt });
    }
    return this.out;
  }

  private declare(name: string, range: Range, kind: SymbolInfo['kind'], fullRange: Range, stmt?: Statement): void {
    const prev = this.scope.get(name);
    if (prev) {
      // A rebinding: the same name for rename, a new value for "unused".
      prev.symbol.references.push({ range });
      if (!prev.used) prev.overwrittenAt = range;
      const b: Binding = { symbol: prev.symbol, stmt, used: false };
      this.scope.set(name, b);
      this.all.push(b);
      return;
    }
    const s: SymbolInfo = { name, kind, range, fullRange, container: this.container, references: [] };
    this.out.symbols.push(s);
    const b: Binding = { symbol: s, stmt, used: false };
    this.scope.set(name, b);
    this.all.push(b);
  }

  private use(name: string, range: Range): boolean {
    const b = this.scope.get(name);
    if (!b) return false;
    b.used = true;
    b.symbol.references.push({ range });
    return true;
  }

  private readonly walkChild = (e: Expr): void => this.walk(e);

  private walk(e: Expr): void {
    if (e.kind === 'name') this.use(e.name, e.range);
    else if (e.kind === 'call' && !this.use(e.callee.name, e.callee.range) && this.globalKind(e.callee.name) === 'block') {
      this.out.blockRefs.push({ name: e.callee.name, range: e.callee.range });
    }
    forEachChild(e, this.walkChild);
  }
}
