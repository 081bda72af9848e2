/** The syntax layer: lexer, error-tolerant parser, formatter, and the AST they share. */
export * from './ast';
export { lex, LineMap, KEYWORDS, tokenRange, type Token, type TokenKind, type LexResult, type LexError } from './lexer';
export { parse, sameStructure, stripRanges, MAX_DEPTH } from './parser';
export { format, formatRange, FORMAT_WIDTH } from './format';
