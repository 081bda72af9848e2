/**
 * Names as written: declarations and references for outline, go to
 * definition, find references and rename, and unused-value warnings.
 * A purely syntactic walk in source order, so it also covers code that shape
 * inference could not reach.
 */
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

export function collectSymbols(
  file: SourceFile,
  uri: string | undefined,
  blocks: ReadonlyMap<string, { decl: BlockDecl; uri?: string }>,
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

  const walker = new BodyWalker(symbols, diagnostics, globals);
  for (const item of file.items) {
    if (item.kind === 'model' || item.kind === 'block') walker.walkBody(item);
    else if (item.kind === 'train') {
      const m = globals.get(item.name.name);
      if (m?.kind === 'model') m.references.push({ range: item.name.range });
      symbols.push({ name: item.name.name, kind: 'train', range: item.name.range, fullRange: item.range, references: [] });
    }
  }
  return { symbols, diagnostics };
}

/**
 * Walks one model or block body at a time. A class with methods rather than
 * closures made per body: this runs over every body of the file on every
 * analysis, and closures cost an allocation (and, in the bundle, a name) each.
 */
class BodyWalker {
  private container = '';
  private scope = new Map<string, Binding>();
  private all: Binding[] = [];

  constructor(
    private readonly symbols: SymbolInfo[],
    private readonly diagnostics: Diagnostic[],
    private readonly globals: ReadonlyMap<string, SymbolInfo>,
  ) {}

  walkBody(decl: ModelDecl | BlockDecl): void {
    this.container = decl.name.name;
    this.scope = new Map();
    this.all = [];
    if (decl.kind === 'block') {
      for (const p of decl.params) {
        if (p.default) this.walk(p.default);
        this.declare(p.name.name, p.name.range, 'param', p.range);
      }
    }
    for (const stmt of decl.body) {
      if (stmt.kind === 'input') {
        if (stmt.shape) for (const d of stmt.shape.dims) this.walk(d);
        this.declare(stmt.name.name, stmt.name.range, 'input', stmt.range, stmt);
      } else if (stmt.kind === 'assign') {
        this.walk(stmt.value);
        const v = stmt.value;
        let isObject = false;
        if (v.kind === 'call' && !this.scope.has(v.callee.name) && !this.globals.has(v.callee.name)) {
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
      const isInput = b.symbol.kind === 'input';
      const message = b.overwrittenAt
        ? `'${b.symbol.name}' is assigned here but reassigned at line ${b.overwrittenAt.start.line + 1} before it is used.`
        : isInput
          ? `input '${b.symbol.name}' is never used.`
          : `'${b.symbol.name}' is never used.`;
      this.diagnostics.push({
        code: isInput ? 'input.unused' : 'value.unused',
        severity: 'warning',
        message,
        range: at,
        tags: ['unnecessary'],
      });
    }
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
    this.symbols.push(s);
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

  private walk(e: Expr): void {
    switch (e.kind) {
      case 'name':
        this.use(e.name, e.range);
        return;
      case 'list':
        for (const i of e.items) this.walk(i);
        return;
      case 'paren':
        this.walk(e.expr);
        return;
      case 'unary':
        this.walk(e.operand);
        return;
      case 'binary':
        this.walk(e.left);
        this.walk(e.right);
        return;
      case 'chain':
        this.walk(e.head);
        for (const c of e.calls) this.walk(c);
        return;
      case 'call': {
        if (!this.use(e.callee.name, e.callee.range)) {
          const g = this.globals.get(e.callee.name);
          if (g?.kind === 'block') g.references.push({ range: e.callee.range });
        }
        for (const a of e.args) this.walk(a.value);
        if (e.repeat) this.walk(e.repeat);
        return;
      }
      default:
        return;
    }
  }
}
