/**
 * Maps anything thrown while answering a request to the one JSON error shape of the API:
 * `{error: {code, kind, message, position?, hint?}}` with the HTTP status of the code.
 */
import { ERROR_CODES, SluiceError, type ErrorCode } from '../common/errors.js';
import type { JsonValue } from './json-value.js';

export interface ErrorReply {
  readonly status: number;
  readonly body: { readonly error: { [key: string]: JsonValue } };
}

/** Fastify's own error codes for malformed requests, mapped to catalogue codes. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_REQUEST',
  FST_ERR_VALIDATION: 'BAD_REQUEST',
  FST_ERR_BAD_URL: 'BAD_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
};

/** Any other client error fastify raises, by its HTTP status. */
const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  405: 'METHOD_NOT_ALLOWED',
  408: 'CLIENT_TOO_SLOW',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
};

export function apiError(code: ErrorCode, message: string, hint?: string): SluiceError {
  return new SluiceError(code, message, hint === undefined ? {} : { hint });
}

export function toErrorReply(err: unknown): ErrorReply {
  const e = toSluiceError(err);
  const body = e.toJSON() as { [key: string]: JsonValue };
  if (e.span) body.end = { line: e.span.end.line, column: e.span.end.column, offset: e.span.end.offset };
  return { status: ERROR_CODES[e.code].http, body: { error: body } };
}

function toSluiceError(err: unknown): SluiceError {
  if (err instanceof SluiceError) return err;
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    const status = (err as Error & { statusCode?: unknown }).statusCode;
    const mapped = typeof code === 'string' ? FASTIFY_CODES[code] : undefined;
    if (mapped) return new SluiceError(mapped, err.message);
    if (err instanceof SyntaxError || (typeof status === 'number' && status >= 400 && status < 500)) {
      return new SluiceError((typeof status === 'number' ? STATUS_CODES[status] : undefined) ?? 'BAD_REQUEST', err.message);
    }
    return new SluiceError('INTERNAL', err.message, { cause: err });
  }
  return new SluiceError('INTERNAL', String(err));
}
