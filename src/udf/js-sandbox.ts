/**
 * Runs the body of an inline JavaScript function inside QuickJS compiled to WebAssembly.
 *
 * Invariants:
 * - The function's code never runs on the host's V8 heap: it sees QuickJS's own globals only
 *   (no `process`, `require`, `import` loader, file system, network, timers or host
 *   prototypes). Values cross the boundary as one JSON string each way per batch, so no host
 *   object or function is ever reachable from inside.
 * - Each function has its own WebAssembly module instance, runtime and context: a function that
 *   corrupts or aborts its instance cannot affect another function.
 * - A batch runs under a CPU deadline (the interrupt handler) and a memory limit; when either
 *   trips, or the instance fails in any other way, the whole batch fails with the reason and the
 *   instance is rebuilt before the next batch (global state the function kept is lost).
 */
import { newQuickJSWASMModule, RELEASE_SYNC, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule } from 'quickjs-emscripten';
import { decodeFromSandbox, encodeForSandbox, SANDBOX_TAG } from './js-sandbox-codec.js';

/** The budgets of one sandboxed function. */
export interface SandboxLimits {
  /** Heap limit of the function's QuickJS runtime, in bytes. */
  readonly memoryBytes: number;
  /** CPU time one batch may take, in milliseconds. */
  readonly cpuMsPerBatch: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { memoryBytes: 32 * 1024 * 1024, cpuMsPerBatch: 100 };

/**
 * QuickJS's own stack limit. It must stay well below the host's native stack (about 1 MB in
 * Node), which WebAssembly frames share: past it the host throws instead of QuickJS, and the
 * instance is lost. 256 KiB allows about 1,500 nested JavaScript calls.
 */
const MAX_STACK_BYTES = 256 * 1024;

/** Raw results of a batch: values as the function returned them (decoded), one message per failed row. */
export type SandboxBatch = { readonly ok: true; readonly values: unknown[]; readonly errors: (string | undefined)[] } | { readonly ok: false; readonly reason: string };

/**
 * The in-sandbox driver: parses the argument columns, loops over rows, encodes results. It
 * captures the builtins it uses before any user code runs, so a function that replaces
 * `JSON.stringify` or `Array.prototype` methods only breaks itself (the host validates all it
 * reads back).
 */
const DRIVER = `(function (params, body) {
  'use strict';
  const P = JSON.parse, S = JSON.stringify, isArray = Array.isArray, Str = String, Num = Number, BI = BigInt;
  const ErrorC = Error, DateC = Date, U8 = Uint8Array, PromiseC = Promise, isView = ArrayBuffer.isView, keys = Object.keys, is = Object.is;
  const TAG = ${JSON.stringify(SANDBOX_TAG)};
  const f = new Function(...params, "'use strict';\\n" + body);
  function dec(v) {
    if (v === null || typeof v !== 'object') return v;
    if (isArray(v)) { for (let i = 0; i < v.length; i++) v[i] = dec(v[i]); return v; }
    switch (v[TAG]) {
      case 'bigint': return BI(v.v);
      case 'num': return Num(v.v);
      case 'bytes': return new U8(v.v);
      case 'obj': { const o = v.v; for (const k of keys(o)) o[k] = dec(o[k]); return o; }
      default: return v;
    }
  }
  function tag(t, v) { const o = {}; o[TAG] = t; if (v !== undefined) o.v = v; return o; }
  function enc(v) {
    switch (typeof v) {
      case 'undefined': return null;
      case 'string': case 'boolean': return v;
      case 'number': return v === v && v !== 1 / 0 && v !== -1 / 0 && !is(v, -0) ? v : tag('num', Str(v));
      case 'bigint': return tag('bigint', Str(v));
      case 'function': return tag('function');
      case 'symbol': return tag('symbol');
    }
    if (v === null) return null;
    if (v instanceof PromiseC) return tag('promise');
    if (v instanceof DateC) return tag('date', v.getTime());
    if (v instanceof U8) { const a = new Array(v.length); for (let i = 0; i < v.length; i++) a[i] = v[i]; return tag('bytes', a); }
    if (isArray(v) || isView(v)) { const a = new Array(v.length); for (let i = 0; i < v.length; i++) a[i] = enc(v[i]); return a; }
    const o = {};
    for (const k of keys(v)) o[k] = enc(v[k]);
    return tag('obj', o);
  }
  function message(e) {
    try {
      if (e instanceof ErrorC) { const name = Str(e.name); return (name === 'Error' ? '' : name + ': ') + Str(e.message); }
      return Str(e);
    } catch (_) { return 'threw a value that cannot be shown as text'; }
  }
  return function (json) {
    const cols = P(json), n = cols[0], argc = cols.length - 1;
    for (let c = 1; c <= argc; c++) dec(cols[c]);
    const out = new Array(n), errs = new Array(n), row = new Array(argc);
    for (let i = 0; i < n; i++) {
      errs[i] = null;
      for (let c = 0; c < argc; c++) row[c] = cols[c + 1][i];
      try { out[i] = enc(f(...row)); } catch (e) { out[i] = null; errs[i] = message(e); }
    }
    return S([out, errs]);
  };
})`;

interface Instance {
  readonly runtime: QuickJSRuntime;
  readonly context: QuickJSContext;
  readonly run: QuickJSHandle;
}

export class JsSandbox {
  private module: QuickJSWASMModule | undefined;
  private instance: Instance | undefined;
  private deadline = 0;
  private disposed = false;

  private constructor(
    private readonly params: readonly string[],
    private readonly body: string,
    readonly limits: SandboxLimits,
  ) {}

  /** Builds the sandbox and compiles the body; throws an Error with QuickJS's message (e.g. SyntaxError) when it does not compile. */
  static async create(params: readonly string[], body: string, limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS): Promise<JsSandbox> {
    const s = new JsSandbox(params, body, limits);
    s.module = await newQuickJSWASMModule(RELEASE_SYNC);
    const built = s.newInstance(s.module);
    if (typeof built === 'string') throw new Error(built);
    s.instance = built;
    return s;
  }

  /** A fresh runtime and context with the body compiled, or the message of why it does not compile. */
  private newInstance(module: QuickJSWASMModule): Instance | string {
    const runtime = module.newRuntime();
    runtime.setMemoryLimit(this.limits.memoryBytes);
    runtime.setMaxStackSize(MAX_STACK_BYTES);
    runtime.setInterruptHandler(() => Date.now() > this.deadline);
    const context = runtime.newContext();
    this.deadline = Date.now() + this.limits.cpuMsPerBatch;
    const driver = context.evalCode(DRIVER, 'sluice-driver.js');
    if (driver.error) {
      const msg = errorText(context, driver.error);
      driver.error.dispose();
      context.dispose();
      runtime.dispose();
      return `the function sandbox could not start: ${msg}`;
    }
    const params = context.newArray();
    this.params.forEach((p, i) => {
      const h = context.newString(p);
      context.setProp(params, i, h);
      h.dispose();
    });
    const body = context.newString(this.body);
    const made = context.callFunction(driver.value, context.undefined, params, body);
    for (const h of [driver.value, params, body]) h.dispose();
    if (made.error) {
      const msg = errorText(context, made.error);
      made.error.dispose();
      context.dispose();
      runtime.dispose();
      return msg;
    }
    return { runtime, context, run: made.value };
  }

  /**
   * Runs the function on `rows` rows; `args[i][r]` is parameter i of row r. Never throws: a
   * failed row has its message in `errors`, a failed batch says why in `reason`.
   */
  call(args: readonly ArrayLike<unknown>[], rows: number): SandboxBatch {
    if (this.disposed) return { ok: false, reason: 'the function was dropped' };
    let inst = this.instance;
    if (!inst) {
      if (!this.module) return { ok: false, reason: 'the function sandbox is restarting after a failure; later rows run again' };
      try {
        const built = this.newInstance(this.module);
        if (typeof built === 'string') return { ok: false, reason: built };
        inst = this.instance = built;
      } catch (e) {
        return this.lose(e);
      }
    }
    let json: string;
    try {
      json = encodeForSandbox(args, rows);
    } catch (e) {
      return { ok: false, reason: `arguments cannot be passed to the function: ${e instanceof Error ? e.message : String(e)}` };
    }
    const ctx = inst.context;
    let outcome: SandboxBatch;
    try {
      const input = ctx.newString(json);
      this.deadline = Date.now() + this.limits.cpuMsPerBatch;
      const res = ctx.callFunction(inst.run, ctx.undefined, input);
      input.dispose();
      if (res.error) {
        const text = errorText(ctx, res.error);
        res.error.dispose();
        outcome = { ok: false, reason: this.explain(text) };
      } else {
        const out = ctx.typeof(res.value) === 'string' ? ctx.getString(res.value) : undefined;
        res.value.dispose();
        outcome = out === undefined ? { ok: false, reason: 'the function replaced the sandbox driver' } : parseOutput(out, rows);
      }
    } catch (e) {
      return this.lose(e);
    }
    if (!outcome.ok || outcome.errors.some((m) => m !== undefined && /out of memory/.test(m))) this.discardInstance();
    return outcome;
  }

  /**
   * The host, not QuickJS, threw (its native stack ran out, or the module aborted): the module
   * may be corrupt, so it is dropped without touching it again and a new one loads meanwhile.
   */
  private lose(e: unknown): SandboxBatch {
    this.instance = undefined;
    this.module = undefined;
    void newQuickJSWASMModule(RELEASE_SYNC).then(
      (m) => {
        if (!this.disposed) this.module = m;
      },
      () => undefined,
    );
    return { ok: false, reason: `the function sandbox failed: ${e instanceof Error ? e.message : String(e)}` };
  }

  private explain(text: string): string {
    if (/interrupted/.test(text)) return `exceeded its CPU budget of ${this.limits.cpuMsPerBatch} ms per batch`;
    if (/out of memory/.test(text)) return `ran out of memory (limit ${Math.round(this.limits.memoryBytes / 1048576)} MiB)`;
    if (/stack overflow/.test(text)) return `${text} (calls nested too deeply)`;
    return text;
  }

  /** Frees the runtime and context; the next batch builds new ones in the same module. */
  private discardInstance(): void {
    const inst = this.instance;
    this.instance = undefined;
    if (!inst) return;
    try {
      inst.run.dispose();
      inst.context.dispose();
      inst.runtime.dispose();
    } catch {
      // A runtime left inconsistent can abort its own teardown, which ends the module too.
      this.module = undefined;
      this.lose(new Error('teardown failed'));
    }
  }

  dispose(): void {
    this.discardInstance();
    this.disposed = true;
    this.module = undefined;
  }
}

function errorText(ctx: QuickJSContext, h: QuickJSHandle): string {
  try {
    const d: unknown = ctx.dump(h);
    if (d && typeof d === 'object' && 'message' in d) {
      const { name, message } = d as { name?: unknown; message?: unknown };
      return `${name !== undefined && String(name) !== 'Error' ? `${String(name)}: ` : ''}${String(message)}`;
    }
    return String(d);
  } catch {
    return 'the function failed with a value that cannot be read';
  }
}

/** Checks the driver's reply: `[values, errors]`, both `rows` long. */
function parseOutput(json: string, rows: number): SandboxBatch {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'the function sandbox returned malformed output' };
  }
  if (!Array.isArray(parsed) || !Array.isArray(parsed[0]) || !Array.isArray(parsed[1]) || parsed[0].length !== rows || parsed[1].length !== rows) {
    return { ok: false, reason: 'the function sandbox returned malformed output' };
  }
  const raw = parsed[0] as unknown[];
  const errs = parsed[1] as unknown[];
  const values = new Array<unknown>(rows);
  const errors = new Array<string | undefined>(rows);
  for (let r = 0; r < rows; r++) {
    const e = errs[r];
    errors[r] = e === null || e === undefined ? undefined : String(e).slice(0, 1000);
    values[r] = errors[r] === undefined ? decodeFromSandbox(raw[r]) : null;
  }
  return { ok: true, values, errors };
}
