/** What the executor needs from the engine around it. */
import type { PredictExec, SourceExec } from '../planner/physical.js';
import type { PredictRollout } from './operators/predict.js';
import type { ModelRegistry } from '../udf/model-registry.js';
import type { UdfResolver } from './compile-expr.js';
import type { TableLookup } from './operators/lookup-join.js';
import type { Source } from './source.js';

/** Lookups only: the executor builds every operator itself (build-operator.ts). */
export interface ExecEnv {
  source(plan: SourceExec): Source;
  table(name: string): TableLookup;
  readonly models: ModelRegistry;
  readonly udfs: UdfResolver;
  /** Candidates and the prediction log of a predict node; absent: the serving version only, no log. */
  readonly predictRollout?: (plan: PredictExec) => PredictRollout;
  /**
   * How this pipeline meets an ExchangeExec (a query cut to run across processes). `send`: the
   * pipeline ends at the exchange, which routes each row to one of `partitions`; `receive`: the
   * pipeline runs above the exchange and `source` delivers the rows sent to its partition.
   * Absent: rows pass through the exchange (one partition).
   */
  readonly exchange?: { readonly side: 'send'; readonly partitions: number } | { readonly side: 'receive'; readonly source: Source };
}
