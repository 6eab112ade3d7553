/**
 * REGEXP_MATCHES, REGEXP_FULL_MATCH, REGEXP_REPLACE and REGEXP_EXTRACT, as DuckDB. Patterns come
 * from SQL, which is untrusted (docs/security.md): they run on re2js, a port of RE2 whose
 * matching takes time linear in the input whatever the pattern (JavaScript's own RegExp
 * backtracks, so `(a+)+$` over a long string would hold the event loop for minutes). The syntax
 * is RE2's, DuckDB's too: no backreferences or lookaround.
 */
import { RE2JS } from 're2js';
import { MAX_BUILT_STRING } from './string-functions.js';

/** Longest pattern accepted: a pattern past it is a row error rather than a large automaton. */
const MAX_PATTERN_LENGTH = 10_000;
/** Compiled patterns kept for reuse (a pattern is usually a constant: compiled once). */
const CACHE_SIZE = 256;
const cache = new Map<string, RE2JS>();

interface Options {
  readonly flags: number;
  readonly global: boolean;
  readonly literal: boolean;
}

/**
 * DuckDB's option letters: `i` case-insensitive, `c` case-sensitive (the default), `s` `.`
 * matches a newline, `m`, `n` and `p` it does not (the default), `l` the pattern is literal text,
 * `g` every match (REGEXP_REPLACE).
 */
function parseOptions(fn: string, text: string | undefined): Options {
  let flags = 0;
  let global = false;
  let literal = false;
  for (const ch of text ?? '') {
    if (ch === 'i') flags |= RE2JS.CASE_INSENSITIVE;
    else if (ch === 'c') flags &= ~RE2JS.CASE_INSENSITIVE;
    else if (ch === 's') flags |= RE2JS.DOTALL;
    else if (ch === 'm' || ch === 'n' || ch === 'p') flags &= ~RE2JS.DOTALL;
    else if (ch === 'l') literal = true;
    else if (ch === 'g' && fn === 'REGEXP_REPLACE') global = true;
    else throw new Error(`${fn}: unknown option '${ch}' (options: i, c, s, m, n, p, l${fn === 'REGEXP_REPLACE' ? ', g' : ''})`);
  }
  return { flags, global, literal };
}

function compiled(fn: string, pattern: string, options: Options): RE2JS {
  if (pattern.length > MAX_PATTERN_LENGTH) throw new Error(`${fn}: the pattern is ${pattern.length} characters long, more than the ${MAX_PATTERN_LENGTH} allowed`);
  const key = `${options.flags}:${options.literal ? 'l' : ''}:${pattern}`;
  let re = cache.get(key);
  if (re === undefined) {
    try {
      re = RE2JS.compile(options.literal ? RE2JS.quote(pattern) : pattern, options.flags);
    } catch (err) {
      throw new Error(`${fn}: invalid pattern ${JSON.stringify(pattern)}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, re);
  }
  return re;
}

/** REGEXP_MATCHES(s, pattern[, options]): whether the pattern matches anywhere in `s`. */
export function regexpMatches(s: unknown, pattern: unknown, options?: unknown): boolean {
  const o = parseOptions('REGEXP_MATCHES', options as string | undefined);
  return compiled('REGEXP_MATCHES', pattern as string, o).matcher(s as string).find();
}

/** REGEXP_FULL_MATCH(s, pattern[, options]): whether the pattern matches all of `s`. */
export function regexpFullMatch(s: unknown, pattern: unknown, options?: unknown): boolean {
  const o = parseOptions('REGEXP_FULL_MATCH', options as string | undefined);
  return compiled('REGEXP_FULL_MATCH', pattern as string, o).matches(s as string);
}

/**
 * REGEXP_REPLACE(s, pattern, replacement[, options]): the first match (every match with `g`)
 * replaced; in the replacement `\0` to `\9` are the match and its groups and `\\` a backslash.
 */
export function regexpReplace(s: unknown, pattern: unknown, replacement: unknown, options?: unknown): string {
  const o = parseOptions('REGEXP_REPLACE', options as string | undefined);
  const text = s as string;
  const m = compiled('REGEXP_REPLACE', pattern as string, o).matcher(text);
  let out = '';
  let last = 0;
  let afterMatch = false;
  while (m.find()) {
    // As RE2's global replace: an empty match right after a non-empty one is not a match.
    if (afterMatch && m.start() === m.end() && m.start() === last) continue;
    out += text.slice(last, m.start()) + expand(replacement as string, (g) => (g <= m.groupCount() ? (m.group(g) ?? '') : undefined));
    // Every empty match of 'x*' in a long string times a long replacement could build gigabytes.
    if (out.length > MAX_BUILT_STRING) throw new Error(`REGEXP_REPLACE would build a string of more than the ${MAX_BUILT_STRING} characters allowed`);
    afterMatch = m.end() > m.start();
    last = m.end();
    if (!o.global) break;
  }
  return out + text.slice(last);
}

/**
 * REGEXP_SPLIT_TO_ARRAY(s, pattern) (STRING_SPLIT_REGEX): the parts between matches, empty ones
 * kept (as DuckDB: 'a1' by '[0-9]' is ['a', '']); a pattern that matches the empty string splits
 * between characters.
 */
export function regexpSplit(s: unknown, pattern: unknown): string[] {
  const re = compiled('REGEXP_SPLIT_TO_ARRAY', pattern as string, parseOptions('REGEXP_SPLIT_TO_ARRAY', undefined));
  const text = s as string;
  if (text.length === 0) return [''];
  const parts: string[] = [];
  const m = re.matcher(text);
  let from = 0;
  let at = 0;
  while (at <= text.length && m.find(at)) {
    const [start, end] = [m.start(), m.end()];
    if (end === start) {
      // An empty match: split after the next character.
      if (start >= text.length) break;
      if (start > from) {
        parts.push(text.slice(from, start));
        from = start;
      }
      at = start + (text.codePointAt(start)! > 0xffff ? 2 : 1);
      continue;
    }
    parts.push(text.slice(from, start));
    from = end;
    at = end;
  }
  parts.push(text.slice(from));
  return parts;
}

/** REGEXP_EXTRACT(s, pattern[, group]): the first match's group (0: the whole match); '' when none matches, as DuckDB. */
export function regexpExtract(s: unknown, pattern: unknown, group?: unknown): string {
  const fn = 'REGEXP_EXTRACT';
  const re = compiled(fn, pattern as string, parseOptions(fn, undefined));
  const m = re.matcher(s as string);
  return m.find() ? (m.group(groupOf(fn, re, group)) ?? '') : '';
}

/**
 * REGEXP_EXTRACT_ALL(s, pattern[, group]): the group (0: the whole match) of every match, left to
 * right, as DuckDB; an empty match moves on by one character.
 */
export function regexpExtractAll(s: unknown, pattern: unknown, group?: unknown): string[] {
  const fn = 'REGEXP_EXTRACT_ALL';
  const re = compiled(fn, pattern as string, parseOptions(fn, undefined));
  const g = groupOf(fn, re, group);
  const text = s as string;
  const m = re.matcher(text);
  const out: string[] = [];
  let at = 0;
  while (at <= text.length && m.find(at)) {
    out.push(m.group(g) ?? '');
    if (out.length > MAX_BUILT_STRING) throw new Error(`${fn} would return more than ${MAX_BUILT_STRING} matches`);
    at = m.end() > m.start() ? m.end() : m.end() + (m.end() < text.length && text.codePointAt(m.end())! > 0xffff ? 2 : 1);
  }
  return out;
}

function groupOf(fn: string, re: RE2JS, group: unknown): number {
  const g = group === undefined ? 0 : Number(group);
  if (!Number.isInteger(g) || g < 0 || g > re.groupCount()) throw new Error(`${fn}: the pattern has ${re.groupCount()} group${re.groupCount() === 1 ? '' : 's'}, not group ${String(group)}`);
  return g;
}

function expand(replacement: string, group: (n: number) => string | undefined): string {
  let out = '';
  for (let i = 0; i < replacement.length; i++) {
    const ch = replacement[i]!;
    if (ch !== '\\' || i + 1 === replacement.length) {
      out += ch;
      continue;
    }
    const next = replacement[++i]!;
    if (next >= '0' && next <= '9') {
      const value = group(Number(next));
      if (value === undefined) throw new Error(`REGEXP_REPLACE: the replacement refers to group \\${next}, which the pattern does not have`);
      out += value;
    } else out += next;
  }
  return out;
}
