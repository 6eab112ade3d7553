/**
 * Output of a push query as it runs. `LiveRowPrinter` prints one line per row in columns sized
 * from the header (the changelog: updating queries get the op marker +I, -U, +U, -D in front).
 * `LiveTable` applies an updating query's changelog to the rows it shows and redraws them in
 * place, like the table result mode of the Flink SQL client.
 */
import { isoWriters, type ValueWriter } from '../common/timestamp-writers.js';
import type { PushRow, ResultColumn } from '../engine/types.js';
import { cut, formatRow, renderTable } from './render.js';

const MIN_WIDTH: Readonly<Record<string, number>> = { STRING: 12, DOUBLE: 10, FLOAT: 10, BIGINT: 8, INT: 6, TIMESTAMP: 24, DATE: 10, TIME: 8 };

export class LiveRowPrinter {
  private readonly widths: number[];
  private readonly writers: ValueWriter[];

  constructor(
    private readonly columns: readonly ResultColumn[],
    private readonly updating: boolean,
    private readonly write: (s: string) => void,
    /** Terminal width: longer lines are cut with '…'. */
    private readonly maxWidth?: number,
  ) {
    this.writers = isoWriters(columns);
    this.widths = columns.map((c) => Math.max(c.name.length, MIN_WIDTH[c.type.replace(/\(.*$/, '')] ?? 8));
  }

  header(): void {
    const head = this.line(this.columns.map((c) => c.name));
    this.write(`${this.fit(`${this.updating ? 'op  ' : ''}${head}`)}\n`);
    this.write(`${this.fit(`${this.updating ? '--  ' : ''}${this.widths.map((w) => '-'.repeat(w)).join('-+-')}`)}\n`);
  }

  row(r: PushRow): void {
    this.write(`${this.fit(`${this.updating ? `${r.op}  ` : ''}${this.line(formatRow(this.columns, this.writers, r.values))}`)}\n`);
  }

  private line(vals: readonly string[]): string {
    return vals.map((v, i) => v.padEnd(this.widths[i] ?? 0)).join(' | ').trimEnd();
  }

  private fit(line: string): string {
    return this.maxWidth === undefined ? line : cut(line, this.maxWidth);
  }
}

/** How often a live table is redrawn at most (ms). */
export const REDRAW_MS = 200;
/** Rows a live table shows at most without a terminal height; the footer says how many there are. */
const MAX_SHOWN = 40;

/**
 * The current result of an updating push query, redrawn in place: -U and -D remove a row equal to
 * theirs, +I and +U add one (a +U takes the place of the -U before it, so rows do not jump).
 */
export class LiveTable {
  private readonly rows: (readonly unknown[])[] = [];
  private changes = 0;
  private drawnLines = 0;
  private lastRemoved = -1;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private finished = false;

  private readonly maxShown: number;

  constructor(
    private readonly columns: readonly ResultColumn[],
    private readonly write: (s: string) => void,
    private readonly maxWidth?: number,
    /** Terminal height: the drawing must fit on the screen to be redrawn in place. */
    maxHeight?: number,
  ) {
    this.maxShown = maxHeight === undefined ? MAX_SHOWN : Math.max(1, maxHeight - 6);
  }

  apply(r: PushRow): void {
    if (this.finished) return;
    this.changes++;
    const key = rowKey(r.values);
    if (r.op === '-U' || r.op === '-D') {
      const i = this.rows.findIndex((x) => rowKey(x) === key);
      if (i >= 0) this.rows.splice(i, 1);
      this.lastRemoved = r.op === '-U' ? i : -1;
    } else if (r.op === '+U' && this.lastRemoved >= 0) {
      this.rows.splice(this.lastRemoved, 0, r.values);
      this.lastRemoved = -1;
    } else {
      this.rows.push(r.values);
    }
    this.schedule();
  }

  /** Draws now (the first time). */
  flush(): void {
    if (this.finished) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.draw();
  }

  /**
   * Draws the last state, if it changed, and stops: later rows are not shown and nothing is
   * redrawn over what is printed after it. Call it before printing anything else.
   */
  finish(): void {
    if (this.finished) return;
    if (this.dirty) this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.finished = true;
  }

  get size(): number {
    return this.rows.length;
  }

  private schedule(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) this.draw();
    }, REDRAW_MS);
    this.timer.unref();
  }

  private draw(): void {
    this.dirty = false;
    const shown = this.rows.slice(0, this.maxShown);
    const more = this.rows.length - shown.length;
    const footer = `(${this.rows.length} ${this.rows.length === 1 ? 'row' : 'rows'}${more > 0 ? `, first ${shown.length} shown` : ''}; ${this.changes} ${this.changes === 1 ? 'change' : 'changes'})`;
    const text = `${renderTable(this.columns, shown, { ...(this.maxWidth !== undefined ? { maxWidth: this.maxWidth } : {}), footer })}\n`;
    // Back to the first line of the previous drawing and clear below it.
    this.write(`${this.drawnLines > 0 ? `\x1b[${this.drawnLines}F\x1b[J` : ''}${text}`);
    this.drawnLines = text.split('\n').length - 1;
  }
}

/** A row's values as text to find it by: bigints marked, NaN and the infinities kept apart from NULL (JSON writes all three as null). */
function rowKey(values: readonly unknown[]): string {
  return JSON.stringify(values, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : typeof v === 'number' && !Number.isFinite(v) ? `${v}` : v));
}
