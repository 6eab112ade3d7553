/** Small pieces of statement handling shared by several handlers. */
import { SluiceError } from '../../common/errors.js';
import type { Span } from '../../common/span.js';
import type { Field } from '../../common/types.js';
import type { ColumnDef, OptionEntry } from '../../parser/index.js';
import type { Options } from '../../planner/catalog.js';
import type { QueryPlan } from '../../planner/plan-query.js';
import { parseDuration } from '../../common/duration.js';
import type { StatementResult } from '../types.js';

export function fieldsOf(cols: readonly ColumnDef[]): Field[] {
  return cols.map((c) => ({ name: c.name.name, type: c.type, nullable: !c.notNull && !c.primaryKey }));
}

export function optionsOf(entries: readonly OptionEntry[]): Options {
  return Object.fromEntries(entries.map((o) => [o.key.toLowerCase(), o.value]));
}

/** The `'retention'` option of a log-backed relation: how long its records are kept (e.g. '7d'). */
export function retentionOption(options: Readonly<Record<string, string | number | boolean>>): { retentionMs?: number } {
  const v = options['retention'];
  return v === undefined ? {} : { retentionMs: parseDuration('retention', v) };
}

/** Runs a check, pointing an error it throws without a position at `span`. */
export function withSpan(span: Span, check: () => void): void {
  try {
    check();
  } catch (e) {
    if (e instanceof SluiceError && !e.span) throw new SluiceError(e.code, e.message, { span, ...(e.hint ? { hint: e.hint } : {}) });
    throw e;
  }
}

/** Output index of the source's event-time column, when the query passes it through. */
export function eventTimeColumn(q: QueryPlan): number | undefined {
  if (!q.watermark) return undefined;
  const i = q.fields.findIndex((f) => f.name === q.watermark!.column);
  return i < 0 ? undefined : i;
}

/** The result of a statement that answers with a message. */
export function ok(statement: string, message: string): StatementResult {
  return { kind: 'ok', statement, message };
}
