/** What the shell completes from: relations with their kinds and columns, models, functions and WITH option keys. */
import { typeToString } from '../common/types.js';
import { allOptionKeys } from '../connectors/registry.js';
import type { Catalog } from '../planner/catalog.js';
import { MODEL_OPTION_KEYS } from '../udf/model-registry.js';
import type { ResultColumn } from './types.js';

export interface CatalogSummary {
  readonly relations: readonly { readonly name: string; readonly kind: 'stream' | 'table' | 'view' | 'sink'; readonly columns: readonly ResultColumn[] }[];
  readonly models: readonly string[];
  readonly functions: readonly string[];
  /** Option keys that WITH (...) takes somewhere: relations, connectors and models. */
  readonly options: readonly string[];
}

export function catalogSummary(catalog: Catalog): CatalogSummary {
  return {
    relations: catalog.listRelations().map((r) => ({ name: r.name, kind: r.kind, columns: r.schema.map((f) => ({ name: f.name, type: typeToString(f.type) })) })),
    models: catalog.listModels().map((m) => m.name),
    functions: catalog.listFunctions().map((f) => f.name),
    options: [...new Set([...allOptionKeys(), ...MODEL_OPTION_KEYS])].sort(),
  };
}
