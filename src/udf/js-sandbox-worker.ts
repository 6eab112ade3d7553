/**
 * The thread a sandboxed function runs on. QuickJS's interrupt handler stops JavaScript that
 * runs past its budget, but not a long call inside one of QuickJS's own builtins (filling a
 * huge sparse array can take tens of seconds); the host's hard deadline ends those by
 * terminating this thread, which the event loop never waits on for longer than that deadline.
 *
 * The source is plain JavaScript run with `eval: true`, like the model workers, so it runs the
 * same from TypeScript sources and from the built package.
 */
import { createRequire } from 'node:module';
import { SANDBOX_TAG } from './js-sandbox-codec.js';

export const QUICKJS_ENTRY = createRequire(import.meta.url).resolve('quickjs-emscripten');

/**
 * QuickJS's own stack limit. It must stay well below the thread's native stack, which
 * WebAssembly frames share: past it the host throws instead of QuickJS. 256 KiB allows about
 * 1,500 nested JavaScript calls.
 */
export const MAX_STACK_BYTES = 256 * 1024;

/**
 * The in-sandbox driver: parses the argument columns, loops over rows, encodes results. It
 * captures the builtins it uses before any user code runs, so a function that replaces
 * `JSON.stringify` or `Array.prototype` methods only breaks itself (the host validates all it
 * reads back).
 */
export const DRIVER = `(function (params, body) {
  'use strict';
  const P = JSON.parse, S = JSON.stringify, isArray = Array.isArray, Str = String, Num = Number, BI = BigInt;
  const ErrorC = Error, DateC = Date, U8 = Uint8Array, PromiseC = Promise, isView = ArrayBuffer.isView, keys = Object.keys, is = Object.is;
  const TAG = ${JSON.stringify(SANDBOX_TAG)};
  const IE = typeof InternalError === 'function' ? InternalError : undefined;
  const OOM = IE !== undefined ? new IE('out of memory') : new Error('out of memory');
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
      case 'number': return v === v && v !== 1 / 0 && v !== -1 / 0 && !is(v, -0) ? v : tag('num', is(v, -0) ? '-0' : Str(v));
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
  // The batch in progress, so that the rows done before an interrupt keep their results.
  let last = { out: [], errs: [], done: 0 };
  // run(json) runs a batch; run('') returns the rows the last batch completed, as [values, errors].
  return function (json) {
    if (json === '') {
      const k = last.done, o = new Array(k), e = new Array(k);
      for (let i = 0; i < k; i++) { o[i] = last.out[i]; e[i] = last.errs[i]; }
      return S([o, e]);
    }
    const cols = P(json), n = cols[0], argc = cols.length - 1;
    for (let c = 1; c <= argc; c++) dec(cols[c]);
    const out = new Array(n), errs = new Array(n), row = new Array(argc);
    last = { out, errs, done: 0 };
    const c1 = cols[1], c2 = cols[2], c3 = cols[3];
    // Direct calls for up to three arguments: QuickJS runs them much faster than a spread.
    const call = argc === 0 ? () => f() : argc === 1 ? (i) => f(c1[i]) : argc === 2 ? (i) => f(c1[i], c2[i]) : argc === 3 ? (i) => f(c1[i], c2[i], c3[i])
      : (i) => { for (let c = 0; c < argc; c++) row[c] = cols[c + 1][i]; return f(...row); };
    for (let i = 0; i < n; i++) {
      errs[i] = null;
      try { out[i] = enc(call(i)); } catch (e) {
        // Out of memory or stack: the runtime itself is in trouble, so the batch ends here
        // and the worker rebuilds it. (QuickJS may throw null when it cannot even allocate the error.)
        if (e === null) throw OOM;
        if (IE !== undefined && e instanceof IE) throw e;
        out[i] = null; errs[i] = message(e);
      }
      last.done = i + 1;
    }
    return S([out, errs]);
  };
})`;

/**
 * Worker protocol. workerData: { entry, driver, params, body, memoryBytes, wasmPages, cpuMs, stackBytes,
 * flag, port }. Requests on `port`: { id, json }. Replies: { id, kind: 'ok', out } |
 * { id, kind: 'failed', reason, done? } (done: the rows completed before the failure, as `out`) |
 * { id: 0, kind: 'compile', message } (then the thread does nothing more). The host's first
 * request, sent at spawn and queued until the body compiled, tells it the thread is ready.
 * After each reply the worker increments flag[0] and notifies, so the host can wait for it
 * synchronously and then read the reply with receiveMessageOnPort.
 */
export const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { entry, driver, params, body, memoryBytes, wasmPages, cpuMs, stackBytes, flag, port } = workerData;
const seq = new Int32Array(flag);
function reply(msg) { port.postMessage(msg); Atomics.add(seq, 0, 1); Atomics.notify(seq, 0); }
function text(ctx, h) {
  try {
    const d = ctx.dump(h);
    if (d && typeof d === 'object' && 'message' in d) return (d.name !== undefined && String(d.name) !== 'Error' ? String(d.name) + ': ' : '') + String(d.message);
    return String(d);
  } catch (e) { return 'the function failed with a value that cannot be read'; }
}
let deadline = 0;
let module, inst;
function build() {
  const runtime = module.newRuntime();
  runtime.setMemoryLimit(memoryBytes);
  runtime.setMaxStackSize(stackBytes);
  runtime.setInterruptHandler(() => Date.now() > deadline);
  const context = runtime.newContext();
  // Compiling the driver and the body runs no user code; it gets a fixed, larger allowance.
  deadline = Date.now() + Math.max(cpuMs, 5000);
  const free = () => { context.dispose(); runtime.dispose(); };
  const d = context.evalCode(driver, 'sluice-driver.js');
  if (d.error) { const m = text(context, d.error); d.error.dispose(); free(); return 'the function sandbox could not start: ' + m; }
  const ps = context.newArray();
  params.forEach((p, i) => { const h = context.newString(p); context.setProp(ps, i, h); h.dispose(); });
  const b = context.newString(body);
  const made = context.callFunction(d.value, context.undefined, ps, b);
  d.value.dispose(); ps.dispose(); b.dispose();
  if (made.error) { const m = text(context, made.error); made.error.dispose(); free(); return m; }
  return { runtime, context, run: made.value };
}
function discard() {
  const i = inst; inst = undefined;
  if (i) { i.run.dispose(); i.context.dispose(); i.runtime.dispose(); }
}
function explain(t) {
  if (/interrupted/.test(t)) return 'exceeded its time budget of ' + cpuMs + ' ms per batch';
  if (/out of memory|memory access out of bounds/.test(t)) return 'ran out of memory (limit ' + Math.round(memoryBytes / 1048576) + ' MiB)';
  if (/stack overflow/.test(t)) return t + ' (calls nested too deeply)';
  return t;
}
// The rows an interrupted batch completed, as the driver's JSON; undefined when they cannot be read.
function completed(ctx) {
  try {
    const empty = ctx.newString('');
    deadline = Date.now() + cpuMs;
    const r = ctx.callFunction(inst.run, ctx.undefined, empty);
    empty.dispose();
    if (r.error) { r.error.dispose(); return undefined; }
    const s = ctx.typeof(r.value) === 'string' ? ctx.getString(r.value) : undefined;
    r.value.dispose();
    return s;
  } catch (e) { return undefined; }
}
function run(id, json) {
  if (!inst) {
    const b = build();
    if (typeof b === 'string') return { id, kind: 'failed', reason: b };
    inst = b;
  }
  const ctx = inst.context;
  const input = ctx.newString(json);
  deadline = Date.now() + cpuMs;
  const res = ctx.callFunction(inst.run, ctx.undefined, input);
  input.dispose();
  if (res.error) {
    const t = text(ctx, res.error);
    res.error.dispose();
    const done = completed(ctx);
    discard();
    return done === undefined ? { id, kind: 'failed', reason: explain(t) } : { id, kind: 'failed', reason: explain(t), done };
  }
  const out = ctx.typeof(res.value) === 'string' ? ctx.getString(res.value) : undefined;
  res.value.dispose();
  if (out === undefined) { discard(); return { id, kind: 'failed', reason: 'the function replaced the sandbox driver' }; }
  return { id, kind: 'ok', out };
}
const q = require(entry);
// The WebAssembly memory is capped too: QuickJS's own malloc limit misses some allocations
// (a sparse array being filled grows the heap past it), the cap does not.
const wasmMemory = new WebAssembly.Memory({ initial: 256, maximum: wasmPages });
q.newQuickJSWASMModule(q.newVariant(q.RELEASE_SYNC, { wasmMemory })).then((m) => {
  module = m;
  const b = build();
  if (typeof b === 'string') { reply({ id: 0, kind: 'compile', message: b }); return; }
  inst = b;
  // An empty batch runs the driver once, so the first real batch does not pay for compiling it.
  run(0, '[0]');
  port.on('message', ({ id, json }) => {
    let r;
    try { r = run(id, json); } catch (e) {
      // The host, not QuickJS, threw (the module aborted): this thread is done; the host starts another.
      reply({ id, kind: 'failed', reason: 'the function sandbox failed: ' + (e && e.message || String(e)) });
      process.exit(1);
    }
    reply(r);
  });
}, (e) => reply({ id: 0, kind: 'compile', message: 'the function sandbox could not start: ' + (e && e.message || String(e)) }));
`;
