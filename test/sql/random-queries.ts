/**
 * Random SQL over one stream and one table, for comparing Sluice with DuckDB
 * (random-queries.test.ts): expressions of every type the dialect has (arithmetic, CASE,
 * COALESCE, casts, string, number and time functions, three-valued logic), projections,
 * GROUP BY with every aggregate, DISTINCT and FILTER, HAVING, aggregates over updating inputs
 * (an aggregate of an aggregate), lookup joins, ORDER BY ... LIMIT, DISTINCT ON, ROW_NUMBER and
 * materialized views. The same seed gives the
 * same queries and rows.
 */

/** A small deterministic generator (an LCG): the same seed, the same sequence. */
export class Random {
  constructor(private seed: number) {}
  next(): number {
    this.seed = (Math.imul(this.seed, 1103515245) + 12345) & 0x7fffffff;
    return this.seed / 0x80000000;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

type Ty = 'int' | 'dbl' | 'str' | 'bool' | 'ts';

/** The stream `s` and table `tb` every query reads. */
export const SCHEMA = [
  'CREATE STREAM s (i INT, j BIGINT, d DOUBLE, t STRING, u STRING, b BOOLEAN, ts TIMESTAMP(3)) WITH (partitions = 2)',
  'CREATE TABLE tb (k INT PRIMARY KEY, name STRING, w DOUBLE)',
  "INSERT INTO tb VALUES (0, 'zero', 0.5), (1, 'one', -1.5), (2, NULL, 2.0), (3, 'three', NULL), (5, 'five', 5.5), (7, 'a', 0.0), (10, 'ten', 10.0), (100, 'hundred', -0.25)",
];

const COLS: Record<Ty, string[]> = { int: ['i', 'j'], dbl: ['d'], str: ['t', 'u'], bool: ['b'], ts: ['ts'] };
const TB_COLS: Partial<Record<Ty, string[]>> = { int: ['tb.k'], dbl: ['tb.w'], str: ['tb.name'] };

export class QueryGenerator {
  /** Inside a join: columns are qualified, and the table's count too. */
  private join = false;
  /** Inside a self-join of s: columns are qualified by one of these aliases. */
  private selfJoin: readonly string[] | undefined;
  constructor(private readonly r: Random) {}

  /** `INSERT INTO s VALUES ...`: `n` rows with NULLs and edge values in every column. */
  rows(n: number): string {
    const r = this.r;
    const ints = [0, 1, -1, 2, 3, 5, 7, -7, 10, 42, 100, -100, 2147483647, -2147483648, 1000000];
    const strs = ["'a'", "'b'", "''", "'A b'", "' x '", "'ab'", "'abc'", "'hello'", "'é'", "'%'", "'a_c'", "'Hello'", "'  '", "'10'", "'3.5'", "'true'", "'😀x'"];
    const dbls = ['0.5', '1.5', '-2.25', '0', '-0.0', '3.0', '1e10', '0.1', '2.5', '-3.5', '123.456', '1e-5'];
    const out: string[] = [];
    for (let k = 0; k < n; k++) {
      const v = (f: () => string) => (r.chance(0.15) ? 'NULL' : f());
      const ts = () => `TIMESTAMP '202${r.below(5)}-0${1 + r.below(9)}-${10 + r.below(18)} ${10 + r.below(13)}:${10 + r.below(49)}:0${r.below(9)}.${100 + r.below(899)}'`;
      out.push(`(${[v(() => String(r.pick(ints.slice(0, 12)))), v(() => String(r.pick(ints))), v(() => r.pick(dbls)), v(() => r.pick(strs)), v(() => r.pick(strs)), v(() => r.pick(['TRUE', 'FALSE'])), v(ts)].join(', ')})`);
    }
    return `INSERT INTO s VALUES ${out.join(',\n')}`;
  }

  /**
   * Rows like `rows`, their times within one hour (milliseconds apart, some equal), for windows
   * of seconds and minutes; no NULL time, so every row is in a window.
   */
  windowRows(n: number): string {
    const r = this.r;
    const base = this.rows(n);
    let k = 0;
    return base.replace(/TIMESTAMP '[^']*'|NULL\)(?=,\n|$)/g, (m) => {
      k++;
      const ms = r.chance(0.1) ? 0 : r.below(3_600_000);
      const at = new Date(Date.UTC(2024, 2, 10, 10) + ms).toISOString().replace('T', ' ').replace('Z', '');
      return m.startsWith('TIMESTAMP') ? `TIMESTAMP '${at}'` : `TIMESTAMP '${at}')`;
    });
  }

  /**
   * A windowed GROUP BY (TUMBLE, HOP or SESSION over the rows with a time) and the same query
   * for DuckDB, which has no window functions of this kind: there the windows are computed from
   * epoch milliseconds (a HOP row joined with the range of windows that hold it; sessions by
   * LAG over the group's rows in time order, a new one where the gap is `gap` or more).
   */
  windowQuery(): { readonly sql: string; readonly duck: string } {
    const r = this.r;
    const shape = r.next();
    if (shape < 0.15) return this.windowRowsQuery();
    if (shape < 0.3) {
      // An aggregate over the windows' results (append-only rows, one per window and key).
      const w = this.windowAggregate();
      const outer = r.pick(['COUNT(*)', 'MIN(window_start)', 'MAX(window_end)', 'COUNT(DISTINCT window_start)', 'SUM(a0 IS NULL)']);
      const over = (q: string) => `SELECT ${outer.replace('SUM(a0 IS NULL)', 'SUM(CASE WHEN a0 IS NULL THEN 1 ELSE 0 END)')} AS n, MAX(a0) AS m FROM (${q}) q`;
      return { sql: over(w.sql), duck: over(w.duck) };
    }
    return this.windowAggregate();
  }

  /** TUMBLE or HOP without GROUP BY: each row once per window it is in, with the window's bounds. */
  private windowRowsQuery(): { readonly sql: string; readonly duck: string } {
    const r = this.r;
    const items = Array.from({ length: 1 + r.below(2) }, () => this.expr(r.pick<Ty>(['int', 'str', 'dbl', 'bool']), 1));
    const cols = items.map((x, k) => `${x} AS c${k}`).join(', ');
    const cond = r.chance(0.4) ? this.expr('bool', 1) : undefined;
    const where = `WHERE ts IS NOT NULL${cond ? ` AND (${cond})` : ''}`;
    if (r.chance(0.5)) {
      const size = r.pick([60_000, 300_000]);
      return {
        sql: `SELECT window_start, window_end, ${cols} FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '${size / 60_000}' MINUTE)) ${where}`,
        duck: `SELECT epoch_ms((epoch_ms(ts) // ${size}) * ${size}) AS window_start, epoch_ms((epoch_ms(ts) // ${size}) * ${size} + ${size}) AS window_end, ${cols} FROM s ${where}`,
      };
    }
    const [slide, size] = r.pick([[60_000, 180_000], [300_000, 600_000]] as const);
    return {
      sql: `SELECT window_start, window_end, ${cols} FROM TABLE(HOP(TABLE s, DESCRIPTOR(ts), INTERVAL '${slide / 60_000}' MINUTE, INTERVAL '${size / 60_000}' MINUTE)) ${where}`,
      duck: `SELECT epoch_ms(hop_k * ${slide}) AS window_start, epoch_ms(hop_k * ${slide} + ${size}) AS window_end, ${cols} FROM s, range((epoch_ms(ts) - ${size}) // ${slide} + 1, epoch_ms(ts) // ${slide} + 1) hops(hop_k) ${where}`,
    };
  }

  private windowAggregate(): { readonly sql: string; readonly duck: string } {
    const r = this.r;
    const kind = r.pick(['TUMBLE', 'HOP', 'SESSION'] as const);
    const cond = r.chance(0.4) ? this.expr('bool', 2) : undefined;
    const key = r.pick([undefined, 't', 'b', 'i', this.expr(this.scalarTy(), 1)]);
    const aggs = Array.from({ length: 1 + r.below(3) }, () => this.aggregate(1));
    const having = r.chance(0.2) ? ` HAVING ${r.pick(['COUNT(*) > 1', 'MIN(i) < 3', `${this.aggregate(1)} IS NOT NULL`])}` : '';
    const interval = (ms: number) => (ms % 60_000 === 0 ? `INTERVAL '${ms / 60_000}' MINUTE` : `INTERVAL '${ms / 1000}' SECOND`);
    const inner = `TABLE (SELECT * FROM s WHERE ts IS NOT NULL${cond ? ` AND (${cond})` : ''})`;
    const select = (start: string, end: string, g: string) => `SELECT ${start} AS window_start, ${end} AS window_end${key ? `, ${g} AS g` : ''}, ${aggs.map((a, k) => `${a} AS a${k}`).join(', ')}`;
    const rowsOf = (extra: string) => `SELECT *, ${extra}${key ? `, (${key}) AS gk` : ''} FROM s`;
    const where = `WHERE ts IS NOT NULL${cond ? ` AND (${cond})` : ''}`;
    const sluice = (fn: string) => `${select('window_start', 'window_end', key ?? '')} FROM TABLE(${fn}) GROUP BY window_start, window_end${key ? `, ${key}` : ''}${having}`;
    if (kind === 'TUMBLE') {
      const size = r.pick([10_000, 60_000, 300_000, 900_000]);
      return {
        sql: sluice(`TUMBLE(${inner}, DESCRIPTOR(ts), ${interval(size)})`),
        duck: `${select('epoch_ms(ws)', `epoch_ms(ws + ${size})`, 'gk')} FROM (${rowsOf(`(epoch_ms(ts) // ${size}) * ${size} AS ws`)} ${where}) q GROUP BY ws${key ? ', gk' : ''}${having}`,
      };
    }
    if (kind === 'HOP') {
      const [slide, size] = r.pick([[60_000, 300_000], [300_000, 900_000], [30_000, 120_000], [600_000, 600_000]] as const);
      return {
        sql: sluice(`HOP(${inner}, DESCRIPTOR(ts), ${interval(slide)}, ${interval(size)})`),
        duck: `${select('epoch_ms(ws)', `epoch_ms(ws + ${size})`, 'gk')} FROM (${rowsOf(`hop_k * ${slide} AS ws`)}, range((epoch_ms(ts) - ${size}) // ${slide} + 1, epoch_ms(ts) // ${slide} + 1) hops(hop_k) ${where}) q GROUP BY ws${key ? ', gk' : ''}${having}`,
      };
    }
    const gap = r.pick([30_000, 120_000, 300_000]);
    const part = key ? 'PARTITION BY gk ' : '';
    return {
      sql: sluice(`SESSION(${inner}, DESCRIPTOR(ts), ${interval(gap)})`),
      duck:
        `WITH x AS (${rowsOf('epoch_ms(ts) AS e')} ${where}), ` +
        `y AS (SELECT *, CASE WHEN e - LAG(e) OVER (${part}ORDER BY e) < ${gap} THEN 0 ELSE 1 END AS brk FROM x), ` +
        `z AS (SELECT *, SUM(brk) OVER (${part}ORDER BY e) AS sid FROM y) ` +
        `${select('epoch_ms(MIN(e))', `epoch_ms(MAX(e) + ${gap})`, 'gk')} FROM z GROUP BY ${key ? 'gk, ' : ''}sid${having}`,
    };
  }

  /**
   * An interval join of s with itself (an equality on a column and a time bound, maybe another
   * condition), projected or aggregated: plain SQL, so DuckDB runs the same text.
   */
  intervalJoinQuery(): string {
    const r = this.r;
    this.selfJoin = ['x', 'y'];
    try {
      const key = r.pick(['t', 'b', 'i', 'u']);
      const bounds = [r.pick([-300_000, -60_000, 0, 30_000]), r.pick([0, 30_000, 120_000, -30_000])].sort((a, b) => a - b);
      const at = (ms: number) => (ms === 0 ? 'x.ts' : `x.ts ${ms < 0 ? '-' : '+'} INTERVAL '${Math.abs(ms) / 1000}' SECOND`);
      const extra = r.chance(0.3) ? ` AND ${this.expr('bool', 1)}` : '';
      const from = `FROM s AS x JOIN s AS y ON x.${key} = y.${key} AND y.ts BETWEEN ${at(bounds[0]!)} AND ${at(bounds[1]!)}${extra}`;
      if (r.chance(0.6)) {
        const items = Array.from({ length: 1 + r.below(3) }, () => this.expr(r.pick<Ty>(['int', 'dbl', 'str', 'bool', 'ts']), 1));
        return `SELECT ${items.map((x, k) => `${x} AS c${k}`).join(', ')} ${from}`;
      }
      const g = r.pick([`x.${key}`, 'y.b', 'x.t']);
      const aggs = Array.from({ length: 1 + r.below(2) }, () => this.aggregate(1));
      return `SELECT ${g} AS g, ${aggs.map((a, k) => `${a} AS a${k}`).join(', ')} ${from} GROUP BY ${g}`;
    } finally {
      this.selfJoin = undefined;
    }
  }

  /**
   * Two or three SELECTs joined by UNION ALL or UNION (a number column may be INT in one and
   * DOUBLE in another), maybe aggregated over.
   */
  private unionQuery(): string {
    const r = this.r;
    const second = r.pick<Ty>(['str', 'bool', 'ts', 'int']);
    const branch = () => `SELECT ${this.expr(r.pick<Ty>(['int', 'dbl']), 2)} AS c0, ${this.expr(second, 2)} AS c1 FROM s${this.where(2)}`;
    let union = branch();
    for (let k = 0, n = 1 + r.below(2); k < n; k++) union += ` ${r.pick(['UNION ALL', 'UNION ALL', 'UNION'])} ${branch()}`;
    if (r.chance(0.6)) return union;
    return `SELECT c1 AS g, ${r.pick(['COUNT(*)', 'SUM(c0)', 'MIN(c0)', 'COUNT(DISTINCT c0)', 'AVG(c0)'])} AS a0, COUNT(c0) AS a1 FROM (${union}) q GROUP BY c1`;
  }

  query(): string {
    const r = this.r;
    const shape = r.next();
    if (shape < 0.14) return this.joinQuery();
    if (shape < 0.2) return this.hashJoinQuery();
    if (shape < 0.4) return this.nestedQuery();
    if (shape < 0.45) return `SELECT DISTINCT ${this.expr(this.scalarTy(), 1)} AS a, ${this.expr(this.scalarTy(), 1)} AS b FROM s${this.where(2)}`;
    if (shape < 0.52) return this.unionQuery();
    const d = 2 + r.below(2);
    if (shape < 0.7) {
      const items = Array.from({ length: 1 + r.below(3) }, () => this.expr(r.pick<Ty>(['int', 'dbl', 'str', 'bool', 'int', 'str']), d));
      return `SELECT ${items.map((x, k) => `${x} AS c${k}`).join(', ')} FROM s${this.where(d)}`;
    }
    const aggs = Array.from({ length: 1 + r.below(3) }, () => this.aggregate(d - 1));
    if (shape < 0.9) {
      const g = r.chance(0.5) ? r.pick(['i', 't', 'b', 'u']) : this.expr(this.scalarTy(), 1);
      const having = r.chance(0.25) ? ` HAVING ${r.pick(['COUNT(*) > 1', `${this.aggregate(1)} IS NOT NULL`, 'MIN(i) < 3'])}` : '';
      // Sometimes with the grand total (and GROUPING) beside the groups.
      if (r.chance(0.15)) {
        const sets = r.pick([`ROLLUP (${g})`, `CUBE (${g})`, `GROUPING SETS ((${g}), ())`]);
        return `SELECT ${g} AS g, GROUPING(${g}) AS gg, ${aggs.map((a, k) => `${a} AS a${k}`).join(', ')} FROM s${this.where(d)} GROUP BY ${sets}${having}`;
      }
      return `SELECT ${g} AS g, ${aggs.map((a, k) => `${a} AS a${k}`).join(', ')} FROM s${this.where(d)} GROUP BY ${g}${having}`;
    }
    if (shape < 0.92) return `SELECT ${aggs.map((a, k) => `${a} AS a${k}`).join(', ')} FROM s${this.where(d)}`;
    if (shape < 0.935) return this.orderLimitQuery();
    if (shape < 0.95) return this.asofLateralQuery();
    if (shape < 0.96) return this.subqueryQuery();
    if (shape < 0.98) return this.windowFunctionQuery();
    return this.setOperationQuery();
  }

  /**
   * Window functions whose values do not depend on how ties are ordered (s has no unique column):
   * ranks, distributions and aggregates over partitions and peers; over grouped rows; over a
   * subquery with a filter outside.
   */
  private windowFunctionQuery(): string {
    const r = this.r;
    const over = () => {
      const part = r.pick(['', 'PARTITION BY t', 'PARTITION BY b', `PARTITION BY ${this.expr('int', 1)}`]);
      const order = r.pick(['', 'ORDER BY i', 'ORDER BY d DESC', 'ORDER BY t NULLS FIRST', 'ORDER BY i, j DESC', `ORDER BY ${this.expr(this.scalarTy(), 1)}`]);
      return `OVER (${[part, order].filter((x) => x).join(' ')})`;
    };
    const fn = () => r.pick(['RANK()', 'DENSE_RANK()', 'PERCENT_RANK()', 'CUME_DIST()', 'COUNT(*)', 'COUNT(d)', 'SUM(j)', 'MIN(t)', 'MAX(d)', 'MAX(ts)']);
    // Frames over peers (RANGE, GROUPS) or whole partitions, whose rows do not depend on how ties are ordered.
    const framed = () => {
      const n = () => r.pick(['0', '1', '2', '3']);
      const part = r.pick(['', 'PARTITION BY t ', 'PARTITION BY b ']);
      const frame = r.pick([
        `ORDER BY i RANGE BETWEEN ${n()} PRECEDING AND ${n()} FOLLOWING`,
        `ORDER BY i NULLS FIRST RANGE BETWEEN CURRENT ROW AND ${n()} FOLLOWING`,
        `ORDER BY i RANGE BETWEEN 1 FOLLOWING AND ${r.pick(['3', 'UNBOUNDED'])} FOLLOWING`,
        `ORDER BY d DESC RANGE BETWEEN ${n()}.5 PRECEDING AND CURRENT ROW`,
        `ORDER BY d RANGE ${n()} PRECEDING`,
        `ORDER BY ts RANGE BETWEEN INTERVAL '${r.pick(['1', '10', '90'])}' SECOND PRECEDING AND INTERVAL '${n()}' SECOND FOLLOWING`,
        `ORDER BY t GROUPS BETWEEN ${n()} PRECEDING AND ${n()} FOLLOWING`,
        `ORDER BY i, j DESC GROUPS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING`,
        'ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING',
        `ORDER BY j RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING`,
      ]);
      return `${r.pick(['COUNT(*)', 'COUNT(d)', 'SUM(j)', 'AVG(i)', 'MIN(t)', 'MAX(d)', 'MIN(ts)'])} OVER (${part}${frame})`;
    };
    switch (r.below(5)) {
      case 3:
        return `SELECT i, t, ${framed()} AS w0, ${framed()} AS w1 FROM s${this.where(2)}`;
      case 4:
        // Windows inside expressions, filtered by QUALIFY, under DISTINCT (a second stage over the first's rows).
        return r.pick([
          `SELECT i, t, ${fn()} ${over()} - COALESCE(j, 0) AS w0, CASE WHEN ${fn()} ${over()} IS NULL THEN 'none' ELSE 'some' END AS w1 FROM s${this.where(2)}`,
          `SELECT t, i, d FROM s${this.where(2)} QUALIFY ${r.pick(['RANK()', 'DENSE_RANK()'])} OVER (PARTITION BY t ORDER BY i DESC) <= ${r.pick(['1', '2'])}`,
          `SELECT DISTINCT t, ${r.pick(['DENSE_RANK()', 'COUNT(*)', 'MAX(i)'])} ${over()} AS w0 FROM s${this.where(2)}`,
          `SELECT t, COUNT(*) AS n FROM s${this.where(2)} GROUP BY t QUALIFY COUNT(*) ${r.pick(['>=', '<'])} AVG(COUNT(*)) OVER ()`,
          `SELECT i, ${framed()} * 2 + 1 AS w0 FROM s${this.where(2)} QUALIFY ${framed()} ${r.pick(['>', '<=', 'IS NOT'])} ${r.pick(['1', 'NULL'])}`.replace(/IS NOT 1/, 'IS NOT NULL'),
        ]);
      case 0:
        return `SELECT i, t, ${fn()} ${over()} AS w0, ${fn()} ${over()} AS w1 FROM s${this.where(2)}`;
      case 1:
        return `SELECT t, COUNT(*) AS n, RANK() OVER (ORDER BY COUNT(*) DESC) AS r, SUM(COUNT(*)) OVER () AS total FROM s${this.where(2)} GROUP BY t`;
      default:
        return `SELECT t, i, w0 FROM (SELECT t, i, ${fn()} ${over()} AS w0 FROM s${this.where(2)}) q WHERE ${r.pick(['w0 <= 2', 'w0 IS NOT NULL', 'w0 > 0.5'])}`;
    }
  }

  /**
   * ORDER BY ... LIMIT [OFFSET] (a top-N, in a view kept as rows come and go), DISTINCT ON, and
   * ROW_NUMBER: each orders by every column it returns, so that rows tied in the order are equal
   * rows and the answer is one multiset whichever of them comes first.
   */
  private orderLimitQuery(): string {
    const r = this.r;
    const dir = () => r.pick(['', ' DESC', ' NULLS FIRST', ' DESC NULLS LAST', ' ASC NULLS LAST']);
    const limit = () => `LIMIT ${r.pick([1, 2, 3, 5, 10])}${r.chance(0.3) ? ` OFFSET ${r.pick([1, 2, 4])}` : ''}`;
    switch (r.below(5)) {
      case 0: {
        const items = [this.expr(r.pick<Ty>(['int', 'str', 'dbl']), 1), this.expr(r.pick<Ty>(['int', 'str', 'bool']), 1)];
        return `SELECT c0, c1 FROM (SELECT ${items.map((x, k) => `${x} AS c${k}`).join(', ')} FROM s${this.where(2)}) q ORDER BY c0${dir()}, c1${dir()} ${limit()}`;
      }
      case 1: {
        // A top-N over groups: each change of a group's count moves it in or out.
        const g = r.pick(['t', 'i', 'b', 'u']);
        const agg = r.pick(['COUNT(*)', 'SUM(i)', 'MAX(d)', 'MIN(t)', 'COUNT(DISTINCT j)']);
        return `SELECT ${g} AS g, ${agg} AS a FROM s${this.where(2)} GROUP BY ${g} ORDER BY a${dir()}, g${dir()} ${limit()}`;
      }
      case 2: {
        const [key, by] = r.pick([['t', 'i'], ['b', 'd'], ['i', 't'], ['u', 'j']] as const);
        return `SELECT DISTINCT ON (${key}) ${key}, ${by} FROM s${this.where(2)} ORDER BY ${key}, ${by}${dir()}`;
      }
      case 3: {
        const [part, by] = r.pick([['t', 'i'], ['b', 'd'], ['i', 'j'], ['u', 't']] as const);
        return `SELECT ${part}, ${by}, rn FROM (SELECT ${part}, ${by}, ROW_NUMBER() OVER (PARTITION BY ${part} ORDER BY ${by}${dir()}) AS rn FROM s${this.where(2)}) q WHERE rn <= ${r.pick([1, 2, 3])}`;
      }
      default: {
        const x = this.expr(r.pick<Ty>(['int', 'dbl', 'str']), 2);
        return `SELECT x, COUNT(*) AS n FROM (SELECT ${x} AS x FROM s${this.where(2)} ORDER BY x${dir()} ${limit()}) q GROUP BY x`;
      }
    }
  }

  /**
   * ASOF [LEFT] JOIN of s with itself, and LATERAL subqueries with a FROM (LIMIT 1, aggregates, a
   * plain SELECT ... WHERE, LIMIT n per key). Where rows of s can tie on the order that picks
   * one, only what the tied rows share is selected (the matched ts, or every ORDER BY column).
   */
  private asofLateralQuery(): string {
    const r = this.r;
    const key = r.pick(['t', 'b', 'i', 'u']);
    switch (r.below(5)) {
      case 0: {
        const [op, flip] = r.pick([['>=', false], ['>', false], ['<=', false], ['<', false], ['<=', true], ['>', true]] as const);
        const ineq = flip ? `z.ts ${op} x.ts` : `x.ts ${op} z.ts`;
        const eq = r.chance(0.8) ? `x.${key} = z.${key} AND ` : '';
        const extra = r.chance(0.3) ? ` AND z.${r.pick(['d > 0', 'i IS NOT NULL', 'b'])}` : '';
        return `SELECT x.i, x.t, x.ts AS xts, z.ts AS zts FROM s x ASOF ${r.chance(0.5) ? 'LEFT ' : ''}JOIN s z ON ${eq}${ineq}${extra}`;
      }
      case 1: {
        const left = r.chance(0.5);
        return `SELECT x.i, x.t, p.zts FROM s x ${left ? 'LEFT JOIN' : 'CROSS JOIN'} LATERAL (SELECT z.ts AS zts FROM s z WHERE z.${key} = x.${key} AND z.ts < x.ts ORDER BY z.ts DESC LIMIT 1) p${left ? ' ON TRUE' : ''}`;
      }
      case 2: {
        const agg = r.pick(['COUNT(*)', 'SUM(z.i)', 'MAX(z.d)', 'MIN(z.t)', 'COUNT(DISTINCT z.u)', 'AVG(z.j)']);
        const cond = r.pick([`z.${key} = x.${key}`, `z.${key} = x.${key} AND z.ts <= x.ts`, 'z.i < x.i', `z.${key} = x.${key} AND z.d > x.d`]);
        return `SELECT x.i, x.t, a.v FROM s x, LATERAL (SELECT ${agg} AS v FROM s z WHERE ${cond}) a`;
      }
      case 3: {
        const cond = r.pick([`z.${key} = x.${key}`, `z.${key} = x.${key} AND z.i <> x.i`, 'z.i = x.j', `z.${key} = x.${key} AND z.ts > x.ts`]);
        return `SELECT x.i, y.zi, y.zd FROM s x ${r.chance(0.5) ? 'LEFT JOIN' : 'JOIN'} LATERAL (SELECT z.i AS zi, z.d + COALESCE(x.d, 0) AS zd FROM s z WHERE ${cond}) y ON TRUE`;
      }
      default: {
        const n = r.pick([1, 2, 3]);
        return `SELECT x.i, p.zts, p.zi FROM s x, LATERAL (SELECT z.ts AS zts, z.i AS zi FROM s z WHERE z.${key} = x.${key} ORDER BY z.ts DESC NULLS LAST, z.i NULLS LAST LIMIT ${n}${r.chance(0.3) ? ' OFFSET 1' : ''}) p`;
      }
    }
  }

  /** INTERSECT and EXCEPT of two SELECTs of one type, one chained with a UNION at times. */
  private setOperationQuery(): string {
    const r = this.r;
    const ty = this.scalarTy();
    const branch = () => `SELECT ${this.expr(ty, 1)} AS c0 FROM s${this.where(2)}`;
    const op = () => r.pick(['INTERSECT', 'EXCEPT', 'UNION', 'INTERSECT ALL', 'EXCEPT ALL']);
    return r.chance(0.3) ? `${branch()} ${op()} ${branch()} ${op()} ${branch()}` : `${branch()} ${r.pick(['INTERSECT', 'EXCEPT', 'INTERSECT ALL', 'EXCEPT ALL'])} ${branch()}`;
  }

  /** Subqueries over tb by its key: IN, NOT IN, EXISTS, NOT EXISTS and scalar, correlated or not. */
  private subqueryQuery(): string {
    const r = this.r;
    const key = () => r.pick(['i', 'j', 'ABS(i) % 8', 'COALESCE(j, 3)', 'i + 1']);
    // Over the stream itself (joined): any operand, correlated by equalities or not.
    const streamPred = (): string => {
      const cond = r.pick(['', ' WHERE z.d > 0', ' WHERE z.b', ' WHERE z.t = s.t', ' WHERE z.i = s.j AND z.u IS NOT NULL', ' WHERE z.b = s.b AND z.i > 2']);
      switch (r.below(4)) {
        case 0: {
          const [x, y] = r.pick([['i', 'j'], ['j', 'i'], ['t', 'u'], ['u', 't'], ['i', 'ABS(z.i) % 3'], ['d', 'z.d']]);
          return `s.${x} ${r.chance(0.5) ? 'NOT ' : ''}IN (SELECT ${y} FROM s AS z${cond})`;
        }
        case 3: {
          // Over a subquery that groups: its groups (those HAVING keeps) answer, not the rows under them.
          const not = r.chance(0.5) ? 'NOT ' : '';
          const having = r.pick(['COUNT(*) > 1', 'MAX(z.i) > 3', 'SUM(z.d) < 0', 'COUNT(z.u) >= 1']);
          switch (r.below(3)) {
            case 0: {
              const [x, y] = r.pick([['i', 'z.j'], ['t', 'z.u'], ['i', 'ABS(z.i) % 3']]);
              return `s.${x} ${not}IN (SELECT ${y} FROM s AS z${cond} GROUP BY ${y} HAVING ${having})`;
            }
            case 1:
              return `${not}EXISTS (SELECT 1 FROM s AS z${cond} GROUP BY z.t HAVING ${having})`;
            default:
              return `s.i ${not}IN (SELECT ${r.pick(['MAX(z.i)', 'MIN(z.j)', 'COUNT(*)'])} FROM s AS z${cond})`;
          }
        }
        case 1: {
          // EXISTS may also compare the two sides in any way (a mark join).
          const any = r.pick(['', ' WHERE z.i > s.i', ' WHERE z.t = s.t AND z.d < s.d', ' WHERE z.j <> s.j AND z.b']);
          return `${r.chance(0.5) ? 'NOT ' : ''}EXISTS (SELECT 1 FROM s AS z${r.chance(0.5) ? cond : any})`;
        }
        default:
          return `${r.pick(['s.d', 's.i', 's.j'])} ${r.pick(['>', '<=', '='])} (SELECT ${r.pick(['AVG(z.d)', 'MAX(z.i)', 'MIN(z.j)', 'COUNT(*)', 'COUNT(z.t)', 'SUM(z.i)'])} FROM s AS z${cond})`;
      }
    };
    const pred = (): string => {
      if (r.chance(0.35)) return streamPred();
      switch (r.below(4)) {
        case 0:
          // Never NULL: NULL IN (SELECT ...) is NULL here, also where DuckDB finds the subquery empty (docs/sql.md).
          return `${r.pick(['COALESCE(j, 3)', 'COALESCE(i, -1) + 1', 'ABS(COALESCE(i, 5)) % 8'])} ${r.chance(0.5) ? 'NOT ' : ''}IN (SELECT k FROM tb${r.pick(['', ' WHERE w > 0', ' WHERE name IS NOT NULL', ' WHERE w < s.d', ' WHERE name <> s.t'])})`;
        case 1:
          return `${r.chance(0.5) ? 'NOT ' : ''}EXISTS (SELECT 1 FROM tb WHERE tb.k = ${key()}${r.pick(['', ' AND w > 0', ' AND tb.name IS NULL', ' AND w > s.d'])})`;
        case 2:
          return `(SELECT w FROM tb WHERE tb.k = ${key()}) ${r.pick(['>', '<=', '='])} ${r.pick(['0', 's.d', '1.5'])}`;
        default:
          return `(SELECT name FROM tb WHERE tb.k = ${key()}${r.pick(['', ' AND w >= 0'])}) IS NULL`;
      }
    };
    const scalar = () => r.pick([`(SELECT w * 2 FROM tb WHERE tb.k = ${key()})`, `(SELECT name FROM tb WHERE k = ${key()})`, `(SELECT w + s.d FROM tb WHERE tb.k = ${key()})`]);
    const where = ` WHERE ${pred()}${r.chance(0.3) ? ` ${r.pick(['AND', 'OR'])} ${pred()}` : ''}`;
    switch (r.below(3)) {
      case 0:
        return `SELECT i, j, ${scalar()} AS c0 FROM s${where}`;
      case 1:
        return `SELECT ${pred()} AS c0, ${scalar()} AS c1, i FROM s${r.chance(0.5) ? where : ''}`;
      default:
        return `SELECT t AS g, COUNT(*) AS a0, SUM(${r.pick(['(SELECT w FROM tb WHERE tb.k = s.i)', 'CASE WHEN COALESCE(i, 0) IN (SELECT k FROM tb) THEN 1 ELSE 0 END'])}) AS a1 FROM s${r.chance(0.6) ? where : ''} GROUP BY t`;
    }
  }

  private scalarTy(): Ty {
    return this.r.pick<Ty>(['int', 'str', 'bool']);
  }

  private where(d: number): string {
    return this.r.chance(0.4) ? ` WHERE ${this.expr('bool', d)}` : '';
  }

  private joinQuery(): string {
    const r = this.r;
    this.join = true;
    try {
      const left = r.chance(0.4);
      const on = r.pick(['tb.k = s.i', 'tb.k = ABS(s.i) % 8', 'tb.k = COALESCE(s.i, 3)', 'tb.k = s.j', ...(left ? [] : ['tb.k = s.i AND tb.w > 0'])]);
      const from = `FROM s ${left ? 'LEFT ' : ''}JOIN tb ON ${on}${this.where(2)}`;
      if (r.chance(0.5)) {
        const items = Array.from({ length: 1 + r.below(3) }, () => this.expr(r.pick<Ty>(['int', 'dbl', 'str', 'bool']), 2));
        return `SELECT ${items.map((x, k) => `${x} AS c${k}`).join(', ')} ${from}`;
      }
      const g = r.pick(['tb.name', 's.t', 'tb.k', 's.b', 'tb.name, s.b']);
      const aggs = Array.from({ length: 1 + r.below(3) }, () => this.aggregate(1));
      return `SELECT ${g}, ${aggs.map((a, k) => `${a} AS a${k}`).join(', ')} ${from} GROUP BY ${g}`;
    } finally {
      this.join = false;
    }
  }

  /**
   * s joined with itself without a time bound (a hash join): INNER, LEFT, RIGHT, FULL or CROSS, on
   * a column equality, two, an equality and another condition, or no equality at all; or a comma
   * join with its condition in WHERE. Projected or aggregated.
   */
  private hashJoinQuery(): string {
    const r = this.r;
    this.selfJoin = ['x', 'y'];
    try {
      const eq = () => {
        const [a, b] = r.pick([['t', 'u'], ['t', 't'], ['i', 'j'], ['i', 'i'], ['b', 'b'], ['u', 'u'], ['d', 'd'], ['j', 'i']] as const);
        return `x.${a} = y.${b}`;
      };
      const on = r.pick([() => eq(), () => `${eq()} AND ${eq()}`, () => `${eq()} AND ${this.expr('bool', 1)}`, () => this.expr('bool', 1), () => `x.i < y.i`]);
      const kind = r.pick(['', 'LEFT ', 'RIGHT ', 'FULL ', 'FULL OUTER ', 'CROSS ', ',']);
      const from =
        kind === 'CROSS ' ? `FROM s AS x CROSS JOIN s AS y${this.where(1)}` : kind === ',' ? `FROM s AS x, s AS y WHERE ${on()}` : `FROM s AS x ${kind}JOIN s AS y ON ${on()}${this.where(1)}`;
      if (r.chance(0.5)) {
        const items = Array.from({ length: 1 + r.below(3) }, () => this.expr(r.pick<Ty>(['int', 'dbl', 'str', 'bool', 'ts']), 1));
        return `SELECT ${items.map((x, k) => `${x} AS c${k}`).join(', ')} ${from}`;
      }
      const g = r.pick(['x.t', 'y.b', 'x.i', 'y.u']);
      const aggs = Array.from({ length: 1 + r.below(2) }, () => this.aggregate(1));
      return `SELECT ${g} AS g, ${aggs.map((a, k) => `${a} AS a${k}`).join(', ')} ${from} GROUP BY ${g}`;
    } finally {
      this.selfJoin = undefined;
    }
  }

  private nestedQuery(): string {
    const r = this.r;
    const inner = `SELECT ${this.expr('int', 2)} AS x, ${this.expr(this.scalarTy(), 1)} AS g, ${this.expr('dbl', 2)} AS y FROM s${this.where(2)}`;
    const shape = r.next();
    if (shape < 0.35) return `SELECT g, ${r.pick(['SUM(x)', 'COUNT(*)', 'MIN(y)', 'MAX(x) - MIN(x)', 'SUM(y) / COUNT(*)', 'COUNT(DISTINCT x)', 'AVG(x)', 'COALESCE(SUM(x), 0) + COUNT(y)'])} AS a FROM (${inner}) q GROUP BY g`;
    if (shape < 0.7) {
      // An aggregate over an updating input: each change of the inner result retracts its old row.
      const having = r.chance(0.3) ? ` HAVING ${r.pick(['COUNT(*) > 1', 'SUM(x) > 0', 'MIN(x) < 3'])}` : '';
      const agg1 = r.pick(['COUNT(*)', 'SUM(x)', 'MIN(x)', 'MAX(y)', 'COUNT(x)']);
      const agg2 = r.pick(['COUNT(*)', 'SUM(n)', 'MIN(n)', 'MAX(n)', 'AVG(n)', 'COUNT(DISTINCT n)', 'SUM(DISTINCT n)', 'VAR_POP(n)', 'COUNT(*) FILTER (WHERE n > 1)', 'BIT_OR(n)', 'BIT_XOR(n)', 'COVAR_POP(n, n)', 'REGR_COUNT(n, n)']);
      return `SELECT n, ${agg2} AS m FROM (SELECT g, ${agg1} AS n FROM (${inner}) q GROUP BY g${having}) r GROUP BY n`;
    }
    const a0 = r.pick(['SUM(x) / COUNT(*)', 'MAX(x) - MIN(x)', 'CASE WHEN COUNT(*) > 2 THEN SUM(x) ELSE -1 END', 'COALESCE(MAX(y), 0.5)', 'COUNT(x) * 2 + COUNT(*)', 'ROUND(AVG(y), 2)']);
    return `SELECT g, ${a0} AS a0, ${r.pick(['COUNT(*)', 'MIN(g)', 'MAX(g)'])} AS a1 FROM (${inner}) q GROUP BY g${r.chance(0.3) ? ' HAVING SUM(x) IS NOT NULL' : ''}`;
  }

  private aggregate(d: number): string {
    const r = this.r;
    const e = (t: Ty) => this.expr(t, d);
    return r.pick([
      () => 'COUNT(*)',
      () => `COUNT(${e(r.pick<Ty>(['int', 'str', 'dbl', 'bool']))})`,
      () => `SUM(${e('int')})`,
      () => `SUM(${e('dbl')})`,
      () => `MIN(${e(r.pick<Ty>(['int', 'str', 'dbl', 'ts']))})`,
      () => `MAX(${e(r.pick<Ty>(['int', 'str', 'dbl', 'bool']))})`,
      () => `AVG(${e(r.pick<Ty>(['int', 'dbl']))})`,
      () => `COUNT(DISTINCT ${e(r.pick<Ty>(['int', 'str']))})`,
      () => `${r.pick(['STDDEV_SAMP', 'STDDEV_POP', 'VAR_SAMP', 'VAR_POP'])}(${e(r.pick<Ty>(['int', 'dbl']))})`,
      () => `${r.pick(['BOOL_AND', 'BOOL_OR'])}(${e('bool')})`,
      () => `${r.pick(['BIT_AND', 'BIT_OR', 'BIT_XOR'])}(${e('int')})`,
      // Not CORR, REGR_SLOPE, REGR_INTERCEPT, REGR_R2: where x (or y) does not vary, DuckDB 1.5
      // gives NaN on some plans and NULL (the standard's answer, and Sluice's) on others.
      () => `${r.pick(['COVAR_POP', 'COVAR_SAMP', 'REGR_COUNT', 'REGR_AVGX', 'REGR_SYY', 'REGR_SXY'])}(${e(r.pick<Ty>(['int', 'dbl']))}, ${e(r.pick<Ty>(['int', 'dbl']))})`,
      // DISTINCT over a computed DOUBLE would count a one-ulp difference between libm and V8
      // (ATAN2(0.5, 10) and ATAN2(0.1, 2) are one value in V8 and two in DuckDB): a plain one.
      () => `${r.pick(['SUM', 'AVG', 'MIN'])}(DISTINCT ${r.chance(0.5) ? e('int') : this.plainDouble()})`,
      () => `${r.pick(['COUNT(*)', `SUM(${e('int')})`, `MAX(${e('str')})`, `AVG(${e('dbl')})`])} FILTER (WHERE ${e('bool')})`,
      // Ordered by the strings themselves, so that ties are equal strings and the text is one
      // (never a constant: DuckDB refuses ORDER BY a literal).
      () => {
        const x = this.selfJoin || this.join ? this.column('str') : r.pick(['t', 'u', 'LOWER(t)', 't || u', 'TRIM(u)']);
        return `STRING_AGG(${x}, '${r.pick([',', ' | ', ''])}' ORDER BY ${x}${r.pick(['', ' DESC', ' NULLS FIRST'])})`;
      },
      // A MAP of each value's count; the spread of values about their mean and their median.
      () => `HISTOGRAM(${e(r.pick<Ty>(['int', 'str', 'bool']))})`,
      () => `${r.pick(['SEM', 'MAD'])}(${r.chance(0.5) ? e('int') : this.plainDouble()})`,
    ])();
  }

  /**
   * A DOUBLE that is a column or a literal, where the last digit of a computed one would show:
   * as text, or as the divisor of `%` (1e10 % CBRT(1.5) magnifies a one-ulp difference in the
   * cube root, which libm and V8 may compute differently, a billion times).
   */
  private plainDouble(): string {
    return this.r.chance(0.7) ? this.column('dbl') : this.r.pick(['0.5', '1.5', '-2.25', '1e3']);
  }

  private column(ty: Ty): string {
    if (this.selfJoin) return `${this.r.pick(this.selfJoin)}.${this.r.pick(COLS[ty])}`;
    return this.join ? this.r.pick([...COLS[ty].map((c) => `s.${c}`), ...(TB_COLS[ty] ?? [])]) : this.r.pick(COLS[ty]);
  }

  private literal(ty: Ty): string {
    const r = this.r;
    switch (ty) {
      case 'int':
        return String(r.pick([0, 1, 2, 3, -1, -2, 7, 10, 100, -100, 42]));
      case 'dbl':
        return r.pick(['0.5', '1.5', '-2.25', '0.1', '3.0', '1e3', '2.5']);
      case 'str':
        return this.stringLiteral();
      case 'bool':
        return r.pick(['TRUE', 'FALSE', 'NULL']);
      case 'ts':
        // Midnight of a Monday, January 1st: the start of its day, ISO week, month, quarter and
        // year. DuckDB 1.5 folds DATE_TRUNC('week', ts) <> a timestamp no week starts at to TRUE,
        // NULL ts included; Sluice answers NULL there, as SQL's comparison with NULL is.
        return "TIMESTAMP '2024-01-01 00:00:00'";
    }
  }

  private stringLiteral(): string {
    return this.r.pick(["'a'", "'b'", "''", "'A b'", "' x '", "'%'", "'ab%'", "'_b'", "'é'", "'x'", "'hello'", "'a_c'"]);
  }

  expr(ty: Ty, depth: number): string {
    const r = this.r;
    if (depth <= 0 || r.chance(0.3)) return r.chance(0.7) ? this.column(ty) : this.literal(ty);
    const e = (t: Ty) => this.expr(t, depth - 1);
    const cmp = () => {
      const t = r.pick<Ty>(['int', 'int', 'dbl', 'str', 'ts']);
      return `(${e(t)} ${r.pick(['=', '<>', '<', '<=', '>', '>='])} ${e(t)})`;
    };
    const forms: Record<Ty, (() => string)[]> = {
      int: [
        () => `(${e('int')} ${r.pick(['+', '-', '*', '%'])} ${e('int')})`, () => `(-${e('int')})`, () => `ABS(${e('int')})`, () => `LENGTH(${e('str')})`,
        () => `CASE WHEN ${e('bool')} THEN ${e('int')} ELSE ${e('int')} END`, () => `CASE ${e('int')} WHEN ${e('int')} THEN ${e('int')} WHEN ${e('int')} THEN ${e('int')} END`,
        () => `COALESCE(${e('int')}, ${e('int')})`, () => `NULLIF(${e('int')}, ${e('int')})`, () => `GREATEST(${e('int')}, ${e('int')})`, () => `LEAST(${e('int')}, ${e('int')}, ${e('int')})`,
        () => `ROUND(${e('int')})`, () => `MOD(${e('int')}, ${e('int')})`, () => `CAST(${e('dbl')} AS INT)`, () => `CAST(${e('bool')} AS INT)`, () => `CAST(${e('str')} AS INT)`,
        () => `DATE_PART('${r.pick(['hour', 'minute', 'dow', 'year', 'doy', 'week', 'day', 'month', 'quarter', 'isodow', 'second', 'millisecond'])}', ${e('ts')})`,
        () => `SIGN(${e(r.pick<Ty>(['int', 'dbl']))})`, () => `TRUNC(${e('int')})`, () => `STRPOS(${e('str')}, ${e('str')})`, () => `ASCII(${e('str')})`, () => `IFNULL(${e('int')}, ${e('int')})`,
        () => `${e(r.pick<Ty>(['dbl', 'bool', 'int']))}::INT`, () => `TRY_CAST(${e('str')} AS INT)`, () => `POSITION(${e('str')} IN ${e('str')})`,
        () => `DATE_DIFF('${r.pick(['millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'])}', ${e('ts')}, ${e('ts')})`, () => `TRUNC(${e('int')}, ${r.pick(['-1', '-2', '1'])})`,
        () => `${r.pick(['YEAR', 'MONTH', 'DAY', 'HOUR', 'MINUTE', 'SECOND', 'MILLISECOND', 'DAYOFWEEK', 'DAYOFYEAR', 'QUARTER', 'WEEK'])}(${e('ts')})`, () => `EXTRACT(${r.pick(['HOUR', 'DOW', 'YEAR'])} FROM ${e('ts')})`,
      ],
      dbl: [
        () => `(${e('dbl')} ${r.pick(['+', '*', '-'])} ${e(r.pick<Ty>(['dbl', 'int']))})`, () => `(${e('int')} / ${e('int')})`, () => `(${e('dbl')} / ${e('dbl')})`, () => `(${e('dbl')} % ${this.plainDouble()})`,
        () => `SQRT(ABS(${e('dbl')}))`, () => (r.chance(0.25) ? `ROUND(${this.column('dbl')}, -1)` : `ROUND(${e('dbl')}, ${r.pick(['0', '1', '2'])})`), () => `FLOOR(${e('dbl')})`, () => `CEIL(${e('dbl')})`, () => `TRUNC(${e('dbl')})`,
        () => `POWER(${e('dbl')}, ${r.pick(['2', '0.5', '-1'])})`, () => `EXP(${e('int')} % 5)`, () => `LN(ABS(${e('dbl')}) + 1)`, () => `LOG10(ABS(${e('dbl')}) + 1)`, () => `CBRT(${e('dbl')})`,
        () => `ATAN2(${e('dbl')}, ${e('int')})`, () => `DEGREES(${e('dbl')})`, () => `SIN(${e('int')})`, () => `CAST(${e('int')} AS DOUBLE)`, () => `ABS(${e('dbl')})`, () => `(-${e('dbl')})`,
        () => `COALESCE(${e('dbl')}, ${e('int')})`, () => `GREATEST(${e('dbl')}, ${e('int')})`, () => `CASE WHEN ${e('bool')} THEN ${e('dbl')} ELSE ${e('int')} END`, () => `CAST(${e('str')} AS DOUBLE)`, () => `NULLIF(${e('dbl')}, ${e('dbl')})`,
        () => `TRY_CAST(${e('str')} AS DOUBLE)`, () => `${e('int')}::DOUBLE`, () => `EXTRACT(EPOCH FROM ${e('ts')})`,
        () => `TRUNC(${e('dbl')}, ${r.pick(['0', '1', '2', '-1'])})`, () => `LOG(${r.pick(['2', '10', '0.5'])}, ABS(${e('dbl')}) + 1)`,
      ],
      str: [
        () => `(${e('str')} || ${e('str')})`, () => `(${e('str')} || ${r.chance(0.5) ? this.plainDouble() : e(r.pick<Ty>(['int', 'ts', 'bool']))})`, () => `CONCAT(${e('str')}, ${this.plainDouble()}, ${e('ts')})`,
        () => `UPPER(${e('str')})`, () => `LOWER(${e('str')})`, () => `TRIM(${e('str')})`, () => `LTRIM(${e('str')})`, () => `RTRIM(${e('str')}, ${this.stringLiteral()})`, () => `TRIM(LEADING ${this.stringLiteral()} FROM ${e('str')})`,
        // Starts of -3..4 and lengths of 0..5: with a start far before the string's beginning or
        // a negative length DuckDB 1.5 answers differently when it folds constants than over a
        // column (SUBSTRING('b', -3, 1) is '' there and 'b' here); strings.slt tests those cases.
        () => `SUBSTRING(${e('str')}, ${r.below(8) - 3})`,
        () => `SUBSTRING(${e('str')}, ${r.below(5)}, ${r.below(6)})`,
        () => `REPLACE(${e('str')}, ${e('str')}, ${e('str')})`,
        () => `CAST(${e('int')} AS STRING)`, () => `CAST(${this.plainDouble()} AS STRING)`, () => `CAST(${e('bool')} AS STRING)`, () => `CAST(${e('ts')} AS STRING)`,
        () => `CASE WHEN ${e('bool')} THEN ${e('str')} END`, () => `COALESCE(${e('str')}, ${e('str')})`, () => `NULLIF(${e('str')}, ${e('str')})`, () => `GREATEST(${e('str')}, ${e('str')})`, () => `LEAST(${e('str')}, ${e('str')})`,
        () => `LEFT(${e('str')}, ${e('int')})`, () => `RIGHT(${e('str')}, ${e('int')})`, () => `LPAD(${e('str')}, ${r.below(8)}, '*')`, () => `RPAD(${e('str')}, ${r.below(8)}, 'xy')`,
        () => {
          // \1 only where the pattern has a group (DuckDB fails the statement on it, Sluice the row).
          const [pattern, replacement] = r.pick([['[ab]', '-'], ['a+', ''], ['^.', '<\\0>'], ['b*', '-'], ['(\\w)(\\w)', '\\2\\1'], ['[^a-z]', '_']]);
          return `REGEXP_REPLACE(${e('str')}, '${pattern}', '${replacement}'${r.pick(['', ", 'g'", ", 'gi'"])})`;
        },
        () => `REGEXP_EXTRACT(${e('str')}, '${r.pick(['[a-z]+', 'b.', '\\d', '(a)(b)?'])}')`,
        () => `ARRAY_TO_STRING(${r.pick(['LIST_SORT', ''])}(STRING_SPLIT(${e('str')}, '${r.pick([' ', 'a', ''])}')), '${r.pick(['~', ''])}')`,
        () => `REVERSE(${e('str')})`, () => `REPEAT(${e('str')}, ${r.below(4)})`, () => `SPLIT_PART(${e('str')}, ${r.pick(["' '", "'a'", "','"])}, ${e('int')})`, () => `CONCAT_WS(${this.stringLiteral()}, ${e('str')}, ${e('int')})`,
      ],
      bool: [
        cmp, cmp, () => `(${e('bool')} ${r.pick(['AND', 'OR'])} ${e('bool')})`, () => `(NOT ${e('bool')})`,
        () => `REGEXP_${r.pick(['MATCHES', 'FULL_MATCH'])}(${e('str')}, '${r.pick(['a', '^[a-c]', 'b$', '[A-Z]', '.*', 'x|y'])}'${r.pick(['', ", 'i'"])})`,
        () => `(${e(r.pick<Ty>(['int', 'str', 'dbl', 'bool']))} IS ${r.pick(['', 'NOT '])}NULL)`,
        () => {
          const t = r.pick<Ty>(['int', 'str', 'dbl']);
          return `(${e(t)} IS ${r.pick(['', 'NOT '])}DISTINCT FROM ${e(t)})`;
        },
        () => {
          const t = r.pick<Ty>(['int', 'dbl', 'str']);
          return `(${e(t)} ${r.pick(['', 'NOT '])}BETWEEN ${e(t)} AND ${e(t)})`;
        },
        () => `(${e('int')} ${r.pick(['', 'NOT '])}IN (${e('int')}, ${e('int')}${r.chance(0.3) ? ', NULL' : ''}))`,
        () => `(${e('str')} ${r.pick(['', 'NOT '])}IN (${this.stringLiteral()}, ${e('str')}))`,
        () => `(${e('str')} ${r.pick(['LIKE', 'NOT LIKE', 'ILIKE'])} ${r.pick(["'a%'", "'%b'", "'_'", "'%'", "'%a%'", "'A%'", "'__'", "''", "'h_llo'"])})`,
        () => `CAST(${e('int')} AS BOOLEAN)`, () => `CAST(${e('str')} AS BOOLEAN)`, () => `COALESCE(${e('bool')}, ${e('bool')})`, () => `CASE WHEN ${e('bool')} THEN ${e('bool')} ELSE ${e('bool')} END`,
        () => `STARTS_WITH(${e('str')}, ${e('str')})`, () => `CONTAINS(${e('str')}, ${this.stringLiteral()})`, () => `ISNAN(${e('dbl')})`,
        () => `(${e('bool')} IS ${r.pick(['', 'NOT '])}${r.pick(['TRUE', 'FALSE', 'UNKNOWN'])})`,
        // A string literal compared with a TIMESTAMP or a number is read as that type.
        () => `(${e('ts')} ${r.pick(['=', '<', '>=', '<>'])} '${r.pick(['2022-05-20 12:30:05.500', '2023-01-01', '2024-07-15 18:00:00'])}')`,
        () => `(${e('int')} ${r.pick(['=', '<', '>='])} '${r.pick(['7', '-1', '100', '2.5', ' 3 '])}')`,
      ],
      ts: [
        () => `(${e('ts')} + INTERVAL '${r.pick(['1', '90', '3600'])}' SECOND)`, () => `DATE_TRUNC('${r.pick(['hour', 'day', 'week', 'month', 'year', 'minute', 'quarter'])}', ${e('ts')})`,
        () => `COALESCE(${e('ts')}, ${e('ts')})`, () => `GREATEST(${e('ts')}, ${e('ts')})`, () => `(${e('ts')} - INTERVAL ${r.pick(['1', '90'])} MINUTE)`,
      ],
    };
    return r.pick(forms[ty])();
  }
}
