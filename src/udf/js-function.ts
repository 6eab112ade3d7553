/**
 * Scalar user functions written in JavaScript:
 *
 *   CREATE FUNCTION f(a DOUBLE, b DOUBLE) RETURNS DOUBLE LANGUAGE javascript AS 'return a * b'
 *   CREATE FUNCTION g(x DOUBLE) RETURNS DOUBLE LANGUAGE javascript WITH (module = './f.js', export = 'g')
 *
 * A body is compiled once with `new Function` (strict mode); a module is loaded once with a
 * dynamic import. Calls are vectorised: a row whose call throws, or returns a value that does
 * not fit the declared type, fails alone with its message; the other rows are unaffected.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SluiceError, didYouMean } from '../common/errors.js';
import { typeToString, type DataType, type Field } from '../common/types.js';

/** A CREATE FUNCTION statement's content. Exactly one of `body` and `module` is set. */
export interface JsFunctionDef {
  readonly name: string;
  readonly params: readonly Field[];
  readonly returns: DataType;
  /** Only 'javascript' is supported (case-insensitive). */
  readonly language: string;
  readonly body?: string;
  /** Path of an ES module, relative to the registry's base folder. */
  readonly module?: string;
  /** The module export to call; default 'default'. */
  readonly exportName?: string;
}

/** The result of a vectorised call: one value and one (usually undefined) error per row. */
export interface BatchCallResult {
  readonly values: unknown[];
  readonly errors: (string | undefined)[];
  readonly errorCount: number;
}

type Callable = (...args: unknown[]) => unknown;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Coerces a returned value to the declared type, or says why it cannot. */
function coerce(v: unknown, t: DataType): { ok: true; value: unknown } | { ok: false; error: string } {
  if (v === null || v === undefined) return { ok: true, value: null };
  const bad = (): { ok: false; error: string } => ({ ok: false, error: `returned ${describe(v)}, expected ${typeToString(t)}` });
  switch (t.kind) {
    case 'DOUBLE':
    case 'FLOAT':
      return typeof v === 'number' ? { ok: true, value: t.kind === 'FLOAT' ? Math.fround(v) : v } : bad();
    case 'INT':
      return typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647 ? { ok: true, value: v } : bad();
    case 'BIGINT':
      if (typeof v === 'bigint') return { ok: true, value: v };
      return typeof v === 'number' && Number.isSafeInteger(v) ? { ok: true, value: BigInt(v) } : bad();
    case 'BOOLEAN':
      return typeof v === 'boolean' ? { ok: true, value: v } : bad();
    case 'STRING':
      return typeof v === 'string' ? { ok: true, value: v } : bad();
    case 'TIMESTAMP':
    case 'INTERVAL':
      if (v instanceof Date) return { ok: true, value: v.getTime() };
      return typeof v === 'number' && Number.isFinite(v) ? { ok: true, value: v } : bad();
    case 'BYTES':
      return v instanceof Uint8Array ? { ok: true, value: v } : bad();
    case 'ARRAY':
      return Array.isArray(v) || ArrayBuffer.isView(v) ? { ok: true, value: v } : bad();
    case 'STRUCT':
      return typeof v === 'object' ? { ok: true, value: v } : bad();
    case 'NULL':
      return bad();
  }
}

function describe(v: unknown): string {
  if (v instanceof Promise) return 'a Promise (functions must be synchronous)';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}` : `${typeof v} ${String(v)}`;
}

function message(e: unknown): string {
  return e instanceof Error ? `${e.name === 'Error' ? '' : e.name + ': '}${e.message}` : String(e);
}

/** A compiled or imported scalar function. */
export class JsFunction {
  private constructor(
    readonly def: JsFunctionDef,
    private readonly fn: Callable,
  ) {}

  get name(): string {
    return this.def.name;
  }

  /** Compiles the body or imports the module; throws INVALID_ARGUMENT with the reason. */
  static async create(def: JsFunctionDef, baseDir: string = process.cwd()): Promise<JsFunction> {
    if (def.language.toLowerCase() !== 'javascript') {
      throw new SluiceError('UNSUPPORTED', `function '${def.name}': LANGUAGE ${def.language} is not supported; use LANGUAGE javascript`);
    }
    for (const p of def.params) {
      if (!IDENT.test(p.name)) throw new SluiceError('INVALID_ARGUMENT', `function '${def.name}': parameter name '${p.name}' is not a JavaScript identifier`);
    }
    if ((def.body === undefined) === (def.module === undefined)) {
      throw new SluiceError('INVALID_ARGUMENT', `function '${def.name}' needs either a body (AS '...') or WITH (module = '...', export = '...'), not both`);
    }
    if (def.body !== undefined) {
      try {
        // eslint-disable-next-line @typescript-eslint/no-implied-eval
        const fn = new Function(...def.params.map((p) => p.name), `'use strict';\n${def.body}`) as Callable;
        return new JsFunction(def, fn);
      } catch (e) {
        throw new SluiceError('INVALID_ARGUMENT', `function '${def.name}': the body does not compile: ${message(e)}`, { cause: e });
      }
    }
    const modulePath = def.module ?? '';
    const file = isAbsolute(modulePath) ? modulePath : resolve(baseDir, modulePath);
    const exportName = def.exportName ?? 'default';
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (e) {
      throw new SluiceError('INVALID_ARGUMENT', `function '${def.name}': cannot import '${modulePath}': ${message(e)}`, { cause: e });
    }
    const fn = mod[exportName];
    if (typeof fn !== 'function') {
      const exported = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
      throw new SluiceError('INVALID_ARGUMENT', `function '${def.name}': module '${modulePath}' has no exported function '${exportName}'`, {
        hint: didYouMean(exportName, exported) ?? (exported.length ? `its exported functions: ${exported.join(', ')}` : undefined),
      });
    }
    return new JsFunction(def, fn as Callable);
  }

  /**
   * Calls the function on `rows` rows; `args[i][r]` is parameter i of row r. Never throws: a
   * row's failure is its `errors[r]` (and its value is null).
   */
  callBatch(args: readonly ArrayLike<unknown>[], rows: number): BatchCallResult {
    const values = new Array<unknown>(rows).fill(null);
    const errors = new Array<string | undefined>(rows).fill(undefined);
    let errorCount = 0;
    const fail = (r: number, msg: string): void => {
      errors[r] = `function '${this.def.name}': ${msg}`;
      errorCount++;
    };
    if (args.length !== this.def.params.length) {
      for (let r = 0; r < rows; r++) fail(r, `expects ${this.def.params.length} arguments, got ${args.length}`);
      return { values, errors, errorCount };
    }
    const argv = new Array<unknown>(args.length);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < args.length; i++) argv[i] = (args[i] as ArrayLike<unknown>)[r];
      let out: unknown;
      try {
        out = this.fn(...argv);
      } catch (e) {
        fail(r, message(e));
        continue;
      }
      const c = coerce(out, this.def.returns);
      if (c.ok) values[r] = c.value;
      else fail(r, c.error);
    }
    return { values, errors, errorCount };
  }
}

/** What SHOW FUNCTIONS / DESCRIBE FUNCTION show. */
export interface FunctionDescription {
  readonly name: string;
  readonly params: readonly { readonly name: string; readonly type: string }[];
  readonly returns: string;
  readonly language: string;
  readonly body?: string;
  readonly module?: string;
  readonly export?: string;
}

/** User functions by name (case-insensitive). */
export class FunctionRegistry {
  private readonly fns = new Map<string, JsFunction>();

  constructor(private readonly baseDir: string = process.cwd()) {}

  /** CREATE [OR REPLACE] FUNCTION; throws ALREADY_EXISTS unless `orReplace`. */
  async create(def: JsFunctionDef, orReplace = false): Promise<JsFunction> {
    const key = def.name.toLowerCase();
    if (!orReplace && this.fns.has(key)) {
      throw new SluiceError('ALREADY_EXISTS', `function '${def.name}' already exists`, { hint: 'use CREATE OR REPLACE FUNCTION, or DROP FUNCTION first' });
    }
    const fn = await JsFunction.create(def, this.baseDir);
    this.fns.set(key, fn);
    return fn;
  }

  drop(name: string): boolean {
    return this.fns.delete(name.toLowerCase());
  }

  find(name: string): JsFunction | undefined {
    return this.fns.get(name.toLowerCase());
  }

  /** The function, or UNKNOWN_FUNCTION with a "did you mean". */
  get(name: string): JsFunction {
    const f = this.find(name);
    if (f) return f;
    throw new SluiceError('UNKNOWN_FUNCTION', `unknown function '${name}'`, { hint: didYouMean(name, this.list()) });
  }

  list(): string[] {
    return [...this.fns.values()].map((f) => f.name);
  }

  describe(name: string): FunctionDescription {
    const d = this.get(name).def;
    return {
      name: d.name,
      params: d.params.map((p) => ({ name: p.name, type: typeToString(p.type) })),
      returns: typeToString(d.returns),
      language: d.language.toLowerCase(),
      ...(d.body !== undefined ? { body: d.body } : {}),
      ...(d.module !== undefined ? { module: d.module, export: d.exportName ?? 'default' } : {}),
    };
  }

  toJSON(): { functions: FunctionDescription[] } {
    return { functions: this.list().map((n) => this.describe(n)) };
  }
}
