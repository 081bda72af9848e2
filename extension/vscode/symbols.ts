/**
 * Outline and breadcrumbs: models and blocks with their parameters, inputs,
 * values and outputs; train sections with their keys.
 */
import * as vscode from 'vscode';
import { formatCount, shapeToString, type Analysis, type ModelInfo, type SiteInfo, type Statement, type SymbolInfo } from '../core';
import type { AnalysisCache } from './analysisCache';
import { toRange } from './convert';
import { isLocal } from './pure/lookup';

const SK = vscode.SymbolKind;

function symbolFor(name: string, detail: string, kind: vscode.SymbolKind, full: vscode.Range, sel: vscode.Range): vscode.DocumentSymbol {
  // VS Code requires the selection range to lie inside the full range.
  return new vscode.DocumentSymbol(name || '(unnamed)', detail, kind, full.union(sel), sel);
}

/**
 * Lookups over one analysis, built once per outline: the outline of a long
 * file has thousands of entries, and searching the symbol and site lists for
 * each would make it quadratic in the file's length.
 */
interface Index {
  analysis: Analysis;
  /** Local symbols by container, then by the offset of their declaration. */
  symbols: Map<string, Map<number, SymbolInfo>>;
  /** Value, input and object sites by start offset (the first one wins, as in siteStartingAt). */
  sites: Map<number, SiteInfo>;
  /** Local models by name (the first one wins, as a linear search would). */
  models: Map<string, ModelInfo>;
}

const DECLARATION_SITES: readonly SiteInfo['kind'][] = ['value', 'input', 'object'];

function buildIndex(analysis: Analysis, docUri: string): Index {
  const symbols = new Map<string, Map<number, SymbolInfo>>();
  for (const s of analysis.symbols) {
    if (s.container === undefined || !isLocal(s.uri, docUri)) continue;
    let byOffset = symbols.get(s.container);
    if (!byOffset) symbols.set(s.container, (byOffset = new Map()));
    byOffset.set(s.range.start.offset, s);
  }
  const sites = new Map<number, SiteInfo>();
  for (const site of analysis.sites) {
    if (DECLARATION_SITES.includes(site.kind) && !sites.has(site.range.start.offset)) sites.set(site.range.start.offset, site);
  }
  const models = new Map<string, ModelInfo>();
  for (const m of analysis.models) if (isLocal(m.uri, docUri) && !models.has(m.name)) models.set(m.name, m);
  return { analysis, symbols, sites, models };
}

function shapeDetail(index: Index, s: SymbolInfo): string {
  const site = index.sites.get(s.range.start.offset);
  return site?.outShape ? shapeToString(site.outShape) : '';
}

function statementChildren(index: Index, body: Statement[], container: string): vscode.DocumentSymbol[] {
  const byOffset = index.symbols.get(container) ?? new Map<number, SymbolInfo>();
  const out: vscode.DocumentSymbol[] = [];
  for (const st of body) {
    switch (st.kind) {
      case 'input': {
        const sym = byOffset.get(st.name.range.start.offset);
        const detail = sym ? shapeDetail(index, sym) : '';
        out.push(symbolFor(st.name.name, detail, SK.Field, toRange(st.range), toRange(st.name.range)));
        break;
      }
      case 'assign': {
        const sym = byOffset.get(st.target.range.start.offset);
        const isObject = sym?.kind === 'object';
        const detail = sym ? shapeDetail(index, sym) : '';
        out.push(symbolFor(st.target.name, detail, isObject ? SK.Constant : SK.Variable, toRange(st.range), toRange(st.target.range)));
        break;
      }
      case 'output':
        out.push(symbolFor('output', '', SK.Event, toRange(st.range), toRange(st.keywordRange)));
        break;
    }
  }
  return out;
}

export function documentSymbols(analysis: Analysis, docUri: string): vscode.DocumentSymbol[] {
  const index = buildIndex(analysis, docUri);
  const out: vscode.DocumentSymbol[] = [];
  for (const item of analysis.file.items) {
    switch (item.kind) {
      case 'model': {
        const model = index.models.get(item.name.name);
        const detail = model ? `${formatCount(model.params.total)} params` : '';
        const sym = symbolFor(item.name.name, detail, SK.Class, toRange(item.range), toRange(item.name.range));
        sym.children = statementChildren(index, item.body, item.name.name);
        out.push(sym);
        break;
      }
      case 'block': {
        const params = item.params.map((p) => p.name.name).join(', ');
        const sym = symbolFor(item.name.name, `(${params})`, SK.Function, toRange(item.range), toRange(item.name.range));
        sym.children = [
          ...item.params.map((p) => symbolFor(p.name.name, '', SK.TypeParameter, toRange(p.range), toRange(p.name.range))),
          ...statementChildren(index, item.body, item.name.name),
        ];
        out.push(sym);
        break;
      }
      case 'train': {
        const sym = symbolFor(`train ${item.name.name}`, '', SK.Module, toRange(item.range), toRange(item.name.range));
        sym.children = item.entries.map((e) => symbolFor(e.key.name, '', SK.Property, toRange(e.range), toRange(e.key.range)));
        out.push(sym);
        break;
      }
      case 'import':
        out.push(symbolFor(item.path.value, 'import', SK.File, toRange(item.range), toRange(item.path.range)));
        break;
    }
  }
  return out;
}

export function registerSymbols(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  // The outline, the breadcrumbs and sticky scroll each ask for the same version: build its symbols once.
  const built = new WeakMap<Analysis, { uri: string; symbols: vscode.DocumentSymbol[] }>();
  return vscode.languages.registerDocumentSymbolProvider(
    selector,
    {
      provideDocumentSymbols(doc) {
        const analysis = cache.get(doc);
        const uri = doc.uri.toString();
        const hit = built.get(analysis);
        if (hit && hit.uri === uri) return hit.symbols;
        const symbols = documentSymbols(analysis, uri);
        built.set(analysis, { uri, symbols });
        return symbols;
      },
    },
    { label: 'nnmodel' },
  );
}
