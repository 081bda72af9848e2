// Document links on the paths a .nnmodel file names: the paths found in the
// syntax tree (extension/vscode/pure/documentLinks.ts), and the provider
// (extension/vscode/documentLinks.ts) with a fake `vscode`
// (test/unit/vscodeMock.ts): a file opens, an image folder is revealed in
// the Explorer, a path that does not exist has no link.
import { reset, sourceDocument, state, CancellationTokenSource, Uri, type DocumentLink, type SourceDocument } from './vscodeMock'; // first: installs the fake `vscode`
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from '../../extension/core/syntax';
import { analyze } from '../../extension/core';
import type { AnalysisCache } from '../../extension/vscode/analysisCache';
import { registerDocumentLinks } from '../../extension/vscode/documentLinks';
import { pathStrings } from '../../extension/vscode/pure/documentLinks';

const SOURCE = `import "blocks.nnmodel"
import "missing.nnmodel"

model A {
  input x: [4]
  output x -> dense(3) -> softmax
}
model B {
  input x: [28, 28, 3]
  output x -> flatten -> dense(2) -> softmax
}
model C {
  input x: int[32]
  output x -> embedding(64, 8) -> dense(64) -> softmax
}
model D {
  input x: [28, 28, 1]
  output x -> flatten -> dense(10) -> softmax
}

train A {
  data: csv("data/fruit.csv", label = "kind")
}
train B {
  data: images("photos", size = [28, 28])
}
train C {
  data: text("tiny.txt", tokenizer = char, context = 32)
}
train D {
  data: digits(samples = 100)
}
`;

/** The text each path's range covers, with its kind and value. */
function described(text: string) {
  const file = parse(text);
  return pathStrings(file).map((s) => ({ kind: s.kind, path: s.path, text: text.slice(s.range.start.offset, s.range.end.offset), line: s.range.start.line }));
}

test('the paths of a file: its imports and the data paths of its train sections, the range inside the quotes', () => {
  assert.deepEqual(described(SOURCE), [
    { kind: 'import', path: 'blocks.nnmodel', text: 'blocks.nnmodel', line: 0 },
    { kind: 'import', path: 'missing.nnmodel', text: 'missing.nnmodel', line: 1 },
    { kind: 'data', path: 'data/fruit.csv', text: 'data/fruit.csv', line: 21 },
    { kind: 'data', path: 'photos', text: 'photos', line: 24 },
    { kind: 'data', path: 'tiny.txt', text: 'tiny.txt', line: 27 },
  ]);
  // Characters agree with offsets (what the editor's range is built from).
  const [first] = pathStrings(parse(SOURCE));
  assert.deepEqual([first.range.start.character, first.range.end.character], [8, 22]);
});

test('a path is its value (escapes read), its range the text as written; an unclosed import runs to the end of its line', () => {
  assert.deepEqual(described('import "lib\\/blocks.nnmodel"\n'), [{ kind: 'import', path: 'lib/blocks.nnmodel', text: 'lib\\/blocks.nnmodel', line: 0 }]);
  // Still being typed: the analysis reads it all the same.
  assert.deepEqual(described('import "blocks.nnmodel\nmodel M {\n  input x: [4]\n  output x\n}\n'), [
    { kind: 'import', path: 'blocks.nnmodel', text: 'blocks.nnmodel', line: 0 },
  ]);
});

test('strings that are not paths get no link: options, built-in sets, a path not first or named, an empty path', () => {
  const text = `model M {
  input x: [4]
  output x -> dense(2) -> softmax
}
train M {
  data: csv(label = "data.csv")
  loss: crossentropy
}
train M {
  data: sequences(task = copy)
}
train M {
  data: csv("")
}
train M {
  data: "fruit.csv"
}
`;
  assert.deepEqual(described(text), []);
});

test('a data path is linked where the analysis reads it as the path, and nowhere it asks for one', () => {
  const model = 'model M {\n  input x: [4]\n  output x -> dense(2) -> softmax\n}\n';
  const read = (data: string) => {
    const text = `${model}train M {\n  data: ${data}\n}\n`;
    const a = analyze(text);
    const d = a.trains[0]?.config.data;
    return {
      analysis: d && 'path' in d ? d.path : undefined,
      badData: a.diagnostics.some((x) => x.code === 'train.bad_data'),
      link: pathStrings(a.file).map((s) => s.path),
    };
  };
  assert.deepEqual(read('csv("data/fruit.csv", label = "kind")'), { analysis: 'data/fruit.csv', badData: false, link: ['data/fruit.csv'] });
  assert.deepEqual(read('csv(label = "kind")'), { analysis: undefined, badData: true, link: [] });
  assert.deepEqual(read('csv(path = "data/fruit.csv")'), { analysis: undefined, badData: true, link: [] });
  assert.deepEqual(read('images(28)'), { analysis: undefined, badData: true, link: [] });
});

// ---------------------------------------------------------------- the provider

const cache = { current: () => undefined } as unknown as AnalysisCache;

function setUp(files: Record<string, string> = {}) {
  reset(['/w']);
  state.files.set('/w/blocks.nnmodel', 'block b {\n  input x\n  output x\n}\n');
  state.files.set('/w/data/fruit.csv', 'a,kind\n1,x\n');
  state.files.set('/w/photos/apple/1.png', '');
  state.files.set('/w/photos/pear/1.png', '');
  for (const [p, t] of Object.entries(files)) state.files.set(p, t);
  return registerDocumentLinks([{ language: 'nnmodel' }], cache);
}

async function linksOf(doc: SourceDocument, token = new CancellationTokenSource().token): Promise<DocumentLink[]> {
  return state.providers.links!.provideDocumentLinks(doc, token);
}

/** Each link as `line:start-end target (tooltip)`, a command link with its arguments. */
function shown(links: readonly DocumentLink[]): string[] {
  return links.map((l) => {
    const t = l.target!;
    const target = t.scheme === 'command' ? `command:${t.path} ${JSON.stringify((JSON.parse(t.query) as Uri[]).map((u) => `${u.scheme}:${u.path}`))}` : `${t.scheme}:${t.path}`;
    return `${l.range.startLine}:${l.range.startCharacter}-${l.range.endCharacter} ${target} (${l.tooltip})`;
  });
}

test('a file opens, an image folder is revealed in the Explorer, a path that does not exist has no link', async () => {
  const d = setUp();
  try {
    assert.deepEqual(shown(await linksOf(sourceDocument('/w/m.nnmodel', SOURCE))), [
      '0:8-22 file:/w/blocks.nnmodel (Open blocks.nnmodel)',
      '21:13-27 file:/w/data/fruit.csv (Open data/fruit.csv)',
      '24:16-22 command:revealInExplorer ["file:/w/photos"] (Reveal photos in the Explorer)',
    ]);
  } finally {
    d.dispose();
  }
});

test('paths resolve as the analysis and training read them: relative to the file, `..` included', async () => {
  const d = setUp();
  try {
    const text = `import "../blocks.nnmodel"
model A {
  input x: [4]
  output x -> dense(3) -> softmax
}
train A {
  data: csv("../data/fruit.csv")
}
`;
    // The analysis of the same file finds the import: the link goes where it read it.
    const readImport = (from: string | undefined, path: string) => {
      const target = Uri.joinPath(Uri.parse(from!), '..', path);
      const t = state.files.get(target.path);
      return t === undefined ? undefined : { uri: target.toString(), text: t };
    };
    assert.deepEqual(analyze(text, { uri: 'file:///w/sub/m.nnmodel', readImport }).diagnostics.filter((x) => x.code.startsWith('import.')), []);
    assert.deepEqual(shown(await linksOf(sourceDocument('/w/sub/m.nnmodel', text))), [
      '0:8-25 file:/w/blocks.nnmodel (Open ../blocks.nnmodel)',
      '6:13-30 file:/w/data/fruit.csv (Open ../data/fruit.csv)',
    ]);
  } finally {
    d.dispose();
  }
});

test('a folder outside the workspace has no link (revealInExplorer shows nothing there); a file there opens', async () => {
  const d = setUp({ '/elsewhere/pics/a/1.png': '', '/elsewhere/t.csv': 'a,label\n1,x\n' });
  try {
    const text = `model A {
  input x: [28, 28, 3]
  output x -> flatten -> dense(2) -> softmax
}
train A {
  data: images("/elsewhere/pics")
}
train A {
  data: csv("/elsewhere/t.csv")
}
`;
    assert.deepEqual(shown(await linksOf(sourceDocument('/w/m.nnmodel', text))), ['8:13-29 file:/elsewhere/t.csv (Open /elsewhere/t.csv)']);
  } finally {
    d.dispose();
  }
});

test('an untitled file: imports from the first workspace folder, as the analysis reads them; data paths only when absolute', async () => {
  const d = setUp();
  try {
    const text = `import "blocks.nnmodel"
model A {
  input x: [4]
  output x -> dense(3) -> softmax
}
train A {
  data: csv("data/fruit.csv")
}
train A {
  data: csv("/w/data/fruit.csv")
}
`;
    // An untitled file may carry the path it will be saved to: it is still not on disk, and training reads no data beside it.
    const doc = { ...sourceDocument('/w/Untitled-1', text), uri: new Uri('untitled', '/w/Untitled-1') };
    assert.deepEqual(shown(await linksOf(doc)), [
      '0:8-22 file:/w/blocks.nnmodel (Open blocks.nnmodel)',
      '9:13-30 file:/w/data/fruit.csv (Open /w/data/fruit.csv)',
    ]);
  } finally {
    d.dispose();
  }
});

test('each target is looked up once however often it is named; a cancelled request gives no links', async () => {
  const d = setUp();
  try {
    const text = `model A {
  input x: [4]
  output x -> dense(3) -> softmax
}
train A {
  data: csv("data/fruit.csv")
}
train A {
  data: csv("data/../data/fruit.csv")
}
`;
    const links = await linksOf(sourceDocument('/w/m.nnmodel', text));
    assert.equal(links.length, 2);
    assert.equal(state.stats, 1);
    const source = new CancellationTokenSource();
    const pending = linksOf(sourceDocument('/w/m.nnmodel', text), source.token);
    source.cancel();
    assert.deepEqual(await pending, []);
  } finally {
    d.dispose();
  }
});

test('a file without paths is not looked up at all', async () => {
  const d = setUp();
  try {
    assert.deepEqual(await linksOf(sourceDocument('/w/m.nnmodel', 'model A {\n  input x: [4]\n  output x -> dense(3)\n}\ntrain A {\n  data: digits()\n}\n')), []);
    assert.equal(state.stats, 0);
  } finally {
    d.dispose();
  }
});
