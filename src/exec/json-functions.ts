/**
 * JSON functions over text, as DuckDB's JSON extension has them: JSON_EXTRACT (`->`),
 * JSON_EXTRACT_STRING (`->>`), JSON_EXISTS, JSON_VALID, JSON_TYPE, JSON_ARRAY_LENGTH, JSON_KEYS,
 * JSON (minified), and TO_JSON / JSON_OBJECT / JSON_ARRAY from SQL values. A JSON value is a
 * STRING here (docs/sql.md, "JSON").
 *
 * The text is read into a small tree that keeps each number as written (an integer of any size
 * stays exact) and each object's keys in their order, and written back without spaces, numbers
 * as DuckDB writes them (`1.50` as 1.5, `1e2` as 100.0). Malformed JSON is a row error naming the
 * position.
 */
import { MAX_JSON_DEPTH } from '../common/exact-json.js';
import { intervalText } from '../common/interval-text.js';
import { dateSqlText, timeSqlText, timestampSqlText } from '../common/timestamp-text.js';
import { mapTypes, type DataType } from '../common/types.js';

type Json =
  | { readonly t: 'object'; readonly entries: readonly (readonly [string, Json])[] }
  | { readonly t: 'array'; readonly items: readonly Json[] }
  | { readonly t: 'string'; readonly v: string }
  | { readonly t: 'number'; readonly text: string }
  | { readonly t: 'boolean'; readonly v: boolean }
  | { readonly t: 'null' };

/** Reads JSON text; nesting deeper than MAX_JSON_DEPTH is a row error, not a stack overflow. */
class Reader {
  private i = 0;
  private depth = 0;
  constructor(private readonly s: string) {}

  document(): Json {
    const v = this.value();
    this.ws();
    if (this.i < this.s.length) this.fail('unexpected text after the JSON value');
    return v;
  }

  private fail(what: string): never {
    throw new Error(`malformed JSON: ${what} at position ${this.i} of ${preview(this.s)}`);
  }

  private ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i]!)) this.i++;
  }

  private value(): Json {
    this.ws();
    const c = this.s[this.i];
    if (c === '{' || c === '[') {
      if (++this.depth > MAX_JSON_DEPTH) this.fail(`arrays and objects nested deeper than ${MAX_JSON_DEPTH} levels`);
      const v = c === '{' ? this.object() : this.array();
      this.depth--;
      return v;
    }
    if (c === '"') return { t: 'string', v: this.string() };
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, v] of WORDS) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    return this.fail(c === undefined ? 'the text ends where a value should be' : `unexpected '${c}'`);
  }

  private object(): Json {
    this.i++;
    const entries: [string, Json][] = [];
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return { t: 'object', entries };
    }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('expected a key in quotes');
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail("expected ':'");
      this.i++;
      entries.push([key, this.value()]);
      this.ws();
      const c = this.s[this.i++];
      if (c === '}') return { t: 'object', entries };
      if (c !== ',') {
        this.i--;
        this.fail("expected ',' or '}'");
      }
    }
  }

  private array(): Json {
    this.i++;
    const items: Json[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return { t: 'array', items };
    }
    for (;;) {
      items.push(this.value());
      this.ws();
      const c = this.s[this.i++];
      if (c === ']') return { t: 'array', items };
      if (c !== ',') {
        this.i--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  private string(): string {
    const start = this.i;
    this.i++;
    let simple = true;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c === 34) {
        this.i++;
        const raw = this.s.slice(start, this.i);
        if (simple) return raw.slice(1, -1);
        try {
          return JSON.parse(raw) as string;
        } catch {
          this.i = start;
          return this.fail('a string with a bad escape');
        }
      }
      if (c === 92) {
        simple = false;
        this.i += 2;
        continue;
      }
      if (c < 32) this.fail('a control character in a string');
      this.i++;
    }
    this.i = start;
    return this.fail('a string that does not end');
  }

  private number(): Json {
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = this.i;
    const found = m.exec(this.s);
    if (!found) this.fail('a malformed number');
    this.i += found[0].length;
    return { t: 'number', text: found[0] };
  }
}

const WORDS: readonly [string, Json][] = [
  ['true', { t: 'boolean', v: true }],
  ['false', { t: 'boolean', v: false }],
  ['null', { t: 'null' }],
];

function preview(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}...` : s);
}

/** Reads JSON text; a malformed one throws (a row error). */
export function readJson(text: string): Json {
  return new Reader(text).document();
}

/** JSON text of a tree, without spaces. */
function write(v: Json): string {
  switch (v.t) {
    case 'object':
      return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${write(x)}`).join(',')}}`;
    case 'array':
      return `[${v.items.map(write).join(',')}]`;
    case 'string':
      return JSON.stringify(v.v);
    case 'number':
      return numberText(v.text);
    case 'boolean':
      return String(v.v);
    case 'null':
      return 'null';
  }
}

/** An integer as written (any size); a number with a fraction or exponent as a double, with `.0` when whole. */
function numberText(text: string): string {
  return /^-?\d+$/.test(text) ? text : doubleText(Number(text));
}

/** A double as DuckDB writes one in JSON: 2.0, 1.5, 1e30, 1.5e-7. */
function doubleText(x: number): string {
  const s = String(x).replace('e+', 'e');
  return Number.isInteger(x) && !s.includes('e') ? `${s}.0` : s;
}

// ---------------------------------------------------------------------------- paths

/** A step of a path: an object key, an array index (negative: from the end), every member of an object (`.*`) or every element of an array (`[*]`). */
type Step = string | number | typeof MEMBERS | typeof ELEMENTS;
const MEMBERS = Symbol('.*');
const ELEMENTS = Symbol('[*]');

/**
 * A path as DuckDB reads one: `$.a.b[1]` (JSONPath: `.name`, `."quoted name"`, `[n]`, `[#-n]` or `[-n]`
 * from the end, `[*]` and `.*` every element or member), `/a/b/1` (JSON Pointer), a plain key
 * (`'a'`), or an integer (an array index).
 */
function pathSteps(path: unknown): Step[] {
  if (typeof path === 'number' || typeof path === 'bigint') return [Number(path)];
  const p = String(path);
  if (p.startsWith('$')) return jsonPath(p);
  if (p.startsWith('/')) return p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  return [p];
}

function jsonPath(p: string): Step[] {
  const steps: Step[] = [];
  let i = 1;
  const bad = (): never => {
    throw new Error(`malformed JSON path ${JSON.stringify(p)} at position ${i}: write e.g. '$.a.b[0]'`);
  };
  while (i < p.length) {
    const c = p[i];
    if (c === '.') {
      i++;
      if (p[i] === '*') {
        steps.push(MEMBERS);
        i++;
      } else if (p[i] === '"') {
        const end = p.indexOf('"', i + 1);
        if (end < 0) bad();
        steps.push(p.slice(i + 1, end));
        i = end + 1;
      } else {
        const m = /[^.[]+/y;
        m.lastIndex = i;
        const name = m.exec(p);
        if (!name) bad();
        steps.push(name![0]);
        i += name![0].length;
      }
    } else if (c === '[' && /^\[\s*\*\s*\]/.test(p.slice(i, i + 8))) {
      steps.push(ELEMENTS);
      i = p.indexOf(']', i) + 1;
    } else if (c === '[') {
      // [n], and from the end [#-n] or [-n] (DuckDB reads both).
      const m = /\[\s*(#\s*-\s*|-\s*)?(\d+)\s*\]/y;
      m.lastIndex = i;
      const idx = m.exec(p);
      if (!idx) bad();
      steps.push(idx![1] ? -Number(idx![2]) : Number(idx![2]));
      i += idx![0].length;
    } else {
      bad();
    }
  }
  return steps;
}

/** The value at `path` in `doc`, or undefined where there is none. */
function at(doc: Json, path: unknown): Json | undefined {
  let v: Json | undefined = doc;
  for (const step of pathSteps(path)) {
    if (v === undefined) return undefined;
    if (typeof step === 'symbol') throw new Error(`the JSON path ${JSON.stringify(String(path))} has a wildcard, which gives a list: use it in JSON_EXTRACT or JSON_EXTRACT_STRING`);
    v = stepInto(v, step);
  }
  return v;
}

function stepInto(v: Json, step: string | number): Json | undefined {
  if (typeof step === 'number') return v.t === 'array' ? v.items[step < 0 ? v.items.length + step : step] : undefined;
  if (v.t !== 'object') return undefined;
  let found: Json | undefined;
  for (const [k, x] of v.entries) if (k === step) found = x;
  return found;
}

/** Every value a path with wildcards reaches in `doc`, in document order. */
function everyAt(doc: Json, path: unknown): Json[] {
  const steps = pathSteps(path);
  const out: Json[] = [];
  const walk = (v: Json, i: number): void => {
    if (i === steps.length) {
      out.push(v);
      return;
    }
    const step = steps[i]!;
    if (step === ELEMENTS) {
      if (v.t === 'array') for (const x of v.items) walk(x, i + 1);
    } else if (step === MEMBERS) {
      if (v.t === 'object') for (const [, x] of v.entries) walk(x, i + 1);
    } else {
      const next = stepInto(v, step);
      if (next !== undefined) walk(next, i + 1);
    }
  };
  walk(doc, 0);
  return out;
}

/** The values of JSON_EXTRACT with a wildcard path (every value it reaches) or a list of paths (one each, NULL where none). */
function extractMany(j: unknown, path: unknown): (Json | undefined)[] {
  const doc = readJson(String(j));
  if (Array.isArray(path) || ArrayBuffer.isView(path)) return Array.from(path as ArrayLike<unknown>, (p) => (p === null || p === undefined ? undefined : at(doc, p)));
  return everyAt(doc, path);
}

/** JSON_EXTRACT_STRING of one value: a string as it is, anything else as its JSON text, JSON null as NULL. */
function stringOf(v: Json | undefined): string | null {
  if (v === undefined || v.t === 'null') return null;
  return v.t === 'string' ? v.v : write(v);
}

function typeName(v: Json): string {
  switch (v.t) {
    case 'object':
      return 'OBJECT';
    case 'array':
      return 'ARRAY';
    case 'string':
      return 'VARCHAR';
    case 'boolean':
      return 'BOOLEAN';
    case 'null':
      return 'NULL';
    case 'number':
      if (!/^-?\d+$/.test(v.text)) return 'DOUBLE';
      return BigInt(v.text) < 0n ? 'BIGINT' : BigInt(v.text) <= 9223372036854775807n ? 'UBIGINT' : 'DOUBLE';
  }
}

/** The JSON functions over text (SCALAR_IMPLS entries; NULL in, NULL out). */
export const JSON_IMPLS: Readonly<Record<string, { readonly fn: (...args: unknown[]) => unknown; readonly nullSafe?: boolean }>> = {
  json_extract: { fn: (j, path) => optionalText(at(readJson(String(j)), path)) },
  json_extract_string: { fn: (j, path) => stringOf(at(readJson(String(j)), path)) },
  // With a wildcard path or a list of paths (the binder names them so): a list.
  json_extract_many: { fn: (j, path) => extractMany(j, path).map(optionalText) },
  json_extract_string_many: { fn: (j, path) => extractMany(j, path).map(stringOf) },
  json_exists: { fn: (j, path) => at(readJson(String(j)), path) !== undefined },
  json_valid: {
    fn: (j) => {
      try {
        readJson(String(j));
        return true;
      } catch {
        return false;
      }
    },
  },
  json_type: {
    fn: (j, path) => {
      const v = path === undefined ? readJson(String(j)) : at(readJson(String(j)), path);
      return v === undefined ? null : typeName(v);
    },
  },
  json_array_length: {
    fn: (j, path) => {
      const v = path === undefined ? readJson(String(j)) : at(readJson(String(j)), path);
      if (v === undefined) return null;
      return BigInt(v.t === 'array' ? v.items.length : 0);
    },
  },
  json_keys: {
    fn: (j, path) => {
      const v = path === undefined ? readJson(String(j)) : at(readJson(String(j)), path);
      if (v === undefined) return null;
      return v.t === 'object' ? v.entries.map(([k]) => k) : [];
    },
  },
  json: { fn: (j) => write(readJson(String(j))) },
  // JSON_VALUE(j, path): the scalar at path as JSON text ('1', '"x"', 'true'); NULL for an object,
  // an array, JSON null or no value, as DuckDB.
  json_value: {
    fn: (j, path) => {
      const v = at(readJson(String(j)), path);
      return v === undefined || v.t === 'object' || v.t === 'array' || v.t === 'null' ? null : write(v);
    },
  },
  // JSON_CONTAINS(haystack, needle): whether needle is found in haystack at any depth.
  json_contains: { fn: (h, n) => contains(readJson(String(h)), readJson(String(n))) },
  // JSON_MERGE_PATCH(j, patch, ...): each patch applied in turn, as RFC 7396; a document that is
  // not an object becomes the patch as it is (its nulls kept), as DuckDB.
  json_merge_patch: { fn: (...docs) => write(docs.map((d) => readJson(String(d))).reduce((doc, patch) => (doc.t === 'object' ? mergePatch(doc, patch) : patch))) },
  // JSON_PRETTY(j): indented four spaces per level, as DuckDB writes it.
  json_pretty: { fn: (j) => pretty(readJson(String(j)), '') },
};

/**
 * Whether `needle` is in `haystack`: equal to it as DuckDB's JSON_CONTAINS compares (an object
 * holds the needle's keys with values that hold the needle's, an array holds each of the needle's
 * elements in some element, numbers by value), or in one of its values or elements, at any depth.
 */
function contains(haystack: Json, needle: Json): boolean {
  if (holds(haystack, needle)) return true;
  if (haystack.t === 'array') return haystack.items.some((x) => contains(x, needle));
  if (haystack.t === 'object') return haystack.entries.some(([, x]) => contains(x, needle));
  return false;
}

function holds(a: Json, b: Json): boolean {
  switch (b.t) {
    case 'object':
      return a.t === 'object' && b.entries.every(([k, v]) => a.entries.some(([x, w]) => x === k && holds(w, v)));
    case 'array':
      return a.t === 'array' && b.items.every((v) => a.items.some((w) => holds(w, v)));
    case 'number':
      return a.t === 'number' && Number(a.text) === Number(b.text);
    case 'string':
    case 'boolean':
      return a.t === b.t && a.v === b.v;
    case 'null':
      return a.t === 'null';
  }
}

/** RFC 7396: a patch that is an object sets its keys (null removes one) into `target` read as an object; any other patch replaces it. */
function mergePatch(target: Json, patch: Json): Json {
  if (patch.t !== 'object') return patch;
  const out = new Map<string, Json>(target.t === 'object' ? target.entries : []);
  for (const [k, v] of patch.entries) {
    if (v.t === 'null') out.delete(k);
    else out.set(k, mergePatch(out.get(k) ?? { t: 'null' }, v));
  }
  return { t: 'object', entries: [...out] };
}

function pretty(v: Json, indent: string): string {
  const inner = `${indent}    `;
  if (v.t === 'object' && v.entries.length > 0) return `{\n${v.entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${pretty(x, inner)}`).join(',\n')}\n${indent}}`;
  if (v.t === 'array' && v.items.length > 0) return `[\n${v.items.map((x) => `${inner}${pretty(x, inner)}`).join(',\n')}\n${indent}]`;
  return write(v);
}

function optionalText(v: Json | undefined): string | null {
  return v === undefined ? null : write(v);
}

// ---------------------------------------------------------------------------- SQL values as JSON

/** Functions whose STRING result is JSON text: embedded as it is in TO_JSON, JSON_OBJECT, JSON_ARRAY. */
export const JSON_VALUED_FUNCTIONS: ReadonlySet<string> = new Set(['json_extract', 'json', 'to_json', 'json_object', 'json_array', 'json_merge_patch']);

/**
 * Writes a value of `type` as JSON text, as DuckDB's TO_JSON: numbers and booleans as they are,
 * times and intervals as their text, lists and structs nested; `raw`: the value is JSON text
 * already (a JSON-valued call's result).
 */
export function jsonWriter(type: DataType, raw = false): (v: unknown) => string {
  if (raw) return (v) => (v === null || v === undefined ? 'null' : write(readJson(String(v))));
  switch (type.kind) {
    case 'FLOAT':
    case 'DOUBLE':
      return (v) => (v === null || v === undefined ? 'null' : typeof v === 'number' && !Number.isFinite(v) ? JSON.stringify(String(v)) : doubleText(v as number));
    case 'INT':
    case 'BIGINT':
    case 'BOOLEAN':
      return (v) => (v === null || v === undefined ? 'null' : String(v));
    case 'TIMESTAMP':
      return (v) => (v === null || v === undefined ? 'null' : JSON.stringify(timestampSqlText(Number(v))));
    case 'DATE':
      return (v) => (v === null || v === undefined ? 'null' : JSON.stringify(dateSqlText(Number(v))));
    case 'TIME':
      return (v) => (v === null || v === undefined ? 'null' : JSON.stringify(timeSqlText(Number(v))));
    case 'INTERVAL':
      return (v) => (v === null || v === undefined ? 'null' : JSON.stringify(intervalText(Number(v))));
    case 'ARRAY': {
      // A MAP as an object of its entries, each key as its text, as DuckDB's TO_JSON writes one.
      const map = mapTypes(type);
      if (map) {
        const key = jsonWriter(map.key);
        const value = jsonWriter(map.value);
        const name = (k: unknown): string => {
          const text = key(k);
          return text.startsWith('"') ? text : JSON.stringify(text);
        };
        return (v) => (v === null || v === undefined ? 'null' : `{${Array.from(v as ArrayLike<{ key: unknown; value: unknown }>, (e) => `${name(e.key)}:${value(e.value)}`).join(',')}}`);
      }
      const each = jsonWriter(type.element);
      return (v) => (v === null || v === undefined ? 'null' : `[${Array.from(v as ArrayLike<unknown>, each).join(',')}]`);
    }
    case 'STRUCT': {
      const fields = type.fields.map((f) => [JSON.stringify(f.name), f.name, jsonWriter(f.type)] as const);
      return (v) => {
        if (v === null || v === undefined) return 'null';
        const o = v as Record<string, unknown>;
        return `{${fields.map(([key, name, w]) => `${key}:${w(o[name])}`).join(',')}}`;
      };
    }
    case 'BYTES':
      return (v) => (v === null || v === undefined ? 'null' : JSON.stringify(Buffer.from(v as Uint8Array).toString('base64')));
    case 'STRING':
    case 'NULL':
      return (v) => (v === null || v === undefined ? 'null' : JSON.stringify(String(v)));
  }
}

/** JSON_OBJECT(k1, v1, ...): the writers are those of the values. */
export function jsonObject(writers: readonly ((v: unknown) => string)[], args: readonly unknown[]): string {
  const parts: string[] = [];
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i];
    if (key === null || key === undefined) throw new Error('JSON_OBJECT: a key is NULL');
    parts.push(`${JSON.stringify(String(key))}:${writers[i + 1]!(args[i + 1])}`);
  }
  return `{${parts.join(',')}}`;
}

/** JSON_ARRAY(v1, ...). */
export function jsonArray(writers: readonly ((v: unknown) => string)[], args: readonly unknown[]): string {
  return `[${args.map((a, i) => writers[i]!(a)).join(',')}]`;
}

/** JSON_GROUP_OBJECT's object: the keys paired with the values, each value by `write`. */
export function jsonObjectOfLists(keys: ArrayLike<unknown>, values: ArrayLike<unknown>, write: (v: unknown) => string): string {
  const parts: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key === null || key === undefined) throw new Error('JSON_GROUP_OBJECT: a key is NULL');
    parts.push(`${JSON.stringify(String(key))}:${write(values[i])}`);
  }
  return `{${parts.join(',')}}`;
}
