/**
 * LIST_TRANSFORM, LIST_FILTER and LIST_REDUCE over one list, as DuckDB: `fn` is a lambda's body
 * compiled to a function of the element (and its 1-based index; the accumulator first, for
 * REDUCE). A NULL list never reaches them (NULL in, NULL out); a NULL element does.
 */
type Body = (...args: unknown[]) => unknown;

export const LIST_LAMBDAS = {
  transform(list: ArrayLike<unknown>, fn: Body): unknown[] {
    const out = new Array<unknown>(list.length);
    for (let i = 0; i < list.length; i++) out[i] = fn(list[i] ?? null, i + 1);
    return out;
  },
  // Only where the condition is TRUE: NULL and FALSE leave the element out.
  filter(list: ArrayLike<unknown>, fn: Body): unknown[] {
    const out: unknown[] = [];
    for (let i = 0; i < list.length; i++) if (fn(list[i] ?? null, i + 1) === true) out.push(list[i] ?? null);
    return out;
  },
  reduce(list: ArrayLike<unknown>, fn: Body, hasInitial: boolean, initial: unknown): unknown {
    if (list.length === 0 && !hasInitial) throw new Error('LIST_REDUCE of an empty list without an initial value (give one as the third argument)');
    let acc = hasInitial ? initial : (list[0] ?? null);
    for (let i = hasInitial ? 0 : 1; i < list.length; i++) acc = fn(acc, list[i] ?? null, i + 1);
    return acc;
  },
} as const;
