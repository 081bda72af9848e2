/**
 * Where the cursor stands, syntactically, for completion and signature help.
 * Computed from the text alone, because while the user types the file is
 * usually incomplete and the last analysis is of an older version.
 */
import { scan, type Tok } from './scan';

export const KEYWORDS = ['model', 'block', 'train', 'import', 'input', 'output', 'true', 'false'] as const;
const KEYWORD_SET: ReadonlySet<string> = new Set(KEYWORDS);

export type Container = { kind: 'model' | 'block' | 'train'; name: string };

/** A call whose parentheses the cursor is in. */
export interface CallContext {
  callee: string;
  /** Offset of the callee identifier. */
  calleeStart: number;
  /** Index of the argument the cursor is in (counting all arguments, named or not). */
  argIndex: number;
  /** Positional arguments before the current one. */
  positionalBefore: number;
  /** Names given as `name = ...` in the other arguments. */
  given: string[];
  /** The current argument's name when it is written `name = ...`. */
  argName?: string;
  /** The cursor is after `name =` (or after an operator within the argument). */
  inValue: boolean;
  /**
   * The cursor is in a part of the argument's value, not where the whole
   * value starts: after an operator (`2 * |`), or in a list or parentheses
   * inside it (`[-1, |]`, `(3 + |`). There only a number (or, for a tensor
   * argument, a value) fits, never a layer.
   */
  nested: boolean;
}

export type CursorContext =
  | { kind: 'none' }
  /** Start of a top-level item: `model`, `block`, `train`, `import`. */
  | { kind: 'topLevel' }
  /** After `train`: a model name. */
  | { kind: 'modelName' }
  /** Start of a statement in a model or block body. */
  | { kind: 'statement' }
  /** After `->`: a layer, a block or a layer object. */
  | { kind: 'chain' }
  /** Where an expression starts: after `=`, `output`, `+`, `,` or `(`. */
  | { kind: 'expression' }
  /** Inside the parentheses of a call in a model or block, also in a list or parentheses inside an argument (`call.nested`). */
  | { kind: 'arg'; call: CallContext }
  /** Start of an entry in a train section. */
  | { kind: 'trainKey'; given: string[] }
  /** After `key:` in a train section. */
  | { kind: 'trainValue'; key: string }
  /** Inside the parentheses of a call in a train section: `adam(lr = ...)`. */
  | { kind: 'trainArg'; key: string; call: CallContext };

export interface CompletionPosition {
  context: CursorContext;
  /** Enclosing model, block or train section. */
  container?: Container;
  /** The identifier being typed (may be empty). */
  prefix: string;
  /** Offset where `prefix` starts (the range a completion replaces). */
  prefixStart: number;
  /**
   * Inside a model or block body, where the statement holding the cursor
   * starts: a name it binds is not bound yet (`h = t -> b(|` cannot use
   * this `h`, but can an `h` bound on an earlier line).
   */
  statementStart?: number;
}

interface TopFrame {
  kind: 'top';
  stmt: Tok[];
  pendingBreak: boolean;
}

interface BraceFrame {
  kind: 'brace';
  container?: Container;
  /** Keys given in a train section (for not offering them twice). */
  keys: string[];
  stmt: Tok[];
  pendingBreak: boolean;
}

interface ParenFrame {
  kind: 'paren';
  callee?: Tok;
  declParams: boolean;
  argIndex: number;
  positionalBefore: number;
  given: string[];
  arg: Tok[];
}

interface BracketFrame {
  kind: 'bracket';
  items: Tok[];
}

type Frame = TopFrame | BraceFrame | ParenFrame | BracketFrame;

/** Tokens of the current statement / argument of a frame. */
function current(f: Frame): Tok[] {
  switch (f.kind) {
    case 'top':
    case 'brace':
      return f.stmt;
    case 'paren':
      return f.arg;
    case 'bracket':
      return f.items;
  }
}

const CONTINUES_AFTER = new Set(['->', '+', ',', '=', ':', '-', '*', '/']);

function namedArg(arg: Tok[]): string | undefined {
  return arg.length >= 2 && arg[0].kind === 'ident' && arg[1].text === '=' ? arg[0].text : undefined;
}

function closeArg(f: ParenFrame): void {
  const n = namedArg(f.arg);
  if (n) f.given.push(n);
  else if (f.arg.length > 0) f.positionalBefore++;
  f.argIndex++;
  f.arg = [];
}

interface Walk {
  stack: Frame[];
}

function walk(tokens: Tok[]): Walk {
  const stack: Frame[] = [{ kind: 'top', stmt: [], pendingBreak: false }];
  const top = () => stack[stack.length - 1];
  for (const t of tokens) {
    const f = top();
    if (t.kind === 'nl') {
      // Newlines only end statements at statement level, unless the line
      // ends with an operator that continues it.
      if (f.kind === 'top' || f.kind === 'brace') {
        const last = f.stmt[f.stmt.length - 1];
        if (last && !CONTINUES_AFTER.has(last.text)) f.pendingBreak = true;
      }
      continue;
    }
    if (f.kind === 'top' || f.kind === 'brace') {
      if (f.pendingBreak) {
        f.pendingBreak = false;
        if (t.text !== '->') {
          if (f.kind === 'brace' && f.container?.kind === 'train' && f.stmt[0]?.kind === 'ident') f.keys.push(f.stmt[0].text);
          f.stmt = [];
        }
      }
    }
    switch (t.text) {
      case '{': {
        const stmt = current(f);
        const head = stmt[0]?.text;
        const name = stmt[1]?.kind === 'ident' ? stmt[1].text : '';
        const container: Container | undefined =
          f.kind === 'top' && (head === 'model' || head === 'block' || head === 'train') ? { kind: head, name } : undefined;
        stmt.push(t);
        stack.push({ kind: 'brace', container, keys: [], stmt: [], pendingBreak: false });
        continue;
      }
      case '}': {
        if (f.kind === 'brace') {
          stack.pop();
          const parent = top();
          current(parent).push(t);
          // A closing brace ends the top-level item.
          if (parent.kind === 'top') parent.pendingBreak = true;
        } else current(f).push(t);
        continue;
      }
      case '(': {
        const before = current(f);
        const prev = before[before.length - 1];
        const callee = prev && prev.kind === 'ident' && !KEYWORD_SET.has(prev.text) ? prev : undefined;
        const declParams = !!callee && before[before.length - 2]?.text === 'block';
        before.push(t);
        stack.push({ kind: 'paren', callee, declParams, argIndex: 0, positionalBefore: 0, given: [], arg: [] });
        continue;
      }
      case '[':
        current(f).push(t);
        stack.push({ kind: 'bracket', items: [] });
        continue;
      case ')':
      case ']':
        if ((t.text === ')' && f.kind === 'paren') || (t.text === ']' && f.kind === 'bracket')) {
          stack.pop();
          current(top()).push(t);
        } else current(f).push(t);
        continue;
      case ',':
        if (f.kind === 'paren') {
          closeArg(f);
          continue;
        }
        current(f).push(t);
        continue;
      default:
        current(f).push(t);
    }
  }
  return { stack };
}

function containerOf(stack: Frame[]): Container | undefined {
  for (let i = stack.length - 1; i >= 0; i--) {
    const f = stack[i];
    if (f.kind === 'brace' && f.container) return f.container;
  }
  return undefined;
}

function callContext(f: ParenFrame): CallContext {
  const argName = namedArg(f.arg);
  const valueTokens = argName ? f.arg.slice(2) : f.arg;
  const last = f.arg[f.arg.length - 1];
  const nested = valueTokens.length > 0 && last?.kind === 'op';
  const inValue = !!argName || nested;
  return {
    callee: f.callee!.text,
    calleeStart: f.callee!.start,
    argIndex: f.argIndex,
    positionalBefore: f.positionalBefore,
    given: [...f.given],
    argName,
    inValue,
    nested,
  };
}

/**
 * The call whose argument holds the list or the parentheses on top of the
 * stack (`reshape([-1, |`, `conv2d(16, (3 + |`), as the cursor's call with
 * the cursor inside its value; undefined when the brackets are in no call's
 * argument (`y = (|`).
 */
function enclosingCall(stack: Frame[]): CallContext | undefined {
  for (let i = stack.length - 1; i >= 0; i--) {
    const f = stack[i];
    if (f.kind === 'bracket' || (f.kind === 'paren' && !f.callee)) continue;
    if (f.kind !== 'paren' || f.declParams) return undefined;
    return { ...callContext(f), inValue: true, nested: true };
  }
  return undefined;
}

/** Whether more may be typed after `tokens` to form an expression start. */
function expectsOperand(tokens: Tok[]): boolean {
  const last = tokens[tokens.length - 1];
  return !last || (last.kind === 'op' && ['=', '+', ',', '(', '[', '-', '*', '/', '//'].includes(last.text));
}

function contextAt(stack: Frame[]): CursorContext {
  const f = stack[stack.length - 1];
  const container = containerOf(stack);
  const inTrain = container?.kind === 'train';
  switch (f.kind) {
    case 'top': {
      const st = f.pendingBreak ? [] : f.stmt;
      if (st.length === 0) return { kind: 'topLevel' };
      if (st.length === 1 && st[0].text === 'train') return { kind: 'modelName' };
      return { kind: 'none' };
    }
    case 'brace': {
      const st = f.pendingBreak ? [] : f.stmt;
      if (inTrain) {
        if (st.length === 0) {
          const keys = [...f.keys];
          if (f.pendingBreak && f.stmt[0]?.kind === 'ident') keys.push(f.stmt[0].text);
          return { kind: 'trainKey', given: keys };
        }
        if (st.length >= 2 && st[0].kind === 'ident' && st[1].text === ':' && expectsOperand(st.slice(2))) {
          return { kind: 'trainValue', key: st[0].text };
        }
        return { kind: 'none' };
      }
      if (!container) return { kind: 'none' };
      if (st.length === 0) return { kind: 'statement' };
      const last = st[st.length - 1];
      if (last.text === '->') return { kind: 'chain' };
      if (st[0].text === 'input') return { kind: 'none' };
      if (last.text === '*' && st.some((t) => t.text === '->')) return { kind: 'none' };
      if ((st.length === 1 && st[0].text === 'output') || (st.length > 1 && expectsOperand(st))) return { kind: 'expression' };
      return { kind: 'none' };
    }
    case 'paren': {
      if (f.declParams) return { kind: 'none' };
      if (inTrain) {
        if (!f.callee) return { kind: 'none' };
        const outer = stack[stack.length - 2];
        const st = outer ? current(outer) : [];
        const key = st[0]?.kind === 'ident' ? st[0].text : '';
        return { kind: 'trainArg', key, call: callContext(f) };
      }
      if (!container) return { kind: 'none' };
      const last = f.arg[f.arg.length - 1];
      if (last?.text === '->') return { kind: 'chain' };
      if (!f.callee) {
        if (!expectsOperand(f.arg)) return { kind: 'none' };
        const call = enclosingCall(stack);
        return call ? { kind: 'arg', call } : { kind: 'expression' };
      }
      const call = callContext(f);
      if (!call.inValue && f.arg.length > 0) return { kind: 'none' };
      if (call.inValue && !expectsOperand(f.arg)) return { kind: 'none' };
      return { kind: 'arg', call };
    }
    case 'bracket': {
      if (!expectsOperand(f.items)) return { kind: 'none' };
      if (inTrain) {
        const outer = stack[stack.length - 2];
        const st = outer && outer.kind === 'brace' ? outer.stmt : [];
        if (st[0]?.kind === 'ident' && st[1]?.text === ':') return { kind: 'trainValue', key: st[0].text };
        return { kind: 'none' };
      }
      // A list inside a call's argument holds values (`kernel = [3, 3]`, `shape = [-1, dim]`).
      const call = container && enclosingCall(stack);
      return call ? { kind: 'arg', call } : { kind: 'none' };
    }
  }
}

/** The syntactic context at `offset` for completion. */
export function completionContext(text: string, offset: number): CompletionPosition {
  const { tokens, inComment, inString } = scan(text, offset);
  let prefix = '';
  let prefixStart = offset;
  const last = tokens[tokens.length - 1];
  if (last && last.end === offset && (last.kind === 'ident' || last.kind === 'number')) {
    if (last.kind === 'number') return { context: { kind: 'none' }, prefix: '', prefixStart: offset };
    prefix = last.text;
    prefixStart = last.start;
    tokens.pop();
  }
  const { stack } = walk(tokens);
  const container = containerOf(stack);
  if (inComment || inString) return { context: { kind: 'none' }, container, prefix, prefixStart };
  return { context: contextAt(stack), container, prefix, prefixStart, statementStart: statementStart(stack, prefixStart) };
}

/** Where the statement of the innermost body starts (`prefixStart` when the cursor starts one); undefined outside a body. */
function statementStart(stack: Frame[], prefixStart: number): number | undefined {
  for (let i = stack.length - 1; i >= 0; i--) {
    const f = stack[i];
    if (f.kind !== 'brace') continue;
    return f.pendingBreak || f.stmt.length === 0 ? prefixStart : f.stmt[0].start;
  }
  return undefined;
}

/** The innermost call (not a block's parameter list) whose parentheses hold `offset`. */
export function callAt(text: string, offset: number): (CallContext & { inTrain: boolean; key?: string }) | undefined {
  const { tokens, inComment } = scan(text, offset);
  if (inComment) return undefined;
  const { stack } = walk(tokens);
  const inTrain = containerOf(stack)?.kind === 'train';
  for (let i = stack.length - 1; i >= 0; i--) {
    const f = stack[i];
    if (f.kind === 'brace' || f.kind === 'top') return undefined;
    if (f.kind !== 'paren') continue;
    if (f.declParams) return undefined;
    if (!f.callee) continue;
    let key: string | undefined;
    if (inTrain) {
      const outer = stack.slice(0, i).reverse().find((s) => s.kind === 'brace') as BraceFrame | undefined;
      key = outer?.stmt[0]?.text;
    }
    return { ...callContext(f), inTrain, key };
  }
  return undefined;
}
