/**
 * Prints a push query's rows as they arrive, one line each, in columns sized from the header;
 * updating queries get the op marker (+I, -U, +U, -D) in front of each row.
 */
import type { PushRow, ResultColumn } from '../engine/types.js';
import { isoWriters, type ValueWriter } from '../common/timestamp-writers.js';
import { formatRow } from './render.js';

const MIN_WIDTH: Readonly<Record<string, number>> = { STRING: 12, DOUBLE: 10, FLOAT: 10, BIGINT: 8, INT: 6, TIMESTAMP: 23 };

export class LiveRowPrinter {
  private readonly widths: number[];
  private readonly writers: ValueWriter[];

  constructor(private readonly columns: readonly ResultColumn[], private readonly updating: boolean, private readonly write: (s: string) => void) {
    this.writers = isoWriters(columns);
    this.widths = columns.map((c) => Math.max(c.name.length, MIN_WIDTH[c.type.replace(/\(.*$/, '')] ?? 8));
  }

  header(): void {
    const head = this.line(this.columns.map((c) => c.name));
    this.write(`${this.updating ? 'op  ' : ''}${head}\n`);
    this.write(`${this.updating ? '--  ' : ''}${this.widths.map((w) => '-'.repeat(w)).join('-+-')}\n`);
  }

  row(r: PushRow): void {
    this.write(`${this.updating ? `${r.op}  ` : ''}${this.line(formatRow(this.columns, this.writers, r.values))}\n`);
  }

  private line(vals: readonly string[]): string {
    return vals.map((v, i) => v.padEnd(this.widths[i] ?? 0)).join(' | ').trimEnd();
  }
}
