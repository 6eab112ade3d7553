/**
 * The state of one running query (or one partition's task of a scale-out query): the state
 * tables of its operators, named by stable state id, read through the engine's state cache and
 * flushed into each checkpoint's write batch.
 *
 * Layout: operator `i`'s table `name` is the namespace `<queryId>/<scope><stateId>.<name>`
 * (`scope` is empty for a query running here alone, `k3.` or `s0.` for a scale-out task), so all
 * state of one operator is one contiguous key range.
 */
import type { OperatorState } from '../exec/message.js';
import { STATE_PREFIX } from '../state/state-table.js';
import { StateTable, stringPrefixRange, type StateCache, type StateRow, type Store, type WriteBatch } from '../state/index.js';

/** State bytes on disk of one operator of a query. */
export interface OperatorStateBytes {
  /** The operator's state id. */
  readonly operator: string;
  readonly bytes: number;
}

export class QueryState {
  private readonly tables = new Map<string, StateTable<StateRow>>();

  constructor(
    private readonly store: Store,
    private readonly cache: StateCache | undefined,
    readonly queryId: string,
    /** State id of each operator index (see resolveStateIds). */
    private readonly ids: readonly string[],
    private readonly scope = '',
    /** The query has no checkpoint yet, so none of its tables holds anything on disk (see StateTableOptions.startsEmpty). */
    private readonly fresh = false,
    /** The query never checkpoints (a push query): its tables are ephemeral (see StateTableOptions.ephemeral). */
    private readonly ephemeral = false,
  ) {}

  /** The state of operator `index` of the pipeline (what PipelineOptions.state returns). */
  operator(index: number): OperatorState {
    const id = this.ids[index] ?? `op${index}`;
    return { table: (name) => this.table(`${id}.${name}`) };
  }

  /** The table `name` in this query's scope (created on first use, then the same object). */
  table(name: string): StateTable<StateRow> {
    const ns = `${this.queryId}/${this.scope}${name}`;
    let t = this.tables.get(ns);
    if (!t) {
      t = new StateTable<StateRow>(this.store, ns, 0, { ...(this.cache ? { cache: this.cache } : {}), startsEmpty: this.fresh, ephemeral: this.ephemeral });
      this.tables.set(ns, t);
    }
    return t;
  }

  /** Stages every table's changes into the checkpoint's write batch. */
  flush(wb: WriteBatch): void {
    for (const t of this.tables.values()) t.flush(wb);
  }

  /** Frees the cache entries of every table (the query stopped; its state stays on disk). */
  release(): void {
    for (const t of this.tables.values()) t.release();
  }

  /** Approximate bytes on disk of each stateful operator's state (flushed files only). */
  async diskBytes(): Promise<OperatorStateBytes[]> {
    const out: OperatorStateBytes[] = [];
    for (const id of new Set(this.ids)) {
      if (/^op\d+$/.test(id) && !this.hasTables(id)) continue;
      const bytes = await this.store.approximateSize(stringPrefixRange([STATE_PREFIX, this.queryId], `${this.scope}${id}.`));
      out.push({ operator: id, bytes });
    }
    return out;
  }

  private hasTables(id: string): boolean {
    const prefix = `${this.queryId}/${this.scope}${id}.`;
    for (const ns of this.tables.keys()) if (ns.startsWith(prefix)) return true;
    return false;
  }
}
