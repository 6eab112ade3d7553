/**
 * Typed WITH (...) options. Every connector declares the options it takes, with a type, a
 * default and a line of documentation; CREATE checks the options written against the
 * declarations (unknown keys with "did you mean", values against their type, with a caret on
 * the offending option), and the connector reads them back, parsed, when a query runs.
 */
import { parseDuration } from '../common/duration.js';
import { SluiceError, didYouMean } from '../common/errors.js';
import type { Span } from '../common/span.js';

export type OptionValue = string | number | boolean;
/** Options as a catalog entry keeps them: keys lower-case, values as written. */
export type OptionMap = Readonly<Record<string, OptionValue>>;
/** One option as written in a statement, with where it was written. */
export interface WrittenOption {
  readonly key: string;
  readonly value: OptionValue;
  readonly span?: Span;
}

export type OptionType =
  | { readonly kind: 'string'; readonly values?: readonly string[] }
  | { readonly kind: 'integer'; readonly min?: number; readonly max?: number }
  | { readonly kind: 'number'; readonly min?: number; readonly max?: number; readonly minExclusive?: boolean }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'duration' }
  /** Milliseconds since the epoch, or text Date.parse reads ('2024-01-01T00:00:00Z'). */
  | { readonly kind: 'timestamp' };

export interface OptionDecl {
  /** Lower-case key as written in WITH (...). */
  readonly name: string;
  readonly type: OptionType;
  /** One sentence for docs/connectors.md and error hints. */
  readonly doc: string;
  /** The value used when the option is absent, as documentation text (e.g. "the relation's name"). */
  readonly default?: string;
}

export const str = (name: string, doc: string, dflt?: string, values?: readonly string[]): OptionDecl => ({ name, type: values ? { kind: 'string', values } : { kind: 'string' }, doc, ...(dflt !== undefined ? { default: dflt } : {}) });
export const int = (name: string, doc: string, dflt?: string, min?: number, max?: number): OptionDecl => ({
  name,
  type: { kind: 'integer', ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) },
  doc,
  ...(dflt !== undefined ? { default: dflt } : {}),
});

/** How the type reads in an error or in the docs: "an integer of at least 1". */
export function typeText(t: OptionType): string {
  switch (t.kind) {
    case 'string':
      return t.values ? `one of ${t.values.map((v) => `'${v}'`).join(', ')}` : 'text';
    case 'integer':
    case 'number': {
      const what = t.kind === 'integer' ? 'an integer' : 'a number';
      const min = t.kind === 'number' && t.minExclusive ? `above ${t.min}` : `of at least ${t.min}`;
      if (t.min !== undefined && t.max !== undefined) return t.kind === 'number' && t.minExclusive ? `${what} above ${t.min} and at most ${t.max}` : `${what} from ${t.min} to ${t.max}`;
      if (t.min !== undefined) return `${what} ${min}`;
      if (t.max !== undefined) return `${what} of at most ${t.max}`;
      return what;
    }
    case 'boolean':
      return 'true or false';
    case 'duration':
      return "a duration such as '500ms', '5s' or '1h'";
    case 'timestamp':
      return "a time: milliseconds since 1970 or text such as '2024-01-01T00:00:00Z'";
  }
}

/** The value of `v` as type `t`, or undefined when it is not one. */
export function parseValue(t: OptionType, v: OptionValue): OptionValue | undefined {
  const num = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  switch (t.kind) {
    case 'string': {
      const s = String(v);
      if (!t.values) return s;
      return t.values.find((x) => x === s.toLowerCase());
    }
    case 'integer':
    case 'number': {
      if (!Number.isFinite(num) || (t.kind === 'integer' && !Number.isInteger(num))) return undefined;
      if (t.min !== undefined && (num < t.min || (t.kind === 'number' && t.minExclusive && num === t.min))) return undefined;
      if (t.max !== undefined && num > t.max) return undefined;
      return num;
    }
    case 'boolean': {
      const s = String(v).toLowerCase();
      return s === 'true' ? true : s === 'false' ? false : undefined;
    }
    case 'duration':
      try {
        return parseDuration('', v);
      } catch {
        return undefined;
      }
    case 'timestamp': {
      if (Number.isFinite(num)) return num;
      const ms = typeof v === 'string' ? Date.parse(v) : NaN;
      return Number.isNaN(ms) ? undefined : ms;
    }
  }
}

/**
 * Checks written options against `decls`: throws INVALID_ARGUMENT at the first key that is not
 * declared (with "did you mean") or whose value does not fit its type, with the option's span.
 * `what` names the relation and connector: "stream tx (connector 'datagen')".
 */
export function checkOptions(written: readonly WrittenOption[], decls: readonly OptionDecl[], what: { readonly relation: string; readonly connector?: string }): void {
  const byName = new Map(decls.map((d) => [d.name, d]));
  const where = what.connector !== undefined ? ` (connector '${what.connector}')` : '';
  for (const o of written) {
    const key = o.key.toLowerCase();
    const decl = byName.get(key);
    if (!decl) {
      const known = decls.map((d) => d.name);
      throw new SluiceError('INVALID_ARGUMENT', `${what.relation} does not take option '${o.key}'${where}`, {
        ...(o.span ? { span: o.span } : {}),
        hint: didYouMean(key, known) ?? `it takes ${known.join(', ')}`,
      });
    }
    if (parseValue(decl.type, o.value) === undefined) throw badValue(decl, o.value, `${what.relation}${where}`, o.span);
  }
}

function badValue(decl: OptionDecl, value: OptionValue, what: string, span: Span | undefined): SluiceError {
  return new SluiceError('INVALID_ARGUMENT', `${what}: option '${decl.name}' must be ${typeText(decl.type)}, got ${JSON.stringify(value)}`, {
    ...(span ? { span } : {}),
    hint: `'${decl.name}': ${decl.doc}${decl.default !== undefined ? ` Default: ${decl.default}.` : ''}`,
  });
}

/**
 * Reads options a query runs with, checked at CREATE: `get` returns the parsed value or
 * `fallback` when the option is absent. A value that no longer parses (a catalog written by an
 * older build) throws the same error CREATE gives, without a span.
 */
export class ParsedOptions {
  private readonly byName: Map<string, OptionDecl>;

  constructor(
    readonly raw: OptionMap,
    decls: readonly OptionDecl[],
    private readonly what: string,
  ) {
    this.byName = new Map(decls.map((d) => [d.name, d]));
  }

  has(name: string): boolean {
    return this.raw[name] !== undefined;
  }

  number(name: string, fallback: number): number {
    const v = this.value(name);
    return v === undefined ? fallback : Number(v);
  }

  string(name: string, fallback: string): string {
    const v = this.value(name);
    return v === undefined ? fallback : String(v);
  }

  boolean(name: string, fallback: boolean): boolean {
    const v = this.value(name);
    return v === undefined ? fallback : v === true;
  }

  private value(name: string): OptionValue | undefined {
    const decl = this.byName.get(name);
    if (!decl) throw new SluiceError('INTERNAL', `option '${name}' is not declared for ${this.what}`);
    const raw = this.raw[name];
    if (raw === undefined) return undefined;
    const v = parseValue(decl.type, raw);
    if (v === undefined) throw badValue(decl, raw, this.what, undefined);
    return v;
  }
}
