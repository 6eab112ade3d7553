/**
 * The JSON form values take across the sandbox boundary. Plain JSON carries strings, booleans,
 * finite numbers, null and arrays; anything else travels as `{[SANDBOX_TAG]: kind, v}`, so a
 * BIGINT stays a bigint on both sides and a returned Promise or Date is recognised. The host
 * only ever `JSON.parse`s what the sandbox sends: nothing it reads can run code.
 */

/** Key of a tagged value; a control character keeps it apart from any real struct field. */
export const SANDBOX_TAG = '\u0000sluice';

/** Something the function returned that has no SQL value (a Promise, a function, a symbol). */
export class OpaqueSandboxValue {
  constructor(readonly what: string) {}
}

function tag(kind: string, v?: unknown): Record<string, unknown> {
  return v === undefined ? { [SANDBOX_TAG]: kind } : { [SANDBOX_TAG]: kind, v };
}

function encode(v: unknown): unknown {
  switch (typeof v) {
    case 'undefined':
      return null;
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0) ? v : tag('num', Object.is(v, -0) ? '-0' : String(v));
    case 'bigint':
      return tag('bigint', String(v));
    case 'function':
    case 'symbol':
      return null;
    case 'object':
      break;
  }
  if (v === null) return null;
  if (v instanceof Date) return v.getTime();
  if (v instanceof Uint8Array) return tag('bytes', Array.from(v));
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const src = v as ArrayLike<unknown>;
    const a = new Array<unknown>(src.length);
    for (let i = 0; i < src.length; i++) a[i] = encode(src[i]);
    return a;
  }
  // fromEntries defines own properties: a '__proto__' field stays a field.
  return tag('obj', Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, encode(x)])));
}

/** `[rows, column0, column1, ...]` as JSON, each column `rows` long. */
export function encodeForSandbox(args: readonly ArrayLike<unknown>[], rows: number): string {
  const cols: unknown[] = [rows];
  for (const col of args) {
    const a = new Array<unknown>(rows);
    for (let r = 0; r < rows; r++) a[r] = encode(col[r]);
    cols.push(a);
  }
  return JSON.stringify(cols);
}

/** A value as the function returned it, rebuilt from its JSON form. */
export function decodeFromSandbox(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(decodeFromSandbox);
  const o = v as Record<string, unknown>;
  const x = o['v'];
  switch (o[SANDBOX_TAG]) {
    case 'bigint':
      return typeof x === 'string' && /^-?\d+$/.test(x) ? BigInt(x) : new OpaqueSandboxValue('a malformed bigint');
    case 'num':
      return Number(x);
    case 'date':
      return new Date(Number(x));
    case 'bytes':
      return Uint8Array.from(Array.isArray(x) ? (x as number[]) : []);
    case 'obj':
      // fromEntries defines own properties, so a '__proto__' key cannot reach a prototype.
      return Object.fromEntries(Object.entries((x ?? {}) as Record<string, unknown>).map(([k, y]) => [k, decodeFromSandbox(y)]));
    case 'promise':
      return new OpaqueSandboxValue('a Promise (functions must be synchronous)');
    case 'function':
      return new OpaqueSandboxValue('a function');
    case 'symbol':
      return new OpaqueSandboxValue('a symbol');
    default:
      return new OpaqueSandboxValue('an unrecognised value');
  }
}
