/**
 * Writing the TIMESTAMP values of result columns as ISO-8601 text (see `formatTimestamp`), and
 * DATE values as `2026-12-02` text, found
 * from each column's type text, nested ARRAY and STRUCT values included. The HTTP API, the shell
 * and the CLI write timestamps through these.
 */
import { dateSqlText, formatTimestamp, timeSqlText } from './timestamp-text.js';
import { parseTypeText } from './type-text.js';
import type { DataType } from './types.js';

/** Rewrites the TIMESTAMP values inside one value of a column; values of other types pass unchanged. */
export type ValueWriter = (v: unknown) => unknown;

export const same: ValueWriter = (v) => v;

/**
 * One writer per column, from the column's type text; `same` where there is no TIMESTAMP to
 * write (or no type is known).
 */
export function isoWriters(columns: readonly { readonly type?: string }[], timestamps: 'iso' | 'epoch_ms' = 'iso'): ValueWriter[] {
  return columns.map((c) => {
    if (c.type === undefined || !/TIMESTAMP|DATE|TIME/i.test(c.type)) return same;
    const t = parseTypeText(c.type);
    return t === undefined ? same : (writerOf(t, timestamps) ?? same);
  });
}

/** The writer of values of `t`; with `epoch_ms`, TIMESTAMP values stay numbers (DATE values are text either way). */
function writerOf(t: DataType, timestamps: 'iso' | 'epoch_ms'): ValueWriter | undefined {
  switch (t.kind) {
    case 'TIMESTAMP':
      if (timestamps === 'epoch_ms') return undefined;
      return (v) => (typeof v === 'number' ? formatTimestamp(v) : typeof v === 'bigint' ? formatTimestamp(Number(v)) : v);
    case 'DATE':
      return (v) => (typeof v === 'number' ? dateSqlText(v) : v);
    case 'TIME':
      return (v) => (typeof v === 'number' ? timeSqlText(v) : v);
    case 'ARRAY': {
      const w = writerOf(t.element, timestamps);
      return w && ((v) => (Array.isArray(v) ? v.map(w) : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<unknown>, w) : v));
    }
    case 'STRUCT': {
      const ws = t.fields.map((f) => [f.name, writerOf(f.type, timestamps)] as const).filter((x): x is readonly [string, ValueWriter] => x[1] !== undefined);
      if (ws.length === 0) return undefined;
      return (v) => {
        if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
        const out = { ...(v as Record<string, unknown>) };
        for (const [name, w] of ws) if (name in out) out[name] = w(out[name]);
        return out;
      };
    }
    default:
      return undefined;
  }
}
