/**
 * EXPLAIN VERBOSE: the logical plan as bound, the plan after each rewrite rule that changed it
 * (rule name, then the plan), and the physical plan as EXPLAIN prints it.
 */
import { assertNever } from '../common/errors.js';
import { exprToString } from './bound-expr.js';
import { aggs, explainPlan, hashJoin, intervalJoin, unnest, lookupJoin, ms, over, predict, projection, window } from './explain.js';
import { logicalChildren, type LogicalPlan } from './logical.js';
import type { RewriteStep } from './plan-query.js';
import { logicalStreamKind, streamKindText } from './stream-kind.js';

/** A logical plan as indented tree text, one node per line with its stream kind. */
export function explainLogical(plan: LogicalPlan): string {
  const lines: string[] = [];
  const walk = (p: LogicalPlan, depth: number) => {
    lines.push(`${'  '.repeat(depth)}${describeLogical(p)}  [${streamKindText(logicalStreamKind(p), p.fields)}]`);
    for (const c of logicalChildren(p)) walk(c, depth + 1);
  };
  walk(plan, 0);
  return lines.join('\n');
}

/** The sections of EXPLAIN VERBOSE; `physical` is the text plain EXPLAIN gives. */
export function explainVerbose(steps: readonly RewriteStep[], physical: string): string {
  const first = steps.find((s) => s.level === 'logical');
  const sections: string[] = [];
  if (first) sections.push(`Logical plan:\n${explainLogical(first.before)}`);
  for (const step of steps) {
    const before = step.level === 'logical' ? explainLogical(step.before) : explainPlan(step.before);
    const after = step.level === 'logical' ? explainLogical(step.after) : explainPlan(step.after);
    if (after !== before) sections.push(`Rule ${step.rule}:\n${after}`);
  }
  sections.push(`Physical plan:\n${physical}`);
  return sections.join('\n\n');
}

function describeLogical(p: LogicalPlan): string {
  switch (p.kind) {
    case 'LogicalScan':
      if (p.constants) return `LogicalScan: values, ${p.constants.length} ${p.constants.length === 1 ? 'row' : 'rows'}, columns=[${p.fields.map((f) => f.name).join(', ')}]`;
      return `LogicalScan: ${p.relationKind}=${p.relation}, columns=[${p.fields.map((f) => f.name).join(', ')}]${p.watermark ? `, watermark=${p.fields[p.watermark.column]!.name} - ${ms(p.watermark.delayMs)}` : ''}`;
    case 'LogicalFilter':
      return `LogicalFilter: ${exprToString(p.predicate)}`;
    case 'LogicalProject':
      return `LogicalProject: ${projection(p)}`;
    case 'LogicalLookupJoin':
      return `LogicalLookupJoin: ${lookupJoin(p)}`;
    case 'LogicalIntervalJoin':
      return `LogicalIntervalJoin: ${intervalJoin(p.left.fields, p.right.fields, p)}`;
    case 'LogicalUnnest':
      return `LogicalUnnest: ${unnest(p)}`;
    case 'LogicalHashJoin':
      return `LogicalHashJoin: ${hashJoin(p.left.fields, p.right.fields, p)}`;
    case 'LogicalOver':
      return `LogicalOver: ${over(p)}`;
    case 'LogicalWindow':
      return `LogicalWindow: ${window(p, p.input.fields)}`;
    case 'LogicalAggregate':
      return `LogicalAggregate: group=[${p.groupBy.map(exprToString).join(', ')}], aggs=[${aggs(p.aggregates)}]`;
    case 'LogicalPredict':
      return `LogicalPredict: ${predict(p.input.fields, p)}`;
    case 'LogicalUnion':
      return `LogicalUnion: ${p.inputs.length} inputs, columns=[${p.fields.map((f) => f.name).join(', ')}]`;
    default:
      return assertNever(p, 'plan node');
  }
}
