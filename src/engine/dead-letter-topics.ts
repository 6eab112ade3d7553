/**
 * Dead-letter topics: every query writes the rows it could not process to `<query>_dlq` on the
 * embedded log, readable as a stream. A push query's topic goes when the query ends empty.
 */
import { DLQ_FIELDS } from './sinks.js';
import type { Session } from './session.js';

type DlqSession = Pick<Session, 'catalog' | 'storage' | 'options' | 'queries'>;

/** Creates (idempotently) a dead-letter topic and its stream in the catalog; returns its name. */
export async function ensureDlq(session: DlqSession, name: string): Promise<string> {
  await session.storage.log.createTopic(name, 1, { retentionMs: session.options.deadLetterRetentionMs });
  if (!session.catalog.hasRelation(name)) {
    session.catalog.addRelation({ kind: 'stream', name, schema: DLQ_FIELDS, options: { connector: 'log', dlq: true }, sql: '' });
  }
  return name;
}

/** A push query's dead-letter stream goes when the query ends, unless it holds letters. */
export async function dropDlqIfEmpty(session: DlqSession, name: string): Promise<void> {
  const { store, log } = session.storage;
  if (store.isClosed || !log.hasTopic(name) || log.highWatermark(name, 0) > 0) return;
  await log.dropTopic(name);
  if (session.catalog.hasRelation(name)) session.catalog.removeRelation(name);
}

/**
 * Dead-letter topics of push queries from earlier runs: empty ones go, the others become
 * readable streams again; new push query ids start after them. Those of streams (rows posted
 * over HTTP) become readable streams again too.
 */
export async function adoptPushDlqs(session: DlqSession): Promise<void> {
  const { log } = session.storage;
  for (const topic of log.topics()) {
    // Dead letters of rows posted to a stream: readable again as long as they are kept.
    if (topic.endsWith('_dlq') && !session.catalog.hasRelation(topic) && log.highWatermark(topic, 0) > 0) await ensureDlq(session, topic);
    const m = /^push_(\d+)_dlq$/.exec(topic);
    if (!m) continue;
    session.queries.noteUsedId(Number(m[1]));
    if (log.highWatermark(topic, 0) === 0) await dropDlqIfEmpty(session, topic);
    else await ensureDlq(session, topic);
  }
}
