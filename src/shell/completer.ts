/**
 * Tab completion that knows where the cursor is in the statement: relations after FROM, JOIN,
 * INTO and DESCRIBE; model names inside predict(); option keys inside WITH (...); the columns of
 * the relations the statement names (also after `alias.`) with keywords elsewhere; and the words
 * that start a statement on an empty line.
 */

/**
 * Keywords of the dialect plus common type and function names. Listed here rather than taken
 * from the lexer so the shell starts without loading the parser; test/shell/completer.test.ts
 * checks that every lexer keyword is present.
 */
export const SQL_KEYWORDS: readonly string[] = [
  'ALL', 'ALTER', 'AND', 'ANTI', 'ARRAY', 'AS', 'ASC', 'ASOF', 'ASYMMETRIC', 'AVG', 'BETWEEN', 'BIGINT', 'BOOLEAN', 'BOTH', 'BY', 'BYTES', 'CANDIDATE', 'CASE', 'CAST', 'CHECK',
  'COALESCE', 'COLLATE', 'CONFLICT', 'CONSTRAINT', 'COUNT', 'COUNT_IF', 'CREATE', 'CROSS', 'CUBE', 'CURRENT', 'DATE', 'DAY', 'DAYS', 'DEFAULT', 'DELETE', 'DESC', 'DESCRIBE', 'DESCRIPTOR', 'DISTINCT', 'DO', 'DOUBLE', 'DROP',
  'ELSE', 'END', 'ESCAPE', 'EXCEPT', 'EXCLUDE', 'EXISTS', 'EXPLAIN', 'FALSE', 'FETCH', 'FILTER', 'FIRST', 'FLOAT', 'FOLLOWING', 'FOR', 'FROM', 'FULL', 'FUNCTION', 'FUNCTIONS', 'GLOB', 'GROUP', 'GROUPING', 'GROUPS', 'HAVING',
  'HOP', 'HOUR', 'HOURS', 'IF', 'IGNORE', 'ILIKE', 'IN', 'INNER', 'INPUT', 'INSERT', 'INT', 'INTERSECT', 'INTERVAL', 'INTO', 'IS', 'JOIN', 'KEY',
  'LANGUAGE', 'LAST', 'LATERAL', 'LEADING', 'LEFT', 'LIKE', 'LIMIT', 'MAP', 'MATERIALIZED', 'MAX', 'MILLISECOND', 'MILLISECONDS', 'MIN', 'MINUTE',
  'MINUTES', 'MODEL', 'MODELS', 'MONTH', 'MONTHS', 'MODEL_ROLE', 'MODEL_VERSION', 'NATURAL', 'NEXT', 'NOT', 'NOTHING', 'NULL', 'NULLS', 'OFFSET', 'ON', 'ONLY', 'OR', 'ORDER', 'OUTER', 'OUTPUT', 'OVER', 'PARTITION', 'PIVOT', 'PRECEDING', 'PRECISION',
  'PREDICT', 'PRIMARY', 'PROCTIME', 'PROMOTE', 'QUALIFY', 'QUARTER', 'QUARTERS', 'RECURSIVE', 'RESPECT', 'QUERIES', 'QUERY', 'RANGE', 'RENAME', 'REPLACE', 'RETURNING', 'RETURNS', 'RIGHT', 'ROLLBACK', 'ROLLUP', 'ROW', 'ROWS', 'SECOND', 'SECONDS', 'SELECT', 'SEMI',
  'SESSION', 'SET', 'SETS', 'SHOW', 'SIMILAR', 'SINK', 'SINKS', 'STREAM', 'STREAMS', 'STRING', 'STRUCT', 'SUM', 'SYMMETRIC', 'TABLE', 'TABLES',
  'THEN', 'TIME', 'TEMP', 'TEMPORARY', 'TIMESTAMP', 'TO', 'TRAILING', 'TRIM', 'TRUE', 'TRUNCATE', 'TRY_CAST', 'TUMBLE', 'UNBOUNDED', 'UNION', 'UNIQUE', 'UNPIVOT', 'UNKNOWN', 'UPDATE', 'USING', 'VALUES', 'VERBOSE', 'VERSION', 'VIEW', 'VIEWS', 'WATERMARK', 'WEEK', 'WEEKS', 'WHEN', 'WHERE', 'WINDOW', 'WITH', 'WITHIN', 'YEAR', 'YEARS',
];

/** What a statement can start with, offered on an empty line. */
export const STATEMENT_STARTS: readonly string[] = ['ALTER', 'CREATE', 'DESCRIBE', 'DROP', 'EXPLAIN', 'INSERT', 'RESET', 'SELECT', 'SET', 'SHOW', 'help', 'exit'];

/** What completion knows of the server's catalog (GET /v1/catalog). */
export interface CompletionCatalog {
  readonly relations: readonly { readonly name: string; readonly kind: string; readonly columns: readonly { readonly name: string }[] }[];
  readonly models: readonly string[];
  readonly functions: readonly string[];
  readonly options: readonly string[];
}

export const EMPTY_CATALOG: CompletionCatalog = { relations: [], models: [], functions: [], options: [] };

const RELATION_BEFORE = /\b(from|join|into|describe|table|stream|view|sink|drop)\s+$/i;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Completions for the word before the cursor: readline's `[matches, word]`. `before` is the
 * statement typed so far (earlier lines of it too), up to the cursor.
 */
export function complete(before: string, catalog: CompletionCatalog): [string[], string] {
  const word = IDENT.exec(before)?.[0] ?? '';
  const head = before.slice(0, before.length - word.length);
  const lower = word.toLowerCase();
  const match = (names: readonly string[]): string[] => [...new Set(names.filter((n) => n.toLowerCase().startsWith(lower)))].sort();
  const keywords = (list: readonly string[]): string[] => {
    const upper = word === '' || word === word.toUpperCase();
    return match(list).map((k) => (/^[A-Z_]+$/.test(k) ? (upper ? k : k.toLowerCase()) : k));
  };

  if (/^\s*\\d\s+$/.test(head)) return [match(catalog.relations.map((r) => r.name)), word];
  if (/\bpredict\s*\(\s*'?$/i.test(head)) return [match(catalog.models), word];
  if (insideWith(head) && /[(,]\s*'?$/.test(head)) return [match(catalog.options), word];
  if (RELATION_BEFORE.test(head)) {
    const kinds = /describe\s+$/i.test(head) ? undefined : ['stream', 'table', 'view'];
    const relations = catalog.relations.filter((r) => kinds === undefined || kinds.includes(r.kind) || /drop\s+$/i.test(head)).map((r) => r.name);
    return [match(/describe\s+$/i.test(head) ? [...relations, ...catalog.models] : relations), word];
  }
  const qualified = /([A-Za-z_][A-Za-z0-9_]*)\.$/.exec(head);
  if (qualified) {
    const rel = relationsNamed(before, catalog).get(qualified[1]!.toLowerCase());
    return [match(rel?.columns.map((c) => c.name) ?? []), word];
  }
  if (head.trim() === '') return [keywords(STATEMENT_STARTS), word];
  // Before FROM is typed the statement names no relation yet: every column is a candidate.
  const named = [...relationsNamed(before, catalog).values()];
  const columns = (named.length > 0 ? named : catalog.relations).flatMap((r) => r.columns.map((c) => c.name));
  return [[...new Set([...match(columns), ...match(catalog.functions), ...keywords(SQL_KEYWORDS)])], word];
}

/** Whether the cursor is inside the parentheses of a WITH (...). */
function insideWith(head: string): boolean {
  const open = head.toUpperCase().lastIndexOf('WITH');
  if (open < 0) return false;
  const rest = head.slice(open + 4);
  if (!/^\s*\(/.test(rest)) return false;
  let depth = 0;
  for (const c of rest.replace(/'[^']*'/g, "''")) {
    if (c === '(') depth++;
    else if (c === ')') depth--;
  }
  return depth > 0;
}

/** The relations a statement names after FROM or JOIN, by name and by alias (lower case). */
function relationsNamed(sql: string, catalog: CompletionCatalog): Map<string, CompletionCatalog['relations'][number]> {
  const byName = new Map(catalog.relations.map((r) => [r.name.toLowerCase(), r]));
  const out = new Map<string, CompletionCatalog['relations'][number]>();
  // The alias is read ahead without being consumed, so `FROM a JOIN b` finds b too.
  const ref = /\b(?:from|join)\s+([A-Za-z_][A-Za-z0-9_]*)(?=\s+(?:as\s+)?([A-Za-z_][A-Za-z0-9_]*)|)/gi;
  for (const m of sql.matchAll(ref)) {
    const rel = byName.get(m[1]!.toLowerCase());
    if (!rel) continue;
    out.set(m[1]!.toLowerCase(), rel);
    const alias = m[2]?.toLowerCase();
    if (alias !== undefined && !SQL_KEYWORDS.includes(alias.toUpperCase())) out.set(alias, rel);
  }
  return out;
}
