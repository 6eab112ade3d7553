/**
 * Child of memory-guard.test.ts, run with a small heap (node --max-old-space-size): runs a query
 * that collects ever more memory, then one that does not, and prints each outcome as a JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { SluiceError } from '../../src/common/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-memguard-'));
const engine = await Engine.open({ dataDir: dir });
for (const sql of process.argv.slice(2)) {
  try {
    const [r] = await engine.execute(sql);
    console.log(JSON.stringify({ ok: true, rows: r?.kind === 'rows' ? r.rows.length : undefined }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, code: e instanceof SluiceError ? e.code : 'not a SluiceError', message: (e as Error).message }));
  }
}
await engine.close();
rmSync(dir, { recursive: true, force: true });
