/** GET/POST /v1/models, GET /v1/models/:name, GET /v1/models/:name/quality and GET /v1/models/:name/versions. */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { EngineLike } from './engine-like.js';
import { apiError } from './error-body.js';
import { toJsonValue } from './json-values.js';
import { stringParam } from './request-body.js';

const MODEL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export interface ModelRouteOptions {
  /** Where uploaded ONNX files are written. */
  readonly modelsDir: string;
  /** Largest accepted model upload in bytes. */
  readonly modelBodyLimit: number;
}

export function registerModelRoutes(app: FastifyInstance, engine: EngineLike, opts: ModelRouteOptions): void {
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: opts.modelBodyLimit }, (_req, body, done) => {
    done(null, body);
  });

  app.get('/v1/models', async () => ({ models: toJsonValue(engine.models.list()) }));

  app.get<{ Params: { name: string } }>('/v1/models/:name', async (req) => ({ model: toJsonValue(engine.models.describe(req.params.name)) }));

  app.get<{ Params: { name: string } }>('/v1/models/:name/quality', async (req) => {
    if (!engine.modelQuality) throw apiError('UNSUPPORTED', 'this engine does not measure model quality');
    return { quality: toJsonValue(await engine.modelQuality(req.params.name)) };
  });

  app.get<{ Params: { name: string } }>('/v1/models/:name/versions', async (req) => ({
    model: req.params.name,
    versions: toJsonValue(engine.models.versions(req.params.name)),
  }));

  app.post<{ Querystring: Record<string, unknown> }>('/v1/models', { bodyLimit: opts.modelBodyLimit }, async (req, reply) => {
    const name = stringParam(req.query.name, 'name');
    if (name === undefined || !MODEL_NAME.test(name)) {
      throw apiError('BAD_REQUEST', 'a model upload needs ?name= with a model name (letters, digits, _)');
    }
    const by = stringParam(req.query.by, 'by') ?? 'http';
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) {
      throw apiError('BAD_REQUEST', 'the body must be the ONNX file, sent as application/octet-stream');
    }
    await mkdir(opts.modelsDir, { recursive: true });
    const path = join(opts.modelsDir, `${name}-${Date.now()}.onnx`);
    await writeFile(path, req.body);
    try {
      const registered = await engine.registerModelFile(name, path, by);
      reply.code(201);
      return { model: name, path, registered: toJsonValue(registered) };
    } catch (err) {
      await rm(path, { force: true });
      throw err;
    }
  });
}
