/** The live progress line of `sluice run`: rows in/out, dead letters and lag per running query. */
import type { QueryInfo } from '../engine/types.js';

function compact(n: number): string {
  if (n < 10_000) return String(Math.round(n));
  if (n < 10_000_000) return `${(n / 1000).toFixed(1)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function progressLine(queries: readonly QueryInfo[]): string {
  if (queries.length === 0) return 'no running queries';
  return queries
    .map((q) => {
      const lag = q.lag === undefined ? '' : ` lag ${compact(q.lag)}`;
      const dlq = q.deadLetters > 0 ? ` dlq ${compact(q.deadLetters)}` : ' dlq 0';
      const status = q.status === 'running' ? '' : ` [${q.status}]`;
      return `${q.name ?? q.id}: in ${compact(q.rowsIn)} (${compact(q.rateIn)}/s) out ${compact(q.rowsOut)} (${compact(q.rateOut)}/s)${dlq}${lag}${status}`;
    })
    .join(' | ');
}

/** Redraws one status line on a terminal; on a pipe, prints a line every `everyMs`. */
export class ProgressReporter {
  private timer: NodeJS.Timeout | undefined;
  private lastPlain = 0;

  constructor(private readonly source: () => readonly QueryInfo[], private readonly out: NodeJS.WriteStream = process.stderr, private readonly everyMs = 5000) {}

  /** The timer keeps the process alive while queries wait for input; `stop()` ends it. */
  start(intervalMs = 500): void {
    this.draw();
    this.timer = setInterval(() => this.draw(), intervalMs);
  }

  draw(): void {
    const line = progressLine(this.source());
    if (this.out.isTTY === true) {
      const width = this.out.columns ?? 120;
      this.out.write(`\r\x1b[2K${line.length > width - 1 ? `${line.slice(0, width - 2)}…` : line}`);
    } else if (Date.now() - this.lastPlain >= this.everyMs) {
      this.lastPlain = Date.now();
      this.out.write(`${line}\n`);
    }
  }

  /** Clears the status line so other output can be printed. */
  clear(): void {
    if (this.out.isTTY === true) this.out.write('\r\x1b[2K');
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.clear();
  }
}
