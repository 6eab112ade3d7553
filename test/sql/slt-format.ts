/**
 * The `.slt` file format: records separated by blank lines. A record starts with a header line
 * (`statement ok`, `statement error CODE`, `query [rowsort|changelog|duckdb|duckdb-ordered]`, `checkpoint`) or
 * is a run of `#` comment lines. A blank line ends a record only when the next non-blank line
 * starts a new record, so expected error text may itself contain blank lines.
 */

export type SltRecord =
  | { readonly kind: 'comment'; readonly line: number; readonly text: string }
  | { readonly kind: 'checkpoint'; readonly line: number }
  | { readonly kind: 'statement-ok'; readonly line: number; readonly sql: string }
  | { readonly kind: 'statement-error'; readonly line: number; readonly sql: string; code: string; expected: string }
  | { readonly kind: 'query'; readonly line: number; readonly sql: string; readonly mode: QueryMode; expected: string };

export type QueryMode = 'plain' | 'rowsort' | 'changelog' | 'duckdb' | 'duckdb-ordered';

const HEADER = /^(statement ok|statement error\b|query\b|checkpoint\b|#)/;

/** Splits the text into blocks of lines with the 1-based line number of each block's start. */
function blocks(text: string): { line: number; lines: string[] }[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const out: { line: number; lines: string[] }[] = [];
  let cur: { line: number; lines: string[] } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] ?? '';
    if (l.trim() === '') {
      if (!cur) continue;
      let j = i + 1;
      while (j < lines.length && (lines[j] ?? '').trim() === '') j++;
      const next = lines[j];
      if (next === undefined || HEADER.test(next)) {
        out.push(cur);
        cur = undefined;
        i = j - 1;
      } else {
        for (let k = i; k < j; k++) cur.lines.push('');
        i = j - 1;
      }
      continue;
    }
    if (!cur) cur = { line: i + 1, lines: [] };
    else if (cur.lines[0]?.startsWith('#') !== l.startsWith('#') && !cur.lines.includes('----')) {
      out.push(cur);
      cur = { line: i + 1, lines: [] };
    }
    cur.lines.push(l);
  }
  if (cur) out.push(cur);
  return out;
}

export function parseSlt(text: string, file = '<slt>'): SltRecord[] {
  return blocks(text).map(({ line, lines }) => {
    const header = lines[0] ?? '';
    if (header.startsWith('#')) return { kind: 'comment', line, text: lines.join('\n') };
    const sep = lines.indexOf('----');
    const body = lines.slice(1, sep < 0 ? undefined : sep).join('\n').trim();
    const expected = sep < 0 ? '' : lines.slice(sep + 1).join('\n');
    const words = header.trim().split(/\s+/);
    const where = `${file}:${line}`;
    if (words[0] === 'checkpoint') return { kind: 'checkpoint', line };
    if (body === '') throw new Error(`${where}: '${header}' has no SQL`);
    if (words[0] === 'statement' && words[1] === 'ok') return { kind: 'statement-ok', line, sql: body };
    if (words[0] === 'statement' && words[1] === 'error') {
      return { kind: 'statement-error', line, sql: body, code: words[2] ?? '', expected };
    }
    if (words[0] === 'query') {
      const mode = (words[1] ?? 'plain') as QueryMode;
      if (!['plain', 'rowsort', 'changelog', 'duckdb', 'duckdb-ordered'].includes(mode)) throw new Error(`${where}: unknown query mode '${mode}'`);
      if (sep < 0) throw new Error(`${where}: query needs '----' and expected output`);
      return { kind: 'query', line, sql: body, mode, expected };
    }
    throw new Error(`${where}: unknown record header '${header}'`);
  });
}

/** Writes records back in the same format (used when rewriting expected output). */
export function formatSlt(records: readonly SltRecord[]): string {
  const parts = records.map((r) => {
    switch (r.kind) {
      case 'comment':
        return r.text;
      case 'checkpoint':
        return 'checkpoint';
      case 'statement-ok':
        return `statement ok\n${r.sql}`;
      case 'statement-error':
        return `statement error ${r.code}\n${r.sql}\n----\n${r.expected}`;
      case 'query':
        return `query${r.mode === 'plain' ? '' : ` ${r.mode}`}\n${r.sql}\n----${r.expected === '' ? '' : `\n${r.expected}`}`;
    }
  });
  return parts.join('\n\n') + '\n';
}
