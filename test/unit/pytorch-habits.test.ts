/**
 * What a PyTorch (or Keras) user writes out of habit, said in this language's terms
 * with the fix that makes it so: a tuple `(3, 3)`, `padding = 1`, the
 * values of a shape given one by one (`reshape(28, 28, 1)`, as `view`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyze } from '../../extension/core/analysis/analyze';
import { AnalysisSession } from '../../extension/core/analysis/session';
import { applyFix } from './sourceText';
import { FILE_SOURCES } from '../../extension/core/syntax/parser';
import { DATA_SOURCES } from '../../extension/core/analysis/train';

const errors = (text: string) => analyze(text).diagnostics.filter((d) => d.severity === 'error');
const model = (chain: string, input = '[28, 28, 1]') => `model M {\n  input x: ${input}\n  output x -> ${chain}\n}\n`;

test('a tuple is a list in brackets: one error each, read on as the list (the call is checked), and the fix', () => {
  const text = model('conv2d(32, (3, 3), stride = (2, 2), padding = same) -> flatten -> dense(10)');
  const [kernel, stride, ...more] = errors(text);
  assert.equal(more.length, 0);
  assert.equal(kernel.code, 'syntax.tuple');
  assert.equal(kernel.message, '(3, 3) is a tuple, as in Python; values go in a list, in brackets: [3, 3]');
  assert.equal(text.slice(kernel.range.start.offset, kernel.range.end.offset), '(3, 3)');
  assert.equal(kernel.fixes?.[0].title, 'Change to [3, 3]');
  assert.deepEqual(errors(applyFix(applyFix(text, stride), kernel)), []);
  // Read as the list: a mistake of the call after it is still reported.
  assert.deepEqual(errors(model('conv2d(32, (3, 3), paddin = same) -> flatten')).map((d) => d.code), ['syntax.tuple', 'arg.unknown']);
  // A parenthesis around one value, or an expression, is not a tuple.
  assert.deepEqual(errors(model('conv2d(32, (3)) -> flatten -> dense((2 + 3) * 2)')), []);
});

test("PyTorch's padding = n: explicit padding on a convolution or pooling; on a transposed convolution 0 is valid, (k - s) / 2 is same, with the fix; other amounts are explained", () => {
  // A convolution and a pooling take it as PyTorch does: n positions on each side.
  assert.deepEqual(errors(model('conv2d(8, 3, padding = 1) -> conv2d(8, 5, padding = 2) -> conv2d(8, 3, padding = 0) -> flatten -> dense(10)')), []);
  assert.deepEqual(errors(model('maxpool(3, stride = 2, padding = 1) -> avgpool(3, stride = 1, padding = 1) -> avgpool([5, 5], padding = 0) -> flatten')), []);
  const one = model('conv2d_transpose(8, 4, stride = 2, padding = 1) -> flatten -> dense(10)', '[8, 8, 4]');
  const [d] = errors(one);
  assert.equal(d.message, "conv2d_transpose's 'padding' is one of valid, same; got the number 1. PyTorch's ConvTranspose padding = 1 crops the output to the input's size times the stride with a 4-wide kernel at stride 2: that is `same` here.");
  assert.deepEqual(d.fixes?.map((f) => f.title), ['Change to same']);
  assert.deepEqual(errors(applyFix(one, d)), []);
  const [zero] = errors(model('conv2d_transpose(8, [5, 5], padding = 0) -> flatten'));
  assert.deepEqual(zero.fixes?.map((f) => f.title), ['Change to valid']);
  const [two] = errors(model('conv2d_transpose(8, 3, padding = 2) -> flatten'));
  assert.match(two.message, /crops the output; with a 3-wide kernel at stride 1, `same` is padding = 1 there and `valid` padding = 0\.$/);
  assert.equal(two.fixes?.length ?? 0, 0);
  // A kernel that is a block's parameter cannot be read: both words, same first.
  const block = 'block b(k) {\n  input x\n  output x -> conv2d_transpose(8, k, padding = 1)\n}\nmodel M {\n  input x: [28, 28, 1]\n  output x -> b(3) -> flatten\n}\n';
  assert.deepEqual(errors(block)[0].fixes?.map((f) => f.title), ['Change to same', 'Change to valid']);
});

test('a shape given value by value (reshape(28, 28, 1), as view) is one error with the fix that makes it a list', () => {
  const text = model('reshape(28, 28, 1) -> conv2d(8, 3)', '[784]');
  const [d, ...more] = errors(text);
  assert.equal(more.length, 0);
  assert.equal(d.message, "reshape takes its 'shape' as one list: reshape([28, 28, 1]), not 3 separate values.");
  assert.equal(d.fixes?.[0].title, 'Change to reshape([28, 28, 1])');
  assert.deepEqual(errors(applyFix(text, d)), []);
  const [t] = errors(model('transpose(1, 0)', '[4, 6]'));
  assert.deepEqual(errors(applyFix(model('transpose(1, 0)', '[4, 6]'), t)), []);
  assert.equal(errors(model('reshape(-1, 2)', '[4, 6]'))[0].fixes?.[0].title, 'Change to reshape([-1, 2])');
});

test("a recurrent layer's last step fed to a layer that reads a sequence (Keras's lstm -> lstm): the message says why, the fix sets return_sequences", () => {
  const text = model('lstm(64) -> lstm(64) -> dense(2)', '[100, 8]');
  const [d, ...more] = errors(text);
  assert.equal(more.length, 0);
  assert.equal(d.code, 'shape.rank');
  assert.match(d.message, /The lstm\(64\) before it gives only its last step; with `return_sequences = true` it gives one output per step, the sequence this layer reads\.$/);
  assert.equal(d.fixes?.[0].title, 'Set return_sequences = true in lstm(64)');
  assert.match(applyFix(text, d), /lstm\(64, return_sequences = true\) -> lstm\(64\)/);
  assert.deepEqual(errors(applyFix(text, d)), []);
  // In a block body: the call as written, fixed in the body; into conv1d, whose own rule says the rank.
  const block = 'block enc(u) {\n  input x\n  output x -> gru(u) -> attention(4)\n}\nmodel M {\n  input x: [100, 8]\n  output x -> enc(32) -> dense(2)\n}\n';
  const [b] = errors(block);
  assert.equal(b.fixes?.[0].title, 'Set return_sequences = true in gru(u)');
  assert.deepEqual(errors(applyFix(block, b)), []);
  const conv = model('gru(16) -> conv1d(8, 3)', '[100, 8]');
  assert.deepEqual(errors(applyFix(conv, errors(conv)[0])), []);
  // Not a recurrent layer before it: no such hint.
  assert.doesNotMatch(errors(model('flatten -> lstm(8)', '[10, 8]'))[0].message, /return_sequences/);
});

test("PyTorch's constructor order, the input's size first: an error where it lands on a true/false argument, a warning where the call stays valid; each with the fix that removes the size", () => {
  const dense = model('dense(784, 128)', '[784]');
  const [d, ...more] = analyze(dense).diagnostics;
  assert.equal(more.length, 0);
  assert.equal(d.code, 'arg.type');
  assert.equal(d.message, "dense's 'bias' takes true or false, but this is the number 128. PyTorch's nn.Linear(784, 128) gives the input's size (in_features) first; here it comes from the input (784): write dense(128).");
  assert.deepEqual(analyze(applyFix(dense, d)).diagnostics, []);
  const lstm = model('lstm(32, 64)', '[10, 32]');
  assert.match(applyFix(lstm, errors(lstm)[0]), /x -> lstm\(64\)\n/);
  // Valid, but a 32-wide kernel at stride 3 is not what was meant.
  const conv = model('conv2d(1, 32, 3, padding = same) -> flatten');
  const [w] = analyze(conv).diagnostics;
  assert.equal(w.code, 'arg.torch_order');
  assert.equal(w.severity, 'warning');
  assert.equal(w.message, "conv2d(1, 32, 3, padding = same) reads as 1 filter of a 32-wide kernel at stride 3. PyTorch's nn.Conv2d(1, 32, 3) gives the input's channels (in_channels) first; here they come from the input (1): did you mean conv2d(32, 3, padding = same)?");
  assert.deepEqual(analyze(applyFix(conv, w)).diagnostics, []);
  // Without padding = same, the kernel so read does not fit: that failure is this mistake's, one error.
  const valid = model('conv2d(1, 32, 3) -> flatten');
  const [v, ...others] = analyze(valid).diagnostics;
  assert.equal(others.length, 0, others.map((x) => x.message).join('\n'));
  assert.equal(v.code, 'arg.torch_order');
  assert.equal(v.severity, 'error');
  assert.match(v.message, /^conv2d\(1, 32, 3\) reads as 1 filter of a 32-wide kernel at stride 3, and a kernel of 32 is larger than the input's 28\. /);
  assert.deepEqual(analyze(applyFix(valid, v)).diagnostics, []);
  const att = model('attention(32, 4)', '[10, 32]');
  assert.equal(analyze(att).diagnostics[0].fixes?.[0].title, "Remove the input's size: attention(4)");
  // Plausible readings are left alone: filters equal to the channels (ResNet), a small kernel, heads and key_dim.
  for (const [chain, input] of [['conv2d(16, 3, 2)', '[32, 32, 16]'], ['attention(8, 64)', '[10, 8]'], ['conv2d(3, 3)', '[8, 8, 3]'], ['dense(8, bias = false)', '[8]']]) {
    assert.deepEqual(analyze(model(chain, input)).diagnostics, [], chain);
  }
});

test("batchnorm(16), PyTorch's nn.BatchNorm2d(16): the channels, not a momentum of 16%; a percentage that is not the channels keeps its fix", () => {
  const text = model('batchnorm(16)', '[8, 8, 16]');
  const [d, ...more] = errors(text);
  assert.equal(more.length, 0);
  assert.equal(d.message, "batchnorm's 'momentum' must be between 0 and 1; got 16. PyTorch's nn.BatchNorm2d(16) gives the input's channels; here they come from the input (16): write batchnorm.");
  assert.equal(d.fixes?.[0].title, 'Remove the channels: batchnorm');
  assert.match(applyFix(text, d), /output x -> batchnorm\n/);
  assert.deepEqual(errors(applyFix(text, d)), []);
  assert.match(errors(model('batchnorm(8)', '[10, 8]'))[0].message, /nn\.BatchNorm1d\(8\)/);
  assert.equal(errors(model('batchnorm(99)', '[8, 8, 16]'))[0].fixes?.[0].title, 'Change to 0.99');
});

test('the names PyTorch and Keras give arguments and layers: a pooling kernel is its size, dim is axis (said how they count), hidden_size is units, adaptive pooling is global', () => {
  for (const [chain, input, fix] of [
    ['avgpool(kernel = 2) -> flatten', '[32, 32, 3]', "Change to 'size'"],
    ['maxpool(kernel_size = 2) -> flatten', '[32, 32, 3]', "Change to 'size'"],
    ['conv2d(8, kernel_size = 3)', '[32, 32, 3]', "Change to 'kernel'"],
    ['lstm(hidden_size = 8)', '[10, 4]', "Change to 'units'"],
    ['leaky_relu(negative_slope = 0.1)', '[10]', "Change to 'alpha'"],
    ['upsample(scale_factor = 2)', '[8, 8, 3]', "Change to 'factor'"],
    ['adaptive_avgpool', '[8, 8, 4]', "Change to 'global_avgpool'"],
    ['dropout2d(0.1)', '[8, 8, 4]', "Change to 'dropout'"],
  ]) {
    const text = model(chain, input);
    const [d, ...more] = errors(text);
    assert.equal(more.length, 0, `${chain}: one error (not also 'arg.missing')`);
    assert.equal(d.fixes?.[0].title, fix, chain);
    assert.deepEqual(errors(applyFix(text, d)), [], chain);
  }
  const [dim] = errors(model('softmax(dim = -1)', '[10]'));
  assert.match(dim.message, /Did you mean 'axis'\? PyTorch's dim counts the batch axis and puts an image's channels at 1; axis counts the example's axes from 0, and -1 is the last \(the channels\)\./);
});

test('a cold review of the habits above: the cases each must not get wrong', () => {
  // concat's axis comes after its values: a value by position is not its axis.
  const [dim] = errors(model('concat(x, dim = 1)', '[8, 8, 4]'));
  assert.doesNotMatch(dim.message, /given already/);
  // padding = n reads a transposed convolution's stride and crop.
  const fix = (chain: string, input = '[16, 16, 4]') => errors(model(chain, input))[0].fixes?.map((f) => f.title) ?? [];
  assert.deepEqual(fix('conv2d_transpose(32, 4, 2, padding = 1)', '[8, 8, 16]'), ['Change to same']);
  assert.deepEqual(fix('conv2d_transpose(32, 3, 2, padding = 1)', '[8, 8, 16]'), []);
  // An odd k − s has no PyTorch padding of its own (not 'padding = 1.5').
  const odd = errors(model('conv2d_transpose(32, 4, 1, padding = 1)', '[8, 8, 16]'))[0].message;
  assert.doesNotMatch(odd, /\d\.5/);
  assert.match(odd, /`same` is no one padding there \(it crops 3, one more at the end\) and `valid` padding = 0\.$/);
  // A convolution or pooling takes any of these as explicit padding.
  assert.deepEqual(errors(model('conv2d(8, 3, dilation = 2, padding = 2) -> conv2d(8, 4, 2, padding = 1) -> conv2d(8, 2, padding = 1)')), []);
  assert.deepEqual(errors(model('maxpool(3, 2, padding = 1) -> avgpool(4, 2, padding = 1) -> maxpool(2, 1, padding = 1)')), []);
  // The return_sequences hint only before a layer that reads a sequence, as a sentence of its own.
  assert.doesNotMatch(errors(model('lstm(16) -> conv2d(8, 3)', '[10, 4]'))[0].message, /return_sequences/);
  assert.match(errors(model('lstm(16) -> conv1d(8, 3)', '[10, 4]'))[0].message, /first\. The lstm\(16\) before it/);
  // FCN's upsampling (a kernel twice the stride) is not PyTorch's order; a DCGAN's first layer is.
  assert.deepEqual(analyze(model('conv2d_transpose(21, 16, 8)', '[8, 8, 21]')).diagnostics, []);
  assert.match(analyze(model('conv2d_transpose(100, 512, 4)', '[1, 1, 100]')).diagnostics[0].message, /100 filters of a 512-wide kernel/);
  assert.match(analyze(model('conv2d(3, 8, 2)', '[32, 32, 3]')).diagnostics[0].message, /of an 8-wide kernel/);
  // batchnorm(16) with another argument; a tuple as a block's default; a layer among a call's values gets no ',' fix.
  assert.match(errors(model('batchnorm(16, epsilon = 0.001)', '[8, 8, 16]'))[0].message, /nn\.BatchNorm2d\(16\)/);
  const [tuple] = errors('block b(k = (3, 3)) {\n  input x\n  output x -> conv2d(8, k)\n}\nmodel M {\n  input x: [8, 8, 3]\n  output x -> b\n}\n');
  assert.equal(tuple.code, 'syntax.tuple');
  assert.equal(errors('model M {\n  input x: [8]\n  y = concat(x, relu)\n  output y\n}\n')[0].fixes, undefined);
});

test("Keras's Bidirectional(LSTM(n)) is the recurrent layer's bidirectional = true: one error, and the fix that rewrites the call", () => {
  const text = model('bidirectional(lstm(8, return_sequences = true)) -> dense(2)', '[seq, 4]');
  const [d, ...more] = errors(text);
  assert.deepEqual(more, []);
  assert.equal(d.code, 'name.unknown_layer');
  assert.equal(text.slice(d.range.start.offset, d.range.end.offset), 'bidirectional');
  assert.equal(
    d.message,
    "unknown layer or block 'bidirectional': a recurrent layer reads the sequence both ways with an argument here, as PyTorch's bidirectional=True: write `lstm(8, return_sequences = true, bidirectional = true)` (rnn, lstm or gru).",
  );
  const fixed = applyFix(text, d);
  assert.equal(fixed, model('lstm(8, return_sequences = true, bidirectional = true) -> dense(2)', '[seq, 4]'));
  assert.deepEqual(errors(fixed), []);
  assert.deepEqual(analyze(fixed).models[0].outputs[0].shape.dims.map(String), ['seq', '2']);
  // Keras's spelling, and a call that already says bidirectional (by name or in its place): one argument, true.
  for (const [written, meant] of [
    ['Bidirectional(LSTM(64))', 'lstm(64, bidirectional = true)'],
    ['Bidirectional(SimpleRNN(8, return_sequences = true))', 'rnn(8, return_sequences = true, bidirectional = true)'],
    ['bidirectional(lstm(64, bidirectional = true))', 'lstm(64, bidirectional = true)'],
    ['bidirectional(gru(8, true, false))', 'gru(8, true, true)'],
  ]) {
    const t = model(`${written} -> dense(2)`, '[seq, 4]');
    const [e] = errors(t);
    assert.equal(e.fixes?.[0].title, `Change to ${meant}`, written);
    assert.deepEqual(errors(applyFix(t, e)), [], written);
  }
  // Around something else: the message, no fix.
  const [other] = errors(model('Bidirectional(dense(3))', '[seq, 4]'));
  assert.match(other.message, /write `lstm\(units, bidirectional = true\)`/);
  assert.equal(other.fixes, undefined);
});

test("a module path (nn.Conv2d, F.relu, torch.nn.Linear) is one error on the whole name, fixed to the layer's name here", () => {
  const text = model('nn.Conv2d(16, 3) -> flatten -> dense(10)');
  const [d, ...more] = errors(text);
  assert.equal(more.length, 0);
  assert.equal(d.code, 'syntax.module_prefix');
  assert.equal(d.message, "'nn.Conv2d': names here have no module prefix (nn. is how PyTorch or Keras reaches its layers); write the name alone: conv2d");
  assert.equal(text.slice(d.range.start.offset, d.range.end.offset), 'nn.Conv2d');
  assert.equal(d.fixes?.[0].title, "Change to 'conv2d'");
  assert.deepEqual(errors(applyFix(text, d)), []);
  // Longer paths, functional names and names this language spells otherwise.
  const linear = model('flatten -> torch.nn.Linear(10)');
  const [l] = errors(linear);
  assert.equal(linear.slice(l.range.start.offset, l.range.end.offset), 'torch.nn.Linear');
  assert.equal(l.fixes?.[0].title, "Change to 'dense'");
  assert.deepEqual(errors(applyFix(linear, l)), []);
  const [r] = errors(model('F.relu -> flatten'));
  assert.equal(r.fixes?.[0].title, "Change to 'relu'");
  // In a train section: the optimiser's and the loss's names here.
  const train = 'model M {\n  input x: [28, 28, 1]\n  output x -> flatten -> dense(10) -> softmax\n}\ntrain M {\n  data: digits()\n  optimizer: torch.optim.Adam(lr = 0.001)\n  loss: nn.CrossEntropyLoss()\n}\n';
  const [opt, loss] = errors(train);
  assert.equal(opt.fixes?.[0].title, "Change to 'adam'");
  assert.equal(loss.fixes?.[0].title, "Change to 'crossentropy'");
  assert.deepEqual(errors(applyFix(applyFix(train, loss), opt)), []);
  // No layer of that name: the fix removes the prefix.
  const [u] = errors(model('nn.Frobnicate -> flatten'));
  assert.equal(u.fixes?.[0].title, "Remove 'nn.'");
  // A number's point and a '.' with spaces around it are not module paths.
  assert.notEqual(errors(model('dropout(.5)'))[0].code, 'syntax.module_prefix');
  assert.equal(errors(model('nn . Conv2d(16, 3)'))[0].code, 'syntax.invalid_character');
});

test('a file name without quotes (csv(data/fruit.csv)) is one error with the fix that quotes it, folders included', () => {
  const text = 'model M {\n  input x: [4]\n  output x -> dense(3) -> softmax\n}\ntrain M {\n  data: csv(data/fruit.csv, label = "fruit")\n}\n';
  const [d, ...more] = errors(text);
  assert.equal(more.length, 0);
  assert.equal(d.code, 'syntax.unquoted_path');
  assert.equal(d.message, 'a path is a string: write "data/fruit.csv" in double quotes');
  assert.equal(text.slice(d.range.start.offset, d.range.end.offset), 'data/fruit.csv');
  assert.equal(applyFix(text, d).split('\n')[5], '  data: csv("data/fruit.csv", label = "fruit")');
  assert.deepEqual(errors(applyFix(text, d)), []);
});

test('a path without quotes from a folder up, this folder, with a dash or a drive letter is one error whose fix quotes the whole path', () => {
  const train = (source: string) =>
    source.startsWith('text')
      ? `model M {\n  input x: int[seq]\n  output x -> embedding(50, 16) -> dense(50) -> softmax\n}\ntrain M {\n  data: ${source}\n  epochs: 2\n}\n`
      : `model M {\n  input x: [28, 28, 3]\n  output x -> flatten -> dense(3) -> softmax\n}\ntrain M {\n  data: ${source}\n  epochs: 2\n}\n`;
  for (const [source, path] of [
    ['csv(../data/fruit.csv, label = "fruit")', '../data/fruit.csv'],
    ['csv(data/fruit-2.csv)', 'data/fruit-2.csv'],
    ['csv(fruit-2.csv)', 'fruit-2.csv'],
    ['images(./photos)', './photos'],
    ['images(../photos, size = [28, 28])', '../photos'],
    ['images(my-photos)', 'my-photos'],
    ['images(data/train)', 'data/train'],
    ['text(C:/data/tiny.txt)', 'C:/data/tiny.txt'],
    ['csv(~/data/fruit.csv)', '~/data/fruit.csv'],
  ]) {
    const text = train(source);
    const [d, ...more] = errors(text);
    assert.equal(more.length, 0, source);
    assert.equal(d.code, 'syntax.unquoted_path', source);
    assert.equal(d.message, `a path is a string: write "${path}" in double quotes`);
    assert.equal(text.slice(d.range.start.offset, d.range.end.offset), path);
    assert.equal(d.fixes?.[0].title, `Quote the path: "${path}"`);
    assert.equal(applyFix(text, d).split('\n')[5], `  data: ${source.replace(path, `"${path}"`)}`);
    assert.deepEqual(errors(applyFix(text, d)), [], source);
  }
  // A Windows path: its backslashes (escapes in a string) become slashes.
  const windows = train('text(C:\\data\\tiny.txt)');
  const [w] = errors(windows);
  assert.equal(w.message, 'a path is a string: write "C:/data/tiny.txt" in double quotes (folders separated by /, which works on Windows too)');
  assert.equal(applyFix(windows, w).split('\n')[5], '  data: text("C:/data/tiny.txt")');
  // Typed into an open file: the incremental session reads it as a whole parse does.
  const session = new AnalysisSession();
  session.update(train('csv("fruit.csv")'));
  const typed = train('csv(../data/fruit-2.csv)');
  assert.deepEqual(session.update(typed).diagnostics, analyze(typed).diagnostics);
});

test('arithmetic is never read as a path: a minus or a slash in a model body, or in a train setting that is no file source', () => {
  const body = 'model M {\n  input x: [8]\n  dim = 4\n  output x -> dense(dim-1) -> relu -> dense(dim - 1) -> relu -> dense(dim/2) -> relu -> dense(8-dim)\n}\n';
  assert.deepEqual(analyze(body).diagnostics.filter((d) => d.code.startsWith('syntax.')), []);
  // x-y: the difference of two tensors, which the analysis explains (not a path).
  const chain = 'model M {\n  input x: [8]\n  input y: [8]\n  output x-y -> dense(2)\n}\n';
  assert.deepEqual(errors(chain).map((d) => d.code), ['type.operands']);
  // Not the first argument of a file source: no path is read there.
  const named = 'model M {\n  input x: [28, 28, 1]\n  output x -> flatten -> dense(10) -> softmax\n}\ntrain M {\n  data: digits(samples = 100-1)\n  optimizer: adam(lr = 1e-3)\n}\n';
  assert.deepEqual(analyze(named).diagnostics.filter((d) => d.code.startsWith('syntax.')), []);
});

test('the file sources of the parser are the data sources with a path', () => {
  assert.deepEqual([...FILE_SOURCES].sort(), DATA_SOURCES.filter((d) => d.path).map((d) => d.name).sort());
});

test("PyTorch's dim = 1 (or -1) on softmax: the fix writes axis = -1, the features' axis here, not axis = 1", () => {
  const text = model('flatten -> dense(10) -> softmax(dim = 1)');
  const [d, ...more] = errors(text);
  assert.equal(more.length, 0);
  assert.equal(d.code, 'arg.unknown');
  assert.deepEqual(d.fixes?.map((f) => f.title), ['Change to axis = -1']);
  assert.deepEqual(errors(applyFix(text, d)), []);
  // On an image's channels too (dim = 1 in PyTorch's [N, C, H, W]), and dim = -1.
  const image = model('conv2d(8, 3) -> softmax(dim = 1)');
  assert.deepEqual(errors(applyFix(image, errors(image)[0])), []);
  assert.deepEqual(errors(model('flatten -> softmax(dim = -1)'))[0].fixes?.map((f) => f.title), ['Change to axis = -1']);
  // Another dim is renamed only: which axis it meant depends on PyTorch's layout.
  assert.deepEqual(errors(model('conv2d(8, 3) -> softmax(dim = 2)'))[0].fixes?.map((f) => f.title), ["Change to 'axis'"]);
});

test("Keras's input_shape on the first layer (dense(16, input_shape = [4])): one error, and the fix that declares or pipes the input", () => {
  const bare = 'model M {\n  output dense(16, input_shape = [4]) -> relu -> dense(3)\n}\n';
  const [d, ...more] = analyze(bare).diagnostics;
  assert.equal(more.length, 0);
  assert.equal(d.code, 'call.no_input');
  assert.equal(d.message, "dense needs an input: 'input_shape' is how Keras gives the first layer its input; here an input is declared on its own line (`input x: [4]`) and piped into the first layer: `x -> dense(16)`.");
  const fixed = applyFix(bare, d);
  assert.equal(fixed, 'model M {\n  input x: [4]\n  output x -> dense(16) -> relu -> dense(3)\n}\n');
  assert.deepEqual(analyze(fixed).diagnostics, []);
  // An input declared already: it is piped in (input_dim is a size, not a shape).
  const declared = 'model M {\n  input features: [4]\n  output dense(16, input_dim = 4, activation = relu) -> dense(3)\n}\n';
  const [e] = errors(declared);
  assert.deepEqual(e.fixes?.map((f) => f.title), ["Pipe 'features' in: features -> dense(16, activation = relu)"]);
  assert.deepEqual(analyze(applyFix(declared, e)).diagnostics, []);
  // Bound to a name, the call is a layer object: the argument is unknown, said so, and the fix removes it.
  const object = 'model M {\n  input x: [4]\n  d = dense(16, input_dim = 4)\n  output x -> d\n}\n';
  const [o] = errors(object);
  assert.equal(o.code, 'arg.unknown');
  assert.match(o.message, /'input_dim' is how Keras gives the first layer its input; here an input is declared on its own line and piped in: `x -> dense\(16\)`\. Its arguments/);
  assert.deepEqual(o.fixes?.map((f) => [f.title, f.preferred]), [["Pipe 'x' in: x -> dense(16)", true], ["Remove 'input_dim'", false]]);
  assert.equal(applyFix(object, o, 1), 'model M {\n  input x: [4]\n  d = dense(16)\n  output x -> d\n}\n');
  // Used as a value after it (`h -> dense(10)`): the piped call is what was meant.
  const value = 'model K2 {\n  input x: [784]\n  h = dense(64, input_dim = 784)\n  output h -> dense(10)\n}\n';
  const [v] = errors(value);
  assert.equal(applyFix(value, v), 'model K2 {\n  input x: [784]\n  h = x -> dense(64)\n  output h -> dense(10)\n}\n');
  assert.deepEqual(errors(applyFix(value, v)), []);
  // A CRLF file gets CRLF; an editor session moves the fix with the statement when lines are added above.
  const crlf = bare.replace(/\n/g, '\r\n');
  assert.equal(applyFix(crlf, analyze(crlf).diagnostics[0]), fixed.replace(/\n/g, '\r\n'));
  const session = new AnalysisSession();
  const two = 'model A {\n  input x: [4]\n  output x -> dense(2)\n}\n' + bare;
  session.update(two);
  const moved = two.replace('input x: [4]\n', 'input x: [4]\n\n');
  const again = session.update(moved).diagnostics.find((x) => x.code === 'call.no_input')!;
  assert.deepEqual(again.fixes, analyze(moved).diagnostics.find((x) => x.code === 'call.no_input')!.fixes);
  assert.equal(applyFix(moved, again), moved.replace(bare, fixed));
  const dim = 'model M {\n  output dense(16, input_dim = 4)\n}\n';
  assert.equal(applyFix(dim, errors(dim)[0]), 'model M {\n  input x: [4]\n  output x -> dense(16)\n}\n');
});

test('values without a name after a named one (conv2d(filters = 16, 3, 2)): one error for the call, the fix names them as meant', () => {
  const text = model('conv2d(filters = 16, 3, 2) -> flatten -> dense(10)');
  const [d, ...more] = errors(text);
  assert.equal(more.length, 0, more.map((x) => x.message).join('\n'));
  assert.equal(d.code, 'arg.duplicate');
  assert.match(d.message, /Put the values without a name first, or name this one: conv2d\(filters = 16, kernel = 3, stride = 2\)\.$/);
  assert.equal(d.fixes?.[0].title, 'Name the values: conv2d(filters = 16, kernel = 3, stride = 2)');
  assert.deepEqual(errors(applyFix(text, d)), []);
  // The required argument the value was meant for is not said missing as well.
  assert.deepEqual(errors(model('conv2d(filters = 16, 3) -> flatten')).map((x) => x.code), ['arg.duplicate']);
  // A value that cannot be meant for the next argument (a number for dense's bias): no fix.
  const [u] = errors(model('flatten -> dense(units = 4, 3)'));
  assert.equal(u.code, 'arg.duplicate');
  assert.equal(u.fixes?.length ?? 0, 0);
  assert.match(u.message, /or name this one\.$/);
});

test("PyTorch's flatten(1) (start_dim): said why, and the fix removes the arguments", () => {
  const text = model('conv2d(8, 3) -> flatten(1) -> dense(10)');
  const [d, ...more] = errors(text);
  assert.equal(more.length, 0);
  assert.equal(d.code, 'arg.too_many');
  assert.match(d.message, /^flatten takes no arguments\. \(PyTorch's flatten\(1\) keeps the batch axis apart; here shapes have no batch axis/);
  assert.equal(d.fixes?.[0].title, 'Remove the arguments: flatten');
  assert.deepEqual(errors(applyFix(text, d)), []);
});
