/**
 * What the Kafka test broker (tools/kafka-mock) and librdkafka give at most, without the engine:
 * the ceiling for the native client's figures in bench/kafka.ts. On the same input (40 000 JSON
 * records of ~80 bytes over 4 partitions, produced as bench/kafka.ts does) it times, from the
 * client's creation to the last record:
 * - consume: a read_committed librdkafka consumer assigned all partitions from offset 0 (no group
 *   join), 2000 records per consume call, doing nothing with them;
 * - consume + produce: the same consumer, and a transactional librdkafka producer writing each
 *   record's value (JSON decoded and encoded again) to a 4-partition topic, with the consumed
 *   positions (sendOffsets) and a commit every 200 ms, as the Sluice sink's checkpoints do (the
 *   producer reports failed deliveries only, and its connect and InitProducerId are timed too).
 *
 *   npx tsx bench/kafka-ceiling.ts [records] [runs]
 *
 * Needs the native client (scripts/build-native-kafka.sh) and KAFKA_MOCK_BIN or the broker's build.
 */
import { pathToFileURL } from 'node:url';
import { startKafkaMock, type KafkaMock } from '../test/kafka-mock/harness.js';
import { loadNativeKafka } from '../src/connectors/kafka/native-client.js';
import { kafkajs } from '../src/connectors/kafka/options.js';
import { median } from './util.js';

interface RawMessage {
  value: Buffer | null;
  key?: Buffer | string | null;
  partition: number;
  offset: number;
}
type Callback = (err: Error | null) => void;
interface RawConsumer {
  connect(opts: object, cb: Callback): void;
  disconnect(cb: () => void): void;
  assign(tps: { topic: string; partition: number; offset: number }[]): void;
  setDefaultConsumeTimeout(ms: number): void;
  setDefaultIsTimeoutOnlyForFirstMessage(b: boolean): void;
  consume(n: number, cb: (err: Error | null, messages: RawMessage[]) => void): void;
}
interface RawProducer {
  connect(opts: object, cb: Callback): void;
  disconnect(cb: () => void): void;
  setPollInBackground(b: boolean): void;
  initTransactions(timeoutMs: number, cb: Callback): void;
  beginTransaction(cb: Callback): void;
  commitTransaction(timeoutMs: number, cb: Callback): void;
  sendOffsetsToTransaction(offsets: { topic: string; partition: number; offset: number }[], consumer: RawConsumer, timeoutMs: number, cb: Callback): void;
  produce(topic: string, partition: number, value: Buffer, key: Buffer | string | null | undefined, timestamp: number): void;
}
interface Lib {
  KafkaConsumer: new (conf: object, topicConf: object) => RawConsumer;
  Producer: new (conf: object) => RawProducer;
}

const PARTITIONS = 4;
const TXN_INTERVAL_MS = 200;

const call = (f: (cb: Callback) => void): Promise<void> => new Promise((resolve, reject) => f((err) => (err ? reject(err) : resolve())));

async function produceInput(mock: KafkaMock, n: number): Promise<void> {
  const { Kafka, logLevel, Partitioners } = kafkajs();
  const kafka = new Kafka({ clientId: 'ceiling', brokers: mock.brokers, logLevel: logLevel.NOTHING });
  const p = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await p.connect();
  for (let i = 0; i < n; i += 2000) {
    const messages = [];
    for (let id = i; id < Math.min(n, i + 2000); id++) messages.push({ key: String(id), value: JSON.stringify({ id, grp: `g${id % 50}`, v: (id % 100) / 100, ts: 1_700_000_000_000 + id }) });
    await p.send({ topic: 'in', messages });
  }
  await p.disconnect();
}

/** Seconds to read all `n` records (and with `onChunk`, to hand each consume call's records to it, then `onEnd`). */
async function consumeAll(lib: Lib, mock: KafkaMock, n: number, onChunk?: (c: RawConsumer, ms: RawMessage[]) => Promise<void>, onEnd?: (c: RawConsumer) => Promise<void>): Promise<number> {
  const t0 = performance.now();
  const c = new lib.KafkaConsumer({ 'bootstrap.servers': mock.bootstrap, 'group.id': `ceiling-${Date.now()}-${Math.random()}`, 'enable.auto.commit': false, 'isolation.level': 'read_committed', 'fetch.wait.max.ms': 100 }, { 'auto.offset.reset': 'earliest' });
  await call((cb) => c.connect({}, cb));
  c.assign(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'in', partition, offset: 0 })));
  c.setDefaultConsumeTimeout(100);
  c.setDefaultIsTimeoutOnlyForFirstMessage(true);
  for (let read = 0; read < n; ) {
    const ms = await new Promise<RawMessage[]>((resolve, reject) => c.consume(2000, (err, m) => (err ? reject(err) : resolve(m))));
    read += ms.length;
    if (onChunk && ms.length) await onChunk(c, ms);
  }
  await onEnd?.(c);
  const seconds = (performance.now() - t0) / 1000;
  await new Promise<void>((r) => c.disconnect(() => r()));
  return seconds;
}

async function consumeAndProduce(lib: Lib, mock: KafkaMock, n: number, out: string): Promise<number> {
  const t0 = performance.now();
  const p = new lib.Producer({ 'bootstrap.servers': mock.bootstrap, 'transactional.id': `ceiling-${out}`, dr_cb: true, 'delivery.report.only.error': true });
  await call((cb) => p.connect({}, cb));
  await call((cb) => p.initTransactions(10_000, cb));
  p.setPollInBackground(true);
  const positions = new Map<number, number>();
  let open = false;
  let last = performance.now();
  const commit = async (c: RawConsumer) => {
    if (!open) return;
    await call((cb) => p.sendOffsetsToTransaction([...positions].map(([partition, offset]) => ({ topic: 'in', partition, offset })), c, 10_000, cb));
    await call((cb) => p.commitTransaction(10_000, cb));
    open = false;
    last = performance.now();
  };
  const consumed = await consumeAll(
    lib,
    mock,
    n,
    async (c, ms) => {
      if (!open) await call((cb) => p.beginTransaction(cb));
      open = true;
      for (const m of ms) {
        p.produce(out, m.partition, Buffer.from(JSON.stringify(JSON.parse(m.value!.toString()))), m.key, 0);
        positions.set(m.partition, m.offset + 1);
      }
      if (performance.now() - last >= TXN_INTERVAL_MS) await commit(c);
    },
    commit,
  );
  const seconds = (performance.now() - t0) / 1000;
  await new Promise<void>((r) => p.disconnect(() => r()));
  return Math.max(seconds, consumed);
}

/** `f`'s seconds, and the CPU time this process (librdkafka's threads included) spent meanwhile. */
async function timed(f: () => Promise<number>): Promise<{ seconds: number; cpuUs: number }> {
  const c0 = process.cpuUsage();
  const seconds = await f();
  const c = process.cpuUsage(c0);
  return { seconds, cpuUs: c.user + c.system };
}

export async function runKafkaCeiling(n: number, runs: number, log: (line: string) => void): Promise<{ consume: number; consumeProduce: number }> {
  const lib = loadNativeKafka();
  if ('error' in lib) throw new Error(lib.error);
  const raw = lib.module as unknown as Lib;
  const outs = Array.from({ length: runs }, (_, i) => `out${i}`);
  const mock = await startKafkaMock({ brokers: 1, topics: [`in:${PARTITIONS}`, ...outs.map((o) => `${o}:${PARTITIONS}`)], groupInitialRebalanceDelayMs: 0, retentionBytes: 1 << 30 });
  try {
    await produceInput(mock, n);
    const consume: number[] = [];
    const both: number[] = [];
    for (const out of outs) {
      const c = await timed(() => consumeAll(raw, mock, n));
      const b = await timed(() => consumeAndProduce(raw, mock, n, out));
      consume.push(Math.round(n / c.seconds));
      both.push(Math.round(n / b.seconds));
      const cpu = (t: { cpuUs: number }) => `${(t.cpuUs / n).toFixed(1)} us CPU/record`;
      log(`run ${consume.length}: consume ${consume.at(-1)} rec/s (${cpu(c)}), consume + transactional produce ${both.at(-1)} rec/s (${cpu(b)})`);
    }
    return { consume: median(consume), consumeProduce: median(both) };
  } finally {
    await mock.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const runs = Number(process.argv[3] ?? 5);
  const r = await runKafkaCeiling(Number(process.argv[2] ?? 40_000), runs, console.log);
  console.log(`median of ${runs}: consume ${r.consume} rec/s, consume + transactional produce ${r.consumeProduce} rec/s`);
}
