/** CST→AST for `INTERVAL '5' SECOND` / `INTERVAL '5 seconds'`, `TIMESTAMP '2024-01-01 00:00:00'`, `DATE '2024-01-01'` and `TIME '10:00:00'`. */
import type { CstNode } from 'chevrotain';
import type { IntervalExpr, IntervalUnit, TimestampLiteralExpr } from './ast.js';
import { type AstContext, astError, numberText, optToken, token } from './cst-access.js';
import { stringValue } from './to-ast-names.js';
import { IntegerLiteral } from './lexer.js';
import { parseIntervalText, type IntervalValue } from '../common/interval-text.js';
import { parseDateText, parseTimeText, parseTimestampText } from '../common/timestamp-text.js';

const INTERVAL_HINT = "write e.g. INTERVAL '5' SECOND, INTERVAL '1 month 2 days' or INTERVAL '01:30:00' (units: MILLISECOND, SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR)";

/** The order of units from the largest, for the unit an interval of several parts is named by. */
const UNIT_ORDER: readonly IntervalUnit[] = ['YEAR', 'QUARTER', 'MONTH', 'WEEK', 'DAY', 'HOUR', 'MINUTE', 'SECOND', 'MILLISECOND'];

export function toIntervalLiteral(n: CstNode, cx: AstContext): IntervalExpr {
  const textTok = token(n, 'text');
  // INTERVAL 5 MINUTE: a bare integer, always with its unit.
  const text = textTok.tokenType === IntegerLiteral ? numberText(textTok) : stringValue(textTok);
  const unitTok = optToken(n, 'unit');
  const span = cx.src.nodeSpan(n);
  const bad = () => astError(`invalid interval '${text}'`, cx.src.tokenSpan(textTok), INTERVAL_HINT);
  const fractionalMonths = () =>
    astError(`interval '${text}' is not a whole number of months`, cx.src.tokenSpan(textTok), 'a month has no fixed length: write whole months, and days for the rest');
  // Amounts and their units: one with the unit after the string, or `'1 month 2 days'`.
  let value: IntervalValue;
  if (unitTok) {
    const m = /^\s*([+-]?\d+(?:\.\d+)?)\s*$/.exec(text);
    if (!m) throw bad();
    const unit = unitTok.tokenType.name.replace(/S$/, '') as IntervalUnit;
    const read = parseIntervalText(`${m[1]!} ${unit}`);
    if (typeof read === 'string') throw fractionalMonths();
    value = read;
  } else {
    const read = parseIntervalText(text);
    if (read === 'no-unit') throw astError(`interval '${text}' has no unit`, span, INTERVAL_HINT);
    if (read === 'fractional-months') throw fractionalMonths();
    if (read === 'invalid') throw bad();
    value = read;
  }
  const { millis, months } = value;
  const unit = UNIT_ORDER.find((u) => value.units.includes(u))!;
  return { kind: 'Interval', text, unit, millis, months, span };
}

/**
 * `TIMESTAMP '...'`, `DATE '...'` and `TIME '...'` read their text as a CAST from text does (timestamp-text.ts):
 * UTC unless the text names an offset, every field range-checked.
 */
export function toTimestampLiteral(n: CstNode, cx: AstContext): TimestampLiteralExpr {
  const textTok = token(n, 'text');
  const text = stringValue(textTok);
  const word = token(n, 'type').image.toUpperCase();
  const type = word === 'DATE' ? 'DATE' : word === 'TIME' ? 'TIME' : 'TIMESTAMP';
  const millis = type === 'DATE' ? parseDateText(text) : type === 'TIME' ? parseTimeText(text) : parseTimestampText(text);
  if (millis === undefined) {
    const example = type === 'DATE' ? "DATE '2024-01-31'" : type === 'TIME' ? "TIME '23:59:59.999'" : "TIMESTAMP '2024-01-31 23:59:59.999' (UTC)";
    throw astError(`invalid ${type.toLowerCase()} '${text}'`, cx.src.tokenSpan(textTok), `write e.g. ${example}`);
  }
  return { kind: 'TimestampLiteral', type, text, millis, span: cx.src.nodeSpan(n) };
}
