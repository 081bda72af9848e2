// Host → webview messages carrying bytes: VS Code's webview postMessage
// transfers plain Uint8Arrays only (a Node Buffer, what workspace.fs.readFile
// gives, reaches the page as a plain object), so the host makes every byte
// field plain before posting, and the page says so when it drops a message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { droppedHostMessage, forPostMessage, parseHostMessage, plainBytes, type HostToWebview, type TrainStartMessage } from '../../extension/core/protocol';

const isPlain = (b: unknown) => Object.getPrototypeOf(b) === Uint8Array.prototype;
const buf = (...xs: number[]) => Buffer.from(xs);

/** What crossing VS Code's postMessage does to a byte field that is not a plain Uint8Array: JSON (Buffer.toJSON gives a plain object). */
function crossWebview(msg: unknown): unknown {
  return JSON.parse(JSON.stringify(msg, (_k, v) => (v instanceof Uint8Array && isPlain(v) ? { $plain: Array.from(v) } : v)), (_k, v) =>
    v && typeof v === 'object' && Array.isArray(v.$plain) ? new Uint8Array(v.$plain) : v,
  );
}

test('plainBytes copies a Buffer into a plain Uint8Array and keeps a plain one as is', () => {
  const b = buf(1, 2, 3);
  const p = plainBytes(b);
  assert.ok(isPlain(p));
  assert.deepEqual(Array.from(p), [1, 2, 3]);
  const plain = new Uint8Array([4]);
  assert.equal(plainBytes(plain), plain);
});

test('an image read as a Buffer is dropped after crossing as is, and arrives once made plain', () => {
  const msg: HostToWebview = { type: 'image', name: 'face.png', mime: 'image/png', bytes: buf(137, 80, 78, 71) };
  assert.equal(parseHostMessage(crossWebview(msg)), undefined);
  const sent = forPostMessage(msg);
  assert.ok(isPlain((sent as { bytes: Uint8Array }).bytes));
  const got = parseHostMessage(crossWebview(sent));
  assert.ok(got && got.type === 'image');
  assert.deepEqual(Array.from(got.bytes), [137, 80, 78, 71]);
});

test('every byte field of every host message is made plain', () => {
  const weights: HostToWebview = { type: 'weights', uri: 'file:///a', model: 'M', epoch: 1, modelJson: '{}', weights: buf(1) };
  assert.ok(isPlain((forPostMessage(weights) as { weights: Uint8Array }).weights));
  const train = {
    type: 'train',
    uri: 'file:///a',
    version: 1,
    run: 1,
    seed: 1,
    model: { name: 'G', graph: { nodes: [] } },
    config: {},
    data: { kind: 'arrays', source: 'x.csv', count: 1, xDtype: 'float32', exampleShape: [1], xs: buf(0, 0, 0, 0), yDtype: 'float32', targetShape: [1], ys: buf(0, 0, 0, 0), classes: [] },
    resume: { modelJson: '{}', weights: buf(1), optimizer: buf(2) },
    discriminator: { model: { name: 'D', graph: { nodes: [] } }, resume: { modelJson: '{}', weights: buf(3) } },
  } as unknown as TrainStartMessage;
  const sent = forPostMessage(train) as TrainStartMessage;
  assert.equal(sent.data.kind, 'arrays');
  if (sent.data.kind === 'arrays') assert.ok(isPlain(sent.data.xs) && isPlain(sent.data.ys));
  assert.ok(isPlain(sent.resume!.weights) && isPlain(sent.resume!.optimizer));
  assert.ok(isPlain(sent.discriminator!.resume!.weights));
  assert.equal(sent.discriminator!.model, train.discriminator!.model);
  // The message handed in is left as it was.
  assert.ok(Buffer.isBuffer(train.resume!.weights));
  // Messages without bytes pass through unchanged.
  const cursor: HostToWebview = { type: 'settings', backend: 'auto' };
  assert.equal(forPostMessage(cursor), cursor);
});

test('a dropped host message is described, naming the byte field that arrived wrong', () => {
  const crossed = crossWebview({ type: 'image', name: 'face.png', mime: 'image/png', bytes: buf(1) });
  const m = droppedHostMessage(crossed);
  assert.ok(m);
  assert.match(m, /ignored an 'image' message from VS Code/);
  assert.match(m, /bytes arrived as Object, not bytes/);
  assert.match(droppedHostMessage({ type: 'cursor', uri: 1 }) ?? '', /'cursor' message/);
  // Whatever else reaches the page's window is not reported.
  assert.equal(droppedHostMessage({ type: 'somethingElse' }), undefined);
  assert.equal(droppedHostMessage('hello'), undefined);
});
