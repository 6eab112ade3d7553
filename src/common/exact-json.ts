/**
 * JSON that keeps 64-bit integers exact. `JSON.parse` reads every number as a double, so
 * 9007199254740993 arrives as ...992; `JSON.stringify` refuses bigints. Here integers beyond
 * ±(2^53 - 1) parse to `bigint` and bigints print as plain digits (JSON numbers, not strings).
 *
 * Invariant: `parseExactJson(stringifyExactJson(v))` equals `v` for values made of null,
 * booleans, finite numbers, bigints, strings, arrays and plain objects.
 */

import { randomBytes } from 'node:crypto';

/**
 * A run of digits long enough to hold an integer beyond 2^53 that is not a fraction (after '.')
 * nor followed by one or an exponent; texts without one take the native path. (Digits of doubles
 * written in full, 0.12345678901234568, no longer send a text down the slow path; runs inside
 * strings still do, harmlessly.)
 */
const LONG_DIGITS = /(?<![\d.])\d{16,}(?![\d.eE])/;

/**
 * Deepest nesting of arrays and objects a JSON text may have. JSON.parse reads any depth, but
 * writing a value back (a dead letter's row, an error message) recurses once a level, and V8's
 * JSON.stringify runs out of stack between 1,000 and 5,000 levels. The JSON functions of SQL
 * hold their arguments to the same depth.
 */
export const MAX_JSON_DEPTH = 1000;

/**
 * Throws a SyntaxError where `text` nests arrays and objects deeper than MAX_JSON_DEPTH. A text
 * too short to nest so deep is not read.
 */
export function checkJsonDepth(text: string): void {
  if (text.length <= 2 * MAX_JSON_DEPTH) return;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) throw new SyntaxError(`arrays and objects nested deeper than ${MAX_JSON_DEPTH} levels at position ${i}`);
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
}

/**
 * Parses JSON text; integers outside the safe range become bigints (everything else as
 * JSON.parse). Nesting past MAX_JSON_DEPTH is a SyntaxError, as malformed text is.
 */
export function parseExactJson(text: string): unknown {
  checkJsonDepth(text);
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  return new ExactParser(text).document();
}

/** JSON text where bigints are written as digits; otherwise as JSON.stringify. */
export function stringifyExactJson(value: unknown): string {
  let big = false;
  const marked = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    big = true;
    return `${MARK}${v.toString()}${MARK}`;
  });
  return big ? marked.replace(MARKED, '$1') : marked;
}

// A bigint goes through JSON.stringify as a string wrapped in a random mark and is unwrapped
// after; the mark is per process, so no data can hold it by chance.
const MARK = `~${randomBytes(12).toString('hex')}~`;
const MARKED = new RegExp(`"${MARK}(-?\\d+)${MARK}"`, 'g');

class ExactParser {
  private i = 0;
  constructor(private readonly s: string) {}

  document(): unknown {
    const v = this.value();
    this.ws();
    if (this.i !== this.s.length) this.fail('unexpected text after the JSON value');
    return v;
  }

  private fail(what: string): never {
    throw new SyntaxError(`${what} at position ${this.i}`);
  }

  private ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      this.i++;
    }
  }

  private value(): unknown {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of WORDS) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail(c === undefined ? 'unexpected end of JSON input' : `unexpected '${c}'`);
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a property name');
      const k = this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      Object.defineProperty(out, k, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return out;
      if (c !== ',') this.fail("expected ',' or '}'");
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return out;
      if (c !== ',') this.fail("expected ',' or ']'");
    }
  }

  private string(): string {
    STRING.lastIndex = this.i;
    const m = STRING.exec(this.s);
    if (!m) return this.fail('bad string');
    this.i += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) return this.fail('bad number');
    this.i += m[0].length;
    const v = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(v)) return BigInt(m[0]);
    return v;
  }
}

const WORDS: readonly (readonly [string, unknown])[] = [
  ['true', true],
  ['false', false],
  ['null', null],
];
// Sticky: they match at lastIndex only, so the parser never copies the rest of the text.
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
