export { Store, WriteBatch, type IterateOptions } from './store.js';
export { encodeKey, decodeKey, prefixRange, stringPrefixRange, type KeyPart, type KeyRange } from './keys.js';
export { encodeValue, decodeValue, type StateValue, type StateRow } from './codec.js';
export { EmbeddedLog, type LogChunk } from './embedded-log.js';
export { StateTable, type StateTableOptions } from './state-table.js';
export { CheckpointStore, type Checkpoint, type CheckpointInput } from './checkpoints.js';
export { KvTable, type KvScanOptions } from './kv-table.js';
