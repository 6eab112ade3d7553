/**
 * Guarded rollout: `ALTER MODEL m SET CANDIDATE (..., 'promote.auto' = 'on',
 * 'promote.min_labels' = 5000, 'promote.min_gain' = 0.0, 'rollback.max_error_rate' = 0.01,
 * 'rollback.max_p99' = '50ms')`.
 *
 * The evidence is the model's quality totals (`<m>_quality_totals`, exactly-once views) and the
 * candidate's own statistics. A check runs after every checkpoint interval: when the candidate
 * and the serving version have each at least `promote.min_labels` labelled rows and the
 * candidate's AUC beats the serving one's by more than `promote.min_gain`, the candidate is
 * promoted; when the candidate's share of failed rows or its batch latency p99 passes a
 * `rollback.*` bound, it is dropped. A decision goes through the same path as ALTER MODEL
 * PROMOTE / DROP CANDIDATE (recorded, replayed on restart), by 'auto', with the evidence as its
 * reason in DESCRIBE MODEL's history, and counts in `sluice_model_auto_decisions_total`. Once the
 * candidate is promoted or dropped its guard is gone, so a decision happens at most once. Each
 * decision is also a row of the stream `<model>_events` (model-events.ts) with its evidence.
 */
import { Counter, type Registry } from 'prom-client';
import { SluiceError } from '../common/errors.js';
import type { Catalog, Options } from '../planner/catalog.js';
import { parseDuration } from '../common/duration.js';
import { qualityReport, type QualityReader } from './model-quality.js';
import type { Session } from './session.js';
import { changeModel } from './statements/model-rollout.js';
import { stageModelEvent, type DecisionEvidence } from './model-events.js';

export const GUARD_OPTION_KEYS = ['promote.auto', 'promote.min_labels', 'promote.min_gain', 'rollback.max_error_rate', 'rollback.max_p99'] as const;

export interface GuardOptions {
  readonly autoPromote: boolean;
  readonly minLabels: number;
  readonly minGain: number;
  readonly maxErrorRate: number | undefined;
  readonly maxP99Ms: number | undefined;
}

/** Splits SET CANDIDATE options into the guard's and the registry's. */
export function splitGuardOptions(options: Options): { guard: Options; rest: Options } {
  const guard: Record<string, string | number | boolean> = {};
  const rest: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(options)) ((GUARD_OPTION_KEYS as readonly string[]).includes(k) ? guard : rest)[k] = v;
  return { guard, rest };
}

export function parseGuardOptions(raw: Options): GuardOptions {
  const num = (key: string, v: string | number | boolean, min: number): number => {
    const n = Number(v);
    if (typeof v === 'boolean' || !Number.isFinite(n) || n < min) throw new SluiceError('INVALID_ARGUMENT', `option '${key}' must be a number of at least ${min}, got ${JSON.stringify(v)}`);
    return n;
  };
  const o = { autoPromote: false, minLabels: 5000, minGain: 0, maxErrorRate: undefined as number | undefined, maxP99Ms: undefined as number | undefined };
  for (const [key, v] of Object.entries(raw)) {
    switch (key) {
      case 'promote.auto': {
        const t = String(v).toLowerCase();
        if (!['on', 'off', 'true', 'false'].includes(t)) throw new SluiceError('INVALID_ARGUMENT', `option 'promote.auto' must be 'on' or 'off', got ${JSON.stringify(v)}`);
        o.autoPromote = t === 'on' || t === 'true';
        break;
      }
      case 'promote.min_labels':
        o.minLabels = Math.ceil(num(key, v, 1));
        break;
      case 'promote.min_gain':
        o.minGain = num(key, v, -1);
        break;
      case 'rollback.max_error_rate':
        o.maxErrorRate = num(key, v, 0);
        break;
      case 'rollback.max_p99':
        o.maxP99Ms = parseDuration(key, v);
        break;
    }
  }
  return o;
}

/** The guard as the statement's message says it. */
export function guardText(g: GuardOptions): string {
  const parts = [g.autoPromote ? `promotes after ${g.minLabels} labelled rows each when its AUC gains more than ${g.minGain}` : 'no automatic promotion'];
  if (g.maxErrorRate !== undefined) parts.push(`dropped above an error rate of ${g.maxErrorRate}`);
  if (g.maxP99Ms !== undefined) parts.push(`dropped above a p99 of ${g.maxP99Ms} ms`);
  return parts.join(', ');
}

/** Guards per model, per engine (keyed by its catalog). */
const guards = new WeakMap<Catalog, Map<string, GuardOptions>>();

/** Sets (or, with no options, clears) the guard of `model`'s candidate. */
export function setGuard(catalog: Catalog, model: string, raw: Options): void {
  const byModel = guards.get(catalog) ?? new Map<string, GuardOptions>();
  guards.set(catalog, byModel);
  if (Object.keys(raw).length === 0) byModel.delete(model.toLowerCase());
  else byModel.set(model.toLowerCase(), parseGuardOptions(raw));
}

export function guardOf(catalog: Catalog, model: string): GuardOptions | undefined {
  return guards.get(catalog)?.get(model.toLowerCase());
}

const decisions = new WeakMap<Registry, Counter>();

function decisionCounter(registry: Registry): Counter {
  let c = decisions.get(registry);
  if (!c) {
    c = new Counter({ name: 'sluice_model_auto_decisions_total', help: 'Automatic promotions and rollbacks of model candidates.', labelNames: ['model', 'action'], registers: [registry] });
    decisions.set(registry, c);
  }
  return c;
}

/** A decision the evidence calls for, with the evidence as text and as values; undefined when none. */
export async function guardDecision(
  reader: QualityReader,
  session: Pick<Session, 'models'>,
  model: string,
  g: GuardOptions,
): Promise<{ action: 'promote' | 'drop candidate'; reason: string; evidence: DecisionEvidence } | undefined> {
  const c = session.models.candidate(model);
  if (!c) return undefined;
  const stats = session.models.describe(model).candidate?.stats;
  const report = await qualityReport(reader, model);
  const serving = session.models.get(model).number;
  const row = (version: number, roles: readonly string[]) => report.totals.find((t) => Number(t['version']) === version && roles.includes(String(t['role'])));
  const cand = row(c.version.number, [c.mode]);
  const serv = row(serving, ['serving']);
  const auc = (r: Record<string, unknown> | undefined) => (typeof r?.['auc'] === 'number' ? r['auc'] : null);
  const labelled = (r: Record<string, unknown> | undefined) => (r ? Number(r['labelled']) : null);
  // `rows` counts the rows a version scored; the ones it failed are `errorRows` beside them.
  const rows = stats ? stats.rows + stats.errorRows : 0;
  const evidence: DecisionEvidence = {
    candidateAuc: auc(cand),
    servingAuc: auc(serv),
    candidateLabelled: labelled(cand),
    servingLabelled: labelled(serv),
    candidateRows: rows,
    errorRate: stats && rows > 0 ? stats.errorRows / rows : null,
    p99Ms: stats?.latencyMs.p99 ?? null,
  };
  const { errorRate, p99Ms } = evidence;
  if (g.maxErrorRate !== undefined && errorRate !== null && errorRate > g.maxErrorRate) {
    return { action: 'drop candidate', reason: `error rate ${errorRate.toFixed(4)} over ${rows} rows is above rollback.max_error_rate ${g.maxErrorRate}`, evidence };
  }
  if (g.maxP99Ms !== undefined && rows > 0 && p99Ms !== null && p99Ms > g.maxP99Ms) {
    return { action: 'drop candidate', reason: `batch latency p99 ${p99Ms.toFixed(2)} ms is above rollback.max_p99 ${g.maxP99Ms} ms`, evidence };
  }
  if (!g.autoPromote) return undefined;
  const [nc, ns, ac, as] = [evidence.candidateLabelled, evidence.servingLabelled, evidence.candidateAuc, evidence.servingAuc];
  if (nc === null || ns === null || ac === null || as === null || nc < g.minLabels || ns < g.minLabels) return undefined;
  if (!(ac - as > g.minGain)) return undefined;
  return {
    action: 'promote',
    reason: `AUC ${ac.toFixed(4)} of version ${c.version.number} (${c.mode}, ${nc} labelled rows) beats ${as.toFixed(4)} of serving version ${serving} (${ns} labelled rows) by more than promote.min_gain ${g.minGain}`,
    evidence,
  };
}

/** Checks every guarded candidate once and acts on what the evidence calls for; each decision is a row of `<model>_events`. */
export async function checkGuards(session: Session, reader: QualityReader, registry: Registry): Promise<void> {
  const byModel = guards.get(session.catalog);
  if (!byModel) return;
  for (const [model, g] of [...byModel]) {
    if (!session.models.has(model) || !session.models.candidate(model)) {
      byModel.delete(model);
      continue;
    }
    const d = await guardDecision(reader, session, model, g);
    if (!d) continue;
    byModel.delete(model);
    const version = session.models.candidate(model)!.version.number;
    const servingVersion = session.models.get(model).number;
    const action = d.action === 'promote' ? 'promote' : 'rollback';
    // The changed record (which versions serve after a restart) and the event row are one write:
    // a kill before it leaves the candidate and its guard to decide again, after it neither.
    const wb = session.storage.store.batch();
    await changeModel(session, model, { kind: d.action }, { by: 'auto', reason: d.reason }, undefined, wb);
    stageModelEvent(session, model, { action, version, servingVersion, reason: d.reason, evidence: d.evidence, thresholds: g }, wb);
    await wb.write();
    decisionCounter(registry).inc({ model, action });
  }
}
