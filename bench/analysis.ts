/**
 * Parse + analyse time of the examples and of generated files of 1 000, 5 000
 * and 20 000 lines: the editor re-analyses on every keystroke, so a 5 000-line
 * file must fit in a frame, and time must grow linearly with size.
 */
import { analyze } from '../extension/core/analysis/analyze';
import { AnalysisSession } from '../extension/core/analysis/session';
import { parse } from '../extension/core/syntax/parser';
import { importReader } from '../extension/cli/files';
import { generateFile } from './generate';
import type { BenchSection, SectionReport } from './registry';
import { gcMedian, measure, ms, watchGc, type Stats } from './stats';

/** One frame at 60 Hz. */
const FRAME_MS = 1000 / 60;
const SIZES = [1000, 5000, 20000];
/** Growth up to this factor above linear still counts as linear (noise, cache effects). */
const LINEAR_SLACK = 1.5;

interface Subject {
  name: string;
  uri?: string;
  text: string;
}

export const analysisSection: BenchSection = {
  name: 'analysis',
  title: 'Parse + analyse (what the editor does on every change)',
  async run(ctx, report) {
    const readImport = importReader(ctx.root);
    const subjects: Subject[] = [
      ...ctx.examples.map((e) => ({ name: e.name, uri: e.path, text: e.text })),
      ...SIZES.map((n) => ({ name: `generated ${n.toLocaleString('en-US')} lines`, text: generateFile(n) })),
    ];
    const rows: string[][] = [];
    const stats = new Map<string, Stats>();
    /** Median garbage-collection pauses per analysis, by subject. */
    const gcMs = new Map<string, number>();
    for (const s of subjects) {
      ctx.progress(`analysis: ${s.name}`);
      const lines = s.text.split('\n').length - (s.text.endsWith('\n') ? 1 : 0);
      const big = lines > 2000;
      const run = () => analyze(s.text, { uri: s.uri, readImport });
      const a = run();
      const errors = a.diagnostics.filter((d) => d.severity === 'error').length;
      const opts = ctx.quick
        ? { warmup: 1, minRuns: 3, maxRuns: 10, targetMs: 100 }
        : { warmup: big ? 2 : 5, minRuns: big ? 7 : 20, maxRuns: 200, targetMs: big ? 2000 : 500 };
      const p = measure(() => parse(s.text), opts);
      const gcWatch = watchGc();
      const st = measure(run, opts);
      const gc = gcMedian(st, await gcWatch.stop());
      gcMs.set(s.name, gc);
      stats.set(s.name, st);
      ctx.results.set(`analysis:${s.name}`, st);
      rows.push([
        s.name,
        String(lines),
        String(a.models.length),
        errors ? `${errors} errors` : '',
        ms(p.median),
        ms(st.median),
        ms(st.p95),
        ms(st.cpuMedian),
        ms(gc),
        ((st.median * 1000) / lines).toFixed(1),
        String(st.runs),
      ]);
    }
    report.table(
      [
        { title: 'file', align: 'left' },
        { title: 'lines', align: 'right' },
        { title: 'models', align: 'right' },
        { title: '', align: 'left' },
        { title: 'parse ms', align: 'right' },
        { title: 'analyse ms', align: 'right' },
        { title: 'p95 ms', align: 'right' },
        { title: 'cpu ms', align: 'right' },
        { title: 'gc ms', align: 'right' },
        { title: 'µs/line', align: 'right' },
        { title: 'runs', align: 'right' },
      ],
      rows,
    );
    report.note('analyse = parse + analysis (analyze()), median after warm-up; p95 by nearest rank; cpu = median CPU time of the process; gc = median time per analysis in garbage-collection pauses of the main thread (part of analyse ms).');

    const small = stats.get(`generated ${SIZES[0].toLocaleString('en-US')} lines`)!;
    const large = stats.get(`generated ${SIZES[SIZES.length - 1].toLocaleString('en-US')} lines`)!;
    const five = stats.get('generated 5,000 lines')!;
    const keystroke = measureKeystrokes(ctx.quick, report);
    const size = SIZES[SIZES.length - 1] / SIZES[0];
    const wall = large.median / small.median;
    const cpu = large.cpuMedian / small.cpuMedian;
    report.verdict(
      cpu <= size * LINEAR_SLACK,
      `growth: ${SIZES[SIZES.length - 1]} / ${SIZES[0]} lines = ×${size} size, ×${wall.toFixed(1)} wall time, ×${cpu.toFixed(1)} CPU time (linear: ×${size}; judged on CPU time, allowed up to ×${size * LINEAR_SLACK})`,
    );
    const fits = five.median < FRAME_MS;
    let text = `5 000 lines: median ${ms(five.median)} ms, p95 ${ms(five.p95)} ms vs one frame (${ms(FRAME_MS)} ms)`;
    if (!fits && five.cpuMedian < FRAME_MS) text += `; CPU time ${ms(five.cpuMedian)} ms would fit: the machine is busy`;
    else if (!fits) text += ` — ${(five.median / FRAME_MS).toFixed(1)}× over; garbage collection took ${ms(gcMs.get('generated 5,000 lines')!)} ms of it`;
    report.verdict(fits, text);
    const k5 = keystroke.get(5000)!;
    let ktext = `5 000 lines, one keystroke (AnalysisSession): median ${ms(k5.median)} ms, CPU ${ms(k5.cpuMedian)} ms vs one frame (${ms(FRAME_MS)} ms)`;
    if (k5.median >= FRAME_MS && k5.cpuMedian < FRAME_MS) ktext += '; the CPU time would fit: the machine is busy';
    report.verdict(k5.median < FRAME_MS, ktext);
  },
};

/**
 * What a keystroke costs in the editor: an AnalysisSession re-analyses the
 * file after a one-character edit in a model body in the middle of the file
 * (alternating two versions, so that every run sees a change).
 */
function measureKeystrokes(quick: boolean, report: SectionReport): Map<number, Stats> {
  const out = new Map<number, Stats>();
  const rows: string[][] = [];
  for (const n of SIZES) {
    const lines = generateFile(n).split('\n');
    let at = Math.floor(lines.length / 2);
    while (at < lines.length - 1 && !(lines[at].startsWith('  ') && lines[at].includes('->'))) at++;
    const versions = ['', ' '].map((extra) => [...lines.slice(0, at), lines[at] + extra, ...lines.slice(at + 1)].join('\n'));
    const session = new AnalysisSession();
    let i = 0;
    const edit = () => session.update(versions[i++ % 2]);
    const cold = () => analyze(versions[i++ % 2]);
    const opts = quick ? { warmup: 2, minRuns: 3, maxRuns: 10, targetMs: 100 } : { warmup: 4, minRuns: n > 2000 ? 9 : 20, maxRuns: 200, targetMs: n > 2000 ? 2000 : 500 };
    const c = measure(cold, opts);
    const k = measure(edit, opts);
    out.set(n, k);
    rows.push([
      n.toLocaleString('en-US'),
      ms(c.median),
      ms(c.cpuMedian),
      ms(k.median),
      ms(k.cpuMedian),
      `${session.stats.reusedModels} / ${session.stats.reusedModels + session.stats.analysedModels}`,
      (c.cpuMedian / k.cpuMedian).toFixed(1),
    ]);
  }
  report.table(
    [
      { title: 'lines', align: 'right' },
      { title: 'cold ms', align: 'right' },
      { title: 'cold cpu ms', align: 'right' },
      { title: 'keystroke ms', align: 'right' },
      { title: 'keystroke cpu ms', align: 'right' },
      { title: 'models reused', align: 'right' },
      { title: 'cpu speed-up', align: 'right' },
    ],
    rows,
  );
  report.note('cold = analyze() of the whole file; keystroke = AnalysisSession.update() after a one-character edit in a model in the middle of the file (medians after warm-up).');
  return out;
}
