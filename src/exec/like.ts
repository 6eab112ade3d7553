/**
 * SQL LIKE patterns as anchored regular expressions over code points: `_` matches one character
 * (a whole code point, so one emoji), `%` any run of characters, newlines included. With an
 * escape character, escape-% and escape-_ match themselves and escape-escape matches the
 * escape character; an empty escape means none. ILIKE folds case with Unicode case folding.
 *
 * Patterns come from SQL, which is untrusted (docs/security.md). JavaScript's RegExp backtracks:
 * `'%a%a%a%a%b'` over a row of 200 `a`s takes seconds, over a thousand hours, holding the event
 * loop. One `%` cannot backtrack more than once per position, so such a pattern runs on RegExp
 * (the fastest); two or more run on re2js, whose matching takes time linear in the input.
 */
import { RE2JS } from 're2js';

/** What the compiled code calls: whether all of `s` matches. */
export interface Matcher {
  test(s: string): boolean;
}

const cache = new Map<string, Matcher>();
const CACHE_MAX = 1000;

/** A matcher for `pattern` (cached); throws a plain Error for a bad ESCAPE or pattern. */
export function likeMatcher(pattern: string, escape?: string, caseInsensitive = false): Matcher {
  const key = `${caseInsensitive ? 'i' : 'c'}${escape ?? ''}\u0000${pattern}`;
  let re = cache.get(key);
  if (!re) {
    re = wholeMatcher(likeSource(pattern, escape), caseInsensitive);
    if (cache.size < CACHE_MAX) cache.set(key, re);
  }
  return re;
}

/**
 * A matcher of all of a string by `source` (a regular expression of escaped characters, `.`,
 * `.*` and character classes, in the syntax JavaScript and RE2 share): RegExp where it holds one
 * `.*` at most, re2js (linear time) where more could backtrack without bound.
 */
export function wholeMatcher(source: string, caseInsensitive: boolean): Matcher {
  if (source.split('.*').length <= 2) return new RegExp(`^${source}$`, caseInsensitive ? 'isu' : 'su');
  const re = RE2JS.compile(source, RE2JS.DOTALL | (caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0));
  return { test: (s) => re.matcher(s).matches() };
}

function likeSource(pattern: string, escape: string | undefined): string {
  if (escape !== undefined && [...escape].length > 1) {
    throw new Error(`the ESCAPE of LIKE must be one character or empty, got '${escape}'`);
  }
  let out = '';
  let escaped = false;
  for (const ch of pattern) {
    if (escaped) {
      out += literal(ch);
      escaped = false;
    } else if (ch === escape && escape !== '') {
      escaped = true;
    } else if (ch === '%') {
      out += '.*';
    } else if (ch === '_') {
      out += '.';
    } else {
      out += literal(ch);
    }
  }
  if (escaped) throw new Error(`LIKE pattern '${pattern}' ends with the escape character '${escape}'`);
  return out;
}

function literal(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}
