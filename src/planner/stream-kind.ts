/**
 * The stream kind of a plan node's output, computed here and nowhere else (see
 * docs/changelog.md and src/exec/message.ts for the change kinds themselves):
 *
 * - `append-only`: every row is an insert (+I); nothing is ever taken back. `key`, when known,
 *   are output columns no two rows share (a windowed GROUP BY's window and group columns).
 * - `upsert`: rows are changes (+I, -U/+U pairs, -D) of a table in which `key` (output column
 *   indexes) identifies at most one live row; both halves of a -U/+U pair have the same key.
 * - `retracting`: rows are changes as above, but no output columns identify a row (the key was
 *   projected away, or a join or HOP repeated it); a consumer must match whole rows.
 *
 * Plans are immutable, so the kind is cached per node object.
 */
import { assertNever } from '../common/errors.js';
import type { Field } from '../common/types.js';
import type { BoundExpr } from './bound-expr.js';
import type { LogicalPlan, ScanChanges } from './logical.js';
import type { PhysicalPlan } from './physical.js';

export type StreamKind =
  | { readonly kind: 'append-only'; readonly key?: readonly number[] }
  | { readonly kind: 'retracting' }
  | { readonly kind: 'upsert'; readonly key: readonly number[] };

const APPEND_ONLY: StreamKind = { kind: 'append-only' };
const RETRACTING: StreamKind = { kind: 'retracting' };

export function isUpdating(k: StreamKind): boolean {
  return k.kind !== 'append-only';
}

/** `upsert(card_id, window_start)`, `append-only` or `retracting`, for EXPLAIN. */
export function streamKindText(k: StreamKind, fields: readonly Field[]): string {
  switch (k.kind) {
    case 'append-only':
    case 'retracting':
      return k.kind;
    case 'upsert':
      return `upsert(${k.key.map((i) => fields[i]?.name ?? `#${i}`).join(', ')})`;
    default:
      return assertNever(k, 'stream kind');
  }
}

const logicalCache = new WeakMap<LogicalPlan, StreamKind>();
const physicalCache = new WeakMap<PhysicalPlan, StreamKind>();

export function logicalStreamKind(p: LogicalPlan): StreamKind {
  return cached(logicalCache, p, computeLogical);
}

export function physicalStreamKind(p: PhysicalPlan): StreamKind {
  return cached(physicalCache, p, computePhysical);
}

function cached<P extends object>(cache: WeakMap<P, StreamKind>, p: P, compute: (p: P) => StreamKind): StreamKind {
  let k = cache.get(p);
  if (!k) {
    k = compute(p);
    cache.set(p, k);
  }
  return k;
}

function computeLogical(p: LogicalPlan): StreamKind {
  switch (p.kind) {
    case 'LogicalScan':
      return scan(p.columns, p.changes);
    case 'LogicalFilter':
    case 'LogicalLookupJoin':
      return logicalStreamKind(p.input);
    case 'LogicalProject':
      return project(logicalStreamKind(p.input), p.exprs);
    case 'LogicalIntervalJoin':
      return join(logicalStreamKind(p.left), logicalStreamKind(p.right));
    case 'LogicalUnnest':
      return unnested(logicalStreamKind(p.input));
    case 'LogicalHashJoin':
      return hashJoin(p.joinType, logicalStreamKind(p.left), logicalStreamKind(p.right));
    // A row's window values change as its partition does: its old row is taken back.
    case 'LogicalOver':
      return RETRACTING;
    case 'LogicalWindow':
      return windowed(logicalStreamKind(p.input), p.input.fields.length);
    case 'LogicalAggregate': {
      const w = p.input.kind === 'LogicalWindow' ? p.input : undefined;
      const closesWindows = w !== undefined && p.groupBy.some((g) => g.kind === 'Column' && g.index === w.fields.length - 2);
      return closesWindows ? windowGroups(p.groupBy, w.fields.length - 1) : groups(p.groupBy.length);
    }
    case 'LogicalPredict':
      return keep(logicalStreamKind(p.input), p.keep);
    case 'LogicalUnion':
      return union(p.inputs.map(logicalStreamKind));
    default:
      return assertNever(p, 'plan node');
  }
}

function computePhysical(p: PhysicalPlan): StreamKind {
  switch (p.kind) {
    case 'SourceExec':
      return scan(p.columns, p.changes);
    case 'ExchangeExec':
    case 'FilterExec':
    case 'StreamLookupJoinExec':
      return physicalStreamKind(p.input);
    case 'ProjectExec':
      return project(physicalStreamKind(p.input), p.exprs);
    case 'IntervalJoinExec':
      return join(physicalStreamKind(p.left), physicalStreamKind(p.right));
    case 'UnnestExec':
      return unnested(physicalStreamKind(p.input));
    case 'HashJoinExec':
      return hashJoin(p.joinType, physicalStreamKind(p.left), physicalStreamKind(p.right));
    case 'OverExec':
      return RETRACTING;
    case 'WindowAssignExec':
      return windowed(physicalStreamKind(p.input), p.input.fields.length);
    case 'WindowAggregateExec':
      return windowGroups(p.groupBy, p.input.fields.length + 1);
    case 'GroupAggregateExec':
      return groups(p.groupBy.length);
    // Partial states with signed row counts: each row is a delta, never taken back.
    case 'LocalAggregateExec':
      return APPEND_ONLY;
    case 'PredictExec':
      return keep(physicalStreamKind(p.input), p.keep);
    case 'UnionExec':
      return union(p.inputs.map(physicalStreamKind));
    default:
      return assertNever(p, 'physical plan node');
  }
}

function scan(columns: readonly number[], changes: ScanChanges | undefined): StreamKind {
  if (!changes) return APPEND_ONLY;
  const key = changes.key.map((k) => columns.indexOf(k));
  return key.length > 0 && key.every((k) => k >= 0) ? { kind: 'upsert', key } : RETRACTING;
}

function groups(n: number): StreamKind {
  return { kind: 'upsert', key: Array.from({ length: n }, (_, i) => i) };
}

/**
 * A closed window's row is unique by its group columns; window_end (column `endColumn` of the
 * aggregate's input) follows from window_start and the key, so a key need not include it.
 */
function windowGroups(groupBy: readonly BoundExpr[], endColumn: number): StreamKind {
  const key = groupBy.flatMap((g, i) => (g.kind === 'Column' && g.index === endColumn ? [] : [i]));
  return { kind: 'append-only', key };
}

/** The key survives when every key column is passed through as a plain column reference. */
function project(input: StreamKind, exprs: readonly BoundExpr[]): StreamKind {
  return keep(input, exprs.map((e) => (e.kind === 'Column' ? e.index : -1)));
}

/** `sources[i]` is the input column output column i copies (-1: computed). */
function keep(input: StreamKind, sources: readonly number[]): StreamKind {
  if (input.kind === 'retracting' || !input.key) return input;
  const key = input.key.map((k) => sources.indexOf(k));
  const kept = key.every((k) => k >= 0);
  if (input.kind === 'append-only') return kept ? { kind: 'append-only', key } : APPEND_ONLY;
  return kept ? { kind: 'upsert', key } : RETRACTING;
}

/** Either side's row can match many of the other's, so no key survives a join of two streams. */
/**
 * A union of inserts is inserts; one updating input makes it retracting: a key of one input does
 * not identify a row among the others' rows.
 */
function union(inputs: readonly StreamKind[]): StreamKind {
  return inputs.every((k) => k.kind === 'append-only') ? APPEND_ONLY : RETRACTING;
}

function join(left: StreamKind, right: StreamKind): StreamKind {
  return left.kind === 'append-only' && right.kind === 'append-only' ? APPEND_ONLY : RETRACTING;
}

/** An outer join takes back a padded row when its first partner comes: it is never append-only. */
function hashJoin(type: string, left: StreamKind, right: StreamKind): StreamKind {
  return type === 'INNER' ? join(left, right) : RETRACTING;
}

/** UNNEST repeats a row per element: inserts stay inserts, but no key identifies a row any more. */
function unnested(input: StreamKind): StreamKind {
  return input.kind === 'append-only' ? APPEND_ONLY : RETRACTING;
}

/** HOP repeats a row per window, so a key stays unique only together with window_start. */
function windowed(input: StreamKind, inputWidth: number): StreamKind {
  if (input.kind === 'retracting' || !input.key) return input;
  return { ...input, key: [...input.key, inputWidth] };
}
