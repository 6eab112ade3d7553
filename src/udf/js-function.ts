/**
 * Scalar user functions written in JavaScript:
 *
 *   CREATE FUNCTION f(a DOUBLE, b DOUBLE) RETURNS DOUBLE LANGUAGE javascript AS 'return a * b'
 *   CREATE FUNCTION g(x DOUBLE) RETURNS DOUBLE LANGUAGE javascript WITH (module = 'f.mjs', export = 'g')
 *
 * Trust model: SQL comes from the network, so an inline body is untrusted and runs in a QuickJS
 * sandbox (js-sandbox.ts) with a memory limit and a CPU budget per batch. A module is host code
 * with the server's rights: it is imported only from the folder the operator names when
 * starting the server (`--trusted-functions DIR`), and refused otherwise.
 *
 * Calls are vectorised: a batch of rows crosses into the sandbox in one call. A row whose call
 * throws, or returns a value that does not fit the declared type, fails alone with its message;
 * a batch that exceeds its budget fails all its rows with the reason.
 */
import { pathToFileURL } from 'node:url';
import { SluiceError, didYouMean } from '../common/errors.js';
import { dateOf } from '../common/timestamp-text.js';
import { typeToString, type DataType, type Field } from '../common/types.js';
import { AllowedFiles } from './allowed-files.js';
import { OpaqueSandboxValue } from './js-sandbox-codec.js';
import { DEFAULT_SANDBOX_LIMITS, JsSandbox, type SandboxLimits } from './js-sandbox.js';

/** Where functions may come from and what they may use. */
export interface FunctionOptions {
  /** Folder trusted module functions may be imported from; without it, `module = ...` is refused. */
  readonly trustedDir?: string;
  /** Budgets of each sandboxed (inline) function. */
  readonly limits?: SandboxLimits;
  /** Most functions that may exist at once (each sandbox holds a thread). Default 100. */
  readonly maxFunctions?: number;
}

export const DEFAULT_MAX_FUNCTIONS = 100;

/** A CREATE FUNCTION statement's content. Exactly one of `body` and `module` is set. */
export interface JsFunctionDef {
  readonly name: string;
  readonly params: readonly Field[];
  readonly returns: DataType;
  /** Only 'javascript' is supported (case-insensitive). */
  readonly language: string;
  readonly body?: string;
  /** Path of an ES module, relative to the trusted functions folder. */
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
    case 'DATE':
      if (v instanceof Date) return { ok: true, value: dateOf(v.getTime()) };
      return typeof v === 'number' && Number.isFinite(v) ? { ok: true, value: dateOf(v) } : bad();
    case 'TIME':
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 86_400_000 ? { ok: true, value: v } : bad();
    case 'TIMESTAMP':
    case 'INTERVAL':
      if (v instanceof Date) return { ok: true, value: v.getTime() };
      return typeof v === 'number' && Number.isFinite(v) ? { ok: true, value: v } : bad();
    case 'BYTES':
      return v instanceof Uint8Array ? { ok: true, value: v } : bad();
    case 'ARRAY':
      return Array.isArray(v) || ArrayBuffer.isView(v) ? { ok: true, value: v } : bad();
    case 'STRUCT':
      return typeof v === 'object' && !(v instanceof OpaqueSandboxValue) ? { ok: true, value: v } : bad();
    case 'NULL':
      return bad();
  }
}

function describe(v: unknown): string {
  if (v instanceof OpaqueSandboxValue) return v.what;
  if (v instanceof Promise) return 'a Promise (functions must be synchronous)';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'string' ? `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v)}` : `${typeof v} ${String(v)}`;
}

function message(e: unknown): string {
  return e instanceof Error ? `${e.name === 'Error' ? '' : e.name + ': '}${e.message}` : String(e);
}

/** How a function is run: one raw result (before coercion) or message per row. */
interface Runner {
  run(args: readonly ArrayLike<unknown>[], rows: number): { values: unknown[]; errors: (string | undefined)[] } | { reason: string };
  dispose(): void;
}

/** A trusted module's export, called on the host once per row. */
function hostRunner(fn: Callable): Runner {
  return {
    run(args, rows) {
      const values = new Array<unknown>(rows).fill(null);
      const errors = new Array<string | undefined>(rows).fill(undefined);
      const argv = new Array<unknown>(args.length);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < args.length; i++) argv[i] = (args[i] as ArrayLike<unknown>)[r];
        try {
          values[r] = fn(...argv);
        } catch (e) {
          errors[r] = message(e);
        }
      }
      return { values, errors };
    },
    dispose: () => undefined,
  };
}

function sandboxRunner(box: JsSandbox): Runner {
  return {
    run(args, rows) {
      const r = box.call(args, rows);
      return r.ok ? r : { reason: r.reason };
    },
    dispose: () => box.dispose(),
  };
}

/** A compiled (sandboxed) or imported (trusted) scalar function. */
export class JsFunction {
  private constructor(
    readonly def: JsFunctionDef,
    private readonly runner: Runner,
  ) {}

  get name(): string {
    return this.def.name;
  }

  /** Compiles the body in a sandbox or imports the trusted module; throws INVALID_ARGUMENT or UNSUPPORTED with the reason. */
  static async create(def: JsFunctionDef, opts: FunctionOptions = {}): Promise<JsFunction> {
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
        const box = await JsSandbox.create(
          def.params.map((p) => p.name),
          def.body,
          opts.limits ?? DEFAULT_SANDBOX_LIMITS,
        );
        return new JsFunction(def, sandboxRunner(box));
      } catch (e) {
        throw new SluiceError('INVALID_ARGUMENT', `function '${def.name}': the body does not compile: ${message(e)}`, { cause: e });
      }
    }
    return new JsFunction(def, hostRunner(await importTrusted(def, opts.trustedDir)));
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
    if (rows === 0) return { values, errors, errorCount };
    const out = this.runner.run(args, rows);
    if ('reason' in out) {
      for (let r = 0; r < rows; r++) fail(r, out.reason);
      return { values, errors, errorCount };
    }
    for (let r = 0; r < rows; r++) {
      const e = out.errors[r];
      if (e !== undefined) {
        fail(r, e);
        continue;
      }
      const c = coerce(out.values[r], this.def.returns);
      if (c.ok) values[r] = c.value;
      else fail(r, c.error);
    }
    return { values, errors, errorCount };
  }

  /** Frees the sandbox; later calls fail their rows. */
  dispose(): void {
    this.runner.dispose();
  }
}

/** Imports a module function from the trusted folder, or says why not. */
async function importTrusted(def: JsFunctionDef, trustedDir: string | undefined): Promise<Callable> {
  const modulePath = def.module ?? '';
  if (trustedDir === undefined) {
    throw new SluiceError('UNSUPPORTED', `function '${def.name}': module functions run as host code and are off on this server`, {
      hint: "write the function inline (AS 'return ...'), where it runs sandboxed, or start the server with --trusted-functions DIR (engine option trustedFunctionsDir) and put the module in DIR",
    });
  }
  const file = new AllowedFiles({ roots: [trustedDir], baseDir: trustedDir, allowHint: 'name another folder with --trusted-functions' }).resolve(modulePath, `function '${def.name}'`);
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
  return fn as Callable;
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

  constructor(private readonly options: FunctionOptions = {}) {}

  /** CREATE [OR REPLACE] FUNCTION; throws ALREADY_EXISTS unless `orReplace`. */
  async create(def: JsFunctionDef, orReplace = false): Promise<JsFunction> {
    const key = def.name.toLowerCase();
    const old = this.fns.get(key);
    if (!orReplace && old) {
      throw new SluiceError('ALREADY_EXISTS', `function '${def.name}' already exists`, { hint: 'use CREATE OR REPLACE FUNCTION, or DROP FUNCTION first' });
    }
    const max = this.options.maxFunctions ?? DEFAULT_MAX_FUNCTIONS;
    if (!old && this.fns.size >= max) {
      throw new SluiceError('INVALID_ARGUMENT', `function '${def.name}': this server allows at most ${max} functions`, {
        hint: 'DROP FUNCTION the ones no longer used, or start the server with a larger --max-functions',
      });
    }
    const fn = await JsFunction.create(def, this.options);
    // The engine refuses to replace a function a view or sink reads, so only a push query can
    // still hold the old one; its later rows fail with 'the function was dropped'.
    old?.dispose();
    this.fns.set(key, fn);
    return fn;
  }

  drop(name: string): boolean {
    const key = name.toLowerCase();
    this.fns.get(key)?.dispose();
    return this.fns.delete(key);
  }

  /** Frees every function's sandbox. */
  close(): void {
    for (const f of this.fns.values()) f.dispose();
    this.fns.clear();
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
