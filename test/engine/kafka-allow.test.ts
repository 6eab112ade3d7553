import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import { Engine } from '../../src/engine/engine.js';
import { parseKafkaAllowList } from '../../src/engine/kafka-allow.js';

let engine: Engine;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-allow-'));
  engine = await Engine.open({ dataDir: dir, kafkaAllow: parseKafkaAllowList('Kafka-1:9092, kafka-2:9092') });
});
afterAll(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

async function refusal(sql: string): Promise<SluiceError> {
  try {
    await engine.execute(sql);
  } catch (e) {
    if (e instanceof SluiceError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('--allow-kafka', () => {
  it('refuses a broker off the list with a caret on the option, before anything runs', async () => {
    const sql = "CREATE STREAM ok_first (x INT); CREATE STREAM k (x INT) WITH (connector = 'kafka', topic = 't', 'bootstrap.servers' = 'kafka-1:9092,10.0.0.5:22')";
    const e = await refusal(sql);
    expect(e.code).toBe('NOT_ALLOWED');
    expect(e.message).toContain('10.0.0.5:22');
    expect(e.span?.start.offset).toBe(sql.indexOf("'bootstrap.servers'"));
    expect(e.hint).toContain('kafka-1:9092, kafka-2:9092');
    expect(engine.catalog.hasRelation('ok_first')).toBe(false);
  });

  it('checks sinks, tables and the properties. spelling too', async () => {
    expect((await refusal("CREATE TABLE t (id INT PRIMARY KEY) WITH (connector = 'kafka', topic = 't', 'properties.bootstrap.servers' = 'evil:9092')")).code).toBe('NOT_ALLOWED');
    await engine.execute('CREATE STREAM src (x INT)');
    expect((await refusal("CREATE SINK out WITH (connector = 'kafka', topic = 'o', 'bootstrap.servers' = 'evil:9092') AS SELECT x FROM src")).code).toBe('NOT_ALLOWED');
  });

  it('allows listed brokers whatever their case', async () => {
    await engine.execute("CREATE STREAM k2 (x INT) WITH (connector = 'kafka', topic = 't', 'bootstrap.servers' = 'KAFKA-2:9092')");
    expect(engine.catalog.hasRelation('k2')).toBe(true);
  });

  it('parses the flag strictly', () => {
    expect(parseKafkaAllowList('a:1,B.example:9092,[::1]:9092')).toEqual(['a:1', 'b.example:9092', '[::1]:9092']);
    expect(() => parseKafkaAllowList('nohost')).toThrow(/host:port/);
    expect(() => parseKafkaAllowList(' , ')).toThrow(/at least one/);
  });
});
