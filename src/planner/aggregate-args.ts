/**
 * Constant arguments of aggregates (the threshold of PRECISION_AT/RECALL_AT): checked at plan time
 * and folded into literals, so the executor reads them once instead of per row.
 */
import { SluiceError } from '../common/errors.js';
import type { BoundExpr } from './bound-expr.js';
import { CONSTANT_AGGREGATE_ARGS, type AggregateFn } from './functions.js';

/** `args` with every position that must be constant folded into a Literal; a caret on one that is not. */
export function foldConstantArgs(fn: AggregateFn, args: readonly BoundExpr[]): BoundExpr[] {
  const positions = CONSTANT_AGGREGATE_ARGS[fn] ?? [];
  return args.map((a, k) => {
    if (!positions.includes(k)) return a;
    const value = constantNumber(a);
    if (value === undefined || Number.isNaN(value)) {
      throw new SluiceError('INVALID_ARGUMENT', `argument ${k + 1} of ${fn.toUpperCase()} must be a constant number`, {
        span: a.span,
        hint: `write a number such as ${fn.toUpperCase()}(score, label, 0.5)`,
      });
    }
    return { kind: 'Literal', value, type: a.type, ...(a.span ? { span: a.span } : {}) };
  });
}

function constantNumber(e: BoundExpr): number | undefined {
  if (e.kind === 'Literal') return e.value === null ? undefined : Number(e.value);
  if (e.kind === 'Unary' && e.op === '-') {
    const v = constantNumber(e.operand);
    return v === undefined ? undefined : -v;
  }
  if (e.kind === 'Cast') return constantNumber(e.operand);
  return undefined;
}
