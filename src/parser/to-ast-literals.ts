/** CST→AST for `INTERVAL '5' SECOND` / `INTERVAL '5 seconds'` `TIMESTAMP '2024-01-01 00:00:00'` and `DATE '2024-01-01'`. */
import type { CstNode } from 'chevrotain';
import type { IntervalExpr, IntervalUnit, TimestampLiteralExpr } from './ast.js';
import { type AstContext, astError, optToken, token } from './cst-access.js';
import { stringValue } from './to-ast-names.js';
import { IntegerLiteral } from './lexer.js';
import { parseDateText, parseTimestampText } from '../common/timestamp-text.js';

/** Milliseconds of each fixed unit; months of each calendar one. */
const UNIT_MILLIS: Readonly<Partial<Record<IntervalUnit, number>>> = {
  MILLISECOND: 1,
  SECOND: 1_000,
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: 86_400_000,
  WEEK: 7 * 86_400_000,
};
const UNIT_MONTHS: Readonly<Partial<Record<IntervalUnit, number>>> = { MONTH: 1, QUARTER: 3, YEAR: 12 };

/** Unit spellings accepted inside the string of `INTERVAL '5 seconds'`. */
const UNIT_WORDS: Readonly<Record<string, IntervalUnit>> = {
  ms: 'MILLISECOND', millisecond: 'MILLISECOND', milliseconds: 'MILLISECOND',
  s: 'SECOND', sec: 'SECOND', secs: 'SECOND', second: 'SECOND', seconds: 'SECOND',
  m: 'MINUTE', min: 'MINUTE', mins: 'MINUTE', minute: 'MINUTE', minutes: 'MINUTE',
  h: 'HOUR', hr: 'HOUR', hrs: 'HOUR', hour: 'HOUR', hours: 'HOUR',
  d: 'DAY', day: 'DAY', days: 'DAY',
  w: 'WEEK', week: 'WEEK', weeks: 'WEEK',
  mon: 'MONTH', mons: 'MONTH', month: 'MONTH', months: 'MONTH',
  quarter: 'QUARTER', quarters: 'QUARTER',
  y: 'YEAR', yr: 'YEAR', yrs: 'YEAR', year: 'YEAR', years: 'YEAR',
};

const INTERVAL_HINT = "write e.g. INTERVAL '5' SECOND or INTERVAL '1 month 2 days' (units: MILLISECOND, SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER, YEAR)";

/** The order of units from the largest, for the unit an interval of several parts is named by. */
const UNIT_ORDER: readonly IntervalUnit[] = ['YEAR', 'QUARTER', 'MONTH', 'WEEK', 'DAY', 'HOUR', 'MINUTE', 'SECOND', 'MILLISECOND'];

export function toIntervalLiteral(n: CstNode, cx: AstContext): IntervalExpr {
  const textTok = token(n, 'text');
  // INTERVAL 5 MINUTE: a bare integer, always with its unit.
  const text = textTok.tokenType === IntegerLiteral ? textTok.image : stringValue(textTok);
  const unitTok = optToken(n, 'unit');
  const span = cx.src.nodeSpan(n);
  const bad = () => astError(`invalid interval '${text}'`, cx.src.tokenSpan(textTok), INTERVAL_HINT);
  // Amounts and their units: one with the unit after the string, or `'1 month 2 days'`.
  const parts: [string, IntervalUnit][] = [];
  if (unitTok) {
    const m = /^\s*([+-]?\d+(?:\.\d+)?)\s*$/.exec(text);
    if (!m) throw bad();
    parts.push([m[1]!, unitTok.tokenType.name.replace(/S$/, '') as IntervalUnit]);
  } else {
    if (/^\s*[+-]?\d+(?:\.\d+)?\s*$/.test(text)) {
      throw astError(`interval '${text}' has no unit`, span, INTERVAL_HINT);
    }
    if (!/^\s*(?:[+-]?\d+(?:\.\d+)?\s*[A-Za-z]+\s*)+$/.test(text)) throw bad();
    for (const m of text.matchAll(/([+-]?\d+(?:\.\d+)?)\s*([A-Za-z]+)/g)) {
      const word = UNIT_WORDS[m[2]!.toLowerCase()];
      if (!word) throw bad();
      parts.push([m[1]!, word]);
    }
  }
  let millis = 0;
  let months = 0;
  for (const [amount, unit] of parts) {
    const perMonth = UNIT_MONTHS[unit];
    if (perMonth === undefined) {
      millis += Math.round(Number(amount) * UNIT_MILLIS[unit]!);
      continue;
    }
    const n = Number(amount) * perMonth;
    if (!Number.isInteger(n)) throw astError(`interval '${text}' is not a whole number of months`, cx.src.tokenSpan(textTok), 'a month has no fixed length: write whole months, and days for the rest');
    months += n;
  }
  const unit = UNIT_ORDER.find((u) => parts.some(([, p]) => p === u))!;
  return { kind: 'Interval', text, unit, millis, months, span };
}

/**
 * `TIMESTAMP '...'` and `DATE '...'` read their text as a CAST from text does (timestamp-text.ts):
 * UTC unless the text names an offset, every field range-checked.
 */
export function toTimestampLiteral(n: CstNode, cx: AstContext): TimestampLiteralExpr {
  const textTok = token(n, 'text');
  const text = stringValue(textTok);
  const type = token(n, 'type').image.toUpperCase() === 'DATE' ? 'DATE' : 'TIMESTAMP';
  const millis = type === 'DATE' ? parseDateText(text) : parseTimestampText(text);
  if (millis === undefined) {
    const example = type === 'DATE' ? "DATE '2024-01-31'" : "TIMESTAMP '2024-01-31 23:59:59.999' (UTC)";
    throw astError(`invalid ${type.toLowerCase()} '${text}'`, cx.src.tokenSpan(textTok), `write e.g. ${example}`);
  }
  return { kind: 'TimestampLiteral', type, text, millis, span: cx.src.nodeSpan(n) };
}
