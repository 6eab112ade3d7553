/**
 * The worker side of parse-off-thread.ts: parses the SQL it is sent and answers the statements,
 * or the error (its parts: an Error's class does not cross threads).
 */
import { parentPort } from 'node:worker_threads';
import { SluiceError } from '../common/errors.js';
import type { ParsedStatement } from './ast.js';
import { parseStatements } from './parse.js';

export interface ParseRequest {
  readonly id: number;
  readonly sql: string;
}

/** A SluiceError as plain data, and the errors found beside it. */
export interface ErrorParts {
  readonly code: SluiceError['code'];
  readonly message: string;
  readonly span?: SluiceError['span'];
  readonly hint?: string;
  readonly related: readonly ErrorParts[];
}

/** `inPlace`: the statements could not be sent (a tree too deep to serialize); the caller parses them itself. */
export type ParseReply =
  | { readonly ready: true }
  | { readonly id: number; readonly parsed: readonly ParsedStatement[] }
  | { readonly id: number; readonly error: ErrorParts }
  | { readonly id: number; readonly inPlace: true };

function partsOf(e: SluiceError): ErrorParts {
  return { code: e.code, message: e.message, ...(e.span ? { span: e.span } : {}), ...(e.hint !== undefined ? { hint: e.hint } : {}), related: e.related.map(partsOf) };
}

parentPort?.on('message', (req: ParseRequest) => {
  let reply: ParseReply;
  try {
    reply = { id: req.id, parsed: parseStatements(req.sql) };
  } catch (e) {
    const err = e instanceof SluiceError ? e : new SluiceError('INTERNAL', `parsing failed: ${e instanceof Error ? e.message : String(e)}`);
    reply = { id: req.id, error: partsOf(err) };
  }
  try {
    parentPort!.postMessage(reply);
  } catch {
    parentPort!.postMessage({ id: req.id, inPlace: true } satisfies ParseReply);
  }
});

parentPort?.postMessage({ ready: true } satisfies ParseReply);
