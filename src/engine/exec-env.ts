/** Connects the executor to the engine: sources by connector, table lookups, models, functions. */
import { SluiceError } from '../common/errors.js';
import { connectorSource } from '../connectors/registry.js';
import type { ExecEnv } from '../exec/pipeline.js';
import type { Source } from '../exec/source.js';
import { LogSource } from '../exec/sources/log-source.js';
import type { SourceExec } from '../planner/physical.js';
import type { Engine } from './engine.js';

export function createExecEnv(engine: Engine): ExecEnv {
  return {
    source: (plan) => sourceFor(engine, plan),
    table: (name) => {
      const t = engine.table(name);
      return { get: (key) => t.rows.get(key) };
    },
    models: engine.models,
    udfs: (name) => {
      const f = engine.functions.find(name);
      return f ? (args, n) => f.callBatch(args, n) : undefined;
    },
  };
}

function sourceFor(engine: Engine, plan: SourceExec): Source {
  if (plan.connector !== 'view') return connectorSource(plan, { log: engine.log, noteMissedRecords: (topic, n) => engine.noteMissedRecords(topic, n) });
  const def = engine.catalog.relation(plan.relation);
  if (def.kind !== 'view') throw new SluiceError('INTERNAL', `'${plan.relation}' is read as a view but is a ${def.kind}`);
  return new LogSource(engine.log, def.changelog, plan.columns, plan.fields, plan.watermark, def.schema.length, (n) => engine.noteMissedRecords(def.changelog, n));
}
