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
import { betweenCode, caseCode, coalesceCode, comparisonCode, distinctCode, inCode, likeCode, logicCode, nullifCode, type CodeGen } from './compile-logic.js';
import { castNested, listElement } from './nested-values.js';

export interface RowError {
  readonly row: number;
  readonly message: string;
}

export interface Evaluated {
  readonly values: unknown[];
  readonly errors: RowError[];
}

export type UdfResolver = (name: string) => ((...args: unknown[]) => unknown) | undefined;

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
    'for (let i = 0; i < n; i++) {',
    `  try { out[i] = ${body}; } catch (err) { out[i] = null; errs.push({ row: i, message: err instanceof Error ? err.message : String(err) }); }`,
    '}',
  ].join('\n');
  let kernel: Kernel;
  try {
    kernel = new Function('cols', 'n', 'F', 'U', 'H', 'out', 'errs', src) as Kernel;
  } catch (err) {
    if (err instanceof RangeError) {
      throw new SluiceError('EXPRESSION_TOO_COMPLEX', 'expression too complex to compile', { span: e.span, hint: 'nest less deeply, or split the statement' });
    }
    const text = exprToString(e);
    throw new SluiceError('INTERNAL', `could not compile expression ${text.length > 200 ? `${text.slice(0, 197)}...` : text}: ${String(err)}`);
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

const SCALAR_FNS: Record<string, (...args: unknown[]) => unknown> = Object.fromEntries(Object.entries(SCALAR_IMPLS).map(([k, v]) => [k, v.fn]));

class Gen implements CodeGen {
  temps = 0;
  readonly consts: unknown[] = [];
  readonly udfFns: ((...args: unknown[]) => unknown)[] = [];
  constructor(private readonly udfs: UdfResolver) {}

  temp(): string {
    return `t${this.temps++}`;
  }

  konst(v: unknown): string {
    this.consts.push(v);
    return `H[${this.consts.length - 1}]`;
  }

  /** `x === null ? null : body(x)` for each operand. */
  private strict(args: readonly string[], body: (ts: string[]) => string): string {
    const ts = args.map(() => this.temp());
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
      case 'In':
        return inCode(e, this);
      case 'Between':
        return betweenCode(e, this);
      case 'Like':
        return likeCode(e, this);
      case 'Case':
        return caseCode(e, this);
      case 'Cast':
        return this.strict([this.expr(e.operand)], ([a]) => `${this.konst(caster(e.operand.type, e.type))}(${a})`);
      case 'Call': {
        const impl = SCALAR_IMPLS[e.fn];
        if (!impl) throw new SluiceError('INTERNAL', `no implementation for function ${e.fn}`);
        if (e.fn === 'coalesce') return coalesceCode(e.args, this);
        if (e.fn === 'nullif') return nullifCode(e.args[0]!, e.args[1]!, this);
        const args = e.args.map((a) => this.expr(a));
        if (impl.nullSafe) return `F.${e.fn}(${args.join(', ')})`;
        return args.length ? this.strict(args, (ts) => `F.${e.fn}(${ts.join(', ')})`) : `F.${e.fn}()`;
      }
      case 'Udf': {
        const fn = this.udfs(e.name);
        if (!fn) throw new SluiceError('UNKNOWN_FUNCTION', `function '${e.name}' is not registered`);
        this.udfFns.push(fn);
        return `(U[${this.udfFns.length - 1}](${e.args.map((a) => this.expr(a)).join(', ')}) ?? null)`;
      }
      case 'FieldAccess':
        return this.strict([this.expr(e.operand)], ([a]) => `(${a}[${JSON.stringify(e.field)}] ?? null)`);
      case 'Index':
        return this.strict([this.expr(e.operand), this.expr(e.index)], ([a, k]) => `${this.konst(listElement)}(${a}, ${k})`);
      case 'Array':
        return `[${e.elements.map((x) => this.expr(x)).join(', ')}]`;
      default:
        return assertNever(e, 'expression');
    }
  }

  private binary(e: Extract<BoundExpr, { kind: 'Binary' }>): string {
    switch (e.op) {
      case 'AND':
      case 'OR':
        return logicCode(e.op, e, this);
      case '=':
      case '<>':
      case '<':
      case '<=':
      case '>':
      case '>=':
        return comparisonCode(e.op, e.left, e.right, this);
      case 'IS DISTINCT FROM':
      case 'IS NOT DISTINCT FROM':
        return distinctCode(e.op === 'IS NOT DISTINCT FROM', e.left, e.right, this);
      case '||':
      case '+':
      case '-':
      case '*':
      case '/':
      case '%':
        return this.arithmetic(e.op, e);
      default:
        return assertNever(e.op, 'operator');
    }
  }

  private arithmetic(op: '||' | '+' | '-' | '*' | '/' | '%', e: Extract<BoundExpr, { kind: 'Binary' }>): string {
    const l = this.expr(e.left);
    const r = this.expr(e.right);
    switch (op) {
      case '||':
        return this.strict([l, r], ([a, b]) => `String(${a}) + String(${b})`);
      case '+':
      case '-':
      case '*':
        return this.strict([l, r], ([a, b]) => this.intWrap(e.type, `${a} ${op} ${b}`));
      case '/':
        return this.strict([l, r], ([a, b]) => `(${b} === 0 ? ${this.konst(divZero)}() : ${a} / ${b})`);
      case '%':
        return this.strict([l, r], ([a, b]) => `(${b} === 0 ? ${this.konst(divZero)}() : ${a} % ${b})`);
      default:
        return assertNever(op, 'operator');
    }
  }

  private intWrap(t: DataType, code: string): string {
    return t.kind === 'INT' ? `((${code}) | 0)` : code;
  }
}

function divZero(): never {
  throw new Error('division by zero');
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
    case 'STRUCT':
      return (x) => castNested(x, to);
    default:
      return (x) => {
        if (isNumeric(to)) return toNumber(x);
        return x;
      };
  }
}
