import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import { FunctionRegistry, JsFunction } from '../../src/udf/js-function.js';

const dbl = (name: string) => ({ name, type: T.DOUBLE, nullable: true });

describe('JsFunction', () => {
  it('compiles a body once and calls it per row', async () => {
    const f = await JsFunction.create({ name: 'mul', params: [dbl('a'), dbl('b')], returns: T.DOUBLE, language: 'javascript', body: 'return a * b' });
    const r = f.callBatch([new Float64Array([1, 2, 3]), [4, 5, 6]], 3);
    expect(r.errors).toEqual([undefined, undefined, undefined]);
    expect(r.values).toEqual([4, 10, 18]);
    expect(r.errors).toEqual([undefined, undefined, undefined]);
    expect(r.errorCount).toBe(0);
  });

  it('a throwing row fails alone', async () => {
    const f = await JsFunction.create({
      name: 'inv',
      params: [dbl('x')],
      returns: T.DOUBLE,
      language: 'JavaScript',
      body: "if (x === 0) throw new Error('division by zero'); return 1 / x",
    });
    const r = f.callBatch([[2, 0, 4]], 3);
    expect(r.values).toEqual([0.5, null, 0.25]);
    expect(r.errors).toEqual([undefined, "function 'inv': division by zero", undefined]);
    expect(r.errorCount).toBe(1);
  });

  it('a value of the wrong type is a row error', async () => {
    const f = await JsFunction.create({ name: 's', params: [dbl('x')], returns: T.DOUBLE, language: 'javascript', body: "return x > 1 ? 'big' : x" });
    const r = f.callBatch([[1, 2]], 2);
    expect(r.errors[1]).toBe(`function 's': returned the string "big", expected DOUBLE`);
  });

  it('a body that does not compile is rejected at CREATE', async () => {
    await expect(JsFunction.create({ name: 'bad', params: [], returns: T.DOUBLE, language: 'javascript', body: 'return (' })).rejects.toThrow(
      /^function 'bad': the body does not compile: SyntaxError/,
    );
  });

  it('loads a function from a module', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-fn-'));
    writeFileSync(join(dir, 'f.mjs'), 'export function add(a, b) { return a + b; }\n');
    const reg = new FunctionRegistry({ trustedDir: dir });
    await reg.create({ name: 'Add', params: [dbl('a'), dbl('b')], returns: T.DOUBLE, language: 'javascript', module: './f.mjs', exportName: 'add' });
    expect(reg.get('ADD').callBatch([[1], [2]], 1).values).toEqual([3]);
    await expect(reg.create({ name: 'add', params: [], returns: T.DOUBLE, language: 'javascript', body: 'return 1' })).rejects.toThrow("function 'add' already exists");
    await expect(reg.create({ name: 'x', params: [], returns: T.DOUBLE, language: 'javascript', module: './f.mjs', exportName: 'ad' })).rejects.toThrow(
      "function 'x': module './f.mjs' has no exported function 'ad'",
    );
    expect(reg.describe('add')).toEqual({ name: 'Add', params: [{ name: 'a', type: 'DOUBLE' }, { name: 'b', type: 'DOUBLE' }], returns: 'DOUBLE', language: 'javascript', module: './f.mjs', export: 'add' });
    expect(reg.drop('add')).toBe(true);
    expect(() => reg.get('add')).toThrow("unknown function 'add'");
  });
});
