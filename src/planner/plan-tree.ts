/**
 * Children tables for plan types: each plan type (logical, physical) declares one table with an
 * entry per node kind, typed so that a missing kind fails to compile, and gets its traversal
 * functions from here. No traversal elsewhere lists kinds with a `default:` that would hide one.
 */

/** How to read and replace the inputs of one node kind; `withChildren` takes as many plans as `children` gives. */
export interface ChildrenOf<N, P> {
  children(p: N): P[];
  withChildren(p: N, c: readonly P[]): N;
}

/** A table with one entry per kind of the union `P`. */
export type ChildrenTable<P extends { readonly kind: string }> = { readonly [K in P['kind']]: ChildrenOf<Extract<P, { readonly kind: K }>, P> };

export function leaf<N, P>(): ChildrenOf<N, P> {
  return { children: () => [], withChildren: (p) => p };
}

export function oneInput<N extends { readonly input: P }, P>(): ChildrenOf<N, P> {
  return { children: (p) => [p.input], withChildren: (p, c) => ({ ...p, input: c[0]! }) };
}

export function twoInputs<N extends { readonly left: P; readonly right: P }, P>(): ChildrenOf<N, P> {
  return { children: (p) => [p.left, p.right], withChildren: (p, c) => ({ ...p, left: c[0]!, right: c[1]! }) };
}

export function manyInputs<N extends { readonly inputs: readonly P[] }, P>(): ChildrenOf<N, P> {
  return { children: (p) => [...p.inputs], withChildren: (p, c) => ({ ...p, inputs: [...c] }) };
}

/** children / withChildren / mapChildren over a plan type, from its table. */
export function planTree<P extends { readonly kind: string }>(table: ChildrenTable<P>) {
  const entry = (p: P) => table[p.kind as P['kind']] as unknown as ChildrenOf<P, P>;
  const children = (p: P): P[] => entry(p).children(p);
  const withChildren = <N extends P>(p: N, c: readonly P[]): N => entry(p).withChildren(p, c) as N;
  const mapChildren = <N extends P>(p: N, f: (c: P) => P): N => {
    const cs = children(p);
    return cs.length === 0 ? p : withChildren(p, cs.map(f));
  };
  return { children, withChildren, mapChildren };
}
