/**
 * Errors that fastify and Node's HTTP parser raise before a route runs (bad URL, parameter too
 * long, headers too large, wrong method) answered in the API's one JSON error shape.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../common/errors.js';
import { apiError, toErrorReply } from './error-body.js';

/** Node's default limit on the request line plus headers (--max-http-header-size). */
export const MAX_REQUEST_LINE = 16 * 1024;

/** For fastify's `frameworkErrors`: URL errors found while routing. */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const e =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? apiError('URI_TOO_LONG', 'a path parameter is longer than the server accepts', 'send long or binary view keys to POST /v1/views/:name/lookup as {"key": ...}')
      : apiError('BAD_REQUEST', 'the URL is not valid: a percent-escape does not decode', 'escape path segments with encodeURIComponent');
  const { status, body } = toErrorReply(e);
  void reply.code(status).type('application/json; charset=utf-8').send(body);
}

function requestLineLength(packet: Buffer): number {
  const end = packet.indexOf('\r\n');
  return end < 0 ? packet.length : end;
}

/** For fastify's `clientErrorHandler`: requests Node's HTTP parser refused before fastify saw them. */
export function clientErrorHandler(err: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return;
  let code: ErrorCode;
  let message: string;
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    // Node counts the request line toward the header limit: blame the line when it is the larger part.
    const lineTooLong = Buffer.isBuffer(err.rawPacket) && requestLineLength(err.rawPacket) * 2 >= err.rawPacket.length;
    code = lineTooLong ? 'URI_TOO_LONG' : 'HEADERS_TOO_LARGE';
    message = lineTooLong ? `the request line is longer than ${MAX_REQUEST_LINE} bytes` : `the request headers are larger than ${MAX_REQUEST_LINE} bytes`;
  } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    code = 'CLIENT_TOO_SLOW';
    message = 'the request was not received in time';
  } else {
    code = 'BAD_REQUEST';
    message = 'the request is not valid HTTP';
  }
  const hint = code === 'URI_TOO_LONG' ? 'send long view keys to POST /v1/views/:name/lookup as {"key": ...}' : undefined;
  const { status, body } = toErrorReply(apiError(code, message, hint));
  const text = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * Collects the methods of every route as it is added; `answerWrongMethods` then gives each
 * known path a 405 METHOD_NOT_ALLOWED, with an `Allow` header, for the methods it lacks.
 * Call `collectRouteMethods` before adding routes and `answerWrongMethods` after.
 */
export function collectRouteMethods(app: FastifyInstance): Map<string, Set<string>> {
  const routes = new Map<string, Set<string>>();
  app.addHook('onRoute', (opts) => {
    const methods = routes.get(opts.url) ?? new Set<string>();
    for (const m of [opts.method].flat()) methods.add(m.toUpperCase());
    routes.set(opts.url, methods);
  });
  return routes;
}

export function answerWrongMethods(app: FastifyInstance, routes: Map<string, Set<string>>): void {
  for (const [url, methods] of [...routes]) {
    const missing = METHODS.filter((m) => !methods.has(m));
    if (missing.length === 0) continue;
    const allow = METHODS.filter((m) => methods.has(m)).join(', ');
    app.route({
      method: [...missing],
      url,
      handler: async (req, reply) => {
        void reply.header('allow', allow);
        throw apiError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${url}`, `this route takes ${allow}`);
      },
    });
  }
}
