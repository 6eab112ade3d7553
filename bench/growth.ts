/**
 * How cost grows, on the fraud pipeline (tx JOIN card_features + predict('fraud')):
 *  - load: events/s out and p99 latency at 10, 25, 50, 75 and 90% of the view's peak rate;
 *  - views: throughput with 1, 10 and 50 materialized views over the same bounded stream;
 *  - partitions: view throughput over an embedded-log stream of 1, 4 and 16 partitions.
 * At each point the main thread's event-loop utilisation and the process's CPU (all threads, in
 * cores) say which resource is spent; a CPU profile of one peak run names where the main thread's
 * time goes. Writes bench/growth.png: one panel per curve.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { txEvent } from '../src/connectors/datagen.js';
import { datagenWorker } from '../src/connectors/datagen-columns.js';
import type { Engine } from '../src/engine/engine.js';
import { partitionOf } from '../src/common/hash.js';
import { batchFromRows } from '../src/exec/columns.js';
import { encodeBatch } from '../src/exec/ipc.js';
import { measureLatency, runView, SELECT, setup, setupCardsAndModel } from './fraud.js';
import { chart, type Rgb } from './png.js';
import { profileWhile, summarize, type ProfileSummary } from './profile-summary.js';
import { gc, median, ms, quantile, rate, ratio, reasonOf, section, settle, tempEngine, type Section } from './util.js';

export interface GrowthOptions {
  /** Events of the bounded stream for the peak rate and the partition curve. */
  readonly events: number;
  /** Events of the stream that 1, 10 and 50 views read. */
  readonly viewEvents: number;
  /** Seconds measured at each load (after one second of warm-up). */
  readonly seconds: number;
  readonly runs: number;
}

const LOADS = [0.1, 0.25, 0.5, 0.75, 0.9] as const;
const VIEW_COUNTS = [1, 10, 50] as const;
const PARTITIONS = [1, 4, 16] as const;

/**
 * What a measured stretch spent: the main thread's busy share, the process's CPU in cores, and
 * that CPU by thread (Linux only; empty elsewhere): the main thread, the datagen worker that
 * draws the transactions, RocksDB's threads, and the rest (model workers, V8's GC helpers, libuv).
 */
interface Spent {
  readonly elu: number;
  readonly cores: number;
  readonly threads: Readonly<Partial<Record<ThreadKind, number>>>;
}

type ThreadKind = 'main' | 'generator' | 'RocksDB' | 'other';

/** CPU milliseconds so far of each thread of this process, by OS thread id, with its name (Linux /proc; empty elsewhere). */
function threadCpu(): Map<number, { readonly name: string; readonly ms: number }> {
  const out = new Map<number, { name: string; ms: number }>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return out;
  }
  const tick = 10; // USER_HZ = 100 on Linux
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: (Number(fields[11]) + Number(fields[12])) * tick });
    } catch {
      // The thread ended.
    }
  }
  return out;
}

function threadKind(tid: number, name: string): ThreadKind {
  if (tid === process.pid) return 'main';
  if (tid === datagenWorker.osThreadId) return 'generator';
  return name.startsWith('rocksdb') ? 'RocksDB' : 'other';
}

async function spending<T>(fn: () => Promise<T>): Promise<{ value: T; spent: Spent }> {
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const threads0 = threadCpu();
  const t0 = performance.now();
  const value = await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const threads: Partial<Record<ThreadKind, number>> = {};
  for (const [tid, { name, ms }] of threadCpu()) {
    const kind = threadKind(tid, name);
    threads[kind] = (threads[kind] ?? 0) + (ms - (threads0.get(tid)?.ms ?? 0)) / wallMs;
  }
  return { value, spent: { elu: performance.eventLoopUtilization(elu0).utilization, cores: (cpu.user + cpu.system) / 1000 / wallMs, threads } };
}

/** The resource a point is bound by, from what it spent. */
function bound(s: Spent): string {
  const cores = availableParallelism();
  const main = s.threads.main;
  if (s.elu >= 0.75 && main !== undefined && main < 0.65) return `all ${cores} cores (the main thread had work ${Math.round(s.elu * 100)}% of the time but ran ${main.toFixed(2)} of a core)`;
  if (s.elu >= 0.75) return 'main thread CPU';
  if ((s.threads.generator ?? 0) >= 0.85) return 'the datagen worker thread (drawing the transactions)';
  if (s.cores >= cores * 0.9) return `all ${cores} cores`;
  return 'none saturated (waits: input pace, model workers, RocksDB)';
}

/** The process's CPU in cores, and by thread where known: "1.62 (main 0.45, generator 0.92, ...)". */
function coresText(s: Spent): string {
  const parts = (['main', 'generator', 'RocksDB', 'other'] as const).filter((k) => s.threads[k] !== undefined).map((k) => `${k} ${s.threads[k]!.toFixed(2)}`);
  return parts.length ? `${s.cores.toFixed(2)} (${parts.join(', ')})` : s.cores.toFixed(2);
}

const spentCells = (s: Spent): string[] => [`${Math.round(s.elu * 100)}%`, coresText(s), bound(s)];

/** What to do next about the resource the peak is bound by. */
function nextStep(s: Spent): string {
  if ((s.threads.generator ?? 0) >= 0.85 && s.elu < 0.75) {
    return `Next step: the datagen worker, which draws the transactions (31 normal draws each) for the main thread, is the limit (${s.threads.generator!.toFixed(2)} of a core) while the main thread is ${Math.round(s.elu * 100)}% busy and the process uses ${s.cores.toFixed(2)} of ${availableParallelism()} cores: on more cores, split the drawing over more workers; a real source (the log, Kafka) does not pay it.`;
  }
  if (s.elu >= 0.75) {
    return `Next step: the main thread is the limit (${Math.round(s.elu * 100)}% busy) while the process uses ${s.cores.toFixed(2)} of ${availableParallelism()} cores, so the work to move is on it: run the pipeline of each partition (generator/decode, Arrow building, lookup, packing for the model) in worker threads and keep only the hand-off on the main thread; the partition curve shows how much independent pipelines gain.`;
  }
  return `Next step: the main thread is not saturated (${Math.round(s.elu * 100)}% busy); the wait is on the model workers or RocksDB: larger or more concurrent model batches and fewer, larger checkpoint writes.`;
}

/** Where the main thread's sampled time goes, in the categories the issue names. */
function categories(s: ProfileSummary): string {
  const rules: [string, RegExp][] = [
    ['idle', /^\(idle\)/],
    ['GC', /^\(garbage collector\)/],
    ['JSON', /exact-json|^(parse|stringify) /],
    ['RocksDB / state (incl. v8.serialize of state values)', /node_modules\/rocksdb|src\/state\/|node:v8/],
    ['model hand-off (predict, worker messages)', /src\/udf\/|operators\/predict|worker|postMessage/],
    ['Arrow batches', /apache-arrow|src\/exec\/(columns|ipc)\.ts|flatbuffers/],
    ['lookup join', /lookup-join/],
    ['generator', /src\/connectors\/datagen|generator-source/],
  ];
  const sums = new Map<string, number>();
  let total = 0;
  for (const f of s.byFunction) {
    const name = rules.find(([, re]) => re.test(f.key))?.[0] ?? 'other';
    sums.set(name, (sums.get(name) ?? 0) + f.share);
    total += f.share;
  }
  sums.set('not in the top frames', Math.max(0, 1 - total));
  const pct = (v: number) => `${Math.round(v * 100)}%`;
  const shares = [...sums]
    .filter(([, v]) => v >= 0.005)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${pct(v)}`)
    .join(', ');
  const files = s.byFile
    .filter((f) => f.key !== '(native)')
    .slice(0, 4)
    .map((f) => `${f.key} ${pct(f.share)}`)
    .join(', ');
  const natives = s.byFunction
    .filter((f) => f.key.endsWith('(native)') && !/^\((idle|garbage collector)\)/.test(f.key))
    .slice(0, 3)
    .map((f) => `${f.key.replace(/\s+\(native\)$/, '')} ${pct(f.share)}`)
    .join(', ');
  return `${shares}. Largest files: ${files}. Largest native frames: ${natives}.`;
}

/** Waits until query `id` has written `rows` rows, then until a checkpoint of everything is written. */
async function waitRows(engine: Engine, id: string, rows: number): Promise<void> {
  for (;;) {
    const q = engine.query(id);
    if (!q) throw new Error(`query ${id} vanished`);
    if (q.status === 'failed') throw new Error(`${q.error?.code}: ${q.error?.message}`);
    if (q.rowsOut >= rows) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  await engine.checkpointAll();
}

/** `views` fraud views over one bounded stream of `events`: input events/s until every view finished. */
async function timeViews(events: number, views: number): Promise<{ rate: number; spent: Spent }> {
  const te = await tempEngine(500);
  try {
    await setup(te.engine, events);
    const { value: seconds, spent } = await spending(async () => {
      const t0 = performance.now();
      for (let v = 0; v < views; v++) await te.engine.execute(`CREATE MATERIALIZED VIEW fv_${v} AS\n${SELECT('tx')}`);
      for (let v = 0; v < views; v++) {
        for (;;) {
          const q = te.engine.query(`view_fv_${v}`);
          if (!q || q.status === 'failed') throw new Error(`view fv_${v}: ${q?.error?.code}: ${q?.error?.message}`);
          if (q.status === 'finished') break;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      return (performance.now() - t0) / 1000;
    });
    return { rate: events / seconds, spent };
  } finally {
    await te.close();
  }
}

/** The fraud view over an embedded-log stream of `partitions` partitions holding `events` transactions (keyed by card). */
async function timePartitions(events: number, partitions: number): Promise<{ rate: number; spent: Spent }> {
  const te = await tempEngine(500);
  const { engine } = te;
  try {
    await engine.execute(`CREATE STREAM ltx (tx_id STRING, card_id STRING, amount DOUBLE, features ARRAY<FLOAT>(30), ts TIMESTAMP(3)) WITH (partitions = ${partitions}, key = 'card_id')`);
    await setupCardsAndModel(engine);
    const schema = engine.catalog.relation('ltx').schema;
    const pending: Record<string, unknown>[][] = Array.from({ length: partitions }, () => []);
    const flush = async (p: number) => {
      const rows = pending[p]!;
      if (rows.length === 0) return;
      await engine.log.append('ltx', p, encodeBatch(batchFromRows(schema, rows)), rows.length);
      pending[p] = [];
    };
    for (let n = 0; n < events; n++) {
      const e = txEvent(n);
      const p = partitionOf([e.card_id], partitions);
      pending[p]!.push({ ...e });
      if (pending[p]!.length === 1024) await flush(p);
    }
    for (let p = 0; p < partitions; p++) await flush(p);
    gc();
    await settle();
    const { value: seconds, spent } = await spending(async () => {
      const t0 = performance.now();
      await engine.execute(`CREATE MATERIALIZED VIEW lv AS\n${SELECT('ltx')}`);
      await waitRows(engine, 'view_lv', events);
      return (performance.now() - t0) / 1000;
    });
    return { rate: events / seconds, spent };
  } finally {
    await te.close();
  }
}

export async function benchGrowth(opts: GrowthOptions): Promise<Section[]> {
  const load = section(`How cost grows with load: the fraud pipeline at 10–90% of its peak rate`, ['load', 'paced at events/s', 'rate out /s', 'p50 ms', 'p99 ms', 'main thread busy', 'process CPU (cores)', 'bound by']);
  const views = section(`How cost grows with views: 1, 10, 50 fraud views over one stream (${opts.viewEvents.toLocaleString('en-US')} events)`, ['views', 'input events/s', 'view rows/s (all views)', 'vs 1 view (per input event)', 'main thread busy', 'process CPU (cores)', 'bound by']);
  const parts = section(`How cost grows with partitions: the fraud view over an embedded-log stream (${opts.events.toLocaleString('en-US')} events)`, ['partitions', 'events/s (median)', 'vs 1 partition', 'main thread busy', 'process CPU (cores)', 'bound by']);
  const peakS = section(`Where the time goes at the peak: the fraud view over a bounded datagen stream (${opts.events.toLocaleString('en-US')} events, median of ${opts.runs})`, ['view events/s (median)', 'main thread busy', 'process CPU (cores)', 'bound by', 'main-thread profile of one run (self time)']);

  // Peak: the view over a bounded stream, several runs; then one run under the profiler.
  const te = await tempEngine(500);
  let peak = NaN;
  const loadPoints: [number, number, number][] = [];
  try {
    const { engine } = te;
    await setup(engine, opts.events);
    const rates: number[] = [];
    const spents: Spent[] = [];
    for (let r = 0; r < opts.runs; r++) {
      gc();
      await settle();
      const { value, spent } = await spending(() => runView(engine, `peak_${r}`, opts.events));
      rates.push(value);
      spents.push(spent);
    }
    peak = median(rates);
    const spent = spents[rates.indexOf([...rates].sort((a, b) => a - b)[rates.length >> 1]!)] ?? spents[0]!;
    const { profile } = await profileWhile(() => runView(engine, 'peak_profiled', opts.events));
    peakS.rows.push([rate(peak), `${Math.round(spent.elu * 100)}%`, coresText(spent), bound(spent), categories(summarize(profile, 200))]);
    peakS.notes.push(nextStep(spent));

    for (const [i, f] of LOADS.entries()) {
      const rps = peak * f;
      try {
        const { value: l, spent: s } = await spending(() => measureLatency(engine, `txl_${i}`, rps, opts.seconds));
        const p99 = quantile(l.batchGen, 0.99);
        loadPoints.push([f, l.rows / l.seconds, p99]);
        load.rows.push([`${Math.round(f * 100)}%`, rate(rps), rate(l.rows / l.seconds), ms(quantile(l.batchGen, 0.5)), ms(p99), ...spentCells(s)]);
      } catch (err) {
        load.rows.push([`${Math.round(f * 100)}%`, rate(rps), `n/a (${reasonOf(err)})`, '', '', '', '', '']);
      }
    }
  } finally {
    await te.close();
  }
  load.notes.push(
    `Peak = the median rate of the fraud view over a bounded stream (${rate(peak)} events/s in this run). Each load paces a datagen stream with 'rows.per.second' and reads the view's SELECT as a push query for ${opts.seconds} s after one second of warm-up; latency is receive time minus the time the row's generator batch was made (as in the fraud latency table).`,
    "'main thread busy' is the event loop's utilisation over the stretch; 'process CPU' is user + system time of all threads over wall time, and in brackets by thread (from /proc/self/task): the main thread, the datagen worker that draws the transactions, RocksDB's threads, and the rest (model workers, V8's garbage-collector helpers, libuv). A point is bound by the main thread at 75% busy or more (by all the cores instead when the main thread, busy, still ran less than 0.65 of a core: other threads took the rest), else by the datagen worker when it uses 85% of a core or more, else by the machine when the process uses 90% of its cores. The machine is shared: process CPU below its cores does not mean the cores were free.",
  );

  const viewPoints: [number, number][] = [];
  let one = NaN;
  for (const n of VIEW_COUNTS) {
    try {
      gc();
      await settle();
      const r = await timeViews(opts.viewEvents, n);
      if (n === 1) one = r.rate;
      viewPoints.push([n, r.rate * n]);
      views.rows.push([String(n), rate(r.rate), rate(r.rate * n), ratio(r.rate / one), ...spentCells(r.spent)]);
    } catch (err) {
      views.rows.push([String(n), `n/a (${reasonOf(err)})`, '', '', '', '', '']);
    }
  }
  views.notes.push('Each count runs on a fresh engine: N materialized views with the same fraud SELECT over one bounded datagen stream, timed from the first CREATE until every view reports finished (last checkpoint written). Every view reads the stream and scores every event itself.');

  const partPoints: [number, number][] = [];
  let single = NaN;
  for (const p of PARTITIONS) {
    const rs: number[] = [];
    let spent: Spent | undefined;
    try {
      for (let r = 0; r < opts.runs; r++) {
        const x = await timePartitions(opts.events, p);
        rs.push(x.rate);
        spent = x.spent;
      }
      const m = median(rs);
      if (p === 1) single = m;
      partPoints.push([p, m]);
      parts.rows.push([String(p), rate(m), ratio(m / single), ...spentCells(spent!)]);
    } catch (err) {
      parts.rows.push([String(p), `n/a (${reasonOf(err)})`, '', '', '', '']);
    }
  }
  parts.notes.push("A log stream WITH (partitions = N, key = 'card_id') pre-loaded with the same transactions as Arrow chunks of up to 1024 rows, each in the partition partitionOf(card_id) picks; the view is timed from CREATE until it has written every row and a checkpoint of everything is written. The CPU figures are of the last run.");

  const png = join(dirname(fileURLToPath(import.meta.url)), 'growth.png');
  const blue: Rgb = [31, 119, 180];
  const orange: Rgb = [255, 127, 14];
  const green: Rgb = [44, 160, 44];
  writeFileSync(
    png,
    chart([
      { series: [{ color: blue, points: loadPoints.map(([f, r]) => [f, r]) }, { color: orange, points: loadPoints.map(([f, , p]) => [f, p]) }] },
      { series: [{ color: green, points: viewPoints }] },
      { series: [{ color: blue, points: partPoints }] },
    ]),
  );
  peakS.notes.push(
    'The profile samples the main thread only (model sessions run in worker threads); categories are summed over the functions of its self time, GC and idle included.',
    `Chart bench/growth.png (written by this benchmark), three panels, each from 0 at the bottom to its largest value at the top: (1) load 10, 25, 50, 75, 90% of peak on x, events/s out (blue) and p99 latency (orange, own scale); (2) 1, 10, 50 views on x, view rows/s over all views (green); (3) 1, 4, 16 partitions on x, view events/s (blue).`,
    '![How cost grows](growth.png)',
  );
  return [peakS, load, views, parts];
}
