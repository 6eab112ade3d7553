/**
 * The physical plan: plain data the executor turns into operators. Decides operator kinds
 * (window and aggregate fuse into one windowed aggregate; an unwindowed GROUP BY becomes an
 * updating aggregate) and where sources read from.
 */
import { rowConstraints, type RowConstraints } from './constraints.js';
import { SluiceError, assertNever } from '../common/errors.js';
import type { Field } from '../common/types.js';
import type { BoundExpr } from './bound-expr.js';
import type { Catalog, Options } from './catalog.js';
import type { AggregateCall, LogicalPlan, PredictRowInfo, ScanChanges, WindowFn } from './logical.js';
import type { WindowSpec as OverSpec } from './window-spec.js';
import { isUpdating, logicalStreamKind } from './stream-kind.js';
import { leaf, manyInputs, oneInput, planTree, twoInputs, type ChildrenTable } from './plan-tree.js';

export interface SourceExec {
  readonly kind: 'SourceExec';
  readonly relation: string;
  readonly relationKind: 'stream' | 'table' | 'view';
  readonly connector: string;
  readonly options: Options;
  readonly columns: readonly number[];
  readonly fields: readonly Field[];
  readonly watermark?: { readonly column: number; readonly delayMs: number };
  readonly changes?: ScanChanges;
  /** Constant rows (see LogicalScan), given once: connector 'values'. */
  readonly constants?: readonly (readonly BoundExpr[])[];
  /**
   * 'latest': read only records that arrive after the query starts (push queries by default);
   * absent: from the earliest record still stored, or from a checkpoint's positions.
   */
  readonly startAt?: 'latest';
  /**
   * Set when the query reads this input in more than one place (rules/share-scans.ts): every
   * scan with the same `id` is served by one reader of `columns` (relation indexes, the union of
   * the scans' columns, with `fields` their types), whose batches each scan takes its own
   * columns of. EXPLAIN shows it.
   */
  readonly shared?: { readonly id: number; readonly columns: readonly number[]; readonly fields: readonly Field[] };
  /**
   * The stream's CHECKs and DEFAULTs, for a source that reads records from outside (Kafka): a
   * record that breaks a CHECK goes to the dead letters, one that leaves a column out takes its
   * DEFAULT. Streams of the embedded log hold rows INSERT and HTTP ingest checked already.
   */
  readonly constraints?: RowConstraints;
}

export interface FilterExec {
  readonly kind: 'FilterExec';
  readonly input: PhysicalPlan;
  readonly predicate: BoundExpr;
  readonly fields: readonly Field[];
}

export interface ProjectExec {
  readonly kind: 'ProjectExec';
  readonly input: PhysicalPlan;
  readonly exprs: readonly BoundExpr[];
  readonly fields: readonly Field[];
}

export interface StreamLookupJoinExec {
  readonly kind: 'StreamLookupJoinExec';
  readonly input: PhysicalPlan;
  readonly table: string;
  readonly joinType: 'INNER' | 'LEFT';
  readonly keys: readonly BoundExpr[];
  readonly tableColumns: readonly number[];
  readonly fields: readonly Field[];
}

export interface IntervalJoinExec {
  readonly kind: 'IntervalJoinExec';
  readonly left: PhysicalPlan;
  readonly right: PhysicalPlan;
  readonly leftKeys: readonly number[];
  readonly rightKeys: readonly number[];
  readonly leftTime: number;
  readonly rightTime: number;
  readonly lowerMs: number;
  readonly upperMs: number;
  readonly residual?: BoundExpr;
  readonly fields: readonly Field[];
}

export interface HashJoinExec {
  readonly kind: 'HashJoinExec';
  readonly joinType: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'MARK';
  readonly left: PhysicalPlan;
  readonly right: PhysicalPlan;
  readonly leftKeys: readonly number[];
  readonly rightKeys: readonly number[];
  readonly residual?: BoundExpr;
  readonly fields: readonly Field[];
}

export interface OverExec {
  readonly kind: 'OverExec';
  readonly input: PhysicalPlan;
  readonly windows: readonly OverSpec[];
  readonly partitionBy: readonly number[];
  readonly fields: readonly Field[];
}

export interface UnnestExec {
  readonly kind: 'UnnestExec';
  readonly input: PhysicalPlan;
  readonly arrays: readonly BoundExpr[];
  readonly fields: readonly Field[];
}

export interface WindowSpec {
  readonly fn: WindowFn;
  readonly timeColumn: number;
  readonly sizeMs: number;
  readonly slideMs: number;
  readonly gapMs: number;
}

/** TUMBLE/HOP without aggregation: stamps window_start/window_end on rows. */
export interface WindowAssignExec {
  readonly kind: 'WindowAssignExec';
  readonly input: PhysicalPlan;
  readonly window: WindowSpec;
  readonly fields: readonly Field[];
}

/**
 * Windowed GROUP BY: keeps per-window, per-key accumulators and emits a window's rows once the
 * watermark passes its end. `groupBy` reads the window's input; index `windowStart` /
 * `windowEnd` of the group list are the window bounds.
 */
export interface WindowAggregateExec {
  readonly kind: 'WindowAggregateExec';
  readonly input: PhysicalPlan;
  readonly window: WindowSpec;
  readonly groupBy: readonly BoundExpr[];
  readonly aggregates: readonly AggregateCall[];
  readonly fields: readonly Field[];
}

/**
 * Unwindowed GROUP BY: an updating table; every change emits update/insert rows. In phase
 * `final` (absent means `single`) its input is a LocalAggregateExec: it merges partial states
 * instead of adding raw rows, and `groupBy`/`aggregates` still describe the original query
 * (for EXPLAIN); the group values are the input's leading columns.
 */
export interface GroupAggregateExec {
  readonly kind: 'GroupAggregateExec';
  readonly input: PhysicalPlan;
  readonly groupBy: readonly BoundExpr[];
  readonly aggregates: readonly AggregateCall[];
  readonly fields: readonly Field[];
  readonly phase?: 'single' | 'final';
}

/**
 * The partial phase of a two-phase GROUP BY: per input batch, rows of one (group, salt) are
 * pre-combined into one partial accumulator state. Output columns: the group values, the salt,
 * the net row count (inserts minus retractions), then one serialised state per aggregate.
 * Keeps no state across batches. `salt` > 1 spreads each key over that many partials (row index
 * modulo `salt`); independently, a key holding more than `skewThreshold` of a batch's rows is
 * spread over `SKEW_SALTS` partials.
 */
export interface LocalAggregateExec {
  readonly kind: 'LocalAggregateExec';
  readonly input: PhysicalPlan;
  readonly groupBy: readonly BoundExpr[];
  readonly aggregates: readonly AggregateCall[];
  readonly salt: number;
  readonly skewThreshold: number;
  readonly fields: readonly Field[];
}

/** Salts a key found skewed within one batch is spread over. */
export const SKEW_SALTS = 4;

export interface PredictExec {
  readonly kind: 'PredictExec';
  readonly input: PhysicalPlan;
  /** Input columns passed through to the output, before the score and version. */
  readonly keep: readonly number[];
  readonly model: string;
  readonly version?: number;
  readonly rowInfo: PredictRowInfo;
  readonly args: readonly BoundExpr[];
  readonly width: number;
  readonly outputs: readonly Field[];
  readonly fields: readonly Field[];
}

/**
 * Repartitions rows by key, so rows with equal keys meet in the same instance of the keyed
 * operator above. Inserted where a query is cut to run across processes (exchange.ts): the plan
 * below runs once per source partition and sends each row to partition hash(key) mod N of
 * `topic`; the plan above runs once per key partition and reads it.
 */
export interface ExchangeExec {
  readonly kind: 'ExchangeExec';
  readonly input: PhysicalPlan;
  /** Key expressions over the input's rows: equal keys go to the same partition. */
  readonly key: readonly BoundExpr[];
  /** Where the exchanged rows travel (the repartition topic). */
  readonly topic: string;
  readonly fields: readonly Field[];
}

/** UNION ALL: forwards every input's rows (port i = input i); the watermark is the least of the inputs'. */
export interface UnionExec {
  readonly kind: 'UnionExec';
  readonly inputs: readonly PhysicalPlan[];
  readonly fields: readonly Field[];
}

export type PhysicalPlan =
  | UnionExec
  | SourceExec
  | ExchangeExec
  | FilterExec
  | ProjectExec
  | StreamLookupJoinExec
  | IntervalJoinExec
  | HashJoinExec
  | UnnestExec
  | OverExec
  | WindowAssignExec
  | WindowAggregateExec
  | GroupAggregateExec
  | LocalAggregateExec
  | PredictExec;

export function toPhysical(plan: LogicalPlan, catalog: Catalog): PhysicalPlan {
  const rec = (p: LogicalPlan) => toPhysical(p, catalog);
  switch (plan.kind) {
    case 'LogicalScan': {
      if (plan.constants) return { kind: 'SourceExec', relation: plan.relation, relationKind: plan.relationKind, connector: 'values', options: {}, columns: plan.columns, fields: plan.fields, constants: plan.constants };
      const def = catalog.relation(plan.relation);
      const connector = String(def.options['connector'] ?? (def.kind === 'stream' || def.kind === 'sink' ? 'log' : def.kind === 'table' ? 'table' : 'view')).toLowerCase();
      const constraints = def.kind === 'stream' && connector === 'kafka' ? rowConstraints(def, catalog) : undefined;
      return {
        kind: 'SourceExec',
        relation: plan.relation,
        relationKind: plan.relationKind,
        connector,
        options: def.options,
        columns: plan.columns,
        fields: plan.fields,
        ...(plan.watermark ? { watermark: plan.watermark } : {}),
        ...(plan.changes ? { changes: plan.changes } : {}),
        ...(constraints ? { constraints } : {}),
      };
    }
    case 'LogicalFilter':
      return { kind: 'FilterExec', input: rec(plan.input), predicate: plan.predicate, fields: plan.fields };
    case 'LogicalProject':
      return { kind: 'ProjectExec', input: rec(plan.input), exprs: plan.exprs, fields: plan.fields };
    case 'LogicalLookupJoin':
      return {
        kind: 'StreamLookupJoinExec',
        input: rec(plan.input),
        table: plan.table,
        joinType: plan.joinType,
        keys: plan.keys,
        tableColumns: plan.tableColumns,
        fields: plan.fields,
      };
    case 'LogicalIntervalJoin': {
      const { kind: _k, left, right, ...rest } = plan;
      return { ...rest, kind: 'IntervalJoinExec', left: rec(left), right: rec(right) };
    }
    case 'LogicalUnnest':
      return { kind: 'UnnestExec', input: rec(plan.input), arrays: plan.arrays, fields: plan.fields };
    case 'LogicalOver':
      return { kind: 'OverExec', input: rec(plan.input), windows: plan.windows, partitionBy: plan.partitionBy, fields: plan.fields };
    case 'LogicalHashJoin': {
      const { kind: _k, left, right, ...rest } = plan;
      return { ...rest, kind: 'HashJoinExec', left: rec(left), right: rec(right) };
    }
    case 'LogicalWindow': {
      if (plan.fn === 'SESSION') {
        throw new SluiceError('UNSUPPORTED', 'SESSION windows need a GROUP BY window_start, window_end', {
          hint: 'aggregate over the session window, e.g. GROUP BY window_start, window_end, key',
        });
      }
      return { kind: 'WindowAssignExec', input: rec(plan.input), window: windowSpec(plan), fields: plan.fields };
    }
    case 'LogicalAggregate': {
      const w = plan.input.kind === 'LogicalWindow' ? plan.input : undefined;
      const groupsWindow = w && plan.groupBy.some((g) => g.kind === 'Column' && g.index === w.fields.length - 2);
      if (w && groupsWindow) {
        if (isUpdating(logicalStreamKind(w.input))) {
          throw new SluiceError('UNSUPPORTED', 'a windowed GROUP BY needs an append-only input, but this one carries updates (-U/+U/-D)', {
            hint: 'window the stream the updating view or GROUP BY reads, or GROUP BY without a window',
          });
        }
        return {
          kind: 'WindowAggregateExec',
          input: rec(w.input),
          window: windowSpec(w),
          groupBy: plan.groupBy,
          aggregates: plan.aggregates,
          fields: plan.fields,
        };
      }
      return { kind: 'GroupAggregateExec', input: rec(plan.input), groupBy: plan.groupBy, aggregates: plan.aggregates, fields: plan.fields };
    }
    case 'LogicalPredict':
      return {
        kind: 'PredictExec',
        input: rec(plan.input),
        keep: plan.keep,
        model: plan.model,
        ...(plan.version !== undefined ? { version: plan.version } : {}),
        rowInfo: plan.rowInfo,
        args: plan.args,
        width: plan.width,
        outputs: plan.outputs,
        fields: plan.fields,
      };
    case 'LogicalUnion':
      return { kind: 'UnionExec', inputs: plan.inputs.map(rec), fields: plan.fields };
    default:
      return assertNever(plan, 'plan node');
  }
}

function windowSpec(w: Extract<LogicalPlan, { kind: 'LogicalWindow' }>): WindowSpec {
  return { fn: w.fn, timeColumn: w.timeColumn, sizeMs: w.sizeMs, slideMs: w.slideMs, gapMs: w.gapMs };
}

export type PhysicalKind = PhysicalPlan['kind'];

/** One entry per node kind: a new kind without one fails to compile. */
const PHYSICAL_CHILDREN: ChildrenTable<PhysicalPlan> = {
  SourceExec: leaf(),
  ExchangeExec: oneInput(),
  FilterExec: oneInput(),
  ProjectExec: oneInput(),
  StreamLookupJoinExec: oneInput(),
  IntervalJoinExec: twoInputs(),
  HashJoinExec: twoInputs(),
  UnnestExec: oneInput(),
  OverExec: oneInput(),
  WindowAssignExec: oneInput(),
  WindowAggregateExec: oneInput(),
  GroupAggregateExec: oneInput(),
  LocalAggregateExec: oneInput(),
  PredictExec: oneInput(),
  UnionExec: manyInputs(),
};

const tree = planTree(PHYSICAL_CHILDREN);
/** The inputs of a node, left to right. */
export const physicalInputs = tree.children;
/** A node with its inputs replaced (same count and order as physicalInputs). */
export const withPhysicalInputs = tree.withChildren;
/** A node rebuilt with `f` applied to each of its inputs. */
export const mapPhysicalInputs = tree.mapChildren;
