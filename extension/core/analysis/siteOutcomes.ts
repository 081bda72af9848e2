/**
 * How the results of a block-body site over several calls are kept
 * (`SiteInfo.instances`): shared by the analysis, which records them for the
 * sites it visits, and by the hover of a block's `input` (blockInputs.ts),
 * which reads them from the graphs afterwards, so that both list the same
 * number of results and word each call the same way.
 */
import type { Range } from '../syntax/ast';

/** Distinct results kept per site (`SiteInstances.outcomes`); the rest are only counted. */
export const MAX_KEPT_OUTCOMES = 16;

/** The call at `range` of `text` as written, on one line and shortened: `SiteOutcome.call`. */
export function callText(text: string, range: Range): string {
  const s = text.slice(range.start.offset, range.end.offset).replace(/\s+/g, ' ');
  return s.length > 40 ? s.slice(0, 39) + '…' : s;
}
