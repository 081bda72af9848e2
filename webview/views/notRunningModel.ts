/**
 * What the Feature maps, Kernels, Attention, Samples and Forecast tabs say
 * while the model does not run: why, and for a model with errors the first
 * error with its line, so the student sees what to fix without leaving the
 * tab (the Problems panel may be closed).
 */
import type { PlainDiagnostic } from '../../extension/core/protocol';
import type { Range } from '../../extension/core/syntax/ast';

export interface NotRunningText {
  /** The sentence shown. */
  text: string;
  /** The first error (earliest in the file), to link to, and how many more there are; undefined when there is none to show. */
  error?: { line: number; message: string; range: Range; more: number };
}

/**
 * `hasErrors`: the analysis found errors; `diagnostics`: the model's (from
 * its model message); `failure`: why the model could not be built although
 * it has no errors (the builder's message), when that happened.
 */
export function notRunningText(hasErrors: boolean, diagnostics: readonly PlainDiagnostic[], failure?: string): NotRunningText {
  if (!hasErrors) return { text: failure ? `The model could not be built: ${failure}` : 'The model is not built yet.' };
  const errors = diagnostics.filter((d) => d.severity === 'error').sort((a, b) => a.range.start.offset - b.range.start.offset);
  const first = errors[0];
  if (!first) return { text: 'Fix the errors in the model to run it.' };
  return {
    text: 'Fix the errors in the model to run it.',
    error: { line: first.range.start.line + 1, message: first.message, range: first.range, more: errors.length - 1 },
  };
}
