/**
 * State beyond memory: GROUP BY views over many distinct keys (uniform and Zipf s = 1.2), a
 * lookup join against a large table, restart time of a view holding many keys, and the
 * all-distinct-keys view. Every case runs in a child process of its own (bench/state-case.ts),
 * so its peak RSS is its own; the input is written by another child beforehand.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaseResult, StateCase } from './state-case.js';
import { median, rate, ratio, reasonOf, section, spread, type Section } from './util.js';

export interface StateBenchOptions {
  /** Distinct-key counts of the GROUP BY rows. */
  readonly keys: readonly number[];
  /** Rows read per GROUP BY case, by key count (at least the key count by default). */
  readonly rowsFor: (keys: number) => number;
  readonly tableRows: number;
  readonly lookupRows: number;
  readonly restartKeys: number;
  readonly distinctRows: number;
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const AGG = 'SELECT k, COUNT(*) AS n, SUM(v) AS s FROM ev GROUP BY k';
/** Pull queries over the restart case's view: every row read, and the top rows of all. */
const PULLS = ['SELECT COUNT(*), SUM(n), SUM(s) FROM per_k', 'SELECT k, s FROM per_k ORDER BY s DESC, k LIMIT 10'];
/** Runs of the all-distinct view (about 6 s each). */
const DISTINCT_RUNS = 3;
/** malloc arenas of the case processes: docs/state.md recommends 2 for a process holding much state. */
const MALLOC_ARENAS = process.env['MALLOC_ARENA_MAX'] ?? '2';

function runCase(c: StateCase): Promise<CaseResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/state-case.ts', JSON.stringify(c)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MALLOC_ARENA_MAX: MALLOC_ARENAS } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('result '));
      if (code === 0 && line) resolve(JSON.parse(line.slice(7)) as CaseResult);
      else reject(new Error(`${c.step} exited ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}

const mib = (b: number | undefined) => (b === undefined ? 'n/a' : `${(b / MIB).toFixed(0)} MiB`);
const keysLabel = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

/** Runs `f` on a fresh data folder, removed afterwards. */
async function inFolder<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-state-'));
  try {
    return await f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A view case's reads of state from RocksDB, with the state cache's hits. */
function cacheReads(r: CaseResult): string {
  return r.cache ? `${r.cache.diskReads.toLocaleString('en-US')} (${r.cache.hits.toLocaleString('en-US')})` : '';
}

export async function benchState(opts: StateBenchOptions): Promise<Section[]> {
  const g = section('State beyond memory: GROUP BY k views over many distinct keys (default 256 MiB state cache, one run each)', ['keys', 'distribution', 'rows read', 'rows/s', 'ratio to 10k keys', 'peak RSS', 'state on disk', 'groups read from RocksDB (state cache hits)', 'target']);
  const rates = new Map<string, number>();
  for (const keys of opts.keys) {
    for (const zipf of [false, true]) {
      const dist = zipf ? 'Zipf s = 1.2' : 'uniform';
      const rows = opts.rowsFor(keys);
      try {
        const r = await inFolder(async (dir) => {
          await runCase({ step: 'fill', dir, stream: 'ev', rows, keys, zipf });
          return runCase({ step: 'view', dir, sql: `CREATE MATERIALIZED VIEW per_k AS ${AGG}`, rows });
        });
        rates.set(`${keys}/${zipf}`, r.rowsPerSecond!);
        const base = rates.get(`${opts.keys[0]}/${zipf}`)!;
        const rel = r.rowsPerSecond! / base;
        const target = keys === opts.keys[0] ? 'RSS ≤ 1.5 GiB' : `RSS ≤ 1.5 GiB; ratio ≥ ${zipf ? '0.7' : '0.25'} at 10M`;
        const met = r.peakRssBytes <= 1.5 * GIB && (keys < 10_000_000 || rel >= (zipf ? 0.7 : 0.25));
        g.rows.push([keysLabel(keys), dist, rows.toLocaleString('en-US'), rate(r.rowsPerSecond!), ratio(rel), mib(r.peakRssBytes), mib(r.stateBytes), cacheReads(r), `${target}: ${met ? 'met' : 'NOT met'}`]);
      } catch (err) {
        g.rows.push([keysLabel(keys), dist, rows.toLocaleString('en-US'), `n/a (${reasonOf(err)})`, '', '', '', '', '']);
      }
    }
  }
  g.notes.push(
    `Each case: a child process writes the rows (keys k0..k<N-1>, uniform or Zipf s = 1.2) into one embedded-log partition, then another child runs \`CREATE MATERIALIZED VIEW per_k AS ${AGG}\` until it has read every row and checkpointed; rows/s counts from CREATE to that checkpoint; peak RSS is that child's own peak (VmHWM: getrusage's maxRSS would count the benchmark process it was forked from), with MALLOC_ARENA_MAX=${MALLOC_ARENAS} in its environment as docs/state.md recommends (glibc's default, 8 arenas per core, measured 150–250 MiB more on the all-distinct view at 1M keys); peak RSS at 1M keys and more varies by a few hundred MiB from run to run. State on disk is RocksDB's approximate size of the view's operator state (flushed files). Groups read from RocksDB: the lookups of groups the operator did not hold in memory (its own hot groups, charged to the cache) that neither the state cache nor the key filter of keys never written could answer, beside the state cache's hits; each is a point read through RocksDB's block cache and files.`,
  );

  const o = section('State beyond memory: lookup join, restart, all-distinct view', ['case', 'size', 'figure', 'peak RSS', 'target']);
  try {
    const r = await inFolder(async (dir) => {
      await runCase({ step: 'table', dir, table: 'dims', rows: opts.tableRows });
      await runCase({ step: 'fill', dir, stream: 'ev', rows: opts.lookupRows, keys: opts.tableRows, zipf: false });
      return runCase({ step: 'view', dir, sql: "CREATE SINK joined WITH (connector = 'log', topic = 'joined_out') AS SELECT ev.k, ev.v, dims.w FROM ev JOIN dims", rows: opts.lookupRows });
    });
    o.rows.push(['lookup join: stream JOIN table on its primary key, into a log sink', `${keysLabel(opts.tableRows)}-row table, ${opts.lookupRows.toLocaleString('en-US')} stream rows`, `${rate(r.rowsPerSecond!)} rows/s`, mib(r.peakRssBytes), `RSS ≤ 1.5 GiB: ${r.peakRssBytes <= 1.5 * GIB ? 'met' : 'NOT met'}`]);
  } catch (err) {
    o.rows.push(['lookup join', `${keysLabel(opts.tableRows)}-row table`, `n/a (${reasonOf(err)})`, '', '']);
  }
  try {
    const r = await inFolder(async (dir) => {
      await runCase({ step: 'fill', dir, stream: 'ev', rows: opts.restartKeys, keys: opts.restartKeys, zipf: false });
      // Every key once: a view holding about restartKeys × (1 - 1/e) groups.
      await runCase({ step: 'view', dir, sql: `CREATE MATERIALIZED VIEW per_k AS ${AGG}`, rows: opts.restartKeys });
      const restarted = await runCase({ step: 'restart', dir, stream: 'ev', view: 'per_k' });
      return { restarted, pulled: await runCase({ step: 'pull', dir, sql: PULLS }) };
    });
    const { restarted, pulled } = r;
    o.rows.push(['restart: open the data folder until the view outputs the row of a new input row', `view over ${keysLabel(opts.restartKeys)} rows of uniform keys`, `${(restarted.firstRowMs! / 1000).toFixed(2)} s (engine open ${(restarted.openMs! / 1000).toFixed(2)} s)`, mib(restarted.peakRssBytes), `≤ 3 s at 2M keys: ${restarted.firstRowMs! <= 3000 ? 'met' : 'NOT met'}`]);
    const secs = pulled.querySeconds!;
    o.rows.push([
      `pull queries over that view: \`${PULLS[0]}\`; \`${PULLS[1]}\``,
      `${pulled.viewRows!.toLocaleString('en-US')} view rows`,
      `${secs.map((x) => `${x.toFixed(2)} s`).join('; ')} (${rate(pulled.viewRows! / secs[0]!)} rows/s)`,
      mib(pulled.peakRssBytes),
      '(not targeted)',
    ]);
  } catch (err) {
    o.rows.push(['restart', keysLabel(opts.restartKeys), `n/a (${reasonOf(err)})`, '', '']);
  }
  try {
    // Short enough to run several times: the median rate, and the largest peak RSS of the runs.
    const runs: CaseResult[] = [];
    for (let i = 0; i < DISTINCT_RUNS; i++) runs.push(await inFolder((dir) => runCase({ step: 'distinct', dir, rows: opts.distinctRows })));
    const rates = runs.map((r) => r.rowsPerSecond!);
    const rowsPerSecond = median(rates);
    const peakRss = Math.max(...runs.map((r) => r.peakRssBytes));
    const met = rowsPerSecond >= 170_000 && peakRss <= 700 * MIB;
    o.rows.push(['all-distinct view: SELECT tx_id, COUNT(*) AS n, SUM(amount) AS s FROM tx GROUP BY tx_id (datagen)', `${keysLabel(opts.distinctRows)} keys`, `${rate(rowsPerSecond)} rows/s (median of ${DISTINCT_RUNS}: ${spread(rates)})`, mib(peakRss), `≥ 170k rows/s and ≤ 700 MB: ${met ? 'met' : 'NOT met'}`]);
  } catch (err) {
    o.rows.push(['all-distinct view', keysLabel(opts.distinctRows), `n/a (${reasonOf(err)})`, '', '']);
  }
  o.notes.push(
    'Lookup join: the table is written straight into its RocksDB rows by a child process, the stream rows (keys uniform over the table) by another; the sink query runs in a third. Restart: a child builds and checkpoints the view, and a new child opens the folder, appends two rows and polls the view for the new key. Pull queries: one more child opens that folder and runs each query once, timed from execute() to its answer (rows/s: the rows of the view over the time of the first query); the query of the view starts with the engine but has nothing new to read.',
    `All-distinct view: a datagen stream (every tx_id distinct) read unpaced into the view; rows/s counts from CREATE to the checkpoint after the last row; ${DISTINCT_RUNS} runs, each a child process on a fresh folder: the median rate and the largest peak RSS.`,
  );
  return [g, o];
}
