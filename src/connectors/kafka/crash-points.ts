/**
 * Named points where the Kafka sink can kill its own process, for crash tests of the
 * exactly-once protocol. Inert unless SLUICE_CRASH_AT names the point.
 *
 * SLUICE_CRASH_AT=<point>[,<point>...] and SLUICE_CRASH_AFTER=<n> (default 1): the process
 * SIGKILLs itself the n-th time it passes one of the named points. Points (a scale-out task
 * passes `mid-send` after each chunk it sends and `before-commit`):
 * - `mid-stage`: the outbox is staged but the epoch's write batch is not written yet.
 * - `mid-send`: half of the epoch's records are sent inside the open transaction.
 * - `before-commit`: everything is sent (records, offsets, decision) but not committed.
 * - `after-commit-before-outbox-delete`: the transaction committed; the outbox is still there.
 */
export type CrashPoint = 'mid-stage' | 'mid-send' | 'before-commit' | 'after-commit-before-outbox-delete';

const armed = new Set((process.env['SLUICE_CRASH_AT'] ?? '').split(',').filter((s) => s.length > 0));
let remaining = Number(process.env['SLUICE_CRASH_AFTER'] ?? 1);

export function crashPoint(point: CrashPoint): void {
  if (armed.size === 0 || !armed.has(point)) return;
  if (--remaining > 0) return;
  process.kill(process.pid, 'SIGKILL');
}
