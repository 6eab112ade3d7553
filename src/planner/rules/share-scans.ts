/**
 * Scan sharing: when a query reads the same input more than once (a self-join, such as a stream
 * joined with an aggregate of itself), every scan of it is served by one reader. The scans stay
 * where they are, with the columns they had, and are marked with the same `shared.id`; the
 * pipeline builds one source for the union of their columns and hands each scan its own columns
 * of every batch (Flink's source reuse). So the input is generated or decoded once, and its
 * position is one position: a checkpoint stores it once and a restart resumes every scan of it
 * from there.
 *
 * Invariant: the rewrite never changes a query's output, nor any operator or its state id: only
 * SourceExec leaves gain the mark. Scans share a reader only when they read the same relation in
 * the same way (connector, options, changes, watermark delay, start position).
 */
import type { Field } from '../../common/types.js';
import { mapPhysicalInputs, physicalInputs, type PhysicalPlan, type SourceExec } from '../physical.js';

export function shareScans(plan: PhysicalPlan): PhysicalPlan {
  const groups = new Map<string, SourceExec[]>();
  const collect = (p: PhysicalPlan): void => {
    if (p.kind === 'SourceExec') {
      const key = readKey(p);
      const group = groups.get(key);
      if (group) group.push(p);
      else groups.set(key, [p]);
    }
    physicalInputs(p).forEach(collect);
  };
  collect(plan);
  const marks = new Map<SourceExec, NonNullable<SourceExec['shared']>>();
  let id = 0;
  for (const scans of groups.values()) {
    if (scans.length < 2) continue;
    id++;
    const fieldOf = new Map<number, Field>();
    for (const s of scans) s.columns.forEach((c, i) => fieldOf.set(c, s.fields[i]!));
    const columns = [...fieldOf.keys()].sort((a, b) => a - b);
    const shared = { id, columns, fields: columns.map((c) => fieldOf.get(c)!) };
    for (const s of scans) marks.set(s, shared);
  }
  if (marks.size === 0) return plan;
  const mark = (p: PhysicalPlan): PhysicalPlan => {
    if (p.kind !== 'SourceExec') return mapPhysicalInputs(p, mark);
    const shared = marks.get(p);
    return shared ? { ...p, shared } : p;
  };
  return mark(plan);
}

/** What a scan reads apart from its columns: scans with the same key can share one reader. */
function readKey(s: SourceExec): string {
  const { relation, relationKind, connector, options, changes, startAt } = s;
  return JSON.stringify({ relation, relationKind, connector, options, changes, startAt, delayMs: s.watermark?.delayMs }, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

