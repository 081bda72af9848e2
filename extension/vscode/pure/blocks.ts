/**
 * The blocks a document can call: its own (`Analysis.blocks`) and those its
 * imports bring. The analysis lists only the file's own blocks with their
 * parameters; an imported block is known to it as a symbol (kind 'block',
 * with the uri and the range of its declaration in the other file), so its
 * parameters are read from that declaration's text, on demand: completion,
 * signature help and hovers ask for them, not every edit.
 */
import { exprText } from '../../core/analysis/analyze';
import type { Analysis, BlockInfoSummary, SymbolInfo } from '../../core/analysis/types';
import type { BlockDecl } from '../../core/syntax/ast';
import { parse } from '../../core/syntax/parser';
import { isLocal } from './lookup';

/** The text of a file by uri (an open document's, else the file's), undefined when it cannot be read. */
export type ReadText = (uri: string) => string | undefined;

interface Parsed {
  params: BlockInfoSummary['params'];
  /** The names of its `input` statements, in order. */
  inputs: string[];
  decl: BlockDecl;
}

/** Summaries by declaration text: one parse per declaration while its text stays the same. */
const parsed = new Map<string, Parsed | null>();
const MAX_CACHED = 64;

function parsedBlock(declText: string, name: string): Parsed | undefined {
  let r = parsed.get(declText);
  if (r === undefined) {
    const item = parse(declText).items.find((i) => i.kind === 'block');
    r = item && item.kind === 'block' && item.name.name === name
      ? { params: item.params.map((p) => ({ name: p.name.name, default: p.default ? exprText(p.default) : undefined })), inputs: inputNames(item), decl: item }
      : null;
    if (parsed.size >= MAX_CACHED) parsed.clear();
    parsed.set(declText, r);
  }
  return r ?? undefined;
}

function inputNames(decl: BlockDecl): string[] {
  return decl.body.flatMap((s) => (s.kind === 'input' ? [s.name.name] : []));
}

/** An imported block's summary from its declaration in `s.uri`; undefined when that text no longer holds it. */
function importedBlock(s: SymbolInfo, read: ReadText): BlockInfoSummary | undefined {
  const text = s.uri === undefined ? undefined : read(s.uri);
  if (text === undefined) return undefined;
  const declText = text.slice(s.fullRange.start.offset, s.fullRange.end.offset);
  const params = parsedBlock(declText, s.name)?.params;
  return params && { name: s.name, range: s.fullRange, nameRange: s.range, params, uri: s.uri };
}

/** Every block the document can call: its own, then the imported ones (with `uri`), each name once. */
export function callableBlocks(analysis: Analysis, docUri: string, read: ReadText): BlockInfoSummary[] {
  const out = [...analysis.blocks];
  const names = new Set(out.map((b) => b.name));
  for (const s of analysis.symbols) {
    if (s.kind !== 'block' || isLocal(s.uri, docUri) || names.has(s.name)) continue;
    const b = importedBlock(s, read);
    if (b) {
      out.push(b);
      names.add(b.name);
    }
  }
  return out;
}

/** The block `name` the document can call (its own or an imported one). */
export function callableBlock(analysis: Analysis, docUri: string, name: string, read: ReadText): BlockInfoSummary | undefined {
  const own = analysis.blocks.find((b) => b.name === name);
  if (own) return own;
  const s = analysis.symbols.find((x) => x.kind === 'block' && x.name === name && !isLocal(x.uri, docUri));
  return s && importedBlock(s, read);
}

/**
 * The declaration of the block `name` the document can call: this file's
 * (from the analysis's syntax tree), or an imported one's (parsed once per
 * declaration text). Undefined when the block is not known.
 */
export function callableBlockDecl(analysis: Analysis, docUri: string, name: string, read: ReadText): BlockDecl | undefined {
  const own = analysis.blocks.find((b) => b.name === name);
  if (own) return analysis.file.items.find((i): i is BlockDecl => i.kind === 'block' && i.name.name === name && i.range.start.offset === own.range.start.offset);
  const s = analysis.symbols.find((x) => x.kind === 'block' && x.name === name && !isLocal(x.uri, docUri));
  const text = s?.uri === undefined ? undefined : read(s.uri);
  return s && text !== undefined ? parsedBlock(text.slice(s.fullRange.start.offset, s.fullRange.end.offset), name)?.decl : undefined;
}

/**
 * The names of the `input`s of the block `name` the document can call, in
 * order (the first takes the piped value; any input can be given by name):
 * from this file's declaration, or an imported one's text. Undefined when the
 * block is not known.
 */
export function callableBlockInputs(analysis: Analysis, docUri: string, name: string, read: ReadText): string[] | undefined {
  const decl = callableBlockDecl(analysis, docUri, name, read);
  return decl && inputNames(decl);
}
