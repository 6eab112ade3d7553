/**
 * One total order and one equality for SQL values, as DuckDB defines them, shared by compiled
 * comparisons, MIN/MAX, GREATEST/LEAST and IN:
 * - strings compare by Unicode code point (the order of their UTF-8 bytes), not by UTF-16 unit;
 * - NaN equals NaN and sorts above every other number, +Infinity included; -0 equals 0;
 * - numbers and bigints compare by value; FALSE < TRUE;
 * - arrays compare element by element, then by length; structs field by field in declared order;
 *   bytes byte by byte. A NULL inside an array or struct sorts after every value.
 * Callers handle a top-level SQL NULL themselves (a comparison with NULL is NULL, not an order).
 */

/** Code point order of two strings, without splitting them into code points. */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order differs from code point order only between a surrogate (D800-DFFF, part of a
    // code point above FFFF) and a unit in E000-FFFF: move surrogates above that range.
    if (x >= 0xd800 && y >= 0xd800) {
      x += x >= 0xe000 ? -0x800 : 0x2000;
      y += y >= 0xe000 ? -0x800 : 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Numbers (or bigints) with NaN greatest and NaN equal to NaN. */
export function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (a < b) return -1;
  if (a > b) return 1;
  // Equal, or at least one is NaN.
  const an = a !== a;
  const bn = b !== b;
  return an === bn ? 0 : an ? 1 : -1;
}

/** The total order of two non-null SQL values of one type (see the module doc). */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : 1;
  if (b === null || b === undefined) return -1;
  switch (typeof a) {
    case 'string':
      return compareStrings(a, b as string);
    case 'number':
    case 'bigint':
      return compareNumbers(a, b as number | bigint);
    case 'boolean':
      return a === b ? 0 : a ? 1 : -1;
    default:
      break;
  }
  if (isList(a) && isList(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = compareValues(a[i] ?? null, b[i] ?? null);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (typeof a === 'object' && typeof b === 'object') {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of Object.keys(ao)) {
      const c = compareValues(ao[k] ?? null, bo[k] ?? null);
      if (c !== 0) return c;
    }
    return 0;
  }
  return compareStrings(String(a), String(b));
}

/** SQL `=` of two non-null values: NaN = NaN, -0 = 0, arrays and structs by content. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  return a === b || compareValues(a, b) === 0;
}

function isList(x: unknown): x is ArrayLike<unknown> {
  return Array.isArray(x) || (ArrayBuffer.isView(x) && !(x instanceof DataView));
}
