/**
 * Kafka partitioning by the engine's key hash (common/hash.ts): a keyed sink's record goes to the
 * partition INSERT and the exchange would give its key, NULL keys included, rather than to the
 * one Kafka's default partitioner picks from the key's bytes (a NULL key has no bytes).
 */
import type { ICustomPartitioner, Message } from 'kafkajs';
import { kafkajs } from './options.js';

const KEY_HASH = Symbol('sluice.keyHash');

interface HashedMessage extends Message {
  [KEY_HASH]?: number;
}

/**
 * `message` carrying the hash of its row's key (`keyHash`), for keyHashPartitioner: the hash is
 * set on `message` itself (callers pass a message they just made), not on a copy.
 */
export function withKeyHash(message: Message, hash: number | undefined): Message {
  if (hash !== undefined) (message as HashedMessage)[KEY_HASH] = hash;
  return message;
}

/**
 * Partitions a message by its key hash modulo the topic's partitions; a message with an explicit
 * partition, or without a key hash (a sink without key columns), as Kafka's default partitioner does.
 */
export const keyHashPartitioner: ICustomPartitioner = () => {
  const fallback = kafkajs().Partitioners.DefaultPartitioner();
  return (args) => {
    const hash = (args.message as HashedMessage)[KEY_HASH];
    if (hash === undefined || (args.message.partition !== undefined && args.message.partition !== null)) return fallback(args);
    return hash % args.partitionMetadata.length;
  };
};
