import v8 from 'node:v8';
import { SluiceError } from '../common/errors.js';

/** A value that can be stored: what rows and operator state are made of. */
export type StateValue =
  | number
  | string
  | boolean
  | null
  | bigint
  | Buffer
  | readonly StateValue[]
  | { readonly [key: string]: StateValue | undefined };

/** A row-like record stored by state tables, KV tables and checkpoints. */
export type StateRow = { readonly [key: string]: StateValue | undefined };

/**
 * Value codec for rows and state (v8 structured serialization).
 *
 * Invariant: `decodeValue(encodeValue(v))` deep-equals `v` for every `StateValue`; Buffers come
 * back as Buffers. The bytes are opaque and only meant for this codec.
 */
export function encodeValue(value: StateValue): Buffer {
  return v8.serialize(value);
}

export function decodeValue<V = StateValue>(bytes: Buffer): V {
  try {
    return v8.deserialize(bytes) as V;
  } catch (err) {
    throw new SluiceError('STATE_ERROR', `cannot decode stored value: ${String(err)}`, { cause: err });
  }
}
