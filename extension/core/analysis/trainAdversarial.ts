/**
 * How a `loss: adversarial(Discriminator)` train section fits its models:
 * a GAN's generator (the section's model) and the discriminator that judges
 * its examples (a second model of the file). The training loop is
 * runtime/gan.ts; these checks say before it runs what would not fit:
 *
 * - the discriminator names another model of the file (`train.adversarial_model`);
 * - the generator takes one input of numbers with fixed sizes, the noise
 *   (`train.adversarial_noise`);
 * - the discriminator takes one input and gives one value per example, [1]
 *   (`train.adversarial_discriminator`); sigmoid at its end or not (logits)
 *   are both fine;
 * - the data is images (`train.adversarial_data`) of the generator's output
 *   shape (`train.data_shape`, with the size to write), which is also the
 *   discriminator's input shape (`train.adversarial_shape`);
 * - the generator ends in tanh (images scaled to [-1, 1]) or sigmoid ([0, 1]);
 *   otherwise a warning (`train.adversarial_range`).
 */
import type { Expr, Range, TrainDecl } from '../syntax/ast';
import { shapeToString, type Shape } from './sym';
import { didYouMean, suggest } from './suggest';
import type { Graph, GraphNode, ModelInfo, TrainConfig } from './types';
import { DATA_SOURCES, type Err } from './train';

/** Data sources that give images. */
const IMAGE_SOURCES = ['digits', 'shapes', 'images'];

/** What a generator's last layer makes, which decides the range real images are scaled to. */
export type PixelRange = 'tanh' | 'sigmoid' | 'unbounded';

/** The generator's output range, judged from its last layer (an activation layer, or a layer's `activation`). */
export function generatorRange(info: ModelInfo): PixelRange {
  const node = findNode(info.graph, info.graph.outputs[0]);
  const op = node ? lastActivation(info.graph, node) : undefined;
  return op === 'tanh' ? 'tanh' : op === 'sigmoid' ? 'sigmoid' : 'unbounded';
}

function findNode(g: Graph, id: number | undefined): GraphNode | undefined {
  return g.nodes.find((n) => n.id === id);
}

/** Layers that move or drop values without changing them: the range is their input's (`tanh -> reshape([28, 28, 1])`). */
const KEEPS_RANGE = new Set(['reshape', 'flatten', 'transpose', 'dropout', 'drop_path', 'upsample', 'maxpool', 'avgpool']);

function lastActivation(g: Graph, node: GraphNode, depth = 0): string | undefined {
  if (node.kind === 'layer') {
    if (node.op === 'tanh' || node.op === 'sigmoid') return node.op;
    const from = node.inputs.length === 1 ? findNode(g, node.inputs[0]) : undefined;
    if (KEEPS_RANGE.has(node.op) && from && depth < 64) return lastActivation(g, from, depth + 1);
    const act = node.args.activation;
    return typeof act === 'string' ? act : node.op;
  }
  if (node.kind === 'group') {
    const body = node.runs[node.runs.length - 1]?.body;
    const last = body && findNode(body, body.outputs[0]);
    return last && depth < 64 ? lastActivation(body, last, depth + 1) : undefined;
  }
  return undefined;
}

/** Where the discriminator is named: `adversarial(D)` or `adversarial(discriminator = D)`. */
function discriminatorExpr(item: TrainDecl): Expr | undefined {
  const v = item.entries.find((e) => e.key.name === 'loss')?.value;
  if (v?.kind !== 'call') return undefined;
  return (v.args.find((a) => a.name?.name === 'discriminator') ?? v.args.find((a) => !a.name))?.value;
}

/** Whether two shapes are the same, a symbolic size matching any. */
function fits(a: Shape, b: Shape): boolean {
  return a.dims.length === b.dims.length && !!a.isInt === !!b.isInt && a.dims.every((d, i) => !d.isConst() || !b.dims[i].isConst() || d.equals(b.dims[i]));
}

/**
 * For a generator whose size is off: its `conv2d_transpose` layers with
 * `padding = valid`, which add max(kernel − stride, 0) to each side's size
 * (7 → 16 at kernel 4, stride 2) where `same` multiplies it by the stride
 * exactly (7 → 14).
 */
function transposeHint(g: Graph): string {
  const found: string[] = [];
  const visit = (graph: Graph, depth: number) => {
    for (const n of graph.nodes) {
      if (n.kind === 'layer' && n.op === 'conv2d_transpose' && n.args.padding === 'valid') {
        const k = n.args.kernel;
        const st = n.args.stride;
        const kernel = Array.isArray(k) ? k[0] : k;
        const stride = Array.isArray(st) ? st[0] : st;
        if (typeof kernel === 'number' && typeof stride === 'number' && kernel > stride && !found.includes(n.label)) found.push(n.label);
      } else if (n.kind === 'group' && depth < 8) for (const r of n.runs) visit(r.body, depth + 1);
    }
  };
  visit(g, 0);
  if (found.length === 0) return '';
  const which = found.length === 1 ? found[0] : `${found.slice(0, -1).join(', ')} and ${found[found.length - 1]}`;
  return ` With padding = valid, ${which} add${found.length === 1 ? 's' : ''} max(kernel − stride, 0) to the size; with padding = same a conv2d_transpose multiplies it by its stride exactly (7 → 14 at stride 2).`;
}

/**
 * `, or make the generator give [28, 28, 1] (…)`: when the discriminator's
 * image size may be the one meant (no data fixes another: `sizeFixed` is
 * false) and the generator's valid transposed convolutions overshoot it
 * (what `padding = same` takes away; a generator short of it is not theirs).
 */
function generatorAlternative(dIn: Shape, gOut: Shape, g: Graph, sizeFixed: boolean): string {
  if (sizeFixed || dIn.isInt || dIn.dims.length !== 3 || gOut.dims.length !== 3) return '';
  const over = [0, 1].map((i) => {
    const [a, b] = [gOut.dims[i].value, dIn.dims[i].value];
    return a === undefined || b === undefined ? undefined : a - b;
  });
  if (over.some((d) => d === undefined || d < 0) || !over.some((d) => d! > 0)) return '';
  const hint = transposeHint(g);
  return hint ? `, or make the generator give ${shapeToString(dIn)}:${hint.replace(' With', ' with').replace(/\.$/, '')}` : '';
}

/** The data source written so that it gives images of `shape`, when one option does it. */
function sizeHint(kind: string, shape: Shape): string {
  const [h, w, c] = shape.dims.map((d) => d.value);
  if (shape.dims.length !== 3 || h === undefined || w === undefined) return '';
  if (kind === 'digits' && c === 1 && h === w) return ` Use digits(size = ${h}).`;
  if (kind === 'shapes' && c === 3 && h === w) return ` Use shapes(size = ${h}).`;
  if (kind === 'images' && (c === 1 || c === 3)) return ` Use images(..., size = [${h}, ${w}]${c === 1 ? ', grayscale = true' : ''}).`;
  return '';
}

/** Checks the generator, the discriminator and the data of a `loss: adversarial` section. */
export function checkAdversarial(item: TrainDecl, config: TrainConfig, model: ModelInfo, models: ReadonlyMap<string, ModelInfo>, err: Err): void {
  const adversarial = config.adversarial;
  if (!adversarial) return;
  unusedSettings(item, err);
  const lossAt = item.entries.find((e) => e.key.name === 'loss')?.value.range ?? item.name.range;
  const nameExpr = discriminatorExpr(item);
  const nameAt: Range = nameExpr?.range ?? lossAt;
  const decl = (m: ModelInfo, message: string) => ({ message, range: m.nameRange, uri: m.uri });

  // The discriminator: another model of this file.
  const disc = models.get(adversarial.discriminator);
  if (!disc) {
    const others = [...models.keys()].filter((n) => n !== model.name);
    const options = suggest(adversarial.discriminator, others);
    const list = options.length === 0 && others.length ? ` Models: ${others.join(', ')}.` : '';
    err(
      'train.adversarial_model',
      `there is no model '${adversarial.discriminator}' in this file to be the discriminator.${didYouMean(options)}${list}${others.length ? '' : ' Add a model that takes an image and gives one value, [1].'}`,
      nameAt,
      options.map((o, i) => ({ title: `Change to '${o}'`, edits: [{ range: nameAt, newText: o }], preferred: i === 0 })),
    );
    return;
  }
  if (disc === model || disc.name === model.name) {
    err(
      'train.adversarial_model',
      `'${model.name}' cannot be its own discriminator: a GAN plays two models against each other. Name a second model that takes '${model.name}'’s images and gives one value, [1].`,
      nameAt,
    );
    return;
  }
  // Its own errors are reported where they are; its shapes are not known well enough to judge.
  if (disc.hasErrors) return;

  // The generator's noise.
  let ok = true;
  if (model.inputs.length !== 1) {
    err(
      'train.adversarial_noise',
      `the generator '${model.name}' takes ${model.inputs.length} inputs (${model.inputs.map((i) => `'${i.name}'`).join(', ')}); a GAN's generator takes one, the noise, e.g. input z: [100].`,
      item.name.range,
      undefined,
      { related: model.inputs.map((i) => ({ message: `input '${i.name}'`, range: i.range, uri: model.uri })) },
    );
    ok = false;
  } else {
    const z = model.inputs[0];
    if (z.shape.isInt || !z.shape.dims.every((d) => d.isConst())) {
      err(
        'train.adversarial_noise',
        `the generator's input '${z.name}' is ${shapeToString(z.shape)}; it is fed noise drawn from N(0, 1), so it takes numbers of fixed sizes, e.g. input ${z.name}: [100].`,
        item.name.range,
        undefined,
        { related: [{ message: `input '${z.name}' is declared here`, range: z.range, uri: model.uri }] },
      );
      ok = false;
    }
  }

  // The discriminator: one image in, one value out.
  if (disc.inputs.length !== 1) {
    err(
      'train.adversarial_discriminator',
      `the discriminator '${disc.name}' takes ${disc.inputs.length} inputs; it takes one, an image (real or generated).`,
      nameAt,
      undefined,
      { related: [decl(disc, `'${disc.name}' is declared here`)] },
    );
    return;
  }
  const dOut = disc.outputs[0]?.shape;
  if (disc.outputs.length !== 1 || !dOut || dOut.dims.length !== 1 || !dOut.dims[0].equals(1)) {
    err(
      'train.adversarial_discriminator',
      `the discriminator '${disc.name}' gives ${dOut ? shapeToString(dOut) : 'no output'} per image; it must give one value, [1] — end it with dense(1) (with sigmoid for a probability, or without for a logit).`,
      nameAt,
      undefined,
      { related: [decl(disc, `'${disc.name}' is declared here`)] },
    );
    ok = false;
  }

  const gOut = model.outputs[0]?.shape;
  if (!gOut || model.outputs.length !== 1) {
    err('train.adversarial_shape', `the generator '${model.name}' must have one output, the image it makes.`, item.name.range);
    return;
  }

  // The data: images of the generator's output shape.
  const data = config.data;
  /** The data and the discriminator take one size, the generator makes another: said once, at the data. */
  let generatorOff = false;
  /** The data gives images of one size (`digits(size = 28)`): the generator must make that one. */
  let sizeFixed = false;
  const dataAt = item.entries.find((e) => e.key.name === 'data')?.value.range ?? item.name.range;
  if (data && !IMAGE_SOURCES.includes(data.kind)) {
    err('train.adversarial_data', `a GAN learns to make images, but ${data.kind} gives ${data.kind === 'csv' ? 'table rows' : 'sequences'}; use digits(...), shapes(...) or images("folder").`, dataAt);
    ok = false;
  } else if (data) {
    // train.ts imports this file; its table is read at call time, so the cycle is harmless.
    const example = DATA_SOURCES.find((d) => d.name === data.kind)?.example?.(data.options);
    sizeFixed = example !== undefined && !('sizeFromModel' in data && data.sizeFromModel === true);
    if (example && !fits(example, gOut)) {
      // The data and the discriminator agree: the generator is the one to change (one error, not two).
      const dIn = disc.inputs[0];
      generatorOff = !dIn.shape.isInt && fits(example, dIn.shape);
      const hint = generatorOff
        ? ` The discriminator '${disc.name}' takes ${shapeToString(dIn.shape)} too: change the generator to make ${shapeToString(example)}.${transposeHint(model.graph)}`
        : sizeHint(data.kind, gOut);
      err(
        'train.data_shape',
        `${data.kind} gives images of ${shapeToString(example)}, but the generator '${model.name}' makes ${shapeToString(gOut)}.${hint}`,
        dataAt,
        undefined,
        { related: [{ message: `'${model.name}'’s output`, range: model.outputs[0].range, uri: model.uri }] },
      );
      ok = false;
    }
  }

  // The discriminator judges the generator's images: the same shape in.
  const dIn = disc.inputs[0];
  if (generatorOff) ok = false;
  else if (dIn.shape.isInt || !fits(gOut, dIn.shape)) {
    err(
      'train.adversarial_shape',
      `the discriminator '${disc.name}' takes ${shapeToString(dIn.shape)}, but the generator '${model.name}' makes ${shapeToString(gOut)}; the discriminator judges the generator's images (and real ones of the same shape), so declare input ${dIn.name}: ${shapeToString(gOut)}${generatorAlternative(dIn.shape, gOut, model.graph, sizeFixed)}.`,
      nameAt,
      undefined,
      {
        related: [
          { message: `input '${dIn.name}' of '${disc.name}'`, range: dIn.range, uri: disc.uri },
          { message: `'${model.name}'’s output`, range: model.outputs[0].range, uri: model.uri },
        ],
      },
    );
    ok = false;
  }
  if (!ok) return;

  if (generatorRange(model) === 'unbounded') {
    err(
      'train.adversarial_range',
      `the generator '${model.name}' does not end in tanh or sigmoid, so its pixels are not bounded; real images are scaled to [-1, 1] for it. End it with tanh (or sigmoid, for [0, 1]).`,
      model.outputs[0].range,
      undefined,
      { severity: 'warning' },
    );
  }
}

/**
 * `metrics: [accuracy]` and `validation: 0.2` in a GAN's section: training
 * reports g_loss, d_loss, d_real and d_fake and holds nothing out (every
 * example trains the discriminator), so both would be ignored without a
 * word. A warning on each, with the fix that removes the setting.
 */
function unusedSettings(item: TrainDecl, err: Err): void {
  item.entries.forEach((e, i) => {
    const key = e.key.name;
    if (key !== 'metrics' && key !== 'validation') return;
    const before = item.entries[i - 1];
    const after = item.entries[i + 1];
    const range = before ? { start: before.range.end, end: e.range.end } : after ? { start: e.range.start, end: after.range.start } : e.range;
    const fix = { title: `Remove ${key}`, edits: [{ range, newText: '' }], preferred: true };
    err(
      'train.adversarial_setting',
      key === 'metrics'
        ? 'metrics are not used by loss: adversarial: a GAN has no classes to score; its training reports g_loss, d_loss, d_real and d_fake (and the diversity of its samples). Remove metrics.'
        : 'validation is not used by loss: adversarial: a GAN holds no examples out (every example trains the discriminator, and no held-out score measures a generator). Remove validation.',
      e.key.range,
      [fix],
      { severity: 'warning' },
    );
  });
}
