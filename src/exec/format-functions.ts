/**
 * FORMAT (the fmt library's braces, as DuckDB's: `{}`, `{0}`, `{:>8}`, `{:.2f}`, `{:05d}`, `{{`)
 * and PRINTF (C's percent forms: `%d`, `%5.1f`, `%-8s`, `%x`, `%%`). A placeholder without a
 * value, or a spec these do not know, is an error for the row that names it.
 */
import { MAX_BUILT_STRING } from './string-functions.js';

/** Text of one value as the `s` (or default) form writes it. */
function plainText(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v < 0 ? '-inf' : 'inf';
  if (typeof v === 'object') return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return String(v);
}

function numberOf(v: unknown, what: string): number | bigint {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new Error(`${what} expects a number, got ${plainText(v)}`);
}

/** One value by a type letter: d/i integer, f/F fixed, e/E exponent, g/G shortest, x/X/o/b bases, s/c text. */
function typed(v: unknown, type: string, precision: number | undefined, what: string): string {
  if ('fFeEgG'.includes(type) && type !== '') {
    const x = Number(numberOf(v, what));
    // C's and fmt's words for the doubles that are not numbers.
    if (!Number.isFinite(x)) {
      const word = Number.isNaN(x) ? 'nan' : x < 0 ? '-inf' : 'inf';
      return type === type.toUpperCase() ? word.toUpperCase() : word;
    }
  }
  switch (type) {
    case 'd':
    case 'i': {
      const n = numberOf(v, what);
      return typeof n === 'bigint' ? n.toString() : Math.trunc(n).toString();
    }
    case 'f':
    case 'F': {
      const digits = precision ?? 6;
      return tiesToEven(Number(numberOf(v, what)), 'fixed', digits, (y) => fixed(y, digits));
    }
    case 'e':
    case 'E': {
      const digits = precision ?? 6;
      const t = tiesToEven(Number(numberOf(v, what)), 'exponent', digits, (y) => y.toExponential(digits)).replace(/e([+-])(\d)$/, 'e$10$2');
      return type === 'E' ? t.toUpperCase() : t;
    }
    case 'g':
    case 'G': {
      // C's %g: `digits` significant digits, in exponent form when the exponent is below -4 or
      // not below `digits`, else fixed; trailing zeros dropped.
      const x = Number(numberOf(v, what));
      const digits = Math.max(1, precision ?? 6);
      const e = tiesToEven(x, 'exponent', digits - 1, (y) => y.toExponential(digits - 1));
      const exponent = Number(e.slice(e.indexOf('e') + 1));
      const trim = (t: string) => (t.includes('.') ? t.replace(/\.?0+$/, '') : t);
      const t =
        exponent < -4 || exponent >= digits
          ? `${trim(e.slice(0, e.indexOf('e')))}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`
          : trim(tiesToEven(x, 'fixed', digits - 1 - exponent, (y) => fixed(y, digits - 1 - exponent)));
      return type === 'G' ? t.toUpperCase() : t;
    }
    case 'x':
    case 'X':
    case 'o':
    case 'b': {
      const n = numberOf(v, what);
      const t = (typeof n === 'bigint' ? n : BigInt(Math.trunc(n))).toString(type === 'o' ? 8 : type === 'b' ? 2 : 16);
      return type === 'X' ? t.toUpperCase() : t;
    }
    case 'c':
      return typeof v === 'string' ? v.slice(0, 1) : String.fromCodePoint(Number(numberOf(v, what)));
    case 's':
    case '':
      return precision === undefined ? plainText(v) : [...plainText(v)].slice(0, precision).join('');
    default:
      throw new Error(`${what}: unknown format type '${type}'`);
  }
}

/**
 * `form(x)`, except that a value exactly halfway between two results of `digits` digits (after
 * the point: 'fixed'; after the first significant digit: 'exponent') goes to the one whose last
 * digit is even, as C's printf and the fmt library round (2.25 is 2.2 at one digit, 2.35 is 2.4);
 * JavaScript's toFixed and toExponential round such ties up.
 */
function tiesToEven(x: number, kind: 'fixed' | 'exponent', digits: number, form: (y: number) => string): string {
  const a = Math.abs(x);
  // The exact digits past the last kept one: 25 more tell a tie from any other double.
  if (!Number.isFinite(x) || a === 0 || digits + 25 > 100 || (kind === 'fixed' && a >= 1e21)) return form(x);
  const exact = kind === 'fixed' ? a.toFixed(digits + 25) : a.toExponential(digits + 25).replace(/e.*$/, '');
  const point = exact.indexOf('.');
  const kept = exact.slice(0, point + (digits > 0 ? digits + 1 : 0));
  if (!/^50*$/.test(exact.slice(point + 1 + digits)) || Number(kept[kept.length - 1]) % 2 === 1) return form(x);
  // The double just below the tie rounds down to the even result.
  const below = form(nextDown(a));
  return x < 0 ? `-${below}` : below;
}

/** `y` with `digits` digits after the point, also from 1e21 on (where toFixed writes an exponent; such doubles are whole). */
function fixed(y: number, digits: number): string {
  if (!Number.isFinite(y) || Math.abs(y) < 1e21) return y.toFixed(digits);
  return `${BigInt(y).toString()}${digits > 0 ? `.${'0'.repeat(digits)}` : ''}`;
}

/** The largest double below the positive finite `a`. */
function nextDown(a: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, a);
  view.setBigUint64(0, view.getBigUint64(0) - 1n);
  return view.getFloat64(0);
}

function pad(text: string, width: number, align: string, fill: string, zero: boolean): string {
  const n = [...text].length;
  if (n >= width) return text;
  if (width > MAX_BUILT_STRING) throw new Error(`a field width of ${width} would build a string of more than the ${MAX_BUILT_STRING} characters allowed`);
  const gap = width - n;
  if (zero) {
    const sign = /^[+-]/.test(text) ? text[0]! : '';
    return sign + '0'.repeat(gap) + text.slice(sign.length);
  }
  if (align === '<') return text + fill.repeat(gap);
  if (align === '^') return fill.repeat(Math.floor(gap / 2)) + text + fill.repeat(Math.ceil(gap / 2));
  return fill.repeat(gap) + text;
}

const FMT_SPEC = /^(?:(.)?([<>^]))?([+ -])?(0)?(\d+)?(,)?(?:\.(\d+))?([a-zA-Z]?)$/;

/** `1234567.5` as `1,234,567.5`: the whole digits in groups of three. */
function grouped(text: string): string {
  return text.replace(/^([+-]?)(\d+)/, (_m, sign: string, digits: string) => sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ','));
}

/** FORMAT(fmt, args...): `{}` takes the next value, `{n}` the n-th (from 0), `:spec` formats it. */
export function formatBraces(format: string, ...args: unknown[]): string {
  let next = 0;
  return format.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (m, inner: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const [index, spec = ''] = (inner ?? '').split(/:(.*)/s) as [string, string?];
    const k = index === '' ? next++ : Number(index);
    if (!Number.isInteger(k) || k < 0 || k >= args.length) throw new Error(`FORMAT: '{${inner}}' has no value (${args.length} given)`);
    const s = FMT_SPEC.exec(spec);
    if (!s) throw new Error(`FORMAT: unknown format spec '${spec}'`);
    const [, fill, align, sign, zero, width, comma, precision, type = ''] = s;
    const v = args[k];
    const numeric = typeof v === 'number' || typeof v === 'bigint';
    let text = typed(v, type === '' && numeric && precision !== undefined ? 'f' : type, precision === undefined ? undefined : Number(precision), 'FORMAT');
    if (comma && numeric) text = grouped(text);
    if (sign === '+' && numeric && !text.startsWith('-')) text = `+${text}`;
    return pad(text, Number(width ?? 0), align ?? (numeric ? '>' : '<'), fill ?? ' ', zero !== undefined && align === undefined);
  });
}

/** PRINTF(fmt, args...): C's `%[flags][width][.precision]type`, values in order. */
export function printfPercent(format: string, ...args: unknown[]): string {
  let next = 0;
  return format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (_m, flags: string, width: string | undefined, precision: string | undefined, type: string) => {
    if (type === '%') return '%';
    if (next >= args.length) throw new Error(`PRINTF: '%${type}' has no value (${args.length} given)`);
    const v = args[next++];
    let text = typed(v, type === 'u' || type === 'l' ? 'd' : type, precision === undefined ? undefined : Number(precision), 'PRINTF');
    if (flags.includes('+') && /[dieEfFgG]/.test(type) && !text.startsWith('-')) text = `+${text}`;
    return pad(text, Number(width ?? 0), flags.includes('-') ? '<' : '>', ' ', flags.includes('0') && !flags.includes('-') && type !== 's');
  });
}
