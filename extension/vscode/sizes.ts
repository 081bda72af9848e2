/** Sizes for symbolic dimensions in the editor: the setting `nnmodel.dimensions`, else the model's train section. */
import * as vscode from 'vscode';
import { dimSizes, readDimSetting, type DimSizes } from '../core/analysis/sizes';
import type { Analysis, ModelInfo } from '../core/analysis/types';

export const DIMENSIONS_SETTING = 'nnmodel.dimensions';

export function sizesFor(doc: vscode.TextDocument, analysis: Analysis, model: ModelInfo): DimSizes {
  const raw = vscode.workspace.getConfiguration('nnmodel', doc).get<unknown>('dimensions');
  return dimSizes(model, analysis.trains, readDimSetting(raw).values);
}
