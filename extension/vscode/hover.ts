/**
 * Hovers: over a layer call its documentation, shapes and counts; over a block
 * call its signature, shapes and totals; over a name its shape; over a model
 * name its totals and memory.
 */
import * as vscode from 'vscode';
import { appliesBare, getLayer } from '../core/layers';
import { describeField, fieldAt } from '../core/analysis/receptive';
import { kernelStackAt } from '../core/analysis/stacking';
import { dataSummary } from '../core/analysis/train';
import type { Analysis, SiteInfo } from '../core/analysis/types';
import { groupWeightsAtSite, nodeAtRange, weightsAtSite } from '../core/analysis/weights';
import { readUriText, type AnalysisCache } from './analysisCache';
import { toMarkdown, toRange } from './convert';
import { callableBlock } from './pure/blocks';
import { contains, inComment, siteAt, symbolAt } from './pure/lookup';
import { appliedWordLine, argumentHover, nameHover } from './pure/nameHover';
import { dimensionHover } from './pure/dimHover';
import { sumOperands } from './pure/sumOperands';
import { paramUse } from './pure/paramUse';
import { blockHoverMarkdown, layerDocsMarkdown, layerHoverMarkdown, modelHoverMarkdown, noShapesReason, valueHoverMarkdown } from './pure/text';
import { trainFunction, trainKey } from './pure/trainSchema';
import type { BlockDecl, TrainEntry } from '../core/syntax/ast';
import { sizesFor } from './sizes';

export function registerHover(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  return vscode.languages.registerHoverProvider(selector, {
    provideHover(doc, position) {
      const analysis = cache.get(doc);
      const offset = doc.offsetAt(position);
      // A word in a comment (`# dense layers`) is prose, not a layer.
      if (inComment(analysis.file.comments, offset)) return undefined;
      const docUri = doc.uri.toString();
      const batch = vscode.workspace.getConfiguration('nnmodel', doc).get<number>('memory.batchSize', 32);

      const hit = symbolAt(analysis.symbols, offset, docUri);
      if (hit && (hit.symbol.kind === 'model' || hit.symbol.kind === 'train')) {
        const model = analysis.models.find((m) => m.name === hit.symbol.name);
        if (model) return new vscode.Hover(toMarkdown(modelHoverMarkdown(model, batch, sizesFor(doc, analysis, model))), toRange(hit.range));
      }
      const named = hit && nameHover(analysis, hit, offset);
      if (named) return new vscode.Hover(toMarkdown(named.markdown), toRange(named.range));
      // An argument's name, or a word given as its value (`padding = same`): that argument, not the whole call.
      const argument = argumentHover(analysis, offset, docUri, readUriText);
      if (argument) return new vscode.Hover(toMarkdown(argument.markdown), toRange(argument.range));
      // A symbolic dimension (`seq`): how the model's counts grow with it, and the size the figures use.
      const dim = dimensionHover(analysis, offset, (m) => sizesFor(doc, analysis, m));
      if (dim) return new vscode.Hover(toMarkdown(dim.markdown), toRange(dim.range));

      const site = siteAt(analysis.sites, offset, ['layer', 'block', 'object']);
      if (site) {
        const range = toRange(site.range);
        if (site.kind === 'object') {
          // The definition `wte = embedding(...)` names the registry layer; an application names the object.
          const spec = getLayer(site.name);
          const md = spec ? layerHoverMarkdown(site, spec, siteField(analysis, site), weightsAtSite(analysis, site)) : valueHoverMarkdown(site);
          return new vscode.Hover(toMarkdown(md), range);
        }
        const field = siteField(analysis, site);
        // The sizes of the symbolic dimensions of its model (for a block body, the model of its first instantiation).
        const model = site.model ? analysis.models.find((m) => m.name === site.model) : undefined;
        const sizes = model && model.symbols.length ? sizesFor(doc, analysis, model).values : undefined;
        if (site.kind === 'layer') {
          const spec = getLayer(site.name);
          const node = model && spec ? nodeAtRange(model, site.range, 'layer') : undefined;
          const notes = node && spec?.notes?.(node.args, site.inShapes);
          const stack = model && spec?.category === 'conv' ? kernelStackAt(model, site.range) : undefined;
          // A `+` (an `add` site on its operator): the two values it adds, as written.
          const sum = site.name === 'add' ? sumOperands(analysis.file, site.range.start.offset) : undefined;
          // The call as analysed (`causal = true`), not the signature's defaults; a `+` keeps add's signature.
          const args = node && !sum ? node.args : undefined;
          // `-> act` of a block parameter given `gelu`: the layer it applies, and what the name is.
          const appliedAs = appliedWordLine(analysis, site, docUri);
          return new vscode.Hover(toMarkdown(layerHoverMarkdown(site, spec, field, weightsAtSite(analysis, site), { sizes, notes, stack, sum, args, appliedAs })), range);
        }
        const block = callableBlock(analysis, docUri, site.name, readUriText);
        return new vscode.Hover(toMarkdown(blockHoverMarkdown(site, block, field, groupWeightsAtSite(analysis, site), sizes)), range);
      }

      // Without a site (the model has errors, or a block never used): the registry docs still help.
      const wordRange = doc.getWordRangeAtPosition(position, /[A-Za-z_][A-Za-z0-9_]*/);
      if (!wordRange) return undefined;
      const word = doc.getText(wordRange);
      const container = analysis.file.items.find(
        (i) => i.kind !== 'import' && i.range.start.offset <= offset && offset <= i.range.end.offset,
      );
      if (container?.kind === 'train') {
        const key = trainKey(word);
        if (key) return new vscode.Hover(toMarkdown(`**${key.name}** — ${key.doc}`), wordRange);
        const entry = container.entries.find((e) => e.range.start.offset <= offset && offset <= e.range.end.offset);
        const fn = trainFunction(entry?.key.name, word);
        // The data source as this section resolves it (the size a model's input gave included).
        const data = entry?.key.name === 'data' ? analysis.trains.find((t) => t.range.start.offset === container.range.start.offset)?.config.data : undefined;
        const resolved = data?.kind === word ? dataSummary(data) : undefined;
        if (fn) return new vscode.Hover(toMarkdown(`${resolved ? `${resolved}\n\n` : ''}**${fn.name}** — ${fn.doc}`), wordRange);
        // `loss: crossentropy`, `metrics: [accuracy]`: the value's meaning; `adam(lr = …)`: the option's.
        const value = entry ? trainKey(entry.key.name)?.values?.find((v) => v.name === word) : undefined;
        if (value) return new vscode.Hover(toMarkdown(`**${value.name}** — ${value.doc}`), wordRange);
        const option = entry ? trainOption(entry, offset, word) : undefined;
        if (option) return new vscode.Hover(toMarkdown(`**${option.name}** — ${option.doc}`), wordRange);
        return undefined;
      }
      const spec = getLayer(word);
      if (spec && !hit) {
        // A block parameter's default (`act = relu`) is the choice it names, not a call that could not be analysed.
        const isDefault = container?.kind === 'block' && container.paramsRange !== undefined && contains(container.paramsRange, offset);
        // One the body applies as a layer (`-> act`) is the layer it applies when a call gives none.
        const param = isDefault ? container.params.find((p) => p.default && contains(p.default.range, offset)) : undefined;
        const applied = param && container?.kind === 'block' && appliesBare(spec) ? paramUse(container, param.name.name, (n) => blockDeclNamed(analysis, n)) : undefined;
        const what =
          applied?.kind === 'layer' && applied.applied
            ? `the layer \`-> ${param!.name.name}\` applies when a call gives none, with its defaults (a layer of its own at each application).`
            : 'the choice it names, not a call.';
        const markdown = isDefault ? `**${word}** — a parameter's default: ${what}\n\n---\n${spec.doc}` : layerDocsMarkdown(spec, noShapesReason(analysis, offset, docUri));
        return new vscode.Hover(toMarkdown(markdown), wordRange);
      }
      const block = hit?.symbol.kind === 'block' ? callableBlock(analysis, docUri, word, readUriText) : undefined;
      if (hit && block) {
        return new vscode.Hover(toMarkdown(blockHoverMarkdown({ range: hit.range, kind: 'block', name: word, model: '', inShapes: [] }, block)), wordRange);
      }
      return undefined;
    },
  });
}

/** The declaration of the block `name` of the analysed file. */
function blockDeclNamed(analysis: Analysis, name: string): BlockDecl | undefined {
  return analysis.file.items.find((i): i is BlockDecl => i.kind === 'block' && i.name.name === name);
}

/** The receptive field of a call's output in the model it was first seen in (computed on hover, not per edit). */
function siteField(analysis: Analysis, site: SiteInfo): string[] {
  const model = analysis.models.find((m) => m.name === site.model);
  return model ? describeField(fieldAt(model, site.range), model) : [];
}

/** The option `word` of the optimiser or data source call of `entry` whose argument name is at `offset` (`lr` in `adam(lr = 1e-3)`). */
function trainOption(entry: TrainEntry, offset: number, word: string): { name: string; doc: string } | undefined {
  const v = entry.value;
  if (v.kind !== 'call') return undefined;
  const arg = v.args.find((a) => a.name && a.name.name === word && a.name.range.start.offset <= offset && offset <= a.name.range.end.offset);
  if (!arg) return undefined;
  return trainFunction(entry.key.name, v.callee.name)?.args.find((a) => a.name === word);
}
