/**
 * GET/POST /v1/models, GET /v1/models/:name, GET /v1/models/:name/quality, GET /v1/models/:name/versions,
 * and the rollout: POST/DELETE /v1/models/:name/candidate, POST /v1/models/:name/promote and /rollback.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { EngineLike } from './engine-like.js';
import { apiError } from './error-body.js';
import { toJsonValue } from './json-values.js';
import { intParam, stringParam } from './request-body.js';
import type { ModelChange } from '../engine/statements/model-rollout.js';

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

  app.get('/v1/models', async () => ({ models: toJsonValue(engine.models.summaries()) }));

  app.get<{ Params: { name: string } }>('/v1/models/:name', async (req) => ({ model: toJsonValue(engine.models.describe(req.params.name)) }));

  app.get<{ Params: { name: string } }>('/v1/models/:name/quality', async (req) => {
    if (!engine.modelQuality) throw apiError('UNSUPPORTED', 'this engine does not measure model quality');
    return { quality: toJsonValue(await engine.modelQuality(req.params.name)) };
  });

  app.get<{ Params: { name: string } }>('/v1/models/:name/versions', async (req) => ({
    model: req.params.name,
    versions: toJsonValue(engine.models.versions(req.params.name)),
  }));

  const change = async (name: string, what: ModelChange, query: Record<string, unknown>): Promise<unknown> => {
    const by = stringParam(query['by'], 'by') ?? 'http';
    const reason = stringParam(query['reason'], 'reason');
    return { model: name, result: toJsonValue(await engine.changeModel(name, what, { by, ...(reason === undefined ? {} : { reason }) })) };
  };

  app.post<{ Params: { name: string }; Querystring: Record<string, unknown> }>('/v1/models/:name/candidate', async (req, reply) => {
    const body = req.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw apiError('BAD_REQUEST', 'the body must be a JSON object of candidate options', `e.g. {"path": "models/fraud-mlp.onnx", "mode": "canary", "share": 0.1}`);
    }
    const options: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(body)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw apiError('BAD_REQUEST', `candidate option '${k}' must be a string, number or boolean`);
      options[k] = v;
    }
    const out = await change(req.params.name, { kind: 'candidate', options }, req.query);
    reply.code(201);
    return out;
  });

  app.delete<{ Params: { name: string }; Querystring: Record<string, unknown> }>('/v1/models/:name/candidate', async (req) => change(req.params.name, { kind: 'drop candidate' }, req.query));

  app.post<{ Params: { name: string }; Querystring: Record<string, unknown> }>('/v1/models/:name/promote', async (req) => change(req.params.name, { kind: 'promote' }, req.query));

  app.post<{ Params: { name: string }; Querystring: Record<string, unknown> }>('/v1/models/:name/rollback', async (req) => {
    const fromBody = (req.body as { version?: unknown } | undefined)?.version;
    const version = intParam(req.query['version'] ?? (fromBody === undefined ? undefined : String(fromBody)), 'version', 1_000_000_000);
    if (version === undefined || version < 1) throw apiError('BAD_REQUEST', 'a rollback needs the version: ?version=N or {"version": N}');
    return change(req.params.name, { kind: 'rollback', version }, req.query);
  });

  app.post<{ Params: { name: string } }>('/v1/models/:name/predict', async (req) => {
    const body = req.body as { rows?: unknown; version?: unknown } | undefined;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw apiError('BAD_REQUEST', 'the body must be a JSON object {"rows": [...], "version"?: n}');
    const version = body.version === undefined ? undefined : intParam(String(body.version), 'version', 1_000_000_000);
    return toJsonValue(await engine.predictRows(req.params.name, body.rows, version));
  });

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
