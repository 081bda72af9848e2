/**
 * Outline and breadcrumbs: models and blocks with their parameters, inputs,
 * values and outputs; train sections with their keys.
 */
import * as vscode from 'vscode';
import { formatCount, shapeToString, type Analysis, type BlockDecl, type ModelInfo, type Shape, type SiteInfo, type Statement, type SymbolInfo } from '../core';
import { forEachInstantiation } from '../core/analysis/blockInputs';
import type { AnalysisCache } from './analysisCache';
import { toRange } from './convert';
import { isLocal } from './pure/lookup';
import { INCOMPLETE_MARK } from './pure/text';

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

/**
 * The shapes a block's inputs and output had in its first instantiation
 * (models in file order, calls in the order analysed), the one the hovers
 * and inlay hints of its body describe.
 */
interface BlockShapes {
  inputs: Map<string, Shape>;
  output?: Shape;
}

/** The first instantiation of each of this file's blocks, by its declaration (`forEachInstantiation`: the hovers' first). */
function firstInstantiations(analysis: Analysis): Map<BlockDecl, BlockShapes> {
  const out = new Map<BlockDecl, BlockShapes>();
  let blocks = 0;
  for (const item of analysis.file.items) if (item.kind === 'block') blocks++;
  forEachInstantiation(analysis, (decl, body) => {
    if (out.has(decl)) return false;
    const inputs = new Map<string, Shape>();
    for (const id of body.inputs) {
      const input = body.nodes.find((x) => x.id === id);
      if (input?.kind === 'input') inputs.set(input.name, input.shape);
    }
    const output = body.nodes.find((x) => x.id === body.outputs[0]);
    out.set(decl, { inputs, output: output?.shape });
    // Every block has its first: the rest of the graphs has nothing to add.
    return out.size === blocks;
  });
  return out;
}

/** A model's totals as the CodeLens words them, `⚠ incomplete:` first while it has errors (parameters only: the outline is narrow). */
function modelDetail(model: ModelInfo): string {
  const params = `${formatCount(model.params.total)} params`;
  return model.hasErrors ? `⚠ ${INCOMPLETE_MARK} ${params}` : params;
}

/** What an `output` line gives: a model's outputs by their expressions, a block's output in its first instantiation. */
function outputDetail(st: Extract<Statement, { kind: 'output' }>, model: ModelInfo | undefined, block: BlockShapes | undefined): string {
  if (block) return block.output ? shapeToString(block.output) : '';
  if (!model) return '';
  const shapes: string[] = [];
  for (const e of st.values) {
    const o = model.outputs.find((x) => x.range.start.offset === e.range.start.offset);
    if (!o) return '';
    shapes.push(shapeToString(o.shape));
  }
  return shapes.join(', ');
}

function shapeDetail(index: Index, s: SymbolInfo): string {
  const site = index.sites.get(s.range.start.offset);
  return site?.outShape ? shapeToString(site.outShape) : '';
}

function statementChildren(
  index: Index,
  body: Statement[],
  container: string,
  owner: { model?: ModelInfo; block?: BlockShapes } = {},
): vscode.DocumentSymbol[] {
  const byOffset = index.symbols.get(container) ?? new Map<number, SymbolInfo>();
  const out: vscode.DocumentSymbol[] = [];
  for (const st of body) {
    switch (st.kind) {
      case 'input': {
        const sym = byOffset.get(st.name.range.start.offset);
        // A block input has no site of its own: its shape is the one its first instantiation received.
        const received = owner.block?.inputs.get(st.name.name);
        const detail = received ? shapeToString(received) : sym ? shapeDetail(index, sym) : '';
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
        out.push(symbolFor('output', outputDetail(st, owner.model, owner.block), SK.Event, toRange(st.range), toRange(st.keywordRange)));
        break;
    }
  }
  return out;
}

export function documentSymbols(analysis: Analysis, docUri: string): vscode.DocumentSymbol[] {
  const index = buildIndex(analysis, docUri);
  let blocks: Map<BlockDecl, BlockShapes> | undefined;
  const out: vscode.DocumentSymbol[] = [];
  for (const item of analysis.file.items) {
    switch (item.kind) {
      case 'model': {
        const model = index.models.get(item.name.name);
        const detail = model ? modelDetail(model) : '';
        const sym = symbolFor(item.name.name, detail, SK.Class, toRange(item.range), toRange(item.name.range));
        sym.children = statementChildren(index, item.body, item.name.name, { model });
        out.push(sym);
        break;
      }
      case 'block': {
        const params = item.params.map((p) => p.name.name).join(', ');
        const sym = symbolFor(item.name.name, `(${params})`, SK.Function, toRange(item.range), toRange(item.name.range));
        sym.children = [
          ...item.params.map((p) => symbolFor(p.name.name, '', SK.TypeParameter, toRange(p.range), toRange(p.name.range))),
          ...statementChildren(index, item.body, item.name.name, { block: (blocks ??= firstInstantiations(analysis)).get(item) ?? { inputs: new Map() } }),
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
