/**
 * String functions by code point, as DuckDB: lengths and positions count characters (code
 * points), never UTF-16 units, so an emoji is one character and is never split. Arguments are
 * non-null (the compiled code returns NULL for a NULL argument) unless `nullSafe` is set.
 */
import { checkMemory } from '../common/memory-guard.js';
import { wholeMatcher, type Matcher } from './like.js';
import { compareValues } from './sql-values.js';

type Impl = { readonly fn: (...args: unknown[]) => unknown; readonly nullSafe?: boolean };

const str = (x: unknown): string => x as string;
const int = (x: unknown): number => Number(x);

/** Number of code points. */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/**
 * SUBSTRING(s, start[, length]) as DuckDB: 1-based; a negative start counts from the end; start 0
 * begins one character before the first; a negative length takes the characters before start.
 */
export function substring(s: string, start: number, length?: number, units: (s: string) => string[] = Array.from): string {
  const chars = units(s);
  const size = chars.length;
  let from = start > 0 ? start - 1 : start < 0 ? size + start : 0;
  let len = length;
  if (start === 0 && len !== undefined) {
    len--;
    if (len <= 0) return '';
  }
  let to = size;
  if (len !== undefined) {
    if (len >= 0) to = from + len;
    else {
      to = from;
      from += len;
    }
  }
  from = Math.min(Math.max(from, 0), size);
  to = Math.min(Math.max(to, 0), size);
  return from < to ? chars.slice(from, to).join('') : '';
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The grapheme clusters of `s` (what a reader sees as one character: 🤦🏼‍♂️ is one, five code points). */
export function graphemes(s: string): string[] {
  return Array.from(segmenter.segment(s), (g) => g.segment);
}

/** LEFT(s, n), in `units` (code points or graphemes): the first n, or all but the last -n. */
function leftOf(s: string, n: number, units: (s: string) => string[]): string {
  return n >= 0 ? substring(s, 1, n, units) : substring(s, 1, Math.max(0, units(s).length + n), units);
}

/** RIGHT(s, n), in `units`: the last n, or all but the first -n. */
function rightOf(s: string, n: number, units: (s: string) => string[]): string {
  return substring(s, n >= 0 ? -n || units(s).length + 1 : 1 - n, undefined, units);
}

/**
 * The longest string (in code points) REPEAT, LPAD and RPAD build: a row asking for more is a
 * row error, not a gigabyte string (docs/security.md).
 */
export const MAX_BUILT_STRING = 1 << 20;

function checkBuilt(fn: string, n: number): void {
  if (n > MAX_BUILT_STRING) throw new Error(`${fn} would build a string of ${n} characters, more than the ${MAX_BUILT_STRING} allowed`);
  // Many large strings in one batch could fill the heap before the batch is done.
  if (n >= LARGE_STRING) checkMemory(fn);
}
/** Characters from which building a string looks at the engine's memory first (see memory-guard.ts). */
const LARGE_STRING = 1 << 16;

/** LPAD / RPAD as DuckDB: cut to `n` characters, or filled up to them with `fill` repeated. */
function pad(fn: 'LPAD' | 'RPAD', s: string, n: number, fill: string): string {
  if (n <= 0) return '';
  const chars = Array.from(s);
  if (chars.length >= n) return chars.slice(0, n).join('');
  checkBuilt(fn, n);
  const f = Array.from(fill);
  if (f.length === 0) throw new Error(`${fn} needs a non-empty fill to pad '${s}' to ${n} characters`);
  const need = n - chars.length;
  const padding = Array.from({ length: need }, (_, i) => f[i % f.length]!).join('');
  return fn === 'LPAD' ? padding + s : s + padding;
}

/** SPLIT_PART as DuckDB: 1-based, negative from the end, '' out of range; an empty delimiter splits into characters. */
function splitPart(s: string, delim: string, n: number): string {
  const parts = delim === '' ? Array.from(s) : s.split(delim);
  if (s === '' && delim === '') return '';
  const i = n > 0 ? n - 1 : n < 0 ? parts.length + n : -1;
  return i >= 0 && i < parts.length ? parts[i]! : '';
}

/** 1-based code-point position of the first `sub` in `s`, 0 when absent (an empty `sub` is at 1). */
function strpos(s: string, sub: string): bigint {
  const at = s.indexOf(sub);
  return at < 0 ? 0n : BigInt(codePointLength(s.slice(0, at)) + 1);
}

/** Removes characters in `chars` (default: the space only) from the chosen ends of `s`. */
export function trimChars(s: string, chars: string, leading: boolean, trailing: boolean): string {
  const set = new Set(chars);
  const cs = Array.from(s);
  let from = 0;
  let to = cs.length;
  if (leading) while (from < to && set.has(cs[from]!)) from++;
  if (trailing) while (to > from && set.has(cs[to - 1]!)) to--;
  return from === 0 && to === cs.length ? s : cs.slice(from, to).join('');
}

/** The non-null argument that `better` prefers over all others; NULL only when all are NULL. */
function pick(xs: readonly unknown[], better: (c: number) => boolean): unknown {
  let best: unknown = null;
  for (const x of xs) if (x !== null && (best === null || better(compareValues(x, best)))) best = x;
  return best;
}

/**
 * UPPER and LOWER one character at a time, as DuckDB's (utf8proc's) simple case mapping. The
 * runtime's full mapping is that, but for the characters it maps to several (SpecialCasing): of
 * those, `ß` becomes `ẞ`, `İ` becomes `i`, a Greek small letter with ypogegrammeni its capital
 * with prosgegrammeni (`ᾳ` is `ᾼ`), and the others (`ŉ`, `ﬁ`, `ΐ`) stay as they are; a capital
 * sigma is always `σ` (JavaScript writes `ς` at a word's end).
 */
function simpleCase(s: string, upper: boolean): string {
  const whole = upper ? s.toUpperCase() : s.toLowerCase();
  // Only a character that maps to several changes the length; only the sigma depends on its neighbours.
  if (whole.length === s.length && (upper || !s.includes('Σ'))) return whole;
  let out = '';
  for (const ch of s) {
    const mapped = upper ? ch.toUpperCase() : ch.toLowerCase();
    out += mapped.length === ch.length ? mapped : upper ? simpleUpper(ch) : ch === 'İ' ? 'i' : ch;
  }
  return out;
}

/** The simple uppercase of a character whose full uppercase is several. */
function simpleUpper(ch: string): string {
  if (ch === 'ß') return 'ẞ';
  const c = ch.codePointAt(0)!;
  // ᾀ..ᾇ, ᾐ..ᾗ, ᾠ..ᾧ: their capitals ᾈ..ᾏ, ... (the capitals themselves stay).
  if (c >= 0x1f80 && c <= 0x1faf) return (c & 0xf) < 8 ? String.fromCodePoint(c + 8) : ch;
  // ᾳ, ῃ, ῳ: ᾼ, ῌ, ῼ.
  if (c === 0x1fb3 || c === 0x1fc3 || c === 0x1ff3) return String.fromCodePoint(c + 9);
  return ch;
}

export const STRING_IMPLS: Readonly<Record<string, Impl>> = {
  lower: { fn: (s) => simpleCase(str(s), false) },
  upper: { fn: (s) => simpleCase(str(s), true) },
  trim: { fn: (s, chars) => trimChars(str(s), chars === undefined ? ' ' : str(chars), true, true) },
  ltrim: { fn: (s, chars) => trimChars(str(s), chars === undefined ? ' ' : str(chars), true, false) },
  rtrim: { fn: (s, chars) => trimChars(str(s), chars === undefined ? ' ' : str(chars), false, true) },
  length: { fn: (s) => codePointLength(str(s)) },
  char_length: { fn: (s) => codePointLength(str(s)) },
  substring: { fn: (s, start, len) => substring(str(s), int(start), len === undefined ? undefined : int(len)) },
  substr: { fn: (s, start, len) => substring(str(s), int(start), len === undefined ? undefined : int(len)) },
  // An empty pattern matches nowhere (DuckDB): the input comes back unchanged.
  replace: {
    fn: (s, from, to) => {
      if (str(from) === '') return s;
      const parts = str(s).split(str(from));
      // Checked before joining: many occurrences of a short string replaced by a long one.
      checkBuilt('REPLACE', str(s).length + (parts.length - 1) * (str(to).length - str(from).length));
      return parts.join(str(to));
    },
  },
  // TRANSLATE(s, from, to): each character of `from` becomes the one at its place in `to`, or goes
  // where `to` is shorter; the first place of a character repeated in `from` counts.
  translate: {
    fn: (s, from, to) => {
      const target = [...str(to)];
      const map = new Map<string, string>();
      [...str(from)].forEach((c, i) => {
        if (!map.has(c)) map.set(c, target[i] ?? '');
      });
      let out = '';
      for (const c of str(s)) out += map.get(c) ?? c;
      return out;
    },
  },
  // CONCAT skips NULLs (all NULL gives ''); `||` is NULL when either side is.
  concat: { fn: (...xs) => xs.map((x) => (x === null ? '' : String(x))).join(''), nullSafe: true },
  // CONCAT_WS(sep, ...) skips NULL values; a NULL separator gives NULL.
  concat_ws: { fn: (sep, ...xs) => (sep === null ? null : xs.filter((x) => x !== null).map(String).join(str(sep))), nullSafe: true },
  // LEFT(s, n): the first n characters; a negative n drops the last -n (DuckDB).
  left: { fn: (s, n) => leftOf(str(s), int(n), Array.from) },
  right: { fn: (s, n) => rightOf(str(s), int(n), Array.from) },
  // The same in grapheme clusters (Unicode's extended ones, as DuckDB).
  length_grapheme: { fn: (s) => graphemes(str(s)).length },
  left_grapheme: { fn: (s, n) => leftOf(str(s), int(n), graphemes) },
  right_grapheme: { fn: (s, n) => rightOf(str(s), int(n), graphemes) },
  substring_grapheme: { fn: (s, start, len) => substring(str(s), int(start), len === undefined ? undefined : int(len), graphemes) },
  lpad: { fn: (s, n, fill) => pad('LPAD', str(s), int(n), str(fill)) },
  rpad: { fn: (s, n, fill) => pad('RPAD', str(s), int(n), str(fill)) },
  repeat: {
    fn: (s, n) => {
      const times = Math.max(0, int(n));
      checkBuilt('REPEAT', codePointLength(str(s)) * times);
      return str(s).repeat(times);
    },
  },
  reverse: { fn: (s) => Array.from(str(s)).reverse().join('') },
  split_part: { fn: (s, delim, n) => splitPart(str(s), str(delim), int(n)) },
  strpos: { fn: (s, sub) => strpos(str(s), str(sub)) },
  instr: { fn: (s, sub) => strpos(str(s), str(sub)) },
  starts_with: { fn: (s, p) => str(s).startsWith(str(p)) },
  prefix: { fn: (s, p) => str(s).startsWith(str(p)) },
  suffix: { fn: (s, p) => str(s).endsWith(str(p)) },
  ends_with: { fn: (s, p) => str(s).endsWith(str(p)) },
  contains: { fn: (s, p) => str(s).includes(str(p)) },
  glob: { fn: (s, p) => globMatcher(str(p)).test(str(s)) },
  // STRLEN: UTF-8 bytes, where LENGTH counts characters (DuckDB).
  strlen: { fn: (s) => BigInt(Buffer.byteLength(str(s), 'utf8')) },
  // HEX and BIN of an integer: its 64-bit two's complement; of a string: its UTF-8 bytes.
  hex: { fn: (x) => digitsOf(x, 16) },
  to_hex: { fn: (x) => digitsOf(x, 16) },
  bin: { fn: (x) => digitsOf(x, 2) },
  // UNHEX and UNBIN: the bytes those digits spell (an odd count of hex digits, or bits short of
  // whole bytes, read as if led by zeros, as DuckDB).
  unhex: { fn: (s) => bytesOfDigits(str(s), 16, 'UNHEX') },
  from_hex: { fn: (s) => bytesOfDigits(str(s), 16, 'FROM_HEX') },
  unbin: { fn: (s) => bytesOfDigits(str(s), 2, 'UNBIN') },
  from_binary: { fn: (s) => bytesOfDigits(str(s), 2, 'FROM_BINARY') },
  // ENCODE: a string's UTF-8 bytes; DECODE: bytes read as UTF-8 (a row error where they are not).
  encode: { fn: (s) => new Uint8Array(Buffer.from(str(s), 'utf8')) },
  decode: { fn: (b) => decodeUtf8(b as Uint8Array) },
  // A backslash before every character a regular expression reads specially: all but letters,
  // digits, '_' and non-ASCII characters (as DuckDB, after RE2's QuoteMeta).
  regexp_escape: { fn: (s) => str(s).replace(/[^A-Za-z0-9_\u0080-\u{10FFFF}]/gu, (c) => (c === '\0' ? '\\x00' : `\\${c}`)) },
  to_binary: { fn: (x) => digitsOf(x, 2) },
  to_base: { fn: (n, radix, width) => toBase(BigInt(n as number | bigint), int(radix), width === undefined ? 0 : int(width)) },
  ascii: { fn: (s) => str(s).codePointAt(0) ?? 0 },
  // Of '' -1, where ASCII gives 0 (as DuckDB).
  unicode: { fn: (s) => str(s).codePointAt(0) ?? -1 },
  chr: {
    fn: (n) => {
      const c = int(n);
      if (!Number.isInteger(c) || c < 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) throw new Error(`CHR of ${String(n)}, which is not a Unicode code point`);
      return String.fromCodePoint(c);
    },
  },
  // GREATEST and LEAST ignore NULLs, as DuckDB and PostgreSQL do.
  greatest: { fn: (...xs) => pick(xs, (c) => c > 0), nullSafe: true },
  least: { fn: (...xs) => pick(xs, (c) => c < 0), nullSafe: true },
};

/** HEX (radix 16) and BIN (2) as DuckDB: upper-case digits, a string byte by byte (two hex or eight binary digits each). */
function digitsOf(x: unknown, radix: 2 | 16): string {
  if (typeof x === 'string') {
    const width = radix === 16 ? 2 : 8;
    return Array.from(Buffer.from(x, 'utf8'), (b) => b.toString(radix).padStart(width, '0')).join('').toUpperCase();
  }
  return BigInt.asUintN(64, BigInt(x as number | bigint)).toString(radix).toUpperCase();
}

/** TO_BASE(n, radix[, min_length]): a non-negative integer in base 2 to 36, zero-padded to min_length (at most 64). */
function toBase(n: bigint, radix: number, width: number): string {
  if (n < 0n) throw new Error(`TO_BASE: the number must be 0 or more, got ${n}`);
  if (!(Number.isInteger(radix) && radix >= 2 && radix <= 36)) throw new Error(`TO_BASE: the radix must be between 2 and 36, got ${radix}`);
  if (!(Number.isInteger(width) && width >= 0 && width <= 64)) throw new Error(`TO_BASE: the minimum length must be between 0 and 64, got ${width}`);
  return n.toString(radix).toUpperCase().padStart(width, '0');
}

const globs = new Map<string, Matcher>();

/**
 * `s GLOB pattern` as DuckDB and SQLite: `*` any run of characters, `?` one, `[abc]` and `[a-z]`
 * one of them (`[!...]` one not), everything else itself, case counting, over the
 * whole string. A bracket left open matches itself.
 */
function globMatcher(pattern: string): Matcher {
  let re = globs.get(pattern);
  if (re) return re;
  let src = '';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') src += '.*';
    else if (c === '?') src += '.';
    else if (c === '[' && chars.indexOf(']', i + 2) > i) {
      const end = chars.indexOf(']', i + 2);
      let body = chars.slice(i + 1, end);
      const negated = body[0] === '!';
      if (negated) body = body.slice(1);
      src += `[${negated ? '^' : ''}${body.map((b) => (b === '-' ? '-' : b.replace(/[\\\]\[^]/g, '\\$&'))).join('')}]`;
      i = end;
    } else src += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  re = wholeMatcher(src, false);
  if (globs.size > 1000) globs.clear();
  globs.set(pattern, re);
  return re;
}

/** The bytes spelled by hex (radix 16) or binary (radix 2) digits, most significant first. */
function bytesOfDigits(s: string, radix: 16 | 2, name: string): Uint8Array {
  const per = radix === 16 ? 2 : 8;
  const valid = radix === 16 ? /^[0-9A-Fa-f]*$/ : /^[01]*$/;
  if (!valid.test(s)) throw new Error(`${name}: '${s.length > 40 ? `${s.slice(0, 40)}...` : s}' is not ${radix === 16 ? 'hex digits' : 'binary digits'}`);
  const padded = s.padStart(Math.ceil(s.length / per) * per, '0');
  const out = new Uint8Array(padded.length / per);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(padded.slice(i * per, (i + 1) * per), radix);
  return out;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(b: Uint8Array): string {
  try {
    return strictUtf8.decode(b);
  } catch {
    throw new Error('DECODE: the bytes are not UTF-8 text; read them with HEX(b) or TO_BASE64(b)');
  }
}
