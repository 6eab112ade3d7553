/**
 * Which CASTs exist (docs/sql.md, "Casts"). A pair missing here is refused when the query is
 * planned, with the reason, instead of producing a value of the wrong kind at run time.
 */
import { mapTypes, typeToString, type DataType } from '../common/types.js';

const NUMBERS = new Set<DataType['kind']>(['INT', 'BIGINT', 'FLOAT', 'DOUBLE']);

/** Why `from` cannot be cast to `to`, or undefined when it can. */
export function castRefusal(from: DataType, to: DataType): string | undefined {
  if (from.kind === 'NULL' || sameType(from, to)) return undefined;
  const refuse = `cannot cast ${typeToString(from)} to ${typeToString(to)}`;
  if (from.kind === 'STRING') return undefined;
  switch (to.kind) {
    case 'STRING':
      return undefined;
    case 'INT':
    case 'BIGINT':
      return NUMBERS.has(from.kind) || from.kind === 'BOOLEAN' || from.kind === 'TIMESTAMP' || from.kind === 'INTERVAL' ? undefined : refuse;
    case 'FLOAT':
    case 'DOUBLE':
    case 'BOOLEAN':
      return NUMBERS.has(from.kind) || from.kind === 'BOOLEAN' ? undefined : refuse;
    case 'TIMESTAMP':
      return NUMBERS.has(from.kind) || from.kind === 'TIMESTAMP' || from.kind === 'DATE' ? undefined : refuse;
    case 'DATE':
      // A DATE is text or a TIMESTAMP's day; a number is not one (DuckDB refuses it too).
      return from.kind === 'TIMESTAMP' ? undefined : refuse;
    case 'TIME':
      // A TIME is text or a TIMESTAMP's time of day.
      return from.kind === 'TIMESTAMP' ? undefined : refuse;
    case 'ARRAY': {
      // A MAP to a MAP whose keys and values the old ones cast to; a list to a list likewise.
      const [a, b] = [mapTypes(from), mapTypes(to)];
      if (a && b) return castRefusal(a.key, b.key) === undefined && castRefusal(a.value, b.value) === undefined ? undefined : refuse;
      if (a || b) return refuse;
      return from.kind === 'ARRAY' ? (castRefusal(from.element, to.element) === undefined ? undefined : refuse) : refuse;
    }
    case 'BYTES':
      // (Text to BYTES is above.)
      return refuse;
    case 'STRUCT': {
      // By field name, as DuckDB: at least one field in common, each castable; the others NULL.
      if (from.kind !== 'STRUCT') return refuse;
      const common = to.fields.map((f) => [f, from.fields.find((g) => g.name.toLowerCase() === f.name.toLowerCase())] as const).filter(([, g]) => g !== undefined);
      if (common.length === 0) return `${refuse}: they have no field name in common`;
      return common.every(([f, g]) => castRefusal(g!.type, f.type) === undefined) ? undefined : refuse;
    }
    case 'INTERVAL':
    case 'NULL':
      // (Text to INTERVAL is above.)
      return refuse;
  }
}

function sameType(a: DataType, b: DataType): boolean {
  return typeToString(a) === typeToString(b);
}
