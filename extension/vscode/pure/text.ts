/**
 * Text the editor shows: signatures, hover markdown, inlay hint labels and
 * the model summary table. Pure functions of analysis results.
 *
 * Code spans hold what the user writes (a call, an expression, a name of
 * the source); shapes, counts and model names are plain text. VS Code draws
 * a code span in a hover with 0.4em of padding on each side and (in 1.100)
 * no background, so a span reads as extra spaces around it: text here never
 * puts punctuation right after one (`` `x`: `` reads as "x :").
 */
import type { Analysis, BlockInfoSummary, ModelInfo, Params, SiteInfo, SiteOutcome } from '../../core/analysis/types';
import { formatBytes, internalActivations, internalBytes, summaryRows, trainingMemory } from '../../core/analysis/summary';
import { describeField, modelFields } from '../../core/analysis/receptive';
import { singleConvText, type KernelStack } from '../../core/analysis/stacking';
import { MARKDOWN_WEIGHTS, groupWeightsLines, layerWeightsLines, type GroupWeights, type LayerWeights } from '../../core/analysis/weights';
import { formatCompact, formatCount, product, shapeToString, Sym, type Shape } from '../../core/analysis/sym';
import type { ArgSpec, ArgValue, LayerSpec } from '../../core/layers/types';
import { isRecurrent, RECURRENT_GATES } from '../../core/layers';
import type { SumOperands } from './sumOperands';
import type { TrainFn } from './trainSchema';
import type { Expr, SourceFile } from '../../core/syntax/ast';
import { sizesText, totalsAt, type DimSizes } from '../../core/analysis/sizes';

export function formatArgValue(v: ArgValue): string {
  if (v === null) return 'none';
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (typeof v === 'object') return v.name;
  return String(v);
}

/** `1e-5` for a small fraction, as the docs write it; other numbers as they are. */
function formatNumber(x: number): string {
  const plain = String(x);
  if (Number.isInteger(x) || Math.abs(x) >= 0.01) return plain;
  const exp = x.toExponential();
  return exp.length < plain.length ? exp : plain;
}

/**
 * The default as the layer's documentation writes it: `1`, `1e-3`; a
 * computed one as its `defaultText` (`size`, `dim/heads`); `none` for an
 * optional argument without one (a `tensor`, such as attention's `context`,
 * is never required); undefined when required.
 */
export function formatDefault(a: ArgSpec): string | undefined {
  if (a.defaultText !== undefined) return a.defaultText;
  if (typeof a.default === 'function') return 'auto';
  if (a.default !== undefined) {
    if (a.type === 'string' && typeof a.default === 'string') return JSON.stringify(a.default);
    if (typeof a.default === 'number') return formatNumber(a.default);
    return formatArgValue(a.default);
  }
  if (a.optional || a.type === 'tensor') return 'none';
  return undefined;
}

export function isRequired(a: ArgSpec): boolean {
  return a.default === undefined && !a.optional && a.type !== 'tensors' && a.type !== 'tensor';
}

/** A signature with the character ranges of its parameters (for signature help). */
export interface SignatureText {
  label: string;
  params: { label: [number, number]; name: string; doc: string }[];
}

function buildSignature(name: string, parts: { text: string; name: string; doc: string }[]): SignatureText {
  let label = `${name}(`;
  const params: SignatureText['params'] = [];
  parts.forEach((p, i) => {
    if (i > 0) label += ', ';
    params.push({ label: [label.length, label.length + p.text.length], name: p.name, doc: p.doc });
    label += p.text;
  });
  label += ')';
  return { label, params };
}

function argTypeText(a: ArgSpec): string {
  if (a.type === 'enum' && a.enum) return a.enum.join(' | ');
  if (a.type === 'tensors') return 'values...';
  return a.type;
}

export function layerSignature(spec: LayerSpec): SignatureText {
  return buildSignature(
    spec.name,
    spec.args.map((a) => {
      const d = formatDefault(a);
      const text = a.type === 'tensors' ? `${a.name}...` : d === undefined ? a.name : `${a.name} = ${d}`;
      return { text, name: a.name, doc: `\`${argTypeText(a)}\` — ${a.doc}` };
    }),
  );
}

/**
 * `block dec_layer(d, heads)`; with `named` (the block's inputs given by
 * name: all but the first, which the piped value fills) they follow the
 * parameters, `memory = <input>`, so signature help shows what else the call
 * needs (`dec_layer(512, 8, memory = enc)`).
 */
export function blockSignature(block: BlockInfoSummary, named: readonly string[] = []): SignatureText {
  const sig = buildSignature(block.name, [
    ...block.params.map((p) => ({ text: p.default === undefined ? p.name : `${p.name} = ${p.default}`, name: p.name, doc: '' })),
    ...named.map((n) => ({ text: `${n} = <input>`, name: n, doc: `input \`${n}\` of the block: a value, given by name (\`${n} = enc\`)` })),
  ]);
  return { label: `block ${sig.label}`, params: sig.params.map((p) => ({ ...p, label: [p.label[0] + 6, p.label[1] + 6] })) };
}

export function trainFnSignature(fn: TrainFn): SignatureText {
  return buildSignature(
    fn.name,
    fn.args.map((a) => ({ text: a.default === undefined ? a.name : `${a.name} = ${a.default}`, name: a.name, doc: a.doc })),
  );
}

/**
 * The parameter of a block call the cursor is on, in {@link blockSignature}'s
 * list (parameters, then the inputs given by name): a named input only by
 * its name, since values without a name fill the parameters alone.
 */
export function blockActiveParameter(
  params: readonly string[],
  named: readonly string[],
  call: { argIndex: number; positionalBefore: number; argName?: string; given: readonly string[] },
): number {
  if (call.argName !== undefined && named.includes(call.argName) && !params.includes(call.argName)) return params.length + named.indexOf(call.argName);
  return activeParameter(params, call);
}

/** Index of the parameter a call's cursor is on, or -1 when it fits none. */
export function activeParameter(
  names: readonly string[],
  call: { argIndex: number; positionalBefore: number; argName?: string; given: readonly string[] },
  variadic?: string,
): number {
  if (call.argName) return names.indexOf(call.argName);
  if (variadic && names[0] === variadic) return 0;
  // Positional arguments fill the parameters not yet given by name, in order.
  const free = names.filter((n) => !call.given.includes(n));
  const name = free[call.positionalBefore];
  return name === undefined ? -1 : names.indexOf(name);
}

/**
 * The parameters a call already has, besides the one the cursor is on: those
 * given by name, and those its positional arguments before the cursor fill
 * (the first free ones, in order), so `conv2d(8, 3, |` has `filters` and
 * `kernel`. A variadic first parameter (`concat(a, b, |`) takes every
 * positional argument and stays open.
 */
export function givenParameters(
  names: readonly string[],
  call: { positionalBefore: number; given: readonly string[] },
  variadic?: string,
): string[] {
  if (variadic && names[0] === variadic) return [...call.given];
  const free = names.filter((n) => !call.given.includes(n));
  return [...call.given, ...free.slice(0, call.positionalBefore)];
}

/** Snippet body for a call with its required arguments: `conv2d(${1:filters}, ${2:kernel})`. */
export function callSnippet(name: string, required: readonly string[]): string {
  if (required.length === 0) return name;
  return `${name}(${required.map((r, i) => `\${${i + 1}:${r}}`).join(', ')})`;
}

// --------------------------------------------------------------------- counts

export function totalParams(p: Params): Sym {
  return p.trainable.add(p.nonTrainable);
}

/** `156` or `2,432 (2,400 trainable, 32 non-trainable)`. */
export function formatParams(p: Params): string {
  const total = formatCount(totalParams(p));
  if (p.nonTrainable.equals(0)) return total;
  return `${total} (${formatCount(p.trainable)} trainable, ${formatCount(p.nonTrainable)} non-trainable)`;
}

/** `416,520 (416.5K)` when compact differs, else the count; a formula once, every digit (`1,024·seq² + 794,624·seq`). */
export function formatCountWithCompact(x: Sym): string {
  const full = formatCount(x);
  if (!x.isConst()) return full;
  const compact = formatCompact(x);
  return compact === full ? full : `${full} (${compact})`;
}

function shapes(list: readonly Shape[]): string {
  return list.map(shapeToString).join(', ');
}

/** `[28, 28, 6] → [14, 14, 6]`: shapes as plain text (see the note on code spans at the top of this file). */
function flowLine(site: SiteInfo): string | undefined {
  if (!site.outShape) return site.inShapes.length ? `in ${shapes(site.inShapes)}` : undefined;
  const out = shapeToString(site.outShape);
  return site.inShapes.length ? `${shapes(site.inShapes)} → ${out}` : `→ ${out}`;
}

function countsLines(site: SiteInfo): string[] {
  const lines: string[] = [];
  if (site.params) lines.push(`Parameters: **${formatParams(site.params)}**`);
  if (site.macs) lines.push(`MACs: **${formatCountWithCompact(site.macs)}**`);
  return lines;
}

/** Layers that slide one kernel over every position of their input. */
const SHARING_LAYERS = new Set(['conv1d', 'conv2d']);

/**
 * Parameter sharing, the argument for convolutions: one kernel is applied
 * at every output position, where a dense layer between the same values
 * would have a weight per (input value, output value) pair and a bias per
 * output: "the same 10 parameters at each of the 36 output positions; a
 * dense layer from the 36 input values to the 36 output values would need
 * 36·36 + 36 = 1,332 (133× as many)". Only for fixed sizes (a dense layer
 * cannot take a symbolic length), a conv with its own weights (not a later
 * use of a shared object) and more than one output position.
 */
function sharingLine(site: SiteInfo): string | undefined {
  if (isRecurrent(site.name)) return recurrentSharingLine(site);
  if (!SHARING_LAYERS.has(site.name) || !site.params || !site.outShape || site.inShapes.length !== 1) return undefined;
  const params = totalParams(site.params);
  const input = product(site.inShapes[0].dims);
  const output = product(site.outShape.dims);
  const positions = product(site.outShape.dims.slice(0, -1));
  if (!params.isConst() || !input.isConst() || !output.isConst() || !positions.isConst()) return undefined;
  const [p, n, m, at] = [params.value!, input.value!, output.value!, positions.value!];
  if (p === 0 || at < 2) return undefined;
  const dense = n * m + m;
  const times = dense / p;
  const ratio = times >= 10 ? `${formatCount(Math.round(times))}×` : `${(Math.round(times * 10) / 10).toString()}×`;
  return `Parameter sharing: the same ${formatCount(p)} parameters at each of the ${formatCount(at)} output positions; a dense layer from the ${formatCount(n)} input values to the ${formatCount(m)} output values would need ${formatCount(n)}·${formatCount(m)} + ${formatCount(m)} = **${formatCount(dense)}** (${ratio} as many)`;
}

const COUNT_WORDS = ['', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'];

/**
 * The course's "two 3×3 kernels see what one 5×5 sees, for fewer
 * parameters": on the last convolution of a stacked run, "Stacked kernels:
 * with the conv2d(64, 3) on line 12, two 3×3 kernels see 5×5 input
 * positions, as one conv2d(64, 5) would, with **73,856** parameters against
 * 102,464 (0.72× as many) and 73,728 MACs per position against 102,400, with
 * relu between them, which one convolution cannot have".
 */
export function stackLine(stack: KernelStack): string {
  const size = (k: readonly number[]) => (k.length === 1 ? `${k[0]}` : k.join('×'));
  const first = stack.convs[0];
  const sameKernels = stack.kernels.every((k) => size(k) === size(stack.kernels[0]));
  const n = stack.convs.length;
  // "two 3×3 kernels"; along steps, "two 3-step kernels", or "kernels spanning 3 and 5 steps" (a dilated one spans more than its taps).
  const steps = stack.window.length === 1;
  const sizes = stack.kernels.map(size);
  const kernels = sameKernels
    ? `${COUNT_WORDS[n] ?? n} ${sizes[0]}${steps ? '-step' : ''} kernels`
    : `kernels spanning ${sizes.slice(0, -1).join(', ')} and ${sizes[sizes.length - 1]}${steps ? ' steps' : ''}`;
  const unit = stack.window.length === 1 ? ' steps' : ' input positions';
  const before = n === 2 ? `the \`${first.label}\` on line ${first.range.start.line + 1}` : `the ${n - 1} convolutions before it (from line ${first.range.start.line + 1})`;
  const ratio = stack.params / stack.singleParams;
  const between = [...new Set(stack.nonlinear)];
  const tail = between.length
    ? `, with ${between.join(' and ')} between them, which one convolution cannot have`
    : '; with nothing nonlinear between them, the run computes no more than that one convolution could';
  return (
    `Stacked kernels: with ${before}, ${kernels} see ${size(stack.window)}${unit}, as one \`${singleConvText(stack)}\` would, ` +
    `with **${formatCount(stack.params)}** parameters against ${formatCount(stack.singleParams)} (${ratio.toFixed(2)}× as many) ` +
    `and ${formatCount(stack.macsPerPosition)} MACs per position against ${formatCount(stack.singleMacsPerPosition)}${tail}`
  );
}

/**
 * Weight sharing across time, the recurrent layer's own parameter sharing:
 * one cell, (y, s_t+1) = f(x_t, s_t), applied at every step of the sequence:
 * "the same 49,920 parameters at each of the 100 steps (the state carries
 * the earlier steps forward); separate weights per step would need 100 ×
 * 49,920 = 4,992,000". The step count may be symbolic (`seq`).
 */
function recurrentSharingLine(site: SiteInfo): string | undefined {
  if (!site.params || site.inShapes.length !== 1 || site.inShapes[0].dims.length !== 2) return undefined;
  const params = totalParams(site.params);
  if (!params.isConst() || params.value === 0) return undefined;
  const p = params.value!;
  const steps = site.inShapes[0].dims[0];
  if (steps.isConst() && steps.value! < 2) return undefined;
  const stepsText = steps.isConst() ? formatCount(steps.value!) : `\`${steps}\``;
  const head = bidirectionalSite(site, p)
    ? `Weight sharing across time: each direction's ${formatCount(p / 2)} parameters at each of the ${stepsText} steps (the forward state carries the earlier steps forward, the backward state the later ones back)`
    : `Weight sharing across time: the same ${formatCount(p)} parameters at each of the ${stepsText} steps (the state carries the earlier steps forward)`;
  return steps.isConst() ? `${head}; separate weights per step would need ${formatCount(steps.value!)} × ${formatCount(p)} = **${formatCount(steps.value! * p)}**` : head;
}

/**
 * Whether a recurrent site is `bidirectional = true` (the site keeps no
 * arguments): its `p` parameters are two cells of half its output width,
 * `2·gates·u·(features + u + 1)` with `u = width / 2`, which one cell of the
 * whole width never has.
 */
function bidirectionalSite(site: SiteInfo, p: number): boolean {
  const width = site.outShape?.dims[site.outShape.dims.length - 1]?.value;
  const features = site.inShapes[0]?.dims[1]?.value;
  const gates = RECURRENT_GATES[site.name];
  if (width === undefined || features === undefined || gates === undefined || width % 2 !== 0) return false;
  const u = width / 2;
  return p === 2 * gates * u * (features + u + 1);
}

/**
 * A call's figures at the sizes of its model's symbolic dimensions, when
 * its shape or MACs depend on them: `At seq = 1,024: → [1024, 768] · MACs
 * 2.4G · activations per example 48.0 MiB` (a layer's activations: its
 * output and what it keeps inside, as `activationLines`).
 */
export function siteSizesLine(site: SiteInfo, sizes: Readonly<Record<string, number>> | undefined, activations: boolean): string | undefined {
  if (!sizes || !site.outShape) return undefined;
  const symbolic = !site.outShape.dims.every((d) => d.isConst()) || (site.macs !== undefined && !site.macs.isConst());
  if (!symbolic) return undefined;
  const dims = site.outShape.dims.map((d) => d.evaluate(sizes));
  const macs = site.macs?.evaluate(sizes);
  const bytes = activations ? product(site.outShape.dims).mul(4).add(internalBytes(site.internal)).evaluate(sizes) : undefined;
  if (dims.some((d) => d === undefined) || (site.macs !== undefined && macs === undefined) || (activations && bytes === undefined)) return undefined;
  // The sizes this call depends on: the names in its formulas' atoms (a floor atom's formula names them too).
  const names = new Set([...site.outShape.dims, site.macs ?? Sym.ZERO].flatMap((x) => x.atoms().flatMap((a) => a.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [])));
  const used = Object.keys(sizes).filter((n) => names.has(n));
  const at = sizesText(Object.fromEntries(used.map((n) => [n, sizes[n]])));
  const figures = [`→ ${shapeToString({ ...site.outShape, dims: dims.map((d) => Sym.of(d!)) })}`];
  if (macs !== undefined) figures.push(`MACs **${formatCountWithCompact(Sym.of(macs))}**`);
  if (bytes !== undefined) figures.push(`activations per example **${formatBytes(bytes)}**`);
  return `At ${at}: ${figures.join(' · ')}`;
}

/**
 * For a layer that keeps tensors inside itself (attention), its activations
 * for one example: the output and each kept tensor, as count × 4 B.
 * Consecutive tensors of one shape share a line. None for other layers.
 */
function activationLines(site: SiteInfo): string[] {
  const internal = site.internal;
  if (!internal || internal.length === 0 || !site.outShape) return [];
  const output = product(site.outShape.dims);
  const lines = [`Activations per example: **${formatBytes(output.mul(4).add(internalBytes(internal)))}**, its output and what it keeps for the backward pass:`];
  lines.push(`· output ${shapeToString(site.outShape)}: ${bytesOf(output, 1)}`);
  for (let i = 0; i < internal.length; ) {
    let j = i + 1;
    while (j < internal.length && sameDims(internal[j].shape, internal[i].shape)) j++;
    const names = internal.slice(i, j).map((t) => t.name).join(', ');
    lines.push(`· ${names} ${shapeToString({ dims: internal[i].shape })}: ${bytesOf(product(internal[i].shape), j - i)}`);
    i = j;
  }
  return lines;
}

/** `12·seq² × 4 B`, `4 × 768·seq × 4 B`, `(64·seq + 64) × 4 B`, `12,582,912 × 4 B = 48.0 MiB`. */
function bytesOf(values: Sym, times: number): string {
  const count = formatCount(values);
  // A sum is one factor: bracketed, else `64·seq + 64 × 4 B` reads as 64·seq + 256 bytes.
  const factor = / [+−-] /.test(count) ? `(${count})` : count;
  const text = `${times > 1 ? `${times} × ` : ''}${factor} × 4 B`;
  return values.isConst() ? `${text} = ${formatBytes(values.mul(4 * times))}` : text;
}

function sameDims(a: readonly Sym[], b: readonly Sym[]): boolean {
  return a.length === b.length && a.every((d, i) => d.equals(b[i]));
}

/** `, of which 576·seq² + 147,456·seq B inside attention layers` when layers keep tensors inside themselves; '' otherwise. */
function internalNote(model: ModelInfo): string {
  const { bytes, ops } = internalActivations(model);
  if (ops.length === 0) return '';
  return `, of which ${formatBytes(bytes)} inside ${ops.join(' and ')} layers`;
}

/** `Receptive field: 14 × 14 pixels of image, stride 2 × 2` (lines from `describeField`). */
function fieldLines(field: readonly string[] | undefined): string[] {
  return (field ?? []).map((f) => `Receptive field: ${f}`);
}

function codeBlock(text: string): string {
  return '```nnmodel\n' + text + '\n```';
}

/** The hover's Weights section (weights.ts `layerWeightsLines` in markdown); undefined when there is nothing to say. */
function layerWeightsMarkdown(w: LayerWeights): string | undefined {
  return markdownLines(layerWeightsLines(w, MARKDOWN_WEIGHTS));
}

/** A group's weights per name over all its repeats, when they fit in a few lines; else why they are not listed. */
function groupWeightsMarkdown(g: GroupWeights | undefined): string | undefined {
  return markdownLines(groupWeightsLines(g, MARKDOWN_WEIGHTS));
}

function markdownLines(lines: readonly string[]): string | undefined {
  return lines.length ? lines.join('  \n') : undefined;
}

// ------------------------------------------------------- block instantiations

/** At most this many other results are listed; the rest are counted. */
const MAX_OTHER_OUTCOMES = 4;

function sameParams(a: Params | undefined, b: Params | undefined): boolean {
  return a === b || (!!a && !!b && a.trainable.equals(b.trainable) && a.nonTrainable.equals(b.nonTrainable));
}

function sameShape(a: Shape | undefined, b: Shape | undefined): boolean {
  return a === b || (!!a && !!b && !!a.isInt === !!b.isInt && sameDims(a.dims, b.dims));
}

/** `line 12`, or `line 12, col 31` when another listed call is on the same line. */
function whereText(o: SiteOutcome, all: readonly SiteOutcome[]): string {
  const line = o.via.start.line;
  const shared = all.some((x) => x !== o && x.via.start.line === line && x.via.start.offset !== o.via.start.offset);
  return `line ${line + 1}${shared ? `, col ${o.via.start.character + 1}` : ''}`;
}

/** What another instantiation gives that the first does not: `[14, 14, 32]`, `4,640 params`. */
function outcomeText(o: SiteOutcome, first: SiteOutcome): string {
  const bits: string[] = [];
  if (o.outShape && !sameShape(o.outShape, first.outShape)) bits.push(shapeToString(o.outShape));
  if (o.params && !sameParams(o.params, first.params)) bits.push(`${formatCount(totalParams(o.params))} params`);
  return bits.join(', ') || 'the same';
}

/**
 * For a site in a block body reached by several instantiations: which one
 * the hover's figures are for, and what the others give where it differs,
 * e.g. "Shown for the first of 2 calls, `b(64)` on line 12; `b(128)` on
 * line 14 gives [28, 28, 128], 1,280 params." Each call is a code span
 * followed by a word, never by punctuation. Undefined for a site reached
 * once.
 */
export function instancesText(site: SiteInfo): string | undefined {
  const inst = site.instances;
  if (!inst || inst.outcomes.length === 0) return undefined;
  const all = inst.outcomes;
  const [first, ...others] = all;
  const shown = others.slice(0, MAX_OTHER_OUTCOMES);
  const more = others.length - shown.length + inst.moreOutcomes;
  const tail = more > 0 ? `; and ${more} more` : '';
  if (inst.calls <= 1) {
    // One call run more than once: `b(64) * 3` whose shapes change, or a call in a block body called twice.
    const head = `Shown for the first run of \`${first.call}\` on ${whereText(first, all)}`;
    return others.length ? `${head}; other runs give ${shown.map((o) => outcomeText(o, first)).join('; ')}${tail}.` : `${head}.`;
  }
  const head = `Shown for the first of ${inst.calls} calls, \`${first.call}\` on ${whereText(first, all)}`;
  if (others.length === 0) return `${head}; the others give the same.`;
  const listed = shown.map((o, i) => {
    const again = all.slice(0, i + 1).some((x) => x.via.start.offset === o.via.start.offset);
    return `\`${o.call}\` on ${whereText(o, all)} ${again ? 'also gives' : 'gives'} ${outcomeText(o, first)}`;
  });
  return `${head}; ${listed.join('; ')}${tail}.`;
}

/** Hover over a layer call: signature, shapes, counts, then the layer's documentation. */
/** What a layer hover adds for one call: the sizes of its model's symbolic dimensions, and the layer's notes on its arguments (`LayerSpec.notes`). */
export interface LayerHoverExtras {
  sizes?: Readonly<Record<string, number>>;
  notes?: readonly string[];
  /** The run of stacked convolutions this one ends (`kernelStackAt`). */
  stack?: KernelStack;
  /** For a `+`: the two values it adds, as written (`sumOperands`). */
  sum?: SumOperands;
  /** The call's arguments as analysed (defaults filled in): the hover's first line is then {@link callAsRead}, not the signature. */
  args?: Readonly<Record<string, ArgValue>>;
  /** For a name applied as a layer (`-> act`, a block parameter given `gelu`): what it is, said under the first line (`appliedWordLine`). */
  appliedAs?: string;
}

/**
 * What a `+` adds: both operands as written with their shapes, so that
 * `x + x -> layernorm -> attention(4)` reads as `x` + `x -> layernorm -> attention(4)`;
 * a residual connection said so.
 */
export function sumLines(sum: SumOperands, inShapes: readonly Shape[]): string[] {
  // The shape first, the operand as written last: a code span never followed by punctuation.
  const side = (i: number, text: string) => (inShapes[i] ? `${shapeToString(inShapes[i])} from \`${text}\`` : `\`${text}\``);
  let title = `\`${sum.left}\` + \`${sum.right}\``;
  if (sum.shortcut) {
    const [shortcut, branch] = sum.shortcut === 'left' ? [sum.left, sum.right] : [sum.right, sum.left];
    title += ` — a **residual** connection: the shortcut \`${shortcut}\` plus the branch \`${branch}\` computed from it`;
  }
  return [title, `left: ${side(0, sum.left)}`, `right: ${side(1, sum.right)}`];
}

/**
 * A call as the analysis read it, every argument by name with the value it
 * has (defaults filled in, a block parameter's value from the call shown):
 * `attention(heads = 12, key_dim = dim/heads, causal = true, …)`, where the
 * signature would say `causal = false`, the default.
 */
export function callAsRead(spec: LayerSpec, args: Readonly<Record<string, ArgValue>>): string {
  const parts = spec.args.map((a) => {
    const read = args[a.name];
    // `stride = 2` of a 2-D layer is kept as [2] (one size for every axis): written back as it was.
    const v = a.type === 'ints' && Array.isArray(read) && read.length === 1 ? read[0] : read;
    if (a.type === 'tensors') return Array.isArray(v) && v.length ? `${a.name} = ${formatArgValue(v)}` : undefined;
    const text = v === undefined || v === null ? (formatDefault(a) ?? 'none') : typeof v === 'number' ? formatNumber(v) : typeof v === 'string' && a.type === 'string' ? JSON.stringify(v) : formatArgValue(v);
    return `${a.name} = ${text}`;
  });
  return `${spec.name}(${parts.filter((p) => p !== undefined).join(', ')})`;
}

export function layerHoverMarkdown(site: SiteInfo, spec: LayerSpec | undefined, field?: readonly string[], weights?: LayerWeights, extras: LayerHoverExtras = {}): string {
  const parts: string[] = [];
  parts.push(codeBlock(spec ? (extras.args ? callAsRead(spec, extras.args) : layerSignature(spec).label) : site.name));
  const head = [spec ? `*${spec.category}* layer` : 'layer'];
  if (site.model) head.push(`in ${site.model}`);
  parts.push(head.join(' '));
  if (extras.appliedAs) parts.push(extras.appliedAs);
  const instances = instancesText(site);
  if (instances) parts.push(`_${instances}_`);
  if (extras.sum) parts.push(sumLines(extras.sum, site.inShapes).join('  \n'));
  const flow = flowLine(site);
  // The key facts first (shapes, counts, receptive field): a hover opens at its top and is cut at VS Code's height.
  const facts = [flow, ...countsLines(site), ...activationLines(site), siteSizesLine(site, extras.sizes, true), ...fieldLines(field)].filter((x): x is string => !!x);
  if (facts.length) parts.push(facts.join('  \n'));
  if (extras.notes?.length) parts.push(extras.notes.join('  \n'));
  const weightsText = weights && layerWeightsMarkdown(weights);
  if (weightsText) parts.push(weightsText);
  // The lessons the weights teach (parameter sharing, stacked kernels) after them: long sentences, read second.
  const lessons = [sharingLine(site), extras.stack && stackLine(extras.stack)].filter((x): x is string => !!x);
  if (lessons.length) parts.push(lessons.join('  \n'));
  if (spec?.trainingOnly) parts.push('_Active in training only: identity at inference._');
  if (spec?.doc) parts.push('---\n' + spec.doc);
  return parts.join('\n\n');
}

/**
 * A layer's hover where the analysis has no site for it (its model has an
 * error, or it is in a block never called): the layer hover without shapes or
 * counts, its name said once.
 */
export function layerDocsMarkdown(spec: LayerSpec, reason?: string): string {
  const why = reason ?? 'this call could not be analysed (an error on its line or above, or in a block no model calls)';
  const parts = [codeBlock(layerSignature(spec).label), `*${spec.category}* layer — _no shapes: ${why}_`];
  if (spec.trainingOnly) parts.push('_Active in training only: identity at inference._');
  parts.push('---\n' + spec.doc);
  return parts.join('\n\n');
}

/**
 * Why a call at `offset` has no shapes, for {@link layerDocsMarkdown}: in a
 * block no model calls, that; otherwise the error the analysis stopped at
 * (the first in the model or block holding the call, on its line or above,
 * else the first of the file, as a block's body can be where a model's call
 * of it fails). Undefined when there is no such error.
 */
export function noShapesReason(analysis: Analysis, offset: number, docUri: string): string | undefined {
  const container = analysis.file.items.find((i) => (i.kind === 'model' || i.kind === 'block') && i.range.start.offset <= offset && offset <= i.range.end.offset);
  if (container?.kind === 'block') {
    const name = container.name.name;
    const block = analysis.symbols.find((s) => s.kind === 'block' && s.name === name && (s.uri === undefined || s.uri === docUri));
    const calls = block?.references.filter((r) => r.range.start.offset !== block.range.start.offset || (r.uri !== undefined && r.uri !== docUri)) ?? [];
    if (block && calls.length === 0) return `no model calls the block '${name}' yet: call it from a model (\`x -> ${name}(...)\`) to see its shapes and counts`;
  }
  const errors = analysis.diagnostics
    .filter((d) => d.severity === 'error' && (d.uri === undefined || d.uri === docUri))
    .sort((a, b) => a.range.start.offset - b.range.start.offset);
  const inContainer = container && errors.find((d) => d.range.start.offset >= container.range.start.offset && d.range.start.offset <= offset);
  const first = inContainer || errors[0];
  if (!first) return undefined;
  const message = first.message.length > 120 ? `${first.message.slice(0, 119)}…` : first.message;
  return `the analysis stopped at the error on line ${first.range.start.line + 1}: ${message}`;
}

/** Hover over a block call: its signature, shapes and totals over repeats, and its weights by name when that is short. */
export function blockHoverMarkdown(site: SiteInfo, block: BlockInfoSummary | undefined, field?: readonly string[], weights?: GroupWeights, sizes?: Readonly<Record<string, number>>): string {
  const parts: string[] = [];
  parts.push(codeBlock(block ? blockSignature(block).label : `block ${site.name}`));
  const instances = instancesText(site);
  if (instances) parts.push(`_${instances}_`);
  const facts: string[] = [];
  const flow = flowLine(site);
  if (flow) facts.push(flow + (site.repeat && site.repeat > 1 ? ` (× ${site.repeat})` : ''));
  if (site.repeat && site.repeat > 1) facts.push(`Repeated **${site.repeat}** times with separate weights; totals:`);
  facts.push(...countsLines(site));
  const at = siteSizesLine(site, sizes, false);
  if (at) facts.push(at);
  facts.push(...fieldLines(field));
  parts.push(facts.join('  \n'));
  const weightsText = groupWeightsMarkdown(weights);
  if (weightsText) parts.push(weightsText);
  return parts.join('\n\n');
}

const VALUE_KIND_TEXT: Record<SiteInfo['kind'], string> = {
  layer: 'layer',
  block: 'block',
  value: 'value',
  input: 'input',
  object: 'layer object',
};

/** Hover over a bound name, an input or a layer object (with the object's weights when given). */
export function valueHoverMarkdown(site: SiteInfo, weights?: LayerWeights): string {
  const shape = site.outShape ? `: ${shapeToString(site.outShape)}` : '';
  const parts = [codeBlock(`(${VALUE_KIND_TEXT[site.kind]}) ${site.name}${shape}`)];
  const instances = instancesText(site);
  if (instances) parts.push(`_${instances}_`);
  const facts = countsLines(site);
  if (facts.length) parts.push(facts.join('  \n'));
  const weightsText = weights && layerWeightsMarkdown(weights);
  if (weightsText) parts.push(weightsText);
  return parts.join('\n\n');
}

/** Hover over a model name: inputs, outputs, totals and memory. */
export function modelHoverMarkdown(model: ModelInfo, batch: number, sizes?: DimSizes): string {
  const parts = [codeBlock(`model ${model.name}`)];
  const facts: string[] = [];
  // As the source declares it: one code span, nothing after it.
  for (const i of model.inputs) facts.push(`\`input ${i.name}: ${shapeToString(i.shape)}\``);
  const fields = modelFields(model).byNode;
  model.outputs.forEach((o) => {
    const node = model.graph.nodes.find((n) => n.id === o.nodeId);
    const seen = describeField(node && fields.get(node), model);
    facts.push(`output: ${shapeToString(o.shape)}` + (seen.length ? ` — sees ${seen.join('; ')}` : ''));
  });
  facts.push(`Parameters: **${formatParams(model.params)}**`);
  facts.push(`MACs: **${formatCountWithCompact(model.macs)}**`);
  facts.push(`Weights: ${formatBytes(model.memory.paramBytes)} · activations per example: ${formatBytes(model.memory.activationBytes)}${internalNote(model)}`);
  facts.push(
    `Training with Adam at batch ${batch}: ~${formatBytes(trainingMemory(model, batch))}`,
  );
  parts.push(facts.join('  \n'));
  const at = sizes && sizesLines(model, batch, sizes);
  if (at?.length) parts.push(at.join('  \n'));
  if (model.hasErrors) parts.push('_The model has errors: counts cover what could be analysed._');
  return parts.join('\n\n');
}

/**
 * A symbolic model's totals at the sizes it has (`At seq = 64, from its
 * train section: MACs 52.4M · …`), and how to give the sizes it lacks.
 * None for a model without symbolic dimensions.
 */
export function sizesLines(model: ModelInfo, batch: number, sizes: DimSizes): string[] {
  if (model.symbols.length === 0) return [];
  const lines: string[] = [];
  const totals = sizes.missing.length === 0 ? totalsAt(model, sizes.values, batch) : undefined;
  if (totals) {
    lines.push(
      `**At ${sizesText(sizes.values)}** (${sizesSource(sizes)}): MACs **${formatCountWithCompact(Sym.of(totals.macs))}** · ` +
        `activations per example ${formatBytes(totals.activationBytes)} · training with Adam at batch ${batch} ~${formatBytes(totals.trainingBytes)}`,
    );
  }
  if (sizes.missing.length) {
    const names = sizes.missing.map((n) => `\`${n}\``).join(', ');
    const example = `{ ${sizes.missing.map((n) => `"${n}": ${n === 'seq' ? 1024 : 64}`).join(', ')} }`;
    lines.push(`_To see these as numbers, give ${names} a size: the setting \`nnmodel.dimensions\` (e.g. \`${example}\`), or a train section whose data fixes it._`);
  }
  return lines;
}

/** `from its train section's data`, `from nnmodel.dimensions`, or both. */
function sizesSource(sizes: DimSizes): string {
  const kinds = new Set(Object.values(sizes.from));
  if (kinds.size > 1) return 'from nnmodel.dimensions and its train section';
  return kinds.has('train') ? "from its train section's data" : 'from nnmodel.dimensions';
}

// ---------------------------------------------------------------- inlay hints

/**
 * For each line of a model or block body that ends a layer or block call,
 * where the call that ends last on it starts (the calls of chains, sums and
 * brackets; not the values inside a call's arguments). A site has the same
 * start, so {@link lineHints} can tell a line whose last call was analysed.
 */
export function lastCallStarts(file: SourceFile): Map<number, number> {
  const ends = new Map<number, { end: number; start: number }>();
  const visit = (e: Expr): void => {
    switch (e.kind) {
      case 'call': {
        const line = e.range.end.line;
        const seen = ends.get(line);
        if (!seen || e.range.end.offset > seen.end) ends.set(line, { end: e.range.end.offset, start: e.range.start.offset });
        return;
      }
      case 'chain':
        visit(e.head);
        for (const c of e.calls) visit(c);
        return;
      case 'binary':
        visit(e.left);
        visit(e.right);
        return;
      case 'paren':
        visit(e.expr);
        return;
      case 'unary':
        visit(e.operand);
        return;
      default:
        return;
    }
  };
  for (const item of file.items) {
    if (item.kind !== 'model' && item.kind !== 'block') continue;
    for (const st of item.body) {
      if (st.kind === 'assign') visit(st.value);
      else if (st.kind === 'output') for (const v of st.values) visit(v);
    }
  }
  return new Map([...ends].map(([line, c]) => [line, c.start]));
}

/** How long a hint may be: VS Code cuts a label past `editor.inlayHints.maximumLength` with "…", and a long line's hint runs past the window. */
export interface HintFit {
  /** VS Code's `editor.inlayHints.maximumLength` (0: no limit). */
  maxLength: number;
  /** The length of a line's code, before its comment (the hint stands after it). */
  codeLength(line: number): number;
}

/**
 * The columns a line and its hint may take before the hint runs past a
 * typical editor width (about 115 columns in a 1400 px window beside the
 * Explorer; VS Code does not tell an extension its width): past it, a
 * shorter form of the hint.
 */
export const HINT_COLUMNS = 112;

/** The shortest hint shown: its shape alone (or the parameters alone without one). */
const MIN_HINT = 12;

export interface LineHint {
  line: number;
  label: string;
  /** Tooltip markdown. */
  tooltip: string;
}

/**
 * One hint per line that holds layer or block calls: the output shape of the
 * call that ends last on the line and the parameters of all of them. None on
 * a line where one of `errors` (the file's own error ranges) starts after
 * that call: the calls after the error were not analysed, so the last shape
 * known is not the line's (`conv2d(8, 3) -> rleu -> maxpool(2)` would show
 * conv2d's [26, 26, 8] where maxpool's output is expected). None either on
 * a line whose last call (`lastCalls`: line → where that call starts, from
 * {@link lastCallStarts}) has no site: it was not analysed, for an error
 * elsewhere (in the body of the block it calls, or above).
 *
 * A line in a block body whose calls give other results ends in
 * `+3 more calls` (`+1 more run` for one call run more than once). With
 * `fit`, the label is the longest of `→ [56, 56, 64] · 37,120 params · +3 more
 * calls`, then with `37.1K params`, `+3 calls`, then without the parameters,
 * then the shape alone, that fits VS Code's maximum length and the columns
 * {@link HINT_COLUMNS} leaves after the line's code; the tooltip keeps all.
 */
export function lineHints(
  sites: readonly SiteInfo[],
  showParams: boolean,
  lines?: { from: number; to: number },
  errors: readonly { start: { line: number; offset: number } }[] = [],
  lastCalls?: ReadonlyMap<number, number>,
  fit?: HintFit,
): LineHint[] {
  const byLine = new Map<number, SiteInfo[]>();
  for (const s of sites) {
    // Layer objects count where they are applied (the site has an output); their definition has none.
    if (s.kind !== 'layer' && s.kind !== 'block' && !(s.kind === 'object' && s.outShape)) continue;
    const line = s.range.end.line;
    if (lines && (line < lines.from || line > lines.to)) continue;
    let list = byLine.get(line);
    if (!list) byLine.set(line, (list = []));
    list.push(s);
  }
  const out: LineHint[] = [];
  for (const [line, list] of byLine) {
    let last = list[0];
    let params = Sym.ZERO;
    let anyParams = false;
    // Inside a block body used with different results: the first instantiation's figures, marked "+N more".
    let more = 0;
    let varied: SiteInfo | undefined;
    for (const s of list) {
      const n = s.instances ? s.instances.outcomes.length - 1 + s.instances.moreOutcomes : 0;
      if (n > more) {
        more = n;
        varied = s;
      }
      const longer = s.range.end.offset - s.range.start.offset > last.range.end.offset - last.range.start.offset;
      if (s.range.end.offset > last.range.end.offset || (s.range.end.offset === last.range.end.offset && longer)) last = s;
      if (s.params) {
        params = params.add(totalParams(s.params));
        anyParams = true;
      }
    }
    if (errors.some((e) => e.start.line === line && e.start.offset >= last.range.end.offset)) continue;
    const lastCall = lastCalls?.get(line);
    if (lastCall !== undefined && !list.some((s) => s.range.start.offset === lastCall)) continue;
    const shape = last.outShape ? `→ ${shapeToString(last.outShape)}` : '';
    const counted = showParams && anyParams && !params.equals(0);
    const full = counted ? `${formatCount(params)} params` : '';
    const compact = counted ? `${formatCompact(params)} params` : '';
    if (!shape && !full) continue;
    // Other calls of the block (or other runs of one call) give other figures: say of what there are more.
    const runs = varied?.instances && varied.instances.calls <= 1;
    const noun = `${runs ? 'run' : 'call'}${more === 1 ? '' : 's'}`;
    const moreText = more > 0 ? `+${more} more ${noun}` : '';
    const shortMore = more > 0 ? `+${more} ${noun}` : '';
    const forms = [
      [shape, full, moreText],
      [shape, compact, moreText],
      [shape, compact, shortMore],
      [shape, shortMore],
      [shape || compact],
    ].map((f) => f.filter((b) => b).join(' · '));
    const limit = fit ? Math.min(fit.maxLength > 0 ? fit.maxLength : Infinity, Math.max(HINT_COLUMNS - fit.codeLength(line), MIN_HINT)) : Infinity;
    const label = forms.find((f) => f.length <= limit) ?? forms[forms.length - 1];
    const tip = [`**${last.name}**${last.model ? ` in ${last.model}` : ''}`];
    if (last.outShape) tip.push(`output ${shapeToString(last.outShape)}`);
    if (anyParams) tip.push(`parameters on this line: ${formatCount(params)}`);
    // The tooltip explains the "+N more": the site whose results vary, else the line's last.
    const instances = varied && instancesText(more > 0 ? varied : last.instances ? last : varied);
    if (instances) tip.push(`_${instances}_`);
    out.push({ line, label, tooltip: tip.join('  \n') });
  }
  return out.sort((a, b) => a.line - b.line);
}

// -------------------------------------------------------------------- summary

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/**
 * A receptive field for the summary's last column: a window (`14 × 14`) never
 * breaks, but the cell may wrap before its step (`/2`), `past`, and between
 * inputs, so the column stays narrow enough for a preview beside the editor.
 */
export function fieldCell(field: string): string {
  return field.replace(/ × /g, '\u00a0×\u00a0');
}

/**
 * The model summary as markdown: per-layer table (blocks expanded), totals and memory.
 * Five columns that fit a preview beside the editor (half of a 1400 px window):
 * the line goes with the layer, shapes are plain text, and the receptive field
 * column is headed "Sees" with the legend below the table.
 */
export function summaryMarkdown(model: ModelInfo, batch: number, fileLabel?: string, sizes?: DimSizes): string {
  const out: string[] = [];
  out.push(`# ${model.name}`);
  if (fileLabel) out.push(`_${fileLabel}_`);
  if (model.hasErrors) out.push('> The model has errors: the figures cover what could be analysed.');
  out.push('');
  // A table wider than the preview (a large model beside the editor) scrolls sideways instead of being cut at its edge;
  // the box reaches into the body's right padding (26 px in VS Code's preview), where a table just too wide was shown before.
  out.push('<div style="overflow-x: auto; margin-right: -26px">', '');
  out.push('| Layer | Output shape | Params | MACs | Sees |');
  out.push('|:--|:--|--:|--:|:--|');
  for (const r of summaryRows(model, true)) {
    // Non-breaking spaces keep the nesting visible in rendered markdown.
    const indent = '\u00a0\u00a0\u00a0\u00a0'.repeat(r.depth);
    const params = r.kind === 'input' ? '' : formatCount(r.trainable.add(r.nonTrainable));
    const macs = r.kind === 'input' ? '' : formatCount(r.macs);
    const label = r.depth > 0 ? `${indent}${r.label}` : r.label;
    const line = r.line ? ` ·\u00a0line\u00a0${r.line}` : '';
    // Non-breaking spaces keep a shape on one line in a narrow preview.
    const shapeCell = r.shape.replace(/, /g, ',\u00a0');
    out.push(`| ${escapeCell(label)}${line} | ${escapeCell(shapeCell)} | ${params} | ${macs} | ${escapeCell(fieldCell(r.field))} |`);
  }
  out.push(`| **Total** | | **${formatCount(model.params.total)}** | **${formatCount(model.macs)}** | |`);
  out.push('', '</div>', '');
  out.push('Rows inside a block or repeat are indented; their counts are for one run and are included in the group above them.');
  out.push(
    'Sees: the receptive field, how much of the input each output value sees, e.g. `14 × 14 /2` is a 14 × 14 window that moves 2 input positions per output position; ' +
      '`past`: current and earlier steps only; `all`: the whole input.',
  );
  out.push('');
  out.push('## Totals');
  out.push(
    `- Parameters: **${formatCountWithCompact(model.params.total)}** — trainable ${formatCount(model.params.trainable)}, non-trainable ${formatCount(model.params.nonTrainable)}`,
  );
  out.push(`- MACs per example: **${formatCountWithCompact(model.macs)}**`);
  out.push('');
  out.push('## Memory (float32)');
  out.push(`- Weights: ${formatBytes(model.memory.paramBytes)}`);
  const inside = internalNote(model);
  out.push(
    `- Activations for one example: ${formatBytes(model.memory.activationBytes)}` +
      (inside ? `${inside} (kept for the backward pass besides their outputs; see the layer's hover)` : ''),
  );
  out.push(
    `- Training with Adam at batch ${batch}: ~${formatBytes(trainingMemory(model, batch))} ` +
      '(weights, gradients and two moment estimates, plus activations and their gradients for the batch)',
  );
  if (model.symbols.length) {
    out.push('');
    out.push(`Symbolic dimensions: ${model.symbols.map((s) => `\`${s}\``).join(', ')}`);
    for (const line of sizes ? sizesLines(model, batch, sizes) : []) out.push('', line);
  }
  return out.join('\n') + '\n';
}

/** Marks totals of a model with errors: they cover only what could be analysed, so they must not read as the model's. */
export const INCOMPLETE_MARK = 'incomplete:';

/** Why totals are marked incomplete (tooltips of the CodeLens and the status bar). */
export const INCOMPLETE_WHY =
  'The model has errors, so these totals count only the layers that could be analysed; fix the errors (see Problems) for the full figures.';

/**
 * `61.7K params · 416.5K MACs`; for a model with errors
 * `⚠ incomplete: 60.9K params · 415.7K MACs`. The one rule for totals: the
 * CodeLens and the status bar abbreviate parameters and MACs alike; hovers,
 * tooltips and the Summary give every digit, the abbreviation beside.
 */
export function modelLensTitle(model: ModelInfo): string {
  const totals = `${formatCompact(model.params.total)} params · ${formatCompact(model.macs)} MACs`;
  return model.hasErrors ? `⚠ ${INCOMPLETE_MARK} ${totals}` : totals;
}

/** The totals lens's tooltip: what the figures are, and why they are incomplete when they are. */
export function modelLensTooltip(model: ModelInfo): string {
  const what = 'Parameters and multiply-accumulates per example — click for the summary';
  return model.hasErrors ? `${INCOMPLETE_WHY}\n\n${what}` : what;
}

/**
 * `LeNet5 · 61.7K params · 416.5K MACs` for the status bar; for a model with
 * errors `LeNet5 · incomplete: 60.9K params · 415.7K MACs` (the item shows a
 * warning icon before it).
 */
export function modelStatusText(model: ModelInfo): string {
  const totals = `${formatCompact(model.params.total)} params · ${formatCompact(model.macs)} MACs`;
  return `${model.name} · ${model.hasErrors ? `${INCOMPLETE_MARK} ${totals}` : totals}`;
}

/** The status bar item's tooltip (markdown): the exact totals, and why they are incomplete when they are. */
export function modelStatusTooltip(model: ModelInfo): string {
  const lines = [`**${model.name}**`, `Parameters: ${formatCountWithCompact(model.params.total)}`, `MACs: ${formatCountWithCompact(model.macs)}`];
  const why = model.hasErrors ? `\n\n$(warning) ${INCOMPLETE_WHY}` : '';
  return `${lines.join('  \n')}${why}\n\nClick for the summary`;
}
