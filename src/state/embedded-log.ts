import { SluiceError } from '../common/errors.js';
import { decodeValue, encodeValue } from './codec.js';
import { decodeKey, encodeKey, prefixRange } from './keys.js';
import type { Store, WriteBatch } from './store.js';

/** A run of `count` records with dense offsets `baseOffset .. baseOffset + count - 1`. */
export interface LogChunk {
  readonly baseOffset: number;
  readonly count: number;
  /** Opaque bytes holding all `count` records (the executor stores Arrow IPC here). */
  readonly payload: Buffer;
}

interface Reservation {
  readonly base: number;
  readonly end: number;
  state: 'staged' | 'committed' | 'aborted';
}

class PartitionState {
  /** First offset still stored (older chunks expired). */
  start = 0;
  /** Next offset to hand out (includes staged, unwritten reservations). */
  next: number;
  /** First offset not yet readable; everything below it is durable and visible. */
  hwm: number;
  /** Reservations not yet folded into `hwm`, in offset order. */
  readonly pending: Reservation[] = [];
  readonly waiters = new Set<() => void>();

  constructor(end: number) {
    this.next = end;
    this.hwm = end;
  }

  wake(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }
}

interface TopicState {
  readonly name: string;
  readonly partitions: PartitionState[];
  dropped: boolean;
  /** Chunks older than this (by append time) expire; undefined keeps everything. */
  retentionMs: number | undefined;
}

interface TopicMeta {
  readonly partitions: number;
  readonly retentionMs?: number;
}

const META = 'log-topic';
const DATA = 'log-data';
/** Append time (ms, 8 bytes) of each chunk, under the chunk's base offset. */
const TIME = 'log-time';
const instances = new WeakMap<Store, Promise<EmbeddedLog>>();

/**
 * A durable partitioned log inside the Store.
 *
 * Invariants:
 * - Offsets are per record, dense and start at 0 in every partition; a chunk holds `count`
 *   consecutive records under one key.
 * - A reader (`read`, `tail`, `highWatermark`) sees a chunk only once the write that holds it
 *   has succeeded, and sees chunks of a partition in offset order with no gaps.
 * - An append staged into a WriteBatch reserves its offsets at once; the chunk becomes visible
 *   in that batch's commit hook. If the batch is never written (crash) the offsets are reused
 *   after reopening, since the next offset is recovered from the last chunk on disk.
 * - If a staged batch is discarded or fails while a later batch of the same partition is
 *   pending, the partition refuses further appends (they would leave a gap) until reopened.
 * - One instance per Store (`open` returns the same one), so offsets are never handed out twice.
 * - Retention removes whole chunks from the front of a partition only (chunks appended longer
 *   than the topic's retention ago), never the last one, so offsets are never reused; a read
 *   below the log start begins at the first chunk still stored.
 */
export class EmbeddedLog {
  private readonly topicStates = new Map<string, TopicState>();

  private constructor(private readonly store: Store) {}

  static open(store: Store): Promise<EmbeddedLog> {
    let p = instances.get(store);
    if (!p) {
      p = EmbeddedLog.load(store);
      instances.set(store, p);
      p.catch(() => instances.delete(store));
    }
    return p;
  }

  private static async load(store: Store): Promise<EmbeddedLog> {
    const log = new EmbeddedLog(store);
    for await (const [key, value] of store.iterate(prefixRange([META]))) {
      const name = decodeKey(key)[1];
      const meta = decodeValue<TopicMeta>(value);
      if (typeof name !== 'string') continue;
      const parts: PartitionState[] = [];
      for (let p = 0; p < meta.partitions; p++) {
        const state = new PartitionState(await log.recoverEnd(name, p));
        state.start = await log.recoverStart(name, p, state.hwm);
        parts.push(state);
      }
      log.topicStates.set(name, { name, partitions: parts, dropped: false, retentionMs: meta.retentionMs });
    }
    return log;
  }

  private async recoverEnd(topic: string, partition: number): Promise<number> {
    for await (const [key, value] of this.store.iterate({ ...prefixRange([DATA, topic, partition]), reverse: true, limit: 1 })) {
      return chunkFrom(key, value).baseOffset + value.readUInt32BE(0);
    }
    return 0;
  }

  private async recoverStart(topic: string, partition: number, end: number): Promise<number> {
    for await (const [key] of this.store.iterate({ ...prefixRange([DATA, topic, partition]), limit: 1 })) {
      const base = decodeKey(key)[3];
      return typeof base === 'number' ? base : 0;
    }
    return end;
  }

  /**
   * Creates a topic; idempotent for the same partition count, ALREADY_EXISTS otherwise. A
   * `retentionMs` given for an existing topic replaces its retention.
   */
  async createTopic(name: string, partitions: number, options: { readonly retentionMs?: number } = {}): Promise<void> {
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new SluiceError('INVALID_ARGUMENT', `topic '${name}' needs a positive partition count, got ${partitions}`);
    }
    const existing = this.topicStates.get(name);
    if (existing) {
      if (existing.partitions.length !== partitions) {
        throw new SluiceError('ALREADY_EXISTS', `topic '${name}' already exists with ${existing.partitions.length} partitions, not ${partitions}`);
      }
      if (options.retentionMs !== undefined && options.retentionMs !== existing.retentionMs) {
        existing.retentionMs = options.retentionMs;
        await this.store.put(encodeKey([META, name]), encodeValue({ partitions, retentionMs: options.retentionMs } satisfies TopicMeta));
      }
      return;
    }
    const state: TopicState = { name, partitions: [], dropped: false, retentionMs: options.retentionMs };
    for (let p = 0; p < partitions; p++) state.partitions.push(new PartitionState(0));
    this.topicStates.set(name, state);
    try {
      await this.store.put(encodeKey([META, name]), encodeValue({ partitions, ...(options.retentionMs !== undefined ? { retentionMs: options.retentionMs } : {}) } satisfies TopicMeta));
    } catch (err) {
      this.topicStates.delete(name);
      throw err;
    }
  }

  /** The topic's retention in ms, or undefined when it keeps everything. */
  retention(topic: string): number | undefined {
    return this.topic(topic).retentionMs;
  }

  /** The first offset still stored in a partition. */
  logStart(topic: string, partition: number): number {
    return this.partition(this.topic(topic), partition).start;
  }

  /**
   * Removes the chunks of every topic with a retention that were appended before `now` minus
   * the retention. Returns the number of records removed per topic (topics that lost some).
   */
  async expire(now = Date.now()): Promise<Map<string, number>> {
    const removed = new Map<string, number>();
    for (const t of [...this.topicStates.values()]) {
      if (t.retentionMs === undefined) continue;
      const cutoff = now - t.retentionMs;
      let n = 0;
      for (const [i, p] of t.partitions.entries()) n += await this.expirePartition(t, i, p, cutoff);
      if (n > 0) removed.set(t.name, n);
    }
    return removed;
  }

  private async expirePartition(t: TopicState, partition: number, p: PartitionState, cutoff: number): Promise<number> {
    // The first chunk appended at or after the cutoff; everything before it goes.
    let cut = p.hwm;
    let any = false;
    for await (const [key, value] of this.store.iterate(prefixRange([TIME, t.name, partition]))) {
      any = true;
      const base = decodeKey(key)[3];
      if (typeof base !== 'number') continue;
      if (Number(value.readBigUInt64BE(0)) >= cutoff || base >= p.hwm) {
        cut = base;
        break;
      }
    }
    // The last chunk stays, however old: reopening finds the next offset from it.
    for await (const [key] of this.store.iterate({ ...prefixRange([DATA, t.name, partition]), reverse: true, limit: 1 })) {
      const last = decodeKey(key)[3];
      if (typeof last === 'number') cut = Math.min(cut, last);
    }
    if (!any || cut <= p.start || t.dropped) return 0;
    const from = p.start;
    await this.store.clearRange({ gte: encodeKey([DATA, t.name, partition, 0]), lt: encodeKey([DATA, t.name, partition, cut]) });
    await this.store.clearRange({ gte: encodeKey([TIME, t.name, partition, 0]), lt: encodeKey([TIME, t.name, partition, cut]) });
    p.start = cut;
    return cut - from;
  }

  topics(): string[] {
    return [...this.topicStates.keys()].sort();
  }

  /** Partition count of a topic; UNKNOWN_RELATION when it does not exist. */
  partitions(topic: string): number {
    return this.topic(topic).partitions.length;
  }

  hasTopic(topic: string): boolean {
    return this.topicStates.has(topic);
  }

  /** Deletes a topic and its records; tails on it end with STATE_ERROR. No-op when absent. */
  async dropTopic(name: string): Promise<void> {
    const t = this.topicStates.get(name);
    if (!t) return;
    this.topicStates.delete(name);
    t.dropped = true;
    for (const p of t.partitions) p.wake();
    await this.store.del(encodeKey([META, name]));
    await this.store.clearRange(prefixRange([DATA, name]));
    await this.store.clearRange(prefixRange([TIME, name]));
  }

  /**
   * Appends one chunk of `count` records and returns its base offset. Without `wb` the chunk is
   * written (durably) before the promise resolves; with `wb` it is staged, and becomes visible
   * only when `wb` is written.
   */
  append(topic: string, partition: number, payload: Buffer, count: number, wb: WriteBatch): number;
  append(topic: string, partition: number, payload: Buffer, count: number): Promise<number>;
  append(topic: string, partition: number, payload: Buffer, count: number, wb?: WriteBatch): number | Promise<number> {
    if (wb) return this.stage(topic, partition, payload, count, wb);
    const own = this.store.batch();
    const base = this.stage(topic, partition, payload, count, own);
    return own.write().then(() => base);
  }

  /**
   * `append` of a chunk whose first LOG_CHUNK_HEADER_BYTES bytes are free for its header (see
   * encodeBatch's `reserve`): its header is written there, and the payload is not copied into a
   * new value. The batch copies the chunk, so the caller may reuse it once this returns.
   */
  appendFramed(topic: string, partition: number, chunk: Buffer, count: number, wb: WriteBatch): number {
    return this.stageChunk(topic, partition, chunk, count, wb);
  }

  private stage(topic: string, partition: number, payload: Buffer, count: number, wb: WriteBatch): number {
    const chunk = Buffer.allocUnsafe(LOG_CHUNK_HEADER_BYTES + payload.length);
    payload.copy(chunk, LOG_CHUNK_HEADER_BYTES);
    return this.stageChunk(topic, partition, chunk, count, wb);
  }

  private stageChunk(topic: string, partition: number, chunk: Buffer, count: number, wb: WriteBatch): number {
    if (!Number.isInteger(count) || count < 1 || count > 0xffffffff) {
      throw new SluiceError('STATE_ERROR', `a log chunk needs a positive record count, got ${count}`);
    }
    const t = this.topic(topic);
    const p = this.partition(t, partition);
    if (p.pending.some((r) => r.state === 'aborted')) {
      throw new SluiceError('STATE_ERROR', `partition ${topic}/${partition} has an abandoned write before a pending one; reopen the log`);
    }
    const r: Reservation = { base: p.next, end: p.next + count, state: 'staged' };
    p.next = r.end;
    p.pending.push(r);
    chunk.writeUInt32BE(count, 0);
    chunk.writeUInt32BE(0, 4);
    wb.put(encodeKey([DATA, topic, partition, r.base]), chunk);
    const time = Buffer.alloc(8);
    time.writeBigUInt64BE(BigInt(Date.now()), 0);
    wb.put(encodeKey([TIME, topic, partition, r.base]), time);
    wb.onCommit(() => {
      r.state = 'committed';
      let advanced = false;
      for (let head = p.pending[0]; head?.state === 'committed'; head = p.pending[0]) {
        p.pending.shift();
        p.hwm = head.end;
        advanced = true;
      }
      if (advanced) p.wake();
    });
    wb.onAbort(() => {
      r.state = 'aborted';
      for (let last = p.pending.at(-1); last?.state === 'aborted'; last = p.pending.at(-1)) {
        p.pending.pop();
        p.next = last.base;
      }
    });
    return r.base;
  }

  /** The first offset not yet readable (the count of visible records). */
  highWatermark(topic: string, partition: number): number {
    return this.partition(this.topic(topic), partition).hwm;
  }

  /**
   * Visible chunks holding offsets at or after `fromOffset`, in order, at most `maxChunks`. The
   * first chunk may start before `fromOffset`; the caller skips the records before it.
   */
  async read(topic: string, partition: number, fromOffset: number, maxChunks = 64): Promise<LogChunk[]> {
    const p = this.partition(this.topic(topic), partition);
    const hwm = p.hwm;
    if (fromOffset >= hwm || maxChunks <= 0) return [];
    return this.chunksBetween(topic, partition, await this.chunkStart(topic, partition, fromOffset), hwm, maxChunks);
  }

  /**
   * Visible chunks holding offsets in [fromOffset, toOffset), in order; the first may start
   * before `fromOffset` (the caller skips those records). Reads spans of SCAN_SPAN_RECORDS
   * records, SCAN_READS_AHEAD of them at once on RocksDB's thread pool, while the caller works
   * on the chunks already read.
   */
  async *scan(topic: string, partition: number, fromOffset: number, toOffset: number): AsyncGenerator<LogChunk> {
    const to = Math.min(toOffset, this.partition(this.topic(topic), partition).hwm);
    if (fromOffset >= to) return;
    let next = await this.chunkStart(topic, partition, fromOffset);
    const reads: Promise<LogChunk[]>[] = [];
    const issue = (): void => {
      while (reads.length < SCAN_READS_AHEAD && next < to) {
        const read = this.chunksBetween(topic, partition, next, Math.min(to, next + SCAN_SPAN_RECORDS));
        // Awaited in order below; a read left behind when the caller stops must not go unhandled.
        read.catch(() => undefined);
        reads.push(read);
        next += SCAN_SPAN_RECORDS;
      }
    };
    issue();
    for (let read = reads.shift(); read !== undefined; read = reads.shift()) {
      const chunks = await read;
      issue();
      yield* chunks;
    }
  }

  /** The base offset of the stored chunk holding `offset`, or `offset` when none does. */
  private async chunkStart(topic: string, partition: number, offset: number): Promise<number> {
    const range = prefixRange([DATA, topic, partition]);
    const at = Math.max(0, offset);
    for await (const [key, value] of this.store.iterate({ gte: range.gte, lte: encodeKey([DATA, topic, partition, at]), reverse: true, limit: 1 })) {
      const c = chunkFrom(key, value);
      if (c.baseOffset + c.count > at) return c.baseOffset;
    }
    return at;
  }

  /** Stored chunks whose base offset is in [from, to), at most `limit` of them. */
  private async chunksBetween(topic: string, partition: number, from: number, to: number, limit?: number): Promise<LogChunk[]> {
    const out: LogChunk[] = [];
    // Chunks are large (an Arrow batch each): fetch several per trip to RocksDB's thread pool.
    const it = this.store.iterate({
      gte: encodeKey([DATA, topic, partition, from]),
      lt: encodeKey([DATA, topic, partition, to]),
      ...(limit !== undefined ? { limit } : {}),
      fetchBytes: READ_FETCH_BYTES,
    });
    for await (const [key, value] of it) out.push(chunkFrom(key, value));
    return out;
  }

  /**
   * Yields visible chunks from `fromOffset` on, then waits for new ones, until `signal` aborts
   * (then it returns quietly). Ends with STATE_ERROR if the topic is dropped.
   */
  async *tail(topic: string, partition: number, fromOffset: number, signal: AbortSignal): AsyncGenerator<LogChunk> {
    const t = this.topic(topic);
    const p = this.partition(t, partition);
    let next = fromOffset;
    while (!signal.aborted) {
      if (t.dropped) throw new SluiceError('STATE_ERROR', `topic '${topic}' was dropped`);
      if (p.hwm > next) {
        for await (const c of this.scan(topic, partition, next, p.hwm)) {
          if (signal.aborted) return;
          yield c;
          next = Math.max(next, c.baseOffset + c.count);
        }
        continue;
      }
      await waitForChange(p, signal);
    }
  }

  private topic(name: string): TopicState {
    const t = this.topicStates.get(name);
    if (!t) throw new SluiceError('UNKNOWN_RELATION', `log topic '${name}' does not exist`);
    return t;
  }

  private partition(t: TopicState, partition: number): PartitionState {
    const p = t.partitions[partition];
    if (!p) throw new SluiceError('STATE_ERROR', `topic '${t.name}' has no partition ${partition}`);
    return p;
  }
}

function waitForChange(p: PartitionState, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      p.waiters.delete(done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    p.waiters.add(done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * A chunk's value is its record count (u32, big-endian), four zero bytes, then the payload. The
 * padding puts the payload 8 bytes into the value, so an Arrow IPC payload is read in place
 * (Arrow copies a body that is not 8-byte aligned). Chunks written before the padding have the
 * payload right after the count; an Arrow stream never starts with four zero bytes, which tells
 * the two apart.
 */
export const LOG_CHUNK_HEADER_BYTES = 8;

/** Bytes of chunks one native iterator step of a read brings back. */
const READ_FETCH_BYTES = 4 * 1024 * 1024;

/** Records one read of a scan covers, and how many such reads a scan keeps going at once. */
const SCAN_SPAN_RECORDS = 16_384;
const SCAN_READS_AHEAD = 3;

function chunkFrom(key: Buffer, value: Buffer): LogChunk {
  const base = decodeKey(key)[3];
  if (typeof base !== 'number') throw new SluiceError('STATE_ERROR', `malformed log key ${key.toString('hex')}`);
  const padded = value.length >= LOG_CHUNK_HEADER_BYTES && value.readUInt32BE(4) === 0;
  return { baseOffset: base, count: value.readUInt32BE(0), payload: value.subarray(padded ? LOG_CHUNK_HEADER_BYTES : 4) };
}
