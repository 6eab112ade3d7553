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
  keyAsBuffer: true;
  valueAsBuffer: true;
}

export interface RawIterator {
  next(cb: (err: Error | null | undefined, key?: Buffer, value?: Buffer) => void): void;
  end(cb: Callback): void;
}

export type RawOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

export interface RawDb {
  open(options: { createIfMissing: boolean }, cb: Callback): void;
  close(cb: Callback): void;
  get(key: Buffer, options: { asBuffer: true }, cb: Callback<Buffer>): void;
  put(key: Buffer, value: Buffer, options: { sync: boolean }, cb: Callback): void;
  del(key: Buffer, options: { sync: boolean }, cb: Callback): void;
  batch(ops: RawOp[], options: { sync: boolean }, cb: Callback): void;
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
