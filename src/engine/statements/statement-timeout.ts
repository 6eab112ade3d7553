/**
 * The statement timeout: a statement that answers at once (a pull query, the SELECT of an
 * INSERT ... SELECT, CREATE TABLE AS, DELETE, UPDATE) stops with STATEMENT_TIMEOUT once it has run
 * `PlanLimits.statementTimeoutMs`. A cross join of two large ranges would otherwise pair rows for
 * days; the caller going away stops it too (its own signal), this stops it when no one does.
 */
import { setDeadline } from '../../common/deadline.js';
import { SluiceError } from '../../common/errors.js';
import type { Span } from '../../common/span.js';
import { formatMillis } from '../../planner/limits.js';
import type { ExecuteOptions } from '../engine-options.js';

/** Signals already carrying a statement's timeout: a statement run inside another keeps the outer one's. */
const timed = new WeakSet<AbortSignal>();

/**
 * Runs `run` with `opts.signal` joined to a timer of `limitMs`: when it fires, the signal aborts
 * with STATEMENT_TIMEOUT (pointing at `span`), which the statement's operators see at their
 * next step and which throwIfCancelled throws.
 */
export async function withStatementTimeout<T>(limitMs: number, span: Span, opts: ExecuteOptions, run: (opts: ExecuteOptions) => Promise<T>): Promise<T> {
  if (opts.signal && timed.has(opts.signal)) return run(opts);
  const abort = new AbortController();
  timed.add(abort.signal);
  const outer = opts.signal;
  const follow = () => abort.abort(outer?.reason);
  if (outer?.aborted) follow();
  else outer?.addEventListener('abort', follow, { once: true });
  const error = () =>
    new SluiceError('STATEMENT_TIMEOUT', `the statement ran longer than the statement timeout of ${formatMillis(limitMs)} and was stopped`, {
      span,
      hint: 'narrow it (a WHERE on the key, a LIMIT, an aggregate instead of the rows), or keep its answer current as a materialized view and read that; the limit is set by sluice serve --statement-timeout',
    });
  // Loops that hold the thread (window functions) look at the deadline; the rest see the abort.
  setDeadline(abort.signal, performance.now() + limitMs, error);
  const timer = setTimeout(() => abort.abort(error()), limitMs);
  try {
    return await run({ ...opts, signal: abort.signal });
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', follow);
  }
}
