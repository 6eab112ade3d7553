/** POST /v1/sql (statements) and POST /v1/query (a streamed query). */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { StatementResult } from '../engine/types.js';
import type { EngineLike } from './engine-like.js';
import { apiError } from './error-body.js';
import { resultToJson } from './json-values.js';
import { pullRowSource, streamFormat, streamRows, type RowSource } from './push-stream.js';
import { sqlFromBody } from './request-body.js';

type PushResult = Extract<StatementResult, { kind: 'push' }>;

/** An AbortSignal that fires when the client goes away before the reply is sent. */
function disconnectSignal(reply: FastifyReply): AbortSignal {
  const ac = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableEnded) ac.abort(new Error('client disconnected'));
  });
  return ac.signal;
}

function cancelAll(results: readonly StatementResult[]): void {
  for (const r of results) if (r.kind === 'push') r.cancel();
}

export function registerSqlRoutes(app: FastifyInstance, engine: EngineLike): void {
  app.post('/v1/sql', async (req, reply) => {
    const sql = sqlFromBody(req.body, req.headers['content-type']);
    const results = await engine.execute(sql, { signal: disconnectSignal(reply) });
    const push = results.filter((r): r is PushResult => r.kind === 'push');
    if (push.length > 0) {
      cancelAll(results);
      throw apiError(
        'BAD_REQUEST',
        `a push query cannot run through POST /v1/sql: ${push[0]?.statement ?? 'SELECT'}`,
        'use POST /v1/query to stream the results of a SELECT over a stream',
      );
    }
    return { results: results.map((r) => (r.kind === 'push' ? null : resultToJson(r))) };
  });

  app.post('/v1/query', async (req, reply) => {
    const sql = sqlFromBody(req.body, req.headers['content-type']);
    const results = await engine.execute(sql, { signal: disconnectSignal(reply) });
    const src = singleQuery(results);
    reply.hijack();
    await streamRows(reply.raw, src, streamFormat(req.headers.accept));
  });
}

/** The one SELECT of a /v1/query request, as a row source; refuses anything else. */
function singleQuery(results: readonly StatementResult[]): RowSource {
  const queries = results.filter((r) => r.kind === 'push' || r.kind === 'rows');
  const only = queries.length === 1 ? queries[0] : undefined;
  if (only?.kind === 'push') {
    for (const r of results) if (r !== only && r.kind === 'push') r.cancel();
    return { queryId: only.queryId, columns: only.columns, updating: only.updating, rows: only.rows, cancel: () => only.cancel() };
  }
  if (only?.kind === 'rows') return pullRowSource(only.columns, only.rows, only.errors);
  cancelAll(results);
  throw apiError(
    'BAD_REQUEST',
    queries.length === 0 ? 'POST /v1/query needs a SELECT statement' : 'POST /v1/query runs one SELECT at a time',
    'use POST /v1/sql for other statements',
  );
}
