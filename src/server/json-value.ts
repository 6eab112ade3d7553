/** A value the server writes as JSON (BIGINT stays a bigint: stringifyExactJson writes every digit). */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };
