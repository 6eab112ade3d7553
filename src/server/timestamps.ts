/**
 * How TIMESTAMP values are written in answers: ISO-8601 text in UTC with milliseconds
 * (`2026-12-02T14:00:00.123Z`, the default), or epoch milliseconds when a request asks for
 * `"timestamps": "epoch_ms"` in its JSON body or `?timestamps=epoch_ms`. Values nested in
 * ARRAY and STRUCT columns are written the same way.
 */
import { isoWriters, same, type ValueWriter } from '../common/timestamp-writers.js';
import { choiceOption } from './request-body.js';

export type TimestampFormat = 'iso' | 'epoch_ms';

const FORMATS: readonly TimestampFormat[] = ['iso', 'epoch_ms'];

/** The format a request asks for: the body's `timestamps` field, else the `timestamps` query parameter, else ISO. */
export function timestampFormatOf(body: unknown, query: unknown): TimestampFormat {
  return choiceOption(body, query, 'timestamps', FORMATS, "'iso' writes 2026-12-02T14:00:00.123Z (the default), 'epoch_ms' milliseconds since 1970-01-01 UTC") ?? 'iso';
}

/** One writer per column: ISO text for TIMESTAMP values (unchanged for epoch_ms), `2026-12-02` for DATE values. */
export function columnWriters(columns: readonly { readonly type: string }[], format: TimestampFormat): ValueWriter[] {
  return isoWriters(columns, format);
}

export type { ValueWriter };

/** A writer for the columns of a record (a view row), by column name. */
export function recordWriter(columns: readonly { readonly name: string; readonly type: string }[], format: TimestampFormat): (row: Record<string, unknown>) => Record<string, unknown> {
  const writers = columnWriters(columns, format);
  const byName = new Map(columns.map((c, i) => [c.name, writers[i]!]));
  if (writers.every((w) => w === same)) return (row) => row;
  return (row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, (byName.get(k) ?? same)(v)]));
}
