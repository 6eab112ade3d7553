/**
 * Distances and similarities of two vectors (lists of numbers), as DuckDB's ARRAY_ and LIST_
 * functions: cosine similarity and distance, Euclidean distance, inner (dot) product and its
 * negative. Both lists must have the same length and no NULL element; either is a row error.
 */

type Vector = ArrayLike<unknown>;

function numbers(name: string, a: Vector, b: Vector): [Float64Array, Float64Array] {
  if (a.length !== b.length) throw new Error(`${name}: the lists have ${a.length} and ${b.length} elements; they must be as long`);
  const x = new Float64Array(a.length);
  const y = new Float64Array(b.length);
  for (let i = 0; i < a.length; i++) {
    const p = a[i];
    const q = b[i];
    if (p === null || p === undefined || q === null || q === undefined) throw new Error(`${name}: element ${i + 1} of ${p === null || p === undefined ? 'the first' : 'the second'} list is NULL`);
    x[i] = Number(p);
    y[i] = Number(q);
  }
  return [x, y];
}

function inner(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/** Cosine similarity, kept within [-1, 1] as DuckDB does it (so an all-zero vector gives -1, not NaN). */
function cosine(name: string, a: Vector, b: Vector): number {
  const [x, y] = numbers(name, a, b);
  const s = inner(x, y) / Math.sqrt(inner(x, x) * inner(y, y));
  const m = 1 < s ? 1 : s;
  return -1 < m ? m : -1;
}

function distance(name: string, a: Vector, b: Vector): number {
  const [x, y] = numbers(name, a, b);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! - y[i]!) ** 2;
  return Math.sqrt(s);
}

function dot(name: string, a: Vector, b: Vector): number {
  const [x, y] = numbers(name, a, b);
  return inner(x, y);
}

type Impl = { readonly fn: (...args: unknown[]) => unknown };

const family = (prefix: string): Record<string, Impl> => ({
  [`${prefix}_cosine_similarity`]: { fn: (a, b) => cosine(`${prefix.toUpperCase()}_COSINE_SIMILARITY`, a as Vector, b as Vector) },
  [`${prefix}_cosine_distance`]: { fn: (a, b) => 1 - cosine(`${prefix.toUpperCase()}_COSINE_DISTANCE`, a as Vector, b as Vector) },
  [`${prefix}_distance`]: { fn: (a, b) => distance(`${prefix.toUpperCase()}_DISTANCE`, a as Vector, b as Vector) },
  [`${prefix}_inner_product`]: { fn: (a, b) => dot(`${prefix.toUpperCase()}_INNER_PRODUCT`, a as Vector, b as Vector) },
  [`${prefix}_dot_product`]: { fn: (a, b) => dot(`${prefix.toUpperCase()}_DOT_PRODUCT`, a as Vector, b as Vector) },
  [`${prefix}_negative_inner_product`]: { fn: (a, b) => -dot(`${prefix.toUpperCase()}_NEGATIVE_INNER_PRODUCT`, a as Vector, b as Vector) },
  [`${prefix}_negative_dot_product`]: { fn: (a, b) => -dot(`${prefix.toUpperCase()}_NEGATIVE_DOT_PRODUCT`, a as Vector, b as Vector) },
});

/** ARRAY_COSINE_SIMILARITY, LIST_DISTANCE, ... (SCALAR_IMPLS entries). */
export const VECTOR_IMPLS: Readonly<Record<string, Impl>> = { ...family('array'), ...family('list') };
