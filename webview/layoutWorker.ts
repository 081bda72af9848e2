/**
 * The graph view's layout worker (dist/layoutWorker.js): elkjs's own worker
 * script, which answers elkjs's protocol (`register`, `layout`, see
 * lib/elk-api.js) on `self.onmessage` when it runs in a worker. The page
 * starts it from a Blob URL of this file (webview/views/graphLayout.ts), so
 * a layout of seconds no longer holds the page's thread.
 */
import 'elkjs/lib/elk-worker.min.js';
