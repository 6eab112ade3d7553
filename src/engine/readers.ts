/** Which materialized views and sinks read a stream, table, view, model or function. */
import { normalizeName, parseStatements } from '../parser/index.js';
import { queryDependencies, type QueryDependencies } from '../planner/dependencies.js';
import type { Engine } from './engine.js';

/** A materialized view or sink that reads some object. */
export interface Reader {
  readonly keyword: 'MATERIALIZED VIEW' | 'SINK';
  readonly name: string;
}

/** The materialized views and sinks other than `self` that read the object named `name`. */
export function readersOf(engine: Engine, what: keyof QueryDependencies, name: string, self = ''): Reader[] {
  const n = normalizeName(name);
  const out: Reader[] = [];
  for (const def of engine.catalog.listRelations()) {
    if ((def.kind !== 'view' && def.kind !== 'sink') || normalizeName(def.name) === normalizeName(self)) continue;
    const stmt = parseStatements(def.sql)[0]?.statement;
    if (stmt?.kind !== 'CreateMaterializedView' && stmt?.kind !== 'CreateSink') continue;
    if (queryDependencies(stmt.query, engine.catalog)[what].has(n)) out.push({ keyword: def.kind === 'view' ? 'MATERIALIZED VIEW' : 'SINK', name: def.name });
  }
  return out;
}

/** "materialized view v" / "sink s", for messages. */
export function readerLabel(r: Reader): string {
  return `${r.keyword.toLowerCase()} ${r.name}`;
}
