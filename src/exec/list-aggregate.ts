/**
 * LIST_AGGREGATE(list, 'median') and the other aggregates without a list function of their own:
 * the aggregate's own accumulator (the one GROUP BY uses) fed the elements of each row's list,
 * NULL elements left out as an aggregate leaves out NULL values.
 */
import { SluiceError } from '../common/errors.js';
import type { BoundExpr } from '../planner/bound-expr.js';
import type { AggregateFn } from '../planner/functions.js';
import { accumulatorFactory } from './operators/accumulators.js';

/** The fold of one LIST_AGGREGATE call: `args` are the list, the aggregate's name and its constant arguments, as bound. */
export function listFold(args: readonly BoundExpr[]): (list: ArrayLike<unknown>) => unknown {
  const [list, which, ...constants] = args;
  const element = list!.type.kind === 'ARRAY' ? list!.type.element : list!.type;
  if (which?.kind !== 'Literal' || typeof which.value !== 'string') throw new SluiceError('INTERNAL', 'LIST_AGGREGATE without its aggregate');
  const fn = which.value as AggregateFn;
  const factory = accumulatorFactory({ fn, args: [{ kind: 'Column', index: 0, name: 'x', type: element }, ...constants], name: fn }, false);
  return (values) => {
    const acc = factory.create();
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) continue;
      const failed = acc.add(v, undefined, 1);
      if (failed !== undefined) throw new Error(failed);
    }
    return acc.result();
  };
}
