/**
 * What a query reads, by name: the streams, tables and views in its FROM and JOIN clauses
 * (subqueries included), the models its predict() and model_version() calls name, and the
 * registered functions it calls. Used to refuse dropping an object a view or sink still reads,
 * which would leave that query unable to run again when the engine restarts.
 */
import { normalizeName, type SelectQuery } from '../parser/ast.js';
import type { Catalog, QueryDependencies } from './catalog.js';

export type { QueryDependencies };

const MODEL_CALLS = new Set(['predict', 'model_version', 'model_role']);

/** `fraud` of `fraud@2`: a pinned version depends on its model. */
export function modelNameOnly(ref: string): string {
  const at = ref.lastIndexOf('@');
  return at < 0 ? ref : ref.slice(0, at);
}

/** The versions a query pins per model (`predict('fraud@2', ...)`), by normalized model name. */
export function pinnedVersions(query: SelectQuery): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const n = node as { kind?: unknown; name?: { name?: unknown }; args?: unknown };
    if (n.kind === 'Call' && typeof n.name?.name === 'string' && MODEL_CALLS.has(normalizeName(n.name.name)) && Array.isArray(n.args)) {
      const first = n.args[0] as { kind?: unknown; value?: unknown } | undefined;
      const m = first?.kind === 'Literal' && typeof first.value === 'string' ? /^(.*)@(\d+)$/.exec(first.value) : null;
      if (m) {
        const key = normalizeName(m[1]!);
        if (!out.has(key)) out.set(key, new Set());
        out.get(key)!.add(Number(m[2]));
      }
    }
    for (const [key, value] of Object.entries(node)) if (key !== 'span') visit(value);
  };
  visit(query);
  return out;
}

export function queryDependencies(query: SelectQuery, catalog: Catalog): QueryDependencies {
  const relations = new Set<string>();
  const models = new Set<string>();
  const functions = new Set<string>();
  // The AST is plain data: every node is an object with a `kind`; walk all of them.
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as { kind?: unknown; name?: { name?: unknown }; args?: unknown };
    if (n.kind === 'TableRef' && typeof n.name?.name === 'string') relations.add(normalizeName(n.name.name));
    if (n.kind === 'Call' && typeof n.name?.name === 'string') {
      const fn = normalizeName(n.name.name);
      const first = Array.isArray(n.args) ? (n.args[0] as { kind?: unknown; literal?: unknown; value?: unknown } | undefined) : undefined;
      if (MODEL_CALLS.has(fn) && first?.kind === 'Literal' && first.literal === 'string' && typeof first.value === 'string') models.add(normalizeName(modelNameOnly(first.value)));
      else if (catalog.findFunction(fn)) functions.add(fn);
    }
    for (const [key, value] of Object.entries(node)) if (key !== 'span') visit(value);
  };
  visit(query);
  return { relations, models, functions };
}
