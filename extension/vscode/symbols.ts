/**
 * Outline and breadcrumbs: models and blocks with their parameters, inputs,
 * values and outputs; train sections with their keys.
 */
import * as vscode from 'vscode';
import { formatCount, shapeToString, type Analysis, type Statement, type SymbolInfo } from '../core';
import type { AnalysisCache } from './analysisCache';
import { toRange } from './convert';
import { isLocal, siteStartingAt } from './pure/lookup';

const SK = vscode.SymbolKind;

function symbolFor(name: string, detail: string, kind: vscode.SymbolKind, full: vscode.Range, sel: vscode.Range): vscode.DocumentSymbol {
  // VS Code requires the selection range to lie inside the full range.
  return new vscode.DocumentSymbol(name || '(unnamed)', detail, kind, full.union(sel), sel);
}

function shapeDetail(analysis: Analysis, s: SymbolInfo): string {
  const site = siteStartingAt(analysis.sites, s.range, ['value', 'input', 'object']);
  return site?.outShape ? shapeToString(site.outShape) : '';
}

function statementChildren(analysis: Analysis, body: Statement[], container: string, docUri: string): vscode.DocumentSymbol[] {
  const byOffset = new Map<number, SymbolInfo>();
  for (const s of analysis.symbols) if (s.container === container && isLocal(s.uri, docUri)) byOffset.set(s.range.start.offset, s);
  const out: vscode.DocumentSymbol[] = [];
  for (const st of body) {
    switch (st.kind) {
      case 'input': {
        const sym = byOffset.get(st.name.range.start.offset);
        const detail = sym ? shapeDetail(analysis, sym) : '';
        out.push(symbolFor(st.name.name, detail, SK.Field, toRange(st.range), toRange(st.name.range)));
        break;
      }
      case 'assign': {
        const sym = byOffset.get(st.target.range.start.offset);
        const isObject = sym?.kind === 'object';
        const detail = sym ? shapeDetail(analysis, sym) : '';
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
  const out: vscode.DocumentSymbol[] = [];
  for (const item of analysis.file.items) {
    switch (item.kind) {
      case 'model': {
        const model = analysis.models.find((m) => m.name === item.name.name && isLocal(m.uri, docUri));
        const detail = model ? `${formatCount(model.params.total)} params` : '';
        const sym = symbolFor(item.name.name, detail, SK.Class, toRange(item.range), toRange(item.name.range));
        sym.children = statementChildren(analysis, item.body, item.name.name, docUri);
        out.push(sym);
        break;
      }
      case 'block': {
        const params = item.params.map((p) => p.name.name).join(', ');
        const sym = symbolFor(item.name.name, `(${params})`, SK.Function, toRange(item.range), toRange(item.name.range));
        sym.children = [
          ...item.params.map((p) => symbolFor(p.name.name, '', SK.TypeParameter, toRange(p.range), toRange(p.name.range))),
          ...statementChildren(analysis, item.body, item.name.name, docUri),
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
  return vscode.languages.registerDocumentSymbolProvider(
    selector,
    { provideDocumentSymbols: (doc) => documentSymbols(cache.get(doc), doc.uri.toString()) },
    { label: 'nnmodel' },
  );
}
