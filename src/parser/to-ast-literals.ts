/** CST→AST for `INTERVAL '5' SECOND` / `INTERVAL '5 seconds'` `TIMESTAMP '2024-01-01 00:00:00'` and `DATE '2024-01-01'`. */
import type { CstNode } from 'chevrotain';
import type { IntervalExpr, IntervalUnit, TimestampLiteralExpr } from './ast.js';
import { type AstContext, astError, optToken, token } from './cst-access.js';
import { stringValue } from './to-ast-names.js';
import { IntegerLiteral } from './lexer.js';
import { parseDateText, parseTimestampText } from '../common/timestamp-text.js';

const UNIT_MILLIS: Readonly<Record<IntervalUnit, number>> = {
  MILLISECOND: 1,
  SECOND: 1_000,
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: 86_400_000,
};

/** Unit spellings accepted inside the string of `INTERVAL '5 seconds'`. */
const UNIT_WORDS: Readonly<Record<string, IntervalUnit>> = {
  ms: 'MILLISECOND', millisecond: 'MILLISECOND', milliseconds: 'MILLISECOND',
  s: 'SECOND', sec: 'SECOND', second: 'SECOND', seconds: 'SECOND',
  m: 'MINUTE', min: 'MINUTE', minute: 'MINUTE', minutes: 'MINUTE',
  h: 'HOUR', hour: 'HOUR', hours: 'HOUR',
  d: 'DAY', day: 'DAY', days: 'DAY',
};

const INTERVAL_HINT = "write e.g. INTERVAL '5' SECOND (units: MILLISECOND, SECOND, MINUTE, HOUR, DAY)";

export function toIntervalLiteral(n: CstNode, cx: AstContext): IntervalExpr {
  const textTok = token(n, 'text');
  // INTERVAL 5 MINUTE: a bare integer, always with its unit.
  const text = textTok.tokenType === IntegerLiteral ? textTok.image : stringValue(textTok);
  const unitTok = optToken(n, 'unit');
  const span = cx.src.nodeSpan(n);
  const bad = () => astError(`invalid interval '${text}'`, cx.src.tokenSpan(textTok), INTERVAL_HINT);
  let amount: string;
  let unit: IntervalUnit;
  if (unitTok) {
    const m = /^\s*([+-]?\d+(?:\.\d+)?)\s*$/.exec(text);
    if (!m) throw bad();
    amount = m[1]!;
    unit = unitTok.tokenType.name.replace(/S$/, '') as IntervalUnit;
  } else {
    if (/^\s*[+-]?\d+(?:\.\d+)?\s*$/.test(text)) {
      throw astError(`interval '${text}' has no unit`, span, INTERVAL_HINT);
    }
    const m = /^\s*([+-]?\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*$/.exec(text);
    const word = m ? UNIT_WORDS[m[2]!.toLowerCase()] : undefined;
    if (!m || !word) throw bad();
    amount = m[1]!;
    unit = word;
  }
  return { kind: 'Interval', text, unit, millis: Math.round(Number(amount) * UNIT_MILLIS[unit]), span };
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
