/**
 * Splits typed SQL into complete statements at top-level semicolons, skipping semicolons inside
 * string literals, quoted names and comments. What follows the last semicolon is kept as `rest`.
 */
export interface SplitResult {
  /** Complete statements without their terminating semicolon, trimmed; empty ones dropped. */
  readonly statements: string[];
  readonly rest: string;
}

export function splitStatements(text: string): SplitResult {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') {
      i = skipQuoted(text, i, c);
    } else if (c === '-' && text[i + 1] === '-') {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === ';') {
      const stmt = text.slice(start, i).trim();
      if (stripComments(stmt) !== '') statements.push(stmt);
      start = i + 1;
      i++;
    } else {
      i++;
    }
  }
  return { statements, rest: text.slice(start) };
}

/** Index after the closing quote; a doubled quote is an escaped one. Unterminated: text length. */
function skipQuoted(text: string, open: number, q: string): number {
  let i = open + 1;
  while (i < text.length) {
    if (text[i] === q) {
      if (text[i + 1] === q) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return text.length;
}

/** The statement with comments removed and trimmed; used to tell blank input from SQL. */
export function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '').trim();
}

/** Statements whose results stream: SELECT, WITH, FROM-first, PIVOT and UNPIVOT queries go to POST /v1/query. */
export function isQuery(sql: string): boolean {
  return /^\(*\s*(select|with|from|pivot|unpivot)\b/i.test(stripComments(sql));
}
