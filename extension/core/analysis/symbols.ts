/**
 * Names as written: declarations and references for outline, go to
 * definition, find references and rename, and unused-value warnings.
 * A purely syntactic walk in source order, so it also covers code that shape
 * inference could not reach. Each binding of a name is a symbol of its own
 * (`x = x -> f` declares a new `x`; the `x` on its right is a use of the
 * previous one); `bindingChain` gives all the bindings of a name in a body.
 */
import { forEachChild } from '../syntax/children';
import type { BlockDecl, Expr, ModelDecl, Range, SourceFile, Statement } from '../syntax/ast';
import { getLayer } from '../layers';
import type { Diagnostic, SymbolInfo } from './types';

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

  // Indexed loops and Map.forEach here: this runs once per analysis, mostly unoptimised, where `for...of` allocates per step.
  const items = file.items;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.kind === 'model' || item.kind === 'block') {
      if (globals.has(item.name.name)) continue;
      const s: SymbolInfo = { name: item.name.name, kind: item.kind, range: item.name.range, fullRange: item.range, references: [] };
      globals.set(item.name.name, s);
      symbols.push(s);
    }
  }
  // Imported blocks: references land on their declaration in the other file.
  blocks.forEach((def, name) => {
    if (def.uri === uri || globals.has(name)) return;
    const s: SymbolInfo = { name, kind: 'block', range: def.decl.name.range, uri: def.uri, fullRange: def.decl.range, references: [] };
    globals.set(name, s);
    symbols.push(s);
  });

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
  const walker = new BodyWalker(globals, symbols, diagnostics);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.kind === 'model' || item.kind === 'block') {
      if (!keep) {
        // Written straight into the file's lists, in the order the kept walk's are copied below.
        walker.walkBody(item);
        continue;
      }
      const body = walker.bodyOf(item);
      for (const x of body.symbols) symbols.push(x);
      for (const r of body.blockRefs) globals.get(r.name)!.references.push({ range: r.range });
      for (const u of body.unused) diagnostics.push(unusedDiagnostic(u.name, u.isInput, u.range, u.overwrittenAt));
    } else if (item.kind === 'train') {
      const m = globals.get(item.name.name);
      if (m?.kind === 'model') m.references.push({ range: item.name.range });
      symbols.push({ name: item.name.name, kind: 'train', range: item.name.range, fullRange: item.range, references: [] });
    }
  }
  return { symbols, diagnostics };
}

/**
 * The bindings of `symbol`'s name in the model or block body that declares
 * it, in source order: `input x`, then `x = x -> f`, then `x = x + y` are one
 * variable to the person who wrote them, so rename and find references take
 * them all. A model, block or train section is alone in its chain.
 */
export function bindingChain(symbols: readonly SymbolInfo[], file: SourceFile, symbol: SymbolInfo): SymbolInfo[] {
  if (symbol.container === undefined || symbol.uri !== undefined) return [symbol];
  const at = symbol.range.start.offset;
  // By the body's range, not the container's name: two models of the same name are two bodies.
  const body = file.items.find((i) => (i.kind === 'model' || i.kind === 'block') && i.range.start.offset <= at && at <= i.range.end.offset);
  if (!body) return [symbol];
  const start = body.range.start.offset;
  const end = body.range.end.offset;
  const chain = symbols.filter(
    (s) => s.name === symbol.name && s.container === symbol.container && s.uri === undefined && start <= s.range.start.offset && s.range.start.offset <= end,
  );
  return chain.sort((a, b) => a.range.start.offset - b.range.start.offset);
}

/** What a body unused binding warns about; the message is made per analysis (it names a line, and lines move). */
interface Unused {
  name: string;
  isInput: boolean;
  range: Range;
  overwrittenAt?: Range;
}

function unusedDiagnostic(name: string, isInput: boolean, range: Range, overwrittenAt: Range | undefined): Diagnostic {
  const message = overwrittenAt
    ? `'${name}' is assigned here but reassigned at line ${overwrittenAt.start.line + 1} before it is used.`
    : isInput
      ? `input '${name}' is never used.`
      : `'${name}' is never used.`;
  return { code: isInput ? 'input.unused' : 'value.unused', severity: 'warning', message, range, tags: ['unnecessary'] };
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
 *
 * The bindings of the body being walked live in scratch arrays reused from
 * body to body (binding `i`: its name, symbol, statement, whether it is used,
 * and the range that replaced it before any use), so a body allocates only
 * what it returns. `scope` maps a name to its latest binding and is never
 * cleared: an index left by an earlier body is told apart by the name
 * stored there (see `lookup`).
 */
class BodyWalker {
  private container = '';
  private readonly scope = new Map<string, number>();
  private readonly bindingName: string[] = [];
  private readonly bindingSymbol: SymbolInfo[] = [];
  private readonly bindingStmt: (Statement | undefined)[] = [];
  private readonly bindingUsed: boolean[] = [];
  private readonly bindingOverwrittenAt: (Range | undefined)[] = [];
  /** Bindings of the current body. */
  private count = 0;
  /** The kept walk of the current body; undefined when nothing is kept (results go to the file's lists). */
  private out: BodySymbols | undefined;

  constructor(
    private readonly globals: ReadonlyMap<string, SymbolInfo>,
    /** The file's symbols and diagnostics: where a walk that is not kept writes. */
    private readonly fileSymbols: SymbolInfo[],
    private readonly fileDiagnostics: Diagnostic[],
  ) {}

  /** The body's symbols, reused when the same tree was walked against the same global names. */
  bodyOf(decl: ModelDecl | BlockDecl): BodySymbols {
    const cached = bodyCache.get(decl);
    if (cached && (cached.epoch === globalsEpoch || this.sameGlobals(cached.globalNames))) {
      cached.epoch = globalsEpoch;
      return cached;
    }
    const body: BodySymbols = { symbols: [], blockRefs: [], unused: [], globalNames: new Map(), epoch: globalsEpoch };
    this.out = body;
    this.walkBody(decl);
    this.out = undefined;
    bodyCache.set(decl, body);
    return body;
  }

  private sameGlobals(names: Map<string, SymbolInfo['kind'] | undefined>): boolean {
    for (const [name, kind] of names) if (this.globals.get(name)?.kind !== kind) return false;
    return true;
  }

  private globalKind(name: string): SymbolInfo['kind'] | undefined {
    const kind = this.globals.get(name)?.kind;
    if (this.out) this.out.globalNames.set(name, kind);
    return kind;
  }

  /**
   * Walks `decl`: into `out` when set (`bodyOf`), else straight into the
   * file's symbols, its blocks' references and its diagnostics.
   */
  walkBody(decl: ModelDecl | BlockDecl): void {
    this.container = decl.name.name;
    this.count = 0;
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
            if (decl.kind === 'block' && d.kind === 'name' && this.lookup(d.name) < 0) this.declare(d.name, d.range, 'param', d.range);
            else this.walk(d);
          }
        }
        this.declare(stmt.name.name, stmt.name.range, 'input', stmt.range, stmt);
      } else if (stmt.kind === 'assign') {
        this.walk(stmt.value);
        const v = stmt.value;
        let isObject = false;
        if (v.kind === 'call' && this.lookup(v.callee.name) < 0 && this.globalKind(v.callee.name) === undefined) {
          const spec = getLayer(v.callee.name);
          isObject = spec !== undefined && !spec.args.some((a) => a.type === 'tensors');
        } else if (v.kind === 'name') {
          // `e = d`: another name for the layer object d (one set of weights).
          const i = this.lookup(v.name);
          isObject = i >= 0 && this.bindingSymbol[i].kind === 'object';
        }
        this.declare(stmt.target.name, stmt.target.range, isObject ? 'object' : 'value', stmt.range, stmt);
      } else {
        for (const e of stmt.values) this.walk(e);
      }
    }
    for (let i = 0; i < this.count; i++) {
      const symbol = this.bindingSymbol[i];
      if (this.bindingUsed[i] || symbol.kind === 'param') continue;
      const stmt = this.bindingStmt[i];
      const at = stmt?.kind === 'assign' ? stmt.target.range : stmt?.kind === 'input' ? stmt.name.range : symbol.range;
      // In a block, a second input that is never used is still an input of its signature.
      const isInput = symbol.kind === 'input';
      const overwrittenAt = this.bindingOverwrittenAt[i];
      if (this.out) this.out.unused.push({ name: symbol.name, isInput, range: at, overwrittenAt });
      else this.fileDiagnostics.push(unusedDiagnostic(symbol.name, isInput, at, overwrittenAt));
    }
  }

  /** The index of the binding of `name` in the current body, or -1. */
  private lookup(name: string): number {
    const i = this.scope.get(name);
    // An index below `count` left by an earlier body holds another name: a binding of `name` in this body would have replaced it.
    return i !== undefined && i < this.count && this.bindingName[i] === name ? i : -1;
  }

  private declare(name: string, range: Range, kind: SymbolInfo['kind'], fullRange: Range, stmt?: Statement): void {
    const prev = this.lookup(name);
    // A rebinding is a symbol of its own: the uses after it (hover, definition, highlights) are its uses, not the
    // earlier binding's. Rename and find references join the bindings of a name in a body again (`bindingChain`).
    if (prev >= 0 && !this.bindingUsed[prev]) this.bindingOverwrittenAt[prev] = range;
    const symbol: SymbolInfo = { name, kind, range, fullRange, container: this.container, references: [] };
    (this.out ? this.out.symbols : this.fileSymbols).push(symbol);
    const i = this.count++;
    this.bindingName[i] = name;
    this.bindingSymbol[i] = symbol;
    this.bindingStmt[i] = stmt;
    this.bindingUsed[i] = false;
    this.bindingOverwrittenAt[i] = undefined;
    this.scope.set(name, i);
  }

  private use(name: string, range: Range): boolean {
    const i = this.lookup(name);
    if (i < 0) return false;
    this.bindingUsed[i] = true;
    this.bindingSymbol[i].references.push({ range });
    return true;
  }

  private readonly walkChild = (e: Expr): void => this.walk(e);

  /** Uses, then the sub-expressions in source order (`forEachChild`). */
  private walk(e: Expr): void {
    if (e.kind === 'name') this.use(e.name, e.range);
    else if (e.kind === 'call' && !this.use(e.callee.name, e.callee.range) && this.globalKind(e.callee.name) === 'block') {
      if (this.out) this.out.blockRefs.push({ name: e.callee.name, range: e.callee.range });
      else this.globals.get(e.callee.name)!.references.push({ range: e.callee.range });
    }
    forEachChild(e, this.walkChild);
  }
}
