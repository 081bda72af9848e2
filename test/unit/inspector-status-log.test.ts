// The inspector log's line for each webview `status` message (extension/vscode/inspector/messages.ts
// statusLogLine): one comes after every forward pass, several a second while the cursor moves; only a change of
// backend (or of the reason for it) is logged at info level, the repeats at debug, hidden by default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statusLogLine } from '../../extension/vscode/inspector/messages';

const WASM = { backend: 'wasm', reason: 'auto: WebGL is software-rendered (SwiftShader), WASM is faster on the CPU' } as const;

test('a run of status messages: the first at info, repeats at debug, a new backend or reason at info again', () => {
  const levels: string[] = [];
  let key: string | undefined;
  const feed = (msg: Parameters<typeof statusLogLine>[0]) => {
    const line = statusLogLine(msg, key);
    key = line.key;
    levels.push(line.level);
    return line.text;
  };
  assert.equal(feed({ ...WASM, forwardMs: 0.24, numTensors: 6 }), `backend wasm (${WASM.reason}), forward 0.2 ms, 6 tensors`);
  for (let i = 0; i < 20; i++) feed({ ...WASM, forwardMs: 0.1 * i, numTensors: 6 + (i % 3) });
  feed({ backend: 'webgl', reason: 'setting: webgl' });
  feed({ backend: 'webgl', reason: 'setting: webgl', forwardMs: 3 });
  feed({ ...WASM, forwardMs: 1 });
  assert.deepEqual(levels, ['info', ...Array(20).fill('debug'), 'info', 'debug', 'info']);
  assert.equal(statusLogLine({ backend: 'cpu', reason: 'setting: cpu', numTensors: 1 }, undefined).text, 'backend cpu (setting: cpu), 1 tensor');
});
