/**
 * Inline JavaScript functions run in a QuickJS sandbox: each known way out of it is refused or
 * contained, values keep their types across the boundary, and budgets fail only their batch.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { T, arrayOf, type DataType } from '../../src/common/types.js';
import { FunctionRegistry, JsFunction } from '../../src/udf/js-function.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-sandbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function fn(body: string, returns: DataType = T.STRING, params: readonly { name: string; type: DataType }[] = [{ name: 'x', type: T.DOUBLE }], limits?: { memoryBytes: number; cpuMsPerBatch: number }): Promise<JsFunction> {
  return JsFunction.create({ name: `f${++n}`, params: params.map((p) => ({ ...p, nullable: true })), returns, language: 'javascript', body }, limits ? { limits } : {});
}

/** Calls the function on rows 1..rows and returns the first row's value or error. */
function first(f: JsFunction, rows = 1): { value: unknown; error: string | undefined; ms: number } {
  const t = Date.now();
  const r = f.callBatch([Array.from({ length: rows }, (_, i) => i + 1)], rows);
  return { value: r.values[0], error: r.errors[0], ms: Date.now() - t };
}

describe('escapes are refused or contained', () => {
  it.each([
    ['exec via process', 'return process.getBuiltinModule("child_process").execSync("id").toString()'],
    ['require', 'return require("child_process").execSync("id").toString()'],
    ['file write via process', `process.getBuiltinModule("fs").writeFileSync(${JSON.stringify(join(dir, 'pwned'))}, "x"); return "done"`],
    ['process.exit', 'process.exit(7)'],
    ['fetch', 'fetch("http://127.0.0.1:9/"); return "sent"'],
    ['setTimeout', 'setTimeout(() => 0, 0); return "scheduled"'],
  ])('%s: the host is not reachable', async (_what, body) => {
    const f = await fn(body);
    const r = first(f);
    expect(r.error).toMatch(/ReferenceError: '?(process|require|fetch|setTimeout)'? is not defined/);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('sees none of the host globals: no process, require, module loader, file, network or timer API', async () => {
    const names = ['process', 'require', 'module', 'Buffer', 'fetch', 'XMLHttpRequest', 'WebSocket', 'setTimeout', 'setInterval', 'queueMicrotask', 'std', 'os', 'Deno', 'Bun', 'global', 'console'];
    const f = await fn(`return JSON.stringify([${names.map((g) => `typeof globalThis.${g}`).join(', ')}])`);
    expect(JSON.parse(String(first(f).value))).toEqual(names.map(() => 'undefined'));
  });

  it.each([
    ['this.constructor.constructor', "return this.constructor.constructor('return typeof process')()"],
    ['a function literal constructor', "return (function () {}).constructor('return typeof process')()"],
    ['Function returning the global', "return typeof Function('return this')().process"],
    ['an arrow function constructor', "return (() => 0).constructor('return typeof require')()"],
    ['Error.prepareStackTrace (V8 only)', "Error.prepareStackTrace = (e, s) => s; const s = new Error().stack; return typeof s === 'string' ? 'undefined' : typeof s[0].getThis().process"],
  ])('constructor-chain escape via %s finds no host', async (_what, body) => {
    const f = await fn(body);
    const r = first(f);
    // Strict mode makes `this` undefined (a TypeError); otherwise it reaches QuickJS's own global.
    if (r.error !== undefined) expect(r.error).toMatch(/TypeError/);
    else expect(r.value).toBe('undefined');
  });

  it('dynamic import() loads nothing: the call returns a Promise, which is a row error', async () => {
    const marker = join(dir, 'imported');
    const f = await fn(`return import('node:fs').then((fs) => fs.writeFileSync(${JSON.stringify(marker)}, 'x'))`);
    expect(first(f).error).toMatch(/returned a Promise \(functions must be synchronous\)/);
    await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(marker)).toBe(false);
  });

  it('prototype pollution inside the function is not visible in the host', async () => {
    const f = await fn('Object.prototype.polluted = 1; Array.prototype.polluted = 2; String.prototype.trim = () => "owned"; JSON.parse = () => 0; return "ok"');
    expect(first(f).value).toBe('ok');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(([] as unknown as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(' a '.trim()).toBe('a');
    expect(JSON.parse('1')).toBe(1);
    // The function broke its own JSON, not its driver: later batches still work.
    expect(first(f, 3).value).toBe('ok');
  });

  it('an endless loop fails the rows its batch had not completed after the time budget, and the next batch runs', async () => {
    const f = await fn('if (x > 2) while (true) {} return "fine"', T.STRING, undefined, { memoryBytes: 32 << 20, cpuMsPerBatch: 50 });
    const r = f.callBatch([[1, 2, 3, 1]], 4);
    expect(r.values).toEqual(['fine', 'fine', null, null]);
    expect(r.errors).toEqual([undefined, undefined, ...Array(2).fill(`function '${f.name}': exceeded its time budget of 50 ms per batch`)]);
    expect(r.errorCount).toBe(2);
    const t = Date.now();
    expect(f.callBatch([[1, 2]], 2).values).toEqual(['fine', 'fine']);
    expect(Date.now() - t).toBeLessThan(1000);
  });

  it.each([
    ['push of large arrays', 'let a = []; for (;;) a.push(new Array(1e6))'],
    ['filled arrays', 'let a = []; for (;;) a.push(new Array(1e6).fill(0))'],
    ['doubling a string', 'let s = "x"; for (;;) s += s'],
  ])('a memory bomb (%s) is stopped by the memory limit or the CPU budget', async (_what, body) => {
    const f = await fn(body, T.DOUBLE, undefined, { memoryBytes: 16 << 20, cpuMsPerBatch: 2000 });
    const before = process.memoryUsage().rss;
    const r = first(f);
    expect(r.error).toMatch(/ran out of memory \(limit 16 MiB\)|exceeded its time budget|string too long/);
    expect(r.ms).toBeLessThan(2000 + 1000);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 << 20);
    const ok = await fn('return x', T.DOUBLE);
    expect(first(ok).value).toBe(1);
  });

  it('after an out-of-memory error the context is rebuilt: global state starts again', async () => {
    const f = await fn('globalThis.k = (globalThis.k || 0) + 1; if (x > 1) { let a = []; for (;;) a.push([1, 2, 3, 4]); } return k', T.DOUBLE, undefined, { memoryBytes: 8 << 20, cpuMsPerBatch: 5000 });
    expect(f.callBatch([[1]], 1).values).toEqual([1]);
    expect(f.callBatch([[1]], 1).values).toEqual([2]);
    expect(f.callBatch([[2]], 1).errors[0]).toBe(`function '${f.name}': ran out of memory (limit 8 MiB)`);
    expect(f.callBatch([[1]], 1).values).toEqual([1]);
  });

  it('deep recursion is a row error, not a crash of the host', async () => {
    const f = await fn('function r(n) { return r(n + 1) + 1 } return r(0)', T.DOUBLE);
    expect(first(f).error).toMatch(/stack overflow|exceeded its time budget/);
    const g = await fn('function r(n) { return n === 0 ? 0 : r(n - 1) + 1 } return r(500)', T.DOUBLE);
    expect(first(g).value).toBe(500);
  });

  it('a thrown value whose message getter throws is still reported', async () => {
    const f = await fn("throw { toString() { throw new Error('no') } }");
    expect(first(f).error).toBe(`function '${f.name}': threw a value that cannot be shown as text`);
  });
});

describe('values across the boundary keep the coercion rules', () => {
  it('BIGINT arrives and returns as bigint, exactly', async () => {
    const f = await fn('return x * 2n + 1n', T.BIGINT, [{ name: 'x', type: T.BIGINT }]);
    const r = f.callBatch([[9007199254740993n, -3n, null]], 3);
    expect(r.values).toEqual([18014398509481987n, -5n, null]);
    expect(r.errors[2]).toMatch(/TypeError/);
  });

  it('ARRAY arguments arrive as arrays (typed arrays too), and arrays return', async () => {
    const f = await fn('return Array.isArray(v) ? v.map((e) => e * 2) : null', arrayOf(T.DOUBLE), [{ name: 'v', type: arrayOf(T.DOUBLE) }]);
    const r = f.callBatch([[[1, 2], new Float32Array([0.5, 1.5]), []]], 3);
    expect(r.values).toEqual([[2, 4], [1, 3], []]);
  });

  it('NaN, Infinity and -0 survive; Date returns as epoch ms; wrong types are row errors', async () => {
    const d = await fn('return x === 1 ? NaN : x === 2 ? -Infinity : -0', T.DOUBLE);
    const r = d.callBatch([[1, 2, 3]], 3);
    expect(r.values[0]).toBeNaN();
    expect(r.values[1]).toBe(-Infinity);
    expect(Object.is(r.values[2], -0)).toBe(true);
    const t = await fn('return new Date(Date.UTC(2024, 0, 2))', T.TIMESTAMP);
    expect(first(t).value).toBe(Date.UTC(2024, 0, 2));
    const s = await fn("return x > 1 ? 'big' : x", T.DOUBLE);
    expect(s.callBatch([[1, 2]], 2).errors[1]).toBe(`function '${s.name}': returned the string "big", expected DOUBLE`);
    const p = await fn('return () => 1', T.DOUBLE);
    expect(first(p).error).toBe(`function '${p.name}': returned a function, expected DOUBLE`);
  });

  it('strings with any code point, and NULL arguments, pass unchanged', async () => {
    const f = await fn('return s === null ? "null" : s + "|" + s.length', T.STRING, [{ name: 's', type: T.STRING }]);
    expect(f.callBatch([['a\u2028b', '😀', null, '"\\']], 4).values).toEqual(['a\u2028b|3', '😀|2', 'null', '"\\|2']);
  });

  it('STRUCT return values cannot set a host prototype through __proto__', async () => {
    const f = await fn('return JSON.parse(\'{"__proto__": {"polluted": 1}, "a": 1}\')', { kind: 'STRUCT', fields: [{ name: 'a', type: T.INT, nullable: true }] });
    const v = first(f).value as Record<string, unknown>;
    expect(v['a']).toBe(1);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('module functions are trusted host code', () => {
  const trusted = join(dir, 'udfs');
  const outside = join(dir, 'outside');
  mkdirSync(trusted);
  mkdirSync(outside);
  const marker = join(dir, 'module-ran');
  writeFileSync(join(outside, 'evil.mjs'), `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'x'); export default () => 1;\n`);
  writeFileSync(join(trusted, 'ok.mjs'), 'export function twice(x) { return x * 2; }\n');
  symlinkSync(join(outside, 'evil.mjs'), join(trusted, 'link.mjs'));
  const def = (module: string) => ({ name: 'm', params: [{ name: 'x', type: T.DOUBLE, nullable: true }], returns: T.DOUBLE, language: 'javascript', module, exportName: 'default' });

  it('are refused, without running the module, when no trusted folder is configured', async () => {
    await expect(new FunctionRegistry().create(def(join(outside, 'evil.mjs')))).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: "function 'm': module functions run as host code and are off on this server",
      hint: expect.stringContaining('--trusted-functions DIR'),
    });
    expect(existsSync(marker)).toBe(false);
  });

  it.each([['../outside/evil.mjs'], [join(outside, 'evil.mjs')], ['link.mjs'], ['missing/../../outside/evil.mjs']])('must resolve inside the trusted folder: %s is refused', async (path) => {
    await expect(new FunctionRegistry({ trustedDir: trusted }).create(def(path))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: `function 'm': '${path}' is not inside a folder files may be read from`,
    });
    expect(existsSync(marker)).toBe(false);
  });

  it('load from inside the trusted folder', async () => {
    const reg = new FunctionRegistry({ trustedDir: trusted });
    await reg.create({ ...def('ok.mjs'), exportName: 'twice' });
    expect(reg.get('m').callBatch([[1, 2.5]], 2).values).toEqual([2, 5]);
  });
});

describe('how many sandboxes exist', () => {
  const def = (name: string, body = 'return x') => ({ name, params: [{ name: 'x', type: T.DOUBLE, nullable: true }], returns: T.DOUBLE, language: 'javascript', body });

  it('at most maxFunctions; replacing one does not count twice and frees the old sandbox', async () => {
    const reg = new FunctionRegistry({ maxFunctions: 2 });
    try {
      await reg.create(def('a'));
      const b1 = await reg.create(def('b'));
      await expect(reg.create(def('c'))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: "function 'c': this server allows at most 2 functions",
        hint: expect.stringContaining('--max-functions'),
      });
      const b2 = await reg.create(def('b', 'return x + 1'), true);
      expect(b2.callBatch([[1]], 1).values).toEqual([2]);
      expect(b1.callBatch([[1]], 1).errors).toEqual(["function 'b': the function was dropped"]);
      reg.drop('a');
      await reg.create(def('c'));
    } finally {
      reg.close();
    }
  });
});
