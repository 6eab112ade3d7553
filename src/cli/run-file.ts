/**
 * `sluice run FILE`: runs a SQL file on an embedded engine. Results of ordinary statements are
 * printed as tables; rows of push queries are printed as they arrive. While any query runs, a
 * progress line on stderr shows its counters, until Ctrl-C (or until every query has ended).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SluiceError } from '../common/errors.js';
import type { StatementResult } from '../engine/types.js';
import { LiveRowPrinter } from '../shell/live-rows.js';
import { openEngine } from './load-engine.js';
import { printResult } from '../shell/render.js';
import { ProgressReporter } from './progress.js';
import { safetyOptions, type SafetyFlags } from './safety-options.js';

export interface RunFileOptions extends SafetyFlags {
  readonly data: string;
  /** Push queries read their input as it is now and end. */
  readonly bounded?: boolean;
  /** Where push queries start reading their streams (default: the latest position). */
  readonly from?: 'earliest' | 'latest';
}

type PushResult = Extract<StatementResult, { kind: 'push' }>;

export async function runFile(file: string, opts: RunFileOptions): Promise<number> {
  const sql = await readFile(file, 'utf8');
  const engine = await openEngine({ ...safetyOptions(opts), dataDir: resolve(opts.data) });
  const progress = new ProgressReporter(() => engine.queries().filter((q) => q.status === 'running'));
  const write = (s: string): void => {
    progress.clear();
    process.stdout.write(s);
  };
  let results: StatementResult[];
  try {
    results = await engine.execute(sql, { ...(opts.bounded === true ? { bounded: true } : {}), ...(opts.from !== undefined ? { from: opts.from } : {}) });
  } catch (err) {
    await engine.close();
    process.stderr.write(`${err instanceof SluiceError ? err.withSql(sql).render() : String(err)}\n`);
    return 1;
  }
  const pushes: PushResult[] = [];
  for (const r of results) {
    if (r.kind === 'push') pushes.push(r);
    else printResult(r, write);
  }
  if (!engine.queries().some((q) => q.status === 'running') && pushes.length === 0) {
    await engine.close();
    return 0;
  }

  let interrupted = false;
  const stopped = new Promise<void>((resolveStop) => {
    process.once('SIGINT', () => {
      interrupted = true;
      for (const p of pushes) p.cancel();
      resolveStop();
    });
  });
  progress.start();
  const streams = pushes.map(async (p) => {
    const printer = new LiveRowPrinter(p.columns, p.updating, write);
    write(`-- push query ${p.queryId}\n`);
    printer.header();
    for await (const batch of p.rows) for (const row of batch) printer.row(row);
  });
  const pushesDone = Promise.all(streams);
  // With only persistent queries running, wait for Ctrl-C; with push queries, also stop when they all end.
  await (pushes.length > 0 ? Promise.race([stopped, pushesDone]) : stopped);
  progress.stop();
  if (interrupted) process.stderr.write('interrupted; closing the engine (persistent queries resume on the next start)\n');
  await engine.close();
  return 0;
}
