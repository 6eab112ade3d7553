/**
 * Bearer-token authentication. The token is compared in constant time: both sides are hashed
 * with SHA-256 first, so neither the comparison's duration nor a length check tells an
 * attacker how much of a guess was right. The token itself is never logged or echoed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { isConsoleAssetPath } from './console-assets.js';
import { apiError } from './error-body.js';

/**
 * Routes that answer without a token: liveness must work for probes that hold no secret, and the
 * console's own files (its login page and code, the same for every install, holding no data) must
 * load before it can ask for the token.
 */
function isOpenPath(path: string): boolean {
  return path === '/healthz' || isConsoleAssetPath(path);
}

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Throws unless `token` is usable: an empty token would make authentication half on. */
export function checkToken(token: string): void {
  if (token.trim() === '') throw new Error('the bearer token is empty; give a non-empty token, or no token to run without authentication');
  // A client sends it as `Bearer <token>`, where blanks and control characters cannot appear.
  if (/[\s\u0000-\u001f\u007f]/.test(token)) throw new Error('the bearer token holds blanks or control characters; use printable characters only');
}

/** True when the Authorization header carries `Bearer <token>` (scheme in any case). */
export function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const m = BEARER.exec(header ?? '');
  return timingSafeEqual(digest(m?.[1] ?? ''), expected) && m !== null;
}

/** Makes every route but the open ones answer 401 UNAUTHORIZED without the token. */
export function requireToken(app: FastifyInstance, token: string): void {
  checkToken(token);
  const expected = digest(token);
  app.addHook('onRequest', async (req) => {
    if (isOpenPath(req.url.split('?')[0] ?? '')) return;
    if (!bearerMatches(req.headers.authorization, expected)) {
      throw apiError('UNAUTHORIZED', 'a valid bearer token is required', 'send Authorization: Bearer <token>');
    }
  });
}
