/**
 * List functions that build or pick from lists, as DuckDB has them: LIST_APPEND, LIST_PREPEND,
 * ARRAY_POP_BACK/FRONT, FLATTEN, ARRAY_INTERSECT, LIST_WHERE, LIST_SELECT, LIST_FIRST/LAST/ANY_VALUE and
 * LIST_STRING_AGG (the shortcuts of LIST_AGGREGATE). A list is a JavaScript array; NULL in, NULL
 * out unless an entry says `nullSafe`.
 */
import { hashable, hashableValue } from '../common/keys.js';

type Impl = { readonly fn: (...args: unknown[]) => unknown; readonly nullSafe?: boolean };

/** The elements that are not NULL. */
export function present(a: ArrayLike<unknown>): unknown[] {
  return Array.from(a).filter((v) => v !== null && v !== undefined);
}

/** The key two equal elements share (NaN is one value; nested values by their JSON). */
export function elementKey(v: unknown): unknown {
  return typeof v === 'object' && v !== null ? hashable(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))) : typeof v === 'bigint' && Number.isSafeInteger(Number(v)) ? Number(v) : hashableValue(v);
}

const items = (a: unknown): unknown[] => (a === null || a === undefined ? [] : Array.from(a as ArrayLike<unknown>));

export const LIST_IMPLS: Readonly<Record<string, Impl>> = {
  // A NULL list is an empty one here, and a NULL element is appended as DuckDB does.
  list_append: { fn: (a, x) => [...items(a), x ?? null], nullSafe: true },
  list_prepend: { fn: (x, a) => [x ?? null, ...items(a)], nullSafe: true },
  array_pop_back: { fn: (a) => items(a).slice(0, -1) },
  array_pop_front: { fn: (a) => items(a).slice(1) },
  // One level: the lists of a list joined, NULL lists passed over.
  flatten: { fn: (a) => items(a).flatMap((x) => items(x)) },
  // The distinct non-NULL elements of `a` that are also in `b`, in `a`'s order; a NULL `b` has
  // none, a NULL `a` gives NULL (as DuckDB).
  array_intersect: { fn: (a, b) => (a === null || a === undefined ? null : intersect(items(a), items(b))), nullSafe: true },
  list_where: { fn: (a, mask) => where(items(a), items(mask)) },
  // The elements at the 1-based indexes given, NULL for an index out of range (0 and negatives too, as DuckDB).
  list_select: { fn: (a, idx) => select(items(a), items(idx)) },
  array_select: { fn: (a, idx) => select(items(a), items(idx)) },
  // FIRST and LAST take NULL elements as they come; ANY_VALUE the first that is not NULL.
  list_first: { fn: (a) => items(a)[0] ?? null },
  list_last: { fn: (a) => items(a).at(-1) ?? null },
  list_any_value: { fn: (a) => present(items(a))[0] ?? null },
  list_string_agg: { fn: (a, sep) => stringAgg(items(a), sep) },
};

function intersect(a: unknown[], b: unknown[]): unknown[] {
  const keys = new Set(present(b).map(elementKey));
  const seen = new Set<unknown>();
  return present(a).filter((v) => {
    const k = elementKey(v);
    if (!keys.has(k) || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** LIST_WHERE(list, mask): the elements whose mask entry is TRUE; a NULL in the mask is a row error, as DuckDB. */
function where(a: unknown[], mask: unknown[]): unknown[] {
  if (mask.some((m) => m === null || m === undefined)) throw new Error('LIST_WHERE: the mask holds a NULL; use TRUE or FALSE for each element');
  return a.filter((_v, i) => mask[i] === true);
}

function select(a: unknown[], idx: unknown[]): unknown[] {
  return idx.map((i) => {
    if (i === null || i === undefined) throw new Error('LIST_SELECT: an index is NULL; give a position from 1 for each element wanted');
    const k = Number(i);
    return k >= 1 && k <= a.length ? (a[k - 1] ?? null) : null;
  });
}

/** STRING_AGG over a list: the non-NULL elements as text, joined by `sep` (',' by default); NULL when there are none. */
function stringAgg(a: unknown[], sep: unknown): string | null {
  const xs = present(a);
  return xs.length === 0 ? null : xs.map(String).join(sep === undefined || sep === null ? ',' : String(sep));
}
