/** Facts about the machine a benchmark ran on, printed before the figures. */
import { cpus, freemem, loadavg, totalmem } from 'node:os';

export function machineFacts(): [string, string][] {
  const list = cpus();
  const model = list[0]?.model.trim() || 'unknown';
  const speeds = [...new Set(list.map((c) => c.speed).filter((s) => s > 0))];
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  return [
    ['cpu', `${model}${speeds.length ? ` @ ${speeds.map((s) => `${s} MHz`).join('/')}` : ''}`],
    ['cores', String(list.length)],
    ['memory', `${gib(totalmem())} (${gib(freemem())} free)`],
    // Other processes distort timings; the load average says how busy the machine was.
    ['load average', loadavg().map((l) => l.toFixed(2)).join(' ')],
    ['node', `${process.version} (${process.platform}-${process.arch}, V8 ${process.versions.v8})`],
  ];
}
