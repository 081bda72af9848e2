import type { Analysis } from './types';

export interface AnalyzeOptions {
  /** URI or path of the file, used in diagnostics of imports. */
  uri?: string;
  /**
   * Reads an imported file: `path` as written in `import "..."`, relative to
   * `fromUri`. Returns the resolved uri and text, or undefined when missing.
   * Without it, imports are reported as unresolved.
   */
  readImport?: (fromUri: string | undefined, path: string) => { uri: string; text: string } | undefined;
}

/** Parse and analyse a whole file. Never throws: every problem is a diagnostic. */
export function analyze(text: string, options: AnalyzeOptions = {}): Analysis {
  void text;
  void options;
  throw new Error('analyze: in progress');
}
