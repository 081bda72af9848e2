/**
 * The inspector webview's HTML: a pure function of its inputs, so that its
 * security properties (CSP, nonce, no remote URL, no inline data) are unit
 * tested without VS Code.
 */
import { randomBytes } from 'node:crypto';
import type { BackendSetting } from '../../core/protocol';

/** What the page reads from `data-` attributes before the host sends anything. */
export interface InitialState {
  backend: BackendSetting;
}

export interface InspectorHtmlOptions {
  /** `webview.cspSource`. */
  cspSource: string;
  /** Fresh per render (`makeNonce()`). */
  nonce: string;
  /** Webview URI of dist/webview.js. */
  scriptUri: string;
  /** Webview URI of media/inspector.css. */
  styleUri: string;
  /** Webview URI of dist/ with a trailing slash: where tfjs fetches its .wasm files. */
  wasmBase: string;
  /** Webview URI of dist/trainWorker.js, the training worker's script; by default `${wasmBase}trainWorker.js`. */
  trainWorkerUri?: string;
  /** Webview URI of dist/layoutWorker.js, the graph view's ELK worker; by default `${wasmBase}layoutWorker.js`. */
  layoutWorkerUri?: string;
  initial: InitialState;
}

/** 128 random bits, base64: a CSP nonce nobody can guess. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

/** Escapes text for a double-quoted HTML attribute (and for element text). */
export function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data: blob:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    // 'wasm-unsafe-eval' lets the WASM backend compile its module; JavaScript eval stays forbidden.
    `script-src 'nonce-${nonce}' 'wasm-unsafe-eval'`,
    `font-src ${cspSource}`,
    // tfjs fetches the .wasm binaries from dist/; the page fetches the workers' scripts from there too.
    `connect-src ${cspSource}`,
    // The training and graph layout workers start from Blob URLs of their scripts (a worker must be of the page's origin; resources are not).
    'worker-src blob:',
  ].join('; ');
}

export function inspectorHtml(o: InspectorHtmlOptions): string {
  const csp = contentSecurityPolicy(o.cspSource, o.nonce);
  const dist = o.wasmBase.endsWith('/') ? o.wasmBase : `${o.wasmBase}/`;
  const trainWorker = o.trainWorkerUri ?? `${dist}trainWorker.js`;
  const layoutWorker = o.layoutWorkerUri ?? `${dist}layoutWorker.js`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(o.styleUri)}" nonce="${escapeAttr(o.nonce)}">
<title>nnmodel Inspector</title>
</head>
<body data-wasm-base="${escapeAttr(o.wasmBase)}" data-train-worker="${escapeAttr(trainWorker)}" data-layout-worker="${escapeAttr(layoutWorker)}" data-initial="${escapeAttr(JSON.stringify(o.initial))}">
<div id="app"><p class="nn-empty">Loading the inspector…</p></div>
<script nonce="${escapeAttr(o.nonce)}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>`;
}
