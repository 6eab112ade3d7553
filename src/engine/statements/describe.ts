/** DESCRIBE a stream, table, view, sink, model or function. */
import { describeQualityRows, sessionReader } from '../model-quality.js';
import { SluiceError } from '../../common/errors.js';
import { typeToString } from '../../common/types.js';
import { normalizeName, parseStatements } from '../../parser/index.js';
import { pinnedVersions } from '../../planner/dependencies.js';
import type { ModelDescription } from '../../udf/model-registry.js';
import { shapeToString } from '../../udf/onnx-model.js';
import { readerLabel, readersOf } from '../readers.js';
import type { Session } from '../session.js';
import type { StatementHandler, StatementOf } from './handler.js';
import { cols, type Rows } from './result-columns.js';
import { logicalViewFields } from './create-logical-view.js';

export const describe: StatementHandler<'Describe'> = async (session, s, text) => ({ statement: text, ...(await describeRows(session, s)) });

async function describeRows(session: Session, s: StatementOf<'Describe'>): Promise<Rows> {
  const name = s.name.name;
  if (s.objectKind === 'MODEL' || (s.objectKind === undefined && !session.catalog.findRelation(name) && session.models.has(name))) {
    if (!session.models.has(name)) session.catalog.model(name, s.name.span);
    const quality = await describeQualityRows(sessionReader(session), name);
    return { kind: 'rows', columns: cols('property', 'value'), rows: [...describeModelRows(session.models.describe(name)), ['used_by', modelUsedBy(session, name)], ...quality] };
  }
  if (s.objectKind === 'FUNCTION') {
    const f = session.catalog.findFunction(name);
    if (!f) throw new SluiceError('UNKNOWN_FUNCTION', `unknown function '${name}'`, { span: s.name.span });
    return { kind: 'rows', columns: cols('name', 'type'), rows: [...f.params.map((p) => [p.name, typeToString(p.type)]), ['RETURNS', typeToString(f.returns)]] };
  }
  const logical = session.catalog.findRelation(name) ? undefined : session.catalog.findLogicalView(name);
  if (logical) {
    // A view that is not materialized: the columns its query gives now.
    const fields = logicalViewFields(logical, session.catalog);
    return { kind: 'rows', columns: cols('column', 'type', 'nullable:BOOLEAN', 'key:BOOLEAN'), rows: fields.map((f) => [f.name, typeToString(f.type), f.nullable, false]) };
  }
  const def = session.catalog.relation(name, s.name.span);
  const keyCols = new Set(def.kind === 'table' ? def.primaryKey.map((k) => k.toLowerCase()) : def.kind === 'view' ? def.key.map((k) => k.toLowerCase()) : def.kind === 'stream' && def.key ? [def.key.toLowerCase()] : []);
  return {
    kind: 'rows',
    columns: cols('column', 'type', 'nullable:BOOLEAN', 'key:BOOLEAN'),
    rows: def.schema.map((f) => [f.name, typeToString(f.type), f.nullable, keyCols.has(f.name.toLowerCase())]),
  };
}

/** The views and sinks that call the model, with the versions they pin. */
function modelUsedBy(session: Session, name: string): string {
  const readers = readersOf(session.catalog, 'models', name).map((r) => {
    const def = session.catalog.findRelation(r.name);
    const stmt = def ? parseStatements(def.sql)[0]?.statement : undefined;
    const query = stmt?.kind === 'CreateMaterializedView' || stmt?.kind === 'CreateSink' ? stmt.query : undefined;
    const pinned = query ? [...(pinnedVersions(query).get(normalizeName(name)) ?? [])] : [];
    return `${readerLabel(r)}${pinned.length ? ` (version ${pinned.join(', ')})` : ''}`;
  });
  return readers.length ? readers.join(', ') : 'no view or sink';
}

/**
 * DESCRIBE MODEL as property/value rows a person reads in a terminal: one row per input, output,
 * option and version, and the statistics spelled out. GET /v1/models/:name has the same as JSON.
 */
function describeModelRows(d: ModelDescription): unknown[][] {
  const rows: unknown[][] = [['name', d.name]];
  for (const f of d.inputs) rows.push(['input', `${f.name} ${f.type}`]);
  for (const f of d.outputs) rows.push(['output', `${f.name} ${f.type}`]);
  for (const t of d.fileInputs) rows.push(['file_input', `${t.name} ${t.type} ${shapeToString(t.shape)}`]);
  for (const t of d.fileOutputs) rows.push(['file_output', `${t.name} ${t.type} ${shapeToString(t.shape)}`]);
  rows.push(['version', d.version], ['path', d.path], ['checksum', d.checksum], ['provider', d.provider], ['provider_reason', d.providerReason]);
  for (const [k, v] of Object.entries(d.options)) if (k !== 'path') rows.push([`option ${k}`, String(v)]);
  if (d.metadata !== null) rows.push(['metadata', JSON.stringify(d.metadata)]);
  if (d.candidate) {
    const c = d.candidate;
    rows.push(['candidate', `version ${c.version}, ${c.mode}${c.mode === 'canary' ? ` ${+(c.share * 100).toFixed(2)}% of keys${c.key ? ` by ${c.key}` : ''}` : ''}, since ${c.since}`]);
    const cl = c.stats?.latencyMs;
    if (c.stats) rows.push(['candidate_rows_scored', c.stats.rows], ['candidate_latency_ms', !cl || cl.count === 0 ? 'no batches yet' : `p50 ${cl.p50?.toFixed(2)}, p99 ${cl.p99?.toFixed(2)}, max ${cl.max?.toFixed(2)}`]);
  }
  for (const v of d.versions) {
    const role = v.number === d.version ? ' active' : v.role === 'retired' ? '' : ` ${v.role}`;
    const pins = v.pins > 0 ? `, pinned by ${v.pins} ${v.pins === 1 ? 'query' : 'queries'}` : '';
    rows.push([`version ${v.number}`, `${v.path} (sha256 ${v.checksum.slice(0, 12)}, ${v.provider}, by ${v.registeredBy} at ${v.createdAt}${pins})${role}`]);
    if (v.metadata !== null) rows.push([`version ${v.number} metadata`, JSON.stringify(v.metadata)]);
  }
  for (const e of d.events.slice(-10)) rows.push(['event', `${e.at} ${e.action}${e.version === null ? '' : ` version ${e.version}`} by ${e.by}${e.reason ? `: ${e.reason}` : ''}`]);
  const st = d.stats;
  if (st) {
    rows.push(
      ['rows_scored', st.rows],
      ['batches', st.batches],
      ['failed_batches', st.errors],
      ['error_rows', st.errorRows],
      ['timeouts', st.timeouts],
      ['fallbacks', `${st.fallbacks} batches, ${st.fallbackRows} rows`],
      ['rows_as_fallback', st.rowsAsFallback],
      ['rows_by_role', Object.entries(st.rowsByRole).map(([r, n]) => `${r} ${n}`).join(', ') || 'none yet'],
      ['shadow_skipped', st.shadowSkipped],
      ['load_failures', st.loadFailures],
    );
    const sizes = st.batchSize.buckets.filter((b) => b.count > 0).map((b) => `${b.le === null ? 'more' : `<=${b.le}`}: ${b.count}`);
    rows.push(['batch_size', st.batchSize.count === 0 ? 'no batches yet' : `mean ${(st.batchSize.sum / st.batchSize.count).toFixed(1)} rows; ${sizes.join(', ')}`]);
    const l = st.latencyMs;
    const ms = (x: number | null): string => (x === null ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(1));
    rows.push(['latency_ms', l.count === 0 ? 'no batches yet' : `min ${ms(l.min)}, p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, max ${ms(l.max)} (p50/p99 over the last 1024 batches)`]);
  }
  return rows;
}
