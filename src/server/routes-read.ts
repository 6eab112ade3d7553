/** Views, queries and the catalog: GET /v1/views/..., /v1/queries/..., /v1/catalog. */
import type { FastifyInstance } from 'fastify';
import type { EngineLike } from './engine-like.js';
import { apiError } from './error-body.js';
import { keyOf } from '../common/keys.js';
import { queryInfoToJson, toJsonValue, type JsonValue } from './json-values.js';
import { intParam, stringParam } from './request-body.js';
import { recordWriter, timestampFormatOf, type TimestampFormat } from './timestamps.js';

interface NameParams {
  name: string;
}
interface KeyParams extends NameParams {
  key: string;
}
interface IdParams {
  id: string;
}

export const MAX_SCAN_LIMIT = 100_000;

/** A key as JSON: one value, or an array with one value per column of a composite key. */
type JsonKey = string | number | boolean | null | (string | number | boolean | null)[];

function isKeyValue(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** `{"key": value}` or `{"key": [v1, v2]}` for a key of several columns. */
function keyFromBody(body: unknown): JsonKey {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !('key' in body)) {
    throw apiError('BAD_REQUEST', 'the request body must be a JSON object with a \'key\' field', 'send {"key": "card-17"}, {"key": null} or {"key": ["a", 1]} for a key of several columns');
  }
  const key: unknown = (body as { key: unknown }).key;
  if (isKeyValue(key) || (Array.isArray(key) && key.length > 0 && key.every(isKeyValue))) return key;
  throw apiError('BAD_REQUEST', "'key' must be a string, number, boolean or null, or a non-empty array of them");
}

/** A key for a message: JSON, cut short so a huge key does not make a huge error. */
function shortJson(key: JsonKey): string {
  const text = JSON.stringify(key);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

export function registerReadRoutes(app: FastifyInstance, engine: EngineLike): void {
  app.get<{ Params: NameParams; Querystring: Record<string, unknown> }>('/v1/views/:name', async (req) => {
    const limit = intParam(req.query.limit, 'limit', MAX_SCAN_LIMIT) ?? 1000;
    const prefix = stringParam(req.query.prefix, 'prefix');
    const write = recordWriter(engine.relationColumns(req.params.name), timestampFormatOf(undefined, req.query));
    const rows = await engine.viewScan(req.params.name, prefix === undefined ? { limit } : { limit, prefix });
    return { view: req.params.name, rows: rows.map((r) => toJsonValue(write(r))) };
  });

  const lookup = async (name: string, key: JsonKey, timestamps: TimestampFormat): Promise<{ view: string; key: JsonKey; row: JsonValue }> => {
    const write = recordWriter(engine.relationColumns(name), timestamps);
    const row = await engine.viewRow(name, keyOf(Array.isArray(key) ? key : [key]));
    if (row === undefined) throw apiError('NOT_FOUND', `view '${name}' has no row with key ${shortJson(key)}`);
    return { view: name, key, row: toJsonValue(write(row)) };
  };

  // The key is one string value: '%00' is the string '\u0000', never NULL (use the lookup route for NULL).
  app.get<{ Params: KeyParams }>('/v1/views/:name/keys/:key', async (req) => lookup(req.params.name, req.params.key, timestampFormatOf(undefined, req.query)));

  app.post<{ Params: NameParams }>('/v1/views/:name/lookup', async (req) => lookup(req.params.name, keyFromBody(req.body), timestampFormatOf(req.body, req.query)));

  app.get('/v1/queries', async () => ({ queries: engine.queries().map(queryInfoToJson) }));

  app.get<{ Params: IdParams }>('/v1/queries/:id', async (req) => {
    const q = engine.query(req.params.id);
    if (q === undefined) throw apiError('UNKNOWN_QUERY', `no query has id '${req.params.id}'`, 'GET /v1/queries lists them');
    return { query: queryInfoToJson(q) };
  });

  const unknownQuery = (id: string) => apiError('UNKNOWN_QUERY', `no query has id '${id}'`, 'GET /v1/queries lists them');

  // A push query is cancelled; a view's or sink's query is stopped, as by POST .../stop.
  app.delete<{ Params: IdParams }>('/v1/queries/:id', async (req) => {
    const q = engine.query(req.params.id);
    if (q !== undefined && q.kind !== 'push') {
      const stopped = await engine.stopQuery(req.params.id);
      return { id: req.params.id, cancelled: true, query: queryInfoToJson(stopped ?? q) };
    }
    if (!engine.cancelQuery(req.params.id)) throw unknownQuery(req.params.id);
    return { id: req.params.id, cancelled: true };
  });

  app.post<{ Params: IdParams }>('/v1/queries/:id/stop', async (req) => {
    const q = await engine.stopQuery(req.params.id);
    if (q === undefined) throw unknownQuery(req.params.id);
    return { query: queryInfoToJson(q) };
  });

  app.post<{ Params: IdParams }>('/v1/queries/:id/start', async (req) => {
    const q = await engine.startQuery(req.params.id);
    if (q === undefined) throw unknownQuery(req.params.id);
    return { query: queryInfoToJson(q) };
  });

  app.get('/v1/catalog', async () => ({ names: engine.completions(), ...(toJsonValue(engine.catalogSummary()) as Record<string, JsonValue>) }));
}
