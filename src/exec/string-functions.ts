/**
 * String functions by code point, as DuckDB: lengths and positions count characters (code
 * points), never UTF-16 units, so an emoji is one character and is never split. Arguments are
 * non-null (the compiled code returns NULL for a NULL argument) unless `nullSafe` is set.
 */
import { compareValues } from './sql-values.js';

type Impl = { readonly fn: (...args: unknown[]) => unknown; readonly nullSafe?: boolean };

const str = (x: unknown): string => x as string;
const int = (x: unknown): number => Number(x);

/** Number of code points. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/**
 * SUBSTRING(s, start[, length]) as DuckDB: 1-based; a negative start counts from the end; start 0
 * begins one character before the first; a negative length takes the characters before start.
 */
export function substring(s: string, start: number, length?: number): string {
  const chars = Array.from(s);
  const size = chars.length;
  let from = start > 0 ? start - 1 : start < 0 ? size + start : 0;
  let len = length;
  if (start === 0 && len !== undefined) {
    len--;
    if (len <= 0) return '';
  }
  let to = size;
  if (len !== undefined) {
    if (len >= 0) to = from + len;
    else {
      to = from;
      from += len;
    }
  }
  from = Math.min(Math.max(from, 0), size);
  to = Math.min(Math.max(to, 0), size);
  return from < to ? chars.slice(from, to).join('') : '';
}

/** Removes characters in `chars` (default: the space only) from the chosen ends of `s`. */
export function trimChars(s: string, chars: string, leading: boolean, trailing: boolean): string {
  const set = new Set(chars);
  const cs = Array.from(s);
  let from = 0;
  let to = cs.length;
  if (leading) while (from < to && set.has(cs[from]!)) from++;
  if (trailing) while (to > from && set.has(cs[to - 1]!)) to--;
  return from === 0 && to === cs.length ? s : cs.slice(from, to).join('');
}

/** The non-null argument that `better` prefers over all others; NULL only when all are NULL. */
function pick(xs: readonly unknown[], better: (c: number) => boolean): unknown {
  let best: unknown = null;
  for (const x of xs) if (x !== null && (best === null || better(compareValues(x, best)))) best = x;
  return best;
}

export const STRING_IMPLS: Readonly<Record<string, Impl>> = {
  lower: { fn: (s) => str(s).toLowerCase() },
  upper: { fn: (s) => str(s).toUpperCase() },
  trim: { fn: (s, chars) => trimChars(str(s), chars === undefined ? ' ' : str(chars), true, true) },
  ltrim: { fn: (s, chars) => trimChars(str(s), chars === undefined ? ' ' : str(chars), true, false) },
  rtrim: { fn: (s, chars) => trimChars(str(s), chars === undefined ? ' ' : str(chars), false, true) },
  length: { fn: (s) => codePointLength(str(s)) },
  char_length: { fn: (s) => codePointLength(str(s)) },
  substring: { fn: (s, start, len) => substring(str(s), int(start), len === undefined ? undefined : int(len)) },
  substr: { fn: (s, start, len) => substring(str(s), int(start), len === undefined ? undefined : int(len)) },
  // An empty pattern matches nowhere (DuckDB): the input comes back unchanged.
  replace: { fn: (s, from, to) => (str(from) === '' ? s : str(s).split(str(from)).join(str(to))) },
  // CONCAT skips NULLs (all NULL gives ''); `||` is NULL when either side is.
  concat: { fn: (...xs) => xs.map((x) => (x === null ? '' : String(x))).join(''), nullSafe: true },
  // GREATEST and LEAST ignore NULLs, as DuckDB and PostgreSQL do.
  greatest: { fn: (...xs) => pick(xs, (c) => c > 0), nullSafe: true },
  least: { fn: (...xs) => pick(xs, (c) => c < 0), nullSafe: true },
};
