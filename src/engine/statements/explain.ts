/** EXPLAIN a query, view or sink: its physical plan (cut at the exchange for a sink across processes). */
import { normalizeName } from '../../parser/index.js';
import { splitAtExchange } from '../../planner/exchange.js';
import { explainPlan, explainSplit } from '../../planner/explain.js';
import { planQuery } from '../../planner/plan-query.js';
import { isScaleOutSink } from '../persistent-plan.js';
import { scaleOutPrefix } from '../scale-out/query.js';
import { optionsOf } from './definitions.js';
import type { StatementHandler } from './handler.js';

export const explain: StatementHandler<'Explain'> = async (session, s, text) => {
  const inner = s.statement;
  const q = planQuery(inner.query, session.catalog, { exchange: isScaleOutSink(inner) });
  const header = inner.kind === 'CreateMaterializedView' ? `MaterializedView: ${inner.name.name}` : inner.kind === 'CreateSink' ? `Sink: ${inner.name.name}` : undefined;
  if (inner.kind === 'CreateSink' && isScaleOutSink(inner)) {
    const id = `sink_${normalizeName(inner.name.name)}`;
    const split = splitAtExchange(q.physical, `${scaleOutPrefix(optionsOf(inner.options), id)}-repartition`, `sink ${inner.name.name}`);
    return { kind: 'explain', statement: text, text: explainSplit(split, `${header} across processes`) };
  }
  return { kind: 'explain', statement: text, text: explainPlan(q.physical, header) };
};
