/**
 * Compiles a bound expression once per query into a JavaScript loop over a batch's column
 * arrays (via `new Function`). SQL NULL is JS `null`; three-valued logic for AND/OR/NOT.
 * A row whose evaluation throws (division by zero, a bad CAST, a throwing UDF) yields null and
 * is reported in `errors`, so the operator can send it to the dead-letter stream.
 */
import type { RecordBatch } from 'apache-arrow';
import { SluiceError, assertNever } from '../common/errors.js';
import { isNumeric, type DataType, type Field } from '../common/types.js';
import { columnsOf, exprToString, type BoundExpr } from '../planner/bound-expr.js';
import { readColumn, type Values } from './columns.js';
import { SCALAR_IMPLS } from './scalar-functions.js';

export interface RowError {
  readonly row: number;
  readonly message: string;
}

export interface Evaluated {
  readonly values: unknown[];
  readonly errors: RowError[];
}

/**
 * A user function called once per batch: `args[i][r]` is argument i of row r; each row has a
 * value or an error message. Vectorised because a call may cross into a sandbox, which costs far
 * more per crossing than per row.
 */
export type UdfBatchFn = (args: readonly unknown[][], n: number) => { readonly values: readonly unknown[]; readonly errors: readonly (string | undefined)[] };

export type UdfResolver = (name: string) => UdfBatchFn | undefined;

export interface CompiledExpr {
  readonly type: DataType;
  readonly text: string;
  evaluate(batch: RecordBatch): Evaluated;
  /** Evaluates over already-decoded columns (index -> values); used by operators that build virtual columns. */
  evaluateColumns(cols: readonly (Values | undefined)[], n: number): Evaluated;
}

type Kernel = (cols: readonly (Values | undefined)[], n: number, F: unknown, U: unknown, H: unknown, out: unknown[], errs: RowError[]) => void;

export function compileExpr(e: BoundExpr, input: readonly Field[], udfs: UdfResolver = () => undefined): CompiledExpr {
  const g = new Gen(udfs);
  const body = g.expr(e);
  const used = [...columnsOf(e)].sort((a, b) => a - b);
  const src = [
    ...used.map((i) => `const c${i} = cols[${i}];`),
    g.temps ? `let ${Array.from({ length: g.temps }, (_, i) => `t${i}`).join(', ')};` : '',
    ...g.udfLoops,
    'for (let i = 0; i < n; i++) {',
    `  try { out[i] = ${body}; } catch (err) { out[i] = null; errs.push({ row: i, message: err instanceof Error ? err.message : String(err) }); }`,
    '}',
  ].join('\n');
  let kernel: Kernel;
  try {
    kernel = new Function('cols', 'n', 'F', 'U', 'H', 'out', 'errs', src) as Kernel;
  } catch (err) {
    throw new SluiceError('INTERNAL', `could not compile expression ${exprToString(e)}: ${String(err)}`);
  }
  const consts = g.consts;
  const udfFns = g.udfFns;
  const run = (cols: readonly (Values | undefined)[], n: number): Evaluated => {
    const out = new Array<unknown>(n);
    const errors: RowError[] = [];
    kernel(cols, n, SCALAR_FNS, udfFns, consts, out, errors);
    return { values: out, errors };
  };
  return {
    type: e.type,
    text: exprToString(e),
    evaluate(batch) {
      const cols: (Values | undefined)[] = [];
      for (const i of used) cols[i] = readColumn(batch, i, input[i]!.type);
      return run(cols, batch.numRows);
    },
    evaluateColumns: run,
  };
}

type UdfRows = ReturnType<UdfBatchFn>;

/** Calls `fn` on the rows whose arguments evaluated; the others keep their argument's error. */
function callUdfBatch(fn: UdfBatchFn, args: unknown[][], argErrors: (string | undefined)[], n: number): UdfRows {
  const good: number[] = [];
  for (let i = 0; i < n; i++) if (argErrors[i] === undefined) good.push(i);
  if (good.length === n) return fn(args, n);
  const r = fn(
    args.map((col) => good.map((i) => col[i])),
    good.length,
  );
  const values = new Array<unknown>(n).fill(null);
  const errors = argErrors.slice(0, n);
  good.forEach((i, j) => {
    values[i] = r.values[j];
    errors[i] = r.errors[j];
  });
  return { values, errors };
}

function readUdfRow(r: UdfRows, i: number): unknown {
  const e = r.errors[i];
  if (e !== undefined) throw new Error(e);
  return r.values[i] ?? null;
}

const SCALAR_FNS: Record<string, (...args: unknown[]) => unknown> = Object.fromEntries(Object.entries(SCALAR_IMPLS).map(([k, v]) => [k, v.fn]));

class Gen {
  temps = 0;
  readonly consts: unknown[] = [];
  readonly udfFns: UdfBatchFn[] = [];
  /** Loops that call each user function once over the whole batch, innermost calls first. */
  readonly udfLoops: string[] = [];
  constructor(private readonly udfs: UdfResolver) {}

  private t(): string {
    return `t${this.temps++}`;
  }

  private konst(v: unknown): string {
    this.consts.push(v);
    return `H[${this.consts.length - 1}]`;
  }

  /** `x === null ? null : body(x)` for each operand. */
  private strict(args: readonly string[], body: (ts: string[]) => string): string {
    const ts = args.map(() => this.t());
    const checks = args.map((a, i) => `(${ts[i]} = ${a}) === null`).join(' || ');
    return `(${checks} ? null : ${body(ts)})`;
  }

  expr(e: BoundExpr): string {
    switch (e.kind) {
      case 'Column':
        return `(c${e.index}[i] ?? null)`;
      case 'Literal':
        return e.value === null ? 'null' : typeof e.value === 'string' ? JSON.stringify(e.value) : typeof e.value === 'number' || typeof e.value === 'boolean' ? String(e.value) : this.konst(e.value);
      case 'Binary':
        return this.binary(e);
      case 'Unary':
        return e.op === 'NOT' ? this.strict([this.expr(e.operand)], ([a]) => `!${a}`) : this.strict([this.expr(e.operand)], ([a]) => `-${a}`);
      case 'IsNull':
        return `((${this.expr(e.operand)}) ${e.negated ? '!==' : '==='} null)`;
      case 'In': {
        const lits = e.list.every((x) => x.kind === 'Literal' && x.value !== null);
        if (lits) {
          const set = this.konst(new Set(e.list.map((x) => (x as { value: unknown }).value)));
          return this.strict([this.expr(e.operand)], ([a]) => `${e.negated ? '!' : ''}${set}.has(${a})`);
        }
        const a = this.t();
        const items = e.list.map((x) => this.expr(x));
        const hit = items.map((x) => `${a} === ${x}`).join(' || ');
        return `((${a} = ${this.expr(e.operand)}) === null ? null : ${e.negated ? '!' : ''}(${hit}))`;
      }
      case 'Between':
        return this.strict([this.expr(e.operand), this.expr(e.low), this.expr(e.high)], ([x, lo, hi]) => `${e.negated ? '!' : ''}(${x} >= ${lo} && ${x} <= ${hi})`);
      case 'Like': {
        if (e.pattern.kind === 'Literal' && typeof e.pattern.value === 'string') {
          const re = this.konst(likeRegExp(e.pattern.value));
          return this.strict([this.expr(e.operand)], ([s]) => `${e.negated ? '!' : ''}${re}.test(${s})`);
        }
        const cache = this.konst(likeRegExp);
        return this.strict([this.expr(e.operand), this.expr(e.pattern)], ([s, p]) => `${e.negated ? '!' : ''}${cache}(${p}).test(${s})`);
      }
      case 'Case': {
        const op = e.operand ? this.t() : undefined;
        let code = e.else ? this.expr(e.else) : 'null';
        for (const w of [...e.whens].reverse()) {
          const cond = op ? `${op} !== null && ${op} === ${this.expr(w.when)}` : `${this.expr(w.when)} === true`;
          code = `(${cond} ? ${this.expr(w.then)} : ${code})`;
        }
        return op ? `((${op} = ${this.expr(e.operand!)}), ${code})` : code;
      }
      case 'Cast':
        return this.strict([this.expr(e.operand)], ([a]) => `${this.konst(caster(e.operand.type, e.type))}(${a})`);
      case 'Call': {
        const impl = SCALAR_IMPLS[e.fn];
        if (!impl) throw new SluiceError('INTERNAL', `no implementation for function ${e.fn}`);
        const args = e.args.map((a) => this.expr(a));
        if (impl.nullSafe) return `F.${e.fn}(${args.join(', ')})`;
        return args.length ? this.strict(args, (ts) => `F.${e.fn}(${ts.join(', ')})`) : `F.${e.fn}()`;
      }
      case 'Udf': {
        const fn = this.udfs(e.name);
        if (!fn) throw new SluiceError('UNKNOWN_FUNCTION', `function '${e.name}' is not registered`);
        return this.udfCall(fn, e.args);
      }
      case 'FieldAccess':
        return this.strict([this.expr(e.operand)], ([a]) => `(${a}[${JSON.stringify(e.field)}] ?? null)`);
      case 'Index':
        return this.strict([this.expr(e.operand), this.expr(e.index)], ([a, k]) => `(${a}[${k} - 1] ?? null)`);
      case 'Array':
        return `[${e.elements.map((x) => this.expr(x)).join(', ')}]`;
      default:
        return assertNever(e, 'expression');
    }
  }

  /**
   * Evaluates the call's arguments for every row before the main loop, calls the function once
   * on them, and reads row i's result (or rethrows its error) where the call stands. A call
   * under CASE therefore runs on every row, but only the rows that reach it see its value or
   * error, as if it ran per row.
   */
  private udfCall(fn: UdfBatchFn, args: readonly BoundExpr[]): string {
    const codes = args.map((a) => this.expr(a));
    const k = this.udfFns.length;
    this.udfFns.push(fn);
    const [call, read] = [this.konst(callUdfBatch), this.konst(readUdfRow)];
    this.udfLoops.push(
      `const A${k} = [${codes.map(() => 'new Array(n)').join(', ')}], E${k} = new Array(n);`,
      `for (let i = 0; i < n; i++) { try { ${codes.map((c, j) => `A${k}[${j}][i] = ${c};`).join(' ')} } catch (err) { E${k}[i] = err instanceof Error ? err.message : String(err); } }`,
      `const R${k} = ${call}(U[${k}], A${k}, E${k}, n);`,
    );
    return `${read}(R${k}, i)`;
  }

  private binary(e: Extract<BoundExpr, { kind: 'Binary' }>): string {
    const l = this.expr(e.left);
    const r = this.expr(e.right);
    switch (e.op) {
      case 'AND': {
        const [a, b] = [this.t(), this.t()];
        return `((${a} = ${l}) === false ? false : (${b} = ${r}) === false ? false : (${a} === null || ${b} === null) ? null : true)`;
      }
      case 'OR': {
        const [a, b] = [this.t(), this.t()];
        return `((${a} = ${l}) === true ? true : (${b} = ${r}) === true ? true : (${a} === null || ${b} === null) ? null : false)`;
      }
      case '=':
        return this.strict([l, r], ([a, b]) => `${a} === ${b}`);
      case '<>':
        return this.strict([l, r], ([a, b]) => `${a} !== ${b}`);
      case '<':
      case '<=':
      case '>':
      case '>=':
        return this.strict([l, r], ([a, b]) => `${a} ${e.op} ${b}`);
      case '||':
        return this.strict([l, r], ([a, b]) => `String(${a}) + String(${b})`);
      case '+':
      case '-':
      case '*':
        return this.strict([l, r], ([a, b]) => this.intWrap(e.type, `${a} ${e.op} ${b}`));
      case '/':
        return this.strict([l, r], ([a, b]) => `(${b} === 0 ? ${this.konst(divZero)}() : ${a} / ${b})`);
      case '%':
        return this.strict([l, r], ([a, b]) => `(${b} === 0 ? ${this.konst(divZero)}() : ${a} % ${b})`);
      default:
        return assertNever(e.op, 'operator');
    }
  }

  private intWrap(t: DataType, code: string): string {
    return t.kind === 'INT' ? `((${code}) | 0)` : code;
  }
}

function divZero(): never {
  throw new Error('division by zero');
}

const likeCache = new Map<string, RegExp>();

/** SQL LIKE pattern (% and _) as an anchored RegExp. */
export function likeRegExp(pattern: string): RegExp {
  let re = likeCache.get(pattern);
  if (!re) {
    const body = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
    re = new RegExp(`^${body}$`, 's');
    if (likeCache.size < 1000) likeCache.set(pattern, re);
  }
  return re;
}

function caster(from: DataType, to: DataType): (x: unknown) => unknown {
  const toNumber = (x: unknown): number => {
    if (typeof x === 'number') return x;
    if (typeof x === 'boolean') return x ? 1 : 0;
    const s = String(x).trim();
    const v = s === '' ? NaN : Number(s);
    if (Number.isNaN(v)) throw new Error(`cannot cast '${String(x)}' to ${to.kind}`);
    return v;
  };
  switch (to.kind) {
    case 'INT':
    case 'BIGINT':
      return (x) => {
        if (from.kind === 'TIMESTAMP') return x;
        const v = Math.trunc(toNumber(x));
        if (to.kind === 'INT' && (v > 2147483647 || v < -2147483648)) throw new Error(`${v} is out of range for INT`);
        return v;
      };
    case 'FLOAT':
      return (x) => Math.fround(toNumber(x));
    case 'DOUBLE':
      return toNumber;
    case 'STRING':
      return (x) => (from.kind === 'TIMESTAMP' ? new Date(x as number).toISOString().replace('T', ' ').replace('Z', '') : typeof x === 'object' ? JSON.stringify(x) : String(x));
    case 'BOOLEAN':
      return (x) => {
        if (typeof x === 'boolean') return x;
        if (typeof x === 'number') return x !== 0;
        const s = String(x).toLowerCase();
        if (s === 'true') return true;
        if (s === 'false') return false;
        throw new Error(`cannot cast '${String(x)}' to BOOLEAN`);
      };
    case 'TIMESTAMP':
      return (x) => {
        if (typeof x === 'number') return x;
        const s = String(x);
        const v = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : s.replace(' ', 'T') + 'Z');
        if (Number.isNaN(v)) throw new Error(`cannot cast '${s}' to TIMESTAMP`);
        return v;
      };
    case 'ARRAY':
      return (x) => {
        if (typeof x === 'string') {
          const parsed: unknown = JSON.parse(x);
          if (!Array.isArray(parsed)) throw new Error(`cannot cast '${x}' to ARRAY`);
          return parsed;
        }
        return x;
      };
    default:
      return (x) => {
        if (isNumeric(to)) return toNumber(x);
        return x;
      };
  }
}
