import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import type { PushRow, StatementResult } from '../../src/engine/types.js';

/** A fresh engine on a temporary data folder; `cleanup` closes it and removes the folder. */
export async function tempEngine(checkpointIntervalMs = 100): Promise<{ engine: Engine; dir: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-test-'));
  const engine = await Engine.open({ dataDir: dir, checkpointIntervalMs });
  return {
    engine,
    dir,
    cleanup: async () => {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Reads rows from a push result until `n` rows arrived (or the timeout passes), then cancels it. */
export async function take(result: StatementResult | undefined, n: number, timeoutMs = 10_000): Promise<PushRow[]> {
  if (!result || result.kind !== 'push') throw new Error(`expected a push result, got ${result?.kind}`);
  const rows: PushRow[] = [];
  const timer = setTimeout(() => result.cancel(), timeoutMs);
  try {
    for await (const batch of result.rows) {
      rows.push(...batch);
      if (rows.length >= n) break;
    }
  } finally {
    clearTimeout(timer);
    result.cancel();
  }
  return rows;
}
