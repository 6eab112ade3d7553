/**
 * SQL data types. A closed union; every layer switches over `kind` exhaustively.
 * TIMESTAMP values are epoch milliseconds (precision 3); DATE values are the epoch milliseconds of
 * their day's midnight (UTC), so a DATE compares with a TIMESTAMP as DuckDB's does (as the
 * timestamp of its midnight); TIME values are milliseconds since midnight (0 to 86,400,000:
 * 24:00:00 is a time of day too, as in DuckDB); INTERVAL values are milliseconds.
 */
export type DataType =
  | { readonly kind: 'BOOLEAN' }
  | { readonly kind: 'INT' }
  | { readonly kind: 'BIGINT' }
  | { readonly kind: 'FLOAT' }
  | { readonly kind: 'DOUBLE'; readonly decimal?: Decimal }
  /** `json`: declared JSON (text holding JSON; a CAST to it checks and normalises the text). */
  | { readonly kind: 'STRING'; readonly json?: true }
  | { readonly kind: 'BYTES' }
  | { readonly kind: 'TIMESTAMP'; readonly precision: number }
  | { readonly kind: 'DATE' }
  | { readonly kind: 'TIME' }
  | { readonly kind: 'INTERVAL' }
  /**
   * `map`: a MAP(K, V), held as the list of its entries, ARRAY<STRUCT<key K, value V>>, as Arrow
   * and DuckDB hold one: keys are unique and never NULL, entries keep the order they were given.
   */
  | { readonly kind: 'ARRAY'; readonly element: DataType; readonly size?: number; readonly map?: true }
  | { readonly kind: 'STRUCT'; readonly fields: readonly Field[] }
  | { readonly kind: 'NULL' };

/**
 * DECIMAL(precision, scale): a DOUBLE whose every value is the double nearest a number of `scale`
 * decimals (each operation that makes one rounds its result, half away from zero), so that
 * `0.1 + 0.2 = 0.3` as in DuckDB. Exact up to 15 significant digits; beyond, as a double is.
 */
export interface Decimal {
  readonly precision: number;
  readonly scale: number;
}

export interface Field {
  readonly name: string;
  readonly type: DataType;
  readonly nullable: boolean;
}

export const T = {
  BOOLEAN: { kind: 'BOOLEAN' },
  INT: { kind: 'INT' },
  BIGINT: { kind: 'BIGINT' },
  FLOAT: { kind: 'FLOAT' },
  DOUBLE: { kind: 'DOUBLE' },
  STRING: { kind: 'STRING' },
  BYTES: { kind: 'BYTES' },
  TIMESTAMP: { kind: 'TIMESTAMP', precision: 3 },
  DATE: { kind: 'DATE' },
  TIME: { kind: 'TIME' },
  INTERVAL: { kind: 'INTERVAL' },
  NULL: { kind: 'NULL' },
} as const satisfies Record<string, DataType>;

export function arrayOf(element: DataType, size?: number): DataType {
  return size === undefined ? { kind: 'ARRAY', element } : { kind: 'ARRAY', element, size };
}

/** MAP(key, value): the list of its entries (see DataType). */
export function mapOf(key: DataType, value: DataType): DataType {
  return {
    kind: 'ARRAY',
    element: { kind: 'STRUCT', fields: [{ name: 'key', type: key, nullable: false }, { name: 'value', type: value, nullable: true }] },
    map: true,
  };
}

/** The key and value types of a MAP, or undefined for any other type. */
export function mapTypes(t: DataType): { readonly key: DataType; readonly value: DataType } | undefined {
  if (t.kind !== 'ARRAY' || !t.map || t.element.kind !== 'STRUCT') return undefined;
  return { key: t.element.fields[0]!.type, value: t.element.fields[1]!.type };
}

/** The largest DECIMAL precision, as DuckDB's and the SQL standard's usual limit. */
export const MAX_DECIMAL_PRECISION = 38;

export function decimalType(precision: number, scale: number): DataType {
  const p = Math.min(MAX_DECIMAL_PRECISION, Math.max(precision, scale, 1));
  return { kind: 'DOUBLE', decimal: { precision: p, scale: Math.min(scale, p) } };
}

/** The DECIMAL of a type, if it is one. */
export function decimalOf(t: DataType): Decimal | undefined {
  return t.kind === 'DOUBLE' ? t.decimal : undefined;
}

/**
 * A number as DuckDB widens it to meet a DECIMAL: INT as DECIMAL(10, 0), BIGINT as DECIMAL(19, 0),
 * a DECIMAL as itself; undefined for FLOAT and DOUBLE (they make the result a DOUBLE).
 */
export function asDecimal(t: DataType): Decimal | undefined {
  if (t.kind === 'INT') return { precision: 10, scale: 0 };
  if (t.kind === 'BIGINT') return { precision: 19, scale: 0 };
  return decimalOf(t);
}

export function isNumeric(t: DataType): boolean {
  return t.kind === 'INT' || t.kind === 'BIGINT' || t.kind === 'FLOAT' || t.kind === 'DOUBLE';
}

export function typeToString(t: DataType): string {
  switch (t.kind) {
    case 'TIMESTAMP':
      return `TIMESTAMP(${t.precision})`;
    case 'ARRAY': {
      const m = mapTypes(t);
      if (m) return `MAP(${typeToString(m.key)}, ${typeToString(m.value)})`;
      return `ARRAY<${typeToString(t.element)}>${t.size === undefined ? '' : `(${t.size})`}`;
    }
    case 'STRUCT':
      return `STRUCT<${t.fields.map((f) => `${f.name} ${typeToString(f.type)}`).join(', ')}>`;
    case 'DOUBLE':
      return t.decimal ? `DECIMAL(${t.decimal.precision},${t.decimal.scale})` : 'DOUBLE';
    default:
      return t.kind;
  }
}

export function typesEqual(a: DataType, b: DataType): boolean {
  return typeToString(a) === typeToString(b);
}
