/**
 * A list, struct or map as text, as DuckDB casts it to VARCHAR: `[1, 2, NULL]`, `{'a': 1, 'b': x}`,
 * `{a=1, b=NULL}`.
 * Elements and field values are written as their own CAST to text writes them, and put in single
 * quotes (with `\'` for a quote) where the text could be misread: empty, the word NULL in any
 * case, space at either end, or one of the characters that delimit nested values. Field names
 * are always quoted.
 */
import { mapTypes, type DataType } from '../common/types.js';

/** The characters after which text needs quotes to be read back as one value. */
const DELIMITERS = /[[\]{}(),:='"]/;

export function nestedTextCaster(from: DataType, scalar: (t: DataType) => (x: unknown) => unknown): (x: unknown) => string {
  const map = mapTypes(from);
  if (map) {
    // A MAP as DuckDB writes it: {k=v, k2=v2}.
    const key = valueText(map.key, scalar);
    const value = valueText(map.value, scalar);
    return (x) => `{${Array.from(x as ArrayLike<{ key: unknown; value: unknown }>, (e) => `${key(e.key)}=${value(e.value)}`).join(', ')}}`;
  }
  if (from.kind === 'ARRAY') {
    const each = valueText(from.element, scalar);
    return (x) => `[${Array.from(x as ArrayLike<unknown>, each).join(', ')}]`;
  }
  if (from.kind === 'STRUCT') {
    const fields = from.fields.map((f) => ({ key: quoted(f.name), text: valueText(f.type, scalar), name: f.name }));
    return (x) => {
      const o = x as Record<string, unknown>;
      return `{${fields.map((f) => `${f.key}: ${f.text(o[f.name])}`).join(', ')}}`;
    };
  }
  const text = scalar(from);
  return (x) => String(text(x));
}

function valueText(t: DataType, scalar: (t: DataType) => (x: unknown) => unknown): (x: unknown) => string {
  const nested = t.kind === 'ARRAY' || t.kind === 'STRUCT';
  const text = nested ? nestedTextCaster(t, scalar) : scalar(t);
  return (x) => {
    if (x === null || x === undefined) return 'NULL';
    const s = String(text(x));
    return nested ? s : needsQuotes(s) ? quoted(s) : s;
  };
}

function needsQuotes(s: string): boolean {
  return s === '' || s.toLowerCase() === 'null' || /^\s|\s$/.test(s) || DELIMITERS.test(s);
}

function quoted(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
