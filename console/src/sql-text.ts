/** What the SQL page decides from text and applies to a live result: no DOM, so tests run it in Node. */

/** True when the text is one SELECT (or WITH ... SELECT): it streams through /v1/query. */
export function isOneSelect(sql: string): boolean {
  const text = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, '').trim().replace(/;\s*$/, '');
  const withoutStrings = text.replace(/'(?:[^']|'')*'/g, "''");
  return /^(SELECT|WITH)\b/i.test(text) && !withoutStrings.includes(';');
}

const same = (a: unknown[], b: unknown[]): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Applies one change to the rows: an update takes the place of the row it replaces. */
export function applyChange(rows: unknown[][], op: string, values: unknown[], pending: { at: number | undefined }): void {
  if (op === '+I') rows.push(values);
  else if (op === '+U') {
    if (pending.at !== undefined) rows.splice(pending.at, 0, values);
    else rows.push(values);
    pending.at = undefined;
  } else {
    const i = rows.findIndex((r) => same(r, values));
    if (i >= 0) rows.splice(i, 1);
    pending.at = op === '-U' && i >= 0 ? i : undefined;
  }
}
