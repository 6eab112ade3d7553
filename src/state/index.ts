/**
 * Durable state of the engine: one RocksDB database (`Store`) per data directory.
 *
 * Key spaces (first tuple part): `log-topic`/`log-data` (embedded log), `state` (operator state,
 * `[state, queryId, operator, partition, key]`), `ckpt` (one checkpoint per query), `kv`
 * (tables and materialized views). Exactly-once rests on one rule: an epoch's log appends,
 * `StateTable.flush`, `KvTable` changes and `CheckpointStore.stage` go into the same WriteBatch,
 * and a staged WriteBatch is always either written or discarded.
 */
export { Store, WriteBatch, type IterateOptions } from './store.js';
export { encodeKey, encodeStringKey, decodeKey, prefixRange, stringPrefixRange, type KeyPart, type KeyRange } from './keys.js';
export { encodeValue, encodeRecord, decodeValue, RecordBytes, valueBytes, valueReader, type StateValue, type StateRow } from './codec.js';
export { EmbeddedLog, LOG_CHUNK_HEADER_BYTES, type LogChunk } from './embedded-log.js';
export { StateTable, type StateTableOptions } from './state-table.js';
export { TimeIndex } from './time-index.js';
export { StateCache, DEFAULT_STATE_CACHE_BYTES, parseByteSize, type StateCacheStats } from './state-cache.js';
export { CheckpointStore, type Checkpoint, type CheckpointInput } from './checkpoints.js';
export { KvTable, type KvScanOptions } from './kv-table.js';
export { TableRows, type TableChange, type TableChangeKind, type TableChangelogWriter } from './table-rows.js';
