/**
 * Pure helpers of the inspector host: which model to show, and the `model`
 * message for it. No 'vscode' import, so they are unit tested in Node.
 */
import { summaryRows } from '../../core/analysis/summary';
import type { Analysis, ModelInfo } from '../../core/analysis/types';
import { serializeDiagnostic, serializeModel, serializeRows, type BuiltinDataSource, type ModelMessage, type StatusMessage, type TrainRunConfig } from '../../core/protocol';
import { plural } from '../../core/plural';
import { isBuiltinSource } from '../../core/runtime/data/builtin';
import { dataPayload } from '../../core/runtime/trainTransfer';
import { contains, isLocal } from '../pure/lookup';

/**
 * The inspector log's line for a webview `status` message, and its level:
 * `info` for the first and whenever the backend or the reason for it
 * changes, `debug` (hidden at the log's default level) for a repeat whose
 * only news is the time of the forward pass, which comes after every pass
 * (several a second while the cursor moves or a text is typed) and buried
 * the log's other lines. `key` goes back in as `previousKey` next time.
 */
export function statusLogLine(msg: Pick<StatusMessage, 'backend' | 'reason' | 'forwardMs' | 'numTensors'>, previousKey: string | undefined): { level: 'info' | 'debug'; text: string; key: string } {
  const key = `${msg.backend}\n${msg.reason}`;
  const text = `backend ${msg.backend} (${msg.reason})${msg.forwardMs !== undefined ? `, forward ${msg.forwardMs.toFixed(1)} ms` : ''}${msg.numTensors !== undefined ? `, ${plural(msg.numTensors, 'tensor')}` : ''}`;
  return { level: key === previousKey ? 'debug' : 'info', text, key };
}

/** Seed of the initial weights: the CLI's default, so both build the same weights. */
export const INSPECTOR_SEED = 0;

/** Models declared in the analysed file itself (not imported ones). */
export function localModels(analysis: Analysis, uri: string): ModelInfo[] {
  return analysis.models.filter((m) => isLocal(m.uri, uri));
}

export interface ModelChoice {
  /** A model the user picked in the selector (or named in the command); wins while it exists. */
  pinned?: string;
  /** Cursor offset in the document, when its editor is known. */
  cursor?: number;
  /** The model shown before, kept when the cursor is outside every model. */
  previous?: string;
}

/**
 * The model to show: the pinned one, else the one holding the cursor, else
 * the one shown before, else the first.
 */
export function chooseModel(analysis: Analysis, uri: string, choice: ModelChoice): ModelInfo | undefined {
  const models = localModels(analysis, uri);
  const byName = (n: string | undefined) => (n === undefined ? undefined : models.find((m) => m.name === n));
  const atCursor = choice.cursor === undefined ? undefined : models.find((m) => contains(m.range, choice.cursor!));
  return byName(choice.pinned) ?? atCursor ?? byName(choice.previous) ?? models[0];
}

export function modelMessage(analysis: Analysis, model: ModelInfo, uri: string, version: number): ModelMessage {
  const inModel = analysis.diagnostics.filter(
    (d) => isLocal(d.uri, uri) && d.range.start.offset >= model.range.start.offset && d.range.end.offset <= model.range.end.offset,
  );
  return {
    type: 'model',
    uri,
    version,
    model: serializeModel(model),
    models: localModels(analysis, uri).map((m) => m.name),
    rows: serializeRows(summaryRows(model, true, { weights: true })),
    diagnostics: inModel.map(serializeDiagnostic),
    seed: INSPECTOR_SEED,
    ...trainOf(analysis, model),
    ...sampleOf(analysis, model),
  };
}

/** The model's train section without its data (the data stays in the host; the Samples tab needs the objective's settings). */
function trainOf(analysis: Analysis, model: ModelInfo): { train?: TrainRunConfig } {
  const section = analysis.trains.find((t) => t.model === model.name);
  if (!section) return {};
  const { data: _data, ...train } = section.config;
  return { train };
}

/** The train section's data when it is built-in, as its spec (the Training tab's Measure at initialisation generates a batch of it). */
function sampleOf(analysis: Analysis, model: ModelInfo): { sample?: BuiltinDataSource } {
  const data = analysis.trains.find((t) => t.model === model.name)?.config.data;
  const payload = data && isBuiltinSource(data) ? dataPayload(data, undefined) : undefined;
  return payload?.kind === 'builtin' ? { sample: payload.source } : {};
}

/** A line and a character in it (0-based), as VS Code counts them. */
export interface LinePosition {
  line: number;
  character: number;
}

/**
 * The ranges to reveal, in order, so that clicking a node shows its call with
 * the start of the line in view whenever the line up to the call's end fits
 * the editor's width (a narrow editor beside the inspector).
 *
 * Why two: VS Code scrolls a single-line range into view minimally from
 * wherever the editor is scrolled, so a call already in view stays beside a
 * hidden line start; it resets the horizontal scroll to 0 for a range over
 * two or more lines. So first two whole lines around the call (scroll 0 at
 * once), then the call itself: from 0, VS Code scrolls right only as far as
 * the call's end needs, which is not at all when it fits. A call written over
 * several lines is one reveal (VS Code gives it 0 itself).
 */
export function revealSteps(start: LinePosition, end: LinePosition, lineCount: number): { start: LinePosition; end: LinePosition }[] {
  const call = { start, end };
  if (start.line !== end.line || lineCount < 2) return [call];
  const first = start.line + 1 < lineCount ? start.line : start.line - 1;
  return [{ start: { line: first, character: 0 }, end: { line: first + 1, character: 0 } }, call];
}
