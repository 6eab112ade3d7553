/** CREATE STREAM: a stream over the embedded log, Kafka, or a generator. */
import { SluiceError } from '../../common/errors.js';
import type { Span } from '../../common/span.js';
import { normalizeName, type Expr } from '../../parser/index.js';
import { Catalog, type Options, type StreamDef, type WatermarkSpec } from '../../planner/catalog.js';
import { columnDefaults, withChecks } from '../insert-bind.js';
import { checkInterval, fixedMillis, formatMillis, limitError, type PlanLimits } from '../../planner/limits.js';
import { parseDuration } from '../../common/duration.js';
import { checkConnectorOptions, connectorFor, connectorName } from '../../connectors/registry.js';
import { fieldsOf, ok, optionsOf, retentionOption, withSpan } from './definitions.js';
import type { StatementHandler, StatementOf } from './handler.js';

type CreateStream = StatementOf<'CreateStream'>;

export const createStream: StatementHandler<'CreateStream'> = async (session, s, text) => {
  if (s.ifNotExists && session.catalog.hasRelation(s.name.name)) return ok(text, `stream ${s.name.name} already exists`);
  const def = streamDefOf(s, text, session.catalog.limits, !session.record.replaying);
  const { options } = def;
  await connectorFor('stream', connectorName('stream', options)).provision?.('stream', s.name.name, options, session.storage.log);
  session.catalog.addRelation(def, s.name.span);
  await session.record.remember('stream', s.name.name, text);
  return ok(text, `stream ${s.name.name} created`);
};

/**
 * The catalog entry of a CREATE STREAM, checked (columns, watermark and its limits, key,
 * connector, partitions, Kafka options, WITH options when `checkOptions`) without touching storage, so a request can be
 * planned before any of it runs.
 */
export function streamDefOf(s: CreateStream, text: string, limits: PlanLimits, checkOptions: boolean): StreamDef {
  const schema = fieldsOf(s.columns);
  const options = optionsOf(s.options);
  const connector = checkConnectorOptions('stream', s.options, { what: `stream ${s.name.name}`, hasWatermark: s.watermark !== undefined, span: s.span, checkEach: checkOptions, ...(checkOptions ? { columns: s.columns.map((c, i) => ({ field: schema[i]!, span: c.span })) } : {}) });
  let watermark: WatermarkSpec | undefined;
  if (s.watermark) {
    const col = s.watermark.column.name;
    const f = schema.find((x) => normalizeName(x.name) === normalizeName(col));
    if (!f) throw new SluiceError('UNKNOWN_COLUMN', `WATERMARK FOR names unknown column '${col}'`, { span: s.watermark.column.span });
    if (f.type.kind !== 'TIMESTAMP') throw new SluiceError('TYPE_MISMATCH', `WATERMARK column '${col}' must be a TIMESTAMP`, { span: s.watermark.column.span });
    const lateness = options['allowed.lateness'];
    watermark = {
      column: f.name,
      delayMs: watermarkDelay(s.watermark.expr, col, limits),
      ...(lateness !== undefined ? { latenessMs: latenessOption(lateness, s.options.find((o) => o.key.toLowerCase() === 'allowed.lateness')?.span ?? s.span, limits) } : {}),
    };
  }
  const key = options['key'] === undefined ? undefined : String(options['key']);
  if (key !== undefined && !schema.some((f) => normalizeName(f.name) === normalizeName(key))) {
    throw new SluiceError('UNKNOWN_COLUMN', `key '${key}' is not a column of ${s.name.name}`, { span: s.span });
  }
  if (connector.name === 'log') {
    checkPartitions(s, options, limits);
    withSpan(s.span, () => retentionOption(options));
  }
  const builtins = new Catalog();
  return withChecks(columnDefaults<StreamDef>({ kind: 'stream', name: s.name.name, schema, ...(watermark ? { watermark } : {}), ...(key ? { key } : {}), options, sql: text }, s.columns, builtins), s.checks, builtins, s.span.start.offset);
}

/** `WITH (partitions = n)` of a stream on the embedded log: a positive integer within the limit. */
function checkPartitions(s: CreateStream, options: Options, limits: PlanLimits): void {
  const partitions = Number(options['partitions'] ?? 4);
  if (!Number.isInteger(partitions) || partitions < 1) throw new SluiceError('INVALID_ARGUMENT', `'partitions' must be a positive integer`, { span: s.span });
  if (partitions > limits.maxPartitions) {
    const at = s.options.find((o) => o.key.toLowerCase() === 'partitions')?.span ?? s.span;
    throw limitError('maxPartitions', `'partitions' = ${partitions} is more than the limit of ${limits.maxPartitions}`, at, 'use fewer partitions');
  }
}

/** `ts - INTERVAL '5' SECOND` -> 5000; `ts` -> 0. */
function watermarkDelay(e: Expr, col: string, limits: PlanLimits): number {
  if (e.kind === 'ColumnRef' && normalizeName(e.column.name) === normalizeName(col)) return 0;
  if (e.kind === 'Binary' && e.op === '-' && e.left.kind === 'ColumnRef' && normalizeName(e.left.column.name) === normalizeName(col) && e.right.kind === 'Interval') {
    const ms = fixedMillis(e.right, 'the WATERMARK delay');
    return ms === 0 ? 0 : checkInterval(ms, 'the WATERMARK delay', e.right.span, limits);
  }
  throw new SluiceError('UNSUPPORTED', `WATERMARK must be '${col}' or '${col} - INTERVAL ...'`, { span: e.span, hint: `e.g. WATERMARK FOR ${col} AS ${col} - INTERVAL '5' SECOND` });
}

/** `'allowed.lateness'`: a duration from zero up to the interval limit. */
function latenessOption(value: string | number | boolean, span: Span, limits: PlanLimits): number {
  let ms = 0;
  withSpan(span, () => (ms = parseDuration('allowed.lateness', value)));
  if (ms > limits.maxIntervalMs) {
    throw limitError('maxIntervalMs', `'allowed.lateness' of ${formatMillis(ms)} is longer than the limit of ${formatMillis(limits.maxIntervalMs)}`, span, 'use a shorter lateness');
  }
  return ms;
}
