/**
 * Errors travel: a dead-letter write that fails is retried, then fails its query (a push query
 * ends with the error, a view's checkpoint is not taken and the view resumes from the previous
 * one), never vanishes; and the AbortSignal of `execute` cancels every kind of statement.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import { Engine } from '../../src/engine/engine.js';
import type { EmbeddedLog } from '../../src/state/index.js';
import type { StatementResult } from '../../src/engine/types.js';
import { tempEngine } from './helpers.js';

let engine: Engine;
let dir: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ engine, dir, cleanup } = await tempEngine(50));
});
afterEach(async () => cleanup());

/**
 * Makes appends to `topic` fail `times` times (Infinity: always) with a disk-like error, the way
 * a full disk fails them: the async form rejects, the form staged into a write batch throws.
 */
function failAppends(log: EmbeddedLog, topic: string, times: number): { restore: () => void; failed: () => number } {
  const real = log.append.bind(log) as (...args: unknown[]) => unknown;
  let failed = 0;
  (log as { append: unknown }).append = (...args: unknown[]) => {
    if (args[0] === topic && failed < times) {
      failed++;
      const err = new Error('No space left on device');
      if (args.length >= 5) throw err;
      return Promise.reject(err);
    }
    return real(...args);
  };
  return { restore: () => ((log as { append: unknown }).append = real), failed: () => failed };
}

async function drain(result: StatementResult | undefined): Promise<{ rows: unknown[][]; error: unknown }> {
  if (result?.kind !== 'push') throw new Error(`expected a push result, got ${result?.kind}`);
  const rows: unknown[][] = [];
  try {
    for await (const batch of result.rows) rows.push(...batch.map((r) => [...r.values]));
    return { rows, error: undefined };
  } catch (error) {
    return { rows, error };
  }
}

async function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const SETUP = `CREATE STREAM s (id STRING, n INT) WITH (partitions = 1);
INSERT INTO s VALUES ('a', 1), ('b', 0), ('c', 2), ('d', 0);`;

describe('a failed dead-letter write', () => {
  it('fails a push query with an error naming the query and the topic, after retrying', async () => {
    await engine.execute(SETUP);
    const fault = failAppends(engine.log, 'push_1_dlq', Number.POSITIVE_INFINITY);
    const [r] = await engine.execute('SELECT id, 10 / n AS q FROM s', { bounded: true });
    const { error } = await drain(r);
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).code).toBe('STATE_ERROR');
    expect((error as SluiceError).message).toMatch(/push query push_1: cannot write 2 dead letter\(s\) to 'push_1_dlq' after 3 tries: No space left on device/);
    expect(fault.failed()).toBe(3);
    expect(engine.query('push_1')?.status).toBe('failed');
  });

  it('retries a push query write that fails once: the letters arrive and the query finishes', async () => {
    await engine.execute(SETUP);
    const fault = failAppends(engine.log, 'push_1_dlq', 1);
    const [r] = await engine.execute('SELECT id, 10 / n AS q FROM s', { bounded: true });
    const { rows, error } = await drain(r);
    expect(error).toBeUndefined();
    expect(rows.map((x) => x[0])).toEqual(['a', 'c']);
    expect(fault.failed()).toBe(1);
    expect(engine.log.highWatermark('push_1_dlq', 0)).toBe(2);
  });

  it("fails a view's checkpoint as a whole; after a restart the view resumes and every letter is written once", async () => {
    await engine.execute(SETUP);
    const fault = failAppends(engine.log, 'v_dlq', Number.POSITIVE_INFINITY);
    await engine.execute('CREATE MATERIALIZED VIEW v AS SELECT id, 10 / n AS q FROM s');
    await until(() => engine.query('view_v')?.status === 'failed', 'the view to fail');
    const info = engine.query('view_v')!;
    expect(info.error?.code).toBe('STATE_ERROR');
    expect(info.error?.message).toMatch(/view v: checkpoint 1 .*2 dead letter\(s\) for 'v_dlq'.*No space left on device/);
    // Nothing of the failed epoch is visible: not the rows, not the letters.
    expect(await engine.viewScan('v')).toEqual([]);
    expect(engine.log.highWatermark('v_dlq', 0)).toBe(0);
    fault.restore();
    await engine.close();

    engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    await engine.checkpointAll();
    expect((await engine.viewScan('v')).map((x) => x['id']).sort()).toEqual(['a', 'c']);
    const [letters] = await engine.execute('SELECT row FROM v_dlq', { bounded: true });
    const { rows } = await drain(letters);
    expect(rows.map((x) => String(x[0])).sort()).toEqual([expect.stringContaining('"b"'), expect.stringContaining('"d"')]);
  });
});

describe('the AbortSignal of execute', () => {
  it('runs nothing when it has fired before the call', async () => {
    const ac = new AbortController();
    ac.abort(new Error('client disconnected'));
    const err = await engine.execute('CREATE STREAM a (x INT)', { signal: ac.signal }).catch((e: unknown) => e);
    expect((err as SluiceError).code).toBe('CANCELLED');
    expect((err as SluiceError).message).toBe('the statement was cancelled (client disconnected)');
    expect(engine.catalog.hasRelation('a')).toBe(false);
  });

  it('stops before the next statement, pointing at it; those before it stay done', async () => {
    const ac = new AbortController();
    const ran: string[] = [];
    const err = await engine
      .execute('CREATE STREAM a (x INT);\nCREATE STREAM b (x INT)', {
        signal: ac.signal,
        onResult: (r) => {
          ran.push(r.statement);
          ac.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(ran).toEqual(['CREATE STREAM a (x INT)']);
    expect((err as SluiceError).code).toBe('CANCELLED');
    expect((err as SluiceError).render()).toContain('LINE 2: CREATE STREAM b (x INT)');
    expect(engine.catalog.hasRelation('a')).toBe(true);
    expect(engine.catalog.hasRelation('b')).toBe(false);
  });

  it('cancels a push query it started, also after execute returned', async () => {
    await engine.execute(SETUP);
    const ac = new AbortController();
    const [r] = await engine.execute('SELECT id FROM s', { signal: ac.signal, from: 'earliest' });
    if (r?.kind !== 'push') throw new Error('expected a push result');
    const done = drain(r);
    await until(() => (engine.query(r.queryId)?.rowsOut ?? 0) >= 4, 'the rows');
    expect(engine.query(r.queryId)?.status).toBe('running');
    ac.abort();
    const { rows, error } = await done;
    expect(error).toBeUndefined();
    expect(rows).toHaveLength(4);
    expect(engine.query(r.queryId)?.status).toBe('finished');
  });

  it('undoes a view whose start it cancelled', async () => {
    await engine.execute(SETUP);
    const ac = new AbortController();
    const signal = ac.signal;
    // Fires while the view's query starts (the statement itself was allowed to begin).
    const checkpoints = engine.checkpoints;
    const latest = checkpoints.latest.bind(checkpoints);
    checkpoints.latest = async (id: string) => {
      ac.abort(new Error('client disconnected'));
      return latest(id);
    };
    const err = await engine.execute('CREATE MATERIALIZED VIEW v AS SELECT id FROM s', { signal }).catch((e: unknown) => e);
    expect((err as SluiceError).code).toBe('CANCELLED');
    expect((err as SluiceError).message).toContain('starting the materialized view v was cancelled');
    expect(engine.catalog.hasRelation('v')).toBe(false);
    expect(engine.queries().filter((q) => q.kind === 'view')).toEqual([]);
    expect(await engine.isRecorded('view', 'v')).toBe(false);
  });
});
