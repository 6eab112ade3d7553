/** EXPLAIN: renders a physical plan as indented tree text, one operator per line. */
import { assertNever } from '../common/errors.js';
import { exprToString, type BoundExpr } from './bound-expr.js';
import type { AggregateCall } from './logical.js';
import type { ExchangeSplit } from './exchange.js';
import { physicalInputs, type PhysicalPlan, type WindowSpec } from './physical.js';
import { reusedSubplans } from './rules/share-subplans.js';
import type { WindowSpec as OverSpec } from './window-spec.js';
import { physicalStreamKind, streamKindText } from './stream-kind.js';

export function explainPlan(plan: PhysicalPlan, header?: string): string {
  const lines: string[] = header ? [header] : [];
  const reused = reusedSubplans(plan);
  const walk = (p: PhysicalPlan, depth: number) => {
    const indent = '  '.repeat(depth + (header ? 1 : 0));
    const use = reused.get(p);
    if (use?.first === false) {
      lines.push(`${indent}Reuse: shared sub-plan #${use.id}, computed once above`);
      return;
    }
    // An exchange moves rows without changing them: its stream kind is its input's, shown there.
    const kind = p.kind === 'ExchangeExec' ? '' : `  [${streamKindText(physicalStreamKind(p), p.fields)}]`;
    lines.push(`${indent}${describe(p)}${use ? `, shared sub-plan #${use.id}` : ''}${kind}`);
    for (const c of physicalInputs(p)) walk(c, depth + 1);
  };
  walk(plan, 0);
  // Columns the planner adds for its own use have names no SQL name can be (they start with NUL).
  return lines.join('\n').replaceAll('\u0000', '#');
}

/** A plan cut to run across processes: the keyed stage, the exchange, then the source stage below. */
export function explainSplit(split: ExchangeSplit, header: string): string {
  if (!split.exchange) return explainPlan(split.plan, `${header}, one stage: a task per input partition`);
  return explainPlan(split.plan, `${header}, two stages: a task per key partition above the exchange (state in a changelog topic), a task per input partition below`);
}

function names(p: PhysicalPlan, e: BoundExpr): string {
  void p;
  return exprToString(e);
}

export function aggs(a: readonly AggregateCall[]): string {
  return a
    .map((x) => {
      const fn = x.fn === 'count_distinct' ? 'count(DISTINCT ' : `${x.fn}(`;
      return `${fn}${x.args.length ? x.args.map(exprToString).join(', ') : '*'})`;
    })
    .join(', ');
}

export function ms(n: number): string {
  if (n % 86_400_000 === 0) return `${n / 86_400_000}d`;
  if (n % 3_600_000 === 0) return `${n / 3_600_000}h`;
  if (n % 60_000 === 0) return `${n / 60_000}m`;
  if (n % 1000 === 0) return `${n / 1000}s`;
  return `${n}ms`;
}

export function window(w: WindowSpec, fieldsBelow: readonly { name: string }[]): string {
  const t = fieldsBelow[w.timeColumn]?.name ?? `#${w.timeColumn}`;
  switch (w.fn) {
    case 'TUMBLE':
      return `TUMBLE(${t}, ${ms(w.sizeMs)})`;
    case 'HOP':
      return `HOP(${t}, slide=${ms(w.slideMs)}, size=${ms(w.sizeMs)})`;
    case 'SESSION':
      return `SESSION(${t}, gap=${ms(w.gapMs)})`;
    default:
      return assertNever(w.fn, 'window');
  }
}

function describe(p: PhysicalPlan): string {
  switch (p.kind) {
    case 'SourceExec':
      if (p.constants) return `SourceExec: values, ${p.constants.length} ${p.constants.length === 1 ? 'row' : 'rows'}, columns=[${p.fields.map((f) => f.name).join(', ')}]`;
      // A table in a continuous plan is read whole, as its changelog (a lookup by key is a StreamLookupJoinExec).
      return `SourceExec: ${p.relationKind}=${p.relation}${p.relationKind === 'table' && p.changes ? ' (its changelog)' : ''}, connector=${p.connector}, columns=[${p.fields.map((f) => f.name).join(', ')}]${
        p.watermark ? `, watermark=${p.fields[p.watermark.column]!.name} - ${ms(p.watermark.delayMs)}` : ''
      }${p.shared ? `, shared scan #${p.shared.id} reading [${p.shared.fields.map((f) => f.name).join(', ')}]` : ''}`;
    case 'ExchangeExec':
      return `Exchange: hash(${p.key.map(exprToString).join(', ') || 'no key: one partition'}) -> topic ${p.topic}`;
    case 'FilterExec':
      return `FilterExec: ${names(p, p.predicate)}`;
    case 'ProjectExec':
      return `ProjectExec: ${projection(p)}`;
    case 'StreamLookupJoinExec':
      return `StreamLookupJoinExec: ${lookupJoin(p)}`;
    case 'IntervalJoinExec':
      return `IntervalJoinExec: ${intervalJoin(p.left.fields, p.right.fields, p)}`;
    case 'UnnestExec':
      return `UnnestExec: ${unnest(p)}`;
    case 'HashJoinExec':
      return `HashJoinExec: ${hashJoin(p.left.fields, p.right.fields, p)}`;
    case 'OverExec':
      return `OverExec: updating, ${over(p)}`;
    case 'WindowAssignExec':
      return `WindowAssignExec: ${window(p.window, p.input.fields)}`;
    case 'WindowAggregateExec':
      return `WindowAggregateExec: ${window(p.window, p.input.fields)}, group=[${p.groupBy.map(exprToString).join(', ')}], aggs=[${aggs(p.aggregates)}]`;
    case 'GroupAggregateExec':
      return `GroupAggregateExec: updating, ${p.phase === 'final' ? 'final, ' : ''}group=[${p.groupBy.map(exprToString).join(', ')}], aggs=[${aggs(p.aggregates)}]`;
    case 'LocalAggregateExec':
      return `LocalAggregateExec: partial, group=[${p.groupBy.map(exprToString).join(', ')}], aggs=[${aggs(p.aggregates)}]${p.salt > 1 ? `, salt=${p.salt}` : ''}`;
    case 'PredictExec':
      return `PredictExec: ${predict(p.input.fields, p)}`;
    case 'UnionExec':
      return `UnionExec: ${p.inputs.length} inputs, columns=[${p.fields.map((f) => f.name).join(', ')}]`;
    default:
      return assertNever(p, 'physical plan node');
  }
}

/** The parts of a node's line that logical and physical nodes of the same operation share. */
export function projection(p: { readonly exprs: readonly BoundExpr[]; readonly fields: readonly { readonly name: string }[] }): string {
  return p.exprs.map((e, i) => (e.kind === 'Column' && e.name === p.fields[i]!.name ? e.name : `${p.fields[i]!.name} := ${exprToString(e)}`)).join(', ');
}

export function lookupJoin(p: { readonly joinType: string; readonly table: string; readonly keys: readonly BoundExpr[]; readonly tableColumns: readonly number[]; readonly fields: readonly { readonly name: string }[] }): string {
  const columns = p.fields.slice(p.fields.length - p.tableColumns.length).map((f) => f.name);
  return `${p.joinType.toLowerCase()}, table=${p.table}, key=[${p.keys.map(exprToString).join(', ')}], columns=[${columns.join(', ')}]`;
}

type Named = readonly { readonly name: string }[];

export function intervalJoin(lf: Named, rf: Named, p: { readonly leftKeys: readonly number[]; readonly rightKeys: readonly number[]; readonly leftTime: number; readonly rightTime: number; readonly lowerMs: number; readonly upperMs: number; readonly residual?: BoundExpr | undefined }): string {
  const keys = p.leftKeys.map((k, i) => `${lf[k]!.name} = ${rf[p.rightKeys[i]!]!.name}`).join(', ');
  const bound = (x: number) => `${x < 0 ? '-' : '+'} ${ms(Math.abs(x))}`;
  return `${keys}, ${rf[p.rightTime]!.name} BETWEEN ${lf[p.leftTime]!.name} ${bound(p.lowerMs)} AND ${lf[p.leftTime]!.name} ${bound(p.upperMs)}${p.residual ? `, filter=${exprToString(p.residual)}` : ''}`;
}

export function unnest(p: { readonly arrays: readonly BoundExpr[]; readonly fields: Named }): string {
  const names = p.fields.slice(p.fields.length - p.arrays.length).map((f) => f.name);
  return p.arrays.map((a, i) => `${names[i]} := UNNEST(${exprToString(a)})`).join(', ');
}

/** Window functions over a continuous query's rows: the state key, and each window. */
export function over(p: { readonly input: { readonly fields: Named }; readonly windows: readonly OverSpec[]; readonly partitionBy: readonly number[] }): string {
  const name = (i: number) => p.input.fields[i]!.name.replace(/\u0000/g, '#');
  const windows = p.windows.map((w) => {
    const parts = [w.partitionBy.length ? `PARTITION BY ${w.partitionBy.map(name).join(', ')}` : '', w.orderBy.length ? `ORDER BY ${w.orderBy.map((o) => `${name(o.index)}${o.desc ? ' DESC' : ''}`).join(', ')}` : ''].filter(Boolean);
    return `${name(w.output)} := ${w.aggregate?.fn ?? w.fn}(${w.args.map(name).join(', ')}) OVER (${parts.join(' ')})`;
  });
  return `partition=[${p.partitionBy.map(name).join(', ')}], windows=[${windows.join(', ')}]`;
}

export function hashJoin(lf: Named, rf: Named, p: { readonly joinType: string; readonly leftKeys: readonly number[]; readonly rightKeys: readonly number[]; readonly residual?: BoundExpr | undefined }): string {
  const keys = p.leftKeys.map((k, i) => `${lf[k]!.name} = ${rf[p.rightKeys[i]!]!.name}`).join(', ');
  return `${p.joinType.toLowerCase()}, ${keys ? `keys=[${keys}]` : 'no keys: every pair'}${p.residual ? `, filter=${exprToString(p.residual)}` : ''}`;
}

export function predict(input: Named, p: { readonly model: string; readonly keep: readonly number[]; readonly args: readonly BoundExpr[]; readonly width: number; readonly outputs: Named }): string {
  const pass = p.keep.length === input.length ? '' : `, pass=[${p.keep.map((k) => input[k]!.name).join(', ')}]`;
  return `model=${p.model}${pass}, inputs=[${p.args.map(exprToString).join(', ')}], width=${p.width || 'per row'}, outputs=[${p.outputs.map((o) => o.name).join(', ')}]`;
}
