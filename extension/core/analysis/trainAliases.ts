/**
 * What Keras and PyTorch call some settings of a train section that have
 * another name here (`batch_size` → `batch`, `CrossEntropyLoss` →
 * `crossentropy`, `adam(learning_rate = …)` → `lr`): consulted before the
 * suggestions by spelling, which cannot find these (`acc` is 5 edits from
 * `accuracy`). Looked up by `aliasKey`: lower case, letters and digits only,
 * so `CrossEntropyLoss`, `cross_entropy_loss` and `nn.CrossEntropyLoss`'s
 * last part meet one entry.
 */

/** `name` in lower case, letters and digits only. */
export function aliasKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Losses, by the names of Keras (`categorical_crossentropy`) and PyTorch (`CrossEntropyLoss`, `F.mse_loss`). */
const LOSSES: Readonly<Record<string, string>> = {
  categoricalcrossentropy: 'crossentropy',
  sparsecategoricalcrossentropy: 'crossentropy',
  crossentropyloss: 'crossentropy',
  // NLLLoss takes log-probabilities (after log_softmax): with them it is crossentropy.
  nll: 'crossentropy',
  nllloss: 'crossentropy',
  binarycrossentropyloss: 'binary_crossentropy',
  bce: 'binary_crossentropy',
  bceloss: 'binary_crossentropy',
  bcewithlogitsloss: 'binary_crossentropy',
  mseloss: 'mse',
  meansquarederror: 'mse',
  l2loss: 'mse',
  l1: 'mae',
  l1loss: 'mae',
  meanabsoluteerror: 'mae',
};

/** Metrics, by Keras's names. */
const METRICS: Readonly<Record<string, string>> = {
  acc: 'accuracy',
  categoricalaccuracy: 'accuracy',
  sparsecategoricalaccuracy: 'accuracy',
  binaryaccuracy: 'accuracy',
  meanabsoluteerror: 'mae',
};

/** Train settings, by the names of Keras's `fit` and common training scripts. */
const KEYS: Readonly<Record<string, string>> = {
  batchsize: 'batch',
  numepochs: 'epochs',
  nepochs: 'epochs',
  validationsplit: 'validation',
  valsplit: 'validation',
  dataset: 'data',
  lossfunction: 'loss',
  optimiser: 'optimizer',
};

/** A learning rate written as a setting of its own (`lr: 0.01`): here it is an option of the optimizer. */
export function isLearningRateKey(name: string): boolean {
  const k = aliasKey(name);
  return k === 'lr' || k === 'learningrate';
}

/** Options of data sources and optimizers: every name they may stand for (the caller keeps the ones the call has). */
const OPTIONS: Readonly<Record<string, readonly string[]>> = {
  learningrate: ['lr'],
  beta: ['beta1'],
  beta1: ['beta1'],
  b1: ['beta1'],
  nsamples: ['samples'],
  numsamples: ['samples'],
  imagesize: ['size'],
  imgsize: ['size'],
  seqlen: ['length', 'context'],
  seqlength: ['length', 'context'],
  maxlen: ['length', 'context'],
  blocksize: ['context'],
  contextlength: ['context'],
  vocabsize: ['vocab'],
  labelcolumn: ['label'],
  target: ['label'],
};

/** Well-known data sets, by name: the built-in set that stands for one, or how to train on it. */
const DATA: Readonly<Record<string, { to?: string; note: string }>> = {
  mnist: { to: 'digits', note: 'digits is the MNIST-like set here: grey-scale digits 0–9, 28×28 by default, drawn with jitter and noise (nothing to download); for MNIST itself, save its images in a folder with one sub-folder per class and use images("folder", grayscale = true).' },
  fashionmnist: { note: 'Fashion-MNIST is not built in: save its images in a folder with one sub-folder per class and use images("folder", grayscale = true).' },
  cifar10: { note: 'CIFAR-10 is not built in: save its images in a folder with one sub-folder per class and use images("folder", size = 32); shapes is a built-in set of 32×32 RGB images (3 classes).' },
  cifar100: { note: 'CIFAR-100 is not built in: save its images in a folder with one sub-folder per class and use images("folder", size = 32).' },
  imagenet: { note: 'ImageNet is not built in: use images("folder") on a folder with one sub-folder of images per class.' },
};

export function lossAlias(name: string): string | undefined {
  return LOSSES[aliasKey(name)];
}

export function metricAlias(name: string): string | undefined {
  return METRICS[aliasKey(name)];
}

export function keyAlias(name: string): string | undefined {
  return KEYS[aliasKey(name)];
}

/** The option of `options` that `name` stands for, if any. */
export function optionAlias(name: string, options: readonly string[]): string | undefined {
  return OPTIONS[aliasKey(name)]?.find((o) => options.includes(o));
}

export function dataAlias(name: string): { to?: string; note: string } | undefined {
  return DATA[aliasKey(name)];
}
