import { decodeFields, decodeValue, encodeRecordView, encodeValue, type StateRow } from './codec.js';
import { decodeKey, encodeAsciiKeyView, encodeKey, encodeStringKey, encodeStringKeyView, prefixRange, stringPrefixRange } from './keys.js';
import type { Store, WriteBatch } from './store.js';

const KV = 'kv';
/** Bytes of rows a scan fetches per trip to RocksDB's thread pool (Store.iterate's default is 16 KiB). */
const SCAN_FETCH_BYTES = 64 * 1024;

export interface KvScanOptions {
  /** Only keys starting with this string. */
  readonly prefix?: string;
  readonly limit?: number;
  readonly signal?: AbortSignal;
  /** scanRows: only these properties of each row (the others are skipped, not decoded). */
  readonly fields?: ReadonlySet<string>;
}

/**
 * The latest row per primary key of a TABLE or materialized view.
 *
 * Invariants: reads go to disk, so they see exactly what has been written: a change staged
 * into a WriteBatch is invisible until the batch is written, together with everything else in
 * it. Without a batch, `upsert`/`delete` write durably before resolving. Keys order by Unicode
 * code point.
 */
export class KvTable<R extends StateRow = StateRow> {
  /** Every disk key of this table starts with these bytes. */
  private readonly prefix: Buffer;

  constructor(
    private readonly store: Store,
    readonly name: string,
  ) {
    this.prefix = encodeKey([KV, name]);
  }

  upsert(key: string, row: R, wb: WriteBatch): void;
  upsert(key: string, row: R): Promise<void>;
  upsert(key: string, row: R, wb?: WriteBatch): void | Promise<void> {
    const k = this.diskKey(key);
    const v = encodeValue(row);
    if (wb) {
      wb.put(k, v);
      return;
    }
    return this.store.put(k, v);
  }

  /** Stages the row of `names` and `values` (the record they make, see encodeRecord) under `key`. */
  upsertValues(key: string, names: readonly string[], values: readonly unknown[], wb: WriteBatch): void {
    wb.put(encodeStringKeyView(this.prefix, key), encodeRecordView(names, values));
  }

  /** Stages the encoded row `value` (see RecordBytes) under `key`. */
  upsertEncoded(key: string, value: Buffer, wb: WriteBatch): void {
    wb.put(encodeStringKeyView(this.prefix, key), value);
  }

  /**
   * Stages the encoded row `value` under the key whose characters are the bytes[from, to), where
   * they are ASCII from 0x03 on (see encodeAsciiKeyView); false, staging nothing, for other bytes.
   */
  upsertEncodedAscii(bytes: Uint8Array, from: number, to: number, value: Buffer, wb: WriteBatch): boolean {
    const key = encodeAsciiKeyView(this.prefix, bytes, from, to);
    if (key === undefined) return false;
    wb.put(key, value);
    return true;
  }

  delete(key: string, wb: WriteBatch): void;
  delete(key: string): Promise<void>;
  delete(key: string, wb?: WriteBatch): void | Promise<void> {
    if (wb) {
      wb.del(this.diskKey(key));
      return;
    }
    return this.store.del(this.diskKey(key));
  }

  async get(key: string): Promise<R | undefined> {
    const bytes = await this.store.get(this.diskKey(key));
    return bytes === undefined ? undefined : decodeValue<R>(bytes);
  }

  /** The rows of many keys, with their encoded size, in one batched read (undefined where absent). */
  async getManyRaw(keys: readonly string[]): Promise<({ readonly row: R; readonly bytes: number } | undefined)[]> {
    const values = await this.store.getMany(keys.map((k) => this.diskKey(k)));
    return values.map((b) => (b === undefined ? undefined : { row: decodeValue<R>(b), bytes: b.length }));
  }

  /** A new write batch on this table's store. */
  batch(): WriteBatch {
    return this.store.batch();
  }

  /** Rows in key order, from one consistent snapshot. */
  async *scan(options: KvScanOptions = {}): AsyncGenerator<[string, R]> {
    for await (const rows of this.scanChunks(options)) yield* rows;
  }

  /** `scan`, a run of rows at a time (see Store.iterateChunks): for readers of many rows. */
  async *scanChunks(options: KvScanOptions = {}): AsyncGenerator<[string, R][]> {
    const range = stringPrefixRange([KV, this.name], options.prefix ?? '');
    const it = this.store.iterateChunks({
      ...range,
      fetchBytes: SCAN_FETCH_BYTES,
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for await (const chunk of it) {
      const rows: [string, R][] = [];
      for (const [k, v] of chunk) {
        const key = decodeKey(k)[2];
        if (typeof key === 'string') rows.push([key, decodeValue<R>(v)]);
      }
      if (rows.length > 0) yield rows;
    }
  }

  /**
   * The rows alone, in key order, a run at a time (see scanChunks): reading no keys spares the
   * native iterator a Buffer per row, for readers that need only the rows (a view's or table's
   * row holds its key columns).
   */
  async *scanRows(options: KvScanOptions = {}): AsyncGenerator<R[]> {
    const range = stringPrefixRange([KV, this.name], options.prefix ?? '');
    const it = this.store.iterateChunks({
      ...range,
      keys: false,
      fetchBytes: SCAN_FETCH_BYTES,
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const fields = options.fields;
    for await (const chunk of it) yield chunk.map(([, v]) => (fields ? decodeFields<R>(v, fields) : decodeValue<R>(v)));
  }

  async count(): Promise<number> {
    let n = 0;
    for await (const _ of this.store.iterate({ ...prefixRange([KV, this.name]), values: false })) n++;
    return n;
  }

  /** Deletes every row, immediately and durably. */
  async clear(): Promise<void> {
    await this.store.clearRange(prefixRange([KV, this.name]));
  }

  /** Deletes the rows whose key starts with `prefix`. */
  async deletePrefix(prefix: string): Promise<void> {
    const keys: string[] = [];
    for await (const [key] of this.scan({ prefix })) keys.push(key);
    for (const key of keys) await this.delete(key);
  }

  private diskKey(key: string): Buffer {
    return encodeStringKey(this.prefix, key);
  }
}
