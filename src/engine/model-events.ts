/**
 * `<model>_events`: the automatic decisions of a model's guard (model-guard.ts), one row each,
 * with the evidence that triggered it. An embedded-log stream (one partition, watermark on `decided_at`)
 * created when a candidate gets a guard, so users query, view and sink it like any stream.
 */
import { T, type Field } from '../common/types.js';
import type { WriteBatch } from '../state/index.js';
import type { Session } from './session.js';
import { createLogStream } from './statements/model-rollout.js';
import { logTopicOf, stageStreamRows } from './stream-append.js';

/** The name of a model's decision stream. */
export const modelEventsName = (model: string): string => `${model}_events`;

/** What a guard saw when it decided; null where there was nothing to see. */
export interface DecisionEvidence {
  readonly candidateAuc: number | null;
  readonly servingAuc: number | null;
  readonly candidateLabelled: number | null;
  readonly servingLabelled: number | null;
  /** The candidate's share of failed rows, and the rows it was given (scored or failed). */
  readonly errorRate: number | null;
  readonly candidateRows: number;
  /** The candidate's batch latency p99 (ms). */
  readonly p99Ms: number | null;
}

/** One decision: the action, the versions, the reason and evidence, and the guard's thresholds. */
export interface DecisionEvent {
  readonly action: 'promote' | 'rollback';
  readonly version: number;
  readonly servingVersion: number;
  readonly reason: string;
  readonly evidence: DecisionEvidence;
  readonly thresholds: { readonly minLabels: number; readonly minGain: number; readonly maxErrorRate: number | undefined; readonly maxP99Ms: number | undefined };
}

export function modelEventFields(): Field[] {
  const f = (name: string, type: Field['type'], nullable = true): Field => ({ name, type, nullable });
  return [
    f('decided_at', T.TIMESTAMP, false),
    f('action', T.STRING, false),
    f('version', T.INT, false),
    f('serving_version', T.INT, false),
    f('reason', T.STRING, false),
    f('candidate_auc', T.DOUBLE),
    f('serving_auc', T.DOUBLE),
    f('candidate_labelled', T.BIGINT),
    f('serving_labelled', T.BIGINT),
    f('candidate_rows', T.BIGINT, false),
    f('error_rate', T.DOUBLE),
    f('p99_ms', T.DOUBLE),
    f('min_labels', T.BIGINT, false),
    f('min_gain', T.DOUBLE, false),
    f('max_error_rate', T.DOUBLE),
    f('max_p99_ms', T.DOUBLE),
  ];
}

/** Creates `<model>_events` when it does not exist yet (recorded like any CREATE STREAM). */
export async function ensureModelEvents(session: Session, model: string): Promise<void> {
  if (session.record.replaying) return;
  const name = modelEventsName(session.models.signature(model).name);
  if (session.catalog.findRelation(name)) return;
  await createLogStream(session, name, modelEventFields(), 'decided_at');
}

/** Stages one decision as a row of `<model>_events` in `wb` (nothing when the stream was dropped). */
export function stageModelEvent(session: Session, model: string, e: DecisionEvent, wb: WriteBatch, at = Date.now()): void {
  const def = session.catalog.findRelation(modelEventsName(session.models.signature(model).name));
  if (!def || def.kind !== 'stream') return;
  const big = (n: number | null | undefined) => (n === null || n === undefined ? null : BigInt(Math.round(n)));
  const row = {
    decided_at: at,
    action: e.action,
    version: e.version,
    serving_version: e.servingVersion,
    reason: e.reason,
    candidate_auc: e.evidence.candidateAuc,
    serving_auc: e.evidence.servingAuc,
    candidate_labelled: big(e.evidence.candidateLabelled),
    serving_labelled: big(e.evidence.servingLabelled),
    candidate_rows: big(e.evidence.candidateRows),
    error_rate: e.evidence.errorRate,
    p99_ms: e.evidence.p99Ms,
    min_labels: big(e.thresholds.minLabels),
    min_gain: e.thresholds.minGain,
    max_error_rate: e.thresholds.maxErrorRate ?? null,
    max_p99_ms: e.thresholds.maxP99Ms ?? null,
  };
  stageStreamRows(session.storage.log, def, logTopicOf(def, 'appending a decision to'), [row], wb);
}
