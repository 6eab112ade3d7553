/**
 * Reading `sluice serve`'s security-relevant flags: where the token comes from, and the
 * resource limits. Kept apart from main.ts so they are tested without starting a process.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import type { PlanLimits } from '../planner/limits.js';
import type { ServerLimits } from '../server/limits.js';
import type { ConsoleMode } from '../server/routes-console.js';
import { parseDuration } from '../common/duration.js';

export { positiveInt } from './safety-options.js';

export interface TokenSources {
  readonly token?: string;
  readonly tokenFile?: string;
}

/**
 * The bearer token from `--token`, `--token-file` or `$SLUICE_TOKEN`, in that order; undefined
 * when none is given. A source that is given but empty is an error, never "no authentication".
 * Messages name the source, never the token.
 */
export function resolveToken(o: TokenSources, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (o.token !== undefined && o.tokenFile !== undefined) throw new Error('give --token or --token-file, not both');
  let token: string | undefined;
  let source: string;
  if (o.token !== undefined) {
    token = o.token;
    source = '--token';
  } else if (o.tokenFile !== undefined) {
    try {
      // A trailing line break is how editors and `echo` end files; it is not part of the token.
      token = readFileSync(o.tokenFile, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new Error(`--token-file ${o.tokenFile} cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    source = `--token-file ${o.tokenFile}`;
  } else {
    token = env['SLUICE_TOKEN'];
    source = 'SLUICE_TOKEN';
  }
  if (token === undefined) return undefined;
  if (token.trim() === '') throw new Error(`${source} gives an empty token; give a non-empty token, or none to run without authentication`);
  if (/[\s\u0000-\u001f\u007f]/.test(token)) throw new Error(`${source} gives a token with blanks or control characters; use printable characters only`);
  return token;
}

/** Commander parser for a duration flag such as `30s`, `10m` or `365d` (milliseconds). */
export function duration(value: string): number {
  try {
    const ms = parseDuration('duration', value);
    if (ms <= 0) throw new Error('zero');
    return ms;
  } catch {
    throw new InvalidArgumentError("expected a positive duration such as '30s', '10m' or '365d'");
  }
}

export interface LimitFlags {
  readonly maxWindowsPerRow?: number;
  readonly maxInterval?: number;
  readonly maxSessionGap?: number;
  readonly maxPartitions?: number;
  readonly maxResultRows?: number;
  readonly statementTimeout?: number;
  readonly maxStatements?: number;
  readonly maxSqlBytes?: number;
  readonly maxPushQueries?: number;
  readonly maxPushQueriesPerClient?: number;
  readonly pushStallTimeout?: number;
  readonly maxIngestBytes?: number;
  readonly maxIngestRows?: number;
  readonly ingestMaxLag?: number;
}

/** The limits given on the command line, split by who enforces them; missing ones keep their defaults. */
export function limitsOf(o: LimitFlags): { plan: Partial<PlanLimits>; server: Partial<ServerLimits> } {
  const pick = <T extends object>(entries: [keyof T, number | undefined][]): Partial<T> =>
    Object.fromEntries(entries.filter(([, v]) => v !== undefined)) as Partial<T>;
  return {
    plan: pick<PlanLimits>([
      ['maxWindowsPerRow', o.maxWindowsPerRow],
      ['maxIntervalMs', o.maxInterval],
      ['maxSessionGapMs', o.maxSessionGap],
      ['maxPartitions', o.maxPartitions],
      ['maxResultRows', o.maxResultRows],
      ['statementTimeoutMs', o.statementTimeout],
    ]),
    server: pick<ServerLimits>([
      ['maxStatements', o.maxStatements],
      ['maxSqlBytes', o.maxSqlBytes],
      ['maxPushQueries', o.maxPushQueries],
      ['maxPushQueriesPerClient', o.maxPushQueriesPerClient],
      ['pushStallTimeoutMs', o.pushStallTimeout],
      ['maxIngestBytes', o.maxIngestBytes],
      ['maxIngestRows', o.maxIngestRows],
      ['ingestMaxLag', o.ingestMaxLag],
    ]),
  };
}

/** The value of --console: 'read-write' or 'read-only'. */
export function consoleMode(value: string): ConsoleMode {
  if (value === 'read-write' || value === 'read-only') return value;
  throw new InvalidArgumentError("the console mode is 'read-write' or 'read-only'");
}
