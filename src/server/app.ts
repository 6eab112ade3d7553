/**
 * The HTTP API: a fastify instance over an engine. Routes live in routes-*.ts; this file wires
 * authentication, limits and the one JSON error shape, fastify's own errors included.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { RelationInspector } from '../engine/relation-info.js';
import type { PlannedStatement } from '../engine/types.js';
import { stringifyExactJson } from '../common/exact-json.js';
import { SLUICE_VERSION } from '../common/version.js';
import { requireToken } from './auth.js';
import { defaultAssetsDir, registerConsoleAssets } from './console-assets.js';
import { ConsoleSampler, type SamplerOptions } from './console-metrics.js';
import type { EngineLike } from './engine-like.js';
import { apiError, toErrorReply } from './error-body.js';
import { answerWrongMethods, clientErrorHandler, collectRouteMethods, frameworkErrors, MAX_REQUEST_LINE } from './http-errors.js';
import { DEFAULT_SERVER_LIMITS, PushSlots, type ServerLimits } from './limits.js';
import { openApiDocument } from './openapi.js';
import { fromConsole, guardReadOnlyConsole, refuseChangesFromConsole, registerConsoleRoutes, type ConsoleMode } from './routes-console.js';
import { registerIngestParsers, registerIngestRoutes } from './routes-ingest.js';
import { registerModelRoutes } from './routes-models.js';
import { registerReadRoutes } from './routes-read.js';
import { registerSqlRoutes } from './routes-sql.js';
import { errorReplier, requestId, stderrSink, type ErrorSink } from './server-errors.js';

/** Options of `buildServer`. */
export interface ServerOptions {
  /**
   * When set, every route but /healthz needs `Authorization: Bearer <token>`. An empty token is
   * refused (buildServer throws): authentication is either on or off, never half on.
   */
  readonly token?: string;
  /** Largest JSON or text body in bytes (default twice `maxSqlBytes`); larger answers 413 PAYLOAD_TOO_LARGE. */
  readonly bodyLimit?: number;
  /** Largest model upload in bytes (default 512 MiB). */
  readonly modelBodyLimit?: number;
  /** Where uploaded models are written; the CLI passes `<data>/models`. */
  readonly modelsDir?: string;
  /** Request limits; each missing one takes its default (src/server/limits.ts). */
  readonly limits?: Partial<ServerLimits>;
  /** Log every request (fastify's logger). Errors with a 5xx status are logged either way. */
  readonly logger?: boolean;
  /** Where 5xx errors are logged, with their request id; default: stderr. */
  readonly errorSink?: ErrorSink;
  /** The web console served at `/`; see docs/security.md for what read-only mode refuses. */
  readonly console?: {
    /** Default 'read-write'. */
    readonly mode?: ConsoleMode;
    /** Lists relations and peeks at their rows; without it GET /v1/relations answers 404. */
    readonly inspector?: RelationInspector;
    /** Where the built bundle is; default dist/console of the repository. */
    readonly assetsDir?: string;
    readonly sampler?: SamplerOptions;
  };
}

export { DEFAULT_HOST, DEFAULT_PORT } from './defaults.js';

export function buildServer(engine: EngineLike, opts: ServerOptions = {}): FastifyInstance {
  const limits: ServerLimits = { ...DEFAULT_SERVER_LIMITS, ...opts.limits };
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? Math.max(1024 * 1024, 2 * limits.maxSqlBytes),
    // Push streams never end on their own, so closing the server must close their connections.
    forceCloseConnections: true,
    // A view key may be as long as the request line allows; longer ones go in a lookup body.
    routerOptions: { maxParamLength: MAX_REQUEST_LINE },
    frameworkErrors,
    clientErrorHandler,
    genReqId: requestId,
  });
  const replyError = errorReplier(opts.errorSink ?? stderrSink, opts.logger === true ? app.log : undefined);
  app.addHook('onRequest', async (req, reply) => {
    void reply.header('x-request-id', req.id);
  });

  // BIGINT values reach replies as bigints; they are written as exact JSON numbers.
  app.setReplySerializer((payload) => stringifyExactJson(payload));
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = replyError(req, err);
    void reply.code(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const shown = path.length > 200 ? `${path.slice(0, 200)}...` : path;
    const { status, body } = toErrorReply(apiError('NOT_FOUND', `no route ${req.method} ${shown}`, 'GET /v1/openapi.json lists the API'));
    void reply.code(status).type('application/json; charset=utf-8').send(body);
  });

  if (opts.token !== undefined) requireToken(app, opts.token);
  const consoleMode = opts.console?.mode ?? 'read-write';
  if (consoleMode === 'read-only') guardReadOnlyConsole(app);
  const sampler = new ConsoleSampler(engine, opts.console?.sampler);
  app.addHook('onReady', async () => sampler.start());
  app.addHook('onClose', async () => sampler.stop());

  const routes = collectRouteMethods(app);
  const sqlCheck =
    consoleMode === 'read-only'
      ? (req: FastifyRequest, statements: readonly PlannedStatement[]): void => {
          if (fromConsole(req)) refuseChangesFromConsole(statements);
        }
      : undefined;
  registerSqlRoutes(app, engine, limits, new PushSlots(limits), replyError, sqlCheck);
  registerReadRoutes(app, engine);
  registerIngestParsers(app);
  registerIngestRoutes(app, engine, limits);
  registerModelRoutes(app, engine, {
    modelsDir: opts.modelsDir ?? join(tmpdir(), 'sluice-models'),
    modelBodyLimit: opts.modelBodyLimit ?? 512 * 1024 * 1024,
  });

  registerConsoleRoutes(app, engine, { mode: consoleMode, sampler, ...(opts.console?.inspector ? { inspector: opts.console.inspector } : {}) });
  registerConsoleAssets(app, opts.console?.assetsDir ?? defaultAssetsDir());

  app.get('/metrics', async (_req, reply) => {
    const text = await engine.metrics.metrics();
    return reply.type(engine.metrics.contentType).send(text);
  });
  app.get('/healthz', async () => ({ status: 'ok', version: SLUICE_VERSION }));
  app.get('/v1/openapi.json', async () => openApiDocument);
  answerWrongMethods(app, routes);

  return app;
}
