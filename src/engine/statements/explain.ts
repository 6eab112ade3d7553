/**
 * EXPLAIN a query, view or sink: its physical plan (cut at the exchange for a sink across
 * processes); EXPLAIN VERBOSE adds the logical plan and each rewrite rule's result before it.
 */
import { normalizeName } from '../../parser/index.js';
import { splitAtExchange } from '../../planner/exchange.js';
import { explainPlan, explainSplit } from '../../planner/explain.js';
import { explainVerbose } from '../../planner/explain-verbose.js';
import { planQuery, type RewriteStep } from '../../planner/plan-query.js';
import { isScaleOutSink } from '../persistent-plan.js';
import { scaleOutPrefix } from '../scale-out/query.js';
import { optionsOf } from './definitions.js';
import type { StatementHandler } from './handler.js';

export const explain: StatementHandler<'Explain'> = async (session, s, text) => {
  const inner = s.statement;
  const steps: RewriteStep[] = [];
  const q = planQuery(inner.query, session.catalog, { exchange: isScaleOutSink(inner), onRewrite: (step) => steps.push(step) });
  const header = inner.kind === 'CreateMaterializedView' ? `MaterializedView: ${inner.name.name}` : inner.kind === 'CreateSink' ? `Sink: ${inner.name.name}` : undefined;
  let physical: string;
  if (inner.kind === 'CreateSink' && isScaleOutSink(inner)) {
    const id = `sink_${normalizeName(inner.name.name)}`;
    const split = splitAtExchange(q.physical, `${scaleOutPrefix(optionsOf(inner.options), id)}-repartition`, `sink ${inner.name.name}`);
    physical = explainSplit(split, `${header} across processes`);
  } else {
    physical = explainPlan(q.physical, header);
  }
  return { kind: 'explain', statement: text, text: s.verbose ? explainVerbose(steps, physical) : physical };
};
