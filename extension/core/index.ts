/**
 * The public face of the language core. Pure TypeScript: never imports
 * 'vscode'; runs in the extension host, the webview and the CLI.
 */
export * from './syntax/ast';
export * from './analysis/types';
export * from './analysis/sym';
export { LAYERS, getLayer } from './layers';
export type { LayerSpec, ArgSpec, ArgValue, WeightSpec } from './layers';
export { analyze, type AnalyzeOptions } from './analysis/analyze';
export { AnalysisSession } from './analysis/session';
export { exportPyTorch, exportableModels, torchExampleShape, type ExportNote, type ExportError, type ExportResult, type ExportOptions } from './export/pytorch';
