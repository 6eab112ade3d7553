/**
 * Request ids and the server's own failures. Every request gets an id (the client's
 * `x-request-id` when it sends a plain one, else a new random one), answered in the
 * `x-request-id` header; an error with a 5xx status also carries it in the body as `requestId`
 * and is always logged with it, whether or not request logging is on, so that a user's report
 * ("INTERNAL, request r-1f2e...") finds its stack trace.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { toErrorReply, type ErrorReply } from './error-body.js';

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
    const reply = toErrorReply(err);
    if (reply.status < 500) return reply;
    const path = req.url.split('?')[0] ?? '';
    const message = err instanceof Error ? err.stack ?? err.message : String(err);
    sink(`sluice: ${reply.status} ${String(reply.body.error['code'])} request ${req.id} ${req.method} ${path}: ${message}`);
    logger?.error({ reqId: req.id, err }, 'request failed');
    return { status: reply.status, body: { error: { ...reply.body.error, requestId: req.id } } };
  };
}
