/**
 * The HTTP API: a fastify instance over an engine. Routes live in routes-*.ts; this file wires
 * authentication, body limits and the one JSON error shape.
 */
import { timingSafeEqual } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { stringifyExactJson } from '../common/exact-json.js';
import type { EngineLike } from './engine-like.js';
import { apiError, toErrorReply } from './error-body.js';
import { openApiDocument } from './openapi.js';
import { registerModelRoutes } from './routes-models.js';
import { registerReadRoutes } from './routes-read.js';
import { registerSqlRoutes } from './routes-sql.js';

/** Options of `buildServer`. */
export interface ServerOptions {
  /** When set, every route but /healthz needs `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Largest JSON or text body in bytes (default 1 MiB); larger answers 413 PAYLOAD_TOO_LARGE. */
  readonly bodyLimit?: number;
  /** Largest model upload in bytes (default 512 MiB). */
  readonly modelBodyLimit?: number;
  /** Where uploaded models are written; the CLI passes `<data>/models`. */
  readonly modelsDir?: string;
  readonly logger?: boolean;
}

export { DEFAULT_HOST, DEFAULT_PORT } from './defaults.js';

const OPEN_PATHS = new Set(['/healthz']);

export function buildServer(engine: EngineLike, opts: ServerOptions = {}): FastifyInstance {
  // Push streams never end on their own, so closing the server must close their connections.
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: opts.bodyLimit ?? 1024 * 1024, forceCloseConnections: true });

  // BIGINT values reach replies as bigints; they are written as exact JSON numbers.
  app.setReplySerializer((payload) => stringifyExactJson(payload));
  app.setErrorHandler((err, _req, reply) => {
    const { status, body } = toErrorReply(err);
    if (status >= 500) app.log.error(err);
    void reply.code(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    const { status, body } = toErrorReply(apiError('NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0] ?? ''}`, 'GET /v1/openapi.json lists the API'));
    void reply.code(status).send(body);
  });

  if (opts.token !== undefined && opts.token !== '') {
    const expected = Buffer.from(`Bearer ${opts.token}`);
    app.addHook('onRequest', async (req) => {
      if (OPEN_PATHS.has(req.url.split('?')[0] ?? '')) return;
      const got = Buffer.from(req.headers.authorization ?? '');
      if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
        throw apiError('UNAUTHORIZED', 'a valid bearer token is required', 'send Authorization: Bearer <token>');
      }
    });
  }

  registerSqlRoutes(app, engine);
  registerReadRoutes(app, engine);
  registerModelRoutes(app, engine, {
    modelsDir: opts.modelsDir ?? join(tmpdir(), 'sluice-models'),
    modelBodyLimit: opts.modelBodyLimit ?? 512 * 1024 * 1024,
  });

  app.get('/metrics', async (_req, reply) => {
    const text = await engine.metrics.metrics();
    return reply.type(engine.metrics.contentType).send(text);
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/v1/openapi.json', async () => openApiDocument);

  return app;
}
