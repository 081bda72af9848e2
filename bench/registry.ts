/**
 * The benchmark's sections. A section measures one thing and reports tables,
 * notes and verdicts; sections run in registry order in one process, so later
 * sections can compare against figures earlier ones stored in `ctx.results`
 * (the tfjs build section reports its time as a ratio to the analysis time).
 *
 * To add a section (inspector, training, ...): write `bench/NAME.ts` exporting
 * a `BenchSection`, and add it to the list in bench/bench.ts.
 */
import { renderTable, type Column } from '../extension/cli/table';
import type { Stats } from './stats';

/** An example model file the sections can measure. */
export interface ExampleFile {
  /** `examples/lenet5.nnmodel` */
  name: string;
  /** Absolute path. */
  path: string;
  text: string;
}

export interface BenchContext {
  /** Repository root. */
  root: string;
  /** examples/*.nnmodel, sorted by name. */
  examples: ExampleFile[];
  /**
   * Figures stored by earlier sections for later ones, keyed by
   * `section:subject`, e.g. `analysis:examples/lenet5.nnmodel`.
   */
  results: Map<string, Stats>;
  /** `--quick`: fewer runs and smaller workloads, for a smoke test of the benchmark. */
  quick: boolean;
  /** Progress for the person waiting (stderr); not part of the report. */
  progress(message: string): void;
}

export interface Verdict {
  ok: boolean;
  text: string;
}

/** What a section prints; built through its methods so sections share one layout. */
export class SectionReport {
  readonly blocks: string[][] = [];
  readonly verdicts: Verdict[] = [];

  table(columns: Column[], rows: string[][]): void {
    this.blocks.push(renderTable(columns, rows).lines);
  }

  note(text: string): void {
    this.blocks.push([text]);
  }

  verdict(ok: boolean, text: string): void {
    this.verdicts.push({ ok, text });
    this.blocks.push([`${ok ? 'PASS' : 'FAIL'}  ${text}`]);
  }
}

export interface BenchSection {
  /** Short id for `--only`: `analysis`. */
  name: string;
  /** Heading printed above the section. */
  title: string;
  run(ctx: BenchContext, report: SectionReport): Promise<void> | void;
}
