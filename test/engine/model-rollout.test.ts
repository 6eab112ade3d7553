import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { txEvent } from '../../src/connectors/datagen.js';
import { Engine } from '../../src/engine/engine.js';
import { batchFromRows } from '../../src/exec/columns.js';
import { encodeBatch } from '../../src/exec/ipc.js';
import { T, arrayOf } from '../../src/common/types.js';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectRows } from '../sql/collect.js';
import { take, tempEngine } from './helpers.js';

/** Opens the engine on `dir` again, for the test's cleanup to close and remove. */
async function reopen(dir: string): Promise<{ engine: Engine; cleanup: () => Promise<void> }> {
  const engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 100 });
  return { engine, cleanup: async () => { await engine.close(); rmSync(dir, { recursive: true, force: true }); } };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
}

const FIELDS = [
  { name: 'tx_id', type: T.STRING, nullable: false },
  { name: 'features', type: arrayOf(T.FLOAT, 30), nullable: false },
];

async function send(engine: Engine, from: number, n: number, topic = 'tx'): Promise<void> {
  const rows = Array.from({ length: n }, (_, i) => {
    const e = txEvent(from + i);
    return { tx_id: e.tx_id, features: e.features };
  });
  await engine.log.append(topic, 0, encodeBatch(batchFromRows(FIELDS, rows)), n);
}

function rowsOf(result: unknown): unknown[][] {
  const r = result as { kind: string; rows: unknown[][] };
  if (r.kind !== 'rows') throw new Error(`expected rows, got ${r.kind}`);
  return r.rows;
}

describe('model rollout', () => {
  let engine: Engine;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, dir, cleanup } = await tempEngine());
    await engine.execute(`
      CREATE STREAM tx (tx_id STRING, features ARRAY<FLOAT>(30)) WITH (partitions = 1);
      CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx', 'batch.max_rows' = 64, 'batch.max_wait' = '1ms', device = 'cpu');
      ALTER MODEL fraud SET (path = 'models/fraud-mlp.onnx');
    `);
  });
  afterEach(async () => cleanup());

  it('a pinned version scores with that version whatever serves, and is reported as used', async () => {
    const [res] = await engine.execute("SELECT tx_id, predict('fraud@1', features) AS s1, model_version('fraud@1') AS v1, predict('fraud', features) AS s2, model_version('fraud') AS v2, model_role('fraud') AS r FROM tx");
    const reading = take(res, 100, 20_000);
    await send(engine, 0, 100);
    const out = await reading;
    expect(out).toHaveLength(100);
    for (const r of out) {
      expect(r.values[2]).toBe(1);
      expect(r.values[4]).toBe(2);
      expect(r.values[5]).toBe('serving');
    }
    // Two different models: their scores differ on some rows.
    expect(out.some((r) => Math.abs((r.values[1] as number) - (r.values[3] as number)) > 1e-4)).toBe(true);
    const described = rowsOf((await engine.execute('DESCRIBE MODEL fraud'))[0]);
    expect(described.find((r) => r[0] === 'version 1')?.[1]).toMatch(/pinned by 1 query/);
  });

  it('an unknown version fails at plan time with a caret on the name', async () => {
    const sql = "SELECT predict('fraud@7', features) FROM tx";
    const err = await engine.execute(sql).then(() => undefined, (e: unknown) => e as { code: string; message: string; span?: { start: { column: number } } });
    expect(err?.code).toBe('UNKNOWN_VERSION');
    expect(err?.message).toContain("model 'fraud' has no version 7");
    expect(err?.span?.start.column).toBe(sql.indexOf("'fraud@7'") + 1);
  });

  it('keeps a pinned version loaded while a query uses it, and closes it after', async () => {
    const [res] = await engine.execute("SELECT tx_id, predict('fraud@1', features) AS s FROM tx");
    const reading = take(res, 10, 20_000);
    const loaded = () => Object.fromEntries(engine.models.describe('fraud', false).versions.map((v) => [v.number, v.loaded]));
    // Version 1 had been closed when version 2 replaced it: the query loads it again.
    await until('version 1 to be loaded again', () => loaded()[1] === true);
    await engine.execute("ALTER MODEL fraud SET (path = 'models/fraud-mlp-wide.onnx')");
    expect(loaded()).toEqual({ 1: true, 2: false, 3: true });
    await send(engine, 0, 10);
    const out = await reading;
    expect(out.map((r) => r.values[0])).toHaveLength(10);
    await until('the pin to be released', () => !loaded()[1]);
    expect(loaded()).toEqual({ 1: false, 2: false, 3: true });
  });

  it('DESCRIBE MODEL used_by names the views that pin a version', async () => {
    await engine.execute("CREATE MATERIALIZED VIEW v1 AS SELECT tx_id, predict('fraud@1', features) AS s FROM tx");
    const described = rowsOf((await engine.execute('DESCRIBE MODEL fraud'))[0]);
    expect(described.find((r) => r[0] === 'used_by')?.[1]).toBe('materialized view v1 (version 1)');
  });

  it('the prediction log holds each output row once, with its id, version, role and latency', async () => {
    await engine.execute(`
      ALTER MODEL fraud SET (log = 'on', 'log.id' = 'tx_id', 'log.inputs' = 'on');
      CREATE SINK scored WITH (connector = 'log', topic = 'scored') AS SELECT tx_id, predict('fraud', features) AS score, model_version('fraud') AS v FROM tx;
    `);
    const n = 1500;
    for (let i = 0; i < n; i += 100) await send(engine, i, 100);
    await until('the sink to catch up', () => engine.log.hasTopic('scored') && engine.log.highWatermark('scored', 0) >= n);
    await engine.checkpointAll();
    const out = await collectRows(engine, 'SELECT tx_id, score, v FROM scored');
    const logged = await collectRows(engine, "SELECT id, outputs, version, role, query, latency_ms, inputs, event_time, scored_at FROM fraud_predictions WHERE role = 'serving'");
    expect(out.rows).toHaveLength(n);
    const key = (r: readonly unknown[]): string => `${String(r[0])}|${Number(r[1]).toFixed(6)}|${String(r[2])}`;
    expect(logged.rows.map(key).sort()).toEqual(out.rows.map(key).sort());
    const q = engine.queries().find((x) => x.name === 'scored')!;
    for (const r of logged.rows) {
      expect(r[4]).toBe(q.id);
      expect(typeof r[5]).toBe('number');
      expect((r[6] as unknown[]).length).toBe(30);
      // tx has no event time: a prediction's is when it was scored.
      expect(r[7]).toBe(r[8]);
    }
    // The log is a stream like any other: windowed and aggregated by version.
    const perVersion = await collectRows(engine, 'SELECT version, COUNT(*) AS n FROM fraud_predictions GROUP BY version');
    expect(perVersion.rows.map((r) => [r[0], Number(r[1])])).toEqual([[3, n]]);
  });

  it('refuses at plan time a query that lacks the log id column', async () => {
    await engine.execute("CREATE STREAM other (features ARRAY<FLOAT>(30)) WITH (partitions = 1); ALTER MODEL fraud SET (log = 'on', 'log.id' = 'tx_id')");
    const err = await engine.execute("SELECT predict('fraud', features) FROM other").then(() => undefined, (e: unknown) => e as { code: string; message: string });
    expect(err?.code).toBe('UNKNOWN_COLUMN');
    expect(err?.message).toContain("model 'fraud' logs its predictions by 'tx_id' (option 'log.id'), but the query's input has no column tx_id");
  });

  it('a canary scores its share of keys, within 2 points over 20,000 keys, and each key always meets the same model', async () => {
    await engine.execute("ALTER MODEL fraud SET CANDIDATE (path = 'models/fraud.onnx', mode = 'canary', share = 0.1, key = 'tx_id')");
    const keys = 20_000;
    for (let pass = 0; pass < 2; pass++) for (let i = 0; i < keys; i += 1000) await send(engine, i, 1000);
    const rows = (await collectRows(engine, "SELECT tx_id, model_version('fraud') AS v, model_role('fraud') AS r, predict('fraud', features) AS s FROM tx")).rows;
    expect(rows).toHaveLength(2 * keys);
    const byKey = new Map<string, Set<string>>();
    for (const r of rows) {
      const k = String(r[0]);
      if (!byKey.has(k)) byKey.set(k, new Set());
      byKey.get(k)!.add(`${String(r[1])}/${String(r[2])}`);
    }
    expect(byKey.size).toBe(keys);
    for (const roles of byKey.values()) expect(roles.size).toBe(1);
    const canary = [...byKey.values()].filter((r) => r.has('3/canary')).length;
    const serving = [...byKey.values()].filter((r) => r.has('2/serving')).length;
    expect(canary + serving).toBe(keys);
    expect(Math.abs(canary / keys - 0.1)).toBeLessThanOrEqual(0.02);
  }, 120_000);

  it('PROMOTE and ROLLBACK under load lose and repeat no row and switch once each', async () => {
    await engine.execute("ALTER MODEL fraud SET CANDIDATE (path = 'models/fraud-mlp-wide.onnx', mode = 'shadow')");
    const chunks = 60;
    const per = 50;
    const [res] = await engine.execute("SELECT tx_id, model_version('fraud') AS v, model_role('fraud') AS r, predict('fraud', features) AS s FROM tx");
    const reading = take(res, chunks * per, 60_000);
    for (let c = 0; c < chunks; c++) {
      await send(engine, c * per, per);
      if (c === 20) await engine.execute('ALTER MODEL fraud PROMOTE');
      if (c === 40) await engine.execute('ALTER MODEL fraud ROLLBACK TO VERSION 2');
      await sleep(2);
    }
    const out = await reading;
    expect(out.map((r) => r.values[0])).toEqual(Array.from({ length: chunks * per }, (_, n) => txEvent(n).tx_id));
    const versions = out.map((r) => r.values[1] as number);
    const switches: number[][] = [];
    for (let i = 1; i < versions.length; i++) if (versions[i] !== versions[i - 1]) switches.push([versions[i - 1]!, versions[i]!]);
    expect(switches).toEqual([[2, 3], [3, 2]]);
    expect(new Set(out.map((r) => r.values[2]))).toEqual(new Set(['serving']));
    expect(engine.models.candidate('fraud')).toBeUndefined();
    expect(engine.models.events('fraud').map((e) => `${e.action} ${e.version}`)).toEqual(['create 1', 'alter 2', 'candidate 3', 'promote 3', 'rollback 2']);
  }, 90_000);

  it('a shadow candidate (models/slow.onnx) leaves the output and its p99 latency unchanged, and its rows are logged', async () => {
    await engine.execute("ALTER MODEL fraud SET (log = 'on', 'log.id' = 'tx_id')");
    const chunks = 60;
    const per = 20;
    /** Sends rows from `from` to a stream of its own and measures output time minus send time. */
    const run = async (from: number, stream: string): Promise<number> => {
      await engine.execute(`CREATE STREAM ${stream} (tx_id STRING, features ARRAY<FLOAT>(30)) WITH (partitions = 1)`);
      const [res] = await engine.execute(`SELECT tx_id, predict('fraud', features) AS s, model_role('fraud') AS r, predict('fraud@2', features) AS pinned FROM ${stream}`);
      if (res?.kind !== 'push') throw new Error('expected a push result');
      const sent = new Map<string, number>();
      const lat: number[] = [];
      const reading = (async () => {
        for await (const batch of res.rows) {
          const now = performance.now();
          for (const r of batch) {
            // The output comes from the serving version, unchanged by the shadow.
            expect(r.values[2]).toBe('serving');
            expect(r.values[1]).toBe(r.values[3]);
            const at = sent.get(r.values[0] as string);
            if (at !== undefined) lat.push(now - at);
          }
          if (lat.length >= chunks * per) break;
        }
        res.cancel();
      })();
      for (let c = 0; c < chunks; c++) {
        const at = performance.now();
        for (let i = 0; i < per; i++) sent.set(txEvent(from + c * per + i).tx_id, at);
        await send(engine, from + c * per, per, stream);
        await sleep(10);
      }
      await reading;
      expect(lat).toHaveLength(chunks * per);
      return pct(lat, 0.99);
    };
    const base = await run(0, 'run_base');
    await engine.execute("ALTER MODEL fraud SET CANDIDATE (path = 'models/slow.onnx', mode = 'shadow', inflight = 1, 'batch.max_rows' = 64)");
    const withShadow = await run(chunks * per, 'run_shadow');
    await until('the shadow to score a batch', () => (engine.models.describe('fraud').candidate?.stats?.latencyMs.count ?? 0) > 0);
    const d = engine.models.describe('fraud');
    const slowMs = d.candidate!.stats!.latencyMs.p50!;
    console.log(`shadow: output p99 ${base.toFixed(1)} ms without a candidate, ${withShadow.toFixed(1)} ms with models/slow.onnx as shadow (one shadow batch: p50 ${slowMs.toFixed(1)} ms; ${d.stats!.shadowSkipped} rows skipped)`);
    // Output that waited for the shadow would queue behind its batches: its last rows would wait
    // about `chunks` (60) shadow batches. Sharing a busy CPU with the shadow costs some latency on
    // a small machine; waiting for it costs an order of magnitude more, which this bound tells apart.
    expect(withShadow).toBeLessThan(3 * base + 4 * slowMs);
    await engine.execute('ALTER MODEL fraud DROP CANDIDATE');
    const shadowRows = (await collectRows(engine, "SELECT id, version, error FROM fraud_predictions WHERE role = 'shadow'")).rows;
    expect(shadowRows.length).toBeGreaterThan(0);
    for (const r of shadowRows) {
      expect(r[1]).toBe(d.candidate!.version);
      if (r[2] !== null) expect(String(r[2])).toMatch(/^skipped: /);
    }
    expect(new Set(shadowRows.map((r) => r[0])).size).toBe(shadowRows.length);
  }, 120_000);

  it('a watched folder turns each model file renamed into it into the next version, or the candidate; a bad file changes nothing', async () => {
    const folder = join(dir, 'incoming');
    mkdirSync(folder);
    await engine.execute(`ALTER MODEL fraud SET (watch = '${folder}')`);
    const arrive = (name: string, bytes: Buffer): void => {
      writeFileSync(join(folder, `.${name}.part`), bytes);
      renameSync(join(folder, `.${name}.part`), join(folder, name));
    };
    arrive('v4.onnx', readFileSync('models/fraud-mlp-wide.onnx'));
    await until('the watched file to become version 4', () => engine.models.get('fraud').number === 4);
    expect(engine.models.get('fraud')).toMatchObject({ path: join(folder, 'v4.onnx'), registeredBy: 'watch' });
    arrive('broken.onnx', Buffer.from('not a model'));
    await until('the bad file to be reported', () => engine.models.stats('fraud').snapshot().loadFailures === 1);
    expect(engine.models.get('fraud').number).toBe(4);
    const events = engine.models.events('fraud');
    expect(events.at(-1)).toMatchObject({ action: 'load failed', by: 'watch' });
    expect(events.at(-1)?.reason).toContain('broken.onnx');
    await engine.execute(`ALTER MODEL fraud SET ('watch.as' = 'candidate')`);
    arrive('v6.onnx', readFileSync('models/fraud.onnx'));
    await until('the watched file to become the candidate', () => engine.models.candidate('fraud') !== undefined);
    expect(engine.models.candidate('fraud')).toMatchObject({ mode: 'shadow', version: { number: 6, registeredBy: 'watch' } });
    expect(engine.models.get('fraud').number).toBe(5);
  });

  it('a restart serves what served before: the promoted version, the candidate, the log stream', async () => {
    await engine.execute(`
      ALTER MODEL fraud SET CANDIDATE (path = 'models/fraud-mlp-wide.onnx', mode = 'shadow', metadata = '{"auc": 0.98}');
      ALTER MODEL fraud PROMOTE;
      ALTER MODEL fraud SET (log = 'on');
      ALTER MODEL fraud SET CANDIDATE (path = 'models/fraud.onnx', mode = 'canary', share = 0.2);
    `);
    await engine.close();
    const again = await Engine.open({ dataDir: dir, checkpointIntervalMs: 100 });
    try {
      expect(again.restoreErrors).toEqual([]);
      expect(again.models.get('fraud')).toMatchObject({ path: 'models/fraud-mlp-wide.onnx', options: { log: true } });
      expect(again.models.candidate('fraud')).toMatchObject({ mode: 'canary', share: 0.2, version: { path: 'models/fraud.onnx' } });
      expect(again.catalog.findRelation('fraud_predictions')?.kind).toBe('stream');
    } finally {
      await again.close();
      ({ engine, cleanup } = await reopen(dir));
    }
  });
});
