/**
 * Signature help for layer, block and train-function calls, with the active
 * parameter following positional and named arguments.
 */
import * as vscode from 'vscode';
import { getLayer } from '../core';
import { readUriText, type AnalysisCache } from './analysisCache';
import { toMarkdown } from './convert';
import { callableBlock, callableBlockInputs } from './pure/blocks';
import { callAt } from './pure/context';
import { activeParameter, blockActiveParameter, blockSignature, layerSignature, trainFnSignature, type SignatureText } from './pure/text';
import { trainFunction } from './pure/trainSchema';

function toSignature(sig: SignatureText, doc?: string): vscode.SignatureInformation {
  const info = new vscode.SignatureInformation(sig.label, doc ? toMarkdown(doc) : undefined);
  info.parameters = sig.params.map((p) => new vscode.ParameterInformation(p.label, p.doc ? toMarkdown(p.doc) : undefined));
  return info;
}

export function registerSignatureHelp(selector: vscode.DocumentSelector, cache: AnalysisCache): vscode.Disposable {
  const provider: vscode.SignatureHelpProvider = {
    provideSignatureHelp(doc, position) {
      const call = callAt(doc.getText(), doc.offsetAt(position));
      if (!call) return undefined;
      let sig: SignatureText | undefined;
      let names: string[] = [];
      let summary: string | undefined;
      let variadic: string | undefined;
      let named: string[] | undefined;
      if (call.inTrain) {
        const fn = trainFunction(call.key, call.callee);
        if (!fn) return undefined;
        sig = trainFnSignature(fn);
        names = fn.args.map((a) => a.name);
        summary = fn.doc;
      } else {
        const spec = getLayer(call.callee);
        if (spec) {
          sig = layerSignature(spec);
          names = spec.args.map((a) => a.name);
          summary = spec.summary;
          variadic = spec.args.find((a) => a.type === 'tensors')?.name;
        } else {
          const analysis = cache.get(doc);
          const block = callableBlock(analysis, doc.uri.toString(), call.callee, readUriText);
          if (!block) return undefined;
          const params = block.params.map((p) => p.name);
          // The inputs after the first are given by name (`memory = enc`): listed after the parameters.
          named = (callableBlockInputs(analysis, doc.uri.toString(), call.callee, readUriText) ?? []).slice(1).filter((n) => !params.includes(n));
          sig = blockSignature(block, named);
          names = params;
        }
      }
      const help = new vscode.SignatureHelp();
      help.signatures = [toSignature(sig, summary)];
      help.activeSignature = 0;
      const active = named ? blockActiveParameter(names, named, call) : activeParameter(names, call, variadic);
      // An index past the end tells VS Code to highlight nothing (an unknown named argument).
      help.activeParameter = active >= 0 ? active : sig.params.length;
      return help;
    },
  };
  return vscode.languages.registerSignatureHelpProvider(selector, provider, {
    triggerCharacters: ['(', ','],
    retriggerCharacters: ['='],
  });
}
