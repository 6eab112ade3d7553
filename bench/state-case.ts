/**
 * One case of the state benchmark, in a process of its own so that its peak RSS is its own:
 * `tsx bench/state-case.ts '<json>'` prints one line `result <json>`.
 *
 * Steps: `fill` writes a stream's rows into the embedded log of a data folder (keys uniform or
 * Zipf), `table` writes a TABLE's rows; `view` runs a materialized view over what `fill` wrote
 * until it has read every row and checkpointed; `restart` opens a folder holding a view, writes
 * one new row and times the view's first output row for it; `distinct` runs the all-distinct
 * datagen view.
 */
import { readFileSync } from 'node:fs';
import { T } from '../src/common/types.js';
import { zipfKeys } from '../src/connectors/datagen.js';
import { Rng } from '../src/connectors/rng.js';
import { Engine } from '../src/engine/engine.js';
import { limitHeapGrowth } from '../src/engine/heap-growth.js';
import { batchFromRows } from '../src/exec/columns.js';
import { encodeBatch } from '../src/exec/ipc.js';
import { keyOf } from '../src/exec/keys.js';
import { STATE_PREFIX } from '../src/state/state-table.js';
import { prefixRange, type TableChange } from '../src/state/index.js';

export type StateCase =
  | { readonly step: 'fill'; readonly dir: string; readonly stream: string; readonly rows: number; readonly keys: number; readonly zipf: boolean }
  | { readonly step: 'table'; readonly dir: string; readonly table: string; readonly rows: number }
  | { readonly step: 'view'; readonly dir: string; readonly sql: string; readonly rows: number; readonly stateCacheBytes?: number }
  | { readonly step: 'restart'; readonly dir: string; readonly stream: string; readonly view: string }
  | { readonly step: 'pull'; readonly dir: string; readonly sql: readonly string[] }
  | { readonly step: 'distinct'; readonly dir: string; readonly rows: number };

export interface CaseResult {
  readonly seconds: number;
  readonly rowsPerSecond?: number;
  readonly peakRssBytes: number;
  readonly stateBytes?: number;
  /** restart: ms until the engine opened, and until the first output row. */
  readonly openMs?: number;
  readonly firstRowMs?: number;
  /** pull: seconds each query took, in order, and the rows the view holds. */
  readonly querySeconds?: readonly number[];
  readonly viewRows?: number;
  /** view and distinct: the state cache's counters at the end (hits, misses, reads from RocksDB). */
  readonly cache?: { readonly hits: number; readonly misses: number; readonly diskReads: number };
}

const FIELDS = [
  { name: 'k', type: T.STRING, nullable: false },
  { name: 'v', type: T.DOUBLE, nullable: false },
];
const CHUNK = 4096;

/**
 * This process's peak resident set in bytes: VmHWM from /proc/self/status, which starts again
 * with the process's own memory (getrusage's maxRSS survives exec, so a child forked from a large
 * benchmark process would report at least the parent's size); maxRSS where /proc is absent.
 */
function peakRss(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch {
    // Not Linux.
  }
  return process.resourceUsage().maxRSS * 1024;
}
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function fill(c: Extract<StateCase, { step: 'fill' }>): Promise<void> {
  const engine = await Engine.open({ dataDir: c.dir });
  try {
    await engine.execute(`CREATE STREAM ${c.stream} (k STRING, v DOUBLE) WITH (partitions = 1)`);
    const picks = c.zipf ? zipfKeys(c.rows, c.keys, 1.2, 7) : undefined;
    const rng = new Rng(7);
    for (let from = 0; from < c.rows; from += CHUNK) {
      const list: Record<string, unknown>[] = [];
      for (let i = from; i < Math.min(c.rows, from + CHUNK); i++) list.push({ k: `k${picks ? picks[i] : rng.nextInt(c.keys)}`, v: (i % 10_000) / 100 });
      await engine.log.append(c.stream, 0, encodeBatch(batchFromRows(FIELDS, list)), list.length);
    }
  } finally {
    await engine.close();
  }
}

async function table(c: Extract<StateCase, { step: 'table' }>): Promise<void> {
  const engine = await Engine.open({ dataDir: c.dir });
  try {
    await engine.execute(`CREATE TABLE ${c.table} (k STRING PRIMARY KEY, w DOUBLE)`);
    const rows = engine.table(c.table).rows;
    for (let from = 0; from < c.rows; from += 10_000) {
      const changes: TableChange[] = [];
      for (let i = from; i < Math.min(c.rows, from + 10_000); i++) changes.push([keyOf([`k${i}`]), { k: `k${i}`, w: i / 10 }]);
      await rows.apply(changes);
    }
  } finally {
    await engine.close();
  }
}

async function stateBytes(engine: Engine, queryId: string): Promise<number> {
  return engine.store.approximateSize(prefixRange([STATE_PREFIX, queryId]));
}

/** Creates the view (or sink) of `sql` and runs it until it has read `rows` rows and checkpointed. */
async function runView(engine: Engine, sql: string, rows: number): Promise<CaseResult> {
  const t0 = performance.now();
  const before = new Set(engine.running.keys());
  await engine.execute(sql);
  const q = [...engine.running.values()].find((x) => !before.has(x.id));
  if (!q) throw new Error(`the query did not start: ${sql}`);
  while (q.rowsIn < rows) {
    if (q.status !== 'running') throw new Error(`query ${q.status}: ${q.info(undefined).error?.message ?? ''}`);
    await sleep(10);
  }
  await engine.checkpointAll(120_000);
  const seconds = (performance.now() - t0) / 1000;
  const { hits, misses, diskReads } = engine.stateCache.stats();
  return { seconds, rowsPerSecond: rows / seconds, peakRssBytes: peakRss(), stateBytes: await stateBytes(engine, q.id), cache: { hits, misses, diskReads } };
}

async function view(c: Extract<StateCase, { step: 'view' }>): Promise<CaseResult> {
  const engine = await Engine.open({ dataDir: c.dir, ...(c.stateCacheBytes !== undefined ? { stateCacheBytes: c.stateCacheBytes } : {}) });
  try {
    return await runView(engine, c.sql, c.rows);
  } finally {
    await engine.close();
  }
}

async function restart(c: Extract<StateCase, { step: 'restart' }>): Promise<CaseResult> {
  const t0 = performance.now();
  const engine = await Engine.open({ dataDir: c.dir, checkpointIntervalMs: 50 });
  const openMs = performance.now() - t0;
  try {
    await engine.log.append(c.stream, 0, encodeBatch(batchFromRows(FIELDS, [{ k: 'k0', v: 1 }, { k: 'probe', v: 1 }])), 2);
    for (;;) {
      const got = await engine.viewKv(c.view).get(keyOf(['probe']));
      if (got) break;
      if (performance.now() - t0 > 300_000) throw new Error('no output row within 300 s of the restart');
      await sleep(2);
    }
    const firstRowMs = performance.now() - t0;
    return { seconds: firstRowMs / 1000, openMs, firstRowMs, peakRssBytes: peakRss() };
  } finally {
    await engine.close();
  }
}

/** Pull queries over a view (the view's query paused: nothing else runs): each query's time. */
async function pull(c: Extract<StateCase, { step: 'pull' }>): Promise<CaseResult> {
  const engine = await Engine.open({ dataDir: c.dir });
  try {
    const querySeconds: number[] = [];
    let viewRows = 0;
    for (const sql of c.sql) {
      const t = performance.now();
      const [r] = await engine.execute(sql);
      querySeconds.push((performance.now() - t) / 1000);
      if (r?.kind !== 'rows') throw new Error(`'${sql}' gave ${r?.kind}, not rows`);
      if (/^SELECT COUNT\(\*\)/i.test(sql)) viewRows = Number(r.rows[0]?.[0]);
    }
    return { seconds: querySeconds.reduce((a, b) => a + b, 0), querySeconds, viewRows, peakRssBytes: peakRss() };
  } finally {
    await engine.close();
  }
}

async function distinct(c: Extract<StateCase, { step: 'distinct' }>): Promise<CaseResult> {
  const engine = await Engine.open({ dataDir: c.dir });
  try {
    await engine.execute(`CREATE STREAM tx (tx_id STRING, card_id STRING, amount DOUBLE, ts TIMESTAMP(3)) WITH (connector = 'datagen', 'max.events' = ${c.rows}, 'rows.per.second' = 0, 'batch.size' = 1024)`);
    return await runView(engine, 'CREATE MATERIALIZED VIEW tx_totals AS SELECT tx_id, COUNT(*) AS n, SUM(amount) AS s FROM tx GROUP BY tx_id', c.rows);
  } finally {
    await engine.close();
  }
}

async function main(): Promise<void> {
  const c = JSON.parse(process.argv[2] ?? '{}') as StateCase;
  // As `sluice serve` and `sluice run` do.
  limitHeapGrowth();
  let result: CaseResult;
  const t0 = performance.now();
  switch (c.step) {
    case 'fill':
      await fill(c);
      result = { seconds: (performance.now() - t0) / 1000, peakRssBytes: peakRss() };
      break;
    case 'table':
      await table(c);
      result = { seconds: (performance.now() - t0) / 1000, peakRssBytes: peakRss() };
      break;
    case 'view':
      result = await view(c);
      break;
    case 'restart':
      result = await restart(c);
      break;
    case 'distinct':
      result = await distinct(c);
      break;
    case 'pull':
      result = await pull(c);
      break;
  }
  process.stdout.write(`result ${JSON.stringify(result)}\n`);
}

if (process.argv[1]?.endsWith('state-case.ts')) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
