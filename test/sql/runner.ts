/**
 * Runs `.slt` files (see README.md) against one isolated engine per file, in a temporary data
 * folder. Each record yields an outcome with actual and expected text; with
 * SLUICE_UPDATE_EXPECTED=1 the file's expected output is rewritten from the actual output.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { SluiceError } from '../../src/common/errors.js';
import { Engine } from '../../src/engine/engine.js';
import { collectRows, type Collected } from './collect.js';
import { DuckOracle } from './duckdb-oracle.js';
import { formatRow } from './format-value.js';
import { formatSlt, parseSlt, type SltRecord } from './slt-format.js';

export const UPDATE_EXPECTED = process.env['SLUICE_UPDATE_EXPECTED'] === '1';

export interface Outcome {
  readonly actual: string;
  readonly expected: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function renderError(err: unknown): string {
  return err instanceof SluiceError ? err.render() : `ERROR [NOT_A_SLUICE_ERROR]: ${err instanceof Error ? err.stack ?? err.message : String(err)}`;
}

function rowsText(c: Collected, sort: boolean, digits?: number): string {
  const types = c.columns.map((x) => x.type);
  const lines = c.rows.map((r) => formatRow(r, types, digits));
  if (sort) lines.sort();
  // A pull query's failed rows follow its rows, in the order they failed.
  for (const e of c.errors ?? []) lines.push(`ERROR ${e}`);
  return lines.join('\n');
}

export class SltSession {
  readonly records: SltRecord[];
  private engine: Engine | undefined;
  private oracle: DuckOracle | undefined;
  private dir = '';
  private changed = false;

  /** `text`: the records, when they are not read from the file at `path` (a generated script). */
  constructor(
    readonly path: string,
    private readonly text?: string,
  ) {
    this.records = parseSlt(text ?? readFileSync(path, 'utf8'), basename(path));
  }

  async open(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'sluice-slt-'));
    this.engine = await Engine.open({ dataDir: this.dir, checkpointIntervalMs: 50 });
  }

  async close(): Promise<void> {
    await this.engine?.close();
    this.oracle?.close();
    rmSync(this.dir, { recursive: true, force: true });
    if (UPDATE_EXPECTED && this.changed && this.text === undefined) writeFileSync(this.path, formatSlt(this.records));
  }

  private get e(): Engine {
    if (!this.engine) throw new Error('session not open');
    return this.engine;
  }

  /**
   * Waits until every materialized view and sink has read all of its input and checkpointed it,
   * so that what they wrote is visible (views over views included).
   */
  async settle(timeoutMs = 10_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    const persistent = () => this.e.queries().filter((q) => q.kind !== 'push' && q.status === 'running');
    const behind = () => persistent().filter((q) => (q.lag ?? 0) > 0);
    const read = () => persistent().reduce((n, q) => n + q.rowsIn, 0);
    // A view over a view sees its input's changes only after that view checkpoints (and may read
    // them just after its own checkpoint), so settle until a round in which nothing was read
    // (a bounded number of rounds: an endless source would always read more).
    for (let round = 0; round < 8; round++) {
      const before = read();
      while (behind().length > 0 && Date.now() < until) await sleep(10);
      await Promise.race([this.e.checkpointAll(), sleep(timeoutMs)]);
      if ((behind().length === 0 && read() === before) || Date.now() > until) break;
    }
  }

  async run(r: SltRecord): Promise<Outcome> {
    switch (r.kind) {
      case 'comment':
        return { actual: '', expected: '' };
      case 'checkpoint':
        await this.settle();
        return { actual: '', expected: '' };
      case 'statement-ok':
        try {
          await collectRows(this.e, r.sql);
          return { actual: 'ok', expected: 'ok' };
        } catch (err) {
          return { actual: renderError(err), expected: 'ok' };
        }
      case 'statement-error': {
        const expected = r.expected;
        try {
          await collectRows(this.e, r.sql);
          return { actual: 'statement succeeded', expected };
        } catch (err) {
          const actual = renderError(err);
          const code = err instanceof SluiceError ? err.code : 'NOT_A_SLUICE_ERROR';
          if (UPDATE_EXPECTED && (actual !== expected || code !== r.code)) {
            r.expected = actual;
            r.code = code;
            this.changed = true;
          }
          return { actual: code === r.code ? actual : `[code ${code}]\n${actual}`, expected };
        }
      }
      case 'query':
        return this.query(r);
    }
  }

  private async query(r: Extract<SltRecord, { kind: 'query' }>): Promise<Outcome> {
    await this.settle();
    let got: Collected;
    try {
      got = await collectRows(this.e, r.sql);
    } catch (err) {
      return { actual: renderError(err), expected: r.expected };
    }
    if (r.mode === 'duckdb' || r.mode === 'duckdb-ordered') {
      // duckdb-ordered: the rows must come in DuckDB's order (a pull query's ORDER BY).
      const sort = r.mode === 'duckdb';
      this.oracle ??= await DuckOracle.create();
      await this.oracle.load(this.e);
      const want = await this.oracle.query(r.expected);
      const lines = want.rows.map((row) => formatRow(row, want.types, 10));
      return { actual: rowsText(got, sort, 10), expected: (sort ? lines.sort() : lines).join('\n') };
    }
    const actual =
      r.mode === 'changelog'
        ? got.changes.map((c) => `${c.op} ${formatRow(c.values, got.columns.map((x) => x.type))}`).join('\n')
        : rowsText(got, r.mode === 'rowsort');
    if (UPDATE_EXPECTED && actual !== r.expected) {
      r.expected = actual;
      this.changed = true;
    }
    return { actual, expected: r.expected };
  }
}
