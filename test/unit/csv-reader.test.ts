// The CSV reader of `data: csv(...)` (runtime/data/files.ts loadCsv), through `nnmodel check`, which
// reads a CSV as training does: a number is a decimal literal as Python and pandas read it (`0x10` was
// read as 16, JavaScript's Number()); a ';'-separated file (one header column with ';' in its name) is
// said to be one (it said only that the label column is missing); two columns of one name are an error
// naming both, 1-based, at the header (they were accepted, the second shadowing nothing but itself).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli as run, withWorkspace as inWorkspace } from '../fixtures/cli';
import { csvNumber } from '../../extension/core/runtime/data/files';

const withWorkspace = (files: Record<string, string>, body: (dir: string) => Promise<void>) => inWorkspace('nnmodel-csv-reader-', files, body);

const model = (csv: string, loss = 'crossentropy') => `model V {
  input x: [2]
  output x -> dense(2) -> softmax
}

train V {
  data: csv("${csv}", label = "kind")
  loss: ${loss}
}
`;

/** The train.data_file lines `nnmodel check FILE` prints. */
async function dataErrors(dir: string, file: string): Promise<{ code: number; lines: string[] }> {
  const r = await run(dir, 'check', file);
  return { code: r.code, lines: r.out.split('\n').filter((l) => / train\.data_file /.test(l)) };
}

test('csvNumber reads decimal literals only, as Python float() and pandas do', () => {
  for (const [text, value] of [['16', 16], ['-0.5', -0.5], ['+2', 2], ['.5', 0.5], ['5.', 5], ['1e-3', 0.001], ['2E+2', 200], ['007', 7]] as const) {
    assert.equal(csvNumber(text), value, text);
  }
  for (const text of ['0x10', '0X1f', '0b1', '0o7', '1_000', 'Infinity', '-Infinity', 'NaN', '', '1,5', '1e', 'e3', '.', '- 1']) {
    assert.ok(Number.isNaN(csvNumber(text)), text);
  }
});

test(
  'a CSV value such as 0x10 is not a number: file:line:col, and what it would be in decimal',
  withWorkspace(
    {
      'hex.nnmodel': model('hex.csv'),
      'hex.csv': 'a,b,kind\n1,2,x\n0x10,3,y\n',
      'label.nnmodel': model('label.csv', 'mse'),
      'label.csv': 'a,b,kind\n1,2,0.5\n3,4,0b11\n',
      'ok.nnmodel': model('ok.csv'),
      'ok.csv': 'a,b,kind\n.5,1e-3,x\n-2,5.,y\n',
    },
    async (dir) => {
      const hex = await dataErrors(dir, 'hex.nnmodel');
      assert.equal(hex.code, 1);
      assert.equal(hex.lines.length, 1, hex.lines.join('\n'));
      assert.match(
        hex.lines[0],
        /hex\.csv:3:1: column 'a' has '0x10', not a number \(a CSV number is decimal, as Python and pandas read it: hexadecimal '0x10' is written 16\); every column except the label 'kind' must be numeric\.$/,
      );
      const label = await dataErrors(dir, 'label.nnmodel');
      assert.equal(label.code, 1);
      assert.match(label.lines[0], /label\.csv:3:3: the label 'kind' is '0b11', not a number \(a CSV number is decimal, as Python and pandas read it: binary '0b11' is written 3\); with loss mse or mae the label is a value\.$/);
      const ok = await dataErrors(dir, 'ok.nnmodel');
      assert.deepEqual(ok, { code: 0, lines: [] });
    },
  ),
);

test(
  "a ';'-separated CSV is said to be one; a ',' header with a ';' in one name among others is not",
  withWorkspace(
    {
      'semi.nnmodel': model('semi.csv'),
      'semi.csv': 'a;b;kind\n1,5;2;x\n3;4;y\n',
      'other.nnmodel': model('other.csv'),
      'other.csv': 'a;b,c,d\n1,2,3\n',
    },
    async (dir) => {
      const semi = await dataErrors(dir, 'semi.nnmodel');
      assert.equal(semi.code, 1);
      assert.equal(semi.lines.length, 1, semi.lines.join('\n'));
      assert.match(
        semi.lines[0],
        /semi\.csv:1: has one column, 'a;b;kind', whose name contains ';': the file looks separated by ';' \(as spreadsheets save CSV in locales whose decimal point is ','\); nnmodel reads fields separated by ',', with '\.' as the decimal point\. Save it with ',' as the separator\.$/,
      );
      const other = await dataErrors(dir, 'other.nnmodel');
      assert.match(other.lines[0], /other\.csv:1: has no column 'kind' for the label; its columns are a;b, c, d\.$/);
    },
  ),
);

test(
  'two columns of one name are an error naming both (1-based) at the second, in the header line',
  withWorkspace(
    {
      'dup.nnmodel': model('dup.csv'),
      'dup.csv': 'a,b, a ,kind\n1,2,3,x\n4,5,6,y\n',
      'label.nnmodel': model('label.csv'),
      'label.csv': 'kind,a,kind\nx,1,x\ny,2,y\n',
      'blank.nnmodel': model('blank.csv'),
      'blank.csv': 'a,,kind,\n1,2,x,3\n4,5,y,6\n',
    },
    async (dir) => {
      const dup = await dataErrors(dir, 'dup.nnmodel');
      assert.equal(dup.code, 1);
      assert.equal(dup.lines.length, 1, dup.lines.join('\n'));
      assert.match(dup.lines[0], /dup\.csv:1:3: columns 1 and 3 are both named 'a'; each column needs a name of its own\.$/);
      const label = await dataErrors(dir, 'label.nnmodel');
      assert.match(label.lines[0], /label\.csv:1:3: columns 1 and 3 are both named 'kind'; each column needs a name of its own\.$/);
      const blank = await dataErrors(dir, 'blank.nnmodel');
      assert.match(blank.lines[0], /blank\.csv:1:4: columns 2 and 4 have no name; each column needs a name of its own\.$/);
    },
  ),
);

test(
  'a CSV value beyond a 32-bit float (1e39) is an error at file:line:col, not Infinity and a NaN training; the largest one is read',
  withWorkspace(
    {
      'big.nnmodel': model('big.csv'),
      'big.csv': 'a,b,kind\n1,2,x\n3,-1e39,y\n',
      'label.nnmodel': model('label.csv', 'mse'),
      'label.csv': 'a,b,kind\n1,2,0.5\n3,4,4e38\n',
      'edge.nnmodel': model('edge.csv'),
      'edge.csv': 'a,b,kind\n3.4e38,-3.4e38,x\n1e-50,2,y\n',
    },
    async (dir) => {
      const big = await dataErrors(dir, 'big.nnmodel');
      assert.equal(big.code, 1);
      assert.equal(big.lines.length, 1, big.lines.join('\n'));
      assert.match(big.lines[0], /big\.csv:3:2: column 'b' has -1e39, beyond the largest number a 32-bit float holds \(about ±3\.4e38\), which is how the model reads every value: it would become Infinity and training NaN\. Rescale the column/);
      const label = await dataErrors(dir, 'label.nnmodel');
      assert.equal(label.code, 1);
      assert.match(label.lines[0], /label\.csv:3:3: the label 'kind' is 4e38, beyond the largest number a 32-bit float holds/);
      assert.deepEqual(await dataErrors(dir, 'edge.nnmodel'), { code: 0, lines: [] });
    },
  ),
);

test(
  "the largest 32-bit float as numpy and pandas write it (3.4028235e+38) is read, not called beyond a float32; the next digits up, and inf or nan, are errors",
  withWorkspace(
    {
      // np.finfo(np.float32).max is 3.4028234663852886e38; numpy prints it 3.4028235e+38, which rounds to it (not to Infinity).
      'max.nnmodel': model('max.csv'),
      'max.csv': 'a,b,kind\n3.4028235e+38,-3.4028235e+38,x\n1,2,y\n',
      'over.nnmodel': model('over.csv'),
      'over.csv': 'a,b,kind\n1,2,x\n3,3.4028236e38,y\n',
      'inf.nnmodel': model('inf.csv'),
      'inf.csv': 'a,b,kind\n1,inf,x\n3,4,y\n',
      'nan.nnmodel': model('nan.csv', 'mse'),
      'nan.csv': 'a,b,kind\n1,2,0.5\n3,4,nan\n',
    },
    async (dir) => {
      assert.deepEqual(await dataErrors(dir, 'max.nnmodel'), { code: 0, lines: [] });
      const over = await dataErrors(dir, 'over.nnmodel');
      assert.equal(over.code, 1);
      assert.match(over.lines[0], /over\.csv:3:2: column 'b' has 3\.4028236e38, beyond the largest number a 32-bit float holds/);
      const inf = await dataErrors(dir, 'inf.nnmodel');
      assert.match(inf.lines[0], /inf\.csv:2:2: column 'b' has 'inf', not a number/);
      const nan = await dataErrors(dir, 'nan.nnmodel');
      assert.match(nan.lines[0], /nan\.csv:3:3: the label 'kind' is 'nan', not a number/);
    },
  ),
);
