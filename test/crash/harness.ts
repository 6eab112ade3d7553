/**
 * The kill -9 harness of the crash tests: a worker process runs a pipeline on a data folder and
 * prints its progress; the harness kills it at random moments and restarts it until the output
 * stops growing. Tests then compare what the folder holds with an uninterrupted run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * What a worker prints every few milliseconds: its query's last checkpoint, lag, output rows and
 * status, and the evictions of its state cache since it started.
 */
export interface Progress {
  epoch: number;
  lag: number;
  out: number;
  status: string;
  evictions: number;
}

/** A seeded generator, so a failing run can be repeated with SLUICE_CRASH_SEED. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Starts test/crash/worker.ts with `pipeline` on `dir`; reports progress lines and `exited` when it dies. */
function startWorker(pipeline: string, dir: string, stateCacheBytes: number | undefined, onProgress: (p: Progress) => void, onOpening: () => void): { child: ChildProcess; exited: Promise<void> } {
  const args = ['--import', 'tsx', 'test/crash/worker.ts', dir, pipeline, ...(stateCacheBytes !== undefined ? [String(stateCacheBytes)] : [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === 'opening') onOpening();
      else if (line.startsWith('progress ')) onProgress(JSON.parse(line.slice(9)) as Progress);
    }
  });
  child.stderr?.resume();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return { child, exited };
}

export interface CrashRuns {
  readonly runs: number;
  readonly kills: number;
  /** Kills before the worker reported progress (while the engine opened). */
  readonly duringOpen: number;
  /** Kills before all output was written. */
  readonly midway: number;
  /** State cache evictions over all runs (as far as each run reported them before it died). */
  readonly evictions: number;
}

/**
 * Kills and restarts the worker running `pipeline` (a module of test/crash, see worker.ts) on `dir`
 * at random moments (at least `minKills` times) until its output stops growing with no lag left,
 * or `budgetMs` passed. Each run reads its state through a cache of `stateCacheBytes` (default:
 * the worker's). `workMs`, how long the pipeline works after the engine opened (an uninterrupted
 * run's time), widens the span the kills fall in beyond the opening.
 */
export async function killUntilStable(
  pipeline: string,
  dir: string,
  opts: {
    readonly expectedOut: number;
    readonly minKills: number;
    readonly rand: () => number;
    readonly budgetMs?: number;
    readonly stateCacheBytes?: number;
    readonly workMs?: number;
  },
): Promise<CrashRuns> {
  let kills = 0;
  let evictions = 0;
  let runs = 0;
  let stableRuns = 0;
  let lastOut = -1;
  let midway = 0;
  let duringOpen = 0;
  let openMs = 300;
  const deadline = Date.now() + (opts.budgetMs ?? 150_000);
  for (;;) {
    let latest: Progress | undefined;
    let openingAt = 0;
    let openedAt = 0;
    let opening!: () => void;
    const started = new Promise<void>((r) => (opening = r));
    const w = startWorker(
      pipeline,
      dir,
      opts.stateCacheBytes,
      (p) => {
        latest = p;
        openedAt ||= Date.now();
      },
      () => {
        openingAt = Date.now();
        opening();
      },
    );
    runs++;
    await Promise.race([started, w.exited, sleep(30_000)]);
    const settled = kills >= opts.minKills;
    // The work (replaying, reading input, committing epochs) happens while the engine opens and
    // just after: while kills are still due, die at a random moment in that span (as long as the
    // last open took, plus 200 ms and `workMs`); afterwards let the run finish (caught up, or 30 s).
    if (settled) {
      const until = Date.now() + 30_000;
      while (Date.now() < until && !(latest && latest.lag === 0 && latest.out >= opts.expectedOut)) await sleep(20);
      await sleep(300);
    } else {
      await sleep(Math.floor(opts.rand() * (openMs + 200 + (opts.workMs ?? 0))));
    }
    w.child.kill('SIGKILL');
    await w.exited;
    if (openedAt > openingAt && openingAt > 0) openMs = openedAt - openingAt;
    // Killed before it ever opened: give the next run longer (a busy machine opens slowly).
    else if (!latest) openMs = Math.min(2 * openMs, 10_000);
    kills++;
    const p = latest;
    evictions += p?.evictions ?? 0;
    if (p && p.out < opts.expectedOut) midway++;
    if (!p) duringOpen++;
    // Stable: a run after the kills found nothing left to read and everything out, as the run
    // before it did (a run that read everything but had not yet passed the rows on is not).
    if (settled && p && p.lag === 0 && p.out >= opts.expectedOut && p.out === lastOut) stableRuns++;
    else stableRuns = 0;
    lastOut = p?.out ?? lastOut;
    if (stableRuns >= 1 || Date.now() > deadline) break;
  }
  return { runs, kills, duringOpen, midway, evictions };
}
