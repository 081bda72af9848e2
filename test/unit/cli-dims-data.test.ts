// `nnmodel summary --dim` analyses the model at the sizes given (a size it cannot take is an
// error, not a negative shape); `summary --json` says each input's dtype and whether the model
// has errors; `nnmodel check` looks at the data files of train sections.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as run, withWorkspace as inWorkspace } from '../fixtures/cli';
import { analyze } from '../../extension/core/analysis/analyze';
import { analyzeWithDims } from '../../extension/core/analysis/boundDims';
import { checkDataFiles } from '../../extension/core/runtime/dataCheck';
import { DataError, loadDataset, MAX_FILE_BYTES, type DataFs } from '../../extension/core/runtime/data/files';
import { nodeDataFs } from '../../extension/core/runtime/nodeFs';

const withWorkspace = (files: Record<string, string>, body: (dir: string) => Promise<void>) => inWorkspace('nnmodel-cli-dd-', files, body);

// Two valid-padding strided convolutions of kernel 5: a length of 13 gives 5 then 1; 3 and 7 are too short.
const STRIDED = `model M {
  input a: [seq, 8]
  output a -> conv1d(3, 5, stride = 2) -> conv1d(3, 5, stride = 2)
}
`;

test(
  'summary --dim with a size the model cannot take reports the error a fixed size gets, exits 1, and shows no negative sizes',
  withWorkspace({ 'f.nnmodel': STRIDED }, async (dir) => {
    const r = await run(dir, 'summary', 'f.nnmodel', '--dim', 'seq=3');
    assert.equal(r.code, 1, r.out);
    // What `check` prints for `input a: [3, 8]`, at the first conv1d, saying which size it comes from.
    assert.match(r.err, /^f\.nnmodel:3:25: error shape\.kernel_too_large conv1d: kernel 5 is larger than the input's 3 .* \(with --dim seq=3\)$/m);
    assert.doesNotMatch(r.out, /\[-|\[0,|\s-\d/);
    assert.match(r.out, /Errors prevented a full analysis/);
    const j = await run(dir, 'summary', 'f.nnmodel', '--dim', 'seq=3', '--json');
    assert.equal(j.code, 1);
    const [m] = JSON.parse(j.out).models;
    assert.equal(m.hasErrors, true);
    assert.ok(m.macs >= 0 && m.memory.activationBytes >= 0, j.out);
    for (const l of m.layers) assert.ok(l.shape.every((d: number) => d >= 1), JSON.stringify(l));

    // 7 passes the first conv1d (length 2) and not the second.
    const seven = await run(dir, 'summary', 'f.nnmodel', '--dim', 'seq=7');
    assert.equal(seven.code, 1);
    assert.match(seven.err, /^f\.nnmodel:3:53: error shape\.kernel_too_large conv1d: kernel 5 is larger than the input's 2 .*\(with --dim seq=7\)$/m);
    assert.match(seven.out, /\[2, 3\]/);

    // 13 fits: 5 then 1, exit 0 and nothing on stderr. MACs: kernel · input channels · filters per output position.
    const ok = await run(dir, 'summary', 'f.nnmodel', '--dim', 'seq=13', '--json');
    assert.equal(ok.code, 0, ok.err);
    assert.equal(ok.err, '');
    const [fit] = JSON.parse(ok.out).models;
    assert.equal(fit.hasErrors, false);
    assert.deepEqual(fit.outputs[0].shape, [1, 3]);
    assert.equal(fit.macs, 5 * (5 * 8 * 3) + 1 * (5 * 3 * 3));
  }),
);

test(
  'summary --dim keeps the train section as written: its data trains at its own size',
  withWorkspace(
    {
      'lm.nnmodel':
        'model Lm {\n  input tokens: int[seq]\n  output tokens -> embedding(16, 8) -> dense(16)\n}\n\ntrain Lm {\n  data: sequences(length = 12, vocab = 16)\n  loss: crossentropy\n}\n',
    },
    async (dir) => {
      const r = await run(dir, 'summary', 'lm.nnmodel', '--dim', 'seq=5');
      assert.equal(r.code, 0, r.err);
      assert.equal(r.err, '');
      assert.match(r.out, /\[5, 16\]/);
    },
  ),
);

test('analyzeWithDims replaces only the input dimensions the model leaves symbolic, keeping every range', () => {
  const text = `model A {
  n = 4
  input x: [n, (seq + 1) * 2]
  output x -> relu
}
model B {
  input y: [seq, 2]
  output y -> conv1d(1, 3)
}
`;
  const a = analyzeWithDims(text, {}, { seq: 1, n: 9 }, new Set(['A', 'B']));
  // n is A's 4, not a dimension; seq is 1 in both; B's kernel 3 is then too large, at B's conv1d as in the source.
  assert.equal(a.models[0].inputs[0].shape.dims.map((d) => d.toString()).join(', '), '4, 4');
  assert.deepEqual(a.models[0].symbols, []);
  const d = a.diagnostics.find((x) => x.code === 'shape.kernel_too_large');
  assert.ok(d, JSON.stringify(a.diagnostics));
  assert.deepEqual([d.range.start.line, d.range.start.character], [7, 24]);
  assert.deepEqual(analyze(text).diagnostics, []);
  // Only the models named: B left symbolic has no error.
  assert.deepEqual(analyzeWithDims(text, {}, { seq: 1 }, new Set(['A'])).diagnostics, []);
});

test(
  'summary --json gives each input its dtype and each model whether errors cut its analysis short',
  withWorkspace(
    {
      'two.nnmodel': `model Lm {
  input tokens: int[seq]
  input extra: [seq, 4]
  output tokens -> embedding(16, 4) + extra
}

model Bad {
  input x: [8]
  output x -> dense(4) -> relux
}
`,
    },
    async (dir) => {
      const r = await run(dir, 'summary', 'two.nnmodel', '--json');
      assert.equal(r.code, 1);
      const [lm, bad] = JSON.parse(r.out).models;
      assert.deepEqual(
        lm.inputs.map((i: unknown) => i),
        [
          { name: 'tokens', shape: ['seq'], dtype: 'int' },
          { name: 'extra', shape: ['seq', 4], dtype: 'float' },
        ],
      );
      assert.equal(lm.hasErrors, false);
      assert.equal(bad.hasErrors, true);
    },
  ),
);

const IMAGE_MODEL = `model M {
  input image: [32, 32, 1]
  output image -> flatten -> dense(3)
}

train M {
  data: csv("table.csv")
  loss: crossentropy
}
`;

const TWO_FEATURES = 'a,b,label\n1,2,x\n3,4,y\n5,6,z\n';

test(
  'check reports a missing data file, and a CSV training cannot use or whose columns cannot be the input, on the data source',
  withWorkspace(
    {
      'missing.nnmodel': IMAGE_MODEL.replace('table.csv', 'nope.csv'),
      'narrow.nnmodel': IMAGE_MODEL,
      'nolabel.nnmodel': IMAGE_MODEL.replace('table.csv', 'nolabel.csv'),
      'fits.nnmodel': IMAGE_MODEL.replace('[32, 32, 1]', '[2]').replace('-> flatten ', ''),
      'tokens.nnmodel': IMAGE_MODEL.replace('[32, 32, 1]', 'int[2]').replace('-> flatten ', '-> embedding(8, 4) -> flatten '),
      'folder.nnmodel': IMAGE_MODEL.replace('csv("table.csv")', 'images("pictures", size = [32, 32], grayscale = true)'),
      'table.csv': TWO_FEATURES,
      'nolabel.csv': 'a,b,lab\n1,2,x\n',
    },
    async (dir) => {
      const missing = await run(dir, 'check', 'missing.nnmodel');
      // A warning (exit 0): the data may live only on the machine that trains.
      assert.equal(missing.code, 0);
      assert.match(missing.out, /^missing\.nnmodel:7:9: warning train\.data_not_found csv: no file 'nope\.csv' \(looked for .*nope\.csv; paths are relative to this file\): training here would have no data\.$/m);

      const narrow = await run(dir, 'check', 'narrow.nnmodel');
      assert.equal(narrow.code, 1);
      assert.match(
        narrow.out,
        /^narrow\.nnmodel:7:9: error train\.data_shape table\.csv gives examples of \[2\], one number per feature column \(a, b\), but 'M' takes \[32, 32, 1\]: a csv feeds a model whose input is \[2\]\.$/m,
      );

      const nolabel = await run(dir, 'check', 'nolabel.nnmodel');
      assert.equal(nolabel.code, 1);
      assert.match(nolabel.out, /^nolabel\.nnmodel:7:9: error train\.data_file nolabel\.csv:1: has no column 'label' for the label; its columns are a, b, lab\.$/m);

      const tokens = await run(dir, 'check', 'tokens.nnmodel');
      assert.match(tokens.out, /error train\.data_shape table\.csv gives examples of \[2\], .* but 'M' takes int\[2\]/);

      const folder = await run(dir, 'check', 'folder.nnmodel');
      assert.match(folder.out, /^folder\.nnmodel:7:9: warning train\.data_not_found images: no folder 'pictures' /m);
      mkdirSync(join(dir, 'pictures'));
      // Listed as training lists it (never decoded): an empty folder has no classes to train on.
      const empty = await run(dir, 'check', 'folder.nnmodel');
      assert.equal(empty.code, 1);
      assert.match(empty.out, /^folder\.nnmodel:7:9: error train\.data_file pictures: needs at least 2 class sub-folders with images, found 0\.$/m);

      const fits = await run(dir, 'check', 'fits.nnmodel');
      assert.equal(fits.code, 0, fits.out);
      assert.match(fits.out, /^no problems in 1 file$/m);
    },
  ),
);

test('checkDataFiles reads through the DataFs it is given (no file access of its own)', async () => {
  const files: Record<string, string> = { '/w/table.csv': TWO_FEATURES };
  const fs: DataFs = {
    readFile: async (p) => {
      if (!(p in files)) throw new Error('ENOENT');
      return new TextEncoder().encode(files[p]);
    },
    readDir: async () => [],
    stat: async (p) => {
      if (!(p in files)) throw new Error('ENOENT');
      return { isFile: true, isDirectory: false, size: files[p].length };
    },
    realPath: async (p) => {
      if (!(p in files)) throw new Error('ENOENT');
      return p;
    },
  };
  const shape = await checkDataFiles(analyze(IMAGE_MODEL), { baseDir: '/w', fs });
  assert.deepEqual(
    shape.map((d) => [d.code, d.severity, d.range.start.line, d.range.start.character, d.range.end.character]),
    [['train.data_shape', 'error', 6, 8, 24]],
  );
  const gone = await checkDataFiles(analyze(IMAGE_MODEL), { baseDir: '/elsewhere', fs });
  assert.deepEqual(
    gone.map((d) => d.code),
    ['train.data_not_found'],
  );
  // A Windows path whose '\n' became a line break: shown as written, and said why.
  const [windows] = await checkDataFiles(analyze(IMAGE_MODEL.replace('"table.csv"', '"data\\new.csv"')), { baseDir: '/w', fs });
  assert.equal(windows.code, 'train.data_not_found');
  assert.match(windows.message, /^csv: no file 'data\\new\.csv' \(looked for \/w\/data\\new\.csv; .* The path holds a line break: in a string, \\n and \\t are those; separate folders with \/, which works on Windows too\.$/);
});

/** The real file system, recording every path whose bytes are read. */
function recordingFs(): { fs: DataFs; read: string[] } {
  const real = nodeDataFs();
  const read: string[] = [];
  return { read, fs: { ...real, readFile: (p, max) => (read.push(p), real.readFile(p, max)) } };
}

const csvModel = (path: string) => IMAGE_MODEL.replace('table.csv', path);

test(
  'check never reads /dev/zero: outside the roots it is refused unopened, inside them its kind is (and the command returns at once)',
  { timeout: 20_000, skip: process.platform === 'win32' },
  withWorkspace({ 'zero.nnmodel': csvModel('/dev/zero') }, async (dir) => {
    const outside = recordingFs();
    const [d] = await checkDataFiles(analyze(csvModel('/dev/zero')), { baseDir: dir, fs: outside.fs });
    assert.equal(d.code, 'train.data_file');
    assert.equal(d.severity, 'error');
    assert.match(d.message, /^csv: \/dev\/zero: \/dev\/zero is outside the folders nnmodel reads data from .*nnmodel train refuses it too; --data-root DIR adds a folder\.$/);
    assert.deepEqual(outside.read, []);

    // Inside the roots (--data-root /dev): a device is not a file, said from stat alone.
    const inside = recordingFs();
    const [dev] = await checkDataFiles(analyze(csvModel('/dev/zero')), { baseDir: dir, roots: ['/dev'], fs: inside.fs });
    assert.equal(dev.code, 'train.data_file');
    assert.match(dev.message, /^csv: \/dev\/zero: is not a regular file \(a device, FIFO or socket\)/);
    assert.deepEqual(inside.read, []);

    const r = await run(dir, 'check', 'zero.nnmodel');
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /^zero\.nnmodel:7:9: error train\.data_file csv: \/dev\/zero: \/dev\/zero is outside the folders nnmodel reads data from/m);
    const rooted = await run(dir, 'check', 'zero.nnmodel', '--data-root', '/dev');
    assert.equal(rooted.code, 1, rooted.out);
    assert.match(rooted.out, /error train\.data_file csv: \/dev\/zero: is not a regular file/);
  }),
);

test(
  'check shows nothing of a file outside the data roots; with --data-root it reads it as train would',
  withWorkspace({}, async (dir) => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'nnmodel-cli-secret-'));
    try {
      const secret = join(elsewhere, 'shadow.csv');
      writeFileSync(secret, 'root:$6$hunter2SECRET:19000:0:99999:7:::\n1\n');
      writeFileSync(join(dir, 'leak.nnmodel'), csvModel(secret));
      const r = await run(dir, 'check', 'leak.nnmodel');
      assert.equal(r.code, 1, r.out);
      assert.doesNotMatch(r.out + r.err, /hunter2|SECRET|root:/);
      assert.match(r.out, /^leak\.nnmodel:7:9: error train\.data_file csv: .*shadow\.csv: .*shadow\.csv is outside the folders nnmodel reads data from \(.*\)\. nnmodel train refuses it too; --data-root DIR adds a folder\.$/m);
      // Its folder as a data root (relative to the working folder, as for train): read, and the loader says what training would.
      const rooted = await run(dir, 'check', 'leak.nnmodel', '--data-root', elsewhere);
      assert.match(rooted.out, /error train\.data_file .*shadow\.csv:1: has no column 'label'/);
      assert.match((await run('/', 'help', 'check')).out, /--data-root DIR/);
      // train and evaluate refuse it as check does, with the same way out (they said only that it is outside).
      for (const command of ['train', 'evaluate']) {
        const refused = await run(dir, command, 'leak.nnmodel');
        assert.notEqual(refused.code, 0, command);
        assert.match(refused.err, /shadow\.csv is outside the folders nnmodel reads data from \(.*\)\. --data-root DIR adds a folder\.$/m, command);
      }
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  }),
);

test(
  'check refuses a FIFO and an oversized file inside the workspace from stat alone, and training never reads them either',
  { timeout: 20_000, skip: process.platform === 'win32' },
  withWorkspace({ 'pipe.nnmodel': csvModel('pipe.csv'), 'big.nnmodel': csvModel('big.csv') }, async (dir) => {
    execFileSync('mkfifo', [join(dir, 'pipe.csv')]);
    // Sparse: one byte over the limit costs no disk.
    writeFileSync(join(dir, 'big.csv'), '');
    truncateSync(join(dir, 'big.csv'), MAX_FILE_BYTES + 1);
    const pipe = await run(dir, 'check', 'pipe.nnmodel');
    assert.equal(pipe.code, 1, pipe.out);
    assert.match(pipe.out, /^pipe\.nnmodel:7:9: error train\.data_file csv: pipe\.csv: is not a regular file \(a device, FIFO or socket\); nnmodel reads data only from regular files\. csv\(\.\.\.\) needs a CSV file\.$/m);
    const big = recordingFs();
    const [d] = await checkDataFiles(analyze(csvModel('big.csv')), { baseDir: dir, fs: big.fs });
    assert.equal(d.code, 'train.data_file');
    assert.match(d.message, /^csv: big\.csv: larger than 256 MiB\./);
    assert.deepEqual(big.read, []);

    // Training's loader: the same refusals, before reading a byte.
    for (const [name, why] of [
      ['pipe.csv', /pipe\.csv: is not a regular file/],
      ['big.csv', /big\.csv: larger than 256 MiB/],
    ] as const) {
      const t = recordingFs();
      const source = analyze(csvModel(name)).trains[0].config.data!;
      await assert.rejects(loadDataset(source, { baseDir: dir, roots: [dir], fs: t.fs }), (e) => e instanceof DataError && why.test(e.message));
      assert.deepEqual(t.read, []);
    }
    // The fs layer on its own (a path swapped after the stat): an opened device or FIFO is refused, not read.
    await assert.rejects(nodeDataFs().readFile('/dev/zero', 1024), /not a regular file/);
    await assert.rejects(nodeDataFs().readFile(join(dir, 'pipe.csv'), 1024), /not a regular file/);
    await assert.rejects(nodeDataFs().readFile(join(dir, 'big.csv'), MAX_FILE_BYTES), /more than/);
  }),
);

test(
  'check reports a folder given to text() and a file given to images(), saying what each needs',
  withWorkspace(
    {
      'text.nnmodel': 'model Lm {\n  input tokens: int[seq]\n  output tokens -> embedding(16, 8) -> dense(16)\n}\n\ntrain Lm {\n  data: text("corpus")\n  loss: crossentropy\n}\n',
      'img.nnmodel': IMAGE_MODEL.replace('csv("table.csv")', 'images("img.png", size = [32, 32], grayscale = true)'),
      'corpus/a.txt': 'hello',
      'img.png': 'not really a png',
    },
    async (dir) => {
      const text = await run(dir, 'check', 'text.nnmodel');
      assert.equal(text.code, 1, text.out);
      assert.match(text.out, /^text\.nnmodel:7:9: error train\.data_file text: corpus: is a folder, not a file\. text\(\.\.\.\) needs a text file\.$/m);
      const img = await run(dir, 'check', 'img.nnmodel');
      assert.equal(img.code, 1, img.out);
      assert.match(img.out, /^img\.nnmodel:7:9: error train\.data_file images: img\.png: is a file; images\(\.\.\.\) needs a folder with one sub-folder of images per class\.$/m);
    },
  ),
);

test(
  'summary lists and sizes a symbolic dimension named like an Object property (constructor, toString)',
  inWorkspace('nnmodel-dims-proto-', {
    'c.nnmodel': 'model M {\n  input x: [constructor, 4]\n  output x -> dense(2)\n}\n',
    'd.nnmodel': 'model M {\n  input x: int[toString]\n  output x -> embedding(50, 8) -> dense(50)\n}\ntrain M {\n  data: text("abc.txt", context = 16)\n  loss: crossentropy\n}\n',
    'abc.txt': 'hello world\n',
  }, async (dir) => {
    const c = await run(dir, 'summary', 'c.nnmodel');
    assert.equal(c.code, 0, c.err);
    assert.match(c.out, /Symbolic dimensions: constructor \(give values with --dim constructor=N\)/);
    const d = await run(dir, 'summary', 'd.nnmodel');
    assert.equal(d.code, 0, d.err);
    assert.match(d.out, /Symbolic dimensions: toString \(give values with --dim toString=N; its train section trains at toString = 16: --dim toString=16\)/);
  }),
);
