/**
 * `nnmodel export FILE [--model NAME] [--out FILE.py] [--weights CHECKPOINT]`:
 * PyTorch code for the models of a file (extension/core/export/pytorch.ts),
 * on stdout or written atomically to --out. The differences from the
 * .nnmodel counts and semantics PyTorch forces go to stderr as notes.
 * With --weights, the trained weights of a checkpoint go beside the code in
 * a safetensors file (extension/core/export/weights.ts) that the code loads.
 */
import { basename, dirname, join, resolve } from 'node:path';
import type { Analysis, Diagnostic } from '../core';
import { exportPyTorch, exportableModels, splitTrainSectionErrors, type SkippedTrainError } from '../core/export/pytorch';
import { convertCheckpoint, encodeSafetensors, safetensorsMetadata, trainedClasses, weightsPathFor } from '../core/export/weights';
import { BEST_JSON, CheckpointError, DamagedCheckpointError, MODEL_JSON, damagedRemedy, withIntactOther, asFeatureStats, checkpointJson, readCheckpoint, type CheckpointKind, type ModelJson } from '../core/runtime/checkpoint';
import { nodeCheckpointFs } from '../core/runtime/nodeFs';
import { asTokenizerSpec } from '../core/runtime/tokenizers';
import { UsageError, optionValue } from './args';
import { EXIT, type Command } from './command';
import { analyzeFile, formatDiagnostic, locate, plural, sortDiagnostics } from './diagnostics';
import { displayPath, ioReason, writeFileAtomic } from './files';

/** The checkpoint folder of `--weights` (a folder, its model.json or its best.json) and which of its checkpoints the file names. */
function checkpointFolder(arg: string, cwd: string): { dir: string; named?: CheckpointKind } {
  const abs = resolve(cwd, arg);
  if (basename(abs) === MODEL_JSON) return { dir: dirname(abs), named: 'last' };
  if (basename(abs) === BEST_JSON) return { dir: dirname(abs), named: 'best' };
  return { dir: abs };
}

/** The model --weights exports: --model, else the checkpoint's, else the file's only one. */
function weightsModel(analysis: Analysis, wanted: string | undefined, json: ModelJson, path: string): string {
  const names = exportableModels(analysis).map((m) => m.name);
  if (wanted !== undefined) return wanted;
  if (names.includes(json.nnmodel.model)) return json.nnmodel.model;
  if (names.length === 1) return names[0];
  throw new UsageError(`the checkpoint is of model '${json.nnmodel.model}', which is not in ${path}; name the model with --model (models: ${names.join(', ')})`);
}

export const exportCommand: Command = {
  name: 'export',
  synopsis: 'FILE [--model NAME] [--out FILE.py] [--weights CHECKPOINT [--checkpoint best|last]]',
  summary: 'generate PyTorch code (one nn.Module per model) to train elsewhere',
  description: [
    'Generates one self-contained Python file for the models of FILE (or only --model NAME):',
    'an nn.Module class per model, helper classes for blocks, and a __main__ that builds each',
    'model, prints its parameter count and runs a forward pass on a random input. Image inputs',
    'and outputs are [batch, channels, height, width]; sequences are [batch, seq, features].',
    '',
    'The code goes to stdout, or with --out to that file, replaced atomically (a temporary',
    'file beside it, then a rename). Where PyTorch differs from the .nnmodel (LSTM/GRU biases,',
    'flatten order, ...) a note (file:line:col) with the parameter difference goes to stderr.',
    '',
    'With --weights CHECKPOINT (a checkpoint folder written by training, e.g.',
    '.nnmodel/<file>/<model>, its model.json, or best.json for the epoch with the lowest',
    'val_loss, which --checkpoint best also picks), the trained weights go beside the code, in',
    'FILE.safetensors next to --out FILE.py (needed then); the code loads them with',
    'load_nnmodel_weights(model, path) (standard library + torch only), and its __main__ does when',
    'the file is there. One model is exported: --model, or the checkpoint\'s. A checkpoint that',
    'does not fit the model (a layer missing on either side, other shapes) is refused, with the',
    'lines of the layers, and nothing is written. What the training data was goes along: a',
    'classifier\'s CLASSES, a CSV\'s feature standardisation, a language model\'s tokeniser',
    '(encode(text) and decode(ids) on its class).',
    '',
    'A file with errors is not exported: its errors are printed (file:line:col) and the exit',
    'code is 1; so is a layer that cannot be written in PyTorch. Errors only inside train',
    'sections do not stop it (the code has no training loop): they are printed as warnings,',
    'with one per section saying what of it the code lacks, and the models are exported.',
  ].join('\n'),
  options: [
    { name: 'model', short: 'm', value: 'NAME', help: 'only this model (default: every model of FILE)' },
    { name: 'out', short: 'o', value: 'FILE.py', help: 'write the code to this file instead of stdout' },
    { name: 'weights', short: 'w', value: 'CHECKPOINT', help: 'also write the trained weights of this checkpoint folder (or model.json) beside --out' },
    { name: 'checkpoint', value: 'best|last', help: 'with --weights FOLDER: its last checkpoint (default) or its best (lowest val_loss)' },
  ],
  async run(args, io) {
    if (args.positional.length !== 1) throw new UsageError('export needs exactly one FILE');
    const path = displayPath(args.positional[0]);
    const out = optionValue(args, 'out');
    let wanted = optionValue(args, 'model');
    const weightsArg = optionValue(args, 'weights');
    if (weightsArg !== undefined && out === undefined) {
      throw new UsageError('--weights needs --out FILE.py: the weights are written beside it, as FILE.safetensors');
    }
    if (out !== undefined && weightsArg !== undefined && !/\.py$/i.test(out)) throw new UsageError(`--out must name a .py file with --weights, got '${out}'`);
    const which = optionValue(args, 'checkpoint');
    if (which !== undefined && which !== 'best' && which !== 'last') throw new UsageError(`option '--checkpoint' is best or last, got '${which}'`);
    if (which !== undefined && weightsArg === undefined) throw new UsageError('--checkpoint picks a checkpoint of the --weights folder; give --weights too');
    const r = analyzeFile(args.positional[0], io.cwd);
    if (!r.ok) {
      io.stderr(`${path}: cannot read: ${r.reason}\n`);
      return EXIT.usage;
    }
    if (wanted !== undefined && !exportableModels(r.analysis).some((m) => m.name === wanted)) {
      const names = exportableModels(r.analysis).map((m) => m.name);
      throw new UsageError(`no model '${wanted}' in ${path}${names.length ? ` (models: ${names.join(', ')})` : ''}`);
    }
    // Errors inside train sections only do not stop the export: the PyTorch file holds the models, not their training.
    const split = splitTrainSectionErrors(r.analysis);
    if (split.rest.length > 0) {
      const diags = sortDiagnostics(locate(path, r.analysis), [path]).filter((d) => d.diagnostic.severity === 'error');
      for (const d of diags) io.stderr(formatDiagnostic(d) + '\n');
      const syntax = r.analysis.file.errors.length > 0 && diags.every((d) => inTrainSection(r.analysis, d.diagnostic));
      const why = syntax ? ' (a syntax error is never skipped, even in a train section: the text after it may not be read as written)' : '';
      io.stderr(`nnmodel: not exporting ${path}: it has ${plural(diags.length, 'error')}${why}\n`);
      return EXIT.problems;
    }
    let checkpoint: { modelJson: ModelJson; weights: Uint8Array; dir: string; which: CheckpointKind; warning?: string } | undefined;
    if (weightsArg !== undefined) {
      const { dir, named } = checkpointFolder(weightsArg, io.cwd);
      if (named !== undefined && which !== undefined && named !== which) {
        throw new UsageError(`--weights names ${checkpointJson(named)}, the ${named} checkpoint, but --checkpoint asks for the ${which}; give the folder, or drop --checkpoint`);
      }
      try {
        const kind = named ?? which ?? 'last';
        checkpoint = { ...(await readCheckpoint(nodeCheckpointFs(), dir, { which: kind })), dir, which: kind };
      } catch (err) {
        if (!(err instanceof CheckpointError)) throw err;
        // Damaged: a checkpoint the command cannot use, 1 as for evaluate and train; not there: the folder named cannot be read, 2.
        if (err instanceof DamagedCheckpointError) {
          const why = await withIntactOther(nodeCheckpointFs(), dir, err);
          io.stderr(`nnmodel: --weights: ${err.message} ${damagedRemedy(why, 'cli')}\n`);
          return EXIT.problems;
        }
        io.stderr(`nnmodel: --weights: ${err.message}\n`);
        return EXIT.usage;
      }
      // A best checkpoint that is not the lowest val_loss of its folder's last run (a failed best write, or another run's).
      if (checkpoint.warning) io.stderr(`nnmodel: warning: ${checkpoint.warning}\n`);
      wanted = weightsModel(r.analysis, wanted, checkpoint.modelJson, path);
      if (checkpoint.modelJson.nnmodel.model !== wanted) {
        io.stderr(`nnmodel: note: the checkpoint was saved for model '${checkpoint.modelJson.nnmodel.model}'; exporting '${wanted}' with it\n`);
      }
    }
    const weightsFile = out !== undefined && checkpoint ? weightsPathFor(out) : undefined;
    // A model trained on a CSV standardises its raw rows with the statistics saved in its checkpoint.
    const featureStats = checkpoint && asFeatureStats(checkpoint.modelJson.nnmodel.data?.featureStats);
    const featureStatsSource = checkpoint && `the checkpoint of epoch ${checkpoint.modelJson.nnmodel.epoch} (${weightsArg})`;
    // A classifier's outputs stand for the classes of its data: CLASSES in the code.
    const classes = checkpoint && trainedClasses(checkpoint.modelJson);
    // A language model reads and writes text with the tokeniser of its training text: encode and decode in the code.
    const tokenizer = checkpoint && asTokenizerSpec(checkpoint.modelJson.nnmodel.data?.tokenizer);
    const result = exportPyTorch(r.analysis, {
      model: wanted,
      sourceName: basename(path),
      weightsFile: weightsFile && basename(weightsFile),
      featureStats,
      featureStatsSource,
      ...(classes ? { classes, classesSource: checkpoint?.modelJson.nnmodel.data?.source } : {}),
      ...(tokenizer ? { tokenizer, tokenizerSource: checkpoint?.modelJson.nnmodel.data?.source } : {}),
      trainSectionErrors: 'skip',
    });
    if (!result.ok) {
      for (const e of result.errors) {
        io.stderr(formatDiagnostic({ file: e.uri ?? path, diagnostic: { code: 'export', severity: 'error', message: e.message, range: e.range } }) + '\n');
      }
      return EXIT.problems;
    }
    for (const line of skippedTrainWarnings(result.skipped ?? [], r.analysis, path, result.models)) io.stderr(line + '\n');
    for (const n of result.notes) {
      const delta = n.trainableDelta === 0 ? '' : ` (${n.trainableDelta > 0 ? '+' : ''}${plural(n.trainableDelta, 'parameter')} in PyTorch)`;
      io.stderr(`${n.uri ?? path}:${n.line}:${n.column ?? 1}: note ${n.model}: ${n.message}${delta}\n`);
    }
    if (out === undefined) {
      io.stdout(result.code);
      return EXIT.ok;
    }
    let weightsText = '';
    if (checkpoint && weightsFile !== undefined && wanted !== undefined) {
      const ckName = join(checkpoint.dir, checkpointJson(checkpoint.which));
      let converted: ReturnType<typeof convertCheckpoint>;
      try {
        converted = convertCheckpoint(result.modules[wanted], checkpoint.modelJson, checkpoint.weights, weightsArg);
      } catch (err) {
        if (!(err instanceof CheckpointError)) throw err;
        io.stderr(`nnmodel: --weights: ${err.message}\n`);
        return EXIT.usage;
      }
      if (!converted.ok) {
        // Line 0: the model as a whole (no layer to point at): where the model is declared.
        const model = r.analysis.models.find((m) => m.name === wanted);
        const whole = model ? `${model.uri ?? path}:${model.nameRange.start.line + 1}:${model.nameRange.start.character + 1}` : path;
        for (const e of converted.errors) io.stderr(`${e.line > 0 ? `${e.uri ?? path}:${e.line}:${e.column}` : whole}: error weights ${e.message}\n`);
        io.stderr(`nnmodel: not exporting ${wanted} with the weights of ${ckName}: the checkpoint does not fit the model\n`);
        return EXIT.problems;
      }
      for (const f of converted.filled) io.stderr(`${f.uri ?? path}:${f.line}:${f.column ?? 1}: note ${wanted}: ${f.what}, not a trained value: ${f.why}\n`);
      const meta = checkpoint.modelJson.nnmodel;
      const bytes = encodeSafetensors(
        converted.tensors,
        safetensorsMetadata({ model: wanted, source: basename(path), epoch: meta.epoch, generatedBy: 'nnmodel export --weights', filled: converted.filled }),
      );
      try {
        // The weights first: a .py that names them never points at a missing or older file.
        writeFileAtomic(weightsFile, bytes, io.cwd);
      } catch (err) {
        io.stderr(`nnmodel: cannot write ${weightsFile}: ${ioReason(err)}\n`);
        return EXIT.usage;
      }
      const stats = featureStats ? featureStats.mean.length + featureStats.std.length : 0;
      const count = converted.tensors.reduce((n, t) => n + t.values.length, 0) - stats;
      const standardised = featureStats ? `, and the mean/std that standardise its ${plural(featureStats.names.length, 'CSV feature column')}` : '';
      weightsText = ` and ${weightsFile} (${count.toLocaleString('en-US')} values from ${plural(converted.layers, 'layer')} of the ${checkpoint.which === 'best' ? `best checkpoint${checkpoint.warning ? '' : ' (lowest val_loss)'}, epoch` : 'checkpoint of epoch'} ${meta.epoch}${standardised})`;
    }
    try {
      writeFileAtomic(out, result.code, io.cwd);
    } catch (err) {
      io.stderr(`nnmodel: cannot write ${out}: ${ioReason(err)}\n`);
      return EXIT.usage;
    }
    io.stderr(`wrote ${out} (${plural(result.models.length, 'model')}: ${result.models.join(', ')})${weightsText}\n`);
    return EXIT.ok;
  },
};

/** Whether `d` lies inside one of the file's train sections. */
function inTrainSection(analysis: Analysis, d: Diagnostic): boolean {
  if (d.uri !== undefined && d.uri !== analysis.uri) return false;
  return analysis.file.items.some((i) => i.kind === 'train' && i.range.start.offset <= d.range.start.offset && d.range.start.offset <= i.range.end.offset);
}

/**
 * The train-section errors the export went past, as warnings where `check`
 * prints them (same code and message), then one warning per section, at its
 * `train` keyword, saying why the export did not stop and what of the section
 * the exported file lacks: it has no training code at all, and for a section
 * that reads a CSV or an image folder, its docstring note on what the input is
 * (written from a section without errors only).
 */
export function skippedTrainWarnings(skipped: readonly SkippedTrainError[], analysis: Analysis, path: string, exported: readonly string[]): string[] {
  const lines: string[] = [];
  const where = (r: { start: { line: number; character: number } }) => `${path}:${r.start.line + 1}:${r.start.character + 1}`;
  for (const section of analysis.file.items) {
    if (section.kind !== 'train') continue;
    const inside = (s: SkippedTrainError, r: { range: { start: { offset: number }; end: { offset: number } } }) => s.diagnostic.range.start.offset >= r.range.start.offset && s.diagnostic.range.start.offset <= r.range.end.offset;
    // Its errors, and those shown in its model (`train.output_positions`, at the layer to change).
    const own = skipped
      .filter((s) => inside(s, section) || (s.model === section.name.name && !analysis.file.items.some((i) => i.kind === 'train' && inside(s, i))))
      .sort((a, b) => a.diagnostic.range.start.offset - b.diagnostic.range.start.offset);
    if (own.length === 0) continue;
    for (const { diagnostic } of own) lines.push(formatDiagnostic({ file: path, diagnostic: { ...diagnostic, severity: 'warning' } }));
    const model = section.name.name;
    const errors = `${plural(own.length, 'error')} (above)`;
    if (!exported.includes(model)) {
      lines.push(`${where(section.range)}: warning export: the train section of '${model}' has ${errors}; it trains no model exported here, so the export does not use it`);
      continue;
    }
    const data = analysis.trains.find((t) => t.model === model)?.config.data;
    const left =
      data?.kind === 'csv' || data?.kind === 'images'
        ? `left out: the docstring note on what the section's data, ${data.kind}("${data.path}"), gives ${model}`
        : 'nothing of the section is left out';
    lines.push(
      `${where(section.range)}: warning export ${model}: its train section has ${errors}, which do${own.length === 1 ? 'es' : ''} not stop the export: ` +
        `the PyTorch file has no training code (optimizer, loss, batch size, data loading) for ${own.length === 1 ? 'it' : 'them'} to break; ${left}. ` +
        `nnmodel train needs ${own.length === 1 ? 'it' : 'them'} fixed`,
    );
  }
  return lines;
}
