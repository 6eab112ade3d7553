/**
 * SQL LIKE patterns as anchored regular expressions over code points: `_` matches one character
 * (a whole code point, so one emoji), `%` any run of characters, newlines included. With an
 * escape character, escape-% and escape-_ match themselves and escape-escape matches the
 * escape character; an empty escape means none. ILIKE folds case with Unicode case folding.
 */

const cache = new Map<string, RegExp>();
const CACHE_MAX = 1000;

/** A matcher for `pattern` (cached); throws a plain Error for a bad ESCAPE or pattern. */
export function likeMatcher(pattern: string, escape?: string, caseInsensitive = false): RegExp {
  const key = `${caseInsensitive ? 'i' : 'c'}${escape ?? ''}\u0000${pattern}`;
  let re = cache.get(key);
  if (!re) {
    re = new RegExp(`^${likeSource(pattern, escape)}$`, caseInsensitive ? 'isu' : 'su');
    if (cache.size < CACHE_MAX) cache.set(key, re);
  }
  return re;
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
