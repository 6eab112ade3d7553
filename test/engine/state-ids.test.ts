/**
 * Stable state ids: a stored query whose plan changes shape (an added projection) restores its
 * state exactly; one whose stateful operators changed stops with an error that names them,
 * instead of giving one operator's state to another.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { operatorIdentities, resolveStateIds } from '../../src/exec/state-ids.js';
import { mapPhysicalInputs, type PhysicalPlan } from '../../src/planner/physical.js';
import { planQuery } from '../../src/planner/plan-query.js';
import { parseStatement, type SelectQuery } from '../../src/parser/index.js';
import { KvTable } from '../../src/state/index.js';
import { tempEngine } from './helpers.js';

const STREAM = 'CREATE STREAM ev (k STRING, v INT)';
const VIEW = 'CREATE MATERIALIZED VIEW per_k AS SELECT k, COUNT(*) AS n, SUM(v) AS s FROM ev GROUP BY k';
const SIDE_A = "CREATE STREAM a (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)";
const SIDE_B = "CREATE STREAM b (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)";
/** One interval join written with its two sides in either order: same keys, bounds and types. */
const JOIN_AB = "SELECT a.k AS ak, a.v AS av, b.v AS bv FROM a JOIN b ON a.k = b.k AND b.ts BETWEEN a.ts - INTERVAL '1' MINUTE AND a.ts + INTERVAL '1' MINUTE";
const JOIN_BA = "SELECT a.k AS ak, a.v AS av, b.v AS bv FROM b JOIN a ON b.k = a.k AND a.ts BETWEEN b.ts - INTERVAL '1' MINUTE AND b.ts + INTERVAL '1' MINUTE";

/** Stream `a` joined with its own windowed maximum: both scans of `a` share one reader. */
const SELF_JOIN =
  "SELECT a.k, a.v FROM a JOIN (SELECT MAX(v) AS hi, window_end AS we FROM TABLE(TUMBLE(TABLE a, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY window_start, window_end) AS m ON a.v = m.hi AND a.ts BETWEEN m.we - INTERVAL '10' SECOND AND m.we";

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups) await c();
  cleanups = [];
});

/** Replaces the recorded statement of view `name` (what an upgrade that plans it differently does). */
async function rewriteView(engine: Engine, name: string, sql: string): Promise<void> {
  const catalog = new KvTable<{ seq: number; sql: string }>(engine.store, '__catalog');
  const entry = await catalog.get(`view:${name}`);
  if (!entry) throw new Error(`view ${name} is not recorded`);
  await catalog.upsert(`view:${name}`, { seq: entry.seq, sql });
}

async function contents(engine: Engine): Promise<Record<string, unknown>> {
  await engine.checkpointAll();
  return Object.fromEntries((await engine.viewScan('per_k')).map((r) => [String(r['k']), [r['n'], r['s']]]));
}

function query(sql: string): SelectQuery {
  const stmt = parseStatement(sql);
  if (stmt.kind !== 'Query') throw new Error('expected a query');
  return stmt.query;
}

/** The plan as it was before scans shared readers. */
function unshared(plan: PhysicalPlan): PhysicalPlan {
  if (plan.kind !== 'SourceExec') return mapPhysicalInputs(plan, unshared);
  const { shared: _shared, ...scan } = plan;
  return scan;
}

function statefulIds(engine: Engine, sql: string): string[] {
  return operatorIdentities(planQuery(query(sql), engine.catalog).physical).operators.flatMap((o) => (o.stateId ? [o.stateId] : []));
}

describe('stable state ids', () => {
  it('depend on what a stateful operator is, not on the projections and filters around it', async () => {
    const { engine, cleanup } = await tempEngine();
    cleanups.push(cleanup);
    await engine.execute(STREAM);
    const base = statefulIds(engine, 'SELECT k, COUNT(*) AS n FROM ev GROUP BY k');
    expect(base).toHaveLength(1);
    expect(base[0]).toMatch(/^agg-[0-9a-f]{8}$/);
    expect(statefulIds(engine, 'SELECT n * 2 AS twice, k FROM (SELECT k, COUNT(*) AS n FROM ev GROUP BY k) WHERE n > 1')).toEqual(base);
    expect(statefulIds(engine, 'SELECT k, COUNT(*) AS total FROM ev GROUP BY k')).toEqual(base);
    expect(statefulIds(engine, 'SELECT k, COUNT(*) AS n, SUM(v) AS s FROM ev GROUP BY k')).not.toEqual(base);
    expect(statefulIds(engine, 'SELECT v, COUNT(*) AS n FROM ev GROUP BY v')).not.toEqual(base);
  });

  it('cover the relations each input of an operator reads, so exchanged join sides get other ids', async () => {
    const { engine, cleanup } = await tempEngine();
    cleanups.push(cleanup);
    await engine.execute(SIDE_A);
    await engine.execute(SIDE_B);
    await engine.execute(STREAM);
    const ab = statefulIds(engine, JOIN_AB);
    expect(ab).toHaveLength(1);
    expect(ab[0]).toMatch(/^join-[0-9a-f]{8}$/);
    expect(statefulIds(engine, JOIN_BA)).not.toEqual(ab);
    expect(statefulIds(engine, `SELECT ak FROM (${JOIN_AB}) WHERE av > 0`)).toEqual(ab);
    // The same aggregate over another stream is another operator.
    expect(statefulIds(engine, 'SELECT k, COUNT(*) AS n FROM a GROUP BY k')).not.toEqual(statefulIds(engine, 'SELECT k, COUNT(*) AS n FROM b GROUP BY k'));
  });

  it('stay the same when the scans of an input share one reader, so checkpoints from before restore', async () => {
    const { engine, cleanup } = await tempEngine();
    cleanups.push(cleanup);
    await engine.execute(SIDE_A);
    const plan = planQuery(query(SELF_JOIN), engine.catalog).physical;
    expect(JSON.stringify(plan)).toContain('"shared"');
    const ids = operatorIdentities(plan).operators;
    expect(ids.filter((o) => o.stateId !== undefined).map((o) => o.kind)).toEqual(['IntervalJoinExec', 'WindowAggregateExec']);
    expect(ids).toEqual(operatorIdentities(unshared(plan)).operators);
  });

  it('refuse a checkpoint whose operators differ from the plan, naming both sides', async () => {
    const { engine, cleanup } = await tempEngine();
    cleanups.push(cleanup);
    await engine.execute(STREAM);
    const plan = planQuery(query('SELECT k, COUNT(*) AS n FROM ev GROUP BY k'), engine.catalog).physical;
    const fresh = resolveStateIds('q', plan, undefined, false);
    expect(resolveStateIds('q', plan, fresh.record, true).ids).toEqual(fresh.ids);
    // A checkpoint from before ids were recorded keeps its positional layout.
    expect(resolveStateIds('q', plan, undefined, true).ids).toContain('op0');
    // One from before ids covered the relations read keeps the ids it was written under.
    const unsourced = operatorIdentities(plan).operators.flatMap((o) => (o.unsourcedId ? [o.unsourcedId] : []));
    expect(unsourced).not.toEqual(fresh.record.ids);
    expect(resolveStateIds('q', plan, { ids: unsourced }, true).record.ids).toEqual(unsourced);
    expect(() => resolveStateIds('q', plan, { ids: ['agg-00000000'] }, true)).toThrow(
      new RegExp(`query 'q' cannot restore its state: .*no longer has \\(agg-00000000\\).*does not know \\(${fresh.record.ids[0]}\\)`),
    );
  });

  it('restore a stored view after an added projection, and stop one whose aggregate changed with a clear error', async () => {
    const { engine, dir, cleanup } = await tempEngine(50);
    cleanups.push(cleanup);
    await engine.execute(STREAM);
    await engine.execute(VIEW);
    await engine.execute("INSERT INTO ev VALUES ('a', 1), ('a', 2), ('b', 5)");
    expect(await contents(engine)).toEqual({ a: [2n, 3n], b: [1n, 5n] });
    // Planned with a projection on top: the aggregate keeps its id and its state.
    await rewriteView(engine, 'per_k', 'CREATE MATERIALIZED VIEW per_k AS SELECT k, n, s FROM (SELECT k, COUNT(*) AS n, SUM(v) AS s FROM ev WHERE v IS NOT NULL OR v IS NULL GROUP BY k)');
    await engine.close();

    let again = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    try {
      expect(again.restoreErrors).toEqual([]);
      await again.execute("INSERT INTO ev VALUES ('a', 10), ('c', 7)");
      expect(await contents(again)).toEqual({ a: [3n, 13n], b: [1n, 5n], c: [1n, 7n] });
      // Planned with another aggregate: its state cannot be the old operator's.
      await rewriteView(again, 'per_k', 'CREATE MATERIALIZED VIEW per_k AS SELECT k, COUNT(*) AS n, MAX(v) AS s FROM ev GROUP BY k');
    } finally {
      await again.close();
    }

    again = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    try {
      expect(again.restoreErrors).toHaveLength(1);
      const err = again.restoreErrors[0]!.error;
      expect(err.code).toBe('STATE_ERROR');
      expect(err.message).toMatch(/query 'per_k' cannot restore its state: its checkpoint holds state of operators the plan no longer has \(agg-[0-9a-f]{8}\), and the plan has stateful operators the checkpoint does not know \(agg-[0-9a-f]{8}\)/);
      expect(err.hint).toMatch(/drop and create the query again/);
      expect(again.queries().find((q) => q.name === 'per_k')?.status).toBe('failed');
    } finally {
      await again.close();
    }
  });

  it('stop a stored join whose sides were exchanged instead of giving each side the other one\'s rows', async () => {
    const { engine, dir, cleanup } = await tempEngine(50);
    cleanups.push(cleanup);
    await engine.execute(SIDE_A);
    await engine.execute(SIDE_B);
    await engine.execute(`CREATE MATERIALIZED VIEW pairs WITH (key = 'ak,av,bv') AS ${JOIN_AB}`);
    // Rows buffered on both sides, within the join's bounds of rows still to come.
    await engine.execute("INSERT INTO a VALUES ('x', 1, TIMESTAMP '2024-01-01 00:00:00')");
    await engine.execute("INSERT INTO b VALUES ('y', 2, TIMESTAMP '2024-01-01 00:00:00')");
    await engine.checkpointAll();
    expect(await engine.viewScan('pairs')).toEqual([]);
    await rewriteView(engine, 'pairs', `CREATE MATERIALIZED VIEW pairs WITH (key = 'ak,av,bv') AS ${JOIN_BA}`);
    await engine.close();

    const again = await Engine.open({ dataDir: dir, checkpointIntervalMs: 50 });
    try {
      expect(again.restoreErrors).toHaveLength(1);
      const err = again.restoreErrors[0]!.error;
      expect(err.code).toBe('STATE_ERROR');
      expect(err.message).toMatch(/query 'pairs' cannot restore its state: its checkpoint holds state of operators the plan no longer has \(join-[0-9a-f]{8}\), and the plan has stateful operators the checkpoint does not know \(join-[0-9a-f]{8}\)/);
      expect(again.queries().find((q) => q.name === 'pairs')?.status).toBe('failed');
    } finally {
      await again.close();
    }
  });
});

/** Nexmark q5's shape over stream `a`: the per-key window counts, joined with their maximum per window. */
const COUNTS = "SELECT k, COUNT(*) AS n, window_start AS ws, window_end AS we FROM TABLE(HOP(TABLE a, DESCRIPTOR(ts), INTERVAL '2' SECOND, INTERVAL '10' SECOND)) GROUP BY k, window_start, window_end";
const HOT = `SELECT c.k, c.n FROM (${COUNTS}) AS c JOIN (SELECT MAX(n) AS top, ws, we FROM (${COUNTS}) AS d GROUP BY ws, we) AS m ON c.ws = m.ws AND c.we = m.we AND m.we BETWEEN c.we AND c.we AND c.n >= m.top`;

describe('state ids of a sub-plan computed once for all its uses', () => {
  it('keep one window aggregate, and restore a checkpoint written when each use was built', async () => {
    const { engine, cleanup } = await tempEngine();
    cleanups.push(cleanup);
    await engine.execute(SIDE_A);
    const plan = planQuery(query(HOT), engine.catalog).physical;
    const { operators, absorbed } = operatorIdentities(plan);
    expect(operators.filter((o) => o.stateId !== undefined).map((o) => o.kind)).toEqual(['IntervalJoinExec', 'WindowAggregateExec', 'GroupAggregateExec']);
    expect(absorbed.length).toBe(2);
    expect(absorbed[0]).toMatch(/^window@1-[0-9a-f]{8}$/);
    const fresh = resolveStateIds('q', plan, undefined, false);
    expect(fresh.record.ids).not.toContain(absorbed[0]);
    // Before, the second use was built too and its state recorded: that state is left unread.
    const before = { ids: [...fresh.record.ids, absorbed[0]!] };
    expect(resolveStateIds('q', plan, before, true).ids).toEqual(fresh.ids);
    // Positional ids from before ids were stable cannot be mapped any more: a clear error.
    expect(() => resolveStateIds('q', plan, undefined, true)).toThrow(/computes a repeated sub-plan once/);
  });

  it('restore the one built use across a restart: the view equals an uninterrupted run', async () => {
    const row = (k: string, sec: number) => `('${k}', 1, TIMESTAMP '2024-01-01 00:00:${String(sec).padStart(2, '0')}')`;
    const first = [row('x', 1), row('x', 2), row('y', 3), row('y', 4), row('y', 5), row('z', 9)];
    const second = [row('x', 11), row('z', 12), row('z', 13), row('x', 14), row('x', 15), row('y', 40)];
    const sorted = (rows: Record<string, unknown>[]) => rows.map((r) => `${String(r['k'])}:${String(r['n'])}`).sort();
    const run = async (restart: boolean): Promise<string[]> => {
      const { engine, dir, cleanup } = await tempEngine();
      cleanups.push(cleanup);
      await engine.execute(SIDE_A);
      await engine.execute(`CREATE MATERIALIZED VIEW hot AS ${HOT}`);
      await engine.execute(`INSERT INTO a VALUES ${first.join(', ')}`);
      await engine.checkpointAll();
      let e = engine;
      if (restart) {
        await engine.close();
        e = await Engine.open({ dataDir: dir, checkpointIntervalMs: 100 });
        cleanups.unshift(() => e.close());
      }
      await e.execute(`INSERT INTO a VALUES ${second.join(', ')}`);
      const deadline = Date.now() + 10_000;
      let rows = sorted(await e.viewScan('hot'));
      // Windows up to 00:00:30 close once the watermark passes them (the row at 00:00:40).
      while (Date.now() < deadline && !rows.includes('x:3')) {
        await new Promise((r) => setTimeout(r, 50));
        await e.checkpointAll();
        rows = sorted(await e.viewScan('hot'));
      }
      return rows;
    };
    const whole = await run(false);
    expect(whole).toContain('x:3');
    expect(await run(true)).toEqual(whole);
  });
});
