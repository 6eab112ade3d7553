/**
 * Routes behind the web console: live series (GET /v1/series), relations and a bounded peek at
 * their rows (GET /v1/relations...), a query's plan (GET /v1/queries/:id/plan), the console's
 * settings (GET /v1/console), and the read-only guard for requests the console sends.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PeekResult, RelationInspector } from '../engine/relation-info.js';
import type { PlannedStatement } from '../engine/types.js';
import type { ConsoleSampler } from './console-metrics.js';
import type { EngineLike } from './engine-like.js';
import { apiError } from './error-body.js';
import { rowToJson, toJsonValue } from './json-values.js';
import { intParam, stringParam } from './request-body.js';
import { columnWriters, timestampFormatOf, type TimestampFormat } from './timestamps.js';

/** 'read-only': the console offers no button that changes anything, and the server refuses such requests from it. */
export type ConsoleMode = 'read-write' | 'read-only';

/** The header the console sends on every request, so the server can tell its requests apart. */
export const CONSOLE_HEADER = 'sluice-client';

export const MAX_PEEK_ROWS = 1000;

/** Requests that never change anything, allowed from a read-only console besides GET. */
const READ_ONLY_POSTS = [/^\/v1\/query$/, /^\/v1\/views\/[^/]+\/lookup$/, /^\/v1\/sql$/];

/** Statements a read-only console may send to POST /v1/sql: they only describe what exists. */
const DESCRIBING = /^\s*(SHOW|DESCRIBE|DESC|EXPLAIN)\b/i;

export function fromConsole(req: FastifyRequest): boolean {
  return req.headers[CONSOLE_HEADER] === 'console';
}

/**
 * In read-only mode, refuses every request from the console that could change something: all but
 * GET, streaming a SELECT, a view lookup and statements that only describe (checked once planned).
 */
export function guardReadOnlyConsole(app: FastifyInstance): void {
  app.addHook('onRequest', async (req) => {
    if (!fromConsole(req) || req.method === 'GET' || req.method === 'HEAD') return;
    const path = req.url.split('?')[0] ?? '';
    if (req.method === 'POST' && READ_ONLY_POSTS.some((r) => r.test(path))) return;
    throw apiError('NOT_ALLOWED', `the console is read-only: ${req.method} ${path.slice(0, 200)} is refused`, 'the server was started with --console read-only; use the HTTP API or the shell to make changes');
  });
}

/** The `accept` check of POST /v1/sql for a read-only console: only SHOW, DESCRIBE and EXPLAIN. */
export function refuseChangesFromConsole(statements: readonly PlannedStatement[]): void {
  const changing = statements.find((s) => s.mode === 'statement' && !DESCRIBING.test(s.text));
  if (changing) {
    throw apiError('NOT_ALLOWED', `the console is read-only: ${changing.text.slice(0, 200)}`, 'only SELECT, SHOW, DESCRIBE and EXPLAIN run from a read-only console; nothing in this request was run');
  }
}

export interface ConsoleRouteOptions {
  readonly mode: ConsoleMode;
  readonly sampler: ConsoleSampler;
  /** Absent when the engine cannot describe its relations (GET /v1/relations answers 404). */
  readonly inspector?: RelationInspector;
}

function peekToJson(p: PeekResult, timestamps: TimestampFormat): unknown {
  const writers = columnWriters(p.columns, timestamps);
  return {
    name: p.name,
    columns: p.columns,
    rows: p.rows.map((r) => ({ ...(r.partition !== undefined ? { partition: r.partition, offset: r.offset } : {}), values: rowToJson(r.values, writers) })),
    ...(p.next !== undefined ? { next: p.next } : {}),
  };
}

export function registerConsoleRoutes(app: FastifyInstance, engine: EngineLike, opts: ConsoleRouteOptions): void {
  app.get('/v1/console', async () => ({ mode: opts.mode, intervalMs: opts.sampler.series.intervalMs, windowMs: opts.sampler.series.windowMs }));

  app.get<{ Querystring: Record<string, unknown> }>('/v1/series', async (req) => {
    const scope = stringParam(req.query.scope, 'scope');
    if (scope !== undefined && !['engine', 'query', 'operator', 'model'].includes(scope)) {
      throw apiError('BAD_REQUEST', `'scope' must be engine, query, operator or model, not '${scope.slice(0, 50)}'`);
    }
    const id = stringParam(req.query.id, 'id');
    const since = intParam(req.query.since, 'since', Number.MAX_SAFE_INTEGER, 0);
    const series = opts.sampler.read({ ...(scope !== undefined ? { scope } : {}), ...(id !== undefined ? { id } : {}), ...(since !== undefined ? { since } : {}) });
    return { now: Date.now(), intervalMs: opts.sampler.series.intervalMs, windowMs: opts.sampler.series.windowMs, series };
  });

  const inspector = (): RelationInspector => {
    if (!opts.inspector) throw apiError('NOT_FOUND', 'this server does not describe its relations', 'use SHOW STREAMS, SHOW TABLES and DESCRIBE through POST /v1/sql');
    return opts.inspector;
  };

  app.get('/v1/relations', async () => ({ relations: toJsonValue(inspector().list()) }));

  app.get<{ Params: { name: string }; Querystring: Record<string, unknown> }>('/v1/relations/:name/rows', async (req) => {
    const limit = intParam(req.query.limit, 'limit', MAX_PEEK_ROWS) ?? 20;
    const before = intParam(req.query.before, 'before', Number.MAX_SAFE_INTEGER, 0);
    const partition = intParam(req.query.partition, 'partition', 1 << 20, 0);
    const peek = await inspector().peek(req.params.name, { limit, ...(before !== undefined ? { before } : {}), ...(partition !== undefined ? { partition } : {}) });
    return peekToJson(peek, timestampFormatOf(undefined, req.query));
  });

  app.get<{ Params: { id: string } }>('/v1/queries/:id/plan', async (req) => {
    const q = engine.query(req.params.id);
    if (q === undefined) throw apiError('UNKNOWN_QUERY', `no query has id '${req.params.id}'`, 'GET /v1/queries lists them');
    const [result] = await engine.execute(`EXPLAIN ${q.sql}`, { maxStatements: 1, accept: () => undefined });
    if (result?.kind !== 'explain') throw apiError('INVALID_ARGUMENT', `query '${q.id}' has no plan to show`);
    return { id: q.id, text: result.text };
  });
}
