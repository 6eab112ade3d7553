import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { T } from '../../src/common/types.js';
import { zipfKeys } from '../../src/connectors/datagen.js';
import type { Engine } from '../../src/engine/engine.js';
import { batchFromRows } from '../../src/exec/columns.js';
import { encodeBatch } from '../../src/exec/ipc.js';
import { take, tempEngine } from './helpers.js';

const FIELDS = [
  { name: 'k', type: T.STRING, nullable: false },
  { name: 'v', type: T.INT, nullable: false },
];

describe('two-phase GROUP BY with salted hot keys', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ engine, cleanup } = await tempEngine());
  });
  afterEach(async () => cleanup());

  async function finalRows(options: string): Promise<Map<string, readonly unknown[]>> {
    const name = `s${options ? 'salted' : 'plain'}`;
    await engine.execute(`CREATE STREAM ${name} (k STRING, v INT) WITH (partitions = 1${options})`);
    const keys = zipfKeys(20_000, 200, 1.2, 7);
    for (let c = 0; c < 20; c++) {
      const rows = Array.from({ length: 1000 }, (_, i) => ({ k: `k${keys[c * 1000 + i]}`, v: (c * 1000 + i) % 97 }));
      await engine.log.append(name, 0, encodeBatch(batchFromRows(FIELDS, rows)), rows.length);
    }
    const [res] = await engine.execute(`SELECT k, COUNT(*) AS n, SUM(v) AS s, MAX(v) AS m FROM ${name} GROUP BY k`, { bounded: true });
    const out = new Map<string, readonly unknown[]>();
    for (const r of await take(res, 1_000_000)) {
      if (r.op === '+I' || r.op === '+U') out.set(r.values[0] as string, r.values);
      if (r.op === '-D') out.delete(r.values[0] as string);
    }
    return out;
  }

  it('gives the same final rows as one phase', async () => {
    const plain = await finalRows('');
    const salted = await finalRows(", 'aggregate.salt' = 4");
    expect(salted.size).toBe(plain.size);
    expect(new Map([...salted].sort())).toEqual(new Map([...plain].sort()));
    const [explain] = await engine.execute('EXPLAIN SELECT k, COUNT(*) AS n FROM ssalted GROUP BY k');
    expect(explain?.kind === 'explain' && explain.text).toContain('LocalAggregateExec: partial, group=[k], aggs=[count(*)], salt=4');
  });
});
