/** The shape of a statement handler and of the table that dispatches to them. */
import type { Statement } from '../../parser/index.js';
import type { ExecuteOptions } from '../engine-options.js';
import type { Session } from '../session.js';
import type { StatementResult } from '../types.js';

export type StatementKind = Statement['kind'];
export type StatementOf<K extends StatementKind> = Extract<Statement, { kind: K }>;

/** Runs one statement of kind `K` (already parsed and planned against the catalog) in `session`. */
export type StatementHandler<K extends StatementKind> = (session: Session, s: StatementOf<K>, text: string, opts: ExecuteOptions) => Promise<StatementResult>;

/** One handler for every statement kind: a new kind does not compile until it has one. */
export type HandlerTable = { readonly [K in StatementKind]: StatementHandler<K> };
