/** Which materialized views and sinks read a stream, table, view, model or function. */
import { SluiceError } from '../common/errors.js';
import { normalizeName, type Ident } from '../parser/index.js';
import type { Catalog, QueryDependencies } from '../planner/catalog.js';

/** A materialized view or sink that reads some object. */
export interface Reader {
  readonly keyword: 'MATERIALIZED VIEW' | 'SINK';
  readonly name: string;
}

/**
 * The materialized views and sinks other than `self` that read the object named `name`, from
 * the dependencies each recorded when it was created.
 */
export function readersOf(catalog: Catalog, what: keyof QueryDependencies, name: string, self = ''): Reader[] {
  const n = normalizeName(name);
  const out: Reader[] = [];
  for (const def of catalog.listRelations()) {
    if ((def.kind !== 'view' && def.kind !== 'sink') || normalizeName(def.name) === normalizeName(self)) continue;
    if (def.reads[what].has(n)) out.push({ keyword: def.kind === 'view' ? 'MATERIALIZED VIEW' : 'SINK', name: def.name });
  }
  return out;
}

/** "materialized view v" / "sink s", for messages. */
export function readerLabel(r: Reader): string {
  return `${r.keyword.toLowerCase()} ${r.name}`;
}

/**
 * Refuses to drop (or replace) an object that views or sinks read: they could not run, nor
 * start again on restart, and a replaced function could change the types they were planned with.
 */
export function refuseIfRead(catalog: Catalog, what: keyof QueryDependencies, name: Ident, verb: 'drop' | 'replace', label: string, alternative?: string): void {
  const readers = readersOf(catalog, what, name.name, name.name);
  if (readers.length === 0) return;
  const list = readers.map(readerLabel).join(', ');
  const drops = readers.map((r) => `DROP ${r.keyword} ${r.name}`).join('; ');
  throw new SluiceError('IN_USE', `cannot ${verb} ${label} '${name.name}': ${list} ${readers.length === 1 ? 'reads' : 'read'} it`, {
    span: name.span,
    hint: `drop ${readers.length === 1 ? 'it' : 'them'} first (${drops})${alternative ? `, ${alternative}` : ''}`,
  });
}
