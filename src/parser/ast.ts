/**
 * The typed AST produced by the parser. Every node carries the span of SQL text it came from,
 * so later phases can point at it. Identifiers keep the case the user wrote; comparisons of
 * names are case-insensitive throughout the engine (names are folded with `normalizeName`).
 */
import type { Span } from '../common/span.js';
import type { DataType } from '../common/types.js';

export interface Ident {
  readonly name: string;
  readonly span: Span;
}

export function normalizeName(name: string): string {
  return name.toLowerCase();
}

// ---------------------------------------------------------------- expressions

export type BinaryOp =
  | '+' | '-' | '*' | '/' | '%'
  | '=' | '<>' | '<' | '<=' | '>' | '>='
  | 'AND' | 'OR' | '||'
  | 'IS DISTINCT FROM' | 'IS NOT DISTINCT FROM';

export type Expr =
  | LiteralExpr
  | IntervalExpr
  | TimestampLiteralExpr
  | ColumnRefExpr
  | BinaryExpr
  | UnaryExpr
  | IsNullExpr
  | InExpr
  | InSubqueryExpr
  | ExistsExpr
  | ScalarSubqueryExpr
  | BetweenExpr
  | LikeExpr
  | CaseExpr
  | CastExpr
  | CallExpr
  | FieldAccessExpr
  | IndexExpr
  | ArrayExpr
  | LambdaExpr
  | LambdaRefExpr;

export interface LiteralExpr {
  readonly kind: 'Literal';
  /** 'integer' for 42, 'decimal' for 4.2 or 4e2, 'string' for 'x', 'boolean', 'null'. */
  readonly literal: 'integer' | 'decimal' | 'string' | 'boolean' | 'null';
  /** An integer is a bigint when it is beyond 2^53 (so it stays exact), else a number. */
  readonly value: number | bigint | string | boolean | null;
  /** The source digits of a 'decimal' literal, exact where `value` (a double) may not be. */
  readonly digits?: string;
  readonly span: Span;
}

export type IntervalUnit = 'MILLISECOND' | 'SECOND' | 'MINUTE' | 'HOUR' | 'DAY' | 'WEEK' | 'MONTH' | 'QUARTER' | 'YEAR';

/** `INTERVAL '5' SECOND`; `millis` is the length in milliseconds. */
export interface IntervalExpr {
  readonly kind: 'Interval';
  readonly text: string;
  /** The unit written (the largest, for `INTERVAL '1 month 2 days'`). */
  readonly unit: IntervalUnit;
  /** The part of fixed length (weeks, days and less), in milliseconds. */
  readonly millis: number;
  /** Calendar months (years and quarters too): a length that depends on the date it is added to. */
  readonly months: number;
  readonly span: Span;
}

/** `TIMESTAMP '2024-01-01 00:00:00'` or `DATE '2024-01-01'`; `millis` is epoch milliseconds, UTC. */
export interface TimestampLiteralExpr {
  readonly kind: 'TimestampLiteral';
  readonly type: 'TIMESTAMP' | 'DATE' | 'TIME';
  readonly text: string;
  readonly millis: number;
  readonly span: Span;
}

/** `amount` or `tx.amount`. */
export interface ColumnRefExpr {
  readonly kind: 'ColumnRef';
  readonly qualifier?: Ident;
  readonly column: Ident;
  readonly span: Span;
}

export interface BinaryExpr {
  readonly kind: 'Binary';
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

export interface UnaryExpr {
  readonly kind: 'Unary';
  readonly op: '-' | 'NOT';
  readonly operand: Expr;
  readonly span: Span;
}

export interface IsNullExpr {
  readonly kind: 'IsNull';
  readonly operand: Expr;
  readonly negated: boolean;
  readonly span: Span;
}

export interface InExpr {
  readonly kind: 'In';
  readonly operand: Expr;
  readonly list: readonly Expr[];
  readonly negated: boolean;
  readonly span: Span;
}

/** `x [NOT] IN (SELECT ...)`. */
export interface InSubqueryExpr {
  readonly kind: 'InSubquery';
  readonly operand: Expr;
  readonly query: SelectQuery;
  readonly negated: boolean;
  readonly span: Span;
}

/** `EXISTS (SELECT ...)` (NOT EXISTS is NOT over it). */
export interface ExistsExpr {
  readonly kind: 'Exists';
  readonly query: SelectQuery;
  readonly span: Span;
}

/** `(SELECT ...)` as a value: a scalar subquery. */
export interface ScalarSubqueryExpr {
  readonly kind: 'ScalarSubquery';
  readonly query: SelectQuery;
  readonly span: Span;
}

export interface BetweenExpr {
  readonly kind: 'Between';
  readonly operand: Expr;
  readonly low: Expr;
  readonly high: Expr;
  readonly negated: boolean;
  readonly span: Span;
}

/** `s [NOT] LIKE|ILIKE pattern [ESCAPE c]`: `_` is one character (code point), `%` any run. */
export interface LikeExpr {
  readonly kind: 'Like';
  readonly operand: Expr;
  readonly pattern: Expr;
  readonly escape?: Expr;
  /** ILIKE: both sides compared in lower case. */
  readonly caseInsensitive: boolean;
  readonly negated: boolean;
  readonly span: Span;
}

/** `CASE [operand] WHEN .. THEN .. [ELSE ..] END`. */
export interface CaseExpr {
  readonly kind: 'Case';
  readonly operand?: Expr;
  readonly whens: readonly { readonly when: Expr; readonly then: Expr }[];
  readonly else?: Expr;
  /** How it was written, where not as CASE: `IF(cond, a, b)`, for errors that name it. */
  readonly written?: 'IF';
  readonly span: Span;
}

export interface CastExpr {
  readonly kind: 'Cast';
  readonly operand: Expr;
  readonly type: DataType;
  /** TRY_CAST: a value that does not convert gives NULL instead of a row error. */
  readonly try?: boolean;
  readonly span: Span;
}

/**
 * `x COLLATE name` is a call of this name with `x` and the collation's name as a string: no
 * function of its own, the binder applies the collation where strings compare or sort.
 */
export const COLLATE_CALL = 'collate';

/** A function call: scalar, aggregate (`COUNT(DISTINCT x)`, `COUNT(*)`), predict(), PROCTIME(). */
export interface CallExpr {
  readonly kind: 'Call';
  readonly name: Ident;
  readonly args: readonly Expr[];
  readonly distinct: boolean;
  /** True for `COUNT(*)`; then `args` is empty. */
  readonly star: boolean;
  /** `COLUMNS(* EXCLUDE (a, b))`: the columns the star leaves out. */
  readonly starExclude?: readonly Ident[];
  /** An aggregate's `FILTER (WHERE cond)`. */
  readonly filter?: Expr;
  /** An aggregate's own `ORDER BY` inside the call (`STRING_AGG(s, ',' ORDER BY s)`). */
  readonly orderBy?: readonly OrderItem[];
  /** A window function's `OVER (PARTITION BY ... ORDER BY ...)`. */
  readonly over?: WindowOver;
  /** `IGNORE NULLS` (FIRST_VALUE, LAST_VALUE, NTH_VALUE, LAG, LEAD): NULL values are passed over. */
  readonly ignoreNulls?: true;
  readonly span: Span;
}

export interface WindowOver {
  readonly partitionBy: readonly Expr[];
  readonly orderBy: readonly OrderItem[];
  /** `ROWS | RANGE | GROUPS BETWEEN ... AND ...`; absent: SQL's default frame. */
  readonly frame?: WindowFrame;
  readonly span: Span;
}

/** What EXCLUDE leaves out of a frame: the current row, its peer group, its peers but itself, or nothing. */
export type FrameExclusion = 'current row' | 'group' | 'ties' | 'no others';

/** `name [(columns)] AS (anchor UNION [ALL] step)` of WITH RECURSIVE, where `step` reads `name`. */
export interface RecursiveTable {
  readonly name: Ident;
  readonly columns?: readonly Ident[];
  readonly anchor: SelectQuery;
  readonly step: SelectQuery;
  /** UNION ALL: every row the steps give; UNION: each distinct row once. */
  readonly all: boolean;
  readonly span: Span;
}

/** A window's frame: the rows of its partition, around the current row, that it aggregates. */
export interface WindowFrame {
  readonly unit: 'rows' | 'range' | 'groups';
  readonly start: FrameBound;
  /** `ROWS n PRECEDING` alone ends at CURRENT ROW. */
  readonly end: FrameBound;
  /** `EXCLUDE CURRENT ROW | GROUP | TIES | NO OTHERS`: rows of the frame left out. */
  readonly exclude?: { readonly mode: FrameExclusion; readonly span: Span };
  readonly span: Span;
}

export interface FrameBound {
  readonly kind: 'unbounded preceding' | 'preceding' | 'current row' | 'following' | 'unbounded following';
  /** The n of `n PRECEDING` / `n FOLLOWING`. */
  readonly offset?: Expr;
  readonly span: Span;
}

/** `expr.field` where expr is not a plain column ref (e.g. `predict('m', x).score`). */
export interface FieldAccessExpr {
  readonly kind: 'FieldAccess';
  readonly operand: Expr;
  readonly field: Ident;
  readonly span: Span;
}

/**
 * `x -> x * 2`, `(acc, x) -> acc + x`: a function of a list's elements, an argument of
 * LIST_TRANSFORM, LIST_FILTER and LIST_REDUCE (DuckDB). In `body` a parameter is a LambdaRef.
 */
export interface LambdaExpr {
  readonly kind: 'Lambda';
  readonly params: readonly Ident[];
  readonly body: Expr;
  readonly span: Span;
}

/** A lambda's parameter where its body names it (never a column, even where a column has its name). */
export interface LambdaRefExpr {
  readonly kind: 'LambdaRef';
  readonly name: string;
  readonly span: Span;
}

/** `expr[index]`; SQL arrays are 1-based. */
export interface IndexExpr {
  readonly kind: 'Index';
  readonly operand: Expr;
  readonly index: Expr;
  readonly span: Span;
}

/** `ARRAY[1, 2, 3]`. */
export interface ArrayExpr {
  readonly kind: 'Array';
  readonly elements: readonly Expr[];
  readonly span: Span;
}

// ---------------------------------------------------------------- queries

export type SelectItem =
  /** `*`, `t.*`; `EXCLUDE (a, ...)` leaves those columns out, `REPLACE (e AS a, ...)` gives `a` as `e` (as DuckDB). */
  | { readonly kind: 'Star'; readonly qualifier?: Ident; /** t.s.*: the names after the first (a STRUCT column and its fields). */ readonly path?: readonly Ident[]; readonly exclude?: readonly Ident[]; readonly replace?: readonly { readonly expr: Expr; readonly name: Ident }[]; /** `* RENAME (column AS name)`. */ readonly rename?: readonly { readonly column: Ident; readonly name: Ident }[]; readonly span: Span }
  | { readonly kind: 'ExprItem'; readonly expr: Expr; readonly alias?: Ident; readonly span: Span };

export type FromItem = TableRef | JoinRef | WindowRef | SubqueryRef | UnionRef | ValuesRef;

/**
 * `q1 UNION ALL q2 ...`: the rows of every branch, columns matched by position and named by the
 * first branch. (UNION without ALL is a SELECT DISTINCT * over this.)
 */
export interface UnionRef {
  readonly kind: 'Union';
  readonly inputs: readonly SelectQuery[];
  /**
   * `a INTERSECT b`, `a EXCEPT b` (two inputs): the distinct rows of `a` that are (not) rows of
   * `b`, instead of the rows of every input.
   */
  readonly setOp?: 'INTERSECT' | 'EXCEPT';
  /** INTERSECT ALL, EXCEPT ALL: a row as many times as min(copies in a, in b), or copies in a minus those in b. */
  readonly all?: true;
  /**
   * UNION [ALL] BY NAME: columns matched by name (case-insensitive), in the order they first
   * appear; a branch without a column gives NULL for it.
   */
  readonly byName?: true;
  readonly span: Span;
}

export interface TableRef {
  readonly kind: 'TableRef';
  readonly name: Ident;
  readonly alias?: Ident;
  readonly span: Span;
}

/**
 * `left [INNER | LEFT | RIGHT | FULL [OUTER] | CROSS] JOIN right [ON cond | USING (cols)]`. An
 * inner or left join with a table and no ON is a lookup join on the table's primary key.
 */
export interface JoinRef {
  readonly kind: 'Join';
  readonly joinType: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' | 'CROSS';
  readonly left: FromItem;
  readonly right: FromItem;
  readonly on?: Expr;
  /** `USING (a, b)`: the columns both sides have, compared for equality. */
  readonly using?: readonly Ident[];
  /** `NATURAL JOIN`: USING the column names both sides have. */
  readonly natural?: true;
  /**
   * `ASOF [LEFT] JOIN ... ON ...`: each left row with the one right row that meets ON and is
   * nearest by ON's inequality (planner/asof-join.ts).
   */
  readonly asof?: true;
  readonly span: Span;
}

/**
 * `TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE))`; HOP takes (slide, size);
 * SESSION takes (gap). `args` holds the interval arguments in written order.
 */
export interface WindowRef {
  readonly kind: 'Window';
  readonly fn: 'TUMBLE' | 'HOP' | 'SESSION';
  /** `TABLE name`, or `TABLE (SELECT ...)`. */
  readonly input: TableRef | SubqueryRef;
  readonly timeColumn: Ident;
  readonly args: readonly Expr[];
  readonly alias?: Ident;
  readonly span: Span;
}

export interface SubqueryRef {
  readonly kind: 'Subquery';
  readonly query: SelectQuery;
  readonly alias?: Ident;
  /** `AS t(a, b)`: names for its columns, in order (fewer than it has: the rest keep theirs). */
  readonly columns?: readonly Ident[];
  /** Written `LATERAL (SELECT ...)`: it may read the columns of the relations before it. */
  readonly lateral?: true;
  /** The query of a view that is not materialized, named here (planner/logical-views.ts). */
  readonly view?: true;
  readonly span: Span;
}

/** `(VALUES (1, 'a'), (2, 'b')) [AS] t(n, c)`: constant rows; columns col0, col1, ... unless named. */
export interface ValuesRef {
  readonly kind: 'Values';
  readonly rows: readonly (readonly Expr[])[];
  readonly alias?: Ident;
  readonly columns?: readonly Ident[];
  readonly span: Span;
}

export interface OrderItem {
  readonly expr: Expr;
  readonly desc: boolean;
  /** NULLS FIRST; NULLs sort last otherwise, in either direction (as DuckDB). */
  readonly nullsFirst: boolean;
}

export interface SelectQuery {
  readonly kind: 'Select';
  /**
   * WITH RECURSIVE's common tables that refer to themselves, in order: each is computed to its
   * rows before the query runs (the engine's select-recursive.ts); the query and the tables after
   * it read it by name.
   */
  readonly recursive?: readonly RecursiveTable[];
  readonly distinct: boolean;
  readonly items: readonly SelectItem[];
  readonly from?: FromItem;
  readonly where?: Expr;
  readonly groupBy: readonly Expr[];
  /**
   * GROUP BY with ROLLUP, CUBE or GROUPING SETS: the sets of expressions grouped by, each a list
   * (`groupBy` is then empty); the result is the union of the grouping by each set.
   */
  readonly groupingSets?: readonly (readonly Expr[])[];
  readonly having?: Expr;
  /** SELECT DISTINCT ON (...): lowered to QUALIFY ROW_NUMBER() OVER (PARTITION BY ... ORDER BY <the ORDER BY>) = 1. */
  readonly distinctOn?: true;
  /** QUALIFY: a filter over the window functions' values (see planner/window-lift.ts). */
  readonly qualify?: Expr;
  readonly orderBy: readonly OrderItem[];
  readonly limit?: number;
  /** OFFSET: rows skipped before the LIMIT counts. */
  readonly offset?: number;
  readonly span: Span;
}

// ---------------------------------------------------------------- statements

/** `key = value` in WITH (...). Keys may be bare (connector) or quoted ('batch.max_rows'). */
export interface OptionEntry {
  readonly key: string;
  readonly value: string | number | boolean;
  readonly span: Span;
}

export interface ColumnDef {
  readonly name: Ident;
  readonly type: DataType;
  readonly notNull: boolean;
  readonly primaryKey: boolean;
  /** `DEFAULT value`: what an INSERT that leaves the column out writes. */
  readonly default?: Expr;
  readonly span: Span;
}

/** `WATERMARK FOR ts AS ts - INTERVAL '5' SECOND`. */
export interface WatermarkDef {
  readonly column: Ident;
  readonly expr: Expr;
  readonly span: Span;
}

export interface CreateStreamStmt {
  readonly kind: 'CreateStream';
  readonly name: Ident;
  readonly ifNotExists: boolean;
  readonly columns: readonly ColumnDef[];
  readonly watermark?: WatermarkDef;
  /** CHECK constraints, of the columns and of the whole row, in the order written. */
  readonly checks?: readonly CheckConstraint[];
  readonly options: readonly OptionEntry[];
  readonly span: Span;
}

/** `[CONSTRAINT name] CHECK (cond)`, of a column or of the row. */
export interface CheckConstraint {
  readonly name?: Ident;
  readonly cond: Expr;
  readonly span: Span;
}

/** Primary key from a column's PRIMARY KEY or a trailing `PRIMARY KEY (col)`. */
export interface CreateTableStmt {
  readonly kind: 'CreateTable';
  readonly name: Ident;
  readonly ifNotExists: boolean;
  /** CREATE OR REPLACE TABLE: a table of that name is dropped first (refused while queries read it). */
  readonly orReplace?: true;
  readonly columns: readonly ColumnDef[];
  readonly primaryKey: readonly Ident[];
  readonly watermark?: WatermarkDef;
  readonly checks?: readonly CheckConstraint[];
  /** UNIQUE column sets: of a column (`a INT UNIQUE`) or `UNIQUE (a, b)`. */
  readonly unique?: readonly (readonly Ident[])[];
  readonly options: readonly OptionEntry[];
  /** CREATE TABLE t AS SELECT ...: the columns are the query's, the rows its rows now. */
  readonly query?: SelectQuery;
  readonly span: Span;
}

export interface CreateModelStmt {
  readonly kind: 'CreateModel';
  readonly name: Ident;
  readonly ifNotExists: boolean;
  readonly inputs: readonly ColumnDef[];
  readonly outputs: readonly ColumnDef[];
  readonly options: readonly OptionEntry[];
  readonly span: Span;
}

/**
 * `CREATE FUNCTION f(x DOUBLE, y DOUBLE) RETURNS DOUBLE LANGUAGE javascript AS 'return x + y'`
 * or `... LANGUAGE javascript WITH (module = './f.js', export = 'f')`.
 */
export interface CreateFunctionStmt {
  readonly kind: 'CreateFunction';
  readonly name: Ident;
  readonly orReplace: boolean;
  readonly params: readonly { readonly name: Ident; readonly type: DataType }[];
  readonly returns: DataType;
  readonly language: string;
  readonly body?: string;
  readonly options: readonly OptionEntry[];
  readonly span: Span;
}

/**
 * `CREATE MATERIALIZED VIEW name [WITH (...)] AS SELECT ...`, or with `logical` a view that is
 * not materialized, `CREATE [OR REPLACE] VIEW name [(columns)] AS SELECT ...`: a named query,
 * read wherever its name is as that query (planner/logical-views.ts).
 */
export interface CreateViewStmt {
  readonly kind: 'CreateMaterializedView';
  readonly name: Ident;
  readonly ifNotExists: boolean;
  readonly options: readonly OptionEntry[];
  readonly query: SelectQuery;
  readonly logical?: true;
  readonly orReplace?: true;
  /** A logical view's column names, `CREATE VIEW v (a, b) AS ...`. */
  readonly columns?: readonly Ident[];
  readonly span: Span;
}

/** `CREATE SINK name WITH (...) AS SELECT ...`. */
export interface CreateSinkStmt {
  readonly kind: 'CreateSink';
  readonly name: Ident;
  readonly ifNotExists: boolean;
  readonly options: readonly OptionEntry[];
  readonly query: SelectQuery;
  readonly span: Span;
}

export type ObjectKind = 'STREAM' | 'TABLE' | 'MODEL' | 'FUNCTION' | 'MATERIALIZED VIEW' | 'SINK' | 'QUERY';

export interface DropStmt {
  readonly kind: 'Drop';
  readonly objectKind: ObjectKind;
  readonly name: Ident;
  readonly ifExists: boolean;
  readonly span: Span;
}

/**
 * `ALTER MODEL m SET (...)` (a new serving version), `SET CANDIDATE (...)`, `PROMOTE`,
 * `ROLLBACK TO VERSION n` or `DROP CANDIDATE`.
 */
export interface AlterModelStmt {
  readonly kind: 'AlterModel';
  readonly name: Ident;
  readonly action: 'set' | 'candidate' | 'promote' | 'rollback' | 'drop candidate';
  /** SET and SET CANDIDATE options; empty for the other actions. */
  readonly options: readonly OptionEntry[];
  /** ROLLBACK's version and where it is written. */
  readonly version?: { readonly value: number; readonly span: Span };
  readonly span: Span;
}

export interface QueryStmt {
  readonly kind: 'Query';
  readonly query: SelectQuery;
  readonly span: Span;
}

/** `INSERT INTO s [(a, b)] VALUES (..), (..)`. */
export interface InsertStmt {
  readonly kind: 'Insert';
  readonly target: Ident;
  readonly columns?: readonly Ident[];
  /** VALUES rows; empty for INSERT ... SELECT. */
  readonly rows: readonly (readonly Expr[])[];
  /** INSERT ... SELECT: the query whose rows are inserted. */
  readonly query?: SelectQuery;
  /** INSERT INTO t BY NAME SELECT ...: the query's columns go to the columns of their names. */
  readonly byName?: true;
  /**
   * What a row whose key the table holds does: replace it (INSERT, INSERT OR REPLACE), leave it
   * (OR IGNORE, ON CONFLICT DO NOTHING), or update it (ON CONFLICT DO UPDATE SET ..., where
   * `excluded.c` is the row given).
   */
  readonly conflict?: InsertConflict;
  /** RETURNING items: the rows written, as a SELECT list over them. */
  readonly returning?: readonly SelectItem[];
  readonly span: Span;
}

export type InsertConflict =
  | { readonly action: 'replace' | 'nothing'; readonly span: Span }
  | { readonly action: 'update'; readonly sets: readonly { readonly column: Ident; readonly value: Expr }[]; readonly where?: Expr; readonly span: Span };

/** DELETE FROM table [WHERE cond]: a table's rows where cond is TRUE (all without WHERE); TRUNCATE [TABLE] table. */
export interface DeleteStmt {
  readonly kind: 'Delete';
  readonly target: Ident;
  /** `USING other, ...`: relations the WHERE also reads; a row is deleted when any match meets it. */
  readonly using?: FromItem;
  readonly where?: Expr;
  /** Written as TRUNCATE (for messages). */
  readonly truncate?: true;
  /** RETURNING items: the rows deleted, as a SELECT list over them. */
  readonly returning?: readonly SelectItem[];
  readonly span: Span;
}

/** UPDATE table SET column = expr, ... [WHERE cond]: each expression over the row's old values. */
export interface UpdateStmt {
  readonly kind: 'Update';
  readonly target: Ident;
  readonly sets: readonly { readonly column: Ident; readonly value: Expr }[];
  /** `FROM other, ...`: relations the SET and WHERE also read; a row is updated by the first match. */
  readonly from?: FromItem;
  readonly where?: Expr;
  /** RETURNING items: the rows as updated, as a SELECT list over them. */
  readonly returning?: readonly SelectItem[];
  readonly span: Span;
}

export type ShowWhat = 'STREAMS' | 'TABLES' | 'MODELS' | 'FUNCTIONS' | 'QUERIES' | 'VIEWS' | 'SINKS';

export interface ShowStmt {
  readonly kind: 'Show';
  readonly what: ShowWhat;
  readonly span: Span;
}

/** `DESCRIBE [STREAM|TABLE|MODEL|...] name`; objectKind is absent when not written. */
export interface DescribeStmt {
  readonly kind: 'Describe';
  readonly objectKind?: ObjectKind;
  readonly name: Ident;
  readonly span: Span;
}

export interface ExplainStmt {
  readonly kind: 'Explain';
  readonly statement: QueryStmt | CreateViewStmt | CreateSinkStmt;
  /** EXPLAIN VERBOSE: the logical plan and each rewrite's result too. */
  readonly verbose?: boolean;
  readonly span: Span;
}

export type Statement =
  | CreateStreamStmt
  | CreateTableStmt
  | CreateModelStmt
  | CreateFunctionStmt
  | CreateViewStmt
  | CreateSinkStmt
  | DropStmt
  | AlterModelStmt
  | QueryStmt
  | InsertStmt
  | DeleteStmt
  | UpdateStmt
  | ShowStmt
  | DescribeStmt
  | ExplainStmt;

/** A parsed statement with the exact source text it came from. */
export interface ParsedStatement {
  readonly statement: Statement;
  readonly text: string;
}

export type SubqueryExpr = InSubqueryExpr | ExistsExpr | ScalarSubqueryExpr;

/** Whether `e` is a subquery in an expression: `x IN (SELECT ...)`, `EXISTS (...)`, `(SELECT ...)`. */
export function isSubquery(e: Expr): e is SubqueryExpr {
  return e.kind === 'InSubquery' || e.kind === 'Exists' || e.kind === 'ScalarSubquery';
}
