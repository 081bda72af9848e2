/**
 * The syntax tree of a `.nnmodel` file. Every node carries the range it was
 * parsed from, so that every diagnostic, hover and edit can point at source.
 *
 * Positions are zero-based (line, character) like VS Code's, plus the
 * absolute `offset`, which makes range containment checks cheap.
 */
export interface Position {
  line: number;
  character: number;
  offset: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface Ident {
  kind: 'ident';
  name: string;
  range: Range;
}

// ---------------------------------------------------------------- expressions
// One expression grammar serves tensor flow (`x -> conv2d(8, 3) + x`) and
// values (`4 * dim`, `[3, 3]`, `same`): the analysis decides what an
// expression means from where it stands.

export interface NumberLit {
  kind: 'number';
  value: number;
  /** Source text, kept for the formatter (`1e-3` stays `1e-3`). */
  text: string;
  isInt: boolean;
  range: Range;
}

export interface StringLit {
  kind: 'string';
  value: string;
  range: Range;
}

export interface BoolLit {
  kind: 'bool';
  value: boolean;
  range: Range;
}

/** A bare identifier used as a value or tensor: `x`, `same`, `dim`. */
export interface NameRef {
  kind: 'name';
  name: string;
  range: Range;
}

export interface ListExpr {
  kind: 'list';
  items: Expr[];
  range: Range;
}

export interface Arg {
  /** Present for `name = value`. */
  name?: Ident;
  value: Expr;
  range: Range;
}

/**
 * `conv2d(16, 3, padding = same)` or `relu` (in a chain position, a bare
 * identifier is a call with no arguments) optionally repeated: `block(8) * 12`.
 */
export interface CallExpr {
  kind: 'call';
  callee: Ident;
  args: Arg[];
  /** Range of `( ... )`, absent when written without parentheses. */
  argsRange?: Range;
  /** `* N`: repeat with separate weights. */
  repeat?: Expr;
  range: Range;
}

/** `head -> call -> call ...` */
export interface ChainExpr {
  kind: 'chain';
  head: Expr;
  calls: CallExpr[];
  range: Range;
}

export type BinaryOp = '+' | '-' | '*' | '/' | '//';

export interface BinaryExpr {
  kind: 'binary';
  op: BinaryOp;
  left: Expr;
  right: Expr;
  /** Range of the operator token. */
  opRange: Range;
  range: Range;
}

export interface UnaryExpr {
  kind: 'unary';
  op: '-';
  operand: Expr;
  range: Range;
}

export interface ParenExpr {
  kind: 'paren';
  expr: Expr;
  range: Range;
}

/** Stands where the parser could not read an expression; already diagnosed. */
export interface ErrorExpr {
  kind: 'error';
  range: Range;
  /**
   * The names in text the parser skipped whole (an expression too long or
   * nested too deeply): uses it cannot place, so that the values they name
   * are not reported unused, and rename and references reach them.
   */
  names?: NameRef[];
}

export type Expr =
  | NumberLit
  | StringLit
  | BoolLit
  | NameRef
  | ListExpr
  | CallExpr
  | ChainExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr
  | ErrorExpr;

// ----------------------------------------------------------------- statements

export interface ShapeExpr {
  kind: 'shape';
  /** `int[seq]`: integer token ids. */
  isInt: boolean;
  dims: Expr[];
  range: Range;
}

/** `input image: [32, 32, 1]` (model) or `input x` (block). */
export interface InputStmt {
  kind: 'input';
  name: Ident;
  shape?: ShapeExpr;
  range: Range;
}

/** `x = expr` */
export interface AssignStmt {
  kind: 'assign';
  target: Ident;
  value: Expr;
  range: Range;
}

/** `output a, b` */
export interface OutputStmt {
  kind: 'output';
  values: Expr[];
  /** Range of the `output` keyword. */
  keywordRange: Range;
  range: Range;
}

export type Statement = InputStmt | AssignStmt | OutputStmt;

// ------------------------------------------------------------------ top level

export interface ModelDecl {
  kind: 'model';
  name: Ident;
  body: Statement[];
  /** Range of the `{ ... }` body, braces included (absent if `{` is missing). */
  bodyRange?: Range;
  /** Range of the `model` keyword through the closing brace. */
  range: Range;
}

export interface Param {
  name: Ident;
  default?: Expr;
  range: Range;
}

export interface BlockDecl {
  kind: 'block';
  name: Ident;
  params: Param[];
  /** Range of `( ... )` around the parameters, absent when written without. */
  paramsRange?: Range;
  body: Statement[];
  /** Range of the `{ ... }` body, braces included. */
  bodyRange?: Range;
  range: Range;
}

export interface TrainEntry {
  key: Ident;
  value: Expr;
  range: Range;
}

export interface TrainDecl {
  kind: 'train';
  /** The model this section trains. */
  name: Ident;
  entries: TrainEntry[];
  /** Range of the `{ ... }` body, braces included. */
  bodyRange?: Range;
  range: Range;
}

export interface ImportDecl {
  kind: 'import';
  path: StringLit;
  range: Range;
}

export type TopLevel = ModelDecl | BlockDecl | TrainDecl | ImportDecl;

export interface Comment {
  /** The comment as written, marker included (`# note`, `// note`), trailing blanks trimmed. */
  text: string;
  range: Range;
}

export interface SyntaxError {
  /** Stable code, e.g. `syntax.expected`. */
  code: string;
  message: string;
  range: Range;
  /** The fix, where one is clear: `text` to insert at `at` (a forgotten `)` after the last argument). */
  insert?: { at: Position; text: string };
  /** The fix where an insertion cannot express it: `text` in place of `range` (empty: delete), titled `title`. */
  replace?: { title: string; range: Range; text: string };
  /** The statement was read whole all the same (`output = x`, read as `output x`): its other mistakes are reported too. */
  readWhole?: boolean;
  /** Other fixes, less likely than the first (`h -> dense(2)`: make it the output, or assign it). */
  alternatives?: { title: string; range: Range; text: string }[];
}

export interface SourceFile {
  items: TopLevel[];
  comments: Comment[];
  errors: SyntaxError[];
  range: Range;
  /** The parsed text (the parser always sets it): what edits built from the tree need besides it, such as indentation. */
  text?: string;
}
