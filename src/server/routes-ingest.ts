/**
 * POST /v1/streams/:name/rows: events in over HTTP. The body is NDJSON (one JSON object per
 * line, `application/x-ndjson`) or a JSON array of objects (`application/json`); each object is
 * decoded with the stream's schema. Rows that fit are appended in one write with the dead
 * letters of those that do not; the answer counts the accepted rows and says why each rejected
 * one was refused. A stream whose readers lag more than `ingestMaxLag` records refuses the
 * request with 429 BACKPRESSURE and a Retry-After header.
 */
import type { FastifyInstance } from 'fastify';
import { SluiceError } from '../common/errors.js';
import { parseExactJson } from '../common/exact-json.js';
import type { IngestRow } from '../engine/ingest.js';
import type { EngineLike } from './engine-like.js';
import { apiError } from './error-body.js';
import { toJsonValue } from './json-values.js';
import type { ServerLimits } from './limits.js';
import { mediaType } from './request-body.js';

export const INGEST_PATH = '/v1/streams/:name/rows';
/** Seconds a client refused for back-pressure is asked to wait. */
export const RETRY_AFTER_S = 1;

/**
 * Bodies of the ingest route reach the handler as text, so JSON is parsed exactly (BIGINT
 * values beyond 2^53 keep every digit) and one bad NDJSON line rejects that row, not the request.
 * Every other route keeps fastify's JSON parser.
 */
export function registerIngestParsers(app: FastifyInstance): void {
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  const isIngest = (url: string): boolean => /^\/v1\/streams\/[^/?]+\/rows(?:\?|$)/.test(url);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (isIngest(req.url)) done(null, body);
    else defaultJson(req, body as string, done);
  });
  app.addContentTypeParser('application/x-ndjson', { parseAs: 'string' }, (req, body, done) => {
    if (isIngest(req.url)) done(null, body);
    else done(apiError('UNSUPPORTED_MEDIA_TYPE', `${req.url.split('?')[0]} does not take application/x-ndjson`, 'send application/json'), undefined);
  });
}

export function registerIngestRoutes(app: FastifyInstance, engine: EngineLike, limits: ServerLimits): void {
  app.post<{ Params: { name: string } }>(INGEST_PATH, { bodyLimit: limits.maxIngestBytes }, async (req, reply) => {
    const type = mediaType(req.headers['content-type']);
    if (typeof req.body !== 'string' || (type !== 'application/json' && type !== 'application/x-ndjson')) {
      throw apiError('UNSUPPORTED_MEDIA_TYPE', 'rows must be sent as application/x-ndjson or application/json', 'send one JSON object per line, or a JSON array of objects');
    }
    const rows = type === 'application/x-ndjson' ? ndjsonRows(req.body) : jsonArrayRows(req.body);
    if (rows.length === 0) throw apiError('BAD_REQUEST', 'the request holds no rows', 'send one JSON object per line, or a JSON array of objects');
    if (rows.length > limits.maxIngestRows) {
      throw apiError('LIMIT_EXCEEDED', `the request holds ${rows.length} rows; the limit is ${limits.maxIngestRows}`, 'send them in several requests; the limit is set by sluice serve --max-ingest-rows');
    }
    try {
      return toJsonValue(await engine.ingest(req.params.name, rows, { maxLag: limits.ingestMaxLag }));
    } catch (err) {
      if (err instanceof SluiceError && err.code === 'BACKPRESSURE') void reply.header('retry-after', String(RETRY_AFTER_S));
      throw err;
    }
  });
}

/** One row per non-blank line; a line that is not JSON is a row rejected with the parser's reason. */
function ndjsonRows(text: string): IngestRow[] {
  const rows: IngestRow[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    try {
      rows.push({ value: parseExactJson(trimmed), text: trimmed });
    } catch (err) {
      rows.push({ error: `not valid JSON: ${err instanceof Error ? err.message : String(err)}`, text: trimmed });
    }
  }
  return rows;
}

/** A JSON array of rows (one object is taken as one row); a body that is not JSON is a bad request. */
function jsonArrayRows(text: string): IngestRow[] {
  let body: unknown;
  try {
    body = parseExactJson(text);
  } catch (err) {
    throw apiError('BAD_REQUEST', `the body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, 'send a JSON array of objects, or NDJSON as application/x-ndjson');
  }
  const items = Array.isArray(body) ? body : [body];
  return items.map((value) => ({ value, text: '' }));
}
