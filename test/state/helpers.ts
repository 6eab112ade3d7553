import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../../src/state/index.js';

/** A temp directory and the stores opened in it, cleaned up by `dispose`. */
export class TempStores {
  private dirs: string[] = [];
  private stores: Store[] = [];

  async dir(): Promise<string> {
    const d = await mkdtemp(path.join(os.tmpdir(), 'sluice-state-'));
    this.dirs.push(d);
    return d;
  }

  async open(dir?: string): Promise<Store> {
    const s = await Store.open(dir ?? (await this.dir()));
    this.stores.push(s);
    return s;
  }

  async dispose(): Promise<void> {
    for (const s of this.stores) await s.close();
    for (const d of this.dirs) await rm(d, { recursive: true, force: true });
    this.stores = [];
    this.dirs = [];
  }
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Resolves once `cond()` holds; fails after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}
