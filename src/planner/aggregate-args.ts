/**
 * Constant arguments of aggregates, checked at plan time: the threshold of PRECISION_AT/RECALL_AT
 * and the fraction of QUANTILE_DISC (folded into a literal, so the executor reads it once instead of per row) and the model and
 * feature of PSI (resolved to the model's reference distribution).
 */
import type { Span } from '../common/span.js';
import { SluiceError, didYouMean } from '../common/errors.js';
import { featureNames, type ReferenceSource } from '../udf/drift.js';
import type { BoundExpr } from './bound-expr.js';
import type { Catalog } from './catalog.js';
import { CONSTANT_AGGREGATE_ARGS, type AggregateFn } from './functions.js';

/** `args` with every position that must be constant folded into a Literal; a caret on one that is not. */
export function foldConstantArgs(fn: AggregateFn, args: readonly BoundExpr[]): BoundExpr[] {
  const positions = CONSTANT_AGGREGATE_ARGS[fn] ?? [];
  return args.map((a, k) => {
    if (!positions.includes(k)) return a;
    if (fn === 'string_agg') return constantSeparator(a);
    const value = constantNumber(a);
    const quantile = fn === 'quantile_disc' || fn === 'quantile_cont';
    if (value === undefined || Number.isNaN(value) || (quantile && !(value >= 0 && value <= 1))) {
      throw new SluiceError('INVALID_ARGUMENT', `argument ${k + 1} of ${fn.toUpperCase()} must be a constant ${quantile ? 'fraction from 0 to 1' : 'number'}`, {
        span: a.span,
        hint: quantile ? `write e.g. ${fn.toUpperCase()}(latency, 0.99) for the 99th percentile` : `write a number such as ${fn.toUpperCase()}(score, label, 0.5)`,
      });
    }
    return { kind: 'Literal', value, type: a.type, ...(a.span ? { span: a.span } : {}) };
  });
}

/** The separator of STRING_AGG: a string literal, or NULL (which makes every result NULL, as in DuckDB). */
function constantSeparator(a: BoundExpr): BoundExpr {
  const e = a.kind === 'Cast' ? a.operand : a;
  if (e.kind === 'Literal' && (typeof e.value === 'string' || e.value === null)) return { kind: 'Literal', value: e.value, type: a.type, ...(a.span ? { span: a.span } : {}) };
  throw new SluiceError('INVALID_ARGUMENT', 'the separator of STRING_AGG must be a constant string', { span: a.span, hint: "write e.g. STRING_AGG(name, ', ')" });
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

/**
 * PSI(value, 'model', 'feature'[, version]): the reference distribution of that feature of the
 * model's active version (or, with a version, of the version given on each row), with a caret on
 * a model or feature that does not exist or (without a version) has no reference.
 */
export function psiReference(args: readonly BoundExpr[], catalog: Catalog, span: Span | undefined): ReferenceSource {
  const [, modelArg, featureArg] = args;
  const text = (e: BoundExpr | undefined, what: string): string => {
    if (e?.kind === 'Literal' && typeof e.value === 'string') return e.value;
    throw new SluiceError('INVALID_ARGUMENT', `the ${what} of PSI must be a constant string`, { span: e?.span ?? span, hint: "write PSI(value, 'model', 'feature'), e.g. PSI(amount, 'fraud', 'score')" });
  };
  const sig = catalog.model(text(modelArg, 'model'), modelArg?.span);
  const feature = text(featureArg, 'feature');
  const features = featureNames(sig.inputs, sig.outputs);
  if (!features.includes(feature)) {
    throw new SluiceError('INVALID_ARGUMENT', `model '${sig.name}' has no feature '${feature}'`, {
      span: featureArg?.span,
      hint: didYouMean(feature, features) ?? `its features: ${features.slice(0, 4).join(', ')}${features.length > 4 ? ', ...' : ''}`,
    });
  }
  // With a version argument: the reference of the version that scored each group's values.
  const byVersion = sig.live?.versionReference;
  if (args.length === 4 && byVersion) return (version) => (version === undefined ? undefined : byVersion(version, feature));
  const bins = sig.reference?.[feature];
  const collected = bins ? undefined : sig.live?.collectedReference?.();
  if (collected) return () => collected(feature);
  if (!bins) {
    throw new SluiceError('INVALID_ARGUMENT', `model '${sig.name}' has no reference distribution${sig.reference ? ` of feature '${feature}'` : ''} to compare with`, {
      span: featureArg?.span,
      hint: sig.reference ? `add a '${feature}' column to its reference file` : `give it one: ALTER MODEL ${sig.name} SET (reference = 'models/data/${sig.name}-reference.csv'), or let it collect its first scored rows ('reference.rows')`,
    });
  }
  return bins;
}
