/**
 * EXPLAIN a query, view or sink: its physical plan (cut at the exchange for a sink across
 * processes); EXPLAIN VERBOSE adds the logical plan and each rewrite rule's result before it.
 */
import { normalizeName, type ExplainStmt } from '../../parser/index.js';
import type { Catalog } from '../../planner/catalog.js';
import { splitAtExchange } from '../../planner/exchange.js';
import { explainPlan, explainSplit } from '../../planner/explain.js';
import { explainVerbose } from '../../planner/explain-verbose.js';
import { planQuery, pullRelation, readsOnlyTables, type RewriteStep } from '../../planner/plan-query.js';
import { isScaleOutSink } from '../persistent-plan.js';
import { scaleOutPrefix } from '../scale-out/query.js';
import { optionsOf } from './definitions.js';
import type { StatementHandler } from './handler.js';
import { finishedSubquery, planStages } from './select-staged.js';

export const explain: StatementHandler<'Explain'> = async (session, s, text) => {
  return { kind: 'explain', statement: text, text: explainText(s, session.catalog) };
};

/** The text EXPLAIN gives for `s` (its plans, which it checks). */
export function explainText(s: ExplainStmt, catalog: Catalog): string {
  const inner = s.statement;
  const steps: RewriteStep[] = [];
  // A query with window functions answers once, over final rows: planned as it runs, bounded.
  const staged = inner.kind === 'Query' ? finishedSubquery(inner.query, catalog) : undefined;
  if (staged) {
    const stages = planStages(staged, catalog, true);
    return [explainPlan(stages.inner.physical, 'Stage 1: the subquery with window functions, to its final rows'), explainPlan(stages.outer.physical, 'Stage 2: the query over those rows')].join('\n');
  }
  // A query over a table reads its rows once (a pull query; over a view EXPLAIN shows the push
  // query over its changes); one with window functions runs bounded.
  const pull = inner.kind === 'Query' && (pullRelation(inner.query, catalog)?.kind === 'table' || readsOnlyTables(inner.query, catalog));
  const windows = inner.kind === 'Query' && inner.query.items.some((i) => i.kind === 'ExprItem' && i.expr.kind === 'Call' && i.expr.over !== undefined);
  const mode = pull ? { pull: true } : windows ? { bounded: true } : {};
  const q = planQuery(inner.query, catalog, { exchange: isScaleOutSink(inner), ...mode, onRewrite: (step) => steps.push(step) });
  const header = inner.kind === 'CreateMaterializedView' ? `MaterializedView: ${inner.name.name}` : inner.kind === 'CreateSink' ? `Sink: ${inner.name.name}` : undefined;
  let physical: string;
  if (inner.kind === 'CreateSink' && isScaleOutSink(inner)) {
    const id = `sink_${normalizeName(inner.name.name)}`;
    const split = splitAtExchange(q.physical, `${scaleOutPrefix(optionsOf(inner.options), id)}-repartition`, `sink ${inner.name.name}`);
    physical = explainSplit(split, `${header} across processes`);
  } else {
    physical = explainPlan(q.physical, header);
  }
  return s.verbose ? explainVerbose(steps, physical) : physical;
}
