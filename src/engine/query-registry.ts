/**
 * The queries of an engine: those running (push, view and sink queries), those recorded but not
 * running (parked: failed to restore, or not started), and the push queries winding down.
 */
import type { SluiceError } from '../common/errors.js';
import { normalizeName } from '../parser/index.js';
import type { EmbeddedLog } from '../state/index.js';
import { parkedInfo, type ParkedQuery } from './parked-query.js';
import type { QueryHandle } from './running-query.js';
import type { QueryInfo } from './types.js';

export class QueryRegistry {
  /** Running queries by id. */
  readonly running = new Map<string, QueryHandle>();
  /**
   * Views and sinks recorded in the data folder that are not running, by normalized name: they
   * failed to restore (status 'failed', with the reason), the engine was opened with
   * `startQueries: false` (status 'not_started'), or they were stopped (status 'stopped', until
   * started; see query-control.ts). SHOW QUERIES lists them and DROP removes them; failed and
   * not started ones are tried again on the next open.
   */
  private readonly parked = new Map<string, ParkedQuery>();
  /** Push queries winding down (their empty dead-letter streams being dropped). */
  private readonly ending = new Set<Promise<unknown>>();
  /** Push queries cancelled by `cancel` (DELETE /v1/queries/:id), until removed: their streams say so at the end. */
  private readonly cancelledIds = new Set<string>();
  private counter = 0;

  constructor(private readonly log: EmbeddedLog) {}

  /** A new id for a push query: `<prefix>_<n>`. */
  nextId(prefix: string): string {
    return `${prefix}_${++this.counter}`;
  }

  /** Ids from earlier runs (`push_<n>` dead-letter topics): new ids start after `n`. */
  noteUsedId(n: number): void {
    this.counter = Math.max(this.counter, n);
  }

  add(q: QueryHandle): void {
    this.running.set(q.id, q);
  }

  get(id: string): QueryHandle | undefined {
    return this.running.get(id);
  }

  remove(id: string): void {
    this.running.delete(id);
    this.cancelledIds.delete(id);
  }

  /** Whether `cancel` stopped the query (rather than its input ending, a LIMIT or its own client). */
  wasCancelled(id: string): boolean {
    return this.cancelledIds.has(id);
  }

  /** The query's name for metrics: its view or sink name, else its id. */
  label(id: string): string {
    return this.running.get(id)?.name ?? id;
  }

  /** Stops a running query; false when none has that id. */
  cancel(id: string): boolean {
    const q = this.running.get(id);
    if (!q) return false;
    if (q.kind === 'push') this.cancelledIds.add(id);
    q.stop('finished');
    this.running.delete(id);
    return true;
  }

  /** Stops a running query and waits until it has released what it holds. */
  async stopAndWait(id: string): Promise<void> {
    const q = this.running.get(id);
    if (!q) return;
    q.stop('finished');
    await q.stopped();
    this.running.delete(id);
  }

  park(kind: 'view' | 'sink', name: string, sql: string, status: ParkedQuery['status'], error?: SluiceError): void {
    const n = normalizeName(name);
    this.parked.set(n, { id: `${kind}_${n}`, kind, name: n, sql, status, ...(error ? { error } : {}) });
  }

  /** A recorded view or sink that is not running, by name. */
  parkedQuery(name: string): ParkedQuery | undefined {
    return this.parked.get(normalizeName(name));
  }

  /** A recorded view or sink that is not running, by its query id. */
  parkedById(id: string): ParkedQuery | undefined {
    return [...this.parked.values()].find((x) => x.id === id);
  }

  /** The recorded views or sinks of one kind that are not running. */
  parkedOf(kind: ParkedQuery['kind']): ParkedQuery[] {
    return [...this.parked.values()].filter((p) => p.kind === kind);
  }

  unpark(name: string): void {
    this.parked.delete(normalizeName(name));
  }

  /** Keeps `close` waiting for `done` (a push query winding down). */
  track(done: Promise<unknown>): void {
    this.ending.add(done);
    void done.finally(() => this.ending.delete(done));
  }

  list(): QueryInfo[] {
    return [...[...this.running.values()].map((q) => q.info(this.lagOf(q))), ...[...this.parked.values()].map(parkedInfo)];
  }

  info(id: string): QueryInfo | undefined {
    const q = this.running.get(id);
    if (q) return q.info(this.lagOf(q));
    const p = this.parkedById(id);
    return p && parkedInfo(p);
  }

  /** Views and sinks that are running now. */
  persistentRunning(): QueryHandle[] {
    return [...this.running.values()].filter((q) => q.kind !== 'push' && q.status === 'running');
  }

  /** The most records a running view or sink reading `topic` has yet to read (0 when none reads it). */
  readerLag(topic: string): number {
    let most = 0;
    for (const q of this.persistentRunning()) {
      let lag = 0;
      for (const [k, pos] of Object.entries(q.positionsNow())) {
        const slash = k.lastIndexOf('/');
        if (k.slice(0, slash) === topic) lag += Math.max(0, this.log.highWatermark(topic, Number(k.slice(slash + 1))) - pos);
      }
      most = Math.max(most, lag);
    }
    return most;
  }

  /** Records available in a query's inputs but not yet read, when known. */
  lagOf(q: QueryHandle): number | undefined {
    if (q.lag) return q.lag();
    let lag = 0;
    let any = false;
    for (const [k, pos] of Object.entries(q.positionsNow())) {
      const slash = k.lastIndexOf('/');
      if (slash < 0) continue;
      const topic = k.slice(0, slash);
      if (!this.log.hasTopic(topic)) continue;
      lag += Math.max(0, this.log.highWatermark(topic, Number(k.slice(slash + 1))) - pos);
      any = true;
    }
    return any ? lag : undefined;
  }

  /** Stops every query and waits for them and for push queries winding down. */
  async stopAll(): Promise<void> {
    for (const q of this.running.values()) q.stop('finished');
    await Promise.all([...this.running.values()].map((q) => q.stopped()));
    await Promise.all([...this.ending]);
    this.running.clear();
  }
}
