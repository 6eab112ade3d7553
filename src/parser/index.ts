/** The SQL front end: text in, typed AST with spans out. */
export { parseExpression, parseStatement, parseStatements } from './parse.js';
export { parseStatementsOffThread } from './parse-off-thread.js';
export * from './ast.js';
