/** CST→AST for data types: `DOUBLE`, `VARCHAR(20)`, `TIMESTAMP(3)`, `ARRAY<FLOAT>(30)`, `STRUCT<a INT>`, `MAP(STRING, INT)`. */
import type { CstNode } from 'chevrotain';
import { didYouMean } from '../common/errors.js';
import { MAX_DECIMAL_PRECISION, decimalType, mapOf, type DataType, type Field } from '../common/types.js';
import { type AstContext, astError, node, nodes, optNode, numberText, optToken, token, tokens } from './cst-access.js';
import { identName, toIdent } from './to-ast-names.js';

type SimpleKind = 'BOOLEAN' | 'INT' | 'BIGINT' | 'FLOAT' | 'DOUBLE' | 'STRING' | 'BYTES' | 'TIMESTAMP' | 'DATE' | 'TIME';

const TYPE_NAMES: Readonly<Record<string, SimpleKind>> = {
  BOOLEAN: 'BOOLEAN',
  BOOL: 'BOOLEAN',
  INT: 'INT',
  INTEGER: 'INT',
  BIGINT: 'BIGINT',
  FLOAT: 'FLOAT',
  REAL: 'FLOAT',
  DOUBLE: 'DOUBLE',
  STRING: 'STRING',
  VARCHAR: 'STRING',
  TEXT: 'STRING',
  BYTES: 'BYTES',
  TIMESTAMP: 'TIMESTAMP',
  TIMESTAMP_LTZ: 'TIMESTAMP',
  // An instant, as a TIMESTAMP is here (UTC): DuckDB's and PostgreSQL's name for one.
  TIMESTAMPTZ: 'TIMESTAMP',
  DATE: 'DATE',
  TIME: 'TIME',
  // Other engines' names (DuckDB, PostgreSQL): SMALLINT and TINYINT hold an INT's range here.
  SMALLINT: 'INT',
  TINYINT: 'INT',
  INT1: 'INT',
  INT2: 'INT',
  INT4: 'INT',
  INT8: 'BIGINT',
  LONG: 'BIGINT',
  FLOAT4: 'FLOAT',
  FLOAT8: 'DOUBLE',
  CHAR: 'STRING',
  BPCHAR: 'STRING',
  BLOB: 'BYTES',
  BYTEA: 'BYTES',
  VARBINARY: 'BYTES',
  DATETIME: 'TIMESTAMP',
  // DECIMAL(p, s): a DOUBLE held at `s` decimals (see decimalOf).
  DECIMAL: 'DOUBLE',
  NUMERIC: 'DOUBLE',
};

/** How to write the nested types with what they hold. */
const NESTED_TYPE_FORMS: Readonly<Record<string, string>> = {
  MAP: 'MAP(key type, value type), e.g. MAP(STRING, DOUBLE)',
  STRUCT: 'STRUCT(name type, ...), e.g. STRUCT(a INT, b STRING)',
  ARRAY: 'ARRAY<element type>, e.g. ARRAY<DOUBLE>, or DOUBLE[]',
  LIST: 'an ARRAY: ARRAY<element type>, e.g. ARRAY<DOUBLE>, or DOUBLE[]',
};

/** Type names that accept a `(n)` argument. */
const TAKES_LENGTH = new Set(['VARCHAR', 'TIMESTAMP', 'TIMESTAMP_LTZ', 'CHAR', 'BPCHAR', 'DECIMAL', 'NUMERIC']);
/** Type names that accept `(precision, scale)`. */
const TAKES_SCALE = new Set(['DECIMAL', 'NUMERIC']);

/** The spellings a user may write, for "did you mean" (aliases included). */
export const TYPE_SPELLINGS: readonly string[] = [...Object.keys(TYPE_NAMES), 'JSON', 'INTERVAL', 'ARRAY', 'STRUCT', 'MAP'];

export function toDataType(n: CstNode, cx: AstContext): DataType {
  let t = baseType(n, cx);
  for (let k = tokens(n, 'listSuffix').length; k > 0; k--) t = { kind: 'ARRAY', element: t };
  return t;
}

function baseType(n: CstNode, cx: AstContext): DataType {
  if (optToken(n, 'interval')) return { kind: 'INTERVAL' };
  if (optToken(n, 'array')) {
    const element = toDataType(node(n, 'element'), cx);
    const len = optNode(n, 'length');
    return len ? { kind: 'ARRAY', element, size: lengthOf(len, cx) } : { kind: 'ARRAY', element };
  }
  if (optToken(n, 'map')) return mapOf(toDataType(node(n, 'mapKey'), cx), toDataType(node(n, 'mapValue'), cx));
  if (optToken(n, 'struct')) {
    const fields = nodes(n, 'fields').map((f): Field => ({
      name: toIdent(node(f, 'name'), cx).name,
      type: toDataType(node(f, 'type'), cx),
      nullable: optToken(f, 'notNull') === undefined,
    }));
    return { kind: 'STRUCT', fields };
  }
  const nameTok = token(n, 'typeName');
  const name = identName(nameTok).toUpperCase();
  const span = cx.src.tokenSpan(nameTok);
  // JSON is text holding JSON (docs/sql.md, "JSON").
  if (name === 'JSON' && !optNode(n, 'length') && !optToken(n, 'precisionWord')) return { kind: 'STRING', json: true };
  const kind = TYPE_NAMES[name];
  // A nested type written without what it holds (the grammar takes MAP and STRUCT as names then).
  const nested = NESTED_TYPE_FORMS[name];
  if (kind === undefined && nested) throw astError(`type ${name} needs the types it holds`, span, `write ${nested}`);
  if (kind === undefined) {
    throw astError(`unknown type '${identName(nameTok)}'`, span, didYouMean(name, TYPE_SPELLINGS) ?? `known types: ${TYPE_SPELLINGS.join(', ')}`);
  }
  const precisionWord = optToken(n, 'precisionWord');
  if (precisionWord && kind !== 'DOUBLE') {
    throw astError(`unexpected 'PRECISION' after ${name}`, cx.src.tokenSpan(precisionWord), 'only DOUBLE PRECISION is a type');
  }
  const len = optNode(n, 'length');
  if (len && !TAKES_LENGTH.has(name)) {
    throw astError(`type ${name} takes no length or precision`, cx.src.nodeSpan(len));
  }
  if (len && optToken(len, 'scale') && !TAKES_SCALE.has(name)) {
    throw astError(`type ${name} takes one length, not a precision and scale`, cx.src.nodeSpan(len));
  }
  if (TAKES_SCALE.has(name)) return decimalOfType(n, cx);
  if (kind === 'TIMESTAMP') return { kind, precision: len ? lengthOf(len, cx, 0) : 3 };
  return { kind };
}

function lengthOf(n: CstNode, cx: AstContext, min = 1): number {
  const t = token(n, 'value');
  const v = Number(numberText(t));
  if (!Number.isSafeInteger(v) || v < min) {
    throw astError(`invalid length ${t.image}`, cx.src.tokenSpan(t), `expected an integer of at least ${min}`);
  }
  return v;
}

/**
 * `DECIMAL(p, s)` / `NUMERIC(p, s)`: `DECIMAL(p)` has scale 0 and a bare DECIMAL is DECIMAL(18, 3),
 * as in DuckDB. Checks 1 <= p <= 38 and 0 <= s <= p.
 */
function decimalOfType(n: CstNode, cx: AstContext): DataType {
  const len = optNode(n, 'length');
  if (!len) return decimalType(18, 3);
  const precision = lengthOf(len, cx);
  const scaleTok = optToken(len, 'scale');
  const scale = scaleTok ? Number(numberText(scaleTok)) : 0;
  if (precision > MAX_DECIMAL_PRECISION || !(scale >= 0 && scale <= precision)) {
    throw astError(`invalid DECIMAL(${precision}, ${scaleTok?.image ?? 0})`, cx.src.nodeSpan(len), `the precision is 1 to ${MAX_DECIMAL_PRECISION} digits and the scale 0 to the precision`);
  }
  return decimalType(precision, scale);
}
