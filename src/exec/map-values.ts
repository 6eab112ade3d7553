/**
 * MAP values and functions, as DuckDB has them. A MAP value is the list of its entries, each a
 * `{ key, value }` object (the STRUCT<key, value> elements of its ARRAY type, see mapOf): what
 * Arrow holds, and what a DuckDB client reads as well.
 *
 * Invariants: a map built here has no NULL key and no key twice (MAP(...), MAP {...}, CASTs and
 * JSON input fail the row otherwise, as DuckDB fails the statement); entries keep the order they
 * were given; two keys are the same where list functions take two elements as equal
 * (elementKey: 1 and 1::BIGINT are one key, NaN is one key).
 */
import { elementKey } from './list-functions.js';

export interface MapEntry {
  readonly key: unknown;
  readonly value: unknown;
}

type Impl = { readonly fn: (...args: unknown[]) => unknown; readonly nullSafe?: boolean };

const isNull = (x: unknown): boolean => x === null || x === undefined;
const entriesOf = (m: unknown): readonly MapEntry[] => (isNull(m) ? [] : (m as readonly MapEntry[]));

/** Checks that `entries` make a map (no NULL key, no key twice); returns them. */
export function checkedMap(entries: MapEntry[], what: string): MapEntry[] {
  const seen = new Set<unknown>();
  for (const e of entries) {
    if (isNull(e.key)) throw new Error(`${what}: a map key is NULL; every key of a MAP must be a value`);
    const k = elementKey(e.key);
    if (seen.has(k)) throw new Error(`${what}: the key ${typeof e.key === 'string' ? `'${e.key}'` : String(e.key)} comes twice; the keys of a MAP must be unique`);
    seen.add(k);
  }
  return entries;
}

/** MAP(keys, values): the i-th key with the i-th value. */
function mapOfLists(keys: unknown, values: unknown): MapEntry[] {
  const ks = Array.from((keys ?? []) as ArrayLike<unknown>);
  const vs = Array.from((values ?? []) as ArrayLike<unknown>);
  if (ks.length !== vs.length) throw new Error(`MAP: ${ks.length} key${ks.length === 1 ? '' : 's'} but ${vs.length} value${vs.length === 1 ? '' : 's'}; give one value for each key`);
  return checkedMap(
    ks.map((key, i) => ({ key, value: vs[i] ?? null })),
    'MAP',
  );
}

/** The entry of `key` in `m`, or undefined. */
function find(m: unknown, key: unknown): MapEntry | undefined {
  if (isNull(key)) return undefined;
  const k = elementKey(key);
  return entriesOf(m).find((e) => elementKey(e.key) === k);
}

/** MAP_CONCAT: the entries of every map, in order; a key in several keeps its first place and takes the last value. */
function concat(maps: unknown[]): MapEntry[] {
  const out: { key: unknown; value: unknown }[] = [];
  const at = new Map<unknown, number>();
  for (const m of maps) {
    for (const e of entriesOf(m)) {
      const k = elementKey(e.key);
      const i = at.get(k);
      if (i === undefined) {
        at.set(k, out.length);
        out.push({ key: e.key, value: e.value });
      } else out[i]!.value = e.value;
    }
  }
  return out;
}

/** MAP_FROM_ENTRIES: each struct's first field the key, its second the value. */
function fromEntries(list: unknown): MapEntry[] {
  const entries = Array.from(list as ArrayLike<unknown>, (s): MapEntry => {
    if (isNull(s)) throw new Error('MAP_FROM_ENTRIES: an entry is NULL; give a (key, value) struct for each entry');
    const [key, value] = Object.values(s as Record<string, unknown>);
    return { key: key ?? null, value: value ?? null };
  });
  return checkedMap(entries, 'MAP_FROM_ENTRIES');
}

export const MAP_IMPLS: Readonly<Record<string, Impl>> = {
  // MAP() is the empty map; a NULL list of keys or values is an empty one.
  map: { fn: (keys, values) => mapOfLists(keys, values), nullSafe: true },
  map_from_entries: { fn: fromEntries },
  map_keys: { fn: (m) => entriesOf(m).map((e) => e.key) },
  map_values: { fn: (m) => entriesOf(m).map((e) => e.value ?? null) },
  map_entries: { fn: (m) => entriesOf(m).map((e) => ({ key: e.key, value: e.value ?? null })) },
  // [value] where the map has the key, [] where it has not (a NULL key too), as DuckDB.
  map_extract: { fn: (m, k) => (isNull(m) ? null : ((e) => (e ? [e.value ?? null] : []))(find(m, k))), nullSafe: true },
  map_extract_value: { fn: (m, k) => find(m, k)?.value ?? null },
  map_contains: { fn: (m, k) => find(m, k) !== undefined },
  map_contains_value: {
    fn: (m, v) => {
      const k = elementKey(v);
      return entriesOf(m).some((e) => !isNull(e.value) && elementKey(e.value) === k);
    },
  },
  map_concat: { fn: (...maps) => concat(maps), nullSafe: true },
};

/**
 * A map from text, as CAST reads it: DuckDB's `{k=v, k2=v2}` (text between single quotes taken
 * as it is), or JSON (an object, or a list of {"key": ..., "value": ...}), which the caller
 * converts. Gives the entries as text for DuckDB's form, or undefined for anything else.
 */
export function mapTextEntries(text: string): { key: string; value: string | null }[] | undefined {
  const s = text.trim();
  if (!s.startsWith('{') || !s.endsWith('}')) return undefined;
  const body = s.slice(1, -1);
  if (body.trim() === '') return [];
  const parts = splitTopLevel(body);
  if (parts === undefined) return undefined;
  const out: { key: string; value: string | null }[] = [];
  for (const p of parts) {
    const eq = topLevelIndex(p, '=');
    if (eq < 0) return undefined;
    const key = unquote(p.slice(0, eq));
    const raw = p.slice(eq + 1).trim();
    out.push({ key, value: raw.toUpperCase() === 'NULL' ? null : unquote(raw) });
  }
  return out;
}

/** `s` cut at the commas outside quotes and brackets, or undefined where they do not balance. */
function splitTopLevel(s: string): string[] | undefined {
  const commas = topLevel(s, ',');
  if (commas === undefined) return undefined;
  return [-1, ...commas].map((at, k) => s.slice(at + 1, commas[k] ?? s.length));
}

/** The first `c` of `s` outside quotes and brackets, or -1. */
function topLevelIndex(s: string, c: string): number {
  return topLevel(s, c)?.[0] ?? -1;
}

/** Where `c` stands in `s` outside single quotes and brackets; undefined where they do not balance. */
function topLevel(s: string, c: string): number[] | undefined {
  const at: number[] = [];
  let depth = 0;
  let quote = false;
  for (let i = 0; i < s.length; i++) {
    const x = s[i]!;
    if (quote) {
      if (x === '\\') i++;
      else if (x === "'") quote = false;
    } else if (x === "'") quote = true;
    else if (x === '[' || x === '{' || x === '(') depth++;
    else if (x === ']' || x === '}' || x === ')') depth--;
    else if (x === c && depth === 0) at.push(i);
    if (depth < 0) return undefined;
  }
  return quote || depth !== 0 ? undefined : at;
}

/** Text trimmed, and taken out of single quotes (with `\'` and `\\` unescaped) where it is in them. */
function unquote(s: string): string {
  const t = s.trim();
  if (t.length >= 2 && t.startsWith("'") && t.endsWith("'")) return t.slice(1, -1).replace(/\\(.)/g, '$1');
  return t;
}
