import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CheckpointStore, EmbeddedLog, StateTable } from '../../src/state/index.js';
import { TempStores } from './helpers.js';

const temp = new TempStores();
afterEach(() => temp.dispose());

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const writer = path.join(here, 'fixtures', 'kill-writer.ts');

/** Starts the writer, waits until it has committed at least once, then SIGKILLs it after `ms`. */
function runAndKill(dir: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) setTimeout(() => child.kill('SIGKILL'), ms);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}

describe('crash safety', () => {
  it('after kill -9 the log, operator state and checkpoint agree exactly', async () => {
    const dir = await temp.dir();
    let lastEpoch = 0;
    for (let round = 0; round < 3; round++) {
      await runAndKill(dir, 30 + Math.floor(Math.random() * 250));
      const store = await temp.open(dir);
      const log = await EmbeddedLog.open(store);
      const ckpt = await new CheckpointStore(store).latest('q');
      expect(ckpt).toBeDefined();
      const hwm = log.highWatermark('t', 0);
      expect(ckpt?.offsets['t/0']).toBe(hwm);
      expect(ckpt?.epoch ?? 0).toBeGreaterThan(lastEpoch);
      lastEpoch = ckpt?.epoch ?? 0;

      let next = 0;
      let epoch = 0;
      for (let chunks = await log.read('t', 0, 0, 1000); chunks.length > 0; chunks = await log.read('t', 0, next, 1000)) {
        for (const c of chunks) {
          expect(c.baseOffset).toBe(next);
          const body = JSON.parse(c.payload.toString()) as { epoch: number };
          expect(body.epoch).toBe(epoch + 1);
          expect(c.count).toBe(1 + (body.epoch % 7));
          epoch = body.epoch;
          next = c.baseOffset + c.count;
        }
      }
      expect(next).toBe(hwm);
      expect(epoch).toBe(lastEpoch);
      const totals = await new StateTable<{ epochs: number; records: number }>(store, 'q/op', 0).get('totals');
      expect(totals).toEqual({ epochs: lastEpoch, records: hwm });
      await store.close();
    }
  }, 20_000);
});
