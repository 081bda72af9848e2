/**
 * The `train` section: settings with defaults, data sources, and checks that
 * the data and the loss fit the model they train.
 */
import type { CallExpr, Expr, Range, SourceFile, StringLit, TrainDecl } from '../syntax/ast';
import type { ArgValue } from '../layers/types';
import { Sym, shapeToString, type Shape } from './sym';
import { didYouMean, suggest } from './suggest';
import type { DataSource, Diagnostic, Fix, Graph, LayerNode, ModelInfo, TrainConfig, TrainInfo } from './types';
import { getLayer, isRecurrent } from '../layers';
import { smallestVocab } from './graph';
import { lookAhead, lookAheadLayer } from './receptive';
import { argExprOf, argRangeOf, argRemoval, callAt } from './callArgs';
import { forEachChild } from '../syntax/children';
import { checkDenoise } from './trainDenoise';
import { checkAdversarial } from './trainAdversarial';
import { checkMaskFit, checkMaskSettings, checkSequencesReach, MASK_MAX, maskValueMessage } from './trainMask';
import { checkLayersAtDataSize, checkPerPositionOutput } from './trainLength';
import { inputSides } from './trainSides';
import { BOS } from '../runtime/data/synthetic';
import { keepsPositionsMessage, outputFitsLabels } from './trainLabels';
import { dataAlias, isLearningRateKey, keyAlias, lossAlias, metricAlias, optionAlias } from './trainAliases';

type OptType = 'int' | 'number' | 'bool' | 'string' | 'ints' | readonly string[];

export interface OptSpec {
  name: string;
  type: OptType;
  default?: ArgValue;
  min?: number;
  /** `min` is excluded: the value must be above it (a learning rate of 0 never moves a weight). */
  above?: boolean;
  max?: number;
  doc: string;
}

/**
 * Data sources of the `data:` key. Built-in sets are generated with a fixed
 * seed, so a fresh install trains with no download. `example` gives the shape
 * of one example and `classes` the number of labels, where known without
 * reading files.
 */
export interface DataSourceSpec {
  name: DataSource['kind'];
  doc: string;
  /** First positional argument is a path (relative to the .nnmodel file). */
  path: boolean;
  options: OptSpec[];
  example?: (o: Record<string, ArgValue>) => Shape;
  classes?: (o: Record<string, ArgValue>) => number | undefined;
  /**
   * Labels are one per position (a token, or a value for `waves`), not one
   * per example: a one-input model must output `[length, …]`, one
   * prediction per input position (trainLength.ts `checkPerPositionOutput`).
   */
  perPosition?: boolean;
  /** The option that sets the examples' length (their first axis): what a symbolic `seq` of the model trains at. */
  length?: string;
  /**
   * The label at each position is the input at the next one (`text`: the
   * next token; `waves`: the next value): what is predicted, for messages.
   * A model trained on it must not see later positions (checkLookAhead).
   */
  next?: string;
  /**
   * Also feeds a model with two inputs (an encoder-decoder) by teacher
   * forcing: the first input gets the source sequence, the second the start
   * token `BOS` (id 0, reserved) followed by the answer shifted right, and
   * the labels are the answer (runtime/data/synthetic.ts `sequencePairs`).
   */
  pairs?: boolean;
}

const samples: OptSpec = { name: 'samples', type: 'int', default: 6000, min: 10, max: 1_000_000, doc: 'number of examples to generate' };
const seed: OptSpec = { name: 'seed', type: 'int', default: 1, min: 0, doc: 'random seed (the same seed gives the same data)' };

export const DATA_SOURCES: readonly DataSourceSpec[] = [
  {
    name: 'digits',
    doc: 'Rendered digits 0–9 with jitter and noise, grey-scale, 10 classes.',
    path: false,
    options: [samples, { name: 'size', type: 'int', default: 28, min: 8, max: 256, doc: 'image side in pixels' }, seed],
    example: (o) => ({ dims: [Sym.of(o.size as number), Sym.of(o.size as number), Sym.of(1)] }),
    classes: () => 10,
  },
  {
    name: 'shapes',
    doc: 'RGB images of circles, squares and triangles in random colours and places, 3 classes.',
    path: false,
    options: [samples, { name: 'size', type: 'int', default: 32, min: 8, max: 256, doc: 'image side in pixels' }, seed],
    example: (o) => ({ dims: [Sym.of(o.size as number), Sym.of(o.size as number), Sym.of(3)] }),
    classes: () => 3,
  },
  {
    name: 'sequences',
    doc: 'Token sequences for transformers: the target is the input copied, reversed or sorted. A model with two inputs (encoder-decoder) gets the sequence as its first input and, by teacher forcing, the start token 0 followed by the answer shifted right as its second (tokens then 1 … vocab − 1).',
    path: false,
    options: [
      samples,
      { name: 'task', type: ['copy', 'reverse', 'sort'], default: 'copy', doc: 'what the model must learn to output' },
      { name: 'length', type: 'int', default: 16, min: 2, max: 4096, doc: 'sequence length' },
      { name: 'vocab', type: 'int', default: 10, min: 2, max: 100_000, doc: 'number of distinct tokens' },
      seed,
    ],
    example: (o) => ({ dims: [Sym.of(o.length as number)], isInt: true }),
    classes: (o) => o.vocab as number,
    perPosition: true,
    length: 'length',
    pairs: true,
  },
  {
    name: 'waves',
    doc: 'Noisy sums of sine waves; the target is the next value at each step (regression).',
    path: false,
    options: [samples, { name: 'length', type: 'int', default: 128, min: 4, max: 100_000, doc: 'time steps per example' }, seed],
    example: (o) => ({ dims: [Sym.of(o.length as number), Sym.of(1)] }),
    perPosition: true,
    length: 'length',
    next: 'the next value',
  },
  {
    name: 'images',
    doc: 'Your images: a folder with one sub-folder of PNG/JPEG files per class.',
    path: true,
    options: [
      { name: 'size', type: 'ints', default: [28, 28], min: 1, max: 4096, doc: 'resize every image to [height, width]' },
      { name: 'grayscale', type: 'bool', default: false, doc: 'one channel instead of three' },
    ],
    example: (o) => {
      const s = o.size as number[];
      return { dims: [Sym.of(s[0]), Sym.of(s[1] ?? s[0]), Sym.of(o.grayscale ? 1 : 3)] };
    },
  },
  {
    name: 'csv',
    doc: 'Your table: a CSV file with a header row; one column is the label, the others numeric features.',
    path: true,
    options: [{ name: 'label', type: 'string', default: 'label', doc: 'name of the label column' }],
  },
  {
    name: 'text',
    doc: 'Your text, for next-token prediction: windows of `context` tokens, each predicting the token after every position.',
    path: true,
    options: [
      { name: 'tokenizer', type: ['char', 'word', 'bpe'], default: 'char', doc: 'how text becomes tokens' },
      { name: 'context', type: 'int', default: 64, min: 2, max: 8192, doc: 'tokens per training window' },
      { name: 'vocab', type: 'int', min: 2, max: 100_000, doc: 'vocabulary size for bpe (merges learned from the text)' },
    ],
    example: (o) => ({ dims: [Sym.of(o.context as number)], isInt: true }),
    perPosition: true,
    length: 'context',
    next: 'the next token',
  },
];

export const LOSSES = ['crossentropy', 'binary_crossentropy', 'mse', 'mae', 'denoise', 'adversarial'] as const;

/**
 * The generative objectives, written as calls (`loss: denoise(steps = 1000)`,
 * `loss: adversarial(Discriminator)`): their options, read into
 * `TrainConfig.denoise` / `TrainConfig.adversarial`. How each fits its model
 * is checked in trainDenoise.ts and trainAdversarial.ts.
 */
export const GENERATIVE_LOSSES: Record<'denoise' | 'adversarial', OptSpec[]> = {
  denoise: [
    { name: 'steps', type: 'int', default: 1000, min: 2, max: 100000, doc: 'noising steps T (DDPM: 1000)' },
    { name: 'schedule', type: ['linear', 'cosine'], default: 'linear', doc: "how the noise grows: DDPM's linear βs or the cosine schedule of Nichol & Dhariwal" },
    { name: 'samples', type: 'int', default: 8, min: 0, max: 64, doc: 'images generated after each epoch, for the training view' },
    { name: 'sample_steps', type: 'int', default: 50, min: 1, max: 100000, doc: 'denoising steps of the sampler that makes them (at most steps)' },
  ],
  adversarial: [
    { name: 'discriminator', type: 'string', doc: 'the model of this file that tells real examples from generated ones' },
    { name: 'samples', type: 'int', default: 16, min: 0, max: 64, doc: 'images generated after each epoch, for the training view' },
  ],
};
export const OPTIMIZERS: Record<string, OptSpec[]> = {
  adam: [
    { name: 'lr', type: 'number', default: 1e-3, min: 0, above: true, max: 10, doc: 'learning rate' },
    { name: 'beta1', type: 'number', default: 0.9, min: 0, max: 0.999, doc: "decay of the gradient's running mean (β1; DCGAN: 0.5)" },
  ],
  sgd: [
    { name: 'lr', type: 'number', default: 1e-2, min: 0, above: true, max: 10, doc: 'learning rate' },
    { name: 'momentum', type: 'number', default: 0, min: 0, max: 1, doc: 'momentum' },
  ],
  rmsprop: [{ name: 'lr', type: 'number', default: 1e-3, min: 0, above: true, max: 10, doc: 'learning rate' }],
};
export const METRICS = ['accuracy', 'mae'] as const;

export const TRAIN_KEYS: Record<string, string> = {
  data: 'where examples come from: a built-in set (digits, shapes, sequences, waves) or your files (images, csv, text)',
  loss: 'crossentropy, binary_crossentropy, mse or mae; denoise(...) for a diffusion model, adversarial(Discriminator) for a GAN',
  optimizer: 'adam(lr = 1e-3, beta1 = 0.9), sgd(lr, momentum) or rmsprop(lr)',
  epochs: 'passes over the training data',
  batch: 'examples per step',
  validation: 'fraction of the data held out to validate after each epoch',
  metrics: 'extra figures to report, e.g. [accuracy]',
  mixup: 'mixup α: each training batch is mixed with a shuffle of itself, inputs and labels, by λ ~ Beta(α, α), e.g. 0.2; off when absent',
  mask: "masked language modelling on text (BERT): the share of each window's tokens chosen to predict, e.g. 0.15; of them 80 % become [MASK], 10 % a random token, 10 % stay; off when absent",
};

/** The largest `mixup: α`: above it Beta(α, α) is all but λ = 0.5, every pair an even blend. */
export const MIXUP_MAX = 10;

const DEFAULTS: TrainConfig = {
  loss: 'crossentropy',
  optimizer: { kind: 'adam', lr: 1e-3 },
  epochs: 5,
  batch: 32,
  validation: 0.1,
  metrics: [],
};

/**
 * What one train section gave, kept per syntax tree while an editor session
 * reuses the tree (its text is then unchanged, its ranges moved in place):
 * the settings and their problems depend only on the tree, the fit checks
 * also on the model's analysis, which is the same object while it is reused.
 */
interface TrainMemo {
  info: TrainInfo;
  configDiagnostics: Diagnostic[];
  /** The first other model of the file when the settings were read (their fixes may name it): other items can change while this one is reused. */
  firstOther?: string;
  model?: ModelInfo;
  /** The second model the fit was checked against (a GAN's discriminator). */
  other?: ModelInfo;
  fitDiagnostics?: Diagnostic[];
  /** `info` with the data's image size taken from `sizedFor` (withModelSize), or `info` itself. */
  sized?: TrainInfo;
  sizedFor?: ModelInfo;
}

const trainMemos = new WeakMap<TrainDecl, TrainMemo>();

/**
 * The train sections of `file` and their problems. `keep`: the trees may be
 * analysed again (an editor session), so what each section gave is kept for
 * the next call; a one-off analysis keeps nothing.
 */
export function analyzeTrain(file: SourceFile, models: ModelInfo[], keep = false): { trains: TrainInfo[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const trains: TrainInfo[] = [];
  // Each kept result has its own list of problems; these are copied into the file's list at every call.
  const errorsInto =
    (list: Diagnostic[]): Err =>
    (code, message, range, fixes, more) =>
      list.push({ code, severity: 'error', message, range, fixes, ...more });
  const replace = (range: Range, options: string[]): Fix[] =>
    options.map((o, i) => ({ title: `Change to '${o}'`, edits: [{ range, newText: o }], preferred: i === 0 }));

  // By name, the first of a duplicated name winning (as a search in file
  // order would): one lookup per train section, not a scan of every model.
  const byName = new Map<string, ModelInfo>();
  // Indexed loops: this runs once per analysis, mostly unoptimised, where `for...of` allocates per step.
  for (let i = 0; i < models.length; i++) if (!byName.has(models[i].name)) byName.set(models[i].name, models[i]);
  const items = file.items;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item.kind !== 'train') continue;
    const model = byName.get(item.name.name);
    if (!model) {
      const options = suggest(item.name.name, models.map((m) => m.name));
      errorsInto(diagnostics)('train.unknown_model', `there is no model '${item.name.name}' in this file.${didYouMean(options)}`, item.name.range, replace(item.name.range, options));
    }
    const firstOther = firstOtherModel(file, item.name.name);
    let memo = keep ? trainMemos.get(item) : undefined;
    if (!memo || memo.firstOther !== firstOther) {
      const configDiagnostics: Diagnostic[] = [];
      const config = readConfig(item, errorsInto(configDiagnostics), replace, firstOther);
      memo = { info: { model: item.name.name, range: item.range, config }, configDiagnostics, firstOther };
      if (keep) trainMemos.set(item, memo);
    }
    for (const d of memo.configDiagnostics) diagnostics.push(d);
    if (model && memo.sizedFor !== model) {
      memo.sized = withModelSize(item, memo.info, model);
      memo.sizedFor = model;
    }
    const info = model ? memo.sized! : memo.info;
    trains.push(info);
    if (model && !model.hasErrors) {
      const adversarial = memo.info.config.adversarial;
      const other = adversarial ? byName.get(adversarial.discriminator) : undefined;
      if (memo.model !== model || memo.other !== other || !memo.fitDiagnostics) {
        const fitDiagnostics: Diagnostic[] = [];
        checkFit(item, info.config, model, errorsInto(fitDiagnostics), byName, file);
        checkBatchnormBatch(item, info.config, model, other, errorsInto(fitDiagnostics));
        memo.model = model;
        memo.other = other;
        memo.fitDiagnostics = fitDiagnostics;
      }
      for (const d of memo.fitDiagnostics) diagnostics.push(d);
    }
  }
  return { trains, diagnostics };
}

/** Reports a problem: an error unless `more` says otherwise (`severity`, `related`). */
export type Err = (code: string, message: string, range: Range, fixes?: Fix[], more?: Partial<Pick<Diagnostic, 'severity' | 'related'>>) => void;

/** The first model declared in `file` other than `name`: the discriminator a fix to `loss: adversarial(...)` proposes. */
function firstOtherModel(file: SourceFile, name: string): string | undefined {
  for (const item of file.items) if (item.kind === 'model' && item.name.name !== name) return item.name.name;
  return undefined;
}

/** `firstOther`: the model a fix to `adversarial(...)` names (see firstOtherModel). */
function readConfig(item: TrainDecl, err: Err, replace: (r: Range, o: string[]) => Fix[], firstOther?: string): TrainConfig {
  // Written out rather than spread from DEFAULTS (same keys, same order): a literal has one fixed shape, which later stores keep fast.
  const config: TrainConfig = {
    loss: DEFAULTS.loss,
    optimizer: { kind: DEFAULTS.optimizer.kind, lr: DEFAULTS.optimizer.lr },
    epochs: DEFAULTS.epochs,
    batch: DEFAULTS.batch,
    validation: DEFAULTS.validation,
    metrics: [],
  };
  const seen = new Set<string>();
  for (let i = 0; i < item.entries.length; i++) {
    const entry = item.entries[i];
    const key = entry.key.name;
    if (!(key in TRAIN_KEYS)) {
      if (isLearningRateKey(key)) {
        const fix = learningRateFix(item, i);
        const v = entry.value;
        const rate = v.kind === 'number' ? v.text : '0.001';
        const o = item.entries.find((e) => e.key.name === 'optimizer')?.value;
        const name = o && (o.kind === 'call' ? o.callee.name : wordOf(o));
        const example = `optimizer: ${name && OPTIMIZERS[name] ? name : 'adam'}(lr = ${rate})`;
        err('train.unknown_key', `unknown train setting '${key}': the learning rate is an option of the optimizer here: ${example}.`, entry.key.range, fix && [fix]);
        continue;
      }
      const alias = keyAlias(key);
      const options = alias ? [alias] : suggest(key, Object.keys(TRAIN_KEYS));
      err('train.unknown_key', `unknown train setting '${key}'.${didYouMean(options)} Settings: ${Object.keys(TRAIN_KEYS).join(', ')}.`, entry.key.range, replace(entry.key.range, options));
      continue;
    }
    if (seen.has(key)) {
      err('train.duplicate_key', `'${key}' is set twice.`, entry.key.range);
      continue;
    }
    seen.add(key);
    const v = entry.value;
    switch (key) {
      case 'data': {
        const ds = readDataSource(v, err, replace);
        if (ds) config.data = ds;
        break;
      }
      case 'loss': {
        const generative = v.kind === 'call' ? v.callee.name : wordOf(v);
        if (generative === 'denoise' || generative === 'adversarial') {
          readGenerativeLoss(generative, v, config, err, replace);
          break;
        }
        // `crossentropy()`, a loss written as a call without options (as PyTorch's `nn.CrossEntropyLoss()`), is the loss.
        const word = wordOf(v) ?? (v.kind === 'call' && v.args.length === 0 && (LOSSES as readonly string[]).includes(v.callee.name) ? v.callee.name : undefined);
        if (!word || !(LOSSES as readonly string[]).includes(word)) {
          // `CrossEntropyLoss()`, as PyTorch writes it: named by its callee, replaced whole.
          const written = word ?? (v.kind === 'call' ? v.callee.name : undefined);
          const alias = written ? lossAlias(written) : undefined;
          // Bare `adversarial` is an error of its own (it needs its discriminator): the fix writes the call,
          // naming the file's first other model, or is not offered when there is none.
          const options = (alias ? [alias] : word ? suggest(word, LOSSES) : []).flatMap((o) =>
            o !== 'adversarial' ? [o] : firstOther !== undefined ? [`adversarial(${firstOther})`] : [],
          );
          err('train.bad_loss', `loss is one of ${LOSSES.join(', ')}.${didYouMean(options)}`, v.range, replace(v.range, options));
        } else config.loss = word as TrainConfig['loss'];
        break;
      }
      case 'optimizer': {
        const name = v.kind === 'call' ? v.callee.name : wordOf(v);
        const spec = name ? OPTIMIZERS[name] : undefined;
        if (!name || !spec) {
          const options = name ? suggest(name, Object.keys(OPTIMIZERS)) : [];
          const at = v.kind === 'call' ? v.callee.range : v.range;
          err('train.bad_optimizer', `optimizer is one of adam(lr, beta1), sgd(lr, momentum), rmsprop(lr).${didYouMean(options)}`, at, replace(at, options));
          break;
        }
        const opts = v.kind === 'call' ? readOptions(v, spec, false, `optimizer ${name}`, err, replace) : fill(spec, {});
        if (opts) {
          config.optimizer = { kind: name as TrainConfig['optimizer']['kind'], lr: opts.lr as number, momentum: opts.momentum as number | undefined };
          if (typeof opts.beta1 === 'number') config.optimizer.beta1 = opts.beta1;
        }
        break;
      }
      case 'epochs':
      case 'batch': {
        const max = key === 'epochs' ? 10_000 : 65_536;
        if (v.kind !== 'number' || !Number.isInteger(v.value) || v.value < 1 || v.value > max) {
          err('train.bad_value', `${key} is a whole number from 1 to ${max}.`, v.range);
        } else if (key === 'epochs') config.epochs = v.value;
        else config.batch = v.value;
        break;
      }
      case 'validation':
        if (v.kind !== 'number' || v.value < 0 || v.value >= 1) err('train.bad_value', 'validation is a fraction from 0 up to (not including) 1, e.g. 0.1.', v.range);
        else config.validation = v.value;
        break;
      case 'mixup': {
        const alpha = literalNumber(v);
        if (alpha === undefined || !(alpha > 0) || alpha > MIXUP_MAX) {
          err(
            'train.bad_value',
            `mixup is α of Beta(α, α), from which each batch draws its mixing weight λ: a number above 0 and at most ${MIXUP_MAX}${alpha !== undefined ? `, not ${alpha}` : ''} (Zhang et al. use 0.1–0.4 on ImageNet, 1 on CIFAR-10), e.g. mixup: 0.2. Remove the line for no mixup.`,
            v.range,
          );
        } else config.mixup = alpha;
        break;
      }
      case 'mask': {
        const rate = literalNumber(v);
        if (rate === undefined || !(rate > 0) || rate > MASK_MAX) err('train.bad_value', maskValueMessage(rate), v.range);
        else config.mask = rate;
        break;
      }
      case 'metrics': {
        const items = v.kind === 'list' ? v.items : [v];
        for (const it of items) {
          const w = wordOf(it);
          if (!w || !(METRICS as readonly string[]).includes(w)) {
            const alias = w ? metricAlias(w) : undefined;
            const options = alias ? [alias] : w ? suggest(w, METRICS) : [];
            err('train.bad_metric', `metrics are ${METRICS.join(', ')}.${didYouMean(options)}`, it.range, replace(it.range, options));
          } else config.metrics.push(w);
        }
        break;
      }
    }
  }
  checkMixup(item, config, err);
  checkMaskSettings(item, config, err);
  if (!seen.has('data')) err('train.no_data', `train section for '${item.name.name}' needs \`data:\`, e.g. \`data: digits(samples = 6000)\`.`, item.name.range);
  return config;
}

/**
 * `mixup` where it cannot work: an error on its value, the data or the loss
 * as related location (the runtime would refuse it: runtime/train.ts
 * `mixBatch`). Token ids (text, sequences) have no weighted sum; the
 * generative objectives have no labels to mix and loops of their own.
 */
function checkMixup(item: TrainDecl, config: TrainConfig, err: Err): void {
  if (config.mixup === undefined) return;
  const at = item.entries.find((e) => e.key.name === 'mixup')!.value.range;
  const related = (key: string, message: string) => {
    const range = item.entries.find((e) => e.key.name === key)?.value.range;
    return range ? { related: [{ message, range }] } : undefined;
  };
  if (config.loss === 'denoise' || config.loss === 'adversarial') {
    const why =
      config.loss === 'denoise'
        ? 'a diffusion model has none: it learns the noise added to each image, which a blend of two images and their noises does not teach'
        : "a GAN has none: its discriminator learns real against generated, and a blend of two real images is neither what the generator must make nor a fake";
    err('train.mixup', `mixup mixes two examples and their labels, but loss: ${config.loss} trains without labels; ${why}. Remove mixup.`, at, undefined, related('loss', `loss: ${config.loss} is here`));
    return;
  }
  const data = config.data;
  const spec = data && DATA_SOURCES.find((d) => d.name === data.kind);
  if (data && spec?.example?.(data.options).isInt) {
    err(
      'train.mixup',
      `mixup takes weighted sums of inputs, but ${data.kind} gives token ids: 0.7 × token 12 + 0.3 × token 40 is no token, and an embedding looks up whole ids only. Mixup is for numeric inputs (images, tables, signals); remove it here.`,
      at,
      undefined,
      related('data', `${data.kind} gives token ids`),
    );
  }
}

/**
 * The fix of a learning rate written as a setting of its own (entry `at`
 * of `item`, `lr: 0.01`): the rate moved into the optimizer, the setting
 * removed. Without an optimizer, it becomes `optimizer: adam(lr = 0.01)`; a
 * bare `optimizer: sgd` becomes `sgd(lr = 0.01)`; a call whose options are
 * all named, and none is `lr`, gets `lr = 0.01` first. Otherwise (a rate
 * there already, values by position, a rate that is no number) none.
 */
function learningRateFix(item: TrainDecl, at: number): Fix | undefined {
  const entry = item.entries[at];
  const v = entry.value;
  const rate = v.kind === 'number' ? v.text : v.kind === 'unary' && v.operand.kind === 'number' ? `-${v.operand.text}` : undefined;
  if (rate === undefined || item.entries.some((e, j) => j !== at && isLearningRateKey(e.key.name))) return undefined;
  const optimizer = item.entries.find((e) => e.key.name === 'optimizer');
  const title = 'Move the learning rate into the optimizer';
  if (!optimizer) return { title, edits: [{ range: entry.range, newText: `optimizer: adam(lr = ${rate})` }], preferred: true };
  // The setting's line goes: from the end of the entry before it (or, for the first, to the start of the next).
  const before = item.entries[at - 1];
  const after = item.entries[at + 1];
  const remove = { range: before ? { start: before.range.end, end: entry.range.end } : after ? { start: entry.range.start, end: after.range.start } : entry.range, newText: '' };
  const o = optimizer.value;
  if (o.kind === 'name' || (o.kind === 'call' && !o.argsRange)) {
    const name = o.kind === 'name' ? o.name : o.callee.name;
    if (!OPTIMIZERS[name]) return undefined;
    return { title, edits: [{ range: o.range, newText: `${name}(lr = ${rate})` }, remove], preferred: true };
  }
  if (o.kind !== 'call' || !OPTIMIZERS[o.callee.name] || !o.argsRange || o.args.some((a) => !a.name || a.name.name === 'lr')) return undefined;
  // Before the first option, or in place of `()`: positions of the tree, which an editor session moves (a position
  // made here, one past the `(`, would stay where it was when lines above change).
  if (o.args.length === 0) return { title, edits: [{ range: o.argsRange, newText: `(lr = ${rate})` }, remove], preferred: true };
  const first = o.args[0].range.start;
  return { title, edits: [{ range: { start: first, end: first }, newText: `lr = ${rate}, ` }, remove], preferred: true };
}

/**
 * `loss: denoise(...)` or `loss: adversarial(...)` (a bare `denoise` takes
 * every default): sets `config.loss` and its settings when they are valid.
 */
function readGenerativeLoss(name: 'denoise' | 'adversarial', v: Expr, config: TrainConfig, err: Err, replace: (r: Range, o: string[]) => Fix[]): void {
  // The objective is known even when an option is wrong: the fit is then checked as this objective's
  // (a denoiser's inputs), or not at all (a GAN without its discriminator), never as a classifier's.
  config.loss = name;
  const specs = GENERATIVE_LOSSES[name];
  const opts = v.kind === 'call' ? readOptions(v, specs, false, `loss ${name}`, err, replace) : fill(specs, {});
  if (!opts) return;
  if (name === 'denoise') {
    const steps = opts.steps as number;
    const sampleSteps = opts.sample_steps as number;
    if (sampleSteps > steps) {
      const at = v.kind === 'call' ? (v.args.find((a) => a.name?.name === 'sample_steps')?.value.range ?? v.range) : v.range;
      err('train.bad_option', `loss denoise's 'sample_steps' (${sampleSteps}) cannot exceed its 'steps' (${steps}): the sampler walks a subset of the noising steps.`, at);
      return;
    }
    config.loss = 'denoise';
    config.denoise = { steps, schedule: opts.schedule as 'linear' | 'cosine', samples: opts.samples as number, sampleSteps };
    return;
  }
  if (typeof opts.discriminator !== 'string') {
    err('train.bad_option', 'loss adversarial needs the model that judges the generated examples: adversarial(Discriminator), a model of this file.', v.range);
    return;
  }
  config.loss = 'adversarial';
  config.adversarial = { discriminator: opts.discriminator, samples: opts.samples as number };
}

function wordOf(e: Expr): string | undefined {
  if (e.kind === 'name') return e.name;
  if (e.kind === 'string') return e.value;
  if (e.kind === 'call' && !e.argsRange) return e.callee.name;
  return undefined;
}

/**
 * The path a `data:` value reads (`csv("data/fruit.csv")`, `images("photos")`,
 * `text("tiny.txt", ...)`): the first argument of a source that takes a path,
 * when it is positional and a string, as training reads it. Undefined for a
 * built-in set and for a path missing or not a string (`train.bad_data`).
 */
export function dataPathOf(v: Expr): StringLit | undefined {
  if (v.kind !== 'call' || !DATA_SOURCES.find((d) => d.name === v.callee.name)?.path) return undefined;
  const first = v.args[0];
  return first && !first.name && first.value.kind === 'string' ? first.value : undefined;
}

function readDataSource(v: Expr, err: Err, replace: (r: Range, o: string[]) => Fix[]): DataSource | undefined {
  const name = v.kind === 'call' ? v.callee.name : wordOf(v);
  const spec = DATA_SOURCES.find((d) => d.name === name);
  const at = v.kind === 'call' ? v.callee.range : v.range;
  if (!name || !spec) {
    const alias = name ? dataAlias(name) : undefined;
    const options = alias ? (alias.to ? [alias.to] : []) : name ? suggest(name, DATA_SOURCES.map((d) => d.name)) : [];
    err(
      'train.bad_data',
      `unknown data source${name ? ` '${name}'` : ''}.${didYouMean(options)}${alias ? ` ${alias.note}` : ''} Sources: ${DATA_SOURCES.map((d) => d.name).join(', ')}.`,
      at,
      replace(at, options),
    );
    return undefined;
  }
  let path: string | undefined;
  let call: CallExpr | undefined = v.kind === 'call' ? v : undefined;
  if (spec.path) {
    const literal = dataPathOf(v);
    if (!literal) {
      err('train.bad_data', `${name} needs a path first, relative to this file: \`${name}("data/...")\`.`, call?.argsRange ?? at);
      return undefined;
    }
    path = literal.value;
    if (/^[a-z]+:\/\//i.test(path)) {
      err('train.bad_data', 'data is read from files beside the model, not from the network.', literal.range);
      return undefined;
    }
    call = { ...call!, args: call!.args.slice(1) };
  }
  const options = call ? readOptions(call, spec.options, false, name, err, replace) : fill(spec.options, {});
  if (!options) return undefined;
  if (name === 'text' && options.tokenizer === 'bpe' && options.vocab == null) {
    err('train.bad_data', 'text(..., tokenizer = bpe) needs `vocab`, the number of tokens to learn, e.g. vocab = 512.', at);
    return undefined;
  }
  return path !== undefined
    ? ({ kind: spec.name, path, options } as DataSource)
    : ({ kind: spec.name, options } as DataSource);
}

function fill(specs: readonly OptSpec[], given: Record<string, ArgValue>): Record<string, ArgValue> {
  const out: Record<string, ArgValue> = {};
  for (const s of specs) out[s.name] = s.name in given ? given[s.name] : (s.default ?? null);
  return out;
}

/**
 * The options of a data source, optimizer or generative loss: by name, or
 * by position in the order of `specs` (as a layer's arguments: a value
 * without a name fills the next option whatever was named before it). An
 * option given twice (twice by name, or by name and then by position) is an
 * error, never a silent overwrite; so is `lr = 0,001`, a decimal comma that
 * reads as two values (decimalComma). Undefined when any option is wrong.
 */
function readOptions(
  call: CallExpr,
  specs: readonly OptSpec[],
  _allowExtra: boolean,
  what: string,
  err: Err,
  replace: (r: Range, o: string[]) => Fix[],
): Record<string, ArgValue> | undefined {
  const given: Record<string, ArgValue> = {};
  // Every option written, with a valid value or not: a second one is a duplicate either way.
  const written = new Set<string>();
  // The option each argument was read as, for the decimal-comma check.
  const specOf: (OptSpec | undefined)[] = [];
  const problems: { arg: number; message: string; range: Range; fixes?: Fix[] }[] = [];
  let pos = 0;
  for (let i = 0; i < call.args.length; i++) {
    const a = call.args[i];
    const spec = a.name ? specs.find((s) => s.name === a.name!.name) : specs[pos++];
    specOf.push(spec);
    if (!spec) {
      if (a.name) {
        const alias = optionAlias(a.name.name, specs.map((s) => s.name));
        const options = alias ? [alias] : suggest(a.name.name, specs.map((s) => s.name));
        problems.push({ arg: i, message: `${what} has no option '${a.name.name}'.${didYouMean(options)} Options: ${specs.map((s) => s.name).join(', ')}.`, range: a.name.range, fixes: replace(a.name.range, options) });
      } else problems.push({ arg: i, message: `${what} takes at most ${specs.length} positional options.`, range: a.range });
      continue;
    }
    if (written.has(spec.name)) {
      // `adam(lr = 0.001, 0.9)`: a value by position fills the options in their order, whatever was named before it.
      const byPosition = !a.name && call.args.some((b) => b.name?.name === spec.name);
      problems.push({
        arg: i,
        message: byPosition
          ? `${what}'s '${spec.name}' is given twice: by name, and by this value's position (values without a name fill the options in order: ${specs.map((s) => s.name).join(', ')}). Put the values without a name first, or name this one.`
          : `${what}'s '${spec.name}' is given twice; keep one.`,
        range: a.range,
      });
      continue;
    }
    written.add(spec.name);
    const v = optValue(a.value, spec);
    if (typeof v === 'string' && v.startsWith('\u0000')) problems.push({ arg: i, message: `${what}'s '${spec.name}' ${v.slice(1)}`, range: a.value.range });
    else given[spec.name] = v;
  }
  // A decimal comma: one error for the two values it made, in place of theirs. `commas` is keyed by the second value.
  const commas = new Map<number, NonNullable<ReturnType<typeof decimalComma>>>();
  for (const p of problems) {
    for (const j of [p.arg, p.arg + 1]) {
      if (commas.has(j) || commas.has(j - 1) || commas.has(j + 1)) continue;
      const c = decimalComma(call, j, specOf);
      if (c) commas.set(j, c);
    }
  }
  const inPair = (arg: number) => commas.has(arg) || commas.has(arg + 1);
  const reported = problems.filter((p) => !inPair(p.arg));
  for (const [arg, c] of commas) {
    reported.push({
      arg,
      message: `${what}'s '${c.spec.name}' is written ${c.written}, which reads as two values, ${c.written.replace(',', ' and ')}: a comma separates options. A decimal number is written with a point: ${c.number}.`,
      range: c.range,
      fixes: [{ title: `Change to '${c.number}'`, edits: [{ range: c.range, newText: c.number }], preferred: true }],
    });
  }
  reported.sort((x, y) => x.range.start.offset - y.range.start.offset);
  for (const p of reported) err('train.bad_option', p.message, p.range, p.fixes);
  return reported.length === 0 ? fill(specs, given) : undefined;
}

/**
 * `lr = 0,001` (a decimal comma, as many locales write 0.001): two values,
 * 0 and 001, of which the second fills another option or one given already.
 * Argument `i` is such a second value when it has no name, directly follows
 * the comma after a whole number (no space between), is itself a run of
 * digits, and the number they make together is a valid value of the option
 * the first was read as. Only consulted for arguments with a problem, so
 * `digits(1000,28)` (two valid options) stays two options.
 */
function decimalComma(
  call: CallExpr,
  i: number,
  specOf: readonly (OptSpec | undefined)[],
): { arg: number; spec: OptSpec; written: string; number: string; range: Range } | undefined {
  const a = call.args[i];
  const before = call.args[i - 1];
  const spec = specOf[i - 1];
  if (!a || !before || a.name || !spec) return undefined;
  const digits = (e: Expr): string | undefined =>
    e.kind === 'number' && /^[0-9]+$/.test(e.text) ? e.text : e.kind === 'unary' && e.operand.kind === 'number' && /^[0-9]+$/.test(e.operand.text) ? `-${e.operand.text}` : undefined;
  const whole = digits(before.value);
  const fraction = a.value.kind === 'number' && /^[0-9]+$/.test(a.value.text) ? a.value.text : undefined;
  // Exactly one character, the comma, between the two.
  if (whole === undefined || fraction === undefined || a.range.start.offset !== before.value.range.end.offset + 1) return undefined;
  const number = `${whole}.${fraction}`;
  const range = { start: before.value.range.start, end: a.range.end };
  const merged = optValue({ kind: 'number', value: Number(number), text: number, isInt: false, range }, spec);
  if (typeof merged === 'string' && merged.startsWith('\u0000')) return undefined;
  return { arg: i, spec, written: `${whole},${fraction}`, number, range };
}

/** The option's value, or a '\0'-prefixed message saying what it should be. */
function optValue(e: Expr, s: OptSpec): ArgValue {
  const bounds = s.above
    ? ` above ${s.min}${s.max !== undefined ? ` and at most ${s.max}` : ''}${typeof s.default === 'number' ? `, e.g. ${s.default}` : ''}`
    : `${s.min !== undefined ? ` from ${s.min}` : ''}${s.max !== undefined ? ` to ${s.max}` : ''}`;
  if (Array.isArray(s.type)) {
    const w = wordOf(e);
    return w && s.type.includes(w) ? w : `\u0000is one of ${s.type.join(', ')}.`;
  }
  switch (s.type) {
    case 'int': {
      const n = literalNumber(e);
      return n !== undefined && Number.isInteger(n) && inRange(s, n) ? n : `\u0000is a whole number${bounds}.`;
    }
    case 'number': {
      const n = literalNumber(e);
      return n !== undefined && inRange(s, n) ? n : `\u0000is a number${bounds}.`;
    }
    case 'bool':
      return e.kind === 'bool' ? e.value : '\u0000is true or false.';
    case 'string':
      return e.kind === 'string' ? e.value : e.kind === 'name' ? e.name : '\u0000is a string.';
    case 'ints': {
      const items = e.kind === 'list' ? e.items : [e];
      const out = items.map(literalNumber);
      return out.every((n) => n !== undefined && Number.isInteger(n) && inRange(s, n)) ? (out as number[]) : `\u0000is a whole number or a list of them${bounds}.`;
    }
  }
  return '\u0000has an unexpected type.';
}

// Module functions rather than closures made on every call (each closure costs
// an allocation, and in the bundle a name).

/** A number written as a literal, possibly negated. */
function literalNumber(x: Expr): number | undefined {
  return x.kind === 'number' ? x.value : x.kind === 'unary' && x.operand.kind === 'number' ? -x.operand.value : undefined;
}

function inRange(s: OptSpec, n: number): boolean {
  return (s.min === undefined || (s.above ? n > s.min : n >= s.min)) && (s.max === undefined || n <= s.max);
}

/** Data and loss against the model's input and output. */
function checkFit(item: TrainDecl, config: TrainConfig, model: ModelInfo, err: Err, models: ReadonlyMap<string, ModelInfo>, file: SourceFile): void {
  if (config.loss === 'denoise') return checkDenoise(item, config, model, err, file);
  if (config.loss === 'adversarial') return checkAdversarial(item, config, model, models, err);
  const entry = (k: string) => item.entries.find((e) => e.key.name === k);
  const dataAt = entry('data')?.value.range ?? item.name.range;
  const out = model.outputs[0]?.shape;
  const spec = config.data ? DATA_SOURCES.find((d) => d.name === config.data!.kind) : undefined;
  if (model.inputs.length !== 1 && config.data) {
    if (!checkTwoInputs(item, config, model, spec, dataAt, err, file)) return;
  }
  const input = model.inputs[0]?.shape;
  if (spec?.example && input && config.data && model.inputs.length === 1) {
    const ex = spec.example(config.data.options);
    const fits =
      ex.dims.length === input.dims.length && !!ex.isInt === !!input.isInt && ex.dims.every((d, i) => !input.dims[i].isConst() || input.dims[i].equals(d));
    if (!fits) {
      const length = lengthHint(config.data.kind, input, entry('data')?.value);
      err(
        'train.data_shape',
        `${config.data.kind} gives examples of ${shapeToString(ex)}, but '${model.name}' takes ${shapeToString(input)}.${length?.hint ?? dataHint(config.data.kind, input)}`,
        dataAt,
        length?.fix && [length.fix],
      );
      return;
    }
  }
  // The layer rules again at the size the data fixes (`int[seq]` trained at context = 32): trainLength.ts.
  if (spec?.example && config.data && model.inputs.length > 0) {
    const ex = spec.example(config.data.options);
    if (checkLayersAtDataSize(item, spec, config.data.options, model, model.inputs.map(() => ex), dataAt, err, file)) return;
  }
  if (!out) return;
  // One label per example (not per position): an output that keeps positions cannot train, whatever its last size.
  if (spec && !spec.perPosition && config.data && model.inputs.length === 1 && checkOnePerExample(file, spec, config, model, out, dataAt, err)) return;
  const last = out.dims[out.dims.length - 1]?.value;
  const lossAt = entry('loss')?.value.range ?? item.name.range;
  const classes = spec?.classes && config.data ? spec.classes(config.data.options) : undefined;
  const kind = config.data?.kind;
  if (kind === 'waves' && config.loss !== 'mse' && config.loss !== 'mae') {
    err('train.loss_output', 'waves is a regression task: use loss: mse or mae.', lossAt);
    return;
  }
  if (config.loss === 'crossentropy' && last !== undefined && last < 2) {
    err('train.loss_output', `crossentropy compares a probability per class, but '${model.name}' gives ${shapeToString(out)}; ${oneOutputAdvice(kind, classes)}`, lossAt);
    return;
  }
  // (Masked language modelling says its own word on the loss: trainMask.ts.)
  if (kind && !item.entries.some((e) => e.key.name === 'mask') && checkClassLoss(file, config, model, kind, classes, last, entry('loss')?.value.range, lossAt, dataAt, err)) return;
  if (config.loss === 'crossentropy' && last !== undefined && last >= 2) checkSigmoidOutput(file, model, last, lossAt, err);
  // Token ids beyond the embedding first: its fix (a smaller vocab) also mends the classes.
  if (kind === 'sequences' && checkVocab(item, config.data!, model, dataAt, err)) return;
  if (config.loss === 'crossentropy' && classes !== undefined && last !== undefined && last !== classes) {
    err('train.classes', `${kind} has ${classes} classes, but '${model.name}' outputs ${last} values per prediction; end with dense(${classes}).`, dataAt);
  }
  // One prediction per input position for data labelled per position (masked language modelling checks its own output).
  if (spec?.perPosition && spec.example && config.data && model.inputs.length === 1 && !item.entries.some((e) => e.key.name === 'mask')) {
    if (checkPerPositionOutput(spec, config.data.options, model, spec.example(config.data.options), dataAt, err, file)) return;
  }
  // Masked language modelling labels each position with its own token, not the next: checked as such.
  if (config.mask !== undefined) return checkMaskFit(item, config, model, err, file);
  // An invalid `mask:` (its error said) still says the objective is not next-token prediction.
  if (item.entries.some((e) => e.key.name === 'mask')) return;
  if (spec?.next && model.inputs.length === 1) checkLookAhead(spec.next, config.data!.kind, model, dataAt, err, file, spec.example?.(config.data!.options).dims[0]);
  checkSequencesReach(config, model, dataAt, err, file);
}

/**
 * crossentropy on an output that ends with sigmoid: training takes it as
 * probabilities (runtime/train.ts `endsInProbabilities`) but they do not sum
 * to 1, so the loss only raises the right class's and nothing lowers the
 * others. A warning on the loss, the sigmoid as related location. The
 * output is followed in the analysed graph (as training does), into the
 * blocks it ends with (`output x -> head(10)`, `head` ending `-> sigmoid`).
 * The fix writes softmax in its place when the sigmoid (`-> sigmoid`, or
 * `activation = sigmoid` of the last layer) is written as such in this file
 * and changes nothing else: in the model's own body, or in a block called
 * once in the file, not repeated (see {@link outputLayer}).
 */
function checkSigmoidOutput(file: SourceFile, model: ModelInfo, last: number, lossAt: Range, err: Err): void {
  const found = outputLayer(model, file);
  if (!found) return;
  const { node, blocks } = found;
  const op = node.op === 'sigmoid' ? true : node.args.activation === 'sigmoid' ? false : undefined;
  if (op === undefined) return;
  let fix: Fix | undefined;
  if (found.editable) {
    const call = callAt(file, node.range.start.offset);
    if (op) {
      if (call?.callee.name === 'sigmoid') fix = { title: "Change to 'softmax'", edits: [{ range: call.callee.range, newText: 'softmax' }], preferred: true };
    } else if (call && writtenWord(call, node.op, 'activation') === 'sigmoid') fix = causalFix(file, node, 'activation', 'softmax', 'Change to activation = softmax');
  }
  const layer = op ? 'sigmoid' : node.label.includes('sigmoid') ? node.label : `${node.label} (activation = sigmoid)`;
  const what = blocks.length ? `${layer} (the last layer of block ${blocks[blocks.length - 1]})` : layer;
  err(
    'train.loss_output',
    `crossentropy takes the ${last} outputs of '${model.name}' as probabilities of one class each, which sum to 1 (softmax), but it ends with ${what}, which squashes each value on its own: the loss then raises the right class's value and nothing lowers the others, which drift towards 1 together. End with softmax (or with no activation: crossentropy then applies softmax itself).`,
    lossAt,
    fix && [fix],
    { severity: 'warning', related: [{ message: `${layer} is here`, range: node.range, uri: node.uri ?? model.uri }] },
  );
}

/**
 * The layer that makes a model's (first) output in the analysed graph,
 * followed as training follows it (runtime/train.ts `endsInProbabilities`):
 * into the last run of a block call or repeat it ends with, down to a layer,
 * and the graph (model or block body) holding it. `blocks`: the blocks
 * passed, outermost first. `editable`: the layer's call is written in this
 * file for this output alone, so an edit to it changes nothing else: in the
 * model's own body, or in blocks of this file each called once in it and
 * not repeated.
 */
function outputLayer(model: ModelInfo, file: SourceFile): { node: LayerNode; graph: Graph; blocks: string[]; editable: boolean } | undefined {
  let graph = model.graph;
  let node = nodeById(graph, model.outputs[0]?.nodeId);
  const blocks: string[] = [];
  let once = true;
  // Bounded: blocks nest no deeper than the analysis expands them.
  for (let depth = 0; node?.kind === 'group' && depth < 64; depth++) {
    const body = node.runs[node.runs.length - 1]?.body;
    if (!body || body.outputs.length !== 1) return undefined;
    if (node.block === undefined || node.repeat !== 1) once = false;
    else blocks.push(node.block);
    graph = body;
    node = nodeById(graph, body.outputs[0]);
  }
  if (node?.kind !== 'layer') return undefined;
  const at = node.range;
  // The item the layer's call is written in: the model, or the innermost block.
  const owner = blocks.length ? blocks[blocks.length - 1] : model.name;
  const written =
    node.uri === undefined &&
    file.items.some((i) => (i.kind === 'model' || i.kind === 'block') && i.name.name === owner && i.range.start.offset <= at.start.offset && at.end.offset <= i.range.end.offset);
  return { node, graph, blocks, editable: once && written && blocks.every((b) => callsOf(file, b) === 1) };
}

/** How many calls of `name` the model and block bodies of `file` write. */
function callsOf(file: SourceFile, name: string): number {
  let n = 0;
  const todo: Expr[] = [];
  for (const item of file.items) {
    if (item.kind !== 'model' && item.kind !== 'block') continue;
    for (const st of item.body) {
      if (st.kind === 'assign') todo.push(st.value);
      else if (st.kind === 'output') todo.push(...st.values);
    }
  }
  while (todo.length) {
    const e = todo.pop()!;
    if (e.kind === 'call' && e.callee.name === name) n++;
    forEachChild(e, (c) => todo.push(c));
  }
  return n;
}

/** The word written for argument `name` of `call` (a layer `op`): `sigmoid` in `dense(10, activation = sigmoid)`; undefined when not written as a word (a block's parameter is a word too: see the caller). */
function writtenWord(call: CallExpr, op: string, name: string): string | undefined {
  const spec = getLayer(op);
  const e = spec && argExprOf(spec, call, name);
  return e?.kind === 'name' ? e.name : e?.kind === 'string' ? e.value : undefined;
}

/** The sources whose labels are class ids whatever the loss (csv reads its label column as values under mse or mae). */
const CLASS_SOURCES: ReadonlySet<string> = new Set(['digits', 'shapes', 'sequences', 'images', 'text']);

/**
 * A loss that cannot take class labels: binary_crossentropy (labels 0 and 1)
 * on more than two classes, mse or mae (values) on class ids. On data with
 * a known number of classes over two (and text, whose vocabulary is never
 * two), or an output of several values per prediction (which only
 * crossentropy compares with one class). When the output already has one
 * value per class, only the loss is to change: `train.loss_output` on it,
 * with the fix `crossentropy`; otherwise `train.classes` on the data (for
 * binary_crossentropy) or `train.loss_output` saying the head too. A
 * folder of images of unknown count on one output may be two classes:
 * binary_crossentropy is left to training, mse or mae is a warning (class
 * ids learnt as numbers on more than two). True when it reported.
 */
function checkClassLoss(
  file: SourceFile,
  config: TrainConfig,
  model: ModelInfo,
  kind: DataSource['kind'],
  classes: number | undefined,
  last: number | undefined,
  lossWritten: Range | undefined,
  lossAt: Range,
  dataAt: Range,
  err: Err,
): boolean {
  const loss = config.loss;
  if (!CLASS_SOURCES.has(kind) || (loss !== 'binary_crossentropy' && loss !== 'mse' && loss !== 'mae')) return false;
  const many = (classes !== undefined && classes > 2) || kind === 'text';
  if (!many && !(classes === undefined && last !== undefined && last >= 2)) {
    if (kind === 'images' && loss !== 'binary_crossentropy' && last === 1) {
      // A folder of images of unknown count on one value: its labels are still class ids, never values.
      err(
        'train.loss_output',
        `loss: ${loss} compares values, but images labels each example with a class id (0, 1, 2, ... for its class folders in alphabetical order), not a value: with more than two folders '${model.name}' learns the ids as numbers, as if class 1 lay between classes 0 and 2. Use loss: crossentropy and end with dense(classes) -> softmax, one output per class folder (for two folders, loss: binary_crossentropy with dense(1) -> sigmoid).`,
        lossAt,
        undefined,
        { severity: 'warning' },
      );
      return true;
    }
    return false;
  }
  // One value per class already: crossentropy takes the output as it is.
  const fits = last !== undefined && last >= 2 && (classes === undefined || last === classes);
  const n = classes ?? (kind === 'text' ? 'vocabulary size' : 'classes');
  const has = classes !== undefined ? `${kind} has ${classes} classes` : kind === 'text' ? 'text has a class per token of its vocabulary' : `${kind} labels with classes`;
  const labels = CLASS_LABELS[kind];
  const fix: Fix[] | undefined = fits && lossWritten ? [{ title: "Change to 'crossentropy'", edits: [{ range: lossWritten, newText: 'crossentropy' }], preferred: true }] : undefined;
  if (loss === 'binary_crossentropy') {
    const why = 'binary_crossentropy takes two: it scores each output as the probability of label 1 against label 0';
    if (fits) err('train.loss_output', `${has}, but ${why}. Use loss: crossentropy, which takes the ${last} outputs of '${model.name}' as one distribution over the classes.`, lossAt, fix);
    else {
      const head = classes !== undefined && lossWritten ? classHeadFix(file, model, classes, lossWritten) : undefined;
      err('train.classes', `${has}, but ${why}. Use loss: crossentropy and end with dense(${n}) -> softmax.`, dataAt, head && [head]);
    }
    return true;
  }
  const head = fits ? '' : ` and end with dense(${n}) -> softmax`;
  err(
    'train.loss_output',
    `loss: ${loss} compares values, but ${kind} labels ${labels} with a class id${classes !== undefined ? ` (0 to ${classes - 1})` : ''}, not a value. Use loss: crossentropy${head}.`,
    lossAt,
    fix,
  );
  return true;
}

/**
 * The fix of binary_crossentropy on `classes` classes through an output of
 * another width (`dense(1) -> sigmoid`): what the message says, in one fix,
 * since either change alone leaves an error (crossentropy on one value;
 * binary_crossentropy on a softmax): the loss becomes crossentropy, the
 * last dense's units `classes`, and its activation softmax (a `-> sigmoid`
 * after it or its `activation = sigmoid` changed, `-> softmax` added after a
 * dense without one). Only when the output ends with a dense written with
 * literal units (then perhaps `-> sigmoid` or `-> softmax`) where an edit
 * changes nothing else (see {@link outputLayer}), and its output feeds
 * nothing but that activation.
 */
function classHeadFix(file: SourceFile, model: ModelInfo, classes: number, lossWritten: Range): Fix | undefined {
  const found = outputLayer(model, file);
  if (!found?.editable) return undefined;
  const { node, graph } = found;
  const edits: Fix['edits'] = [{ range: lossWritten, newText: 'crossentropy' }];
  let dense: LayerNode = node;
  if (node.op === 'sigmoid' || node.op === 'softmax') {
    const before = nodeById(graph, node.inputs[0]);
    if (node.inputs.length !== 1 || before?.kind !== 'layer' || graph.nodes.some((m) => m !== node && m.kind !== 'input' && m.inputs.includes(before.id)) || graph.outputs.includes(before.id)) return undefined;
    if (node.op === 'sigmoid') {
      const call = callAt(file, node.range.start.offset);
      if (call?.callee.name !== 'sigmoid') return undefined;
      edits.push({ range: call.callee.range, newText: 'softmax' });
    }
    dense = before;
  }
  if (dense.op !== 'dense' || dense.uri !== undefined) return undefined;
  const call = callAt(file, dense.range.start.offset);
  const spec = getLayer('dense');
  const units = call?.callee.name === 'dense' && spec ? argExprOf(spec, call, 'units') : undefined;
  if (!call || !spec || units?.kind !== 'number') return undefined;
  edits.push({ range: units.range, newText: String(classes) });
  if (dense === node) {
    // Its units are the output's alone: nothing else reads it.
    if (graph.nodes.some((m) => m.kind !== 'input' && m.inputs.includes(node.id))) return undefined;
    const act = argExprOf(spec, call, 'activation');
    const word = act?.kind === 'name' ? act.name : undefined;
    if (act === undefined) edits.push({ range: { start: call.range.end, end: call.range.end }, newText: ' -> softmax' });
    else if (word === 'sigmoid' || word === 'none') edits.push({ range: act.range, newText: 'softmax' });
    else if (word !== 'softmax') return undefined;
  }
  return { title: `Use crossentropy and end with dense(${classes}) -> softmax`, edits };
}

/** What each class source labels, for messages. */
const CLASS_LABELS: Record<string, string> = {
  digits: 'each example',
  shapes: 'each example',
  images: 'each example',
  sequences: 'each position',
  text: 'each position (the next token)',
};

/**
 * What to do about crossentropy on a one-value output, from what the data
 * labels with: binary_crossentropy only where two classes are possible
 * (never for a set known to have more, where it would train on class ids
 * as if they were 0 or 1), mse or mae only where the labels may be values.
 */
function oneOutputAdvice(kind: DataSource['kind'] | undefined, classes: number | undefined): string {
  if (classes !== undefined && classes > 2) return `${kind} has ${classes} classes: end with dense(${classes}) -> softmax.`;
  if (classes === 2) return `use binary_crossentropy (one probability per prediction), or end with dense(2) -> softmax.`;
  switch (kind) {
    case 'text':
      return 'text labels each position with a token of its vocabulary: end with dense(vocabulary size) -> softmax.';
    case 'images':
      return 'use binary_crossentropy if the folder has two classes; otherwise end with dense(classes) -> softmax.';
    case 'csv':
      return 'use binary_crossentropy if the labels are two classes, mse or mae if they are numbers; otherwise end with dense(classes) -> softmax.';
    default:
      return 'use binary_crossentropy or mse, or end with dense(classes) -> softmax.';
  }
}

/** Layers a classifier's head may hold after its dense without changing the axes before the last one. */
const HEAD_CATEGORIES = new Set(['dense', 'activation', 'regularization', 'norm']);

/**
 * Data with one label per example (digits, shapes, images, csv: every
 * source not `perPosition`) and an output that keeps positions (`[15, 15, 3]`:
 * a CNN without flatten): training refuses it (the shared rule of
 * trainLabels.ts). The error is on the first dense of the output's head
 * (dense, activations, dropout, norms), where the fixes insert `flatten` or
 * `global_avgpool`, when that dense is written in the model's own body;
 * otherwise on the data. True when it reported.
 */
function checkOnePerExample(file: SourceFile, spec: DataSourceSpec, config: TrainConfig, model: ModelInfo, out: Shape, dataAt: Range, err: Err): boolean {
  const dims = out.dims.map((d) => d.value);
  // csv labels are classes or values (read from the file); either is one per example, `[]` or `[1]`, which compare alike here.
  if (dims.length < 2 || outputFitsLabels(dims, [], config.loss)) return false;
  const head = headDense(model);
  const inBody = head && head.uri === undefined && file.items.some((i) => i.kind === 'model' && i.name.name === model.name && i.range.start.offset <= head.range.start.offset && head.range.end.offset <= i.range.end.offset);
  const labels = spec.classes || spec.name === 'images' ? 'class' : 'label';
  const message = keepsPositionsMessage(config.data!.kind, labels, model.name, dims, head?.label, spec.classes?.(config.data!.options));
  const dataRelated = { message: `${config.data!.kind} gives one ${labels} per example`, range: dataAt };
  if (!head || !inBody) {
    err('train.output_positions', message, dataAt, undefined, {
      related: [head ? { message: `${head.label} keeps the positions`, range: head.range, uri: head.uri ?? model.uri } : { message: `'${model.name}' outputs ${shapeToString(out)} here`, range: model.outputs[0].range, uri: model.uri }],
    });
    return true;
  }
  const at = { start: head.range.start, end: head.range.start };
  const fixes: Fix[] = [{ title: "Insert '-> flatten'", edits: [{ range: at, newText: 'flatten -> ' }], preferred: true }];
  // global_avgpool takes [length, c] or [h, w, c].
  const before = nodeById(model.graph, head.inputs[0]);
  const rank = before && 'shape' in before ? before.shape.dims.length : 0;
  if (rank === 2 || rank === 3) fixes.push({ title: "Insert '-> global_avgpool'", edits: [{ range: at, newText: 'global_avgpool -> ' }] });
  err('train.output_positions', message, head.range, fixes, { related: [dataRelated] });
  return true;
}

function nodeById(g: Graph, id: number | undefined): Graph['nodes'][number] | undefined {
  return id === undefined ? undefined : g.nodes.find((n) => n.id === id);
}

/** The first dense of the output's head: walking back from the output over dense, activation, dropout and norm layers, the last dense met. */
function headDense(model: ModelInfo): LayerNode | undefined {
  let node = nodeById(model.graph, model.outputs[0]?.nodeId);
  let dense: LayerNode | undefined;
  while (node?.kind === 'layer' && HEAD_CATEGORIES.has(node.category) && node.inputs.length === 1) {
    if (node.op === 'dense') dense = node;
    node = nodeById(model.graph, node.inputs[0]);
  }
  return dense;
}

/**
 * Next-step data (`text`, `waves`) labels position t with the input at
 * t + 1. A model whose output at t sees later positions of its input (a
 * self-attention without `causal = true`, a `same`-padded conv1d, a flatten)
 * reads the answer instead of predicting it: the loss falls towards 0 and
 * the model cannot generate or forecast. A warning on the data, with the
 * layer where later positions come in as related location. Only for an
 * output with one prediction per input position, and only when the
 * receptive field says so for certain. A quick fix for an attention or a
 * conv1d written in this file (see causalFix).
 */
function checkLookAhead(next: string, kind: string, model: ModelInfo, dataAt: Range, err: Err, file: SourceFile, length?: Sym): void {
  const input = model.inputs[0];
  const out = model.outputs[0]?.shape;
  const steps = input.shape.dims[0];
  if (!out || out.dims.length < 2 || !steps) return;
  // One prediction per input position: the same length, or, for a symbolic one, the length the data gives (`[seq, 1]` reshaped to `[64, 1]`).
  const along = out.dims[0];
  if (!along.equals(steps) && !(!steps.isConst() && length?.isConst() && along.equals(length))) return;
  const found = lookAhead(model, input.name);
  if (!found) return;
  const { layer, folded } = found;
  const unit = input.shape.isInt ? 'tokens' : 'steps';
  const call = layer.label;
  // The per-position head a fix ends with: as wide as the output.
  const width = out.dims[out.dims.length - 1].value ?? 'n';
  const head = input.shape.isInt ? `dense(${width}) -> softmax` : `dense(${width})`;
  const causalLayers = 'attention with causal = true, conv1d with padding = causal, recurrent layers with return_sequences = true.';
  let how: string;
  let fix: string;
  let edit: Fix | undefined;
  if (layer.op === 'attention' && layer.args.context == null) {
    how = `${call} lets every position attend to all positions, later ones included`;
    fix = `Set causal = true in ${call}: each position then attends only to itself and earlier ones (masked attention).`;
    edit = causalFix(file, layer, 'causal', 'true', `Set causal = true in ${call}`);
  } else if (layer.op === 'conv1d' && !folded) {
    const k = Number(layer.args.kernel);
    const span = (k - 1) * Number(layer.args.dilation ?? 1) + 1;
    how = `${call} reads a window of ${span} steps ${windowAround(layer.args.padding, span)}`;
    fix = `Set padding = causal in ${call}: it pads on the left only, so step t reads steps t and earlier (a causal convolution).`;
    edit = causalFix(file, layer, 'padding', 'causal', `Set padding = causal in ${call}`);
  } else if (folded) {
    // flatten -> dense(k) -> reshape, transpose -> dense -> transpose: the steps were laid out as features, then mixed.
    const whole = folded.shape.dims.length <= 1 || folded.shape.dims.slice(0, -1).every((d) => d.value === 1);
    how = `${folded.label} lays the ${unit} out along the feature axis and ${call} mixes them, so ${whole ? 'every output position is computed from the whole window' : `an output position is computed from a block of ${unit} around it`}, the value it must predict included`;
    fix =
      `Keep the ${unit} on their own axis and let each position read only earlier ones: remove ${folded.label} and ${call} (and what undoes the ${folded.op}), ` +
      `and predict per position after a causal layer, e.g. conv1d(16, 5, padding = causal) -> ${head}, lstm(16, return_sequences = true) -> ${head}, or attention with causal = true.` +
      (kind === 'waves' ? ' To predict only the value after the window instead, end with flatten -> dense(1): one output per example, trained on that value.' : '');
  } else if (isRecurrent(layer.op) && layer.args.return_sequences === true && layer.args.bidirectional === true) {
    how = `${call} also reads the ${unit} backwards, so its output at position t has read positions t to the end of the window`;
    fix = `Set bidirectional = false in ${call}: its output at position t then reads positions 0 to t only.`;
    edit = causalFix(file, layer, 'bidirectional', 'false', `Set bidirectional = false in ${call}`);
  } else if (isRecurrent(layer.op) && layer.args.return_sequences !== true) {
    how = `${call} gives only its last state, which has read every ${unit.slice(0, -1)}, and every output position is made from it`;
    // No quick fix: what follows the last state (dense(64) -> reshape) rarely fits a sequence.
    fix =
      layer.args.bidirectional === true
        ? `Set return_sequences = true and bidirectional = false in ${call} and predict per step from its output (${layer.op}(…, return_sequences = true) -> ${head}): its output at position t then reads positions 0 to t only (a bidirectional one also reads the later ones).`
        : `Set return_sequences = true in ${call} and predict per step from its output (${layer.op}(…, return_sequences = true) -> ${head}): its output at position t has read positions 0 to t only.`;
  } else if (['global_avgpool', 'global_maxpool', 'mean', 'max', 'softmax'].includes(layer.op)) {
    how = `${call} ${layer.op === 'softmax' ? 'normalises across' : 'pools'} all ${unit} of the window, and every output position reads the result`;
    fix = `Remove ${call}, or replace it with a layer that reads only earlier ${unit}: ${causalLayers}`;
  } else {
    how = `${call} combines positions`;
    fix = `Make each prediction from its own position and earlier ones: ${causalLayers}`;
  }
  err(
    'train.not_causal',
    `${kind} labels each position with ${next} (the input one position later), but the output of '${model.name}' at a position also sees later ${unit} of '${input.name}': ${how}. It can copy the answer from its input instead of predicting it: the loss falls towards 0 and the model cannot ${input.shape.isInt ? 'generate text' : 'forecast'}. ${fix}`,
    dataAt,
    edit && [edit],
    { severity: 'warning', related: [{ message: `${model.name} sees later ${unit} from here on`, range: layer.range, uri: layer.uri ?? model.uri }] },
  );
}

/**
 * Where a conv1d's window of `span` steps lies around the step it computes
 * (at stride 1), by its padding: `valid` (or `padding = 0`) starts it at the
 * step; `same` puts half of it, rounded down, before the step (TensorFlow);
 * explicit `padding = p` puts p steps before it (PyTorch's zeros at each
 * end), the rest after: "centred on each step (the 2 before it and the 2
 * after it)". Only for a window that looks ahead: `causal`, and `p` of at
 * least the window less one, look back only (receptive.ts).
 */
function windowAround(padding: ArgValue | undefined, span: number): string {
  const before = Array.isArray(padding) ? Number(padding[0]) : padding === 'same' ? Math.floor((span - 1) / 2) : 0;
  const after = span - 1 - before;
  if (before === 0) return `starting at each step (the step and the ${after} after it)`;
  return `${before === after ? 'centred on' : 'around'} each step (the ${before} before it and the ${after} after it)`;
}

/**
 * The edit that sets argument `name` of the call `layer` to `value`: its
 * value replaced where it is written by name or in its place among the
 * positional arguments, else `, name = value` after the last argument.
 * Only for a call written in this file by the layer's own name (not a
 * layer object, whose definition is elsewhere); the edit's positions are
 * the syntax tree's, which an editor session moves in place.
 */
export function causalFix(file: SourceFile, layer: LayerNode, name: string, value: string, title: string): Fix | undefined {
  if (layer.uri !== undefined) return undefined;
  const call = callAt(file, layer.range.start.offset);
  if (!call || call.callee.name !== layer.op || call.args.length === 0) return undefined;
  const spec = getLayer(layer.op);
  const written = spec && argRangeOf(spec, call, name);
  const last = call.args[call.args.length - 1];
  const edit = written ? { range: written, newText: value } : { range: { start: last.range.end, end: last.range.end }, newText: `, ${name} = ${value}` };
  return { title, edits: [edit], preferred: true };
}

/** The option of `waves`, `sequences` and `text` that sets the examples' length. */
const LENGTH_OPTION: Readonly<Record<string, string>> = { waves: 'length', sequences: 'length', text: 'context' };

/**
 * `waves(length = 128)` for `input signal: [64, 1]`, `text(..., context = 64)`
 * for `int[32]`: what to change, with the fix that sets the option to the
 * model's length (`Use waves(length = 64)`); or, for an input of the wrong
 * kind, how to declare it (token ids are `int[...]`, a series `[steps, 1]`).
 * Undefined for other data.
 */
function lengthHint(kind: string, input: Shape, value: Expr | undefined): { hint: string; fix?: Fix } | undefined {
  const option = LENGTH_OPTION[kind];
  if (!option) return undefined;
  const tokens = kind !== 'waves';
  if (tokens && !input.isInt) {
    return { hint: ` ${kind} gives token ids: declare the input as int[...] (\`input t: int[seq]\`) and embed them (\`-> embedding(vocab, dim)\`).` };
  }
  if (!tokens && (input.isInt || input.dims.length !== 2 || input.dims[1].value !== 1)) {
    const steps = input.dims[0]?.value;
    return { hint: ` waves gives a series of one value per step, [steps, 1]: declare the input as [${steps ?? input.dims[0]?.toString() ?? 'seq'}, 1].` };
  }
  const n = input.dims[0]?.value;
  if (n === undefined || input.dims.length !== (tokens ? 1 : 2)) return undefined;
  const fix = value?.kind === 'call' ? setOptionFix(value, option, String(n)) : undefined;
  return { hint: ` Use ${kind}(${kind === 'text' ? '…, ' : ''}${option} = ${n}), or declare the input's length symbolic (\`${tokens ? 'int[seq]' : '[seq, 1]'}\`) to train at the data's.`, fix };
}

/**
 * The fix that sets option `name` of the data call to `text`: its value
 * replaced where it is written by name, else `, name = text` after the last
 * argument, or `(name = text)` for empty parentheses (positions of the tree).
 */
function setOptionFix(call: CallExpr, name: string, text: string): Fix | undefined {
  const title = `Set ${name} = ${text}`;
  const named = call.args.find((a) => a.name?.name === name);
  if (named) return { title, edits: [{ range: named.value.range, newText: text }], preferred: true };
  const last = call.args[call.args.length - 1];
  if (last) return { title, edits: [{ range: { start: last.range.end, end: last.range.end }, newText: `, ${name} = ${text}` }], preferred: true };
  if (call.argsRange) return { title, edits: [{ range: call.argsRange, newText: `(${name} = ${text})` }], preferred: true };
  return undefined;
}

function dataHint(kind: string, input: Shape): string {
  const side = squareSide(kind, input);
  if (side !== undefined) return ` Use ${kind}(size = ${side}).`;
  if ((kind === 'digits' || kind === 'shapes') && input.dims.length === 3) {
    const [h, w, c] = input.dims.map((d) => d.value);
    const { min, max } = sizeSpec(kind);
    // `[3, 32, 32]` (PyTorch's layout): the channels go last, not a square of 3 × 3 (the input.channels_first fix).
    if (h !== undefined && h <= 4 && w !== undefined && w > 4 && w === c) return ` Its channels come first, as in PyTorch; ${kind} gives [height, width, channels]: write the input as [${w}, ${w}, ${h}].`;
    if (h !== undefined && h !== w) return ` ${kind} makes square images; give the model a square input, e.g. [${h}, ${h}, ${c ?? '…'}].`;
    if (h !== undefined && (h < min || h > max)) return ` ${kind} draws images of ${min} to ${max} pixels a side.`;
  }
  return '';
}

/** The bounds of the `size` option of `digits` or `shapes`. */
export function sizeSpec(kind: string): { min: number; max: number } {
  const o = DATA_SOURCES.find((d) => d.name === kind)!.options.find((x) => x.name === 'size')!;
  return { min: o.min!, max: o.max! };
}

/**
 * The side `kind` (digits: grey, shapes: RGB) generates `shape` at: a fixed
 * square `[n, n, channels]` of numbers with n in the option's range, else
 * undefined.
 */
function squareSide(kind: string, shape: Shape): number | undefined {
  const channels = kind === 'digits' ? 1 : kind === 'shapes' ? 3 : undefined;
  if (channels === undefined || shape.isInt || shape.dims.length !== 3) return undefined;
  const [h, w, c] = shape.dims.map((d) => d.value);
  const { min, max } = sizeSpec(kind);
  return h !== undefined && h === w && c === channels && h >= min && h <= max ? h : undefined;
}

/**
 * The image the data feeds the model: the input of a one-input model, the
 * image input of a denoiser (the one that is not its step), the output of a
 * GAN's generator (which the discriminator compares with the data).
 */
function imageShapeOf(config: TrainConfig, model: ModelInfo): Shape | undefined {
  if (config.loss === 'adversarial') return model.outputs.length === 1 ? model.outputs[0].shape : undefined;
  if (config.loss === 'denoise') return model.inputs.find((i) => i.shape.dims.length === 3 && !i.shape.isInt)?.shape;
  return model.inputs.length === 1 ? model.inputs[0].shape : undefined;
}

/** Whether the `data:` call of `item` writes `size` (by name, or in its place among the positional options). */
function sizeWritten(item: TrainDecl, kind: string): boolean {
  const v = item.entries.find((e) => e.key.name === 'data')?.value;
  if (v?.kind !== 'call') return false;
  const index = DATA_SOURCES.find((d) => d.name === kind)!.options.findIndex((o) => o.name === 'size');
  return v.args.some((a) => a.name?.name === 'size') || v.args.filter((a) => !a.name).length > index;
}

/**
 * `digits` and `shapes` without `size` generate images of the model's size
 * when its image (imageShapeOf) is a square they can draw (squareSide): the
 * contract's `digits(samples = 6000)` then trains its 32×32 LeNet-5. The
 * size is written into the resolved options, so the fit checks, the runtime,
 * the CLI and the hover all use the same one; otherwise the default stays.
 */
function withModelSize(item: TrainDecl, info: TrainInfo, model: ModelInfo): TrainInfo {
  const data = info.config.data;
  if (!data || (data.kind !== 'digits' && data.kind !== 'shapes') || sizeWritten(item, data.kind)) return info;
  const image = imageShapeOf(info.config, model);
  const side = image && squareSide(data.kind, image);
  if (side === undefined) return info;
  return { ...info, config: { ...info.config, data: { ...data, options: { ...data.options, size: side }, sizeFromModel: true } } };
}

/**
 * One line on what a data source gives, for the hover of the train section:
 * "digits: 6,000 images 32×32 (the model's input size)". Undefined for file
 * sources whose examples are only known once read.
 */
export function dataSummary(data: DataSource): string | undefined {
  const o = data.options;
  const count = typeof o.samples === 'number' ? o.samples.toLocaleString('en-US') : '';
  switch (data.kind) {
    case 'digits':
    case 'shapes': {
      const side = o.size as number;
      const what = data.kind === 'digits' ? 'grey-scale images' : 'RGB images';
      return `${data.kind}: ${count} ${what} ${side}×${side}${data.sizeFromModel ? " (the model's input size)" : ''}`;
    }
    case 'sequences':
      return `sequences: ${count} sequences of ${o.length} tokens (task ${o.task}, vocab ${o.vocab})`;
    case 'waves':
      return `waves: ${count} waves of ${o.length} steps`;
    case 'images': {
      const s = o.size as number[];
      return `images: every image resized to ${s[0]}×${s[1] ?? s[0]}, ${o.grayscale ? 'grey-scale' : 'RGB'}`;
    }
    default:
      return undefined;
  }
}

/**
 * `batch: 1` on a model with batchnorm: in training, batchnorm normalises by
 * the batch's own mean and variance, which one example cannot give (on a
 * `[n]` output every unit equals its mean, so every output is β). A warning
 * on the `batch` value; the default batch (32) is never 1. `other`: a GAN's
 * discriminator, trained at the same batch.
 */
function checkBatchnormBatch(item: TrainDecl, config: TrainConfig, model: ModelInfo, other: ModelInfo | undefined, err: Err): void {
  const at = item.entries.find((e) => e.key.name === 'batch')?.value.range;
  if (config.batch !== 1 || !at) return;
  for (const m of other ? [model, other] : [model]) {
    const bn = firstLayer(m.graph, 'batchnorm');
    if (!bn) continue;
    const why =
      bn.shape.dims.length === 1
        ? `here it normalises a ${shapeToString(bn.shape)} output, and over one example each unit is its own mean, so every unit outputs β whatever the input and the layers before it learn nothing`
        : 'with one example per step these come from that example alone, so they are noisy and the moving averages used at inference do not match what training saw';
    err(
      'train.batchnorm_batch',
      `batch: 1 with batchnorm in '${m.name}': in training, batchnorm normalises by the mean and variance of the batch; ${why}. Use a batch of at least 8, or layernorm or groupnorm, which normalise each example on its own.`,
      at,
      undefined,
      { severity: 'warning', related: [{ message: 'batchnorm is here', range: bn.range, uri: bn.uri ?? m.uri }] },
    );
    return;
  }
}

/** The first layer `op` of `g`, looking into block bodies and repeats. */
function firstLayer(g: Graph, op: string): Extract<Graph['nodes'][number], { kind: 'layer' }> | undefined {
  for (const n of g.nodes) {
    if (n.kind === 'layer' && n.op === op) return n;
    if (n.kind === 'group') {
      for (const run of n.runs) {
        const found = firstLayer(run.body, op);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/** Where the option `name` of the `data:` call is written, if it is. */
function dataOption(item: TrainDecl, name: string): Expr | undefined {
  const v = item.entries.find((e) => e.key.name === 'data')?.value;
  return v?.kind === 'call' ? v.args.find((a) => a.name?.name === name)?.value : undefined;
}


/**
 * `sequences(vocab = V)` gives token ids up to V − 1 (one-input models and
 * both inputs of an encoder-decoder, whose start token is id 0): every
 * embedding the ids reach needs at least V rows. The fix lowers `vocab` to
 * the table; raising the table is the other way, said in the message.
 * True when it reported.
 */
function checkVocab(item: TrainDecl, data: DataSource, model: ModelInfo, dataAt: Range, err: Err): boolean {
  const vocab = data.options.vocab;
  const rows = smallestVocab(model.graph);
  if (typeof vocab !== 'number' || rows === undefined || vocab <= rows) return false;
  const written = dataOption(item, 'vocab');
  const at = written?.range ?? dataAt;
  err(
    'train.vocab',
    `sequences(vocab = ${vocab}) gives token ids up to ${vocab - 1}, but the smallest embedding of '${model.name}' has ${rows} rows; use vocab = ${rows} or an embedding of at least ${vocab} rows.`,
    at,
    // sequences needs vocab ≥ 2: below that, no edit of `vocab` helps and the embedding must grow.
    written && rows >= 2 ? [{ title: `Change to vocab = ${rows}`, edits: [{ range: written.range, newText: String(rows) }], preferred: true }] : undefined,
  );
  return true;
}

/** The roles of the two inputs of an encoder-decoder, in input order. */
const PAIR_ROLES = ['the source sequence', 'the start token followed by the answer shifted right (teacher forcing)'] as const;

/**
 * What `train.input_order` says when the output of a two-input model runs
 * along its first input (fed the source) rather than its second (fed the
 * decoder's input), from the graph (trainSides.ts): which input reaches the
 * output through the queries (the side the model makes its decoder) and
 * which only as a cross-attention's context (its encoder), and, to tell a
 * model that declares its inputs in the wrong order from one whose
 * cross-attention takes its queries from the encoder, which input feeds a
 * causal self-attention (a decoder's) or a self-attention that sees every
 * position (an encoder's). With the fix that swaps the two declarations
 * where that is the change (preferred) or one of two (not preferred).
 */
function inputOrderHint(model: ModelInfo, file: SourceFile): { why: string; fix?: Fix; related: NonNullable<Diagnostic['related']> } {
  const [a, b] = model.inputs.map((i) => i.name);
  const sides = inputSides(model);
  const { query, context } = sides.output;
  const example = `\`h -> attention(heads, context = memory)\` with h from '${b}' and memory from '${a}'`;
  const at = context.get(b);
  if (!query.has(a) || query.has(b) || !at) {
    const why = !query.has(b) && !context.has(b)
      ? `'${b}' does not reach the output, which follows '${a}' alone. The decoder's input must give the output its positions, as the queries of a cross-attention that reads the encoder's output: ${example}.`
      : `the output must run along the decoder's input '${b}'.`;
    return { why, related: [] };
  }
  // The output follows `a` through the queries of `at`, and reads `b` only as its context.
  const related = [{ message: `${at.label} takes its queries from '${a}' and its keys and values from '${b}'`, range: at.range, uri: at.uri ?? model.uri }];
  const mark = (name: string) => (sides.causal.has(name) && !sides.full.has(name) ? 'decoder' : sides.full.has(name) && !sides.causal.has(name) ? 'encoder' : undefined);
  const [ma, mb] = [mark(a), mark(b)];
  const bIsDecoder = mb === 'decoder' && ma !== 'decoder';
  const aIsEncoder = ma === 'encoder' && mb !== 'encoder';
  if (bIsDecoder || aIsEncoder) {
    const because = bIsDecoder ? `'${b}' is the decoder's input (its self-attention is causal)` : `'${a}' is the encoder's input (its self-attention sees every position, as a decoder's must not)`;
    return {
      why: `the output follows the encoder's side: ${because}, so the output must run along '${b}', but ${at.label} takes its queries from '${a}'. In a cross-attention the queries come from the decoder and the keys and values from the encoder: ${example}.`,
      related,
    };
  }
  const aIsDecoder = (ma === 'decoder' && mb !== 'decoder') || (mb === 'encoder' && ma !== 'encoder');
  const aMark = aIsDecoder && ma === 'decoder' ? ', and its self-attention is causal' : '';
  const bMark = aIsDecoder && ma !== 'decoder' ? '; its self-attention sees every position' : '';
  const reads = `'${model.name}' reads '${a}' as the decoder's input (it gives the queries of ${at.label}${aMark}) and '${b}' as the encoder's (its keys and values${bMark})`;
  if (aIsDecoder) return { why: `${reads}: declare '${b}' first.`, fix: swapInputsFix(model, file, true), related };
  return {
    why: `${reads}: declare '${b}' first; or, if '${a}' is the source, take the queries of ${at.label} from '${b}' and its keys and values from '${a}': ${example}.`,
    fix: swapInputsFix(model, file, false),
    related,
  };
}

/** The fix that swaps the declarations of a two-input model's inputs (none for a model of another file). */
function swapInputsFix(model: ModelInfo, file: SourceFile, preferred: boolean): Fix | undefined {
  const text = file.text;
  if (model.uri !== undefined || text === undefined || model.inputs.length !== 2) return undefined;
  const [a, b] = model.inputs;
  const slice = (r: Range) => text.slice(r.start.offset, r.end.offset);
  return {
    title: `Declare '${b.name}' first`,
    edits: [
      { range: a.range, newText: slice(b.range) },
      { range: b.range, newText: slice(a.range) },
    ],
    preferred,
  };
}

/**
 * A model with several inputs: only a `pairs` source (sequences) feeds two,
 * by order: the first input is the encoder's (the source), the second the
 * decoder's. Checks both inputs' shapes, that the output has one prediction
 * per decoder position (and follows the second input, not the first: the
 * inputs swapped), and warns when the decoder's self-attention is not
 * causal (it would read the answer it must predict). False when a problem
 * makes later checks meaningless.
 */
function checkTwoInputs(item: TrainDecl, config: TrainConfig, model: ModelInfo, spec: DataSourceSpec | undefined, dataAt: Range, err: Err, file: SourceFile): boolean {
  const data = config.data!;
  const names = model.inputs.map((i) => `'${i.name}'`).join(', ');
  const inputAt = (i: number, message: string) => ({ message, range: model.inputs[i].range, uri: model.uri });
  if (model.inputs.length > 2) {
    err('train.inputs', `training feeds one input, or two for an encoder-decoder (source and target), but '${model.name}' has ${model.inputs.length}: ${names}.`, dataAt);
    return false;
  }
  if (!spec?.pairs) {
    err(
      'train.inputs',
      `'${model.name}' takes two inputs (${names}), and only sequences(...) feeds two (the source, and the target by teacher forcing); ${data.kind} feeds one.`,
      dataAt,
    );
    return false;
  }
  const ex = spec.example!(data.options);
  let ok = true;
  model.inputs.forEach((inp, i) => {
    const shape = inp.shape;
    const fits = ex.dims.length === shape.dims.length && !!ex.isInt === !!shape.isInt && ex.dims.every((d, k) => !shape.dims[k].isConst() || shape.dims[k].equals(d));
    if (!fits) {
      err(
        'train.data_shape',
        `${data.kind} feeds input ${i + 1} ('${inp.name}') ${PAIR_ROLES[i]} as ${shapeToString(ex)}, but it is declared ${shapeToString(shape)}.`,
        dataAt,
        undefined,
        { related: [inputAt(i, `input '${inp.name}' is declared here`)] },
      );
      ok = false;
    }
  });
  if (!ok) return false;
  const out = model.outputs[0]?.shape;
  if (!out) return false;
  if (out.dims.length !== 2) {
    err(
      'train.data_shape',
      `${data.kind} labels each of the ${ex.dims[0]} target positions with a token, but '${model.name}' outputs ${shapeToString(out)}; the decoder should end with one prediction per position, [${model.inputs[1].shape.dims[0]}, classes].`,
      dataAt,
    );
    return false;
  }
  // By order: the output runs along the decoder's (second) input. Symbolic
  // lengths tell when it runs along the first instead; the graph tells why.
  const [first, second] = model.inputs.map((i) => i.shape.dims[0]);
  const along = out.dims[0];
  if (!first.isConst() && !second.isConst() && along.equals(first) && !along.equals(second)) {
    const order = inputOrderHint(model, file);
    err(
      'train.input_order',
      `'${model.name}' predicts one token per position of its first input '${model.inputs[0].name}' (${first}), but the first input is fed ${PAIR_ROLES[0]} and the second ('${model.inputs[1].name}') the decoder's input; ${order.why}`,
      dataAt,
      order.fix && [order.fix],
      { related: [inputAt(0, `fed ${PAIR_ROLES[0]}`), inputAt(1, `fed ${PAIR_ROLES[1]}`), ...order.related] },
    );
    return false;
  }
  // The receptive field of the output over the decoder's input: the same check as next-step data (checkLookAhead).
  const target = model.inputs[1].name;
  const leak = lookAheadLayer(model, target);
  if (leak) {
    const selfAttention = leak.op === 'attention' && leak.args.context == null;
    // A bidirectional recurrent layer returning its sequence reads the later positions backwards.
    const bidirectional = isRecurrent(leak.op) && leak.args.bidirectional === true && leak.args.return_sequences === true;
    const fix = selfAttention
      ? causalFix(file, leak, 'causal', 'true', `Set causal = true in ${leak.label}`)
      : bidirectional
        ? causalFix(file, leak, 'bidirectional', 'false', `Set bidirectional = false in ${leak.label}`)
        : undefined;
    const how = selfAttention
      ? `${leak.label} attends to every position of its input '${target}', later ones included (no \`causal = true\`)`
      : bidirectional
        ? `${leak.label} also reads its input '${target}' backwards, so each position sees the later ones`
        : `the output at a position also sees later positions of its input '${target}', from ${leak.label} on`;
    const advice = selfAttention
      ? 'Use attention(heads, causal = true) on the decoder\'s input.'
      : bidirectional
        ? `Set bidirectional = false in ${leak.label}: read one way, each position sees only itself and earlier ones.`
        : 'Make each position see only itself and earlier ones: attention with causal = true, a recurrent layer read one way, conv1d with padding = causal.';
    err(
      'train.decoder_not_causal',
      `in the decoder of '${model.name}', ${how}: with teacher forcing it would read the answer it must predict (the next token is the next input), so training would teach nothing. ${advice}`,
      dataAt,
      fix && [fix],
      { severity: 'warning', related: [{ message: `${model.name} sees later positions of '${target}' from here on`, range: leak.range, uri: leak.uri ?? model.uri }] },
    );
  }
  checkPadStart(model, target, dataAt, err, file);
  return true;
}

/**
 * `train.pad_id`: a padding mask over the decoder's input that hides id 0,
 * which `sequences` gives every target at position 0 as its start token
 * (and pads nothing): the mask hides no padding, only the start token from
 * the later positions. Said once, at the first such attention, with the fix
 * that removes the mask where the call is in this file.
 */
function checkPadStart(model: ModelInfo, target: string, dataAt: Range, err: Err, file: SourceFile): void {
  for (const [node, from] of inputSides(model).padMasks) {
    const id = typeof node.args.pad_id === 'number' ? node.args.pad_id : 0;
    if (id !== BOS || !from.has(target)) continue;
    const fix = node.uri === undefined ? removePadMaskFix(file, node) : undefined;
    err(
      'train.pad_id',
      `${node.label} hides the keys whose id is ${id} in '${target}', but id ${BOS} is not padding there: sequences(...) pads nothing and starts every target with token ${BOS}, its start token, so this mask only hides the start token from the later positions. Remove pad_mask here for sequences(...), or give a pad_id the data never holds.`,
      dataAt,
      fix && [fix],
      { severity: 'warning', related: [{ message: `the padding mask over '${target}'`, range: node.range, uri: node.uri ?? model.uri }] },
    );
    return;
  }
}

/** Removes `pad_mask = …` (and a written `pad_id = …`) from the attention call of `node`. */
function removePadMaskFix(file: SourceFile, node: LayerNode): Fix | undefined {
  const call = callAt(file, node.range.start.offset);
  if (!call || call.range.start.offset !== node.range.start.offset) return undefined;
  const edits: Fix['edits'] = call.args.filter((a) => a.name?.name === 'pad_mask' || a.name?.name === 'pad_id').map((a) => ({ range: argRemoval(call, a), newText: '' }));
  return edits.length > 0 ? { title: `Remove pad_mask from ${node.label}`, edits, preferred: true } : undefined;
}
