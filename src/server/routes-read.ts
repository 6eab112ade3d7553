/** Views, queries and the catalog: GET /v1/views/..., /v1/queries/..., /v1/catalog. */
import type { FastifyInstance } from 'fastify';
import type { EngineLike } from './engine-like.js';
import { apiError } from './error-body.js';
import { queryInfoToJson, toJsonValue } from './json-values.js';
import { intParam, stringParam } from './request-body.js';

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

export function registerReadRoutes(app: FastifyInstance, engine: EngineLike): void {
  app.get<{ Params: NameParams; Querystring: Record<string, unknown> }>('/v1/views/:name', async (req) => {
    const limit = intParam(req.query.limit, 'limit', MAX_SCAN_LIMIT) ?? 1000;
    const prefix = stringParam(req.query.prefix, 'prefix');
    const rows = await engine.viewScan(req.params.name, prefix === undefined ? { limit } : { limit, prefix });
    return { view: req.params.name, rows: rows.map(toJsonValue) };
  });

  app.get<{ Params: KeyParams }>('/v1/views/:name/keys/:key', async (req) => {
    const row = await engine.viewRow(req.params.name, req.params.key);
    if (row === undefined) {
      throw apiError('NOT_FOUND', `view '${req.params.name}' has no row with key '${req.params.key}'`);
    }
    return { view: req.params.name, key: req.params.key, row: toJsonValue(row) };
  });

  app.get('/v1/queries', async () => ({ queries: engine.queries().map(queryInfoToJson) }));

  app.get<{ Params: IdParams }>('/v1/queries/:id', async (req) => {
    const q = engine.query(req.params.id);
    if (q === undefined) throw apiError('UNKNOWN_QUERY', `no query has id '${req.params.id}'`, 'GET /v1/queries lists them');
    return { query: queryInfoToJson(q) };
  });

  app.delete<{ Params: IdParams }>('/v1/queries/:id', async (req) => {
    if (!engine.cancelQuery(req.params.id)) {
      throw apiError('UNKNOWN_QUERY', `no query has id '${req.params.id}'`, 'GET /v1/queries lists them');
    }
    return { id: req.params.id, cancelled: true };
  });

  app.get('/v1/catalog', async () => ({ names: engine.completions() }));
}
