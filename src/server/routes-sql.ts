/**
 * POST /v1/sql (statements) and POST /v1/query (a streamed query).
 *
 * Both hand the engine an `accept` check that sees every statement once all are planned and
 * before any runs, so a request the route cannot answer (a push query sent to /v1/sql, DDL sent
 * to /v1/query) changes nothing. When a statement fails while running, /v1/sql answers the
 * results of the statements that ran before it together with the error.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PlannedStatement, StatementResult } from '../engine/types.js';
import type { EngineLike } from './engine-like.js';
import { apiError } from './error-body.js';
import { resultToJson, type JsonValue } from './json-values.js';
import { checkSqlSize, type PushSlots, type ServerLimits } from './limits.js';
import { pullRowSource, streamFormat, streamRows, type RowSource } from './push-stream.js';
import { choiceOption, sqlFromBody } from './request-body.js';
import type { ReplyError } from './server-errors.js';
import { timestampFormatOf, type TimestampFormat } from './timestamps.js';

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

function refusePush(statements: readonly PlannedStatement[]): void {
  const push = statements.find((s) => s.mode === 'push');
  if (push) {
    throw apiError('BAD_REQUEST', `a push query cannot run through POST /v1/sql: ${push.text}`, 'use POST /v1/query to stream the results of a SELECT over a stream; nothing in this request was run');
  }
}

/** Before planning: a second statement is refused as such, not by whatever planning it finds wrong. */
function requireOneStatement(statements: readonly string[]): void {
  if (statements.length > 1) throw apiError('BAD_REQUEST', `POST /v1/query runs one SELECT and nothing else; this request has ${statements.length} statements`, 'send one SELECT per request; use POST /v1/sql for the others');
}

function requireOneSelect(statements: readonly PlannedStatement[]): void {
  if (statements.length === 1 && statements[0]!.mode !== 'statement') return;
  throw apiError(
    'BAD_REQUEST',
    statements.every((s) => s.mode === 'statement') ? 'POST /v1/query needs a SELECT statement' : 'POST /v1/query runs one SELECT and nothing else',
    'use POST /v1/sql for other statements; nothing in this request was run',
  );
}

function json(r: StatementResult, timestamps: TimestampFormat): JsonValue {
  return r.kind === 'push' ? null : resultToJson(r, timestamps);
}

/** Sees the planned statements of a POST /v1/sql request before any runs; throwing refuses it. */
export type SqlCheck = (req: FastifyRequest, statements: readonly PlannedStatement[]) => void;

export function registerSqlRoutes(app: FastifyInstance, engine: EngineLike, limits: ServerLimits, slots: PushSlots, replyError: ReplyError, check?: SqlCheck): void {
  app.post('/v1/sql', async (req, reply) => {
    const sql = sqlFromBody(req.body, req.headers['content-type']);
    checkSqlSize(sql, limits);
    const timestamps = timestampFormatOf(req.body, req.query);
    const ran: StatementResult[] = [];
    let planned = false;
    try {
      const results = await engine.execute(sql, {
        signal: disconnectSignal(reply),
        maxStatements: limits.maxStatements,
        accept: (statements) => {
          refusePush(statements);
          check?.(req, statements);
          planned = true;
        },
        onResult: (r) => ran.push(r),
      });
      return { results: results.map((r) => json(r, timestamps)) };
    } catch (err) {
      cancelAll(ran);
      // Failed before anything ran: the error alone says it all.
      if (!planned) throw err;
      const { status, body } = replyError(req, err);
      void reply.code(status).type('application/json; charset=utf-8');
      return { results: ran.map((r) => json(r, timestamps)), ...body };
    }
  });

  app.post('/v1/query', async (req, reply) => {
    const sql = sqlFromBody(req.body, req.headers['content-type']);
    checkSqlSize(sql, limits);
    const timestamps = timestampFormatOf(req.body, req.query);
    const from = choiceOption(req.body, req.query, 'from', ['earliest', 'latest'] as const, "'latest' (the default) streams rows that arrive after the query starts, 'earliest' every row still stored first");
    const release = slots.acquire(req.ip);
    let src: RowSource;
    try {
      const results = await engine.execute(sql, { signal: disconnectSignal(reply), maxStatements: limits.maxStatements, parsed: requireOneStatement, accept: requireOneSelect, ...(from !== undefined ? { from } : {}) });
      src = singleQuery(results);
    } catch (err) {
      release();
      throw err;
    }
    reply.hijack();
    try {
      await streamRows(reply.raw, src, streamFormat(req.headers.accept), {
        stallTimeoutMs: limits.pushStallTimeoutMs,
        timestamps,
        requestId: req.id,
        replyError: (err) => replyError(req, err),
      });
    } finally {
      release();
    }
  });
}

/** The one SELECT of a /v1/query request, as a row source. */
function singleQuery(results: readonly StatementResult[]): RowSource {
  const only = results.length === 1 ? results[0] : undefined;
  if (only?.kind === 'push') {
    return { queryId: only.queryId, columns: only.columns, updating: only.updating, rows: only.rows, cancel: () => only.cancel(), cancelledElsewhere: () => only.cancelledElsewhere?.() ?? false };
  }
  if (only?.kind === 'rows') return pullRowSource(only.columns, only.rows, only.errors);
  cancelAll(results);
  throw apiError('BAD_REQUEST', 'POST /v1/query runs one SELECT and nothing else', 'use POST /v1/sql for other statements');
}
