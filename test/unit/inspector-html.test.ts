import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSecurityPolicy, escapeAttr, inspectorHtml, makeNonce, type InspectorHtmlOptions } from '../../extension/vscode/inspector/html';

const CSP_SOURCE = 'https://*.vscode-cdn.net';
function options(nonce = makeNonce()): InspectorHtmlOptions {
  return {
    cspSource: CSP_SOURCE,
    nonce,
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js',
    styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/inspector.css',
    wasmBase: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/',
    initial: { backend: 'webgl' },
  };
}

function cspOf(html: string): string {
  const m = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
  assert.ok(m, 'a CSP meta tag');
  return m[1].replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

test('the page carries a strict CSP: nonce scripts, wasm but no eval, nothing remote', () => {
  const nonce = makeNonce();
  const html = inspectorHtml(options(nonce));
  const csp = cspOf(html);
  const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  assert.deepEqual(directives.get('default-src'), ["'none'"]);
  assert.deepEqual(directives.get('script-src'), [`'nonce-${nonce}'`, "'wasm-unsafe-eval'"]);
  assert.deepEqual(directives.get('style-src'), [CSP_SOURCE, `'nonce-${nonce}'`]);
  assert.deepEqual(directives.get('img-src'), [CSP_SOURCE, 'data:', 'blob:']);
  assert.deepEqual(directives.get('connect-src'), [CSP_SOURCE]);
  assert.deepEqual(directives.get('font-src'), [CSP_SOURCE]);
  // The training worker starts from a Blob URL of its script, and from nothing else.
  assert.deepEqual(directives.get('worker-src'), ['blob:']);
  assert.deepEqual([...directives.keys()].sort(), ['connect-src', 'default-src', 'font-src', 'img-src', 'script-src', 'style-src', 'worker-src']);
  assert.ok(!csp.includes("'unsafe-eval'"));
  assert.ok(!csp.includes("'unsafe-inline'"));
  assert.equal(csp, contentSecurityPolicy(CSP_SOURCE, nonce));
});

test('every script has the nonce and none is inline; the initial state is in an escaped data- attribute', () => {
  const nonce = makeNonce();
  const html = inspectorHtml(options(nonce));
  const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  for (const [, attrs, body] of scripts) {
    assert.ok(attrs.includes(`nonce="${escapeAttr(nonce)}"`));
    assert.match(attrs, /src="/);
    assert.equal(body.trim(), '', 'no inline script');
  }
  const initial = /data-initial="([^"]*)"/.exec(html);
  assert.ok(initial);
  const decoded = initial[1].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  assert.deepEqual(JSON.parse(decoded), { backend: 'webgl' });
  assert.match(html, /data-wasm-base="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/"/);
  // The training worker's script is named for the page, beside the .wasm files unless given.
  assert.match(html, /data-train-worker="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/trainWorker\.js"/);
  const given = inspectorHtml({ ...options(nonce), trainWorkerUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/other/w.js?"x' });
  assert.match(given, /data-train-worker="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/other\/w\.js\?&quot;x"/);
});

test('a fresh nonce per render: 128 random bits', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 100; i++) seen.add(makeNonce());
  assert.equal(seen.size, 100);
  assert.equal(Buffer.from(makeNonce(), 'base64').length, 16);
  const a = inspectorHtml(options());
  const b = inspectorHtml(options());
  assert.notEqual(/nonce-([^']+)'/.exec(cspOf(a))![1], /nonce-([^']+)'/.exec(cspOf(b))![1]);
});

test('no http(s) URL other than the webview resource origin, nothing from the network', () => {
  const html = inspectorHtml(options());
  const urls = html.match(/https?:\/\/[^\s"'<>]+/g) ?? [];
  assert.ok(urls.length > 0);
  for (const u of urls) assert.ok(u.startsWith('https://file+.vscode-resource.vscode-cdn.net/') || u.replace(/;$/, '') === CSP_SOURCE, u);
  assert.ok(!/http:\/\//.test(html));
});

test('values are escaped: a hostile URI cannot break out of its attribute', () => {
  const o = options();
  o.scriptUri = 'x" onload="alert(1)';
  const html = inspectorHtml(o);
  assert.ok(!html.includes('" onload="'));
  assert.equal(escapeAttr(`<a href='x'>&"`), '&lt;a href=&#39;x&#39;&gt;&amp;&quot;');
});
