/**
 * Resource limits the planner enforces on SQL from the network: they keep one statement from
 * costing unbounded memory or time (a HOP window with a tiny slide copies each row once per
 * window; an interval of centuries keeps state forever). Each limit has a default, an engine
 * option (`EngineOptions.limits`) and a `sluice serve` flag; docs/security.md lists them.
 */
import { SluiceError } from '../common/errors.js';
import type { Span } from '../common/span.js';
import type { IntervalExpr } from '../parser/ast.js';

export interface PlanLimits {
  /** Most windows one row may fall into: a HOP window's size divided by its slide. */
  readonly maxWindowsPerRow: number;
  /** Longest interval accepted anywhere (WATERMARK delay, allowed lateness, window size and slide, join bounds). */
  readonly maxIntervalMs: number;
  /** Longest SESSION gap: a session stays open, holding its state, for at least this long. */
  readonly maxSessionGapMs: number;
  /** Most partitions of a stream on the embedded log (each has its own offsets and state). */
  readonly maxPartitions: number;
  /** Most rows an answer given at once holds (a pull query, a push query with ORDER BY): it is built in memory. */
  readonly maxResultRows: number;
  /** Longest a statement that answers at once (a pull query, INSERT ... SELECT, CREATE TABLE AS) may run, in ms. */
  readonly statementTimeoutMs: number;
}

const DAY_MS = 86_400_000;

export const DEFAULT_PLAN_LIMITS: PlanLimits = {
  maxWindowsPerRow: 100,
  maxIntervalMs: 365 * DAY_MS,
  maxSessionGapMs: DAY_MS,
  maxPartitions: 1024,
  maxResultRows: 1_000_000,
  statementTimeoutMs: 5 * 60_000,
};

/** The flag of `sluice serve` that sets each limit, named in error hints. */
const FLAGS: Readonly<Record<keyof PlanLimits, string>> = {
  maxWindowsPerRow: '--max-windows-per-row',
  maxIntervalMs: '--max-interval',
  maxSessionGapMs: '--max-session-gap',
  maxPartitions: '--max-partitions',
  maxResultRows: '--max-result-rows',
  statementTimeoutMs: '--statement-timeout',
};

/** `90061000` -> `'1d 1h 1m 1s'`: intervals in messages read in their own units. */
export function formatMillis(ms: number): string {
  if (ms === 0) return '0ms';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  const parts: string[] = [];
  for (const [unit, size] of [['d', DAY_MS], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return sign + parts.join(' ');
}

/** A LIMIT_EXCEEDED error naming the limit, its value and the flag that raises it. */
export function limitError(limit: keyof PlanLimits, message: string, span: Span | undefined, advice?: string): SluiceError {
  return new SluiceError('LIMIT_EXCEEDED', message, {
    ...(span ? { span } : {}),
    hint: `${advice === undefined ? '' : `${advice}; `}the limit is set by sluice serve ${FLAGS[limit]}`,
  });
}

/**
 * Checks an interval that must be positive and at most `maxIntervalMs` (or `max` when given,
 * for limits that are tighter for one use, like the SESSION gap); `what` names its use.
 */
/** An INTERVAL literal as written: `INTERVAL '1' MONTH`, `INTERVAL '1 month 2 days'`. */
export function intervalSql(e: IntervalExpr): string {
  return /[a-z]/i.test(e.text) ? `INTERVAL '${e.text}'` : `INTERVAL '${e.text}' ${e.unit}`;
}

/**
 * The length of an INTERVAL literal where a fixed length is needed (a window size, a frame offset,
 * a watermark delay): one of months or years has none, and is refused.
 */
export function fixedMillis(e: IntervalExpr, what: string): number {
  if (e.months === 0) return e.millis;
  throw new SluiceError('UNSUPPORTED', `${what} must have a fixed length: ${intervalSql(e)} counts calendar months, whose length depends on the date`, {
    span: e.span,
    hint: "give it in days or less (e.g. INTERVAL '30' DAY); months are supported added to or subtracted from a DATE or TIMESTAMP",
  });
}

export function checkInterval(ms: number, what: string, span: Span | undefined, limits: PlanLimits, max: keyof PlanLimits = 'maxIntervalMs'): number {
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new SluiceError('INVALID_ARGUMENT', `${what} must be a positive interval, got ${Number.isFinite(ms) ? formatMillis(ms) : String(ms)}`, {
      ...(span ? { span } : {}),
      hint: "e.g. INTERVAL '5' SECOND",
    });
  }
  const bound = limits[max];
  if (ms > bound) throw limitError(max, `${what} of ${formatMillis(ms)} is longer than the limit of ${formatMillis(bound)}`, span, 'use a shorter interval');
  return ms;
}

/** Checks an interval that may be zero or negative (an interval join bound) by its magnitude. */
export function checkIntervalMagnitude(ms: number, what: string, span: Span | undefined, limits: PlanLimits): number {
  if (!Number.isFinite(ms) || Math.abs(ms) > limits.maxIntervalMs) {
    throw limitError('maxIntervalMs', `${what} of ${Number.isFinite(ms) ? formatMillis(ms) : String(ms)} is beyond the limit of ${formatMillis(limits.maxIntervalMs)}`, span, 'use a narrower time bound');
  }
  return ms;
}

/** Checks that a HOP window's size over its slide stays within `maxWindowsPerRow`. */
export function checkWindowsPerRow(sizeMs: number, slideMs: number, span: Span | undefined, limits: PlanLimits): void {
  const windows = sizeMs / slideMs;
  if (windows > limits.maxWindowsPerRow) {
    throw limitError(
      'maxWindowsPerRow',
      `HOP with size ${formatMillis(sizeMs)} and slide ${formatMillis(slideMs)} puts each row into ${windows} windows; the limit is ${limits.maxWindowsPerRow}`,
      span,
      `use a slide of at least ${formatMillis(Math.ceil(sizeMs / limits.maxWindowsPerRow))}, or a shorter size`,
    );
  }
}
