/**
 * Extension entry point: wiring only. Every feature lives in its own file
 * under ./vscode and reads the one shared analysis cache.
 */
import * as vscode from 'vscode';
import type { Analysis } from './core';
import { AnalysisCache, LANGUAGE_ID } from './vscode/analysisCache';
import { registerCodeActions } from './vscode/codeActions';
import { registerCodeLens } from './vscode/codeLens';
import { registerCommands } from './vscode/commands';
import { registerCompletion } from './vscode/completion';
import { registerDefinitions } from './vscode/definition';
import { registerDiagnostics } from './vscode/diagnostics';
import { registerDocumentLinks } from './vscode/documentLinks';
import { registerExport } from './vscode/export';
import { registerFolding } from './vscode/folding';
import { registerFormatting } from './vscode/formatting';
import { registerHighlights } from './vscode/highlights';
import { registerHover } from './vscode/hover';
import { registerInlayHints } from './vscode/inlayHints';
import { registerInspector } from './vscode/inspector';
import { registerSelectionRanges } from './vscode/selectionRanges';
import { registerSemanticTokens } from './vscode/semanticTokens';
import { registerSignatureHelp } from './vscode/signatureHelp';
import { registerStatusBar } from './vscode/statusBar';
import { SUMMARY_SCHEME, SummaryProvider } from './vscode/summary';
import { registerSymbols } from './vscode/symbols';
import { registerTraining } from './vscode/training';
import { registerWorkspaceSymbols } from './vscode/workspaceSymbols';

/** What the extension hands to other extensions and to its own tests. */
export interface NnmodelApi {
  /** The analysis of a document's current version (shared with every editor feature). */
  analysis(doc: vscode.TextDocument): Analysis;
  /** Fires after each new analysis of an open document. */
  onDidAnalyze: vscode.Event<{ document: vscode.TextDocument; analysis: Analysis }>;
}

export function activate(context: vscode.ExtensionContext): NnmodelApi {
  const selector: vscode.DocumentSelector = [
    { language: LANGUAGE_ID, scheme: 'file' },
    { language: LANGUAGE_ID, scheme: 'untitled' },
    { language: LANGUAGE_ID, scheme: 'vscode-vfs' },
    { language: LANGUAGE_ID, scheme: 'vscode-remote' },
  ];
  const cache = new AnalysisCache();
  // First subscriber of the cache: a new analysis reaches the Problems panel before any other feature runs.
  const diagnostics = registerDiagnostics(cache);
  const summaries = new SummaryProvider(cache);
  const workspaceSymbols = registerWorkspaceSymbols(cache);
  context.subscriptions.push(
    cache,
    diagnostics,
    summaries,
    vscode.workspace.registerTextDocumentContentProvider(SUMMARY_SCHEME, summaries),
    registerHover(selector, cache),
    registerInlayHints(selector, cache),
    registerCompletion(selector, cache),
    registerSignatureHelp(selector, cache),
    registerSymbols(selector, cache),
    workspaceSymbols,
    registerSelectionRanges(selector, cache),
    registerFolding(selector, cache),
    registerDefinitions(selector, cache, workspaceSymbols),
    registerHighlights(selector, cache),
    registerDocumentLinks(selector, cache),
    registerFormatting(selector),
    registerCodeActions(selector, cache),
    registerCodeLens(selector, cache),
    registerSemanticTokens(selector, cache),
    registerStatusBar(cache),
    registerCommands(context, cache),
    registerExport(cache),
    registerInspector(context, cache),
    registerTraining(context, cache),
  );
  return { analysis: (doc) => cache.get(doc), onDidAnalyze: cache.onDidAnalyze };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
