/**
 * Queries nested past the planner's limit fail with a clear error, not a stack overflow; the
 * branches of one UNION, however many, do not nest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../src/common/errors.js';
import type { Engine } from '../../src/engine/engine.js';
import { MAX_QUERY_NESTING } from '../../src/planner/plan-select.js';
import { tempEngine } from '../engine/helpers.js';

describe('query nesting', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ engine, cleanup } = await tempEngine());
    await engine.execute('CREATE STREAM s (i INT, t STRING) WITH (partitions = 1)');
  });
  afterAll(async () => cleanup());

  async function plan(sql: string): Promise<void> {
    for (const r of await engine.execute(sql, { bounded: true })) if (r.kind === 'push') r.cancel();
  }
  const chain = (n: number) => 'WITH ' + Array.from({ length: n }, (_, k) => `c${k} AS (SELECT i FROM ${k ? `c${k - 1}` : 's'})`).join(', ') + ` SELECT i FROM c${n - 1}`;

  it('a chain of common tables deeper than the limit is refused with EXPRESSION_TOO_COMPLEX', async () => {
    await plan(chain(MAX_QUERY_NESTING - 1));
    const err = await plan(chain(2000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SluiceError);
    expect((err as SluiceError).code).toBe('EXPRESSION_TOO_COMPLEX');
    expect((err as SluiceError).message).toBe(`query nested more than ${MAX_QUERY_NESTING} levels deep (subqueries, UNION, WITH)`);
  });

  it('thousands of UNION and UNION ALL branches plan as one union each', async () => {
    await plan(Array(3000).fill('SELECT i FROM s').join(' UNION '));
    await plan(Array(2000).fill('SELECT i FROM s').join(' UNION ALL '));
    // A UNION ALL after a UNION nests once: DISTINCT first, then the next branch.
    await plan(Array(200).fill('SELECT i FROM s').join(' UNION ') + ' UNION ALL SELECT i FROM s');
  });
});
