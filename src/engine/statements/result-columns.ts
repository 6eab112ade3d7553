/** Result columns of statements that answer with rows (SHOW, DESCRIBE). */
import type { ResultColumn } from '../types.js';

export type Rows = { kind: 'rows'; columns: ResultColumn[]; rows: unknown[][] };

/** Result columns from names; `name:TYPE` gives a type other than STRING. */
export const cols = (...names: string[]): ResultColumn[] =>
  names.map((n) => {
    const [name, type] = n.split(':');
    return { name: name!, type: type ?? 'STRING' };
  });

