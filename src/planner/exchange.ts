/**
 * Where a query is cut to run across processes: below the first keyed stateful operator runs
 * per source partition, above it runs per key partition, and between the two the rows are
 * exchanged (repartitioned) by key.
 *
 * Only shapes that can be cut this way are accepted: one source, stateless operators below the
 * cut, one keyed operator (a GROUP BY, windowed or not, or the final phase of a two-phase one),
 * and stateless operators above it. A windowed GROUP BY is keyed by its non-window columns, so
 * every window of a key is in the same place.
 */
import { SluiceError, assertNever } from '../common/errors.js';
import { columnsOf, type BoundExpr } from './bound-expr.js';
import { physicalInputs, withPhysicalInputs, type ExchangeExec, type PhysicalKind, type PhysicalPlan, type SourceExec } from './physical.js';

export interface ExchangeSplit {
  /** The only source of the query. */
  readonly source: SourceExec;
  /** The whole plan, with `exchange` inserted below its keyed operator. */
  readonly plan: PhysicalPlan;
  /**
   * Where the plan is cut: the source stage runs the exchange and the plan below it once per
   * source partition; the keyed stage runs the plan above it once per key partition. Absent
   * when the query keeps no keyed state (one stage runs the whole plan).
   */
  readonly exchange?: ExchangeExec;
}

/** Kinds that keep no keyed state across batches, so they run wherever their input is. */
const STATELESS: { readonly [K in PhysicalKind]: boolean } = {
  SourceExec: false,
  ExchangeExec: false,
  FilterExec: true,
  ProjectExec: true,
  StreamLookupJoinExec: true,
  PredictExec: true,
  WindowAssignExec: true,
  LocalAggregateExec: true,
  IntervalJoinExec: false,
  HashJoinExec: false,
  OverExec: false,
  UnnestExec: true,
  // Several inputs: the cut takes one source.
  UnionExec: false,
  WindowAggregateExec: false,
  GroupAggregateExec: false,
};

/** The single input of a node above or below the cut (stateless kinds have exactly one). */
function inputOf(p: PhysicalPlan): PhysicalPlan {
  return physicalInputs(p)[0]!;
}

/** Cuts `plan` at its keyed operator, or says why it cannot run across processes. */
export function splitAtExchange(plan: PhysicalPlan, topic: string, what: string): ExchangeSplit {
  const above: PhysicalPlan[] = [];
  let node = plan;
  while (STATELESS[node.kind] && node.kind !== 'LocalAggregateExec') {
    above.push(node);
    node = inputOf(node);
  }
  if (node.kind === 'SourceExec') return { source: checkSource(node, what), plan };
  if (node.kind !== 'GroupAggregateExec' && node.kind !== 'WindowAggregateExec') {
    throw new SluiceError('UNSUPPORTED', `${what}: a query with ${describe(node)} cannot run across processes yet`, {
      hint: "'scale.out' supports filters, projections, lookup joins, predict() and one GROUP BY (windowed or not); drop 'scale.out' to run it in one process",
    });
  }
  const lower = node.input;
  const source = checkLower(lower, what);
  const width = lower.fields.length;
  const key: BoundExpr[] =
    node.kind === 'WindowAggregateExec'
      ? // Group expressions past the input's columns read window_start / window_end.
        node.groupBy.filter((g) => [...columnsOf(g)].every((c) => c < width))
      : node.phase === 'final'
        ? node.groupBy.map((_, i) => ({ kind: 'Column', index: i, name: lower.fields[i]!.name, type: lower.fields[i]!.type }))
        : [...node.groupBy];
  if (node.kind === 'GroupAggregateExec' && key.length === 0) {
    // Every key partition would hold its own copy of the one row an aggregate without GROUP BY has.
    throw new SluiceError('UNSUPPORTED', `${what}: an aggregate without GROUP BY has one group, so it cannot be spread across processes`, {
      hint: "add a GROUP BY, or drop 'scale.out' to run it in one process",
    });
  }
  const exchange: ExchangeExec = { kind: 'ExchangeExec', input: lower, key, topic, fields: lower.fields };
  let cut: PhysicalPlan = { ...node, input: exchange };
  for (let i = above.length - 1; i >= 0; i--) cut = withPhysicalInputs(above[i]!, [cut]);
  return { source, plan: cut, exchange };
}

function checkLower(plan: PhysicalPlan, what: string): SourceExec {
  let node = plan;
  while (node.kind !== 'SourceExec') {
    if (!STATELESS[node.kind]) {
      throw new SluiceError('UNSUPPORTED', `${what}: ${describe(node)} below the GROUP BY cannot run across processes yet`, {
        hint: "'scale.out' supports one keyed GROUP BY per query; drop 'scale.out' to run it in one process",
      });
    }
    node = inputOf(node);
  }
  return checkSource(node, what);
}

function checkSource(source: SourceExec, what: string): SourceExec {
  if (source.relationKind !== 'stream') {
    throw new SluiceError('UNSUPPORTED', `${what}: 'scale.out' needs a Kafka stream as input, but ${source.relation} is a ${source.relationKind} (read whole, as its changelog, in one process)`, {
      hint: "read a stream WITH (connector = 'kafka', ...) and join the table by its key, or drop 'scale.out'",
    });
  }
  if (source.connector !== 'kafka') {
    throw new SluiceError('UNSUPPORTED', `${what}: 'scale.out' needs a Kafka stream as input, but ${source.relation} uses connector '${source.connector}'`, {
      hint: "processes share work through the input topic's partitions: read from a stream WITH (connector = 'kafka', ...)",
    });
  }
  return source;
}

function describe(p: PhysicalPlan): string {
  switch (p.kind) {
    case 'IntervalJoinExec':
      return 'a join of two streams';
    case 'HashJoinExec':
      return 'a join of two inputs';
    case 'OverExec':
      return 'a window function (OVER)';
    case 'UnionExec':
      return 'a UNION';
    case 'GroupAggregateExec':
      return 'a second GROUP BY';
    case 'WindowAggregateExec':
      return 'a second windowed GROUP BY';
    case 'ExchangeExec':
      return 'a second exchange';
    case 'SourceExec':
    case 'FilterExec':
    case 'ProjectExec':
    case 'StreamLookupJoinExec':
    case 'UnnestExec':
    case 'WindowAssignExec':
    case 'LocalAggregateExec':
    case 'PredictExec':
      return p.kind;
    default:
      return assertNever(p, 'physical plan node');
  }
}
