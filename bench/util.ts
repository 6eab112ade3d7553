/** Shared helpers of the benchmark suite: timing, medians, engines on temporary folders, result sections. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../src/engine/engine.js';
import type { StatementResult } from '../src/engine/types.js';

/** One table of results: a title, column headers, rows of cells, and notes printed under it. */
export interface Section {
  readonly title: string;
  readonly head: readonly string[];
  readonly rows: (readonly string[])[];
  readonly notes: string[];
}

export function section(title: string, head: readonly string[]): Section {
  return { title, head, rows: [], notes: [] };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The q-quantile (0..1) of `xs` by nearest rank. */
export function quantile(xs: ArrayLike<number>, q: number): number {
  const s = Float64Array.from(xs).sort();
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export const now = (): number => performance.now();

/** Rows per second as a readable number: 123,456. */
export function rate(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a';
}

export function ratio(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : 'n/a';
}

export function ms(x: number): string {
  return Number.isFinite(x) ? x.toFixed(1) : 'n/a';
}

/** The spread of runs, as "min–max" in the same unit as `fmt`. */
export function spread(xs: readonly number[], fmt: (x: number) => string = rate): string {
  if (xs.length === 0) return '';
  return `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
}

export interface TempEngine {
  readonly engine: Engine;
  close(): Promise<void>;
}

/** An engine on a fresh temporary folder; `close` shuts it and removes the folder. */
export async function tempEngine(checkpointIntervalMs = 500): Promise<TempEngine> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const engine = await Engine.open({ dataDir: dir, checkpointIntervalMs });
  return {
    engine,
    close: async () => {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Reads a push result to its end and returns how many rows came out. */
export async function drainCount(result: StatementResult | undefined): Promise<number> {
  if (!result || result.kind !== 'push') throw new Error(`expected a push result, got ${result?.kind}`);
  let n = 0;
  try {
    for await (const batch of result.rows) n += batch.length;
  } finally {
    result.cancel();
  }
  return n;
}

/** Runs a bounded push query to its end; returns rows out and seconds taken (planning included). */
export async function timeBounded(engine: Engine, sql: string): Promise<{ rows: number; seconds: number }> {
  const t0 = now();
  const [res] = await engine.execute(sql, { bounded: true });
  const rows = await drainCount(res);
  return { rows, seconds: (now() - t0) / 1000 };
}

/** A short reason for a failure, for 'n/a' cells: the error code and the first line of the message. */
export function reasonOf(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    const first = err.message.split('\n')[0] ?? '';
    return `${typeof code === 'string' ? `${code}: ` : ''}${first}`.slice(0, 160);
  }
  return String(err).slice(0, 160);
}

/** Lets timers and I/O callbacks run (between runs, so one run's leftovers do not land in the next). */
export function settle(ms = 20): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Collects garbage between runs when node runs with --expose-gc. */
export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) g();
}
