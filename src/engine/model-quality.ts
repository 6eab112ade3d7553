/**
 * Live model quality: `ALTER MODEL m SET (labels = 'labels', 'labels.id' = 'tx_id',
 * 'labels.value' = 'is_fraud', 'labels.within' = '1h')` joins a label stream to the model's
 * prediction log `<m>_predictions` and aggregates the joined rows per event-time window, version
 * and role into the stream `<m>_quality`.
 *
 * Both steps are ordinary materialized views written in SQL, so their state, offsets and output
 * are checkpointed together like any query's (exactly once, restart-safe):
 *
 *   <m>_labelled  interval join: a prediction and the label of the same id that arrives at or
 *                 after it and at most `labels.within` later (event time);
 *   <m>_quality   TUMBLE(<m>_labelled, prediction time, `quality.window`) GROUP BY version, role;
 *   <m>_quality_totals  the same metrics over every labelled row, GROUP BY version, role.
 *
 * The statement that sets the options is recorded as `model-quality:<m>`, apart from the model's
 * own ALTERs (which load versions), and replays without creating the views again: they replay
 * from their own records.
 */
import { SluiceError, didYouMean } from '../common/errors.js';
import type { Span } from '../common/span.js';
import type { OptionEntry } from '../parser/index.js';
import { quoteIdent } from '../common/quote-ident.js';
import type { Catalog, ModelSignature, Options, RelationDef } from '../planner/catalog.js';
import { Gauge, type Registry } from 'prom-client';
import { parseStatements } from '../parser/index.js';
import { parseDuration } from '../common/duration.js';
import { storedRows } from './relation-storage.js';
import { featureNames } from '../udf/drift.js';
import type { Session } from './session.js';
import { pushCopies } from './sinks.js';
import { createView } from './statements/create-view.js';
import { drop } from './statements/drop.js';

/** The ALTER MODEL options this module owns. */
export const QUALITY_OPTION_KEYS = ['labels', 'labels.id', 'labels.value', 'labels.within', 'labels.horizon', 'labels.threshold', 'quality.window'] as const;

export interface QualityOptions {
  /** The label stream. */
  readonly labels: string;
  /** Its column holding the prediction's id. */
  readonly labelId: string;
  /** Its column holding the truth (BOOLEAN, or a number: positive when > 0). */
  readonly labelValue: string;
  /** A label later than this after its prediction is not joined. Default 1 hour. */
  readonly withinMs: number;
  /** A label up to this long after its prediction but later than `withinMs` is counted late; beyond it, unmatched. Default 1 day. */
  readonly horizonMs: number;
  /** Score at or above which PRECISION_AT/RECALL_AT count a positive prediction. Default 0.5. */
  readonly threshold: number;
  /** The event-time window of `<m>_quality`. Default 1 minute. */
  readonly windowMs: number;
}

const DEFAULTS = { withinMs: 3_600_000, horizonMs: 86_400_000, threshold: 0.5, windowMs: 60_000 };

/** Splits ALTER MODEL options into this module's and the registry's. */
export function splitQualityOptions(options: Options): { quality: Options; rest: Options } {
  const quality: Record<string, string | number | boolean> = {};
  const rest: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(options)) ((QUALITY_OPTION_KEYS as readonly string[]).includes(k) ? quality : rest)[k] = v;
  return { quality, rest };
}

/** Parses the quality options of model `model` over `base` (the ones set before). */
export function parseQualityOptions(model: string, raw: Options, base?: QualityOptions): QualityOptions {
  const o: Partial<{ -readonly [K in keyof QualityOptions]: QualityOptions[K] }> = { ...DEFAULTS, ...base };
  const text = (key: string, v: string | number | boolean): string => {
    if (typeof v !== 'string' || v.trim() === '') throw new SluiceError('INVALID_ARGUMENT', `option '${key}' of model '${model}' must be a name, got ${JSON.stringify(v)}`);
    return v.trim();
  };
  for (const [key, v] of Object.entries(raw)) {
    switch (key) {
      case 'labels':
        o.labels = text(key, v);
        break;
      case 'labels.id':
        o.labelId = text(key, v);
        break;
      case 'labels.value':
        o.labelValue = text(key, v);
        break;
      case 'labels.within':
        o.withinMs = parseDuration(key, v);
        break;
      case 'labels.horizon':
        o.horizonMs = parseDuration(key, v);
        break;
      case 'quality.window':
        o.windowMs = parseDuration(key, v);
        if (o.windowMs < 1000 || o.windowMs % 1000 !== 0) throw new SluiceError('INVALID_ARGUMENT', `option 'quality.window' must be a whole number of seconds, got ${JSON.stringify(v)}`, { hint: "e.g. '1m' or '10s'" });
        break;
      case 'labels.threshold': {
        const n = Number(v);
        if (typeof v === 'boolean' || !Number.isFinite(n)) throw new SluiceError('INVALID_ARGUMENT', `option 'labels.threshold' must be a number, got ${JSON.stringify(v)}`);
        o.threshold = n;
        break;
      }
    }
  }
  if (o.horizonMs! < o.withinMs!) {
    throw new SluiceError('INVALID_ARGUMENT', `option 'labels.horizon' (${o.horizonMs} ms) must be at least 'labels.within' (${o.withinMs} ms)`, { hint: 'labels later than labels.within but within labels.horizon are counted as late' });
  }
  const missing = (['labels', 'labelId', 'labelValue'] as const).filter((k) => o[k] === undefined);
  if (missing.length) {
    const names = { labels: 'labels', labelId: 'labels.id', labelValue: 'labels.value' };
    throw new SluiceError('INVALID_ARGUMENT', `model '${model}' needs ${missing.map((k) => `'${names[k]}'`).join(' and ')} to join labels`, {
      hint: `ALTER MODEL ${model} SET (labels = 'labels', 'labels.id' = 'tx_id', 'labels.value' = 'is_fraud')`,
    });
  }
  return o as QualityOptions;
}

export const predictionsStream = (model: string): string => `${model}_predictions`;
export const labelledView = (model: string): string => `${model}_labelled`;
export const qualityView = (model: string): string => `${model}_quality`;
export const totalsView = (model: string): string => `${model}_quality_totals`;
export const labelStatusView = (model: string): string => `${model}_label_status`;
export const labelCountsView = (model: string): string => `${model}_label_counts`;
export const labelsSeenView = (model: string): string => `${model}_labels_seen`;

/** Every view the quality options create, in the order they are created. */
const qualityViews = (model: string): string[] => [labelledView(model), qualityView(model), totalsView(model), labelStatusView(model), labelCountsView(model), labelsSeenView(model)];

/** What the quality views read from the prediction log, by column name. */
interface PredictionColumns {
  readonly id: string;
  /** The log's watermark column: `event_time` (`scored_at` in a log created before it carried the prediction's event time). */
  readonly time: string;
  readonly version: string;
  readonly role: string;
  /** An expression over `p` giving the score. */
  readonly score: string;
  /** The packed input values (NULL unless the model logs them, `'log.inputs' = 'on'`). */
  readonly inputs: string;
}

/**
 * The prediction log's columns the views need: its event time (the watermark column), and the
 * score, the model's first output (`outputs` itself for a model with one output, else a field of it).
 */
function predictionColumns(model: ModelSignature, log: RelationDef): PredictionColumns {
  const names = log.schema.map((f) => f.name.toLowerCase());
  const need = (name: string): string => {
    if (names.includes(name)) return name;
    throw new SluiceError('SCHEMA_MISMATCH', `the prediction log '${log.name}' has no column '${name}'`, { hint: `its columns: ${names.join(', ')}` });
  };
  // The log's event time: `event_time`, the scored row's event time (scored_at when its stream has
  // none). A log created before that keeps its watermark on scored_at, and the views follow it.
  const time = log.kind === 'stream' || log.kind === 'view' ? log.watermark?.column : undefined;
  if (!time) throw new SluiceError('SCHEMA_MISMATCH', `the prediction log '${log.name}' has no event time (WATERMARK)`);
  const output = model.outputs[0]!.name;
  const outputs = log.schema.find((f) => f.name.toLowerCase() === 'outputs');
  const score = !outputs ? `p.${quoteIdent(need(output.toLowerCase()))}` : outputs.type.kind === 'STRUCT' ? `p.outputs.${quoteIdent(output)}` : 'p.outputs';
  return { id: need('id'), time, version: need('version'), role: need('role'), score, inputs: need('inputs') };
}

/** The label stream's event-time column and the two named columns, checked. */
function labelColumns(opts: QualityOptions, catalog: Catalog): { time: string; labelBoolean: boolean } {
  const def = catalog.relation(opts.labels);
  const time = def.kind === 'stream' || def.kind === 'view' ? def.watermark?.column : undefined;
  if (!time) {
    throw new SluiceError('INVALID_ARGUMENT', `the label stream '${opts.labels}' has no event time`, { hint: `declare one: CREATE STREAM ${opts.labels} (..., ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)` });
  }
  const columns = def.schema.map((f) => f.name);
  const find = (key: string, name: string) => {
    const f = def.schema.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (f) return f;
    throw new SluiceError('UNKNOWN_COLUMN', `option '${key}': the label stream '${opts.labels}' has no column '${name}'`, { hint: didYouMean(name, columns) ?? `its columns: ${columns.join(', ')}` });
  };
  find('labels.id', opts.labelId);
  const value = find('labels.value', opts.labelValue);
  if (value.type.kind !== 'BOOLEAN' && !['INT', 'BIGINT', 'FLOAT', 'DOUBLE'].includes(value.type.kind)) {
    throw new SluiceError('TYPE_MISMATCH', `option 'labels.value': column '${opts.labelValue}' of '${opts.labels}' must be BOOLEAN or a number`, { hint: 'a label is positive when TRUE or > 0' });
  }
  return { time, labelBoolean: value.type.kind === 'BOOLEAN' };
}

const seconds = (ms: number): string => `INTERVAL '${ms / 1000}' SECOND`;

/** The quality column of a feature's PSI: `psi_` and the feature's name in lower case, other characters as `_` (`features[3]` is `psi_features_3`). */
export const featurePsiColumn = (feature: string): string => `psi_${feature.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/_+$/, '')}`;

/**
 * The drift columns of the quality views: `score_psi` (the first output's PSI), one
 * `psi_<feature>` per input feature (over the logged input values, `inputs[i]` being the i-th
 * feature), each where the model has a reference of it (a file, or the first `reference.rows`
 * scored rows being collected), and `drift_alert`: whether the highest of those known is above
 * `driftAlert` (NULL while none is known). Empty when the model has no reference.
 */
function psiColumns(model: ModelSignature, driftAlert: number): string {
  const collected = model.live?.collectedReference?.();
  const has = (feature: string) => Boolean(model.reference?.[feature] ?? collected);
  // Each version's values against that version's own reference.
  const psi = (value: string, feature: string) => `PSI(${value}, '${model.name.replace(/'/g, "''")}', '${feature.replace(/'/g, "''")}', version)`;
  const output = model.outputs[0]!.name;
  const columns: [string, string][] = [];
  if (has(output)) columns.push([psi('score', output), 'score_psi']);
  featureNames(model.inputs, []).forEach((feature, i) => {
    if (has(feature)) columns.push([psi(`inputs[${i + 1}]`, feature), featurePsiColumn(feature)]);
  });
  if (columns.length === 0) return '';
  const highest = columns.length === 1 ? columns[0]![0] : `GREATEST(${columns.map(([e]) => e).join(', ')})`;
  return [...columns.map(([e, name]) => `${e} AS ${quoteIdent(name)}`), `${highest} > ${driftAlert} AS drift_alert`].join(',\n       ');
}

/**
 * The CREATE MATERIALIZED VIEW statements of the labelled rows, the quality stream and the
 * totals per version and role (an updating view over every labelled row). The metric columns:
 * labelled, positive_rate, auc, log_loss, brier, precision, recall, mean_score,
 * label_delay_p50, label_delay_p99, and the drift columns of `psiColumns` (score_psi,
 * psi_<feature> per input feature, drift_alert) when the model has a reference;
 * the quality stream has window_start, window_end, version and role before them.
 */
export function qualityStatements(model: ModelSignature, opts: QualityOptions, catalog: Catalog, driftAlert: number): string[] {
  const log = catalog.findRelation(predictionsStream(model.name));
  if (!log) {
    throw new SluiceError('INVALID_ARGUMENT', `model '${model.name}' has no prediction log to join labels to`, {
      hint: `turn it on: ALTER MODEL ${model.name} SET ('log' = 'on', 'log.id' = '<id column>')`,
    });
  }
  const p = predictionColumns(model, log);
  const l = labelColumns(opts, catalog);
  const q = quoteIdent;
  const positive = l.labelBoolean ? 'label' : 'label > 0';
  const psi = psiColumns(model, driftAlert);
  const metrics = `COUNT(*) AS labelled,
       AVG(CASE WHEN label IS NULL THEN NULL WHEN ${positive} THEN 1.0 ELSE 0.0 END) AS positive_rate,
       AUC(score, label) AS auc, LOG_LOSS(score, label) AS log_loss, BRIER(score, label) AS brier,
       PRECISION_AT(score, label, ${opts.threshold}) AS "precision", RECALL_AT(score, label, ${opts.threshold}) AS recall,
       AVG(score) AS mean_score,
       QUANTILE_DISC(label_delay, 0.5) AS label_delay_p50, QUANTILE_DISC(label_delay, 0.99) AS label_delay_p99${psi ? `,\n       ${psi}` : ''}`;
  return [
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(labelledView(model.name))} AS
SELECT p.${q(p.version)} AS version, p.${q(p.role)} AS role, p.${q(p.id)} AS id, p.${q(p.time)} AS ${q(p.time)},
       ${p.score} AS score, p.${q(p.inputs)} AS inputs, l.${q(opts.labelValue)} AS label, l.${q(l.time)} - p.${q(p.time)} AS label_delay
FROM ${q(log.name)} AS p JOIN ${q(opts.labels)} AS l
  ON p.${q(p.id)} = l.${q(opts.labelId)} AND l.${q(l.time)} BETWEEN p.${q(p.time)} AND p.${q(p.time)} + ${seconds(opts.withinMs)}`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(qualityView(model.name))} AS
SELECT window_start, window_end, version, role,
       ${metrics}
FROM TABLE(TUMBLE(TABLE ${q(labelledView(model.name))}, DESCRIPTOR(${q(p.time)}), ${seconds(opts.windowMs)}))
GROUP BY window_start, window_end, version, role`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(totalsView(model.name))} AS
SELECT version, role,
       ${metrics}
FROM ${q(labelledView(model.name))}
GROUP BY version, role`,
    // Each label against the predictions of its id (one row per scored input row: shadow rows
    // are extra) up to labels.horizon around it: joined in time, late, or early.
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(labelStatusView(model.name))} AS
SELECT l.${q(opts.labelId)} AS id, l.${q(l.time)} AS ts,
       CASE WHEN l.${q(l.time)} < p.${q(p.time)} THEN 'early' WHEN l.${q(l.time)} > p.${q(p.time)} + ${seconds(opts.withinMs)} THEN 'late' ELSE 'joined' END AS status
FROM ${q(opts.labels)} AS l JOIN ${q(log.name)} AS p
  ON l.${q(opts.labelId)} = p.${q(p.id)} AND p.${q(p.time)} BETWEEN l.${q(l.time)} - ${seconds(opts.horizonMs)} AND l.${q(l.time)} + ${seconds(opts.horizonMs)}
WHERE p.${q(p.role)} <> 'shadow'`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(labelCountsView(model.name))} AS
SELECT status, COUNT(*) AS labels FROM ${q(labelStatusView(model.name))} GROUP BY status`,
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(labelsSeenView(model.name))} AS
SELECT COUNT(*) AS labels FROM ${q(opts.labels)}`,
  ];
}

/** The quality options set per model, per engine (keyed by its catalog). */
const settings = new WeakMap<Catalog, Map<string, QualityOptions>>();

/** The quality options of `model`, when labels are joined to it. */
export function modelQuality(catalog: Catalog, model: string): QualityOptions | undefined {
  return settings.get(catalog)?.get(model.toLowerCase());
}

/**
 * The views an ALTER MODEL ... SET with these options will create, as statements, so that a
 * request is planned as it will run (engine/prepare.ts): a later statement of the same request
 * may read the quality views. `base` holds the quality options set before. Undefined when the
 * options set no labels or do not apply to `catalog` as it is; the ALTER says why when it runs.
 */
export function plannedQualityStatements(catalog: Catalog, base: Catalog, model: ModelSignature, raw: Options): string[] | undefined {
  const { quality } = splitQualityOptions(raw);
  if (Object.keys(quality).length === 0) return undefined;
  try {
    // The drift threshold only changes a constant in the SQL; planning does not depend on it.
    return qualityStatements(model, parseQualityOptions(model.name, quality, modelQuality(base, model.name)), catalog, 0.2);
  } catch {
    return undefined;
  }
}

/** Runs generated CREATE MATERIALIZED VIEW and DROP statements in the session. */
async function runGenerated(session: Session, sql: string): Promise<void> {
  for (const { statement, text } of parseStatements(sql)) {
    if (statement.kind === 'CreateMaterializedView') await createView(session, statement, text, {});
    else if (statement.kind === 'Drop') await drop(session, statement, text, {});
    else throw new SluiceError('INTERNAL', `model quality generated a ${statement.kind} statement`);
  }
}

/**
 * Applies the quality options of an ALTER MODEL: merges them over the ones set before, (re)creates
 * the quality views when they changed, and records the options. Replaying the catalog only
 * restores the options; the views replay from their own records.
 */
export async function applyQualityOptions(session: Session, model: ModelSignature, raw: Options): Promise<string> {
  const byModel = settings.get(session.catalog) ?? new Map<string, QualityOptions>();
  settings.set(session.catalog, byModel);
  const before = byModel.get(model.name.toLowerCase());
  const opts = parseQualityOptions(model.name, raw, before);
  if (!session.record.replaying) {
    const serving = session.models.get(model.name);
    // A version keeps the options it was made with: one from before 'log' = 'on' (say, after a
    // ROLLBACK to it) writes no predictions, and labels would then join nothing.
    if (!serving.options.log && session.catalog.findRelation(predictionsStream(model.name))) {
      throw new SluiceError('INVALID_ARGUMENT', `model '${model.name}' does not log predictions now: version ${serving.number}, which serves it, has 'log' off, so labels would join nothing`, {
        hint: `turn the log on for the serving version first: ALTER MODEL ${model.name} SET ('log' = 'on', 'log.id' = '<id column>')`,
      });
    }
    const statements = qualityStatements(model, opts, session.catalog, serving.options.driftAlert);
    if (before) {
      for (const view of qualityViews(model.name).reverse()) {
        if (session.catalog.findRelation(view)) await runGenerated(session, `DROP MATERIALIZED VIEW ${quoteIdent(view)}`);
      }
    }
    for (const sql of statements) await runGenerated(session, sql);
    await session.record.remember('model-quality', model.name, qualityStatementText(model.name, opts));
  }
  byModel.set(model.name.toLowerCase(), opts);
  return `model ${model.name} joins labels from ${opts.labels} into ${qualityView(model.name)}`;
}

/** The ALTER MODEL statement that sets `opts` again on replay. */
function qualityStatementText(model: string, o: QualityOptions): string {
  const s = (v: string) => `'${v.replace(/'/g, "''")}'`;
  return `ALTER MODEL ${quoteIdent(model)} SET (labels = ${s(o.labels)}, 'labels.id' = ${s(o.labelId)}, 'labels.value' = ${s(o.labelValue)}, 'labels.within' = '${o.withinMs}ms', 'labels.threshold' = ${o.threshold}, 'quality.window' = '${o.windowMs}ms')`;
}

/** Points an error without a position at the option it names (or at `fallback`). */
export function atOption(err: unknown, entries: readonly OptionEntry[], fallback: Span): unknown {
  if (!(err instanceof SluiceError) || err.span) return err;
  const entry = entries.find((e) => err.message.includes(`option '${e.key.toLowerCase()}'`));
  return new SluiceError(err.code, err.message, { span: entry?.span ?? fallback, ...(err.hint ? { hint: err.hint } : {}) });
}

/** What reading quality needs of the engine. */
export interface QualityReader {
  readonly catalog: Catalog;
  viewScan(name: string): Promise<Record<string, unknown>[]>;
}

/** A session as a quality reader: the stored rows of its views. */
export function sessionReader(session: Session): QualityReader {
  return {
    catalog: session.catalog,
    viewScan: async (name) => {
      const out: Record<string, unknown>[] = [];
      for await (const rows of storedRows(session.storage.store, session.tables, session.catalog.relation(name), name).scanRows()) {
        for (const r of rows) pushCopies(out, r as Record<string, unknown>);
      }
      return out;
    },
  };
}

/** A model's labels settings, its most recent quality windows (newest first) and its totals per version and role. */
export interface QualityReport {
  readonly model: string;
  readonly labels: QualityOptions | null;
  readonly windows: readonly Record<string, unknown>[];
  readonly totals: readonly Record<string, unknown>[];
  /** Label rows read, joined in time, later than labels.within (late), and the rest (unmatched). */
  readonly labelCounts: LabelCounts | null;
}

export interface LabelCounts {
  readonly labels: number;
  readonly joined: number;
  readonly late: number;
  readonly unmatched: number;
}

export async function qualityReport(engine: QualityReader, model: string, recent = 20): Promise<QualityReport> {
  const name = engine.catalog.model(model).name;
  const opts = modelQuality(engine.catalog, name) ?? null;
  if (!opts || !engine.catalog.findRelation(qualityView(name))) return { model: name, labels: opts, windows: [], totals: [], labelCounts: null };
  const windows = (await engine.viewScan(qualityView(name))).sort((a, b) => Number(b['window_start']) - Number(a['window_start']) || String(a['role']).localeCompare(String(b['role'])));
  const totals = engine.catalog.findRelation(totalsView(name)) ? await engine.viewScan(totalsView(name)) : [];
  return { model: name, labels: opts, windows: windows.slice(0, recent), totals, labelCounts: await labelCounts(engine, name) };
}

/** A label that joined nothing in time and was not late is unmatched: no prediction of its id, or one beyond labels.horizon, or one after it. */
async function labelCounts(engine: QualityReader, model: string): Promise<LabelCounts | null> {
  if (!engine.catalog.findRelation(labelCountsView(model)) || !engine.catalog.findRelation(labelsSeenView(model))) return null;
  const byStatus = new Map((await engine.viewScan(labelCountsView(model))).map((r) => [String(r['status']), Number(r['labels'])]));
  const labels = Number((await engine.viewScan(labelsSeenView(model)))[0]?.['labels'] ?? 0);
  const joined = byStatus.get('joined') ?? 0;
  const late = byStatus.get('late') ?? 0;
  return { labels, joined, late, unmatched: Math.max(labels - joined - late, 0) };
}

/** DESCRIBE MODEL rows: the labels settings and the totals of each version and role. */
export async function describeQualityRows(engine: QualityReader, model: string): Promise<unknown[][]> {
  const r = await qualityReport(engine, model, 1);
  if (!r.labels) return [['quality', `no labels joined (ALTER MODEL ${r.model} SET (labels = ..., 'labels.id' = ..., 'labels.value' = ...))`]];
  const o = r.labels;
  const rows: unknown[][] = [['labels', `${o.labels} by ${o.labelId}, truth ${o.labelValue}, within ${o.withinMs} ms, threshold ${o.threshold}, window ${o.windowMs} ms -> ${qualityView(r.model)}`]];
  if (r.labelCounts) rows.push(['labels_read', `${r.labelCounts.labels}: ${r.labelCounts.joined} joined, ${r.labelCounts.late} late, ${r.labelCounts.unmatched} unmatched`]);
  const num = (v: unknown) => (typeof v === 'number' ? Number(v.toPrecision(4)) : v === null || v === undefined ? '-' : String(v));
  for (const t of r.totals) {
    const top = featurePsis(t).sort((a, b) => b[1] - a[1])[0];
    const drift = `${t['score_psi'] === undefined ? '' : `, score_psi ${num(t['score_psi'])}`}${top ? `, highest feature psi ${num(top[1])} (${top[0]})` : ''}${t['drift_alert'] === true ? ' (drift alert)' : ''}`;
    rows.push([`quality v${String(t['version'])} ${String(t['role'])}`, `labelled ${String(t['labelled'])}, auc ${num(t['auc'])}, log_loss ${num(t['log_loss'])}, brier ${num(t['brier'])}, precision ${num(t['precision'])}, recall ${num(t['recall'])}, mean_score ${num(t['mean_score'])}, label_delay p50 ${num(t['label_delay_p50'])} ms p99 ${num(t['label_delay_p99'])} ms${drift}`]);
  }
  return rows;
}

/** The known PSIs of a quality row's input features, as [column, psi]. */
function featurePsis(row: Record<string, unknown>): [string, number][] {
  return Object.entries(row).flatMap(([k, v]) => (k.startsWith('psi_') && typeof v === 'number' ? [[k, v] as [string, number]] : []));
}

/** The Prometheus gauges `sluice_model_quality_*{model, version, role}`, read from the totals views when scraped. */
export function registerQualityMetrics(registry: Registry, engine: QualityReader): void {
  const metrics: [string, string, string][] = [
    ['labelled', 'sluice_model_quality_labelled_rows', 'Predictions joined to a label.'],
    ['positive_rate', 'sluice_model_quality_positive_rate', 'Share of joined labels that are positive.'],
    ['auc', 'sluice_model_quality_auc', 'Area under the ROC curve over every joined label.'],
    ['log_loss', 'sluice_model_quality_log_loss', 'Mean log loss over every joined label.'],
    ['brier', 'sluice_model_quality_brier', 'Brier score over every joined label.'],
    ['precision', 'sluice_model_quality_precision', "Precision at 'labels.threshold'."],
    ['recall', 'sluice_model_quality_recall', "Recall at 'labels.threshold'."],
    ['mean_score', 'sluice_model_quality_mean_score', 'Mean score of the joined predictions.'],
    ['label_delay_p99', 'sluice_model_quality_label_delay_p99_ms', '99th percentile of the delay from prediction to label (ms).'],
    ['score_psi', 'sluice_model_quality_score_psi', "PSI of the joined predictions' scores against the model's reference."],
  ];
  // Every gauge's collect awaits one scan of the totals views per scrape.
  let scan: { at: number; rows: Promise<{ labels: Record<string, string>; row: Record<string, unknown> }[]> } | undefined;
  const totals = () => {
    if (!scan || Date.now() - scan.at > 250) scan = { at: Date.now(), rows: readTotals(engine) };
    return scan.rows;
  };
  registerLabelCountMetric(registry, engine);
  registerDriftMetric(registry, engine);
  const featureGauge: Gauge = new Gauge({
    name: 'sluice_model_quality_feature_psi',
    help: "PSI of an input feature's logged values against the model's reference, over every joined label.",
    labelNames: ['model', 'version', 'role', 'feature'],
    registers: [registry],
    collect: async () => {
      featureGauge.reset();
      for (const { labels, row } of await totals()) for (const [column, v] of featurePsis(row)) featureGauge.set({ ...labels, feature: column.slice('psi_'.length) }, v);
    },
  });
  for (const [column, name, help] of metrics) {
    const gauge: Gauge = new Gauge({
      name,
      help,
      labelNames: ['model', 'version', 'role'],
      registers: [registry],
      collect: async () => {
        gauge.reset();
        for (const { labels, row } of await totals()) {
          const v = row[column];
          if (typeof v === 'number' || typeof v === 'bigint') gauge.set(labels, Number(v));
        }
      },
    });
  }
}

/** `sluice_model_quality_labels{model, status}`: label rows joined, late and unmatched. */
function registerLabelCountMetric(registry: Registry, engine: QualityReader): void {
  const gauge: Gauge = new Gauge({
    name: 'sluice_model_quality_labels',
    help: 'Label rows read for a model, by status: joined (in time), late (after labels.within), unmatched.',
    labelNames: ['model', 'status'],
    registers: [registry],
    collect: async () => {
      gauge.reset();
      for (const sig of engine.catalog.listModels()) {
        const c = modelQuality(engine.catalog, sig.name) ? await labelCounts(engine, sig.name) : null;
        if (c) for (const status of ['joined', 'late', 'unmatched'] as const) gauge.set({ model: sig.name, status }, c[status]);
      }
    },
  });
}

/** `sluice_model_quality_drift_windows{model, version, role}`: windows of `<m>_quality` marked `drift_alert`. */
function registerDriftMetric(registry: Registry, engine: QualityReader): void {
  const gauge: Gauge = new Gauge({
    name: 'sluice_model_quality_drift_windows',
    help: "Windows of <model>_quality whose score PSI is above the model's 'drift.alert'.",
    labelNames: ['model', 'version', 'role'],
    registers: [registry],
    collect: async () => {
      gauge.reset();
      for (const sig of engine.catalog.listModels()) {
        const view = engine.catalog.findRelation(qualityView(sig.name));
        if (!modelQuality(engine.catalog, sig.name) || !view?.schema.some((f) => f.name === 'drift_alert')) continue;
        for (const row of await engine.viewScan(qualityView(sig.name))) {
          if (row['drift_alert'] === true) gauge.inc({ model: sig.name, version: String(row['version']), role: String(row['role']) });
        }
      }
    },
  });
}

async function readTotals(engine: QualityReader): Promise<{ labels: Record<string, string>; row: Record<string, unknown> }[]> {
  const out: { labels: Record<string, string>; row: Record<string, unknown> }[] = [];
  for (const sig of engine.catalog.listModels()) {
    if (!modelQuality(engine.catalog, sig.name) || !engine.catalog.findRelation(totalsView(sig.name))) continue;
    for (const row of await engine.viewScan(totalsView(sig.name))) out.push({ labels: { model: sig.name, version: String(row['version']), role: String(row['role']) }, row });
  }
  return out;
}
