/**
 * Diagnostics about a place in an imported file end with that place,
 * `… (in URI at 1:7)`, where the core writes the file as the analysis was
 * given it: a path for the CLI (`(in b4.nnmodel at 1:7)`), a uri in the
 * editor. This puts the editor's label for the file (its workspace-relative
 * path) in place of the uri.
 */
import type { Diagnostic } from '../../core/analysis/types';

/**
 * `d`'s message with the uri of the place it ends with replaced by
 * `label(uri)`; the message as it is unless it ends with
 * `(in URI at LINE:COL)` for one of its related locations (the place in the
 * imported file).
 */
export function relabelImportedPlace(d: Pick<Diagnostic, 'message' | 'related'>, label: (uri: string) => string): string {
  for (const r of d.related ?? []) {
    if (r.uri === undefined) continue;
    const suffix = `(in ${r.uri} at ${r.range.start.line + 1}:${r.range.start.character + 1})`;
    if (!d.message.endsWith(suffix)) continue;
    return `${d.message.slice(0, -suffix.length)}(in ${label(r.uri)} at ${r.range.start.line + 1}:${r.range.start.character + 1})`;
  }
  return d.message;
}
