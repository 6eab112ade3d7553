/**
 * The references collected from a version's first `reference.rows` scored rows, kept in the
 * engine's store per model and version: a restart compares with the same reference instead of
 * collecting a new one from the rows scored after it. A version whose collection a crash cut
 * short collects again from the start. DROP MODEL forgets them.
 */
import { KvTable, type Store } from '../state/index.js';
import type { Reference } from '../udf/drift.js';
import type { ReferenceKeeper } from '../udf/model-registry.js';

const REFERENCES = '__model_references';

const keyOf = (model: string, version: number): string => `${model.toLowerCase()}\u0000${version}`;

export function storeReferences(store: Store): ReferenceKeeper {
  const table = new KvTable<{ reference: string }>(store, REFERENCES);
  return {
    load: async (model, version) => {
      const row = await table.get(keyOf(model, version));
      return row ? (JSON.parse(row.reference) as Reference) : undefined;
    },
    save: (model, version, reference) => table.upsert(keyOf(model, version), { reference: JSON.stringify(reference) }),
  };
}

/** Forgets every reference kept for `model` (DROP MODEL), so a model created again under the name collects its own. */
export async function forgetReferences(store: Store, model: string): Promise<void> {
  await new KvTable(store, REFERENCES).deletePrefix(`${model.toLowerCase()}\u0000`);
}
