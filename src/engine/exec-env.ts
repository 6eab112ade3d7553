/** Connects the executor to the engine: sources by connector, table lookups, models, functions. */
import { SluiceError } from '../common/errors.js';
import { txConfig, txEvent } from '../connectors/datagen.js';
import { kafkaSource } from '../connectors/kafka/index.js';
import { nexmarkEvent, nexmarkSourceOptions } from '../connectors/nexmark.js';
import { PredictOperator } from '../exec/operators/predict.js';
import { createStatefulOperator } from '../exec/operators/stateful.js';
import type { ExecEnv } from '../exec/pipeline.js';
import type { Source } from '../exec/source.js';
import { GeneratorSource } from '../exec/sources/generator-source.js';
import { LogSource } from '../exec/sources/log-source.js';
import type { Catalog } from '../planner/catalog.js';
import type { SourceExec } from '../planner/physical.js';
import { physicalStreamKind } from '../planner/stream-kind.js';
import type { EmbeddedLog } from '../state/index.js';
import type { FunctionRegistry } from '../udf/js-function.js';
import type { ModelRegistry } from '../udf/model-registry.js';
import { PredictRunner } from '../udf/predict-runner.js';
import type { EngineMetrics } from './metrics.js';
import type { TableRegistry } from './relation-storage.js';

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
  const env: ExecEnv = {
    source: (plan) => sourceFor(deps, plan),
    table: (name) => {
      const t = deps.tables.table(name);
      return { getMany: (keys) => t.rows.getMany(keys) };
    },
    operator: (plan, input) => createStatefulOperator(plan, input, env.udfs),
    predict: (plan) => {
      // Over an updating input, retractions carry the output emitted for their row.
      const kind = physicalStreamKind(plan.input);
      const rowKey = kind.kind === 'upsert' ? kind.key : kind.kind === 'retracting' ? plan.input.fields.map((_, i) => i) : undefined;
      const runner = new PredictRunner(deps.models, plan.model, plan.width);
      return new PredictOperator({ input: plan.input.fields, keep: plan.keep, fields: plan.fields, args: plan.args, model: plan.model, outputs: plan.outputs, runner, udfs: env.udfs, rowKey });
    },
    udfs: (name) => {
      const f = deps.functions.find(name);
      return f ? (args, n) => f.callBatch(args, n) : undefined;
    },
  };
  return env;
}

function num(options: SourceExec['options'], key: string, dflt: number): number {
  const v = options[key];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new SluiceError('INVALID_ARGUMENT', `option '${key}' must be a number, got '${String(v)}'`);
  return n;
}

function sourceFor(deps: ExecEnvDeps, plan: SourceExec): Source {
  switch (plan.connector) {
    case 'view': {
      const def = deps.catalog.relation(plan.relation);
      if (def.kind === 'view') return new LogSource(deps.log, def.changelog, plan.columns, plan.fields, plan.watermark, def.schema.length, (n) => deps.metrics.recordsMissed(def.changelog, n));
      return unsupported(plan);
    }
    case 'log': {
      const topic = String(plan.options['topic'] ?? plan.relation);
      return new LogSource(deps.log, topic, plan.columns, plan.fields, plan.watermark, undefined, (n) => deps.metrics.recordsMissed(topic, n));
    }
    case 'datagen': {
      const config = txConfig({
        seed: num(plan.options, 'seed', 1),
        eventsPerSecond: num(plan.options, 'rows.per.second', 1000) || 1000,
        numCards: num(plan.options, 'cards', 1000),
        ...(plan.options['base.time'] !== undefined ? { baseTime: num(plan.options, 'base.time', 0) } : { baseTime: Date.now() }),
      });
      return new GeneratorSource(
        {
          name: plan.relation,
          event: (n) => txEvent(n, config) as unknown as Record<string, unknown>,
          firstEvent: 0,
          maxEvents: num(plan.options, 'max.events', Number.POSITIVE_INFINITY),
          rowsPerSecond: num(plan.options, 'rows.per.second', 0),
          batchSize: num(plan.options, 'batch.size', 256),
        },
        plan.fields,
        plan.watermark,
      );
    }
    case 'nexmark': {
      const o = nexmarkSourceOptions(plan.options);
      return new GeneratorSource(
        {
          name: plan.relation,
          event: (n) => {
            const e = nexmarkEvent(n, o.config);
            return e.kind === o.table ? (e.row as unknown as Record<string, unknown>) : undefined;
          },
          firstEvent: o.firstEvent,
          maxEvents: o.maxEvents,
          rowsPerSecond: num(plan.options, 'rows.per.second', 0),
          batchSize: num(plan.options, 'batch.size', 1024),
        },
        plan.fields,
        plan.watermark,
      );
    }
    case 'kafka':
      return kafkaSource(plan);
    default:
      return unsupported(plan);
  }
}

function unsupported(plan: SourceExec): never {
  throw new SluiceError('UNSUPPORTED', `connector '${plan.connector}' of ${plan.relationKind} '${plan.relation}' cannot be read by a continuous query in this build`, {
    hint: "streams can use connector = 'log' (default), 'kafka', 'datagen' or 'nexmark'",
  });
}
