/** EXPLAIN text as operators, and which operator is slowest: no DOM, so tests run it in Node. */

export interface PlanNode {
  /** Position in pre-order (the order EXPLAIN prints). */
  readonly index: number;
  /** Index among the operators, as the engine numbers them in its metrics; -1 for scans and other lines. */
  readonly execIndex: number;
  readonly name: string;
  readonly detail: string;
  readonly streamKind: string;
  readonly parent: number | undefined;
  readonly depth: number;
}

/** Parses EXPLAIN text: two spaces of indent per level, `Name: detail  [kind]` per line. */
export function parsePlan(text: string): PlanNode[] {
  const nodes: PlanNode[] = [];
  const stack: number[] = [];
  let exec = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const depth = Math.floor((line.length - line.trimStart().length) / 2);
    const body = line.trim();
    const kind = /\s\s\[([^\]]+)\]$/.exec(body);
    const main = kind ? body.slice(0, kind.index).trim() : body;
    const colon = main.indexOf(':');
    const name = colon < 0 ? main : main.slice(0, colon);
    const detail = colon < 0 ? '' : main.slice(colon + 1).trim();
    stack.length = depth;
    // The engine numbers the operators it builds, root first; a scan is a source, not one of them.
    const isExec = name.endsWith('Exec') && name !== 'SourceExec';
    nodes.push({ index: nodes.length, execIndex: isExec ? exec++ : -1, name, detail, streamKind: kind?.[1] ?? '', parent: depth > 0 ? stack[depth - 1] : undefined, depth });
    stack[depth] = nodes.length - 1;
  }
  return nodes;
}

/** Rates within this share of the highest count as keeping pace. */
const SAME_PACE = 0.05;

/**
 * The operator with the lowest rows/s, when at least two have a rate and they differ by more
 * than SAME_PACE; undefined when every operator keeps pace (nothing to point at).
 */
export function slowestOperator(nodes: readonly PlanNode[], rates: ReadonlyMap<number, number>): number | undefined {
  let best: number | undefined;
  let highest = 0;
  let known = 0;
  for (const n of nodes) {
    const r = rates.get(n.index);
    if (r === undefined || !Number.isFinite(r)) continue;
    known++;
    highest = Math.max(highest, r);
    if (best === undefined || r < rates.get(best)!) best = n.index;
  }
  if (known < 2 || best === undefined || highest - rates.get(best)! <= SAME_PACE * highest) return undefined;
  return best;
}
