/**
 * How a read_committed kafkajs consumer leaves out the records of aborted transactions: the
 * filter below replaces kafkajs's own (`kafkajs/src/consumer/filterAbortedMessages.js`).
 *
 * A fetch response lists the aborted transactions (producer id, first offset) that overlap the
 * records it returns; a record is aborted when its producer has an aborted transaction that
 * started at or before it and whose ABORT marker has not been met yet. kafkajs 2.2.4 enters at
 * most one aborted transaction per record, so when a response starts past the first offsets of
 * two of them (two producers' transactions aborted one after the other, read from a position
 * inside both), the records of the second reach the consumer as if committed: a scale-out
 * task's repartition records sent in a transaction its process died in were read, and so
 * counted, once from the aborted transaction and once more from the new owner's.
 *
 * The filter enters every aborted transaction that started at or before the record, as the
 * Java client does.
 */
import { SluiceError } from '../../common/errors.js';

/** An aborted transaction as a fetch response lists it. */
export interface AbortedTransaction {
  readonly producerId: string;
  readonly firstOffset: string;
}

/** The part of a fetched record (kafkajs's decoding) the filter reads. */
export interface FetchedRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly isControlRecord?: boolean;
  readonly batchContext: { readonly producerId: string; readonly inTransaction: boolean };
}

/** Control record key of an ABORT marker: version 0, type 0. */
const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);

function isAbortMarker(r: FetchedRecord): boolean {
  return r.isControlRecord === true && r.key !== null && Buffer.from(r.key).equals(ABORT_MARKER_KEY);
}

/** The records that are not part of an aborted transaction (control records stay; kafkajs drops them next). */
export function withoutAborted<R extends FetchedRecord>({ messages, abortedTransactions }: { messages: readonly R[]; abortedTransactions?: readonly AbortedTransaction[] }): R[] {
  if (!abortedTransactions?.length) return [...messages];
  const pending = [...abortedTransactions].sort((a, b) => (BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : BigInt(a.firstOffset) > BigInt(b.firstOffset) ? 1 : 0));
  const aborting = new Set<string>();
  let next = 0;
  return messages.filter((r) => {
    const offset = BigInt(r.offset);
    while (next < pending.length && BigInt(pending[next]!.firstOffset) <= offset) aborting.add(String(pending[next++]!.producerId));
    const producerId = String(r.batchContext.producerId);
    if (isAbortMarker(r)) {
      aborting.delete(producerId);
      return true;
    }
    return !(r.batchContext.inTransaction && aborting.has(producerId));
  });
}

const FILTER_MODULE = 'kafkajs/src/consumer/filterAbortedMessages.js';
const BATCH_MODULE = 'kafkajs/src/consumer/batch.js';

/**
 * Makes kafkajs's consumers use `withoutAborted`: call it before kafkajs is first required
 * (its batch module keeps the filter it loaded with).
 */
export function installAbortedFilter(require: NodeJS.Require): void {
  if (require.cache[require.resolve(BATCH_MODULE)]) {
    throw new SluiceError('INTERNAL', 'kafkajs was loaded before its aborted-transaction filter was replaced', { hint: "load kafkajs through kafkajs() in src/connectors/kafka/options.ts" });
  }
  const path = require.resolve(FILTER_MODULE);
  require(path);
  require.cache[path]!.exports = withoutAborted;
}
