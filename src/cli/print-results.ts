/** Printing finished statement results in the CLI. */
import type { StatementResult } from '../engine/types.js';
import { renderTable } from '../shell/render.js';

export function printResult(r: Exclude<StatementResult, { kind: 'push' }>, write: (s: string) => void): void {
  switch (r.kind) {
    case 'ok':
      write(`${r.message}\n`);
      break;
    case 'rows':
      write(`${renderTable(r.columns, r.rows)}\n`);
      break;
    case 'explain':
      write(`${r.text}\n`);
      break;
  }
}
