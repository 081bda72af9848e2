// The PyTorch export with trained weights says which class each output is: a classifier
// trained on a CSV's label column or an image folder's sub-folders gets a CLASSES tuple
// (output i is CLASSES[i]), a docstring line and a __main__ that prints the classes it
// predicts. Without it the exported model gave three numbers and no way to know that
// the second one meant "banana". Names that are only the indices ("0" … "9"), outputs
// that are not one value per class (a language model), and malformed names are left out.
// A model trained on an image folder also says what its input pixels are (size, channels,
// [0, 1], no normalisation), without which a PyTorch pipeline's usual preprocessing would
// feed the trained weights other numbers than training did.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../extension/core/analysis/analyze';
import { exportPyTorch } from '../../extension/core/export/pytorch';
import { trainedClasses } from '../../extension/core/export/weights';
import type { ModelJson } from '../../extension/core/runtime/checkpoint';
import { runCli as run, withWorkspace as inWorkspace } from '../fixtures/cli';

const withWorkspace = (files: Record<string, string>, body: (dir: string) => Promise<void>) => inWorkspace('nnmodel-export-classes-', files, body);
const PYTHON = process.env.NNMODEL_TORCH_PYTHON ?? '/usr/bin/python3';

const CSV_MODEL = `model Fruit {
  input features: [2]
  output features -> dense(8, activation = relu) -> dense(3) -> softmax
}

train Fruit {
  data: csv("d.csv", label = "kind")
  epochs: 1
  batch: 4
  validation: 0
}
`;
const CSV = 'a,b,kind\n1,2,pear\n2,3,apple\n3,4,fig\n4,5,pear\n5,6,apple\n6,7,fig\n';

test(
  'export --weights of a CSV classifier writes CLASSES in the order of its outputs, says so, and prints the predicted classes',
  withWorkspace({ 'fruit.nnmodel': CSV_MODEL, 'd.csv': CSV }, async (dir) => {
    const t = await run(dir, 'train', 'fruit.nnmodel');
    assert.equal(t.code, 0, t.err);
    const e = await run(dir, 'export', 'fruit.nnmodel', '--out', 'fruit.py', '--weights', '.nnmodel/fruit/Fruit');
    assert.equal(e.code, 0, e.err);
    const code = readFileSync(join(dir, 'fruit.py'), 'utf8');
    // Classes in the loader's order (code-point order of the labels): the order of the outputs.
    assert.match(code, /^class Fruit\(nn\.Module\):\n    """[^]*?\n    Output i is the class CLASSES\[i\] of d\.csv: apple, fig, pear\.\n    """\n\n    CLASSES = \("apple", "fig", "pear"\)\n\n    def __init__/m);
    assert.match(code, /print\("Fruit predicts \(for the random input\):", \[Fruit\.CLASSES\[i\] for i in out\.argmax\(-1\)\.tolist\(\)\]\)/);

    // Exported without the weights: no classes (the code does not know the data's).
    const bare = await run(dir, 'export', 'fruit.nnmodel');
    assert.equal(bare.code, 0, bare.err);
    assert.doesNotMatch(bare.out, /CLASSES/);

    const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status !== 0) {
      console.log(`PYTORCH CLASSES CHECK SKIPPED: ${PYTHON} cannot import torch. Install Debian's python3-torch.`);
      return;
    }
    // The module's prediction on the CSV's raw rows, named by CLASSES, is the label: the mapping is right, not only present.
    writeFileSync(
      join(dir, 'check.py'),
      [
        'import csv, importlib.util, torch',
        'spec = importlib.util.spec_from_file_location("fruit", "fruit.py"); mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)',
        'm = mod.Fruit(); mod.load_nnmodel_weights(m, "fruit.safetensors"); m.eval()',
        'rows = list(csv.DictReader(open("d.csv")))',
        'x = torch.tensor([[float(r["a"]), float(r["b"])] for r in rows])',
        'print(mod.Fruit.CLASSES)',
        'with torch.no_grad(): print([mod.Fruit.CLASSES[i] for i in m(x).argmax(-1).tolist()])',
      ].join('\n'),
    );
    const py = spawnSync(PYTHON, ['check.py'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    assert.equal(py.status, 0, py.stderr);
    const [classes, predicted] = py.stdout.trim().split('\n');
    assert.equal(classes, "('apple', 'fig', 'pear')");
    assert.match(predicted, /^\[('(apple|fig|pear)'(, )?){6}\]$/);
  }),
);

const IMAGE_MODEL = `model Net {
  input x: [8, 8, 1]
  output x -> flatten -> dense(10) -> softmax
}
`;

test('exportPyTorch: CLASSES only for one output of one value per class, with names that are not the indices', () => {
  const a = analyze(IMAGE_MODEL);
  const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  const withNames = exportPyTorch(a, { classes: names, classesSource: 'pics' });
  assert.ok(withNames.ok);
  assert.match(withNames.code, /CLASSES = \("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"\)/);
  assert.match(withNames.code, /Output i is the class CLASSES\[i\] of pics: zero, one, /);
  // digits' classes are the indices: nothing to say.
  const digits = exportPyTorch(a, { classes: names.map((_, i) => String(i)) });
  assert.ok(digits.ok);
  assert.doesNotMatch(digits.code, /CLASSES/);
  // Another count than the output's values: not this model's classes.
  const other = exportPyTorch(a, { classes: ['a', 'b', 'c'] });
  assert.ok(other.ok);
  assert.doesNotMatch(other.code, /CLASSES/);
  // A language model's output is a distribution per position, not one class per example.
  const lm = exportPyTorch(analyze(`model LM {\n  input t: int[seq]\n  output t -> embedding(3, 4) -> dense(3) -> softmax\n}\n`), { classes: ['a', 'b', 'c'] });
  assert.ok(lm.ok);
  assert.doesNotMatch(lm.code, /CLASSES/);
});

test('exportPyTorch: class names with quotes, backslashes and other scripts are Python string literals', () => {
  const names = ['say "hi"', 'back\\slash', 'café', "it's", '猫', 'new\nline', 'tab\t', 'x', 'y', 'z'];
  const r = exportPyTorch(analyze(IMAGE_MODEL), { classes: names });
  assert.ok(r.ok);
  const line = r.code.split('\n').find((l) => l.trim().startsWith('CLASSES = '));
  assert.ok(line, r.code);
  const probe = spawnSync(PYTHON, ['-c', 'import ast, json, sys; print(json.dumps(list(ast.literal_eval(sys.stdin.read().split("=", 1)[1].strip()))))'], {
    input: line,
    encoding: 'utf8',
  });
  if (probe.error) {
    console.log(`PYTHON LITERAL CHECK SKIPPED: ${PYTHON} is missing.`);
    return;
  }
  assert.equal(probe.status, 0, probe.stderr);
  assert.deepEqual(JSON.parse(probe.stdout), names);
});

test('trainedClasses: a checkpoint\'s class names, or nothing for none or a malformed list', () => {
  const json = (classes: unknown) => ({ nnmodel: { data: { classes } } }) as unknown as ModelJson;
  assert.deepEqual(trainedClasses(json(['a', 'b'])), ['a', 'b']);
  assert.equal(trainedClasses(json([])), undefined);
  assert.equal(trainedClasses(json(['a', 2])), undefined);
  assert.equal(trainedClasses(json('ab')), undefined);
  assert.equal(trainedClasses({ nnmodel: {} } as unknown as ModelJson), undefined);
});

test('exportPyTorch: a model trained on an image folder says what its input pixels are (size, channels, [0, 1], no normalisation)', () => {
  const text = (grey: boolean) => `model P {
  input image: [16, 12, ${grey ? 1 : 3}]
  output image -> flatten -> dense(2) -> softmax
}

train P {
  data: images("pics", size = [16, 12]${grey ? ', grayscale = true' : ''})
}
`;
  const rgb = exportPyTorch(analyze(text(false)));
  assert.ok(rgb.ok, JSON.stringify(!rgb.ok && rgb.errors));
  assert.match(rgb.code, /Its train section reads images\("pics"\): image is each image resized to 16×12 \(area-weighted when\n\s+shrinking\), RGB, values in \[0, 1\] \(the 8-bit values \/ 255, transparent pixels over black\),\n\s+with no mean\/std normalisation/);
  const grey = exportPyTorch(analyze(text(true)));
  assert.ok(grey.ok);
  assert.match(grey.code, /shrinking\), grey \(0\.299 R \+ 0\.587 G \+ 0\.114 B\), values in \[0, 1\]/);
  // Built-in data and models without a train section: nothing said.
  const digits = exportPyTorch(analyze(text(false).replace('images("pics", size = [16, 12])', 'shapes(size = 16)').replace('[16, 12, 3]', '[16, 16, 3]').replace('dense(2)', 'dense(3)')));
  assert.ok(digits.ok, JSON.stringify(!digits.ok && digits.errors));
  assert.doesNotMatch(digits.code, /Its train section reads images/);
});
