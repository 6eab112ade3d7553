/** Tab completion of SQL keywords and catalog names. */
import { K } from '../parser/lexer.js';

export const SQL_KEYWORDS: readonly string[] = [...Object.keys(K), 'COUNT', 'SUM', 'AVG', 'MIN', 'MAX', 'PREDICT', 'MODEL_VERSION', 'BOOLEAN', 'INT', 'BIGINT', 'FLOAT', 'DOUBLE', 'STRING', 'BYTES'].sort();

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
