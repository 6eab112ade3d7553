import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { SluiceError } from '../common/errors.js';
import type { KeyRange } from './keys.js';
import { call, createRawDb, type RawChainedBatch, type RawDb, type RawIterator, type RawIteratorOptions } from './rocksdb-binding.js';

/** Options of `Store.iterate`: a key range plus direction, a row limit and cancellation. */
export interface IterateOptions extends KeyRange {
  readonly reverse?: boolean;
  readonly limit?: number;
  /** When false, values come back as empty Buffers (cheaper key-only scans). */
  readonly values?: boolean;
  /** When false, keys come back as empty Buffers (cheaper value-only scans: no Buffer per key). */
  readonly keys?: boolean;
  /** Ends the iteration (without error) once aborted. */
  readonly signal?: AbortSignal;
  /**
   * Bytes of entries the native iterator fetches per trip to RocksDB's thread pool (default
   * 16 KiB, i.e. one trip per entry when values are larger). Reads of large values in a row set
   * it higher.
   */
  readonly fetchBytes?: number;
}

/**
 * RocksDB's own memory, outside the heap and the state cache (see docs/state.md): an LRU cache
 * of uncompressed data blocks, and the write buffer (memtable) that takes writes until it is
 * flushed to a file; one more may be flushing meanwhile. The block cache is small on purpose:
 * state reads that repeat are answered by the state cache. The write buffer is not: each flush
 * makes a level-0 file, and with keys spread over the whole key space every few of those are
 * merged with all of level 1, so a 4 MiB buffer spent 10-20% more CPU (compaction) on a view
 * over 3 million distinct keys than 16 MiB did.
 * Besides these, each open table file keeps its index and Bloom filter (10 bits a key) in memory.
 */
/** Entries `iterateChunks` gathers per run by default. */
const ITERATE_CHUNK = 1024;
const EMPTY = Buffer.alloc(0);

/**
 * Reads `getMany` runs side by side at most (libuv's thread pool has four threads), and the
 * fewest keys each takes: a read costs about a microsecond of binding work per key besides its
 * RocksDB lookups, so small ones stay whole. Measured over 262,144 random keys of a 1M-key
 * view's state on 2 cores: one read 22-26 µs a key, two 13-14, four 12.
 */
const READ_PARTS = Math.max(2, Math.min(4, availableParallelism()));
const READ_PART_KEYS = 2048;

const NATIVE_MEMORY = { cacheSize: 8 * 1024 * 1024, writeBufferSize: 16 * 1024 * 1024 } as const;

/**
 * The one RocksDB database of an engine data directory.
 *
 * Invariants: single-key writes (`put`, `del`) and `WriteBatch.write` are synchronous-durable
 * (fsync'd WAL), so a returned write survives a process kill. Each `iterate` reads one consistent
 * snapshot taken when it starts. Every failure is a SluiceError with code STATE_ERROR.
 */
export class Store {
  private closed = false;
  private readonly openIterators = new Set<RawIterator>();

  private constructor(
    private readonly db: RawDb,
    /** The directory holding the RocksDB files. */
    readonly dir: string,
  ) {}

  /** Opens (creating when missing) the database whose files live directly in `dir`. */
  static async open(dir: string): Promise<Store> {
    await mkdir(dir, { recursive: true });
    const db = createRawDb(dir);
    try {
      await call((cb) => db.open({ createIfMissing: true, ...NATIVE_MEMORY }, cb));
    } catch (err) {
      throw isLockHeld(err) ? folderInUse(dir, err) : stateError(`open state store at ${dir}`, err);
    }
    return new Store(db, dir);
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    this.checkOpen();
    try {
      return await call<Buffer>((cb) => this.db.get(key, { asBuffer: true }, cb));
    } catch (err) {
      if (err instanceof Error && /NotFound/i.test(err.message)) return undefined;
      throw stateError('read state', err);
    }
  }

  /**
   * The values of many keys (undefined where a key is missing), in the order of `keys`. A few
   * trips to RocksDB's thread pool instead of one per key: up to READ_PARTS reads side by side
   * for many keys, since each reads its keys one after the other on one thread (a point read of
   * a key not in the block cache costs some 10-20 µs of CPU there) while the caller waits. Each
   * key is read as of one moment, not every key as of the same one: a caller that needs keys
   * consistent with each other reads them through a snapshot of its own (`iterate`).
   */
  async getMany(keys: readonly Buffer[]): Promise<(Buffer | undefined)[]> {
    this.checkOpen();
    if (keys.length === 0) return [];
    const parts = Math.min(READ_PARTS, Math.floor(keys.length / READ_PART_KEYS));
    const read = (part: Buffer[]) => wrap('read state', call<(Buffer | undefined)[]>((cb) => this.db.getMany(part, { asBuffer: true }, cb)));
    if (parts < 2) return (await read([...keys])) ?? [];
    const size = Math.ceil(keys.length / parts);
    const got = await Promise.all(Array.from({ length: parts }, (_, p) => read(keys.slice(p * size, (p + 1) * size))));
    const values: (Buffer | undefined)[] = [];
    for (const part of got) for (const v of part ?? []) values.push(v);
    return values;
  }

  /** Approximate bytes a key range takes in the database files (data still in memory counts 0). */
  async approximateSize(range: { readonly gte: Buffer; readonly lt: Buffer }): Promise<number> {
    this.checkOpen();
    return (await wrap('measure state', call<number>((cb) => this.db.approximateSize(range.gte, range.lt, cb)))) ?? 0;
  }

  async put(key: Buffer, value: Buffer): Promise<void> {
    this.checkOpen();
    await wrap('write state', call((cb) => this.db.put(key, value, { sync: true }, cb)));
  }

  async del(key: Buffer): Promise<void> {
    this.checkOpen();
    await wrap('delete state', call((cb) => this.db.del(key, { sync: true }, cb)));
  }

  /** Deletes every key in the range at once (not atomic with other writes). */
  async clearRange(range: KeyRange): Promise<void> {
    this.checkOpen();
    await wrap('clear state range', call((cb) => this.db.clear(rangeOptions(range), cb)));
  }

  /**
   * Key/value pairs in key order (reverse order with `reverse`). The underlying iterator is
   * released when the loop ends, breaks, throws, or the signal aborts.
   */
  async *iterate(options: IterateOptions = {}): AsyncGenerator<[Buffer, Buffer]> {
    for await (const chunk of this.iterateChunks(options)) {
      for (const entry of chunk) {
        yield entry;
        if (options.signal?.aborted) return;
      }
    }
  }

  /**
   * `iterate`, the entries in key order a run at a time (at most `chunkEntries` each, default
   * ITERATE_CHUNK): one promise per run rather than per entry, for scans over many entries.
   */
  async *iterateChunks(options: IterateOptions & { readonly chunkEntries?: number } = {}): AsyncGenerator<[Buffer, Buffer][]> {
    this.checkOpen();
    if (options.signal?.aborted || options.limit === 0) return;
    const raw: RawIteratorOptions = { ...rangeOptions(options), keyAsBuffer: true, valueAsBuffer: true };
    if (options.reverse) raw.reverse = true;
    if (options.limit !== undefined && options.limit > 0) raw.limit = options.limit;
    if (options.values === false) raw.values = false;
    if (options.keys === false) {
      // The native iterator then gives each key as an empty string, which costs less than a Buffer.
      raw.keys = false;
      raw.keyAsBuffer = false;
    }
    if (options.fetchBytes !== undefined) raw.highWaterMark = options.fetchBytes;
    const most = Math.max(1, options.chunkEntries ?? ITERATE_CHUNK);
    const it = this.db.iterator(raw);
    this.openIterators.add(it);
    let done = false;
    try {
      while (!done) {
        const chunk = await new Promise<[Buffer, Buffer][]>((resolve, reject) => {
          const out: [Buffer, Buffer][] = [];
          const step = (err: Error | null | undefined, key?: Buffer | string, value?: Buffer): void => {
            if (err) return reject(stateError('iterate state', err));
            if (key === undefined) {
              done = true;
              return resolve(out);
            }
            out.push([typeof key === 'string' ? EMPTY : key, value ?? EMPTY]);
            if (out.length >= most) resolve(out);
            else it.next(step);
          };
          it.next(step);
        });
        if (options.signal?.aborted) return;
        if (chunk.length > 0) yield chunk;
        if (options.signal?.aborted) return;
      }
    } finally {
      this.openIterators.delete(it);
      if (!this.closed) await call((cb) => it.end(cb)).catch(() => undefined);
    }
  }

  /**
   * A new, empty atomic write batch. With `keepStaged`, it also keeps what it stages for
   * `staged()` (otherwise each put or delete goes straight to RocksDB's own batch, which copies
   * the bytes, so the caller's Buffers are garbage at once).
   */
  batch(options: { readonly keepStaged?: boolean } = {}): WriteBatch {
    return new WriteBatch(
      () => this.db.batch(),
      (raw) => {
        this.checkOpen();
        return wrap('write state batch', call((cb) => raw.write({ sync: true }, cb)));
      },
      options.keepStaged ?? false,
    );
  }

  /** Closes the database; open iterators are ended. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    const its = [...this.openIterators];
    this.openIterators.clear();
    await Promise.all(its.map((it) => call((cb) => it.end(cb)).catch(() => undefined)));
    this.closed = true;
    await wrap('close state store', call((cb) => this.db.close(cb)));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private checkOpen(): void {
    if (this.closed) throw new SluiceError('STATE_ERROR', `state store at ${this.dir} is closed`);
  }
}

/**
 * A set of puts and deletes applied atomically and durably by `write()`.
 *
 * Invariants: nothing staged is visible to any reader before `write()` resolves; after it
 * resolves, everything is. `onCommit` hooks run synchronously, in registration order, right
 * after a successful write and before `write()` resolves; `onAbort` hooks run when the write
 * fails or the batch is discarded. A batch is written at most once.
 */
export class WriteBatch {
  /** RocksDB's batch, created on the first put or delete. */
  private raw: RawChainedBatch | undefined;
  private count = 0;
  /** What was staged, in order (a delete where the value is undefined), when kept. */
  private kept: { readonly key: Buffer; readonly value: Buffer | undefined }[] | undefined;
  private commitHooks: Array<() => void> = [];
  private abortHooks: Array<() => void> = [];
  private done = false;

  /** @internal Created by `Store.batch()`. */
  constructor(
    private readonly create: () => RawChainedBatch,
    private readonly apply: (raw: RawChainedBatch) => Promise<void>,
    keepStaged: boolean,
  ) {
    if (keepStaged) this.kept = [];
  }

  /** Stages a put. The batch copies `key` and `value`: the caller may reuse them once this returns. */
  put(key: Buffer, value: Buffer): this {
    this.checkOpen();
    (this.raw ??= this.create()).put(key, value);
    this.count++;
    this.kept?.push({ key: Buffer.from(key), value: Buffer.from(value) });
    return this;
  }

  /** Stages a delete (the batch copies `key`, as `put` does). */
  del(key: Buffer): this {
    this.checkOpen();
    (this.raw ??= this.create()).del(key);
    this.count++;
    this.kept?.push({ key: Buffer.from(key), value: undefined });
    return this;
  }

  onCommit(fn: () => void): this {
    this.checkOpen();
    this.commitHooks.push(fn);
    return this;
  }

  onAbort(fn: () => void): this {
    this.checkOpen();
    this.abortHooks.push(fn);
    return this;
  }

  /**
   * The staged operations in order: a put with its value, or a delete (value undefined). Only
   * for a batch created with `keepStaged`.
   */
  staged(): { readonly key: Buffer; readonly value: Buffer | undefined }[] {
    if (!this.kept) throw new SluiceError('STATE_ERROR', 'this write batch does not keep what it stages (create it with keepStaged)');
    return [...this.kept];
  }

  /** Number of staged operations. */
  get size(): number {
    return this.count;
  }

  get isDone(): boolean {
    return this.done;
  }

  async write(): Promise<void> {
    this.checkOpen();
    this.done = true;
    try {
      if (this.raw !== undefined && this.count > 0) await this.apply(this.raw);
    } catch (err) {
      this.runHooks(this.abortHooks);
      throw err;
    }
    this.runHooks(this.commitHooks);
  }

  /** Drops the batch without writing; runs the abort hooks. No-op once written or discarded. */
  discard(): void {
    if (this.done) return;
    this.done = true;
    this.runHooks(this.abortHooks);
  }

  private runHooks(hooks: Array<() => void>): void {
    this.raw = undefined;
    this.commitHooks = [];
    this.abortHooks = [];
    let first: unknown;
    for (const h of hooks) {
      try {
        h();
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw stateError('write batch hook', first);
  }

  private checkOpen(): void {
    if (this.done) throw new SluiceError('STATE_ERROR', 'write batch was already written or discarded');
  }
}

function rangeOptions(range: KeyRange): Pick<RawIteratorOptions, 'gt' | 'gte' | 'lt' | 'lte'> {
  // abstract-leveldown turns an explicitly undefined bound into the string "undefined".
  const out: Pick<RawIteratorOptions, 'gt' | 'gte' | 'lt' | 'lte'> = {};
  if (range.gt !== undefined) out.gt = range.gt;
  if (range.gte !== undefined) out.gte = range.gte;
  if (range.lt !== undefined) out.lt = range.lt;
  if (range.lte !== undefined) out.lte = range.lte;
  return out;
}

/** RocksDB's answer when another process holds the folder's LOCK file. */
function isLockHeld(err: unknown): boolean {
  return err instanceof Error && /lock file: .*LOCK: (Resource temporarily unavailable|No locks available)/i.test(err.message);
}

function folderInUse(dir: string, err: unknown): SluiceError {
  const data = basename(dir) === 'state' ? dirname(dir) : dir;
  return new SluiceError('STATE_ERROR', `the data folder ${data} is in use by another process (a running \`sluice serve\` or \`sluice run\` holds ${join(dir, 'LOCK')})`, {
    hint: 'stop that process, or give this command another folder with --data DIR; to run a SQL file on a running server, use `sluice run FILE --url http://127.0.0.1:8080`',
    cause: err,
  });
}

function stateError(what: string, err: unknown): SluiceError {
  if (err instanceof SluiceError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new SluiceError('STATE_ERROR', `${what} failed: ${msg}`, { cause: err });
}

async function wrap<T>(what: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw stateError(what, err);
  }
}
