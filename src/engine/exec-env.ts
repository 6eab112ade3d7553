/** Connects the executor to the engine: sources by connector, table lookups, models, functions. */
import { SluiceError } from '../common/errors.js';
import { connectorSource } from '../connectors/registry.js';
import type { ExecEnv } from '../exec/pipeline.js';
import type { Source } from '../exec/source.js';
import { LogSource } from '../exec/sources/log-source.js';
import { ConstantSource } from '../exec/sources/constant-source.js';
import type { UdfResolver } from '../exec/compile-expr.js';
import type { Catalog } from '../planner/catalog.js';
import type { SourceExec } from '../planner/physical.js';
import type { EmbeddedLog } from '../state/index.js';
import type { FunctionRegistry } from '../udf/js-function.js';
import type { ModelRegistry } from '../udf/model-registry.js';
import type { EngineMetrics } from './metrics.js';
import { predictRollout } from './prediction-log.js';
import { startTableChangelog, tableChangelogTopic, type TableRegistry } from './relation-storage.js';

/** What the executor reaches of the deps. */
export interface ExecEnvDeps {
  readonly catalog: Catalog;
  readonly log: EmbeddedLog;
  readonly tables: TableRegistry;
  readonly models: ModelRegistry;
  readonly functions: FunctionRegistry;
  readonly metrics: EngineMetrics;
}

export function createExecEnv(deps: ExecEnvDeps): ExecEnv {
  return {
    source: (plan) => sourceFor(deps, plan),
    table: (name) => {
      const t = deps.tables.table(name);
      return { getMany: (keys) => t.rows.getMany(keys), version: () => t.rows.version };
    },
    models: deps.models,
    predictRollout: (plan) => predictRollout(deps.models, plan, (t) => deps.log.hasTopic(t)),
    udfs: udfsOf(deps),
  };
}

function udfsOf(deps: ExecEnvDeps): UdfResolver {
  return (name) => {
    const f = deps.functions.find(name);
    return f ? (args, n) => f.callBatch(args, n) : undefined;
  };
}

/** A view's or table's changelog, or a stream through its connector. */
function sourceFor(deps: ExecEnvDeps, plan: SourceExec): Source {
  if (plan.constants) return new ConstantSource(plan, udfsOf(deps));
  if (plan.relationKind === 'table') return tableSource(deps, plan);
  if (plan.connector !== 'view') return connectorSource(plan, { log: deps.log, noteMissedRecords: (topic, n) => deps.metrics.recordsMissed(topic, n) });
  const def = deps.catalog.relation(plan.relation);
  if (def.kind !== 'view') throw new SluiceError('INTERNAL', `'${plan.relation}' is read as a view but is a ${def.kind}`);
  return new LogSource(deps.log, def.changelog, plan.columns, plan.fields, plan.watermark, def.schema.length, (n) => deps.metrics.recordsMissed(def.changelog, n));
}

/**
 * A table streamed whole: its changelog from the first record (the rows it had when the
 * changelog started, then every change), started the first time a query runs over it.
 */
function tableSource(deps: ExecEnvDeps, plan: SourceExec): Source {
  const t = deps.tables.table(plan.relation);
  const topic = tableChangelogTopic(t.def);
  let inner: LogSource | undefined;
  let saved: Readonly<Record<string, number>> = {};
  return {
    name: `log:${topic}`,
    fields: plan.fields,
    seek(positions) {
      saved = positions;
      inner?.seek(positions);
    },
    // Before it runs, a new reader stands at the changelog's first record.
    positions: () => inner?.positions() ?? (Object.keys(saved).length ? { ...saved } : { [`${topic}/0`]: 0 }),
    // Started as the query opens, so that its lag counts the table's rows before it runs: a
    // reader waiting for the query to catch up (a pull after CREATE VIEW) waits for them.
    open: () => startTableChangelog(t, deps.log),
    async run(ctx, bounded) {
      if (!inner) {
        await startTableChangelog(t, deps.log);
        inner = new LogSource(deps.log, topic, plan.columns, plan.fields, undefined, t.def.schema.length, (n) => deps.metrics.recordsMissed(topic, n));
        inner.seek(saved);
      }
      await inner.run(ctx, bounded);
    },
  };
}
