/**
 * The analysis: names, blocks, shape inference with symbolic dimensions,
 * counts and diagnostics, in one walk over each model.
 *
 * A model body is evaluated statement by statement. Layer calls add nodes to
 * the graph being built; block calls are instantiated into a group whose body
 * is analysed once per distinct (block, arguments, input shapes): a repeated
 * block that keeps its shape (`gpt_block(768, 12) * 12`) costs one body.
 */
import type {
  Arg,
  AssignStmt,
  BlockDecl,
  CallExpr,
  Expr,
  Ident,
  InputStmt,
  ModelDecl,
  Range,
  SourceFile,
  Statement,
  SyntaxError,
  TopLevel,
} from '../syntax/ast';
import { parse } from '../syntax/parser';
import { forEachChild } from '../syntax/children';
import { LAYERS, appliesBare, bareLayerNames, getLayer, isRecurrent } from '../layers';
import { projectionCall, projectionFor } from '../layers/merge';
import { createLayerContext } from '../layers/context';
import { ranksText, takesRank } from '../layers/rank';
import { LayerError, type ArgSpec, type ArgType, type ArgValue, type InternalActivation, type LayerSpec, type WeightSpec } from '../layers/types';
import { Sym, product, shapeToString, type Shape } from './sym';
import { didYouMean, suggest, suggestArg, suggestLayer } from './suggest';
import { missingArgHint, missingLayerHint } from './missingLayers';
import { lossAlias } from './trainAliases';
import { UNKNOWN, arithmetic, describeValue, valueKey, type LayerObject, type TensorValue, type Value } from './values';
import type {
  Analysis,
  BlockInfoSummary,
  Diagnostic,
  Fix,
  Graph,
  GraphNode,
  InputNode,
  GroupNode,
  LayerNode,
  ModelInfo,
  Params,
  Severity,
  SiteInfo,
  TextEdit,
} from './types';
import { collectSymbols } from './symbols';
import { analyzeTrain, causalFix } from './train';
import { lintModels, modelDeclOf } from './lints';
import { missingOutputFixes } from './outputFix';
import { argExprOf, argRemoval } from './callArgs';
import { partitionPoint } from '../bisect';
import { unappliedObjectUses } from './objectUse';
import { callText as shortCallText, MAX_KEPT_OUTCOMES } from './siteOutcomes';
import type { SiteOutcome } from './types';

export interface AnalyzeOptions {
  /** URI or path of the file, used in diagnostics of imports. */
  uri?: string;
  /**
   * Reads an imported file: `path` as written in `import "..."`, relative to
   * `fromUri`. Returns the resolved uri and text, or undefined when missing.
   * Without it, imports are reported as unresolved.
   */
  readImport?: (fromUri: string | undefined, path: string) => { uri: string; text: string } | undefined;
  /**
   * Where `readImport` looks for this file's own imports, as messages say it:
   * 'this file' unless given ('the working directory' for standard input).
   */
  importBase?: string;
}

/** Limits that keep pathological input cheap. */
export const LIMITS = {
  /** Largest `* N`. */
  maxRepeat: 10_000,
  /** Distinct instantiations a repeat may produce before it is cut short. */
  maxDistinctRepeats: 256,
  /** Largest concrete dimension. */
  maxDim: 2 ** 31 - 1,
  /** Deepest block nesting. */
  maxBlockDepth: 64,
  /** Layer applications analysed per model before giving up. */
  maxNodes: 200_000,
  /** Depth of imports. */
  maxImportDepth: 16,
};

const ACTIVATIONS = ['none', 'linear', 'relu', 'relu6', 'leaky_relu', 'elu', 'gelu', 'sigmoid', 'tanh', 'silu', 'hard_sigmoid', 'hard_swish', 'softmax'];

let choiceWords: Set<string> | undefined;
/**
 * Whether `word` is a choice of some layer's argument (`same`, `relu`,
 * `learned`) or a layer that applies by its name alone (`layernorm`, for
 * `-> norm`): what a bare word given to a block usually is.
 */
function isChoiceWord(word: string): boolean {
  choiceWords ??= new Set([...ACTIVATIONS, ...[...LAYERS.values()].flatMap((l) => l.args.flatMap((a) => a.enum ?? [])), ...bareLayerNames()]);
  return choiceWords.has(word);
}

interface BlockDef {
  decl: BlockDecl;
  uri?: string;
}

interface GraphBuilder {
  nodes: GraphNode[];
  inputs: number[];
  outputs: number[];
  next: number;
  /** See Graph.objects. */
  objects?: string[];
}

/**
 * A context; every one is made here, so that all have one layout (contexts
 * of differing layouts made the code that reads them slow).
 */
function makeCtx(
  env: Map<string, Value>,
  g: GraphBuilder,
  model: string,
  uri: string | undefined,
  stack: string[],
  anchor: Range | undefined,
  isStatic: boolean,
  once: boolean,
  call?: CallExpr,
  caller?: Ctx,
): Ctx {
  return { env, g, model, uri, stack, anchor, static: isStatic, once, call, caller };
}

/** `ctx` with another anchor (itself when the same). */
function withAnchor(ctx: Ctx, anchor: Range | undefined): Ctx {
  return anchor === ctx.anchor ? ctx : makeCtx(ctx.env, ctx.g, ctx.model, ctx.uri, ctx.stack, anchor, ctx.static, ctx.once, ctx.call, ctx.caller);
}

function newGraph(): GraphBuilder {
  return { nodes: [], inputs: [], outputs: [], next: 0 };
}

function freeze(g: GraphBuilder): Graph {
  const out: Graph = { nodes: fit(g.nodes), inputs: fit(g.inputs), outputs: fit(g.outputs) };
  if (g.objects) out.objects = fit(g.objects);
  return out;
}

/**
 * `a` itself when empty or long, else an exact-size copy. An array grown by
 * `push` keeps room for 16 more elements; graphs and shapes live as long as
 * the analysis, and that slack was a large part of its memory (and of what
 * the garbage collector copies).
 */
function fit<T>(a: T[]): T[] {
  return a.length === 0 || a.length > 16 ? a : a.slice();
}

/** Evaluation context of one body (model or block instantiation). */
interface Ctx {
  env: Map<string, Value>;
  g: GraphBuilder;
  model: string;
  uri?: string;
  /** Block names being instantiated, outermost first. */
  stack: string[];
  /** Outermost call in the analysed file, where diagnostics from imported files are shown. */
  anchor?: Range;
  /** Whether values are unknown on purpose (a block checked on its own). */
  static: boolean;
  /**
   * Whether each site recorded here is reached once per analysis: a model's
   * own statements, outside repeats. Sites in block bodies and repeats are
   * reached again by every instantiation and must be deduplicated.
   */
  once: boolean;
  /**
   * In a block body: the call being instantiated, when it is written in the
   * analysed file. A mistake in a value its arguments gave (`b(softmx)` for
   * `dense(4, activation = act)`) is shown there (see `blame`).
   */
  call: CallExpr | undefined;
  /** With `call`: the context that call is in (a value a block passes on is blamed on its caller's call). */
  caller: Ctx | undefined;
}

interface InstResult {
  graph: Graph;
  out?: Shape;
  params: Params;
  macs: Sym;
  activations: Sym;
  ok: boolean;
  /** Errors the instantiation reported: counted again for every model that reuses it (see `hasErrors`). */
  errors: number;
  /**
   * Errors of the body reported at the call's arguments (`argError`): such an
   * instantiation is not reused, so that another call with the same values
   * gets the error at its own arguments.
   */
  callErrors?: boolean;
  /**
   * The block-body sites it reached through the call it was made for
   * (`via`: those of its body, and of nested blocks reached through the same
   * call, e.g. an imported block's), each (site, result) once: replayed,
   * through the new call, for each call that reuses it (see
   * `SiteInfo.instances`). Sites reached through calls inside its body are
   * left out: a reuse reaches them through the same calls with the same
   * results, which `visitSite` already holds.
   */
  visits?: SiteVisit[];
  /** The call it was made for. */
  via?: Range;
}

/** A site in a block body reached by one instantiation, and what it gave there. */
interface SiteVisit {
  site: SiteInfo;
  outShape?: Shape;
  params?: Params;
}

/** An instantiation being analysed: the call it is for (see `viaOf`) and the visits through that call so far (`InstResult.visits`). */
interface VisitFrame {
  via: Range | undefined;
  visits: SiteVisit[];
  /**
   * `visits` by site, to keep each (site, result) once: made when `visits`
   * outgrows `FEW_VISITS` (before, `visits` itself is scanned); in it, a
   * site's results are compared one by one while few, indexed beyond.
   */
  bySite?: Map<SiteInfo, SiteVisit[] | OutcomeIndex>;
}

/** Results of one site in one instantiation compared one by one; more (a `* N` whose shape changes in a body) go to an `OutcomeIndex`. */
const MAX_SCANNED_VISITS = 8;

/** An instantiation's visits scanned one by one up to this many (most block bodies have fewer sites); a `bySite` index beyond. */
const FEW_VISITS = 16;

/** Distinct results (output shape, parameters) by the output's `shapeId` (-1: none), each shape's parameters compared one by one. */
type OutcomeIndex = Map<number, (Params | undefined)[]>;

/** The instantiations that reached a block-body site so far (see `SiteInfo.instances`). */
interface InstanceState {
  first: Range;
  /**
   * Offsets of the distinct calls, once a second one came: an array scanned
   * while it holds at most `FEW_VISITS` (most sites are reached by a few
   * calls; a Set per site was a large part of what the analysis allocated),
   * a Set beyond.
   */
  vias?: number[] | Set<number>;
  outcomes?: SiteOutcome[];
  /**
   * Every distinct result so far, those kept in `outcomes` and those only
   * counted in `moreOutcomes`: made when `outcomes` is full. Until then
   * `outcomes` holds every distinct result and is scanned instead.
   */
  seen?: OutcomeIndex;
}


const ZERO_PARAMS: Params = { trainable: Sym.ZERO, nonTrainable: Sym.ZERO };

/** What a layer's rules give for one (layer, arguments, input shapes); shared, never changed. */
interface LayerResult {
  out: Shape;
  weights: WeightSpec[];
  params: Params;
  macs: Sym;
  internal: InternalActivation[] | undefined;
}

/** One distinct argument list of a layer, shared by every call that gives it (see `Analyzer.internArgs`). */
interface ArgsEntry {
  spec: LayerSpec;
  /** The values as given, by schema index (the defaults follow from them). */
  vals: readonly (ArgValue | typeof SEEN | undefined)[];
  /** With defaults filled in: the record every such call's node holds. Never changed. */
  args: Record<string, ArgValue>;
  /** The layer's results by input shapes (`Analyzer.shapesKey`), filled as applications succeed. */
  results: Map<number | string, LayerResult> | undefined;
  /** What `resolveArgs` gives for these arguments when the call has no tensor argument (most calls): made once, never changed. */
  resolved: Resolved | undefined;
}
/** Resolved arguments of a layer call (`Analyzer.resolveArgs`). */
interface Resolved {
  args: Record<string, ArgValue>;
  /** The shared entry of these arguments: undefined when they hold a tensor or layer object. */
  entry: ArgsEntry | undefined;
  tensorInputs: TensorValue[];
  tensors: Record<string, Shape | undefined>;
  unknown: boolean;
}

/** Argument types whose value is numbers: a call in one is a function of numbers (`value.function`), never a layer. */
const NUMERIC_ARG: Readonly<Record<ArgType, boolean>> = {
  int: true,
  number: true,
  ints: true,
  int_list: true,
  bool: false,
  string: false,
  enum: false,
  activation: false,
  layer: false,
  tensor: false,
  tensors: false,
};

/** Number values of the small whole numbers, shared (values are never changed). */
const SMALL_NUMBERS: Value[] = [];
for (let n = 0; n <= 4096; n++) SMALL_NUMBERS.push({ kind: 'number', value: n });

/** A number value; sizes and counts in source are small whole numbers, which are shared. */
function numberValue(n: number): Value {
  return n >= 0 && n <= 4096 && Number.isInteger(n) && !Object.is(n, -0) ? SMALL_NUMBERS[n] : { kind: 'number', value: n };
}

/** Shape ids below this pack two to a number key (`Analyzer.shapesKey`), a small integer. */
const PAIR_KEY_BASE = 1 << 14;

/** Shared "none given" values of resolveArgs; never written to. */
const NO_TENSOR_INPUTS: TensorValue[] = [];
const NO_TENSOR_ARGS: Record<string, Shape | undefined> = {};
/** `inShapes` of the sites that have none (names, inputs, layer objects): one array, never written to. */
const NO_SHAPES: Shape[] = [];

/** Index of each site kind in a site key (a table, not an indexOf: this runs for every site of the file on every keystroke). */
const SITE_KINDS: Readonly<Record<SiteInfo['kind'], number>> = { input: 0, value: 1, object: 2, layer: 3, block: 4 };
const SITE_KIND_COUNT = 5;

/** The order of `Analysis.sites`: by start, the enclosing (longer) one first. */
export function compareSites(x: SiteInfo, y: SiteInfo): number {
  return x.range.start.offset - y.range.start.offset || y.range.end.offset - x.range.end.offset;
}

/**
 * Sorts sites in place into `compareSites` order, stably: by one native sort
 * of numbers that pack (start, length reversed, index), with no comparator
 * called from the sort (a call per comparison was most of its cost). The
 * length, not the end, so that the numbers stay exact in large files: the
 * longest site is short next to the file. Falls back to the comparator when
 * the packed numbers would not be exact.
 */
export function sortSites(sites: SiteInfo[]): SiteInfo[] {
  const n = sites.length;
  if (n < 2) return sites;
  let maxStart = 0;
  let maxLength = 0;
  for (let i = 0; i < n; i++) {
    const r = sites[i].range;
    const start = r.start.offset;
    if (start > maxStart) maxStart = start;
    if (r.end.offset - start > maxLength) maxLength = r.end.offset - start;
  }
  // By start, then the longer (enclosing) first: for one start, a later end is a greater length.
  const lengths = maxLength + 1;
  if ((maxStart + 1) * lengths * n > Number.MAX_SAFE_INTEGER) return sites.sort(compareSites);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = sites[i].range;
    const start = r.start.offset;
    keys[i] = (start * lengths + (maxLength - (r.end.offset - start))) * n + i;
  }
  keys.sort();
  const copy = sites.slice();
  for (let i = 0; i < n; i++) sites[i] = copy[keys[i] % n];
  return sites;
}

/** One model's share of an analysis, as an incremental session replays it. */
export interface ModelRecord {
  info: ModelInfo;
  /** Diagnostics first reported while analysing this model, in order. */
  diagnostics: Diagnostic[];
  /** Sites first recorded while analysing this model, in order. */
  sites: SiteInfo[];
  /** Layer applications counted (against LIMITS.maxNodes). */
  nodes: number;
  /** Blocks this model called. */
  used: string[];
}

/** @internal The analysis state of one file; exported for the incremental session. */
export class Analyzer {
  readonly diagnostics: Diagnostic[] = [];
  private readonly diagKeys = new Set<string>();
  /** Errors among `diagnostics`. */
  private errors = 0;
  readonly sites: SiteInfo[] = [];
  /** Sites seen, keyed by start offset and kind: the end offset of the first one. */
  private readonly siteEnds = new Map<number, number>();
  /** Sites sharing start and kind with an earlier one but ending elsewhere (rare). */
  private readonly siteOthers = new Set<string>();
  /** Whether `sites` is in `compareSites` order so far: then the file's result needs no sort. */
  private sitesSorted = true;
  readonly blocks = new Map<string, BlockDef>();
  private readonly instCache = new Map<string, InstResult>();
  /** The next LayerObjectState.key. */
  private objectKeys = 0;
  /**
   * Distinct argument lists by `argsHash`, each with what the layer's rules
   * gave per input shapes. Models repeat the same layer on the same shape
   * constantly (a generated 5 000-line file applies 6 400 layers, 349 of
   * them distinct): later applications share the first one's argument
   * record, shape, weights and counts instead of running the rules again and
   * keeping copies. Lives as long as this analysis only.
   */
  private readonly argsTable = new Map<number, ArgsEntry[]>();
  /** The entry of `+`'s arguments, once one was made. */
  private addArgs: ArgsEntry | undefined;
  /** An id per distinct shape (equal text, equal id), by shape object: see `shapesKey`. */
  private readonly shapeIds = new Map<Shape, number>();
  private readonly shapeIdsByText = new Map<string, number>();
  /** See `shapeList`. */
  private readonly shapeLists = new Map<Shape, Shape[]>();
  /** See `idList`. */
  private readonly idLists: number[][] = [];
  /** `applyLayerCall`'s list of one input, refilled for every call (see there). */
  private readonly oneInput: Value[] = [UNKNOWN];
  /** Totals of the graphs built here (see totalsOf). */
  private readonly totals = new Map<Graph, Totals>();
  /**
   * Node labels by call, for calls applied once per instantiation (block
   * bodies, repeats): the label itself when the call's arguments name no
   * value in scope, made once; else its labels with values, by argument
   * record (see `Analyzer.labelOf`).
   */
  private readonly labels = new Map<CallExpr, string | ValueLabels>();
  /** Set by `labelOf`: the call as written when the label it returned shows values in its place, else undefined. */
  private labelSource: string | undefined;
  /** Scratch value arrays of `resolveArgs`, one per nesting depth of calls in arguments. */
  private readonly valsPool: (ArgValue | typeof SEEN | undefined)[][] = [];
  private resolveDepth = 0;
  /**
   * Blocks whose body an instantiation analysed. The others are analysed on
   * their own at the end (analyzeBlockStatically), so that a block's own
   * mistakes are reported even when no call reaches its body: it is unused,
   * or every call stops before it (an error upstream, a bad `* N`).
   */
  private readonly usedBlocks = new Set<string>();
  /** Blocks instantiated while analysing the current model, when recording. */
  private modelUsed: Set<string> | undefined;
  nodeCount = 0;
  /** Text of each imported file read, by uri. */
  readonly importTexts = new Map<string, string>();
  /** Block-body sites by `isNewSite` key, to add later instantiations to (see `SiteInfo.instances`). */
  private readonly siteByKey = new Map<number, SiteInfo>();
  private readonly instanceStates = new Map<SiteInfo, InstanceState>();
  /** The instantiations being analysed, innermost last. */
  private readonly visitFrames: VisitFrame[] = [];
  /** Calls of `visitSite` so far: the work of recording `SiteInfo.instances`, which must grow with the text, not with the calls nested blocks make (tested). */
  siteVisits = 0;
  /** `callText` by the call's range (many sites name the same call). */
  private readonly callTexts = new Map<number, string>();
  /** An internal error stopped the analysis. */
  failed = false;

  constructor(
    readonly file: SourceFile,
    readonly uri: string | undefined,
    private readonly readImport: AnalyzeOptions['readImport'],
    private readonly importBase = 'this file',
  ) {}

  // ------------------------------------------------------------- diagnostics

  diag(
    code: string,
    severity: Severity,
    message: string,
    range: Range,
    ctx?: { uri?: string; anchor?: Range },
    extra: Partial<Diagnostic> = {},
  ): void {
    let d: Diagnostic = { code, severity, message, range, ...extra };
    if (ctx && ctx.uri !== this.uri) {
      // A problem inside an imported file: show it where this file uses it.
      if (!ctx.anchor) return;
      d = {
        code,
        severity,
        message: `${message} (in ${ctx.uri ?? 'an imported file'} at ${range.start.line + 1}:${range.start.character + 1})`,
        range: ctx.anchor,
        related: [{ message, range, uri: ctx.uri }],
      };
    }
    this.pushDiagnostic(d);
  }

  /** Adds a finished diagnostic unless the same one was reported already. */
  private pushDiagnostic(d: Diagnostic): void {
    // Counted before the de-duplication: a second model using a broken block has errors too, though the
    // block's diagnostic is shown once (the count decides `ModelInfo.hasErrors`, which stops builds).
    if (d.severity === 'error') this.errors++;
    // A consequence of a syntax error: in the statement that holds it, or while it is being muted (see `broken`).
    if (this.muted > 0 || (this.file.errors.length > 0 && this.inBrokenSpan(d.range.start.offset))) return;
    const key = `${d.code}|${d.range.start.offset}|${d.range.end.offset}|${d.message}`;
    if (this.diagKeys.has(key)) return;
    this.diagKeys.add(key);
    this.diagnostics.push(d);
  }

  /**
   * Where this file's syntax errors make other diagnostics consequences, not
   * mistakes of their own (one mistake, one diagnostic):
   * - `spans` (pairs of offsets): the statements (to the end of their last
   *   line), declaration headers and train sections that hold one; nothing
   *   else is reported there;
   * - `unsure`: the models and blocks whose header holds one or with a
   *   statement the parser could not read (dropped, or `x` alone: an `input`
   *   or `output` line that lost its keyword), which may be what declares a
   *   block's input or a missing output;
   * - `scoped`: those whose header holds one or with a dropped line, which
   *   may also be what binds an unknown name or layer object of the body
   *   (an unread `h dense(4)` binds only `h`);
   * - `dropped`: those with a line the parser could not read at all, which
   *   may be what defines a layer object the body calls (a header read in
   *   part cannot: a parameter is never a layer);
   * - `brokenTrains`: the train sections that hold one: of their
   *   diagnostics, only those of a setting by itself are reported
   *   (`ENTRY_CHECKS`; the spans are the settings and lines that hold one);
   * - `headers`: the blocks whose header holds one or that are unsure: their
   *   calls are not checked against a signature they may not have declared;
   * - `names`: the names a declaration the parser could not read declares
   *   (`res_block(f) {` without `block`: the word before a `(` or `{`, or
   *   after `model`/`block`, on an error's line outside any body), which
   *   calls and train sections may name.
   * A `;` (read as a line break) is none of these.
   * Made on first use: most files have no syntax error.
   */
  private broken: { spans: number[]; unsure: Set<TopLevel>; scoped: Set<TopLevel>; dropped: Set<TopLevel>; brokenTrains: Set<TopLevel>; headers: Set<string>; names: Set<string> } | undefined;
  /** While above 0, diagnostics are counted but not reported (see `broken`). */
  private muted = 0;

  private brokenParts(): NonNullable<Analyzer['broken']> {
    if (this.broken) return this.broken;
    const spans: number[] = [];
    const unsure = new Set<TopLevel>();
    const scoped = new Set<TopLevel>();
    const dropped = new Set<TopLevel>();
    const brokenTrains = new Set<TopLevel>();
    const headers = new Set<string>();
    const names = new Set<string>();
    const text = this.file.text;
    const lineEnd = (offset: number) => {
      const nl = text === undefined ? -1 : text.indexOf('\n', offset);
      return nl < 0 ? (text === undefined ? offset : text.length) : nl;
    };
    // A `;` is read as the line break it stands for: the statements around it are read whole.
    const errors = this.file.errors
      .filter((e) => !e.readWhole && !(e.code === 'syntax.invalid_character' && text !== undefined && text.slice(e.range.start.offset, e.range.end.offset) === ';'))
      .sort((a, b) => a.range.start.offset - b.range.start.offset);
    const at = errors.map((e) => e.range.start.offset);
    /** The index of the first error at or after `offset` (errors sorted by start: no scan of them all per statement). */
    const firstFrom = (offset: number) => partitionPoint(at.length, (i) => at[i] < offset);
    const holds = (start: number, end: number) => {
      const k = firstFrom(start);
      return k < at.length && at[k] <= end;
    };
    /** How each error stands: in a statement read whole (a call left open, a bad number), in an unread binding (`h dense(4)`), or neither. */
    const read = new Uint8Array(errors.length);
    const READ = 1;
    const UNREAD = 2;
    /** The bodies of models and blocks, by start: an error in one is not a declaration's. */
    const bodies: [number, number][] = [];
    for (const item of this.file.items) {
      const { start, end } = item.range;
      if ((item.kind === 'model' || item.kind === 'block') && item.bodyRange) bodies.push([item.bodyRange.start.offset, end.offset]);
      if (errors.length === 0 || !holds(start.offset, end.offset)) continue;
      if (item.kind === 'train' && item.bodyRange) {
        // A setting read in part, or a line read as none (`loss crossentropy`), is its own mistake: the other settings
        // are still checked (`epochs: 0` under `data: digits(`), but not the section as a whole (its data against its
        // model, a setting it lacks: see `brokenTrains`), since the broken line may be what sets them.
        const headEnd = item.bodyRange.start.offset;
        const parts: number[] = [];
        if (holds(start.offset, headEnd)) parts.push(start.offset, headEnd);
        for (let e = 0; e < item.entries.length; e++) {
          const en = item.entries[e];
          // The last setting, left open (`batch: (`), goes on to the body's `}`, where its error then stands.
          const to = e === item.entries.length - 1 && holds(end.offset - 1, end.offset - 1) ? end.offset : lineEnd(en.range.end.offset);
          if (holds(en.range.start.offset, to)) parts.push(en.range.start.offset, to);
        }
        const held = parts.length;
        for (let k = firstFrom(start.offset); k < at.length && at[k] <= end.offset; k++) {
          read[k] = READ;
          let inPart = false;
          for (let j = 0; j < held && !inPart; j += 2) inPart = at[k] >= parts[j] && at[k] <= parts[j + 1];
          // A line no setting holds (`loss crossentropy`, dropped): that line.
          if (!inPart && text !== undefined) parts.push(text.lastIndexOf('\n', at[k] - 1) + 1, lineEnd(at[k]));
        }
        // In order, without overlaps (see `inBrokenSpan`).
        const order = Array.from({ length: parts.length / 2 }, (_, j) => j).sort((x, y) => parts[2 * x] - parts[2 * y]);
        let last = -1;
        for (const j of order) {
          if (parts[2 * j] <= last) spans[spans.length - 1] = Math.max(last, parts[2 * j + 1]);
          else spans.push(parts[2 * j], parts[2 * j + 1]);
          last = spans[spans.length - 1];
        }
        brokenTrains.add(item);
        continue;
      }
      if (item.kind === 'train' || item.kind === 'import') {
        spans.push(start.offset, end.offset);
        for (let k = firstFrom(start.offset); k < at.length && at[k] <= end.offset; k++) read[k] = READ;
        continue;
      }
      const headEnd = item.bodyRange?.start.offset ?? end.offset;
      if (holds(start.offset, headEnd)) {
        spans.push(start.offset, headEnd);
        // Parameters after the error are not declared: the body's names may be them. Not when every error of the
        // header is at the body's `{` (`block b(f {`, a `)` lost): the list was read up to there, every parameter in it.
        let whole = item.bodyRange !== undefined;
        for (let k = firstFrom(start.offset); whole && k < at.length && at[k] <= headEnd; k++) whole = at[k] === headEnd;
        if (whole) {
          for (let k = firstFrom(headEnd); k < at.length && at[k] === headEnd; k++) read[k] = READ;
        } else {
          unsure.add(item);
          scoped.add(item);
          if (item.kind === 'block') headers.add(item.name.name);
        }
      }
      for (const st of item.body) {
        // To the end of its last line: `output x -> f, 5, stride = 2)` (a `(` lost) is read up to `5`, and the rest is its error.
        const to = lineEnd(st.range.end.offset);
        if (!holds(st.range.start.offset, to)) continue;
        spans.push(st.range.start.offset, to);
        // `x` alone, or `input` without its name: what the statement binds is unsure (it binds its own name, to an unknown value).
        const unread = st.kind === 'assign' && st.value.kind === 'error' && st.value.range.start.offset === st.target.range.end.offset;
        for (let k = firstFrom(st.range.start.offset); k < at.length && at[k] <= to; k++) read[k] = unread ? UNREAD : READ;
      }
      // In a body, an error no statement holds (a dropped line) or an unread binding: the signature and output are unsure;
      // a dropped line may also be what binds an unknown name or layer object of the body (`scoped`).
      for (let k = firstFrom(headEnd + 1); k < at.length && at[k] <= end.offset; k++) {
        // At the body's `}`: the last statement, left open (`b = a ->` while it is typed), went on to it. No line was dropped.
        if (read[k] === 0 && at[k] === end.offset - 1 && item.body.length > 0) read[k] = READ;
        if (read[k] === READ) continue;
        unsure.add(item);
        if (item.kind === 'block') headers.add(item.name.name);
        if (read[k] === 0) {
          scoped.add(item);
          dropped.add(item);
        }
      }
    }
    if (text !== undefined) {
      const inBody = (offset: number) => {
        const k = partitionPoint(bodies.length, (i) => bodies[i][0] < offset);
        return k > 0 && offset <= bodies[k - 1][1];
      };
      for (let k = 0; k < errors.length; k++) {
        if (read[k] !== 0 || inBody(at[k])) continue;
        // A declaration the parser could not read: the name it declares is the word after `model`/`block` at the
        // line's start, or the line's first word when a `(` or `{` follows it (`res_block(f) {`, `Deep {`).
        const lineStart = text.lastIndexOf('\n', at[k] - 1) + 1;
        const m = /^\s*(?:(?:model|block)\s+([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*)\s*[({])/.exec(text.slice(lineStart, lineEnd(at[k])));
        if (m) names.add(m[1] ?? m[2]);
      }
    }
    return (this.broken = { spans, unsure, scoped, dropped, brokenTrains, headers, names });
  }

  /** Whether `stmt`, of this file, holds a syntax error: what it binds or declares was read only in part. */
  private readInPart(stmt: Statement, ctx: Ctx): boolean {
    return this.file.errors.length > 0 && ctx.uri === this.uri && this.inBrokenSpan(stmt.range.start.offset);
  }

  private inBrokenSpan(offset: number): boolean {
    // Spans are pushed in source order and do not overlap: the last one starting at or before `offset`.
    const spans = this.brokenParts().spans;
    const k = partitionPoint(spans.length >> 1, (i) => spans[2 * i] <= offset);
    return k > 0 && offset <= spans[2 * k - 1];
  }

  /**
   * What of `broken` reaches beyond the item that holds the error, as one
   * string (empty without such errors): the names of unread declarations,
   * and the models and blocks whose signature or output is unsure (by their
   * place among the items, so an edit above them keeps the key). An
   * incremental session reuses nothing when it changes.
   */
  brokenDeclNamesKey(): string {
    if (this.file.errors.length === 0) return '';
    const b = this.brokenParts();
    if (b.names.size === 0 && b.unsure.size === 0) return '';
    let key = [...b.names].join(',') + '|';
    const items = this.file.items;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (b.unsure.has(item) && (item.kind === 'model' || item.kind === 'block')) key += `${i}:${item.kind} ${item.name.name}${b.scoped.has(item) ? '*' : ''},`;
    }
    return key;
  }

  /**
   * Whether the name at `range` (a binding of this file) is written on the
   * line of a syntax error later in the same model or block: a use the parser
   * could not read may be there.
   */
  /**
   * Names whose "never used" warning another diagnostic of this file
   * already explains, by body (its start offset) and name: the name a
   * misspelt one was meant to be (`output imag` of `input image`, from the
   * fixes of `name.unknown`), a value assigned below its use (its related
   * location), the last value of a body without `output` (what that fix
   * outputs). Read from the diagnostics, so that an editor session's
   * replayed models count too. Made on first use.
   */
  private explainedUnused: Set<string> | undefined;

  /** Whether the binding at `range` is one whose "never used" warning another diagnostic explains (see `explainedUnused`). */
  unusedExplained(range: Range): boolean {
    const text = this.file.text;
    if (text === undefined) return false;
    if (this.explainedUnused === undefined) {
      const set = (this.explainedUnused = new Set());
      const add = (at: number, name: string) => {
        const body = this.bodyAt(at);
        if (body) set.add(`${body.range.start.offset}\u0000${name}`);
      };
      for (const d of this.diagnostics) {
        if (d.uri !== undefined && d.uri !== this.uri) continue;
        if (d.code === 'name.unknown') {
          for (const f of d.fixes ?? []) if (/^Change to '/.test(f.title) && f.edits.length > 0) add(d.range.start.offset, f.edits[0].newText);
          for (const r of d.related ?? []) if (r.uri === undefined) add(r.range.start.offset, text.slice(r.range.start.offset, r.range.end.offset));
        } else if (d.code === 'model.no_output' || d.code === 'block.no_output') {
          const decl = this.bodyAt(d.range.start.offset);
          const last = decl?.body.filter((st): st is AssignStmt => st.kind === 'assign').pop();
          if (last) add(last.target.range.start.offset, last.target.name);
        }
      }
    }
    if (this.explainedUnused.size === 0) return false;
    const at = range.start.offset;
    const body = this.bodyAt(at);
    return body !== undefined && this.explainedUnused.has(`${body.range.start.offset}\u0000${text.slice(at, range.end.offset)}`);
  }

  namedOnBrokenLine(range: Range): boolean {
    const text = this.file.text;
    if (this.file.errors.length === 0 || text === undefined) return false;
    const at = range.start.offset;
    const body = this.file.items.find((i) => at >= i.range.start.offset && at <= i.range.end.offset);
    if (!body) return false;
    const word = new RegExp(`(^|[^A-Za-z0-9_])${text.slice(at, range.end.offset)}($|[^A-Za-z0-9_])`);
    return this.file.errors.some((e) => {
      const o = e.range.start.offset;
      if (o <= range.end.offset || o > body.range.end.offset) return false;
      const start = text.lastIndexOf('\n', o - 1) + 1;
      const nl = text.indexOf('\n', o);
      return word.test(text.slice(start, nl < 0 ? text.length : nl));
    });
  }

  /** Whether `offset` is in a train section that holds a syntax error (see `brokenTrains`). */
  inBrokenTrain(offset: number): boolean {
    if (this.file.errors.length === 0) return false;
    for (const t of this.brokenParts().brokenTrains) if (offset >= t.range.start.offset && offset <= t.range.end.offset) return true;
    return false;
  }

  /**
   * Whether `name` is written in the header, read in part, of the block whose
   * body holds `offset`: a parameter the parser lost (`block app(k l)`), which
   * the body may apply as a layer object (`-> l`, for `app(1, dense(4))`).
   */
  private inBrokenHeader(name: string, offset: number): boolean {
    const text = this.file.text;
    if (text === undefined) return false;
    for (const b of this.brokenParts().scoped) {
      if (b.kind !== 'block' || !b.bodyRange || offset < b.bodyRange.start.offset || offset > b.range.end.offset) continue;
      const header = text.slice(b.name.range.end.offset, b.bodyRange.start.offset);
      if (new RegExp(`(?<![A-Za-z0-9_])${name}(?![A-Za-z0-9_])`).test(header)) return true;
    }
    return false;
  }

  /** Whether `name` is written on the line of a declaration the parser could not read (a train section may name that model). */
  isBrokenDeclName(name: string): boolean {
    return this.file.errors.length > 0 && this.brokenParts().names.has(name);
  }

  /** Whether a model or block of this file that contains `offset` is `scoped` (see `broken`): its unknown names may be the unread line's. */
  private inBrokenBody(offset: number, ctx: Ctx, which: 'scoped' | 'dropped' = 'scoped'): boolean {
    if (ctx.uri !== this.uri || this.file.errors.length === 0) return false;
    for (const b of this.brokenParts()[which]) if (offset >= b.range.start.offset && offset <= b.range.end.offset) return true;
    return false;
  }

  /** Analyses a model and returns what it added, for an incremental session to replay later. */
  recordModel(decl: ModelDecl): ModelRecord {
    const d0 = this.diagnostics.length;
    const s0 = this.sites.length;
    const n0 = this.nodeCount;
    const sorted = this.sitesSorted;
    this.modelUsed = new Set();
    try {
      const info = this.analyzeModel(decl);
      // The model's sites in file order (a stable sort, like the file's final one, so the result is the
      // same): a replay then keeps the file's sites sorted, and an update needs no sort of them all.
      const sites = sortSites(this.sites.slice(s0));
      this.sites.length = s0;
      this.sitesSorted = sorted;
      this.appendSorted(sites);
      return {
        info,
        diagnostics: this.diagnostics.slice(d0),
        sites,
        nodes: this.nodeCount - n0,
        used: [...this.modelUsed],
      };
    } finally {
      this.modelUsed = undefined;
    }
  }

  /**
   * Adds a recorded model's results as if it had been analysed here. The
   * session replays whole clusters, which share no item with any other
   * cluster, and sites are ranges of this file's items: so a replayed site
   * cannot repeat one of another cluster and needs no deduplication (which,
   * for every site of the file, cost more than analysing the edited model).
   */
  replayModel(r: ModelRecord): void {
    for (const d of r.diagnostics) this.pushDiagnostic(d);
    this.appendSorted(r.sites);
    this.nodeCount += r.nodes;
    for (const n of r.used) this.usedBlocks.add(n);
  }

  /** Errors reported at a block call's arguments so far (see `InstResult.callErrors`). */
  private callErrors = 0;

  /** A repeat's later step being analysed, for its errors to say which (see `inRepeat`). */
  private repeatStep: { done: number; repeat: number; shape: Shape } | undefined;

  /** Runs step `done` (from 0) of a `* repeat`, on an input of `shape`: errors after the first step say which step. */
  private inRepeat<T>(done: number, repeat: number, shape: Shape, run: () => T): T {
    if (done === 0) return run();
    const outer = this.repeatStep;
    this.repeatStep = { done, repeat, shape };
    try {
      return run();
    } finally {
      this.repeatStep = outer;
    }
  }

  private error(code: string, message: string, range: Range, ctx: Ctx, extra: Partial<Diagnostic> = {}): void {
    if (ctx.static && code.startsWith('shape.')) return;
    const step = this.repeatStep;
    if (step !== undefined) {
      message = message.replace(/\.?$/, ` (in the ${ordinal(step.done + 1)} of the ${step.repeat} repeats, on ${shapeToString(step.shape)}: each repeat takes the output of the one before).`);
    }
    // A shape that does not fit in a block's body reached through a call of this file: that call is where the shapes came
    // from (and, for a layer object passed in as an argument, where the object came from: the body names it by its parameter).
    const via = (code.startsWith('shape.') || code === 'object.shape') && ctx.stack.length > 0 && ctx.uri === this.uri && !ctx.static && extra.related === undefined ? ctx.anchor : undefined;
    if (via !== undefined) extra = { ...extra, related: [{ message: `reached through ${this.callText(via)}`, range: via }] };
    this.diag(code, 'error', message, range, ctx, extra);
  }

  private replaceFix(title: string, range: Range, newText: string, preferred = true): Fix {
    return { title, edits: [{ range, newText }], preferred };
  }

  // ------------------------------------------------------------ declarations

  collectDeclarations(): void {
    const seen = new Map<string, Range>();
    for (const item of this.file.items) {
      if (item.kind !== 'model' && item.kind !== 'block') continue;
      const prev = seen.get(item.name.name);
      if (prev) {
        this.diag(
          'name.duplicate',
          'error',
          `'${item.name.name}' is already defined at line ${prev.start.line + 1}; rename one of them.`,
          item.name.range,
          undefined,
          { related: [{ message: 'first defined here', range: prev }] },
        );
        continue;
      }
      seen.set(item.name.name, item.name.range);
      if (item.kind === 'block' && this.checkBlockNames(item)) this.blocks.set(item.name.name, { decl: item, uri: this.uri });
    }
    for (const item of this.file.items) {
      if (item.kind === 'import') this.loadImport(item.path.value, item.path.range, this.uri, 0, new Set([this.uri ?? '']));
    }
  }

  /**
   * A block's own names: a block named like a layer of the catalogue would
   * silently take that layer's place in every call (`dense(3)` would be the
   * block), so it is refused and not registered (calls keep the layer); a
   * parameter given twice, or named like one of the block's inputs, is
   * reported at the second name. False when the block is refused.
   */
  private checkBlockNames(decl: BlockDecl): boolean {
    const name = decl.name.name;
    if (getLayer(name)) {
      this.diag(
        'name.layer_name',
        'error',
        `'${name}' is a layer of the catalogue; a block cannot take its name (calls of '${name}' mean the layer): rename the block, e.g. '${name}_block'.`,
        decl.name.range,
        undefined,
        { fixes: [this.replaceFix(`Rename to '${name}_block'`, decl.name.range, `${name}_block`, true)] },
      );
      return false;
    }
    // A block has a few parameters: compared pairwise, with no map made per block on every keystroke.
    const params = decl.params;
    const firstParam = (n: string, before: number): Range | undefined => {
      for (let j = 0; j < before; j++) if (params[j].name.name === n) return params[j].name.range;
      return undefined;
    };
    for (let i = 1; i < params.length; i++) {
      const p = params[i];
      const prev = firstParam(p.name.name, i);
      if (prev) {
        this.diag('name.duplicate', 'error', `block '${name}' already has a parameter '${p.name.name}'; rename one of them.`, p.name.range, undefined, {
          related: [{ message: 'first declared here', range: prev }],
        });
      }
    }
    for (const input of blockInputs(decl).inputDecls) {
      const param = firstParam(input.name.name, params.length);
      if (param) {
        this.diag(
          'name.duplicate',
          'error',
          `'${input.name.name}' is both a parameter and an input of block '${name}'; rename one of them.`,
          input.name.range,
          undefined,
          { related: [{ message: 'the parameter', range: param }] },
        );
      }
    }
    return true;
  }

  private loadImport(
    path: string,
    at: Range,
    fromUri: string | undefined,
    depth: number,
    visiting: Set<string>,
    /** For an import of an imported file: that file's path as imported, and the import line in it. */
    via?: { path: string; range: Range },
  ): void {
    if (depth > LIMITS.maxImportDepth) {
      this.diag('import.too_deep', 'error', `imports nest deeper than ${LIMITS.maxImportDepth} files.`, at);
      return;
    }
    let loaded: { uri: string; text: string } | undefined;
    try {
      loaded = this.readImport?.(fromUri, path);
    } catch {
      loaded = undefined;
    }
    if (!loaded) {
      // `import "a.nnmodel` unclosed: already reported (the file is still looked for: its blocks are used).
      if (depth === 0 && this.file.errors.some((e) => e.range.start.offset === at.start.offset)) return;
      // Imported by an imported file: its path is relative to that file, which is named, and the line there related.
      if (via) {
        this.diag('import.not_found', 'error', `cannot find '${path}', imported by '${via.path}' (paths are relative to the file that imports them).`, at, undefined, {
          related: [{ message: `import "${path}"`, range: via.range, uri: fromUri }],
        });
      } else this.diag('import.not_found', 'error', `cannot find '${path}' (paths are relative to ${this.importBase}).`, at);
      return;
    }
    if (visiting.has(loaded.uri)) return; // a cycle: everything it holds is already being read
    visiting.add(loaded.uri);
    this.importTexts.set(loaded.uri, loaded.text);
    const file = parse(loaded.text);
    if (file.errors.length > 0) {
      // Also in a file an import imports: its blocks are used here just the same.
      const e = file.errors[0];
      this.diag(
        'import.errors',
        'error',
        `'${path}'${via ? `, imported by '${via.path}',` : ''} has ${file.errors.length} syntax error${file.errors.length > 1 ? 's' : ''}; the first, at ${e.range.start.line + 1}:${e.range.start.character + 1}: ${e.message}`,
        at,
        undefined,
        { related: [{ message: e.message, range: e.range, uri: loaded.uri }] },
      );
    }
    for (const item of file.items) {
      if (item.kind === 'block' && getLayer(item.name.name)) {
        // Refused in its own file (name.layer_name): here calls of that name mean the layer.
        this.diag(
          'name.layer_name',
          'error',
          `'${path}' has a block named like the layer '${item.name.name}' (line ${item.name.range.start.line + 1}); it is not imported, and '${item.name.name}' here means the layer: rename the block there.`,
          at,
          undefined,
          { related: [{ message: `block '${item.name.name}'`, range: item.name.range, uri: loaded.uri }] },
        );
      } else if (item.kind === 'block' && !this.blocks.has(item.name.name)) {
        this.blocks.set(item.name.name, { decl: item, uri: loaded.uri });
      } else if (item.kind === 'import') {
        this.loadImport(item.path.value, at, loaded.uri, depth + 1, visiting, { path, range: item.range });
      }
    }
  }

  // ------------------------------------------------------------------ models

  analyzeModel(decl: ModelDecl): ModelInfo {
    const g = newGraph();
    const ctx = makeCtx(new Map(), g, decl.name.name, this.uri, [], undefined, false, true);
    const inputs: ModelInfo['inputs'] = [];
    const outputs: ModelInfo['outputs'] = [];
    const errorsBefore = this.errors;
    let sawOutput = false;
    for (const stmt of decl.body) {
      if (stmt.kind === 'input') {
        if (!stmt.shape) {
          this.error(
            'input.shape_required',
            `model input '${stmt.name.name}' needs a shape, e.g. \`input ${stmt.name.name}: [28, 28, 1]\` or \`input ${stmt.name.name}: int[seq]\`.`,
            stmt.name.range,
            ctx,
          );
          ctx.env.set(stmt.name.name, { kind: 'tensor', node: -1, name: stmt.name.name });
          continue;
        }
        // A shape the parser read only in part (`[64 64, 3]`) is not the input's: its layers would report its rank.
        const partial = this.readInPart(stmt, ctx);
        const shape = partial ? undefined : this.evalShape(stmt.shape, ctx);
        const id = g.next++;
        g.nodes.push({ kind: 'input', id, name: stmt.name.name, shape: shape ?? { dims: [] }, range: stmt.range, port: g.inputs.length });
        g.inputs.push(id);
        if (shape) inputs.push({ name: stmt.name.name, shape, range: stmt.range });
        ctx.env.set(stmt.name.name, { kind: 'tensor', node: id, shape, name: stmt.name.name });
        if (shape) this.site(stmt.name.range, 'input', stmt.name.name, ctx, NO_SHAPES, shape);
      } else if (stmt.kind === 'output') {
        sawOutput = true;
        for (const e of stmt.values) {
          const v = this.evalExpr(e, ctx);
          if (v.kind === 'tensor') {
            if (v.node >= 0) g.outputs.push(v.node);
            if (v.shape) outputs.push({ shape: v.shape, range: e.range, nodeId: v.node });
          } else if (v.kind !== 'unknown') {
            this.error('output.not_tensor', `an output must be a tensor, but this is ${describeValue(v)}.`, e.range, ctx);
          }
        }
      } else {
        this.evalStatement(stmt, ctx);
      }
    }
    // Unless a statement the parser could not read (`h -> dense(4)` without `output`) may be it.
    if (!sawOutput && !(this.file.errors.length > 0 && this.brokenParts().unsure.has(decl))) {
      this.diag(
        'model.no_output',
        'error',
        `model '${decl.name.name}' has no output; add a line \`output <value>\`.`,
        decl.name.range,
        undefined,
        missingOutputFixes(decl, this.file, (n) => isTensorName(ctx, n)),
      );
    }
    const graph = freeze(g);
    // `unembed(e)` of an embedding the model never applies ties nothing: its table would be a weight of no layer.
    for (const u of unappliedObjectUses(graph)) {
      this.error('object.unapplied', u.message, u.node.uri === undefined || u.node.uri === this.uri ? u.node.range : decl.name.range, ctx);
    }
    const totals = totalsOf(graph, this.totals);
    const symbols = new Set<string>();
    for (const i of inputs) for (const d of i.shape.dims) if (!d.isConst()) for (const a of d.atoms()) symbols.add(a);
    const total = totals.params.trainable.add(totals.params.nonTrainable);
    return {
      name: decl.name.name,
      range: decl.range,
      nameRange: decl.name.range,
      uri: this.uri,
      graph,
      inputs,
      outputs,
      params: { trainable: totals.params.trainable, nonTrainable: totals.params.nonTrainable, total },
      macs: totals.macs,
      memory: {
        paramBytes: total.mul(4),
        activationBytes: totals.activations.mul(4),
      },
      symbols: [...symbols].sort(),
      hasErrors: this.errors > errorsBefore,
    };
  }

  /**
   * Whether a syntax error of this file lies in the model or in a block of
   * this file its graph uses: the parser recovered there by a guess
   * (`conv2d(8, 3 -> relu` read as `conv2d(8, 3) -> relu`), so the counts
   * must not pass for the model's. Applied to the file's models as a whole
   * (`analyzeFile`), so that an incremental session, which replays models
   * whose text is unchanged, marks them alike.
   */
  /**
   * Whether `call`, written in this file, holds a syntax error (`concat(x,`
   * closed by the parser at the line's end): what it lacks then is that
   * error's, not a mistake of its own to report again.
   */
  private brokenCall(call: CallExpr | undefined, ctx: Ctx): boolean {
    if (!call || ctx.uri !== this.uri) return false;
    const { start, end } = call.range;
    return this.file.errors.some((e) => e.range.start.offset >= start.offset && e.range.start.offset <= end.offset);
  }

  holdsSyntaxError(model: ModelInfo): boolean {
    const errors = this.file.errors;
    if (errors.length === 0 || model.uri !== this.uri) return false;
    const inside = (r: Range) => errors.some((e) => e.range.start.offset >= r.start.offset && e.range.start.offset <= r.end.offset);
    if (inside(model.range)) return true;
    const seen = new Set<string>();
    const usesBroken = (g: Graph): boolean => {
      for (const n of g.nodes) {
        if (n.kind !== 'group') continue;
        if (n.block !== undefined && !seen.has(n.block)) {
          seen.add(n.block);
          const def = this.blocks.get(n.block);
          if (def && def.uri === this.uri && inside(def.decl.range)) return true;
        }
        for (const r of n.runs) if (usesBroken(r.body)) return true;
      }
      return false;
    };
    return usesBroken(model.graph);
  }

  /** Check a block on its own (never used by a model): names and arguments, no shapes. */
  analyzeBlockStatically(def: BlockDef): void {
    const ctx = makeCtx(new Map(), newGraph(), '', def.uri, [def.decl.name.name], undefined, true, false);
    for (let i = 0; i < def.decl.params.length; i++) {
      const p = def.decl.params[i];
      ctx.env.set(p.name.name, p.default ? this.evalDefault(def.decl, i, ctx) : UNKNOWN);
      if (ctx.env.get(p.name.name)?.kind !== 'number') ctx.env.set(p.name.name, UNKNOWN);
    }
    this.runBlockBody(def, ctx, []);
  }

  // -------------------------------------------------------------- statements

  private evalStatement(stmt: Statement, ctx: Ctx): void {
    if (stmt.kind === 'assign') {
      // A binding the parser read only in part: its value is not known, and its uses report nothing more.
      if (this.readInPart(stmt, ctx)) {
        this.errors++;
        ctx.env.set(stmt.target.name, UNKNOWN);
        return;
      }
      const before = this.sites.length;
      const v = this.evalAssignValue(stmt, ctx);
      if (v.kind === 'tensor') {
        const named: TensorValue = { kind: 'tensor', node: v.node, shape: v.shape, name: stmt.target.name };
        ctx.env.set(stmt.target.name, named);
        // Before the sites of its value, which follow the name in the text: fewer out of order to sort.
        if (v.shape) this.site(stmt.target.range, 'value', stmt.target.name, ctx, NO_SHAPES, v.shape, undefined, undefined, undefined, before);
      } else {
        ctx.env.set(stmt.target.name, v.kind === 'object' ? { ...v, name: stmt.target.name } : v);
      }
    }
  }

  private evalAssignValue(stmt: AssignStmt, ctx: Ctx): Value {
    const e = stmt.value;
    // `wte = embedding(50257, 768)`: a bare layer call defines a layer object.
    if (e.kind === 'call' && !ctx.env.has(e.callee.name) && !this.blocks.has(e.callee.name)) {
      const spec = getLayer(e.callee.name);
      if (spec && variadicIndex(spec) < 0) {
        if (e.repeat) this.error('object.repeat', 'a layer object cannot be repeated; repeat where it is applied.', e.repeat.range, ctx);
        const r = this.resolveArgs(spec, e, ctx, false);
        // Its arguments' errors are reported: its applications would only repeat them ("vocab must be a positive integer"),
        // or, for an argument whose value is not known (`dense(round(3))`, an undefined name), say it has none.
        if (!r || r.unknown) return UNKNOWN;
        const args = r.args;
        // Named by its definition's body and place among that body's objects: no counter of the analysis,
        // so that a model an incremental session replays keeps the ids a fresh analysis gives it.
        const objects = (ctx.g.objects ??= []);
        const id = `${ctx.stack.length ? `block ${ctx.stack[ctx.stack.length - 1]}` : `model ${ctx.model}`}#${objects.length}`;
        objects.push(id);
        const obj: LayerObject = { kind: 'object', name: stmt.target.name, spec, args, label: this.labelOf(e, ctx, spec, args), state: { id, key: this.objectKeys++ } };
        this.site(e.range, 'object', spec.name, ctx, NO_SHAPES, undefined);
        return obj;
      }
    }
    return this.evalExpr(e, ctx);
  }

  private evalShape(shape: NonNullable<Extract<Statement, { kind: 'input' }>['shape']>, ctx: Ctx): Shape | undefined {
    if (shape.dims.length === 0) {
      // `input t: []`: no axis, nothing a batch of examples could be fed as (tfjs wants at least one per example).
      const one = shape.isInt ? 'int[1]' : '[1]';
      this.error('shape.empty', `an input needs at least one axis: one ${shape.isInt ? 'token id' : 'number'} per example is ${one}.`, shape.range, ctx, {
        fixes: [this.replaceFix(`Change to ${one}`, shape.range, one)],
      });
      return undefined;
    }
    const dims: Sym[] = new Array<Sym>(shape.dims.length);
    let ok = true;
    for (let i = 0; i < dims.length; i++) {
      const s = this.evalDim(shape.dims[i], ctx);
      if (!s) ok = false;
      else dims[i] = s;
    }
    return ok ? { dims, isInt: shape.isInt || undefined } : undefined;
  }

  /** A dimension: an integer, a symbol, or arithmetic of them. */
  private evalDim(e: Expr, ctx: Ctx): Sym | undefined {
    switch (e.kind) {
      case 'number':
        if (!Number.isInteger(e.value) || e.value < 1) {
          this.error('shape.bad_dim', `a dimension must be a whole number of at least 1, not ${e.text}.`, e.range, ctx);
          return undefined;
        }
        if (e.value > LIMITS.maxDim) {
          this.error('shape.too_large', `dimension ${e.text} is larger than ${LIMITS.maxDim}.`, e.range, ctx);
          return undefined;
        }
        return Sym.of(e.value);
      case 'name': {
        const v = ctx.env.get(e.name);
        if (v?.kind === 'number' && Number.isInteger(v.value) && v.value >= 1) return Sym.of(v.value);
        if (v?.kind === 'size') return v.sym;
        return Sym.atom(e.name);
      }
      case 'paren':
        return this.evalDim(e.expr, ctx);
      case 'binary': {
        const l = this.evalDim(e.left, ctx);
        const r = this.evalDim(e.right, ctx);
        if (!l || !r) return undefined;
        if (e.op === '+') return l.add(r);
        if (e.op === '-') return l.sub(r);
        if (e.op === '*') return l.mul(r);
        const rv = r.value;
        if (rv === undefined || rv === 0) {
          this.error('shape.bad_dim', 'a dimension can only be divided by a non-zero number.', e.range, ctx);
          return undefined;
        }
        return l.floorDiv(rv);
      }
      case 'error':
        return undefined;
      default:
        this.error('shape.bad_dim', 'a dimension is a whole number or a name such as `seq`.', e.range, ctx);
        return undefined;
    }
  }

  // ------------------------------------------------------------- expressions

  evalExpr(e: Expr, ctx: Ctx): Value {
    switch (e.kind) {
      case 'number':
        return numberValue(e.value);
      case 'string':
        return { kind: 'string', value: e.value };
      case 'bool':
        return { kind: 'bool', value: e.value };
      case 'error':
        return UNKNOWN;
      case 'paren':
        return this.evalExpr(e.expr, ctx);
      case 'list': {
        // A loop, not a closure: one capturing `ctx` made V8 allocate a context for every expression evaluated.
        const items = new Array<Value>(e.items.length);
        for (let i = 0; i < items.length; i++) items[i] = this.evalExpr(e.items[i], ctx);
        return { kind: 'list', items };
      }
      case 'name': {
        const v = ctx.env.get(e.name);
        if (v) return v;
        this.unknownName(e.name, e.range, ctx);
        return UNKNOWN;
      }
      case 'unary': {
        const v = this.evalExpr(e.operand, ctx);
        if (v.kind === 'number') return { kind: 'number', value: -v.value };
        if (v.kind !== 'unknown') this.error('type.operand', `cannot negate ${describeValue(v)}.`, e.range, ctx);
        return UNKNOWN;
      }
      case 'binary':
        return this.evalBinary(e, ctx);
      case 'chain': {
        let v = this.evalExpr(e.head, ctx);
        for (const call of e.calls) v = this.applyCall(call, v, ctx);
        return v;
      }
      case 'call':
        return this.evalStandaloneCall(e, ctx);
    }
  }

  private unknownName(name: string, range: Range, ctx: Ctx): void {
    // A body with a statement the parser could not read: that statement may be what binds the name.
    if (this.inBrokenBody(range.start.offset, ctx)) {
      if (ctx.uri === this.uri) this.errors++;
      return;
    }
    const def = this.defaultOf;
    if (def && def.decl.params.some((p, k) => k > def.index && p.name.name === name)) {
      this.error(
        'name.unknown',
        `'${name}' is a later parameter of block '${def.decl.name.name}': a default may use only the parameters before it. Move '${name}' before '${def.decl.params[def.index].name.name}' in the block's parameters.`,
        range,
        ctx,
      );
      return;
    }
    if (ctx.stack.length === 0 && this.isInputSize(name, ctx)) {
      this.error(
        'name.unknown',
        `'${name}' is a symbolic size of the model's input, not a value: a layer argument needs a number (in reshape, -1 stands for the size that is left: \`reshape([-1, 8])\`).`,
        range,
        ctx,
      );
      return;
    }
    // The same unknown name again in this body: one diagnostic for all its uses (a misspelt parameter is one
    // mistake), the others related and changed by its fixes too.
    const key = this.sameBodyKey('name', name, range, ctx);
    if (key !== undefined && this.joinUnknown(key, name, range)) return;
    if (this.layerAsValue(name, range, ctx)) return;
    const later = ctx.uri === this.uri ? this.laterBinding(name, range) : undefined;
    if (later) {
      const before = this.diagnostics.length;
      this.error(
        'name.unknown',
        `'${name}' is not defined yet: it is assigned below, on line ${later.start.line + 1}. Statements run in order, so a value is used on a line after the one that assigns it: move this line below line ${later.start.line + 1}.`,
        range,
        ctx,
        { related: [{ message: `'${name}' is assigned here`, range: later }] },
      );
      if (key !== undefined && this.diagnostics.length > before) this.unknownNames.set(key, this.diagnostics[before]);
      return;
    }
    const candidates = [...ctx.env.keys()];
    const options = suggest(name, candidates);
    const before = this.diagnostics.length;
    this.error('name.unknown', `'${name}' is not defined here.${didYouMean(options)}`, range, ctx, {
      fixes: options.map((o, i) => this.replaceFix(`Change to '${o}'`, range, o, i === 0)),
    });
    if (key !== undefined && this.diagnostics.length > before) this.unknownNames.set(key, this.diagnostics[before]);
  }

  /**
   * The ranges of the statements of model `m` that read the input whose
   * shape is at `shapeRange` (through the values made from it, in order).
   */
  private statementsReading(m: ModelInfo, shapeRange: Range): Range[] {
    const decl = modelDeclOf(this.file, m);
    const input = decl?.body.find((st): st is InputStmt => st.kind === 'input' && st.shape !== undefined && st.shape.range.start.offset === shapeRange.start.offset);
    if (!decl || !input) return [];
    const tainted = new Set([input.name.name]);
    const reads = (e: Expr): boolean => {
      let found = false;
      const visit = (x: Expr): void => {
        if (found) return;
        if (x.kind === 'name' && tainted.has(x.name)) found = true;
        else forEachChild(x, visit);
      };
      visit(e);
      return found;
    };
    const out: Range[] = [];
    for (const st of decl.body) {
      if (st.kind === 'assign' && reads(st.value)) {
        tainted.add(st.target.name);
        out.push(st.range);
      } else if (st.kind === 'output' && st.values.some(reads)) out.push(st.range);
    }
    return out;
  }

  /** The model or block of this file whose text holds `offset`, if any. */
  private bodyAt(offset: number): ModelDecl | BlockDecl | undefined {
    return this.file.items.find((i): i is ModelDecl | BlockDecl => (i.kind === 'model' || i.kind === 'block') && offset >= i.range.start.offset && offset <= i.range.end.offset);
  }

  /** The statement of a model or block body that holds `offset`, if any. */
  private statementAt(offset: number): Statement | undefined {
    return this.bodyAt(offset)?.body.find((st) => st.range.start.offset <= offset && offset <= st.range.end.offset);
  }

  /** The target of an assignment of `name` after `range` in the body that holds it, if any. */
  private laterBinding(name: string, range: Range): Range | undefined {
    const at = range.start.offset;
    const body = this.bodyAt(at);
    if (!body) return undefined;
    for (const st of body.body) if (st.kind === 'assign' && st.target.name === name && st.target.range.start.offset > range.end.offset) return st.target.range;
    return undefined;
  }

  /**
   * A layer's name where a value is due: `output x -> dense(10), softmax`
   * (a `,` for `->`: the fix makes it a step of the chain) or `bn =
   * batchnorm` (a layer object needs its parentheses: the fix adds them when
   * the layer needs no argument). True when it reported that.
   */
  private layerAsValue(name: string, range: Range, ctx: Ctx): boolean {
    const spec = getLayer(name);
    const text = this.file.text;
    if (!spec || text === undefined) return false;
    let i = range.start.offset - 1;
    while (i >= 0 && (text[i] === ' ' || text[i] === '\t')) i--;
    const before = text[i];
    const sameLine = i >= 0 && range.start.character - (range.start.offset - i) >= 0;
    const fixes: Fix[] = [];
    let how = `apply it to a value with \`-> ${name}\``;
    // Only a `,` of the statement itself (`output a, softmax`), not one between a call's arguments (`concat(x, relu)`).
    let depth = 0;
    for (let j = i - 1; j >= 0 && text[j] !== '\n'; j--) {
      const c = text[j];
      if (c === ')' || c === ']') depth--;
      else if (c === '(' || c === '[') depth++;
    }
    if (before === ',' && sameLine && depth <= 0 && ctx.uri === this.uri) {
      // From the end of the value before the ',' (a position of the tree, which an editor session moves with the
      // statement; one made here from the ',' offset would not move).
      const stmt = this.statementAt(range.start.offset);
      const values = stmt?.kind === 'output' ? stmt.values : [];
      const k = values.findIndex((v) => v.range.start.offset === range.start.offset);
      const from = k > 0 ? values[k - 1].range.end : undefined;
      if (from && /^[ \t]*,[ \t]*$/.test(text.slice(from.offset, range.start.offset))) {
        fixes.push({ title: `Apply it: '-> ${name}'`, edits: [{ range: { start: from, end: range.start }, newText: ' -> ' }], preferred: true });
      }
    } else if (before === '=') {
      const needs = requiredArgs(spec).map((k) => spec.args[k].name);
      how = `a layer object is a call: \`${name}(${needs.join(', ')})\``;
      if (needs.length === 0 && ctx.uri === this.uri) fixes.push({ title: `Make it a layer object: ${name}()`, edits: [{ range: { start: range.end, end: range.end }, newText: '()' }], preferred: true });
    }
    this.error('name.unknown', `'${name}' is a layer, not a value: ${how}.`, range, ctx, fixes.length ? { fixes } : {});
    return true;
  }

  /** The `name.unknown`/`name.unknown_layer` diagnostic of each (body, name) of this file: later uses join it (see `joinUnknown`). */
  private readonly unknownNames = new Map<string, Diagnostic>();

  /** Whether `name` is a symbolic dimension of an input of the model being analysed (`seq` of `input t: int[seq]`). */
  private isInputSize(name: string, ctx: Ctx): boolean {
    for (const id of ctx.g.inputs) {
      const n = ctx.g.nodes.find((m) => m.id === id);
      if (n?.kind === 'input' && n.shape.dims.some((d) => !d.isConst() && d.atoms().includes(name))) return true;
    }
    return false;
  }

  /** While a block parameter's default is evaluated: the block and the parameter's index (for `unknownName`). */
  private defaultOf: { decl: BlockDecl; index: number } | undefined;

  /** Evaluates parameter `i`'s default of `decl` in `scope` (which holds the parameters before it). */
  private evalDefault(decl: BlockDecl, i: number, scope: Ctx): Value {
    const outer = this.defaultOf;
    this.defaultOf = { decl, index: i };
    try {
      // A word as a call's argument is (`act = relu`): a choice unless it names an earlier parameter. One that
      // misspells an earlier parameter and is no layer's choice (`out = unit` after `units`) is the unknown name it is.
      const d = decl.params[i].default!;
      if (d.kind === 'name' && !scope.env.has(d.name) && !isChoiceWord(d.name) && suggest(d.name, decl.params.slice(0, i).map((p) => p.name.name)).length > 0) {
        return this.evalExpr(d, scope);
      }
      return this.evalBlockArg(d, scope);
    } finally {
      this.defaultOf = outer;
    }
  }

  private evalBinary(e: Extract<Expr, { kind: 'binary' }>, ctx: Ctx): Value {
    const l = this.evalExpr(e.left, ctx);
    const r = this.evalExpr(e.right, ctx);
    if (l.kind === 'unknown' || r.kind === 'unknown') return UNKNOWN;
    if (l.kind === 'number' && r.kind === 'number') {
      const n = arithmetic(e.op, l.value, r.value);
      if (n === undefined) {
        this.error('value.division_by_zero', 'division by zero.', e.range, ctx);
        return UNKNOWN;
      }
      return numberValue(n);
    }
    if (e.op === '+' && l.kind === 'tensor' && r.kind === 'tensor') {
      const add = getLayer('add');
      if (!add) return UNKNOWN;
      const entry = (this.addArgs ??= this.internArgs(add, new Array(add.args.length)));
      const before = this.diagnostics.length;
      const out = this.addLayerNode(add, entry?.args ?? argsWithDefaults(add, new Array(add.args.length)), [l, r], NO_TENSOR_ARGS, e.range, ctx, '+', undefined, e.opRange, undefined, entry);
      if (out.kind === 'unknown' && this.diagnostics.length === before + 1 && l.shape && r.shape) {
        if (!this.offerBrackets(e, l.shape, r.shape, ctx, this.diagnostics[before])) this.offerProjection(e, l.shape, r.shape, ctx, this.diagnostics[before]);
      }
      return out;
    }
    if (e.op === '*' && l.kind === 'tensor' && r.kind === 'tensor') {
      // `image * gate` (squeeze-and-excitation, a GLU): the elementwise product is a layer here.
      const text = this.file.text;
      const simple = (x: Expr) => x.kind === 'name' || x.kind === 'paren';
      const fix =
        text !== undefined && ctx.uri === this.uri && !ctx.static && simple(e.left) && simple(e.right)
          ? [this.replaceFix('Change to -> multiply(...)', e.range, `${text.slice(e.left.range.start.offset, e.left.range.end.offset)} -> multiply(${text.slice(e.right.range.start.offset, e.right.range.end.offset)})`)]
          : undefined;
      this.error(
        'type.operands',
        `cannot apply '*' to ${describeValue(l)} and ${describeValue(r)}: \`*\` multiplies numbers (or repeats a layer, \`-> f * 3\`); the elementwise product of two tensors is the layer multiply: \`a -> multiply(b)\`.`,
        e.opRange,
        ctx,
        fix ? { fixes: fix } : {},
      );
      return UNKNOWN;
    }
    this.error(
      'type.operands',
      `cannot apply '${e.op}' to ${describeValue(l)} and ${describeValue(r)}${e.op === '+' ? '; `+` adds two tensors or two numbers' : ''}.`,
      e.opRange,
      ctx,
    );
    return UNKNOWN;
  }

  /**
   * `h + h -> attention(4) -> dense(1000) -> softmax`: `->` binds tighter
   * than `+`, so the whole chain is added to `h`, but its first layers keep
   * `h`'s shape and the later ones do not: a residual connection around the
   * first layers, then the rest applied to the sum, was meant. The message
   * says so, with the fix that brackets the sum. True when it applied.
   */
  private offerBrackets(e: Extract<Expr, { kind: 'binary' }>, left: Shape, right: Shape, ctx: Ctx, d: Diagnostic): boolean {
    const chain = e.right;
    if (d.code !== 'shape.mismatch' || d.fixes || ctx.uri !== this.uri || ctx.static || chain.kind !== 'chain' || chain.calls.length < 2) return false;
    const text = this.file.text;
    if (text === undefined) return false;
    const want = this.shapeId(left);
    const nodes = ctx.g.nodes;
    let last = -1;
    for (let i = 0; i < chain.calls.length - 1; i++) {
      const at = chain.calls[i].range.start.offset;
      let shape: Shape | undefined;
      for (let j = nodes.length - 1; j >= 0; j--) {
        const n = nodes[j];
        if (n.kind !== 'input' && n.range.start.offset === at && n.uri === undefined) {
          shape = n.shape;
          break;
        }
      }
      if (shape === undefined) return false;
      if (this.shapeId(shape) === want) last = i;
    }
    if (last < 0) return false;
    const end = chain.calls[last].range.end;
    const sum = text.slice(e.range.start.offset, end.offset);
    const rest = text.slice(end.offset, e.range.end.offset).trim();
    const name = text.slice(e.left.range.start.offset, e.left.range.end.offset);
    d.message = `cannot add ${shapeToString(left)} and ${shapeToString(right)}: \`->\` binds tighter than \`+\`, so ${name} is added to the end of the whole chain, whose later layers change its shape. To add ${name} to the output of ${shortCallText(text, chain.calls[last].range)} (a residual connection) and go on from the sum, bracket it: \`(${sum}) ${rest}\``;
    d.fixes = [
      {
        title: `Bracket the sum: (${sum.length > 40 ? `${sum.slice(0, 37)}...` : sum})`,
        edits: [
          { range: { start: e.range.start, end: e.range.start }, newText: '(' },
          { range: { start: end, end }, newText: ')' },
        ],
        preferred: true,
      },
    ];
    return true;
  }

  /**
   * The quick fix of a `+` whose operands differ in channels (and maybe in
   * positions by a stride): a projection shortcut on the one with fewer
   * channels (`merge.ts` projectionFor). In a block body the numbers are
   * written as the parameters that hold them (`conv2d(filters, 1, stride =
   * stride)`), which fits every call; a number no parameter holds is not
   * offered there (it would be right for this call only).
   */
  private offerProjection(e: Extract<Expr, { kind: 'binary' }>, a: Shape, b: Shape, ctx: Ctx, d: Diagnostic): void {
    if (d.code !== 'shape.mismatch' || d.fixes || ctx.uri !== this.uri || ctx.static) return;
    const p = projectionFor(a, b);
    if (!p) return;
    let channels: number | string = p.channels;
    let stride: number | string = p.stride;
    if (ctx.stack.length > 0) {
      const decl = this.blocks.get(ctx.stack[ctx.stack.length - 1])?.decl;
      const named = (n: number): string | undefined => {
        const names = decl?.params.filter((q) => {
          const v = ctx.env.get(q.name.name);
          return v?.kind === 'number' && v.value === n;
        });
        return names?.length === 1 ? names[0].name.name : undefined;
      };
      const c = named(p.channels);
      const st = p.stride === 1 ? 1 : named(p.stride);
      if (c === undefined || st === undefined) return;
      channels = c;
      stride = st;
    }
    const operand = p.fewer === 0 ? e.left : e.right;
    const call = projectionCall({ layer: p.layer, channels, stride });
    const end = { start: operand.range.end, end: operand.range.end };
    const edits: TextEdit[] =
      operand.kind === 'binary'
        ? [
            { range: { start: operand.range.start, end: operand.range.start }, newText: '(' },
            { range: end, newText: `) -> ${call}` },
          ]
        : [{ range: end, newText: ` -> ${call}` }];
    d.fixes = [{ title: `Add a projection shortcut: -> ${call}`, edits, preferred: true }];
  }

  private evalStandaloneCall(call: CallExpr, ctx: Ctx): Value {
    const name = call.callee.name;
    if (
      (this.argDepth > 0 || (this.blockArgDepth > 0 && (name === 'max' || !getLayer(name)))) &&
      call.args.length > 0 &&
      !this.blocks.has(name) &&
      !ctx.env.has(name) &&
      !this.modelNamed(name) &&
      call.args.every((a) => !a.name && this.isArithmetic(a.value, ctx))
    ) {
      // `dense(max(1, c // 4))`: a function of numbers in an argument, as in Python. Arithmetic has none; `max` is a layer here.
      // A block's argument may also be a layer object (`b(1, dense(4))`, said by call.no_input): there, only `max` and
      // names that are no layer are read as functions of numbers.
      const spec = getLayer(name);
      this.error(
        'value.function',
        `${name}(…) of numbers: an argument's value is numbers and arithmetic (+ - * / //), with no functions${spec ? `; ${name} here is a layer (${spec.summary.replace(/^[A-Z]/, (c) => c.toLowerCase()).replace(/\.$/, '')})` : ''}. Write the number it should be (a block parameter can hold it).`,
        call.callee.range,
        ctx,
      );
      return UNKNOWN;
    }
    const bound = ctx.env.get(name);
    if (bound) {
      if (bound.kind === 'object') {
        this.error('call.no_input', `layer object '${name}' needs an input: write \`x -> ${name}\`.`, call.range, ctx);
      } else if (bound.kind === 'enum' && getLayer(bound.value)) {
        this.error('call.no_input', `'${name}' names the layer '${bound.value}', which needs an input: write \`x -> ${name}\`.`, call.range, ctx);
      } else if (bound.kind !== 'unknown') {
        this.error('call.not_callable', `'${name}' is ${describeValue(bound)}, not a layer or block.`, call.callee.range, ctx);
      }
      return UNKNOWN;
    }
    const block = this.blocks.get(name);
    if (block) return this.applyBlockCall(block, call, undefined, ctx);
    const spec = getLayer(name);
    if (spec) {
      if (variadicIndex(spec) >= 0) return this.applyLayerCall(spec, call, undefined, ctx);
      if (this.kerasInputShape(spec, call, ctx)) return UNKNOWN;
      this.error(
        'call.no_input',
        `${name} needs an input: write \`x -> ${call.range.end.offset - call.range.start.offset < 40 ? sourceOfCall(call) : name + '(...)'}\`, or bind it to a name to make a layer object.`,
        call.range,
        ctx,
      );
      return UNKNOWN;
    }
    this.unknownCallee(call, ctx);
    return UNKNOWN;
  }

  /**
   * `dense(16, input_shape = [4])` with nothing piped in: Keras's way of
   * giving the first layer its input. Here an input is declared on a line of
   * its own and piped in: one error, with the fix that does that (the shape
   * moved to an `input` line unless the model has an input already, which is
   * then piped in). True when it reported that.
   */
  private kerasInputShape(spec: LayerSpec, call: CallExpr, ctx: Ctx): boolean {
    const given = call.args.find((a) => a.name && KERAS_INPUT_ARGS.has(a.name.name));
    if (!given || ctx.static) return false;
    const text = this.file.text;
    const declared = ctx.g.nodes.find((n): n is InputNode => n.kind === 'input');
    const name = declared?.name ?? 'x';
    const rest = call.args.filter((a) => a !== given);
    const written = text === undefined ? undefined : rest.map((a) => text.slice(a.range.start.offset, a.range.end.offset));
    const piped = `${name} -> ${spec.name}${written && written.length > 0 ? `(${written.join(', ')})` : ''}`;
    const shape = text?.slice(given.value.range.start.offset, given.value.range.end.offset) ?? exprText(given.value);
    // The new `input` line goes before the statement, at its start (a position of the tree, which an editor
    // session moves when lines above change), followed by the statement's own indentation and line break.
    const stmt = this.statementAt(call.range.start.offset);
    const stmtStart = stmt?.range.start;
    const lineStart = stmtStart ? stmtStart.offset - stmtStart.character : 0;
    const indent = stmtStart && text !== undefined ? (/^[ \t]*/.exec(text.slice(lineStart, stmtStart.offset))?.[0] ?? '') : '';
    const eol = text?.includes('\r\n') ? '\r\n' : '\n';
    const fix: Fix | undefined =
      ctx.uri !== this.uri || written === undefined
        ? undefined
        : declared
          ? { title: `Pipe '${name}' in: ${piped}`, edits: [{ range: call.range, newText: piped }], preferred: true }
          : stmtStart
            ? {
                title: `Declare 'input x: ${shape}' and pipe it in`,
                edits: [
                  { range: { start: stmtStart, end: stmtStart }, newText: `input x: ${given.name!.name === 'input_dim' ? `[${shape}]` : shape}${eol}${indent}` },
                  { range: call.range, newText: piped },
                ],
                preferred: true,
              }
            : undefined;
    this.error(
      'call.no_input',
      `${spec.name} needs an input: '${given.name!.name}' is how Keras gives the first layer its input; here ${declared ? `the input '${name}' is declared, and is piped into the first layer: \`${piped}\`` : `an input is declared on its own line (\`input x: ${shape}\`) and piped into the first layer: \`${piped}\``}.`,
      call.range,
      ctx,
      fix ? { fixes: [fix] } : {},
    );
    return true;
  }

  /**
   * `input image: [3, 32, 32]` into `conv2d(16, 3) -> maxpool(2)`: the
   * pooling then fails ("pool size 2 is larger than the input's 1"), which is
   * the channels-first input's doing, not a mistake of its own. The size
   * errors in that model are dropped, and `d` (the input's warning, with the
   * fix) becomes the error, naming the layer that failed: a copy (an editor
   * session keeps the lints' diagnostics and gives them again).
   */
  absorbFollowOn(d: Diagnostic, models: readonly ModelInfo[]): Diagnostic {
    const at = d.range.start.offset;
    const here = (uri: string | undefined) => uri === undefined || uri === this.uri;
    const m = models.find((x) => here(x.uri) && x.range.start.offset <= at && at <= x.range.end.offset);
    if (!m) return d;
    // Only in statements that read the input (directly, or through values made from it): another branch's error is its own.
    const reading = this.statementsReading(m, d.range);
    const inside = (x: Diagnostic) => here(x.uri) && reading.some((r) => r.start.offset <= x.range.start.offset && x.range.end.offset <= r.end.offset);
    const follow = this.diagnostics.filter((x) => x.severity === 'error' && SIZE_ERRORS.has(x.code) && inside(x));
    if (follow.length === 0) return d;
    for (const x of follow) this.diagnostics.splice(this.diagnostics.indexOf(x), 1);
    // What failed, without its own advice (`use padding=same`), which does not apply.
    const what = follow[0].message.replace(/;[^;]*$/, '').replace(/\.$/, '');
    return {
      ...d,
      severity: 'error',
      message: `${d.message} That is why line ${follow[0].range.start.line + 1} fails (${what}).`,
      related: [...(d.related ?? []), { message: what, range: follow[0].range }],
    };
  }

  /** Whether `e` is arithmetic of numbers: literals, and names bound to numbers, with + - * / // and brackets. */
  private isArithmetic(e: Expr, ctx: Ctx): boolean {
    switch (e.kind) {
      case 'number':
        return true;
      case 'name':
        return ctx.env.get(e.name)?.kind === 'number';
      case 'paren':
        return this.isArithmetic(e.expr, ctx);
      case 'unary':
        return this.isArithmetic(e.operand, ctx);
      case 'binary':
        return this.isArithmetic(e.left, ctx) && this.isArithmetic(e.right, ctx);
      default:
        return false;
    }
  }

  private unknownCallee(call: CallExpr, ctx: Ctx, input?: Value): void {
    const name = call.callee.name;
    const model = this.modelNamed(name);
    if (model) {
      const where = model.uri === this.uri ? '' : ` (in ${model.uri})`;
      const here = model.uri === this.uri && ctx.uri === this.uri;
      const fix = here ? this.modelToBlockFix(model.decl) : undefined;
      this.error(
        'name.model_as_layer',
        `'${name}' is a model${where}; only blocks can be used as layers: change \`model ${name}\` to \`block ${name}\`${where ? ' there' : ''} (with \`input\`/\`output\` as they are).`,
        call.callee.range,
        ctx,
        { fixes: fix ? [fix] : undefined, related: here ? [{ message: `model '${name}' is defined here`, range: model.decl.name.range }] : undefined },
      );
      return;
    }
    // A declaration of this name the parser could not read (`res_block(f) {` without `block`): its error says it.
    if (
      ctx.uri === this.uri &&
      this.file.errors.length > 0 &&
      (this.brokenParts().names.has(name) || this.inBrokenBody(call.range.start.offset, ctx, 'dropped') || this.inBrokenHeader(name, call.range.start.offset))
    ) {
      this.errors++;
      return;
    }
    // The same unknown callee again in this body (a misspelt block declaration: every call of it): one diagnostic.
    const range = call.callee.range;
    const key = this.sameBodyKey('callee', name, range, ctx);
    if (key !== undefined && this.joinUnknown(key, name, range)) return;
    if (name.toLowerCase() === 'bidirectional' && !this.blocks.has(name)) {
      this.bidirectionalWrapper(call, ctx);
      return;
    }
    if (this.missingLayer(call, input, ctx)) return;
    const options = suggestLayer(name, [...LAYERS.keys(), ...this.blocks.keys(), ...objectNames(ctx)]);
    const before = this.diagnostics.length;
    this.error('name.unknown_layer', `unknown layer or block '${name}'.${didYouMean(options)}`, range, ctx, {
      fixes: options.map((o, i) => this.replaceFix(`Change to '${o}'`, range, o, i === 0)),
    });
    if (key !== undefined && this.diagnostics.length > before) this.unknownNames.set(key, this.diagnostics[before]);
  }

  /**
   * A Keras or PyTorch layer the catalogue has under no name of its own
   * (`DepthwiseConv2D(3)`, `RepeatVector(5)`, `ZeroPad2d(1)`): what to
   * write instead (see `missingLayerHint`), with the rewrite of the call
   * where it is mechanical. False for any other name.
   */
  private missingLayer(call: CallExpr, input: Value | undefined, ctx: Ctx): boolean {
    const shape = input?.kind === 'tensor' ? input.shape : undefined;
    const dims = shape?.dims.map((d) => d.value);
    const text = this.file.text;
    const source = (e: Expr) => (text === undefined ? exprText(e) : text.slice(e.range.start.offset, e.range.end.offset));
    const hint = missingLayerHint(call.callee.name, call.args, dims, source);
    if (!hint) return false;
    // The call without a `* N` after it (a rewrite into two layers would change what the repeat repeats).
    const range = { start: call.callee.range.start, end: call.argsRange?.end ?? call.callee.range.end };
    const fix = hint.replacement !== undefined && !call.repeat && ctx.uri === this.uri && !ctx.static ? [this.replaceFix(`Change to ${hint.replacement}`, range, hint.replacement, hint.preferred ?? false)] : undefined;
    this.error('name.unknown_layer', `unknown layer or block '${call.callee.name}'${hint.message}`, call.callee.range, ctx, { fixes: fix });
    return true;
  }

  /**
   * Keras's `Bidirectional(LSTM(64))`: here a recurrent layer reads both ways
   * with an argument. The fix rewrites the call into its recurrent layer
   * with `bidirectional = true` (`lstm(64, bidirectional = true)`).
   */
  private bidirectionalWrapper(call: CallExpr, ctx: Ctx): void {
    const arg = call.args.length === 1 && !call.args[0].name ? call.args[0].value : undefined;
    // Keras spells them LSTM, GRU, SimpleRNN.
    const lower = arg?.kind === 'call' ? arg.callee.name.toLowerCase() : '';
    const op = lower === 'simplernn' ? 'rnn' : lower;
    const inner = arg?.kind === 'call' && isRecurrent(op) && arg.argsRange && !arg.repeat ? arg : undefined;
    let written: string | undefined;
    if (inner) {
      // Its own `bidirectional`, by name or in its place (units, return_sequences, bidirectional), becomes true.
      let positional = 0;
      let set = false;
      const parts = inner.args.map((a) => {
        const at = a.name ? -1 : positional++;
        if (a.name?.name === 'bidirectional' || at === 2) {
          set = true;
          return a.name ? 'bidirectional = true' : 'true';
        }
        return a.name ? `${a.name.name} = ${exprText(a.value)}` : exprText(a.value);
      });
      if (!set) parts.push('bidirectional = true');
      written = `${op}(${parts.join(', ')})`;
    }
    // The call without a `* N` after it.
    const range = { start: call.callee.range.start, end: call.argsRange?.end ?? call.callee.range.end };
    const fix = written && ctx.uri === this.uri && !ctx.static ? [this.replaceFix(`Change to ${written}`, range, written)] : undefined;
    this.error(
      'name.unknown_layer',
      `unknown layer or block '${call.callee.name}': a recurrent layer reads the sequence both ways with an argument here, as PyTorch's bidirectional=True: write \`${written ?? 'lstm(units, bidirectional = true)'}\` (rnn, lstm or gru).`,
      call.callee.range,
      ctx,
      { fixes: fix },
    );
  }

  /**
   * The key of an unknown `name` (a value, or a callee) in the model or block
   * of this file that holds `range`: later uses there join its diagnostic
   * (see `joinUnknown`). Per body, so that an incremental session, which
   * replays bodies' results whole, gives what a fresh analysis does.
   */
  private sameBodyKey(kind: string, name: string, range: Range, ctx: Ctx): string | undefined {
    if (ctx.uri !== this.uri) return undefined;
    const at = range.start.offset;
    const body = this.bodyAt(at);
    return body ? `${kind}:${body.range.start.offset}:${name}` : undefined;
  }

  /** Adds a use of an unknown name to the diagnostic of its first use (related, and edited by its fixes); false when there is none yet. */
  private joinUnknown(key: string, name: string, range: Range): boolean {
    const first = this.unknownNames.get(key);
    if (!first) return false;
    this.errors++;
    if (first.range.start.offset === range.start.offset || first.related?.some((r) => r.range.start.offset === range.start.offset)) return true;
    (first.related ??= []).push({ message: `'${name}' is used here too`, range });
    for (const f of first.fixes ?? []) f.edits.push({ range, newText: f.edits[0].newText });
    // A hint at this use too (the editor marks it, the Problems panel lists only the error): with the same
    // fixes, so that mending it here mends every use.
    // Its message names no line: the incremental session moves ranges, not the text of messages.
    const what = first.code === 'name.unknown_layer' ? `unknown layer or block '${name}'` : `'${name}' is not defined here`;
    this.pushDiagnostic({ code: first.code, severity: 'hint', message: `${what}, as at its first use.`, range, fixes: first.fixes, related: [{ message: 'its first use', range: first.range }] });
    return true;
  }

  /** Models this file can see by name: its own, then those of the files it imports (read once, on the first use of a model as a layer). */
  private modelsByName: Map<string, { decl: ModelDecl; uri: string | undefined }> | undefined;

  private modelNamed(name: string): { decl: ModelDecl; uri: string | undefined } | undefined {
    if (!this.modelsByName) {
      const models = new Map<string, { decl: ModelDecl; uri: string | undefined }>();
      for (const item of this.file.items) if (item.kind === 'model' && !models.has(item.name.name)) models.set(item.name.name, { decl: item, uri: this.uri });
      for (const [uri, text] of this.importTexts) {
        for (const item of parse(text).items) if (item.kind === 'model' && !models.has(item.name.name)) models.set(item.name.name, { decl: item, uri });
      }
      this.modelsByName = models;
    }
    return this.modelsByName.get(name);
  }

  /**
   * `model A` → `block A`, the rest as it is: a block's `input x: [shape]`
   * checks the shape piped in and binds its names, as the model's did.
   * Offered only while nothing else needs A to be a model (no train section
   * names it).
   */
  private modelToBlockFix(decl: ModelDecl): Fix | undefined {
    const name = decl.name.name;
    const text = this.file.text;
    if (text === undefined || text.slice(decl.range.start.offset, decl.range.start.offset + 5) !== 'model') return undefined;
    const word = new RegExp(`\\b${name}\\b`);
    for (const item of this.file.items) {
      if (item.kind === 'train' && (item.name.name === name || word.test(text.slice(item.range.start.offset, item.range.end.offset)))) return undefined;
    }
    const start = decl.range.start;
    const end = { line: start.line, character: start.character + 5, offset: start.offset + 5 };
    return { title: `Change model '${name}' to a block`, edits: [{ range: { start, end }, newText: 'block' }], preferred: true };
  }

  /** `input -> call`. */
  private applyCall(call: CallExpr, input: Value, ctx: Ctx): Value {
    const name = call.callee.name;
    if (input.kind !== 'tensor' && input.kind !== 'unknown') {
      this.error('type.not_tensor', `'->' needs a tensor on its left, but this is ${describeValue(input)}.`, call.range, ctx);
      input = UNKNOWN;
    }
    const bound = ctx.env.get(name);
    if (bound) {
      if (bound.kind === 'object') return this.applyObject(bound, call, input, ctx);
      if (bound.kind === 'enum') return this.applyLayerWord(bound.value, call, input, ctx);
      if (bound.kind !== 'unknown') {
        this.error('call.not_callable', `'${name}' is ${describeValue(bound)}, not a layer or block.`, call.callee.range, ctx);
      }
      return UNKNOWN;
    }
    const block = this.blocks.get(name);
    if (block) return this.applyBlockCall(block, call, input, ctx);
    const spec = getLayer(name);
    if (spec) return this.applyLayerCall(spec, call, input, ctx);
    this.unknownCallee(call, ctx, input);
    return UNKNOWN;
  }

  /**
   * `-> act` where `act` holds a word: a block parameter given `gelu` (or
   * its default, `act = relu`). The word names the layer applied, with its
   * defaults; each application is a layer of its own, with its own weights
   * where it has any (a layer object given instead shares one set). Its
   * nodes read as that layer (`gelu`) with the name as their source. A word
   * that names no layer, or a layer that needs arguments, is the call's
   * mistake: reported where the word was written (see `argError`).
   */
  private applyLayerWord(word: string, call: CallExpr, input: Value, ctx: Ctx): Value {
    const name = call.callee.name;
    const spec = getLayer(word);
    if (!spec || !appliesBare(spec)) {
      this.unusableLayerWord(word, spec, call, ctx);
      return UNKNOWN;
    }
    if (call.argsRange) {
      this.error(
        'call.word_args',
        `'${name}' stands for the layer '${word}', applied with its defaults: write \`-> ${name}\`. For a ${word} with other arguments, pass a layer object: define \`l = ${word}(…)\` before the call and give \`${name} = l\` (every application of it shares one set of weights).`,
        call.argsRange,
        ctx,
      );
      return UNKNOWN;
    }
    const r = this.resolveArgs(spec, call, ctx);
    const repeat = this.repeatCount(call, ctx);
    if (!r || repeat === undefined || r.unknown) return UNKNOWN;
    if (repeat !== 1) return this.repeatLayer(spec, call, r, repeat, input, ctx, word);
    const inputs = this.oneInput;
    inputs[0] = input;
    const out = this.addLayerNode(spec, r.args, inputs, r.tensors, call.range, ctx, word, call, undefined, undefined, r.entry);
    if (out.kind === 'tensor') {
      // The name as written, beside the layer it stands for (LayerNode.source).
      const node = ctx.g.nodes[ctx.g.nodes.length - 1];
      if (node.id === out.node && node.kind === 'layer') node.source = name;
    }
    return out;
  }

  /** Reports a word applied as a layer (`-> act`) that names no layer, or one that needs arguments. */
  private unusableLayerWord(word: string, spec: LayerSpec | undefined, call: CallExpr, ctx: Ctx): void {
    const name = call.callee.name;
    const use: Expr = { kind: 'name', name, range: call.callee.range };
    if (!spec) {
      const options = suggestLayer(word, bareLayerNames());
      this.argError(
        'call.not_callable',
        `'${word}' is not a layer: '${name}' is applied as one (\`-> ${name}\`), so it takes the name of a layer that needs no arguments (relu, gelu, softmax, layernorm, batchnorm, flatten, …) or a layer object.${didYouMean(options)}`,
        use,
        ctx,
        (at) => options.map((o, i) => this.replaceFix(`Change to '${o}'`, at, o, i === 0)),
      );
      return;
    }
    const variadic = variadicIndex(spec);
    const needs = variadic >= 0 ? [spec.args[variadic].name] : requiredArgs(spec).map((k) => spec.args[k].name);
    const list = needs.map((n) => `'${n}'`).join(', ');
    this.argError(
      'arg.missing',
      `${word} needs ${needs.length === 1 ? 'its argument' : 'the arguments'} ${list}, but '${name}' applies the layer it names with its defaults (\`-> ${name}\`). For a layer with arguments, pass a layer object: define \`l = ${word}(${needs.join(', ')})\` before the call and give \`${name} = l\` (every application of it shares one set of weights).`,
      use,
      ctx,
    );
  }

  // ------------------------------------------------------------------ layers

  /** Resolved arguments of a layer call. Undefined when they cannot be resolved. */
  private resolveArgs(spec: LayerSpec, call: CallExpr, ctx: Ctx, allowTensors = true): Resolved | undefined {
    // Values by schema index: one small array instead of a record keyed by
    // name (and a second one for the defaults); SEEN marks an argument that
    // was written but has no value (unknown, or an error already reported).
    // The array is a scratch one of this nesting depth (an argument can hold
    // a call): `internArgs` copies it when it keeps it.
    const specs = spec.args;
    const depth = this.resolveDepth++;
    let vals = this.valsPool[depth];
    if (vals === undefined) vals = this.valsPool[depth] = [];
    for (let i = 0; i < specs.length; i++) vals[i] = undefined;
    vals.length = specs.length;
    try {
      return this.resolveInto(spec, call, ctx, allowTensors, vals);
    } finally {
      this.resolveDepth--;
    }
  }

  private resolveInto(
    spec: LayerSpec,
    call: CallExpr,
    ctx: Ctx,
    allowTensors: boolean,
    vals: (ArgValue | typeof SEEN | undefined)[],
  ): Resolved | undefined {
    const specs = spec.args;
    // Most calls take no tensor arguments: share empty ones until one is given.
    let tensorInputs: TensorValue[] = NO_TENSOR_INPUTS;
    let tensors: Record<string, Shape | undefined> = NO_TENSOR_ARGS;
    let namedTensors: [number, TensorValue][] | undefined;
    /** Arguments an unknown name was taken for (its suggestions). */
    let meant: Set<string> | undefined;
    let unknown = false;
    let ok = true;
    /** A value without a name after a named one was reported for this call. */
    let namedAfter = false;
    const variadic = variadicIndex(spec);
    if (this.spreadList(spec, call, ctx)) return undefined;
    let pos = 0;
    for (const arg of call.args) {
      let specArg: ArgSpec | undefined;
      let idx = -1;
      if (arg.name) {
        const argName = arg.name.name;
        for (let i = 0; i < specs.length; i++) {
          if (specs[i].name === argName) {
            idx = i;
            break;
          }
        }
        specArg = idx >= 0 ? specs[idx] : undefined;
        if (!specArg) {
          // `conv2d(16, kernel_size = 3)`: the misnamed argument is the missing one, said once.
          for (const o of this.unknownArg(spec, call, arg, ctx, variadic)) (meant ??= new Set()).add(o);
          ok = false;
          continue;
        }
      } else if (variadic >= 0 && pos >= variadic && spec.args[variadic]) {
        idx = variadic;
        specArg = spec.args[variadic];
      } else {
        idx = pos++;
        specArg = spec.args[idx];
        if (specArg?.type === 'tensors') specArg = undefined;
        if (!specArg) {
          this.error(
            'arg.too_many',
            `${spec.name} takes ${spec.args.length === 0 ? 'no arguments' : `at most ${spec.args.filter((a) => a.type !== 'tensors').length} positional argument${spec.args.length > 1 ? 's' : ''}: ${spec.args.map((a) => a.name).join(', ')}`}.${spec.name === 'flatten' ? " (PyTorch's flatten(1) keeps the batch axis apart; here shapes have no batch axis, and flatten makes one vector of each example.)" : ''}`,
            arg.range,
            ctx,
            // `flatten(1)`, `relu()`: a layer without arguments, written with some.
            spec.args.length === 0 && call.argsRange ? { fixes: [this.replaceFix(`Remove the arguments: ${spec.name}`, call.argsRange, '')] } : {},
          );
          ok = false;
          continue;
        }
      }
      if (specArg.type !== 'tensors') {
        if (vals[idx] !== undefined) {
          // `dense(units = 4, 3)`: a value by position fills the arguments in their order, whatever was named before it.
          const byPosition = !arg.name && namesArg(call, specArg.name);
          ok = false;
          // `conv2d(filters = 16, 3, 2)`: said once for the call, with the values named as they were meant.
          if (byPosition && namedAfter) continue;
          const meantNames = byPosition && variadic < 0 ? this.namePositionalAfterNamed(spec, call) : undefined;
          if (byPosition) namedAfter = true;
          for (const n of meantNames?.filled ?? []) (meant ??= new Set()).add(n);
          this.error(
            'arg.duplicate',
            byPosition
              ? `'${specArg.name}' is given twice: by name, and by this value's position (values without a name fill ${spec.name}'s arguments in order: ${specs.filter((a) => a.type !== 'tensors').map((a) => a.name).join(', ')}). Put the values without a name first, or name this one${meantNames ? `: ${spec.name}(${meantNames.text})` : ''}.`
              : `'${specArg.name}' is given twice.`,
            arg.range,
            ctx,
            meantNames && call.argsRange ? { fixes: [this.replaceFix(`Name the values: ${spec.name}(${meantNames.text})`, { start: call.args[0].range.start, end: call.args[call.args.length - 1].range.end }, meantNames.text)] } : {},
          );
          continue;
        }
        vals[idx] = SEEN;
      }
      if (specArg.type === 'tensors' || specArg.type === 'tensor') {
        if (!allowTensors) {
          this.error('arg.type', `'${specArg.name}' takes a tensor, which a layer object cannot hold.`, arg.range, ctx);
          ok = false;
          continue;
        }
        const v = this.evalExpr(arg.value, ctx);
        if (v.kind === 'unknown' || (v.kind === 'tensor' && !v.shape)) {
          unknown = true;
          continue;
        }
        if (v.kind !== 'tensor') {
          this.error('arg.type', `'${specArg.name}' takes a tensor, but this is ${describeValue(v)}.`, arg.value.range, ctx);
          ok = false;
          continue;
        }
        if (specArg.type === 'tensors') {
          if (tensorInputs === NO_TENSOR_INPUTS) tensorInputs = [];
          tensorInputs.push(v);
        } else {
          if (tensors === NO_TENSOR_ARGS) tensors = {};
          tensors[specArg.name] = v.shape;
          vals[idx] = { kind: 'tensorRef', name: v.name ?? specArg.name };
          (namedTensors ??= []).push([idx, v]);
        }
        continue;
      }
      const converted = this.convertArg(spec, specArg, arg, ctx, call);
      if (converted === undefined) ok = false;
      else if (converted === 'unknown') unknown = true;
      else vals[idx] = converted;
    }
    // Named tensors follow the variadic values, in schema order (see LayerSpec.tfjs).
    if (namedTensors) {
      namedTensors.sort((a, b) => a[0] - b[0]);
      if (tensorInputs === NO_TENSOR_INPUTS) tensorInputs = [];
      for (const [, v] of namedTensors) tensorInputs.push(v);
    }
    for (const i of requiredArgs(spec)) {
      if (vals[i] === undefined && !meant?.has(specs[i].name) && !this.brokenCall(call, ctx)) {
        const a = specs[i];
        this.error('arg.missing', `${spec.name} needs '${a.name}': ${a.doc}`, call.argsRange ?? call.callee.range, ctx);
        ok = false;
      }
    }
    if (!ok) return undefined;
    // Equal arguments share one record with defaults filled in: built once, kept once.
    const entry = this.internArgs(spec, vals);
    // The common case (known plain values, no tensor) shares one record per argument list instead of one per call.
    if (entry !== undefined && !unknown && tensorInputs === NO_TENSOR_INPUTS && tensors === NO_TENSOR_ARGS) {
      return (entry.resolved ??= { args: entry.args, entry, tensorInputs, tensors, unknown });
    }
    return { args: entry ? entry.args : argsWithDefaults(spec, vals), entry, tensorInputs, tensors, unknown };
  }

  /**
   * Reports an argument name `spec` does not have (`arg.name`), with the
   * names it may have meant; returns those names. Apart from `resolveInto`,
   * whose loop would otherwise keep its variables in a context allocated for
   * every call and argument (the closures here capture them).
   */
  private unknownArg(spec: LayerSpec, call: CallExpr, arg: Arg, ctx: Ctx, variadic: number): string[] {
    const name = arg.name!;
    const suggested = suggestArg(name.name, spec.args.map((a) => a.name));
    // `conv2d(3, 32, kernel_size = 3)` (PyTorch's in and out channels first): 'kernel' is given already, by
    // position; renaming this one would give it twice.
    const positional = call.args.filter((b) => !b.name);
    const givenAt = (o: string) => {
      const i = spec.args.findIndex((a) => a.name === o);
      // After a variadic argument (`concat(a, b, axis)`), every value without a name is one of its values.
      const byPosition = i >= 0 && i < positional.length && spec.args[i].type !== 'tensors' && !(variadic >= 0 && i > variadic);
      return byPosition ? positional[i] : call.args.find((b) => b !== arg && b.name?.name === o);
    };
    const options = suggested.filter((o) => !givenAt(o));
    const taken = suggested.length > 0 && options.length === 0 ? suggested[0] : undefined;
    const takenBy = taken === undefined ? undefined : givenAt(taken);
    const already =
      takenBy === undefined
        ? ''
        : ` Its '${taken}' is given already${takenBy.name ? '' : `, by position: ${exprText(takenBy.value)}`}.${/^conv/.test(spec.name) && !takenBy.name ? ` The input's channels are not an argument (as PyTorch's in_channels is): ${spec.name}(filters, kernel, ...).` : ''}`;
    // PyTorch's `dim = 1` is not this language's axis 1: the batch is not counted here, and images keep their channels last.
    const dim = name.name === 'dim' && options[0] === 'axis' ? " PyTorch's dim counts the batch axis and puts an image's channels at 1; axis counts the example's axes from 0, and -1 is the last (the channels)." : '';
    // `h = dense(16, input_dim = 4)`: Keras's first layer; the input is declared and piped in here.
    const keras = KERAS_INPUT_ARGS.has(name.name) && options.length === 0;
    // The model's input, when it has one: piped into the call instead (`h = x -> dense(64)`), which makes h a value.
    const modelInput = keras ? ctx.g.nodes.find((n): n is InputNode => n.kind === 'input') : undefined;
    const text = this.file.text;
    const kept = keras && text !== undefined ? call.args.filter((b) => b !== arg).map((b) => text.slice(b.range.start.offset, b.range.end.offset)) : [];
    const pipedIn = modelInput ? `${modelInput.name} -> ${spec.name}${kept.length ? `(${kept.join(', ')})` : ''}` : undefined;
    const kerasText = keras
      ? ` '${name.name}' is how Keras gives the first layer its input; here an input is declared on its own line and piped in: ${pipedIn ? `\`${pipedIn}\`` : `\`input x: [${text?.slice(arg.value.range.start.offset, arg.value.range.end.offset) ?? '...'}]\`, then \`x -> ${spec.name}(...)\``}.`
      : '';
    // PyTorch's `ceil_mode = True`, Keras's `initial_state`: the way to it here, or that there is none.
    const missing = options.length === 0 && !keras ? missingArgHint(spec.name, name.name, arg.value, this.argTexts(spec, call)) : undefined;
    if (missing) {
      const fix =
        missing.replacement === undefined
          ? undefined
          : missing.replacement === ''
            ? this.replaceFix(`Remove '${name.name}'`, argRemoval(call, arg), '')
            : this.replaceFix(`Change to ${missing.replacement}`, arg.range, missing.replacement);
      this.error('arg.unknown', `${spec.name} has no argument '${name.name}'.${missing.message}`, name.range, ctx, { fixes: fix ? [fix] : undefined });
      return options;
    }
    this.error(
      'arg.unknown',
      `${spec.name} has no argument '${name.name}'.${didYouMean(options)}${dim}${kerasText}${already}${spec.args.length === 0 ? ` It takes no arguments: write \`${spec.name}\`.` : ` Its arguments: ${spec.args.map((a) => a.name).join(', ')}.`}`,
      name.range,
      ctx,
      {
        fixes: keras
          ? [
              ...(pipedIn && ctx.uri === this.uri ? [this.replaceFix(`Pipe '${modelInput!.name}' in: ${pipedIn}`, call.range, pipedIn)] : []),
              this.replaceFix(`Remove '${name.name}'`, argRemoval(call, arg), '', !pipedIn),
            ]
          : dim && torchFeatureDim(arg.value)
            ? [this.replaceFix('Change to axis = -1', arg.range, 'axis = -1')]
            : options.map((o, i) => this.replaceFix(`Change to '${o}'`, name.range, o, i === 0)),
      },
    );
    return options;
  }

  /** A call's arguments as written, by the name of the argument each is (by name, or by position). */
  private argTexts(spec: LayerSpec, call: CallExpr): Map<string, string> {
    const text = this.file.text;
    const source = (e: Expr) => (text === undefined ? exprText(e) : text.slice(e.range.start.offset, e.range.end.offset));
    const out = new Map<string, string>();
    let at = 0;
    for (const a of call.args) {
      const n = a.name ? a.name.name : spec.args[at++]?.name;
      if (n !== undefined) out.set(n, source(a.value));
    }
    return out;
  }

  /**
   * `conv2d(filters = 16, 3, 2)`: values without a name after a named one,
   * meant (as the writer reads it) for the next arguments not named:
   * `filters = 16, kernel = 3, stride = 2`. The call's arguments so written,
   * and the arguments they fill; undefined when there are more values than
   * arguments left.
   */
  private namePositionalAfterNamed(spec: LayerSpec, call: CallExpr): { text: string; filled: string[] } | undefined {
    const text = this.file.text;
    if (text === undefined) return undefined;
    const named = new Set<string>();
    for (const a of call.args) if (a.name) named.add(a.name.name);
    const free = spec.args.filter((a) => a.type !== 'tensors' && !named.has(a.name) && !a.name.startsWith('_'));
    const parts: string[] = [];
    const filled: string[] = [];
    let next = 0;
    let seenNamed = false;
    for (const a of call.args) {
      const written = text.slice(a.range.start.offset, a.range.end.offset);
      if (a.name) {
        seenNamed = true;
        parts.push(written);
        continue;
      }
      const target = free[next++];
      if (target === undefined || !mayFill(target, a.value)) return undefined;
      filled.push(target.name);
      parts.push(seenNamed ? `${target.name} = ${written}` : written);
    }
    return { text: parts.join(', '), filled };
  }

  /**
   * `reshape(28, 28, 1)`: the values of a list argument (`shape`, `perm`) given
   * one by one, as NumPy's `reshape` and PyTorch's `view` take them. One
   * error for the call, with the fix that makes them the list, instead of an
   * error for each value. True when it reported that.
   */
  private spreadList(spec: LayerSpec, call: CallExpr, ctx: Ctx): boolean {
    const first = spec.args[0];
    if (first?.type !== 'int_list' || spec.args.some((a, i) => i > 0 && a.type !== 'tensors' && !a.name.startsWith('_'))) return false;
    const values = call.args;
    if (values.length < 2 || values.some((b) => b.name || !(b.value.kind === 'number' || b.value.kind === 'name' || (b.value.kind === 'unary' && b.value.operand.kind === 'number')))) return false;
    const range = { start: values[0].range.start, end: values[values.length - 1].range.end };
    const written = this.file.text?.slice(range.start.offset, range.end.offset) ?? values.map((b) => exprText(b.value)).join(', ');
    const list = `[${written}]`;
    this.error('arg.type', `${spec.name} takes its '${first.name}' as one list: ${spec.name}(${list}), not ${values.length} separate values.`, range, ctx, {
      fixes: [this.replaceFix(`Change to ${spec.name}(${list})`, range, list)],
    });
    return true;
  }

  /** Above 0 while a layer's numeric argument is evaluated (see `evalStandaloneCall`). */
  private argDepth = 0;
  /** Above 0 while a block call's argument is evaluated: a number, a word, a tensor or a layer object. */
  private blockArgDepth = 0;

  /** Converts one argument to its schema type; undefined after a diagnostic, 'unknown' when unknowable. */
  private convertArg(spec: LayerSpec, a: ArgSpec, arg: Arg, ctx: Ctx, call: CallExpr): ArgValue | 'unknown' | undefined {
    if (!NUMERIC_ARG[a.type]) return this.convertArgValue(spec, a, arg, ctx, call);
    this.argDepth++;
    try {
      return this.convertArgValue(spec, a, arg, ctx, call);
    } finally {
      this.argDepth--;
    }
  }

  private convertArgValue(spec: LayerSpec, a: ArgSpec, arg: Arg, ctx: Ctx, call: CallExpr): ArgValue | 'unknown' | undefined {
    const e = arg.value;
    if (a.type === 'enum' || a.type === 'activation') {
      const allowed = a.enum ?? ACTIVATIONS;
      let word: string | undefined;
      if (e.kind === 'name' && !ctx.env.has(e.name)) word = e.name;
      else {
        const v = this.evalExpr(e, ctx);
        if (v.kind === 'unknown') return 'unknown';
        if (v.kind === 'string' || v.kind === 'enum') word = v.value;
        else if (a.type === 'enum' && v.kind === 'bool' && allowed.includes(String(v.value))) word = String(v.value);
        else if (a.orInts && (v.kind === 'number' || v.kind === 'list')) return this.convertInts(spec, a, e, v, ctx);
        else return this.notAWord(spec, a, e, v, allowed, ctx, call);
      }
      if (!allowed.includes(word)) return this.unknownWord(spec, a, e, word, allowed, ctx);
      return word;
    }
    if (a.type === 'layer') {
      const v = e.kind === 'name' ? ctx.env.get(e.name) : this.evalExpr(e, ctx);
      if (!v) {
        this.unknownName((e as { name: string }).name, e.range, ctx);
        return undefined;
      }
      if (v.kind === 'unknown') return 'unknown';
      if (v.kind !== 'object') {
        this.error('arg.type', `${spec.name}'s '${a.name}' takes a layer object (e.g. \`wte = embedding(...)\`), but this is ${describeValue(v)}.`, e.range, ctx);
        return undefined;
      }
      return { kind: 'layerRef', name: v.name, id: v.state.id, layer: v.spec.name, args: v.args };
    }
    if (e.kind === 'name' && a.type !== 'string' && !ctx.env.has(e.name) && this.misplacedWord(spec, a, arg, e.name, ctx, call)) return undefined;
    const v = e.kind === 'name' && !ctx.env.has(e.name) && a.type === 'string' ? ({ kind: 'string', value: e.name } as Value) : this.evalExpr(e, ctx);
    if (v.kind === 'unknown') return 'unknown';
    switch (a.type) {
      case 'int':
      case 'number':
        if (v.kind !== 'number') return this.argTypeError(spec, a, e, v, a.type === 'int' ? 'a whole number' : 'a number', ctx);
        if (a.type === 'int' && !Number.isInteger(v.value)) return this.argTypeError(spec, a, e, v, 'a whole number', ctx);
        return this.argInRange(spec, a, e, v.value, ctx) ? v.value : undefined;
      case 'bool':
        if (v.kind !== 'bool') return this.argTypeError(spec, a, e, v, 'true or false', ctx);
        return v.value;
      case 'string':
        if (v.kind !== 'string' && v.kind !== 'enum') return this.argTypeError(spec, a, e, v, 'a string', ctx);
        return v.value;
      case 'ints':
      case 'int_list':
        return this.convertInts(spec, a, e, v, ctx);
      default:
        return this.argTypeError(spec, a, e, v, a.type, ctx);
    }
  }

  /**
   * An `ints` or `int_list` value, or the number(s) an `enum` with `orInts`
   * takes (`padding = 2`), as number[]; undefined after reporting why not.
   */
  private convertInts(spec: LayerSpec, a: ArgSpec, e: Expr, v: Value, ctx: Ctx): number[] | 'unknown' | undefined {
    const wants = a.orInts ? `${a.enum?.join(', ')}, a whole number or a list of them` : a.type === 'ints' ? 'a whole number or a list of them' : 'a list of whole numbers';
    const items = v.kind === 'list' ? v.items : a.type !== 'int_list' ? [v] : undefined;
    if (!items) return this.argTypeError(spec, a, e, v, a.orInts ? wants : 'a list of whole numbers, e.g. [2, 2]', ctx);
    const out: number[] = new Array<number>(items.length);
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (it.kind === 'unknown') return 'unknown';
      if (it.kind !== 'number' || !Number.isInteger(it.value)) {
        return this.argTypeError(spec, a, e, v, wants, ctx);
      }
      if (!this.argInRange(spec, a, e, it.value, ctx)) return undefined;
      out[i] = it.value;
    }
    // A single number stays a list of one: the layer spreads it over its
    // spatial axes, which only it knows (maxpool(2) is 1-D or 2-D by input).
    if (a.length !== undefined && v.kind === 'list' && out.length !== a.length && out.length !== 1) {
      this.argError('arg.type', `${spec.name}'s '${a.name}' takes ${a.length} numbers (or one for all); got ${out.length}.`, e, ctx);
      return undefined;
    }
    return out;
  }

  /**
   * Reports a value that is not a word given for a word argument (`enum`,
   * `activation`). This and the next two are apart from `convertArgValue`:
   * their closures would make V8 allocate a context for every argument
   * converted.
   */
  private notAWord(spec: LayerSpec, a: ArgSpec, e: Expr, v: Value, allowed: readonly string[], ctx: Ctx, call: CallExpr): undefined {
    const torch = v.kind === 'number' && a.name === 'padding' && allowed.includes('same') && allowed.includes('valid') ? torchPadding(spec, call, v.value) : undefined;
    this.argError('arg.type', `${spec.name}'s '${a.name}' is one of ${allowed.join(', ')}; got ${describeValue(v)}.${torch?.hint ?? ''}`, e, ctx, (at) =>
      (torch?.words ?? []).map((w, i) => this.replaceFix(`Change to ${w}`, at, w, i === 0)),
    );
    return undefined;
  }

  /** Reports a word that is not one of `allowed`. */
  private unknownWord(spec: LayerSpec, a: ArgSpec, e: Expr, word: string, allowed: readonly string[], ctx: Ctx): undefined {
    // A parameter written in a block header the parser read in part (`block bn, pad = same) {`): its error says it.
    if (e.kind === 'name' && ctx.uri === this.uri && this.file.errors.length > 0 && this.inBrokenHeader(word, e.range.start.offset)) {
      this.errors++;
      return undefined;
    }
    const options = suggest(word, allowed);
    const hint = a.enumHints?.[word];
    const fixes = hint ? (hint.fix ? [hint.fix] : []) : options;
    this.argError('arg.enum', `${spec.name}'s '${a.name}' must be one of ${allowed.join(', ')}; got '${word}'.${hint ? ` ${hint.hint}` : didYouMean(options)}`, e, ctx, (at) =>
      fixes.map((o, i) => this.replaceFix(`Change to '${o}'`, at, o, i === 0)),
    );
    return undefined;
  }

  /**
   * A word not bound in scope, given for an argument that takes no word:
   * reported (true) when it is a word of another argument, or when the
   * argument takes true or false.
   */
  private misplacedWord(spec: LayerSpec, a: ArgSpec, arg: Arg, word: string, ctx: Ctx, call: CallExpr): boolean {
    const e = arg.value;
    // `conv2d(16, 3, same)`, `dense(4, relu)`: a word of another argument, given where this one is due.
    const owner = spec.args.find((b) => b !== a && (b.type === 'enum' ? !!b.enum?.includes(word) : b.type === 'activation' && ACTIVATIONS.includes(word)));
    if (owner) {
      const where = arg.name ? `${spec.name}'s '${a.name}'` : `${spec.name}'s ${ordinal(spec.args.indexOf(a) + 1)} argument, '${a.name}'`;
      const taken = call.args.some((b) => b !== arg && b.name?.name === owner.name);
      this.error('arg.type', `'${word}' is not a value for ${where}; it is one for '${owner.name}': write ${owner.name} = ${word}.`, e.range, ctx, {
        fixes: taken ? undefined : [this.replaceFix(`Write '${owner.name} = ${word}'`, arg.range, `${owner.name} = ${word}`)],
      });
      return true;
    }
    if (a.type === 'bool') {
      // `causal = True` (Python's spelling), `causal = yes`.
      const lower = word.toLowerCase();
      const fix = lower === 'true' || lower === 'false' ? lower : undefined;
      this.error('arg.type', `${spec.name}'s '${a.name}' takes true or false; got the word '${word}'.${fix ? ` Did you mean '${fix}'?` : ''}`, e.range, ctx, {
        fixes: fix ? [this.replaceFix(`Change to '${fix}'`, e.range, fix)] : undefined,
      });
      return true;
    }
    return false;
  }

  private argTypeError(spec: LayerSpec, a: ArgSpec, e: Expr, v: Value, expected: string, ctx: Ctx): undefined {
    this.argError('arg.type', `${spec.name}'s '${a.name}' takes ${expected}, but this is ${describeValue(v)}.`, e, ctx);
    return undefined;
  }

  /**
   * Reports a problem with the value of argument expression `e`. In the body
   * of a block called in this file, a parameter's name stands for what the
   * call wrote: `b(softmx)` for `dense(4, activation = act)` is a mistake in
   * the call, shown there (its fixes edit it), with the use in the body
   * related. A fix that would replace a name bound in scope by a value is
   * not offered: it would fix the value into the block for every call.
   */
  private argError(code: string, message: string, e: Expr, ctx: Ctx, fixes?: (at: Range) => Fix[]): void {
    const bound = e.kind === 'name' && ctx.env.has(e.name);
    if (e.kind === 'name' && bound) {
      const isWord = ctx.env.get(e.name)?.kind === 'enum';
      // Up the calls that passed the value on (`outer(softmx)` whose body calls `inner(a)`), to the one that wrote it.
      let name = e.name;
      for (let c: Ctx | undefined = ctx; c?.call; c = c.caller) {
        const block = c.stack[c.stack.length - 1];
        const def = this.blocks.get(block);
        // A parameter the body binds again (`n = 0`) no longer holds what the call gave: the use is the place.
        if (!def || rebinds(def.decl, name)) break;
        // Not written in the call: the parameter's default, blamed when it is the value itself (`m = 0`) in this file.
        const written = writtenArg(c.call, block, name, this.blocks) ?? (def && def.uri === this.uri ? literalDefault(def.decl, name) : undefined);
        if (!written) break;
        // A name in the call is the mistake only as a bare word (`b(softmx)`); a parameter of the block
        // the call is in (`inner(a)` passing its own) is followed to that block's caller.
        const outer = c.stack.length > 1 ? this.blocks.get(c.stack[c.stack.length - 2])?.decl.params : undefined;
        if (written.kind === 'name' && outer?.some((p) => p.name.name === written.name)) {
          name = written.name;
          continue;
        }
        if (written.kind === 'name' && !isWord) break;
        this.callErrors++;
        this.diag(code, 'error', message, written.range, undefined, {
          fixes: fixes?.(written.range),
          related: [{ message: `'${e.name}' is used here, in block '${ctx.stack[ctx.stack.length - 1]}'`, range: e.range, uri: ctx.uri === this.uri ? undefined : ctx.uri }],
        });
        return;
      }
    }
    this.error(code, message, e.range, ctx, { fixes: bound ? undefined : fixes?.(e.range) });
  }

  /** Whether a number is within the argument's bounds; reports it when not. */
  private argInRange(spec: LayerSpec, a: ArgSpec, e: Expr, n: number, ctx: Ctx): boolean {
    if ((a.min !== undefined && n < a.min) || (a.max !== undefined && n > a.max)) {
      const bounds =
        a.min !== undefined && a.max !== undefined ? `between ${a.min} and ${a.max}` : a.min !== undefined ? `at least ${a.min}` : `at most ${a.max}`;
      // `dropout(50)`: a percentage where a fraction is due.
      // Rounded as written (`1.1` → 0.011, not 0.011000000000000001).
      const fraction = a.min === 0 && a.max === 1 && n > 1 && n < 100 ? Number((n / 100).toPrecision(12)) : undefined;
      this.argError(
        'arg.range',
        `${spec.name}'s '${a.name}' must be ${bounds}; got ${n}.${fraction !== undefined ? ` For ${n}%, write ${fraction}.` : ''}`,
        e,
        ctx,
        fraction !== undefined ? (at) => [this.replaceFix(`Change to ${fraction}`, at, String(fraction))] : undefined,
      );
      return false;
    }
    if (Math.abs(n) > LIMITS.maxDim) {
      this.argError('arg.range', `${spec.name}'s '${a.name}' is too large: ${n}.`, e, ctx);
      return false;
    }
    return true;
  }

  private applyLayerCall(spec: LayerSpec, call: CallExpr, input: Value | undefined, ctx: Ctx): Value {
    // Cheap first: only a call whose first value is a number equal to the input's size is looked at further.
    const first = call.args.length > 0 ? call.args[0] : undefined;
    if (first !== undefined && !first.name && first.value.kind === 'number' && input?.kind === 'tensor' && input.shape && TORCH_ORDER[spec.name]) {
      const size = input.shape.dims[input.shape.dims.length - 1]?.value;
      if (size === first.value.value && this.torchOrder(spec, call, input.shape, ctx)) return UNKNOWN;
    }
    const r = this.resolveArgs(spec, call, ctx);
    const repeat = this.repeatCount(call, ctx);
    if (!r || repeat === undefined || r.unknown) return UNKNOWN;
    if (repeat !== 1) return this.repeatLayer(spec, call, r, repeat, input, ctx);
    let inputs: Value[];
    if (!input) inputs = r.tensorInputs;
    else if (r.tensorInputs.length > 0) inputs = [input, ...r.tensorInputs];
    else {
      // Most layers take the piped value alone: a scratch array, which addLayerNode reads before anything else runs.
      inputs = this.oneInput;
      inputs[0] = input;
    }
    return this.addLayerNode(spec, r.args, inputs, r.tensors, call.range, ctx, undefined, call, undefined, undefined, r.entry);
  }

  /**
   * `-> layer(...) * N`. Apart from `applyLayerCall`: its closure would make
   * V8 allocate a context for every layer call, repeated or not.
   */
  private repeatLayer(spec: LayerSpec, call: CallExpr, r: Resolved, repeat: number, input: Value | undefined, ctx: Ctx, label?: string): Value {
    return this.repeatGroup(
      spec.name,
      undefined,
      call,
      repeat,
      input,
      ctx,
      (ports, inner) => this.addLayerNode(spec, r.args, ports, r.tensors, call.range, inner, label, call, undefined, undefined, r.entry),
      r.tensorInputs,
    );
  }

  /**
   * A call written in PyTorch's order, whose first number is the size of the
   * input (`nn.Linear(784, 128)`, `nn.Conv2d(3, 16, 3)`,
   * `nn.MultiheadAttention(32, 4)`), which this language reads from the
   * input: the numbers then fill the wrong arguments. For `dense` and the
   * recurrent layers the second lands on a true/false argument, an error said
   * so (true: the call is reported, nothing else); for convolutions and
   * attention the call stays valid, a warning when the reading is
   * implausible (a kernel of 8 or more at a smaller stride; heads that divide
   * the size they equal). Each with the fix that removes the size.
   */
  private torchOrder(spec: LayerSpec, call: CallExpr, input: Shape, ctx: Ctx): boolean {
    const positional = call.args.filter((a) => !a.name);
    const [a, b, c] = positional.map((p) => (p.value.kind === 'number' ? p.value.value : undefined));
    const size = input.dims[input.dims.length - 1]?.value;
    if (a === undefined || a !== size || ctx.static) return false;
    const torch = TORCH_ORDER[spec.name];
    if (spec.name === 'batchnorm') {
      // `batchnorm(16)`: nn.BatchNorm2d(16), the channels alone, landed on `momentum`.
      if (positional.length !== 1 || call.args.some((x) => x.name?.name === 'momentum') || a < 2 || !call.argsRange) return false;
      const module = `${torch.name}${input.dims.length >= 3 ? '2d' : '1d'}`;
      this.error('arg.range', `batchnorm's 'momentum' must be between 0 and 1; got ${a}. PyTorch's ${module}(${a}) gives the input's channels; here they come from the input (${a}): write batchnorm.`, positional[0].value.range, ctx, {
        fixes:
          call.args.length === 1
            ? [{ title: 'Remove the channels: batchnorm', edits: [{ range: call.argsRange, newText: '' }], preferred: true }]
            : call.args[0] === positional[0]
              ? [{ title: 'Remove the channels', edits: [{ range: { start: positional[0].range.start, end: call.args[1].range.start }, newText: '' }], preferred: true }]
              : undefined,
      });
      return true;
    }
    if (b === undefined || call.args.length < 2) return false;
    const end = call.args[call.args.length - 1].range.end.offset;
    const rest = this.file.text?.slice(positional[1].range.start.offset, end) ?? String(b);
    const written = `${spec.name}(${this.file.text?.slice(call.args[0].range.start.offset, end) ?? `${a}, ${rest}`})`;
    const meant = `${spec.name}(${rest})`;
    const fix: Fix = { title: `Remove the input's size: ${meant}`, edits: [{ range: { start: positional[0].range.start, end: positional[1].range.start }, newText: '' }], preferred: true };
    const first = `PyTorch's ${torch.name}(${a}, ${b}${c !== undefined && spec.name.startsWith('conv') ? `, ${c}` : ''}) gives the input's ${torch.size} first; here ${spec.name.startsWith('conv') ? 'they come' : 'it comes'} from the input (${a})`;
    if (spec.name === 'dense' || isRecurrent(spec.name)) {
      const second = spec.args.filter((x) => x.type !== 'tensors')[1];
      if (second?.type !== 'bool') return false;
      this.error('arg.type', `${spec.name}'s '${second.name}' takes true or false, but this is the number ${b}. ${first}: write ${meant}.`, positional[1].value.range, ctx, { fixes: [fix] });
      return true;
    }
    // A transposed convolution with a kernel of up to twice its stride is how one upsamples (FCN's conv2d_transpose(21, 16, 8)).
    const upsampling = spec.name === 'conv2d_transpose' && c !== undefined && c >= 1 && b % c === 0 && b <= 2 * c;
    const plausible = spec.name === 'attention' ? b < a && a % b === 0 && !call.args.some((x) => x.name?.name === 'key_dim') : c !== undefined && b >= 8 && c >= 1 && c < b && !upsampling;
    if (!plausible) return false;
    const reading = spec.name === 'attention' ? `${a} heads of key_dim ${b}` : `${a} filter${a === 1 ? '' : 's'} of ${wide(b)} kernel at stride ${c}`;
    // So read, a kernel larger than the input fails too: that failure is this mistake's, said here once.
    const same = call.args.some((x) => x.name?.name === 'padding' && x.value.kind === 'name' && x.value.name === 'same');
    const sizes = spec.name === 'attention' || spec.name === 'conv2d_transpose' || same ? [] : input.dims.slice(0, -1).map((d) => d.value);
    const smaller = sizes.find((v) => v !== undefined && v < b);
    if (smaller !== undefined) {
      this.error('arg.torch_order', `${written} reads as ${reading}, and a kernel of ${b} is larger than the input's ${smaller}. ${first}: did you mean ${meant}?`, positional[0].range, ctx, { fixes: [fix] });
      return true;
    }
    this.diag('arg.torch_order', 'warning', `${written} reads as ${reading}. ${first}: did you mean ${meant}?`, positional[0].range, ctx, { fixes: [fix] });
    return false;
  }

  /** Adds one layer node; returns its output tensor (unknown after an error). */
  private addLayerNode(
    spec: LayerSpec,
    args: Record<string, ArgValue>,
    inputs: Value[],
    tensors: Record<string, Shape | undefined>,
    range: Range,
    ctx: Ctx,
    label?: string,
    call?: CallExpr,
    errorRange?: Range,
    object?: LayerObject,
    argsEntry?: ArgsEntry,
  ): Value {
    // Sized up front: both are kept (node inputs, site shapes). Most layers
    // take one input, whose shape list is shared by every node on that shape.
    let shapes: Shape[];
    let inputIds: number[];
    if (inputs.length === 1) {
      const v = inputs[0];
      if (v.kind !== 'tensor' || !v.shape) return UNKNOWN;
      shapes = this.shapeList(v.shape);
      inputIds = this.idList(v.node);
    } else {
      shapes = new Array<Shape>(inputs.length);
      inputIds = new Array<number>(inputs.length);
      for (let i = 0; i < inputs.length; i++) {
        const v = inputs[i];
        if (v.kind !== 'tensor' || !v.shape) return UNKNOWN;
        shapes[i] = v.shape;
        inputIds[i] = v.node;
      }
    }
    const at = errorRange ?? call?.callee.range ?? range;
    if (++this.nodeCount > LIMITS.maxNodes) {
      this.error('model.too_large', `this model applies more than ${LIMITS.maxNodes} layers; analysis stops here.`, at, ctx);
      return UNKNOWN;
    }
    // A layer applied before to the same arguments and shapes: its results, with no rule run again.
    // Only results without an error are kept, so a hit has nothing to report.
    const memo = argsEntry !== undefined && !object && tensors === NO_TENSOR_ARGS ? argsEntry : undefined;
    const shapesKey = memo === undefined ? undefined : this.shapesKey(shapes);
    const known = shapesKey === undefined ? undefined : memo!.results?.get(shapesKey);
    if (known !== undefined) return this.pushLayerNode(spec, args, shapes, inputIds, known.out, known.weights, known.params, known.macs, known.internal, range, ctx, label, call, errorRange);
    const kind = spec.inputKind ?? 'float';
    const first = shapes[0];
    // The layer's own rule gives the most specific rank message ("add
    // reshape([28, 28, 1]) first"); the schema's inputRank is the fallback.
    let rankError: string | undefined;
    if (first) {
      if (kind === 'float' && first.isInt) {
        this.error(
          'shape.not_float',
          `${spec.name} takes real values, but its input ${shapeToString(first)} holds integer token ids; embed them first: \`-> embedding(vocab, dim)\`.`,
          at,
          ctx,
        );
        return UNKNOWN;
      }
      if (kind === 'int' && !first.isInt) {
        this.error(
          'shape.not_int',
          `${spec.name} takes integer token ids (an input declared \`int[...]\`), but its input is ${shapeToString(first)} of real values.`,
          at,
          ctx,
        );
        return UNKNOWN;
      }
      rankError = rankProblem(spec, first);
    }
    const lc = createLayerContext(args, shapes, tensors);
    let out: Shape;
    let weights: WeightSpec[];
    let macs: Sym;
    let internal: InternalActivation[] | undefined;
    try {
      out = spec.outputShape(lc);
      weights = spec.weights(lc, out);
      macs = spec.macs(lc, out);
      internal = spec.internalActivations?.(lc, out);
      // Layer rules build these with spreads and pushes; keep exact-size copies.
      if (out !== first) out.dims = fit(out.dims);
      weights = fit(weights);
    } catch (err) {
      this.layerRuleError(err, spec, call, ctx, at, rankError, first, inputIds[0]);
      return UNKNOWN;
    }
    if (rankError) {
      this.rankError(spec, rankError, first, inputIds[0], at, ctx);
      return UNKNOWN;
    }
    for (const d of out.dims) {
      const v = d.value;
      if (v !== undefined && v < 1) {
        this.error('shape.output_below_1', `${spec.name} would give an output of ${shapeToString(out)}: a size below 1. Use a smaller kernel or stride, or padding = same.`, at, ctx);
        return UNKNOWN;
      }
      if (v !== undefined && v > LIMITS.maxDim) {
        // A size past what a double holds exactly (`flatten` of thousands of axes) is not printed as "Infinity".
        const shown = Number.isFinite(v) ? shapeToString(out) : `[${out.dims.map((x) => (x.value !== undefined && !Number.isFinite(x.value) ? `more than ${LIMITS.maxDim}` : x.toString())).join(', ')}]`;
        this.error('shape.too_large', `${spec.name} would give an output of ${shown}, larger than any runtime allows.`, at, ctx);
        return UNKNOWN;
      }
    }
    let params = paramsOf(weights);
    if (shapesKey !== undefined) (memo!.results ??= new Map()).set(shapesKey, { out, weights, params, macs, internal });
    let sharedWith: number | undefined;
    if (object) {
      const applied = object.state.first;
      if (applied) {
        if (!sameWeightShapes(applied.weights, weights)) {
          this.error(
            'object.shape',
            `layer object '${object.name}'${passedAs(object, call)} was first applied to an input that gave weights ${weightsText(applied.weights)}; here they would be ${weightsText(weights)}. A shared layer needs inputs of the same size.`,
            at,
            ctx,
          );
          return UNKNOWN;
        }
        // TensorFlow's BatchNormalization is built for the rank it first sees (Keras's input spec): a second rank
        // fails there ("expected ndim=2"), though its weights, one per channel, would fit.
        if (spec.name === 'batchnorm' && first && applied.rank !== first.dims.length) {
          this.error(
            'object.shape',
            `layer object '${object.name}'${passedAs(object, call)} was first applied to an input of rank ${applied.rank}; here it gets ${shapeToString(first)}, of rank ${first.dims.length}. A shared batchnorm keeps the rank it was first applied to (TensorFlow.js builds it for that rank); use a batchnorm of its own here.`,
            at,
            ctx,
          );
          return UNKNOWN;
        }
        // The first application may be in another graph: an enclosing one, or an earlier block call's body.
        sharedWith = applied.graph === ctx.g ? applied.node : -1;
        params = ZERO_PARAMS;
      }
    }
    return this.pushLayerNode(spec, args, shapes, inputIds, out, weights, params, macs, internal, range, ctx, label, call, errorRange, object, sharedWith);
  }

  /**
   * Reports an error a layer's rule threw. Apart from `addLayerNode`: its
   * closures would make V8 allocate a context for every layer application.
   */
  private layerRuleError(err: unknown, spec: LayerSpec, call: CallExpr | undefined, ctx: Ctx, at: Range, rankError: string | undefined, first: Shape | undefined, from: number | undefined): void {
    // An input of a rank the layer does not take: its rule's own rank message is the most
    // specific, but any other error of the rule reads the wrong axes ("attention dim 5 is not
    // divisible by heads 4" of a [4, 5, 16] input), so the schema's rank message wins over it.
    if (err instanceof LayerError && this.brokenCall(call, ctx)) {
      // Already reported as the call's syntax error.
    } else if (err instanceof LayerError && (rankError === undefined || err.code === 'shape.rank')) {
      // At the argument the rule names; a block parameter given there is followed to the call that gave it.
      const argExpr = err.arg && call ? argExprOf(spec, call, err.arg) : undefined;
      const values = err.values;
      const fixes = values?.length ? (range: Range) => values.map((v, i) => this.replaceFix(`Change ${err.arg} to ${v}`, range, v, i === 0)) : undefined;
      if (argExpr) this.argError(err.code, err.message, argExpr, ctx, fixes);
      else if (err.code === 'arg.missing' && err.arg && values?.length && call && call.args.length > 0 && ctx.uri === this.uri && !ctx.static) {
        // Not written: the fix adds it after the call's last argument (`positional(learned, maxlen = 1024)`).
        const end = call.args[call.args.length - 1].range.end;
        this.error(err.code, err.message, at, ctx, { fixes: [{ title: `Add ${err.arg} = ${values[0]}`, edits: [{ range: { start: end, end }, newText: `, ${err.arg} = ${values[0]}` }], preferred: true }] });
      } else if (err.code === 'shape.rank') this.rankError(spec, err.message, first, from, at, ctx);
      else this.error(err.code, err.message, at, ctx);
    } else if (rankError) {
      this.rankError(spec, rankError, first, from, at, ctx);
    } else {
      this.error('internal.layer', `internal error in ${spec.name}: ${(err as Error)?.message ?? err}`, at, ctx);
    }
  }

  /**
   * A `shape.rank` error. When the input is the one vector a recurrent layer
   * gives by default (`lstm(64) -> lstm(64)`, Keras's classic mistake), it
   * says so, with the fix that sets `return_sequences = true` in that call.
   */
  private rankError(spec: LayerSpec, message: string, got: Shape | undefined, from: number | undefined, at: Range, ctx: Ctx): void {
    const nodes = ctx.g.nodes;
    let prev: GraphNode | undefined;
    for (let i = nodes.length - 1; i >= 0 && from !== undefined; i--) {
      if (nodes[i].id === from) {
        prev = nodes[i];
        break;
      }
    }
    const readsSequence = takesRank(spec, 2);
    if (!readsSequence || got?.dims.length !== 1 || prev?.kind !== 'layer' || !isRecurrent(prev.op) || prev.args.return_sequences !== false || prev.object !== undefined) {
      this.error('shape.rank', message, at, ctx);
      return;
    }
    const call = prev.source ?? prev.label;
    const fix = ctx.uri === this.uri && !ctx.static ? causalFix(this.file, prev, 'return_sequences', 'true', `Set return_sequences = true in ${call}`) : undefined;
    const hint = ` The ${call} before it gives only its last step; with \`return_sequences = true\` it gives one output per step, the sequence this layer reads.`;
    this.error('shape.rank', message.replace(/([^.])$/, '$1.') + hint, at, ctx, fix ? { fixes: [fix] } : {});
  }

  /** Adds a checked layer application to the graph and its site; returns its output tensor. */
  private pushLayerNode(
    spec: LayerSpec,
    args: Record<string, ArgValue>,
    shapes: Shape[],
    inputIds: number[],
    out: Shape,
    weights: WeightSpec[],
    params: Params,
    macs: Sym,
    internal: InternalActivation[] | undefined,
    range: Range,
    ctx: Ctx,
    label: string | undefined,
    call: CallExpr | undefined,
    errorRange: Range | undefined,
    object?: LayerObject,
    sharedWith?: number,
  ): Value {
    const id = ctx.g.next++;
    const node: LayerNode = {
      kind: 'layer',
      id,
      op: spec.name,
      category: spec.category,
      label: label ?? (call ? this.labelOf(call, ctx, spec, args) : spec.name),
      source: label === undefined && call ? this.labelSource : undefined,
      args,
      inputs: inputIds,
      shape: out,
      weights,
      params,
      macs,
      internal,
      range,
      uri: ctx.uri === this.uri ? undefined : ctx.uri,
      object: object?.name,
      objectId: object?.state.id,
      sharedWith,
    };
    ctx.g.nodes.push(node);
    if (object && !object.state.first) object.state.first = { node: id, graph: ctx.g, weights, rank: shapes[0]?.dims.length ?? 0 };
    this.site(call?.range ?? errorRange ?? range, object ? 'object' : 'layer', object ? object.name : spec.name, ctx, shapes, out, params, macs, undefined, undefined, internal);
    return { kind: 'tensor', node: id, shape: out };
  }

  /**
   * The label of a call's nodes: its source text (`conv2d(6, 5)`), except
   * that an argument naming a value in scope (a block parameter, a value
   * bound earlier) shows the value it had: `dense(hidden)` in a block body
   * reads `dense(512)`, so a reader sees what each instantiation computes.
   * A call in a block body or a repeat is applied once per instantiation:
   * a label without such names is made once for all its nodes; one with
   * them once per distinct argument record (records are shared by equal
   * arguments, see `internArgs`).
   */
  private labelOf(call: CallExpr, ctx: Ctx, spec: LayerSpec, args: Record<string, ArgValue>): string {
    this.labelSource = undefined;
    if (!call.argsRange) return call.callee.name;
    if (ctx.once) {
      const subst = substitutedArgs(call, ctx.env);
      if (subst === undefined) return labelOf(call);
      this.labelSource = sourceOfCall(call);
      return labelWithValues(call, spec, args, subst);
    }
    let known = this.labels.get(call);
    if (known === undefined) {
      // Which arguments name a value is a matter of the body's text and scope, the same in every instantiation.
      const subst = substitutedArgs(call, ctx.env);
      known = subst === undefined ? labelOf(call) : { subst, source: sourceOfCall(call), byArgs: new Map() };
      this.labels.set(call, known);
    }
    if (typeof known === 'string') return known;
    this.labelSource = known.source;
    let label = known.byArgs.get(args);
    if (label === undefined) {
      label = labelWithValues(call, spec, args, known.subst);
      known.byArgs.set(args, label);
    }
    return label;
  }

  /**
   * The shared entry of a layer's arguments as given (by schema index), made
   * on first sight; undefined when one is not a plain value (a tensor, a
   * layer object), which is never shared.
   */
  private internArgs(spec: LayerSpec, vals: readonly (ArgValue | typeof SEEN | undefined)[]): ArgsEntry | undefined {
    const h = argsHash(spec, vals);
    if (h === undefined) return undefined;
    let bucket = this.argsTable.get(h);
    if (bucket === undefined) {
      bucket = [];
      this.argsTable.set(h, bucket);
    }
    for (let i = 0; i < bucket.length; i++) {
      const e = bucket[i];
      if (e.spec === spec && sameVals(e.vals, vals)) return e;
    }
    const e: ArgsEntry = { spec, vals: vals.slice(), args: argsWithDefaults(spec, vals), results: undefined, resolved: undefined };
    bucket.push(e);
    return e;
  }

  /**
   * A key of input shapes for `ArgsEntry.results`: equal shapes give equal
   * keys. Shapes get an id once per shape object (results share their output
   * shape, so most inputs are objects seen before): no text is built per
   * application.
   */
  private shapesKey(shapes: readonly Shape[]): number | string {
    if (shapes.length === 1) return this.shapeId(shapes[0]);
    if (shapes.length === 2) {
      // `a + b`: two ids packed into one negative number (disjoint from the single ids, at least 0).
      const a = this.shapeId(shapes[0]);
      const b = this.shapeId(shapes[1]);
      if (a < PAIR_KEY_BASE && b < PAIR_KEY_BASE) return -1 - (a * PAIR_KEY_BASE + b);
    }
    let key = '';
    for (let i = 0; i < shapes.length; i++) key += (i > 0 ? ',' : '') + this.shapeId(shapes[i]);
    return key;
  }

  /**
   * `[id]`, one array per node id: the inputs of one-input nodes (never
   * changed). Ids restart at 0 in every graph, so a few hundred arrays serve
   * the thousands of nodes of a large file, which each kept one of their own.
   */
  private idList(id: number): number[] {
    let list = this.idLists[id];
    if (list === undefined) {
      list = [id];
      this.idLists[id] = list;
    }
    return list;
  }

  /** `[s]`, one array per shape object: the input shapes of one-input nodes and sites (never changed). */
  private shapeList(s: Shape): Shape[] {
    let list = this.shapeLists.get(s);
    if (list === undefined) {
      list = [s];
      this.shapeLists.set(s, list);
    }
    return list;
  }

  private shapeId(s: Shape): number {
    let id = this.shapeIds.get(s);
    if (id === undefined) {
      // Equal exactly when `shapeToString` is (a symbolic dimension's text is never a number), built cheaper.
      let text = s.isInt ? 'i' : 'f';
      for (const d of s.dims) {
        const v = d.value;
        text += ',' + (v !== undefined ? v : d.toString());
      }
      id = this.shapeIdsByText.get(text);
      if (id === undefined) {
        id = this.shapeIdsByText.size;
        this.shapeIdsByText.set(text, id);
      }
      this.shapeIds.set(s, id);
    }
    return id;
  }

  private applyObject(obj: LayerObject, call: CallExpr, input: Value, ctx: Ctx): Value {
    if (call.args.length > 0 || call.argsRange) {
      this.error('object.args', `'${obj.name}' is a layer object: its arguments were given where it was defined; write \`-> ${obj.name}\`.`, call.argsRange ?? call.range, ctx);
    }
    if (call.repeat) {
      this.error('object.repeat', `a layer object applies one set of weights; it cannot be repeated with \`*\`.`, call.repeat.range, ctx);
      return UNKNOWN;
    }
    // Labelled with the definition, not just the name: `wte` alone does not say it is an embedding.
    return this.addLayerNode(obj.spec, obj.args, [input], {}, call.range, ctx, `${obj.name}: ${obj.label}`, call, undefined, obj);
  }

  private repeatCount(call: CallExpr, ctx: Ctx): number | undefined {
    if (!call.repeat) return 1;
    const v = this.evalExpr(call.repeat, ctx);
    if (v.kind === 'unknown') return undefined;
    if (v.kind !== 'number' || !Number.isInteger(v.value)) {
      this.error('repeat.invalid', `a repeat count is a whole number, but this is ${describeValue(v)}.`, call.repeat.range, ctx);
      return undefined;
    }
    if (v.value < 1) {
      this.error('repeat.invalid', `a repeat count must be at least 1; got ${v.value}.`, call.repeat.range, ctx);
      return undefined;
    }
    if (v.value > LIMITS.maxRepeat) {
      this.error('repeat.too_large', `repeat count ${v.value} is above the limit of ${LIMITS.maxRepeat}.`, call.repeat.range, ctx);
      return undefined;
    }
    return v.value;
  }

  /**
   * `call * N`: runs of identical instantiations. Once an iteration's input
   * shape equals the previous one's, every later one is the same: the rest
   * of the count is added without analysing again.
   */
  private repeatGroup(
    label: string,
    block: string | undefined,
    call: CallExpr,
    repeat: number,
    input: Value | undefined,
    ctx: Ctx,
    once: (ports: TensorValue[], inner: Ctx) => Value,
    extraInputs: TensorValue[] = [],
  ): Value {
    if (!input || input.kind !== 'tensor' || !input.shape) return UNKNOWN;
    const runs: GroupNode['runs'] = [];
    let x: TensorValue = input;
    let prevKey = -1;
    let done = 0;
    while (done < repeat) {
      const key = this.shapeId(x.shape!);
      if (key === prevKey && runs.length > 0) {
        runs[runs.length - 1].count += repeat - done;
        break;
      }
      if (runs.length >= LIMITS.maxDistinctRepeats) {
        this.error('repeat.too_large', `this repeat changes the shape at every step; analysis stops after ${runs.length} distinct steps.`, call.range, ctx);
        return UNKNOWN;
      }
      const g = newGraph();
      const port = g.next++;
      g.nodes.push({ kind: 'input', id: port, name: 'x', shape: x.shape!, range: call.range, port: 0 });
      g.inputs.push(port);
      const ports: TensorValue[] = [{ kind: 'tensor', node: port, shape: x.shape }];
      for (const t of extraInputs) {
        const p = g.next++;
        g.nodes.push({ kind: 'input', id: p, name: t.name ?? 'input', shape: t.shape!, range: call.range, port: g.inputs.length });
        g.inputs.push(p);
        ports.push({ ...t, node: p });
      }
      const env = new Map<string, Value>();
      for (const [k, v] of ctx.env) if (v.kind !== 'tensor') env.set(k, v);
      const inner = makeCtx(env, g, ctx.model, ctx.uri, ctx.stack, ctx.anchor, ctx.static, false, ctx.call, ctx.caller);
      const y = this.inRepeat(done, repeat, x.shape!, () => once(ports, inner));
      if (y.kind !== 'tensor' || !y.shape) return UNKNOWN;
      g.outputs.push(y.node);
      runs.push({ count: 1, body: freeze(g) });
      prevKey = key;
      x = { kind: 'tensor', node: -1, shape: y.shape };
      done++;
    }
    return this.pushGroup(label, block, call, runs, [input, ...extraInputs], x.shape!, ctx);
  }

  private pushGroup(
    label: string,
    block: string | undefined,
    call: CallExpr,
    runs: GroupNode['runs'],
    inputs: TensorValue[],
    shape: Shape,
    ctx: Ctx,
  ): Value {
    const trainable = new SymSum();
    const nonTrainable = new SymSum();
    const macSum = new SymSum();
    let repeat = 0;
    for (const r of runs) {
      const t = totalsOf(r.body, this.totals);
      trainable.addTimes(t.params.trainable, r.count);
      nonTrainable.addTimes(t.params.nonTrainable, r.count);
      macSum.addTimes(t.macs, r.count);
      repeat += r.count;
    }
    const params: Params = { trainable: trainable.sym(), nonTrainable: nonTrainable.sym() };
    const macs = macSum.sym();
    const id = ctx.g.next++;
    ctx.g.nodes.push({
      kind: 'group',
      id,
      label,
      block,
      repeat,
      runs,
      inputs: inputs.length === 1 ? this.idList(inputs[0].node) : inputs.map((t) => t.node),
      shape,
      params,
      macs,
      range: call.range,
      uri: ctx.uri === this.uri ? undefined : ctx.uri,
    });
    this.site(call.range, 'block', block ?? label, ctx, inputs.length === 1 ? this.shapeList(inputs[0].shape!) : inputs.map((t) => t.shape!), shape, params, macs, repeat);
    return { kind: 'tensor', node: id, shape };
  }

  // ------------------------------------------------------------------ blocks

  private applyBlockCall(def: BlockDef, call: CallExpr, input: Value | undefined, ctx: Ctx): Value {
    const name = def.decl.name.name;
    if (ctx.stack.includes(name)) {
      this.error('block.recursive', `block '${name}' uses itself (${[...ctx.stack, name].join(' → ')}); blocks cannot be recursive.`, call.callee.range, ctx);
      return UNKNOWN;
    }
    if (ctx.stack.length >= LIMITS.maxBlockDepth) {
      this.error('block.too_deep', `blocks nest deeper than ${LIMITS.maxBlockDepth}.`, call.callee.range, ctx);
      return UNKNOWN;
    }
    if (input && input.kind !== 'tensor' && input.kind !== 'unknown') return UNKNOWN;
    // A block whose signature the parser could not read whole (its header, an `input` line): its calls are not
    // checked against what it declared, and give a value not known until it is mended.
    if (def.uri === this.uri && this.file.errors.length > 0 && this.brokenParts().headers.has(def.decl.name.name)) {
      this.muted++;
      try {
        this.bindBlockArgs(def, call, ctx);
      } finally {
        this.muted--;
      }
      this.errors++;
      return UNKNOWN;
    }
    const bound = this.bindBlockArgs(def, call, ctx);
    const repeat = this.repeatCount(call, ctx);
    if (!bound || repeat === undefined) return UNKNOWN;
    const { inputDecls, inputNames } = blockInputs(def.decl);
    if (inputDecls.length === 0) {
      // Its `input` line may be the statement the parser could not read.
      if (def.uri === this.uri && this.file.errors.length > 0 && this.brokenParts().unsure.has(def.decl)) return UNKNOWN;
      this.diag('block.no_input', 'error', `block '${name}' has no \`input\`; add \`input x\` as its first line.`, def.decl.name.range, { uri: def.uri, anchor: ctx.anchor ?? call.range });
      return UNKNOWN;
    }
    // The piped value binds to the first input, the others by name.
    const tensorArgs: TensorValue[] = [];
    let piped: Value | undefined = input;
    for (let i = 0; i < inputDecls.length; i++) {
      const inp = inputDecls[i];
      const given = bound.tensors?.get(inp.name.name);
      if (i === 0 && piped) {
        if (given) this.error('arg.duplicate', `'${inp.name.name}' is the piped value; do not pass it again.`, given.range, ctx);
        continue;
      }
      if (!given) {
        if (i === 0) {
          this.error('call.no_input', `block '${name}' needs an input: write \`x -> ${name}(...)\` or pass \`${inp.name.name} = ...\`.`, call.range, ctx);
          return UNKNOWN;
        }
        this.error('arg.missing', `block '${name}' needs its input '${inp.name.name}': pass \`${inp.name.name} = <value>\`.`, call.argsRange ?? call.callee.range, ctx);
        return UNKNOWN;
      }
      if (i === 0) piped = given.value;
      else tensorArgs.push(given.value);
    }
    if (!piped || piped.kind !== 'tensor' || !piped.shape || tensorArgs.some((t) => !t.shape)) return UNKNOWN;
    const paramKey = bound.params.map(([k, v]) => `${k}=${valueKey(v)}`).join(',');
    const anchor = ctx.anchor ?? (ctx.uri === this.uri ? call.range : undefined);
    if (repeat === 1) {
      const key = `${def.uri ?? ''}|${name}|${paramKey}|${this.shapeId(piped.shape)}|${tensorArgs.map((t) => this.shapeId(t.shape!)).join(';')}`;
      let res = this.instCache.get(key);
      if (!res) {
        res = this.instantiateFor(call, def, bound.params, [piped, ...tensorArgs], inputNames, withAnchor(ctx, anchor));
        if (!res.callErrors) this.instCache.set(key, res);
      } else {
        this.errors += res.errors;
        this.replayVisits(res, call, ctx);
      }
      if (!res.ok || !res.out) return UNKNOWN;
      return this.pushGroup(name, name, call, [{ count: 1, body: res.graph }], [piped, ...tensorArgs], res.out, ctx);
    }
    return this.repeatBlock(def, call, repeat, piped, tensorArgs, bound.params, paramKey, inputNames, withAnchor(ctx, anchor));
  }

  /**
   * `block(...) * N`: runs of identical instantiations, each repetition
   * getting the same extra inputs (e.g. `memory = enc`).
   */
  private repeatBlock(
    def: BlockDef,
    call: CallExpr,
    repeat: number,
    input: TensorValue,
    extra: TensorValue[],
    params: [string, Value][],
    paramKey: string,
    inputNames: string[],
    ctx: Ctx,
  ): Value {
    const name = def.decl.name.name;
    const extraKey = extra.map((t) => this.shapeId(t.shape!)).join(';');
    const runs: GroupNode['runs'] = [];
    let shape = input.shape!;
    let prevKey = '';
    let done = 0;
    while (done < repeat) {
      // Again at each step: a layer object the first copy applied is shared by the next ones (see valueKey).
      if (done > 0) paramKey = params.map(([k, v]) => `${k}=${valueKey(v)}`).join(',');
      const key = `${def.uri ?? ''}|${name}|${paramKey}|${this.shapeId(shape)}|${extraKey}`;
      if (key === prevKey) {
        runs[runs.length - 1].count += repeat - done;
        break;
      }
      if (runs.length >= LIMITS.maxDistinctRepeats) {
        this.error('repeat.too_large', `this repeat changes the shape at every step; analysis stops after ${runs.length} distinct steps.`, call.range, ctx);
        return UNKNOWN;
      }
      let res = this.instCache.get(key);
      if (!res) {
        const x: TensorValue = { kind: 'tensor', node: -1, shape };
        res = this.inRepeat(done, repeat, shape, () => this.instantiateFor(call, def, params, [x, ...extra], inputNames, ctx));
        if (!res.callErrors) this.instCache.set(key, res);
      } else {
        this.errors += res.errors;
        this.replayVisits(res, call, ctx);
      }
      if (!res.ok || !res.out) return UNKNOWN;
      runs.push({ count: 1, body: res.graph });
      prevKey = key;
      shape = res.out;
      done++;
    }
    return this.pushGroup(name, name, call, runs, [input, ...extra], shape, ctx);
  }

  /**
   * A cached instantiation used again for `call`: the sites of its body were
   * reached again through this call, those of blocks it calls through the
   * same calls as before (see `SiteInfo.instances`).
   */
  private replayVisits(res: InstResult, call: CallExpr, ctx: Ctx): void {
    if (!res.visits) return;
    const via = this.viaOf(call, ctx);
    for (const v of res.visits) this.visitSite(v.site, via, v.outShape, v.params);
  }

  /** The call an instantiation's body sites name: the block call itself when in this file, else the call of this file it came through. */
  private viaOf(call: CallExpr, ctx: Ctx): Range | undefined {
    return ctx.uri === this.uri && !ctx.static ? call.range : ctx.anchor;
  }

  /** `instantiate` for `call`, its body's sites attributed to it. */
  private instantiateFor(call: CallExpr, def: BlockDef, params: [string, Value][], inputs: TensorValue[], inputNames: string[], ctx: Ctx): InstResult {
    const frame: VisitFrame = { via: this.viaOf(call, ctx), visits: [] };
    this.visitFrames.push(frame);
    const callErrors = this.callErrors;
    try {
      const res = this.instantiate(def, params, inputs, inputNames, ctx, ctx.uri === this.uri && !ctx.static ? call : undefined);
      res.via = frame.via;
      if (frame.visits.length) res.visits = frame.visits;
      if (this.callErrors > callErrors) res.callErrors = true;
      return res;
    } finally {
      this.visitFrames.pop();
    }
  }

  /** Binds a block call's arguments: parameters in order or by name, extra inputs by name. */
  private bindBlockArgs(
    def: BlockDef,
    call: CallExpr,
    ctx: Ctx,
  ): { params: [string, Value][]; tensors: Map<string, { value: TensorValue; range: Range }> | undefined } | undefined {
    const decl = def.decl;
    const { inputNames } = blockInputs(decl);
    const given = new Map<string, Value>();
    // Extra inputs passed by name are rare: the map is made for the first one.
    let tensors: Map<string, { value: TensorValue; range: Range }> | undefined;
    let pos = 0;
    let ok = true;
    for (const arg of call.args) {
      if (arg.name) {
        const n = arg.name.name;
        if (inputNames.includes(n)) {
          const v = this.evalExpr(arg.value, ctx);
          if (v.kind === 'tensor') (tensors ??= new Map()).set(n, { value: v, range: arg.range });
          else if (v.kind !== 'unknown') {
            this.error('arg.type', `'${n}' is an input of block '${decl.name.name}' and takes a tensor, but this is ${describeValue(v)}.`, arg.value.range, ctx);
            ok = false;
          } else ok = false;
          continue;
        }
        if (!hasParam(decl, n)) {
          this.unknownBlockParam(decl, arg.name, inputNames, ctx);
          ok = false;
          continue;
        }
        if (given.has(n)) {
          this.error('arg.duplicate', `'${n}' is given twice.`, arg.range, ctx);
          ok = false;
          continue;
        }
        const v = this.evalBlockArg(arg.value, ctx);
        if (v.kind === 'tensor') {
          this.tensorParam(decl, n, arg, ctx);
          ok = false;
          continue;
        }
        given.set(n, v);
      } else {
        const p = decl.params[pos++];
        if (!p) {
          // One error for all the extra values of the call, from the first; the fix removes them.
          if (pos === decl.params.length + 1) this.tooManyBlockArgs(def, call, arg, ctx);
          ok = false;
          continue;
        }
        if (given.has(p.name.name)) {
          // `b(2, act = tanh, 4)`: a value by position fills the parameters in their order, whatever was named before it.
          this.error(
            'arg.duplicate',
            `'${p.name.name}' is given twice: by name, and by this value's position (values without a name fill the parameters of block '${decl.name.name}' in order: ${decl.params.map((q) => q.name.name).join(', ')}). Put the values without a name first, or name this one.`,
            arg.range,
            ctx,
          );
          ok = false;
          continue;
        }
        const v = this.evalBlockArg(arg.value, ctx);
        if (v.kind === 'tensor') {
          this.tensorParam(decl, p.name.name, arg, ctx);
          ok = false;
          continue;
        }
        given.set(p.name.name, v);
      }
    }
    if (!ok) return undefined;
    // Defaults may use earlier parameters: evaluate them in the block's own scope,
    // made at the first default needed (most calls give every parameter).
    let scope: Ctx | undefined;
    const params: [string, Value][] = [];
    for (let i = 0; i < decl.params.length; i++) {
      const p = decl.params[i];
      let v = given.get(p.name.name);
      if (!v) {
        if (!p.default) {
          this.error('arg.missing', `block '${decl.name.name}' needs its parameter '${p.name.name}'.`, call.argsRange ?? call.callee.range, ctx);
          ok = false;
          continue;
        }
        if (scope === undefined) {
          scope = makeCtx(new Map(params), newGraph(), ctx.model, def.uri, ctx.stack, ctx.anchor ?? call.range, ctx.static, false);
        }
        v = this.evalDefault(decl, i, scope);
      }
      scope?.env.set(p.name.name, v);
      params.push([p.name.name, v]);
    }
    return ok ? { params, tensors } : undefined;
  }

  /**
   * Reports a block argument named `name` that is not a parameter. Apart
   * from `bindBlockArgs`: its closures would make V8 allocate a context for
   * every argument.
   */
  private unknownBlockParam(decl: BlockDecl, name: Ident, inputNames: string[], ctx: Ctx): void {
    const n = name.name;
    const options = suggest(n, [...decl.params.map((p) => p.name.name), ...inputNames.slice(1)]);
    this.error(
      'arg.unknown',
      `block '${decl.name.name}' has no parameter '${n}'.${didYouMean(options)} Its parameters: ${decl.params.map((p) => p.name.name).join(', ') || 'none'}${inputNames.length > 1 ? `; its other inputs, given by name: ${inputNames.slice(1).join(', ')}` : ''}.`,
      name.range,
      ctx,
      { fixes: options.map((o, i) => this.replaceFix(`Change to '${o}'`, name.range, o, i === 0)) },
    );
  }

  /**
   * A tensor given for a block's parameter (`enc(2, source)` for `block
   * enc(heads, ids)`): parameters take numbers, words and layer objects; a
   * tensor enters a block's graph only as one of its inputs (its body's
   * layers would otherwise read a value of the caller's graph).
   */
  private tensorParam(decl: BlockDecl, name: string, arg: Arg, ctx: Ctx): void {
    const block = decl.name.name;
    const given = arg.value.kind === 'name' ? arg.value.name : name;
    this.error(
      'arg.type',
      `'${name}' is a parameter of block '${block}', and parameters take numbers, words or layer objects; this is a tensor. A tensor goes into a block as an input: declare \`input ${name}\` in block '${block}' (after its first input) and give it by name: \`${block}(…, ${name} = ${given})\`.`,
      arg.value.range,
      ctx,
    );
  }

  /** `b(8, 2)` for `block b(filters)`: one error on the first extra value, naming how many the call gives. */
  private tooManyBlockArgs(def: BlockDef, call: CallExpr, first: Arg, ctx: Ctx): void {
    const decl = def.decl;
    const n = decl.params.length;
    const args = call.args;
    const extra = args.filter((a) => !a.name).slice(n);
    const edits: TextEdit[] = [];
    // One edit per run of extra values side by side: edits of neighbours would overlap (`c(2, 3)` for `block c()`).
    const removed = new Set<number>();
    for (let i = 0, pos = 0; i < args.length; i++) if (!args[i].name && pos++ >= n) removed.add(i);
    for (let i = 0; i < args.length; i++) {
      if (!removed.has(i)) continue;
      let j = i;
      while (removed.has(j + 1)) j++;
      // With the ',' before it (`b(8, 2)` → `b(8)`), or after it when it is the first (`b(2, act = relu)`).
      const start = i > 0 ? args[i - 1].range.end : args[i].range.start;
      const end = i > 0 || j + 1 >= args.length ? args[j].range.end : args[j + 1].range.start;
      edits.push({ range: { start, end }, newText: '' });
      i = j;
    }
    const given = n + extra.length;
    this.error(
      'arg.too_many',
      `block '${decl.name.name}' takes ${n} parameter${n === 1 ? '' : 's'}${n ? ': ' + decl.params.map((q) => q.name.name).join(', ') : ''}; this call gives ${given} value${given === 1 ? '' : 's'} by position.`,
      extra.length === 1 ? first.range : { start: first.range.start, end: extra[extra.length - 1].range.end },
      ctx,
      {
        fixes: ctx.uri === this.uri && !ctx.static ? [{ title: extra.length === 1 ? 'Remove the extra value' : `Remove the ${extra.length} extra values`, edits, preferred: true }] : undefined,
        related: [{ message: `block '${decl.name.name}' is declared here`, range: decl.paramsRange ?? decl.name.range, uri: def.uri === this.uri ? undefined : def.uri }],
      },
    );
  }

  /** A block argument: a value, or a bare word kept for an enum (`act = relu`). */
  private evalBlockArg(e: Expr, ctx: Ctx): Value {
    if (e.kind === 'name' && !ctx.env.has(e.name)) return { kind: 'enum', value: e.name };
    this.blockArgDepth++;
    try {
      return this.evalExpr(e, ctx);
    } finally {
      this.blockArgDepth--;
    }
  }

  /** Analyse a block body for given parameters and input tensors. */
  private instantiate(def: BlockDef, params: [string, Value][], inputs: TensorValue[], inputNames: string[], outer: Ctx, call: CallExpr | undefined): InstResult {
    // Its body is analysed here: no static analysis of it at the end (see usedBlocks).
    this.usedBlocks.add(def.decl.name.name);
    this.modelUsed?.add(def.decl.name.name);
    const errorsBefore = this.errors;
    const g = newGraph();
    const ctx = makeCtx(new Map(params), g, outer.model, def.uri, [...outer.stack, def.decl.name.name], outer.anchor, outer.static, false, call, call ? outer : undefined);
    const ports: TensorValue[] = inputs.map((t, i) => {
      const id = g.next++;
      g.nodes.push({ kind: 'input', id, name: inputNames[i], shape: t.shape!, range: def.decl.range, port: i });
      g.inputs.push(id);
      return { kind: 'tensor', node: id, shape: t.shape, name: inputNames[i] };
    });
    const out = this.runBlockBody(def, ctx, ports);
    const graph = freeze(g);
    const t = totalsOf(graph, this.totals);
    return { graph, out: out?.shape, params: t.params, macs: t.macs, activations: t.activations, ok: !!out?.shape, errors: this.errors - errorsBefore };
  }

  /** Runs a block's statements; returns its output tensor. */
  private runBlockBody(def: BlockDef, ctx: Ctx, ports: TensorValue[]): TensorValue | undefined {
    // A body reached through an argument (`b(x -> inner)`, `dense(b(3))`) is not itself in that argument.
    const argDepth = this.argDepth;
    const blockArgDepth = this.blockArgDepth;
    this.argDepth = this.blockArgDepth = 0;
    try {
      return this.runBlockStatements(def, ctx, ports);
    } finally {
      this.argDepth = argDepth;
      this.blockArgDepth = blockArgDepth;
    }
  }

  private runBlockStatements(def: BlockDef, ctx: Ctx, ports: TensorValue[]): TensorValue | undefined {
    let inputIndex = 0;
    let result: TensorValue | undefined;
    let outputs = 0;
    for (const stmt of def.decl.body) {
      if (stmt.kind === 'input') {
        const port = ports[inputIndex++] ?? ({ kind: 'tensor', node: -1, name: stmt.name.name } as TensorValue);
        if (stmt.shape && !this.bindInputShape(def, stmt.name.name, stmt.shape, port.shape, stmt.range, ctx)) return undefined;
        ctx.env.set(stmt.name.name, { kind: 'tensor', node: port.node, shape: port.shape, name: stmt.name.name });
      } else if (stmt.kind === 'output') {
        outputs++;
        if (stmt.values.length > 1) {
          this.error('block.multi_output', `a block gives one value; '${def.decl.name.name}' outputs ${stmt.values.length}. Use concat(...) to join them.`, stmt.keywordRange, ctx);
        }
        const v = stmt.values[0] ? this.evalExpr(stmt.values[0], ctx) : UNKNOWN;
        if (v.kind === 'tensor') {
          result = v;
          if (v.node >= 0) ctx.g.outputs.push(v.node);
        } else if (v.kind !== 'unknown') {
          this.error('output.not_tensor', `an output must be a tensor, but this is ${describeValue(v)}.`, stmt.values[0].range, ctx);
        }
      } else {
        this.evalStatement(stmt, ctx);
      }
    }
    if (outputs === 0) this.noOutput(def, ctx);
    return result;
  }

  /** Reports a block body without `output` (apart from `runBlockStatements`: its closure would make V8 allocate a context for every body run). */
  private noOutput(def: BlockDef, ctx: Ctx): void {
    if (def.uri === this.uri && this.file.errors.length > 0 && this.brokenParts().unsure.has(def.decl)) return;
    this.diag('block.no_output', 'error', `block '${def.decl.name.name}' has no output; add a line \`output <value>\`.`, def.decl.name.range, ctx, missingOutputFixes(def.decl, this.file, (n) => isTensorName(ctx, n)));
  }

  /**
   * Matches a block input's declared shape against what it receives and binds
   * the pattern's free names: in `input x: [h, w, c]`, a name that is not a
   * parameter or value in scope (nor bound earlier in the pattern) becomes the
   * received size, a number (or a symbolic size), for the rest of the body.
   * Every other dimension must equal the received one; a dimension that still
   * names something unbound (`h * 2` before h is known) matches any size.
   * Without a received shape (a block checked on its own) the names are bound
   * to unknown values. False after reporting a mismatch.
   */
  private bindInputShape(
    def: BlockDef,
    input: string,
    pattern: NonNullable<Extract<Statement, { kind: 'input' }>['shape']>,
    got: Shape | undefined,
    at: Range,
    ctx: Ctx,
  ): boolean {
    const dims = pattern.dims;
    const mismatch = (why: string, range: Range) => {
      const declared = `${pattern.isInt ? 'int' : ''}[${dims.map(exprText).join(', ')}]`;
      this.error('shape.mismatch', `block '${def.decl.name.name}' declares input '${input}' as ${declared}, but receives ${shapeToString(got!)}${why}.`, range, ctx);
      return false;
    };
    if (got && dims.length !== got.dims.length) return mismatch('', at);
    for (let i = 0; i < dims.length; i++) {
      const e = dims[i];
      if (e.kind === 'name' && !ctx.env.has(e.name)) {
        const d = got?.dims[i];
        ctx.env.set(e.name, d === undefined ? UNKNOWN : d.value !== undefined ? { kind: 'number', value: d.value } : { kind: 'size', sym: d });
        continue;
      }
      if (!got || hasFreeName(e, ctx)) continue;
      const want = this.evalDim(e, ctx);
      if (!want) return false;
      if (!want.equals(got.dims[i])) {
        const text = exprText(e);
        const value = want.toString();
        return mismatch(`: its ${ordinal(i + 1)} axis is ${text === value ? text : `${text} = ${value}`}, not ${got.dims[i].toString()}`, e.range);
      }
    }
    return true;
  }

  // ------------------------------------------------------------------- sites

  private site(
    range: Range,
    kind: SiteInfo['kind'],
    name: string,
    ctx: Ctx,
    inShapes: Shape[],
    outShape?: Shape,
    params?: Params,
    macs?: Sym,
    repeat?: number,
    /** Index in `sites` to insert at; the end when not given. */
    at?: number,
    internal?: InternalActivation[],
  ): void {
    if (ctx.uri !== this.uri || ctx.static) return;
    if (!ctx.once && !this.isNewSite(range, kind)) {
      const first = this.siteByKey.get(range.start.offset * SITE_KIND_COUNT + SITE_KINDS[kind]);
      if (first && first.range.end.offset === range.end.offset) this.visitSite(first, this.visitFrames[this.visitFrames.length - 1]?.via ?? ctx.anchor, outShape, params);
      return;
    }
    const s: SiteInfo = { range, kind, name, model: ctx.model, inShapes, outShape, params, macs, internal, repeat };
    if (!ctx.once) {
      const key = range.start.offset * SITE_KIND_COUNT + SITE_KINDS[kind];
      if (!this.siteByKey.has(key)) this.siteByKey.set(key, s);
      this.visitSite(s, this.visitFrames[this.visitFrames.length - 1]?.via ?? ctx.anchor, outShape, params);
    }
    const sites = this.sites;
    if (at === undefined || at >= sites.length) {
      const last = sites[sites.length - 1];
      if (last && compareSites(last, s) > 0) this.sitesSorted = false;
      sites.push(s);
      return;
    }
    const prev = at > 0 ? sites[at - 1] : undefined;
    if ((prev && compareSites(prev, s) > 0) || compareSites(s, sites[at]) > 0) this.sitesSorted = false;
    sites.splice(at, 0, s);
  }

  /**
   * Records that an instantiation reached through `via` (the outermost call
   * in this file) gave `outShape`/`params` at a block-body site: in the
   * visits of each instantiation being analysed for that call (replayed by
   * calls that reuse it later) and in the site's `instances` once a second
   * call or result comes. Recording the same (site, via, result) again
   * changes nothing.
   */
  private visitSite(site: SiteInfo, via: Range | undefined, outShape: Shape | undefined, params: Params | undefined): void {
    this.siteVisits++;
    for (const frame of this.visitFrames) if (frame.via === via) this.keepVisit(frame, site, outShape, params);
    if (!via) return;
    const st = this.instanceStates.get(site);
    if (!st) {
      this.instanceStates.set(site, { first: via });
      return;
    }
    const newCall = via.start.offset !== st.first.start.offset && addVia(st, via.start.offset);
    if (!st.outcomes) st.outcomes = [{ via: st.first, call: this.callText(st.first), outShape: site.outShape, params: site.params }];
    const outcomes = st.outcomes;
    const known = !this.addResult(st, outcomes, outShape, params);
    if (!newCall && known) return;
    const info = (site.instances ??= { calls: 1, outcomes, moreOutcomes: 0 });
    const vias = st.vias;
    info.calls = vias === undefined ? 1 : Array.isArray(vias) ? vias.length : vias.size;
    if (known) return;
    if (outcomes.length < MAX_KEPT_OUTCOMES) outcomes.push({ via, call: this.callText(via), outShape, params });
    else info.moreOutcomes++;
  }

  /** Adds a result to a site's distinct results (`InstanceState.seen`); false when it holds an equal one already. */
  private addResult(st: InstanceState, outcomes: readonly SiteOutcome[], outShape: Shape | undefined, params: Params | undefined): boolean {
    if (st.seen !== undefined) return this.addOutcome(st.seen, outShape, params);
    for (let i = 0; i < outcomes.length; i++) if (this.sameOutcome(outcomes[i], outShape, params)) return false;
    if (outcomes.length < MAX_KEPT_OUTCOMES) return true;
    // The first result that `outcomes` has no room for: from here on they are only counted, and indexed.
    const seen: OutcomeIndex = (st.seen = new Map());
    for (const o of outcomes) this.addOutcome(seen, o.outShape, o.params);
    return this.addOutcome(seen, outShape, params);
  }

  /** Adds a result to `index`; false when it holds an equal one already. */
  private addOutcome(index: OutcomeIndex, outShape: Shape | undefined, params: Params | undefined): boolean {
    const id = outShape ? this.shapeId(outShape) : -1;
    const list = index.get(id);
    if (!list) {
      index.set(id, [params]);
      return true;
    }
    // A loop, not `some` with a closure (which made V8 allocate a context for every call).
    for (const p of list) if (sameParams(p, params)) return false;
    list.push(params);
    return true;
  }

  /** Adds a visit to an instantiation's, unless it holds that (site, result) already. */
  private keepVisit(frame: VisitFrame, site: SiteInfo, outShape: Shape | undefined, params: Params | undefined): void {
    const visits = frame.visits;
    if (frame.bySite === undefined) {
      for (let i = 0; i < visits.length; i++) {
        const v = visits[i];
        if (v.site === site && this.sameOutcome(v, outShape, params)) return;
      }
      visits.push({ site, outShape, params });
      if (visits.length > FEW_VISITS) {
        const bySite = (frame.bySite = new Map());
        for (const v of visits) this.indexVisit(bySite, v.site, v.outShape, v.params);
      }
      return;
    }
    if (this.indexVisit(frame.bySite, site, outShape, params)) visits.push({ site, outShape, params });
  }

  /** Adds a (site, result) to an instantiation's index; false when it holds it already. */
  private indexVisit(bySite: Map<SiteInfo, SiteVisit[] | OutcomeIndex>, site: SiteInfo, outShape: Shape | undefined, params: Params | undefined): boolean {
    const kept = bySite.get(site);
    if (!kept) bySite.set(site, [{ site, outShape, params }]);
    else if (Array.isArray(kept)) {
      for (const v of kept) if (this.sameOutcome(v, outShape, params)) return false;
      if (kept.length < MAX_SCANNED_VISITS) kept.push({ site, outShape, params });
      else {
        const index: OutcomeIndex = new Map();
        for (const v of kept) this.addOutcome(index, v.outShape, v.params);
        this.addOutcome(index, outShape, params);
        bySite.set(site, index);
      }
    } else if (!this.addOutcome(kept, outShape, params)) return false;
    return true;
  }

  private sameOutcome(o: { outShape?: Shape; params?: Params }, outShape: Shape | undefined, params: Params | undefined): boolean {
    return (
      (o.outShape === outShape || (o.outShape !== undefined && outShape !== undefined && this.shapeId(o.outShape) === this.shapeId(outShape))) &&
      sameParams(o.params, params)
    );
  }

  /** A call's source text on one line, shortened for a hover: `b(64)`, `decoder_layer(512, 8, memory = …`. */
  private callText(range: Range): string {
    // Keyed by start and length (a call is never 65 536 characters long; such a one is not cached).
    const length = range.end.offset - range.start.offset;
    const key = length < 65536 ? range.start.offset * 65536 + length : -1;
    let known = key < 0 ? undefined : this.callTexts.get(key);
    if (known === undefined) {
      known = shortCallText(this.file.text ?? '', range);
      if (key >= 0) this.callTexts.set(key, known);
    }
    return known;
  }

  /** Appends sites already in `compareSites` order. */
  private appendSorted(sites: readonly SiteInfo[]): void {
    if (sites.length === 0) return;
    const last = this.sites[this.sites.length - 1];
    if (last && compareSites(last, sites[0]) > 0) this.sitesSorted = false;
    for (const s of sites) this.sites.push(s);
  }

  /** The sites in `compareSites` order (sorts them in place when needed). */
  sortedSites(): SiteInfo[] {
    if (!this.sitesSorted) sortSites(this.sites);
    this.sitesSorted = true;
    return this.sites;
  }

  /** Whether no site of this kind and range was recorded yet; records it. */
  private isNewSite(range: Range, kind: SiteInfo['kind']): boolean {
    const key = range.start.offset * SITE_KIND_COUNT + SITE_KINDS[kind];
    const end = this.siteEnds.get(key);
    if (end === undefined) {
      this.siteEnds.set(key, range.end.offset);
      return true;
    }
    if (end === range.end.offset) return false;
    const other = `${key}:${range.end.offset}`;
    if (this.siteOthers.has(other)) return false;
    this.siteOthers.add(other);
    return true;
  }

  isBlockUsed(name: string): boolean {
    return this.usedBlocks.has(name);
  }
}

// ------------------------------------------------------------------ helpers

const inputsByBlock = new WeakMap<BlockDecl, { inputDecls: InputStmt[]; inputNames: string[] }>();

/** A block's `input` statements and their names, found once per declaration (syntax trees are not changed). */
/** Whether `name` is bound, at the end of a body, to a tensor (or to a value an error left unknown): what an output can be. */
function isTensorName(ctx: Ctx, name: string): boolean {
  const v = ctx.env.get(name);
  return v !== undefined && (v.kind === 'tensor' || v.kind === 'unknown');
}

/**
 * The expression `call` (of block `block`) wrote for its parameter `param`:
 * by name, or by position among the unnamed arguments. Undefined when the
 * parameter took its default.
 */
function writtenArg(call: CallExpr, block: string, param: string, blocks: ReadonlyMap<string, BlockDef>): Expr | undefined {
  const params = blocks.get(block)?.decl.params;
  if (!params) return undefined;
  let pos = 0;
  for (const arg of call.args) {
    if (arg.name) {
      if (arg.name.name === param) return arg.value;
    } else if (params[pos++]?.name.name === param) return arg.value;
  }
  return undefined;
}

/** Whether `decl`'s body binds `name` again (`n = 0` for a parameter `n`). */
function rebinds(decl: BlockDecl, name: string): boolean {
  return decl.body.some((st) => st.kind === 'assign' && st.target.name === name);
}

/** The default of `decl`'s parameter `param` when it is a plain value (a number or a word), not computed from others. */
function literalDefault(decl: BlockDecl, param: string): Expr | undefined {
  const d = decl.params.find((p) => p.name.name === param)?.default;
  if (d?.kind === 'number' || d?.kind === 'bool' || d?.kind === 'string') return d;
  if (d?.kind === 'name' && !decl.params.some((p) => p.name.name === d.name)) return d;
  return undefined;
}

/**
 * PyTorch's `padding = n` in a call whose padding is a word here (the
 * transposed convolution: convolutions and poolings take the number as
 * explicit padding). `0` is `valid`; PyTorch's ConvTranspose padding crops
 * the output, and `same` (the input's size times the stride) is 2n = k − s.
 * The hint for the message and the words to offer (none when n is some
 * other amount, both when the call's kernel or stride cannot be read).
 */
function torchPadding(spec: LayerSpec, call: CallExpr, n: number): { hint: string; words: string[] } {
  if (n === 0) return { hint: " PyTorch's padding = 0 (no zeros cropped) is `valid` here.", words: ['valid'] };
  const k = writtenNumber(spec, call, 'kernel');
  // Not written: the default stride 1; written as something else than a number: unknown.
  const s = argExprOf(spec, call, 'stride') ? writtenNumber(spec, call, 'stride') : 1;
  if (k === undefined || s === undefined) {
    return { hint: ` PyTorch's padding = ${n} crops the output; \`same\` keeps the input's size (divided by the stride), \`valid\` adds none.`, words: ['same', 'valid'] };
  }
  if (2 * n === k - s) return { hint: ` PyTorch's ConvTranspose padding = ${n} crops the output to the input's size times the stride with ${wide(k)} kernel at stride ${s}: that is \`same\` here.`, words: ['same'] };
  // An odd k − s: TensorFlow's `same` crops one more at the end, which no PyTorch padding does alone.
  const same = k <= s ? 'padding = 0 there, as `valid`' : (k - s) % 2 === 0 ? `padding = ${(k - s) / 2} there and \`valid\` padding = 0` : `no one padding there (it crops ${k - s}, one more at the end) and \`valid\` padding = 0`;
  return { hint: ` PyTorch's ConvTranspose padding = ${n} crops the output; with ${wide(k)} kernel at stride ${s}, \`same\` is ${same}.`, words: [] };
}

/** A number a layer call writes as a literal for argument `name` (`[3, 3]` counts as 3), by name or by position. */
function writtenNumber(spec: LayerSpec, call: CallExpr, name: string): number | undefined {
  const e = argExprOf(spec, call, name);
  if (e?.kind === 'number') return e.value;
  if (e?.kind === 'list' && e.items.length > 0 && e.items.every((x) => x.kind === 'number' && x.value === (e.items[0] as { value: number }).value)) return (e.items[0] as { value: number }).value;
  return undefined;
}

/** 1 → "1st", 2 → "2nd", 11 → "11th", 23 → "23rd". */
function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
  return `${n}${suffix}`;
}

function blockInputs(decl: BlockDecl): { inputDecls: InputStmt[]; inputNames: string[] } {
  let r = inputsByBlock.get(decl);
  if (r === undefined) {
    const inputDecls = decl.body.filter((s): s is InputStmt => s.kind === 'input');
    r = { inputDecls, inputNames: inputDecls.map((d) => d.name.name) };
    inputsByBlock.set(decl, r);
  }
  return r;
}

const variadics = new WeakMap<LayerSpec, number>();
const required = new WeakMap<LayerSpec, number[]>();

/** Indices of the spec's arguments that a call must give (no default, not optional, not a tensor). */
function requiredArgs(spec: LayerSpec): number[] {
  let r = required.get(spec);
  if (r === undefined) {
    r = [];
    spec.args.forEach((a, i) => {
      if (a.default === undefined && !a.optional && a.type !== 'tensors' && a.type !== 'tensor') r!.push(i);
    });
    required.set(spec, r);
  }
  return r;
}

/** Index of the spec's variadic `tensors` argument, or -1. */
function variadicIndex(spec: LayerSpec): number {
  let i = variadics.get(spec);
  if (i === undefined) {
    i = spec.args.findIndex((a) => a.type === 'tensors');
    variadics.set(spec, i);
  }
  return i;
}

/**
 * Whether one of the call's arguments is written `name = ...`. A loop, not a
 * closure: a closure in `resolveInto`'s loop made V8 allocate the loop's
 * variables in a fresh context for every argument of every call.
 */
function namesArg(call: CallExpr, name: string): boolean {
  for (const b of call.args) if (b.name?.name === name) return true;
  return false;
}

/** In resolveArgs: an argument that was written but has no value to pass on. */
const SEEN: unique symbol = Symbol('seen');

/**
 * The arguments of a call by name, in schema order, defaults filled in: what
 * `withDefaults` gives for the values given (`vals` by schema index).
 */
function argsWithDefaults(spec: LayerSpec, vals: readonly (ArgValue | typeof SEEN | undefined)[]): Record<string, ArgValue> {
  const out: Record<string, ArgValue> = {};
  const specs = spec.args;
  for (let i = 0; i < specs.length; i++) {
    const a = specs[i];
    const v = vals[i];
    if (v !== undefined && v !== SEEN) out[a.name] = v;
    else if (typeof a.default === 'function') out[a.name] = a.default(out);
    else if (a.default !== undefined) out[a.name] = a.default;
    else if (a.optional || a.type === 'tensors' || a.type === 'tensor') out[a.name] = null;
  }
  return out;
}

/**
 * A hash of a call's arguments as given (by schema index) for
 * `Analyzer.internArgs`, which compares them exactly; undefined when an
 * argument is not a plain value (a tensor, a layer object).
 */
function argsHash(spec: LayerSpec, vals: readonly (ArgValue | typeof SEEN | undefined)[]): number | undefined {
  const name = spec.name;
  let h = Math.imul(name.length, 0x9e3779b1) ^ name.charCodeAt(0) ^ (name.charCodeAt(name.length - 1) << 8);
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i];
    let x: number;
    if (v === undefined) x = 0;
    else if (typeof v === 'number') x = (v | 0) ^ ((v * 4096) | 0);
    else if (typeof v === 'string') x = Math.imul(v.length, 31) ^ (v.charCodeAt(0) | 0) ^ ((v.charCodeAt(v.length - 1) | 0) << 10);
    else if (typeof v === 'boolean') x = v ? 1 : 2;
    else if (Array.isArray(v)) {
      x = 3;
      for (let j = 0; j < v.length; j++) x = Math.imul(x, 31) + (v[j] | 0);
    } else return undefined;
    h = Math.imul(h ^ x, 0x01000193) + i;
  }
  return h | 0;
}

/** Whether two plain argument lists of one layer are the same (see `argsHash`). */
function sameVals(a: readonly (ArgValue | typeof SEEN | undefined)[], b: readonly (ArgValue | typeof SEEN | undefined)[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Object.is(x, y)) continue;
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (!Object.is(x[j], y[j])) return false;
  }
  return true;
}

/** Adds a call's offset to `st.vias` (see there); false when it holds it already. */
function addVia(st: InstanceState, offset: number): boolean {
  const vias = st.vias;
  if (vias === undefined) {
    st.vias = [st.first.start.offset, offset];
    return true;
  }
  if (!Array.isArray(vias)) {
    if (vias.has(offset)) return false;
    vias.add(offset);
    return true;
  }
  if (vias.includes(offset)) return false;
  if (vias.length < FEW_VISITS) vias.push(offset);
  else st.vias = new Set(vias).add(offset);
  return true;
}

/** Whether two parameter counts (of site results) are equal: the same object, or both given and equal. */
function sameParams(a: Params | undefined, b: Params | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.trainable.equals(b.trainable) && a.nonTrainable.equals(b.nonTrainable));
}

/**
 * Whether two weight lists have equal shapes. A function of its own: a
 * closure over `addLayerNode`'s weights made V8 allocate a context for every
 * layer application.
 */
function sameWeightShapes(a: readonly WeightSpec[], b: readonly WeightSpec[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i].shape;
    const y = b[i].shape;
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (!x[j].equals(y[j])) return false;
  }
  return true;
}

/** Whether the block has a parameter named `name` (a loop: see `namesArg`). */
function hasParam(decl: BlockDecl, name: string): boolean {
  for (const p of decl.params) if (p.name.name === name) return true;
  return false;
}

function objectNames(ctx: Ctx): string[] {
  const out: string[] = [];
  for (const [k, v] of ctx.env) if (v.kind === 'object') out.push(k);
  return out;
}

/** Whether a dimension expression names something that is neither a number nor a size in scope (it then matches any size). */
function hasFreeName(e: Expr, ctx: Ctx): boolean {
  switch (e.kind) {
    case 'name': {
      const v = ctx.env.get(e.name);
      return !(v?.kind === 'size' || (v?.kind === 'number' && Number.isInteger(v.value) && v.value >= 1));
    }
    case 'paren':
      return hasFreeName(e.expr, ctx);
    case 'binary':
      return hasFreeName(e.left, ctx) || hasFreeName(e.right, ctx);
    default:
      return false;
  }
}

function paramsOf(weights: WeightSpec[]): Params {
  if (weights.length === 0) return ZERO_PARAMS;
  // Counts are nearly always constant: sum them as numbers, make one Sym at the end.
  const trainable = new SymSum();
  const nonTrainable = new SymSum();
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i];
    (w.trainable ? trainable : nonTrainable).add(product(w.shape));
  }
  return { trainable: trainable.sym(), nonTrainable: nonTrainable.sym() };
}

/**
 * A running sum of Syms that keeps the constant part as a plain number, so
 * that adding up thousands of constant counts allocates no Sym per step, and
 * collects the symbolic ones (with their factors) to add them up at once.
 */
class SymSum {
  private c = 0;
  private xs: Sym[] | undefined;
  private ks: number[] | undefined;

  add(x: Sym): void {
    const v = x.value;
    if (v !== undefined) this.c += v;
    else this.push(x, 1);
  }

  /** Adds `x * n`. */
  addTimes(x: Sym, n: number): void {
    const v = x.value;
    if (v !== undefined) this.c += v * n;
    else this.push(x, n);
  }

  /** Adds the product of `dims` (a shape's size) without making a Sym when all are constant. */
  addProduct(dims: readonly Sym[]): void {
    let c = 1;
    let p: Sym | undefined;
    for (let i = 0; i < dims.length; i++) {
      const d = dims[i];
      const v = d.value;
      if (v !== undefined) c *= v;
      else p = p === undefined ? d : p.mul(d);
    }
    if (p === undefined) this.c += c;
    else this.push(p, c);
  }

  private push(x: Sym, k: number): void {
    if (this.xs === undefined) {
      this.xs = [x];
      this.ks = [k];
    } else {
      this.xs.push(x);
      this.ks!.push(k);
    }
  }

  sym(): Sym {
    const xs = this.xs;
    if (xs === undefined) return Sym.of(this.c);
    if (xs.length === 1 && this.ks![0] === 1) return this.c === 0 ? xs[0] : xs[0].add(this.c);
    return Sym.sum(xs, this.ks, this.c);
  }
}

function weightsText(ws: WeightSpec[]): string {
  return ws.map((w) => `${w.name}[${w.shape.map(String).join(', ')}]`).join(', ') || 'none';
}

type Totals = { params: Params; macs: Sym; activations: Sym };

/**
 * Totals already computed, by graph, for callers outside an analysis.
 * Graphs are not changed once built, and a block's body graph is shared by
 * every group that runs it, so nested groups would otherwise be summed again
 * at every level.
 */
const totalsCache = new WeakMap<Graph, Totals>();

/** Totals of a graph: groups count their runs. */
export function totalsOf(graph: Graph, cache: TotalsCache = totalsCache): Totals {
  let t = cache.get(graph);
  if (t === undefined) {
    t = computeTotals(graph, cache);
    cache.set(graph, t);
  }
  return t;
}

/**
 * Where totals are remembered. An analysis uses a plain Map of its own, which
 * dies with it: a WeakMap's entries are ephemerons, which every garbage
 * collection has to trace specially, and an analysis makes thousands.
 */
interface TotalsCache {
  get(graph: Graph): Totals | undefined;
  set(graph: Graph, totals: Totals): unknown;
}

function computeTotals(graph: Graph, cache: TotalsCache): Totals {
  const trainable = new SymSum();
  const nonTrainable = new SymSum();
  const macs = new SymSum();
  const activations = new SymSum();
  const nodes = graph.nodes;
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (n.kind === 'layer') {
      trainable.add(n.params.trainable);
      nonTrainable.add(n.params.nonTrainable);
      macs.add(n.macs);
      activations.addProduct(n.shape.dims);
      // What the layer keeps besides its output: attention's [heads, seq_q, seq_k] weights.
      const internal = n.internal;
      if (internal !== undefined) for (let j = 0; j < internal.length; j++) activations.addProduct(internal[j].shape);
    } else if (n.kind === 'group') {
      trainable.add(n.params.trainable);
      nonTrainable.add(n.params.nonTrainable);
      macs.add(n.macs);
      for (const r of n.runs) activations.addTimes(totalsOf(r.body, cache).activations, r.count);
    }
  }
  return { params: { trainable: trainable.sym(), nonTrainable: nonTrainable.sym() }, macs: macs.sym(), activations: activations.sym() };
}

function labelOf(call: CallExpr): string {
  return sourceOfCall(call);
}

/** The labels of a call whose arguments name values in scope (`Analyzer.labels`). */
interface ValueLabels {
  /** By argument of the call: whether its label shows its value instead of its text. */
  subst: boolean[];
  /** The call as written. */
  source: string;
  /** Labels made, by argument record. */
  byArgs: Map<Record<string, ArgValue>, string>;
}

/**
 * By argument of `call`: whether it names a plain value in scope (a number,
 * string, enum word, bool or list: not a tensor or layer object, whose name
 * is what a reader wants to see). Undefined when none does, the common case.
 */
function substitutedArgs(call: CallExpr, env: ReadonlyMap<string, Value>): boolean[] | undefined {
  let subst: boolean[] | undefined;
  const args = call.args;
  for (let i = 0; i < args.length; i++) {
    if (namesPlainValue(args[i].value, env)) (subst ??= new Array<boolean>(args.length).fill(false))[i] = true;
  }
  return subst;
}

function namesPlainValue(e: Expr, env: ReadonlyMap<string, Value>): boolean {
  switch (e.kind) {
    case 'name': {
      const v = env.get(e.name);
      return v !== undefined && (v.kind === 'number' || v.kind === 'string' || v.kind === 'enum' || v.kind === 'bool' || v.kind === 'list');
    }
    case 'paren':
      return namesPlainValue(e.expr, env);
    case 'unary':
      return namesPlainValue(e.operand, env);
    case 'binary':
      return namesPlainValue(e.left, env) || namesPlainValue(e.right, env);
    case 'list':
      return e.items.some((x) => namesPlainValue(x, env));
    default:
      return false;
  }
}

/**
 * `sourceOfCall` with the arguments marked in `subst` written as their
 * resolved values from `args` (the node's argument record); an argument
 * without a plain value there keeps its text.
 */
function labelWithValues(call: CallExpr, spec: LayerSpec, args: Record<string, ArgValue>, subst: readonly boolean[]): string {
  const variadic = variadicIndex(spec);
  let out = `${call.callee.name}(`;
  let pos = 0;
  for (let i = 0; i < call.args.length; i++) {
    const a = call.args[i];
    // The schema argument this one fills, as `resolveInto` assigns them.
    let name: string | undefined;
    if (a.name) name = a.name.name;
    else if (variadic >= 0 && pos >= variadic && spec.args[variadic]) name = undefined;
    else name = spec.args[pos++]?.name;
    if (i > 0) out += ', ';
    if (a.name) out += `${a.name.name} = `;
    const v = subst[i] && name !== undefined ? args[name] : undefined;
    const text = v === undefined ? undefined : argValueText(v, a.value, argTypeOf(spec, name!));
    out += text ?? exprText(a.value);
  }
  return out + ')';
}

/** The type of `spec`'s argument `name` (a loop: a closure over the name made V8 allocate a context for every argument of every label). */
function argTypeOf(spec: LayerSpec, name: string): ArgSpec['type'] | undefined {
  for (const s of spec.args) if (s.name === name) return s.type;
  return undefined;
}

/** An argument value as source would write it; undefined for what has no literal (tensors, layer objects, none). */
function argValueText(v: ArgValue, written: Expr, type: ArgSpec['type'] | undefined): string | undefined {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return type === 'string' ? JSON.stringify(v) : v;
  if (Array.isArray(v)) {
    // `pool = k` with k = 2 resolves to [2] (the layer spreads one number over its axes): show it as written, one number.
    return v.length === 1 && written.kind !== 'list' ? String(v[0]) : `[${v.join(', ')}]`;
  }
  return undefined;
}

/** A short text of a call, rebuilt from the tree: `conv2d(6, 5)`. */
function sourceOfCall(call: CallExpr): string {
  if (!call.argsRange) return call.callee.name;
  let out = `${call.callee.name}(`;
  for (let i = 0; i < call.args.length; i++) {
    const a = call.args[i];
    if (i > 0) out += ', ';
    if (a.name) out += `${a.name.name} = `;
    out += exprText(a.value);
  }
  return out + ')';
}

function exprText(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return e.text;
    case 'string':
      return JSON.stringify(e.value);
    case 'bool':
      return String(e.value);
    case 'name':
      return e.name;
    case 'list':
      return `[${e.items.map(exprText).join(', ')}]`;
    case 'paren':
      return `(${exprText(e.expr)})`;
    case 'unary':
      return `-${exprText(e.operand)}`;
    case 'binary':
      return `${exprText(e.left)} ${e.op} ${exprText(e.right)}`;
    case 'call':
      return sourceOfCall(e);
    case 'chain':
      return [exprText(e.head), ...e.calls.map(sourceOfCall)].join(' -> ');
    case 'error':
      return '?';
  }
}

/** "a 3-wide kernel", "an 8-wide kernel". */
function wide(k: number): string {
  return `${/^(8|11|18)/.test(String(k)) ? 'an' : 'a'} ${k}-wide`;
}

/** Layers whose PyTorch constructor takes the input's size first: the module and what it calls that size (see `torchOrder`). */
const TORCH_ORDER: Readonly<Record<string, { name: string; size: string }>> = {
  dense: { name: 'nn.Linear', size: 'size (in_features)' },
  batchnorm: { name: 'nn.BatchNorm', size: 'channels (num_features)' },
  lstm: { name: 'nn.LSTM', size: 'size (input_size)' },
  gru: { name: 'nn.GRU', size: 'size (input_size)' },
  rnn: { name: 'nn.RNN', size: 'size (input_size)' },
  conv1d: { name: 'nn.Conv1d', size: 'channels (in_channels)' },
  conv2d: { name: 'nn.Conv2d', size: 'channels (in_channels)' },
  conv2d_transpose: { name: 'nn.ConvTranspose2d', size: 'channels (in_channels)' },
  attention: { name: 'nn.MultiheadAttention', size: 'size (embed_dim, then num_heads)' },
};

/** Layers whose `return_sequences` chooses between the last step and every step. */

/**
 * PyTorch's `dim = 1` or `dim = -1`: the features (an image's channels,
 * counted after the batch), which are the last axis here, `axis = -1`.
 */
function torchFeatureDim(e: Expr): boolean {
  if (e.kind === 'number') return e.value === 1;
  return e.kind === 'unary' && e.op === '-' && e.operand.kind === 'number' && e.operand.value === 1;
}

/** Whether value `e` (as written: a number, a word, true/false, a list) could be meant for argument `a` of its type. */
function mayFill(a: ArgSpec, e: Expr): boolean {
  const k = e.kind === 'unary' || e.kind === 'binary' || e.kind === 'paren' ? 'number' : e.kind;
  if (k === 'number') return NUMERIC_ARG[a.type];
  if (k === 'bool') return a.type === 'bool';
  if (k === 'list') return a.type === 'ints' || a.type === 'int_list';
  if (k === 'string') return a.type === 'string';
  // A word: an enum's or activation's value, a block parameter (a number), a layer object.
  return k === 'name' && a.type !== 'bool';
}

/** Errors of sizes that come out too small: what a channels-first input makes later layers report (`absorbFollowOn`). */
const SIZE_ERRORS: ReadonlySet<string> = new Set(['shape.kernel_too_large', 'shape.output_below_1']);

/** Keras's arguments that give the first layer its input's shape. */
const KERAS_INPUT_ARGS: ReadonlySet<string> = new Set(['input_shape', 'input_dim', 'batch_input_shape']);

/** A message when the input's rank is not one the schema allows. */
function rankProblem(spec: LayerSpec, got: Shape): string | undefined {
  const n = got.dims.length;
  if (takesRank(spec, n)) return undefined;
  return `${spec.name} expects an input of rank ${ranksText(spec)}, but got ${shapeToString(got)} (rank ${n}).${rankHint(spec, got)}`;
}

/** Layers besides the recurrent ones that read a sequence [seq, features], as a ViT applies them to its patches. */
const SEQUENCE_LAYERS: ReadonlySet<string> = new Set(['attention', 'cls_token', 'positional']);

function rankHint(spec: LayerSpec, got: Shape): string {
  const n = got.dims.length;
  const sequence = isRecurrent(spec.name) || SEQUENCE_LAYERS.has(spec.name);
  if ((spec.name === 'conv2d' || spec.name === 'conv2d_transpose') && n === 1) {
    return ' It needs [height, width, channels]: a flatten goes after the convolutions, not before; a vector of pixels is reshaped first, e.g. `-> reshape([28, 28, 1])`.';
  }
  if (spec.name === 'conv2d' && n === 2) return ' A sequence [length, channels] takes conv1d; a 2-D map without channels needs a channel axis, e.g. `-> reshape([h, w, 1])`.';
  if (spec.name === 'dense' && n > 1) return '';
  if (sequence && n === 1) return ' It needs a sequence: [seq, features].';
  if ((sequence || spec.name === 'conv1d') && n === 3) {
    const c = got.dims[2].toString();
    return ` Its positions lie on two axes: \`-> reshape([-1, ${c}])\` makes each of the ${got.dims[0].toString()} × ${got.dims[1].toString()} positions one step of a sequence (as a ViT does with its patches).`;
  }
  return '';
}

// ------------------------------------------------------------------- entry

/** Train diagnostics about one setting by itself, reported even when another setting of the section has a syntax error. */
const ENTRY_CHECKS: ReadonlySet<string> = new Set(['train.unknown_key', 'train.duplicate_key', 'train.bad_value', 'train.bad_metric', 'train.bad_option', 'train.bad_loss', 'train.bad_optimizer', 'train.bad_data']);

/** Parse and analyse a whole file. Never throws: every problem is a diagnostic. */
export function analyze(text: string, options: AnalyzeOptions = {}): Analysis {
  return analyzeFile(
    parse(text),
    options,
    (a, file, models) => {
      for (const item of file.items) if (item.kind === 'model') models.push(a.analyzeModel(item));
    },
    false,
  );
}

/**
 * @internal The analysis of a parsed file; `runModels` analyses its models
 * into `models` in file order (the incremental session replays unchanged ones).
 */
export function analyzeFile(
  file: SourceFile,
  options: AnalyzeOptions,
  runModels: (a: Analyzer, file: SourceFile, models: ModelInfo[]) => void,
  /** Whether the file's trees may be analysed again (an editor session): per-tree results are then kept. */
  reusedTrees = true,
): Analysis {
  const diagnostics: Diagnostic[] = file.errors.map((err) => {
    let e = err;
    const d: Diagnostic = { code: e.code, severity: 'error', message: e.message, range: e.range };
    if (e.code === 'syntax.module_prefix' && e.replace) e = modulePrefixFix(e, e.replace.text, d);
    if (e.insert) d.fixes = [{ title: `Insert '${e.insert.text}'`, edits: [{ range: { start: e.insert.at, end: e.insert.at }, newText: e.insert.text }], preferred: true }];
    else if (e.replace) d.fixes = [{ title: e.replace.title, edits: [{ range: e.replace.range, newText: e.replace.text }], preferred: true }];
    if (d.fixes && e.alternatives) for (const f of e.alternatives) d.fixes.push({ title: f.title, edits: [{ range: f.range, newText: f.text }] });
    return d;
  });
  const a = new Analyzer(file, options.uri, options.readImport, options.importBase);
  const models: ModelInfo[] = [];
  let trains: Analysis['trains'] = [];
  let symbols: Analysis['symbols'] = [];
  try {
    a.collectDeclarations();
    runModels(a, file, models);
    // A copy: a session keeps the models it replays.
    for (let i = 0; i < models.length; i++) if (!models[i].hasErrors && a.holdsSyntaxError(models[i])) models[i] = { ...models[i], hasErrors: true };
    for (const def of a.blocks.values()) if (def.uri === options.uri && !a.isBlockUsed(def.decl.name.name)) a.analyzeBlockStatically(def);
    const sym = collectSymbols(file, options.uri, a.blocks, reusedTrees);
    symbols = sym.symbols;
    for (const d of sym.diagnostics) {
      // A value whose use may be in what a syntax error left unread (`output (x y)`, a line that lost its `output`).
      if ((d.code === 'value.unused' || d.code === 'input.unused') && (a.namedOnBrokenLine(d.range) || a.unusedExplained(d.range))) continue;
      a.diag(d.code, d.severity, d.message, d.range, undefined, d);
    }
    for (const d of lintModels(models, options.uri, file, reusedTrees)) {
      const e = d.code === 'input.channels_first' ? a.absorbFollowOn(d, models) : d;
      a.diag(e.code, e.severity, e.message, e.range, undefined, e);
    }
    const t = analyzeTrain(file, models, reusedTrees);
    trains = t.trains;
    for (const d of t.diagnostics) {
      // "no model 'X'" where X's declaration is the syntax error: said once, there.
      if ((d.code === 'train.unknown_model' || d.code === 'train.adversarial_model') && a.isBrokenDeclName(file.text?.slice(d.range.start.offset, d.range.end.offset) ?? '')) continue;
      // In a section with a syntax error, only the checks of one setting by itself: the others weigh what it set.
      if (!ENTRY_CHECKS.has(d.code) && a.inBrokenTrain(d.range.start.offset)) continue;
      a.diag(d.code, d.severity, d.message, d.range, undefined, d);
    }
  } catch (err) {
    a.failed = true;
    a.diag('internal.error', 'error', `internal error while analysing: ${(err as Error)?.message ?? err}`, file.range);
  }
  diagnostics.push(...a.diagnostics);
  const sites = a.sortedSites();
  const blocks: BlockInfoSummary[] = [];
  for (const item of file.items) {
    if (item.kind === 'block') {
      blocks.push({
        name: item.name.name,
        range: item.range,
        nameRange: item.name.range,
        params: item.params.map((p) => ({ name: p.name.name, default: p.default ? exprText(p.default) : undefined })),
      });
    }
  }
  return { uri: options.uri, file, diagnostics, models, blocks, sites, symbols, trains };
}

export { exprText, sourceOfCall };

/**
 * `nn.Conv2d`: the parser's fix removes the prefix; with the registry at
 * hand, it writes the layer's name here instead (`conv2d`, `dense` for
 * `nn.Linear`), and the message says it.
 */
function modulePrefixFix(e: SyntaxError, name: string, d: Diagnostic): SyntaxError {
  // A train section's `torch.optim.Adam`, `nn.CrossEntropyLoss()`: the optimiser's or the loss's name here.
  const optimizer = ['adam', 'sgd', 'rmsprop'].find((o) => o === name.toLowerCase());
  const meant = getLayer(name) ? name : (lossAlias(name) ?? optimizer ?? suggestLayer(name, [...LAYERS.keys()])[0]);
  if (meant === undefined || !e.replace) return e;
  d.message = `${e.message}: ${meant}`;
  return { ...e, replace: { ...e.replace, title: `Change to '${meant}'`, text: meant } };
}

/** ` (passed in as 'norm')` when a block body applies the object by a parameter's name; else empty. */
function passedAs(object: LayerObject, call: CallExpr | undefined): string {
  return call !== undefined && call.callee.name !== object.name ? ` (passed in as '${call.callee.name}')` : '';
}
