/** Tab completion of SQL keywords and catalog names. */

/**
 * Keywords of the dialect plus common type and function names. Listed here rather than taken
 * from the lexer so the shell starts without loading the parser; test/shell/completer.test.ts
 * checks that every lexer keyword is present.
 */
export const SQL_KEYWORDS: readonly string[] = [
  'ALTER', 'AND', 'ARRAY', 'AS', 'ASC', 'AVG', 'BETWEEN', 'BIGINT', 'BOOLEAN', 'BOTH', 'BY', 'BYTES', 'CASE', 'CAST',
  'COALESCE', 'COUNT', 'COUNT_IF', 'CREATE', 'DAY', 'DAYS', 'DESC', 'DESCRIBE', 'DESCRIPTOR', 'DISTINCT', 'DOUBLE', 'DROP',
  'ELSE', 'END', 'ESCAPE', 'EXISTS', 'EXPLAIN', 'FALSE', 'FLOAT', 'FOR', 'FROM', 'FUNCTION', 'FUNCTIONS', 'GROUP', 'HAVING',
  'HOP', 'HOUR', 'HOURS', 'IF', 'ILIKE', 'IN', 'INNER', 'INPUT', 'INSERT', 'INT', 'INTERVAL', 'INTO', 'IS', 'JOIN', 'KEY',
  'LANGUAGE', 'LEADING', 'LEFT', 'LIKE', 'LIMIT', 'MATERIALIZED', 'MAX', 'MILLISECOND', 'MILLISECONDS', 'MIN', 'MINUTE',
  'MINUTES', 'MODEL', 'MODELS', 'MODEL_VERSION', 'NOT', 'NULL', 'ON', 'OR', 'ORDER', 'OUTER', 'OUTPUT', 'PRECISION',
  'PREDICT', 'PRIMARY', 'PROCTIME', 'QUERIES', 'QUERY', 'REPLACE', 'RETURNS', 'SECOND', 'SECONDS', 'SELECT',
  'SESSION', 'SET', 'SHOW', 'SINK', 'SINKS', 'STREAM', 'STREAMS', 'STRING', 'STRUCT', 'SUM', 'TABLE', 'TABLES',
  'THEN', 'TIMESTAMP', 'TRAILING', 'TRIM', 'TRUE', 'TUMBLE', 'VALUES', 'VIEW', 'VIEWS', 'WATERMARK', 'WHEN', 'WHERE', 'WITH',
];

/** Completions for the word before the cursor: readline's `[matches, word]`. */
export function complete(line: string, names: readonly string[]): [string[], string] {
  const word = /[A-Za-z_][A-Za-z0-9_]*$/.exec(line)?.[0] ?? '';
  if (word === '') return [[], word];
  const lower = word.toLowerCase();
  const upper = word === word.toUpperCase();
  const keywords = SQL_KEYWORDS.filter((k) => k.toLowerCase().startsWith(lower)).map((k) => (upper ? k : k.toLowerCase()));
  const catalog = names.filter((n) => n.toLowerCase().startsWith(lower));
  return [[...new Set([...catalog, ...keywords])].sort(), word];
}
