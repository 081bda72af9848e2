/**
 * Pure helpers of the inspector host: which model to show, and the `model`
 * message for it. No 'vscode' import, so they are unit tested in Node.
 */
import { summaryRows } from '../../core/analysis/summary';
import type { Analysis, ModelInfo } from '../../core/analysis/types';
import { serializeDiagnostic, serializeModel, serializeRows, type ModelMessage, type TrainRunConfig } from '../../core/protocol';
import { contains, isLocal } from '../pure/lookup';

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
    rows: serializeRows(summaryRows(model)),
    diagnostics: inModel.map(serializeDiagnostic),
    seed: INSPECTOR_SEED,
    ...trainOf(analysis, model),
  };
}

/** The model's train section without its data (the data stays in the host; the Samples tab needs the objective's settings). */
function trainOf(analysis: Analysis, model: ModelInfo): { train?: TrainRunConfig } {
  const section = analysis.trains.find((t) => t.model === model.name);
  if (!section) return {};
  const { data: _data, ...train } = section.config;
  return { train };
}
