/**
 * Compiles a bound expression once per query into a JavaScript loop over a batch's column
 * arrays (via `new Function`). SQL NULL is JS `null`; three-valued logic for AND/OR/NOT.
 * Values follow the representation in columns.ts (BIGINT is a bigint); where an operator mixes
 * types, each operand is widened to the bound result or comparison type first (INT -> BIGINT,
 * BIGINT -> DOUBLE, as DuckDB does), and INT/BIGINT arithmetic is checked for overflow.
 * A row whose evaluation throws (division by zero, a bad CAST, a throwing UDF) yields null and
 * is reported in `errors`, so the operator can send it to the dead-letter stream.
 */
import type { RecordBatch } from 'apache-arrow';
import { SluiceError, assertNever } from '../common/errors.js';
import { decimalOf, typeToString, type DataType, type Field } from '../common/types.js';
import { columnsOf, exprToString, type BoundExpr } from '../planner/bound-expr.js';
import { caster, MAX_EPOCH_MS, MAX_INTERVAL_MS, temporalOverflow } from './casts.js';
import { readColumn, type Values } from './columns.js';
import { decimalRemainder, roundDecimal, toScale, truncDecimal } from './decimals.js';
import { fits, negationOverflow, overflow, overflowMessage, toInt, widenCode } from './integers.js';
import { SCALAR_IMPLS } from './scalar-functions.js';
import { listFold } from './list-aggregate.js';
import { LIST_AGGREGATE_CALL } from '../common/aggregate-names.js';
import { betweenCode, caseCode, coalesceCode, comparisonCode, distinctCode, inCode, likeCode, logicCode, nullifCode, type CodeGen } from './compile-logic.js';
import { listElement } from './nested-values.js';
import { LIST_LAMBDAS } from './list-lambdas.js';
import { JSON_VALUED_FUNCTIONS, jsonArray, jsonObject, jsonObjectOfLists, jsonWriter } from './json-functions.js';

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
  return compileWith(new Gen(udfs), e, input);
}

/**
 * The value of `e`, an expression of no columns (a value of INSERT ... VALUES, a row of VALUES
 * in FROM, a DEFAULT), with its error where computing it fails. Its literals are compiled as
 * constants rather than into the code, so that the values of one shape (a cast of a number, a
 * TIMESTAMP plus an INTERVAL) share one compiled kernel: an INSERT of 25,000 rows compiled
 * 100,000 functions, 15 s of the main thread.
 */
export function constantValue(e: BoundExpr, udfs: UdfResolver = () => undefined): { readonly value: unknown; readonly error?: string } {
  if (e.kind === 'Literal') return { value: e.value };
  const { values, errors } = compileWith(new Gen(udfs, true), e, []).evaluateColumns([], 1);
  return errors.length ? { value: null, error: errors[0]!.message } : { value: values[0] ?? null };
}

/**
 * Compiled kernels by their source: expressions of the same shape compile once (the source holds
 * no constant that was lifted into H). Bounded; the least recently used goes first.
 */
const KERNELS = new Map<string, Kernel>();
const MAX_KERNELS = 1024;

function kernelOf(src: string): Kernel {
  const cached = KERNELS.get(src);
  if (cached) {
    KERNELS.delete(src);
    KERNELS.set(src, cached);
    return cached;
  }
  const kernel = new Function('cols', 'n', 'F', 'U', 'H', 'out', 'errs', src) as Kernel;
  if (KERNELS.size >= MAX_KERNELS) KERNELS.delete(KERNELS.keys().next().value!);
  KERNELS.set(src, kernel);
  return kernel;
}

function compileWith(g: Gen, e: BoundExpr, input: readonly Field[]): CompiledExpr {
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
    kernel = kernelOf(src);
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
  let text: string | undefined;
  return {
    type: e.type,
    get text() {
      return (text ??= exprToString(e));
    },
    evaluate(batch) {
      const cols: (Values | undefined)[] = [];
      for (const i of used) cols[i] = readColumn(batch, i, input[i]!.type);
      return run(cols, batch.numRows);
    },
    evaluateColumns: run,
  };
}

/** The value `f` computes, or NULL where it throws (a row error): TRY(x). */
function tryValue(f: () => unknown): unknown {
  try {
    return f();
  } catch {
    return null;
  }
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

/** 0 for -0, any other value as it is. */
function noNegativeZero(v: unknown): unknown {
  return v === 0 ? 0 : v;
}

const SCALAR_FNS: Record<string, (...args: unknown[]) => unknown> = Object.fromEntries(Object.entries(SCALAR_IMPLS).map(([k, v]) => [k, v.fn]));

class Gen implements CodeGen {
  temps = 0;
  readonly consts: unknown[] = [];
  readonly udfFns: UdfBatchFn[] = [];
  /** Loops that call each user function once over the whole batch, innermost calls first. */
  readonly udfLoops: string[] = [];
  /** TRY(...)s around the expression being compiled: a constant that fails there is NULL, not an error. */
  private tries = 0;
  /**
   * `lift`: every literal goes into H rather than into the code, so that expressions that differ
   * only in their literals compile to one source (see `constantValue`).
   */
  constructor(
    private readonly udfs: UdfResolver,
    private readonly lift = false,
  ) {}

  /** `compute()`'s constant, or NULL where it fails inside TRY (outside, its error fails the statement). */
  private constant(compute: () => unknown): string {
    if (this.tries === 0) return this.konst(compute());
    try {
      return this.konst(compute());
    } catch {
      return 'null';
    }
  }

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
        if (this.lift && e.value !== null) return this.konst(e.type.kind === 'BIGINT' ? BigInt(e.value as number | bigint) : e.value);
        if (e.value !== null && e.type.kind === 'BIGINT') return `${BigInt(e.value as number | bigint)}n`;
        return e.value === null ? 'null' : typeof e.value === 'string' ? JSON.stringify(e.value) : typeof e.value === 'number' || typeof e.value === 'boolean' ? String(e.value) : this.konst(e.value);
      case 'Binary':
        return this.binary(e);
      case 'Unary':
        return e.op === 'NOT' ? this.strict([this.expr(e.operand)], ([a]) => `!${a}`) : this.strict([this.expr(e.operand)], ([a]) => this.negate(e.type, a!));
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
      case 'Cast': {
        const rescaled = e.type.kind === 'DOUBLE' && e.type.decimal !== undefined && typeToString(e.type) !== typeToString(e.operand.type);
        if (e.operand.type.kind === e.type.kind && e.type.kind !== 'ARRAY' && e.type.kind !== 'STRUCT' && !rescaled) return this.expr(e.operand);
        const cast = e.try ? tryCaster(caster(e.operand.type, e.type)) : caster(e.operand.type, e.type);
        if (e.operand.kind === 'Literal' && e.operand.value !== null) return this.constant(() => castConstant(cast, e));
        return this.strict([this.expr(e.operand)], ([a]) => `${this.konst(cast)}(${a})`);
      }
      case 'Call': {
        if (e.fn === LIST_AGGREGATE_CALL) {
          const fold = this.konst(listFold(e.args));
          return this.strict([this.expr(e.args[0]!)], ([l]) => `${fold}(${l})`);
        }
        const impl = SCALAR_IMPLS[e.fn];
        if (!impl) throw new SluiceError('INTERNAL', `no implementation for function ${e.fn}`);
        if (e.fn === 'coalesce') return coalesceCode(e.args, e.type, this);
        // TRY(x): a row whose x fails (a bad cast, a division by zero, ...) gets NULL instead of an error.
        if (e.fn === 'try') {
          this.tries++;
          const inner = this.expr(e.args[0]!);
          this.tries--;
          return `${this.konst(tryValue)}(() => ${inner})`;
        }
        if (e.fn === 'to_json' || e.fn === 'json_object' || e.fn === 'json_array') return this.jsonOfValues(e.fn, e.args);
        if (e.fn === 'json_object_lists') {
          const values = e.args[1]!.type;
          const write = this.konst(jsonWriter(values.kind === 'ARRAY' ? values.element : values));
          return this.strict([this.expr(e.args[0]!), this.expr(e.args[1]!)], ([k, v]) => `${this.konst(jsonObjectOfLists)}(${k}, ${v}, ${write})`);
        }
        if (e.fn === 'nullif') return nullifCode(e.args[0]!, e.args[1]!, this);
        const args = e.args.map((a, k) => this.widenNullable(this.expr(a), a.type, argumentType(e.fn, k, e.args, e.type)));
        if (e.fn === 'abs' && (e.type.kind === 'INT' || e.type.kind === 'BIGINT')) {
          return this.strict(args, ([a]) => `(${a} < 0 ? ${this.negate(e.type, a!)} : ${a})`);
        }
        const d = e.args[0] && decimalOf(e.args[0].type);
        if (d && (e.fn === 'round' || e.fn === 'trunc')) {
          // Of a DECIMAL's own digits, exactly: ROUND(2.675, 2) is 2.68 (the double nearest 2.675 is below it).
          const f = this.konst(e.fn === 'round' ? roundDecimal : truncDecimal);
          return this.strict(args, ([a, n]) => `${f}(${a}, ${d.scale}, ${n ?? 0})`);
        }
        if (e.fn === 'round' && e.type.kind === 'INT') {
          // ROUND(2147483647, -1) is 2147483650: out of INT range, an error rather than a wrap.
          return this.strict(args, (ts) => `${this.konst(toInt)}(F.round(${ts.join(', ')}))`);
        }
        // An INT has no negative zero: MOD(-100, -100) and TRUNC(-1, -1) are 0, not JavaScript's
        // -0 (which ATAN2 or a cast to DOUBLE would show).
        if (e.type.kind === 'INT') {
          const z = this.konst(noNegativeZero);
          if (impl.nullSafe) return `${z}(F.${e.fn}(${args.join(', ')}))`;
          return args.length ? this.strict(args, (ts) => `${z}(F.${e.fn}(${ts.join(', ')}))`) : `${z}(F.${e.fn}())`;
        }
        // Of two FLOATs, the next FLOAT (the result's type says which).
        const fn = e.fn === 'nextafter' && e.type.kind === 'FLOAT' ? 'nextafter_float' : e.fn;
        // A FLOAT result is a FLOAT: ROUND(x, 1) of a FLOAT is the FLOAT nearest the rounded value.
        const float = (code: string) => (e.type.kind === 'FLOAT' && fn !== 'nextafter_float' ? `${this.konst(nearestFloat)}(${code})` : code);
        if (impl.nullSafe) return float(`F.${fn}(${args.join(', ')})`);
        return args.length ? this.strict(args, (ts) => float(`F.${fn}(${ts.join(', ')})`)) : float(`F.${fn}()`);
      }
      case 'Udf': {
        const fn = this.udfs(e.name);
        if (!fn) throw new SluiceError('UNKNOWN_FUNCTION', `function '${e.name}' is not registered`);
        return this.udfCall(fn, e.args);
      }
      case 'FieldAccess':
        return this.strict([this.expr(e.operand)], ([a]) => `(${a}[${JSON.stringify(e.field)}] ?? null)`);
      case 'Index':
        return this.strict([this.expr(e.operand), this.expr(e.index)], ([a, k]) => `${this.konst(listElement)}(${a}, ${k})`);
      case 'Array': {
        const element = e.type.kind === 'ARRAY' ? e.type.element : e.type;
        return `[${e.elements.map((x) => this.widenNullable(this.expr(x), x.type, element)).join(', ')}]`;
      }
      case 'LambdaVar':
        return e.id;
      case 'ListLambda': {
        // The body as a JavaScript function of the parameters, called per element (list-lambdas.ts).
        const fn = `((${e.params.map((p) => p.id).join(', ')}) => ${this.expr(e.body)})`;
        const run = this.konst(LIST_LAMBDAS[e.fn]);
        if (e.fn === 'reduce' && e.initial) return this.strict([this.expr(e.list)], ([a]) => `${run}(${a}, ${fn}, true, ${this.expr(e.initial!)})`);
        return this.strict([this.expr(e.list)], ([a]) => `${run}(${a}, ${fn}, false, null)`);
      }
      default:
        return assertNever(e, 'expression');
    }
  }

  /** TO_JSON(x), JSON_OBJECT(k, v, ...), JSON_ARRAY(v, ...): each value written by the writer of its type. */
  private jsonOfValues(fn: 'to_json' | 'json_object' | 'json_array', args: readonly BoundExpr[]): string {
    const writers = args.map((a) => jsonWriter(a.type, a.kind === 'Call' && JSON_VALUED_FUNCTIONS.has(a.fn)));
    const codes = args.map((a) => this.expr(a));
    if (fn === 'to_json') return this.strict(codes, ([a]) => `${this.konst(writers[0]!)}(${a})`);
    return `${this.konst(fn === 'json_object' ? jsonObject : jsonArray)}(${this.konst(writers)}, [${codes.join(', ')}])`;
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
      case '*': {
        const d = decimalOf(e.type);
        if (e.left.kind === 'Literal' && e.right.kind === 'Literal') {
          return this.constant(() => {
            const v = integerConstant(e);
            return d && typeof v === 'number' ? toScale(v, d.scale) : v;
          });
        }
        const code = ([a, b]: string[]): string => this.checked(op, e.type, widenCode(a!, e.left.type, e.type), widenCode(b!, e.right.type, e.type));
        // A DECIMAL result is rounded to its decimals: 0.1 + 0.2 is 0.3, as exact arithmetic gives.
        return this.strict([l, r], d ? (ts) => `${this.konst(toScale)}(${code(ts)}, ${d.scale})` : code);
      }
      case '/': {
        if (e.type.kind === 'FLOAT') {
          return this.strict([l, r], ([a, b]) => `(${b} == 0 ? ${this.konst(divZero)}() : Math.fround(${widenCode(a!, e.left.type, e.type)} / ${widenCode(b!, e.right.type, e.type)}))`);
        }
        const dbl: DataType = { kind: 'DOUBLE' };
        return this.strict([l, r], ([a, b]) => `(${b} == 0 ? ${this.konst(divZero)}() : ${widenCode(a!, e.left.type, dbl)} / ${widenCode(b!, e.right.type, dbl)})`);
      }
      case '%': {
        const d = decimalOf(e.type);
        if (d) {
          const rem = this.konst(decimalRemainder);
          return this.strict([l, r], ([a, b]) => `(${b} == 0 ? ${this.konst(divZero)}() : ${rem}(${widenCode(a!, e.left.type, e.type)}, ${widenCode(b!, e.right.type, e.type)}, ${d.scale}))`);
        }
        // An INT remainder has no negative zero (-100 % -100 is 0); a DOUBLE's keeps it, as DuckDB's.
        const zero = e.type.kind === 'INT' ? ' + 0' : '';
        return this.strict([l, r], ([a, b]) => `(${b} == 0 ? ${this.konst(divZero)}() : ${widenCode(a!, e.left.type, e.type)} % ${widenCode(b!, e.right.type, e.type)}${zero})`);
      }
      default:
        return assertNever(op, 'operator');
    }
  }

  /**
   * `a op b` in type `t`; INT and BIGINT results outside their range throw instead of wrapping,
   * TIMESTAMP and INTERVAL ones instead of printing as a bare number (or losing milliseconds).
   */
  private checked(op: string, t: DataType, a: string, b: string): string {
    if (t.kind === 'TIMESTAMP' || t.kind === 'INTERVAL') {
      const r = this.temp();
      const max = t.kind === 'TIMESTAMP' ? MAX_EPOCH_MS : MAX_INTERVAL_MS;
      return `((${r} = ${a} ${op} ${b}) > ${max} || ${r} < -${max} ? ${this.konst(temporalOverflow)}(${JSON.stringify(t.kind)}, ${JSON.stringify(op)}, ${a}, ${b}) : ${r})`;
    }
    // FLOAT arithmetic rounds each result to a FLOAT: exact as single precision, since a double
    // holds the exact sum, difference or product of two FLOATs before that one rounding.
    if (t.kind === 'FLOAT') return `Math.fround(${a} ${op} ${b})`;
    if (t.kind !== 'INT' && t.kind !== 'BIGINT') return `${a} ${op} ${b}`;
    // An int32 sum, difference or product is exact in a double as long as it is in range, and
    // when it is not its rounded value is still out of range, so one check on the double suffices.
    const [lo, hi] = t.kind === 'INT' ? ['-2147483648', '2147483647'] : ['-9223372036854775808n', '9223372036854775807n'];
    const r = this.temp();
    // `+ 0`: an INT product has no negative zero (0 * -5 is 0, not JavaScript's -0).
    const value = t.kind === 'INT' && op === '*' ? `${r} + 0` : r;
    return `((${r} = ${a} ${op} ${b}) > ${hi} || ${r} < ${lo} ? ${this.konst(overflow)}(${JSON.stringify(t.kind)}, ${JSON.stringify(op)}, ${a}, ${b}) : ${value})`;
  }

  private negate(t: DataType, a: string): string {
    if (t.kind === 'INT') return `(${a} === -2147483648 ? ${this.konst(negationOverflow)}('INT', ${a}) : 0 - ${a})`;
    if (t.kind === 'BIGINT') return `(${a} === -9223372036854775808n ? ${this.konst(negationOverflow)}('BIGINT', ${a}) : -${a})`;
    // A DECIMAL has no negative zero: -0.00 is 0.00, as DuckDB's.
    if (decimalOf(t)) return `(0 - ${a})`;
    return `-${a}`;
  }

  /** Widens code that may evaluate to null (SQL NULL stays null). */
  widenNullable(code: string, from: DataType, to: DataType): string {
    const widened = widenCode('X', from, to);
    if (widened === 'X') return code;
    const t = this.temp();
    return `((${t} = ${code}) === null ? null : ${widenCode(t, from, to)})`;
  }
}

/** The FLOAT nearest a number; NULL stays NULL. */
function nearestFloat(x: number | null): number | null {
  return x === null ? null : Math.fround(x);
}

/** TRY_CAST's caster: NULL where `cast` fails. */
function tryCaster(cast: (x: unknown) => unknown): (x: unknown) => unknown {
  return (x) => {
    try {
      return cast(x);
    } catch {
      return null;
    }
  };
}

/**
 * A CAST of a literal, done once here: a constant that cannot convert fails the statement with a
 * caret (like a bad literal), instead of failing every row.
 */
function castConstant(cast: (x: unknown) => unknown, e: Extract<BoundExpr, { kind: 'Cast' }>): unknown {
  try {
    return cast((e.operand as { value: unknown }).value);
  } catch (err) {
    throw new SluiceError('TYPE_MISMATCH', err instanceof Error ? err.message : String(err), { span: e.operand.span ?? e.span, hint: `write a constant that converts to ${typeToString(e.type)}` });
  }
}

/**
 * `literal op literal`, computed once. INT/BIGINT overflow of constants (2147483647 + 1) fails
 * the statement with a caret, as DuckDB fails the query, instead of failing every row.
 */
function integerConstant(e: Extract<BoundExpr, { kind: 'Binary' }>): unknown {
  const a = widenValue((e.left as { value: unknown }).value, e.type);
  const b = widenValue((e.right as { value: unknown }).value, e.type);
  if (a === null || b === null) return null;
  // Both operands are numbers or both bigints here, so the operators apply to either.
  const [x, y] = [a as number, b as number];
  const r = e.op === '+' ? x + y : e.op === '-' ? x - y : x * y;
  const kind = e.type.kind;
  if ((kind === 'INT' || kind === 'BIGINT') && !fits(r, kind)) {
    throw new SluiceError('TYPE_MISMATCH', overflowMessage(kind, e.op, a, b), { span: e.span });
  }
  // An INT product has no negative zero (0 * -100 is 0), as in compiled code (`checked`).
  if (kind === 'INT') return (r as number) + 0;
  if (kind === 'TIMESTAMP' || kind === 'INTERVAL') {
    try {
      if (Math.abs(r) > (kind === 'TIMESTAMP' ? MAX_EPOCH_MS : MAX_INTERVAL_MS)) temporalOverflow(kind, e.op, a, b);
    } catch (err) {
      throw new SluiceError('TYPE_MISMATCH', (err as Error).message, { span: e.span, hint: kind === 'TIMESTAMP' ? 'a TIMESTAMP lies between the years -271821 and 275760' : 'write a shorter INTERVAL' });
    }
  }
  return r;
}

/** A literal value widened like `widenCode` does for code. */
function widenValue(v: unknown, to: DataType): unknown {
  if (to.kind === 'BIGINT' && typeof v === 'number') return BigInt(v);
  if (to.kind === 'FLOAT' && (typeof v === 'number' || typeof v === 'bigint')) return Math.fround(Number(v));
  if (to.kind === 'DOUBLE' && typeof v === 'bigint') return Number(v);
  return v;
}

/** Functions whose numeric arguments take the call's result type (so bigint meets bigint). */
const RESULT_TYPED_ARGS = new Set(['coalesce', 'greatest', 'least', 'mod', 'divide', 'bitwise_and', 'bitwise_or', 'xor', 'shift_left', 'shift_right']);
/** Functions that compute with doubles: a BIGINT argument reaches them as a number. */
const DOUBLE_ARGS = new Set([
  'sqrt', 'ln', 'log10', 'log', 'log2', 'cbrt', 'exp', 'power', 'pow', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'atan2', 'degrees', 'radians',
  'isnan', 'isinf', 'isfinite', 'substring', 'substr', 'left', 'right', 'repeat', 'lpad', 'rpad', 'split_part', 'chr',
]);

/**
 * The type argument `k` of a call is converted to before the implementation sees it. Others get
 * their argument as it is: ABS, FLOOR, CEIL, ROUND handle bigints exactly, CONCAT prints them.
 */
function argumentType(fn: string, k: number, args: readonly BoundExpr[], result: DataType): DataType {
  const own = args[k]!.type;
  if (RESULT_TYPED_ARGS.has(fn)) return result;
  if (fn === 'nullif') return args[0]!.type;
  const double = DOUBLE_ARGS.has(fn) || (fn === 'round' && k === 1);
  return double && own.kind === 'BIGINT' ? { kind: 'DOUBLE' } : own;
}

function divZero(): never {
  throw new Error('division by zero');
}
