/**
 * The names of the built-in aggregates, with the other names they go by. The parser reads them
 * to tell an aggregate call from a scalar one (ARRAY(SELECT ...)); the planner types each
 * (src/planner/functions.ts, AGGREGATE_FUNCTIONS, which must name exactly these).
 */
export const AGGREGATE_NAMES = [
  'count', 'approx_count_distinct', 'count_if', 'sum', 'avg', 'stddev', 'stddev_samp', 'stddev_pop',
  'variance', 'var_samp', 'var_pop', 'bool_and', 'bool_or', 'min', 'arg_max', 'arg_min', 'max_by', 'min_by',
  'any_value', 'array_agg', 'list', 'mode', 'bit_and', 'bit_or', 'bit_xor', 'corr', 'covar_pop',
  'covar_samp', 'regr_slope', 'regr_intercept', 'regr_r2', 'regr_count', 'regr_avgx', 'regr_avgy',
  'regr_sxx', 'regr_syy', 'regr_sxy', 'string_agg', 'group_concat', 'listagg', 'max', 'auc', 'log_loss',
  'brier', 'precision_at', 'recall_at', 'quantile_disc', 'quantile_cont', 'median', 'psi', 'every',
  'argmax', 'argmin', 'arbitrary', 'countif', 'mean', 'fsum', 'kahan_sum', 'sumkahan', 'favg', 'quantile',
  'skewness', 'kurtosis', 'kurtosis_pop', 'entropy', 'product', 'histogram',
  'sem', 'mad', 'arg_max_null', 'arg_min_null', 'geomean', 'geometric_mean',
] as const;

export type AggregateName = (typeof AGGREGATE_NAMES)[number];

const NAMES: ReadonlySet<string> = new Set(AGGREGATE_NAMES);

/** Whether `name` (any case) is a built-in aggregate. */
export function isAggregateName(name: string): boolean {
  return NAMES.has(name.toLowerCase());
}

/** The function LIST_AGGREGATE(list, 'name', ...) is bound as, for an aggregate without a list function of its own. */
export const LIST_AGGREGATE_CALL = 'list_aggregate_of';
