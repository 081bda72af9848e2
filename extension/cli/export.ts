/**
 * `nnmodel export FILE [--model NAME] [--out FILE.py]`: PyTorch code for the
 * models of a file (extension/core/export/pytorch.ts), on stdout or written
 * atomically to --out. The differences from the .nnmodel counts and
 * semantics PyTorch forces go to stderr as notes.
 */
import { basename } from 'node:path';
import { exportPyTorch, exportableModels } from '../core/export/pytorch';
import { UsageError, optionValue } from './args';
import { EXIT, type Command } from './command';
import { analyzeFile, formatDiagnostic, locate, plural, sortDiagnostics } from './diagnostics';
import { ioReason, writeFileAtomic } from './files';

export const exportCommand: Command = {
  name: 'export',
  synopsis: 'FILE [--model NAME] [--out FILE.py]',
  summary: 'generate PyTorch code (one nn.Module per model) to train elsewhere',
  description: [
    'Generates one self-contained Python file for the models of FILE (or only --model NAME):',
    'an nn.Module class per model, helper classes for blocks, and a __main__ that builds each',
    'model, prints its parameter count and runs a forward pass on a random input. Image inputs',
    'and outputs are [batch, channels, height, width]; sequences are [batch, seq, features].',
    '',
    'The code goes to stdout, or with --out to that file, replaced atomically (a temporary',
    'file beside it, then a rename). Where PyTorch differs from the .nnmodel (LSTM/GRU biases,',
    'flatten order, ...) a note with the line and the parameter difference goes to stderr.',
    '',
    'A file with errors is not exported: its errors are printed (file:line:col) and the exit',
    'code is 1; so is a layer that cannot be written in PyTorch.',
  ].join('\n'),
  options: [
    { name: 'model', short: 'm', value: 'NAME', help: 'only this model (default: every model of FILE)' },
    { name: 'out', short: 'o', value: 'FILE.py', help: 'write the code to this file instead of stdout' },
  ],
  run(args, io) {
    if (args.positional.length !== 1) throw new UsageError('export needs exactly one FILE');
    const path = args.positional[0];
    const out = optionValue(args, 'out');
    const wanted = optionValue(args, 'model');
    const r = analyzeFile(path, io.cwd);
    if (!r.ok) {
      io.stderr(`nnmodel: cannot read ${path}: ${r.reason}\n`);
      return EXIT.usage;
    }
    if (wanted !== undefined && !exportableModels(r.analysis).some((m) => m.name === wanted)) {
      const names = exportableModels(r.analysis).map((m) => m.name);
      throw new UsageError(`no model '${wanted}' in ${path}${names.length ? ` (models: ${names.join(', ')})` : ''}`);
    }
    const diags = sortDiagnostics(locate(path, r.analysis), [path]).filter((d) => d.diagnostic.severity === 'error');
    if (diags.length > 0) {
      for (const d of diags) io.stderr(formatDiagnostic(d) + '\n');
      io.stderr(`nnmodel: not exporting ${path}: it has ${plural(diags.length, 'error')}\n`);
      return EXIT.problems;
    }
    const result = exportPyTorch(r.analysis, { model: wanted, sourceName: basename(path) });
    if (!result.ok) {
      for (const e of result.errors) {
        io.stderr(formatDiagnostic({ file: e.uri ?? path, diagnostic: { code: 'export', severity: 'error', message: e.message, range: e.range } }) + '\n');
      }
      return EXIT.problems;
    }
    for (const n of result.notes) {
      const delta = n.trainableDelta === 0 ? '' : ` (${n.trainableDelta > 0 ? '+' : ''}${n.trainableDelta} parameters in PyTorch)`;
      io.stderr(`${n.uri ?? path}:${n.line}: note ${n.model}: ${n.message}${delta}\n`);
    }
    if (out === undefined) {
      io.stdout(result.code);
      return EXIT.ok;
    }
    try {
      writeFileAtomic(out, result.code, io.cwd);
    } catch (err) {
      io.stderr(`nnmodel: cannot write ${out}: ${ioReason(err)}\n`);
      return EXIT.usage;
    }
    io.stderr(`wrote ${out} (${plural(result.models.length, 'model')}: ${result.models.join(', ')})\n`);
    return EXIT.ok;
  },
};
