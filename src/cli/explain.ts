/** `sluice explain "SQL" [--file schema.sql]`: the plan of a query, after optional DDL. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SluiceError } from '../common/errors.js';
import { openEngine } from './load-engine.js';

export interface ExplainOptions {
  readonly file?: string;
  /** Use this data folder instead of a throw-away one. */
  readonly data?: string;
}

export async function explain(sql: string, opts: ExplainOptions): Promise<number> {
  const scratch = opts.data === undefined ? await mkdtemp(join(tmpdir(), 'sluice-explain-')) : undefined;
  const engine = await openEngine({ dataDir: scratch ?? resolve(opts.data ?? '.') });
  try {
    if (opts.file !== undefined) {
      const ddl = await readFile(opts.file, 'utf8');
      await runReporting(() => engine.execute(ddl), ddl);
    }
    const text = /^\s*explain\b/i.test(sql) ? sql : `EXPLAIN ${sql}`;
    const results = await runReporting(() => engine.execute(text), text);
    for (const r of results) {
      if (r.kind === 'explain') process.stdout.write(`${r.text}\n`);
      else if (r.kind === 'push') r.cancel();
    }
    return 0;
  } catch (err) {
    if (err instanceof SluiceError) {
      process.stderr.write(`${err.render()}\n`);
      return 1;
    }
    throw err;
  } finally {
    await engine.close();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}

async function runReporting<T>(f: () => Promise<T>, sql: string): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof SluiceError) err.withSql(sql);
    throw err;
  }
}
