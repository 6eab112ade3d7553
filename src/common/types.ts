/**
 * SQL data types. A closed union; every layer switches over `kind` exhaustively.
 * TIMESTAMP values are epoch milliseconds (precision 3); DATE values are the epoch milliseconds of
 * their day's midnight (UTC), so a DATE compares with a TIMESTAMP as DuckDB's does (as the
 * timestamp of its midnight); INTERVAL values are milliseconds.
 */
export type DataType =
  | { readonly kind: 'BOOLEAN' }
  | { readonly kind: 'INT' }
  | { readonly kind: 'BIGINT' }
  | { readonly kind: 'FLOAT' }
  | { readonly kind: 'DOUBLE' }
  | { readonly kind: 'STRING' }
  | { readonly kind: 'BYTES' }
  | { readonly kind: 'TIMESTAMP'; readonly precision: number }
  | { readonly kind: 'DATE' }
  | { readonly kind: 'INTERVAL' }
  | { readonly kind: 'ARRAY'; readonly element: DataType; readonly size?: number }
  | { readonly kind: 'STRUCT'; readonly fields: readonly Field[] }
  | { readonly kind: 'NULL' };

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
  INTERVAL: { kind: 'INTERVAL' },
  NULL: { kind: 'NULL' },
} as const satisfies Record<string, DataType>;

export function arrayOf(element: DataType, size?: number): DataType {
  return size === undefined ? { kind: 'ARRAY', element } : { kind: 'ARRAY', element, size };
}

export function isNumeric(t: DataType): boolean {
  return t.kind === 'INT' || t.kind === 'BIGINT' || t.kind === 'FLOAT' || t.kind === 'DOUBLE';
}

export function typeToString(t: DataType): string {
  switch (t.kind) {
    case 'TIMESTAMP':
      return `TIMESTAMP(${t.precision})`;
    case 'ARRAY':
      return `ARRAY<${typeToString(t.element)}>${t.size === undefined ? '' : `(${t.size})`}`;
    case 'STRUCT':
      return `STRUCT<${t.fields.map((f) => `${f.name} ${typeToString(f.type)}`).join(', ')}>`;
    default:
      return t.kind;
  }
}

export function typesEqual(a: DataType, b: DataType): boolean {
  return typeToString(a) === typeToString(b);
}
