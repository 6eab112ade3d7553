import { createRequire } from 'node:module';

/** The subset of the `rocksdb` package (abstract-leveldown 7 API) that the store uses. */
type Callback<T = void> = (err: Error | null | undefined, value?: T) => void;

export interface RawIteratorOptions {
  gt?: Buffer;
  gte?: Buffer;
  lt?: Buffer;
  lte?: Buffer;
  reverse?: boolean;
  limit?: number;
  keys?: boolean;
  values?: boolean;
  /** Bytes per native fetch. */
  highWaterMark?: number;
  /** False only with `keys: false` (each key is then an empty string, not a Buffer). */
  keyAsBuffer: boolean;
  valueAsBuffer: true;
}

export interface RawIterator {
  next(cb: (err: Error | null | undefined, key?: Buffer | string, value?: Buffer) => void): void;
  end(cb: Callback): void;
}

export type RawOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/** A batch built op by op in native memory (abstract-leveldown's chained batch). */
export interface RawChainedBatch {
  put(key: Buffer, value: Buffer): void;
  del(key: Buffer): void;
  write(options: { sync: boolean }, cb: Callback): void;
}

export interface RawDb {
  /** `cacheSize`: bytes of the block cache (default 8 MiB); `writeBufferSize`: bytes of a memtable (default 4 MiB). */
  open(options: { createIfMissing: boolean; cacheSize?: number; writeBufferSize?: number }, cb: Callback): void;
  close(cb: Callback): void;
  get(key: Buffer, options: { asBuffer: true }, cb: Callback<Buffer>): void;
  /** One trip to RocksDB's thread pool for all keys, read from one snapshot; missing keys give undefined. */
  getMany(keys: Buffer[], options: { asBuffer: true }, cb: Callback<(Buffer | undefined)[]>): void;
  /** Approximate bytes the key range takes in the database's files (not its memtables). */
  approximateSize(start: Buffer, end: Buffer, cb: Callback<number>): void;
  put(key: Buffer, value: Buffer, options: { sync: boolean }, cb: Callback): void;
  del(key: Buffer, options: { sync: boolean }, cb: Callback): void;
  /** Writes the ops as one batch (each op object is read through N-API: slower than a chained batch). */
  batch(ops: RawOp[], options: { sync: boolean }, cb: Callback): void;
  /** A new chained batch: each put or del goes straight to the native batch, with no op object. */
  batch(): RawChainedBatch;
  clear(options: Omit<RawIteratorOptions, 'keys' | 'values' | 'keyAsBuffer' | 'valueAsBuffer'>, cb: Callback): void;
  iterator(options: RawIteratorOptions): RawIterator;
}

const require = createRequire(import.meta.url);
const factory = require('rocksdb') as (location: string) => RawDb;

export function createRawDb(location: string): RawDb {
  return factory(location);
}

export function call<T = void>(fn: (cb: Callback<T>) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    fn((err, value) => (err ? reject(err) : resolve(value)));
  });
}
