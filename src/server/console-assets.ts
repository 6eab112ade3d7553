/**
 * The console's static files (the bundle `npm run build:console` writes to dist/console): the
 * page at `/`, the rest under `/console/`. Only files found in that folder when the server starts
 * are served, by exact name, so no request path can reach anything else on disk.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { apiError } from './error-body.js';

/**
 * Scripts, styles, images and connections only from this origin; nothing inline, no eval, no
 * frames. The console needs nothing more, so a script injected through data it shows cannot run.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** Where the bundle is: beside the sources (dist/console from the repository root) or beside a build. */
export function defaultAssetsDir(): string {
  const candidates = ['../../dist/console/', '../console/', '../../console/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0]!;
}

/** File names under /console/: no '..', no escapes, so such a path can only name a console file. */
const ASSET_PATH = /^\/console\/(?:[A-Za-z0-9_-][A-Za-z0-9_.-]*\/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** True for the paths served without a token: the console's own code, which holds no data. */
export function isConsoleAssetPath(path: string): boolean {
  return path === '/' || path === '/index.html' || (ASSET_PATH.test(path) && !path.includes('..'));
}

function listFiles(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

function send(reply: FastifyReply, file: string): FastifyReply {
  return reply
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-cache')
    .type(TYPES[extname(file)] ?? 'application/octet-stream')
    .send(readFileSync(file));
}

export function registerConsoleAssets(app: FastifyInstance, dir: string): void {
  const files = new Set(listFiles(dir).filter((f) => TYPES[extname(f)] !== undefined));
  const missing = (): never => {
    throw apiError('NOT_FOUND', `the console is not built: ${join(dir, 'index.html')} is missing`, 'run npm run build:console, then restart the server');
  };
  const page = async (_req: unknown, reply: FastifyReply): Promise<FastifyReply> => (files.has('index.html') ? send(reply, join(dir, 'index.html')) : missing());
  app.get('/', page);
  app.get('/index.html', page);
  app.get<{ Params: { '*': string } }>('/console/*', async (req, reply) => {
    const name = req.params['*'];
    if (!files.has(name)) {
      if (files.size === 0) missing();
      throw apiError('NOT_FOUND', `the console has no file '${name.slice(0, 200)}'`);
    }
    return send(reply, join(dir, name));
  });
}
