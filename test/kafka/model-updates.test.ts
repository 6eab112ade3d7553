/**
 * Models as data from Kafka: records of a model's 'updates.topic' (key = model name, value = the
 * .onnx file) become its next versions or its candidate, once each across restarts, against the
 * mock broker.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { kafkajs } from '../../src/connectors/kafka/options.js';
import { Engine } from '../../src/engine/engine.js';
import { KvTable } from '../../src/state/index.js';
import { startKafkaMock, type KafkaMock } from '../kafka-mock/harness.js';
import { client } from './support.js';

process.env['KAFKAJS_NO_PARTITIONER_WARNING'] = '1';

const TOPIC = 'model-updates';
const FRAUD = `CREATE MODEL fraud INPUT (features ARRAY<FLOAT>(30)) OUTPUT (score FLOAT) WITH (path = 'models/fraud.onnx', device = 'cpu'`;

let mock: KafkaMock;
const dirs: string[] = [];

beforeAll(async () => {
  mock = await startKafkaMock({ brokers: 1, topics: [`${TOPIC}:1`], groupInitialRebalanceDelayMs: 0 });
}, 300_000);

afterAll(async () => {
  await mock?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sluice-updates-'));
  dirs.push(d);
  return d;
}

/** Publishes model files as a training job would: key = model name, value = the file's bytes. */
async function publish(records: readonly { key: string; value: Buffer; metadata?: string }[], topic = TOPIC): Promise<void> {
  const p = client(mock.brokers).producer({ createPartitioner: kafkajs().Partitioners.DefaultPartitioner });
  await p.connect();
  try {
    await p.send({ topic, acks: -1, messages: records.map((r) => ({ key: r.key, value: r.value, ...(r.metadata ? { headers: { metadata: r.metadata } } : {}) })) });
  } finally {
    await p.disconnect();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const wide = readFileSync('models/fraud-mlp-wide.onnx');
const small = readFileSync('models/fraud.onnx');

describe("a model's updates topic", () => {
  it('turns each record keyed by the model into its next version or candidate, once across restarts; a bad record changes nothing', async () => {
    const dir = tempDir();
    // Already in the topic when the model starts reading it: counts as seen, like files already in a watched folder.
    await publish([{ key: 'fraud', value: wide }]);
    let engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 100 });
    try {
      await engine.execute(`${FRAUD}, 'updates.topic' = '${TOPIC}', 'updates.brokers' = '${mock.bootstrap}')`);
      await publish([
        { key: 'other', value: small },
        { key: 'FRAUD', value: wide, metadata: '{"auc": 0.97}' },
      ]);
      await until('the record to become version 2', () => engine.models.get('fraud').number === 2);
      const v2 = engine.models.get('fraud');
      expect(v2).toMatchObject({ registeredBy: 'topic', options: { metadata: '{"auc":0.97}', updatesTopic: TOPIC } });
      expect(v2.path.startsWith(join(dir, 'model-updates'))).toBe(true);
      expect(v2.checksum).not.toBe(engine.models.versions('fraud')[0]!.checksum);

      await publish([{ key: 'fraud', value: Buffer.from('not a model') }]);
      await until('the bad record to be reported', () => engine.models.stats('fraud').snapshot().loadFailures === 1);
      expect(engine.models.get('fraud').number).toBe(2);
      expect(engine.models.events('fraud').at(-1)).toMatchObject({ action: 'load failed', by: 'topic' });
      expect(await engine.metrics.metrics()).toContain('sluice_model_load_failures_total{model="fraud"} 1');
      const [described] = await engine.execute('DESCRIBE MODEL fraud');
      expect(JSON.stringify(described)).toContain('load failed by topic');
    } finally {
      await engine.close();
    }

    // Published while the server is down: read after the restart has restored the model, and served.
    await publish([{ key: 'fraud', value: small, metadata: '{"published": "while down"}' }]);
    engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 100 });
    try {
      expect(engine.restoreErrors).toEqual([]);
      await until('the record published while down to serve', () => engine.models.get('fraud').options.metadata === '{"published":"while down"}');
    } finally {
      await engine.close();
    }

    // A restart serves the version from the topic and resumes after the last record handled.
    engine = await Engine.open({ dataDir: dir, checkpointIntervalMs: 100 });
    try {
      expect(engine.restoreErrors).toEqual([]);
      const served = engine.models.get('fraud');
      expect(served).toMatchObject({ options: { metadata: '{"published":"while down"}' } });
      expect(served.path.startsWith(join(dir, 'model-updates'))).toBe(true);
      const versions = engine.models.versions('fraud').length;
      await sleep(1500);
      expect(engine.models.versions('fraud')).toHaveLength(versions);
      expect(engine.models.get('fraud').path).toBe(served.path);
      expect(engine.models.stats('fraud').snapshot().loadFailures).toBe(0);

      await publish([{ key: 'fraud', value: wide }]);
      await until('the next record to become a version', () => engine.models.versions('fraud').length === versions + 1);
      expect(engine.models.get('fraud').registeredBy).toBe('topic');
      expect(engine.models.get('fraud').checksum).not.toBe(served.checksum);
      const applied = engine.models.get('fraud');

      // A crash after the version was recorded but before the position was: the record is read again and skipped.
      await engine.execute(`ALTER MODEL fraud SET ('updates.topic' = 'none')`);
      const positions = new KvTable<{ offsets: Record<string, number> }>(engine.store, '__model_updates');
      const key = `fraud\u0000${TOPIC}`;
      const at = (await positions.get(key))!.offsets['0']!;
      await positions.upsert(key, { offsets: { '0': at - 1 } });
      const before = engine.models.versions('fraud').length;
      await engine.execute(`ALTER MODEL fraud SET ('updates.topic' = '${TOPIC}')`);
      const deadline = Date.now() + 10_000;
      while ((await positions.get(key))!.offsets['0'] !== at && Date.now() < deadline) await sleep(50);
      expect((await positions.get(key))!.offsets['0']).toBe(at);
      expect(engine.models.versions('fraud')).toHaveLength(before + 1); // the ALTER itself, no version from the record
      expect(engine.models.versions('fraud').filter((v) => v.path === applied.path && v.registeredBy === 'topic')).toHaveLength(1);

      await engine.execute(`ALTER MODEL fraud SET ('updates.as' = 'candidate')`);
      const serving = engine.models.get('fraud').number;
      await publish([{ key: 'fraud', value: wide }]);
      await until('the record to become the candidate', () => engine.models.candidate('fraud') !== undefined);
      expect(engine.models.candidate('fraud')).toMatchObject({ mode: 'shadow', version: { registeredBy: 'topic' } });
      expect(engine.models.get('fraud').number).toBe(serving);

      // A model created again under the name starts at the topic's end, not where the dropped one was.
      await engine.execute('DROP MODEL fraud');
      expect(await positions.get(key)).toBeUndefined();
    } finally {
      await engine.close();
    }
  }, 120_000);

  it('reports a topic it cannot read without holding up the statement, and reads it once it exists', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (written.push(String(chunk)), true));
    const engine = await Engine.open({ dataDir: tempDir(), checkpointIntervalMs: 100 });
    try {
      const started = Date.now();
      await engine.execute(`${FRAUD}, 'updates.topic' = 'late-topic', 'updates.brokers' = '${mock.bootstrap}')`);
      expect(Date.now() - started).toBeLessThan(10_000);
      await until('the unreadable topic to be reported', () => written.some((w) => w.includes("updates topic 'late-topic' of model 'fraud'")));
      expect(engine.models.get('fraud').number).toBe(1);
      await mock.command('create-topic late-topic:1');
      const positions = new KvTable(engine.store, '__model_updates');
      const deadline = Date.now() + 20_000;
      while ((await positions.get('fraud\u0000late-topic')) === undefined && Date.now() < deadline) await sleep(100);
      await publish([{ key: 'fraud', value: wide }], 'late-topic');
      await until('the record to become version 2', () => engine.models.get('fraud').number === 2);
      expect(written.filter((w) => w.includes("updates topic 'late-topic'"))).toHaveLength(1);
    } finally {
      spy.mockRestore();
      await engine.close();
    }
  }, 60_000);

  it('is refused without brokers or with a broker off the allow-list', async () => {
    const saved = process.env['SLUICE_KAFKA_BOOTSTRAP'];
    delete process.env['SLUICE_KAFKA_BOOTSTRAP'];
    const engine = await Engine.open({ dataDir: tempDir(), kafkaAllow: ['localhost:1'] });
    try {
      await expect(engine.execute(`${FRAUD}, 'updates.topic' = '${TOPIC}')`)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining("'updates.topic' names no brokers") });
      await expect(engine.execute(`${FRAUD}, 'updates.topic' = '${TOPIC}', 'updates.brokers' = '${mock.bootstrap}')`)).rejects.toMatchObject({ code: 'NOT_ALLOWED' });
      expect(engine.models.has('fraud')).toBe(false);
    } finally {
      await engine.close();
      if (saved !== undefined) process.env['SLUICE_KAFKA_BOOTSTRAP'] = saved;
    }
  });
});
