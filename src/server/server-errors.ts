/**
 * Request ids and the server's own failures. Every request gets an id (the client's
 * `x-request-id` when it sends a plain one, else a new random one), answered in the
 * `x-request-id` header; an error with a 5xx status also carries it in the body as `requestId`
 * and is always logged with it, whether or not request logging is on, so that a user's report
 * ("INTERNAL, request r-1f2e...") finds its stack trace.
 */
import { randomBytes } from 'node:crypto';
import { SluiceError } from '../common/errors.js';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { apiError, toErrorReply, type ErrorReply } from './error-body.js';
import { mediaType } from './request-body.js';

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** For fastify's `genReqId`. */
export function requestId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_ID.test(given) ? given : `r-${randomBytes(8).toString('hex')}`;
}

/** Where server errors are written; the default is stderr, one entry per error. */
export type ErrorSink = (entry: string) => void;

export const stderrSink: ErrorSink = (entry) => {
  process.stderr.write(`${entry}\n`);
};

/** Answers an error of a request: its reply, with the request id and a log entry for 5xx. */
export type ReplyError = (req: FastifyRequest, err: unknown) => ErrorReply;

export function errorReplier(sink: ErrorSink, logger: FastifyBaseLogger | undefined): ReplyError {
  return (req, err) => {
    const reply = toErrorReply(mediaTypeError(req, err));
    if (reply.status < 500) return reply;
    const path = req.url.split('?')[0] ?? '';
    // A stack only where it helps find a fault in the engine: a timeout or full memory says enough in words.
    const known = err instanceof SluiceError && err.code !== 'INTERNAL';
    const message = err instanceof Error ? (known ? err.message : (err.stack ?? err.message)) : String(err);
    sink(`sluice: ${reply.status} ${String(reply.body.error['code'])} request ${req.id} ${req.method} ${path}: ${message}`);
    logger?.error({ reqId: req.id, err }, 'request failed');
    return { status: reply.status, body: { error: { ...reply.body.error, requestId: req.id } } };
  };
}

/**
 * Fastify refuses a body whose Content-Type no parser takes with a bare "Unsupported Media
 * Type": this says which type the route was sent and what it takes (curl's `--data` sends
 * application/x-www-form-urlencoded, the likeliest case).
 */
function mediaTypeError(req: FastifyRequest, err: unknown): unknown {
  if (!(err instanceof Error) || (err as Error & { code?: unknown }).code !== 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return err;
  const path = req.url.split('?')[0] ?? '';
  const header = req.headers['content-type'];
  const sent = typeof header === 'string' && header.trim() !== '' ? clip(mediaType(header), 100) : 'a body without a Content-Type';
  const hint = /^\/v1\/(sql|query)$/.test(path)
    ? "send the SQL as text/plain (curl: -H 'content-type: text/plain' --data-binary @file.sql) or as application/json {\"sql\": \"...\"}"
    : /^\/v1\/streams\/[^/]+\/rows$/.test(path)
      ? 'send one JSON object per line as application/x-ndjson, or a JSON array of objects as application/json'
      : path === '/v1/models'
        ? "send the ONNX file as application/octet-stream (curl: -H 'content-type: application/octet-stream' --data-binary @model.onnx)"
        : 'send application/json';
  return apiError('UNSUPPORTED_MEDIA_TYPE', `${req.method} ${clip(path, 200)} does not take ${sent}`, hint);
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}...` : text);
