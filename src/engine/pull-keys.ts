/**
 * Keys a pull query's filter pins a view or table to, so that it reads those rows by key instead
 * of scanning every row: `WHERE k = 'a'` or `WHERE k IN ('a', 'b')`, ANDed with anything else,
 * right above the scan, where `k` is the relation's one key column, a STRING compared with
 * string literals or an INT or BIGINT with integer literals. The filter still runs over the rows
 * read, so the keys need only include every row it can pass.
 */
import { keyOfValue } from '../common/keys.js';
import type { DataType } from '../common/types.js';
import { normalizeName } from '../parser/index.js';
import type { BoundExpr } from '../planner/bound-expr.js';
import type { Catalog } from '../planner/catalog.js';
import type { PhysicalPlan, SourceExec } from '../planner/physical.js';

/** Keys (as stored, see keyOf) each pinned scan of `plan` reads, by scan node. */
export function pinnedKeys(plan: PhysicalPlan, catalog: Catalog): Map<SourceExec, string[]> {
  const out = new Map<SourceExec, string[]>();
  visit(plan, (p) => {
    if (p.kind !== 'FilterExec' || p.input.kind !== 'SourceExec') return;
    const scan = p.input;
    const key = keyColumn(scan, catalog);
    if (key === undefined) return;
    const keys = pinned(p.predicate, key);
    if (keys) out.set(scan, keys);
  });
  return out;
}

/** The scan's output column holding its relation's one key column, if it is a STRING, INT or BIGINT. */
function keyColumn(scan: SourceExec, catalog: Catalog): number | undefined {
  if ((scan.relationKind !== 'view' && scan.relationKind !== 'table') || scan.constants) return undefined;
  const def = catalog.findRelation(scan.relation);
  let names: readonly string[];
  if (def?.kind === 'view') {
    // A view read from its changelog, or whose rows its key does not tell apart, is not stored by it.
    if (def.pullFrom !== undefined || def.changes === 'retracting') return undefined;
    names = def.key;
  } else if (def?.kind === 'table') names = def.primaryKey;
  else return undefined;
  if (names.length !== 1) return undefined;
  const at = def.schema.findIndex((f) => normalizeName(f.name) === normalizeName(names[0]!));
  const column = scan.columns.indexOf(at);
  const kind = scan.fields[column]?.type.kind;
  return column >= 0 && (kind === 'STRING' || kind === 'INT' || kind === 'BIGINT') ? column : undefined;
}

/** The keys the ANDed conditions of `e` allow column `key` to hold, if one of them pins it. */
function pinned(e: BoundExpr, key: number): string[] | undefined {
  if (e.kind === 'Binary' && e.op === 'AND') return pinned(e.left, key) ?? pinned(e.right, key);
  if (e.kind === 'Binary' && e.op === '=') {
    const value = isKey(e.left, key) ? keyLiteral(e.right, e.left.type) : isKey(e.right, key) ? keyLiteral(e.left, e.right.type) : undefined;
    return value === undefined ? undefined : [value];
  }
  if (e.kind === 'In' && !e.negated && isKey(e.operand, key)) {
    const type = e.operand.type;
    const values = e.list.map((x) => keyLiteral(x, type));
    if (values.some((v) => v === undefined)) return undefined;
    return [...new Set(values as string[])];
  }
  return undefined;
}

function isKey(e: BoundExpr, key: number): boolean {
  return e.kind === 'Column' && e.index === key;
}

/**
 * The stored key of the literal `e` compared with a key column of `type` (see keyOf): a string
 * literal with a STRING column, an integer literal with an INT or BIGINT one. NULL equals
 * nothing and pins nothing; any other literal is left to the filter.
 */
function keyLiteral(e: BoundExpr, type: DataType): string | undefined {
  if (e.kind !== 'Literal') return undefined;
  const v = e.value;
  if (type.kind === 'STRING') return e.type.kind === 'STRING' && typeof v === 'string' ? keyOfValue(v) : undefined;
  const integer = (e.type.kind === 'INT' || e.type.kind === 'BIGINT') && (typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v)));
  return integer ? keyOfValue(v) : undefined;
}

function visit(p: PhysicalPlan, f: (p: PhysicalPlan) => void): void {
  f(p);
  for (const child of inputsOf(p)) visit(child, f);
}

function inputsOf(p: PhysicalPlan): readonly PhysicalPlan[] {
  if ('inputs' in p) return p.inputs;
  if ('left' in p) return [p.left, p.right];
  if ('input' in p) return [p.input];
  return [];
}
