/**
 * `nnmodel summary FILE`: per model, a layer table like torchinfo's and the
 * totals (parameters, MACs, memory), as text or JSON.
 */
import { MAX_SUMMARY_ROWS, expandedRowCount, formatBytes, internalActivations, summaryRows, trainingMemory, type SummaryRow } from '../core/analysis/summary';
import { Sym, formatCount, shapeToString, type Shape } from '../core/analysis/sym';
import type { Graph, GraphNode, ModelInfo, TrainInfo } from '../core/analysis/types';
import { dimSizes } from '../core/analysis/sizes';
import { analyzeWithDims } from '../core/analysis/boundDims';
import { parse } from '../core/syntax/parser';
import { NOT_TRAINED, PLAIN_WEIGHTS, layerWeights, weightLabel, type LayerWeights } from '../core/analysis/weights';
import { UsageError, optionValue, positiveInt, type ParsedArgs } from './args';
import { EXIT, type CliIO, type Command } from './command';
import { analyzeFile, formatDiagnostic, locate, sortDiagnostics, type LocatedDiagnostic } from './diagnostics';
import { displayPath, importBase, importReader } from './files';
import { keyValues, renderTable } from './table';

const DEFAULT_BATCH = 32;

export const summaryCommand: Command = {
  name: 'summary',
  synopsis: 'FILE [--model NAME] [--json] [--weights] [--batch N] [--dim NAME=N]... [--depth N]',
  summary: 'print each model\'s layers, shapes, parameters, MACs and memory',
  description: [
    'For each model in FILE (or only --model NAME), prints one row per layer: its name',
    '(block bodies indented under the block; a repeated block reads `gpt_block × 12`), its',
    'source line, output shape, parameters, MACs and receptive field (as receptiveField of',
    '--json, below); then the totals: trainable, non-trainable and total parameters, MACs of',
    'one example\'s forward pass, and memory: parameter bytes, activation bytes for one',
    'example and an estimate for training with Adam at --batch N (float32). A group row',
    'counts all its repeats; the rows under it show one repeat, or, where the copies differ',
    '(a DenseNet block whose copies grow wider), one row per run of equal copies ("copies',
    '2–6 of 6", kind "copies" in --json, its repeat the number of copies) with one copy under',
    'it. Block bodies that would list more than 100,000 rows (blocks calling blocks several',
    'times each, many levels deep) are not listed: the model is shown at its top level, with',
    'a note.',
    '',
    'Symbolic dimensions (`input tokens: int[seq]`) stay formulas, e.g. `18,432·seq² + ...`,',
    'unless given a value with --dim seq=1024: the model is then analysed at that size, so a',
    'size it cannot take is an error, as for a fixed size (the train section keeps its own).',
    '',
    'With --json, prints {"models": [...]}: shapes are arrays whose symbolic dimensions are',
    'strings (["seq", 50257]); counts are numbers, or formula strings where symbolic. Each',
    'model has "hasErrors" (true: errors cut the analysis short, and the counts cover only',
    'what was analysed); each input its "dtype", "int" (token ids, int[seq]) or "float". Each',
    'layer also has its receptiveField: "14 × 14 /2" (a window of the input moving 2 per',
    'output position), "61 past" (causal), "all", "all earlier", or null. Each layer lists its',
    'weights: [{"name": "kernel", "shape": [5, 5, 1, 6], "params": 150, "trainable": true}, ...],',
    'whose params add up to the layer\'s; a layer object\'s later uses have none of their own',
    'and, like unembed(wte), name the objects whose weights they use in "sharesWeightsOf".',
    '',
    'With --weights, the table has one indented line per weight under each layer.',
    '',
    'Diagnostics go to stderr. When the file has errors the summary of what could be',
    'analysed is still printed (the counts then cover only that part) and the exit code is 1.',
  ].join('\n'),
  options: [
    { name: 'model', short: 'm', value: 'NAME', help: 'only this model' },
    { name: 'json', help: 'print JSON instead of a table' },
    { name: 'weights', help: 'list each layer\'s weights (name, shape, count) under it in the table' },
    { name: 'batch', short: 'b', value: 'N', help: `batch size of the training memory estimate (default ${DEFAULT_BATCH})` },
    { name: 'dim', short: 'd', value: 'NAME=N', repeat: true, help: 'give a symbolic dimension a value (repeatable)' },
    { name: 'depth', value: 'N', help: 'show block bodies down to this nesting depth (0: top level only)' },
  ],
  run(args, io) {
    return runSummary(args, io);
  },
};

interface Settings {
  batch: number;
  env: Record<string, number>;
  depth: number;
  /** `--weights`: one table line per weight under each layer. */
  weights: boolean;
  /** The file's train sections (the sizes they train at are named in the notes). */
  trains: readonly TrainInfo[];
}

function runSummary(args: ParsedArgs, io: Required<CliIO>): number {
  if (args.positional.length !== 1) throw new UsageError('summary needs exactly one FILE');
  const path = displayPath(args.positional[0]);
  const batchText = optionValue(args, 'batch');
  const depthText = optionValue(args, 'depth');
  const settings: Settings = {
    batch: batchText === undefined ? DEFAULT_BATCH : positiveInt(batchText, 'batch'),
    env: parseDims(args.values.get('dim') ?? []),
    depth: depthText === undefined ? Infinity : nonNegativeInt(depthText, 'depth'),
    weights: args.flags.has('weights'),
    trains: [],
  };
  const r = analyzeFile(args.positional[0], io.cwd);
  if (!r.ok) {
    io.stderr(`${path}: cannot read: ${r.reason}\n`);
    return EXIT.usage;
  }
  settings.trains = r.analysis.trains;
  const wanted = optionValue(args, 'model');
  let models = r.analysis.models;
  if (wanted !== undefined) {
    models = models.filter((m) => m.name === wanted);
    if (models.length === 0) {
      const names = r.analysis.models.map((m) => m.name);
      const other = names.find((n) => n.toLowerCase() === wanted.toLowerCase());
      if (other !== undefined) throw new UsageError(`no model '${wanted}' in ${path}; names are case-sensitive: did you mean '${other}'?`);
      throw new UsageError(`no model '${wanted}' in ${path}${names.length ? ` (models: ${names.join(', ')})` : ''}`);
    }
  }

  checkDims(settings.env, models, path);

  let analysis = r.analysis;
  if (Object.keys(settings.env).length > 0 && models.length > 0) {
    // Analysed again at the sizes given, so every shape rule is checked at them: a size the
    // model cannot take is the error a fixed size would get, not a negative shape or count.
    const names = new Set(models.map((m) => m.name));
    analysis = analyzeWithDims(r.text, { uri: path, readImport: importReader(io.cwd), importBase: importBase(args.positional[0]) }, settings.env, names);
    models = analysis.models.filter((m) => names.has(m.name));
  }

  const diags = sortDiagnostics(dimDiagnostics(r.text, path, locate(path, analysis), locate(path, r.analysis), settings.env), [path]);
  for (const d of diags) io.stderr(formatDiagnostic(d) + '\n');
  const hasErrors = diags.some((d) => d.diagnostic.severity === 'error');

  if (args.flags.has('json')) {
    for (const m of models) {
      const note = tooManyRowsNote(m, settings);
      if (note) io.stderr(`Note: ${note}\n`);
    }
    io.stdout(prettyJson({ models: models.map((m) => modelJson(m, settings)) }) + '\n');
  } else if (models.length === 0) {
    io.stdout(`${path} defines no model.\n`);
  } else {
    io.stdout(models.map((m) => modelTable(m, path, settings)).join('\n'));
  }
  return hasErrors ? EXIT.problems : EXIT.ok;
}

/**
 * The diagnostics of the analysis at the `--dim` sizes, `bound`; one the file
 * does not have without them says the sizes it comes from
 * (`... (with --dim seq=3)`), as `nnmodel check` of the file does not report
 * it. A train section keeps the diagnostics of the file as written: its data
 * fixes the sizes it trains at (`context = 64`), which `--dim` does not change.
 */
function dimDiagnostics(
  text: string,
  path: string,
  bound: LocatedDiagnostic[],
  free: readonly LocatedDiagnostic[],
  env: Record<string, number>,
): LocatedDiagnostic[] {
  if (bound === free || Object.keys(env).length === 0) return bound;
  const trains = parse(text).items.filter((i) => i.kind === 'train').map((i) => i.range);
  const inTrain = (d: LocatedDiagnostic) =>
    d.file === path && trains.some((r) => d.diagnostic.range.start.offset >= r.start.offset && d.diagnostic.range.start.offset <= r.end.offset);
  const key = (d: LocatedDiagnostic) => `${d.file}:${d.diagnostic.range.start.offset}:${d.diagnostic.code}`;
  const known = new Set(free.map(key));
  const given = Object.entries(env).map(([n, v]) => `--dim ${n}=${v}`).join(' ');
  return [
    ...bound
      .filter((d) => !inTrain(d))
      .map((d) => (known.has(key(d)) ? d : { ...d, diagnostic: { ...d.diagnostic, message: `${d.diagnostic.message} (with ${given})` } })),
    ...free.filter(inTrain),
  ];
}

/** `--depth`: a whole number, 0 included (0: top level only). */
function nonNegativeInt(text: string, option: string): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`option '--${option}' needs a whole number, 0 or more (0: top level only), got '${text}'`);
  return n;
}

/** Every `--dim NAME=N` must name a symbolic dimension of a model summarised: a typo would otherwise change nothing, silently. */
function checkDims(env: Record<string, number>, models: readonly ModelInfo[], path: string): void {
  const have = new Set(models.flatMap((m) => m.symbols));
  const unknown = Object.keys(env).filter((n) => !have.has(n));
  if (unknown.length === 0 || models.length === 0) return;
  const names = unknown.map((n) => `'${n}'`).join(', ');
  const dims = (m: ModelInfo) => (m.symbols.length ? m.symbols.join(', ') : 'none (all its sizes are numbers)');
  if (models.length === 1) {
    const m = models[0];
    throw new UsageError(`model ${m.name} has no dimension ${names}; its dimensions: ${dims(m)}`);
  }
  throw new UsageError(`no model of ${path} has a dimension ${names}; their dimensions: ${models.map((m) => `${m.name}: ${dims(m)}`).join('; ')}`);
}

/** The largest size `--dim` takes: the analysis's largest dimension (LIMITS.maxDim). */
const MAX_DIM = 2 ** 31 - 1;

function parseDims(list: readonly string[]): Record<string, number> {
  const env: Record<string, number> = {};
  for (const item of list) {
    // One message for every size it cannot take: 0, -1, 1.5, x, or beyond what any runtime allows.
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=([1-9][0-9]*)$/.exec(item);
    const n = m ? Number(m[2]) : NaN;
    if (!m || !(n <= MAX_DIM)) throw new UsageError(`option '--dim' needs NAME=N with N a whole number from 1 to ${MAX_DIM.toLocaleString('en-US')}, got '${item}'`);
    env[m[1]] = n;
  }
  return env;
}

/** The value of `s` with the given dimension values, or `s` itself where they do not suffice. */
function withDims(s: Sym, env: Record<string, number>): Sym {
  if (s.isConst()) return s;
  const v = s.evaluate(env);
  return v === undefined ? s : Sym.of(v);
}

function shapeWithDims(shape: Shape, env: Record<string, number>): Shape {
  return { ...shape, dims: shape.dims.map((d) => withDims(d, env)) };
}

// --------------------------------------------------------------------- JSON

type JsonCount = number | string;

/** Indented JSON with arrays of scalars (shapes) kept on one line. */
export function prettyJson(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    const inner = indent + '  ';
    return `[\n${value.map((v) => inner + prettyJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const inner = indent + '  ';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${prettyJson(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function count(s: Sym, env: Record<string, number>): JsonCount {
  return withDims(s, env).toJSON();
}

function shapeJson(shape: Shape, env: Record<string, number>): JsonCount[] {
  return shape.dims.map((d) => count(d, env));
}

/** `[seq, 768]` → ["seq", 768]: the fallback when a row has no node. */
function shapeTextJson(text: string): JsonCount[] {
  const inner = text.replace(/^int/, '').slice(1, -1).trim();
  if (!inner) return [];
  return inner.split(',').map((d) => {
    const t = d.trim();
    return /^-?[0-9]+$/.test(t) ? Number(t) : t;
  });
}

/** Block bodies are listed: --depth allows it and they fit in {@link MAX_SUMMARY_ROWS}. */
function expands(m: ModelInfo, s: Settings): boolean {
  return s.depth > 0 && expandedRowCount(m) <= MAX_SUMMARY_ROWS;
}

/** The note on a model whose block bodies are too many rows to list, or undefined. */
function tooManyRowsNote(m: ModelInfo, s: Settings): string | undefined {
  if (s.depth === 0 || expands(m, s)) return undefined;
  return (
    `the block bodies of ${m.name} expand to more than ${MAX_SUMMARY_ROWS.toLocaleString('en-US')} rows: shown at the top level only ` +
    '(each block a row with its totals, as --depth 0 shows them).'
  );
}

/**
 * A summary row with the graph node it describes (for its shape as dimensions),
 * or, kind `copies`, the row over one run of equal copies of a repeated group
 * whose copies differ (`copies 2–6 of 6`), with that run's totals.
 */
interface Row extends Omit<SummaryRow, 'kind'> {
  kind: SummaryRow['kind'] | 'copies';
  node?: GraphNode;
  /** The output shape of a `copies` row (its run's last copy). */
  outShape?: Shape;
}

/**
 * The rows of `summaryRows`, each paired with its node. Node ids restart in
 * every group body, so rows are matched by walking the graph in the same
 * order summaryRows does rather than by id. Where the copies of a repeated
 * group differ (DenseNet's `dense_layer * 6`, each copy wider: the analysis
 * keeps one body per run of equal copies), each run's body is listed under a
 * `copies` row of its own, so that every row under a group or a `copies` row
 * is one copy, counted `repeat` times above it.
 */
function rows(m: ModelInfo, s: Settings): Row[] {
  const expand = expands(m, s);
  const list = summaryRows(m, expand);
  const nodes: GraphNode[] = [];
  const runs: { at: number; end: number; group: number; label: string; count: number; body: Graph }[] = [];
  const walk = (g: Graph, top: boolean) => {
    for (const n of g.nodes) {
      if (n.kind === 'input' && !top) continue;
      nodes.push(n);
      if (n.kind !== 'group' || !expand) continue;
      const group = nodes.length - 1;
      let first = 1;
      for (const run of n.runs) {
        const at = nodes.length;
        walk(run.body, false);
        if (n.runs.length > 1) {
          const last = first + run.count - 1;
          const label = run.count === 1 ? `copy ${first} of ${n.repeat}` : `copies ${first}–${last} of ${n.repeat}`;
          runs.push({ at, end: nodes.length, group, label, count: run.count, body: run.body });
        }
        first += run.count;
      }
    }
  };
  walk(m.graph, true);
  const aligned = nodes.length === list.length && nodes.every((n, i) => n.id === list[i].id);
  if (!aligned) return list.map((r): Row => ({ ...r })).filter((r) => r.depth <= s.depth);
  // Each run row moves its body one level deeper; --depth still counts block nesting.
  const shift = new Array<number>(list.length).fill(0);
  for (const r of runs) for (let i = r.at; i < r.end; i++) shift[i]++;
  const before = new Map<number, Row[]>();
  for (const r of runs) {
    const g = list[r.group];
    if (g.depth + 1 > s.depth) continue;
    const t = bodyTotals(r.body);
    const out = r.body.nodes.find((n) => n.id === r.body.outputs[0]);
    const row: Row = {
      depth: g.depth + shift[r.group] + 1,
      kind: 'copies',
      label: r.label,
      op: g.op,
      line: g.line,
      shape: out ? shapeToString(out.shape) : '',
      outShape: out?.shape,
      trainable: t.trainable.mul(r.count),
      nonTrainable: t.nonTrainable.mul(r.count),
      macs: t.macs.mul(r.count),
      activationBytes: Sym.ZERO,
      internalBytes: Sym.ZERO,
      repeat: r.count,
      id: g.id,
      field: '',
    };
    before.set(r.at, [...(before.get(r.at) ?? []), row]);
  }
  const out: Row[] = [];
  list.forEach((r, i) => {
    out.push(...(before.get(i) ?? []));
    if (r.depth <= s.depth) out.push({ ...r, node: nodes[i], depth: r.depth + shift[i] });
  });
  return out;
}

/** Parameters and MACs of one copy of a group body (its groups count all their repeats). */
function bodyTotals(g: Graph): { trainable: Sym; nonTrainable: Sym; macs: Sym } {
  const counted = g.nodes.filter((n) => n.kind !== 'input');
  const sum = (f: (n: Exclude<GraphNode, { kind: 'input' }>) => Sym) => Sym.sum(counted.map((n) => f(n as Exclude<GraphNode, { kind: 'input' }>)), undefined, 0);
  return { trainable: sum((n) => n.params.trainable), nonTrainable: sum((n) => n.params.nonTrainable), macs: sum((n) => n.macs) };
}

function modelJson(m: ModelInfo, s: Settings) {
  const env = s.env;
  return {
    name: m.name,
    // Errors kept part of the model from being analysed: the counts cover only what was.
    hasErrors: m.hasErrors,
    // dtype: "int" for token ids (`int[seq]`, the input of an embedding), else "float".
    inputs: m.inputs.map((i) => ({ name: i.name, shape: shapeJson(i.shape, env), dtype: i.shape.isInt ? 'int' : 'float' })),
    outputs: m.outputs.map((o) => ({ shape: shapeJson(o.shape, env) })),
    params: {
      trainable: count(m.params.trainable, env),
      nonTrainable: count(m.params.nonTrainable, env),
      total: count(m.params.total, env),
    },
    macs: count(m.macs, env),
    memory: {
      paramBytes: count(m.memory.paramBytes, env),
      activationBytes: count(m.memory.activationBytes, env),
      // Of activationBytes, what layers keep inside themselves besides their outputs (attention's weights).
      activationBytesInsideLayers: count(internalActivations(m).bytes, env),
      training: { optimizer: 'adam', batch: s.batch, bytes: count(trainingMemory(m, s.batch), env) },
    },
    layers: rows(m, s).map((r) => ({
        name: r.label,
        kind: r.kind,
        op: r.op,
        line: r.line > 0 ? r.line : null,
        shape: r.node ? shapeJson(r.node.shape, env) : r.outShape ? shapeJson(r.outShape, env) : shapeTextJson(r.shape),
        params: {
          trainable: count(r.trainable, env),
          nonTrainable: count(r.nonTrainable, env),
          total: count(r.trainable.add(r.nonTrainable), env),
        },
        macs: count(r.macs, env),
        depth: r.depth,
        repeat: r.repeat ?? 1,
        receptiveField: r.field || null,
        ...weightsJson(r, m, env),
    })),
  };
}

/** A layer row's `weights` (and `sharesWeightsOf` when it uses a layer object's weights counted elsewhere); nothing for other rows. */
function weightsJson(r: Row, m: ModelInfo, env: Record<string, number>) {
  if (r.node?.kind !== 'layer') return {};
  const w = layerWeights(r.node, m);
  const shares = [...(w.sharedFrom ? [w.sharedFrom.object] : []), ...(w.uses ?? [])];
  return {
    weights: w.own.map((l) => ({ name: l.name, shape: (l.shape ?? []).map((d) => count(d, env)), params: count(l.params, env), trainable: l.trainable })),
    sharesWeightsOf: shares.length ? shares : undefined,
  };
}

// -------------------------------------------------------------------- table

/** `, of which 720.0 MiB inside attention layers` when layers keep tensors inside themselves; '' otherwise. */
function insideNote(m: ModelInfo, bytes: (x: Sym) => string): string {
  const inside = internalActivations(m);
  return inside.ops.length === 0 ? '' : `, of which ${bytes(inside.bytes)} inside ${inside.ops.join(' and ')} layers`;
}

/** `--weights`: the table lines under a layer row, one per weight (`· kernel [5, 5, 1, 6]` with its count). */
function weightRows(r: Row, m: ModelInfo, env: Record<string, number>): string[][] {
  if (r.node?.kind !== 'layer') return [];
  const w: LayerWeights = layerWeights(r.node, m);
  const indent = '  '.repeat(r.depth) + '  · ';
  const out: string[][] = w.own.map((l) => [
    `${indent}${weightLabel({ ...l, shape: (l.shape ?? []).map((d) => withDims(d, env)) }, PLAIN_WEIGHTS)}${l.trainable ? '' : NOT_TRAINED}`,
    '',
    '',
    formatCount(withDims(l.params, env)),
    '',
    '',
  ]);
  if (w.sharedFrom) {
    const at = w.sharedFrom.line ? `, counted on line ${w.sharedFrom.line}` : '';
    out.push([`${indent}shares ${w.sharedFrom.object}'s weights${at}`, '', '', '0', '', '']);
  }
  for (const u of w.uses ?? []) out.push([`${indent}uses ${u}'s weights, counted there`, '', '', '', '', '']);
  return out;
}

function modelTable(m: ModelInfo, path: string, s: Settings): string {
  const env = s.env;
  const list = rows(m, s);
  const table = renderTable(
    [
      { title: 'Layer', align: 'left', max: 48 },
      { title: 'Line', align: 'right' },
      { title: 'Output shape', align: 'left', max: 40 },
      { title: 'Params', align: 'right' },
      { title: 'MACs', align: 'right' },
      { title: 'Receptive field', align: 'left', max: 40 },
    ],
    list.flatMap((r) => [
      [
        '  '.repeat(r.depth) + r.label,
        r.line > 0 ? String(r.line) : '-',
        r.node ? shapeToString(shapeWithDims(r.node.shape, env)) : r.outShape ? shapeToString(shapeWithDims(r.outShape, env)) : r.shape,
        formatCount(withDims(r.trainable.add(r.nonTrainable), env)),
        formatCount(withDims(r.macs, env)),
        r.field,
      ],
      ...(s.weights ? weightRows(r, m, env) : []),
    ]),
  );
  const rule = '═'.repeat(table.width);
  const out: string[] = [];
  out.push(`${m.name}  (${path}:${m.nameRange.start.line + 1})`);
  out.push(rule, ...table.lines, rule);
  const bytes = (x: Sym) => formatBytes(withDims(x, env));
  out.push(
    ...keyValues([
      ['Trainable params', formatCount(withDims(m.params.trainable, env))],
      ['Non-trainable params', formatCount(withDims(m.params.nonTrainable, env))],
      ['Total params', formatCount(withDims(m.params.total, env))],
      ['MACs (one example)', formatCount(withDims(m.macs, env))],
      ['Parameter memory', bytes(m.memory.paramBytes)],
      ['Activations (one example)', bytes(m.memory.activationBytes) + insideNote(m, bytes)],
      [`Training, Adam, batch ${s.batch}`, bytes(trainingMemory(m, s.batch))],
    ]),
  );
  const notes: string[] = [];
  const tooMany = tooManyRowsNote(m, s);
  if (tooMany) notes.push(tooMany);
  else if (list.some((r) => r.kind === 'group' && (r.repeat ?? 1) > 1) && s.depth > 0) {
    notes.push(
      list.some((r) => r.kind === 'copies')
        ? 'A repeated group (× N) counts all its repeats; the rows under it show one repeat, or, where the copies differ, one row per run of equal copies (copies 2–6 of 6) with one copy under it.'
        : 'A repeated group (× N) counts all its repeats; the rows under it show one repeat.',
    );
  }
  const free = m.symbols.filter((name) => !Object.hasOwn(env, name));
  if (free.length > 0) {
    const trained = dimSizes(m, s.trains, {}).values;
    const atTrain = free.filter((n) => Object.hasOwn(trained, n));
    const trainNote = atTrain.length ? `; its train section trains at ${atTrain.map((n) => `${n} = ${trained[n]}`).join(', ')}: ${atTrain.map((n) => `--dim ${n}=${trained[n]}`).join(' ')}` : '';
    notes.push(`Symbolic dimensions: ${free.join(', ')} (give values with ${free.map((n) => `--dim ${n}=N`).join(' ')}${trainNote}).`);
  }
  if (m.hasErrors) notes.push('Errors prevented a full analysis: the counts cover only what could be analysed.');
  out.push(...notes.map((n) => `Note: ${n}`));
  return out.join('\n') + '\n';
}
